"""Tier 4, pages: the checkpoint explorer under AppTest: seqviz checkpoints uploaded (a round trip from
a model trained in the session), every lab's model in the session's store listed, raw PyTorch state
dicts, Hugging Face folders from the operator's directory and from an upload, and hostile files, each
answered with one sentence."""

import io
import pickle
from types import SimpleNamespace
from unittest import mock

import pytest
import torch
import torch.nn as nn
from hf_models import make_bert, make_gpt2
from conftest import assert_clean, open_page

from seqviz import hf, zoo
from seqviz.checkpoints import checkpoint_bytes, task_meta
from seqviz.models.recurrent import copy_model
from seqviz.training import TrainingRun
from seqviz.ui import store

PAGE = "pages/checkpoint_explorer.py"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("operator")
    make_bert(base / "tiny-bert")
    make_gpt2(base / "tiny-gpt2")
    return base


def _files(name: str, meta_name: str = "mine"):
    ckpt = zoo.load(name)
    weights, text = checkpoint_bytes(ckpt.model, task_meta(ckpt.task, meta_name, "a test upload"))
    return [(f"{meta_name}.safetensors", weights, "application/octet-stream"), (f"{meta_name}.json", text.encode(), "application/json")]


def _hf(at, query=None):
    at.segmented_control(key="ckpt_kind").set_value("Hugging Face folder").run()
    return at


def errors(at):
    return " ".join(e.value for e in at.error)


def test_opens_with_nothing_uploaded():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and "Upload a checkpoint" in " ".join(i.value for i in at.info)


@pytest.mark.parametrize("name, charts", [("recall-lstm", 2), ("rnn-brackets", 1), ("translation-attention", 1)])
def test_uploaded_checkpoint_opens_in_the_lesson_views(name, charts):
    at = open_page(PAGE)
    at.file_uploader(key="ckpt_files").set_value(_files(name)).run()
    assert_clean(at)
    assert not at.error, errors(at)
    assert "Opened **mine**" in at.success[0].value
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == len(zoo.load(name).model.state_dict())
    assert len(at.get("plotly_chart")) == charts


def _plant(at, models) -> None:
    """Put LearnerModels into the session the way the labs do (store.put), before the next run."""
    with mock.patch.object(store.st, "session_state", {}) as state:
        for m in models:
            store.put(m)
    at.session_state[store.KEY] = state[store.KEY]


def _learner(lab: str, label: str, shipped: str | None) -> store.LearnerModel:
    """A model as a lab's training widget stores it: its run (a copy of a shipped model) and the meta
    its download writes (what the shipped file records besides architecture and config)."""
    if shipped is None:  # e.g. word vectors: trained in a lab, not a seqviz checkpoint
        return store.LearnerModel(lab, label, SimpleNamespace(model=None, step=120), None)
    ckpt = zoo.load(shipped)
    meta = {k: v for k, v in ckpt.meta.items() if k not in ("format", "version", "architecture", "config")}
    return store.LearnerModel(lab, label, TrainingRun.start(copy_model(ckpt.model), None, lr=1e-3), meta)


def test_a_model_trained_in_the_session_is_offered_for_download():
    at = open_page(PAGE)
    _plant(at, [_learner("recurrent", "RNN, my first", "rnn-brackets")])
    at.run()
    assert_clean(at)
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["rnn-my-first.safetensors", "rnn-my-first.json"]


@pytest.mark.parametrize("make, fragment", [
    (lambda f: f[:1], "exactly two files"),
    (lambda f: [("x.safetensors", pickle.dumps({"w": 1}), "application/octet-stream"), f[1]], "not a valid safetensors"),
    (lambda f: [f[0], ("x.json", b"{not json", "application/json")], "not valid JSON"),
    (lambda f: [f[0], ("x.json", b'{"format": "seqviz-checkpoint", "version": 1, "architecture": "gpt-17"}', "application/json")],
     "Unknown architecture"),
])
def test_hostile_checkpoint_uploads_get_one_sentence(make, fragment):
    at = open_page(PAGE)
    at.file_uploader(key="ckpt_files").set_value(make(_files("rnn-brackets"))).run()
    assert_clean(at)
    assert fragment in errors(at)


