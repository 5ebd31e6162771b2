"""Sentiment lesson: the review grammar, the bag-of-embeddings model, token attribution, the shipped
checkpoints (their recorded metrics recomputed on a subset) and the figures."""

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.labs import sentiment as lab
from seqviz.shipped import ASSETS
from seqviz.attribution import gradient_x_input, input_vectors, integrated_gradients
from seqviz.checkpoints import CheckpointError, checkpoint_bytes, parse_checkpoint, task_meta
from seqviz.models.bag import BagConfig, BagOfEmbeddings, init_from_vectors
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet
from seqviz.plotting import sentiment as figs
from seqviz.tasks.sentiment import (DOWNTONERS, FILLER, HELD_OUT, INTENSIFIERS, MAX_CHARS, NEGATIVE, PHENOMENA,
                                    POSITIVE, Review, SentimentTask, mistakes, predict, score, shown_tokens,
                                    tokenize)
from seqviz.vocab import UNK

TASK = SentimentTask()
VOCAB = TASK.vocab()
GAP = 0.15  # how far the vanilla RNN trails the gated cells on reviews with the verdict early (mean of 3 seeds)


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
        if "verdict early" in tags:  # the opinion, then 3 or 4 neutral sentences: the answer is far from the end
            last_adjective = max(i for i, w in enumerate(r.tokens) if w in POSITIVE or w in NEGATIVE)
            tail = " ".join(r.tokens[last_adjective + 1:])
            assert sum(tail.count(f) for f in FILLER) >= 3 and len(r.tokens) - last_adjective > 15, r.text
        assert TASK.check_text(r.text, VOCAB).error is None, r.text  # every review can be typed into the page
        if "distant negation" in tags:  # three or more words between the negator and the adjective
            neg = max(i for i, w in enumerate(r.tokens) if w in ("not", "never"))
            adj = next(i for i, w in enumerate(r.tokens) if i > neg and (w in POSITIVE or w in NEGATIVE))
            assert adj - neg >= 3, r.text
        assert set(r.tags) <= set(PHENOMENA) and r.tokens and all(t in VOCAB for t in r.tokens)
    assert 0.4 < np.mean([r.label for r in reviews]) < 0.6
    assert filler_words  # the filler sentences exist and use the vocabulary
    if split != "held-out":
        assert {p for r in reviews for p in r.tags} == set(PHENOMENA)


def test_no_long_reviews_leave_the_reviews_of_before():
    """p_long = 0 draws nothing more from the generator: the same reviews as the task without that case."""
    plain = SentimentTask(p_long=0.0)
    reviews = plain.dataset(300, 4, "train")
    assert not any("verdict early" in r.tags for r in reviews)
    assert 0.1 < np.mean(["verdict early" in r.tags for r in TASK.dataset(1000, 4, "train")]) < 0.3


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

    model = lab.build_model("bag", 8, seed=0, freeze=True)
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
    model = lab.build_model("bag", 8, seed=1)
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
    model = lab.build_model(arch, 8, seed=2)
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
    model = lab.build_model("bag", 8, seed=4)
    review = TASK.dataset(1, 5, "train")[0]
    ids, tokens = VOCAB.encode(review.tokens), list(review.tokens)
    tr = model.trace(ids, tokens, TASK.class_names)
    votes = tr.votes[:, 1] - tr.votes[:, 0]  # (W_pos - W_neg) e_t / T
    assert np.allclose(gradient_x_input(model, ids, tokens).values, votes, atol=1e-5)
    assert np.allclose(integrated_gradients(model, ids, tokens, steps=8).values, votes, atol=1e-5)


def test_gradient_x_input_of_a_one_hot_reader_is_the_gradient_at_each_word():
    model = lab.build_model("gru", 8, seed=5)
    review = TASK.dataset(1, 6, "train")[0]
    ids = VOCAB.encode(review.tokens)
    x = torch.tensor([ids])
    u = input_vectors(model, x).requires_grad_(True)
    logits = model.read_out(model.hidden_states(x, u), x)
    (g,) = torch.autograd.grad(logits[0, 1] - logits[0, 0], u)
    expected = g[0, torch.arange(len(ids)), torch.tensor(ids)].numpy()
    assert np.allclose(gradient_x_input(model, ids, list(review.tokens)).values, expected, atol=1e-6)


