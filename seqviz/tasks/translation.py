"""A toy language pair for the attention lesson: English-like source, French-like target.

Every pair is generated from one small grammar and carries its ground-truth word alignment, so a
page can hold the model's attention against the truth. What makes it need attention:

* reordering: adjectives follow the noun ("the big red dog" -> "le chien grand rouge"), object
  pronouns move before the verb ("she sees him" -> "elle le voit"), and negation wraps the verb
  ("does not see them" -> "ne les voit pas");
* agreement: determiners and adjectives agree with the noun's gender and number ("the big house" ->
  "la maison grande", "the big houses" -> "les maisons grandes"), verbs with the subject's number;
* length: one to three clauses joined by "and", "but" or "while" ("pendant que", two target words for
  one source word) give sources of 3 to 35 tokens.

    task = TranslationTask()
    pair = task.parse("he sees them".split())  # or task.dataset(n, seed, split="test")
    pair.source, pair.target, pair.alignment   # ("he", "sees", "them"), ("il", "les", "voit"), (0, 2, 1)
    (src, tgt_in), tgt_out = task.tensors([pair], task.vocab(), task.target_vocab())

`alignment[i]` is the index of the source word that target word i translates, or -1 for none (the
grammar gives every target word a source word; -1 is reserved). A sentence belongs to exactly one
split, decided by a hash of its source text (80% train, 10% validation, 10% test), so no test
sentence is ever trained on; `dataset(n, seed, split)` draws n pairs of that split from `seed`.
`parse(tokens)` reads a typed sentence back with the same grammar and returns its reference
translation, or None when the grammar cannot make it.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from typing import Iterator

import torch

from seqviz.tasks.base import IGNORE, TextCheck
from seqviz.vocab import BOS, EOS, PAD, Vocab

MAX_INPUT_WORDS = 40  # longest sentence a learner may type: keeps the attention map readable
SPLITS = ("train", "validation", "test")
LENGTH_BUCKETS = ((3, 6), (7, 12), (13, 18), (19, 24), (25, 10_000))  # source lengths, inclusive
BUCKET_NAMES = ("3-6", "7-12", "13-18", "19-24", "25+")

# -- the lexicon ------------------------------------------------------------------------------------
# noun: (singular, plural, French singular, French plural, gender)
NOUNS = {
    "cat": ("cat", "cats", "chat", "chats", "m"), "dog": ("dog", "dogs", "chien", "chiens", "m"),
    "bird": ("bird", "birds", "oiseau", "oiseaux", "m"), "horse": ("horse", "horses", "cheval", "chevaux", "m"),
    "boy": ("boy", "boys", "garcon", "garcons", "m"), "book": ("book", "books", "livre", "livres", "m"),
    "girl": ("girl", "girls", "fille", "filles", "f"), "house": ("house", "houses", "maison", "maisons", "f"),
    "car": ("car", "cars", "voiture", "voitures", "f"), "flower": ("flower", "flowers", "fleur", "fleurs", "f"),
    "apple": ("apple", "apples", "pomme", "pommes", "f"), "door": ("door", "doors", "porte", "portes", "f"),
}
# adjective: French (masculine singular, feminine singular, masculine plural, feminine plural)
ADJECTIVES = {
    "big": ("grand", "grande", "grands", "grandes"), "small": ("petit", "petite", "petits", "petites"),
    "green": ("vert", "verte", "verts", "vertes"), "black": ("noir", "noire", "noirs", "noires"),
    "old": ("vieux", "vieille", "vieux", "vieilles"), "happy": ("content", "contente", "contents", "contentes"),
    "red": ("rouge", "rouge", "rouges", "rouges"), "new": ("neuf", "neuve", "neufs", "neuves"),
}
# verb: (3rd singular, plural / after does-do, French 3rd singular, French 3rd plural)
VERBS = {
    "see": ("sees", "see", "voit", "voient"), "like": ("likes", "like", "aime", "aiment"),
    "eat": ("eats", "eat", "mange", "mangent"), "find": ("finds", "find", "trouve", "trouvent"),
    "follow": ("follows", "follow", "suit", "suivent"), "take": ("takes", "take", "prend", "prennent"),
}
SUBJECT_PRONOUNS = {"he": ("il", "m", False), "she": ("elle", "f", False), "they": ("ils", "m", True)}
OBJECT_PRONOUNS = {"him": ("le", "m", False), "her": ("la", "f", False), "them": ("les", "m", True)}
CONJUNCTIONS = {"and": ("et",), "but": ("mais",), "while": ("pendant", "que")}
# determiner: French by (gender, plural); "a" is singular only, "some" plural only
DETERMINERS = {"the": {("m", False): "le", ("f", False): "la", ("m", True): "les", ("f", True): "les"},
               "a": {("m", False): "un", ("f", False): "une"},
               "some": {("m", True): "des", ("f", True): "des"}}


@dataclass(frozen=True)
class NounPhrase:
    pronoun: str | None  # "he"/"she"/"they" as subject, "him"/"her"/"them" as object; else None
    determiner: str = "the"
    adjectives: tuple[str, ...] = ()
    noun: str = "cat"  # the lemma, a key of NOUNS
    plural: bool = False


@dataclass(frozen=True)
class Clause:
    subject: NounPhrase
    verb: str  # a key of VERBS
    obj: NounPhrase
    negated: bool = False


@dataclass(frozen=True)
class Pair:
    source: tuple[str, ...]  # (S,) English-like words
    target: tuple[str, ...]  # (T,) French-like words, without <bos>/<eos>
    alignment: tuple[int, ...]  # (T,) for each target word, the index of its source word, or -1


def _np_words(np_: NounPhrase, role: str) -> tuple[list[str], list[str], list[int]]:
    """Source words, target words and target->source alignment (indices local to the phrase)."""
    if np_.pronoun is not None:
        table = SUBJECT_PRONOUNS if role == "subject" else OBJECT_PRONOUNS
        return [np_.pronoun], [table[np_.pronoun][0]], [0]
    sg, pl, fr_sg, fr_pl, gender = NOUNS[np_.noun]
    src = [np_.determiner, *np_.adjectives, pl if np_.plural else sg]
    form = (gender == "f") + 2 * np_.plural  # index into an adjective's four French forms
    # French order: determiner, noun, then the adjectives (in the English order), all agreeing
    tgt = [DETERMINERS[np_.determiner][(gender, np_.plural)], fr_pl if np_.plural else fr_sg,
           *(ADJECTIVES[a][form] for a in np_.adjectives)]
    align = [0, len(src) - 1, *range(1, 1 + len(np_.adjectives))]
    return src, tgt, align


def _gender_number(np_: NounPhrase, role: str) -> tuple[str, bool]:
    if np_.pronoun is not None:
        _, gender, plural = (SUBJECT_PRONOUNS if role == "subject" else OBJECT_PRONOUNS)[np_.pronoun]
        return gender, plural
    return NOUNS[np_.noun][4], np_.plural


def realise(clauses: list[Clause], conjunctions: list[str]) -> Pair:
    """The grammar's one translation of a structure: clauses joined by len(clauses)-1 conjunctions."""
    src: list[str] = []
    tgt: list[str] = []
    align: list[int] = []

    def emit(s_words, t_words, local_align):
        base = len(src)
        src.extend(s_words)
        tgt.extend(t_words)
        align.extend(base + a for a in local_align)

    for k, clause in enumerate(clauses):
        if k:
            conj = conjunctions[k - 1]
            emit([conj], list(CONJUNCTIONS[conj]), [0] * len(CONJUNCTIONS[conj]))
        s_subj, t_subj, a_subj = _np_words(clause.subject, "subject")
        _, plural = _gender_number(clause.subject, "subject")
        third, base_form, fr_sg, fr_pl = VERBS[clause.verb]
        fr_verb = fr_pl if plural else fr_sg
        src_words = list(s_subj)
        if clause.negated:
            src_words += ["do" if plural else "does", "not", base_form]
        else:
            src_words += [base_form if plural else third]
        verb_at = len(src_words) - 1
        s_obj, t_obj, a_obj = _np_words(clause.obj, "object")
        obj_at = len(src_words)
        src_words += s_obj
        t_words, t_align = list(t_subj), list(a_subj)
        if clause.negated:  # "ne" stands where "does" stood; "pas" translates "not"
            t_words.append("ne")
            t_align.append(verb_at - 2)
        if clause.obj.pronoun is not None:  # object pronouns move before the verb
            t_words += [t_obj[0], fr_verb]
            t_align += [obj_at, verb_at]
            if clause.negated:
                t_words.append("pas")
                t_align.append(verb_at - 1)
        else:
            t_words.append(fr_verb)
            t_align.append(verb_at)
            if clause.negated:
                t_words.append("pas")
                t_align.append(verb_at - 1)
            t_words += t_obj
            t_align += [obj_at + a for a in a_obj]
        emit(src_words, t_words, t_align)
    return Pair(tuple(src), tuple(tgt), tuple(align))


