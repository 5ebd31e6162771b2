"""Training in a worker process (seqviz.training_worker) vs in the script thread: cost and payoff.

Run: .venv/bin/python bench/bench_training_worker.py [forkserver|spawn]   (about a minute)

Same process, same run (a 32-unit LSTM on the bracket task, batch 64, the /rnn page's task), one torch thread:
1. start-up: first use of a pool (fork server + torch import + the first worker) until it answers;
2. memory: the worker's RSS and USS (pages no other process shares) after one chunk, and the fork server's;
3. steps/s trained in this thread vs through the worker (round trips of 25 and 100 steps), alternated on the
   same run, median of 3; the per-step overhead of the round trips and the payload's size;
4. the payoff: a pure-Python "rerun" (the GIL-bound part of a page rerun) timed alone, while another thread
   trains in-thread, and while another thread trains through the worker: ratios to alone.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402
import torch  # noqa: E402

from seqviz import training_worker as tw  # noqa: E402
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet  # noqa: E402
from seqviz.tasks.brackets import BracketTask  # noqa: E402
from seqviz.training import TrainingRun  # noqa: E402

STEPS = 200


def make_run() -> TrainingRun:
    task = BracketTask()
    vocab = task.vocab()
    torch.manual_seed(0)
    model = RecurrentNet(RecurrentConfig(len(vocab), task.num_classes, "lstm", 32))
    return TrainingRun.start(model, task.batches(1, 64, vocab), lr=3e-3)


CPU_MS: dict[str, list[float]] = {}  # this thread's CPU time per step (what competes with reruns for the GIL)


def steps_per_s(fn, n: int, name: str = "") -> float:
    t0, c0 = time.perf_counter(), time.thread_time()
    fn(n)
    CPU_MS.setdefault(name, []).append((time.thread_time() - c0) / n * 1e3)
    return n / (time.perf_counter() - t0)


def rerun_work() -> float:
    """A GIL-bound stand-in for a rerun's Python work (dict building, as plotly's figures do)."""
    t0 = time.perf_counter()
    for _ in range(40):
        spec = [{"x": i, "y": i * 0.5, "name": f"t{i}", "marker": {"color": "red"}} for i in range(2000)]
        sum(len(d) for d in spec)
    return time.perf_counter() - t0


def main() -> None:
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    print(f"load average {psutil.getloadavg()[0]:.1f} on {psutil.cpu_count()} cores")

    t0 = time.perf_counter()
    pool = tw.WorkerPool(1, method=sys.argv[1] if len(sys.argv) > 1 else "forkserver")
    print(f"start method: {pool.method}")
    first = pool.submit(tw.probe).result()
    print(f"1. start-up: first pool use -> worker answers: {time.perf_counter() - t0:.2f} s; "
          f"idle worker RSS {first['rss_mb']:.0f} MiB, USS {first['uss_mb']:.0f} MiB")

    run = make_run()
    t0 = time.perf_counter()
    list(tw.train_in_worker(run, 100, pool, sub_chunk=25))
    print(f"   first chunk of 100 steps through the worker: {time.perf_counter() - t0:.2f} s")
    info = pool.submit(tw.probe).result()
    me = psutil.Process()
    extra = info["pss_mb"]
    print(f"2. memory: worker after one chunk RSS {info['rss_mb']:.0f} MiB, USS {info['uss_mb']:.0f} MiB, "
          f"PSS {info['pss_mb']:.0f} MiB")
    for p in me.children():  # the fork server (torch preloaded, shared with its workers) and the resource tracker
        if p.pid != info["pid"]:
            mem = p.memory_full_info()
            extra += mem.pss / 2**20
            print(f"   {' '.join(p.cmdline())[-60:]}: RSS {mem.rss / 2**20:.0f} MiB, USS {mem.uss / 2**20:.0f} MiB, "
                  f"PSS {mem.pss / 2**20:.0f} MiB")
    print(f"   what the workers add (sum of PSS): {extra:.0f} MiB; this process RSS {me.memory_info().rss / 2**20:.0f} MiB")

    batches = [tw._compact(next(run.batches)) for _ in range(25)]
    payload = tw._dumps((run.model, run.optimizer, batches, run.grad_clip, run.step, torch.get_rng_state()))
    t0 = time.perf_counter()
    for _ in range(20):
        tw._dumps((run.model, run.optimizer, batches, run.grad_clip, run.step, torch.get_rng_state()))
    dump_ms = (time.perf_counter() - t0) / 20 * 1e3
    print(f"   payload of 25 steps: {len(payload) / 1024:.0f} KiB, pickled in {dump_ms:.1f} ms")

    rates = {"in-thread": [], "worker, 25 a trip": [], "worker, 100 a trip": []}
    for _ in range(3):
        for name, sub in (("in-thread", 0), ("worker, 25 a trip", 25), ("worker, 100 a trip", 100)):
            fn = (lambda n: list(run.train(n))) if not sub else (lambda n, s=sub: list(tw.train_in_worker(run, n, pool, s)))
            rates[name].append(steps_per_s(fn, STEPS, name))
    ref = statistics.median(rates["in-thread"])
    print(f"3. steps/s, LSTM 32 units, batch 64 ({STEPS} steps, median of 3, same run):")
    for name, r in rates.items():
        m = statistics.median(r)
        print(f"   {name:20s} {m:7.1f} steps/s  ratio {m / ref:.2f}  "
              f"overhead {1e3 / m - 1e3 / ref:+.2f} ms/step  ({', '.join(f'{x:.0f}' for x in r)}); "
              f"server-thread CPU {statistics.median(CPU_MS[name]):.2f} ms/step")
    trips = []
    for _ in range(20):  # the fixed cost of one round trip: a trip of 0 steps (state out, state back, loaded)
        t0 = time.perf_counter()
        tw._round_trip(run, [], pool, None)
        trips.append(time.perf_counter() - t0)
    print(f"   one round trip without steps costs {statistics.median(trips) * 1e3:.1f} ms (median of 20): "
          f"{statistics.median(trips) * 1e3 / 25:.2f} ms/step at 25 steps a trip")

    alone = statistics.median(rerun_work() for _ in range(5))
    results = {}
    for name, train in (("in-thread", lambda: list(run.train(400))),
                        ("worker", lambda: list(tw.train_in_worker(run, 400, pool, 25)))):
        times, stop = [], threading.Event()

        def trainer():
            while not stop.is_set():
                train()

        th = threading.Thread(target=trainer)
        th.start()
        time.sleep(0.2)
        times = [rerun_work() for _ in range(5)]
        stop.set()
        th.join()
        results[name] = statistics.median(times)
    print(f"4. a GIL-bound 'rerun' alone {alone * 1e3:.0f} ms; while another thread trains in-thread "
          f"{results['in-thread'] * 1e3:.0f} ms ({results['in-thread'] / alone:.2f}x), through the worker "
          f"{results['worker'] * 1e3:.0f} ms ({results['worker'] / alone:.2f}x)")
    pool.shutdown(wait=True)


if __name__ == "__main__":
    main()
