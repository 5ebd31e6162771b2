"""Figures of the sentiment lesson: predictions of every model, reading word by word, token
attribution, accuracy by phenomenon, confusion matrices, a learner's model's progress, and the tables
behind them. Pure builders, no streamlit, no model: each `*_figure` returns `(figure, table)`.

Colours follow the app's language: probabilities on the fixed sequential [0, 1] scale, hidden
states on the diverging [-1, 1] scale, attributions on the diverging scale, symmetric about 0.

Every figure is built as plain dicts (traces, axes, the subplot layout from plotting.subplots) and checked
by plotly once (plotting.figure): building them trace by trace and axis by axis re-validated the whole
figure at every call, most of the page's rerun.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, hline, layout, subplots, trace_ref

PHENOMENON_LABELS = {"overall": "all test reviews", "held-out template": "held-out template"}


def _token_axis(tokens: list[str], title: str = "word read, t") -> dict:
    """The word axis, as an axis dict: steps 1..T labelled by the words, slanted past 12 words."""
    return dict(tickmode="array", tickvals=list(range(1, len(tokens) + 1)), ticktext=list(tokens),
                tickangle=-45 if len(tokens) > 12 else 0, tickfont=dict(size=15), title=dict(text=title))


_LEGEND_ABOVE = dict(orientation="h", yanchor="bottom", y=1.02, x=0)


def predictions_figure(probs: dict[str, np.ndarray], class_names: list[str]) -> tuple[go.Figure, pd.DataFrame]:
    """One horizontal bar per model: p(positive), on [0, 1], with the 0.5 decision line."""
    labels = list(probs)
    p = np.array([probs[k][1] for k in labels])  # (models,)
    bar = dict(
        type="bar", x=p, y=labels, orientation="h",
        marker=dict(color=p, colorscale=SEQUENTIAL, cmin=0, cmax=1,
                    colorbar=dict(title=dict(text=f"p({class_names[1]})"), tickvals=[0, 0.5, 1])),
        text=[f"{v:.2f} → {class_names[int(v >= 0.5)]}" for v in p], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}<br>p(" + class_names[1] + ") = %{x:.3f}<extra></extra>")
    lay = layout(90 + 48 * len(labels),
                 xaxis=dict(range=[0, 1.25], title=dict(text=f"p({class_names[1]})"), tickvals=[0, 0.25, 0.5, 0.75, 1]),
                 yaxis=dict(autorange="reversed", tickfont=dict(size=16)),
                 shapes=[dict(type="line", x0=0.5, x1=0.5, xref="x", y0=0, y1=1, yref="y domain",
                              line=dict(color="black", dash="dash", width=2))])
    return figure([bar], lay), _predictions_frame(probs, class_names)


def _predictions_frame(probs: dict[str, np.ndarray], class_names: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{"model": k, **{f"p({c})": float(v[i]) for i, c in enumerate(class_names)},
                          "prediction": class_names[int(np.argmax(v))]} for k, v in probs.items()])


def reading_figure(tokens: list[str], p_positive: dict[str, np.ndarray], hidden: np.ndarray | None,
                   state_name: str = "h_t") -> tuple[go.Figure, pd.DataFrame]:
    """Top: p(positive) if the review ended after word t, one line per model. Bottom: the reading
    model's hidden state h_t (units x words) on the fixed [-1, 1] scale."""
    T = len(tokens)
    steps = np.arange(1, T + 1)
    rows = 2 if hidden is not None else 1
    H = 0 if hidden is None else hidden.shape[1]
    lay, panels = subplots(rows, 1, shared_xaxes=True, vertical_spacing=0.06,
                           row_heights=(0.45, 0.55) if rows == 2 else (1.0,))
    top = trace_ref(panels[0])
    data = [dict(type="scatter", x=steps, y=p, mode="lines+markers", name=label, customdata=np.array(tokens),
                 line=dict(color=OKABE_ITO[k % len(OKABE_ITO)], width=3, dash="dot" if k else "solid"),
                 marker=dict(size=9),
                 hovertemplate=label + "<br>after '%{customdata}' (t = %{x})<br>p(positive) = %{y:.3f}<extra></extra>",
                 **top)
            for k, (label, p) in enumerate(p_positive.items())]
    if data:  # plotly's addhline(row=1) skipped a panel without traces
        lay["shapes"] = [hline(0.5, panels[0], color="gray", dash="dash")]
    lay[panels[0][1]].update(range=[-0.03, 1.03], title=dict(text="p(positive)"), tickvals=[0, 0.5, 1])
    if hidden is not None:
        custom = np.array([list(tokens)] * H)  # (H, T)
        data.append(dict(type="heatmap", z=hidden.T, x=steps, y=np.arange(H), customdata=custom, colorscale=DIVERGING,
                         zmin=-1, zmax=1, zmid=0, showlegend=False,
                         colorbar=dict(title=dict(text=state_name), tickvals=[-1, 0, 1], y=0.28, len=0.55),
                         hovertemplate="t = %{x} ('%{customdata}')<br>unit %{y}<br>" + state_name
                                       + " = %{z:.3f}<extra></extra>", **trace_ref(panels[1])))
        lay[panels[1][1]].update(title=dict(text="hidden unit"), autorange="reversed")
    lay[panels[-1][0]].update(_token_axis(tokens))
    lay.update(layout(330 + (10 * H if hidden is not None else 0) + (40 if T > 12 else 0), legend=_LEGEND_ABOVE))
    return figure(data, lay), _reading_frame(tokens, p_positive, hidden)


