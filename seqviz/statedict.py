"""Raw PyTorch state dicts: the file people actually have, `torch.save(model.state_dict(), "m.pt")`,
opened safely, recognised from its names and shapes, and rebuilt as a module the lessons can trace.

Reading (`read_state_dict`; `read_safetensors` for a state dict saved with safetensors, checked by
header and byte ranges): the file must be a real file on disk (an upload is first written to a
session's temporary file, inside the size cap) and is opened only with
`torch.load(path, weights_only=True, mmap=True)`: PyTorch's restricted unpickler, which builds tensors,
dicts, lists, tuples, numbers and strings and refuses every other object before it is created, so a
hostile pickle never runs; `mmap` maps the tensors from the file instead of reading a second copy into
memory. Anything else (a whole `nn.Module`, an optimizer object, `argparse.Namespace`, an old non-zip
file) gets one sentence. Nested checkpoints ({"model": state_dict, "epoch": 3}) are flattened; a
`module.` or `_orig_mod.` prefix (DataParallel, torch.compile) is dropped.

Recognising (`infer`), from names and shapes alone:

- recurrent layers, as `nn.RNN`, `nn.LSTM`, `nn.GRU` write them: `weight_ih_l{k}[_reverse]` (G·H, D),
  `weight_hh_l{k}` (G·H, H), biases; G = 1, 4 or 3 rows per unit tells RNN, LSTM or GRU; any number of
  layers, bidirectional, with or without biases;
- an `nn.Embedding` in front (V, D) and an `nn.Linear` read-out behind (C, H·dirs): a classifier or tagger;
- `nn.MultiheadAttention` (`in_proj_weight` (3E, E), `out_proj`), `nn.TransformerEncoderLayer`s
  (`self_attn`, `linear1`, `linear2`, `norm1`, `norm2`), `nn.TransformerDecoderLayer`s (plus
  `multihead_attn`, `norm3`), stacked as `layers.{i}` with an optional final `norm`;
- a seqviz `RecurrentNet` saved that way (`layers.{l}.weight_ih_l0`, `head`).

What the shapes cannot say is a choice with a default (`Options`): the number of heads (not stored:
any divisor of E fits), the feed-forward activation and norm order of transformer layers, RNN tanh or
ReLU, a read-out per step or on the last step. `Rebuilt.model` is the module rebuilt from standard
PyTorch parts with the file's weights; `Rebuilt.unplaced` lists every key it could not place. Tests
check that a rebuilt module's forward equals the original's.

For the lessons' views, `recurrent_net(rebuilt)` turns any recurrent family into a seqviz RecurrentNet
(an embedding E folds into the first layer: W_ih E[x] = (W_ih Eᵀ) one_hot(x)), whose trace gives every
gate; `attention_trace(rebuilt, ids)` returns every layer's and head's attention weights (L, nh, T, T).
"""

from __future__ import annotations

import json
import pickle
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MAX_BYTES = 450 * 2**20  # a 100M-parameter model in float32 is ~381 MiB; float16 fits twice over
MAX_TENSORS = 5_000
MAX_DEPTH = 32  # containers inside containers: a state dict is 1-3 deep
MAX_VALUES = 120_000_000  # numbers in all tensors
MAX_FOLD = 20_000_000  # an embedding folded into a RecurrentNet's first layer: V x G·H numbers at most
SUFFIXES = (".pt", ".pth", ".bin", ".safetensors")
WRAPPERS = ("state_dict", "model_state_dict", "model", "net", "module", "weights")  # nested checkpoint keys
PREFIXES = ("module.", "_orig_mod.")
GATES = {1: "rnn", 4: "lstm", 3: "gru"}  # rows per unit -> cell
CELL_NAMES = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}
FAMILY_NAMES = {"recurrent": "a recurrent model", "seqviz-recurrent": "a seqviz RecurrentNet",
                "attention": "multi-head attention", "encoder": "a transformer encoder", "decoder": "a transformer decoder"}


class StateDictError(ValueError):
    """A state dict the app will not open; the message is one sentence."""


# -- reading ------------------------------------------------------------------------------------------
def read_state_dict(path: Path, max_bytes: int = MAX_BYTES) -> tuple[dict[str, torch.Tensor], list[str]]:
    """name -> tensor from a torch.save file, and a note per entry that is not a tensor (ignored).
    Never runs the full unpickler (see the module docstring); raises StateDictError."""
    size = path.stat().st_size
    name = path.name[:60]
    if size > max_bytes:
        raise StateDictError(f"{name} is {size / 2**20:,.0f} MB, above this app's limit of {max_bytes // 2**20:,} MB.")
    if size == 0:
        raise StateDictError(f"{name} is empty.")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except pickle.UnpicklingError:
        raise StateDictError(f"{name} holds something other than tensors and plain containers (a whole model, an "
                             "optimizer or another Python object), so it is refused unopened: save "
                             "model.state_dict() instead.") from None
    except RuntimeError as e:
        if "zipfile" in str(e) or "zip" in str(e).lower() or "mmap" in str(e):
            raise StateDictError(f"{name} is not a file written by torch.save (PyTorch 1.6 or later): it is an older "
                                 "format, a plain pickle or something else, and is refused unopened.") from None
        raise StateDictError(f"{name} could not be read as a torch.save file ({type(e).__name__}).") from None
    except Exception as e:  # a damaged archive: zipfile, EOF, ... one sentence whatever it is
        raise StateDictError(f"{name} could not be read as a torch.save file ({type(e).__name__}).") from None
    return flatten(obj)


