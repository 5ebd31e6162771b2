"""LSTM and GRU lesson: gates that decide what a recurrent network keeps, on a task that needs memory.

Library calls: ui.shipped / ui.trace (cached, shared), seqviz.ui.recurrent (learner_models: LSTM and GRU
recall models from the store, trace_of, next_example, keep_units, unit_finder: a fragment over
analysis.units_above / texts_where_units_hold), Intervention, RecallTask.check_text, plotting.gates
(EQUATIONS, mean_sigmoid_gates, gates_grid, answer_bars, step_probs_figure, unit_lines, gate_latex,
state_latex, state_before_after).
"""

import random

import streamlit as st

from seqviz import labs, ui
from seqviz.models.recurrent import Intervention, gru_cell, lstm_cell
from seqviz.plotting import gates as gp
from seqviz.ui import recurrent as rui
from seqviz.ui.classroom import explain, predict_then_reveal

SHIPPED = {"recall-lstm": "Shipped LSTM", "recall-gru": "Shipped GRU"}
LAG = labs.recurrent.RECIPES["recall-lstm"].task.lag
DEFAULT_TEXT = labs.recurrent.RECIPES["recall-lstm"].task.sample(random.Random(0))
FINDER_TEXTS, FINDER_SEED = 200, 2024

st.title("LSTM and GRU: gates that decide what to keep")
explain(
    f"The **recall task**: a text starts with one of 8 symbols a-h, then {LAG} random digits follow; after "
    "the last digit the model must name the first symbol. Chance is 1 in 8 (12.5%). The digits carry no "
    "information, so the symbol must survive every step in the state. A vanilla RNN rewrites its whole "
    "state at every step and forgets; an LSTM or a GRU computes **gates**, numbers between 0 and 1 "
    "(σ is the logistic sigmoid), that decide unit by unit how much of the old state to keep and how "
    "much new input to write. $\\odot$ multiplies unit by unit."
)

# -- which model, which text ----------------------------------------------------------------------
mine = rui.learner_models(cells=tuple(gp.MEMORY_GATE), task="recall")
left, mid, right = st.columns([1.3, 2.5, 1], vertical_alignment="bottom")
choice = left.selectbox("Model", [*SHIPPED, *mine], format_func=lambda k: SHIPPED.get(k, f"Mine: {k}"),
                        key="gates_model", bind="query-params")
source = choice if choice in SHIPPED else mine[choice]
if choice in SHIPPED and (ckpt := ui.shipped(choice)) is None:
    st.stop()
model, task = (ckpt.model, ckpt.task) if choice in SHIPPED else (source.model, labs.recurrent.task_of(source.meta))
vocab, cfg = task.vocab(), model.cfg
H, gate = cfg.hidden_size, gp.MEMORY_GATE[cfg.cell]
text = mid.text_input("Text: a symbol a-h, then digits", DEFAULT_TEXT, key="gates_text", bind="query-params")
right.button("Random example", on_click=rui.next_example, args=(task, "gates_text"), icon=":material/casino:",
             width="stretch")
if not mine:
    st.caption("Models you train with LSTM or GRU cells on the Train and compare page appear in this list too; "
               "none yet in this session.")
st.latex(gp.EQUATIONS[cfg.cell])
ui.show_code(lstm_cell if cfg.cell == "lstm" else gru_cell)

check = task.check_text(text, vocab)
trace = None
if check.error:
    st.error(check.error)
