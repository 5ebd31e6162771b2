"""Tiers 1-3: GloVe's co-occurrence counts, weighting, objective and hand-written gradients."""

import numpy as np
import pytest
import torch

from seqviz.models import glove as G
from seqviz.tasks.corpus import build_corpus, encode


def brute_force_cooccurrence(sentences, vocab_size, window):
    X = np.zeros((vocab_size, vocab_size))
    for s in sentences:
        for a in range(len(s)):
            for b in range(len(s)):
                d = abs(a - b)
                if 0 < d <= window:
                    X[s[a], s[b]] += 1.0 / d
    return X


def test_cooccurrence_matches_a_brute_force_count():
    rng = np.random.default_rng(0)
    sentences = [rng.integers(0, 12, size=rng.integers(1, 15)).tolist() for _ in range(40)]
    ids = np.concatenate([np.array(s) for s in sentences])
    sent = np.concatenate([np.full(len(s), k) for k, s in enumerate(sentences)])
    for window in (1, 3, 5):
        X = G.cooccurrence(ids, sent, 12, window)
        assert np.allclose(X.dense(), brute_force_cooccurrence(sentences, 12, window))
        assert (X.values > 0).all()
    X = G.cooccurrence(ids, sent, 12, 3)
    assert np.allclose(X.dense(), X.dense().T)
    i, j = X.rows[5], X.cols[5]
    assert X.lookup(i, j) == X.values[5] and X.dense([i, j])[0, 1] == X.values[5]


def test_weighting_function():
    x = np.array([0.5, 10, 50, 100, 1000])
    assert np.allclose(G.weighting(x, 100, 0.75), [(0.005) ** 0.75, 0.1 ** 0.75, 0.5 ** 0.75, 1, 1])
    assert torch.allclose(G.weighting(torch.tensor(x), 100, 0.75), torch.tensor(G.weighting(x, 100, 0.75)))


def small_model():
    cfg = G.GloveConfig(embed_size=4, x_max=3.0, alpha=0.75)
    model = G.Glove(6, cfg).double()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_()
    i = torch.tensor([0, 1, 1, 2, 5, 0])
    j = torch.tensor([1, 0, 3, 2, 4, 1])
    x = torch.tensor([0.5, 2.0, 7.0, 1.0, 3.5, 0.5], dtype=torch.float64)
    return model, i, j, x


def test_objective_against_a_direct_computation():
    model, i, j, x = small_model()
    W, Wt, b, bt = (p.detach().numpy() for p in (model.w, model.w_tilde, model.b, model.b_tilde))
    direct = sum(min(1, (xx / 3.0) ** 0.75) * (W[ii] @ Wt[jj] + b[ii] + bt[jj] - np.log(xx)) ** 2
                 for ii, jj, xx in zip(i.tolist(), j.tolist(), x.tolist()))
    assert float(model.objective(i, j, x)) == pytest.approx(direct)
    assert float(model.grads(i, j, x)[0]) == pytest.approx(direct)


def test_hand_written_gradients_match_autograd():
    model, i, j, x = small_model()
    for p in model.parameters():
        p.requires_grad_()
    model.objective(i, j, x).backward()
    J, *ours = model.grads(i, j, x)
    for mine, p in zip(ours, (model.w, model.w_tilde, model.b, model.b_tilde)):
        assert torch.allclose(mine, p.grad)


@pytest.fixture(scope="module")
def data():
    return encode(build_corpus(20_000, seed=0))


def test_training_lowers_the_objective_and_is_deterministic(data):
    cfg = G.GloveConfig(embed_size=16, epochs=6, chunk_batches=2)
    a, b = G.GloveTrainer(data, cfg), G.GloveTrainer(data, cfg)
    events = list(a.train())
    list(b.train())
    assert np.array_equal(a.vectors().vectors, b.vectors().vectors)
    ends = [e for e in events if e.epoch_end]
    assert [e.epoch for e in ends] == list(range(1, 7)) and ends[-1].loss < ends[0].loss
    assert len(a.snapshots) == 7
    assert np.allclose(a.vectors().vectors, (a.model.w + a.model.w_tilde).numpy())


def test_adagrad_step_follows_the_gradient(data):
    tr = G.GloveTrainer(data, G.GloveConfig(embed_size=8))
    idx = torch.arange(100)
    before = [p.clone() for p in (tr.model.w, tr.model.b)]
    _, dW, _, db, _ = tr.model.grads(tr._i[idx], tr._j[idx], tr._x[idx])
    tr.adagrad_step(idx)
    assert torch.allclose(tr.model.w, before[0] - 0.05 * dW / torch.sqrt(1 + dW * dW))
    assert torch.allclose(tr.model.b, before[1] - 0.05 * db / torch.sqrt(1 + db * db))


def test_a_pair_that_never_cooccurs_has_no_entry(data):
    """The lesson of the GloVe page: king and woman never share a sentence, so X has no entry for them."""
    X = G.cooccurrence(data.ids, data.sentence, len(data.words), 5)
    k, w = data.words.index("king"), data.words.index("woman")
    assert X.lookup(k, w) == 0.0
    assert max(X.lookup(k, data.words.index(w)) for w in ("throne", "crown", "kingdom", "he", "his")) > 0
