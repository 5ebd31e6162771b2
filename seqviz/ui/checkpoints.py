"""Streamlit side of the checkpoint explorer: where operator folders live, cached opened models,
uploads kept per session (Hugging Face folders, seqviz checkpoints, raw PyTorch state dicts), the
choices a state dict cannot answer itself, and the list of this session's models (from the one learner
store, seqviz.ui.store) with download buttons that write each in seqviz's format."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path

import pandas as pd
import streamlit as st
import torch

from seqviz import hf
from seqviz import statedict as sdm
from seqviz.checkpoints import Checkpoint, checkpoint_bytes, parse_checkpoint
from seqviz.explore import tensor_table
from seqviz.safefiles import is_pickle_name
from seqviz.ui import store

ENV_DIR = "SEQVIZ_MODEL_DIR"      # the operator's directory of Hugging Face folders
SECRET_DIR = "model_dir"          # the same, from .streamlit/secrets.toml
MAX_UPLOAD_MB = 450               # a 100M-parameter model in float32 (~381 MiB); .streamlit/config.toml
#                                   server.maxUploadSize must be at least this (streamlit's cap is per file)
UPLOAD_NAMES = {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json", "generation_config.json"}


class TempPath:
    """A session's temporary file or folder, deleted when the session's entry holding it is dropped
    (a new upload, or the session ending), so uploads do not pile up on the server's disk."""

    def __init__(self, path: Path):
        self.path = path
        weakref.finalize(self, TempPath.remove, str(path))

    @staticmethod
    def remove(path: str) -> None:
        shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else Path(path).unlink(missing_ok=True)


def model_root() -> Path | None:
    """The one directory the operator allows folders from (environment first, then secrets), or None."""
    value = os.environ.get(ENV_DIR)
    if not value:
        try:
            value = st.secrets.get(SECRET_DIR)
        except Exception:  # no secrets file at all: streamlit raises rather than returning nothing
            value = None
    return Path(value) if value else None


def _stamp(folder: Path) -> tuple:
    return tuple(sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()))


@st.cache_resource(max_entries=2, show_spinner="Opening the model folder...")
def _open_folder(root: str, name: str, stamp: tuple) -> hf.OpenedModel:
    folder, report = hf.check_folder(Path(root), name)
    return hf.load_folder(folder, report)


def open_operator_folder(root: Path, name: str) -> hf.OpenedModel:
    """Check and build a folder of the operator's directory (cached per server, by its files' stamp)."""
    folder, _ = hf.check_folder(root, name)  # refuses unsafe names before anything is cached
    return _open_folder(str(root), name, _stamp(folder))


def open_uploaded_folder(files) -> hf.OpenedModel:
    """Write the uploaded files (allowlisted names only) into this session's own temporary folder,
    check them, build the model; kept in the session until other files are uploaded."""
    names = [f.name for f in files]
    pickled = [n for n in names if is_pickle_name(n)]
    if pickled:
        raise hf.ModelFolderError(f"{pickled[0][:60]} is a pickle-based weights file, which can run code when opened; "
                                  "this app opens model.safetensors only.")
    unknown = [n for n in names if n not in UPLOAD_NAMES]
    if unknown:
        raise hf.ModelFolderError(f"{unknown[0][:60]!r} is not a file of a model folder this app reads "
                                  f"(it reads: {', '.join(sorted(UPLOAD_NAMES))}).")
    if len(set(names)) != len(names):
        raise hf.ModelFolderError("The same file name was uploaded twice.")
    total = sum(f.size for f in files)
    if total > MAX_UPLOAD_MB * 2**20:
        raise hf.ModelFolderError(f"These files hold {total / 2**20:,.0f} MB; an upload may hold {MAX_UPLOAD_MB} MB in all.")
    key = tuple(sorted((f.name, f.file_id) for f in files))
    held = st.session_state.get("hf_upload")
    if held and held[0] == key:
        return held[1]
    folder = Path(tempfile.mkdtemp(prefix="seqviz-upload-"))
    paths = {}
    for f in files:
        paths[f.name] = folder / f.name
        paths[f.name].write_bytes(f.getvalue())  # getvalue() is the upload's own buffer, not a copy
    report = hf.check_files(paths)
    opened = hf.load_folder(folder, report)
    st.session_state["hf_upload"] = (key, opened, TempPath(folder))  # the folder goes with the session's entry
    return opened