else:
    if check.note:
        st.warning(check.note)
    trace = rui.trace_of(source, text)
    cell, tokens, truth = trace.first, trace.tokens, task.target(text)
    T = len(tokens)
    if cfg.bidirectional or cfg.num_layers > 1:
        st.info(f"This model has {cfg.num_layers} layer(s)" + (", each reading in both directions" if cfg.bidirectional else "")
                + "; the views below show the first layer's left-to-right cell.")

    st.header("1. Every gate over time")
    ui.clamp_state("gates_t", T)
    ui.clamp_state("gates_unit", H - 1, lo=0)
    c1, c2 = st.columns([1, 3])
    unit = c1.selectbox("Unit j", list(range(H)), key="gates_unit", bind="query-params")
    t = c2.slider("Step t", 1, T, key="gates_t", bind="query-params") if T > 1 else 1  # starts at 1
    after_symbol = gp.mean_sigmoid_gates(cell)  # steps 2..T: the digits
    open_gate = max(after_symbol, key=after_symbol.get)
    predict_then_reveal(
        "gates_q_open", "Over the digits after the symbol, which gate stays the most open (closest to 1) on average?",
        [f"${g}_t$" for g in after_symbol], f"${open_gate}_t$",
        lambda: st.markdown("Mean over steps 2 to T and all units: " + ", ".join(
            f"${g}_t$ **{v:.3f}**" for g, v in after_symbol.items()) + f". An open ${gate}_t$ keeps the old state."))
    fig, table = gp.gates_grid(cell, tokens, t, unit)
    ui.plot(fig, f"gates-{cfg.cell}", table, key="grid",
            caption="Every gate and state of the first layer over time: columns are steps (the character read), rows "
                    "are units. Gates squashed by σ use the fixed [0, 1] scale; the tanh candidate and $h_t$ the fixed "
                    "[-1, 1] scale (red positive, blue negative)"
                    + (", and $c_t$, which can grow past 1, a symmetric range fixed for this text" if cfg.cell == "lstm" else "")
                    + f". Outlined in grey: step {t} (a column) and unit {unit} (a row).")
    if cfg.cell == "lstm":
        explain("Look at $f_t$ (in the shipped LSTM, close to 1 almost everywhere): where $f_t \\approx 1$, "
                    "$c_t \\approx c_{t-1}$ plus a little, so what step 1 wrote stays in $c_t$ to the end, and $c_t$ "
                    "keeps growing; $o_t$ decides how much of it shows in $h_t$.")
    else:
        explain("Look at $z_t$ (in the shipped GRU, close to 1 on many units after the first steps): where "
                    "$z_t \\approx 1$, $h_t \\approx h_{t-1}$, so the digits barely change what the first symbol wrote.")

    st.header("2. The answer")
    p = trace.probs
    st.markdown(f"The text starts with **{text[0]}**; the model answers **{trace.predictions[0]}** with "
                f"$p = {p.max():.3f}$.")
    a1, a2 = st.columns([2, 3]) if trace.step_probs is not None else (st.container(), None)
    with a1:
        fig, table = gp.answer_bars({"p": p}, task.class_names, truth)
        ui.plot(fig, "gates-answer", table, key="answer",
                caption=f"The model's probability for each symbol after the whole text; the true symbol, {text[0]}, is marked \"true\" under its bar.")
    if a2 is not None:
        with a2:
            fig, table = gp.step_probs_figure(trace, truth)
            ui.plot(fig, "gates-answer-over-time", table, key="step-probs",
                    caption="If the text ended after step t, what would the model answer? Each symbol's "
                            "probability at every step (orange: the true symbol).")

    st.header(f"3. Unit {unit} at step {t}, every number")
    fig, table = gp.unit_lines(cell, tokens, unit, t)
    ui.plot(fig, f"gates-unit-{unit}", table, key="unit",
            caption=f"Unit {unit}: each gate and state over time as a line, step {t} marked.")
    st.markdown(f"At $t = {t}$ the model reads **{gp.token_label(tokens[t - 1])!r}**. Each gate adds four terms "
                "for this unit and squashes the sum; the state update then mixes old and new.")
    for name in cell.gate_names:
        st.latex(gp.gate_latex(cell, name, t, unit))
    for line in gp.state_latex(cell, t, unit):
        st.latex(line)

# -- interventions ---------------------------------------------------------------------------------
st.header("4. Force a gate, silence a unit")
if cfg.cell == "lstm":
    st.markdown("Force the forget gate $f_t$ of some units to a fixed value at **every** step. $f_t = 0$ makes "
                "$c_t = i_t \\odot g_t$: each step erases what came before, so the symbol from step 1 is gone "
                "and, forced on all units, the answer falls to chance. $f_t = 1$ makes $c_t = c_{t-1} + i_t \\odot g_t$: "
                "nothing is erased, and the answer stays.")
