"""Units: training in a worker process (seqviz.training_worker) is the in-thread loop, exactly.

The same seeded model on the same batches, trained by seqviz.training.train_steps in this process and through
a worker process in round trips of a few steps, ends with the same weights, optimiser state and losses (to
1e-6); an interrupted chunk keeps every finished round trip; a run the worker cannot take (not a plain
TrainingRun, or state that cannot be pickled, or that the worker fails on) trains in this thread instead, with
the same result; SEQVIZ_TRAIN_PROCESSES=0 turns the workers off.
"""

import copy
import itertools
import os

import pytest
import torch

from seqviz import training_worker as tw
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqConfig
from seqviz.models.transformer import TransformerLM, TransformerLMConfig
from seqviz.trainqueue import TrainingQueue
from seqviz.training import TrainingRun


@pytest.fixture(scope="module")
def pool():
    p = tw.WorkerPool(1)
    yield p
    p.shutdown(wait=True)


def token_batches(seed, batch, length, vocab, classes):
    g = torch.Generator().manual_seed(seed)
    while True:
        yield (torch.randint(0, vocab, (batch, length), generator=g),
               torch.randint(0, classes, (batch, length), generator=g))


def pair_batches(seed, batch, src_len, tgt_len, src_vocab, tgt_vocab):
    g = torch.Generator().manual_seed(seed)
    while True:
        src = torch.randint(3, src_vocab, (batch, src_len), generator=g)
        tgt = torch.randint(3, tgt_vocab, (batch, tgt_len + 1), generator=g)
        yield (src, tgt[:, :-1]), tgt[:, 1:]


def lstm():
    return RecurrentNet(RecurrentConfig(vocab_size=6, num_classes=4, cell="lstm", hidden_size=16))


def gpt():
    return TransformerLM(TransformerLMConfig(vocab_size=12, block_size=10, n_layer=2, n_head=2, n_embd=16))


def seq2seq():
    return Seq2Seq(Seq2SeqConfig(vocab_size=9, target_vocab_size=8, attention="additive", embed_size=8,
                                 encoder_hidden_size=8, hidden_size=16, attention_size=8))


CASES = {
    "lstm": (lstm, lambda: token_batches(1, 8, 12, 6, 4)),
    "gpt": (gpt, lambda: token_batches(2, 4, 10, 12, 12)),
    "seq2seq": (seq2seq, lambda: pair_batches(3, 4, 7, 6, 9, 8)),
}


def twin_runs(case, lr=1e-2):
    """Two runs from one seeded model and two copies of one batch stream."""
    build, batches = CASES[case]
    torch.manual_seed(0)
    model = build()
    a = TrainingRun.start(model, batches(), lr=lr, grad_clip=0.5)
    b = TrainingRun.start(copy.deepcopy(model), batches(), lr=lr, grad_clip=0.5)
    return a, b


def assert_same_run(a: TrainingRun, b: TrainingRun):
    assert [e.step for e in a.history] == [e.step for e in b.history]
    torch.testing.assert_close(torch.tensor([e.loss for e in a.history]), torch.tensor([e.loss for e in b.history]),
                               atol=1e-6, rtol=0)
    torch.testing.assert_close(torch.tensor([e.grad_norm for e in a.history]),
                               torch.tensor([e.grad_norm for e in b.history]), atol=1e-6, rtol=0)
    for (name, p), q in zip(a.model.state_dict().items(), b.model.state_dict().values()):
        torch.testing.assert_close(p, q, atol=1e-6, rtol=0, msg=name)
    sa, sb = a.optimizer.state_dict()["state"], b.optimizer.state_dict()["state"]
    assert sa.keys() == sb.keys()
    for k in sa:
        for key in ("step", "exp_avg", "exp_avg_sq"):
            torch.testing.assert_close(sa[k][key], sb[k][key], atol=1e-6, rtol=0)
    assert not a.model.training and not b.model.training, "both end in eval mode"


