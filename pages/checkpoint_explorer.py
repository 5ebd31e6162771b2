"""Checkpoint explorer: bring a model, safely, and look inside with the lessons' views.

Library calls: seqviz.checkpoints.parse_checkpoint (through ui.checkpoints.open_uploaded_checkpoint),
seqviz.explore (tensor table, input check), RecurrentNet.trace / Seq2Seq.trace, seqviz.hf
(check_folder / check_files / load_folder / trace, through ui.checkpoints), plotting.gates,
plotting.translation, plotting.hf; ui.session_models and ui.checkpoints.download_checkpoint for the
models a learner trained in this session.
"""

import streamlit as st

from seqviz import explore, hf, ui
from seqviz.checkpoints import CheckpointError
from seqviz.plotting import gates as gp
from seqviz.plotting import hf as hp
from seqviz.plotting import hidden_heatmap
from seqviz.plotting.translation import attention_heatmap
from seqviz.ui import checkpoints as uc
from seqviz.ui.classroom import explain

KINDS = ["seqviz checkpoint", "Word vectors", "Hugging Face folder"]
DEFAULT_SENTENCE = "The cat sat on the mat because it was tired."

st.title("Checkpoint explorer: open a model and look inside")
explain(
    "Hand the app a model and see inside it with the same views the lessons use. Every file is treated "
    "as hostile until it has been checked: weights are read only from **safetensors** files (tensors, "
    "nothing that can run), never from pickle-based `.pt`/`.bin` files; sizes, shapes, data types and "
    "values are checked before anything is built, and each problem is named in one sentence.")

ui.drop_unusable_link_values("ckpt_kind")
kind = st.segmented_control("What to open", KINDS, default=KINDS[0], key="ckpt_kind", bind="query-params",
                            required=True)

# -- 1. seqviz checkpoints ---------------------------------------------------------------------------
if kind == "seqviz checkpoint":
    st.header("A seqviz checkpoint")
    explain(
        "A checkpoint is two files: `NAME.safetensors` (the weights) and `NAME.json` (architecture, "
        "configuration, vocabulary, task, recipe and metrics). Every model you train in this app can be "
        "downloaded in this format (below, and on the lesson pages) and opened here again. "
        "Limit: 64 MB for the weights, 1 MB for the description.")
    files = st.file_uploader("The two files of one checkpoint", type=["safetensors", "json"],
                             accept_multiple_files=True, key="ckpt_files")
    mine = uc.session_checkpoints()
    with st.expander(f"Models trained in this session ({len(mine)}): download them", expanded=not files):
        if not mine:
            st.caption("None yet: train one in a lesson (Vanilla RNN, Train and compare, Translation, Sentiment, "
                       "Speech, A tiny GPT), then come back.")
        for i, (label, model_i, meta_i) in enumerate(mine):
            st.markdown(f"**{label}**")
            uc.download_checkpoint(model_i, {"description": f"Trained in seqviz: {label}", **meta_i}, label, key=f"session-{i}")
    ckpt = None
    if files:
        try:
            ckpt = uc.open_uploaded_checkpoint(files)
        except (CheckpointError, ValueError) as e:
            st.error(str(e))
    if ckpt is None:
        st.info("Upload a checkpoint to see inside it.")
        st.stop()

    model = ckpt.model
    st.success(f"Opened **{ckpt.name}**: architecture `{ckpt.meta['architecture']}`, "
               f"{explore.parameter_count(model):,} parameters, a vocabulary of {len(ckpt.vocab)} tokens.")
    c1, c2 = st.columns(2)
    c1.markdown("**Configuration**")
    c1.json(ckpt.meta.get("config", {}), expanded=True)
    c2.markdown("**What it reached** (as recorded in the file)")
    if ckpt.meta.get("metrics"):
        c2.json(ckpt.meta["metrics"], expanded=False)
    else:
        c2.caption("The file records no metrics (a model trained in a session has none until it is evaluated).")
    table = explore.tensor_table(model)
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ("mean", "std", "min", "max")})

    st.subheader("Inside, on your input")
    text = st.text_input("Input for the model", explore.default_text(ckpt)[:200], key="ckpt_text", max_chars=10_000)
    check = explore.check_text(ckpt, text)
    if check.error:
        st.error(check.error)
        st.stop()
    if check.note:
        st.warning(check.note)
    tokens = check.tokens
    arch = ckpt.meta["architecture"]
    if arch == "recurrent":
        trace = model.trace(ckpt.vocab.encode(tokens), tokens, ckpt.meta.get("class_names") or [])
        if trace.probs.ndim == 1 and trace.class_names:  # one answer for the whole text
            k = int(trace.probs.argmax())
            st.markdown(f"**The model's answer:** `{trace.class_names[k]}` with probability {trace.probs[k]:.3f}")
        ui.plot(hidden_heatmap(trace), "checkpoint-hidden", key="ckpt_hidden",
                caption="The hidden state $h_t$ of the last layer after each input token (columns), one row per "
                        "unit, on the fixed scale [-1, 1] (the Vanilla RNN lesson's view).")
        if trace.cell_type in ("lstm", "gru"):
            cell = trace.first
            ui.plot(gp.gates_grid(cell, tokens), "checkpoint-gates", gp.gates_frame(cell, tokens), key="ckpt_gates",
                    caption="Every gate, the cell state (LSTM only) and the hidden state of the first layer, one "
                            "panel each: units on the rows, input tokens on the columns, each on its own fixed scale "
                            "(the LSTM and GRU lesson's view).")
    elif arch == "seq2seq-gru" and ckpt.target_vocab is not None:
        trace = model.trace(ckpt.vocab.encode(tokens), tokens, ckpt.target_vocab, max_len=2 * len(tokens) + 5)
        st.markdown(f"**Translation:** {' '.join(trace.output_tokens)}")
        if trace.weights is not None:
            ui.plot(attention_heatmap(trace), "checkpoint-attention", key="ckpt_attention",
                    caption="Attention weight α_ij of each output word i (rows) over the source words j (columns), "
                            "from 0 to 1 (the translation lesson's view).")
        else:
            st.info("This model has no attention, so there is no alignment to draw.")
    else:
        st.info(f"This app opens `{arch}` checkpoints; its lesson page shows their views.")
    st.stop()

