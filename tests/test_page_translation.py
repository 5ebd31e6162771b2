"""Tier 4, pages: the translation lesson under AppTest: sentence picker, typed text, step slider, beam width,
the model picker, attention across training (snapshot slider), training the learner's own model in chunks, and
the bad inputs (unknown words, a sentence outside the grammar, a beam width out of range in the URL, a missing
snapshot file, "my model" in a link to a new session). The learner's model lives in the session's store
(seqviz.ui.store) under the lab "attention", and its download reopens as the same weights."""

import base64
import json

import numpy as np
import pytest
import torch

from seqviz import labs, ui
from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint
from conftest import assert_clean, open_page

PAGE = "pages/attention_translation.py"
HEADERS = ["1. The translation, and where the decoder looked", "2. Step 1: scores, weights, context, next word",
           "3. Greedy decoding against beam search", "4. The same sentence without attention",
           "5. Longer sentences need attention", "6. Attention across training", "7. Train your own"]
CHARTS, DOWNLOADS = 10, 9  # sections 1-5: 8 charts, 7 CSVs; section 6: snapshot heatmap and exact-match curve
STORE = "learner_models"  # seqviz.ui.store.KEY


def own(at):
    """The learner's latest translation model in the session's store, or None."""
    models = [m for m in (at.session_state[STORE] if STORE in at.session_state else {}).values() if m.lab == "attention"]
    return models[-1] if models else None


def charts(at):
    return at.get("plotly_chart")


def markdown(at):
    return " ".join(m.value for m in at.markdown)


def test_default_view_shows_every_section_with_the_gold_alignment():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and not at.warning
    assert [h.value for h in at.header] == HEADERS
    # heatmap, step scores/weights, vectors, top-5, beam tree, side-by-side heatmap, length chart, snapshot
    # heatmap, snapshot curve
    assert len(charts(at)) == CHARTS
    assert len(at.get("download_button")) == DOWNLOADS  # the side-by-side heatmap repeats section 1's numbers
    assert own(at) is None
    text = " ".join(l.value for l in at.latex)
    assert r"\sqrt{H}" in text and r"c_i = \sum_j \alpha_{ij}" in text and r"\tilde h_i" in text
    assert "matches the reference" in markdown(at)
    hits, counted = at.metric[0].value.split(" / ")
    assert 0 <= int(hits) <= int(counted) and int(counted) == 8  # one gold word per output word


def test_picking_a_sentence_types_it_and_a_shorter_one_clamps_the_step():
    at = open_page(PAGE)
    picker = at.selectbox(key="tr_pick")
    longest = max(picker.options, key=len)
    shortest = min(picker.options, key=len)
    assert len(picker.options) >= 4
    picker.set_value(longest.split(": ", 1)[1]).run()  # options display as "N words: sentence"
    assert_clean(at)
    assert at.text_input(key="tr_text").value == longest.split(": ", 1)[1]
    top = int(at.slider(key="tr_step").max)
    at.slider(key="tr_step").set_value(top).run()
    assert at.header[1].value.startswith(f"2. Step {top}:")
    at.selectbox(key="tr_pick").set_value(shortest.split(": ", 1)[1]).run()
    assert_clean(at)
    assert at.slider(key="tr_step").value == at.slider(key="tr_step").max < top


def test_step_slider_moves_the_step_views():
    at = open_page(PAGE)
    at.slider(key="tr_step").set_value(3).run()
    assert_clean(at)
    assert at.header[1].value == "2. Step 3: scores, weights, context, next word"
    assert any(r"\alpha_{3j}" in l.value for l in at.latex)


def test_unknown_words_get_one_sentence_and_the_page_keeps_working():
    at = open_page(PAGE, {"tr_text": "the zebra eats the flower"})
    assert_clean(at)
    assert len(at.error) == 1 and "'zebra'" in at.error[0].value
    assert [h.value for h in at.header] == HEADERS and len(charts(at)) == CHARTS


def test_too_long_a_sentence_is_refused_in_one_sentence():
    at = open_page(PAGE, {"tr_text": " ".join(["cat"] * 41)})
    assert_clean(at)
    assert len(at.error) == 1 and "41 words" in at.error[0].value


def test_sentence_outside_the_grammar_is_translated_without_a_reference():
    at = open_page(PAGE, {"tr_text": "cat the sees"})
    assert_clean(at)
    assert not at.error and len(at.warning) >= 1 and "no reference" in at.warning[0].value
    assert "no reference" in markdown(at)
    assert not any(" / " in m.value for m in at.metric)  # no agreement without a gold alignment


def test_beam_width_one_is_greedy_and_wider_draws_the_tree():
    at = open_page(PAGE, {"tr_text": "the cat sees a dog"})
    at.slider(key="tr_beam").set_value(1).run()
    assert_clean(at)
    assert len(charts(at)) == CHARTS - 1 and any("nothing to draw" in c.value for c in at.caption)
    assert any("same translation" in s.value for s in at.success)
    at.slider(key="tr_beam").set_value(6).run()
    assert_clean(at)
    assert len(charts(at)) == CHARTS
    assert at.metric[2].label == "Beam (k = 6): log-probability"
    # beam search keeps the best total log-probability it finds, so it never does worse than greedy
    assert float(at.metric[2].value) >= float(at.metric[1].value) - 1e-6


