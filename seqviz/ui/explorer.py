"""Streamlit helpers of the embedding explorer: where vectors come from, and cached projections.

Sources: the shipped CBOW, skip-gram and GloVe vectors (`seqviz.zoo_words.shipped_vectors`, cached once
per server with st.cache_resource, never mutated) and this session's vectors (`seqviz.ui.vectors`).

Projections are cached with st.cache_data keyed by plain values only: the source's name, a fingerprint
of the rows projected (a session's "skip-gram, 5 epochs" differs from another session's), the word
list, the method and the number of dimensions. The rows themselves travel in an argument whose name
starts with "_", which streamlit leaves out of the key. So a rerun after any widget change that leaves
those values alone (a neighbour's word, the analogy, labels on or off) reads the cache and never
recomputes; tests/test_page_explorer.py counts the calls to prove it.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from seqviz import projection as proj
from seqviz import wordvectors as wvm
from seqviz.ui.vectors import session_vectors
from seqviz.wordvectors import WordVectors

SHIPPED = {"cbow": "CBOW (shipped)", "skipgram": "Skip-gram (shipped)", "glove": "GloVe (shipped)"}


@st.cache_resource(show_spinner="Loading the shipped vectors...")
def _shipped(method: str) -> WordVectors:
    from seqviz import zoo_words

    return zoo_words.shipped_vectors(method)


def shipped_vectors(method: str) -> tuple[WordVectors | None, str | None]:
    """(vectors, None), or (None, one sentence saying why the shipped vectors cannot be used)."""
    try:
        return _shipped(method), None
    except ImportError:
        return None, f"The shipped {SHIPPED[method]} vectors are not part of this installation."
    except (OSError, ValueError, KeyError) as err:  # a missing or damaged asset
        return None, f"The shipped {SHIPPED[method]} vectors cannot be read: {str(err).splitlines()[0][:200]}"


def sources() -> tuple[dict[str, WordVectors], dict[str, str], list[str]]:
    """Every source the explorer offers: (key -> vectors, key -> label, problems as sentences).
    Keys are "cbow", "skipgram", "glove" for the shipped vectors and "mine:<label>" for the session's."""
    vectors, labels, problems = {}, {}, []
    for method, label in SHIPPED.items():
        wv, err = shipped_vectors(method)
        if wv is None:
            problems.append(err)
        else:
            vectors[method], labels[method] = wv, label
    for label, wv in session_vectors().items():
        vectors[f"mine:{label}"], labels[f"mine:{label}"] = wv, f"Mine: {label}"
    return vectors, labels, problems


def fingerprint(wv: WordVectors, words: tuple[str, ...]) -> str:
    """A short digest of the rows of `words` (bytes of float32 numbers): equal rows, equal key."""
    rows = np.ascontiguousarray(wv.vectors[[wv.index(w) for w in words]], dtype=np.float32)
    return hashlib.blake2b(rows.tobytes(), digest_size=16).hexdigest()


@st.cache_data(max_entries=64, show_spinner="Projecting the words (once; later views read the cache)...")
def _projection(source: str, digest: str, words: tuple[str, ...], method: str, dims: int,
                _rows: np.ndarray) -> proj.Projection:
    return proj.project(_rows, method, dims)  # attribute lookup: a test can count the calls


def projection(source: str, wv: WordVectors, words: list[str], method: str, dims: int) -> proj.Projection:
    """The projection of `words` of `wv`, computed once per (source, rows, words, method, dims)."""
    key = tuple(words)
    rows = wv.vectors[[wv.index(w) for w in key]]
    return _projection(source, fingerprint(wv, key), key, method, dims, rows)


@st.cache_data(max_entries=16, show_spinner=False)
def _purity(source: str, digest: str, _wv: WordVectors, k: int) -> float:
    return wvm.group_purity(_wv, k=k)


def group_purity(source: str, wv: WordVectors, k: int = 5) -> float:
    """Share of grouped words whose k nearest neighbours are all in their own group (cached per source)."""
    grouped = tuple(w for w in (wv.groups or {}) if w in wv)
    digest = f"{len(wv.words)}:{fingerprint(wv, grouped) if grouped else 'none'}"  # cheap: grouped rows only
    return _purity(source, digest, wv, k)


@st.cache_data(max_entries=8, show_spinner=False)
def shipped_file(method: str, fmt: str) -> bytes:
    """The shipped vectors of `method` written as a file in `fmt` (a sample to read, and a download)."""
    from seqviz.vectorfiles import write_vectors

    return write_vectors(_shipped(method), fmt)