@pytest.mark.parametrize("text, fragment", [("", "at least one character"), ("((((" * 2500, "limit"),
                                            ("(a) 😀", "never seen"), ("<script>alert(1)</script>", "never seen")])
def test_bad_text_for_an_uploaded_model(text, fragment):
    at = open_page(PAGE)
    at.file_uploader(key="ckpt_files").set_value(_files("rnn-brackets")).run()
    at.text_input(key="ckpt_text").set_value(text).run()
    assert_clean(at)
    assert fragment in errors(at)


def test_operator_folder_shows_every_head(monkeypatch, model_dir):
    monkeypatch.setenv("SEQVIZ_MODEL_DIR", str(model_dir))
    at = _hf(open_page(PAGE))
    assert at.selectbox(key="hf_folder").options == ["tiny-bert", "tiny-gpt2"]
    at.selectbox(key="hf_folder").set_value("tiny-gpt2").run()
    assert_clean(at)
    assert "GPT-2" in at.success[0].value
    assert len(at.get("plotly_chart")) == 4  # one head, the grid, the norms, the next token
    at.number_input(key="hf_head").set_value(2).run()
    at.text_input(key="hf_text").set_value("<b>bold</b> 😀 " * 300).run()
    assert_clean(at)
    assert "only its first" in " ".join(w.value for w in at.warning)
    at.text_input(key="hf_text").set_value("   ").run()
    assert "Type a sentence" in errors(at)


def test_operator_folder_from_a_link_cannot_leave_the_directory(monkeypatch, model_dir):
    monkeypatch.setenv("SEQVIZ_MODEL_DIR", str(model_dir / "tiny-bert"))
    at = open_page(PAGE, {"ckpt_kind": "Hugging Face folder", "hf_folder": "../tiny-gpt2"})
    assert_clean(at)
    assert not at.get("plotly_chart")


def test_uploaded_folder_and_a_pickle_upload(model_dir):
    at = _hf(open_page(PAGE))
    files = [(p.name, p.read_bytes(), "application/octet-stream") for p in sorted((model_dir / "tiny-bert").iterdir())]
    at.file_uploader(key="hf_files").set_value(files).run()
    assert_clean(at)
    assert "BERT" in at.success[0].value and len(at.get("plotly_chart")) == 3
    at.file_uploader(key="hf_files").set_value([("pytorch_model.bin", pickle.dumps({"w": 1}), "application/octet-stream")]).run()
    assert_clean(at)
    assert "pickle-based" in errors(at)
    at.file_uploader(key="hf_files").set_value([("../../etc/passwd", b"x", "text/plain")]).run()
    assert "not a file of a model folder" in errors(at)


def test_without_transformers_the_page_says_how_to_enable_it(monkeypatch):
    monkeypatch.setattr(hf, "transformers_available", lambda: False)
    at = _hf(open_page(PAGE))
    assert_clean(at)
    assert "requirements-hf.txt" in " ".join(i.value for i in at.info)


def test_word_vectors_lead_to_the_loader_and_the_explorer():
    at = open_page(PAGE, {"ckpt_kind": "Word vectors"})
    assert_clean(at)
    links = [l.proto.page for l in at.get("page_link")]
    assert links == ["vectors", "explorer"]  # the Pretrained vectors page, then the Embedding explorer


EVERY_LAB = [("recurrent", "Vanilla RNN: mine", "rnn-brackets"), ("recurrent", "LSTM, lag 30", "recall-lstm"),
             ("attention", "Translation: mine", "translation-attention"), ("sentiment", "Sentiment: LSTM", "sentiment-lstm"),
             ("speech", "Speech: mine", "speech-las"), ("transformers", "GPT: mine", "lm-gpt"), ("embeddings", "skip-gram, 5 epochs", None)]


