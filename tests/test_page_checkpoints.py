"""Tier 4, pages: the checkpoint explorer under AppTest: seqviz checkpoints uploaded (a round trip from
a model trained in the session), Hugging Face folders from the operator's directory and from an
upload, and hostile files, each answered with one sentence."""

import pickle

import pytest
from hf_models import make_bert, make_gpt2
from test_pages import assert_clean, open_page

from seqviz import hf, zoo
from seqviz.checkpoints import checkpoint_bytes, task_meta
from seqviz.training import TrainingRun
from seqviz.ui import SessionModel

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


def test_a_model_trained_in_the_session_is_offered_for_download():
    ckpt = zoo.load("rnn-brackets")
    recipe = zoo.RECIPES["rnn-brackets"]
    run = TrainingRun.start(recipe.build_model(), recipe.training_batches(), lr=1e-3)
    at = open_page(PAGE)
    at.session_state["lab_models"] = {"RNN, my first": SessionModel("RNN, my first", run, ckpt.task)}
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


def test_models_trained_in_every_lab_download_in_a_format_that_opens_again():
    """Session models from the recurrent lab and the translation and sentiment lessons (as those
    pages store them) are all listed, and each one's download parses back into the same weights."""
    from streamlit.testing.v1 import AppTest

    from seqviz.models.recurrent import copy_model
    from seqviz.ui import sentiment as us

    def script():
        import streamlit as st
        import torch

        from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint
        from seqviz.ui.checkpoints import session_checkpoints

        for label, model, meta in session_checkpoints():
            weights, text = checkpoint_bytes(model, meta)
            back = parse_checkpoint(weights, text)
            same = all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), back.model.state_dict().values()))
            st.write(f"{label}: {type(back.model).__name__} {same}")

    from seqviz import zoo_sentiment

    brackets, translation, lstm = zoo.load("rnn-brackets"), zoo.load("translation-attention"), zoo_sentiment.load("sentiment-lstm")
    recipe = zoo.RECIPES["rnn-brackets"]
    at = AppTest.from_function(script, default_timeout=60)
    at.session_state["lab_models"] = {"RNN": SessionModel("RNN", TrainingRun.start(recipe.build_model(), None, lr=1e-3), brackets.task)}
    at.session_state["tr_own"] = {"run": TrainingRun.start(copy_model(translation.model), None, lr=1e-3), "label": "mine"}
    at.session_state[us.OWN] = {"LSTM": us.OwnModel("LSTM", "lstm", TrainingRun.start(copy_model(lstm.model), None, lr=1e-3), "random")}
    at.run()
    assert_clean(at)
    assert [m.value for m in at.markdown] == ["RNN: RecurrentNet True", "Translation: mine: Seq2Seq True",
                                              "Sentiment: LSTM: RecurrentNet True"]
