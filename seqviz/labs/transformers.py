"""The transformers lab: an encoder-decoder transformer on the translation pair, and a tiny GPT.

Shipped (`python -m seqviz.zoo build NAME`), loaded by `LAB.load(name, directory)`, traced by `LAB.trace`:

    translation-transformer   TransformerSeq2Seq trained on exactly the task, training stream and test split of
                              `translation-attention`, so the transformer page sets the two side by side (~2-4 min)
    lm-gpt                    a tiny GPT (TransformerLM) on the generated stories of seqviz.tasks.lmtext, with the
                              bigram baseline it must beat (2,500 steps: ~2 minutes of CPU on one thread)

translation-transformer's JSON records the recipe, the seed, the parameter count, the training wall time
and the metrics of `evaluate_transformer_translation` (exact match overall and by source length, token
accuracy, loss) on the whole test split and on its first `subset_size` sentences, which a fast test recomputes.

lm-gpt's JSON records the recipe, the seed, the parameter count, the training time and, on the held-out
stories, the validation perplexity of the model and of the add-k bigram fitted on the same training text,
scored on exactly the same predictions (non-overlapping windows of block_size characters); the same numbers
on the first `subset_chars` validation characters too, which a fast test recomputes.

The GPT page's learner model: `gpt_run(corpus)` starts it with the shipped recipe's shape, `gpt_checks(...)`
scores it after each chunk (validation loss and perplexity beside the bigram's, a sample).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

import torch

from seqviz.checkpoints import Checkpoint, CheckpointError, save_checkpoint
from seqviz.labs.base import Lab, PageSpec
from seqviz.models import parameter_count
from seqviz.models.bigram import DEFAULT_K, BigramLM
from seqviz.models.transformer import (TransformerLM, TransformerLMConfig, TransformerSeq2Seq,
                                       TransformerSeq2SeqConfig, evaluate_transformer_translation)
from seqviz.shipped import ASSETS, Build, load_verified, rebuild_hint, record_checksums, train_and_save
from seqviz.tasks import TranslationTask
from seqviz.tasks.lmtext import ALPHABET, SEED, STORIES, LMCorpus, windows
from seqviz.training import TrainingRun

TRANSLATION_NAME = "translation-transformer"
RNN_NAME = "translation-attention"  # the RNN with attention it is compared with


@dataclass(frozen=True)
class TransformerTranslationRecipe:
    name: str
    description: str
    seed: int  # seeds the initial weights; the training stream is seed + 1, as the RNN recipes
    steps: int
    lr: float
    batch_size: int
    test_seed: int  # the test split's sentences are drawn from this seed (never trained on: split by hash)
    test_size: int
    d_model: int
    n_head: int
    n_layers: int  # encoder layers = decoder layers
    d_ff: int
    positional: str  # "sinusoidal" or "learned"
    subset_size: int = 200  # the first test sentences, whose metrics a fast test recomputes
    task: TranslationTask = TranslationTask()

    def config(self) -> TransformerSeq2SeqConfig:
        return TransformerSeq2SeqConfig(len(self.task.vocab()), len(self.task.target_vocab()), self.d_model,
                                        self.n_head, self.n_layers, self.n_layers, self.d_ff, positional=self.positional)

    def build_model(self) -> TransformerSeq2Seq:
        torch.manual_seed(self.seed)
        return TransformerSeq2Seq(self.config())

    def training_batches(self, seed_offset: int = 0):
        return self.task.batches(self.seed + 1 + seed_offset, self.batch_size, self.task.vocab(), self.task.target_vocab())

    def test_pairs(self, n: int | None = None) -> list:
        return self.task.dataset(self.test_size if n is None else n, self.test_seed, split="test")

    def evaluate(self, model: TransformerSeq2Seq, n: int | None = None, ablate=()) -> dict:
        return evaluate_transformer_translation(model, self.test_pairs(n), self.task.vocab(), self.task.target_vocab(),
                                                ablate=ablate)


TRANSLATION_RECIPE = TransformerTranslationRecipe(
    name=TRANSLATION_NAME,
    description="Encoder-decoder transformer (2+2 layers, 4 heads, d_model 64, sinusoidal positions) for the toy English -> French pair.",
    seed=0, steps=3000, lr=1e-3, batch_size=64, test_seed=1234, test_size=3000,
    d_model=64, n_head=4, n_layers=2, d_ff=128, positional="sinusoidal",
)


def build_translation(directory: Path = ASSETS, log=print) -> dict:
    """Train the recipe from its seed on one thread and write the checkpoint and its checksums."""
    recipe = TRANSLATION_RECIPE

    def evaluate_model(model):
        return {**recipe.evaluate(model), "subset": recipe.evaluate(model, recipe.subset_size),
                "parameters": parameter_count(model)}

    return train_and_save(TRANSLATION_NAME, recipe, directory, log, evaluate_model, 250,
                               {"target_vocab": recipe.task.target_vocab().to_list(),
                                "parameters": parameter_count(recipe.build_model())})



GPT_NAME = "lm-gpt"
MAX_ASSET_BYTES = 2**20  # the topic's budget: 1 MB for both files


@dataclass(frozen=True)
class LMRecipe:
    name: str
    description: str
    seed: int  # seeds the initial weights; the batch stream is seed + 1
    steps: int
    lr: float  # peak learning rate (Adam), reached after `warmup` steps
    warmup: int  # linear warm-up steps
    lr_final: float  # the cosine decay ends at lr * lr_final
    batch_size: int
    block_size: int
    n_layer: int
    n_head: int
    n_embd: int
    stories: int = STORIES  # the corpus: lmtext.generate_text(stories, corpus_seed)
    corpus_seed: int = SEED
    bigram_k: float = DEFAULT_K
    subset_chars: int = 8192  # the first validation characters, whose perplexities a fast test recomputes

    def corpus(self) -> LMCorpus:
        return LMCorpus.generate(self.stories, self.corpus_seed)

    def config(self, vocab_size: int) -> TransformerLMConfig:
        return TransformerLMConfig(vocab_size, self.block_size, self.n_layer, self.n_head, self.n_embd)

    def build_model(self, vocab_size: int) -> TransformerLM:
        torch.manual_seed(self.seed)
        return TransformerLM(self.config(vocab_size))

    def lr_factor(self, step: int) -> float:
        """Multiplier of lr after `step` updates: linear warm-up, then a cosine down to lr_final."""
        warm = min(1.0, (step + 1) / self.warmup)
        return warm * (self.lr_final + (1 - self.lr_final) * 0.5 * (1 + math.cos(math.pi * min(step, self.steps) / self.steps)))


GPT_RECIPE = LMRecipe(
    name=GPT_NAME,
    description="Tiny GPT (2 layers, 4 heads, 64 wide, 64 characters of context) on generated stories; beats a bigram.",
    seed=0, steps=2500, lr=3e-3, warmup=100, lr_final=0.1, batch_size=32, block_size=64, n_layer=2, n_head=4, n_embd=64,
)


@torch.no_grad()
def perplexities(model: TransformerLM, bigram: BigramLM, ids: torch.Tensor, limit: int | None = None,
                 batch: int = 64) -> dict:
    """Validation perplexity of the model and of the bigram on the same targets: exp(mean NLL)."""
    x, y = windows(ids, model.cfg.block_size, limit)
    model.eval()
    total = 0.0
    for s in range(0, len(x), batch):
        _, loss = model(x[s: s + batch], y[s: s + batch])
        total += float(loss) * y[s: s + batch].numel()
    nll = total / y.numel()
    return {"model_perplexity": math.exp(nll), "model_nll": nll, "bigram_perplexity": bigram.perplexity(x, y),
            "bigram_nll": bigram.nll(x, y), "characters": int(y.numel())}


def build_gpt(directory: Path = ASSETS, log=print, recipe: LMRecipe = GPT_RECIPE) -> dict:
    """Train the recipe from its seed on one thread and write the checkpoint and its checksums."""
    torch.set_num_threads(1)
    corpus = recipe.corpus()
    V = len(corpus.vocab)
    model = recipe.build_model(V)
    run = TrainingRun.start(model, corpus.batches(recipe.seed + 1, recipe.batch_size, recipe.block_size), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(run.optimizer, recipe.lr_factor)
    wall, cpu = time.perf_counter(), time.process_time()
    for event in run.train(recipe.steps):
        schedule.step()
        if event.step % 100 == 0:
            log(f"{recipe.name}: step {event.step} loss {event.loss:.4f} ({time.perf_counter() - wall:.0f} s)")
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    bigram = BigramLM.fit(corpus.train_ids, V, recipe.bigram_k)
    metrics = {**perplexities(model, bigram, corpus.val_ids),
               "subset": perplexities(model, bigram, corpus.val_ids, recipe.subset_chars),
               "uniform_perplexity": float(V), "parameters": parameter_count(model),
               "final_train_loss": run.history[-1].loss}
    meta = {
        "description": recipe.description, "vocab": corpus.vocab.to_list(),
        "corpus": {"generator": "seqviz.tasks.lmtext.generate_text", "stories": recipe.stories, "seed": recipe.corpus_seed,
                   "train_characters": len(corpus.train_ids), "validation_characters": len(corpus.val_ids)},
        "recipe": {**asdict(recipe), "optimizer": "Adam", "schedule": "linear warm-up, cosine decay", "grad_clip": run.grad_clip},
        "seed": recipe.seed, "metrics": metrics,
        "train_seconds": round(wall, 1), "train_cpu_seconds": round(cpu, 1),
        "steps_per_second": round(recipe.steps / wall, 2), "torch_threads": torch.get_num_threads(),
        "torch_version": torch.__version__, "command": f"python -m seqviz.zoo build {recipe.name}",
    }
    paths = save_checkpoint(model, meta, directory, recipe.name)
    size = sum(p.stat().st_size for p in paths)
    if size > MAX_ASSET_BYTES:
        raise SystemExit(f"{recipe.name}: {size / 1024:.0f} KiB is over the topic's budget of {MAX_ASSET_BYTES // 1024} KiB")
    record_checksums(paths, directory)
    log(f"{recipe.name}: {wall:.0f} s ({cpu:.0f} s CPU), {size / 1024:.0f} KiB; validation perplexity "
        f"model {metrics['model_perplexity']:.3f}, bigram {metrics['bigram_perplexity']:.3f}")
    return metrics




def load_gpt(directory: Path = ASSETS) -> Checkpoint:
    """The shipped GPT, checksum-verified and validated, its vocabulary checked against the stories."""
    ckpt = load_verified(GPT_NAME, directory)
    if not isinstance(ckpt.model, TransformerLM):
        raise CheckpointError(f"The shipped file {GPT_NAME} is not a language model.")
    if ckpt.vocab.idx_to_token != ALPHABET:
        raise CheckpointError(f"The vocabulary of {GPT_NAME} does not match the generated stories; {rebuild_hint(GPT_NAME)}.")
    return ckpt


# -- the GPT page's learner model -------------------------------------------------------------------
CHECK_CHARS = 4096  # validation characters scored after each chunk (a few hundred ms)
SAMPLE_CHARS = 120  # characters sampled after each chunk, at SAMPLE_TEMPERATURE
SAMPLE_TEMPERATURE = 0.8


def corpus_bigram(corpus: LMCorpus) -> BigramLM:
    """The add-k bigram fitted on a corpus's training text: the baseline a GPT must beat."""
    return BigramLM.fit(corpus.train_ids, len(corpus.vocab), GPT_RECIPE.bigram_k)


