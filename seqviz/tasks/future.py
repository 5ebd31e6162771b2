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

import torch

from seqviz.tasks.base import CharTask, TextCheck, pad_ids, pad_labels
from seqviz.vocab import PAD, Vocab

MAX_INPUT_CHARS = 60


@dataclass(frozen=True)
class FutureTask(CharTask):
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

    def tensors(self, texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T) token ids, padded; y (B, T) tags with IGNORE on padding."""
        return pad_ids(texts, vocab), pad_labels([self.tags(t) for t in texts])

    def check_text(self, text: str, vocab: Vocab) -> TextCheck:
        error = self.first_check(text, vocab, MAX_INPUT_CHARS, "Type some text: letters a-e, with an x somewhere or not.",
                                 "the letters a-e and x")
        return error or TextCheck(list(text), None, None)
