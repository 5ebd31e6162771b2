"""The vanilla RNN lesson's "Step t" reruns only the views it changes, on a real server (protocol client).

AppTest reruns a whole script whatever widget changed, so the fragment is checked the way a browser uses it:
the slider's change carries its fragment's id, the server reruns that fragment alone, and the predictions
and the training section are neither recomputed nor resent.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from browser_server import REPO_ROOT, streamlit_server

sys.path.insert(0, str(REPO_ROOT / "bench"))
from _protocol import FRAGMENT_DONE, StudentClient  # noqa: E402


class Texts(StudentClient):
    """A student that also keeps the headers and markdown the last action drew."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.drawn: list[str] = []

    def _on_element(self, msg):
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind in ("heading", "markdown"):
            self.drawn.append(getattr(el, kind).body)
        super()._on_element(msg)

    async def act(self, coro):
        self.drawn = []
        return await coro


@pytest.mark.timeout(240)
def test_the_step_slider_reruns_only_the_step_views():
    async def scenario(url):
        async with Texts(url, timeout_s=120, name="rnn") as s:
            run = await s.act(s.open("rnn"))
            assert run.ok, run.exceptions
            assert run.count_by_type["plotly_chart"] == 4 and any("Train your own" in d for d in s.drawn)
            step = s.find("slider", "Step t")
            assert step is not None and step.fragment_id  # the slider sits in the step views' fragment
            run = await s.act(s.move(step, 1))
            assert run.ok and run.statuses[-1] == FRAGMENT_DONE, run.statuses
            assert any("2. Step 2, every number" in d for d in s.drawn)
            assert any("3. The path of the hidden state" in d for d in s.drawn)
            assert not any("What the model predicts" in d or "Train your own" in d for d in s.drawn)
            assert run.count_by_type["plotly_chart"] == 3  # hidden state, step terms, path: not the predictions
            assert "rnn_t=2" in s.query_string  # still bound to the URL
            assert s.find("button", "Train") is not None  # the rest of the page is still there
            run = await s.act(s.set_value(s.find("text_input", "Text for the model"), "string_value", "((a))"))
            assert run.ok and run.statuses[-1] != FRAGMENT_DONE  # a new text reruns the whole page
            assert run.count_by_type["plotly_chart"] == 4

    with streamlit_server(deadline_s=180) as url:
        asyncio.run(scenario(url))
