"""Tier 4, pages: the embedding explorer under AppTest: its views, the projection cache (a rerun after a
widget change never recomputes a projection it already has), session vectors, and bad input."""

import numpy as np
import pytest
from conftest import assert_clean, open_page

from seqviz import projection as proj
from seqviz import wordvectors as wvm
from seqviz import labs
from seqviz.labs import embeddings as E
from seqviz.checkpoints import CheckpointError
from seqviz import ui
from seqviz.ui import embeddings as ue
from seqviz.wordvectors import WordVectors

PAGE = "pages/embeddings_explorer.py"
HEADERS = ["1. The map", "2. Nearest neighbours", "3. Analogies: x − y + z", "4. How alike are these words?",
           "5. CBOW, skip-gram and GloVe side by side", "Predict, then reveal"]


def charts(at):
    return at.get("plotly_chart")


def text_of(at) -> str:
    return " ".join(m.value for m in [*at.markdown, *at.caption, *at.info, *at.warning])


@pytest.fixture
def counted(monkeypatch):
    """Count every projection actually computed, starting from an empty cache."""
    calls = []
    real = proj.project

    def counting(rows, method="pca", dims=2, seed=proj.SEED):
        calls.append((method, dims, len(rows)))
        return real(rows, method, dims, seed)

    ue._projection.clear()
    ue._side_by_side_figure.clear()
    monkeypatch.setattr(proj, "project", counting)
    yield calls
    ue._projection.clear()
    ue._side_by_side_figure.clear()


def test_the_shared_side_by_side_figure_is_never_changed_by_a_session():
    """The side-by-side maps are built once per server and shared: drawing them (plain, then in presenter mode,
    which restyles a copy) leaves the cached figure as built."""
    import json

    from plotly.utils import PlotlyJSONEncoder

    ue._side_by_side_figure.clear()
    at = open_page(PAGE)
    assert_clean(at)
    vectors = {m: E.shipped_vectors(m) for m in ue.SHIPPED}
    fig, _ = ue.side_by_side_figure(vectors, "pca", ["queen", "king"])
    before = json.dumps(fig.to_plotly_json(), cls=PlotlyJSONEncoder)
    for params in ({}, {"presenter": "1"}):
        at = open_page(PAGE, params)
        assert_clean(at)
        assert ue.side_by_side_figure(vectors, "pca", ["queen", "king"])[0] is fig
    assert json.dumps(fig.to_plotly_json(), cls=PlotlyJSONEncoder) == before
    assert len(charts(at)) == 3


def test_default_view_on_the_shipped_cbow_vectors():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and not at.warning
    assert [h.value for h in at.header] == HEADERS
    assert at.selectbox(key="explorer_source").value == "cbow"
    assert len(charts(at)) == 3  # map, similarity heatmap, side by side
    wv = E.shipped_vectors("cbow")
    neighbours = at.dataframe[0].value
    assert list(neighbours["word"]) == [w for w, _ in wvm.nearest(wv, "queen", 10)]
    analogy = at.dataframe[1].value
    assert list(analogy["word"]) == [w for w, _ in wvm.analogy(wv, "man", "king", "woman", 5)]
    assert not {"king", "man", "woman"} & set(analogy["word"])  # excluded by default
    assert f"of {len(wv.words):,} words projected" in text_of(at)
    assert [m.label.startswith("Built-in analogies") for m in at.metric][:1] == [True]
    assert "PCA" in text_of(at) and "of the variance" in text_of(at)


def test_the_three_methods_on_both_corpus_settings():
    at = open_page(PAGE)
    assert_clean(at)
    assert [s.value for s in at.subheader] == ["The three methods on both corpus settings"]
    table = at.dataframe[-1].value
    assert list(table["method"]) == ["CBOW", "skip-gram", "GloVe"]
    compare = E.load("words-glove-paired").meta["compare"]
    for row, key in enumerate(("cbow", "skipgram")):
        assert table["plain: analogies (%)"].iloc[row] == round(100 * E.load(E.file_name(key)).meta["metrics"]
                                                                ["analogy_accuracy"], 1)
        assert table["paired: analogies (%)"].iloc[row] == round(100 * compare[key]["analogy_accuracy"], 1)
    assert "GloVe the paired one" in text_of(at)


