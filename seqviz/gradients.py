"""Gradients through time: how far back the loss can reach, and the product of Jacobians behind it.

The recall task puts the loss L at the end of the text (output "last"), so the only way the first
symbol can change L is through every state after it. With one layer read left to right,

    ∂L/∂h_k = (∂h_T/∂h_k)^T ∂L/∂h_T,    ∂h_T/∂h_k = J_T J_{T-1} ... J_{k+1},    J_t = ∂h_t/∂h_{t-1}.

For the vanilla RNN, h_t = tanh(a_t) with a_t = W_xh x_t + b_xh + W_hh h_{t-1} + b_hh, so

    J_t = ∂h_t/∂a_t · ∂a_t/∂h_{t-1} = diag(1 - h_t²) W_hh,

and ‖∂L/∂h_k‖ ≤ ‖J_T ... J_{k+1}‖ ‖∂L/∂h_T‖ (spectral norms). Everything here is plain torch/numpy:

    model = initial_model(labs.recurrent.RECIPES["recall-rnn"])          # the recipe's init, untrained
    norms = model.grad_norms_through_time(ids, target)        # ‖∂L/∂h_t‖, t = 1..T
    s = scale_recurrent(model, 2.0)                           # a copy with W_hh × 2
    jac = rnn_jacobians(s, ids)                               # J_t for t = 1..T, and h_t
    product_norms(jac.J)                                      # ‖J_T ... J_{k+1}‖ for k = 1..T
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from seqviz.models.recurrent import RecurrentNet, copy_model

ARCHS = {"rnn": "Vanilla RNN", "lstm": "LSTM", "gru": "GRU"}  # cell -> label; shipped as recall-<cell>
STAGES = {"init": "at initialisation", "trained": "trained"}
MEMORY_GATE = {"lstm": "f", "gru": "z"}  # the gate on the state's direct path: c_t = f_t ⊙ c_{t-1} + ...


def initial_model(recipe) -> RecurrentNet:
    """The recipe's architecture and initialisation, untrained (seeded by the recipe).

    recipe.build_model() seeds torch's global generator; forking it keeps other users of that
    generator (a learner training on another page of the same server) unaffected.
    """
    with torch.random.fork_rng(devices=[]):
        return recipe.build_model().eval()


def scale_recurrent(model: RecurrentNet, factor: float) -> RecurrentNet:
    """A copy of `model` with every W_hh multiplied by `factor` (the cached model is never touched).

    Eigenvalues scale with the matrix, so ρ(factor · W_hh) = |factor| · ρ(W_hh).
    """
    clone = copy_model(model).eval()
    with torch.no_grad():
        for l in range(clone.cfg.num_layers):
            for d in range(clone.cfg.directions):
                clone.weights(l, d)[2].mul_(factor)
    return clone


# -- how far back the gradient reaches ----------------------------------------------------------
@dataclass(frozen=True)
class Reach:
    """A summary of one curve ‖∂L/∂h_t‖, t = 1..T."""

    first: float  # ‖∂L/∂h_1‖
    last: float  # ‖∂L/∂h_T‖
    ratio: float  # first / last: how much of the end's gradient reaches the first step
    per_step: float  # ratio^(1/(T-1)): the average (geometric mean) factor for one step back (1 keeps, <1 fades, >1 grows)
    typical: float  # the median of ‖∂L/∂h_t‖ / ‖∂L/∂h_{t+1}‖: one step back, robust to a few steep steps at the end
    zeros: int  # steps whose gradient is exactly 0 (underflowed float32)


def reach(norms: np.ndarray) -> Reach:
    norms = np.asarray(norms, dtype=np.float64)
    first, last, T = float(norms[0]), float(norms[-1]), len(norms)
    ratio = first / last if last > 0 else float("nan")
    per_step = ratio ** (1.0 / (T - 1)) if T > 1 and np.isfinite(ratio) else float("nan")
    both = (norms[:-1] > 0) & (norms[1:] > 0)
    typical = float(np.median(norms[:-1][both] / norms[1:][both])) if both.any() else float("nan")
    return Reach(first, last, ratio, per_step, typical, int((norms == 0).sum()))


def curves_table(tokens: list[str], curves: dict[str, dict[str, np.ndarray]]) -> pd.DataFrame:
    """{stage: {model: norms (T,)}} -> one row a step, a column "‖dL/dh_t‖ <model> (<stage>)"."""
    df = pd.DataFrame({"t": np.arange(1, len(tokens) + 1), "character": tokens})
    for stage, by_model in curves.items():
        for name, norms in by_model.items():
            df[f"||dL/dh_t|| {name} ({stage})"] = norms
    return df


# -- the vanilla RNN's Jacobians ------------------------------------------------------------------
@dataclass(frozen=True)
class RNNJacobians:
    """J_t = ∂h_t/∂h_{t-1} = diag(1 - h_t²) W_hh for t = 1..T, float64, first layer left to right."""

    h: np.ndarray  # (T, H)       h_t
    W_hh: np.ndarray  # (H, H)
    J: np.ndarray  # (T, H, H)    J[t-1] = diag(1 - h_t²) W_hh
    dL_dhT: np.ndarray  # (H,)    ∂L/∂h_T = W_hyᵀ (softmax(logits) - onehot(target))

    @property
    def slope(self) -> np.ndarray:
        """(T, H): 1 - h_t², tanh's slope at each unit; near 0 where the unit is saturated."""
        return 1.0 - self.h ** 2

    @property
    def saturated(self) -> float:
        """The share of unit-steps with |h_t| > 0.95 (slope 1 - h_t² < 0.1): they pass almost no gradient."""
        return float((self.slope < 0.1).mean())

    @property
    def end_norm(self) -> float:
        """‖∂L/∂h_T‖, where the chain rule starts."""
        return float(np.linalg.norm(self.dL_dhT))


