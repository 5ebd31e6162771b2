"""The classroom kit (issue #10): shareable links, presenter mode, export settings, captions,
predict-then-reveal questions, the teacher's guide, and the themes. AppTest runs the real app.py;
figure restyling is tested as a pure function.
"""

from __future__ import annotations

import ast
import json
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import plotly.graph_objects as go
import pytest

from seqviz import guide
from seqviz.plotting import styling
from seqviz.ui import all_pages, classroom
from conftest import ROOT, assert_clean, open_page

# the lessons this kit retrofitted (other topics' pages get the same machinery through ui.plot)
LESSONS = {"rnn": "pages/rnn_basics.py", "gates": "pages/rnn_gates.py", "gradients": "pages/rnn_gradients.py",
           "bidirectional": "pages/rnn_bidirectional.py", "compare": "pages/rnn_compare.py",
           "attention": "pages/attention_basics.py", "translation": "pages/attention_translation.py"}

# per lesson: widgets set to non-default values, in order (kind as AppTest names it, key, value)
CHANGES = {
    "rnn": [("text_input", "rnn_text", "((a))"), ("slider", "rnn_t", 3), ("selectbox", "rnn_unit", 2),
            ("button_group", "rnn_model", "mine")],
    "gates": [("selectbox", "gates_model", "recall-gru"), ("slider", "gates_t", 5), ("selectbox", "gates_unit", 3),
              ("multiselect", "gates_force", [1, 2]), ("button_group", "gates_value", 1)],
    "gradients": [("toggle", "grad_relative", True), ("select_slider", "grad_scale", 2.0), ("slider", "grad_k", 4),
                  ("button_group", "grad_base", "trained")],
    "bidirectional": [("text_input", "bi_text", "abxab"), ("slider", "bi_t", 2), ("selectbox", "bi_compare", "gru")],
    "compare": [("number_input", "cmp_lag", 20), ("number_input", "cmp_seed", 3),
                ("multiselect", "cmp_archs", ["lstm", "gru"]), ("checkbox", "cmp_gate", False),
                ("select_slider", "cmp_lr", 1e-2)],
    "attention": [("text_input", "attn_text", "a b c d"), ("radio", "attn_scoring", "dot"),
                  ("select_slider", "attn_temp", "0.5"), ("toggle", "attn_causal", True), ("selectbox", "attn_query", 2)],
    "translation": [("slider", "tr_step", 2), ("slider", "tr_beam", 4)],
}


def widget(at, kind: str, key: str):
    return next(w for w in at.get(kind) if w.key == key)


def link_of(at) -> str:
    codes = at.sidebar.get("code")
    assert len(codes) == 1, "one link to this view in the sidebar"
    return codes[0].value


def query_of(link: str) -> dict:
    parsed = parse_qs(urlsplit(link).query, keep_blank_values=True)
    return {k: v if len(v) > 1 else v[0] for k, v in parsed.items()}


def calls(path: str, name: str) -> list[ast.Call]:
    tree = ast.parse((ROOT / path).read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Attribute) and n.func.attr == name) or (isinstance(n.func, ast.Name) and n.func.id == name))]


def plotly_configs(at) -> list[dict]:
    return [json.loads(c.proto.config) for c in at.get("plotly_chart")]


def plotly_specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# -- shareable state ------------------------------------------------------------------------------
def test_every_lesson_is_covered_here():
    lessons = {p.url_path for p in all_pages() if p.path in LESSONS.values()}
    assert lessons == set(LESSONS) == set(CHANGES)


def test_a_default_view_links_to_the_bare_page():
    at = open_page(LESSONS["rnn"])
    assert link_of(at) == "/rnn"


def test_the_link_follows_a_change_made_after_opening_a_link():
    """Streamlit's own copy of the query string is not refreshed on same-page reruns; the link must be."""
    at = open_page(LESSONS["rnn"], {"rnn_t": "2"})
    widget(at, "slider", "rnn_t", ).set_value(6).run()
    assert query_of(link_of(at)) == {"rnn_t": "6"}


# -- presenter mode --------------------------------------------------------------------------------
def test_presenter_mode_from_the_url_enlarges_figures_and_text():
    plain = open_page(LESSONS["rnn"])
    shown = open_page(LESSONS["rnn"], {"presenter": "1"})
    assert_clean(shown)
    assert shown.session_state["presenter"] is True and widget(shown, "toggle", "presenter").value
    assert any(classroom.PRESENTER_CSS == m.value for m in shown.markdown)
    assert not any(classroom.PRESENTER_CSS == m.value for m in plain.markdown)
    for a, b in zip(plotly_specs(plain), plotly_specs(shown)):
        assert b["layout"]["height"] > a["layout"]["height"]
        assert b["layout"]["font"]["size"] > a["layout"]["font"].get("size", styling.BASE_FONT)
    assert query_of(link_of(shown)) == {"presenter": "1"}


