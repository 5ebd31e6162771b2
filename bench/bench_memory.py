"""Memory budget of one classroom server: every lesson visited, idle sessions, trained models released.

    .venv/bin/python bench/bench_memory.py [--idle 10] [--wave 4]

One real server on 127.0.0.1 (streamlit run app.py, torch on one thread), Debian's chromium. Prints:
  a. server RSS (process + children) after one session has visited every lesson in app.py's navigation
     (clicking the sidebar, so it is one session), and the peak while doing it;     target < 700 MB
  b. RSS added by each further idle session (2 tabs open /rnn, then N more; the   target < 15 MB each
     difference over N)
  c. a session's trained models are released when it ends:
     c1. in this process, under AppTest: a session trains on each training page, a weakref is taken
         to every torch module in its session state, the session is dropped: the weakrefs die
         (nothing global, no cache, keeps them);
     c2. on the real server (disconnected sessions expire after 5 s here, 120 s by default:
         server.disconnectedSessionTTL): two waves of sessions each train a translation model and
         close; if the first wave's models were kept, the second wave would add as much again.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import re
import time
import weakref

from _sessions import ROOT, MiB, nav_to, rss

import torch  # noqa: E402

from browser_server import AppRuns, launch_chromium, streamlit_server  # noqa: E402
from streamlit import logger as st_logger  # noqa: E402

st_logger.set_log_level("error")
from seqviz.ui import all_pages  # noqa: E402

THREADS = 1
torch.set_num_threads(THREADS)
TTL_S = 5


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


def settle(pid: int, seconds: float = 3.0) -> int:
    """RSS once the server has been idle a moment (the last run's temporaries freed)."""
    time.sleep(seconds)
    return rss(pid)


def every_page(browser, url: str, pid: int) -> tuple[int, int, object]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
    page = ctx.new_page()
    runs = AppRuns(page)
    page.goto(f"{url}/")
    runs.wait_idle(timeout_s=180)
    peak = rss(pid)
    for spec in all_pages():
        nav_to(page, runs, url, spec, timeout_s=180)
        peak = max(peak, rss(pid))
    return settle(pid), peak, ctx  # the context stays open: it is the session that visited everything


def idle_sessions(browser, url: str, pid: int, n: int, warm: int = 2) -> tuple[int, int, list]:
    """RSS after `warm` sessions on /rnn (the baseline: allocator and caches settled), and after n more."""
    ctxs = []
    base = 0
    for i in range(warm + n):
        if i == warm:
            base = settle(pid, 5.0)
        ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
        page = ctx.new_page()
        runs = AppRuns(page)
        page.goto(f"{url}/rnn")
        runs.wait_idle(timeout_s=180)
        ctxs.append(ctx)
    return base, settle(pid, 5.0), ctxs


def train_translation(browser, url: str) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
    page = ctx.new_page()
    runs = AppRuns(page)
    page.goto(f"{url}/translation")
    runs.wait_idle(timeout_s=180)
    mark = runs.mark()
    button = page.get_by_role("button", name=re.compile(r"^Train \d+ more steps"))
    button.scroll_into_view_if_needed()
    button.click()
    runs.wait_idle(mark, timeout_s=300)
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():  # reported, not fatal: the memory figures stand, the error is shown beside them
        report("error_on_translation_after_training", boxes.first.inner_text()[:500].replace("\n", " | "))
    ctx.close()


def released_in_process() -> tuple[int, int]:
    """c1: (torch modules a trained session held, how many are still alive after it was dropped)."""
    import test_isolation as iso  # the same pages and the same smallest-chunk training

    refs = []
    for spec in iso.TRAINING_PAGES:
        at = iso.open_page(spec.path)
        iso.train_smallest_chunk(at)
        seen: set[int] = set()

        def walk(value, depth=0):
            if depth > 5 or id(value) in seen:
                return
            seen.add(id(value))
            if isinstance(value, torch.nn.Module):
                refs.append(weakref.ref(value))
            elif isinstance(value, dict):
                for v in value.values():
                    walk(v, depth + 1)
            elif isinstance(value, (list, tuple)):
                for v in value:
                    walk(v, depth + 1)
            elif hasattr(value, "__dict__") and not isinstance(value, type):
                for v in vars(value).values():
                    walk(v, depth + 1)

        for key in list(at.session_state):
            walk(at.session_state[key])
        del at
    gc.collect()
    return len(refs), sum(r() is not None for r in refs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--idle", type=int, default=10, help="idle sessions to open (b)")
    parser.add_argument("--wave", type=int, default=4, help="sessions training per wave (c2)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"seqviz memory: torch {torch.__version__}, one torch thread in the app, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {len(all_pages())} pages", flush=True)
    held, alive = released_in_process()
    report("trained_models_alive_after_session_dropped", f"{alive}/{held}",
           "AppTest sessions on every training page, weakrefs to each torch module in session state, "
           "session dropped and gc.collect(); target 0")

    os.environ["STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL"] = str(TTL_S)
    with streamlit_server(deadline_s=180) as url, sync_playwright() as p:
        pid = url.process.pid
        browser = launch_chromium(p)
        try:
            start = settle(pid, 1.0)
            after_all, peak, first = every_page(browser, url, pid)
            report("server_rss_every_page_mib", f"{after_all / MiB:.0f}",
                   f"one session visited all {len(all_pages())} lessons; peak {peak / MiB:.0f} MiB; "
                   f"{start / MiB:.0f} MiB before the first session; target < 700 MB")
            base, after_idle, ctxs = idle_sessions(browser, url, pid, args.idle)
            per = (after_idle - base) / args.idle
            report("rss_per_idle_session_mib", f"{per / MiB:.1f}",
                   f"after 2 sessions on /rnn, {args.idle} more opened /rnn and wait: {base / MiB:.0f} -> "
                   f"{after_idle / MiB:.0f} MiB; target < 15 MB")
            for ctx in [first, *ctxs]:
                ctx.close()
            time.sleep(TTL_S + 5)
            base = settle(pid)
            waves = []
            for _ in range(2):
                for _ in range(args.wave):
                    train_translation(browser, url)
                time.sleep(TTL_S + 5)  # the wave's sessions expire
                waves.append(settle(pid))
            grow1, grow2 = waves[0] - base, waves[1] - waves[0]
            report("rss_second_training_wave_mib", f"{grow2 / MiB:+.0f}",
                   f"{args.wave} sessions each trained a translation model (100 steps) and closed, twice: "
                   f"the first wave left {grow1 / MiB:+.0f} MiB (allocator high-water mark), the second "
                   f"{grow2 / MiB:+.0f} MiB; released models make the second wave reuse the first's memory")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
