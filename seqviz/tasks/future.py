"""Is there an x ahead? The bidirectional lesson's task, generated in code.

Each position is tagged "yes" if the letter x appears anywhere after it, else "no". Reading left to
right, a model at step t has not seen the future, so it can only guess; a bidirectional model's
right-to-left cell has already read the rest of the text and knows.

    task = FutureTask()
    task.tags("abxba")                          # [1, 1, 0, 0, 0]
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

import torch

from seqviz.tasks.brackets import IGNORE, TextCheck
from seqviz.vocab import PAD, Vocab

MAX_INPUT_CHARS = 60


@dataclass(frozen=True)
class FutureTask:
    min_len: int = 6
    max_len: int = 30
    letters: str = "abcde"  # ordinary letters
    trigger: str = "x"  # the letter the tags ask about
    p_trigger: float = 0.06  # chance of an x at each position (about half the texts have one)

    name = "future"
    output = "tag"

    @property
    def num_classes(self) -> int:
        return 2

    @property
    def class_names(self) -> list[str]:
        return ["no x ahead", "x ahead"]

    def vocab(self) -> Vocab:
        return Vocab.build([*self.letters, self.trigger], specials=(PAD,))

    def tags(self, text: str) -> list[int]:
        """1 where the trigger occurs at a later position, else 0."""
        out, seen = [], 0
        for ch in reversed(text):
            out.append(seen)
            seen = seen or int(ch == self.trigger)
        return out[::-1]

    def sample(self, rng: random.Random) -> str:
        length = rng.randint(self.min_len, self.max_len)
        return "".join(self.trigger if rng.random() < self.p_trigger else rng.choice(self.letters)
                       for _ in range(length))

    def dataset(self, n: int, seed: int) -> list[str]:
        rng = random.Random(seed)
        return [self.sample(rng) for _ in range(n)]

    def tensors(self, texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        T = max(len(t) for t in texts)
        x = torch.full((len(texts), T), vocab.token_to_idx[PAD], dtype=torch.long)
        y = torch.full((len(texts), T), IGNORE, dtype=torch.long)
        for b, text in enumerate(texts):
            x[b, : len(text)] = torch.tensor(vocab.encode(text))
            y[b, : len(text)] = torch.tensor(self.tags(text))
        return x, y

    def batches(self, seed: int, batch_size: int, vocab: Vocab) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        rng = random.Random(seed)
        while True:
            yield self.tensors([self.sample(rng) for _ in range(batch_size)], vocab)

    def check_text(self, text: str, vocab: Vocab) -> TextCheck:
        if not text:
            return TextCheck(None, "Type some text: letters a-e, with an x somewhere or not.", None)
        if len(text) > MAX_INPUT_CHARS:
            return TextCheck(None, f"That text has {len(text):,} characters; the limit is {MAX_INPUT_CHARS}.", None)
        unknown = vocab.unknown(text)
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:8])
            return TextCheck(None, f"The model only knows the letters a-e and x; it has never seen {shown}.", None)
        return TextCheck(list(text), None, None)
