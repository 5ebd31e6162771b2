"""Attention step by step: queries, keys, values, scores, scaling, masking, softmax, weighted sum.

The attention lesson's computations, written out one stage at a time so a page can show every number.
No streamlit here; the page is pages/attention_basics.py and the figures are in plotting/attention.py.

A tiny self-attention example: a short sentence of T words (rows of X, one d_model-vector a word), and
seeded projection matrices. Row vectors, as in the transformer paper:

    Q = X W_Q,   K = X W_K,   V = X W_V                     X: (T, d_model), W_Q, W_K: (d_model, d_k), W_V: (d_model, d_v)
    S = Q K^T                                              "dot" scoring, S: (T, T), S[i, j] = q_i . k_j
    S = Q K^T / sqrt(d_k)                                  "scaled" scoring
    S[i, j] = v_a^T tanh(W_q q_i + W_k k_j)                "additive" (Bahdanau) scoring, W_q, W_k: (d_a, d_k), v_a: (d_a,)
    M = S with -inf where j > i                            optional causal mask
    A = softmax(M / tau) row by row                        temperature tau > 0; rows sum to 1, masked entries are 0
    O = A V                                                output, (T, d_v): o_i = sum_j A[i, j] v_j

Usage:
    cfg = AttentionConfig(d_k=3, seed=0)
    check = check_sentence("the cat sat on the mat", cfg)
    ex = build_example(check.words, cfg)
    steps = attend(ex.X, ex.W_Q, ex.W_K, ex.W_V, scoring="scaled", temperature=1.0, causal=True,
                   extra=ex.additive)

Everything is computed with torch in float64 and returned as numpy; tests/test_attention.py checks it
against torch.nn.functional.scaled_dot_product_attention, nn.MultiheadAttention and a direct loop.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np
import torch

SCORINGS = ("dot", "scaled", "additive")
SCORING_NAMES = {"dot": "Dot product", "scaled": "Scaled dot product", "additive": "Additive (Bahdanau)"}
TEMPERATURES = ("0.1", "0.15", "0.2", "0.3", "0.5", "0.7", "1", "1.5", "2", "3", "5", "7", "10")  # log-spaced
MIN_TEMPERATURE, MAX_TEMPERATURE = 0.1, 10.0
D_K_CHOICES = (2, 3, 4, 8, 16)
SPREAD_SIZES = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # d_k values of the sqrt(d_k) argument's figure


@dataclass(frozen=True)
class AttentionConfig:
    d_model: int = 4  # size of a word's vector x_i (columns of X)
    d_k: int = 3  # size of a query q_i and a key k_j (columns of Q and K)
    d_v: int | None = None  # size of a value v_j and an output o_i; None: the same as d_k
    d_a: int = 3  # hidden size of the additive scorer (rows of W_q and W_k, length of v_a)
    seed: int = 0  # seeds every weight matrix; word vectors depend on the word only
    max_words: int = 8  # the longest sentence, so every T x T matrix fits on screen
    max_word_chars: int = 20  # the longest word, so axis labels stay readable
    max_chars: int = 200  # the longest text accepted at all
    decimals: int = 2  # weights and word vectors are rounded so the learner can redo the sums by hand

    @property
    def value_size(self) -> int:
        return self.d_k if self.d_v is None else self.d_v


@dataclass(frozen=True)
class SentenceCheck:
    words: list[str]  # the words to use (empty when there is an error)
    error: str | None  # one sentence saying what is wrong, or None


@dataclass(frozen=True)
class AdditiveWeights:
    """Bahdanau's scorer: score(q, k) = v_a^T tanh(W_q q + W_k k)."""

    W_q: np.ndarray  # (d_a, d_k)
    W_k: np.ndarray  # (d_a, d_k)
    v_a: np.ndarray  # (d_a,)


@dataclass(frozen=True)
class Example:
    words: list[str]  # (T,)
    X: np.ndarray  # (T, d_model) one row a word
    W_Q: np.ndarray  # (d_model, d_k)
    W_K: np.ndarray  # (d_model, d_k)
    W_V: np.ndarray  # (d_model, d_v)
    additive: AdditiveWeights


