"""The embeddings lab: Word2Vec (CBOW, skip-gram), GloVe, the embedding explorer and pretrained vectors.

Shipped files: the word vectors of CBOW, skip-gram and GloVe trained on the default built-in corpus, and
GloVe's on the paired setting of the same corpus (tasks.corpus: every grouped word's sentence names a second
word of its family, so grouped words co-occur),

    python -m seqviz.zoo build words-cbow words-skipgram words-glove words-glove-paired

each as two files in assets/, their checksums in SHA256SUMS:

    words-METHOD.safetensors   "vectors" (V, D) float16: the final word vectors, one row per word
                               "snapshots" (S, G, D) float16: the grouped words' vectors after each
                               recorded epoch (epoch 0 = the random start), for the training animation
                               CBOW, skip-gram: "context_vectors" (V, D) float16, W_out (the loss's u_o)
                               GloVe: "w", "w_tilde" (V, D), "b", "b_tilde" (V,) float16: the objective's
                               terms (the vectors are w + w_tilde)
    words-METHOD.json          format, version, words (V,), counts (V,) in the corpus, snapshot_words (G,),
                               snapshot_epochs (S,), recipe (corpus size and seed, the trainer's config),
                               seed, metrics (analogy accuracy with inputs excluded, 5-NN group purity, both
                               per relation / group), train_seconds, torch_version
                               words-glove-paired also: "compare", the same metrics of CBOW and skip-gram
                               (their shipped recipes) trained on the paired corpus in the same build, of its
                               GloVe recipe on the plain corpus and of the plain corpus's GloVe recipe on the
                               paired one (compare_settings; those vectors are not shipped)

The metrics are computed on the float16 vectors as shipped, so tests/test_lab_embeddings.py recomputes
them exactly. `load("words-METHOD")` (the lab's one loader, LAB.load) verifies the checksums, validates
shapes and values, and returns ShippedWords, whose .vectors is a WordVectors with the grammar's groups.

The learner's own vectors: `start_run(data, cfg)` wraps a Word2VecTrainer or GloveTrainer in EpochRun, the
run protocol of seqviz.ui.training counted in epochs (.model, .step, .history, .train(n)); .vectors()
gives the WordVectors the explorer lists.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

import numpy as np
import torch
from safetensors.numpy import load as load_safetensors
from safetensors.numpy import save as save_safetensors

from seqviz.checkpoints import CheckpointError
from seqviz.labs.base import Lab, PageSpec
from seqviz.models.glove import GloveConfig, GloveTrainer
from seqviz.models.word2vec import PRESETS, Word2VecConfig, Word2VecTrainer
from seqviz.shipped import ASSETS, Build, rebuild_hint, record_checksums, verify_files
from seqviz.tasks.corpus import DEFAULT_TOKENS, EncodedCorpus, analogy_questions, build_corpus, encode, grouped_words
from seqviz.wordvectors import WordVectors, analogy_accuracy, group_purity, group_purity_by_group

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
    paired: bool = False           # the corpus's paired setting (tasks.corpus.build_corpus(paired=True))


RECIPES = {
    "cbow": WordsRecipe("cbow", DEFAULT_TOKENS, 0, dataclasses.replace(PRESETS["cbow"], epochs=10),
                        (0, 1, 2, 3, 4, 6, 8, 10)),
    "skipgram": WordsRecipe("skipgram", DEFAULT_TOKENS, 0, dataclasses.replace(PRESETS["skipgram"], epochs=5),
                            tuple(range(0, 6))),
    "glove": WordsRecipe("glove", DEFAULT_TOKENS, 0, GloveConfig(epochs=50), (0, 2, 5, 10, 20, 35, 50)),
    # The paired corpus's counts are small (most X_ij under 100, so f(X_ij) < 0.2 with x_max = 100 and 50
    # epochs leave it half fitted): x_max = 10, as glove.c's demo uses for small corpora, and 100 epochs.
    "glove-paired": WordsRecipe("glove", DEFAULT_TOKENS, 0, GloveConfig(x_max=10.0, epochs=100),
                                (0, 5, 10, 25, 50, 100), paired=True),
}
KEYS = tuple(RECIPES)  # the shipped vectors, "words-KEY" each
SETTING_LABELS = {False: "plain corpus", True: "paired corpus"}


def file_name(key: str) -> str:
    """"cbow", "skipgram", "glove" or "glove-paired" -> the shipped files' name, "words-KEY"."""
    return f"words-{key}"


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


