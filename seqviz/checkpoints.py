"""Checkpoints: safetensors weights plus a JSON description, validated before anything is built.

A checkpoint NAME is two files side by side:

    NAME.safetensors   the weights (tensors only: nothing in it can run code)
    NAME.json          {"format": "seqviz-checkpoint", "version": 1, "architecture", "config",
                        "vocab", "class_names", "task", "recipe", "seed", "metrics", ...}

A sequence-to-sequence model (config field `target_vocab_size`) also carries "target_vocab", the
output language's words, checked against the config and the task like "vocab".

`parse_checkpoint(weights_bytes, json_text)` is the single door: the shipped zoo, files in a folder
and uploads all go through it. Every file is treated as hostile until it has passed the checks
below; each failure raises `CheckpointError` with one sentence a learner can act on. Nothing is
ever unpickled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
from safetensors.torch import save as save_safetensors

from seqviz.models import ARCHITECTURES
from seqviz.safefiles import UnsafeFileError, safetensors_views
from seqviz.tasks import TASKS
from seqviz.vocab import Vocab

FORMAT = "seqviz-checkpoint"
VERSION = 1
MAX_WEIGHTS_BYTES = 450 * 2**20  # an upload larger than this is refused before it is read (100M float32 parameters)
MAX_JSON_BYTES = 2**20
MAX_HEADER_BYTES = 2**20  # safetensors' JSON header; real ones here are a few hundred bytes
SIZE_LIMITS = {"vocab_size": 50_000, "hidden_size": 2048, "num_classes": 10_000}


class CheckpointError(ValueError):
    """A checkpoint that cannot be used; the message is one sentence for the learner."""


@dataclass(frozen=True)
class Checkpoint:
    model: nn.Module  # built from the config, weights loaded, in eval mode
    meta: dict  # the JSON description, as read
    vocab: Vocab
    task: object | None  # the task the model was trained on, rebuilt from meta["task"]
    target_vocab: Vocab | None = None  # the output language's words, seq2seq models only

    @property
    def name(self) -> str:
        return self.meta.get("name", "unnamed")


# -- writing --------------------------------------------------------------------------------
def checkpoint_bytes(model: nn.Module, meta: dict) -> tuple[bytes, str]:
    """The two files of a checkpoint as (weights, json text); `meta` adds vocab, task, metrics..."""
    full = {"format": FORMAT, "version": VERSION, "architecture": model.architecture,
            "config": dataclasses.asdict(model.cfg), **meta}
    tensors = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    return save_safetensors(tensors), json.dumps(full, indent=2, sort_keys=True) + "\n"


def task_meta(task, name: str, description: str) -> dict:
    """The JSON fields that tie a checkpoint to its task (vocab, classes, task parameters), for a model
    a learner trained on one of the app's tasks: with them the file opens again in the explorer."""
    meta = {"name": name, "description": description, "vocab": task.vocab().to_list(),
            "class_names": list(getattr(task, "class_names", [])),
            "task": {"name": task.name, "params": dataclasses.asdict(task)}}
    if hasattr(task, "target_vocab"):
        meta["target_vocab"] = task.target_vocab().to_list()
    return meta


def save_checkpoint(model: nn.Module, meta: dict, directory: Path, name: str) -> list[Path]:
    weights, text = checkpoint_bytes(model, {"name": name, **meta})
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{name}.safetensors", directory / f"{name}.json"]
    paths[0].write_bytes(weights)
    paths[1].write_text(text)
    return paths


# -- reading --------------------------------------------------------------------------------
def load_checkpoint(directory: Path, name: str) -> Checkpoint:
    paths = [directory / f"{name}.safetensors", directory / f"{name}.json"]
    for p in paths:
        if not p.is_file():
            raise CheckpointError(f"The checkpoint file {p.name} is missing.")
        if p.stat().st_size > MAX_WEIGHTS_BYTES:
            raise CheckpointError(f"{p.name} is larger than {MAX_WEIGHTS_BYTES // 2**20} MB.")
    return parse_checkpoint(paths[0].read_bytes(), paths[1].read_bytes())


