"""Lesson packs on screen (issue #18): the editor in the Classroom box and the bar a pack's reader follows.

The teacher, on any view: types a note, picks the controls to hide, presses "Add this view" (the view's
URL-bound values are taken as they are now, as in the link to this view). The pack's link (or its JSON
file) opens the first step: the page with those values, the note above it, the chosen controls hidden,
and "Next" / "Back" buttons. Everything travels in the link (`?pack=TOKEN&step=N` beside the view's own
values), so a pack works offline and survives a reload; nothing is stored on the server.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from seqviz import labs, packs
from seqviz.packs import Pack, PackError, Step
from seqviz.ui import classroom

PACK, STEP = "pack", "step"  # URL parameters of a pack being read
DRAFT = "_pack_draft"  # session: the teacher's pack being made, {"title": str, "steps": [Step, ...]}
MESSAGE = "_pack_message"  # session: one sentence for the editor
HIDE_SLOT = "_pack_hide_slot"  # session: the placeholder of the hide choice, filled after the page ran


def page_paths() -> dict[str, str]:
    """url path -> the page's file, for every page of the app."""
    return {p.url_path: p.path for p in labs.all_pages()}


def _titles() -> dict[str, str]:
    return {p.url_path: p.title for p in labs.all_pages()}


def step_query(pack_token: str, index: int, step: Step) -> dict[str, str | list[str]]:
    return {**step.query, PACK: pack_token, STEP: str(index)}


def link(pack: Pack, index: int = 0) -> str:
    """The pack's address, opening step `index`."""
    step, parts = pack.steps[index], urlsplit(st.context.url or "")
    base_path = parts.path.rsplit("/", 1)[0] if parts.path else ""
    query = urlencode(step_query(packs.encode(pack), index, step), doseq=True)
    return urlunsplit((parts.scheme, parts.netloc, f"{base_path}/{step.page}", query, ""))


# -- reading a pack ----------------------------------------------------------------------------------
def reading() -> tuple[Pack, int, str] | None:
    """(pack, step index, token) when the address holds a pack; a damaged pack shows its message once."""
    token = st.query_params.get(PACK)
    if token is None:
        return None
    try:
        pack = packs.decode(token, page_paths())
        index = int(st.query_params.get(STEP, "0"))
        if not 0 <= index < len(pack.steps):
            raise PackError(f"This pack has {len(pack.steps)} steps; there is no step {index + 1}.")
    except (PackError, ValueError) as err:
        text = str(err) if isinstance(err, PackError) else "The step number in this link is not a number."
        st.error(f"{text} The lesson below opens without the pack.", icon=":material/playlist_remove:")
        return None
    return pack, index, token


def _go(pack_token: str, pack: Pack, index: int) -> None:
    step = pack.steps[index]
    st.switch_page(page_paths()[step.page], query_params=step_query(pack_token, index, step))


def bar(url_path: str) -> None:
    """Above the page: the pack's title, the step's note, Back / Next, and the step's hidden controls."""
    state = reading()
    if state is None:
        return
    pack, index, token = state
    step = pack.steps[index]
    with st.container(border=True, key="pack_bar"):
        st.markdown(f"**{packs.plain(pack.title)}** · step {index + 1} of {len(pack.steps)}")
        if step.note:
            st.markdown(packs.plain(step.note))
        back, here, forward, leave = st.columns([1, 2, 1, 1])
        if index > 0 and back.button("Back", icon=":material/arrow_back:", key="pack_back"):
            _go(token, pack, index - 1)
        if step.page != url_path and here.button(f"Return to step {index + 1}", key="pack_return"):
            _go(token, pack, index)
        if index + 1 < len(pack.steps) and forward.button("Next", icon=":material/arrow_forward:", key="pack_next",
                                                           type="primary"):
            _go(token, pack, index + 1)
        if leave.button("Leave the pack", key="pack_leave"):
            for param in (PACK, STEP):
                if param in st.query_params:
                    del st.query_params[param]
            st.rerun()
    if step.page == url_path and step.hide:  # keys are checked against packs.KEY: safe in a class name
        rules = ", ".join(f".st-key-{key}" for key in step.hide if packs.KEY.match(key))
        st.markdown(f"<style>{rules} {{ display: none; }}</style>", unsafe_allow_html=True)


# -- making a pack ------------------------------------------------------------------------------------
def _draft() -> dict:
    if DRAFT not in st.session_state:
        st.session_state[DRAFT] = {"title": "", "steps": []}
    return st.session_state[DRAFT]