def test_the_paired_glove_vectors_are_a_source():
    wv = E.shipped_vectors("glove-paired")
    at = open_page(PAGE, {"explorer_source": ue.EXTRA["glove-paired"]})
    assert_clean(at)
    assert not at.error and at.selectbox(key="explorer_source").value == "glove-paired"
    assert list(at.dataframe[0].value["word"]) == [w for w, _ in wvm.nearest(wv, "queen", 10)]
    assert at.metric[0].value == f"{wvm.analogy_accuracy(wv, list(E.analogy_questions())):.0%}"


def test_widget_changes_never_recompute_a_projection_the_cache_has(counted):
    at = open_page(PAGE)
    assert_clean(at)
    first = len(counted)
    assert first == 4  # the map, and one map each for CBOW, skip-gram and GloVe side by side
    at.text_input(key="explorer_word").input("paris").run()
    at.slider(key="explorer_k").set_value(5).run()
    at.toggle(key="explorer_exclude").set_value(False).run()
    at.toggle(key="explorer_labels").set_value(False).run()
    at.text_input(key="explorer_words").input("king queen dog").run()
    at.text_input(key="explorer_search").input("queen").run()  # a word already drawn: the same list of words
    at.radio(key="explorer_q_inputs_guess").set_value("king").run()
    assert_clean(at)
    assert len(counted) == first, counted[first:]
    at.segmented_control(key="explorer_dims").set_value(3).run()
    assert_clean(at)
    assert counted[first:] == [("pca", 3, proj.DEFAULT_POINTS)]  # only the map changed; the side-by-side maps stay 2-D
    at.segmented_control(key="explorer_dims").set_value(2).run()
    at.slider(key="explorer_points").set_value(120).run()
    at.slider(key="explorer_points").set_value(proj.DEFAULT_POINTS).run()
    assert_clean(at)
    assert counted[first + 1:] == [("pca", 2, 120)]  # back to 2-D and the default words: cached


def test_tsne_in_3d_from_a_link():
    at = open_page(PAGE, {"explorer_method": "t-SNE", "explorer_dims": "3-D", "explorer_points": "150"})
    assert_clean(at)
    assert at.segmented_control(key="explorer_method").value == "tsne"
    fig = charts(at)[0].proto.spec
    assert '"scatter3d"' in fig and "t-SNE 3" in fig
    assert "KL divergence" in text_of(at) and "150 of" in text_of(at)


def test_the_exclusion_toggle_and_the_predictions_use_live_numbers():
    wv = E.shipped_vectors("glove")
    at = open_page(PAGE, {"explorer_source": "GloVe (shipped)"})  # a link carries what the widget shows
    assert at.selectbox(key="explorer_source").value == "glove"
    top_all = wvm.analogy(wv, "man", "king", "woman", 3, exclude_inputs=False)
    at.radio(key="explorer_q_inputs_guess").set_value("queen").run()
    assert_clean(at)
    revealed = text_of(at)
    assert f"**{top_all[0][0]}** (cos {top_all[0][1]:.3f})" in revealed
    assert (at.success if top_all[0][0] == "queen" else at.info)[0].value.endswith(f"{top_all[0][0]}.")
    at.toggle(key="explorer_exclude").set_value(False).run()
    assert list(at.dataframe[1].value["word"]) == [w for w, _ in wvm.analogy(wv, "man", "king", "woman", 5, False)]
    purity = {m: wvm.group_purity(E.shipped_vectors(m)) for m in ue.SHIPPED}
    best = max(purity, key=purity.get)
    at.radio(key="explorer_q_purity_guess").set_value(ue.SHIPPED["glove"]).run()
    assert_clean(at)
    assert f"{ue.SHIPPED[best]}: {purity[best]:.1%}" in text_of(at)


def fixture_vectors(n=40, d=8, groups=True):
    rng = np.random.default_rng(0)
    words = tuple(["😀", "<b>x</b>"] + [f"w{i}" for i in range(n - 2)])
    g = {w: f"g{i % 3}" for i, w in enumerate(words)} if groups else None
    return WordVectors(words, rng.normal(size=(n, d)).astype(np.float32), g, "fixture")


