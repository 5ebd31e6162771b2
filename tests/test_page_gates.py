"""Tier 4, pages: the LSTM and GRU gates lesson under AppTest, its widgets and its bad inputs."""

import pytest
from conftest import assert_clean, open_page

from seqviz import labs, ui
from seqviz.training import TrainingRun
from seqviz.ui.recurrent import learner_meta
from seqviz.ui.store import LearnerModel

PAGE = "pages/rnn_gates.py"
LAG = labs.recurrent.RECIPES["recall-lstm"].task.lag
HEADERS = ["1. Every gate over time", "2. The answer", "3. Unit 0 at step 1, every number",
           "4. Force a gate, silence a unit", "5. Find units that hold something"]


def charts(at):
    return at.get("plotly_chart")


def test_default_view_shows_every_gate_the_answer_and_the_equations():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    assert len(charts(at)) == 4  # gates grid, answer, answer over time, one unit
    latex = [l.value for l in at.latex]
    assert any(r"c_t &= f_t \odot c_{t-1} + i_t \odot g_t" in l for l in latex)
    assert sum(l.startswith(("$$\ni_{1}[0]", "$$\nf_{1}[0]", "$$\ng_{1}[0]", "$$\no_{1}[0]")) for l in latex) == 4
    assert "no intervention" in " ".join(c.value for c in at.caption)
    assert len(at.dataframe) == 1  # the unit finder's table for the default span


def test_step_and_unit_write_out_that_step():
    at = open_page(PAGE)
    at.slider(key="gates_t").set_value(7).run()
    at.selectbox(key="gates_unit").set_value(12).run()
    assert_clean(at)
    assert at.header[2].value == "3. Unit 12 at step 7, every number"
    latex = " ".join(l.value for l in at.latex)
    assert r"f_{7}[12] = \sigma" in latex and r"c_{7}[12] = f_{7}[12]\, c_{6}[12]" in latex
    assert r"h_{7}[12] = o_{7}[12]\, \tanh(c_{7}[12])" in latex


def test_gru_shows_its_own_gates_and_update():
    at = open_page(PAGE, {"gates_model": "Shipped GRU"})
    assert_clean(at)
    assert at.selectbox(key="gates_model").value == "recall-gru"
    latex = " ".join(l.value for l in at.latex)
    assert r"r_t \odot (W_{hn} h_{t-1} + b_{hn})" in latex
    assert r"n_{1}[0] = \tanh" in latex and r"h_{1}[0] = (1 - z_{1}[0])\, n_{1}[0] + z_{1}[0]\, h_{0}[0]" in latex
    assert "f_{1}" not in latex
    assert "z" in at.multiselect(key="gates_force").label


def test_a_shorter_text_clamps_the_step_and_resets_the_span():
    at = open_page(PAGE)
    at.slider(key="gates_t").set_value(40).run()
    at.text_input(key="gates_text").input("e12345").run()
    assert_clean(at)
    assert at.slider(key="gates_t").value == 6
    assert at.slider(key="gates_span_6").value == (2, 6)  # a fresh span for this length, inside it
    assert "lag of 5" in at.warning[0].value  # a note, not an error


def test_random_example_draws_a_valid_text():
    at = open_page(PAGE)
    before = at.text_input(key="gates_text").value
    at.button[0].click().run()  # "Random example"
    assert_clean(at)
    text = at.text_input(key="gates_text").value
    assert text != before and len(text) == LAG + 1 and text[0] in "abcdefgh" and text[1:].isdigit()
    assert not at.error and len(charts(at)) == 4


@pytest.mark.parametrize("text, fragment", [
    ("", "Type some text"),
    ("a" + "1" * 500, "501 characters"),
    ("a12x4", "'x'"),
    ("<b>a</b>", "'<'"),
    ("12345", "Start the text with the symbol"),
])
def test_bad_text_gets_one_sentence_and_the_controls_stay(text, fragment):
    at = open_page(PAGE)
    at.text_input(key="gates_text").input(text).run()
    assert_clean(at)
    assert len(at.error) == 1 and fragment in at.error[0].value
    assert len(charts(at)) == 0
    assert [h.value for h in at.header] == ["4. Force a gate, silence a unit"]
    assert at.selectbox(key="gates_model") and at.multiselect(key="gates_force") and at.multiselect(key="gates_zero")
    at.multiselect(key="gates_force").set_value([1, 2]).run()  # the controls still work
    assert_clean(at)
    at.text_input(key="gates_text").input("b" + "0" * LAG).run()
    assert not at.error and len(charts(at)) == 6  # the intervention's two figures too


