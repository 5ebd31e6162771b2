"""Slider latency: key press on a lesson's slider to the page redrawn, against a one-slider app, and
where the lesson's time goes (issue target: at most 2x the one-slider app).

    .venv/bin/python bench/bench_latency.py [--page rnn] [--slider "Step t"] [--presses 10]

Two servers on 127.0.0.1 in the same run: seqviz (streamlit run app.py) and a one-slider streamlit
script written to a temporary folder (`streamlit run`, same flags). Debian's chromium.

1. Browser, per key press (ArrowRight, or ArrowLeft at the slider's end), in page time: from the
   keydown to the last DOM change of the redraw (a MutationObserver on the whole document; the page
   counts as redrawn once the run's script_finished arrived, every plotly figure has its svg and
   nothing changed for QUIET_MS), or to script_finished received (in the test process) where that
   came later: a rerun that changes nothing on the page made its last DOM change with the thumb.
2. Protocol client (bench/_protocol.py, no browser), same slider, same server: seconds from the
   rerun BackMsg sent to script_finished (the server's part: script run, serialisation, transport),
   the bytes of the rerun per element type, which of them differ from the previous rerun (the rest
   is redrawn for nothing), and what each plotly figure carries (its template, long floats).
3. Browser render = browser total - server part (medians).

Find the slider by label (--slider, a prefix) or take the first slider in the main area.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sessions import MAIN, ServerSampler  # noqa: E402  (puts the repo and tests/ on sys.path)

from _protocol import StudentClient  # noqa: E402
from browser_server import AppRuns, launch_chromium, open_root_once, streamlit_server  # noqa: E402

REFERENCE_APP = 'import streamlit as st\n\nst.slider("x", 0, 10)\n'
QUIET_MS = 400  # no DOM change for this long after the run ended: the redraw is over
LONG_FLOAT = re.compile(r"-?\d+\.\d{6,}(?:e-?\d+)?")

# Records, in page time, the keydown and every DOM change (the observer is cheap next to a redraw).
OBSERVER_JS = """() => {
    if (window.__lt) return;
    window.__lt = {key: 0, last: 0, n: 0};
    new MutationObserver(() => { window.__lt.last = performance.now(); window.__lt.n++; })
        .observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener('keydown', () => { window.__lt.key = performance.now(); window.__lt.last = 0; }, true);
}"""
QUIET_JS = f"() => window.__lt.last > 0 && performance.now() - window.__lt.last >= {QUIET_MS}"


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


def med(xs) -> float:
    return statistics.median(xs) if xs else float("nan")


# -- 1. the browser ---------------------------------------------------------------------------------
def slider_thumb(page, label: str | None):
    """The thumb of the slider labelled `label` in the main area, else of the first one there (a page
    that renamed its slider still gets measured; the protocol part reports which slider it moved)."""
    sliders = page.locator(f'{MAIN} [data-testid="stSlider"]')
    if label:
        named = sliders.filter(has=page.locator('[data-testid="stWidgetLabel"]', has_text=label))
        if named.count():
            sliders = named
    if not sliders.count():
        raise RuntimeError(f"no slider on {page.url}")
    return sliders.first.get_by_role("slider")


def browser_presses(browser, url: str, path: str, label: str | None, n: int, warm: int = 2) -> list[tuple[float, float]]:
    """(keydown -> redrawn, key press -> script_finished received), seconds, for n key presses."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 3000})
    try:
        page = ctx.new_page()
        runs = AppRuns(page)
        page.goto(f"{url}/{path}")
        runs.wait_idle(timeout_s=120)
        page.evaluate(OBSERVER_JS)
        thumb = slider_thumb(page, label)
        thumb.focus()
        out = []
        for i in range(warm + n):
            value, top = float(thumb.input_value()), float(thumb.get_attribute("max"))
            key = "ArrowLeft" if value >= top else "ArrowRight"
            mark = runs.mark()
            t0 = time.perf_counter()
            page.keyboard.press(key)
            runs.wait_idle(mark, timeout_s=60)
            finished = runs.finished_at[-1] - t0
            page.wait_for_function(QUIET_JS, timeout=30_000, polling=50)
            key_at, last = page.evaluate("() => [window.__lt.key, window.__lt.last]")
            if float(thumb.input_value()) == value:
                raise RuntimeError(f"the slider did not move ({key} at {value})")
            if i >= warm:  # the first reruns of a session load code: not counted
                # redrawn = the later of the last DOM change and the run's end: a page whose rerun changes
                # nothing (the one-slider app) last changed when the thumb moved, before the run even ended
                out.append((max((last - key_at) / 1e3, finished), finished))
        return out
    finally:
        ctx.close()


