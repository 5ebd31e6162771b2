"""Word2Vec: CBOW and skip-gram with negative sampling and frequent-word subsampling, in PyTorch.

Two tables of vectors: W_in (V, D), the word vectors we keep, and W_out (V, D), the vectors a word
has when it is a prediction target. For one training example with input vector v and target word o:

    skip-gram: v = W_in[c]                                  (the centre word predicts each context word o)
    CBOW:      v = mean_{j in context} W_in[j]              (the context predicts the centre word o)

    loss = -log σ(v · W_out[o]) - (k / K) Σ_{n=1..K} log σ(-v · W_out[neg_n])

where the K negatives neg_n are drawn from the unigram distribution raised to 3/4 and SHARED by every
example of the batch; weighting them by k / K makes the sum an unbiased estimate of word2vec's k
fresh negatives per example, at a fraction of the cost (shared/MEASURED.md: 64 shared negatives
trained faster than gensim at equal quality). The gradients are written out by hand (below, beside
the equations) and applied with index_add_, a plain SGD step with word2vec's linearly decaying rate;
tests/test_word2vec.py checks them against autograd on the same loss.

Frequent-word subsampling (Mikolov et al. 2013, gensim's formula): each epoch, a token of a word with
frequency f is kept with probability min(1, (sqrt(f / t) + 1) · t / f), then windows are taken over
the kept tokens. The window is dynamic: each centre draws b uniformly in 1..window and uses b words
on each side (nearer words are used more often).

    trainer = Word2VecTrainer(encode(build_corpus()), Word2VecConfig(method="skipgram"))
    for event in trainer.train():        # events every `chunk_batches` batches; snapshot at epoch ends
        ...
    trainer.vectors()                    # WordVectors (W_in)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as F

from seqviz.tasks.corpus import EncodedCorpus
from seqviz.wordvectors import WordVectors

TABLE_SIZE = 1_000_000  # the negative-sampling lookup table (word2vec.c uses 1e8 for millions of words)


@dataclass(frozen=True)
class Word2VecConfig:
    method: str = "skipgram"     # "skipgram" or "cbow"
    embed_size: int = 50         # D, the embedding width: numbers per word vector
    window: int = 5              # at most this many words each side (dynamic window: 1..window)
    negatives: int = 5           # k, negatives per example that the shared ones stand for
    shared_negatives: int = 64   # K, negatives drawn once per batch and used by all its examples
    sample: float = 1e-3         # t, the subsampling threshold (0 = keep every token)
    power: float = 0.75          # the unigram distribution is raised to this power for negatives
    lr: float = 0.025            # learning rate at the start, decaying linearly to min_lr
    min_lr: float = 0.0001
    epochs: int = 5
    batch_size: int = 1024       # examples per SGD step (8,192 and more diverged here)
    seed: int = 0
    chunk_batches: int = 100     # a progress event every this many batches
    loss_every: int = 10         # the loss is computed on every this-many-th batch (it costs a third of a step)


PRESETS = {  # tuned on the built-in corpus (200k tokens); see seqviz/labs/embeddings.py for the shipped recipes
    "skipgram": Word2VecConfig(method="skipgram", lr=0.03, shared_negatives=32, epochs=5),
    "cbow": Word2VecConfig(method="cbow", lr=0.05, shared_negatives=32, epochs=10),
}


@dataclass(frozen=True)
class EmbeddingEvent:
    """One progress report of an embedding trainer (Word2Vec or GloVe)."""

    epoch: int          # the epoch in progress (1-based); at an epoch end, the epoch just finished
    step: int           # SGD steps taken so far (all epochs)
    progress: float     # share of this call's training done, in [0, 1]
    loss: float         # mean loss per example over the batches since the last event
    epoch_end: bool     # True once per epoch, after its snapshot was taken


# -- the loss and its gradients --------------------------------------------------------------------
def negative_sampling_loss(v: torch.Tensor, u_pos: torch.Tensor, u_neg: torch.Tensor, neg_weight: float) -> torch.Tensor:
    """Summed loss of a batch, written for autograd (the oracle the hand-written gradients are tested
    against). v (B, D) inputs, u_pos (B, D) target output vectors, u_neg (K, D) shared negatives."""
    s_pos = (v * u_pos).sum(1)  # (B,)
    s_neg = v @ u_neg.T  # (B, K)
    return -(F.logsigmoid(s_pos).sum() + neg_weight * F.logsigmoid(-s_neg).sum())


def negative_sampling_grads(v, u_pos, u_neg, neg_weight: float, with_loss: bool = True, scale: float = 1.0):
    """The same loss and its gradients by hand: (loss, dL/dv (B, D), dL/du_pos (B, D), dL/du_neg (K, D)).

    d/ds [-log σ(s)] = σ(s) - 1  and  d/ds [-log σ(-s)] = σ(s), so with g_pos = σ(s_pos) - 1 and
    g_neg = (k/K) σ(s_neg):  dL/dv = g_pos u_pos + g_neg U_neg,  dL/du_pos = g_pos v,  dL/dU_neg = g_neg^T v.
    Without `with_loss` the loss is not computed (it costs a third of a step) and is returned as nan.
    The three gradients come multiplied by `scale` (an SGD step passes -lr: the updates themselves).
    """
    s_pos = torch.linalg.vecdot(v, u_pos)  # (B,)
    s_neg = v @ u_neg.T  # (B, K)
    loss = (-(F.logsigmoid(s_pos).sum() + neg_weight * F.logsigmoid(-s_neg).sum())) if with_loss \
        else torch.tensor(float("nan"))
    g_pos = torch.sigmoid(s_pos).sub_(1.0).mul_(scale)  # (B,)
    g_neg = torch.sigmoid_(s_neg).mul_(neg_weight * scale)  # (B, K)
    dv = torch.addmm(g_pos[:, None] * u_pos, g_neg, u_neg)  # (B, D)
    du_pos = g_pos[:, None] * v  # (B, D)
    du_neg = g_neg.T @ v  # (K, D)
    return loss, dv, du_pos, du_neg


# -- sampling ------------------------------------------------------------------------------------------
def keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """Per word: the probability a token survives subsampling, min(1, (sqrt(f/t) + 1) t / f)."""
    if sample <= 0:
        return np.ones(len(counts))
    f = counts / counts.sum()
    return np.minimum(1.0, (np.sqrt(f / sample) + 1.0) * sample / f)


def negative_distribution(counts: np.ndarray, power: float = 0.75) -> np.ndarray:
    """P(word) for negatives: count^power, normalised."""
    p = counts.astype(np.float64) ** power
    return p / p.sum()


def negative_table(counts: np.ndarray, power: float = 0.75, size: int = TABLE_SIZE) -> torch.Tensor:
    """A lookup table where word w fills a share P(w) of the slots: drawing a uniform slot draws a word
    from P (faster than searchsorted on the cumulative sums). Every word gets at least one slot."""
    p = negative_distribution(counts, power)
    slots = np.maximum(1, np.round(p * size)).astype(np.int64)
    return torch.from_numpy(np.repeat(np.arange(len(counts)), slots))


def subsample(ids: np.ndarray, sentence: np.ndarray, keep: np.ndarray, rng: np.random.Generator):
    """The tokens that survive subsampling this epoch: (ids, sentence) of the kept ones."""
    mask = rng.random(len(ids)) < keep[ids]
    return ids[mask], sentence[mask]


def window_offsets(n: int, sentence: np.ndarray, window: int, rng: np.random.Generator) -> np.ndarray:
    """(n, 2·window) positions of each centre's context words (-1 where there is none): a dynamic
    window b ~ U{1..window} per centre, within the centre's sentence. Columns: -1, +1, -2, +2, ..."""
    b = rng.integers(1, window + 1, size=n)  # (n,)
    pos = np.arange(n)
    first, last = sentence_bounds(sentence)  # (n,) where each token's sentence starts and ends
    out = np.full((n, 2 * window), -1, dtype=np.int64)
    for d in range(1, window + 1):
        left = (d <= b) & (pos - d >= first)
        right = (d <= b) & (pos + d <= last)
        out[:, 2 * d - 2] = np.where(left, pos - d, -1)
        out[:, 2 * d - 1] = np.where(right, pos + d, -1)
    return out


