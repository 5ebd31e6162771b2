"""Sentiment of short film reviews, generated in code from a small grammar with labelled phenomena.

Every review is one opinion (or two joined by "but"), optionally wrapped in neutral filler:

    plain        the plot was great                     -> positive
    intensifier  the plot was very great                -> positive (downtoner: somewhat great)
    negation     the plot was not great                 -> negative (not bad -> positive)
    distant      i did not think the plot was great     -> negative: "not" is four words before "great"
    contrast     the plot was great but the cast was dull  -> the clause after "but" decides: negative
    filler       we went on sunday . the plot was great . it runs two hours .
    verdict early  the plot was not great . it runs two hours . we went to the cinema . ... (3-4 neutral
                 sentences after the opinion: the answer must be carried across 20-30 words)

Each review records its phenomena (`tags`) and the template it came from, so accuracy can be split
by phenomenon. The label is the polarity of the last clause: the adjective's sign, flipped once by a
negator. A bag of words sees which words appear, not in which order, so "not good" and "good ... not"
look alike to it, and "good but dull" and "dull but good" are the same bag.

Splits: a review belongs to the test split when a hash of its text says so (one in four texts), so a
test text is never a training text; `dataset(n, seed, split)` draws from one split. One template,
"i never found the N ADJ" (`HELD_OUT`), never appears in training or test: split "held-out" draws only
from it, to ask whether a model generalises negation to a sentence shape it has never seen.

    task = SentimentTask()
    r = task.sample(random.Random(0))         # Review(tokens=(...), label=0 or 1, tags=(...), template=...)
    x, y = task.tensors(task.dataset(64, seed=1), task.vocab())
    task.check_text("Not bad at all!", task.vocab()).tokens   # ['not', 'bad', 'at', 'all', '!']
"""

from __future__ import annotations

import random
import re
import zlib
from dataclasses import dataclass
from typing import Iterator

import torch

from seqviz.tasks.base import TextCheck
from seqviz.vocab import PAD, UNK, Vocab

# -- the words ------------------------------------------------------------------------------------
# Opinion words shared with the embeddings corpus (seqviz.tasks.corpus), so its vectors can initialise models.
POSITIVE = ("good", "great", "excellent", "wonderful", "fine", "brilliant", "lovely")
NEGATIVE = ("bad", "terrible", "awful", "poor", "boring", "dull", "weak")
INTENSIFIERS = ("very", "really", "truly", "extremely")
DOWNTONERS = ("somewhat", "fairly", "slightly", "mildly")
NOUNS = ("film", "movie", "plot", "acting", "story", "ending", "cast", "script", "music")
FILLER = (  # neutral sentences: no opinion in them
    "i saw it on sunday .", "we went to the cinema .", "it runs two hours .", "my friend came with me .",
    "the film is in english .", "i watched it at home .", "it came out last year .", "we had tickets for the late show .",
)

# -- templates: (name, words); N = a noun, M = an optional modifier, A = the adjective ------------------
PLAIN = (
    ("was", "the N was M A"),
    ("is", "the N is M A"),
    ("found", "i found the N M A"),
    ("what", "what a M A N"),
)
NEAR = (  # the negator is next to the adjective (or its modifier)
    ("was-not", "the N was not M A"),
    ("is-never", "the N is never M A"),
    ("not-at-all", "the N was not A at all"),
)
FAR = (  # three or more words between the negator and the adjective
    ("did-not-think", "i did not think the N was M A"),
    ("would-never-say", "i would never say the N was M A"),
    ("not-one-bit", "the N was not in any way M A"),
)
HELD_OUT = ("never-found", "i never found the N M A")  # distant negation in a shape training never shows
BUT = ("but", ", but")

PHENOMENA = ("plain", "negation", "distant negation", "intensifier", "downtoner", "contrast", "filler",
             "verdict early")
LONG_TAIL = (3, 4)  # neutral sentences after the opinion of a "verdict early" review
SPLITS = ("train", "test", "held-out")
MAX_CHARS = 400  # a review a learner types; longer text is refused before it is tokenised
MAX_TOKENS = 60
_TOKEN = re.compile(r"[a-z]+|[.,!?;:]|[^\sa-z.,!?;:]+")  # words, punctuation, and any other run (emoji, markup)


