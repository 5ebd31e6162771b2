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


# -- files the learner uploads (pages/embeddings_pretrained.py) ------------------------------------------
_UPLOAD_KEY = "word_vectors_upload"  # the last file read: {"key": (file id, format, skip), "result": ...}


def read_upload(file_id: str, data: bytes, name: str, fmt: str, skip_bad_rows: bool):
    """Read an uploaded vectors file once per (file, format, skip) and keep only the latest result in this
    session, so reruns do not parse it again. Returns LoadedVectors, or the VectorFileError's sentence."""
    from seqviz.vectorfiles import VectorFileError, read_vectors

    key = (file_id, fmt, skip_bad_rows)
    last = st.session_state.get(_UPLOAD_KEY)
    if last is not None and last["key"] == key:
        return last["result"]
    try:
        result = read_vectors(data, name, fmt, skip_bad_rows=skip_bad_rows)
    except VectorFileError as err:
        result = str(err)
    st.session_state[_UPLOAD_KEY] = {"key": key, "result": result}
    return result
