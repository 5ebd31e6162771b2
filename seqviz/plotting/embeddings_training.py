"""Figures of the Word2Vec and GloVe lessons: the sliding window, negative samples and their loss,
training curves, the moving 2-D map of words, the co-occurrence matrix and GloVe's weighting.

Pure builders: numbers in, `(figure, table)` out (the table is the numbers behind the figure, for its
CSV download); no streamlit, no model. Colours follow the app's
language: probabilities on the sequential scale fixed to [0, 1]; groups of words in Okabe-Ito colours
(with a marker shape per block of eight, since there are more groups than safe colours).

Figures are built as plain dicts and checked by plotly once (plotting.figure): trace by trace and axis by
axis, plotly re-validated the whole figure at every call.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import FONT, OKABE_ITO, SEQUENTIAL, figure, vline
from seqviz.plotting.palette import GRID, HIGHLIGHT, WINDOW

SYMBOLS = ("circle", "square", "diamond", "triangle-up")
CENTRE, CONTEXT, OUTSIDE = WINDOW["centre"], WINDOW["context"], WINDOW["outside"]


def _lay(height: int, title: str | None = None, **more) -> dict:
    """These lessons' layout (projector fonts, a white plot) as a dict, with `more`."""
    out = dict(height=height, font=FONT, margin=dict(l=10, r=10, t=60 if title else 20, b=10),
               hoverlabel=dict(font=dict(size=16)), plot_bgcolor="white")
    if title:
        out["title"] = dict(text=title)
    return {**out, **more}


def _title(text: str) -> dict:
    return dict(text=text)


