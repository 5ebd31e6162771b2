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
h_{t-1} in batched matmuls (the fast path); with interventions (a forget gate forced open, a unit
zeroed) it steps the explicit cells instead (the slow path). The oracle tests tie all of them to
`nn.RNN`, `nn.LSTM` and `nn.GRU`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqviz.trace import CellTrace, RecurrentTrace

IGNORE = -100  # target for padded positions
PAD_ID = 0  # <pad> is always id 0 (seqviz.vocab)
GATES = {"rnn": ("a",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
FUSED = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


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


def linear_scan(f: np.ndarray, u: np.ndarray) -> np.ndarray:
    """c_t = f_t ⊙ c_{t-1} + u_t with c_0 = 0, for t = 1..T; f, u (T, H).

    Elementwise only, so a plain loop over time in float64 numpy is the fastest exact way (a
    vectorised cumulative-product form was slower at every length used here, and less exact).
    """
    c = np.empty(u.shape, dtype=np.float64)
    c_t = np.zeros(u.shape[1], dtype=np.float64)
    for t in range(u.shape[0]):
        c_t = f[t] * c_t + u[t]
        c[t] = c_t
    return c.astype(u.dtype)


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
    @torch.no_grad()
    def trace(self, ids: list[int], tokens: list[str], class_names: list[str],
              intervention: Intervention | None = None) -> RecurrentTrace:
        """Every state and gate of every layer and direction at every step, for one input."""
        x = torch.tensor([ids], dtype=torch.long)  # (1, T)
        U = F.one_hot(x[0], self.cfg.vocab_size).float()  # (T, V)
        layers = []
        for l, layer in enumerate(self.layers):
            if intervention:  # slow path: step the explicit cells, with the change applied
                cells = [self._explicit(U, l, d, intervention) for d in range(self.cfg.directions)]
            else:  # fast path: fused layer, then every gate recomputed from x_t and h_{t-1}
                out = layer(U[None])[0][0]  # (T, H·dirs)
                H = self.cfg.hidden_size
                cells = [self._recompute(U, out[:, d * H:(d + 1) * H], l, d) for d in range(self.cfg.directions)]
            layers.append(cells)
            U = torch.cat([c[0] for c in cells], dim=-1)  # (T, H·dirs): the next layer's input
        logits = self.read_out(U[None], x)[0]  # (T, C) or (C,)
        step_probs = None
        if self.cfg.output == "last" and not self.cfg.bidirectional:
            step_probs = torch.softmax(self.head(U), -1).numpy()  # (T, C): the answer if the text ended at t
        return RecurrentTrace(
            tokens=list(tokens), cell_type=self.cfg.cell,
            layers=[[c[1] for c in cells] for cells in layers],
            output=U.numpy().copy(), logits=logits.numpy().copy(),
            probs=torch.softmax(logits, -1).numpy(), step_probs=step_probs, class_names=list(class_names))

    def _recompute(self, U, h, layer, direction):
        """Fast path for one layer and direction: every gate for all t at once from U (T, D) and h (T, H).

        The same equations as the cells above, with time as the batch axis; the oracle tests check
        that both paths agree to 1e-5.
        """
        W_ih, b_ih, W_hh, b_hh = self.weights(layer, direction)
        H, cell = self.cfg.hidden_size, self.cfg.cell
        if direction:  # the right-to-left cell runs in reversed time
            U, h = U.flip(0), h.flip(0)
        h_prev = torch.cat([h.new_zeros(1, H), h[:-1]])  # (T, H): h_{t-1} in the cell's reading order
        Wx, Wh = U @ W_ih.T, h_prev @ W_hh.T  # (T, kH): every gate block's W_i x_t and W_h h_{t-1}
        parts = torch.stack([Wx, b_ih.expand_as(Wx), Wh, b_hh.expand_as(Wh)])  # (4, T, kH)
        pre = Wx + b_ih + Wh + b_hh  # (T, kH)
        c = None
        if cell == "rnn":
            gates = pre  # a_t; h_t = tanh(a_t)
        elif cell == "lstm":
            gates = torch.sigmoid(pre)  # i, f, o = σ(...)
            gates[:, 2 * H:3 * H] = torch.tanh(pre[:, 2 * H:3 * H])  # g = tanh(...)
            i, f, g = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H]
            c = torch.from_numpy(linear_scan(f.double().numpy(), (i * g).numpy()))  # c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
        else:
            gates = torch.sigmoid(pre)  # r, z = σ(...)
            r = gates[:, :H]
            gates[:, 2 * H:] = torch.tanh(Wx[:, 2 * H:] + b_ih[2 * H:] + r * (Wh[:, 2 * H:] + b_hh[2 * H:]))  # n
        return (h.flip(0) if direction else h), self._cell_trace(h, c, gates, parts, direction)

    def _explicit(self, U, layer, direction, iv: Intervention | None = None, keep: list | None = None):
        """Slow path: step the explicit cell t = 1..T. Differentiable unless under no_grad.

        `keep`, if given, collects every h_t tensor (for gradients through time).
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
        parts = torch.stack([Wx, W[1].expand_as(Wx), Wh, W[3].expand_as(Wh)])  # (4, T, kH)
        c_seq = torch.stack(cs) if self.cfg.cell == "lstm" else None
        out = h_seq.flip(0) if direction else h_seq
        return out, self._cell_trace(h_seq, c_seq, gates, parts, direction)

    def _cell_trace(self, h, c, gates, parts, direction) -> CellTrace:
        """Package one cell's tensors (in its reading order) as numpy arrays in time order."""
        def arr(t, axis=0):
            t = t.detach()
            return (t.flip(axis) if direction else t).numpy().copy()  # copy: never a view of a parameter
        return CellTrace(
            hidden=arr(h), h0=np.zeros(self.cfg.hidden_size, dtype=np.float32),
            cell=None if c is None else arr(c), gate_names=GATES[self.cfg.cell],
            gate_values=arr(gates), parts=arr(parts, axis=1), reverse=bool(direction))

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


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
