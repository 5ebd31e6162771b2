"""Streamlit side of the recurrent lab: cached views of its shipped models, and the learner's own models.

    rui.shipped_reference_states("rnn-brackets")     # PCA cloud of the states on the task's own texts (cached)
    rui.learner_models(cells=("lstm", "gru"), task="recall")   # this session's recurrent models, filtered
    rui.learner_trace(m, text)                       # the trace of one of them (never cached: it trains)
    rui.start_brackets / evaluate_brackets           # the vanilla RNN page's pieces for training.train_your_own
    rui.train_side_by_side(archs, settings, n, ...)  # the compare page's lockstep training, same queue and store
    rui.unit_finder / live_sweep_controls            # fragments: their own controls rerun only them

Shipped checkpoints load and trace through the generic `ui.shipped(name)` / `ui.trace(name, text, ...)`;
the learner's models live in the one store (seqviz.ui.store, lab "recurrent"), each with the meta a
checkpoint download writes (seqviz.checkpoints.task_meta), so the checkpoint explorer reopens them.
"""

from __future__ import annotations

import streamlit as st

from seqviz import analysis, compare, labs, ui
from seqviz import gradients as G
from seqviz.checkpoints import task_meta
from seqviz.labs.recurrent import task_of
from seqviz.training import evaluate
from seqviz.ui import classroom, load_shipped, store, training
from seqviz.ui.checkpoints import file_stem
from seqviz.ui.store import LearnerModel

LAB = "recurrent"
BRACKETS = "rnn-brackets"
BRACKETS_LABEL = "Vanilla RNN, bracket depth"  # the vanilla RNN page's own model in the store
COMPARISON = "cmp_comparison"  # session_state: the compare page's side-by-side charts (its models are in the store)


# -- shipped models: cached by name and plain values ----------------------------------------------------
@st.cache_data(max_entries=16, show_spinner=False)
def shipped_reference_states(name: str, n: int = 150, seed: int = 7):
    """PCA of the hidden states the shipped model visits on its own task's data (analysis.reference_states)."""
    ckpt = load_shipped(name)
    return analysis.reference_states(ckpt.model, ckpt.task, ckpt.vocab, n, seed)


@st.cache_resource(show_spinner=False)
def recipe_test_data(name: str):
    """The held-out set of a shipped recipe (read-only tensors, shared)."""
    return labs.recurrent.RECIPES[name].test_data()


@st.cache_resource(show_spinner=False)
def initial_models() -> dict:
    """The recall recipes' untrained models, cell -> RecurrentNet (read-only, shared)."""
    return {cell: G.initial_model(labs.recurrent.RECIPES[f"recall-{cell}"]) for cell in G.ARCHS}


@st.cache_data(max_entries=64, show_spinner=False)
def gradient_curves(text: str) -> dict:
    """‖∂L/∂h_t‖ at every step for each recall architecture, at initialisation and trained, on a checked text."""
    ckpt = load_shipped("recall-rnn")
    ids, target = ckpt.vocab.encode(list(text)), ckpt.task.target(text)
    models = {"init": initial_models(), "trained": {c: load_shipped(f"recall-{c}").model for c in G.ARCHS}}
    return {G.STAGES[s]: {G.ARCHS[c]: m.grad_norms_through_time(ids, target) for c, m in ms.items()}
            for s, ms in models.items()}


@st.cache_data(max_entries=64, show_spinner=False)
def scaled_rnn(text: str, stage: str, factor: float) -> tuple:
    """The vanilla RNN (initial or trained) with W_hh scaled by `factor` on a checked text: autograd's
    gradient norms, ρ(s·W_hh), ρ(W_hh) and its Jacobians (G.rnn_jacobians)."""
    ckpt = load_shipped("recall-rnn")
    ids, target = ckpt.vocab.encode(list(text)), ckpt.task.target(text)
    base = initial_models()["rnn"] if stage == "init" else ckpt.model
    rnn = G.scale_recurrent(base, factor)
    return rnn.grad_norms_through_time(ids, target), rnn.spectral_radius(), base.spectral_radius(), \
        G.rnn_jacobians(rnn, ids, target)