@pytest.mark.parametrize("raw, on", [("1", True), ("true", True), ("0", False), ("no", False), ("<b>x</b>", False)])
def test_presenter_url_values(raw, on):
    at = open_page(LESSONS["attention"], {"presenter": raw})
    assert_clean(at)
    assert at.session_state["presenter"] is on


def test_presenter_switch_writes_the_url_and_keeps_across_pages():
    at = open_page(LESSONS["rnn"])
    widget(at, "toggle", "presenter").set_value(True).run()
    assert at.query_params.get("presenter") in ("1", ["1"])
    at.switch_page(LESSONS["gates"]).run()
    assert at.session_state["presenter"] is True and len(at.sidebar.get("toggle")) == 3
    widget(at, "toggle", "presenter").set_value(False).run()
    assert "presenter" not in at.query_params
    assert not any(classroom.PRESENTER_CSS == m.value for m in at.markdown)


def test_teacher_hides_explanations_and_code():
    full = open_page(LESSONS["gates"], {"presenter": "1"})
    lean = open_page(LESSONS["gates"], {"presenter": "1", "hide_text": "1", "hide_code": "1"})
    assert_clean(lean)
    assert any(e.label == "Show the code" for e in full.expander)
    assert not any(e.label == "Show the code" for e in lean.expander)
    assert len(lean.markdown) < len(full.markdown)
    assert len(lean.get("plotly_chart")) == len(full.get("plotly_chart")) > 0  # the figures stay
    assert {r.key for r in lean.radio} == {r.key for r in full.radio}  # and so do the questions
    assert query_of(link_of(lean)) == {"presenter": "1", "hide_text": "1", "hide_code": "1"}


def test_hide_switches_do_nothing_outside_presenter_mode():
    at = open_page(LESSONS["gates"], {"hide_text": "1", "hide_code": "1"})
    assert any(e.label == "Show the code" for e in at.expander)
    assert classroom.PRESENTER_CSS not in [m.value for m in at.markdown]


# -- export ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt, scale", [("PNG", 2), ("SVG", 1)])
def test_every_figure_exports_in_the_chosen_format_with_its_name(fmt, scale):
    at = open_page(LESSONS["rnn"])
    if fmt != "PNG":
        widget(at, "button_group", "export_format").set_value(fmt).run()
    configs = plotly_configs(at)
    assert len(configs) == 4
    names = [c["toImageButtonOptions"]["filename"] for c in configs]
    assert names == ["seqviz-rnn-hidden-state", "seqviz-rnn-step-1", "seqviz-rnn-trajectory", "seqviz-rnn-predictions"]
    for c in configs:
        opts = c["toImageButtonOptions"]
        assert opts["format"] == fmt.lower() and opts["scale"] == scale and opts["width"] == classroom.EXPORT_WIDTH
        assert opts["height"] > 0 and "toImage" in c["modeBarButtonsToAdd"]


def test_csv_download_beside_each_figure():
    at = open_page(LESSONS["rnn"])
    assert len(at.get("download_button")) == len(at.get("plotly_chart")) == 4


# -- captions and questions ------------------------------------------------------------------------
# every page of the navigation that draws figures through ui.plot, not only the lessons above
FIGURE_PAGES = [p.path for p in all_pages() if "ui.plot(" in (ROOT / p.path).read_text()]


@pytest.mark.parametrize("path", FIGURE_PAGES)
def test_every_figure_has_a_caption(path):
    assert set(LESSONS.values()) <= set(FIGURE_PAGES)
    plots = calls(path, "plot")
    assert plots, path
    for call in plots:
        caption = next((k.value for k in call.keywords if k.arg == "caption"), None)
        assert caption is not None, f"{path}:{call.lineno}: ui.plot without caption="
        assert not (isinstance(caption, ast.Constant) and not (isinstance(caption.value, str) and caption.value.strip())), \
            f"{path}:{call.lineno}: an empty caption"


def test_captions_are_shown_under_the_figures():
    at = open_page(LESSONS["rnn"])
    captions = [c.value for c in at.caption]
    assert any(c.startswith("The hidden state $h_t$") for c in captions)
    assert any(c.startswith("The path of $h_t$") for c in captions)