@dataclass
class GPTTraining:
    """A learner's GPT in training: its TrainingRun with the text it learns from and that text's bigram, so
    the three travel together (a trainer as seqviz.ui.training expects: .model, .step, .history, .train(n))."""

    run: TrainingRun
    corpus: LMCorpus
    bigram: BigramLM

    @property
    def model(self) -> TransformerLM:
        return self.run.model

    @property
    def step(self) -> int:
        return self.run.step

    @property
    def history(self) -> list:
        return self.run.history

    def train(self, n: int):
        return self.run.train(n)

    @property
    def worker_run(self) -> TrainingRun:
        """The plain run its train(n) is: seqviz.training_worker may train it in a worker process."""
        return self.run


def gpt_run(corpus: LMCorpus, seed: int = 0) -> tuple[GPTTraining, dict]:
    """(trainer, meta) for a fresh GPT of the shipped recipe's shape on `corpus` (seeded without moving the
    server's random state); meta is what its checkpoint download writes besides architecture and config."""
    recipe = GPT_RECIPE
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = TransformerLM(recipe.config(len(corpus.vocab)))
    block = min(recipe.block_size, len(corpus.train_ids) - 1)
    run = TrainingRun.start(model, corpus.batches(seed + 1, recipe.batch_size, block), lr=recipe.lr)
    return GPTTraining(run, corpus, corpus_bigram(corpus)), {"vocab": corpus.vocab.to_list()}


