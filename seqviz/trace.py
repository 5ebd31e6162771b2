"""Traces: what a model computed on one input, as plain numpy arrays a page can draw.

A trace is frozen and holds no tensors and no reference to the model, so it can be cached and
shared between sessions. Shapes are given without the batch axis; letters as in DESIGN.md
(T time, H hidden, C classes, V vocabulary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class RecurrentTrace:
    tokens: list[str]  # (T,)           the input, one token per step
    hidden: np.ndarray  # (T, H)         h_t after each step
    h0: np.ndarray  # (H,)               the initial state h_0
    terms: dict[str, np.ndarray]  # name -> (T, H): every term of the cell equation, in order
    logits: np.ndarray  # (T, C)         output scores after each step
    probs: np.ndarray  # (T, C)          softmax(logits), each row sums to 1
    class_names: list[str]  # (C,)
    cell: np.ndarray | None = None  # (T, H)    c_t, LSTM only
    gates: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (T, H): LSTM i f g o, GRU r z n

    @property
    def h_prev(self) -> np.ndarray:
        """(T, H): h_{t-1} for every step t, i.e. h_0 followed by all but the last hidden state."""
        return np.vstack([self.h0[None, :], self.hidden[:-1]])

    @property
    def predictions(self) -> list[str]:
        return [self.class_names[i] for i in self.probs.argmax(axis=1)]
