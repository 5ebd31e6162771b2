"""One fair line for training on a shared server (no streamlit).

A class of 30 on one small server: every "Train N more steps" takes a ticket, and tickets get one of a few
worker slots in the order they arrived. A page rerun never takes a ticket, so it never waits behind
anyone's training; a learner only ever waits for the trainer.

    ticket = QUEUE.join(session_id, "LSTM, lag 30", steps=200)   # QueueError if that session is in line already
    try:
        while not ticket.wait(0.5):          # False after 0.5 s still in line: show ticket.ahead()
            ...
        ...train...                           # holding a slot; ticket.touch() now and then
    finally:
        ticket.release()                      # always: the next in line starts

Slots: one per core the page reruns can spare (cores - 1, at least 1), since torch runs on one thread a
session (shared/MEASURED.md: two threads on a busy machine fall from ~300 to ~1 step/s). A ticket whose
session stopped asking (closed tab, crashed script) for `stale_s` seconds is dropped, so a slot is never lost.

Workers: `QUEUE.pool()` is the line's pool of worker processes, as many as its slots (started on first use),
where a ticket holder's TrainingRun trains off the server's GIL (seqviz.training_worker, which says what falls
back to the session's thread). SEQVIZ_TRAIN_PROCESSES=0 turns the processes off: pool() is then None and
every chunk trains in the session's script thread.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from dataclasses import dataclass, field


class QueueError(RuntimeError):
    """A request the line cannot take; the message is one sentence for the learner."""


def default_workers() -> int:
    """SEQVIZ_TRAIN_WORKERS, or every core but one (the reruns'), at least one."""
    raw = os.environ.get("SEQVIZ_TRAIN_WORKERS", "")
    if raw.isdigit() and int(raw) > 0:
        return int(raw)
    return max(1, (os.cpu_count() or 2) - 1)


@dataclass(eq=False)
class Ticket:
    queue: "TrainingQueue"
    number: int  # arrival order
    session: str
    label: str
    steps: int
    joined: float = field(default_factory=time.monotonic)
    started: float | None = None  # when it got a slot
    seen: float = field(default_factory=time.monotonic)  # last sign of life from its session

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds for a slot; True once this ticket holds one."""
        return self.queue._wait(self, timeout)

    def ahead(self) -> int:
        """How many requests are before this one: those training now and those in line in front (0: its turn)."""
        return self.queue._ahead(self)

    def touch(self) -> None:
        self.seen = time.monotonic()

    def release(self) -> None:
        self.queue._release(self)

    @property
    def waited(self) -> float:
        """Seconds in line before the slot came (so far, while still in line)."""
        return (self.started or time.monotonic()) - self.joined


class TrainingQueue:
    def __init__(self, workers: int | None = None, stale_s: float = 20.0):
        self.workers = workers or default_workers()
        self.stale_s = stale_s
        self._cond = threading.Condition()
        self._waiting: list[Ticket] = []  # in arrival order
        self._running: list[Ticket] = []
        self._numbers = itertools.count(1)
        self.served: list[tuple[int, float]] = []  # (ticket number, seconds waited), in the order slots were given
        self._pool = None  # seqviz.training_worker.WorkerPool, made on first use
        self._pool_lock = threading.Lock()

    def pool(self):
        """The line's worker processes (one per slot, so a ticket holder never waits for one), made on first
        use and remade after a worker died; None when SEQVIZ_TRAIN_PROCESSES=0 (train in the script thread)."""
        from seqviz import training_worker  # torch: imported only where training happens

        if not training_worker.enabled():
            return None
        with self._pool_lock:
            if self._pool is not None and self._pool.broken:
                self._pool.shutdown()
                self._pool = None
            if self._pool is None:
                self._pool = training_worker.WorkerPool(self.workers)
            return self._pool

    def join(self, session: str, label: str, steps: int) -> Ticket:
        with self._cond:
            self._drop_stale()
            if any(t.session == session for t in self._waiting + self._running):
                raise QueueError("This browser tab already has a training request in line; wait for it to finish.")
            ticket = Ticket(self, next(self._numbers), session, label, steps)
            self._waiting.append(ticket)
            self._grant()
            return ticket

    def status(self) -> tuple[int, int]:
        """(training now, waiting)."""
        with self._cond:
            return len(self._running), len(self._waiting)

    # -- internals (under the lock) --------------------------------------------------------------------
    def _drop_stale(self) -> None:
        now = time.monotonic()
        for t in [t for t in self._waiting + self._running if now - t.seen > self.stale_s]:
            self._remove(t)

    def _remove(self, ticket: Ticket) -> None:
        for line in (self._waiting, self._running):
            if ticket in line:
                line.remove(ticket)
                self._cond.notify_all()

    def _grant(self) -> None:
        while self._waiting and len(self._running) < self.workers:
            t = self._waiting.pop(0)
            t.started = time.monotonic()
            self._running.append(t)
            self.served.append((t.number, t.started - t.joined))
            self._cond.notify_all()

    def _wait(self, ticket: Ticket, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            ticket.touch()
            while True:
                self._drop_stale()
                self._grant()
                if ticket in self._running:
                    return True
                if ticket not in self._waiting:
                    raise QueueError("This training request was dropped from the line; press Train again.")
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 1.0))

    def _ahead(self, ticket: Ticket) -> int:
        with self._cond:
            if ticket in self._running:
                return 0
            if ticket not in self._waiting:
                return 0
            return len(self._running) + self._waiting.index(ticket)

    def _release(self, ticket: Ticket) -> None:
        with self._cond:
            self._remove(ticket)
            self._grant()


QUEUE = TrainingQueue()  # the server's one line (module state on purpose: one per process, shared by sessions)
