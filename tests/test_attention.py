"""Tiers 1-3 for the attention lesson: oracles against PyTorch, invariants, sentence and vector checks,
figure builders and the written-out equations (seqviz/models/attention.py, seqviz/plotting/attention.py)."""

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.models import attention as attn
from seqviz.plotting import attention as figs

WORDS = "the cat sat on the mat".split()


def example(d_k=3, seed=0, words=WORDS, **kw):
    cfg = attn.AttentionConfig(d_k=d_k, seed=seed, **kw)
    return cfg, attn.build_example(words, cfg)


def run(ex, **kw):
    return attn.attend(ex.X, ex.W_Q, ex.W_K, ex.W_V, extra=ex.additive, **kw)


def sdpa(steps, **kw):
    q, k, v = (torch.tensor(a, dtype=torch.float64) for a in (steps.Q, steps.K, steps.V))
    return F.scaled_dot_product_attention(q[None], k[None], v[None], **kw)[0].numpy()


# -- tier 1: oracles ----------------------------------------------------------------------------------
@pytest.mark.parametrize("causal", [False, True])
@pytest.mark.parametrize("d_k", [2, 3, 8])
def test_scaled_scoring_equals_pytorch_sdpa(causal, d_k):
    _, ex = example(d_k=d_k, seed=d_k)
    steps = run(ex, scoring="scaled", causal=causal)
    np.testing.assert_allclose(steps.output, sdpa(steps, is_causal=causal), atol=1e-6, rtol=0)
    # and the projections are the plain matrix products
    np.testing.assert_allclose(steps.Q, ex.X @ ex.W_Q, atol=1e-12)
    np.testing.assert_allclose(steps.V, ex.X @ ex.W_V, atol=1e-12)


@pytest.mark.parametrize("causal", [False, True])
def test_dot_scoring_equals_sdpa_with_scale_one(causal):
    _, ex = example(seed=3)
    steps = run(ex, scoring="dot", causal=causal)
    np.testing.assert_allclose(steps.output, sdpa(steps, is_causal=causal, scale=1.0), atol=1e-6, rtol=0)
    np.testing.assert_allclose(steps.raw, steps.Q @ steps.K.T, atol=1e-12)
    np.testing.assert_array_equal(steps.scaled, steps.raw)


@pytest.mark.parametrize("tau", [0.1, 0.5, 2.0, 10.0])
@pytest.mark.parametrize("causal", [False, True])
def test_temperature_equals_sdpa_with_scale_over_tau(tau, causal):
    _, ex = example(d_k=4, seed=5)
    steps = run(ex, scoring="scaled", temperature=tau, causal=causal)
    ref = sdpa(steps, is_causal=causal, scale=1 / (math.sqrt(4) * tau))
    np.testing.assert_allclose(steps.output, ref, atol=1e-6, rtol=0)


def test_additive_scoring_equals_its_formula_written_as_a_loop():
    _, ex = example(d_k=3, seed=11)
    for causal in (False, True):
        steps = run(ex, scoring="additive", causal=causal, temperature=0.7)
        a = ex.additive
        T = len(WORDS)
        Q, K, V = ex.X @ ex.W_Q, ex.X @ ex.W_K, ex.X @ ex.W_V
        scores = np.empty((T, T))
        for i in range(T):
            for j in range(T):
                scores[i, j] = a.v_a @ np.tanh(a.W_q @ Q[i] + a.W_k @ K[j])  # v_a^T tanh(W_q q_i + W_k k_j)
        np.testing.assert_allclose(steps.raw, scores, atol=1e-6, rtol=0)
        weights = np.zeros((T, T))
        for i in range(T):
            visible = range(i + 1) if causal else range(T)
            e = np.array([math.exp(scores[i, j] / 0.7) for j in visible])
            weights[i, list(visible)] = e / e.sum()
        np.testing.assert_allclose(steps.weights, weights, atol=1e-6, rtol=0)
        np.testing.assert_allclose(steps.output, weights @ V, atol=1e-6, rtol=0)


