"""Server CPU per slider move, lesson by lesson: where a class's shared core goes.

    .venv/bin/python bench/bench_pages_cpu.py [--moves 6] [--pages rnn gates ...]

One streamlit server on 127.0.0.1 (`streamlit run app.py`) and one protocol-level student
(bench/_protocol.py, no browser). On every lesson with a slider in its main area the student moves the
first slider one step at a time (right, then left), and for each move the server's CPU seconds (user +
system, psutil) are read before the move is sent and after its script_finished arrives. Printed per
lesson: the median CPU ms per move, the median BackMsg-to-script_finished ms, the bytes a move sends, and
how many plotly figures it carries; the lessons sorted by CPU, with the one-slider app's CPU per move from
the same run as the reference (a streamlit rerun that draws one slider and its value).

Why CPU and not wall time: every session's script runs in the one server process and shares one Python
lock, so the CPU a move costs is what 30 students share (1 s of CPU per second at most); the machine's
other jobs move wall times far more than CPU times.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _sessions import ServerSampler  # noqa: E402  (puts the repo and tests/ on sys.path)

from _protocol import StudentClient  # noqa: E402
from browser_server import free_port, streamlit_server  # noqa: E402

SKIP = {"", "home", "guide", "checkpoints", "vectors"}  # text and links, or pages that wait for an upload
ONE_SLIDER = 'import streamlit as st\nv = st.slider("Step t", 0, 40, 0)\nst.write("value", v)\n'


async def moves_on(url: str, sampler: ServerSampler, page: str, n: int) -> dict | None:
    """Open `page` (the first run excluded), then n moves of its first slider; None without a slider."""
    async with StudentClient(url, timeout_s=120, name=f"cpu-{page}") as s:
        await s.open(page)
        slider = s.find("slider")
        if slider is None:
            return None
        cpu, wall, sizes, figures = [], [], [], []
        for i in range(n + 1):
            c0 = sampler.cpu_time()
            run = await s.move(slider, 1 if i % 2 == 0 else -1)
            c1 = sampler.cpu_time()
            slider = s.find("slider") or slider
            if i == 0:  # the first move fills the page's caches for the neighbouring value; not counted
                continue
            cpu.append(c1 - c0)
            wall.append(run.elapsed_s)
            sizes.append(run.bytes)
            figures.append(run.count_by_type.get("plotly_chart", 0))
        return {"label": slider.label, "cpu_ms": 1e3 * statistics.median(cpu), "wall_ms": 1e3 * statistics.median(wall),
                "kib": statistics.median(sizes) / 1024, "figures": max(figures),
                "exceptions": run.exceptions}


async def catalog(url: str) -> list[str]:
    async with StudentClient(url, timeout_s=120, name="catalog") as s:
        await s.open("")
        return [p for p in s.pages if p not in SKIP]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=6)
    parser.add_argument("--pages", nargs="*", default=None, help="url paths (default: every lesson)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ref_script = Path(tmp) / "one_slider.py"
        ref_script.write_text(ONE_SLIDER)
        with streamlit_server(port=free_port(), script=ref_script, cwd=tmp) as ref_url, \
                ServerSampler(ref_url.process.pid) as ref_sampler:
            ref = asyncio.run(moves_on(ref_url, ref_sampler, "", args.moves))
    rows = {}
    with streamlit_server(port=free_port(), deadline_s=180) as url, ServerSampler(url.process.pid) as sampler:
        pages = args.pages or asyncio.run(catalog(url))
        for page in pages:
            rows[page] = asyncio.run(moves_on(url, sampler, page, args.moves))
    print(f"reference one-slider app: {ref['cpu_ms']:.0f} ms CPU / {ref['wall_ms']:.0f} ms a move")
    print(f"{'lesson':14s} {'slider':28s} {'CPU ms':>7s} {'x ref':>6s} {'wall ms':>8s} {'KiB':>6s} {'figs':>4s}")
    measured = {p: r for p, r in rows.items() if r}
    for page, r in sorted(measured.items(), key=lambda kv: -kv[1]["cpu_ms"]):
        print(f"/{page:13s} {r['label'][:28]:28s} {r['cpu_ms']:7.0f} {r['cpu_ms'] / ref['cpu_ms']:6.1f} "
              f"{r['wall_ms']:8.0f} {r['kib']:6.1f} {r['figures']:4d}"
              + (f"  EXCEPTION {r['exceptions'][0][:80]}" if r["exceptions"] else ""))
    skipped = [p for p, r in rows.items() if not r]
    if skipped:
        print("no slider in the main area: " + ", ".join("/" + p for p in skipped))
    total = sum(r["cpu_ms"] for r in measured.values())
    print(f"pages_cpu_per_move_mean_ms: {total / max(len(measured), 1):.0f} over {len(measured)} lessons")


if __name__ == "__main__":
    main()
