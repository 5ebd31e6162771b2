"""Tier 3, units: the built-in word-embedding corpus, its evaluation data, and the learner's text."""

import numpy as np
import pytest

from seqviz.tasks import corpus as C
from seqviz.tasks.base import TextCheck


@pytest.fixture(scope="module")
def small():
    return C.build_corpus(20_000, seed=0)


def test_same_seed_same_corpus_other_seed_other_corpus(small):
    assert C.build_corpus(20_000, seed=0).sentences == small.sentences
    assert C.build_corpus(20_000, seed=1).sentences != small.sentences


def test_size_is_adjustable_and_clipped():
    for n in (10_000, 30_000):
        c = C.build_corpus(n, seed=0)
        assert n <= c.num_tokens < n + 20  # stops after the sentence that reaches n
    assert C.build_corpus(10, seed=0).num_tokens >= C.MIN_TOKENS


def test_every_grouped_word_is_an_identity_times_an_attribute():
    for fam in C.FAMILIES:
        for ident, words in fam.words.items():
            assert len(words) == len(fam.attributes), (fam.name, ident)
            assert set(fam.identity_context) == set(fam.words)
            assert set(fam.templates) == set(fam.attributes) == set(fam.attribute_context)


def test_context_words_are_never_grouped_words():
    grouped = set(C.grouped_words())
    pools = [w for fam in C.FAMILIES for pool in (*fam.identity_context.values(), *fam.attribute_context.values())
             for w in pool] + list(C.FILLER_WORDS)
    assert not grouped & set(pools)


def test_template_words_do_not_leak_attributes():
    """A frame's fixed words must not be another attribute's context (e.g. 'she' in a male frame)."""
    attribute_words = {w for fam in C.FAMILIES for pool in fam.attribute_context.values() for w in pool}
    for fam in C.FAMILIES:
        for attr, frames in fam.templates.items():
            for frame in frames:
                fixed = {t for t in frame.split() if "{" not in t}
                assert not fixed & (attribute_words - set(fam.attribute_context[attr])), frame
                assert not fixed & set(C.grouped_words()), frame


def test_opinion_and_function_words_are_in_the_corpus(small):
    counts = small.counts()
    opinions = "good great excellent wonderful fine bad terrible awful poor boring".split()
    assert {w for w, g in small.groups.items() if g == "opinions"} == set(opinions)
    for w in opinions + ["not", "never", "very", "really", "but"]:
        assert counts[w] >= 5, w


def test_filler_share_and_balance(small):
    grouped = set(small.groups)
    with_group = sum(any(t in grouped for t in s) for s in small.sentences)
    share = 1 - with_group / len(small.sentences)
    assert abs(share - C.FILLER_SHARE) < 0.03
    counts = small.counts()
    per_word = np.array([counts[w] for w in grouped])
    assert per_word.min() > 0 and per_word.max() < 2.2 * per_word.mean()  # drawn uniformly: none dominates


def test_analogies_follow_the_grammar():
    q = C.analogy_questions()
    assert ("king", "queen", "man", "woman") in q
    assert ("france", "paris", "japan", "tokyo") in q
    assert ("big", "bigger", "cold", "colder") in q
    groups = C.grouped_words()
    for a, b, c, d in q:
        assert groups[a] == groups[c] and groups[b] == groups[d] and groups[a] != groups[b]
        assert len({a, b, c, d}) == 4
    assert len(q) == 7 * 90 + 3 * 56


def test_example_sentence_contains_the_word():
    s = C.example_sentence("queen")
    assert "queen" in s and len(s) >= 5
    with pytest.raises(KeyError):
        C.example_sentence("zebra")


def test_encode_keeps_frequent_words_first_and_tokens_in_order(small):
    enc = C.encode(small)
    assert enc.num_tokens == small.num_tokens
    assert list(enc.counts) == sorted(enc.counts, reverse=True)
    first = small.sentences[0]
    assert [enc.words[i] for i in enc.ids[: len(first)]] == list(first)
    assert (np.diff(enc.sentence) >= 0).all()
    few = C.encode(small, min_count=50)
    assert few.counts.min() >= 50 and few.num_tokens < enc.num_tokens


def test_tokenize_text():
    assert C.tokenize("Hello, World! Don’t panic.\nNew line") == [["hello", "world"], ["don't", "panic"], ["new", "line"]]
    assert C.tokenize("<script>alert(1)</script> 🎉🎉 café") == [["script", "alert", "1", "script", "café"]]
    assert C.tokenize("") == [] and C.tokenize("🎉 !!! ...") == []


def test_text_advice_and_caps():
    empty = C.corpus_from_text("")
    assert empty.corpus is None and empty.tokens is None and "not enough words" in empty.error
    assert C.corpus_from_text("word").corpus is None
    small = C.corpus_from_text("the cat sat on the mat. the dog sat too.")
    assert small.corpus is not None and small.error is None and "only" in small.note
    assert small.tokens == ["the", "cat", "sat", "on", "the", "mat", "the", "dog", "sat", "too"]
    big = C.corpus_from_text(" ".join(f"w{i % 300}" for i in range(5000)))
    assert big.note is None and big.corpus.num_tokens == 5000 and not big.corpus.groups
    assert type(big) is TextCheck  # the one TextCheck every task gives
    with pytest.raises(C.TextError, match="limit"):
        C.tokenize("a" * (C.MAX_TEXT_CHARS + 1))
