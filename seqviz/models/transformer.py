"""The transformer, written out: attention with every weight returned, an encoder-decoder that
translates the toy language pair, and a decoder-only language model (a tiny GPT).

Letters as in DESIGN.md: B batch, S source length, T target (or text) length, D = d_model, nh heads,
d = D / nh the head size, F the feed-forward width, V a vocabulary, L layers.

Scaled dot-product attention, one head (Vaswani et al. 2017, eq. 1):

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d) + M) V          M_ij = 0 where allowed, -inf where masked

so a masked position gets exactly 0 after the softmax and every row sums to 1. Multi-head attention
runs nh heads side by side on slices of width d and mixes them with W^O:

    head_h = Attention(X_q W^Q_h, X_kv W^K_h, X_kv W^V_h)         h = 1..nh
    MultiHead(X_q, X_kv) = [head_1; ...; head_nh] W^O               (a head switched off contributes 0)

Position: attention alone ignores word order, so a position vector P_t is added to each embedding,
x_t = E[w_t] + P_t: either learned (a row of a table) or sinusoidal (eq. in `sinusoidal_encoding`).

Feed-forward, applied to each position on its own:  FFN(x) = W_2 ReLU(W_1 x + b_1) + b_2.
Layer norm of a vector x of width D: LN(x) = γ ⊙ (x - μ) / sqrt(σ² + ε) + β, μ and σ² over the D entries.

Encoder layer, post-norm (the original paper and PyTorch's default, `norm_first=False`):

    x = LN_1(x + MultiHead(x, x))                         self-attention: every source word sees every word
    x = LN_2(x + FFN(x))

Decoder layer: the same with a causal mask (target word i sees words 1..i only) and a second
attention whose keys and values are the encoder's output m (the "memory"):

    y = LN_1(y + MultiHead(y, y, causal))                 masked self-attention
    y = LN_2(y + MultiHead(y, m))                         cross-attention (encoder-decoder attention)
    y = LN_3(y + FFN(y))

Pre-norm (`norm_first=True`, GPT-2's order) moves LN before each block, x = x + Block(LN(x)), and
adds a final LN_f; the language model uses it by default because it trains without warm-up tricks.

    model = TransformerSeq2Seq(TransformerSeq2SeqConfig(vocab_size=60, target_vocab_size=83))
    logits, loss = model(src, tgt_in, tgt_out)                         # teacher forcing, (B, T, V)
    words, logp = model.translate(src_ids, target_vocab)               # greedy
    trace = model.trace(src_ids, source_tokens, target_vocab, ablate={("cross", 1, 0)})

    lm = TransformerLM(TransformerLMConfig(vocab_size=40, block_size=64, n_layer=2, n_head=4, n_embd=64))
    logits, loss = lm(idx, targets)                                    # (B, T, V)
    trace = lm.trace(ids, tokens, ablate={(0, 1)})                     # layer 0, head 1 switched off

`forward` and `trace` run through the same `_run` code (the trace only keeps what it computed), and a
test proves their logits equal. Internals are returned, never stored on the module: a shipped model
is shared by every session.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from seqviz.vocab import BOS_ID, EOS_ID, IGNORE, PAD_ID  # noqa: E402,F401 - TranslationTask.target_vocab: <pad>, <bos>, <eos> first
POSITIONALS = ("learned", "sinusoidal")
KINDS = ("encoder", "decoder", "cross")  # the three attentions of the encoder-decoder, for ablation
TOP_K = 5  # next-word candidates kept per output step in a trace


# -- position ---------------------------------------------------------------------------------------
def sinusoidal_encoding(length: int, width: int) -> torch.Tensor:
    """P (length, width):  P[t, 2i] = sin(t / 10000^(2i/D)),  P[t, 2i+1] = cos(t / 10000^(2i/D)).

    Each pair of columns is a clock at its own frequency, so P_{t+k} is a fixed rotation of P_t:
    relative offsets are easy for attention to read."""
    t = torch.arange(length, dtype=torch.float32)[:, None]  # (T, 1)
    two_i = torch.arange(0, width, 2, dtype=torch.float32)  # (D/2,)  2i
    angle = t / torch.pow(10000.0, two_i / width)  # (T, D/2)
    pe = torch.zeros(length, width)
    pe[:, 0::2] = torch.sin(angle)
    pe[:, 1::2] = torch.cos(angle[:, : width // 2])
    return pe


class Positional(nn.Module):
    """P_t for t = 0..T-1: a learned table (`nn.Embedding`) or the fixed sinusoids (a buffer, not saved)."""

    def __init__(self, kind: str, max_len: int, width: int):
        super().__init__()
        self.kind = kind
        if kind == "learned":
            self.table = nn.Embedding(max_len, width)
        else:
            self.register_buffer("table_sin", sinusoidal_encoding(max_len, width), persistent=False)

    def forward(self, length: int) -> torch.Tensor:
        """(length, D)"""
        if self.kind == "learned":
            return self.table.weight[:length]
        return self.table_sin[:length]


# -- attention --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttentionOut:
    output: torch.Tensor  # (B, Tq, D)  MultiHead(X_q, X_kv)
    weights: torch.Tensor  # (B, nh, Tq, Tk)  softmax rows; exactly 0 where masked


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention that returns its weights. W_q, W_k, W_v hold the nh
    heads' projections side by side (head h is columns h·d..(h+1)·d); W_o mixes the heads."""

    def __init__(self, d_model: int, n_head: int):
        super().__init__()
        if d_model % n_head:
            raise ValueError(f"d_model {d_model} is not divisible by n_head {n_head}")
        self.n_head, self.head_size = n_head, d_model // n_head
        self.W_q = nn.Linear(d_model, d_model)  # W^Q for all heads
        self.W_k = nn.Linear(d_model, d_model)  # W^K
        self.W_v = nn.Linear(d_model, d_model)  # W^V
        self.W_o = nn.Linear(d_model, d_model)  # W^O

    def forward(self, x_q: torch.Tensor, x_kv: torch.Tensor, allowed: torch.Tensor | None = None,
                head_mask: torch.Tensor | None = None) -> AttentionOut:
        """x_q (B, Tq, D) asks, x_kv (B, Tk, D) answers. `allowed` (bool, broadcastable to
        (B, nh, Tq, Tk)): False = masked. `head_mask` (nh,) of 1.0 / 0.0: 0 switches a head off
        (its weights are still computed and returned; its output is dropped before W^O)."""
        B, Tq, D = x_q.shape
        Tk, nh, d = x_kv.shape[1], self.n_head, self.head_size
        q = self.W_q(x_q).view(B, Tq, nh, d).transpose(1, 2)  # (B, nh, Tq, d)  Q = X_q W^Q
        k = self.W_k(x_kv).view(B, Tk, nh, d).transpose(1, 2)  # (B, nh, Tk, d)  K = X_kv W^K
        v = self.W_v(x_kv).view(B, Tk, nh, d).transpose(1, 2)  # (B, nh, Tk, d)  V = X_kv W^V
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, nh, Tq, Tk)  Q K^T / sqrt(d)
        if allowed is not None:
            scores = scores.masked_fill(~allowed, float("-inf"))  # + M: -inf where masked
        weights = torch.softmax(scores, dim=-1)  # (B, nh, Tq, Tk)  each row sums to 1
        heads = weights @ v  # (B, nh, Tq, d)  head_h
        if head_mask is not None:
            heads = heads * head_mask[:, None, None]  # a switched-off head contributes nothing
        concat = heads.transpose(1, 2).reshape(B, Tq, D)  # (B, Tq, D)  [head_1; ...; head_nh]
        return AttentionOut(self.W_o(concat), weights)


