"""Attention step by step: one small self-attention example, every number from the words to the output.

Library calls: seqviz.models.attention (check_sentence, build_example, check_vectors, attend, score_spread,
dot_product_spread, temperature_sweep), seqviz.plotting.attention (weights_figure, vectors_figure,
qkv_figure, stage_figure, temperature_figure, spread_figure, row_equations, markdown_literal),
ui.plot and ui.show_code. Everything is computed on each run: the matrices are at most 8 x 16.
"""

import zlib

import numpy as np
import pandas as pd
import streamlit as st

from seqviz import ui
from seqviz.models import attention as attn
from seqviz.plotting import attention as figs
from seqviz.ui.classroom import explain, predict_then_reveal

DEFAULT_TEXT = "the cat sat on the mat"
SCORING_NAMES = {"dot": "Dot product", "scaled": "Scaled dot product", "additive": "Additive (Bahdanau)"}
TEMPERATURES = ["0.1", "0.15", "0.2", "0.3", "0.5", "0.7", "1", "1.5", "2", "3", "5", "7", "10"]  # log-spaced
D_K_CHOICES = [2, 3, 4, 8, 16]

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
c1, c2, c3, c4 = st.columns([2, 1.8, 1.3, 1])  # c3 wide enough for "Causal mask" on a laptop
scoring = c1.radio("Scoring", list(SCORING_NAMES), format_func=SCORING_NAMES.get, index=1,
                   key="attn_scoring", bind="query-params", horizontal=True)
tau_text = c2.select_slider("Temperature τ", TEMPERATURES, value="1", key="attn_temp", bind="query-params")
tau = float(np.clip(float(tau_text), 0.1, 10.0))
causal = c3.toggle("Causal mask", False, key="attn_causal", bind="query-params",
                   help="Query i may only look at keys j ≤ i: nothing from later in the sentence.")
d_k = c4.selectbox("d_k", D_K_CHOICES, index=1, key="attn_dk", bind="query-params",
                   help="Size of each query and key (and value).")
ui.drop_unusable_link_values("attn_seed")
seed = c4.number_input("Weight seed", 0, 9999, 0, key="attn_seed", bind="query-params")
cfg = attn.AttentionConfig(d_k=int(d_k), seed=int(seed))

check = attn.check_sentence(text, cfg)
if check.error:
    st.error(check.error + " Until then the views below use the example sentence.")
    words = attn.check_sentence(DEFAULT_TEXT, cfg).words
else:
    words = check.words
T = len(words)
example = attn.build_example(words, cfg)

st.caption(f"Each word's vector $x_i$ ({cfg.d_model} numbers) is made up: a hash of the word seeds a random "
           "generator, so the same word always gets the same vector, but the vectors mean nothing (a trained "
           "model would learn them). The weight matrices are random too, drawn from the seed.")
X = example.X
if st.toggle("Type my own word vectors", False, key="attn_own"):
    table = pd.DataFrame(X, columns=[f"x[{c}]" for c in range(1, cfg.d_model + 1)])
    table.insert(0, "word", words)
    editor_key = f"attn_X_{zlib.crc32(' '.join(words).encode())}"  # a new sentence starts a fresh table
    edited = st.data_editor(table, key=editor_key, disabled=["word"], hide_index=True, num_rows="fixed",
                            column_config={c: st.column_config.NumberColumn(c, format="%.2f", step=0.01)
                                           for c in table.columns[1:]})
    typed, err = attn.check_vectors(edited.drop(columns="word").to_numpy(dtype=object), T, cfg.d_model)
    if err:
        st.error(err + " Until then the views use the made-up vectors.")
    else:
        X = typed

steps = attn.attend(X, example.W_Q, example.W_K, example.W_V, scoring=scoring, temperature=tau, causal=causal,
                    extra=example.additive)
if st.session_state.get("attn_query", 0) >= T:  # a shorter sentence must not leave the picker out of range
    st.session_state["attn_query"] = T - 1
i = st.selectbox("Follow one query word through every stage", list(range(T)),
                 format_func=lambda k: f"i = {k + 1}: {words[k]}", key="attn_query", bind="query-params")
n = i + 1
eq = figs.row_equations(steps, i)
word_md = figs.markdown_literal(words[i])


