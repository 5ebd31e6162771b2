"""Units for the vanishing-gradient lesson: seqviz.gradients against autograd, and its figures."""

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz import gradients as G
from seqviz import zoo
from seqviz import labs
from seqviz.models.recurrent import rnn_cell
from seqviz import plotting
from seqviz.plotting import gradients as plots


@pytest.fixture(scope="module")
def recall():
    ckpt = zoo.load("recall-rnn")
    text = ckpt.task.sample(random.Random(3))
    return ckpt, text, ckpt.vocab.encode(list(text)), ckpt.task.target(text)


@pytest.fixture(scope="module")
def rnns(recall):
    """The vanilla RNN untrained, trained, and with W_hh shrunk and stretched."""
    ckpt = recall[0]
    init = G.initial_model(labs.recurrent.RECIPES["recall-rnn"])
    return {"init": init, "trained": ckpt.model, "init x0.5": G.scale_recurrent(init, 0.5),
            "init x3": G.scale_recurrent(init, 3.0), "trained x2": G.scale_recurrent(ckpt.model, 2.0)}


# -- models ------------------------------------------------------------------------------------
def test_initial_model_is_the_recipes_init_and_leaves_the_global_generator_alone():
    recipe = labs.recurrent.RECIPES["recall-lstm"]
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    model = G.initial_model(recipe)
    assert torch.equal(torch.rand(3), expected_next)  # forked: the caller's stream is unchanged
    reference = recipe.build_model()
    for k, v in reference.state_dict().items():
        assert torch.equal(model.state_dict()[k], v)
    H = model.cfg.hidden_size  # remember_by_default was applied: forget-gate bias 3
    assert torch.all(model.weights()[1][H:2 * H] == 3.0)
    trained = zoo.load("recall-lstm").model
    assert not torch.equal(model.W_hh, trained.W_hh)


@pytest.mark.parametrize("s", [0.25, 0.5, 2.0, 3.0])
def test_scaling_w_hh_by_s_scales_the_spectral_radius_by_s_and_copies(rnns, s):
    base = rnns["trained"]
    before = {k: v.clone() for k, v in base.state_dict().items()}
    scaled = G.scale_recurrent(base, s)
    assert scaled.spectral_radius() == pytest.approx(s * base.spectral_radius(), rel=1e-4)
    assert torch.allclose(scaled.W_hh, s * base.W_hh)
    assert torch.equal(scaled.W_xh, base.W_xh) and torch.equal(scaled.head.weight, base.head.weight)
    for k, v in base.state_dict().items():  # the original (possibly a cached, shared model) is untouched
        assert torch.equal(v, before[k])


def test_scaling_reaches_every_recurrent_matrix_of_a_gated_cell():
    lstm = zoo.load("recall-lstm").model
    scaled = G.scale_recurrent(lstm, 2.0)
    assert torch.allclose(scaled.weights()[2], 2 * lstm.weights()[2])  # all four gate blocks
    assert torch.equal(scaled.weights()[0], lstm.weights()[0])


