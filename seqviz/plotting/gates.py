"""Figures and write-outs for the LSTM and GRU gates lesson: traces in, figures and strings out.

No streamlit, no model. Colour language as in seqviz.plotting: sigmoid gates (i, f, o; r, z) on
sequential Viridis fixed to [0, 1]; tanh outputs (g, n) and h_t on diverging RdBu fixed to [-1, 1];
the LSTM cell state c_t, which is unbounded, on the same diverging scale with a symmetric range
fixed per input (so moving the step never rescales it).

    fig = gates_grid(trace.first, trace.tokens, t=5, unit=3)
    st.latex(gate_latex(trace.first, "f", t=5, unit=3))
"""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from plotly.utils import PlotlyJSONEncoder

from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, hline, layout, math_label, subplots, token_label, trace_ref
from seqviz.plotting.palette import HIGHLIGHT, UNIT_OUTLINE
from seqviz.models.recurrent import CellTrace, RecurrentTrace

GATE_INFO = {  # name -> (what it is, its squashing function)
    "i": ("input gate", "σ"), "f": ("forget gate", "σ"), "g": ("candidate", "tanh"), "o": ("output gate", "σ"),
    "r": ("reset gate", "σ"), "z": ("update gate", "σ"), "n": ("candidate", "tanh"),
}
STATE_INFO = {"c": "cell state", "h": "hidden state"}
MEMORY_GATE = {"lstm": "f", "gru": "z"}  # the gate on the state's direct path, the one the lesson forces
EQUATIONS = {  # cell -> its equations for st.latex, in PyTorch's form (the GRU's reset gate on W_hn h + b_hn)
    "lstm": r"""\begin{aligned}
i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) && \text{input gate} \\
f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) && \text{forget gate} \\
g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) && \text{candidate} \\
o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) && \text{output gate} \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)
\end{aligned}""",
    "gru": r"""\begin{aligned}
r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) && \text{reset gate} \\
z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) && \text{update gate} \\
n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) && \text{candidate} \\
h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}
\end{aligned}""",
}


def mean_sigmoid_gates(cell: CellTrace, start: int = 2) -> dict[str, float]:
    """Each σ gate's mean over steps start..T and every unit (from 2: the steps after the symbol)."""
    return {g: float(cell.gates[g][start - 1:].mean()) for g in cell.gate_names if is_sigmoid(g)}
LATEX_FN = {"σ": r"\sigma", "tanh": r"\tanh"}


def is_sigmoid(name: str) -> bool:
    return GATE_INFO.get(name, ("", ""))[1] == "σ"


def cell_bound(cell: CellTrace) -> float:
    """Symmetric colour range for c_t: at least 1, fixed for the whole input."""
    return float(max(1.0, np.abs(cell.cell).max())) if cell.cell is not None else 1.0


def _panels(cell: CellTrace) -> list[str]:
    """What the grid draws, in reading order: every gate, then c_t (LSTM) and h_t."""
    return [*cell.gate_names, *(["c"] if cell.cell is not None else []), "h"]


def _values(cell: CellTrace, name: str) -> np.ndarray:
    """(T, H) values of a gate, or of the state c or h."""
    if name in ("c", "h"):
        return cell.cell if name == "c" else cell.hidden
    return cell.gates[name]


MAX_LABELS = 50  # characters labelled on a time axis; a longer text gets every k-th label


def _token_axis(tokens: list[str], size: int, title: bool, max_labels: int = MAX_LABELS) -> dict:
    """The time axis of a gates figure as an axis dict: steps 1..T labelled with their characters; a long
    text gets every k-th label so none overlap."""
    T = len(tokens)
    ticks = list(range(1, T + 1, max(1, math.ceil(T / max_labels))))
    return dict(tickmode="array", tickvals=ticks, ticktext=[token_label(tokens[s - 1]) for s in ticks], tickangle=0,
                tickfont=dict(size=size), title=dict(text=f"input character {math_label('x_t')}" if title else None))


def panel_title(name: str) -> str:
    label = GATE_INFO[name][0] if name in GATE_INFO else STATE_INFO[name]
    return f"{math_label(name + '_t')}: {label}"


def _scale(name: str, cell: CellTrace) -> dict:
    """The fixed colour scale of a panel: σ gates [0, 1] sequential; tanh outputs and h [-1, 1]
    diverging; c diverging, symmetric, fixed for this input."""
    if is_sigmoid(name):
        return dict(colorscale=SEQUENTIAL, zmin=0, zmax=1)
    bound = cell_bound(cell) if name == "c" else 1.0
    return dict(colorscale=DIVERGING, zmin=-bound, zmax=bound, zmid=0)


