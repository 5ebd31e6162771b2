"""Streamlit helpers of the translation lesson (pages/attention_translation.py).

- the sentence: a picker of test sentences of every length, or the learner's own text, checked by the task;
- fragments (st.fragment) for the views with their own controls, so moving the step slider, the beam width
  or the training-step slider reruns only that view: `step_view`, `beam_view`, `snapshots_view` (their
  widgets still write the address bar; the Classroom box's link is filled after a full run only, so it
  shows a fragment's new value from the next full rerun on);
- the learner's own model: `train_own` (seqviz.ui.training.train_your_own, kept in seqviz.ui.store under
  the lab "attention", with its held-out checks and speed in LearnerModel.extra), `latest_model`;
- `token_accuracy_by_length`: a shipped model scored on test sentences, cached per server.

Shipped models and their traces come from ui.shipped(name) and ui.trace(name, sentence, beam), the lab's
loader and trace (seqviz.labs.attention).
"""

from __future__ import annotations

import time

import streamlit as st

from seqviz import labs, ui
from seqviz.models.seq2seq import attention_agreement, without_eos
from seqviz.plotting import translation as figs
from seqviz.tasks.translation import length_bucket
from seqviz.ui import classroom, store, training
from seqviz.ui.classroom import predict_then_reveal

LAB = "attention"
MAX_BEAM = 8
MAX_CHARS = 600  # 40 words of the toy language fit easily; a longer text would be echoed in the error


@st.cache_data(max_entries=8, show_spinner="Scoring the test sentences...")
def token_accuracy_by_length(name: str, n: int = 600) -> dict:
    """Teacher-forced token accuracy by source length of a shipped translation model (first n test sentences)."""
    return labs.attention.TRANSLATION_RECIPES[name].token_accuracy(ui.load_shipped(name).model, n)


@st.cache_data(max_entries=1, show_spinner=False)
def _examples() -> dict[str, str]:
    return labs.attention.example_sentences()


def _pick() -> None:
    st.session_state["tr_text"] = st.session_state["tr_pick"]


def sentence_input(task, vocab) -> list[str]:
    """A test sentence of each length to pick, or the learner's own (checked by the task): its words, or the
    default sentence's after one sentence saying why the text cannot be used."""
    examples = _examples()
    default = examples.get("7-12", next(iter(examples.values())))
    c1, c2 = st.columns(2)
    c1.selectbox("Pick a test sentence", list(examples.values()), index=None, key="tr_pick", on_change=_pick,
                 format_func=lambda s: f"{len(s.split())} words: {s}", placeholder="Sentences of different lengths")
    text = c2.text_input("... or type your own (words of the toy language, separated by spaces)", default,
                         key="tr_text", bind="query-params")
    tokens = ui.tokens_or_example(task.check_text(text[:MAX_CHARS], vocab), text, MAX_CHARS, default.split())
    with st.expander("The toy language's words"):
        st.write(", ".join(vocab.to_list()[1:]))
    return tokens


def verdict(trace, pair) -> str:
    """Markdown: does the trace's translation match the grammar's reference, and from which word not."""
    if pair is None:
        return "(no reference: the grammar does not make this sentence)"
    got = trace.words
    if tuple(got) == pair.target:
        return ":green[**matches the reference**]"
    k = next((k for k, (a, b) in enumerate(zip(got, pair.target)) if a != b), min(len(got), len(pair.target)))
    return f":red[**differs from the reference from word {k + 1} on**]"


def latest_model():
    """The learner's most recently started translation model in this session (a LearnerModel), or None."""
    models = list(store.models(LAB).values())
    return models[-1] if models else None


