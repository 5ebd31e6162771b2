"""The shipped checkpoints: how each is trained, and the command that rebuilds it.

    python -m seqviz.zoo list              # names and what each one is
    python -m seqviz.zoo build NAME        # train NAME from its recipe, write assets/NAME.*, update SHA256SUMS
    python -m seqviz.zoo verify            # every shipped file matches its checksum
    python -m seqviz.zoo checksum FILE...  # record the checksum of another shipped file in assets/
    python -m seqviz.zoo build translation-snapshots  # assets/translation-snapshots.json (see below)

A recipe is fully seeded and runs on one thread, so a rebuild on these machines gives the same
weights. The recipe, seed and the metric reached on the recipe's held-out set are written into the
checkpoint's JSON, and a test recomputes that metric from the shipped file.

The translation models (TRANSLATION_RECIPES) are sequence-to-sequence: their metrics come from
seqviz.models.seq2seq.evaluate_translation (exact match overall and by source length, token
accuracy, attention-vs-gold alignment agreement), recorded on the whole test split and on its first
`subset_size` sentences, the part a fast test recomputes. `load` serves both kinds by name.

The translation snapshots (SNAPSHOTS_NAME) retrain the attention recipe from its seed, exactly as its
build does, and record at SNAPSHOT_STEPS the greedy output and attention weights (3 decimals) of a few
fixed test sentences and the exact match on the recipe's first `subset_size` test sentences: a small
JSON the translation page plays back ("attention across training"). The last step is the recipe's
own, so the last snapshot is the shipped model. `load_translation_snapshots` validates it.

Later topics (embeddings, sentiment, transformers, speech) keep their recipes in a module of their
own, listed in TOPIC_MODULES; each defines `BUILDS = {name: TopicBuild(description, run)}`, where
`run(directory, log)` writes the shipped files and their checksums and returns the metrics. `list`,
`build NAME` and `build all` serve them exactly like the recipes here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from seqviz.checkpoints import (Checkpoint, CheckpointError, load_checkpoint, read_checksums,
                                save_checkpoint, sha256, write_checksums)
from seqviz.models.recurrent import RecurrentConfig, RecurrentNet, remember_by_default
from seqviz.models.seq2seq import Seq2Seq, Seq2SeqConfig, evaluate_translation
from seqviz.tasks import BracketTask, FutureTask, RecallTask, TranslationTask
from seqviz.training import TrainingRun, evaluate

ASSETS = Path(__file__).resolve().parent.parent / "assets"
CHECKSUMS = ASSETS / "SHA256SUMS"


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    task: BracketTask | RecallTask | FutureTask
    hidden_size: int
    seed: int  # seeds the initial weights and the training stream
    steps: int
    lr: float
    batch_size: int
    test_seed: int  # the held-out set is generated from this seed, never used in training
    test_size: int
    cell: str = "rnn"  # "rnn", "lstm" or "gru"
    bidirectional: bool = False
    gate_bias: float = 0.0  # LSTM forget / GRU update gate bias at initialisation; 0 keeps PyTorch's init

    def build_model(self) -> RecurrentNet:
        torch.manual_seed(self.seed)
        vocab = self.task.vocab()
        model = RecurrentNet(RecurrentConfig(len(vocab), self.task.num_classes, self.cell, self.hidden_size,
                                             bidirectional=self.bidirectional, output=self.task.output))
        return remember_by_default(model, self.gate_bias) if self.gate_bias else model

    def training_batches(self, seed_offset: int = 0):
        return self.task.batches(self.seed + 1 + seed_offset, self.batch_size, self.task.vocab())

    def test_data(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.task.tensors(self.task.dataset(self.test_size, self.test_seed), self.task.vocab())


RECURRENT_ARCHS = [  # (name suffix, label, cell, bidirectional)
    ("rnn", "Vanilla RNN", "rnn", False),
    ("lstm", "LSTM", "lstm", False),
    ("gru", "GRU", "gru", False),
    ("bilstm", "Bidirectional LSTM", "lstm", True),
]

RECIPES = {
    r.name: r
    for r in [
        Recipe(
            name="rnn-brackets",
            description="Vanilla RNN (16 tanh units) that tracks bracket depth 0-4 while reading text.",
            task=BracketTask(), hidden_size=16, seed=0, steps=2000, lr=3e-3, batch_size=64,
            test_seed=1234, test_size=1000,
        ),
        *[
            Recipe(
                name=f"recall-{arch}",
                description=f"{label} (32 units) that must name the first of 8 symbols after 45 distractors.",
                task=RecallTask(lag=45), hidden_size=32, seed=0, steps=1500, lr=3e-3, batch_size=64,
                test_seed=1234, test_size=500, cell=cell, bidirectional=bi, gate_bias=3.0 if cell != "rnn" else 0.0,
            )
            for arch, label, cell, bi in RECURRENT_ARCHS
        ],
        *[
            Recipe(
                name=f"future-{arch}",
                description=f"{label} (16 units) that tags each letter: is there an x later in the text?",
                task=FutureTask(), hidden_size=16, seed=0, steps=600, lr=1e-2, batch_size=64,
                test_seed=1234, test_size=500, cell=cell, bidirectional=bi,
            )
            for arch, label, cell, bi in RECURRENT_ARCHS
        ],
    ]
}


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


def _train_and_save(name: str, recipe, directory: Path, log, evaluate_model, log_every: int,
                    extra_meta: dict) -> dict:
    """Train `recipe` from its seed on one thread, evaluate it, write NAME.safetensors + NAME.json and
    update SHA256SUMS: the part every recipe shares. `evaluate_model(model) -> metrics`."""
    torch.set_num_threads(1)
    model = recipe.build_model()
    run = TrainingRun.start(model, recipe.training_batches(), lr=recipe.lr)
    start = time.perf_counter()
    for event in run.train(recipe.steps):
        if event.step % log_every == 0:
            log(f"{name}: step {event.step} loss {event.loss:.4f} ({time.perf_counter() - start:.0f} s)")
    train_seconds = time.perf_counter() - start
    metrics = evaluate_model(model)
    fields = {f.name: getattr(recipe, f.name) for f in dataclasses.fields(recipe) if f.name not in ("task", "name", "description")}
    meta = {
        "description": recipe.description,
        "vocab": recipe.task.vocab().to_list(),
        **extra_meta,
        "class_names": recipe.task.class_names,
        "task": {"name": recipe.task.name, "params": dataclasses.asdict(recipe.task)},
        "recipe": {**fields, "optimizer": "Adam", "grad_clip": run.grad_clip},
        "seed": recipe.seed,
        "metrics": metrics,
        "train_seconds": round(train_seconds, 1),
        "torch_version": torch.__version__,
    }
    paths = save_checkpoint(model, meta, directory, name)
    sums = read_checksums(directory / CHECKSUMS.name)
    sums.update({p.name: sha256(p) for p in paths})
    write_checksums(directory / CHECKSUMS.name, sums)
    log(f"{name}: trained {train_seconds:.0f} s; {metrics} -> {', '.join(str(p) for p in paths)}")
    return metrics


def build_translation(name: str, directory: Path = ASSETS, log=print) -> dict:
    """Train a translation recipe and write its checkpoint (both vocabularies) and checksums."""
    recipe = TRANSLATION_RECIPES[name]

    def evaluate_model(model):
        return {**recipe.evaluate(model), "subset": recipe.evaluate(model, recipe.subset_size)}

    return _train_and_save(name, recipe, directory, log, evaluate_model, 100,
                           {"target_vocab": recipe.task.target_vocab().to_list()})


# -- the topics' own recipes ---------------------------------------------------------------------
TOPIC_MODULES: tuple[str, ...] = ("seqviz.zoo_speech", "seqviz.zoo_words", "seqviz.zoo_sentiment", "seqviz.zoo_transformer", "seqviz.zoo_lm")


@dataclass(frozen=True)
class TopicBuild:
    description: str                                  # one line, for `list`
    run: Callable[[Path, Callable[[str], None]], dict]  # (directory, log) -> metrics; writes files + checksums


def topic_builds() -> dict[str, TopicBuild]:
    """Every topic module's BUILDS, imported on demand (the topic modules import this one)."""
    import importlib

    builds: dict[str, TopicBuild] = {}
    for module in TOPIC_MODULES:
        builds.update(importlib.import_module(module).BUILDS)
    return builds


