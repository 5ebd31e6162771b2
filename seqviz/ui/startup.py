"""What must happen when the server starts, before the first visitor's session (whatever the launcher).

Why: app.py sits beside the pages/ folder (its name is required). Streamlit 1.67 decides, when the
first session of a process is created, whether the app is a legacy "pages/ folder" app
(`PagesManager.uses_pages_directory`: true when a pages/ folder sits beside the main script), and only
`st.navigation` turns that off, once it has run. So the first session after a start runs in the legacy
mode: the server sends a navigation of pages/ files under their file names, "Page not found" for
/rnn (the legacy address would be /rnn_basics), and only then app.py's real navigation; the frontend
keeps the first one for that session. Every later session is right. No code of the app runs before
that first session under a plain `streamlit run app.py`, except through `st.App`: when app.py assigns
an `st.App`, `streamlit run app.py` serves it (ASGI mode) and runs its lifespan at server start.

The fix, two lines in app.py (the coordinator's file):

    from seqviz.ui import startup                      # after `from seqviz import ui`
    app = st.App(__file__, lifespan=startup.lifespan)  # module level, before `if __name__ == "__main__":`

`streamlit run app.py` (and `python -m seqviz.ui`, which calls the same CLI) finds `app` (streamlit
reads app.py's syntax tree for an `st.App` assignment), imports app.py as a module at start, runs
`lifespan` below before accepting any connection, and runs app.py as the page script per session as
before (the `if __name__ == "__main__"` block; the `st.App(...)` line is cheap there: it builds no server).
AppTest.from_file("app.py") runs as before. tests/test_browser_first_session.py checks the fix.
"""

from __future__ import annotations

import contextlib
from typing import Any, AsyncIterator


def declare_navigation_app() -> None:
    """Tell streamlit this app navigates with st.navigation (never the legacy pages/ folder), before any
    session exists: what `st.navigation` itself does on its first run."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


@contextlib.asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """st.App's start-up hook (runs once, before the server accepts the first connection)."""
    declare_navigation_app()
    yield None
