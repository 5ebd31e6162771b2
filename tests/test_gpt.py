"""Tiers 2-3 of the GPT lesson: the generated stories, the character tokeniser, the bigram baseline, the
shipped tiny GPT (its recorded perplexities recomputed on a subset, causality, its budget), the learner's
GPT (seeded start, checks after a chunk) and the figure builders."""

import math
import random
import re
from collections import Counter

import numpy as np
import pytest
import torch

from seqviz import labs, zoo
from seqviz.labs import transformers as lab
from seqviz.models.bigram import BigramLM
from seqviz.tasks import lmtext
from seqviz.tasks.lmtext import LMCorpus, check_pasted, check_prompt, windows


@pytest.fixture(scope="module")
def corpus():
    return LMCorpus.generate()


@pytest.fixture(scope="module")
def shipped():
    return labs.load(lab.GPT_NAME)


# -- the stories ------------------------------------------------------------------------------------
def test_stories_are_seeded_and_use_only_the_alphabet():
    a, b = lmtext.generate_text(50, 3), lmtext.generate_text(50, 3)
    assert a == b and a != lmtext.generate_text(50, 4)
    assert set("".join(a)) <= set(lmtext.ALPHABET)


def test_every_story_gives_the_object_back_to_the_giver():
    for s in lmtext.generate_text(300, 9):
        giver, taker, thing = re.search(r"(\w+) gave (\w+) a (\w+)\.", s).groups()
        assert f"{giver} gave {taker} a {thing}. {taker} gave the {thing} back to {giver}." in s
        assert s.startswith((f"{taker} and {giver} ", f"{giver} and {taker} "))


def test_verbs_agree_with_their_subject_and_quotes_close():
    sing, plur = set(lmtext.NOUNS), set(lmtext.NOUNS.values())
    for s in lmtext.generate_text(300, 5):
        assert s.count('"') % 2 == 0 and s.count("(") == s.count(")")
        for m in re.finditer(r"the (?:\w+ )?(\w+)(?: near the (?:\w+ )?\w+)? (\w+)", s):
            noun, verb = m.groups()
            if verb in lmtext.VERBS:
                assert noun in sing, m.group(0)
            elif verb in lmtext.VERBS.values():
                assert noun in plur, m.group(0)


def test_the_corpus_split_and_batches(corpus):
    assert len(corpus.vocab) == len(lmtext.ALPHABET)
    assert 0.08 < len(corpus.val_ids) / (len(corpus.train_ids) + len(corpus.val_ids)) < 0.12
    stories = lmtext.generate_text()
    cut = int(round(len(stories) * 0.9))
    assert lmtext.decode(corpus.val_ids[:200].tolist(), corpus.vocab) == "".join(stories[cut:])[:200]
    x, y = next(corpus.batches(seed=0, batch_size=4, block_size=16))
    assert x.shape == y.shape == (4, 16)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])  # y is x moved on by one character
    x2, _ = next(corpus.batches(seed=0, batch_size=4, block_size=16))
    assert torch.equal(x, x2)


def test_windows_score_every_character_once():
    ids = torch.arange(1, 42)
    x, y = windows(ids, 8)
    assert x.shape == (5, 8)
    assert torch.equal(y.flatten(), ids[1:41]) and torch.equal(x.flatten(), ids[:40])
    assert windows(ids, 8, limit=17)[0].shape == (2, 8)


# -- what a learner types ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, fragment", [
    ("", "Type a prompt"),
    ("a" * 201, "201 characters"),
    ("anna 😀", "'😀'"),
    ("<script>", "'<'"),
    ("ben\tgave", "a tab"),
])
def test_bad_prompts_get_one_sentence(corpus, text, fragment):
    check = check_prompt(text, corpus.vocab)
    assert check.tokens is None and fragment in check.error


