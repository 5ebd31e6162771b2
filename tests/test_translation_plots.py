"""Tier 3, units: the translation lesson's figure builders (seqviz.plotting.translation) against the traces
and metrics they draw."""

import numpy as np
import plotly.graph_objects as go
import pytest

from seqviz import labs
from seqviz.plotting import translation as figs
from seqviz.tasks.translation import BUCKET_NAMES

SENTENCE = "the old small girls do not like them".split()


@pytest.fixture(scope="module")
def ckpts():
    return labs.load("translation-attention"), labs.load("translation-noattention")


@pytest.fixture(scope="module")
def trace(ckpts):
    ckpt = ckpts[0]
    return ckpt.model.trace(ckpt.vocab.encode(SENTENCE), SENTENCE, ckpt.target_vocab)


def heatmap_of(fig):
    return next(t for t in fig.data if isinstance(t, go.Heatmap))


def test_attention_heatmap_draws_the_weights_on_a_fixed_scale_with_words_on_both_axes(trace):
    fig, table = figs.attention_map(trace)
    hm = heatmap_of(fig)
    np.testing.assert_array_equal(hm.z, trace.weights[0, 0])
    assert (hm.zmin, hm.zmax) == (0, 1)
    assert list(fig.layout.xaxis.ticktext) == SENTENCE
    assert list(fig.layout.yaxis.ticktext) == ["&lt;eos&gt;" if w == "<eos>" else w for w in trace.output_tokens]
    assert list(fig.layout.xaxis.tickvals) == list(range(1, len(SENTENCE) + 1))
    assert "%{z:.3f}" in hm.hovertemplate
    assert len(fig.data) == 1  # no alignment given: no markers
    np.testing.assert_array_equal(table.iloc[:, 1:].to_numpy(), trace.weights[0, 0])
    assert list(table["output word"]) == trace.output_tokens and table.columns[1] == f"1:{SENTENCE[0]}"
    assert figs.attention_heatmap(trace).to_json() == fig.to_json()  # the transitional name draws the same


def test_gold_alignment_markers_sit_on_the_gold_cells(trace, ckpts):
    pair = ckpts[0].task.parse(SENTENCE)
    alignment = pair.alignment
    fig, _ = figs.attention_map(trace, alignment, step=3)
    marks = next(t for t in fig.data if isinstance(t, go.Scatter))
    cells = set(zip(marks.x, marks.y))
    assert cells == {(g + 1, i + 1) for i, g in enumerate(alignment) if g >= 0}
    # the French word on each marked row translates the English word on its column (the grammar's lexicon)
    assert ("les", "them") in {(trace.output_tokens[y - 1], SENTENCE[x - 1]) for x, y in cells}
    assert any(s.type == "rect" and s.y0 == 2.5 and s.y1 == 3.5 for s in fig.layout.shapes)
    # -1 means "no source word": such rows get no marker
    fig2, _ = figs.attention_map(trace, (-1, *alignment[1:]))
    assert len(next(t for t in fig2.data if isinstance(t, go.Scatter)).x) == len(cells) - 1


def test_the_no_attention_model_has_no_heatmap(ckpts):
    plain = ckpts[1]
    tr = plain.model.trace(plain.vocab.encode(SENTENCE), SENTENCE, plain.target_vocab)
    with pytest.raises(ValueError):
        figs.attention_map(tr)


