"""Attention step by step: one small self-attention example, every number from the words to the output.

Library calls: seqviz.models.attention (check_sentence, build_example, attend, score_spread, temperature_of,
temperature_curve, top_weight), seqviz.plotting.attention (weights_figure, vectors_figure, qkv_figure,
stage_figure, temperature_figure, row_equations, vec_latex, markdown_literal; each returns the figure and its
table), seqviz.ui.attention (switches, typed_vectors, side_by_side, stage, why_scale), ui.plot and ui.show_code.
Everything is computed on each run: the matrices are at most 8 x 16.
"""

import streamlit as st

from seqviz import ui
from seqviz.models import attention as attn
from seqviz.plotting import attention as figs
from seqviz.ui import attention as ua
from seqviz.ui.classroom import explain, predict_then_reveal

DEFAULT_TEXT = "the cat sat on the mat"

st.title("Attention step by step")
explain(
    "Attention lets every word build its new vector from the words around it. Each word asks a question "
    "(its **query**), offers a description of itself (its **key**) and a content to hand over (its **value**). "
    "A query is compared with every key; the scores become weights that sum to 1; the output is the "
    "weighted average of the values. Here the sentence attends to itself (self-attention), with vectors "
    "small enough to check every number by hand."
)
st.latex(r"Q = X W_Q, \qquad K = X W_K, \qquad V = X W_V")
st.latex(r"s_{i,j} = q_i \cdot k_j \;\;\text{(dot and scaled dot product)}, \qquad "
         r"s_{i,j} = v_a^\top \tanh\left(W_q\, q_i + W_k\, k_j\right) \;\;\text{(additive)}")
st.latex(r"z_{i,j} = \begin{cases} \dfrac{s_{i,j}}{c\,\tau} & \text{if key } j \text{ is visible to query } i \\[4pt] "
         r"-\infty & \text{if masked} \end{cases} \quad c = \begin{cases} \sqrt{d_k} & \text{scaled} \\ "
         r"1 & \text{otherwise} \end{cases}")  # two lines: one is wider than the column on a laptop
st.latex(r"\alpha_{i,j} = \frac{e^{z_{i,j}}}{\sum_{j'} e^{z_{i,j'}}}, \qquad o_i = \sum_j \alpha_{i,j}\, v_j")
st.markdown(r"$x_i$, $q_i$, $k_j$, $v_j$, $o_i$ are rows of $X$, $Q$, $K$, $V$ and the output $O$; $\tau$ is the "
            r"temperature; $\alpha_{i,j}$ is how much word $i$ takes from word $j$. Indices count words from 1.")

# -- the example and the switches -------------------------------------------------------------------
text = st.text_input("A short sentence (up to 8 words, separated by spaces)", DEFAULT_TEXT,
                     key="attn_text", bind="query-params")
scoring, tau, causal, cfg = ua.switches()

check = attn.check_sentence(text, cfg)
if check.error:
    st.error(check.error + " Until then the views below use the example sentence.")
words = check.words or attn.check_sentence(DEFAULT_TEXT, cfg).words
T = len(words)
example = attn.build_example(words, cfg)

st.caption(f"Each word's vector $x_i$ ({cfg.d_model} numbers) is made up: a hash of the word seeds a random "
           "generator, so the same word always gets the same vector, but the vectors mean nothing (a trained "
           "model would learn them). The weight matrices are random too, drawn from the seed.")
X = ua.typed_vectors(words, example.X, cfg) if st.toggle("Type my own word vectors", False, key="attn_own") else example.X

steps = attn.attend(X, example.W_Q, example.W_K, example.W_V, scoring=scoring, temperature=tau, causal=causal,
                    extra=example.additive)
ui.clamp_state("attn_query", T - 1, lo=0)  # a shorter sentence must not leave the picker out of range
i = st.selectbox("Follow one query word through every stage", list(range(T)),
                 format_func=lambda k: f"i = {k + 1}: {words[k]}", key="attn_query", bind="query-params")