def sentence_bounds(sentence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, last): for each token, the positions of its sentence's first and last tokens."""
    n = len(sentence)
    pos = np.arange(n)
    new_sentence = np.r_[True, sentence[1:] != sentence[:-1]]  # (n,) first token of a sentence
    first = np.maximum.accumulate(np.where(new_sentence, pos, 0))
    last = np.minimum.accumulate(np.where(np.r_[new_sentence[1:], True], pos, n)[::-1])[::-1]
    return first, last


def skipgram_pairs(ids: np.ndarray, sentence: np.ndarray, window: int, rng: np.random.Generator):
    """(centre ids, context ids) of every skip-gram example in this epoch's tokens: the same examples as
    window_offsets gives (same draws of b), built offset by offset without the (n, 2W) table."""
    n = len(ids)
    b = rng.integers(1, window + 1, size=n)  # (n,)
    first, last = sentence_bounds(sentence)
    pos = np.arange(n)
    centres, contexts = [], []
    for d in range(1, window + 1):
        reach = b >= d
        left = np.nonzero(reach & (pos - d >= first))[0]
        right = np.nonzero(reach & (pos + d <= last))[0]
        centres += [left, right]
        contexts += [left - d, right + d]
    c, o = np.concatenate(centres), np.concatenate(contexts)
    return ids[c], ids[o]


