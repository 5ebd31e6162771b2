"""Text for the language-model lesson: short stories generated in code, a character tokeniser, a
train/validation split, and the checks on a learner's own text.

The stories are written by a small grammar with three kinds of structure a tiny model can learn,
each one visible in its attention:

* **repeated names**: two names are chosen per story, and the last sentence gives an object *back*
  to the person who gave it ("ben gave anna a map. ... anna gave the map back to ben."), so the
  right next characters can only be copied from earlier in the context;
* **agreement**: a verb agrees with its subject's number, sometimes across a distracting noun of
  the other number ("the dog near the foxes runs." / "the dogs near the fox run.");
* **brackets and quotes**: an opened quote or bracket must be closed ("cara said "the cats sing."").

Why characters, not words: the vocabulary stays tiny (about 36 symbols, so the next-character
distribution fits in one bar chart), any text a learner pastes can be learned with no unknown
words, a prompt can stop in the middle of a word (the model then has to finish it), and the bigram
baseline is the classic character-bigram model to beat.

    corpus = LMCorpus.generate()                   # seeded: the same text on every machine
    corpus.vocab, corpus.train_ids, corpus.val_ids  # Vocab, (N_train,), (N_val,) int64 tensors
    x, y = next(corpus.batches(seed=0, batch_size=32, block_size=128))  # (B, T) each, y = x shifted by 1
    check = check_prompt("anna gave", corpus.vocab)  # TextCheck: tokens, or one sentence saying why not
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Iterator

import torch

from seqviz.tasks.base import TextCheck
from seqviz.vocab import Vocab

# -- the grammar -----------------------------------------------------------------------------------
NAMES = ("anna", "ben", "cara", "dan", "eva", "finn", "gus", "hana", "ivo", "jade", "kim", "leo")
NOUNS = {"dog": "dogs", "cat": "cats", "bird": "birds", "fox": "foxes", "child": "children", "horse": "horses"}
VERBS = {"runs": "run", "sleeps": "sleep", "sings": "sing", "waits": "wait", "jumps": "jump", "eats": "eat"}
ADJECTIVES = ("big", "small", "red", "old", "happy", "green")
ADVERBS = ("quickly", "slowly", "again", "today", "outside")
PLACES = ("park", "river", "market", "school", "hill", "beach")
OBJECTS = ("book", "ball", "apple", "hat", "map", "cup", "kite")
ALPHABET = tuple("abcdefghijklmnopqrstuvwxyz") + (" ", ".", ",", '"', "(", ")", "\n")

# -- sizes -----------------------------------------------------------------------------------------
STORIES, SEED = 6000, 1234  # the built-in corpus: about 800k characters
VALIDATION_FRACTION = 0.1  # the last 10% of stories (never trained on)
MAX_PROMPT_CHARS = 200  # a prompt longer than this is refused (the model sees its last block_size characters)
MAX_PASTED_CHARS = 50_000  # a learner's text: above this it is refused (training live is a few thousand steps)
MIN_PASTED_CHARS = 200  # below this there is nothing to learn from
ADVISED_PASTED_CHARS = 5_000  # below this the model will mostly memorise: said on the page
MAX_PASTED_SYMBOLS = 120  # distinct characters in a learner's text (the output layer has one row each)


def _noun_phrase(rng: random.Random, plural: bool) -> str:
    noun = rng.choice(list(NOUNS))
    adj = rng.choice(ADJECTIVES) + " " if rng.random() < 0.4 else ""
    return f"the {adj}{NOUNS[noun] if plural else noun}"


def _clause(rng: random.Random) -> str:
    """Subject + agreeing verb, sometimes with an attractor noun of the other number in between."""
    plural = rng.random() < 0.5
    subject = _noun_phrase(rng, plural)
    if rng.random() < 0.35:
        subject += " near " + _noun_phrase(rng, not plural)
    verb = rng.choice(list(VERBS))
    adv = " " + rng.choice(ADVERBS) if rng.random() < 0.5 else ""
    return f"{subject} {VERBS[verb] if plural else verb}{adv}"


def _middle(rng: random.Random, a: str, b: str) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return _clause(rng) + "."
    if kind == 1:
        return f'{rng.choice((a, b))} said "{_clause(rng)}."'
    return f"{_clause(rng)} (said {rng.choice((a, b))})."


def story(rng: random.Random) -> str:
    """One story: two names, an object given and given back, agreement, quotes and brackets."""
    a, b = rng.sample(NAMES, 2)
    thing = rng.choice(OBJECTS)
    parts = [f"{a} and {b} went to the {rng.choice(PLACES)}."]
    parts += [_middle(rng, a, b) for _ in range(rng.randint(0, 2))]
    parts.append(f"{b} gave {a} a {thing}.")
    parts.append(f"{a} gave the {thing} back to {b}.")
    parts += [_middle(rng, a, b) for _ in range(rng.randint(0, 1))]
    return " ".join(parts) + "\n"


def generate_text(n: int = STORIES, seed: int = SEED) -> list[str]:
    rng = random.Random(seed)
    return [story(rng) for _ in range(n)]


# -- the corpus: tokeniser, split, batches ---------------------------------------------------------
@dataclass(frozen=True)
class LMCorpus:
    vocab: Vocab  # one token per character
    train_ids: torch.Tensor  # (N_train,) int64
    val_ids: torch.Tensor  # (N_val,) int64
    source: str  # "built-in" or "pasted"

    @classmethod
    def generate(cls, n: int = STORIES, seed: int = SEED) -> "LMCorpus":
        """The built-in corpus: n stories, the last VALIDATION_FRACTION of them held out."""
        stories = generate_text(n, seed)
        cut = int(round(n * (1 - VALIDATION_FRACTION)))
        vocab = Vocab(ALPHABET)
        return cls(vocab, encode("".join(stories[:cut]), vocab), encode("".join(stories[cut:]), vocab), "built-in")

    @classmethod
    def from_text(cls, text: str) -> "LMCorpus":
        """A learner's text (already checked with check_pasted): its own characters, the last 10% held out."""
        vocab = Vocab(tuple(sorted(set(text))))
        cut = int(len(text) * (1 - VALIDATION_FRACTION))
        return cls(vocab, encode(text[:cut], vocab), encode(text[cut:], vocab), "pasted")

    def batches(self, seed: int, batch_size: int, block_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """An endless, seeded stream of random windows: x (B, T) and the next characters y (B, T)."""
        gen = torch.Generator().manual_seed(seed)
        ids = self.train_ids
        T = min(block_size, len(ids) - 1)
        while True:
            starts = torch.randint(0, len(ids) - T, (batch_size,), generator=gen)  # (B,)
            idx = starts[:, None] + torch.arange(T + 1)  # (B, T + 1)
            window = ids[idx]
            yield window[:, :-1], window[:, 1:]


def encode(text: str, vocab: Vocab) -> torch.Tensor:
    return torch.tensor(vocab.encode(text), dtype=torch.long)


def decode(ids, vocab: Vocab) -> str:
    return "".join(vocab.decode(ids))


def windows(ids: torch.Tensor, block_size: int, limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Non-overlapping windows covering `ids` (the first `limit` characters if given): x, y (W, T).
    Every character after the first is a target exactly once, so a model and the bigram are scored
    on the same predictions."""
    ids = ids[:limit] if limit else ids
    W = (len(ids) - 1) // block_size
    x = ids[: W * block_size].view(W, block_size)
    y = ids[1: W * block_size + 1].view(W, block_size)
    return x, y


# -- what a learner types --------------------------------------------------------------------------
def _shown(chars: list[str]) -> str:
    names = {"\n": "a line break", "\t": "a tab", " ": "a space"}
    return ", ".join(names.get(c, repr(c)) for c in chars[:8]) + (" ..." if len(chars) > 8 else "")


def check_prompt(text: str, vocab: Vocab, limit: int = MAX_PROMPT_CHARS) -> TextCheck:
    """A prompt: 1..limit characters, every one in the vocabulary. Upper case is lowered (with a
    note) when the vocabulary only has lower case; anything else unknown is named in one sentence."""
    if not text:
        return TextCheck(None, "Type a prompt: at least one character for the model to continue.", None)
    if len(text) > limit:
        return TextCheck(None, f"That prompt has {len(text):,} characters; the limit is {limit} "
                               "(the model reads at most its last block of characters anyway).", None)
    note = None
    if vocab.unknown(text) and not vocab.unknown(text.lower()):
        text, note = text.lower(), "The model only knows lower-case letters, so the prompt was lowered."
    unknown = vocab.unknown(text)
    if unknown:
        return TextCheck(None, f"The model has never seen {_shown(unknown)}; it knows only these "
                               f"{len(vocab)} characters: {''.join(t for t in vocab.idx_to_token if t != chr(10))!r} "
                               "and the line break.", None)
    return TextCheck(list(text), None, note)


def check_pasted(text: str) -> TextCheck:
    """A learner's training text: size limits, a bounded alphabet; short text is usable with advice."""
    if not text or not text.strip():
        return TextCheck(None, "Paste some text to train on: at least a few paragraphs.", None)
    if len(text) > MAX_PASTED_CHARS:
        return TextCheck(None, f"That text has {len(text):,} characters; the limit is {MAX_PASTED_CHARS:,} "
                               "so that a few training chunks can see all of it.", None)
    if len(text) < MIN_PASTED_CHARS:
        return TextCheck(None, f"That text has only {len(text)} characters; paste at least {MIN_PASTED_CHARS} "
                               f"(better {ADVISED_PASTED_CHARS:,} or more) so there is something to learn.", None)
    symbols = set(text)
    if len(symbols) > MAX_PASTED_SYMBOLS:
        return TextCheck(None, f"That text uses {len(symbols)} different characters; the limit is "
                               f"{MAX_PASTED_SYMBOLS}. Remove unusual symbols (or lower-case it) and try again.", None)
    note = None
    if len(text) < ADVISED_PASTED_CHARS:
        note = (f"Only {len(text):,} characters: the model will mostly memorise them, and its validation "
                f"loss will soon rise. {ADVISED_PASTED_CHARS:,} characters or more give it patterns to learn.")
    return TextCheck(list(text), None, note)
