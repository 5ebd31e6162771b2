"""Streamlit helpers of the speech lesson (pages/speech.py): cached loaders keyed by names and plain values.

- the shipped dataset (assets/speech-data.*), validated; a missing or corrupt file -> one sentence (st.error)
  and None, so the page can say so and carry on with what does not need it;
- the shipped listen-attend-spell checkpoint (never trained, never mutated) and its traces;
- the training snapshots.
The directory is read from seqviz.zoo_speech.DATA_DIR at call time and is part of every cache key, so a
test can point it at a broken copy.
"""

from __future__ import annotations

import streamlit as st

from seqviz import zoo_speech
from seqviz.checkpoints import Checkpoint, CheckpointError
from seqviz.tasks.speech import SpeechData, SpeechDataError


@st.cache_resource(show_spinner="Loading the speech dataset...")
def _data(directory: str) -> SpeechData:
    from pathlib import Path

    return zoo_speech.load_data(Path(directory))


def speech_data() -> SpeechData | None:
    """The shipped dataset, or None after one sentence saying why it cannot be used."""
    try:
        return _data(str(zoo_speech.DATA_DIR))
    except SpeechDataError as err:
        st.error(f"{err} The rest of the app keeps working; this page needs the dataset for its recordings.")
        return None


@st.cache_resource(show_spinner="Loading the shipped speech model...")
def _model(directory: str) -> Checkpoint:
    from pathlib import Path

    return zoo_speech.load_model(Path(directory))


def speech_model() -> Checkpoint | None:
    try:
        return _model(str(zoo_speech.MODEL_DIR))
    except CheckpointError as err:
        st.error(f"The shipped speech model cannot be used: {err}")
        return None


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_trace(index: int, beam: int = 1):
    """The LASTrace of the shipped model on dataset utterance `index` (greedy, or beam search)."""
    ckpt = _model(str(zoo_speech.MODEL_DIR))
    data = _data(str(zoo_speech.DATA_DIR))
    return ckpt.model.trace(data.features[index], ckpt.vocab, beam=beam)


def snapshots() -> zoo_speech.SpeechSnapshots | None:
    """The training snapshots, or None after a warning sentence (the rest of the page does not need them)."""
    try:
        return _snapshots(str(zoo_speech.MODEL_DIR))
    except zoo_speech.SnapshotError as err:
        st.warning(f"{err} The rest of the page does not need it.")
        return None


@st.cache_resource(show_spinner=False)
def _snapshots(directory: str):
    from pathlib import Path

    return zoo_speech.load_snapshots(Path(directory))
