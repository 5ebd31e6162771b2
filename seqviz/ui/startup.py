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

The fix is app.py's `lifespan`, given to `st.App`: `streamlit run app.py` (`make run`, the container and
every host) finds `app` (streamlit reads app.py's syntax tree for an `st.App` assignment), imports
app.py as a module at start, runs `lifespan` before accepting any connection, and runs app.py as the page
script per session as before (the `if __name__ == "__main__":` block). The hook lives in app.py, not here,
because importing this module imports the seqviz.ui package (torch: a second of start-up): app.py must
stay light to import, so the server is healthy in half a second. The hook then starts `warm_up` in a
thread: the heavy imports run while the first visitor's browser loads the frontend, instead of after it
(bench/bench_coldstart.py). tests/test_browser_first_session.py checks the first visitor's navigation
for both entry points (app.py and deploy/cloud/streamlit_app.py, which reuses app.py's hook).
"""

from __future__ import annotations


def warm_up() -> None:
    """What every lesson imports, loaded once in the background at server start (see the module docstring),
    then kept out of the cyclic garbage collector's full passes.

    Why the freeze: torch, plotly, pandas and streamlit leave ~340,000 objects that live as long as the
    server; Python's full collection walks all of them (~170 ms here, holding the one lock every session's
    script needs) whenever enough new long-lived objects pile up. `gc.freeze` moves everything alive now
    into a permanent generation the collector never walks, so a full pass covers only what sessions made
    since (tests/test_runtime.py). Objects a session had alive at that instant are frozen too: never
    collected if they later become cyclic garbage, a bounded one-off.
    """
    import gc
    import importlib

    for name in ("plotly.graph_objects", "pandas", "altair", "seqviz.plotting", "seqviz.plotting.recurrent",
                 "seqviz.ui.recurrent", "seqviz.ui.classroom", "seqviz.ui.room", "seqviz.ui.pack"):
        importlib.import_module(name)
    gc.freeze()  # no collection first: it would hold the lock ~130 ms while the first visitor waits, to free ~20 objects
