"""Sentiment lesson: the review grammar, the bag-of-embeddings model, token attribution, the shipped
checkpoints (their recorded metrics recomputed on a subset) and the figures."""

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz import zoo_sentiment as zs
from seqviz.attribution import gradient_x_input, input_vectors, integrated_gradients
from seqviz.checkpoints import CheckpointError, checkpoint_bytes, parse_checkpoint
from seqviz.models.bag import BagConfig, BagOfEmbeddings, init_from_vectors
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet
from seqviz.plotting import sentiment as figs
from seqviz.tasks.sentiment import (DOWNTONERS, FILLER, HELD_OUT, INTENSIFIERS, MAX_CHARS, NEGATIVE, PHENOMENA,
                                    POSITIVE, Review, SentimentTask, predict, score, shown_tokens, tokenize)
from seqviz.vocab import UNK

TASK = SentimentTask()
VOCAB = TASK.vocab()


# -- the task ----------------------------------------------------------------------------------------
def test_same_seed_same_reviews_other_seed_other_reviews():
    assert TASK.dataset(200, 5, "train") == TASK.dataset(200, 5, "train")
    assert TASK.dataset(200, 5, "train") != TASK.dataset(200, 6, "train")
    x1, y1 = next(TASK.batches(3, 16, VOCAB))
    x2, y2 = next(TASK.batches(3, 16, VOCAB))
    assert x1.equal(x2) and y1.equal(y2)


def oracle_label(review: Review) -> int:
    """Independent of the generator: the last opinion clause decides; its adjective's sign, flipped by not/never."""
    words = list(review.tokens)
    if "but" in words:
        words = words[len(words) - words[::-1].index("but"):]
    adjectives = [w for w in words if w in POSITIVE or w in NEGATIVE]
    assert len(adjectives) == 1, review.text
    negated = "not" in words or "never" in words
    return int((adjectives[0] in POSITIVE) != negated)


@pytest.mark.parametrize("split", ["train", "test", "held-out"])
def test_labels_and_tags_match_the_words(split):
    reviews = TASK.dataset(1500, 11, split)
    filler_words = {w for s in FILLER for w in s.split()}
    for r in reviews:
        assert r.label == oracle_label(r), r.text
        tags, words = set(r.tags), set(r.tokens)
        assert ("contrast" in tags) == ("but" in words)
        assert ("negation" in tags) == bool(words & {"not", "never"})
        assert ("intensifier" in tags) == bool(words & set(INTENSIFIERS))
        assert ("downtoner" in tags) == bool(words & set(DOWNTONERS))
        assert ("filler" in tags) == any(f" {f}" in f" {r.text}" for f in FILLER)
        assert ("plain" in tags) == (not tags & {"negation", "intensifier", "downtoner", "contrast"})
        if "distant negation" in tags:  # three or more words between the negator and the adjective
            neg = max(i for i, w in enumerate(r.tokens) if w in ("not", "never"))
            adj = next(i for i, w in enumerate(r.tokens) if i > neg and (w in POSITIVE or w in NEGATIVE))
            assert adj - neg >= 3, r.text
        assert set(r.tags) <= set(PHENOMENA) and r.tokens and all(t in VOCAB for t in r.tokens)
    assert 0.4 < np.mean([r.label for r in reviews]) < 0.6
    assert filler_words  # the filler sentences exist and use the vocabulary
    if split != "held-out":
        assert {p for r in reviews for p in r.tags} == set(PHENOMENA)


def test_splits_never_share_a_text_and_the_held_out_template_stays_out():
    train = {r.text for r in TASK.dataset(3000, 1, "train")}
    test = {r.text for r in TASK.dataset(1000, 2, "test")}
    held = TASK.dataset(200, 3, "held-out")
    assert not train & test
    marker = " ".join(HELD_OUT[1].split()[:3])  # "i never found"
    assert not any(marker in t for t in train | test)
    assert all(marker in r.text and "negation" in r.tags for r in held)
    with pytest.raises(ValueError):
        TASK.dataset(3, 1, "validation")


def test_tensors_pad_after_each_review():
    reviews = TASK.dataset(8, 4, "train")
    x, y = TASK.tensors(reviews, VOCAB)
    for b, r in enumerate(reviews):
        assert VOCAB.decode(x[b, : len(r.tokens)].tolist()) == list(r.tokens)
        assert (x[b, len(r.tokens):] == 0).all()
    assert y.tolist() == [r.label for r in reviews]


