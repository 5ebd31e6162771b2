"""The attention lab: scaled dot-product attention step by step, and translation with attention.

Shipped (`python -m seqviz.zoo build NAME`): three GRU encoder-decoders for the toy English -> French
pair (TRANSLATION_RECIPES: dot-product attention, additive attention, none), and
translation-snapshots.json (SNAPSHOTS_NAME): the attention recipe retrained from its seed, with the
greedy output and attention weights of a few fixed test sentences at SNAPSHOT_STEPS, played back by the
translation page ("attention across training"). Their metrics come from
seqviz.models.seq2seq.evaluate_translation, recorded on the whole test split and on its first
`subset_size` sentences, the part a fast test recomputes.

    labs.load("translation-attention")           # a Checkpoint (model, both vocabularies, task)
    labs.load(SNAPSHOTS_NAME)                    # TranslationSnapshots
    trace(ckpt, "the cat sees a dog", beam=3)    # the lab's trace (ui.trace caches it by name and values)

The learner's own model (pages/attention_translation.py, section 7): `start_learner` builds it (random
weights from a seed, or a copy of the shipped model) and its checkpoint meta; `check_learner` scores it on
held-out sentences after each chunk.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import torch

from seqviz.checkpoints import read_checksums, sha256
from seqviz.labs.base import Lab, PageSpec
from seqviz.models.recurrent import copy_model
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqConfig, evaluate_translation, token_accuracy_by_length
from seqviz.shipped import (ASSETS, CHECKSUMS, Build, SnapshotError, load_verified, record_checksums,
                            train_and_save)
from seqviz.tasks import TranslationTask
from seqviz.tasks.translation import BUCKET_NAMES, length_bucket
from seqviz.training import TrainingRun


@dataclass(frozen=True)
class TranslationRecipe:
    name: str
    description: str
    attention: str  # "additive", "dot" or "none" (Seq2SeqConfig.attention)
    seed: int  # seeds the initial weights and the training stream
    steps: int
    lr: float
    batch_size: int
    test_seed: int  # the test split's sentences are drawn from this seed (never trained on: split by hash)
    test_size: int
    subset_size: int = 200  # the first sentences of the test set, whose metrics a fast test recomputes
    task: TranslationTask = TranslationTask()

    def build_model(self) -> Seq2Seq:
        torch.manual_seed(self.seed)
        return Seq2Seq(Seq2SeqConfig(len(self.task.vocab()), len(self.task.target_vocab()), self.attention))

    def training_batches(self, seed_offset: int = 0):
        return self.task.batches(self.seed + 1 + seed_offset, self.batch_size, self.task.vocab(), self.task.target_vocab())

    def test_pairs(self, n: int | None = None) -> list:
        return self.task.dataset(self.test_size if n is None else n, self.test_seed, split="test")

    def evaluate(self, model: Seq2Seq, n: int | None = None) -> dict:
        return evaluate_translation(model, self.test_pairs(n), self.task.vocab(), self.task.target_vocab())

    def token_accuracy(self, model: Seq2Seq, n: int = 600) -> dict:
        """Teacher-forced token accuracy by source length on the first n test sentences (the checkpoints
        record exact match by length only)."""
        return token_accuracy_by_length(model, self.test_pairs(n), self.task.vocab(), self.task.target_vocab())


# Same data and seed. The baseline gets the attention model's training wall time, not its steps: a
# no-attention step costs about half as much (no scores), so 2,000 steps take about as long as the
# attention model's 1,000 (measured on one thread: 123 s and ~130 s). The attention model has reached
# its targets by then; the baseline is still improving slowly (shared/MEASURED.md: even 15,000 steps
# leave it far behind on long sentences).
TRANSLATION_RECIPES = {
    r.name: r
    for r in [
        TranslationRecipe(
            name="translation-attention",
            description="GRU encoder-decoder with dot-product attention (Luong order) for the toy English -> French pair.",
            attention="dot", seed=0, steps=1000, lr=3e-3, batch_size=64, test_seed=1234, test_size=3000,
        ),
        TranslationRecipe(
            name="translation-additive",
            description="The same encoder-decoder with additive (Bahdanau-style) scoring, in Luong order.",
            attention="additive", seed=0, steps=1000, lr=3e-3, batch_size=64, test_seed=1234, test_size=3000,
        ),
        TranslationRecipe(
            name="translation-noattention",
            description="The same encoder-decoder without attention: the decoder sees only the encoder's last states.",
            attention="none", seed=0, steps=2000, lr=3e-3, batch_size=64, test_seed=1234, test_size=3000,
        ),
    ]
}


def build_translation(name: str, directory: Path = ASSETS, log=print) -> dict:
    """Train a translation recipe and write its checkpoint (both vocabularies) and checksums."""
    recipe = TRANSLATION_RECIPES[name]

    def evaluate_model(model):
        return {**recipe.evaluate(model), "subset": recipe.evaluate(model, recipe.subset_size)}

    return train_and_save(name, recipe, directory, log, evaluate_model, 100,
                          {"target_vocab": recipe.task.target_vocab().to_list()})


# -- attention across training: snapshots of the attention recipe ---------------------------------------
SNAPSHOTS_NAME = "translation-snapshots"
SNAPSHOTS_FILE = f"{SNAPSHOTS_NAME}.json"
SNAPSHOTS_FORMAT, SNAPSHOTS_VERSION = "seqviz-translation-snapshots", 1
SNAPSHOT_RECIPE = "translation-attention"
SNAPSHOT_STEPS = (0, 25, 50, 100, 200, 400, 700, 1000)  # the last is the recipe's own step count
SNAPSHOT_BUCKETS = ("3-6", "7-12", "13-18", "19-24")  # one sentence of each length (25+ would bloat the file)
MAX_SNAPSHOT_BYTES = 400 * 2**10


@dataclass(frozen=True)
class SentenceSnapshots:
    source: list[str]  # (S,)
    reference: list[str]  # the grammar's translation (without <eos>)
    alignment: list[int]  # gold source index of each reference word, -1 for none
    outputs: list[list[str]]  # per snapshot step: the greedy output (ends in <eos> if the model finished)
    weights: list[list[list[float]]]  # per snapshot step: α (T_k, S), 3 decimals, rows sum to 1


@dataclass(frozen=True)
class TranslationSnapshots:
    recipe: str
    steps: list[int]
    exact_match: list[float]  # per step, on `eval_sentences` test sentences
    eval_sentences: int
    sentences: list[SentenceSnapshots]
    build_seconds: float


def snapshot_sentences(recipe: TranslationRecipe, buckets=SNAPSHOT_BUCKETS) -> list:
    """The first test sentence of each length bucket (the recipe's test seed: never trained on)."""
    found = {}
    for pair in recipe.task.dataset(80, recipe.test_seed, split="test"):
        found.setdefault(length_bucket(len(pair.source)), pair)
    return [found[b] for b in buckets if b in found]


def build_translation_snapshots(directory: Path = ASSETS, log=print, steps=SNAPSHOT_STEPS) -> dict:
    """Retrain the attention recipe from its seed (same config, same batches) and write the snapshots."""
    recipe = TRANSLATION_RECIPES[SNAPSHOT_RECIPE]
    torch.set_num_threads(1)
    model = recipe.build_model()
    run = TrainingRun.start(model, recipe.training_batches(), lr=recipe.lr)
    vocab, target_vocab = recipe.task.vocab(), recipe.task.target_vocab()
    pairs = snapshot_sentences(recipe)
    start = time.perf_counter()
    exact, records = [], [{"source": list(p.source), "reference": list(p.target), "alignment": list(p.alignment),
                           "outputs": [], "weights": []} for p in pairs]
    for target in steps:
        for _ in run.train(target - run.step):
            pass
        exact.append(round(recipe.evaluate(model, recipe.subset_size)["exact_match"], 4))
        for pair, rec in zip(pairs, records):
            tr = trace_sentence(model, vocab, target_vocab, " ".join(pair.source))
            rec["outputs"].append(tr.output_tokens)
            rec["weights"].append([[round(float(w), 3) for w in row] for row in tr.weights[0, 0]])
        log(f"{SNAPSHOTS_NAME}: step {target} exact match {exact[-1]:.1%} ({time.perf_counter() - start:.0f} s)")
    data = {
        "format": SNAPSHOTS_FORMAT, "version": SNAPSHOTS_VERSION, "recipe": SNAPSHOT_RECIPE, "seed": recipe.seed,
        "steps": list(steps), "exact_match": exact, "eval_sentences": recipe.subset_size, "sentences": records,
        "build_seconds": round(time.perf_counter() - start, 1), "torch_version": torch.__version__,
        "command": f"python -m seqviz.zoo build {SNAPSHOTS_NAME}",
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / SNAPSHOTS_FILE
    path.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    record_checksums([path], directory)
    log(f"{SNAPSHOTS_NAME}: {data['build_seconds']:.0f} s, {path.stat().st_size / 1024:.0f} KiB -> {path}")
    return data


def _words(value, what: str, allow_empty: bool = False) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(w, str) for w in value) or (not value and not allow_empty):
        raise SnapshotError(f"The snapshot file's {what} is not a list of words.")
    return value


def parse_translation_snapshots(text: str) -> TranslationSnapshots:
    """Validate the JSON text of a snapshot file (format, steps, shapes, weights in [0, 1] summing to 1)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise SnapshotError("The snapshot file is not valid JSON.") from None
    if not isinstance(data, dict) or data.get("format") != SNAPSHOTS_FORMAT:
        raise SnapshotError("The snapshot file is not a translation snapshot file.")
    if data.get("version") != SNAPSHOTS_VERSION:
        raise SnapshotError(f"The snapshot file has version {data.get('version')!r}; this app reads version {SNAPSHOTS_VERSION}.")
    steps, exact = data.get("steps"), data.get("exact_match")
    if (not isinstance(steps, list) or not steps or not all(type(s) is int and s >= 0 for s in steps)
            or any(a >= b for a, b in zip(steps, steps[1:]))):
        raise SnapshotError("The snapshot file's steps are not an increasing list of step numbers.")
    if (not isinstance(exact, list) or len(exact) != len(steps)
            or not all(isinstance(e, (int, float)) and not isinstance(e, bool) and 0 <= e <= 1 for e in exact)):
        raise SnapshotError("The snapshot file's exact match is not one number in [0, 1] per step.")
    raw = data.get("sentences")
    if not isinstance(raw, list) or not raw:
        raise SnapshotError("The snapshot file has no sentences.")
    sentences = []
    for n, rec in enumerate(raw, start=1):
        if not isinstance(rec, dict):
            raise SnapshotError(f"Sentence {n} of the snapshot file is not a record.")
        source = _words(rec.get("source"), f"sentence {n} source")
        reference = _words(rec.get("reference"), f"sentence {n} reference")
        alignment = rec.get("alignment")
        if (not isinstance(alignment, list) or len(alignment) != len(reference)
                or not all(type(g) is int and -1 <= g < len(source) for g in alignment)):
            raise SnapshotError(f"Sentence {n} of the snapshot file has a bad alignment.")
        outputs, weights = rec.get("outputs"), rec.get("weights")
        if not isinstance(outputs, list) or not isinstance(weights, list) or not len(outputs) == len(weights) == len(steps):
            raise SnapshotError(f"Sentence {n} of the snapshot file does not have one output and one map per step.")
        for k, (out, W) in enumerate(zip(outputs, weights)):
            _words(out, f"sentence {n} output at step {steps[k]}")
            if (not isinstance(W, list) or len(W) != len(out)
                    or not all(isinstance(row, list) and len(row) == len(source) for row in W)):
                raise SnapshotError(f"Sentence {n}'s attention map at step {steps[k]} does not have the shape "
                                    f"(output words, {len(source)} source words).")
            for row in W:
                if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and 0 <= w <= 1 for w in row) \
                        or not math.isclose(sum(row), 1, abs_tol=0.02):
                    raise SnapshotError(f"Sentence {n}'s attention map at step {steps[k]} has weights outside "
                                        "[0, 1] or a row that does not sum to 1.")
        sentences.append(SentenceSnapshots(source, reference, alignment, outputs, weights))
    seconds = data.get("build_seconds", 0.0)
    return TranslationSnapshots(str(data.get("recipe", "")), steps, [float(e) for e in exact],
                                int(data.get("eval_sentences", 0)) if type(data.get("eval_sentences")) is int else 0,
                                sentences, float(seconds) if isinstance(seconds, (int, float)) else 0.0)


def load_translation_snapshots(directory: Path = ASSETS) -> TranslationSnapshots:
    """The shipped snapshot file, checksum-verified and validated; SnapshotError (one sentence) otherwise."""
    path = directory / SNAPSHOTS_FILE
    rebuild = f"rebuild it with `python -m seqviz.zoo build {SNAPSHOTS_NAME}`"
    expected = read_checksums(directory / CHECKSUMS.name).get(SNAPSHOTS_FILE)
    if not path.is_file():
        raise SnapshotError(f"The snapshot file {SNAPSHOTS_FILE} is missing; {rebuild}.")
    if expected is None:
        raise SnapshotError(f"The snapshot file {SNAPSHOTS_FILE} has no recorded checksum; {rebuild}.")
    if path.stat().st_size > MAX_SNAPSHOT_BYTES:
        raise SnapshotError(f"The snapshot file {SNAPSHOTS_FILE} is larger than {MAX_SNAPSHOT_BYTES // 2**10} KiB, so it is not one.")
    if sha256(path) != expected:
        raise SnapshotError(f"The snapshot file {SNAPSHOTS_FILE} does not match its checksum; {rebuild}.")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise SnapshotError(f"The snapshot file {SNAPSHOTS_FILE} is not text.") from None
    return parse_translation_snapshots(text)


def trace_sentence(model: Seq2Seq, vocab, target_vocab, text: str, beam: int = 1):
    """The Seq2SeqTrace of a model on a sentence its task has checked (words separated by spaces): greedy
    for beam 1, beam search (with its tree) above; at most 2S + 5 output words."""
    tokens = text.split()
    return model.trace(vocab.encode(tokens), tokens, target_vocab, beam=beam, max_len=2 * len(tokens) + 5)


def trace(ckpt, text: str, beam: int = 1):
    """The lab's trace: a shipped translation checkpoint on a checked sentence (see trace_sentence)."""
    return trace_sentence(ckpt.model, ckpt.vocab, ckpt.target_vocab, text, beam)


def example_sentences() -> dict[str, str]:
    """Length bucket -> one test sentence of that length (the recipes' test seed: never trained on)."""
    pairs = snapshot_sentences(TRANSLATION_RECIPES[SNAPSHOT_RECIPE], BUCKET_NAMES)
    return {length_bucket(len(p.source)): " ".join(p.source) for p in pairs}


# -- the learner's own model ---------------------------------------------------------------------------------
CHECK_SENTENCES, CHECK_SEED = 100, 99  # held-out validation sentences scored after each chunk
META_FIELDS = ("vocab", "target_vocab", "class_names", "task")  # what a download writes besides the config


def learner_label(from_shipped: bool, attention: str, seed: int) -> str:
    """The store's label of a learner's model: one model per choice of start, attention and seed."""
    start = "a copy of the shipped model" if from_shipped else f"random weights, {attention} attention"
    return f"Translation: {start} (seed {seed})"


def start_learner(ckpt, from_shipped: bool, attention: str, seed: int) -> tuple[TrainingRun, dict]:
    """A learner's model and its run, with the attention recipe's batch size and learning rate, and the
    checkpoint meta (vocabularies, classes, task) of the shipped checkpoint `ckpt` it shares them with.
    From the shipped model: a copy (the cached original is never trained) on sentences past its own
    stream. From random weights: seeded without moving the global random state; seed 0 with dot
    attention is the recipe itself (the same weights and batches)."""
    recipe = TRANSLATION_RECIPES[SNAPSHOT_RECIPE]
    if from_shipped:
        model, origin, offset = copy_model(ckpt.model), ckpt.name, 1001
    else:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            model = Seq2Seq(Seq2SeqConfig(len(ckpt.vocab), len(ckpt.target_vocab), attention))
        origin, offset = "scratch", 1
    batches = ckpt.task.batches(seed + offset, recipe.batch_size, ckpt.vocab, ckpt.target_vocab)
    meta = {k: ckpt.meta[k] for k in META_FIELDS if k in ckpt.meta}
    return TrainingRun.start(model, batches, lr=recipe.lr, origin=origin), meta


def check_learner(model: Seq2Seq, ckpt) -> float:
    """Exact match of the greedy translation on CHECK_SENTENCES validation sentences it never trained on."""
    pairs = ckpt.task.dataset(CHECK_SENTENCES, CHECK_SEED, split="validation")
    return evaluate_translation(model, pairs, ckpt.vocab, ckpt.target_vocab)["exact_match"]


def chunk_speed(chunks: list[dict], check_seconds: float) -> float | None:
    """Training steps per second of the last chunk (train_your_own's extra["chunks"] records), without the
    held-out check that ran inside it."""
    if not chunks:
        return None
    steps = chunks[-1]["steps"] - (chunks[-2]["steps"] if len(chunks) > 1 else 0)
    seconds = chunks[-1]["seconds"] - check_seconds
    return steps / seconds if seconds > 0 else None


def load(name: str, directory: Path = ASSETS):
    return load_translation_snapshots(directory) if name == SNAPSHOTS_NAME else load_verified(name, directory)


LAB = Lab(
    name="attention",
    title="Attention",
    pages=(
        PageSpec("pages/attention_basics.py", "Attention step by step", ":material/center_focus_strong:", "attention",
                 "Queries, keys and values with real numbers: scores, scaling, softmax and the weighted sum."),
        PageSpec("pages/attention_translation.py", "Translation with attention", ":material/translate:", "translation",
                 "A GRU encoder-decoder translates a toy language pair: alignment heatmaps, decoding step by step, beam search."),
    ),
    builds=MappingProxyType({
        **{name: Build(r.description, lambda d, log, name=name: build_translation(name, d, log))
           for name, r in TRANSLATION_RECIPES.items()},
        SNAPSHOTS_NAME: Build(f"Attention maps and exact match of {SNAPSHOT_RECIPE} at steps {list(SNAPSHOT_STEPS)}.",
                              lambda d, log: build_translation_snapshots(d, log)),
    }),
    load=load,
    trace=trace,
)
