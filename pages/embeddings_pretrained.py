"""Pretrained vectors: read a word-vectors file the learner brings, show what was read, open it in the explorer.

Library calls: ui.embeddings.read_upload (vectorfiles.read_vectors, once per file) / keep_loaded /
session_vectors / shipped_vectors / shipped_file (vectorfiles.write_vectors), labs.embeddings.summarise,
plotting.embeddings.preview_frame / vector_rows_heatmap / norms_by_rank.
"""

import streamlit as st

from seqviz import ui
from seqviz import vectorfiles as vf
from seqviz.labs import embeddings as lab
from seqviz.plotting import embeddings as ep
from seqviz.ui import embeddings as ue
from seqviz.ui.classroom import explain, predict_then_reveal

MB = 1024 * 1024
SAMPLE = "skipgram"  # the sample file: the shipped skip-gram vectors, written as word2vec text

st.title("Pretrained vectors: bring your own")
explain(
    "Word vectors trained elsewhere come as files in a few formats. Upload one and it is read here, checked, "
    "and can be explored like the vectors trained in these lessons.\n\n"
    "- **GloVe** text: one word a line followed by its $D$ numbers, no header;\n"
    "- **word2vec text** and **fastText `.vec`**: the same, after a first line `N D` (words, dimensions);\n"
    "- **word2vec binary**: the line `N D`, then each word, a space and $D$ raw 4-byte numbers.\n\n"
    f"Limits: files up to **{vf.MAX_BYTES // MB} MB**, at most **{vf.MAX_WORDS:,} words** (a bigger file is "
    f"read up to that many) and **{vf.MAX_DIM:,} numbers a word**. A published file is often larger: "
    "keep its first lines (most frequent words), e.g. `head -n 50000 glove.6B.100d.txt > small.txt`. "
    "Text must be UTF-8. Nothing leaves this server and nothing is downloaded.")

ui.drop_unusable_link_values("vectors_format")
c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
fmt = c1.selectbox("Format", list(vf.FORMATS), format_func=vf.FORMATS.get, key="vectors_format", bind="query-params")
skip = c2.toggle("Skip bad rows instead of refusing the file", False, key="vectors_skip", bind="query-params",
                 help="Off: the first bad row refuses the whole file, with the reason. On: bad rows are left out "
                      "and listed below; a wrong header, binary junk or a file that is too big still refuse it.")
