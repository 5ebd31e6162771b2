"""Hugging Face transformer folders, opened safely, and their attention on one sentence.

A folder holds `config.json`, `model.safetensors` and tokenizer files (`tokenizer.json`, or
`vocab.txt`, or `vocab.json` + `merges.txt`). `check_folder` validates it without importing
`transformers`; `load_folder` then builds the model with `transformers` from those local files only:

- families: an allowlist of `model_type`s (BERT and MiniLM-style models, DistilBERT, RoBERTa, GPT-2);
- never remote code: a config with `auto_map` or custom code is refused, and every call passes
  `trust_remote_code=False` and `local_files_only=True` (with the hub switched off);
- safetensors only: a pickle-based `pytorch_model.bin`/`.pt` is refused without being opened;
- sizes: layers, heads, widths, vocabulary and positions capped; header and byte ranges checked;
  NaN or infinite weights refused; the tokenizer must fit the model's vocabulary.

`transformers` is an optional extra (`pip install -r requirements-hf.txt`); `transformers_available()`
says whether it is installed, and nothing else in the app needs it.

`trace(model, text)` returns the attention of every layer and head (layers, heads, T, T), the norm of
the hidden state of every token after each layer, and for causal models (GPT-2) the next-token
distribution: the same numbers as `model(..., output_attentions=True)`, which a test checks.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqviz.safefiles import UnsafeFileError, files_inside, is_pickle_name, resolve_inside, safetensors_header

FAMILIES = {  # model_type -> what the page calls it
    "bert": "BERT (and MiniLM-style BERT models)",
    "distilbert": "DistilBERT",
    "roberta": "RoBERTa",
    "gpt2": "GPT-2",
}
CAUSAL = {"gpt2"}
# config keys (each family names them differently) -> the largest value this app opens
LIMITS = {
    "num_hidden_layers": 48, "n_layer": 48, "n_layers": 48,
    "num_attention_heads": 64, "n_head": 64, "n_heads": 64,
    "hidden_size": 4096, "n_embd": 4096, "dim": 4096,
    "intermediate_size": 16384, "n_inner": 16384, "hidden_dim": 16384,
    "vocab_size": 300_000,
    "max_position_embeddings": 8192, "n_positions": 8192,
}
REMOTE_CODE_KEYS = ("auto_map", "trust_remote_code", "custom_pipelines")
TOKENIZER_SETS = (("tokenizer.json",), ("vocab.txt",), ("vocab.json", "merges.txt"))
EMBEDDING_NAMES = ("word_embeddings.weight", "wte.weight")  # BERT-likes, GPT-2
MAX_CONFIG_BYTES = 2**20
MAX_WEIGHTS_BYTES = 600 * 2**20   # a folder in the operator's directory
MAX_TOKENS = 64                   # tokens of the learner's sentence that are traced
FLOAT_DTYPES = {"F64", "F32", "F16", "BF16"}  # safetensors dtypes of parameters
BUFFER_SUFFIXES = ("position_ids", "token_type_ids", "attn.masked_bias")  # stored by older files, never trained


class ModelFolderError(ValueError):
    """A folder the app will not open; the message is one sentence."""


def transformers_available() -> bool:
    return importlib.util.find_spec("transformers") is not None


@dataclass(frozen=True)
class FolderReport:
    family: str                       # model_type, one of FAMILIES
    config: dict                      # config.json as read
    tensors: dict[str, tuple[str, tuple[int, ...]]]  # from the safetensors header
    ignored: tuple[str, ...]          # files in the folder the app does not read

    @property
    def causal(self) -> bool:
        return self.family in CAUSAL

    @property
    def parameters(self) -> int:
        """Trainable numbers: floating-point tensors only. Older files also store integer tables that are
        buffers, not parameters (BERT's `embeddings.position_ids`, 512 of them); they are counted apart."""
        return sum(math.prod(shape) for name, (dtype, shape) in self.tensors.items() if not is_buffer(name, dtype, shape))

    @property
    def buffers(self) -> dict[str, int]:
        """Buffers stored in the file (name -> values): lookup tables and masks, never trained."""
        return {name: math.prod(shape) for name, (dtype, shape) in self.tensors.items() if is_buffer(name, dtype, shape)}


def is_buffer(name: str, dtype: str, shape: tuple[int, ...]) -> bool:
    """A tensor older files store that is not a parameter: any integer or boolean table (BERT's
    position_ids), and GPT-2's causal mask `attn.bias` (1, 1, n, n) and `attn.masked_bias`."""
    return (dtype not in FLOAT_DTYPES or name.endswith(BUFFER_SUFFIXES)
            or (name.endswith(".attn.bias") and len(shape) == 4))


def model_folders(root: Path) -> list[str]:
    """Names of the sub-folders of the operator's directory that hold a config.json (links skipped)."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.is_symlink() and (p / "config.json").is_file())


def check_folder(root: Path, name: str) -> tuple[Path, FolderReport]:
    """Resolve `name` inside `root` and validate everything in it; raise ModelFolderError."""
    try:
        folder = resolve_inside(root, name)
    except UnsafeFileError as e:
        raise ModelFolderError(str(e)) from None
    if not folder.is_dir():
        raise ModelFolderError(f"There is no folder called {name[:60]!r} in the model directory.")
    try:
        files = {p.name: p for p in files_inside(root, folder)}
    except UnsafeFileError as e:
        raise ModelFolderError(str(e)) from None
    return folder, check_files(files)


def check_files(files: dict[str, Path]) -> FolderReport:
    """Validate a folder's files (name -> path) without importing transformers."""
    pickled = sorted(n for n in files if is_pickle_name(n))
    if "model.safetensors" not in files:
        if pickled:
            raise ModelFolderError(f"{pickled[0]} is a pickle-based weights file, which can run code when opened; "
                                   "this app opens model.safetensors only (convert it with safetensors first).")
        raise ModelFolderError("The folder has no model.safetensors (the only weights format this app opens).")
    if "config.json" not in files:
        raise ModelFolderError("The folder has no config.json.")
    config = _read_config(files["config.json"])
    family = config["model_type"]
    if not any(all(f in files for f in need) for need in TOKENIZER_SETS):
        raise ModelFolderError("The folder has no tokenizer files (tokenizer.json, vocab.txt, or vocab.json with merges.txt).")
    try:
        tensors = safetensors_header(files["model.safetensors"], MAX_WEIGHTS_BYTES)
    except UnsafeFileError as e:
        raise ModelFolderError(str(e)) from None
    embedding = [shape for name, (_, shape) in tensors.items() if name.endswith(EMBEDDING_NAMES)]
    if embedding and len(embedding[0]) == 2 and embedding[0][0] != config.get("vocab_size", embedding[0][0]):
        raise ModelFolderError(f"The word embedding has {embedding[0][0]:,} rows but config.json says vocab_size "
                               f"{config['vocab_size']:,}: the weights and the config do not belong together.")
    used = {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
            "vocab.json", "merges.txt", "special_tokens_map.json", "added_tokens.json", "generation_config.json"}
    return FolderReport(family, config, tensors, tuple(sorted(set(files) - used)))


def _read_config(path: Path) -> dict:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ModelFolderError(f"config.json is larger than {MAX_CONFIG_BYTES // 1024} KB.")
    try:
        config = json.loads(path.read_bytes())
    except (UnicodeDecodeError, ValueError):
        raise ModelFolderError("config.json is not valid JSON.") from None
    if not isinstance(config, dict):
        raise ModelFolderError("config.json must hold a JSON object.")
    remote = [k for k in REMOTE_CODE_KEYS if k in config]
    if remote:
        raise ModelFolderError(f"config.json asks for custom code ({remote[0]!r}); this app never runs code from a model folder.")
    family = config.get("model_type")
    if family not in FAMILIES:
        raise ModelFolderError(f"Model type {str(family)[:30]!r} is not one this app opens; it opens: "
                               f"{', '.join(sorted(FAMILIES))}.")
    for key, limit in LIMITS.items():
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ModelFolderError(f"config.json field {key!r} must be a positive whole number, not {str(value)[:20]!r}.")
        if value > limit:
            raise ModelFolderError(f"config.json field {key!r} is {value:,}, above this app's limit of {limit:,}.")
    return config


@dataclass
class OpenedModel:
    """A model and tokenizer built from a checked folder (in eval mode, never trained)."""
    model: object
    tokenizer: object
    report: FolderReport


def load_folder(folder: Path, report: FolderReport) -> OpenedModel:
    """Build the model with transformers from `folder`'s local files (after check_folder/check_files)."""
    if not transformers_available():
        raise ModelFolderError("Opening Hugging Face folders needs the optional package transformers: "
                               "pip install -r requirements-hf.txt, then restart the app.")
    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing may be fetched, even a missing tokenizer file
    import torch
    import transformers
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    options = dict(local_files_only=True, trust_remote_code=False)
    builder = AutoModelForCausalLM if report.causal else AutoModel
    try:
        model = builder.from_pretrained(folder, use_safetensors=True, attn_implementation="eager", **options)
    except Exception as e:  # transformers raises many types; the learner gets one sentence
        raise ModelFolderError(f"transformers could not build the model from these files "
                               f"({type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else 'no detail'}).") from None
    model.eval()
    for name, p in model.named_parameters():
        if not torch.isfinite(p).all():
            raise ModelFolderError(f"Weight {name[:60]!r} contains NaN or infinite values.")
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, **options)
    except Exception as e:
        raise ModelFolderError(f"The tokenizer files could not be read ({type(e).__name__}).") from None
    vocab = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) > vocab:
        raise ModelFolderError(f"The tokenizer has {len(tokenizer):,} tokens but the model's embedding has only {vocab:,} rows: they do not belong together.")
    return OpenedModel(model, tokenizer, report)


