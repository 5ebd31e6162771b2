"""What every character-level task shares: seeded datasets, endless batch streams, padding, and
the first checks on text a learner types. A task is a frozen dataclass that mixes in `CharTask`
and defines `sample(rng) -> str` and `tensors(texts, vocab) -> (x, y)`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Iterator

import torch

from seqviz.vocab import IGNORE, PAD, Vocab  # noqa: F401 - IGNORE: the tasks read it here



@dataclass(frozen=True)
class TextCheck:
    tokens: list[str] | None  # the characters to feed the model, or None when there is an error
    error: str | None  # one sentence saying why the text cannot be used
    note: str | None  # one sentence the learner should know, when the text is usable
    corpus: Any = None  # a whole text as sentences (seqviz.tasks.corpus.Corpus), for tasks that train on it


def pad_ids(texts: list[str], vocab: Vocab) -> torch.Tensor:
    """(B, T) token ids, each text followed by <pad> up to the longest."""
    x = torch.full((len(texts), max(len(t) for t in texts)), vocab.token_to_idx[PAD], dtype=torch.long)
    for b, text in enumerate(texts):
        x[b, : len(text)] = torch.tensor(vocab.encode(text))
    return x


def pad_labels(rows: list[list[int]]) -> torch.Tensor:
    """(B, T) per-step labels, IGNORE after each row's end."""
    y = torch.full((len(rows), max(len(r) for r in rows)), IGNORE, dtype=torch.long)
    for b, row in enumerate(rows):
        y[b, : len(row)] = torch.tensor(row)
    return y


class CharTask:
    def dataset(self, n: int, seed: int) -> list[str]:
        rng = random.Random(seed)
        return [self.sample(rng) for _ in range(n)]

    def batches(self, seed: int, batch_size: int, vocab: Vocab) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """An endless, seeded stream of fresh training batches."""
        rng = random.Random(seed)
        while True:
            yield self.tensors([self.sample(rng) for _ in range(batch_size)], vocab)

    @staticmethod
    def first_check(text: str, vocab: Vocab, limit: int, empty: str, known: str, why_limit: str = "") -> TextCheck | None:
        """The error every task gives for empty, overlong or unknown text, or None if it passes."""
        if not text:
            return TextCheck(None, empty, None)
        if len(text) > limit:
            return TextCheck(None, f"That text has {len(text):,} characters; the limit is {limit}{why_limit}.", None)
        unknown = vocab.unknown(text)
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
            return TextCheck(None, f"The model only knows {known}; it has never seen {shown}.", None)
        return None
