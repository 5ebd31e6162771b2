"""Tier 3: every architecture the app has goes out as a download and comes back as an upload unchanged.

The explorer's download buttons write `checkpoint_bytes(model, task_meta(task, ...))`; its upload
reads them with `parse_checkpoint`. For every architecture in ARCHITECTURES, a shipped checkpoint of
that architecture (the same classes a learner trains in a session) makes the trip: same class,
config, vocabularies and weights, bit for bit."""

import json

import pytest
import torch

from seqviz import zoo
from seqviz.checkpoints import checkpoint_bytes, load_checkpoint, parse_checkpoint, task_meta
from seqviz.models import ARCHITECTURES


def _shipped_by_architecture() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(zoo.ASSETS.glob("*.json")):
        if not path.with_suffix(".safetensors").is_file():
            continue
        meta = json.loads(path.read_text())
        if meta.get("format") == "seqviz-checkpoint":
            found.setdefault(meta["architecture"], []).append(path.stem)
    return found


SHIPPED = _shipped_by_architecture()


def test_every_architecture_has_a_shipped_checkpoint_to_round_trip():
    assert set(ARCHITECTURES) <= set(SHIPPED), f"no shipped checkpoint for {set(ARCHITECTURES) - set(SHIPPED)}"


@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_download_then_upload_gives_the_same_model(architecture):
    name = SHIPPED[architecture][0]
    ckpt = load_checkpoint(zoo.ASSETS, name)
    if ckpt.task is not None and hasattr(ckpt.task, "vocab"):
        meta = task_meta(ckpt.task, "my-model", "trained in a session")  # what the download button writes
    else:
        meta = {k: v for k, v in ckpt.meta.items() if k not in ("format", "version", "architecture", "config")}
    weights, text = checkpoint_bytes(ckpt.model, meta)
    back = parse_checkpoint(weights, text.encode())
    assert type(back.model) is type(ckpt.model) and back.model.cfg == ckpt.model.cfg
    assert back.vocab == ckpt.vocab and back.target_vocab == ckpt.target_vocab
    before, after = ckpt.model.state_dict(), back.model.state_dict()
    assert before.keys() == after.keys()
    for key in before:
        assert torch.equal(before[key], after[key]), key
