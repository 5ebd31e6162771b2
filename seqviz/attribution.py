"""Which words pushed the answer? Token attribution by gradient x input and integrated gradients.

Both explain one number, the score of a class c (for two classes, the log-odds):

    F(u) = z_c(u) - log Σ_{k≠c} exp z_k(u)        (= z_pos - z_neg when C = 2)

where u = (u_1 ... u_T) are the model's input vectors: the word vectors e_t of the bag model, the
one-hot vectors x_t of a recurrent net. A word's attribution sums over its D input numbers:

    gradient x input       a_t = Σ_d u_td · ∂F/∂u_td (u)
    integrated gradients   a_t = Σ_d u_td · (1/m) Σ_{k=1..m} ∂F/∂u_td (α_k u),   α_k = (k - 1/2) / m

Integrated gradients walks from the baseline u' = 0 (no input at all) to u and adds up the
gradient on the way, so its attributions add up to the change they explain (completeness):
Σ_t a_t ≈ F(u) - F(0), exactly as m grows. For the bag model F is linear in u, and both methods
give exactly each word's vote (W_pos - W_neg) e_t / T.

Gradients are taken with torch.autograd.grad with respect to the inputs only: no parameter's .grad
is written, so a cached, shared model can be explained safely.

    att = integrated_gradients(model, ids, tokens, target=1)   # Attribution
    att.values                                                 # (T,) one number per word
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Attribution:
    tokens: list[str]  # (T,)
    values: np.ndarray  # (T,)   a_t
    method: str  # "gradient x input" or "integrated gradients"
    target: int  # the class c whose score F is explained
    score: float  # F(u)
    baseline_score: float  # F(0)
    steps: int  # m (1 for gradient x input)

    @property
    def gap(self) -> float:
        """Completeness error: Σ_t a_t - (F(u) - F(0)); near 0 for integrated gradients."""
        return float(self.values.sum() - (self.score - self.baseline_score))


def input_vectors(model, x: torch.Tensor) -> torch.Tensor:
    """The inputs u (B, T, D) a model reads for ids x (B, T): word vectors, or one-hot vectors."""
    if hasattr(model, "embed"):
        return model.embed(x)
    return F.one_hot(x, model.cfg.vocab_size).float()  # (B, T, V)


def logits_from_inputs(model, u: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Logits (B, C) from inputs u (B, T, D): the same code the model's forward runs."""
    if hasattr(model, "classify"):
        return model.classify(u, x)
    return model.read_out(model.hidden_states(x, u), x)


def class_score(logits: torch.Tensor, target: int) -> torch.Tensor:
    """F = z_c - log Σ_{k≠c} exp z_k, per row of logits (B, C)."""
    others = torch.cat([logits[:, :target], logits[:, target + 1:]], dim=1)  # (B, C-1)
    return logits[:, target] - torch.logsumexp(others, dim=1)


def _grad(model, u: torch.Tensor, x: torch.Tensor, target: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(F per row (B,), ∂F/∂u (B, T, D)) without touching any parameter's .grad."""
    with torch.enable_grad():
        u = u.detach().requires_grad_(True)
        score = class_score(logits_from_inputs(model, u, x), target)  # (B,)
        (g,) = torch.autograd.grad(score.sum(), u)
    return score.detach(), g


def _baseline_score(model, u, x, target) -> float:
    with torch.no_grad():
        return float(class_score(logits_from_inputs(model, torch.zeros_like(u), x), target)[0])


def gradient_x_input(model, ids: list[int], tokens: list[str], target: int = 1) -> Attribution:
    x = torch.tensor([ids], dtype=torch.long)  # (1, T)
    u = input_vectors(model, x).detach()  # (1, T, D)
    score, g = _grad(model, u, x, target)
    values = (u * g).sum(-1)[0]  # (T,)  a_t = Σ_d u_td ∂F/∂u_td
    return Attribution(list(tokens), values.numpy(), "gradient x input", target, float(score[0]),
                       _baseline_score(model, u, x, target), 1)


def integrated_gradients(model, ids: list[int], tokens: list[str], target: int = 1, steps: int = 64) -> Attribution:
    x = torch.tensor([ids], dtype=torch.long)  # (1, T)
    u = input_vectors(model, x).detach()  # (1, T, D)
    alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps  # (m,)  midpoints α_k
    path = alphas[:, None, None] * u  # (m, T, D)  α_k u, every step of the path in one batch
    _, g = _grad(model, path, x.expand(steps, -1), target)  # (m, T, D)
    values = (u[0] * g.mean(0)).sum(-1)  # (T,)  a_t = Σ_d u_td · mean_k ∂F/∂u_td(α_k u)
    with torch.no_grad():
        score = float(class_score(logits_from_inputs(model, u, x), target)[0])
    return Attribution(list(tokens), values.numpy(), "integrated gradients", target, score,
                       _baseline_score(model, u, x, target), steps)


METHODS = {"integrated gradients": integrated_gradients, "gradient x input": gradient_x_input}


def attribute(model, ids: list[int], tokens: list[str], method: str = "integrated gradients", target: int = 1) -> Attribution:
    return METHODS[method](model, ids, tokens, target)