@pytest.mark.parametrize("case", list(CASES))
def test_a_worker_trains_exactly_as_this_thread(case, pool):
    torch.set_num_threads(1)  # as the app and the workers: a different thread count may reorder float sums
    here, there = twin_runs(case)
    params = list(there.model.parameters())
    trips = pool.round_trips
    for chunk in (30, 11):  # 25 + 5, then 11: round trips of unequal size, continued across chunks
        list(here.train(chunk))
        events = list(tw.train_in_worker(there, chunk, pool, sub_chunk=25))
        assert events == there.history[-chunk:], "yields exactly what it records"
    assert pool.round_trips - trips == 3, "every step was trained in the worker"
    assert_same_run(here, there)
    assert here.history[-1].loss < here.history[0].loss + 1.0  # it trained (and did not blow up)
    # the session's Parameters are still the optimiser's: state was loaded in place, never swapped
    assert [p is q for p, q in zip(params, there.model.parameters())] == [True] * len(params)
    assert all(p is q for p, q in zip(params, there.optimizer.param_groups[0]["params"]))
    # ...and training goes on in this thread from where the worker left off, still in step
    list(here.train(3))
    list(there.train(3))
    assert_same_run(here, there)


def test_an_interrupted_chunk_keeps_every_finished_round_trip(pool):
    here, there = twin_runs("lstm")
    trips = pool.round_trips
    events = tw.train_in_worker(there, 60, pool, sub_chunk=20)
    taken = list(itertools.islice(events, 25))  # the learner moved a slider during the second round trip's events
    events.close()
    assert [e.step for e in taken] == list(range(1, 26))
    assert there.step == 40, "both finished round trips are kept, with the model they trained"
    assert pool.round_trips - trips == 2
    list(here.train(40))
    assert_same_run(here, there)


def test_the_worker_runs_one_torch_thread(pool):
    info = pool.submit(tw.probe).result(timeout=120)
    assert info["pid"] != os.getpid() and info["threads"] == 1


def test_a_worker_never_runs_the_script_streamlit_made_main(tmp_path, monkeypatch):
    """Streamlit (and AppTest) installs each run's script as sys.modules["__main__"]; a worker started then
    must not re-run that script (an AppTest's generated script raised NameError there and broke the pool)."""
    import sys
    import types

    marker = tmp_path / "ran"
    script = tmp_path / "page.py"
    script.write_text(f"open({str(marker)!r}, 'w').close()\nraise NameError('a page script, run in a worker')\n")
    page = types.ModuleType("__main__")
    page.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", page)
    fresh = tw.WorkerPool(1)
    try:
        info = fresh.submit(tw.probe).result(timeout=120)
        here, there = twin_runs("lstm")
        list(tw.train_in_worker(there, 10, fresh, sub_chunk=5))
        list(here.train(10))
        assert_same_run(here, there)
        assert fresh.round_trips == 2 and not fresh.broken
    finally:
        fresh.shutdown(wait=True)
    assert info["pid"] != os.getpid() and not marker.exists(), "the worker ran the page script"
    assert info["name"] == tw.WORKER_NAME


class ScheduledRun(TrainingRun):
    """A subclass with its own train(): a learning-rate schedule the worker would not know about."""

    def train(self, n):
        for event in super().train(n):
            for group in self.optimizer.param_groups:
                group["lr"] *= 0.9
            yield event


def test_only_plain_training_runs_go_to_a_worker():
    from seqviz.labs.embeddings import EpochRun
    from seqviz.labs.transformers import GPTTraining

    plain, _ = twin_runs("lstm")
    assert tw.is_plain(plain)
    scheduled = ScheduledRun(plain.model, plain.optimizer, plain.batches, "scratch")
    assert not tw.is_plain(scheduled), "a subclass that overrides train() trains in its own way, in-thread"
    assert not tw.is_plain(object.__new__(EpochRun)) and not tw.is_plain(object.__new__(GPTTraining))
    assert tw.plain_run(plain) is plain and tw.plain_run(scheduled) is None
    assert tw.plain_run(object.__new__(EpochRun)) is None

    class Wrapper:  # a lab's trainer that delegates train(n) to a plain run and says so
        def __init__(self, run):
            self.run = self.worker_run = run

    assert tw.plain_run(Wrapper(plain)) is plain and tw.plain_run(Wrapper(scheduled)) is None
    with pytest.raises(TypeError, match="not a plain TrainingRun"):
        next(tw.train_in_worker(scheduled, 5, pool=None))


