"""Streamlit helpers of the embeddings lab (Word2Vec, GloVe, the explorer, pretrained vectors).

- Corpora: the built-in corpus and the learner's text, cached by plain values (size and seed, the text);
  the corpus picker (built-in or your text, pasted or uploaded).
- The learner's vectors: `train_vectors` is the lab's "train your own" block, seqviz.ui.training.
  train_your_own counted in epochs; the run (seqviz.labs.embeddings.EpochRun) lives in the one store
  (seqviz.ui.store) as a LearnerModel(lab="embeddings", meta=None), and `session_vectors()` lists its
  vectors (and the files loaded on the pretrained-vectors page) for the explorer.
- Shipped vectors: through the generic loader (ui.shipped / labs.load, cached once per server).
- Projections and purity: cached with st.cache_data by plain values only (the source's name, a
  fingerprint of the rows, the words, the method, the dimensions); the rows travel in an argument whose
  name starts with "_", which streamlit leaves out of the key, so a rerun that leaves those values alone
  never recomputes (tests/test_page_explorer.py counts the calls).
"""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import streamlit as st

from seqviz import projection as proj
from seqviz import wordvectors as wvm
from seqviz.checkpoints import CheckpointError
from seqviz.labs import embeddings as lab
from seqviz.models.glove import Cooccurrence, cooccurrence
from seqviz.tasks import corpus as corpus_mod
from seqviz.tasks.corpus import EncodedCorpus, TextError
from seqviz.ui import classroom, store, training
from seqviz.ui.store import LearnerModel
from seqviz.wordvectors import WordVectors

MAX_UPLOAD_BYTES = corpus_mod.MAX_TEXT_CHARS * 4  # UTF-8 may take up to 4 bytes a character
SHIPPED = {"cbow": "CBOW (shipped)", "skipgram": "Skip-gram (shipped)", "glove": "GloVe (shipped)"}
EXTRA = {"glove-paired": "GloVe, paired corpus (shipped)"}  # the explorer lists these too, outside the side-by-side
LOADED_KEY = "loaded_vectors"  # session_state: label -> WordVectors read from a file (pretrained page)
_UPLOAD_KEY = "loaded_vectors_last"  # the last file read: {"key": (file id, format, skip), "result": ...}


# -- corpora -----------------------------------------------------------------------------------------
@st.cache_data(max_entries=6, show_spinner="Generating the built-in corpus...")
def builtin_corpus(tokens: int = corpus_mod.DEFAULT_TOKENS, seed: int = 0, paired: bool = False) -> EncodedCorpus:
    return corpus_mod.encode(corpus_mod.build_corpus(tokens, seed, paired=paired))


@st.cache_data(max_entries=6, show_spinner="Reading your text...")
def text_corpus(text: str) -> tuple[EncodedCorpus | None, str | None, int]:
    """(encoded corpus or None, advice or None, tokens) for the learner's text (already size-checked)."""
    check = corpus_mod.corpus_from_text(text)
    if check.corpus is None:
        return None, check.error, 0
    return corpus_mod.encode(check.corpus), check.note, check.corpus.num_tokens


@st.cache_data(max_entries=8, show_spinner="Counting co-occurrences...")
def builtin_cooccurrence(window: int, tokens: int = corpus_mod.DEFAULT_TOKENS, seed: int = 0,
                         paired: bool = False) -> Cooccurrence:
    data = builtin_corpus(tokens, seed, paired)
    return cooccurrence(data.ids, data.sentence, len(data.words), window)


@st.cache_data(max_entries=32, show_spinner=False)
def counts(words: tuple[str, ...], window: int, paired: bool = False) -> np.ndarray:
    """X_ij of the default built-in corpus (its paired setting if `paired`) among `words` (n, n), for a window
    of `window` words each side; a word the corpus lacks has a row and column of zeros."""
    index = {w: i for i, w in enumerate(builtin_corpus(paired=paired).words)}
    known = [k for k, w in enumerate(words) if w in index]
    X = np.zeros((len(words), len(words)))
    X[np.ix_(known, known)] = builtin_cooccurrence(window, paired=paired).dense([index[words[k]] for k in known])
    return X


