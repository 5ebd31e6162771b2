"""Word vectors as the app passes them around: a vocabulary and one row of numbers per word.

Every source of word vectors (CBOW, skip-gram and GloVe trained here, the shipped vectors, a file the
learner brings) produces a WordVectors; the embedding explorer only ever sees this type.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WordVectors:
    words: tuple[str, ...]          # (N,)   distinct tokens, row i of `vectors` belongs to words[i]
    vectors: np.ndarray             # (N, D) float32, finite
    groups: dict[str, str] | None   # word -> group name (colours the explorer); None when unknown
    source: str                     # one line for the page: "skip-gram on the built-in corpus", a file name

    def __post_init__(self):
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"vectors has shape {self.vectors.shape} for {len(self.words)} words")
        if len(set(self.words)) != len(self.words):
            raise ValueError("a word appears twice")