@st.cache_data(max_entries=16, show_spinner=False)
def _trace_folder(root: str, name: str, stamp: tuple, text: str) -> hf.HFTrace:
    return hf.trace(_open_folder(root, name, stamp), text)


def trace_operator_folder(root: Path, name: str, text: str) -> hf.HFTrace:
    folder, _ = hf.check_folder(root, name)
    return _trace_folder(str(root), name, _stamp(folder), text)


def open_uploaded_checkpoint(files) -> Checkpoint:
    """Parse the two uploaded files of a seqviz checkpoint (kept in the session until new files come)."""
    weights = [f for f in files if f.name.lower().endswith(".safetensors")]
    configs = [f for f in files if f.name.lower().endswith(".json")]
    if len(weights) != 1 or len(configs) != 1 or len(files) != 2:
        raise ValueError("Upload exactly two files: NAME.safetensors (the weights) and NAME.json (the description).")
    key = tuple(sorted(f.file_id for f in files))
    held = st.session_state.get("ckpt_upload")
    if held and held[0] == key:
        return held[1]
    too_big = [f for f in files if f.size > MAX_UPLOAD_MB * 2**20]
    if too_big:
        raise ValueError(f"{too_big[0].name[:60]} is {too_big[0].size / 2**20:,.0f} MB; files up to {MAX_UPLOAD_MB} MB are opened.")
    # getvalue() hands over the upload's own bytes (no copy); the weights are read as views into them
    ckpt = parse_checkpoint(weights[0].getvalue(), configs[0].getvalue())
    st.session_state["ckpt_upload"] = (key, ckpt)
    return ckpt


def file_stem(label: str) -> str:
    """A safe file name from a model's label: 'LSTM, lag 30' -> 'lstm-lag-30'."""
    return re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60] or "model"


def download_checkpoint(model: torch.nn.Module, meta: dict, label: str, key: str) -> None:
    """Two download buttons: the model's weights (safetensors) and its description (JSON), the format
    the explorer opens. Built on click only, so a page with many models stays fast."""
    stem = file_stem(label)
    cols = st.columns(2)
    cols[0].download_button(f"{stem}.safetensors", lambda: checkpoint_bytes(model, {"name": stem, **meta})[0],
                            file_name=f"{stem}.safetensors", mime="application/octet-stream",
                            key=f"dl-w-{key}", icon=":material/download:")
    cols[1].download_button(f"{stem}.json", lambda: checkpoint_bytes(model, {"name": stem, **meta})[1],
                            file_name=f"{stem}.json", mime="application/json", key=f"dl-j-{key}",
                            icon=":material/download:")




# -- every model trained in this session, whichever lab trained it ---------------------------------
OPENS_IN = {  # lab -> where a model that is not a seqviz checkpoint (meta None) opens
    "embeddings": "the Embedding explorer (word vectors; the Pretrained vectors page downloads them as a vectors file)",
}


def session_checkpoints() -> list[store.LearnerModel]:
    """Every model this session trained, in any lab, as the one learner store holds them (in the order
    they were started). A model with `meta` downloads as a checkpoint the explorer opens again; one
    without (word vectors, ...) is listed with where it opens."""
    return list(store.models().values())


def where_it_opens(m: store.LearnerModel) -> str:
    """Where a model that is not a seqviz checkpoint opens: its lab's own pages (from the lab registry)."""
    if m.lab in OPENS_IN:
        return OPENS_IN[m.lab]
    from seqviz import labs

    try:
        lab = labs.get(m.lab)
    except KeyError:
        return "the lab that trained it"
    return f"the {lab.title} pages ({', '.join(p.title for p in lab.pages)})"


def session_models_list(expanded: bool) -> None:
    """The expander listing this session's models: download buttons, or where each opens."""
    mine = session_checkpoints()
    with st.expander(f"Models trained in this session ({len(mine)}): download them", expanded=expanded):
        if not mine:
            st.caption("None yet: train one in a lesson (Vanilla RNN, Train and compare, Translation, Sentiment, "
                       "Speech, A tiny GPT, Word2Vec), then come back.")
        for i, m in enumerate(mine):
            st.markdown(f"**{m.label}** ({m.steps:,} steps)")
            if m.meta is None:
                st.caption(f"Not a seqviz checkpoint: it opens in {where_it_opens(m)}.")
            else:
                download_checkpoint(m.model, {"description": f"Trained in seqviz: {m.label}", **m.meta}, m.label,
                                    key=f"session-{i}")


