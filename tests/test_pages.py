"""Tier 4, pages: every page in the navigation runs under AppTest, and its main widgets work."""


import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, TIMEOUT, assert_clean, open_page  # noqa: F401 - shared helpers, also imported from here
from seqviz.ui import all_pages


def test_the_routers_page_list_is_the_registrys():
    """app.py's docstring shows a reader the navigation; it must say what the registry builds."""
    import ast

    from seqviz import labs

    doc = ast.get_docstring(ast.parse((ROOT / "app.py").read_text()))
    listed = [line.strip() for line in doc.splitlines() if line.startswith("  ") and "(" in line]
    assert listed == [f"{lab.title} ({lab.name}): " + ", ".join(p.path.removeprefix("pages/") for p in lab.pages)
                      for lab in labs.LABS if lab.pages]


def test_every_page_file_is_in_the_navigation():
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*.py")}
    assert files == {p.path for p in all_pages()}, "a page exists that the navigation (and so this test) skips"


@pytest.mark.parametrize("page", all_pages(), ids=lambda p: p.url_path)
def test_page_runs_without_exception(page):
    at = open_page(page.path)
    assert_clean(at)
    assert at.title, "every page has a title"
    assert not at.error, [e.value for e in at.error]


def test_home_links_every_lesson():
    at = open_page("pages/home.py")
    links = at.get("page_link")
    assert all(el.proto.page_script_hash for el in links)  # each resolves to a registered page
    lessons = {p.title for p in all_pages() if p.url_path != "home"}
    labels = {el.proto.label for el in links} - {"The teacher's guide: a 50-minute lesson per section"}
    assert lessons and labels == lessons


# -- the vanilla RNN lesson --------------------------------------------------------------------
RNN = "pages/rnn_basics.py"


def test_rnn_lesson_shows_every_view_for_the_default_text():
    at = open_page(RNN)
    assert_clean(at)
    assert [h.value for h in at.header][:4] == [
        "1. The hidden state over time", "2. Step 1, every number",
        "3. The path of the hidden state", "4. What the model predicts after every step"]
    assert len(at.get("plotly_chart")) == 4
    assert any("tanh" in l.value and "W_{hh}" in l.value for l in at.latex)


def test_rnn_step_slider_and_unit_write_out_the_equation():
    at = open_page(RNN)
    at.slider(key="rnn_t").set_value(5).run()
    at.selectbox(key="rnn_unit").set_value(3).run()
    assert_clean(at)
    assert at.header[1].value == "2. Step 5, every number"
    assert any(r"a_{5}[3]" in l.value and r"h_{5}[3] = \tanh" in l.value for l in at.latex)


def test_rnn_typed_text_updates_and_shorter_text_clamps_the_step():
    at = open_page(RNN)
    at.slider(key="rnn_t").set_value(12).run()
    at.text_input(key="rnn_text").input("((a))").run()
    assert_clean(at)
    assert at.slider(key="rnn_t").value == 5
    assert at.metric[0].value == "5 / 5"  # the shipped model counts this one right


def test_rnn_text_from_the_url_is_used():
    at = open_page(RNN, {"rnn_text": "(x)", "rnn_t": "2"})
    assert_clean(at)
    assert at.text_input(key="rnn_text").value == "(x)"
    assert at.header[1].value == "2. Step 2, every number"


@pytest.mark.parametrize("text, fragment", [
    ("", "at least one character"),
    ("(" * 10_000, "10,000 characters"),
    ("(a)😀", "😀"),
    ("<script>alert('x')</script>", "'<'"),
    ("Hello (World)", "'H'"),
])
def test_rnn_bad_text_gets_a_message_and_the_page_keeps_working(text, fragment):
    at = open_page(RNN)
    at.text_input(key="rnn_text").input(text).run()
    assert_clean(at)
    assert len(at.error) == 1 and fragment in at.error[0].value
    assert len(at.get("plotly_chart")) == 0
    assert at.header[-1].value == "5. Train your own"  # training stays available
    at.text_input(key="rnn_text").input("(ok)").run()
    assert not at.error and len(at.get("plotly_chart")) == 4


def test_rnn_unbalanced_text_gets_a_note_not_an_error():
    at = open_page(RNN)
    at.text_input(key="rnn_text").input("a))(").run()
    assert_clean(at)
    assert not at.error and "never opened" in at.warning[0].value
    assert len(at.get("plotly_chart")) == 4


def test_rnn_my_model_before_training_falls_back_to_the_shipped_one():
    at = open_page(RNN)
    at.session_state["rnn_model"] = "mine"
    at.run()
    assert_clean(at)
    assert any("not trained a model" in i.value for i in at.info)


def _train_rnn(at: AppTest, steps: int):
    at.select_slider(key="rnn_n").set_value(steps).run()
    at.button(key="rnn_train").click().run()
    assert_clean(at)
    return at.session_state["learner_models"]["Vanilla RNN, bracket depth"]


def test_rnn_training_puts_the_model_in_the_store_and_never_touches_the_shipped_model(shipped):
    from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint

    before = {k: v.clone() for k, v in shipped.model.state_dict().items()}
    at = open_page(RNN)
    m = _train_rnn(at, 10)
    assert m.lab == "recurrent" and m.steps == 10 and m.extra["metrics"]["step"] == 10
    assert at.session_state["rnn_model"] == "mine"  # the views switch to the learner's model
    assert "Steps trained" in [x.label for x in at.metric]
    # the store's entry downloads as a checkpoint that opens again with the same weights
    weights, text = checkpoint_bytes(m.model, {"name": "x", **m.meta})
    reopened = parse_checkpoint(weights, text)
    assert reopened.task == shipped.task
    for k, v in reopened.model.state_dict().items():
        assert v.equal(m.model.state_dict()[k])
    # a widget touched afterwards keeps the model; the next click continues it
    at.slider(key="rnn_t").set_value(3).run()
    assert at.session_state["learner_models"]["Vanilla RNN, bracket depth"] is m and m.steps == 10
    assert _train_rnn(at, 10) is m and m.steps == 20
    for k, v in shipped.model.state_dict().items():  # shipped weights untouched (same process cache)
        assert v.equal(before[k])
    # the checkpoint explorer offers it for download
    at.switch_page("pages/checkpoint_explorer.py").run()
    assert_clean(at)
    assert {"vanilla-rnn-bracket-depth.safetensors", "vanilla-rnn-bracket-depth.json"} <= {
        b.proto.label for b in at.get("download_button")}
    at.switch_page(RNN).run()
    at.button(key="rnn_reset").click().run()  # Start over
    assert "Vanilla RNN, bracket depth" not in at.session_state["learner_models"]


def test_rnn_training_from_the_checkpoint_copies_it():
    at = open_page(RNN)
    at.radio(key="rnn_origin").set_value("the shipped checkpoint").run()
    m = _train_rnn(at, 10)
    assert m.settings["origin"] == "the shipped checkpoint" and m.extra["metrics"]["step_accuracy"] > 0.95
