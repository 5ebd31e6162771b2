"""Listen, attend and spell: a small speech recogniser whose attention walks across the spectrogram.

Listener (encoder) over log-mel frames x_1..x_T (T, F):

    x̂_t   = (x_t − μ) / σ                                  per utterance and band: loudness and voice fall out
    z     = ReLU(Conv_k5,stride2(x̂))                       halves time
    z'    = ReLU(Conv_k3,stride2(z))                       halves it again: S = ⌈T / 4⌉ encoder frames (80 ms each)
    h_j   = [h→_j; h←_j] = BiGRU(z')_j                      (2·He) the annotation of encoder frame j

Speller (decoder), one character at a time, i = 1, 2, ...:

    s_i   = GRU([E y_{i−1}; c_{i−1}], s_{i−1})              y_0 = <bos>, c_0 = 0, s_0 = tanh(W_init mean_j h_j)
    f_i   = Φ * α_{i−1}                                      location features: Lf filters over last step's weights
    e_ij  = vᵀ tanh(W_s s_i + W_h h_j + W_f f_ij + b)         location-aware scoring (Chorowski et al. 2015)
    α_ij  = exp(e_ij) / Σ_j' exp(e_ij')                      α_0 = all weight on frame 1
    c_i   = Σ_j α_ij h_j
    h̃_i  = tanh(W_c [c_i; s_i])
    p(y_i | y_<i, x) = softmax(W_o h̃_i + b_o)

Without location (`location_aware=False`) the W_f f_ij term is dropped: content-only scoring, whose
alignments were less monotonic (shared/MEASURED.md). Seeing where it looked last step lets the model
learn "move a little to the right".

    model = LAS(LASConfig(vocab_size=len(char_vocab())))
    logits, loss = model((x, lengths, tgt_in), targets)          # teacher forcing
    ids, weights = model.greedy(x, lengths, max_len=40)         # batched greedy decoding
    trace = model.trace(features, vocab)                        # greedy (or beam) and every internal

`forward`, `greedy`, `beam_search` and `trace` all run the decoder through the one `_step`; `trace`
re-runs the chosen characters under teacher forcing, so its logits are forward's logits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqviz.vocab import BOS_ID, EOS_ID, IGNORE, PAD_ID  # noqa: E402,F401 - char_vocab(): <pad>, <bos>, <eos> first
TOP_K = 5
REDUCTION = 4  # input frames per encoder frame (two stride-2 convolutions)


@dataclass(frozen=True)
class LASConfig:
    vocab_size: int  # V: characters, ids 0, 1, 2 are <pad>, <bos>, <eos>
    n_mels: int = 16  # F: log-mel bands of an input frame
    conv_channels: int = 48  # C: channels of both convolutions
    encoder_hidden_size: int = 48  # He: units per direction of the BiGRU; h_j has 2·He
    embed_size: int = 24  # E: size of a character embedding
    hidden_size: int = 96  # H: decoder units (s_i, h̃_i)
    attention_size: int = 48  # A: width of the scorer's tanh layer
    location_filters: int = 8  # Lf: filters Φ over the previous weights α_{i−1}
    location_kernel: int = 7  # width of each filter, in encoder frames (odd)
    location_aware: bool = True  # False: content-only scoring (no W_f f_ij term)

    @property
    def num_classes(self) -> int:
        return self.vocab_size


@dataclass(frozen=True)
class Encoded:
    annotations: torch.Tensor  # (B, S, 2He)  h_j, zeros on padding
    keys: torch.Tensor  # (B, S, A)  W_h h_j + b, computed once
    mask: torch.Tensor  # (B, S)  True on real encoder frames
    s0: torch.Tensor  # (B, H)


@dataclass(frozen=True)
class Step:
    state: torch.Tensor  # (B, H)  s_i
    scores: torch.Tensor  # (B, S)  e_ij
    weights: torch.Tensor  # (B, S)  α_ij
    context: torch.Tensor  # (B, 2He)  c_i
    logits: torch.Tensor  # (B, V)


@dataclass(frozen=True)
class LASTrace:
    """One utterance and one output. T input frames, S = ⌈T/4⌉ encoder frames, L output characters
    (the last is <eos> when the model finished)."""

    output_tokens: list[str]  # (L,)  y_1..y_L
    weights: np.ndarray  # (L, S)  α_ij, rows sum to 1
    scores: np.ndarray  # (L, S)  e_ij before the softmax
    encoder_states: np.ndarray  # (S, 2He)  h_j
    decoder_states: np.ndarray  # (L, H)  s_i
    logits: np.ndarray  # (L, V)
    top_tokens: list[list[str]]  # (L, 5) likeliest characters at each step
    top_probs: np.ndarray  # (L, 5)
    log_prob: float  # Σ_i log p(y_i | y_<i, x)
    input_frames: int  # T
    forced: bool  # True when the output was given (teacher forcing)

    @property
    def text(self) -> str:
        """The transcript: the characters before <eos>."""
        toks = self.output_tokens[:-1] if self.output_tokens and self.output_tokens[-1] == "<eos>" else self.output_tokens
        return "".join(toks)

    @property
    def argmax(self) -> np.ndarray:
        """(L,) the encoder frame with the largest weight for each output character."""
        return self.weights.argmax(axis=1)


class LAS(nn.Module):
    """Convolution + BiGRU listener, GRU speller with location-aware additive attention."""

    architecture = "las-speech"

    def __init__(self, cfg: LASConfig):
        super().__init__()
        self.cfg = cfg
        C, He, E, H, A = cfg.conv_channels, cfg.encoder_hidden_size, cfg.embed_size, cfg.hidden_size, cfg.attention_size
        self.conv1 = nn.Conv1d(cfg.n_mels, C, 5, stride=2, padding=2)
        self.conv2 = nn.Conv1d(C, C, 3, stride=2, padding=1)
        self.encoder = nn.GRU(C, He, batch_first=True, bidirectional=True)
        self.init = nn.Linear(2 * He, H)  # W_init
        self.embed = nn.Embedding(cfg.vocab_size, E, padding_idx=PAD_ID)
        self.cell = nn.GRUCell(E + 2 * He, H)  # reads [E y_{i−1}; c_{i−1}]
        self.W_h = nn.Linear(2 * He, A)  # W_h h_j + b
        self.W_s = nn.Linear(H, A, bias=False)
        if cfg.location_aware:
            self.location = nn.Conv1d(1, cfg.location_filters, cfg.location_kernel, padding=cfg.location_kernel // 2,
                                      bias=False)  # Φ
            self.W_f = nn.Linear(cfg.location_filters, A, bias=False)
        self.v = nn.Linear(A, 1, bias=False)
        self.combine = nn.Linear(2 * He + H, H)  # W_c
        self.out = nn.Linear(H, cfg.vocab_size)  # W_o, b_o

    # -- listener ------------------------------------------------------------------------------------
    @staticmethod
    def encoder_lengths(lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = (lengths + 1) // 2
        return half, (half + 1) // 2  # after conv1 ⌈T / 2⌉, after conv2 S = ⌈T / 4⌉

    def encode(self, x: torch.Tensor, lengths: torch.Tensor) -> Encoded:
        """x (B, T, F) log-mel frames, zeros after each utterance's `lengths` (B,) real frames."""
        B, T, _ = x.shape
        frame_mask = (torch.arange(T)[None, :] < lengths[:, None]).float()[:, :, None]  # (B, T, 1)
        n = frame_mask.sum(1, keepdim=True).clamp(min=1)
        mu = (x * frame_mask).sum(1, keepdim=True) / n  # (B, 1, F)
        var = (((x - mu) * frame_mask) ** 2).sum(1, keepdim=True) / n
        xn = (x - mu) / torch.sqrt(var + 1e-5) * frame_mask  # (B, T, F)  x̂, zeros on padding
        half, S_len = self.encoder_lengths(lengths)  # (B,) each
        z = F.relu(self.conv1(xn.transpose(1, 2)))  # (B, C, ⌈T/2⌉)
        z = z * (torch.arange(z.shape[2])[None, :] < half[:, None])[:, None, :]  # padding stays zero, so it
        z = F.relu(self.conv2(z))  # (B, C, S)                                    never changes a real frame
        mask = torch.arange(z.shape[2])[None, :] < S_len[:, None]  # (B, S)
        z = z * mask[:, None, :]
        packed = pack_padded_sequence(z.transpose(1, 2), S_len.cpu(), batch_first=True, enforce_sorted=False)
        out, _ = self.encoder(packed)
        h, _ = pad_packed_sequence(out, batch_first=True, total_length=z.shape[2])  # (B, S, 2He)
        mean = h.sum(1) / S_len[:, None].float()  # (B, 2He)
        return Encoded(h, self.W_h(h), mask, torch.tanh(self.init(mean)))

    def initial(self, enc: Encoded):
        """(s_0, c_0, α_0): α_0 puts all weight on the first frame."""
        B, S, D = enc.annotations.shape
        alpha0 = torch.zeros(B, S)
        alpha0[:, 0] = 1.0
        return enc.s0, torch.zeros(B, D), alpha0

    # -- attention ---------------------------------------------------------------------------------
    def score(self, s: torch.Tensor, alpha_prev: torch.Tensor, enc: Encoded) -> torch.Tensor:
        """e_ij = vᵀ tanh(W_s s_i + W_h h_j + W_f f_ij + b) for one step: (B, S)."""
        pre = self.W_s(s)[:, None, :] + enc.keys  # (B, S, A)
        if self.cfg.location_aware:
            f = self.location(alpha_prev[:, None, :]).transpose(1, 2)  # (B, S, Lf)  f_i = Φ * α_{i−1}
            pre = pre + self.W_f(f)
        return self.v(torch.tanh(pre)).squeeze(-1)  # (B, S)

    # -- one speller step: the only place the decoder is computed ----------------------------------
    def _step(self, y_prev, s_prev, c_prev, alpha_prev, enc: Encoded) -> Step:
        s = self.cell(torch.cat([self.embed(y_prev), c_prev], dim=-1), s_prev)  # (B, H)  s_i
        scores = self.score(s, alpha_prev, enc)  # (B, S)  e_ij
        alpha = torch.softmax(scores.masked_fill(~enc.mask, float("-inf")), dim=-1)  # (B, S)  α_ij
        c = (alpha[:, :, None] * enc.annotations).sum(1)  # (B, 2He)  c_i
        h_tilde = torch.tanh(self.combine(torch.cat([c, s], dim=-1)))  # (B, H)  h̃_i
        return Step(s, scores, alpha, c, self.out(h_tilde))

    def _teacher_forced(self, enc: Encoded, tgt_in: torch.Tensor) -> list[Step]:
        s, c, alpha = self.initial(enc)
        steps = []
        for i in range(tgt_in.shape[1]):
            st = self._step(tgt_in[:, i], s, c, alpha, enc)
            steps.append(st)
            s, c, alpha = st.state, st.context, st.weights
        return steps

    # -- training contract -------------------------------------------------------------------------
    def forward(self, x, lengths=None, tgt_in=None, targets=None):
        """Teacher forcing: x (B, T, F), lengths (B,), tgt_in (B, L) = <bos> y_1..; targets (B, L) =
        y_1 .. <eos> with IGNORE on padding -> logits (B, L, V), mean cross-entropy (or None).
        Also accepts forward((x, lengths, tgt_in), targets), the batches TrainingRun feeds."""
        if isinstance(x, (tuple, list)):
            (x, lengths, tgt_in), targets = x, lengths
        steps = self._teacher_forced(self.encode(x, lengths), tgt_in)
        logits = torch.stack([st.logits for st in steps], dim=1)  # (B, L, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)
        return logits, loss

    # -- decoding ---------------------------------------------------------------------------------
    @torch.no_grad()
    def greedy(self, x: torch.Tensor, lengths: torch.Tensor, max_len: int = 40):
        """Batched greedy decoding -> ids (B, L') (after <eos>: <pad>) and weights (B, L', S)."""
        enc = self.encode(x, lengths)
        s, c, alpha = self.initial(enc)
        B = x.shape[0]
        y = torch.full((B,), BOS_ID, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        ids, weights = [], []
        for _ in range(max_len):
            st = self._step(y, s, c, alpha, enc)
            y = st.logits.argmax(-1)
            ids.append(torch.where(done, torch.full_like(y, PAD_ID), y))
            weights.append(st.weights)
            done = done | (y == EOS_ID)
            s, c, alpha = st.state, st.context, st.weights
            if done.all():
                break
        return torch.stack(ids, 1), torch.stack(weights, 1)

    @torch.no_grad()
    def beam_search(self, x: torch.Tensor, beam: int = 3, max_len: int = 40) -> tuple[list[int], float]:
        """One utterance x (T, F): keep the `beam` likeliest partial transcripts by total log-probability;
        stop when the best finished one beats every open one. Returns (ids ending in <eos> if finished,
        log-probability). Width 1 is greedy decoding."""
        enc1 = self.encode(x[None], torch.tensor([len(x)]))
        s, c, alpha = self.initial(enc1)
        hyps: list[tuple[list[int], float]] = [([], 0.0)]
        finished: list[tuple[list[int], float]] = []
        y = torch.tensor([BOS_ID])
        for _ in range(max_len):
            n = len(hyps)
            enc = Encoded(enc1.annotations.expand(n, -1, -1), enc1.keys.expand(n, -1, -1), enc1.mask.expand(n, -1),
                          enc1.s0.expand(n, -1))
            st = self._step(y, s, c, alpha, enc)
            logp = torch.log_softmax(st.logits, -1)  # (n, V)
            total = torch.tensor([h[1] for h in hyps])[:, None] + logp
            best = torch.topk(total.flatten(), min(beam, total.numel()))
            keep = []
            for value, index in zip(best.values.tolist(), best.indices.tolist()):
                parent, tok = divmod(index, logp.shape[1])
                ids = hyps[parent][0] + [tok]
                (finished.append((ids, value)) if tok == EOS_ID else keep.append((parent, ids, value)))
            if not keep or (finished and max(f[1] for f in finished) >= keep[0][2]):
                break
            rows = torch.tensor([p for p, _, _ in keep])
            s, c, alpha = st.state[rows], st.context[rows], st.weights[rows]
            y = torch.tensor([ids[-1] for _, ids, _ in keep])
            hyps = [(ids, v) for _, ids, v in keep]
        ids, value = max(finished or hyps, key=lambda f: f[1])
        return ids, float(value)

    # -- teaching contract -----------------------------------------------------------------------------
    @torch.no_grad()
    def trace(self, features: np.ndarray, vocab, target: str | None = None, beam: int = 1,
              max_len: int = 40) -> LASTrace:
        """Every internal for one utterance (features (T, F)). With `target` (a transcript) the speller is
        teacher-forced on it plus <eos>; otherwise it decodes (greedy, or beam search for beam > 1) and
        the chosen characters are fed back through the same steps as forward."""
        x = torch.as_tensor(np.asarray(features, dtype=np.float32))
        if x.dim() != 2 or len(x) < 1 or x.shape[1] != self.cfg.n_mels:
            raise ValueError(f"features must be (frames, {self.cfg.n_mels})")
        lengths = torch.tensor([len(x)])
        if target is not None:
            out_ids = vocab.encode(list(target)) + [EOS_ID]
        elif beam > 1:
            out_ids, _ = self.beam_search(x, beam, max_len)
        else:
            ids, _ = self.greedy(x[None], lengths, max_len)
            out_ids = [i for i in ids[0].tolist() if i != PAD_ID]
        enc = self.encode(x[None], lengths)
        steps = self._teacher_forced(enc, torch.tensor([[BOS_ID, *out_ids[:-1]]]))

        def stack(name):
            return torch.cat([getattr(st, name) for st in steps], 0).numpy()

        logits = stack("logits")
        logp = torch.log_softmax(torch.from_numpy(logits), -1)
        top = torch.topk(logp.exp(), min(TOP_K, logits.shape[1]), dim=-1)
        return LASTrace(
            output_tokens=vocab.decode(out_ids), weights=stack("weights"), scores=stack("scores"),
            encoder_states=enc.annotations[0].numpy(), decoder_states=stack("state"), logits=logits,
            top_tokens=[vocab.decode(r) for r in top.indices.tolist()], top_probs=top.values.numpy(),
            log_prob=float(logp[torch.arange(len(out_ids)), torch.tensor(out_ids)].sum()),
            input_frames=len(x), forced=target is not None,
        )


LAS.config_class = LASConfig


def decode_ids(ids: list[int], vocab) -> str:
    """The transcript of a row of output ids: characters up to <eos>."""
    out = []
    for i in ids:
        if i in (EOS_ID, PAD_ID):
            break
        out.append(vocab.idx_to_token[i])
    return "".join(out)


@torch.no_grad()
def evaluate_speech(model: LAS, data, items: list, vocab, chunk: int = 64, max_len: int = 40) -> dict:
    """Greedy transcripts of `items` (Utterances of `data`): CER overall, by split, voice and speed; the
    share of utterances whose attention argmax never moves back (tolerance 0 and 1 encoder frame,
    characters before <eos>); and per-utterance hypotheses."""
    from seqviz.tasks.speech import cer, collate, monotonic

    model.eval()
    hyps, mono0, mono1 = [], [], []
    for start in range(0, len(items), chunk):
        part = items[start:start + chunk]
        (x, lengths, _), _ = collate(data, part, vocab)
        ids, weights = model.greedy(x, lengths, max_len)
        for b in range(len(part)):
            text = decode_ids(ids[b].tolist(), vocab)
            hyps.append(text)
            arg = weights[b, : len(text)].argmax(-1).numpy()  # one frame per character before <eos>
            mono0.append(monotonic(arg, 0))
            mono1.append(monotonic(arg, 1))

    def group(key):
        out = {}
        for value in sorted({key(u) for u in items}):
            idx = [k for k, u in enumerate(items) if key(u) == value]
            out[str(value)] = {"cer": cer([hyps[k] for k in idx], [items[k].text for k in idx]), "utterances": len(idx)}
        return out

    refs = [u.text for u in items]
    return {
        "cer": cer(hyps, refs),
        "utterance_accuracy": float(np.mean([h == r for h, r in zip(hyps, refs)])),
        "monotonic": float(np.mean(mono0)),
        "monotonic_within_1": float(np.mean(mono1)),
        "by_split": group(lambda u: u.split),
        "by_voice": group(lambda u: u.voice),
        "by_speed": group(lambda u: u.speed),
        "utterances": len(items),
        "hypotheses": hyps,
    }