def count(a: str, b: str, window: int, paired: bool = False) -> float:
    """X(a, b) of the built-in corpus (0 when they never meet within the window)."""
    return float(counts((a, b), window, paired)[0, 1])


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
        c1, c2, c3 = st.columns([2, 1, 1.2])
        tokens = c1.slider("Built-in corpus size (tokens)", 20_000, 300_000, corpus_mod.DEFAULT_TOKENS, 10_000,
                           key=f"{prefix}_tokens")
        seed = c2.number_input("Corpus seed", 0, 999, 0, key=f"{prefix}_seed")
        setting = c3.segmented_control("Setting", ["Plain", "Paired"], default="Plain", required=True,
                                       key=f"{prefix}_train_setting",
                                       help="Plain: one grouped word a sentence. Paired: each such sentence names "
                                            "a second word of the same family (the GloVe lesson's section 6).")
        paired = setting == "Paired"
        label = f"the built-in {lab.SETTING_LABELS[paired]} ({int(tokens):,} tokens, seed {int(seed)})"
        return (lambda: builtin_corpus(int(tokens), int(seed), paired)), label
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


def centre_on_word(word_key: str, centre_key: str, first_visit: bool = False) -> None:
    """The window's centre on the sentence's grouped word: when the sentence changes, and on a first visit
    (unless a link carries a centre); otherwise only clamped to the sentence's length."""
    from seqviz import ui

    word = st.session_state.get(word_key, "queen")
    tokens = corpus_mod.example_sentence(word)
    if not first_visit or (centre_key not in st.session_state and st.query_params.get(centre_key) is None):
        st.session_state[centre_key] = tokens.index(word) + 1
    else:
        ui.clamp_state(centre_key, len(tokens))


# -- the learner's vectors: one "train your own" block, the store ------------------------------------------
def latest(page: str) -> LearnerModel | None:
    """The model most recently started on `page` ("w2v" or "glove") in this session, or None."""
    mine = [m for m in store.models("embeddings").values() if m.settings.get("page") == page]
    return mine[-1] if mine else None


def _after_chunk(m: LearnerModel) -> None:
    if m.run.diverged:
        st.error("The loss became infinite (the model diverged): start over with a smaller x_max or fewer dimensions.")


def train_vectors(page: str, title: str, cfg, corpus, corpus_label: str, steps: tuple[int, ...],
                  default: int) -> LearnerModel | None:
    """The lab's "train your own": training.train_your_own in epochs on the chosen corpus. The first click's
    epochs are the run's plan (the learning rate decays over them); later clicks train on at the last rate.
    A new setting or corpus starts a new model (its label names them); returns the page's latest model."""
    label = f"{title}, D {cfg.embed_size}, on {corpus_label}"
    if corpus is None:
        st.button("Train", type="primary", disabled=True, key=f"{page}_train", icon=":material/play_arrow:")
        return latest(page)

    def start():
        n = int(st.session_state.get(f"{page}_n", default))
        return lab.start_run(corpus(), dataclasses.replace(cfg, epochs=n)), None

    m = training.train_your_own("embeddings", label, start, key=page, steps=steps, default=default, unit="epochs",
                                settings={"page": page, **dataclasses.asdict(cfg)}, after_chunk=_after_chunk,
                                refresh_every=1)
    return m or latest(page)


def trained_vectors(m: LearnerModel) -> WordVectors | None:
    """The vectors of a learner's run (None before its first epoch or after it diverged), made once per epoch."""
    if m.steps == 0 or m.run.diverged:
        return None
    done, wv = m.extra.get("vectors", (None, None))
    if done != m.steps:
        wv = m.run.vectors()
        m.extra["vectors"] = (m.steps, wv)
    return wv