@pytest.mark.parametrize("causal", [False, True])
def test_scaled_scoring_equals_one_head_multihead_attention(causal):
    # nn.MultiheadAttention projects to embed_dim, so this needs d_k = d_v = d_model.
    cfg, ex = example(d_k=4, seed=2)
    steps = run(ex, scoring="scaled", causal=causal)
    mha = torch.nn.MultiheadAttention(cfg.d_model, num_heads=1, bias=False, batch_first=True).double()
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.tensor(np.concatenate([ex.W_Q.T, ex.W_K.T, ex.W_V.T])))  # (3E, E), x W^T
        mha.out_proj.weight.copy_(torch.eye(cfg.d_model, dtype=torch.float64))
        x = torch.tensor(ex.X)[None]
        mask = torch.tensor(~attn.causal_allowed(len(WORDS))) if causal else None  # True = not allowed
        out, w = mha(x, x, x, attn_mask=mask, need_weights=True)
    np.testing.assert_allclose(steps.output, out[0].numpy(), atol=1e-6, rtol=0)
    np.testing.assert_allclose(steps.weights, w[0].numpy(), atol=1e-6, rtol=0)


# -- tier 2: invariants ---------------------------------------------------------------------------------
@pytest.mark.parametrize("scoring", attn.SCORINGS)
@pytest.mark.parametrize("causal", [False, True])
def test_rows_sum_to_one_and_masked_weights_are_exactly_zero(scoring, causal):
    _, ex = example(seed=4)
    steps = run(ex, scoring=scoring, causal=causal, temperature=0.3)
    np.testing.assert_allclose(steps.weights.sum(axis=1), 1.0, atol=1e-12)
    assert (steps.weights >= 0).all()
    hidden = ~steps.allowed
    assert hidden.any() == causal
    assert (steps.weights[hidden] == 0.0).all()  # exact, not merely small
    assert np.isneginf(steps.masked[hidden]).all() and np.isneginf(steps.logits[hidden]).all()
    assert np.isfinite(steps.masked[steps.allowed]).all()
    assert (steps.weights[steps.allowed] > 0).all()
    if causal:
        np.testing.assert_allclose(steps.output[0], steps.V[0], atol=1e-12)  # the first word sees only itself


def test_temperature_sharpens_towards_one_hot_and_flattens_towards_uniform():
    _, ex = example(seed=7)
    base = run(ex, scoring="scaled")
    cold = run(ex, scoring="scaled", temperature=1e-5)
    hot = run(ex, scoring="scaled", temperature=1e3)
    T = len(WORDS)
    for i in range(T):
        best = base.scaled[i] == base.scaled[i].max()  # ties ("the" appears twice) share the weight
        np.testing.assert_allclose(cold.weights[i], best / best.sum(), atol=1e-6)
    np.testing.assert_allclose(hot.weights, np.full((T, T), 1 / T), atol=1e-2)
    # monotone in between: the largest weight of each row falls as tau grows
    taus = [0.1, 0.3, 1, 3, 10]
    peaks = np.array([run(ex, scoring="scaled", temperature=t).weights.max(axis=1) for t in taus])
    assert (np.diff(peaks, axis=0) <= 1e-12).all()


def test_temperature_sweep_matches_attend_row_by_row():
    _, ex = example(seed=1)
    taus = np.array([0.1, 1.0, 5.0])
    for causal in (False, True):
        sweep = attn.temperature_sweep(run(ex, causal=causal).scaled[3], attn.causal_allowed(6)[3] if causal
                                       else np.ones(6, bool), taus)
        for row, tau in zip(sweep, taus):
            np.testing.assert_allclose(row, run(ex, temperature=tau, causal=causal).weights[3], atol=1e-12)


