"""Streamlit side of the sentiment lab (pages/sentiment_word_order.py): the shipped models' answers, cached by names
and plain values, and the learner's own models, kept in the one store (seqviz.ui.store, lab "sentiment").

- shipped checkpoints: `ui.shipped(name)`, traces `ui.trace(name, tokens)` (the lab's `trace`);
- attributions and test-set predictions of shipped models: `st.cache_data` by name and token tuple;
- a model the learner trains: `train_own(vectors)`, the shared `training.train_your_own` block with the
  lab's settings (model, word vectors, freeze); one model per choice of settings, scored after each chunk;
- fragments (#15) for the views with their own controls (`reading_view`, `attribution_view`, `mistakes_view`):
  choosing the reader, the attribution method or the mistakes' model reruns only that view.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from seqviz import labs, ui
from seqviz.attribution import METHODS, Attribution, attribute, integrated_gradients
from seqviz.checkpoints import Checkpoint, task_meta
from seqviz.labs import sentiment as lab
from seqviz.plotting import sentiment as figs
from seqviz.tasks.sentiment import PHENOMENA, Review, mistakes, predict
from seqviz.ui import classroom, store, training
from seqviz.ui.checkpoints import file_stem
from seqviz.ui.store import LearnerModel

MINE = "Mine: "  # how the page names a learner's model beside the shipped ones


def shipped_models() -> dict[str, Checkpoint]:
    """label -> checkpoint for every shipped model that loads (the others show one sentence)."""
    loaded = {lab.LABELS[name]: ui.shipped(name) for name in lab.NAMES}
    return {label: ckpt for label, ckpt in loaded.items() if ckpt is not None}


def own_models() -> dict[str, LearnerModel]:
    """The learner's sentiment models in this session, named as the page shows them ("Mine: LSTM")."""
    return {MINE + label.removeprefix("Sentiment: "): m for label, m in store.models(lab.LAB.name).items()}


def review_tokens(text: str) -> tuple[str, ...] | None:
    """The words of the typed review, checked by the task (a note on unknown words shown as a warning), or
    None after one sentence saying why it cannot be read."""
    checked = lab.TASK.check_text(text, lab.TASK.vocab())
    if checked.error:
        st.error(checked.error)
        return None
    if checked.note:
        st.warning(checked.note)
    return tuple(checked.tokens)


def answers(models: dict[str, Checkpoint], own: dict[str, LearnerModel], tokens: tuple[str, ...]) -> dict:
    """label -> p(class) (C,) of every shipped and own model for the review."""
    probs = {label: ui.trace(ckpt.name, tokens).probs for label, ckpt in models.items()}
    return probs | {label: lab.read(m.model, tokens).probs for label, m in own.items()}


def readers(models: dict[str, Checkpoint], own: dict[str, LearnerModel]) -> dict:
    """label -> shipped checkpoint or own model, for every model that reads in one direction (an answer
    after each word): the shipped LSTM, GRU and Vanilla RNN, and the learner's models of those cells."""
    shipped = {lab.ARCHS[a][0]: models[lab.ARCHS[a][0]] for a in ("lstm", "gru", "rnn") if lab.ARCHS[a][0] in models}
    return shipped | {label: m for label, m in own.items() if m.settings.get("arch") in lab.READERS}


def reading(models: dict[str, Checkpoint], reader: str, source, tokens: tuple[str, ...]):
    """(label -> p(positive) after each word, the reader's hidden states (T, H)) for the reading figure:
    the reader's line and the bag's beside it."""
    trace = ui.trace(source.name, tokens) if isinstance(source, Checkpoint) else lab.read(source.model, tokens)
    lines = {reader: trace.step_probs[:, 1]}
    bag = lab.ARCHS["bag"][0]
    if bag in models:
        lines[bag] = ui.trace(models[bag].name, tokens).step_probs[:, 1]
    return lines, trace.hidden


@st.cache_data(max_entries=256, show_spinner=False)
def shipped_attribution(name: str, tokens: tuple[str, ...], method: str) -> Attribution:
    ckpt = ui.shipped(name)
    return attribute(ckpt.model, ckpt.vocab.encode(tokens), list(tokens), method)