def cbow_examples(ids: np.ndarray, sentence: np.ndarray, window: int, rng: np.random.Generator, pad: int):
    """(centre ids (n,), context ids (n, 2W) padded with `pad`) for every centre with a context."""
    ctx = window_offsets(len(ids), sentence, window, rng)  # (n, 2W)
    has = (ctx >= 0).any(1)
    ctx, centres = ctx[has], ids[has]
    return centres, np.where(ctx >= 0, ids[np.maximum(ctx, 0)], pad)


# -- the model and its trainer -----------------------------------------------------------------------
class Word2Vec(torch.nn.Module):
    """W_in and W_out, trained by hand-written SGD (no optimiser: see negative_sampling_grads).
    W_in has one extra zero row, index V, the padding of CBOW contexts."""

    architecture = "word2vec"

    def __init__(self, vocab_size: int, cfg: Word2VecConfig):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        # word2vec.c's initialisation: W_in uniform in ±0.5/D, W_out zero
        w_in = (torch.rand(vocab_size + 1, cfg.embed_size, generator=g) - 0.5) / cfg.embed_size
        w_in[vocab_size] = 0.0
        self.w_in = torch.nn.Parameter(w_in, requires_grad=False)  # (V+1, D)
        self.w_out = torch.nn.Parameter(torch.zeros(vocab_size, cfg.embed_size), requires_grad=False)  # (V, D)

    @property
    def vocab_size(self) -> int:
        return self.w_out.shape[0]

    def inputs(self, centres: torch.Tensor, contexts: torch.Tensor | None) -> torch.Tensor:
        """v for a batch: W_in[centre] (skip-gram) or the mean of W_in over the context (CBOW)."""
        if contexts is None:
            return self.w_in[centres]  # (B, D)
        n = (contexts != self.vocab_size).sum(1, keepdim=True).clamp(min=1)  # (B, 1)
        return self.w_in[contexts].sum(1) / n  # (B, D)

    @torch.no_grad()
    def sgd_step(self, inputs: torch.Tensor, targets: torch.Tensor, negatives: torch.Tensor, lr: float,
                 contexts: torch.Tensor | None = None, with_loss: bool = True) -> float:
        """One SGD step on a batch; returns the summed loss. Skip-gram: inputs are centre ids, targets
        the context ids. CBOW: `contexts` (B, 2W) padded ids, targets the centre ids. The loss is
        computed only `with_loss` (nan otherwise)."""
        k_over_K = self.cfg.negatives / len(negatives)
        # index_select, not w[ids]: advanced indexing costs several times more per call here
        v = self.w_in.index_select(0, inputs) if contexts is None else self.inputs(None, contexts)  # (B, D)
        u_pos = self.w_out.index_select(0, targets)  # (B, D)
        u_neg = self.w_out.index_select(0, negatives)  # (K, D)
        # the gradients come out already multiplied by -lr: they are the SGD updates
        loss, dv, du_pos, du_neg = negative_sampling_grads(v, u_pos, u_neg, k_over_K, with_loss, scale=-lr)
        # one index_add_ for both kinds of output rows (fewer calls: this loop is bound by per-call cost)
        self.w_out.index_add_(0, torch.cat((targets, negatives)), torch.cat((du_pos, du_neg)))
        if contexts is None:
            self.w_in.index_add_(0, inputs, dv)
        else:  # v is a mean: each context word receives dL/dv / n
            n = (contexts != self.vocab_size).sum(1, keepdim=True).clamp(min=1)  # (B, 1)
            step = dv / n  # (B, D)
            self.w_in.index_add_(0, contexts.reshape(-1), step.repeat_interleave(contexts.shape[1], 0))
            self.w_in[self.vocab_size] = 0.0  # the padding row stays zero
        return float(loss)

    def loss(self, inputs, targets, negatives, contexts=None) -> torch.Tensor:
        """The same summed loss through autograd (tests only)."""
        v = self.inputs(inputs, contexts)
        return negative_sampling_loss(v, self.w_out[targets], self.w_out[negatives],
                                      self.cfg.negatives / len(negatives))


