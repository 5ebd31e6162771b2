"""Helpers for the browser tests and the benchmarks: a real streamlit server and a headless chromium.

    with streamlit_server() as url, sync_playwright() as p:   # url: http://127.0.0.1:PORT, healthy
        browser = launch_chromium(p)                           # Debian's chromium; never `playwright install`
        page = browser.new_context().new_page()
        runs = AppRuns(page)                                   # attach before the first goto
        page.goto(url + "/rnn")
        runs.wait_idle()                                       # the script run finished and the page drew it

Nothing here contacts anything but 127.0.0.1. Used by tests/test_browser.py and bench/bench_foundation.py.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


# -- the server -----------------------------------------------------------------------------------
class ServerURL(str):
    """The base URL (a plain str to every caller) that also carries the server's process."""

    process: subprocess.Popen


def free_port() -> int:
    """A port nothing listens on right now (the OS picks it; a tiny race with other processes remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except OSError:
        return False


def _stop(proc: subprocess.Popen, grace_s: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=grace_s)


def _tail(log, n: int = 3000) -> str:
    try:
        log.flush()
        log.seek(0)
        text = log.read().decode(errors="replace")[-n:]
    except (OSError, ValueError):
        return ""
    return f"; server output:\n{text}" if text else ""


@contextlib.contextmanager
def streamlit_server(port: int | None = None, script: str | os.PathLike = "app.py",
                     cwd: str | os.PathLike | None = None, deadline_s: float = 60.0) -> Iterator[ServerURL]:
    """Run `streamlit run script` on 127.0.0.1, wait until /_stcore/health says ok, yield the base URL.

    The process is always stopped on exit (terminate, then kill if it has not exited after 10 s).
    `cwd` defaults to the repository root, so its `.streamlit/config.toml` applies; the command line
    repeats the settings that matter (headless, no file watcher, no usage stats) so that a reference
    app in another folder runs the same way. The server's output is kept in a temporary file and
    quoted in the error when it never gets healthy.
    """
    port = port or free_port()
    url = ServerURL(f"http://{HOST}:{port}")
    start = ["-m", "streamlit", "run", str(script)]  # as `make run` and every host start app.py
    cmd = [sys.executable, *start,
           "--server.address", HOST, "--server.port", str(port), "--server.headless", "true",
           "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(cmd, cwd=str(cwd or REPO_ROOT), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=dict(os.environ, PYTHONUNBUFFERED="1"))
        url.process = proc
        try:
            end = time.monotonic() + deadline_s
            while not _healthy(url):
                if proc.poll() is not None:
                    raise RuntimeError(f"streamlit exited with {proc.returncode} before it was healthy{_tail(log)}")
                if time.monotonic() > end:
                    raise TimeoutError(f"streamlit not healthy at {url} after {deadline_s:.0f} s{_tail(log)}")
                time.sleep(0.1)
            yield url
        finally:
            _stop(proc)


def page_address(spec) -> str:
    """The path streamlit serves a seqviz.ui.PageSpec at (no leading slash): home only at "/"."""
    from seqviz.ui import page_address as address

    return address(spec)


def open_root_once(browser, url: str, timeout_s: float = 60.0) -> None:
    """Open "/" in a throwaway context and wait until its run ends: the server has then imported torch
    and the shipped models, so later timings and page tests do not pay for the first session. (The
    first session itself is tested separately, in test_first_session_on_a_fresh_server.)"""
    ctx = browser.new_context()
    runs = AppRuns(ctx.new_page())
    runs.page.goto(url + "/")
    runs.wait_idle(timeout_s=timeout_s)
    ctx.close()


def launch_chromium(playwright, **kwargs):
    """Debian's chromium, headless, with background networking off (no calls home from a classroom)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, **kwargs)


# The run is over and drawn: no status widget ("Running...", shown while a run is in progress), the
# main block has content, no lazy-loading placeholder (stSkeleton: a widget or chart whose code is
# still loading) and every plotly chart has drawn its svg (plotly.js loads lazily and draws a second
# or two after the run's messages arrived).
_DRAWN_JS = """() => {
    const block = document.querySelector('[data-testid="stMainBlockContainer"]');
    if (document.querySelector('[data-testid="stStatusWidget"]') || !block || !block.innerText.trim()) return false;
    if (document.querySelector('[data-testid="stSkeleton"]')) return false;
    return Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"]'))
        .every(chart => chart.querySelector('.js-plotly-plot svg.main-svg'));
}"""


class AppRuns:
    """The script runs of one page's streamlit session, read off its websocket.

    The status widget alone is a poor signal: the frontend shows it only once a run has lasted a
    moment, so "no status widget" is also true just before and at the start of a run. The server
    says exactly when a run ends: a `script_finished` ForwardMsg (protobuf) on `_stcore/stream`, and
    `session_status_changed.script_is_running`. `wait_idle` waits for both that and the page (see
    _DRAWN_JS). Create it before the page's first `goto`.
    """

    def __init__(self, page):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # the test process has streamlit anyway

        self._ForwardMsg = ForwardMsg
        self._early = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
        self.page = page
        self.finished: list[int] = []  # ScriptFinishedStatus of every run that ended, in order
        self.finished_at: list[float] = []  # time.perf_counter() when the page received each
        self.running = False
        self.page_not_found = 0  # page_not_found messages seen (the server ran the main page instead)
        page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        if ws.url.endswith("/_stcore/stream"):
            ws.on("framereceived", self._on_frame)

    def _on_frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = self._ForwardMsg.FromString(payload)
        except Exception:  # noqa: BLE001 - not a ForwardMsg: nothing to learn from it
            return
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            self.finished.append(msg.script_finished)
            self.finished_at.append(time.perf_counter())
        elif kind == "session_status_changed":
            self.running = msg.session_status_changed.script_is_running
        elif kind == "page_not_found":
            self.page_not_found += 1

    def mark(self) -> int:
        """Call before an action; pass the result to wait_idle to wait for the run(s) it causes."""
        return len(self.finished)

    def idle(self, since: int = 0) -> bool:
        done = (len(self.finished) > since and self.finished[-1] != self._early and not self.running)
        return done and self.page.evaluate(_DRAWN_JS)

    def wait_idle(self, since: int = 0, timeout_s: float = 30.0) -> None:
        """Wait (bounded) until a run that ended after `since` was the last one and the page shows it."""
        end = time.monotonic() + timeout_s
        while not self.idle(since):
            if time.monotonic() > end:
                raise TimeoutError(f"streamlit did not finish a run within {timeout_s:.0f} s "
                                   f"(runs ended: {self.finished[since:]}, running: {self.running})")
            self.page.wait_for_timeout(20)  # lets playwright deliver the websocket events
