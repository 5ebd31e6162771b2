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

Words go through plotting.attention.word_label (HTML-escaped for plotly). Heatmaps with many cells (every head,
the feed-forward units, the positional table) send float32 values (plotly sends numpy arrays as binary: half the
bytes of float64, and the hover shows 3 decimals); the tables keep full precision.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, _layout
from seqviz.plotting.attention import word_label

from seqviz.plotting.palette import HIGHLIGHT as PICKED, MASKED  # noqa: E402 - masked cells; the head shown enlarged
KIND_TITLES = {"encoder": "encoder self-attention", "decoder": "decoder masked self-attention",
               "cross": "cross-attention (decoder → encoder)"}


def _labels(words: list[str]) -> list[str]:
    return [word_label(w) for w in words]


def _word_axis(fig: go.Figure, words: list[str], axis: str, title: str | None, row=None, col=None,
               show: bool = True, size: int = 15) -> None:
    """Words repeat ("the ... the"), so the axis is numeric (1..n) with the words as tick labels."""
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    extra = dict(tickangle=-60 if len(words) > 8 else -30) if axis == "x" else dict(autorange="reversed")
    update(tickmode="array", tickvals=list(range(1, len(words) + 1)), ticktext=_labels(words) if show else None,
           showticklabels=show, tickfont=dict(size=size), title=title, row=row, col=col, **extra)


def head_grid_figure(weights: np.ndarray, query_tokens: list[str], key_tokens: list[str], kind: str,
                     picked: tuple[int, int] | None = None, ablated: set | frozenset = frozenset()) -> tuple[go.Figure, pd.DataFrame]:
    """weights (L, nh, Tq, Tk): one small heatmap per layer (rows) and head (columns). picked = (layer,
    head), 0-based, is outlined; `ablated` holds the (layer, head) pairs of this attention switched off."""
    W = np.asarray(weights, dtype=float)
    L, nh, Tq, Tk = W.shape
    titles = [f"layer {l + 1}, head {h + 1}" + (" (off)" if (l, h) in ablated else "") for l in range(L) for h in range(nh)]
    fig = make_subplots(rows=L, cols=nh, subplot_titles=titles, horizontal_spacing=0.03, vertical_spacing=0.12)
    q, k = _labels(query_tokens), _labels(key_tokens)
    custom = np.array([[[q[i], k[j]] for j in range(Tk)] for i in range(Tq)], dtype=object)
    show = max(Tq, Tk) <= 14  # tick labels only while they stay readable; hover always names the words
    for l in range(L):
        for h in range(nh):
            fig.add_trace(go.Heatmap(
                z=W[l, h].astype(np.float32), x=np.arange(1, Tk + 1), y=np.arange(1, Tq + 1), customdata=custom,
                colorscale=SEQUENTIAL, zmin=0, zmax=1, showscale=(l, h) == (0, 0),
                colorbar=dict(title="weight", tickvals=[0, 0.5, 1], len=0.8),
                hovertemplate=f"layer {l + 1}, head {h + 1}<br>query '%{{customdata[0]}}' (%{{y}})<br>"
                              "key '%{customdata[1]}' (%{x})<br>weight = %{z:.3f}<extra></extra>"),
                row=l + 1, col=h + 1)
            _word_axis(fig, key_tokens, "x", None, l + 1, h + 1, show and l == L - 1, 11)
            _word_axis(fig, query_tokens, "y", None, l + 1, h + 1, show and h == 0, 11)
    if picked is not None and 0 <= picked[0] < L and 0 <= picked[1] < nh:
        ref = (picked[0] * nh + picked[1] + 1)
        suffix = "" if ref == 1 else str(ref)
        fig.add_shape(type="rect", xref=f"x{suffix} domain", yref=f"y{suffix} domain", x0=-0.02, x1=1.02,
                      y0=-0.02, y1=1.02, line=dict(color=PICKED, width=4))
    fig.update_annotations(font_size=14)
    l_, h_, i_, j_ = np.indices(W.shape).reshape(4, -1)
    table = pd.DataFrame({"layer": l_ + 1, "head": h_ + 1, "query": np.asarray(query_tokens, dtype=object)[i_],
                          "key": np.asarray(key_tokens, dtype=object)[j_], "weight": W.ravel()})
    return _layout(fig, 140 + 230 * L, f"{KIND_TITLES.get(kind, kind)}: every layer and head (rows: queries, columns: keys)"), table


