"""Turning a language model's logits into a next token: temperature, top-k, top-p, generation.

Every filter is a pure function on numpy arrays that returns the distribution *before and after*
it, so a page can draw both. The order is the usual one: temperature, then top-k, then top-p.

    p_i = exp(z_i / τ) / Σ_j exp(z_j / τ)                       softmax with temperature τ
    top-k:  keep the k largest p_i, set the rest to 0, renormalise
    top-p:  sort p descending; keep the smallest prefix whose sum reaches p; renormalise

Sensible limits instead of errors: τ = 0 means greedy (all mass on the arg-max), τ outside
[0, MAX_TEMPERATURE] or not a number is clamped with a note; k ≤ 0 switches top-k off, k above the
vocabulary keeps everything (with a note); p = 0 keeps the single most likely token, p = 1 keeps
all, p outside [0, 1] is clamped with a note. Ties are broken by token id, so results are exact.

`generate` runs a model one token at a time from a seed: each step records the distribution before
and after the filters, the token drawn, and the attention of the position that predicted it over
the context (every layer and head), so a page can replay the generation step by step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

MIN_TEMPERATURE = 1e-3  # below this (but above 0) τ is raised to it: exp(z / τ) stays finite in float64
MAX_TEMPERATURE = 100.0  # above this the distribution is uniform to many decimals anyway
MAX_NEW_TOKENS = 400


@dataclass(frozen=True)
class Stage:
    """One filter: the distribution it received and the one it returns (both (V,), sum 1)."""

    name: str  # "temperature", "top-k" or "top-p"
    before: np.ndarray  # (V,)
    after: np.ndarray  # (V,)
    kept: np.ndarray  # (V,) bool: the tokens this stage kept (all others get probability 0 after it)
    note: str | None = None  # set when a value was clamped or the stage changed nothing by design


@dataclass(frozen=True)
class Filtered:
    stages: list[Stage]  # temperature, top-k, top-p, in that order

    @property
    def raw(self) -> np.ndarray:
        """(V,) softmax at τ = 1: the model's own distribution."""
        return self.stages[0].before

    @property
    def probs(self) -> np.ndarray:
        """(V,) the distribution the next token is drawn from."""
        return self.stages[-1].after

    @property
    def notes(self) -> list[str]:
        return [s.note for s in self.stages if s.note]

    @property
    def n_kept(self) -> int:
        """How many tokens can still be drawn after every filter."""
        return int((self.probs > 0).sum())


def softmax(z: np.ndarray) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max())
    return e / e.sum()


def _order(p: np.ndarray) -> np.ndarray:
    """Token ids from most to least likely; ties go to the smaller id (a stable sort of -p)."""
    return np.argsort(-p, kind="stable")


def apply_temperature(logits: np.ndarray, temperature: float) -> Stage:
    """p = softmax(z / τ); τ = 0 is greedy: probability 1 on the arg-max (smallest id on a tie)."""
    z = np.asarray(logits, dtype=np.float64)
    before, note = softmax(z), None
    t = float(temperature) if isinstance(temperature, (int, float)) else math.nan
    if math.isnan(t):
        t, note = 1.0, "The temperature was not a number, so τ = 1 was used."
    elif t < 0:
        t, note = 0.0, f"A temperature below 0 means nothing; τ = 0 (greedy) was used instead of {temperature:g}."
    elif t > MAX_TEMPERATURE:
        t, note = MAX_TEMPERATURE, f"τ = {temperature:g} was clamped to {MAX_TEMPERATURE:g} (already uniform to the eye)."
    if t == 0:
        after = np.zeros_like(before)
        after[_order(before)[0]] = 1.0
        note = note or "τ = 0 is greedy decoding: all the probability goes to the most likely token."
    else:
        if t < MIN_TEMPERATURE:
            note, t = f"τ = {temperature:g} was raised to {MIN_TEMPERATURE:g}, where it is already greedy in effect.", MIN_TEMPERATURE
        after = softmax(z / t)
    return Stage("temperature", before, after, np.ones(len(after), dtype=bool), note)


def top_k_filter(p: np.ndarray, k: int) -> Stage:
    """Keep exactly the k most likely tokens (k ≤ 0: off; k ≥ V: all), renormalise."""
    p = np.asarray(p, dtype=np.float64)
    V, note = len(p), None
    if k <= 0:
        return Stage("top-k", p, p.copy(), np.ones(len(p), dtype=bool), "top-k is off (k = 0): every token stays.")
    if k > V:
        note, k = f"k = {k} is more than the {V} tokens in the vocabulary, so all {V} stay.", V
    keep = np.zeros(V, dtype=bool)
    keep[_order(p)[:k]] = True
    return _renormalised("top-k", p, keep, note)


