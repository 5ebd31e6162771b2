"""Tier 2, invariants: seeds reproduce, probabilities normalise, checkpoints keep their promises."""

import numpy as np
import pytest
import torch

from seqviz import zoo

from seqviz import labs
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet
from seqviz.training import TrainingRun, evaluate


def _fresh(seed, task):
    torch.manual_seed(seed)
    vocab = task.vocab()
    return RecurrentNet(RecurrentConfig(len(vocab), task.num_classes, "rnn", 8)), vocab


def test_fixed_seed_gives_identical_traces(task):
    (m1, vocab), (m2, _) = _fresh(3, task), _fresh(3, task)
    (m3, _) = _fresh(4, task)
    text = "a(b(c))"
    ids = vocab.encode(list(text))
    t1, t2, t3 = (m.trace(ids, list(text), task.class_names) for m in (m1, m2, m3))
    assert np.array_equal(t1.hidden, t2.hidden) and np.array_equal(t1.logits, t2.logits)
    assert all(np.array_equal(t1.first.gates[k], t2.first.gates[k]) for k in t1.first.gates)
    assert not np.array_equal(t1.hidden, t3.hidden)  # and the seed matters


def test_fixed_seed_gives_identical_training(task):
    def losses(seed):
        model, vocab = _fresh(seed, task)
        run = TrainingRun.start(model, task.batches(seed + 1, 16, vocab), lr=3e-3)
        return [e.loss for e in run.train(15)]

    assert losses(0) == losses(0)
    assert losses(0) != losses(1)


def test_probabilities_sum_to_one_and_lie_in_range(shipped):
    text = "((((((x)))))))))"  # deeper and more unbalanced than training ever was
    tr = shipped.model.trace(shipped.vocab.encode(list(text)), list(text), shipped.task.class_names)
    assert np.allclose(tr.probs.sum(axis=1), 1.0, atol=1e-6)
    assert (tr.probs >= 0).all() and (tr.probs <= 1).all()
    assert (np.abs(tr.hidden) <= 1).all()  # tanh's range


@pytest.mark.parametrize("name", sorted(labs.recurrent.RECIPES))
def test_shipped_checkpoint_reproduces_its_recorded_metric(name):
    ckpt = zoo.load(name)
    metrics = evaluate(ckpt.model, *labs.recurrent.RECIPES[name].test_data())
    recorded = ckpt.meta["metrics"]
    assert set(metrics) == set(recorded)
    for key, value in metrics.items():
        assert value == pytest.approx(recorded[key], abs=1e-6), key


def test_shipped_models_teach_what_their_lessons_say():
    """The lessons' claims hold for the shipped files: the counter counts, gates remember, the RNN
    forgets at the shipped lag, and only the bidirectional model sees the future."""
    m = {name: zoo.load(name).meta["metrics"] for name in labs.recurrent.RECIPES}
    assert m["rnn-brackets"]["step_accuracy"] >= 0.99
    assert m["recall-lstm"]["accuracy"] >= 0.95 and m["recall-gru"]["accuracy"] >= 0.95
    assert m["recall-rnn"]["accuracy"] < 0.6
    assert m["future-bilstm"]["step_accuracy"] >= 0.99
    for one_way in ("future-rnn", "future-lstm", "future-gru"):
        assert m[one_way]["step_accuracy"] < 0.8


def test_shipped_json_records_config_vocab_recipe_and_seed(shipped):
    meta = shipped.meta
    assert meta["config"] == {"vocab_size": 30, "num_classes": 5, "cell": "rnn", "hidden_size": 16,
                              "num_layers": 1, "bidirectional": False, "output": "tag"}
    assert meta["vocab"] == shipped.task.vocab().to_list()
    assert meta["recipe"]["steps"] > 0 and meta["seed"] == labs.recurrent.RECIPES["rnn-brackets"].seed
    assert meta["task"]["name"] == "brackets"


def test_training_interrupted_midway_keeps_every_step_taken(task):
    model, vocab = _fresh(0, task)
    run = TrainingRun.start(model, task.batches(1, 16, vocab), lr=3e-3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    gen = run.train(50)
    for _ in range(7):
        next(gen)
    gen.close()  # what a Streamlit rerun does to a running loop
    assert run.step == 7 and len(run.history) == 7
    assert not model.training  # left in eval mode
    assert any(not torch.equal(before[k], v) for k, v in model.state_dict().items())
    list(run.train(3))
    assert [e.step for e in run.history] == list(range(1, 11))


def test_a_short_training_run_learns_the_task(task):
    """Training really trains: 400 steps from random weights beat chance clearly."""
    model, vocab = _fresh(0, task)
    x, y = task.tensors(task.dataset(300, 99), vocab)
    before = evaluate(model, x, y)["step_accuracy"]
    run = TrainingRun.start(model, task.batches(1, 64, vocab), lr=1e-2)
    list(run.train(400))
    after = evaluate(model, x, y)["step_accuracy"]
    assert after > 0.9 and after > before + 0.3


def test_the_shipped_lag_sweep_reproduces_its_shortest_lag():
    """The accuracy-against-lag file keeps its promise: retraining its shortest lag (each lag starts from the
    same seed, so one lag alone is the same run) gives the recorded accuracy and loss of every architecture."""
    import dataclasses

    from seqviz import compare

    sweep = labs.load(compare.SWEEP_NAME)
    lag = min(p.lag for p in sweep.points)
    torch.set_flush_denormal(True)  # as the build ran
    (finished,) = [e for e in compare.run_sweep(compare.ARCHS, [lag], sweep.steps, dataclasses.replace(sweep.settings))
                   if e.points]
    recorded = {p.arch: p for p in sweep.points if p.lag == lag}
    for p in finished.points:
        assert p.accuracy == pytest.approx(recorded[p.arch].accuracy, abs=1e-6), p.arch
        assert p.loss == pytest.approx(recorded[p.arch].loss, abs=1e-3), p.arch
