"""Tier 4, pages: the translation lesson under AppTest: sentence picker, typed text, step slider, beam width,
and the bad inputs (unknown words, a sentence outside the grammar, a beam width out of range in the URL)."""

from test_pages import assert_clean, open_page

PAGE = "pages/attention_translation.py"
HEADERS = ["1. The translation, and where the decoder looked", "2. Step 1: scores, weights, context, next word",
           "3. Greedy decoding against beam search", "4. The same sentence without attention",
           "5. Longer sentences need attention"]


def charts(at):
    return at.get("plotly_chart")


def markdown(at):
    return " ".join(m.value for m in at.markdown)


def test_default_view_shows_every_section_with_the_gold_alignment():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and not at.warning
    assert [h.value for h in at.header] == HEADERS
    # heatmap, step scores/weights, vectors, top-5, beam tree, side-by-side heatmap, length chart
    assert len(charts(at)) == 7
    assert len(at.get("download_button")) == 6  # the side-by-side heatmap repeats section 1's numbers
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
    assert [h.value for h in at.header] == HEADERS and len(charts(at)) == 7


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
    assert len(charts(at)) == 6 and any("nothing to draw" in c.value for c in at.caption)
    assert any("same translation" in s.value for s in at.success)
    at.slider(key="tr_beam").set_value(6).run()
    assert_clean(at)
    assert len(charts(at)) == 7
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
