"""Vanilla RNN lesson: a tanh RNN that counts open brackets, shown one number at a time.

Library calls: ui.shipped_checkpoint / ui.shipped_trace / ui.shipped_reference_states (cached,
shared), RecurrentNet.trace and ui.reference_states (the learner's model), BracketTask.check_text,
plotting.hidden_heatmap / step_terms_figure / prediction_heatmap / trajectory_figure,
training.TrainingRun + evaluate via ui.train_live.
"""

import numpy as np
import pandas as pd
import streamlit as st
import torch

from seqviz import plotting, ui
from seqviz.ui.classroom import explain, predict_then_reveal
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet, copy_model, rnn_cell
from seqviz.training import TrainingRun, evaluate

SHIPPED = "rnn-brackets"
DEFAULT_TEXT = "f(a(b(c)d)e)(g)h"
SOURCES = {"shipped": "Shipped model", "mine": "My model"}

st.title("Vanilla RNN: a memory that counts")
explain(
    "A recurrent network reads a sequence one element at a time and carries a vector, the **hidden "
    "state** $h_t$, from each step to the next. This one reads text and, after every character, says "
    "how many brackets are open. Letters and spaces change nothing, so the only way to know the depth "
    "is to *remember* it: the count must live somewhere in $h_t$."
)
ckpt = ui.shipped_checkpoint(SHIPPED)
if ckpt is None:
    st.stop()
task, vocab = ckpt.task, ckpt.vocab

st.latex(r"h_t = \tanh\left(W_{xh}\,x_t + b_{xh} + W_{hh}\,h_{t-1} + b_{hh}\right), \qquad h_0 = 0")
st.latex(r"\hat{y}_t = \operatorname{softmax}\left(W_{hy}\,h_t + b_y\right)")
cfg = ckpt.model.cfg
st.markdown(
    f"$x_t$: the character at step $t$ as a one-hot vector of size $V = {cfg.vocab_size}$, so "
    f"$W_{{xh}} x_t$ is the column of $W_{{xh}}$ for that character. $h_t$: {cfg.hidden_size} hidden units. "
    f"$W_{{xh}}$ is {cfg.hidden_size}×{cfg.vocab_size}, $W_{{hh}}$ is {cfg.hidden_size}×{cfg.hidden_size}, "
    f"$W_{{hy}}$ maps $h_t$ to scores for the $C = {cfg.num_classes}$ depths 0-{cfg.num_classes - 1}."
)
ui.show_code(rnn_cell, RecurrentNet._recompute)

# -- which model, which text --------------------------------------------------------------------
run: TrainingRun | None = st.session_state.get("rnn_run")
if st.session_state.pop("rnn_show_mine", False):
    st.session_state["rnn_model"] = "mine"
ui.drop_unusable_link_values("rnn_model")
left, right = st.columns([1.3, 3])  # room for both labels of the model switch on a laptop
source = left.segmented_control("Model", list(SOURCES), format_func=SOURCES.get, default="shipped",
                                key="rnn_model", bind="query-params", required=True)
text = right.text_input("Text for the model to read (brackets, lowercase letters, spaces)", DEFAULT_TEXT,
                        key="rnn_text", bind="query-params")
if source == "mine" and run is None:
    st.info("You have not trained a model in this session yet, so the views show the shipped checkpoint. "
            "Train one at the bottom of the page.")
mine = source == "mine" and run is not None
model = run.model if mine else ckpt.model

check = task.check_text(text, vocab)
if check.error:
    st.error(check.error)
