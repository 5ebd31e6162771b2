"""Deployment files, checked statically (no container engine on the test machines): the Dockerfile,
.dockerignore, the Kubernetes manifest and the Streamlit Community Cloud entry point."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE)
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
            for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_dockerfile_slim_python_cpu_torch_non_root_healthcheck():
    steps = instructions()
    assert steps[0] == ("FROM", "python:3.11-slim")
    runs = " ".join(args for kind, args in steps if kind == "RUN")
    # the CPU build from PyTorch's CPU index, installed before requirements.txt (which pins torch==2.13.0)
    cpu = runs.index("--index-url https://download.pytorch.org/whl/cpu torch==2.13.0")
    assert cpu < runs.index("-r requirements.txt")
    users = [args for kind, args in steps if kind == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert steps.index(("USER", users[-1])) < [kind for kind, _ in steps].index("CMD")
    health = [args for kind, args in steps if kind == "HEALTHCHECK"]
    assert len(health) == 1 and "/_stcore/health" in health[0]
    cmd = [args for kind, args in steps if kind == "CMD"][-1]
    assert '"-m", "streamlit", "run", "app.py"' in cmd and '"--server.fileWatcherType", "none"' in cmd
    assert '"0.0.0.0"' in cmd  # reachable from outside the container
    assert "STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED=true" in DOCKERFILE  # the readiness endpoint exists


def test_dockerignore_keeps_the_app_and_drops_the_rest():
    patterns = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines()
                if p.strip() and not p.startswith("#")]

    def ignored(path: str) -> bool:
        out = False
        for p in patterns:
            neg = p.startswith("!")
            pat = p[1:] if neg else p
            if fnmatch.fnmatch(path, pat) or fnmatch.fnmatch(path, pat.replace("**/", "")) or path.startswith(pat + "/"):
                out = not neg
        return out

    for needed in ("app.py", "pages/home.py", "seqviz/ui/__init__.py", "assets/SHA256SUMS",
                   ".streamlit/config.toml", "requirements.txt"):
        assert not ignored(needed), needed
    for dropped in (".venv", ".git", "tests/test_pages.py", "bench/bench_load.py"):
        assert ignored(dropped), dropped


def test_kubernetes_replicas_sticky_sessions_and_probes():
    docs = {d["kind"]: d for d in yaml.safe_load_all((ROOT / "deploy" / "kubernetes.yaml").read_text())}
    deploy, service, ingress = docs["Deployment"], docs["Service"], docs["Ingress"]
    assert deploy["spec"]["replicas"] >= 2
    pod = deploy["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_stcore/script-health-check"
    assert container["livenessProbe"]["httpGet"]["path"] == "/_stcore/health"
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED"] == "true"
    assert pod["securityContext"]["runAsNonRoot"] is True
    res = container["resources"]
    assert res["requests"]["memory"] and res["limits"]["memory"]
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    notes = ingress["metadata"]["annotations"]
    assert notes["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert int(notes["nginx.ingress.kubernetes.io/proxy-read-timeout"]) >= 600  # long-lived websockets
    assert deploy["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]


def test_cloud_gets_cpu_torch_and_local_installs_do_not_need_its_index():
    cloud = (ROOT / "deploy" / "cloud" / "requirements.txt").read_text()
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in cloud
    assert re.search(r"^torch==2\.13\.0\+cpu$", cloud, re.MULTILINE)
    assert re.search(r"^-r \.\./\.\./requirements\.txt$", cloud, re.MULTILINE)
    for local in ("requirements.txt", "requirements-dev.txt"):
        assert "download.pytorch.org" not in (ROOT / local).read_text()
    pinned = re.search(r"^torch==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE).group(1)
    assert f"torch=={pinned}+cpu" in cloud  # the same version as a local install


def test_cloud_entry_point_runs_app_py_with_the_real_pages():
    entry = ROOT / "deploy" / "cloud" / "streamlit_app.py"
    assert 'runpy.run_path(str(ROOT / "app.py"), run_name="__main__")' in entry.read_text()
    pages = ROOT / "deploy" / "cloud" / "pages"  # streamlit resolves page files against the entry's folder
    assert pages.is_symlink() and pages.resolve() == (ROOT / "pages").resolve()


def test_no_full_garbage_collection_after_every_script_run():
    """streamlit's runner.postScriptGC walks every object after each run (fragment reruns included): ~150 ms of
    CPU a run with torch loaded (bench/bench_room.py). The shipped config turns it off, as streamlit reads it."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", "from streamlit import config; print(config.get_option('runner.postScriptGC'))"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr[-500:]
