"""Train and compare: RNN, LSTM and GRU trained side by side on the recall task, and accuracy against lag.

Library calls: compare.Settings / mismatch / chunk_seconds / memory_kept / estimate_seconds / accuracy_at /
solved_up_to, seqviz.ui.recurrent (comparison,
train_side_by_side: Comparison.train through the training queue, every model put in the store as a
LearnerModel of lab "recurrent"; forget_comparison; run_live_sweep: compare.run_sweep), ui.shipped
("recall-lag-sweep", a compare.Sweep), plotting.compare (loss_curves_figure, accuracy_curves_figure,
lag_sweep_figure), plotting.tex_number, ui.plot / ui.show_code.
"""

import math
import random

import streamlit as st

from seqviz import compare, ui
from seqviz.compare import (ARCHS, CHANCE, GATE_BIAS, HIDDEN_RANGE, LABELS, LAG_RANGE, LAYERS_RANGE, SEED_RANGE,
                            Comparison, Settings, SharedBatches, build_model)
from seqviz.plotting import compare as figures
from seqviz.plotting import tex_number
from seqviz.tasks import RecallTask
from seqviz.ui import recurrent as rui
from seqviz.ui.classroom import explain, predict_then_reveal

TIME_LIMIT_S = 60  # a chunk or a live sweep the estimate puts above this is refused
SWEEP_HARD_STOP_S = 90  # a live sweep stops here even if the estimate was too low (a busy server)
LR_CHOICES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2]
SWEEP_LAGS = [1, 5, 10, 15, 20, 30, 45, 60, 80, 100]
SWEEP_STEPS = [100, 200, 300, 400, 600, 800, 1000]

st.title("Train and compare: how long can each cell remember?")
explain(
    "The **recall task**: a text starts with one of 8 symbols a-h, then a number of random digits, the "
    "**lag**, follows; after the last digit the model must name the first symbol. The digits carry no "
    "information, so the symbol has to survive `lag` updates of the state. Guessing is right 1 time in 8 "
    f"({CHANCE:.1%}), with a loss of $\\ln 8 \\approx {math.log(8):.2f}$ nats. Here you train a vanilla RNN, "
    "an LSTM and a GRU on exactly the same texts, from the same seed, and watch which of them learns to remember."
)
st.markdown("What differs is the path from $h_{t-1}$ (or $c_{t-1}$) to the next step:")
st.latex(r"\text{RNN:}\quad h_t = \tanh\left(W_{xh}\,x_t + b_{xh} + W_{hh}\,h_{t-1} + b_{hh}\right)")
st.latex(r"\text{LSTM:}\quad c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad "
         r"f_t = \sigma\left(W_{if}\,x_t + b_{if} + W_{hf}\,h_{t-1} + b_{hf}\right)")
st.latex(r"\text{GRU:}\quad h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}, \qquad "
         r"z_t = \sigma\left(W_{iz}\,x_t + b_{iz} + W_{hz}\,h_{t-1} + b_{hz}\right)")
explain(
    "The RNN multiplies its state by $W_{hh}$ and squashes it with tanh at every step, so after many "
    "steps little of the first symbol is left, and the gradient that should teach it to keep the symbol "
    "shrinks the same way. The LSTM's cell state and the GRU's state have a second path: with $f_t \\approx 1$ "
    "(or $z_t \\approx 1$) the old value is simply carried over, scaled by the gate, not squashed."
)

# -- 1. settings ------------------------------------------------------------------------------------
st.header("1. Choose the models and the task")
ui.drop_unusable_link_values("cmp_lag", "cmp_hidden", "cmp_seed", "cmp_layers")
c1, c2, c3 = st.columns([2, 1, 1])
archs = c1.multiselect("Architectures", list(ARCHS), default=list(ARCHS), format_func=LABELS.get,
                       key="cmp_archs", bind="query-params")
lag = c2.number_input("Lag", LAG_RANGE[0], LAG_RANGE[1], 30, key="cmp_lag", bind="query-params",
                      help=f"Digits between the symbol and the answer: {LAG_RANGE[0]} to {LAG_RANGE[1]}.")
hidden = c3.number_input("Hidden size H", HIDDEN_RANGE[0], HIDDEN_RANGE[1], 32, step=4, key="cmp_hidden",
                         bind="query-params", help=f"Units per layer: {HIDDEN_RANGE[0]} to {HIDDEN_RANGE[1]}.")
c4, c5, c6, c7 = st.columns([1, 2, 1, 1])
layers = c4.segmented_control("Layers", list(range(LAYERS_RANGE[0], LAYERS_RANGE[1] + 1)), default=1,
                              key="cmp_layers", bind="query-params", required=True,
                              help=f"Stacked recurrent layers: {LAYERS_RANGE[0]} or {LAYERS_RANGE[1]}.")
