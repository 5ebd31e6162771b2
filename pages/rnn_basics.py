"""Vanilla RNN lesson: a tanh RNN that counts open brackets, shown one number at a time.

Library calls: ui.shipped / ui.trace (cached, shared), seqviz.ui.recurrent (shipped_reference_states,
learner_trace, learner_reference_states, start_brackets / evaluate_brackets for training.train_your_own: the
learner's model in the store), analysis.mean_step_lengths, BracketTask.check_text / depths, plotting.recurrent
(hidden_heatmap, step_terms_figure, step_latex, prediction_heatmap, trajectory_figure), plotting.loss_chart.
"""

import streamlit as st

from seqviz import analysis, plotting, ui
from seqviz.models.recurrent import RecurrentNet, rnn_cell
from seqviz.plotting import recurrent as figs
from seqviz.ui import recurrent as rui
from seqviz.ui import store, training
from seqviz.ui.classroom import explain, predict_then_reveal

SHIPPED = rui.BRACKETS
DEFAULT_TEXT = "f(a(b(c)d)e)(g)h"
SOURCES = {"shipped": "Shipped model", "mine": "My model"}

st.title("Vanilla RNN: a memory that counts")
explain(
    "A recurrent network reads a sequence one element at a time and carries a vector, the **hidden "
    "state** $h_t$, from each step to the next. This one reads text and, after every character, says "
    "how many brackets are open. Letters and spaces change nothing, so the only way to know the depth "
    "is to *remember* it: the count must live somewhere in $h_t$."
)
ckpt = ui.shipped(SHIPPED)
if ckpt is None:
    st.stop()
task, vocab, cfg = ckpt.task, ckpt.vocab, ckpt.model.cfg

st.latex(r"h_t = \tanh\left(W_{xh}\,x_t + b_{xh} + W_{hh}\,h_{t-1} + b_{hh}\right), \qquad h_0 = 0")
st.latex(r"\hat{y}_t = \operatorname{softmax}\left(W_{hy}\,h_t + b_y\right)")
st.markdown(
    f"$x_t$: the character at step $t$ as a one-hot vector of size $V = {cfg.vocab_size}$, so "
    f"$W_{{xh}} x_t$ is the column of $W_{{xh}}$ for that character. $h_t$: {cfg.hidden_size} hidden units. "
    f"$W_{{xh}}$ is {cfg.hidden_size}×{cfg.vocab_size}, $W_{{hh}}$ is {cfg.hidden_size}×{cfg.hidden_size}, "
    f"$W_{{hy}}$ maps $h_t$ to scores for the $C = {cfg.num_classes}$ depths 0-{cfg.num_classes - 1}."
)
ui.show_code(rnn_cell, RecurrentNet._recompute)

# -- which model, which text --------------------------------------------------------------------
own = store.get(rui.BRACKETS_LABEL)
if st.session_state.pop("rnn_show_mine", False):
    st.session_state["rnn_model"] = "mine"
ui.drop_unusable_link_values("rnn_model")
left, right = st.columns([1.3, 3])  # room for both labels of the model switch on a laptop
source = left.segmented_control("Model", list(SOURCES), format_func=SOURCES.get, default="shipped",
                                key="rnn_model", bind="query-params", required=True)
text = right.text_input("Text for the model to read (brackets, lowercase letters, spaces)", DEFAULT_TEXT,
                        key="rnn_text", bind="query-params")
if source == "mine" and own is None:
    st.info("You have not trained a model in this session yet, so the views show the shipped checkpoint. "
            "Train one at the bottom of the page.")
mine = source == "mine" and own is not None

check = task.check_text(text, vocab)
if check.error:
    st.error(check.error)
