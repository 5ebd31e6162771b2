"""Tier 4, pages: the speech lesson under AppTest: default view, filters, stepping through decoding, beam
width, the snapshots slider, live training in a chunk, a missing or corrupt dataset file (one sentence, the
page and the app keep running) and junk values in a shared link."""

import shutil

import pytest

from seqviz import labs, ui
from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint
from seqviz.shipped import ASSETS
from seqviz.tasks import speech
from conftest import assert_clean, open_page

PAGE = "pages/speech_recognition.py"
HEADERS = ["1. Pick an utterance and listen", "2. What the model hears: the log-mel spectrogram",
           "3. The transcript, and where the speller listened", "4. Step 1: one character at a time",
           "5. Alignment across training: from diffuse to monotonic",
           "6. How well it hears new voices and a new speed", "7. Train it yourself"]


def charts(at):
    return at.get("plotly_chart")


def test_default_view_shows_every_section():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and not at.warning
    assert [h.value for h in at.header] == HEADERS
    # spectrogram, alignment, step, snapshot alignment, snapshot curve, CER by voice and by speed
    assert len(charts(at)) >= 7
    latex = " ".join(l.value for l in at.latex)
    assert r"W_f\, f_{ij}" in latex and r"c_i = \sum_j \alpha_{ij}\, h_j" in latex and r"\mathrm{CER}" in latex
    transcript, reference = at.metric[0].value, at.metric[1].value
    assert reference and transcript  # the shipped model transcribes the default held-out utterance


def test_filters_narrow_the_utterances_and_an_impossible_combination_says_so():
    at = open_page(PAGE)
    at.segmented_control(key="sp_split").set_value("new speed").run()
    assert_clean(at)
    voices = at.selectbox(key="sp_voice").options
    at.selectbox(key="sp_voice").set_value(voices[1]).run()
    at.segmented_control(key="sp_words").set_value("3").run()
    assert_clean(at)
    options = at.selectbox(key="sp_utt").options
    assert options and all(voices[1] in o and len(o.split('"')[1].split()) == 3 for o in options)
    at.toggle(key="sp_audio").set_value(True).run()  # few ship a recording: likely none with these filters
    assert_clean(at)
    if not at.get("audio"):
        assert any("No utterance matches" in i.value for i in at.info)
    at.segmented_control(key="sp_split").set_value("new voices").run()  # the chosen voice is not in this split
    assert_clean(at)
    assert at.selectbox(key="sp_voice").value in at.selectbox(key="sp_voice").options


def test_only_utterances_with_a_recording_play_it_beside_the_rebuilt_sound():
    at = open_page(PAGE)
    at.toggle(key="sp_audio").set_value(True).run()
    assert_clean(at)
    assert len(at.get("audio")) == 2  # rebuilt from the features, and the shipped recording
    assert all("Only" not in i.value for i in at.info)
    text = " ".join(m.value for m in at.markdown)
    assert "Rebuilt from the features the model sees" in text and "The shipped recording sounds like this" in text


@pytest.mark.parametrize("split", ["new voices", "new speed", "training"])
def test_every_utterance_plays(split):
    """Most utterances ship no recording; each still plays, rebuilt from its features, and says so."""
    at = open_page(PAGE)
    at.segmented_control(key="sp_split").set_value(split).run()
    options = at.selectbox(key="sp_utt").options
    for label in options[4:7]:  # past the first four of each split, which ship their recording
        at.selectbox(key="sp_utt").set_value(label).run()
        assert_clean(at)
        assert len(at.get("audio")) == 1
        shown = " ".join(e.value for e in [*at.markdown, *at.caption, *at.info])
        assert "Rebuilt from the features the model sees" in shown and "whispered" in shown
        assert "no sound" not in shown.lower()
        assert "The rebuilt sound's waveform" in shown


def test_stepping_through_decoding_and_beam_search():
    at = open_page(PAGE)
    at.slider(key="sp_step").set_value(3).run()
    assert_clean(at)
    assert at.header[3].value == "4. Step 3: one character at a time"
    at.slider(key="sp_beam").set_value(4).run()
    assert_clean(at)
    top = int(at.slider(key="sp_step").max)
    at.slider(key="sp_step").set_value(top).run()
    assert at.header[3].value == f"4. Step {top}: one character at a time"
    at.segmented_control(key="sp_words").set_value("1").run()  # a shorter transcript clamps the step
    assert_clean(at)
    assert at.slider(key="sp_step").value <= at.slider(key="sp_step").max


