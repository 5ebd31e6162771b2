"""The sentiment lesson's shipped checkpoints: a bag of embeddings and four recurrent classifiers.

    python -m seqviz.zoo build sentiment-lstm     # or sentiment-bag, -rnn, -gru, -bilstm
    python -m seqviz.zoo build all

Every recipe trains from random initialisation (no dependency on the embeddings lab), on one thread,
from its seed, on the SentimentTask training split, then records in the checkpoint's JSON the test
accuracy overall and per phenomenon, the confusion matrix, the accuracy on the held-out template
("i never found the N ADJ", never seen in training), and the same figures on the first
`subset_size` test reviews, which a fast test recomputes from the shipped file.

    ckpt = load("sentiment-lstm")             # checksum-verified, validated Checkpoint
    SENTIMENT_RECIPES["sentiment-lstm"].test_reviews()
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import torch

from seqviz import zoo
from seqviz.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from seqviz.models.bag import BagConfig, BagOfEmbeddings
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet, remember_by_default
from seqviz.tasks.sentiment import Review, SentimentTask, predict, score

ARCHS = {  # arch -> (label, cell, bidirectional); "bag" has no cell
    "bag": ("Bag of embeddings", None, False),
    "rnn": ("Vanilla RNN", "rnn", False),
    "lstm": ("LSTM", "lstm", False),
    "gru": ("GRU", "gru", False),
    "bilstm": ("Bidirectional LSTM", "lstm", True),
}


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
    task: SentimentTask = SentimentTask()

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


def build_model(arch: str, size: int, seed: int, gate_bias: float = 1.0, task: SentimentTask = SentimentTask(),
                freeze: bool = False) -> torch.nn.Module:
    """A fresh, seeded model of one of ARCHS for the sentiment task (the page's live training uses it too)."""
    torch.manual_seed(seed)
    V = len(task.vocab())
    if arch == "bag":
        return BagOfEmbeddings(BagConfig(V, task.num_classes, size, freeze))
    _, cell, bi = ARCHS[arch]
    model = RecurrentNet(RecurrentConfig(V, task.num_classes, cell, size, bidirectional=bi, output="last"))
    return remember_by_default(model, gate_bias) if gate_bias and cell != "rnn" else model


SENTIMENT_RECIPES = {
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
NAMES = list(SENTIMENT_RECIPES)


def load(name: str, directory: Path = zoo.ASSETS) -> Checkpoint:
    """A shipped sentiment checkpoint, checksum-verified and fully validated (CheckpointError otherwise)."""
    if name not in SENTIMENT_RECIPES:
        raise CheckpointError(f"There is no shipped sentiment checkpoint called {name!r}.")
    zoo.verify_files(name, directory)
    return load_checkpoint(directory, name)


def _builder(name: str):
    recipe = SENTIMENT_RECIPES[name]
    return zoo.TopicBuild(recipe.description,
                          lambda directory, log: zoo._train_and_save(name, recipe, directory, log, recipe.evaluate, 200, {}))


BUILDS = {name: _builder(name) for name in SENTIMENT_RECIPES}
RECIPE_FIELDS = [f.name for f in dataclasses.fields(SentimentRecipe)]