def test_upper_case_prompts_are_lowered_with_a_note(corpus):
    check = check_prompt("Anna GAVE", corpus.vocab)
    assert check.tokens == list("anna gave") and "lower" in check.note
    assert check_prompt("anna gave", corpus.vocab).note is None


@pytest.mark.parametrize("text, fragment", [
    ("", "Paste some text"), ("   \n ", "Paste some text"), ("x" * 50, "only 50 characters"),
    ("y" * 50_001, "50,001 characters"), ("".join(chr(0x4E00 + i) for i in range(300)), "300 different characters"),
])
def test_bad_pasted_text_gets_one_sentence(text, fragment):
    check = check_pasted(text)
    assert check.tokens is None and fragment in check.error


def test_short_pasted_text_trains_with_advice():
    text = "the quick brown fox jumps over the lazy dog. " * 20
    check = check_pasted(text)
    assert check.error is None and "memorise" in check.note
    c = LMCorpus.from_text(text)
    assert len(c.vocab) == len(set(text)) and len(c.train_ids) + len(c.val_ids) == len(text)
    x, y = next(c.batches(0, 2, 128))
    assert x.shape == (2, 128)
    assert check_pasted(text * 10).note is None


# -- the bigram -------------------------------------------------------------------------------------
def test_bigram_perplexity_against_a_direct_computation():
    text = "abcab cabbac ba"
    vocab = sorted(set(text))
    ids = torch.tensor([vocab.index(c) for c in text])
    k, V = 0.5, len(vocab)
    model = BigramLM.fit(ids, V, k)
    pairs = Counter(zip(text, text[1:]))
    firsts = Counter(text[:-1])
    val = "bca ab"
    nll = -sum(math.log((pairs[(a, b)] + k) / (firsts[a] + k * V)) for a, b in zip(val, val[1:])) / (len(val) - 1)
    vid = torch.tensor([vocab.index(c) for c in val])
    assert model.nll(vid[:-1], vid[1:]) == pytest.approx(nll, rel=1e-12)
    assert model.perplexity(vid[:-1], vid[1:]) == pytest.approx(math.exp(nll), rel=1e-12)
    np.testing.assert_allclose(model.probs.sum(axis=1), 1)


def test_add_k_smoothing_never_gives_zero():
    model = BigramLM.fit(torch.tensor([0, 1, 0, 1]), 3, k=0.1)
    assert (model.probs > 0).all() and model.probs[0, 1] > 0.8


# -- the shipped GPT --------------------------------------------------------------------------------
def test_shipped_files_are_within_budget_and_checksummed():
    sums = zoo.read_checksums(zoo.CHECKSUMS)
    size = 0
    for suffix in ("safetensors", "json"):
        path = zoo.ASSETS / f"{lab.GPT_NAME}.{suffix}"
        assert sums[path.name] == zoo.sha256(path)
        size += path.stat().st_size
    assert size <= lab.MAX_ASSET_BYTES
    assert lab.GPT_NAME in labs.builds()


def test_shipped_model_beats_the_bigram_as_recorded(shipped, corpus):
    """Recompute both recorded validation perplexities on the recorded subset, from the shipped file."""
    recorded = shipped.meta["metrics"]["subset"]
    bigram = BigramLM.fit(corpus.train_ids, len(corpus.vocab), lab.GPT_RECIPE.bigram_k)
    got = lab.perplexities(shipped.model, bigram, corpus.val_ids, lab.GPT_RECIPE.subset_chars)
    assert got["characters"] == recorded["characters"]
    assert got["model_perplexity"] == pytest.approx(recorded["model_perplexity"], rel=1e-4)
    assert got["bigram_perplexity"] == pytest.approx(recorded["bigram_perplexity"], rel=1e-9)
    assert got["model_perplexity"] < 0.5 * got["bigram_perplexity"]  # a clear margin, not a tie
    full = shipped.meta["metrics"]
    assert full["model_perplexity"] < 0.5 * full["bigram_perplexity"] < full["uniform_perplexity"]


