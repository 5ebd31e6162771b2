"""RNN, LSTM and GRU trained side by side on the recall task, and accuracy against the lag.

The recurrent lab's experiment: the same task (remember the first of 8 symbols for `lag` steps),
the same seed and the same batches for every architecture, so the only thing that differs is the
cell. No streamlit here; the page `pages/rnn_compare.py` drives it in chunks.

    comp = Comparison.start(["rnn", "lstm", "gru"], Settings(lag=30))
    for event in comp.train(200, eval_every=25):   # every model takes step k on the same batch k
        ...                                        # event.step, event.losses, event.evaluated
    eval_frame(comp)                               # held-out accuracy of each model after each chunk

    for event in run_sweep(["rnn", "lstm", "gru"], [5, 10, 30], steps=600, settings=Settings()):
        ...                                        # event.points: accuracy after `steps` at one lag

    python -m seqviz.zoo build recall-lag-sweep    # writes assets/recall-lag-sweep.json (+ checksum)

Same batches: `SharedBatches` draws each batch once from `RecallTask.batches` and hands batch k to
every reader in turn, so each model's `TrainingRun` (the one training loop, seqviz.training) reads
the same stream. Same initial seed: `torch.manual_seed(seed)` right before each model is built.
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import torch

from seqviz.checkpoints import read_checksums, sha256
from seqviz.shipped import ASSETS, rebuild_hint
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet, remember_by_default
from seqviz.tasks import RecallTask
from seqviz.training import TrainingRun, evaluate

ARCHS = ("rnn", "lstm", "gru")
LABELS = {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}
CHANCE = 1 / 8  # 8 symbols: guessing is right 12.5% of the time, with loss ln 8 ≈ 2.08 nats
GATE_BIAS = 3.0  # σ(3) ≈ 0.95: the LSTM forget gate and the GRU update gate start mostly open

# The bounds a page's widgets enforce; Settings refuses anything outside them.
LAG_RANGE = (1, 100)
HIDDEN_RANGE = (4, 128)
LAYERS_RANGE = (1, 2)
LR_RANGE = (1e-4, 3e-2)
SEED_RANGE = (0, 10_000)

TEST_SEED, TEST_SIZE = 1234, 300  # the held-out texts; training streams use seed + 1 (seed <= 10,000)

SWEEP_NAME = "recall-lag-sweep"  # its name in the labs' registry: `python -m seqviz.zoo build recall-lag-sweep`
SWEEP_FILE = f"{SWEEP_NAME}.json"
SWEEP_FORMAT, SWEEP_VERSION = "seqviz-lag-sweep", 1
MAX_SWEEP_BYTES = 2**20
BUILD_LAGS = (5, 10, 20, 30, 45, 60)
BUILD_STEPS = 800


@dataclass(frozen=True)
class Settings:
    """What every model of one comparison shares (the architecture is the only difference)."""

    lag: int = 30  # distractor digits between the symbol and the answer
    hidden_size: int = 32  # H: units per layer
    num_layers: int = 1  # stacked layers
    lr: float = 3e-3  # Adam's learning rate
    seed: int = 0  # initial weights (torch.manual_seed) and the training stream (seed + 1)
    gate_bias: float = GATE_BIAS  # LSTM forget / GRU update gate bias at init; 0 keeps PyTorch's init
    batch_size: int = 64

    def __post_init__(self):
        for name, (lo, hi) in [("lag", LAG_RANGE), ("hidden_size", HIDDEN_RANGE), ("num_layers", LAYERS_RANGE),
                               ("lr", LR_RANGE), ("seed", SEED_RANGE), ("batch_size", (1, 512))]:
            value = getattr(self, name)
            if not lo <= value <= hi:
                raise ValueError(f"{name} must lie between {lo:g} and {hi:g}, not {value:g}.")
        if not 0 <= self.gate_bias <= 10:
            raise ValueError(f"gate_bias must lie between 0 and 10, not {self.gate_bias:g}.")

    def differences(self, other: "Settings") -> list[str]:
        """Readable names of the fields that differ from `other`."""
        names = {"lag": "lag", "hidden_size": "hidden size", "num_layers": "layers", "lr": "learning rate",
                 "seed": "seed", "gate_bias": "gate-bias initialisation", "batch_size": "batch size"}
        return [names[f.name] for f in dataclasses.fields(self) if getattr(self, f.name) != getattr(other, f.name)]


def memory_kept(lag: int, gate_bias: float) -> float:
    """σ(gate_bias)^lag: what a gate held at its initial value keeps of a memory (and its gradient) over `lag` steps."""
    return (1 / (1 + math.exp(-gate_bias))) ** lag


def describe(settings: Settings, steps: int | None = None) -> str:
    """One line for a legend: 'h32, 1 layer, lr 0.003, gate bias 3, seed 0, 1000 steps'."""
    parts = [f"h{settings.hidden_size}", f"{settings.num_layers} layer{'s' if settings.num_layers > 1 else ''}",
             f"lr {settings.lr:g}", f"gate bias {settings.gate_bias:g}" if settings.gate_bias else "gate bias off",
             f"seed {settings.seed}"]
    return ", ".join(parts + ([f"{steps:,} steps"] if steps else []))


def build_model(arch: str, hidden_size: int, num_layers: int, lag: int, seed: int, gate_bias: float) -> RecurrentNet:
    """An untrained recall model: one answer per text, read after its last character."""
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}, not {arch!r}.")
    task = RecallTask(lag=lag)
    torch.manual_seed(seed)  # the same seed for every architecture
    model = RecurrentNet(RecurrentConfig(len(task.vocab()), task.num_classes, arch, hidden_size, num_layers,
                                         output="last"))
    # "Remember by default": f_t ≈ z_t ≈ σ(gate_bias) at the start, so a memory (and its gradient)
    # survives many steps before training has taught the gates anything. No-op for the RNN.
    return remember_by_default(model, gate_bias) if gate_bias else model


# -- the same batches for every model -------------------------------------------------------------
class SharedBatches:
    """Draw each batch once from `source`; every reader gets batch 0, 1, 2, ... in that order.

    A batch is dropped once every reader has taken it, so lockstep readers hold one batch at a time;
    a reader that fell one step behind (a chunk interrupted between two models) still finds its batch.
    """

    def __init__(self, source: Iterator[tuple[torch.Tensor, torch.Tensor]]):
        self.source = source
        self.drawn = 0  # batches taken from the source so far
        self.buffer: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}
        self.readers: list[BatchReader] = []

    def reader(self) -> "BatchReader":
        if self.drawn:
            raise RuntimeError("Every reader must join before the first batch is drawn.")
        r = BatchReader(self)
        self.readers.append(r)
        return r

    def _get(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        while self.drawn <= k:
            self.buffer[self.drawn] = next(self.source)
            self.drawn += 1
        return self.buffer[k]

    def _release(self) -> None:
        low = min(r.position for r in self.readers)
        for k in [k for k in self.buffer if k < low]:
            del self.buffer[k]


class BatchReader:
    """One model's view of a SharedBatches stream: an iterator, as TrainingRun expects."""

    def __init__(self, shared: SharedBatches):
        self.shared = shared
        self.position = 0  # index of the next batch this reader takes

    def __iter__(self):
        return self

    def __next__(self):
        batch = self.shared._get(self.position)
        self.position += 1
        self.shared._release()
        return batch