else:
    if check.note:
        st.warning(check.note)
    if mine:
        trace = rui.learner_trace(own, text)
        basis, cloud, cloud_labels = rui.learner_reference_states(own)
    else:
        trace = ui.trace(SHIPPED, text)
        basis, cloud, cloud_labels = rui.shipped_reference_states(SHIPPED)
    T, H = trace.hidden.shape
    truth = task.depths(text)

    @st.fragment
    def step_views():
        """Sections 1-3, everything the step t changes: moving "Step t" reruns these alone (not the
        predictions or the training below), and the browser redraws only their figures."""
        st.header("1. The hidden state over time")
        ui.clamp_state("rnn_t", T)
        t = st.slider("Step t", 1, T, 1, key="rnn_t", bind="query-params") if T > 1 else 1
        fig, table = figs.hidden_heatmap(trace, t)
        ui.plot(fig, "rnn-hidden-state", table, key="hidden",
                caption="The hidden state $h_t$ (rows: units, columns: steps) after reading the character under each "
                        "column: red positive, blue negative, white zero, on tanh's fixed range [-1, 1]. "
                        f"Outlined: step {t}.")

        st.header(f"2. Step {t}, every number")
        probs = trace.probs[t - 1]
        st.markdown(
            f"At $t = {t}$ the network reads **{plotting.token_label(trace.tokens[t - 1])!r}**. It adds the four terms "
            "below unit by unit into the pre-activation $a_t$, squashes it with tanh, and reads the "
            f"depth off $h_t$: it says **{trace.predictions[t - 1]}** with $p = {probs.max():.3f}$ "
            f"(true depth {truth[t - 1]})."
        )
        unit = st.selectbox("Write out the equation for unit j", list(range(H)), key="rnn_unit", bind="query-params")
        st.latex(figs.step_latex(trace.first, t, unit))
        fig, table = figs.step_terms_figure(trace.first, t)
        ui.plot(fig, f"rnn-step-{t}", table, key="terms",
                caption=f"Step {t}, one row per unit: the four terms that add up to $a_t$, then $a_t$, "
                        "$h_{t-1}$ and $h_t = \\tanh(a_t)$, each cell with its number.")

        st.header("3. The path of the hidden state")
        fig, table = figs.trajectory_figure(basis.project(trace.hidden), trace.tokens, basis.explained, cloud,
                                            cloud_labels, t)
        ui.plot(fig, "rnn-trajectory", table, key="traj",
                caption="The path of $h_t$ projected on its two principal components. Every $h_t$ has 16 numbers; PCA "
                        "finds the two directions in which the model's states vary most (fitted on states from the "
                        "task's own texts, drawn faintly and coloured by true depth); your text's states "
                        "$h_1, h_2, \\dots$ are joined in order.")
        moves = analysis.mean_step_lengths(trace.hidden, [tok in "()" for tok in trace.tokens])
        if moves is not None:
            b_move, o_move = moves
            predict_then_reveal(
                "rnn_q_move", "Which characters move the hidden state further: brackets, or letters and spaces?",
                ["brackets", "letters and spaces"], "brackets" if b_move > o_move else "letters and spaces",
                lambda: st.markdown(f"On this text the average step length $\\|h_t - h_{{t-1}}\\|$ is **{b_move:.3f}** "
                                    f"for a bracket and **{o_move:.3f}** for any other character. A counter must move "
                                    "on brackets and stay put on everything else."))
        explain("If the model counts, the states for one depth gather in one region and each bracket "
                "moves the path to the next region, while letters leave it nearly where it was.")

    step_views()

    st.header("4. What the model predicts after every step")
    last = plotting.token_label(trace.tokens[-1])
    predict_then_reveal(
        "rnn_q_last", f"After the last character, {last!r}, which depth will the model say?",
        trace.class_names, trace.predictions[-1],
        lambda: st.markdown(f"It gives **{trace.predictions[-1]}** $p = {trace.probs[-1].max():.3f}$ after reading "
                            f"all {T} characters; the true depth is {truth[-1]}. The last column of the heatmap "
                            "below shows every depth's probability."))
    fig, table = figs.prediction_heatmap(trace, truth)
    ui.plot(fig, "rnn-predictions", table, key="pred",
            caption="The probability the model gives each depth (rows) after reading up to each character "
                    "(columns), on the fixed scale [0, 1]. Open circles: the true depth.")
    correct = sum(p == f"depth {d}" for p, d in zip(trace.predictions, truth))
    st.metric("Steps predicted correctly", f"{correct} / {T}")

# -- train your own -------------------------------------------------------------------------------
st.header("5. Train your own")
explain("Train a fresh copy in this browser session; the shipped model stays as it is for everyone. "
        "Random weights give random predictions; watch how many steps it takes until the views above "
        "show a counter.")
c1, c2, c3 = st.columns(3)
lr = c1.select_slider("Learning rate", [1e-3, 3e-3, 1e-2, 3e-2], 3e-3, key="rnn_lr", format_func=lambda x: f"{x:g}")
origin = c2.radio("Start from", ["random weights", "the shipped checkpoint"], key="rnn_origin")
seed = c3.number_input("Seed", 0, 10_000, 0, key="rnn_seed")
rui.set_learning_rate(rui.BRACKETS_LABEL, lr)
own = training.train_your_own("recurrent", rui.BRACKETS_LABEL, key="rnn", steps=(10, 50, 100, 200, 500, 1000),
                              default=200, start=lambda: rui.start_brackets(ckpt, origin, int(seed), lr),
                              settings={"origin": origin, "seed": int(seed), "lr": lr}, after_chunk=rui.evaluate_brackets)
rui.show_after_training(own, key="rnn", switch="rnn")
if own is not None:
    if own.settings["origin"] != origin:
        st.caption(f"Your model started from {own.settings['origin']}; press Start over to begin again from {origin}.")
    chart = plotting.loss_chart([e.step for e in own.run.history], [e.loss for e in own.run.history])
    ui.altair_plot(chart, "rnn-training-loss", chart.data, key="rnn_loss",
                   caption="Your model's training loss (cross-entropy, nats) at every step.")
    shipped_acc, metrics = ckpt.meta["metrics"]["step_accuracy"], own.extra.get("metrics")
    m1, m2, m3 = st.columns(3)
    m1.metric("Steps trained", f"{own.steps:,}")
    if metrics:
        m2.metric(f"Held-out accuracy (at step {metrics['step']:,})", f"{metrics['step_accuracy']:.1%}",
                  delta=f"{metrics['step_accuracy'] - shipped_acc:+.1%} vs shipped", delta_color="off")
        m3.metric("Texts with every step right", f"{metrics['sequence_accuracy']:.1%}")
