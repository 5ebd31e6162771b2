"""Figures for the checkpoint explorer's Hugging Face and state-dict views: attention of every layer and head, one
head enlarged, hidden-state norms through the layers, the next-token distribution, a recurrent layer's
outputs over time. Pure builders, each figure built as plain dicts and checked by plotly once (plotting.figure)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, layout, subplots, token_label, trace_ref


def _axis(title: str, **more) -> dict:
    return dict(title=dict(text=title), **more)


def _ticks(tokens: list[str], limit: int = 14) -> dict:
    # Tokens repeat ("the ... the"), so axes are positions 1..T labelled with the tokens.
    return dict(tickmode="array", tickvals=list(range(1, len(tokens) + 1)),
                ticktext=[token_label(t)[:limit] for t in tokens])


def head_heatmap(attention: np.ndarray, tokens: list[str], layer: int, head: int) -> go.Figure:
    """a_ij of one head: row i (the token attending, query) over column j (the token attended to, key).
    attention is (layers, heads, T, T); layer and head are 0-based."""
    A = attention[layer, head]  # (T, T)
    T = len(tokens)
    names = np.array([[[tokens[i], i + 1, tokens[j], j + 1] for j in range(T)] for i in range(T)], dtype=object)
    heat = dict(type="heatmap", z=A, x=np.arange(1, T + 1), y=np.arange(1, T + 1), customdata=names,
                colorscale=SEQUENTIAL, zmin=0, zmax=1, colorbar=dict(title=dict(text="a<sub>ij</sub>"), tickvals=[0, 0.5, 1]),
                hovertemplate="query '%{customdata[0]}' (i = %{customdata[1]})<br>key '%{customdata[2]}' "
                              "(j = %{customdata[3]})<br>a = %{z:.3f}<extra></extra>")
    return figure([heat], layout(240 + 22 * T, f"Layer {layer + 1}, head {head + 1}",
                                 xaxis=_axis("attended token j (key)", tickangle=-60, **_ticks(tokens)),
                                 yaxis=_axis("attending token i (query)", autorange="reversed", **_ticks(tokens))))


def attention_grid(attention: np.ndarray, tokens: list[str]) -> go.Figure:
    """Every layer (rows) x head (columns) as a small heatmap on the shared [0, 1] scale."""
    L, H, T, _ = attention.shape
    lay, panels = subplots(L, H, horizontal_spacing=0.01, vertical_spacing=0.02,
                           row_titles=tuple(f"layer {l + 1}" for l in range(L)),
                           column_titles=tuple(f"head {h + 1}" for h in range(H)))
    steps = np.arange(1, T + 1)
    data = []
    for k, axes in enumerate(panels):
        l, h = divmod(k, H)
        data.append(dict(type="heatmap", z=attention[l, h], x=steps, y=steps, coloraxis="coloraxis", **trace_ref(axes),
                         hovertemplate=f"layer {l + 1}, head {h + 1}<br>query i = %{{y}}, key j = %{{x}}<br>"
                                       "a = %{z:.3f}<extra></extra>"))
        lay[axes[0]].update(showticklabels=False)
        lay[axes[1]].update(showticklabels=False, autorange="reversed")
    side = max(60, min(140, 900 // max(H, 1)))
    lay.update(layout(80 + side * L, "Attention of every head: rows = queries i, columns = keys j"),
               coloraxis=dict(colorscale=SEQUENTIAL, cmin=0, cmax=1, colorbar=dict(title=dict(text="a"))))
    return figure(data, lay)


def hidden_norms_figure(norms: np.ndarray, tokens: list[str]) -> go.Figure:
    """||h|| of every token (x) after the embeddings (layer 0) and after each layer (y)."""
    Lp1, T = norms.shape
    heat = dict(type="heatmap", z=norms, x=np.arange(1, T + 1), y=np.arange(Lp1), colorscale=SEQUENTIAL, zmin=0,
                colorbar=dict(title=dict(text="‖h‖")),
                hovertemplate="token j = %{x}<br>after layer %{y}<br>‖h‖ = %{z:.2f}<extra></extra>")
    return figure([heat], layout(160 + 26 * Lp1, "Norm of the hidden state of each token through the layers",
                                 xaxis=_axis("token", tickangle=-60, **_ticks(tokens)),
                                 yaxis=_axis("layer (0 = embeddings)", tickmode="array", tickvals=list(range(Lp1)))))


def next_token_bars(tokens: list[str], probs: np.ndarray) -> go.Figure:
    """The likeliest next tokens of a causal model, as probability bars."""
    labels = [f"{i + 1}. {token_label(t)[:16]!r}" for i, t in enumerate(tokens)]
    bars = dict(type="bar", x=probs, y=labels, orientation="h", marker=dict(color=OKABE_ITO[0]),
                hovertemplate="%{y}<br>p = %{x:.4f}<extra></extra>")
    return figure([bars], layout(120 + 30 * len(tokens), "Next-token distribution (top 10)",
                                 xaxis=_axis("probability of being the next token", range=[0, 1]),
                                 yaxis=dict(autorange="reversed")))


def attention_frame(attention: np.ndarray, tokens: list[str]) -> pd.DataFrame:
    """Long table behind the attention figures: layer, head, query i, key j, weight."""
    L, H, T, _ = attention.shape
    l, h, i, j = np.meshgrid(np.arange(L), np.arange(H), np.arange(T), np.arange(T), indexing="ij")
    return pd.DataFrame({"layer": l.ravel() + 1, "head": h.ravel() + 1, "query_i": i.ravel() + 1,
                         "query_token": np.array(tokens, dtype=object)[i.ravel()],
                         "key_j": j.ravel() + 1, "key_token": np.array(tokens, dtype=object)[j.ravel()],
                         "weight": attention.ravel()})


def states_heatmap(states: np.ndarray, tokens: list[str], title: str = "Top layer's output after each token") -> go.Figure:
    """A recurrent layer's outputs (T, units) as units x time on the fixed diverging scale [-1, 1]
    (a state dict rebuilt as nn.LSTM/GRU/RNN when no seqviz trace fits, e.g. LSTM projections)."""
    T, H = states.shape
    heat = dict(type="heatmap", z=states.T, x=np.arange(1, T + 1), y=np.arange(H), colorscale=DIVERGING, zmin=-1,
                zmax=1, zmid=0, colorbar=dict(title=dict(text="h"), tickvals=[-1, 0, 1]),
                hovertemplate="t = %{x}<br>unit %{y}<br>h = %{z:.3f}<extra></extra>")
    return figure([heat], layout(140 + min(22 * H, 600), title, xaxis=_axis("token", tickangle=-60, **_ticks(tokens)),
                                 yaxis=_axis("unit", autorange="reversed")))