@dataclass(frozen=True)
class AdditiveTerms:
    """The inside of the additive scorer, for writing one score out."""

    Wq_q: np.ndarray  # (T, d_a)    row i is W_q q_i
    Wk_k: np.ndarray  # (T, d_a)    row j is W_k k_j
    hidden: np.ndarray  # (T, T, d_a) [i, j] is tanh(W_q q_i + W_k k_j)


@dataclass(frozen=True)
class AttentionSteps:
    """Every stage of one attention computation (rows i are queries, columns j are keys)."""

    scoring: str  # "dot", "scaled" or "additive"
    temperature: float  # tau
    causal: bool
    X: np.ndarray  # (T, d_model)
    Q: np.ndarray  # (T, d_k)
    K: np.ndarray  # (T, d_k)
    V: np.ndarray  # (T, d_v)
    raw: np.ndarray  # (T, T) q_i . k_j, or the additive score
    scaled: np.ndarray  # (T, T) raw / sqrt(d_k) for "scaled", raw otherwise
    allowed: np.ndarray  # (T, T) bool, False where the causal mask hides key j from query i
    masked: np.ndarray  # (T, T) scaled, with -inf where not allowed
    logits: np.ndarray  # (T, T) masked / tau: what the softmax receives
    weights: np.ndarray  # (T, T) softmax of each row of logits; rows sum to 1, masked entries exactly 0
    output: np.ndarray  # (T, d_v) weights @ V
    additive: AdditiveTerms | None  # the scorer's inside, "additive" only

    @property
    def d_k(self) -> int:
        return self.Q.shape[1]

    @property
    def scale(self) -> float:
        """What the raw scores were divided by before the mask: sqrt(d_k) or 1."""
        return math.sqrt(self.d_k) if self.scoring == "scaled" else 1.0

    @property
    def row_sum_error(self) -> float:
        """The largest |sum_j alpha_ij - 1| over the rows: rounding only."""
        return float(np.abs(self.weights.sum(axis=1) - 1).max(initial=0.0))

    def visible(self, i: int) -> int:
        """How many keys query i (0-based) may look at."""
        return int(self.allowed[i].sum())


# -- the learner's sentence ----------------------------------------------------------------------
def check_sentence(text: str, cfg: AttentionConfig = AttentionConfig()) -> SentenceCheck:
    """Split on whitespace; one clear sentence when the text cannot be used. Any characters are allowed
    in a word (emoji, brackets, HTML): the page shows them only with native elements."""
    if len(text) > cfg.max_chars:
        return SentenceCheck([], f"The text has {len(text):,} characters; use a short sentence of at most "
                                 f"{cfg.max_words} words ({cfg.max_chars} characters).")
    words = text.split()
    if not words:
        return SentenceCheck([], "Type a sentence of one to "
                                 f"{cfg.max_words} words, separated by spaces.")
    if len(words) > cfg.max_words:
        return SentenceCheck([], f"The sentence has {len(words)} words; use at most {cfg.max_words} so every "
                                 "matrix fits on screen.")
    long = [w for w in words if len(w) > cfg.max_word_chars]
    if long:
        return SentenceCheck([], f"A word has {len(long[0])} characters; keep each word under "
                                 f"{cfg.max_word_chars + 1}.")
    return SentenceCheck(words, None)


def word_vector(word: str, cfg: AttentionConfig = AttentionConfig()) -> np.ndarray:
    """A made-up embedding: the same word always gets the same vector, whatever the seed or sentence.

    A stable hash of the word (CRC-32 of its UTF-8 bytes; Python's hash() changes between runs) seeds a
    generator that draws d_model numbers from N(0, 1), rounded to cfg.decimals.
    """
    rng = np.random.default_rng([zlib.crc32(word.encode("utf-8")), cfg.d_model])
    return np.round(rng.standard_normal(cfg.d_model), cfg.decimals)  # (d_model,)


