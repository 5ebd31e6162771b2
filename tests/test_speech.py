"""Speech: the features (mel filterbank, log-mel against a direct DFT), the shipped dataset's validation
(missing and corrupt files -> one sentence), the listen-attend-spell model (attention rows sum to 1,
padding changes nothing, forward == trace, beam search), CER against hand-computed edit distances, and
the shipped checkpoint recomputing its recorded CER on a subset."""

import json
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load as load_st
from safetensors.torch import save as save_st

from seqviz import zoo

from seqviz import labs
from seqviz.checkpoints import CheckpointError, read_checksums, sha256
from seqviz.shipped import SnapshotError
from seqviz.models.las import LAS, LASConfig, decode_ids, evaluate_speech
from seqviz.plotting import speech as figs
from seqviz.tasks import speech
from seqviz.tasks.speech import MelConfig, SpeechDataError

ASSETS = zoo.ASSETS


@pytest.fixture(scope="module")
def data():
    return labs.load("speech-data")


@pytest.fixture(scope="module")
def ckpt():
    return labs.load("speech-las")


def one_sentence(msg: str) -> bool:
    return "\n" not in msg and msg.endswith(".") and ". " not in msg and len(msg) < 240


# -- features -------------------------------------------------------------------------------------------
def test_mel_filterbank_is_triangles_rising_in_frequency():
    cfg = MelConfig()
    fb = speech.mel_filterbank(cfg).numpy()
    assert fb.shape == (cfg.n_mels, cfg.n_fft // 2 + 1)
    assert (fb >= 0).all() and (fb <= 1 + 1e-9).all()
    peaks = fb.argmax(axis=1)
    assert (np.diff(peaks) > 0).all(), "each band peaks above the one below"
    bins = np.arange(fb.shape[1]) * cfg.sample_rate / cfg.n_fft
    edges = speech.mel_to_hz(np.linspace(speech.hz_to_mel(cfg.f_min), speech.hz_to_mel(cfg.f_max), cfg.n_mels + 2))
    for m in range(cfg.n_mels):  # zero outside its two neighbouring edges, one triangle inside
        outside = (bins <= edges[m]) | (bins >= edges[m + 2])
        assert (fb[m, outside] == 0).all()
        row = fb[m, ~outside]
        top = row.argmax()
        assert (np.diff(row[: top + 1]) >= 0).all() and (np.diff(row[top:]) <= 0).all()
    # the mel scale: equal steps in mel, so the band centres grow apart with frequency
    centres = figs.band_centres(cfg.n_mels, cfg.f_min, cfg.f_max)
    assert (np.diff(np.diff(centres)) > 0).all()
    assert speech.hz_to_mel(1000) == pytest.approx(1000, abs=1)  # the scale's anchor


def test_log_mel_matches_a_direct_dft():
    cfg = MelConfig()
    rng = np.random.default_rng(0)
    t = np.arange(4000) / cfg.sample_rate
    wave = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.normal(size=len(t))
    got = speech.log_mel(torch.from_numpy(wave).float(), cfg).numpy()
    N, hop = cfg.n_fft, cfg.hop_length
    padded = np.pad(wave, N // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(N) / N)  # periodic Hann
    frames = np.stack([padded[s: s + N] * window for s in range(0, len(padded) - N + 1, hop)])  # (T, N)
    k, n = np.arange(N // 2 + 1)[:, None], np.arange(N)[None, :]
    X = frames @ np.exp(-2j * np.pi * k * n / N).T  # (T, K) a DFT written out
    expected = np.log(np.abs(X) ** 2 @ speech.mel_filterbank(cfg).numpy().astype(np.float64).T + speech.LOG_FLOOR)
    assert got.shape == expected.shape == (len(wave) // hop + 1, cfg.n_mels)
    np.testing.assert_allclose(got, expected, atol=2e-3, rtol=1e-3)
    # the 440 Hz tone lands in the band whose triangle covers 440 Hz most
    fb = speech.mel_filterbank(cfg).numpy()
    assert got.mean(0).argmax() == fb[:, round(440 * N / cfg.sample_rate)].argmax()


# -- the shipped dataset ---------------------------------------------------------------------------------
def test_shipped_dataset_is_valid_and_holds_out_voices_and_a_speed(data):
    train, tv, ts = data.split("train"), data.split("test-voice"), data.split("test-speed")
    assert len(train) >= 500 and len(tv) >= 50 and len(ts) >= 50
    assert not {u.voice for u in tv} & {u.voice for u in train}
    assert not {u.speed for u in ts} & {u.speed for u in train}
    assert all(len(data.features[u.index]) >= 10 for u in data.utterances)
    assert all(1 <= u.words <= 5 and set(u.text) <= set(speech.CHARS) for u in data.utterances)
    assert {u.split for u in data.utterances if u.audio >= 0} == set(speech.SPLITS)


def test_shipped_waveforms_have_sound_and_match_their_spectrograms(data):
    for u in (u for u in data.utterances if u.audio >= 0):
        wave = data.audio[u.audio]
        seconds = len(wave) / data.audio_rate
        assert 0.2 < seconds < 3.5
        assert seconds == pytest.approx(len(data.features[u.index]) * data.mel.frame_seconds, abs=0.05)
        assert 0.2 < np.abs(wave).max() <= 1.0  # audible, not clipped beyond full scale
        assert np.sqrt((wave ** 2).mean()) > 0.02


def test_topic_assets_fit_the_budget_and_match_their_checksums():
    names = ["speech-data.safetensors", "speech-data.json", "speech-las.safetensors", "speech-las.json",
             "speech-snapshots.json"]
    sums = read_checksums(ASSETS / "SHA256SUMS")
    assert all(sums[n] == sha256(ASSETS / n) for n in names)
    assert sum((ASSETS / n).stat().st_size for n in names) <= 2.5e6


@pytest.fixture
def copy_dir(tmp_path):
    for p in speech.data_paths(ASSETS):
        shutil.copy(p, tmp_path / p.name)
    return tmp_path


@pytest.mark.parametrize("missing", [0, 1])
def test_a_missing_dataset_file_gets_one_sentence(copy_dir, missing):
    speech.data_paths(copy_dir)[missing].unlink()
    with pytest.raises(SpeechDataError) as err:
        speech.load_speech_data(copy_dir)
    assert one_sentence(str(err.value)) and "missing" in str(err.value)


def _rewrite(copy_dir, tensors=None, meta=None):
    t_path, j_path = speech.data_paths(copy_dir)
    if tensors is not None:
        t_path.write_bytes(save_st(tensors))
    if meta is not None:
        j_path.write_text(json.dumps(meta))


def corrupt_cases():
    def truncated(d):
        p = speech.data_paths(d)[0]
        p.write_bytes(p.read_bytes()[:5000])

    def garbage(d):
        speech.data_paths(d)[0].write_bytes(b"\xff" * 100)

    def bad_json(d):
        speech.data_paths(d)[1].write_text("{not json")

    def meta_edit(change):
        def edit(d):
            meta = json.loads(speech.data_paths(d)[1].read_text())
            change(meta)
            _rewrite(d, meta=meta)
        return edit

    def tensor_edit(change):
        def edit(d):
            tensors = load_st(speech.data_paths(d)[0].read_bytes())
            change(tensors)
            _rewrite(d, tensors=tensors)
        return edit

    def nan(t):
        t["features"][3, 2] = float("nan")

    return {
        "truncated": truncated, "garbage": garbage, "bad json": bad_json,
        "wrong format": meta_edit(lambda m: m.update(format="other")),
        "wrong bands": meta_edit(lambda m: m["mel"].update(n_mels=40)),
        "unknown character": meta_edit(lambda m: m["utterances"][0].update(text="twelve!")),
        "bad split": meta_edit(lambda m: m["utterances"][1].update(split="secret")),
        "one utterance short": meta_edit(lambda m: m["utterances"].pop()),
        "audio index out of range": meta_edit(lambda m: m["utterances"][0].update(audio=999)),
        "nan features": tensor_edit(nan),
        "float32 features": tensor_edit(lambda t: t.update(features=t["features"].float())),
        "offsets do not add up": tensor_edit(lambda t: t.update(offsets=t["offsets"] * 2)),
    }


@pytest.mark.parametrize("case", list(corrupt_cases()))
def test_a_corrupt_dataset_file_gets_one_sentence(copy_dir, case):
    corrupt_cases()[case](copy_dir)
    with pytest.raises(SpeechDataError) as err:
        speech.load_speech_data(copy_dir)
    assert one_sentence(str(err.value)), str(err.value)


def test_a_changed_file_fails_its_checksum(copy_dir):
    sums = read_checksums(ASSETS / "SHA256SUMS")
    assert speech.load_speech_data(copy_dir, sums).utterances  # the copy itself is fine
    meta = json.loads(speech.data_paths(copy_dir)[1].read_text())
    meta["utterances"][0]["text"] = "nine"  # still valid, but not what was shipped
    _rewrite(copy_dir, meta=meta)
    with pytest.raises(SpeechDataError, match="checksum"):
        speech.load_speech_data(copy_dir, sums)


# -- CER ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b, d", [("kitten", "sitting", 3), ("three", "tree", 1), ("", "one", 3),
                                     ("one two", "one two", 0), ("six", "xis", 2), ("four", "for four", 4)])
def test_edit_distance_by_hand(a, b, d):
    assert speech.edit_distance(a, b) == d == speech.edit_distance(b, a)


def test_cer_sums_edits_over_reference_characters():
    assert speech.cer(["tree", "one"], ["three", "one"]) == pytest.approx(1 / 8)
    assert speech.cer(["", "nine"], ["two", "nine"]) == pytest.approx(3 / 7)


def test_monotonic():
    assert speech.monotonic([0, 0, 1, 3, 3, 4])
    assert not speech.monotonic([0, 2, 1, 3])
    assert speech.monotonic([0, 2, 1, 3], tolerance=1)
    assert speech.monotonic([5])


# -- the model ------------------------------------------------------------------------------------------
def small_model(seed=0, **kw):
    torch.manual_seed(seed)
    return LAS(LASConfig(vocab_size=len(speech.char_vocab()), **kw)).eval()


def test_attention_rows_sum_to_one_and_padding_gets_none(data):
    model, vocab = small_model(), speech.char_vocab()
    items = data.split("test-voice")[:4]
    (x, lengths, tgt_in), targets = speech.collate(data, items, vocab)
    enc = model.encode(x, lengths)
    steps = model._teacher_forced(enc, tgt_in)
    W = torch.stack([s.weights for s in steps], 1)  # (B, L, S)
    torch.testing.assert_close(W.sum(-1), torch.ones(W.shape[:2]))
    assert (W[~enc.mask[:, None, :].expand_as(W)] == 0).all()
    assert ((W >= 0) & (W <= 1)).all()


def test_padding_never_changes_an_utterance(data):
    """Batched with longer utterances, each one's logits equal its own, alone."""
    model, vocab = small_model(), speech.char_vocab()
    items = data.split("train")[:5]
    (x, lengths, tgt_in), targets = speech.collate(data, items, vocab)
    batched, _ = model(x, lengths, tgt_in, targets)
    for b, u in enumerate(items):
        (x1, l1, t1), _ = speech.collate(data, [u], vocab)
        alone, _ = model(x1, l1, t1)
        torch.testing.assert_close(batched[b, : t1.shape[1]], alone[0], atol=1e-5, rtol=1e-4)


def test_forward_and_trace_give_the_same_logits(data, ckpt):
    model, vocab = ckpt.model, ckpt.vocab
    u = data.split("test-speed")[0]
    tr = model.trace(data.features[u.index], vocab)  # greedy, then re-run under teacher forcing
    (x, lengths, _), _ = speech.collate(data, [u], vocab)
    tgt_in = torch.tensor([[speech.BOS_ID, *vocab.encode(tr.output_tokens[:-1])]])
    logits, _ = model(x, lengths, tgt_in)
    np.testing.assert_allclose(tr.logits, logits[0].detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(tr.weights.sum(1), 1, atol=1e-5)
    assert tr.weights.shape == (len(tr.output_tokens), -(-len(data.features[u.index]) // 4))
    forced = model.trace(data.features[u.index], vocab, target=u.text)
    assert forced.forced and forced.output_tokens == list(u.text) + ["<eos>"]


def test_greedy_trace_equals_batched_greedy_and_beam_is_no_worse(data, ckpt):
    model, vocab = ckpt.model, ckpt.vocab
    items = data.split("test-voice")[:6]
    (x, lengths, _), _ = speech.collate(data, items, vocab)
    ids, _ = model.greedy(x, lengths)
    for b, u in enumerate(items):
        greedy = model.trace(data.features[u.index], vocab)
        assert greedy.text == decode_ids(ids[b].tolist(), vocab)
        beam = model.trace(data.features[u.index], vocab, beam=3)
        assert beam.log_prob >= greedy.log_prob - 1e-4
        assert model.trace(data.features[u.index], vocab, beam=1).text == greedy.text


def test_a_trace_refuses_features_of_the_wrong_shape(ckpt):
    with pytest.raises(ValueError):
        ckpt.model.trace(np.zeros((10, 7)), ckpt.vocab)


def test_shipped_checkpoint_reproduces_its_cer_on_a_subset(data, ckpt):
    recorded = ckpt.meta["metrics"]
    n = recorded["subset"]["utterances"]
    got = evaluate_speech(ckpt.model, data, labs.speech.test_items(data)[:n], ckpt.vocab)
    assert got["cer"] == pytest.approx(recorded["subset"]["cer"], abs=1e-6)
    assert got["monotonic"] == pytest.approx(recorded["subset"]["monotonic"], abs=1e-6)
    assert recorded["by_split"]["test-voice"]["cer"] <= 0.10 and recorded["by_split"]["test-speed"]["cer"] <= 0.10


def test_shipped_checkpoint_is_verified(tmp_path):
    for name in ("speech-las.safetensors", "speech-las.json", "SHA256SUMS"):
        shutil.copy(ASSETS / name, tmp_path / name)
    (tmp_path / "speech-las.json").write_text((ASSETS / "speech-las.json").read_text().replace("Listen", "Hear"))
    with pytest.raises(CheckpointError, match="checksum"):
        labs.load("speech-las", tmp_path)


# -- snapshots and figures -------------------------------------------------------------------------------
def test_snapshots_load_and_a_broken_one_gets_one_sentence(tmp_path):
    snaps = labs.load("speech-snapshots")
    assert snaps.steps[0] == 0 and snaps.steps[-1] == labs.speech.RECIPE.snapshot_steps[-1]
    assert len(snaps.cer) == len(snaps.steps) and snaps.cer[-1] < snaps.cer[0]
    shutil.copy(ASSETS / "SHA256SUMS", tmp_path / "SHA256SUMS")
    with pytest.raises(SnapshotError) as err:
        labs.load("speech-snapshots", tmp_path)
    assert one_sentence(str(err.value))


def test_figures_draw_on_the_time_axis(data, ckpt):
    u = data.split("test-voice")[0]
    feats = data.features[u.index]
    tr = ckpt.model.trace(feats, ckpt.vocab)
    centres = figs.band_centres(data.mel.n_mels, data.mel.f_min, data.mel.f_max)
    fig, table = figs.alignment_figure(feats, tr.weights, tr.output_tokens, data.mel.frame_seconds, 4, centres, step=2)
    assert table.shape == (len(tr.output_tokens), 1 + tr.weights.shape[1]) and list(table["character"]) == tr.output_tokens
    heat = fig.data[1]
    assert heat.zmin == 0 and heat.zmax == 1 and heat.z.shape == tr.weights.shape
    assert max(heat.x) < len(feats) * data.mel.frame_seconds  # every encoder frame inside the recording
    with pytest.raises(ValueError):
        figs.alignment_figure(feats, tr.weights, tr.output_tokens[:-1], data.mel.frame_seconds, 4, centres)
    bars, table = figs.cer_bars({"a": {"cer": 0.1, "utterances": 3}, "b": {"cer": 0.0, "utterances": 2}}, ["a"], "voice")
    assert list(table["voice"]) == ["a", "b"] and list(table["cer"]) == [0.1, 0.0]
    assert list(bars.data[0].marker.color) == [figs.HELD_OUT, figs.HEARD]
    assert figs.char_label(" ") == "␣" and figs.char_label("<eos>") == "⟨eos⟩"


def test_builds_are_listed_and_one_loader_opens_every_file():
    assert {"speech-data", "speech-las", "speech-snapshots"} <= set(labs.builds())
    assert {labs.owner(n).name for n in ("speech-data", "speech-las", "speech-snapshots")} == {"speech"}
    # the snapshots come from the model's own training run: one build writes both
    assert labs.builds()["speech-snapshots"].run is labs.builds()["speech-las"].run


def test_the_labs_trace_is_the_models_own_and_pick_filters(data, ckpt):
    u = data.split("test-speed")[1]
    tr = labs.get("speech").trace(ckpt, data.features[u.index], 3)
    direct = ckpt.model.trace(data.features[u.index], ckpt.vocab, beam=3)
    assert tr.output_tokens == direct.output_tokens and np.array_equal(tr.weights, direct.weights)
    picked = data.pick("test-speed", voice=u.voice, words=u.words)
    assert u in picked and all(p.voice == u.voice and p.words == u.words and p.split == "test-speed" for p in picked)
    assert all(p.audio >= 0 for p in data.pick("train", with_audio=True)) and data.pick("train", words=9) == []


def test_the_learners_model_starts_from_the_recipe_or_a_copy(data, ckpt):
    state = torch.random.get_rng_state()
    run, meta = labs.speech.learner_run(ckpt, data, "random weights")
    again, _ = labs.speech.learner_run(ckpt, data, "random weights")
    assert torch.equal(state, torch.random.get_rng_state())  # the server's random state is not moved
    assert all(v.equal(again.model.state_dict()[k]) for k, v in run.model.state_dict().items())
    copy, _ = labs.speech.learner_run(ckpt, data, "the shipped model")
    assert copy.model is not ckpt.model and all(v.equal(ckpt.model.state_dict()[k]) for k, v in copy.model.state_dict().items())
    assert meta == {"vocab": ckpt.vocab.to_list()}
