"""Figures for the bidirectional lesson: two cells reading in opposite directions, and what that buys.

Pure builders (trace in, figure out; no streamlit, no model). The names match the page's equations:

    h→_t = cell(x_t, h→_{t-1})        the forward cell, trace.layers[0][0]: has read x_1..x_t
    h←_t = cell(x_t, h←_{t+1})        the backward cell, trace.layers[0][1]: has read x_t..x_T
    y_t  = softmax(W_hy [h→_t ; h←_t] + b_y)   trace.output is [h→_t ; h←_t], (T, 2H)

Every array is in time order (the backward cell's too), so column t of every figure is position t.
States use the app's diverging scale fixed to [-1, 1]; probabilities are drawn on a fixed [0, 1] axis.
Every figure is built as plain dicts (traces, axes, shapes, the subplot layout from plotting.subplots) and
checked by plotly once (plotting.figure): building them trace by trace and axis by axis re-validated the
whole figure at every call.

    reading_diagram(tokens, t)                   what each direction has read at step t
    direction_heatmaps(trace, t)                 h→_t and h←_t, units x time, one above the other
    concat_heatmap(trace, t)                     [h→_t ; h←_t], the vector the read-out sees
    readout_split(output, W_hy, b_y, H)          the read-out's score split into forward + backward + bias
    readout_split_figure(split, tokens, t)       that split, per position
    comparison_figure(models, tokens, truth, t)  p(class) per position for several models, true tags marked
    states_table / comparison_table              the numbers behind the figures, for CSV export
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import DIVERGING, OKABE_ITO, figure, hline, layout, math_label, subplots, time_axis, token_label, trace_ref
from seqviz.plotting.palette import BACKWARD, BIAS_GREY, FORWARD, GRID, UNIT_OUTLINE
from seqviz.models.recurrent import RecurrentTrace

# The symbols as plotly draws them (no LaTeX offline); the page's st.latex uses the same names.
H_FWD = math_label("h→_t")  # h→<sub>t</sub>
H_BWD = math_label("h←_t")
H_CAT = f"[{H_FWD} ; {H_BWD}]"
FWD_COLOUR, BWD_COLOUR = FORWARD, BACKWARD  # blue reads left to right, vermillion right to left
MODEL_COLOURS = [OKABE_ITO[2], OKABE_ITO[1], OKABE_ITO[3], OKABE_ITO[5]]
LEGEND = dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right")


def _outline_step(t: int | None, x: str = "x", y: str = "y") -> list[dict]:
    """Step t outlined over the panel's height (what add_vrect draws), as a list of shape dicts: none without t."""
    if t is None:
        return []
    return [dict(type="rect", x0=t - 0.5, x1=t + 0.5, xref=x, y0=0, y1=1, yref=f"{y} domain",
                 line=dict(color=UNIT_OUTLINE, width=3))]


def _state_heatmap(z: np.ndarray, tokens: list[str], name: str, showscale: bool,
                   ylabels: list[str] | None = None) -> dict:
    """z (T, n) -> an n x time heatmap trace dict on the fixed diverging [-1, 1] scale; rows labelled ylabels
    on hover."""
    T, n = z.shape
    custom = np.array([[token_label(tok) for tok in tokens]] * n)  # (n, T)
    rows = np.array([[lab] * T for lab in (ylabels or [f"unit {j}" for j in range(n)])])  # (n, T)
    return dict(
        type="heatmap", z=z.T, x=np.arange(1, T + 1), y=np.arange(n), customdata=custom, text=rows, name=name,
        colorscale=DIVERGING, zmin=-1, zmax=1, zmid=0, showscale=showscale,
        colorbar=dict(title=dict(text="value"), tickvals=[-1, 0, 1], len=0.8),
        hovertemplate=f"t = %{{x}} ('%{{customdata}}')<br>%{{text}}<br>{name} = %{{z:.3f}}<extra></extra>")


