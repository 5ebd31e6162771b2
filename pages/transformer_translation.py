"""Inside the transformer: an encoder-decoder transformer translates the toy English -> French-like pair
of the attention lesson, and every attention head, feed-forward layer and residual stream is shown.

Library calls: ui.shipped / ui.trace ("translation-transformer": TransformerSeq2Seq.trace with heads
switched off, seqviz.labs.transformers; "translation-attention", the GRU with attention, for the same
sentence), labs.transformers.example_sentences, TranslationTask.check_text / parse, ui.tokens_or_example,
TransformerTrace.attention, seqviz.plotting.transformer (head_grid_figure, attention_map_figure, ffn_figure,
positional_figure, residual_norm_figure: figure and table), seqviz.ui.transformer (positional_table,
accuracy_against_rnn; cross_beside_rnn and switch_heads_off: fragments), ui.plot, ui.show_code,
classroom.predict_then_reveal.
"""

import numpy as np
import streamlit as st

from seqviz import ui
from seqviz.labs.transformers import KINDS, TRANSLATION_NAME, example_sentences
from seqviz.models.transformer import DecoderLayer, EncoderLayer, FeedForward, MultiHeadAttention
from seqviz.plotting import transformer as figs
from seqviz.plotting.attention import markdown_literal
from seqviz.ui import transformer as tui
from seqviz.ui.classroom import explain, predict_then_reveal

MAX_CHARS = 600  # 40 words of the toy language fit easily; a longer text would be echoed in the error
POSITIONS = 48  # rows of the positional-encoding table shown: longer than any sentence of the task

st.title("Inside the transformer")
explain(
    "The same translation task as the attention lesson, solved without any recurrence. Every word becomes a "
    "vector, gets a **position** added, and then each layer lets every word **attend** to the others and "
    "passes the result through a small **feed-forward** network. The encoder reads the English-like sentence; "
    "the decoder writes the French-like one, looking only at the words it has already written (masked "
    "self-attention) and at the encoder's output (cross-attention). Each attention has several **heads**, "
    "each with its own weights, so each can look for something different."
)
ckpt = ui.shipped(TRANSLATION_NAME)
if ckpt is None:
    st.stop()
model, task, vocab, cfg = ckpt.model, ckpt.task, ckpt.vocab, ckpt.model.cfg
L, NH, D = cfg.n_decoder_layers, cfg.n_head, cfg.d_model

# -- the equations --------------------------------------------------------------------------------------
st.subheader("The equations")
st.latex(r"\mathrm{Attention}(Q, K, V) = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{d}} + M\Big) V,"
         r"\qquad M_{ij} = \begin{cases} 0 & \text{allowed} \\ -\infty & \text{masked} \end{cases}")
st.latex(r"\mathrm{head}_h = \mathrm{Attention}(X_q W^Q_h,\ X_{kv} W^K_h,\ X_{kv} W^V_h), \qquad "
         r"\mathrm{MultiHead}(X_q, X_{kv}) = [\mathrm{head}_1; \dots; \mathrm{head}_{n_h}]\, W^O")
st.latex(r"\mathrm{FFN}(x) = W_2\, \mathrm{ReLU}(W_1 x + b_1) + b_2, \qquad "
         r"\mathrm{LN}(x) = \gamma \odot \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}} + \beta")
st.latex(r"\text{encoder: } x \leftarrow \mathrm{LN}_1(x + \mathrm{MultiHead}(x, x)),\quad "
         r"x \leftarrow \mathrm{LN}_2(x + \mathrm{FFN}(x))")
st.latex(r"\text{decoder: } y \leftarrow \mathrm{LN}_1(y + \mathrm{MultiHead}(y, y, \text{causal})),\quad "
         r"y \leftarrow \mathrm{LN}_2(y + \mathrm{MultiHead}(y, m)),\quad y \leftarrow \mathrm{LN}_3(y + \mathrm{FFN}(y))")