else:
    if check.note:
        st.warning(check.note)
    if mine:
        trace = model.trace(vocab.encode(check.tokens), check.tokens, task.class_names)
        basis, cloud, cloud_labels = ui.reference_states(model, task, vocab)
    else:
        trace = ui.shipped_trace(SHIPPED, text)
        basis, cloud, cloud_labels = ui.shipped_reference_states(SHIPPED)
    T = len(trace.tokens)
    truth = task.depths(text)
    steps = np.arange(1, T + 1)

    st.header("1. The hidden state over time")
    if st.session_state.get("rnn_t", 1) > T:  # a shorter text must not leave the step slider out of range
        st.session_state["rnn_t"] = T
    t = st.slider("Step t", 1, T, 1, key="rnn_t", bind="query-params") if T > 1 else 1
    hidden_df = pd.DataFrame(trace.hidden, columns=[f"h[{j}]" for j in range(trace.hidden.shape[1])])
    hidden_df.insert(0, "character", trace.tokens)
    hidden_df.insert(0, "t", steps)
    ui.plot(plotting.hidden_heatmap(trace, t), "rnn-hidden-state", hidden_df, key="hidden",
            caption="The hidden state $h_t$ (rows: units, columns: steps) after reading the character under each "
                    "column: red positive, blue negative, white zero, on tanh's fixed range [-1, 1]. "
                    f"Outlined: step {t}.")

    st.header(f"2. Step {t}, every number")
    tok = trace.tokens[t - 1]
    probs = trace.probs[t - 1]
    st.markdown(
        f"At $t = {t}$ the network reads **{plotting.token_label(tok)!r}**. It adds the four terms "
        "below unit by unit into the pre-activation $a_t$, squashes it with tanh, and reads the "
        f"depth off $h_t$: it says **{trace.predictions[t - 1]}** with $p = {probs.max():.3f}$ "
        f"(true depth {truth[t - 1]})."
    )
    H = trace.hidden.shape[1]
    unit = st.selectbox("Write out the equation for unit j", list(range(H)), key="rnn_unit",
                        bind="query-params")
    eq = trace.first.equation("a")
    v = {name: values[t - 1, unit] for name, values in eq.items()}
    st.latex(
        rf"a_{{{t}}}[{unit}] = \underbrace{{{v['W_xh x_t']:.3f}}}_{{(W_{{xh}} x_t)[{unit}]}}"
        rf" + \underbrace{{{v['b_xh']:.3f}}}_{{b_{{xh}}[{unit}]}}"
        rf" + \underbrace{{{v['W_hh h_{t-1}']:.3f}}}_{{(W_{{hh}} h_{{t-1}})[{unit}]}}"
        rf" + \underbrace{{{v['b_hh']:.3f}}}_{{b_{{hh}}[{unit}]}} = {v['a_t']:.3f}"
        rf", \qquad h_{{{t}}}[{unit}] = \tanh({v['a_t']:.3f}) = {trace.hidden[t - 1, unit]:.3f}"
    )
    terms_df = pd.DataFrame({name: values[t - 1] for name, values in eq.items()})
    terms_df["h_{t-1}"], terms_df["h_t"] = trace.first.h_prev[t - 1], trace.hidden[t - 1]
    terms_df.insert(0, "unit", range(H))
    ui.plot(plotting.step_terms_figure(trace.first, t), f"rnn-step-{t}", terms_df, key="terms",
            caption=f"Step {t}, one row per unit: the four terms that add up to $a_t$, then $a_t$, "
                    "$h_{t-1}$ and $h_t = \\tanh(a_t)$, each cell with its number.")

    st.header("3. What the model predicts after every step")
    last = plotting.token_label(trace.tokens[-1])
    predict_then_reveal(
        "rnn_q_last", f"After the last character, {last!r}, which depth will the model say?",
        trace.class_names, trace.predictions[-1],
        lambda: st.markdown(f"It gives **{trace.predictions[-1]}** $p = {trace.probs[-1].max():.3f}$ after reading "
                            f"all {T} characters; the true depth is {truth[-1]}. The last column of the heatmap "
                            "below shows every depth's probability."))
    pred_df = pd.DataFrame(trace.probs, columns=trace.class_names)
    pred_df.insert(0, "true depth", truth)
    pred_df.insert(0, "character", trace.tokens)
    pred_df.insert(0, "t", steps)
    ui.plot(plotting.prediction_heatmap(trace, truth), "rnn-predictions", pred_df, key="pred",
            caption="The probability the model gives each depth (rows) after reading up to each character "
                    "(columns), on the fixed scale [0, 1]. Open circles: the true depth.")
    correct = sum(p == f"depth {d}" for p, d in zip(trace.predictions, truth))
    st.metric("Steps predicted correctly", f"{correct} / {T}")

    st.header("4. The path of the hidden state")
    points = basis.project(trace.hidden)
    ui.plot(plotting.trajectory_figure(points, trace.tokens, basis.explained, cloud, cloud_labels, t),
            "rnn-trajectory", pd.DataFrame({"t": steps, "character": trace.tokens,
                                            "PC1": points[:, 0], "PC2": points[:, 1]}), key="traj",
            caption="The path of $h_t$ projected on its two principal components. Every $h_t$ has 16 numbers; PCA "
                    "finds the two directions in which the model's states vary most (fitted on states from the "
                    "task's own texts, drawn faintly and coloured by true depth); your text's states "
                    "$h_1, h_2, \\dots$ are joined in order.")
    moves = np.linalg.norm(np.diff(np.vstack([np.zeros(H), trace.hidden]), axis=0), axis=1)  # (T,) |h_t - h_{t-1}|
    is_bracket = np.array([tok in "()" for tok in trace.tokens])
    if is_bracket.any() and (~is_bracket).any():
        b_move, o_move = moves[is_bracket].mean(), moves[~is_bracket].mean()
        predict_then_reveal(
            "rnn_q_move", "Which characters move the hidden state further: brackets, or letters and spaces?",
            ["brackets", "letters and spaces"], "brackets" if b_move > o_move else "letters and spaces",
            lambda: st.markdown(f"On this text the average step length $\\|h_t - h_{{t-1}}\\|$ is **{b_move:.3f}** "
                                f"for a bracket and **{o_move:.3f}** for any other character. A counter must move "
                                "on brackets and stay put on everything else."))
    explain("If the model counts, the states for one depth gather in one region and each bracket "
                "moves the path to the next region, while letters leave it nearly where it was.")

