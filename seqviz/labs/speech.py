"""The speech lab: listen, attend and spell on spoken number words.

Shipped (`python -m seqviz.zoo build NAME`), loaded by `LAB.load(name, directory)`:

    speech-data        espeak-ng renders the utterances (apt-get installs it when missing); build_data
    speech-las         trains the model on the shipped dataset and writes speech-snapshots.json; build_model
    speech-snapshots   loaded from that same build (its Build runs build_model too)

speech-data: utterances of one to five number words ("three seven nine"), rendered by Debian's
espeak-ng across voices, speeds (words per minute) and pitches, trimmed of silence, turned into log-mel
spectrograms (seqviz.tasks.speech.log_mel: torch.stft and our own mel filterbank) and written as
float16 features into assets/speech-data.safetensors, with transcripts and labels in speech-data.json.
The test split is held out two ways: voices never heard in training (test-voice) and a speaking rate
never heard in training (test-speed). A few utterances also keep their waveform at 8 kHz (int16) for
playback; every utterance plays rebuilt from its features (seqviz.tasks.resynth), which costs no assets.
Nothing but this build needs espeak-ng.

speech-las: seqviz.models.las.LAS trained from its seed on the train split, one thread. Its JSON records
the CER on the whole test split, by split, voice and speed, the share of monotonic alignments, and the
CER on the first SUBSET test utterances, which a fast test recomputes. The same run writes
speech-snapshots.json: greedy transcript and attention weights (3 decimals) of a few test utterances at
SNAPSHOT_STEPS, and the CER on the subset at each.

`LAB.trace(ckpt, features, beam)` is the shipped model's LASTrace on one utterance's log-mel features;
`learner_run(...)` starts the learner's own model (random weights or a copy of the shipped one).

Budget (2.5 MB for all of this lab's assets): ~1.5 MB features, ~0.2 MB audio, ~0.6 MB weights,
~0.1 MB snapshots.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from types import MappingProxyType

from seqviz.checkpoints import read_checksums, save_checkpoint, sha256
from seqviz.labs.base import Lab, PageSpec
from seqviz.shipped import ASSETS, CHECKSUMS, Build, SnapshotError, load_verified, rebuild_hint, record_checksums
from seqviz.tasks import speech
from seqviz.tasks.speech import MelConfig, SpeechDataError, char_vocab

TRAIN_VOICES = ("en-us", "en-gb-scotland", "en-029", "en-us+f3", "en+m3", "en-gb-x-gbclan+f2")
TEST_VOICES = ("en-gb-x-rp", "en-029+f4")
TRAIN_SPEEDS = (130, 150, 190, 210)
TEST_SPEEDS = (170,)
PITCHES = (30, 40, 50, 60, 70, 80)
COUNTS = {"train": 640, "test-voice": 100, "test-speed": 100}
AUDIO_PER_SPLIT = 4  # waveforms kept for playback, the first of each split
AUDIO_RATE = 8000
DATA_SEED = 2026

MODEL_NAME = "speech-las"
SNAPSHOTS_NAME = "speech-snapshots"
SNAPSHOTS_FORMAT, SNAPSHOTS_VERSION = "seqviz-speech-snapshots", 1
MAX_SNAPSHOT_BYTES = 600 * 2**10


# -- the dataset --------------------------------------------------------------------------------------
def ensure_espeak(log=print) -> str:
    """The espeak-ng executable; installs Debian's package when it is missing (the build runs as root)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        log("speech-data: espeak-ng is missing; installing Debian's package (apt-get install -y espeak-ng)")
        subprocess.run(["apt-get", "install", "-y", "espeak-ng"], check=True)
        exe = shutil.which("espeak-ng")
        if exe is None:
            raise SystemExit("espeak-ng could not be installed; install it with `apt-get install -y espeak-ng`.")
    return exe


