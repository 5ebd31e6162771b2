"""Training steps off the server's GIL: a TrainingRun's chunk trains in a worker process (no streamlit).

The Streamlit server is one Python process; every session's script is a thread in it, so they share one GIL.
A learner's training loop run in its script thread competes with every other learner's page reruns for that
GIL (bench/bench_load.py: the server never used more than one core). Here the steps themselves run in a
persistent pool of worker processes, one per slot of the training line (seqviz.trainqueue.QUEUE.pool()),
while the session's thread only draws the batches, ships the state and waits (a wait releases the GIL).

    pool = QUEUE.pool()                             # None when SEQVIZ_TRAIN_PROCESSES=0
    inner = plain_run(run)                          # None: not a plain TrainingRun
    events = (train_in_worker(inner, n, pool, sub_chunk=25, heartbeat=ticket.touch)
              if pool is not None and inner is not None else run.train(n))
    for event in events: ...                        # exactly what run.train(n) yields, in sub-chunks

Per sub-chunk (`sub_chunk` steps): the batches are drawn from `run.batches` in the server (a generator cannot
be pickled, and the run must keep drawing the batches it would have drawn), then (model, optimizer, batches,
grad_clip, start step, torch's RNG state) go to a worker in ONE pickle, so the optimizer's parameters stay the
model's very tensors there; the worker runs seqviz.training.train_steps unchanged (model.train(), zero_grad,
backward, clip, step, model.eval()) and sends back the model's and the optimizer's state_dicts and the events;
the server loads both into the session's own model and optimizer (in place: the Parameters, and so the
optimizer's references to them, stay the same objects) and appends the events to run.history before yielding
any. A chunk interrupted by streamlit (the learner moved a slider: the script raises at its next st call)
keeps every finished sub-chunk, as the in-thread path keeps every finished step.

The contract is equivalence: the same seeded model on the same batches gives identical weights and losses
in-thread and through a worker (tests/test_training_worker.py). When that cannot be guaranteed the chunk
trains in the session's thread as before, so every lab keeps working:
- the run is not a plain TrainingRun (`is_plain`): EpochRun (Word2Vec/GloVe), any subclass that overrides
  `train` (a schedule, extra bookkeeping), a wrapper (the GPT lab's trainer) unless it names the plain run
  its train(n) delegates to as `worker_run` (`plain_run`);
- the state cannot be pickled (a lambda or an open file on the model), or the worker cannot take it (it
  fails to unpickle, raises, or the pool broke): that sub-chunk is retrained in-thread on the same batches
  (the session's model was not touched), and the rest of the chunk follows in-thread.

Switch: SEQVIZ_TRAIN_PROCESSES=0 in the server's environment turns the workers off: every chunk trains in the
session's script thread (the previous behaviour). Any other value, or none, uses them.

Workers: "forkserver" processes (never `fork` of a threaded server), torch preloaded once in the fork server,
each with torch.set_num_threads(1) and torch.set_flush_denormal(True), started on first use.
Payloads are our own bytes made in this process a moment before (torch.save of live objects), never a user's
file, so loading them with weights_only=False is safe here and nowhere else.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from multiprocessing import context as _mp_context

import torch

from seqviz.training import TrainEvent, TrainingRun, train_steps

SUB_CHUNK = 25  # steps per round trip when the caller does not say: the progress bar's refresh

ENV = "SEQVIZ_TRAIN_PROCESSES"


def enabled() -> bool:
    """False when SEQVIZ_TRAIN_PROCESSES=0: train in the session's thread."""
    return os.environ.get(ENV, "1").strip() != "0"


def is_plain(run) -> bool:
    """A TrainingRun whose train() is TrainingRun.train: the only runs whose steps are exactly train_steps on
    run.batches, so the only ones a worker may take (anything else trains in-thread, unchanged)."""
    return isinstance(run, TrainingRun) and type(run).train is TrainingRun.train


def plain_run(trainer) -> TrainingRun | None:
    """The plain TrainingRun a worker may train for `trainer`: the trainer itself, or the run a wrapper names
    as its `worker_run` (a wrapper says so only when its train(n) is exactly that run's train(n), and its
    .step and .history are that run's); None: the trainer trains in the session's thread."""
    if is_plain(trainer):
        return trainer
    inner = getattr(trainer, "worker_run", None)
    return inner if is_plain(inner) else None


