"""The room on screen (issue #18): the Classroom box's room controls, the poll on a student's page, and
the live count beside the teacher's question. The state is in `seqviz.rooms.STORE` (this process).

- A teacher presses "Open a room" and gets a code and a link to give the class; a student types the
  code or opens the link (`?room=CODE`). The teacher's own link (`?room=CODE&host=KEY`) makes its
  session the host again after a reload; the key is removed from the address bar at once, so a
  projected screen never shows it.
- Every predict-then-reveal question gets an "Ask the room" button for the host. Asked, it appears at
  the top of every student's page (whichever lesson they are on), answers arrive live, and the host's
  question shows the count and their spread; "Reveal" shows the model's answer beside the spread on
  every screen.
- Students' pages look for a new question every `POLL_S` seconds (a fragment reruns alone: the rest of
  the page is not recomputed); so does the host's count while the question is open.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

import streamlit as st

from seqviz import rooms
from seqviz.rooms import STORE, RoomError
from seqviz.ui import classroom

POLL_S = 2.0  # seconds between looks at the room, on a student's page and on the host's open question
ROOM = "_room"  # session: {"code": str, "host": host key or None}
VOTER = "_room_voter"  # session: this browser session's random token (the only trace of a student kept)
ERROR = "_room_error"  # session: a message to show once in the Classroom box
ANSWER, OTHER = "#0072B2", "#A0A0A0"  # Okabe-Ito blue against grey: apart in lightness for every colour vision


def voter() -> str:
    if VOTER not in st.session_state:
        st.session_state[VOTER] = secrets.token_urlsafe(9)
    return st.session_state[VOTER]


def membership() -> dict | None:
    return st.session_state.get(ROOM)


def hosting() -> bool:
    r = membership()
    return bool(r and r.get("host"))


def _leave_room(message: str | None = None) -> None:
    st.session_state.pop(ROOM, None)
    if message:
        st.session_state[ERROR] = message
    for param in ("room", "host"):
        if param in st.query_params:
            del st.query_params[param]


# -- joining from a link --------------------------------------------------------------------------
def read_url() -> None:
    """`?room=CODE` joins that room (`&host=KEY`: as its host); the key leaves the address bar at once."""
    raw, host = st.query_params.get("room"), st.query_params.get("host")
    if "host" in st.query_params:
        del st.query_params["host"]
    if raw is None:
        return
    try:
        code = rooms.normalize_code(raw)
        current = membership()
        if current and current["code"] == code and (current.get("host") or not host):
            return  # already in it (every rerun of a page opened from the link comes here)
        STORE.join(code, voter())
        is_host = STORE.is_host(code, host)
        st.session_state[ROOM] = {"code": code, "host": host if is_host else None}
        if host and not is_host:
            st.session_state[ERROR] = "That link's host key is not this room's: you joined as a student."
    except RoomError as err:
        _leave_room(str(err))


# -- the Classroom box ----------------------------------------------------------------------------
def _open() -> None:
    try:
        code, key = STORE.open()
    except RoomError as err:
        st.session_state[ERROR] = str(err)
        return
    st.session_state[ROOM] = {"code": code, "host": key}


def _join() -> None:
    try:
        code = STORE.join(st.session_state.get("room_code_input", ""), voter())
    except RoomError as err:
        st.session_state[ERROR] = str(err)
        return
    st.session_state[ROOM] = {"code": code, "host": None}
    st.session_state["room_code_input"] = ""


def _close() -> None:
    r = membership()
    try:
        STORE.close(r["code"], r["host"])
    except RoomError:
        pass  # already gone (expired): leaving is what matters
    _leave_room()


def room_link(code: str, host_key: str | None = None) -> str:
    """This page's address with `?room=CODE` (and the host key for the teacher's own link)."""
    parts = urlsplit(st.context.url or "")
    query = f"room={code}" + (f"&host={host_key}" if host_key else "")
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def box() -> None:
    """The room part of the Classroom box (inside it)."""
    st.divider()
    if ERROR in st.session_state:
        st.warning(st.session_state.pop(ERROR), icon=":material/meeting_room:")
    r = membership()
    if r is None:
        st.button("Open a room", icon=":material/meeting_room:", on_click=_open, key="room_open",
                  help="Teachers: a short code your class joins; the lessons' questions can then be asked to "
                       "everyone at once, with the spread of answers shown before the reveal.")
        st.text_input("Join a room", key="room_code_input", placeholder="code, like K7QMP", max_chars=12,
                      on_change=_join, help="Type the code on the teacher's screen and press Enter.")
        return
    code = r["code"]
    try:
        joined = STORE.members(code)
    except RoomError as err:
        _leave_room(str(err))
        st.warning(st.session_state.pop(ERROR), icon=":material/meeting_room:")
        return
    if r.get("host"):
        st.markdown(f"**Room {code}** · {joined} joined")
        st.caption("Students join with the code or this link:")
        st.code(room_link(code), language=None, wrap_lines=True)
        with st.popover("Your teacher link", icon=":material/key:"):
            st.caption("Opens this room as its host again, e.g. after a reload. Keep it to yourself.")
            st.code(room_link(code, r["host"]), language=None, wrap_lines=True)
        st.button("Close the room", key="room_close", on_click=_close, icon=":material/close:")
    else:
        st.markdown(f"**In room {code}**")
        st.button("Leave the room", key="room_leave", on_click=_leave_room, icon=":material/logout:")


# -- the figure of a poll -------------------------------------------------------------------------
def spread_figure(view: rooms.PollView):
    """Bars: how many answered each option; after the reveal the model's answer is marked."""
    import plotly.graph_objects as go

    options, counts = list(view.options), [view.counts[o] for o in view.options]
    marked = [view.revealed and o == view.answer for o in options]
    labels = [f"{o} ✓" if m else o for o, m in zip(options, marked)]  # the mark is text too, not colour alone
    fig = go.Figure(go.Bar(x=labels, y=counts, marker_color=[ANSWER if m else OTHER for m in marked],
                           marker_pattern_shape=["/" if m else "" for m in marked], text=counts,
                           textposition="outside", hovertemplate="%{x}: %{y} answers<extra></extra>"))
    fig.update_layout(title=f"The room's answers ({view.answered})", height=300, margin=dict(t=50, b=40),
                      xaxis_title="answer", yaxis_title="students", yaxis_rangemode="tozero",
                      yaxis_dtick=max(1, (max(counts) or 1) // 5))
    return fig


def _caption(view: rooms.PollView) -> str:
    spread = ", ".join(f"{o}: {view.counts[o]}" for o in view.options)
    text = f"{view.answered} answers ({spread})."
    if view.revealed:
        share = view.correct / view.answered if view.answered else 0.0
        text += f" The model's answer is {view.answer}: {view.correct} of {view.answered} ({share:.0%}) predicted it."
    return text


def draw_spread(view: rooms.PollView, key: str) -> None:
    from seqviz import ui

    ui.plot(spread_figure(view), f"room-{view.key}", {"answer": list(view.options),
            "students": [view.counts[o] for o in view.options]}, key=key, caption=_caption(view))


# -- the teacher's question -----------------------------------------------------------------------
def _ask(key: str, question: str, options: tuple[str, ...], answer: str, page: str) -> None:
    r = membership()
    try:
        STORE.ask(r["code"], r["host"], key, question, options, answer, page)
    except RoomError as err:
        st.session_state[ERROR] = str(err)


def _reveal(key: str) -> None:
    r = membership()
    try:
        STORE.reveal(r["code"], r["host"], key)
    except RoomError as err:
        st.session_state[ERROR] = str(err)


@st.fragment(run_every=POLL_S)
def _live(key: str) -> None:
    """The host's open question: the count and spread, redrawn every POLL_S seconds on its own."""
    r = membership()
    try:
        view = STORE.poll(r["code"], key) if r else None
    except RoomError:
        view = None
    if view is None or view.revealed:
        st.rerun()  # closed or revealed elsewhere: the whole page draws the new state
    draw_spread(view, f"room-live-{key}")


def host_question(key: str, question: str, options: tuple[str, ...], answer: str,
                  explain: Callable[[], None]) -> bool:
    """The host's side of a predict-then-reveal question. True when the room has this question (the
    page then shows nothing of its own), False to let the page ask it as usual."""
    r = membership()
    page = st.session_state.get(classroom.PAGE_SLOT, "")
    try:
        view = STORE.poll(r["code"], key)
        current = STORE.current(r["code"])
    except RoomError as err:
        _leave_room(str(err))
        return False
    if view is None or current is None or current.key != key:
        st.button(f"Ask room {r['code']}", key=f"{key}_ask", icon=":material/campaign:",
                  on_click=_ask, args=(key, question, tuple(options), answer, page),
                  help="Show this question on every student's screen and count their answers.")
        return False
    if not view.revealed:
        st.caption(f"Asked in room {r['code']}: the students' answers arrive below.")
        _live(key)
        st.button("Reveal the answer", key=f"{key}_reveal", type="primary", icon=":material/visibility:",
                  on_click=_reveal, args=(key,))
        return True
    draw_spread(view, f"room-{key}")
    st.success(f"The model's answer: {answer}.")
    explain()
    st.button(f"Ask room {r['code']} again", key=f"{key}_ask", icon=":material/replay:",
              on_click=_ask, args=(key, question, tuple(options), answer, page),
              help="Reopen the question (the answers so far are kept; students may change theirs).")
    return True


# -- a student's page -----------------------------------------------------------------------------
def _vote(key: str) -> None:
    r, choice = membership(), st.session_state.get(f"_room_vote_{key}")
    if r is None or choice is None:
        return
    try:
        STORE.vote(r["code"], voter(), key, choice)
    except RoomError as err:
        st.session_state[ERROR + key] = str(err)


@st.fragment(run_every=POLL_S)
def student_panel() -> None:
    """The room's question at the top of a student's page, whichever lesson it shows."""
    r = membership()
    if r is None or r.get("host"):
        return
    try:
        view = STORE.current(r["code"], voter())
    except RoomError as err:
        _leave_room(str(err))
        st.warning(st.session_state.pop(ERROR), icon=":material/meeting_room:")
        return
    if view is None:
        st.caption(f"Room {r['code']}: the teacher's question will appear here.")
        return
    with st.container(border=True, key="room_poll"):
        st.markdown(f"**Room {r['code']} asks:** {view.question}")
        if ERROR + view.key in st.session_state:
            st.warning(st.session_state.pop(ERROR + view.key))
        if not view.revealed:
            mine = view.mine
            st.radio("Your answer", list(view.options), key=f"_room_vote_{view.key}", horizontal=True,
                     index=list(view.options).index(mine) if mine in view.options else None,
                     on_change=_vote, args=(view.key,), label_visibility="collapsed")
            st.caption(f"{view.answered} answered so far." + (" Yours is in; you can change it until the reveal."
                                                             if mine else " Choose one: it is sent at once."))
            return
        draw_spread(view, f"room-student-{view.key}")
        if view.mine is None:
            st.info(f"The model's answer: {view.answer}.")
        elif view.mine == view.answer:
            st.success(f"The model's answer: {view.answer}. Yours too.")
        else:
            st.info(f"The model's answer: {view.answer}. You said {view.mine}.")
        if view.page and view.page != st.session_state.get(classroom.PAGE_SLOT):
            st.page_link(_page_of(view.page), label="See why, on the lesson's page", icon=":material/arrow_forward:")


def _page_of(url_path: str):
    from seqviz import labs

    for spec in labs.all_pages():
        if spec.url_path == url_path:
            return spec.path
    return "pages/home.py"


def students_see(key: str) -> bool:
    """True on a student's page when the room's poll is this question (the page then defers to it)."""
    r = membership()
    if r is None or r.get("host"):
        return False
    try:
        view = STORE.current(r["code"])
    except RoomError:
        return False
    return view is not None and view.key == key
