"""The learner's own models: one typed store per browser session, whatever the lab.

Every lab that lets a learner train a model keeps it here, written by one widget
(`seqviz.ui.training.train_your_own`), so every page and the checkpoint explorer read the same shape:

    m = store.get("LSTM, lag 30")          # a LearnerModel, or None
    store.models("recurrent")              # this session's models of one lab, by label
    store.models()                         # every lab's

A session's store lives in `st.session_state` (never in a cache): it is freed when the session ends,
and no other session can see it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import streamlit as st

KEY = "learner_models"  # session_state: label -> LearnerModel


@dataclass
class LearnerModel:
    """A model the learner trains in this session, and what the app needs to show, train and save it."""

    lab: str  # the lab's name in seqviz.labs.LABS ("recurrent", "embeddings", "sentiment", ...)
    label: str  # unique in the session: pickers, file names ("LSTM, lag 30")
    run: Any  # a seqviz.training.TrainingRun, or a trainer with .model, .step, .history and .train(n)
    meta: dict | None = None  # what a checkpoint download writes besides architecture and config (vocab,
    #                           class names, task): the file reopens in the explorer. None: not a checkpoint
    settings: dict = field(default_factory=dict)  # plain values the model was started with (its recipe)
    extra: dict = field(default_factory=dict)  # the lab's own record: held-out checks, speeds, ...

    @property
    def model(self):
        return self.run.model

    @property
    def steps(self) -> int:
        return self.run.step


def _all() -> dict[str, LearnerModel]:
    return st.session_state.setdefault(KEY, {})


def models(lab: str | None = None) -> dict[str, LearnerModel]:
    """This session's models by label, in the order they were started (all labs, or one)."""
    return {label: m for label, m in _all().items() if lab is None or m.lab == lab}


def get(label: str) -> LearnerModel | None:
    return _all().get(label)


def put(model: LearnerModel) -> LearnerModel:
    _all()[model.label] = model
    return model


def drop(label: str) -> None:
    _all().pop(label, None)
