"""Units for the train-and-compare lesson: side-by-side training, the lag sweep and its file, figures."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from seqviz import compare
from seqviz.checkpoints import sha256
from seqviz.compare import (ARCHS, CHANCE, Comparison, Settings, SharedBatches, Sweep, SweepError, SweepPoint,
                            build_model, parse_sweep)
from seqviz.plotting import compare as figures
from seqviz.tasks import RecallTask


class Recorder:
    """Wraps an iterator of batches and remembers which batch objects went through it."""

    def __init__(self, inner):
        self.inner, self.seen = inner, []

    def __iter__(self):
        return self

    def __next__(self):
        batch = next(self.inner)
        self.seen.append(batch)
        return batch


def spy_comparison(archs, settings, monkeypatch):
    """A comparison whose batch source and every model's reader are recorded."""
    drawn = []
    real = RecallTask.batches

    def spy_batches(task, seed, batch_size, vocab):
        for batch in real(task, seed, batch_size, vocab):
            drawn.append(batch)
            yield batch

    monkeypatch.setattr(RecallTask, "batches", spy_batches)
    comp = Comparison.start(archs, settings)
    readers = {}
    for arch, run in comp.runs.items():
        run.batches = readers[arch] = Recorder(run.batches)
    return comp, drawn, readers


# -- same batches, same seed ----------------------------------------------------------------------
def test_every_model_trains_on_the_same_batches_drawn_once(monkeypatch):
    comp, drawn, readers = spy_comparison(ARCHS, Settings(lag=4), monkeypatch)
    events = list(comp.train(12, eval_every=5))
    assert [e.step for e in events] == list(range(1, 13))
    assert len(drawn) == 12  # one draw per step, not one per model and step
    for arch in ARCHS:
        assert [id(b) for b in readers[arch].seen] == [id(b) for b in drawn]
        assert comp.runs[arch].step == 12
    # the stream is the task's own, from seed + 1: the first batch an independent generator yields
    task = RecallTask(lag=4)
    x0, y0 = next(task.batches(1, 64, task.vocab()))
    assert torch.equal(drawn[0][0], x0) and torch.equal(drawn[0][1], y0)
    assert len(comp.batches.buffer) == 0  # lockstep readers hold nothing back


def test_a_model_a_step_ahead_catches_the_others_up_without_skipping_a_batch(monkeypatch):
    comp, drawn, readers = spy_comparison(["rnn", "gru"], Settings(lag=3), monkeypatch)
    list(comp.runs["rnn"].train(1))  # as if a chunk stopped between the two models
    assert comp.step == 0 and len(comp.batches.buffer) == 1  # batch 0 waits for the GRU
    list(comp.train(4))
    assert comp.runs["rnn"].step == comp.runs["gru"].step == 5
    assert [id(b) for b in readers["rnn"].seen] == [id(b) for b in readers["gru"].seen] == [id(b) for b in drawn]


def test_a_reader_cannot_join_after_the_first_batch():
    shared = SharedBatches(iter([1, 2, 3]))
    r = shared.reader()
    assert next(r) == 1
    with pytest.raises(RuntimeError):
        shared.reader()


def test_models_start_from_the_seed_and_the_gate_bias():
    a = build_model("lstm", 8, 2, lag=5, seed=3, gate_bias=3.0)
    b = build_model("lstm", 8, 2, lag=5, seed=3, gate_bias=3.0)
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(v, w), k
    H = 8
    for layer in range(2):
        _, b_ih, _, b_hh = a.weights(layer)
        assert torch.all(b_ih[H:2 * H] == 3.0) and torch.all(b_hh[H:2 * H] == 0.0)  # f is block 1 of i f g o
        assert not torch.all(b_ih[:H] == 3.0)
    plain = build_model("gru", 8, 1, lag=5, seed=3, gate_bias=0.0)
    assert plain.cfg.output == "last" and plain.cfg.num_classes == 8
    assert not torch.all(plain.weights(0)[1][H:2 * H] == 3.0)  # PyTorch's init kept
    biased = build_model("gru", 8, 1, lag=5, seed=3, gate_bias=3.0)
    assert torch.all(biased.weights(0)[1][H:2 * H] == 3.0)  # z is block 1 of r z n
    with pytest.raises(ValueError):
        build_model("transformer", 8, 1, 5, 0, 0.0)


@pytest.mark.parametrize("field, value", [("lag", 0), ("lag", 101), ("hidden_size", 200), ("num_layers", 3),
                                          ("lr", 1.0), ("seed", -1), ("gate_bias", -1.0)])
def test_settings_refuse_values_outside_the_pages_bounds(field, value):
    with pytest.raises(ValueError, match=field):
        Settings(**{field: value})


