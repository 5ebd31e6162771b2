"""Speech: spoken number words as log-mel spectrograms, their transcripts, and the character error rate.

What this file owns (no streamlit, nothing needs espeak-ng):
- the character vocabulary (<pad>, <bos>, <eos>, space, the letters of "zero" .. "nine");
- the features: a mel filterbank written out (HTK mel scale) and log-mel spectrograms from torch.stft;
- the shipped dataset (assets/speech-data.safetensors + speech-data.json), validated completely before
  use: a missing or corrupt file raises SpeechDataError with one sentence;
- batches for training and the character error rate (Levenshtein distance / reference characters).

The features, for a waveform w (float, [-1, 1]) at sample rate r:

    X_t(k)  = Σ_n w[t·hop + n − n_fft/2] · hann[n] · e^{−2πi kn / n_fft}      (torch.stft, center=True, reflect pad)
    P_t(k)  = |X_t(k)|²                                                      power spectrum, k = 0 .. n_fft/2
    mel(f)  = 2595 · log10(1 + f / 700)                                      HTK mel scale
    M_t(m)  = Σ_k F[m, k] · P_t(k)                                           F: triangular filters, peak 1
    x_t(m)  = log(M_t(m) + ε)                                                ε = 1e-6: the floor of silence

The dataset itself is rendered by `python -m seqviz.zoo build speech-data` (seqviz/labs/speech.py).
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from seqviz.vocab import BOS, EOS, PAD, Vocab

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
CHARS = tuple(sorted(set("".join(WORDS)))) + (" ",)
from seqviz.vocab import BOS_ID, EOS_ID, IGNORE, PAD_ID  # noqa: E402,F401 - this module's names too
DATA_NAME = "speech-data"
FORMAT, VERSION = "seqviz-speech-data", 1
MAX_DATA_BYTES = 8 * 2**20  # the shipped file is ~2 MB; anything far larger is not ours
MAX_JSON_BYTES = 2**20
LOG_FLOOR = 1e-6  # ε in x = log(M + ε)
REBUILD = f"rebuild it with `python -m seqviz.zoo build {DATA_NAME}`"


def char_vocab() -> Vocab:
    """<pad> 0, <bos> 1, <eos> 2, then the letters of the number words and the space."""
    return Vocab((PAD, BOS, EOS) + CHARS)


# -- features -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MelConfig:
    sample_rate: int = 22050  # espeak-ng's output rate
    n_fft: int = 512  # 23 ms window
    hop_length: int = 441  # 20 ms between frames
    n_mels: int = 16  # mel bands
    f_min: float = 60.0
    f_max: float = 7000.0

    @property
    def frame_seconds(self) -> float:
        return self.hop_length / self.sample_rate


def hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(cfg: MelConfig) -> torch.Tensor:
    """F (n_mels, n_fft/2 + 1): triangle m rises from edge m to its peak (1) at edge m+1 and falls to 0
    at edge m+2; the n_mels + 2 edges are equally spaced on the mel scale between f_min and f_max."""
    bins = np.arange(cfg.n_fft // 2 + 1) * cfg.sample_rate / cfg.n_fft  # (K,) frequency of FFT bin k
    edges = mel_to_hz(np.linspace(hz_to_mel(cfg.f_min), hz_to_mel(cfg.f_max), cfg.n_mels + 2))  # (n_mels + 2,)
    lo, mid, hi = edges[:-2, None], edges[1:-1, None], edges[2:, None]  # (n_mels, 1) each
    rising = (bins[None, :] - lo) / (mid - lo)
    falling = (hi - bins[None, :]) / (hi - mid)
    return torch.from_numpy(np.clip(np.minimum(rising, falling), 0.0, None)).float()  # (n_mels, K)


def log_mel(wave: torch.Tensor, cfg: MelConfig) -> torch.Tensor:
    """x (T, n_mels): log-mel spectrogram of a 1-D float waveform (see the module docstring)."""
    window = torch.hann_window(cfg.n_fft)
    X = torch.stft(wave.float(), cfg.n_fft, cfg.hop_length, window=window, center=True, pad_mode="reflect",
                   return_complex=True)  # (K, T)
    power = X.abs() ** 2  # (K, T)  P_t(k)
    mel = mel_filterbank(cfg) @ power  # (n_mels, T)  M_t(m)
    return torch.log(mel + LOG_FLOOR).T  # (T, n_mels)


# -- the dataset ---------------------------------------------------------------------------------------
class SpeechDataError(ValueError):
    """The speech dataset cannot be used; the message is one sentence for the learner."""


@dataclass(frozen=True)
class Utterance:
    index: int  # position in the dataset
    text: str  # the transcript, e.g. "three seven nine"
    voice: str  # espeak-ng voice, e.g. "en-us+f3"
    speed: int  # words per minute
    pitch: int  # espeak-ng pitch 0-99
    split: str  # "train", or "test-voice" / "test-speed" (held out)
    audio: int  # index into SpeechData.audio, or -1 when no waveform is shipped for it

    @property
    def words(self) -> int:
        return len(self.text.split())

    @property
    def label(self) -> str:
        return f"#{self.index}: \"{self.text}\" ({self.voice}, {self.speed} wpm, pitch {self.pitch})"


@dataclass(frozen=True)
class SpeechData:
    mel: MelConfig
    utterances: list[Utterance]
    features: list[np.ndarray]  # per utterance (T, n_mels) float32 log-mel
    audio: list[np.ndarray]  # a handful of waveforms, float32 in [-1, 1] at audio_rate
    audio_rate: int
    held_out: dict  # {"voices": [...], "speeds": [...]}
    meta: dict  # the JSON as read

    def split(self, name: str) -> list[Utterance]:
        """"train", "test" (both held-out kinds), "test-voice" or "test-speed"."""
        if name == "test":
            return [u for u in self.utterances if u.split.startswith("test")]
        return [u for u in self.utterances if u.split == name]

    @property
    def voices(self) -> list[str]:
        return sorted({u.voice for u in self.utterances})

    @property
    def speeds(self) -> list[int]:
        return sorted({u.speed for u in self.utterances})

    def pick(self, split: str, voice: str | None = None, speed: int | None = None, words: int | None = None,
             with_audio: bool = False) -> list[Utterance]:
        """The utterances of a split matching every filter given (None: any), in dataset order."""
        return [u for u in self.split(split) if (voice is None or u.voice == voice) and (speed is None or u.speed == speed)
                and (words is None or u.words == words) and (not with_audio or u.audio >= 0)]


SPLITS = ("train", "test-voice", "test-speed")


def data_paths(directory: Path) -> tuple[Path, Path]:
    return directory / f"{DATA_NAME}.safetensors", directory / f"{DATA_NAME}.json"


def load_speech_data(directory: Path, checksums: dict[str, str] | None = None) -> SpeechData:
    """Read and validate both dataset files; SpeechDataError (one sentence) when anything is wrong.
    With `checksums` (file name -> sha256) each file must also match its recorded checksum."""
    import hashlib

    blobs = []
    for path in data_paths(directory):
        if not path.is_file():
            raise SpeechDataError(f"The speech dataset file {path.name} is missing; {REBUILD}.")
        if path.stat().st_size > MAX_DATA_BYTES:
            raise SpeechDataError(f"The speech dataset file {path.name} is larger than {MAX_DATA_BYTES // 2**20} MB, so it is not ours.")
        data = path.read_bytes()
        if checksums is not None and checksums.get(path.name) != hashlib.sha256(data).hexdigest():
            raise SpeechDataError(f"The speech dataset file {path.name} does not match its recorded checksum; {REBUILD}.")
        blobs.append(data)
    return parse_speech_data(*blobs)


def parse_speech_data(tensor_bytes: bytes, json_text: bytes | str) -> SpeechData:
    """Validate the two files' contents completely (format, shapes, dtypes, finite values, transcripts)."""
    from safetensors.torch import load as load_safetensors

    if len(json_text) > MAX_JSON_BYTES:
        raise SpeechDataError("The speech dataset's JSON file is too large to be ours.")
    try:
        meta = json.loads(json_text)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SpeechDataError(f"The speech dataset's JSON file is not valid JSON; {REBUILD}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise SpeechDataError(f"The speech dataset's JSON file is not a seqviz speech dataset (format is not \"{FORMAT}\").")
    if meta.get("version") != VERSION:
        raise SpeechDataError(f"The speech dataset has version {str(meta.get('version'))[:20]!r}; this app reads version {VERSION}.")
    try:
        mel = MelConfig(**meta["mel"])
        ok = all(isinstance(getattr(mel, k), int) and getattr(mel, k) > 0 for k in ("sample_rate", "n_fft", "hop_length", "n_mels"))
        audio_rate = meta["audio_rate"]
        held_out = meta["held_out"]
        ok = ok and isinstance(audio_rate, int) and audio_rate > 0 and isinstance(held_out, dict)
    except (KeyError, TypeError):
        ok = False
    if not ok:
        raise SpeechDataError("The speech dataset's JSON file lacks valid \"mel\", \"audio_rate\" or \"held_out\" settings.")
    if len(tensor_bytes) < 8 or struct.unpack("<Q", tensor_bytes[:8])[0] > min(2**20, len(tensor_bytes) - 8):
        raise SpeechDataError(f"The speech dataset's tensor file is not a valid safetensors file; {REBUILD}.")
    try:
        tensors = load_safetensors(tensor_bytes)
    except Exception:  # safetensors raises its own error type for every malformed file
        raise SpeechDataError(f"The speech dataset's tensor file is corrupt (bad header or offsets); {REBUILD}.") from None
    expected = {"features": torch.float16, "offsets": torch.int64, "audio": torch.int16, "audio_offsets": torch.int64}
    for key, dtype in expected.items():
        if key not in tensors or tensors[key].dtype != dtype:
            raise SpeechDataError(f"The speech dataset's tensor file lacks {key!r} as {str(dtype).removeprefix('torch.')}.")
    feats, offsets = tensors["features"], tensors["offsets"]
    rows = meta.get("utterances")
    if not isinstance(rows, list) or not rows:
        raise SpeechDataError("The speech dataset's JSON file lists no utterances.")
    if (feats.dim() != 2 or feats.shape[1] != mel.n_mels or offsets.shape != (len(rows) + 1,)
            or int(offsets[0]) != 0 or int(offsets[-1]) != feats.shape[0] or bool((offsets[1:] <= offsets[:-1]).any())):
        raise SpeechDataError("The speech dataset's features do not match its utterance list (shapes or offsets).")
    if not bool(torch.isfinite(feats).all()):
        raise SpeechDataError("The speech dataset's features contain NaN or infinite values.")
    audio, a_off = tensors["audio"], tensors["audio_offsets"]
    if (audio.dim() != 1 or a_off.dim() != 1 or len(a_off) < 1 or int(a_off[0]) != 0 or int(a_off[-1]) != len(audio)
            or bool((a_off[1:] <= a_off[:-1]).any())):
        raise SpeechDataError("The speech dataset's waveforms do not match their offsets.")
    n_audio = len(a_off) - 1
    vocab = char_vocab()
    utterances = []
    for i, row in enumerate(rows):
        try:
            u = Utterance(i, row["text"], row["voice"], row["speed"], row["pitch"], row["split"], row["audio"])
        except (KeyError, TypeError):
            raise SpeechDataError(f"Utterance {i} of the speech dataset lacks a field (text, voice, speed, pitch, split, audio).") from None
        if (not isinstance(u.text, str) or not u.text or vocab.unknown(u.text) or not isinstance(u.voice, str)
                or type(u.speed) is not int or type(u.pitch) is not int or u.split not in SPLITS
                or type(u.audio) is not int or not -1 <= u.audio < n_audio):
            raise SpeechDataError(f"Utterance {i} of the speech dataset has a bad transcript, label or audio index.")
        utterances.append(u)
    cut = offsets.tolist()
    features = [feats[a:b].float().numpy() for a, b in zip(cut, cut[1:])]
    a_cut = a_off.tolist()
    waves = [audio[a:b].float().numpy() / 32768.0 for a, b in zip(a_cut, a_cut[1:])]
    return SpeechData(mel, utterances, features, waves, audio_rate, held_out, meta)


# -- batches ----------------------------------------------------------------------------------------------
def encode_text(text: str, vocab: Vocab) -> list[int]:
    return vocab.encode(list(text))


def collate(data: SpeechData, items: list[Utterance], vocab: Vocab, features: list[np.ndarray] | None = None):
    """((x (B, T, F), lengths (B,), tgt_in (B, L)), targets (B, L)): padded features, <bos> + characters
    fed to the decoder, characters + <eos> to predict (IGNORE on padding)."""
    feats = [torch.from_numpy(data.features[u.index]) for u in items] if features is None else \
        [torch.from_numpy(f) for f in features]
    lengths = torch.tensor([len(f) for f in feats])
    x = torch.zeros(len(items), int(lengths.max()), data.mel.n_mels)
    for b, f in enumerate(feats):
        x[b, : len(f)] = f
    ids = [encode_text(u.text, vocab) for u in items]
    L = max(len(i) for i in ids) + 1
    tgt_in = torch.full((len(items), L), PAD_ID, dtype=torch.long)
    targets = torch.full((len(items), L), IGNORE, dtype=torch.long)
    for b, seq in enumerate(ids):
        tgt_in[b, : len(seq) + 1] = torch.tensor([BOS_ID, *seq])
        targets[b, : len(seq) + 1] = torch.tensor([*seq, EOS_ID])
    return (x, lengths, tgt_in), targets


def augment_features(f: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A new voice and pace for one training utterance (T, F): stretch time by a factor in [0.8, 1.25]
    (a faster or slower speaker) and warp the mel axis by a factor in [0.88, 1.12] (a longer or shorter
    vocal tract moves every formant), both by linear interpolation."""
    T, n = f.shape
    t_new = max(2, int(round(T * rng.uniform(0.8, 1.25))))
    t_pos = np.linspace(0, T - 1, t_new)
    f = np.stack([np.interp(t_pos, np.arange(T), f[:, m]) for m in range(n)], axis=1)  # (T', F)
    b_pos = np.clip(np.arange(n) * rng.uniform(0.88, 1.12), 0, n - 1)
    return np.stack([np.interp(b_pos, np.arange(n), row) for row in f]).astype(np.float32)  # (T', F)


def batches(data: SpeechData, seed: int, batch_size: int, vocab: Vocab, split: str = "train",
            augment: bool = True) -> Iterator:
    """An endless seeded stream of training batches from one split, each utterance new every time with
    `augment` (augment_features: cheap variety that helps with voices and paces never heard)."""
    pool = data.split(split)
    rng = np.random.default_rng(seed)
    while True:
        picks = [pool[i] for i in rng.choice(len(pool), size=min(batch_size, len(pool)), replace=False)]
        feats = [augment_features(data.features[u.index], rng) for u in picks] if augment else None
        yield collate(data, picks, vocab, feats)


# -- character error rate ------------------------------------------------------------------------------
def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: fewest substitutions, insertions and deletions turning a into b."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i]
        for j, cb in enumerate(b, start=1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def cer(hypotheses: list[str], references: list[str]) -> float:
    """Σ edit_distance(hyp, ref) / Σ len(ref): character error rate over a set of utterances."""
    total = sum(len(r) for r in references)
    return sum(edit_distance(h, r) for h, r in zip(hypotheses, references)) / max(total, 1)


def monotonic(argmax: list[int] | np.ndarray, tolerance: int = 0) -> bool:
    """True when the attention argmax (one encoder frame per output character) never moves back by more
    than `tolerance` frames from one character to the next."""
    a = np.asarray(argmax)
    return bool(len(a) < 2 or (np.diff(a) >= -tolerance).all())


def seconds(frames: int, cfg: MelConfig) -> float:
    return frames * cfg.frame_seconds


__all__ = ["WORDS", "char_vocab", "MelConfig", "mel_filterbank", "log_mel", "SpeechData", "Utterance",
           "SpeechDataError", "load_speech_data", "parse_speech_data", "collate", "batches", "edit_distance",
           "cer", "monotonic"]
