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