@pytest.mark.parametrize("text, fragment", [
    ("", "Type a review"), ("   ", "Type a review"),
    ("good " * 2000, "10,000 characters"),
    ("😀😀 🎬", "None of those words"),
    ("<b>alert('x')</b>", "None of those words"),
    ("zzz qqq", "None of those words"),
    ("good " * 61, "61 words"),
])
def test_bad_reviews_get_one_sentence(text, fragment):
    check = TASK.check_text(text, VOCAB)
    assert check.tokens is None and fragment in check.error
    assert str(MAX_CHARS) in TASK.check_text("a" * (MAX_CHARS + 1), VOCAB).error


def test_unknown_words_are_kept_shown_and_read_as_unk():
    check = TASK.check_text("The POPCORN was <b>great</b> 😀", VOCAB)
    assert check.error is None and check.tokens[:4] == ["the", "popcorn", "was", "<"]
    assert "'popcorn'" in check.note and "'😀'" in check.note and UNK in check.note
    shown = shown_tokens(check.tokens, VOCAB)
    assert shown[0] == "the" and shown[1] == f"popcorn→{UNK}"
    assert VOCAB.encode(check.tokens)[1] == VOCAB.token_to_idx[UNK]
    script = TASK.check_text("<script>alert('x')</script>", VOCAB)  # "script" is a word of the film grammar
    assert script.tokens.count("script") == 2 and "'<'" in script.note
    assert tokenize("Not bad, at ALL.") == ["not", "bad", ",", "at", "all", "."]


# -- the bag model -------------------------------------------------------------------------------------
def test_bag_is_the_mean_of_word_vectors_then_a_linear_layer():
    torch.manual_seed(0)
    model = BagOfEmbeddings(BagConfig(len(VOCAB), 2, 8))
    reviews = TASK.dataset(6, 9, "train")
    x, y = TASK.tensors(reviews, VOCAB)
    logits, loss = model(x, y)
    E, W, b = model.embedding.weight.detach(), model.head.weight.detach(), model.head.bias.detach()
    for i, r in enumerate(reviews):  # a direct computation, one review at a time, no padding anywhere
        m = E[VOCAB.encode(r.tokens)].mean(0)
        assert torch.allclose(logits[i], W @ m + b, atol=1e-6)
    assert torch.isclose(loss, F.cross_entropy(logits, y))
    tr = model.trace(VOCAB.encode(reviews[0].tokens), list(reviews[0].tokens), TASK.class_names)
    assert np.allclose(tr.logits, logits[0].detach().numpy(), atol=1e-6)
    assert np.allclose(tr.votes.sum(0) + tr.bias, tr.logits, atol=1e-5)  # z = Σ_t W e_t / T + b
    assert np.allclose(tr.step_probs[-1], tr.probs, atol=1e-6) and np.allclose(tr.probs.sum(), 1)
    # word order is invisible to it
    shuffled = list(reviews[0].tokens)
    random.Random(0).shuffle(shuffled)
    assert np.allclose(model.trace(VOCAB.encode(shuffled), shuffled, TASK.class_names).logits, tr.logits, atol=1e-5)


def test_frozen_vectors_stay_and_the_linear_layer_learns():
    from seqviz.training import TrainingRun

    model = zs.build_model("bag", 8, seed=0, freeze=True)
    E0, W0 = model.embedding.weight.detach().clone(), model.head.weight.detach().clone()
    run = TrainingRun.start(model, TASK.batches(0, 32, VOCAB), lr=1e-2)
    for _ in run.train(5):
        pass
    assert model.embedding.weight.equal(E0) and not model.head.weight.equal(W0)


def test_vectors_from_another_lab_fill_the_rows_they_have():
    model = BagOfEmbeddings(BagConfig(len(VOCAB), 2, 4))
    words = ("good", "bad", "zebra")
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    missing = init_from_vectors(model, VOCAB.idx_to_token, words, vectors)
    E = model.embedding.weight.detach().numpy()
    assert np.array_equal(E[VOCAB.token_to_idx["good"]], vectors[0])
    assert np.array_equal(E[VOCAB.token_to_idx["bad"]], vectors[1])
    assert "not" in missing and "good" not in missing and not E[0].any()
    with pytest.raises(ValueError):
        init_from_vectors(model, VOCAB.idx_to_token, words, np.zeros((3, 5), np.float32))


