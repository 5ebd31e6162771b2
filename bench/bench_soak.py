"""Soak: 1,000 reruns across the lessons in one session; the server's resident memory must settle.

    .venv/bin/python bench/bench_soak.py [--reruns 1000] [--per-page 8]

One real server on 127.0.0.1, one chromium tab, one streamlit session throughout. The tab cycles
through every lesson in app.py's navigation (sidebar clicks: a page switch is a rerun), and on each
lesson makes `--per-page` more reruns the way a learner does (the first slider one step by keyboard,
or the first toggle/checkbox; see bench/_sessions.py). One full cycle runs first as a warm-up (shipped
models loaded, caches filled); the figure is the RSS growth over the measured reruns after it.
Target: < 30 MB. Also printed: RSS every 100 reruns (a leak grows steadily; a cache fills then stops)
and the median rerun time.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _sessions import MiB, move_a_widget, nav_to, rss

from browser_server import AppRuns, launch_chromium, streamlit_server  # noqa: E402
from streamlit import logger as st_logger  # noqa: E402

st_logger.set_log_level("error")
from seqviz.ui import all_pages  # noqa: E402


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reruns", type=int, default=1000)
    parser.add_argument("--per-page", type=int, default=8, help="widget reruns on each lesson before moving on")
    parser.add_argument("--max-minutes", type=float, default=40.0,
                        help="stop early (and say so) when the reruns take longer than this")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    pages = all_pages()
    with streamlit_server(deadline_s=180) as url, sync_playwright() as p:
        pid = url.process.pid
        browser = launch_chromium(p)
        try:
            ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
            page = ctx.new_page()
            runs = AppRuns(page)
            page.goto(f"{url}/")
            runs.wait_idle(timeout_s=180)

            def cycle(budget: int, times: list[float], trace: list[tuple[int, int]] | None) -> int:
                """Reruns across the lessons until `budget` is spent; returns how many were made."""
                done, turn = 0, 0

                def timed(action) -> bool:
                    nonlocal done
                    t0 = time.perf_counter()
                    if action() is False:
                        return False
                    times.append(time.perf_counter() - t0)
                    done += 1
                    if trace is not None and done % 100 == 0:
                        trace.append((done, rss(pid)))
                        print(f"  {done} reruns, {time.perf_counter() - t_start:.0f} s: RSS {trace[-1][1] / MiB:.0f} MiB",
                              flush=True)
                    return True

                while done < budget and not (trace is not None and time.perf_counter() - t_start > limit_s):
                    for spec in pages:
                        if done >= budget:
                            break
                        timed(lambda: nav_to(page, runs, url, spec, timeout_s=180))  # False (no rerun) on the current page
                        for _ in range(args.per_page):
                            turn += 1
                            if done >= budget or not timed(
                                    lambda: move_a_widget(page, runs, turn, timeout_s=180) is not None):
                                break  # budget spent, or nothing to move on this lesson: on to the next
                return done

            warm: list[float] = []
            limit_s = args.max_minutes * 60
            t_start = time.perf_counter()
            per_page, args.per_page = args.per_page, 1
            cycle(len(pages) * 2, warm, None)  # warm-up: every lesson and one widget move on each
            args.per_page = per_page
            time.sleep(2)
            before = rss(pid)
            print(f"  warm-up: {len(warm)} reruns in {time.perf_counter() - t_start:.0f} s; RSS {before / MiB:.0f} MiB",
                  flush=True)
            times: list[float] = []
            trace: list[tuple[int, int]] = []
            t_start = time.perf_counter()
            made = cycle(args.reruns, times, trace)
            elapsed = time.perf_counter() - t_start
            time.sleep(2)
            after = rss(pid)
            exceptions = page.locator('[data-testid="stException"]').count()
            ctx.close()
        finally:
            browser.close()
    report("soak_rss_growth_mib", f"{(after - before) / MiB:+.1f}",
           f"{made} reruns in one session across {len(pages)} lessons in {elapsed:.0f} s after a warm-up cycle: "
           f"{before / MiB:.0f} -> {after / MiB:.0f} MiB; target < 30 MB; exceptions on the last page: {exceptions}"
           + (f"; STOPPED EARLY at --max-minutes {args.max_minutes:g}: {made} of {args.reruns} reruns" if made < args.reruns else ""))
    report("soak_rss_trace_mib", " ".join(f"{n}:{r / MiB:.0f}" for n, r in trace))
    report("soak_rerun_median_ms", f"{statistics.median(times) * 1e3:.0f}",
           f"p95 {statistics.quantiles(times, n=20)[-1] * 1e3:.0f} ms, key press or link click to the run drawn")


if __name__ == "__main__":
    main()
