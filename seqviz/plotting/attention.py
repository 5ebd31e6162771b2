"""Figures and written-out equations for the attention lesson (pages/attention_basics.py).

Pure builders: arrays from seqviz.models.attention in, `(figure, table)` out (the table is the numbers
behind the figure, for its CSV), or LaTeX strings; no streamlit.

Every figure is built as plain dicts (traces, axes, the subplot layout from plotting.subplots) and checked
by plotly once (plotting.figure): building them trace by trace and axis by axis re-validated the whole
figure at every call, most of the lesson's rerun.

Colours follow the app's language: signed matrices (X, weights, Q, K, V, scores, outputs) on the diverging
scale centred on 0 with a symmetric range fixed by the matrix (or group of matrices) shown; attention
weights on the sequential scale fixed to [0, 1]. Masked score cells are grey and read "−∞"; after the
softmax they read an exact "0". Words typed by the learner are HTML-escaped before plotly sees them
(plotly renders a few tags in labels), and never reach a LaTeX string: the equations use indices.
"""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.models.attention import AttentionSteps, dot_product_spread
from seqviz.plotting import DIVERGING, OKABE_ITO, SEQUENTIAL, figure, layout, math_label, subplots, trace_ref, vline

from seqviz.plotting.palette import HIGHLIGHT, MASK_GREY  # noqa: E402
MINUS_INF = "−∞"
STAGE_NAMES = {  # stage -> (title, value name in the hover)
    "raw": ("scores S", "s<sub>ij</sub>"),
    "scaled": ("scaled scores S / √d<sub>k</sub>", "s<sub>ij</sub> / √d<sub>k</sub>"),
    "logits": ("masked, divided by τ: Z", "z<sub>ij</sub>"),
    "weights": ("attention weights A = softmax(Z)", "α<sub>ij</sub>"),
}


# -- labels -----------------------------------------------------------------------------------------
def word_label(word: str, max_len: int = 12) -> str:
    """A learner's word, safe for plotly (which renders <b>, <a>, ... in text) and short enough for an axis."""
    short = word if len(word) <= max_len else word[: max_len - 1] + "…"
    return html.escape(short)


