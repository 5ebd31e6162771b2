"""Lesson packs (issue #18): the format (seqviz.packs) and the editor and reader (seqviz.ui.pack) in AppTest.

The format: a pack survives both forms (link token, JSON file) unchanged; anything else that arrives
(damaged links, zip bombs, other JSON, unknown pages, keys that could break out of a CSS class name,
oversized notes, binary files) is refused with one sentence, and never evaluated. The screens: a teacher
adds views with notes and hidden controls, reorders and removes them, downloads the JSON and opens it
again; a reader sees the step's note, its controls hidden, and a clear message for a damaged link.
(tests/test_browser_pack.py makes a pack in the real app and reopens it from its link in chromium.)
"""

from __future__ import annotations

import base64
import json
import zlib

import pytest
from streamlit.testing.v1 import AppTest

from conftest import TIMEOUT, assert_clean
from seqviz import labs, packs
from seqviz.packs import Pack, PackError, Step

PAGES = {p.url_path for p in labs.all_pages()}
PACK = Pack("Why LSTMs remember", (
    Step("rnn", {"rnn_t": "4", "rnn_text": "(a(b)c) é ✓"}, "Which units saturate?", ("rnn_text",)),
    Step("gates", {}, "", ()),
    Step("bidirectional", {"bi_t": "3", "multi": ["a", "b"]}, "Read from both ends.\nThen predict.", ("bi_text", "bi_compare")),
))


def _token(data) -> str:
    raw = json.dumps(data).encode() if not isinstance(data, bytes) else data
    return base64.urlsafe_b64encode(zlib.compress(raw)).rstrip(b"=").decode()


def test_both_forms_give_the_same_pack_back():
    assert packs.decode(packs.encode(PACK), PAGES) == PACK
    assert packs.from_json(packs.to_json(PACK), PAGES) == PACK
    assert packs.from_json(packs.to_json(PACK).encode(), PAGES) == PACK
    token = packs.encode(PACK)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")  # no escaping in a URL
    big = Pack("t", tuple(Step("rnn", {"rnn_text": "x" * 500}, "n" * packs.MAX_NOTE, ("rnn_text",))
                          for _ in range(packs.MAX_STEPS)))
    assert packs.decode(packs.encode(big), PAGES) == big  # the largest pack still fits in a link
    assert len(packs.encode(big)) <= packs.MAX_TOKEN


@pytest.mark.parametrize("token, says", [
    ("", "empty"),
    ("%%%%", "damaged"),
    ("abc", "damaged"),
    (base64.urlsafe_b64encode(b"not zlib at all").decode(), "damaged"),
    ("A" * (packs.MAX_TOKEN + 1), "too long"),
    (_token(b"\x00" * 10_000_000), "more than"),  # 10 MB of zeros compress to ~10 kB: never inflated whole
    (_token(b"{not json"), "not valid JSON"),
    (_token([1, 2, 3]), "not a lesson pack"),
    (_token({"format": "seqviz-pack", "version": 99, "steps": []}), "version 99"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": []}), "no steps"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "rnn"}] * 31}), "at most 30"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "../../etc/passwd"}]}), "not a page"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "https://evil.example"}]}), "not a page"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "rnn", "hide": ["x}body{display:none"]}]}),
     "list of control keys"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "rnn", "query": {"a b": "1"}}]}), "key"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "rnn", "query": {"k": {"x": 1}}}]}), "text"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": [{"page": "rnn", "note": "x" * 601}]}), "at most 600"),
    (_token({"format": "seqviz-pack", "version": 1, "title": 7, "steps": [{"page": "rnn"}]}), "title must be text"),
    (_token({"format": "seqviz-pack", "version": 1, "steps": ["rnn"]}), "not a view"),
])
def test_bad_links_get_one_sentence(token, says):
    with pytest.raises(PackError) as err:
        packs.decode(token, PAGES)
    assert says in str(err.value) and "\n" not in str(err.value)


def test_bad_files_get_one_sentence():
    for data, says in ((b"\xff\xfe\x00binary", "not text"), (b"x" * (packs.MAX_JSON + 1), "at most"),
                       (b'{"a": ' * 50_000 + b"1" + b"}" * 50_000, "at most"),
                       (b"[" * 20_000 + b"]" * 20_000, "not a lesson pack")):
        with pytest.raises(PackError) as err:
            packs.from_json(data, PAGES)
        assert says in str(err.value)


def test_a_note_shows_as_typed_never_as_markup():
    hostile = "[click](https://evil.example) <img src=x onerror=alert(1)> **bold** # title `code` $x$"
    import re

    shown = packs.plain(hostile)
    assert not re.search(r"(?<!\\)[\[\]()<>*`$#!|]", shown)  # every markup character escaped
    assert shown.replace("\\", "") == hostile  # every character kept, only escaped


