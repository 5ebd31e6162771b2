"""Streamlit helpers of the attention lesson (pages/attention_basics.py): the word-vector editor, the
two-panel layout, and the aside on dividing by sqrt(d_k) with its figure (cached: it never changes).

The lesson's numbers come from seqviz.models.attention, its figures from seqviz.plotting.attention.
"""

from __future__ import annotations

import zlib

import numpy as np
import streamlit as st

from seqviz import ui

from seqviz.models import attention as attn
from seqviz.plotting import attention as figs


def switches() -> tuple[str, float, bool, attn.AttentionConfig]:
    """The lesson's switches, bound to the URL: scoring, temperature, causal mask, d_k and the weight seed."""
    c1, c2, c3, c4 = st.columns([2, 1.8, 1.3, 1])  # c3 wide enough for "Causal mask" on a laptop
    scoring = c1.radio("Scoring", list(attn.SCORING_NAMES), format_func=attn.SCORING_NAMES.get, index=1,
                       key="attn_scoring", bind="query-params", horizontal=True)
    tau = attn.temperature_of(c2.select_slider("Temperature τ", attn.TEMPERATURES, value="1", key="attn_temp",
                                               bind="query-params"))
    causal = c3.toggle("Causal mask", False, key="attn_causal", bind="query-params",
                       help="Query i may only look at keys j ≤ i: nothing from later in the sentence.")
    d_k = c4.selectbox("d_k", attn.D_K_CHOICES, index=1, key="attn_dk", bind="query-params",
                       help="Size of each query and key (and value).")
    ui.drop_unusable_link_values("attn_seed")
    seed = c4.number_input("Weight seed", 0, 9999, 0, key="attn_seed", bind="query-params")
    cfg = attn.AttentionConfig(d_k=int(d_k), seed=int(seed))
    return scoring, tau, causal, cfg


STAGE_VIEWS = {"raw": ("attention-scores", "attn_fig_raw"), "scaled": ("attention-scaled-scores", "attn_fig_scaled"),
               "logits": ("attention-logits", "attn_fig_logits"), "weights": ("attention-weights-softmax", "attn_fig_weights")}


def stage(steps: attn.AttentionSteps, words: list[str], name: str, query: int, caption: str) -> None:
    """One T x T stage ("raw", "scaled", "logits", "weights") with the followed query's row outlined."""
    fig, table = figs.stage_figure(steps, words, name, query)
    ui.plot(fig, STAGE_VIEWS[name][0], table, key=STAGE_VIEWS[name][1], caption=caption)


def side_by_side(T: int, widths=(1, 1)):
    """Two T x T panels side by side while their cells stay wide enough for the numbers, else stacked."""
    return st.columns(list(widths)) if T <= 6 else (st.container(), st.container())


def typed_vectors(words: list[str], X: np.ndarray, cfg: attn.AttentionConfig) -> np.ndarray:
    """A table of the word vectors the learner may edit (a new sentence starts a fresh table); the typed
    vectors once every cell is usable, else X after one sentence saying why."""
    table = figs.matrix_table(X, words, "x").drop(columns="i")
    table.columns = ["word"] + [f"x[{c}]" for c in range(1, cfg.d_model + 1)]
    edited = st.data_editor(table, key=f"attn_X_{zlib.crc32(' '.join(words).encode())}", disabled=["word"],
                            hide_index=True, num_rows="fixed",
                            column_config={c: st.column_config.NumberColumn(c, format="%.2f", step=0.01)
                                           for c in table.columns[1:]})
    typed, err = attn.check_vectors(edited.drop(columns="word").to_numpy(dtype=object), len(words), cfg.d_model)
    if err:
        st.error(err + " Until then the views use the made-up vectors.")
        return X
    return typed


@st.cache_data(max_entries=1, show_spinner=False)
def spread_figure():
    """The sqrt(d_k) argument's figure and table: random vectors, the same on every run (computed once)."""
    return figs.spread_figure(np.array(attn.SPREAD_SIZES))


def why_scale(steps: attn.AttentionSteps, expanded: bool) -> None:
    """The aside on dividing by sqrt(d_k): this example's spread, and the spread of random vectors by size."""
    with st.expander("Why divide by $\\sqrt{d_k}$?", expanded=expanded, icon=":material/functions:"):
        sd_raw, sd_scaled = attn.score_spread(steps)
        st.markdown(
            "If the $d_k$ components of $q$ and $k$ are independent with mean 0 and variance 1, the dot product "
            "$q \\cdot k = \\sum_c q_c k_c$ adds $d_k$ terms of variance 1, so its variance is $d_k$ and its standard "
            "deviation $\\sqrt{d_k}$. With large $d_k$ the scores spread so far that the softmax puts almost all "
            "weight on one key and its gradient nearly vanishes. Dividing by $\\sqrt{d_k}$ brings the spread "
            "back to about 1, whatever the size of the vectors.")
        m1, m2, m3 = st.columns(3)
        m1.metric("std of q_i · k_j here", f"{sd_raw:.3f}")
        m2.metric(f"std after dividing by √{steps.d_k}", f"{sd_scaled:.3f}")
        m3.metric("√d_k", f"{steps.d_k ** 0.5:.3f}")
        st.caption("On one short sentence the spread is a rough estimate; with random vectors it follows √d_k "
                   "closely. Try d_k = 16 above.")
        fig, table = spread_figure()
        ui.plot(fig, "attention-sqrt-dk", table, key="attn_fig_spread",
                caption="Standard deviation of q · k for random vectors against d_k (log scales), before and after "
                        "dividing by √d_k.")
