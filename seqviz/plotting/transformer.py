"""Figures for the transformer lesson (pages/transformer_translation.py). Pure builders, no streamlit.

Arrays from a TransformerTrace (seqviz.models.transformer) in; each builder returns the plotly figure and
the table of the numbers behind it (`fig, table = head_grid_figure(...)`):

- head_grid_figure: every layer x head attention map of one attention (encoder self, decoder masked
  self, cross), small multiples on the fixed [0, 1] scale, the picked head outlined, switched-off heads named;
- attention_map_figure: one head enlarged, tokens on both axes, the causal mask drawn (grey cells) when
  the attention is masked;
- cross_compare_figure: the transformer's cross-attention beside the RNN decoder's α for the same sentence;
- ffn_figure: the feed-forward activations ReLU(W_1 x + b_1) of one layer, positions x hidden units;
- positional_figure: the positional encodings P_t, positions x dimensions, diverging around 0;
- residual_norm_figure: ||x_t|| of the residual stream at each layer boundary, one line per word;
- ablation_figure: p(y_i | y_<i, x) of each output word with all heads on and with heads switched off;
- accuracy_figure: exact match by source length of the shipped translation models (plotting.translation.length_chart).

Every figure is built as plain dicts (traces, axes, the subplot layout from plotting.subplots) and checked
by plotly once (plotting.figure): building them trace by trace and axis by axis re-validated the whole
figure at every call, most of the lesson's rerun.

Words go through plotting.attention.word_label (HTML-escaped for plotly). Heatmaps with many cells (every head,
the feed-forward units, the positional table) send float32 values (plotly sends numpy arrays as binary: half the
bytes of float64, and the hover shows 3 decimals); the tables keep full precision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, layout, subplots, trace_ref
from seqviz.plotting.attention import word_label

from seqviz.plotting.palette import HIGHLIGHT as PICKED, MASKED  # noqa: E402 - masked cells; the head shown enlarged
KIND_TITLES = {"encoder": "encoder self-attention", "decoder": "decoder masked self-attention",
               "cross": "cross-attention (decoder → encoder)"}


def _labels(words: list[str]) -> list[str]:
    return [word_label(w) for w in words]


def _word_axis(words: list[str], axis: str, title: str | None, show: bool = True, size: int = 15) -> dict:
    """Words repeat ("the ... the"), so the axis is numeric (1..n) with the words as tick labels: the axis dict."""
    out = dict(tickmode="array", tickvals=list(range(1, len(words) + 1)), showticklabels=show, tickfont=dict(size=size))
    if show:
        out["ticktext"] = _labels(words)
    if title is not None:
        out["title"] = dict(text=title)
    out.update(dict(tickangle=-60 if len(words) > 8 else -30) if axis == "x" else dict(autorange="reversed"))
    return out


def _titled_layout(height: int, title: str | None, **more) -> dict:
    """The shared layout with the figure's title (an empty title kept, as plotly kept it)."""
    out = layout(height, title, **more)
    if title is not None:
        out["title"] = dict(text=title)
    return out


def _on(lay: dict, height: int, title: str | None) -> dict:
    """The shared layout over a `subplots` layout (whose subplot titles it keeps)."""
    return {**lay, **_titled_layout(height, title)}


def _pairs(rows: list[str], cols: list[str]) -> np.ndarray:
    """(len(rows), len(cols), 2) object array: [row word, column word] per cell, for the hover."""
    out = np.empty((len(rows), len(cols), 2), dtype=object)
    out[:, :, 0] = np.asarray(rows, dtype=object).reshape(-1, 1)
    out[:, :, 1] = np.asarray(cols, dtype=object).reshape(1, -1)
    return out


