"""Tier 4, pages: the vanishing-gradient lesson's widgets, numbers and bad inputs under AppTest."""

import random

import pytest
import torch
from conftest import assert_clean, open_page

from seqviz import gradients as G
from seqviz import zoo
from seqviz import labs

PAGE = "pages/rnn_gradients.py"
HEADERS = ["1. The gradient at every step", "2. Scale the vanilla RNN's recurrent weights",
           "3. Why: a product of Jacobians"]


def metric(at, start: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(start))


def markdown_with(at, fragment: str) -> str:
    return next(m.value for m in at.markdown if fragment in m.value)


@pytest.fixture(scope="module")
def rho():
    return {"init": G.initial_model(labs.recurrent.RECIPES["recall-rnn"]).spectral_radius(),
            "trained": zoo.load("recall-rnn").model.spectral_radius()}


def test_default_view_shows_every_section_for_a_sample_of_the_task():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and [h.value for h in at.header] == HEADERS
    assert len(at.get("plotly_chart")) == 4
    task = labs.recurrent.RECIPES["recall-rnn"].task
    assert at.text_input(key="grad_text").value == task.sample(random.Random(0))
    assert any(r"\operatorname{diag}\!\left(1 - h_t^2\right) W_{hh}" in l.value for l in at.latex)
    assert any(r"\operatorname{diag}(f_t)" in l.value for l in at.latex)
    text = markdown_with(at, "Read the curves")
    assert all(name in text for name in ("Vanilla RNN", "LSTM", "GRU"))


def test_the_scale_slider_scales_the_spectral_radius_and_the_verdict_follows(rho):
    at = open_page(PAGE)
    assert float(metric(at, "Spectral radius")) == pytest.approx(rho["init"], abs=0.006)
    at.select_slider(key="grad_scale").set_value(0.5).run()
    assert_clean(at)
    assert float(metric(at, "Spectral radius")) == pytest.approx(0.5 * rho["init"], abs=0.006)
    assert "the gradient vanishes" in markdown_with(at, "With $\\rho")
    assert float(metric(at, "Average factor")) < 0.9
    at.select_slider(key="grad_scale").set_value(10.0).run()
    assert_clean(at)
    assert float(metric(at, "Spectral radius")) == pytest.approx(10 * rho["init"], abs=0.06)
    said = markdown_with(at, "With $\\rho")
    assert "the gradient explodes" in said and "saturated" in said
    assert float(metric(at, "‖∂L/∂h_1‖")) > 1
    assert any("W_hh × 10" in c.value for c in at.caption)  # section 3 uses the scaled model


def test_the_trained_rnn_can_be_scaled_too(rho):
    at = open_page(PAGE)
    at.segmented_control(key="grad_base").set_value("trained").run()
    assert_clean(at)
    assert float(metric(at, "Spectral radius")) == pytest.approx(rho["trained"], abs=0.006)


def test_step_k_writes_out_the_bound_and_the_jacobian():
    at = open_page(PAGE)
    at.slider(key="grad_k").set_value(10).run()
    assert_clean(at)
    said = markdown_with(at, "back to $k = 10$")
    assert r"\|J_T \cdots J_{11}\|" in said and "autograd" in said
    assert at.subheader[-1].value == "One step: the Jacobian $J_{10}$"
    assert r"\|J_{10}\|" in markdown_with(at, "Row $i$ of $J_{10}$")


def test_a_shorter_text_clamps_the_step_and_gets_a_lag_note():
    at = open_page(PAGE)
    at.slider(key="grad_k").set_value(40).run()
    at.text_input(key="grad_text").input("c0123456789").run()
    assert_clean(at)
    assert at.slider(key="grad_k").value == 11
    assert "lag of 10" in at.warning[0].value and not at.error
    assert len(at.get("plotly_chart")) == 4


def test_the_view_comes_from_the_url():
    at = open_page(PAGE, {"grad_text": "e98765", "grad_scale": "2", "grad_k": "3", "grad_base": "trained"})
    assert_clean(at)
    assert at.text_input(key="grad_text").value == "e98765"
    assert at.select_slider(key="grad_scale").value == 2.0
    assert at.segmented_control(key="grad_base").value == "trained"
    assert at.subheader[-1].value == "One step: the Jacobian $J_{3}$"


def test_another_example_draws_a_new_valid_text_and_the_toggle_divides_by_the_end():
    at = open_page(PAGE)
    first = at.text_input(key="grad_text").value
    at.button[0].click().run()  # "Another example"
    assert_clean(at)
    text = at.text_input(key="grad_text").value
    assert text != first and text[0] in "abcdefgh" and not at.error
    at.toggle(key="grad_relative").set_value(True).run()
    assert_clean(at)
    assert len(at.get("plotly_chart")) == 4


@pytest.mark.parametrize("text, fragment", [
    ("", "Type some text"),
    ("01234", "Start the text with the symbol"),
    ("a01😀", "😀"),
    ("<script>alert(1)</script>", "'<'"),
    ("a" + "0" * 300, "the limit is"),
])
def test_bad_text_gets_one_sentence_and_the_page_recovers(text, fragment):
    at = open_page(PAGE)
    at.text_input(key="grad_text").input(text).run()
    assert_clean(at)
    assert len(at.error) == 1 and fragment in at.error[0].value
    assert len(at.get("plotly_chart")) == 0
    at.text_input(key="grad_text").input("h0000").run()
    assert_clean(at)
    assert not at.error and len(at.get("plotly_chart")) == 4


def test_the_page_never_changes_the_cached_shipped_models():
    from seqviz import ui

    cached = {c: ui.load_shipped(f"recall-{c}").model for c in G.ARCHS}
    before = {c: {k: v.clone() for k, v in m.state_dict().items()} for c, m in cached.items()}
    at = open_page(PAGE, {"grad_scale": "5", "grad_base": "trained"})
    assert_clean(at)
    for c, m in cached.items():
        assert ui.load_shipped(f"recall-{c}").model is m  # the same cached object the page used
        for k, v in m.state_dict().items():
            assert torch.equal(v, before[c][k])
