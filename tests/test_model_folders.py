"""Tiers 1 and 3 for the checkpoint explorer's Hugging Face folders: the attention the page shows is
transformers' own, and every hostile folder, file or path is refused with one sentence, before
anything in it runs. Models are tiny and written by the tests (tests/hf_models.py): no download."""

import json
import os
import pickle
import struct

import numpy as np
import pytest
import torch
from hf_models import add_stored_buffers, edit_config, make_bert, make_distilbert, make_gpt2, make_roberta
from safetensors.torch import load_file, save_file

from seqviz import hf
from seqviz.safefiles import UnsafeFileError, resolve_inside, safetensors_header

SENTENCE = "the cat sat on the mat ."


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    base = tmp_path_factory.mktemp("models")
    make_bert(base / "bert")
    make_gpt2(base / "gpt2")
    make_distilbert(base / "distilbert")
    make_roberta(base / "roberta")
    return base


def _copy(root, name, tmp_path):
    """A private copy of a model folder, free to corrupt."""
    import shutil

    dest = tmp_path / "models" / name
    shutil.copytree(root / name, dest)
    return tmp_path / "models", dest


def _open(base, name):
    folder, report = hf.check_folder(base, name)
    return hf.load_folder(folder, report)


def _refused(base, name, fragment, load=False):
    with pytest.raises(hf.ModelFolderError) as err:
        _open(base, name) if load else hf.check_folder(base, name)
    message = str(err.value)
    assert fragment in message, message
    assert "\n" not in message and "Traceback" not in message
    return message


# -- the oracle: transformers' own output_attentions ----------------------------------------------------
@pytest.mark.parametrize("name", ["bert", "gpt2", "distilbert", "roberta"])
def test_attention_equals_transformers_output_attentions(root, name):
    from transformers import AutoModel, AutoTokenizer

    tr = hf.trace(_open(root, name), SENTENCE)
    ref_model = AutoModel.from_pretrained(root / name, local_files_only=True, attn_implementation="eager").eval()
    enc = AutoTokenizer.from_pretrained(root / name, local_files_only=True)(SENTENCE, return_tensors="pt")
    with torch.no_grad():
        out = ref_model(**enc, output_attentions=True, output_hidden_states=True)
    expected = torch.stack(out.attentions)[:, 0].numpy()
    assert tr.attention.shape == expected.shape == (2, 2, len(tr.tokens), len(tr.tokens))
    np.testing.assert_allclose(tr.attention, expected, atol=1e-6)
    norms = torch.stack(out.hidden_states)[:, 0].norm(dim=-1).numpy()
    np.testing.assert_allclose(tr.hidden_norms, norms, rtol=1e-5)
    np.testing.assert_allclose(tr.attention.sum(-1), 1.0, atol=1e-5)


def test_causal_model_masks_the_future_and_predicts_a_distribution(root):
    tr = hf.trace(_open(root, "gpt2"), SENTENCE)
    T = len(tr.tokens)
    upper = np.triu(np.ones((T, T), bool), k=1)
    assert np.all(tr.attention[..., upper] == 0)
    assert len(tr.next_tokens) == 10 and np.all(np.diff(tr.next_probs) <= 0) and tr.next_probs.sum() <= 1 + 1e-6
    bert = hf.trace(_open(root, "bert"), SENTENCE)
    later = np.triu(np.ones((len(bert.tokens),) * 2, bool), k=1)
    assert bert.next_tokens is None and bert.attention[..., later].max() > 0  # BERT looks both ways
    assert bert.tokens[0] == "[CLS]" and bert.tokens[-1] == "[SEP]"


def test_long_text_is_cut_to_the_token_limit(root):
    tr = hf.trace(_open(root, "bert"), "the cat " * 500)
    assert len(tr.tokens) == hf.MAX_TOKENS


