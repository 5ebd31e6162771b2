"""The built-in corpus for the word-embedding lessons, generated in code, and the learner's own text.

Every grouped word is an IDENTITY crossed with an ATTRIBUTE: "queen" is the identity "ruler" with the
attribute "female", "paris" is the identity "france" with the attribute "capital". A sentence about a
grouped word draws its other content words from two pools: words of its identity (throne, crown,
kingdom for king and queen alike) and words of its attribute (she, her, herself for every female
word). So king and queen share contexts through their identity, queen and woman through their
attribute, and "queen - king + man" lands near "woman": the relations the lessons look for are
written into the contexts, where Word2Vec and GloVe can find them. About a quarter of the sentences
are neutral filler that belongs to no group.

The PAIRED setting (build_corpus(..., paired=True)) writes the same relations into which grouped words
meet instead: every sentence about a grouped word names a second word of its family and nothing else
("king and man", "both king and queen"). The second word shares the first one's group or its identity
PAIR_WEIGHT times as often as it shares neither, so every pair of grouped words of a family co-occurs,
more often the closer they are. GloVe, which learns only from non-zero counts X_ij > 0, needs this.

    corpus = build_corpus(tokens=200_000, seed=0)     # Corpus: sentences of tokens, deterministic
    build_corpus(200_000, 0, paired=True)             # the paired setting (same seed, same size)
    corpus.groups                                     # word -> group name ("capitals", "female", ...)
    corpus.analogies                                  # (a, b, c, d): a is to b as c is to d
    tokenize(text) / corpus_from_text(text)           # the learner's own text (capped, with advice)

The opinion group (good ... boring) and the words not, never, very, really, but are shared with the
sentiment lab, which reuses them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations, permutations

import numpy as np

from seqviz.tasks.base import TextCheck

DEFAULT_TOKENS = 200_000
MIN_TOKENS, MAX_TOKENS = 10_000, 500_000   # the size slider's range for the built-in corpus
FILLER_SHARE = 0.25                         # share of sentences that belong to no group (1 draw in 4)

# The learner's own text
MAX_TEXT_CHARS = 2_000_000   # longer text is refused with one sentence (about 350,000 words)
MIN_TEXT_TOKENS = 2_000      # below this a text gets advice: too few words to learn from
MIN_TEXT_TYPES = 20          # ... or too few distinct words


# -- the grammar: families of grouped words ---------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """Words that are identities x attributes. words[identity][attribute] is a word;
    identity_context[identity] and attribute_context[attribute] are the pools its sentences draw from;
    templates[attribute] are sentence frames with slots {w} (the word), {i} (an identity context word)
    and {a} (an attribute context word)."""

    name: str
    attributes: tuple[str, ...]               # the groups, e.g. ("countries", "capitals", "nationalities")
    words: dict[str, tuple[str, ...]]         # identity -> one word per attribute
    identity_context: dict[str, tuple[str, ...]]
    attribute_context: dict[str, tuple[str, ...]]
    templates: dict[str, tuple[str, ...]]


FAMILIES: tuple[Family, ...] = (
    Family(
        "people", ("male", "female"),
        {"ruler": ("king", "queen"), "heir": ("prince", "princess"), "parent": ("father", "mother"),
         "child": ("son", "daughter"), "sibling": ("brother", "sister"), "spouse": ("husband", "wife"),
         "elder": ("grandfather", "grandmother"), "relative": ("uncle", "aunt"), "adult": ("man", "woman"),
         "young": ("boy", "girl")},
        {"ruler": ("throne", "crown", "kingdom"), "heir": ("castle", "royal", "heir"),
         "parent": ("parents", "raised", "children"), "child": ("family", "parents", "baby"),
         "sibling": ("twin", "siblings", "together"), "spouse": ("married", "wedding", "ring"),
         "elder": ("grandchildren", "elderly", "stories"), "relative": ("cousin", "visits", "relatives"),
         "adult": ("person", "adult", "job"), "young": ("school", "playground", "toys")},
        {"male": ("he", "his", "him", "himself"), "female": ("she", "her", "hers", "herself")},
        {"male": ("the {w} said that {a} loved the {i}", "{a} is the {w} and {a} knows the {i}",
                  "everyone saw the {w} with {a} {i}", "the {i} belongs to the {w} and {a} is proud"),
         "female": ("the {w} said that {a} loved the {i}", "{a} is the {w} and {a} knows the {i}",
                    "everyone saw the {w} with {a} {i}", "the {i} belongs to the {w} and {a} is proud")},
    ),
    Family(
        "places", ("countries", "capitals", "nationalities"),
        {"france": ("france", "paris", "french"), "germany": ("germany", "berlin", "german"),
         "italy": ("italy", "rome", "italian"), "spain": ("spain", "madrid", "spanish"),
         "japan": ("japan", "tokyo", "japanese"), "china": ("china", "beijing", "chinese"),
         "egypt": ("egypt", "cairo", "egyptian"), "russia": ("russia", "moscow", "russian"),
         "greece": ("greece", "athens", "greek"), "canada": ("canada", "ottawa", "canadian")},
        {"france": ("seine", "louvre", "baguette"), "germany": ("rhine", "bavaria", "pretzel"),
         "italy": ("tiber", "vatican", "pizza"), "spain": ("flamenco", "paella", "andalusia"),
         "japan": ("sushi", "fuji", "samurai"), "china": ("yangtze", "dumplings", "dynasty"),
         "egypt": ("nile", "pyramids", "pharaoh"), "russia": ("volga", "kremlin", "tsar"),
         "greece": ("acropolis", "olives", "aegean"), "canada": ("maple", "hockey", "moose")},
        {"countries": ("country", "nation", "border", "province"),
         "capitals": ("city", "streets", "capital", "downtown"),
         "nationalities": ("language", "speakers", "accent", "spoken")},
        {"countries": ("the {a} of {w} is known for the {i}", "we crossed the {a} into {w} to see the {i}",
                       "{w} is a {a} with the {i}", "the {i} makes {w} a famous {a}"),
         "capitals": ("the {a} of {w} is known for the {i}", "we wandered the {a} of {w} near the {i}",
                      "{w} is a {a} close to the {i}", "the {i} is an hour from {w} and its {a}"),
         "nationalities": ("the {w} {a} is heard near the {i}", "they learned the {w} {a} to talk about the {i}",
                           "{w} is a {a} of the {i}", "the {i} is described in {w} by its {a}")},
    ),
    Family(
        "animals", ("animals", "young animals"),
        {"dog": ("dog", "puppy"), "cat": ("cat", "kitten"), "cow": ("cow", "calf"), "horse": ("horse", "foal"),
         "sheep": ("sheep", "lamb"), "pig": ("pig", "piglet"), "duck": ("duck", "duckling"),
         "goose": ("goose", "gosling"), "deer": ("deer", "fawn"), "frog": ("frog", "tadpole")},
        {"dog": ("bark", "bone", "leash"), "cat": ("whiskers", "purr", "yarn"), "cow": ("milk", "moo", "pasture"),
         "horse": ("saddle", "gallop", "hay"), "sheep": ("wool", "flock", "shepherd"), "pig": ("mud", "oink", "trough"),
         "duck": ("pond", "quack", "waddle"), "goose": ("honk", "feathers", "gaggle"),
         "deer": ("antlers", "forest", "meadow"), "frog": ("lily", "croak", "swamp")},
        {"animals": ("grown", "adult", "large", "mature"), "young animals": ("baby", "newborn", "little", "tiny")},
        {"animals": ("the {a} {w} likes the {i}", "a {w} is {a} and loves the {i}",
                     "the farmer saw the {a} {w} by the {i}", "the {i} was for the {a} {w}"),
         "young animals": ("the {a} {w} likes the {i}", "a {w} is {a} and loves the {i}",
                           "the farmer saw the {a} {w} by the {i}", "the {i} was for the {a} {w}")},
    ),
    Family(
        "numbers", ("numbers", "ordinals"),
        {str(n): pair for n, pair in enumerate(
            [("one", "first"), ("two", "second"), ("three", "third"), ("four", "fourth"), ("five", "fifth"),
             ("six", "sixth"), ("seven", "seventh"), ("eight", "eighth"), ("nine", "ninth"), ("ten", "tenth")],
            start=1)},
        {str(n): (str(n),) for n in range(1, 11)},
        {"numbers": ("count", "items", "total", "counted"), "ordinals": ("place", "position", "rank", "finished")},
        {"numbers": ("we {a} {w} and note {i}", "the {a} is {w} which is {i}", "{w} {a} make {i}"),
         "ordinals": ("they {a} {w} and noted {i}", "the {a} was {w} which is {i}", "{w} {a} means {i}")},
    ),
    Family(
        "verbs", ("verbs", "past tense verbs"),
        {"walk": ("walk", "walked"), "swim": ("swim", "swam"), "eat": ("eat", "ate"), "drink": ("drink", "drank"),
         "write": ("write", "wrote"), "sing": ("sing", "sang"), "drive": ("drive", "drove"), "fly": ("fly", "flew"),
         "sleep": ("sleep", "slept"), "cook": ("cook", "cooked")},
        {"walk": ("path", "feet", "stroll"), "swim": ("water", "pool", "lake"), "eat": ("meal", "hungry", "fork"),
         "drink": ("thirsty", "glass", "cup"), "write": ("letter", "pen", "paper"), "sing": ("song", "voice", "choir"),
         "drive": ("car", "road", "wheel"), "fly": ("wings", "sky", "plane"), "sleep": ("bed", "tired", "pillow"),
         "cook": ("kitchen", "stove", "pan")},
        {"verbs": ("today", "now", "usually", "tomorrow"), "past tense verbs": ("yesterday", "ago", "earlier", "once")},
        {"verbs": ("{a} we {w} with the {i} {a}", "{a} they {w} near the {i} {a}", "i {w} by the {i} {a} and {a}"),
         "past tense verbs": ("{a} we {w} with the {i} {a}", "{a} they {w} near the {i} {a}", "i {w} by the {i} {a} and {a}")},
    ),
    Family(
        "adjectives", ("adjectives", "comparatives", "superlatives"),
        {"big": ("big", "bigger", "biggest"), "small": ("small", "smaller", "smallest"),
         "fast": ("fast", "faster", "fastest"), "slow": ("slow", "slower", "slowest"),
         "tall": ("tall", "taller", "tallest"), "strong": ("strong", "stronger", "strongest"),
         "warm": ("warm", "warmer", "warmest"), "cold": ("cold", "colder", "coldest")},
        {"big": ("elephant", "mountain", "whale"), "small": ("ant", "pebble", "mouse"),
         "fast": ("rocket", "cheetah", "speed"), "slow": ("snail", "turtle", "sloth"),
         "tall": ("tower", "giraffe", "ladder"), "strong": ("muscle", "weights", "ox"),
         "warm": ("summer", "sun", "blanket"), "cold": ("winter", "ice", "snow")},
        {"adjectives": ("looks", "seems", "quite", "rather"), "comparatives": ("than", "compared", "more", "versus"),
         "superlatives": ("most", "ever", "among", "record")},
        {"adjectives": ("the {i} {a} {w}", "this {i} is {a} {w} indeed", "a {w} {i} {a} so"),
         "comparatives": ("the {i} is {w} {a} that", "this {i} got {w} {a} before", "{w} {a} the other {i}"),
         "superlatives": ("{a} the {i} is the {w} {a}", "this {i} was the {w} {a} seen {a}", "the {w} {i} {a} {a}")},
    ),
    Family(
        "colours", ("colours",),
        {c: (c,) for c in ("red", "blue", "green", "yellow", "black", "white", "orange", "purple", "pink", "brown")},
        {"red": ("roses", "cherries"), "blue": ("ocean", "jeans"), "green": ("grass", "leaves"),
         "yellow": ("sunflower", "lemons"), "black": ("coal", "crow"), "white": ("clouds", "chalk"),
         "orange": ("pumpkin", "carrots"), "purple": ("violets", "plums"), "pink": ("flamingo", "blossom"),
         "brown": ("soil", "chocolate")},
        {"colours": ("colour", "paint", "painted", "shade", "bright")},
        {"colours": ("the {i} has a {a} of {w}", "we {a} it {w} like the {i}", "{w} is a {a} colour of {i}")},
    ),
    Family(
        "foods", ("foods",),
        {f: (f,) for f in ("bread", "cheese", "rice", "soup", "cake", "apple", "pasta", "salad", "butter", "honey")},
        {"bread": ("bakery", "loaf"), "cheese": ("dairy", "melted"), "rice": ("bowl", "grains"),
         "soup": ("spoon", "broth"), "cake": ("birthday", "candles"), "apple": ("orchard", "tree"),
         "pasta": ("sauce", "noodles"), "salad": ("lettuce", "dressing"), "butter": ("knife", "spread"),
         "honey": ("bees", "jar")},
        {"foods": ("dinner", "lunch", "tasty", "served", "plate")},
        {"foods": ("we had {w} with {i} for {a}", "the {w} was {a} with the {i}", "{a} {w} and {i} on the table")},
    ),
    Family(
        "opinions", ("opinions",),
        {o: (o,) for o in ("good", "great", "excellent", "wonderful", "fine", "bad", "terrible", "awful", "poor", "boring")},
        {o: (s,) for o, s in (("good", "liked"), ("great", "loved"), ("excellent", "enjoyed"), ("wonderful", "adored"),
                              ("fine", "accepted"), ("bad", "disliked"), ("terrible", "hated"), ("awful", "regretted"),
                              ("poor", "returned"), ("boring", "left"))},
        {"opinions": ("film", "book", "show", "story", "concert", "review")},
        {"opinions": ("the {a} was very {w} and we {i} it", "the {a} was really {w} so i {i} it",
                      "the {a} was not {w} but i {i} it", "i never said the {a} was {w}", "a {w} {a} that we {i}")},
    ),
)

FILLER_WORDS = ("it", "was", "a", "day", "the", "we", "went", "there", "and", "then", "some", "people",
                "came", "back", "later", "that", "time", "of", "year", "in", "morning", "evening", "they",
                "talked", "about", "things", "for", "while", "after", "home", "again", "weather", "nice",
                "so", "on", "way", "to", "town", "everyone", "said", "just", "maybe", "next", "week",
                "not", "never", "very", "really", "but", "is", "what", "nothing", "happened", "this")
FILLER_TEMPLATES = (
    "it was a {f} day and {f} {f} went {f}", "we {f} {f} there {f} the {f}", "then {f} people came back {f}",
    "that was {f} time of the year", "in the {f} {f} talked about {f}", "{f} {f} {f} and {f} {f}",
    "it was not very {f} but {f} {f}", "they never {f} {f} {f} really", "nothing happened {f} {f} {f}",
)

# The paired setting: a sentence names two grouped words of one family ({w} the drawn word, {v} its partner)
PAIR_TEMPLATES = ("{w} and {v}", "{w} or {v}", "both {w} and {v}")
PAIR_WEIGHT = 5  # a partner sharing {w}'s group (king, man) or identity (king, queen) is this many times as
                 # likely as one sharing neither (king, woman)
SETTINGS = {"plain": "one grouped word a sentence, with its context words",
            "paired": "two grouped words of one family a sentence, nothing else"}


# -- the corpus --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Corpus:
    sentences: tuple[tuple[str, ...], ...]           # each a tuple of tokens
    groups: dict[str, str]                           # grouped word -> group name
    analogies: tuple[tuple[str, str, str, str], ...]  # (a, b, c, d): a is to b as c is to d
    source: str                                      # one line: "built-in corpus, 200,000 tokens, seed 0"
    relations: dict[tuple[str, str, str, str], str] = field(default_factory=dict)  # question -> relation name

    @property
    def num_tokens(self) -> int:
        return sum(len(s) for s in self.sentences)

    def counts(self) -> Counter:
        return Counter(t for s in self.sentences for t in s)


def _fill(template: str, rng: np.random.Generator, slots: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    out = []
    for part in template.split():
        for name, pool in slots.items():
            part = part.replace("{" + name + "}", pool[rng.integers(len(pool))]) if "{" + name + "}" in part else part
        out.append(part)
    return tuple(out)


def grouped_words() -> dict[str, str]:
    """Every grouped word of the grammar -> its group (an attribute of its family)."""
    return {w: fam.attributes[a] for fam in FAMILIES for ws in fam.words.values() for a, w in enumerate(ws)}


def pair_partners() -> dict[str, tuple[str, ...]]:
    """Each grouped word -> the words of its family a paired sentence may name with it, a partner sharing its
    group or its identity listed PAIR_WEIGHT times and one sharing neither once (a uniform draw from the
    tuple is the weighted draw)."""
    out = {}
    for fam in FAMILIES:
        for ident, ws in fam.words.items():
            for a, w in enumerate(ws):
                out[w] = tuple(v for other, vs in fam.words.items() for b, v in enumerate(vs) if v != w
                               for _ in range(PAIR_WEIGHT if other == ident or b == a else 1))
    return out


def analogy_questions() -> dict[tuple[str, str, str, str], str]:
    """All analogy questions the grammar implies: for every family with two or more attributes, every
    pair of attributes (x, y) and every ordered pair of identities (p, q): (p_x, p_y, q_x, q_y),
    "p_x is to p_y as q_x is to q_y" (king : queen :: man : woman). Returns question -> relation name."""
    out: dict[tuple[str, str, str, str], str] = {}
    for fam in FAMILIES:
        for x, y in combinations(range(len(fam.attributes)), 2):  # one direction a relation
            relation = f"{fam.attributes[x]} -> {fam.attributes[y]}"
            for p, q in permutations(fam.words, 2):
                out[(fam.words[p][x], fam.words[p][y], fam.words[q][x], fam.words[q][y])] = relation
    return out


class _Uniforms:
    """Uniform draws taken from the generator in blocks: one list lookup a draw instead of one
    generator call (building 200,000 tokens went from ~1.8 s to a fraction of that)."""

    def __init__(self, rng: np.random.Generator, block: int = 65_536):
        self.rng, self.block, self.values, self.i = rng, block, [], 0

    def pick(self, options):
        if self.i == len(self.values):
            self.values, self.i = self.rng.random(self.block).tolist(), 0
        self.i += 1
        return options[int(self.values[self.i - 1] * len(options))]


def _split(template: str) -> tuple[tuple[str, str | None], ...]:
    """A frame as (word, None) for fixed words and ("", slot name) for slots."""
    return tuple(("", part[1:-1]) if part.startswith("{") else (part, None) for part in template.split())


def build_corpus(tokens: int = DEFAULT_TOKENS, seed: int = 0, paired: bool = False) -> Corpus:
    """About `tokens` tokens of generated sentences (clipped to [MIN_TOKENS, MAX_TOKENS]); the same seed,
    size and setting always give the same corpus. Grouped words are drawn uniformly, so each appears about
    equally often; a FILLER_SHARE of the sentences are neutral filler. `paired`: each grouped word's
    sentence is a PAIR_TEMPLATES frame naming it with a partner from pair_partners() instead."""
    tokens = int(min(max(tokens, MIN_TOKENS), MAX_TOKENS))
    u = _Uniforms(np.random.default_rng(seed))
    filler = ([_split(t) for t in FILLER_TEMPLATES], {"f": FILLER_WORDS})
    entries = [([_split(t) for t in fam.templates[fam.attributes[a]]],
                {"w": (fam.words[ident][a],), "i": fam.identity_context[ident], "a": fam.attribute_context[fam.attributes[a]]})
               for fam in FAMILIES for ident in fam.words for a in range(len(fam.attributes))]
    if paired:
        partners, frames = pair_partners(), [_split(t) for t in PAIR_TEMPLATES]
        entries = [(frames, {"w": slots["w"], "v": partners[slots["w"][0]]}) for _, slots in entries]
    sentences: list[tuple[str, ...]] = []
    n = 0
    while n < tokens:
        frames, slots = filler if u.pick((True, False, False, False)) else u.pick(entries)  # FILLER_SHARE = 1/4
        s = tuple(word if slot is None else u.pick(slots[slot]) for word, slot in u.pick(frames))
        sentences.append(s)
        n += len(s)
    questions = analogy_questions()
    name = "built-in corpus, paired" if paired else "built-in corpus"
    return Corpus(tuple(sentences), grouped_words(), tuple(questions), f"{name}, {n:,} tokens, seed {seed}", questions)


def example_sentence(word: str = "queen", seed: int = 3) -> tuple[str, ...]:
    """One generated sentence about a grouped word (for the sliding-window figure)."""
    rng = np.random.default_rng(seed)
    for fam in FAMILIES:
        for ident, ws in fam.words.items():
            if word in ws:
                a = ws.index(word)
                attr = fam.attributes[a]
                t = fam.templates[attr][rng.integers(len(fam.templates[attr]))]
                return _fill(t, rng, {"w": (word,), "i": fam.identity_context[ident], "a": fam.attribute_context[attr]})
    raise KeyError(f"{word!r} is not a grouped word")


# -- the learner's own text ------------------------------------------------------------------------
class TextError(ValueError):
    """Text that cannot be used at all; the message is one sentence."""


_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.UNICODE)  # letters/digits, inner apostrophes kept
_SENTENCE_END = re.compile(r"[.!?;:\n]+")


def tokenize(text: str) -> list[list[str]]:
    """Sentences of lowercase word tokens: NFKC-normalised, split at . ! ? ; : and line breaks, words are
    runs of letters or digits (inner apostrophes kept: "don't"). Punctuation, symbols and emoji are
    dropped. Raises TextError for text over MAX_TEXT_CHARS characters."""
    if len(text) > MAX_TEXT_CHARS:
        raise TextError(f"The text has {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,} "
                        "(about 350,000 words). Paste a shorter part.")
    text = unicodedata.normalize("NFKC", text).lower()
    out = []
    for chunk in _SENTENCE_END.split(text):
        words = [w.replace("’", "'") for w in _WORD.findall(chunk)]
        if words:
            out.append(words)
    return out


def corpus_from_text(text: str, name: str = "your text") -> TextCheck:
    """The learner's text checked (the TextCheck every task gives): .corpus its Corpus (no groups, no
    analogies) and .tokens its words, or .error when there is nothing to learn from; .note advice when it
    is too small to learn much. Never raises for content; TextError only for a text over the size cap."""
    sentences = tokenize(text)
    n = sum(len(s) for s in sentences)
    types = len({t for s in sentences for t in s})
    if n < 2 or types < 2:
        return TextCheck(None, "There are not enough words here to learn from: paste at least a few "
                               f"paragraphs (ideally {MIN_TEXT_TOKENS:,}+ words).", None)
    corpus = Corpus(tuple(tuple(s) for s in sentences), {}, (), f"{name}, {n:,} tokens")
    tokens = [t for s in sentences for t in s]
    if n < MIN_TEXT_TOKENS or types < MIN_TEXT_TYPES:
        return TextCheck(tokens, None, f"This text has only {n:,} words ({types:,} distinct): vectors learned from "
                                       f"it will be mostly noise. Word2Vec needs each word in many contexts; try "
                                       f"{MIN_TEXT_TOKENS:,}+ words where the same words come back often.", corpus)
    return TextCheck(tokens, None, None, corpus)


# -- words as ids, for the trainers ------------------------------------------------------------------
@dataclass(frozen=True)
class EncodedCorpus:
    """A corpus as arrays: the vocabulary (most frequent first) and every kept token as an id."""

    words: tuple[str, ...]        # (V,) most frequent first
    counts: np.ndarray            # (V,) int64, occurrences in the corpus
    ids: np.ndarray               # (N,) int64, the tokens of all sentences one after another
    sentence: np.ndarray          # (N,) int64, the sentence each token belongs to
    groups: dict[str, str]
    analogies: tuple[tuple[str, str, str, str], ...]
    source: str

    @property
    def num_tokens(self) -> int:
        return len(self.ids)


MAX_VOCAB = 20_000  # a learner's text keeps at most this many distinct words (the most frequent)


def encode(corpus: Corpus, min_count: int = 1, max_vocab: int = MAX_VOCAB) -> EncodedCorpus:
    """Keep words seen at least `min_count` times (at most `max_vocab`, the most frequent; ties broken
    alphabetically so the order is deterministic); drop other tokens."""
    counts = corpus.counts()
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))[:max_vocab]
    index = {w: i for i, w in enumerate(kept)}
    ids, sent = [], []
    for s_id, s in enumerate(corpus.sentences):
        row = [index[t] for t in s if t in index]
        ids.extend(row)
        sent.extend([s_id] * len(row))
    return EncodedCorpus(tuple(kept), np.array([counts[w] for w in kept], dtype=np.int64),
                         np.array(ids, dtype=np.int64), np.array(sent, dtype=np.int64),
                         {w: g for w, g in corpus.groups.items() if w in index},
                         tuple(q for q in corpus.analogies if all(w in index for w in q)), corpus.source)