# -- the shipped checkpoints -------------------------------------------------------------------------
@pytest.mark.parametrize("name", lab.NAMES)
def test_shipped_checkpoint_reproduces_its_recorded_metrics_on_a_subset(name):
    ckpt = lab.load(name)
    recipe = lab.RECIPES[name]
    assert ckpt.task == recipe.task and ckpt.meta["recipe"]["steps"] == recipe.steps
    reviews = recipe.test_reviews(recipe.subset_size)
    recorded = ckpt.meta["metrics"]["subset"]
    again = score(reviews, predict(ckpt.model, reviews, ckpt.vocab))
    assert again["accuracy"] == pytest.approx(recorded["accuracy"], abs=1e-4)
    assert again["confusion"] == recorded["confusion"]
    for ph, acc in recorded["per_phenomenon"].items():
        assert acc is None or again["per_phenomenon"][ph] == pytest.approx(acc, abs=1e-4)


def test_shipped_models_meet_the_lessons_targets():
    m = {name: lab.load(name).meta["metrics"] for name in lab.NAMES}
    for name in ("sentiment-lstm", "sentiment-bilstm"):
        assert m[name]["accuracy"] >= 0.95 and m[name]["per_phenomenon"]["negation"] >= 0.90
    bag = m["sentiment-bag"]["per_phenomenon"]
    assert bag["negation"] < 0.6 and bag["contrast"] < 0.7  # clearly weaker: the gap is the lesson
    assert bag["plain"] > 0.8  # (0.83: the long reviews' neutral words dilute the mean of a plain opinion)


def test_the_vanilla_rnn_trails_the_gated_cells_over_three_seeds():
    metas = {lab.LABELS[name]: lab.load(name).meta for name in lab.NAMES}
    for name in lab.NAMES:
        others = metas[lab.LABELS[name]].get("other_seeds", [])
        assert [o["seed"] for o in others] == ([] if name == "sentiment-bag" else list(lab.SEEDS[1:]))
    rows = lab.by_seed(metas)
    assert {r["model"] for r in rows} == {"Vanilla RNN", "LSTM", "GRU", "Bidirectional LSTM"}

    def mean(model):
        accs = [r["accuracy"] for r in rows if r["model"] == model and r["group"] == lab.GAP_GROUP]
        assert len(accs) == len(lab.SEEDS)
        return sum(accs) / len(accs)

    gated = (mean("LSTM") + mean("GRU") + mean("Bidirectional LSTM")) / 3
    assert gated - mean("Vanilla RNN") >= GAP and gated >= 0.9
    sentence = lab.gap_sentence(rows)
    assert "seed 2:" in sentence and f"by **{(gated - mean('Vanilla RNN')) * 100:.0f} points**" in sentence
    fig, table = figs.seeds_figure(rows)
    assert len(table) == 4 * 3 * 3 and len(fig.data) == 8  # a bar (mean) and the seeds' dots per model


def test_gap_sentence_and_rows_from_made_up_metrics():
    def meta(seed0, others):
        return {"seed": 0, "metrics": {"accuracy": 0.9, "per_phenomenon": {lab.GAP_GROUP: seed0}},
                "other_seeds": [{"seed": s, "accuracy": 0.9, "per_phenomenon": {lab.GAP_GROUP: a}} for s, a in others]}

    rows = lab.by_seed({"Vanilla RNN": meta(0.5, [(1, 0.6), (2, 0.7)]), "LSTM": meta(1.0, [(1, 1.0), (2, 0.97)]),
                        "Bag of embeddings": {"seed": 0, "metrics": {"accuracy": 0.6}}})
    assert {r["model"] for r in rows} == {"Vanilla RNN", "LSTM"} and len(rows) == 2 * 3 * 3
    text = lab.gap_sentence(rows)
    assert "the Vanilla RNN 60% (seed 0: 50%, seed 1: 60%, seed 2: 70%)" in text and "by **39 points**" in text
    assert lab.gap_sentence([]) == ""


def test_shipped_lstm_handles_not_good_and_the_bag_does_not():
    lstm, bag = lab.load("sentiment-lstm"), lab.load("sentiment-bag")
    probe = [Review(tuple(t.split()), 0, (), "probe") for t in
             ("the plot was good", "the plot was not good", "the plot was bad", "the plot was not bad at all")]
    p = predict(lstm.model, probe, lstm.vocab)[:, 1]
    assert p[0] > 0.9 and p[1] < 0.1 and p[2] < 0.1 and p[3] > 0.9
    q = predict(bag.model, probe, bag.vocab)[:, 1]
    assert (q[0] > 0.5) == (q[1] > 0.5)  # "not" cannot flip the bag's answer here


