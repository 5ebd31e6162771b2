"""Tier 3, units: the gates lesson's unit finder (seqviz.analysis) and its figure builders
(seqviz.plotting.gates), checked against independent computations. No streamlit."""

import math
import re

import numpy as np
import pytest

from seqviz import analysis, zoo
from seqviz.models.recurrent import Intervention
from seqviz.plotting import gates as gp

TEXT = "c" + "0123456789" * 4 + "31415"


@pytest.fixture(scope="module")
def lstm():
    return zoo.load("recall-lstm")


@pytest.fixture(scope="module")
def gru():
    return zoo.load("recall-gru")


def trace_of(ckpt, text=TEXT, iv=None):
    return ckpt.model.trace(ckpt.vocab.encode(list(text)), list(text), ckpt.task.class_names, iv)


# -- unit finder ---------------------------------------------------------------------------------
def test_units_above_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    for _ in range(50):
        T, H = rng.integers(1, 12), rng.integers(1, 9)
        hidden = rng.uniform(-1, 1, (T, H)) * rng.uniform(0.2, 1, H)  # some units never reach the threshold
        hidden[:, : H // 2] = np.sign(rng.standard_normal(H // 2)) * rng.uniform(0.4, 1, (T, H // 2))  # some stay on one side
        first = int(rng.integers(1, T + 1))
        last = int(rng.integers(first, T + 1))
        theta = float(rng.uniform(0.05, 0.9))
        units, signs = analysis.units_above(hidden, (first, last), theta)
        expected = []
        for u in range(H):
            values = [hidden[s - 1, u] for s in range(first, last + 1)]
            if all(v >= theta for v in values):
                expected.append((u, 1))
            elif all(v <= -theta for v in values):
                expected.append((u, -1))
        assert list(zip(units.tolist(), signs.tolist())) == expected


def test_units_above_uses_the_span_inclusively_and_rejects_a_span_outside_the_text():
    hidden = np.array([[0.0, -0.9], [0.8, -0.9], [0.9, -0.2]])  # (T=3, H=2)
    assert analysis.units_above(hidden, (2, 3), 0.5)[0].tolist() == [0]
    assert analysis.units_above(hidden, (1, 2), 0.5)[0].tolist() == [1]
    units, signs = analysis.units_above(hidden, (2, 2), 0.5)
    assert units.tolist() == [0, 1] and signs.tolist() == [1, -1]
    for bad in [(0, 2), (2, 4), (3, 2)]:
        with pytest.raises(ValueError):
            analysis.units_above(hidden, bad, 0.5)


def test_co_active_matches_a_plain_loop_on_texts_of_different_lengths():
    rng = np.random.default_rng(1)
    texts = [rng.uniform(-1, 1, (int(rng.integers(1, 30)), 6)) for _ in range(40)]
    units, signs, theta = np.array([1, 4]), np.array([1, -1]), 0.3
    masks = analysis.co_active(texts, units, signs, theta)
    assert [m.shape for m in masks] == [(len(h),) for h in texts]
    for h, m in zip(texts, masks):
        assert m.tolist() == [bool(row[1] >= theta and row[4] <= -theta) for row in h]
    assert any(m.any() for m in masks) and not all(m.all() for m in masks)  # the test data has both cases
    assert not any(m.any() for m in analysis.co_active(texts, [], [], theta))  # no units: nothing to find


def test_runs_rebuild_the_mask():
    rng = np.random.default_rng(2)
    for _ in range(100):
        mask = rng.random(int(rng.integers(0, 25))) < 0.5
        spans = analysis.runs(mask)
        rebuilt = np.zeros_like(mask)
        for a, b in spans:
            assert 1 <= a <= b <= len(mask)
            rebuilt[a - 1:b] = True
        assert np.array_equal(rebuilt, mask)
        assert all(b + 1 < a2 for (_, b), (a2, _) in zip(spans, spans[1:]))  # separate stretches
    assert analysis.runs(np.array([True, True, False, True])) == [(1, 2), (4, 4)]


@pytest.mark.parametrize("name", ["recall-lstm", "recall-gru", "recall-bilstm"])
def test_first_cell_states_equal_each_texts_trace(name):
    ckpt = zoo.load(name)
    texts = ckpt.task.dataset(6, seed=3)
    ids = np.array([ckpt.vocab.encode(list(t)) for t in texts])
    states = analysis.first_cell_states(ckpt.model, ids)
    assert states.shape == (6, len(texts[0]), ckpt.model.cfg.hidden_size)
    for text, h in zip(texts, states):
        np.testing.assert_allclose(h, trace_of(ckpt, text).first.hidden, atol=1e-5)


def test_the_finder_finds_its_own_text_and_units_that_name_the_symbol(lstm):
    h = trace_of(lstm).first.hidden
    span, theta = (11, len(TEXT)), 0.5
    units, signs = analysis.units_above(h, span, theta)
    assert len(units) > 0
    assert analysis.co_active([h], units, signs, theta)[0][span[0] - 1:].all()  # by construction
    texts = lstm.task.dataset(200, seed=2024)
    states = analysis.first_cell_states(lstm.model, np.array([lstm.vocab.encode(list(t)) for t in texts]))
    found = [t[0] for t, m in zip(texts, analysis.co_active(states, units, signs, theta)) if m.any()]
    assert found and found.count(TEXT[0]) / len(found) > 0.9  # the memory units together mean "c"


# -- figures -------------------------------------------------------------------------------------
@pytest.mark.parametrize("which, panels", [("lstm", ["i", "f", "g", "o", "c", "h"]), ("gru", ["r", "z", "n", "h"])])
def test_gates_grid_draws_every_gate_and_state_on_its_fixed_scale(which, panels, lstm, gru):
    cell = trace_of(lstm if which == "lstm" else gru).first
    fig, table = gp.gates_grid(cell, list(TEXT), t=5, unit=3)
    assert table.equals(gp.gates_frame(cell, list(TEXT)))
    heatmaps = [d for d in fig.data if d.type == "heatmap"]
    assert len(heatmaps) == len(panels)
    titles = [a.text for a in fig.layout.annotations]
    for name, hm, title in zip(panels, heatmaps, titles):
        assert title.startswith(f"{name}<sub>t</sub>")
        values = {"c": cell.cell, "h": cell.hidden}.get(name)
        values = cell.gates[name] if values is None else values
        np.testing.assert_array_equal(hm.z, values.T)  # units on y, time on x
        if name in "ifozr":
            assert (hm.zmin, hm.zmax, hm.colorscale[0][1]) == (0, 1, "#440154")  # Viridis on [0, 1]
        elif name == "c":
            bound = np.abs(cell.cell).max()
            assert hm.zmax == -hm.zmin == pytest.approx(max(1.0, bound)) and bound > 1
        else:
            assert (hm.zmin, hm.zmax, hm.zmid) == (-1, 1, 0)
        assert f"{name} = %{{z:.3f}}" in hm.hovertemplate
    # each colour bar sits beside its own panel
    ys = [(fig.layout[hm.yaxis.replace('y', 'yaxis', 1)].domain, hm.colorbar.y) for hm in heatmaps]
    assert len({d for d, _ in ys}) == (len(panels) + 1) // 2  # one row of panels after another
    assert all(lo < y < hi for (lo, hi), y in ys)
    xaxis = fig.layout.xaxis  # every second character of a 46-character text, each under its own step
    assert list(xaxis.tickvals) == list(range(1, len(TEXT) + 1, 2))
    assert list(xaxis.ticktext) == [TEXT[s - 1] for s in xaxis.tickvals]
    assert len(fig.layout.shapes) == 2 * len(panels)  # step and unit outlined in every panel


def test_gates_grid_thins_the_tick_labels_of_a_long_text(lstm):
    text = "a" + "7" * 150
    fig, _ = gp.gates_grid(trace_of(lstm, text).first, list(text))
    assert len(fig.layout.xaxis.tickvals) <= gp.MAX_LABELS and fig.layout.xaxis.tickvals[0] == 1


def test_gates_frame_holds_the_numbers_behind_the_grid(gru):
    cell = trace_of(gru).first
    df = gp.gates_frame(cell, list(TEXT))
    T, H = cell.hidden.shape
    assert len(df) == T * H and list(df.columns) == ["t", "character", "unit", "r", "z", "n", "h"]
    row = df[(df.t == 7) & (df.unit == 5)].iloc[0]
    assert row.character == TEXT[6] and row.z == cell.gates["z"][6, 5] and row.h == cell.hidden[6, 5]


def test_unit_lines_plot_one_units_values(lstm):
    cell = trace_of(lstm).first
    fig, table = gp.unit_lines(cell, list(TEXT), unit=4, t=9)
    assert set(table["unit"]) == {4} and np.array_equal(table["f"], cell.gates["f"][:, 4])
    ys = {d.name.split(" ")[0]: d.y for d in fig.data}
    np.testing.assert_array_equal(ys["f<sub>t</sub>"], cell.gates["f"][:, 4])
    np.testing.assert_array_equal(ys["c<sub>t</sub>"], cell.cell[:, 4])
    assert fig.layout.yaxis.range == (-0.05, 1.05) and fig.layout.yaxis2.range == (-1.05, 1.05)
    assert fig.layout.yaxis3.range[1] >= np.abs(cell.cell[:, 4]).max()
    axes = {d.name.split("<")[0]: d.yaxis for d in fig.data}
    assert axes == {"i": "y", "f": "y", "o": "y", "g": "y2", "h": "y2", "c": "y3"}  # each on its own scale


def test_answer_bars_and_step_probs_show_probabilities(lstm):
    trace = trace_of(lstm)
    after = trace_of(lstm, iv=Intervention(gate="f", gate_units=tuple(range(32)), gate_value=0.0))
    fig, table = gp.answer_bars({"as trained": trace.probs, "after": after.probs}, trace.class_names, truth=2)
    assert list(table.columns) == ["symbol", "as trained", "after"] and np.array_equal(table["after"], after.probs)
    assert [d.name for d in fig.data] == ["as trained", "after"]
    np.testing.assert_array_equal(fig.data[1].y, after.probs)
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] >= 1
    assert fig.layout.shapes[0].y0 == pytest.approx(1 / 8) and "1/8" in fig.layout.annotations[0].text  # chance
    assert "<b>c</b><br>true" in fig.layout.xaxis.ticktext
    sp, table = gp.step_probs_figure(trace, truth=2)
    assert np.array_equal(table[trace.class_names].to_numpy(), trace.step_probs)
    np.testing.assert_array_equal(sp.data[0].z, trace.step_probs.T)
    assert (sp.data[0].zmin, sp.data[0].zmax) == (0, 1)
    assert sp.layout.shapes[0].y0 == 1.5  # the true symbol's row is outlined


