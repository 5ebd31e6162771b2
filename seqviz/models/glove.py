"""GloVe (Pennington, Socher and Manning 2014): word vectors fitted to the log co-occurrence counts.

1. The co-occurrence matrix. For every pair of tokens at distance d <= window in the same sentence,
   X[i, j] and X[j, i] grow by 1/d (nearer words count more), as glove.c does:

       X_ij = Σ_{occurrences of j within `window` of i} 1 / d

2. The weighting function, which caps the pull of very frequent pairs and mutes rare ones:

       f(x) = min(1, (x / x_max)^α)

3. The weighted least-squares objective over the NON-ZERO entries only (log 0 is undefined, so a
   pair that never co-occurs contributes nothing, whatever the relation between its words):

       J = Σ_{X_ij > 0} f(X_ij) (w_i · w̃_j + b_i + b̃_j - log X_ij)^2

   minimised by AdaGrad over shuffled mini-batches of the non-zero entries, with the gradients written
   out by hand (checked against autograd in tests/test_glove.py). The word vectors are W + W̃, as in
   the paper.

    trainer = GloveTrainer(encode(build_corpus()), GloveConfig())
    for event in trainer.train(): ...      # same events as Word2Vec; snapshots after every epoch
    trainer.vectors()
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from seqviz.models.word2vec import EmbeddingEvent, LossLog, LossPoint
from seqviz.tasks.corpus import EncodedCorpus
from seqviz.wordvectors import WordVectors


@dataclass(frozen=True)
class GloveConfig:
    embed_size: int = 50       # D, the embedding width: numbers per word vector
    window: int = 5            # symmetric context window, pairs weighted 1/d
    x_max: float = 100.0       # f(x) = 1 from this count on
    alpha: float = 0.75        # f's exponent below x_max
    lr: float = 0.05           # AdaGrad's learning rate (glove.c's default)
    epochs: int = 50
    batch_size: int = 4096     # non-zero entries per step
    seed: int = 0
    chunk_batches: int = 20    # a progress event every this many batches


@dataclass(frozen=True)
class Cooccurrence:
    """The non-zero entries of X (symmetric), as three parallel arrays."""

    rows: np.ndarray    # (E,) int64, i
    cols: np.ndarray    # (E,) int64, j
    values: np.ndarray  # (E,) float64, X_ij > 0
    vocab_size: int

    def dense(self, ids: list[int] | np.ndarray | None = None) -> np.ndarray:
        """X as a dense array, (V, V), or only the rows and columns `ids` (n, n)."""
        X = np.zeros((self.vocab_size, self.vocab_size))
        X[self.rows, self.cols] = self.values
        return X if ids is None else X[np.ix_(ids, ids)]

    def lookup(self, i: int, j: int) -> float:
        hit = np.nonzero((self.rows == i) & (self.cols == j))[0]
        return float(self.values[hit[0]]) if len(hit) else 0.0


def cooccurrence(ids: np.ndarray, sentence: np.ndarray, vocab_size: int, window: int = 5) -> Cooccurrence:
    """X_ij = Σ 1/d over pairs at distance d <= window within one sentence, both orders."""
    keys, weights = [], []
    for d in range(1, window + 1):
        same = sentence[d:] == sentence[:-d]  # (n - d,) pairs (t, t + d) in one sentence
        a, b = ids[:-d][same], ids[d:][same]
        keys += [a * vocab_size + b, b * vocab_size + a]
        weights += [np.full(2 * len(a), 1.0 / d)]
    if not keys:
        empty = np.zeros(0, dtype=np.int64)
        return Cooccurrence(empty, empty, np.zeros(0), vocab_size)
    key = np.concatenate(keys)
    w = np.concatenate(weights)
    unique, inverse = np.unique(key, return_inverse=True)
    values = np.bincount(inverse, weights=w)
    return Cooccurrence(unique // vocab_size, unique % vocab_size, values, vocab_size)


def weighting(x, x_max: float = 100.0, alpha: float = 0.75):
    """f(x) = min(1, (x / x_max)^alpha), elementwise (numpy or torch)."""
    if isinstance(x, torch.Tensor):
        return torch.clamp((x / x_max) ** alpha, max=1.0)
    return np.minimum(1.0, (np.asarray(x, dtype=np.float64) / x_max) ** alpha)


class Glove(torch.nn.Module):
    """W, W̃ (V, D) and the biases b, b̃ (V,); glove.c's initialisation, uniform in ±0.5/D."""

    architecture = "glove"

    def __init__(self, vocab_size: int, cfg: GloveConfig):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        u = lambda *shape: torch.nn.Parameter((torch.rand(*shape, generator=g) - 0.5) / cfg.embed_size, requires_grad=False)
        self.w, self.w_tilde = u(vocab_size, cfg.embed_size), u(vocab_size, cfg.embed_size)  # (V, D) each
        self.b, self.b_tilde = u(vocab_size), u(vocab_size)  # (V,) each

    def residual(self, i: torch.Tensor, j: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """w_i · w̃_j + b_i + b̃_j - log X_ij, per entry (E,)."""
        return (self.w[i] * self.w_tilde[j]).sum(1) + self.b[i] + self.b_tilde[j] - torch.log(x)

    def objective(self, i, j, x) -> torch.Tensor:
        """J = Σ f(X_ij) (w_i · w̃_j + b_i + b̃_j - log X_ij)^2 over the given entries (autograd-ready)."""
        return (weighting(x, self.cfg.x_max, self.cfg.alpha) * self.residual(i, j, x) ** 2).sum()

    def grads(self, i, j, x):
        """J and its gradients by hand. With r = the residual and f = f(X_ij), each entry contributes
        dJ/dw_i = 2 f r w̃_j, dJ/dw̃_j = 2 f r w_i, dJ/db_i = dJ/db̃_j = 2 f r (summed over entries
        that share a row). Returns (J, dW (V, D), dW̃ (V, D), db (V,), db̃ (V,))."""
        wi, wj = self.w[i], self.w_tilde[j]  # (E, D)
        r = (wi * wj).sum(1) + self.b[i] + self.b_tilde[j] - torch.log(x)  # (E,)
        fx = weighting(x, self.cfg.x_max, self.cfg.alpha)  # (E,)
        J = (fx * r * r).sum()
        g = 2.0 * fx * r  # (E,) dJ/dr
        V = self.w.shape[0]
        dW = torch.zeros_like(self.w).index_add_(0, i, g[:, None] * wj)
        dWt = torch.zeros_like(self.w_tilde).index_add_(0, j, g[:, None] * wi)
        db = torch.zeros(V, dtype=self.b.dtype).index_add_(0, i, g)
        dbt = torch.zeros(V, dtype=self.b.dtype).index_add_(0, j, g)
        return J, dW, dWt, db, dbt

    def word_vectors(self) -> np.ndarray:
        """W + W̃, (V, D): the vectors GloVe reports."""
        return (self.w + self.w_tilde).numpy().copy()


class GloveTrainer(LossLog):
    """Builds X once, then trains with AdaGrad in chunks; loss history and a snapshot after each epoch."""

    def __init__(self, data: EncodedCorpus, cfg: GloveConfig = GloveConfig()):
        self.data, self.cfg = data, cfg
        self.X = cooccurrence(data.ids, data.sentence, len(data.words), cfg.window)
        self.model = Glove(len(data.words), cfg)
        self.rng = np.random.default_rng(cfg.seed)
        self._i = torch.from_numpy(self.X.rows)
        self._j = torch.from_numpy(self.X.cols)
        self._x = torch.from_numpy(self.X.values.astype(np.float32))
        # AdaGrad's running sums of squared gradients, started at 1 as glove.c does
        self.sq = [torch.ones_like(p) for p in (self.model.w, self.model.w_tilde, self.model.b, self.model.b_tilde)]
        self.epochs_done = 0
        self.step = 0
        self.history: list[LossPoint] = []  # (step, J per entry over the chunk)
        self.snapshots: list[np.ndarray] = [self.model.word_vectors()]
        self.seconds = 0.0
        self.diverged = False

    @torch.no_grad()
    def adagrad_step(self, idx: torch.Tensor) -> float:
        grads = self.model.grads(self._i[idx], self._j[idx], self._x[idx])
        J = float(grads[0])
        for p, g, s in zip((self.model.w, self.model.w_tilde, self.model.b, self.model.b_tilde), grads[1:], self.sq):
            s.add_(g * g)
            p.sub_(self.cfg.lr * g / s.sqrt())
        return J

    def train(self, epochs: int | None = None) -> Iterator[EmbeddingEvent]:
        epochs = epochs if epochs is not None else max(1, self.cfg.epochs - self.epochs_done)
        E = len(self._x)
        B = self.cfg.batch_size
        n_batches = max(1, math.ceil(E / B))
        for e in range(epochs):
            if E == 0 or self.diverged:
                return
            start = time.perf_counter()
            order = torch.from_numpy(self.rng.permutation(E))
            total, count = 0.0, 0
            for b in range(n_batches):
                idx = order[b * B:(b + 1) * B]
                total += self.adagrad_step(idx)
                count += len(idx)
                self.step += 1
                if not math.isfinite(total):
                    self.diverged = True
                    self.history.append(LossPoint(self.step, float("nan")))
                    yield EmbeddingEvent(self.epochs_done + 1, self.step, 1.0, float("nan"), True)
                    return
                if (b + 1) % self.cfg.chunk_batches == 0 and b + 1 < n_batches:
                    yield self._chunk_done(e, b, n_batches, epochs, total, count)
                    total, count = 0.0, 0
            yield self._epoch_done(e, epochs, total, count, start, self.model.word_vectors)

    def vectors(self, source: str | None = None) -> WordVectors:
        return WordVectors(self.data.words, self.model.word_vectors(), dict(self.data.groups) or None,
                           source or f"GloVe, {self.epochs_done} epochs on {self.data.source}")

    def snapshot_vectors(self, epoch: int) -> WordVectors:
        return WordVectors(self.data.words, self.snapshots[epoch], dict(self.data.groups) or None, f"epoch {epoch}")


def pair_terms(w: np.ndarray, w_tilde: np.ndarray, b: np.ndarray, b_tilde: np.ndarray, i: int, j: int,
               x: float, x_max: float, alpha: float) -> dict:
    """One entry of J, term by term: w_i·w̃_j, b_i, b̃_j, log X_ij, the residual, f(X_ij) and f·residual².
    An entry with X_ij = 0 is not in J: its weight is 0 and log X_ij is undefined (residual None)."""
    dot = float(w[i] @ w_tilde[j])
    if x <= 0:
        return {"dot": dot, "b_i": float(b[i]), "b_j": float(b_tilde[j]), "log_x": None, "residual": None,
                "f": 0.0, "term": 0.0}
    residual = dot + float(b[i]) + float(b_tilde[j]) - math.log(x)
    f = float(weighting(x, x_max, alpha))
    return {"dot": dot, "b_i": float(b[i]), "b_j": float(b_tilde[j]), "log_x": math.log(x), "residual": residual,
            "f": f, "term": f * residual ** 2}