def test_settings_name_what_changed():
    assert Settings().differences(Settings()) == []
    assert Settings().differences(Settings(lag=45, gate_bias=0.0)) == ["lag", "gate-bias initialisation"]
    assert "gate bias off" in compare.describe(Settings(gate_bias=0.0), 100)


def test_held_out_accuracy_matches_an_independent_count():
    comp = Comparison.start(["lstm", "rnn"], Settings(lag=6, hidden_size=16))
    assert comp.archs == ["rnn", "lstm"]  # a fixed order whatever order they were chosen in
    list(comp.train(30, eval_every=10))
    task = RecallTask(lag=6)
    x, y = task.tensors(task.dataset(compare.TEST_SIZE, compare.TEST_SEED), task.vocab())
    for arch, run in comp.runs.items():
        with torch.no_grad():
            logits, _ = run.model(x)
        expected = float((logits.argmax(-1) == y).float().mean())
        assert [e["step"] for e in comp.evals[arch]] == [0, 10, 20, 30]
        assert comp.evals[arch][-1]["accuracy"] == pytest.approx(expected)
        assert run.metrics["step"] == 30 and run.metrics["accuracy"] == pytest.approx(expected)
    df = compare.eval_frame(comp)
    assert len(df) == 8 and set(df["arch"]) == {"rnn", "lstm"}
    losses = compare.loss_frame(comp, window=5)
    assert len(losses) == 60 and (losses.groupby("arch")["step"].max() == 30).all()


def test_an_lstm_with_the_gate_bias_learns_a_short_lag():
    comp = Comparison.start(["lstm"], Settings(lag=10))
    list(comp.train(100, eval_every=100))
    assert comp.evals["lstm"][0]["accuracy"] < 0.3  # near chance before training
    assert comp.evals["lstm"][-1]["accuracy"] > 0.9


def test_comparison_needs_an_architecture():
    with pytest.raises(ValueError):
        Comparison.start([], Settings())


def test_smooth_is_the_mean_of_the_last_window_values():
    rng = np.random.default_rng(0)
    v = rng.normal(size=40)
    got = compare.smooth(v, 7)
    expected = [v[max(0, i - 6): i + 1].mean() for i in range(40)]
    assert np.allclose(got, expected)


def test_time_estimate_grows_with_the_work():
    e = compare.estimate_seconds
    base = e(ARCHS, [30], 100, 32, 1)
    assert e([], [30], 100, 32, 1) == 0
    assert e(ARCHS, [60], 100, 32, 1) > base and e(ARCHS, [30], 200, 32, 1) == pytest.approx(2 * base)
    assert e(ARCHS, [30], 100, 128, 1) > base and e(ARCHS, [30], 100, 32, 2) > base
    assert e(["gru"], [30], 100, 32, 1) > e(["rnn"], [30], 100, 32, 1)


# -- the lag sweep ----------------------------------------------------------------------------------
def test_sweep_gives_one_point_per_architecture_and_lag_and_round_trips_through_json():
    settings = Settings(hidden_size=8)
    events = list(compare.run_sweep(["rnn", "gru"], [4, 2], 10, settings, eval_every=5))
    assert events[-1].done == events[-1].total == 20
    points = [p for e in events for p in e.points]
    assert [(p.arch, p.lag) for p in points] == [("rnn", 2), ("gru", 2), ("rnn", 4), ("gru", 4)]
    for p in points:
        assert p.steps == 10 and [s for s, _ in p.curve] == [0, 5, 10] and p.curve[-1][1] == p.accuracy
        assert 0 <= p.accuracy <= 1
    sweep = Sweep(settings, 10, tuple(points), 1.5, {"torch_version": torch.__version__})
    assert parse_sweep(sweep.to_json()) == sweep
    df = compare.sweep_frame(sweep, "mine")
    assert list(df["lag"]) == [2, 2, 4, 4] and set(df["source"]) == {"mine"}


def test_sweep_stops_at_the_time_limit_and_keeps_what_it_finished():
    events = list(compare.run_sweep(["rnn"], [2, 3], 5, Settings(hidden_size=8), max_seconds=0))
    assert events[-1].stopped and not any(e.points for e in events)


def _sweep_with(acc: dict[tuple[str, int], float]) -> Sweep:
    return Sweep(Settings(), 100, tuple(SweepPoint(a, l, v, 0.1, 100, 1.0) for (a, l), v in acc.items()))


def test_solved_up_to_is_the_longest_unbroken_run_of_solved_lags():
    sweep = _sweep_with({("lstm", 5): 1.0, ("lstm", 30): 0.995, ("lstm", 10): 1.0, ("lstm", 60): 1.0,
                         ("lstm", 45): 0.4, ("rnn", 5): 0.5, ("rnn", 10): 1.0})
    assert compare.solved_up_to(sweep, "lstm") == 30
    assert compare.solved_up_to(sweep, "rnn") is None
    assert compare.solved_up_to(sweep, "gru") is None


