"""Files a user or an operator hands the app, checked before anything reads them for real.

Two guards, each raising `UnsafeFileError` with one sentence a learner can act on:

- `resolve_inside(root, name)`: a folder name chosen on a page becomes a path only if it stays inside
  the operator's directory: no absolute paths, no `..`, no symbolic link that leads out.
- `safetensors_header(path)`: the JSON header of a safetensors file, validated against the file's
  size before any tensor is read: header length within bounds, known dtypes, every tensor's byte
  range inside the data and exactly the size its shape and dtype need, no two ranges overlapping.
- `safetensors_views(data)`: the same checks on a file held in memory (an upload), then every tensor
  as a view into those bytes, so reading an upload never makes a second copy of its weights.

And one refusal: `is_pickle_name(name)` marks the weight files (`.bin`, `.pt`, `.pth`, `.ckpt`,
`.pkl`) that PyTorch and others write with pickle, which runs code when loaded. Nothing here opens
them; the one reader of `.pt`/`.pth`/`.bin` state dicts is seqviz.statedict, through
`torch.load(weights_only=True, mmap=True)` only.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path, PurePosixPath, PureWindowsPath

MAX_HEADER_BYTES = 100 * 2**20  # safetensors' own limit for the JSON header
DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
               "U8": 1, "BOOL": 1}
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".joblib", ".npy", ".npz")


class UnsafeFileError(ValueError):
    """A path or file the app refuses; the message is one sentence."""


def is_pickle_name(name: str) -> bool:
    """Weight files in pickle-based formats (refused: unpickling runs whatever code the file names)."""
    return name.lower().endswith(PICKLE_SUFFIXES)


def resolve_inside(root: Path, name: str) -> Path:
    """`root / name`, refused unless `name` is a plain relative path whose real location (symbolic
    links followed) stays inside `root`."""
    if not name or "\x00" in name:
        raise UnsafeFileError("Choose a folder by its name inside the model directory.")
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).is_absolute() or name.startswith("~"):
        raise UnsafeFileError("Absolute paths are not allowed: choose a folder inside the model directory.")
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        raise UnsafeFileError("Paths with '..' are not allowed: choose a folder inside the model directory.")
    base = root.resolve()
    target = (base / name).resolve()
    if target != base and base not in target.parents:
        raise UnsafeFileError("That folder is a link that leads outside the model directory, so it is refused.")
    return target


def files_inside(root: Path, folder: Path) -> list[Path]:
    """The regular files directly in `folder`; a symbolic link leading outside `root` is refused."""
    base = root.resolve()
    out = []
    for path in sorted(folder.iterdir()):
        real = path.resolve()
        if base not in real.parents:
            raise UnsafeFileError(f"The file {path.name[:60]!r} is a link that leads outside the model directory, so the folder is refused.")
        if real.is_file():
            out.append(path)
    return out


def safetensors_header(path: Path, max_bytes: int) -> dict[str, tuple[str, tuple[int, ...]]]:
    """name -> (dtype, shape) for every tensor in a safetensors file, after checking the header
    against the file (see the module docstring). Reads only the header."""
    size = path.stat().st_size
    if size > max_bytes:
        raise UnsafeFileError(f"{path.name} is {size / 2**20:,.0f} MB, above this app's limit of {max_bytes // 2**20:,} MB.")
    if size < 8:
        raise UnsafeFileError(f"{path.name} is too short to be a safetensors file.")
    with path.open("rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        if n > min(MAX_HEADER_BYTES, size - 8):
            raise UnsafeFileError(f"{path.name} has a header longer than the file itself: it is truncated or not a safetensors file.")
        raw = f.read(n)
    return {name: (dtype, shape) for name, (dtype, shape, _) in _check_header(raw, size - 8 - n, path.name).items()}


def _check_header(raw: bytes, data_len: int, fname: str) -> dict[str, tuple[str, tuple[int, ...], tuple[int, int]]]:
    """name -> (dtype, shape, (begin, end)) from a safetensors JSON header, every range checked against
    the `data_len` bytes that follow the header."""
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise UnsafeFileError(f"{fname} does not start with a valid safetensors header.") from None
    if not isinstance(header, dict):
        raise UnsafeFileError(f"{fname} does not start with a valid safetensors header.")
    header.pop("__metadata__", None)
    spans, out = [], {}
    for name, entry in header.items():
        if not isinstance(entry, dict) or entry.get("dtype") not in DTYPE_BYTES:
            raise UnsafeFileError(f"Tensor {name[:60]!r} in {fname} has an unknown or missing dtype.")
        shape, offsets = entry.get("shape"), entry.get("data_offsets")
        if (not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)):
            raise UnsafeFileError(f"Tensor {name[:60]!r} in {fname} has a malformed shape or byte range.")
        begin, end = offsets
        if not 0 <= begin <= end <= data_len:
            raise UnsafeFileError(f"Tensor {name[:60]!r} in {fname} points outside the file (truncated or forged offsets).")
        if end - begin != math.prod(shape) * DTYPE_BYTES[entry["dtype"]]:
            raise UnsafeFileError(f"Tensor {name[:60]!r} in {fname} has {end - begin:,} bytes, not what its shape {tuple(shape)} needs.")
        spans.append((begin, end, name))
        out[name] = (entry["dtype"], tuple(shape), (begin, end))
    spans.sort()
    for (_, end_a, a), (begin_b, _, b) in zip(spans, spans[1:]):
        if begin_b < end_a:
            raise UnsafeFileError(f"Tensors {a[:40]!r} and {b[:40]!r} in {fname} overlap: the file is forged or corrupt.")
    return out


def safetensors_views(data, fname: str = "The weights file") -> dict:
    """name -> torch tensor for every tensor of a safetensors file held in memory (bytes, or an
    upload's buffer), each a view into `data` at its checked byte range: no second copy of the weights
    is made (a module's load_state_dict then copies them once, into its parameters). The views are
    read-only: never write to them."""
    import warnings

    import torch

    dtypes = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
              "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
              "BOOL": torch.bool}
    size = len(data)
    if size < 8:
        raise UnsafeFileError(f"{fname} is too short to be a safetensors file.")
    (n,) = struct.unpack("<Q", bytes(data[:8]))
    if n > min(MAX_HEADER_BYTES, size - 8):
        raise UnsafeFileError(f"{fname} has a header longer than the file itself: it is truncated or not a safetensors file.")
    entries = _check_header(bytes(data[8:8 + n]), size - 8 - n, fname)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "the given buffer is not writable": the views are only read
        for name, (dtype, shape, (begin, end)) in entries.items():
            if begin == end:
                out[name] = torch.empty(shape, dtype=dtypes[dtype])
            else:
                flat = torch.frombuffer(data, dtype=dtypes[dtype], count=math.prod(shape), offset=8 + n + begin)
                out[name] = flat.view(shape)
    return out
