"""Tier 3, units: the checkpoint format, its validation of hostile files, and the shipped zoo."""

import json
import os
import pickle
import shutil
import struct

import pytest
import torch
from safetensors.torch import save as save_safetensors

from seqviz import zoo

from seqviz import labs
from seqviz.checkpoints import (CheckpointError, checkpoint_bytes, load_checkpoint, parse_checkpoint,
                                read_checksums, save_checkpoint)


@pytest.fixture()
def files(shipped):
    """A valid (weights, json) pair to corrupt, one way per test."""
    return checkpoint_bytes(shipped.model, {k: v for k, v in shipped.meta.items()
                                            if k not in ("format", "version", "architecture", "config")})


CFG = {"vocab_size": 30, "num_classes": 5, "cell": "rnn", "hidden_size": 16}


def _meta(files):
    return json.loads(files[1])


def _expect(weights, meta_or_text, fragment):
    text = meta_or_text if isinstance(meta_or_text, (str, bytes)) else json.dumps(meta_or_text)
    with pytest.raises(CheckpointError) as err:
        parse_checkpoint(weights, text)
    message = str(err.value)
    assert fragment in message, message
    assert "\n" not in message and "Traceback" not in message


def test_round_trip_keeps_weights_outputs_and_metadata(shipped, tmp_path):
    save_checkpoint(shipped.model, {"vocab": shipped.vocab.to_list(), "task": shipped.meta["task"],
                                    "class_names": shipped.task.class_names}, tmp_path, "copy")
    back = load_checkpoint(tmp_path, "copy")
    for k, v in shipped.model.state_dict().items():
        assert torch.equal(v, back.model.state_dict()[k])
    x = torch.tensor([shipped.vocab.encode("(a(b))")])
    assert torch.equal(shipped.model(x)[0], back.model(x)[0])
    assert back.vocab == shipped.vocab and back.task == shipped.task and back.name == "copy"


def test_valid_bytes_parse(files):
    ckpt = parse_checkpoint(*files)
    assert not ckpt.model.training


@pytest.mark.parametrize("text, fragment", [
    (b"\xff\xfe not utf-8", "not valid JSON"),
    ("{truncated", "not valid JSON"),
    ("[1, 2]", "not a seqviz checkpoint"),
    (json.dumps({"format": "something-else"}), "not a seqviz checkpoint"),
    ("x" * (2**20 + 1), "larger than"),
])
def test_json_that_is_not_a_checkpoint(files, text, fragment):
    _expect(files[0], text, fragment)


@pytest.mark.parametrize("change, fragment", [
    ({"version": 99}, "version 99 is not supported"),
    ({"architecture": "gpt-17"}, "Unknown architecture 'gpt-17'"),
    ({"architecture": "rnn-tagger"}, "Unknown architecture"),
    ({"config": [1, 2]}, "must be a JSON object"),
    ({"config": {**CFG, "auto_map": "evil.Model"}}, "unknown fields: ['auto_map']"),
    ({"config": {"vocab_size": 30, "num_classes": 5}}, None),  # the rest have defaults: valid
    ({"config": {"num_classes": 5}}, "missing: ['vocab_size']"),
    ({"config": {**CFG, "hidden_size": 10**9}}, "above this app's limit"),
    ({"config": {**CFG, "num_layers": 50}}, "above this app's limit of 4"),
    ({"config": {**CFG, "hidden_size": -3}}, "positive whole number"),
    ({"config": {**CFG, "hidden_size": "16"}}, "positive whole number"),
    ({"config": {**CFG, "cell": "transformer"}}, "must be one of ['rnn', 'lstm', 'gru']"),
    ({"config": {**CFG, "bidirectional": "yes"}}, "must be true or false"),
    ({"config": {**CFG, "cell": "lstm"}}, "has shape (16, 30), but the config needs (64, 30)"),
    ({"config": {**CFG, "vocab_size": 31}}, "vocabulary has 30 tokens"),
    ({"vocab": "abc"}, "list of strings"),
    ({"task": {"name": "mystery"}}, "task this app does not know"),
    ({"task": {"name": "brackets", "params": {"max_depth": 4, "rm_rf": True}}}, "do not match"),
    ({"task": {"name": "brackets", "params": {"max_depth": 6}}}, "outputs but the task has 7"),
])
def test_bad_metadata_gets_one_sentence(files, change, fragment):
    meta = {**_meta(files), **change}
    if fragment is None:  # missing fields fall back to defaults that match the weights
        assert parse_checkpoint(files[0], json.dumps(meta)).model.cfg.hidden_size == 16
        return
    _expect(files[0], meta, fragment)