else:
    st.markdown("Force the update gate $z_t$ of some units at **every** step. $z_t = 1$ makes $h_t = h_{t-1}$: "
                "the state is kept perfectly, but since it starts at $h_0 = 0$ the symbol is never written either, "
                "so forced on all units the answer falls to chance. $z_t = 0$ makes $h_t = n_t$: no direct copy of the "
                "old state, only what passes through $W_{hn} h_{t-1}$, the way a vanilla RNN remembers.")
rui.keep_units(("gates_force", "gates_zero"), H)
if trace is not None:
    forced_all = rui.trace_of(source, text, Intervention(gate=gate, gate_units=tuple(range(H)), gate_value=0.0))
    kept = forced_all.predictions[0] == text[0]
    predict_then_reveal(
        "gates_q_force", f"Force ${gate}_t = 0$ on every unit at every step. Will the model still name the first "
                         f"symbol, **{text[0]}**?", ["yes", "no"], "yes" if kept else "no",
        lambda: st.markdown(f"With ${gate}_t = 0$ everywhere the model answers **{forced_all.predictions[0]}**, "
                            f"$p({text[0]}) = {forced_all.probs[truth]:.3f}$ (as trained: {p[truth]:.3f}; chance 0.125)."))
ui.drop_unusable_link_values("gates_value")
i1, i2, i3 = st.columns([3, 1, 3], vertical_alignment="bottom")
forced = i1.multiselect(f"Force ${gate}_t$ of these units", list(range(H)), key="gates_force", bind="query-params")
value = i2.segmented_control("Forced value", [0, 1], default=0, key="gates_value", bind="query-params", required=True)
i2.button("All units", on_click=lambda: st.session_state.update(gates_force=list(range(H))), width="stretch")
zeroed = i3.multiselect("Set $h_t$" + (" and $c_t$" if cfg.cell == "lstm" else "") + " of these units to 0 after every step",
                        list(range(H)), key="gates_zero", bind="query-params")
iv = Intervention(gate=gate, gate_units=tuple(sorted(forced)), gate_value=float(value), zero_units=tuple(sorted(zeroed)))
if trace is None:
    st.caption("Type a valid text above to see what the intervention changes.")
elif not iv:
    st.caption("No units selected: no intervention. Pick units above, or press All units.")
else:
    after = rui.trace_of(source, text, iv)
    m1, m2 = st.columns(2)
    m1.metric(f"p({text[0]}), the true symbol", f"{after.probs[truth]:.3f}", delta=f"{after.probs[truth] - p[truth]:+.3f} vs as trained")
    m2.metric("Answer", after.predictions[0], delta=f"as trained: {trace.predictions[0]}", delta_color="off",
              delta_arrow="off")
    both = {"as trained": p, "with the intervention": after.probs}
    fig, table = gp.answer_bars(both, task.class_names, truth)
    ui.plot(fig, "gates-intervention-answer", table, key="iv-answer",
            caption="Each symbol's probability as trained and with the intervention; orange: the true symbol.")
    state = "c" if cfg.cell == "lstm" else "h"
    fig, table = gp.state_before_after(cell, after.first, tokens, state, tuple(sorted({*forced, *zeroed})))
    ui.plot(fig, "gates-intervention-state", table, key="iv-state",
            caption=f"The {gp.STATE_INFO[state]} ${state}_t$ before and after the intervention, on one colour range; "
                    "orange ▶ marks the units you changed.")

# -- unit finder -----------------------------------------------------------------------------------
if trace is not None:
    st.header("5. Find units that hold something")
    st.markdown("Pick a stretch of your text and a threshold θ. A unit is listed if its $h_t$ stays on one side "
                "at every step of the stretch: $h_t \\ge θ$ (+) or $h_t \\le -θ$ (−). Then the model reads "
                f"{FINDER_TEXTS} texts of the task, and the table shows where those units are all on their sides together.")
    rui.unit_finder(model, task, cell.hidden, FINDER_TEXTS, FINDER_SEED)
