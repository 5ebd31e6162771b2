"""The files the app ships in assets/: where they live, their checksums, and the one train-and-save path.

Every lab's recipes (seqviz/labs/<lab>.py) use these, and `python -m seqviz.zoo` drives them:

    verify_files(name)            both files of a shipped checkpoint match SHA256SUMS (CheckpointError otherwise)
    load_verified(name)           ... then the checkpoint, fully validated by checkpoints.load_checkpoint
    record_checksums(paths)       write the checksums of newly built files into SHA256SUMS
    train_and_save(name, recipe)  train a recipe from its seed on one thread, evaluate, save, record

A build is `Build(description, run)`, where `run(directory, log)` writes the files and returns metrics.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from seqviz.checkpoints import (Checkpoint, CheckpointError, load_checkpoint, read_checksums, save_checkpoint,
                                sha256, write_checksums)
from seqviz.training import TrainingRun

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CHECKSUMS = ASSETS / "SHA256SUMS"


@dataclass(frozen=True)
class Build:
    description: str  # one line, for `python -m seqviz.zoo list`
    run: Callable[[Path, Callable[[str], None]], dict]  # (directory, log) -> metrics; writes files + checksums


class SnapshotError(ValueError):
    """A shipped snapshot file (attention or alignment across training) is missing or invalid; one sentence."""


def rebuild_hint(name: str) -> str:
    return f"rebuild it with `python -m seqviz.zoo build {name}`"


def verify_files(name: str, directory: Path = ASSETS, suffixes: Iterable[str] = (".safetensors", ".json")) -> None:
    """Raise CheckpointError unless every file NAME+suffix matches the recorded checksum."""
    sums = read_checksums(directory / CHECKSUMS.name)
    for fname in (f"{name}{s}" for s in suffixes):
        path = directory / fname
        if fname not in sums:
            raise CheckpointError(f"The shipped file {fname} has no recorded checksum.")
        if not path.is_file():
            raise CheckpointError(f"The shipped file {fname} is missing; {rebuild_hint(name)}.")
        if sha256(path) != sums[fname]:
            raise CheckpointError(f"The shipped file {fname} does not match its checksum; {rebuild_hint(name)}.")


def load_verified(name: str, directory: Path = ASSETS) -> Checkpoint:
    """A shipped checkpoint, checksum-verified and fully validated."""
    verify_files(name, directory)
    return load_checkpoint(directory, name)


def record_checksums(paths: Iterable[Path], directory: Path = ASSETS) -> None:
    sums = read_checksums(directory / CHECKSUMS.name)
    sums.update({Path(p).name: sha256(Path(p)) for p in paths})
    write_checksums(directory / CHECKSUMS.name, sums)


def train_and_save(name: str, recipe, directory: Path, log, evaluate_model, log_every: int, extra_meta: dict) -> dict:
    """Train `recipe` from its seed on one thread, evaluate it, write NAME.safetensors + NAME.json and
    update SHA256SUMS: the part every checkpoint recipe shares. `evaluate_model(model) -> metrics`."""
    torch.set_num_threads(1)
    model = recipe.build_model()
    run = TrainingRun.start(model, recipe.training_batches(), lr=recipe.lr)
    start = time.perf_counter()
    for event in run.train(recipe.steps):
        if event.step % log_every == 0:
            log(f"{name}: step {event.step} loss {event.loss:.4f} ({time.perf_counter() - start:.0f} s)")
    train_seconds = time.perf_counter() - start
    metrics = evaluate_model(model)
    fields = {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe) if f.name not in ("task", "name", "description")}
    meta = {
        "description": recipe.description,
        "vocab": recipe.task.vocab().to_list(),
        **extra_meta,
        "class_names": recipe.task.class_names,
        "task": {"name": recipe.task.name, "params": dataclasses.asdict(recipe.task)},
        "recipe": {**fields, "optimizer": "Adam", "grad_clip": run.grad_clip},
        "seed": recipe.seed,
        "metrics": metrics,
        "train_seconds": round(train_seconds, 1),
        "torch_version": torch.__version__,
    }
    paths = save_checkpoint(model, meta, directory, name)
    record_checksums(paths, directory)
    log(f"{name}: trained {train_seconds:.0f} s; {metrics} -> {', '.join(str(p) for p in paths)}")
    return metrics