def test_beam_width_out_of_range_in_the_url_is_clamped_with_a_note():
    for asked, used in (("20", 8), ("0", 1)):
        at = open_page(PAGE, {"tr_beam": asked})
        assert_clean(at)
        assert at.slider(key="tr_beam").value == used
        assert any(f"beam width {asked}" in i.value and f"uses {used}" in i.value for i in at.info)
    at = open_page(PAGE, {"tr_beam": "5"})
    assert at.slider(key="tr_beam").value == 5 and not at.info


def test_a_long_sentence_shows_where_the_model_without_attention_goes_wrong():
    at = open_page(PAGE)
    longest = max(at.selectbox(key="tr_pick").options, key=len).split(": ", 1)[1]
    at = open_page(PAGE, {"tr_text": longest})
    assert_clean(at)
    assert len(longest.split()) >= 25
    text = markdown(at)
    assert "**Without attention:**" in text and "differs from the reference from word" in text
    assert "25+ words" in text  # the recorded metrics for this sentence's length bucket


def test_hostile_links_get_one_sentence_or_the_default_never_a_traceback():
    at = open_page(PAGE, {"tr_text": "(" * 10_000})
    assert_clean(at)
    assert len(at.error) == 1 and "10,000 characters" in at.error[0].value and len(at.error[0].value) < 300
    for value in ("1e309", "nan", "abc"):
        at = open_page(PAGE, {"tr_beam": value})
        assert_clean(at)
        assert at.slider(key="tr_beam").value == 3 and not at.info


# -- 6. attention across training ---------------------------------------------------------------------------
def spec(chart):
    return json.loads(chart.proto.spec)


def z_of(chart):
    """The first trace's z, decoded (plotly sends numpy arrays as base64 with their dtype and shape)."""
    z = spec(chart)["data"][0]["z"]
    if isinstance(z, dict):
        return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(
            [int(n) for n in str(z["shape"]).split(",")])
    return np.array(z, dtype=float)


def test_snapshot_slider_shows_the_recorded_map_output_and_exact_match():
    snaps = labs.attention.load_translation_snapshots()
    at = open_page(PAGE)
    picker = at.selectbox(key="tr_snap_text")
    rec = next(r for r in snaps.sentences if " ".join(r.source) == picker.value)
    for step in (snaps.steps[0], snaps.steps[-1]):
        at.select_slider(key="tr_snap_step").set_value(step).run()
        assert_clean(at)
        k = snaps.steps.index(step)
        metric = next(m for m in at.metric if m.label.startswith(f"Exact match at step {step} "))
        assert metric.value == f"{snaps.exact_match[k]:.1%}"
        heat = spec(charts(at)[8])["data"][0]
        np.testing.assert_allclose(z_of(charts(at)[8]), rec.weights[k])
        assert (heat["zmin"], heat["zmax"]) == (0, 1)
        out = rec.outputs[k][:-1] if rec.outputs[k][-1] == "<eos>" else rec.outputs[k]
        assert f"**Step {step}, greedy output:** {' '.join(out)}" in markdown(at)
    assert "matches the reference" in markdown(at)  # the last step is the shipped model


def test_snapshot_links_pick_a_sentence_and_a_step_and_bad_ones_fall_back():
    snaps = labs.attention.load_translation_snapshots()
    longest = " ".join(snaps.sentences[-1].source)
    at = open_page(PAGE, {"tr_snap_text": longest, "tr_snap_step": str(snaps.steps[1])})
    assert_clean(at)
    assert at.selectbox(key="tr_snap_text").value == longest
    assert at.select_slider(key="tr_snap_step").value == snaps.steps[1]
    at = open_page(PAGE, {"tr_snap_text": "not a snapshot sentence", "tr_snap_step": "33"})
    assert_clean(at)
    assert at.select_slider(key="tr_snap_step").value in snaps.steps
    assert len(charts(at)) == CHARTS


def test_a_broken_snapshot_file_gets_one_sentence_and_the_rest_works(monkeypatch):
    def broken(*_):
        raise labs.attention.SnapshotError("The snapshot file translation-snapshots.json is missing; rebuild it.")

    monkeypatch.setattr(labs.attention, "load_translation_snapshots", broken)
    ui.load_shipped.clear()  # the shipped files are cached per server: read them again through the broken loader
    try:
        at = open_page(PAGE)
    finally:
        ui.load_shipped.clear()
    assert_clean(at)
    assert len(at.error) == 1 and "translation-snapshots.json is missing" in at.error[0].value
    assert [h.value for h in at.header] == HEADERS and len(charts(at)) == CHARTS - 2