@dataclass(frozen=True)
class HFTrace:
    tokens: list[str]            # (T,) as the tokenizer split the sentence, readable
    attention: np.ndarray        # (layers, heads, T, T): row i = how token i attends over tokens j
    hidden_norms: np.ndarray     # (layers + 1, T): ||h|| of each token after the embeddings and each layer
    next_tokens: list[str] | None      # causal models: the 10 likeliest next tokens
    next_probs: np.ndarray | None      # (10,) their probabilities
    total_tokens: int = 0        # tokens of the whole text (special tokens included); more than T: it was cut

    @property
    def cut(self) -> int:
        """Tokens of the text that were not read (0 when it fitted)."""
        return max(0, self.total_tokens - len(self.tokens))


def trace(opened: OpenedModel, text: str, top: int = 10) -> HFTrace:
    """Run the model once on `text` (first MAX_TOKENS tokens) with attentions and hidden states; the
    trace records how many tokens the whole text has, so a page can say what was cut."""
    import torch

    tok = opened.tokenizer
    enc = tok(text, return_tensors="pt", truncation=True, max_length=MAX_TOKENS)
    ids = enc["input_ids"][0].tolist()
    total = len(tok(text, truncation=False, verbose=False)["input_ids"])  # to say how much was cut
    if not ids:
        raise ModelFolderError("The tokenizer produced no tokens for this text.")
    with torch.no_grad():
        out = opened.model(**enc, output_attentions=True, output_hidden_states=True)
    attention = torch.stack(out.attentions, 0)[:, 0].float().numpy()        # (L, nh, T, T)
    hidden = torch.stack(out.hidden_states, 0)[:, 0].float()                # (L+1, T, H)
    next_tokens = next_probs = None
    if opened.report.causal:
        probs = torch.softmax(out.logits[0, -1].float(), -1)                  # (V,)
        p, idx = probs.topk(min(top, probs.numel()))
        next_tokens, next_probs = [readable(tok, i) for i in idx.tolist()], p.numpy()
    return HFTrace([readable(tok, i) for i in ids], attention, hidden.norm(dim=-1).numpy(), next_tokens, next_probs,
                   max(total, len(ids)))


def readable(tokenizer, token_id: int) -> str:
    """A token as text (GPT-2's byte-level 'Ġthe' shows as ' the'), never empty."""
    text = tokenizer.decode([token_id])
    if text.strip() and text.isprintable():
        return text
    if text and set(text) == {" "}:
        return text.replace(" ", "␣")
    return str(tokenizer.convert_ids_to_tokens(token_id))  # a partial UTF-8 byte or a control character