def group_style(groups: Sequence[str]) -> dict[str, tuple[str, str]]:
    """group -> (colour, marker symbol), in sorted order so a group keeps its look across figures."""
    return {g: (OKABE_ITO[k % len(OKABE_ITO)], SYMBOLS[(k // len(OKABE_ITO)) % len(SYMBOLS)])
            for k, g in enumerate(sorted(set(groups)))}


# -- Word2Vec -----------------------------------------------------------------------------------------
def window_figure(tokens: Sequence[str], centre: int, window: int) -> tuple[go.Figure, pd.DataFrame]:
    """The sentence as a row of boxes: the centre word (orange), the words inside its window (blue),
    the rest (grey); the distance to the centre written under each word."""
    n = len(tokens)
    colours = [CENTRE if p == centre else CONTEXT if abs(p - centre) <= window else OUTSIDE for p in range(n)]
    bar = dict(type="bar", x=list(range(n)), y=[1] * n, marker=dict(color=colours), text=list(tokens),
               textposition="inside", insidetextanchor="middle", textfont=dict(size=20, color="white"),
               customdata=[p - centre for p in range(n)],
               hovertemplate="%{text}<br>distance from the centre: %{customdata}<extra></extra>")
    lay = _lay(170, f"Window of {window} word{'s' if window > 1 else ''} each side of “{tokens[centre]}”",
               xaxis=dict(tickmode="array", tickvals=list(range(n)),
                          ticktext=["centre" if p == centre else f"{p - centre:+d}" for p in range(n)],
                          title=_title("position relative to the centre word"), showgrid=False),
               yaxis=dict(visible=False, range=[0, 1]), bargap=0.08, showlegend=False)
    table = pd.DataFrame({"token": list(tokens), "distance": [p - centre for p in range(n)]})
    return figure([bar], lay), table


def window_tables(pairs, context: Sequence[str], target: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The examples of one window as tables: skip-gram's (centre, context word) pairs, CBOW's one example."""
    return (pd.DataFrame(pairs, columns=["input (centre)", "target (context word)"]),
            pd.DataFrame({"input (context words)": [", ".join(context)], "target (centre)": [target]}))


def negatives_figure(ex) -> tuple[go.Figure, pd.DataFrame]:
    """σ(v·u) for the true context word and for each negative of a NegativeSamplingExample: training
    pushes the first towards 1 and the others towards 0."""
    t = ex.terms
    words = [f"{ex.context} (true)"] + [f"{w} (neg {k + 1})" for k, w in enumerate(ex.negatives)]
    probs = np.r_[t["p_pos"], t["p_neg"]]
    table = pd.DataFrame({"word": [ex.context, *ex.negatives], "role": ["true"] + ["negative"] * len(ex.negatives),
                          "v_dot_u": np.r_[t["s_pos"], t["s_neg"]], "sigma": probs})
    bar = dict(type="bar", x=words, y=probs, marker=dict(color=probs, colorscale=SEQUENTIAL, cmin=0, cmax=1,
                                                         colorbar=dict(title=_title("σ(v·u)"), tickvals=[0, 0.5, 1])),
               text=[f"{p:.3f}" for p in probs], textposition="outside",
               hovertemplate="%{x}<br>σ(v·u) = %{y:.4f}<extra></extra>")
    lay = _lay(380, "The model's belief for the true context word and the negatives",
               yaxis=dict(range=[0, 1.15], title=_title("σ(v·u)")), xaxis=dict(title=_title("target word"), tickangle=-30))
    return figure([bar], lay), table


def negative_distribution_figure(ex) -> tuple[go.Figure, pd.DataFrame]:
    """P(w) for negatives against the raw word frequency, for the most frequent words of a
    NegativeSamplingExample (share of draws, in %)."""
    words, unigram, smoothed = ex.top_words, ex.p_corpus, ex.p_negative
    data = [dict(type="bar", x=list(words), y=100 * unigram, name="frequency in the corpus", marker=dict(color=OKABE_ITO[5]),
                 hovertemplate="%{x}: %{y:.2f}%<extra>frequency</extra>"),
            dict(type="bar", x=list(words), y=100 * smoothed, name="P(negative) ∝ count^0.75", marker=dict(color=OKABE_ITO[1]),
                 hovertemplate="%{x}: %{y:.2f}%<extra>negatives</extra>")]
    lay = _lay(380, "Negatives are drawn from the frequency raised to 3/4: common words less, rare words more",
               yaxis=dict(title=_title("share of draws (%)")), xaxis=dict(title=_title("word (most frequent first)"), tickangle=-30),
               barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    table = pd.DataFrame({"word": list(words), "frequency": unigram, "p_negative": smoothed})
    return figure(data, lay), table


def loss_curve(epochs: Sequence[float], losses: Sequence[float], ylabel: str = "loss per example",
               title: str = "Training loss") -> tuple[go.Figure, pd.DataFrame]:
    """The loss of a learner's run against the epoch (fractions are points within an epoch)."""
    line = dict(type="scatter", x=list(epochs), y=list(losses), mode="lines", line=dict(color=OKABE_ITO[0], width=3),
                hovertemplate="epoch %{x}<br>" + ylabel + " %{y:.4f}<extra></extra>")
    lay = _lay(300, title, xaxis=dict(title=_title("epoch"), showgrid=True, gridcolor=GRID),
               yaxis=dict(title=_title(ylabel), showgrid=True, gridcolor=GRID))
    return figure([line], lay), pd.DataFrame({"epoch": list(epochs), ylabel.replace(" ", "_"): list(losses)})


def projection_figure(tm, epoch: int, labels: bool = True) -> tuple[go.Figure, pd.DataFrame]:
    """The words of a TrainingMap after `epoch`, one trace per group (click the legend to hide one); both
    axes fixed to [-tm.limit, tm.limit] so every epoch shares a scale."""
    points, words, groups, limit = tm.frame(epoch), tm.words, tm.groups, tm.limit
    title = f"{len(words)} words after epoch {epoch}"
    table = pd.DataFrame({"word": list(words), "group": list(groups), "x": points[:, 0], "y": points[:, 1]})
    style = group_style(groups)
    groups = np.asarray(groups)
    words = np.asarray(words)
    data = []
    for g, (colour, symbol) in style.items():
        m = groups == g
        data.append(dict(
            type="scatter", x=points[m, 0], y=points[m, 1], mode="markers+text" if labels else "markers", name=g,
            text=words[m], textposition="top center", textfont=dict(size=12, color=colour),
            marker=dict(color=colour, symbol=symbol, size=10, line=dict(width=0.5, color="white")),
            hovertemplate="%{text}<br>" + g + "<br>(%{x:.3f}, %{y:.3f})<extra></extra>"))
    x = dict(title=_title("axis 1 (principal axis of the final vectors)"), zeroline=False, showgrid=True, gridcolor=GRID)
    y = dict(title=_title("axis 2"), zeroline=False, showgrid=True, gridcolor=GRID)
    if limit is not None:
        x["range"] = y["range"] = [-limit, limit]
    lay = _lay(620, title, xaxis=x, yaxis=y, legend=dict(font=dict(size=13), itemsizing="constant"))
    return figure(data, lay), table


def metrics_curve(epochs: Sequence[int], analogy: Sequence[float], purity: Sequence[float],
                  current: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Analogy accuracy and 5-NN group purity (in %) after each epoch."""
    data = [
        dict(type="scatter", x=list(epochs), y=100 * np.asarray(analogy), name="analogies right (inputs excluded)",
             mode="lines+markers", line=dict(color=OKABE_ITO[0], width=3),
             hovertemplate="epoch %{x}: %{y:.1f}%<extra>analogies</extra>"),
        dict(type="scatter", x=list(epochs), y=100 * np.asarray(purity), name="words whose 5 nearest are in their group",
             mode="lines+markers", line=dict(color=OKABE_ITO[1], width=3, dash="dash"),
             hovertemplate="epoch %{x}: %{y:.1f}%<extra>purity</extra>"),
    ]
    x = dict(title=_title("epoch"))
    if len(epochs) <= 12:
        x["dtick"] = 1
    lay = _lay(320, "Quality after each epoch", xaxis=x, yaxis=dict(title=_title("%"), range=[0, 102]),
               legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    if current is not None:  # the epoch shown, as a dotted line across the plot
        lay["shapes"] = [vline(current, color="black", width=2, dash="dot")]
    table = pd.DataFrame({"epoch": list(epochs), "analogy_accuracy": list(analogy), "purity": list(purity)})
    return figure(data, lay), table


# -- GloVe --------------------------------------------------------------------------------------------
def cooccurrence_heatmap(X: np.ndarray, words: Sequence[str]) -> tuple[go.Figure, pd.DataFrame]:
    """X_ij for chosen words, coloured by log(1 + X_ij) so small counts stay visible; exact X on hover,
    and the cells where X_ij = 0 (no term in GloVe's objective) marked with a cross."""
    z = np.log1p(X)
    data = [dict(type="heatmap", z=z, x=list(words), y=list(words), customdata=X, colorscale=SEQUENTIAL, zmin=0,
                 colorbar=dict(title=_title("log(1+X)")), hovertemplate="X[%{y}, %{x}] = %{customdata:.2f}<extra></extra>")]
    zi, zj = np.nonzero(X == 0)
    if len(zi):
        data.append(dict(type="scatter", x=[words[j] for j in zj], y=[words[i] for i in zi], mode="text",
                         text=["×"] * len(zi), textfont=dict(size=20, color=HIGHLIGHT), hoverinfo="skip", showlegend=False))
    n = len(words)
    lay = _lay(max(360, 140 + 34 * n), "Co-occurrence counts X_ij (× = never within the window: no term in J)",
               xaxis=dict(title=_title("context word j"), tickangle=-45, side="bottom"),
               yaxis=dict(title=_title("word i"), autorange="reversed"))
    table = pd.DataFrame(X, index=list(words), columns=list(words)).reset_index(names="word")
    return figure(data, lay), table


def weighting_figure(x_max: float, alpha: float, marks: dict[str, float] | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """f(x) = min(1, (x/x_max)^alpha) on a log x axis, with chosen pairs' X marked."""
    x = np.logspace(-1, np.log10(max([10 * x_max, *[3 * v for v in (marks or {}).values()]])), 300)
    f = np.minimum(1.0, (x / x_max) ** alpha)
    data = [dict(type="scatter", x=x, y=f, mode="lines", line=dict(color=OKABE_ITO[0], width=3), name="f(x)",
                 hovertemplate="x = %{x:.2f}<br>f(x) = %{y:.3f}<extra></extra>")]
    for k, (label, value) in enumerate((marks or {}).items()):
        if value > 0:
            fv = min(1.0, (value / x_max) ** alpha)
            data.append(dict(type="scatter", x=[value], y=[fv], mode="markers+text", text=[label], textposition="bottom right",
                             marker=dict(size=13, color=OKABE_ITO[(k + 1) % 8]), name=label,
                             hovertemplate=f"{label}<br>X = %{{x:.2f}}<br>f = %{{y:.3f}}<extra></extra>"))
    # a line trace, not add_vline: shapes on a log axis take log10 coordinates
    data.append(dict(type="scatter", x=[x_max, x_max], y=[0, 1.1], mode="lines+text", text=["", "x_max"],
                     textposition="bottom right", line=dict(color="grey", dash="dot"), hoverinfo="skip"))
    top = max([10 * x_max, *[3 * v for v in (marks or {}).values()]])
    lay = _lay(340, f"f(x) = min(1, (x / {x_max:g})^{alpha:g})",
               xaxis=dict(type="log", title=_title("co-occurrence count x (log scale)"), range=[-1, float(np.log10(top))]),
               yaxis=dict(title=_title("weight f(x)"), range=[0, 1.1]), showlegend=False)
    marks = marks or {}
    table = pd.DataFrame({"pair": list(marks), "X": list(marks.values()),
                          "f": [min(1.0, (v / x_max) ** alpha) for v in marks.values()]})
    return figure(data, lay), table


def relation_accuracy_figure(by_method: dict[str, dict[str, float]]) -> tuple[go.Figure, pd.DataFrame]:
    """Analogy accuracy per relation (in %), one bar group per method."""
    relations = sorted({r for m in by_method.values() for r in m})
    data = [dict(type="bar", name=name, x=relations, y=[100 * acc.get(r, 0) for r in relations],
                 marker=dict(color=OKABE_ITO[k % 8]), hovertemplate="%{x}<br>" + name + ": %{y:.1f}%<extra></extra>")
            for k, (name, acc) in enumerate(by_method.items())]
    lay = _lay(420, "Analogy accuracy by relation (inputs excluded)",
               yaxis=dict(title=_title("analogies right (%)"), range=[0, 105]), xaxis=dict(title=_title("relation"), tickangle=-30),
               barmode="group", legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0))
    return figure(data, lay), pd.DataFrame(by_method).reset_index(names="relation")
