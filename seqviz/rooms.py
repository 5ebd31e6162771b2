"""Rooms: a class answers a predict-then-reveal question together (issue #18). No streamlit here.

A teacher opens a room and gets a short code (and a host key that stays in the teacher's own link);
students join with the code or a link. When the teacher asks one of the lesson's questions, it becomes
the room's poll: every student's screen shows it, each session's answer counts once (a later answer
replaces an earlier one), and the teacher sees the count and the spread, then reveals the model's
answer to everyone.

State lives in this process's memory, in `STORE`, guarded by one lock (streamlit runs each session's
script in its own thread). Nothing about a student is kept but a random token per browser session and
the option chosen: no names, no addresses. A room closes when its teacher closes it or after
`TTL_S` without any activity. Limits keep memory bounded: `MAX_ROOMS` open at once, `MAX_VOTERS`
answers per poll, `MAX_POLLS` polls remembered per room.

One process: students must reach the process that holds their room. Run one replica, or put sticky
sessions in front of several (the README's deployment section says how).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: a code read off a projector is typed right
CODE_LENGTH = 5  # 32^5 = 33.5 million codes
TTL_S = 4 * 3600  # a room nobody touched for this long is closed
MAX_ROOMS = 500
MAX_VOTERS = 500  # answers per poll (a lecture hall); more are refused with a message
MAX_POLLS = 100  # polls a room remembers (the oldest is forgotten first)
MAX_TEXT = 2_000  # characters of a question or an option kept


class RoomError(ValueError):
    """A room action that cannot be done; the message is meant for the page, as it is."""


@dataclass
class Poll:
    key: str  # the question's key in the app (unique per question)
    question: str
    options: tuple[str, ...]
    answer: str
    page: str  # url path of the page that asks it
    votes: dict[str, str] = field(default_factory=dict)  # voter token -> option
    revealed: bool = False

    def counts(self) -> dict[str, int]:
        """option -> number of answers, every option listed (0 included), in the question's order."""
        out = dict.fromkeys(self.options, 0)
        for option in self.votes.values():
            out[option] += 1
        return out


@dataclass(frozen=True)
class PollView:
    """What a page draws: a copy taken under the lock, safe to read while others answer."""

    code: str
    key: str
    question: str
    options: tuple[str, ...]
    answer: str
    page: str
    counts: dict[str, int]
    answered: int
    revealed: bool
    mine: str | None  # this voter's answer, if any

    @property
    def correct(self) -> int:
        return self.counts.get(self.answer, 0)


@dataclass
class Room:
    code: str
    host_key: str
    touched: float
    polls: dict[str, Poll] = field(default_factory=dict)  # key -> poll, in the order asked
    current: str | None = None  # the key of the poll students see now
    members: set[str] = field(default_factory=set)  # voter tokens that joined (a count, no names)


def normalize_code(raw: str) -> str:
    """'abc-de ' -> 'ABCDE'; a clear RoomError for anything that cannot be a room code."""
    code = "".join(ch for ch in str(raw).upper() if not ch.isspace() and ch not in "-_")
    if not code:
        raise RoomError("Type the room's code (the teacher's screen shows it).")
    if len(code) != CODE_LENGTH or any(ch not in ALPHABET for ch in code):
        raise RoomError(f"A room code is {CODE_LENGTH} letters and digits, like {'K7QMP'}; "
                        f"'{code[:20]}' is not one.")
    return code