def attributions(models: dict[str, Checkpoint], own: dict[str, LearnerModel], tokens: tuple[str, ...],
                 method: str) -> dict[str, Attribution]:
    out = {label: shipped_attribution(ckpt.name, tokens, method) for label, ckpt in models.items()}
    return out | {label: attribute(m.model, lab.TASK.vocab().encode(tokens), list(tokens), method)
                  for label, m in own.items()}


@st.cache_resource(show_spinner=False)
def test_reviews() -> list[Review]:
    """The recipes' shared test set (same task, seed and size for every shipped model)."""
    return lab.RECIPES[lab.NAMES[0]].test_reviews()


@st.cache_data(max_entries=8, show_spinner="Scoring the test reviews...")
def shipped_test_probs(name: str) -> np.ndarray:
    """p(class) of a shipped model on its recipe's whole test set (N, C)."""
    ckpt = ui.shipped(name)
    return predict(ckpt.model, lab.RECIPES[name].test_reviews(), ckpt.vocab)


def last_checks(own: dict[str, LearnerModel]) -> dict[str, dict]:
    """label -> the latest check of each own model that has one (for the accuracy figure)."""
    return {label: m.extra["checks"][-1] for label, m in own.items() if m.extra.get("checks")}


def embedding_vectors():
    """The embeddings lab's shipped skip-gram vectors (seqviz.wordvectors.WordVectors), or None if that lab
    is not installed or its vectors cannot be read."""
    try:
        return _skipgram()
    except Exception:  # noqa: BLE001 - any failure of another lab's loader leaves this page working
        return None


@st.cache_resource(show_spinner=False)
def _skipgram():
    return labs.load("words-skipgram").vectors


# -- the views with their own controls (fragments) ---------------------------------------------------
@classroom.fragment
def reading_view(models: dict[str, Checkpoint], own: dict[str, LearnerModel], tokens, shown: list[str]) -> None:
    """The reader picker and the reading figure: p(positive) after each word, the reader's h_t."""
    sources = readers(models, own)
    reader = st.selectbox("Model that reads", list(sources), key="sentiment_reader", bind="query-params")
    if tokens is not None and reader is not None:
        lines, hidden = reading(models, reader, sources[reader], tokens)
        fig, table = figs.reading_figure(shown, lines, hidden)
        ui.plot(fig, "sentiment-reading", table, key="reading",
                caption="Top: p(positive) if the review ended after word $t$ (x axis: the words read). Bottom: the "
                        "reader's hidden state $h_t$, one row per unit, on the fixed scale [-1, 1] (red positive, "
                        "blue negative).")


@classroom.fragment
def attribution_view(models: dict[str, Checkpoint], own: dict[str, LearnerModel], tokens, shown: list[str]) -> None:
    """The method picker, its equation, every model's attributions and whether they add up."""
    ui.drop_unusable_link_values("sentiment_method")
    method = st.segmented_control("Method", list(METHODS), default="integrated gradients", key="sentiment_method",
                                  bind="query-params", required=True)
    st.latex(r"F(u) = z_{\mathrm{pos}}(u) - z_{\mathrm{neg}}(u), \qquad "
             + (r"a_t = \sum_d u_{td}\, \frac{1}{m}\sum_{k=1}^{m} \frac{\partial F}{\partial u_{td}}"
                r"\Big(\tfrac{k - 1/2}{m}\, u\Big),\qquad \sum_t a_t \approx F(u) - F(0)"
                if method == "integrated gradients" else r"a_t = \sum_d u_{td}\, \frac{\partial F}{\partial u_{td}}(u)"))
    if tokens is None:
        return
    atts = attributions(models, own, tokens, method)
    fig, table = figs.attribution_figure(shown, {label: a.values for label, a in atts.items()})
    ui.plot(fig, "sentiment-attribution", table, key="attribution",
            caption=f"One row per model, one cell per word $t$: its attribution $a_t$ ({method}) divided by the "
                    "row's largest $|a_t|$, from −1 (blue, towards negative) to 1 (red, towards positive).")
    with st.expander("Do the attributions add up? (completeness)"):
        st.dataframe(figs.completeness_table(atts), hide_index=True)
    ui.show_code(integrated_gradients)


