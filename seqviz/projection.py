"""Projections of word vectors to 2-D or 3-D for the embedding explorer: PCA and t-SNE, seeded.

- PCA (`seqviz.analysis.fit_pca`, an SVD): a linear map, so directions and distances keep a meaning
  (king -> queen parallel to man -> woman shows as parallel arrows); the axes' shares of variance are
  returned with the points.
- t-SNE (scikit-learn, imported where used: it costs ~1 s): a non-linear map that keeps each word's
  nearest neighbours near and says little about distances between far clusters. The rows are scaled to
  unit length first, so its Euclidean distances order neighbours exactly as cosine similarity does.
- UMAP is not offered: its first fit in a process spends ~8 s compiling (shared/MEASURED.md) and it is
  not installed; t-SNE of 1,000 words takes ~2 s here.

Which words are drawn is chosen by `choose_words` (grouped words first, then the file's order, which is
by frequency in word2vec and GloVe files), at most MAX_POINTS[method] of them so a page stays responsive.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from seqviz.analysis import fit_pca
from seqviz.wordvectors import WordVectors, unit_rows

METHODS = {"pca": "PCA", "tsne": "t-SNE"}
MAX_POINTS = {"pca": 5000, "tsne": 1500}  # t-SNE of 1,500 words ~3-4 s on one core; PCA of 5,000 ~0.1 s
DEFAULT_POINTS = 200  # about the grouped words of the built-in corpus and a few others: a readable, labelled map
SEED = 0
TSNE_ITERATIONS = 500


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray  # (N, dims) one row per word, in the order asked for
    method: str  # "pca" or "tsne"
    explained: np.ndarray | None  # (dims,) PCA: share of the variance along each axis; None for t-SNE
    kl_divergence: float | None  # t-SNE: the KL divergence it reached; None for PCA

    def axis_titles(self) -> list[str]:
        if self.method == "pca":
            return [f"PC{i + 1} ({share:.0%} of variance)" for i, share in enumerate(self.explained)]
        return [f"t-SNE {i + 1}" for i in range(self.coords.shape[1])]


def perplexity_for(n: int, wanted: float = 30.0) -> float:
    """t-SNE needs perplexity < n; with few points use about a third of them (at least 2)."""
    return float(min(wanted, max(2.0, (n - 1) / 3)))


def project(rows: np.ndarray, method: str = "pca", dims: int = 2, seed: int = SEED) -> Projection:
    """rows (N, D) -> Projection with coords (N, dims). Deterministic for a given seed."""
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    if dims not in (2, 3):
        raise ValueError(f"dims must be 2 or 3, not {dims}")
    rows = np.asarray(rows, dtype=np.float32)
    n = rows.shape[0]
    if n > MAX_POINTS[method]:
        raise ValueError(f"{n} points is more than {MAX_POINTS[method]} for {METHODS[method]}")
    if method == "pca":
        basis = fit_pca(rows, k=dims)
        return Projection(basis.project(rows), "pca", basis.explained, None)
    if n < 4:  # t-SNE needs a few points; fewer are drawn by PCA, which is exact for them anyway
        basis = fit_pca(rows, k=dims)
        return Projection(basis.project(rows), "pca", basis.explained, None)
    from sklearn.manifold import TSNE  # ~1 s to import: only when asked for
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    # 500 iterations, not scikit-learn's 1,000: on 1,000 clustered words the KL divergence differs by ~7%
    # and the fit takes half the time (bench/bench_projection.py)
    tsne = TSNE(n_components=dims, perplexity=perplexity_for(n), init="pca", random_state=seed,
                learning_rate="auto", max_iter=TSNE_ITERATIONS, method="barnes_hut", n_jobs=1)
    # one OpenMP thread: with the other core busy (always, on a shared server), more threads spin-wait and
    # a 2 s fit took 100 s here (shared/MEASURED.md saw the same with torch)
    with threadpool_limits(limits=1):
        coords = tsne.fit_transform(unit_rows(rows).astype(np.float64))  # unit rows: Euclidean order = cosine order
    return Projection(coords, "tsne", None, float(tsne.kl_divergence_))


def choose_words(wv: WordVectors, n: int, must: Sequence[str] = (), method: str = "pca") -> list[str]:
    """At most n words (capped by MAX_POINTS[method]) to draw: grouped words first, then the others in the
    file's order; searched words (`must`) not among them take the last places. So searching a word already
    drawn leaves the list, and the cached projection, as they were. Unknown words in `must` are left out."""
    n = max(1, min(n, MAX_POINTS[method], len(wv.words)))
    grouped = [w for w in wv.words if w in wv.groups] if wv.groups else []
    base = list(dict.fromkeys(grouped + list(wv.words[: n + len(grouped)])))[:n]
    present = set(base)
    extra = list(dict.fromkeys(w for w in must if w in wv and w not in present))[:n]
    return base[: n - len(extra)] + extra


MAX_TYPED_WORDS = 40  # words a learner may type into one box (a heatmap of more is unreadable)


def parse_words(text: str, wv: WordVectors, limit: int = MAX_TYPED_WORDS) -> tuple[list[str], list[str], str | None]:
    """Words typed into a box, separated by commas or spaces: (known, unknown, problem sentence or None).
    Known words keep their order without repeats; the vocabulary is matched as typed, then lower-cased."""
    raw = [w for w in text.replace(",", " ").split() if w]
    if len(raw) > limit:
        return [], [], f"{len(raw)} words typed; at most {limit} are taken at once."
    known, unknown = [], []
    for w in raw:
        hit = w if w in wv else (w.lower() if w.lower() in wv else None)
        if hit is None:
            unknown.append(w)
        elif hit not in known:
            known.append(hit)
    return known, unknown, None


def shorten(word: str, limit: int = 24) -> str:
    """A word as a sentence quotes it: at most `limit` characters."""
    return word if len(word) <= limit else word[:limit] + "..."


def not_found(missing: Sequence[str], shown: int = 5) -> str:
    """One sentence naming the typed words these vectors lack (the first `shown`, each shortened)."""
    more = f" and {len(missing) - shown} more" if len(missing) > shown else ""
    return f"Not in these vectors: {', '.join(repr(shorten(w)) for w in missing[:shown])}{more}."
