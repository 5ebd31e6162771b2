"""Foundation benchmarks: every figure is a ratio against a reference measured in the same run.

    .venv/bin/python bench/bench_foundation.py            # or: make bench

  a. RNN trace (every term of h_t) vs a plain torch.nn.RNN forward with the same weights, one thread;
  b. server launch to the rnn page fully drawn in chromium, vs a one-slider reference app;
  c. rerun latency after a widget change (Step t slider, keyboard), vs the reference app's slider;
  d. peak RSS of the server process and its children over b-c's session plus every page and one
     training click.

Servers run on 127.0.0.1 only, chromium is Debian's (/usr/bin/chromium). Prints one line a figure:
`name: value (details)`. Not a test: numbers go in closing notes (see shared/DESIGN.md, Benchmarks).
"""

from __future__ import annotations

import platform
import statistics
import sys
import tempfile
import threading
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import psutil  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from browser_server import AppRuns, launch_chromium, open_root_once, page_address, streamlit_server  # noqa: E402
from seqviz import zoo  # noqa: E402
from streamlit import logger as st_logger  # noqa: E402

st_logger.set_log_level("error")  # seqviz.ui's caches warn "No runtime found" outside a server
from seqviz.ui import all_pages  # noqa: E402

THREADS = 1
torch.set_num_threads(THREADS)
torch.set_flush_denormal(True)

REFERENCE_APP = 'import streamlit as st\n\nst.slider("x", 0, 10)\n'
TEXTS = {"T=16": "f(a(b(c)d)e)(g)h", "T=80": "f(a(b(c)d)e)(g)h" * 5}


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


