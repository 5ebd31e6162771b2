"""Import hygiene: the library (everything but the seqviz.ui package) imports with streamlit unimportable."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import seqviz

ROOT = Path(__file__).resolve().parent.parent


def _modules():
    return sorted(m.name for m in pkgutil.walk_packages(seqviz.__path__, "seqviz."))


def test_library_imports_without_streamlit():
    modules = [m for m in _modules() if m != "seqviz.ui" and not m.startswith("seqviz.ui.")]
    assert "seqviz.models.recurrent" in modules and "seqviz.zoo" in modules
    code = ("import sys; sys.modules['streamlit'] = None\n"  # `import streamlit` now raises ImportError
            f"import importlib\nfor m in {modules!r}: importlib.import_module(m)\n"
            "assert 'streamlit' not in [k for k, v in sys.modules.items() if v is not None]\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_only_ui_and_pages_import_streamlit():
    ui = ROOT / "seqviz" / "ui"  # the streamlit seam: seqviz/ui/__init__.py and one module a topic
    offenders = [p for p in (ROOT / "seqviz").rglob("*.py")
                 if ui not in p.parents and "import streamlit" in p.read_text()]
    assert offenders == []


def test_library_never_imports_a_page():
    offenders = [p for p in (ROOT / "seqviz").rglob("*.py") if "from pages" in p.read_text()
                 or "import pages" in p.read_text()]
    assert offenders == []
