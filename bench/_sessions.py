"""Shared by the classroom benchmarks (bench_memory, bench_soak, bench_load, bench_latency): the server's
resident memory and CPU (ServerSampler), moving between lessons inside one streamlit session, and one
generic widget move in chromium. (bench_load's students speak the protocol instead: bench/_protocol.py.)

Built on tests/browser_server.py (the real server, Debian's chromium, AppRuns). A `page.goto` opens a
new streamlit session; `nav_to` clicks the sidebar link instead, so the session (and everything it
holds) stays the same, as when a learner moves between lessons.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psutil  # noqa: E402

from browser_server import AppRuns, page_address  # noqa: E402

MiB = 2**20
MAIN = '[data-testid="stMainBlockContainer"]'
NOT_IN_FORM = ':not([data-testid="stForm"] *)'  # a widget in a form reruns nothing until the form is submitted


def rss(pid: int) -> int:
    """Resident bytes of a process and its children."""
    total = 0
    proc = psutil.Process(pid)
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def nav_to(page, runs: AppRuns, url: str, spec, timeout_s: float = 120) -> bool:
    """Open the lesson `spec` (a seqviz.ui.PageSpec) from the sidebar, in the same session. False
    when the tab already shows it (a click on the current page's link runs nothing)."""
    href = f"{url}/{page_address(spec)}"
    if page.url.split("?")[0].rstrip("/") == href.rstrip("/"):
        return False
    link = page.locator(f'[data-testid="stSidebarNavLink"][href="{href}"]')
    if not link.count():  # the sidebar shows the first links only until "View more" is pressed
        more = page.locator('[data-testid="stSidebarNavViewButton"]')
        if more.count() and "more" in more.inner_text().lower():
            more.click()
    mark = runs.mark()
    link.first.click()
    runs.wait_idle(mark, timeout_s=timeout_s)
    return True


def move_a_widget(page, runs: AppRuns, turn: int, timeout_s: float = 120) -> str | None:
    """One rerun caused the way a learner causes it: the first slider on the page moves one step by
    keyboard (right, or left at its maximum; every other turn left), else the first toggle or checkbox
    flips. Returns what was moved, or None when the page has neither (nothing happened)."""
    thumbs = page.locator(f'{MAIN} [data-testid="stSlider"] input[type="range"]:not([disabled]){NOT_IN_FORM}')
    if thumbs.count():
        thumb = thumbs.first
        value, top, bottom = float(thumb.input_value()), float(thumb.get_attribute("max")), float(thumb.get_attribute("min"))
        key = "ArrowLeft" if value >= top or (turn % 2 and value > bottom) else "ArrowRight"
        thumb.focus()
        mark = runs.mark()
        page.keyboard.press(key)
        for _ in range(50):  # a key that cannot move the thumb (one-value slider, range thumbs touching) runs nothing
            if float(thumb.input_value()) != value:
                break
            page.wait_for_timeout(40)
        else:
            return None
        runs.wait_idle(mark, timeout_s=timeout_s)
        return f"slider {key}"
    boxes = page.locator(f'{MAIN} [data-testid="stCheckbox"]:has(input:not([disabled])){NOT_IN_FORM} label')
    if boxes.count():
        mark = runs.mark()
        boxes.first.click()
        if not started(page, runs, mark):
            return None
        runs.wait_idle(mark, timeout_s=timeout_s)
        return "toggle"
    return None


def started(page, runs: AppRuns, mark: int, within_s: float = 3.0) -> bool:
    """Whether the action after `mark` started a run (widgets inside a form wait for its submit button)."""
    for _ in range(int(within_s / 0.05)):
        if runs.running or len(runs.finished) > mark:
            return True
        page.wait_for_timeout(50)
    return False


def pss(pid: int) -> int:
    """Proportional set bytes of a process and its children: a page shared by k of them counts 1/k in each,
    so the sum is what they hold together (an RSS sum counts every shared page in each process: the training
    worker shares torch's pages with the fork server it was forked from). 0 where the kernel does not say."""
    total = 0
    proc = psutil.Process(pid)
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.Error, AttributeError):
            pass
    return total


class ServerSampler:
    """Samples a server's resident memory (process and children) and CPU use every `every_s` seconds
    in a background thread: `with ServerSampler(pid) as s: ...` then s.peak_rss, s.cpu_pct (a list,
    percent of one core, so up to 100 x cores); s.cpu_time() is the CPU seconds used so far; s.peak_pss the
    largest proportional-set sum (see `pss`), sampled every fourth round (reading smaps costs more)."""

    def __init__(self, pid: int, every_s: float = 0.5):
        import threading

        self.proc = psutil.Process(pid)
        self.every_s = every_s
        self.peak_rss = self.peak_pss = 0
        self.rss: list[int] = []
        self.cpu_pct: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _procs(self):
        try:
            return [self.proc, *self.proc.children(recursive=True)]
        except psutil.Error:
            return []

    def cpu_time(self) -> float:
        """User + system CPU seconds of the server and its children so far."""
        total = 0.0
        for p in self._procs():
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        import time

        last = self.cpu_time()
        t_last = time.perf_counter()
        while not self._stop.wait(self.every_s):
            now, t_now = self.cpu_time(), time.perf_counter()
            self.cpu_pct.append(100 * (now - last) / max(t_now - t_last, 1e-6))
            last, t_last = now, t_now
            try:
                r = rss(self.proc.pid)
            except psutil.Error:
                return
            self.rss.append(r)
            self.peak_rss = max(self.peak_rss, r)
            if len(self.rss) % 4 == 1:
                try:
                    self.peak_pss = max(self.peak_pss, pss(self.proc.pid))
                except psutil.Error:
                    return

    def reset(self) -> None:
        """Forget the figures so far (keep sampling): the next phase's peak alone."""
        self.peak_rss, self.peak_pss, self.rss, self.cpu_pct = 0, 0, [], []

    def __enter__(self) -> "ServerSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