def reading_diagram(tokens: list[str], t: int) -> go.Figure:
    """The text in a row, with what each cell has read by step t: x_1..x_t forwards, x_t..x_T backwards."""
    T = len(tokens)
    data = [dict(type="scatter", x=np.arange(1, T + 1), y=np.zeros(T), mode="text",
                 text=[token_label(tok) for tok in tokens], textfont=dict(size=24, color="black"), hoverinfo="skip",
                 showlegend=False)]
    # Shaded spans: what each cell has read when it produces its state at t.
    shapes = [
        dict(type="rect", x0=0.55, x1=t + 0.45, y0=0.35, y1=0.95, line=dict(width=0), fillcolor=FWD_COLOUR, opacity=0.15),
        dict(type="rect", x0=t - 0.45, x1=T + 0.45, y0=-0.95, y1=-0.35, line=dict(width=0), fillcolor=BWD_COLOUR,
             opacity=0.15),
        dict(type="rect", x0=t - 0.45, x1=t + 0.45, y0=-0.3, y1=0.3, line=dict(color="black", width=3)),
    ]
    arrow = dict(showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=3, xref="x", yref="y", axref="x", ayref="y")
    notes = [dict(x=t + 0.3, y=0.65, ax=0.7, ay=0.65, arrowcolor=FWD_COLOUR, name="forward", **arrow),
             dict(x=t - 0.3, y=-0.65, ax=T + 0.3, ay=-0.65, arrowcolor=BWD_COLOUR, name="backward", **arrow)]
    for y, text, colour in ((0.65, f"{H_FWD} has read x<sub>1</sub>…x<sub>t</sub>", FWD_COLOUR),
                            (-0.65, f"{H_BWD} has read x<sub>t</sub>…x<sub>T</sub>", BWD_COLOUR)):
        notes.append(dict(xref="paper", yref="y", x=0, y=y, xanchor="right", showarrow=False, text=text,
                          font=dict(size=17, color=colour)))
    lay = layout(190, xaxis=dict(range=[0.4, T + 0.6], tickmode="array", tickvals=[t], ticktext=[f"t = {t}"],
                                 tickfont=dict(size=16), showgrid=False, zeroline=False),
                 yaxis=dict(range=[-1, 1], visible=False), plot_bgcolor="white", shapes=shapes, annotations=notes)
    lay["margin"] = dict(l=230, r=10, t=10, b=10)
    return figure(data, lay)


