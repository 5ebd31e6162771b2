"""Tier 4, pages: a shared link can carry anything in its query string, and no page may fall over.

Every lesson binds its view settings to the URL (`bind="query-params"`). A teacher's or a student's link
may carry a value out of range, of the wrong type, an option that does not exist, an empty string, a
huge string, markup, emoji or the same key twice. Each case opens the page fresh with that link and
asserts: no exception, and the page still has its title. The ids name the page, the key and the value.
"""

from pathlib import Path

import pytest

from seqviz.ui import all_pages
from conftest import page_bound_widgets
from conftest import open_page, assert_clean

ROOT = Path(__file__).resolve().parent.parent

LONG = "(" * 10_000
SCRIPT = "<script>alert('x')</script>"
MARKUP_EMOJI = "<script>alert('x')</script><b onclick=alert(1)>😀🧠</b> $x$ **y**"

# representative hostile values per kind of widget (a cross product would take minutes on 2 cores); a repeated
# key counts as its last value, so ["2", "nan"] tries both a repeated key and "nan"
TEXT = ["", LONG, MARKUP_EMOJI, ["(a)", "((b))"]]
INTEGER = ["999999", "-5", "abc", "1e309", "", ["2", "nan"]]  # sliders and number inputs
OPTION = ["999999", "", MARKUP_EMOJI, ["0", "nonsense"]]  # selectbox, radio, segmented control
MULTI = ["999", "abc", "", ["0", "999", "0"]]  # multiselect
CHOICE = ["999", "abc", "inf", ""]  # select_slider over fixed values
SWITCH = ["maybe", "", SCRIPT]  # toggle, checkbox

# the values to try for each kind of bound widget
VALUES = {"text_input": TEXT, "text_area": TEXT, "slider": INTEGER, "number_input": INTEGER, "selectbox": OPTION,
          "radio": OPTION, "segmented_control": OPTION, "pills": OPTION, "multiselect": MULTI,
          "select_slider": CHOICE, "toggle": SWITCH, "checkbox": SWITCH}
PAGES = [p for p in all_pages() if (ROOT / p.path).exists() or p.url_path != "translation"]


BOUND = {p.url_path: {key: call for call, key in page_bound_widgets(p)} for p in PAGES}


def _show(value) -> str:
    if isinstance(value, list):
        return "repeated[" + ",".join(_show(v) for v in value) + "]"
    if value == "":
        return "empty"
    if len(value) > 40:
        return f"{value[0]}x{len(value)}"
    return value.encode("unicode_escape").decode()


CASES = [pytest.param(page, key, value, id=f"{page.url_path}-{key}-{_show(value)}")
         for page in PAGES for key, kind in BOUND[page.url_path].items() for value in VALUES.get(kind, TEXT)]


def _opens_cleanly(page, query):
    at = open_page(page.path, query)
    assert_clean(at)
    assert at.title, "the page still has its title"
    return at


def test_every_bound_widget_is_found_and_known():
    """The parsing above finds the lessons' bound widgets, and knows what to try for each kind."""
    assert {"rnn_t", "rnn_text"} <= set(BOUND["rnn"]) and {"cmp_lag", "cmp_layers"} <= set(BOUND["compare"])
    assert BOUND["home"] == {}
    for page, widgets in BOUND.items():
        for key, kind in widgets.items():
            assert kind in VALUES, f"{page}: {key} is a {kind}; add the values to try for it to VALUES"


@pytest.mark.parametrize("page, key, value", CASES)
def test_hostile_value_in_a_shared_link(page, key, value):
    _opens_cleanly(page, {key: value})


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.url_path)
def test_every_bound_key_hostile_at_once_and_unknown_keys(page):
    """All of a page's keys wrong together, plus keys no page knows (including one of another page)."""
    query = {key: VALUES[kind][1] for key, kind in BOUND[page.url_path].items()}
    query |= {"no_such_key": SCRIPT, "rnn_t" if page.url_path != "rnn" else "attn_seed": "-1"}
    _opens_cleanly(page, query)


# values streamlit 1.67 itself mishandles (an int number_input raises OverflowError on 1e309; a required segmented
# control is seeded with None from an empty value): the pages drop them from the URL, so the widget shows its default
@pytest.mark.parametrize("path, kind, key, value, default", [
    ("pages/rnn_compare.py", "number_input", "cmp_lag", "1e309", 30),
    ("pages/rnn_compare.py", "number_input", "cmp_seed", "-1e309", 0),
    ("pages/rnn_compare.py", "button_group", "cmp_layers", "", 1),
    ("pages/attention_basics.py", "number_input", "attn_seed", "inf", 0),
    ("pages/rnn_gates.py", "button_group", "gates_value", "", 0),
    ("pages/rnn_gradients.py", "button_group", "grad_base", "", "init"),
    ("pages/rnn_basics.py", "button_group", "rnn_model", "", "shipped"),
], ids=["cmp_lag-1e309", "cmp_seed--1e309", "cmp_layers-empty", "attn_seed-inf", "gates_value-empty",
        "grad_base-empty", "rnn_model-empty"])
def test_links_streamlit_mishandles_start_at_the_default(path, kind, key, value, default):
    at = open_page(path, {key: value})
    assert_clean(at)
    widget = next(w for w in at.get(kind) if w.key == key)
    assert widget.value == default
    assert key not in at.query_params
