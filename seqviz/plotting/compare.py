"""Figures of the train-and-compare lesson: a comparison or sweeps in, the figure and the table behind it out
(seqviz.compare's loss_frame / eval_frame / sweeps_frame). No streamlit.

One colour, one marker symbol and one dash style per architecture (Okabe-Ito, so colour-blind
readers can tell them apart, and a grey-scale print too), the same in every figure of the page.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz import compare
from seqviz.compare import CHANCE, LABELS
from seqviz.plotting import OKABE_ITO, figure, layout
from seqviz.plotting.palette import DARK_GREY

ARCH_STYLE = {  # colour, marker, dash
    "rnn": (OKABE_ITO[4], "circle", "solid"),  # vermillion
    "lstm": (OKABE_ITO[0], "square", "dash"),  # blue
    "gru": (OKABE_ITO[2], "diamond", "dot"),  # bluish green
}
CHANCE_COLOUR = DARK_GREY
DODGE = {"rnn": -1, "lstm": 0, "gru": 1}  # side-by-side markers where lines coincide (all at 100%)


def _chance(y: float, text: str, where: str = "bottom right", log: bool = False) -> dict:
    """A dashed line at the guessing level (what add_hline draws), labelled: the layout's `shapes` and
    `annotations`. On a log axis an annotation's y is log10(y)."""
    vertical, horizontal = where.split()
    return dict(
        shapes=[dict(type="line", x0=0, x1=1, xref="x domain", y0=y, y1=y, yref="y",
                     line=dict(color=CHANCE_COLOUR, width=2, dash="dash"))],
        annotations=[dict(text=text, xref="paper", x=0 if horizontal == "left" else 1, xanchor=horizontal,
                          yref="y", y=math.log10(y) if log else y, yanchor="top" if vertical == "bottom" else "bottom",
                          showarrow=False, font=dict(size=15, color=CHANCE_COLOUR))])


def _legend(height: int, chance: dict, xaxis: dict, yaxis: dict) -> dict:
    """The layout of every figure of the page: the shared one, the legend on top, axis fonts for a projector;
    xaxis and yaxis hold each axis' title text and settings."""
    def axis(settings: dict) -> dict:
        title = settings.pop("title")
        return dict(settings, title=dict(text=title, font=dict(size=16)), tickfont=dict(size=15))

    return layout(height, legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0, xanchor="left", font=dict(size=16)),
                  xaxis=axis(dict(xaxis)), yaxis=axis(dict(yaxis)), **chance)


def loss_curves_figure(comp: compare.Comparison, window: int = 20) -> tuple[go.Figure, pd.DataFrame]:
    """Training loss of each model of a comparison (compare.loss_frame, running mean over `window` steps)."""
    df = compare.loss_frame(comp, window)
    return _loss_curves(df), df


def accuracy_curves_figure(comp: compare.Comparison) -> tuple[go.Figure, pd.DataFrame]:
    """Held-out accuracy of each model of a comparison after each check (compare.eval_frame)."""
    df = compare.eval_frame(comp)
    return _accuracy_curves(df), df


def lag_sweep_figure(shipped: compare.Sweep | None, live: list) -> tuple[go.Figure, pd.DataFrame]:
    """Accuracy against lag: the shipped sweep (solid) and the learner's live ones (open markers)."""
    df = compare.sweeps_frame(shipped, live)
    return _lag_sweep(df), df


def _loss_curves(df: pd.DataFrame) -> go.Figure:
    """Training loss against step, one line per architecture (df: arch, step, loss, smoothed).

    The bold line is the running mean (a single batch's loss is noisy); the faint one each batch.
    """
    data = []
    for arch in [a for a in LABELS if a in set(df["arch"])]:
        d = df[df["arch"] == arch]
        colour, symbol, dash = ARCH_STYLE[arch]
        steps = d["step"].to_numpy()
        data.append(dict(type="scatter", x=steps, y=d["loss"].to_numpy(), mode="lines", legendgroup=arch, showlegend=False,
                         line=dict(color=colour, width=1), opacity=0.3, hoverinfo="skip"))
        data.append(dict(type="scatter", x=steps, y=d["smoothed"].to_numpy(), mode="lines", name=LABELS[arch],
                         legendgroup=arch, line=dict(color=colour, width=3, dash=dash),
                         hovertemplate=f"{LABELS[arch]}<br>step %{{x}}<br>loss %{{y:.3f}} nats<extra></extra>"))
    chance = _chance(math.log(1 / CHANCE), f"guessing: ln 8 = {math.log(1 / CHANCE):.2f}", "top right", log=True)
    return figure(data, _legend(380, chance, dict(title="training step", rangemode="tozero"),
                                dict(title="training loss (nats, log scale)", type="log", dtick="D2")))  # labels at 1, 2, 5 only