# -- the screens ---------------------------------------------------------------------------------
def _lesson():
    """A lesson's shape: the Classroom box, the pack bar, two URL-bound controls, the editor's hide list."""
    import streamlit as st

    from seqviz.ui import classroom, pack

    classroom.sidebar()
    st.session_state[classroom.PAGE_SLOT] = "rnn"
    pack.bar("rnn")
    st.text_input("Text", "(a)", key="rnn_text", bind="query-params")
    st.slider("Step t", 1, 9, 1, key="rnn_t", bind="query-params")
    pack.hide_choice()


def _session(query: dict | None = None) -> AppTest:
    at = AppTest.from_function(_lesson, default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    return at.run()


def test_the_editor_builds_reorders_and_reopens_a_pack_from_its_file():
    at = _session()
    at.text_input(key="pack_title").input("Brackets").run()
    at.slider(key="rnn_t").set_value(4).run()
    at.text_area(key="pack_note").input("Which units saturate?").run()
    assert at.multiselect(key="pack_hide").options == ["rnn_text", "rnn_t"]
    at.multiselect(key="pack_hide").select("rnn_text").run()
    at.button(key="pack_add").click().run()
    assert_clean(at)
    at.slider(key="rnn_t").set_value(7).run()
    at.button(key="pack_add").click().run()
    draft = at.session_state["_pack_draft"]["steps"]
    assert [s.query for s in draft] == [{"rnn_t": "4"}, {"rnn_t": "7"}]
    assert draft[0].note == "Which units saturate?" and draft[0].hide == ("rnn_text",) and draft[1].hide == ()
    at.button(key="pack_down_0").click().run()
    assert [s.query["rnn_t"] for s in at.session_state["_pack_draft"]["steps"]] == ["7", "4"]
    link = [c.value for c in at.code if "pack=" in c.value][0]
    token = link.split("pack=")[1].split("&")[0]
    reopened = packs.decode(token, PAGES)
    assert reopened.title == "Brackets" and [s.query["rnn_t"] for s in reopened.steps] == ["7", "4"]
    assert link.split("?")[1].startswith("rnn_t=7&pack=")  # the first step's own values, then the pack
    at.button(key="pack_drop_1").click().run()
    assert len(at.session_state["_pack_draft"]["steps"]) == 1
    assert_clean(at)

    fresh = _session()  # another session opens the downloaded JSON: the same steps to edit or hand out
    saved = packs.to_json(reopened).encode()
    fresh.file_uploader(key="pack_file").set_value(("seqviz-pack.json", saved, "application/json")).run()
    assert_clean(fresh)
    assert [s.query for s in fresh.session_state["_pack_draft"]["steps"]] == [s.query for s in reopened.steps]
    assert fresh.session_state["pack_title"] == "Brackets"
    assert any("2 steps" in i.value for i in fresh.info)
    fresh.file_uploader(key="pack_file").set_value(("pack.json", b"\x89PNG not a pack", "application/json")).run()
    assert_clean(fresh)
    assert any("not text" in i.value or "not valid JSON" in i.value for i in fresh.info)
    assert len(fresh.session_state["_pack_draft"]["steps"]) == len(reopened.steps)  # a bad file loses nothing


def test_a_reader_sees_the_note_and_not_the_hidden_controls():
    token = packs.encode(PACK)
    at = _session({"pack": token, "step": "0", "rnn_t": "4"})
    assert_clean(at)
    assert any("Why LSTMs remember" in m.value and "step 1 of 3" in m.value for m in at.markdown)
    assert any(m.value == packs.plain("Which units saturate?") for m in at.markdown)
    styles = [m.value for m in at.markdown if m.value.startswith("<style>")]
    assert styles == ["<style>.st-key-rnn_text { display: none; }</style>"]
    assert at.slider(key="rnn_t").value == 4
    keys = [b.key for b in at.button]
    assert "pack_next" in keys and "pack_back" not in keys
    last = _session({"pack": token, "step": "2"})
    keys = [b.key for b in last.button]
    assert "pack_back" in keys and "pack_next" not in keys and "pack_return" in keys  # step 3 is another page
    assert not [m.value for m in last.markdown if m.value.startswith("<style>")]  # hides only on its own page


@pytest.mark.parametrize("query", [{"pack": "garbage!!"}, {"pack": packs.encode(PACK), "step": "9"},
                                   {"pack": packs.encode(PACK), "step": "two"}, {"pack": ""}])
def test_a_damaged_pack_link_opens_the_lesson_with_a_message(query):
    at = _session(query)
    assert_clean(at)
    assert len(at.error) == 1 and "without the pack" in at.error[0].value
    assert at.slider(key="rnn_t").value == 1  # the lesson itself is there