class FeedForward(nn.Module):
    """FFN(x) = W_2 ReLU(W_1 x + b_1) + b_2, position by position; returns the hidden activations too."""

    def __init__(self, d_model: int, d_ff: int):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)  # W_1, b_1
        self.linear2 = nn.Linear(d_ff, d_model)  # W_2, b_2

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hidden = torch.relu(self.linear1(x))  # (B, T, F)  the activations a page shows
        return self.linear2(hidden), hidden  # (B, T, D), (B, T, F)


# -- layers -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerOut:
    x: torch.Tensor  # (B, T, D)  the residual stream after the layer
    self_weights: torch.Tensor  # (B, nh, T, T)
    cross_weights: torch.Tensor | None  # (B, nh, T, S), decoder layers only
    ffn: torch.Tensor  # (B, T, F)  ReLU(W_1 x + b_1)


class EncoderLayer(nn.Module):
    """Self-attention then feed-forward, each wrapped in a residual and a layer norm (post-norm by
    default, as `nn.TransformerEncoderLayer`). With a causal mask it is also a GPT block."""

    def __init__(self, d_model: int, n_head: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_head)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)

    def forward(self, x: torch.Tensor, allowed: torch.Tensor | None = None,
                head_mask: torch.Tensor | None = None) -> LayerOut:
        if self.norm_first:  # x = x + SA(LN_1(x)); x = x + FFN(LN_2(x))
            h = self.norm1(x)
            att = self.self_attn(h, h, allowed, head_mask)
            x = x + att.output
            f, hidden = self.ffn(self.norm2(x))
            x = x + f
        else:  # x = LN_1(x + SA(x)); x = LN_2(x + FFN(x))
            att = self.self_attn(x, x, allowed, head_mask)
            x = self.norm1(x + att.output)
            f, hidden = self.ffn(x)
            x = self.norm2(x + f)
        return LayerOut(x, att.weights, None, hidden)


