"""Bidirectional RNN lesson: a task that needs the future, solved only by also reading backwards.

Library calls: ui.shipped / ui.trace (cached, shared), seqviz.ui.recurrent (learner_models: a learner's
future-task model from the store, learner_trace), labs.recurrent.task_of, FutureTask.check_text / tags,
plotting.bidirectional: reading_diagram / direction_heatmaps / concat_heatmap / head_weights + readout_split
+ readout_split_figure / comparison_figure / positions_right.
"""

import streamlit as st

from seqviz import labs, ui
from seqviz.models.recurrent import RecurrentNet
from seqviz.plotting import bidirectional as bp
from seqviz.plotting import token_label
from seqviz.ui import recurrent as rui
from seqviz.ui.classroom import explain, predict_then_reveal

BI = "future-bilstm"
ONE_WAY = {"lstm": "future-lstm", "gru": "future-gru", "rnn": "future-rnn"}
ONE_WAY_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "tanh RNN"}
MINE = "mine: "  # prefix of a learner's model in the picker
DEFAULT_TEXT = "abcdeabcdeabxab"

st.title("Bidirectional RNN: reading the future too")
explain(
    "Every network so far read left to right, so at step $t$ it knew $x_1, \\dots, x_t$ and nothing "
    "after. This task asks about the future: after each letter, **is there an x later in the text?** "
    "A left-to-right model can only guess. A **bidirectional** RNN runs two cells over the text: a "
    "forward cell from the first letter to the last, and a backward cell from the last to the first. "
    "At every position the read-out sees both states side by side, so it knows the past *and* the future."
)
ckpt = ui.shipped(BI)
if ckpt is None:
    st.stop()
task, vocab = ckpt.task, ckpt.vocab
H = ckpt.model.cfg.hidden_size

st.latex(r"\overrightarrow{h}_t = \operatorname{cell}\big(x_t,\ \overrightarrow{h}_{t-1}\big), \qquad "
         r"\overleftarrow{h}_t = \operatorname{cell}\big(x_t,\ \overleftarrow{h}_{t+1}\big), \qquad "
         r"\overrightarrow{h}_0 = \overleftarrow{h}_{T+1} = 0")
st.latex(r"y_t = \operatorname{softmax}\big(W_{hy}\,[\overrightarrow{h}_t\,;\,\overleftarrow{h}_t] + b_y\big)")
explain(
    f"Here each cell is an LSTM with {H} units and its own weights; $[\\overrightarrow{{h}}_t ; \\overleftarrow{{h}}_t]$ "
    f"stacks the two states into one vector of {2 * H} numbers, and $W_{{hy}}$ ({task.num_classes}×{2 * H}) "
    f"turns it into scores for **{task.class_names[0]}** and **{task.class_names[1]}**. In the figures, "
    "h→ is $\\overrightarrow{h}$ and h← is $\\overleftarrow{h}$."
)
ui.show_code(RecurrentNet.hidden_states, RecurrentNet.read_out)

st.subheader("Held-out accuracy of the shipped models")
cols, one_way_acc = st.columns(1 + len(ONE_WAY)), []
for col, (name, label) in zip(cols, [(BI, "Bidirectional LSTM"),
                                     *((ONE_WAY[k], f"{v}, one direction") for k, v in ONE_WAY_NAMES.items())]):
    shipped = ui.shipped(name)
    if shipped is not None:
        acc = shipped.meta["metrics"]["step_accuracy"]
        one_way_acc += [acc] if name != BI else []
        col.metric(label, f"{acc:.1%}", help=f"positions tagged correctly on {shipped.meta['recipe']['test_size']} "
                   "held-out texts")
if one_way_acc:
    st.caption("A one-directional model cannot know whether an x is still to come; the best it can do is "
               f"guess from how far into the text it is, which is right about {max(one_way_acc):.0%} of the time.")

# -- which text, which comparison --------------------------------------------------------------------
mine = {f"{MINE}{label}": m for label, m in rui.learner_models(task="future").items()}
options = list(ONE_WAY) + list(mine)
left, right = st.columns([3, 1])
text = left.text_input("Text for the models to read (letters a-e, with an x somewhere or not)", DEFAULT_TEXT,
                       key="bi_text", bind="query-params")
other = right.selectbox("Compare with (one direction)", options, key="bi_compare", bind="query-params",
                        format_func=lambda k: ONE_WAY_NAMES.get(k, k.removeprefix(MINE) + " (yours)"))

check = task.check_text(text, vocab)
if check.error:
    st.error(check.error)
    st.stop()
tokens = check.tokens
trace = ui.trace(BI, text)
T = len(tokens)
truth = task.tags(text)
m = mine.get(other)
if m is not None and (own_task := labs.recurrent.task_of(m.meta)).check_text(text, own_task.vocab()).error:
    st.warning(f"Your model {other.removeprefix(MINE)!r} was trained on other letters; showing the LSTM instead.")
    m, other = None, "lstm"
if m is not None:  # a model the learner trained on another page of the lab
    other_trace, other_name = rui.learner_trace(m, text), other.removeprefix(MINE)
else:
    other_trace, other_name = ui.trace(ONE_WAY[other], text), f"{ONE_WAY_NAMES[other]}, one direction"