# -- both sides: one payload format -----------------------------------------------------------------------
def _dumps(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)  # one zip for every tensor; pickle's memo keeps shared objects shared
    return buf.getvalue()


def _loads(data: bytes):
    # our own bytes from the other end of the pool (see the module docstring), never a user's file
    return torch.load(io.BytesIO(data), weights_only=False)


def _compact(batch):
    """The batch with every tensor owning just its own numbers (a view of a whole corpus would ship it all)."""
    if isinstance(batch, torch.Tensor):
        return batch.clone() if batch.untyped_storage().nbytes() > batch.numel() * batch.element_size() else batch
    if isinstance(batch, tuple):
        return tuple(_compact(b) for b in batch)
    if isinstance(batch, list):
        return [_compact(b) for b in batch]
    return batch


# -- the worker's side --------------------------------------------------------------------------------------
def init_worker() -> None:
    """Once per worker process: one torch thread (the cores are the line's slots) and no denormal slowdowns."""
    import gc

    # Everything the fork server imported stays shared with it only while nothing writes to it: a garbage
    # collection writes into every object it visits, copying its page into this process. Frozen objects are
    # never visited (gc.freeze, the advice for forking servers), so only what this worker makes is its own.
    gc.freeze()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)


def train_job(payload: bytes) -> bytes:
    """In a worker: train_steps on the shipped batches; back come the two state_dicts, the events and the
    RNG state (None when training drew nothing from it, so the server's is left alone)."""
    model, optimizer, batches, grad_clip, start_step, rng = _loads(payload)
    torch.set_rng_state(rng)  # dropout (if any) draws what it would have drawn in the server
    events = list(train_steps(model, optimizer, iter(batches), len(batches), grad_clip, start_step))
    after = torch.get_rng_state()
    return _dumps((model.state_dict(), optimizer.state_dict(), events, None if torch.equal(after, rng) else after))


def probe() -> dict:
    """In a worker: its pid, process name and memory (RSS; USS: the pages no other process shares)."""
    import multiprocessing

    import psutil

    mem = psutil.Process().memory_full_info()
    return {"pid": os.getpid(), "rss_mb": mem.rss / 2**20, "uss_mb": mem.uss / 2**20, "pss_mb": mem.pss / 2**20,
            "threads": torch.get_num_threads(), "name": multiprocessing.current_process().name}


# -- the server's side --------------------------------------------------------------------------------------
WORKER_NAME = "seqviz-trainer"  # the name of every worker process (ps, psutil, and the filter below)


def _worker_context(ctx):
    """`ctx` whose processes never re-run the parent's __main__.

    multiprocessing starts a child by re-importing the parent's __main__ by path when it has no module name.
    Under streamlit, __main__ is whatever script the last rerun executed (streamlit installs each run's module
    as sys.modules["__main__"]): app.py, or an AppTest's generated script that only works inside AppTest, so a
    worker would run a page script at start, or die with it (a NameError in a test's script broke the pool).
    The workers need nothing from __main__: their jobs are functions of this module. So the preparation data
    sent to a process named WORKER_NAME leaves the main module out; other processes are untouched."""
    from multiprocessing import spawn

    if not getattr(spawn.get_preparation_data, "_seqviz", False):
        original = spawn.get_preparation_data

        def get_preparation_data(name):
            data = original(name)
            if name == WORKER_NAME:
                data.pop("init_main_from_path", None)
                data.pop("init_main_from_name", None)
            return data

        get_preparation_data._seqviz = True
        spawn.get_preparation_data = get_preparation_data

    process = {"forkserver": ForkServerWorker, "spawn": SpawnWorker}[ctx.get_start_method()]
    base = {"forkserver": _mp_context.ForkServerContext, "spawn": _mp_context.SpawnContext}[ctx.get_start_method()]
    return type(f"Seqviz{base.__name__}", (base,), {"Process": process})()