@st.cache_data(max_entries=64, show_spinner=False)
def memory_paths(text: str) -> dict:
    """What the LSTM's and the GRU's direct path keeps on a checked text (G.memory_path), by stage and cell."""
    ckpt = load_shipped("recall-rnn")
    tokens = list(text)
    ids = ckpt.vocab.encode(tokens)
    return {"init": {c: G.memory_path(c, initial_models()[c].trace(ids, tokens, ckpt.task.class_names).first.gates)
                     for c in G.MEMORY_GATE},
            "trained": {c: G.memory_path(c, ui.trace(f"recall-{c}", text).first.gates) for c in G.MEMORY_GATE}}


# -- the learner's models: the store, lab "recurrent" ---------------------------------------------------
def learner_models(cells=("rnn", "lstm", "gru"), task: str | None = None) -> dict[str, LearnerModel]:
    """This session's recurrent models whose cell is one of `cells` (and whose task is called `task`)."""
    return {label: m for label, m in store.models(LAB).items()
            if m.meta and m.model.cfg.cell in cells and (task is None or m.meta["task"]["name"] == task)}


def learner_meta(task, label: str) -> dict:
    """What a download of a learner's model writes besides its architecture: vocab, classes, task."""
    return task_meta(task, file_stem(label), f"Trained in seqviz: {label}")


def learner_trace(m: LearnerModel, text: str, intervention=None):
    """The RecurrentTrace of a learner's model on a text its task has checked (not cached: it may train on)."""
    task, tokens = task_of(m.meta), list(text)
    return m.model.trace(task.vocab().encode(tokens), tokens, task.class_names, intervention)


def learner_reference_states(m: LearnerModel):
    """analysis.reference_states of a learner's model, kept with it until it trains again (not on every rerun)."""
    kept = m.extra.get("reference_states")
    if kept is None or kept[0] != m.steps:
        task = task_of(m.meta)
        kept = m.extra["reference_states"] = (m.steps, analysis.reference_states(m.model, task, task.vocab()))
    return kept[1]


def trace_of(source, text: str, intervention=None):
    """The trace of a shipped model (its name: cached, shared) or of a learner's model (a LearnerModel)."""
    if isinstance(source, LearnerModel):
        return learner_trace(source, text, intervention)
    return ui.trace(source, text, intervention) if intervention else ui.trace(source, text)  # one cache entry


def next_example(task, text_key: str) -> None:
    """A button's on_click: the next seeded example of `task` into the text box `text_key`."""
    import random

    counter = f"{text_key}_example"
    st.session_state[counter] = st.session_state.get(counter, 0) + 1
    st.session_state[text_key] = task.sample(random.Random(st.session_state[counter]))


def keep_units(keys, hidden_size: int) -> None:
    """Before unit pickers bound to `keys`: drop unit numbers a smaller model lacks (a shared link, a new model)."""
    for key in keys:
        if any(u >= hidden_size for u in st.session_state.get(key, [])):
            st.session_state[key] = [u for u in st.session_state[key] if u < hidden_size]


@st.cache_data(max_entries=16, show_spinner=False)
def task_texts(_task, task_key: str, n: int, seed: int) -> list[str]:
    """The task's n texts for a seed, generated once per server (task_key: the task's repr, its settings)."""
    return _task.dataset(n, seed)


