"""Tier 1, oracle: every internal the RNN lesson shows, against PyTorch's own nn.RNN."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.models.recurrent import RNNConfig, RNNTagger, rnn_cell

TOL = 1e-5


def _nn_rnn_copy(model: RNNTagger) -> torch.nn.RNN:
    ref = torch.nn.RNN(model.cfg.vocab_size, model.cfg.hidden_size, nonlinearity="tanh", batch_first=True)
    ref.load_state_dict(model.rnn.state_dict())
    return ref


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_explicit_cell_matches_nn_rnn_over_many_steps(seed):
    torch.manual_seed(seed)
    B, T, V, H = 3, 25, 7, 11
    ref = torch.nn.RNN(V, H, nonlinearity="tanh", batch_first=True)
    with torch.no_grad():  # larger weights than the default init, so tanh saturates sometimes
        for p in ref.parameters():
            p.mul_(3.0)
    x = torch.randn(B, T, V)
    h0 = torch.randn(1, B, H) * 0.5
    with torch.no_grad():
        expected, _ = ref(x, h0)  # (B, T, H)
        h = h0[0]
        steps = []
        for t in range(T):
            h = rnn_cell(x[:, t], h, ref.weight_ih_l0, ref.bias_ih_l0, ref.weight_hh_l0, ref.bias_hh_l0)
            steps.append(h)
    got = torch.stack(steps, dim=1)
    assert (got - expected).abs().max().item() <= TOL
    assert got.abs().max() > 0.9  # the test exercised the saturating part of tanh


def test_model_exposes_pytorch_parameters_under_equation_names():
    model = RNNTagger(RNNConfig(vocab_size=5, num_classes=3, hidden_size=4))
    assert model.W_xh is model.rnn.weight_ih_l0 and model.W_xh.shape == (4, 5)
    assert model.W_hh is model.rnn.weight_hh_l0 and model.W_hh.shape == (4, 4)
    assert model.b_xh is model.rnn.bias_ih_l0 and model.b_hh is model.rnn.bias_hh_l0


def test_trace_hidden_states_match_explicit_cell_and_nn_rnn(shipped):
    text = "f(a(b(c)d)e)(g)h"
    model, vocab = shipped.model, shipped.vocab
    ids = vocab.encode(list(text))
    tr = model.trace(ids, list(text), shipped.task.class_names)
    X = F.one_hot(torch.tensor([ids]), model.cfg.vocab_size).float()
    with torch.no_grad():
        ref, _ = _nn_rnn_copy(model)(X)
        h = torch.zeros(1, model.cfg.hidden_size)
        by_hand = []
        for t in range(len(ids)):
            h = rnn_cell(X[:, t], h, model.W_xh, model.b_xh, model.W_hh, model.b_hh)
            by_hand.append(h[0].numpy())
    assert np.abs(tr.hidden - ref[0].numpy()).max() <= TOL
    assert np.abs(tr.hidden - np.stack(by_hand)).max() <= TOL


def test_trace_terms_add_up_to_the_equation(shipped):
    text = "(ab(c)) x"
    ids = shipped.vocab.encode(list(text))
    tr = shipped.model.trace(ids, list(text), shipped.task.class_names)
    W_xh = shipped.model.W_xh.detach().numpy()
    W_hh = shipped.model.W_hh.detach().numpy()
    # W_xh x_t for one-hot x_t is the column of W_xh that belongs to the character
    assert np.allclose(tr.terms["W_xh x_t"], W_xh[:, ids].T, atol=TOL)
    assert np.allclose(tr.terms["W_hh h_{t-1}"], tr.h_prev @ W_hh.T, atol=TOL)
    total = tr.terms["W_xh x_t"] + tr.terms["b_xh"] + tr.terms["W_hh h_{t-1}"] + tr.terms["b_hh"]
    assert np.allclose(total, tr.terms["a_t"], atol=TOL)
    assert np.allclose(np.tanh(tr.terms["a_t"]), tr.hidden, atol=TOL)
    assert np.allclose(tr.h_prev[0], 0) and np.allclose(tr.h_prev[1:], tr.hidden[:-1])


def test_forward_and_trace_give_the_same_logits(shipped):
    text = "((a)b)c(d"
    ids = shipped.vocab.encode(list(text))
    tr = shipped.model.trace(ids, list(text), shipped.task.class_names)
    with torch.no_grad():
        logits, loss = shipped.model(torch.tensor([ids]))
    assert loss is None
    assert np.abs(tr.logits - logits[0].numpy()).max() <= TOL
    assert np.allclose(tr.probs, torch.softmax(logits[0], -1).numpy(), atol=TOL)