def test_session_vectors_are_listed_and_a_smaller_vocabulary_clamps_the_points():
    at = open_page(PAGE)
    at.slider(key="explorer_points").set_value(500).run()
    at.session_state["loaded_vectors"] = {"file: tiny.txt": fixture_vectors(groups=False)}
    at.run()
    picker = at.selectbox(key="explorer_source")
    assert "Mine: file: tiny.txt" in picker.options
    picker.set_value("mine:file: tiny.txt").run()
    assert_clean(at)
    assert at.slider(key="explorer_points").value == 40 and "40 of 40 words projected" in text_of(at)
    assert "not in these vectors" in text_of(at).lower()  # queen, king: a sentence, not an error
    assert not at.metric or not at.metric[0].label.startswith("Built-in")  # no groups: no built-in analogies
    at.text_input(key="explorer_word").input("😀").run()
    assert_clean(at)
    assert at.dataframe[0].value["word"].tolist()[0] in fixture_vectors().words


BAD_INPUT = [  # (widget, value, the sentence's fragment), tried one after another on one open page
    ("explorer_search", "nosuchword <script>alert(1)</script> 🧠", "Not in these vectors: 'nosuchword'"),
    ("explorer_search", "a " * 41, "at most 40"),
    ("explorer_word", "", "Type a word"),
    ("explorer_word", "x" * 100, "is not one word of these vectors"),
    ("explorer_word", "king queen", "is not one word"),
    ("explorer_x", "<b>zzz</b>", "Not in these vectors: '<b>zzz</b>'"),
    ("explorer_y", "", "Type three words"),
    ("explorer_words", "king", "at least two words"),
    ("explorer_words", "king qqq 😀", "Not in these vectors: 'qqq', '😀'"),
]


def test_bad_input_gets_one_sentence_and_the_page_goes_on():
    at = open_page(PAGE)
    at.session_state["loaded_vectors"] = {"kept": fixture_vectors()}
    defaults = {key: at.text_input(key=key).value for key, _, _ in BAD_INPUT}
    for key, value, fragment in BAD_INPUT:
        at.text_input(key=key).input(value).run()
        assert_clean(at)
        assert fragment in text_of(at), (key, value)
        assert not at.error and len(charts(at)) >= 2 and [h.value for h in at.header] == HEADERS
        assert "kept" in at.session_state["loaded_vectors"]  # nothing in the session is lost
        at.text_input(key=key).input(defaults[key]).run()
    assert not at.warning


def test_without_shipped_vectors_the_page_says_so_in_one_sentence(monkeypatch):
    def missing(name):
        raise CheckpointError(f"The shipped file {name}.safetensors is missing.")

    ui.load_shipped.clear()
    monkeypatch.setattr(labs, "load", missing)
    try:
        at = open_page(PAGE)
        assert_clean(at)
        assert len(at.error) == 1 and "No word vectors are available" in at.error[0].value
        at.session_state["loaded_vectors"] = {"mine": fixture_vectors()}
        at.run()
        assert_clean(at)
        assert not at.error and at.selectbox(key="explorer_source").value == "mine:mine"
        assert "side-by-side view needs the shipped vectors" in text_of(at)
    finally:
        ui.load_shipped.clear()


# The neighbours, analogy and similarity sections are fragments in seqviz/ui/embeddings.py, so the page-source
# scans of tests/test_url_params.py and tests/test_links_labs.py do not see their bound widgets: checked here.
FRAGMENT_KEYS = {"explorer_word": "queen", "explorer_k": "10", "explorer_x": "king", "explorer_y": "man",
                 "explorer_z": "woman", "explorer_exclude": "true", "explorer_words": "king queen"}
HOSTILE = ["", "<script>alert(1)</script>", "9" * 400, "-1", "1e309", "😀" * 50, "nan"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_fragment_widgets_take_hostile_link_values(value):
    at = open_page(PAGE, {key: value for key in FRAGMENT_KEYS})
    assert_clean(at)
    assert [h.value for h in at.header] == HEADERS and at.title


def test_a_link_reproduces_the_fragment_widgets():
    from test_classroom import link_of, query_of

    at = open_page(PAGE)
    at.slider(key="explorer_k").set_value(4).run()
    at.text_input(key="explorer_word").input("king").run()
    at.toggle(key="explorer_exclude").set_value(False).run()
    at.text_input(key="explorer_words").input("paris rome").run()
    assert_clean(at)
    fresh = open_page(PAGE, query_of(link_of(at)))
    assert_clean(fresh)
    assert fresh.slider(key="explorer_k").value == 4 and fresh.text_input(key="explorer_word").value == "king"
    assert fresh.toggle(key="explorer_exclude").value is False
    assert fresh.text_input(key="explorer_words").value == "paris rome"
    assert len(fresh.dataframe[0].value) == 4 and "king" not in fresh.dataframe[0].value["word"].tolist()
