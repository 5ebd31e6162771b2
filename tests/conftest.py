"""Shared fixtures. Torch runs on one thread here, as in the app (see shared/MEASURED.md)."""

import pytest
import torch

torch.set_num_threads(1)
torch.set_flush_denormal(True)


@pytest.fixture(scope="session")
def shipped():
    from seqviz import zoo

    return zoo.load("rnn-brackets")


@pytest.fixture(scope="session")
def task():
    from seqviz.tasks import BracketTask

    return BracketTask()
