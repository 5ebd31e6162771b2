"""The one streamlit seam: navigation, cached loaders, shared widgets, export and "show the code".

Everything that touches streamlit outside `pages/` lives here, so the rest of `seqviz` imports
without it. Caching rules (DESIGN.md):
- shipped files: `shipped(name)`, one `st.cache_resource` over the labs' registry (seqviz.labs.load);
  read-only, never trained;
- traces of shipped models: `trace(name, ...)`, one `st.cache_data` over the owning lab's `trace`,
  keyed by names and plain values; each lab's own cached views live in seqviz/ui/<lab>.py;
- a model the learner trains: the session's one store (seqviz/ui/store.py), written by the one
  "train your own" block (seqviz/ui/training.py).
"""

from __future__ import annotations

import inspect
import math

import streamlit as st
import torch

from seqviz import labs
from seqviz.labs import DEFAULT_PAGE, PageSpec, all_pages, page_address  # noqa: F401 - the pages' and tests' names
from seqviz.checkpoints import CheckpointError
from seqviz.shipped import ASSETS, SnapshotError
from seqviz.ui import classroom

ICON = str(ASSETS / "icon.png")  # a local file: a material icon as favicon is fetched from a CDN


# -- navigation: the labs' registry (seqviz.labs) is the one table ---------------------------------
def navigation():
    """Build `st.navigation` from the labs' registry (the home page is the default), with the Classroom box."""
    sections = {
        name: [st.Page(p.path, title=p.title, icon=p.icon, url_path=p.url_path, default=p.url_path == DEFAULT_PAGE)
               for p in pages]
        for name, pages in labs.navigation().items()
    }
    page = st.navigation(sections)
    # the Classroom box (presenter mode, export format, the link to this view) on every page
    return classroom.ClassroomPage(page, classroom.sidebar())


@st.cache_resource
def configure_runtime() -> None:
    """Once per server process: one torch thread (see shared/MEASURED.md), one BLAS thread for numpy (a
    trace's matmuls; more threads spin-wait beside the other sessions' reruns) and no denormal slowdowns."""
    from threadpoolctl import threadpool_limits  # installed with scikit-learn

    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    threadpool_limits(limits=1, user_api="blas")  # not a `with`: the limit stays for the process


# -- shipped files, cached and shared by every session (never trained, never mutated) -------------
@st.cache_resource(show_spinner="Loading the shipped model...")
def load_shipped(name: str):
    """Any shipped file, loaded once per server (raises CheckpointError or SnapshotError): for lab modules."""
    return labs.load(name)


def shipped(name: str):
    """Any shipped file of any lab (checkpoint, vectors, data, snapshots), loaded once per server and shared;
    None after one sentence on the page saying why it cannot be used."""
    try:
        return load_shipped(name)
    except (CheckpointError, SnapshotError, ValueError) as err:
        st.error(f"The shipped file {name!r} cannot be used: {err}")
        return None


@st.cache_data(max_entries=512, show_spinner=False)
def trace(name: str, *args, **kwargs):
    """The trace of a shipped model on plain values (text, step, settings), by its lab's `trace`; cached per
    server. The page has already checked the values (e.g. with its task's check_text)."""
    return labs.owner(name).trace(load_shipped(name), *args, **kwargs)


# -- figures: chart, export, code --------------------------------------------------------------
def plot(fig, name: str, data=None, key: str | None = None, caption: str | None = None) -> None:
    """A plotly figure with a caption saying what it shows (its text alternative; the figure's title
    when no caption is given), styled for presenter mode and the dark theme (see styling.py), export
    from its toolbar as PNG or SVG (the Classroom box's choice) named after the view, and the numbers
    behind it as CSV. `data` is the table behind the figure: a DataFrame, a dict of columns, or a
    callable returning either; the CSV is built only when the button is clicked, and the click reruns
    nothing (a table per figure on every rerun cost a tenth of a rerun's time)."""
    from seqviz.plotting import styling

    fig = styling.for_view(fig, presenter=classroom.presenter_on(), dark=_dark_theme())
    if fig.layout.template.to_plotly_json():  # the streamlit theme styles the chart; plotly's default template
        fig.layout.template = None  # is 3 KiB a figure. A bare figure is only read: a cached one may be shared
    fmt = classroom.export_format()
    height = fig.layout.height or 450
    st.plotly_chart(fig, width="stretch", key=key, theme="streamlit", config={
        "displaylogo": False,
        "toImageButtonOptions": {"format": fmt, "filename": f"seqviz-{name}", "width": classroom.EXPORT_WIDTH,
                                 "height": height, "scale": 2 if fmt == "png" else 1},
        "modeBarButtonsToAdd": ["toImage"],
    })
    text = caption or styling.title_of(fig)
    if text:
        st.caption(text)
    if data is not None:
        csv_button(data, name, f"csv-{key or name}")