def train(key: str, log=print, recipe: WordsRecipe | None = None):
    """Train the recipe `key` (or `recipe`) from its seed on one thread; returns the trainer."""
    recipe = recipe or RECIPES[key]
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    data = encode(build_corpus(recipe.corpus_tokens, recipe.corpus_seed, paired=recipe.paired))
    trainer = (GloveTrainer(data, recipe.config) if recipe.method == "glove"
               else Word2VecTrainer(data, recipe.config))
    for event in trainer.train():
        if event.epoch_end:
            log(f"words-{key}: epoch {event.epoch} loss {event.loss:.4f}")
    return trainer


def compare_settings(key: str, log=print) -> dict:
    """What the shipped paired recipe `key` is compared with, trained in the same process: "cbow" and
    "skipgram" (their shipped recipes) on the same paired corpus, "glove-plain": this recipe on the plain
    corpus, and "glove-recipe": the plain corpus's GloVe recipe on the paired corpus (so the corpus and the
    settings are told apart). Returns name -> {"method", "recipe", "corpus" (the setting), "train_seconds",
    and evaluate()'s metrics}."""
    recipe = RECIPES[key]
    runs = {m: (m, dataclasses.replace(RECIPES[m], paired=recipe.paired)) for m in ("cbow", "skipgram")}
    runs["glove-plain"] = (key, dataclasses.replace(recipe, paired=not recipe.paired))
    runs["glove-recipe"] = ("glove", dataclasses.replace(RECIPES["glove"], paired=recipe.paired))
    out = {}
    for name, (recipe_key, r) in runs.items():
        tr = train(f"{key} (compare: {name})", lambda _: None, r)
        wv = tr.vectors()
        wv = WordVectors(wv.words, wv.vectors.astype(np.float16).astype(np.float32), dict(tr.data.groups), name)
        out[name] = {"method": r.method, "recipe": recipe_key, "corpus": SETTING_LABELS[r.paired],
                     "train_seconds": round(tr.seconds, 2), **evaluate(wv, tr.data.analogies)}
        log(f"{key}: compared with {LABELS[r.method]} on the {SETTING_LABELS[r.paired]}: analogies "
            f"{out[name]['analogy_accuracy']:.1%}, purity {out[name]['group_purity']:.1%}")
    return out


def build(key: str, directory: Path = ASSETS, log=print) -> dict:
    recipe = RECIPES[key]
    method = recipe.method
    trainer = train(key, log)
    data = trainer.data
    vectors = trainer.model.w_in[:-1].numpy() if method != "glove" else trainer.model.word_vectors()
    vectors16 = vectors.astype(np.float16)
    grouped = [i for i, w in enumerate(data.words) if w in data.groups]
    snaps = np.stack([trainer.snapshots[e][grouped] for e in recipe.snapshot_epochs]).astype(np.float16)
    shipped = WordVectors(data.words, vectors16.astype(np.float32), dict(data.groups), LABELS[method])
    metrics = evaluate(shipped, data.analogies)
    config = dataclasses.asdict(recipe.config)
    corpus = "the built-in corpus, paired setting" if recipe.paired else "the built-in corpus"
    meta = {
        "format": FORMAT, "version": VERSION, "name": file_name(key), "method": method, "paired": recipe.paired,
        "description": f"{LABELS[method]} vectors of {corpus} ({recipe.corpus_tokens:,} tokens, seed "
                       f"{recipe.corpus_seed}), {config['embed_size']} dimensions",
        "words": list(data.words),
        "counts": [int(c) for c in data.counts],
        "snapshot_words": [data.words[i] for i in grouped],
        "snapshot_epochs": list(recipe.snapshot_epochs),
        "recipe": {"corpus_tokens": recipe.corpus_tokens, "corpus_seed": recipe.corpus_seed,
                   **({"corpus_paired": True} if recipe.paired else {}), **config},
        "seed": config["seed"],
        "metrics": metrics,
        "loss_history": [[s, round(l, 5)] for s, l in trainer.history],
        "train_seconds": round(trainer.seconds, 2),
        "torch_version": torch.__version__,
    }
    if recipe.paired:
        meta["compare"] = compare_settings(key, log)
    directory.mkdir(parents=True, exist_ok=True)
    name = file_name(key)
    paths = [directory / f"{name}.safetensors", directory / f"{name}.json"]
    if method == "glove":
        m = trainer.model
        extra = {"w": m.w.numpy(), "w_tilde": m.w_tilde.numpy(), "b": m.b.numpy(), "b_tilde": m.b_tilde.numpy()}
    else:
        extra = {"context_vectors": trainer.model.w_out.numpy()}
    extra = {k: v.astype(np.float16) for k, v in extra.items()}
    paths[0].write_bytes(save_safetensors({"vectors": vectors16, "snapshots": snaps, **extra}))
    paths[1].write_text(json.dumps(meta, indent=1) + "\n")
    record_checksums(paths, directory)
    size = sum(p.stat().st_size for p in paths)
    log(f"{name}: {trainer.seconds:.1f} s; analogies {metrics['analogy_accuracy']:.1%}, purity "
        f"{metrics['group_purity']:.1%}; {size / 1024:.0f} KiB")
    return metrics