def build_example(words: list[str], cfg: AttentionConfig = AttentionConfig()) -> Example:
    """X from the words, and every weight matrix from cfg.seed.

    Entries of W_Q, W_K, W_V are N(0, 1/d_model), so with unit-variance x_i the entries of q_i and k_j
    have variance about 1 and q_i . k_j has variance about d_k: what scaling by sqrt(d_k) undoes.
    """
    X = np.stack([word_vector(w, cfg) for w in words]) if words else np.zeros((0, cfg.d_model))  # (T, d_model)
    rng = np.random.default_rng(cfg.seed)

    def draw(shape, std):
        return np.round(rng.standard_normal(shape) * std, cfg.decimals)

    W_Q = draw((cfg.d_model, cfg.d_k), 1 / math.sqrt(cfg.d_model))
    W_K = draw((cfg.d_model, cfg.d_k), 1 / math.sqrt(cfg.d_model))
    W_V = draw((cfg.d_model, cfg.value_size), 1 / math.sqrt(cfg.d_model))
    additive = AdditiveWeights(W_q=draw((cfg.d_a, cfg.d_k), 1 / math.sqrt(cfg.d_k)),
                               W_k=draw((cfg.d_a, cfg.d_k), 1 / math.sqrt(cfg.d_k)),
                               v_a=draw((cfg.d_a,), 1.0))
    return Example(list(words), X, W_Q, W_K, W_V, additive)


def check_vectors(values, rows: int, cols: int, limit: float = 100.0) -> tuple[np.ndarray | None, str | None]:
    """Vectors the learner typed (a table or array): (X, None), or (None, one sentence) when unusable."""
    try:
        X = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return None, "Every cell of the table must be a number."
    if X.shape != (rows, cols):
        return None, f"The table must have {rows} rows (one a word) and {cols} columns; it has shape {X.shape}."
    if not np.isfinite(X).all():
        return None, "Every cell of the table must be a finite number; fill in the empty cells."
    if np.abs(X).max(initial=0.0) > limit:
        return None, f"Keep every number between -{limit:g} and {limit:g}."
    return X, None


# -- attention, one stage at a time ---------------------------------------------------------------
def causal_allowed(T: int) -> np.ndarray:
    """(T, T) bool: query i may look at key j only when j <= i (nothing from the future)."""
    return np.tril(np.ones((T, T), dtype=bool))


def attend(X, W_Q, W_K, W_V, scoring: str = "scaled", temperature: float = 1.0, causal: bool = False,
           extra: AdditiveWeights | None = None) -> AttentionSteps:
    """Self-attention of the rows of X on each other, returning every intermediate (float64 numpy)."""
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {SCORINGS}, not {scoring!r}")
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number, not {temperature!r}")
    if scoring == "additive" and extra is None:
        raise ValueError("additive scoring needs its weights (W_q, W_k, v_a) in extra")

    def t(a):
        return torch.as_tensor(np.asarray(a), dtype=torch.float64)

    x = t(X)  # (T, d_model)
    T = x.shape[0]
    # Projections: row i of Q is the query of word i, and so on.
    Q = x @ t(W_Q)  # (T, d_k)
    K = x @ t(W_K)  # (T, d_k)
    V = x @ t(W_V)  # (T, d_v)
    d_k = Q.shape[1]
    terms = None
    if scoring == "additive":
        # score(q_i, k_j) = v_a^T tanh(W_q q_i + W_k k_j): a one-hidden-layer network on the pair.
        Wq_q = Q @ t(extra.W_q).T  # (T, d_a)  row i: W_q q_i
        Wk_k = K @ t(extra.W_k).T  # (T, d_a)  row j: W_k k_j
        hidden = torch.tanh(Wq_q[:, None, :] + Wk_k[None, :, :])  # (T, T, d_a)
        raw = hidden @ t(extra.v_a)  # (T, T)
        scaled = raw
        terms = AdditiveTerms(Wq_q.numpy(), Wk_k.numpy(), hidden.numpy())
    else:
        raw = Q @ K.T  # (T, T)  raw[i, j] = q_i . k_j
        # A dot product of d_k unit-variance terms has variance d_k: dividing by sqrt(d_k) brings it to 1.
        scaled = raw / math.sqrt(d_k) if scoring == "scaled" else raw
    allowed = torch.as_tensor(causal_allowed(T)) if causal else torch.ones((T, T), dtype=torch.bool)
    masked = scaled.masked_fill(~allowed, float("-inf"))  # (T, T)
    logits = masked / temperature  # (T, T); -inf stays -inf
    # softmax(z)_j = exp(z_j) / sum_j' exp(z_j'); exp(-inf) = 0, so masked keys get exactly 0.
    weights = torch.softmax(logits, dim=-1)  # (T, T)
    output = weights @ V  # (T, d_v)  o_i = sum_j weights[i, j] v_j
    return AttentionSteps(scoring, float(temperature), bool(causal), x.numpy(), Q.numpy(), K.numpy(), V.numpy(),
                          raw.numpy(), scaled.numpy(), allowed.numpy(), masked.numpy(), logits.numpy(),
                          weights.numpy(), output.numpy(), terms)