@torch.no_grad()
def gpt_check(model: TransformerLM, corpus: LMCorpus, bigram: BigramLM, step: int, limit: int = CHECK_CHARS) -> dict:
    """After a chunk of training: validation loss and perplexity of the model and of the bigram on the same
    first `limit` validation characters (None when the validation text is too short), and a seeded sample."""
    from seqviz.sampling import generate

    block = min(model.cfg.block_size, len(corpus.val_ids) - 1)
    x, y = windows(corpus.val_ids, block, limit) if block >= 1 else (torch.zeros(0), torch.zeros(0))
    loss = bigram_loss = None
    if len(x):
        model.eval()
        loss, bigram_loss = float(model(x, y)[1]), bigram.nll(x, y)
    prompt = corpus.vocab.decode(corpus.val_ids[:1].tolist())
    sample = generate(model, corpus.vocab, prompt, SAMPLE_CHARS, temperature=SAMPLE_TEMPERATURE, seed=0).text
    return {"step": step, "validation loss": loss, "validation perplexity": None if loss is None else math.exp(loss),
            "bigram loss": bigram_loss, "bigram perplexity": None if bigram_loss is None else math.exp(bigram_loss),
            "sample": sample}


# -- the transformer page's pickers ------------------------------------------------------------------
KINDS = {"encoder": "encoder self-attention", "decoder": "decoder masked self-attention", "cross": "cross-attention"}


