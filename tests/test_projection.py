"""Tiers 1-3: projections of word vectors (PCA against scikit-learn, t-SNE invariants), the explorer's word
choice and parsing, and the embedding figures (no streamlit)."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from seqviz import projection as proj
from seqviz.plotting import DIVERGING
from seqviz.plotting import embeddings as ep
from seqviz.wordvectors import WordVectors


def clustered(n_per=30, clusters=5, d=20, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, d)) * 3
    labels = np.repeat(np.arange(clusters), n_per)
    return (centres[labels] + rng.normal(size=(len(labels), d))).astype(np.float32), labels


def test_pca_matches_scikit_learn_up_to_the_sign_of_each_axis():
    x, _ = clustered()
    for dims in (2, 3):
        ours = proj.project(x, "pca", dims)
        ref = PCA(n_components=dims).fit(x)
        theirs = ref.transform(x)
        for i in range(dims):
            sign = np.sign(ours.coords[:, i] @ theirs[:, i])
            np.testing.assert_allclose(ours.coords[:, i], sign * theirs[:, i], atol=1e-3)
        np.testing.assert_allclose(ours.explained, ref.explained_variance_ratio_, rtol=1e-4)
        assert ours.axis_titles()[0].startswith("PC1 (") and ours.kl_divergence is None


def test_tsne_is_seeded_keeps_clusters_together_and_sees_only_directions():
    x, labels = clustered()
    a = proj.project(x, "tsne", 2)
    b = proj.project(x, "tsne", 2)
    assert np.array_equal(a.coords, b.coords) and a.coords.shape == (len(x), 2) and a.explained is None
    # each point's 5 nearest neighbours on the map lie in its own cluster
    dist = ((a.coords[:, None] - a.coords[None]) ** 2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    near = np.argsort(dist, axis=1)[:, :5]
    assert (labels[near] == labels[:, None]).mean() > 0.95
    # rows are scaled to unit length first: lengths do not matter, only directions (cosine)
    # (powers of two scale floats exactly, so the unit rows are bit for bit the same and so is the map)
    scaled = x * 2.0 ** np.random.default_rng(1).integers(-3, 4, size=(len(x), 1)).astype(np.float32)
    assert np.array_equal(proj.project(scaled, "tsne", 2).coords, a.coords)
    three = proj.project(x, "tsne", 3)
    assert three.coords.shape == (len(x), 3) and three.axis_titles() == ["t-SNE 1", "t-SNE 2", "t-SNE 3"]


def test_limits_and_tiny_inputs():
    x, _ = clustered()
    with pytest.raises(ValueError, match="dims"):
        proj.project(x, "pca", 4)
    with pytest.raises(ValueError, match="unknown projection"):
        proj.project(x, "umap", 2)
    with pytest.raises(ValueError, match="more than"):
        proj.project(np.zeros((proj.MAX_POINTS["tsne"] + 1, 3)), "tsne", 2)
    tiny = proj.project(x[:3], "tsne", 2)  # too few points for t-SNE: PCA, which is exact for them
    assert tiny.method == "pca" and tiny.coords.shape == (3, 2)
    assert proj.perplexity_for(10) == 3.0 and proj.perplexity_for(1000) == 30.0


@pytest.fixture
def wv():
    words = ("the", "king", "queen", "a", "paris", "of", "france", "man", "woman", "dog")
    groups = {"king": "royal", "queen": "royal", "paris": "capitals", "france": "countries", "man": "people",
              "woman": "people"}
    return WordVectors(words, np.random.default_rng(0).normal(size=(len(words), 4)).astype(np.float32), groups, "fx")


def test_choose_words_puts_searched_then_grouped_words_first_and_respects_the_cap(wv):
    assert proj.choose_words(wv, 4) == ["king", "queen", "paris", "france"]
    assert proj.choose_words(wv, 4, must=["dog", "nope", "the"]) == ["king", "queen", "dog", "the"]
    assert proj.choose_words(wv, 4, must=["queen"]) == proj.choose_words(wv, 4)  # already drawn: same list
    assert proj.choose_words(wv, 100) == ["king", "queen", "paris", "france", "man", "woman", "the", "a", "of", "dog"]
    assert proj.choose_words(wv, 2, must=["dog", "the", "a"]) == ["dog", "the"]
    plain = WordVectors(wv.words, wv.vectors, None, "file")
    assert proj.choose_words(plain, 3) == ["the", "king", "queen"]


def test_parse_words(wv):
    assert proj.parse_words("King, queen  dog,,queen", wv) == (["king", "queen", "dog"], [], None)
    assert proj.parse_words("king <b>x</b> 😀", wv)[:2] == (["king"], ["<b>x</b>", "😀"])
    known, unknown, problem = proj.parse_words("a " * 41, wv)
    assert known == [] and "41 words" in problem
    assert proj.parse_words("", wv) == ([], [], None)


# -- figures -------------------------------------------------------------------------------------------
def test_word_map_one_trace_per_group_with_stable_colours_and_searched_words_ringed():
    coords = np.arange(12, dtype=float).reshape(6, 2)
    words = ["king", "queen", "paris", "rome", "the", "dog"]
    groups = ["royal", "royal", "capitals", "capitals", None, None]
    fig, table = ep.word_map(coords, words, groups, ["x", "y"], highlight=["rome"])
    assert list(table.columns) == ["word", "group", "x", "y"] and table["x"].tolist() == coords[:, 0].tolist()
    names = [t.name for t in fig.data]
    assert names == ["capitals", "royal", ep.UNGROUPED, "searched"]
    colours = ep.group_colours(groups)
    assert [t.marker.color for t in fig.data[:3]] == [colours["capitals"], colours["royal"], ep.GREY]
    assert list(fig.data[0].text) == ["paris", "rome"] and fig.data[0].mode == "markers+text"
    assert list(fig.data[3].text) == ["rome"] and fig.data[3].marker.line.width == 3
    assert fig.layout.xaxis.title.text == "x"
    three, _ = ep.word_map(np.zeros((6, 3)), words, groups, ["a", "b", "c"], labels=False)
    assert three.data[0].type == "scatter3d" and three.data[0].mode == "markers"
    assert three.layout.scene.zaxis.title.text == "c"
    many, _ = ep.word_map(np.zeros((ep.MAX_LABELS + 1, 2)), [f"w{i}" for i in range(ep.MAX_LABELS + 1)],
                       [None] * (ep.MAX_LABELS + 1), ["x", "y"])
    assert many.data[0].mode == "markers"  # too many labels to read: hover only


def test_side_by_side_agrees_on_colours_and_shows_each_group_once():
    words, groups = ["king", "paris"], ["royal", "capitals"]
    fig, table = ep.side_by_side([("A", np.zeros((2, 2)), words, groups), ("B", np.ones((2, 2)), words, groups)])
    assert table["vectors"].tolist() == ["A", "A", "B", "B"] and table["y"].tolist() == [0, 0, 1, 1]
    assert [a.text for a in fig.layout.annotations] == ["A", "B"]
    legend = [t.name for t in fig.data if t.showlegend is not False]
    assert sorted(legend) == ["capitals", "royal"]
    by_name = {}
    for t in fig.data:
        by_name.setdefault(t.name, set()).add(t.marker.color)
    assert all(len(c) == 1 for c in by_name.values())


def test_similarity_heatmap_uses_the_fixed_diverging_scale():
    sims = np.array([[1.0, -0.5], [-0.5, 1.0]])
    fig, table = ep.similarity_heatmap(["a", "b"], sims)
    h = fig.data[0]
    assert table.equals(ep.similarity_frame(["a", "b"], sims))
    assert (h.zmin, h.zmax, h.zmid) == (-1, 1, 0)
    assert h.colorscale == ep.go.Heatmap(colorscale=DIVERGING).colorscale
    assert list(h.x) == ["a", "b"] and h.texttemplate == "%{text}"
    df = ep.similarity_frame(["a", "b"], sims)
    assert list(df.columns) == ["word", "a", "b"] and df.loc[0, "b"] == -0.5


def test_tables_and_the_pretrained_figures():
    df = ep.neighbours_frame([("queen", 0.91234567), ("prince", 0.5)], {"queen": "female"})
    assert list(df.columns) == ["rank", "word", "cosine", "group"]
    assert df["group"].tolist() == ["female", ep.UNGROUPED] and df["cosine"].iloc[0] == 0.9123
    rows = np.array([[0.5, -2.0], [1.0, 0.0]])
    fig, table = ep.vector_rows_heatmap(["a", "b"], rows)
    h = fig.data[0]
    assert (h.zmin, h.zmax, h.zmid) == (-2.0, 2.0, 0)
    assert table.columns.tolist() == ["word", "e[0]", "e[1]"] and table["e[1]"].tolist() == [-2.0, 0.0]
    fig, table = ep.norms_by_rank(["a", "b"], np.array([3.0, 4.0]))
    assert list(fig.data[0].x) == [1, 2] and fig.layout.xaxis.type == "linear"
    assert table.to_dict("list") == {"row": [1, 2], "word": ["a", "b"], "length": [3.0, 4.0]}
    preview = ep.preview_frame(["a", "b"], rows, np.array([3.0, 4.0]), max_dims=1)
    assert preview.columns.tolist() == ["word", "e[0]", "||e||"]
    frame = ep.map_frame(np.zeros((2, 2)), ["a", "b"], ["g", None], ["PC1", "PC2"])
    assert list(frame.columns) == ["word", "group", "PC1", "PC2"] and frame["group"].tolist() == ["g", ep.UNGROUPED]