def split_of(source: tuple[str, ...] | list[str]) -> str:
    """The split a source sentence belongs to, fixed by a hash of its text (80/10/10)."""
    h = zlib.crc32(" ".join(source).encode()) % 10
    return "test" if h == 0 else "validation" if h == 1 else "train"


@dataclass(frozen=True)
class TranslationTask:
    min_clauses: int = 1  # clauses per sentence, joined by conjunctions
    max_clauses: int = 3
    max_adjectives: int = 2  # adjectives per noun phrase
    p_pronoun: float = 0.25  # chance that a subject or object is a pronoun
    p_plural: float = 0.4  # chance that a noun phrase is plural
    p_negated: float = 0.25  # chance that a clause is negated ("does not")

    name = "translation"
    output = "seq2seq"  # a target sentence per source sentence

    # -- vocabularies -------------------------------------------------------------------------
    def vocab(self) -> Vocab:
        """Source words: <pad> (id 0), then every word the grammar can write."""
        words = [*DETERMINERS, *SUBJECT_PRONOUNS, *OBJECT_PRONOUNS, "does", "do", "not",
                 *(w for n in NOUNS.values() for w in n[:2]), *ADJECTIVES,
                 *(w for v in VERBS.values() for w in v[:2]), *CONJUNCTIONS]
        return Vocab.build(words, specials=(PAD,))

    def target_vocab(self) -> Vocab:
        """Target words: <pad> 0, <bos> 1, <eos> 2, then every French word the grammar writes."""
        words = [*(w for d in DETERMINERS.values() for w in d.values()),
                 *(p[0] for p in SUBJECT_PRONOUNS.values()), "ne", "pas",
                 *(w for n in NOUNS.values() for w in n[2:4]), *(w for a in ADJECTIVES.values() for w in a),
                 *(w for v in VERBS.values() for w in v[2:]), *(w for c in CONJUNCTIONS.values() for w in c)]
        return Vocab.build(words, specials=(PAD, BOS, EOS))

    @property
    def num_classes(self) -> int:
        """The decoder's output classes: the target vocabulary."""
        return len(self.target_vocab())

    @property
    def class_names(self) -> list[str]:
        return self.target_vocab().to_list()

    # -- generation ---------------------------------------------------------------------------
    def _noun_phrase(self, rng: random.Random, role: str) -> NounPhrase:
        if rng.random() < self.p_pronoun:
            table = SUBJECT_PRONOUNS if role == "subject" else OBJECT_PRONOUNS
            return NounPhrase(rng.choice(list(table)))
        plural = rng.random() < self.p_plural
        det = rng.choice(["the", "the", "some" if plural else "a"])
        n_adj = min(rng.choice([0, 0, 1, 1, 2]), self.max_adjectives)
        adjs = tuple(rng.sample(list(ADJECTIVES), n_adj))
        return NounPhrase(None, det, adjs, rng.choice(list(NOUNS)), plural)

    def sample(self, rng: random.Random) -> Pair:
        n = rng.randint(self.min_clauses, self.max_clauses)
        clauses = [Clause(self._noun_phrase(rng, "subject"), rng.choice(list(VERBS)),
                          self._noun_phrase(rng, "object"), rng.random() < self.p_negated) for _ in range(n)]
        conjunctions = [rng.choice(list(CONJUNCTIONS)) for _ in range(n - 1)]
        return realise(clauses, conjunctions)

    def dataset(self, n: int, seed: int, split: str = "train") -> list[Pair]:
        """n pairs of one split, drawn from `seed` (sentences of other splits are skipped)."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        rng, out = random.Random(seed), []
        while len(out) < n:
            pair = self.sample(rng)
            if split_of(pair.source) == split:
                out.append(pair)
        return out

    def tensors(self, pairs: list[Pair], vocab: Vocab, target_vocab: Vocab | None = None):
        """((src (B, S), tgt_in (B, T+1)), tgt_out (B, T+1)): padded with <pad> (id 0); tgt_in is
        <bos> + target, tgt_out is target + <eos> with IGNORE on padding. The (x, y) shape lets
        seqviz.training.TrainingRun drive a Seq2Seq model unchanged."""
        tv = target_vocab or self.target_vocab()
        S = max(len(p.source) for p in pairs)
        T = max(len(p.target) for p in pairs) + 1
        src = torch.full((len(pairs), S), vocab.token_to_idx[PAD], dtype=torch.long)  # (B, S)
        tgt_in = torch.full((len(pairs), T), tv.token_to_idx[PAD], dtype=torch.long)  # (B, T)
        tgt_out = torch.full((len(pairs), T), IGNORE, dtype=torch.long)  # (B, T)
        bos, eos = tv.token_to_idx[BOS], tv.token_to_idx[EOS]
        for b, p in enumerate(pairs):
            ids = tv.encode(p.target)
            src[b, : len(p.source)] = torch.tensor(vocab.encode(p.source))
            tgt_in[b, : len(ids) + 1] = torch.tensor([bos, *ids])
            tgt_out[b, : len(ids) + 1] = torch.tensor([*ids, eos])
        return (src, tgt_in), tgt_out

    def batches(self, seed: int, batch_size: int, vocab: Vocab, target_vocab: Vocab | None = None) -> Iterator:
        """An endless, seeded stream of training-split batches, shaped as tensors() gives them."""
        rng = random.Random(seed)
        tv = target_vocab or self.target_vocab()
        while True:
            pairs = []
            while len(pairs) < batch_size:
                pair = self.sample(rng)
                if split_of(pair.source) == "train":
                    pairs.append(pair)
            yield self.tensors(pairs, vocab, tv)

    # -- reading a sentence back --------------------------------------------------------------
    @staticmethod
    def parse(tokens: list[str] | tuple[str, ...]) -> Pair | None:
        """The grammar's translation of a source sentence, or None if the grammar cannot make it."""
        words = list(tokens)
        clauses, conjunctions, current = [], [], []
        for w in words + ["<end>"]:
            if w in CONJUNCTIONS or w == "<end>":
                clause = _parse_clause(current)
                if clause is None:
                    return None
                clauses.append(clause)
                current = []
                if w != "<end>":
                    conjunctions.append(w)
            else:
                current.append(w)
        pair = realise(clauses, conjunctions)
        return pair if list(pair.source) == words else None

    # -- learner input ------------------------------------------------------------------------
    def check_text(self, text: str, vocab: Vocab) -> TextCheck:
        """Split typed text on spaces (lower case); unknown words or a bad length are errors, a
        sentence outside the grammar is only a note (the model translates it anyway)."""
        tokens = text.lower().split()
        if not tokens:
            return TextCheck(None, "Type a sentence: at least one word, separated by spaces.", None)
        if len(tokens) > MAX_INPUT_WORDS:
            return TextCheck(None, f"That sentence has {len(tokens)} words; the limit is {MAX_INPUT_WORDS} so "
                                   "every word stays readable on the attention map.", None)
        unknown = vocab.unknown(tokens)
        if unknown:
            shown = ", ".join(repr(w if len(w) <= 20 else w[:19] + "…") for w in unknown[:8]) + (" ..." if len(unknown) > 8 else "")
            return TextCheck(None, f"The model has never seen the word{'s' if len(unknown) > 1 else ''} {shown}; "
                                   "use only words from the toy language's vocabulary.", None)
        note = None
        if self.parse(tokens) is None:
            note = ("The toy grammar never makes this sentence, so there is no reference translation; "
                    "watch what the model does with it anyway.")
        return TextCheck(tokens, None, note)