def read_safetensors(data, name: str = "model.safetensors") -> tuple[dict[str, torch.Tensor], list[str]]:
    """A state dict saved with safetensors (`save_file(model.state_dict(), ...)`), held in memory (an
    upload): header and byte ranges checked, then each tensor copied once out of the upload's bytes
    (the model must own writable memory; the upload itself is streamlit's)."""
    from seqviz.safefiles import UnsafeFileError, safetensors_views

    if len(data) > MAX_BYTES:
        raise StateDictError(f"{name[:60]} is {len(data) / 2**20:,.0f} MB, above this app's limit of {MAX_BYTES // 2**20:,} MB.")
    try:
        views = safetensors_views(data, name[:60])
    except UnsafeFileError as e:
        raise StateDictError(str(e)) from None
    tensors, notes = flatten(views)
    return {k: v.clone() for k, v in tensors.items()}, notes


def flatten(obj) -> tuple[dict[str, torch.Tensor], list[str]]:
    """A loaded object -> (tensors by dotted name, notes). A checkpoint that wraps its state dict
    ({"model": ..., "optimizer": ..., "epoch": 3}) gives the wrapped dict; the rest is noted."""
    notes = []
    if isinstance(obj, torch.Tensor):
        raise StateDictError("The file holds a single tensor, not a state dict (names and tensors).")
    if not isinstance(obj, dict):
        raise StateDictError(f"The file holds a {type(obj).__name__}, not a state dict (a dict of names and tensors).")
    for key in WRAPPERS:
        inner = obj.get(key)
        if isinstance(inner, dict) and any(isinstance(v, torch.Tensor) for v in inner.values()):
            others = [str(k)[:30] for k in obj if k != key]
            if others:
                notes.append(f"Read the weights under {key!r}; ignored the other entries: {', '.join(others[:8])}.")
            obj = inner
            break
    out: dict[str, torch.Tensor] = {}

    def walk(prefix: str, value, depth: int = 0) -> None:
        if len(out) > MAX_TENSORS:
            raise StateDictError(f"The file holds more than {MAX_TENSORS:,} tensors; this app opens smaller models.")
        if depth > MAX_DEPTH:
            raise StateDictError(f"The file's containers are nested more than {MAX_DEPTH} deep: it is not a state dict.")
        if isinstance(value, torch.Tensor):
            out[prefix] = value
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v, depth + 1)
        elif isinstance(value, (list, tuple)) and any(isinstance(v, (torch.Tensor, dict, list, tuple)) for v in value):
            for i, v in enumerate(value):
                walk(f"{prefix}.{i}" if prefix else str(i), v, depth + 1)
        elif len(notes) < 20:
            notes.append(f"Ignored {prefix[:40]!r}: a {type(value).__name__}, not a tensor.")

    walk("", obj)
    if not out:
        raise StateDictError("The file holds no tensors.")
    for p in PREFIXES:
        if all(k.startswith(p) for k in out):
            out = {k[len(p):]: v for k, v in out.items()}
    total = sum(t.numel() for t in out.values())
    if total > MAX_VALUES:
        raise StateDictError(f"The file holds {total:,} numbers; this app opens models up to {MAX_VALUES:,}.")
    return out, notes