def per_call_s(fn, repeat: int = 7, budget_s: float = 0.2) -> float:
    """Median over `repeat` timings of N calls, N chosen so one timing takes about budget_s."""
    timer = timeit.Timer(fn)
    n, t = 1, 0.0
    while t < budget_s / 10:  # a first estimate of the time a call takes
        t = timer.timeit(n)
        n *= 4
    number = max(1, int(budget_s / (t / (n // 4))))
    return statistics.median(timer.repeat(repeat=repeat, number=number)) / number


# -- a. trace vs nn.RNN ---------------------------------------------------------------------------
def bench_trace() -> None:
    ckpt = zoo.load("rnn-brackets")
    model = ckpt.model.eval()
    cfg = model.cfg
    ref = torch.nn.RNN(cfg.vocab_size, cfg.hidden_size, batch_first=True)  # tanh, like the model's
    ref.load_state_dict(model.layers[0].state_dict())
    ref.eval()
    for label, text in TEXTS.items():
        tokens = list(text)
        ids = ckpt.vocab.encode(tokens)
        X = F.one_hot(torch.tensor([ids]), cfg.vocab_size).float()  # (1, T, V)

        def run_trace():
            return model.trace(ids, tokens, ckpt.task.class_names)

        def run_ref():
            with torch.no_grad():
                return ref(X)

        diff = float(abs(torch.from_numpy(run_trace().hidden) - run_ref()[0][0]).max())
        t_trace, t_ref = per_call_s(run_trace), per_call_s(run_ref)
        report("rnn_trace_vs_nn_rnn_ratio", f"{t_trace / t_ref:.1f}",
               f"trace {t_trace * 1e3:.3f} ms, nn.RNN {t_ref * 1e3:.3f} ms, {label}, "
               f"max |h diff| {diff:.1e}, torch threads {torch.get_num_threads()}")


# -- b. launch to first page drawn --------------------------------------------------------------
def time_launch(browser, script: str, cwd: Path | str, path: str) -> tuple[float, float, float, int]:
    """Seconds from Popen to healthy, to the first run's end reaching the page, and to the page
    drawn; and the number of page_not_found messages the page received."""
    t0 = time.perf_counter()
    with streamlit_server(script=script, cwd=cwd) as url:
        t_health = time.perf_counter() - t0
        ctx = browser.new_context(viewport={"width": 1400, "height": 3000})
        page = ctx.new_page()
        runs = AppRuns(page)
        page.goto(f"{url}/{path}")
        runs.wait_idle(timeout_s=90)
        t_drawn = time.perf_counter() - t0
        t_run = runs.finished_at[0] - t0
        if path:  # a lesson: its charts must be there
            assert page.locator(".js-plotly-plot svg.main-svg").count() > 0, "no plotly chart drawn"
        ctx.close()
        return t_health, t_run, t_drawn, runs.page_not_found


def bench_launch(browser, ref_dir: Path, repeats: int = 3) -> None:
    app = [time_launch(browser, "app.py", ROOT, "rnn") for _ in range(repeats)]
    ref = [time_launch(browser, "app.py", ref_dir, "") for _ in range(repeats)]
    med = [[statistics.median(x[i] for x in runs) for i in range(3)] for runs in (app, ref)]
    (ah, arun, a), (rh, rrun, r) = med
    report("launch_to_rnn_drawn_vs_reference_ratio", f"{a / r:.1f}",
           f"seqviz /rnn {a:.2f} s, one-slider app {r:.2f} s, median of {repeats} fresh servers; "
           f"health {ah:.2f} s vs {rh:.2f} s, first run finished {arun:.2f} s vs {rrun:.2f} s; "
           f"first sessions that got 'Page not found': {sum(x[3] > 0 for x in app)}/{repeats}")


# -- c. rerun latency -----------------------------------------------------------------------------
STEP_SHAPE_JS = """() => { const p = document.querySelector('.js-plotly-plot');
    return p && p.layout && p.layout.shapes && p.layout.shapes.length ? p.layout.shapes[0].x0 : null; }"""


def slider_reruns(page, runs: AppRuns, name: str, n: int, chart: bool) -> list[tuple[float, float]]:
    """Move the named slider one step n times by keyboard (right, or left at the maximum). For each
    key press: seconds to the run finished and drawn (and, with chart, the heatmap updated), and
    seconds until the page received the run's script_finished message."""
    thumb = page.locator('[data-testid="stSlider"]').filter(has_text=name).get_by_role("slider")
    thumb.focus()
    top = int(thumb.get_attribute("max"))
    times = []
    for _ in range(n):
        value = int(thumb.input_value())
        key, new = ("ArrowLeft", value - 1) if value == top else ("ArrowRight", value + 1)
        mark = runs.mark()
        t0 = time.perf_counter()
        page.keyboard.press(key)
        try:
            runs.wait_idle(mark, timeout_s=30)
            if chart:  # the heatmap's outline moved to the new step (x0 = t - 0.5)
                page.wait_for_function(f"() => ({STEP_SHAPE_JS})() === {new} - 0.5", timeout=10_000)
        except TimeoutError as err:
            raise TimeoutError(f"{err}; slider {value} -> {thumb.input_value()} (wanted {new}), focus on "
                               f"{page.evaluate('document.activeElement.outerHTML')[:200]}") from None
        times.append((time.perf_counter() - t0, runs.finished_at[-1] - t0))
        assert int(thumb.input_value()) == new
    return times


def bench_rerun(browser, url: str, ref_url: str, n: int = 10) -> None:
    results = {}
    for label, base, path, slider, chart in [("rnn", url, "rnn", "Step t", True),
                                             ("reference", ref_url, "", "x", False)]:
        ctx = browser.new_context(viewport={"width": 1400, "height": 3000})
        page = ctx.new_page()
        runs = AppRuns(page)
        page.goto(f"{base}/{path}")
        runs.wait_idle(timeout_s=60)
        slider_reruns(page, runs, slider, 2, chart)  # warm-up: first rerun of a session loads code
        results[label] = slider_reruns(page, runs, slider, n, chart)
        ctx.close()
    (a, a_msg), (r, r_msg) = ([statistics.median(x[i] for x in results[k]) for i in (0, 1)]
                              for k in ("rnn", "reference"))
    report("rerun_after_slider_vs_reference_ratio", f"{a / r:.1f}",
           f"rnn Step t {a * 1e3:.0f} ms (max {max(x[0] for x in results['rnn']) * 1e3:.0f}), one-slider app "
           f"{r * 1e3:.0f} ms (max {max(x[0] for x in results['reference']) * 1e3:.0f}), median of {n} key "
           f"presses, key press to run finished, page drawn and heatmap outline moved; the run's end "
           f"reached the page after {a_msg * 1e3:.0f} ms vs {r_msg * 1e3:.0f} ms")


# -- d. memory ------------------------------------------------------------------------------------
class PeakRSS:
    """Samples the RSS of a process and all its children every 50 ms in a background thread."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak = max(self.peak, self.now())
            except psutil.Error:
                return
            self._stop.wait(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def visit_and_train(browser, url: str) -> None:
    ctx = browser.new_context(viewport={"width": 1400, "height": 3000})
    page = ctx.new_page()
    runs = AppRuns(page)
    for spec in all_pages():
        page.goto(f"{url}/{page_address(spec)}")
        runs.wait_idle(runs.mark(), timeout_s=60)
    page.goto(f"{url}/rnn")
    runs.wait_idle(runs.mark(), timeout_s=60)
    mark = runs.mark()
    page.get_by_role("button", name="Train 200 more steps").click()
    page.locator('[data-testid="stMetric"]').filter(has_text="Steps trained").filter(has_text="200").wait_for(timeout=60_000)
    runs.wait_idle(mark, timeout_s=60)
    ctx.close()


def main() -> None:
    from playwright.sync_api import sync_playwright

    print(f"seqviz foundation benchmarks: torch {torch.__version__}, torch.set_num_threads({THREADS}) in this "
          f"process and in the app (ui.configure_runtime), {psutil.cpu_count()} CPUs, Python "
          f"{platform.python_version()}", flush=True)
    bench_trace()
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        ref_dir = Path(tmp)
        (ref_dir / "app.py").write_text(REFERENCE_APP)
        browser = launch_chromium(p)
        try:
            bench_launch(browser, ref_dir)
            with streamlit_server() as url, streamlit_server(script="app.py", cwd=ref_dir) as ref_url:
                with PeakRSS(url.process.pid) as mem, PeakRSS(ref_url.process.pid) as ref_mem:
                    for base in (url, ref_url):
                        open_root_once(browser, base)
                    bench_rerun(browser, url, ref_url)
                    visit_and_train(browser, url)
                    after = mem.now()
            report("server_peak_rss_mib", f"{mem.peak / 2**20:.0f}",
                   f"server + children over every page, 12 slider reruns and one 200-step training; "
                   f"{after / 2**20:.0f} MiB at the end; one-slider app peak {ref_mem.peak / 2**20:.0f} MiB, "
                   f"ratio {mem.peak / ref_mem.peak:.1f}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