def test_forcing_the_forget_gate_erases_or_keeps_the_memory():
    at = open_page(PAGE)
    cached = ui.load_shipped("recall-lstm").model  # the process-wide cache the page read
    before = {k: v.clone() for k, v in cached.state_dict().items()}
    at.button[1].click().run()  # "All units"
    assert_clean(at)
    assert at.multiselect(key="gates_force").value == list(range(32))
    p_true, answer = at.metric[0].value, at.metric[1].value
    assert float(p_true) < 0.35  # f = 0 on every unit: the symbol is erased, the answer near chance
    assert len(charts(at)) == 6
    at.segmented_control(key="gates_value").set_value(1).run()
    assert_clean(at)
    assert float(at.metric[0].value) > 0.9 and at.metric[1].value == at.text_input(key="gates_text").value[0]
    for k, v in cached.state_dict().items():  # interventions never touch the shared model
        assert v.equal(before[k])


def test_forcing_the_gru_update_gate_open_never_writes_the_symbol():
    at = open_page(PAGE, {"gates_model": "Shipped GRU", "gates_value": "1"})
    at.button[1].click().run()
    assert_clean(at)
    assert float(at.metric[0].value) < 0.35


def test_zeroing_units_is_an_intervention_too():
    at = open_page(PAGE)
    at.multiselect(key="gates_zero").set_value([0, 5]).run()
    assert_clean(at)
    assert len(charts(at)) == 6 and len(at.metric) == 2


def test_the_unit_finder_lists_units_and_where_they_fire_together():
    at = open_page(PAGE)
    text = at.text_input(key="gates_text").value
    table = at.dataframe[0].value
    assert list(table.columns) == ["text #", "first symbol", "text", "steps where all are on", "how many steps"]
    assert (table["first symbol"] == text[0]).mean() > 0.9  # the units together remember the first symbol
    assert table["text"].str[0].equals(table["first symbol"])
    at.slider(key="gates_theta").set_value(1.0).run()
    assert_clean(at)
    assert len(at.dataframe) == 0 and "No unit stays" in at.info[0].value


def _learner_model(cell: str, label: str) -> LearnerModel:
    recipe = labs.recurrent.RECIPES[f"recall-{cell}"]
    run = TrainingRun.start(recipe.build_model(), recipe.training_batches(), lr=3e-3)
    return LearnerModel("recurrent", label, run, learner_meta(recipe.task, label))


def test_models_trained_in_the_session_can_be_picked():
    at = open_page(PAGE)
    assert "none yet" in " ".join(c.value for c in at.caption)
    at.session_state["learner_models"] = {label: _learner_model(cell, label) for cell, label in [
        ("gru", "GRU, lag 45"), ("rnn", "RNN, lag 45"), ("bilstm", "BiLSTM, lag 45")]}
    at.run()
    picker = at.selectbox(key="gates_model")
    assert picker.options == ["Shipped LSTM", "Shipped GRU", "Mine: GRU, lag 45", "Mine: BiLSTM, lag 45"]  # an RNN has no gates
    picker.set_value("BiLSTM, lag 45").run()
    assert_clean(at)
    assert "first layer's left-to-right cell" in at.info[0].value
    assert len(charts(at)) == 3  # no answer over time: a bidirectional model reads the whole text first
    picker.set_value("GRU, lag 45").run()
    assert_clean(at)
    assert not at.error and len(charts(at)) == 4
    assert r"n_t &= \tanh" in " ".join(l.value for l in at.latex)
    at.multiselect(key="gates_force").set_value([0, 1]).run()  # an untrained model still traces with an intervention
    assert_clean(at)
    assert len(charts(at)) == 6