def check_weights(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Floating-point tensors as float32 (half precision widened), refusing NaN or infinite values;
    integer tensors (counters, position tables) pass unchanged and end among the unplaced keys."""
    out = {}
    for k, t in tensors.items():
        if t.is_floating_point():
            if not torch.isfinite(t).all():
                raise StateDictError(f"Tensor {k[:60]!r} contains NaN or infinite values.")
            t = t.float()
        elif t.is_complex():
            raise StateDictError(f"Tensor {k[:60]!r} is complex; this app reads real-valued weights only.")
        out[k] = t
    return out


# -- recognising ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """What the names and shapes cannot tell; each has a default and the page offers the others."""
    heads: int | None = None  # attention heads (not stored in the file): None = a guess that divides E
    activation: str = "relu"  # transformer feed-forward: "relu" (PyTorch's default) or "gelu"
    norm_first: bool = False  # transformer layers: post-norm (PyTorch's default) or pre-norm
    causal: bool = True  # decoder layers: mask the future in self-attention
    nonlinearity: str = "tanh"  # nn.RNN: "tanh" (default) or "relu"
    readout: str = "tag"  # recurrent classifier: "tag" (every step) or "last" (the last step's output)


@dataclass
class Rebuilt:
    family: str  # "recurrent", "attention", "encoder", "decoder", "seqviz-recurrent"
    model: nn.Module  # rebuilt from PyTorch parts, the file's weights loaded, eval mode
    architecture: list[str]  # one line per part, as the page shows it
    placed: list[str]  # keys of the file that went into the model
    unplaced: list[str]  # keys it could not place, each with its shape
    options: Options
    choices: dict[str, list] = field(default_factory=dict)  # option name -> values that fit this file
    input_size: int = 0  # ids the input may use: the embedding's rows, or the one-hot width
    notes: list[str] = field(default_factory=list)


def _shape(t: torch.Tensor) -> str:
    return " x ".join(map(str, t.shape)) or "scalar"


_RNN_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<kind>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(?P<layer>\d+)(?P<rev>_reverse)?$")


def _recurrent_prefixes(sd: dict) -> list[str]:
    return sorted({m["prefix"] for k in sd if (m := _RNN_KEY.match(k)) and m["kind"] == "weight_hh"})


def _heads_choices(E: int) -> list[int]:
    return [h for h in range(1, min(E, 64) + 1) if E % h == 0]


def _guess_heads(E: int) -> int:
    """Not stored in the file: 64-wide heads where they fit (BERT, GPT-2), else the divisor nearest 4."""
    if E % 64 == 0 and E >= 128:
        return E // 64
    return min(_heads_choices(E), key=lambda h: (abs(h - 4), -h))


def infer(tensors: dict[str, torch.Tensor], options: Options | None = None) -> Rebuilt:
    """Recognise the family from names and shapes and rebuild it (raises StateDictError when nothing fits)."""
    sd = check_weights(tensors)
    options = options or Options()
    if _is_seqviz_recurrent(sd):
        return _rebuild_seqviz_recurrent(sd, options)
    seqviz_arch = seqviz_architecture(sd)
    advice = (f"These tensors are a seqviz {seqviz_arch} model saved without its JSON description: download it "
              "from the app as a seqviz checkpoint (two files) to open it with every view.") if seqviz_arch else None
    rebuilt = None
    if _recurrent_prefixes(sd):
        rebuilt = _rebuild_recurrent(sd, options)
    elif any(k.endswith("in_proj_weight") or k.endswith("q_proj_weight") for k in sd):
        rebuilt = _rebuild_attention(sd, options)
    if rebuilt is not None:
        if advice:
            rebuilt.notes.insert(0, advice)
        return rebuilt
    if advice:
        raise StateDictError(advice)
    shown = ", ".join(f"{k} ({_shape(t)})" for k, t in list(sd.items())[:4])
    raise StateDictError(f"No recurrent layer (weight_ih_l0, weight_hh_l0) or attention (in_proj_weight) was found "
                         f"among the {len(sd)} tensors (first: {shown}), so this app cannot rebuild the model.")


def _pattern(key: str) -> str:
    return re.sub(r"\.\d+\.", ".N.", key)


@lru_cache(maxsize=1)
def _shipped_patterns() -> dict[str, frozenset[str]]:
    """architecture -> the key patterns (layer numbers as N) of a shipped checkpoint of it (read from
    the safetensors headers in assets/, checked like any file)."""
    from seqviz.safefiles import UnsafeFileError, safetensors_header
    from seqviz.shipped import ASSETS

    out: dict[str, frozenset[str]] = {}
    for meta_path in sorted(ASSETS.glob("*.json")):
        weights = meta_path.with_suffix(".safetensors")
        try:
            arch = json.loads(meta_path.read_text()).get("architecture")
            if arch and arch != "recurrent" and arch not in out and weights.is_file():
                out[arch] = frozenset(_pattern(k) for k in safetensors_header(weights, 2**30))
        except (UnsafeFileError, ValueError, OSError):
            continue
    return out


def seqviz_architecture(sd: dict) -> str | None:
    """The seqviz architecture whose shipped checkpoint has these key patterns (layer numbers aside),
    if any (RecurrentNet is rebuilt outright, so it is not looked for here)."""
    keys = frozenset(_pattern(k) for k in sd)
    for arch, ref in _shipped_patterns().items():
        if len(keys & ref) >= 0.9 * len(keys | ref):
            return arch
    return None


def _unplaced(sd: dict, placed: list[str]) -> list[str]:
    done = set(placed)
    return [f"{k} ({_shape(t)}, {str(t.dtype).removeprefix('torch.')})" for k, t in sd.items() if k not in done]


# -- recurrent families ---------------------------------------------------------------------------------
class RecurrentModel(nn.Module):
    """What a recurrent state dict rebuilds into: [nn.Embedding] -> nn.RNN/LSTM/GRU -> [nn.Linear].
    Without an embedding, token ids enter as one-hot vectors of the layer's input size."""

    def __init__(self, cell: str, input_size: int, hidden_size: int, num_layers: int, bidirectional: bool,
                 bias: bool, proj_size: int = 0, vocab_size: int | None = None, num_classes: int | None = None,
                 nonlinearity: str = "tanh", readout: str = "tag", head_bias: bool = True):
        super().__init__()
        self.cell, self.readout, self.input_size = cell, readout, input_size
        self.embedding = nn.Embedding(vocab_size, input_size) if vocab_size else None
        kwargs = dict(num_layers=num_layers, bidirectional=bidirectional, bias=bias, batch_first=True)
        if cell == "rnn":
            kwargs["nonlinearity"] = nonlinearity
        if proj_size:
            kwargs["proj_size"] = proj_size
        self.rnn = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[cell](input_size, hidden_size, **kwargs)
        out = (proj_size or hidden_size) * (2 if bidirectional else 1)
        self.head = nn.Linear(out, num_classes, bias=head_bias) if num_classes else None

    def inputs(self, ids: torch.Tensor) -> torch.Tensor:
        """Token ids (B, T) -> the recurrent layer's input (B, T, D)."""
        return self.embedding(ids) if self.embedding is not None else F.one_hot(ids, self.input_size).float()

    def forward(self, ids: torch.Tensor):
        """ids (B, T) -> (logits, outputs): logits (B, T, C) per step or (B, C) from the last step (None
        without a read-out); outputs (B, T, H·dirs), the top layer's states."""
        out, _ = self.rnn(self.inputs(ids))  # (B, T, H·dirs)
        if self.head is None:
            return None, out
        return (self.head(out) if self.readout == "tag" else self.head(out[:, -1])), out


def _rnn_layout(sd: dict, prefix: str) -> dict:
    """Cell, sizes, layers, directions of the recurrent layer whose keys start with `prefix`."""
    keys = {m for k in sd if k.startswith(prefix) and (m := _RNN_KEY.match(k)) and m["prefix"] == prefix}
    layers = sorted({int(m["layer"]) for m in keys})
    if layers != list(range(len(layers))):
        raise StateDictError(f"The recurrent layers under {prefix or 'the top level'!r} skip a number ({layers}).")
    w_ih, w_hh = sd.get(f"{prefix}weight_ih_l0"), sd[f"{prefix}weight_hh_l0"]
    if w_ih is None or w_ih.dim() != 2 or w_hh.dim() != 2:
        raise StateDictError(f"{prefix}weight_ih_l0 is missing or not a matrix, so the recurrent layer cannot be rebuilt.")
    proj = sd.get(f"{prefix}weight_hr_l0")
    H = proj.shape[1] if proj is not None else w_hh.shape[1]
    P = proj.shape[0] if proj is not None else 0
    if w_hh.shape[0] % H or w_hh.shape[0] // H not in GATES:
        raise StateDictError(f"{prefix}weight_hh_l0 has {w_hh.shape[0]} rows for {H} units: not 1x (RNN), 4x (LSTM) "
                             "or 3x (GRU) the hidden size.")
    return dict(cell=GATES[w_hh.shape[0] // H], input_size=w_ih.shape[1], hidden_size=H, num_layers=len(layers),
                bidirectional=any(m["rev"] for m in keys), bias=f"{prefix}bias_ih_l0" in sd, proj_size=P)


def _rebuild_recurrent(sd: dict, options: Options) -> Rebuilt:
    prefixes = _recurrent_prefixes(sd)
    prefix = prefixes[0]
    lay = _rnn_layout(sd, prefix)
    D, dirs = lay["input_size"], 2 if lay["bidirectional"] else 1
    out_width = (lay["proj_size"] or lay["hidden_size"]) * dirs
    # an embedding: a 2-D weight alone in its module, D columns, named like one (else the first such)
    embeds = [k for k, t in sd.items() if k.endswith("weight") and t.dim() == 2 and t.shape[1] == D
              and not _RNN_KEY.match(k) and f"{k[:-6]}bias" not in sd]
    embeds.sort(key=lambda k: ("emb" not in k.lower(), k))
    emb = embeds[0] if embeds else None
    # a read-out: (C, H·dirs) weight, its bias if any
    heads = [k for k, t in sd.items() if k.endswith("weight") and k != emb and t.dim() == 2 and t.shape[1] == out_width
             and not _RNN_KEY.match(k)]
    heads.sort(key=lambda k: (not any(w in k.lower() for w in ("fc", "head", "out", "linear", "classifier", "decoder")), k))
    head = heads[0] if heads else None
    head_bias = head is not None and f"{head[:-6]}bias" in sd and sd[f"{head[:-6]}bias"].shape == (sd[head].shape[0],)
    model = RecurrentModel(lay["cell"], D, lay["hidden_size"], lay["num_layers"], lay["bidirectional"], lay["bias"],
                           lay["proj_size"], sd[emb].shape[0] if emb else None, sd[head].shape[0] if head else None,
                           options.nonlinearity, options.readout, head_bias)
    mapping = {f"rnn.{k}": f"{prefix}{k}" for k in model.rnn.state_dict()}
    if emb:
        mapping["embedding.weight"] = emb
    if head:
        mapping["head.weight"] = head
        if head_bias:
            mapping["head.bias"] = f"{head[:-6]}bias"
    placed = _load(model, sd, mapping)
    cell = CELL_NAMES[lay["cell"]]
    arch = []
    if emb:
        arch.append(f"nn.Embedding({sd[emb].shape[0]}, {D})  ← {emb}")
    arch.append(f"{cell}(input_size={D}, hidden_size={lay['hidden_size']}, num_layers={lay['num_layers']}, "
                f"bidirectional={lay['bidirectional']}, bias={lay['bias']}"
                + (f", proj_size={lay['proj_size']}" if lay["proj_size"] else "")
                + (f", nonlinearity='{options.nonlinearity}'" if lay["cell"] == "rnn" else "") + f")  ← {prefix or '(top level)'}")
    if head:
        arch.append(f"nn.Linear({out_width}, {sd[head].shape[0]}, bias={head_bias})  ← {head[:-7] or head}, read "
                    + ("at every step" if options.readout == "tag" else "on the last step's output"))
    notes = []
    if len(prefixes) > 1:
        notes.append(f"{len(prefixes)} recurrent layers were found; this view rebuilds the first ({prefix or 'top level'}) "
                     "and lists the others as not placed.")
    choices = {"readout": ["tag", "last"]} if head else {}
    if lay["cell"] == "rnn":
        choices["nonlinearity"] = ["tanh", "relu"]
    return Rebuilt("recurrent", model.eval(), arch, placed, _unplaced(sd, placed), options, choices,
                   sd[emb].shape[0] if emb else D, notes)


def _load(model: nn.Module, sd: dict, mapping: dict[str, str]) -> list[str]:
    """Copy sd[mapping[k]] into the model's k for every k, checking shapes; returns the keys used."""
    want = model.state_dict()
    missing = [k for k in want if k not in mapping or mapping[k] not in sd]
    if missing:
        raise StateDictError(f"The file has no tensor for {missing[0]!r} of the rebuilt module, so it cannot be rebuilt.")
    for k, ref in want.items():
        t = sd[mapping[k]]
        if t.shape != ref.shape:
            raise StateDictError(f"Tensor {mapping[k]!r} has shape {tuple(t.shape)}, but the rebuilt module needs "
                                 f"{tuple(ref.shape)}.")
        if not t.is_floating_point():
            raise StateDictError(f"Tensor {mapping[k]!r} holds integers where weights are expected.")
    # assign: the module takes the file's (memory-mapped) tensors as they are, no second copy in memory
    model.load_state_dict({k: sd[v] for k, v in mapping.items()}, strict=True, assign=True)
    return list(mapping.values())


# -- a seqviz RecurrentNet saved as a raw state dict -------------------------------------------------------
_SEQVIZ_KEY = re.compile(r"^layers\.\d+\.(weight|bias)_(ih|hh)_l0(_reverse)?$|^head\.(weight|bias)$")


def _is_seqviz_recurrent(sd: dict) -> bool:
    return "head.weight" in sd and "layers.0.weight_hh_l0" in sd and all(_SEQVIZ_KEY.match(k) for k in sd)


def _rebuild_seqviz_recurrent(sd: dict, options: Options) -> Rebuilt:
    from seqviz.models.recurrent import RecurrentConfig, RecurrentNet

    first = _rnn_layout(sd, "layers.0.")
    layers = len({k.split(".")[1] for k in sd if k.startswith("layers.")})
    cfg = RecurrentConfig(vocab_size=first["input_size"], num_classes=sd["head.weight"].shape[0], cell=first["cell"],
                          hidden_size=first["hidden_size"], num_layers=layers, bidirectional=first["bidirectional"],
                          output=options.readout)
    if not first["bias"] or first["proj_size"] or cfg.cell == "rnn" and options.nonlinearity != "tanh":
        raise StateDictError("These tensors look like a seqviz RecurrentNet but do not fit one (biases or projections).")
    model = RecurrentNet(cfg)
    placed = _load(model, sd, {k: k for k in model.state_dict()})
    arch = [f"seqviz RecurrentNet: {cfg.num_layers} x {CELL_NAMES[cfg.cell]}(one-hot {cfg.vocab_size} -> "
            f"{cfg.hidden_size}{', bidirectional' if cfg.bidirectional else ''}) -> nn.Linear({cfg.hidden_size * cfg.directions}, "
            f"{cfg.num_classes}), read {'at every step' if cfg.output == 'tag' else 'on the last step'}"]
    return Rebuilt("seqviz-recurrent", model.eval(), arch, placed, _unplaced(sd, placed), options,
                   {"readout": ["tag", "last"]}, cfg.vocab_size,
                   ["Saved without its JSON description: no vocabulary or task, so the input is token ids."])


def recurrent_net(rebuilt: Rebuilt):
    """A seqviz RecurrentNet computing the same states as a recurrent `rebuilt` model (for its trace:
    every gate of every layer; logits per step, so a last-step read-out is the trace's last row), or
    None when it cannot (projections, no biases, ReLU, too large)."""
    from seqviz.models.recurrent import RecurrentConfig, RecurrentNet

    if rebuilt.family == "seqviz-recurrent":
        return rebuilt.model
    m = rebuilt.model
    if rebuilt.family != "recurrent" or not m.rnn.bias or getattr(m.rnn, "proj_size", 0) or \
            (m.cell == "rnn" and m.rnn.nonlinearity != "tanh"):
        return None
    V = m.embedding.num_embeddings if m.embedding is not None else m.input_size
    G = {"rnn": 1, "lstm": 4, "gru": 3}[m.cell]
    if V * G * m.rnn.hidden_size > MAX_FOLD:
        return None
    dirs = 2 if m.rnn.bidirectional else 1
    C = m.head.out_features if m.head is not None else 1
    # always a read-out per step: RecurrentNet's "last" finds the last token by its padding id 0, which
    # is an ordinary token here; the last step's answer is the last row of the trace's logits
    cfg = RecurrentConfig(vocab_size=V, num_classes=C, cell=m.cell, hidden_size=m.rnn.hidden_size,
                          num_layers=m.rnn.num_layers, bidirectional=m.rnn.bidirectional, output="tag")
    net = RecurrentNet(cfg)
    src = m.rnn.state_dict()
    state = {}
    with torch.no_grad():
        for l in range(cfg.num_layers):
            for sfx in (["", "_reverse"] if dirs == 2 else [""]):
                for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    w = src[f"{kind}_l{l}{sfx}"]
                    if kind == "weight_ih" and l == 0 and m.embedding is not None:
                        w = w @ m.embedding.weight.T  # W_ih E[x] = (W_ih Eᵀ) one_hot(x): (G·H, V)
                    state[f"layers.{l}.{kind}_l0{sfx}"] = w
        if m.head is not None:
            state["head.weight"] = m.head.weight
            state["head.bias"] = m.head.bias if m.head.bias is not None else torch.zeros(C)
        else:
            state["head.weight"], state["head.bias"] = torch.zeros(1, cfg.hidden_size * dirs), torch.zeros(1)
    net.load_state_dict(state)
    return net.eval()


# -- attention and transformer layers --------------------------------------------------------------------
_MHA_KEYS = ("in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias", "q_proj_weight", "k_proj_weight",
             "v_proj_weight", "bias_k", "bias_v")


class AttentionModel(nn.Module):
    """What an attention state dict rebuilds into: [nn.Embedding] -> a stack of nn.MultiheadAttention
    (self-attention), nn.TransformerEncoderLayer or nn.TransformerDecoderLayer -> [final nn.LayerNorm].
    Without an embedding, token ids enter as one-hot vectors of width E."""

    def __init__(self, kind: str, layers: list[nn.Module], E: int, norm: nn.LayerNorm | None,
                 vocab_size: int | None, causal: bool):
        super().__init__()
        self.kind, self.E, self.causal = kind, E, causal
        self.embedding = nn.Embedding(vocab_size, E) if vocab_size else None
        self.layers = nn.ModuleList(layers)
        self.norm = norm

    def inputs(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids) if self.embedding is not None else F.one_hot(ids, self.E).float()

    def _mask(self, T: int) -> torch.Tensor | None:
        if self.kind == "decoder" and self.causal:
            return nn.Transformer.generate_square_subsequent_mask(T)
        return None

    def run(self, x: torch.Tensor, memory: torch.Tensor | None = None) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """x (B, T, E) -> (output (B, T, E), per layer the self-attention weights (B, nh, T, T)).
        A decoder's memory defaults to its own input (the view of a lone decoder)."""
        memory = x if memory is None else memory
        mask = self._mask(x.size(1))
        weights = []
        for layer in self.layers:
            if isinstance(layer, nn.MultiheadAttention):
                x, w = layer(x, x, x, need_weights=True, average_attn_weights=False)
            else:
                h = layer.norm1(x) if layer.norm_first else x  # what the layer's self-attention reads
                _, w = layer.self_attn(h, h, h, attn_mask=mask, need_weights=True, average_attn_weights=False)
                x = layer(x, src_mask=mask) if self.kind == "encoder" else \
                    layer(x, memory, tgt_mask=mask, tgt_is_causal=mask is not None)
            weights.append(w)
        if self.norm is not None:
            x = self.norm(x)
        return x, weights

    def forward(self, ids: torch.Tensor):
        return self.run(self.inputs(ids))[0]


def _layer_prefixes(sd: dict, marker: str) -> list[str]:
    """Prefixes p such that p + marker is a key, in numeric order of their last index."""
    found = {k[: -len(marker)] for k in sd if k.endswith(marker)}
    return sorted(found, key=lambda p: [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p)])


def _mha(sd: dict, p: str, heads: int) -> tuple[nn.MultiheadAttention, dict]:
    """An nn.MultiheadAttention for the keys under prefix p (packed or separate q/k/v projections)."""
    packed = f"{p}in_proj_weight" in sd
    E = sd[f"{p}out_proj.weight"].shape[0] if f"{p}out_proj.weight" in sd else sd[f"{p}in_proj_weight"].shape[1]
    kdim = vdim = None
    if not packed:
        kdim, vdim = sd[f"{p}k_proj_weight"].shape[1], sd[f"{p}v_proj_weight"].shape[1]
    if E % heads:
        raise StateDictError(f"{heads} heads do not divide the width {E}; choose one of {_heads_choices(E)}.")
    m = nn.MultiheadAttention(E, heads, bias=f"{p}in_proj_bias" in sd, add_bias_kv=f"{p}bias_k" in sd,
                              kdim=kdim, vdim=vdim, batch_first=True)
    return m, {k: f"{p}{k}" for k in m.state_dict()}


def _rebuild_attention(sd: dict, options: Options) -> Rebuilt:
    dec = _layer_prefixes(sd, "multihead_attn.out_proj.weight")
    enc = [p for p in _layer_prefixes(sd, "self_attn.out_proj.weight") if p not in dec and f"{p}linear1.weight" in sd]
    if dec:
        kind, prefixes = "decoder", dec
    elif enc:
        kind, prefixes = "encoder", enc
    else:
        kind = "attention"
        prefixes = [k[: -len("in_proj_weight")] for k in sd if k.endswith("in_proj_weight")] or \
                   [k[: -len("q_proj_weight")] for k in sd if k.endswith("q_proj_weight")]
        prefixes = sorted(prefixes, key=lambda p: [int(s) if s.isdigit() else s for s in re.split(r"(\d+)", p)])
    if kind != "attention" and len({p.rsplit(".", 2)[0] if "." in p.rstrip(".") else "" for p in prefixes}) > 1:
        prefixes = [p for p in prefixes if p.startswith(prefixes[0].rsplit(".", 2)[0])]  # the first stack only
    first = f"{prefixes[0]}self_attn." if kind != "attention" else prefixes[0]
    E = sd[f"{first}out_proj.weight"].shape[0]
    heads = options.heads or _guess_heads(E)
    layers, mapping, arch = [], {}, []
    for i, p in enumerate(prefixes):
        if kind == "attention":
            m, keys = _mha(sd, p, heads)
            arch.append(f"nn.MultiheadAttention(embed_dim={E}, num_heads={heads})  ← {p or '(top level)'}")
        else:
            F_ = sd[f"{p}linear1.weight"].shape[0]
            cls = nn.TransformerEncoderLayer if kind == "encoder" else nn.TransformerDecoderLayer
            eps = 1e-5
            m = cls(E, heads, F_, dropout=0.0, activation=options.activation, layer_norm_eps=eps, batch_first=True,
                    norm_first=options.norm_first, bias=f"{p}linear1.bias" in sd)
            keys = {k: f"{p}{k}" for k in m.state_dict()}
            arch.append(f"nn.Transformer{kind.title()}Layer(d_model={E}, nhead={heads}, dim_feedforward={F_}, "
                        f"activation='{options.activation}', norm_first={options.norm_first})  ← {p}")
        layers.append(m)
        mapping.update({f"layers.{i}.{k}": v for k, v in keys.items()})
    stack = prefixes[0].rsplit(".", 3)[0] + "." if kind != "attention" and prefixes[0].count(".") >= 3 else ""
    norm = None
    for cand in (f"{stack}norm.", "norm.", "encoder.norm." if kind == "encoder" else "decoder.norm."):
        if f"{cand}weight" in sd and sd[f"{cand}weight"].shape == (E,) and not any(cand.startswith(p) for p in prefixes):
            norm = nn.LayerNorm(E, bias=f"{cand}bias" in sd)
            mapping.update({f"norm.{k}": f"{cand}{k}" for k in norm.state_dict()})
            arch.append(f"nn.LayerNorm({E})  ← {cand[:-1]} (the stack's final norm)")
            break
    embeds = [k for k, t in sd.items() if k.endswith("weight") and t.dim() == 2 and t.shape[1] == E
              and "emb" in k.lower() and k not in mapping.values()]
    emb = embeds[0] if embeds else None
    if emb:
        mapping["embedding.weight"] = emb
        arch.insert(0, f"nn.Embedding({sd[emb].shape[0]}, {E})  ← {emb}")
    model = AttentionModel(kind, layers, E, norm, sd[emb].shape[0] if emb else None, options.causal)
    placed = _load(model, sd, mapping)
    choices = {"heads": _heads_choices(E)}
    if kind != "attention":
        choices |= {"activation": ["relu", "gelu"], "norm_first": [False, True]}
    if kind == "decoder":
        choices["causal"] = [True, False]
    notes = [f"The number of heads is not stored in a state dict: {heads} is a guess that divides {E}; "
             "choose the model's own below."]
    if kind == "decoder":
        notes.append("A decoder layer also reads an encoder's output (its memory); here the memory is the decoder's "
                     "own input.")
    return Rebuilt(kind, model.eval(), arch, placed, _unplaced(sd, placed), Options(**{**options.__dict__, "heads": heads}),
                   choices, sd[emb].shape[0] if emb else E, notes)


@torch.no_grad()
def attention_trace(rebuilt: Rebuilt, ids: list[int]) -> np.ndarray:
    """Every layer's self-attention weights on token ids: (layers, heads, T, T), each row summing to 1."""
    x = rebuilt.model.inputs(torch.tensor([ids]))  # (1, T, E)
    _, weights = rebuilt.model.run(x)
    return torch.stack([w[0] for w in weights]).numpy()  # (L, nh, T, T)


@torch.no_grad()
def recurrent_states(rebuilt: Rebuilt, ids: list[int]) -> np.ndarray:
    """The top layer's outputs on token ids, (T, H·dirs): the view when no RecurrentNet fits."""
    return rebuilt.model(torch.tensor([ids]))[1][0].numpy()


# -- typed input ------------------------------------------------------------------------------------------
MAX_INPUT_TOKENS = 64


@dataclass(frozen=True)
class TypedInput:
    ids: list[int] | None
    tokens: list[str] | None
    error: str | None


def parse_input(text: str, n: int, vocab: list[str] | None = None) -> TypedInput:
    """Typed input -> token ids below n. Without a vocabulary: whole numbers separated by spaces or
    commas. With one (the tokens in id order): its tokens, split into characters when every token is
    one character, else at spaces."""
    text = text.strip()
    if not text:
        return TypedInput(None, None, "Type some input: at least one token.")
    if vocab:
        parts = list(text) if all(len(t) == 1 for t in vocab) else text.split()
        index = {t: i for i, t in enumerate(vocab[:n])}
        unknown = [p for p in dict.fromkeys(parts) if p not in index]
        if unknown:
            return TypedInput(None, None, f"The vocabulary has no {', '.join(repr(u[:20]) for u in unknown[:6])}.")
        ids = [index[p] for p in parts]
    else:
        parts = [p for p in re.split(r"[\s,]+", text) if p]
        if not all(p.isdigit() for p in parts):
            bad = next(p for p in parts if not p.isdigit())
            return TypedInput(None, None, f"{bad[:20]!r} is not a token id: type whole numbers from 0 to {n - 1}, "
                                          "or give the vocabulary.")
        ids = [int(p) for p in parts]
        if max(ids) >= n:
            return TypedInput(None, None, f"Token id {max(ids)} is too large: this model reads ids 0 to {n - 1}.")
    if len(ids) > MAX_INPUT_TOKENS:
        return TypedInput(None, None, f"That is {len(ids)} tokens; type at most {MAX_INPUT_TOKENS}.")
    tokens = [vocab[i] for i in ids] if vocab else [str(i) for i in ids]
    return TypedInput(ids, tokens, None)


def parse_vocab(text: str, n: int) -> tuple[list[str] | None, str | None]:
    """A vocabulary typed or pasted one token a line (or one string of characters): (tokens, error)."""
    if not text.strip():
        return None, None
    lines = text.split("\n")
    tokens = [ln for ln in lines if ln != ""] if len(lines) > 1 else list(text)
    if len(set(tokens)) != len(tokens):
        return None, "The vocabulary lists the same token twice."
    if len(tokens) > n:
        return None, f"The vocabulary has {len(tokens)} tokens but the model reads only {n} ids."
    return tokens, None




def default_input(rebuilt: Rebuilt, vocab: list[str] | None = None) -> str:
    n = min(rebuilt.input_size, len(vocab) if vocab else rebuilt.input_size)
    ids = [(7 * i + 1) % n for i in range(8)]  # varied ids, all below n
    if vocab:
        return ("" if all(len(t) == 1 for t in vocab) else " ").join(vocab[i] for i in ids)
    return " ".join(map(str, ids))
