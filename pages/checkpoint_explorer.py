"""Checkpoint explorer: bring a model, safely, and look inside with the lessons' views.

Library calls: seqviz.checkpoints.parse_checkpoint (through ui.checkpoints.open_uploaded_checkpoint),
seqviz.explore (input check), RecurrentNet.trace / Seq2Seq.trace, seqviz.statedict (read_state_dict,
infer, recurrent_net, attention_trace, parse_input; through ui.checkpoints.open_uploaded_state_dict),
seqviz.hf (check_folder / load_folder / trace, through ui.checkpoints), plotting.translation,
plotting.hf (figures through ui.checkpoints.recurrent_views and ui.plot); ui.checkpoints.session_models_list
for the models of this session.
"""

import streamlit as st

from seqviz import explore, hf, models, ui
from seqviz import statedict as sdm
from seqviz.checkpoints import CheckpointError
from seqviz.plotting import hf as hp
from seqviz.plotting.translation import attention_heatmap
from seqviz.ui import checkpoints as uc
from seqviz.ui.classroom import explain

KINDS = ["seqviz checkpoint", "PyTorch state dict", "Word vectors", "Hugging Face folder"]
DEFAULT_SENTENCE = "The cat sat on the mat because it was tired."

st.title("Checkpoint explorer: open a model and look inside")
explain(
    "Hand the app a model and see inside it with the same views the lessons use. Every file is treated as hostile "
    "until it has been checked: weights are read from **safetensors** files, or from `torch.save` state dicts with "
    "PyTorch's weights-only reader (tensors and plain containers, nothing that can run); sizes, shapes, data types "
    f"and values are checked before anything is built, and each problem is named in one sentence. Files up to "
    f"**{uc.MAX_UPLOAD_MB} MB** each: a model of 100 million parameters in float32.")

ui.drop_unusable_link_values("ckpt_kind")
kind = st.segmented_control("What to open", KINDS, default=KINDS[0], key="ckpt_kind", bind="query-params",
                            required=True)


# -- 1. seqviz checkpoints ---------------------------------------------------------------------------
if kind == "seqviz checkpoint":
    st.header("A seqviz checkpoint")
    explain("A checkpoint is two files: `NAME.safetensors` (the weights) and `NAME.json` (architecture, configuration, "
            "vocabulary, task, recipe and metrics). Every model you train in this app downloads in this format "
            "(below, and on the lesson pages) and opens here again.")
    files = st.file_uploader("The two files of one checkpoint", type=["safetensors", "json"],
                             accept_multiple_files=True, key="ckpt_files")
    uc.session_models_list(expanded=not files)
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
               f"{models.parameter_count(model):,} parameters, a vocabulary of {len(ckpt.vocab)} tokens.")
    uc.checkpoint_summary(ckpt)
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
        uc.recurrent_views(trace, tokens, "checkpoint")
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

# -- 2. raw PyTorch state dicts ---------------------------------------------------------------------------
if kind == "PyTorch state dict":
    st.header("A PyTorch state dict")
    explain("The file `torch.save(model.state_dict(), 'model.pt')` writes (or safetensors' `save_file`): names and "
            "tensors, no architecture. The app reads it with `torch.load(weights_only=True, mmap=True)`, recognises "
            "RNN, LSTM and GRU layers (any depth, bidirectional), an embedding and a linear read-out around them, "
            "multi-head attention and transformer encoder or decoder layers from the names and shapes, rebuilds the "
            "model and shows what it could not place.")
    up = st.file_uploader(f"A .pt, .pth, .bin or .safetensors state dict (at most {uc.MAX_UPLOAD_MB} MB)",
                          type=["pt", "pth", "bin", "safetensors"], key="sd_file")
    if up is None:
        st.info("Upload a state dict to see the model it describes.")
        st.stop()
    try:
        rebuilt, notes = uc.open_uploaded_state_dict(up)
    except sdm.StateDictError as e:
        st.error(str(e))
        st.stop()
    st.success(f"Rebuilt {sdm.FAMILY_NAMES[rebuilt.family]} with {models.parameter_count(rebuilt.model):,} parameters from the "
               f"{len(rebuilt.placed)} tensors it placed:")
    st.code("\n".join(rebuilt.architecture), language=None, wrap_lines=True)
    for note in notes + rebuilt.notes:
        st.caption(note)
    uc.unplaced_keys(rebuilt)
    st.subheader("Inside, on your input")
    vocab = uc.typed_vocab(rebuilt)
    text = st.text_input(f"Input: {'tokens of your vocabulary' if vocab else f'token ids from 0 to {rebuilt.input_size - 1}'}",
                         sdm.default_input(rebuilt, vocab), key="sd_text", max_chars=2_000)
    typed = sdm.parse_input(text, rebuilt.input_size, vocab)
    if typed.error:
        st.error(typed.error)
        st.stop()
    if rebuilt.family in ("recurrent", "seqviz-recurrent"):
        net = uc.lesson_net(rebuilt)
        if net is not None:
            uc.recurrent_views(net.trace(typed.ids, typed.tokens, []), typed.tokens, "statedict")
        else:
            ui.plot(hp.states_heatmap(sdm.recurrent_states(rebuilt, typed.ids), typed.tokens), "statedict-states",
                    key="sd_states", caption="The top layer's output after each input token (columns), one row per "
                                             "unit, on the fixed scale [-1, 1].")
    else:
        A = sdm.attention_trace(rebuilt, typed.ids)  # (layers, heads, T, T)
        c1, c2 = st.columns(2)
        layer = c1.number_input("Layer", 1, A.shape[0], 1, key="sd_layer")
        head = c2.number_input("Head", 1, A.shape[1], 1, key="sd_head")
        ui.plot(hp.head_heatmap(A, typed.tokens, int(layer) - 1, int(head) - 1), "statedict-head",
                hp.attention_frame(A, typed.tokens), key="sd_head_fig",
                caption=f"Layer {int(layer)}, head {int(head)}: the weight query token i (row) gives key token j "
                        "(column), from 0 to 1; each row sums to 1.")
        ui.plot(hp.attention_grid(A, typed.tokens), "statedict-grid", key="sd_grid",
                caption="Every layer's self-attention, one small map per head: queries on the rows, keys on the columns.")
    st.stop()

