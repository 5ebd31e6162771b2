"""Tier 4, pages: the tiny GPT lesson under AppTest: its views, sampling controls, generation,
training a chunk live, and bad input (prompts, pasted text, links)."""

import pytest
from conftest import assert_clean, open_page

from seqviz import ui
from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint

PAGE = "pages/transformer_gpt.py"
STORIES = "GPT: built-in stories"
HEADERS = ["1. The next character", "2. Choosing a character: temperature, top-k, top-p",
           "3. Generating, one character at a time", "4. How good is it? Perplexity", "5. Train your own"]
DEFAULT_CHARTS = 7  # next (GPT, bigram), stages, generation, attention grid, one head, perplexity


def charts(at):
    return at.get("plotly_chart")


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def generated(at) -> str:
    """The prompt and the generated text (the first code block that is not "show the code")."""
    return next(c.value for c in at.code if c.language != "python")


def test_default_view_shows_every_section():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.header] == HEADERS
    assert len(charts(at)) == DEFAULT_CHARTS
    latex = " ".join(l.value for l in at.latex)
    assert r"e^{z_i / \tau}" in latex and r"\mathrm{PPL} = \exp" in latex and r"C[a, b] + k" in latex
    assert generated(at).startswith(at.text_input(key="gpt_prompt").value)
    assert len(generated(at)) == len(at.text_input(key="gpt_prompt").value) + 80
    assert "Nothing trained yet" in captions(at)


def test_the_copy_question_is_answered_by_the_model():
    at = open_page(PAGE)
    at.radio(key="gpt_q_copy_guess").set_value("cup").run()
    assert_clean(at)
    assert at.success and "Yes: cup" in at.success[0].value
    assert "p(**c**, cup)" in " ".join(m.value for m in at.markdown)


def test_the_same_seed_repeats_and_another_seed_changes_the_text():
    at = open_page(PAGE, {"gpt_seed": "5"})
    first = generated(at)
    at.run()
    assert generated(at) == first
    at.number_input(key="gpt_seed").set_value(6).run()
    assert_clean(at)
    assert generated(at) != first


def test_temperature_zero_is_greedy_and_ignores_the_seed():
    at = open_page(PAGE, {"gpt_temp": "0"})
    assert_clean(at)
    assert "greedy" in captions(at)
    text = generated(at)
    at.number_input(key="gpt_seed").set_value(99).run()
    assert generated(at) == text
    at.radio(key="gpt_q_greedy_guess").set_value("the same").run()
    assert "Yes: the same" in at.success[0].value


@pytest.mark.parametrize("query, fragment", [
    ({"gpt_temp": "900"}, "clamped to 100"),
    ({"gpt_topk": "999"}, "all 33 stay"),
    ({"gpt_topk": "0"}, "top-k is off"),
    ({"gpt_topp": "1.0"}, "top-p = 1 keeps every token"),
])
def test_extreme_settings_are_clamped_with_a_note(query, fragment):
    at = open_page(PAGE, query)
    assert_clean(at)
    assert fragment in captions(at) and not at.error
    assert len(charts(at)) == DEFAULT_CHARTS


def test_top_p_zero_and_top_k_one_keep_one_character():
    for query in ({"gpt_topp": "0"}, {"gpt_topk": "1"}):
        at = open_page(PAGE, query)
        assert_clean(at)
        assert "1 of 33 characters can be drawn" in captions(at)


def test_fewer_characters_clamp_the_step():
    at = open_page(PAGE)
    at.slider(key="gpt_step").set_value(60).run()
    at.slider(key="gpt_n").set_value(10).run()
    assert_clean(at)
    assert at.slider(key="gpt_step").value == 10


@pytest.mark.parametrize("prompt, fragment", [
    ("", "Type a prompt"),
    ("a" * 10_000, "10,000 characters"),
    ("anna gave ben a 😀", "'😀'"),
    ("<script>alert(1)</script>", "'<'"),
    ("anna gave ben 7 maps", "'7'"),
])
def test_bad_prompts_get_one_sentence_and_the_page_stays(prompt, fragment):
    at = open_page(PAGE)
    at.text_input(key="gpt_prompt").input(prompt).run()
    assert_clean(at)
    assert len(at.error) == 1 and fragment in at.error[0].value
    assert [h.value for h in at.header] == HEADERS
    assert len(charts(at)) == 1  # the perplexity bars need no prompt
    at.text_input(key="gpt_prompt").input("ANNA AND BEN").run()  # upper case: lowered, with a note
    assert_clean(at)
    assert not at.error and "lowered" in at.warning[0].value and len(charts(at)) == DEFAULT_CHARTS


