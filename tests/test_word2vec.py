"""Tiers 1-3: Word2Vec's hand-written gradients against autograd, its sampling, windows and determinism."""

import numpy as np
import pytest
import torch

from seqviz.models import word2vec as W
from seqviz.tasks.corpus import build_corpus, encode
from seqviz.wordvectors import analogy_accuracy, group_purity


@pytest.fixture(scope="module")
def data():
    return encode(build_corpus(20_000, seed=0))


def test_hand_written_gradients_match_autograd():
    g = torch.Generator().manual_seed(0)
    v, u_pos, u_neg = (torch.randn(*s, generator=g, dtype=torch.float64, requires_grad=True)
                       for s in ((7, 5), (7, 5), (4, 5)))
    loss = W.negative_sampling_loss(v, u_pos, u_neg, 5 / 4)
    loss.backward()
    ours = W.negative_sampling_grads(v.detach(), u_pos.detach(), u_neg.detach(), 5 / 4)
    assert torch.allclose(ours[0], loss.detach())
    for mine, ref in zip(ours[1:], (v.grad, u_pos.grad, u_neg.grad)):
        assert torch.allclose(mine, ref)


@pytest.mark.parametrize("method", ["skipgram", "cbow"])
def test_sgd_step_is_one_gradient_step_of_the_model_loss(method):
    """The in-place update equals W - lr * dL/dW from autograd, repeated ids and padding included."""
    cfg = W.Word2VecConfig(method=method, embed_size=6, negatives=3, seed=1)
    model = W.Word2Vec(10, cfg).double()
    with torch.no_grad():
        model.w_out.normal_()
        model.w_in[:10].normal_()
    targets = torch.tensor([1, 2, 2, 9])
    negatives = torch.tensor([3, 3, 0, 7, 1])
    inputs, contexts = (torch.tensor([4, 4, 5, 0]), None) if method == "skipgram" else \
        (None, torch.tensor([[4, 5, 10, 10], [2, 10, 10, 10], [6, 6, 1, 10], [0, 3, 8, 2]]))
    ref = W.Word2Vec(10, cfg).double()
    ref.load_state_dict(model.state_dict())
    ref.w_in.requires_grad_(), ref.w_out.requires_grad_()
    loss = ref.loss(inputs, targets, negatives, contexts)
    loss.backward()
    got = model.sgd_step(inputs, targets, negatives, lr=0.1, contexts=contexts)
    assert got == pytest.approx(loss.item())
    expect_in = (ref.w_in - 0.1 * ref.w_in.grad).detach()
    expect_in[10] = 0.0
    assert torch.allclose(model.w_in, expect_in)
    assert torch.allclose(model.w_out, (ref.w_out - 0.1 * ref.w_out.grad).detach())


def test_keep_probability_is_the_subsampling_formula():
    counts = np.array([1000, 100, 10, 1])
    t = 1e-2
    f = counts / counts.sum()
    expected = np.minimum(1, (np.sqrt(f / t) + 1) * t / f)
    assert np.allclose(W.keep_probability(counts, t), expected)
    assert W.keep_probability(counts, t)[0] < 0.5 and W.keep_probability(counts, t)[-1] == 1
    assert (W.keep_probability(counts, 0) == 1).all()


def test_subsampling_keeps_tokens_at_that_rate():
    counts = np.array([9000, 1000])
    ids = np.repeat([0, 1], counts)
    keep = W.keep_probability(counts, 0.05)
    kept, _ = W.subsample(ids, np.zeros_like(ids), keep, np.random.default_rng(0))
    rate0 = (kept == 0).sum() / 9000
    assert rate0 == pytest.approx(keep[0], abs=0.02) and (kept == 1).sum() / 1000 == pytest.approx(keep[1], abs=0.03)


def test_negative_table_draws_the_unigram_to_the_three_quarters():
    counts = np.array([1000, 300, 50, 5, 1])
    p = W.negative_distribution(counts, 0.75)
    assert np.allclose(p, counts ** 0.75 / (counts ** 0.75).sum())
    table = W.negative_table(counts, 0.75, size=100_000)
    share = np.bincount(table.numpy(), minlength=5) / len(table)
    assert np.allclose(share, p, atol=2e-4)
    draws = table[torch.randint(len(table), (200_000,), generator=torch.Generator().manual_seed(0))]
    assert np.allclose(np.bincount(draws.numpy(), minlength=5) / 200_000, p, atol=0.005)