# -- the Jacobians ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["init", "trained", "init x3"])
def test_each_jacobian_equals_autograds_jacobian_of_one_rnn_cell_step(recall, rnns, name):
    _, text, ids, target = recall
    model = rnns[name]
    jac = G.rnn_jacobians(model, ids, target)
    U = F.one_hot(torch.tensor(ids), model.cfg.vocab_size).double()
    W = [w.detach().double() for w in model.weights()]
    h_prev = torch.zeros(model.cfg.hidden_size, dtype=torch.double)
    for t in range(len(ids)):
        x_t = U[t]
        J_auto = torch.autograd.functional.jacobian(lambda h: rnn_cell(x_t[None], h[None], *W)[0], h_prev)
        # the states come from the fused float32 layer, so allow float32 rounding in 1 - h_t²
        np.testing.assert_allclose(jac.J[t], J_auto.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(jac.h[t], rnn_cell(x_t[None], h_prev[None], *W)[0].numpy(), atol=1e-5)
        h_prev = torch.from_numpy(jac.h[t])


@pytest.mark.parametrize("name", ["init", "trained", "init x0.5", "init x3", "trained x2"])
def test_the_written_out_chain_rule_gives_autograds_gradient_norms(recall, rnns, name):
    _, _, ids, target = recall
    model = rnns[name]
    jac = G.rnn_jacobians(model, ids, target)
    auto = model.grad_norms_through_time(ids, target)
    ours = G.chain_rule_norms(jac)
    assert ours[-1] == pytest.approx(np.linalg.norm(jac.dL_dhT)) and ours[-1] == pytest.approx(auto[-1], rel=1e-4)
    # float32 autograd against float64: close while the gradient is within 10^12 of its largest value;
    # far smaller ones carry float32's rounding from every step, so only the size must agree
    ok = auto > 1e-12 * auto.max()
    assert ok.sum() >= 5
    np.testing.assert_allclose(ours[ok], auto[ok], rtol=2e-3)
    tiny = (auto > 1e-30) & ~ok
    assert np.all(np.abs(np.log10(ours[tiny] / auto[tiny])) < 0.3)


@pytest.mark.parametrize("name", ["init", "trained", "init x0.5", "init x3", "trained x2"])
def test_the_product_norm_bounds_the_gradient(recall, rnns, name):
    _, _, ids, target = recall
    model = rnns[name]
    jac = G.rnn_jacobians(model, ids, target)
    products = G.product_norms(jac.J)
    steps = G.spectral_norm(jac.J)
    auto = model.grad_norms_through_time(ids, target)
    gT = np.linalg.norm(jac.dL_dhT)
    assert np.all(products > 0) and np.all(steps > 0)
    assert products[-1] == pytest.approx(1.0)  # k = T: the empty product, the identity
    assert np.all(auto <= products * gT * (1 + 1e-3) + 1e-30)  # ‖∂L/∂h_k‖ ≤ ‖J_T..J_{k+1}‖ ‖∂L/∂h_T‖
    # submultiplicativity: ‖J_T..J_{k+1}‖ ≤ ∏ ‖J_j‖
    bound = np.append(np.cumprod(steps[::-1])[::-1][1:], 1.0)
    assert np.all(products <= bound * (1 + 1e-9))
    # one step: ‖diag(1 - h²) W_hh‖ ≤ max(1 - h²) ‖W_hh‖
    assert np.all(steps <= jac.slope.max(axis=1) * G.spectral_norm(jac.W_hh) * (1 + 1e-9))


def test_backward_products_multiply_in_the_right_order():
    rng = np.random.default_rng(0)
    J = rng.normal(size=(6, 4, 4))
    P = G.backward_products(J)
    np.testing.assert_array_equal(P[5], np.eye(4))
    np.testing.assert_allclose(P[1], J[5] @ J[4] @ J[3] @ J[2])  # k = 2: J_6 J_5 J_4 J_3
    np.testing.assert_allclose(P[0], np.linalg.multi_dot(list(J[:0:-1])))
    np.testing.assert_allclose(G.product_norms(J)[2], np.linalg.svd(J[5] @ J[4] @ J[3], compute_uv=False)[0])


def test_shrinking_w_hh_makes_the_gradient_vanish_and_stretching_it_makes_it_grow(recall, rnns):
    _, _, ids, target = recall
    small = G.reach(G.chain_rule_norms(G.rnn_jacobians(rnns["init x0.5"], ids, target)))
    big = G.reach(G.chain_rule_norms(G.rnn_jacobians(rnns["init x3"], ids, target)))
    assert small.ratio < 1e-10 and small.per_step < 0.7
    assert big.ratio > 1 and big.per_step > small.per_step


def test_rnn_jacobians_refuses_a_gated_cell(recall):
    with pytest.raises(ValueError, match="vanilla RNN"):
        G.rnn_jacobians(zoo.load("recall-gru").model, recall[2], recall[3])


def test_tables_hold_one_row_a_step(recall, rnns):
    _, text, ids, target = recall
    jac = G.rnn_jacobians(rnns["init"], ids, target)
    table = G.jacobian_table(list(text), jac)
    assert len(table) == len(text) and list(table["character"]) == list(text)
    np.testing.assert_allclose(table["||dL/dh_t|| / ||dL/dh_T||"].iloc[-1], 1.0)
    assert (table["mean(1 - h_t^2)"].between(0, 1)).all()
    m = G.jacobian_matrix_table(jac, 4)
    np.testing.assert_allclose(m.filter(like="J[").to_numpy(), jac.J[3])
    np.testing.assert_allclose(m["1 - h_t[i]^2"], 1 - jac.h[3] ** 2)
    curves = G.curves_table(list(text), {"trained": {"RNN": np.ones(len(text)), "GRU": np.zeros(len(text))}})
    assert list(curves.columns) == ["t", "character", "||dL/dh_t|| RNN (trained)", "||dL/dh_t|| GRU (trained)"]


# -- summaries ------------------------------------------------------------------------------------
def test_reach_of_a_geometric_curve():
    T = 11
    norms = 0.5 ** (T - np.arange(1, T + 1))  # halves each step back, ends at 1
    r = G.reach(norms)
    assert r.first == pytest.approx(0.5 ** 10) and r.last == 1
    assert r.ratio == pytest.approx(0.5 ** 10) and r.per_step == pytest.approx(0.5) and r.typical == pytest.approx(0.5)
    assert r.zeros == 0
    steep_then_flat = np.array([1e-6] * 8 + [1e-3, 1.0])
    r = G.reach(steep_then_flat)
    assert r.typical == pytest.approx(1.0) and r.ratio == pytest.approx(1e-6)
    assert G.reach(np.array([0.0, 0.0, 0.1, 1.0])).zeros == 2


def test_memory_path_of_a_constant_gate_and_of_the_shipped_models(recall):
    gates = {"f": np.full((6, 3), 0.9)}
    p = G.memory_path("lstm", gates)
    assert p.gate == "f" and p.mean == pytest.approx(0.9) and p.product_median == pytest.approx(0.9 ** 5)
    assert p.product_max == pytest.approx(0.9 ** 5)
    one_unit = np.full((6, 3), 0.5)
    one_unit[:, 2] = 0.99  # a single unit with its gate near 1 keeps the memory
    p = G.memory_path("gru", {"z": one_unit})
    assert p.gate == "z" and p.product_median == pytest.approx(0.5 ** 5) and p.product_max == pytest.approx(0.99 ** 5)
    _, text, ids, _ = recall
    for cell in ("lstm", "gru"):
        model = G.initial_model(labs.recurrent.RECIPES[f"recall-{cell}"])
        trace = model.trace(ids, list(text), ["?"] * 8)
        p = G.memory_path(cell, trace.first.gates)
        assert 0.9 < p.mean < 0.99  # σ(3) ≈ 0.953: the recipes' "remember by default" bias
        assert 0 < p.product_median <= p.product_max < 1


# -- figures ----------------------------------------------------------------------------------------
def test_gradient_curves_figure_panels_log_axis_and_gaps():
    tokens = list("a0123")
    curves = {"at initialisation": {"Vanilla RNN": np.array([0.0, 1e-8, 1e-5, 1e-2, 0.5]),
                                    "LSTM": np.array([0.1, 0.1, 0.2, 0.3, 0.5])},
              "trained": {"Vanilla RNN": np.array([1e-9, 1e-6, 1e-3, 0.1, 0.2]),
                          "LSTM": np.array([1e-4, 1e-4, 1e-4, 1e-3, 1e-2])}}
    fig, table = plots.gradient_curves_figure(tokens, curves)
    assert len(fig.data) == 4
    assert list(table["||dL/dh_t|| LSTM (trained)"]) == list(curves["trained"]["LSTM"])
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.type == "log"
    assert [a.text for a in fig.layout.annotations][:2] == ["at initialisation", "trained"]
    assert sum(bool(tr.showlegend) for tr in fig.data) == 2  # one legend entry a model
    assert np.isnan(fig.data[0].y[0]) and fig.data[0].y[1] == 1e-8  # an exact 0 is a gap, not a point
    lo, hi = fig.layout.yaxis.range
    assert lo <= np.log10(1e-9) and hi >= np.log10(0.5) and fig.layout.yaxis2.range == fig.layout.yaxis.range
    assert list(fig.layout.xaxis2.ticktext) == tokens and fig.data[0].customdata.tolist() == tokens
    rel, _ = plots.gradient_curves_figure(tokens, curves, relative=True)
    assert all(tr.y[-1] == pytest.approx(1.0) for tr in rel.data)
    assert rel.data[2].y[0] == pytest.approx(1e-9 / 0.2)


def test_long_texts_get_thinned_tick_labels():
    tokens = ["a"] + list("0123456789" * 20)
    fig, table = plots.scaled_rnn_figure(tokens, np.ones(201), np.ones(201), 2.0, 1.2, 0.6)
    assert len(table) == 201
    assert 30 <= len(fig.layout.xaxis.tickvals) <= 61 and fig.layout.xaxis.tickvals[0] == 1
    assert "ρ = 1.20" in fig.data[1].name and "ρ = 0.60" in fig.data[0].name


def test_jacobian_figures(recall, rnns):
    _, text, ids, target = recall
    jac = G.rnn_jacobians(rnns["init x3"], ids, target)
    table = G.jacobian_table(list(text), jac)
    fig, shown = plots.jacobian_products_figure(list(text), jac, k=5)
    assert shown.equals(table)
    assert len(fig.data) == 3 and fig.layout.yaxis.type == "log"
    np.testing.assert_allclose(fig.data[0].y, table["||J_T...J_(t+1)||"])
    assert fig.layout.shapes[0].x0 == 5
    k = 7
    heat, matrix = plots.jacobian_heatmap(jac, k)
    assert matrix.equals(G.jacobian_matrix_table(jac, k))
    slope, W, J = heat.data
    assert (slope.zmin, slope.zmax) == (0, 1)
    bound = np.abs(jac.W_hh).max()
    assert W.zmin == J.zmin == -bound and W.zmax == J.zmax == bound  # one fixed scale for W_hh and J_t
    np.testing.assert_allclose(np.asarray(J.z), np.asarray(slope.z) * np.asarray(W.z))  # J = diag(1 - h²) W_hh
    assert "J" in heat.layout.annotations[2].text and str(k) in heat.layout.annotations[2].text


def test_chain_rule_norms_survive_where_squaring_would_underflow(recall, rnns):
    _, _, ids, target = recall
    jac = G.rnn_jacobians(rnns["init"], ids, target)
    tiny = G.RNNJacobians(jac.h, jac.W_hh, jac.J, jac.dL_dhT * 1e-170)  # every gradient ~1e-170: squares < 1e-308
    np.testing.assert_allclose(G.chain_rule_norms(tiny), G.chain_rule_norms(jac) * 1e-170, rtol=1e-9)


def test_a_wide_span_of_decades_keeps_a_readable_number_of_labels():
    norms = 10.0 ** -np.arange(200)[::-1]  # 1e-199 .. 1
    fig, _ = plots.scaled_rnn_figure(["a"] + ["0"] * 199, norms, norms, 0.25, 0.15, 0.6)
    lo, hi = fig.layout.yaxis.range
    assert lo <= -199 and hi >= 0 and (hi - lo) / fig.layout.yaxis.dtick <= 9


def test_tex_numbers_for_the_lesson():
    assert plotting.tex_number(0.1234) == "0.123" and plots.tex_number(0.0) == "0"
    assert plotting.tex_number(1.23e-5) == r"1.2 \times 10^{-5}" and plots.tex_number(float("nan")) == r"\text{undefined}"