def render(exe: str, text: str, voice: str, speed: int, pitch: int) -> np.ndarray:
    """espeak-ng's waveform for `text` (float32 in [-1, 1], 22,050 Hz), trimmed to the speech plus 40 ms."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "u.wav"
        subprocess.run([exe, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(path), text], check=True,
                       capture_output=True)
        with wave.open(str(path)) as w:
            assert w.getframerate() == MelConfig().sample_rate and w.getsampwidth() == 2
            x = np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16).astype(np.float32) / 32768.0
    loud = np.nonzero(np.abs(x) > 0.02 * np.abs(x).max())[0]
    margin = int(0.04 * MelConfig().sample_rate)
    return x[max(loud[0] - margin, 0): loud[-1] + margin]


def downsample(x: np.ndarray, rate_in: int, rate_out: int = AUDIO_RATE) -> np.ndarray:
    """Low-pass (windowed sinc at 0.45·rate_out) then linear interpolation: a playback copy, not for features."""
    cutoff = 0.45 * rate_out / rate_in  # cycles per input sample
    n = np.arange(-64, 65)
    taps = 2 * cutoff * np.sinc(2 * cutoff * n) * np.hamming(len(n))
    y = np.convolve(x, taps / taps.sum(), mode="same")
    t = np.arange(0, len(x) - 1, rate_in / rate_out)
    return np.interp(t, np.arange(len(x)), y).astype(np.float32)


def plan(seed: int = DATA_SEED) -> list[dict]:
    """What to render: (text, voice, speed, pitch, split) for every utterance, seeded."""
    rng = np.random.default_rng(seed)
    rows = []
    for split, n in COUNTS.items():
        voices = TEST_VOICES if split == "test-voice" else TRAIN_VOICES
        speeds = TEST_SPEEDS if split == "test-speed" else TRAIN_SPEEDS
        for _ in range(n):
            words = [speech.WORDS[k] for k in rng.integers(0, 10, size=rng.integers(1, 6))]
            rows.append({"text": " ".join(words), "voice": str(rng.choice(voices)), "speed": int(rng.choice(speeds)),
                         "pitch": int(rng.choice(PITCHES)), "split": split})
    return rows


def build_data(directory: Path = ASSETS, log=print) -> dict:
    from safetensors.torch import save as save_safetensors

    torch.set_num_threads(1)
    exe = ensure_espeak(log)
    version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout.strip()
    mel = MelConfig()
    rows, feats, audio = plan(), [], []
    start = time.perf_counter()
    seen = {s: 0 for s in COUNTS}
    for k, row in enumerate(rows):
        x = render(exe, row["text"], row["voice"], row["speed"], row["pitch"])
        feats.append(speech.log_mel(torch.from_numpy(x), mel).to(torch.float16))
        row["audio"] = -1
        if seen[row["split"]] < AUDIO_PER_SPLIT:
            seen[row["split"]] += 1
            row["audio"] = len(audio)
            y = downsample(x, mel.sample_rate)
            audio.append(torch.from_numpy(np.round(np.clip(y, -1, 1) * 32767).astype(np.int16)))
        if (k + 1) % 100 == 0:
            log(f"speech-data: {k + 1}/{len(rows)} rendered ({time.perf_counter() - start:.0f} s)")
    lengths = [len(f) for f in feats]
    tensors = {
        "features": torch.cat(feats),  # (Σ T, n_mels) float16
        "offsets": torch.tensor(np.concatenate([[0], np.cumsum(lengths)]), dtype=torch.int64),
        "audio": torch.cat(audio),
        "audio_offsets": torch.tensor(np.concatenate([[0], np.cumsum([len(a) for a in audio])]), dtype=torch.int64),
    }
    meta = {
        "format": speech.FORMAT, "version": speech.VERSION, "mel": dataclasses.asdict(mel), "audio_rate": AUDIO_RATE,
        "held_out": {"voices": list(TEST_VOICES), "speeds": list(TEST_SPEEDS)},
        "train": {"voices": list(TRAIN_VOICES), "speeds": list(TRAIN_SPEEDS)}, "pitches": list(PITCHES),
        "seed": DATA_SEED, "renderer": version, "command": "python -m seqviz.zoo build speech-data",
        "utterances": rows,
    }
    directory.mkdir(parents=True, exist_ok=True)
    t_path, j_path = speech.data_paths(directory)
    t_path.write_bytes(save_safetensors(tensors))
    j_path.write_text(json.dumps(meta, separators=(",", ":")) + "\n")
    record_checksums((t_path, j_path), directory)
    info = {"utterances": len(rows), "frames": int(sum(lengths)), "mean_seconds": float(np.mean(lengths)) * mel.frame_seconds,
            "bytes": t_path.stat().st_size + j_path.stat().st_size, "render_seconds": round(time.perf_counter() - start, 1)}
    log(f"speech-data: {info}")
    return info


def load_data(directory: Path = ASSETS) -> speech.SpeechData:
    """The shipped dataset, checksum-verified and validated; SpeechDataError (one sentence) otherwise."""
    sums = read_checksums(directory / CHECKSUMS.name)
    names = [p.name for p in speech.data_paths(directory)]
    if any(n not in sums for n in names) and all(p.is_file() for p in speech.data_paths(directory)):
        raise SpeechDataError(f"The speech dataset has no recorded checksum; {speech.REBUILD}.")
    return speech.load_speech_data(directory, sums)


# -- the model ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpeechRecipe:
    seed: int = 0
    steps: int = 1200
    lr: float = 3e-3
    batch_size: int = 32
    subset_size: int = 60  # the first test utterances whose CER a fast test recomputes
    snapshot_steps: tuple[int, ...] = (0, 25, 50, 100, 200, 400, 800, 1200)  # the last is `steps`
    snapshot_utterances: int = 3
    description: str = ("Listen, attend and spell: conv + BiGRU listener, GRU speller with location-aware "
                        "attention, for spoken number words.")

    def build_model(self, n_mels: int):
        from seqviz.models.las import LAS, LASConfig

        torch.manual_seed(self.seed)
        return LAS(LASConfig(vocab_size=len(char_vocab()), n_mels=n_mels))


RECIPE = SpeechRecipe()


def test_items(data: speech.SpeechData) -> list:
    """The test split interleaved (voice, speed, voice, ...), so any prefix holds both held-out kinds."""
    v, s = data.split("test-voice"), data.split("test-speed")
    out = [u for pair in zip(v, s) for u in pair]
    return out + v[len(s):] + s[len(v):]


def snapshot_items(data: speech.SpeechData, n: int) -> list:
    """Test utterances of three to five words: long enough to show an alignment walking."""
    return [u for u in test_items(data) if u.words >= 3][:n]


def build_model(directory: Path = ASSETS, log=print, recipe: SpeechRecipe = RECIPE) -> dict:
    from seqviz.models.las import evaluate_speech
    from seqviz.training import TrainingRun

    torch.set_num_threads(1)
    data = load_data(directory)
    vocab = char_vocab()
    model = recipe.build_model(data.mel.n_mels)
    run = TrainingRun.start(model, speech.batches(data, recipe.seed + 1, recipe.batch_size, vocab), lr=recipe.lr)
    tests = test_items(data)
    subset = tests[: recipe.subset_size]
    snap_items = snapshot_items(data, recipe.snapshot_utterances)
    records = [{"index": u.index, "text": u.text, "voice": u.voice, "speed": u.speed, "outputs": [], "weights": []}
               for u in snap_items]
    snap_cer = []
    start = time.perf_counter()
    for target in recipe.snapshot_steps:
        for event in run.train(target - run.step):
            if event.step % 100 == 0:
                log(f"{MODEL_NAME}: step {event.step} loss {event.loss:.4f} ({time.perf_counter() - start:.0f} s)")
        snap_cer.append(round(evaluate_speech(model, data, subset, vocab)["cer"], 4))
        for u, rec in zip(snap_items, records):
            tr = model.trace(data.features[u.index], vocab)
            rec["outputs"].append(tr.output_tokens)
            rec["weights"].append([[round(float(w), 3) for w in row] for row in tr.weights])
        log(f"{MODEL_NAME}: step {target} subset CER {snap_cer[-1]:.3f} ({time.perf_counter() - start:.0f} s)")
    train_seconds = time.perf_counter() - start
    full = evaluate_speech(model, data, tests, vocab)
    part = evaluate_speech(model, data, subset, vocab)
    metrics = {k: v for k, v in full.items() if k != "hypotheses"}
    metrics["subset"] = {"utterances": len(subset), "cer": part["cer"], "monotonic": part["monotonic"]}
    train_cer = evaluate_speech(model, data, data.split("train")[:200], vocab)["cer"]
    metrics["train_cer_first_200"] = train_cer
    meta = {
        "description": recipe.description, "vocab": vocab.to_list(),
        "recipe": {**{f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe) if f.name != "description"},
                   "optimizer": "Adam", "grad_clip": run.grad_clip, "augment": "time stretch x0.8-1.25, mel warp x0.88-1.12 (seqviz.tasks.speech.augment_features)"},
        "data": {"name": speech.DATA_NAME, "sha256": read_checksums(directory / CHECKSUMS.name).get(f"{speech.DATA_NAME}.safetensors")},
        "seed": recipe.seed, "metrics": metrics, "train_seconds": round(train_seconds, 1),
        "torch_version": torch.__version__, "command": f"python -m seqviz.zoo build {MODEL_NAME}",
    }
    paths = save_checkpoint(model, meta, directory, MODEL_NAME)
    snap = {"format": SNAPSHOTS_FORMAT, "version": SNAPSHOTS_VERSION, "steps": list(recipe.snapshot_steps),
            "cer": snap_cer, "eval_utterances": len(subset), "utterances": records,
            "command": f"python -m seqviz.zoo build {MODEL_NAME}"}
    snap_path = directory / f"{SNAPSHOTS_NAME}.json"
    snap_path.write_text(json.dumps(snap, separators=(",", ":")) + "\n")
    record_checksums([*paths, snap_path], directory)
    log(f"{MODEL_NAME}: trained {train_seconds:.0f} s; CER {metrics['cer']:.4f}, by split "
        f"{ {k: round(v['cer'], 4) for k, v in metrics['by_split'].items()} }, monotonic {metrics['monotonic']:.3f}")
    return metrics


# -- snapshots ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpeechSnapshots:
    steps: list[int]
    cer: list[float]  # per step, on eval_utterances test utterances
    eval_utterances: int
    utterances: list[dict]  # index, text, voice, speed, outputs (per step), weights (per step, L x S)


def load_snapshots(directory: Path = ASSETS) -> SpeechSnapshots:
    path = directory / f"{SNAPSHOTS_NAME}.json"
    rebuild = rebuild_hint(MODEL_NAME)
    if not path.is_file():
        raise SnapshotError(f"The snapshot file {path.name} is missing; {rebuild}.")
    if path.stat().st_size > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"The snapshot file {path.name} is too large to be ours.")
    if read_checksums(directory / CHECKSUMS.name).get(path.name) != sha256(path):
        raise SnapshotError(f"The snapshot file {path.name} does not match its checksum; {rebuild}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise SnapshotError(f"The snapshot file {path.name} is not valid JSON.") from None
    try:
        ok = data["format"] == SNAPSHOTS_FORMAT and data["version"] == SNAPSHOTS_VERSION
        steps, cer, utts = data["steps"], data["cer"], data["utterances"]
        ok = ok and len(steps) == len(cer) >= 1 and all(type(s) is int for s in steps) and len(utts) >= 1
        for rec in utts:
            ok = ok and len(rec["outputs"]) == len(rec["weights"]) == len(steps)
            for out, W in zip(rec["outputs"], rec["weights"]):
                arr = np.asarray(W, dtype=float)
                ok = ok and arr.ndim == 2 and arr.shape[0] == len(out) and np.isfinite(arr).all() \
                    and bool(np.allclose(arr.sum(1), 1, atol=0.02))
    except (KeyError, TypeError, ValueError):
        ok = False
    if not ok:
        raise SnapshotError(f"The snapshot file {path.name} is not a valid speech snapshot file; {rebuild}.")
    return SpeechSnapshots(steps, [float(c) for c in cer], int(data.get("eval_utterances", 0)), utts)


# -- the learner's own model --------------------------------------------------------------------------------
CHECK_UTTERANCES = 40  # held-out utterances the learner's model transcribes after each chunk of training
ORIGINS = ("random weights", "the shipped model")


def learner_run(ckpt, data: speech.SpeechData, origin: str):
    """(run, meta) for the learner's own model: random weights (the recipe's seed, without moving the
    server's random state) or a copy of the shipped model (the cached original is never trained). `meta`
    is what its checkpoint download writes besides architecture and config: the shipped model's vocabulary."""
    from seqviz.models.las import LAS
    from seqviz.models.recurrent import copy_model
    from seqviz.training import TrainingRun

    if origin == ORIGINS[1]:
        model = copy_model(ckpt.model)
    else:
        with torch.random.fork_rng():
            torch.manual_seed(RECIPE.seed)
            model = LAS(ckpt.model.cfg)
    run = TrainingRun.start(model, speech.batches(data, 1000, RECIPE.batch_size, ckpt.vocab), lr=RECIPE.lr)
    return run, {"vocab": ckpt.vocab.to_list()}