def test_every_labs_trained_model_appears_in_the_explorer():
    """Whatever lab trained it, a model in the session's store is listed: with download buttons when it
    is a seqviz checkpoint, with where it opens when it is not (word vectors)."""
    at = open_page(PAGE)
    _plant(at, [_learner(*row) for row in EVERY_LAB])
    at.run()
    assert_clean(at)
    shown = " ".join(m.value for m in at.markdown)
    assert all(f"**{label}**" in shown for _, label, _ in EVERY_LAB)
    assert f"Models trained in this session ({len(EVERY_LAB)})" in at.expander[0].label
    assert len(at.get("download_button")) == 2 * (len(EVERY_LAB) - 1)
    assert "Not a seqviz checkpoint: it opens in the Embedding explorer" in " ".join(c.value for c in at.caption)


def test_models_trained_in_every_lab_download_in_a_format_that_opens_again():
    """Each listed model's download parses back into the same weights."""
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st
        import torch

        from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint
        from seqviz.ui.checkpoints import session_checkpoints

        for m in session_checkpoints():
            if m.meta is None:
                st.write(f"{m.label}: not a checkpoint")
                continue
            weights, text = checkpoint_bytes(m.model, m.meta)
            back = parse_checkpoint(weights, text)
            same = all(torch.equal(a, b) for a, b in zip(m.model.state_dict().values(), back.model.state_dict().values()))
            st.write(f"{m.label}: {type(back.model).__name__} {same}")

    at = AppTest.from_function(script, default_timeout=60)
    _plant(at, [_learner(*row) for row in EVERY_LAB])
    at.run()
    assert_clean(at)
    assert [m.value for m in at.markdown] == [
        "Vanilla RNN: mine: RecurrentNet True", "LSTM, lag 30: RecurrentNet True", "Translation: mine: Seq2Seq True",
        "Sentiment: LSTM: RecurrentNet True", "Speech: mine: LAS True", "GPT: mine: TransformerLM True",
        "skip-gram, 5 epochs: not a checkpoint"]


def test_session_list_reads_only_the_store():
    """The old per-lab keys are gone: a model left under one of them is not listed twice or at all."""
    at = open_page(PAGE)
    at.session_state["tr_own"] = {"run": None, "label": "stale"}
    at.run()
    assert_clean(at)
    assert "Models trained in this session (0)" in at.expander[0].label


# -- the fixes found with real files ------------------------------------------------------------------------
def test_a_sentiment_checkpoint_fills_the_input_with_a_review():
    at = open_page(PAGE)
    at.file_uploader(key="ckpt_files").set_value(_files("sentiment-lstm")).run()
    assert_clean(at)
    value = at.text_input(key="ckpt_text").value
    assert "Review(" not in value and value and all(w.isalpha() or w in ",.'" for w in value.split())
    assert not at.error and len(at.get("plotly_chart")) == 2


def test_a_cut_text_says_how_many_tokens_were_kept(monkeypatch, model_dir):
    monkeypatch.setenv("SEQVIZ_MODEL_DIR", str(model_dir))
    at = _hf(open_page(PAGE))
    at.selectbox(key="hf_folder").set_value("tiny-bert").run()
    at.text_input(key="hf_text").set_value("the cat sat on the mat . " * 12).run()  # 85 tokens, 300 characters
    assert_clean(at)
    warning = " ".join(w.value for w in at.warning)
    assert "has 86 tokens; only its first 64 were kept" in warning
    at.text_input(key="hf_text").set_value("the cat sat .").run()
    assert not at.warning


def test_the_upload_cap_is_stated_and_fits_a_100m_parameter_model():
    from seqviz.ui import checkpoints as uc

    assert uc.MAX_UPLOAD_MB * 2**20 >= 100_000_000 * 4
    at = open_page(PAGE)
    assert f"{uc.MAX_UPLOAD_MB} MB" in " ".join(m.value for m in at.markdown)


