"""Figures for the vanishing-gradient lesson: arrays in, plotly figures out. No streamlit, no model.

- gradient_curves_figure: ‖∂L/∂h_t‖ over t for several models, one panel a stage (log scale);
- scaled_rnn_figure: the vanilla RNN's curve with W_hh scaled, against the unscaled one;
- jacobian_products_figure: ‖J_T ... J_{t+1}‖, the gradient it bounds, and each ‖J_t‖;
- jacobian_heatmap: one step's J_t = diag(1 - h_t²) W_hh, next to its two factors;
each returns the figure and the table behind it. listed / kept write the lesson's numbers.

Values that are exactly 0 (float32 underflow) have no place on a log axis: they are drawn as gaps.

Every figure is built as plain dicts (traces, axes, the subplot layout from plotting.subplots) and checked by
plotly once (plotting.figure): building them trace by trace and axis by axis re-validated the whole figure
at every call.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz import gradients as G
from seqviz.plotting import (DIVERGING, OKABE_ITO, SEQUENTIAL, figure, vline, layout, math_label, subplots, tex_number,
                             time_axis, token_label, trace_ref)

from seqviz.plotting.palette import ARCHITECTURES as ARCH_COLOURS  # noqa: E402
GRAD = "‖∂L/∂h<sub>t</sub>‖"


def _positive(values) -> np.ndarray:
    """float64 copy with zeros (and negatives) as NaN: gaps on a log axis."""
    v = np.asarray(values, dtype=np.float64).copy()
    v[~(v > 0)] = np.nan
    return v


def _log_range(*arrays) -> list[float]:
    """A log10 axis range [lo, hi] in whole decades that holds every positive value."""
    vals = np.concatenate([_positive(a).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return [-1.0, 1.0]
    lo, hi = np.floor(np.log10(vals.min())), np.ceil(np.log10(vals.max()))
    return [float(lo) - 0.1, float(max(hi, lo + 1)) + 0.1]


def _log_axis(title: str, *arrays) -> dict:
    """A log y axis over whole decades, with at most ~8 labelled powers of 10 however wide the span (a dict)."""
    lo, hi = _log_range(*arrays)
    return dict(type="log", range=[lo, hi], title=dict(text=title), exponentformat="power",
                dtick=max(1, int(np.ceil((hi - lo) / 8))))


def _token_axis(tokens: list[str], title: bool = True) -> dict:
    """Tokens under their steps, as an x axis dict; smaller, then thinned, as texts grow (labels must never
    overlap)."""
    T = len(tokens)
    every = max(1, int(np.ceil(T / 60)))
    ticks = list(range(1, T + 1, every))
    axis = {**time_axis(tokens), "tickvals": ticks, "ticktext": [token_label(tokens[t - 1]) for t in ticks],
            "tickfont": dict(size=20 if T <= 30 else 15), "range": [0.5, T + 0.5]}
    if title:
        axis["title"] = dict(text=f"input character {math_label('x_t')} at step t")
    else:
        del axis["title"]
    return axis


def _hover(name: str, what: str = GRAD) -> str:
    return f"{name}<br>t = %{{x}} ('%{{customdata}}')<br>{what} = %{{y:.3e}}<extra></extra>"


def gradient_curves_figure(tokens: list[str], curves: dict[str, dict[str, np.ndarray]],
                           relative: bool = False) -> tuple[go.Figure, pd.DataFrame]:
    """{stage: {model: ‖∂L/∂h_t‖ (T,)}} -> one panel a stage, stacked, sharing t and the log y range.
    Table: G.curves_table.

    relative: divide each curve by its last value, so every curve ends at 1 and the y axis reads as
    "the fraction of the end's gradient that reaches step t".
    """
    stages = list(curves)
    lay, panels = subplots(len(stages), 1, stages, shared_xaxes=True, vertical_spacing=0.1)
    steps = np.arange(1, len(tokens) + 1)
    labels = np.array([token_label(t) for t in tokens])
    label = f"{GRAD} / ‖∂L/∂h<sub>T</sub>‖" if relative else GRAD
    data, drawn = [], []
    for r, (stage, axes) in enumerate(zip(stages, panels), start=1):
        for name, norms in curves[stage].items():
            y = _positive(norms)
            if relative:
                y = y / y[-1]
            drawn.append(y)
            data.append(dict(
                type="scatter", x=steps, y=y, customdata=labels, mode="lines+markers", name=name, legendgroup=name,
                showlegend=r == 1, line=dict(color=ARCH_COLOURS.get(name), width=3), marker=dict(size=6),
                hovertemplate=_hover(f"{name}, {stage}", label), **trace_ref(axes)))
        lay[axes[0]].update(_token_axis(tokens, title=r == len(stages)))
    y_axis = _log_axis(label, *drawn)
    for axes in panels:
        lay[axes[1]].update(y_axis)
    for note in lay.get("annotations", ()):
        note["font"] = {**note.get("font", {}), "size": 18}
    lay.update(layout(330 * len(stages) + 60),
               legend=dict(orientation="h", y=1.06, yanchor="bottom", x=1, xanchor="right"))
    return figure(data, lay), G.curves_table(tokens, curves)


def scaled_rnn_figure(tokens: list[str], norms: np.ndarray, reference: np.ndarray, factor: float,
                      rho: float, rho_ref: float) -> tuple[go.Figure, pd.DataFrame]:
    """The vanilla RNN's ‖∂L/∂h_t‖ with W_hh × factor (solid), and with W_hh as it is (dashed). Table: both curves."""
    steps = np.arange(1, len(tokens) + 1)
    labels = np.array([token_label(t) for t in tokens])
    data = [
        dict(type="scatter", x=steps, y=_positive(reference), customdata=labels, mode="lines",
             name=math_label(f"W_hh × 1 (ρ = {rho_ref:.2f})"), line=dict(color="grey", width=2, dash="dash"),
             hovertemplate=_hover("W_hh × 1")),
        dict(type="scatter", x=steps, y=_positive(norms), customdata=labels, mode="lines+markers",
             name=math_label(f"W_hh × {factor:g} (ρ = {rho:.2f})"),
             line=dict(color=ARCH_COLOURS["Vanilla RNN"], width=3), marker=dict(size=7),
             hovertemplate=_hover(f"W_hh × {factor:g}")),
    ]
    lay = layout(420, xaxis=_token_axis(tokens), yaxis=_log_axis(GRAD, norms, reference),
                 legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    table = G.curves_table(tokens, {f"W_hh x {factor:g}": {"Vanilla RNN": norms}, "W_hh x 1": {"Vanilla RNN": reference}})
    return figure(data, lay), table


def jacobian_products_figure(tokens: list[str], jac: G.RNNJacobians,
                             k: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Going back from T: ‖J_T ... J_{t+1}‖ (the bound), ‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ (what the gradient
    does), and ‖J_t‖ (one step's Jacobian), all on one log axis; a line at step k. Table: G.jacobian_table."""
    table = G.jacobian_table(tokens, jac)
    products, grad_ratio, step_norms = (table[c].to_numpy() for c in
                                        ("||J_T...J_(t+1)||", "||dL/dh_t|| / ||dL/dh_T||", "||J_t||"))
    steps = np.arange(1, len(tokens) + 1)
    labels = np.array([token_label(t) for t in tokens])
    series = [
        ("‖J<sub>T</sub> ⋯ J<sub>t+1</sub>‖ (bound)", products, dict(color="black", width=3), "lines+markers"),
        ("‖∂L/∂h<sub>t</sub>‖ / ‖∂L/∂h<sub>T</sub>‖ (actual)", grad_ratio,
         dict(color=ARCH_COLOURS["Vanilla RNN"], width=3), "lines+markers"),
        ("‖J<sub>t</sub>‖ (one step)", step_norms, dict(color="grey", width=2, dash="dot"), "lines"),
    ]
    data = [dict(type="scatter", x=steps, y=_positive(y), customdata=labels, mode=mode, name=name, line=line,
                 marker=dict(size=6), hovertemplate=_hover(name, "value")) for name, y, line, mode in series]
    lay = layout(440, xaxis=_token_axis(tokens), yaxis=_log_axis("spectral norm", products, grad_ratio, step_norms),
                 legend=dict(orientation="h", y=1.08, yanchor="bottom", x=1, xanchor="right"))
    if k is not None:  # a line at step k over the plot's height, labelled above it (what add_vline draws)
        lay["shapes"] = [vline(k, color=OKABE_ITO[1], width=3)]
        lay["annotations"] = [dict(text=f"k = {k}", font=dict(size=16), showarrow=False, x=k, xref="x",
                                   xanchor="center", y=1, yref="y domain", yanchor="bottom")]
    return figure(data, lay), table


def jacobian_heatmap(jac: G.RNNJacobians, t: int) -> tuple[go.Figure, pd.DataFrame]:
    """J_t = diag(1 - h_t²) W_hh beside its factors: the column 1 - h_t² (Viridis, [0, 1]) and W_hh.

    W_hh and J_t share one diverging scale fixed by max |W_hh|; since 0 ≤ 1 - h² ≤ 1, J_t is W_hh
    with each row i faded by 1 - h_t[i]², and never brighter. Table: G.jacobian_matrix_table.
    """
    slope, W_hh, J = jac.slope[t - 1], jac.W_hh, jac.J[t - 1]
    H = W_hh.shape[0]
    units = np.arange(H)
    bound = float(np.abs(W_hh).max()) or 1.0
    # the titles name step t: set after the (cached, per shape) layout, so each t does not cache one more
    lay, panels = subplots(1, 3, ["1 - h_t²", "W_hh", "J_t"], column_widths=(0.06, 0.47, 0.47),
                           horizontal_spacing=0.04, shared_yaxes=True)
    titles = [math_label(f"1 - h_{t}²"), math_label("W_hh"), math_label(f"J_{t} = diag(1 - h_{t}²) W_hh")]
    data = [
        dict(type="heatmap", z=slope[:, None], x=["1 − h²"], y=units, colorscale=SEQUENTIAL, zmin=0, zmax=1,
             colorbar=dict(title=dict(text="1 − h²"), x=1.01, y=0.78, len=0.45, tickvals=[0, 0.5, 1]),
             hovertemplate="unit i = %{y}<br>1 − h<sub>t</sub>[i]² = %{z:.4f}<extra></extra>", **trace_ref(panels[0])),
        dict(type="heatmap", z=W_hh, x=units, y=units, colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0,
             colorbar=dict(title=dict(text="W, J"), x=1.01, y=0.25, len=0.45),
             hovertemplate="row i = %{y}, column j = %{x}<br>W<sub>hh</sub>[i, j] = %{z:.4f}<extra></extra>",
             **trace_ref(panels[1])),
        dict(type="heatmap", z=J, x=units, y=units, customdata=np.repeat(slope[:, None], H, axis=1),
             colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0, showscale=False,
             hovertemplate=("row i = %{y}, column j = %{x}<br>J[i, j] = (1 − h[i]²) · W<sub>hh</sub>[i, j]"
                            "<br>= %{customdata:.4f} × W<sub>hh</sub>[i, j] = %{z:.4f}<extra></extra>"),
             **trace_ref(panels[2])),
    ]
    tick = dict(dtick=4 if H > 16 else 1)
    for c, (x, y) in enumerate(panels, start=1):
        lay[y].update(autorange=False, range=[H - 0.5, -0.5], **tick)  # row 0 on top, no padding
        if c == 1:
            lay[y]["title"] = dict(text=math_label("row i (unit of h_t)"))
            lay[x]["showticklabels"] = False
        else:
            lay[x].update(title=dict(text=math_label("column j (unit of h_{t-1})")), range=[-0.5, H - 0.5], **tick)
    for note, title in zip(lay["annotations"], titles):
        note.update(text=title, font={**note.get("font", {}), "size": 18})
    lay.update(layout(560))
    lay["margin"]["t"] = 60
    return figure(data, lay), G.jacobian_matrix_table(jac, t)


# -- numbers in the lesson's sentences (st.markdown with LaTeX) ------------------------------------------
def listed(by_name: dict, field: str) -> str:
    """'Vanilla RNN $0.001$, LSTM $0.5$, ...': one field of each model's G.Reach."""
    return ", ".join(f"{name} ${tex_number(getattr(x, field))}$" for name, x in by_name.items())


def kept(p: G.MemoryPath) -> str:
    """What a gated cell's direct path keeps, in words (G.memory_path)."""
    return (f"${p.gate}_t$ averages {p.mean:.2f}, and $\\prod_t {p.gate}_t = {tex_number(p.product_median)}$ for the "
            f"median unit, ${tex_number(p.product_max)}$ for the unit that keeps the most")
