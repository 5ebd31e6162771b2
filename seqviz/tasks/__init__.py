"""Synthetic tasks written in code: seeded, deterministic, one file a task.

Every task has the same surface: vocab(), num_classes, class_names, output ("tag": a class per
step, "last": one per text), sample(rng), dataset(n, seed), tensors(texts, vocab),
batches(seed, batch_size, vocab) and check_text(text, vocab) for what a learner types.
"""

from seqviz.tasks.brackets import BracketTask
from seqviz.tasks.future import FutureTask
from seqviz.tasks.recall import RecallTask
from seqviz.tasks.translation import TranslationTask
from seqviz.tasks.sentiment import SentimentTask

TASKS = {t.name: t for t in (BracketTask, RecallTask, FutureTask, TranslationTask, SentimentTask)}

__all__ = ["BracketTask", "FutureTask", "RecallTask", "TranslationTask", "TASKS"]
