"""Word vectors a learner made or brought in this session, shared by the embedding pages.

The Word2Vec and GloVe pages register what they train; the pretrained-vectors page registers what
it loads; the explorer lists them beside the shipped vectors. Lives in st.session_state, so one
student's vectors never reach another's session, and a page opened first by URL finds an empty dict.
"""

from __future__ import annotations

import streamlit as st

from seqviz.wordvectors import WordVectors

_KEY = "word_vectors"


def session_vectors() -> dict[str, WordVectors]:
    """label -> vectors made or loaded in this session (empty in a new session)."""
    return st.session_state.setdefault(_KEY, {})


def register_session_vectors(label: str, vectors: WordVectors) -> None:
    """Add or replace `label` (e.g. "skip-gram, trained here, 5 epochs")."""
    session_vectors()[label] = vectors