def csv_bytes(data) -> bytes:
    """CSV of a table given as a DataFrame, a dict of equal-length columns, or a callable returning one."""
    import pandas as pd

    table = data() if callable(data) else data
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(table)
    return frame.to_csv(index=False).encode()


def csv_button(data, name: str, key: str) -> None:
    """"Download the numbers (CSV)": built on click from `data` (see csv_bytes); the click reruns nothing."""
    st.download_button("Download the numbers (CSV)", lambda: csv_bytes(data), file_name=f"seqviz-{name}.csv",
                       mime="text/csv", key=key, icon=":material/download:", on_click="ignore")


def altair_plot(chart, name: str, data, key: str, caption: str) -> None:
    """An altair chart with its caption and the numbers as CSV. Streamlit 1.67 passes vega-embed only
    its theme, renderer and padding (no export menu), so the CSV is its export; figures meant for
    slides go through plot() (plotly) instead."""
    st.altair_chart(chart, width="stretch", key=key)
    st.caption(caption)
    csv_button(data, name, f"csv-{key}")


def _dark_theme() -> bool:
    try:
        return st.context.theme.type == "dark"
    except Exception:  # noqa: BLE001 - no browser context (tests): the light theme
        return False


def show_code(*objects, label: str = "Show the code") -> None:
    """The real source of the functions behind a figure, read at run time so it never drifts."""
    if not classroom.code_shown():  # presenter mode, code hidden by the teacher
        return
    with st.expander(label, icon=":material/code:"):
        for obj in objects:
            st.code(inspect.getsource(obj), language="python")


def drop_unusable_link_values(*keys: str) -> None:
    """Call before the widgets bound to `keys`: a shared link may carry values streamlit 1.67 mishandles
    before the page sees them. An empty value leaves a required segmented control at None, and a
    number too large for an int (1e309, inf) makes an integer number_input raise OverflowError. Such
    values are dropped from the URL and the script reruns, so those widgets start at their defaults."""
    def unusable(raw: str | None) -> bool:
        if raw is None:
            return False
        try:
            return raw == "" or math.isinf(float(raw))
        except ValueError:
            return False  # streamlit itself falls back to the default for other junk
    broken = [k for k in keys if unusable(st.query_params.get(k))]
    if broken:
        for key in broken:
            del st.query_params[key]
        st.rerun()


def tokens_or_example(check, text: str, max_chars: int, example: list[str]) -> list[str]:
    """The words of a typed sentence once its task has checked it (`check`, a TextCheck), or the
    example's words while the text is too long or has an error, said in one sentence; a note the
    learner should know shows as a warning. The translation lessons read their sentence this way."""
    if len(text) > max_chars:
        st.error(f"That text has {len(text):,} characters; a sentence here has at most {max_chars}. "
                 "Until then the views below use an example sentence.")
        return list(example)
    if check.error:
        st.error(check.error + " Until then the views below use an example sentence.")
        return list(example)
    if check.note:
        st.warning(check.note)
    return list(check.tokens)


def clamp_state(key: str, hi: int, lo: int = 1) -> None:
    """Call before a step slider or picker bound to `key`: a shorter input must not leave its value outside
    [lo, hi] (streamlit raises on a value outside a slider's range)."""
    value = st.session_state.get(key)
    if isinstance(value, (int, float)) and not lo <= value <= hi:
        st.session_state[key] = min(max(int(value), lo), hi)
