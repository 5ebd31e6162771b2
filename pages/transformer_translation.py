"""Inside the transformer: an encoder-decoder transformer translates the toy English -> French-like pair
of the attention lesson, and every attention head, feed-forward layer and residual stream is shown.

Library calls: seqviz.ui.transformer (shipped_transformer, transformer_trace: cached
TransformerSeq2Seq.trace with heads switched off, model_comparison), ui.shipped_checkpoint and
ui.shipped_translation ("translation-attention", the GRU with attention, for the same sentence),
TranslationTask.check_text / parse / dataset, seqviz.plotting.transformer (head_grid_figure,
attention_map_figure, cross_compare_figure, ffn_figure, positional_figure, residual_norm_figure,
ablation_figure), plotting.translation.length_chart, ui.plot, ui.show_code, classroom.predict_then_reveal.
"""

import numpy as np
import pandas as pd
import streamlit as st

from seqviz import ui
from seqviz.models.transformer import DecoderLayer, EncoderLayer, FeedForward, MultiHeadAttention
from seqviz.plotting import transformer as figs
from seqviz.plotting.attention import markdown_literal
from seqviz.plotting.translation import length_chart
from seqviz.tasks.translation import BUCKET_NAMES, length_bucket
from seqviz.ui import transformer as tui
from seqviz.ui.classroom import explain, predict_then_reveal

MAX_CHARS = 600  # 40 words of the toy language fit easily; a longer text would be echoed in the error
KINDS = {"encoder": "encoder self-attention", "decoder": "decoder masked self-attention", "cross": "cross-attention"}
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
ckpt = tui.shipped_transformer()
if ckpt is None:
    st.stop()
rnn = ui.shipped_checkpoint(tui.RNN_NAME)
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
examples = {}
for p in task.dataset(80, 1234, split="test"):  # the recipes' test seed: never trained on
    examples.setdefault(length_bucket(len(p.source)), " ".join(p.source))
DEFAULT = examples.get("7-12", next(iter(examples.values())))
text = st.text_input("Source sentence (words of the toy language, separated by spaces)", DEFAULT,
                     key="transformer_text", bind="query-params")
tokens = ui.tokens_or_example(task.check_text(text[:MAX_CHARS], vocab), text, MAX_CHARS, DEFAULT.split())
with st.expander("The toy language's words"):
    st.write(", ".join(vocab.to_list()[1:]))
sentence = " ".join(tokens)
base = tui.transformer_trace(sentence)
pair = task.parse(tokens)
words = base.words
st.markdown(f"**Source:** {markdown_literal(sentence)}")
st.markdown(f"**Transformer's translation:** {markdown_literal(' '.join(words))}  "
            f"(log-probability {base.log_prob:.3f})")
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
weights = {"encoder": base.encoder_attention, "decoder": base.decoder_attention, "cross": base.cross_attention}[kind]
queries = base.source_tokens if kind == "encoder" else base.input_tokens
keys = base.source_tokens if kind != "decoder" else base.input_tokens
ui.plot(figs.head_grid_figure(weights, queries, keys, kind, (layer, head)), f"transformer-{kind}-heads",
        pd.DataFrame([(l + 1, h + 1, queries[i], keys[j], float(weights[l, h, i, j]))
                      for l in range(weights.shape[0]) for h in range(NH)
                      for i in range(len(queries)) for j in range(len(keys))],
                     columns=["layer", "head", "query", "key", "weight"]), key="transformer-grid",
        caption=f"{figs.KIND_TITLES[kind]}: one small map per layer (rows) and head (columns), the chosen one "
                "outlined; in each, cell (i, j) is the weight query word i gives key word j, from 0 to 1.")
ui.plot(figs.attention_map_figure(weights[layer, head], queries, keys, f"{KINDS[kind]}, layer {layer + 1}, "
                                  f"head {head + 1}", causal=kind == "decoder"), f"transformer-{kind}-head",
        pd.DataFrame(weights[layer, head], index=queries, columns=keys).reset_index(names="query"),
        key="transformer-head",
        caption=f"{KINDS[kind]}, layer {layer + 1}, head {head + 1}, enlarged: row i is query word i, column j key "
                "word j, and each cell its softmax weight from 0 to 1" + (" (grey cells masked)." if kind == "decoder"
                                                                           else "."))
explain("Rows are the words asking (queries), columns the words answering (keys); each row is one softmax, so "
        "it sums to 1. Heads of the same layer often specialise: one looks at the word itself, one at a "
        "neighbour, one at the noun a determiner or adjective must agree with.")