uploaded = st.file_uploader(f"A vectors file (.txt, .vec or .bin, up to {vf.MAX_BYTES // MB} MB)",
                            max_upload_size=vf.MAX_BYTES // MB, key="vectors_file")

sample_bytes = None
if uploaded is None:
    wv_sample, why = ue.shipped_vectors(SAMPLE)
    if wv_sample is None:
        st.info("Upload a file to read it. " + why)
        st.stop()
    sample_bytes = ue.shipped_file(SAMPLE, "word2vec-text")
    st.info(f"No file uploaded yet, so this page reads a sample: the shipped skip-gram vectors written as a word2vec "
            f"text file ({len(sample_bytes) / MB:.2f} MB). Upload your own file above.")
    result = ue.read_upload("sample", sample_bytes, "sample: shipped skip-gram (word2vec text)", fmt, skip)
    name = "sample.txt"
else:
    name = uploaded.name
    result = ue.read_upload(uploaded.file_id, uploaded.getvalue(), uploaded.name, fmt, skip)

if isinstance(result, str):
    st.error(result)
    st.caption(f"Nothing from {name[:80]!r} was kept; the vectors already in this session are unchanged "
               f"({len(ue.session_vectors())} set(s)). Try another format above, or turn on skipping bad rows.")
    st.stop()

wv = result.vectors
n, d = wv.vectors.shape
summary = lab.summarise(wv)

ui.show_code(vf.detect_format, vf.read_vectors, label="Show the code that reads the file")

# -- 1. what was read ----------------------------------------------------------------------------------
st.header("1. What was read")
m1, m2, m3, m4 = st.columns(4)
m1.metric("Words", f"{n:,}")
m2.metric("Dimensions D", f"{d:,}")
m3.metric("Format", vf.FORMATS[result.format].split(" (")[0])
m4.metric("Rows rejected", f"{result.n_rejected:,}")
if result.header:
    st.caption(f"Header line: {result.header[0]:,} words of {result.header[1]:,} numbers.")
for note in result.notes:
    st.warning(note)
if result.n_rejected:
    st.warning(f"{result.n_rejected:,} row(s) were left out" + (f"; the first {len(result.rejected)} are listed."
                                                                if result.n_rejected > len(result.rejected) else "."))
    st.dataframe({"why the row was left out": list(result.rejected)}, hide_index=True, height=200)

show = min(20, n)
st.subheader(f"The first {show} words and their numbers")
st.dataframe(ep.preview_frame(wv.words[:show], wv.vectors[:show], summary.norms[:show]), hide_index=True, width="stretch")
fig, table = ep.vector_rows_heatmap(wv.words[:show], wv.vectors[:show])
ui.plot(fig, "vectors-first-rows", table, key="rows",
        caption=f"Each row is one word's vector $e_w$ in file order, each column one dimension $i$ (the first "
                f"{min(d, 50)} of {d}); red positive, blue negative, on a scale symmetric about 0.")
explain("Single numbers mean little on their own: meaning lives in directions.")

st.header("2. How long are the vectors?")
st.latex(r"\lVert e_w \rVert = \sqrt{\textstyle\sum_{i=1}^{D} e_w[i]^2}")
fig, table = ep.norms_by_rank(wv.words, summary.norms)
ui.plot(fig, "vectors-lengths", table, key="norms",
        caption="Each point is one word: its row in the file (1 = first; a log axis past 100 rows) against its "
                "length $\\lVert e_w \\rVert$.")
explain("Files list the most frequent words first. Cosine similarity ignores length, so the explorer compares "
        "directions only.")

# -- 3. use them -------------------------------------------------------------------------------------------
st.header("3. Explore them")
if uploaded is not None:
    label = f"file: {uploaded.name[:60]}"
    ue.keep_loaded(label, wv)
    st.success(f"Kept in this session as {label!r} ({n:,} words); the explorer lists it under Vectors.")
    st.page_link("pages/embeddings_explorer.py", label="Open them in the embedding explorer", icon=":material/explore:",
                 query_params={"explorer_source": f"Mine: {label}"})  # a link carries the label the picker shows
else:
    st.page_link("pages/embeddings_explorer.py", label="Open the shipped vectors in the embedding explorer",
                 icon=":material/explore:", query_params={"explorer_source": ue.SHIPPED[SAMPLE]})

st.subheader("Download vectors as a file")
mine = ue.session_vectors()
choices = {m: ue.SHIPPED[m] for m in ue.SHIPPED if ue.shipped_vectors(m)[0] is not None}
choices |= {f"mine:{k}": f"Mine: {k}" for k in mine}
d1, d2 = st.columns(2)
pick = d1.selectbox("Vectors", list(choices), format_func=choices.get, key="vectors_download")
out_fmt = d2.selectbox("As", [f for f in vf.FORMATS if f != "auto"], format_func=vf.FORMATS.get,
                       key="vectors_download_format")
if pick is not None:
    if pick.startswith("mine:"):
        chosen = mine[pick[5:]]
        data = lambda: vf.write_vectors(chosen, out_fmt)  # noqa: E731 (written only when the button is pressed)
    else:
        data = lambda: ue.shipped_file(pick, out_fmt)  # noqa: E731
    st.download_button(f"Download {choices[pick]} as {vf.FORMATS[out_fmt]}", data, file_name=vf.FILE_NAMES[out_fmt],
                       mime="application/octet-stream", icon=":material/download:", key="vectors_download_button")
    st.caption("gensim reads these with `KeyedVectors.load_word2vec_format` (add `binary=True` for the binary file, "
               "`no_header=True` for GloVe text).")

# -- predict, then reveal ------------------------------------------------------------------------------------
st.header("Predict, then reveal")
predict_then_reveal(
    "vectors_q_size", f"The first {summary.head_words} words of these vectors, written once as word2vec text and once "
    "as word2vec binary: which file is bigger?", ["The text file", "The binary file", "About the same"], summary.bigger,
    lambda: st.markdown(f"Text: **{summary.text_bytes:,} bytes**; binary: **{summary.binary_bytes:,} bytes** "
                        f"({summary.text_bytes / summary.binary_bytes:.1f}×). Binary stores each number in exactly 4 "
                        "bytes; text writes up to 9 significant digits, a sign, a point, an exponent and a space."))
predict_then_reveal(
    "vectors_q_norms", "Which words have the longer vectors in this file on average: the first tenth (the frequent "
    "words) or the last tenth (the rare ones)?", ["The first words (frequent)", "The last words (rare)", "About the same"],
    summary.longer, lambda: st.markdown(f"Mean length of the first tenth of the words **{summary.first_mean:.3f}**, of "
                                        f"the last tenth **{summary.last_mean:.3f}** (the figure in section 2 shows "
                                        "every word)."))