@pytest.mark.parametrize("query", [
    {"gpt_layer": "99", "gpt_head": "-1"}, {"gpt_head": "7"}, {"gpt_layer": "abc"},
    {"gpt_temp": "1e309", "gpt_topk": "1e309", "gpt_seed": "-1e309"}, {"gpt_step": "999", "gpt_n": "0"},
    {"gpt_model": "mine"}, {"gpt_topp": "7"},
])
def test_out_of_range_links_open_cleanly(query):
    at = open_page(PAGE, query)
    assert_clean(at)
    assert not at.error and len(charts(at)) == DEFAULT_CHARTS


def learner(at, label=STORIES):
    return at.session_state["learner_models"].get(label)


def test_training_a_chunk_puts_the_model_in_the_store_and_it_downloads():
    at = open_page(PAGE)
    cached = ui.load_shipped("lm-gpt").model
    before = {k: v.clone() for k, v in cached.state_dict().items()}
    at.select_slider(key="gpt_own_n").set_value(25).run()
    at.button(key="gpt_own_train").click().run()
    assert_clean(at)
    own = learner(at)
    assert own.lab == "transformers" and own.steps == 25 and len(own.extra["checks"]) == 1
    assert own.extra["checks"][0]["validation loss"] < 3.5  # below log(33): it has learned the letter frequencies
    weights, config = checkpoint_bytes(own.model, {"name": "x", **own.meta})
    again = parse_checkpoint(weights, config)
    assert again.vocab.to_list() == own.meta["vocab"]
    assert all(again.model.state_dict()[k].equal(v) for k, v in own.model.state_dict().items())
    assert "25 steps" in " ".join(m.value for m in at.markdown)
    assert len(charts(at)) == DEFAULT_CHARTS + 1  # the training curve
    assert at.radio(key="gpt_source").disabled
    at.radio(key="gpt_model").set_value("mine").run()  # explore my model above
    assert_clean(at)
    assert not at.error and len(charts(at)) == DEFAULT_CHARTS + 1
    at.button(key="gpt_own_train").click().run()  # a second chunk continues the same model
    assert learner(at).steps == 50 and len(learner(at).extra["checks"]) == 2
    for k, v in cached.state_dict().items():  # the shared shipped model is never trained
        assert v.equal(before[k])
    at.button(key="gpt_own_reset").click().run()
    assert_clean(at)
    assert learner(at) is None and "Nothing trained yet" in captions(at)


def test_pasted_text_too_short_is_refused_then_a_good_one_trains():
    at = open_page(PAGE)
    at.radio(key="gpt_source").set_value("your text").run()
    at.select_slider(key="gpt_own_n").set_value(25).run()
    at.text_area(key="gpt_paste").input("<b>too short</b> 😀").run()
    at.button(key="gpt_own_train").click().run()
    assert_clean(at)
    assert len(at.error) == 1 and "only 18 characters" in at.error[0].value
    assert not at.session_state["learner_models"]
    text = "Roses are red, violets are blue; <i>tags</i> and émoji 😀 are text too. " * 30
    at.text_area(key="gpt_paste").input(text).run()
    at.button(key="gpt_own_train").click().run()
    assert_clean(at)
    own = learner(at, f"GPT: your text, {len(text):,} characters")
    assert own.steps == 25 and own.run.corpus.vocab.to_list() == own.meta["vocab"]
    at.radio(key="gpt_model").set_value("mine").run()
    assert_clean(at)
    assert "never seen" in at.error[0].value  # the default prompt has letters this text lacks ('k', 'h', 'w')
    at.text_input(key="gpt_prompt").input("Roses 😀").run()
    assert_clean(at)
    assert not at.error and len(charts(at)) == DEFAULT_CHARTS + 1


def test_step_layer_and_head_pick_the_attention_shown_and_the_link_carries_them():
    """tests/test_links_labs.py reads bound widgets from the page's source; these live in seqviz/ui/gpt.py."""
    from test_classroom import link_of, query_of

    at = open_page(PAGE)
    at.slider(key="gpt_step").set_value(9).run()
    at.selectbox(key="gpt_layer").set_value(1).run()
    at.selectbox(key="gpt_head").set_value(2).run()
    assert_clean(at)
    assert "Step **9**" in " ".join(m.value for m in at.markdown) and "Layer 2, head 3" in captions(at)
    fresh = open_page(PAGE, query_of(link_of(at)))
    assert_clean(fresh)
    assert (fresh.slider(key="gpt_step").value, fresh.selectbox(key="gpt_layer").value,
            fresh.selectbox(key="gpt_head").value) == (9, 1, 2)
    assert "Layer 2, head 3" in captions(fresh)