def test_step_figures_show_that_steps_numbers(trace):
    t = 4
    fig, table = figs.step_attention_figure(trace, t)
    scores, weights = fig.data
    np.testing.assert_allclose(table["alpha_ij"], weights.y)
    np.testing.assert_allclose(table["e_ij"], scores.y)
    np.testing.assert_allclose(scores.y, trace.scores[t - 1])
    np.testing.assert_allclose(weights.y, trace.weights[0, 0, t - 1])
    # the weights are the softmax of the scores drawn above them
    e = trace.scores[t - 1]
    np.testing.assert_allclose(weights.y, np.exp(e - e.max()) / np.exp(e - e.max()).sum(), rtol=1e-5, atol=1e-7)
    assert list(fig.layout.yaxis2.range) == [0, 1]
    assert list(fig.layout.xaxis2.ticktext) == SENTENCE

    vec, table = figs.step_vectors_figure(trace, t)
    np.testing.assert_array_equal(table["c_i"], trace.contexts[t - 1])
    np.testing.assert_array_equal(table["s_i"].dropna(), trace.decoder_states[t - 1])
    for hm, expected in zip(vec.data, [trace.decoder_states, trace.contexts, trace.attentional]):
        np.testing.assert_array_equal(hm.z[0], expected[t - 1])
        assert (hm.zmin, hm.zmax) == (-1, 1)

    top, table = figs.top_k_figure(trace, t)
    bar = top.data[0]
    assert list(table["word"]) == trace.top_tokens[t - 1]
    np.testing.assert_allclose(bar.x, trace.top_probs[t - 1])
    assert list(bar.y) == trace.top_tokens[t - 1]
    assert np.all(np.diff(bar.x) <= 0)  # likeliest first
    chosen = [c == figs.CHOSEN for c in bar.marker.color]
    assert [w for w, c in zip(bar.y, chosen) if c] == [trace.output_tokens[t - 1]]


@pytest.mark.parametrize("beam", [2, 5])
def test_beam_tree_draws_every_kept_hypothesis_and_the_chosen_path(ckpts, beam):
    ckpt = ckpts[0]
    words = "some doors like a happy bird while a big book sees a big flower".split()
    result = ckpt.model.beam_search(ckpt.vocab.encode(words), ckpt.target_vocab, beam=beam, max_len=40)
    fig, table = figs.beam_tree_figure(result.tree, result.tokens)
    assert len(table) == sum(len(level) for level in result.tree) and list(table.columns[:3]) == ["step", "rank", "word"]
    nodes = next(t for t in fig.data if t.name == "hypothesis")
    assert len(nodes.x) == sum(len(level) for level in result.tree)
    scores = [n.score for level in result.tree for n in level]
    np.testing.assert_allclose([c[0] for c in nodes.customdata], scores)
    path = figs.beam_path(result.tree, result.tokens)
    assert [result.tree[s][r].token for s, r in path] == result.tokens
    assert [s for s, _ in path] == list(range(len(result.tokens)))
    chosen = next(t for t in fig.data if t.name == "chosen")
    assert len([x for x in chosen.x if x is not None]) == 2 * len(path)  # one edge per chosen node
    # the chosen path's last node holds the result's score
    s, r = path[-1]
    assert result.tree[s][r].score == pytest.approx(result.score)


def test_beam_path_is_empty_for_words_the_tree_never_made(ckpts):
    ckpt = ckpts[0]
    result = ckpt.model.beam_search(ckpt.vocab.encode(SENTENCE), ckpt.target_vocab, beam=3, max_len=30)
    assert figs.beam_path(result.tree, ["pas", "pas"]) == []


def test_length_chart_bars_equal_the_recorded_metrics_in_length_order(ckpts):
    metrics = {"with": ckpts[0].meta["metrics"], "without": ckpts[1].meta["metrics"]}
    fig, table = figs.length_figure(metrics)
    assert list(table.columns) == ["model", "length", "exact_match", "sentences"] and len(table) == 2 * len(BUCKET_NAMES)
    assert figs.length_chart(metrics).to_json() == fig.to_json()  # the transitional name draws the same
    assert [b.name for b in fig.data] == ["with", "without"]
    for bar, m in zip(fig.data, metrics.values()):
        assert list(bar.x) == list(BUCKET_NAMES)
        np.testing.assert_allclose(bar.y, [m["exact_match_by_length"][b] for b in BUCKET_NAMES])
        assert list(bar.customdata) == [m["sentences_by_length"][b] for b in BUCKET_NAMES]
    assert fig.layout.barmode == "group"
    assert fig.layout.yaxis.range[0] == 0 and fig.layout.yaxis.range[1] >= 1