def show_run(m: LearnerModel, name: str, ylabel: str = "loss per example", title: str = "Training loss") -> None:
    """A learner's run: its loss curve by epoch, what it took, and a link that opens it in the explorer."""
    from seqviz import ui
    from seqviz.plotting.embeddings_training import loss_curve

    fig, table = loss_curve([p.step for p in m.run.history], [p.loss for p in m.run.history], ylabel, title)
    ui.plot(fig, name, table, key=f"{name}-fig", caption="Your model's training loss against the epoch (fractions "
                                                          "are points within an epoch).")
    tr = m.run.trainer
    speed = f" ({tr.words_trained / max(tr.seconds, 1e-9):,.0f} words a second on one CPU thread)" \
        if hasattr(tr, "words_trained") else f" over {len(tr.X.values):,} non-zero counts"
    st.success(f"{m.label}: {m.steps} epochs in {tr.seconds:.1f} s{speed}. The embedding explorer lists these "
               "vectors too.")
    if trained_vectors(m) is not None:
        st.page_link("pages/embeddings_explorer.py", label="Open them in the embedding explorer",
                     icon=":material/explore:", query_params={"explorer_source": f"Mine: {m.label}"})


@st.cache_data(max_entries=32, show_spinner=False)
def snapshot_metrics(key: str, _snapshots: list, words: tuple, groups: dict, analogies: tuple) -> tuple[list, list]:
    """Analogy accuracy and purity of each snapshot (cached by the caller's key: a run label and its
    number of snapshots)."""
    an, pu = [], []
    for snap in _snapshots:
        wv = WordVectors(words, np.asarray(snap, dtype=np.float32), groups or None, key)
        an.append(wvm.analogy_accuracy(wv, analogies) if analogies else 0.0)
        pu.append(wvm.group_purity(wv) if groups else 0.0)
    return an, pu


@st.cache_data(max_entries=4, show_spinner=False)
def _shipped_map(method: str, view: str) -> lab.TrainingMap:
    from seqviz import ui

    return lab.shipped_map(ui.load_shipped(lab.file_name(method)), view)


def training_map(view: str, own: LearnerModel | None) -> lab.TrainingMap | None:
    """The words' map across training: "Mine" (the learner's run, made once per epoch count) or a shipped
    method's snapshots (made once per server); None after one sentence when the shipped file is unusable."""
    if view == "Mine" and own is not None:
        done, tm = own.extra.get("map", (None, None))
        if done != own.steps:
            tm = lab.run_map(own.run, own.label)
            own.extra["map"] = (own.steps, tm)
        return tm
    method = {"Shipped skip-gram": "skipgram", "Shipped CBOW": "cbow"}.get(view, "glove")
    return None if shipped(method) is None else _shipped_map(method, view)


@classroom.fragment
def epoch_map(tm: lab.TrainingMap, key: str, name: str, caption: str, quality_caption: str | None = None) -> None:
    """The words' map after the chosen epoch (and the quality curve with that epoch marked). A fragment: moving
    the epoch reruns only this, so the rest of the page is neither recomputed nor sent again (#15)."""
    from seqviz import ui
    from seqviz.plotting import embeddings_training as figs

    if st.session_state.get(key, tm.epochs[-1]) not in tm.epochs:  # another run or view has other epochs
        st.session_state.pop(key)
    epoch = st.select_slider("Epoch", tm.epochs, tm.epochs[-1], key=key)
    fig, table = figs.projection_figure(tm, epoch)
    ui.plot(fig, name, table, key=f"{key}_fig", caption=caption)
    if quality_caption and tm.final.groups:
        fig, table = figs.metrics_curve(tm.epochs, *quality(tm), epoch)
        ui.plot(fig, f"{name}-quality", table, key=f"{key}_quality_fig", caption=quality_caption)
    elif quality_caption:
        st.caption("Your text has no word groups or analogy questions, so there is no score to follow: look for "
                   "words you know belong together, or open these vectors in the embedding explorer.")


def quality(tm: lab.TrainingMap) -> tuple[list, list]:
    """Analogy accuracy and purity after each recorded epoch of a training map (cached)."""
    return snapshot_metrics(tm.key, tm.snapshots, tm.words, dict(zip(tm.words, tm.groups)), tm.analogies)


# -- where vectors come from ------------------------------------------------------------------------------
def shipped(method: str) -> lab.ShippedWords | None:
    """The shipped vectors of a method with their snapshots and parts (ui.shipped("words-METHOD"), loaded once
    per server), or None after one sentence."""
    from seqviz import ui

    return ui.shipped(lab.file_name(method))