def rnn_jacobians(model: RecurrentNet, ids: list[int], target: int) -> RNNJacobians:
    """Every step's Jacobian of a one-layer, left-to-right vanilla RNN with output "last"."""
    cfg = model.cfg
    if cfg.cell != "rnn" or cfg.num_layers != 1 or cfg.bidirectional or cfg.output != "last":
        raise ValueError("rnn_jacobians needs a one-layer, left-to-right vanilla RNN read at the last step.")
    x = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        h = model.hidden_states(x)[0].double()  # (T, H)
        W_hh = model.W_hh.detach().double()  # (H, H)
        W_hy, b_y = model.head.weight.detach().double(), model.head.bias.detach().double()
        p = torch.softmax(W_hy @ h[-1] + b_y, -1)  # (C,)
        # L = -log p[y]  =>  ∂L/∂logits = p - onehot(y),  ∂L/∂h_T = W_hyᵀ (p - onehot(y))
        dL_dhT = W_hy.T @ (p - F.one_hot(torch.tensor(target), p.numel()).double())
        J = (1 - h ** 2)[:, :, None] * W_hh[None]  # (T, H, H): row i of W_hh times 1 - h_t[i]²
    return RNNJacobians(h.numpy(), W_hh.numpy(), J.numpy(), dL_dhT.numpy())


def spectral_norm(M: np.ndarray) -> np.ndarray:
    """Largest singular value ‖M‖₂ (of each matrix in a stack)."""
    return np.linalg.norm(M, ord=2, axis=(-2, -1))


def backward_products(J: np.ndarray) -> np.ndarray:
    """(T, H, H): P[k-1] = ∂h_T/∂h_k = J_T J_{T-1} ... J_{k+1} for k = 1..T (P[T-1] = I, no step)."""
    T, H, _ = J.shape
    P = np.empty_like(J)
    M = np.eye(H)
    for k in range(T, 0, -1):  # k = T, T-1, ..., 1
        P[k - 1] = M
        M = M @ J[k - 1]  # now J_T ... J_k, the product for k - 1
    return P


def product_norms(J: np.ndarray) -> np.ndarray:
    """(T,): ‖J_T J_{T-1} ... J_{k+1}‖₂ for k = 1..T, the most one unit of ∂L/∂h_T can become at step k."""
    return spectral_norm(backward_products(J))


def gradients_from_jacobians(jac: RNNJacobians) -> np.ndarray:
    """(T, H): ∂L/∂h_k = (J_T ... J_{k+1})ᵀ ∂L/∂h_T, the chain rule written out (autograd computes the same)."""
    return np.einsum("kij,i->kj", backward_products(jac.J), jac.dL_dhT)


def chain_rule_norms(jac: RNNJacobians) -> np.ndarray:
    """(T,): ‖∂L/∂h_t‖ from the written-out chain rule, in float64 (no underflow where float32 gives 0)."""
    g = gradients_from_jacobians(jac)  # (T, H)
    # ‖g‖ = m ‖g / m‖ with m = max |g_i|: squaring 1e-170 would underflow to 0, dividing first does not
    m = np.abs(g).max(axis=1, keepdims=True)
    return m[:, 0] * np.linalg.norm(np.divide(g, m, out=np.zeros_like(g), where=m > 0), axis=1)


def jacobian_table(tokens: list[str], jac: RNNJacobians) -> pd.DataFrame:
    """One row a step: ‖J_t‖, the product norm back from T, and the gradient the product gives."""
    g = chain_rule_norms(jac)
    return pd.DataFrame({
        "t": np.arange(1, len(tokens) + 1), "character": tokens,
        "||J_t||": spectral_norm(jac.J),
        "||J_T...J_(t+1)||": product_norms(jac.J),
        "||dL/dh_t|| / ||dL/dh_T||": g / np.linalg.norm(jac.dL_dhT),
        "mean(1 - h_t^2)": jac.slope.mean(axis=1),
    })


# -- the gated cells' direct path ---------------------------------------------------------------
@dataclass(frozen=True)
class MemoryPath:
    """The gate on the LSTM's c_{t-1} -> c_t path (f) or the GRU's h_{t-1} -> h_t path (z)."""

    gate: str  # "f" or "z"
    mean: float  # its mean over all steps and units
    product_median: float  # median over units of ∏_{t=2}^T gate_t: what the direct path keeps from step 1 to T
    product_max: float  # the same for the unit that keeps the most (a few units can carry the memory)


def memory_path(cell: str, gates: dict[str, np.ndarray]) -> MemoryPath:
    """`gates`: a CellTrace's gates (name -> (T, H)). The direct path's Jacobian is diag(gate_t)."""
    name = MEMORY_GATE[cell]
    g = np.asarray(gates[name], dtype=np.float64)  # (T, H)
    kept = np.prod(g[1:], axis=0)  # (H,)
    return MemoryPath(name, float(g.mean()), float(np.median(kept)), float(kept.max()))


def jacobian_matrix_table(jac: RNNJacobians, t: int) -> pd.DataFrame:
    """J_t (1-based t) as a table: one row a unit i of h_t, with 1 - h_t[i]² and J_t[i, j] for every j."""
    H = jac.W_hh.shape[0]
    df = pd.DataFrame(jac.J[t - 1], columns=[f"J[i,{j}]" for j in range(H)])
    df.insert(0, "1 - h_t[i]^2", jac.slope[t - 1])
    df.insert(0, "i", np.arange(H))
    return df