@functools.lru_cache(maxsize=32)
def _grid(rows: int, titles: tuple[str, ...]) -> tuple[str, tuple[tuple[str, str, tuple, tuple], ...]]:
    """The subplot grid of gates_grid, made once per shape: (its layout as JSON, and per panel its x and
    y axis ids and domains). make_subplots and every per-subplot update re-validate the whole figure;
    the grid's geometry never changes for a cell type, so it is computed once and copied."""
    fig = make_subplots(rows=rows, cols=2, subplot_titles=list(titles), shared_xaxes=True, shared_yaxes=True,
                        vertical_spacing=0.28 / rows, horizontal_spacing=0.1)
    panels = []
    for k in range(len(titles)):
        sub = fig.get_subplot(k // 2 + 1, k % 2 + 1)
        panels.append((sub.xaxis.plotly_name.replace("axis", ""), sub.yaxis.plotly_name.replace("axis", ""),
                       tuple(sub.xaxis.domain), tuple(sub.yaxis.domain)))
    return json.dumps(fig.layout.to_plotly_json(), cls=PlotlyJSONEncoder), tuple(panels)


def gates_grid(cell: CellTrace, tokens: list[str], t: int | None = None,
               unit: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """Every gate, c_t and h_t of one cell as units x time heatmaps, two to a row, each with its own
    colour bar on its fixed scale (see _scale). Step t and unit (0-based) are outlined if given.
    Table: gates_frame. Built as plain dicts on a cached grid (_grid), checked by plotly once."""
    names = _panels(cell)
    rows = math.ceil(len(names) / 2)
    T, H = cell.hidden.shape
    grid, panels = _grid(rows, tuple(panel_title(n) for n in names))
    lay = json.loads(grid)
    steps, units = np.arange(1, T + 1), np.arange(H)
    custom = np.array([[token_label(tok) for tok in tokens]] * H)  # (H, T)
    data, shapes = [], []
    outline = dict(color=UNIT_OUTLINE, width=2)
    for k, name in enumerate(names):
        r, c = k // 2 + 1, k % 2 + 1
        x, y, xd, yd = panels[k]
        ticks = [0, 0.5, 1] if is_sigmoid(name) else None if name == "c" else [-1, 0, 1]
        data.append(dict(type="heatmap", z=_values(cell, name).T, x=steps, y=units, customdata=custom, **_scale(name, cell),
                         hovertemplate=f"t = %{{x}} ('%{{customdata}}')<br>unit %{{y}}<br>{name} = %{{z:.3f}}<extra></extra>",
                         xaxis=x, yaxis=y,
                         colorbar=dict(x=xd[1] + 0.01, xanchor="left", y=(yd[0] + yd[1]) / 2, len=yd[1] - yd[0],
                                       thickness=12, tickvals=ticks, tickfont=dict(size=12))))
        lay[x.replace("x", "xaxis", 1)].update(_token_axis(tokens, 12, r == rows, max_labels=25))
        lay[y.replace("y", "yaxis", 1)].update(autorange="reversed", title=dict(text="unit" if c == 1 else None))
        if t is not None:
            shapes.append(dict(type="rect", xref=x, yref=f"{y} domain", x0=t - 0.5, x1=t + 0.5, y0=0, y1=1, line=outline))
        if unit is not None:
            shapes.append(dict(type="rect", xref=f"{x} domain", yref=y, x0=0, x1=1, y0=unit - 0.5, y1=unit + 0.5,
                               line=outline))
    for note in lay.get("annotations", []):
        note.setdefault("font", {})["size"] = 18
    # the top row's 18 px titles sit above the plot: room, or they are cut off
    lay.update(layout(110 + rows * (70 + 8 * H), margin=dict(l=10, r=10, t=45, b=10)), shapes=shapes)
    return figure(data, lay), gates_frame(cell, tokens)


def gates_frame(cell: CellTrace, tokens: list[str]) -> pd.DataFrame:
    """The numbers behind gates_grid, one row per step and unit: t, character, unit, every gate, c, h."""
    T, H = cell.hidden.shape
    df = pd.DataFrame({"t": np.repeat(np.arange(1, T + 1), H), "character": np.repeat(tokens, H),
                       "unit": np.tile(np.arange(H), T)})
    for name in _panels(cell):
        df[name] = _values(cell, name).reshape(-1)
    return df


@functools.lru_cache(maxsize=8)
def _rows(titles: tuple[str, ...]) -> str:
    """unit_lines' stacked rows (shared time axis), as layout JSON made once per set of titles (see _grid)."""
    fig = make_subplots(rows=len(titles), cols=1, shared_xaxes=True, vertical_spacing=0.09, subplot_titles=list(titles))
    return json.dumps(fig.layout.to_plotly_json(), cls=PlotlyJSONEncoder)


def unit_lines(cell: CellTrace, tokens: list[str], unit: int, t: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """One unit over time: its σ gates on [0, 1]; its tanh candidate and h_t on [-1, 1]; and for the
    LSTM its cell state c_t on a range fitted to this unit (c is unbounded). Table: gates_frame's rows of the unit.
    Built as plain dicts on cached rows (_rows), checked by plotly once."""
    names = _panels(cell)
    groups = [[n for n in names if is_sigmoid(n)], [n for n in names if not is_sigmoid(n) and n != "c"]]
    titles = ["gates (σ: between 0 and 1)", "candidate and hidden state (tanh: between -1 and 1)"]
    if cell.cell is not None:
        groups.append(["c"])
        titles.append("cell state (no bound)")
    lay = json.loads(_rows(tuple(titles)))
    steps = np.arange(1, len(tokens) + 1)
    custom = [token_label(tok) for tok in tokens]
    data = []
    for row, group in enumerate(groups, start=1):
        axis = "" if row == 1 else str(row)
        for name in group:
            k = names.index(name)
            label = GATE_INFO[name][0] if name in GATE_INFO else STATE_INFO[name]
            data.append(dict(
                type="scatter", x=steps, y=_values(cell, name)[:, unit], mode="lines+markers",
                name=f"{math_label(name + '_t')} {label}", xaxis=f"x{axis}", yaxis=f"y{axis}",
                line=dict(color=OKABE_ITO[k % len(OKABE_ITO)], width=3, dash="dot" if name in ("g", "n") else "solid"),
                marker=dict(size=6), customdata=custom,
                hovertemplate=f"t = %{{x}} ('%{{customdata}}')<br>{name}[{unit}] = %{{y:.3f}}<extra></extra>"))
        lay[f"xaxis{axis}"].update(_token_axis(tokens, 14, row == len(groups)))
    lay["yaxis"].update(range=[-0.05, 1.05])
    lay["yaxis2"].update(range=[-1.05, 1.05], zeroline=True)
    if cell.cell is not None:
        bound = max(1.0, float(np.abs(cell.cell[:, unit]).max()))
        lay["yaxis3"].update(range=[-bound * 1.05, bound * 1.05], zeroline=True)
    if t is not None:  # a dashed line at step t in every row
        lay["shapes"] = [dict(type="line", xref=f"x{a}", yref=f"y{a} domain", x0=t, x1=t, y0=0, y1=1,
                              line=dict(color="black", width=2, dash="dash"))
                         for a in ("" if row == 1 else str(row) for row in range(1, len(groups) + 1))]
    for note in lay.get("annotations", []):
        note.setdefault("font", {})["size"] = 17
    lay.update(layout(120 + 200 * len(groups), legend=dict(orientation="h", y=1.04, yanchor="bottom", x=0)))
    df = gates_frame(cell, tokens)
    return figure(data, lay), df[df["unit"] == unit].reset_index(drop=True)


def answer_bars(probs: dict[str, np.ndarray], class_names: list[str],
                truth: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The answer p(symbol | whole text) as bars, one series per label (e.g. before / after an
    intervention), on the fixed [0, 1] range, with the dashed line at chance 1/C. Table: symbol, each series."""
    data = [dict(type="bar", x=class_names, y=np.asarray(p), name=label, marker=dict(color=OKABE_ITO[k]),
                 text=[f"{v:.2f}" if v >= 0.005 else "" for v in p], textposition="outside",
                 hovertemplate=f"{label}<br>%{{x}}: p = %{{y:.4f}}<extra></extra>")
            for k, (label, p) in enumerate(probs.items())]
    C = len(class_names)
    x = dict(title=dict(text="symbol"), tickfont=dict(size=17))
    if truth is not None:
        x.update(ticktext=[f"<b>{c}</b><br>true" if i == truth else c for i, c in enumerate(class_names)],
                 tickvals=class_names)
    lay = layout(380, xaxis=x, yaxis=dict(range=[0, 1.12], title=dict(text="probability"), tickvals=[0, 0.25, 0.5, 0.75, 1]),
                 barmode="group", showlegend=len(probs) > 1, legend=dict(orientation="h", y=1.02, yanchor="bottom", x=0),
                 shapes=[hline(1 / C, dash="dash", color="gray")],
                 annotations=[dict(x=1, xref="paper", xanchor="left", y=1 / C, yanchor="middle", showarrow=False,
                                   text=f"chance<br>1/{C}", font=dict(color="gray", size=14))])  # right of the plot: no bar hides it
    lay["margin"]["r"] = 70
    return figure(data, lay), pd.DataFrame({"symbol": class_names, **{label: np.asarray(p) for label, p in probs.items()}})


def step_probs_figure(trace: RecurrentTrace, truth: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """trace.step_probs: the answer the model would give if the text ended at step t, over time.
    Table: t, character, each symbol's probability."""
    T, C = trace.step_probs.shape
    heat = dict(type="heatmap", z=trace.step_probs.T, x=np.arange(1, T + 1), y=np.arange(C), colorscale=SEQUENTIAL,
                zmin=0, zmax=1, customdata=np.array([[token_label(tok) for tok in trace.tokens]] * C),
                colorbar=dict(title=dict(text="p"), tickvals=[0, 0.5, 1]),
                hovertemplate="t = %{x} ('%{customdata}')<br>%{y}: p = %{z:.3f}<extra></extra>")
    lay = layout(380, xaxis=_token_axis(trace.tokens, 14, True, max_labels=20),  # a narrow column: 46 labels would run together
                 yaxis=dict(title=dict(text="symbol"), tickvals=list(range(C)), ticktext=trace.class_names, autorange="reversed"))
    if truth is not None:
        lay["shapes"] = [dict(type="rect", x0=0, x1=1, xref="x domain", y0=truth - 0.5, y1=truth + 0.5, yref="y",
                              line=dict(color=HIGHLIGHT, width=3))]
    table = pd.DataFrame({"t": np.arange(1, T + 1), "character": list(trace.tokens)}).join(
        pd.DataFrame(trace.step_probs, columns=trace.class_names))
    return figure([heat], lay), table


def state_before_after(before: CellTrace, after: CellTrace, tokens: list[str], state: str,
                       changed: tuple[int, ...] = ()) -> tuple[go.Figure, pd.DataFrame]:
    """One state (c or h), units x time, as trained (top) and with an intervention (bottom), on one
    colour range; units the intervention touches are marked on the axis. Table: t, character, unit, both."""
    a, b = _values(before, state), _values(after, state)
    bound = 1.0 if state == "h" else float(max(1.0, np.abs(a).max(), np.abs(b).max()))
    T, H = a.shape
    lay, panels = subplots(2, 1, (f"{math_label(state + '_t')} as trained", f"{math_label(state + '_t')} with the intervention"),
                           shared_xaxes=True, vertical_spacing=0.1)
    custom = np.array([[token_label(tok) for tok in tokens]] * H)
    changed = sorted(u for u in set(changed) if 0 <= u < H)
    data = []
    for row, (values, axes) in enumerate(zip((a, b), panels), start=1):
        data.append(dict(type="heatmap", z=values.T, x=np.arange(1, T + 1), y=np.arange(H), customdata=custom,
                         coloraxis="coloraxis", **trace_ref(axes),
                         hovertemplate=f"t = %{{x}} ('%{{customdata}}')<br>unit %{{y}}<br>{state} = %{{z:.3f}}<extra></extra>"))
        if changed:  # ▶ at the left edge of every row the intervention touches
            data.append(dict(type="scatter", x=[0.5] * len(changed), y=changed, mode="markers", showlegend=False,
                             cliponaxis=False, **trace_ref(axes),
                             marker=dict(symbol="triangle-right", size=11, color=HIGHLIGHT, line=dict(color="black", width=1)),
                             hovertemplate="unit %{y}: changed<extra></extra>"))
        lay[axes[1]].update(range=[H - 0.5, -0.5], title=dict(text="unit"), dtick=max(1, H // 16))  # unit 0 on top
        lay[axes[0]].update(range=[0.5, T + 0.5], **_token_axis(tokens, 14, row == 2))
    for note in lay["annotations"]:
        note["font"] = dict(size=17)
    lay.update(layout(160 + 2 * (40 + 9 * H)),
               coloraxis=dict(colorscale=DIVERGING, cmin=-bound, cmax=bound, colorbar=dict(title=dict(text=state))))
    lay["margin"]["t"] = 45  # room for the top panel's title above the plot
    fig = figure(data, lay)
    table = pd.DataFrame({"t": np.repeat(np.arange(1, T + 1), H), "character": np.repeat(tokens, H),
                          "unit": np.tile(np.arange(H), T), f"{state} as trained": a.reshape(-1),
                          f"{state} with the intervention": b.reshape(-1)})
    return fig, table


# -- the equations with the real numbers, for st.latex -------------------------------------------
def _tex(name: str) -> str:
    """Our code's names as LaTeX: "W_hf h_{t-1}" -> "W_{hf} h_{t-1}"."""
    return " ".join(part if "{" in part or "_" not in part else "{}_{{{}}}".format(*part.split("_", 1))
                    for part in name.split(" "))


def _num(v: float) -> str:
    """A number inside a sum or product: negatives in brackets, so "+ (-0.049)" never reads as "+ -"."""
    return f"({v:.3f})" if v < 0 else f"{v:.3f}"


def gate_latex(cell: CellTrace, gate: str, t: int, unit: int) -> str:
    """One gate at step t (1-based) for one unit, every term with its number:
    f_t[j] = σ((W_if x_t)[j] + b_if[j] + (W_hf h_{t-1})[j] + b_hf[j]) = σ(pre) = value.
    For the GRU's n, r_t[j] multiplies the last two terms, as in the code."""
    eq = cell.equation(gate)
    names, vals = list(eq), [float(v[t - 1, unit]) for v in eq.values()]
    fn = LATEX_FN[GATE_INFO[gate][1]]
    brace = []
    for k, (name, v) in enumerate(zip(names[:4], vals[:4])):
        label = _tex(name) if k % 2 else f"({_tex(name)})"  # biases are vectors; the products get brackets
        brace.append(rf"\underbrace{{{f'{v:.3f}' if k == 0 else _num(v)}}}_{{{label}[{unit}]}}")
    if gate == "n":
        r = float(cell.gates["r"][t - 1, unit])
        inner = rf"{brace[0]} + {brace[1]} + \underbrace{{{r:.3f}}}_{{r_t[{unit}]}} \cdot \left({brace[2]} + {brace[3]}\right)"
    else:
        inner = " + ".join(brace)
    value = float(cell.gates[gate][t - 1, unit])
    return rf"{gate}_{{{t}}}[{unit}] = {fn}\left({inner}\right) = {fn}({vals[4]:.3f}) = {value:.3f}"


def state_latex(cell: CellTrace, t: int, unit: int) -> list[str]:
    """The state updates at step t for one unit, with numbers (for one unit ⊙ is a plain product):
    LSTM c_t = f_t c_{t-1} + i_t g_t and h_t = o_t tanh(c_t); GRU h_t = (1 - z_t) n_t + z_t h_{t-1}."""
    i, j = t - 1, unit
    g = {k: float(v[i, j]) for k, v in cell.gates.items()}
    h_prev = float(cell.h_prev[i, j])
    h = float(cell.hidden[i, j])
    p = t + 1 if cell.reverse else t - 1  # the step the cell comes from
    if cell.cell is not None:
        k = i + 1 if cell.reverse else i - 1
        c_prev = float(cell.cell[k, j]) if 0 <= k < len(cell.cell) else 0.0  # c_0 = 0
        c = float(cell.cell[i, j])
        return [
            rf"c_{{{t}}}[{j}] = f_{{{t}}}[{j}]\, c_{{{p}}}[{j}] + i_{{{t}}}[{j}]\, g_{{{t}}}[{j}]"
            rf" = {_num(g['f'])} \cdot {_num(c_prev)} + {_num(g['i'])} \cdot {_num(g['g'])} = {c:.3f}",
            rf"h_{{{t}}}[{j}] = o_{{{t}}}[{j}]\, \tanh(c_{{{t}}}[{j}]) = {_num(g['o'])} \cdot \tanh({c:.3f}) = {h:.3f}",
        ]
    return [rf"h_{{{t}}}[{j}] = (1 - z_{{{t}}}[{j}])\, n_{{{t}}}[{j}] + z_{{{t}}}[{j}]\, h_{{{p}}}[{j}]"
            rf" = (1 - {g['z']:.3f}) \cdot {_num(g['n'])} + {g['z']:.3f} \cdot {_num(h_prev)} = {h:.3f}"]
