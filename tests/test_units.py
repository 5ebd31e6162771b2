"""Tier 3, units: vocabulary, task, analysis and figure builders (no streamlit)."""


import altair as alt
import numpy as np
import pytest
import torch

from seqviz import analysis, plotting
from seqviz.analysis import fit_pca
from seqviz.plotting import recurrent as figs
from seqviz.tasks.brackets import IGNORE, MAX_INPUT_CHARS
from seqviz.vocab import PAD, UNK, Vocab


# -- vocab ---------------------------------------------------------------------------------------
def test_vocab_puts_specials_first_and_round_trips():
    v = Vocab.build("(a)b(a", specials=(PAD,))
    assert v.idx_to_token == (PAD, "(", "a", ")", "b")
    assert v.decode(v.encode("(ab)")) == list("(ab)")
    assert v.unknown("(xzx)") == ["x", "z"]


def test_vocab_without_unk_refuses_unknown_tokens_and_with_unk_maps_them():
    with pytest.raises(KeyError):
        Vocab.build("ab").encode("abc")
    v = Vocab.build("ab", specials=(UNK,))
    assert v.encode("abc") == [1, 2, 0]


def test_vocab_rejects_duplicates():
    with pytest.raises(ValueError, match="duplicate"):
        Vocab(("a", "b", "a"))


# -- bracket task ------------------------------------------------------------------------------
def test_depth_rule(task):
    assert task.depths("a(b(c)d)e") == [0, 1, 1, 2, 2, 1, 1, 0, 0]
    assert task.depths("))") == [-1, -2]


def test_generated_texts_stay_in_range_and_are_seeded(task):
    texts = task.dataset(300, seed=5)
    assert texts == task.dataset(300, seed=5) and texts != task.dataset(300, seed=6)
    for text in texts:
        d = task.depths(text)
        assert task.min_len <= len(text) <= task.max_len
        assert 0 <= min(d) and max(d) <= task.max_depth
    assert max(max(task.depths(t)) for t in texts) == task.max_depth  # the deepest class occurs
    assert any(c in task.filler for c in "".join(texts))


def test_tensors_pad_with_ignore(task):
    vocab = task.vocab()
    x, y = task.tensors(["(a)", "((b))x"], vocab)
    assert x.shape == y.shape == (2, 6)
    assert y[0].tolist() == [1, 1, 0, IGNORE, IGNORE, IGNORE]
    assert x[0, 3:].tolist() == [vocab.token_to_idx[PAD]] * 3
    assert vocab.decode(x[1].tolist()) == list("((b))x")


def test_batches_are_an_endless_seeded_stream(task):
    vocab = task.vocab()
    a, b = task.batches(1, 8, vocab), task.batches(1, 8, vocab)
    for _ in range(3):
        (xa, ya), (xb, yb) = next(a), next(b)
        assert torch.equal(xa, xb) and torch.equal(ya, yb) and xa.shape[0] == 8


@pytest.mark.parametrize("text, fragment", [
    ("", "at least one character"),
    ("(" * 10_000, "10,000 characters"),
    ("(a)😀", "'😀'"),
    ("<script>alert(1)</script>", "'<'"),
    ("(A)", "'A'"),
    ("(a)\n(b)", "'\\n'"),
])
def test_bad_text_gets_one_clear_sentence(task, text, fragment):
    check = task.check_text(text, task.vocab())
    assert check.tokens is None and fragment in check.error
    assert check.error.count(". ") == 0 and check.error.endswith(".")  # one sentence


def test_text_outside_training_range_is_usable_with_a_note(task):
    vocab = task.vocab()
    assert "never opened" in task.check_text("a)(", vocab).note
    deep = task.check_text("(" * (task.max_depth + 2), vocab)
    assert deep.tokens is not None and "nests 6 deep" in deep.note
    ok = task.check_text("(" * MAX_INPUT_CHARS, vocab)
    assert ok.error is None
    assert task.check_text("a(b)", vocab).note is None


# -- analysis ----------------------------------------------------------------------------------
def test_pca_matches_scikit_learn_up_to_sign():
    from sklearn.decomposition import PCA

    rows = np.random.default_rng(0).normal(size=(60, 5)) @ np.diag([5, 3, 1, 0.5, 0.1])
    basis = fit_pca(rows, k=2)
    ref = PCA(n_components=2).fit(rows)
    assert np.allclose(basis.explained, ref.explained_variance_ratio_)
    ours, theirs = basis.project(rows), ref.transform(rows)
    for k in range(2):
        assert np.allclose(np.abs(ours[:, k]), np.abs(theirs[:, k]), atol=1e-9)
        assert np.isclose(abs(np.dot(ours[:, k], theirs[:, k])), np.dot(theirs[:, k], theirs[:, k]))


def test_pca_handles_degenerate_inputs():
    one = fit_pca(np.ones((1, 4)), k=2)
    assert np.allclose(one.project(np.ones((1, 4))), 0) and np.allclose(one.explained, 0)
    line = fit_pca(np.outer(np.arange(5.0), [1, 2, 0]), k=2)
    assert line.explained[0] == pytest.approx(1.0) and line.explained[1] == pytest.approx(0.0, abs=1e-12)


