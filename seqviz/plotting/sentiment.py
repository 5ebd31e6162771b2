"""Figures of the sentiment lesson: predictions of every model, reading word by word, token
attribution, accuracy by phenomenon, confusion matrices, a learner's model's progress, and the tables
behind them. Pure builders, no streamlit, no model: each `*_figure` returns `(figure, table)`.

Colours follow the app's language: probabilities on the fixed sequential [0, 1] scale, hidden
states on the diverging [-1, 1] scale, attributions on the diverging scale, symmetric about 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, _layout

PHENOMENON_LABELS = {"overall": "all test reviews", "held-out template": "held-out template"}


def _token_axis(fig: go.Figure, tokens: list[str], row=None, col=None, title: str = "word read, t") -> None:
    fig.update_xaxes(tickmode="array", tickvals=list(range(1, len(tokens) + 1)), ticktext=list(tokens),
                     tickangle=-45 if len(tokens) > 12 else 0, tickfont=dict(size=15), title=title, row=row, col=col)


def predictions_figure(probs: dict[str, np.ndarray], class_names: list[str]) -> tuple[go.Figure, pd.DataFrame]:
    """One horizontal bar per model: p(positive), on [0, 1], with the 0.5 decision line."""
    labels = list(probs)
    p = np.array([probs[k][1] for k in labels])  # (models,)
    fig = go.Figure(go.Bar(
        x=p, y=labels, orientation="h", marker=dict(color=p, colorscale=SEQUENTIAL, cmin=0, cmax=1,
                                                    colorbar=dict(title=f"p({class_names[1]})", tickvals=[0, 0.5, 1])),
        text=[f"{v:.2f} → {class_names[int(v >= 0.5)]}" for v in p], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}<br>p(" + class_names[1] + ") = %{x:.3f}<extra></extra>"))
    fig.add_vline(x=0.5, line=dict(color="black", dash="dash", width=2))
    fig.update_xaxes(range=[0, 1.25], title=f"p({class_names[1]})", tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=16))
    return _layout(fig, 90 + 48 * len(labels)), _predictions_frame(probs, class_names)


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
    fig = make_subplots(rows=rows, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        row_heights=[0.45, 0.55] if rows == 2 else [1.0])
    for k, (label, p) in enumerate(p_positive.items()):
        fig.add_trace(go.Scatter(x=steps, y=p, mode="lines+markers", name=label, customdata=np.array(tokens),
                                 line=dict(color=OKABE_ITO[k % len(OKABE_ITO)], width=3, dash="dot" if k else "solid"),
                                 marker=dict(size=9),
                                 hovertemplate=label + "<br>after '%{customdata}' (t = %{x})<br>p(positive) = %{y:.3f}<extra></extra>"),
                      row=1, col=1)
    fig.add_hline(y=0.5, line=dict(color="gray", dash="dash"), row=1, col=1)
    fig.update_yaxes(range=[-0.03, 1.03], title="p(positive)", tickvals=[0, 0.5, 1], row=1, col=1)
    if hidden is not None:
        custom = np.array([list(tokens)] * H)  # (H, T)
        fig.add_trace(go.Heatmap(z=hidden.T, x=steps, y=np.arange(H), customdata=custom, colorscale=DIVERGING,
                                 zmin=-1, zmax=1, zmid=0, showlegend=False,
                                 colorbar=dict(title=state_name, tickvals=[-1, 0, 1], y=0.28, len=0.55),
                                 hovertemplate="t = %{x} ('%{customdata}')<br>unit %{y}<br>" + state_name
                                               + " = %{z:.3f}<extra></extra>"), row=2, col=1)
        fig.update_yaxes(title="hidden unit", autorange="reversed", row=2, col=1)
    _token_axis(fig, tokens, row=rows, col=1)
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return (_layout(fig, 330 + (10 * H if hidden is not None else 0) + (40 if T > 12 else 0)),
            _reading_frame(tokens, p_positive, hidden))


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
    fig = go.Figure(go.Heatmap(
        z=Z, x=np.arange(1, len(tokens) + 1), y=labels, text=text, texttemplate="%{text}", textfont=dict(size=16),
        customdata=A, colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0, xgap=2, ygap=4,
        colorbar=dict(title="a<sub>t</sub> / max|a|", tickvals=[-1, 0, 1]),
        hovertemplate="%{y}<br>'%{text}' (t = %{x})<br>a = %{customdata:.3f}<extra></extra>"))
    _token_axis(fig, tokens)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=15))
    return _layout(fig, 110 + 55 * len(labels) + (40 if len(tokens) > 12 else 0)), _attribution_frame(tokens, rows)


def _attribution_frame(tokens: list[str], rows: dict[str, np.ndarray]) -> pd.DataFrame:
    df = pd.DataFrame({"t": np.arange(1, len(tokens) + 1), "word": tokens})
    for label, a in rows.items():
        df[f"a_t, {label}"] = a
    return df


def accuracy_figure(metrics: dict[str, dict[str, float | None]], counts: dict[str, int]) -> tuple[go.Figure, pd.DataFrame]:
    """Grouped bars: accuracy [0, 1] of every model (a colour each) on every phenomenon (x)."""
    groups = list(next(iter(metrics.values())))
    fig = go.Figure()
    for k, (label, acc) in enumerate(metrics.items()):
        y = np.array([np.nan if acc.get(g) is None else acc[g] for g in groups], dtype=float)
        fig.add_trace(go.Bar(
            x=[f"{PHENOMENON_LABELS.get(g, g)}<br>({counts.get(g, 0):,})" for g in groups], y=y, name=label,
            marker_color=OKABE_ITO[k % len(OKABE_ITO)],
            hovertemplate=label + "<br>%{x}<br>accuracy %{y:.1%}<extra></extra>"))
    fig.add_hline(y=0.5, line=dict(color="gray", dash="dash"), annotation_text="chance", annotation_position="top right")
    fig.update_yaxes(range=[0, 1.02], title="accuracy", tickformat=".0%")
    fig.update_xaxes(title="test reviews with this phenomenon (how many)", tickfont=dict(size=14))
    fig.update_layout(barmode="group", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return _layout(fig, 460), _accuracy_frame(metrics, counts)


def _accuracy_frame(metrics: dict[str, dict[str, float | None]], counts: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "phenomenon": g, "reviews": counts.get(g, 0), "accuracy": a}
                         for m, acc in metrics.items() for g, a in acc.items()])


def confusion_figure(matrices: dict[str, list[list[int]]], class_names: list[str]) -> tuple[go.Figure, pd.DataFrame]:
    """One confusion matrix per model: rows the true class, columns the prediction; colour is the
    share of the row [0, 1], the text the count."""
    labels = list(matrices)
    fig = make_subplots(rows=1, cols=len(labels), subplot_titles=labels, horizontal_spacing=0.04)
    for k, label in enumerate(labels, start=1):
        M = np.array(matrices[label], dtype=float)  # (C, C)
        share = M / np.maximum(M.sum(1, keepdims=True), 1)
        fig.add_trace(go.Heatmap(z=share, x=class_names, y=class_names, text=M.astype(int), texttemplate="%{text}",
                                 textfont=dict(size=16), colorscale=SEQUENTIAL, zmin=0, zmax=1, showscale=k == len(labels),
                                 colorbar=dict(title="share of row", tickformat=".0%"),
                                 hovertemplate="true %{y}, predicted %{x}<br>%{text} reviews (%{z:.1%} of the row)<extra></extra>"),
                      row=1, col=k)
        fig.update_yaxes(autorange="reversed", title="true" if k == 1 else None, showticklabels=k == 1, row=1, col=k)
        fig.update_xaxes(title="predicted", row=1, col=k)
    fig.update_annotations(font=dict(size=14))
    return _layout(fig, 300), _confusion_frame(matrices, class_names)


def _confusion_frame(matrices: dict[str, list[list[int]]], class_names: list[str]) -> pd.DataFrame:
    return pd.DataFrame([{"model": m, "true": class_names[i], "predicted": class_names[j], "reviews": int(M[i][j])}
                         for m, M in matrices.items() for i in range(len(M)) for j in range(len(M))])


def curve_figure(checks: list[dict]) -> tuple[go.Figure, pd.DataFrame]:
    """Test accuracy of a model in training after each chunk (checks: {"step", "accuracy", "per_phenomenon"}
    as seqviz.tasks.sentiment.score writes them): overall, on negation and on contrast."""
    table = pd.DataFrame([{"step": c["step"], "accuracy": c["accuracy"], **c["per_phenomenon"]} for c in checks])
    fig = go.Figure()
    for k, name in enumerate(("overall", "negation", "contrast")):
        y = table["accuracy" if name == "overall" else name].astype(float).fillna(0)
        fig.add_trace(go.Scatter(x=table["step"], y=y, mode="lines+markers", name=name,
                                 line=dict(color=OKABE_ITO[k], width=3),
                                 hovertemplate=name + "<br>step %{x}<br>accuracy %{y:.1%}<extra></extra>"))
    fig.update_yaxes(range=[0, 1.02], title="test accuracy", tickformat=".0%")
    fig.update_xaxes(title="training step")
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return _layout(fig, 320), table


def seeds_figure(rows: list[dict]) -> tuple[go.Figure, pd.DataFrame]:
    """Accuracy [0, 1] of each model (a colour each) on each group of test reviews (x): one dot per seed,
    a bar at the mean over the seeds. rows: {model, seed, group, accuracy} (labs.sentiment.by_seed)."""
    table = pd.DataFrame(rows, columns=["model", "seed", "group", "accuracy"])
    fig = go.Figure()
    for k, (label, part) in enumerate(table.groupby("model", sort=False)):
        colour = OKABE_ITO[(k + 1) % len(OKABE_ITO)]
        means = part.groupby("group", sort=False)["accuracy"].mean()
        fig.add_trace(go.Bar(x=list(means.index), y=means.to_numpy(), name=label, marker_color=colour, opacity=0.55,
                             offsetgroup=label, hovertemplate=label + "<br>%{x}<br>mean %{y:.1%}<extra></extra>"))
        fig.add_trace(go.Scatter(x=part["group"], y=part["accuracy"], mode="markers", offsetgroup=label,
                                 showlegend=False, marker=dict(color=colour, size=10, line=dict(color="black", width=1)),
                                 customdata=part["seed"], name=label,
                                 hovertemplate=label + "<br>%{x}<br>seed %{customdata}: %{y:.1%}<extra></extra>"))
    fig.add_hline(y=0.5, line=dict(color="gray", dash="dash"))
    fig.update_yaxes(range=[0, 1.02], title="test accuracy", tickformat=".0%")
    fig.update_xaxes(title="test reviews", tickfont=dict(size=14))
    fig.update_layout(barmode="group", scattermode="group", legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    return _layout(fig, 400), table


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