lr = c5.select_slider("Learning rate (Adam)", LR_CHOICES, 3e-3, key="cmp_lr", bind="query-params",
                      format_func=lambda x: f"{x:g}", help=f"{LR_CHOICES[0]:g} to {LR_CHOICES[-1]:g}.")
seed = c6.number_input("Seed", SEED_RANGE[0], SEED_RANGE[1], 0, key="cmp_seed", bind="query-params",
                       help=f"Initial weights and training texts: {SEED_RANGE[0]} to {SEED_RANGE[1]:,}.")
n_steps = c7.number_input("Steps per click", 10, 500, 200, step=10, key="cmp_chunk", help="10 to 500.")
gate_on = st.checkbox(f"Remember by default: start the LSTM forget gate and the GRU update gate at σ({GATE_BIAS:g}) ≈ "
                      f"{compare.memory_kept(1, GATE_BIAS):.2f}", value=True, key="cmp_gate", bind="query-params")
keep_default, keep_bias = compare.memory_kept(lag, 0.0), compare.memory_kept(lag, GATE_BIAS)
explain(
    f"PyTorch starts every bias near 0, so at first $f_t \\approx \\sigma(0) = 0.5$: after a lag of {lag} a "
    f"memory, and the gradient flowing back to it, is scaled by about $0.5^{{{lag}}} \\approx {tex_number(keep_default)}$, "
    "and the first batches teach the gate nothing. With the box ticked, the input bias of the forget gate "
    f"($b_{{if}}$) and of the update gate ($b_{{iz}}$) starts at {GATE_BIAS:g} (and $b_{{hf}}$, $b_{{hz}}$ at 0): "
    f"the gate starts near $\\sigma({GATE_BIAS:g}) \\approx 0.95$ and about $0.95^{{{lag}}} \\approx {tex_number(keep_bias)}$ "
    "survives, so the model **remembers by default** and learns what to forget. The vanilla RNN has no gate, "
    "so the box does not change it (an RNN with ReLU and $W_{hh}$ started at the identity is the RNN's version "
    "of the same trick, and also solves lags 30-60 here)."
)
ui.show_code(build_model, SharedBatches, Comparison.train)

settings = Settings(lag=int(lag), hidden_size=int(hidden), num_layers=int(layers), lr=float(lr), seed=int(seed),
                    gate_bias=GATE_BIAS if gate_on else 0.0)
example = RecallTask(lag=settings.lag).sample(random.Random(settings.seed))
st.caption(f"An example text at lag {settings.lag}: `{example}`, answer **{example[0]}**.")

# -- 2. training side by side -------------------------------------------------------------------------
st.header("2. Train them side by side")
st.markdown(
    "Every click trains each chosen model the same number of steps. Step $k$ of every model uses the same "
    "batch of 64 texts, drawn once; accuracy is measured on 300 held-out texts that training never draws."
)
if not archs:
    st.info("Choose at least one architecture in section 1 to train.")
comp = rui.comparison()
mismatch = compare.mismatch(comp, archs, settings)
if mismatch:
    st.warning(f"These models were trained with {', '.join(LABELS[a] for a in comp.archs)} at lag "
               f"{comp.settings.lag} ({compare.describe(comp.settings)}); you have since changed the "
               f"{' and '.join(mismatch)}. Press Start over to train new models with the new settings.")
estimate = compare.chunk_seconds(comp, archs, settings, int(n_steps))
too_long = estimate > TIME_LIMIT_S
b1, b2, b3 = st.columns([1, 1, 2], vertical_alignment="center")
train_clicked = b1.button(f"Train {n_steps} more steps", type="primary", icon=":material/play_arrow:",
                          key="cmp_train", disabled=not archs or bool(mismatch) or too_long)
if b2.button("Start over", icon=":material/restart_alt:", key="cmp_start_over", disabled=comp is None):
    rui.forget_comparison()  # its models leave the store, and so the other pages, too
    st.rerun()
b3.caption(f"That would take about {estimate:.0f} s; the limit is {TIME_LIMIT_S} s. Choose fewer steps per click, "
           "a shorter lag or a smaller model." if too_long else f"About {estimate:.0f} s on this server.")
left, right = st.columns(2)
loss_slot, acc_slot = left.empty(), right.empty()
if train_clicked:
    rui.train_side_by_side(archs, settings, int(n_steps), loss_slot, acc_slot)

if comp is None:
    st.info("No models yet in this session: press Train to build them from the seed and start training. "
            "They live in this browser session only.")
