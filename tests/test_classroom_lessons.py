"""The classroom kit (issue #10), lesson by lesson: a link copied from each existing lesson reproduces
its view in a fresh session, and each lesson asks at least two predict-then-reveal questions that
the live model answers. Shared helpers and the per-lesson tables live in test_classroom.py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from test_classroom import CHANGES, LESSONS, link_of, query_of, widget
from conftest import assert_clean, open_page


@pytest.mark.parametrize("url_path", list(CHANGES))
def test_the_link_reproduces_the_view(url_path):
    """Change widgets, copy the sidebar's link, open it in a fresh session: every widget has the value."""
    at = open_page(LESSONS[url_path])
    for kind, key, value in CHANGES[url_path]:
        widget(at, kind, key).set_value(value).run()
        assert_clean(at)
    link = link_of(at)
    assert urlsplit(link).path == f"/{url_path}"
    query = query_of(link)
    assert set(query) == {key for _, key, _ in CHANGES[url_path]}, link  # changed values only, nothing else
    fresh = open_page(LESSONS[url_path], query)
    assert_clean(fresh)
    for kind, key, value in CHANGES[url_path]:
        assert widget(fresh, kind, key).value == value, (key, link)
    assert link_of(fresh) == link  # and the fresh view offers the same link


@pytest.mark.parametrize("url_path", list(LESSONS))
def test_each_lesson_asks_two_questions_and_reveals_with_the_model(url_path):
    at = open_page(LESSONS[url_path])
    questions = [r for r in at.radio if r.key and r.key.endswith("_guess")]
    assert len(questions) >= 2 and all(r.key.startswith(url_path) for r in questions), [r.key for r in questions]
    assert not any(s.value.startswith("Yes:") for s in at.success)  # nothing revealed yet
    assert not any(i.value.startswith("Not quite:") for i in at.info)
    for q in questions:  # one run answers every question (each run of a page costs seconds on 2 cores)
        q.set_value(q.options[-1])
    at.run()
    assert_clean(at)
    verdicts = [s.value for s in at.success if s.value.startswith("Yes:")] + \
               [i.value for i in at.info if i.value.startswith("Not quite:")]
    assert len(verdicts) == len(questions), verdicts
