"""LSTM and GRU lesson: gates that decide what a recurrent network keeps, on a task that needs memory.

Library calls: ui.shipped_checkpoint / ui.shipped_trace (cached, shared), ui.session_models (models
trained on the Train and compare page, traced with RecurrentNet.trace), Intervention,
RecallTask.check_text / sample / dataset, analysis.units_above / co_active / runs /
first_cell_states, plotting.gates.gates_grid / gates_frame / answer_bars / step_probs_figure /
unit_lines / gate_latex / state_latex / state_before_after.
"""

import random
from collections import Counter

import numpy as np
import pandas as pd
import streamlit as st

from seqviz import analysis, ui, zoo

from seqviz import labs
from seqviz.models.recurrent import Intervention, gru_cell, lstm_cell
from seqviz.plotting import gates as gp
from seqviz.ui.classroom import explain, predict_then_reveal

SHIPPED = {"recall-lstm": "Shipped LSTM", "recall-gru": "Shipped GRU"}
LAG = labs.recurrent.RECIPES["recall-lstm"].task.lag
DEFAULT_TEXT = labs.recurrent.RECIPES["recall-lstm"].task.sample(random.Random(0))
FINDER_TEXTS, FINDER_SEED = 200, 2024
MEMORY_GATE = {"lstm": "f", "gru": "z"}
EQUATIONS = {
    "lstm": r"""\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate} \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate} \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate} \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate} \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)
\end{aligned}""",
    "gru": r"""\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) && \text{reset gate} \\
z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) && \text{update gate} \\
n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) && \text{candidate} \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}""",
}

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
mine = {label: m for label, m in ui.session_models().items()
        if getattr(getattr(m.run.model, "cfg", None), "cell", None) in MEMORY_GATE
        and getattr(m.task, "name", None) == "recall"}
left, mid, right = st.columns([1.3, 2.5, 1], vertical_alignment="bottom")
choice = left.selectbox("Model", [*SHIPPED, *mine], format_func=lambda k: SHIPPED.get(k, f"Mine: {k}"),
                        key="gates_model", bind="query-params")
if choice in SHIPPED:
    ckpt = ui.shipped_checkpoint(choice)
    if ckpt is None:
        st.stop()
    model, task, vocab = ckpt.model, ckpt.task, ckpt.vocab
else:
    model, task = mine[choice].run.model, mine[choice].task
    vocab = task.vocab()
cfg = model.cfg
H, gate = cfg.hidden_size, MEMORY_GATE[cfg.cell]


def draw_example(task) -> None:
    st.session_state["gates_seed"] = seed = st.session_state.get("gates_seed", 0) + 1
    st.session_state["gates_text"] = task.sample(random.Random(seed))


text = mid.text_input("Text: a symbol a-h, then digits", DEFAULT_TEXT, key="gates_text", bind="query-params")
right.button("Random example", on_click=draw_example, args=(task,), icon=":material/casino:", width="stretch")
if not mine:
    st.caption("Models you train with LSTM or GRU cells on the Train and compare page appear in this list too; "
               "none yet in this session.")
st.latex(EQUATIONS[cfg.cell])
ui.show_code(lstm_cell if cfg.cell == "lstm" else gru_cell)


def trace_of(text: str, iv: Intervention | None = None):
    if choice in SHIPPED:
        return ui.shipped_trace(choice, text, iv)
    return model.trace(vocab.encode(list(text)), list(text), task.class_names, iv)


check = task.check_text(text, vocab)
trace = None
if check.error:
    st.error(check.error)