def test_snapshot_slider_goes_from_diffuse_to_learned():
    at = open_page(PAGE)
    steps = at.select_slider(key="sp_snap_step").options
    assert steps[0] == "0" and len(steps) >= 5
    at.select_slider(key="sp_snap_step").set_value(0).run()  # untrained: a diffuse map and a wrong transcript
    assert_clean(at)
    assert any("Step 0, greedy transcript" in m.value and "wrong" in m.value for m in at.markdown)
    at.select_slider(key="sp_snap_step").set_value(int(steps[-1])).run()
    assert_clean(at)
    assert any(f"Step {steps[-1]}, greedy transcript" in m.value for m in at.markdown)
    cer_last = [m for m in at.metric if m.label.startswith("CER at step")][0]
    assert cer_last.label.startswith(f"CER at step {steps[-1]}")


def test_training_a_chunk_puts_the_model_in_the_store_and_it_downloads():
    at = open_page(PAGE)
    cached = ui.load_shipped("speech-las").model
    before = {k: v.clone() for k, v in cached.state_dict().items()}
    at.select_slider(key="sp_own_n").set_value(10)
    at.radio(key="sp_own_start").set_value("the shipped model")
    at.button(key="sp_own_train").click().run()
    assert_clean(at)
    m = at.session_state["learner_models"]["Speech: from the shipped model"]
    assert m.lab == "speech" and m.steps == 10 and len(m.extra["checks"]) == 1
    assert any("Your model:" in md.value for md in at.markdown)
    from test_figure_captions import uncaptioned

    assert uncaptioned(at) == []  # the loss chart and the learner's alignment have their text alternative too
    weights, config = checkpoint_bytes(m.model, {"name": "x", **m.meta})
    again = parse_checkpoint(weights, config)
    for k, v in m.model.state_dict().items():
        assert again.model.state_dict()[k].equal(v)
    assert again.vocab.to_list() == m.meta["vocab"]
    # the copy trained; the shared shipped model never is
    assert any(not m.model.state_dict()[k].equal(v) for k, v in cached.state_dict().items())
    assert all(v.equal(before[k]) for k, v in cached.state_dict().items())
    at.button(key="sp_own_reset").click().run()
    assert_clean(at)
    assert "Speech: from the shipped model" not in at.session_state["learner_models"]


@pytest.mark.parametrize("broken", ["missing", "corrupt"])
def test_a_broken_dataset_gets_one_sentence_and_the_page_keeps_running(tmp_path, monkeypatch, broken):
    for p in speech.data_paths(ASSETS):
        shutil.copy(p, tmp_path / p.name)
    shutil.copy(ASSETS / "SHA256SUMS", tmp_path / "SHA256SUMS")
    target = speech.data_paths(tmp_path)[0]
    if broken == "missing":
        target.unlink()
    else:
        target.write_bytes(target.read_bytes()[:3000])
    original = labs.speech.load_data
    monkeypatch.setattr(labs.speech, "load_data", lambda directory: original(tmp_path))
    ui.load_shipped.clear()  # shipped files are cached per name for the server: forget the good copy
    try:
        at = open_page(PAGE)
    finally:
        monkeypatch.undo()
        ui.load_shipped.clear()
    assert_clean(at)
    assert at.title and len(at.error) == 1
    assert ("missing" if broken == "missing" else "checksum") in at.error[0].value
    assert "Recorded when the shipped model was trained" in " ".join(m.value for m in at.markdown)
    home = open_page("pages/home.py")  # the rest of the app keeps working
    assert_clean(home)


@pytest.mark.parametrize("query", [
    {"sp_step": "999999", "sp_beam": "abc", "sp_utt": "<script>alert(1)</script>", "sp_split": ""},
    {"sp_voice": "nobody", "sp_speed": "1e309", "sp_words": "7", "sp_snap_step": "inf", "sp_audio": "maybe"},
], ids=["step-beam-utt-split", "voice-speed-words-snapshot-audio"])
def test_junk_link_values_fall_back_to_defaults(query):
    """tests/test_url_params.py tries every bound widget alone; here several at once."""
    at = open_page(PAGE, query)
    assert_clean(at)
    assert at.title and [h.value for h in at.header][:3] == HEADERS[:3]


def test_the_link_carries_the_widgets_inside_the_fragments():
    """tests/test_links_labs.py reads bound widgets from the page's source; these live in seqviz/ui/speech.py."""
    from test_classroom import link_of, query_of

    at = open_page(PAGE)
    at.slider(key="sp_step").set_value(3).run()
    steps = at.select_slider(key="sp_snap_step").options
    at.select_slider(key="sp_snap_step").set_value(int(steps[-1])).run()
    at.radio(key="sp_own_start").set_value("the shipped model").run()
    assert_clean(at)
    fresh = open_page(PAGE, query_of(link_of(at)))
    assert_clean(fresh)
    assert fresh.slider(key="sp_step").value == 3 and fresh.header[3].value == "4. Step 3: one character at a time"
    assert str(fresh.select_slider(key="sp_snap_step").value) == steps[-1]
    assert fresh.radio(key="sp_own_start").value == "the shipped model"
