"""Tier 5, browser: a lesson pack made in the app reopens from its link (issue #18).

The teacher, in one session: on the vanilla RNN lesson at step 4, a pack titled "Brackets" gets the view
with a note and the text box hidden; on the bidirectional lesson, a second view with its own note. A
student opens the pack's link in a fresh context: the first view has the same step and the hidden text
box, the note above it; Next opens the second view, Back returns. Screenshot: build/screenshots/pack-step1.png.
"""

from __future__ import annotations

import pytest

from test_browser import Visit, browser, server, warm_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
SIDEBAR = '[data-testid="stSidebar"]'
POPOVER = '[data-testid="stPopoverBody"]'


def _slider_value(v: Visit, key: str) -> str:
    return v.page.locator(f'.st-key-{key} input[type="range"]').first.get_attribute("value")


def _popover(v: Visit):
    """The lesson-pack popover, opened if it is not (a rerun keeps it open; a click on its button toggles it)."""
    body = v.page.locator(POPOVER)
    v.page.wait_for_timeout(300)
    if not body.is_visible():
        v.page.locator(SIDEBAR).get_by_role("button", name="Lesson pack").click()
    body.wait_for(timeout=15_000)
    return body


def _add_view(v: Visit, note: str, hide: str | None = None, title: str | None = None) -> None:
    body = _popover(v)
    if title is not None:
        box = body.get_by_role("textbox", name="Pack title")
        box.fill(title)
        box.press("Enter")
        v.runs.wait_idle(v.runs.mark() - 1, timeout_s=60)
    area = body.get_by_role("textbox", name="Note for this view")
    area.fill(note)
    area.press("Control+Enter")
    v.page.wait_for_timeout(300)
    v.runs.wait_idle(v.runs.mark() - 1, timeout_s=60)
    if hide is not None:
        body.locator('[data-testid="stMultiSelect"]').click()
        v.page.get_by_role("option", name=hide).click()
        v.page.keyboard.press("Escape")  # the list of options closes (the popover may too)
        v.runs.wait_idle(v.runs.mark() - 1, timeout_s=60)
        body = _popover(v)
    mark = v.runs.mark()
    body.get_by_role("button", name="Add this view").click()
    v.runs.wait_idle(mark, timeout_s=60)
    v.page.keyboard.press("Escape")


@pytest.mark.timeout(420)
def test_a_pack_made_in_the_app_reopens_from_its_link(browser, warm_server):
    teacher = Visit(browser, warm_server)
    student = Visit(browser, warm_server)
    try:
        teacher.open("rnn?rnn_t=4", timeout_s=120)
        teacher.page.locator(SIDEBAR).get_by_text("Classroom").click()
        _add_view(teacher, "Watch h at step 4: which units are saturated?", hide="rnn_text", title="Brackets")
        mark = teacher.runs.mark()
        teacher.page.locator(SIDEBAR).get_by_role("link", name="Bidirectional RNN").click()
        teacher.runs.wait_idle(mark, timeout_s=120)
        _add_view(teacher, "Now read the text from both ends.")
        body = _popover(teacher)
        assert "1. Vanilla RNN: Watch h at step 4" in body.inner_text()
        assert "2. Bidirectional RNN: Now read the text" in body.inner_text()
        link = body.locator('[data-testid="stCode"]').first.inner_text().strip()
        assert link.startswith(f"{warm_server}/rnn?") and "pack=" in link and "rnn_t=4" in link
        teacher.assert_clean()

        student.page.goto(link)
        student.runs.wait_idle(timeout_s=120)
        bar = student.page.locator(".st-key-pack_bar")
        assert "Brackets · step 1 of 2" in bar.inner_text()
        assert "Watch h at step 4: which units are saturated?" in bar.inner_text()
        assert _slider_value(student, "rnn_t") == "4"
        assert not student.page.locator(".st-key-rnn_text").is_visible()  # hidden on this step
        assert student.page.locator(".st-key-rnn_unit").is_visible()  # and only that control
        student.screenshot("pack-step1")
        mark = student.runs.mark()
        bar.get_by_role("button", name="Next").click()
        student.runs.wait_idle(mark, timeout_s=120)
        student.page.wait_for_url("**/bidirectional?**", timeout=30_000)
        bar = student.page.locator(".st-key-pack_bar")
        assert "step 2 of 2" in bar.inner_text() and "Now read the text from both ends." in bar.inner_text()
        assert student.page.locator(".st-key-bi_text").is_visible()
        mark = student.runs.mark()
        bar.get_by_role("button", name="Back").click()
        student.runs.wait_idle(mark, timeout_s=120)
        student.page.wait_for_url("**/rnn?**", timeout=30_000)
        assert _slider_value(student, "rnn_t") == "4"
        assert not student.page.locator(".st-key-rnn_text").is_visible()
        student.assert_clean()
        student.assert_only_local_traffic("rnn")
    finally:
        teacher.close()
        student.close()
