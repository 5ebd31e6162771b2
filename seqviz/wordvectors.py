"""Word vectors as the app passes them around, and the arithmetic every embedding page does on them.

Every source of word vectors (CBOW, skip-gram and GloVe trained here, the shipped vectors, a file the
learner brings) produces a WordVectors; the embedding explorer only ever sees this type.

The math (all on unit rows, so a dot product is a cosine similarity):
- `nearest(wv, word, k)`: the k words with the highest cosine similarity to `word` (itself excluded);
- `analogy(wv, a, b, c, k)`: "a is to b as c is to ?", the words nearest to b - a + c, with the three
  input words excluded by default (without that, the answer is very often b or c themselves);
- `similarity_matrix(wv, words)`: the cosine similarities of chosen words, (n, n) in [-1, 1];
- quality metrics: `analogy_accuracy` (inputs excluded) and `group_purity` (share of grouped words
  whose 5 nearest neighbours, among all words, are all in their own group).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class WordVectors:
    words: tuple[str, ...]          # (N,)   distinct tokens, row i of `vectors` belongs to words[i]
    vectors: np.ndarray             # (N, D) float32, finite
    groups: dict[str, str] | None   # word -> group name (colours the explorer); None when unknown
    source: str                     # one line for the page: "skip-gram on the built-in corpus", a file name
    _index: dict = field(default=None, init=False, repr=False, compare=False)  # word -> row, built once

    def __post_init__(self):
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"vectors has shape {self.vectors.shape} for {len(self.words)} words")
        if len(set(self.words)) != len(self.words):
            raise ValueError("a word appears twice")
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    def __contains__(self, word: str) -> bool:
        return word in self._index

    def index(self, word: str) -> int:
        """Row of `word`; KeyError with a readable message when it is not in the vocabulary."""
        try:
            return self._index[word]
        except KeyError:
            raise KeyError(f"{word!r} is not in the vocabulary") from None

    def vector(self, word: str) -> np.ndarray:
        return self.vectors[self.index(word)]


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row divided by its length (a zero row stays zero): (N, D) float32."""
    v = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)  # (N, 1)
    return v / np.where(norms > 0, norms, 1.0)


def _unit(wv: WordVectors) -> np.ndarray:
    return unit_rows(wv.vectors)


def _top_k(scores: np.ndarray, k: int, exclude: Iterable[int]) -> np.ndarray:
    """Indices of the k highest scores, highest first, never one of `exclude`."""
    s = scores.astype(np.float64, copy=True)
    for i in exclude:
        s[i] = -np.inf
    k = max(0, min(k, int(np.isfinite(s).sum())))
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-s, k - 1)[:k]
    return part[np.argsort(-s[part], kind="stable")]


