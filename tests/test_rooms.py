"""Rooms (issue #18): the store (seqviz.rooms) and its screens (seqviz.ui.room) in AppTest.

The store: codes a projector can carry, the host's key, one answer per student session (a later one
replaces it), the poll closed by the reveal, expiry, bounds, and no answer lost when 30 students answer
at the same instant. The screens: one host and several student sessions of a script that shows the
Classroom box, the student's poll and one predict-then-reveal question, the way every lesson does.
(AppTest runs a multipage app's router only on its first run, so the flow is tested on a one-page
script; tests/test_browser_room.py runs it through the real app in chromium.)
"""

from __future__ import annotations

import threading

import pytest
from streamlit.testing.v1 import AppTest

from conftest import TIMEOUT, assert_clean
from seqviz import rooms
from seqviz.rooms import STORE, RoomError, RoomStore

OPTIONS = ["h→", "h←", "both"]


# -- the store ------------------------------------------------------------------------------------
def test_codes_are_short_unambiguous_and_typed_any_way():
    store = RoomStore()
    code, key = store.open()
    assert len(code) == rooms.CODE_LENGTH and set(code) <= set(rooms.ALPHABET)
    assert not set(code) & set("01OI") and len(key) >= 12
    messy = f" {code[:2].lower()}-{code[2:]} "
    assert store.join(messy, "v1") == code
    for bad in ("", "   ", "ABC", "ABCDEFG", "AB0DE", "<script>", "😀😀😀😀😀"):
        with pytest.raises(RoomError) as err:
            store.join(bad, "v1")
        assert "code" in str(err.value).lower()
    with pytest.raises(RoomError, match="no room"):
        store.join("ZZZZZ" if code != "ZZZZZ" else "YYYYY", "v1")


def test_only_the_host_asks_reveals_and_closes():
    store = RoomStore()
    code, key = store.open()
    for action in (lambda k: store.ask(code, k, "q", "Q?", OPTIONS, "h←"), lambda k: store.reveal(code, k, "q"),
                   lambda k: store.stop(code, k), lambda k: store.close(code, k)):
        for wrong in ("", "guess", key[:-1]):
            with pytest.raises(RoomError, match="Only the teacher"):
                action(wrong)
    assert store.is_host(code, key) and not store.is_host(code, None) and not store.is_host(code, "x")


def test_one_answer_per_session_until_the_reveal():
    store = RoomStore()
    code, key = store.open()
    store.ask(code, key, "q", "Which?", OPTIONS, "h←", "bidirectional")
    store.vote(code, "a", "q", "h→")
    store.vote(code, "b", "q", "h←")
    store.vote(code, "a", "q", "h←")  # changed their mind: still one answer
    view = store.current(code, "a")
    assert view.counts == {"h→": 0, "h←": 2, "both": 0} and view.answered == 2 and view.mine == "h←"
    assert list(view.counts) == OPTIONS and not view.revealed
    with pytest.raises(RoomError, match="not one of the options"):
        store.vote(code, "c", "q", "neither")
    with pytest.raises(RoomError, match="no longer open"):
        store.vote(code, "c", "other question", "h→")
    store.reveal(code, key, "q")
    view = store.current(code)
    assert view.revealed and view.correct == 2 and view.mine is None
    with pytest.raises(RoomError, match="revealed"):
        store.vote(code, "c", "q", "h→")
    store.ask(code, key, "q2", "Next?", ["yes", "no"], "no")
    with pytest.raises(RoomError, match="no longer open"):
        store.vote(code, "c", "q", "h→")  # the teacher moved on
    store.ask(code, key, "q", "Which?", OPTIONS, "h←")  # asked again: answers kept, reveal undone
    assert store.current(code).answered == 2 and not store.current(code).revealed


def test_polls_need_two_distinct_options_with_the_answer_among_them():
    store = RoomStore()
    code, key = store.open()
    for options, answer in ((["a"], "a"), (["a", "a"], "a"), (["a", "b"], "c")):
        with pytest.raises(RoomError, match="two or more"):
            store.ask(code, key, "q", "?", options, answer)
    assert store.current(code) is None


def test_rooms_expire_after_their_ttl_and_are_bounded():
    now = [0.0]
    store = RoomStore(ttl_s=100, max_rooms=2, clock=lambda: now[0])
    a, _ = store.open()
    now[0] = 60
    b, _ = store.open()
    with pytest.raises(RoomError, match="as many rooms"):
        store.open()
    now[0] = 150  # a idle for 150 s: gone; b idle for 90 s: open (and touched now)
    with pytest.raises(RoomError, match="no room"):
        store.current(a)
    assert store.current(b) is None and len(store) == 1
    store.open()
    assert len(store) == 2


def test_a_poll_holds_at_most_max_voters(monkeypatch):
    monkeypatch.setattr(rooms, "MAX_VOTERS", 3)
    store = RoomStore()
    code, key = store.open()
    store.ask(code, key, "q", "?", ["a", "b"], "a")
    for v in "xyz":
        store.vote(code, v, "q", "a")
    with pytest.raises(RoomError, match="3 answers"):
        store.vote(code, "w", "q", "a")
    store.vote(code, "x", "q", "b")  # one already counted may still change
    assert store.current(code).counts == {"a": 2, "b": 1}