def tokenize(text: str) -> list[str]:
    """Lower-case words and punctuation marks; any other run of characters (emoji, markup) is one token."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Review:
    tokens: tuple[str, ...]
    label: int  # 0 negative, 1 positive
    tags: tuple[str, ...]  # phenomena, in PHENOMENA order
    template: str  # e.g. "was-not" or "did-not-think+but+was"

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@dataclass(frozen=True)
class SentimentTask:
    p_contrast: float = 0.3  # a second clause after "but"
    p_negation: float = 0.45  # a clause is negated (near or far, half each)
    p_modifier: float = 0.35  # an intensifier or a downtoner before the adjective
    p_filler: float = 0.4  # neutral sentences before and/or after the opinion
    p_unknown_noun: float = 0.05  # the noun is <unk> (an unknown title), so <unk> means "neutral" to a model
    p_long: float = 0.2  # the opinion first, then LONG_TAIL neutral sentences ("verdict early"; 0: none)

    name = "sentiment"
    output = "last"  # one answer per review, read after its last word

    @property
    def num_classes(self) -> int:
        return 2

    @property
    def class_names(self) -> list[str]:
        return ["negative", "positive"]

    def vocab(self) -> Vocab:
        words = []
        for line in [*(t for _, t in PLAIN + NEAR + FAR + (HELD_OUT,)), *FILLER, BUT[1], "but", "an"]:
            words += [w for w in line.split() if w not in ("N", "M", "A")]
        words += [*POSITIVE, *NEGATIVE, *INTENSIFIERS, *DOWNTONERS, *NOUNS]
        return Vocab.build(words, specials=(PAD, UNK))

    # -- generation --------------------------------------------------------------------------------
    def _clause(self, rng: random.Random, allow_far: bool, force: str | None = None) -> tuple[list[str], int, set[str], str]:
        """One opinion clause -> (words, label, tags, template name)."""
        tags: set[str] = set()
        if force == "held-out":
            name, line = HELD_OUT
            negated, tags = True, {"negation", "distant negation"}
        elif rng.random() < self.p_negation:
            far = allow_far and rng.random() < 0.5
            name, line = rng.choice(FAR if far else NEAR)
            negated, tags = True, {"negation", "distant negation"} if far else {"negation"}
        else:
            (name, line), negated = rng.choice(PLAIN), False
        positive = rng.random() < 0.5
        adjective = rng.choice(POSITIVE if positive else NEGATIVE)
        modifier = []
        if "M" in line.split() and rng.random() < self.p_modifier:
            if rng.random() < 0.5:
                modifier, _ = [rng.choice(INTENSIFIERS)], tags.add("intensifier")
            else:
                modifier, _ = [rng.choice(DOWNTONERS)], tags.add("downtoner")
        noun = UNK if rng.random() < self.p_unknown_noun else rng.choice(NOUNS)
        words = []
        for w in line.split():
            words += {"N": [noun], "M": modifier, "A": [adjective]}.get(w, [w])
        words = [("an" if w == "a" and nxt[0] in "aeiou" else w) for w, nxt in zip(words, words[1:] + ["."])]
        return words, int(positive != negated), tags, name

    def sample(self, rng: random.Random, split: str = "train") -> Review:
        """One review from `split` ("train", "test" or "held-out"); rejection keeps the splits apart."""
        while True:
            review = self._sample(rng, held_out=split == "held-out")
            if split == "held-out" or self.split_of(review.text) == split:
                return review

    def _sample(self, rng: random.Random, held_out: bool = False) -> Review:
        words, label, tags, template = self._clause(rng, allow_far=True, force="held-out" if held_out else None)
        if not held_out and rng.random() < self.p_contrast:
            # first clause: the opposite opinion, so the two halves disagree and only order tells the answer
            while True:
                first, first_label, first_tags, first_name = self._clause(rng, allow_far=False)
                if first_label != label:
                    break
            words = first + rng.choice(BUT).split() + words
            tags |= first_tags | {"contrast"}
            template = f"{first_name}+but+{template}"
        if self.p_long > 0 and rng.random() < self.p_long:  # (p_long 0 draws nothing: the reviews of before)
            tail = [w for _ in range(rng.randint(*LONG_TAIL)) for w in rng.choice(FILLER).split()]
            words = words + ["."] + tail
            tags |= {"filler", "verdict early"}
        elif rng.random() < self.p_filler:
            before, after = rng.choice([(1, 0), (0, 1), (1, 1), (2, 0)])
            pre = [w for _ in range(before) for w in rng.choice(FILLER).split()]
            post = [w for _ in range(after) for w in rng.choice(FILLER).split()]
            words = pre + words + (["."] + post if post else [])
            tags.add("filler")
        if not tags & {"negation", "intensifier", "downtoner", "contrast"}:
            tags.add("plain")
        return Review(tuple(words), label, tuple(p for p in PHENOMENA if p in tags), template)

    @staticmethod
    def split_of(text: str) -> str:
        """"test" for one text in four (by a stable hash of the text), else "train"."""
        return "test" if zlib.crc32(text.encode()) % 4 == 0 else "train"

    def dataset(self, n: int, seed: int, split: str = "test") -> list[Review]:
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}")
        rng = random.Random(seed)
        return [self.sample(rng, split) for _ in range(n)]

    def batches(self, seed: int, batch_size: int, vocab: Vocab) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """An endless, seeded stream of fresh training batches (training split only)."""
        rng = random.Random(seed)
        while True:
            yield self.tensors([self.sample(rng, "train") for _ in range(batch_size)], vocab)

    def tensors(self, reviews: list[Review], vocab: Vocab) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, T) token ids padded with <pad> (id 0) after each review; y (B,) labels."""
        x = torch.zeros(len(reviews), max(len(r.tokens) for r in reviews), dtype=torch.long)
        for b, r in enumerate(reviews):
            x[b, : len(r.tokens)] = torch.tensor(vocab.encode(r.tokens))
        return x, torch.tensor([r.label for r in reviews])

    # -- what a learner types ----------------------------------------------------------------------
    def check_text(self, text: str, vocab: Vocab) -> TextCheck:
        """Tokens to feed the models (unknown words kept: they are read as <unk>), or one sentence why not."""
        if not text or not text.strip():
            return TextCheck(None, "Type a review, for example: the plot was not bad at all.", None)
        if len(text) > MAX_CHARS:
            return TextCheck(None, f"That review has {len(text):,} characters; the limit is {MAX_CHARS}.", None)
        tokens = tokenize(text)
        if len(tokens) > MAX_TOKENS:
            return TextCheck(None, f"That review has {len(tokens)} words and marks; the limit is {MAX_TOKENS}.", None)
        unknown = vocab.unknown(tokens)
        if len(unknown) == len(set(tokens)):
            return TextCheck(None, f"None of those words is in the models' vocabulary (they know {len(vocab) - 2} "
                                   "words, such as good, not, very, but, film).", None)
        note = None
        if unknown:
            shown = ", ".join(repr(shorten(w)) for w in unknown[:6]) + (" ..." if len(unknown) > 6 else "")
            note = (f"The models have never seen {shown}: each is read as {UNK}, which in training only ever "
                    "stood for an unknown film title.")
        return TextCheck(tokens, None, note)