def nearest(wv: WordVectors, word: str, k: int = 10, unit: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The k nearest words to `word` by cosine similarity, `word` itself excluded: [(word, cosine)].
    `unit` (the unit rows of wv, when the caller already has them) saves the normalisation."""
    u = _unit(wv) if unit is None else unit
    i = wv.index(word)
    scores = u @ u[i]  # (N,) cosine similarities
    return [(wv.words[j], float(scores[j])) for j in _top_k(scores, k, [i])]


def nearest_to_vector(wv: WordVectors, query: np.ndarray, k: int = 10, exclude: Sequence[str] = (),
                      unit: np.ndarray | None = None) -> list[tuple[str, float]]:
    """The k words whose unit vectors have the highest cosine with `query`, skipping `exclude`."""
    u = _unit(wv) if unit is None else unit
    q = np.asarray(query, dtype=np.float32)
    n = float(np.linalg.norm(q))
    scores = u @ (q / n if n > 0 else q)  # (N,)
    return [(wv.words[j], float(scores[j])) for j in _top_k(scores, k, [wv.index(w) for w in exclude])]


def analogy(wv: WordVectors, a: str, b: str, c: str, k: int = 5, exclude_inputs: bool = True,
            unit: np.ndarray | None = None) -> list[tuple[str, float]]:
    """"a is to b as c is to ?": the k words nearest (cosine) to b - a + c, computed on unit vectors
    (3CosAdd, as word2vec's and gensim's evaluations do). With `exclude_inputs`, a, b and c cannot be
    the answer."""
    u = _unit(wv) if unit is None else unit
    query = u[wv.index(b)] - u[wv.index(a)] + u[wv.index(c)]  # (D,)
    return nearest_to_vector(wv, query, k, exclude=(a, b, c) if exclude_inputs else (), unit=u)


def similarity_matrix(wv: WordVectors, words: Sequence[str]) -> np.ndarray:
    """Cosine similarities of `words` with each other: (n, n), symmetric, 1 on the diagonal."""
    u = _unit(wv)[[wv.index(w) for w in words]]  # (n, D)
    return np.clip(u @ u.T, -1.0, 1.0)


# -- quality --------------------------------------------------------------------------------------
def analogy_accuracy(wv: WordVectors, questions: Sequence[tuple[str, str, str, str]],
                     exclude_inputs: bool = True) -> float:
    """Share of questions (a, b, c, d) whose top answer to "a is to b as c is to ?" is d. Questions
    with a word outside the vocabulary count as wrong. Vectorised: one matmul for all questions."""
    if not questions:
        return 0.0
    u = _unit(wv)
    known = [q for q in questions if all(w in wv for w in q)]
    if not known:
        return 0.0
    idx = np.array([[wv.index(w) for w in q] for q in known])  # (Q, 4)
    query = u[idx[:, 1]] - u[idx[:, 0]] + u[idx[:, 2]]  # (Q, D)
    query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
    scores = query @ u.T  # (Q, N)
    if exclude_inputs:
        rows = np.arange(len(known))
        for col in range(3):
            scores[rows, idx[:, col]] = -np.inf
    correct = int((scores.argmax(axis=1) == idx[:, 3]).sum())
    return correct / len(questions)


def group_purity(wv: WordVectors, groups: dict[str, str] | None = None, k: int = 5) -> float:
    """Share of grouped words (in the vocabulary) whose k nearest neighbours among ALL words are all in
    their own group. `groups` defaults to wv.groups."""
    groups = wv.groups if groups is None else groups
    if not groups:
        return 0.0
    u = _unit(wv)
    words = [w for w in groups if w in wv]
    if not words:
        return 0.0
    idx = np.array([wv.index(w) for w in words])
    scores = u[idx] @ u.T  # (G, N)
    scores[np.arange(len(idx)), idx] = -np.inf
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]  # (G, k)
    pure = 0
    for row, w in enumerate(words):
        pure += all(groups.get(wv.words[j]) == groups[w] for j in top[row])
    return pure / len(words)


def group_purity_by_group(wv: WordVectors, groups: dict[str, str] | None = None, k: int = 5) -> dict[str, float]:
    """group_purity for each group separately: group -> share of its words with pure neighbourhoods."""
    groups = wv.groups if groups is None else groups
    out = {}
    for g in sorted(set((groups or {}).values())):
        members = {w: gg for w, gg in groups.items() if gg == g and w in wv}
        if members:
            # neighbours are still judged against every group, only the words scored change
            u = _unit(wv)
            idx = np.array([wv.index(w) for w in members])
            scores = u[idx] @ u.T
            scores[np.arange(len(idx)), idx] = -np.inf
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            out[g] = float(np.mean([all(groups.get(wv.words[j]) == g for j in row) for row in top]))
    return out


def snapshot_projection(snapshots: Sequence[np.ndarray]) -> list[np.ndarray]:
    """2-D views of the same words at several moments of training, on ONE pair of axes: every snapshot's
    unit rows, centred, projected on the top two principal axes of the LAST snapshot. Points then move
    into their final places rather than spinning as each snapshot's own PCA would. Each (N, D) -> (N, 2)."""
    final = unit_rows(snapshots[-1])
    centred = final - final.mean(0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    axes = vt[:2].T  # (D, 2)
    out = []
    for snap in snapshots:
        u = unit_rows(snap)
        out.append((u - u.mean(0)) @ axes)
    return out
