"""Tier 3, units: the toy translation task (grammar, alignments, splits, tensors, learner input)."""

import random

import pytest
import torch

from seqviz.tasks import TASKS
from seqviz.tasks.translation import (ADJECTIVES, BUCKET_NAMES, CONJUNCTIONS, DETERMINERS, IGNORE,
                                      MAX_INPUT_WORDS, NOUNS, OBJECT_PRONOUNS, SUBJECT_PRONOUNS, VERBS,
                                      TranslationTask, length_bucket, split_of)


@pytest.fixture(scope="module")
def tt():
    return TranslationTask()


@pytest.fixture(scope="module")
def pairs(tt):
    return tt.dataset(600, seed=7)


def _allowed_translations():
    """(source word, target word) pairs the lexicon allows, built straight from the tables."""
    ok = set()
    for sg, pl, fr_sg, fr_pl, _ in NOUNS.values():
        ok |= {(sg, fr_sg), (pl, fr_pl)}
    for en, forms in ADJECTIVES.items():
        ok |= {(en, f) for f in forms}
    for third, base, fr_sg, fr_pl in VERBS.values():
        ok |= {(third, fr_sg), (base, fr_pl), (base, fr_sg)}  # "does not see" -> "ne voit pas"
    for en, table in DETERMINERS.items():
        ok |= {(en, fr) for fr in table.values()}
    for table in (SUBJECT_PRONOUNS, OBJECT_PRONOUNS):
        ok |= {(en, v[0]) for en, v in table.items()}
    for en, fr in CONJUNCTIONS.items():
        ok |= {(en, w) for w in fr}
    ok |= {("does", "ne"), ("do", "ne"), ("not", "pas")}
    return ok


def test_registered_and_named(tt):
    assert TASKS["translation"] is TranslationTask and tt.name == "translation"


def test_same_seed_same_data_other_seed_other_data(tt):
    assert tt.dataset(50, 3) == tt.dataset(50, 3)
    assert tt.dataset(50, 3) != tt.dataset(50, 4)
    assert tt.dataset(20, 3, "test") == tt.dataset(20, 3, "test")


def test_splits_are_disjoint_and_follow_the_hash(tt):
    sets = {s: {p.source for p in tt.dataset(400, 11, s)} for s in ("train", "validation", "test")}
    assert not (sets["train"] & sets["test"]) and not (sets["train"] & sets["validation"])
    assert not (sets["validation"] & sets["test"])
    assert all(split_of(src) == s for s, srcs in sets.items() for src in srcs)
    with pytest.raises(ValueError):
        tt.dataset(1, 0, "dev")


def test_every_alignment_points_at_a_word_it_translates(pairs):
    allowed = _allowed_translations()
    for p in pairs:
        assert len(p.alignment) == len(p.target)
        for t_word, j in zip(p.target, p.alignment):
            assert 0 <= j < len(p.source)
            assert (p.source[j], t_word) in allowed, (p, t_word, j)
        # every content word of the source is translated by some target word (nothing dropped)
        covered = set(p.alignment)
        assert all(j in covered for j, w in enumerate(p.source) if w not in ("does", "do"))


def test_adjectives_follow_their_noun_and_agree(pairs):
    """In the source the adjectives come before the noun, in the target after it, in the noun's
    gender and number; object pronouns come before the verb."""
    noun_of = {fr: (g, fr == fr_pl) for _, _, fr_sg, fr_pl, g in NOUNS.values() for fr in (fr_sg, fr_pl)}
    form_of = {}
    for forms in ADJECTIVES.values():
        for k, f in enumerate(forms):
            form_of.setdefault(f, set()).add(("m" if k % 2 == 0 else "f", k >= 2))
    verb_forms = {f for forms in VERBS.values() for f in forms[:2]}
    reordered = pronoun_moved = 0
    for p in pairs:
        last_noun = None
        for i, w in enumerate(p.target):
            if w in noun_of:
                last_noun = (i, noun_of[w])
            elif w in form_of and p.source[p.alignment[i]] in ADJECTIVES:
                assert last_noun is not None and last_noun[1] in form_of[w], (p, w)
                assert p.alignment[i] < p.alignment[last_noun[0]]  # before the noun in the source
                reordered += 1
        for i, j in enumerate(p.alignment):
            if p.source[j] in OBJECT_PRONOUNS:
                # the next target word is the verb, which stood just before the pronoun in the source
                assert p.alignment[i + 1] == j - 1 and p.source[j - 1] in verb_forms
                pronoun_moved += 1
    assert reordered > 100 and pronoun_moved > 30


