"""Tier 3, units: the translation snapshots (labs.attention.build_translation_snapshots / load_translation_snapshots):
the shipped file replays the attention recipe's own training, and a broken file gets one sentence."""

import json
import shutil

import numpy as np
import pytest

from seqviz import labs
from seqviz.checkpoints import read_checksums, sha256, write_checksums
from seqviz.shipped import ASSETS, CHECKSUMS


@pytest.fixture(scope="module")
def snaps():
    return labs.attention.load_translation_snapshots()


@pytest.fixture(scope="module")
def shipped():
    return labs.load(labs.attention.SNAPSHOT_RECIPE)


def trace_of(model, ckpt, words):
    return model.trace(ckpt.vocab.encode(words), words, ckpt.target_vocab, max_len=2 * len(words) + 5)


def test_the_shipped_file_is_small_and_covers_the_recipe(snaps):
    recipe = labs.attention.TRANSLATION_RECIPES[labs.attention.SNAPSHOT_RECIPE]
    assert (ASSETS / labs.attention.SNAPSHOTS_FILE).stat().st_size < 200 * 2**10
    assert snaps.steps == list(labs.attention.SNAPSHOT_STEPS) and snaps.steps[0] == 0 and snaps.steps[-1] == recipe.steps
    assert snaps.eval_sentences == recipe.subset_size
    assert len(snaps.sentences) == len(labs.attention.SNAPSHOT_BUCKETS)
    lengths = [len(s.source) for s in snaps.sentences]
    assert lengths == sorted(lengths) and len(set(lengths)) == len(lengths)  # one per length bucket


def test_the_last_snapshot_is_the_shipped_model(snaps, shipped):
    """Same seed, same batches: the replay ends where the shipped model's build ended."""
    assert snaps.exact_match[-1] == pytest.approx(shipped.meta["metrics"]["subset"]["exact_match"], abs=1e-4)
    for rec in snaps.sentences:
        tr = trace_of(shipped.model, shipped, rec.source)
        assert rec.outputs[-1] == tr.output_tokens
        np.testing.assert_allclose(rec.weights[-1], tr.weights[0, 0], atol=6e-4)


def test_the_first_snapshot_is_the_untrained_recipe(snaps, shipped):
    model = labs.attention.TRANSLATION_RECIPES[labs.attention.SNAPSHOT_RECIPE].build_model()
    for rec in snaps.sentences:
        tr = trace_of(model, shipped, rec.source)
        assert rec.outputs[0] == tr.output_tokens
        np.testing.assert_allclose(rec.weights[0], tr.weights[0, 0], atol=6e-4)


def test_attention_sharpens_and_exact_match_rises(snaps):
    assert snaps.exact_match[0] < 0.05 and snaps.exact_match[-1] > 0.9
    for rec in snaps.sentences:
        peak = [np.mean(np.max(W, axis=1)) for W in rec.weights]  # mean over output words of the largest α
        assert peak[0] < 0.5 < 0.8 < peak[-1]
        for W in rec.weights:
            np.testing.assert_allclose(np.sum(W, axis=1), 1, atol=0.02)


def test_build_is_deterministic_and_loads(tmp_path):
    a = labs.attention.build_translation_snapshots(tmp_path / "a", log=lambda *_: None, steps=(0, 2))
    b = labs.attention.build_translation_snapshots(tmp_path / "b", log=lambda *_: None, steps=(0, 2))
    ja, jb = (json.loads((tmp_path / d / labs.attention.SNAPSHOTS_FILE).read_text()) for d in "ab")
    assert ja.pop("build_seconds") >= 0 and jb.pop("build_seconds") >= 0
    assert ja == jb  # everything but the wall time
    loaded = labs.attention.load_translation_snapshots(tmp_path / "a")
    assert loaded.steps == [0, 2] and loaded.exact_match == a["exact_match"] == b["exact_match"]


@pytest.fixture
def copy(tmp_path):
    """A copy of the shipped snapshot file and its checksum, to break."""
    shutil.copy(ASSETS / labs.attention.SNAPSHOTS_FILE, tmp_path / labs.attention.SNAPSHOTS_FILE)
    write_checksums(tmp_path / "SHA256SUMS", {labs.attention.SNAPSHOTS_FILE: sha256(tmp_path / labs.attention.SNAPSHOTS_FILE)})
    return tmp_path


def rewrite(directory, change):
    path = directory / labs.attention.SNAPSHOTS_FILE
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    write_checksums(directory / "SHA256SUMS", {labs.attention.SNAPSHOTS_FILE: sha256(path)})


def test_missing_unrecorded_and_tampered_files_get_one_sentence(copy):
    assert labs.attention.load_translation_snapshots(copy).steps == list(labs.attention.SNAPSHOT_STEPS)
    path = copy / labs.attention.SNAPSHOTS_FILE
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(labs.attention.SnapshotError, match="does not match its checksum"):
        labs.attention.load_translation_snapshots(copy)
    write_checksums(copy / "SHA256SUMS", {})
    with pytest.raises(labs.attention.SnapshotError, match="no recorded checksum"):
        labs.attention.load_translation_snapshots(copy)
    path.unlink()
    with pytest.raises(labs.attention.SnapshotError, match="is missing; rebuild it"):
        labs.attention.load_translation_snapshots(copy)


def _drop_row(d):
    d["sentences"][0]["weights"][2].pop()


def _bad_weight(d):
    d["sentences"][1]["weights"][0][0][0] = 1.5


def _bad_sum(d):
    d["sentences"][1]["weights"][-1][0] = [0.0] * len(d["sentences"][1]["source"])


@pytest.mark.parametrize("change, fragment", [
    (lambda d: d.update(format="something else"), "not a translation snapshot file"),
    (lambda d: d.update(version=99), "version 99"),
    (lambda d: d.update(steps=[0, 50, 25, 100, 200, 400, 700, 1000]), "increasing"),
    (lambda d: d["exact_match"].pop(), "one number in [0, 1] per step"),
    (lambda d: d["sentences"][0]["outputs"].pop(), "one output and one map per step"),
    (_drop_row, "does not have the shape"),
    (_bad_weight, "outside [0, 1]"),
    (_bad_sum, "does not sum to 1"),
    (lambda d: d["sentences"][0].update(source=[]), "not a list of words"),
    (lambda d: d["sentences"][0]["alignment"].append(0), "bad alignment"),
    (lambda d: d.update(sentences=[]), "no sentences"),
])
def test_wrong_contents_get_one_sentence(copy, change, fragment):
    rewrite(copy, change)
    with pytest.raises(labs.attention.SnapshotError, match=fragment.replace("[", r"\[").replace("]", r"\]")) as err:
        labs.attention.load_translation_snapshots(copy)
    assert len(str(err.value)) < 200  # one sentence


def test_text_that_is_not_json_is_refused(copy):
    (copy / labs.attention.SNAPSHOTS_FILE).write_text("{not json")
    write_checksums(copy / "SHA256SUMS", {labs.attention.SNAPSHOTS_FILE: sha256(copy / labs.attention.SNAPSHOTS_FILE)})
    with pytest.raises(labs.attention.SnapshotError, match="not valid JSON"):
        labs.attention.load_translation_snapshots(copy)


def test_the_checksum_is_recorded_in_the_shipped_sums():
    assert read_checksums(CHECKSUMS)[labs.attention.SNAPSHOTS_FILE] == sha256(ASSETS / labs.attention.SNAPSHOTS_FILE)
