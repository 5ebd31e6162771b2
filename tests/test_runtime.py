"""The server process's runtime settings: one torch thread, one BLAS thread for numpy, denormals flushed."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, numpy as np, torch
from threadpoolctl import threadpool_info
before = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
from seqviz import ui
ui.configure_runtime()
after = [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]
print(json.dumps({"before": before, "after": after, "torch": torch.get_num_threads(),
                  "denormal": float(torch.tensor([1e-40]).item())}))
"""


def test_configure_runtime_keeps_torch_and_numpy_blas_to_one_thread():
    # a fresh process: the settings are process-wide, and this one's are set by conftest
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={"PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "2", "HOME": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] and max(got["before"]) == 2  # numpy's OpenBLAS is loaded and had two threads
    assert got["after"] == [1] * len(got["before"])
    assert got["torch"] == 1
    assert got["denormal"] == 0.0  # flushed to zero


FREEZE_PROBE = """
import gc, json
from seqviz.ui import startup
before = gc.get_freeze_count()
startup.warm_up()
tracked = len(gc.get_objects())  # what a full collection walks from now on
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "tracked": tracked}))
"""


def test_warm_up_freezes_the_imports_out_of_the_collectors_full_passes():
    # a fresh process, as a server starts: after warm_up the modules' objects sit in the permanent generation
    out = subprocess.run([sys.executable, "-c", FREEZE_PROBE], cwd=ROOT, capture_output=True, text=True, timeout=180,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)})
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] == 0
    assert got["frozen"] > 100_000  # torch, plotly, pandas and streamlit
    assert got["tracked"] < got["frozen"] / 10  # a full collection walks a small remainder