def test_lengths_cover_every_bucket(tt):
    lengths = [len(p.source) for p in tt.dataset(2000, 1)]
    assert min(lengths) == 3 and max(lengths) >= 25
    assert {length_bucket(n) for n in lengths} == set(BUCKET_NAMES)
    assert [length_bucket(n) for n in (3, 6, 7, 12, 13, 18, 19, 24, 25, 40)] == \
        ["3-6", "3-6", "7-12", "7-12", "13-18", "13-18", "19-24", "19-24", "25+", "25+"]


def test_vocabularies_cover_the_grammar(tt, pairs):
    v, tv = tt.vocab(), tt.target_vocab()
    assert v.idx_to_token[0] == "<pad>" and tv.idx_to_token[:3] == ("<pad>", "<bos>", "<eos>")
    assert not v.unknown(w for p in pairs for w in p.source)
    assert not tv.unknown(w for p in pairs for w in p.target)
    assert tt.num_classes == len(tv) and tt.class_names == tv.to_list()


def test_tensors_pad_and_shift(tt):
    ps = tt.dataset(5, 2)
    v, tv = tt.vocab(), tt.target_vocab()
    (src, tgt_in), tgt_out = tt.tensors(ps, v, tv)
    assert src.shape == (5, max(len(p.source) for p in ps))
    assert tgt_in.shape == tgt_out.shape == (5, max(len(p.target) for p in ps) + 1)
    for b, p in enumerate(ps):
        n = len(p.target)
        assert v.decode(src[b, :len(p.source)]) == list(p.source) and (src[b, len(p.source):] == 0).all()
        assert tv.decode(tgt_in[b, :n + 1]) == ["<bos>", *p.target]
        assert tv.decode(tgt_out[b, :n + 1]) == [*p.target, "<eos>"]
        assert (tgt_out[b, n + 1:] == IGNORE).all() and (tgt_in[b, n + 1:] == 0).all()


def test_batches_are_seeded_and_from_the_training_split(tt):
    v, tv = tt.vocab(), tt.target_vocab()
    a, b = tt.batches(5, 8, v, tv), tt.batches(5, 8, v, tv)
    (xa, ya), (xb, yb) = next(a), next(b)
    assert torch.equal(xa[0], xb[0]) and torch.equal(ya, yb)
    for row in xa[0]:
        assert split_of([w for w in v.decode(row) if w != "<pad>"]) == "train"


def test_parse_reads_back_what_the_grammar_writes(tt, pairs):
    assert all(tt.parse(p.source) == p for p in pairs)
    assert tt.parse("he sees them".split()).target == ("il", "les", "voit")
    assert tt.parse("the big house does not like him".split()).target == \
        ("la", "maison", "grande", "ne", "le", "aime", "pas")
    for bad in ("a cats sees him", "the cat see him", "the cats sees him", "the cat sees", "cat the sees him",
                "he does not sees him", "they does not see him", "the big big cat sees him", "and he sees him"):
        assert tt.parse(bad.split()) is None, bad


def test_check_text_errors_and_notes(tt):
    v = tt.vocab()
    ok = tt.check_text("  The cat SEES him ", v)
    assert ok.tokens == ["the", "cat", "sees", "him"] and ok.error is None and ok.note is None
    for text in ("", "   "):
        assert tt.check_text(text, v).tokens is None and "at least one word" in tt.check_text(text, v).error
    long = tt.check_text(" ".join(["he sees him and"] * 11), v)
    assert long.tokens is None and f"limit is {MAX_INPUT_WORDS}" in long.error
    unknown = tt.check_text("the zebra sees the xylophone", v)
    assert unknown.tokens is None and "'zebra'" in unknown.error and "'xylophone'" in unknown.error
    assert "\n" not in unknown.error
    odd = tt.check_text("cat the sees him", v)
    assert odd.tokens == ["cat", "the", "sees", "him"] and odd.error is None and "grammar" in odd.note


def test_sampling_is_pure_given_the_rng(tt):
    assert tt.sample(random.Random(9)) == tt.sample(random.Random(9))


def test_the_lessons_example_sentences_are_held_out_one_of_each_length(tt):
    from seqviz import labs
    from seqviz.tasks.translation import length_bucket, split_of

    examples = labs.attention.example_sentences()
    assert list(examples) == list(BUCKET_NAMES)  # every bucket, shortest first
    for bucket, sentence in examples.items():
        words = sentence.split()
        assert length_bucket(len(words)) == bucket and split_of(words) == "test" and tt.parse(words) is not None
