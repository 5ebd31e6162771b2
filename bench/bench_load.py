"""Load: N concurrent browser sessions (a class opening the app in the same minute) against one server.

    .venv/bin/python bench/bench_load.py [--sessions 30] [--per-browser 10] [--actions 12] [--think 1 3]

One real server on 127.0.0.1 (python -m seqviz.ui, torch on one thread). Debian's chromium, several
contexts (one streamlit session each) per browser process, all driven from one asyncio loop. Each
session opens a lesson (sessions start on different lessons, within --stagger seconds), then repeats:
think for a random --think seconds, then one rerun the way a learner makes it: the first slider on
the page one step by keyboard (or the first toggle/checkbox), and after every --per-page moves, the
next lesson from the sidebar (same session).

Latency of a rerun: key press (or click) to the run's `script_finished` message reaching the page
(what the server takes, queueing included); "drawn" adds the browser drawing it. The single-session
figures come from the same run, the same server and the same actions, first, with one session alone.
Errors: an exception box on the page, a run that never finishes (timeout), "Page not found".
Server memory: RSS of the server process, sampled every 0.5 s. Targets: 30 sessions, 0 errors,
p95 under load at most 5x the single-session p95.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import statistics
import threading
import time

from _sessions import MAIN, NOT_IN_FORM, MiB, rss

from browser_server import _DRAWN_JS, CHROMIUM, CHROMIUM_ARGS, AppRuns, page_address, streamlit_server  # noqa: E402
from streamlit import logger as st_logger  # noqa: E402

st_logger.set_log_level("error")
from seqviz.ui import all_pages  # noqa: E402

TIMEOUT_S = 120.0  # a rerun or a lesson switch
FIRST_LOAD_S = 300.0  # a session's first page, frontend included


class AsyncRuns(AppRuns):
    """AppRuns (the websocket listener of tests/browser_server.py) for playwright's async API."""

    async def idle(self, since: int = 0) -> bool:  # type: ignore[override]
        done = (len(self.finished) > since and self.finished[-1] != self._early and not self.running)
        return done and await self.page.evaluate(_DRAWN_JS)

    async def wait_idle(self, since: int = 0, timeout_s: float = TIMEOUT_S) -> None:  # type: ignore[override]
        end = time.monotonic() + timeout_s
        while not await self.idle(since):
            if time.monotonic() > end:
                raise TimeoutError(f"no run finished within {timeout_s:.0f} s")
            await asyncio.sleep(0.02)


async def nav_to(page, runs: AsyncRuns, url: str, spec) -> None:
    href = f"{url}/{page_address(spec)}"
    link = page.locator(f'[data-testid="stSidebarNavLink"][href="{href}"]')
    if not await link.count():
        more = page.locator('[data-testid="stSidebarNavViewButton"]')
        if await more.count() and "more" in (await more.inner_text()).lower():
            await more.click()
    mark = runs.mark()
    await link.first.click()
    await runs.wait_idle(mark)


async def move_a_widget(page, runs: AsyncRuns, turn: int) -> bool:
    """The async twin of bench/_sessions.move_a_widget; False when the page has nothing to move."""
    thumbs = page.locator(f'{MAIN} [data-testid="stSlider"] input[type="range"]:not([disabled]){NOT_IN_FORM}')
    if await thumbs.count():
        thumb = thumbs.first
        value = float(await thumb.input_value())
        top, bottom = float(await thumb.get_attribute("max")), float(await thumb.get_attribute("min"))
        key = "ArrowLeft" if value >= top or (turn % 2 and value > bottom) else "ArrowRight"
        await thumb.focus()
        mark = runs.mark()
        await page.keyboard.press(key)
        for _ in range(50):  # a key that cannot move the thumb runs nothing: not a rerun
            if float(await thumb.input_value()) != value:
                break
            await asyncio.sleep(0.04)
        else:
            return False
        await runs.wait_idle(mark)
        return True
    boxes = page.locator(f'{MAIN} [data-testid="stCheckbox"]:has(input:not([disabled])){NOT_IN_FORM} label')
    if await boxes.count():
        mark = runs.mark()
        await boxes.first.click()
        for _ in range(60):  # a click that starts no run (nothing changed) is not a rerun
            if runs.running or len(runs.finished) > mark:
                break
            await asyncio.sleep(0.05)
        else:
            return False
        await runs.wait_idle(mark)
        return True
    return False


class Stats:
    def __init__(self):
        self.finished: list[float] = []  # seconds, action to script_finished at the page
        self.drawn: list[float] = []  # seconds, action to the page drawn
        self.switches: list[float] = []  # seconds, sidebar click to the lesson drawn
        self.errors: list[str] = []
        self.sessions_done = 0


