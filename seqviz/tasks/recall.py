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
from typing import Iterator

import torch

from seqviz.tasks.brackets import TextCheck
from seqviz.vocab import PAD, Vocab

MAX_LAG = 200


@dataclass(frozen=True)
class RecallTask:
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

    def dataset(self, n: int, seed: int) -> list[str]:
        rng = random.Random(seed)
        return [self.sample(rng) for _ in range(n)]

    def tensors(self, texts: list[str], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T) token ids, padded with <pad>; y (B,) the class of each text's first symbol."""
        T = max(len(t) for t in texts)
        x = torch.full((len(texts), T), vocab.token_to_idx[PAD], dtype=torch.long)
        for b, text in enumerate(texts):
            x[b, : len(text)] = torch.tensor(vocab.encode(text))
        return x, torch.tensor([self.target(t) for t in texts])

    def batches(self, seed: int, batch_size: int, vocab: Vocab) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        rng = random.Random(seed)
        while True:
            yield self.tensors([self.sample(rng) for _ in range(batch_size)], vocab)

    def check_text(self, text: str, vocab: Vocab) -> TextCheck:
        if not text:
            return TextCheck(None, "Type some text: a symbol a-h followed by digits.", None)
        if len(text) > MAX_LAG + 1:
            return TextCheck(None, f"That text has {len(text):,} characters; the limit is {MAX_LAG + 1}.", None)
        unknown = vocab.unknown(text)
        if unknown:
            shown = ", ".join(repr(c) for c in unknown[:8])
            return TextCheck(None, f"The model only knows the symbols a-h and the digits 0-9; it has never seen {shown}.", None)
        if text[0] not in self.symbols:
            return TextCheck(None, "Start the text with the symbol to remember, one of a-h.", None)
        note = None
        if any(c in self.symbols for c in text[1:]):
            note = "Only the first symbol counts; training never put a second one in the text."
        elif len(text) - 1 != self.lag:
            note = f"Your text has a lag of {len(text) - 1}; this model was trained at lag {self.lag}."
        return TextCheck(list(text), None, note)
