"""Tier 4, pages: the sentiment lesson under AppTest: predictions of every model, the reading view,
attribution, the mistakes browser, training a model live (into the session's store), and hostile reviews."""

import re

import numpy as np
import torch
from conftest import ROOT, assert_clean, open_page

from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint
from seqviz.labs import sentiment as lab
from seqviz.ui import sentiment as us

PAGE = "pages/sentiment_word_order.py"
HEADERS = ["1. Type a review", "2. Reading, word by word", "3. Which words pushed the answer?",
           "4. Accuracy by phenomenon", "5. Browse the mistakes", "6. Train your own"]
ALL_CHARTS = 7  # predictions, reading, attribution, accuracy, confusion, seeds (+ nothing trained yet)


def charts(at):
    return at.get("plotly_chart")


def test_default_view_shows_every_model_and_every_section():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    assert len(charts(at)) == ALL_CHARTS - 1
    assert any(r"m = \frac{1}{T}" in l.value for l in at.latex)
    assert any("F(u) - F(0)" in l.value for l in at.latex)  # integrated gradients' completeness, as computed
    assert at.selectbox(key="sentiment_reader").value == "LSTM"
    assert len(at.dataframe) == 2  # completeness table and the bag's mistakes


def test_typing_a_review_updates_every_model():
    at = open_page(PAGE)
    at.text_input(key="sentiment_text").input("The acting was GOOD but the ending was terrible").run()
    assert_clean(at)
    assert not at.error and not at.warning
    assert len(charts(at)) == ALL_CHARTS - 1
    assert "`terrible`" in " ".join(c.value for c in at.caption)


def test_example_picker_fills_the_box_and_the_reader_can_change():
    at = open_page(PAGE)
    at.selectbox(key="sentiment_example").set_value("i never found the story boring").run()
    assert at.text_input(key="sentiment_text").value == "i never found the story boring"
    at.selectbox(key="sentiment_reader").set_value("GRU").run()
    assert_clean(at)
    assert not at.error and len(charts(at)) == ALL_CHARTS - 1


def test_attribution_methods_both_draw_and_add_up():
    at = open_page(PAGE)
    at.segmented_control(key="sentiment_method").set_value("gradient x input").run()
    assert_clean(at)
    assert any(r"\frac{\partial F}{\partial u_{td}}(u)" in l.value for l in at.latex)
    at.segmented_control(key="sentiment_method").set_value("integrated gradients").run()
    gaps = at.dataframe[0].value
    assert len(gaps) == 5 and (gaps["sum - (F(u) - F(0))"].abs() < 0.05).all()


def test_mistakes_browser_filters_and_sends_a_review_up():
    at = open_page(PAGE, {"sentiment_mistakes_model": "Bag of embeddings", "sentiment_phenomenon": "contrast"})
    assert_clean(at)
    table = at.dataframe[1].value
    assert len(table) > 50 and table["phenomena"].str.contains("contrast").all()
    pick = at.selectbox(key="sentiment_pick").value
    next(b for b in at.button if "review box" in b.label).click().run()
    assert at.text_input(key="sentiment_text").value == pick
    assert_clean(at)
    at.selectbox(key="sentiment_mistakes_model").set_value("GRU").run()
    at.selectbox(key="sentiment_phenomenon").set_value("any phenomenon").run()
    assert_clean(at)
    confusion = lab.load("sentiment-gru").meta["metrics"]["confusion"]  # recorded when it was built
    wrong = confusion[0][1] + confusion[1][0]
    assert any(f"**{wrong}** of 2,000 test reviews misclassified by the GRU." in m.value for m in at.markdown)


def test_questions_reveal_the_live_models_answers():
    at = open_page(PAGE)
    at.radio(key="sentiment_q1_guess").set_value("negative").run()
    at.radio(key="sentiment_q2_guess").set_value("yes").run()
    assert_clean(at)
    said = " ".join(m.value for m in at.markdown)
    assert "p(positive) =" in said and "of those reviews" in said


def stored(at) -> dict:
    return at.session_state["learner_models"] if "learner_models" in at.session_state else {}


def test_train_a_bag_chunk_puts_it_in_the_store_and_every_view():
    at = open_page(PAGE)
    at.selectbox(key="sentiment_arch").set_value("bag").run()
    at.select_slider(key="sentiment_n").set_value(50).run()
    assert not stored(at)  # nothing is made before Train
    at.button(key="sentiment_train").click().run()
    assert_clean(at)
    m = stored(at)["Sentiment: Bag of embeddings"]
    assert m.lab == "sentiment" and m.steps == 50 and [c["step"] for c in m.extra["checks"]] == [0, 50]
    assert m.settings == {"arch": "bag", "skip-gram vectors": False, "freeze": False}
    assert len(at.metric) == 3 and len(charts(at)) == ALL_CHARTS  # its accuracy curve too
    assert "Mine: Bag of embeddings" in at.dataframe[0].value["model"].tolist()  # joins the attribution
    weights, config = checkpoint_bytes(m.model, {"name": "x", **m.meta})  # the explorer's download reopens
    again = parse_checkpoint(weights, config)
    assert again.task == lab.TASK and again.meta["class_names"] == ["negative", "positive"]
    for (k, a), (k2, b) in zip(m.model.state_dict().items(), again.model.state_dict().items()):
        assert k == k2 and torch.equal(a, b)
    at.text_input(key="sentiment_text").input("").run()  # a bad review loses nothing
    assert stored(at)["Sentiment: Bag of embeddings"].steps == 50
    at.button(key="sentiment_train").click().run()  # the same settings continue the same model
    assert stored(at)["Sentiment: Bag of embeddings"].steps == 100