def setting_metrics() -> dict | None:
    """The figures of both corpus settings from the shipped files' metadata: paired (False / True) -> method ->
    evaluate()'s metrics plus "train_seconds" and "shipped" (vectors in assets/, or only measured when
    words-glove-paired was built); and "glove-plain" / "glove-recipe": the paired GloVe recipe measured on the
    plain corpus, and the plain corpus's GloVe recipe on the paired one. None when a shipped file is unusable (the page's own loaders say why)."""
    from seqviz import ui

    try:
        plain = {m: ui.load_shipped(lab.file_name(m)) for m in lab.METHODS}
        paired = ui.load_shipped(lab.file_name("glove-paired"))
    except (CheckpointError, OSError, ValueError, KeyError):
        return None
    compare = paired.meta.get("compare", {})
    out = {False: {m: {**s.meta["metrics"], "train_seconds": s.meta["train_seconds"], "shipped": True}
                   for m, s in plain.items()},
           True: {m: {**compare[m], "shipped": False} for m in ("cbow", "skipgram") if m in compare}}
    out[True]["glove"] = {**paired.meta["metrics"], "train_seconds": paired.meta["train_seconds"], "shipped": True}
    for name in ("glove-plain", "glove-recipe"):  # the paired recipe on the plain corpus, the plain recipe on paired
        if name in compare:
            out[name] = compare[name]
    return out


def settings_frame(figures: dict[bool, dict[str, dict]]):
    """setting_metrics() as a table: one row a method, analogies and purity (%) on each setting."""
    import pandas as pd

    rows = []
    for m in lab.METHODS:
        row = {"method": lab.LABELS[m]}
        for p, name in ((False, "plain"), (True, "paired")):
            f = figures[p].get(m)
            row[f"{name}: analogies (%)"] = None if f is None else round(100 * f["analogy_accuracy"], 1)
            row[f"{name}: 5-NN purity (%)"] = None if f is None else round(100 * f["group_purity"], 1)
            row[f"{name}: train s"] = None if f is None else f["train_seconds"]
        rows.append(row)
    return pd.DataFrame(rows)


def shipped_vectors(method: str) -> tuple[WordVectors | None, str | None]:
    """(vectors, None), or (None, one sentence saying why the shipped vectors cannot be used)."""
    from seqviz import ui

    try:
        return ui.load_shipped(lab.file_name(method)).vectors, None
    except (CheckpointError, OSError, ValueError, KeyError) as err:  # a missing or damaged asset
        return None, f"The shipped {(SHIPPED | EXTRA)[method]} vectors cannot be read: {str(err).splitlines()[0][:200]}"


def loaded_vectors() -> dict[str, WordVectors]:
    """label -> vectors read from a file in this session (the pretrained-vectors page)."""
    return st.session_state.setdefault(LOADED_KEY, {})


def session_vectors() -> dict[str, WordVectors]:
    """label -> every vectors set of this session: trained here (the store), then loaded from files."""
    trained = {m.label: trained_vectors(m) for m in store.models("embeddings").values()}
    return {k: v for k, v in trained.items() if v is not None} | loaded_vectors()


def sources() -> tuple[dict[str, WordVectors], dict[str, str], list[str]]:
    """Every source the explorer offers: (key -> vectors, key -> label, problems as sentences).
    Keys are "cbow", "skipgram", "glove", "glove-paired" for the shipped vectors and "mine:<label>" for the
    session's."""
    vectors, labels, problems = {}, {}, []
    for method, label in (SHIPPED | EXTRA).items():
        wv, err = shipped_vectors(method)
        if wv is None:
            problems.append(err)
        else:
            vectors[method], labels[method] = wv, label
    for label, wv in session_vectors().items():
        vectors[f"mine:{label}"], labels[f"mine:{label}"] = wv, f"Mine: {label}"
    return vectors, labels, problems


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


def keep_loaded(label: str, vectors: WordVectors) -> None:
    """Add or replace a file's vectors (label "file: NAME") for the explorer."""
    loaded_vectors()[label] = vectors


