"""Tiers 1 and 3: word-vector files. Oracle: files gensim writes load with identical values and the same
nearest neighbours as gensim's most_similar. Hostile files: one clear sentence each, never a traceback."""

import numpy as np
import pytest
from gensim.models import KeyedVectors

from seqviz import wordvectors as wvm
from seqviz.vectorfiles import (FORMATS, MAX_BYTES, VectorFileError, detect_format, read_vectors,
                                write_vectors)
from seqviz.wordvectors import WordVectors

D = 12
WORDS = [f"w{i}" for i in range(60)] + ["😀", "naïve", "東京", "can't", "<b>x</b>"]


@pytest.fixture(scope="module")
def kv():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(6, D))  # six clusters, so neighbours are meaningful, not ties
    rows = base[np.arange(len(WORDS)) % 6] + 0.4 * rng.normal(size=(len(WORDS), D))
    k = KeyedVectors(vector_size=D)
    k.add_vectors(WORDS, rows.astype(np.float32))
    return k


GENSIM_FILES = {  # name -> (save_word2vec_format keywords, the format we should detect)
    "vectors.bin": (dict(binary=True), "word2vec-bin"),
    "vectors.txt": (dict(binary=False), "word2vec-text"),
    "vectors.vec": (dict(binary=False), "fasttext"),
    "glove.txt": (dict(binary=False, write_header=False), "glove"),
}


@pytest.mark.parametrize("name", GENSIM_FILES)
def test_gensim_files_load_identically_and_neighbours_match_most_similar(kv, tmp_path, name):
    kwargs, fmt = GENSIM_FILES[name]
    path = tmp_path / name
    kv.save_word2vec_format(str(path), **kwargs)
    loaded = read_vectors(path.read_bytes(), name)
    assert loaded.format == fmt and loaded.n_rejected == 0
    assert loaded.header == (None if fmt == "glove" else (len(WORDS), D))
    wv = loaded.vectors
    assert wv.words == tuple(kv.index_to_key)
    assert wv.vectors.dtype == np.float32 and np.array_equal(wv.vectors, kv.vectors)  # bit for bit
    for word in ("w0", "😀", "東京", "<b>x</b>"):
        ours = wvm.nearest(wv, word, k=8)
        theirs = kv.most_similar(word, topn=8)
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], rtol=0, atol=1e-5)


@pytest.mark.parametrize("fmt", [f for f in FORMATS if f != "auto"])
def test_what_we_write_gensim_reads_and_we_read_back(kv, tmp_path, fmt):
    wv = WordVectors(tuple(kv.index_to_key), kv.vectors.copy(), None, "fixture")
    data = write_vectors(wv, fmt)
    path = tmp_path / "out"
    path.write_bytes(data)
    theirs = KeyedVectors.load_word2vec_format(str(path), binary=fmt == "word2vec-bin", no_header=fmt == "glove")
    assert theirs.index_to_key == list(wv.words) and np.array_equal(theirs.vectors, wv.vectors)
    back = read_vectors(data, "out.vec" if fmt == "fasttext" else "out", fmt)
    assert back.vectors.words == wv.words and np.array_equal(back.vectors.vectors, wv.vectors)


def test_detection_and_a_chosen_format_that_does_not_fit(kv):
    wv = WordVectors(tuple(kv.index_to_key), kv.vectors, None, "x")
    assert detect_format(write_vectors(wv, "word2vec-bin")) == "word2vec-bin"
    assert detect_format(write_vectors(wv, "fasttext"), "a.vec") == "fasttext"
    assert detect_format(write_vectors(wv, "glove")) == "glove"
    with pytest.raises(VectorFileError, match="header line 'N D'"):
        read_vectors(write_vectors(wv, "glove"), "x", "word2vec-text")
    with pytest.raises(VectorFileError, match="GloVe files do not have"):
        read_vectors(write_vectors(wv, "word2vec-text"), "x", "glove")
    with pytest.raises(VectorFileError):  # binary numbers read as text: not numbers, or a wrong count
        read_vectors(write_vectors(wv, "word2vec-bin"), "x", "word2vec-text")


