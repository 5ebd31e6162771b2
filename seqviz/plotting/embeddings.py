"""Figures of the embedding explorer: word maps coloured by group, the similarity heatmap, side-by-side
maps of several methods, and the tables behind them. Pure builders: numbers in, `(figure, table)` out (the
table: the numbers behind the figure, for its CSV download); no streamlit.

Colours: one colour per group, the same group always the same colour in every panel (colour-blind-safe
Okabe-Ito first, then plotly's "Safe" set); words without a group are grey. Searched words are drawn
larger with a black ring and always labelled. Cosine similarity is signed, so the heatmap uses the
app's diverging scale fixed to [-1, 1].

The map figures are built as plain dicts and checked by plotly once (plotting.figure): a map has a trace per
group and panel, and adding them one by one re-validated the figure each time (most of the explorer's rerun).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from seqviz.plotting import DIVERGING, FONT, OKABE_ITO, figure, subplots, trace_ref
from seqviz.plotting.palette import BLACK, GREY, TEXT_GREY

UNGROUPED = "no group"
# Okabe-Ito without black (the searched words' outline): seven colours every colour vision tells apart; past
# seven groups the colours repeat with another marker symbol (plotly's Safe colours, used here before, fell
# within ΔE00 < 10 of these for dichromats). Symbols valid in 2-D and 3-D.
PALETTE = [c for c in OKABE_ITO if c != BLACK]
SYMBOLS = ("circle", "square", "diamond", "cross", "circle-open", "square-open", "diamond-open")
UNGROUPED_SYMBOL = "x"  # grey comes within ΔE00 10 of pink for deuteranopes: words in no group are crosses
MAX_LABELS = 300  # beyond this many points, only searched words carry a label (text hides the map)
WEBGL_FROM = 1500  # SVG slows the browser beyond a few thousand points; WebGL draws them at once


def group_colours(groups: Sequence[str | None]) -> dict[str, str]:
    """group -> colour, by the groups' sorted names (so every panel agrees); UNGROUPED is grey."""
    names = sorted({g for g in groups if g})
    colours = {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(names)}
    colours[UNGROUPED] = GREY
    return colours