# -- 2. word vectors: the embeddings lab's loader and explorer ----------------------------------------
if kind == "Word vectors":
    st.header("Word vectors")
    explain(
        "Word vectors in GloVe text, word2vec text or binary, or fastText `.vec` format open on the "
        "**Pretrained vectors** page: it checks the file (header counts against the file size, exactly D "
        "finite numbers a row, repeated words), shows what was read and what was rejected, and hands the "
        "vectors to the **Embedding explorer** (maps, neighbours, analogies).")
    st.page_link("pages/embeddings_pretrained.py", label="Load word vectors", icon=":material/upload_file:")
    st.page_link("pages/embeddings_explorer.py", label="Open the embedding explorer", icon=":material/explore:")
    st.stop()

# -- 3. Hugging Face folders ----------------------------------------------------------------------------
st.header("A Hugging Face transformer folder")
explain(
    f"A folder with `config.json`, `model.safetensors` and tokenizer files, for these families only: "
    f"{', '.join(hf.FAMILIES.values())}. It is built with the `transformers` library from the local files "
    "only, with remote code switched off: a config that asks for custom code (`auto_map`) is refused, "
    "and so is a pickle-based `pytorch_model.bin`.")
if not hf.transformers_available():
    st.info("This needs the optional package `transformers`, which this server does not have. The operator "
            "enables it with `pip install -r requirements-hf.txt` and a restart; the rest of the app works without it.")
    st.stop()
root = uc.model_root()
names = hf.model_folders(root) if root else []
c1, c2 = st.columns(2)
with c1:
    if root is None:
        st.caption(f"The operator can offer folders from one directory: set `{uc.ENV_DIR}` or `{uc.SECRET_DIR}` "
                   "in `.streamlit/secrets.toml`. None is set on this server.")
        folder = None
    else:
        folder = st.selectbox(f"A folder from the operator's directory ({len(names)})", names, index=None,
                              key="hf_folder", bind="query-params", placeholder="Choose a model folder")
with c2:
    uploads = st.file_uploader(f"... or upload a folder's files (at most {uc.MAX_UPLOAD_MB} MB in all)",
                               accept_multiple_files=True, key="hf_files")
opened = tr = None
try:
    if uploads:
        opened = uc.open_uploaded_folder(uploads)
    elif folder:
        opened = uc.open_operator_folder(root, folder)
except hf.ModelFolderError as e:
    st.error(str(e))
if opened is None:
    st.info("Choose or upload a model folder to see its attention.")
    st.stop()

report = opened.report
cfg = opened.model.config
st.success(f"Opened a {hf.FAMILIES[report.family]} model: {report.parameters:,} parameters, "
           f"{cfg.num_hidden_layers} layers x {cfg.num_attention_heads} heads, a vocabulary of {len(opened.tokenizer):,}."
           + (f" Ignored files: {', '.join(report.ignored)}." if report.ignored else ""))
text = st.text_input("A sentence", DEFAULT_SENTENCE, key="hf_text", bind="query-params", max_chars=10_000)
if not text.strip():
    st.error("Type a sentence: the model needs at least one word.")
    st.stop()
if len(text) > 1000:
    st.warning(f"That text has {len(text):,} characters; only its first {hf.MAX_TOKENS} tokens are shown.")
tr = hf.trace(opened, text[:1000]) if uploads else uc.trace_operator_folder(root, folder, text[:1000])
L, H = tr.attention.shape[:2]
c1, c2 = st.columns(2)
layer = c1.number_input("Layer", 1, L, 1, key="hf_layer", bind="query-params")
head = c2.number_input("Head", 1, H, 1, key="hf_head", bind="query-params")
st.latex(r"a_{ij} = \operatorname{softmax}_j\!\left(\frac{q_i \cdot k_j}{\sqrt{d}}\right)")
explain("Row i of a head is how token i (the query) spreads its attention over the tokens j (the keys); "
        "each row sums to 1." + (" GPT-2 is causal: a token attends only to itself and the tokens "
                                 "before it, so the upper triangle is 0." if report.causal else ""))
frame = hp.attention_frame(tr.attention, tr.tokens)
ui.plot(hp.head_heatmap(tr.attention, tr.tokens, int(layer) - 1, int(head) - 1), "hf-head", frame, key="hf_head_fig",
        caption=f"Layer {int(layer)}, head {int(head)}: cell (i, j) is the weight $a_{{ij}}$ query token i (row) gives "
                "key token j (column), from 0 to 1.")
ui.plot(hp.attention_grid(tr.attention, tr.tokens), "hf-grid", key="hf_grid",
        caption="Every head at once: one small map per layer and head, each with queries i on the rows and keys j "
                "on the columns, weights from 0 to 1.")
ui.plot(hp.hidden_norms_figure(tr.hidden_norms, tr.tokens), "hf-norms", key="hf_norms",
        caption="The norm ‖h‖ of each token's hidden state (columns) after the embeddings (row 0) and after each "
                "layer, from 0 up.")
if tr.next_tokens is not None:
    ui.plot(hp.next_token_bars(tr.next_tokens, tr.next_probs), "hf-next", key="hf_next",
            caption="The model's 10 likeliest next tokens after this sentence, one bar each, by probability from 0 "
                    "to 1.")