def test_windows_stay_in_their_sentence_and_within_reach():
    sentence = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2, 2, 2])
    ctx = W.window_offsets(len(sentence), sentence, 3, np.random.default_rng(0))
    for pos, row in enumerate(ctx):
        others = row[row >= 0]
        assert (sentence[others] == sentence[pos]).all() and (np.abs(others - pos) <= 3).all()
        assert pos not in others
        for col, o in enumerate(row):  # columns are -1, +1, -2, +2, ...
            if o >= 0:
                d = col // 2 + 1
                assert o == (pos - d if col % 2 == 0 else pos + d)
    full = W.window_offsets(len(sentence), sentence, 3, np.random.default_rng(1))
    assert (full[5] == -1).sum() >= 5  # a two-word sentence: at most one neighbour


def test_skipgram_pairs_and_cbow_examples_agree():
    ids = np.arange(8)
    sentence = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    c, o = W.skipgram_pairs(ids, sentence, 2, np.random.default_rng(3))
    centres, ctx = W.cbow_examples(ids, sentence, 2, np.random.default_rng(3), pad=99)
    from_cbow = sorted((int(cc), int(x)) for cc, row in zip(centres, ctx) for x in row if x != 99)
    assert sorted(zip(c.tolist(), o.tolist())) == from_cbow
    assert all((a < 5) == (b < 5) for a, b in zip(c, o))


@pytest.mark.parametrize("method", ["skipgram", "cbow"])
def test_same_seed_same_vectors(data, method):
    cfg = W.Word2VecConfig(method=method, epochs=1, embed_size=16, seed=4)
    a, b = W.Word2VecTrainer(data, cfg), W.Word2VecTrainer(data, cfg)
    list(a.train()), list(b.train())
    assert np.array_equal(a.vectors().vectors, b.vectors().vectors)
    c = W.Word2VecTrainer(data, W.Word2VecConfig(method=method, epochs=1, embed_size=16, seed=5))
    list(c.train())
    assert not np.array_equal(a.vectors().vectors, c.vectors().vectors)


def test_training_events_history_and_snapshots(data):
    cfg = W.Word2VecConfig(method="skipgram", epochs=2, embed_size=16, chunk_batches=5, loss_every=1)
    tr = W.Word2VecTrainer(data, cfg)
    events = list(tr.train())
    ends = [e for e in events if e.epoch_end]
    assert [e.epoch for e in ends] == [1, 2] and events[-1].progress == 1.0
    assert len(tr.snapshots) == 3 and not np.array_equal(tr.snapshots[0], tr.snapshots[2])
    assert all(np.isfinite(loss) for _, loss in tr.history)
    assert [s for s, _ in tr.history] == sorted(s for s, _ in tr.history)
    early, late = np.mean([l for _, l in tr.history[:3]]), np.mean([l for _, l in tr.history[-3:]])
    assert late < early
    list(tr.train(1))  # training more continues from where it was
    assert tr.epochs_done == 3 and len(tr.snapshots) == 4


def test_learning_rate_decays_linearly():
    tr = W.Word2VecTrainer(encode(build_corpus(10_000, 0)), W.Word2VecConfig(lr=0.03, min_lr=0.001, epochs=4))
    assert tr.lr_at(0) == 0.03 and tr.lr_at(1) == pytest.approx(0.001) and tr.lr_at(0.5) == pytest.approx(0.0155)
    assert tr.lr_at(2) == pytest.approx(0.001)


def test_cbow_learns_the_grammar_on_a_small_corpus():
    """A short run on 60k tokens already puts far more than chance into the analogies and groups."""
    data = encode(build_corpus(60_000, seed=2))
    tr = W.Word2VecTrainer(data, W.PRESETS["cbow"])
    list(tr.train())
    wv = tr.vectors()
    assert analogy_accuracy(wv, data.analogies) > 0.15  # chance is 1 in ~500
    assert group_purity(wv) > 0.3
