"""Tier 4, the train-and-compare page: training side by side, the store, settings, the lag sweep."""

import pytest
from conftest import assert_clean, open_page

from seqviz import compare, ui
from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint
from seqviz.ui.recurrent import COMPARISON

PAGE = "pages/rnn_compare.py"
FAST = {"cmp_lag": "4", "cmp_hidden": "8"}  # short texts and a small model keep each run under a second


def train(at, steps: int = 10):
    at.number_input(key="cmp_chunk").set_value(steps).run()
    at.button(key="cmp_train").click().run()
    assert_clean(at)
    return at


def test_page_opens_with_every_section_and_the_shipped_sweep():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and not at.warning
    assert [h.value for h in at.header] == ["1. Choose the models and the task", "2. Train them side by side",
                                            "3. Accuracy against lag"]
    assert at.multiselect(key="cmp_archs").value == ["rnn", "lstm", "gru"]
    assert len(at.get("plotly_chart")) == 1  # the shipped sweep; no training yet
    assert any("No models yet" in i.value for i in at.info)
    assert any("remember by default" in m.value.lower() for m in at.markdown)
    assert at.button(key="cmp_start_over").disabled


def test_training_puts_every_model_in_the_store_for_the_other_pages_and_the_explorer():
    at = open_page(PAGE, FAST)
    train(at)
    comp = at.session_state[COMPARISON]
    assert comp.step == 10 and comp.archs == ["rnn", "lstm", "gru"]
    assert comp.settings == compare.Settings(lag=4, hidden_size=8)
    models = at.session_state["learner_models"]
    assert set(models) == {"RNN h8, lag 4", "LSTM h8, lag 4", "GRU h8, lag 4"}
    for arch in comp.archs:
        m = models[comp.label(arch)]
        assert m.lab == "recurrent" and m.run is comp.runs[arch] and m.steps == 10
        assert m.meta["task"] == {"name": "recall", "params": {**vars(compare.RecallTask(lag=4))}}
        reopened = parse_checkpoint(*checkpoint_bytes(m.model, {"name": "x", **m.meta}))
        assert reopened.task == compare.RecallTask(lag=4) and reopened.model.cfg == m.model.cfg
        for k, v in reopened.model.state_dict().items():
            assert v.equal(m.model.state_dict()[k])
    at.switch_page("pages/checkpoint_explorer.py").run()  # the explorer offers each one for download
    assert_clean(at)
    assert {"rnn-h8-lag-4.json", "lstm-h8-lag-4.json", "gru-h8-lag-4.json"} <= {b.proto.label for b in at.get("download_button")}
    at.switch_page("pages/rnn_gates.py").run()  # the gates page offers the LSTM and the GRU
    assert_clean(at)
    assert at.selectbox(key="gates_model").options[-2:] == ["Mine: LSTM h8, lag 4", "Mine: GRU h8, lag 4"]
    at.switch_page(PAGE).run()
    assert len(at.get("plotly_chart")) == 3  # loss, held-out accuracy, the lag sweep
    assert [m.label for m in at.metric] == [f"{n}: held-out accuracy" for n in ("RNN", "LSTM", "GRU")]
    # a widget touched afterwards keeps the models; the next click continues them
    at.select_slider(key="cmp_sweep_steps").set_value(200).run()
    assert at.session_state[COMPARISON] is comp and comp.step == 10
    train(at, 20)
    assert at.session_state[COMPARISON] is comp and comp.step == 30
    assert [e["step"] for e in comp.evals["gru"]] == [0, 10, 25, 30]


def test_changed_settings_ask_for_start_over_and_start_over_clears_everything():
    at = open_page(PAGE, FAST)
    train(at)
    comp = at.session_state[COMPARISON]
    at.number_input(key="cmp_lag").set_value(6).run()
    at.checkbox(key="cmp_gate").uncheck().run()
    assert_clean(at)
    assert len(at.warning) == 1 and "lag and gate-bias initialisation" in at.warning[0].value
    assert "Start over" in at.warning[0].value
    assert at.button(key="cmp_train").disabled
    assert at.session_state[COMPARISON] is comp and comp.step == 10  # nothing was mixed or lost
    at.button(key="cmp_start_over").click().run()
    assert_clean(at)
    assert COMPARISON not in at.session_state and at.session_state["learner_models"] == {}
    assert not at.warning and not at.button(key="cmp_train").disabled
    train(at)
    assert at.session_state[COMPARISON].settings == compare.Settings(lag=6, hidden_size=8, gate_bias=0.0)