def head_grid_figure(weights: np.ndarray, query_tokens: list[str], key_tokens: list[str], kind: str,
                     picked: tuple[int, int] | None = None, ablated: set | frozenset = frozenset()) -> tuple[go.Figure, pd.DataFrame]:
    """weights (L, nh, Tq, Tk): one small heatmap per layer (rows) and head (columns). picked = (layer,
    head), 0-based, is outlined; `ablated` holds the (layer, head) pairs of this attention switched off."""
    W = np.asarray(weights, dtype=float)
    L, nh, Tq, Tk = W.shape
    titles = [f"layer {l + 1}, head {h + 1}" + (" (off)" if (l, h) in ablated else "") for l in range(L) for h in range(nh)]
    lay, panels = subplots(L, nh, titles, horizontal_spacing=0.03, vertical_spacing=0.12)
    q, k = _labels(query_tokens), _labels(key_tokens)
    custom = _pairs(q, k)
    show = max(Tq, Tk) <= 14  # tick labels only while they stay readable; hover always names the words
    x, y = np.arange(1, Tk + 1), np.arange(1, Tq + 1)
    Z = W.astype(np.float32)
    data = []
    for l in range(L):
        for h in range(nh):
            axes = panels[l * nh + h]
            data.append(dict(
                type="heatmap", z=Z[l, h], x=x, y=y, customdata=custom,
                colorscale=SEQUENTIAL, zmin=0, zmax=1, showscale=(l, h) == (0, 0),
                colorbar=dict(title=dict(text="weight"), tickvals=[0, 0.5, 1], len=0.8),
                hovertemplate=f"layer {l + 1}, head {h + 1}<br>query '%{{customdata[0]}}' (%{{y}})<br>"
                              "key '%{customdata[1]}' (%{x})<br>weight = %{z:.3f}<extra></extra>", **trace_ref(axes)))
            lay[axes[0]].update(_word_axis(key_tokens, "x", None, show and l == L - 1, 11))
            lay[axes[1]].update(_word_axis(query_tokens, "y", None, show and h == 0, 11))
    if picked is not None and 0 <= picked[0] < L and 0 <= picked[1] < nh:
        ref = (picked[0] * nh + picked[1] + 1)
        suffix = "" if ref == 1 else str(ref)
        lay["shapes"] = [dict(type="rect", xref=f"x{suffix} domain", yref=f"y{suffix} domain", x0=-0.02, x1=1.02,
                              y0=-0.02, y1=1.02, line=dict(color=PICKED, width=4))]
    for note in lay.get("annotations", ()):
        note.setdefault("font", {})["size"] = 14
    l_, h_, i_, j_ = np.indices(W.shape).reshape(4, -1)
    table = pd.DataFrame({"layer": l_ + 1, "head": h_ + 1, "query": np.asarray(query_tokens, dtype=object)[i_],
                          "key": np.asarray(key_tokens, dtype=object)[j_], "weight": W.ravel()})
    title = f"{KIND_TITLES.get(kind, kind)}: every layer and head (rows: queries, columns: keys)"
    return figure(data, _on(lay, 140 + 230 * L, title)), table