BUILDS = {
    file_name(k): Build(f"{LABELS[r.method]} word vectors of the built-in corpus{', paired setting' if r.paired else ''}, "
                        "with per-epoch snapshots" + (" (CBOW and skip-gram measured on it too)." if r.paired else "."),
                        lambda directory, log, k=k: build(k, directory, log))
    for k, r in RECIPES.items()
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

    @property
    def counts(self) -> np.ndarray:
        """(V,) int64: each word's count in the corpus the vectors were trained on."""
        return np.asarray(self.meta["counts"], dtype=np.int64)


def load(name: str, directory: Path = ASSETS) -> ShippedWords:
    """The shipped vectors "words-KEY", checksum-verified and validated; CheckpointError (one sentence)."""
    key = name.removeprefix("words-")
    if key not in RECIPES or name != file_name(key):
        raise CheckpointError(f"There are no shipped vectors called {name!r}.")
    method = RECIPES[key].method
    for fname, cap in ((f"{name}.safetensors", MAX_WEIGHTS_BYTES), (f"{name}.json", MAX_JSON_BYTES)):
        path = directory / fname
        if not path.is_file():
            raise CheckpointError(f"The shipped file {fname} is missing; {rebuild_hint(name)}.")
        if path.stat().st_size > cap:
            raise CheckpointError(f"The shipped file {fname} is larger than {cap // 1024} KiB, so it is not one.")
    verify_files(name, directory)
    try:
        meta = json.loads((directory / f"{name}.json").read_text(encoding="utf-8"))
        tensors = load_safetensors((directory / f"{name}.safetensors").read_bytes())
    except Exception:  # checksummed files that still fail to parse: say so in one sentence
        raise CheckpointError(f"The shipped files of {name} cannot be read; {rebuild_hint(name)}.") from None
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
    """The shipped final vectors of "cbow", "skipgram", "glove" or "glove-paired" as WordVectors, groups filled in
    (the sentiment lab starts its bag of embeddings from them)."""
    return load(file_name(method), directory).vectors


def trace(shipped: ShippedWords, words: tuple[str, ...], method: str = "pca", dims: int = 2):
    """The lab's main view of shipped vectors: the projection (seqviz.projection.Projection) of `words`."""
    from seqviz import projection

    return projection.project(shipped.vectors.vectors[[shipped.vectors.index(w) for w in words]], method, dims)


def negative_example(shipped: ShippedWords, centre: str, context: str, k: int, seed: int):
    """One skip-gram example of shipped Word2Vec vectors with k negatives (models.word2vec's lesson trace)."""
    from seqviz.models.word2vec import negative_sampling_example

    wv = shipped.vectors
    return negative_sampling_example(wv.words, wv.vectors, shipped.parts["context_vectors"], shipped.counts,
                                     centre, context, k, seed)


# -- the learner's own vectors: a trainer seen through the run protocol, counted in epochs -----------------
class EpochPoint(NamedTuple):
    step: float  # epochs done: whole at an epoch's end, a fraction (2 decimals) within one
    loss: float  # mean loss per example (J per entry for GloVe) since the previous point


class EpochRun:
    """A Word2VecTrainer or GloveTrainer with the run protocol of seqviz.ui.training (unit "epochs"):
    .model, .step (epochs done), .history (EpochPoint), .train(n) yielding EpochPoints; .vectors() gives
    the trained WordVectors. The trainer keeps its own SGD-step history and snapshots (one per epoch)."""

    def __init__(self, trainer: Word2VecTrainer | GloveTrainer):
        self.trainer = trainer
        self.history: list[EpochPoint] = []

    @property
    def model(self) -> torch.nn.Module:
        return self.trainer.model

    @property
    def step(self) -> int:
        return self.trainer.epochs_done

    @property
    def diverged(self) -> bool:
        return getattr(self.trainer, "diverged", False)

    def train(self, n: int):
        first = self.trainer.epochs_done
        for event in self.trainer.train(n):
            at = self.trainer.epochs_done if event.epoch_end else round(first + event.progress * n, 2)
            point = EpochPoint(at, event.loss)
            if math.isfinite(event.loss):
                self.history.append(point)
            yield point

    def vectors(self) -> WordVectors:
        return self.trainer.vectors()


def own_config(method: str, embed_size: int, x_max: float | None = None, alpha: float | None = None):
    """The config a learner's run starts from: the preset of "skipgram" or "cbow", or the shipped GloVe
    recipe with the lesson's x_max and alpha; `embed_size` numbers a word vector."""
    if method == "glove":
        cfg = RECIPES["glove"].config
        return dataclasses.replace(cfg, embed_size=int(embed_size), x_max=float(x_max or cfg.x_max),
                                   alpha=float(alpha or cfg.alpha))
    return dataclasses.replace(PRESETS[method], embed_size=int(embed_size))


def start_run(data: EncodedCorpus, cfg: Word2VecConfig | GloveConfig) -> EpochRun:
    """A new learner's run: Word2Vec for a Word2VecConfig, GloVe for a GloveConfig."""
    return EpochRun(GloveTrainer(data, cfg) if isinstance(cfg, GloveConfig) else Word2VecTrainer(data, cfg))


# -- the words' map across training (the Word2Vec and GloVe lessons) ------------------------------------------
@dataclass(frozen=True)
class TrainingMap:
    """The same words after each recorded epoch, on one pair of axes (wordvectors.snapshot_projection)."""

    key: str                          # names the run and its number of snapshots (a cache key)
    words: tuple[str, ...]            # (G,)
    groups: tuple[str, ...]           # (G,) each word's group ("words" when it has none)
    epochs: tuple[int, ...]           # (S,)
    snapshots: list                   # S arrays (G, D)
    points: list                      # S arrays (G, 2)
    limit: float                      # half the width of both axes, the same for every epoch
    final: WordVectors                # the vectors after the last epoch
    analogies: tuple                  # the built-in questions among `words` (none for the learner's text)

    def frame(self, epoch: int) -> np.ndarray:
        return self.points[self.epochs.index(epoch)]


def _map(key, words, snapshots, epochs, final: WordVectors) -> TrainingMap:
    from seqviz.wordvectors import snapshot_projection

    points = snapshot_projection(snapshots)
    groups = tuple((final.groups or {}).get(w, "words") for w in words)
    qs = tuple(q for q in analogy_questions() if all(w in words for w in q)) if final.groups else ()
    return TrainingMap(f"{key}-{len(snapshots)}", tuple(words), groups, tuple(epochs), list(snapshots), points,
                       1.05 * max(float(np.abs(p).max()) for p in points), final, qs)


def shipped_map(shipped: ShippedWords, key: str) -> TrainingMap:
    return _map(f"shipped-{key}", shipped.snapshot_words, list(shipped.snapshots), shipped.snapshot_epochs,
                shipped.vectors)


def run_map(run: EpochRun, key: str) -> TrainingMap:
    """A learner's run: its grouped words; in a text without groups the 150 most frequent after the 20 commonest."""
    tr = run.trainer
    n = len(tr.data.words)
    rows = [i for i, w in enumerate(tr.data.words) if w in tr.data.groups] or list(range(20, min(170, n))) \
        or list(range(n))
    return _map(f"mine-{key}-{tr.step}", [tr.data.words[i] for i in rows], [s[rows] for s in tr.snapshots],
                range(len(tr.snapshots)), run.vectors())


@dataclass(frozen=True)
class FileSummary:
    """What the pretrained-vectors page says about a set of vectors (the lesson's two questions' answers)."""

    norms: np.ndarray      # (N,) ||e_w|| in file order
    head_words: int        # how many first words the size question writes
    text_bytes: int        # those words as word2vec text
    binary_bytes: int      # ... and as word2vec binary
    first_mean: float      # mean length of the first tenth of the words (the frequent ones)
    last_mean: float       # ... of the last tenth (the rare ones)

    @property
    def bigger(self) -> str:
        if self.text_bytes > 1.1 * self.binary_bytes:
            return "The text file"
        return "The binary file" if self.binary_bytes > 1.1 * self.text_bytes else "About the same"

    @property
    def longer(self) -> str:
        if abs(self.first_mean - self.last_mean) <= 0.05 * max(self.first_mean, self.last_mean):
            return "About the same"
        return "The first words (frequent)" if self.first_mean > self.last_mean else "The last words (rare)"


def summarise(wv: WordVectors, head: int = 200) -> FileSummary:
    from seqviz.vectorfiles import write_vectors

    norms = np.linalg.norm(wv.vectors, axis=1)
    n = min(len(wv.words), head)
    small = WordVectors(wv.words[:n], wv.vectors[:n], None, "first rows")
    tenth = max(1, len(norms) // 10)
    return FileSummary(norms, n, len(write_vectors(small, "word2vec-text")), len(write_vectors(small, "word2vec-bin")),
                       float(norms[:tenth].mean()), float(norms[-tenth:].mean()))


def analogy_zero_share(G: np.ndarray) -> float:
    """Share of the off-diagonal pairs of a co-occurrence block (n, n) that never co-occur (X_ij = 0)."""
    off = ~np.eye(len(G), dtype=bool)
    return float((G[off] == 0).mean())


def zero_share_within_families(G: np.ndarray, words) -> float:
    """Share of the off-diagonal pairs of a co-occurrence block (n, n) of grouped `words` from ONE family
    (tasks.corpus.FAMILIES) that never co-occur (X_ij = 0)."""
    from seqviz.tasks.corpus import FAMILIES

    family = {w: fam.name for fam in FAMILIES for ws in fam.words.values() for w in ws}
    same = np.array([[family.get(a) == family.get(b) and a != b for b in words] for a in words], dtype=bool)
    return float((G[same] == 0).mean()) if same.any() else 0.0


LAB = Lab(
    name="embeddings",
    title="Word embeddings",
    pages=(
        PageSpec("pages/embeddings_word2vec.py", "Word2Vec", ":material/scatter_plot:", "word2vec",
                 "The sliding window, CBOW and skip-gram examples, negative samples and the loss; train live and watch words move."),
        PageSpec("pages/embeddings_glove.py", "GloVe", ":material/grid_on:", "glove",
                 "The co-occurrence matrix, the weighting function and the objective with real numbers; train live; why analogies fall short on the plain corpus and work on the paired one."),
        PageSpec("pages/embeddings_explorer.py", "Embedding explorer", ":material/explore:", "explorer",
                 "Word vectors as maps (PCA, t-SNE), nearest neighbours, analogies and similarities; CBOW, skip-gram and GloVe side by side."),
        PageSpec("pages/embeddings_pretrained.py", "Pretrained vectors", ":material/upload_file:", "vectors",
                 "Load word vectors you bring (GloVe, word2vec text or binary, fastText .vec), see what was read, explore them."),
    ),
    builds=MappingProxyType(BUILDS),
    load=load,
    trace=trace,
)
