"""Tier 5, browser: the classroom kit in Debian's chromium against a real server, every non-local request
blocked (and any request that fails, failing the test).

- Presenter mode from a link, in the light and the dark theme (the browser's colour scheme picks the
  theme: both are configured): larger text, figures drawn, the page's background follows the theme,
  nothing fetched from elsewhere. Screenshots (the RNN lesson): build/screenshots/classroom-presenter-<theme>.png.
- Export: the camera button of a figure downloads seqviz-<name>.png, and .svg after choosing SVG.
- The sidebar's link to this view is the full address with the view's settings.
"""

from __future__ import annotations

import pytest

from test_browser import PLOT, SHOTS, VIEWPORT, Visit, browser, server, warm_server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
PROSE = '[data-testid="stMain"] [data-testid="stMarkdown"] [data-testid="stMarkdownContainer"] p'


class ThemedVisit(Visit):
    """A Visit whose browser context prefers a colour scheme (and accepts downloads)."""

    def __init__(self, browser, base_url: str, scheme: str = "light"):
        original = browser.new_context
        browser.new_context = lambda **kw: original(color_scheme=scheme, accept_downloads=True, **kw)
        try:
            super().__init__(browser, base_url)
        finally:
            browser.new_context = original


def _px(page, selector: str, prop: str) -> float:
    return page.evaluate("""([sel, prop]) => { const e = document.querySelector(sel);
        return e ? parseFloat(getComputedStyle(e)[prop]) : -1; }""", [selector, prop])


def _background_luminance(page) -> float:
    rgb = page.evaluate("""() => { const e = document.querySelector('[data-testid="stApp"]');
        return getComputedStyle(e).backgroundColor.match(/\\d+/g).slice(0, 3).map(Number); }""")
    return sum(c * w for c, w in zip(rgb, (0.2126, 0.7152, 0.0722))) / 255


@pytest.mark.timeout(300)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_presenter_mode_in_both_themes(browser, warm_server, scheme):
    plain = ThemedVisit(browser, warm_server, scheme)
    try:  # the same page without presenter mode, in its own context (leaving a page aborts its downloads)
        plain.open("rnn", timeout_s=120)
        plain_size = _px(plain.page, PROSE, "fontSize")
    finally:
        plain.close()
    v = ThemedVisit(browser, warm_server, scheme)
    try:
        v.open("rnn?presenter=1&hide_code=1", timeout_s=120)
        v.assert_plots_drawn()
        v.assert_clean()
        big = _px(v.page, PROSE, "fontSize")
        assert big > plain_size * 1.2, (plain_size, big)
        assert v.page.get_by_text("Show the code").count() == 0
        luminance = _background_luminance(v.page)
        assert (luminance < 0.3) if scheme == "dark" else (luminance > 0.9), luminance
        v.screenshot(f"classroom-presenter-{scheme}")
        v.assert_only_local_traffic("rnn")
    finally:
        v.close()


@pytest.mark.timeout(300)
def test_figure_downloads_as_png_then_svg(browser, warm_server):
    v = ThemedVisit(browser, warm_server)
    page = v.page
    try:
        v.open("rnn", timeout_s=120)
        v.assert_plots_drawn()
        names = []
        for fmt in ("PNG", "SVG"):
            if fmt == "SVG":
                page.locator('[data-testid="stSidebar"]').get_by_text("Classroom").click()
                mark = v.runs.mark()
                page.locator('[data-testid="stSidebar"] button').filter(has_text="SVG").click()
                v.runs.wait_idle(mark, timeout_s=120)
            chart = page.locator(PLOT).first
            chart.hover()
            button = chart.locator('.modebar-btn[data-title^="Download plot"]')
            with page.expect_download(timeout=30_000) as info:
                button.click()
            names.append(info.value.suggested_filename)
        assert names == ["seqviz-rnn-hidden-state.png", "seqviz-rnn-hidden-state.svg"]
        v.assert_clean()
        v.assert_only_local_traffic("rnn")
    finally:
        v.close()


@pytest.mark.timeout(300)
def test_sidebar_link_is_the_full_address_of_the_view(browser, warm_server):
    v = ThemedVisit(browser, warm_server)
    try:
        v.open("bidirectional?bi_t=3", timeout_s=120)
        v.page.locator('[data-testid="stSidebar"]').get_by_text("Classroom").click()
        code = v.page.locator('[data-testid="stSidebar"] [data-testid="stCode"]').first
        code.wait_for(timeout=10_000)
        assert code.inner_text().strip() == f"{warm_server}/bidirectional?bi_t=3"
        v.assert_only_local_traffic("bidirectional")
    finally:
        v.close()
