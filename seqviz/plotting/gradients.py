"""Figures for the vanishing-gradient lesson: arrays in, plotly figures out. No streamlit, no model.

- gradient_curves_figure: ‖∂L/∂h_t‖ over t for several models, one panel a stage (log scale);
- scaled_rnn_figure: the vanilla RNN's curve with W_hh scaled, against the unscaled one;
- jacobian_products_figure: ‖J_T ... J_{t+1}‖, the gradient it bounds, and each ‖J_t‖;
- jacobian_heatmap: one step's J_t = diag(1 - h_t²) W_hh, next to its two factors;
each returns the figure and the table behind it. listed / kept write the lesson's numbers.

Values that are exactly 0 (float32 underflow) have no place on a log axis: they are drawn as gaps.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from seqviz import gradients as G
from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, _layout, _time_axis, math_label, tex_number, token_label

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


def _log_axis(fig: go.Figure, title: str, *arrays) -> None:
    """A log y axis over whole decades, with at most ~8 labelled powers of 10 however wide the span."""
    lo, hi = _log_range(*arrays)
    fig.update_yaxes(type="log", range=[lo, hi], title=title, exponentformat="power",
                     dtick=max(1, int(np.ceil((hi - lo) / 8))))


def _token_axis(fig: go.Figure, tokens: list[str], row=None, col=None, title: bool = True) -> None:
    """Tokens under their steps; smaller, then thinned, as texts grow (labels must never overlap)."""
    _time_axis(fig, tokens, row=row, col=col)
    T = len(tokens)
    every = max(1, int(np.ceil(T / 60)))
    ticks = list(range(1, T + 1, every))
    fig.update_xaxes(tickvals=ticks, ticktext=[token_label(tokens[t - 1]) for t in ticks],
                     tickfont=dict(size=20 if T <= 30 else 15), range=[0.5, T + 0.5],
                     title=f"input character {math_label('x_t')} at step t" if title else None, row=row, col=col)


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
    fig = make_subplots(rows=len(stages), cols=1, shared_xaxes=True, vertical_spacing=0.1,
                        subplot_titles=[s for s in stages])
    steps = np.arange(1, len(tokens) + 1)
    labels = np.array([token_label(t) for t in tokens])
    drawn = []
    for r, stage in enumerate(stages, start=1):
        for name, norms in curves[stage].items():
            y = _positive(norms)
            if relative:
                y = y / y[-1]
            drawn.append(y)
            fig.add_trace(go.Scatter(
                x=steps, y=y, customdata=labels, mode="lines+markers", name=name, legendgroup=name,
                showlegend=r == 1, line=dict(color=ARCH_COLOURS.get(name), width=3), marker=dict(size=6),
                hovertemplate=_hover(f"{name}, {stage}", f"{GRAD} / ‖∂L/∂h<sub>T</sub>‖" if relative else GRAD)),
                row=r, col=1)
        _token_axis(fig, tokens, row=r, col=1, title=r == len(stages))
    label = f"{GRAD} / ‖∂L/∂h<sub>T</sub>‖" if relative else GRAD
    _log_axis(fig, label, *drawn)
    fig.update_annotations(font=dict(size=18))
    fig.update_layout(legend=dict(orientation="h", y=1.06, yanchor="bottom", x=1, xanchor="right"))
    return _layout(fig, 330 * len(stages) + 60), G.curves_table(tokens, curves)


def scaled_rnn_figure(tokens: list[str], norms: np.ndarray, reference: np.ndarray, factor: float,
                      rho: float, rho_ref: float) -> tuple[go.Figure, pd.DataFrame]:
    """The vanilla RNN's ‖∂L/∂h_t‖ with W_hh × factor (solid), and with W_hh as it is (dashed). Table: both curves."""
    steps = np.arange(1, len(tokens) + 1)
    labels = np.array([token_label(t) for t in tokens])
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=steps, y=_positive(reference), customdata=labels, mode="lines", name=f"W_hh × 1 (ρ = {rho_ref:.2f})",
        line=dict(color="grey", width=2, dash="dash"), hovertemplate=_hover("W_hh × 1")))
    fig.add_trace(go.Scatter(
        x=steps, y=_positive(norms), customdata=labels, mode="lines+markers",
        name=f"W_hh × {factor:g} (ρ = {rho:.2f})", line=dict(color=ARCH_COLOURS["Vanilla RNN"], width=3),
        marker=dict(size=7), hovertemplate=_hover(f"W_hh × {factor:g}")))
    _token_axis(fig, tokens)
    _log_axis(fig, GRAD, norms, reference)
    fig.update_layout(legend=dict(orientation="h", y=1.02, yanchor="bottom", x=1, xanchor="right"))
    for tr in fig.data:
        tr.name = math_label(tr.name)
    table = G.curves_table(tokens, {f"W_hh x {factor:g}": {"Vanilla RNN": norms}, "W_hh x 1": {"Vanilla RNN": reference}})
    return _layout(fig, 420), table