class DecoderLayer(nn.Module):
    """Masked self-attention, cross-attention over the encoder's memory, feed-forward; residuals and
    layer norms as `nn.TransformerDecoderLayer`."""

    def __init__(self, d_model: int, n_head: int, d_ff: int, norm_first: bool = False):
        super().__init__()
        self.norm_first = norm_first
        self.self_attn = MultiHeadAttention(d_model, n_head)
        self.cross_attn = MultiHeadAttention(d_model, n_head)
        self.ffn = FeedForward(d_model, d_ff)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)

    def forward(self, y: torch.Tensor, memory: torch.Tensor, causal: torch.Tensor, memory_allowed: torch.Tensor | None,
                self_mask: torch.Tensor | None = None, cross_mask: torch.Tensor | None = None) -> LayerOut:
        """y (B, T, D) target side, memory (B, S, D) the encoder's output; causal (T, T) bool,
        memory_allowed (B, 1, 1, S) bool (False on source padding)."""
        if self.norm_first:
            h = self.norm1(y)
            sa = self.self_attn(h, h, causal, self_mask)
            y = y + sa.output
            ca = self.cross_attn(self.norm2(y), memory, memory_allowed, cross_mask)
            y = y + ca.output
            f, hidden = self.ffn(self.norm3(y))
            y = y + f
        else:
            sa = self.self_attn(y, y, causal, self_mask)  # word i sees words 1..i
            y = self.norm1(y + sa.output)
            ca = self.cross_attn(y, memory, memory_allowed, cross_mask)  # queries: target; keys, values: source
            y = self.norm2(y + ca.output)
            f, hidden = self.ffn(y)
            y = self.norm3(y + f)
        return LayerOut(y, sa.weights, ca.weights, hidden)


def causal_mask(length: int) -> torch.Tensor:
    """(T, T) bool, True on and below the diagonal: position i may attend to positions 0..i."""
    return torch.ones(length, length, dtype=torch.bool).tril()


def _head_masks(ablate, n_layer: int, n_head: int, kind: str | None = None) -> list[torch.Tensor | None]:
    """One (nh,) mask per layer (None where nothing is switched off). `ablate` holds (layer, head)
    pairs, or (kind, layer, head) triples when `kind` is given; out-of-range entries are ignored."""
    masks: list[torch.Tensor | None] = [None] * n_layer
    for item in ablate:
        if kind is not None:
            if len(item) != 3 or item[0] != kind:
                continue
            item = item[1:]
        layer, head = int(item[0]), int(item[1])
        if 0 <= layer < n_layer and 0 <= head < n_head:
            if masks[layer] is None:
                masks[layer] = torch.ones(n_head)
            masks[layer][head] = 0.0
    return masks


def _run_layers(layers, x: torch.Tensor, attn_mask: torch.Tensor, masks: list) -> tuple[torch.Tensor, list, list]:
    """x through a stack of self-attention layers (encoder layers or GPT blocks), each with its head mask:
    the output, every layer's returned internals, and the residual stream at each layer boundary."""
    outs, residual = [], [x]
    for layer, mask in zip(layers, masks):
        o = layer(x, attn_mask, mask)
        x = o.x
        outs.append(o)
        residual.append(x)
    return x, outs, residual


