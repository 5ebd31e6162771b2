"""Tier 4, pages: the pretrained-vectors page under AppTest: uploads in every format, what was read, the
hand-over to the explorer, and corrupt files (one sentence each, nothing lost from the session)."""

from urllib.parse import parse_qs

import numpy as np
import pytest
from gensim.models import KeyedVectors
from conftest import assert_clean, open_page

from seqviz.labs import embeddings as E
from seqviz.vectorfiles import MAX_BYTES, write_vectors
from seqviz.wordvectors import WordVectors

PAGE = "pages/embeddings_pretrained.py"
HEADERS = ["1. What was read", "2. How long are the vectors?", "3. Explore them", "Predict, then reveal"]


def charts(at):
    return at.get("plotly_chart")


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def upload(at, name: str, data: bytes):
    at.file_uploader(key="vectors_file").upload(name, data).run()
    assert_clean(at)
    return at


def vectors(n=30, d=6, seed=0):
    rng = np.random.default_rng(seed)
    words = tuple(["😀", "東京", "can't"] + [f"w{i}" for i in range(n - 3)])
    return WordVectors(words, rng.normal(size=(n, d)).astype(np.float32), None, "fixture")


def test_without_a_file_the_page_reads_the_shipped_sample():
    at = open_page(PAGE)
    assert_clean(at)
    assert not at.error and [h.value for h in at.header] == HEADERS
    wv = E.shipped_vectors("skipgram")
    assert metrics(at)["Words"] == f"{len(wv.words):,}" and metrics(at)["Format"] == "word2vec text"
    assert metrics(at)["Dimensions D"] == str(wv.vectors.shape[1])
    assert len(charts(at)) == 2
    assert at.dataframe[0].value["word"].tolist() == list(wv.words[:20])
    assert "50 MB" in at.markdown[0].value  # the cap is stated


@pytest.mark.parametrize("name, kwargs, fmt", [
    ("gensim.bin", dict(binary=True), "word2vec binary"),
    ("glove.txt", dict(binary=False, write_header=False), "GloVe text"),
    ("wiki.vec", dict(binary=False), "fastText .vec"),
])
def test_a_gensim_file_is_read_registered_and_opens_in_the_explorer(tmp_path, name, kwargs, fmt):
    wv = vectors()
    kv = KeyedVectors(vector_size=wv.vectors.shape[1])
    kv.add_vectors(list(wv.words), wv.vectors)
    kv.save_word2vec_format(str(tmp_path / name), **kwargs)
    at = upload(open_page(PAGE), name, (tmp_path / name).read_bytes())
    assert not at.error
    assert metrics(at) == {"Words": "30", "Dimensions D": "6", "Format": fmt, "Rows rejected": "0"}
    mine = at.session_state["loaded_vectors"][f"file: {name}"]
    assert mine.words == wv.words and np.array_equal(mine.vectors, wv.vectors)
    link = at.get("page_link")[0].proto
    query = parse_qs(link.query_string)
    assert link.page_script_hash and query == {"explorer_source": [f"Mine: file: {name}"]}
    at.query_params.update({k: v[0] for k, v in query.items()})  # follow the link
    at.switch_page("pages/embeddings_explorer.py").run()
    assert_clean(at)
    assert at.selectbox(key="explorer_source").value == f"mine:file: {name}"
    assert not at.error and "30 of 30 words projected" in " ".join(c.value for c in at.caption)


@pytest.mark.parametrize("data, fragment", [
    (b"", "The file is empty."),
    (bytes(range(256)) * 100, "binary data"),
    (b"100000 50\nthe 0.1 0.2\n", "too small to hold them"),
    (b"a 1 2\nb nan 4\n", "every number must be finite"),
    (b"a 1 2 3\nb 1 2\n", "numbers where 3 are expected"),
    (b"a 1 2\na 3 4\n", "appears a second time"),
    ("caf\u00e9 1 2\n".encode("latin-1"), "not UTF-8"),
    (b"x" * (MAX_BYTES + 1), "files up to 50.0 MB are accepted"),
])
def test_a_corrupt_upload_gets_one_sentence_and_the_session_keeps_its_vectors(data, fragment):
    at = open_page(PAGE)
    kept = vectors(seed=1)
    at.session_state["loaded_vectors"] = {"kept": kept}
    upload(at, "bad.txt", data)
    assert len(at.error) == 1 and fragment in at.error[0].value, at.error[0].value
    assert at.error[0].value.count(". ") == 0 and at.error[0].value.endswith(".")  # one sentence
    assert not charts(at) and not at.header
    assert list(at.session_state["loaded_vectors"]) == ["kept"]
    assert at.session_state["loaded_vectors"]["kept"] is kept


def test_skipping_bad_rows_lists_them_and_keeps_the_good_ones():
    data = b"a 1 2\nb nan 4\nc 1 2 3\nd 7 8\n"
    at = upload(open_page(PAGE, {"vectors_skip": "true"}), "mixed.txt", data)
    assert not at.error and metrics(at)["Words"] == "2" and metrics(at)["Rows rejected"] == "2"
    reasons = at.dataframe[0].value["why the row was left out"].tolist()
    assert len(reasons) == 2 and "Line 2" in reasons[0] and "Line 3" in reasons[1]
    at.toggle(key="vectors_skip").set_value(False).run()
    assert_clean(at)
    assert len(at.error) == 1 and "Line 2" in at.error[0].value


def test_a_format_that_does_not_fit_says_so_then_auto_reads_it():
    data = write_vectors(vectors(), "word2vec-text")
    at = upload(open_page(PAGE), "v.txt", data)
    at.selectbox(key="vectors_format").set_value("glove").run()
    assert_clean(at)
    assert len(at.error) == 1 and "GloVe files do not have" in at.error[0].value
    at.selectbox(key="vectors_format").set_value("word2vec-bin").run()
    assert len(at.error) == 1
    at.selectbox(key="vectors_format").set_value("auto").run()
    assert not at.error and metrics(at)["Format"] == "word2vec text"


def test_predictions_are_answered_with_the_files_own_numbers():
    wv = vectors(n=200)
    at = upload(open_page(PAGE), "v.vec", write_vectors(wv, "fasttext"))
    at.radio(key="vectors_q_size_guess").set_value("The binary file").run()
    assert_clean(at)
    text_size, bin_size = len(write_vectors(wv, "word2vec-text")), len(write_vectors(wv, "word2vec-bin"))
    assert text_size > bin_size and at.info[-1].value == "Not quite: the answer is The text file."
    assert any(f"**{text_size:,} bytes**" in m.value for m in at.markdown)
    at.radio(key="vectors_q_norms_guess").set_value("About the same").run()
    norms = np.linalg.norm(wv.vectors, axis=1)
    assert any(f"**{norms[:20].mean():.3f}**" in m.value for m in at.markdown)