def _reading_frame(tokens: list[str], p_positive: dict[str, np.ndarray], hidden: np.ndarray | None) -> pd.DataFrame:
    df = pd.DataFrame({"t": np.arange(1, len(tokens) + 1), "word": tokens})
    for label, p in p_positive.items():
        df[f"p(positive), {label}"] = p
    if hidden is not None:
        for j in range(hidden.shape[1]):
            df[f"h[{j}]"] = hidden[:, j]
    return df


def attribution_figure(tokens: list[str], rows: dict[str, np.ndarray]) -> tuple[go.Figure, pd.DataFrame]:
    """The words of the review, each cell coloured by its attribution a_t (red: towards positive, blue:
    towards negative), one row per model. Each row is divided by its own largest |a_t| (the models'
    scores differ in size by orders of magnitude), so colours compare words within a model on [-1, 1];
    the raw a_t shows on hover."""
    labels = list(rows)
    A = np.stack([rows[k] for k in labels])  # (models, T)  raw a_t
    scale = np.abs(A).max(axis=1, keepdims=True)  # (models, 1)
    Z = A / np.where(scale > 0, scale, 1.0)  # (models, T) in [-1, 1]
    text = np.array([list(tokens)] * len(labels))
    heat = dict(
        type="heatmap", z=Z, x=np.arange(1, len(tokens) + 1), y=labels, text=text, texttemplate="%{text}",
        textfont=dict(size=16), customdata=A, colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0, xgap=2, ygap=4,
        colorbar=dict(title=dict(text="a<sub>t</sub> / max|a|"), tickvals=[-1, 0, 1]),
        hovertemplate="%{y}<br>'%{text}' (t = %{x})<br>a = %{customdata:.3f}<extra></extra>")
    lay = layout(110 + 55 * len(labels) + (40 if len(tokens) > 12 else 0), xaxis=_token_axis(tokens),
                 yaxis=dict(autorange="reversed", tickfont=dict(size=15)))
    return figure([heat], lay), _attribution_frame(tokens, rows)


def _attribution_frame(tokens: list[str], rows: dict[str, np.ndarray]) -> pd.DataFrame:
    df = pd.DataFrame({"t": np.arange(1, len(tokens) + 1), "word": tokens})
    for label, a in rows.items():
        df[f"a_t, {label}"] = a
    return df


def accuracy_figure(metrics: dict[str, dict[str, float | None]], counts: dict[str, int]) -> tuple[go.Figure, pd.DataFrame]:
    """Grouped bars: accuracy [0, 1] of every model (a colour each) on every phenomenon (x)."""
    groups = list(next(iter(metrics.values())))
    x = [f"{PHENOMENON_LABELS.get(g, g)}<br>({counts.get(g, 0):,})" for g in groups]
    data = [dict(type="bar", x=x, y=np.array([np.nan if acc.get(g) is None else acc[g] for g in groups], dtype=float),
                 name=label, marker=dict(color=OKABE_ITO[k % len(OKABE_ITO)]),
                 hovertemplate=label + "<br>%{x}<br>accuracy %{y:.1%}<extra></extra>")
            for k, (label, acc) in enumerate(metrics.items())]
    lay = layout(460, barmode="group", legend=_LEGEND_ABOVE,
                 yaxis=dict(range=[0, 1.02], title=dict(text="accuracy"), tickformat=".0%"),
                 xaxis=dict(title=dict(text="test reviews with this phenomenon (how many)"), tickfont=dict(size=14)),
                 shapes=[hline(0.5, color="gray", dash="dash")],
                 annotations=[dict(showarrow=False, text="chance", x=1, xanchor="right", xref="x domain", y=0.5,
                                   yanchor="bottom", yref="y")])  # add_hline's annotation_position="top right"
    return figure(data, lay), _accuracy_frame(metrics, counts)


def _accuracy_frame(metrics: dict[str, dict[str, float | None]], counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "phenomenon": g, "reviews": counts.get(g, 0), "accuracy": a}
                         for m, acc in metrics.items() for g, a in acc.items()])