else:
    if check.note:
        st.warning(check.note)
    trace = trace_of(text)
    cell, tokens, truth = trace.first, trace.tokens, task.target(text)
    T = len(tokens)
    if cfg.bidirectional or cfg.num_layers > 1:
        st.info(f"This model has {cfg.num_layers} layer(s)" + (", each reading in both directions" if cfg.bidirectional else "")
                + "; the views below show the first layer's left-to-right cell.")

    st.header("1. Every gate over time")
    for key, top in (("gates_t", T), ("gates_unit", H - 1)):
        if st.session_state.get(key, 0) > top:  # a shorter text or a smaller model must not leave them out of range
            st.session_state[key] = top
    c1, c2 = st.columns([1, 3])
    unit = c1.selectbox("Unit j", list(range(H)), key="gates_unit", bind="query-params")
    t = c2.slider("Step t", 1, T, key="gates_t", bind="query-params") if T > 1 else 1  # starts at 1
    sigmoid_gates = [g for g in cell.gate_names if g in ("i", "f", "o", "r", "z")]
    after_symbol = {g: float(cell.gates[g][1:].mean()) for g in sigmoid_gates}  # steps 2..T: the digits
    open_gate = max(after_symbol, key=after_symbol.get)
    predict_then_reveal(
        "gates_q_open", "Over the digits after the symbol, which gate stays the most open (closest to 1) on average?",
        [f"${g}_t$" for g in sigmoid_gates], f"${open_gate}_t$",
        lambda: st.markdown("Mean over steps 2 to T and all units: " + ", ".join(
            f"${g}_t$ **{v:.3f}**" for g, v in after_symbol.items()) + f". An open ${gate}_t$ keeps the old state."))
    ui.plot(gp.gates_grid(cell, tokens, t, unit), f"gates-{cfg.cell}", gp.gates_frame(cell, tokens), key="grid",
            caption="Every gate and state of the first layer over time: columns are steps (the character read), rows "
                    "are units. Gates squashed by σ use the fixed [0, 1] scale; the tanh candidate and $h_t$ the fixed "
                    "[-1, 1] scale (red positive, blue negative)"
                    + (", and $c_t$, which can grow past 1, a symmetric range fixed for this text" if cfg.cell == "lstm" else "")
                    + f". Black outline: step {t}; orange: unit {unit}.")
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
        ui.plot(gp.answer_bars({"p": p}, task.class_names, truth), "gates-answer",
                pd.DataFrame({"symbol": task.class_names, "p": p}), key="answer",
                caption=f"The model's probability for each symbol after the whole text; orange: the true symbol, {text[0]}.")
    if a2 is not None:
        with a2:
            step_df = pd.DataFrame(trace.step_probs, columns=task.class_names)
            step_df.insert(0, "character", tokens)
            step_df.insert(0, "t", range(1, T + 1))
            ui.plot(gp.step_probs_figure(trace, truth), "gates-answer-over-time", step_df, key="step-probs",
                    caption="If the text ended after step t, what would the model answer? Each symbol's "
                            "probability at every step (orange: the true symbol).")

    st.header(f"3. Unit {unit} at step {t}, every number")
    ui.plot(gp.unit_lines(cell, tokens, unit, t), f"gates-unit-{unit}",
            (df := gp.gates_frame(cell, tokens))[df["unit"] == unit], key="unit",
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
for key in ("gates_force", "gates_zero"):  # a smaller model must not keep unit numbers it lacks
    if any(u >= H for u in st.session_state.get(key, [])):
        st.session_state[key] = [u for u in st.session_state[key] if u < H]
if trace is not None:
    forced_all = trace_of(text, Intervention(gate=gate, gate_units=tuple(range(H)), gate_value=0.0))
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
    after = trace_of(text, iv)
    m1, m2 = st.columns(2)
    m1.metric(f"p({text[0]}), the true symbol", f"{after.probs[truth]:.3f}", delta=f"{after.probs[truth] - p[truth]:+.3f} vs as trained")
    m2.metric("Answer", after.predictions[0], delta=f"as trained: {trace.predictions[0]}", delta_color="off",
              delta_arrow="off")
    both = {"as trained": p, "with the intervention": after.probs}
    ui.plot(gp.answer_bars(both, task.class_names, truth), "gates-intervention-answer",
            pd.DataFrame({"symbol": task.class_names, **both}), key="iv-answer",
            caption="Each symbol's probability as trained and with the intervention; orange: the true symbol.")
    state = "c" if cfg.cell == "lstm" else "h"
    before_s, after_s = (cell.cell, after.first.cell) if state == "c" else (cell.hidden, after.first.hidden)
    ui.plot(gp.state_before_after(cell, after.first, tokens, state, tuple(sorted({*forced, *zeroed}))),
            "gates-intervention-state", pd.DataFrame({
                "t": np.repeat(np.arange(1, T + 1), H), "character": np.repeat(tokens, H), "unit": np.tile(np.arange(H), T),
                f"{state} as trained": before_s.reshape(-1), f"{state} with the intervention": after_s.reshape(-1)}),
            key="iv-state",
            caption=f"The {gp.STATE_INFO[state]} ${state}_t$ before and after the intervention, on one colour range; "
                    "orange ▶ marks the units you changed.")

# -- unit finder -----------------------------------------------------------------------------------
if trace is not None:
    st.header("5. Find units that hold something")
    st.markdown("Pick a stretch of your text and a threshold θ. A unit is listed if its $h_t$ stays on one side "
                "at every step of the stretch: $h_t \\ge θ$ (+) or $h_t \\le -θ$ (−). Then the model reads "
                f"{FINDER_TEXTS} texts of the task, and the table shows where those units are all on their sides together.")
    f1, f2 = st.columns([3, 1])
    # keyed by the text's length: a text of another length starts from the default span, never out of range
    start = min(11, T // 4 + 1)  # the state takes ~10 steps to settle after the symbol is read
    span = f1.slider("Span of steps", 1, T, (start, T), key=f"gates_span_{T}") if T > 1 else (1, 1)
    theta = f2.slider("Threshold θ", 0.05, 1.0, 0.5, 0.05, key="gates_theta")
    units, signs = analysis.units_above(cell.hidden, span, theta)
    if not len(units):
        st.info(f"No unit stays beyond ±{theta:.2f} at every step from {span[0]} to {span[1]}. "
                "Shorten the span or lower the threshold.")
    else:
        st.markdown(f"**{len(units)} units** from step {span[0]} to {span[1]}: "
                    + ", ".join(f"{u} ({'+' if s > 0 else '−'})" for u, s in zip(units, signs)))
        texts = task.dataset(FINDER_TEXTS, FINDER_SEED)
        hidden = analysis.first_cell_states(model, np.array([vocab.encode(list(x)) for x in texts]))
        masks = analysis.co_active(hidden, units, signs, theta)
        rows = [{"text #": n, "first symbol": x[0], "text": x, "steps where all are on": ", ".join(
            f"{a}-{b}" if a < b else f"{a}" for a, b in analysis.runs(m)), "how many steps": int(m.sum())}
            for n, (x, m) in enumerate(zip(texts, masks)) if m.any()]
        firsts = Counter(r["first symbol"] for r in rows)
        st.markdown(f"In **{len(rows)} of {FINDER_TEXTS}** texts these units are all on their sides together somewhere"
                    + (": those texts start with " + ", ".join(f"**{s}** ({k})" for s, k in firsts.most_common()) + "."
                       if rows else ".")
                    + " If nearly all start with one symbol, these units together *are* the memory of that symbol; "
                    "raise the threshold or shorten the span and watch the list and the table change.")
        if rows:
            st.dataframe(pd.DataFrame(rows), hide_index=True, height=300)
    ui.show_code(analysis.units_above, analysis.co_active)