def test_shipped_model_is_causal(shipped):
    """Changing a later character never changes the logits at an earlier position."""
    vocab, model = shipped.vocab, shipped.model
    text = list("anna and ben went to the park. ben gave anna a map.")
    rng = random.Random(0)
    with torch.no_grad():
        base = model(torch.tensor([vocab.encode(text)]))[0][0]
        for t in (3, 20, len(text) - 1):
            changed = list(text)
            changed[t] = rng.choice([c for c in "xyz" if c != text[t]])
            other = model(torch.tensor([vocab.encode(changed)]))[0][0]
            torch.testing.assert_close(other[:t], base[:t], rtol=0, atol=1e-6)
            assert not torch.allclose(other[t:], base[t:])


def _next(shipped, text: str):
    context = list(text)[-shipped.model.cfg.block_size:]
    return shipped.model.trace(shipped.vocab.encode(context), context).probs[-1], shipped.vocab.token_to_idx


def test_shipped_model_copies_the_object_agrees_and_closes_quotes(shipped, corpus):
    """What the page says the shipped model has learned (and the bigram cannot)."""
    bigram = BigramLM.fit(corpus.train_ids, len(corpus.vocab), lab.GPT_RECIPE.bigram_k)
    p, ix = _next(shipped, "dan and jade went to the river. jade gave dan a cup. dan gave the ")
    assert p[ix["c"]] > 0.5 > bigram.next_probs(ix[" "])[ix["c"]]  # the cup, copied from the sentence before
    p, ix = _next(shipped, "eva and leo went to the park. the dog run")
    assert p[ix["s"]] > 0.5  # singular subject: runs
    p, ix = _next(shipped, "eva and leo went to the park. the dogs near the cat run")
    assert p[ix["s"]] < 0.1  # plural subject, singular noun in between: run
    p, ix = _next(shipped, 'eva said "the dog runs.')
    assert p[ix['"']] > 0.9


def test_a_head_of_the_shipped_model_looks_at_the_opening_quote(shipped):
    """The page says: at the closing quote, layer 2 head 1 attends mostly to the opening quote."""
    text = list('eva said "the green dog sings outside.')
    tr = shipped.model.trace(shipped.vocab.encode(text), text)
    assert tr.probs[-1].argmax() == shipped.vocab.token_to_idx['"']
    assert tr.attention[1, 0, -1, text.index('"')] > 0.5


def test_shipped_model_has_not_learned_who_gets_it_back(shipped):
    """The page says so: after "back to " the probability is spread over all the names."""
    p, ix = _next(shipped, "jade gave dan a cup. dan gave the cup back to ")
    assert p[ix["j"]] < 0.3 and p[ix["d"]] < 0.3


def test_loading_a_damaged_file_names_the_problem(tmp_path):
    for suffix in ("safetensors", "json"):
        (tmp_path / f"{lab.GPT_NAME}.{suffix}").write_bytes((zoo.ASSETS / f"{lab.GPT_NAME}.{suffix}").read_bytes())
    zoo.write_checksums(tmp_path / "SHA256SUMS", {p.name: zoo.sha256(p) for p in tmp_path.iterdir()})
    assert labs.load(lab.GPT_NAME, tmp_path).model.cfg.block_size == lab.GPT_RECIPE.block_size
    (tmp_path / f"{lab.GPT_NAME}.safetensors").write_bytes(b"junk")
    with pytest.raises(zoo.CheckpointError, match="does not match its checksum"):
        labs.load(lab.GPT_NAME, tmp_path)
    with pytest.raises(zoo.CheckpointError, match="no shipped checkpoint called 'nope'"):
        labs.load("nope")