# -- figures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trace(shipped):
    text = "f(a b)"
    return shipped.model.trace(shipped.vocab.encode(list(text)), list(text), shipped.task.class_names)


def test_hidden_heatmap_uses_tokens_and_the_fixed_diverging_scale(trace):
    fig, table = figs.hidden_heatmap(trace, t=3)
    hm = fig.data[0]
    assert list(table["character"]) == trace.tokens and np.array_equal(table.iloc[:, 2:].to_numpy(), trace.hidden)
    assert plotting.hidden_heatmap(trace, t=3) == fig  # the checkpoint explorer's name: the figure alone
    assert np.array_equal(hm.z, trace.hidden.T)
    assert (hm.zmin, hm.zmax, hm.zmid) == (-1, 1, 0)
    assert list(fig.layout.xaxis.ticktext) == ["f", "(", "a", "␣", "b", ")"]
    assert "h = %{z:.3f}" in hm.hovertemplate


def test_step_terms_figure_shows_the_numbers_of_step_t(trace):
    t = 4
    fig, table = figs.step_terms_figure(trace.first, t)
    terms, hs = fig.data[0], fig.data[1]
    eq = trace.first.equation("a")
    assert list(table.columns) == ["unit", *eq, "h_{t-1}", "h_t"] and np.allclose(table["h_t"], trace.hidden[t - 1])
    assert np.allclose(table[list(eq)[:4]].sum(axis=1), table["a_t"], atol=1e-5)  # the four terms add up to a_t
    assert [x.lstrip("+= ") for x in terms.x] == [plotting.math_label(n) for n in eq]
    assert list(terms.x)[-1] == "= a<sub>t</sub>" and list(terms.x)[1] == "+ b<sub>xh</sub>"  # reads as the equation
    assert list(terms.x)[2] == "+ W<sub>hh</sub> h<sub>t-1</sub>"
    assert np.allclose(terms.z[:, -1], eq["a_t"][t - 1])
    assert np.allclose(hs.z[:, 0], trace.hidden[t - 2]) and np.allclose(hs.z[:, 1], trace.hidden[t - 1])
    assert (hs.zmin, hs.zmax) == (-1, 1)
    bound = np.abs(np.stack(list(eq.values()))).max()
    assert terms.zmax == pytest.approx(max(1.0, bound)) and terms.zmin == -terms.zmax


def test_prediction_heatmap_is_probabilities_with_truth_markers(trace, task):
    truth = task.depths("".join(trace.tokens))
    fig, table = figs.prediction_heatmap(trace, truth)
    assert (fig.data[0].zmin, fig.data[0].zmax) == (0, 1)
    assert list(table["true depth"]) == truth and np.allclose(table[trace.class_names].sum(axis=1), 1.0, atol=1e-6)
    assert np.allclose(np.asarray(fig.data[0].z).sum(axis=0), 1.0, atol=1e-6)
    assert list(fig.data[1].y) == truth
    out_of_range, _ = figs.prediction_heatmap(trace, [-1] * len(trace.tokens))
    assert len(out_of_range.data) == 1  # no markers for depths that are not classes


def test_trajectory_joins_states_in_order_with_token_labels(trace):
    pts = np.arange(12.0).reshape(6, 2)
    fig, table = figs.trajectory_figure(pts, trace.tokens, np.array([0.6, 0.3]),
                                     background=np.zeros((4, 2)), background_labels=["a", "a", "b", "b"], t=2)
    path = next(d for d in fig.data if d.name == "your input")
    assert path.mode == "lines+markers+text" and list(path.text) == ["f", "(", "a", "␣", "b", ")"]
    assert np.array_equal(path.x, pts[:, 0])
    assert "60%" in fig.layout.xaxis.title.text
    assert {d.name for d in fig.data} >= {"a", "b", "t = 2"}
    assert list(table["PC2"]) == list(pts[:, 1]) and list(table["t"]) == [1, 2, 3, 4, 5, 6]


def test_step_latex_writes_out_the_update_with_its_numbers(trace):
    latex = figs.step_latex(trace.first, 4, 2)
    assert latex.startswith("a_{4}[2] = ") and rf"h_{{4}}[2] = \tanh(" in latex
    assert f"= {trace.hidden[3, 2]:.3f}" in latex


def test_reference_states_and_step_lengths(shipped):
    basis, points, labels = analysis.reference_states(shipped.model, shipped.task, shipped.vocab, n=20, max_points=50)
    assert points.shape == (50, 2) and len(labels) == 50 and set(labels) <= set(shipped.task.class_names)
    hidden = np.array([[0.0, 0.0], [3.0, 4.0], [3.0, 4.0]])
    assert analysis.mean_step_lengths(hidden, [True, False, False]) == (0.0, 2.5)  # |h_1 - 0| = 0, 5 then 0
    assert analysis.mean_step_lengths(hidden, [True] * 3) is None


def test_loss_chart_is_a_log_scale_line():
    chart = plotting.loss_chart([1, 2, 3], [2.0, 1.0, 0.5])
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "line" and spec["encoding"]["y"]["scale"]["type"] == "log"