def matrix_frame(M, row_name, col_prefix):
    df = pd.DataFrame(M, columns=[f"{col_prefix}{c}" for c in range(1, M.shape[1] + 1)])
    df.insert(0, "word", words)
    df.insert(0, row_name, range(1, T + 1))
    return df


def side_by_side(widths=(1, 1)):
    """Two T x T panels side by side while their cells stay wide enough for the numbers, else stacked."""
    return st.columns(list(widths)) if T <= 6 else (st.container(), st.container())


def square_frame(M):
    df = pd.DataFrame(M, columns=[f"key {j} ({w})" for j, w in enumerate(words, start=1)])
    df.insert(0, "query word", words)
    df.insert(0, "i", range(1, T + 1))
    return df


# -- 1. inputs and weights ------------------------------------------------------------------------------
st.header("1. Words in, vectors out")
st.markdown(f"Row $i$ of $X$ is word $i$'s vector $x_i$. The projections are plain matrix products with "
            f"$W_Q$, $W_K$ ({cfg.d_model}×{cfg.d_k}) and $W_V$ ({cfg.d_model}×{cfg.value_size}); a trained model "
            "learns them, here they are random.")
left, right = st.columns([2, 3])
with left:
    ui.plot(figs.vectors_figure(X, words, "X"), "attention-X", matrix_frame(X, "i", "x"), key="attn_fig_x",
            caption="The input X: one row per word, one column per component of its vector (diverging scale).")
with right:
    W = pd.DataFrame({f"{name}[r,{c}]": M[:, c - 1] for name, M in
                      (("W_Q", example.W_Q), ("W_K", example.W_K), ("W_V", example.W_V))
                      for c in range(1, M.shape[1] + 1)})
    W.insert(0, "r", range(1, cfg.d_model + 1))
    ui.plot(figs.weights_figure(example.W_Q, example.W_K, example.W_V), "attention-weights", W, key="attn_fig_w",
            caption="The weight matrices W_Q, W_K and W_V (rows: input components, columns: output components).")

# -- 2. queries, keys, values -------------------------------------------------------------------------------
st.header("2. Queries, keys and values")
st.markdown("Each row of $Q$, $K$ and $V$ belongs to one word: component $c$ of $q_i$ is "
            "$x_i$ times column $c$ of $W_Q$. For the word you follow:")
st.latex(eq["projection"])
qkv = pd.concat([matrix_frame(steps.Q, "i", "q"), matrix_frame(steps.K, "i", "k").iloc[:, 2:],
                 matrix_frame(steps.V, "i", "v").iloc[:, 2:]], axis=1)