def _pack_of(draft: dict) -> Pack:
    return Pack(st.session_state.get("pack_title", "").strip()[:packs.MAX_TITLE] or "Lesson pack",
                tuple(draft["steps"]))


def _add() -> None:
    draft, url_path = _draft(), st.session_state.get(classroom.PAGE_SLOT, "")
    if len(draft["steps"]) >= packs.MAX_STEPS:
        st.session_state[MESSAGE] = f"A pack holds at most {packs.MAX_STEPS} steps."
        return
    query = {k: v[0] if isinstance(v, list) and len(v) == 1 else v  # "rnn_t=4" either way in the link
             for k, v in classroom.bound_query().items() if packs.KEY.match(k)}
    note = st.session_state.get("pack_note", "")[:packs.MAX_NOTE]
    hide = tuple(k for k in st.session_state.get("pack_hide", []) if packs.KEY.match(k))
    draft["steps"].append(Step(url_path, query, note, hide))
    st.session_state["pack_note"], st.session_state["pack_hide"] = "", []
    st.session_state[MESSAGE] = f"Added as step {len(draft['steps'])}."


def _move(i: int, by: int) -> None:
    steps = _draft()["steps"]
    j = i + by
    if 0 <= j < len(steps):
        steps[i], steps[j] = steps[j], steps[i]


def _remove(i: int) -> None:
    del _draft()["steps"][i]


def _open_file() -> None:
    upload = st.session_state.get("pack_file")
    if upload is None:
        return
    try:
        pack = packs.from_json(upload.getvalue(), page_paths())
    except PackError as err:
        st.session_state[MESSAGE] = str(err)
        return
    st.session_state["pack_title"] = pack.title
    _draft()["steps"] = list(pack.steps)
    st.session_state[MESSAGE] = f"Opened “{pack.title}”: {len(pack.steps)} steps, ready to edit or hand out."


def editor() -> None:
    """The "Lesson pack" popover of the Classroom box. Drawn before the page, so that it stays open
    across reruns; its list of the page's controls needs the page's widgets and is drawn after the page
    ran, into HIDE_SLOT (see hide_choice)."""
    draft = _draft()
    with st.popover("Lesson pack", icon=":material/playlist_add:", width="stretch"):
        if MESSAGE in st.session_state:
            st.info(st.session_state.pop(MESSAGE))
        st.text_input("Pack title", key="pack_title", max_chars=packs.MAX_TITLE, placeholder="e.g. Why LSTMs remember")
        st.text_area("Note for this view", key="pack_note", max_chars=packs.MAX_NOTE, height=80,
                     placeholder="A line of narration or a question for the class")
        st.session_state[HIDE_SLOT] = st.empty()
        st.button("Add this view", icon=":material/add:", key="pack_add", on_click=_add,
                  help="The view as it is now (the values in the link to this view), the note and the hidden controls.")
        titles = _titles()
        for i, step in enumerate(draft["steps"]):
            text, up, down, drop = st.columns([6, 1, 1, 1], vertical_alignment="center")
            note = f": {step.note[:40]}{'…' if len(step.note) > 40 else ''}" if step.note else ""
            text.markdown(f"{i + 1}\\. {titles.get(step.page, step.page)}{packs.plain(note)}")
            up.button("↑", key=f"pack_up_{i}", on_click=_move, args=(i, -1), disabled=i == 0, help="Move up")
            down.button("↓", key=f"pack_down_{i}", on_click=_move, args=(i, 1),
                        disabled=i + 1 == len(draft["steps"]), help="Move down")
            drop.button("✕", key=f"pack_drop_{i}", on_click=_remove, args=(i,), help="Remove")
        if draft["steps"]:
            pack = _pack_of(draft)
            st.caption("The pack's link (copy it: the button on the right)")
            st.code(link(pack), language=None, wrap_lines=True)
            st.download_button("Download the pack (JSON)", packs.to_json(pack), file_name="seqviz-pack.json",
                               mime="application/json", icon=":material/download:", key="pack_download",
                               on_click="ignore")
        st.file_uploader("Open a pack file", type=["json"], key="pack_file", on_change=_open_file, max_upload_size=1,
                         help="A .json pack saved from this app; it replaces the pack above.")


def hide_choice() -> None:
    """After the page ran: which of its URL-bound controls the new step hides."""
    slot = st.session_state.get(HIDE_SLOT)
    if slot is not None:
        with slot.container():
            st.multiselect("Controls to hide on this view", classroom.bound_keys(), key="pack_hide",
                           help="The page's controls that have a place in the link, by their key.")