def _accuracy_curves(df: pd.DataFrame) -> go.Figure:
    """Held-out accuracy against step, one line per architecture (df: arch, step, accuracy)."""
    data = []
    for arch in [a for a in LABELS if a in set(df["arch"])]:
        d = df[df["arch"] == arch]
        colour, symbol, dash = ARCH_STYLE[arch]
        data.append(dict(
            type="scatter", x=d["step"].to_numpy(), y=100 * d["accuracy"].to_numpy(), mode="lines+markers", name=LABELS[arch],
            line=dict(color=colour, width=3, dash=dash), marker=dict(symbol=symbol, size=8, color=colour),
            hovertemplate=f"{LABELS[arch]}<br>step %{{x}}<br>held-out accuracy %{{y:.1f}}%<extra></extra>"))
    return figure(data, _legend(380, _chance(100 * CHANCE, f"chance {CHANCE:.1%}"),
                                dict(title="training step", rangemode="tozero"),
                                dict(title="held-out accuracy (%)", range=[0, 104], ticksuffix="%")))


def _lag_sweep(df: pd.DataFrame, reference: str = "shipped") -> go.Figure:
    """Accuracy after a fixed number of steps against the lag (df: source, arch, lag, accuracy, steps, settings).

    Markers of the three architectures sit a marker's width apart around each lag (the hover gives
    the exact lag), so points that coincide, e.g. all at 100%, stay visible.

    The `reference` source (the shipped sweep) is drawn as solid lines with filled markers; every
    other source (the learner's live runs) as thin dotted lines with open markers in the same colours.
    """
    data = []
    sources = list(dict.fromkeys(df["source"]))
    lags = np.unique(df["lag"].to_numpy()) if len(df) else np.array([1])
    nudge = 0.012 * max(lags.max() - min(lags.min(), 0), 10)  # a marker's width: LSTM and GRU both show at 100%
    for source in sources:
        for arch in [a for a in LABELS if a in set(df.loc[df["source"] == source, "arch"])]:
            d = df[(df["source"] == source) & (df["arch"] == arch)].sort_values("lag")
            colour, symbol, dash = ARCH_STYLE[arch]
            shipped = source == reference
            custom = np.stack([d["steps"].to_numpy(), d["settings"].to_numpy(), d["lag"].to_numpy()], axis=1)
            data.append(dict(
                type="scatter", x=d["lag"].to_numpy() + DODGE[arch] * nudge, y=100 * d["accuracy"].to_numpy(), mode="lines+markers",
                name=f"{LABELS[arch]}, {source}",
                line=dict(color=colour, width=3 if shipped else 2, dash=dash if shipped else "dot"),
                marker=dict(symbol=symbol if shipped else f"{symbol}-open", size=11 if shipped else 14, color=colour,
                            line=dict(width=2 if not shipped else 0, color=colour)),
                customdata=custom,
                hovertemplate=(f"{LABELS[arch]} ({source})<br>lag %{{customdata[2]}}<br>accuracy %{{y:.1f}}% after "
                               "%{customdata[0]} steps<br>%{customdata[1]}<extra></extra>")))
    return figure(data, _legend(460, _chance(100 * CHANCE, f"chance {CHANCE:.1%}", "bottom left"),
                                dict(title="lag (digits between the symbol and the answer)", tickvals=lags,
                                     range=[min(lags.min(), 0) - 2 * nudge, lags.max() + 3 * nudge]),
                                dict(title="held-out accuracy (%)", range=[0, 104], ticksuffix="%")))
