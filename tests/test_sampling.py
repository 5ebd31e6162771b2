"""Tiers 1-3: temperature, top-k, top-p and seeded generation (seqviz.sampling)."""

import numpy as np
import pytest
import torch

from seqviz import sampling
from seqviz.models.transformer import TransformerLM, TransformerLMConfig
from seqviz.vocab import Vocab

RNG = np.random.default_rng(0)
LOGITS = [RNG.normal(0, s, size=V) for s, V in [(1, 5), (3, 33), (0.1, 12), (8, 40)]]


@pytest.mark.parametrize("z", LOGITS)
@pytest.mark.parametrize("tau, k, p", [(1, 0, 1), (0, 0, 1), (0.5, 3, 0.9), (2, 50, 0.5), (1e-6, 1, 0), (500, 7, 0.3)])
def test_every_stage_returns_distributions_that_sum_to_one(z, tau, k, p):
    f = sampling.filter_logits(z, tau, k, p)
    assert [s.name for s in f.stages] == ["temperature", "top-k", "top-p"]
    for s in f.stages:
        for dist in (s.before, s.after):
            assert dist.shape == z.shape and np.all(dist >= 0) and dist.sum() == pytest.approx(1, abs=1e-12)
    for a, b in zip(f.stages, f.stages[1:]):  # each stage receives what the previous one returned
        np.testing.assert_array_equal(a.after, b.before)


@pytest.mark.parametrize("z", LOGITS)
@pytest.mark.parametrize("tau", [0.3, 1.0, 2.5])
def test_temperature_matches_torch_softmax(z, tau):
    s = sampling.apply_temperature(z, tau)
    expected = torch.softmax(torch.tensor(z, dtype=torch.float64) / tau, dim=0).numpy()
    np.testing.assert_allclose(s.after, expected, atol=1e-12)
    np.testing.assert_allclose(s.before, torch.softmax(torch.tensor(z, dtype=torch.float64), 0).numpy(), atol=1e-12)


def test_temperature_limits():
    z = np.array([1.0, 3.0, 2.9, -1.0])
    greedy = sampling.apply_temperature(z, 0)
    np.testing.assert_array_equal(greedy.after, [0, 1, 0, 0])
    assert "greedy" in greedy.note
    cold = sampling.apply_temperature(z, 1e-2).after  # a small τ approaches greedy
    assert cold[1] > 0.99
    hot = sampling.apply_temperature(z, 1e6)  # clamped, and nearly uniform
    assert "clamped" in hot.note and np.allclose(hot.after, 0.25, atol=0.01)
    tiny = sampling.apply_temperature(z, 1e-300)
    assert "raised" in tiny.note and np.isfinite(tiny.after).all() and tiny.after[1] == pytest.approx(1)
    negative = sampling.apply_temperature(z, -3)
    np.testing.assert_array_equal(negative.after, greedy.after)
    assert "below 0" in negative.note
    nan = sampling.apply_temperature(z, float("nan"))
    np.testing.assert_allclose(nan.after, sampling.softmax(z))
    assert "not a number" in nan.note
    assert sampling.apply_temperature(z, 1).note is None


def test_greedy_tie_goes_to_the_smaller_id():
    np.testing.assert_array_equal(sampling.apply_temperature(np.array([0.0, 2.0, 2.0]), 0).after, [0, 1, 0])


@pytest.mark.parametrize("z", LOGITS)
def test_top_k_keeps_exactly_the_k_largest(z):
    p = sampling.softmax(z)
    for k in range(1, len(p) + 1):
        s = sampling.top_k_filter(p, k)
        assert s.kept.sum() == k and (s.after > 0).sum() == k
        assert set(np.flatnonzero(s.kept)) == set(torch.topk(torch.tensor(p), k).indices.tolist())
        np.testing.assert_allclose(s.after[s.kept], p[s.kept] / p[s.kept].sum())


def test_top_k_off_and_beyond_the_vocabulary():
    p = sampling.softmax(LOGITS[1])
    off = sampling.top_k_filter(p, 0)
    np.testing.assert_array_equal(off.after, p)
    assert "off" in off.note
    big = sampling.top_k_filter(p, 1000)
    np.testing.assert_allclose(big.after, p)
    assert big.kept.all() and "33 tokens" in big.note


