"""Cold start: server launch to the first page rendered, against a minimal torch + streamlit app.

    .venv/bin/python bench/bench_coldstart.py [--repeats 3]

Each repetition launches a fresh server (seqviz the way `make run` starts it, streamlit run app.py; the
reference with `streamlit run`), opens one page in a fresh chromium context and stops the clock when
the first script run has finished and the page shows it (tests/browser_server.py's AppRuns). Servers
alternate (seqviz, reference, seqviz, ...) so a busy machine slows both alike; medians are reported.
Pages: seqviz's home ("/", what a class opens first) and /rnn (a lesson with four plotly charts); the
reference app imports torch, computes with it and shows a slider. Target: seqviz home within 1.5x
of the reference. Also printed: where the seqviz server's own import time goes (python -X importtime
of what app.py imports, top modules by cumulative time), to find imports worth making lazy.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser_server import AppRuns, launch_chromium, streamlit_server  # noqa: E402

REFERENCE_APP = '''import streamlit as st
import torch

torch.set_num_threads(1)
st.title("Reference: torch + streamlit")
x = st.slider("x", 0, 10, 3)
st.write(float(torch.tanh(torch.tensor(x / 10.0))))
'''


def report(name: str, value: str, details: str = "") -> None:
    print(f"{name}: {value}" + (f" ({details})" if details else ""), flush=True)


def time_launch(browser, script: str, cwd: Path, path: str) -> tuple[float, float]:
    """Seconds from Popen to /_stcore/health answering, and to the first run drawn in the page."""
    t0 = time.perf_counter()
    with streamlit_server(script=script, cwd=cwd, deadline_s=180) as url:
        t_health = time.perf_counter() - t0
        ctx = browser.new_context(viewport={"width": 1400, "height": 2000})
        page = ctx.new_page()
        runs = AppRuns(page)
        page.goto(f"{url}/{path}")
        runs.wait_idle(timeout_s=180)
        t_drawn = time.perf_counter() - t0
        assert not page.locator('[data-testid="stException"]').count(), "the page shows an exception"
        ctx.close()
    return t_health, t_drawn


def import_profile(top: int = 12) -> list[tuple[float, str]]:
    """Cumulative import seconds of the heaviest modules app.py pulls in (beyond streamlit and torch)."""
    code = "import streamlit, torch; import app"
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=300).stderr
    rows = []
    for line in out.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((int(m.group(2)) / 1e6, m.group(4)))
    base = subprocess.run([sys.executable, "-X", "importtime", "-c", "import streamlit, torch"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300).stderr
    already = {m.group(1) for m in re.finditer(r"\|\s*(\S+)$", base, re.MULTILINE)}
    new = [(s, name) for s, name in rows if name not in already]  # each module once, where first imported
    return sorted(new, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[str, list[tuple[float, float]]] = {"home": [], "rnn": [], "reference": []}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        ref_dir = Path(tmp)
        (ref_dir / "app.py").write_text(REFERENCE_APP)
        browser = launch_chromium(p)
        try:
            for _ in range(args.repeats):
                results["home"].append(time_launch(browser, "app.py", ROOT, ""))
                results["reference"].append(time_launch(browser, "app.py", ref_dir, ""))
                results["rnn"].append(time_launch(browser, "app.py", ROOT, "rnn"))
        finally:
            browser.close()
    med = {k: (statistics.median(x[0] for x in v), statistics.median(x[1] for x in v)) for k, v in results.items()}
    ref_health, ref_drawn = med["reference"]
    for name in ("home", "rnn"):
        health, drawn = med[name]
        report(f"coldstart_{name}_vs_reference_ratio", f"{drawn / ref_drawn:.2f}",
               f"seqviz /{'' if name == 'home' else name} drawn {drawn:.2f} s after launch, minimal torch + streamlit "
               f"app {ref_drawn:.2f} s; health {health:.2f} s vs {ref_health:.2f} s; median of {args.repeats} fresh "
               f"servers each; target for home <= 1.5")
    for seconds, module in import_profile():
        report("import_s", f"{seconds:.2f}", module)


if __name__ == "__main__":
    main()
