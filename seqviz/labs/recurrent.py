"""The recurrent lab: vanilla RNN, LSTM and GRU gates, vanishing gradients, bidirectional RNNs, train and compare.

Shipped checkpoints (one recipe each, fully seeded, one thread; `python -m seqviz.zoo build NAME`):
rnn-brackets (bracket depth), recall-{rnn,lstm,gru,bilstm} (remember the first of 8 symbols after 45
distractors) and future-{rnn,lstm,gru,bilstm} (is there an x later in the text?). The recipe, seed and the
metric reached on its held-out set are written into each checkpoint's JSON; a test recomputes the metric.
One more shipped file: recall-lag-sweep (accuracy against lag of RNN, LSTM and GRU after 800 steps, built by
seqviz.compare.build_sweep in about two minutes on one thread), loaded as a seqviz.compare.Sweep.

The learner's own models (pages rnn_basics and rnn_compare) start from `start_bracket_run` and
seqviz.compare.Comparison; `task_of(meta)` gives back the task a learner's model was trained on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import torch

from seqviz.labs.base import Lab, PageSpec
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet, remember_by_default
from seqviz.shipped import ASSETS, Build, load_verified, train_and_save
from seqviz.tasks import TASKS, BracketTask, FutureTask, RecallTask
from seqviz.training import TrainingRun, evaluate


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    task: BracketTask | RecallTask | FutureTask
    hidden_size: int
    seed: int  # seeds the initial weights and the training stream
    steps: int
    lr: float
    batch_size: int
    test_seed: int  # the held-out set is generated from this seed, never used in training
    test_size: int
    cell: str = "rnn"  # "rnn", "lstm" or "gru"
    bidirectional: bool = False
    gate_bias: float = 0.0  # LSTM forget / GRU update gate bias at initialisation; 0 keeps PyTorch's init

    def build_model(self) -> RecurrentNet:
        torch.manual_seed(self.seed)
        vocab = self.task.vocab()
        model = RecurrentNet(RecurrentConfig(len(vocab), self.task.num_classes, self.cell, self.hidden_size,
                                             bidirectional=self.bidirectional, output=self.task.output))
        return remember_by_default(model, self.gate_bias) if self.gate_bias else model

    def training_batches(self, seed_offset: int = 0):
        return self.task.batches(self.seed + 1 + seed_offset, self.batch_size, self.task.vocab())

    def test_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.task.tensors(self.task.dataset(self.test_size, self.test_seed), self.task.vocab())


RECURRENT_ARCHS = [  # (name suffix, label, cell, bidirectional)
    ("rnn", "Vanilla RNN", "rnn", False),
    ("lstm", "LSTM", "lstm", False),
    ("gru", "GRU", "gru", False),
    ("bilstm", "Bidirectional LSTM", "lstm", True),
]

RECIPES = {
    r.name: r
    for r in [
        Recipe(
            name="rnn-brackets",
            description="Vanilla RNN (16 tanh units) that tracks bracket depth 0-4 while reading text.",
            task=BracketTask(), hidden_size=16, seed=0, steps=2000, lr=3e-3, batch_size=64,
            test_seed=1234, test_size=1000,
        ),
        *[
            Recipe(
                name=f"recall-{arch}",
                description=f"{label} (32 units) that must name the first of 8 symbols after 45 distractors.",
                task=RecallTask(lag=45), hidden_size=32, seed=0, steps=1500, lr=3e-3, batch_size=64,
                test_seed=1234, test_size=500, cell=cell, bidirectional=bi, gate_bias=3.0 if cell != "rnn" else 0.0,
            )
            for arch, label, cell, bi in RECURRENT_ARCHS
        ],
        *[
            Recipe(
                name=f"future-{arch}",
                description=f"{label} (16 units) that tags each letter: is there an x later in the text?",
                task=FutureTask(), hidden_size=16, seed=0, steps=600, lr=1e-2, batch_size=64,
                test_seed=1234, test_size=500, cell=cell, bidirectional=bi,
            )
            for arch, label, cell, bi in RECURRENT_ARCHS
        ],
    ]
}


SWEEP = "recall-lag-sweep"  # the shipped accuracy-against-lag sweep (assets/recall-lag-sweep.json)


def build(name: str, directory: Path = ASSETS, log=print) -> dict:
    """Train a recipe from scratch and write its checkpoint and checksums into `directory`."""
    recipe = RECIPES[name]
    return train_and_save(name, recipe, directory, log, lambda model: evaluate(model, *recipe.test_data()), 500, {})


def trace(ckpt, text: str, intervention=None):
    """The RecurrentTrace of a checkpoint on a text its task has already checked (one character a token)."""
    tokens = list(text)
    return ckpt.model.trace(ckpt.vocab.encode(tokens), tokens, ckpt.task.class_names, intervention)


def build_sweep(directory: Path = ASSETS, log=print) -> dict:
    """Train the shipped lag sweep (one thread, about two minutes) and record its checksum."""
    from seqviz import compare
    from seqviz.shipped import record_checksums

    path = directory / compare.SWEEP_FILE
    sweep = compare.build_sweep(path, log=log)
    record_checksums([path], directory)
    return {"points": len(sweep.points), "seconds": round(sweep.seconds, 1)}


def load(name: str, directory: Path = ASSETS):
    """A shipped checkpoint (seqviz.checkpoints.Checkpoint) or the lag sweep (seqviz.compare.Sweep), verified."""
    if name == SWEEP:
        from seqviz import compare

        return compare.load_shipped_sweep(directory)
    return load_verified(name, directory)


def task_of(meta: dict):
    """The task a learner's model was trained on, from the meta its store entry carries (task_meta's "task")."""
    return TASKS[meta["task"]["name"]](**meta["task"]["params"])


def start_bracket_run(shipped: RecurrentNet, origin: str, seed: int, lr: float) -> TrainingRun:
    """A learner's bracket-depth RNN: fresh weights from `seed` like the shipped one's shape, or a copy of
    the shipped model (never the shared, cached one itself); trained on the task's stream from seed + 1."""
    from seqviz.models.recurrent import copy_model

    task = RECIPES["rnn-brackets"].task
    cfg = shipped.cfg
    if origin == "random weights":
        torch.manual_seed(int(seed))
        model = RecurrentNet(RecurrentConfig(cfg.vocab_size, cfg.num_classes, "rnn", cfg.hidden_size))
    else:
        model = copy_model(shipped)
    return TrainingRun.start(model, task.batches(int(seed) + 1, 64, task.vocab()), lr=lr, origin=origin)


