"""Tier 4, pages: the transformer lesson under AppTest: the default view, picking attention kind, layer and
head, switching heads off, the predict-then-reveal questions, and bad input (empty text, 10,000 characters,
emoji, HTML, unknown words, out-of-range layer/head and unknown heads in the URL)."""

import pytest

from seqviz import ui
from conftest import assert_clean, open_page

PAGE = "pages/transformer_translation.py"
# head grid, enlarged head, causal map, cross beside the RNN, FFN, positions, 2 residual norms, accuracy by length
CHARTS = 9
SUBHEADERS = ["The equations", "Every layer and head", "The decoder's masked self-attention",
              "Cross-attention beside the RNN's attention", "Feed-forward activations", "Positional encodings",
              "The residual stream through the layers", "Switch heads off",
              "Transformer and RNN with attention on the same test split"]


def charts(at):
    return at.get("plotly_chart")


def markdown(at):
    return " ".join(m.value for m in at.markdown)


def test_default_view_shows_every_section():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error
    assert [h.value for h in at.subheader] == SUBHEADERS
    assert len(charts(at)) == CHARTS
    latex = " ".join(l.value for l in at.latex)
    assert r"\frac{Q K^\top}{\sqrt{d}}" in latex and r"W^O" in latex and r"\mathrm{ReLU}(W_1 x + b_1)" in latex
    assert "(matches)" in markdown(at)  # the shipped model translates the example sentence exactly
    table = at.dataframe[0].value
    assert list(table["model"]) == ["Transformer (encoder-decoder)", "GRU encoder-decoder with attention"]
    assert (table["exact match (test)"] >= 0.95).all()


def test_picking_kind_layer_and_head_redraws_the_views():
    at = open_page(PAGE)
    for kind in ("encoder", "decoder", "cross"):
        at.segmented_control(key="transformer_kind").set_value(kind).run()
        at.selectbox(key="transformer_layer").set_value(2).run()
        at.selectbox(key="transformer_head").set_value(3).run()
        assert_clean(at)
        assert len(charts(at)) == CHARTS
        assert at.caption[0].value.startswith(tui_title(kind))
        assert "layer 2" in at.caption[1].value and "head 3" in at.caption[1].value  # the enlarged head's title
    assert "transformer: layer 2, head 3" in str(charts(at)[3].proto.spec)
    at.toggle(key="transformer_mean").set_value(True).run()
    assert_clean(at)
    assert "mean of the heads" in str(charts(at)[3].proto.spec)


def tui_title(kind: str) -> str:
    from seqviz.plotting.transformer import KIND_TITLES

    return KIND_TITLES[kind]


def test_switching_heads_off_shows_the_new_translation_and_probabilities():
    at = open_page(PAGE)
    ms = at.multiselect(key="transformer_off")
    every = list(ms.options)
    assert len(every) == 3 * 2 * 4
    ms.set_value(every).run()  # every head off: the model can no longer translate
    assert_clean(at)
    assert len(charts(at)) == CHARTS + 1
    assert "With 24 heads off" in markdown(at) and "(a different translation)" in markdown(at)


def test_predict_then_reveal_questions_answer_with_the_models_numbers():
    at = open_page(PAGE)
    at.radio(key="transformer_mask_guess").set_value("exactly 0").run()
    assert_clean(at)
    assert at.success and "weight 0.0 on the last one" in " ".join(m.value for m in at.markdown)
    at.radio(key="transformer_ablate_cross_guess").set_value("it changes").run()
    assert_clean(at)
    assert "cross-attention heads of layer 2 off" in markdown(at)


BAD_TEXT = [
    ("", "Type a sentence"),
    ("the cat " * 5000, "characters"),
    ("the cat sees 😀", "never seen"),
    ("<script>alert(1)</script> <b>bold</b>", "never seen"),
    ("the zebra eats the flower", "'zebra'"),
]


def test_bad_text_gets_one_sentence_and_the_page_keeps_working():
    at = open_page(PAGE)
    at.multiselect(key="transformer_off").set_value(["cross 2.1"]).run()  # a setting the learner made
    for text, fragment in BAD_TEXT:
        at.text_input(key="transformer_text").set_value(text).run()
        assert_clean(at)
        assert len(at.error) == 1 and fragment in at.error[0].value, text[:40]
        assert len(charts(at)) == CHARTS + 1  # the example sentence is shown instead, ablation included
        assert at.multiselect(key="transformer_off").value == ["cross 2.1"]  # nothing in the session is lost
    at.text_input(key="transformer_text").set_value("the cat the dog sees").run()  # outside the grammar
    assert_clean(at)
    assert not at.error and len(at.warning) == 1 and "no reference" in at.warning[0].value


def test_a_bad_sentence_in_the_url_gets_one_sentence():
    at = open_page(PAGE, {"transformer_text": "<b>the</b> 😀 cat"})
    assert_clean(at)
    assert len(at.error) == 1 and len(charts(at)) == CHARTS


@pytest.mark.parametrize("query", [
    {"transformer_layer": "7", "transformer_head": "99"},
    {"transformer_layer": "-1", "transformer_head": "0"},
    {"transformer_kind": "everything", "transformer_off": ["cross 9.9", "encoder 1.1"]},
])
def test_out_of_range_values_in_the_url_fall_back(query):
    at = open_page(PAGE, query)
    assert_clean(at)
    assert not at.error and len(charts(at)) >= CHARTS


def test_traces_are_cached_by_plain_values():
    a = ui.trace("translation-transformer", "he sees them")
    b = ui.trace("translation-transformer", "he sees them")
    assert a is b or (a.output_tokens == b.output_tokens)
    assert a.output_tokens == ["il", "les", "voit", "<eos>"]


def test_the_link_carries_the_widgets_inside_the_fragments():
    """tests/test_links_labs.py reads bound widgets from the page's source; these live in seqviz/ui/transformer.py."""
    from test_classroom import link_of, query_of

    at = open_page(PAGE)
    at.toggle(key="transformer_mean").set_value(True).run()
    at.multiselect(key="transformer_off").set_value(["cross 2.1", "encoder 1.3"]).run()
    assert_clean(at)
    fresh = open_page(PAGE, query_of(link_of(at)))
    assert_clean(fresh)
    assert fresh.toggle(key="transformer_mean").value is True
    assert sorted(fresh.multiselect(key="transformer_off").value) == ["cross 2.1", "encoder 1.3"]
    assert "With 2 heads off" in markdown(fresh) and "mean of the heads" in str(charts(fresh)[3].proto.spec)


def test_junk_in_the_fragments_widgets_falls_back():
    at = open_page(PAGE, {"transformer_mean": "maybe", "transformer_off": ["<b>x</b>", "cross 2.1"]})
    assert_clean(at)
    assert not at.error and len(charts(at)) >= CHARTS