def test_same_seed_same_numbers_and_same_word_same_vector():
    _, a = example(seed=9)
    _, b = example(seed=9)
    _, c = example(seed=10)
    for name in ("X", "W_Q", "W_K", "W_V"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    np.testing.assert_array_equal(a.additive.v_a, b.additive.v_a)
    assert not np.array_equal(a.W_Q, c.W_Q)
    np.testing.assert_array_equal(a.X, c.X)  # word vectors depend on the word, not the seed
    np.testing.assert_array_equal(a.X[0], a.X[4])  # "the" twice
    other = attn.build_example(["mat", "the"], attn.AttentionConfig())
    np.testing.assert_array_equal(other.X[1], a.X[0])
    assert not np.array_equal(a.X[0], a.X[1])


def test_weights_are_scaled_so_queries_have_about_unit_variance():
    # Over many words and seeds, q_i . k_j has variance about d_k: the premise of the sqrt(d_k) lesson.
    cfg = attn.AttentionConfig(d_k=16, max_words=400)
    words = [f"w{k}" for k in range(400)]
    raws = [run(attn.build_example(words, attn.AttentionConfig(d_k=16, seed=s)), scoring="dot").raw for s in range(5)]
    sd = np.std(np.concatenate([r.ravel() for r in raws]))
    assert 0.6 * math.sqrt(cfg.d_k) < sd < 1.5 * math.sqrt(cfg.d_k)


def test_score_spread_and_dot_product_spread():
    _, ex = example(d_k=8, seed=0)
    steps = run(ex, scoring="scaled", causal=True)
    sd_raw, sd_scaled = attn.score_spread(steps)
    assert sd_raw == pytest.approx(np.std(steps.raw[attn.causal_allowed(6)]))
    assert sd_scaled == pytest.approx(np.std(steps.scaled[attn.causal_allowed(6)]))
    assert sd_scaled == pytest.approx(sd_raw / math.sqrt(8))
    # the same dot products whatever the scoring shown
    assert attn.score_spread(run(ex, scoring="additive", causal=True)) == pytest.approx((sd_raw, sd_scaled))
    d = np.array([1, 4, 16, 64])
    np.testing.assert_allclose(attn.dot_product_spread(d), np.sqrt(d), rtol=0.1)


def test_attend_rejects_bad_arguments():
    _, ex = example()
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            run(ex, temperature=bad)
    with pytest.raises(ValueError):
        run(ex, scoring="cosine")
    with pytest.raises(ValueError):
        attn.attend(ex.X, ex.W_Q, ex.W_K, ex.W_V, scoring="additive")


# -- tier 3: the learner's input -------------------------------------------------------------------------
def test_check_sentence():
    cfg = attn.AttentionConfig()
    assert attn.check_sentence("  the   cat\tsat ", cfg) == attn.SentenceCheck(["the", "cat", "sat"], None)
    assert attn.check_sentence("<b>hi</b> 🐈 x", cfg).words == ["<b>hi</b>", "🐈", "x"]  # allowed, shown safely
    for bad, fragment in [("", "Type a sentence"), ("   ", "Type a sentence"),
                          ("a " * 9, "9 words"), ("x" * 10_000, "10,000 characters"), ("a" * 25, "25 characters")]:
        check = attn.check_sentence(bad, cfg)
        assert check.words == [] and fragment in check.error
        assert check.error.count(".") <= 2 and "\n" not in check.error  # one sentence


def test_check_vectors():
    X, err = attn.check_vectors([[1, 2], [3, 4.5]], 2, 2)
    assert err is None and X.dtype == np.float64 and X[1, 1] == 4.5
    for values, fragment in [([[1, None], [3, 4]], "finite"), ([[1, float("inf")], [3, 4]], "finite"),
                             ([[1, 2]], "2 rows"), ([["a", 2], [3, 4]], "number"), ([[1e6, 0], [0, 0]], "between")]:
        X, err = attn.check_vectors(np.array(values, dtype=object), 2, 2)
        assert X is None and fragment in err


# -- tier 3: figures and equations ---------------------------------------------------------------------------
def _heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def test_stage_figures_label_words_and_hover_rows_and_columns():
    _, ex = example()
    steps = run(ex, scoring="scaled", causal=True)
    for stage in ("raw", "scaled", "logits", "weights"):
        fig, table = figs.stage_figure(steps, WORDS, stage, query=2)
        main = _heatmaps(fig)[0]
        assert list(table["query word"]) == WORDS and list(table.columns[:3]) == ["i", "query word", "key 1 (the)"]
        np.testing.assert_array_equal(table.iloc[:, 2:].to_numpy(), getattr(steps, stage))
        assert list(fig.layout.xaxis.ticktext) == WORDS and list(fig.layout.yaxis.ticktext) == WORDS
        hover = main.customdata[1][2]
        assert "query 'cat' (i=2)" in hover and "key 'sat' (j=3)" in hover
        if stage in ("raw", "scaled"):
            assert f"{getattr(steps, stage)[1, 2]:.4f}" in hover
            assert main.zmid == 0 and main.zmin == -main.zmax  # diverging, centred on 0
        assert len(fig.layout.shapes) == 1  # the followed row
    logits, _ = figs.stage_figure(steps, WORDS, "logits")
    grey = _heatmaps(logits)[1]
    assert grey.text[0][1] == figs.MINUS_INF and grey.text[1][0] == ""
    assert np.isnan(np.asarray(_heatmaps(logits)[0].z, dtype=float)[0, 1])  # not drawn in colour
    weights = _heatmaps(figs.stage_figure(steps, WORDS, "weights")[0])
    assert len(weights) == 1 and weights[0].zmin == 0 and weights[0].zmax == 1
    assert weights[0].text[0][1] == "0" and np.asarray(weights[0].z, dtype=float)[0, 1] == 0.0


def test_figures_escape_html_in_words():
    words = ["<b>bold</b>", "🐈", "<a href='x'>a</a>"]
    cfg = attn.AttentionConfig()
    ex = attn.build_example(words, cfg)
    steps = run(ex)
    for fig in (figs.stage_figure(steps, words, "weights"), figs.qkv_figure(steps, words),
                figs.vectors_figure(steps.X, words, "X"),
                figs.temperature_figure(np.array([0.1, 1, 10]), np.full((3, 3), 1 / 3), words, 1.0, 0)):
        dumped = fig[0].to_json()
        assert "<b>bold" not in dumped and "<a href" not in dumped and "&lt;b&gt;" in dumped
    assert figs.word_label("x" * 30).endswith("…") and len(figs.word_label("x" * 30)) == 12


def test_markdown_literal_escapes_markup():
    for text in ["**bold**", "$x$", "[a](http://x)", "<script>", "a_b_c"]:
        escaped = figs.markdown_literal(text)
        assert re.sub(r"\\(.)", r"\1", escaped) == text  # only backslashes added
        assert not re.search(r"(?<!\\)[*$\[<_]", escaped)


def test_qkv_and_weights_figures_share_one_signed_scale():
    _, ex = example()
    steps = run(ex)
    fig, table = figs.qkv_figure(steps, WORDS)
    maps = _heatmaps(fig)
    np.testing.assert_array_equal(table[["q1", "k2", "v3"]].to_numpy(), np.stack([steps.Q[:, 0], steps.K[:, 1],
                                                                                  steps.V[:, 2]], axis=1))
    assert len(maps) == 3 and len({m.zmax for m in maps}) == 1
    assert maps[0].zmax == pytest.approx(max(np.abs(steps.Q).max(), np.abs(steps.K).max(), np.abs(steps.V).max()))
    np.testing.assert_array_equal(np.asarray(maps[1].z, dtype=float), steps.K)
    fig, table = figs.weights_figure(ex.W_Q, ex.W_K, ex.W_V)
    assert [np.asarray(m.z).shape for m in _heatmaps(fig)] == [(4, 3)] * 3
    assert list(table["r"]) == [1, 2, 3, 4] and list(table["W_K[r,2]"]) == list(ex.W_K[:, 1])


def test_temperature_and_spread_tables_hold_the_plotted_numbers():
    _, ex = example()
    steps = run(ex)
    taus, weights = attn.temperature_curve(steps, 2)
    fig, table = figs.temperature_figure(taus, weights, WORDS, 1.0, 2)
    assert list(table.columns[:2]) == ["tau", "alpha 3,1 (the)"] and len(table) == len(taus) == 61
    np.testing.assert_allclose(table.iloc[:, 1:].to_numpy().sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.asarray(fig.data[1].y), weights[:, 1])
    assert taus[0] == pytest.approx(0.1) and taus[-1] == pytest.approx(10)
    assert attn.top_weight(steps, 2, 1.0) == pytest.approx(steps.weights[2].max())
    fig, table = figs.spread_figure(np.array(attn.SPREAD_SIZES))
    np.testing.assert_allclose(table["std of q.k"], np.sqrt(attn.SPREAD_SIZES), rtol=0.1)
    np.testing.assert_allclose(table["std of q.k / sqrt(d_k)"], 1.0, rtol=0.1)


def test_temperature_of_keeps_a_link_in_range():
    assert attn.temperature_of("0.5") == 0.5
    assert attn.temperature_of("1000") == attn.MAX_TEMPERATURE and attn.temperature_of("0") == attn.MIN_TEMPERATURE


def _numbers(latex):
    return [float(x) for x in re.findall(r"-?\d+\.\d+", latex)]


@pytest.mark.parametrize("scoring", attn.SCORINGS)
def test_row_equations_show_the_computed_numbers(scoring):
    _, ex = example()
    steps = run(ex, scoring=scoring, causal=True, temperature=0.5)
    i = 2
    eq = figs.row_equations(steps, i)
    assert set(eq) == {"projection", "scores", "logits", "softmax", "output"}
    nums = _numbers(eq["scores"])
    for j in range(len(WORDS)):
        assert round(steps.raw[i, j], 3) in [round(x, 3) for x in nums]
    assert r"-\infty" in eq["logits"] and "j > 3" in eq["logits"]
    for j in range(i + 1):
        assert f"{steps.weights[i, j]:.3f}" in eq["softmax"]
    assert r"\alpha_{3,4} &= e^{-\infty}" in eq["softmax"]
    for value in steps.output[i]:
        assert f"{value:.3f}" in eq["output"]
    assert eq["scores"].count(r"\\") == len(WORDS) - 1
    if scoring == "scaled":
        assert r"\sqrt{3}" in eq["scores"]
    if scoring == "dot":  # the products written out add up to the score shown
        line = eq["scores"].split(r" \\ ")[0]
        pairs = re.findall(r"\(?(-?\d+\.\d+)\)? \\cdot \(?(-?\d+\.\d+)\)?", line)
        assert len(pairs) == 3
        assert sum(float(a) * float(b) for a, b in pairs) == pytest.approx(steps.raw[i, 0], abs=3e-3)


def test_num_formats_extremes():
    assert figs.num(float("-inf")) == r"-\infty"
    assert figs.num(0.0) == "0"
    assert "10^{-20}" in figs.num(1.5e-20)
    assert figs.num(0.12345) == "0.123"


def test_row_equations_stay_short_for_the_largest_example():
    # 8 words, d_k = 16, a cold softmax (scientific numbers): no line of any equation grows past the screen.
    words = "one two three four five six seven eight".split()
    cfg = attn.AttentionConfig(d_k=16)
    steps = run(attn.build_example(words, cfg), scoring="dot", causal=False, temperature=0.1)
    eq = figs.row_equations(steps, 7)
    for name, latex in eq.items():
        for line in latex.split(r"\\"):
            assert len(re.findall(r"-?\d+\.\d+", line)) <= 17, (name, line)
    assert r"\,v_{3}" in eq["output"] and r"\left(" not in eq["output"].split("&=")[1]
    assert eq["softmax"].count(r"&\quad +") == 1  # 8 exponentials, 4 a line
