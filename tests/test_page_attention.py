"""Tier 4, pages: the attention lesson under AppTest, its switches and its bad inputs."""

import zlib

import pytest
from conftest import assert_clean, open_page

PAGE = "pages/attention_basics.py"
HEADERS = ["1. Words in, vectors out", "2. Queries, keys and values", "3. Scores: how well each key matches each query",
           "4. Mask and temperature", "5. Softmax: the attention weights", "6. The output: a weighted sum of values"]


def charts(at):
    return at.get("plotly_chart")


def latex(at):
    return " ".join(l.value for l in at.latex)


def test_default_view_shows_every_stage_with_numbers():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    # X, W, QKV, scores, scaled scores, sqrt(d_k) spread, Z, temperature sweep, weights, output
    assert len(charts(at)) == 10
    text = latex(at)
    assert r"q_{1} = x_{1} W_Q" in text and r"s_{1,2} &= q_{1} \cdot k_{2}" in text and r"\sqrt{3}" in text
    assert r"\alpha_{1,6}" in text and r"o_{1} = \textstyle\sum_j \alpha_{1,j} v_j" in text
    assert r"-\infty" not in text.split("o_i =")[-1]  # no mask by default
    assert len(at.get("download_button")) == 10


def test_scoring_from_the_url_uses_the_label():
    at = open_page(PAGE, {"attn_scoring": "Additive (Bahdanau)", "attn_causal": "true"})
    assert_clean(at)
    assert at.radio(key="attn_scoring").value == "additive" and at.toggle(key="attn_causal").value
    assert r"v_a^\top \tanh" in latex(at)


def test_scoring_switch_changes_the_stages():
    at = open_page(PAGE)
    at.radio(key="attn_scoring").set_value("additive").run()
    assert_clean(at)
    text = latex(at)
    assert r"v_a = " in text and r"v_a^\top \tanh" in text and r"\sqrt{3}}" not in text.split("additive")[-1]
    assert len(charts(at)) == 9  # no scaled-scores panel
    assert any("does not divide" in i.value for i in at.info)
    at.radio(key="attn_scoring").set_value("dot").run()
    assert_clean(at)
    assert r"\dfrac{s_{1,j}}{\tau}" in latex(at)


def test_causal_mask_shows_minus_infinity_before_and_zero_after_softmax():
    at = open_page(PAGE, {"attn_query": "i = 3: sat"})  # the URL holds the picker's label
    at.toggle(key="attn_causal").set_value(True).run()
    assert_clean(at)
    text = latex(at)
    assert r"z_{3,j}" in text and r"-\infty\text{ where } j > 3" in text
    assert r"\alpha_{3,4} &= e^{-\infty} / " in text and r"\alpha_{3,6} &= e^{-\infty}" in text
    assert "masked keys add" in text
    assert not any("mask is off" in c.value for c in at.caption)


def test_temperature_and_query_word_come_from_the_url():
    at = open_page(PAGE, {"attn_temp": "0.1", "attn_query": "i = 4: d", "attn_text": "a b c d e"})
    assert_clean(at)
    assert at.select_slider(key="attn_temp").value == "0.1"
    assert at.selectbox(key="attn_query").value == 3
    text = latex(at)
    assert r"q_{4} = x_{4} W_Q" in text and "{0.10}" in text and r"\alpha_{4,5}" in text


def test_a_shorter_sentence_clamps_the_followed_word():
    at = open_page(PAGE)
    at.selectbox(key="attn_query").set_value(5).run()
    at.text_input(key="attn_text").input("hello world").run()
    assert_clean(at)
    assert at.selectbox(key="attn_query").value == 1
    assert r"q_{2} = x_{2}" in latex(at)


def test_larger_d_k_and_another_seed():
    at = open_page(PAGE)
    at.selectbox(key="attn_dk").set_value(16).run()
    at.number_input(key="attn_seed").set_value(42).run()
    assert_clean(at)
    assert not at.error
    assert r"\sqrt{16}" in latex(at)


@pytest.mark.parametrize("text, fragment", [
    ("", "Type a sentence"),
    ("one two three four five six seven eight nine", "9 words"),
    ("x" * 10_000, "10,000 characters"),
])
def test_bad_sentences_get_one_sentence_and_the_page_keeps_working(text, fragment):
    at = open_page(PAGE)
    at.text_input(key="attn_text").input(text).run()
    assert_clean(at)
    assert len(at.error) == 1 and fragment in at.error[0].value
    assert [h.value for h in at.header] == HEADERS and len(charts(at)) == 10  # the example sentence instead


def test_emoji_and_html_words_are_shown_as_text():
    at = open_page(PAGE)
    at.text_input(key="attn_text").input("<b>hi</b> 🐈 **x**").run()
    at.selectbox(key="attn_query").set_value(1).run()
    assert_clean(at)
    assert not at.error
    scores_intro = [m.value for m in at.markdown if m.value.startswith("Every score of query 2")]
    assert scores_intro == [r"Every score of query 2 (**🐈**):"]
    at.selectbox(key="attn_query").set_value(0).run()
    assert [m.value for m in at.markdown if m.value.startswith("Every score of query 1")] == [
        r"Every score of query 1 (**\<b\>hi\</b\>**):"]


def test_bad_url_values_fall_back_to_defaults():
    at = open_page(PAGE, {"attn_scoring": "cosine", "attn_temp": "1000", "attn_dk": "5", "attn_query": "99"})
    assert_clean(at)
    assert [h.value for h in at.header] == HEADERS


def _edit(at, rows):
    # The table's widget state, as the browser sends it; its key follows the sentence.
    key = f"attn_X_{zlib.crc32(' '.join(at.text_input(key='attn_text').value.split()).encode())}"
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()


def test_typed_vectors_flow_through_every_stage():
    at = open_page(PAGE)
    at.toggle(key="attn_own").set_value(True).run()
    assert_clean(at)
    assert not at.error and len(at.dataframe) == 1 and len(charts(at)) == 10
    _edit(at, {0: {"x[1]": 2.5, "x[4]": -1}})
    assert_clean(at)
    assert not at.error
    assert r"x_{1} = \left(2.50, " in latex(at) and r"-1.00\right)" in latex(at)


def test_an_emptied_cell_gets_one_sentence_and_the_made_up_vectors():
    at = open_page(PAGE)
    at.toggle(key="attn_own").set_value(True).run()
    made_up = latex(at)
    _edit(at, {1: {"x[2]": None}})
    assert_clean(at)
    assert len(at.error) == 1 and "finite number" in at.error[0].value
    assert latex(at) == made_up and len(charts(at)) == 10
