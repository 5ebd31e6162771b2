"""Tier 2: the shipped word vectors load, match their checksums, reproduce their recorded metrics, and
refuse damaged files with one sentence."""

import shutil

import numpy as np
import pytest

from seqviz import labs, shipped
from seqviz.labs import embeddings as E
from seqviz.checkpoints import CheckpointError
from seqviz.tasks.corpus import analogy_questions, grouped_words


@pytest.mark.parametrize("key", E.KEYS)
def test_shipped_vectors_reproduce_their_recorded_metrics(key):
    shipped = E.load(E.file_name(key))
    wv = shipped.vectors
    assert wv.groups == {w: g for w, g in grouped_words().items() if w in wv}
    questions = [q for q in analogy_questions() if all(w in wv for w in q)]
    metrics = E.evaluate(wv, questions)
    assert metrics == shipped.meta["metrics"]


def test_targets_of_the_issue_are_met_by_word2vec():
    for method in ("cbow", "skipgram"):
        m = E.load(E.file_name(method)).meta["metrics"]
        assert m["analogy_accuracy"] >= 0.9 and m["group_purity"] >= 0.9, method


def test_snapshots_cover_the_grouped_words_from_the_random_start():
    for key in E.KEYS:
        s = E.load(E.file_name(key))
        assert set(s.snapshot_words) == set(grouped_words())
        assert s.snapshot_epochs[0] == 0 and list(s.snapshot_epochs) == sorted(s.snapshot_epochs)
        last = s.vectors.vectors[[s.vectors.index(w) for w in s.snapshot_words]]
        assert np.allclose(s.snapshots[-1], last)  # the last snapshot is the shipped model
        assert not np.allclose(s.snapshots[0], last)


def test_shipped_assets_stay_within_budget():
    # the four sets of word vectors (~940 KiB); every lab's assets together stay under 8 MiB (test_checkpoints)
    size = sum((shipped.ASSETS / f"{E.file_name(k)}{ext}").stat().st_size
               for k in E.KEYS for ext in (".safetensors", ".json"))
    assert size <= 1024 * 1024


def test_glove_on_the_paired_corpus_meets_the_issues_targets_as_shipped():
    """Issue #19: on the paired setting GloVe answers >= 85% of the analogies with >= 90% 5-NN purity (the
    shipped float16 vectors, recomputed here), where on the plain corpus it stays far below Word2Vec."""
    paired, plain = E.load("words-glove-paired"), E.load("words-glove")
    assert paired.meta["paired"] is True and paired.meta["recipe"]["corpus_paired"] is True
    m = E.evaluate(paired.vectors, [q for q in analogy_questions() if all(w in paired.vectors for w in q)])
    assert m["analogy_accuracy"] >= 0.85 and m["group_purity"] >= 0.9
    assert plain.meta["metrics"]["analogy_accuracy"] < 0.5  # the lesson of the zero counts stays
    assert "throne" in plain.vectors and "throne" not in paired.vectors  # two different corpora


def test_the_paired_build_records_word2vec_and_plain_glove_measured_alongside():
    compare = E.load("words-glove-paired").meta["compare"]
    assert set(compare) == {"cbow", "skipgram", "glove-plain", "glove-recipe"}
    assert compare["glove-plain"]["recipe"] == "glove-paired" and compare["glove-recipe"]["recipe"] == "glove"
    for name, c in compare.items():
        assert c["corpus"] == ("plain corpus" if name == "glove-plain" else "paired corpus")
        assert 0 <= c["analogy_accuracy"] <= 1 and 0 <= c["group_purity"] <= 1 and c["train_seconds"] > 0
        assert c["analogy_questions"] == len(analogy_questions())
        assert set(c["analogy_by_relation"]) == set(analogy_questions().values())


def test_the_paired_glove_recipe_retrains_to_its_recorded_quality():
    """The build is reproducible in substance: training the recipe again here (well under a second) gives
    the recorded figures within a couple of points (float16 rounding and thread timing aside)."""
    trainer = E.train("glove-paired", log=lambda _: None)
    wv = trainer.vectors()
    m = E.evaluate(wv, trainer.data.analogies)
    recorded = E.load("words-glove-paired").meta["metrics"]
    assert abs(m["analogy_accuracy"] - recorded["analogy_accuracy"]) <= 0.02
    assert abs(m["group_purity"] - recorded["group_purity"]) <= 0.02
    assert m["analogy_accuracy"] >= 0.85 and m["group_purity"] >= 0.9


