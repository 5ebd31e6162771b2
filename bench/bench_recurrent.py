"""Recurrent lab benchmark: trace cost, training-harness overhead, and the long-range result.

Run: .venv/bin/python bench/bench_recurrent.py   (part of `make bench`; about 2-3 minutes)

Every figure is a ratio against a reference measured in the same process, on one torch thread
(the trace figures in CPU time of this thread, the function and its reference timed in turns):
1. trace (every state, gate and term) vs the plain fused nn.LSTM / nn.GRU / nn.RNN forward on the
   same input, each in a tight loop and each "in a rerun's company" (after the same other work, see
   `rerun_work`), and vs the model's own forward (fused layer + read-out); then a trace with an
   intervention (one unit zeroed), whose changed cell is stepped through the explicit cells;
2. seqviz.training.TrainingRun vs a bare PyTorch loop over the same model and the same batches;
3. recall at the shipped lag: steps until LSTM and GRU reach 95% held-out accuracy, and the vanilla
   RNN's accuracy after 3,000 steps, for three seeds.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

from seqviz import zoo  # noqa: E402

from seqviz import labs
from seqviz.models.recurrent import Intervention, RecurrentConfig, RecurrentNet, remember_by_default  # noqa: E402
from seqviz.tasks import RecallTask  # noqa: E402
from seqviz.training import TrainingRun, evaluate  # noqa: E402

torch.set_num_threads(1)
torch.set_flush_denormal(True)
threadpool_limits(limits=1, user_api="blas")  # as the app (ui.configure_runtime): a trace's numpy matmuls on one thread


def best_of(fn, number: int, repeat: int = 7) -> float:
    """Seconds per call: the median of `repeat` timings of `number` calls (robust to a busy machine)."""
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def in_turns(fns: dict, number: int, repeat: int = 7) -> dict:
    """CPU seconds per call of each function, timed in turns (`number` calls of each, `repeat` rounds).

    Turns: a machine that gets busier or quieter during the run shifts every figure alike. CPU time
    of this thread (not wall time): on a shared 2-core machine a wall clock also counts the time other
    processes held the core, which swamped these sub-millisecond figures. The median per function.
    """
    times = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            times[name].append(timeit.Timer(fn, timer=time.thread_time).timeit(number) / number)
    return {name: statistics.median(t) for name, t in times.items()}


_RNG = np.random.default_rng(0)
_GRID, _BLOCK = _RNG.normal(size=(46, 32)), _RNG.random((46, 128)).astype(np.float32)


def rerun_work() -> None:
    """A stand-in for what surrounds a trace in a page rerun (figure numbers to JSON, a numpy pass).

    Timed alone and before each function, so that "in a rerun's company" is each function's cost after
    other work has had the caches, as in the app: a tight loop of one fused call keeps its code and
    weights hot, which no page ever does (that alone made the fused layer 1.6x cheaper than in company).
    """
    json.dumps(_GRID.round(3).tolist())
    np.tanh(_BLOCK)


def trace_cost() -> None:
    for name in ("recall-lstm", "recall-gru", "recall-rnn", "recall-bilstm"):
        ckpt = zoo.load(name)
        model, task = ckpt.model, ckpt.task
        text = task.dataset(1, seed=5)[0]
        ids, tokens = ckpt.vocab.encode(text), list(text)
        X = F.one_hot(torch.tensor([ids]), model.cfg.vocab_size).float()
        fused = model.layers[0]
        x = torch.tensor([ids])

        def run_trace():
            model.trace(ids, tokens, task.class_names)

        def run_fused():
            with torch.no_grad():
                fused(X)

        def run_forward():
            with torch.no_grad():
                model(x)

        def run_intervened():
            model.trace(ids, tokens, task.class_names, Intervention(zero_units=(0,)))

        t = in_turns({"trace": run_trace, "fused": run_fused, "forward": run_forward,
                      "rerun": rerun_work, "rerun+trace": lambda: (rerun_work(), run_trace()),
                      "rerun+fused": lambda: (rerun_work(), run_fused())}, 200)
        t_trace, t_fused, t_fwd = t["trace"], t["fused"], t["forward"]
        in_context = (t["rerun+trace"] - t["rerun"]) / (t["rerun+fused"] - t["rerun"])
        t_slow = in_turns({"intervened": run_intervened}, 20)["intervened"]
        print(f"trace_vs_fused_{model.cfg.cell}{'_bi' if model.cfg.bidirectional else ''}: "
              f"{t_trace / t_fused:.2f} (trace {t_trace * 1e3:.3f} ms, fused layer {t_fused * 1e3:.3f} ms, "
              f"T={len(ids)}); in a rerun's company {in_context:.2f}; vs model forward {t_trace / t_fwd:.2f} "
              f"({t_fwd * 1e3:.3f} ms); with an intervention {t_slow / t_fused:.2f} ({t_slow * 1e3:.3f} ms)")


def harness_overhead(steps: int = 300) -> None:
    task = RecallTask(lag=45)
    vocab = task.vocab()
    stream = task.batches(1, 64, vocab)
    batches = [next(stream) for _ in range(steps)]
    for cell in ("lstm", "rnn"):
        def fresh():
            torch.manual_seed(0)
            return RecurrentNet(RecurrentConfig(len(vocab), task.num_classes, cell, 32, output="last"))

        def bare():
            model = fresh()
            opt = torch.optim.Adam(model.parameters(), lr=3e-3)
            model.train()
            for xb, yb in batches:
                loss = F.cross_entropy(model(xb)[0], yb)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()

        def harness():
            model = fresh()
            run = TrainingRun.start(model, iter(batches), lr=3e-3)
            for _ in run.train(steps):
                pass

        bare()  # warm-up
        t_bare = statistics.median(timeit.repeat(bare, number=1, repeat=3))
        t_harness = statistics.median(timeit.repeat(harness, number=1, repeat=3))
        print(f"training_harness_vs_bare_{cell}: {t_harness / t_bare:.3f} "
              f"(harness {steps / t_harness:.0f} steps/s, bare {steps / t_bare:.0f} steps/s, batch 64, lag 45)")


def long_range(max_steps: int = 3000, seeds=(0, 1, 2)) -> None:
    recipe = labs.recurrent.RECIPES["recall-lstm"]
    task = recipe.task
    vocab = task.vocab()
    x_test, y_test = task.tensors(task.dataset(500, 1234), vocab)
    for cell in ("lstm", "gru", "rnn"):
        results = []
        for seed in seeds:
            torch.manual_seed(seed)
            model = RecurrentNet(RecurrentConfig(len(vocab), task.num_classes, cell, recipe.hidden_size, output="last"))
            if cell != "rnn":
                remember_by_default(model, recipe.gate_bias)
            run = TrainingRun.start(model, task.batches(seed + 1, recipe.batch_size, vocab), lr=recipe.lr)
            start, reached, acc = time.perf_counter(), None, 0.0
            while run.step < max_steps:
                for _ in run.train(100):
                    pass
                acc = evaluate(model, x_test, y_test)["accuracy"]
                if acc >= 0.95 and reached is None:
                    reached = run.step
                    if cell != "rnn":
                        break
            results.append((seed, reached, acc, time.perf_counter() - start))
        shown = "; ".join(f"seed {s}: " + (f"95% at step {r}" if r else "never 95%") + f", final {a:.1%} ({t:.0f} s)"
                          for s, r, a, t in results)
        print(f"recall_lag{task.lag}_{cell}: {shown}")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
    trace_cost()
    harness_overhead()
    long_range()