# -- training side by side ------------------------------------------------------------------------
@dataclass(frozen=True)
class CompareEvent:
    step: int  # steps every model has taken after this event
    done: int  # steps of this chunk done
    total: int  # steps asked for in this chunk
    losses: dict[str, float]  # arch -> loss of the batch just used
    evaluated: bool  # held-out accuracy was measured at this step


@dataclass
class Comparison:
    """Several models in training on one task, one seed and one batch stream: lives in one session."""

    settings: Settings
    task: RecallTask
    runs: dict[str, TrainingRun]  # arch -> run (model, optimiser, every step's loss)
    batches: SharedBatches
    test: tuple[torch.Tensor, torch.Tensor]  # x (N, lag + 1), y (N,): TEST_SIZE texts from TEST_SEED
    evals: dict[str, list[dict]] = field(default_factory=dict)  # arch -> [{"step", "loss", "accuracy"}]
    seconds: dict[str, float] = field(default_factory=dict)  # arch -> time spent in its training steps

    @classmethod
    def start(cls, archs, settings: Settings) -> "Comparison":
        archs = [a for a in ARCHS if a in archs]  # a fixed order, whatever order they were picked in
        if not archs:
            raise ValueError("Choose at least one architecture.")
        s = settings
        task = RecallTask(lag=s.lag)
        vocab = task.vocab()
        shared = SharedBatches(task.batches(s.seed + 1, s.batch_size, vocab))
        runs = {a: TrainingRun.start(build_model(a, s.hidden_size, s.num_layers, s.lag, s.seed, s.gate_bias),
                                     shared.reader(), lr=s.lr, origin="scratch") for a in archs}
        test = task.tensors(task.dataset(TEST_SIZE, TEST_SEED), vocab)
        comp = cls(s, task, runs, shared, test, {a: [] for a in archs}, {a: 0.0 for a in archs})
        comp.evaluate()  # step 0: untrained models sit near chance
        return comp

    @property
    def archs(self) -> list[str]:
        return list(self.runs)

    @property
    def step(self) -> int:
        """Steps every model has taken (one model may be a step ahead after an interrupted chunk)."""
        return min(r.step for r in self.runs.values())

    def evaluate(self) -> dict[str, float]:
        """Held-out accuracy of every model now; recorded in its history and in run.metrics."""
        out = {}
        for arch, run in self.runs.items():
            m = evaluate(run.model, *self.test)
            run.metrics = {"step": run.step, **m}
            self.evals[arch].append({"step": run.step, "loss": m["loss"], "accuracy": m["accuracy"]})
            out[arch] = m["accuracy"]
        return out

    def train(self, n: int, eval_every: int = 25) -> Iterator[CompareEvent]:
        """n more steps for every model, in lockstep: step k of every model uses batch k.

        Held-out accuracy is measured every `eval_every` steps and after the last. Each step is
        recorded (TrainingRun.history) before it is yielded, so stopping at any point keeps it all.
        """
        target = max(r.step for r in self.runs.values()) + n
        gens = {a: r.train(target - r.step) for a, r in self.runs.items()}
        try:
            for s in range(self.step + 1, target + 1):
                losses = {}
                for arch, gen in gens.items():
                    if self.runs[arch].step < s:
                        t0 = time.perf_counter()
                        losses[arch] = next(gen).loss
                        self.seconds[arch] += time.perf_counter() - t0
                evaluated = s % eval_every == 0 or s == target
                if evaluated:
                    self.evaluate()
                yield CompareEvent(s, n - (target - s), n, losses, evaluated)
        finally:
            for gen in gens.values():
                gen.close()  # leaves every model in eval mode

    def ms_per_step(self, arch: str) -> float | None:
        run = self.runs[arch]
        return 1000 * self.seconds[arch] / run.step if run.step else None

    def label(self, arch: str) -> str:
        """The name other pages show for this model, e.g. 'LSTM h32, lag 30'."""
        return f"{arch.upper()} h{self.settings.hidden_size}, lag {self.settings.lag}"


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` values at each position (fewer at the start): a readable loss curve."""
    c = np.cumsum(np.insert(np.asarray(values, dtype=np.float64), 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def loss_frame(comp: Comparison, window: int = 20) -> pd.DataFrame:
    """Every training step of every model: arch, step, loss and its running mean over `window` steps."""
    frames = []
    for arch, run in comp.runs.items():
        losses = np.array([e.loss for e in run.history])
        frames.append(pd.DataFrame({"arch": arch, "step": np.array([e.step for e in run.history], dtype=int),
                                    "loss": losses, "smoothed": smooth(losses, window)}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["arch", "step", "loss", "smoothed"])


def eval_frame(comp: Comparison) -> pd.DataFrame:
    """Every held-out evaluation: arch, step, accuracy, loss."""
    rows = [{"arch": arch, **e} for arch, evals in comp.evals.items() for e in evals]
    return pd.DataFrame(rows, columns=["arch", "step", "accuracy", "loss"])


def mismatch(comp: "Comparison | None", archs, settings: Settings) -> list[str]:
    """What the learner changed since `comp` was started (readable names); empty when it can go on training."""
    if comp is None:
        return []
    return comp.settings.differences(settings) + (["architectures"] if comp.archs != [a for a in ARCHS if a in archs] else [])


# -- how long things take (a rough guide for the page's time limit) --------------------------------
MS_PER_STEP_LAG30 = {"rnn": 4.0, "lstm": 6.0, "gru": 12.0}  # batch 64, hidden 32, 1 layer, 1 thread, measured


def estimate_seconds(archs, lags, steps: int, hidden_size: int, num_layers: int) -> float:
    """Rough training time: time per step grows with the sequence length, the layers and the width."""
    width = max(1.0, hidden_size / 32)
    per_step = sum((1.5 + MS_PER_STEP_LAG30[a] * (lag + 1) / 31 * num_layers * width) / 1000
                   for a in archs for lag in lags)
    return per_step * steps


def chunk_seconds(comp: "Comparison | None", archs, settings: Settings, steps: int) -> float:
    """How long `steps` more steps will take: measured on this server once `comp` has trained, else estimated."""
    if comp is not None and comp.step and not mismatch(comp, archs, settings):
        return sum(comp.ms_per_step(a) for a in comp.archs) * steps / 1000
    return estimate_seconds(archs, [settings.lag], steps, settings.hidden_size, settings.num_layers)


# -- accuracy against lag --------------------------------------------------------------------------
@dataclass(frozen=True)
class SweepPoint:
    arch: str
    lag: int
    accuracy: float  # held-out accuracy after `steps` steps
    loss: float
    steps: int
    seconds: float  # training time of this model
    curve: tuple[tuple[int, float], ...] = ()  # (step, held-out accuracy) along the way


@dataclass(frozen=True)
class Sweep:
    """Accuracy after a fixed number of steps, for each architecture at each lag, with one setting."""

    settings: Settings  # what every model shared; its lag is unused (set to 1): each point has its own
    steps: int
    points: tuple[SweepPoint, ...]
    seconds: float = 0.0  # wall-clock time of the whole sweep
    meta: dict = field(default_factory=dict, compare=False)  # torch version, threads, command

    def __post_init__(self):
        object.__setattr__(self, "settings", dataclasses.replace(self.settings, lag=LAG_RANGE[0]))

    def to_json(self) -> str:
        s = dataclasses.asdict(self.settings)
        s.pop("lag")
        return json.dumps({
            "format": SWEEP_FORMAT, "version": SWEEP_VERSION,
            "task": {"name": RecallTask.name, "symbols": len(RecallTask.symbols), "chance": CHANCE,
                     "test_seed": TEST_SEED, "test_size": TEST_SIZE},
            "settings": {**s, "steps": self.steps, "optimizer": "Adam", "grad_clip": 1.0},
            "seconds": round(self.seconds, 1), **self.meta,
            "points": [{**dataclasses.asdict(p), "curve": [list(c) for c in p.curve]} for p in self.points],
        }, indent=1)


@dataclass(frozen=True)
class SweepEvent:
    done: int  # model-steps done (each lag's models step together, so a step counts once)
    total: int  # lags x steps
    lag: int  # the lag being trained
    points: tuple[SweepPoint, ...] = ()  # set once a lag is finished: one point per architecture
    stopped: bool = False  # ran past max_seconds: the lags finished so far are kept


def run_sweep(archs, lags, steps: int, settings: Settings, eval_every: int = 100,
              max_seconds: float | None = None) -> Iterator[SweepEvent]:
    """For each lag, train every architecture side by side for `steps` steps and record its accuracy."""
    lags = sorted(set(int(l) for l in lags))
    total, done, start = len(lags) * steps, 0, time.perf_counter()
    for lag in lags:
        comp = Comparison.start(archs, dataclasses.replace(settings, lag=lag))
        for event in comp.train(steps, eval_every=eval_every):
            done += 1
            yield SweepEvent(done, total, lag)
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                yield SweepEvent(done, total, lag, stopped=True)
                return
        points = tuple(
            SweepPoint(arch, lag, round(comp.evals[arch][-1]["accuracy"], 4), round(comp.evals[arch][-1]["loss"], 4),
                       steps, round(comp.seconds[arch], 2),
                       tuple((e["step"], round(e["accuracy"], 4)) for e in comp.evals[arch]))
            for arch in comp.archs)
        yield SweepEvent(done, total, lag, points)


def solved_up_to(sweep: Sweep, arch: str, threshold: float = 0.99) -> int | None:
    """The longest lag up to which every lag tried reached `threshold` (None if the shortest did not)."""
    reached = None
    for p in sorted((p for p in sweep.points if p.arch == arch), key=lambda p: p.lag):
        if p.accuracy < threshold:
            break
        reached = p.lag
    return reached


def accuracy_at(sweep: Sweep, lag: int) -> dict[str, float]:
    """Held-out accuracy of each architecture at one lag of the sweep, by its label."""
    return {LABELS[p.arch]: p.accuracy for p in sweep.points if p.lag == lag}


def sweeps_frame(shipped: Sweep | None, live: list[Sweep]) -> pd.DataFrame:
    """Every point to draw: the shipped sweep ("shipped") and the learner's live ones ("yours 1", ...)."""
    frames = ([sweep_frame(shipped, "shipped")] if shipped else []) + [
        sweep_frame(s, f"yours {k}") for k, s in enumerate(live, start=1)]
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else sweep_frame(Sweep(Settings(), 1, ()), "")


def sweep_frame(sweep: Sweep, source: str) -> pd.DataFrame:
    """One row a point: source (a legend name), arch, lag, accuracy, steps, and the settings line."""
    return pd.DataFrame([{"source": source, "arch": p.arch, "lag": p.lag, "accuracy": p.accuracy,
                          "loss": p.loss, "steps": p.steps, "settings": describe(sweep.settings, p.steps)}
                         for p in sweep.points],
                        columns=["source", "arch", "lag", "accuracy", "loss", "steps", "settings"])


# -- the shipped sweep: a file, so validated before use ---------------------------------------------
class SweepError(ValueError):
    """A sweep file that cannot be used; the message is one sentence for the learner."""


def _number(value, name: str, lo: float, hi: float, integer: bool = False) -> float:
    ok_type = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok_type or not math.isfinite(value) or not lo <= value <= hi:
        kind = "a whole number" if integer else "a number"
        raise SweepError(f"The lag sweep file has a bad {name}: expected {kind} between {lo:g} and {hi:g}.")
    return value


def parse_sweep(text: str) -> Sweep:
    """A Sweep from the JSON text of a sweep file, or SweepError with one sentence."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise SweepError("The lag sweep file is not valid JSON.") from None
    if not isinstance(data, dict) or data.get("format") != SWEEP_FORMAT:
        raise SweepError("The lag sweep file is not a seqviz lag sweep.")
    if data.get("version") != SWEEP_VERSION:
        raise SweepError(f"The lag sweep file has version {data.get('version')!r}; this app reads version {SWEEP_VERSION}.")
    s = data.get("settings")
    points = data.get("points")
    if not isinstance(s, dict) or not isinstance(points, list) or not points:
        raise SweepError("The lag sweep file has no settings or no points.")
    steps = int(_number(s.get("steps"), "number of steps", 1, 100_000, integer=True))
    try:
        settings = Settings(
            lag=LAG_RANGE[0],
            hidden_size=int(_number(s.get("hidden_size"), "hidden size", *HIDDEN_RANGE, integer=True)),
            num_layers=int(_number(s.get("num_layers"), "number of layers", *LAYERS_RANGE, integer=True)),
            lr=float(_number(s.get("lr"), "learning rate", *LR_RANGE)),
            seed=int(_number(s.get("seed"), "seed", *SEED_RANGE, integer=True)),
            gate_bias=float(_number(s.get("gate_bias"), "gate bias", 0, 10)),
            batch_size=int(_number(s.get("batch_size"), "batch size", 1, 512, integer=True)))
    except ValueError as err:
        raise SweepError(str(err)) from None
    parsed, seen = [], set()
    for p in points:
        if not isinstance(p, dict) or p.get("arch") not in ARCHS:
            raise SweepError(f"The lag sweep file has a point with no known architecture ({', '.join(ARCHS)}).")
        lag = int(_number(p.get("lag"), "lag", *LAG_RANGE, integer=True))
        if (p["arch"], lag) in seen:
            raise SweepError(f"The lag sweep file has two points for {LABELS[p['arch']]} at lag {lag}.")
        seen.add((p["arch"], lag))
        curve = p.get("curve", [])
        if not isinstance(curve, list) or not all(isinstance(c, list) and len(c) == 2 for c in curve):
            raise SweepError("The lag sweep file has a badly formed accuracy curve.")
        parsed.append(SweepPoint(
            p["arch"], lag, float(_number(p.get("accuracy"), "accuracy", 0, 1)),
            float(_number(p.get("loss"), "loss", 0, 1e6)), int(_number(p.get("steps"), "number of steps", 1, 100_000, integer=True)),
            float(_number(p.get("seconds"), "time", 0, 1e6)),
            tuple((int(_number(a, "curve step", 0, 100_000, integer=True)), float(_number(b, "curve accuracy", 0, 1)))
                  for a, b in curve)))
    meta = {k: data[k] for k in ("torch_version", "torch_threads", "command") if isinstance(data.get(k), (str, int))}
    seconds = float(_number(data.get("seconds", 0.0), "total time", 0, 1e6))
    return Sweep(settings, steps, tuple(parsed), seconds, meta)


def load_sweep(path: Path, expected_sha256: str | None = None) -> Sweep:
    """Read and validate a sweep file (its checksum too, when one is given)."""
    if not path.is_file():
        raise SweepError(f"The lag sweep file {path.name} is missing; {rebuild_hint(SWEEP_NAME)}.")
    if path.stat().st_size > MAX_SWEEP_BYTES:
        raise SweepError(f"The lag sweep file {path.name} is larger than {MAX_SWEEP_BYTES // 2**10} KiB, so it is not one.")
    if expected_sha256 is not None and sha256(path) != expected_sha256:
        raise SweepError(f"The lag sweep file {path.name} does not match its checksum; {rebuild_hint(SWEEP_NAME)}.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SweepError(f"The lag sweep file {path.name} is not text.") from None
    return parse_sweep(text)


def load_shipped_sweep(directory: Path = ASSETS) -> Sweep:
    """The sweep shipped in assets/, checksum-verified."""
    expected = read_checksums(directory / "SHA256SUMS").get(SWEEP_FILE)
    if expected is None:
        raise SweepError(f"The lag sweep file {SWEEP_FILE} has no recorded checksum; {rebuild_hint(SWEEP_NAME)}.")
    return load_sweep(directory / SWEEP_FILE, expected)


# -- the build (registered in seqviz.labs.recurrent: `python -m seqviz.zoo build recall-lag-sweep`) --------
def build_sweep(path: Path, lags=BUILD_LAGS, steps: int = BUILD_STEPS, settings: Settings = Settings(),
                log=print) -> Sweep:
    """Run the shipped sweep on one thread and write it to `path`."""
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    start, points = time.perf_counter(), []
    for event in run_sweep(ARCHS, lags, steps, settings):
        for p in event.points:
            points.append(p)
            log(f"lag {p.lag:3d} {LABELS[p.arch]:5s} accuracy {p.accuracy:6.1%} after {p.steps} steps ({p.seconds:.1f} s)")
    sweep = Sweep(settings, steps, tuple(points), time.perf_counter() - start,
                  {"torch_version": torch.__version__, "torch_threads": 1,
                   "command": f"python -m seqviz.zoo build {SWEEP_NAME}"})
    path.write_text(sweep.to_json() + "\n")
    log(f"wrote {path} in {sweep.seconds:.0f} s")
    return sweep