def head_names(cfg: TransformerSeq2SeqConfig) -> list[str]:
    """Every head of an encoder-decoder as "kind layer.head" (1-based), for a multiselect."""
    return [f"{k} {l + 1}.{h + 1}" for k in KINDS
            for l in range(cfg.n_encoder_layers if k == "encoder" else cfg.n_decoder_layers) for h in range(cfg.n_head)]


def parse_heads(names: list[str], cfg: TransformerSeq2SeqConfig) -> tuple[tuple[str, int, int], ...]:
    """The (kind, layer, head) triples (0-based, sorted: a plain cache key) of the names that are heads of this
    model; any other name (from a link, say) is left out."""
    known = set(head_names(cfg))
    picked = [n.split() for n in names if n in known]
    return tuple(sorted((kind, int(lh.split(".")[0]) - 1, int(lh.split(".")[1]) - 1) for kind, lh in picked))


def example_sentences(task: TranslationTask, n: int = 80) -> dict[str, str]:
    """One test sentence (never trained on: the recipes' test seed) per length bucket, the shortest bucket first."""
    from seqviz.tasks.translation import length_bucket

    examples: dict[str, str] = {}
    for p in task.dataset(n, TRANSLATION_RECIPE.test_seed, split="test"):
        examples.setdefault(length_bucket(len(p.source)), " ".join(p.source))
    return examples


# -- the lab ------------------------------------------------------------------------------------------
def load(name: str, directory: Path = ASSETS) -> Checkpoint:
    return load_gpt(directory) if name == GPT_NAME else load_verified(name, directory)


def trace(ckpt, text: str, ablate: tuple = (), target: tuple[str, ...] | None = None):
    """The trace of a transformer checkpoint on a text its task has checked, with heads `ablate` switched off
    ((kind, layer, head) for the encoder-decoder, (layer, head) for the GPT): the GPT's LMTrace on the last
    block_size characters; the encoder-decoder's TransformerTrace of a sentence (words separated by spaces),
    greedy, or teacher-forced on `target` (words, <eos> included)."""
    return model_trace(ckpt.model, ckpt.vocab, text, ablate, target, getattr(ckpt, "target_vocab", None))


def model_trace(model, vocab, text: str, ablate: tuple = (), target=None, target_vocab=None):
    """`trace` for any model of the lab, shipped or the learner's (not cached: the learner's changes)."""
    if isinstance(model, TransformerLM):
        context = list(text)[-model.cfg.block_size:]
        return model.trace(vocab.encode(context), context, frozenset(ablate))
    tokens = text.split()
    return model.trace(vocab.encode(tokens), tokens, target_vocab, target=None if target is None else list(target),
                       max_len=2 * len(tokens) + 5, ablate=frozenset(ablate))


LAB = Lab(
    name="transformers",
    title="Transformers",
    pages=(
        PageSpec("pages/transformer_translation.py", "Inside the transformer", ":material/hub:", "transformer",
                 "An encoder-decoder transformer translates the toy pair: every head, the causal mask, cross-attention beside the RNN's, head ablation."),
        PageSpec("pages/transformer_gpt.py", "A tiny GPT", ":material/edit_note:", "gpt",
                 "A decoder-only transformer predicts the next character: temperature, top-k, top-p, generation with its attention, perplexity against a bigram, training your own."),
    ),
    builds=MappingProxyType({
        TRANSLATION_NAME: Build(TRANSLATION_RECIPE.description, lambda d, log: build_translation(d, log)),
        GPT_NAME: Build(GPT_RECIPE.description, lambda d, log: build_gpt(d, log)),
    }),
    load=load,
    trace=trace,
)
