"""The classroom kit (issue #10) on the labs built after it: a link copied from each page reproduces
its view in a fresh session. test_classroom_lessons.py does this with hand-picked changes for the
first seven lessons; here every URL-bound slider, toggle and number input a page shows is moved off
its value (found in the page's source, as tests/test_url_params.py finds them), the sidebar's link is
copied, and a fresh session opened from it must show every moved widget with its new value."""

from __future__ import annotations

import pytest
from conftest import page_bound_widgets
from test_classroom import LESSONS, link_of, query_of
from conftest import ROOT, assert_clean, open_page

from seqviz.ui import all_pages

KINDS = {"slider": "slider", "toggle": "toggle", "number_input": "number_input"}  # streamlit call -> AppTest kind


def bound(page) -> list[tuple[str, str]]:
    """(AppTest kind, key) of every widget of the page bound to the URL, of the kinds moved here."""
    return [(KINDS[call], key) for call, key in page_bound_widgets(page) if call in KINDS]


# Not here, and why: the checkpoint explorer's numbers (layer, head) exist only once a model is open.
# (A page file named like its own URL path, e.g. pages/speech.py at /speech, runs under AppTest without the
# router and so without the sidebar: page files carry a longer name, pages/speech_recognition.py.)
NOT_HERE = {"checkpoints"}
LABS = [p for p in all_pages() if p.path not in LESSONS.values() and bound(p) and p.url_path not in NOT_HERE]


def moved(w):
    """A different value the widget accepts: the toggle flipped, a number one step up (or down at the top)."""
    if w.type == "toggle" or isinstance(w.value, bool):
        return not w.value
    step = w.step or 1
    up = w.value + step
    return up if w.max is None or up <= w.max else w.value - step


def test_every_lab_with_url_bound_numbers_is_covered():
    assert {p.url_path for p in LABS} >= {"word2vec", "glove", "explorer", "gpt"}


@pytest.mark.parametrize("page", LABS, ids=lambda p: p.url_path)
def test_the_link_reproduces_the_view(page):
    at = open_page(page.path)
    changed = {}
    for kind, key in bound(page):
        w = next((x for x in at.get(kind) if x.key == key), None)
        if w is None or getattr(w, "disabled", False):
            continue  # not shown in the default view (a section that needs a trained model, say)
        value = moved(w)
        w.set_value(value).run()
        assert_clean(at)
        changed[key] = (kind, value)
    assert changed, f"{page.url_path}: no URL-bound number or switch shown"
    # a later change may legitimately move an earlier widget (a step slider clamped to a new length):
    # the link must carry what the page now shows
    shown = {key: next(x for x in at.get(kind) if x.key == key).value for key, (kind, _) in changed.items()}
    link = link_of(at)
    fresh = open_page(page.path, query_of(link))
    assert_clean(fresh)
    for key, (kind, _) in changed.items():
        assert next(x for x in fresh.get(kind) if x.key == key).value == shown[key], (key, link)
