"""The vanilla RNN lesson's figures: the hidden state over time, one step's every term, the predictions
after every step and the path of the hidden state. Each builder returns the figure and the table behind it:

    fig, table = recurrent.hidden_heatmap(trace, t)      # then ui.plot(fig, name, table, ...)

No streamlit, no model; the colour language comes from seqviz.plotting.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, layout, math_label, time_axis, token_label
from seqviz.plotting.palette import HIGHLIGHT
from seqviz.models.recurrent import CellTrace, RecurrentTrace


def _steps(tokens: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"t": np.arange(1, len(tokens) + 1), "character": list(tokens)})


def hidden_heatmap(trace: RecurrentTrace, t: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Hidden state h_t as units x time; optional outline on step t (1-based). Table: t, character, h[j]."""
    T, H = trace.hidden.shape
    steps = np.arange(1, T + 1)
    custom = np.array([[token_label(tok) for tok in trace.tokens]] * H)  # (H, T)
    heat = dict(type="heatmap", z=trace.hidden.T, x=steps, y=np.arange(H), customdata=custom,
                colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0, colorbar=dict(title=dict(text="h"), tickvals=[-1, 0, 1]),
                hovertemplate="t = %{x} ('%{customdata}')<br>unit %{y}<br>h = %{z:.3f}<extra></extra>")
    yaxis = dict(title=dict(text="hidden unit"), autorange="reversed")
    if H <= 16:
        yaxis["dtick"] = 1
    shapes = [] if t is None else [_step_outline(t)]
    fig = figure([heat], layout(120 + 22 * H, xaxis=time_axis(trace.tokens), yaxis=yaxis, shapes=shapes))
    table = _steps(trace.tokens).join(pd.DataFrame(trace.hidden, columns=[f"h[{j}]" for j in range(H)]))
    return fig, table


def _step_outline(t: int) -> dict:
    """A black frame around column t of a heatmap, the full height of the plot."""
    return dict(type="rect", xref="x", yref="y domain", x0=t - 0.5, x1=t + 0.5, y0=0, y1=1,
                line=dict(color="black", width=3))


def step_terms_figure(cell: CellTrace, t: int, gate: str = "a") -> tuple[go.Figure, pd.DataFrame]:
    """Every term of one gate's equation at step t (1-based): one column per term, one row per unit.
    Table: unit, each term, the previous state and the output."""
    i = t - 1
    eq = cell.equation(gate)
    names = list(eq)
    terms = np.stack([eq[n][i] for n in names], axis=1)  # (H, n_terms)
    prev = "h_{t+1}" if cell.reverse else "h_{t-1}"
    if gate == "a":  # vanilla RNN: the squashed pre-activation is the new state
        out_label, out = "h_t = tanh(a_t)", cell.hidden[i]
    else:
        fn = "tanh" if gate in ("g", "n") else "σ"
        out_label, out = f"{gate}_t = {fn}(pre_{gate})", cell.gates[gate][i]
    h_cols = np.stack([cell.h_prev[i], out], axis=1)  # (H, 2)
    H = terms.shape[0]
    bound = float(max(1.0, np.abs(np.stack(list(eq.values()))).max()))  # fixed over all t
    # Both right-hand columns share the diverging [-1, 1] scale, so h_{t-1} and the output compare.
    # Column labels read as the equation, left to right: a_t = W_xh x_t + b_xh + W_hh h_{t-1} + b_hh.
    labels = [("" if k == 0 else "= " if k == len(names) - 1 else "+ ") + math_label(n) for k, n in enumerate(names)]
    units = np.arange(H)
    cells = dict(type="heatmap", y=units, colorscale=DIVERGING, zmid=0, texttemplate="%{z:.2f}",
                 textfont=dict(size=14), showscale=False,
                 hovertemplate="%{x}<br>unit %{y}<br>value = %{z:.4f}<extra></extra>")
    data = [dict(cells, z=terms, x=labels, text=terms, zmin=-bound, zmax=bound, xaxis="x", yaxis="y"),
            dict(cells, z=h_cols, x=[math_label(prev), math_label(out_label)], text=h_cols, zmin=-1, zmax=1,
                 xaxis="x2", yaxis="y2")]
    # two panels side by side, as make_subplots(cols=2, column_widths=[0.72, 0.28], horizontal_spacing=0.06)
    split = 0.94 * 0.72
    top = dict(side="top", tickfont=dict(size=17))
    fig = figure(data, layout(170 + 24 * H,
                              xaxis=dict(top, anchor="y", domain=[0.0, split]),
                              xaxis2=dict(top, anchor="y2", domain=[split + 0.06, 1.0]),
                              yaxis=dict(anchor="x", domain=[0.0, 1.0], autorange="reversed", dtick=1,
                                         title=dict(text="hidden unit")),
                              yaxis2=dict(anchor="x2", domain=[0.0, 1.0], autorange="reversed", dtick=1)))
    table = pd.DataFrame({"unit": units, **{n: eq[n][i] for n in names}, prev: cell.h_prev[i],
                          out_label.split(" = ")[0]: out})
    return fig, table