st.subheader("The decoder's masked self-attention")
T = len(base.input_tokens)
ui.plot(figs.attention_map_figure(base.decoder_attention[min(layer, L - 1), head], base.input_tokens,
                                  base.input_tokens, f"decoder masked self-attention, layer {min(layer, L - 1) + 1}, "
                                  f"head {head + 1}", causal=True), "transformer-causal",
        pd.DataFrame(base.decoder_attention[min(layer, L - 1), head], index=base.input_tokens,
                     columns=base.input_tokens).reset_index(names="query"), key="transformer-causal",
        caption=f"The decoder's masked self-attention (layer {min(layer, L - 1) + 1}, head {head + 1}): row i is the "
                "word being written, column j a word already written, each cell its weight from 0 to 1; grey cells "
                "($j > i$) are masked.")
explain("Grey cells are masked: while writing word i the decoder must not peek at words it has not written "
        "yet, so $M_{ij} = -\\infty$ for $j > i$ and the softmax gives them exactly 0. In training all positions "
        "are computed at once, and this mask is what makes that honest.")
if T >= 2:
    def _reveal_mask():
        st.write(f"In this sentence, layer 1 head 1 gives the first word '{markdown_literal(base.input_tokens[0])}' "
                 f"weight {base.decoder_attention[0, 0, 0, T - 1]:.1f} on the last one and "
                 f"{base.decoder_attention[0, 0, 0, 0]:.1f} on itself: the row has a single allowed cell.")
    predict_then_reveal("transformer_mask", "How much weight does the decoder's first position (<bos>) give to "
                        "the last word of the translation?", ["about 1/T, like all the others", "exactly 0",
                                                             "the largest weight"], "exactly 0", _reveal_mask)

# -- cross-attention beside the RNN -----------------------------------------------------------------------
st.subheader("Cross-attention beside the RNN's attention")
mean_heads = st.toggle("Average the heads of the chosen layer", value=False, key="transformer_mean",
                       bind="query-params")
cl = min(layer, L - 1)
cross = base.cross_attention[cl].mean(0) if mean_heads else base.cross_attention[cl, head]
title = f"transformer: layer {cl + 1}, " + ("mean of the heads" if mean_heads else f"head {head + 1}")
if rnn is not None:
    rtr = ui.shipped_translation(tui.RNN_NAME, sentence)
    ui.plot(figs.cross_compare_figure(cross, base.output_tokens, rtr.weights[0, 0], rtr.output_tokens,
                                      base.source_tokens, title), "transformer-vs-rnn",
            pd.DataFrame(cross, index=base.output_tokens, columns=base.source_tokens).reset_index(names="output"),
            key="transformer-cross",
            caption="Left: the transformer's cross-attention weights (row i an output word, column j a source word); "
                    "right: the GRU decoder's $α_{ij}$ for its own translation; both from 0 to 1.")
explain("Left: where the transformer's output word i looks in the source (its query is the decoder's vector "
        "for position i, before it has chosen word i). Right: the GRU decoder's α_ij for its own translation. The "
        "RNN has one attention; the transformer has one per head and layer, and no single head has to align.")

# -- feed-forward, positions, residual stream ------------------------------------------------------------
st.subheader("Feed-forward activations")
side = "decoder" if kind != "encoder" else "encoder"
ffn = (base.decoder_ffn if side == "decoder" else base.encoder_ffn)[min(layer, n_layers - 1)]
ffn_tokens = base.input_tokens if side == "decoder" else base.source_tokens
ui.plot(figs.ffn_figure(ffn, ffn_tokens, f"{side} layer {min(layer, n_layers - 1) + 1}: ReLU(W_1 x + b_1)"),
        "transformer-ffn", pd.DataFrame(ffn, index=ffn_tokens).reset_index(names="word"), key="transformer-ffn",
        caption=f"The {side}'s feed-forward activations $\\mathrm{{ReLU}}(W_1 x + b_1)$: one column per word, one "
                "row per feed-forward unit, from 0 to the largest activation.")
st.subheader("Positional encodings")
P = tui.positional_table(POSITIONS)
ui.plot(figs.positional_figure(P, base.source_tokens, f"P_t for positions 0-{POSITIONS - 1}; the first "
                               f"{len(base.source_tokens)} are added to this sentence's words"),
        "transformer-positions", pd.DataFrame(P).assign(position=range(len(P))), key="transformer-pos",
        caption=f"The positional encodings $P_t$: one row per position t (0 to {POSITIONS - 1}), one column per "
                "dimension, on a diverging scale symmetric about 0 (red positive, blue negative).")
explain("Column pairs are sine and cosine waves, fast on the left and slow on the right: together they give "
        "each position a distinct pattern, and a fixed shift of position is a fixed rotation of each pair.")
st.subheader("The residual stream through the layers")
r1, r2 = st.columns(2)
with r1:
    ui.plot(figs.residual_norm_figure(base.encoder_residual_norms, base.source_tokens, "encoder: ‖x_t‖"),
            "transformer-residual-encoder", pd.DataFrame(base.encoder_residual_norms, columns=base.source_tokens),
            key="transformer-res-enc",
            caption="Encoder: the norm ‖x_t‖ of each source word's vector at each layer boundary, one line per "
                    "word and the mean thick.")
