"""Tier 1, oracle: every internal a lesson shows, against PyTorch's own nn.RNN, nn.LSTM and nn.GRU.

Weights are copied into the reference modules; states, gates and outputs must agree to 1e-5, for
one and two layers, one and two directions, over many steps, with weights large enough that the
nonlinearities saturate.
"""

import itertools
from unittest import mock

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.models.recurrent import (Intervention, RecurrentConfig, RecurrentNet, gru_cell, linear_scan,
                                     lstm_cell, rnn_cell, sigmoid, softmax)

TOL = 1e-5
REFERENCE = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
SHAPES = list(itertools.product(["rnn", "lstm", "gru"], [1, 2], [False, True]))
IDS = [3, 1, 4, 1, 5, 2, 6, 5, 3, 5, 8, 7, 2, 2, 1, 6, 4, 3, 8, 1]


class _SlowPath(Intervention):
    """An intervention that changes nothing but still forces the explicit, step-by-step path."""

    def __bool__(self) -> bool:
        return True


def make(cell, layers=1, bidirectional=False, output="tag", seed=0, V=9, H=7, C=4, scale=2.5):
    torch.manual_seed(seed)
    model = RecurrentNet(RecurrentConfig(V, C, cell, H, layers, bidirectional, output))
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
    return model


def reference(model: RecurrentNet) -> torch.nn.Module:
    """PyTorch's multi-layer module with the model's weights (our layer l is its layer l)."""
    cfg = model.cfg
    extra = {"nonlinearity": "tanh"} if cfg.cell == "rnn" else {}
    ref = REFERENCE[cfg.cell](cfg.vocab_size, cfg.hidden_size, num_layers=cfg.num_layers,
                              bidirectional=cfg.bidirectional, batch_first=True, **extra)
    ref.load_state_dict({k.replace("_l0", f"_l{l}"): v for l, layer in enumerate(model.layers)
                         for k, v in layer.state_dict().items()})
    return ref


def one_hot(ids, V):
    return F.one_hot(torch.tensor([ids]), V).float()


@pytest.mark.parametrize("cell,layers,bidirectional", SHAPES)
def test_trace_matches_pytorch_modules(cell, layers, bidirectional):
    model = make(cell, layers, bidirectional)
    tr = model.trace(IDS, [str(i) for i in IDS], list("abcd"))
    with torch.no_grad():
        out, h_n = reference(model)(one_hot(IDS, 9))
    assert np.abs(tr.output - out[0].numpy()).max() <= TOL
    pre = max(np.abs(list(tr.first.equation(g).values())[-1]).max() for g in tr.first.gates)
    assert pre > 2  # large weights: the nonlinearities were pushed into saturation
    H, dirs = model.cfg.hidden_size, model.cfg.directions
    for l, cells in enumerate(tr.layers):
        for d, c in enumerate(cells):
            final = c.hidden[0] if c.reverse else c.hidden[-1]
            ref_h = (h_n[0] if cell == "lstm" else h_n)[l * dirs + d, 0].numpy()
            assert np.abs(final - ref_h).max() <= TOL  # every layer's final state, not just the top
            if cell == "lstm":
                final_c = c.cell[0] if c.reverse else c.cell[-1]
                assert np.abs(final_c - h_n[1][l * dirs + d, 0].numpy()).max() <= TOL
                assert np.allclose(c.hidden, c.gates["o"] * np.tanh(c.cell), atol=TOL)
    assert np.abs(tr.output[:, :H] - tr.layers[-1][0].hidden).max() <= TOL
    with torch.no_grad():
        logits, loss = model(torch.tensor([IDS]))
    assert loss is None and np.abs(tr.logits - logits[0].numpy()).max() <= TOL


