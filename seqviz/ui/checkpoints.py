"""Streamlit side of the checkpoint explorer: where operator folders live, cached opened models,
uploads kept per session, and the download buttons that write any model in seqviz's format."""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

import streamlit as st
import torch

from seqviz import hf
from seqviz.checkpoints import Checkpoint, checkpoint_bytes, parse_checkpoint, task_meta
from seqviz.safefiles import is_pickle_name

ENV_DIR = "SEQVIZ_MODEL_DIR"      # the operator's directory of Hugging Face folders
SECRET_DIR = "model_dir"          # the same, from .streamlit/secrets.toml
MAX_UPLOAD_MB = 64                # .streamlit/config.toml server.maxUploadSize
UPLOAD_NAMES = {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json", "generation_config.json"}


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
    key = tuple(sorted((f.name, f.file_id) for f in files))
    held = st.session_state.get("hf_upload")
    if held and held[0] == key:
        return held[1]
    folder = Path(tempfile.mkdtemp(prefix="seqviz-upload-"))
    paths = {}
    for f in files:
        paths[f.name] = folder / f.name
        paths[f.name].write_bytes(f.getvalue())
    report = hf.check_files(paths)
    opened = hf.load_folder(folder, report)
    st.session_state["hf_upload"] = (key, opened)
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
_KEEP_OUT = ("format", "version", "architecture", "config", "metrics", "name", "description", "recipe",
             "seed", "command", "train_seconds", "train_cpu_seconds", "steps_per_second", "torch_threads",
             "torch_version", "corpus", "data")


def _vocab_meta(shipped: str) -> dict:
    """What a model trained in a lab shares with that lab's shipped checkpoint `shipped`: its
    vocabularies, classes and task (read from the shipped JSON, which the zoo has verified)."""
    from seqviz import zoo

    meta = json.loads((zoo.ASSETS / f"{shipped}.json").read_text())
    return {k: v for k, v in meta.items() if k not in _KEEP_OUT}


def session_checkpoints() -> list[tuple[str, torch.nn.Module, dict]]:
    """(label, model, meta) for every model this session trained in any lab: the recurrent lab's
    models, and the translation, sentiment, speech and GPT lessons' own models. `meta` is what the
    download writes beside the architecture and config, so the file opens again in the explorer."""
    from seqviz import ui

    found = [(label, m.run.model, task_meta(m.task, file_stem(label), f"Trained in seqviz: {label}"))
             for label, m in ui.session_models().items()]
    own = st.session_state.get("tr_own")
    if own:
        found.append((f"Translation: {own['label']}", own["run"].model, _vocab_meta("translation-attention")))
    sentiment = st.session_state.get("sentiment_own") or {}
    if sentiment:
        from seqviz.ui import sentiment as us
        for label, m in sentiment.items():
            found.append((f"Sentiment: {label}", m.run.model, task_meta(us.TASK, file_stem(label), f"Trained in seqviz: {label}")))
    speech = st.session_state.get("sp_own")
    if speech:
        found.append((f"Speech: {speech['label']}", speech["run"].model, _vocab_meta("speech-las")))
    gpt = st.session_state.get("gpt_own")
    if gpt:
        found.append((f"GPT: {gpt.label}", gpt.run.model, {"vocab": gpt.corpus.vocab.to_list()}))
    return found