def test_choosing_fewer_architectures_trains_only_those():
    at = open_page(PAGE, {**FAST, "cmp_archs": ["LSTM", "GRU"]})
    train(at)
    assert at.session_state[COMPARISON].archs == ["lstm", "gru"]
    at.multiselect(key="cmp_archs").unselect("gru").run()
    assert "architectures" in at.warning[0].value


def test_no_architecture_gets_a_sentence_and_the_rest_of_the_page_still_works():
    at = open_page(PAGE, {"cmp_archs": ""})
    assert_clean(at)
    assert any("at least one architecture" in i.value for i in at.info)
    assert at.button(key="cmp_train").disabled and at.button(key="cmp_sweep_run").disabled
    assert at.header[-1].value == "3. Accuracy against lag" and len(at.get("plotly_chart")) == 1


@pytest.mark.parametrize("query", [{"cmp_lag": "500"}, {"cmp_lag": "0"}, {"cmp_hidden": "100000"},
                                   {"cmp_layers": "9"}, {"cmp_lr": "5"}, {"cmp_archs": "transformer"},
                                   {"cmp_lag": "<script>"}])
def test_out_of_range_links_fall_back_to_the_widgets_bounds(query):
    at = open_page(PAGE, query)
    assert_clean(at)
    assert not at.error
    assert 1 <= at.number_input(key="cmp_lag").value <= 100
    assert 4 <= at.number_input(key="cmp_hidden").value <= 128
    assert at.session_state["cmp_layers"] in (1, 2)


def test_a_chunk_over_the_time_limit_is_refused_before_it_starts():
    at = open_page(PAGE, {"cmp_lag": "100", "cmp_hidden": "128", "cmp_layers": "2"})
    at.number_input(key="cmp_chunk").set_value(500).run()
    assert_clean(at)
    assert at.button(key="cmp_train").disabled
    assert any("the limit is 60 s" in c.value for c in at.caption)


def test_a_live_sweep_adds_open_points_and_clear_removes_them():
    at = open_page(PAGE, {"cmp_hidden": "8"})
    at.multiselect(key="cmp_sweep_lags").set_value([1, 5]).run()
    at.select_slider(key="cmp_sweep_steps").set_value(100).run()
    at.button(key="cmp_sweep_run").click().run()
    assert_clean(at)
    (sweep,) = at.session_state["cmp_sweeps"]
    assert {(p.arch, p.lag) for p in sweep.points} == {(a, l) for a in compare.ARCHS for l in (1, 5)}
    assert sweep.steps == 100 and sweep.settings.hidden_size == 8
    assert COMPARISON not in at.session_state  # a sweep never touches the side-by-side models
    assert any(c.value.startswith("Yours 1: RNN, LSTM, GRU, h8") for c in at.caption)
    at.button(key="cmp_sweep_clear").click().run()
    assert at.session_state["cmp_sweeps"] == []


@pytest.fixture
def sweep_in(tmp_path, monkeypatch):
    """The page's shipped sweep read from tmp_path (through the lab's loader, uncached)."""
    original = compare.load_shipped_sweep
    monkeypatch.setattr(compare, "load_shipped_sweep", lambda directory=None: original(tmp_path))
    ui.load_shipped.clear()
    yield tmp_path
    ui.load_shipped.clear()


def test_a_missing_or_corrupt_sweep_file_gets_one_sentence_and_the_page_keeps_working(sweep_in):
    (sweep_in / compare.SWEEP_FILE).write_text("{ truncated")
    (sweep_in / "SHA256SUMS").write_text(f"{'0' * 64}  {compare.SWEEP_FILE}\n")
    at = open_page(PAGE, FAST)
    assert_clean(at)
    assert len(at.error) == 1 and "does not match its checksum" in at.error[0].value
    assert "python -m seqviz.zoo build recall-lag-sweep" in at.error[0].value
    assert len(at.get("plotly_chart")) == 0
    train(at)  # training still works
    assert len(at.get("plotly_chart")) == 2
    (sweep_in / compare.SWEEP_FILE).unlink()
    at.run()
    assert "missing" in at.error[0].value
