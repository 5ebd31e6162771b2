"""The shipped word vectors: CBOW, skip-gram and GloVe trained on the default built-in corpus.

    python -m seqviz.zoo build words-cbow words-skipgram words-glove

Each build writes two files into assets/ and records their checksums in SHA256SUMS:

    words-METHOD.safetensors   "vectors" (V, D) float16: the final word vectors, one row per word
                               "snapshots" (S, G, D) float16: the grouped words' vectors after each
                               recorded epoch (epoch 0 = the random start), for the training animation
                               CBOW, skip-gram: "context_vectors" (V, D) float16, W_out (the loss's u_o)
                               GloVe: "w", "w_tilde" (V, D), "b", "b_tilde" (V,) float16: the objective's
                               terms (the vectors are w + w_tilde)
    words-METHOD.json          format, version, words (V,), counts (V,) in the corpus, snapshot_words (G,),
                               snapshot_epochs (S,),
                               recipe (corpus size and seed, the trainer's config), seed, metrics
                               (analogy accuracy with inputs excluded, 5-NN group purity, both per
                               relation / group), train_seconds, torch_version

The metrics are computed on the float16 vectors as shipped, so tests/test_zoo_words.py recomputes
them exactly. `shipped_vectors(method)` verifies the checksums, validates shapes and values, and
returns a WordVectors with the grammar's groups filled in.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from seqviz.checkpoints import CheckpointError, read_checksums, sha256, write_checksums
from seqviz.models.glove import GloveConfig, GloveTrainer
from seqviz.models.word2vec import PRESETS, Word2VecTrainer
from seqviz.tasks.corpus import DEFAULT_TOKENS, analogy_questions, build_corpus, encode, grouped_words
from seqviz.wordvectors import WordVectors, analogy_accuracy, group_purity, group_purity_by_group
from seqviz.zoo import ASSETS, CHECKSUMS, TopicBuild

FORMAT, VERSION = "seqviz-word-vectors", 1
METHODS = ("cbow", "skipgram", "glove")
LABELS = {"cbow": "CBOW", "skipgram": "skip-gram", "glove": "GloVe"}
MAX_JSON_BYTES = 256 * 2**10
MAX_WEIGHTS_BYTES = 512 * 2**10


@dataclass(frozen=True)
class WordsRecipe:
    method: str
    corpus_tokens: int
    corpus_seed: int
    config: object                 # Word2VecConfig or GloveConfig
    snapshot_epochs: tuple[int, ...]  # epochs whose vectors are kept for the animation (0 = start)


RECIPES = {
    "cbow": WordsRecipe("cbow", DEFAULT_TOKENS, 0, dataclasses.replace(PRESETS["cbow"], epochs=10),
                        (0, 1, 2, 3, 4, 6, 8, 10)),
    "skipgram": WordsRecipe("skipgram", DEFAULT_TOKENS, 0, dataclasses.replace(PRESETS["skipgram"], epochs=5),
                            tuple(range(0, 6))),
    "glove": WordsRecipe("glove", DEFAULT_TOKENS, 0, GloveConfig(epochs=50), (0, 2, 5, 10, 20, 35, 50)),
}


def file_name(method: str) -> str:
    return f"words-{method}"


def evaluate(wv: WordVectors, analogies) -> dict:
    """Analogy accuracy (inputs excluded) overall and per relation; 5-NN purity overall and per group."""
    relations = analogy_questions()
    by_relation: dict[str, list] = {}
    for q in analogies:
        by_relation.setdefault(relations.get(q, "other"), []).append(q)
    return {
        "analogy_accuracy": round(analogy_accuracy(wv, analogies), 4),
        "group_purity": round(group_purity(wv), 4),
        "analogy_by_relation": {r: round(analogy_accuracy(wv, qs), 4) for r, qs in sorted(by_relation.items())},
        "purity_by_group": {g: round(p, 4) for g, p in group_purity_by_group(wv).items()},
        "analogy_questions": len(analogies),
    }


def train(method: str, log=print):
    """Train the recipe of `method` from its seed on one thread; returns the trainer."""
    recipe = RECIPES[method]
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    data = encode(build_corpus(recipe.corpus_tokens, recipe.corpus_seed))
    trainer = (GloveTrainer(data, recipe.config) if method == "glove"
               else Word2VecTrainer(data, recipe.config))
    for event in trainer.train():
        if event.epoch_end:
            log(f"words-{method}: epoch {event.epoch} loss {event.loss:.4f}")
    return trainer


def build(method: str, directory: Path = ASSETS, log=print) -> dict:
    recipe = RECIPES[method]
    trainer = train(method, log)
    data = trainer.data
    vectors = trainer.model.w_in[:-1].numpy() if method != "glove" else trainer.model.word_vectors()
    vectors16 = vectors.astype(np.float16)
    grouped = [i for i, w in enumerate(data.words) if w in data.groups]
    snaps = np.stack([trainer.snapshots[e][grouped] for e in recipe.snapshot_epochs]).astype(np.float16)
    shipped = WordVectors(data.words, vectors16.astype(np.float32), dict(data.groups), LABELS[method])
    metrics = evaluate(shipped, data.analogies)
    config = dataclasses.asdict(recipe.config)
    meta = {
        "format": FORMAT, "version": VERSION, "name": file_name(method), "method": method,
        "description": f"{LABELS[method]} vectors of the built-in corpus ({recipe.corpus_tokens:,} tokens, seed "
                       f"{recipe.corpus_seed}), {config['dim']} dimensions",
        "words": list(data.words),
        "counts": [int(c) for c in data.counts],
        "snapshot_words": [data.words[i] for i in grouped],
        "snapshot_epochs": list(recipe.snapshot_epochs),
        "recipe": {"corpus_tokens": recipe.corpus_tokens, "corpus_seed": recipe.corpus_seed, **config},
        "seed": config["seed"],
        "metrics": metrics,
        "loss_history": [[s, round(l, 5)] for s, l in trainer.history],
        "train_seconds": round(trainer.seconds, 2),
        "torch_version": torch.__version__,
    }
    directory.mkdir(parents=True, exist_ok=True)
    name = file_name(method)
    paths = [directory / f"{name}.safetensors", directory / f"{name}.json"]
    if method == "glove":
        m = trainer.model
        extra = {"w": m.w.numpy(), "w_tilde": m.w_tilde.numpy(), "b": m.b.numpy(), "b_tilde": m.b_tilde.numpy()}
    else:
        extra = {"context_vectors": trainer.model.w_out.numpy()}
    extra = {k: v.astype(np.float16) for k, v in extra.items()}
    paths[0].write_bytes(save_safetensors({"vectors": vectors16, "snapshots": snaps, **extra}))
    paths[1].write_text(json.dumps(meta, indent=1) + "\n")
    sums = read_checksums(directory / CHECKSUMS.name)
    sums.update({p.name: sha256(p) for p in paths})
    write_checksums(directory / CHECKSUMS.name, sums)
    size = sum(p.stat().st_size for p in paths)
    log(f"{name}: {trainer.seconds:.1f} s; analogies {metrics['analogy_accuracy']:.1%}, purity "
        f"{metrics['group_purity']:.1%}; {size / 1024:.0f} KiB")
    return metrics


BUILDS = {
    file_name(m): TopicBuild(f"{LABELS[m]} word vectors of the built-in corpus, with per-epoch snapshots.",
                             lambda directory, log, m=m: build(m, directory, log))
    for m in METHODS
}


# -- reading ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShippedWords:
    vectors: WordVectors
    snapshots: np.ndarray            # (S, G, D) float32
    snapshot_words: tuple[str, ...]  # (G,)
    snapshot_epochs: tuple[int, ...]  # (S,)
    meta: dict
    parts: dict[str, np.ndarray]      # float32: "context_vectors" (V, D), or GloVe's "w", "w_tilde", "b", "b_tilde"


def load_shipped(method: str, directory: Path = ASSETS) -> ShippedWords:
    """The shipped vectors of `method`, checksum-verified and validated; CheckpointError (one sentence)."""
    if method not in METHODS:
        raise CheckpointError(f"There are no shipped vectors called {method!r}.")
    name = file_name(method)
    rebuild = f"rebuild them with `python -m seqviz.zoo build {name}`"
    sums = read_checksums(directory / CHECKSUMS.name)
    for fname, cap in ((f"{name}.safetensors", MAX_WEIGHTS_BYTES), (f"{name}.json", MAX_JSON_BYTES)):
        path = directory / fname
        if not path.is_file():
            raise CheckpointError(f"The shipped file {fname} is missing; {rebuild}.")
        if fname not in sums:
            raise CheckpointError(f"The shipped file {fname} has no recorded checksum; {rebuild}.")
        if path.stat().st_size > cap:
            raise CheckpointError(f"The shipped file {fname} is larger than {cap // 1024} KiB, so it is not one.")
        if sha256(path) != sums[fname]:
            raise CheckpointError(f"The shipped file {fname} does not match its checksum; {rebuild}.")
    try:
        meta = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        tensors = load_safetensors((directory / f"{name}.safetensors").read_bytes())
    except Exception:  # checksummed files that still fail to parse: say so in one sentence
        raise CheckpointError(f"The shipped files of {name} cannot be read; {rebuild}.") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise CheckpointError(f"{name}.json is not a version {VERSION} word-vector file.")
    words, snap_words = meta.get("words"), meta.get("snapshot_words")
    vectors, snaps = tensors.get("vectors"), tensors.get("snapshots")
    if (not isinstance(words, list) or not all(isinstance(w, str) for w in words) or vectors is None
            or vectors.ndim != 2 or vectors.shape[0] != len(words) or len(set(words)) != len(words)):
        raise CheckpointError(f"{name}: the vectors do not match the word list.")
    counts = meta.get("counts")
    if (not isinstance(counts, list) or len(counts) != len(words)
            or not all(type(c) is int and c > 0 for c in counts)):
        raise CheckpointError(f"{name}: the word counts do not match the word list.")
    if (snaps is None or snaps.ndim != 3 or not isinstance(snap_words, list) or snaps.shape[1] != len(snap_words)
            or snaps.shape[2] != vectors.shape[1] or snaps.shape[0] != len(meta.get("snapshot_epochs", []))):
        raise CheckpointError(f"{name}: the snapshots do not match their words and epochs.")
    expected = {"context_vectors": 2} if method != "glove" else {"w": 2, "w_tilde": 2, "b": 1, "b_tilde": 1}
    parts = {k: tensors.get(k) for k in expected}
    if any(v is None or v.ndim != nd or v.shape[0] != len(words) or (nd == 2 and v.shape[1] != vectors.shape[1])
           for (k, nd), v in zip(expected.items(), parts.values())):
        raise CheckpointError(f"{name}: the model's parts do not match the word list.")
    if not (np.isfinite(vectors).all() and np.isfinite(snaps).all() and all(np.isfinite(v).all() for v in parts.values())):
        raise CheckpointError(f"{name}: some vectors are not finite numbers.")
    groups = {w: g for w, g in grouped_words().items() if w in set(words)}
    wv = WordVectors(tuple(words), vectors.astype(np.float32), groups, f"{meta.get('description', name)} (shipped)")
    return ShippedWords(wv, snaps.astype(np.float32), tuple(snap_words), tuple(meta["snapshot_epochs"]), meta,
                        {k: v.astype(np.float32) for k, v in parts.items()})


def shipped_vectors(method: str, directory: Path = ASSETS) -> WordVectors:
    """The shipped final vectors of "cbow", "skipgram" or "glove" as WordVectors, groups filled in."""
    return load_shipped(method, directory).vectors