@classroom.fragment
def mistakes_view(models: dict[str, Checkpoint]) -> None:
    """A shipped model's misclassified test reviews, filtered by phenomenon; one can go up to the review box."""
    m1, m2 = st.columns(2)
    who = m1.selectbox("Model", list(models), key="sentiment_mistakes_model", bind="query-params")
    phen = m2.selectbox("Only reviews with", ["any phenomenon", *PHENOMENA], key="sentiment_phenomenon",
                        bind="query-params")
    if who is None or phen is None:
        return
    reviews = test_reviews()
    wrong = mistakes(reviews, shipped_test_probs(models[who].name), None if phen == "any phenomenon" else phen)
    st.markdown(f"**{len(wrong)}** of {len(reviews):,} test reviews misclassified by the {who}"
                + ("" if phen == "any phenomenon" else f" with {phen}") + ".")
    if wrong:
        st.dataframe(figs.mistakes_table(wrong[:200], lab.TASK.class_names), hide_index=True, height=260)
        st.selectbox("Read one of them above", [r.text for r, _ in wrong[:200]], key="sentiment_pick")
        if st.button("Put it in the review box", icon=":material/north:",
                     on_click=lambda: st.session_state.update(sentiment_text=st.session_state["sentiment_pick"])):
            st.rerun()  # the whole page: every view reads the new review


# -- the learner's own models ----------------------------------------------------------------------
def train_own(vectors) -> LearnerModel | None:
    """The lab's settings, then the shared Train block; the model of those settings (None before training).
    The page reruns after a chunk, so every view above shows the model as it now is."""
    c1, c2, c3 = st.columns(3)
    arch = c1.selectbox("Model", list(lab.ARCHS), format_func=lambda a: lab.ARCHS[a][0], key="sentiment_arch")
    init = c2.radio("Bag's word vectors start", lab.INITS, key="sentiment_init", disabled=vectors is None,
                    help=None if vectors is not None else "The embeddings lab's vectors are not available here.")
    freeze = c3.checkbox("Freeze the bag's vectors", key="sentiment_freeze",
                         help="Frozen: E stays as it started (random or the lab's); only W and b learn.")
    from_lab = arch == "bag" and init != lab.INITS[0] and vectors is not None
    freeze = freeze and arch == "bag"
    label = lab.own_label(arch, from_lab, freeze)
    made: dict = {}

    def start():
        run, made["vectors"] = lab.start_own(arch, freeze, vectors if from_lab else None)
        made["check"] = lab.check(run.model, 0, test_reviews()[: lab.CHECK_REVIEWS])  # where the curve starts
        return run, task_meta(lab.TASK, file_stem(label), f"Trained in seqviz: {label}")

    def after_chunk(m: LearnerModel) -> None:
        m.extra.setdefault("vectors", made.get("vectors", "random"))
        checks = m.extra.setdefault("checks", [made["check"]] if "check" in made else [])
        checks.append(lab.check(m.model, m.steps, test_reviews()[: lab.CHECK_REVIEWS]))

    before = store.get(label)
    steps_before = None if before is None else before.steps
    m = training.train_your_own(lab.LAB.name, label, start, key="sentiment", steps=(50, 100, 200), default=100,
                                settings={"arch": arch, "skip-gram vectors": from_lab, "freeze": freeze},
                                after_chunk=after_chunk)
    if (m is None) != (before is None) or (m is not None and m.steps != steps_before):
        st.rerun()  # trained or started over: the views above change
    return m


def own_progress(m: LearnerModel) -> None:
    """A learner's model: its steps, the latest check (three numbers), accuracy after each chunk, the loss."""
    from seqviz.plotting import loss_chart

    st.caption(f"{m.label}: {m.steps} steps so far; word vectors: {m.extra.get('vectors', 'random')}.")
    checks = m.extra.get("checks", [])
    if checks:
        last = checks[-1]
        k1, k2, k3 = st.columns(3)
        k1.metric("test accuracy", f"{last['accuracy']:.1%}")
        k2.metric("on negation", f"{(last['per_phenomenon']['negation'] or 0):.1%}")
        k3.metric("on contrast", f"{(last['per_phenomenon']['contrast'] or 0):.1%}")
        fig, table = figs.curve_figure(checks)
        ui.plot(fig, "sentiment-own-curve", table, key="own-curve",
                caption="Test accuracy of your model (0 to 100%) after each chunk, against training steps: overall, "
                        f"on negation and on contrast, scored on {lab.CHECK_REVIEWS} test reviews.")
    if m.run.history:
        st.altair_chart(loss_chart([e.step for e in m.run.history], [e.loss for e in m.run.history]), width="stretch")
