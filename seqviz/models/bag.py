"""Bag of embeddings: average the word vectors of a text, then one linear layer.

    e_t = E[x_t]                          the vector of word t, a row of E (V, D)
    m   = (1/T) Σ_t e_t                   the mean over the T real words (padding excluded)
    z   = W m + b                         logits (C,); p = softmax(z)

Because W is linear, z = (1/T) Σ_t (W e_t) + b: each word adds its own fixed vote W e_t / T,
wherever it stands. Order is invisible ("not good" and "good not" give the same m), and no word can
flip another's vote: the lesson of the sentiment page. `trace` returns those votes.

The vectors E start random or from word vectors (`init_from_vectors`, e.g. the embeddings lab's
skip-gram) and are either trained with the rest (fine-tuned) or frozen (`BagConfig.freeze`).

    model = BagOfEmbeddings(BagConfig(vocab_size=80, num_classes=2))
    logits, loss = model(x, y)                               # x (B, T) ids, 0 = <pad>
    tr = model.trace(ids, tokens, ["negative", "positive"])  # BagTrace
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from seqviz.vocab import PAD_ID  # noqa: E402


@dataclass(frozen=True)
class BagConfig:
    vocab_size: int  # V: rows of the embedding table E
    num_classes: int  # C: outputs of the linear layer
    embed_dim: int = field(default=16, metadata={"max": 1024})  # D: numbers per word vector
    freeze: bool = False  # True: E stays as initialised (random or pretrained); only W and b learn

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class BagTrace:
    """What the bag model computed on one text (shapes without batch)."""

    tokens: list[str]  # (T,)
    vectors: np.ndarray  # (T, D)   e_t
    mean: np.ndarray  # (D,)        m
    votes: np.ndarray  # (T, C)     W e_t / T: each word's share of the logits
    bias: np.ndarray  # (C,)        b
    logits: np.ndarray  # (C,)      z = Σ_t votes_t + b
    probs: np.ndarray  # (C,)       softmax(z)
    step_probs: np.ndarray  # (T, C)  softmax(W m_{1..t} + b): the answer if the text ended after word t
    class_names: list[str]  # (C,)

    @property
    def predictions(self) -> list[str]:
        return [self.class_names[int(self.probs.argmax())]]


class BagOfEmbeddings(nn.Module):
    architecture = "bag"

    def __init__(self, cfg: BagConfig):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(cfg.vocab_size, cfg.embed_dim, padding_idx=PAD_ID)  # E (V, D)
        self.head = nn.Linear(cfg.embed_dim, cfg.num_classes)  # W (C, D), b (C,)
        self.embedding.weight.requires_grad_(not cfg.freeze)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Token ids x (B, T) -> word vectors e_t (B, T, D)."""
        return self.embedding(x)

    def classify(self, e: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Word vectors e (B, T, D) of ids x (B, T) -> logits (B, C). Shared by forward, trace and attribution."""
        real = (x != PAD_ID).unsqueeze(-1).float()  # (B, T, 1)
        m = (e * real).sum(1) / real.sum(1).clamp(min=1)  # (B, D)  m = (1/T) Σ_t e_t
        return self.head(m)  # (B, C)  z = W m + b

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """x (B, T) token ids; targets (B,) classes."""
        logits = self.classify(self.embed(x), x)
        loss = None if targets is None else F.cross_entropy(logits, targets)
        return logits, loss

    @torch.no_grad()
    def trace(self, ids: list[int], tokens: list[str], class_names: list[str]) -> BagTrace:
        x = torch.tensor([ids], dtype=torch.long)  # (1, T)
        e = self.embed(x)  # (1, T, D)
        logits = self.classify(e, x)[0]  # (C,)
        T = len(ids)
        W, b = self.head.weight, self.head.bias
        votes = e[0] @ W.T / T  # (T, C)   W e_t / T
        prefix = e[0].cumsum(0) / torch.arange(1, T + 1).unsqueeze(1)  # (T, D)  m after t words
        step_probs = torch.softmax(self.head(prefix), -1)  # (T, C)
        return BagTrace(tokens=list(tokens), vectors=e[0].numpy().copy(), mean=e[0].mean(0).numpy(),
                        votes=votes.numpy(), bias=b.numpy().copy(), logits=logits.numpy().copy(),
                        probs=torch.softmax(logits, -1).numpy(), step_probs=step_probs.numpy(),
                        class_names=list(class_names))


BagOfEmbeddings.config_class = BagConfig


def init_from_vectors(model: BagOfEmbeddings, idx_to_token, words, vectors: np.ndarray) -> list[str]:
    """Copy the row of every vocabulary word found in (words, vectors (N, D)) into E; returns the words
    not found (they keep their random rows). D must equal the model's embed_dim."""
    if vectors.shape[1] != model.cfg.embed_dim:
        raise ValueError(f"the vectors have {vectors.shape[1]} numbers a word; the model needs {model.cfg.embed_dim}")
    row = {w: i for i, w in enumerate(words)}
    missing = []
    with torch.no_grad():
        for idx, tok in enumerate(idx_to_token):
            if idx == PAD_ID or tok.startswith("<"):
                continue
            if tok in row:
                model.embedding.weight[idx] = torch.as_tensor(np.asarray(vectors[row[tok]], dtype=np.float32))
            else:
                missing.append(tok)
    return missing
