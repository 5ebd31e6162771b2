"""Figure builders: trace in, plotly or altair figure out. No streamlit, no model.

This module holds the shared colour language and helpers (and the loss chart every lab's training
block draws); each lab keeps its own builders in a sibling module (plotting/recurrent.py for the
vanilla RNN lesson, plotting/gates.py, ...), returning the figure and the table behind it.

One colour language across the app (DESIGN.md):
- signed values (hidden states, tanh outputs): diverging RdBu, centred on 0, fixed to [-1, 1];
- unbounded signed values (pre-activations): the same scale, symmetric range fixed per input so
  stepping through time never rescales it;
- probabilities and gates: sequential Viridis fixed to [0, 1].
Both scales are colour-blind safe; every colour is in palette.py, checked by tests/test_palettes.py. Tokens label the time axis, numbers show on hover, and fonts
are sized for a projector.
"""

from __future__ import annotations

import copy
import functools
import re

import altair as alt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from seqviz.plotting.palette import DIVERGING, OKABE_ITO, SEQUENTIAL  # noqa: F401 - every colour lives in palette.py
FONT = dict(size=16)
# No plotly template on new figures: streamlit's theme styles every chart (ui.plot drops the template anyway),
# and applying plotly's default template to each new figure was up to half of its build time.
pio.templates.default = None


def math_label(name: str) -> str:
    """Our equation names for plotly, which draws no LaTeX offline: "W_hh h_{t-1}" -> W<sub>hh</sub> h<sub>t-1</sub>."""
    return re.sub(r"_\{([^}]*)\}|_(\w+)", lambda m: f"<sub>{m.group(1) or m.group(2)}</sub>", name)


def token_label(tok: str) -> str:
    """Make whitespace visible on an axis."""
    return {" ": "␣", "\n": "⏎", "\t": "⇥"}.get(tok, tok)


def tex_number(x: float) -> str:
    """A number for LaTeX: 0.123, or 1.2 \\times 10^{-5}; "undefined" when it is not finite."""
    if not np.isfinite(x):
        return r"\text{undefined}"
    if x == 0 or 1e-2 <= abs(x) < 1e3:
        return f"{x:.3g}"
    m, e = f"{x:.1e}".split("e")
    return rf"{m} \times 10^{{{int(e)}}}"


def time_axis(tokens: list[str]) -> dict:
    """The time axis, as an axis dict. Tokens repeat, so the axis is numeric (the step t = 1..T) with the
    tokens as tick labels."""
    return dict(tickmode="array", tickvals=list(range(1, len(tokens) + 1)), ticktext=[token_label(t) for t in tokens],
                tickangle=0, tickfont=dict(size=20), title=dict(text=f"input character {math_label('x_t')}"))


def layout(height: int, title: str | None = None, **more) -> dict:
    """The shared layout (height, projector fonts, tight margins, large hover labels) as a dict, with `more`."""
    out = dict(height=height, font=FONT, margin=dict(l=10, r=10, t=50 if title else 20, b=10),
               hoverlabel=dict(font=dict(size=16)))
    if title:
        out["title"] = dict(text=title)
    out.update(more)
    return out


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, checked by plotly once. Building a figure trace by trace and axis by axis
    (add_trace, update_xaxes, add_vrect, make_subplots) re-validates the whole figure at every call: for
    the RNN lesson's four figures that was half of a slider's rerun; this is a fifth of it."""
    return go.Figure(data=data, layout=layout)


@functools.lru_cache(maxsize=64)
def _subplot_layout(rows: int, cols: int, titles: tuple[str, ...], kw: tuple) -> tuple[dict, tuple]:
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=rows, cols=cols, subplot_titles=list(titles) or None, **dict(kw))
    axes = []
    for r in range(1, rows + 1):
        for c in range(1, cols + 1):
            sub = fig.get_subplot(r, c)
            axes.append((sub.xaxis.plotly_name, sub.yaxis.plotly_name))
    return fig.layout.to_plotly_json(), tuple(axes)


def subplots(rows: int, cols: int, titles=(), **kw) -> tuple[dict, list[tuple[str, str]]]:
    """make_subplots' layout as a plain dict (a fresh copy) and, per panel in row order, its axis names
    ("xaxis2", "yaxis2"), whose dicts the caller fills. The geometry depends only on the arguments, so it
    is computed once per shape: make_subplots and the per-panel updates re-validate the whole figure at
    every call, which made them most of a figure's build."""
    lay, axes = _subplot_layout(rows, cols, tuple(titles), tuple(sorted(kw.items())))
    return copy.deepcopy(lay), list(axes)


def trace_ref(axes: tuple[str, str]) -> dict:
    """A trace's `xaxis`/`yaxis` references for a panel of `subplots`: ("xaxis2", "yaxis2") -> x2, y2."""
    return dict(xaxis=axes[0].replace("axis", ""), yaxis=axes[1].replace("axis", ""))


def hline(y: float, axes: tuple[str, str] = ("xaxis", "yaxis"), **line) -> dict:
    """A horizontal line at y across the panel of `axes` (what plotly's add_hline draws), as a shape dict."""
    ref = trace_ref(axes)
    return dict(type="line", x0=0, x1=1, xref=ref["xaxis"] + " domain", y0=y, y1=y, yref=ref["yaxis"], line=line)


def vline(x: float, axes: tuple[str, str] = ("xaxis", "yaxis"), **line) -> dict:
    """A vertical line at x the full height of the panel of `axes` (what add_vline draws), as a shape dict."""
    ref = trace_ref(axes)
    return dict(type="line", x0=x, x1=x, xref=ref["xaxis"], y0=0, y1=1, yref=ref["yaxis"] + " domain", line=line)


def loss_chart(steps: list[int], losses: list[float]) -> alt.Chart:
    """Training loss against step, log scale (altair: small, declarative)."""
    df = pd.DataFrame({"step": steps, "loss": losses})
    return (alt.Chart(df).mark_line(strokeWidth=3)
            .encode(x=alt.X("step:Q", title="training step"),
                    y=alt.Y("loss:Q", title="cross-entropy loss (nats)", scale=alt.Scale(type="log")),
                    tooltip=["step", alt.Tooltip("loss", format=".4f")])
            .properties(height=260)
            .configure_axis(labelFontSize=14, titleFontSize=16))


def hidden_heatmap(trace, t: int | None = None) -> go.Figure:
    """The hidden-state heatmap alone (the checkpoint explorer's name): seqviz.plotting.recurrent.hidden_heatmap
    returns it with its table."""
    from seqviz.plotting.recurrent import hidden_heatmap as figure_and_table

    return figure_and_table(trace, t)[0]
