"""Tier 4, pages: property-based fuzzing. Every page in the navigation (seqviz.ui.all_pages(), so a
lesson added to app.py is covered without editing this file) is opened under AppTest and driven
through a random sequence of widget changes; no change may raise.

What a step can do, for whatever widgets the page shows at that moment (found after each run):
- slider, number input: any value on the widget's own grid, inside its own range (range sliders:
  two ordered values);
- select box, radio, segmented control / pills, multiselect, select slider: any of the widget's own
  options (or subsets), sent as the browser sends them: the option's label;
- checkbox, toggle: on or off;
- text input, text area: junk (empty, spaces, emoji, HTML and script tags, markdown and LaTeX,
  10,000 characters, control characters), random unicode text, or the widget's current text with a
  random edit (so the fuzz also gets past the pages' input checks);
- button: a click, except buttons that start training (label "Train ...", "Run this sweep"...):
  training is exercised by each page's own tests, and long loops would blow the time budget.

The draws are derandomised (the same examples on every run, so CI is repeatable), no deadline, no
example database. `make test` runs SEQVIZ_FUZZ_EXAMPLES=2 examples a page by default; set it higher
for a longer hunt, e.g. `SEQVIZ_FUZZ_EXAMPLES=50 .venv/bin/python -m pytest tests/test_fuzz.py`.
Shrinking is off by default (each example costs seconds); SEQVIZ_FUZZ_SHRINK=1 turns it on. A failure
prints the page and every step it took (hypothesis `note`s), reproducible with AppTest by hand.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest

from conftest import open_page
from streamlit.testing.v1.element_tree import (ButtonGroup, Multiselect, Radio, Selectbox, SelectSlider,
                                               Widget)

from seqviz.ui import all_pages

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # seconds a run may take (a first torch import on 2 busy cores)
EXAMPLES = int(os.environ.get("SEQVIZ_FUZZ_EXAMPLES", "2"))  # per page
STEPS = int(os.environ.get("SEQVIZ_FUZZ_STEPS", "4"))  # widget changes per example, at most
PHASES = [Phase.explicit, Phase.generate] + ([Phase.shrink] if os.environ.get("SEQVIZ_FUZZ_SHRINK") else [])

# buttons that start (or queue) training: skipped, see the module docstring
LONG_BUTTON = re.compile(r"\b(train|sweep|fit|build)\b|^run\b", re.IGNORECASE)
KINDS = ("slider", "number_input", "selectbox", "radio", "button_group", "multiselect", "select_slider",
         "checkbox", "toggle", "text_input", "text_area", "button")

JUNK = ["", " ", "   \t  ", "😀", "🧠🔥 👩🏽‍🔬", "<script>alert('x')</script>", "<b onclick=alert(1)>hi</b>",
        "<img src=x onerror=alert(1)>", "$x^2$ **bold** `code` [link](http://x)", "\\frac{1}{0} $$",
        "a" * 10_000, "(" * 10_000, "the " * 2_500, "\x00\x01\x1b[31m", "\u202e\u200b\ufeff", "NaN", "-1e309",
        "'; DROP TABLE x; --", "../../etc/passwd", "ünïcödé ÆØÅ 中文 العربية"]


# -- sending a widget's value the way the browser does ---------------------------------------------
_RAW_CLASSES: dict[type, type] = {}
_PENDING: dict[str, WidgetState] = {}  # widget id -> the state its next run sends


def _send_raw(widget: Widget, fill) -> None:
    """Option widgets: the browser sends the *label* of the chosen option(s) (a string), and the server
    maps it back through the widget's format_func. AppTest's set_value wants the Python value, which
    a test that only sees the page cannot know, so the state is built here as the browser builds it."""
    ws = WidgetState()
    ws.id = widget.id
    fill(ws)
    cls = type(widget)
    if cls not in _RAW_CLASSES:
        # a subclass that adds no slots can take over the instance; its state is the prepared one
        _RAW_CLASSES[cls] = type(f"Raw{cls.__name__}", (cls,), {
            "__slots__": (), "_widget_state": property(lambda self: _PENDING[self.id])})
    _PENDING[widget.id] = ws
    widget.__class__ = _RAW_CLASSES[cls]


def _grid(lo: float, hi: float, step: float, integer: bool):
    """A value in [lo, hi] on lo + k*step (what the widget itself can produce)."""
    step = step or (1 if integer else (hi - lo) / 100 or 1)
    n = max(0, int(math.floor((hi - lo) / step + 1e-9)))
    return st.integers(0, min(n, 10**6)).map(lambda k: int(lo + k * step) if integer else min(hi, lo + k * step))


def _text_strategy(widget) -> st.SearchStrategy[str]:
    current = widget.value or ""
    edits = st.tuples(st.integers(0, max(0, len(current))), st.integers(0, 5),
                      st.text(max_size=6)).map(lambda e: current[: e[0]] + e[2] + current[e[0] + e[1]:])
    text = st.one_of(st.sampled_from(JUNK), st.text(max_size=60), edits, st.just(current * 3))
    limit = getattr(widget.proto, "max_chars", 0)
    return text.map(lambda s: s[:limit]) if limit else text  # the browser enforces max_chars


def _action(data, widget) -> str:
    """Draw a value for `widget` from its own options or range, queue it, and describe it."""
    proto, kind = widget.proto, widget.type
    if kind in ("checkbox", "toggle"):
        value = data.draw(st.booleans(), label=f"{kind} {widget.key}")
        widget.set_value(value)
    elif kind in ("text_input", "text_area"):
        value = data.draw(_text_strategy(widget), label=f"{kind} {widget.key}")
        widget.set_value(value)
        return f"{kind} {widget.key or widget.label!r} <- {value[:80]!r}{'...' if len(value) > 80 else ''} ({len(value)} chars)"
    elif kind == "number_input":
        integer = proto.data_type == proto.INT
        lo = proto.min if proto.has_min else -1e6
        hi = proto.max if proto.has_max else 1e6
        value = data.draw(_grid(lo, hi, proto.step, integer), label=f"number_input {widget.key}")
        widget.set_value(value)
    elif kind == "slider":
        integer = proto.data_type == proto.INT
        if proto.data_type not in (proto.INT, proto.FLOAT):
            return f"left {kind} {widget.key} alone (dates and times)"
        values = _grid(proto.min, proto.max, proto.step, integer)
        if len(proto.default) == 2:  # a range slider
            value = sorted(data.draw(st.tuples(values, values), label=f"range slider {widget.key}"))
            widget.set_range(*value)
        else:
            value = data.draw(values, label=f"slider {widget.key}")
            widget.set_value(value)
    elif isinstance(widget, (Selectbox, Radio)):
        if not widget.options:
            return f"left empty {kind} {widget.key} alone"
        value = data.draw(st.sampled_from(widget.options), label=f"{kind} {widget.key}")
        _send_raw(widget, lambda ws: setattr(ws, "string_value", value))
    elif isinstance(widget, ButtonGroup):
        single = widget.proto.click_mode == widget.proto.SINGLE_SELECT
        if single:
            value = [data.draw(st.sampled_from(widget.options), label=f"{kind} {widget.key}")]
        else:
            value = data.draw(st.lists(st.sampled_from(widget.options), unique=True), label=f"{kind} {widget.key}")
        _send_raw(widget, lambda ws: ws.string_array_value.data.extend(value))
    elif isinstance(widget, Multiselect):
        cap = proto.max_selections or len(widget.options)
        value = data.draw(st.lists(st.sampled_from(widget.options), unique=True, max_size=cap)
                          if widget.options else st.just([]), label=f"multiselect {widget.key}")
        _send_raw(widget, lambda ws: ws.string_array_value.data.extend(value))
    elif isinstance(widget, SelectSlider):
        option = st.sampled_from(widget.options)
        if len(proto.default) == 2:
            pair = data.draw(st.tuples(option, option), label=f"range select_slider {widget.key}")
            value = sorted(pair, key=widget.options.index)
        else:
            value = [data.draw(option, label=f"select_slider {widget.key}")]
        _send_raw(widget, lambda ws: ws.string_array_value.data.extend(value))
    elif kind == "button":
        widget.click()
        return f"click {widget.label!r}"
    else:
        return f"left {kind} {widget.key} alone"
    return f"{kind} {widget.key or widget.label!r} <- {value!r}"


def usable_widgets(at: AppTest) -> list:
    found = []
    for kind in KINDS:
        for w in at.get(kind):
            if getattr(w.proto, "disabled", False):
                continue
            if kind == "button" and LONG_BUTTON.search(w.label or ""):
                continue
            found.append(w)
    return found


def assert_clean(at: AppTest, where: str) -> None:
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    assert at.title, f"{where}: the page lost its title"


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=PHASES,
                suppress_health_check=list(HealthCheck), print_blob=False)


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p.url_path)
def test_random_widget_values_never_raise(page):
    @FUZZ
    @given(data=st.data())
    def fuzz(data):
        note(f"page {page.path} ({page.url_path})")
        at = open_page(page.path)
        assert_clean(at, f"{page.path} on opening")
        n = data.draw(st.integers(1, STEPS), label="steps")
        for i in range(n):
            widgets = usable_widgets(at)
            if not widgets:
                break
            widget = widgets[data.draw(st.integers(0, len(widgets) - 1), label="widget")]
            step = _action(data, widget)
            note(f"step {i + 1}: {step}")
            at.run()
            assert_clean(at, f"{page.path} after step {i + 1} ({step})")

    fuzz()


def test_the_fuzz_reaches_every_kind_of_widget_the_lessons_use():
    """The discovery above is not vacuous: the lessons together show widgets of most kinds, and the
    training buttons are the only ones left out."""
    seen, skipped = set(), set()
    for path in ("pages/rnn_basics.py", "pages/rnn_compare.py", "pages/attention_translation.py", "pages/rnn_gates.py"):
        at = open_page(path)
        seen |= {w.type for w in usable_widgets(at)}
        skipped |= {b.label for b in at.button if LONG_BUTTON.search(b.label or "")}
    assert {"slider", "number_input", "selectbox", "radio", "button_group", "multiselect", "select_slider",
            "checkbox", "text_input", "button"} <= seen
    assert skipped and all(re.search(r"train|sweep", label, re.IGNORECASE) for label in skipped), skipped


def test_option_labels_are_sent_as_the_browser_sends_them():
    """_send_raw picks an option by its label and the page receives the matching value."""
    at = open_page("pages/rnn_gates.py")
    model = at.selectbox(key="gates_model")
    label = model.options[1]
    _send_raw(model, lambda ws: setattr(ws, "string_value", label))
    at.run()
    assert_clean(at, "gates")
    assert at.selectbox(key="gates_model").options[at.selectbox(key="gates_model").index] == label
    assert at.selectbox(key="gates_model").value != "recall-lstm"  # the value behind label 1, not label 0