explain(
    f"This model: $D = {D}$ numbers per word, $n_h = {NH}$ heads of $d = {D // NH}$, "
    f"{cfg.n_encoder_layers} encoder and {L} decoder layers, feed-forward width $F = {cfg.d_ff}$, "
    f"{cfg.positional} positions. $x_t = E[w_t] + P_t$ enters the first layer; $m$ is the encoder's output. "
    r"$M$ is $-\infty$ on source padding and, in the decoder's self-attention, on every word after the query "
    r"(the causal mask), so those weights are exactly 0 and every row still sums to 1."
)
ui.show_code(MultiHeadAttention.forward, FeedForward.forward, EncoderLayer.forward, DecoderLayer.forward)

# -- the sentence -----------------------------------------------------------------------------------------
examples = example_sentences(task)
DEFAULT = examples.get("7-12", next(iter(examples.values())))
text = st.text_input("Source sentence (words of the toy language, separated by spaces)", DEFAULT,
                     key="transformer_text", bind="query-params")
tokens = ui.tokens_or_example(task.check_text(text[:MAX_CHARS], vocab), text, MAX_CHARS, DEFAULT.split())
with st.expander("The toy language's words"):
    st.write(", ".join(vocab.to_list()[1:]))
sentence = " ".join(tokens)
base = ui.trace(TRANSLATION_NAME, sentence)
pair, words = task.parse(tokens), base.words
st.markdown(f"**Source:** {markdown_literal(sentence)}")
st.markdown(f"**Transformer's translation:** {markdown_literal(' '.join(words))}  (log-probability {base.log_prob:.3f})")
if pair is not None:
    st.markdown(f"**Reference:** {markdown_literal(' '.join(pair.target))} "
                + (":green[(matches)]" if tuple(words) == pair.target else ":red[(differs)]"))

# -- every head -------------------------------------------------------------------------------------------
st.subheader("Every layer and head")
ui.drop_unusable_link_values("transformer_kind", "transformer_layer", "transformer_head")
c1, c2, c3 = st.columns([3, 1, 1])
kind = c1.segmented_control("Attention", list(KINDS), format_func=KINDS.get, default="encoder",
                            key="transformer_kind", bind="query-params", required=True)
n_layers = cfg.n_encoder_layers if kind == "encoder" else L
layer = c2.selectbox("Layer", list(range(1, n_layers + 1)), key="transformer_layer", bind="query-params")
head = c3.selectbox("Head", list(range(1, NH + 1)), key="transformer_head", bind="query-params")
layer, head = min(layer, n_layers) - 1, head - 1  # 0-based from here on
dl = min(layer, L - 1)  # the same layer in the decoder
weights, queries, keys = base.attention(kind)
fig, table = figs.head_grid_figure(weights, queries, keys, kind, (layer, head))
ui.plot(fig, f"transformer-{kind}-heads", table, key="transformer-grid",
        caption=f"{figs.KIND_TITLES[kind]}: one small map per layer (rows) and head (columns), the chosen one "
                "outlined; in each, cell (i, j) is the weight query word i gives key word j, from 0 to 1.")
fig, table = figs.attention_map_figure(weights[layer, head], queries, keys,
                                       f"{KINDS[kind]}, layer {layer + 1}, head {head + 1}", causal=kind == "decoder")
ui.plot(fig, f"transformer-{kind}-head", table, key="transformer-head",
        caption=f"{KINDS[kind]}, layer {layer + 1}, head {head + 1}, enlarged: row i is query word i, column j key "
                "word j, and each cell its softmax weight from 0 to 1"
                + (" (grey cells masked)." if kind == "decoder" else "."))
explain("Rows are the words asking (queries), columns the words answering (keys); each row is one softmax, so "
        "it sums to 1. Heads of the same layer often specialise: one looks at the word itself, one at a "
        "neighbour, one at the noun a determiner or adjective must agree with.")

st.subheader("The decoder's masked self-attention")
T, masked = len(base.input_tokens), base.decoder_attention
fig, table = figs.attention_map_figure(masked[dl, head], base.input_tokens, base.input_tokens,
                                       f"decoder masked self-attention, layer {dl + 1}, head {head + 1}", causal=True)