# -- 3. word vectors: the embeddings lab's loader and explorer ----------------------------------------
if kind == "Word vectors":
    st.header("Word vectors")
    explain("Word vectors in GloVe text, word2vec text or binary, or fastText `.vec` format open on the **Pretrained "
            "vectors** page: it checks the file, shows what was read and what was rejected, and hands the vectors "
            "to the **Embedding explorer** (maps, neighbours, analogies).")
    st.page_link("pages/embeddings_pretrained.py", label="Load word vectors", icon=":material/upload_file:")
    st.page_link("pages/embeddings_explorer.py", label="Open the embedding explorer", icon=":material/explore:")
    st.stop()

# -- 4. Hugging Face folders ----------------------------------------------------------------------------
st.header("A Hugging Face transformer folder")
explain(f"A folder with `config.json`, `model.safetensors` and tokenizer files, for these families only: "
        f"{', '.join(hf.FAMILIES.values())}. It is built with `transformers` from the local files only, with remote "
        "code switched off: a config that asks for custom code (`auto_map`) is refused, and so is a pickle-based "
        "`pytorch_model.bin`.")
if not hf.transformers_available():
    st.info("This needs the optional package `transformers`, which this server does not have. The operator "
            "enables it with `pip install -r requirements-hf.txt` and a restart; the rest of the app works without it.")
    st.stop()
root, folder, uploads = uc.folder_source()
opened = None
try:
    opened = uc.open_uploaded_folder(uploads) if uploads else uc.open_operator_folder(root, folder) if folder else None
except hf.ModelFolderError as e:
    st.error(str(e))
if opened is None:
    st.info("Choose or upload a model folder to see its attention.")
    st.stop()
report = opened.report
st.success(uc.folder_summary(opened))
text = st.text_input("A sentence", DEFAULT_SENTENCE, key="hf_text", bind="query-params", max_chars=10_000)
if not text.strip():
    st.error("Type a sentence: the model needs at least one word.")
    st.stop()
tr = hf.trace(opened, text) if uploads else uc.trace_operator_folder(root, folder, text)
if tr.cut:
    st.warning(f"Your text has {tr.total_tokens:,} tokens; only its first {len(tr.tokens)} were kept (this app reads at "
               f"most {hf.MAX_TOKENS}), so the figures stop at token {len(tr.tokens)}.")
L, H = tr.attention.shape[:2]
c1, c2 = st.columns(2)
layer = c1.number_input("Layer", 1, L, 1, key="hf_layer", bind="query-params")
head = c2.number_input("Head", 1, H, 1, key="hf_head", bind="query-params")
st.latex(r"a_{ij} = \operatorname{softmax}_j\!\left(\frac{q_i \cdot k_j}{\sqrt{d}}\right)")
explain("Row i of a head is how token i (the query) spreads its attention over the tokens j (the keys); each row sums "
        "to 1." + (" GPT-2 is causal: a token attends only to itself and the tokens before it." if report.causal else ""))
ui.plot(hp.head_heatmap(tr.attention, tr.tokens, int(layer) - 1, int(head) - 1), "hf-head",
        hp.attention_frame(tr.attention, tr.tokens), key="hf_head_fig",
        caption=f"Layer {int(layer)}, head {int(head)}: cell (i, j) is the weight $a_{{ij}}$ query token i (row) gives "
                "key token j (column), from 0 to 1.")
ui.plot(hp.attention_grid(tr.attention, tr.tokens), "hf-grid", key="hf_grid",
        caption="Every head at once: one small map per layer and head, queries i on the rows, keys j on the columns.")
ui.plot(hp.hidden_norms_figure(tr.hidden_norms, tr.tokens), "hf-norms", key="hf_norms",
        caption="The norm ‖h‖ of each token's hidden state (columns) after the embeddings (row 0) and after each layer.")
if tr.next_tokens is not None:
    ui.plot(hp.next_token_bars(tr.next_tokens, tr.next_probs), "hf-next", key="hf_next",
            caption="The model's 10 likeliest next tokens after this sentence, by probability from 0 to 1.")
