"""Sound rebuilt from log-mel features (seqviz.tasks.resynth): every test utterance plays (a valid WAV of the
right length, finite, not silent, fast enough to build while a page reruns), the envelope fit reproduces the
mel energies, the rebuilt sound's spectral envelope follows the shipped recording's (and not another
utterance's), and the shipped model transcribes the rebuilt sound as it transcribes the features."""

import io
import time
import wave

import numpy as np
import pytest
import torch

from seqviz import labs
from seqviz.labs import speech as lab
from seqviz.tasks import resynth, speech


@pytest.fixture(scope="module")
def data():
    return labs.load("speech-data")


def span_seconds(T: int, cfg: speech.MelConfig) -> float:
    """The stretch of sound T centred frames cover: the last frame's centre plus half a window."""
    return ((T - 1) * cfg.hop_length + cfg.n_fft // 2) / cfg.sample_rate


def read_wav(blob: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(blob)) as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64) / 32768.0, w.getframerate()


def resample(y: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    t = np.arange(0, len(y) - 1, rate_in / rate_out)
    return np.interp(t, np.arange(len(y)), y).astype(np.float32)


def envelope_correlation(a: np.ndarray, b: np.ndarray, cfg: speech.MelConfig) -> float:
    """Pearson correlation of two waveforms' log-mel spectrograms (same length, frames trimmed to the shorter)."""
    A = speech.log_mel(torch.from_numpy(np.asarray(a, np.float32)), cfg).numpy()
    B = speech.log_mel(torch.from_numpy(np.asarray(b, np.float32)), cfg).numpy()
    n = min(len(A), len(B))
    A, B = A[:n] - A[:n].mean(), B[:n] - B[:n].mean()
    return float((A * B).sum() / np.sqrt((A * A).sum() * (B * B).sum()))


# 8 kHz, as the shipped recordings: 16 bands up to 3.8 kHz, 32 ms windows, 20 ms hop
AT_8K = speech.MelConfig(sample_rate=8000, n_fft=256, hop_length=160, n_mels=16, f_min=60.0, f_max=3800.0)


def test_every_test_utterance_rebuilds_to_playable_audio_quickly(data):
    torch.set_num_threads(1)
    times = []
    for u in data.split("test"):
        f = data.features[u.index]
        start = time.perf_counter()
        y = resynth.resynthesize(f, data.mel)
        times.append(time.perf_counter() - start)
        x, rate = read_wav(resynth.wav_bytes(y, resynth.RATE))
        assert rate == resynth.RATE and len(x) == len(y)
        assert len(x) / rate == pytest.approx(span_seconds(len(f), data.mel), abs=0.01)
        assert np.isfinite(x).all() and 0.5 < np.abs(x).max() <= 1.0
        assert np.sqrt((x ** 2).mean()) > 0.02  # not silent
    assert np.median(times) < 0.3, f"median {np.median(times):.3f} s per utterance"


def test_the_envelope_reproduces_the_mel_energies(data):
    cfg = data.mel
    M = np.clip(np.exp(data.features[640].astype(np.float64)) - speech.LOG_FLOOR, 0, None)  # (T, n_mels)
    a = resynth.envelope_heights(M, cfg)
    bins = np.arange(cfg.n_fft // 2 + 1) * cfg.sample_rate / cfg.n_fft
    again = (a @ resynth.hat_basis(cfg, bins)) @ speech.mel_filterbank(cfg).double().numpy().T
    loud = M > M.max() * 1e-3
    assert (a >= 0).all()
    assert np.median(np.abs(np.log(again[loud] / M[loud]))) < 0.1  # within 10 % in the bands that carry sound


def test_rebuilt_sound_follows_the_shipped_recordings_envelope(data):
    """The check could fail: a wrong envelope, a time shift or a mismatched length would drop the correlation
    with its own recording below that with other utterances' recordings."""
    recorded = [u for u in data.utterances if u.audio >= 0]
    assert len(recorded) >= 6
    rebuilt = {u.index: lab.downsample(resynth.resynthesize(data.features[u.index], data.mel), resynth.RATE)
               for u in recorded}
    for u in recorded:
        real = data.audio[u.audio]
        assert len(rebuilt[u.index]) / 8000 == pytest.approx(len(real) / data.audio_rate, abs=0.03)
        own = envelope_correlation(real, rebuilt[u.index], AT_8K)
        others = [envelope_correlation(real, rebuilt[v.index], AT_8K) for v in recorded if v is not u]
        assert own > 0.85, (u.index, own)
        assert own > max(others) + 0.1, (u.index, own, max(others))


def test_the_model_hears_the_rebuilt_sound_as_it_hears_the_features(data):
    """Round trip: features -> sound -> features (at the model's 22,050 Hz) -> the shipped model's transcript.
    The level is lost by peak normalisation, so the rebuilt features are shifted to the original's mean."""
    ckpt = labs.load("speech-las")
    items = lab.test_items(data)[:20]
    refs, heard, rebuilt = [], [], []
    for u in items:
        f = data.features[u.index]
        y = resample(resynth.resynthesize(f, data.mel), resynth.RATE, data.mel.sample_rate)
        g = speech.log_mel(torch.from_numpy(y), data.mel).numpy()
        g = (g - g.mean() + f.mean()).astype(np.float32)
        refs.append(u.text)
        heard.append(ckpt.model.trace(f, ckpt.vocab).text)
        rebuilt.append(ckpt.model.trace(g, ckpt.vocab).text)
    assert speech.cer(rebuilt, refs) <= speech.cer(heard, refs) + 0.05


def test_bad_features_are_refused_and_silence_stays_silent(data):
    cfg = data.mel
    for bad in (np.zeros((5, 3)), np.full((4, cfg.n_mels), np.nan), np.zeros((0, cfg.n_mels)), np.zeros(16)):
        with pytest.raises(ValueError):
            resynth.resynthesize(bad, cfg)
    quiet = resynth.resynthesize(np.full((10, cfg.n_mels), np.log(speech.LOG_FLOOR)), cfg)
    assert np.isfinite(quiet).all() and np.abs(quiet).max() == 0
