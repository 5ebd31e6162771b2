"""Synthetic tasks written in code: seeded, deterministic, one file a task."""

from seqviz.tasks.brackets import BracketTask

TASKS = {BracketTask.name: BracketTask}

__all__ = ["BracketTask", "TASKS"]