def test_the_trace_says_how_many_tokens_the_text_had(root):
    """A text of 87 tokens is traced on its first 64, and the trace says 87, so the page can say what
    was cut (before: nothing said so below 1,000 characters)."""
    text = "the cat sat on the mat . " * 12 + "a"  # [CLS] + 85 words + [SEP]
    tr = hf.trace(_open(root, "bert"), text)
    assert len(text) < 1000 and tr.total_tokens == 87 and len(tr.tokens) == 64 and tr.cut == 23
    short = hf.trace(_open(root, "bert"), SENTENCE)
    assert short.cut == 0 and short.total_tokens == len(short.tokens)


@pytest.mark.parametrize("name, buffers", [
    ("bert", {"embeddings.position_ids": torch.arange(64)[None]}),  # integer, stored by older BERT files
    ("gpt2", {"h.0.attn.bias": torch.ones(1, 1, 64, 64), "h.0.attn.masked_bias": torch.tensor(-1e4)}),
])
def test_parameter_count_counts_parameters_not_stored_buffers(root, tmp_path, name, buffers):
    base, folder = _copy(root, name, tmp_path)
    add_stored_buffers(folder, buffers)
    opened = _open(base, name)
    real = sum(p.numel() for p in opened.model.parameters())
    assert opened.report.parameters == real
    assert opened.report.buffers == {k: v.numel() for k, v in buffers.items()}


# -- pickle: refused, and its code never runs ----------------------------------------------------------------
class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling this calls open(marker, "w"): the file appearing would prove it ran
        return (open, (self.marker, "w"))


def test_pickle_weights_are_refused_and_never_run(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    marker = tmp_path / "pwned"
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"state_dict": _Exploit(str(marker))}))
    _refused(base, "bert", "pickle-based", load=True)
    assert not marker.exists()


def test_a_pickle_beside_safetensors_is_never_opened(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    marker = tmp_path / "pwned"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(_Exploit(str(marker))))
    opened = _open(base, "bert")
    hf.trace(opened, SENTENCE)
    assert not marker.exists() and "pytorch_model.bin" in opened.report.ignored


# -- configs --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("changes, fragment", [
    ({"model_type": "llama"}, "not one this app opens"),
    ({"model_type": None}, "not one this app opens"),
    ({"auto_map": {"AutoModel": "evil.Model"}}, "custom code"),
    ({"trust_remote_code": True}, "custom code"),
    ({"num_hidden_layers": 10_000}, "above this app's limit"),
    ({"num_attention_heads": 4096}, "above this app's limit"),
    ({"vocab_size": 10**9}, "above this app's limit"),
    ({"hidden_size": -3}, "positive whole number"),
    ({"max_position_embeddings": "many"}, "positive whole number"),
    ({"vocab_size": 99}, "do not belong together"),
])
def test_bad_configs_get_one_sentence(root, tmp_path, changes, fragment):
    base, folder = _copy(root, "bert", tmp_path)
    edit_config(folder, **changes)
    _refused(base, "bert", fragment)