ui.plot(figs.qkv_figure(steps, words), "attention-QKV", qkv, key="attn_fig_qkv",
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
s1, s2 = side_by_side()
with s1:
    ui.plot(figs.stage_figure(steps, words, "raw", i), "attention-scores", square_frame(steps.raw),
            key="attn_fig_raw",
            caption=f"Raw scores: row i (query), column j (key); query {n} outlined.")
with s2:
    if scoring == "scaled":
        ui.plot(figs.stage_figure(steps, words, "scaled", i), "attention-scaled-scores", square_frame(steps.scaled),
                key="attn_fig_scaled",
                caption=f"The same scores divided by √d_k = {np.sqrt(cfg.d_k):.2f}.")
    else:
        st.info(f"{SCORING_NAMES[scoring]} scoring does not divide by $\\sqrt{{d_k}}$: the next stage receives "
                "these scores as they are. Choose *Scaled dot product* to see the division.")
st.markdown(f"Every score of query {n} (**{word_md}**):")
st.latex(eq["scores"])

with st.expander("Why divide by $\\sqrt{d_k}$?", expanded=scoring == "scaled", icon=":material/functions:"):
    sd_raw, sd_scaled = attn.score_spread(steps)
    st.markdown(
        "If the $d_k$ components of $q$ and $k$ are independent with mean 0 and variance 1, the dot product "
        "$q \\cdot k = \\sum_c q_c k_c$ adds $d_k$ terms of variance 1, so its variance is $d_k$ and its standard "
        "deviation $\\sqrt{d_k}$. With large $d_k$ the scores spread so far that the softmax puts almost all "
        "weight on one key and its gradient nearly vanishes. Dividing by $\\sqrt{d_k}$ brings the spread "
        "back to about 1, whatever the size of the vectors.")
    m1, m2, m3 = st.columns(3)
    m1.metric("std of q_i · k_j here", f"{sd_raw:.3f}")
    m2.metric(f"std after dividing by √{cfg.d_k}", f"{sd_scaled:.3f}")
    m3.metric("√d_k", f"{np.sqrt(cfg.d_k):.3f}")
    st.caption("On one short sentence the spread is a rough estimate; with random vectors it follows √d_k "
               "closely. Try d_k = 16 above.")
    d_values = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256])
    sd = attn.dot_product_spread(d_values)
    ui.plot(figs.spread_figure(d_values, sd), "attention-sqrt-dk",
            pd.DataFrame({"d_k": d_values, "std of q.k": sd, "std of q.k / sqrt(d_k)": sd / np.sqrt(d_values)}),
            key="attn_fig_spread",
            caption="Standard deviation of q · k for random vectors against d_k (log scales), before and after "
                    "dividing by √d_k.")

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
top_cold = float(attn.temperature_sweep(steps.scaled[i], steps.allowed[i], [0.1]).max())
COLD = ["more than 0.9", "between 0.5 and 0.9", "less than 0.5"]
predict_then_reveal(
    "attention_q_cold", f"Cool the softmax to τ = 0.1. How much weight will query {n} (**{word_md}**) give its top key?",
    COLD, COLD[0] if top_cold > 0.9 else COLD[1] if top_cold >= 0.5 else COLD[2],
    lambda: st.markdown(f"At τ = 0.1 the largest weight of query {n} is **{top_cold:.3f}** (at τ = {tau:g}: "
                        f"{steps.weights[i].max():.3f}). Dividing by a small τ multiplies the gaps between scores, "
                        "and the softmax turns big gaps into one winner, unless two keys score almost the same."))
t1, t2 = side_by_side()
with t1:
    ui.plot(figs.stage_figure(steps, words, "logits", i), "attention-logits", square_frame(steps.logits),
            key="attn_fig_logits",
            caption=f"What the softmax receives, z = s / (c τ) at τ = {tau:g}; masked cells are −∞.")
with t2:
    taus = np.geomspace(0.1, 10, 61)
    sweep = attn.temperature_sweep(steps.scaled[i], steps.allowed[i], taus)
    sweep_df = pd.DataFrame(sweep, columns=[f"alpha {n},{j} ({w})" for j, w in enumerate(words, start=1)])
    sweep_df.insert(0, "tau", taus)
    ui.plot(figs.temperature_figure(taus, sweep, words, tau, words[i]), "attention-temperature", sweep_df,
            key="attn_fig_temp",
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
w1, w2 = side_by_side((3, 2))
with w1:
    ui.plot(figs.stage_figure(steps, words, "weights", i), "attention-weights-softmax", square_frame(steps.weights),
            key="attn_fig_weights",
            caption="The attention weights α after the softmax, on the fixed scale [0, 1]; every row sums to 1.")
with w2:
    st.metric(f"Largest weight of query {n}", f"{steps.weights[i].max():.3f}",
              help="1 means the query copies one value; 1/T means it averages all of them.")
    visible = int(steps.allowed[i].sum())
    st.metric(f"Uniform weight over the {visible} visible keys", f"{1 / visible:.3f}")
    st.caption(f"Every row sums to 1 (largest error here: {np.abs(steps.weights.sum(1) - 1).max():.1e}).")

# -- 6. output -----------------------------------------------------------------------------------------
st.header("6. The output: a weighted sum of values")
st.markdown("Each output row mixes the value vectors with its row of weights. For the word you follow:")
st.latex(eq["output"])
o1, o2 = st.columns([3, 2])
with o1:
    ui.plot(figs.vectors_figure(steps.output, words, "O"), "attention-output", matrix_frame(steps.output, "i", "o"),
            key="attn_fig_out",
            caption="The output O: row i is o_i, the weighted sum of the value vectors with row i of α.")
with o2:
    explain("$o_i$ has the size of a value vector. Because the weights are positive and sum to 1, each "
                "component of $o_i$ lies between the smallest and the largest value of that component over the "
                "keys it sees. In a transformer, $o_i$ is the word's new vector, now informed by its context; "
                "with the causal mask, $o_1$ can only be $v_1$.")
ui.show_code(attn.attend)
