"""Traces: what a model computed on one input, as plain numpy arrays a page can draw.

A trace is frozen and holds no tensors and no reference to the model, so it can be cached and
shared between sessions. Shapes are given without the batch axis; letters as in DESIGN.md
(T time, H hidden, C classes). Everything is in time order, also for a right-to-left cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class CellTrace:
    """One recurrent cell (one layer, one direction) over a whole input."""

    hidden: np.ndarray  # (T, H)        h_t after each step
    h0: np.ndarray  # (H,)              the initial state, zeros
    cell: np.ndarray | None  # (T, H)    c_t, LSTM only
    gate_names: tuple[str, ...]  # (k,)  LSTM i f g o, GRU r z n; vanilla RNN ("a",): a_t, before tanh
    gate_values: np.ndarray  # (T, kH)  every gate's value, blocks in gate_names order
    parts: np.ndarray  # (4, T, kH)      W_i x_t, b_i, W_h h_{t-1}, b_h: the terms of every gate block
    reverse: bool  # True for the right-to-left cell of a bidirectional layer

    @property
    def gates(self) -> dict[str, np.ndarray]:
        """name -> (T, H) values (views into gate_values)."""
        H = self.hidden.shape[1]
        return {n: self.gate_values[:, k * H:(k + 1) * H] for k, n in enumerate(self.gate_names)}

    @property
    def terms(self) -> dict[str, dict[str, np.ndarray]]:
        """gate -> {"Wx": W_i x_t, "bx": b_i, "Wh": W_h h_{t-1}, "bh": b_h}, each (T, H)."""
        H = self.hidden.shape[1]
        return {n: dict(zip(("Wx", "bx", "Wh", "bh"), self.parts[:, :, k * H:(k + 1) * H]))
                for k, n in enumerate(self.gate_names)}

    @property
    def h_prev(self) -> np.ndarray:
        """(T, H): the state each step started from (h_{t-1}; h_{t+1} for a right-to-left cell)."""
        if self.reverse:
            return np.vstack([self.hidden[1:], self.h0[None, :]])
        return np.vstack([self.h0[None, :], self.hidden[:-1]])


    def equation(self, gate: str) -> dict[str, np.ndarray]:
        """One gate's pre-activation as the terms added in its equation, then their sum, each (T, H).

        Vanilla RNN ("a"): W_xh x_t + b_xh + W_hh h_{t-1} + b_hh = a_t. LSTM/GRU gate k:
        W_ik x_t + b_ik + W_hk h_{t-1} + b_hk; for the GRU's n the last two are scaled by r_t first.
        """
        p = self.terms[gate]
        prev = "h_{t+1}" if self.reverse else "h_{t-1}"
        if gate == "a":
            names = ("W_xh x_t", "b_xh", f"W_hh {prev}", "b_hh", "a_t")
        else:
            names = (f"W_i{gate} x_t", f"b_i{gate}", f"W_h{gate} {prev}", f"b_h{gate}", f"pre_{gate}")
        scale = self.gates["r"] if gate == "n" and "r" in self.gates else 1.0  # GRU: r_t ⊙ (W_hn h + b_hn)
        total = p["Wx"] + p["bx"] + scale * (p["Wh"] + p["bh"])
        return dict(zip(names, (p["Wx"], p["bx"], p["Wh"], p["bh"], total)))


@dataclass(frozen=True)
class RecurrentTrace:
    tokens: list[str]  # (T,)
    cell_type: str  # "rnn", "lstm" or "gru"
    layers: list[list[CellTrace]]  # [layer][direction]: direction 0 left to right, 1 right to left
    output: np.ndarray  # (T, H·dirs)   top layer's [h→; h←], what the read-out sees
    logits: np.ndarray  # (T, C) per step ("tag"), or (C,) per sequence ("last")
    probs: np.ndarray  # softmax(logits) along the last axis
    step_probs: np.ndarray | None  # (T, C) the answer if the text ended at t ("last", one direction only)
    class_names: list[str]  # (C,)

    @property
    def first(self) -> CellTrace:
        """The first layer's left-to-right cell: all a single-layer lesson needs."""
        return self.layers[0][0]

    @property
    def hidden(self) -> np.ndarray:
        return self.first.hidden

    @property
    def predictions(self) -> list[str]:
        return [self.class_names[i] for i in np.atleast_2d(self.probs).argmax(axis=1)]
