"""Restyle any finished plotly figure for where it is shown: a projector (presenter mode) or the
dark theme. Pure functions on copies; no streamlit (seqviz.ui.plot calls `for_view`).

Presenter mode multiplies every font size the figure sets (and the base font) by FONT_SCALE, draws
lines at least LINE_MIN px thick, markers larger, and the figure HEIGHT_SCALE taller: readable from
the back of a room. The dark theme keeps the figure's colour scales (RdBu and Viridis read on both
backgrounds) and swaps only what was drawn in black on the assumption of a white page (outlines,
reference lines, markers, text) for near-white, and drops an explicit white plot background.
"""

from __future__ import annotations

import plotly.graph_objects as go

FONT_SCALE = 1.4
LINE_SCALE, LINE_MIN = 2.0, 4.0
MARKER_SCALE = 1.4
HEIGHT_SCALE, DEFAULT_HEIGHT = 1.3, 450
BASE_FONT = 12  # plotly's default font size
TICK_SIZE, TITLE_SIZE = 18, 20  # px in presenter mode where the figure sets none (the chart theme's are ~12)
DARK_INK = "#F0F2F6"
BLACKS = {"black", "#000", "#000000", "rgb(0,0,0)", "rgb(0, 0, 0)"}
WHITES = {"white", "#fff", "#ffffff", "rgb(255,255,255)", "rgb(255, 255, 255)"}
FONT_KEYS = {"font", "tickfont", "textfont", "titlefont", "insidetextfont", "outsidetextfont"}


def title_of(fig: go.Figure) -> str:
    """The figure's title as plain text (no <sub>/<br> markup), or ""."""
    import re

    text = fig.layout.title.text or ""
    return re.sub(r"<br\s*/?>", " ", re.sub(r"</?(sub|sup|b|i|span)[^>]*>", "", text)).strip()


def _scale(value, factor: float, minimum: float = 0.0):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return max(value * factor, minimum)
    if isinstance(value, (list, tuple)) and all(isinstance(v, (int, float)) for v in value):
        return [max(v * factor, minimum) for v in value]
    return value


def _walk(node, parent: str, presenter: bool, dark: bool):
    """Rewrite a figure's dict in place: sizes under fonts, widths under lines, sizes under markers,
    black colours (dark theme)."""
    if isinstance(node, list):
        for item in node:
            _walk(item, parent, presenter, dark)
        return
    if not isinstance(node, dict):
        return
    for key, value in list(node.items()):
        if isinstance(value, (dict, list)):
            _walk(value, key, presenter, dark)
        elif presenter and key == "size" and parent in FONT_KEYS:
            node[key] = _scale(value, FONT_SCALE)
        elif presenter and key == "width" and parent == "line" and value:
            node[key] = _scale(value, LINE_SCALE, LINE_MIN)
        elif presenter and key == "size" and parent == "marker":
            node[key] = _scale(value, MARKER_SCALE)
        elif dark and isinstance(value, str) and ("color" in key.lower()) and value.strip().lower() in BLACKS:
            node[key] = DARK_INK
        if presenter and key == "size" and parent == "marker" and isinstance(value, (list, tuple)):
            node[key] = _scale(value, MARKER_SCALE)


def for_view(fig: go.Figure, presenter: bool = False, dark: bool = False) -> go.Figure:
    """A restyled copy of `fig` (the same figure when neither applies)."""
    if not (presenter or dark):
        return fig
    spec = fig.to_dict()
    layout = spec.setdefault("layout", {})
    template = layout.pop("template", None)  # the theme's template is left to the theme
    _walk(spec.get("data", []), "data", presenter, dark)
    _walk(layout, "layout", presenter, dark)
    if dark and str(layout.get("plot_bgcolor", "")).strip().lower() in WHITES:
        del layout["plot_bgcolor"]
    if presenter:
        font = layout.setdefault("font", {})
        if "size" not in font:  # the walk scaled an explicit base size; scale plotly's default too
            font["size"] = BASE_FONT * FONT_SCALE
        layout["height"] = (layout.get("height") or DEFAULT_HEIGHT) * HEIGHT_SCALE
        # sizes the figure leaves to the chart theme (which draws ticks and legends small): set them
        axes = [k for k in layout if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
        for name in axes:
            axis = layout.setdefault(name, {})
            axis.setdefault("tickfont", {}).setdefault("size", TICK_SIZE)
            title = axis.get("title")
            if isinstance(title, dict):
                title.setdefault("font", {}).setdefault("size", TITLE_SIZE)
        layout.setdefault("legend", {}).setdefault("font", {}).setdefault("size", TITLE_SIZE)
        for trace in spec.get("data", []):
            if "colorbar" in trace or trace.get("type") in ("heatmap", "contour"):
                trace.setdefault("colorbar", {}).setdefault("tickfont", {}).setdefault("size", TICK_SIZE)
        for trace in spec.get("data", []):  # lines drawn at plotly's default width (2 px)
            if trace.get("type", "scatter") in ("scatter", "scattergl") and "lines" in trace.get("mode", "lines"):
                line = trace.setdefault("line", {})
                line.setdefault("width", LINE_MIN)
    if template is not None:
        layout["template"] = template
    return go.Figure(spec)