n = i + 1
eq = figs.row_equations(steps, i)
word_md = figs.markdown_literal(words[i])

# -- 1. inputs and weights ------------------------------------------------------------------------------
st.header("1. Words in, vectors out")
st.markdown(f"Row $i$ of $X$ is word $i$'s vector $x_i$. The projections are plain matrix products with "
            f"$W_Q$, $W_K$ ({cfg.d_model}×{cfg.d_k}) and $W_V$ ({cfg.d_model}×{cfg.value_size}); a trained model "
            "learns them, here they are random.")
left, right = st.columns([2, 3])
with left:
    fig, table = figs.vectors_figure(X, words, "X")
    ui.plot(fig, "attention-X", table, key="attn_fig_x",
            caption="The input X: one row per word, one column per component of its vector (diverging scale).")
with right:
    fig, table = figs.weights_figure(example.W_Q, example.W_K, example.W_V)
    ui.plot(fig, "attention-weights", table, key="attn_fig_w",
            caption="The weight matrices W_Q, W_K and W_V (rows: input components, columns: output components).")

# -- 2. queries, keys, values -------------------------------------------------------------------------------
st.header("2. Queries, keys and values")
st.markdown("Each row of $Q$, $K$ and $V$ belongs to one word: component $c$ of $q_i$ is "
            "$x_i$ times column $c$ of $W_Q$. For the word you follow:")
st.latex(eq["projection"])
fig, table = figs.qkv_figure(steps, words)
ui.plot(fig, "attention-QKV", table, key="attn_fig_qkv",
        caption="Q, K and V = X times W_Q, W_K, W_V: one row per word, the query, key and value vectors.")

# -- 3. scores ------------------------------------------------------------------------------------------
st.header("3. Scores: how well each key matches each query")
if scoring == "additive":
    st.markdown("Additive scoring (Bahdanau et al., 2015) runs a one-hidden-layer network on each pair: "
                f"$W_q$ and $W_k$ ({cfg.d_a}×{cfg.d_k}) map the query and the key into {cfg.d_a} hidden units, "
                "tanh squashes their sum, and $v_a$ turns it into one number. It needs no scaling.")
    st.latex(r"v_a = " + figs.vec_latex(example.additive.v_a, 2))
else:
    st.markdown("Row $i$, column $j$ is the dot product $q_i \\cdot k_j$: large when the two vectors point the "
                "same way. The row you follow is outlined.")
s1, s2 = ua.side_by_side(T)
with s1:
    ua.stage(steps, words, "raw", i, f"Raw scores: row i (query), column j (key); query {n} outlined.")
with s2:
    if scoring == "scaled":
        ua.stage(steps, words, "scaled", i, f"The same scores divided by √d_k = {steps.scale:.2f}.")
    else:
        st.info(f"{attn.SCORING_NAMES[scoring]} scoring does not divide by $\\sqrt{{d_k}}$: the next stage receives "
                "these scores as they are. Choose *Scaled dot product* to see the division.")
st.markdown(f"Every score of query {n} (**{word_md}**):")
st.latex(eq["scores"])

ua.why_scale(steps, expanded=scoring == "scaled")

# -- 4. mask and temperature -------------------------------------------------------------------------------
st.header("4. Mask and temperature")
st.markdown(
    "The softmax receives each score (after the division by $\\sqrt{d_k}$, for scaled dot product) divided by "
    f"the temperature: $z_{{i,j}}$ below. τ = {tau:g} stretches or squeezes "
    "the differences between scores: below 1 the largest score wins more clearly (sharper weights), above 1 "
    "the weights flatten towards equal. The **causal mask** is for models that generate text left to right: "
    "word $i$ must not see words that come after it, so their scores become $-\\infty$, and $e^{-\\infty} = 0$.")
if not causal:
    st.caption("The causal mask is off: every query sees every key. Switch it on above to see −∞ cells.")