def parse_checkpoint(weights: bytes, config: bytes | str) -> Checkpoint:
    """Validate both files completely, then build the model. Raises CheckpointError."""
    meta = _parse_meta(config)
    arch = ARCHITECTURES[meta["architecture"]]
    cfg = _parse_config(arch.config_class, meta["config"])
    vocab = _parse_vocab(meta, cfg)
    target_vocab = _parse_target_vocab(meta, cfg)
    task = _parse_task(meta, vocab, cfg, target_vocab)
    tensors = _parse_weights(weights)
    model = arch(cfg)
    _check_tensors(tensors, model.state_dict())
    model.load_state_dict(tensors)
    model.eval()
    return Checkpoint(model, meta, vocab, task, target_vocab)


def _parse_meta(config: bytes | str) -> dict:
    if len(config) > MAX_JSON_BYTES:
        raise CheckpointError(f"The JSON file is larger than {MAX_JSON_BYTES // 1024} KB.")
    try:
        meta = json.loads(config)
    except (UnicodeDecodeError, ValueError):
        raise CheckpointError("The JSON file is not valid JSON.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"The JSON file is not a seqviz checkpoint (its \"format\" is not \"{FORMAT}\").")
    if meta.get("version") != VERSION:
        raise CheckpointError(f"Checkpoint version {meta.get('version')!r} is not supported; this app reads version {VERSION}.")
    if meta.get("architecture") not in ARCHITECTURES:
        known = ", ".join(sorted(ARCHITECTURES))
        raise CheckpointError(f"Unknown architecture {str(meta.get('architecture'))[:40]!r}; this app knows: {known}.")
    return meta


def _parse_config(config_class, raw) -> object:
    """Exactly the dataclass's fields, each of its declared type and within this app's limits."""
    if not isinstance(raw, dict):
        raise CheckpointError("The checkpoint's \"config\" must be a JSON object.")
    fields = {f.name: f for f in dataclasses.fields(config_class)}
    unknown = sorted(set(raw) - set(fields))
    missing = sorted(n for n, f in fields.items() if n not in raw and f.default is dataclasses.MISSING)
    if unknown or missing:
        raise CheckpointError(f"The config does not match the architecture (unknown fields: {unknown or 'none'}; missing: {missing or 'none'}).")
    for key, value in raw.items():
        kind, meta = fields[key].type, fields[key].metadata
        if kind == "bool":
            if not isinstance(value, bool):
                raise CheckpointError(f"Config field {key!r} must be true or false, not {str(value)[:20]!r}.")
        elif kind == "str":
            if value not in meta.get("choices", ()):
                raise CheckpointError(f"Config field {key!r} must be one of {list(meta.get('choices', ()))}, not {str(value)[:20]!r}.")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CheckpointError(f"Config field {key!r} must be a positive whole number, not {str(value)[:20]!r}.")
        else:
            limit = meta.get("max", SIZE_LIMITS.get(key, 10_000))
            if value > limit:
                raise CheckpointError(f"Config field {key!r} is {value:,}, above this app's limit of {limit:,}.")
    return config_class(**raw)


def _parse_vocab(meta: dict, cfg) -> Vocab:
    tokens = meta.get("vocab")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise CheckpointError("The checkpoint's \"vocab\" must be a list of strings.")
    if len(tokens) != cfg.vocab_size:
        raise CheckpointError(f"The vocabulary has {len(tokens)} tokens but the config says vocab_size {cfg.vocab_size}.")
    try:
        return Vocab(tuple(tokens))
    except ValueError:
        raise CheckpointError("The vocabulary lists the same token twice.") from None


def _parse_target_vocab(meta: dict, cfg) -> Vocab | None:
    """Seq2seq only: "target_vocab" must match target_vocab_size and start <pad>, <bos>, <eos>."""
    size = getattr(cfg, "target_vocab_size", None)
    if size is None:
        return None
    tokens = meta.get("target_vocab")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise CheckpointError("The checkpoint's \"target_vocab\" must be a list of strings.")
    if len(tokens) != size:
        raise CheckpointError(f"The target vocabulary has {len(tokens)} tokens but the config says target_vocab_size {size}.")
    if tokens[:3] != ["<pad>", "<bos>", "<eos>"]:
        raise CheckpointError("The target vocabulary must start with <pad>, <bos> and <eos>, in that order.")
    try:
        return Vocab(tuple(tokens))
    except ValueError:
        raise CheckpointError("The target vocabulary lists the same token twice.") from None


def _parse_task(meta: dict, vocab: Vocab, cfg, target_vocab: Vocab | None = None):
    raw = meta.get("task")
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("name") not in TASKS or not isinstance(raw.get("params", {}), dict):
        raise CheckpointError(f"The checkpoint names a task this app does not know: {str(raw)[:40]!r}.")
    try:
        task = TASKS[raw["name"]](**raw.get("params", {}))
    except TypeError:
        raise CheckpointError(f"The parameters of task {raw['name']!r} do not match this app's task.") from None
    if task.vocab() != vocab:
        raise CheckpointError(f"The vocabulary does not match the {raw['name']!r} task's vocabulary.")
    if target_vocab is not None and (not hasattr(task, "target_vocab") or task.target_vocab() != target_vocab):
        raise CheckpointError(f"The target vocabulary does not match the {raw['name']!r} task's target vocabulary.")
    outputs = getattr(cfg, "num_classes", None)  # a language model's config has none: its outputs are its vocabulary
    if outputs is not None and getattr(task, "num_classes", outputs) != outputs:
        raise CheckpointError(f"The model has {outputs} outputs but the task has {task.num_classes} classes.")
    return task


def _parse_weights(weights: bytes | memoryview) -> dict[str, torch.Tensor]:
    if len(weights) > MAX_WEIGHTS_BYTES:
        raise CheckpointError(f"The weights file is larger than {MAX_WEIGHTS_BYTES // 2**20} MB.")
    if len(weights) < 8:
        raise CheckpointError("The weights file is too short to be a safetensors file.")
    (header_len,) = struct.unpack("<Q", weights[:8])
    if header_len > min(MAX_HEADER_BYTES, len(weights) - 8):
        raise CheckpointError("The weights file's header is truncated or impossibly large: it is not a valid safetensors file.")
    try:  # views into the uploaded bytes (header and byte ranges checked): no second copy of the weights
        return safetensors_views(weights)
    except UnsafeFileError:
        raise CheckpointError("The weights file is not a valid safetensors file (corrupt header or tensor offsets).") from None


def _check_tensors(tensors: dict[str, torch.Tensor], expected: dict[str, torch.Tensor]) -> None:
    missing, unexpected = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
    if missing or unexpected:
        raise CheckpointError(f"The weights do not match the architecture (missing: {missing[:3] or 'none'}; unexpected: {unexpected[:3] or 'none'}).")
    for key, ref in expected.items():
        t = tensors[key]
        if t.dtype != ref.dtype:
            raise CheckpointError(f"Tensor {key!r} is {str(t.dtype).removeprefix('torch.')}, expected {str(ref.dtype).removeprefix('torch.')}.")
        if t.shape != ref.shape:
            raise CheckpointError(f"Tensor {key!r} has shape {tuple(t.shape)}, but the config needs {tuple(ref.shape)}.")
        if not torch.isfinite(t).all():
            raise CheckpointError(f"Tensor {key!r} contains NaN or infinite values.")


# -- checksums of shipped files ---------------------------------------------------------------
def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_checksums(path: Path) -> dict[str, str]:
    """`sha256sum` format: '<hex>  <file name>' per line."""
    out = {}
    if path.is_file():
        for line in path.read_text().splitlines():
            if line.strip():
                digest, name = line.split(maxsplit=1)
                out[name.strip()] = digest
    return out


def write_checksums(path: Path, sums: dict[str, str]) -> None:
    path.write_text("".join(f"{d}  {n}\n" for n, d in sorted(sums.items())))