@pytest.mark.parametrize("cell,layers,bidirectional", SHAPES)
def test_explicit_cells_equal_the_fast_path_in_every_state_gate_and_term(cell, layers, bidirectional):
    """The batched recompute (`_recompute`) against the per-step cells (`_explicit`), for every layer and
    direction in turn: a no-op intervention sends exactly that cell through the step-by-step path."""
    model = make(cell, layers, bidirectional)
    fast = model.trace(IDS, list("x" * len(IDS)), list("abcd"))
    for where in itertools.product(range(layers), range(model.cfg.directions)):
        with mock.patch.object(model, "_explicit", wraps=model._explicit) as stepped:
            slow = model.trace(IDS, list("x" * len(IDS)), list("abcd"), _SlowPath(layer=where[0], direction=where[1]))
        assert [call.args[1:3] for call in stepped.call_args_list] == [where]  # that cell, and only it
        for cells_f, cells_s in zip(fast.layers, slow.layers):
            for f, s in zip(cells_f, cells_s):
                assert np.abs(f.hidden - s.hidden).max() <= TOL
                assert (f.cell is None) == (s.cell is None)
                if f.cell is not None:
                    assert np.abs(f.cell - s.cell).max() <= TOL
                for g in f.gates:
                    assert np.abs(f.gates[g] - s.gates[g]).max() <= TOL, g
                    for k in f.terms[g]:
                        assert np.abs(f.terms[g][k] - s.terms[g][k]).max() <= TOL, (g, k)
        assert np.abs(fast.logits - slow.logits).max() <= TOL


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_trace_read_out_equals_forward_for_every_output(cell, bidirectional):
    """trace computes the read-out itself (in numpy, reusing the per-step scores); it must give what
    forward gives, for a class per step and a class per sequence, and the probabilities must be its softmax."""
    for output in ("tag", "last"):
        model = make(cell, 2, bidirectional, output=output)
        tr = model.trace(IDS, [str(i) for i in IDS], list("abcd"))
        with torch.no_grad():
            logits, _ = model(torch.tensor([IDS]))
            steps = torch.softmax(model.head(torch.from_numpy(tr.output)), -1).numpy()
        assert tr.logits.shape == logits[0].shape
        assert np.abs(tr.logits - logits[0].numpy()).max() <= TOL
        assert np.abs(tr.probs - torch.softmax(logits[0], -1).numpy()).max() <= TOL
        if output == "last" and not bidirectional:
            assert np.abs(tr.step_probs - steps).max() <= TOL
            assert np.abs(tr.step_probs[-1] - tr.probs).max() <= TOL
        else:
            assert tr.step_probs is None


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("T", [1, 2, 120])
def test_fast_path_matches_pytorch_at_every_length(cell, T):
    """One step (no h_{t-1} but h_0), two, and a long text whose cell state has time to grow."""
    model = make(cell, 1, True, scale=1.5)
    ids = (IDS * 7)[:T]
    tr = model.trace(ids, ["x"] * T, list("abcd"))
    with torch.no_grad():
        out, h_n = reference(model)(one_hot(ids, 9))
    assert tr.output.shape == (T, 2 * model.cfg.hidden_size)
    assert np.abs(tr.output - out[0].numpy()).max() <= TOL
    if cell == "lstm":
        for d, c in enumerate(tr.layers[0]):
            final_c = c.cell[0] if c.reverse else c.cell[-1]
            assert np.abs(final_c - h_n[1][d, 0].numpy()).max() <= TOL
            assert np.allclose(c.hidden, c.gates["o"] * np.tanh(c.cell), atol=TOL)


@pytest.mark.parametrize("shut", [False, True])
def test_linear_scan_equals_the_loop_it_replaces(shut):
    """c_t = f_t ⊙ c_{t-1} + u_t against the plain loop over time, in both reading orders: the closed
    form P_t Σ u_s / P_s where the products of f stay clear of 0, and doubling where a forget gate is
    fully shut (0) and the division would overflow; gates fully open (1) in both."""
    rng = np.random.default_rng(0)

    def loop(f, u):  # (T, H)
        c, out = np.zeros(f.shape[1]), np.empty(f.shape)
        for t in range(len(f)):
            c = f[t] * c + u[t]
            out[t] = c
        return out

    for T in (1, 2, 3, 7, 8, 46, 200):
        f = rng.random((2, T, 5)).astype(np.float32)
        f[:, ::3, 1] = 1.0
        if shut:
            f[:, ::5, 0] = 0.0
        u = rng.normal(size=(2, T, 5)).astype(np.float32)
        c = linear_scan(f, u, reverse=(1,))
        assert c.shape == (2, T, 5) and c.dtype == np.float32
        np.testing.assert_allclose(c[0], loop(f[0].astype(np.float64), u[0].astype(np.float64)), rtol=1e-6, atol=1e-6)
        back = loop(f[1, ::-1].astype(np.float64), u[1, ::-1].astype(np.float64))[::-1]
        np.testing.assert_allclose(c[1], back, rtol=1e-6, atol=1e-6)
        assert np.array_equal(linear_scan(f[:1], u[:1]), c[:1])