# -- 1-2. the attention map and one decoding step -----------------------------------------------------------
@classroom.fragment
def step_view(trace, pair, correct: bool) -> None:
    """The step slider, the attention map with that step outlined, and section 2: that step's scores,
    weights, vectors and next-word candidates."""
    T = len(trace.output_tokens)
    ui.clamp_state("tr_step", T)  # a shorter sentence must not leave the slider out of range
    t = st.slider("Decoding step i (output word)", 1, T, 1, key="tr_step", bind="query-params") if T > 1 else 1
    W = trace.weights[0, 0]
    fig, table = figs.attention_map(trace, pair.alignment if correct else None, t)
    ui.plot(fig, "translation-attention", table, key="tr_heat",
            caption="Where the decoder looked: row i holds the weights $\\alpha_{ij}$ output word $i$ gave the source "
                    "words (columns), on the fixed scale [0, 1] (each row sums to 1). The white outline is the step "
                    "below." + (" Orange open squares: the gold alignment, the source word each output word "
                                "translates." if correct else ""))
    if correct:
        hits, counted = attention_agreement(W, pair.alignment)
        st.metric("Alignment agreement on this sentence (argmax of α is the gold source word)", f"{hits} / {counted}")
    elif pair is not None:
        st.caption("The model's words differ from the reference, so the gold alignment would not line up; it is not drawn.")

    st.header(f"2. Step {t}: scores, weights, context, next word")
    prev = "<bos>" if t == 1 else trace.output_tokens[t - 2]
    j = int(W[t - 1].argmax())
    source_names = [f"{k}: {w}" for k, w in enumerate(trace.source_tokens, start=1)]
    predict_then_reveal(
        "translation_q_look", f"Before looking below: to write output word {t}, **{trace.output_tokens[t - 1]}**, "
                              "which source word gets the largest weight?", source_names, source_names[j],
        lambda: st.markdown(f"$\\alpha_{{{t}j}}$: " + ", ".join(f"{name} **{a:.3f}**" for name, a in
                                                                 zip(source_names, W[t - 1]))
                            + ". Usually the word it translates; a determiner or an adjective that moves may look elsewhere."))
    st.markdown(f"The decoder reads **{prev}** and updates its state $s_{{{t}}}$; $s_{{{t}}}$ scores every source "
                f"word; the softmax turns the scores into weights (largest: **{trace.source_tokens[j]}**, "
                f"$\\alpha = {W[t - 1, j]:.3f}$); the context mixes the annotations by those weights, and the "
                f"read-out picks **{trace.output_tokens[t - 1]}** with $p = {trace.top_probs[t - 1].max():.3f}$.")
    st.latex(rf"\alpha_{{{t}j}} = \operatorname{{softmax}}_j(e_{{{t}j}}), \qquad c_{{{t}}} = \sum_j \alpha_{{{t}j}}\, a_j")
    fig, table = figs.step_attention_figure(trace, t)
    ui.plot(fig, f"translation-step-{t}", table, key="tr_stepfig",
            caption=f"Step {t}: the score $e_{{{t}j}}$ of every source word and its weight $\\alpha_{{{t}j}}$ after the softmax.")
    left, right = st.columns([3, 2])
    with left:
        fig, table = figs.step_vectors_figure(trace, t)
        ui.plot(fig, f"translation-vectors-{t}", table, key="tr_vec",
                caption=f"Step {t}'s vectors unit by unit: the decoder state $s_{{{t}}}$, the context $c_{{{t}}}$ "
                        "and the attentional state, on a diverging scale.")
    with right:
        fig, table = figs.top_k_figure(trace, t)
        ui.plot(fig, f"translation-top5-{t}", table, key="tr_top",
                caption=f"The five likeliest output words at step {t} and their probabilities.")


# -- 3. beam search --------------------------------------------------------------------------------------------
def _beam_from_link() -> int | None:
    """The beam width a link asked for, as a number (None when absent or not a number)."""
    raw = st.query_params.get("tr_beam")
    try:
        return int(float(raw)) if raw is not None else None
    except (ValueError, OverflowError):  # "abc", "nan", "inf": streamlit drops those for the default
        return None


