"""Streamlit helpers for the language-model lesson (pages/transformer_lm.py).

- the shipped tiny GPT and the bigram baseline: `st.cache_resource`, by name, never trained;
- its traces and generations: `st.cache_data`, keyed by the prompt and plain settings;
- the learner's own GPT: `st.session_state[OWN]` (an `OwnLM`), trained in chunks with
  `seqviz.ui.train_live`; after each chunk its validation loss and a short sample are recorded.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import streamlit as st
import torch

from seqviz import ui, zoo_lm
from seqviz.checkpoints import Checkpoint, CheckpointError
from seqviz.models.bigram import BigramLM
from seqviz.models.transformer import LMTrace, TransformerLM
from seqviz.sampling import Generation, generate
from seqviz.tasks.lmtext import LMCorpus, windows
from seqviz.training import TrainingRun

OWN = "gpt_own"  # session_state key of the learner's OwnLM
CHECK_CHARS = 4096  # validation characters scored after each chunk (a few hundred ms)
SAMPLE_CHARS = 120  # characters sampled after each chunk
SAMPLE_SEED = 0


# -- shipped ----------------------------------------------------------------------------------------
@st.cache_resource(show_spinner="Loading the shipped language model...")
def _load_lm(name: str) -> Checkpoint:
    return zoo_lm.load(name)


def shipped_lm(name: str = zoo_lm.NAME) -> Checkpoint | None:
    """The shipped checkpoint, or None after one sentence saying why it cannot be used."""
    try:
        return _load_lm(name)
    except CheckpointError as err:
        st.error(f"The shipped language model cannot be used: {err}")
        return None


@st.cache_resource(show_spinner=False)
def builtin_corpus() -> LMCorpus:
    return zoo_lm.RECIPE.corpus()


@st.cache_resource(show_spinner=False)
def builtin_bigram() -> BigramLM:
    corpus = builtin_corpus()
    return BigramLM.fit(corpus.train_ids, len(corpus.vocab), zoo_lm.RECIPE.bigram_k)


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_trace(name: str, prompt: str, ablate: tuple = ()) -> LMTrace:
    """The trace of the shipped model on the last block_size characters of a checked prompt."""
    ckpt = _load_lm(name)
    context = list(prompt)[-ckpt.model.cfg.block_size:]
    return ckpt.model.trace(ckpt.vocab.encode(context), context, frozenset(ablate))


@st.cache_data(max_entries=64, show_spinner="Generating...")
def shipped_generation(name: str, prompt: str, n_new: int, temperature: float, top_k: int, top_p: float,
                       seed: int) -> Generation:
    ckpt = _load_lm(name)
    return generate(ckpt.model, ckpt.vocab, list(prompt), n_new, temperature, top_k, top_p, seed)


# -- the learner's own model ------------------------------------------------------------------------
@dataclass
class OwnLM:
    run: TrainingRun
    corpus: LMCorpus
    bigram: BigramLM  # fitted on the same training text, for the dashed line
    label: str  # "built-in stories" or "your text (N characters)"
    checks: list[dict] = field(default_factory=list)  # after each chunk: step, val loss, perplexity, sample, seconds
    seconds: float = 0.0  # training time so far

    @property
    def model(self) -> TransformerLM:
        return self.run.model


def own_lm() -> OwnLM | None:
    return st.session_state.get(OWN)


def start_own(corpus: LMCorpus, label: str, seed: int = 0) -> OwnLM:
    """A fresh model with the shipped recipe's shape, on `corpus`, stored in this session."""
    recipe = zoo_lm.RECIPE
    torch.manual_seed(seed)
    model = TransformerLM(recipe.config(len(corpus.vocab)))
    block = min(recipe.block_size, len(corpus.train_ids) - 1)
    run = TrainingRun.start(model, corpus.batches(seed + 1, recipe.batch_size, block), lr=recipe.lr)
    own = OwnLM(run, corpus, BigramLM.fit(corpus.train_ids, len(corpus.vocab), recipe.bigram_k), label)
    st.session_state[OWN] = own
    return own


@torch.no_grad()
def validation_loss(model: TransformerLM, corpus: LMCorpus, limit: int = CHECK_CHARS) -> float | None:
    block = min(model.cfg.block_size, len(corpus.val_ids) - 1)
    if block < 1:
        return None
    x, y = windows(corpus.val_ids, block, limit)
    if not len(x):
        return None
    model.eval()
    return float(model(x, y)[1])


def train_chunk(own: OwnLM, n: int) -> None:
    """n more steps with a progress bar and loss curve; then validation loss and a sample, recorded."""
    start = time.perf_counter()
    ui.train_live(own.run, n, refresh_every=max(5, n // 10))
    own.seconds += time.perf_counter() - start
    loss = validation_loss(own.model, own.corpus)
    prompt = own.corpus.vocab.decode(own.corpus.val_ids[:1].tolist())
    sample = generate(own.model, own.corpus.vocab, prompt, SAMPLE_CHARS, temperature=0.8, seed=SAMPLE_SEED).text
    bigram_x, bigram_y = windows(own.corpus.val_ids, min(own.model.cfg.block_size, len(own.corpus.val_ids) - 1), CHECK_CHARS)
    own.checks.append({"step": own.run.step, "validation loss": loss,
                       "validation perplexity": math.exp(loss) if loss is not None else None,
                       "bigram loss": own.bigram.nll(bigram_x, bigram_y) if len(bigram_x) else None,
                       "bigram perplexity": own.bigram.perplexity(bigram_x, bigram_y) if len(bigram_x) else None,
                       "sample": sample, "seconds": round(own.seconds, 1)})


def own_generation(own: OwnLM, prompt: str, n_new: int, temperature: float, top_k: int, top_p: float,
                   seed: int) -> Generation:
    """Not cached: the model changes with every chunk (and is small)."""
    return generate(own.model, own.corpus.vocab, list(prompt), n_new, temperature, top_k, top_p, seed)


def own_trace(own: OwnLM, prompt: str) -> LMTrace:
    context = list(prompt)[-own.model.cfg.block_size:]
    return own.model.trace(own.corpus.vocab.encode(context), context)


def as_array(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)