def test_bag_checkpoint_round_trip_and_bad_config():
    model = zs.build_model("bag", 8, seed=1)
    meta = {"name": "x", "vocab": VOCAB.to_list(), "class_names": TASK.class_names,
            "task": {"name": "sentiment", "params": {}}}
    weights, text = checkpoint_bytes(model, meta)
    ckpt = parse_checkpoint(weights, text)
    assert isinstance(ckpt.model, BagOfEmbeddings) and ckpt.task == TASK
    x, _ = TASK.tensors(TASK.dataset(4, 0, "test"), VOCAB)
    assert ckpt.model(x)[0].allclose(model(x)[0])
    with pytest.raises(CheckpointError, match="embed_dim"):
        parse_checkpoint(weights, text.replace('"embed_dim": 8', '"embed_dim": -8'))


# -- attribution --------------------------------------------------------------------------------------
def test_recurrent_inputs_can_be_given_as_vectors():
    torch.manual_seed(0)
    model = RecurrentNet(RecurrentConfig(len(VOCAB), 2, "lstm", 8, bidirectional=True, output="last"))
    x, _ = TASK.tensors(TASK.dataset(5, 0, "test"), VOCAB)
    with torch.no_grad():
        assert model.hidden_states(x).equal(model.hidden_states(x, F.one_hot(x, len(VOCAB)).float()))


@pytest.mark.parametrize("arch", ["bag", "lstm", "gru", "bilstm", "rnn"])
def test_integrated_gradients_add_up_to_the_change_in_score(arch):
    model = zs.build_model(arch, 8, seed=2)
    for p in model.parameters():  # larger weights than the init, so F is far from linear
        p.data.mul_(3)
    review = TASK.dataset(1, 3, "train")[0]
    ids, tokens = VOCAB.encode(review.tokens), list(review.tokens)
    ig = integrated_gradients(model, ids, tokens, target=1, steps=256)
    change = ig.score - ig.baseline_score
    assert abs(change) > 0.01  # a non-trivial change to explain
    assert abs(ig.gap) < 0.01 * max(1.0, abs(change)), (ig.values.sum(), change)
    other = integrated_gradients(model, ids, tokens, target=0, steps=256)
    assert np.allclose(other.values, -ig.values, atol=1e-4)  # two classes: F_neg = -F_pos
    assert all(p.grad is None for p in model.parameters())  # a shared model is never written to
    with torch.no_grad():
        logits = model(torch.tensor([ids]))[0][0]
    assert np.isclose(ig.score, float(logits[1] - logits[0]), atol=1e-5)


def test_for_the_bag_both_methods_give_each_words_vote():
    model = zs.build_model("bag", 8, seed=4)
    review = TASK.dataset(1, 5, "train")[0]
    ids, tokens = VOCAB.encode(review.tokens), list(review.tokens)
    tr = model.trace(ids, tokens, TASK.class_names)
    votes = tr.votes[:, 1] - tr.votes[:, 0]  # (W_pos - W_neg) e_t / T
    assert np.allclose(gradient_x_input(model, ids, tokens).values, votes, atol=1e-5)
    assert np.allclose(integrated_gradients(model, ids, tokens, steps=8).values, votes, atol=1e-5)


def test_gradient_x_input_of_a_one_hot_reader_is_the_gradient_at_each_word():
    model = zs.build_model("gru", 8, seed=5)
    review = TASK.dataset(1, 6, "train")[0]
    ids = VOCAB.encode(review.tokens)
    x = torch.tensor([ids])
    u = input_vectors(model, x).requires_grad_(True)
    logits = model.read_out(model.hidden_states(x, u), x)
    (g,) = torch.autograd.grad(logits[0, 1] - logits[0, 0], u)
    expected = g[0, torch.arange(len(ids)), torch.tensor(ids)].numpy()
    assert np.allclose(gradient_x_input(model, ids, list(review.tokens)).values, expected, atol=1e-6)