def top_p_filter(p: np.ndarray, top_p: float) -> Stage:
    """Nucleus: the smallest set of most likely tokens whose probabilities sum to at least top_p.
    top_p = 0 keeps the single most likely token; top_p = 1 keeps every token."""
    p = np.asarray(p, dtype=np.float64)
    note = None
    q = float(top_p) if isinstance(top_p, (int, float)) else math.nan
    if math.isnan(q):
        q, note = 1.0, "top-p was not a number, so p = 1 (off) was used."
    elif not 0 <= q <= 1:
        note, q = f"top-p = {top_p:g} is outside [0, 1]; it was clamped to {min(max(q, 0.0), 1.0):g}.", min(max(q, 0.0), 1.0)
    keep = np.zeros(len(p), dtype=bool)
    order = _order(p)
    if q >= 1:
        keep[:] = True
        note = note or "top-p = 1 keeps every token."
    else:
        cum = np.cumsum(p[order])
        n = int(np.searchsorted(cum, q, side="left")) + 1  # first prefix with sum >= q; q = 0 gives 1
        keep[order[: min(n, len(p))]] = True
    return _renormalised("top-p", p, keep, note)


def _renormalised(name: str, p: np.ndarray, keep: np.ndarray, note: str | None) -> Stage:
    after = np.where(keep, p, 0.0)
    total = after.sum()
    if total <= 0:  # every kept token had probability 0 (cannot happen after a softmax); fall back to greedy
        after = np.zeros_like(p)
        after[_order(p)[0]] = 1.0
    else:
        after = after / total
    return Stage(name, p, after, keep, note)


def filter_logits(logits: np.ndarray, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0) -> Filtered:
    """Temperature, then top-k, then top-p; each stage keeps its before and after."""
    t = apply_temperature(logits, temperature)
    k = top_k_filter(t.after, top_k)
    p = top_p_filter(k.after, top_p)
    return Filtered([t, k, p])


def draw(p: np.ndarray, rng: np.random.Generator) -> int:
    """One token id from p with a seeded generator (inverse CDF: one uniform number per step)."""
    cdf = np.cumsum(p)
    u = rng.random() * cdf[-1]
    return int(min(np.searchsorted(cdf, u, side="right"), len(p) - 1))


# -- generation -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GenStep:
    context: list[str]  # the tokens the model saw (the last block_size of them), (T,)
    filtered: Filtered  # the distribution before and after temperature / top-k / top-p
    token_id: int  # the token drawn
    token: str
    attention: np.ndarray  # (n_layer, n_head, T): how the last context position attended over the context


@dataclass(frozen=True)
class Generation:
    prompt: list[str]
    steps: list[GenStep] = field(default_factory=list)
    seed: int = 0

    @property
    def new_tokens(self) -> list[str]:
        return [s.token for s in self.steps]

    @property
    def text(self) -> str:
        return "".join(self.prompt) + "".join(self.new_tokens)


@torch.no_grad()
def generate(model, vocab, prompt: list[str], n_new: int, temperature: float = 1.0, top_k: int = 0,
             top_p: float = 1.0, seed: int = 0, ablate=frozenset()) -> Generation:
    """Generate n_new tokens one at a time from `prompt` (tokens already checked against `vocab`).

    The same seed and settings give the same tokens. Each step traces the model on the last
    block_size tokens: the trace's logits at the last position give the distribution, and its
    attention rows at that position show what the model looked at to choose the new token."""
    rng = np.random.default_rng(seed)
    block = model.cfg.block_size
    tokens = list(prompt)
    steps = []
    for _ in range(max(0, min(int(n_new), MAX_NEW_TOKENS))):
        context = tokens[-block:]
        trace = model.trace(vocab.encode(context), context, ablate)
        f = filter_logits(np.asarray(trace.logits)[-1], temperature, top_k, top_p)
        idx = draw(f.probs, rng)
        tok = vocab.idx_to_token[idx]
        steps.append(GenStep(context, f, idx, tok, np.asarray(trace.attention)[:, :, -1, :]))
        tokens.append(tok)
    return Generation(list(prompt), steps, seed)