def test_state_before_after_shares_one_range_and_marks_changed_units(lstm):
    before = trace_of(lstm)
    after = trace_of(lstm, iv=Intervention(gate="f", gate_units=(1, 2), gate_value=1.0))
    fig, table = gp.state_before_after(before.first, after.first, list(TEXT), "c", changed=(1, 2))
    assert np.array_equal(table["c with the intervention"], after.first.cell.reshape(-1))
    heatmaps = [d for d in fig.data if d.type == "heatmap"]
    np.testing.assert_array_equal(heatmaps[1].z, after.first.cell.T)
    bound = max(np.abs(before.first.cell).max(), np.abs(after.first.cell).max())
    assert fig.layout.coloraxis.cmax == pytest.approx(bound) and fig.layout.coloraxis.cmin == pytest.approx(-bound)
    marks = [d for d in fig.data if d.type == "scatter"]
    assert len(marks) == 2 and all(list(m.y) == [1, 2] for m in marks)  # the changed units, in both panels
    assert fig.layout.yaxis.range == (31.5, -0.5)  # every unit, unit 0 on top, no padding for the marks


# -- equations with numbers ------------------------------------------------------------------------
def _numbers(latex: str) -> list[float]:
    """The numbers in a write-out, skipping indices in subscripts and brackets."""
    body = re.sub(r"_\{[^{}]*\}|\[\d+\]|_\{\([^{}]*\)\[\d+\]\}", "", latex)
    return [float(x) for x in re.findall(r"-?\d+\.\d+", body)]


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