@classroom.fragment
def beam_view(name: str, sentence: str, greedy, pair) -> None:
    """The beam width slider, greedy against beam search, and the beam tree."""
    asked = _beam_from_link()
    outside = asked is not None and not 1 <= asked <= MAX_BEAM
    if outside:  # streamlit would drop it for the default: clamp instead
        st.session_state["tr_beam"] = min(max(asked, 1), MAX_BEAM)
    beam = st.slider("Beam width k", 1, MAX_BEAM, 3, key="tr_beam", bind="query-params")
    if outside:
        st.info(f"The link asked for beam width {asked}; widths run from 1 to {MAX_BEAM}, so this uses {beam}.")
    found = ui.trace(name, sentence, beam) if beam > 1 else greedy
    if beam > 1:
        predict_then_reveal(
            "translation_q_beam", f"Will beam search with k = {beam} choose a different translation from greedy decoding?",
            ["yes, a different one", "no, the same"],
            "no, the same" if found.output_tokens == greedy.output_tokens else "yes, a different one",
            lambda: st.markdown(f"Greedy: {' '.join(greedy.words)} (log-probability {greedy.log_prob:.4f}); beam: "
                                f"{' '.join(found.words)} ({found.log_prob:.4f}). A model this sure of each "
                                "word leaves beam search little to find."))
    b1, b2 = st.columns(2)
    b1.metric("Greedy: log-probability", f"{greedy.log_prob:.4f}")
    b2.metric(f"Beam (k = {beam}): log-probability", f"{found.log_prob:.4f}")
    if found.output_tokens != greedy.output_tokens:
        st.warning(f"Beam search and greedy disagree. Beam: {' '.join(found.words)} {verdict(found, pair)}")
    else:
        st.success("Beam search chose the same translation as greedy decoding.")
    if not found.beam:
        st.caption("With width 1 there is one hypothesis at every step: nothing to draw. Widen the beam.")
        return
    st.caption("Each dot is a hypothesis beam search kept, at its output position, ranked by total log-probability "
               "(colour; hover for the number and the word: long trees label only the chosen one); lines join it "
               "to the hypothesis it extends; squares finished with <eos>. Orange: the chosen translation.")
    fig, table = figs.beam_tree_figure(found.beam, found.output_tokens)
    ui.plot(fig, f"translation-beam-{beam}", table, key="tr_beamfig",
            caption=f"The beam search tree at k = {beam}: hypotheses by output position and rank; orange, the chosen translation.")


# -- 6. attention across training ----------------------------------------------------------------------------
def without_attention_view(ship, plain_trace, meta: dict, plain_meta: dict, pair, length: int) -> None:
    """Section 4: the same sentence by the model with attention (its map) and by the one without, and the
    recorded exact match of both on test sentences of this sentence's length."""
    st.markdown("The baseline is the same network with $c_i = m$ at every step: no weights to draw, only one "
                "summary vector of the whole sentence.")
    a_col, p_col = st.columns([3, 2])
    with a_col:
        st.markdown(f"**With attention:** {' '.join(ship.words)}  \n{verdict(ship, pair)}")
        ui.plot(figs.attention_map(ship)[0], "translation-attention-side", None, key="tr_heat_side",
                caption="The attention weights of the model with attention on this sentence (rows: output words).")
    with p_col:
        st.markdown(f"**Without attention:** {' '.join(plain_trace.words)}  \n{verdict(plain_trace, pair)}")
        st.latex(r"c_i = m \quad \text{for every } i")
        bucket = length_bucket(length)
        by_len = [m["metrics"]["exact_match_by_length"].get(bucket) for m in (meta, plain_meta)]
        if None not in by_len:
            st.markdown(f"On test sentences of {bucket} words, whole translations right: **{by_len[0]:.0%}** with "
                        f"attention, **{by_len[1]:.0%}** without."
                        + (" Pick a longer sentence above to see the baseline fail." if by_len[1] > 0.9 else ""))


