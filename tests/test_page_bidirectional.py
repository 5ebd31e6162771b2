"""Tier 4, pages: the bidirectional lesson (pages/rnn_bidirectional.py) under AppTest."""

import json
from types import SimpleNamespace

import pytest

from seqviz import zoo
from seqviz.models.recurrent import copy_model
from seqviz.tasks import FutureTask, RecallTask
from seqviz.ui.recurrent import learner_meta
from seqviz.ui.store import LearnerModel
from conftest import assert_clean, open_page

PAGE = "pages/rnn_bidirectional.py"
HEADERS = ["1. Two cells, two directions", "2. What the read-out sees: the concatenation",
           "3. Both directions against one"]


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def trace_names(at) -> set[str]:
    return {d.get("name") for spec in charts(at) for d in spec["data"]}


def test_default_view_shows_every_figure_equation_and_recorded_metric():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    assert len(at.get("plotly_chart")) == 5  # reading diagram, directions, concat, read-out split, comparison
    latex = " ".join(l.value for l in at.latex)
    assert r"\overrightarrow{h}_{t-1}" in latex and r"\overleftarrow{h}_{t+1}" in latex and "W_{hy}" in latex
    metrics = {m.label: m.value for m in at.metric}
    for name, label in [("future-bilstm", "Bidirectional LSTM"), ("future-gru", "GRU, one direction")]:
        assert metrics[label] == f"{zoo.load(name).meta['metrics']['step_accuracy']:.1%}"
    # the bidirectional model gets every position right; the one-directional LSTM does not
    text = at.text_input(key="bi_text").value
    assert metrics["bidirectional LSTM: positions right"] == f"{len(text)} / {len(text)}"
    right = int(metrics["LSTM, one direction: positions right"].split(" / ")[0])
    assert right < len(text)


def test_step_slider_says_what_each_direction_has_read():
    at = open_page(PAGE)
    at.text_input(key="bi_text").input("abxde").run()
    at.slider(key="bi_t").set_value(2).run()
    assert_clean(at)
    sentence = next(m.value for m in at.markdown if "the forward cell has read" in m.value)
    assert r"x_1 \dots x_{2}" in sentence and "`ab`" in sentence
    assert r"x_{2} \dots x_{5}" in sentence and "`bxde`" in sentence
    assert "x ahead" in sentence  # the true tag at t = 2
    outlines = [s for s in charts(at)[1]["layout"]["shapes"] if s["type"] == "rect"]
    assert outlines and all((s["x0"], s["x1"]) == (1.5, 2.5) for s in outlines)  # step 2 highlighted


def test_shorter_text_clamps_the_step():
    at = open_page(PAGE)
    at.slider(key="bi_t").set_value(10).run()
    at.text_input(key="bi_text").input("axb").run()
    assert_clean(at)
    assert at.slider(key="bi_t").value == 3
    at.text_input(key="bi_text").input("x").run()  # one letter: no slider, still every view
    assert_clean(at)
    assert not at.error and len(at.get("plotly_chart")) == 5


@pytest.mark.parametrize("choice, name", [("gru", "GRU, one direction"), ("rnn", "tanh RNN, one direction")])
def test_comparison_picker_switches_the_one_directional_model(choice, name):
    at = open_page(PAGE)
    at.selectbox(key="bi_compare").set_value(choice).run()
    assert_clean(at)
    assert name in trace_names(at)
    assert f"{name}: positions right" in [m.label for m in at.metric]


def test_view_from_the_url_is_used():
    at = open_page(PAGE, {"bi_text": "bxa", "bi_t": "2", "bi_compare": "GRU"})
    assert_clean(at)
    assert at.text_input(key="bi_text").value == "bxa"
    assert at.slider(key="bi_t").value == 2
    assert at.selectbox(key="bi_compare").value == "gru"


@pytest.mark.parametrize("text, fragment", [
    ("", "Type some text"),
    ("a" * 500, "500 characters"),
    ("abcq", "'q'"),
    ("<script>alert(1)</script>", "'<'"),
    ("ab😀", "😀"),
])
def test_bad_text_gets_one_sentence_and_the_page_keeps_working(text, fragment):
    at = open_page(PAGE)
    at.text_input(key="bi_text").input(text).run()
    assert_clean(at)
    assert len(at.error) == 1 and fragment in at.error[0].value
    assert not at.get("plotly_chart") and at.title  # no half-drawn figures
    assert len(at.metric) == 4  # the recorded accuracies stay
    at.text_input(key="bi_text").input("abx").run()
    assert not at.error and len(at.get("plotly_chart")) == 5


def _learner_model(label, task, ckpt="future-gru"):
    run = SimpleNamespace(model=copy_model(zoo.load(ckpt).model), step=0, history=[])
    return LearnerModel("recurrent", label, run, learner_meta(task, label))


def test_a_learners_future_model_can_be_compared_and_others_are_not_offered():
    at = open_page(PAGE)
    at.session_state["learner_models"] = {
        "GRU, future": _learner_model("GRU, future", FutureTask()),
        "LSTM, lag 30": _learner_model("LSTM, lag 30", RecallTask(lag=30), "recall-lstm"),
    }
    at.run()
    options = at.selectbox(key="bi_compare").options
    assert "GRU, future (yours)" in options and not any("lag 30" in o for o in options)
    at.selectbox(key="bi_compare").set_value("mine: GRU, future").run()
    assert_clean(at)
    assert "GRU, future" in trace_names(at) and not at.warning


def test_a_learners_model_on_other_letters_falls_back_with_a_note():
    at = open_page(PAGE)
    at.session_state["learner_models"] = {"other letters": _learner_model("other letters", FutureTask(letters="abcdf"))}
    at.run()
    at.text_input(key="bi_text").input("abex").run()
    at.selectbox(key="bi_compare").set_value("mine: other letters").run()
    assert_clean(at)
    assert len(at.warning) == 1 and "other letters" in at.warning[0].value
    assert "LSTM, one direction" in trace_names(at) and not at.error
