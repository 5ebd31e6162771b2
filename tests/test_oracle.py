"""Tier 1, oracle: every internal a lesson shows, against PyTorch's own nn.RNN, nn.LSTM and nn.GRU.

Weights are copied into the reference modules; states, gates and outputs must agree to 1e-5, for
one and two layers, one and two directions, over many steps, with weights large enough that the
nonlinearities saturate.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.models.recurrent import (Intervention, RecurrentConfig, RecurrentNet, gru_cell, lstm_cell,
                                     rnn_cell)

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
    model = make(cell, layers, bidirectional)
    fast = model.trace(IDS, list("x" * len(IDS)), list("abcd"))
    slow = model.trace(IDS, list("x" * len(IDS)), list("abcd"), _SlowPath())
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