def test_a_corrupt_or_unknown_checkpoint_is_refused(tmp_path):
    with pytest.raises(CheckpointError, match="no shipped sentiment"):
        lab.load("sentiment-transformer")
    for suffix in (".safetensors", ".json"):
        (tmp_path / f"sentiment-lstm{suffix}").write_bytes((ASSETS / f"sentiment-lstm{suffix}").read_bytes())
    (tmp_path / "SHA256SUMS").write_text((ASSETS / "SHA256SUMS").read_text())
    lab.load("sentiment-lstm", tmp_path)
    (tmp_path / "sentiment-lstm.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="checksum"):
        lab.load("sentiment-lstm", tmp_path)


# -- figures ---------------------------------------------------------------------------------------
def test_figures_use_the_fixed_scales_label_words_and_return_their_numbers():
    tokens = ["the", "plot", "was", "not", "good"]
    probs = {"A": np.array([0.2, 0.8]), "B": np.array([0.9, 0.1])}
    fig, table = figs.predictions_figure(probs, TASK.class_names)
    assert list(fig.data[0].x) == [0.8, 0.1] and fig.data[0].marker.cmin == 0 and fig.data[0].marker.cmax == 1
    assert table["p(positive)"].tolist() == [0.8, 0.1] and table["prediction"].tolist() == ["positive", "negative"]
    hidden = np.linspace(-1, 1, 5 * 3).reshape(5, 3)
    fig, table = figs.reading_figure(tokens, {"A": np.linspace(0, 1, 5)}, hidden)
    heat = fig.data[-1]
    assert (heat.zmin, heat.zmax) == (-1, 1) and heat.z.shape == (3, 5)
    assert list(fig.layout.xaxis2.ticktext) == tokens
    assert table["word"].tolist() == tokens and np.allclose(table["h[2]"], hidden[:, 2])
    fig, table = figs.attribution_figure(tokens, {"A": np.array([0.1, -0.5, 0.2, 0.3, 0.0])})
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-1, 1) and fig.data[0].text[0].tolist() == tokens
    assert np.allclose(fig.data[0].z[0], [0.2, -1, 0.4, 0.6, 0]) and fig.data[0].customdata[0][1] == -0.5
    assert table["a_t, A"].tolist() == [0.1, -0.5, 0.2, 0.3, 0.0]  # the raw numbers, not the scaled colours
    acc = {"A": {"overall": 0.9, "negation": None}, "B": {"overall": 0.5, "negation": 0.2}}
    fig, table = figs.accuracy_figure(acc, {"overall": 10, "negation": 4})
    assert len(fig.data) == 2 and np.isnan(fig.data[0].y[1]) and fig.layout.barmode == "group"
    assert len(table) == 4 and table.loc[table["phenomenon"] == "negation", "reviews"].tolist() == [4, 4]
    fig, table = figs.confusion_figure({"A": [[3, 1], [0, 4]]}, TASK.class_names)
    assert np.allclose(fig.data[0].z, [[0.75, 0.25], [0, 1]])
    assert len(table) == 4 and table["reviews"].sum() == 8


def test_curve_completeness_and_mistakes_tables():
    reviews = TASK.dataset(40, 8, "test")
    probs = np.tile([[0.9, 0.1]], (40, 1))  # always "negative": every positive review is a mistake
    wrong = mistakes(reviews, probs)
    assert [r for r, _ in wrong] == [r for r in reviews if r.label == 1]
    contrast = mistakes(reviews, probs, "contrast")
    assert all("contrast" in r.tags for r, _ in contrast) and len(contrast) < len(wrong)
    table = figs.mistakes_table(wrong, TASK.class_names)
    assert len(table) == len(wrong) and set(table["true"]) == {"positive"} and (table["p(positive)"] == 0.1).all()
    assert figs.mistakes_table([], TASK.class_names).columns.tolist() == table.columns.tolist()
    checks = [{"step": s, **score(reviews, probs)} for s in (0, 100)]
    fig, table = figs.curve_figure(checks)
    assert table["step"].tolist() == [0, 100] and [t.name for t in fig.data] == ["overall", "negation", "contrast"]
    assert np.allclose(fig.data[0].y, checks[0]["accuracy"])
    model = lab.build_model("bag", 8, seed=3)
    ids, tokens = VOCAB.encode(reviews[0].tokens), list(reviews[0].tokens)
    atts = {"x": integrated_gradients(model, ids, tokens, steps=8)}
    row = figs.completeness_table(atts).iloc[0]
    assert row["sum of a_t"] == pytest.approx(float(atts["x"].values.sum())) and abs(row["sum - (F(u) - F(0))"]) < 1e-4