def attention_map_figure(weights: np.ndarray, query_tokens: list[str], key_tokens: list[str], title: str,
                         causal: bool = False) -> tuple[go.Figure, pd.DataFrame]:
    """One head's weights (Tq, Tk) enlarged, with the numbers in the cells when they fit. With
    causal=True the cells above the diagonal (key j after query i) are drawn grey: the mask sets them to 0."""
    W = np.asarray(weights, dtype=float)
    Tq, Tk = W.shape
    q, k = _labels(query_tokens), _labels(key_tokens)
    custom = np.array([[[q[i], k[j]] for j in range(Tk)] for i in range(Tq)], dtype=object)
    shown = W.copy()
    if causal:
        shown[np.triu(np.ones((Tq, Tk), dtype=bool), 1)] = np.nan
    fig = go.Figure(go.Heatmap(
        z=shown, x=np.arange(1, Tk + 1), y=np.arange(1, Tq + 1), customdata=custom,
        colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title="weight", tickvals=[0, 0.5, 1]),
        text=np.round(shown, 2) if max(Tq, Tk) <= 14 else None, texttemplate="%{text}" if max(Tq, Tk) <= 14 else None,
        textfont=dict(size=12),
        hovertemplate="query '%{customdata[0]}' (%{y})<br>key '%{customdata[1]}' (%{x})<br>weight = %{z:.3f}<extra></extra>"))
    if causal:
        masked = np.where(np.triu(np.ones((Tq, Tk), dtype=bool), 1), 1.0, np.nan)
        fig.add_trace(go.Heatmap(
            z=masked, x=np.arange(1, Tk + 1), y=np.arange(1, Tq + 1), customdata=custom,
            colorscale=[[0, MASKED], [1, MASKED]], showscale=False, name="masked",
            hovertemplate="masked: '%{customdata[0]}' (%{y}) may not look ahead at '%{customdata[1]}' (%{x})"
                          "<br>weight = 0 exactly<extra></extra>"))
        # the mask's edge: a staircase just above the diagonal
        xs, ys = [0.5], [0.5]
        for i in range(1, Tq + 1):
            xs += [i + 0.5, i + 0.5]
            ys += [i - 0.5, i + 0.5]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="black", width=2), name="causal mask",
                                 hoverinfo="skip", showlegend=True))
    _word_axis(fig, key_tokens, "x", "key (the word looked at)")
    _word_axis(fig, query_tokens, "y", "query (the word looking)")
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    return _layout(fig, 220 + 26 * Tq, title), _matrix_table(W, query_tokens, key_tokens, "query")


