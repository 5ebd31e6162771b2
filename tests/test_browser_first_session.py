"""Tier 5, browser: the first visitor after a start, under plain `streamlit run app.py`.

app.py sits beside the pages/ folder (its name is required), and streamlit 1.67 treats the first
session of a fresh process as a legacy pages/-folder app until `st.navigation` has run once: that
session's sidebar lists the files of pages/ under their file names and a link to a lesson says "Page
not found". Every later session is right. This test starts the server with `streamlit run app.py` from
the repository root (as `make run`, the container and a hosting service do), opens a lesson's link first, and asserts the real navigation.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest

from browser_server import HOST, REPO_ROOT, AppRuns, free_port, launch_chromium
from seqviz.ui import all_pages, page_address

pytestmark = pytest.mark.browser

LESSON = next(p for p in all_pages() if page_address(p))  # the first lesson with an address of its own
NAV_LINK = '[data-testid="stSidebarNavLink"]'


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.fixture(params=["app.py", "deploy/cloud/streamlit_app.py"])
def plain_streamlit_run(request):
    """A fresh `streamlit run app.py` (the plain command, not seqviz's launcher) on a free port; and the
    Community Cloud entry point, which hosting runs the same way."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", request.param, "--server.address", HOST, "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=REPO_ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONUNBUFFERED="1"))
        try:
            end = time.monotonic() + 90
            while not _healthy(url):
                if proc.poll() is not None or time.monotonic() > end:
                    log.seek(0)
                    pytest.fail(f"streamlit run app.py never got healthy: {log.read().decode(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


def sidebar_titles(page) -> list[str]:
    """Every navigation link's text, after "View more" when the sidebar shows only the first ones."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.inner_text().lower():
        more.click()
    # a link's text is its icon's ligature name, then its title: keep the last line
    return [t.strip().splitlines()[-1].strip() for t in page.locator(NAV_LINK).all_inner_texts()]


@pytest.mark.timeout(180)
def test_first_visitor_after_streamlit_run_gets_the_real_navigation(plain_streamlit_run, browser):
    ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
    try:
        page = ctx.new_page()
        runs = AppRuns(page)
        page.goto(f"{plain_streamlit_run}/{page_address(LESSON)}")  # the very first session of this server
        runs.wait_idle(timeout_s=120)
        dialogs = [t for t in page.get_by_role("dialog").all_inner_texts() if "Page not found" in t]
        assert not dialogs and runs.page_not_found == 0, dialogs or "the server sent page_not_found"
        assert page.url.split("?")[0].endswith(f"/{page_address(LESSON)}"), f"the lesson asked for, not {page.url}"
        assert page.locator('[data-testid="stException"]').count() == 0
        titles = sidebar_titles(page)
        assert titles == [p.title for p in all_pages()], f"the sidebar shows {titles}"
        # and its links lead to the lessons: follow one other than the current
        other = next(p for p in all_pages() if page_address(p) and p is not LESSON)
        mark = runs.mark()
        page.locator(NAV_LINK, has_text=other.title).first.click()
        runs.wait_idle(mark, timeout_s=120)
        assert runs.page_not_found == 0 and page.url.split("?")[0].endswith(f"/{page_address(other)}"), page.url
    finally:
        ctx.close()
