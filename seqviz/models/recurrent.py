"""Recurrent networks, written so that every number a page shows is computed in plain sight.

Three cells, in PyTorch's parameter layout (gate blocks stacked in W_ih (kH, D) and W_hh (kH, H)):

vanilla RNN (k = 1)
    h_t = tanh(W_xh x_t + b_xh + W_hh h_{t-1} + b_hh)
LSTM (k = 4, blocks i, f, g, o)
    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)      input gate
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)      forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)   candidate
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)      output gate
    c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o_t ⊙ tanh(c_t)
GRU (k = 3, blocks r, z, n; PyTorch's form: the reset gate multiplies W_hn h_{t-1} + b_hn)
    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

`rnn_cell`, `lstm_cell` and `gru_cell` are those equations, one step each. `RecurrentNet` keeps its
weights in fused PyTorch layers (fast to train) and exposes them under the equations' names. Its
`trace` reruns the fused layers and then recomputes every gate for all steps at once from x_t and
h_{t-1} in batched matmuls (the fast path, `_recompute`); the one cell an intervention changes (a
forget gate forced open, a unit zeroed) is stepped through the explicit cells instead (the slow
path, `_explicit`). The oracle tests tie all of them to `nn.RNN`, `nn.LSTM` and `nn.GRU`.
"""

from __future__ import annotations

import functools
import weakref
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


from seqviz.vocab import IGNORE, PAD_ID  # noqa: E402,F401 - the training loop and seq2seq read them here too
# -- what a trace holds: plain numpy arrays a page can draw ---------------------------------------------
# A trace is frozen and holds no tensors and no reference to the model, so it can be cached and shared between
# sessions. Shapes without the batch axis (T time, H hidden, C classes), in time order also for a right-to-left cell.
@dataclass(frozen=True)
class CellTrace:
    """One recurrent cell (one layer, one direction) over a whole input."""

    hidden: np.ndarray  # (T, H)        h_t after each step
    h0: np.ndarray  # (H,)              the initial state, zeros
    cell: np.ndarray | None  # (T, H)    c_t, LSTM only
    gate_names: tuple[str, ...]  # (k,)  LSTM i f g o, GRU r z n; vanilla RNN ("a",): a_t, before tanh
    gate_values: np.ndarray  # (T, kH)  every gate's value, blocks in gate_names order
    input_terms: np.ndarray  # (T, kH)  W_i x_t of every gate block
    input_bias: np.ndarray  # (kH,)     b_i
    hidden_terms: np.ndarray  # (T, kH) W_h h_{t-1} (h_{t+1} right to left)
    hidden_bias: np.ndarray  # (kH,)    b_h
    reverse: bool  # True for the right-to-left cell of a bidirectional layer

    @property
    def parts(self) -> np.ndarray:
        """(4, T, kH): W_i x_t, b_i, W_h h_{t-1}, b_h, the four terms of every gate block, in that order."""
        Wx, Wh = self.input_terms, self.hidden_terms
        return np.stack([Wx, np.broadcast_to(self.input_bias, Wx.shape), Wh, np.broadcast_to(self.hidden_bias, Wh.shape)])

    @property
    def gates(self) -> dict[str, np.ndarray]:
        """name -> (T, H) values (views into gate_values)."""
        H = self.hidden.shape[1]
        return {n: self.gate_values[:, k * H:(k + 1) * H] for k, n in enumerate(self.gate_names)}

    @property
    def terms(self) -> dict[str, dict[str, np.ndarray]]:
        """gate -> {"Wx": W_i x_t, "bx": b_i, "Wh": W_h h_{t-1}, "bh": b_h}, each (T, H)."""
        H, parts = self.hidden.shape[1], self.parts
        return {n: dict(zip(("Wx", "bx", "Wh", "bh"), parts[:, :, k * H:(k + 1) * H]))
                for k, n in enumerate(self.gate_names)}

    @property
    def h_prev(self) -> np.ndarray:
        """(T, H): the state each step started from (h_{t-1}; h_{t+1} for a right-to-left cell)."""
        if self.reverse:
            return np.vstack([self.hidden[1:], self.h0[None, :]])
        return np.vstack([self.h0[None, :], self.hidden[:-1]])


    def equation(self, gate: str) -> dict[str, np.ndarray]:
        """One gate's pre-activation as the terms added in its equation, then their sum, each (T, H).

        Vanilla RNN ("a"): W_xh x_t + b_xh + W_hh h_{t-1} + b_hh = a_t. LSTM/GRU gate k:
        W_ik x_t + b_ik + W_hk h_{t-1} + b_hk; for the GRU's n the last two are scaled by r_t first.
        """
        p = self.terms[gate]
        prev = "h_{t+1}" if self.reverse else "h_{t-1}"
        if gate == "a":
            names = ("W_xh x_t", "b_xh", f"W_hh {prev}", "b_hh", "a_t")
        else:
            names = (f"W_i{gate} x_t", f"b_i{gate}", f"W_h{gate} {prev}", f"b_h{gate}", f"pre_{gate}")
        scale = self.gates["r"] if gate == "n" and "r" in self.gates else 1.0  # GRU: r_t ⊙ (W_hn h + b_hn)
        total = p["Wx"] + p["bx"] + scale * (p["Wh"] + p["bh"])
        return dict(zip(names, (p["Wx"], p["bx"], p["Wh"], p["bh"], total)))


