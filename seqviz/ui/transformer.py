"""Streamlit helpers for the transformer lesson (pages/transformer_translation.py): the shipped
encoder-decoder, cached by name and never trained, and its traces cached by plain values (the
sentence, the switched-off heads as a sorted tuple of (kind, layer, head))."""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from seqviz import ui, zoo_transformer
from seqviz.checkpoints import Checkpoint, CheckpointError
from seqviz.models.transformer import TransformerTrace, parameter_count

NAME = zoo_transformer.NAME
RNN_NAME = zoo_transformer.RNN_NAME


@st.cache_resource(show_spinner="Loading the shipped transformer...")
def _load(name: str) -> Checkpoint:
    return zoo_transformer.load(name)


def shipped_transformer(name: str = NAME) -> Checkpoint | None:
    """The shipped transformer checkpoint, or None after one sentence saying why it cannot be used."""
    try:
        return _load(name)
    except CheckpointError as err:
        st.error(f"The shipped model {name!r} cannot be used: {err}")
        return None


@st.cache_data(max_entries=256, show_spinner=False)
def transformer_trace(text: str, ablate: tuple[tuple[str, int, int], ...] = (),
                      target: tuple[str, ...] | None = None, name: str = NAME) -> TransformerTrace:
    """The TransformerTrace of the shipped model on a sentence the page has checked with
    task.check_text (words separated by spaces): greedy decoding with `ablate` switched off, or
    teacher-forced on `target` (words, <eos> included)."""
    ckpt = _load(name)
    tokens = text.split()
    return ckpt.model.trace(ckpt.vocab.encode(tokens), tokens, ckpt.target_vocab,
                            target=None if target is None else list(target), max_len=2 * len(tokens) + 5,
                            ablate=frozenset(ablate))


@st.cache_data(max_entries=8, show_spinner=False)
def positional_table(n: int, name: str = NAME) -> np.ndarray:
    """(n, D) the positional encodings P_0..P_{n-1} the shipped model adds (n clamped to its max_len)."""
    model = _load(name).model
    with torch.no_grad():
        return model.src_pos(max(1, min(n, model.cfg.max_len))).detach().numpy().copy()


@st.cache_data(max_entries=4, show_spinner=False)
def model_comparison() -> list[dict]:
    """One row per shipped translation model (transformer, RNN with attention): exact match on the
    shared test split, parameters, training steps and seconds, from the checkpoints' JSON."""
    rows = []
    for label, loader in (("Transformer (encoder-decoder)", lambda: _load(NAME)),
                          ("GRU encoder-decoder with attention", lambda: ui._load_shipped(RNN_NAME))):
        ckpt = loader()
        m = ckpt.meta
        rows.append({"model": label, "checkpoint": m.get("name", ""),
                     "exact match (test)": m["metrics"]["exact_match"],
                     "test sentences": m["metrics"]["sentences"],
                     "parameters": parameter_count(ckpt.model),
                     "training steps": m["recipe"]["steps"], "training seconds": m.get("train_seconds"),
                     "by_length": m["metrics"]["exact_match_by_length"],
                     "sentences_by_length": m["metrics"]["sentences_by_length"]})
    return rows
