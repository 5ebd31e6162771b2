"""Tier 2: the shipped word vectors load, match their checksums, reproduce their recorded metrics, and
refuse damaged files with one sentence."""

import shutil

import numpy as np
import pytest

from seqviz import zoo, zoo_words

from seqviz import labs
from seqviz.checkpoints import CheckpointError
from seqviz.tasks.corpus import analogy_questions, grouped_words


@pytest.mark.parametrize("method", zoo_words.METHODS)
def test_shipped_vectors_reproduce_their_recorded_metrics(method):
    shipped = zoo_words.load_shipped(method)
    wv = shipped.vectors
    assert wv.groups == {w: g for w, g in grouped_words().items() if w in wv}
    questions = [q for q in analogy_questions() if all(w in wv for w in q)]
    metrics = zoo_words.evaluate(wv, questions)
    assert metrics == shipped.meta["metrics"]


def test_targets_of_the_issue_are_met_by_word2vec():
    for method in ("cbow", "skipgram"):
        m = zoo_words.load_shipped(method).meta["metrics"]
        assert m["analogy_accuracy"] >= 0.9 and m["group_purity"] >= 0.9, method


def test_snapshots_cover_the_grouped_words_from_the_random_start():
    for method in zoo_words.METHODS:
        s = zoo_words.load_shipped(method)
        assert set(s.snapshot_words) == set(grouped_words())
        assert s.snapshot_epochs[0] == 0 and list(s.snapshot_epochs) == sorted(s.snapshot_epochs)
        last = s.vectors.vectors[[s.vectors.index(w) for w in s.snapshot_words]]
        assert np.allclose(s.snapshots[-1], last)  # the last snapshot is the shipped model
        assert not np.allclose(s.snapshots[0], last)


def test_shipped_assets_stay_within_budget():
    size = sum((zoo.ASSETS / f"{zoo_words.file_name(m)}{ext}").stat().st_size
               for m in zoo_words.METHODS for ext in (".safetensors", ".json"))
    assert size <= 800 * 1024


def test_the_builds_are_listed_by_the_zoo():
    assert {"words-cbow", "words-skipgram", "words-glove"} <= set(labs.builds())


def copy_assets(tmp_path, method):
    name = zoo_words.file_name(method)
    for ext in (".safetensors", ".json"):
        shutil.copy(zoo.ASSETS / f"{name}{ext}", tmp_path / f"{name}{ext}")
    shutil.copy(zoo.CHECKSUMS, tmp_path / zoo.CHECKSUMS.name)
    return tmp_path / f"{name}.safetensors", tmp_path / f"{name}.json"


def test_damaged_or_missing_files_get_one_sentence(tmp_path):
    weights, meta = copy_assets(tmp_path, "glove")
    assert zoo_words.load_shipped("glove", tmp_path).vectors.vectors.shape[1] == 50
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        zoo_words.load_shipped("glove", tmp_path)
    copy_assets(tmp_path, "glove")
    meta.unlink()
    with pytest.raises(CheckpointError, match="missing"):
        zoo_words.load_shipped("glove", tmp_path)
    with pytest.raises(CheckpointError, match="no shipped vectors"):
        zoo_words.load_shipped("fasttext", tmp_path)