def build(name: str, directory: Path = ASSETS, log=print) -> dict[str, float]:
    """Train a recipe from scratch and write its checkpoint and checksums into `directory`."""
    topics = topic_builds()
    if name in topics:
        return topics[name].run(directory, log)
    if name in TRANSLATION_RECIPES:
        return build_translation(name, directory, log)
    if name == SNAPSHOTS_NAME:
        return build_translation_snapshots(directory, log)
    recipe = RECIPES[name]
    return _train_and_save(name, recipe, directory, log, lambda model: evaluate(model, *recipe.test_data()), 500, {})


# -- attention across training: snapshots of the attention recipe ---------------------------------------
SNAPSHOTS_NAME = "translation-snapshots"
SNAPSHOTS_FILE = f"{SNAPSHOTS_NAME}.json"
SNAPSHOTS_FORMAT, SNAPSHOTS_VERSION = "seqviz-translation-snapshots", 1
SNAPSHOT_RECIPE = "translation-attention"
SNAPSHOT_STEPS = (0, 25, 50, 100, 200, 400, 700, 1000)  # the last is the recipe's own step count
SNAPSHOT_BUCKETS = ("3-6", "7-12", "13-18", "19-24")  # one sentence of each length (25+ would bloat the file)
MAX_SNAPSHOT_BYTES = 400 * 2**10