def cross_compare_figure(transformer_weights: np.ndarray, transformer_outputs: list[str], rnn_weights: np.ndarray,
                         rnn_outputs: list[str], source_tokens: list[str], transformer_title: str,
                         rnn_title: str = "GRU with attention: α_ij") -> tuple[go.Figure, pd.DataFrame]:
    """Two attention maps over the same source words: the transformer's cross-attention (one head, or
    the heads' mean) and the RNN decoder's weights, each with its own output words on the rows."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=[transformer_title, rnn_title], horizontal_spacing=0.16)
    S = len(source_tokens)
    for col, (W, outs) in enumerate(((transformer_weights, transformer_outputs), (rnn_weights, rnn_outputs)), start=1):
        W = np.asarray(W, dtype=float)
        o, s = _labels(outs), _labels(source_tokens)
        custom = np.array([[[o[i], s[j]] for j in range(S)] for i in range(len(outs))], dtype=object)
        fig.add_trace(go.Heatmap(
            z=W, x=np.arange(1, S + 1), y=np.arange(1, len(outs) + 1), customdata=custom,
            colorscale=SEQUENTIAL, zmin=0, zmax=1, showscale=col == 2,
            colorbar=dict(title="weight", tickvals=[0, 0.5, 1]),
            hovertemplate="output '%{customdata[0]}' (%{y})<br>source '%{customdata[1]}' (%{x})<br>"
                          "weight = %{z:.3f}<extra></extra>"), row=1, col=col)
        _word_axis(fig, source_tokens, "x", "source word", 1, col, size=13)
        _word_axis(fig, outs, "y", "output word" if col == 1 else None, 1, col, size=13)
    fig.update_annotations(font_size=15)
    return _layout(fig, 250 + 22 * max(len(transformer_outputs), len(rnn_outputs)),
                   "where each output word looks in the source: transformer cross-attention beside the GRU's attention"), \
        _matrix_table(transformer_weights, transformer_outputs, source_tokens, "output")


def ffn_figure(activations: np.ndarray, tokens: list[str], title: str, zmax: float | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """activations (T, F) = ReLU(W_1 x_t + b_1): hidden units (rows) x positions (columns). ReLU outputs
    are >= 0, so the scale is sequential from 0 to zmax (the largest activation of the trace by default)."""
    A = np.asarray(activations, dtype=float)
    T, Fw = A.shape
    top = float(zmax if zmax is not None else max(A.max(), 1e-6))
    fig = go.Figure(go.Heatmap(
        z=A.T.astype(np.float32), x=np.arange(1, T + 1), y=np.arange(Fw), colorscale=SEQUENTIAL, zmin=0, zmax=top,
        customdata=np.array([_labels(tokens)] * Fw), colorbar=dict(title="ReLU"),
        hovertemplate="'%{customdata}' (%{x})<br>unit %{y}<br>activation = %{z:.3f}<extra></extra>"))
    _word_axis(fig, tokens, "x", "word")
    fig.update_yaxes(title="feed-forward unit", autorange="reversed")
    off = float((A == 0).mean())
    table = pd.DataFrame(A, index=list(tokens)).reset_index(names="word")
    return _layout(fig, 480, f"{title}: {off:.0%} of the activations are exactly 0"), table


def positional_figure(P: np.ndarray, tokens: list[str] | None = None,
                      title: str = "positional encodings P_t") -> tuple[go.Figure, pd.DataFrame]:
    """P (T, D): positions (rows) x dimensions (columns), diverging and symmetric around 0 ([-1, 1]
    for sinusoids, wider if learned vectors are larger)."""
    P = np.asarray(P, dtype=float)
    T, D = P.shape
    bound = float(max(1.0, np.abs(P).max()))
    words = _labels(tokens or [])  # the sentence's words label the first rows
    ylabels = [f"{t}: {words[t]}" if t < len(words) else f"{t}" for t in range(T)]
    fig = go.Figure(go.Heatmap(
        z=P.astype(np.float32), x=np.arange(D), y=np.arange(T), colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0,
        customdata=np.array([[y] * D for y in ylabels]), colorbar=dict(title="P"),
        hovertemplate="position %{customdata}<br>dimension %{x}<br>P = %{z:.3f}<extra></extra>"))
    fig.update_xaxes(title="dimension (pairs 2i, 2i+1: sin, cos at frequency 1/10000^(2i/D))")
    fig.update_yaxes(title="position t", autorange="reversed", tickmode="array", tickfont=dict(size=12),
                     tickvals=list(range(T)) if T <= 64 else None, ticktext=ylabels if T <= 64 else None)
    return _layout(fig, 220 + 15 * T, title), pd.DataFrame(P).assign(position=range(T))


def residual_norm_figure(norms: np.ndarray, tokens: list[str], title: str) -> tuple[go.Figure, pd.DataFrame]:
    """norms (L + 1, T) = ||x_t|| at each layer boundary: one line per word across the layers, and
    the mean over the words drawn thick."""
    N = np.asarray(norms, dtype=float)
    L1, T = N.shape
    stages = ["embedding + P"] + [f"after layer {l}" for l in range(1, L1)]
    fig = go.Figure()
    for t in range(T):
        fig.add_trace(go.Scatter(
            x=stages, y=N[:, t], mode="lines+markers", name=f"{t + 1}: {word_label(tokens[t])}",
            line=dict(color=OKABE_ITO[t % len(OKABE_ITO)], width=1.5), marker=dict(size=6), opacity=0.6,
            hovertemplate=f"'{word_label(tokens[t])}' ({t + 1})<br>%{{x}}<br>‖x‖ = %{{y:.2f}}<extra></extra>"))
    fig.add_trace(go.Scatter(x=stages, y=N.mean(axis=1), mode="lines+markers", name="mean over words",
                             line=dict(color="black", width=5), marker=dict(size=10),
                             hovertemplate="mean<br>%{x}<br>‖x‖ = %{y:.2f}<extra></extra>"))
    fig.update_xaxes(title="layer boundary")
    fig.update_yaxes(title="‖x_t‖ (Euclidean norm)", rangemode="tozero")
    fig.update_layout(showlegend=T <= 12)
    table = pd.DataFrame(N, columns=list(tokens)).assign(boundary=stages)
    return _layout(fig, 420, title), table


def ablation_figure(words: list[str], probs_on: np.ndarray, probs_off: np.ndarray) -> tuple[go.Figure, pd.DataFrame]:
    """p(y_i | y_<i, x) of the same output words (the full model's translation) with every head on and
    with the chosen heads switched off, side by side per word."""
    labels = [f"{i + 1}: {w}" for i, w in enumerate(_labels(words))]
    fig = go.Figure()
    for name, p, color in (("all heads on", probs_on, OKABE_ITO[0]), ("heads switched off", probs_off, OKABE_ITO[1])):
        fig.add_trace(go.Bar(x=labels, y=np.asarray(p, dtype=float), name=name, marker_color=color,
                             hovertemplate=f"{name}<br>%{{x}}<br>p = %{{y:.4f}}<extra></extra>"))
    fig.update_xaxes(title="output word y_i (the full model's translation)", tickangle=-45, type="category")
    fig.update_yaxes(title="p(y_i | y_<i, x)", range=[0, 1.05], tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    table = pd.DataFrame({"word": list(words), "p all heads": probs_on, "p heads off": probs_off})
    return _layout(fig, 400, "probability of each output word: all heads on vs heads switched off"), table


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
