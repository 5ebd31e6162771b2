"""What the checkpoint explorer shows of any seqviz checkpoint, without streamlit: a table of its
tensors, a sensible first input, the check of typed input, and the trace for the lesson views."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import torch

from seqviz.checkpoints import Checkpoint
from seqviz.tasks.base import TextCheck

MAX_CHARS = 200  # typed input for a checkpoint without a task of its own


def tensor_table(model: torch.nn.Module) -> pd.DataFrame:
    """One row per weight tensor: name, shape, dtype, count and summary statistics."""
    rows = []
    for name, t in model.state_dict().items():
        x = t.detach().float()
        rows.append({"tensor": name, "shape": " x ".join(map(str, t.shape)) or "scalar",
                     "dtype": str(t.dtype).removeprefix("torch."), "values": t.numel(),
                     "mean": float(x.mean()) if t.numel() else np.nan, "std": float(x.std()) if t.numel() > 1 else 0.0,
                     "min": float(x.min()) if t.numel() else np.nan, "max": float(x.max()) if t.numel() else np.nan})
    return pd.DataFrame(rows)




def default_text(ckpt: Checkpoint) -> str:
    """An example input: a sample of the checkpoint's own task, else its first vocabulary tokens."""
    if ckpt.task is not None and hasattr(ckpt.task, "sample"):
        sample = ckpt.task.sample(random.Random(0))
        if isinstance(sample, str):  # character tasks: the sample is the text
            return sample
        words = getattr(sample, "source", None) or getattr(sample, "tokens", None)  # a Pair, a Review
        if words is not None:
            return " ".join(words)
    tokens = [t for t in ckpt.vocab.idx_to_token if not t.startswith("<")][:8]
    return "".join(tokens)


def check_text(ckpt: Checkpoint, text: str) -> TextCheck:
    """The task's own check when the checkpoint names one; else characters of the vocabulary."""
    if ckpt.task is not None and hasattr(ckpt.task, "check_text"):
        return ckpt.task.check_text(text, ckpt.vocab)
    if not text:
        return TextCheck(None, "Type some text: at least one character.", None)
    if len(text) > MAX_CHARS:
        return TextCheck(None, f"That text has {len(text):,} characters; the limit is {MAX_CHARS}.", None)
    unknown = ckpt.vocab.unknown(list(text))
    if unknown:
        shown = ", ".join(repr(c) for c in unknown[:8])
        return TextCheck(None, f"The model's vocabulary has no {shown}.", None)
    return TextCheck(list(text), None, None)