@classroom.fragment
def snapshots_view(snaps) -> None:
    """A sentence and a training step of the recorded snapshots: the output, the map, the exact-match curve."""
    by_text = {" ".join(s.source): s for s in snaps.sentences}
    s1, s2 = st.columns([2, 3])
    snap_text = s1.selectbox("Sentence (one of each length)", list(by_text), index=min(1, len(by_text) - 1),
                             key="tr_snap_text", bind="query-params")
    snap_step = s2.select_slider("Training step", snaps.steps, value=snaps.steps[len(snaps.steps) // 2],
                                 key="tr_snap_step", bind="query-params")
    rec, k = by_text[snap_text], snaps.steps.index(snap_step)
    words = without_eos(rec.outputs[k])
    right = words == rec.reference
    st.markdown(f"**Step {snap_step}, greedy output:** {' '.join(words) or '(nothing)'} "
                + (":green[**matches the reference**]" if right else
                   f":red[**wrong**]  \n**Reference:** {' '.join(rec.reference)}"))
    h1, h2 = st.columns([3, 2])
    with h1:
        fig, table = figs.weights_heatmap(rec.weights[k], rec.source, rec.outputs[k],
                                          tuple(rec.alignment) if right else None)
        ui.plot(fig, f"translation-snapshot-{snap_step}", table, key="tr_snap_heat",
                caption=f"The attention weights of the shipped model's training run at step {snap_step}.")
    with h2:
        st.metric(f"Exact match at step {snap_step} ({snaps.eval_sentences} test sentences)",
                  f"{snaps.exact_match[k]:.1%}")
        fig, table = figs.training_curve(snaps.steps, snaps.exact_match, snap_step)
        ui.plot(fig, "translation-snapshot-curve", table, key="tr_snap_curve",
                caption=f"Exact match against the training step; step {snap_step} marked.")


# -- 7. the learner's own model --------------------------------------------------------------------------------
def _check(ckpt):
    def after_chunk(m) -> None:
        begin = time.perf_counter()
        with st.spinner(f"Translating {labs.attention.CHECK_SENTENCES} validation sentences..."):
            exact = labs.attention.check_learner(m.model, ckpt)
        m.extra.setdefault("checks", []).append((m.steps, exact))
        m.extra["check_seconds"] = time.perf_counter() - begin
    return after_chunk


def train_own(ckpt) -> None:
    """Section 7's controls and the shared training block; the page is drawn again after a chunk, so that
    section 1 shows the trained model. Below it: the loss and the held-out exact match of the model."""
    o1, o2, o3 = st.columns(3)
    origin = o1.radio("Start from", ["random weights", "the shipped model"], key="tr_own_start", bind="query-params",
                      help="The shipped model: a copy of it; the cached original is never trained.")
    from_shipped = origin == "the shipped model"
    attention = o2.selectbox("Attention", ["dot", "additive", "none"], key="tr_own_attention", bind="query-params",
                             disabled=from_shipped, help="The shipped model uses dot-product attention.")
    seed = int(o3.number_input("Seed (random weights and batches)", 0, 9999, 0, key="tr_own_seed"))
    attention = ckpt.model.cfg.attention if from_shipped else attention
    label = labs.attention.learner_label(from_shipped, attention, seed)
    before = store.get(label).steps if store.get(label) else 0
    m = training.train_your_own(
        LAB, label, lambda: labs.attention.start_learner(ckpt, from_shipped, attention, seed), key="tr_own",
        steps=(10, 50, 100, 200, 300), default=100, settings={"start": origin, "attention": attention, "seed": seed},
        after_chunk=_check(ckpt))
    if m is None:
        st.caption("Nothing trained yet: press the button to start from the settings above. Other settings "
                   "start another model; Start over forgets this one.")
        return
    if m.steps > before:  # a chunk just ended: record its speed, then draw the page again with the model
        m.extra["speed"] = labs.attention.chunk_speed(m.extra.get("chunks", []), m.extra.get("check_seconds", 0.0))
        st.rerun()
    speed = m.extra.get("speed")
    st.markdown(f"**Your model:** {label.removeprefix('Translation: ')}, **{m.steps:,} steps** taken"
                + (f" (last chunk: {speed:.0f} steps/s)" if speed else "") + ".")
    checks = m.extra.get("checks", [])
    if checks and checks[-1][0] != m.steps:
        st.caption(f"Training was interrupted: the model kept all {m.steps} steps, but the last exact match was "
                   f"measured at step {checks[-1][0]}.")
    if not m.run.history:
        return
    l1, l2 = st.columns(2)
    with l1:
        from seqviz.plotting import loss_chart

        history = m.run.history
        ui.altair_plot(loss_chart([e.step for e in history], [e.loss for e in history]), "translation-own-loss",
                       _loss_table(history), key="tr_own_loss",
                       caption="Your model's training loss (cross-entropy per output word, nats) at every step.")
    with l2:
        if checks:
            steps_done, exact = zip(*checks)
            st.metric(f"Exact match at step {steps_done[-1]} ({labs.attention.CHECK_SENTENCES} validation sentences)",
                      f"{exact[-1]:.1%}")
            fig, table = figs.training_curve(list(steps_done), list(exact), steps_done[-1],
                                             "exact match (validation sentences)")
            ui.plot(fig, "translation-own-curve", table, key="tr_own_curve",
                    caption="Your model's exact match on the validation sentences against the training step.")


def _loss_table(history):
    import pandas as pd

    return pd.DataFrame({"step": [e.step for e in history], "loss": [e.loss for e in history]})
