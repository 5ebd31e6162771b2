"""Word-vector files a learner brings: read them into WordVectors, and write WordVectors back out.

Formats (all four are what gensim, the original word2vec tool, GloVe and fastText write):
- "glove":         UTF-8 text, one word a line followed by D numbers, no header line;
- "word2vec-text": a header line "N D", then N lines as in GloVe;
- "fasttext":      fastText's `.vec` files, which are word2vec text (the name only says where it came from);
- "word2vec-bin":  the header line "N D", then N entries of: the word's UTF-8 bytes, one space, and D
                   little-endian float32 numbers (4 D bytes); a newline may sit before each word.

Every file is hostile until read (DESIGN.md). `read_vectors` checks, before it allocates anything, the
size cap, the header's counts against caps and against the number of bytes the file really has; then
every row: a word without spaces, exactly D numbers, all finite, no word twice, UTF-8 only (a row
that is not UTF-8 is a bad row like the others). Each failure
raises VectorFileError (a ValueError) whose message is one sentence a page can show. With
`skip_bad_rows=True` a row-level problem skips the row instead, and the reason is kept for the page.

Usage:
    loaded = read_vectors(data, "glove.txt")           # format detected
    loaded.vectors                                      # WordVectors
    write_vectors(loaded.vectors, "word2vec-bin")       # bytes
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from seqviz.wordvectors import WordVectors

MAX_BYTES = 50 * 1024 * 1024  # 50 MB: the upload cap the page states (uploads sit in memory)
MAX_WORDS = 200_000  # rows kept at most: a bigger file is read up to this many words
MAX_DIM = 1_000  # numbers a row at most (published vectors use 25-300)
MAX_REJECTED_SHOWN = 50  # reasons kept for skipped rows (the count is always exact)

FORMATS = {
    "auto": "Detect from the file",
    "glove": "GloVe text (no header)",
    "word2vec-text": "word2vec text (header N D)",
    "word2vec-bin": "word2vec binary",
    "fasttext": "fastText .vec",
}

_HEADER = re.compile(rb"^\s*(\d+)[ \t]+(\d+)[ \t]*\r?$")
_FIELD_SPLIT = re.compile(r"[ \t]+")
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_TEXT_NUMBER_BYTES = frozenset(b"0123456789+-.eEnaifINAF \t\r\n")  # what a text row's numbers are made of


class VectorFileError(ValueError):
    """A vectors file that cannot be read; the message is one sentence for the learner."""


@dataclass(frozen=True)
class LoadedVectors:
    vectors: WordVectors
    format: str  # one of FORMATS, never "auto"
    header: tuple[int, int] | None  # (N, D) as the file's header stated it
    rejected: tuple[str, ...] = ()  # one sentence a skipped row (the first MAX_REJECTED_SHOWN)
    n_rejected: int = 0  # how many rows were skipped in all
    truncated_at: int | None = None  # rows kept when the file had more than max_words
    notes: tuple[str, ...] = field(default_factory=tuple)  # other things the page should say


class _Rows:
    """Collects rows into a preallocated (capacity, D) array and rejects or skips bad ones."""

    def __init__(self, capacity: int, dim: int, skip: bool):
        self.words: list[str] = []
        self.seen: set[str] = set()
        self.values = np.empty((capacity, dim), dtype=np.float32)  # allocated only after the checks
        self.skip, self.rejected, self.n_rejected = skip, [], 0

    def bad(self, sentence: str) -> None:
        if not self.skip:
            raise VectorFileError(sentence)
        self.n_rejected += 1
        if len(self.rejected) < MAX_REJECTED_SHOWN:
            self.rejected.append(sentence)

    def add(self, word: str, row: np.ndarray, where: str) -> None:
        if not np.isfinite(row).all():
            bad = row[~np.isfinite(row)][0]
            return self.bad(f"{where} ({_show(word)}) holds {bad}: every number must be finite.")
        if np.abs(row).max() > _FLOAT32_MAX:
            big = row[np.abs(row) > _FLOAT32_MAX][0]
            return self.bad(f"{where} ({_show(word)}) holds {big:g}, too large for a 32-bit number.")
        if word in self.seen:
            return self.bad(f"{where}: the word {_show(word)} appears a second time.")
        self.seen.add(word)
        self.values[len(self.words)] = row
        self.words.append(word)


def _show(word: str, limit: int = 30) -> str:
    return repr(word if len(word) <= limit else word[:limit] + "...")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _parse_header(first_line: bytes, size: int, binary: bool, max_dim: int) -> tuple[int, int]:
    m = _HEADER.match(first_line)
    n, d = int(m.group(1)), int(m.group(2))
    if n < 1 or d < 1:
        raise VectorFileError(f"The header line says {n} words of {d} numbers: both must be at least 1.")
    if d > max_dim:
        raise VectorFileError(f"The header line says {d:,} numbers a word; at most {max_dim:,} are accepted.")
    # the fewest bytes N rows can take: binary a 1-byte word, a space and 4 D bytes; text a 1-byte word and
    # D times a space and one digit. A header promising more than the file holds is lying (or the file is cut).
    least = n * (2 + 4 * d) if binary else n * (1 + 2 * d) - 1
    body = size - len(first_line) - 1
    if least > body:
        raise VectorFileError(
            f"The header line promises {n:,} words of {d:,} numbers, but the file ({_size(size)}) is too "
            f"small to hold them: the header is wrong or the file was cut short.")
    return n, d


def _looks_binary(data: bytes, start: int, d: int) -> bool:
    """After a header: does the first entry hold raw float32 bytes (binary) or written numbers (text)?"""
    while start < len(data) and data[start:start + 1] in (b"\n", b"\r"):
        start += 1
    space = data.find(b" ", start, start + 4096)
    if space < 0:
        return False  # no word-space at all: let the text reader give the sentence
    end = data.find(b"\n", space + 1, space + 1 + 4 * d)
    sample = data[space + 1: end if end >= 0 else space + 1 + 4 * d]  # the first row's numbers, or raw bytes
    if not sample:
        return True  # raw bytes that begin with a newline byte: text always has a number here
    return not set(sample) <= _TEXT_NUMBER_BYTES


def detect_format(data: bytes, name: str = "") -> str:
    """'word2vec-bin', 'word2vec-text', 'fasttext' (a header and a .vec name) or 'glove' (no header)."""
    first = data[: data.find(b"\n")] if b"\n" in data[:1024] else data[:1024]
    if _HEADER.match(first):
        d = int(_HEADER.match(first).group(2))
        if _looks_binary(data, len(first) + 1, max(1, min(d, 4096))):
            return "word2vec-bin"
        return "fasttext" if name.lower().endswith(".vec") else "word2vec-text"
    return "glove"


def read_vectors(data: bytes, name: str = "vectors", fmt: str = "auto", *, skip_bad_rows: bool = False,
                 max_bytes: int = MAX_BYTES, max_words: int = MAX_WORDS, max_dim: int = MAX_DIM) -> LoadedVectors:
    """Read a vectors file's bytes into WordVectors, or raise VectorFileError with one sentence."""
    if fmt not in FORMATS:
        raise VectorFileError(f"Unknown format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    size = len(data)
    if size == 0:
        raise VectorFileError("The file is empty.")
    if size > max_bytes:
        raise VectorFileError(f"The file is {_size(size)}; files up to {_size(max_bytes)} are accepted.")
    if fmt == "auto":
        fmt = detect_format(data, name)
    nl = data.find(b"\n")
    first = data[: nl if nl >= 0 else size]
    has_header = _HEADER.match(first) is not None
    if fmt == "glove" and has_header:
        raise VectorFileError("The first line is a header 'N D', which GloVe files do not have: "
                              "choose word2vec text or fastText .vec.")
    if fmt != "glove" and not has_header:
        if b"\0" in data[:1024]:
            raise VectorFileError("This is not a word-vectors file: it starts with binary data, not a header line 'N D'.")
        raise VectorFileError(f"A {FORMATS[fmt]} file starts with a header line 'N D' (words and dimensions); "
                              f"this one starts with {_show(first[:30].decode('utf-8', 'replace'))}.")
    if fmt == "word2vec-bin":
        n, d = _parse_header(first, size, True, max_dim)
        rows, kept, truncated = _read_binary(data, len(first) + 1, n, d, max_words, skip_bad_rows)
        header = (n, d)
    else:
        header = _parse_header(first, size, False, max_dim) if has_header else None
        rows, kept, truncated = _read_text(data, nl + 1 if has_header else 0, header, max_words, skip_bad_rows)
    if not rows.words:
        raise VectorFileError("No usable row was found: every row was rejected." if rows.n_rejected
                              else "The file holds no word vectors.")
    vectors = WordVectors(words=tuple(rows.words), vectors=rows.values[: len(rows.words)].copy(),
                          groups=None, source=name)
    notes = []
    if truncated:
        notes.append(f"The file holds more than {max_words:,} words; the first {max_words:,} were kept.")
    return LoadedVectors(vectors, fmt, header, tuple(rows.rejected), rows.n_rejected,
                         max_words if truncated else None, tuple(notes))


def _not_utf8(raw: bytes, where: str) -> str | None:
    """None if `raw` is UTF-8; else the sentence that says where it is not (gensim would read such a row with
    replacement characters; this reader skips it when skipping is on, and refuses the file otherwise)."""
    try:
        raw.decode("utf-8")
        return None
    except UnicodeDecodeError as err:
        return f"{where} is not UTF-8 text (byte 0x{raw[err.start]:02x} at position {err.start + 1})"


def _decode(raw: bytes, where: str, rows: "_Rows | None" = None) -> str | None:
    """`raw` as text. A row that is not UTF-8 is a bad row like any other: skipped and counted when
    `rows` skips (returns None), else refused with advice that skipping would keep the rest."""
    problem = _not_utf8(raw, where)
    if problem is None:
        return raw.decode("utf-8")
    if rows is not None and rows.skip:
        rows.bad(problem + ".")
        return None
    raise VectorFileError(f"{problem}: save the file as UTF-8, or turn on skipping bad rows to keep the rest.")


def _read_text(data: bytes, start: int, header: tuple[int, int] | None, max_words: int, skip: bool):
    """Text formats: one word and D numbers a line, separated by spaces or tabs."""
    if b"\0" in data[start: start + 4096]:
        raise VectorFileError("This is not a text vectors file: it holds binary data (NUL bytes).")
    lines = data[start:].split(b"\n")
    if lines and lines[-1].strip() == b"":
        lines.pop()  # the final newline
    offset = 1 if header else 0  # line numbers as an editor shows them
    if header:
        d = header[1]
    else:
        usable = (ln for ln in lines if ln.strip() and (not skip or _not_utf8(ln, "") is None))
        first = next(usable, None)
        if first is None:
            raise VectorFileError("The file holds only blank lines." if not skip else
                                  "No usable row was found: every row was rejected.")
        d = len(_FIELD_SPLIT.split(_decode(first, "Line 1").strip(" \t\r"))) - 1
        if d < 1:
            raise VectorFileError("The first line holds a single field: a vectors file has a word and its numbers on each line.")
        if d > MAX_DIM:
            raise VectorFileError(f"The first line holds {d:,} numbers; at most {MAX_DIM:,} are accepted.")
    # capacity: no more rows than lines, the header's count, the cap, or rows of d numbers the bytes can hold
    least_row = 2 * d + 1
    capacity = min(len(lines), header[0] if header else len(lines), max_words, len(data) // least_row + 1)
    rows = _Rows(capacity, d, skip)
    truncated = False
    n_rows = 0
    for i, raw in enumerate(lines, start=1 + offset):
        where = f"Line {i}"
        line = _decode(raw, where, rows)
        if line is None:  # a row all the same (the header counts it), skipped
            n_rows += 1
            continue
        line = line.rstrip("\r")
        if not line.strip(" \t"):
            rows.bad(f"{where} is blank.")
            continue
        if line[0] in " \t":
            rows.bad(f"{where} starts with a space, so its word is empty.")
            continue
        n_rows += 1
        if header and n_rows > header[0]:
            raise VectorFileError(f"The header line says {header[0]:,} words, but the file has more rows than that.")
        if len(rows.words) >= max_words:
            truncated = True
            break
        fields = _FIELD_SPLIT.split(line.strip(" \t"))
        if len(fields) != d + 1:
            extra = " (a word with a space in it, or an extra number)" if len(fields) > d + 1 else ""
            rows.bad(f"{where} ({_show(fields[0])}) has {len(fields) - 1} numbers where {d} are expected{extra}.")
            continue
        try:
            row = np.array(fields[1:], dtype=np.float64)  # checked against float32's range before it is stored
        except ValueError:
            bad = next(f for f in fields[1:] if not _is_number(f))
            rows.bad(f"{where} ({_show(fields[0])}): {_show(bad, 20)} is not a number.")
            continue
        rows.add(fields[0], row, where)
    if header and not truncated and n_rows != header[0]:
        raise VectorFileError(f"The header line says {header[0]:,} words, but the file has {n_rows:,} rows.")
    return rows, len(rows.words), truncated


def _is_number(text: str) -> bool:
    try:
        np.float32(text)
        return True
    except ValueError:
        return False


def _read_binary(data: bytes, pos: int, n: int, d: int, max_words: int, skip: bool):
    """word2vec binary: n entries of `word<space><4 d bytes>`, an optional newline before each word."""
    rows = _Rows(min(n, max_words), d, skip)
    width = 4 * d
    for i in range(1, n + 1):
        if len(rows.words) >= max_words:
            return rows, len(rows.words), True
        while pos < len(data) and data[pos] in b"\r\n":
            pos += 1
        space = data.find(b" ", pos, pos + 1024)
        if space < 0:
            if pos >= len(data):
                raise VectorFileError(f"The header line says {n:,} words, but the file ends after {i - 1:,}.")
            raise VectorFileError(f"Word {i:,} is not followed by a space within 1,024 bytes: "
                                  "the file is not word2vec binary or is damaged.")
        where = f"Word {i:,}"
        word = _decode(data[pos:space], where, rows)
        if word == "":
            raise VectorFileError(f"{where} is empty: the file is not word2vec binary or is damaged.")
        if space + 1 + width > len(data):
            raise VectorFileError(f"The file ends inside the numbers of word {i:,} ({_show(word)}): it was cut short.")
        row = np.frombuffer(data, dtype="<f4", count=d, offset=space + 1)
        pos = space + 1 + width
        if word is not None:  # None: not UTF-8, skipped and counted
            rows.add(word, row, where)
    while pos < len(data) and data[pos] in b"\r\n":
        pos += 1
    if pos != len(data):
        raise VectorFileError(f"The header line says {n:,} words, but {_size(len(data) - pos)} follow the last one: "
                              "the header is wrong or the format is not word2vec binary.")
    return rows, len(rows.words), False


# -- writers ------------------------------------------------------------------------------------
def _text_rows(wv: WordVectors) -> bytes:
    numbers = np.char.mod("%.9g", wv.vectors.astype(np.float32))  # 9 significant digits give back every float32
    return "".join(f"{w} {' '.join(row)}\n" for w, row in zip(wv.words, numbers)).encode("utf-8")


def write_vectors(wv: WordVectors, fmt: str) -> bytes:
    """The bytes of `wv` in one of the formats above ('auto' is not a format to write)."""
    bad = [w for w in wv.words if not w or any(c.isspace() for c in w)]
    if bad:
        raise VectorFileError(f"The word {_show(bad[0])} contains white space, which no vectors file format can hold.")
    n, d = wv.vectors.shape
    if fmt == "glove":
        return _text_rows(wv)
    if fmt in ("word2vec-text", "fasttext"):
        return f"{n} {d}\n".encode() + _text_rows(wv)
    if fmt == "word2vec-bin":
        parts = [f"{n} {d}\n".encode()]
        for w, row in zip(wv.words, wv.vectors.astype("<f4")):
            parts += [w.encode("utf-8"), b" ", row.tobytes(), b"\n"]
        return b"".join(parts)
    raise VectorFileError(f"Unknown format {fmt!r}; choose one of {', '.join(f for f in FORMATS if f != 'auto')}.")


FILE_NAMES = {"glove": "vectors.txt", "word2vec-text": "vectors.w2v.txt", "word2vec-bin": "vectors.bin",
              "fasttext": "vectors.vec"}