@pytest.mark.parametrize("gate", ["i", "f", "g", "o"])
def test_lstm_gate_latex_numbers_match_the_weights(lstm, gate):
    t, j = 6, 5
    cell = trace_of(lstm).first
    latex = gp.gate_latex(cell, gate, t, j)
    # independent: W_i x_t is the column of W_ih for the token, W_h h_{t-1} a row times h_{t-1}
    W_ih, b_ih, W_hh, b_hh = (w.detach().numpy() for w in lstm.model.weights())
    k, H = "ifgo".index(gate), 32
    row = k * H + j
    x_id = lstm.vocab.encode([TEXT[t - 1]])[0]
    terms = [W_ih[row, x_id], b_ih[row], W_hh[row] @ cell.hidden[t - 2], b_hh[row]]
    pre = sum(terms)
    value = math.tanh(pre) if gate == "g" else _sigmoid(pre)
    nums = _numbers(latex)
    assert nums == pytest.approx([*terms, pre, value], abs=2e-3)
    assert latex.startswith(f"{gate}_{{{t}}}[{j}] = " + (r"\tanh" if gate == "g" else r"\sigma"))
    for sym in (f"W_{{i{gate}}} x_{{t}}", f"b_{{i{gate}}}", f"W_{{h{gate}}} h_{{t-1}}", f"b_{{h{gate}}}"):
        assert sym in latex  # the code's names, as in the module docstring of recurrent.py


