"""Sound rebuilt from log-mel features: what the speech model hears, made audible (no streamlit).

Only a few utterances ship their waveform; every one ships its log-mel features x_t(m) (seqviz.tasks.speech).
Those features keep how much energy lies in each of 16 mel bands every 20 ms, and nothing else: no phase,
and no harmonics (the bands are far wider than the spacing of a voice's harmonics). So the sound rebuilt
here keeps the words' spectral envelope and loses the pitch: it sounds whispered.

    M_t(m)   = exp(x_t(m)) − ε                                  mel energies back from the logs (0 at the floor)
    P_t(f)   = Σ_m a_t(m) · b_m(f)                              the envelope: a piecewise-linear curve through
                                                                the band centres (hat functions b_m)
    a_t      ≥ 0 with  F·P_t = M_t                              heights chosen so the envelope's own mel
                                                                energies equal the features (non-negative
                                                                least squares on a 16 x 16 system)
    |Y_j(k)| = sqrt(P(f_k)) on a denser STFT (8 ms hop)         the features interpolated in time
    y        = Griffin-Lim(|Y|)                                  find a phase: alternate ISTFT and STFT,
                                                                keeping the phase and restoring the magnitude
                                                                (the fast variant of Perraudin et al. 2013)

The result is deterministic (seeded initial phase), float32 in [-1, 1], peak-normalised: the features carry
loudness only up to a constant.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import torch

from seqviz.tasks.speech import LOG_FLOOR, MelConfig, hz_to_mel, mel_filterbank, mel_to_hz

RATE = 16000  # Hz: enough for s, f and x (the features reach 7 kHz)
N_FFT = 512  # 32 ms window
HOP = 128  # 8 ms: dense overlap (the features' own 20 ms hop over a 23 ms window leaves too little for ISTFT)
ITERATIONS = 32
MOMENTUM = 0.99  # fast Griffin-Lim's extrapolation
PEAK = 0.9


def band_centres_hz(cfg: MelConfig) -> np.ndarray:
    """(n_mels,) the peak frequency of each mel filter."""
    return mel_to_hz(np.linspace(hz_to_mel(cfg.f_min), hz_to_mel(cfg.f_max), cfg.n_mels + 2))[1:-1]


def hat_basis(cfg: MelConfig, freqs: np.ndarray) -> np.ndarray:
    """(n_mels, len(freqs)): b_m is 1 at band centre m and falls linearly to 0 at its neighbours' centres;
    the first and last stay at 1 down to f_min and up to f_max. Their sum is 1 between f_min and f_max."""
    c = band_centres_hz(cfg)
    edges = np.concatenate([[cfg.f_min], c, [cfg.f_max]])
    B = np.zeros((cfg.n_mels, len(freqs)))
    for m in range(cfg.n_mels):
        lo, mid, hi = edges[m], edges[m + 1], edges[m + 2]
        rise = np.ones_like(freqs) if m == 0 else (freqs - lo) / (mid - lo)
        fall = np.ones_like(freqs) if m == cfg.n_mels - 1 else (hi - freqs) / (hi - mid)
        B[m] = np.clip(np.minimum(rise, fall), 0.0, 1.0)
    B[:, (freqs < cfg.f_min) | (freqs > cfg.f_max)] = 0.0
    return B


def envelope_heights(energies: np.ndarray, cfg: MelConfig, iterations: int = 60) -> np.ndarray:
    """a (T, n_mels) ≥ 0 with F · (aB) ≈ M for every frame: the envelope heights whose mel energies match.
    Non-negative least squares by multiplicative updates, started from M / (F·B) row sums."""
    bins = np.arange(cfg.n_fft // 2 + 1) * cfg.sample_rate / cfg.n_fft  # (K,) the features' own FFT bins
    G = mel_filterbank(cfg).double().numpy() @ hat_basis(cfg, bins).T  # (n_mels, n_mels): G[m, j] = F_m · b_j
    a = energies / np.maximum(G.sum(1), 1e-12)  # (T, n_mels) a first guess
    GtG, GtM = G.T @ G, energies @ G  # (n_mels, n_mels), (T, n_mels)
    for _ in range(iterations):
        a *= GtM / np.maximum(a @ GtG, 1e-30)
    return a


def magnitudes(features: np.ndarray, cfg: MelConfig, rate: int = RATE, n_fft: int = N_FFT, hop: int = HOP):
    """|Y| (n_fft/2 + 1, J) on the dense STFT and the output length in samples."""
    x = np.asarray(features, dtype=np.float64)  # (T, n_mels)
    T = len(x)
    n_out = max(int(round(((T - 1) * cfg.hop_length + cfg.n_fft // 2) / cfg.sample_rate * rate)), n_fft)
    J = n_out // hop + 1  # frames of the dense STFT (center=True)
    t_feat = np.arange(T) * cfg.frame_seconds  # frame t is centred at t · hop_length
    t_new = np.clip(np.arange(J) * hop / rate, 0, t_feat[-1])
    x = np.stack([np.interp(t_new, t_feat, x[:, m]) for m in range(cfg.n_mels)], axis=1)  # (J, n_mels)
    M = np.exp(x) - LOG_FLOOR  # (J, n_mels)
    M[M < 0.01 * LOG_FLOOR] = 0.0  # at the floor, within float16 rounding: silence
    a = envelope_heights(M, cfg)  # (J, n_mels)
    freqs = np.arange(n_fft // 2 + 1) * rate / n_fft  # (K',)
    P = a @ hat_basis(cfg, freqs)  # (J, K') power envelope
    return np.sqrt(P).T, n_out  # (K', J)


def griffin_lim(mag: np.ndarray, length: int, n_fft: int = N_FFT, hop: int = HOP, iterations: int = ITERATIONS,
                momentum: float = MOMENTUM, seed: int = 0) -> np.ndarray:
    """A waveform whose STFT magnitude approaches `mag` (K, J): fast Griffin-Lim from a seeded random phase."""
    window = torch.hann_window(n_fft, dtype=torch.float64)
    S = torch.from_numpy(mag)  # (K, J)
    rng = np.random.default_rng(seed)
    angles = torch.from_numpy(np.exp(2j * np.pi * rng.random(mag.shape)))  # (K, J) unit phases
    prev = torch.zeros_like(angles)
    for _ in range(iterations):
        y = torch.istft(S * angles, n_fft, hop, window=window, center=True, length=length)
        rebuilt = torch.stft(y, n_fft, hop, window=window, center=True, pad_mode="reflect", return_complex=True)
        angles = rebuilt - (momentum / (1 + momentum)) * prev  # Perraudin's acceleration
        prev = rebuilt
        angles = angles / angles.abs().clamp_min(1e-16)
    y = torch.istft(S * angles, n_fft, hop, window=window, center=True, length=length)
    return y.numpy()


def resynthesize(features: np.ndarray, cfg: MelConfig, rate: int = RATE, iterations: int = ITERATIONS,
                 seed: int = 0) -> np.ndarray:
    """float32 waveform at `rate`, peak PEAK (or silent zeros when the features hold no energy), rebuilt from
    log-mel features (T, n_mels); its length is the span the T frames cover."""
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != cfg.n_mels or len(features) < 1 or not np.isfinite(features).all():
        raise ValueError(f"features must be a finite (T, {cfg.n_mels}) array")
    with torch.inference_mode():
        mag, n = magnitudes(features, cfg, rate)
        y = griffin_lim(mag, n, iterations=iterations, seed=seed) if mag.max() > 0 else np.zeros(n)
    peak = float(np.abs(y).max())
    return (y * (PEAK / peak) if peak > 0 else y).astype(np.float32)


def wav_bytes(y: np.ndarray, rate: int) -> bytes:
    """A mono 16-bit PCM WAV file of y (float in [-1, 1]), in memory."""
    pcm = np.round(np.clip(np.asarray(y, dtype=np.float64), -1, 1) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
