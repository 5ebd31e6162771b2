"""Tier 4, pages: the GloVe lesson under AppTest: counts, weighting, one pair's term, training, zeros, and
the two corpus settings side by side."""

import pytest
from conftest import assert_clean, open_page

from seqviz.labs import embeddings as E

PAGE = "pages/embeddings_glove.py"
HEADERS = ["1. The co-occurrence matrix", "2. The weighting function", "3. The objective for one pair, with real numbers",
           "4. Train your own", "5. Why GloVe answers fewer analogies here", "6. A corpus where the pairs meet"]


def text(at, kind):
    return " ".join(e.value for e in getattr(at, kind))


def markdown(at):
    return " ".join(m.value for m in at.markdown)


def test_default_view_shows_counts_weighting_one_term_and_the_comparison():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    assert len(at.get("plotly_chart")) == 6  # counts, f(x), relations, analogy counts; the setting's counts, relations
    latex = " ".join(l.value for l in at.latex)
    assert r"w_{\text{king}} \cdot \tilde w_{\text{throne}}" in latex and r"- \log" in latex
    assert "analogies" in markdown(at) and "GloVe" in markdown(at)


def test_window_and_words_change_the_matrix():
    at = open_page(PAGE)
    at.multiselect(key="glove_words").set_value(["king"]).run()
    assert_clean(at)
    assert "at least two words" in text(at, "info")
    at.multiselect(key="glove_words").set_value(["king", "throne", "he"]).run()
    at.slider(key="glove_window").set_value(1).run()
    assert_clean(at)
    assert "within 1 words" in at.latex[0].value
    assert len(at.get("plotly_chart")) == 6


def test_a_pair_that_never_cooccurs_says_it_has_no_term():
    at = open_page(PAGE)
    at.selectbox(key="glove_j").set_value("woman").run()
    assert_clean(at)
    assert "X(king, woman) = 0" in text(at, "warning") and "no term in J" in text(at, "warning")


def test_weighting_controls_and_both_predictions():
    at = open_page(PAGE)
    at.select_slider(key="glove_xmax").set_value(10).run()
    at.slider(key="glove_alpha").set_value(0.5).run()
    assert_clean(at)
    at.radio(key="glove_q_pair_guess").set_value("(king, queen)").run()
    assert "X(king, throne) =" in markdown(at)
    at.radio(key="glove_q_zeros_guess").set_value("Over 90%").run()
    assert_clean(at)
    assert "have X_ij = 0" in markdown(at)
    assert "Yes: Over 90%" in text(at, "success")  # in this corpus grouped words never share a sentence


def test_training_goes_through_the_store():
    at = open_page(PAGE)
    at.slider(key="glove_tokens").set_value(20_000).run()
    at.select_slider(key="glove_n").set_value(5).run()
    at.button(key="glove_train").click().run()
    assert_clean(at)
    assert not at.error
    (label, m), = at.session_state["learner_models"].items()
    assert label.startswith("GloVe") and m.lab == "embeddings" and m.meta is None
    assert m.steps == 5 == m.run.trainer.epochs_done and m.run.trainer.cfg.epochs == 5
    assert m.run.vectors().vectors.shape[1] == 50
    assert "5 epochs" in text(at, "success")
    assert "glove_own" not in at.session_state
    at.select_slider(key="glove_epoch").set_value(0).run()
    assert_clean(at)
    at.select_slider(key="glove_n").set_value(10).run()
    at.button(key="glove_train").click().run()
    assert at.session_state["learner_models"][label].steps == 15
    at.segmented_control(key="glove_corpus").set_value("Your text").run()
    at.text_area(key="glove_text").input("🎉").run()  # bad input: one sentence, the model stays
    assert_clean(at)
    assert "not enough words" in text(at, "info") + text(at, "warning") + text(at, "error")
    assert label in at.session_state["learner_models"]
    at.segmented_control(key="glove_corpus").set_value("Built-in").run()
    at.slider(key="glove_tokens").set_value(20_000).run()  # the same settings: the same model
    at.button(key="glove_reset").click().run()
    assert label not in at.session_state["learner_models"]


@pytest.mark.parametrize("setting", ["Plain", "Paired"])
def test_each_corpus_setting_shows_both_settings_figures_and_its_own_counts(setting):
    at = open_page(PAGE, {"glove_setting": setting})  # a link carries the setting
    assert_clean(at)
    assert not at.error and at.segmented_control(key="glove_setting").value == setting
    plain, paired = E.load("words-glove").meta["metrics"], E.load("words-glove-paired").meta["metrics"]
    shown = {m.label: m.value for m in at.metric}
    assert shown["GloVe on the plain corpus: analogies right"] == f"{plain['analogy_accuracy']:.0%}"
    assert shown["GloVe on the paired corpus: analogies right"] == f"{paired['analogy_accuracy']:.0%}"
    table = at.dataframe[-1].value
    assert list(table["method"]) == ["CBOW", "skip-gram", "GloVe"]
    assert table["paired: analogies (%)"].iloc[2] == round(100 * paired["analogy_accuracy"], 1)
    assert table["plain: 5-NN purity (%)"].iloc[2] == round(100 * plain["group_purity"], 1)
    says = markdown(at)
    assert f"On the {setting.lower()} corpus" in says and "X_ij > 0" in says
    # within one family, the plain corpus's grouped words never meet; the paired corpus's nearly always do
    within = float(says.split("X_ij = 0, and **")[1].split("%")[0])
    assert within == 100.0 if setting == "Plain" else within < 2.0
    assert len(at.get("plotly_chart")) == 6


def test_switching_the_setting_keeps_the_page_and_the_learners_choices():
    at = open_page(PAGE)
    at.slider(key="glove_window").set_value(3).run()
    at.segmented_control(key="glove_setting").set_value("Paired").run()
    assert_clean(at)
    assert at.slider(key="glove_window").value == 3 and "On the paired corpus" in markdown(at)
    at.segmented_control(key="glove_setting").set_value("Plain").run()
    assert_clean(at)
    assert "On the plain corpus" in markdown(at)


def test_training_on_the_paired_setting_reaches_the_shipped_models_analogies():
    """The "train your own" block offers the paired corpus; with the paired recipe (x_max 10, 100 epochs) the
    learner's own GloVe answers the analogies the shipped paired model does, within a few points."""
    from seqviz import wordvectors as wvm
    from seqviz.tasks import corpus as C

    at = open_page(PAGE)
    at.segmented_control(key="glove_train_setting").set_value("Paired").run()
    assert_clean(at)
    assert "x_max 10" in text(at, "info")  # the page says which weighting the paired recipe uses
    at.select_slider(key="glove_xmax").set_value(10).run()
    assert "x_max 10 and" not in text(at, "info")
    at.select_slider(key="glove_n").set_value(100).run()
    at.button(key="glove_train").click().run()
    assert_clean(at)
    (label, m), = at.session_state["learner_models"].items()
    assert "paired corpus" in label and m.run.trainer.cfg.x_max == 10 and m.steps == 100
    wv = m.run.vectors()
    paired = C.build_corpus(C.DEFAULT_TOKENS, 0, paired=True)
    assert m.run.trainer.data.num_tokens == C.encode(paired).num_tokens  # the paired corpus, not the plain one
    shipped = E.load("words-glove-paired").meta["metrics"]["analogy_accuracy"]
    mine = wvm.analogy_accuracy(wv, m.run.trainer.data.analogies)
    assert mine >= shipped - 0.05 and mine >= 0.85