# -- the shipped checkpoints -------------------------------------------------------------------------
@pytest.mark.parametrize("name", zs.NAMES)
def test_shipped_checkpoint_reproduces_its_recorded_metrics_on_a_subset(name):
    ckpt = zs.load(name)
    recipe = zs.SENTIMENT_RECIPES[name]
    assert ckpt.task == recipe.task and ckpt.meta["recipe"]["steps"] == recipe.steps
    reviews = recipe.test_reviews(recipe.subset_size)
    recorded = ckpt.meta["metrics"]["subset"]
    again = score(reviews, predict(ckpt.model, reviews, ckpt.vocab))
    assert again["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-4)
    assert again["confusion"] == recorded["confusion"]
    for ph, acc in recorded["per_phenomenon"].items():
        assert acc is None or again["per_phenomenon"][ph] == pytest.approx(acc, abs=1e-4)


def test_shipped_models_meet_the_lessons_targets():
    m = {name: zs.load(name).meta["metrics"] for name in zs.NAMES}
    for name in ("sentiment-lstm", "sentiment-bilstm"):
        assert m[name]["accuracy"] >= 0.95 and m[name]["per_phenomenon"]["negation"] >= 0.90
    bag = m["sentiment-bag"]["per_phenomenon"]
    assert bag["negation"] < 0.6 and bag["contrast"] < 0.7  # clearly weaker: the gap is the lesson
    assert bag["plain"] > 0.9


def test_shipped_lstm_handles_not_good_and_the_bag_does_not():
    lstm, bag = zs.load("sentiment-lstm"), zs.load("sentiment-bag")
    probe = [Review(tuple(t.split()), 0, (), "probe") for t in
             ("the plot was good", "the plot was not good", "the plot was bad", "the plot was not bad at all")]
    p = predict(lstm.model, probe, lstm.vocab)[:, 1]
    assert p[0] > 0.9 and p[1] < 0.1 and p[2] < 0.1 and p[3] > 0.9
    q = predict(bag.model, probe, bag.vocab)[:, 1]
    assert (q[0] > 0.5) == (q[1] > 0.5)  # "not" cannot flip the bag's answer here


def test_a_corrupt_or_unknown_checkpoint_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no shipped sentiment"):
        zs.load("sentiment-transformer")
    for suffix in (".safetensors", ".json"):
        (tmp_path / f"sentiment-lstm{suffix}").write_bytes((zs.zoo.ASSETS / f"sentiment-lstm{suffix}").read_bytes())
    (tmp_path / "SHA256SUMS").write_text((zs.zoo.ASSETS / "SHA256SUMS").read_text())
    zs.load("sentiment-lstm", tmp_path)
    (tmp_path / "sentiment-lstm.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="checksum"):
        zs.load("sentiment-lstm", tmp_path)


# -- figures -----------------------------------------------------------------------------------------
def test_figures_use_the_fixed_scales_and_label_words():
    tokens = ["the", "plot", "was", "not", "good"]
    probs = {"A": np.array([0.2, 0.8]), "B": np.array([0.9, 0.1])}
    fig = figs.predictions_figure(probs, TASK.class_names)
    assert list(fig.data[0].x) == [0.8, 0.1] and fig.data[0].marker.cmin == 0 and fig.data[0].marker.cmax == 1
    hidden = np.linspace(-1, 1, 5 * 3).reshape(5, 3)
    fig = figs.reading_figure(tokens, {"A": np.linspace(0, 1, 5)}, hidden)
    heat = fig.data[-1]
    assert (heat.zmin, heat.zmax) == (-1, 1) and heat.z.shape == (3, 5)
    assert list(fig.layout.xaxis2.ticktext) == tokens
    fig = figs.attribution_figure(tokens, {"A": np.array([0.1, -0.5, 0.2, 0.3, 0.0])})
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-1, 1) and fig.data[0].text[0].tolist() == tokens
    assert np.allclose(fig.data[0].z[0], [0.2, -1, 0.4, 0.6, 0]) and fig.data[0].customdata[0][1] == -0.5
    acc = {"A": {"overall": 0.9, "negation": None}, "B": {"overall": 0.5, "negation": 0.2}}
    fig = figs.accuracy_figure(acc, {"overall": 10, "negation": 4})
    assert len(fig.data) == 2 and np.isnan(fig.data[0].y[1]) and fig.layout.barmode == "group"
    fig = figs.confusion_figure({"A": [[3, 1], [0, 4]]}, TASK.class_names)
    assert np.allclose(fig.data[0].z, [[0.75, 0.25], [0, 1]])
    assert len(figs.accuracy_frame(acc, {})) == 4 and len(figs.confusion_frame({"A": [[3, 1], [0, 4]]}, ["n", "p"])) == 4