st.latex(eq["logits"])
st.markdown("The chart of α against τ shows how the weights of the word you follow change with τ (the dotted line "
            "is the τ you chose): near τ = 0.1 one key takes almost everything, near τ = 10 the visible keys share "
            "the weight almost equally. The scores themselves do not change, only how sharply the softmax "
            "separates them.")
top_cold = attn.top_weight(steps, i, 0.1)
COLD = ["more than 0.9", "between 0.5 and 0.9", "less than 0.5"]
predict_then_reveal(
    "attention_q_cold", f"Cool the softmax to τ = 0.1. How much weight will query {n} (**{word_md}**) give its top key?",
    COLD, COLD[0] if top_cold > 0.9 else COLD[1] if top_cold >= 0.5 else COLD[2],
    lambda: st.markdown(f"At τ = 0.1 the largest weight of query {n} is **{top_cold:.3f}** (at τ = {tau:g}: "
                        f"{steps.weights[i].max():.3f}). Dividing by a small τ multiplies the gaps between scores, "
                        "and the softmax turns big gaps into one winner, unless two keys score almost the same."))
t1, t2 = ua.side_by_side(T)
with t1:
    ua.stage(steps, words, "logits", i, f"What the softmax receives, z = s / (c τ) at τ = {tau:g}; masked cells are −∞.")
with t2:
    fig, table = figs.temperature_figure(*attn.temperature_curve(steps, i), words, tau, i)
    ui.plot(fig, "attention-temperature", table, key="attn_fig_temp",
            caption=f"Query {n}'s weight on each key against the temperature τ (log scale); dotted: τ = {tau:g}.")

# -- 5. softmax ----------------------------------------------------------------------------------------
st.header("5. Softmax: the attention weights")
st.markdown("Each row is turned into weights between 0 and 1 that sum to 1. Subtracting the row's largest "
            "value $m$ first changes nothing (it cancels in the fraction) but keeps every exponential at most 1, "
            f"as a computer does it. Query {n}:")
st.latex(eq["softmax"])
key_names = [f"{j}: {w}" for j, w in enumerate(words, start=1)]
predict_then_reveal(
    "attention_q_key", f"Which key will query {n} (**{word_md}**) give the largest weight?", key_names,
    key_names[int(steps.weights[i].argmax())],
    lambda: st.markdown(f"Row {n} of α: " + ", ".join(f"{name} **{a:.3f}**" for name, a in zip(key_names, steps.weights[i]))
                        + ". The largest score wins the most weight, whatever the words mean: these vectors are made up."))
w1, w2 = ua.side_by_side(T, (3, 2))
with w1:
    ua.stage(steps, words, "weights", i,
             "The attention weights α after the softmax, on the fixed scale [0, 1]; every row sums to 1.")
with w2:
    st.metric(f"Largest weight of query {n}", f"{steps.weights[i].max():.3f}",
              help="1 means the query copies one value; 1/T means it averages all of them.")
    st.metric(f"Uniform weight over the {steps.visible(i)} visible keys", f"{1 / steps.visible(i):.3f}")
    st.caption(f"Every row sums to 1 (largest error here: {steps.row_sum_error:.1e}).")

# -- 6. output -----------------------------------------------------------------------------------------
st.header("6. The output: a weighted sum of values")
st.markdown("Each output row mixes the value vectors with its row of weights. For the word you follow:")
st.latex(eq["output"])
o1, o2 = st.columns([3, 2])
with o1:
    fig, table = figs.vectors_figure(steps.output, words, "O")
    ui.plot(fig, "attention-output", table, key="attn_fig_out",
            caption="The output O: row i is o_i, the weighted sum of the value vectors with row i of α.")
with o2:
    explain("$o_i$ has the size of a value vector. Because the weights are positive and sum to 1, each "
                "component of $o_i$ lies between the smallest and the largest value of that component over the "
                "keys it sees. In a transformer, $o_i$ is the word's new vector, now informed by its context; "
                "with the causal mask, $o_1$ can only be $v_1$.")
ui.show_code(attn.attend)