# -- 7. train your own -------------------------------------------------------------------------------------
def train(at, steps=10):
    at.select_slider(key="tr_own_n").set_value(steps).run()
    at.button(key="tr_own_train").click().run()
    assert_clean(at)
    return at


def test_training_from_random_weights_keeps_the_model_in_the_store_and_start_over_clears_it():
    at = train(open_page(PAGE))
    m = own(at)
    assert m.label == "Translation: random weights, dot attention (seed 0)" and m.settings["attention"] == "dot"
    assert m.steps == 10 and len(m.run.history) == 10 and m.model.cfg.attention == "dot"
    assert m.extra["checks"][-1][0] == 10 and 0 <= m.extra["checks"][-1][1] <= 1 and m.extra["speed"] > 0
    assert "**10 steps** taken" in markdown(at)
    assert any(m.label.startswith("Exact match at step 10 (100 validation") for m in at.metric)
    # the seeded start is the recipe's: the same first loss as a fresh recipe model on the recipe's first batch
    recipe = labs.attention.TRANSLATION_RECIPES["translation-attention"]
    model = recipe.build_model()
    x, y = next(recipe.training_batches())
    with torch.no_grad():
        assert m.run.history[0].loss == pytest.approx(float(model(x, y)[1]), rel=1e-5)
    at.slider(key="tr_step").set_value(2).run()  # touching another widget keeps every step
    assert own(at).steps == 10
    train(at)
    assert own(at) is m and m.steps == 20 and len(m.extra["checks"]) == 2
    at.number_input(key="tr_own_seed").set_value(1).run()  # other settings: another model, the first one kept
    train(at)
    assert len(at.session_state[STORE]) == 2 and own(at).label.endswith("(seed 1)") and own(at).steps == 10
    at.button(key="tr_own_reset").click().run()
    assert_clean(at)
    assert [x.label for x in at.session_state[STORE].values()] == [m.label]
    assert any("Nothing trained yet" in c.value for c in at.caption)


def test_the_learners_model_downloads_as_a_checkpoint_that_reopens_with_the_same_weights():
    m = own(train(open_page(PAGE), 10))
    assert m.lab == "attention" and set(m.meta) == {"vocab", "target_vocab", "class_names", "task"}
    weights, config = checkpoint_bytes(m.model, {"name": "x", **m.meta})
    again = parse_checkpoint(weights, config)
    assert again.target_vocab is not None and again.task.name == "translation"
    for (k, a), (k2, b) in zip(m.model.state_dict().items(), again.model.state_dict().items()):
        assert k == k2 and torch.equal(a, b), k


def test_training_a_copy_leaves_the_shipped_model_unchanged():
    shipped = ui.load_shipped("translation-attention").model  # the cached object the page copies
    before = {k: v.clone() for k, v in shipped.state_dict().items()}
    at = open_page(PAGE)
    at.radio(key="tr_own_start").set_value("the shipped model").run()
    train(at)
    mine = own(at).model
    assert mine is not shipped and own(at).steps == 10 and own(at).run.origin == "translation-attention"
    after = shipped.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert any(not torch.equal(before[k], v) for k, v in mine.state_dict().items())  # the copy did train
    assert own(at).extra["checks"][-1][1] > 0.8  # it started from a trained model


def test_my_model_draws_the_heatmap_when_chosen():
    at = train(open_page(PAGE, {"tr_text": "the cat sees a dog"}))
    shipped_z = z_of(charts(at)[0])
    at.radio(key="tr_model").set_value("my model").run()
    assert_clean(at)
    model = own(at).model
    words = "the cat sees a dog".split()
    ckpt = ui.load_shipped("translation-attention")
    tr = model.trace(ckpt.vocab.encode(words), words, ckpt.target_vocab, max_len=2 * len(words) + 5)
    z = z_of(charts(at)[0])
    np.testing.assert_allclose(z, tr.weights[0, 0], rtol=1e-5, atol=1e-6)
    assert np.shape(z) != np.shape(shipped_z) or not np.allclose(z, shipped_z)
    assert "**Your model (step 10, greedy):**" in markdown(at)
    assert not at.info


def test_my_model_in_a_new_session_or_without_attention_falls_back_with_a_note():
    at = open_page(PAGE, {"tr_model": "my model"})
    assert_clean(at)
    assert len(at.info) == 1 and "not trained a model" in at.info[0].value
    assert "**Model (greedy):**" in markdown(at) and len(charts(at)) == CHARTS
    at.selectbox(key="tr_own_attention").set_value("none").run()
    train(at)
    assert own(at).model.cfg.attention == "none"
    assert len(at.info) == 1 and "no attention" in at.info[0].value
    assert "**Model (greedy):**" in markdown(at)


def test_additive_shipped_model_is_offered_and_shown():
    at = open_page(PAGE, {"tr_scoring": "additive"})
    assert_clean(at)
    assert any(r"v_a^\top \tanh" in l.value for l in at.latex)  # the additive score's equation
    assert not at.error