def _smallest_prefix(p: np.ndarray, q: float) -> set[int]:
    """Brute force: the smallest m such that the m most likely tokens sum to at least q."""
    order = sorted(range(len(p)), key=lambda i: (-p[i], i))
    for m in range(1, len(p) + 1):
        if sum(p[i] for i in order[:m]) >= q:
            return set(order[:m])
    return set(order)


@pytest.mark.parametrize("z", LOGITS)
@pytest.mark.parametrize("q", [0.05, 0.3, 0.5, 0.8, 0.95, 0.999])
def test_top_p_keeps_the_smallest_set_reaching_p(z, q):
    p = sampling.softmax(z)
    s = sampling.top_p_filter(p, q)
    kept = set(np.flatnonzero(s.kept))
    assert kept == _smallest_prefix(p, q)
    assert p[list(kept)].sum() >= q
    smaller = sorted(kept, key=lambda i: p[i])[1:]  # dropping the least likely kept token falls short
    assert p[smaller].sum() < q
    assert s.after.sum() == pytest.approx(1)


def test_top_p_zero_one_and_out_of_range():
    p = sampling.softmax(LOGITS[1])
    zero = sampling.top_p_filter(p, 0)
    assert zero.kept.sum() == 1 and zero.after[np.argmax(p)] == 1
    one = sampling.top_p_filter(p, 1)
    assert one.kept.all()
    np.testing.assert_allclose(one.after, p)
    for bad, kept in [(-0.5, 1), (7, len(p))]:
        s = sampling.top_p_filter(p, bad)
        assert s.kept.sum() == kept and "clamped" in s.note


def test_draw_follows_the_distribution_and_the_seed():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    draws = [sampling.draw(p, np.random.default_rng(7)) for _ in range(3)]
    assert len(set(draws)) == 1  # the same seed, the same token
    rng = np.random.default_rng(1)
    counts = np.bincount([sampling.draw(p, rng) for _ in range(20_000)], minlength=4) / 20_000
    np.testing.assert_allclose(counts, p, atol=0.015)
    assert counts[1] == 0  # probability 0 is never drawn
    assert sampling.draw(np.array([0.0, 1.0, 0.0]), rng) == 1


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    model = TransformerLM(TransformerLMConfig(vocab_size=6, block_size=8, n_layer=2, n_head=2, n_embd=16)).eval()
    return model, Vocab(tuple("abcde "))


def test_seeded_generation_repeats_and_records_every_step(tiny):
    model, vocab = tiny
    a = sampling.generate(model, vocab, list("ab"), 20, temperature=1.5, seed=3)
    b = sampling.generate(model, vocab, list("ab"), 20, temperature=1.5, seed=3)
    c = sampling.generate(model, vocab, list("ab"), 20, temperature=1.5, seed=4)
    assert a.text == b.text and len(a.steps) == 20 and a.text.startswith("ab")
    assert a.text != c.text  # 20 draws at a high temperature: another seed writes another text
    for k, step in enumerate(a.steps):
        assert step.context == list(a.text[: 2 + k])[-8:]  # cropped to block_size
        L, H, T = step.attention.shape
        assert (L, H, T) == (2, 2, len(step.context))
        np.testing.assert_allclose(step.attention.sum(-1), 1, atol=1e-5)
        assert step.filtered.probs[step.token_id] > 0 and vocab.idx_to_token[step.token_id] == step.token
        # the step's distribution is the model's own last-position softmax
        with torch.no_grad():
            logits, _ = model(torch.tensor([vocab.encode(step.context)]))
        np.testing.assert_allclose(step.filtered.raw, torch.softmax(logits[0, -1].double(), 0).numpy(), atol=1e-5)


def test_greedy_generation_ignores_the_seed(tiny):
    model, vocab = tiny
    texts = {sampling.generate(model, vocab, list("c"), 15, temperature=0, seed=s).text for s in range(4)}
    assert len(texts) == 1


def test_generation_length_is_capped(tiny):
    model, vocab = tiny
    assert len(sampling.generate(model, vocab, ["a"], 0).steps) == 0
    assert len(sampling.generate(model, vocab, ["a"], -5).steps) == 0
    assert len(sampling.generate(model, vocab, ["a"], 10**6).steps) == sampling.MAX_NEW_TOKENS