def shorten(word: str, n: int = 14) -> str:
    return word if len(word) <= n else word[: n - 1] + "…"


def shown_tokens(tokens: list[str], vocab: Vocab) -> list[str]:
    """Tokens for axis labels: unknown ones marked, e.g. 'popcorn→<unk>' (long ones shortened)."""
    return [t if t in vocab else f"{shorten(t, 10)}→{UNK}" for t in tokens]


def mistakes(reviews: list[Review], probs, phenomenon: str | None = None) -> list[tuple[Review, "np.ndarray"]]:
    """(review, p(class)) for every review whose most probable class is wrong, with `phenomenon` among
    its tags (any review when None); probs (N, C) as `predict` returns them."""
    return [(r, p) for r, p in zip(reviews, probs)
            if int(p.argmax()) != r.label and (phenomenon is None or phenomenon in r.tags)]


# -- scoring a model on reviews (any model with the forward contract) -----------------------------------
@torch.no_grad()
def predict(model, reviews: list[Review], vocab: Vocab, batch_size: int = 500) -> "np.ndarray":
    """p(class) for every review, (N, C), in batches (the model is only read)."""
    import numpy as np

    out = []
    for i in range(0, len(reviews), batch_size):
        x, _ = SentimentTask.tensors(None, reviews[i:i + batch_size], vocab)
        out.append(torch.softmax(model(x)[0], -1).numpy())
    return np.concatenate(out)


def score(reviews: list[Review], probs) -> dict:
    """Accuracy overall and per phenomenon, the count of each, and the confusion matrix [true][predicted]."""
    pred = probs.argmax(1)
    right = [int(p) == r.label for p, r in zip(pred, reviews)]
    per, counts = {}, {}
    for ph in PHENOMENA:
        hits = [ok for ok, r in zip(right, reviews) if ph in r.tags]
        counts[ph] = len(hits)
        per[ph] = round(sum(hits) / len(hits), 4) if hits else None
    confusion = [[int(sum(1 for p, r in zip(pred, reviews) if r.label == t and p == q)) for q in range(probs.shape[1])]
                 for t in range(probs.shape[1])]
    return {"accuracy": round(sum(right) / len(right), 4), "per_phenomenon": per, "counts": counts,
            "confusion": confusion, "n": len(reviews)}
