"""Tier 3, units: the built-in word-embedding corpus, its evaluation data, and the learner's text."""

from collections import Counter

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


# -- the paired setting ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paired():
    return C.build_corpus(C.DEFAULT_TOKENS, seed=0, paired=True)


def family_of() -> dict[str, str]:
    return {w: fam.name for fam in C.FAMILIES for ws in fam.words.values() for w in ws}


def test_the_paired_setting_is_a_parameter_that_leaves_the_plain_corpus_alone(small):
    assert C.build_corpus(20_000, seed=0, paired=False).sentences == small.sentences
    p = C.build_corpus(20_000, seed=0, paired=True)
    assert p.sentences == C.build_corpus(20_000, seed=0, paired=True).sentences != small.sentences
    assert p.groups == small.groups and p.analogies == small.analogies
    assert 20_000 <= p.num_tokens < 20_020 and "paired" in p.source and "paired" not in small.source


def test_a_paired_sentence_names_two_grouped_words_of_one_family_and_nothing_else(paired):
    grouped, family = set(paired.groups), family_of()
    frame_words = {t for frame in C.PAIR_TEMPLATES for t in frame.split() if "{" not in t}
    n_pairs = 0
    for s in paired.sentences:
        named = [t for t in s if t in grouped]
        if not named:
            assert set(s) <= set(C.FILLER_WORDS)  # filler, as in the plain corpus
            continue
        n_pairs += 1
        assert len(named) == 2 and named[0] != named[1] and family[named[0]] == family[named[1]], s
        assert set(s) - set(named) <= frame_words, s
    assert abs(1 - n_pairs / len(paired.sentences) - C.FILLER_SHARE) < 0.02


def test_partners_sharing_a_group_or_an_identity_are_pair_weight_times_as_likely(paired):
    partners = C.pair_partners()
    king = Counter(partners["king"])
    assert king["queen"] == king["man"] == C.PAIR_WEIGHT and king["woman"] == 1
    assert "king" not in king and "paris" not in king
    assert set(king) == {w for ws in C.FAMILIES[0].words.values() for w in ws} - {"king"}
    # and the corpus follows them: a people word's partner that shares its group or identity (10 such words)
    # is drawn about PAIR_WEIGHT times as often, per word, as one that shares neither (9 words)
    groups = paired.groups
    ident = {w: i for fam in C.FAMILIES for i, ws in fam.words.items() for w in ws}
    close = far = 0
    for s in paired.sentences:
        named = [t for t in s if t in groups]
        if named and groups[named[0]] in ("male", "female"):
            a, b = named  # the drawn word comes first in every frame
            shares = groups[a] == groups[b] or ident[a] == ident[b]
            close, far = close + shares, far + (not shares)
    assert 0.8 * C.PAIR_WEIGHT < (close / 10) / (far / 9) < 1.2 * C.PAIR_WEIGHT


def test_analogy_pairs_cooccur_in_the_paired_corpus_and_never_in_the_plain_one(paired):
    """The words of an analogy question (king : queen :: man : woman) meet within one window (X_ij > 0) in the
    paired setting: always when they share a group or an identity (king, queen; king, man), nearly always
    when they share neither (king, woman: drawn a few times each, a rare pair may miss). In the plain corpus
    none of them ever meet: those are the zeros GloVe's objective skips."""
    from seqviz.models.glove import cooccurrence

    groups = C.grouped_words()
    ident = {w: i for fam in C.FAMILIES for i, ws in fam.words.items() for w in ws}
    pairs = {(a, b) for q in C.analogy_questions() for a in q for b in q if a != b}
    close = {(a, b) for a, b in pairs if groups[a] == groups[b] or ident[a] == ident[b]}
    for corpus in (paired, C.build_corpus(C.DEFAULT_TOKENS, seed=0)):
        enc = C.encode(corpus)
        X = cooccurrence(enc.ids, enc.sentence, len(enc.words), window=5)
        index = {w: i for i, w in enumerate(enc.words)}
        met = {(a, b) for a, b in pairs if X.lookup(index[a], index[b]) > 0}
        if corpus is paired:
            assert close <= met and len(met - close) >= 0.99 * len(pairs - close)
        else:
            assert not met
