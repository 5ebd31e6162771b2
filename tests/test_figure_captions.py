"""Every figure a page draws comes with a text alternative a screen reader reads: the caption right after it
(ui.plot writes the caption it is given, or the figure's title). Each page in its default view, under AppTest."""

import pytest

from seqviz import labs
from conftest import assert_clean, open_page

CHARTS = ("plotly_chart", "arrow_vega_lite_chart", "vega_lite_chart", "pyplot", "imgs")


def elements(node):
    """The page's elements in the order they are drawn (columns and expanders flattened)."""
    kids = getattr(node, "children", None)
    if not isinstance(kids, dict) or not kids:
        yield node
        return
    for k in sorted(kids):
        yield from elements(kids[k])


def uncaptioned(at) -> list[str]:
    els = list(elements(at.main))
    bad = []
    for i, e in enumerate(els):
        if e.type in CHARTS:
            nxt = els[i + 1] if i + 1 < len(els) else None
            text = getattr(nxt, "value", "") if nxt is not None and nxt.type == "caption" else ""
            if len(str(text).split()) < 3:
                bad.append(f"{e.type} #{i} followed by {getattr(nxt, 'type', 'nothing')}")
    return bad


def test_a_figure_without_a_caption_is_found():
    class El:
        def __init__(self, type, value=""):
            self.type, self.value = type, value

    class Page:
        main = type("Block", (), {"children": {0: El("plotly_chart"), 1: El("markdown", "text"),
                                                2: El("plotly_chart"), 3: El("caption", "What it shows.")}})()
    assert uncaptioned(Page()) == ["plotly_chart #0 followed by markdown"]


@pytest.mark.parametrize("path", [p.path for p in labs.all_pages()])
def test_every_figure_has_a_caption(path):
    at = open_page(path)
    assert_clean(at)
    assert uncaptioned(at) == []