async def one_session(i: int, browser, url: str, lessons, args, stats: Stats) -> None:
    rng = random.Random(i)
    await asyncio.sleep(rng.uniform(0, args.stagger))
    ctx = await browser.new_context(viewport={"width": 1400, "height": 1400})
    try:
        page = await ctx.new_page()
        runs = AsyncRuns(page)
        at = i % len(lessons)
        # the first visit loads the frontend (MBs of JavaScript) while the others arrive: wait for the
        # page's first run drawn (up to FIRST_LOAD_S), not for the browser's "load" event
        await page.goto(f"{url}/{page_address(lessons[at])}", wait_until="commit", timeout=FIRST_LOAD_S * 1000)
        await runs.wait_idle(timeout_s=FIRST_LOAD_S)
        turn = 0
        for k in range(args.actions):
            await asyncio.sleep(rng.uniform(*args.think))
            moved = False
            if k % args.per_page != args.per_page - 1:
                t0 = time.perf_counter()
                moved = await move_a_widget(page, runs, turn)
                if moved:
                    stats.drawn.append(time.perf_counter() - t0)
                    stats.finished.append(runs.finished_at[-1] - t0)
                    turn += 1
            if not moved:  # the lesson's turn is over (or it has nothing to move): the next lesson
                at = (at + 1) % len(lessons)
                t0 = time.perf_counter()
                await nav_to(page, runs, url, lessons[at])
                stats.switches.append(time.perf_counter() - t0)
            if await page.locator('[data-testid="stException"]').count():
                stats.errors.append(f"session {i}: exception on {lessons[at].url_path}")
                break
        if runs.page_not_found:
            stats.errors.append(f"session {i}: {runs.page_not_found} 'Page not found'")
        stats.sessions_done += 1
    except Exception as err:  # noqa: BLE001 - every failure is an error of the run, counted and shown
        stats.errors.append(f"session {i}: {type(err).__name__}: {str(err)[:160]}")
    finally:
        await ctx.close()


async def run_load(pw, url: str, n: int, args, lessons) -> Stats:
    stats = Stats()
    browsers = [await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                for _ in range(math.ceil(n / args.per_browser))]
    try:
        await asyncio.gather(*(one_session(i, browsers[i // args.per_browser], url, lessons, args, stats)
                               for i in range(n)))
    finally:
        for b in browsers:
            await b.close()
    return stats


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--per-browser", type=int, default=10, help="contexts (sessions) per chromium process")
    parser.add_argument("--actions", type=int, default=12, help="reruns each session makes")
    parser.add_argument("--per-page", type=int, default=4, help="actions on a lesson before the next lesson")
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), help="seconds between actions")
    parser.add_argument("--stagger", type=float, default=1.0, help="sessions start within this many seconds")
    args = parser.parse_args()
    from playwright.async_api import async_playwright

    lessons = [p for p in all_pages() if p.url_path != "home"]
    peak = [0]
    stop = threading.Event()

    async def go(url: str):
        async with async_playwright() as pw:
            await run_load(pw, url, 1, args, lessons)  # warm-up: shipped models loaded, code compiled
            single = await run_load(pw, url, 1, args, lessons)
            peak[0] = 0  # the figure under load
            t0 = time.perf_counter()
            load = await run_load(pw, url, args.sessions, args, lessons)
            return single, load, time.perf_counter() - t0

    with streamlit_server(deadline_s=180) as url:
        pid = url.process.pid

        def sample():
            while not stop.is_set():
                try:
                    peak[0] = max(peak[0], rss(pid))
                except Exception:  # noqa: BLE001 - the server is gone: stop sampling
                    return
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        try:
            single, load, elapsed = asyncio.run(go(url))
        finally:
            stop.set()
            sampler.join()
        after = rss(pid)

    s50, s95 = pct(single.finished, 50), pct(single.finished, 95)
    l50, l95 = pct(load.finished, 50), pct(load.finished, 95)
    report("load_sessions", f"{load.sessions_done}/{args.sessions}",
           f"{args.per_browser} contexts per chromium process, {args.actions} reruns each, think "
           f"{args.think[0]:g}-{args.think[1]:g} s, {len(load.finished)} widget reruns and {len(load.switches)} "
           f"lesson switches in {elapsed:.0f} s")
    report("load_errors", str(len(load.errors)), "; ".join(load.errors[:5]) or "none")
    report("load_rerun_p95_vs_single_ratio", f"{l95 / s95:.1f}",
           f"rerun to script_finished at the page: {args.sessions} sessions p50 {l50 * 1e3:.0f} ms, p95 "
           f"{l95 * 1e3:.0f} ms; one session alone p50 {s50 * 1e3:.0f} ms, p95 {s95 * 1e3:.0f} ms; target <= 5")
    report("load_drawn_p95_vs_single_ratio", f"{pct(load.drawn, 95) / pct(single.drawn, 95):.1f}",
           f"to the page drawn: p50 {pct(load.drawn, 50) * 1e3:.0f} / p95 {pct(load.drawn, 95) * 1e3:.0f} ms vs "
           f"alone {pct(single.drawn, 50) * 1e3:.0f} / {pct(single.drawn, 95) * 1e3:.0f} ms; lesson switch p95 "
           f"{pct(load.switches, 95) * 1e3:.0f} ms vs alone {pct(single.switches, 95) * 1e3:.0f} ms")
    report("load_server_peak_rss_mib", f"{peak[0] / MiB:.0f}", f"{after / MiB:.0f} MiB at the end")
    if single.errors:
        report("single_session_errors", str(len(single.errors)), "; ".join(single.errors[:3]))


if __name__ == "__main__":
    main()
