"""Analysis of traces: projections and other summaries a figure needs. No streamlit."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PCABasis:
    """Principal axes fitted once on reference rows, so every later input is drawn in the same frame."""

    mean: np.ndarray  # (D,) mean of the reference rows
    components: np.ndarray  # (k, D) unit principal axes, largest variance first
    explained: np.ndarray  # (k,) share of the reference variance along each axis, in [0, 1]

    def project(self, rows: np.ndarray) -> np.ndarray:
        """(N, D) -> (N, k) coordinates along the principal axes."""
        return (np.asarray(rows, dtype=np.float64) - self.mean) @ self.components.T


def fit_pca(rows: np.ndarray, k: int = 2) -> PCABasis:
    """PCA by SVD of the centred rows (N, D): X - mean = U S V^T, axes = first k rows of V^T.

    Each axis's sign is fixed so its largest-magnitude entry is positive: the same rows always
    give the same picture. Axes beyond the data's rank come back as zeros.
    """
    rows = np.asarray(rows, dtype=np.float64)
    mean = rows.mean(axis=0)
    _, s, vt = np.linalg.svd(rows - mean, full_matrices=False)
    components = np.zeros((k, rows.shape[1]))
    explained = np.zeros(k)
    total = float((s**2).sum())
    n = min(k, vt.shape[0])
    if total > 0:
        components[:n] = vt[:n]
        explained[:n] = s[:n] ** 2 / total
        signs = np.sign(components[np.arange(k), np.abs(components).argmax(axis=1)])
        components *= np.where(signs == 0, 1.0, signs)[:, None]
    return PCABasis(mean, components, explained)


# -- the unit finder: which units hold a value over a span, and where else they do so together ------
def units_above(hidden: np.ndarray, span: tuple[int, int], threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Units whose h_t stays on one side of ±threshold at every step of a span.

    hidden (T, H); span (first, last) steps, 1-based and inclusive, as a page shows them. A unit
    counts if h_t >= threshold at every step of the span (sign +1) or h_t <= -threshold at every
    step (sign -1). Returns (units, signs), units ascending.
    """
    hidden = np.asarray(hidden)
    first, last = span
    if not 1 <= first <= last <= hidden.shape[0]:
        raise ValueError(f"span {span} is not inside steps 1..{hidden.shape[0]}")
    window = hidden[first - 1:last]  # (L, H)
    high = (window >= threshold).all(axis=0)  # (H,)
    low = (window <= -threshold).all(axis=0) & ~high  # with threshold <= 0 a unit could be both: high wins
    units = np.flatnonzero(high | low)
    return units, np.where(high[units], 1, -1)


def co_active(hidden_by_text, units, signs, threshold: float) -> list[np.ndarray]:
    """Where the given units are all beyond the threshold together, on their own sides.

    hidden_by_text: a sequence of (T_n, H) arrays (or one (N, T, H) array); units, signs as from
    `units_above`. Returns one boolean (T_n,) array per text: True at the steps where every unit u
    has signs[u] * h_t[u] >= threshold. With no units, nothing is co-active.
    """
    units, signs = np.asarray(units, dtype=int), np.asarray(signs)
    out = []
    for h in hidden_by_text:
        h = np.asarray(h)
        if units.size == 0:
            out.append(np.zeros(h.shape[0], dtype=bool))
        else:
            out.append((h[:, units] * signs >= threshold).all(axis=1))
    return out


def runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """The stretches of True in a boolean (T,) array, as 1-based inclusive (first, last) steps."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(padded[1:] != padded[:-1])  # starts and ends alternate
    return [(int(a) + 1, int(b)) for a, b in zip(edges[::2], edges[1::2])]


def first_cell_states(model, ids: np.ndarray) -> np.ndarray:
    """h_t of a recurrent model's first layer, left-to-right cell, for many equal-length texts at once.

    ids (N, T) token ids with no padding -> (N, T, H); the same numbers as trace(...).first.hidden
    for each text, in one batched call of the fused layer (a trace per text is ~100x slower).
    """
    import torch
    import torch.nn.functional as F

    x = torch.as_tensor(np.asarray(ids), dtype=torch.long)
    with torch.no_grad():
        out, _ = model.layers[0](F.one_hot(x, model.cfg.vocab_size).float())  # (N, T, H·dirs)
    return out[..., : model.cfg.hidden_size].numpy()


def texts_where_units_hold(model, texts: list[str], vocab, units, signs, threshold: float) -> list[dict]:
    """The unit finder's table: one row for each text in which `units` all stay on their sides together
    somewhere (text #, first symbol, text, the steps, how many steps)."""
    hidden = first_cell_states(model, np.array([vocab.encode(list(x)) for x in texts]))
    masks = co_active(hidden, units, signs, threshold)
    return [{"text #": n, "first symbol": x[0], "text": x,
             "steps where all are on": ", ".join(f"{a}-{b}" if a < b else f"{a}" for a, b in runs(m)),
             "how many steps": int(m.sum())}
            for n, (x, m) in enumerate(zip(texts, masks)) if m.any()]


# -- where the hidden state goes -------------------------------------------------------------------------
def reference_states(model, task, vocab, n: int = 150, seed: int = 7,
                     max_points: int = 400) -> tuple[PCABasis, np.ndarray, list[str]]:
    """Hidden states of a tagging model on n generated texts of its task: the PCA basis (fitted on all
    of them), and a seeded sample of at most max_points of their 2-D points with their true classes to
    draw (thousands of SVG points make every rerun slow in the browser)."""
    import torch

    x, y = task.tensors(task.dataset(n, seed), vocab)
    with torch.no_grad():
        h = model.hidden_states(x)[..., : model.cfg.hidden_size]  # (B, T, H): top layer, left to right
    real = (y >= 0).numpy()  # padding excluded
    states = h.numpy()[real]  # (N, H)
    labels = [task.class_names[int(c)] for c in y.numpy()[real]]
    basis = fit_pca(states, k=2)
    keep = np.random.default_rng(seed).permutation(len(states))[:max_points]
    return basis, basis.project(states[keep]), [labels[i] for i in keep]


def mean_step_lengths(hidden: np.ndarray, mask) -> tuple[float, float] | None:
    """Mean ‖h_t - h_{t-1}‖ (h_0 = 0) over the steps where `mask` is true and where it is false; None
    when one of the two groups is empty."""
    mask = np.asarray(mask, dtype=bool)
    if mask.all() or not mask.any():
        return None
    moves = np.linalg.norm(np.diff(np.vstack([np.zeros(hidden.shape[1]), hidden]), axis=0), axis=1)  # (T,)
    return float(moves[mask].mean()), float(moves[~mask].mean())