def test_exactly_one_option_is_right():
    at = open_page(LESSONS["rnn"])
    for q in [r for r in at.radio if r.key and r.key.endswith("_guess")]:
        right = 0
        for option in q.options:
            widget(at, "radio", q.key).set_value(option).run()
            right += sum(s.value.startswith("Yes:") for s in at.success)
        assert right == 1, q.key
        widget(at, "radio", q.key).set_value(None).run()


# -- the teacher's guide ------------------------------------------------------------------------------
def test_guide_plans_fill_fifty_minutes_and_name_real_pages():
    pages = {p.url_path for p in all_pages()}
    for section, steps in guide.PLANS.items():
        assert guide.minutes(steps) == guide.LESSON_MINUTES, section
        assert {s.url_path for s in steps} <= pages, section
    assert guide.steps_for("Attention", {"attention"}) == [s for s in guide.PLANS["Attention"] if s.url_path == "attention"]
    assert guide.steps_for("No such section", pages) == []


def test_guide_page_links_open_the_right_views():
    at = open_page("pages/teachers_guide.py")
    assert_clean(at)
    links = [l.proto for l in at.get("page_link")]
    assert all(l.page_script_hash for l in links)
    planned = [s for steps in guide.PLANS.values() for s in steps]
    with_query = [l for l in links if l.query_string]
    assert len(with_query) == sum(1 for s in planned if s.query)
    seen = set()
    for step in planned:  # every view every plan links to (each plan's steps, with or without settings)
        view_id = (step.url_path, tuple(sorted(step.query.items())))
        if view_id in seen:
            continue
        seen.add(view_id)
        spec = next(p for p in all_pages() if p.url_path == step.url_path)
        view = open_page(spec.path, step.query)
        assert_clean(view)
        assert not view.error, [e.value for e in view.error]
        for key, raw in step.query.items():
            assert str(view.session_state[key]).lower() == raw.lower() or float(view.session_state[key]) == float(raw), key
    # sections without a plan (other topics) get their pages listed
    planless = [s for s, pages in ui_sections().items() if s not in guide.PLANS and s != "Start" and pages]
    for section in planless:
        assert any(h.value == section for h in at.header)


def ui_sections():
    from seqviz.labs import navigation

    return navigation()


# -- figures for the projector and the dark theme -------------------------------------------------
def _figure() -> go.Figure:
    fig = go.Figure(go.Scatter(x=[1, 2, 3], y=[3, 1, 2], mode="lines+markers", marker=dict(size=10, color="black")))
    fig.add_trace(go.Heatmap(z=[[0, 1], [1, 0]], textfont=dict(size=14)))
    fig.update_layout(height=300, font=dict(size=16), title="h<sub>t</sub> over time", plot_bgcolor="white")
    fig.update_xaxes(tickfont=dict(size=20))
    fig.add_vrect(x0=1, x1=2, line=dict(color="black", width=3))
    return fig


def test_presenter_styling_enlarges_a_copy():
    fig = _figure()
    before = fig.to_dict()
    big = styling.for_view(fig, presenter=True)
    assert fig.to_dict() == before  # the caller's figure is untouched
    assert big.layout.height == pytest.approx(300 * styling.HEIGHT_SCALE)
    assert big.layout.font.size == pytest.approx(16 * styling.FONT_SCALE)
    assert big.layout.xaxis.tickfont.size == pytest.approx(20 * styling.FONT_SCALE)
    assert big.data[0].line.width >= styling.LINE_MIN and big.data[0].marker.size == pytest.approx(14)
    assert big.data[1].textfont.size == pytest.approx(14 * styling.FONT_SCALE)
    assert big.layout.shapes[0].line.width == pytest.approx(6)
    assert big.data[0].marker.color == "black" and big.layout.plot_bgcolor == "white"  # colours kept in light


def test_dark_styling_swaps_black_ink_only():
    dark = styling.for_view(_figure(), dark=True)
    assert dark.data[0].marker.color == styling.DARK_INK and dark.layout.shapes[0].line.color == styling.DARK_INK
    assert dark.layout.plot_bgcolor is None
    assert dark.layout.font.size == 16 and dark.layout.height == 300  # sizes untouched
    assert styling.for_view(_figure()) is not None and styling.title_of(_figure()) == "ht over time"


def test_both_themes_are_configured():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert {"light", "dark"} <= set(config["theme"]) and "base" not in config["theme"]
    assert config["browser"]["gatherUsageStats"] is False