# -- train your own -------------------------------------------------------------------------------
st.header("5. Train your own")
explain("Train a fresh copy in this browser session; the shipped model stays as it is for everyone. "
            "Random weights give random predictions; watch how many steps it takes until the views above "
            "show a counter.")
c1, c2, c3, c4 = st.columns(4)
n_steps = c1.number_input("Steps per click", 10, 2000, 200, step=50, key="rnn_train_steps")
lr = c2.select_slider("Learning rate", [1e-3, 3e-3, 1e-2, 3e-2], 3e-3, key="rnn_lr",
                      format_func=lambda x: f"{x:g}")
origin = c3.radio("Start from", ["random weights", "the shipped checkpoint"], key="rnn_origin")
seed = c4.number_input("Seed", 0, 10_000, 0, key="rnn_seed")
b1, b2, _ = st.columns([1, 1, 2])
train_clicked = b1.button(f"Train {n_steps} more steps", type="primary", icon=":material/play_arrow:")
if b2.button("Start over", icon=":material/restart_alt:", disabled=run is None):
    st.session_state.pop("rnn_run", None)
    run = None
if train_clicked:
    if run is None:
        if origin == "random weights":
            torch.manual_seed(int(seed))
            new_model = RecurrentNet(RecurrentConfig(cfg.vocab_size, cfg.num_classes, "rnn", cfg.hidden_size))
        else:
            new_model = copy_model(ckpt.model)  # never train the shared, cached model
        run = TrainingRun.start(new_model, task.batches(int(seed) + 1, 64, vocab), lr=lr, origin=origin)
        st.session_state["rnn_run"] = run
    for group in run.optimizer.param_groups:
        group["lr"] = lr
    ui.train_live(run, int(n_steps))
    run.metrics = {"step": run.step, **evaluate(run.model, *ui.recipe_test_data(SHIPPED))}
    st.session_state["rnn_show_mine"] = True
    st.rerun()
if run is not None:
    if run.origin != origin:
        st.caption(f"Your model started from {run.origin}; press Start over to begin again from {origin}.")
    loss_df = pd.DataFrame({"step": [e.step for e in run.history], "loss": [e.loss for e in run.history]})
    ui.altair_plot(plotting.loss_chart(loss_df["step"].tolist(), loss_df["loss"].tolist()), "rnn-training-loss",
                   loss_df, key="rnn_loss", caption="Your model's training loss (cross-entropy, nats) at every step.")
    shipped_acc = ckpt.meta["metrics"]["step_accuracy"]
    m1, m2, m3 = st.columns(3)
    m1.metric("Steps trained", f"{run.step:,}")
    if run.metrics:
        m2.metric(f"Held-out accuracy (at step {run.metrics['step']:,})", f"{run.metrics['step_accuracy']:.1%}",
                  delta=f"{run.metrics['step_accuracy'] - shipped_acc:+.1%} vs shipped", delta_color="off")
        m3.metric("Texts with every step right", f"{run.metrics['sequence_accuracy']:.1%}")