def test_vocabulary_mismatched_with_the_task(files):
    meta = _meta(files)
    vocab = meta["vocab"]
    meta["vocab"] = vocab[:1] + [vocab[2], vocab[1]] + vocab[3:]  # swap '(' and ')'
    _expect(files[0], meta, "does not match the 'brackets' task's vocabulary")
    meta["vocab"] = vocab[:-1] + [vocab[1]]
    _expect(files[0], meta, "same token twice")


@pytest.mark.parametrize("mangle, fragment", [
    (lambda w: w[:5], "too short"),
    (lambda w: w[:40], "truncated or impossibly large"),
    (lambda w: struct.pack("<Q", 2**62) + w[8:], "truncated or impossibly large"),
    (lambda w: w[:8] + b"[" + w[9:], "not a valid safetensors file"),
    (lambda w: w[: len(w) // 2], "not a valid safetensors file"),
    (lambda w: os.urandom(4096), "safetensors"),
])
def test_corrupt_weights(files, mangle, fragment):
    _expect(mangle(files[0]), files[1], fragment)


def _with_tensors(shipped, **changes):
    tensors = {k: v.clone() for k, v in shipped.model.state_dict().items()}
    for key, value in changes.items():
        if value is None:
            del tensors[key.replace("__", ".")]
        else:
            tensors[key.replace("__", ".")] = value
    return save_safetensors(tensors)


@pytest.mark.parametrize("changes, fragment", [
    ({"layers__0__weight_hh_l0": torch.zeros(16, 17)}, "has shape (16, 17), but the config needs (16, 16)"),
    ({"layers__0__weight_hh_l0": torch.zeros(16, 16, dtype=torch.float64)}, "is float64, expected float32"),
    ({"head__bias": torch.tensor([0.0, float("nan"), 0, 0, 0])}, "NaN or infinite"),
    ({"head__bias": torch.tensor([0.0, float("inf"), 0, 0, 0])}, "NaN or infinite"),
    ({"head__bias": None}, "missing: ['head.bias']"),
    ({"extra": torch.zeros(1)}, "unexpected: ['extra']"),
])
def test_weights_that_do_not_fit_the_config(shipped, files, changes, fragment):
    _expect(_with_tensors(shipped, **changes), files[1], fragment)


class _Exploit:
    """Unpickling this calls os.system: it must never happen."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickle_is_refused_and_never_runs(files, tmp_path):
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"state_dict": _Exploit(marker)})
    _expect(payload, files[1], "safetensors")
    import io
    buf = io.BytesIO()
    torch.save({"weights": torch.zeros(3)}, buf)  # a real torch .pt (zip of pickles) is refused too
    _expect(buf.getvalue(), files[1], "safetensors")
    assert not marker.exists()


def test_load_checkpoint_reports_missing_files(tmp_path):
    with pytest.raises(CheckpointError, match="nothing.safetensors is missing"):
        load_checkpoint(tmp_path, "nothing")


# -- the shipped zoo -----------------------------------------------------------------------------
def test_every_shipped_file_has_a_matching_checksum():
    sums = read_checksums(zoo.CHECKSUMS)
    shipped_files = {p.name for p in zoo.ASSETS.iterdir() if p.is_file() and p.name != "SHA256SUMS"}
    assert shipped_files == set(sums), "every file in assets/ must be listed in SHA256SUMS"
    from seqviz.checkpoints import sha256
    for name, digest in sums.items():
        assert sha256(zoo.ASSETS / name) == digest, name


def test_every_recipe_is_shipped_and_loads():
    for name in labs.recurrent.RECIPES:
        ckpt = zoo.load(name)
        assert ckpt.meta["name"] == name and ckpt.meta["metrics"]


def test_assets_stay_small():
    # Every lab ships its models and data (7.1 MiB at the last count: the three GRU translation models
    # 2.6, speech data and model 2.2, word vectors 0.7, transformers 1.2, the rest 0.4); a new file that
    # pushes past 8 MiB should shrink something first (float16 storage would halve the translation models).
    total = sum(p.stat().st_size for p in zoo.ASSETS.rglob("*") if p.is_file())
    assert total < 8 * 2**20


def test_tampered_or_missing_shipped_files_are_refused(tmp_path):
    for p in zoo.ASSETS.iterdir():
        shutil.copy(p, tmp_path / p.name)
    assert zoo.load("rnn-brackets", tmp_path).name == "rnn-brackets"
    weights = tmp_path / "rnn-brackets.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="does not match its checksum"):
        zoo.load("rnn-brackets", tmp_path)
    weights.unlink()
    with pytest.raises(CheckpointError, match="is missing"):
        zoo.load("rnn-brackets", tmp_path)
    with pytest.raises(CheckpointError, match="no shipped checkpoint"):
        zoo.load("../etc/passwd", tmp_path)


def test_zoo_build_is_deterministic(tmp_path, monkeypatch):
    """Rebuilding a recipe (shortened) twice gives byte-identical weights and the same metric."""
    import dataclasses

    short = dataclasses.replace(labs.recurrent.RECIPES["rnn-brackets"], steps=30, test_size=50)
    monkeypatch.setitem(labs.recurrent.RECIPES, "rnn-brackets", short)
    m1 = zoo.build("rnn-brackets", tmp_path / "a", log=lambda *_: None)
    m2 = zoo.build("rnn-brackets", tmp_path / "b", log=lambda *_: None)
    assert m1 == m2
    a = (tmp_path / "a" / "rnn-brackets.safetensors").read_bytes()
    assert a == (tmp_path / "b" / "rnn-brackets.safetensors").read_bytes()
    assert zoo.load("rnn-brackets", tmp_path / "a").meta["recipe"]["steps"] == 30


def test_weights_are_read_as_views_into_the_upload_not_a_second_copy(files):
    """An upload sits in memory already (streamlit's UploadedFile); its tensors are read in place, so a
    100M-parameter upload needs its own bytes plus the model, not a third copy in between."""
    import numpy as np

    from seqviz.checkpoints import _parse_weights

    weights = files[0]
    start = np.frombuffer(weights, np.uint8).ctypes.data
    tensors = _parse_weights(weights)
    assert tensors
    for name, t in tensors.items():
        if t.numel():
            assert start <= t.data_ptr() < start + len(weights), name
    back = parse_checkpoint(weights, files[1])  # the model owns its own copy, equal to the file's
    for k, v in back.model.state_dict().items():
        assert torch.equal(v, tensors[k]) and v.data_ptr() != tensors[k].data_ptr()


def test_the_weights_cap_fits_a_100m_parameter_model():
    from seqviz import checkpoints

    assert checkpoints.MAX_WEIGHTS_BYTES >= 100_000_000 * 4


@pytest.mark.parametrize("name", ["rnn-brackets", "recall-lstm", "translation-attention", "sentiment-lstm", "sentiment-bag"])
def test_the_explorers_first_input_is_text_its_own_check_accepts(name):
    """A sentiment checkpoint's first input was a Python repr (`Review(tokens=(...), label=1, ...)`); every
    shipped model's first input is now plain text that its task's own check accepts."""
    from seqviz import explore

    ckpt = zoo.load(name)
    text = explore.default_text(ckpt)
    assert "Review(" not in text and "Pair(" not in text and text
    check = explore.check_text(ckpt, text)
    assert check.error is None, check.error
