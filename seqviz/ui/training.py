"""The one "train your own" block every lab uses, and the server's fair line for training.

    m = training.train_your_own("recurrent", label, start=lambda: (run, meta), key="rnn", settings={...})

draws the steps picker, "Train N more steps" and "Start over"; on a click it takes the learner's model
from the store (or starts it with `start()` and stores it *before* training, so an interrupted chunk keeps
every step), waits for a slot in seqviz.trainqueue.QUEUE showing the place in line, trains with a
progress bar and a live loss curve, runs `after_chunk(m)` (a held-out check) still holding the slot, and
returns the model (None before the first click). A rerun, another page or a closed tab stops the script
at its next streamlit call; the slot is released in `finally`, so the next learner starts at once.

Where the steps run: a plain seqviz.training.TrainingRun trains in the line's worker processes, off the
server's GIL, so page reruns never wait behind it (seqviz.training_worker); every other trainer (EpochRun,
wrappers, subclasses with their own train()) trains in the script thread, as does everything when the server
runs with SEQVIZ_TRAIN_PROCESSES=0.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st

from seqviz.trainqueue import QUEUE, QueueError
from seqviz.ui import store
from seqviz.ui.store import LearnerModel

MAX_STEPS_PER_MODEL = 50_000  # a cap per model: a tab left training cannot hold the line for ever


def _session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx else "no-session"


def train_live(run, n: int, refresh_every: int = 25, unit: str = "steps", ticket=None,
               loss_name: str = "cross-entropy loss (nats)") -> None:
    """Train `run` n more steps (or epochs) with a progress bar and a loss curve redrawn every few of them,
    both cleared when the chunk ends (the lab's own figures show the result). The run lives in the store
    and is updated in place, so an interruption keeps every step taken."""
    from seqviz import training_worker
    from seqviz.plotting import loss_chart

    bar = st.progress(0.0, text=f"Training {n} {unit}...")
    chart = st.empty()
    first = run.step
    # Holding a slot of the line, a plain TrainingRun trains in that slot's worker process, off the server's
    # GIL, `refresh_every` steps a round trip; any other trainer, or SEQVIZ_TRAIN_PROCESSES=0, trains here
    # in the script thread (seqviz.training_worker says when and why; the events are the same either way)
    inner = training_worker.plain_run(run) if ticket is not None else None
    pool = QUEUE.pool() if inner is not None else None
    events = (training_worker.train_in_worker(inner, n, pool, sub_chunk=refresh_every, heartbeat=ticket.touch)
              if pool is not None else run.train(n))
    for event in events:
        if ticket is not None:
            ticket.touch()
        done = event.step - first
        if done % refresh_every == 0 or done == n:
            bar.progress(min(done / n, 1.0), text=f"{unit[:-1].capitalize()} {event.step}: loss {event.loss:.4f}")
            live = loss_chart([e.step for e in run.history], [e.loss for e in run.history])
            live.encoding.y.title = loss_name
            chart.altair_chart(live, width="stretch")
    bar.empty()
    chart.empty()


def wait_for_slot(label: str, steps: int):
    """Join the line and wait, showing the place in it; the ticket holding a slot (release it!) or None
    after one sentence when the request cannot join."""
    try:
        ticket = QUEUE.join(_session_id(), label, steps)
    except QueueError as err:
        st.warning(str(err))
        return None
    note = st.empty()
    try:
        while not ticket.wait(0.5):
            ahead = ticket.ahead()
            training, waiting = QUEUE.status()
            note.info(f"In line for the trainer: {ahead} request{'s' if ahead != 1 else ''} before yours "
                      f"({training} training now, {waiting} waiting; {ticket.waited:.0f} s so far). "
                      "Everything else on the page works meanwhile; leaving the page gives up your place.",
                      icon=":material/hourglass_top:")
    except BaseException:
        ticket.release()
        raise
    note.empty()
    if ticket.waited >= 1:
        st.caption(f"Waited {ticket.waited:.0f} s in line for the trainer.")
    return ticket


def train_your_own(lab: str, label: str, start: Callable[[], tuple], *, key: str,
                   steps: tuple[int, ...] = (50, 100, 200, 500), default: int = 100, unit: str = "steps",
                   settings: dict | None = None, after_chunk: Callable[[LearnerModel], None] | None = None,
                   refresh_every: int = 25, train_label: str | None = None,
                   loss_name: str = "cross-entropy loss (nats)") -> LearnerModel | None:
    """The shared block: steps picker, "Train N more steps", "Start over" (see the module docstring).
    `start() -> (run, meta)` builds the learner's model from the lab's own pieces; `label` names it in
    the store (a new label starts a new model, the same label continues it)."""
    cols = st.columns([2, 2, 1], vertical_alignment="bottom")
    n = cols[0].select_slider(f"{unit.capitalize()} per click", options=list(steps), value=default, key=f"{key}_n")
    go = cols[1].button(train_label or f"Train {n} more {unit}", type="primary", key=f"{key}_train",
                        icon=":material/play_arrow:")
    if cols[2].button("Start over", key=f"{key}_reset", icon=":material/restart_alt:",
                      help="Forget this model and start again from its first step."):
        store.drop(label)
    m = store.get(label)
    if not go:
        return m
    if m is not None and m.steps + n > MAX_STEPS_PER_MODEL:
        st.warning(f"This model has trained {m.steps:,} {unit}; one model trains at most "
                   f"{MAX_STEPS_PER_MODEL:,} here. Start over, or keep exploring it.")
        return m
    if m is None:
        run, meta = start()
        m = store.put(LearnerModel(lab, label, run, meta, dict(settings or {})))
    ticket = wait_for_slot(label, n)
    if ticket is None:
        return m
    t0 = time.perf_counter()
    try:
        train_live(m.run, n, refresh_every, unit, ticket, loss_name)
        if after_chunk is not None:
            after_chunk(m)
    finally:
        ticket.release()
    m.extra.setdefault("chunks", []).append({"steps": m.steps, "seconds": round(time.perf_counter() - t0, 2),
                                             "waited": round(ticket.waited, 2)})
    return m
