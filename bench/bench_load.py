"""Load: a class of N students on one small server, simulated at streamlit's protocol level.

    .venv/bin/python bench/bench_load.py [--students 30] [--trainers 10] [--seconds 120] [--port 0]

One real server on 127.0.0.1 (streamlit run app.py, torch on one thread). Each student is a
bench/_protocol.StudentClient: one websocket, one streamlit session, the messages a browser sends
(the first request names the page by its URL path, widget changes send every widget's state, a
button press a trigger), no browser. So 30 students cost the test machine little and the server as
much as 30 browsers would (the browser's drawing is measured by bench/bench_latency.py instead).
ONE real chromium session runs alongside as a check that pages still draw under load.

Phases, all in one run and one server:
1. warm-up: one student visits every lesson in the navigation once (shipped models loaded, code
   compiled) and notes which have a slider and which a button labelled "Train...";
2. single: one student alone moves the reference lesson's first slider (--page, default rnn) --single
   times: the figure the crowd is compared with;
3. crowd: N students for --seconds. Every student opens the reference lesson first (the teacher's
   link), then 2-3 more lessons (in an order that differs per student) in the same session, sharing
   the time between them. On each lesson: think --think seconds, move the first slider one step
   (else flip the first checkbox or toggle), repeat. --trainers of them (one in three by default) also
   press the lesson's "Train..." button once per lesson that has one.

Per action type (open, goto, slider, toggle, train): latency from the BackMsg sent to the last
script_finished (p50 / p95 / max), errors (a run that never finished, the websocket closed, "Page not
found"), exceptions shown on the page. Server resident memory and CPU sampled every 0.5 s. The figure
the issue asks for: p95 of the reference slider under load / p95 of the same slider alone.
Bounded: every action times out after --timeout s; the crowd stops starting actions after --seconds
and the run ends when the last action in flight has ended. Loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from collections import defaultdict

import psutil

from _sessions import MAIN, MiB, ServerSampler

from _protocol import ProtocolError, Run, StudentClient  # noqa: E402
from browser_server import _DRAWN_JS, CHROMIUM, CHROMIUM_ARGS, AppRuns, free_port, streamlit_server  # noqa: E402
from streamlit import logger as st_logger  # noqa: E402

st_logger.set_log_level("error")

SKIP = {"", "home", "guide", "checkpoints", "vectors"}  # text and links, or pages that wait for an upload


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


class Stats:
    def __init__(self):
        self.latency: dict[str, list[float]] = defaultdict(list)  # action type -> seconds
        self.ref_slider: list[float] = []  # the reference lesson's first slider only
        self.errors: list[str] = []
        self.exceptions: list[str] = []
        self.actions = 0
        self.train_by_page: dict[str, list[float]] = defaultdict(list)
        self.bytes = 0

    def add(self, who: str, kind: str, run: Run, on_ref: bool = False) -> None:
        self.actions += 1
        self.bytes += run.bytes
        self.latency[kind].append(run.elapsed_s)
        if kind == "train":
            self.train_by_page[run.page or "?"].append(run.elapsed_s)
        if on_ref and kind == "slider":
            self.ref_slider.append(run.elapsed_s)
        for e in run.exceptions:
            self.exceptions.append(f"{who} {run.action}: {e}")
        if run.page_not_found:
            self.errors.append(f"{who} {run.action}: Page not found ({run.page_not_found})")


# -- one student --------------------------------------------------------------------------------------
async def act(s: StudentClient, stats: Stats, kind: str, coro, on_ref: bool = False) -> Run | None:
    try:
        run = await coro
    except (ProtocolError, OSError, asyncio.TimeoutError) as err:
        stats.errors.append(f"{s.name} {kind}: {str(err)[:200]}")
        return None
    stats.add(s.name, kind, run, on_ref)
    return run


async def one_step(s: StudentClient, stats: Stats, turn: int, on_ref: bool) -> Run | bool:
    """Move the first slider one step (direction alternating), else flip the first checkbox. The run,
    False when the page has neither, None when the action failed (timed out, connection lost)."""
    slider = s.find("slider")
    if slider is not None:
        return await act(s, stats, "slider", s.move(slider, 1 if turn % 2 == 0 else -1), on_ref)
    box = s.find("checkbox")
    if box is not None:
        return await act(s, stats, "toggle", s.toggle(box))
    return False


async def student(i: int, url: str, lessons: list[str], ref: str, trains: bool, args, stats: Stats,
                  deadline: float) -> None:
    rng = random.Random(i)
    await asyncio.sleep(rng.uniform(0, args.stagger))
    others = [p for p in lessons if p != ref]
    rng.shuffle(others)
    plan = [ref, *others[: rng.choice((2, 3))]]  # 3-4 lessons, the teacher's first
    share = (deadline - time.monotonic()) / len(plan)
    s = StudentClient(url, timeout_s=args.timeout, name=f"student{i}")
    try:
        await s.connect()
    except Exception as err:  # noqa: BLE001 - refused, timed out, rejected: an error of the run
        stats.errors.append(f"student{i}: connect: {type(err).__name__}: {err}")
        return
    try:
        turn = 0
        for k, page in enumerate(plan):
            if time.monotonic() >= deadline:
                break
            lesson_end = min(deadline, time.monotonic() + share)
            run = await act(s, stats, "open" if k == 0 else "goto", s.open(page) if k == 0 else s.goto(page))
            if run is None:
                break
            trained = not trains
            while time.monotonic() < lesson_end:
                await asyncio.sleep(rng.uniform(*args.think))
                if time.monotonic() >= deadline:
                    break
                button = None if trained or turn % 3 != 1 else s.find("button", "Train")
                if button is not None:
                    trained = True
                    done = await act(s, stats, "train", s.press(button))
                else:
                    done = await one_step(s, stats, turn, page == ref)
                    if done is False:  # nothing to move here: read on
                        await asyncio.sleep(rng.uniform(*args.think))
                if done is None:  # a failed action (counted): this student gives up, as one would reload
                    return
                turn += 1
    finally:
        await s.close()


# -- the one real browser ----------------------------------------------------------------------------------
class AsyncRuns(AppRuns):
    """AppRuns (tests/browser_server.py's websocket listener) for playwright's async API."""

    async def idle(self, since: int = 0) -> bool:  # type: ignore[override]
        done = len(self.finished) > since and self.finished[-1] != self._early and not self.running
        return done and await self.page.evaluate(_DRAWN_JS)

    async def wait_idle(self, since: int = 0, timeout_s: float = 120) -> None:  # type: ignore[override]
        end = time.monotonic() + timeout_s
        while not await self.idle(since):
            if time.monotonic() > end:
                raise TimeoutError(f"no run finished and drawn within {timeout_s:.0f} s")
            await asyncio.sleep(0.05)


async def browser_student(url: str, plan: list[str], args, stats: Stats, deadline: float) -> None:
    """A real chromium tab among the students: each lesson opens and draws (every plotly figure has
    its svg), a slider moved by keyboard redraws, no exception box, no "Page not found"."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            ctx = await browser.new_context(viewport={"width": 1400, "height": 2000})
            page = await ctx.new_page()
            runs = AsyncRuns(page)
            for k, path in enumerate(plan):
                if time.monotonic() >= deadline:
                    break
                mark = runs.mark()
                t0 = time.perf_counter()
                await page.goto(f"{url}/{path}", wait_until="commit")
                # the first load also fetches the frontend (MBs of JavaScript) from the busy server
                await runs.wait_idle(mark, timeout_s=args.timeout * (3 if k == 0 else 1))
                stats.latency["browser open (drawn)"].append(time.perf_counter() - t0)
                for _ in range(3):
                    await asyncio.sleep(random.uniform(*args.think))
                    if time.monotonic() >= deadline:
                        break
                    thumb = page.locator(f'{MAIN} [data-testid="stSlider"] input[type="range"]:not([disabled])').first
                    if not await thumb.count():
                        break
                    value, top = float(await thumb.input_value()), float(await thumb.get_attribute("max"))
                    await thumb.focus()
                    mark = runs.mark()
                    t0 = time.perf_counter()
                    await page.keyboard.press("ArrowLeft" if value >= top else "ArrowRight")
                    await runs.wait_idle(mark, timeout_s=args.timeout)
                    stats.latency["browser slider (drawn)"].append(time.perf_counter() - t0)
                shown = await page.locator('[data-testid="stException"]').all_inner_texts()
                stats.exceptions += [f"browser /{path}: {t[:200]}" for t in shown]
                charts = await page.evaluate("""() => { const p = Array.from(document.querySelectorAll('.js-plotly-plot'));
                                                return [p.length, p.filter(e => e.querySelector('svg.main-svg')).length]; }""")
                if charts[0] != charts[1]:
                    stats.errors.append(f"browser /{path}: {charts[1]} of {charts[0]} plotly figures drawn")
            if runs.page_not_found:
                stats.errors.append(f"browser: {runs.page_not_found} 'Page not found'")
        except Exception as err:  # noqa: BLE001 - a failure of the check is an error of the run
            stats.errors.append(f"browser: {type(err).__name__}: {str(err)[:200]}")
        finally:
            await browser.close()


# -- phases ------------------------------------------------------------------------------------------------
async def warm_up(url: str, args) -> tuple[list[str], dict[str, dict]]:
    """Visit every lesson once; return the lessons and what each offers (slider, Train button)."""
    catalog: dict[str, dict] = {}
    async with StudentClient(url, timeout_s=args.timeout, name="warm-up") as s:
        run = await s.open("")
        lessons = [p for p in s.pages if p not in SKIP]
        end = time.monotonic() + args.warmup_seconds
        for page in lessons:
            if time.monotonic() > end:
                break
            run = await s.goto(page)
            catalog[page] = {"slider": s.find("slider") is not None, "train": s.find("button", "Train") is not None,
                             "seconds": run.elapsed_s, "exceptions": run.exceptions}
    return lessons, catalog


async def single(url: str, ref: str, n: int, args) -> list[float]:
    async with StudentClient(url, timeout_s=args.timeout, name="single") as s:
        await s.open(ref)
        slider = s.find("slider")
        if slider is None:
            raise SystemExit(f"/{ref} has no slider: choose another --page")
        out = []
        for i in range(n + 2):
            run = await s.move(slider, 1 if i % 2 == 0 else -1)
            if i >= 2:
                out.append(run.elapsed_s)
            await asyncio.sleep(0.2)
        return out


async def crowd(url: str, lessons: list[str], ref: str, args, stats: Stats) -> float:
    deadline = time.monotonic() + args.seconds
    trainers = set(range(0, args.students, max(1, args.students // max(args.trainers, 1))))
    trainers = set(sorted(trainers)[: args.trainers])
    tasks = [student(i, url, lessons, ref, i in trainers, args, stats, deadline) for i in range(args.students)]
    if args.browser:
        plan = [ref, *[p for p in lessons if p != ref][:2]]
        tasks.append(browser_student(url, plan, args, stats, deadline))
    t0 = time.perf_counter()
    await asyncio.gather(*tasks)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--trainers", type=int, default=10, help="students who also press a Train button")
    parser.add_argument("--seconds", type=float, default=120, help="length of the crowd phase")
    parser.add_argument("--port", type=int, default=0, help="server port (0: a free one)")
    parser.add_argument("--page", default="rnn", help="the reference lesson (url path) every student opens first")
    parser.add_argument("--think", type=float, nargs=2, default=(2.0, 5.0), help="seconds between actions")
    parser.add_argument("--stagger", type=float, default=5.0, help="students arrive within this many seconds")
    parser.add_argument("--single", type=int, default=10, help="slider moves of the student alone")
    parser.add_argument("--timeout", type=float, default=60, help="seconds an action may take")
    parser.add_argument("--warmup-seconds", type=float, default=150)
    parser.add_argument("--no-browser", dest="browser", action="store_false", help="no real chromium session")
    args = parser.parse_args()

    # the exceptions a student sees say what failed (the app's config redacts them: showErrorDetails)
    os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    stats = Stats()
    with streamlit_server(port=args.port or free_port(), deadline_s=180) as url, \
            ServerSampler(url.process.pid) as sampler:
        t_start, load0 = time.perf_counter(), os.getloadavg()[0]
        lessons, catalog = asyncio.run(warm_up(url, args))
        broken = {p: c["exceptions"] for p, c in catalog.items() if c["exceptions"]}
        ref = args.page if catalog.get(args.page, {}).get("slider") else \
            next((p for p, c in catalog.items() if c["slider"]), None)
        if ref is None:
            raise SystemExit(f"no lesson with a slider among {lessons}")
        alone = asyncio.run(single(url, ref, args.single, args))
        idle_rss, idle_pss = sampler.peak_rss, sampler.peak_pss
        sampler.reset()
        cpu0, me0 = sampler.cpu_time(), psutil.Process().cpu_times()
        elapsed = asyncio.run(crowd(url, lessons, ref, args, stats))
        cpu_used, me1 = sampler.cpu_time() - cpu0, psutil.Process().cpu_times()
        students_cpu = (me1.user + me1.system) - (me0.user + me0.system)  # this process: the simulated students
        total = time.perf_counter() - t_start

    report("load_students", str(args.students),
           f"{args.trainers} pressing Train, {len(lessons)} lessons ({', '.join(lessons)}), think "
           f"{args.think[0]:g}-{args.think[1]:g} s, crowd {elapsed:.0f} s, {stats.actions} actions, "
           f"{stats.bytes / MiB:.0f} MiB received; whole run {total:.0f} s; machine load average "
           f"{load0:.1f} before, {os.getloadavg()[0]:.1f} after"
           + ("; plus one chromium session" if args.browser else ""))
    if broken:
        report("load_warmup_exceptions", str(len(broken)), "; ".join(f"/{p}: {e[0][:120]}" for p, e in broken.items()))
    s50, s95 = pct(alone, 50), pct(alone, 95)
    l50, l95 = pct(stats.ref_slider, 50), pct(stats.ref_slider, 95)
    report("load_slider_p95_vs_single_ratio", f"{l95 / s95:.1f}",
           f"/{ref} first slider, BackMsg to script_finished: {len(stats.ref_slider)} moves under load p50 "
           f"{l50 * 1e3:.0f} / p95 {l95 * 1e3:.0f} / max {max(stats.ref_slider, default=float('nan')) * 1e3:.0f} ms; "
           f"alone ({len(alone)} moves) p50 {s50 * 1e3:.0f} / p95 {s95 * 1e3:.0f} ms; p50 ratio {l50 / s50:.1f}")
    for kind in ("open", "goto", "slider", "toggle", "train", "browser open (drawn)", "browser slider (drawn)"):
        xs = stats.latency.get(kind)
        if xs:
            report(f"load_{kind.replace(' ', '_').replace('(', '').replace(')', '')}_ms",
                   f"p50 {pct(xs, 50) * 1e3:.0f} / p95 {pct(xs, 95) * 1e3:.0f} / max {max(xs) * 1e3:.0f}",
                   f"{len(xs)} actions")
    if stats.train_by_page:
        report("load_train_by_lesson", ", ".join(f"/{p} {statistics.median(xs):.1f} s x{len(xs)}"
                                                 for p, xs in sorted(stats.train_by_page.items())),
               "median seconds from the press to the retrained page, under load")
    report("load_errors", str(len(stats.errors)), "; ".join(stats.errors[:6]) or "none")
    report("load_exceptions_shown", str(len(stats.exceptions)), "; ".join(sorted(set(stats.exceptions))[:6]) or "none")
    cores = len(os.sched_getaffinity(0))
    report("load_server_cpu", f"mean {statistics.mean(sampler.cpu_pct or [0]):.0f}% / max {max(sampler.cpu_pct or [0]):.0f}%",
           f"of one core, {cores} cores here; {cpu_used:.0f} CPU s in the crowd's {elapsed:.0f} s; "
           f"{1e3 * cpu_used / max(stats.actions, 1):.0f} CPU ms per action; the simulated students themselves "
           f"used {students_cpu:.0f} CPU s on the same cores")
    report("load_server_peak_rss_mib", f"{sampler.peak_rss / MiB:.0f}",
           f"{idle_rss / MiB:.0f} MiB before the crowd (after warm-up and the single student); the sum of the "
           "server's and its children's RSS, so pages the training worker shares with the process it was forked "
           "from count twice")
    report("load_server_peak_pss_mib", f"{sampler.peak_pss / MiB:.0f}",
           f"{idle_pss / MiB:.0f} MiB before the crowd; proportional set size, each shared page counted once "
           "over the processes: the memory the server and its workers hold together")


if __name__ == "__main__":
    main()
