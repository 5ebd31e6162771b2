"""Figures for the GPT lesson (pages/transformer_gpt.py). Pure builders, no streamlit; each returns the figure and the
table of the numbers behind it (`fig, table = next_token_bars(...)`).

- next_token_bars: the ten likeliest next characters and their probabilities (sequential [0, 1]);
- stages_figure: the distribution before and after temperature, top-k and top-p, one row each;
- context_attention: how the position that chose a new character attended over the context, every
  layer and head as a row (sequential [0, 1]), the picked layer and head outlined;
- head_bars: one head's weights over the context, as bars with the characters under them;
- generation_figure: the probability each generated character had, before and after the filters;
- perplexity_bars: validation perplexity of the uniform guess, the bigram and the transformers;
- training_figure: training loss per step and validation loss after each chunk.

Characters are shown with whitespace made visible (␣ ⏎) and HTML-escaped: plotly renders tags in text.
Figures are built as plain dicts and checked by plotly once (seqviz.plotting.figure): building them trace by
trace and axis by axis re-validated the whole figure at every call.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import OKABE_ITO, SEQUENTIAL, figure, hline, layout, subplots, token_label, trace_ref
from seqviz.sampling import Filtered, Generation

from seqviz.plotting.palette import AFTER, BEFORE, CHOSEN  # noqa: E402


def char_label(tok: str) -> str:
    """A character for an axis or hover: whitespace visible, HTML-escaped."""
    return html.escape(token_label(tok), quote=False)  # plotly reads tags, not entities like &quot;


def top_ids(p: np.ndarray, n: int) -> np.ndarray:
    """The n most likely ids, most likely first (ties: smaller id first)."""
    return np.argsort(-np.asarray(p), kind="stable")[:n]


def next_token_bars(p: np.ndarray, idx_to_token, n: int = 10, chosen: int | None = None,
                    title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The n likeliest next tokens as horizontal bars, most likely on top; `chosen` drawn in orange."""
    ids = top_ids(p, n)
    colours = [CHOSEN if chosen is not None and i == chosen else AFTER for i in ids]
    bars = dict(type="bar", x=p[ids], y=[f"{char_label(idx_to_token[i])} " for i in ids], orientation="h",
                marker=dict(color=colours), text=[f"{v:.3f}" for v in p[ids]], textposition="outside",
                cliponaxis=False, hovertemplate="next = '%{y}'<br>p = %{x:.4f}<extra></extra>")
    lay = layout(110 + 34 * len(ids), title,
                 xaxis=dict(range=[0, 1.12], title=dict(text="probability p"), tickvals=[0, 0.25, 0.5, 0.75, 1]),
                 yaxis=dict(autorange="reversed", title=dict(text="next character"), tickfont=dict(size=20),
                            type="category"))
    table = pd.DataFrame({"rank": np.arange(1, len(ids) + 1), "next character": [idx_to_token[i] for i in ids],
                          "p": p[ids]})
    return figure([bars], lay), table


def _stage_tokens(f: Filtered, n: int) -> np.ndarray:
    """The tokens worth drawing: the n likeliest under the model, then any other the filters kept."""
    ids = list(top_ids(f.raw, n))
    extra = [i for i in top_ids(f.probs, n) if i not in ids and f.probs[i] > 0]
    return np.array(ids + extra)


STAGE_TITLES = {"temperature": "1. temperature τ", "top-k": "2. top-k", "top-p": "3. top-p (nucleus)"}