def test_gru_candidate_latex_scales_the_hidden_terms_by_r(gru):
    t, j = 4, 7
    cell = trace_of(gru).first
    nums = _numbers(gp.gate_latex(cell, "n", t, j))
    Wx, bx, r, Wh, bh, pre, n = nums
    assert r == pytest.approx(cell.gates["r"][t - 1, j], abs=1e-3)
    assert pre == pytest.approx(Wx + bx + r * (Wh + bh), abs=3e-3)
    assert n == pytest.approx(math.tanh(pre), abs=2e-3) and n == pytest.approx(cell.gates["n"][t - 1, j], abs=1e-3)


def test_state_latex_numbers_satisfy_the_updates(lstm, gru):
    cell = trace_of(lstm).first
    c_line, h_line = gp.state_latex(cell, 8, 2)
    f, c_prev, i, g, c = _numbers(c_line)
    assert c == pytest.approx(f * c_prev + i * g, abs=5e-3) and c_prev == pytest.approx(cell.cell[6, 2], abs=1e-3)
    o, c2, h = _numbers(h_line)
    assert c2 == c and h == pytest.approx(o * math.tanh(c), abs=2e-3)
    assert "c_{0}[2]" in gp.state_latex(cell, 1, 2)[0] and _numbers(gp.state_latex(cell, 1, 2)[0])[1] == 0
    cell = trace_of(gru).first
    (line,) = gp.state_latex(cell, 8, 2)
    z, n, z2, h_prev, h = _numbers(line)
    assert z == z2 and h == pytest.approx((1 - z) * n + z * h_prev, abs=2e-3)
    assert h_prev == pytest.approx(cell.hidden[6, 2], abs=1e-3) and "h_{7}[2]" in line


def test_mean_sigmoid_gates_and_the_equations(lstm, gru):
    cell = trace_of(lstm).first
    means = gp.mean_sigmoid_gates(cell)
    assert list(means) == ["i", "f", "o"] and means["f"] == pytest.approx(cell.gates["f"][1:].mean())
    assert list(gp.mean_sigmoid_gates(trace_of(gru).first)) == ["r", "z"]
    assert r"f_t &= \sigma" in gp.EQUATIONS["lstm"] and r"r_t \odot (W_{hn} h_{t-1} + b_{hn})" in gp.EQUATIONS["gru"]


def test_texts_where_units_hold_lists_the_texts_the_units_remember(lstm):
    h = trace_of(lstm).first.hidden
    units, signs = analysis.units_above(h, (11, len(TEXT)), 0.5)
    rows = analysis.texts_where_units_hold(lstm.model, lstm.task.dataset(200, seed=2024), lstm.vocab, units, signs, 0.5)
    assert rows and list(rows[0]) == ["text #", "first symbol", "text", "steps where all are on", "how many steps"]
    assert sum(r["first symbol"] == TEXT[0] for r in rows) / len(rows) > 0.9
