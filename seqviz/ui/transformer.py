"""Streamlit pieces of the transformer lesson (pages/transformer_translation.py).

The shipped encoder-decoder loads through `ui.shipped("translation-transformer")` and its traces through
`ui.trace("translation-transformer", sentence, ablate, target)` (seqviz.labs.transformers.trace, cached by
plain values: the sentence, the switched-off heads as a sorted tuple of (kind, layer, head), the forced
target). Here, what the generic loaders do not cover:
- `positional_table`, `model_comparison`: cached tables read from the shipped checkpoints;
- `cross_beside_rnn` and `switch_heads_off`: `classroom.fragment`s, so their own toggle or multiselect reruns only them.
"""

from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from seqviz import ui
from seqviz.labs.transformers import KINDS, RNN_NAME, TRANSLATION_NAME, head_names, parse_heads
from seqviz.models import parameter_count
from seqviz.plotting import transformer as figs
from seqviz.plotting.attention import markdown_literal
from seqviz.ui import classroom
from seqviz.ui.classroom import explain, predict_then_reveal


@st.cache_data(max_entries=8, show_spinner=False)
def positional_table(n: int, name: str = TRANSLATION_NAME) -> np.ndarray:
    """(n, D) the positional encodings P_0..P_{n-1} the shipped model adds (n clamped to its max_len)."""
    model = ui.load_shipped(name).model
    with torch.no_grad():
        return model.src_pos(max(1, min(n, model.cfg.max_len))).detach().numpy().copy()


@st.cache_data(max_entries=4, show_spinner=False)
def model_comparison() -> list[dict]:
    """One row per shipped translation model (transformer, RNN with attention): exact match on the
    shared test split, parameters, training steps and seconds, from the checkpoints' JSON."""
    rows = []
    for label, name in (("Transformer (encoder-decoder)", TRANSLATION_NAME),
                        ("GRU encoder-decoder with attention", RNN_NAME)):
        ckpt = ui.load_shipped(name)
        m = ckpt.meta
        rows.append({"model": label, "checkpoint": m.get("name", ""),
                     "exact match (test)": m["metrics"]["exact_match"],
                     "test sentences": m["metrics"]["sentences"],
                     "parameters": parameter_count(ckpt.model),
                     "training steps": m["recipe"]["steps"], "training seconds": m.get("train_seconds"),
                     "by_length": m["metrics"]["exact_match_by_length"],
                     "sentences_by_length": m["metrics"]["sentences_by_length"]})
    return rows


@classroom.fragment
def cross_beside_rnn(base, sentence: str, layer: int, head: int) -> None:
    """The transformer's cross-attention (one head of `layer`, or their mean) beside the GRU's attention."""
    mean_heads = st.toggle("Average the heads of the chosen layer", value=False, key="transformer_mean",
                           bind="query-params")
    cross = base.cross_attention[layer].mean(0) if mean_heads else base.cross_attention[layer, head]
    title = f"transformer: layer {layer + 1}, " + ("mean of the heads" if mean_heads else f"head {head + 1}")
    if ui.shipped(RNN_NAME) is not None:
        rnn = ui.trace(RNN_NAME, sentence)
        fig, table = figs.cross_compare_figure(cross, base.output_tokens, rnn.weights[0, 0], rnn.output_tokens,
                                               base.source_tokens, title)
        ui.plot(fig, "transformer-vs-rnn", table, key="transformer-cross",
                caption="Left: the transformer's cross-attention weights (row i an output word, column j a source "
                        "word); right: the GRU decoder's $α_{ij}$ for its own translation; both from 0 to 1.")
    explain("Left: where the transformer's output word i looks in the source (its query is the decoder's vector "
            "for position i, before it has chosen word i). Right: the GRU decoder's α_ij for its own translation. The "
            "RNN has one attention; the transformer has one per head and layer, and no single head has to align.")


