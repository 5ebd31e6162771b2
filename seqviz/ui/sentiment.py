"""Streamlit helpers of the sentiment lesson (pages/sentiment.py): cached shipped models and their
answers, keyed by names and plain values; the learner's own models in this session.

- shipped checkpoints: `st.cache_resource` by name, never trained or mutated;
- predictions, traces, attributions, test-set predictions: `st.cache_data` by name and token tuple;
- a model the learner trains: st.session_state[OWN], label -> OwnModel (its TrainingRun and checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import streamlit as st

from seqviz import zoo_sentiment as zs
from seqviz.attribution import attribute
from seqviz.checkpoints import Checkpoint, CheckpointError
from seqviz.tasks.sentiment import PHENOMENA, Review, SentimentTask, predict, score

OWN = "sentiment_own"
TASK = SentimentTask()
CHECK_REVIEWS = 600  # test reviews scored after each training chunk of a learner's model


@st.cache_resource(show_spinner="Loading the shipped sentiment models...")
def _load(name: str) -> Checkpoint:
    return zs.load(name)


def shipped(name: str) -> Checkpoint | None:
    """The shipped checkpoint, or None after one sentence saying why it cannot be used."""
    try:
        return _load(name)
    except CheckpointError as err:
        st.error(f"The shipped model {name!r} cannot be used: {err}")
        return None


def shipped_models() -> dict[str, Checkpoint]:
    """label -> checkpoint for every shipped model that loads (the others show an error)."""
    out = {}
    for name in zs.NAMES:
        ckpt = shipped(name)
        if ckpt is not None:
            out[zs.ARCHS[zs.SENTIMENT_RECIPES[name].arch][0]] = ckpt
    return out


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_probs(name: str, tokens: tuple[str, ...]) -> np.ndarray:
    ckpt = _load(name)
    return predict(ckpt.model, [Review(tokens, 0, (), "typed")], ckpt.vocab)[0]


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_trace(name: str, tokens: tuple[str, ...]):
    ckpt = _load(name)
    return ckpt.model.trace(ckpt.vocab.encode(tokens), list(tokens), ckpt.task.class_names)


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_attribution(name: str, tokens: tuple[str, ...], method: str):
    ckpt = _load(name)
    return attribute(ckpt.model, ckpt.vocab.encode(tokens), list(tokens), method)


@st.cache_data(max_entries=8, show_spinner="Scoring the test reviews...")
def shipped_test_probs(name: str) -> np.ndarray:
    """p(class) of a shipped model on its recipe's whole test set (N, C)."""
    ckpt = _load(name)
    return predict(ckpt.model, zs.SENTIMENT_RECIPES[name].test_reviews(), ckpt.vocab)


@st.cache_resource(show_spinner=False)
def test_reviews() -> list[Review]:
    """The recipes' shared test set (same task, seed and size for every shipped model)."""
    return zs.SENTIMENT_RECIPES[zs.NAMES[0]].test_reviews()


def embedding_vectors():
    """The embeddings lab's shipped skip-gram vectors (seqviz.wordvectors.WordVectors), or None if that lab
    is not installed or its vectors cannot be read."""
    try:
        from seqviz.zoo_words import shipped_vectors
    except ImportError:
        return None
    try:
        return _cached_vectors(shipped_vectors)
    except Exception:  # any failure of another lab's loader leaves this page working
        return None


@st.cache_resource(show_spinner=False)
def _cached_vectors(_loader):
    return _loader("skipgram")


# -- the learner's own models ------------------------------------------------------------------------
@dataclass
class OwnModel:
    label: str
    arch: str
    run: object  # seqviz.training.TrainingRun
    init: str  # "random" or the vectors' source
    checks: list[dict] = field(default_factory=list)  # {"step", **score(...)} after each chunk


def own_models() -> dict[str, OwnModel]:
    return st.session_state.setdefault(OWN, {})


def check(own: OwnModel) -> dict:
    """Score the learner's model on the first CHECK_REVIEWS test reviews and record it."""
    reviews = test_reviews()[:CHECK_REVIEWS]
    result = {"step": own.run.step, **score(reviews, predict(own.run.model, reviews, TASK.vocab()))}
    own.checks.append(result)
    return result


def own_probs(own: OwnModel, tokens: tuple[str, ...]) -> np.ndarray:
    return predict(own.run.model, [Review(tokens, 0, (), "typed")], TASK.vocab())[0]


__all__ = ["PHENOMENA", "shipped", "shipped_models", "own_models", "check", "embedding_vectors"]