# -- the encoder-decoder ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TransformerSeq2SeqConfig:
    vocab_size: int  # V_s: source words (id 0 is <pad>)
    target_vocab_size: int  # V: target words (ids 0, 1, 2 are <pad>, <bos>, <eos>)
    d_model: int = field(default=64, metadata={"max": 1024})  # D: width of every token vector
    n_head: int = field(default=4, metadata={"max": 16})  # nh: heads per attention; d = D / nh
    n_encoder_layers: int = field(default=2, metadata={"max": 12})  # L_e
    n_decoder_layers: int = field(default=2, metadata={"max": 12})  # L_d
    d_ff: int = field(default=128, metadata={"max": 4096})  # F: feed-forward hidden width
    max_len: int = field(default=96, metadata={"max": 1024})  # longest source or target (positions 0..max_len-1)
    positional: str = field(default="sinusoidal", metadata={"choices": POSITIONALS})  # how P_t is made
    norm_first: bool = False  # False: post-norm (paper, PyTorch default); True: pre-norm

    @property
    def num_classes(self) -> int:
        """Output classes of the read-out: the target vocabulary (checkpoints compare it with the task)."""
        return self.target_vocab_size

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Seq2SeqRun:
    """Everything one pass computed (batched tensors); `forward` keeps the logits, `trace` all of it."""

    logits: torch.Tensor  # (B, T, V)
    encoder: list[LayerOut]  # per encoder layer
    decoder: list[LayerOut]  # per decoder layer
    encoder_residual: list[torch.Tensor]  # L_e + 1 of (B, S, D): the input x^0, then after each layer
    decoder_residual: list[torch.Tensor]  # L_d + 1 of (B, T, D)
    source_positional: torch.Tensor  # (S, D)
    target_positional: torch.Tensor  # (T, D)


@dataclass(frozen=True)
class TransformerTrace:
    """One source sentence and one output, every internal as numpy (shapes without batch).
    S source words, T output steps (y_1..y_T; the last is <eos> when the model finished)."""

    source_tokens: list[str]  # (S,)
    output_tokens: list[str]  # (T,)  y_1..y_T
    input_tokens: list[str]  # (T,)  what the decoder read at each step: <bos>, y_1..y_{T-1}
    encoder_attention: np.ndarray  # (L_e, nh, S, S)  self-attention; rows sum to 1
    decoder_attention: np.ndarray  # (L_d, nh, T, T)  masked self-attention; exactly 0 above the diagonal
    cross_attention: np.ndarray  # (L_d, nh, T, S)  target step i over source word j
    encoder_ffn: np.ndarray  # (L_e, S, F)  ReLU(W_1 x + b_1)
    decoder_ffn: np.ndarray  # (L_d, T, F)
    encoder_residual: np.ndarray  # (L_e + 1, S, D)  x before layer 1, then after each layer
    decoder_residual: np.ndarray  # (L_d + 1, T, D)
    source_positional: np.ndarray  # (S, D)  P_t added to the source embeddings
    target_positional: np.ndarray  # (T, D)
    logits: np.ndarray  # (T, V)
    probs: np.ndarray  # (T,)  p(y_i | y_<i, x) of each output word
    top_tokens: list[list[str]]  # (T, 5)  the five likeliest next words per step
    top_probs: np.ndarray  # (T, 5)
    log_prob: float  # Σ_i log p(y_i | y_<i, x)
    forced: bool  # True when output_tokens were given (teacher forcing)
    ablated: tuple[tuple[str, int, int], ...]  # (kind, layer, head) switched off

    @property
    def words(self) -> list[str]:
        """The translation without its final <eos>."""
        return self.output_tokens[:-1] if self.output_tokens[-1:] == ["<eos>"] else list(self.output_tokens)

    @property
    def encoder_residual_norms(self) -> np.ndarray:
        """(L_e + 1, S)  ||x_t|| at each layer boundary."""
        return np.linalg.norm(self.encoder_residual, axis=-1)

    @property
    def decoder_residual_norms(self) -> np.ndarray:
        """(L_d + 1, T)"""
        return np.linalg.norm(self.decoder_residual, axis=-1)

    def attention(self, kind: str) -> tuple[np.ndarray, list[str], list[str]]:
        """One attention's weights (layers, nh, Tq, Tk) with its query and key words: "encoder" (source on
        source), "decoder" (masked, decoder input on itself) or "cross" (decoder input on source)."""
        if kind == "encoder":
            return self.encoder_attention, self.source_tokens, self.source_tokens
        if kind == "decoder":
            return self.decoder_attention, self.input_tokens, self.input_tokens
        return self.cross_attention, self.input_tokens, self.source_tokens