class LossPoint(NamedTuple):
    """One entry of a trainer's loss history: unpacks as (step, loss), reads as .step / .loss."""

    step: int      # SGD steps taken so far
    loss: float    # mean loss per example over the chunk that ended there


class LossLog:
    """What both embedding trainers (Word2VecTrainer, glove.GloveTrainer) share: the mean loss of each
    chunk of batches in `history`, and the bookkeeping and snapshot that end an epoch. Needs the
    attributes step, epochs_done, seconds, history and snapshots."""

    def _chunk_done(self, e: int, b: int, n_batches: int, epochs: int, total: float, count: int) -> EmbeddingEvent:
        self.history.append(LossPoint(self.step, total / count))
        return EmbeddingEvent(self.epochs_done + 1, self.step, (e + (b + 1) / n_batches) / epochs, total / count, False)

    def _epoch_done(self, e: int, epochs: int, total: float, count: int, start: float, snapshot) -> EmbeddingEvent:
        if count:
            self.history.append(LossPoint(self.step, total / count))
        self.epochs_done += 1
        self.seconds += time.perf_counter() - start
        self.snapshots.append(snapshot())
        return EmbeddingEvent(self.epochs_done, self.step, (e + 1) / epochs,
                              self.history[-1][1] if self.history else float("nan"), True)


class Word2VecTrainer(LossLog):
    """Trains a Word2Vec on an encoded corpus in chunks; keeps the loss history and a snapshot of W_in
    after every epoch (snapshots[0] is the initial W_in). Safe to interrupt: what was done stays done."""

    def __init__(self, data: EncodedCorpus, cfg: Word2VecConfig = Word2VecConfig()):
        if cfg.method not in ("skipgram", "cbow"):
            raise ValueError(f"unknown method {cfg.method!r}")
        self.data, self.cfg = data, cfg
        self.model = Word2Vec(len(data.words), cfg)
        self.rng = np.random.default_rng(cfg.seed)
        self.gen = torch.Generator().manual_seed(cfg.seed + 1)
        self.table = negative_table(data.counts, cfg.power)
        self.keep = keep_probability(data.counts, cfg.sample)
        self.epochs_done = 0
        self.step = 0
        self.history: list[LossPoint] = []  # (step, mean loss per example)
        self.snapshots: list[np.ndarray] = [self.model.w_in[:-1].numpy().copy()]
        self.seconds = 0.0
        self.words_trained = 0  # tokens (after subsampling) seen as centres, for words per second

    def lr_at(self, fraction: float) -> float:
        """Linear decay over the planned epochs, as word2vec does; fraction = epochs done / cfg.epochs."""
        f = min(1.0, max(0.0, fraction))
        return self.cfg.lr - (self.cfg.lr - self.cfg.min_lr) * f

    def _epoch_examples(self):
        ids, sent = subsample(self.data.ids, self.data.sentence, self.keep, self.rng)
        self.words_trained += self.data.num_tokens  # corpus words per epoch, as gensim counts them
        if self.cfg.method == "skipgram":
            centres, targets = skipgram_pairs(ids, sent, self.cfg.window, self.rng)
            order = self.rng.permutation(len(centres))
            return torch.from_numpy(centres[order]), torch.from_numpy(targets[order]), None
        centres, ctx = cbow_examples(ids, sent, self.cfg.window, self.rng, pad=len(self.data.words))
        order = self.rng.permutation(len(centres))
        return None, torch.from_numpy(centres[order]), torch.from_numpy(ctx[order])

    def train(self, epochs: int | None = None) -> Iterator[EmbeddingEvent]:
        """Train `epochs` more epochs (default: the rest of cfg.epochs, at least one)."""
        epochs = epochs if epochs is not None else max(1, self.cfg.epochs - self.epochs_done)
        for e in range(epochs):
            start = time.perf_counter()
            inputs, targets, contexts = self._epoch_examples()
            n = len(targets)
            B = self.cfg.batch_size
            n_batches = max(1, math.ceil(n / B))
            total, count = 0.0, 0
            K = self.cfg.shared_negatives  # every batch's negatives, drawn at once from the lookup table
            all_neg = self.table.index_select(0, torch.randint(len(self.table), (n_batches * K,), generator=self.gen))
            for b in range(n_batches):
                lr = self.lr_at((self.epochs_done + b / n_batches) / self.cfg.epochs)
                sl = slice(b * B, (b + 1) * B)
                neg = all_neg[b * K:(b + 1) * K]
                measure = b % self.cfg.loss_every == 0
                if contexts is None:  # skip-gram: centre -> context word
                    loss = self.model.sgd_step(inputs[sl], targets[sl], neg, lr, with_loss=measure)
                else:  # CBOW: context words -> centre
                    loss = self.model.sgd_step(None, targets[sl], neg, lr, contexts[sl], with_loss=measure)
                if measure:
                    total += loss
                    count += len(targets[sl])
                self.step += 1
                if (b + 1) % self.cfg.chunk_batches == 0 and b + 1 < n_batches and count:
                    yield self._chunk_done(e, b, n_batches, epochs, total, count)
                    total, count = 0.0, 0
            yield self._epoch_done(e, epochs, total, count, start, lambda: self.model.w_in[:-1].numpy().copy())

    def vectors(self, source: str | None = None) -> WordVectors:
        label = {"skipgram": "skip-gram", "cbow": "CBOW"}[self.cfg.method]
        return WordVectors(self.data.words, self.model.w_in[:-1].numpy().copy(), dict(self.data.groups) or None,
                           source or f"{label}, {self.epochs_done} epochs on {self.data.source}")

    def snapshot_vectors(self, epoch: int) -> WordVectors:
        return WordVectors(self.data.words, self.snapshots[epoch], dict(self.data.groups) or None, f"epoch {epoch}")