def one_sentence(message: str) -> bool:
    return message.endswith(".") and "\n" not in message and "Traceback" not in message and len(message) < 300


@pytest.mark.parametrize("data, fragment", [
    (b"", "empty"),
    (bytes(range(256)) * 40, "binary data"),
    (b"\x00\x01\x02junk\xff" * 100, "binary data"),
    (b"\n\n\n", "blank lines"),
    (b"1000000 300\nthe 0.1 0.2\n", "too small to hold them"),  # a lying header
    (b"999999999999 5\n", "too small"),
    (b"3 2000\na 1\n", "at most 1,000"),
    (b"0 5\n", "at least 1"),
    (b"3 2\na 1.25 2.5\nb 3.5 4.75\n", "says 3 words, but the file has 2 rows"),
    (b"1 2\na 1 2\nb 3 4\n", "more rows than that"),
    (b"a 1 2\nb nan 4\n", "nan: every number must be finite"),
    (b"a 1 2\nb 1e40 4\n", "holds 1e+40, too large for a 32-bit number"),
    (b"a 1 2\nb inf 4\n", "every number must be finite"),
    (b"a 1 2 3\nb 1 2\n", "has 2 numbers where 3 are expected"),  # ragged
    (b"a 1 2\nnew york 3 4\n", "a word with a space in it"),
    (b"a 1 2\nb x 4\n", "'x' is not a number"),
    (b"a 1 2\na 3 4\n", "appears a second time"),
    (b"a 1 2\n 3 4\n", "its word is empty"),
    ("caf\u00e9 1 2\n".encode("latin-1"), "not UTF-8"),  # wrong encoding
    ("caf\u00e9 1 2\n".encode("utf-16"), "binary data"),
    (b"2 3\nab \x00\x00\x80?\x00\x00", "cut short"),  # binary, truncated inside the numbers
    (b"2 1\na \x00\x00\x80?b \x00\x00\x80?trailing-junk", "follow the last one"),
    (b"single\n", "single field"),
])
def test_hostile_files_get_one_sentence(data, fragment):
    with pytest.raises(VectorFileError) as err:
        read_vectors(data, "hostile")
    message = str(err.value)
    assert fragment in message and one_sentence(message), message
    assert isinstance(err.value, ValueError)


def test_nan_in_a_binary_file_is_refused():
    data = b"2 2\n" + b"a " + np.array([1, 2], "<f4").tobytes() + b"\n" + b"b " + np.array([np.nan, 2], "<f4").tobytes()
    with pytest.raises(VectorFileError, match="finite"):
        read_vectors(data, "x.bin")


def test_emoji_and_other_scripts_are_allowed():
    loaded = read_vectors("😀 1 0\n🧠 0 1\nπ -1 0\n".encode(), "emoji.txt")
    assert loaded.vectors.words == ("😀", "🧠", "π")
    assert wvm.nearest(loaded.vectors, "😀", 1)[0][0] == "🧠"


def test_skipping_bad_rows_keeps_the_good_ones_and_says_why():
    data = b"a 1 2\nb nan 4\nc 1 2 3\na 5 6\nd 7 8\n\ne 9 10\n"
    loaded = read_vectors(data, "x", skip_bad_rows=True)
    assert loaded.vectors.words == ("a", "d", "e")
    assert np.array_equal(loaded.vectors.vectors, np.array([[1, 2], [7, 8], [9, 10]], np.float32))
    assert loaded.n_rejected == 4 and len(loaded.rejected) == 4
    assert "Line 2" in loaded.rejected[0] and "Line 6 is blank" in loaded.rejected[3]
    assert all(one_sentence(r) for r in loaded.rejected)
    with pytest.raises(VectorFileError, match="every row was rejected"):
        read_vectors(b"a nan 2\nb 1 2 3\n", "x", skip_bad_rows=True)


