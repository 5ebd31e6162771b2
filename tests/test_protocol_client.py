"""bench/_protocol.py, the protocol-level student of bench/bench_load.py, against a real streamlit server.

The load benchmark is only as good as its client: if it spoke the protocol wrongly, 30 "students" would
measure nothing. A tiny app (written to a temporary folder, served by `streamlit run` on 127.0.0.1)
checks that a widget change reaches the script with the value sent, a button press triggers once,
other widgets keep their values, a widget in an st.fragment reruns the fragment only, a widget bound
to the URL writes it, an exception on the page is reported, and cached large elements come back as
references that the client resolves.
"""

from __future__ import annotations

import asyncio
import sys
import textwrap
from pathlib import Path

import pytest

from browser_server import REPO_ROOT, streamlit_server

sys.path.insert(0, str(REPO_ROOT / "bench"))
from _protocol import FRAGMENT_DONE, StudentClient  # noqa: E402

APP = textwrap.dedent('''
    import streamlit as st

    x = st.slider("Step t", 0, 10, 2, key="t", bind="query-params")
    flag = st.checkbox("Show more", key="more")
    choice = st.selectbox("Model", ["rnn", "lstm"], index=1, key="model")
    st.write(f"x={x} more={flag} model={choice}")
    if st.button("Train 5 more steps"):
        st.write("trained")
    if st.checkbox("Break it"):
        raise ValueError("broken on purpose")
    st.code("y = 1\\n" * 2500)  # a large element: cached by hash, then sent as a reference

    @st.fragment
    def part():
        v = st.slider("Inner", 0, 5, 0, key="inner")
        st.write(f"inner={v}")

    part()
''')


class Texts(StudentClient):
    """A student that also keeps the markdown the last action drew."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.texts: list[str] = []

    def _on_element(self, msg):
        el = msg.delta.new_element
        if el.WhichOneof("type") == "markdown":
            self.texts.append(el.markdown.body)
        super()._on_element(msg)

    async def act(self, coro):
        self.texts = []
        return await coro


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("protocol_app")
    Path(folder, "tiny.py").write_text(APP)
    with streamlit_server(script="tiny.py", cwd=folder, deadline_s=90) as url:
        yield url


@pytest.mark.timeout(120)
def test_the_protocol_client_drives_a_real_session(server):
    async def scenario():
        async with Texts(server, timeout_s=60, name="t") as s:
            run = await s.act(s.open(""))
            assert run.finished_at and run.ok, (run.exceptions, run.page_not_found)
            assert "x=2 more=False model=lstm" in s.texts
            assert s.find("slider", "Step").label == "Step t" and s.find("button", "Train").label.startswith("Train")
            assert s.find("slider", "Nope") is None

            run = await s.act(s.move(s.find("slider", "Step"), 1))
            assert "x=3 more=False model=lstm" in s.texts and run.ok
            assert "t=3" in s.query_string  # the slider is bound to the URL, as the frontend writes it
            run = await s.act(s.toggle(s.find("checkbox", "Show")))
            assert "x=3 more=True model=lstm" in s.texts  # the slider kept its value

            run = await s.act(s.press(s.find("button", "Train")))
            assert "trained" in s.texts and run.ok
            run = await s.act(s.rerun())
            assert "trained" not in s.texts  # a trigger fires once

            run = await s.act(s.move(s.find("slider", "Inner"), 1))
            assert run.statuses[-1] == FRAGMENT_DONE and "inner=1" in s.texts
            assert not any(t.startswith("x=") for t in s.texts)  # only the fragment ran
            assert s.find("slider", "Step") is not None  # and the client still knows the rest of the page

            assert run.refs == 0
            run = await s.act(s.rerun())
            assert run.refs >= 1 and run.bytes < run.bytes_resolved  # the big code block came as a reference
            assert "x=3 more=True model=lstm" in s.texts

            run = await s.act(s.toggle(s.find("checkbox", "Break")))
            assert not run.ok and any("broken on purpose" in e for e in run.exceptions)

    asyncio.run(scenario())