# -- for the lesson: one sentence's examples and one example's loss, written out ---------------------------
def window_examples(tokens: list[str], centre: int, window: int) -> tuple[list[tuple[str, str]], tuple[list[str], str]]:
    """The examples a full window of `window` words each side makes at position `centre` (0-based):
    skip-gram's (centre, context) pairs, and CBOW's (context words, centre)."""
    lo, hi = max(0, centre - window), min(len(tokens), centre + window + 1)
    context = [tokens[p] for p in range(lo, hi) if p != centre]
    return [(tokens[centre], c) for c in context], (context, tokens[centre])


def draw_negatives(counts: np.ndarray, k: int, seed: int, power: float = 0.75) -> np.ndarray:
    """k word ids drawn from P(w) ∝ count^power (with replacement, as word2vec draws them)."""
    return np.random.default_rng(seed).choice(len(counts), size=k, p=negative_distribution(counts, power))


def example_loss_terms(v: np.ndarray, u_pos: np.ndarray, u_neg: np.ndarray) -> dict:
    """One example's loss with k negatives of weight 1, term by term:
    loss = -log σ(v·u_o) - Σ_n log σ(-v·u_n). v, u_pos (D,), u_neg (k, D)."""
    s_pos = float(v @ u_pos)
    s_neg = u_neg @ v  # (k,)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))
    pos_term = float(-np.log(sig(s_pos)))
    neg_terms = -np.log(sig(-s_neg))  # (k,)
    return {"s_pos": s_pos, "p_pos": float(sig(s_pos)), "pos_term": pos_term,
            "s_neg": s_neg, "p_neg": sig(s_neg), "neg_terms": neg_terms, "loss": pos_term + float(neg_terms.sum())}


@dataclass(frozen=True)
class NegativeSamplingExample:
    """One skip-gram example of trained vectors with k freshly drawn negatives, written out for the lesson."""

    centre: str
    context: str
    negatives: list[str]   # (k,)
    terms: dict            # example_loss_terms: s_pos, p_pos, pos_term, s_neg (k,), p_neg (k,), neg_terms (k,), loss
    top_words: list[str]   # the most frequent words, most frequent first
    p_corpus: np.ndarray   # their share of the corpus
    p_negative: np.ndarray  # their share of the negative draws, P ∝ count^0.75


def negative_sampling_example(words: tuple[str, ...], w_in: np.ndarray, w_out: np.ndarray, counts: np.ndarray,
                              centre: str, context: str, k: int, seed: int, top: int = 12) -> NegativeSamplingExample:
    """The loss of (centre -> context) with k negatives drawn by `seed`; W_in, W_out (V, D), counts (V,)."""
    index = {w: i for i, w in enumerate(words)}
    neg_ids = draw_negatives(counts, k, seed)
    terms = example_loss_terms(w_in[index[centre]], w_out[index[context]], w_out[neg_ids])
    order = np.argsort(-counts)[:top]
    return NegativeSamplingExample(centre, context, [words[i] for i in neg_ids], terms, [words[i] for i in order],
                                   (counts / counts.sum())[order], negative_distribution(counts, 0.75)[order])