# -- raw PyTorch state dicts ----------------------------------------------------------------------------
def _sd(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _statedict(at, data: bytes, name: str = "model.pt"):
    at.segmented_control(key="ckpt_kind").set_value("PyTorch state dict").run()
    at.file_uploader(key="sd_file").set_value([(name, data, "application/octet-stream")]).run()
    return at


class _Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(12, 5)
        self.lstm = nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(12, 3)


def test_a_state_dict_opens_with_its_architecture_and_lesson_views():
    torch.manual_seed(0)
    at = _statedict(open_page(PAGE), _sd(_Tagger().state_dict()), "tagger.pth")
    assert_clean(at)
    assert not at.error, errors(at)
    assert "Rebuilt a recurrent model" in at.success[0].value
    code = at.code[0].value
    assert "nn.Embedding(12, 5)" in code and "nn.LSTM(input_size=5, hidden_size=6, num_layers=2, bidirectional=True" in code
    assert len(at.get("plotly_chart")) == 2  # hidden states and every gate
    at.text_area(key="sd_vocab").set_value("abcdefghijkl").run()
    at.text_input(key="sd_text").set_value("hide").run()
    assert_clean(at)
    assert not at.error and len(at.get("plotly_chart")) == 2
    at.text_input(key="sd_text").set_value("xyz!").run()
    assert "has no" in errors(at)


def test_a_state_dict_saved_with_safetensors_opens_too():
    from safetensors.torch import save

    torch.manual_seed(0)
    at = _statedict(open_page(PAGE), save(_Tagger().state_dict()), "tagger.safetensors")
    assert_clean(at)
    assert "Rebuilt a recurrent model" in at.success[0].value and len(at.get("plotly_chart")) == 2


def test_a_transformer_encoder_state_dict_shows_every_head():
    torch.manual_seed(0)
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), 2, enable_nested_tensor=False)
    sd = {**enc.state_dict(), "classifier.weight": torch.zeros(3, 7)}
    at = _statedict(open_page(PAGE), _sd(sd))
    assert_clean(at)
    assert "Rebuilt a transformer encoder" in at.success[0].value
    assert "classifier.weight (3 x 7, float32)" in " ".join(w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 2
    at.selectbox(key="sd_heads").set_value(4).run()
    at.number_input(key="sd_head").set_value(4).run()
    assert_clean(at)
    assert "nhead=4" in at.code[0].value and len(at.get("plotly_chart")) == 2
    at.text_input(key="sd_text").set_value("1 99").run()
    assert "too large" in errors(at)
    # another file: its own input and choices start again at their defaults
    at.file_uploader(key="sd_file").set_value([("tagger.pt", _sd(_Tagger().state_dict()), "application/octet-stream")]).run()
    assert_clean(at)
    assert not at.error and "nn.LSTM" in at.code[0].value and len(at.get("plotly_chart")) == 2


class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("name", ["evil.pt", "evil.pth", "evil.bin"])
def test_hostile_state_dicts_get_one_sentence_and_never_run(tmp_path, name):
    marker = tmp_path / "pwned"
    at = _statedict(open_page(PAGE), _sd({"w": torch.ones(2), "x": _Exploit(str(marker))}), name)
    assert_clean(at)
    assert "other than tensors and plain containers" in errors(at)
    at.file_uploader(key="sd_file").set_value([(name, pickle.dumps(_Exploit(str(marker))), "application/octet-stream")]).run()
    assert_clean(at)
    assert "not a file written by torch.save" in errors(at)
    at.file_uploader(key="sd_file").set_value([(name, _sd(nn.GRU(2, 3)), "application/octet-stream")]).run()
    assert "other than tensors" in errors(at)
    assert not marker.exists()


def test_a_sessions_temporary_upload_files_go_when_it_lets_them_go(tmp_path):
    import gc

    from seqviz.ui.checkpoints import TempPath

    folder, file = tmp_path / "upload", tmp_path / "model.pt"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    file.write_bytes(b"x")
    held = {"a": TempPath(folder), "b": TempPath(file)}
    del held
    gc.collect()
    assert not folder.exists() and not file.exists()