def test_thirty_students_answering_at_once_lose_no_answer():
    store = RoomStore()
    code, key = store.open()
    store.ask(code, key, "q", "?", OPTIONS, "h←")
    n, rounds = 30, 20
    start = threading.Barrier(n)
    errors = []

    def student(i: int) -> None:
        try:
            store.join(code, f"s{i}")
            start.wait()
            for r in range(rounds):  # every student changes their answer, all at once, many times
                store.vote(code, f"s{i}", "q", OPTIONS[(i + r) % 3])
                store.current(code, f"s{i}")
        except Exception as err:  # noqa: BLE001 - collected and asserted below
            errors.append(err)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    view = store.current(code)
    final = [OPTIONS[(i + rounds - 1) % 3] for i in range(n)]
    assert view.answered == n and view.counts == {o: final.count(o) for o in OPTIONS}
    assert store.members(code) == n


# -- the screens ------------------------------------------------------------------------------------
def _lesson():
    """A lesson's shape: the router's Classroom box, the student's poll, one question."""
    import streamlit as st

    from seqviz.ui import classroom, room

    classroom.sidebar()
    st.session_state[classroom.PAGE_SLOT] = "bidirectional"
    if room.membership() is not None and not room.hosting():
        room.student_panel()
    classroom.predict_then_reveal("test_q", "Which half decides?", ["h→", "h←", "both"], "h←",
                                  lambda: st.markdown("Because h← has read the whole text."))


def _session(query: dict | None = None) -> AppTest:
    at = AppTest.from_function(_lesson, default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    return at.run()


def _texts(at, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def test_a_room_end_to_end_host_and_students():
    host = _session()
    host.button(key="room_open").click().run()
    assert_clean(host)
    room_state = host.session_state["_room"]
    code = room_state["code"]
    assert room_state["host"] and any(f"Room {code}" in m for m in _texts(host.sidebar, "markdown"))
    links = _texts(host.sidebar, "code")
    assert any(link.endswith(f"?room={code}") for link in links)  # the students' link, and the host's own
    assert any(f"host={room_state['host']}" in link for link in links)
    host.button(key="test_q_ask").click().run()
    assert_clean(host)
    assert STORE.current(code).key == "test_q"

    answers = ["h←", "h→", "h←", "both"]
    students = [_session({"room": code.lower() if i % 2 else code}) for i in range(len(answers))]
    for s, answer in zip(students, answers):
        assert_clean(s)
        assert any("Which half decides?" in m and code in m for m in _texts(s, "markdown"))
        assert any("answer it at the top" in c for c in _texts(s, "caption"))  # the page's own copy defers
        s.radio(key="_room_vote_test_q").set_value(answer).run()
        assert_clean(s)
    students[1].radio(key="_room_vote_test_q").set_value("h←").run()  # a change of mind, counted once
    host.run()
    expected = "4 answers (h→: 0, h←: 3, both: 1)."
    assert any(expected in c for c in _texts(host, "caption")), _texts(host, "caption")
    assert not any("Because" in m for m in _texts(host, "markdown"))  # nothing revealed yet

    host.button(key="test_q_reveal").click().run()
    assert_clean(host)
    assert any("3 of 4 (75%) predicted it" in c for c in _texts(host, "caption"))
    assert any("Because h← has read the whole text." in m for m in _texts(host, "markdown"))
    for s, answer in zip(students, ["h←", "h←", "h←", "both"]):
        s.run()
        assert_clean(s)
        said = _texts(s, "success") + _texts(s, "info")
        assert any("The model's answer: h←" in t for t in said), said
        assert any("Yours too" in t for t in said) == (answer == "h←")
        assert any("3 of 4" in c for c in _texts(s, "caption"))

    host.button(key="room_close").click().run()
    assert_clean(host)
    students[0].run()
    assert_clean(students[0])
    assert "_room" not in students[0].session_state
    assert any("no room" in w for w in _texts(students[0].sidebar, "warning"))


def test_joining_by_code_and_bad_codes_get_a_message():
    code, _ = STORE.open()
    s = _session()
    s.sidebar.text_input(key="room_code_input").input("not a code").run()
    assert_clean(s)
    assert any("is not one" in w for w in _texts(s.sidebar, "warning"))
    s.sidebar.text_input(key="room_code_input").input(code.lower()).run()
    assert_clean(s)
    assert s.session_state["_room"] == {"code": code, "host": None}
    assert any("question will appear here" in c for c in _texts(s, "caption"))
    s.button(key="room_leave").click().run()
    assert "_room" not in s.session_state and not s.query_params.get("room")

    for query in ({"room": "<b>x</b>"}, {"room": "ZZZZZ" if code != "ZZZZZ" else "YYYYY"}, {"room": "x" * 10_000}):
        t = _session(query)
        assert_clean(t)
        assert "_room" not in t.session_state and len(_texts(t.sidebar, "warning")) == 1


def test_the_teacher_link_restores_the_host_and_leaves_the_address_bar():
    code, key = STORE.open()
    again = _session({"room": code, "host": key})
    assert_clean(again)
    assert again.session_state["_room"] == {"code": code, "host": key}
    assert "host" not in again.query_params  # a projected address bar never shows the key
    assert again.button(key="test_q_ask")  # the host's question has the ask button
    wrong = _session({"room": code, "host": "not-the-key"})
    assert wrong.session_state["_room"] == {"code": code, "host": None}
    assert any("host key" in w for w in _texts(wrong.sidebar, "warning"))