ui.plot(fig, "transformer-causal", table, key="transformer-causal",
        caption=f"The decoder's masked self-attention (layer {dl + 1}, head {head + 1}): row i is the word being "
                "written, column j a word already written, each cell its weight from 0 to 1; grey cells ($j > i$) "
                "are masked.")
explain("Grey cells are masked: while writing word i the decoder must not peek at words it has not written "
        "yet, so $M_{ij} = -\\infty$ for $j > i$ and the softmax gives them exactly 0. In training all positions "
        "are computed at once, and this mask is what makes that honest.")
if T >= 2:
    predict_then_reveal("transformer_mask", "How much weight does the decoder's first position (<bos>) give to "
                        "the last word of the translation?", ["about 1/T, like all the others", "exactly 0",
                                                             "the largest weight"], "exactly 0",
                        lambda: st.write(f"In this sentence, layer 1 head 1 gives the first word "
                                         f"'{markdown_literal(base.input_tokens[0])}' weight {masked[0, 0, 0, T - 1]:.1f} "
                                         f"on the last one and {masked[0, 0, 0, 0]:.1f} on itself: the row has a single "
                                         "allowed cell."))

# -- cross-attention beside the RNN -----------------------------------------------------------------------
st.subheader("Cross-attention beside the RNN's attention")
tui.cross_beside_rnn(base, sentence, dl, head)

# -- feed-forward, positions, residual stream ------------------------------------------------------------
st.subheader("Feed-forward activations")
side = "decoder" if kind != "encoder" else "encoder"
fl = min(layer, n_layers - 1)
fig, table = figs.ffn_figure((base.decoder_ffn if side == "decoder" else base.encoder_ffn)[fl],
                             base.input_tokens if side == "decoder" else base.source_tokens,
                             f"{side} layer {fl + 1}: ReLU(W_1 x + b_1)")
ui.plot(fig, "transformer-ffn", table, key="transformer-ffn",
        caption=f"The {side}'s feed-forward activations $\\mathrm{{ReLU}}(W_1 x + b_1)$: one column per word, one "
                "row per feed-forward unit, from 0 to the largest activation.")
st.subheader("Positional encodings")
fig, table = figs.positional_figure(tui.positional_table(POSITIONS), base.source_tokens, f"P_t for positions "
                                    f"0-{POSITIONS - 1}; the first {len(base.source_tokens)} are added to this "
                                    "sentence's words")
ui.plot(fig, "transformer-positions", table, key="transformer-pos",
        caption=f"The positional encodings $P_t$: one row per position t (0 to {POSITIONS - 1}), one column per "
                "dimension, on a diverging scale symmetric about 0 (red positive, blue negative).")
explain("Column pairs are sine and cosine waves, fast on the left and slow on the right: together they give "
        "each position a distinct pattern, and a fixed shift of position is a fixed rotation of each pair.")
st.subheader("The residual stream through the layers")
for column, (norms, toks, name, what) in zip(st.columns(2), (
        (base.encoder_residual_norms, base.source_tokens, "encoder", "x_t"),
        (base.decoder_residual_norms, base.input_tokens, "decoder", "y_t"))):
    with column:
        fig, table = figs.residual_norm_figure(norms, toks, f"{name}: ‖{what}‖")
        ui.plot(fig, f"transformer-residual-{name}", table, key=f"transformer-res-{name[:3]}",
                caption=f"{name.capitalize()}: the norm ‖{what}‖ of each {'source' if name == 'encoder' else 'input'} "
                        "word's vector at each layer boundary, one line per word and the mean thick.")
explain(f"Each layer adds to the stream and its layer norm rescales it: after LN every vector has mean 0 and "
        f"variance 1 before γ and β, so its norm stays near √D = {np.sqrt(D):.1f} times the typical γ.")

# -- switching heads off ----------------------------------------------------------------------------------
st.subheader("Switch heads off")
tui.switch_heads_off(base, sentence, cfg)

# -- accuracy -----------------------------------------------------------------------------------------------
st.subheader("Transformer and RNN with attention on the same test split")
if ui.shipped(tui.RNN_NAME) is not None:
    tui.accuracy_against_rnn()
