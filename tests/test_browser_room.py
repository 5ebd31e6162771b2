"""Tier 5, browser: a room end to end in Debian's chromium against a real server (issue #18).

One presenter and three students, each in their own browser context (their own streamlit session):
the presenter opens a room from the Classroom box and asks the bidirectional lesson's first question;
the students join by the link (one types the code instead), see the question on whatever page they
are on, and answer; the presenter's count shows every answer, then the reveal reaches every screen.
Screenshots: build/screenshots/room-presenter.png, room-student.png.
"""

from __future__ import annotations

import re

import pytest

from test_browser import Visit, browser, server, warm_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SIDEBAR = '[data-testid="stSidebar"]'
WAIT_MS = 30_000  # a poll reaches a student within POLL_S (2 s) plus a run; generous for a busy 2-core machine


def _open_classroom(v: Visit) -> None:
    v.page.locator(SIDEBAR).get_by_text("Classroom").click()


@pytest.mark.timeout(420)
def test_a_room_with_one_presenter_and_three_students(browser, warm_server):
    presenter = Visit(browser, warm_server)
    students = [Visit(browser, warm_server) for _ in range(3)]
    try:
        presenter.open("bidirectional?presenter=1", timeout_s=120)
        # presenter mode opens the Classroom box by itself
        mark = presenter.runs.mark()
        presenter.page.locator(SIDEBAR).get_by_role("button", name="Open a room").click()
        presenter.runs.wait_idle(mark, timeout_s=60)
        title = presenter.page.locator(SIDEBAR).get_by_text(re.compile(r"Room [A-Z2-9]{5}"))
        title.wait_for(timeout=WAIT_MS)
        code = re.search(r"Room ([A-Z2-9]{5})", title.inner_text()).group(1)
        link = presenter.page.locator(f'{SIDEBAR} [data-testid="stCode"]').filter(has_text=f"?room={code}").first
        assert link.inner_text().strip().endswith(f"/bidirectional?room={code}")

        ask = presenter.page.get_by_role("button", name=f"Ask room {code}").first
        ask.scroll_into_view_if_needed()
        mark = presenter.runs.mark()
        ask.click()
        presenter.runs.wait_idle(mark, timeout_s=60)
        presenter.page.get_by_text(f"Asked in room {code}").wait_for(timeout=WAIT_MS)

        for i, s in enumerate(students):
            if i < 2:  # by the link the presenter shows
                s.open(f"?room={code}", timeout_s=120)
            else:  # by typing the code, on another lesson
                s.open("rnn", timeout_s=120)
                _open_classroom(s)
                box = s.page.locator(SIDEBAR).get_by_role("textbox", name="Join a room")
                box.fill(code.lower())
                box.press("Enter")
            s.page.get_by_text(f"Room {code} asks:").wait_for(timeout=WAIT_MS)
        # two say h← (backward), one says h→ (forward); the question's options are these two
        for s, option in zip(students, ["h← (backward)", "h← (backward)", "h→ (forward)"]):
            panel = s.page.locator(".st-key-room_poll")
            panel.get_by_text(option, exact=True).first.click()
            s.page.get_by_text("Yours is in").wait_for(timeout=WAIT_MS)

        count = presenter.page.get_by_text(re.compile(r"3 answers \(h→ \(forward\): 1, h← \(backward\): 2\)"))
        count.first.wait_for(timeout=WAIT_MS)  # the live count, redrawn on its own
        presenter.assert_clean()

        reveal = presenter.page.get_by_role("button", name="Reveal the answer")
        mark = presenter.runs.mark()
        reveal.click()
        presenter.runs.wait_idle(mark, timeout_s=60)
        presenter.page.get_by_text(re.compile(r"The model's answer: h[←→]")).first.wait_for(timeout=WAIT_MS)
        presenter.screenshot("room-presenter")
        for s in students:
            s.page.get_by_text(re.compile(r"The model's answer: h[←→]")).first.wait_for(timeout=WAIT_MS)
            s.page.get_by_text(re.compile(r"of 3 \(\d+%\) predicted it")).first.wait_for(timeout=WAIT_MS)
            s.assert_clean()
        students[0].screenshot("room-student")
        for v, path in zip((presenter, *students), ("bidirectional", "", "", "rnn")):
            v.assert_only_local_traffic(path)  # nothing left the machine
    finally:
        for v in (presenter, *students):
            v.close()