class RoomStore:
    """Every open room of this process. Thread-safe; `clock` is injectable for tests of expiry."""

    def __init__(self, ttl_s: float = TTL_S, max_rooms: int = MAX_ROOMS,
                 clock: Callable[[], float] = time.monotonic):
        self.ttl_s, self.max_rooms, self.clock = ttl_s, max_rooms, clock
        self._rooms: dict[str, Room] = {}
        self._lock = threading.Lock()

    # -- the teacher ---------------------------------------------------------------------------
    def open(self) -> tuple[str, str]:
        """A new room -> (code, host key). The host key is the teacher's alone: keep it out of shared links."""
        with self._lock:
            self._expire()
            if len(self._rooms) >= self.max_rooms:
                raise RoomError("This server has as many rooms open as it allows; try again later.")
            while True:
                code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
                if code not in self._rooms:
                    break
            room = Room(code, secrets.token_urlsafe(12), self.clock())
            self._rooms[code] = room
            return code, room.host_key

    def is_host(self, code: str, host_key: str | None) -> bool:
        with self._lock:
            room = self._rooms.get(code)
            return room is not None and host_key is not None and secrets.compare_digest(room.host_key, host_key)

    def ask(self, code: str, host_key: str, key: str, question: str, options: Sequence[str], answer: str,
            page: str = "") -> None:
        """Make this question the room's poll (asking it again keeps its answers and hides the reveal)."""
        options = tuple(str(o)[:MAX_TEXT] for o in options)
        if len(options) < 2 or len(set(options)) != len(options) or answer[:MAX_TEXT] not in options:
            raise RoomError("A poll needs two or more different options, the answer among them.")
        with self._lock:
            room = self._host_room(code, host_key)
            poll = room.polls.get(key)
            if poll is None or poll.options != options:
                room.polls.pop(key, None)
                if len(room.polls) >= MAX_POLLS:
                    room.polls.pop(next(iter(room.polls)))
                room.polls[key] = Poll(key, str(question)[:MAX_TEXT], options, answer[:MAX_TEXT], page)
            else:
                room.polls[key].revealed = False
            room.current = key

    def reveal(self, code: str, host_key: str, key: str) -> None:
        with self._lock:
            room = self._host_room(code, host_key)
            if key not in room.polls:
                raise RoomError("That question was not asked in this room.")
            room.polls[key].revealed = True

    def stop(self, code: str, host_key: str) -> None:
        """No poll on the students' screens (the answers are kept)."""
        with self._lock:
            self._host_room(code, host_key).current = None

    def close(self, code: str, host_key: str) -> None:
        with self._lock:
            self._host_room(code, host_key)
            del self._rooms[code]

    # -- a student ---------------------------------------------------------------------------
    def join(self, code: str, voter: str) -> str:
        """-> the normalized code; RoomError if there is no such room (any more)."""
        code = normalize_code(code)
        with self._lock:
            room = self._room(code)
            room.members.add(voter)
            return code

    def vote(self, code: str, voter: str, key: str, option: str) -> None:
        """This voter's answer to the room's current poll `key` (a later answer replaces the earlier one)."""
        with self._lock:
            room = self._room(code)
            poll = room.polls.get(key)
            if poll is None or room.current != key:
                raise RoomError("The teacher has moved on: this question is no longer open.")
            if poll.revealed:
                raise RoomError("The answer is already revealed: answers are closed.")
            if option not in poll.options:
                raise RoomError("That is not one of the options.")
            if voter not in poll.votes and len(poll.votes) >= MAX_VOTERS:
                raise RoomError(f"This poll already has {MAX_VOTERS} answers, as many as it takes.")
            room.members.add(voter)
            poll.votes[voter] = option

    # -- what pages draw -------------------------------------------------------------------------
    def current(self, code: str, voter: str | None = None) -> PollView | None:
        """The room's open poll as a PollView (None when the teacher has asked nothing yet)."""
        with self._lock:
            room = self._room(code)
            return None if room.current is None else self._view(room, room.polls[room.current], voter)

    def poll(self, code: str, key: str, voter: str | None = None) -> PollView | None:
        with self._lock:
            room = self._room(code)
            poll = room.polls.get(key)
            return None if poll is None else self._view(room, poll, voter)

    def members(self, code: str) -> int:
        with self._lock:
            return len(self._room(code).members)

    def __len__(self) -> int:
        with self._lock:
            self._expire()
            return len(self._rooms)

    # -- inside the lock -------------------------------------------------------------------------
    def _view(self, room: Room, poll: Poll, voter: str | None) -> PollView:
        counts = poll.counts()
        return PollView(room.code, poll.key, poll.question, poll.options, poll.answer, poll.page, counts,
                        sum(counts.values()), poll.revealed, poll.votes.get(voter) if voter else None)

    def _room(self, code: str) -> Room:
        self._expire()
        room = self._rooms.get(code)
        if room is None:
            raise RoomError(f"There is no room {code} open on this server (rooms close after "
                            f"{self.ttl_s / 3600:g} hours without activity, or when the teacher closes them).")
        room.touched = self.clock()
        return room

    def _host_room(self, code: str, host_key: str) -> Room:
        room = self._room(code)
        if not host_key or not secrets.compare_digest(room.host_key, host_key):
            raise RoomError("Only the teacher who opened this room can do that.")
        return room

    def _expire(self) -> None:
        now = self.clock()
        for code in [c for c, r in self._rooms.items() if now - r.touched > self.ttl_s]:
            del self._rooms[code]


STORE = RoomStore()  # the process's rooms (one replica per room: see the module's docstring)
