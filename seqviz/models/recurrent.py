"""Recurrent networks, written so that every number a page shows is computed in plain sight.

The vanilla (Elman) RNN cell, in PyTorch's parameter names:

    h_t = tanh(W_xh x_t + b_xh + W_hh h_{t-1} + b_hh)        # (H,)
    y_t = W_hy h_t + b_y                                    # (C,) scores for the output classes

`rnn_cell` is that equation, one step. `RNNTagger` keeps its weights in a fused `nn.RNN` (fast to
train) and exposes them under the equation's names; its `trace` reruns the fused layer and then
recomputes every term of the equation for all steps at once in batched matmuls. The oracle tests
tie the three together: `rnn_cell` stepped by hand == `nn.RNN` == the trace's h_t.

Inputs are one-hot vectors x_t of size V, so W_xh x_t is simply the column of W_xh that belongs to
the character read at step t.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from seqviz.trace import RecurrentTrace

IGNORE = -100  # target for padded positions


def rnn_cell(x_t: torch.Tensor, h_prev: torch.Tensor, W_xh: torch.Tensor, b_xh: torch.Tensor,
             W_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """One step of the vanilla RNN. x_t (B, V), h_prev (B, H) -> h_t (B, H)."""
    # h_t = tanh(W_xh x_t + b_xh + W_hh h_{t-1} + b_hh)
    return torch.tanh(x_t @ W_xh.T + b_xh + h_prev @ W_hh.T + b_hh)


@dataclass(frozen=True)
class RNNConfig:
    vocab_size: int  # V: number of input symbols, each fed as a one-hot vector x_t
    num_classes: int  # C: output classes predicted after every step
    hidden_size: int = 16  # H: units in the hidden state h_t

    def to_dict(self) -> dict:
        return asdict(self)


class RNNTagger(nn.Module):
    """A vanilla RNN that reads one token per step and predicts a class after every step."""

    architecture = "rnn-tagger"
    config_class = RNNConfig

    def __init__(self, cfg: RNNConfig):
        super().__init__()
        self.cfg = cfg
        # weight_ih_l0 is W_xh (H, V), weight_hh_l0 is W_hh (H, H); bias_ih_l0 b_xh, bias_hh_l0 b_hh
        self.rnn = nn.RNN(cfg.vocab_size, cfg.hidden_size, nonlinearity="tanh", batch_first=True)
        self.head = nn.Linear(cfg.hidden_size, cfg.num_classes)  # W_hy (C, H), b_y (C,)

    # The equation's names for PyTorch's parameters.
    @property
    def W_xh(self) -> torch.Tensor:
        return self.rnn.weight_ih_l0

    @property
    def W_hh(self) -> torch.Tensor:
        return self.rnn.weight_hh_l0

    @property
    def b_xh(self) -> torch.Tensor:
        return self.rnn.bias_ih_l0

    @property
    def b_hh(self) -> torch.Tensor:
        return self.rnn.bias_hh_l0

    def hidden_states(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Shared by forward and trace: token ids x (B, T) -> one-hot X (B, T, V), h (B, T, H)."""
        X = F.one_hot(x, self.cfg.vocab_size).float()  # (B, T, V)
        h, _ = self.rnn(X)  # (B, T, H), starting from h_0 = 0
        return X, h

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """x (B, T) token ids, targets (B, T) class ids or IGNORE -> logits (B, T, C), loss."""
        _, h = self.hidden_states(x)
        logits = self.head(h)  # (B, T, C)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                   ignore_index=IGNORE)
        return logits, loss

    @torch.no_grad()
    def trace(self, ids: list[int], tokens: list[str], class_names: list[str]) -> RecurrentTrace:
        """Every term of h_t = tanh(W_xh x_t + b_xh + W_hh h_{t-1} + b_hh) at every step."""
        x = torch.tensor([ids], dtype=torch.long)  # (1, T)
        X, h = self.hidden_states(x)
        X, h = X[0], h[0]  # (T, V), (T, H)
        logits = self.head(h)  # (T, C)
        h0 = torch.zeros(self.cfg.hidden_size)  # (H,)
        h_prev = torch.cat([h0[None], h[:-1]])  # (T, H): h_{t-1} for every t
        W_xh_x = X @ self.W_xh.T  # (T, H)
        W_hh_h = h_prev @ self.W_hh.T  # (T, H)
        b_xh = self.b_xh.expand_as(W_xh_x)  # (T, H)
        b_hh = self.b_hh.expand_as(W_xh_x)  # (T, H)
        a = W_xh_x + b_xh + W_hh_h + b_hh  # (T, H) pre-activation a_t; h_t = tanh(a_t)
        terms = {"W_xh x_t": W_xh_x, "b_xh": b_xh, "W_hh h_{t-1}": W_hh_h, "b_hh": b_hh, "a_t": a}
        return RecurrentTrace(
            tokens=list(tokens),
            hidden=h.numpy().copy(),
            h0=h0.numpy(),
            terms={k: v.numpy().copy() for k, v in terms.items()},
            logits=logits.numpy().copy(),
            probs=torch.softmax(logits, dim=-1).numpy(),
            class_names=list(class_names),
        )

    def spectral_radius(self) -> float:
        """Largest |eigenvalue| of W_hh: above 1 signals can grow through time, below 1 they fade."""
        return float(torch.linalg.eigvals(self.W_hh.detach()).abs().max())


ARCHITECTURES: dict[str, type[nn.Module]] = {RNNTagger.architecture: RNNTagger}


def copy_model(model: nn.Module) -> nn.Module:
    """A fresh, independent model with the same config and weights (never share a cached one)."""
    clone = type(model)(model.cfg)
    clone.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    return clone


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

