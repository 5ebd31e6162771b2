"""The sentiment lab: a bag of embeddings against RNN, LSTM, GRU and BiLSTM on reviews with negation and contrast.

Shipped checkpoints (`python -m seqviz.zoo build sentiment-lstm`, or -bag, -rnn, -gru, -bilstm): every recipe
trains from random initialisation (no dependency on the embeddings lab), on one thread, from its seed, on the
SentimentTask training split, then records in the checkpoint's JSON the test accuracy overall and per
phenomenon, the confusion matrix, the accuracy on the held-out template ("i never found the N ADJ", never seen
in training), and the same figures on the first `subset_size` test reviews, which a fast test recomputes.
A recurrent recipe is also trained from seeds 1 and 2 (SEEDS) and their metrics are recorded beside seed 0's
("other_seeds"): on reviews with the verdict early the vanilla RNN trails the gated cells, over every seed.

    ckpt = LAB.load("sentiment-lstm", ASSETS)      # checksum-verified, validated Checkpoint
    trace(ckpt, ("not", "bad"))                     # its BagTrace / RecurrentTrace (LAB.trace)
    RECIPES["sentiment-lstm"].test_reviews()
    by_seed({"LSTM": ckpt.meta})                    # its accuracy per seed on the groups that part the cells
    run, note = start_own("lstm")                   # a learner's model, ready to train (seqviz.ui.training)
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import torch

from seqviz.checkpoints import Checkpoint, CheckpointError
from seqviz.labs.base import Lab, PageSpec
from seqviz.models.bag import BagConfig, BagOfEmbeddings, init_from_vectors
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet, remember_by_default
from seqviz.shipped import ASSETS, Build, load_verified, train_and_save
from seqviz.tasks.sentiment import PHENOMENA, Review, SentimentTask, predict, score
from seqviz.training import TrainingRun

TASK = SentimentTask()
ARCHS = {  # arch -> (label, cell, bidirectional); "bag" has no cell
    "bag": ("Bag of embeddings", None, False),
    "rnn": ("Vanilla RNN", "rnn", False),
    "lstm": ("LSTM", "lstm", False),
    "gru": ("GRU", "gru", False),
    "bilstm": ("Bidirectional LSTM", "lstm", True),
}
READERS = ("rnn", "lstm", "gru")  # one direction: an answer after every word (the reading view)


@dataclass(frozen=True)
class SentimentRecipe:
    name: str
    description: str
    arch: str  # a key of ARCHS
    size: int  # hidden_size H of a recurrent net; embed_dim D of the bag
    seed: int  # seeds the initial weights and the training stream
    steps: int
    lr: float
    batch_size: int
    test_seed: int  # the test split's reviews are drawn from this seed (never trained on: split by hash)
    test_size: int
    held_out_size: int = 500  # reviews from the held-out template
    subset_size: int = 300  # the first test reviews, whose metrics a fast test recomputes
    gate_bias: float = 1.0  # LSTM forget / GRU update gate bias at initialisation (recurrent only)
    task: SentimentTask = TASK

    def build_model(self) -> torch.nn.Module:
        return build_model(self.arch, self.size, self.seed, self.gate_bias, self.task)

    def training_batches(self, seed_offset: int = 0):
        return self.task.batches(self.seed + 1 + seed_offset, self.batch_size, self.task.vocab())

    def test_reviews(self, n: int | None = None) -> list[Review]:
        return self.task.dataset(self.test_size if n is None else n, self.test_seed, "test")

    def held_out_reviews(self) -> list[Review]:
        return self.task.dataset(self.held_out_size, self.test_seed, "held-out")

    def evaluate(self, model) -> dict:
        vocab, test = self.task.vocab(), self.test_reviews()
        probs = predict(model, test, vocab)
        held = self.held_out_reviews()
        return {**score(test, probs),
                "held_out_template": score(held, predict(model, held, vocab))["accuracy"],
                "subset": score(test[: self.subset_size], probs[: self.subset_size])}


def build_model(arch: str, size: int, seed: int, gate_bias: float = 1.0, task: SentimentTask = TASK,
                freeze: bool = False) -> torch.nn.Module:
    """A fresh, seeded model of one of ARCHS for the sentiment task (a learner's model too)."""
    torch.manual_seed(seed)
    V = len(task.vocab())
    if arch == "bag":
        return BagOfEmbeddings(BagConfig(V, task.num_classes, size, freeze))
    _, cell, bi = ARCHS[arch]
    model = RecurrentNet(RecurrentConfig(V, task.num_classes, cell, size, bidirectional=bi, output="last"))
    return remember_by_default(model, gate_bias) if gate_bias and cell != "rnn" else model


RECIPES = {
    r.name: r
    for r in [
        SentimentRecipe(
            name=f"sentiment-{arch}",
            description=(f"{label} ({'16-number word vectors, mean, linear' if arch == 'bag' else '32 units'}) "
                         "that reads a film review and says negative or positive."),
            arch=arch, size=16 if arch == "bag" else 32, seed=0, steps=600, lr=1e-2, batch_size=64,
            test_seed=1234, test_size=2000,
        )
        for arch, (label, _, _) in ARCHS.items()
    ]
}
NAMES = list(RECIPES)
LABELS = {name: ARCHS[r.arch][0] for name, r in RECIPES.items()}  # shipped name -> the page's label


def load(name: str, directory: Path = ASSETS) -> Checkpoint:
    """A shipped sentiment checkpoint, checksum-verified and fully validated (CheckpointError otherwise)."""
    if name not in RECIPES:
        raise CheckpointError(f"There is no shipped sentiment checkpoint called {name!r}.")
    return load_verified(name, directory)


SEEDS = (0, 1, 2)  # a recurrent recipe is also trained from seeds 1 and 2; its checkpoint ships seed 0


def build(name: str, directory: Path = ASSETS, log=print) -> dict:
    """Train a recipe from scratch and write its checkpoint and checksums into `directory`. A recurrent
    recipe first trains from the other SEEDS (weights and training stream) and records their metrics
    beside its own, so the page can say how far the cells differ and how much of it is luck."""
    recipe = RECIPES[name]
    others = []
    if recipe.arch != "bag":
        for seed in SEEDS[1:]:
            other = dataclasses.replace(recipe, seed=seed)
            torch.set_num_threads(1)
            run = TrainingRun.start(other.build_model(), other.training_batches(), lr=other.lr)
            for _ in run.train(other.steps):
                pass
            metrics = other.evaluate(run.model)
            others.append({"seed": seed, **{k: metrics[k] for k in ("accuracy", "per_phenomenon", "held_out_template")}})
            log(f"{name}: seed {seed}: accuracy {metrics['accuracy']}, {metrics['per_phenomenon']}")
    return train_and_save(name, recipe, directory, log, recipe.evaluate, 200, {"other_seeds": others})


GAP_GROUP = "verdict early"  # where the cells part: the answer carried across 20-30 neutral words


def by_seed(metas: dict[str, dict], groups=(GAP_GROUP, "distant negation", "overall")) -> list[dict]:
    """Rows {model, seed, group, accuracy} of every checkpoint (label -> its JSON meta) measured over SEEDS:
    its own test metrics (seed 0) and those of the other seeds recorded beside them. The bag has none."""
    rows = []
    for label, meta in metas.items():
        runs = [{"seed": meta.get("seed", 0), **meta.get("metrics", {})}, *meta.get("other_seeds", [])]
        for run in runs if len(runs) > 1 else []:
            for g in groups:
                acc = run.get("accuracy") if g == "overall" else run.get("per_phenomenon", {}).get(g)
                rows.append({"model": label, "seed": run["seed"], "group": g, "accuracy": acc})
    return rows


def gap_sentence(rows: list[dict], group: str = GAP_GROUP) -> str:
    """One sentence: each model's mean accuracy on `group` over its seeds (every seed listed), and how far
    the vanilla RNN trails the mean of the gated cells."""
    accs: dict[str, list[tuple[int, float]]] = {}
    for r in rows:
        if r["group"] == group and r["accuracy"] is not None:
            accs.setdefault(r["model"], []).append((r["seed"], r["accuracy"]))
    if not accs:
        return ""
    means = {k: sum(a for _, a in v) / len(v) for k, v in accs.items()}
    parts = [f"the {k} {means[k]:.0%} (" + ", ".join(f"seed {s}: {a:.0%}" for s, a in sorted(v)) + ")"
             for k, v in accs.items()]
    rnn, gated = ARCHS["rnn"][0], [k for k in means if k != ARCHS["rnn"][0]]
    text = f"On the test reviews with the verdict early, mean accuracy over {len(SEEDS)} seeds: " + "; ".join(parts) + "."
    if rnn in means and gated:
        gap = sum(means[k] for k in gated) / len(gated) - means[rnn]
        text += f" The vanilla RNN trails the gated cells by **{gap * 100:.0f} points**."
    return text


# -- traces: a shipped checkpoint's (LAB.trace, cached by the app) or a learner's model ----------------
def read(model, tokens: tuple[str, ...] | list[str]):
    """The BagTrace or RecurrentTrace of any sentiment model on tokens the task has checked."""
    return model.trace(TASK.vocab().encode(tokens), list(tokens), TASK.class_names)


def trace(ckpt: Checkpoint, tokens: tuple[str, ...]):
    return read(ckpt.model, tokens)


# -- the learner's own models ----------------------------------------------------------------------
OWN_LR, OWN_BATCH, OWN_SEED = 1e-2, 64, 100  # the shipped recipe's optimiser settings; a seed of their own
CHECK_REVIEWS = 600  # test reviews a learner's model is scored on after each chunk
INITS = ("random", "from the embeddings lab (skip-gram)")


def own_label(arch: str, from_lab: bool = False, freeze: bool = False) -> str:
    """The store's label of the learner's model with these settings: one model per choice."""
    extras = [e for e, on in (("skip-gram", from_lab), ("frozen", freeze)) if on]
    return f"Sentiment: {ARCHS[arch][0]}" + (f" ({', '.join(extras)})" if extras else "")


def start_own(arch: str, freeze: bool = False, vectors=None) -> tuple[TrainingRun, str]:
    """A learner's model of `arch` ready to train (freeze and vectors: the bag only), and where its word
    vectors come from: "random", or how many of the vocabulary the lab's vectors (WordVectors) cover."""
    bag = arch == "bag"
    size = int(vectors.vectors.shape[1]) if bag and vectors is not None else (16 if bag else 32)
    model = build_model(arch, size, seed=0, freeze=freeze and bag)
    vocab, note = TASK.vocab(), "random"
    if bag and vectors is not None:
        missing = init_from_vectors(model, vocab.idx_to_token, vectors.words, vectors.vectors)
        note = f"skip-gram, {len(vocab) - 2 - len(missing)} of {len(vocab) - 2} words found"
    return TrainingRun.start(model, TASK.batches(OWN_SEED, OWN_BATCH, vocab), lr=OWN_LR), note


def check(model, step: int, reviews: list[Review]) -> dict:
    """A learner's model scored on `reviews` (the first CHECK_REVIEWS test reviews) after `step` steps."""
    return {"step": step, **score(reviews, predict(model, reviews, TASK.vocab()))}


def accuracy_table(recorded: dict[str, dict], own: dict[str, dict]) -> tuple[dict, dict]:
    """(label -> {group: accuracy}, group -> how many reviews) for the accuracy figure: the shipped models'
    recorded metrics (label -> checkpoint metrics) and the learner's last checks (label -> check)."""
    first = next(iter(recorded.values()), {})
    counts = {"overall": first.get("n", 0), **first.get("counts", {}),
              "held-out template": RECIPES[NAMES[0]].held_out_size}
    acc = {label: {"overall": m.get("accuracy"), **{ph: m.get("per_phenomenon", {}).get(ph) for ph in PHENOMENA},
                   "held-out template": m.get("held_out_template")} for label, m in recorded.items()}
    for label, last in own.items():
        acc[label] = {"overall": last["accuracy"], **{ph: last["per_phenomenon"][ph] for ph in PHENOMENA},
                      "held-out template": None}
    return acc, counts


LAB = Lab(
    name="sentiment",
    title="Sentiment",
    pages=(
        PageSpec("pages/sentiment_word_order.py", "Sentiment: word order", ":material/sentiment_satisfied:", "sentiment",
                 "A bag of embeddings against RNN, LSTM, GRU and BiLSTM on reviews with negation and contrast: reading, attribution, mistakes."),
    ),
    builds=MappingProxyType({name: Build(r.description, lambda d, log, name=name: build(name, d, log))
                             for name, r in RECIPES.items()}),
    load=load,
    trace=trace,
)
