"""Tier 3, units: the bidirectional lesson's figure builders (seqviz/plotting/bidirectional.py).

Values are checked against the trace's arrays and, for the backward cell, against PyTorch's own
one-directional nn.LSTM run on the reversed text (an independent computation of "h←_t in time order").
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz import zoo
from seqviz.plotting import bidirectional as bp

TEXT = "abxbcaxde"


@pytest.fixture(scope="module")
def bi():
    return zoo.load("future-bilstm")


@pytest.fixture(scope="module")
def one():
    return zoo.load("future-gru")


def _trace(ckpt, text=TEXT):
    return ckpt.model.trace(ckpt.vocab.encode(list(text)), list(text), ckpt.task.class_names)


@pytest.fixture(scope="module")
def trace(bi):
    return _trace(bi)


def _backward_by_hand(bi, text):
    """h←_t from a plain one-directional nn.LSTM with the reverse weights, run on the reversed text."""
    layer = bi.model.layers[0]
    H = bi.model.cfg.hidden_size
    lstm = torch.nn.LSTM(layer.input_size, H, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(lstm, f"{name}_l0").copy_(getattr(layer, f"{name}_l0_reverse"))
        x = F.one_hot(torch.tensor(bi.vocab.encode(list(text))), bi.model.cfg.vocab_size).float()
        out, _ = lstm(x.flip(0)[None])
    return out[0].flip(0).numpy()  # back to time order


def test_direction_heatmaps_show_both_cells_in_time_order(bi, trace):
    fig, table = bp.direction_heatmaps(trace, t=3)
    assert table.equals(bp.states_table(trace))
    fwd, bwd = fig.data[0], fig.data[1]
    assert np.array_equal(fwd.z, trace.layers[0][0].hidden.T)
    assert np.array_equal(bwd.z, trace.layers[0][1].hidden.T)
    assert np.allclose(bwd.z, _backward_by_hand(bi, TEXT).T, atol=1e-5)  # right to left, drawn in time order
    for hm in (fwd, bwd):
        assert (hm.zmin, hm.zmax, hm.zmid) == (-1, 1, 0) and hm.colorscale[0][1] != hm.colorscale[-1][1]
        assert "%{z:.3f}" in hm.hovertemplate
    assert fwd.showscale and not bwd.showscale  # one shared colour bar
    for axis in (fig.layout.xaxis, fig.layout.xaxis2):
        assert list(axis.ticktext) == list(TEXT) and list(axis.tickvals) == list(range(1, len(TEXT) + 1))
    titles = [a.text for a in fig.layout.annotations]
    assert "h→<sub>t</sub>" in titles[0] and "h→<sub>t-1</sub>" in titles[0]
    assert "h←<sub>t</sub>" in titles[1] and "h←<sub>t+1</sub>" in titles[1]  # the equations' names
    outlines = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(outlines) == 2 and all((s.x0, s.x1) == (2.5, 3.5) for s in outlines)


def test_direction_heatmaps_without_a_step_have_no_outline(trace):
    assert not bp.direction_heatmaps(trace)[0].layout.shapes


def test_concat_heatmap_stacks_forward_over_backward(trace):
    H = trace.layers[0][0].hidden.shape[1]
    fig, _ = bp.concat_heatmap(trace, t=len(TEXT))
    hm = fig.data[0]
    assert hm.z.shape == (2 * H, len(TEXT))
    assert np.array_equal(hm.z, trace.output.T)
    assert np.array_equal(hm.z[:H], trace.layers[0][0].hidden.T) and np.array_equal(hm.z[H:], trace.layers[0][1].hidden.T)
    assert (hm.zmin, hm.zmax, hm.zmid) == (-1, 1, 0)
    assert hm.text[0][0] == "h→[0]" and hm.text[H][0] == "h←[0]" and hm.text[-1][-1] == f"h←[{H - 1}]"
    lines = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(lines) == 1 and lines[0].y0 == lines[0].y1 == H - 0.5  # the border between the halves
    assert list(fig.layout.xaxis.ticktext) == list(TEXT)
    assert [s.x0 for s in fig.layout.shapes if s.type == "rect"] == [len(TEXT) - 0.5]


def test_readout_split_adds_up_to_the_models_logits(bi, trace):
    W, b = bp.head_weights(bi.model)
    split = bp.readout_split(trace.output, W, b)
    H = bi.model.cfg.hidden_size
    assert np.allclose(split["p"], trace.probs[:, 1], atol=1e-5)
    assert np.allclose(split["score"], trace.logits[:, 1] - trace.logits[:, 0], atol=1e-5)
    assert np.allclose(1 / (1 + np.exp(-split["score"])), trace.probs[:, 1], atol=1e-5)
    hand = np.array([(W[1, :H] - W[0, :H]) @ h for h in trace.layers[0][0].hidden])
    assert np.allclose(split["forward"], hand, atol=1e-5)
    assert np.allclose(split["bias"], b[1] - b[0])
    # The task needs the future: on this trained model the backward half carries most of the answer.
    assert np.abs(split["backward"]).mean() > np.abs(split["forward"]).mean()


def test_readout_split_figure_stacks_the_parts(bi, trace):
    W, b = (p.detach().numpy() for p in (bi.model.head.weight, bi.model.head.bias))
    split = bp.readout_split(trace.output, W, b)
    fig, table = bp.readout_split_figure(split, trace.tokens, t=2)
    assert list(table["character"]) == list(TEXT) and np.array_equal(table["score"], split["score"])
    bars = [d for d in fig.data if d.type == "bar"]
    assert fig.layout.barmode == "relative" and len(bars) == 3
    assert np.allclose(np.sum([d.y for d in bars], axis=0), split["score"], atol=1e-5)
    assert np.array_equal(bars[1].y, split["backward"]) and "h←" in bars[1].name
    total = next(d for d in fig.data if d.type == "scatter")
    assert np.array_equal(total.y, split["score"])
    assert list(fig.layout.xaxis.ticktext) == list(TEXT)


def test_comparison_figure_draws_each_models_probability_and_the_true_tags(bi, one, trace):
    other = _trace(one)
    truth = bi.task.tags(TEXT)
    fig, _ = bp.comparison_figure({"both": trace, "one": other}, trace.tokens, truth, t=4)
    right = bp.positions_right({"both": trace, "one": other}, truth)
    assert right["both"] == len(TEXT) and 0 <= right["one"] < len(TEXT)
    lines = {d.name: d for d in fig.data}
    assert np.array_equal(lines["both"].y, trace.probs[:, 1])
    assert np.array_equal(lines["one"].y, other.probs[:, 1])
    assert list(lines["true tag"].y) == truth and lines["true tag"].mode == "markers"
    assert tuple(fig.layout.yaxis.range) == (-0.05, 1.05)  # fixed, whatever the models say
    assert "x ahead" in fig.layout.yaxis.title.text
    assert list(fig.layout.xaxis.ticktext) == list(TEXT)
    assert any(s.type == "rect" and (s.x0, s.x1) == (3.5, 4.5) for s in fig.layout.shapes)


def test_reading_diagram_arrows_meet_at_step_t():
    tokens = list("abcxe")
    for t in (1, 3, 5):
        fig = bp.reading_diagram(tokens, t)
        assert list(fig.data[0].text) == tokens
        arrows = [a for a in fig.layout.annotations if a.showarrow]
        fwd, bwd = arrows
        assert fwd.ax < fwd.x and abs(fwd.x - t) < 0.5 and fwd.ax < 1  # from before x_1 to x_t
        assert bwd.ax > bwd.x and abs(bwd.x - t) < 0.5 and bwd.ax > len(tokens)  # from after x_T back to x_t
        spans = [s for s in fig.layout.shapes if s.type == "rect"]
        assert spans[0].x0 < 1 and spans[0].x1 > t and spans[0].x1 < t + 1  # forward span: x_1..x_t
        assert t - 1 < spans[1].x0 < t and spans[1].x1 > len(tokens)  # backward span: x_t..x_T
        assert list(fig.layout.xaxis.ticktext) == [f"t = {t}"]


def test_tables_hold_the_numbers_behind_the_figures(bi, one, trace):
    H = bi.model.cfg.hidden_size
    df = bp.states_table(trace)
    assert list(df["character"]) == list(TEXT) and list(df["t"]) == list(range(1, len(TEXT) + 1))
    assert np.array_equal(df[[f"h→[{j}]" for j in range(H)]].to_numpy(), trace.layers[0][0].hidden)
    assert np.array_equal(df[[f"h←[{j}]" for j in range(H)]].to_numpy(), trace.layers[0][1].hidden)
    other = _trace(one)
    truth = bi.task.tags(TEXT)
    cmp = bp.comparison_table({"both": trace, "one": other}, trace.tokens, truth)
    assert list(cmp["true tag"]) == truth
    assert np.array_equal(cmp["p(x ahead) one"].to_numpy(), other.probs[:, 1])
