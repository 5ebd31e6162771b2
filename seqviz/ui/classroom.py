"""Classroom tools every lesson gets: presenter mode, shareable links, figure export settings,
explanations a teacher can hide, and predict-then-reveal questions (issue #10).

How a page uses it (the router does the rest, through `seqviz.ui.navigation`):
- every figure goes through `ui.plot(fig, name, data, key=..., caption=...)`: presenter styling (larger
  fonts, thicker lines, taller), readable colours in the dark theme, PNG or SVG export, the caption;
- teaching prose goes through `classroom.explain(markdown)` (hidden when the teacher hides
  explanations), "show the code" through `ui.show_code` (hidden when the teacher hides code);
- questions through `predict_then_reveal(key, question, options, answer, explain)`.

The sidebar's "Classroom" box holds the switches. Presenter mode and its two options are also URL
parameters (`presenter=1`, `hide_text=1`, `hide_code=1`), so a teacher's projector link opens in it.
The "link to this view" is built after the page has run, from the values of the page's widgets bound
to the URL (`bind="query-params"`), serialized the way streamlit writes them into the address bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import urlencode

import streamlit as st

# session key -> URL parameter; a toggle each (presenter options only show in presenter mode)
SWITCHES = {"presenter": "presenter", "presenter_hide_text": "hide_text", "presenter_hide_code": "hide_code"}
TRUE = {"1", "true", "yes", "on"}
EXPORT_FORMATS = {"PNG": "png", "SVG": "svg"}
EXPORT_WIDTH = 1200  # px: the width an exported figure is laid out at (PNG at 2x scale: 2400 px, sharp on a slide)

# Static CSS only (never user text). Presenter mode: larger text for a projector.
PRESENTER_CSS = """<style>
[data-testid="stMain"] [data-testid="stMarkdown"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdown"] [data-testid="stMarkdownContainer"] li { font-size: 1.35rem; line-height: 1.5; }
[data-testid="stMain"] [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stMain"] h1 { font-size: 3.2rem; }
[data-testid="stMain"] h2 { font-size: 2.4rem; }
[data-testid="stMain"] [data-testid="stWidgetLabel"] p,
[data-testid="stMain"] [data-testid="stRadio"] [data-testid="stMarkdownContainer"] p { font-size: 1.2rem; }
[data-testid="stMain"] .katex { font-size: 1.15em; }
[data-testid="stMain"] [data-testid="stMetricValue"] { font-size: 2.8rem; }
</style>"""


# -- the switches -------------------------------------------------------------------------------
def _truthy(raw: str | None) -> bool:
    return raw is not None and raw.strip().lower() in TRUE


def _write_switch_to_url(key: str) -> None:
    """on_change of a switch: the URL carries `param=1` while it is on, nothing when off."""
    param = SWITCHES[key]
    if st.session_state.get(key):
        st.query_params[param] = "1"
    elif param in st.query_params:
        del st.query_params[param]


def _read_switches_from_url() -> None:
    """A link decides: `presenter=1` turns presenter mode on, `presenter=0` off; without the parameter
    the session keeps what the teacher chose (so moving between pages keeps presenter mode)."""
    for key, param in SWITCHES.items():
        raw = st.query_params.get(param)
        if raw is not None:
            st.session_state[key] = _truthy(raw)


def presenter_on() -> bool:
    return bool(st.session_state.get("presenter", False))


def explanations_shown() -> bool:
    """False when presenter mode is on and the teacher hides explanations."""
    return not (presenter_on() and st.session_state.get("presenter_hide_text", False))


def code_shown() -> bool:
    """False when presenter mode is on and the teacher hides the code."""
    return not (presenter_on() and st.session_state.get("presenter_hide_code", False))


def explain(markdown: str, **kwargs) -> None:
    """Teaching prose (markdown, the page's own text, never user text as HTML); hidden when the
    teacher hides explanations in presenter mode. Results and questions stay: use st.markdown."""
    if explanations_shown():
        st.markdown(markdown, **kwargs)


def export_format() -> str:
    """"png" or "svg": what the camera button of every figure's toolbar downloads."""
    return EXPORT_FORMATS.get(st.session_state.get("export_format", "PNG"), "png")


def sidebar():
    """The Classroom box in the sidebar; returns the placeholder for the link, filled by share_link
    after the page has run. Called by seqviz.ui.navigation before the page runs."""
    from seqviz.ui import pack, room

    _read_switches_from_url()
    room.read_url()
    with st.sidebar:
        box = st.expander("Classroom", icon=":material/school:", expanded=presenter_on() or room.membership() is not None)
    with box:
        st.toggle("Presenter mode", key="presenter", on_change=_write_switch_to_url, args=("presenter",),
                  help="For a projector: larger text, thicker lines, taller figures. The link gets presenter=1.")
        if presenter_on():
            st.toggle("Hide explanations", key="presenter_hide_text", on_change=_write_switch_to_url,
                      args=("presenter_hide_text",), help="Keep the figures, controls and questions; hide the prose.")
            st.toggle("Hide code", key="presenter_hide_code", on_change=_write_switch_to_url,
                      args=("presenter_hide_code",), help="Hide the 'Show the code' boxes.")
        st.segmented_control("Figure download format", list(EXPORT_FORMATS), default="PNG", key="export_format",
                             required=True, help="What the camera button in each figure's toolbar saves "
                             f"(PNG at {2 * EXPORT_WIDTH} px wide, or SVG for slides that scale).")
        link = st.empty()
        pack.editor()
        room.box()
    st.session_state[LINK_SLOT] = link  # fragments refresh it (see fragment below); rebuilt every full run
    if presenter_on():
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
    return link


# -- the link to this view ------------------------------------------------------------------------
def bound_query() -> dict[str, str | list[str]]:
    """{key: value as streamlit writes it in the URL} for this page's widgets bound to the URL whose
    value is not their default (streamlit leaves defaults out of the address bar too).

    Streamlit 1.67 refreshes its server-side copy of the query string only on page changes, so it
    misses what the learner changed since; the widgets themselves are the truth. This reads the
    bindings and each widget's serializer from streamlit's session state (internal API, pinned
    streamlit==1.67.0; tests/test_classroom.py round-trips a link through every existing page)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.runtime.state.query_params import _coerce_value_for_query_url

    ctx = get_script_run_ctx()
    if ctx is None:
        return {}
    state = ctx.session_state._state
    out: dict[str, str | list[str]] = {}
    for key, binding in list(state.query_params._bindings_by_param.items()):
        meta = state._get_widget_metadata(binding.widget_id)
        if meta is None or binding.script_hash not in (ctx.page_script_hash, ctx.pages_manager.main_script_hash):
            continue
        try:
            value = st.session_state[key]
            if value == meta.deserializer(None):
                continue
            out[key] = _coerce_value_for_query_url(meta.serializer(value), meta.value_type)
        except Exception:  # noqa: BLE001 - a widget this cannot read is left out of the link, never an error
            continue
    return out


def bound_keys() -> list[str]:
    """The keys of this page's widgets bound to the URL (default values included), in the page's order."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return []
    state = ctx.session_state._state
    return [key for key, binding in list(state.query_params._bindings_by_param.items())
            if binding.script_hash in (ctx.page_script_hash, ctx.pages_manager.main_script_hash)
            and state._get_widget_metadata(binding.widget_id) is not None]


def view_link(url_path: str = "") -> str:
    """The full address of this view: the page's URL (st.context.url, or the path when the browser
    has not said) with every non-default bound value and the presenter switches."""
    query = bound_query()
    for key, param in SWITCHES.items():
        if st.session_state.get(key) and (key == "presenter" or presenter_on()):
            query[param] = "1"
    base = st.context.url or f"/{url_path}"
    return base + ("?" + urlencode(query, doseq=True) if query else "")


def share_link(placeholder, url_path: str = "") -> None:
    """Fill the sidebar placeholder with the link (st.code has a copy button)."""
    with placeholder.container():
        st.caption("Link to this view (copy it: the button on the right)")
        st.code(view_link(url_path), language=None, wrap_lines=True)


LINK_SLOT = "_classroom_link"  # session_state: the sidebar placeholder of the link (this run's)
PAGE_SLOT = "_classroom_page"  # session_state: the url path of the page being shown


def refresh_link() -> None:
    """Rewrite the link after a fragment rerun (a full run rewrites it anyway, after the page)."""
    slot = st.session_state.get(LINK_SLOT)
    if slot is not None:
        share_link(slot, st.session_state.get(PAGE_SLOT, ""))


def fragment(func):
    """`st.fragment` for a figure and its own controls (a widget inside reruns only this part, #15), which
    also keeps the Classroom box's link to the view current: streamlit reruns nothing else, so the link,
    written after the page ran, would otherwise keep the values from before."""
    import functools

    @st.fragment
    @functools.wraps(func)
    def run(*args, **kwargs):
        out = func(*args, **kwargs)
        refresh_link()
        return out

    return run


class ClassroomPage:
    """The page st.navigation chose, run with the Classroom box: the link is built after the page's
    widgets exist. Every other attribute is the StreamlitPage's."""

    def __init__(self, page, link_placeholder):
        self._page, self._link = page, link_placeholder

    def __getattr__(self, name):
        return getattr(self._page, name)

    def run(self) -> None:
        from streamlit.runtime.scriptrunner_utils.exceptions import StopException

        from seqviz.ui import pack, room

        url_path = self._page.url_path
        st.session_state[PAGE_SLOT] = url_path
        if room.membership() is not None and not room.hosting():
            room.student_panel()  # the room's question, at the top of whichever lesson the student is on
        pack.bar(url_path)  # a lesson pack being read: its note, Back / Next, its hidden controls
        try:
            self._page.run()
        except StopException:  # st.stop() on the page (say, after a bad input): the box is still filled
            self._after(url_path)
            raise
        self._after(url_path)

    def _after(self, url_path: str) -> None:
        """What needs the page's widgets: the link to this view, and the lesson-pack editor."""
        from seqviz.ui import pack

        share_link(self._link, url_path)
        pack.hide_choice()


# -- predict, then reveal ---------------------------------------------------------------------------
def predict_then_reveal(key: str, question: str, options: Sequence[str], answer: str,
                        explain: Callable[[], None]) -> None:
    """Ask `question`; after the learner commits to one of `options`, say whether it was `answer`
    and call `explain()` to show why, with the live model's own numbers (a figure or a sentence).
    `key` must be unique in the app (prefix it with the page's url path).

    In a room (seqviz.ui.room) the host can ask it to the whole class; a student whose room has it open
    answers at the top of the page instead."""
    from seqviz.ui import room

    with st.container(border=True):
        st.markdown(f"**Predict, then reveal.** {question}")
        if room.hosting() and room.host_question(key, question, tuple(options), answer, explain):
            return
        if room.students_see(key):
            st.caption("Your room has this question open: answer it at the top of the page.")
            return
        guess = st.radio("Your prediction", list(options), index=None, key=f"{key}_guess",
                         horizontal=True, label_visibility="collapsed")
        if guess is None:
            st.caption("Choose an answer to reveal what the model does.")
            return
        if guess == answer:
            st.success(f"Yes: {answer}.")
        else:
            st.info(f"Not quite: the answer is {answer}.")
        explain()