def test_length_chart_leaves_a_gap_for_an_empty_bucket():
    m = {"exact_match_by_length": {"3-6": 1.0, "7-12": None}, "sentences_by_length": {"3-6": 4, "7-12": 0}}
    bar = figs.length_figure({"toy": m})[0].data[0]
    assert list(bar.x) == ["3-6", "7-12"] and bar.y[0] == 1.0 and np.isnan(bar.y[1])
    assert list(bar.text) == ["100%", ""]


def test_a_long_beam_tree_labels_only_the_chosen_path_but_hovers_every_word(ckpts):
    ckpt = ckpts[0]
    words = ("the new door does not take the red new flowers but a green red boy likes the happy girls "
             "and she takes the small car").split()
    result = ckpt.model.beam_search(ckpt.vocab.encode(words), ckpt.target_vocab, beam=4, max_len=60)
    assert len(result.tree) > figs.MAX_LABELLED_STEPS
    nodes = next(t for t in figs.beam_tree_figure(result.tree, result.tokens)[0].data if t.name == "hypothesis")
    labelled = [t for t in nodes.text if t]
    assert len(labelled) == len(result.tokens)
    assert [c[2] for c in nodes.customdata] == [figs.word_label(n.token) for lv in result.tree for n in lv]


def test_weights_heatmap_is_the_same_figure_from_recorded_numbers(trace):
    rounded = np.round(trace.weights[0, 0], 3).tolist()  # as the snapshot file stores them
    fig, table = figs.weights_heatmap(rounded, trace.source_tokens, trace.output_tokens, step=2)
    ref, ref_table = figs.attention_map(trace, step=2)
    assert list(table.columns) == list(ref_table.columns)
    np.testing.assert_allclose(heatmap_of(fig).z, trace.weights[0, 0], atol=5e-4)
    assert (heatmap_of(fig).zmin, heatmap_of(fig).zmax) == (0, 1)
    assert list(fig.layout.xaxis.ticktext) == list(ref.layout.xaxis.ticktext)
    assert list(fig.layout.yaxis.ticktext) == list(ref.layout.yaxis.ticktext)
    assert fig.layout.shapes[0].y0 == ref.layout.shapes[0].y0 == 1.5
    with pytest.raises(ValueError, match="shape"):
        figs.weights_heatmap(rounded, trace.source_tokens[:-1], trace.output_tokens)


def test_training_curve_marks_the_current_step_on_a_fixed_percent_axis():
    steps, values = [0, 25, 100, 400], [0.0, 0.1, 0.6, 0.99]
    fig, table = figs.training_curve(steps, values, 100)
    assert list(table["step"]) == steps and list(table["exact_match"]) == values
    assert list(fig.data[0].x) == steps and list(fig.data[0].y) == values
    assert (fig.data[1].x[0], fig.data[1].y[0]) == (100, 0.6)
    assert fig.layout.yaxis.range[0] <= 0 and fig.layout.yaxis.range[1] >= 1 and fig.layout.yaxis.tickformat == ".0%"
    assert fig.layout.xaxis.title.text == "training step"
    assert fig.layout.xaxis.range[0] <= 0 < 400 <= fig.layout.xaxis.range[1]
    one, _ = figs.training_curve([100], [0.3], 100)  # one chunk: the axis still starts at step 0
    assert one.layout.xaxis.range[0] <= 0 and one.layout.xaxis.range[1] >= 100
    assert len(figs.training_curve(steps, values, 7)[0].data) == 1  # a step that is not recorded: no marker


def test_length_chart_draws_any_metric_by_bucket():
    m = {"token_accuracy_by_length": {"25+": 0.5, "3-6": 1.0}, "sentences_by_length": {"3-6": 4, "25+": 2}}
    fig, table = figs.length_figure({"toy": m}, "token_accuracy_by_length", "token accuracy")
    assert "token_accuracy" in table.columns
    bar = fig.data[0]
    assert list(bar.x) == ["3-6", "25+"] and list(bar.y) == [1.0, 0.5]
    assert fig.layout.yaxis.title.text == "token accuracy (test sentences)" and "token accuracy" in bar.hovertemplate