@classroom.fragment
def unit_finder(model, task, hidden, n_texts: int, seed: int) -> None:
    """The gates page's unit finder (its own controls rerun only this part): units whose h_t stays beyond ±θ
    over a span of the learner's text (hidden: (T, H), first layer), and the texts of the task where they
    all do so together (analysis.units_above, analysis.texts_where_units_hold)."""
    from collections import Counter

    T = len(hidden)
    f1, f2 = st.columns([3, 1])
    # keyed by the text's length: a text of another length starts from the default span, never out of range
    start = min(11, T // 4 + 1)  # the state takes ~10 steps to settle after the symbol is read
    span = f1.slider("Span of steps", 1, T, (start, T), key=f"gates_span_{T}") if T > 1 else (1, 1)
    theta = f2.slider("Threshold θ", 0.05, 1.0, 0.5, 0.05, key="gates_theta")
    units, signs = analysis.units_above(hidden, span, theta)
    if not len(units):
        st.info(f"No unit stays beyond ±{theta:.2f} at every step from {span[0]} to {span[1]}. "
                "Shorten the span or lower the threshold.")
    else:
        st.markdown(f"**{len(units)} units** from step {span[0]} to {span[1]}: "
                    + ", ".join(f"{u} ({'+' if s > 0 else '−'})" for u, s in zip(units, signs)))
        rows = analysis.texts_where_units_hold(model, task_texts(task, repr(task), n_texts, seed), task.vocab(), units,
                                               signs, theta)
        firsts = Counter(r["first symbol"] for r in rows)
        st.markdown(f"In **{len(rows)} of {n_texts}** texts these units are all on their sides together somewhere"
                    + (": those texts start with " + ", ".join(f"**{s}** ({k})" for s, k in firsts.most_common()) + "."
                       if rows else ".")
                    + " If nearly all start with one symbol, these units together *are* the memory of that symbol; "
                    "raise the threshold or shorten the span and watch the list and the table change.")
        if rows:
            st.dataframe(rows, hide_index=True, height=300)
    ui.show_code(analysis.units_above, analysis.co_active, analysis.texts_where_units_hold)


def start_brackets(ckpt, origin: str, seed: int, lr: float) -> tuple:
    """`start` for training.train_your_own on the vanilla RNN page: (run, meta) of a fresh bracket RNN."""
    return labs.recurrent.start_bracket_run(ckpt.model, origin, seed, lr), learner_meta(ckpt.task, BRACKETS_LABEL)


def evaluate_brackets(m: LearnerModel) -> None:
    """`after_chunk`: held-out accuracy on the shipped recipe's test texts, kept in m.extra["metrics"]."""
    m.extra["metrics"] = {"step": m.steps, **evaluate(m.model, *recipe_test_data(BRACKETS))}


def set_learning_rate(label: str, lr: float) -> None:
    """The learning rate picked now applies to the next chunk of a model already in the store."""
    m = store.get(label)
    if m is not None:
        for group in m.run.optimizer.param_groups:
            group["lr"] = lr


def show_after_training(m: LearnerModel | None, key: str, switch: str) -> None:
    """Right after a chunk (the block's button `key`_train was pressed and the model evaluated), rerun with
    the model switch `switch` on "mine", so the views above show what the learner just trained."""
    if st.session_state.get(f"{key}_train") and m is not None and m.extra.get("metrics", {}).get("step") == m.steps:
        st.session_state[f"{switch}_show_mine"] = True  # applied before the switch is drawn, on the rerun
        st.rerun()


# -- the compare page: several models in lockstep, each one in the store --------------------------------
def comparison() -> compare.Comparison | None:
    return st.session_state.get(COMPARISON)


def _store_comparison(comp: compare.Comparison) -> None:
    for arch, run in comp.runs.items():
        label = comp.label(arch)
        m = store.get(label)
        if m is None or m.run is not run:
            store.put(LearnerModel(LAB, label, run, learner_meta(comp.task, label), {"arch": arch, **vars(comp.settings)}))


def forget_comparison() -> None:
    """Start over: the side-by-side models leave the store too."""
    comp = st.session_state.pop(COMPARISON, None)
    if comp is not None:
        for arch, run in comp.runs.items():
            m = store.get(comp.label(arch))
            if m is not None and m.run is run:
                store.drop(m.label)


def train_side_by_side(archs, settings: compare.Settings, n: int, loss_slot, accuracy_slot) -> None:
    """n more steps for every chosen model, in lockstep on the same batches (compare.Comparison.train),
    through the server's one training queue (seqviz.ui.training.wait_for_slot). Each model is put in the
    store before training, so an interrupted chunk keeps its steps; the live loss and held-out accuracy
    charts are redrawn into the two st.empty slots after every held-out check."""
    from seqviz.plotting import compare as figures

    comp = comparison()
    if comp is None:
        comp = st.session_state[COMPARISON] = compare.Comparison.start(archs, settings)
    _store_comparison(comp)
    ticket = training.wait_for_slot(", ".join(comp.label(a) for a in comp.archs), n)
    if ticket is None:
        return
    try:
        bar = st.progress(0.0, text=f"Training {n} steps...")
        for event in comp.train(n, eval_every=25 if n <= 250 else 50):
            ticket.touch()
            if event.evaluated:
                accs = ", ".join(f"{compare.LABELS[a]} {comp.evals[a][-1]['accuracy']:.0%}" for a in comp.archs)
                bar.progress(min(max(event.done / n, 0.0), 1.0), text=f"Step {event.step:,}: held-out accuracy {accs}")
                loss_slot.plotly_chart(figures.loss_curves_figure(comp)[0], width="stretch")
                accuracy_slot.plotly_chart(figures.accuracy_curves_figure(comp)[0], width="stretch")
    finally:
        ticket.release()
    st.rerun()


def run_live_sweep(archs, lags, steps: int, settings: compare.Settings, live: list, max_seconds: float) -> None:
    """A live accuracy-against-lag sweep through the training queue; each finished lag is kept at once in
    `live` (the page's list of sweeps), so an interruption loses only the lag in progress."""
    ticket = training.wait_for_slot("lag sweep", len(lags) * steps)
    if ticket is None:
        return
    live.append(compare.Sweep(settings, steps, ()))
    bar = st.progress(0.0, text="Training...")
    try:
        for event in compare.run_sweep(archs, lags, steps, settings, eval_every=steps, max_seconds=max_seconds):
            ticket.touch()
            if event.points:
                live[-1] = compare.Sweep(settings, steps, live[-1].points + event.points)
            if event.stopped:
                st.session_state["cmp_sweep_stopped"] = True
            if event.done % 50 == 0 or event.points:
                bar.progress(event.done / event.total, text=f"Lag {event.lag}: {event.done:,} of {event.total:,} steps")
    finally:
        ticket.release()
        if not live[-1].points:
            live.pop()
    st.rerun()


@classroom.fragment
def live_sweep_controls(archs, settings: compare.Settings, live: list, lag_choices, step_choices, limit_s: float,
                        hard_stop_s: float) -> None:
    """The compare page's live-sweep controls (lags, steps, Run, Clear; their own reruns stay in here): a sweep
    the estimate puts above `limit_s` is refused, and a running one stops after `hard_stop_s`."""
    s1, s2 = st.columns([2, 1])
    sweep_lags = s1.multiselect("Lags", lag_choices, default=[10, 30], key="cmp_sweep_lags")
    sweep_steps = s2.select_slider("Steps per model", step_choices, 300, key="cmp_sweep_steps")
    sweep_estimate = compare.estimate_seconds(archs, sweep_lags, int(sweep_steps), settings.hidden_size, settings.num_layers)
    r1, r2, r3 = st.columns([1, 1, 2], vertical_alignment="center")
    sweep_clicked = r1.button("Run this sweep", icon=":material/play_arrow:", key="cmp_sweep_run",
                              disabled=not archs or not sweep_lags or sweep_estimate > limit_s)
    if r2.button("Clear my points", icon=":material/delete:", key="cmp_sweep_clear", disabled=not live):
        live.clear()
        st.rerun()
    if not archs or not sweep_lags:
        r3.caption("Pick at least one architecture (section 1) and one lag.")
    else:
        r3.caption(f"That would take about {sweep_estimate:.0f} s; the limit is {limit_s} s. Pick fewer lags, fewer "
                   "steps, or a smaller model." if sweep_estimate > limit_s else f"About {sweep_estimate:.0f} s on this server.")
    if sweep_clicked:
        run_live_sweep(archs, sweep_lags, int(sweep_steps), settings, live, hard_stop_s)