def test_numpy_sigmoid_and_softmax_match_torch_without_overflow():
    a = np.array([[-1e4, -90.0, -20.0, -1.0, 0.0, 0.5, 20.0, 90.0, 1e4]], dtype=np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow to 0 is the right answer
        s, p = sigmoid(a), softmax(a)
    assert np.abs(s - torch.sigmoid(torch.from_numpy(a)).numpy()).max() <= 1e-7
    assert (s >= 0).all() and (s <= 1).all()
    assert np.abs(p - torch.softmax(torch.from_numpy(a), -1).numpy()).max() <= 1e-7
    assert p.sum() == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("where", [(0, 1), (1, 0), (1, 1)])
def test_intervention_changes_its_cell_and_everything_above_it(cell, where):
    """An intervention in layer l, direction d: that cell is stepped by hand with the gate forced and a
    unit zeroed; the other direction of that layer and every layer below are the unchanged model's; the
    layers above read the changed states (checked against PyTorch's own layer on them)."""
    model = make(cell, 2, True, scale=1.0)
    l, d = where
    gate = "f" if cell == "lstm" else "z"
    iv = Intervention(gate=gate, gate_units=(0, 3), gate_value=1.0, zero_units=(2,), layer=l, direction=d)
    plain = model.trace(IDS, ["x"] * len(IDS), list("abcd"))
    tr = model.trace(IDS, ["x"] * len(IDS), list("abcd"), iv)
    H = model.cfg.hidden_size
    # by hand: the input of layer l (unchanged below it), then the changed cell stepped with the cells
    inp = one_hot(IDS, 9)[0] if l == 0 else torch.from_numpy(np.hstack([c.hidden for c in plain.layers[l - 1]]))
    W = model.weights(l, d)
    mask = torch.zeros(H, dtype=torch.bool)
    mask[[0, 3]] = True
    keep = torch.ones(H)
    keep[2] = 0.0
    h = c = torch.zeros(1, H)
    hs = {}
    with torch.no_grad():
        for t in (reversed(range(len(IDS))) if d else range(len(IDS))):
            if cell == "lstm":
                h, c, gates = lstm_cell(inp[t][None], h, c, *W, force={gate: (mask, 1.0)})
                c = c * keep
            else:
                h, gates = gru_cell(inp[t][None], h, *W, force={gate: (mask, 1.0)})
            h = h * keep
            hs[t] = h[0].numpy()
            assert torch.all(gates[gate][0, [0, 3]] == 1.0)
    changed = tr.layers[l][d]
    assert np.abs(changed.hidden - np.stack([hs[t] for t in range(len(IDS))])).max() <= TOL
    assert np.all(changed.gates[gate][:, [0, 3]] == 1.0) and np.all(changed.hidden[:, 2] == 0)
    assert np.abs(changed.hidden - plain.layers[l][d].hidden).max() > 1e-3  # the change did something
    for k in range(l + 1):  # below it, and the other direction of its own layer: untouched
        for e in range(2):
            if (k, e) != (l, d):
                assert np.array_equal(tr.layers[k][e].hidden, plain.layers[k][e].hidden)
    if l == 0:  # the layer above reads [h→; h←] with the change in it
        layer1 = REFERENCE[cell](2 * H, H, bidirectional=True, batch_first=True)
        layer1.load_state_dict(model.layers[1].state_dict())
        with torch.no_grad():
            above, _ = layer1(torch.from_numpy(np.hstack([c.hidden for c in tr.layers[0]]))[None])
        assert np.abs(tr.output - above[0].numpy()).max() <= TOL
    assert np.abs(tr.output[:, :H] - tr.layers[-1][0].hidden).max() <= TOL


def test_trace_refuses_negative_token_ids():
    with pytest.raises(ValueError, match="negative"):
        make("lstm").trace([1, -2, 3], list("abc"), list("abcd"))


def test_one_step_cells_match_pytorch_cells():
    torch.manual_seed(1)
    B, D, H = 4, 5, 6
    x, h, c = torch.randn(B, D), torch.randn(B, H), torch.randn(B, H)
    for ref_cls, ours in [(torch.nn.RNNCell, "rnn"), (torch.nn.LSTMCell, "lstm"), (torch.nn.GRUCell, "gru")]:
        ref = ref_cls(D, H)
        W = (ref.weight_ih, ref.bias_ih, ref.weight_hh, ref.bias_hh)
        with torch.no_grad():
            if ours == "rnn":
                assert (rnn_cell(x, h, *W) - ref(x, h)).abs().max() <= TOL
            elif ours == "lstm":
                h_ref, c_ref = ref(x, (h, c))
                h_t, c_t, gates = lstm_cell(x, h, c, *W)
                assert (h_t - h_ref).abs().max() <= TOL and (c_t - c_ref).abs().max() <= TOL
                assert set(gates) == {"i", "f", "g", "o"}
            else:
                h_t, gates = gru_cell(x, h, *W)
                assert (h_t - ref(x, h)).abs().max() <= TOL and set(gates) == {"r", "z", "n"}


def test_rnn_terms_add_up_to_the_equation():
    model = make("rnn", H=5)
    tr = model.trace(IDS[:8], list("abcdefgh"), list("abcd"))
    eq = tr.first.equation("a")
    assert list(eq) == ["W_xh x_t", "b_xh", "W_hh h_{t-1}", "b_hh", "a_t"]
    W_xh, W_hh = model.W_xh.detach().numpy(), model.W_hh.detach().numpy()
    assert np.allclose(eq["W_xh x_t"], W_xh[:, IDS[:8]].T, atol=TOL)  # one-hot x_t picks a column
    assert np.allclose(eq["W_hh h_{t-1}"], tr.first.h_prev @ W_hh.T, atol=TOL)
    assert np.allclose(np.tanh(eq["a_t"]), tr.hidden, atol=TOL)
    assert np.allclose(tr.first.h_prev[0], 0) and np.allclose(tr.first.h_prev[1:], tr.hidden[:-1])


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gate_equations_reproduce_the_gates(cell):
    model = make(cell, bidirectional=True)
    tr = model.trace(IDS, list("x" * len(IDS)), list("abcd"))
    for c in tr.layers[0]:
        for gate, value in c.gates.items():
            pre = list(c.equation(gate).values())[-1]
            squash = np.tanh if gate in ("g", "n") else lambda a: 1 / (1 + np.exp(-a))
            assert np.allclose(squash(pre), value, atol=TOL), gate
        if cell == "gru":
            assert np.allclose(c.hidden, (1 - c.gates["z"]) * c.gates["n"] + c.gates["z"] * c.h_prev, atol=TOL)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_does_not_change_any_sequence(cell, bidirectional):
    """A batch with padding gives each text the logits it gets alone (right-to-left cells included)."""
    model = make(cell, 2, bidirectional, output="last")
    a, b = [3, 1, 4, 1, 5], [2, 6]
    with torch.no_grad():
        batch, _ = model(torch.tensor([a, b + [0, 0, 0]]))
        alone = [model(torch.tensor([s]))[0][0] for s in (a, b)]
    assert all(torch.allclose(batch[i], alone[i], atol=TOL) for i in range(2))
    tr = model.trace(b, list("xy"), list("abcd"))
    assert np.abs(tr.logits - alone[1].numpy()).max() <= TOL


def test_forced_forget_gate_and_zeroed_unit():
    model = make("lstm")
    tr = model.trace(IDS[:6], list("abcdef"), list("abcd"), Intervention(gate="f", gate_units=(0, 2), gate_value=0.0))
    assert np.all(tr.first.gates["f"][:, [0, 2]] == 0)
    assert np.allclose(tr.first.cell[:, 0], (tr.first.gates["i"] * tr.first.gates["g"])[:, 0], atol=TOL)
    kept = model.trace(IDS[:6], list("abcdef"), list("abcd"), Intervention(gate="f", gate_units=(1,), gate_value=1.0))
    c = kept.first.cell[:, 1]
    assert np.allclose(np.diff(c), (kept.first.gates["i"] * kept.first.gates["g"])[1:, 1], atol=TOL)  # pure sum
    zeroed = model.trace(IDS[:6], list("abcdef"), list("abcd"), Intervention(zero_units=(1,)))
    assert np.all(zeroed.first.hidden[:, 1] == 0) and np.all(zeroed.first.cell[:, 1] == 0)


def test_gradients_through_time_match_autograd_on_pytorch():
    """‖∂L/∂h_t‖ from the explicit cells equals autograd through nn.RNN on the same loss."""
    model = make("rnn", H=6, output="last", scale=1.0)
    ids = IDS[:10]
    ours = model.grad_norms_through_time(ids, 2)
    ref = reference(model)
    X = one_hot(ids, 9)
    hs, h = [], torch.zeros(1, 1, 6)
    for t in range(len(ids)):  # step nn.RNN one input at a time so each h_t is a leaf of the graph
        out, h = ref(X[:, t:t + 1], h)
        hs.append(h)
    logits = model.head(hs[-1][0])
    loss = F.cross_entropy(logits, torch.tensor([2]))
    grads = torch.autograd.grad(loss, hs)
    assert np.allclose(ours, [float(g.norm()) for g in grads], rtol=1e-4, atol=1e-7)
    assert ours[-1] > ours[0]  # with these weights, the gradient shrinks going back in time


def test_trace_refuses_ids_outside_the_vocabulary():
    with pytest.raises(IndexError):
        make("gru").trace([1, 9, 3], list("abc"), list("abcd"))  # V = 9: ids 0..8


def _assert_matches_reference(model, cell, bidirectional):
    ref = REFERENCE[cell](9, 7, batch_first=True, bidirectional=bidirectional)
    ref.load_state_dict(model.layers[0].state_dict())
    with torch.no_grad():
        h_ref = ref(F.one_hot(torch.tensor([IDS]), 9).float())[0][0].numpy()
    tr = model.trace(IDS, [str(i) for i in IDS], list("abcd"))
    assert np.abs(tr.output - h_ref).max() <= TOL
    with torch.no_grad():  # the read-out, from the live head
        assert np.abs(tr.logits - model(torch.tensor([IDS]))[0][0].numpy()).max() <= TOL
    for d in range(model.cfg.directions):  # every gate and term, against the step-by-step cell (live weights)
        slow = model.trace(IDS, [str(i) for i in IDS], list("abcd"), _SlowPath(layer=0, direction=d))
        f, s = tr.layers[0][d], slow.layers[0][d]
        for a, b in ((f.gate_values, s.gate_values), (f.input_terms, s.input_terms), (f.hidden_terms, s.hidden_terms),
                     (f.input_bias, s.input_bias), (f.hidden_bias, s.hidden_bias)):
            assert np.abs(a - b).max() <= TOL


@pytest.mark.parametrize("cell,bidirectional", [("lstm", False), ("lstm", True), ("gru", False), ("rnn", True)])
def test_trace_follows_weights_changed_in_place_replaced_or_copied(cell, bidirectional):
    """A trace reads the weights through cached numpy views: they must follow an optimiser's in-place step,
    a load that replaces the parameters (assign=True), and a deep copy being trained on its own."""
    import copy

    model = make(cell, bidirectional=bidirectional)
    _assert_matches_reference(model, cell, bidirectional)
    with torch.no_grad():  # in place, as an optimiser step: same memory
        for p in model.parameters():
            p.mul_(0.5)
    _assert_matches_reference(model, cell, bidirectional)
    other = make(cell, bidirectional=bidirectional, seed=3)  # new parameter objects and memory
    model.load_state_dict(other.state_dict(), assign=True)
    _assert_matches_reference(model, cell, bidirectional)
    twin = copy.deepcopy(model)
    with torch.no_grad():
        for p in twin.parameters():
            p.add_(0.3)
    _assert_matches_reference(twin, cell, bidirectional)
    _assert_matches_reference(model, cell, bidirectional)  # the original keeps its own weights
    assert np.abs(twin.trace(IDS, IDS, list("abcd")).output - model.trace(IDS, IDS, list("abcd")).output).max() > 1e-3


@pytest.mark.parametrize("cell,bidirectional", [("lstm", True), ("gru", False), ("rnn", False)])
def test_a_trace_shares_no_memory_with_the_model(cell, bidirectional):
    """A cached trace must not change when the model trains on: none of its arrays is a view of a parameter."""
    model = make(cell, layers=2, bidirectional=bidirectional)
    tr = model.trace(IDS, IDS, list("abcd"))
    params = [p.detach().numpy() for p in model.parameters()]
    arrays = [tr.output, tr.logits, tr.probs] + [a for cells in tr.layers for c in cells for a in (
        c.hidden, c.h0, c.cell, c.gate_values, c.input_terms, c.input_bias, c.hidden_terms, c.hidden_bias) if a is not None]
    assert not any(np.shares_memory(a, p) for a in arrays for p in params)
    before = [a.copy() for a in arrays]
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    assert all(np.array_equal(a, b) for a, b in zip(arrays, before))
