"""Tier 4, pages: the Word2Vec lesson under AppTest: the window, the loss, training live, bad text."""

from conftest import assert_clean, open_page

from seqviz.tasks.corpus import example_sentence

PAGE = "pages/embeddings_word2vec.py"
HEADERS = ["1. The sliding window", "2. One skip-gram example, its negatives and its loss", "3. Train your own",
           "4. Watch the words find their places"]


def text(at, kind):
    return " ".join(e.value for e in getattr(at, kind))


def test_default_view_shows_the_window_the_loss_and_the_shipped_training():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    assert len(at.get("plotly_chart")) == 5  # window, negatives, distribution, map, quality
    tokens = example_sentence("queen")
    assert at.slider(key="w2v_centre").value == tokens.index("queen") + 1
    pairs = at.table[0].value
    assert list(pairs["input (centre)"]) == ["queen"] * len(pairs) and 1 <= len(pairs) <= 4
    latex = " ".join(l.value for l in at.latex)
    assert r"\log \sigma(v_{\text{queen}}" in latex and "= " in latex
    assert "Nothing trained yet" in text(at, "caption")


def test_window_centre_and_sentence_change_the_examples():
    at = open_page(PAGE)
    at.slider(key="w2v_window").set_value(1).run()
    assert len(at.table[0].value) <= 2
    at.slider(key="w2v_centre").set_value(1).run()
    assert_clean(at)
    first = example_sentence("queen")[0]
    assert list(at.table[0].value["input (centre)"]) == [first]
    at.selectbox(key="w2v_word").set_value("paris").run()
    assert_clean(at)
    assert at.slider(key="w2v_centre").value == example_sentence("paris").index("paris") + 1


def test_negatives_redraw_and_k_changes_the_loss():
    at = open_page(PAGE)
    before = at.latex[1].value
    at.button(key="w2v_draw").click().run()
    assert_clean(at)
    assert at.latex[1].value != before
    at.slider(key="w2v_k").set_value(1).run()
    assert r"\sum_{n=1}^{1}" in at.latex[0].value


def test_predict_then_reveal_answers_with_the_numbers():
    at = open_page(PAGE)
    at.radio(key="word2vec_q_the_guess").set_value("Less often").run()
    assert_clean(at)
    assert "Yes: Less often" in text(at, "success")
    assert "of the tokens but only" in " ".join(m.value for m in at.markdown)
    at.radio(key="word2vec_q_queen_guess").set_value("throne").run()
    assert "Cosine similarity with queen" in " ".join(m.value for m in at.markdown)


def embeddings_models(at):
    return {k: m for k, m in at.session_state["learner_models"].items() if m.lab == "embeddings"}


def test_training_goes_through_the_store_and_the_explorer_lists_it():
    at = open_page(PAGE)
    at.slider(key="w2v_tokens").set_value(20_000).run()
    at.segmented_control(key="w2v_method").set_value("CBOW").run()
    at.select_slider(key="w2v_n").set_value(2).run()
    at.button(key="w2v_train").click().run()
    assert_clean(at)
    assert not at.error
    (label, m), = embeddings_models(at).items()
    assert label.startswith("Word2Vec CBOW") and m.meta is None and m.settings["page"] == "w2v"
    trainer = m.run.trainer
    assert m.steps == 2 == trainer.epochs_done and trainer.cfg.method == "cbow" and trainer.cfg.epochs == 2
    assert [p.step for p in m.run.history][-1] == 2 and all(p.loss > 0 for p in m.run.history)
    assert m.run.vectors().vectors.shape == (len(trainer.data.words), 50)
    assert "2 epochs" in text(at, "success")
    assert "w2v_own" not in at.session_state  # the store is the only place
    explorer = open_page("pages/embeddings_explorer.py")
    explorer.session_state["learner_models"] = at.session_state["learner_models"]
    explorer.run()
    assert f"Mine: {label}" in explorer.selectbox(key="explorer_source").options  # the explorer lists it
    assert at.radio(key="w2v_view").options[0] == "Mine"
    at.radio(key="w2v_view").set_value("Mine").run()
    at.select_slider(key="w2v_epoch").set_value(1).run()
    assert_clean(at)
    at.select_slider(key="w2v_n").set_value(1).run()
    at.button(key="w2v_train").click().run()
    assert embeddings_models(at)[label].steps == 3
    at.button(key="w2v_reset").click().run()
    assert_clean(at)
    assert label not in embeddings_models(at)


def test_own_text_bad_inputs_get_one_sentence_each():
    at = open_page(PAGE)
    at.segmented_control(key="w2v_corpus").set_value("Your text").run()
    assert_clean(at)
    assert "Paste or upload" in text(at, "info")
    assert at.button(key="w2v_train").disabled
    for bad in ("🎉🎉🎉 !!!", "<script>alert(1)</script>"):
        at.text_area(key="w2v_text").input(bad).run()
        assert_clean(at)
        assert "not enough words" in text(at, "warning") + text(at, "info") or "only" in text(at, "warning")
    at.file_uploader(key="w2v_upload").set_value([("junk.txt", b"\x00\x01\x02binary", "text/plain")]).run()
    assert_clean(at)
    assert "not plain text" in text(at, "error")
    at.file_uploader(key="w2v_upload").set_value([("latin.txt", "café".encode("latin-1"), "text/plain")]).run()
    assert "not UTF-8" in text(at, "error")


def test_own_text_trains_and_the_session_survives():
    at = open_page(PAGE)
    at.segmented_control(key="w2v_corpus").set_value("Your text").run()
    words = " ".join(f"w{i % 40} w{(i * 7) % 40}" for i in range(1500)) + "."
    at.text_area(key="w2v_text").input(words).run()
    assert not at.warning
    at.select_slider(key="w2v_n").set_value(1).run()
    at.button(key="w2v_train").click().run()
    assert_clean(at)
    (label,) = embeddings_models(at)
    assert "your text" in label
    at.text_area(key="w2v_text").input("").run()  # bad input afterwards: the trained model stays
    assert_clean(at)
    assert label in embeddings_models(at)
    at.radio(key="w2v_view").set_value("Mine").run()
    assert_clean(at)
    assert "no word groups" in text(at, "caption")