def jacobian_products_figure(tokens: list[str], jac: G.RNNJacobians,
                             k: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Going back from T: ‖J_T ... J_{t+1}‖ (the bound), ‖∂L/∂h_t‖ / ‖∂L/∂h_T‖ (what the gradient
    does), and ‖J_t‖ (one step's Jacobian), all on one log axis; a line at step k. Table: G.jacobian_table."""
    table = G.jacobian_table(tokens, jac)
    products, grad_ratio, step_norms = (table[c].to_numpy() for c in
                                        ("||J_T...J_(t+1)||", "||dL/dh_t|| / ||dL/dh_T||", "||J_t||"))
    steps = np.arange(1, len(tokens) + 1)
    labels = np.array([token_label(t) for t in tokens])
    fig = go.Figure()
    series = [
        ("‖J<sub>T</sub> ⋯ J<sub>t+1</sub>‖ (bound)", products, dict(color="black", width=3), "lines+markers"),
        ("‖∂L/∂h<sub>t</sub>‖ / ‖∂L/∂h<sub>T</sub>‖ (actual)", grad_ratio,
         dict(color=ARCH_COLOURS["Vanilla RNN"], width=3), "lines+markers"),
        ("‖J<sub>t</sub>‖ (one step)", step_norms, dict(color="grey", width=2, dash="dot"), "lines"),
    ]
    for name, y, line, mode in series:
        fig.add_trace(go.Scatter(x=steps, y=_positive(y), customdata=labels, mode=mode, name=name, line=line,
                                 marker=dict(size=6), hovertemplate=_hover(name, "value")))
    if k is not None:
        fig.add_vline(x=k, line=dict(color=OKABE_ITO[1], width=3), annotation_text=f"k = {k}",
                      annotation_font=dict(size=16), annotation_position="top")
    _token_axis(fig, tokens)
    _log_axis(fig, "spectral norm", products, grad_ratio, step_norms)
    fig.update_layout(legend=dict(orientation="h", y=1.08, yanchor="bottom", x=1, xanchor="right"))
    return _layout(fig, 440), table


def jacobian_heatmap(jac: G.RNNJacobians, t: int) -> tuple[go.Figure, pd.DataFrame]:
    """J_t = diag(1 - h_t²) W_hh beside its factors: the column 1 - h_t² (Viridis, [0, 1]) and W_hh.

    W_hh and J_t share one diverging scale fixed by max |W_hh|; since 0 ≤ 1 - h² ≤ 1, J_t is W_hh
    with each row i faded by 1 - h_t[i]², and never brighter. Table: G.jacobian_matrix_table.
    """
    slope, W_hh, J = jac.slope[t - 1], jac.W_hh, jac.J[t - 1]
    H = W_hh.shape[0]
    units = np.arange(H)
    bound = float(np.abs(W_hh).max()) or 1.0
    fig = make_subplots(rows=1, cols=3, column_widths=[0.06, 0.47, 0.47], horizontal_spacing=0.04,
                        shared_yaxes=True,
                        subplot_titles=[math_label(f"1 - h_{t}²"), math_label("W_hh"),
                                        math_label(f"J_{t} = diag(1 - h_{t}²) W_hh")])
    fig.add_trace(go.Heatmap(
        z=slope[:, None], x=["1 − h²"], y=units, colorscale=SEQUENTIAL, zmin=0, zmax=1,
        colorbar=dict(title="1 − h²", x=1.01, y=0.78, len=0.45, tickvals=[0, 0.5, 1]),
        hovertemplate="unit i = %{y}<br>1 − h<sub>t</sub>[i]² = %{z:.4f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Heatmap(
        z=W_hh, x=units, y=units, colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0,
        colorbar=dict(title="W, J", x=1.01, y=0.25, len=0.45),
        hovertemplate="row i = %{y}, column j = %{x}<br>W<sub>hh</sub>[i, j] = %{z:.4f}<extra></extra>"),
        row=1, col=2)
    fig.add_trace(go.Heatmap(
        z=J, x=units, y=units, customdata=np.repeat(slope[:, None], H, axis=1), colorscale=DIVERGING,
        zmin=-bound, zmax=bound, zmid=0, showscale=False,
        hovertemplate=("row i = %{y}, column j = %{x}<br>J[i, j] = (1 − h[i]²) · W<sub>hh</sub>[i, j]"
                       "<br>= %{customdata:.4f} × W<sub>hh</sub>[i, j] = %{z:.4f}<extra></extra>")),
        row=1, col=3)
    tick = dict(dtick=4 if H > 16 else 1)
    fig.update_yaxes(autorange=False, range=[H - 0.5, -0.5], **tick)  # row 0 on top, no padding
    fig.update_yaxes(title=math_label("row i (unit of h_t)"), row=1, col=1)
    for c in (2, 3):
        fig.update_xaxes(title=math_label("column j (unit of h_{t-1})"), range=[-0.5, H - 0.5], row=1, col=c, **tick)
    fig.update_xaxes(showticklabels=False, row=1, col=1)
    fig.update_annotations(font=dict(size=18))
    fig = _layout(fig, 560)
    fig.update_layout(margin=dict(t=60))
    return fig, G.jacobian_matrix_table(jac, t)


# -- numbers in the lesson's sentences (st.markdown with LaTeX) ------------------------------------------
def listed(by_name: dict, field: str) -> str:
    """'Vanilla RNN $0.001$, LSTM $0.5$, ...': one field of each model's G.Reach."""
    return ", ".join(f"{name} ${tex_number(getattr(x, field))}$" for name, x in by_name.items())


def kept(p: G.MemoryPath) -> str:
    """What a gated cell's direct path keeps, in words (G.memory_path)."""
    return (f"${p.gate}_t$ averages {p.mean:.2f}, and $\\prod_t {p.gate}_t = {tex_number(p.product_median)}$ for the "
            f"median unit, ${tex_number(p.product_max)}$ for the unit that keeps the most")