def stages_figure(f: Filtered, idx_to_token, n: int = 15,
                  labels: dict[str, str] | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """One row per stage: grey bars what it received, blue bars what it returns (same tokens, and one
    probability range for every row, from 0 to a little above the largest bar)."""
    ids = _stage_tokens(f, n)
    x = [char_label(idx_to_token[i]) for i in ids]
    top = max(float(max(s.before[ids].max(), s.after[ids].max())) for s in f.stages)
    y_max = min(1.0, top * 1.15) if top > 0 else 1.0  # one range for every row, so the rows compare
    lay, panels = subplots(len(f.stages), 1, [(labels or {}).get(s.name, STAGE_TITLES[s.name]) for s in f.stages],
                           shared_xaxes=True, vertical_spacing=0.08)
    data = []
    for r, (stage, axes) in enumerate(zip(f.stages, panels), start=1):
        ref = trace_ref(axes)
        data.append(dict(type="bar", x=x, y=stage.before[ids], name="before", marker=dict(color=BEFORE),
                         showlegend=r == 1, legendgroup="before",
                         hovertemplate="'%{x}'<br>before: p = %{y:.4f}<extra></extra>", **ref))
        data.append(dict(type="bar", x=x, y=stage.after[ids], name="after", marker=dict(color=AFTER),
                         showlegend=r == 1, legendgroup="after",
                         hovertemplate="'%{x}'<br>after: p = %{y:.4f}<extra></extra>", **ref))
        lay[axes[0]].update(type="category", tickfont=dict(size=18))
        lay[axes[1]].update(range=[0, y_max], title=dict(text="p"), nticks=4)
    lay[panels[-1][0]]["title"] = dict(text="next character (the likeliest under the model, left to right)")
    lay = {**lay, "barmode": "group", "bargap": 0.25,
           "legend": dict(orientation="h", y=1.06, yanchor="bottom", x=1, xanchor="right"), **layout(620)}
    data_cols = {"character": list(idx_to_token)}  # every character, each stage's input and output
    for s in f.stages:
        data_cols[f"{s.name} before"] = s.before
        data_cols[f"{s.name} after"] = s.after
    return figure(data, lay), pd.DataFrame(data_cols)


def context_attention(attention: np.ndarray, context: list[str], layer: int, head: int,
                      new_token: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """attention (L, nh, T): rows "layer l, head h" (1-based), columns the context characters."""
    L, nh, T = attention.shape
    z = attention.reshape(L * nh, T)
    rows = [f"L{l + 1} H{h + 1}" for l in range(L) for h in range(nh)]
    ticks = [char_label(t) for t in context]
    heat = dict(type="heatmap", z=z, x=np.arange(1, T + 1), y=np.arange(L * nh), colorscale=SEQUENTIAL, zmin=0, zmax=1,
                customdata=np.array([ticks] * (L * nh)), colorbar=dict(title=dict(text="weight"), tickvals=[0, 0.5, 1]),
                hovertemplate="%{y}<br>position %{x} ('%{customdata}')<br>weight = %{z:.3f}<extra></extra>")
    r = layer * nh + head
    title = None if new_token is None else f"attention when choosing '{char_label(new_token)}'"
    lay = layout(140 + 30 * L * nh, title,
                 xaxis=dict(tickmode="array", tickvals=list(range(1, T + 1)), ticktext=ticks, tickangle=0,
                            tickfont=dict(size=14 if T > 60 else 17),
                            title=dict(text="context (the last character is the position that predicts the new one)")),
                 yaxis=dict(tickmode="array", tickvals=list(range(L * nh)), ticktext=rows, autorange="reversed",
                            title=dict(text="layer, head")),
                 shapes=[dict(type="rect", x0=0.5, x1=T + 0.5, y0=r - 0.5, y1=r + 0.5, line=dict(color=CHOSEN, width=3))])
    table = pd.DataFrame(z, columns=[f"{i + 1}:{c}" for i, c in enumerate(context)])
    table.insert(0, "layer, head", rows)
    return figure([heat], lay), table


def head_bars(weights: np.ndarray, context: list[str], layer: int, head: int) -> tuple[go.Figure, pd.DataFrame]:
    """One head's weights (T,) over the context; the largest three labelled."""
    T = len(weights)
    top = set(np.argsort(-weights, kind="stable")[:3].tolist())
    ticks = [char_label(t) for t in context]
    bars = dict(type="bar", x=np.arange(1, T + 1), y=weights,
                marker=dict(color=[CHOSEN if i in top else AFTER for i in range(T)]), customdata=ticks, hovertemplate="position %{x} ('%{customdata}')<br>weight = %{y:.3f}<extra></extra>")
    lay = layout(300, xaxis=dict(tickmode="array", tickvals=list(range(1, T + 1)), ticktext=ticks, tickangle=0,
                                 tickfont=dict(size=14 if T > 60 else 17), title=dict(text="context character")),
                 yaxis=dict(range=[0, 1.05], title=dict(text=f"weight, layer {layer + 1} head {head + 1}")))
    table = pd.DataFrame({"position": np.arange(1, T + 1), "character": list(context), "weight": weights})
    return figure([bars], lay), table


def generation_figure(gen: Generation, step: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """For each generated character: p under the model (τ = 1, grey) and p it was drawn with (blue)."""
    n = len(gen.steps)
    raw = [s.filtered.raw[s.token_id] for s in gen.steps]
    used = [s.filtered.probs[s.token_id] for s in gen.steps]
    ticks = [char_label(s.token) for s in gen.steps]
    x = np.arange(1, n + 1)
    data = [
        dict(type="bar", x=x, y=raw, name="p under the model (τ = 1)", marker=dict(color=BEFORE), customdata=ticks,
             hovertemplate="step %{x}: '%{customdata}'<br>model p = %{y:.3f}<extra></extra>"),
        dict(type="bar", x=x, y=used, name="p it was drawn with", marker=dict(color=AFTER), customdata=ticks,
             hovertemplate="step %{x}: '%{customdata}'<br>drawn with p = %{y:.3f}<extra></extra>"),
    ]
    lay = layout(330, xaxis=dict(tickmode="array", tickvals=list(x), ticktext=ticks, tickangle=0,
                                 tickfont=dict(size=13 if n > 60 else 16),
                                 title=dict(text="generated character, step by step")),
                 yaxis=dict(range=[0, 1.05], title=dict(text="probability p")),
                 barmode="group", bargap=0.15, legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    if step is not None and 1 <= step <= n:  # the step's column, the plot's full height (y in paper units)
        lay["shapes"] = [dict(type="rect", x0=step - 0.5, x1=step + 0.5, xref="x", y0=0, y1=1, yref="y domain",
                              line=dict(color=CHOSEN, width=3))]
    table = pd.DataFrame({"step": x, "character": gen.new_tokens, "p model": raw, "p drawn with": used})
    return figure(data, lay), table


def perplexity_bars(values: dict[str, float]) -> tuple[go.Figure, pd.DataFrame]:
    """Validation perplexity per model (lower is better), on a log axis: a uniform guess is V."""
    names = list(values)
    bars = dict(type="bar", x=[values[k] for k in names], y=names, orientation="h",
                marker=dict(color=[OKABE_ITO[i % len(OKABE_ITO)] for i in range(len(names))]),
                text=[f"{values[k]:.2f}" for k in names], textposition="outside", cliponaxis=False,
                hovertemplate="%{y}<br>perplexity = %{x:.3f}<extra></extra>")
    ticks = [v for v in (1, 1.5, 2, 3, 5, 10, 20, 50, 100, 200) if v <= 1.5 * max(values.values())]
    lay = layout(120 + 45 * len(names),
                 xaxis=dict(type="log", title=dict(text="validation perplexity (log scale; lower is better)"),
                            tickvals=ticks, ticktext=[f"{v:g}" for v in ticks],
                            range=[0, np.log10(max(values.values()) * 1.5)]),
                 yaxis=dict(autorange="reversed", tickfont=dict(size=16)))
    return figure([bars], lay), pd.DataFrame({"model": names, "perplexity": [values[k] for k in names]})


def training_figure(steps: list[int], losses: list[float], checks: list[dict]) -> tuple[go.Figure, pd.DataFrame]:
    """Training loss after every step; validation loss after every chunk and the bigram's level on the same
    text, from `checks` (seqviz.labs.transformers.gpt_check rows: the table)."""
    check_steps = [c["step"] for c in checks]
    check_losses = [c["validation loss"] for c in checks]
    bigram_nll = checks[-1]["bigram loss"] if checks else None
    data = [
        dict(type="scatter", x=steps, y=losses, mode="lines", name="training batch", line=dict(color=BEFORE, width=2),
             hovertemplate="step %{x}<br>training loss %{y:.3f}<extra></extra>"),
        dict(type="scatter", x=check_steps, y=check_losses, mode="lines+markers", name="validation",
             line=dict(color=AFTER, width=3), marker=dict(size=9),
             hovertemplate="step %{x}<br>validation loss %{y:.3f}<extra></extra>"),
    ]
    lay = layout(340, xaxis=dict(title=dict(text="training step")),
                 yaxis=dict(title=dict(text="cross-entropy loss (nats per character)"), rangemode="tozero"),
                 legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    if bigram_nll is not None:  # a line across the plot's width (x in paper units), labelled under its left end
        lay["shapes"] = [hline(bigram_nll, color=CHOSEN, dash="dash", width=2)]
        lay["annotations"] = [dict(text="bigram (validation)", showarrow=False, x=0, xanchor="left", xref="x domain",
                                   y=bigram_nll, yanchor="top", yref="y")]
    return figure(data, lay), pd.DataFrame(checks)