def test_size_cap_word_cap_and_a_10_mb_file():
    rng = np.random.default_rng(1)
    n, d = 20_000, 50
    wv = WordVectors(tuple(f"word{i}" for i in range(n)), rng.normal(size=(n, d)).astype(np.float32), None, "big")
    data = write_vectors(wv, "word2vec-text")
    assert len(data) > 10 * 1024 * 1024
    loaded = read_vectors(data, "big.txt")
    assert np.array_equal(loaded.vectors.vectors, wv.vectors)
    with pytest.raises(VectorFileError, match=r"files up to 5.0 MB are accepted\."):
        read_vectors(data, "big.txt", max_bytes=5 * 1024 * 1024)
    assert MAX_BYTES >= 10 * 1024 * 1024  # the stated cap takes a 10 MB file
    capped = read_vectors(write_vectors(wv, "word2vec-bin"), "big.bin", max_words=1000)
    assert capped.truncated_at == 1000 and capped.vectors.words == wv.words[:1000]
    assert "first 1,000 were kept" in capped.notes[0]


def test_a_header_cannot_make_the_reader_allocate_what_the_file_cannot_hold():
    # 20 bytes claiming 10^6 x 1000 floats (4 GB): refused from the header alone
    with pytest.raises(VectorFileError, match="too small"):
        read_vectors(b"1000000 1000\nx 1 2\n", "x")
    # a first row of 1,000 numbers followed by a million one-letter lines: capacity bounded by the bytes
    data = b"w " + b" ".join([b"1"] * 1000) + b"\n" + b"a\n" * 1_000_000
    loaded = read_vectors(data, "x", skip_bad_rows=True)
    assert loaded.vectors.words == ("w",) and loaded.n_rejected == 1_000_000
    assert len(loaded.rejected) == 50


def test_writers_refuse_words_with_spaces():
    wv = WordVectors(("new york", "a"), np.zeros((2, 2), np.float32), None, "x")
    with pytest.raises(VectorFileError, match="white space"):
        write_vectors(wv, "glove")


def _vec_with_bad_bytes(n_good: int = 200, bad_rows=(10, 50, 90, 120, 150)):
    """A fastText-style .vec whose five words are cp1252 bytes (0x97 is an em dash there), not UTF-8,
    the way real crawled vectors sometimes are."""
    rows = []
    for i in range(n_good):
        word = (b"\x97w%d" % i) if i in bad_rows else f"w{i}".encode()
        rows.append(word + b" " + f"{i} {i + 1} {-i}".encode())
    return f"{n_good} 3\n".encode() + b"\n".join(rows) + b"\n"


def test_rows_that_are_not_utf8_are_bad_rows_skipped_and_counted():
    data = _vec_with_bad_bytes()
    loaded = read_vectors(data, "real.vec", skip_bad_rows=True)
    assert loaded.format == "fasttext" and loaded.n_rejected == 5 and len(loaded.vectors.words) == 195
    assert "Line 12 is not UTF-8 text (byte 0x97 at position 1)" in loaded.rejected[0]
    assert all(one_sentence(r) for r in loaded.rejected)
    assert np.array_equal(loaded.vectors.vectors[loaded.vectors.words.index("w11")], [11, 12, -11])
    with pytest.raises(VectorFileError) as err:  # skipping off: refused, and the sentence says skipping keeps the rest
        read_vectors(data, "real.vec")
    assert "Line 12 is not UTF-8" in str(err.value) and "skipping bad rows" in str(err.value)
    assert one_sentence(str(err.value))


def test_binary_words_that_are_not_utf8_are_skipped_and_counted():
    def entry(word: bytes, v):
        return word + b" " + np.array(v, "<f4").tobytes() + b"\n"
    data = b"3 2\n" + entry(b"good", [1, 2]) + entry(b"\x97bad", [3, 4]) + entry(b"fine", [5, 6])
    loaded = read_vectors(data, "x.bin", skip_bad_rows=True)
    assert loaded.format == "word2vec-bin" and loaded.vectors.words == ("good", "fine") and loaded.n_rejected == 1
    assert "Word 2 is not UTF-8" in loaded.rejected[0]
    with pytest.raises(VectorFileError, match="skipping bad rows"):
        read_vectors(data, "x.bin")