def held_out_cer(model, data: speech.SpeechData, vocab, n: int = CHECK_UTTERANCES) -> float:
    """The CER of a model's greedy transcripts on the first n held-out utterances (both held-out kinds)."""
    from seqviz.models.las import evaluate_speech

    return evaluate_speech(model, data, test_items(data)[:n], vocab)["cer"]


# -- the lab -------------------------------------------------------------------------------------------------
def load(name: str, directory: Path = ASSETS):
    """Any shipped file of the lab: the dataset (SpeechDataError), the checkpoint (CheckpointError) or the
    snapshots (SnapshotError), checksum-verified and validated; each error is one sentence."""
    if name == speech.DATA_NAME:
        return load_data(directory)
    if name == SNAPSHOTS_NAME:
        return load_snapshots(directory)
    return load_verified(name, directory)


def trace(ckpt, features: np.ndarray, beam: int = 1):
    """The LASTrace of the speech checkpoint on one utterance's log-mel features (T, n_mels): greedy, or
    beam search of width `beam`."""
    return ckpt.model.trace(features, ckpt.vocab, beam=beam)


def _build_model(directory: Path, log) -> dict:
    return build_model(directory, log)

LAB = Lab(
    name="speech",
    title="Speech",
    pages=(
        PageSpec("pages/speech_recognition.py", "Speech recognition with attention", ":material/graphic_eq:", "speech",
                 "Listen, attend and spell: hear spoken number words, see the spectrogram and the attention walk across it as the model spells."),
    ),
    builds=MappingProxyType({
        speech.DATA_NAME: Build("Spoken number words rendered by espeak-ng: log-mel features, transcripts, a few "
                                "waveforms.", lambda d, log: build_data(d, log)),
        MODEL_NAME: Build("Listen-attend-spell on the speech data (also writes speech-snapshots.json).", _build_model),
        # the same training run writes both files: one `run`, which `zoo build` runs once
        SNAPSHOTS_NAME: Build("Transcripts, attention and CER across speech-las's training (written by its build).",
                              _build_model),
    }),
    load=load,
    trace=trace,
)