def _valid() -> dict:
    sweep = _sweep_with({("rnn", 5): 0.9, ("lstm", 5): 1.0})
    return json.loads(sweep.to_json())


@pytest.mark.parametrize("mutate, fragment", [
    (lambda d: "{not json", "not valid JSON"),
    (lambda d: [1, 2], "not a seqviz lag sweep"),
    (lambda d: {**d, "format": "other"}, "not a seqviz lag sweep"),
    (lambda d: {**d, "version": 99}, "version 99"),
    (lambda d: {**d, "points": []}, "no settings or no points"),
    (lambda d: {**d, "settings": {**d["settings"], "hidden_size": 10_000}}, "hidden size"),
    (lambda d: {**d, "settings": {**d["settings"], "lr": "fast"}}, "learning rate"),
    (lambda d: {**d, "settings": {**d["settings"], "num_layers": True}}, "number of layers"),
    (lambda d: {**d, "points": [{**d["points"][0], "accuracy": 1.5}]}, "accuracy"),
    (lambda d: {**d, "points": [{**d["points"][0], "accuracy": float("nan")}]}, "accuracy"),
    (lambda d: {**d, "points": [{**d["points"][0], "arch": "transformer"}]}, "architecture"),
    (lambda d: {**d, "points": [{**d["points"][0], "lag": 5000}]}, "lag"),
    (lambda d: {**d, "points": [d["points"][0], d["points"][0]]}, "two points"),
    (lambda d: {**d, "points": [{**d["points"][0], "curve": [[1, 2, 3]]}]}, "curve"),
    (lambda d: {**d, "points": [{**d["points"][0], "curve": [[10, 7.0]]}]}, "curve accuracy"),
])
def test_a_corrupt_sweep_is_refused_with_one_sentence(mutate, fragment):
    data = mutate(_valid())
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(SweepError) as err:
        parse_sweep(text)
    message = str(err.value)
    assert fragment in message and "\n" not in message and message.endswith(".")


def test_the_sweep_file_is_checked_before_it_is_read(tmp_path):
    good = _sweep_with({("gru", 10): 1.0}).to_json()
    path = tmp_path / compare.SWEEP_FILE
    with pytest.raises(SweepError, match="missing"):
        compare.load_sweep(path)
    path.write_text(good)
    with pytest.raises(SweepError, match="no recorded checksum"):
        compare.load_shipped_sweep(tmp_path)
    (tmp_path / "SHA256SUMS").write_text(f"{sha256(path)}  {compare.SWEEP_FILE}\n")
    assert compare.load_shipped_sweep(tmp_path).points[0].arch == "gru"
    path.write_text(good.replace('"accuracy": 1.0', '"accuracy": 0.5'))  # edited after the checksum
    with pytest.raises(SweepError, match="checksum"):
        compare.load_shipped_sweep(tmp_path)
    path.write_bytes(b"\xff\xfe" * 10)
    with pytest.raises(SweepError, match="not text"):
        compare.load_sweep(path)
    path.write_bytes(b" " * (compare.MAX_SWEEP_BYTES + 1))
    with pytest.raises(SweepError, match="larger than"):
        compare.load_sweep(path)


def test_the_shipped_sweep_is_valid_and_complete():
    sweep = compare.load_shipped_sweep()
    assert sweep.steps == compare.BUILD_STEPS and sweep.settings.gate_bias == compare.GATE_BIAS
    assert {(p.arch, p.lag) for p in sweep.points} == {(a, l) for a in ARCHS for l in compare.BUILD_LAGS}
    assert all(p.curve[-1] == (p.steps, p.accuracy) for p in sweep.points)
    assert sweep.seconds > 0 and sweep.meta["torch_threads"] == 1


# -- figures -------------------------------------------------------------------------------------------
def test_curves_have_one_labelled_line_per_architecture_and_a_chance_line():
    comp = Comparison.start(ARCHS, Settings(lag=3, hidden_size=8))
    list(comp.train(10, eval_every=5))
    fig, loss_df = figures.loss_curves_figure(comp, window=4)
    assert loss_df.equals(compare.loss_frame(comp, 4))
    named = [t for t in fig.data if t.showlegend is not False]
    assert [t.name for t in named] == ["RNN", "LSTM", "GRU"]
    assert len({t.line.color for t in named}) == 3 and len({t.line.dash for t in named}) == 3
    assert fig.layout.yaxis.type == "log" and "nats" in fig.layout.yaxis.title.text
    assert fig.layout.shapes[0].y0 == pytest.approx(math.log(8))
    assert fig.layout.annotations[0].y == pytest.approx(math.log10(math.log(8)))  # log axis: label on the line
    lstm = named[1]
    assert np.allclose(lstm.y, loss_df.loc[loss_df["arch"] == "lstm", "smoothed"])
    acc, eval_df = figures.accuracy_curves_figure(comp)
    assert eval_df.equals(compare.eval_frame(comp))
    assert [t.name for t in acc.data] == ["RNN", "LSTM", "GRU"]
    assert np.allclose(acc.data[2].y, 100 * eval_df.loc[eval_df["arch"] == "gru", "accuracy"])
    assert list(acc.data[0].x) == [0, 5, 10] and acc.layout.shapes[0].y0 == pytest.approx(100 * CHANCE)
    assert "%" in acc.layout.yaxis.title.text and "step" in acc.layout.xaxis.title.text