class SnapshotError(ValueError):
    """The snapshot file is missing or not a valid snapshot file; the message is one sentence."""


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
    from seqviz.tasks.translation import length_bucket

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
            tr = model.trace(vocab.encode(pair.source), list(pair.source), target_vocab, max_len=2 * len(pair.source) + 5)
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
    sums = read_checksums(directory / CHECKSUMS.name)
    sums[path.name] = sha256(path)
    write_checksums(directory / CHECKSUMS.name, sums)
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


def verify_files(name: str, directory: Path = ASSETS) -> None:
    """Raise CheckpointError unless both files of `name` match the recorded checksums."""
    sums = read_checksums(directory / CHECKSUMS.name)
    for fname in (f"{name}.safetensors", f"{name}.json"):
        path = directory / fname
        if fname not in sums:
            raise CheckpointError(f"The shipped file {fname} has no recorded checksum.")
        if not path.is_file():
            raise CheckpointError(f"The shipped file {fname} is missing; rebuild it with `python -m seqviz.zoo build {name}`.")
        if sha256(path) != sums[fname]:
            raise CheckpointError(f"The shipped file {fname} does not match its checksum; rebuild it with `python -m seqviz.zoo build {name}`.")


def load(name: str, directory: Path = ASSETS) -> Checkpoint:
    """A shipped checkpoint, checksum-verified and fully validated."""
    if name not in RECIPES and name not in TRANSLATION_RECIPES:
        raise CheckpointError(f"There is no shipped checkpoint called {name!r}.")
    verify_files(name, directory)
    return load_checkpoint(directory, name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqviz.zoo", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list")
    b = sub.add_parser("build")
    topics = topic_builds()
    everything = sorted(RECIPES) + sorted(TRANSLATION_RECIPES) + [SNAPSHOTS_NAME] + list(topics)
    b.add_argument("names", nargs="+", choices=everything + ["all"])
    sub.add_parser("verify")
    c = sub.add_parser("checksum")
    c.add_argument("files", nargs="+")
    args = parser.parse_args(argv)
    if args.cmd == "list":
        for r in [*RECIPES.values(), *TRANSLATION_RECIPES.values()]:
            print(f"{r.name:24s} {r.description}")
        print(f"{SNAPSHOTS_NAME:24s} Attention maps and exact match of {SNAPSHOT_RECIPE} at steps {list(SNAPSHOT_STEPS)}.")
        for name, topic in topics.items():
            print(f"{name:24s} {topic.description}")
    elif args.cmd == "build":
        for name in everything if "all" in args.names else args.names:
            build(name)
    elif args.cmd == "checksum":
        sums = read_checksums(CHECKSUMS)
        for f in args.files:
            path = ASSETS / Path(f).name
            sums[path.name] = sha256(path)
            print(f"{sums[path.name]}  {path.name}")
        write_checksums(CHECKSUMS, sums)
    else:
        sums = read_checksums(CHECKSUMS)
        for fname, digest in sorted(sums.items()):
            if not (ASSETS / fname).is_file() or sha256(ASSETS / fname) != digest:
                raise SystemExit(f"{fname}: missing or does not match its checksum")
            print(f"{fname}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