# -- figures ----------------------------------------------------------------------------------------
def test_figure_builders_label_characters_safely():
    from seqviz.models.transformer import TransformerLM, TransformerLMConfig
    from seqviz.plotting import gpt as figs
    from seqviz.sampling import filter_logits, generate
    from seqviz.vocab import Vocab

    vocab = Vocab(tuple("ab <>\n"))
    torch.manual_seed(0)
    model = TransformerLM(TransformerLMConfig(len(vocab), 8, 2, 2, 16)).eval()
    gen = generate(model, vocab, list("a<b"), 12, temperature=1.0, top_k=3, seed=1)
    bars, table = figs.next_token_bars(gen.steps[0].filtered.raw, vocab.idx_to_token, n=4, chosen=gen.steps[0].token_id)
    assert list(table["p"]) == list(bars.data[0].x) and len(table) == 4
    assert len(bars.data[0].y) == 4 and "&lt;" in "".join(figs.char_label(t) for t in vocab.idx_to_token)
    assert list(bars.data[0].x) == sorted(bars.data[0].x, reverse=True)
    stages, _ = figs.stages_figure(gen.steps[0].filtered, vocab.idx_to_token)
    assert len(stages.data) == 6 and all(max(t.y) <= 1 for t in stages.data)
    step = gen.steps[-1]
    att, table = figs.context_attention(step.attention, step.context, 1, 0, step.token)
    assert table.shape == (4, 1 + len(step.context)) and np.allclose(table.iloc[:, 1:].sum(axis=1), 1)
    assert att.data[0].z.shape == (4, len(step.context)) and att.data[0].zmin == 0 and att.data[0].zmax == 1
    assert "␣" in att.layout.xaxis.ticktext or " " not in step.context
    assert len(figs.head_bars(step.attention[1, 0], step.context, 1, 0)[0].data[0].y) == len(step.context)
    g, table = figs.generation_figure(gen, 3)
    assert len(g.data[0].x) == 12 and table.shape == (12, 4)
    bars, table = figs.perplexity_bars({"uniform": 6, "bigram": 3.0, "gpt": 1.5})
    assert len(bars.data[0].y) == 3 and list(table["perplexity"]) == [6, 3.0, 1.5]
    check = {"step": 3, "validation loss": 1.3, "bigram loss": 1.7}
    tf, table = figs.training_figure([1, 2, 3], [2.0, 1.5, 1.2], [check])
    assert len(tf.data) == 2 and tf.layout.shapes and table.to_dict("records") == [check]
    assert figs.stages_figure(filter_logits(np.zeros(6), 0.5, 2, 0.5), vocab.idx_to_token)[1].shape == (6, 7)


# -- the learner's GPT ------------------------------------------------------------------------------
def test_the_learners_gpt_starts_seeded_and_its_check_matches_the_bigram():
    corpus = LMCorpus.from_text("the cat sat on the mat. the dog ran to the log. " * 40)
    state = torch.random.get_rng_state()
    trainer, meta = lab.gpt_run(corpus)
    again, _ = lab.gpt_run(corpus)
    assert torch.equal(state, torch.random.get_rng_state())  # the server's random state is not moved
    assert all(v.equal(again.model.state_dict()[k]) for k, v in trainer.model.state_dict().items())
    assert meta == {"vocab": corpus.vocab.to_list()} and trainer.corpus is corpus
    events = list(trainer.train(3))
    assert trainer.step == 3 and [e.step for e in trainer.history] == [e.step for e in events] == [1, 2, 3]
    row = lab.gpt_check(trainer.model, corpus, trainer.bigram, trainer.step)
    assert row["step"] == 3 and row["validation perplexity"] == pytest.approx(math.exp(row["validation loss"]))
    x, y = windows(corpus.val_ids, min(trainer.model.cfg.block_size, len(corpus.val_ids) - 1), lab.CHECK_CHARS)
    assert row["bigram perplexity"] == pytest.approx(trainer.bigram.perplexity(x, y))
    assert len(row["sample"]) > lab.SAMPLE_CHARS