else:
    with loss_slot.container():
        fig, table = figures.loss_curves_figure(comp)
        ui.plot(fig, "compare-loss", table, key="loss",
                caption="Training loss of each model against the step (nats): bold the mean of the last 20 batches, "
                        "faint each batch.")
    with acc_slot.container():
        fig, table = figures.accuracy_curves_figure(comp)
        ui.plot(fig, "compare-accuracy", table, key="accuracy",
                caption="Accuracy of each model on the held-out texts against the step, measured every 25-50 steps. "
                        "Dashed grey: guessing.")
    for col, arch in zip(st.columns(len(comp.archs)), comp.archs):
        last, ms = comp.evals[arch][-1], comp.ms_per_step(arch)
        col.metric(f"{LABELS[arch]}: held-out accuracy", f"{last['accuracy']:.1%}",
                   delta=f"{last['accuracy'] - CHANCE:+.1%} vs chance", delta_color="off")
        col.caption(f"After {last['step']:,} steps" + (f"; {ms:.1f} ms per step on this server." if ms else "."))
    st.markdown("Your models stay in this browser session: the gates page lists the LSTM and GRU among its "
                "models and shows every gate and state of them on a text you type.")
    st.page_link("pages/rnn_gates.py", label="See the gates of your LSTM and GRU", icon=":material/tune:")

# -- 3. accuracy against lag ----------------------------------------------------------------------------
st.header("3. Accuracy against lag")
shipped = ui.shipped(compare.SWEEP_NAME)  # None after one sentence: the live sweep below still works
live: list = st.session_state.setdefault("cmp_sweeps", [])
if shipped:
    rnn_reach = compare.solved_up_to(shipped, "rnn")
    predict_then_reveal(
        "compare_q_rnn", f"After {shipped.steps:,} steps, up to which lag does the vanilla RNN reach 99% held-out accuracy?",
        [f"lag {g}" for g in sorted({p.lag for p in shipped.points if p.arch == "rnn"})] + ["none"],
        f"lag {rnn_reach}" if rnn_reach else "none",
        lambda: st.markdown("The vanilla RNN in the shipped sweep: " + ", ".join(
            f"lag {p.lag} **{p.accuracy:.0%}**" for p in sorted(shipped.points, key=lambda p: p.lag) if p.arch == "rnn")
            + f" (chance {CHANCE:.1%})."))
    top_lag = max(p.lag for p in shipped.points)
    at_top = compare.accuracy_at(shipped, top_lag)
    predict_then_reveal(
        "compare_q_longest", f"At the longest lag of the sweep, {top_lag}, which architecture remembers best?",
        list(at_top), max(at_top, key=at_top.get),
        lambda: st.markdown(f"Held-out accuracy at lag {top_lag}: " + ", ".join(
            f"{name} **{acc:.1%}**" for name, acc in at_top.items()) + "."))
    said = "; ".join(f"{LABELS[a]} " + (f"up to lag {r}" if (r := compare.solved_up_to(shipped, a)) else "at no lag tried")
                     for a in ARCHS)
    st.markdown(
        f"Each point is one model trained for {shipped.steps:,} steps at one lag ({compare.describe(shipped.settings)}, "
        f"batch {shipped.settings.batch_size}), all three on the same batches. In the shipped sweep, held-out accuracy "
        f"stays at 99% or more for: {said}. The shipped sweep took {shipped.seconds:.0f} s to train on one CPU thread."
    )
fig, table = figures.lag_sweep_figure(shipped, live)
if len(table):
    ui.plot(fig, "compare-lag-sweep", table, key="sweep",
            caption="Held-out accuracy against the lag for each architecture. Solid lines and filled markers: the "
                    "shipped sweep. Dotted lines and open markers: your live runs, in the same colours. Hover a point "
                    "for its settings. Dashed grey: guessing.")
    for k, s in enumerate(live, start=1):
        st.caption(f"Yours {k}: {', '.join(LABELS[a] for a in ARCHS if any(p.arch == a for p in s.points))}, "
                   f"{compare.describe(s.settings, s.steps)}.")

st.subheader("Run part of the sweep yourself")
explain("A live sweep trains the architectures and settings chosen in section 1 (lag aside) at each lag you "
        "pick, side by side on the same batches. Untick *remember by default* to see what the gate-bias "
        "initialisation buys the LSTM and the GRU.")
rui.live_sweep_controls(archs, settings, live, SWEEP_LAGS, SWEEP_STEPS, TIME_LIMIT_S, SWEEP_HARD_STOP_S)
if st.session_state.pop("cmp_sweep_stopped", False):
    st.info(f"The sweep stopped after {SWEEP_HARD_STOP_S} s because the server is busy; the lags it finished are drawn.")