def prediction_heatmap(trace: RecurrentTrace, truth: list[int] | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """p(class | x_1..x_t) after every step, with the true class marked where it is a class.
    Table: t, character, the true depth (when given), each class's probability."""
    T, C = trace.probs.shape
    steps = np.arange(1, T + 1)
    data = [dict(type="heatmap", z=trace.probs.T, x=steps, y=np.arange(C), colorscale=SEQUENTIAL, zmin=0, zmax=1,
                 colorbar=dict(title=dict(text="p"), tickvals=[0, 0.5, 1]),
                 hovertemplate="t = %{x}<br>%{y}: p = %{z:.3f}<extra></extra>")]
    if truth is not None:
        ok = [(s, d) for s, d in zip(steps, truth) if 0 <= d < C]
        if ok:
            data.append(dict(type="scatter", x=[s for s, _ in ok], y=[d for _, d in ok], mode="markers",
                             name="true depth",
                             marker=dict(symbol="circle-open", size=16, color="white", line=dict(width=3)),
                             hovertemplate="t = %{x}<br>true depth %{y}<extra></extra>"))
    fig = figure(data, layout(150 + 40 * C, xaxis=time_axis(trace.tokens),
                              yaxis=dict(title=dict(text="predicted"), tickvals=list(range(C)),
                                         ticktext=trace.class_names),
                              legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right")))
    table = _steps(trace.tokens)
    if truth is not None:
        table["true depth"] = list(truth)
    table = table.join(pd.DataFrame(trace.probs, columns=trace.class_names))
    return fig, table


def trajectory_figure(points: np.ndarray, tokens: list[str], explained: np.ndarray,
                      background: np.ndarray | None = None, background_labels: list[str] | None = None,
                      t: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The hidden-state path h_1..h_T in 2-D PCA coordinates, joined in order, labelled by token.
    Table: t, character, PC1, PC2.

    `background` is a cloud of reference states (e.g. from the task's own data) coloured by label,
    drawn faintly so the learner sees which region means what.
    """
    data = []
    if background is not None and background_labels is not None:
        for k, label in enumerate(sorted(set(background_labels))):
            mask = np.array([b == label for b in background_labels])
            data.append(dict(type="scatter", x=background[mask, 0], y=background[mask, 1], mode="markers", name=label,
                             marker=dict(size=8, color=OKABE_ITO[k % len(OKABE_ITO)], opacity=0.4),
                             hovertemplate=f"{label}<extra>reference</extra>"))
    labels = [f"{i}:{token_label(tok)}" for i, tok in enumerate(tokens, start=1)]
    data.append(dict(type="scatter", x=points[:, 0], y=points[:, 1], mode="lines+markers+text", name="your input",
                     text=[token_label(tok) for tok in tokens], textposition="top center", textfont=dict(size=18),
                     line=dict(color="black", width=2), marker=dict(size=10, color="black"), customdata=labels,
                     hovertemplate="step %{customdata}<br>PC1 %{x:.3f}, PC2 %{y:.3f}<extra></extra>"))
    if t is not None:
        data.append(dict(type="scatter", x=[points[t - 1, 0]], y=[points[t - 1, 1]], mode="markers", name=f"t = {t}",
                         marker=dict(size=22, symbol="circle-open", color=HIGHLIGHT, line=dict(width=4)),
                         hoverinfo="skip"))
    fig = figure(data, layout(520, xaxis=dict(title=dict(text=f"PC1 ({explained[0]:.0%} of variance)"), zeroline=False),
                              yaxis=dict(title=dict(text=f"PC2 ({explained[1]:.0%} of variance)"), zeroline=False),
                              legend=dict(orientation="h", y=1.02, yanchor="bottom")))
    table = _steps(tokens).assign(PC1=points[:, 0], PC2=points[:, 1])
    return fig, table


def step_latex(cell: CellTrace, t: int, unit: int) -> str:
    """The vanilla RNN's update for one unit at step t with every number: a_t[j] as its four terms, then h_t[j]."""
    v = {name: values[t - 1, unit] for name, values in cell.equation("a").items()}
    return (rf"a_{{{t}}}[{unit}] = \underbrace{{{v['W_xh x_t']:.3f}}}_{{(W_{{xh}} x_t)[{unit}]}}"
            rf" + \underbrace{{{v['b_xh']:.3f}}}_{{b_{{xh}}[{unit}]}}"
            rf" + \underbrace{{{v['W_hh h_{t-1}']:.3f}}}_{{(W_{{hh}} h_{{t-1}})[{unit}]}}"
            rf" + \underbrace{{{v['b_hh']:.3f}}}_{{b_{{hh}}[{unit}]}} = {v['a_t']:.3f}"
            rf", \qquad h_{{{t}}}[{unit}] = \tanh({v['a_t']:.3f}) = {cell.hidden[t - 1, unit]:.3f}")