def test_several_own_models_a_recurrent_one_reads_and_start_over_forgets_it():
    at = open_page(PAGE)
    at.select_slider(key="sentiment_n").set_value(50).run()
    for arch in ("gru", "bilstm"):
        at.selectbox(key="sentiment_arch").set_value(arch).run()
        at.button(key="sentiment_train").click().run()
        assert_clean(at)
    assert set(stored(at)) == {"Sentiment: GRU", "Sentiment: Bidirectional LSTM"}
    reader = at.selectbox(key="sentiment_reader")
    assert "Mine: GRU" in reader.options and "Mine: Bidirectional LSTM" not in reader.options  # one direction only
    reader.set_value("Mine: GRU").run()
    assert_clean(at)
    assert len(charts(at)) == ALL_CHARTS
    assert {"Mine: GRU", "Mine: Bidirectional LSTM"} <= set(at.dataframe[0].value["model"])
    at.button(key="sentiment_reset").click().run()  # the Bidirectional LSTM's settings are on screen
    assert_clean(at)
    assert set(stored(at)) == {"Sentiment: GRU"}


# the views' own controls live in fragments in seqviz/ui/sentiment.py, where tests/test_url_params.py (which reads
# the page's source) does not look: the same hostile link values, tried here
FRAGMENT_KEYS = ["sentiment_reader", "sentiment_method", "sentiment_mistakes_model", "sentiment_phenomenon"]
HOSTILE = ["999999", "", "<script>alert('x')</script><b onclick=alert(1)>😀🧠</b> $x$ **y**", ["0", "nonsense"]]


def test_the_fragments_controls_are_bound_to_the_link_and_survive_hostile_values():
    source = (ROOT / "seqviz" / "ui" / "sentiment.py").read_text()
    for key in FRAGMENT_KEYS:  # each is bound to the URL (so a link carries it)
        assert re.search(rf'key="{key}",\s*bind="query-params"', source), key
    for key in FRAGMENT_KEYS:
        for value in HOSTILE:
            at = open_page(PAGE, {key: value})
            assert_clean(at)
            assert [h.value for h in at.header] == HEADERS, (key, value)
    # a link that carries them opens that view (the Classroom box's link itself comes back empty under AppTest
    # on this page, as on the speech page, even for a page of one line: tests/test_links_labs.py NOT_HERE)
    at = open_page(PAGE, {"sentiment_reader": "GRU", "sentiment_method": "gradient x input",
                          "sentiment_mistakes_model": "LSTM", "sentiment_phenomenon": "contrast"})
    assert at.selectbox(key="sentiment_reader").value == "GRU"
    assert at.segmented_control(key="sentiment_method").value == "gradient x input"
    assert at.selectbox(key="sentiment_mistakes_model").value == "LSTM"
    assert at.selectbox(key="sentiment_phenomenon").value == "contrast"


BAD = [
    ("", "Type a review"),
    ("good " * 2000, "10,000 characters"),
    ("😀🎬😀", "None of those words"),
    ("<b>zzz</b><script>alert(1)</script>", None),  # 'script' is a word of the grammar: a note, not an error
    ("qwerty asdf", "None of those words"),
]


def test_bad_reviews_one_after_another_get_one_sentence_and_nothing_breaks():
    at = open_page(PAGE)  # one session through every bad review: nothing in it may be lost on the way
    for text, fragment in BAD:
        at.text_input(key="sentiment_text").input(text).run()
        assert_clean(at)
        if fragment:
            assert len(at.error) == 1 and fragment in at.error[0].value, text[:40]
            assert len(charts(at)) == 3  # accuracy, confusion and the seeds stay
        else:
            assert not at.error and "'<'" in at.warning[0].value
        assert [h.value for h in at.header] == HEADERS
        assert at.text_input(key="sentiment_text").value == text  # the learner's text is kept, shown in the box only
    at.text_input(key="sentiment_text").input("the popcorn was not good").run()  # unknown words: named, read as <unk>
    assert_clean(at)
    assert "'popcorn'" in at.warning[0].value and not at.error
    assert "popcorn→<unk>" in " ".join(c.value for c in at.caption)
    assert len(charts(at)) == ALL_CHARTS - 1


def test_a_bag_can_start_from_the_embeddings_labs_vectors():
    at = open_page(PAGE)
    radio = at.radio(key="sentiment_init")
    vectors = us.embedding_vectors()
    if vectors is None:  # the embeddings lab is not installed: the choice is offered but disabled
        assert radio.disabled
        return
    radio.set_value(lab.INITS[1])
    at.selectbox(key="sentiment_arch").set_value("bag")
    at.select_slider(key="sentiment_n").set_value(50).run()
    at.button(key="sentiment_train").click().run()
    assert_clean(at)
    m = stored(at)["Sentiment: Bag of embeddings (skip-gram)"]
    assert m.extra["vectors"].startswith("skip-gram") and m.model.cfg.embed_dim == vectors.vectors.shape[1]
    assert any("word vectors: skip-gram" in c.value for c in at.caption)
    E = m.model.embedding.weight.detach().numpy()
    assert not E[0].any()  # <pad> stays zero