ui.clamp_state("bi_t", T)
t = st.slider("Step t", 1, T, 1, key="bi_t", bind="query-params") if T > 1 else 1
tok = token_label(tokens[t - 1])
st.markdown(
    f"At $t = {t}$ (the letter **{tok!r}**), the forward cell has read $x_1 \\dots x_{{{t}}}$ "
    f"(`{''.join(tokens[:t])}`); the backward cell has read $x_{{{t}}} \\dots x_{{{T}}}$ (`{''.join(tokens[t - 1:])}`), "
    f"starting from the end. The true tag here is **{task.class_names[truth[t - 1]]}**."
)
ui.plot(bp.reading_diagram(tokens, t), "bidirectional-reading", key="reading",
        caption=f"The text as a row of letters: at step {t} the forward cell has read everything to the left of the "
                "box and the box, the backward cell everything to its right and the box.")

st.header("1. Two cells, two directions")
fig, table = bp.direction_heatmaps(trace, t)
ui.plot(fig, "bidirectional-directions", table, key="directions",
        caption="The forward states h→ (top) and the backward states h← (bottom): each column is a state after the cell "
                "has read the character under it, red positive, blue negative, on tanh's fixed range [-1, 1]. The "
                "backward cell's states are drawn in time order too, although it computed the last column first.")
explain(
    "Look for units of h← that switch when the backward cell passes an x: to its left, every state "
    "carries \"an x is ahead\". The forward cell sees the x only after it has passed, too late for "
    "the positions before it."
)

st.header("2. What the read-out sees: the concatenation")
fig, table = bp.concat_heatmap(trace, t)
ui.plot(fig, "bidirectional-concat", table, key="concat",
        caption=f"The two states stacked at every position: rows 0-{H - 1} are h→, rows {H}-{2 * H - 1} are h←. "
                "Nothing mixes them before the read-out.")
split = bp.readout_split(trace.output, *bp.head_weights(ckpt.model))
st.markdown(
    f"$W_{{hy}}$ acts on each half separately, so the score for **{task.class_names[1]}** "
    "(its logit minus the other's) is a sum of three parts: one from h→, one from h←, and the bias. "
    "$p(\\text{x ahead}) = \\sigma(\\text{score})$: above 0 it says yes. Below, $w_1$ and $w_0$ are the rows "
    f"of $W_{{hy}}$ for the two classes, and → and ← their first and last {H} entries."
)
st.latex(r"\text{score}_t = (w_1 - w_0)_{\rightarrow} \cdot \overrightarrow{h}_t + (w_1 - w_0)_{\leftarrow} "
         r"\cdot \overleftarrow{h}_t + (b_1 - b_0)")
first = {"h→ (forward)": float(split["forward"][0]), "h← (backward)": float(split["backward"][0])}
louder = max(first, key=lambda k: abs(first[k]))
predict_then_reveal(
    "bidirectional_q_first", "At the first letter, which half of the state decides the score for "
                             f"**{task.class_names[1]}**: h→ or h←?", list(first), louder,
    lambda: st.markdown(f"At $t = 1$: {first['h→ (forward)']:+.2f} from h→, {first['h← (backward)']:+.2f} from h← "
                        f"(bias {float(split['bias'][0]):+.2f}). h→ has read one letter; h← has read the whole text, so it "
                        "already knows whether an x is ahead."))
fig, table = bp.readout_split_figure(split, tokens, t, task.class_names[1])
ui.plot(fig, "bidirectional-readout", table,
        caption=f"The score for {task.class_names[1]} at every step, split into the part from h→, the part from h← "
                "and the bias; diamonds: the total score (above 0 the model says yes).",
        key="readout")
v = {k: float(a[t - 1]) for k, a in split.items()}
st.markdown(f"At $t = {t}$: {v['forward']:+.2f} from h→, {v['backward']:+.2f} from h←, {v['bias']:+.2f} "
            f"bias, score {v['score']:+.2f}, so $p = {v['p']:.3f}$.")

st.header("3. Both directions against one")
models = {"bidirectional LSTM": trace, other_name: other_trace}
right_counts = bp.positions_right(models, truth)
both_names = list(models)
winner = ("both the same" if right_counts[both_names[0]] == right_counts[both_names[1]]
          else max(right_counts, key=right_counts.get))
predict_then_reveal(
    "bidirectional_q_right", "On this text, which model tags more positions right?", [*both_names, "both the same"],
    winner, lambda: st.markdown(", ".join(f"{name}: **{k} / {T}**" for name, k in right_counts.items())
                                + " positions right (the metrics below the figure)."))
fig, table = bp.comparison_figure(models, tokens, truth, t)
ui.plot(fig, "bidirectional-compare", table, key="compare",
        caption="The probability each model gives to \"x ahead\" after every letter. Open squares: the true tag "
                "(1 = an x is still to come). The shaded band is where a model says yes.")
c1, c2 = st.columns(2)
for col, (name, right_steps) in zip((c1, c2), right_counts.items()):
    col.metric(f"{name}: positions right", f"{right_steps} / {T}")
explain(
    f"The one-directional model's guess drifts down as the text goes on (fewer letters left, so less "
    "chance of an x), whatever the letters are. The bidirectional model is sure from the first letter: "
    "its backward cell has already read the whole text. Try a text with no x at all, or an x at the very "
    "end."
)
