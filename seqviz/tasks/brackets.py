"""Bracket depth: the vanilla RNN lesson's task, generated in code.

The model reads text one character at a time and, after every character, says how many
brackets are open at that moment (its *depth*: 0, 1, ..., max_depth). Letters and spaces are
filler that leave the depth unchanged, so the network must *remember* a count across them:
exactly what a hidden state is for.

    task = BracketTask()
    text = task.sample(random.Random(0))     # e.g. "ab(c(d)e)f"
    task.depths(text)                        # [0, 0, 1, 1, 2, 2, 1, 1, 0, 0]

Every sequence the generator writes stays within 0..max_depth, so the true depth is also the
class label. Text a learner types may leave that range (a ")" with nothing open, or deeper
nesting than training ever showed): `check_text` says so in one sentence, and the page shows
what the model does anyway, which is itself a lesson about generalisation.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from seqviz.tasks.base import IGNORE, CharTask, TextCheck, pad_ids, pad_labels
from seqviz.vocab import PAD, Vocab

__all__ = ["BracketTask", "IGNORE", "MAX_INPUT_CHARS", "TextCheck"]

MAX_INPUT_CHARS = 80  # longest text a learner may type: keeps every figure readable


@dataclass(frozen=True)
class BracketTask(CharTask):
    max_depth: int = 4  # deepest nesting generated; classes are depths 0..max_depth
    min_len: int = 6  # shortest generated text, in characters
    max_len: int = 40  # longest generated text, in characters
    p_filler: float = 0.35  # chance that a position is a letter or space instead of a bracket
    filler: str = "abcdefghijklmnopqrstuvwxyz "  # characters that do not change the depth

    name = "brackets"
    output = "tag"  # a class after every character

    @property
    def num_classes(self) -> int:
        return self.max_depth + 1

    @property
    def class_names(self) -> list[str]:
        return [f"depth {d}" for d in range(self.num_classes)]

    def vocab(self) -> Vocab:
        """<pad> (id 0), the two brackets, then the filler characters."""
        return Vocab.build(["(", ")", *self.filler], specials=(PAD,))

    # -- the rule ---------------------------------------------------------------------------
    @staticmethod
    def depths(text: str) -> list[int]:
        """The true running depth after each character; may leave 0..max_depth for typed text."""
        depth, out = 0, []
        for ch in text:
            depth += (ch == "(") - (ch == ")")
            out.append(depth)
        return out

    # -- generation -------------------------------------------------------------------------
    def sample(self, rng: random.Random) -> str:
        """One text whose depth stays within 0..max_depth (a random walk with reflecting walls)."""
        length = rng.randint(self.min_len, self.max_len)
        depth, chars = 0, []
        for _ in range(length):
            if rng.random() < self.p_filler:
                chars.append(rng.choice(self.filler))
                continue
            if depth == 0:
                opens = True
            elif depth == self.max_depth:
                opens = False
            else:
                opens = rng.random() < 0.5
            chars.append("(" if opens else ")")
            depth += 1 if opens else -1
        return "".join(chars)

    def tensors(self, texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T) token ids, padded; y (B, T) depths with IGNORE on padding."""
        return pad_ids(texts, vocab), pad_labels([self.depths(t) for t in texts])

    # -- learner input ----------------------------------------------------------------------
    def check_text(self, text: str, vocab: Vocab) -> "TextCheck":
        """Validate typed text: an error stops the lesson, a note only informs."""
        error = self.first_check(text, vocab, MAX_INPUT_CHARS, "Type some text: at least one character.",
                                 "'(', ')', the letters a-z and space", " so every character stays readable")
        if error:
            return error
        depths = self.depths(text)
        note = None
        if min(depths) < 0:
            pos = depths.index(min(depths)) + 1
            note = (f"Character {pos} closes a bracket that was never opened; training never showed "
                    "that, so watch what the model does.")
        elif max(depths) > self.max_depth:
            note = (f"Your text nests {max(depths)} deep; training never went past {self.max_depth}, "
                    "so watch what the model does.")
        return TextCheck(list(text), None, note)