@dataclass(frozen=True)
class RecurrentTrace:
    tokens: list[str]  # (T,)
    cell_type: str  # "rnn", "lstm" or "gru"
    layers: list[list[CellTrace]]  # [layer][direction]: direction 0 left to right, 1 right to left
    output: np.ndarray  # (T, H·dirs)   top layer's [h→; h←], what the read-out sees
    logits: np.ndarray  # (T, C) per step ("tag"), or (C,) per sequence ("last")
    probs: np.ndarray  # softmax(logits) along the last axis
    step_probs: np.ndarray | None  # (T, C) the answer if the text ended at t ("last", one direction only)
    class_names: list[str]  # (C,)

    @property
    def first(self) -> CellTrace:
        """The first layer's left-to-right cell: all a single-layer lesson needs."""
        return self.layers[0][0]

    @property
    def hidden(self) -> np.ndarray:
        return self.first.hidden

    @property
    def predictions(self) -> list[str]:
        return [self.class_names[i] for i in np.atleast_2d(self.probs).argmax(axis=1)]


GATES = {"rnn": ("a",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
_KERNELS = {"rnn": torch.rnn_tanh, "lstm": torch.lstm, "gru": torch.gru}  # what those modules' forward calls


# -- the equations, one step (x_t (B, D), h_prev (B, H)); with T as the batch they give all steps ---
def _parts(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, k):
    """The four terms of every gate block: W_i x_t, b_i, W_h h_{t-1}, b_h, each split into k blocks."""
    Wx, Wh = x_t @ W_ih.T, h_prev @ W_hh.T  # (B, kH)
    bx, bh = b_ih.expand_as(Wx), b_hh.expand_as(Wh)
    return [t.chunk(k, dim=-1) for t in (Wx, bx, Wh, bh)]


def rnn_gates(x_t, h_prev, W_ih, b_ih, W_hh, b_hh):
    (Wx,), (bx,), (Wh,), (bh,) = _parts(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, 1)
    # a_t = W_xh x_t + b_xh + W_hh h_{t-1} + b_hh ; the RNN's only "gate" is its pre-activation
    return {"a": Wx + bx + Wh + bh}, {"a": (Wx, bx, Wh, bh)}


def rnn_cell(x_t, h_prev, W_ih, b_ih, W_hh, b_hh):
    """h_t = tanh(W_xh x_t + b_xh + W_hh h_{t-1} + b_hh)."""
    return torch.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def lstm_gates(x_t, h_prev, W_ih, b_ih, W_hh, b_hh):
    Wx, bx, Wh, bh = _parts(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, 4)
    pre = {n: Wx[k] + bx[k] + Wh[k] + bh[k] for k, n in enumerate("ifgo")}
    gates = {
        "i": torch.sigmoid(pre["i"]),  # i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        "f": torch.sigmoid(pre["f"]),  # f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        "g": torch.tanh(pre["g"]),  # g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        "o": torch.sigmoid(pre["o"]),  # o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    }
    return gates, {n: (Wx[k], bx[k], Wh[k], bh[k]) for k, n in enumerate("ifgo")}


def lstm_cell(x_t, h_prev, c_prev, W_ih, b_ih, W_hh, b_hh, force=None):
    """One LSTM step -> h_t, c_t, gates. `force` maps a gate name to (unit mask, value)."""
    gates, _ = lstm_gates(x_t, h_prev, W_ih, b_ih, W_hh, b_hh)
    gates = _force(gates, force)
    i, f, g, o = gates["i"], gates["f"], gates["g"], gates["o"]
    c_t = f * c_prev + i * g  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    h_t = o * torch.tanh(c_t)  # h_t = o_t ⊙ tanh(c_t)
    return h_t, c_t, gates


def gru_gates(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, force=None):
    Wx, bx, Wh, bh = _parts(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, 3)
    r = torch.sigmoid(Wx[0] + bx[0] + Wh[0] + bh[0])  # r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    z = torch.sigmoid(Wx[1] + bx[1] + Wh[1] + bh[1])  # z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    r, z = _force({"r": r, "z": z}, force).values()
    n = torch.tanh(Wx[2] + bx[2] + r * (Wh[2] + bh[2]))  # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    gates = _force({"r": r, "z": z, "n": n}, force)
    return gates, {n_: (Wx[k], bx[k], Wh[k], bh[k]) for k, n_ in enumerate("rzn")}


def gru_cell(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, force=None):
    """One GRU step -> h_t, gates."""
    gates, _ = gru_gates(x_t, h_prev, W_ih, b_ih, W_hh, b_hh, force)
    z, n = gates["z"], gates["n"]
    return (1 - z) * n + z * h_prev, gates  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}


def _force(gates: dict, force) -> dict:
    """Overwrite chosen units of chosen gates: force = {gate: (mask (H,) bool, value)}."""
    if not force:
        return gates
    out = dict(gates)
    for name, (mask, value) in force.items():
        if name in out:
            out[name] = torch.where(mask, torch.full_like(out[name], value), out[name])
    return out


def sigmoid(a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(a) = 1 / (1 + e^(-a)) for numpy arrays, written (1 + tanh(a/2)) / 2: the same value, never an overflow.

    `out` (a's shape; may be `a` itself) receives the result without allocating.
    """
    out = np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out *= 0.5
    out += 0.5
    return out


def softmax(a: np.ndarray) -> np.ndarray:
    """softmax along the last axis of a numpy array (shifted by the row's maximum, so exp never overflows)."""
    e = a - np.maximum.reduce(a, axis=-1, keepdims=True)  # the ufuncs' reduce: a.max() adds a Python layer
    np.exp(e, out=e)
    e /= np.add.reduce(e, axis=-1, keepdims=True)
    return e


def linear_scan(f: np.ndarray, u: np.ndarray, reverse: tuple[int, ...] = ()) -> np.ndarray:
    """c_t = f_t ⊙ c_{t-1} + u_t with c = 0 before the first step; f, u (dirs, T, H), time on axis 1.

    Direction d in `reverse` runs right to left (c_t = f_t ⊙ c_{t+1} + u_t), as the right-to-left
    cell of a bidirectional layer does; the result is in time order either way, in u's dtype. Unrolled,
    the loop is c_t = P_t ⊙ Σ_{s<=t} u_s / P_s with P_t = f_1 ⊙ ... ⊙ f_t, so a cumulative product, a
    cumulative sum and two elementwise operations replace T small steps. Where some product of f's
    comes near 0 (a gate shut tight, so u_s / P_s could overflow) it computes by doubling instead
    (Hillis and Steele: after the round with stride k, c[t] holds the sum over the last 2k steps, each
    u_s scaled by the f's after it), log2(T) rounds. In float64 throughout: both match the loop to
    rounding (tests/test_oracle.py checks each against one).
    """
    dtype = u.dtype
    if reverse:  # each right-to-left cell's steps in its reading order (float64 copies)
        A, c = np.empty(f.shape), np.empty(u.shape)
        for d in range(f.shape[0]):
            A[d], c[d] = (f[d, ::-1], u[d, ::-1]) if d in reverse else (f[d], u[d])
        f, u = A, c
    P = np.cumprod(f, axis=1, dtype=np.float64)  # P_t = f_1 ⊙ ... ⊙ f_t
    if P.shape[1] and np.minimum.reduce(P[:, -1], axis=None) > _SCAN_FLOOR:
        # c_t = Σ_{s<=t} (f_{s+1} ... f_t) u_s = P_t ⊙ Σ_{s<=t} u_s / P_s: four whole-array operations.
        # Each term's error is relative to |u_s| P_t / P_s <= |u_s|, so no step's rounding is amplified.
        c = np.divide(u, P)
        np.cumsum(c, axis=1, out=c)
        if not reverse:  # straight into u's dtype
            return np.multiply(c, P, out=np.empty(u.shape, dtype=dtype), casting="same_kind")
        c *= P
    else:  # a product of f's near 0 (a gate shut tight): doubling, which never divides
        A, c = f.astype(np.float64), u.astype(np.float64)
        T, k = c.shape[1], 1
        while k < T:
            c[:, k:] += A[:, k:] * c[:, :-k]  # reach k steps further back: c_t += (f_t ... f_{t-k+1}) c_{t-k}
            if 2 * k < T:
                A[:, k:] *= A[:, :-k]  # and the product of f's over the window (numpy copies overlaps first)
            k *= 2
    if not reverse:
        return c.astype(dtype)
    out = np.empty(c.shape, dtype=dtype)
    for d in range(c.shape[0]):  # back into time order
        out[d] = c[d, ::-1] if d in reverse else c[d]
    return out


@functools.lru_cache(maxsize=64)
def _zeros(H: int) -> np.ndarray:
    """h_0 = 0 (H,), float32, read-only and shared by every trace."""
    h0 = np.zeros(H, dtype=np.float32)
    h0.flags.writeable = False
    return h0


@functools.lru_cache(maxsize=8)
def _identity(V: int) -> np.ndarray:
    """The (V, V) identity, read-only, shared: row v is the one-hot vector of symbol v."""
    eye = np.eye(V, dtype=np.float32)
    eye.flags.writeable = False
    return eye


@dataclass(frozen=True)
class _Weights:
    """numpy views of every weight a trace reads: layers[l][d] = (W_ih, W_hh, b_ih, b_hh), head = (W_hy, b_y);
    modules[l], the fused layer l they belong to."""

    key: tuple[int, ...]  # each parameter's data_ptr, in the order read
    modules: list
    layers: list[list[tuple[np.ndarray, ...]]]
    head: tuple[np.ndarray, np.ndarray]


_WEIGHTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> _Weights (never copied or saved with it)


def _numpy_weights(model: "RecurrentNet") -> _Weights:
    """The model's weights as numpy views (no copies), cached while every parameter keeps its memory.

    A view always shows the current values (training and loading update parameters in place); a
    parameter given new memory (replaced, .to(), .double()) has a new data_ptr, and the cache is rebuilt
    (the old views keep the old memory alive, so an address never comes back while they are cached).
    Reached through the module dicts: nn.Module's attribute lookup cost more than the rest of this.
    """
    layers = list(model._modules["layers"]._modules.values())
    head = model._modules["head"]._parameters
    params = [p for layer in layers for p in layer._flat_weights] + [head["weight"], head["bias"]]
    key = tuple(p.data_ptr() for p in params)
    cached = _WEIGHTS.get(model)
    if cached is None or cached.key != key:
        if any(len(layer._flat_weights) != 4 * model.cfg.directions for layer in layers):
            raise ValueError("a trace needs W_ih, W_hh, b_ih and b_hh in every layer and direction")
        views = [p.detach().numpy() for p in params]
        per_layer = [[tuple(views[i:i + 4]) for i in range(k, k + 4 * model.cfg.directions, 4)]
                     for k in range(0, 4 * model.cfg.directions * len(layers), 4 * model.cfg.directions)]
        cached = _WEIGHTS[model] = _Weights(key, layers, per_layer, (views[-2], views[-1]))
    return cached


@functools.lru_cache(maxsize=64)
def _zero_state(cell: str, dirs: int, H: int):
    """h_0 (and c_0 for an LSTM) = 0, (dirs, 1, H): the fused kernel's initial state, shared (it only reads it)."""
    with torch.inference_mode(False):  # a normal tensor even when first asked for inside a trace
        h0 = torch.zeros(dirs, 1, H)
    return (h0, h0) if cell == "lstm" else h0


def _one_hot(ids: np.ndarray, V: int) -> np.ndarray:
    """(T,) symbol ids -> (T, V) float32 one-hot rows (a new array). Rows of a cached identity where
    V is small (one gather); a zero array with T ones set where an identity would be large."""
    if V <= 1024:
        return _identity(V)[ids]
    U = np.zeros((ids.size, V), dtype=np.float32)
    U[np.arange(ids.size), ids] = 1.0
    return U


_SCAN_FLOOR = 1e-200  # below this a product of forget gates would make u_s / P_s overflow float64


@functools.lru_cache(maxsize=64)
def _lstm_scales(H: int) -> tuple[np.ndarray, np.ndarray]:
    """(half, lift), each (4H,) over the blocks i f g o: σ(a) = tanh(a·½)·½ + ½ and tanh(a) = tanh(a·1)·1 + 0."""
    half = np.full(4 * H, 0.5, dtype=np.float32)
    half[2 * H:3 * H] = 1.0
    lift = np.full(4 * H, 0.5, dtype=np.float32)
    lift[2 * H:3 * H] = 0.0
    half.flags.writeable = lift.flags.writeable = False
    return half, lift


# -- the model ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecurrentConfig:
    vocab_size: int  # V: input symbols, each fed as a one-hot vector x_t
    num_classes: int  # C: output classes
    cell: str = field(default="rnn", metadata={"choices": tuple(GATES)})  # "rnn" (tanh), "lstm" or "gru"
    hidden_size: int = 16  # H: units per layer and direction
    num_layers: int = field(default=1, metadata={"max": 4})  # stacked layers; layer l+1 reads layer l's h_t
    bidirectional: bool = False  # a second cell reads right to left; outputs are concatenated [h→; h←]
    output: str = field(default="tag", metadata={"choices": ("tag", "last")})  # a class per step, or per sequence

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Intervention:
    """A change to the computation, applied in one layer and direction at every step."""

    gate: str | None = None  # a gate to force (e.g. "f" of an LSTM, "z" of a GRU)
    gate_units: tuple[int, ...] = ()  # which units of that gate
    gate_value: float = 1.0  # the value they are forced to (gates live in [0, 1]; g and n in [-1, 1])
    zero_units: tuple[int, ...] = ()  # units whose h_t (and c_t) are set to 0 after every step
    layer: int = 0
    direction: int = 0  # 0 left to right, 1 right to left

    def __bool__(self) -> bool:
        return bool((self.gate and self.gate_units) or self.zero_units)


class RecurrentNet(nn.Module):
    """RNN, LSTM or GRU layers (optionally stacked and bidirectional) and a linear read-out."""

    architecture = "recurrent"

    def __init__(self, cfg: RecurrentConfig):
        super().__init__()
        self.cfg = cfg
        fused = FUSED[cfg.cell]
        extra = {"nonlinearity": "tanh"} if cfg.cell == "rnn" else {}
        # One fused single-layer module per layer, so a trace can read every layer's h_t.
        # weight_ih_l0 is W_ih (kH, D), weight_hh_l0 W_hh (kH, H); "_reverse" for the right-to-left cell
        self.layers = nn.ModuleList(
            fused(cfg.vocab_size if l == 0 else cfg.hidden_size * cfg.directions, cfg.hidden_size,
                  batch_first=True, bidirectional=cfg.bidirectional, **extra)
            for l in range(cfg.num_layers))
        self.head = nn.Linear(cfg.hidden_size * cfg.directions, cfg.num_classes)  # W_hy, b_y

    def weights(self, layer: int = 0, direction: int = 0) -> tuple[torch.Tensor, ...]:
        """(W_ih, b_ih, W_hh, b_hh) of one layer and direction, in the equations' order of use."""
        m, sfx = self.layers[layer], "_reverse" if direction else ""
        return (getattr(m, f"weight_ih_l0{sfx}"), getattr(m, f"bias_ih_l0{sfx}"),
                getattr(m, f"weight_hh_l0{sfx}"), getattr(m, f"bias_hh_l0{sfx}"))

    # The vanilla RNN equation's names, for the first layer.
    W_xh = property(lambda self: self.weights()[0])
    b_xh = property(lambda self: self.weights()[1])
    W_hh = property(lambda self: self.weights()[2])
    b_hh = property(lambda self: self.weights()[3])

    def hidden_states(self, x: torch.Tensor, U: torch.Tensor | None = None) -> torch.Tensor:
        """Shared by forward and trace: token ids x (B, T) -> top-layer outputs (B, T, H·dirs).

        Padding (id 0) only ever follows the real tokens; when a batch has any, the sequences are
        packed so the right-to-left cell starts at each text's own last token, not at the padding.
        `U` (B, T, V), if given, replaces the one-hot inputs (attribution scales them towards 0).
        """
        if U is None:
            U = F.one_hot(x, self.cfg.vocab_size).float()  # (B, T, V)
        lengths = (x != PAD_ID).sum(dim=1)  # (B,)
        padded = bool((lengths < x.size(1)).any())
        for layer in self.layers:
            if padded:
                packed = pack_padded_sequence(U, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False)
                U, _ = pad_packed_sequence(layer(packed)[0], batch_first=True, total_length=x.size(1))
            else:
                U, _ = layer(U)  # (B, T, H·dirs)
        return U

    def read_out(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Top-layer outputs (B, T, H·dirs) -> logits: (B, T, C) for "tag", (B, C) for "last"."""
        if self.cfg.output == "tag":
            return self.head(h)
        H = self.cfg.hidden_size
        last = (x != PAD_ID).sum(dim=1).clamp(min=1) - 1  # (B,) index of each text's last token
        final = h[torch.arange(h.size(0)), last, :H]  # left-to-right cell after the last token
        if self.cfg.bidirectional:  # right-to-left cell after reading back to the first token
            final = torch.cat([final, h[:, 0, H:]], dim=-1)
        return self.head(final)

    def forward(self, x: torch.Tensor, targets: torch.Tensor | None = None):
        """x (B, T) token ids; targets (B, T) for "tag" (IGNORE on padding) or (B,) for "last"."""
        logits = self.read_out(self.hidden_states(x), x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1), ignore_index=IGNORE)
        return logits, loss

    # -- traces ----------------------------------------------------------------------------------
    def trace(self, ids: list[int], tokens: list[str], class_names: list[str],
              intervention: Intervention | None = None) -> RecurrentTrace:
        """Every state and gate of every layer and direction at every step, for one input.

        Fast path: each fused layer runs once, then `_recompute` rebuilds every gate from the known
        h_{t-1}. The one cell an intervention changes is stepped through the explicit cells instead
        (`_explicit`); the layers above it read its changed states through their own fast path.
        """
        with torch.inference_mode():  # no_grad, and cheaper tensor bookkeeping: a trace returns only numpy arrays
            return self._trace(ids, tokens, class_names, intervention)

    def _trace(self, ids, tokens, class_names, intervention) -> RecurrentTrace:
        ids, V, H = list(ids), self.cfg.vocab_size, self.cfg.hidden_size
        if ids and min(ids) < 0:
            raise ValueError("token ids must not be negative")
        if ids and max(ids) >= V:
            raise IndexError(f"token id {max(ids)} is outside the vocabulary of {V}")
        x_ids = np.array(ids, dtype=np.intp)
        U = _one_hot(x_ids, V)  # (T, V): x_t one-hot
        weights = _numpy_weights(self)
        layers = []
        for l, layer in enumerate(weights.modules):
            out = self._fused(layer, U)  # (T, H·dirs): every direction's h_t, from the fused layer
            cells = self._recompute(U, out, weights.layers[l], x_ids if l == 0 else None)  # all t at once
            if intervention and intervention.layer == l and intervention.direction in range(len(cells)):
                d = intervention.direction  # slow path: step the explicit cell with the change applied
                h_d, cells[d] = self._explicit(torch.from_numpy(U), l, d, intervention)
                out[:, d * H:(d + 1) * H] = h_d.numpy()
            layers.append(cells)
            U = out  # (T, H·dirs): [h→; h←], the next layer's input
        # The read-out of `read_out` for a batch of one (the oracle tests hold them equal)
        last = max(len(ids) - ids.count(PAD_ID), 1) - 1  # the last token that is not padding
        W_hy, b_y = weights.head
        step_probs = None
        if self.cfg.output == "tag":
            logits = U @ W_hy.T  # (T, C)
            logits += b_y
            probs = softmax(logits)
        elif self.cfg.bidirectional:  # [h→ after the last token; h← after reading back to the first]
            logits = np.concatenate([U[last, :H], U[0, H:]]) @ W_hy.T + b_y  # (C,)
            probs = softmax(logits)
        else:
            steps = U @ W_hy.T  # (T, C): the answer if the text ended at t
            steps += b_y
            step_probs = softmax(steps)
            logits, probs = steps[last], step_probs[last]  # (C,)
        return RecurrentTrace(tokens=list(tokens), cell_type=self.cfg.cell, layers=layers, output=U,
                              logits=logits, probs=probs, step_probs=step_probs, class_names=list(class_names))

    def _fused(self, layer: nn.Module, U: np.ndarray) -> np.ndarray:
        """layer(U[None])[0][0] without the module's per-call checks: the fused kernel nn.RNN, nn.LSTM and
        nn.GRU call, on one unbatched input U (T, D) -> (T, H·dirs), numpy in and out (sharing memory
        with the tensors). A quarter of a short trace's cost was those checks (they guard shapes and
        devices this class already fixes); the oracle tests hold the two equal."""
        hx = _zero_state(self.cfg.cell, self.cfg.directions, self.cfg.hidden_size)
        out = _KERNELS[self.cfg.cell](torch.from_numpy(U[None]), hx, layer._flat_weights, True, 1, 0.0, False,
                                      self.cfg.bidirectional, True)[0]
        return out.numpy()[0]

    def _recompute(self, U, out, weights, ids: np.ndarray | None = None) -> list[CellTrace]:
        """Fast path for one layer: every gate of every step and direction at once, from known states.

        U (T, D) holds the inputs x_t and out (T, H·dirs) the fused layer's h_t, in time order;
        weights[d] = (W_ih, W_hh, b_ih, b_hh) of direction d (numpy arrays, all of them). Since every
        h_{t-1} is known, each term of every gate is one matmul over all steps (time as the batch axis);
        the elementwise rest runs on both directions together. The same equations as `rnn_cell`,
        `lstm_cell` and `gru_cell`: the oracle tests hold the two paths to 1e-5.
        """
        cell, H, dirs, T = self.cfg.cell, self.cfg.hidden_size, self.cfg.directions, U.shape[0]
        kH = len(GATES[cell]) * H
        Wx, Wh = np.empty((2, dirs, T, kH), dtype=np.float32)  # W_i x_t and W_h h_{t-1} per direction
        b_i, b_h = np.empty((2, dirs, 1, kH), dtype=np.float32)  # b_i and b_h per direction (copies: a trace
        # never shares a parameter's memory); one allocation each, since every call counts in a trace this short
        for d, (W_ih, W_hh, b_ih, b_hh) in enumerate(weights):
            if ids is not None:  # x_t one-hot: W_i x_t is column ids[t] of W_i, read rather than multiplied
                np.take(W_ih.T, ids, axis=0, out=Wx[d])
            else:
                np.matmul(U, W_ih.T, out=Wx[d])  # W_i x_t
            b_i[d, 0], b_h[d, 0] = b_ih, b_hh
            h = out[:, d * H:(d + 1) * H]  # (T, H)
            if d == 0:  # h_{t-1}, with h_0 = 0
                np.matmul(h[:-1], W_hh.T, out=Wh[d, 1:])
                Wh[d, 0] = 0
            else:  # the right-to-left cell comes from h_{t+1}, with h_{T+1} = 0
                np.matmul(h[1:], W_hh.T, out=Wh[d, :-1])
                Wh[d, -1] = 0
        pre = Wx + Wh  # (dirs, T, kH): W_i x_t + b_i + W_h h_{t-1} + b_h, every gate block
        pre += b_i + b_h
        c = None
        if cell == "rnn":
            gates = pre  # a_t; h_t = tanh(a_t)
        elif cell == "lstm":
            # i_t, f_t, o_t = σ(pre) = (1 + tanh(pre / 2)) / 2 and g_t = tanh(pre): one tanh over every
            # block, each block scaled before and after by `half` (1/2 for σ, 1 for tanh) and shifted by `lift`
            half, lift = _lstm_scales(H)
            gates = np.multiply(pre, half, out=pre)
            np.tanh(gates, out=gates)
            gates *= half
            gates += lift
            i, f, g = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:3 * H]
            c = linear_scan(f, i * g, reverse=(1,) if dirs == 2 else ())  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        else:
            gates = sigmoid(pre, out=pre)  # r_t, z_t = σ(...)
            r = gates[..., :H]
            # n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
            n = Wh[..., 2 * H:] + b_h[..., 2 * H:]
            n *= r
            n += Wx[..., 2 * H:]
            n += b_i[..., 2 * H:]
            np.tanh(n, out=gates[..., 2 * H:])
        return [CellTrace(hidden=out[:, d * H:(d + 1) * H].copy(), h0=_zeros(H),
                          cell=None if c is None else c[d], gate_names=GATES[cell], gate_values=gates[d],
                          input_terms=Wx[d], input_bias=b_i[d, 0], hidden_terms=Wh[d], hidden_bias=b_h[d, 0],
                          reverse=bool(d)) for d in range(dirs)]

    def _explicit(self, U, layer, direction, iv: Intervention | None = None, keep: list | None = None):
        """Slow path: step the explicit cell t = 1..T -> (h (T, H) in time order, CellTrace).

        Differentiable unless under no_grad. `keep`, if given, collects every h_t tensor (for
        gradients through time).
        """
        W = self.weights(layer, direction)
        H = self.cfg.hidden_size
        here = iv is not None and iv.layer == layer and iv.direction == direction
        force, zero = None, None
        if here and iv.gate and iv.gate_units:
            mask = torch.zeros(H, dtype=torch.bool)
            mask[list(iv.gate_units)] = True
            force = {iv.gate: (mask, float(iv.gate_value))}
        if here and iv.zero_units:
            zero = torch.ones(H)
            zero[list(iv.zero_units)] = 0.0
        order = range(U.size(0) - 1, -1, -1) if direction else range(U.size(0))
        h = c = torch.zeros(1, H)
        h0 = h[0]
        hs, cs, gs = [], [], []
        for t in order:
            x_t = U[t][None]  # (1, D)
            if self.cfg.cell == "rnn":
                g = {"a": rnn_gates(x_t, h, *W)[0]["a"]}
                h = rnn_cell(x_t, h, *W)
            elif self.cfg.cell == "lstm":
                h, c, g = lstm_cell(x_t, h, c, *W, force=force)
            else:
                h, g = gru_cell(x_t, h, *W, force=force)
            if zero is not None:
                h = h * zero
                c = c * zero if self.cfg.cell == "lstm" else c
            if keep is not None:
                keep.append(h)
            hs.append(h[0])
            cs.append(c[0])
            gs.append({k: v[0] for k, v in g.items()})
        h_seq = torch.stack(hs)  # (T, H) in reading order
        gates = torch.cat([torch.stack([g[k] for g in gs]) for k in GATES[self.cfg.cell]], dim=-1)  # (T, kH)
        h_prev = torch.cat([h0[None], h_seq[:-1]])
        U_order = U.flip(0) if direction else U
        Wx, Wh = U_order @ W[0].T, h_prev @ W[2].T
        c_seq = torch.stack(cs) if self.cfg.cell == "lstm" else None
        out = h_seq.flip(0) if direction else h_seq
        return out, self._cell_trace(h_seq, c_seq, gates, (Wx, W[1], Wh, W[3]), direction)

    def _cell_trace(self, h, c, gates, terms, direction) -> CellTrace:
        """Package one explicit cell's tensors (in its reading order) as numpy arrays in time order."""
        def arr(t, axis=0):
            t = t.detach()
            return (t.flip(axis) if direction else t).numpy().copy()  # copy: never a view of a parameter
        return CellTrace(
            hidden=arr(h), h0=np.zeros(self.cfg.hidden_size, dtype=np.float32),
            cell=None if c is None else arr(c), gate_names=GATES[self.cfg.cell],
            gate_values=arr(gates), input_terms=arr(terms[0]), input_bias=terms[1].detach().numpy().copy(),
            hidden_terms=arr(terms[2]), hidden_bias=terms[3].detach().numpy().copy(), reverse=bool(direction))

    def grad_norms_through_time(self, ids: list[int], target: int | list[int]) -> np.ndarray:
        """‖∂L/∂h_t‖ for the first layer's left-to-right states, t = 1..T (the vanishing-gradient view).

        L is the cross-entropy of the read-out against `target` (a class for "last", one per step for "tag").
        """
        x = torch.tensor([ids], dtype=torch.long)
        U = F.one_hot(x[0], self.cfg.vocab_size).float()
        keep: list[torch.Tensor] = []
        with torch.enable_grad():
            outs = []
            for l in range(self.cfg.num_layers):
                cells = [self._explicit(U, l, d, keep=keep if (l, d) == (0, 0) else None)[0]
                         for d in range(self.cfg.directions)]
                U = torch.cat(cells, dim=-1)
                outs.append(U)
            logits = self.read_out(U[None], x)[0]
            tgt = torch.tensor(target if isinstance(target, list) else [target])
            loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt.reshape(-1), ignore_index=IGNORE)
            grads = torch.autograd.grad(loss, keep, allow_unused=True)
        return np.array([0.0 if g is None else float(g.norm()) for g in grads])

    def spectral_radius(self, layer: int = 0, direction: int = 0) -> float:
        """Largest |eigenvalue| of the vanilla RNN's W_hh: above 1 signals can grow through time, below 1 they fade."""
        W_hh = self.weights(layer, direction)[2].detach()
        return float(torch.linalg.eigvals(W_hh[: self.cfg.hidden_size]).abs().max())


def remember_by_default(model: RecurrentNet, bias: float = 3.0) -> RecurrentNet:
    """Initialise the gates that keep memory open: LSTM forget gate f, GRU update gate z.

    σ(3) ≈ 0.95, so at the start of training c_t ≈ c_{t-1} (LSTM) and h_t ≈ h_{t-1} (GRU): the
    state survives many steps, and so does its gradient. A no-op for the vanilla RNN, which has no gate.
    """
    block = {"lstm": 1, "gru": 1}.get(model.cfg.cell)  # f is block 1 of i f g o; z is block 1 of r z n
    if block is None:
        return model
    H = model.cfg.hidden_size
    with torch.no_grad():
        for l in range(model.cfg.num_layers):
            for d in range(model.cfg.directions):
                _, b_ih, _, b_hh = model.weights(l, d)
                b_ih[block * H:(block + 1) * H] = bias
                b_hh[block * H:(block + 1) * H] = 0.0
    return model


RecurrentNet.config_class = RecurrentConfig


def copy_model(model: nn.Module) -> nn.Module:
    """A fresh, independent model with the same config and weights (never share a cached one)."""
    clone = type(model)(model.cfg)
    clone.load_state_dict({k: v.clone() for k, v in model.state_dict().items()})
    return clone

