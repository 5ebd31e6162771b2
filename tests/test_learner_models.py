"""Tier 4, pages: every lab's "train your own" writes the one store, and the checkpoint explorer lists it.

For each page with a training block (seqviz.ui.training.train_your_own: its Train button's key ends in
"_train"), AppTest presses Train once with the smallest step count; the model must then be in the session's
store (seqviz.ui.store) under that lab, have taken the steps asked for, and appear in the checkpoint
explorer of the same session, with its download buttons when it is a seqviz checkpoint. The pages are found
by reading every page in the registry, so a lab that trains without the shared block fails here.
"""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from seqviz import labs
from seqviz.checkpoints import checkpoint_bytes, parse_checkpoint

ROOT = Path(__file__).resolve().parent.parent
EXPLORER = "pages/checkpoint_explorer.py"
TRAINS = {"rnn", "compare", "word2vec", "glove", "sentiment", "translation", "speech", "gpt"}  # pages with Train
TRAINING_PAGES = [p for p in labs.all_pages() if p.url_path in TRAINS]


def train_once(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    buttons = [b for b in at.button if (b.key or "").endswith("_train")]
    assert buttons, f"{path} has no shared Train button (training.train_your_own)"
    button = buttons[0]
    steps = [s for s in at.select_slider if s.key == button.key.removesuffix("_train") + "_n"]
    if steps:
        steps[0].set_value(min(steps[0].options, key=lambda o: int(str(o).replace(",", ""))))
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_every_page_that_trains_uses_the_shared_block():
    """A page (or its lab's ui module) that trains calls training.train_your_own; no other page trains."""
    sources = {p.url_path: (ROOT / p.path).read_text() for p in labs.all_pages()}
    ui_sources = "".join(f.read_text() for f in (ROOT / "seqviz" / "ui").glob("*.py") if f.name != "training.py")
    assert {p.url_path for p in TRAINING_PAGES} == TRAINS and "train_your_own(" in ui_sources + "".join(sources.values())
    for url, text in sources.items():
        assert "TrainingRun.start(" not in text, f"/{url} builds its own training run instead of the shared block"


@pytest.mark.parametrize("page", TRAINING_PAGES, ids=lambda p: p.url_path)
def test_a_trained_model_reaches_the_store_and_the_explorer(page):
    at = train_once(page.path)
    stored = at.session_state["learner_models"] if "learner_models" in at.session_state else {}
    lab = labs.lab_of_page(page.url_path).name
    mine = [m for m in stored.values() if m.lab == lab]
    assert mine, f"training on {page.url_path} left no model of lab {lab!r} in the store"
    model = mine[-1]
    assert model.steps > 0
    if model.meta is not None:  # a seqviz checkpoint: the download reopens as the same weights
        weights, config = checkpoint_bytes(model.model, {"name": "roundtrip", **model.meta})
        again = parse_checkpoint(weights, config)
        for (k, a), (k2, b) in zip(model.model.state_dict().items(), again.model.state_dict().items()):
            assert k == k2 and a.shape == b.shape and bool((a == b).all()), k
    at.switch_page(EXPLORER).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = " ".join(str(el.value) for kind in ("markdown", "caption", "subheader", "expander", "text")
                     for el in getattr(at, kind, []) if hasattr(el, "value")) + " ".join(
        str(getattr(e, "label", "")) for e in at.get("expander"))
    assert model.label in shown, f"the checkpoint explorer does not list {model.label!r}"
