"""Tier 5, browser: Debian's chromium against a real streamlit server on 127.0.0.1.

Every page in the navigation (parametrized over `all_pages()`, so a new page is visited without
touching this file) loads by URL in a fresh browser context, finishes its run, shows no exception box
and no "Page not found" dialog, draws its plotly figures (lesson pages), and talks to nobody but
127.0.0.1. One screenshot a page goes to build/screenshots/ for a person to look at. Also: a lesson
URL opened as the first session of a fresh server, and the RNN lesson driven (new text, one training).

Helpers (server, chromium, waiting for a run) live in tests/browser_server.py, shared with bench/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from browser_server import REPO_ROOT, AppRuns, launch_chromium, open_root_once, page_address, streamlit_server
from seqviz.ui import all_pages

pytestmark = pytest.mark.browser

SHOTS = REPO_ROOT / "build" / "screenshots"
VIEWPORT = {"width": 1400, "height": 3000}  # tall: streamlit scrolls its own container, so full_page can't
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
EXCEPTION = '[data-testid="stException"]'
PLOT = ".js-plotly-plot"


LESSONS = [p for p in all_pages() if page_address(p)]
WITHOUT_FIGURES = {"home", "guide", "checkpoints"}  # text and links, or (checkpoints) figures only once a model is opened:
# every lesson draws at least one figure; tests/test_browser_checkpoints.py draws the explorer's after uploads


# -- fixtures -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def warm_server(server, browser):
    """The server after one session has opened "/", so the page tests start alike whatever their order."""
    open_root_once(browser, server)
    return server


class Visit:
    """A page in a fresh context, with every request, failure and error response recorded."""

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.runs = AppRuns(self.page)
        self.urls: list[str] = []
        self.failed: list[str] = []
        # Requests for any other host are aborted inside the browser (so a test never reaches the
        # network) and still recorded by the "request" event, which fails the test.
        self.context.route("**/*", self._local_only)
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("websocket", lambda ws: self.urls.append(ws.url))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})"))
        self.page.on("response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)

    @staticmethod
    def _local_only(route) -> None:
        if urlsplit(route.request.url).hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def open(self, path: str, timeout_s: float = 45) -> None:
        self.page.goto(f"{self.base_url}/{path}")
        self.runs.wait_idle(timeout_s=timeout_s)

    def assert_plots_drawn(self) -> None:
        # wait_idle already waited for every chart on the page to draw; a lesson has at least one
        plots, drawn = self.page.evaluate(
            """(sel) => { const p = Array.from(document.querySelectorAll(sel));
                          return [p.length, p.filter(e => e.querySelector('svg.main-svg')).length]; }""", PLOT)
        assert plots >= 1 and drawn == plots, f"{drawn} of {plots} plotly figures drawn"

    def assert_clean(self) -> None:
        exceptions = self.page.locator(EXCEPTION)
        assert exceptions.count() == 0, exceptions.all_inner_texts()
        dialogs = [t for t in self.page.get_by_role("dialog").all_inner_texts() if "Page not found" in t]
        assert not dialogs and self.runs.page_not_found == 0, dialogs or "the server sent page_not_found"

    def assert_only_local_traffic(self, path: str) -> None:
        hosts = {urlsplit(u).hostname for u in self.urls if urlsplit(u).scheme in ("http", "https", "ws", "wss")}
        assert hosts <= LOCAL_HOSTS, f"requests left 127.0.0.1: {sorted(hosts - LOCAL_HOSTS)}"
        # Streamlit's frontend cannot know whether it is served under a base path, so on /<page> it
        # first tries /<page>/_stcore/health and /<page>/_stcore/host-config (404 here) and then the
        # root. Those two 404s are normal; "/" has none, and anything else failing is an error.
        probe = re.compile(rf"^{re.escape(self.base_url)}/{re.escape(path)}/_stcore/(health|host-config) \(HTTP 404\)$")
        unexpected = [f for f in self.failed if not (path and probe.match(f))]
        assert not unexpected, unexpected

    def screenshot(self, name: str) -> Path:
        """The whole page in one picture: grow the viewport to the height of streamlit's scrolling
        container (it scrolls inside itself, so full_page=True would show one screen), then shoot."""
        height = self.page.evaluate(
            """() => { const m = document.querySelector('[data-testid="stMain"]');
                       return m ? m.scrollHeight : document.documentElement.scrollHeight; }""")
        if height > VIEWPORT["height"]:
            self.page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 50, 12_000)})
            self.runs.wait_idle(0, timeout_s=15)  # still settled after the resize (bounded)
        SHOTS.mkdir(parents=True, exist_ok=True)
        out = SHOTS / f"{name}.png"
        self.page.screenshot(path=str(out))
        return out

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, warm_server):
    v = Visit(browser, warm_server)
    yield v
    v.close()


def plot_x_ticks(page, index: int = 0) -> list[str]:
    return page.locator(PLOT).nth(index).locator(".xtick text").all_text_contents()


# -- every page -----------------------------------------------------------------------------------
@pytest.mark.timeout(120)
@pytest.mark.parametrize("spec", all_pages(), ids=lambda p: p.url_path)
def test_page_loads_by_url(visit, spec):
    path = page_address(spec)
    visit.open(path)
    if spec.url_path not in WITHOUT_FIGURES:
        visit.assert_plots_drawn()
    visit.screenshot(spec.url_path)
    visit.assert_clean()
    assert visit.page.locator("h1").count() >= 1, "every page has a title"
    visit.assert_only_local_traffic(path)


@pytest.mark.timeout(120)
def test_first_session_on_a_fresh_server(browser):
    """A shared link to a lesson must work for the first student after a server restart."""
    spec = LESSONS[0]
    with streamlit_server() as url:
        v = Visit(browser, url)
        try:
            v.open(page_address(spec), timeout_s=60)
            v.assert_clean()
        finally:
            v.close()


# -- the vanilla RNN lesson, driven -------------------------------------------------------------
@pytest.mark.timeout(120)
def test_rnn_reads_new_text_then_trains(visit):
    page, runs = visit.page, visit.runs
    visit.open("rnn")
    visit.assert_plots_drawn()
    before = plot_x_ticks(page)
    assert before and "".join(before).startswith("f(a(b"), before

    box = page.get_by_label("Text for the model to read (brackets, lowercase letters, spaces)")
    box.fill("((a))")
    mark = runs.mark()
    box.press("Enter")
    runs.wait_idle(mark)
    # plotly redraws after the run has ended: bounded wait for the new axis
    page.wait_for_function(
        """(sel) => { const p = document.querySelector(sel);
                      return !!p && Array.from(p.querySelectorAll('.xtick text')).map(t => t.textContent).join('') === '((a))'; }""",
        arg=PLOT, timeout=10_000)
    assert plot_x_ticks(page) == list("((a))")
    visit.assert_clean()

    button = page.get_by_role("button", name=re.compile(r"Train 200 more steps"))
    mark = runs.mark()
    button.click()
    trained = page.locator('[data-testid="stMetric"]').filter(has_text="Steps trained")
    trained.locator('[data-testid="stMetricValue"]').filter(has_text=re.compile(r"^\s*200\s*$")).wait_for(timeout=60_000)
    runs.wait_idle(mark, timeout_s=60)
    visit.assert_plots_drawn()
    visit.assert_clean()
    assert plot_x_ticks(page) == list("((a))"), "the text survives training"
    visit.screenshot("rnn-trained")
    visit.assert_only_local_traffic("rnn")
