"""Streamlit Community Cloud entry point: set "Main file path" to deploy/cloud/streamlit_app.py.

Why not app.py itself: Community Cloud installs the dependency file that sits beside the entry point
(and only then the one at the repository root). The root requirements.txt must stay installable
without PyTorch's own index (these machines and many schools cannot reach it), so the CPU build of
torch is requested here, in deploy/cloud/requirements.txt, beside this file.

This file runs app.py exactly as `streamlit run app.py` would. Streamlit resolves page files against
the entry point's folder, so deploy/cloud/pages is a symbolic link to the repository's pages/.
Community Cloud runs `streamlit run` from the repository root, so .streamlit/config.toml applies.
"""

import runpy
import sys
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # seqviz and app.py import from the repository root

from app import lifespan  # noqa: E402  (app.py's start-up hook: light, the heavy imports in the background)

# An st.App, like app.py: its start-up hook runs before the first visitor's session (seqviz/ui/startup.py)
app = st.App(__file__, lifespan=lifespan)

if __name__ == "__main__":  # each session's run (streamlit imports this file once at start, not as __main__)
    PagesManager.uses_pages_directory = False  # navigation-based (st.navigation), not a pages/ folder app
    runpy.run_path(str(ROOT / "app.py"), run_name="__main__")
