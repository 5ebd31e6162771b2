"""The transformer topic's shipped checkpoint: an encoder-decoder transformer for the toy translation
pair, trained on exactly the task, training stream and test split of `translation-attention`, so the
transformer page can set the two side by side.

    python -m seqviz.zoo build translation-transformer    # ~2-4 minutes on one thread

The JSON records the recipe, the seed, the parameter count, the training wall time and the metrics of
`evaluate_transformer_translation` (exact match overall and by source length, token accuracy, loss)
on the whole test split and on its first `subset_size` sentences, the part a fast test recomputes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from seqviz import zoo
from seqviz.checkpoints import Checkpoint, CheckpointError, load_checkpoint
from seqviz.models.transformer import (TransformerSeq2Seq, TransformerSeq2SeqConfig,
                                       evaluate_transformer_translation, parameter_count)
from seqviz.tasks import TranslationTask

NAME = "translation-transformer"
RNN_NAME = "translation-attention"  # the RNN with attention it is compared with


@dataclass(frozen=True)
class TransformerTranslationRecipe:
    name: str
    description: str
    seed: int  # seeds the initial weights; the training stream is seed + 1, as the RNN recipes
    steps: int
    lr: float
    batch_size: int
    test_seed: int  # the test split's sentences are drawn from this seed (never trained on: split by hash)
    test_size: int
    d_model: int
    n_head: int
    n_layers: int  # encoder layers = decoder layers
    d_ff: int
    positional: str  # "sinusoidal" or "learned"
    subset_size: int = 200  # the first test sentences, whose metrics a fast test recomputes
    task: TranslationTask = TranslationTask()

    def config(self) -> TransformerSeq2SeqConfig:
        return TransformerSeq2SeqConfig(len(self.task.vocab()), len(self.task.target_vocab()), self.d_model,
                                        self.n_head, self.n_layers, self.n_layers, self.d_ff, positional=self.positional)

    def build_model(self) -> TransformerSeq2Seq:
        torch.manual_seed(self.seed)
        return TransformerSeq2Seq(self.config())

    def training_batches(self, seed_offset: int = 0):
        return self.task.batches(self.seed + 1 + seed_offset, self.batch_size, self.task.vocab(), self.task.target_vocab())

    def test_pairs(self, n: int | None = None) -> list:
        return self.task.dataset(self.test_size if n is None else n, self.test_seed, split="test")

    def evaluate(self, model: TransformerSeq2Seq, n: int | None = None, ablate=()) -> dict:
        return evaluate_transformer_translation(model, self.test_pairs(n), self.task.vocab(), self.task.target_vocab(),
                                                ablate=ablate)


RECIPE = TransformerTranslationRecipe(
    name=NAME,
    description="Encoder-decoder transformer (2+2 layers, 4 heads, d_model 64, sinusoidal positions) for the toy English -> French pair.",
    seed=0, steps=3000, lr=1e-3, batch_size=64, test_seed=1234, test_size=3000,
    d_model=64, n_head=4, n_layers=2, d_ff=128, positional="sinusoidal",
)


def build(directory: Path = zoo.ASSETS, log=print) -> dict:
    """Train the recipe from its seed on one thread and write the checkpoint and its checksums."""
    recipe = RECIPE

    def evaluate_model(model):
        return {**recipe.evaluate(model), "subset": recipe.evaluate(model, recipe.subset_size),
                "parameters": parameter_count(model)}

    return zoo._train_and_save(NAME, recipe, directory, log, evaluate_model, 250,
                               {"target_vocab": recipe.task.target_vocab().to_list(),
                                "parameters": parameter_count(recipe.build_model())})


def load(name: str = NAME, directory: Path = zoo.ASSETS) -> Checkpoint:
    """The shipped checkpoint, checksum-verified and fully validated (CheckpointError otherwise)."""
    if name != NAME:
        raise CheckpointError(f"There is no shipped transformer checkpoint called {name!r}.")
    zoo.verify_files(name, directory)
    return load_checkpoint(directory, name)


BUILDS = {NAME: zoo.TopicBuild(RECIPE.description, build)}