def direction_heatmaps(trace: RecurrentTrace, t: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """h→_t (top) and h←_t (bottom) as units x time, on one fixed [-1, 1] scale; step t outlined.
    Table: states_table."""
    fwd, bwd = trace.layers[0][0], trace.layers[0][1]
    H = fwd.hidden.shape[1]
    lay, panels = subplots(2, 1, [
        f"forward cell {H_FWD} = cell(x<sub>t</sub>, h→<sub>t-1</sub>): reads left to right  ⟶",
        f"⟵  backward cell {H_BWD} = cell(x<sub>t</sub>, h←<sub>t+1</sub>): reads right to left"],
        shared_xaxes=True, vertical_spacing=0.14)
    data, shapes = [], []
    for row, (hidden, name, axes) in enumerate(((fwd.hidden, "h→", panels[0]), (bwd.hidden, "h←", panels[1])), start=1):
        ref = trace_ref(axes)
        data.append({**_state_heatmap(hidden, trace.tokens, name, row == 1), **ref})
        lay[axes[0]].update(time_axis(trace.tokens))
        lay[axes[1]].update(title=dict(text="hidden unit"), autorange="reversed", dtick=4 if H > 8 else 1)
        shapes += _outline_step(t, ref["xaxis"], ref["yaxis"])
    del lay[panels[0][0]]["title"]  # the time axis is named once, under the bottom panel
    lay[panels[0][0]]["showticklabels"] = True
    for note, colour in zip(lay["annotations"], (FWD_COLOUR, BWD_COLOUR)):
        note["font"] = dict(size=17, color=colour)
    lay.update(layout(280 + 2 * 14 * H))
    lay["margin"]["t"] = 40
    if shapes:
        lay["shapes"] = shapes
    return figure(data, lay), states_table(trace)


def concat_heatmap(trace: RecurrentTrace, t: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """trace.output = [h→_t ; h←_t] as (2H) x time: the one vector per position the read-out sees.
    Table: states_table."""
    out = trace.output
    H = out.shape[1] // 2
    ylabels = [f"h→[{j}]" for j in range(H)] + [f"h←[{j}]" for j in range(H)]
    heat = _state_heatmap(out, trace.tokens, "[h→ ; h←]", True, ylabels)
    heat["colorbar"]["x"] = 1.08
    ticks = list(range(0, 2 * H, 4))
    notes = [dict(xref="paper", x=1.005, y=y, text=text, xanchor="left", showarrow=False,
                  font=dict(size=20, color=colour))
             for y, text, colour in ((H / 2 - 0.5, H_FWD, FWD_COLOUR), (1.5 * H - 0.5, H_BWD, BWD_COLOUR))]
    lay = layout(140 + 2 * 12 * H, xaxis=time_axis(trace.tokens),
                 yaxis=dict(title=dict(text=f"component of {H_CAT}"), autorange="reversed", tickmode="array",
                            tickvals=ticks, ticktext=[ylabels[j] for j in ticks], tickfont=dict(size=14)),
                 # the first line: where h→ ends and h← begins
                 shapes=[hline(H - 0.5, color="black", width=3), *_outline_step(t)], annotations=notes)
    return figure([heat], lay), states_table(trace)


def readout_split(output: np.ndarray, W_hy: np.ndarray, b_y: np.ndarray, positive: int = 1,
                  negative: int = 0) -> dict[str, np.ndarray]:
    """The read-out's score for `positive` over `negative`, split by where it comes from.

    logit_pos - logit_neg = (w_pos - w_neg) · [h→_t ; h←_t] + (b_pos - b_neg)
                          = (w_pos - w_neg)[:H] · h→_t + (w_pos - w_neg)[H:] · h←_t + (b_pos - b_neg).
    With two classes, p(positive) = σ(score), also returned as "p". output (T, 2H), W_hy (C, 2H), b_y (C,);
    each result (T,).
    """
    H = output.shape[1] // 2
    w = W_hy[positive] - W_hy[negative]  # (2H,)
    forward = output[:, :H] @ w[:H]
    backward = output[:, H:] @ w[H:]
    bias = np.full(len(output), float(b_y[positive] - b_y[negative]))
    score = forward + backward + bias
    return {"forward": forward, "backward": backward, "bias": bias, "score": score, "p": 1 / (1 + np.exp(-score))}


def head_weights(model) -> tuple[np.ndarray, np.ndarray]:
    """The read-out's W_hy (C, 2H) and b_y (C,) of a RecurrentNet, as arrays (copies: the model is shared)."""
    return model.head.weight.detach().numpy().copy(), model.head.bias.detach().numpy().copy()


def readout_split_figure(split: dict[str, np.ndarray], tokens: list[str], t: int | None = None,
                         positive_name: str = "x ahead") -> tuple[go.Figure, pd.DataFrame]:
    """Stacked bars: how much of the score for `positive_name` comes from h→_t, from h←_t and from the bias.
    Table: t, character and every part of the split."""
    T = len(tokens)
    steps = np.arange(1, T + 1)
    data = [dict(type="bar", x=steps, y=split[key], name=label, marker=dict(color=colour),
                 hovertemplate=f"t = %{{x}}<br>{label}: %{{y:+.2f}}<extra></extra>")
            for key, label, colour in (("forward", f"from {H_FWD}", FWD_COLOUR),
                                       ("backward", f"from {H_BWD}", BWD_COLOUR), ("bias", "bias", BIAS_GREY))]
    data.append(dict(type="scatter", x=steps, y=split["score"], mode="markers", name="score (sum)",
                     marker=dict(symbol="diamond", size=14, color="black"),
                     hovertemplate="t = %{x}<br>score = %{y:+.2f}<extra></extra>"))
    lay = layout(380, xaxis=time_axis(tokens), yaxis=dict(title=dict(text=f"score for '{positive_name}' (log-odds)")),
                 barmode="relative", legend=LEGEND, shapes=[hline(0, color="black", width=1), *_outline_step(t)])
    table = pd.DataFrame({"t": steps, "character": list(tokens), **split})
    return figure(data, lay), table


def comparison_figure(models: dict[str, RecurrentTrace], tokens: list[str], truth: list[int], t: int | None = None,
                      positive: int = 1) -> tuple[go.Figure, pd.DataFrame]:
    """p(class `positive` | the model's reading) per position for each model, on a fixed [0, 1] axis.
    Table: comparison_table.

    Open squares mark the true tag (1 = positive, 0 = not), so a line that follows them knows.
    """
    T = len(tokens)
    steps = np.arange(1, T + 1)
    data = [dict(type="scatter", x=steps, y=trace.probs[:, positive], mode="lines+markers", name=name,
                 line=dict(width=4, color=MODEL_COLOURS[k % len(MODEL_COLOURS)], dash="solid" if k == 0 else "dash"),
                 marker=dict(size=10), hovertemplate=f"t = %{{x}}<br>{name}: p = %{{y:.3f}}<extra></extra>")
            for k, (name, trace) in enumerate(models.items())]
    class_name = next(iter(models.values())).class_names[positive] if models else "positive"
    data.append(dict(type="scatter", x=steps, y=np.asarray(truth, dtype=float), mode="markers", name="true tag",
                     marker=dict(symbol="square-open", size=20, color="black", line=dict(width=3)),
                     hovertemplate="t = %{x}<br>true tag %{y:.0f}<extra></extra>"))
    # the band where a model says yes, under the lines (what add_hrect draws), then step t
    band = dict(type="rect", x0=0, x1=1, xref="x domain", y0=0.5, y1=1.05, yref="y", fillcolor=GRID,
                line=dict(width=0), layer="below")
    lay = layout(400, xaxis=time_axis(tokens),
                 yaxis=dict(title=dict(text=f"p('{class_name}')"), range=[-0.05, 1.05], tickvals=[0, 0.5, 1]),
                 legend=LEGEND, shapes=[band, *_outline_step(t)])
    return figure(data, lay), comparison_table(models, tokens, truth, positive)


# -- the numbers behind the figures ----------------------------------------------------------------
def states_table(trace: RecurrentTrace) -> pd.DataFrame:
    """One row a position: t, character, then h→[j] and h←[j] (the columns of trace.output, in order)."""
    H = trace.output.shape[1] // 2
    cols = [f"h→[{j}]" for j in range(H)] + [f"h←[{j}]" for j in range(H)]
    df = pd.DataFrame(trace.output, columns=cols)
    df.insert(0, "character", trace.tokens)
    df.insert(0, "t", np.arange(1, len(trace.tokens) + 1))
    return df


def comparison_table(models: dict[str, RecurrentTrace], tokens: list[str], truth: list[int],
                     positive: int = 1) -> pd.DataFrame:
    df = pd.DataFrame({"t": np.arange(1, len(tokens) + 1), "character": tokens, "true tag": truth})
    for name, trace in models.items():
        df[f"p({trace.class_names[positive]}) {name}"] = trace.probs[:, positive]
    return df


def positions_right(models: dict[str, RecurrentTrace], truth: list[int]) -> dict[str, int]:
    """How many positions each model tags right (its most probable class is the true tag)."""
    return {name: int((tr.probs.argmax(axis=1) == np.asarray(truth)).sum()) for name, tr in models.items()}