def _parse_np(words: list[str], role: str) -> tuple[NounPhrase, int] | None:
    """A noun phrase at the start of `words` and how many words it used."""
    if not words:
        return None
    table = SUBJECT_PRONOUNS if role == "subject" else OBJECT_PRONOUNS
    if words[0] in table:
        return NounPhrase(words[0]), 1
    if words[0] not in DETERMINERS:
        return None
    i = 1
    while i < len(words) and words[i] in ADJECTIVES:
        i += 1
    if i >= len(words):
        return None
    for lemma, (sg, pl, *_rest) in NOUNS.items():
        if words[i] in (sg, pl):
            plural = words[i] == pl
            if (NOUNS[lemma][4], plural) not in DETERMINERS[words[0]]:  # "a cats", "some cat"
                return None
            adjs = tuple(words[1:i])
            if len(set(adjs)) != len(adjs):
                return None
            return NounPhrase(None, words[0], adjs, lemma, plural), i + 1
    return None


def _parse_clause(words: list[str]) -> Clause | None:
    got = _parse_np(words, "subject")
    if got is None:
        return None
    subject, i = got
    negated = words[i:i + 2] in (["does", "not"], ["do", "not"])
    i += 2 if negated else 0
    if i >= len(words):
        return None
    verb = next((lemma for lemma, forms in VERBS.items() if words[i] in forms[:2]), None)
    if verb is None:
        return None
    obj = _parse_np(words[i + 1:], "object")
    if obj is None or i + 1 + obj[1] != len(words):
        return None
    # agreement is checked by realising the structure and comparing with the words (parse() does)
    return Clause(subject, verb, obj[0], negated)


def length_bucket(n: int) -> str:
    """The name of the source-length bucket a sentence of n words falls in."""
    for (lo, hi), name in zip(LENGTH_BUCKETS, BUCKET_NAMES):
        if lo <= n <= hi:
            return name
    return BUCKET_NAMES[0]