@classroom.fragment
def switch_heads_off(base, sentence: str, cfg) -> None:
    """Pick heads to switch off: the new translation, and each original word's probability with them off."""
    off = st.multiselect("Heads to switch off (kind layer.head)", head_names(cfg), key="transformer_off",
                         bind="query-params",
                         help="A switched-off head still computes its weights, but its output is replaced by 0 before W^O.")
    ablate = parse_heads(off, cfg)
    words = base.words
    if ablate:
        cut = ui.trace(TRANSLATION_NAME, sentence, ablate)
        forced = ui.trace(TRANSLATION_NAME, sentence, ablate, tuple(base.output_tokens))
        st.markdown(f"**With {len(ablate)} head{'s' if len(ablate) > 1 else ''} off:** "
                    f"{markdown_literal(' '.join(cut.words))}  "
                    + (":green[(the same translation)]" if cut.words == words else ":red[(a different translation)]"))
        fig, table = figs.ablation_figure(base.output_tokens, base.probs, forced.probs)
        ui.plot(fig, "transformer-ablation", table, key="transformer-ablation",
                caption="For each word $y_i$ of the full model's translation, its probability $p(y_i \\mid y_{<i}, x)$ "
                        "with all heads on and with the chosen heads off, from 0 to 1.")
    else:
        st.caption("Pick heads above to see the translation and its word probabilities change.")
    L, NH = cfg.n_decoder_layers, cfg.n_head
    last = tuple(("cross", L - 1, h) for h in range(NH))
    last_off = ui.trace(TRANSLATION_NAME, sentence, last)  # the question's answer, from the live model

    def reveal() -> None:
        forced = ui.trace(TRANSLATION_NAME, sentence, last, tuple(base.output_tokens))
        st.write(f"With all {NH} cross-attention heads of layer {L} off the model writes "
                 f"'{markdown_literal(' '.join(last_off.words))}'; the mean probability of its original words goes "
                 f"from {base.probs.mean():.3f} to {forced.probs.mean():.3f}. Only layer 1's cross-attention still "
                 "reads the source, so whatever survives came through it.")

    predict_then_reveal("transformer_ablate_cross", f"Switch off every cross-attention head of the last decoder layer "
                        f"(layer {L}). Does this sentence's translation stay the same?",
                        ["it stays the same", "it changes"],
                        "it stays the same" if last_off.words == words else "it changes", reveal)


def accuracy_against_rnn() -> None:
    """Exact match by length of the two shipped translation models, their table (parameters, steps, seconds)
    and why the training seconds are not the per-step speed."""
    rows = model_comparison()
    fig, table = figs.accuracy_figure(rows)
    ui.plot(fig, "transformer-vs-rnn-accuracy", table, key="transformer-acc",
            caption="Exact match (0 to 100%) by source length on the same 3,000 test sentences: the transformer "
                    "against the GRU with attention.")
    st.dataframe([{k: v for k, v in r.items() if k not in ("by_length", "sentences_by_length")} for r in rows],
                 hide_index=True, column_config={
                     "exact match (test)": st.column_config.NumberColumn(format="percent"),
                     "parameters": st.column_config.NumberColumn(format="localized")})
    explain("Both were trained from seed 0 on the same stream of training sentences and scored on the same "
            "3,000 held-out test sentences (exact match: the greedy translation equals the reference, <eos> "
            "included). Training seconds are wall time on one CPU thread of the machine that built each checkpoint, "
            "which was shared and busier for the transformer's build: per step the transformer is the cheaper of the "
            "two (every position in parallel, no recurrence; bench/bench_transformer.py times both in one process), "
            "but its recipe takes three times the steps. The longest sentences (25 words and more, under 3% of the "
            "training stream) are where the two differ most.")


__all__ = ["KINDS", "RNN_NAME", "accuracy_against_rnn", "cross_beside_rnn", "model_comparison", "positional_table",
           "switch_heads_off"]