# -- cached projections and purity ---------------------------------------------------------------------------
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


def side_by_side(vectors: dict[str, WordVectors], method: str) -> list[tuple]:
    """Panels (title, coords, words, groups) of the shipped methods on their common grouped words (at most 300)."""
    shipped = {m: vectors[m] for m in SHIPPED if m in vectors}
    common = [w for w in next(iter(shipped.values())).words
              if all(w in s and (s.groups or {}).get(w) for s in shipped.values())][:300]
    return [(SHIPPED[m], projection(m, s, common, method, 2).coords, common, [s.groups[w] for w in common])
            for m, s in shipped.items()]


def side_by_side_figure(vectors: dict[str, WordVectors], method: str, highlight: list[str]) -> tuple:
    """plotting.embeddings.side_by_side of `side_by_side(vectors, method)`: (figure, table), built once per
    method and searched words for the server (the shipped vectors never change while it runs). The figure is
    shared by every session that asks, so nothing may change it (ui.plot only reads a bare figure)."""
    shipped = tuple((m, len(vectors[m].words), fingerprint(vectors[m], tuple(vectors[m].words[:50]))) for m in SHIPPED if m in vectors)
    return _side_by_side_figure(shipped, method, tuple(highlight), vectors)


@st.cache_resource(max_entries=16, show_spinner=False)
def _side_by_side_figure(_shipped_key: tuple, method: str, highlight: tuple[str, ...], _vectors) -> tuple:
    from seqviz.plotting.embeddings import side_by_side as figure_of

    return figure_of(side_by_side(_vectors, method), highlight=list(highlight))


# -- the explorer's sections that change one table or figure: fragments (#15) --------------------------------
# Each reruns alone when its own widgets change, so the map and the side-by-side panels are neither
# recomputed nor sent again. Their widgets stay bound to the URL (a link reproduces them; tests/
# test_page_explorer.py feeds them hostile link values, since the page-source scans do not see them here).
@classroom.fragment
def neighbours(wv: WordVectors, examples: list[str]) -> None:
    """A word box, how many neighbours, and the table of its nearest words by cosine."""
    from seqviz.plotting.embeddings import neighbours_frame

    n1, n2 = st.columns([2, 1])
    word = n1.text_input("Word", "queen", key="explorer_word", bind="query-params", max_chars=100).strip()
    k = n2.slider("How many neighbours", 1, 30, 10, key="explorer_k", bind="query-params")
    hit = proj.parse_words(word, wv)[0] if word else []
    if not word:
        st.info("Type a word to see its nearest neighbours.")
    elif len(hit) == 1:
        st.dataframe(neighbours_frame(wvm.nearest(wv, hit[0], k), wv.groups), hide_index=True, width="stretch")
        st.caption(f"The {k} words with the highest cosine similarity to {hit[0]!r}; 1 means the same direction.")
    else:
        st.warning(f"{proj.shorten(word)!r} is not one word of these vectors; try for example "
                   + ", ".join(repr(w) for w in examples[:5]) + ".")


@classroom.fragment
def analogy(wv: WordVectors) -> None:
    """x − y + z: three word boxes, the exclusion switch, the five best answers and the one the switch hides."""
    from seqviz.plotting.embeddings import neighbours_frame

    a1, a2, a3, a4 = st.columns([1, 1, 1, 1.3], vertical_alignment="bottom")
    x = a1.text_input("x", "king", key="explorer_x", bind="query-params", max_chars=100).strip()
    y = a2.text_input("− y", "man", key="explorer_y", bind="query-params", max_chars=100).strip()
    z = a3.text_input("+ z", "woman", key="explorer_z", bind="query-params", max_chars=100).strip()
    exclude = a4.toggle("Exclude the input words", True, key="explorer_exclude", bind="query-params")
    unknown = [w for w in (x, y, z) if w not in wv]
    if unknown:
        st.warning(proj.not_found(unknown)[:-1] + "; type three words of the vocabulary." if all(unknown)
                   else "Type three words.")
        return
    answers = wvm.analogy(wv, y, x, z, k=5, exclude_inputs=exclude)  # analogy(a, b, c) is b - a + c
    other = wvm.analogy(wv, y, x, z, k=1, exclude_inputs=not exclude)[0]
    st.dataframe(neighbours_frame(answers, wv.groups), hide_index=True, width="stretch")
    st.markdown(f"{'Without' if exclude else 'With'} the exclusion the top answer would be **{other[0]}** "
                f"(cos {other[1]:.3f}).")