def test_the_builds_are_listed_by_the_zoo_and_load_through_the_registry():
    assert {"words-cbow", "words-skipgram", "words-glove", "words-glove-paired"} <= set(labs.builds())
    assert labs.owner("words-glove-paired") is E.LAB
    with pytest.raises(CheckpointError, match="no shipped vectors"):
        E.load("words-glove-unpaired")
    assert labs.owner("words-cbow") is E.LAB
    assert labs.load("words-skipgram").vectors.words == E.shipped_vectors("skipgram").words


def copy_assets(tmp_path, method):
    name = E.file_name(method)
    for ext in (".safetensors", ".json"):
        shutil.copy(shipped.ASSETS / f"{name}{ext}", tmp_path / f"{name}{ext}")
    shutil.copy(shipped.CHECKSUMS, tmp_path / shipped.CHECKSUMS.name)
    return tmp_path / f"{name}.safetensors", tmp_path / f"{name}.json"


def test_damaged_or_missing_files_get_one_sentence(tmp_path):
    weights, meta = copy_assets(tmp_path, "glove")
    assert E.load("words-glove", tmp_path).vectors.vectors.shape[1] == 50
    data = bytearray(weights.read_bytes())
    data[-5] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        E.load("words-glove", tmp_path)
    copy_assets(tmp_path, "glove")
    meta.unlink()
    with pytest.raises(CheckpointError, match="missing"):
        E.load("words-glove", tmp_path)
    with pytest.raises(CheckpointError, match="no shipped vectors"):
        E.load("words-fasttext", tmp_path)


def test_a_learners_run_follows_the_training_protocol_in_epochs():
    """EpochRun: .model, .step (epochs), .history and .train(n) yielding points with .step and .loss, as
    seqviz.ui.training.train_your_own needs; the vectors it gives are the trainer's."""
    from seqviz.tasks.corpus import build_corpus, encode

    data = encode(build_corpus(10_000, seed=1))
    for method in ("skipgram", "glove"):
        run = E.start_run(data, E.own_config(method, 8) if method != "glove" else E.own_config("glove", 8, 10.0, 0.75))
        assert run.step == 0 and run.history == [] and run.model is run.trainer.model
        points = list(run.train(2))
        assert run.step == 2 == run.trainer.epochs_done and points[-1].step == 2
        steps = [p.step for p in points]
        assert steps == sorted(steps) and 0 < steps[0] <= 2 and all(p.loss > 0 for p in points)
        assert run.history == [p for p in points if np.isfinite(p.loss)]
        list(run.train(1))
        assert run.step == 3 and run.history[-1].step == 3
        wv = run.vectors()
        assert wv.vectors.shape == (len(data.words), 8) and np.isfinite(wv.vectors).all()
        tm = E.run_map(run, "x")
        assert tm.epochs == (0, 1, 2, 3) and len(tm.points) == 4 and tm.points[0].shape == (len(tm.words), 2)


def test_the_shipped_training_map_and_the_negative_example():
    sk = E.load("words-skipgram")
    tm = E.shipped_map(sk, "skipgram")
    assert tm.epochs == sk.snapshot_epochs and tm.words == sk.snapshot_words and tm.analogies
    assert all(np.abs(p).max() <= tm.limit for p in tm.points)
    ex = E.negative_example(sk, "queen", "throne", 5, seed=0)
    assert len(ex.negatives) == 5 and ex.top_words[0] == sk.vectors.words[int(np.argmax(sk.counts))]
    t = ex.terms
    assert np.isclose(t["loss"], t["pos_term"] + t["neg_terms"].sum())
    assert ex.p_negative[0] < ex.p_corpus[0] and ex.p_negative.sum() < ex.p_corpus.sum()  # count^0.75 flattens


def test_file_summary_answers_the_pages_questions():
    wv = E.shipped_vectors("cbow")
    s = E.summarise(wv)
    assert s.text_bytes > s.binary_bytes and s.bigger == "The text file"
    assert np.allclose(s.norms, np.linalg.norm(wv.vectors, axis=1))
    assert s.longer in ("The first words (frequent)", "The last words (rare)", "About the same")
    assert E.analogy_zero_share(np.array([[1.0, 0.0], [2.0, 1.0]])) == 0.5
    G = np.array([[0, 0, 0], [0, 0, 2.0], [0, 2.0, 0]])  # king, queen, paris: king and queen never meet
    assert E.zero_share_within_families(G, ["king", "queen", "paris"]) == 1.0
    assert E.zero_share_within_families(G, ["paris", "queen", "king"]) == 0.0
