"""A student without a browser: a small asyncio client that speaks streamlit 1.67's own protocol.

    async with StudentClient(url) as s:            # ws://HOST:PORT/_stcore/stream, one streamlit session
        run = await s.open("rnn")                  # the page at /rnn, as a browser's first request asks for it
        slider = s.find("slider")                  # widgets found by type (and label prefix), never by id
        run = await s.move(slider, +1)             # one step right: a rerun_script BackMsg with every widget state
        run = await s.press(s.find("button", "Train"))
        print(run.elapsed_s, run.bytes, run.exceptions)

What the browser frontend does, and this client does the same (streamlit's frontend, App.tsx and
WidgetStateManager.ts, read for it):
- the first request of a session names the page by its URL path (`page_name`, page_script_hash empty);
  later requests name the current page by the hash the server sent (`navigation.page_script_hash`),
  and moving to another lesson sends that lesson's hash (from `navigation.app_pages`);
- every request carries the address bar's query string (the server updates it with
  `page_info_changed`: the lessons keep their view in the URL) and the state of every widget the
  page shows (`widget_states`); a button press is a `trigger_value` sent once;
- a widget inside an `st.fragment` (its delta carries the fragment's id) sends that `fragment_id`: the
  server then reruns the fragment only, and the client keeps the rest of the page's widgets;
- large elements (>= 10 kB `new_element` deltas) are cached by hash: the client lists the hashes it
  holds (`cached_message_hashes`) and the server then sends a `ref_hash` in their place; an entry
  expires once two runs went by without it (streamlit's global.maxCachedMessageAge).

A run is over when a `script_finished` other than FINISHED_EARLY_FOR_RERUN has arrived and the
session says its script is not running (a Train button trains, then `st.rerun()`s: one action, two
runs). `Run` records what one action cost: seconds from the BackMsg sent to that moment, the bytes
and messages received (per element type), the exceptions the page shows, "Page not found".

Nothing here talks to anything but the URL it is given (the benches use 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

EARLY = ForwardMsg.ScriptFinishedStatus.FINISHED_EARLY_FOR_RERUN
FRAGMENT_DONE = ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
COMPILE_ERROR = ForwardMsg.ScriptFinishedStatus.FINISHED_WITH_COMPILE_ERROR
MAX_CACHED_AGE = 2  # runs (streamlit's global.maxCachedMessageAge)
SIDEBAR = 1  # RootContainer.SIDEBAR: the first number of a delta path
# element types whose proto has an id but that hold no widget state the frontend sends back
NOT_WIDGETS = {"dataframe", "vega_lite_chart", "plotly_chart", "deck_gl_json_chart", "echarts_chart", "audio",
               "video", "bidi_component", "component_instance", "link_button"}


class ProtocolError(RuntimeError):
    """The server closed the session or a run never finished in time."""


@dataclass
class Widget:
    """One widget as the last run drew it (its proto is the element's `slider`, `button`, ... message)."""

    id: str
    kind: str  # the Element oneof name: slider, button, checkbox, selectbox, number_input, ...
    label: str
    proto: Any
    sidebar: bool
    form_id: str
    fragment_id: str = ""  # set when the widget sits in an st.fragment: a change reruns that fragment only

    @property
    def disabled(self) -> bool:
        return bool(getattr(self.proto, "disabled", False))

    def __repr__(self) -> str:
        return f"Widget({self.kind} {self.label!r}{' [sidebar]' if self.sidebar else ''})"


@dataclass
class Run:
    """What one action (open, navigate, widget change, button press) cost, as this client saw it."""

    action: str
    sent_at: float  # time.perf_counter() when the BackMsg left
    page: str = ""  # the url path of the page the action ran on
    first_at: float | None = None  # the first ForwardMsg of the run arrived
    finished_at: float | None = None  # the last run of the action ended (script_finished, not running)
    runs: int = 0  # script runs that ended (a Train press: 2, the training and its st.rerun)
    messages: int = 0
    bytes: int = 0  # the frames as received (refs count as their few bytes)
    bytes_resolved: int = 0  # what the same messages weigh without the cache (refs replaced by the message)
    bytes_by_type: Counter = field(default_factory=Counter)  # element type (or message type) -> bytes received
    count_by_type: Counter = field(default_factory=Counter)
    refs: int = 0  # messages the server sent as ref_hash (the client had them cached)
    exceptions: list[str] = field(default_factory=list)  # the message of every Exception element drawn
    page_not_found: list[str] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def elapsed_s(self) -> float:
        return (self.finished_at or time.perf_counter()) - self.sent_at

    @property
    def ok(self) -> bool:
        return self.finished_at is not None and not self.exceptions and not self.page_not_found \
            and COMPILE_ERROR not in self.statuses


def _element_type(msg: ForwardMsg) -> str:
    kind = msg.WhichOneof("type")
    if kind != "delta":
        return kind or "empty"
    d = msg.delta.WhichOneof("type")
    if d == "new_element":
        return msg.delta.new_element.WhichOneof("type") or "empty"
    if d == "add_block":
        return "block"
    return d or "delta"


def _initial_value(kind: str, w) -> tuple[str, Any] | None:
    """The value the frontend holds for a widget it has just drawn: (WidgetState field, value), or None
    for the kinds this client does not model (their state stays whatever the server already has)."""
    if kind == "slider":
        if w.type == w.SELECT_SLIDER:
            vals = list(w.raw_value) if w.set_value else [w.options[int(i)] for i in w.default if 0 <= int(i) < len(w.options)]
            return "string_array_value", vals
        return "double_array_value", list(w.value if w.set_value else w.default)
    if kind == "checkbox":
        return "bool_value", bool(w.value if w.set_value else w.default)
    if kind == "number_input":
        v = w.value if w.set_value else w.default
        return ("int_value", int(v)) if w.data_type == w.INT else ("double_value", float(v))
    if kind in ("text_input", "text_area"):
        return "string_value", w.value if w.set_value else w.default
    if kind in ("selectbox", "radio"):
        if w.set_value:
            return "string_value", w.raw_value
        if 0 <= w.default < len(w.options):
            return "string_value", w.options[w.default]
        return None
    return None


def _as_default(proto):
    """A copy of a widget's proto that shows its default (set_value cleared)."""
    copy = type(proto)()
    copy.CopyFrom(proto)
    if any(f.name == "set_value" for f in copy.DESCRIPTOR.fields):
        copy.set_value = False
    return copy


class StudentClient:
    """One streamlit session over one websocket; see the module docstring."""

    def __init__(self, base_url: str, *, timeout_s: float = 120.0, name: str = ""):
        self.base_url = base_url.rstrip("/")
        self.ws_url = self.base_url.replace("http://", "ws://").replace("https://", "wss://") + "/_stcore/stream"
        self.timeout_s = timeout_s
        self.name = name
        self.ws = None
        self.query_string = ""
        self.page_script_hash = ""  # the page the server last ran
        self.pages: dict[str, str] = {}  # url_pathname -> page_script_hash (from the navigation message)
        self.page_titles: list[str] = []  # the navigation's page names, in order (the sidebar's links)
        self.widgets: dict[str, Widget] = {}  # id -> widget, as drawn by the current run
        self.values: dict[str, tuple[str, Any]] = {}  # id -> (WidgetState field, value): the client's own state
        self._run_widgets: dict[str, Widget] = {}
        self._cache: dict[str, ForwardMsg] = {}
        self._cache_age: dict[str, int] = {}
        self._run: Run | None = None
        self._running = False
        self._done = asyncio.Event()
        self._reader: asyncio.Task | None = None
        self.closed_reason: str | None = None
        self.received_bytes = 0
        self.texts: list[str] = []  # markdown and captions the last run drew (a fragment's: its own)
        self.auto_reruns: dict[str, float] = {}  # fragment id -> seconds: st.fragment(run_every=...) on the page

    # -- connection ----------------------------------------------------------------------------
    async def __aenter__(self) -> "StudentClient":
        await self.connect()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        # the browser puts "streamlit" first in Sec-WebSocket-Protocol (then an XSRF token and a session id)
        self.ws = await connect(self.ws_url, subprotocols=["streamlit"], max_size=None, compression=None,
                                open_timeout=self.timeout_s, ping_interval=None, proxy=None)
        self._reader = asyncio.create_task(self._read(), name=f"student-{self.name}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):  # noqa: BLE001 - closing anyway
                pass

    async def _read(self) -> None:
        try:
            async for frame in self.ws:
                if isinstance(frame, str):
                    continue
                self._on_frame(frame)
        except Exception as err:  # noqa: BLE001 - the run waiting on it reports the reason
            self.closed_reason = f"{type(err).__name__}: {err}"
        else:
            self.closed_reason = "the server closed the websocket"
        self._done.set()

    # -- messages ------------------------------------------------------------------------------
    def _on_frame(self, frame: bytes) -> None:
        self.received_bytes += len(frame)
        msg = ForwardMsg.FromString(frame)
        run = self._run
        size = len(frame)
        if msg.WhichOneof("type") == "ref_hash":
            cached = self._cache.get(msg.ref_hash)
            if run is not None:
                run.refs += 1
            if cached is None:  # cannot happen when the client lists only what it holds
                if run is not None:
                    run.exceptions.append(f"ref_hash {msg.ref_hash} not in the client's cache")
                return
            full = ForwardMsg()
            full.CopyFrom(cached)
            full.metadata.CopyFrom(msg.metadata)
            self._cache_age[msg.ref_hash] = 0
            msg, resolved = full, cached.ByteSize()
        else:
            resolved = size
            if msg.metadata.cacheable and msg.hash:
                self._cache[msg.hash] = msg
                self._cache_age[msg.hash] = 0
        if run is not None:
            if run.first_at is None:
                run.first_at = time.perf_counter()
            kind = _element_type(msg)
            run.messages += 1
            run.bytes += size
            run.bytes_resolved += resolved
            run.bytes_by_type[kind] += size
            run.count_by_type[kind] += 1
        self._handle(msg)

    def _handle(self, msg: ForwardMsg) -> None:
        kind = msg.WhichOneof("type")
        run = self._run
        if kind == "auto_rerun":
            self.auto_reruns[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
        elif kind == "new_session":
            self._run_widgets = {}
            if msg.new_session.page_script_hash:
                self.page_script_hash = msg.new_session.page_script_hash
        elif kind == "navigation":
            nav = msg.navigation
            self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
            self.page_titles = [p.page_name for p in nav.app_pages]
            if nav.page_script_hash:
                self.page_script_hash = nav.page_script_hash
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            if run is not None:
                run.page_not_found.append(msg.page_not_found.page_name)
        elif kind == "session_status_changed":
            self._running = msg.session_status_changed.script_is_running
            self._check_done()
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._on_element(msg)
        elif kind == "script_finished":
            status = msg.script_finished
            if run is not None:
                run.statuses.append(status)
                run.runs += 1
            if status != EARLY:
                self._end_of_run(fragment=status == FRAGMENT_DONE)
            self._check_done()

    def _on_element(self, msg: ForwardMsg) -> None:
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            if self._run is not None:
                e = el.exception
                self._run.exceptions.append(f"{e.type}: {e.message}"[:300])
            return
        if kind == "markdown":
            self.texts.append(el.markdown.body)
        if kind is None or kind in NOT_WIDGETS:
            return
        proto = getattr(el, kind)
        wid = getattr(proto, "id", "") if any(f.name == "id" for f in proto.DESCRIPTOR.fields) else ""
        if not wid:
            return
        path = list(msg.metadata.delta_path)
        widget = Widget(wid, kind, getattr(proto, "label", ""), proto, bool(path) and path[0] == SIDEBAR,
                        getattr(proto, "form_id", ""), msg.delta.fragment_id)
        self._run_widgets[wid] = widget
        self.widgets[wid] = widget
        # the frontend keeps its own value unless the server sets one (set_value: session state, URL)
        if wid not in self.values or getattr(proto, "set_value", False):
            value = _initial_value(kind, proto)
            if value is not None:
                self.values[wid] = value

    def _end_of_run(self, fragment: bool = False) -> None:
        # the frontend forgets widgets the finished run did not draw (a fragment's run redraws only its
        # own part), and cached messages unused for a while
        self.widgets = {**self.widgets, **self._run_widgets} if fragment else dict(self._run_widgets)
        self.values = {k: v for k, v in self.values.items() if k in self.widgets}
        self._run_widgets = {}
        for h in list(self._cache_age):
            self._cache_age[h] += 1
            if self._cache_age[h] > MAX_CACHED_AGE:
                del self._cache_age[h]
                self._cache.pop(h, None)

    def _check_done(self) -> None:
        run = self._run
        if run is None or run.finished_at is not None or self._running:
            return
        if run.statuses and run.statuses[-1] != EARLY:
            run.finished_at = time.perf_counter()
            self._done.set()

    # -- actions -------------------------------------------------------------------------------
    def _widget_states(self, changed: dict[str, tuple[str, Any]] | None = None):
        from streamlit.proto.WidgetStates_pb2 import WidgetStates

        states = WidgetStates()
        for wid, (field_name, value) in {**self.values, **(changed or {})}.items():
            ws = states.widgets.add()
            ws.id = wid
            if field_name in ("double_array_value", "int_array_value", "string_array_value"):
                getattr(ws, field_name).data.extend(value)
            else:
                setattr(ws, field_name, value)
        return states

    async def _rerun(self, action: str, *, page_name: str = "", page_script_hash: str | None = None,
                     changed: dict[str, tuple[str, Any]] | None = None, query_string: str | None = None,
                     fragment_id: str = "") -> Run:
        if self.closed_reason:
            raise ProtocolError(f"{self.name}: {self.closed_reason}")
        for wid, value in (changed or {}).items():  # the address bar changes with the widget, before the send
            if value[0] != "trigger_value" and wid in self.widgets:
                self._bind_to_url(self.widgets[wid], value)
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string if query_string is None else query_string
        cs.page_name = page_name
        cs.page_script_hash = self.page_script_hash if page_script_hash is None else page_script_hash
        cs.fragment_id = fragment_id
        cs.widget_states.CopyFrom(self._widget_states(changed))
        cs.cached_message_hashes.extend(self._cache)
        cs.context_info.timezone = "UTC"
        cs.context_info.locale = "en-US"
        cs.context_info.color_scheme = "light"
        cs.context_info.url = f"{self.base_url}/{page_name or self.current_page}"
        run = Run(action, time.perf_counter(), page=self.current_page)
        self._run = run
        self.texts = []
        self._done.clear()
        await self.ws.send(msg.SerializeToString())
        try:
            await asyncio.wait_for(self._done.wait(), self.timeout_s)
        except asyncio.TimeoutError:
            raise ProtocolError(f"{self.name}: {action}: no run finished within {self.timeout_s:.0f} s "
                                f"(runs ended: {run.statuses})") from None
        finally:
            self._run = None
        if run.finished_at is None:
            raise ProtocolError(f"{self.name}: {action}: {self.closed_reason}")
        if changed:  # the new values are the client's own from now on (a trigger is sent once only)
            for wid, value in changed.items():
                if value[0] != "trigger_value" and wid in self.widgets:
                    self.values[wid] = value
        return run

    def _bind_to_url(self, widget: Widget, value: tuple[str, Any]) -> None:
        """A widget bound to the URL (bind="query-params") writes its new value into the address bar, as
        the frontend does (the value formatted as the server formats it; the default: no parameter)."""
        key = getattr(widget.proto, "query_param_key", "")
        if not key:
            return
        from urllib.parse import parse_qsl, urlencode

        field_name, v = value
        params = [(k, x) for k, x in parse_qsl(self.query_string, keep_blank_values=True) if k != key]
        if value != _initial_value(widget.kind, _as_default(widget.proto)):
            vals = v if isinstance(v, list) else [v]
            fmt = [str(int(x)) if isinstance(x, float) and x.is_integer() else
                   str(x).lower() if isinstance(x, bool) else str(x) for x in vals]
            params += [(key, x) for x in fmt]
        self.query_string = urlencode(params)

    async def open(self, url_path: str = "", query_string: str = "") -> Run:
        """The first request of a session, as a browser sends it for http://host/<url_path>?<query>."""
        self.query_string = query_string
        self.auto_reruns = {}
        return await self._rerun(f"open /{url_path}", page_name=url_path, page_script_hash="")

    async def goto(self, url_path: str) -> Run:
        """Another lesson in the same session (a click on its sidebar link): its hash, no query string."""
        target = self.pages.get(url_path)
        if target is None:
            raise ProtocolError(f"{self.name}: no page /{url_path} in the navigation ({sorted(self.pages)})")
        self.values = {}
        self.auto_reruns = {}
        return await self._rerun(f"goto /{url_path}", page_script_hash=target, query_string="")

    async def rerun(self) -> Run:
        return await self._rerun("rerun")

    async def tick(self, fragment_id: str) -> Run:
        """What the frontend sends every run_every seconds for an `st.fragment(run_every=...)`: that fragment's rerun."""
        return await self._rerun("tick", fragment_id=fragment_id)

    async def set_value(self, widget: Widget, field_name: str, value: Any, action: str | None = None) -> Run:
        return await self._rerun(action or f"set {widget.kind}", changed={widget.id: (field_name, value)},
                                 fragment_id=widget.fragment_id)

    async def press(self, button: Widget) -> Run:
        return await self._rerun(f"press {button.label!r}", changed={button.id: ("trigger_value", True)},
                                 fragment_id=button.fragment_id)

    async def move(self, slider: Widget, steps: int = 1) -> Run:
        """Move a slider `steps` steps (one key press each way), bouncing off its ends."""
        return await self.set_value(slider, *self.moved(slider, steps), action="slider")

    async def toggle(self, box: Widget) -> Run:
        current = self.values.get(box.id, ("bool_value", bool(box.proto.default)))[1]
        return await self.set_value(box, "bool_value", not current, action="toggle")

    def moved(self, slider: Widget, steps: int) -> tuple[str, Any]:
        w = slider.proto
        field_name, current = self.values.get(slider.id) or _initial_value("slider", w)
        if w.type == w.SELECT_SLIDER:
            opts = list(w.options)
            i = opts.index(current[0]) if current and current[0] in opts else 0
            j = i + steps if 0 <= i + steps < len(opts) else i - steps
            return field_name, [opts[max(0, min(len(opts) - 1, j))], *current[1:]]
        v = current[0]
        nxt = v + steps * w.step
        if not (w.min - 1e-9 <= nxt <= w.max + 1e-9):
            nxt = v - steps * w.step
        nxt = min(max(nxt, w.min), w.max)
        if w.data_type == w.INT:
            nxt = float(round(nxt))
        return field_name, [nxt, *current[1:]]

    @property
    def current_page(self) -> str:
        """The url path of the page the server last ran (from the navigation message)."""
        return next((p for p, h in self.pages.items() if h == self.page_script_hash), "")

    # -- finding widgets -----------------------------------------------------------------------
    def find_all(self, kind: str, label_prefix: str = "", *, main_only: bool = True,
                 enabled: bool = True) -> list[Widget]:
        """The widgets of a type (Element field name) whose label starts with `label_prefix`, in the
        order the page drew them; by default those in the main area (not the sidebar), enabled and not
        inside a form (a widget in a form reruns nothing until the form is submitted)."""
        out = []
        for w in self.widgets.values():
            if w.kind != kind or not w.label.startswith(label_prefix):
                continue
            if main_only and w.sidebar:
                continue
            if enabled and (w.disabled or w.form_id):
                continue
            if kind == "slider" and w.proto.min == w.proto.max and w.proto.type != w.proto.SELECT_SLIDER:
                continue  # a slider that cannot move
            out.append(w)
        return out

    def find(self, kind: str, label_prefix: str = "", **kw) -> Widget | None:
        found = self.find_all(kind, label_prefix, **kw)
        return found[0] if found else None