def test_lag_sweep_figure_draws_the_shipped_sweep_solid_and_live_runs_open():
    shipped = _sweep_with({("rnn", 5): 0.9, ("rnn", 30): 0.2, ("lstm", 5): 1.0})
    live = dataclasses.replace(_sweep_with({("rnn", 10): 0.5}), settings=Settings(gate_bias=0.0))
    fig, table = figures.lag_sweep_figure(shipped, [live])
    assert list(table["source"]) == ["shipped"] * 3 + ["yours 1"]
    assert [t.name for t in fig.data] == ["RNN, shipped", "LSTM, shipped", "RNN, yours 1"]
    rnn, _, mine = fig.data
    assert [int(c[2]) for c in rnn.customdata] == [5, 30] and np.allclose(rnn.y, [90, 20])
    assert np.allclose(np.diff(rnn.x), 25) and abs(rnn.x[0] - 5) < 1.5  # nudged at most a marker's width
    assert list(fig.layout.xaxis.tickvals) == [5, 10, 30]
    assert not rnn.marker.symbol.endswith("-open") and mine.marker.symbol.endswith("-open")
    assert rnn.line.color == mine.line.color
    assert "gate bias off" in mine.customdata[0][1]
    assert fig.layout.shapes[0].y0 == pytest.approx(12.5) and "lag" in fig.layout.xaxis.title.text
    only_live, _ = figures.lag_sweep_figure(None, [live])  # no shipped file: live runs still drawn as live runs
    assert only_live.data[0].marker.symbol.endswith("-open")


# -- the shipped sweep in the labs' registry, and the page's small helpers ------------------------------
def test_the_sweep_is_a_shipped_file_of_the_recurrent_lab_built_and_loaded_by_the_registry(tmp_path, monkeypatch):
    from seqviz import labs

    assert labs.owner(compare.SWEEP_NAME).name == "recurrent"
    assert labs.load(compare.SWEEP_NAME) == compare.load_shipped_sweep()
    small = compare.build_sweep
    monkeypatch.setattr(compare, "build_sweep", lambda path, log=print: small(path, lags=(1,), steps=3, log=log))
    metrics = labs.builds()[compare.SWEEP_NAME].run(tmp_path, lambda line: None)
    assert metrics["points"] == len(ARCHS)
    built = labs.load(compare.SWEEP_NAME, tmp_path)  # its checksum was recorded beside it
    assert built.steps == 3 and {p.lag for p in built.points} == {1}
    assert built.meta["command"] == "python -m seqviz.zoo build recall-lag-sweep"


def test_mismatch_and_the_time_a_chunk_takes():
    s = Settings(lag=3, hidden_size=4)
    assert compare.mismatch(None, ARCHS, s) == []
    comp = Comparison.start(["rnn", "gru"], s)
    assert compare.mismatch(comp, ["gru", "rnn"], s) == []
    assert compare.mismatch(comp, ["rnn"], Settings(lag=4, hidden_size=4)) == ["lag", "architectures"]
    assert compare.chunk_seconds(comp, ["rnn", "gru"], s, 100) == compare.estimate_seconds(["rnn", "gru"], [3], 100, 4, 1)
    list(comp.train(2))
    measured = compare.chunk_seconds(comp, ["rnn", "gru"], s, 100)
    assert measured == pytest.approx(sum(comp.ms_per_step(a) for a in comp.archs) * 100 / 1000)


def test_memory_kept_and_accuracy_at_a_lag():
    assert compare.memory_kept(10, 0.0) == pytest.approx(0.5 ** 10)
    assert compare.memory_kept(1, 3.0) == pytest.approx(1 / (1 + math.exp(-3.0)))
    sweep = compare.load_shipped_sweep()
    top = max(p.lag for p in sweep.points)
    assert set(compare.accuracy_at(sweep, top)) == {"RNN", "LSTM", "GRU"}
    df = compare.sweeps_frame(sweep, [Sweep(Settings(), 5, (SweepPoint("rnn", 2, 0.5, 1.0, 5, 0.1),))])
    assert set(df["source"]) == {"shipped", "yours 1"} and len(df) == len(sweep.points) + 1
    assert len(compare.sweeps_frame(None, [])) == 0