LAB = Lab(
    name="recurrent",
    title="Recurrent networks",
    pages=(
        PageSpec("pages/rnn_basics.py", "Vanilla RNN", ":material/replay:", "rnn",
                 "A tanh RNN that counts open brackets: every term of its update, step by step, and training live."),
        PageSpec("pages/rnn_gates.py", "LSTM and GRU gates", ":material/tune:", "gates",
                 "Every gate, the cell state and the hidden state of an LSTM and a GRU that remember a symbol; force gates and find units."),
        PageSpec("pages/rnn_gradients.py", "Vanishing gradients", ":material/trending_down:", "gradients",
                 "How far back the gradient reaches in an RNN, an LSTM and a GRU, and why: the product of Jacobians."),
        PageSpec("pages/rnn_bidirectional.py", "Bidirectional RNN", ":material/swap_horiz:", "bidirectional",
                 "Two cells read in opposite directions: a task that needs the future, solved only by reading backwards too."),
        PageSpec("pages/rnn_compare.py", "Train and compare", ":material/compare_arrows:", "compare",
                 "Train RNN, LSTM and GRU side by side on the same data and watch accuracy fall with the lag."),
    ),
    builds=MappingProxyType({
        **{name: Build(r.description, lambda d, log, name=name: build(name, d, log)) for name, r in RECIPES.items()},
        SWEEP: Build("Accuracy against lag of RNN, LSTM and GRU (recall task, 800 steps at each of 6 lags).",
                     lambda d, log: build_sweep(d, log)),
    }),
    load=load,
    trace=trace,
)
