"""Training in small chunks, with no streamlit: one loop for every model.

Every model follows the contract `forward(x, targets) -> (logits, loss)`, so `train_steps` can
drive any of them. It is a generator: the caller (a page, the zoo, a benchmark) decides how often to
draw a chart or stop, and the model is updated in place after every step, so stopping early (a
widget touched mid-training) keeps every step already taken.

    run = TrainingRun.start(model, batches, lr=3e-3)
    for event in run.train(200):
        ...                                   # event.step, event.loss
    evaluate(model, x_test, y_test)           # {"loss", "step_accuracy", "sequence_accuracy"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

import torch
import torch.nn as nn

from seqviz.models.recurrent import IGNORE


@dataclass(frozen=True)
class TrainEvent:
    step: int  # total optimiser updates made so far in this run
    loss: float  # training loss of the batch just used
    grad_norm: float  # gradient norm before clipping


def train_steps(model: nn.Module, optimizer: torch.optim.Optimizer,
                batches: Iterator[tuple[torch.Tensor, torch.Tensor]], n: int,
                grad_clip: float = 1.0, start_step: int = 0) -> Iterator[TrainEvent]:
    """Take n optimiser steps, yielding after each one."""
    model.train()
    try:
        for i in range(n):
            x, y = next(batches)
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            optimizer.step()
            yield TrainEvent(start_step + i + 1, loss.item(), norm.item())
    finally:
        model.eval()


@dataclass
class TrainingRun:
    """A model in training and everything needed to continue it: lives in one session only."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    batches: Iterator[tuple[torch.Tensor, torch.Tensor]]
    origin: str  # "scratch" or the checkpoint name it started from
    grad_clip: float = 1.0
    history: list[TrainEvent] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)  # last evaluation on held-out data

    @classmethod
    def start(cls, model: nn.Module, batches, lr: float, origin: str = "scratch",
              grad_clip: float = 1.0) -> "TrainingRun":
        model.eval()
        return cls(model, torch.optim.Adam(model.parameters(), lr=lr), batches, origin, grad_clip)

    @property
    def step(self) -> int:
        return self.history[-1].step if self.history else 0

    def train(self, n: int) -> Iterator[TrainEvent]:
        """n more steps; each event is recorded before it is yielded, so an interruption loses nothing."""
        for event in train_steps(self.model, self.optimizer, self.batches, n, self.grad_clip, self.step):
            self.history.append(event)
            yield event


@torch.no_grad()
def evaluate(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
    """Loss and accuracy on held-out data: y (B,) one class per text -> "accuracy"; y (B, T) one
    class per step (IGNORE on padding) -> "step_accuracy" and "sequence_accuracy" (every step right)."""
    model.eval()
    logits, loss = model(x, y)
    pred = logits.argmax(-1)  # (B,) or (B, T)
    if y.dim() == 1:
        return {"loss": float(loss), "accuracy": float((pred == y).float().mean())}
    real = y != IGNORE  # (B, T)
    correct = (pred == y) & real
    seq_ok = (correct | ~real).all(dim=1)  # every real position right
    return {
        "loss": float(loss),
        "step_accuracy": float(correct.sum() / real.sum()),
        "sequence_accuracy": float(seq_ok.float().mean()),
    }