# -- 2. the protocol client -------------------------------------------------------------------------
class Spy(StudentClient):
    """A StudentClient that keeps every element of the last run by its delta path, with its size."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.current: dict[tuple, tuple[str, int, bytes, object]] = {}

    def _handle(self, msg):
        if msg.WhichOneof("type") == "delta" and self._run is not None:
            el = msg.delta.new_element
            kind = el.WhichOneof("type") if msg.delta.WhichOneof("type") == "new_element" else "block"
            body = msg.delta.SerializeToString(deterministic=True)
            self.current[tuple(msg.metadata.delta_path)] = (kind or "empty", len(body), body,
                                                            el.plotly_chart if kind == "plotly_chart" else None)
        super()._handle(msg)


async def protocol_moves(url, path: str, label: str | None, n: int, warm: int = 2):
    """n slider moves by the protocol client: (slider, runs, bytes changed / unchanged per type, the last
    run's elements, server CPU seconds per move: the figure the machine's other load hardly moves)."""
    server = ServerSampler(url.process.pid)
    async with Spy(url, name="latency") as s:
        await s.open(path)
        slider = s.find("slider", label or "") or s.find("slider")
        if slider is None:
            raise RuntimeError(f"no slider{f' {label!r}' if label else ''} on /{path}: {list(s.widgets.values())}")
        runs, changed, unchanged, prev = [], Counter(), Counter(), {}
        for i in range(warm + n):
            if i == warm:
                cpu0 = server.cpu_time()
            s.current = {}
            run = await s.move(slider, 1)
            if i >= warm:
                runs.append(run)
                for p, (kind, size, body, _) in s.current.items():
                    (unchanged if prev.get(p, (None, 0, None))[2] == body else changed)[kind] += size
            prev = dict(s.current)
        cpu = (server.cpu_time() - cpu0) / n
        return slider, runs, changed, unchanged, prev, cpu


def chart_facts(elements) -> list[dict]:
    out = []
    for p, (kind, size, _, chart) in sorted(elements.items()):
        if kind != "plotly_chart":
            continue
        spec = json.loads(chart.spec)
        template = len(json.dumps(spec.get("layout", {}).get("template", {}), separators=(",", ":")))
        floats = LONG_FLOAT.findall(chart.spec)
        rounded = LONG_FLOAT.sub(lambda m: f"{float(m.group()):.4g}", chart.spec)
        out.append({"path": p, "bytes": size, "template": template, "long_floats": len(floats),
                    "saved_by_4_digits": len(chart.spec) - len(rounded),
                    "traces": [t.get("type", "scatter") for t in spec.get("data", [])],
                    "data": len(json.dumps(spec.get("data", []), separators=(",", ":"))),
                    "customdata": sum(len(json.dumps(t.get("customdata"), separators=(",", ":")))
                                      for t in spec.get("data", []) if t.get("customdata") is not None)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", default="rnn", help="the lesson's url path")
    parser.add_argument("--slider", default="Step t", help="label (prefix) of the slider; '' for the first one")
    parser.add_argument("--presses", type=int, default=10)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright
    from streamlit import logger as st_logger

    st_logger.set_log_level("error")
    label = args.slider or None
    with tempfile.TemporaryDirectory() as ref_dir, streamlit_server(deadline_s=180) as url:
        Path(ref_dir, "ref.py").write_text(REFERENCE_APP)
        with streamlit_server(script="ref.py", cwd=ref_dir) as ref_url:
            with sync_playwright() as pw:  # (its event loop must be gone before asyncio.run below)
                browser = launch_chromium(pw)
                open_root_once(browser, url, timeout_s=180)
                lesson = browser_presses(browser, url, args.page, label, args.presses)
                ref = browser_presses(browser, ref_url, "", None, args.presses)
                browser.close()
            slider, runs, changed, unchanged, last, cpu = asyncio.run(protocol_moves(url, args.page, label, args.presses))
            ref_slider, ref_runs, *_, ref_cpu = asyncio.run(protocol_moves(ref_url, "", None, args.presses))

    total, finished = med([x[0] for x in lesson]), med([x[1] for x in lesson])
    r_total, r_finished = med([x[0] for x in ref]), med([x[1] for x in ref])
    server, r_server = med([r.elapsed_s for r in runs]), med([r.elapsed_s for r in ref_runs])
    report("slider_redraw_vs_one_slider_ratio", f"{total / r_total:.1f}",
           f"/{args.page} {slider.label!r}: key press to redrawn {total * 1e3:.0f} ms (max "
           f"{max(x[0] for x in lesson) * 1e3:.0f}); one-slider app {r_total * 1e3:.0f} ms (max "
           f"{max(x[0] for x in ref) * 1e3:.0f}); median of {args.presses}; target <= 2; machine load average "
           f"{__import__('os').getloadavg()[0]:.1f}")
    report("slider_server_ms", f"{server * 1e3:.0f}",
           f"protocol client, rerun BackMsg to script_finished, median of {len(runs)} (max "
           f"{max(r.elapsed_s for r in runs) * 1e3:.0f}); one-slider app {r_server * 1e3:.1f} ms; in the "
           f"browser the run's end arrived {finished * 1e3:.0f} ms after the key press (one-slider {r_finished * 1e3:.0f} ms)")
    report("slider_server_cpu_ms", f"{cpu * 1e3:.0f}",
           f"server CPU time per rerun (psutil, the protocol client's moves): the part the other load on the "
           f"machine hardly changes; one-slider app {ref_cpu * 1e3:.0f} ms, ratio {cpu / max(ref_cpu, 1e-6):.0f}x")
    report("slider_browser_render_ms", f"{(total - finished) * 1e3:.0f}",
           f"script_finished received to the last DOM change; {100 * (total - finished) / total:.0f}% of the "
           f"total; one-slider app {(r_total - r_finished) * 1e3:.0f} ms")
    sent = med([r.bytes for r in runs])
    by_type = Counter()
    for r in runs:
        by_type.update(r.bytes_by_type)
    k = len(runs)
    report("slider_rerun_kib", f"{sent / 1024:.1f}",
           f"{med([r.messages for r in runs]):.0f} messages; per type (KiB): " + ", ".join(
               f"{t} {b / k / 1024:.1f}" for t, b in by_type.most_common(8)) + f"; one-slider app "
           f"{med([r.bytes for r in ref_runs]) / 1024:.1f} KiB")
    all_bytes = sum(changed.values()) + sum(unchanged.values())
    report("slider_rerun_unchanged_pct", f"{100 * sum(unchanged.values()) / max(all_bytes, 1):.0f}",
           "bytes of elements identical to the previous rerun's (resent and redrawn for nothing); changed per "
           "type (KiB a rerun): " + ", ".join(f"{t} {b / k / 1024:.1f}" for t, b in changed.most_common(6)))
    charts = chart_facts(last)
    if charts:
        report("slider_rerun_plotly", f"{len(charts)} figures",
               "; ".join(f"{c['bytes'] / 1024:.1f} KiB ({len(c['traces'])} {'+'.join(sorted(set(c['traces'])))}; data {c['data'] / 1024:.1f} KiB "
                         f"of which customdata {c['customdata'] / 1024:.1f}, "
                         f"template {c['template'] / 1024:.1f} KiB, {c['long_floats']} floats of 6+ decimals, "
                         f"{c['saved_by_4_digits'] / 1024:.1f} KiB less at 4 significant digits)" for c in charts))


if __name__ == "__main__":
    main()