def test_config_that_is_not_json_or_too_large(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    (folder / "config.json").write_text("{not json")
    _refused(base, "bert", "not valid JSON")
    (folder / "config.json").write_text(" " * (hf.MAX_CONFIG_BYTES + 1))
    _refused(base, "bert", "larger than")
    (folder / "config.json").write_text("[1, 2]")
    _refused(base, "bert", "JSON object")


def test_missing_files(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    for f in ("vocab.txt", "tokenizer.json", "vocab.json", "merges.txt"):
        (folder / f).unlink(missing_ok=True)
    _refused(base, "bert", "no tokenizer files")
    (folder / "config.json").unlink()
    _refused(base, "bert", "no config.json")
    (folder / "model.safetensors").unlink()
    _refused(base, "bert", "no model.safetensors")


def test_tokenizer_larger_than_the_embedding(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    from transformers import BertTokenizer

    from hf_models import WORDS
    big = BertTokenizer(vocab={w: i for i, w in enumerate(WORDS + [f"w{i}" for i in range(50)])})
    (folder / "tokenizer.json").unlink()
    big.save_pretrained(folder)
    _refused(base, "bert", "do not belong together", load=True)


def test_nan_weights_are_refused(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    tensors = load_file(folder / "model.safetensors")
    name = next(k for k in tensors if k.endswith("query.weight"))
    tensors[name][0, 0] = float("nan")
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    _refused(base, "bert", "NaN or infinite", load=True)


def test_weights_of_the_wrong_shape_are_refused(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    tensors = load_file(folder / "model.safetensors")
    name = next(k for k in tensors if k.endswith("query.weight"))
    tensors[name] = torch.zeros(3, 5)
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    _refused(base, "bert", "could not build the model", load=True)


# -- safetensors headers ---------------------------------------------------------------------------------
def _forge(path, header: dict, data: bytes = b"\0" * 16, length: int | None = None):
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw) if length is None else length) + raw + data)


@pytest.mark.parametrize("header, data, length, fragment", [
    ({}, b"", 10**12, "header longer than the file"),
    ({}, b"", 2**63, "header longer than the file"),
    ({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}, b"\0" * 8, None, "points outside the file"),
    ({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 12]}}, b"\0" * 16, None, "not what its shape"),
    ({"w": {"dtype": "F99", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 16, None, "unknown or missing dtype"),
    ({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 16, None, "malformed shape"),
    ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 16, None, "overlap"),
])
def test_forged_safetensors_headers(tmp_path, header, data, length, fragment):
    path = tmp_path / "model.safetensors"
    _forge(path, header, data, length)
    with pytest.raises(UnsafeFileError, match=fragment):
        safetensors_header(path, 2**30)


def test_truncated_and_oversized_weight_files(root, tmp_path):
    base, folder = _copy(root, "bert", tmp_path)
    path = folder / "model.safetensors"
    path.write_bytes(path.read_bytes()[:-100])
    _refused(base, "bert", "points outside the file")
    path.write_bytes(b"\x01\x02")
    _refused(base, "bert", "too short")
    with pytest.raises(UnsafeFileError, match="above this app's limit"):
        safetensors_header(root / "bert" / "model.safetensors", max_bytes=1000)


# -- paths ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../bert", "..", "bert/../../etc", "/etc", "C:\\Windows", "~root", "", "a\x00b"])
def test_paths_that_leave_the_directory_are_refused(root, name):
    with pytest.raises(hf.ModelFolderError):
        hf.check_folder(root / "bert", name)


def test_symlinks_leading_out_are_refused(root, tmp_path):
    outside = tmp_path / "outside"
    make_bert(outside / "evil")
    base = tmp_path / "allowed"
    base.mkdir()
    os.symlink(outside / "evil", base / "linked")
    assert hf.model_folders(base) == []  # a link is never offered
    _refused(base, "linked", "leads outside")
    inside = base / "real"
    inside.mkdir()
    for f in (root / "bert").iterdir():
        (inside / f.name).write_bytes(f.read_bytes())
    (inside / "model.safetensors").unlink()
    os.symlink(outside / "evil" / "model.safetensors", inside / "model.safetensors")
    _refused(base, "real", "leads outside")
    assert resolve_inside(base, "real") == inside.resolve()


def test_operator_directory_lists_model_folders_only(root):
    (root / "not-a-model").mkdir(exist_ok=True)
    assert hf.model_folders(root) == ["bert", "distilbert", "gpt2", "roberta"]
    assert hf.model_folders(root / "missing") == []


def test_without_transformers_the_message_says_how_to_enable_it(root, monkeypatch):
    folder, report = hf.check_folder(root, "bert")
    monkeypatch.setattr(hf, "transformers_available", lambda: False)
    with pytest.raises(hf.ModelFolderError, match="requirements-hf.txt"):
        hf.load_folder(folder, report)