with r2:
    ui.plot(figs.residual_norm_figure(base.decoder_residual_norms, base.input_tokens, "decoder: ‖y_t‖"),
            "transformer-residual-decoder", pd.DataFrame(base.decoder_residual_norms, columns=base.input_tokens),
            key="transformer-res-dec",
            caption="Decoder: the norm ‖y_t‖ of each input word's vector at each layer boundary, one line per "
                    "word and the mean thick.")
explain(f"Each layer adds to the stream and its layer norm rescales it: after LN every vector has mean 0 and "
        f"variance 1 before γ and β, so its norm stays near √D = {np.sqrt(D):.1f} times the typical γ.")

# -- switching heads off ----------------------------------------------------------------------------------
st.subheader("Switch heads off")
OPTIONS = [f"{k} {l + 1}.{h + 1}" for k in KINDS for l in range(cfg.n_encoder_layers if k == "encoder" else L)
           for h in range(NH)]
off = st.multiselect("Heads to switch off (kind layer.head)", OPTIONS, key="transformer_off", bind="query-params",
                     help="A switched-off head still computes its weights, but its output is replaced by 0 before W^O.")
ablate = tuple(sorted((o.split()[0], int(o.split()[1].split(".")[0]) - 1, int(o.split()[1].split(".")[1]) - 1)
                      for o in off if o in OPTIONS))
if ablate:
    cut = tui.transformer_trace(sentence, ablate)
    forced = tui.transformer_trace(sentence, ablate, tuple(base.output_tokens))
    cut_words = cut.words
    st.markdown(f"**With {len(ablate)} head{'s' if len(ablate) > 1 else ''} off:** "
                f"{markdown_literal(' '.join(cut_words))}  "
                + (":green[(the same translation)]" if cut_words == words else ":red[(a different translation)]"))
    ui.plot(figs.ablation_figure(base.output_tokens, base.probs, forced.probs), "transformer-ablation",
            pd.DataFrame({"word": base.output_tokens, "p all heads": base.probs, "p heads off": forced.probs}),
            key="transformer-ablation",
            caption="For each word $y_i$ of the full model's translation, its probability $p(y_i \\mid y_{<i}, x)$ "
                    "with all heads on and with the chosen heads off, from 0 to 1.")
else:
    st.caption("Pick heads above to see the translation and its word probabilities change.")
last = tuple(("cross", L - 1, h) for h in range(NH))
last_off = tui.transformer_trace(sentence, last)  # the question's answer, from the live model


def _reveal_cross():
    cut_words = last_off.words
    forced = tui.transformer_trace(sentence, last, tuple(base.output_tokens))
    st.write(f"With all {NH} cross-attention heads of layer {L} off the model writes "
             f"'{markdown_literal(' '.join(cut_words))}'; the mean probability of its original words goes from "
             f"{base.probs.mean():.3f} to {forced.probs.mean():.3f}. Only layer 1's cross-attention still reads the "
             "source, so whatever survives came through it.")


predict_then_reveal("transformer_ablate_cross", f"Switch off every cross-attention head of the last decoder layer "
                    f"(layer {L}). Does this sentence's translation stay the same?",
                    ["it stays the same", "it changes"],
                    "it stays the same" if last_off.words == words else "it changes", _reveal_cross)

# -- accuracy -----------------------------------------------------------------------------------------------
st.subheader("Transformer and RNN with attention on the same test split")
if rnn is not None:
    rows = tui.model_comparison()
    ui.plot(length_chart({r["model"]: {"exact_match_by_length": r["by_length"],
                                       "sentences_by_length": r["sentences_by_length"]} for r in rows}),
            "transformer-vs-rnn-accuracy",
            pd.DataFrame([{"model": r["model"], "bucket": b, "exact match": r["by_length"].get(b)}
                          for r in rows for b in BUCKET_NAMES]), key="transformer-acc",
            caption="Exact match (0 to 100%) by source length on the same 3,000 test sentences: the transformer "
                    "against the GRU with attention.")
    table = pd.DataFrame([{k: v for k, v in r.items() if k not in ("by_length", "sentences_by_length")} for r in rows])
    st.dataframe(table, hide_index=True, column_config={
        "exact match (test)": st.column_config.NumberColumn(format="percent"),
        "parameters": st.column_config.NumberColumn(format="localized")})
    explain("Both were trained from seed 0 on the same stream of training sentences and scored on the same "
            "3,000 held-out test sentences (exact match: the greedy translation equals the reference, <eos> "
            "included). Training seconds are wall time on one CPU thread of the machine that built each checkpoint, "
            "which was shared and busier for the transformer's build: per step the transformer is the cheaper of the "
            "two (every position in parallel, no recurrence; bench/bench_transformer.py times both in one process), "
            "but its recipe takes three times the steps. The longest sentences (25 words and more, under 3% of the "
            "training stream) are where the two differ most.")
