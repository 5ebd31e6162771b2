"""Recall after a lag: the recurrent lab's long-range task, generated in code.

The text starts with one of 8 symbols (a-h), then `lag` distractor digits follow; after the last
character the model must say which symbol came first. Chance is 1 in 8 (12.5%). Nothing in the
distractors helps, so the answer must survive `lag` steps in the hidden state: the vanilla RNN's
gradient through those steps vanishes, the LSTM's cell state and the GRU's update gate carry it.

    task = RecallTask(lag=30)
    text = task.sample(random.Random(0))      # "e" followed by 30 digits
    task.target(text)                         # 4, i.e. "e"
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from seqviz.tasks.base import CharTask, TextCheck, pad_ids
from seqviz.vocab import PAD, Vocab

MAX_LAG = 200


@dataclass(frozen=True)
class RecallTask(CharTask):
    lag: int = 30  # distractors between the symbol to remember and the end of the text
    symbols: str = "abcdefgh"  # the classes: what must be remembered
    distractors: str = "0123456789"  # noise that carries no information

    name = "recall"
    output = "last"  # one answer per text, read after its last character

    @property
    def num_classes(self) -> int:
        return len(self.symbols)

    @property
    def class_names(self) -> list[str]:
        return list(self.symbols)

    def vocab(self) -> Vocab:
        return Vocab.build([*self.symbols, *self.distractors], specials=(PAD,))

    def target(self, text: str) -> int:
        return self.symbols.index(text[0])

    def sample(self, rng: random.Random) -> str:
        return rng.choice(self.symbols) + "".join(rng.choice(self.distractors) for _ in range(self.lag))

    def tensors(self, texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T) token ids, padded with <pad>; y (B,) the class of each text's first symbol."""
        return pad_ids(texts, vocab), torch.tensor([self.target(t) for t in texts])

    def check_text(self, text: str, vocab: Vocab) -> TextCheck:
        error = self.first_check(text, vocab, MAX_LAG + 1, "Type some text: a symbol a-h followed by digits.",
                                 "the symbols a-h and the digits 0-9")
        if error:
            return error
        if text[0] not in self.symbols:
            return TextCheck(None, "Start the text with the symbol to remember, one of a-h.", None)
        note = None
        if any(c in self.symbols for c in text[1:]):
            note = "Only the first symbol counts; training never put a second one in the text."
        elif len(text) - 1 != self.lag:
            note = f"Your text has a lag of {len(text) - 1}; this model was trained at lag {self.lag}."
        return TextCheck(list(text), None, note)
