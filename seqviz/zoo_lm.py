"""The language-model topic's shipped checkpoint: a tiny GPT (seqviz.models.transformer.TransformerLM)
trained on the generated stories of seqviz.tasks.lmtext, with the bigram baseline it must beat.

    python -m seqviz.zoo build lm-gpt      # 2,500 steps: ~2 minutes of CPU on one thread (16 min on a loaded machine)

The JSON records the recipe, the seed, the parameter count, the training time and, on the held-out
stories, the validation perplexity of the model and of the add-k bigram fitted on the same training
text, scored on exactly the same predictions (non-overlapping windows of block_size characters). The
same numbers on the first `subset_chars` validation characters are recorded too: a fast test
recomputes them from the shipped file.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from seqviz import zoo
from seqviz.checkpoints import Checkpoint, CheckpointError, load_checkpoint, read_checksums, save_checkpoint, sha256, write_checksums
from seqviz.models.bigram import DEFAULT_K, BigramLM
from seqviz.models.transformer import TransformerLM, TransformerLMConfig, parameter_count
from seqviz.tasks.lmtext import ALPHABET, SEED, STORIES, LMCorpus, windows
from seqviz.training import TrainingRun

NAME = "lm-gpt"
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


RECIPE = LMRecipe(
    name=NAME,
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


def build(directory: Path = zoo.ASSETS, log=print, recipe: LMRecipe = RECIPE) -> dict:
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
    sums = read_checksums(directory / zoo.CHECKSUMS.name)
    sums.update({p.name: sha256(p) for p in paths})
    write_checksums(directory / zoo.CHECKSUMS.name, sums)
    log(f"{recipe.name}: {wall:.0f} s ({cpu:.0f} s CPU), {size / 1024:.0f} KiB; validation perplexity "
        f"model {metrics['model_perplexity']:.3f}, bigram {metrics['bigram_perplexity']:.3f}")
    return metrics


def load(name: str = NAME, directory: Path = zoo.ASSETS) -> Checkpoint:
    """The shipped checkpoint, checksum-verified and validated, its vocabulary checked against the corpus."""
    if name != NAME:
        raise CheckpointError(f"There is no shipped language model called {name!r}.")
    zoo.verify_files(name, directory)
    ckpt = load_checkpoint(directory, name)
    if not isinstance(ckpt.model, TransformerLM):
        raise CheckpointError(f"The shipped file {name} is not a language model.")
    if ckpt.vocab.idx_to_token != ALPHABET:
        raise CheckpointError(f"The vocabulary of {name} does not match the generated stories; rebuild it with "
                              f"`python -m seqviz.zoo build {name}`.")
    return ckpt


BUILDS = {NAME: zoo.TopicBuild(RECIPE.description, build)}
