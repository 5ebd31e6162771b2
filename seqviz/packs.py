"""Lesson packs: a teacher's ordered list of views to hand out as one link or one small file (issue #18).

A pack has a title and up to MAX_STEPS steps. A step is a view the app already knows how to link to
(a page's url path and the values of its URL-bound controls, the "link to this view"), a line of
narration or a question for it, and the controls to hide on it (their widget keys). No streamlit here.

Two forms, the same content:
- JSON (`to_json` / `from_json`), for a file to download and reopen: {"format": "seqviz-pack",
  "version": 1, "title": ..., "steps": [{"page": ..., "query": {...}, "note": ..., "hide": [...]}]};
- a token for a link (`encode` / `decode`): that JSON, zlib-compressed, base64url without padding.

Whatever arrives (a link from anyone, an uploaded file) is data: parsed as JSON and checked field by
field (sizes, types, pages this app has, keys of the shape streamlit's widget keys take here), never
evaluated, never unpickled; a damaged or hostile pack gets a PackError with one sentence for the page.
The link works offline: everything is in it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field

FORMAT, VERSION = "seqviz-pack", 1
MAX_STEPS = 30
MAX_TITLE = 120
MAX_NOTE = 600
MAX_VALUE = 2_000  # characters of one control's value (the lessons' text boxes take less)
MAX_JSON = 64_000  # bytes of a pack as JSON (a file, or a link once decompressed)
MAX_TOKEN = 16_000  # characters of a link's pack token
KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")  # a control's key: also safe inside a CSS class name


class PackError(ValueError):
    """A pack that cannot be used; the message is meant for the page, as it is."""


@dataclass(frozen=True)
class Step:
    page: str  # url path of the page ("" is the home page)
    query: dict[str, str | list[str]] = field(default_factory=dict)  # the view's URL-bound values
    note: str = ""  # narration or a question for the class
    hide: tuple[str, ...] = ()  # keys of the controls hidden on this step

    def to_dict(self) -> dict:
        return {"page": self.page, "query": dict(self.query), "note": self.note, "hide": list(self.hide)}


@dataclass(frozen=True)
class Pack:
    title: str
    steps: tuple[Step, ...]

    def to_dict(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "title": self.title, "steps": [s.to_dict() for s in self.steps]}


# -- the two forms ------------------------------------------------------------------------------------
def to_json(pack: Pack) -> str:
    return json.dumps(pack.to_dict(), ensure_ascii=False, indent=1)


def encode(pack: Pack) -> str:
    raw = json.dumps(pack.to_dict(), ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).rstrip(b"=").decode()


def from_json(text: str | bytes, pages: Iterable[str]) -> Pack:
    """Parse and check a pack; `pages` are the url paths this app has."""
    if isinstance(text, bytes):
        if len(text) > MAX_JSON:
            raise PackError(f"That file is {len(text):,} bytes; a lesson pack is at most {MAX_JSON:,}.")
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise PackError("That file is not text: a lesson pack is a JSON file saved from this app.") from None
    if len(text) > MAX_JSON:
        raise PackError(f"That pack is {len(text):,} characters; a lesson pack is at most {MAX_JSON:,}.")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise PackError("That is not a lesson pack: it is not valid JSON.") from None
    return _check(data, set(pages))


def decode(token: str, pages: Iterable[str]) -> Pack:
    """A link's token back to a checked Pack."""
    token = (token or "").strip()
    if not token:
        raise PackError("This link has an empty lesson pack.")
    if len(token) > MAX_TOKEN:
        raise PackError("This lesson pack link is too long to be one this app made.")
    try:
        packed = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_JSON + 1)  # never more than this, whatever the link claims
    except (binascii.Error, ValueError, zlib.error):
        raise PackError("This lesson pack link is damaged (copy the whole link again).") from None
    if len(raw) > MAX_JSON or inflater.unconsumed_tail:
        raise PackError(f"This lesson pack unpacks to more than {MAX_JSON:,} bytes; a pack is smaller.")
    return from_json(raw, pages)


# -- checking ------------------------------------------------------------------------------------------
def _text(value, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise PackError(f"The pack's {what} must be text.")
    if len(value) > limit:
        raise PackError(f"The pack's {what} is {len(value):,} characters; at most {limit:,}.")
    return value


def _check(data, pages: set[str]) -> Pack:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PackError("That is not a lesson pack made by this app (its format is not seqviz-pack).")
    if data.get("version") != VERSION:
        raise PackError(f"That lesson pack is version {data.get('version')!r}; this app reads version {VERSION}.")
    title = _text(data.get("title", ""), "title", MAX_TITLE).strip() or "Lesson pack"
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise PackError("That lesson pack has no steps.")
    if len(raw_steps) > MAX_STEPS:
        raise PackError(f"That lesson pack has {len(raw_steps)} steps; at most {MAX_STEPS}.")
    return Pack(title, tuple(_step(s, i + 1, pages) for i, s in enumerate(raw_steps)))


def _step(raw, n: int, pages: set[str]) -> Step:
    if not isinstance(raw, dict):
        raise PackError(f"Step {n} of the pack is not a view.")
    page = raw.get("page", "")
    if not isinstance(page, str) or page not in pages:
        shown = str(page)[:40] if isinstance(page, str) else type(page).__name__
        raise PackError(f"Step {n} of the pack opens '{shown}', which is not a page of this app.")
    query = raw.get("query", {})
    if not isinstance(query, dict):
        raise PackError(f"Step {n}'s settings must be a table of control keys and values.")
    clean: dict[str, str | list[str]] = {}
    for key, value in query.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise PackError(f"Step {n} sets a control whose key is not one this app uses: {str(key)[:40]!r}.")
        if isinstance(value, list):
            if len(value) > 50 or not all(isinstance(v, str) and len(v) <= MAX_VALUE for v in value):
                raise PackError(f"Step {n}'s value for {key} is not a short list of text.")
            clean[key] = list(value)
        else:
            clean[key] = _text(value, f"value for {key} in step {n}", MAX_VALUE)
    hide = raw.get("hide", [])
    if not isinstance(hide, list) or not all(isinstance(k, str) and KEY.match(k) for k in hide) or len(hide) > 50:
        raise PackError(f"Step {n}'s hidden controls must be a list of control keys.")
    note = _text(raw.get("note", ""), f"note of step {n}", MAX_NOTE)
    return Step(page, clean, note, tuple(dict.fromkeys(hide)))


def plain(text: str) -> str:
    """A teacher's note as markdown that shows exactly the characters typed: no links, images, HTML or
    formatting from a pack someone else made (every markdown punctuation mark escaped)."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~$&:])", r"\\\1", text)