@classroom.fragment
def similarity(wv: WordVectors) -> None:
    """A box of words and the heatmap of their cosine similarities."""
    from seqviz import ui
    from seqviz.plotting.embeddings import similarity_heatmap

    text = st.text_input("Words (up to 40, separated by commas or spaces)",
                         "king queen man woman prince princess france paris", key="explorer_words",
                         bind="query-params", max_chars=1000)
    chosen, missing, problem = proj.parse_words(text, wv)
    if problem or missing:
        st.warning(problem or proj.not_found(missing))
    if len(chosen) < 2:
        st.info("Type at least two words of the vocabulary to compare them.")
        return
    fig, table = similarity_heatmap(chosen, wvm.similarity_matrix(wv, chosen))
    ui.plot(fig, "explorer-similarity", table, key="sims",
            caption="Cell (u, v) is $\\cos(e_u, e_v)$ on a scale from −1 to 1: red for the same direction, white for "
                    "unrelated (0), blue for opposite; the diagonal is each word with itself (1).")


def analogy_metrics(source: str, wv) -> None:
    """Two metrics: the built-in analogies answered with the three input words excluded, and allowed (vectors
    with the grammar's groups only)."""
    if not wv.groups:
        return
    acc_in, acc_all, n_questions = analogy_scores(source, wv)
    m1, m2 = st.columns(2)
    m1.metric(f"Built-in analogies right, inputs excluded ({n_questions} questions)", f"{acc_in:.0%}")
    m2.metric("Same questions, inputs allowed", f"{acc_all:.0%}", delta=f"{100 * (acc_all - acc_in):+.1f} points",
              delta_color="off" if acc_all == acc_in else "normal")


@st.cache_data(max_entries=16, show_spinner=False)
def _analogy_scores(source: str, digest: str, _wv: WordVectors) -> tuple[float, float, int]:
    from seqviz.tasks.corpus import analogy_questions

    questions = list(analogy_questions())
    return (wvm.analogy_accuracy(_wv, questions, exclude_inputs=True),
            wvm.analogy_accuracy(_wv, questions, exclude_inputs=False), len(questions))


def analogy_scores(source: str, wv: WordVectors) -> tuple[float, float, int]:
    """(accuracy with the inputs excluded, with them allowed, number of questions) on the built-in analogies,
    cached per source and rows (a rerun for another widget does not recount them)."""
    grouped = tuple(w for w in (wv.groups or {}) if w in wv)
    return _analogy_scores(source, f"{len(wv.words)}:{fingerprint(wv, grouped) if grouped else 'none'}", wv)


def purities(vectors: dict[str, WordVectors]) -> dict[str, float]:
    """The shipped methods' 5-NN group purity, by method (cached per source)."""
    return {m: group_purity(m, vectors[m]) for m in SHIPPED if m in vectors}


@st.cache_data(max_entries=8, show_spinner=False)
def shipped_file(method: str, fmt: str) -> bytes:
    """The shipped vectors of `method` written as a file in `fmt` (a sample to read, and a download)."""
    from seqviz import ui
    from seqviz.vectorfiles import write_vectors

    return write_vectors(ui.load_shipped(lab.file_name(method)).vectors, fmt)


__all__ = ["SHIPPED", "EXTRA", "setting_metrics", "settings_frame", "builtin_corpus", "builtin_cooccurrence", "corpus_picker", "count", "counts", "group_purity",
           "keep_loaded", "latest", "loaded_vectors", "projection", "quality", "read_upload", "session_vectors",
           "shipped", "shipped_file", "shipped_vectors", "show_run", "side_by_side", "sources", "train_vectors",
           "trained_vectors", "training_map", "epoch_map", "neighbours", "analogy", "similarity", "analogy_scores",
           "purities", "centre_on_word"]
