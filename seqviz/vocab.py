"""Vocabulary: the one mapping between tokens and integer ids used everywhere in seqviz.

A `Vocab` is built once from an ordered list of tokens; special tokens come first so their ids
are stable across tasks (`<pad>` is always 0). It is immutable, serialises to a plain list for a
checkpoint's JSON, and reports unknown tokens instead of silently mapping them, because a lesson
must tell the learner which characters the model has never seen.

    vocab = Vocab.build(list("()abc"), specials=("<pad>",))
    ids = vocab.encode(list("(a)"))        # [1, 3, 2]
    vocab.decode(ids)                       # ["(", "a", ")"]
    vocab.unknown(list("(x)"))              # ["x"]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
PAD_ID = 0  # <pad> comes first in every vocabulary
BOS_ID, EOS_ID = 1, 2  # in target vocabularies, which start <pad>, <bos>, <eos> (translation, speech)
IGNORE = -100  # the target of a padded position: F.cross_entropy skips it


@dataclass(frozen=True)
class Vocab:
    idx_to_token: tuple[str, ...]  # id -> token; ids are positions in this tuple
    token_to_idx: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        mapping = {tok: i for i, tok in enumerate(self.idx_to_token)}
        if len(mapping) != len(self.idx_to_token):
            dupes = sorted({t for t in self.idx_to_token if self.idx_to_token.count(t) > 1})
            raise ValueError(f"vocabulary has duplicate tokens: {dupes[:5]}")
        object.__setattr__(self, "token_to_idx", mapping)

    @classmethod
    def build(cls, tokens: Iterable[str], specials: Sequence[str] = ()) -> "Vocab":
        """Specials first (in the order given), then the other tokens in first-seen order."""
        seen: dict[str, None] = dict.fromkeys(specials)
        for tok in tokens:
            seen.setdefault(tok, None)
        return cls(tuple(seen))

    def __len__(self) -> int:
        return len(self.idx_to_token)

    def __contains__(self, token: object) -> bool:
        return token in self.token_to_idx

    def unknown(self, tokens: Iterable[str]) -> list[str]:
        """The distinct tokens not in the vocabulary, in first-seen order."""
        return list(dict.fromkeys(t for t in tokens if t not in self.token_to_idx))

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Token ids; maps unknown tokens to <unk> if the vocabulary has one, else raises KeyError."""
        unk = self.token_to_idx.get(UNK)
        out = []
        for tok in tokens:
            idx = self.token_to_idx.get(tok, unk)
            if idx is None:
                raise KeyError(f"token {tok!r} is not in the vocabulary")
            out.append(idx)
        return out

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.idx_to_token[int(i)] for i in ids]

    def to_list(self) -> list[str]:
        return list(self.idx_to_token)