def attention_map_figure(weights: np.ndarray, query_tokens: list[str], key_tokens: list[str], title: str,
                         causal: bool = False) -> tuple[go.Figure, pd.DataFrame]:
    """One head's weights (Tq, Tk) enlarged, with the numbers in the cells when they fit. With
    causal=True the cells above the diagonal (key j after query i) are drawn grey: the mask sets them to 0."""
    W = np.asarray(weights, dtype=float)
    Tq, Tk = W.shape
    q, k = _labels(query_tokens), _labels(key_tokens)
    custom = _pairs(q, k)
    x, y = np.arange(1, Tk + 1), np.arange(1, Tq + 1)
    shown = W.copy()
    if causal:
        shown[np.triu(np.ones((Tq, Tk), dtype=bool), 1)] = np.nan
    heat = dict(type="heatmap", z=shown, x=x, y=y, customdata=custom,
                colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title=dict(text="weight"), tickvals=[0, 0.5, 1]),
                textfont=dict(size=12),
                hovertemplate="query '%{customdata[0]}' (%{y})<br>key '%{customdata[1]}' (%{x})<br>weight = %{z:.3f}<extra></extra>")
    if max(Tq, Tk) <= 14:
        heat.update(text=np.round(shown, 2), texttemplate="%{text}")
    data = [heat]
    if causal:
        masked = np.where(np.triu(np.ones((Tq, Tk), dtype=bool), 1), 1.0, np.nan)
        data.append(dict(
            type="heatmap", z=masked, x=x, y=y, customdata=custom,
            colorscale=[[0, MASKED], [1, MASKED]], showscale=False, name="masked",
            hovertemplate="masked: '%{customdata[0]}' (%{y}) may not look ahead at '%{customdata[1]}' (%{x})"
                          "<br>weight = 0 exactly<extra></extra>"))
        # the mask's edge: a staircase just above the diagonal
        xs, ys = [0.5], [0.5]
        for i in range(1, Tq + 1):
            xs += [i + 0.5, i + 0.5]
            ys += [i - 0.5, i + 0.5]
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color="black", width=2), name="causal mask",
                         hoverinfo="skip", showlegend=True))
    lay = _titled_layout(220 + 26 * Tq, title, xaxis=_word_axis(key_tokens, "x", "key (the word looked at)"),
                  yaxis=_word_axis(query_tokens, "y", "query (the word looking)"),
                  legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return figure(data, lay), _matrix_table(W, query_tokens, key_tokens, "query")


def cross_compare_figure(transformer_weights: np.ndarray, transformer_outputs: list[str], rnn_weights: np.ndarray,
                         rnn_outputs: list[str], source_tokens: list[str], transformer_title: str,
                         rnn_title: str = "GRU with attention: α_ij") -> tuple[go.Figure, pd.DataFrame]:
    """Two attention maps over the same source words: the transformer's cross-attention (one head, or
    the heads' mean) and the RNN decoder's weights, each with its own output words on the rows."""
    lay, panels = subplots(1, 2, [transformer_title, rnn_title], horizontal_spacing=0.16)
    S = len(source_tokens)
    s = _labels(source_tokens)
    data = []
    for col, ((W, outs), axes) in enumerate(zip(((transformer_weights, transformer_outputs), (rnn_weights, rnn_outputs)),
                                                panels), start=1):
        W = np.asarray(W, dtype=float)
        custom = _pairs(_labels(outs), s)
        data.append(dict(
            type="heatmap", z=W, x=np.arange(1, S + 1), y=np.arange(1, len(outs) + 1), customdata=custom,
            colorscale=SEQUENTIAL, zmin=0, zmax=1, showscale=col == 2,
            colorbar=dict(title=dict(text="weight"), tickvals=[0, 0.5, 1]),
            hovertemplate="output '%{customdata[0]}' (%{y})<br>source '%{customdata[1]}' (%{x})<br>"
                          "weight = %{z:.3f}<extra></extra>", **trace_ref(axes)))
        lay[axes[0]].update(_word_axis(source_tokens, "x", "source word", size=13))
        lay[axes[1]].update(_word_axis(outs, "y", "output word" if col == 1 else None, size=13))
    for note in lay.get("annotations", ()):
        note.setdefault("font", {})["size"] = 15
    return figure(data, _on(lay, 250 + 22 * max(len(transformer_outputs), len(rnn_outputs)),
                            "where each output word looks in the source: transformer cross-attention beside the GRU's attention")), \
        _matrix_table(transformer_weights, transformer_outputs, source_tokens, "output")


def ffn_figure(activations: np.ndarray, tokens: list[str], title: str, zmax: float | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """activations (T, F) = ReLU(W_1 x_t + b_1): hidden units (rows) x positions (columns). ReLU outputs
    are >= 0, so the scale is sequential from 0 to zmax (the largest activation of the trace by default)."""
    A = np.asarray(activations, dtype=float)
    T, Fw = A.shape
    top = float(zmax if zmax is not None else max(A.max(), 1e-6))
    data = [dict(
        type="heatmap", z=A.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(Fw), colorscale=SEQUENTIAL,
        zmin=0, zmax=top, customdata=np.array([_labels(tokens)] * Fw), colorbar=dict(title=dict(text="ReLU")),
        hovertemplate="'%{customdata}' (%{x})<br>unit %{y}<br>activation = %{z:.3f}<extra></extra>")]
    off = float((A == 0).mean())
    table = pd.DataFrame(A, index=list(tokens)).reset_index(names="word")
    lay = _titled_layout(480, f"{title}: {off:.0%} of the activations are exactly 0", xaxis=_word_axis(tokens, "x", "word"),
                  yaxis=dict(title=dict(text="feed-forward unit"), autorange="reversed"))
    return figure(data, lay), table


def positional_figure(P: np.ndarray, tokens: list[str] | None = None,
                      title: str = "positional encodings P_t") -> tuple[go.Figure, pd.DataFrame]:
    """P (T, D): positions (rows) x dimensions (columns), diverging and symmetric around 0 ([-1, 1]
    for sinusoids, wider if learned vectors are larger)."""
    P = np.asarray(P, dtype=float)
    T, D = P.shape
    bound = float(max(1.0, np.abs(P).max()))
    words = _labels(tokens or [])  # the sentence's words label the first rows
    ylabels = [f"{t}: {words[t]}" if t < len(words) else f"{t}" for t in range(T)]
    data = [dict(
        type="heatmap", z=P.astype(np.float32), x=np.arange(D), y=np.arange(T), colorscale=DIVERGING, zmin=-bound,
        zmax=bound, zmid=0, customdata=np.array([[y] * D for y in ylabels]), colorbar=dict(title=dict(text="P")),
        hovertemplate="position %{customdata}<br>dimension %{x}<br>P = %{z:.3f}<extra></extra>")]
    yaxis = dict(title=dict(text="position t"), autorange="reversed", tickmode="array", tickfont=dict(size=12))
    if T <= 64:
        yaxis.update(tickvals=list(range(T)), ticktext=ylabels)
    lay = _titled_layout(220 + 15 * T, title, yaxis=yaxis,
                  xaxis=dict(title=dict(text="dimension (pairs 2i, 2i+1: sin, cos at frequency 1/10000^(2i/D))")))
    return figure(data, lay), pd.DataFrame(P).assign(position=range(T))


def residual_norm_figure(norms: np.ndarray, tokens: list[str], title: str) -> tuple[go.Figure, pd.DataFrame]:
    """norms (L + 1, T) = ||x_t|| at each layer boundary: one line per word across the layers, and
    the mean over the words drawn thick."""
    N = np.asarray(norms, dtype=float)
    L1, T = N.shape
    stages = ["embedding + P"] + [f"after layer {l}" for l in range(1, L1)]
    data = [dict(type="scatter", x=stages, y=N[:, t], mode="lines+markers", name=f"{t + 1}: {word_label(tokens[t])}",
                 line=dict(color=OKABE_ITO[t % len(OKABE_ITO)], width=1.5), marker=dict(size=6), opacity=0.6,
                 hovertemplate=f"'{word_label(tokens[t])}' ({t + 1})<br>%{{x}}<br>‖x‖ = %{{y:.2f}}<extra></extra>")
            for t in range(T)]
    data.append(dict(type="scatter", x=stages, y=N.mean(axis=1), mode="lines+markers", name="mean over words",
                     line=dict(color="black", width=5), marker=dict(size=10),
                     hovertemplate="mean<br>%{x}<br>‖x‖ = %{y:.2f}<extra></extra>"))
    lay = _titled_layout(420, title, xaxis=dict(title=dict(text="layer boundary")),
                  yaxis=dict(title=dict(text="‖x_t‖ (Euclidean norm)"), rangemode="tozero"), showlegend=T <= 12)
    table = pd.DataFrame(N, columns=list(tokens)).assign(boundary=stages)
    return figure(data, lay), table


def ablation_figure(words: list[str], probs_on: np.ndarray, probs_off: np.ndarray) -> tuple[go.Figure, pd.DataFrame]:
    """p(y_i | y_<i, x) of the same output words (the full model's translation) with every head on and
    with the chosen heads switched off, side by side per word."""
    labels = [f"{i + 1}: {w}" for i, w in enumerate(_labels(words))]
    data = [dict(type="bar", x=labels, y=np.asarray(p, dtype=float), name=name, marker=dict(color=color),
                 hovertemplate=f"{name}<br>%{{x}}<br>p = %{{y:.4f}}<extra></extra>")
            for name, p, color in (("all heads on", probs_on, OKABE_ITO[0]), ("heads switched off", probs_off, OKABE_ITO[1]))]
    lay = _titled_layout(400, "probability of each output word: all heads on vs heads switched off",
                  xaxis=dict(title=dict(text="output word y_i (the full model's translation)"), tickangle=-45,
                             type="category"),
                  yaxis=dict(title=dict(text="p(y_i | y_<i, x)"), range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1]),
                  barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    table = pd.DataFrame({"word": list(words), "p all heads": probs_on, "p heads off": probs_off})
    return figure(data, lay), table


def accuracy_figure(rows: list[dict]) -> tuple[go.Figure, pd.DataFrame]:
    """rows: one per model (`model`, `by_length`: bucket -> exact match, `sentences_by_length`): exact match
    by source length, the models side by side."""
    from seqviz.plotting.translation import length_chart
    from seqviz.tasks.translation import BUCKET_NAMES

    fig = length_chart({r["model"]: {"exact_match_by_length": r["by_length"],
                                     "sentences_by_length": r["sentences_by_length"]} for r in rows})
    table = pd.DataFrame([{"model": r["model"], "bucket": b, "exact match": r["by_length"].get(b)}
                          for r in rows for b in BUCKET_NAMES])
    return fig, table


def _matrix_table(W: np.ndarray, rows: list[str], columns: list[str], name: str) -> pd.DataFrame:
    """A weight matrix as a table: one row per query (or output) word, one column per key word."""
    return pd.DataFrame(np.asarray(W, dtype=float), index=list(rows), columns=list(columns)).reset_index(names=name)