def confusion_figure(matrices: dict[str, list[list[int]]], class_names: list[str]) -> tuple[go.Figure, pd.DataFrame]:
    """One confusion matrix per model: rows the true class, columns the prediction; colour is the
    share of the row [0, 1], the text the count."""
    labels = list(matrices)
    lay, panels = subplots(1, len(labels), labels, horizontal_spacing=0.04)
    data = []
    for k, (label, axes) in enumerate(zip(labels, panels), start=1):
        M = np.array(matrices[label], dtype=float)  # (C, C)
        share = M / np.maximum(M.sum(1, keepdims=True), 1)
        data.append(dict(type="heatmap", z=share, x=class_names, y=class_names, text=M.astype(int),
                         texttemplate="%{text}", textfont=dict(size=16), colorscale=SEQUENTIAL, zmin=0, zmax=1,
                         showscale=k == len(labels), colorbar=dict(title=dict(text="share of row"), tickformat=".0%"),
                         hovertemplate="true %{y}, predicted %{x}<br>%{text} reviews (%{z:.1%} of the row)<extra></extra>",
                         **trace_ref(axes)))
        lay[axes[1]].update(autorange="reversed", showticklabels=k == 1)
        if k == 1:
            lay[axes[1]]["title"] = dict(text="true")
        lay[axes[0]]["title"] = dict(text="predicted")
    for note in lay["annotations"]:
        note["font"] = {**note.get("font", {}), "size": 14}
    lay.update(layout(300))
    return figure(data, lay), _confusion_frame(matrices, class_names)


def _confusion_frame(matrices: dict[str, list[list[int]]], class_names: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "true": class_names[i], "predicted": class_names[j], "reviews": int(M[i][j])}
                         for m, M in matrices.items() for i in range(len(M)) for j in range(len(M))])


def curve_figure(checks: list[dict]) -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy of a model in training after each chunk (checks: {"step", "accuracy", "per_phenomenon"}
    as seqviz.tasks.sentiment.score writes them): overall, on negation and on contrast."""
    table = pd.DataFrame([{"step": c["step"], "accuracy": c["accuracy"], **c["per_phenomenon"]} for c in checks])
    data = [dict(type="scatter", x=table["step"],
                 y=table["accuracy" if name == "overall" else name].astype(float).fillna(0), mode="lines+markers", name=name, line=dict(color=OKABE_ITO[k], width=3),
                 hovertemplate=name + "<br>step %{x}<br>accuracy %{y:.1%}<extra></extra>")
            for k, name in enumerate(("overall", "negation", "contrast"))]
    lay = layout(320, legend=_LEGEND_ABOVE,
                 yaxis=dict(range=[0, 1.02], title=dict(text="test accuracy"), tickformat=".0%"), xaxis=dict(title=dict(text="training step")))
    return figure(data, lay), table


def seeds_figure(rows: list[dict]) -> tuple[go.Figure, pd.DataFrame]:
    """Accuracy [0, 1] of each model (a colour each) on each group of test reviews (x): one dot per seed,
    a bar at the mean over the seeds. rows: {model, seed, group, accuracy} (labs.sentiment.by_seed)."""
    table = pd.DataFrame(rows, columns=["model", "seed", "group", "accuracy"])
    data = []
    for k, (label, part) in enumerate(table.groupby("model", sort=False)):
        colour = OKABE_ITO[(k + 1) % len(OKABE_ITO)]
        means = part.groupby("group", sort=False)["accuracy"].mean()
        data.append(dict(type="bar", x=list(means.index), y=means.to_numpy(), name=label, marker=dict(color=colour),
                         opacity=0.55, offsetgroup=label, hovertemplate=label + "<br>%{x}<br>mean %{y:.1%}<extra></extra>"))
        data.append(dict(type="scatter", x=part["group"], y=part["accuracy"], mode="markers", offsetgroup=label,
                         showlegend=False, marker=dict(color=colour, size=10, line=dict(color="black", width=1)),
                         customdata=part["seed"], name=label,
                         hovertemplate=label + "<br>%{x}<br>seed %{customdata}: %{y:.1%}<extra></extra>"))
    lay = layout(400, barmode="group", scattermode="group", legend=_LEGEND_ABOVE,
                 shapes=[hline(0.5, color="gray", dash="dash")],
                 yaxis=dict(range=[0, 1.02], title=dict(text="test accuracy"), tickformat=".0%"),
                 xaxis=dict(title=dict(text="test reviews"), tickfont=dict(size=14)))
    return figure(data, lay), table


def completeness_table(attributions: dict) -> pd.DataFrame:
    """Do the attributions add up? One row per model (label -> seqviz.attribution.Attribution)."""
    return pd.DataFrame([{"model": k, "F(u)": a.score, "F(0)": a.baseline_score, "sum of a_t": float(a.values.sum()),
                          "sum - (F(u) - F(0))": a.gap} for k, a in attributions.items()])


def mistakes_table(wrong: list, class_names: list[str]) -> pd.DataFrame:
    """The misclassified reviews (review, p(class)) as rows: text, true class, p(positive), phenomena."""
    return pd.DataFrame([{"review": r.text, "true": class_names[r.label], "p(positive)": round(float(q[1]), 3),
                          "phenomena": ", ".join(r.tags)} for r, q in wrong],
                        columns=["review", "true", "p(positive)", "phenomena"])


__all__ = ["predictions_figure", "reading_figure", "attribution_figure", "accuracy_figure", "confusion_figure",
           "curve_figure", "seeds_figure", "completeness_table", "mistakes_table"]