def checkpoint_summary(ckpt: Checkpoint) -> None:
    """Configuration, recorded metrics, and one row per tensor of an opened seqviz checkpoint."""
    c1, c2 = st.columns(2)
    c1.markdown("**Configuration**")
    c1.json(ckpt.meta.get("config", {}), expanded=True)
    c2.markdown("**What it reached** (as recorded in the file)")
    if ckpt.meta.get("metrics"):
        c2.json(ckpt.meta["metrics"], expanded=False)
    else:
        c2.caption("The file records no metrics (a model trained in a session has none until it is evaluated).")
    _tensors(tensor_table(ckpt.model))


def _tensors(table: pd.DataFrame) -> None:
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={c: st.column_config.NumberColumn(format="%.4f") for c in ("mean", "std", "min", "max")})


# -- raw PyTorch state dicts ---------------------------------------------------------------------
_SD_KEY = "sd_upload"  # session_state: {"id": file id, "path": temp file, "tensors", "notes", "built": {options: Rebuilt}}
OPTION_LABELS = {"heads": "Attention heads (not stored in the file)", "activation": "Feed-forward activation",
                 "norm_first": "Layer norm before each block (pre-norm)", "causal": "Mask the future (causal)",
                 "nonlinearity": "RNN nonlinearity", "readout": "Read-out"}
OPTION_VALUES = {"tag": "at every step", "last": "on the last step only", True: "yes", False: "no"}


def _option_label(value) -> str:
    if isinstance(value, int) and not isinstance(value, bool):  # heads (1 == True as a dict key)
        return str(value)
    return OPTION_VALUES.get(value, str(value))


def _read_upload(file) -> dict:
    """The uploaded file written to this session's own temporary file (torch.load's mmap needs a real
    file), read with weights_only, kept in the session until another file is uploaded."""
    held = st.session_state.get(_SD_KEY)
    if held and held["id"] == file.file_id:
        return held
    if held:
        if held["path"]:
            Path(held["path"]).unlink(missing_ok=True)
        st.session_state.pop(_SD_KEY, None)
    for key in ("sd_text", "sd_vocab", "sd_layer", "sd_head", *(f"sd_{name}" for name in OPTION_LABELS)):
        st.session_state.pop(key, None)  # another model: its own input and choices start at their defaults
    if file.size > MAX_UPLOAD_MB * 2**20:
        raise sdm.StateDictError(f"{file.name[:60]} is {file.size / 2**20:,.0f} MB; files up to {MAX_UPLOAD_MB} MB are opened.")
    suffix = Path(file.name).suffix.lower()
    if suffix not in sdm.SUFFIXES:
        raise sdm.StateDictError(f"{file.name[:60]} is not a .pt, .pth or .bin file written by torch.save, "
                                 "nor a .safetensors file.")
    if suffix == ".safetensors":  # read from the upload's own bytes: no file needed
        tensors, notes = sdm.read_safetensors(file.getvalue(), file.name)
        held = {"id": file.file_id, "path": None, "tensors": tensors, "notes": notes, "built": {}}
        st.session_state[_SD_KEY] = held
        return held
    fd, path = tempfile.mkstemp(prefix="seqviz-statedict-", suffix=suffix)
    with os.fdopen(fd, "wb") as out:
        out.write(file.getvalue())  # the upload's own buffer, not a copy
    try:
        tensors, notes = sdm.read_state_dict(Path(path), MAX_UPLOAD_MB * 2**20)
    except sdm.StateDictError:
        Path(path).unlink(missing_ok=True)
        raise
    held = {"id": file.file_id, "path": path, "tensors": tensors, "notes": notes, "built": {}, "temp": TempPath(Path(path))}
    st.session_state[_SD_KEY] = held
    return held


def open_uploaded_state_dict(file) -> tuple[sdm.Rebuilt, list[str]]:
    """Read, recognise and rebuild an uploaded state dict, with a widget for every choice the file
    cannot answer (heads, activation, ...); the rebuilt module is kept for the latest choices."""
    held = _read_upload(file)
    first = held["built"].get(None) or sdm.infer(held["tensors"])
    held["built"] = {None: first, **{k: v for k, v in held["built"].items() if k is not None}}
    chosen = {}
    if first.choices:
        cols = st.columns(len(first.choices))
        for col, (name, values) in zip(cols, first.choices.items()):
            default = getattr(first.options, name)
            chosen[name] = col.selectbox(OPTION_LABELS[name], values, index=values.index(default) if default in values else 0,
                                         key=f"sd_{name}", format_func=_option_label)
    options = sdm.Options(**{**first.options.__dict__, **chosen})
    if options == first.options:
        return first, held["notes"]
    if options not in held["built"]:
        held["built"] = {None: first, options: sdm.infer(held["tensors"], options)}
    return held["built"][options], held["notes"]