def group_symbols(colours: dict[str, str]) -> dict[str, str]:
    """group -> marker symbol for the groups of group_colours(...), in the same order: the second cue once
    colours repeat (group k: colour k mod 7, symbol k div 7); UNGROUPED: x."""
    names = [g for g in colours if g != UNGROUPED]
    symbols = {g: SYMBOLS[(i // len(PALETTE)) % len(SYMBOLS)] for i, g in enumerate(names)}
    symbols[UNGROUPED] = UNGROUPED_SYMBOL
    return symbols


def _layout_dict(height: int, title: str | None = None, **more) -> dict:
    """The explorer's layout (projector fonts, a legend of groups) as a dict, with `more`."""
    out = dict(height=height, font=FONT, hoverlabel=dict(font=dict(size=16)),
               margin=dict(l=10, r=10, t=60 if title else 20, b=10),
               legend=dict(title=dict(text="group"), itemsizing="constant", font=dict(size=14)))
    if title:
        out["title"] = dict(text=title)
    return {**out, **more}


def _traces(coords: np.ndarray, words: Sequence[str], groups: Sequence[str | None], colours: dict[str, str],
            highlight: set[str], labels: bool, showlegend: bool = True) -> list:
    """One trace per group (legend entries toggle groups), plus one for the searched words on top; as dicts."""
    n, dims = coords.shape
    words = np.asarray(words, dtype=object)
    group_of = np.array([g or UNGROUPED for g in groups], dtype=object)
    show_text = labels and n <= MAX_LABELS
    scatter = "scatter3d" if dims == 3 else ("scattergl" if n >= WEBGL_FROM else "scatter")
    traces = []
    symbols = group_symbols(colours)
    for g in sorted(set(group_of), key=lambda g: (g == UNGROUPED, g)):
        m = group_of == g
        xyz = {k: coords[m, i] for i, k in enumerate("xyz"[:dims])}
        traces.append(dict(
            type=scatter, **xyz, mode="markers+text" if show_text else "markers", name=g, legendgroup=g, showlegend=showlegend,
            text=words[m], textposition="top center", textfont=dict(size=12, color=TEXT_GREY),
            customdata=np.stack([words[m], group_of[m]], axis=1),
            marker=dict(size=5 if dims == 3 else 9, color=colours.get(g, GREY), symbol=symbols.get(g, SYMBOLS[0]), opacity=0.85,
                        line=dict(width=0)),
            hovertemplate="<b>%{customdata[0]}</b><br>group: %{customdata[1]}<br>"
                          + "<br>".join(f"{k} = %{{{k}:.2f}}" for k in "xyz"[:dims]) + "<extra></extra>",
        ))
    hit = np.array([w in highlight for w in words], dtype=bool)
    if hit.any():
        xyz = {k: coords[hit, i] for i, k in enumerate("xyz"[:dims])}
        traces.append(dict(
            type=scatter, **xyz, mode="markers+text", name="searched", legendgroup="searched", showlegend=showlegend,
            text=words[hit], textposition="top center", textfont=dict(size=18, color="black"),
            customdata=np.stack([words[hit], group_of[hit]], axis=1),
            marker=dict(size=8 if dims == 3 else 16, color=[colours.get(g, GREY) for g in group_of[hit]],
                        line=dict(width=3, color="black")),
            hovertemplate="<b>%{customdata[0]}</b> (searched)<br>group: %{customdata[1]}<extra></extra>",
        ))
    return traces


def word_map(coords: np.ndarray, words: Sequence[str], groups: Sequence[str | None], axis_titles: Sequence[str],
             highlight: Sequence[str] = (), labels: bool = True, title: str | None = None) -> tuple[go.Figure, pd.DataFrame]:
    """The projected words, 2-D or 3-D (coords (N, 2|3)), one colour per group, searched words ringed."""
    table = map_frame(coords, words, groups, axis_titles)
    colours = group_colours(groups)
    data = _traces(np.asarray(coords), words, groups, colours, set(highlight), labels)
    if coords.shape[1] == 3:
        scene = {f"{k}axis": dict(title=dict(text=t)) for k, t in zip("xyz", axis_titles)}
        return figure(data, _layout_dict(700, title, scene=scene)), table
    lay = _layout_dict(620, title, xaxis=dict(title=dict(text=axis_titles[0]), zeroline=False),
                       yaxis=dict(title=dict(text=axis_titles[1]), zeroline=False))
    return figure(data, lay), table


def side_by_side(panels: Sequence[tuple[str, np.ndarray, Sequence[str], Sequence[str | None]]],
                 highlight: Sequence[str] = (), labels: bool = False) -> tuple[go.Figure, pd.DataFrame]:
    """2-D maps of several vector sets next to each other: panels = [(title, coords (N, 2), words, groups)].
    Every panel colours a group the same way; the legend shows each group once."""
    colours = group_colours([g for _, _, _, gs in panels for g in gs])
    lay, axes = subplots(1, len(panels), [t for t, *_ in panels], horizontal_spacing=0.04)
    data = []
    for col, ((_, coords, words, groups), panel) in enumerate(zip(panels, axes), start=1):
        for trace in _traces(np.asarray(coords)[:, :2], words, groups, colours, set(highlight), labels,
                             showlegend=col == 1):
            data.append({**trace, **trace_ref(panel)})
        for name in panel:
            lay[name].update(showticklabels=False, zeroline=False)
    for note in lay.get("annotations", []):
        note["font"] = dict(size=18)
    table = pd.concat([map_frame(c, w, g, ["x", "y"]).assign(vectors=t) for t, c, w, g in panels])
    return figure(data, {**lay, **_layout_dict(520)}), table


def similarity_heatmap(words: Sequence[str], sims: np.ndarray) -> tuple[go.Figure, pd.DataFrame]:
    """Cosine similarities (n, n) of chosen words, diverging scale fixed to [-1, 1], values in the cells."""
    n = len(words)
    heat = dict(type="heatmap", z=np.asarray(sims), x=list(words), y=list(words), colorscale=DIVERGING, zmin=-1, zmax=1,
                zmid=0, colorbar=dict(title=dict(text="cos"), tickvals=[-1, -0.5, 0, 0.5, 1]),
                text=np.char.mod("%.2f", np.asarray(sims)), textfont=dict(size=14),
                hovertemplate="cos(%{y}, %{x}) = %{z:.3f}<extra></extra>")
    if n <= 15:
        heat["texttemplate"] = "%{text}"
    lay = _layout_dict(160 + 34 * max(n, 4),
                       xaxis=dict(title=dict(text="word"), tickangle=-45 if n > 8 else 0, tickfont=dict(size=16)),
                       yaxis=dict(title=dict(text="word"), autorange="reversed", tickfont=dict(size=16)))
    return figure([heat], lay), similarity_frame(words, sims)


# -- the numbers behind the figures, as tables ---------------------------------------------------------
def map_frame(coords: np.ndarray, words: Sequence[str], groups: Sequence[str | None],
              axis_titles: Sequence[str]) -> pd.DataFrame:
    df = pd.DataFrame({"word": list(words), "group": [g or UNGROUPED for g in groups]})
    for i, title in enumerate(axis_titles):
        df[title] = np.asarray(coords)[:, i]
    return df


def neighbours_frame(results: Sequence[tuple[str, float]], groups: dict[str, str] | None = None) -> pd.DataFrame:
    """[(word, cosine)] -> a table: rank, word, cosine (and group when known)."""
    df = pd.DataFrame({"rank": range(1, len(results) + 1), "word": [w for w, _ in results],
                       "cosine": [round(float(s), 4) for _, s in results]})
    if groups:
        df["group"] = [groups.get(w, UNGROUPED) for w, _ in results]
    return df


def similarity_frame(words: Sequence[str], sims: np.ndarray) -> pd.DataFrame:
    df = pd.DataFrame(np.asarray(sims), columns=list(words))
    df.insert(0, "word", list(words))
    return df


# -- the pretrained-vectors page: what a file holds ---------------------------------------------------------
def vector_rows_heatmap(words: Sequence[str], rows: np.ndarray, max_dims: int = 50) -> tuple[go.Figure, pd.DataFrame]:
    """The first words' vectors as numbers (words x dimensions, at most max_dims columns), on a diverging
    scale symmetric about 0 and fixed by the largest |value| shown, so sign and size read at a glance."""
    rows = np.asarray(rows)[:, :max_dims]
    n, d = rows.shape
    bound = float(np.abs(rows).max()) or 1.0
    heat = dict(type="heatmap", z=rows, x=np.arange(d), y=list(words), colorscale=DIVERGING, zmin=-bound, zmax=bound,
                zmid=0, colorbar=dict(title=dict(text="value")),
                hovertemplate="%{y}<br>dimension %{x}<br>value = %{z:.4f}<extra></extra>")
    lay = _layout_dict(140 + 26 * max(n, 4), xaxis=dict(title=dict(text="dimension i of the vector e<sub>w</sub>")),
                       yaxis=dict(title=dict(text="word w (file order)"), autorange="reversed", tickfont=dict(size=15),
                                  type="category"))
    table = pd.DataFrame(rows, columns=[f"e[{i}]" for i in range(d)])
    table.insert(0, "word", list(words))
    return figure([heat], lay), table


def norms_by_rank(words: Sequence[str], norms: np.ndarray) -> tuple[go.Figure, pd.DataFrame]:
    """Vector length ||e_w|| of every word against its row in the file (row 1 = the first word; word2vec,
    GloVe and fastText write the most frequent words first)."""
    norms = np.asarray(norms, dtype=np.float64)
    rank = np.arange(1, len(norms) + 1)
    points = dict(type="scattergl" if len(norms) >= WEBGL_FROM else "scatter", x=rank, y=norms, mode="markers",
                  marker=dict(size=5, color=OKABE_ITO[0], opacity=0.6), name="words",
                  hovertemplate="row %{x}<br>||e|| = %{y:.3f}<extra></extra>")
    lay = _layout_dict(380, xaxis=dict(title=dict(text="row in the file (1 = first word)"),
                                       type="log" if len(norms) > 100 else "linear"),
                       yaxis=dict(title=dict(text="vector length ||e<sub>w</sub>||"), rangemode="tozero"))
    return figure([points], lay), pd.DataFrame({"row": rank, "word": list(words), "length": norms})


def preview_frame(words: Sequence[str], rows: np.ndarray, norms: np.ndarray, max_dims: int = 8) -> pd.DataFrame:
    """The first words of a file with their first numbers and their length, as a table."""
    rows = np.asarray(rows)[:, :max_dims]
    df = pd.DataFrame(rows, columns=[f"e[{i}]" for i in range(rows.shape[1])])
    df.insert(0, "word", list(words))
    df["||e||"] = np.asarray(norms)
    return df