def score_spread(steps: AttentionSteps) -> tuple[float, float]:
    """Standard deviation of q_i . k_j over the visible pairs, before and after dividing by sqrt(d_k).

    Always the dot products of this example's Q and K, whichever scoring the page shows, since that is
    what the sqrt(d_k) argument is about.
    """
    dots = (steps.Q @ steps.K.T)[steps.allowed]
    return float(np.std(dots)), float(np.std(dots / math.sqrt(steps.d_k)))


def dot_product_spread(d_values, n: int = 4000, seed: int = 0) -> np.ndarray:
    """Standard deviation of q . k for random q, k with N(0, 1) entries, for each size d: about sqrt(d)."""
    rng = np.random.default_rng(seed)
    out = []
    for d in d_values:
        q, k = rng.standard_normal((2, n, int(d)))
        out.append(np.std((q * k).sum(axis=1)))
    return np.array(out)


def temperature_sweep(scores_row: np.ndarray, allowed_row: np.ndarray, taus) -> np.ndarray:
    """One query's weights softmax(s / tau) for each tau: (len(taus), T); masked keys stay at 0.

    Small tau sharpens the row towards a one-hot on the largest score; large tau flattens it towards
    uniform over the visible keys.
    """
    s = torch.as_tensor(np.asarray(scores_row, dtype=np.float64))
    s = s.masked_fill(~torch.as_tensor(np.asarray(allowed_row, dtype=bool)), float("-inf"))  # (T,)
    taus = torch.as_tensor(np.asarray(taus, dtype=np.float64))[:, None]  # (n, 1)
    return torch.softmax(s[None, :] / taus, dim=-1).numpy()  # (n, T)


def temperature_of(text: str) -> float:
    """The temperature a picker (or a link) asked for, kept in [MIN_TEMPERATURE, MAX_TEMPERATURE]."""
    return min(max(float(text), MIN_TEMPERATURE), MAX_TEMPERATURE)


def temperature_curve(steps: AttentionSteps, i: int, taus=None) -> tuple[np.ndarray, np.ndarray]:
    """Query i's (0-based) weights over its keys as the temperature runs over `taus` (61 log-spaced values
    from 0.1 to 10 by default): (taus (n,), weights (n, T)), from the scores the softmax divides by tau."""
    taus = np.geomspace(MIN_TEMPERATURE, MAX_TEMPERATURE, 61) if taus is None else np.asarray(taus, dtype=float)
    return taus, temperature_sweep(steps.scaled[i], steps.allowed[i], taus)


def top_weight(steps: AttentionSteps, i: int, temperature: float) -> float:
    """The largest weight query i (0-based) would give at another temperature."""
    return float(temperature_sweep(steps.scaled[i], steps.allowed[i], [temperature]).max())