def unplaced_keys(rebuilt: sdm.Rebuilt) -> None:
    if rebuilt.unplaced:
        st.warning(f"{len(rebuilt.unplaced)} tensors of the file could not be placed in the rebuilt model: "
                   + "; ".join(rebuilt.unplaced[:20]) + (" ..." if len(rebuilt.unplaced) > 20 else "") + ".")
    else:
        st.caption("Every tensor of the file was placed in the rebuilt model.")


def typed_vocab(rebuilt: sdm.Rebuilt) -> list[str] | None:
    """An optional vocabulary the learner pastes (a state dict ships none); None: type token ids."""
    text = st.text_area("Vocabulary (optional): the tokens in id order, one a line, or a string of characters",
                        "", key="sd_vocab", max_chars=100_000, height=80)
    vocab, error = sdm.parse_vocab(text, rebuilt.input_size)
    if error:
        st.error(error)
    return vocab


def lesson_net(rebuilt: sdm.Rebuilt):
    """The seqviz RecurrentNet for a recurrent state dict's views (kept with the rebuilt model)."""
    held = st.session_state.setdefault("sd_net", {})
    if held.get("for") is not rebuilt:
        held.update({"for": rebuilt, "net": sdm.recurrent_net(rebuilt)})
    return held["net"]


def folder_summary(opened: hf.OpenedModel) -> str:
    """One line on an opened Hugging Face model: family, parameters (buffers stored in older files
    counted apart), layers, heads, vocabulary and ignored files."""
    report, cfg = opened.report, opened.model.config
    buffers = report.buffers
    stored = (f" (the file also stores {sum(buffers.values()):,} numbers of buffers that are not parameters: "
              f"{', '.join(list(buffers)[:3])}{' ...' if len(buffers) > 3 else ''})") if buffers else ""
    return (f"Opened a {hf.FAMILIES[report.family]} model: {report.parameters:,} parameters{stored}, "
            f"{cfg.num_hidden_layers} layers x {cfg.num_attention_heads} heads, a vocabulary of {len(opened.tokenizer):,}."
            + (f" Ignored files: {', '.join(report.ignored)}." if report.ignored else ""))


def recurrent_views(trace, tokens: list[str], key: str) -> None:
    """The Vanilla RNN and the LSTM/GRU lessons' views of one RecurrentTrace."""
    from seqviz.plotting import gates as gp
    from seqviz.plotting import hidden_heatmap
    from seqviz.ui import plot

    plot(hidden_heatmap(trace), f"{key}-hidden", key=f"{key}_hidden",
         caption="The hidden state $h_t$ of the first layer after each input token (columns), one row per unit, "
                 "on the fixed scale [-1, 1] (the Vanilla RNN lesson's view).")
    if trace.cell_type in ("lstm", "gru"):
        fig, table = gp.gates_grid(trace.first, tokens)
        plot(fig, f"{key}-gates", table, key=f"{key}_gates",
             caption="Every gate, the cell state (LSTM only) and the hidden state of the first layer, one panel "
                     "each: units on the rows, input tokens on the columns, each on its own fixed scale.")


def folder_source() -> tuple[Path | None, str | None, list]:
    """Where a Hugging Face folder comes from: the operator's directory (a picker, when one is set)
    or an upload of its files. Returns (root, chosen folder name, uploaded files)."""
    root = model_root()
    c1, c2 = st.columns(2)
    folder = None
    if root is None:
        c1.caption(f"The operator can offer folders from one directory: set `{ENV_DIR}` or `{SECRET_DIR}` in "
                   "`.streamlit/secrets.toml`. None is set on this server.")
    else:
        names = hf.model_folders(root)
        folder = c1.selectbox(f"A folder from the operator's directory ({len(names)})", names, index=None,
                              key="hf_folder", bind="query-params", placeholder="Choose a model folder")
    uploads = c2.file_uploader(f"... or upload a folder's files (at most {MAX_UPLOAD_MB} MB in all)",
                               accept_multiple_files=True, key="hf_files")
    return root, folder, uploads