def markdown_literal(text: str) -> str:
    """A learner's text for st.markdown / st.header: every markdown, LaTeX and HTML character escaped."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>$~&:\"'])", r"\\\1", text)


def _signed_bound(*arrays: np.ndarray) -> float:
    finite = [np.abs(a[np.isfinite(a)]) for a in arrays if np.isfinite(a).any()]
    return float(max([1e-9] + [f.max() for f in finite]))


def _cell_text(M: np.ndarray, allowed: np.ndarray | None, masked_text: str, fmt: str = "{:.2f}") -> np.ndarray:
    text = np.array([[fmt.format(v) for v in row] for row in M], dtype=object)
    if allowed is not None:
        text[~allowed] = masked_text
    return text


def _hover(M, row_desc, col_desc, value_name, allowed=None, masked_note="") -> np.ndarray:
    out = np.empty(M.shape, dtype=object)
    for i, r in enumerate(row_desc):
        for j, c in enumerate(col_desc):
            if allowed is not None and not allowed[i, j]:
                value = masked_note
            else:
                value = f"{value_name} = {M[i, j]:.4f}"
            out[i, j] = f"row: {r}<br>column: {c}<br>{value}"
    return out


def _describe_words(words: list[str], role: str, index: str) -> list[str]:
    return [f"{role} '{word_label(w, 20)}' ({index}={k})" for k, w in enumerate(words, start=1)]


def _matrix_traces(M, rows, cols, row_desc, col_desc, value_name, *, kind="signed", bound=None,
                   allowed=None, masked_text=MINUS_INF, masked_note="", showscale=True, colorbar_title=""):
    """The heatmap (plus a grey overlay for masked cells) for one matrix, as trace dicts; rows and cols are 1..n."""
    M = np.asarray(M, dtype=float)
    n_rows, n_cols = M.shape
    x, y = np.arange(1, n_cols + 1), np.arange(1, n_rows + 1)
    visible = M.copy()
    if allowed is not None:
        visible[~allowed] = np.nan  # drawn by the overlay instead
    if kind == "prob":
        scale = dict(colorscale=SEQUENTIAL, zmin=0, zmax=1)
        if allowed is not None:
            visible = M.copy()  # exact zeros after the softmax are real values: drawn in colour
    else:
        b = bound if bound is not None else _signed_bound(visible)
        scale = dict(colorscale=DIVERGING, zmin=-b, zmax=b, zmid=0)
    show_text = n_cols <= 10
    hover = _hover(M, row_desc, col_desc, value_name, allowed, masked_note)
    heat = dict(type="heatmap", z=visible, x=x, y=y, **scale, xgap=1, ygap=1, textfont=dict(size=15), customdata=hover,
                hovertemplate="%{customdata}<extra></extra>", showscale=showscale)
    if show_text:
        heat.update(text=_cell_text(M, allowed, masked_text), texttemplate="%{text}")
    if showscale:
        heat["colorbar"] = dict(title=dict(text=colorbar_title), len=0.9)
    traces = [heat]
    if allowed is not None and kind != "prob" and (~allowed).any():
        grey = np.where(allowed, np.nan, 0.0)
        traces.append(dict(
            type="heatmap", z=grey, x=x, y=y, colorscale=[[0, MASK_GREY], [1, MASK_GREY]], showscale=False, xgap=1,
            ygap=1, text=np.where(allowed, "", masked_text), texttemplate="%{text}", textfont=dict(size=17),
            customdata=hover, hovertemplate="%{customdata}<extra></extra>"))
    return traces


def _axes(rows, cols, row_title, col_title, show_rows=True) -> tuple[dict, dict]:
    """The x axis (column numbers or words, on top) and the y axis (rows, top down) of one matrix panel."""
    x = dict(tickmode="array", tickvals=list(range(1, len(cols) + 1)), ticktext=cols, side="top",
             tickfont=dict(size=15), showgrid=False, zeroline=False)
    if col_title:
        x["title"] = dict(text=col_title, standoff=4)
    y = dict(tickmode="array", tickvals=list(range(1, len(rows) + 1)), ticktext=rows if show_rows else [""] * len(rows),
             autorange="reversed", tickfont=dict(size=15), showgrid=False, zeroline=False)
    if show_rows:
        y["title"] = dict(text=row_title)
    return x, y


def _panels(lay: dict, height: int) -> dict:
    """The shared layout over a `subplots` layout, with its subplot titles raised above the column numbers,
    which sit on top of each panel."""
    for note in lay["annotations"]:
        note.update(yshift=30, font=dict(size=18))
    return {**lay, **layout(height), "margin": dict(l=10, r=10, t=90, b=10)}


def _height(n_rows: int) -> int:
    return 130 + 44 * n_rows


def matrix_table(M: np.ndarray, words: list[str], letter: str) -> pd.DataFrame:
    """One row a word: i, word, then the components letter1..letterN (x1, q1, o1, ...)."""
    df = pd.DataFrame(M, columns=[f"{letter}{c}" for c in range(1, M.shape[1] + 1)])
    df.insert(0, "word", list(words))
    df.insert(0, "i", range(1, len(words) + 1))
    return df


def square_table(M: np.ndarray, words: list[str]) -> pd.DataFrame:
    """A T x T stage: one row a query i, one column a key j."""
    df = pd.DataFrame(M, columns=[f"key {j} ({w})" for j, w in enumerate(words, start=1)])
    df.insert(0, "query word", list(words))
    df.insert(0, "i", range(1, len(words) + 1))
    return df


# -- the figures ------------------------------------------------------------------------------------
def weights_figure(W_Q: np.ndarray, W_K: np.ndarray, W_V: np.ndarray) -> tuple[go.Figure, pd.DataFrame]:
    """The three projection matrices side by side (d_model rows, one column per output component)."""
    mats = {"W_Q": W_Q, "W_K": W_K, "W_V": W_V}
    bound = _signed_bound(*mats.values())
    titles = [f"{math_label(n)} ({W.shape[0]}×{W.shape[1]})" for n, W in mats.items()]
    lay, panels = subplots(1, 3, titles, horizontal_spacing=0.04)
    data = []
    for c, ((name, W), axes) in enumerate(zip(mats.items(), panels), start=1):
        rows = [str(r) for r in range(1, W.shape[0] + 1)]
        cols = [str(k) for k in range(1, W.shape[1] + 1)]
        for tr in _matrix_traces(W, rows, cols, [f"input component {r}" for r in rows],
                                 [f"output component {k}" for k in cols], math_label(name) + "[r, c]",
                                 bound=bound, showscale=c == 3, colorbar_title="weight"):
            data.append({**tr, **trace_ref(axes)})
        x, y = _axes(rows, cols, "row r", None, show_rows=c == 1)
        lay[axes[0]].update(x)
        lay[axes[1]].update(y)
    table = pd.DataFrame({f"{name}[r,{c}]": M[:, c - 1] for name, M in mats.items() for c in range(1, M.shape[1] + 1)})
    table.insert(0, "r", range(1, W_Q.shape[0] + 1))
    return figure(data, _panels(lay, _height(W_Q.shape[0]) + 50)), table


def vectors_figure(M: np.ndarray, words: list[str], name: str,
                   bound: float | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """One row a word (X or the output O), columns its components."""
    rows = [word_label(w) for w in words]
    cols = [str(k) for k in range(1, M.shape[1] + 1)]
    row_name = {"X": "x", "O": "o"}.get(name, name.lower())
    data = _matrix_traces(M, rows, cols, _describe_words(words, "word", "i"), [f"component {k}" for k in cols],
                          math_label(f"{row_name}_i") + "[c]", bound=bound, colorbar_title=name)
    x, y = _axes(rows, cols, "word i", f"component of {math_label(row_name + '_i')}")
    return figure(data, layout(_height(len(words)), xaxis=x, yaxis=y)), matrix_table(M, words, row_name)


def qkv_figure(steps: AttentionSteps, words: list[str]) -> tuple[go.Figure, pd.DataFrame]:
    """Q, K and V side by side on one colour scale: row i of each belongs to word i."""
    mats = {"Q = X W_Q": steps.Q, "K = X W_K": steps.K, "V = X W_V": steps.V}
    letters = ["q", "k", "v"]
    bound = _signed_bound(*mats.values())
    lay, panels = subplots(1, 3, [math_label(n) for n in mats], horizontal_spacing=0.05)
    rows = [word_label(w) for w in words]
    data = []
    for c, ((name, M), letter, axes) in enumerate(zip(mats.items(), letters, panels), start=1):
        cols = [str(k) for k in range(1, M.shape[1] + 1)]
        for tr in _matrix_traces(M, rows, cols, _describe_words(words, "word", "i"),
                                 [f"component {k}" for k in cols], math_label(f"{letter}_i") + "[c]",
                                 bound=bound, showscale=c == 3, colorbar_title="value"):
            data.append({**tr, **trace_ref(axes)})
        x, y = _axes(rows, cols, "word i", None, show_rows=c == 1)
        lay[axes[0]].update(x)
        lay[axes[1]].update(y)
    table = pd.concat([matrix_table(steps.Q, words, "q"), matrix_table(steps.K, words, "k").iloc[:, 2:],
                       matrix_table(steps.V, words, "v").iloc[:, 2:]], axis=1)
    return figure(data, _panels(lay, _height(len(words)) + 50)), table


def stage_figure(steps: AttentionSteps, words: list[str], stage: str,
                 query: int | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """One T x T stage: "raw", "scaled", "logits" (masked, divided by tau) or "weights".

    Rows are queries i, columns keys j; `query` (0-based) outlines the row the page follows.
    """
    title, value_name = STAGE_NAMES[stage]
    M = getattr(steps, stage)
    T = len(words)
    labels = [word_label(w) for w in words]
    allowed = steps.allowed if stage in ("logits", "weights") else None
    note = ("masked: key j comes after query i, so z<sub>ij</sub> = −∞" if stage == "logits"
            else "masked: α<sub>ij</sub> = 0 exactly")
    if stage == "weights":
        traces = _matrix_traces(M, labels, labels, _describe_words(words, "query", "i"),
                                _describe_words(words, "key", "j"), value_name, kind="prob",
                                allowed=allowed, masked_text="0", masked_note=note, colorbar_title="α")
    else:
        # S and S / sqrt(d_k) share a range, so the scaling shows as paler colours; Z gets its own.
        bound = _signed_bound(steps.logits) if stage == "logits" else _signed_bound(steps.raw)
        traces = _matrix_traces(M, labels, labels, _describe_words(words, "query", "i"),
                                _describe_words(words, "key", "j"), value_name, bound=bound, allowed=allowed,
                                masked_note=note, colorbar_title="score")
    x, y = _axes(labels, labels, "query word i", "key word j")
    lay = layout(_height(T) + 30, title, xaxis=x, yaxis=y)
    lay["margin"]["t"] = 110
    if query is not None:
        lay["shapes"] = [dict(type="rect", x0=0.5, x1=T + 0.5, y0=query + 0.5, y1=query + 1.5,
                              line=dict(color=HIGHLIGHT, width=4))]
    return figure(traces, lay), square_table(M, words)


def temperature_figure(taus: np.ndarray, weights: np.ndarray, words: list[str], tau: float,
                       query: int) -> tuple[go.Figure, pd.DataFrame]:
    """How query i's (0-based `query`) weights α_ij change with the temperature τ (log axis), one line per
    key j; `taus`, `weights` from models.attention.temperature_curve."""
    query_word = words[query]
    data = [dict(type="scatter", x=taus, y=weights[:, j], mode="lines", name=f"j={j + 1} '{word_label(w)}'",
                 line=dict(width=3, color=OKABE_ITO[j % len(OKABE_ITO)], dash="solid" if j < 8 else "dash"),
                 hovertemplate=f"key '{word_label(w, 20)}' (j={j + 1})<br>τ = %{{x:.2f}}<br>α = %{{y:.3f}}<extra></extra>")
            for j, w in enumerate(words)]
    lay = layout(440, f"weights of query '{word_label(query_word)}' as τ changes",
                 xaxis=dict(type="log", title=dict(text="temperature τ (log scale)"), tickvals=[0.1, 0.2, 0.5, 1, 2, 5, 10]),
                 yaxis=dict(title=dict(text=f"α for query '{word_label(query_word)}'"), range=[-0.02, 1.02]),
                 legend=dict(orientation="h", y=-0.25, yanchor="top"),
                 # the line at τ spans the plot's height (y in paper units); annotations on a log axis take
                 # log10 coordinates, shapes data coordinates
                 shapes=[vline(tau, color="black", width=2, dash="dot")],
                 annotations=[dict(x=math.log10(tau), y=1.02, yref="y", text=f"τ = {tau:g}", showarrow=False,
                                   xanchor="left", xshift=4, font=dict(size=16))])
    table = pd.DataFrame(weights, columns=[f"alpha {query + 1},{j} ({w})" for j, w in enumerate(words, start=1)])
    table.insert(0, "tau", taus)
    return figure(data, lay), table


def spread_figure(d_values) -> tuple[go.Figure, pd.DataFrame]:
    """Spread of q · k for random unit-variance vectors against d_k, before and after dividing by √d_k
    (models.attention.dot_product_spread; the same numbers on every call)."""
    d_values = np.asarray(d_values, dtype=float)
    sd = dot_product_spread(d_values)
    data = [
        dict(type="scatter", x=d_values, y=sd, mode="lines+markers", name="std of q · k",
             line=dict(width=3, color=HIGHLIGHT), hovertemplate="d<sub>k</sub> = %{x}<br>std = %{y:.2f}<extra>q · k</extra>"),
        dict(type="scatter", x=d_values, y=np.sqrt(d_values), mode="lines", name="√d<sub>k</sub>",
             line=dict(width=2, dash="dot", color="black"), hoverinfo="skip"),
        dict(type="scatter", x=d_values, y=sd / np.sqrt(d_values), mode="lines+markers", name="std of q · k / √d<sub>k</sub>",
             line=dict(width=3, color=OKABE_ITO[0]), hovertemplate="d<sub>k</sub> = %{x}<br>std = %{y:.2f}<extra>scaled</extra>"),
    ]
    lay = layout(360, xaxis=dict(type="log", title=dict(text="d<sub>k</sub> (size of q and k, log scale)"), tickvals=d_values),
                 yaxis=dict(title=dict(text="standard deviation")), legend=dict(orientation="h", y=1.02, yanchor="bottom"))
    table = pd.DataFrame({"d_k": d_values.astype(int), "std of q.k": sd, "std of q.k / sqrt(d_k)": sd / np.sqrt(d_values)})
    return figure(data, lay), table


# -- the followed row, written out ----------------------------------------------------------------------
def num(x: float, digits: int = 3) -> str:
    """A number for LaTeX: fixed decimals, scientific for very large or small, −∞ for masked."""
    if x == float("-inf"):
        return r"-\infty"
    if x == 0:
        return "0"
    if x != 0 and (abs(x) >= 1e5 or abs(x) < 10 ** -digits):
        mant, exp = f"{x:.2e}".split("e")
        return rf"{mant} \times 10^{{{int(exp)}}}"
    return f"{x:.{digits}f}"


def vec_latex(v, digits: int = 3) -> str:
    return r"\left(" + ", ".join(num(float(a), digits) for a in v) + r"\right)"


def _split_vec(v, digits: int, per_line: int = 8) -> str:
    """A long vector over several lines of an aligned block: (a, ..., h, \\ i, ..., p)."""
    if len(v) <= per_line:
        return vec_latex(v, digits)
    parts = [", ".join(num(float(a), digits) for a in v[k:k + per_line]) for k in range(0, len(v), per_line)]
    return r"\left(" + r", \right. \\ &\qquad \left. ".join(parts) + r"\right)"


def _paren(x: float, digits: int = 2) -> str:
    s = num(x, digits)
    return f"({s})" if x < 0 else s


def row_equations(steps: AttentionSteps, i: int, expand_up_to: int = 4) -> dict[str, str]:
    """LaTeX for query i (0-based) through every stage, with the actual numbers.

    Keys: "projection", "scores", "logits", "softmax", "output". Symbols match the code: q_i, k_j, v_j, s_{i,j},
    z_{i,j} (what the softmax receives), alpha_{i,j}, o_i; indices are 1-based as on the page.
    """
    T = steps.raw.shape[0]
    n = i + 1
    q = steps.Q[i]
    out = {}
    sep = r", \qquad " if steps.d_k <= 6 else r" \\ "  # a long q_i gets its own line
    out["projection"] = (rf"\begin{{gathered}} x_{{{n}}} = {vec_latex(steps.X[i], 2)}{sep}"
                         rf"q_{{{n}}} = x_{{{n}}} W_Q = {vec_latex(q, 3 if steps.d_k <= 6 else 2)} \end{{gathered}}")
    lines = []
    for j in range(T):
        m = j + 1
        if steps.scoring == "additive":
            a = steps.additive
            pre = rf"v_a^\top \tanh\!\big({vec_latex(a.Wq_q[i])} + {vec_latex(a.Wk_k[j])}\big) = v_a^\top {vec_latex(a.hidden[i, j])}"
            line = rf"s_{{{n},{m}}} &= {pre} = {num(steps.raw[i, j])}"
        else:
            k = steps.K[j]
            if steps.d_k <= expand_up_to:
                prods = " + ".join(f"{_paren(float(a), 3)} \\cdot {_paren(float(b), 3)}" for a, b in zip(q, k))
                line = rf"s_{{{n},{m}}} &= q_{{{n}}} \cdot k_{{{m}}} = {prods} = {num(steps.raw[i, j])}"
            else:
                line = rf"s_{{{n},{m}}} &= q_{{{n}}} \cdot k_{{{m}}} = {num(steps.raw[i, j])}"
            if steps.scoring == "scaled":
                line += rf" & \qquad \tfrac{{s_{{{n},{m}}}}}{{\sqrt{{{steps.d_k}}}}} &= {num(steps.scaled[i, j])}"
        lines.append(line)
    out["scores"] = r"\begin{alignedat}{2}" + r" \\ ".join(lines) + r"\end{alignedat}"
    divided = r"\dfrac{s_{%d,j}}{\sqrt{d_k}\,\tau}" % n if steps.scoring == "scaled" else r"\dfrac{s_{%d,j}}{\tau}" % n
    hidden = "" if steps.allowed[i].all() else r" \quad \text{(}-\infty\text{ where } j > %d\text{)}" % n
    out["logits"] = (rf"\begin{{aligned}} z_{{{n},j}} = {divided} &= \dfrac{{{vec_latex(steps.masked[i])}}}"
                     rf"{{{num(steps.temperature, 2)}}} \\ &= {vec_latex(steps.logits[i])}{hidden}\end{{aligned}}")

    z = steps.logits[i]
    mx = float(np.max(z))
    e = np.exp(z - mx)  # exactly 0 where z = -inf
    total = float(e.sum())
    chunks = [" + ".join(num(float(v)) for v in e[k:k + 4]) for k in range(0, T, 4)]  # 4 terms a line
    sm = [rf"m = \max_j z_{{{n},j}} = {num(mx)} \\[4pt] \begin{{aligned}} \textstyle\sum_j e^{{z_{{{n},j}} - m}} &= "
          + r" \\ &\quad + ".join(chunks) + rf" \\ &= {num(total)} \end{{aligned}}"]
    rows = []
    for j in range(T):
        m = j + 1
        if not steps.allowed[i, j]:
            rows.append(rf"\alpha_{{{n},{m}}} &= e^{{-\infty}} / {num(total)} = 0")
        else:
            rows.append(rf"\alpha_{{{n},{m}}} &= e^{{{num(float(z[j]))} - {_paren(mx, 3)}}} / {num(total)}"
                        rf" = {num(float(e[j]))} / {num(total)} = {num(float(steps.weights[i, j]))}")
    sm.append(r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}")
    out["softmax"] = r"\begin{gathered}" + sm[0] + r" \\[6pt] " + sm[1] + r"\end{gathered}"
    d_v = steps.V.shape[1]
    if d_v <= 4:  # the value vectors written out
        terms = [rf"{num(float(steps.weights[i, j]))}\,{vec_latex(steps.V[j])}" for j in range(T) if steps.allowed[i, j]]
        per_line = 2
    else:  # too long to write out: the weights, with the vectors v_j in the V panel
        terms = [rf"{num(float(steps.weights[i, j]))}\,v_{{{j + 1}}}" for j in range(T) if steps.allowed[i, j]]
        per_line = 4
    body = r" \\ &\quad + ".join(" + ".join(terms[k:k + per_line]) for k in range(0, len(terms), per_line))
    skipped = "" if steps.allowed[i].all() else r" \quad \text{(masked keys add } 0 \cdot v_j\text{)}"
    out["output"] = (rf"\begin{{aligned}} o_{{{n}}} = \textstyle\sum_j \alpha_{{{n},j}} v_j &= {body}{skipped} \\ "
                     rf"&= {_split_vec(steps.output[i], 3 if d_v <= 6 else 2)}\end{{aligned}}")
    return out