class TransformerSeq2Seq(nn.Module):
    """Encoder-decoder transformer (Vaswani et al. 2017), small: embeddings + positions, L_e encoder
    layers, L_d decoder layers, a linear read-out over the target vocabulary."""

    architecture = "transformer-seq2seq"

    def __init__(self, cfg: TransformerSeq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        D = cfg.d_model
        self.src_embed = nn.Embedding(cfg.vocab_size, D, padding_idx=PAD_ID)  # E_s
        self.tgt_embed = nn.Embedding(cfg.target_vocab_size, D, padding_idx=PAD_ID)  # E_t
        self.src_pos = Positional(cfg.positional, cfg.max_len, D)
        self.tgt_pos = Positional(cfg.positional, cfg.max_len, D)
        self.encoder = nn.ModuleList(EncoderLayer(D, cfg.n_head, cfg.d_ff, cfg.norm_first) for _ in range(cfg.n_encoder_layers))
        self.decoder = nn.ModuleList(DecoderLayer(D, cfg.n_head, cfg.d_ff, cfg.norm_first) for _ in range(cfg.n_decoder_layers))
        self.enc_norm = nn.LayerNorm(D) if cfg.norm_first else None  # LN_f, pre-norm only
        self.dec_norm = nn.LayerNorm(D) if cfg.norm_first else None
        self.out = nn.Linear(D, cfg.target_vocab_size)  # W_out: logits = y W_out^T + b

    # -- the one pass everything uses -------------------------------------------------------------
    def _encode(self, src: torch.Tensor, ablate=()) -> tuple[torch.Tensor, torch.Tensor, list, list, torch.Tensor]:
        """src (B, S) -> memory (B, S, D), memory_allowed (B, 1, 1, S), layer outputs, residuals, P."""
        S = src.shape[1]
        if S > self.cfg.max_len:
            raise ValueError(f"a source of {S} words is longer than this model's {self.cfg.max_len} positions")
        allowed = (src != PAD_ID)[:, None, None, :]  # (B, 1, 1, S)  padding is never attended to
        pos = self.src_pos(S)  # (S, D)
        x = self.src_embed(src) + pos  # (B, S, D)  x_t = E_s[w_t] + P_t
        masks = _head_masks(ablate, len(self.encoder), self.cfg.n_head, "encoder")
        x, outs, residual = _run_layers(self.encoder, x, allowed, masks)
        if self.enc_norm is not None:
            x = self.enc_norm(x)
        return x, allowed, outs, residual, pos

    def _decode(self, tgt_in: torch.Tensor, memory: torch.Tensor, memory_allowed: torch.Tensor, ablate=()):
        """tgt_in (B, T) = <bos> y_1.. -> logits (B, T, V), layer outputs, residuals, P."""
        T = tgt_in.shape[1]
        if T > self.cfg.max_len:
            raise ValueError(f"an output of {T} words is longer than this model's {self.cfg.max_len} positions")
        causal = causal_mask(T)  # (T, T)
        pos = self.tgt_pos(T)  # (T, D)
        y = self.tgt_embed(tgt_in) + pos  # (B, T, D)
        self_masks = _head_masks(ablate, len(self.decoder), self.cfg.n_head, "decoder")
        cross_masks = _head_masks(ablate, len(self.decoder), self.cfg.n_head, "cross")
        outs, residual = [], [y]
        for layer, sm, cm in zip(self.decoder, self_masks, cross_masks):
            o = layer(y, memory, causal, memory_allowed, sm, cm)
            y = o.x
            outs.append(o)
            residual.append(y)
        if self.dec_norm is not None:
            y = self.dec_norm(y)
        return self.out(y), outs, residual, pos  # (B, T, V)

    def _run(self, src: torch.Tensor, tgt_in: torch.Tensor, ablate=()) -> Seq2SeqRun:
        memory, allowed, enc_outs, enc_res, src_pos = self._encode(src, ablate)
        logits, dec_outs, dec_res, tgt_pos = self._decode(tgt_in, memory, allowed, ablate)
        return Seq2SeqRun(logits, enc_outs, dec_outs, enc_res, dec_res, src_pos, tgt_pos)

    # -- training contract ------------------------------------------------------------------------
    def forward(self, src, tgt_in=None, targets=None):
        """Teacher forcing: src (B, S), tgt_in (B, T) = <bos> y_1..; targets (B, T) = y_1.. <eos>
        with IGNORE on padding -> logits (B, T, V), mean cross-entropy (or None).
        Also accepts forward((src, tgt_in), targets), the (x, y) batches TrainingRun feeds."""
        if isinstance(src, (tuple, list)):
            (src, tgt_in), targets = src, tgt_in
        logits = self._run(src, tgt_in).logits
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)
        return logits, loss

    # -- decoding -----------------------------------------------------------------------------------
    @torch.no_grad()
    def greedy(self, src: torch.Tensor, max_len: int, ablate=()) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched greedy decoding: src (B, S) -> ids (B, T') (each row stops after <eos>, then <pad>)
        and each row's log-probability (B,). The encoder runs once; the decoder re-reads the whole
        prefix at each step (no cache: the model is small and the code stays the training code)."""
        max_len = max(1, min(max_len, self.cfg.max_len))
        memory, allowed, *_ = self._encode(src, ablate)
        B = src.shape[0]
        seq = torch.full((B, 1), BOS_ID, dtype=torch.long)  # (B, 1)  <bos>
        done = torch.zeros(B, dtype=torch.bool)
        total = torch.zeros(B)
        out = []
        for _ in range(max_len):
            logits, *_ = self._decode(seq, memory, allowed, ablate)
            logp = torch.log_softmax(logits[:, -1], dim=-1)  # (B, V)
            y = logp.argmax(-1)  # (B,)
            total += torch.where(done, torch.zeros(()), logp.gather(1, y[:, None]).squeeze(1))
            out.append(torch.where(done, torch.full_like(y, PAD_ID), y))
            done = done | (y == EOS_ID)
            if done.all():
                break
            seq = torch.cat([seq, y[:, None]], dim=1)
        return torch.stack(out, dim=1), total

    @torch.no_grad()
    def translate(self, src_ids: list[int], target_vocab, max_len: int = 60, ablate=()) -> tuple[list[str], float]:
        """The model's greedy translation (words, ending in <eos> if it finished) and its log-probability."""
        ids, logp = self.greedy(torch.tensor([src_ids]), max_len, ablate)
        ids = [i for i in ids[0].tolist() if i != PAD_ID]
        return target_vocab.decode(ids), float(logp[0])

    # -- teaching contract ----------------------------------------------------------------------------
    @torch.no_grad()
    def trace(self, src_ids: list[int], source_tokens: list[str], target_vocab, target: list[str] | None = None,
              max_len: int = 60, ablate=frozenset()) -> TransformerTrace:
        """Every internal for one sentence. `ablate`: (kind, layer, head) triples to switch off, kind in
        "encoder", "decoder", "cross". Without `target` the model decodes greedily (with the ablation),
        then the chosen words go through the same pass as forward, so these are the numbers that made them."""
        if not src_ids:
            raise ValueError("a trace needs at least one source word")
        ablate = tuple(sorted({(str(k), int(l), int(h)) for k, l, h in ablate}))
        words = list(target) if target is not None else self.translate(src_ids, target_vocab, max_len, ablate)[0]
        if not words:
            raise ValueError("a trace needs at least one output word (max_len >= 1, target not empty)")
        out_ids = target_vocab.encode(words)
        tgt_in = torch.tensor([[BOS_ID, *out_ids[:-1]]])  # (1, T)
        run = self._run(torch.tensor([src_ids]), tgt_in, ablate)
        logits = run.logits[0]  # (T, V)
        probs = torch.softmax(logits, dim=-1)
        top = torch.topk(probs, min(TOP_K, probs.shape[1]), dim=-1)
        chosen = probs[torch.arange(len(out_ids)), torch.tensor(out_ids)]  # (T,)

        def stack(outs, name):
            return torch.stack([getattr(o, name)[0] for o in outs]).numpy()

        return TransformerTrace(
            source_tokens=list(source_tokens), output_tokens=list(words),
            input_tokens=["<bos>", *words[:-1]],
            encoder_attention=stack(run.encoder, "self_weights"), decoder_attention=stack(run.decoder, "self_weights"),
            cross_attention=stack(run.decoder, "cross_weights"),
            encoder_ffn=stack(run.encoder, "ffn"), decoder_ffn=stack(run.decoder, "ffn"),
            encoder_residual=torch.stack([r[0] for r in run.encoder_residual]).numpy(),
            decoder_residual=torch.stack([r[0] for r in run.decoder_residual]).numpy(),
            source_positional=run.source_positional.detach().numpy().copy(),
            target_positional=run.target_positional.detach().numpy().copy(),
            logits=logits.numpy(), probs=chosen.numpy(),
            top_tokens=[target_vocab.decode(row) for row in top.indices.tolist()], top_probs=top.values.numpy(),
            log_prob=float(torch.log(chosen).sum()), forced=target is not None, ablated=ablate,
        )


TransformerSeq2Seq.config_class = TransformerSeq2SeqConfig


@torch.no_grad()
def evaluate_transformer_translation(model: TransformerSeq2Seq, pairs: list, vocab, target_vocab,
                                     chunk: int = 500, ablate=()) -> dict:
    """The metrics of seqviz.models.seq2seq.evaluate_translation, for the transformer: exact_match
    (greedy output, <eos> included, equals the reference) overall and by source-length bucket,
    token_accuracy and mean loss under teacher forcing, and the number of sentences."""
    from seqviz.tasks.translation import BUCKET_NAMES, TranslationTask, length_bucket

    model.eval()
    task = TranslationTask()
    exact, tokens_ok, tokens, loss_sum = 0, 0, 0, 0.0
    by_bucket = {name: [0, 0] for name in BUCKET_NAMES}  # bucket -> [exact, sentences]
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        (src, tgt_in), tgt_out = task.tensors(part, vocab, target_vocab)
        logits = model._run(src, tgt_in, ablate).logits  # (B, T, V)
        real = tgt_out != IGNORE
        loss_sum += float(F.cross_entropy(logits[real], tgt_out[real], reduction="sum"))
        tokens_ok += int(((logits.argmax(-1) == tgt_out) & real).sum())
        tokens += int(real.sum())
        out, _ = model.greedy(src, max_len=tgt_in.shape[1] + 5, ablate=ablate)
        for b, pair in enumerate(part):
            ref = target_vocab.encode(pair.target) + [EOS_ID]
            ok = out[b, :len(ref)].tolist() == ref
            exact += ok
            bucket = by_bucket[length_bucket(len(pair.source))]
            bucket[0] += ok
            bucket[1] += 1
    return {
        "exact_match": exact / len(pairs),
        "exact_match_by_length": {k: (v[0] / v[1] if v[1] else None) for k, v in by_bucket.items()},
        "sentences_by_length": {k: v[1] for k, v in by_bucket.items()},
        "token_accuracy": tokens_ok / tokens,
        "loss": loss_sum / tokens,
        "sentences": len(pairs),
    }


# -- the decoder-only language model ------------------------------------------------------------------
@dataclass(frozen=True)
class TransformerLMConfig:
    vocab_size: int = field(metadata={"max": 50_000})  # V: tokens (characters or words)
    block_size: int = field(metadata={"max": 1024})  # longest context the model reads (positions 0..block_size-1)
    n_layer: int = field(metadata={"max": 12})  # L: transformer blocks
    n_head: int = field(metadata={"max": 16})  # nh: heads per block; d = n_embd / n_head
    n_embd: int = field(metadata={"max": 1024})  # D: width of every token vector; the FFN is 4·D wide
    positional: str = field(default="learned", metadata={"choices": POSITIONALS})  # how P_t is made
    norm_first: bool = True  # True: pre-norm GPT block with a final LN_f; False: post-norm

    @property
    def d_ff(self) -> int:
        return 4 * self.n_embd

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class LMTrace:
    """One text through the language model, every internal as numpy (shapes without batch)."""

    tokens: list[str]  # (T,)
    ids: list[int]  # (T,)
    attention: np.ndarray  # (L, nh, T, T)  masked self-attention; exactly 0 above the diagonal
    ffn: np.ndarray  # (L, T, F)  ReLU(W_1 x + b_1), F = 4D
    residual: np.ndarray  # (L + 1, T, D)  x before block 1, then after each block
    positional: np.ndarray  # (T, D)  P_t
    embeddings: np.ndarray  # (T, D)  E[w_t]
    logits: np.ndarray  # (T, V)  row t predicts token t + 1
    ablated: tuple[tuple[int, int], ...]  # (layer, head) switched off

    @property
    def residual_norms(self) -> np.ndarray:
        """(L + 1, T)  ||x_t|| at each block boundary."""
        return np.linalg.norm(self.residual, axis=-1)

    @property
    def probs(self) -> np.ndarray:
        """(T, V)  softmax of the logits: the next-token distribution after each prefix."""
        z = self.logits - self.logits.max(axis=-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class LMRun:
    logits: torch.Tensor  # (B, T, V)
    layers: list[LayerOut]
    residual: list[torch.Tensor]  # L + 1 of (B, T, D)
    positional: torch.Tensor  # (T, D)
    embeddings: torch.Tensor  # (B, T, D)


class TransformerLM(nn.Module):
    """A tiny GPT: token embedding + position, L causal self-attention blocks, a read-out to V."""

    architecture = "transformer-lm"

    def __init__(self, cfg: TransformerLMConfig):
        super().__init__()
        self.cfg = cfg
        D = cfg.n_embd
        self.tok_embed = nn.Embedding(cfg.vocab_size, D)  # E
        self.pos = Positional(cfg.positional, cfg.block_size, D)  # P
        self.blocks = nn.ModuleList(EncoderLayer(D, cfg.n_head, cfg.d_ff, cfg.norm_first) for _ in range(cfg.n_layer))
        self.norm_f = nn.LayerNorm(D) if cfg.norm_first else None  # LN_f
        self.head = nn.Linear(D, cfg.vocab_size)  # W_out

    def _run(self, idx: torch.Tensor, ablate=()) -> LMRun:
        T = idx.shape[1]
        if T > self.cfg.block_size:
            raise ValueError(f"a text of {T} tokens is longer than this model's block_size {self.cfg.block_size}")
        pos = self.pos(T)  # (T, D)
        emb = self.tok_embed(idx)  # (B, T, D)
        x = emb + pos  # x_t = E[w_t] + P_t
        causal = causal_mask(T)  # (T, T)  token t sees tokens 0..t
        masks = _head_masks(ablate, len(self.blocks), self.cfg.n_head)
        x, outs, residual = _run_layers(self.blocks, x, causal, masks)
        if self.norm_f is not None:
            x = self.norm_f(x)
        return LMRun(self.head(x), outs, residual, pos, emb)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        """idx (B, T) ids; targets (B, T) the next ids (IGNORE to skip) -> logits (B, T, V), loss or None."""
        logits = self._run(idx).logits
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)
        return logits, loss

    @torch.no_grad()
    def trace(self, ids: list[int], tokens: list[str], ablate=frozenset()) -> LMTrace:
        """Every internal for one text (1 <= len(ids) <= block_size). `ablate`: (layer, head) pairs
        to switch off; out-of-range pairs are ignored."""
        if not ids:
            raise ValueError("a trace needs at least one token")
        ablate = tuple(sorted({(int(l), int(h)) for l, h in ablate}))
        run = self._run(torch.tensor([ids]), ablate)
        return LMTrace(
            tokens=list(tokens), ids=list(ids),
            attention=torch.stack([o.self_weights[0] for o in run.layers]).numpy(),
            ffn=torch.stack([o.ffn[0] for o in run.layers]).numpy(),
            residual=torch.stack([r[0] for r in run.residual]).numpy(),
            positional=run.positional.detach().numpy().copy(), embeddings=run.embeddings[0].numpy(),
            logits=run.logits[0].numpy(), ablated=ablate,
        )


TransformerLM.config_class = TransformerLMConfig