class WorkerPool:
    """`workers` persistent processes (concurrent.futures.ProcessPoolExecutor, forkserver), started on first
    use. `broken` turns True when a worker died; the owner (seqviz.trainqueue) then makes a new pool."""

    def __init__(self, workers: int, method: str = "forkserver"):
        self.workers = workers
        self.method = method  # "forkserver" (torch imported once, shared) or "spawn" (each worker imports it)
        self.broken = False
        self.round_trips = 0  # sub-chunks trained in a worker (the in-thread fallbacks are not counted)
        self._executor = None

    def executor(self):
        if self._executor is None:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            ctx = _worker_context(mp.get_context(self.method))
            if self.method == "forkserver":
                # torch imported once in the fork server and shared (copy-on-write) by every worker it forks;
                # torch._dynamo too: the first torch.optim optimiser imports it (~800 modules, ~70 MiB), which
                # every worker would otherwise import for itself. Not "__main__" (see _worker_context).
                ctx.set_forkserver_preload(["seqviz.training_worker", "torch._dynamo"])
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=init_worker)
            import atexit

            atexit.register(self.shutdown)  # before the interpreter tears down the modules the executor still needs
        return self._executor

    def submit(self, fn, *args):
        return self.executor().submit(fn, *args)

    def shutdown(self, wait: bool = False) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=wait, cancel_futures=True)
            self._executor = None


def _result(future, heartbeat: Callable[[], None] | None):
    while True:
        try:
            return future.result(timeout=1.0)  # the wait releases the GIL: other sessions rerun meanwhile
        except TimeoutError:
            if heartbeat is not None:
                heartbeat()  # still training: keep the ticket alive in the line


class ForkServerWorker(_mp_context.ForkServerProcess):  # at module level: a process object is pickled to start
    def __init__(self, *args, **kwargs):
        kwargs["name"] = WORKER_NAME
        super().__init__(*args, **kwargs)


class SpawnWorker(_mp_context.SpawnProcess):
    def __init__(self, *args, **kwargs):
        kwargs["name"] = WORKER_NAME
        super().__init__(*args, **kwargs)


def _round_trip(run: TrainingRun, batches: list, pool: WorkerPool, heartbeat) -> list[TrainEvent] | None:
    """One sub-chunk in a worker, loaded into the run; None (the run untouched) when the worker cannot do it."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        payload = _dumps((run.model, run.optimizer, batches, run.grad_clip, run.step, torch.get_rng_state()))
    except Exception:  # noqa: BLE001 - something on the model or optimiser cannot be pickled: train in-thread
        return None
    try:
        model_state, optimizer_state, events, rng = _loads(_result(pool.submit(train_job, payload), heartbeat))
    except BrokenProcessPool:
        pool.broken = True
        return None
    except Exception:  # noqa: BLE001 - the worker could not unpickle or train it; in-thread says why, if real
        return None
    run.model.load_state_dict(model_state)  # copy_ into the same Parameters: the optimiser still holds them
    run.optimizer.load_state_dict(optimizer_state)
    if rng is not None:
        torch.set_rng_state(rng)
    pool.round_trips += 1
    run.history.extend(events)  # recorded before any is yielded: an interruption keeps the whole sub-chunk
    return events


def train_in_worker(run: TrainingRun, n: int, pool: WorkerPool, sub_chunk: int = SUB_CHUNK,
                    heartbeat: Callable[[], None] | None = None) -> Iterator[TrainEvent]:
    """n more steps of a plain TrainingRun (see is_plain), `sub_chunk` at a time in a worker; yields the same
    events as run.train(n). Falls back to the session's thread (same batches, same order) when a worker
    cannot take the state; `heartbeat()` is called about once a second while a worker trains."""
    if not is_plain(run):
        raise TypeError(f"{type(run).__name__} is not a plain TrainingRun; train it with its own train()")
    done = 0
    while done < n:
        k = min(max(1, sub_chunk), n - done)
        batches = [_compact(next(run.batches)) for _ in range(k)]
        events = _round_trip(run, batches, pool, heartbeat)
        if events is None:
            # The in-thread path, from exactly where the worker would have started: these batches, then the
            # rest of the chunk from run.batches (every lab keeps working, only off the worker)
            for event in train_steps(run.model, run.optimizer, iter(batches), k, run.grad_clip, run.step):
                run.history.append(event)
                yield event
            yield from run.train(n - done - k)
            return
        done += k
        yield from events
