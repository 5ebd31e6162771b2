"""Streamlit helpers of the Word2Vec and GloVe lessons: cached corpora and shipped vectors, the corpus
picker (built-in or the learner's own text), and live training of a session's own embeddings.

Caching (DESIGN.md): the built-in corpus and the learner's text are cached by plain values (size and
seed, the text itself) with st.cache_data; the shipped vectors once per server with st.cache_resource
(read-only). A learner's trainer lives in st.session_state under the page's key and is updated in
place, so a rerun that interrupts training keeps every epoch already done.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz import zoo_words
from seqviz.checkpoints import CheckpointError
from seqviz.models.glove import Cooccurrence, cooccurrence
from seqviz.tasks import corpus as corpus_mod
from seqviz.tasks.corpus import EncodedCorpus, TextError
from seqviz.ui.vectors import register_session_vectors
from seqviz.wordvectors import analogy_accuracy, group_purity

MAX_UPLOAD_BYTES = corpus_mod.MAX_TEXT_CHARS * 4  # UTF-8 may take up to 4 bytes a character


@st.cache_data(max_entries=6, show_spinner="Generating the built-in corpus...")
def builtin_corpus(tokens: int, seed: int) -> EncodedCorpus:
    return corpus_mod.encode(corpus_mod.build_corpus(tokens, seed))


@st.cache_data(max_entries=6, show_spinner="Reading your text...")
def text_corpus(text: str) -> tuple[EncodedCorpus | None, str | None, int]:
    """(encoded corpus or None, advice or None, tokens) for the learner's text (already size-checked)."""
    check = corpus_mod.corpus_from_text(text)
    if check.corpus is None:
        return None, check.advice, 0
    return corpus_mod.encode(check.corpus), check.advice, check.corpus.num_tokens


@st.cache_resource(show_spinner="Loading the shipped vectors...")
def _shipped(method: str) -> zoo_words.ShippedWords:
    return zoo_words.load_shipped(method)


def shipped(method: str) -> zoo_words.ShippedWords | None:
    """The shipped vectors of a method, or None after one sentence on the page saying why not."""
    try:
        return _shipped(method)
    except CheckpointError as err:
        st.error(str(err))
        return None


@st.cache_data(max_entries=8, show_spinner="Counting co-occurrences...")
def builtin_cooccurrence(tokens: int, seed: int, window: int) -> Cooccurrence:
    data = builtin_corpus(tokens, seed)
    return cooccurrence(data.ids, data.sentence, len(data.words), window)


def _read_upload(upload) -> str | None:
    """The uploaded file as text, or None after one sentence saying why it cannot be read."""
    if upload.size > MAX_UPLOAD_BYTES:
        st.error(f"The file is {upload.size / 2**20:.1f} MB; the limit is {MAX_UPLOAD_BYTES / 2**20:.0f} MB of text.")
        return None
    raw = upload.getvalue()
    if b"\x00" in raw[:4096]:
        st.error("This file is not plain text (it looks binary): upload a .txt file.")
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        st.error("This file is not UTF-8 text: save it as UTF-8 plain text and upload it again.")
        return None


def corpus_picker(prefix: str):
    """The corpus widgets: built-in (size and seed) or your own text (pasted or uploaded). Returns
    (load, label): `load()` gives the encoded corpus (the built-in one is generated only when called,
    so a page that does not train never pays for it), or load is None when there is nothing usable
    (the reason is already on the page)."""
    st.session_state.setdefault(f"{prefix}_corpus", "Built-in")
    if st.session_state[f"{prefix}_corpus"] not in ("Built-in", "Your text"):
        st.session_state[f"{prefix}_corpus"] = "Built-in"
    source = st.segmented_control("Corpus", ["Built-in", "Your text"], key=f"{prefix}_corpus")
    if source != "Your text":
        c1, c2 = st.columns(2)
        tokens = c1.slider("Built-in corpus size (tokens)", 20_000, 300_000, corpus_mod.DEFAULT_TOKENS, 10_000,
                           key=f"{prefix}_tokens")
        seed = c2.number_input("Corpus seed", 0, 999, 0, key=f"{prefix}_seed")
        return (lambda: builtin_corpus(int(tokens), int(seed))), f"the built-in corpus ({int(tokens):,} tokens, seed {int(seed)})"
    st.caption(f"Paste text or upload a UTF-8 .txt file: at most {corpus_mod.MAX_TEXT_CHARS:,} characters "
               f"(about 350,000 words). Words are lowercased; punctuation, symbols and emoji are dropped; "
               f"sentences end at . ! ? ; : and line breaks. {corpus_mod.MIN_TEXT_TOKENS:,}+ words are needed "
               "for vectors worth looking at.")
    upload = st.file_uploader("Upload a text file", type=["txt"], key=f"{prefix}_upload")
    text = st.text_area("Or paste your text", key=f"{prefix}_text", height=140,
                        max_chars=corpus_mod.MAX_TEXT_CHARS)
    name = "your text"
    if upload is not None:
        text, name = _read_upload(upload), "your file"
        if text is None:
            return None, name
    if not text or not text.strip():
        st.info("Paste or upload some text to train on it.")
        return None, name
    try:
        corpus_mod.tokenize(text)
    except TextError as err:
        st.error(str(err))
        return None, name
    data, advice, n = text_corpus(text)
    if advice:
        st.warning(advice)
    if data is None:
        return None, name
    return (lambda: data), f"{name} ({n:,} tokens, {len(data.words):,} distinct words)"


def train_live(trainer, epochs: int, label: str) -> None:
    """Train `epochs` more epochs with a progress bar and a loss curve redrawn at every event; the
    trainer lives in session_state, so what is done stays done if a rerun interrupts."""
    from seqviz.plotting.embeddings_training import loss_curve

    bar = st.progress(0.0, text=f"Training {label}...")
    chart = st.empty()
    for event in trainer.train(epochs):
        bar.progress(min(1.0, event.progress),
                     text=f"Epoch {event.epoch}, step {event.step}: loss {event.loss:.4f}")
        if event.epoch_end and trainer.history:
            steps, losses = zip(*trainer.history)
            chart.plotly_chart(loss_curve(steps, losses), width="stretch", key=f"live-{label}-{event.step}")
    bar.empty()
    chart.empty()


def register(label: str, trainer) -> None:
    """Offer the trainer's vectors to the explorer (replacing an older version of the same label)."""
    register_session_vectors(label, trainer.vectors())


@st.cache_data(max_entries=32, show_spinner=False)
def snapshot_metrics(key: str, _snapshots: list, words: tuple, groups: dict, analogies: tuple) -> tuple[list, list]:
    """Analogy accuracy and purity of each snapshot (cached by the caller's key: a run label and its
    number of snapshots)."""
    from seqviz.wordvectors import WordVectors

    an, pu = [], []
    for snap in _snapshots:
        wv = WordVectors(words, np.asarray(snap, dtype=np.float32), groups or None, key)
        an.append(analogy_accuracy(wv, analogies) if analogies else 0.0)
        pu.append(group_purity(wv) if groups else 0.0)
    return an, pu
