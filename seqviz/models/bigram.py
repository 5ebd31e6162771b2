"""The bigram baseline: the next character depends only on the current one.

    p(b | a) = (C[a, b] + k) / (C[a] + k V)        add-k smoothing, C counted on the training text

where C[a, b] counts how often b follows a, C[a] = sum_b C[a, b], and V is the vocabulary size. A
transformer that beats it is using more than one character of context. Perplexity on held-out
text, the number the lesson compares:

    PPL = exp( -1/N  sum_t  log p(x_t | x_{t-1}) )

    bigram = BigramLM.fit(corpus.train_ids, len(corpus.vocab), k=0.5)
    bigram.perplexity(x, y)   # x, y (W, T): the same windows a transformer is scored on
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

DEFAULT_K = 0.5


@dataclass(frozen=True)
class BigramLM:
    counts: np.ndarray  # (V, V) C[a, b]: how often b follows a in the training text
    k: float  # add-k smoothing

    @classmethod
    def fit(cls, ids: torch.Tensor, vocab_size: int, k: float = DEFAULT_K) -> "BigramLM":
        a, b = np.asarray(ids[:-1]), np.asarray(ids[1:])
        counts = np.zeros((vocab_size, vocab_size), dtype=np.int64)
        np.add.at(counts, (a, b), 1)
        return cls(counts, float(k))

    @property
    def probs(self) -> np.ndarray:
        """(V, V) p(b | a); every row sums to 1."""
        V = self.counts.shape[0]
        smoothed = self.counts + self.k
        return smoothed / (self.counts.sum(axis=1, keepdims=True) + self.k * V)

    def next_probs(self, last_id: int) -> np.ndarray:
        """(V,) the next-character distribution after `last_id`."""
        return self.probs[last_id]

    def nll(self, x: torch.Tensor, y: torch.Tensor) -> float:
        """Mean -log p(y | x) in nats over every position of x, y (any equal shapes)."""
        logp = np.log(self.probs)
        return float(-logp[np.asarray(x).ravel(), np.asarray(y).ravel()].mean())

    def perplexity(self, x: torch.Tensor, y: torch.Tensor) -> float:
        return math.exp(self.nll(x, y))