# -- the lab: traces, the learner's models, the accuracy table ------------------------------------------
@pytest.mark.parametrize("name", ["sentiment-bag", "sentiment-gru"])
def test_the_labs_trace_is_the_models_forward(name):
    ckpt = lab.load(name)
    tokens = ("i", "did", "not", "think", "the", "plot", "was", "good")
    tr = lab.LAB.trace(ckpt, tokens)
    p = predict(ckpt.model, [Review(tokens, 0, (), "typed")], ckpt.vocab)[0]
    assert np.allclose(tr.probs, p, atol=1e-6) and tr.tokens == list(tokens)
    assert np.allclose(tr.step_probs[-1], p, atol=1e-5)  # the reading ends at the model's answer
    assert lab.LAB.owns(name) and set(lab.LAB.builds) == set(lab.NAMES)


def test_a_learners_model_starts_from_its_settings_and_its_checkpoint_reopens():
    assert lab.own_label("lstm") == "Sentiment: LSTM"
    assert lab.own_label("bag", from_lab=True, freeze=True) == "Sentiment: Bag of embeddings (skip-gram, frozen)"
    run, note = lab.start_own("gru")
    assert note == "random" and run.model.cfg.cell == "gru" and run.model.cfg.hidden_size == 32
    for _ in run.train(3):
        pass
    assert run.step == 3
    check = lab.check(run.model, run.step, TASK.dataset(50, 1234, "test"))
    assert check["step"] == 3 and check["n"] == 50 and sum(map(sum, check["confusion"])) == 50
    meta = task_meta(TASK, "mine", "Trained in seqviz: Sentiment: GRU")
    again = parse_checkpoint(*checkpoint_bytes(run.model, {"name": "mine", **meta}))
    assert again.task == TASK and again.vocab.to_list() == VOCAB.to_list()
    x, _ = TASK.tensors(TASK.dataset(4, 0, "test"), VOCAB)
    assert again.model(x)[0].allclose(run.model(x)[0])


def test_a_bag_from_word_vectors_takes_their_width_and_rows():
    class Vectors:  # the shape of seqviz.wordvectors.WordVectors that start_own reads
        words = ("good", "bad")
        vectors = np.arange(10, dtype=np.float32).reshape(2, 5)

    run, note = lab.start_own("bag", freeze=True, vectors=Vectors())
    E = run.model.embedding.weight.detach().numpy()
    assert run.model.cfg.embed_dim == 5 and run.model.cfg.freeze
    assert np.array_equal(E[VOCAB.token_to_idx["bad"]], Vectors.vectors[1]) and note.startswith("skip-gram, 2 of ")


def test_accuracy_table_joins_recorded_metrics_and_a_learners_last_check():
    recorded = {"LSTM": lab.load("sentiment-lstm").meta["metrics"]}
    reviews = TASK.dataset(30, 1234, "test")
    own = {"Mine: GRU": {"step": 5, **score(reviews, np.tile([[0.2, 0.8]], (30, 1)))}}
    acc, counts = lab.accuracy_table(recorded, own)
    assert counts["overall"] == 2000 and counts["held-out template"] == 500 and counts["negation"] > 0
    assert acc["LSTM"]["overall"] == recorded["LSTM"]["accuracy"] and acc["LSTM"]["held-out template"] > 0
    assert acc["Mine: GRU"]["overall"] == own["Mine: GRU"]["accuracy"] and acc["Mine: GRU"]["held-out template"] is None
    assert list(acc["LSTM"]) == list(acc["Mine: GRU"]) == ["overall", *PHENOMENA, "held-out template"]


def test_the_explorers_first_input_for_a_sentiment_checkpoint_is_a_review():
    """Issue #17: an uploaded sentiment checkpoint opened with Review(tokens=...) as its text. A review's
    words are its `tokens` (and `text`); the explorer's default_text must read them."""
    from seqviz.explore import default_text

    ckpt = lab.load("sentiment-lstm")
    text = default_text(ckpt)
    assert "Review(" not in text and text == ckpt.task.sample(random.Random(0)).text
    assert ckpt.task.check_text(text, ckpt.vocab).error is None