def _refuse_in_a_worker(parent: int):
    if os.getpid() != parent:
        raise RuntimeError("this object only unpickles in the process that made it")
    return Unwelcome()


class Unwelcome:
    def __reduce__(self):
        return _refuse_in_a_worker, (os.getpid(),)


@pytest.mark.parametrize("trouble", ["cannot pickle", "worker fails on it"])
def test_state_a_worker_cannot_take_trains_in_this_thread(trouble, pool):
    here, there = twin_runs("lstm")
    there.model.note = (lambda: "unpicklable") if trouble == "cannot pickle" else Unwelcome()
    trips = pool.round_trips
    events = list(tw.train_in_worker(there, 30, pool, sub_chunk=10))
    assert [e.step for e in events] == list(range(1, 31)) and events == there.history
    list(here.train(30))
    assert_same_run(here, there)
    assert pool.round_trips == trips and not pool.broken, "no step was trained in a worker"


def test_a_genuine_training_error_still_reaches_the_page(pool):
    _, there = twin_runs("lstm")
    there.batches = iter([(torch.zeros(2, 3, dtype=torch.long), torch.zeros(5, 3, dtype=torch.long))] * 4)
    with pytest.raises((ValueError, RuntimeError)):  # the shapes disagree: in-thread it raises the same
        list(tw.train_in_worker(there, 4, pool, sub_chunk=4))


def test_the_switch_and_the_slots(monkeypatch):
    q = TrainingQueue(workers=3)
    monkeypatch.setenv("SEQVIZ_TRAIN_PROCESSES", "0")
    assert q.pool() is None and not tw.enabled(), "SEQVIZ_TRAIN_PROCESSES=0: train in the script thread"
    monkeypatch.delenv("SEQVIZ_TRAIN_PROCESSES")
    p = q.pool()
    assert p is not None and p.workers == q.workers == 3 and q.pool() is p, "one pool, as many workers as slots"
    p.broken = True
    assert q.pool() is not p, "a pool whose worker died is replaced"
    q.pool().shutdown()


def test_a_compacted_batch_ships_only_its_own_numbers():
    corpus = torch.arange(10_000)
    x = corpus[100:164].view(8, 8)
    (cx, cy), = [tw._compact((x, [x[0]]))]
    assert torch.equal(cx, x) and cx.untyped_storage().nbytes() == 64 * 8
    assert torch.equal(cy[0], x[0]) and cy[0].untyped_storage().nbytes() == 8 * 8


@pytest.mark.parametrize("processes", ["1", "0"])
def test_the_rnn_page_trains_through_the_line_s_worker(processes, monkeypatch):
    """Pressing Train on /rnn (AppTest) trains the learner's model in a worker of QUEUE's pool, and in the script
    thread with SEQVIZ_TRAIN_PROCESSES=0; either way the model reaches the store with the steps asked for."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from seqviz.trainqueue import QUEUE

    monkeypatch.setenv("SEQVIZ_TRAIN_PROCESSES", processes)
    before = QUEUE._pool.round_trips if QUEUE._pool is not None else 0
    at = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=240)
    at.run()
    at.switch_page("pages/rnn_basics.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.select_slider(key="rnn_n").set_value(50)
    at.button(key="rnn_train").click().run()
    assert not at.exception, [e.value for e in at.exception]
    models = list(at.session_state["learner_models"].values())
    assert [m.steps for m in models] == [50] and [e.step for e in models[0].run.history] == list(range(1, 51))
    after = QUEUE._pool.round_trips if QUEUE._pool is not None else 0
    assert (after > before) == (processes == "1"), "trained in a worker exactly when the processes are on"
