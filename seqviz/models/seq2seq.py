"""A GRU encoder-decoder that translates, with or without attention, and shows where it looks.

Encoder: a bidirectional GRU reads the source x_1..x_S; the annotation of word j is both directions'
states side by side, a_j = [h→_j; h←_j] (2·He). The summary m = [h→_S; h←_1] (each direction's last
state) starts the decoder: s_0 = tanh(W_init m).

Decoder, one step i (Luong-style order with input feeding: the GRU steps first, then s_i looks):

    s_i   = GRU([E y_{i-1}; h̃_{i-1}], s_{i-1})        y_0 = <bos>, h̃_0 = 0
    e_ij  = v_a · tanh(W_q s_i + W_k a_j)              "additive" (Bahdanau's scorer)
    e_ij  = (s_i · W_k a_j) / sqrt(H)                  "dot" (scaled dot product with projected keys)
    α_ij  = exp(e_ij) / Σ_j' exp(e_ij')                padding gets α = 0
    c_i   = Σ_j α_ij a_j                               "none": c_i = m, the same summary at every step
    h̃_i  = tanh(W_c [c_i; s_i])
    p(y_i | y_<i, x) = softmax(W_o h̃_i + b_o)

Why s_i and not s_{i-1}: scored with the previous state (Bahdanau's order), determiners learn to look
one word to the left and the attention-vs-gold-alignment agreement stalled near 86% on this task;
stepping the GRU first and scoring with s_i (Luong et al. 2015) reached 97% (shared/MEASURED.md).
The shipped attention model uses that order. Bahdanau's order is here too, for comparing
(`score_with="previous"`, either scorer): the state that has not yet read y_{i-1} asks,

    e_ij = score(s_{i-1}, a_j),  α_ij, c_i as above,  s_i = GRU([E y_{i-1}; c_i], s_{i-1}),  h̃_i as above.

The no-attention baseline is the same network with c_i = m: everything about the source must pass
through one vector, which is what fails on long sentences.

The GRU step is `seqviz.models.recurrent.gru_cell` (PyTorch's equations, oracle-tested); the encoder
uses the fused, packed `nn.GRU`, so padding never changes a sentence's encoding.

    model = Seq2Seq(Seq2SeqConfig(vocab_size=60, target_vocab_size=83, attention="dot"))
    logits, loss = model(src, tgt_in, tgt_out)             # teacher forcing; (B, T, V)
    tokens, score = model.translate(src_ids, max_len=40, beam=1)   # greedy; beam=k for beam search
    trace = model.trace(src_ids, source_tokens, target_vocab)      # every internal, as numpy

`forward`, `translate`, `beam_search` and `trace` all run the decoder through the one `_step`;
`trace` re-runs the chosen output under teacher forcing, so its logits are forward's logits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from seqviz.models.recurrent import IGNORE, PAD_ID, gru_cell

BOS_ID, EOS_ID = 1, 2  # target vocabulary: <pad> (PAD_ID), <bos>, <eos> first (TranslationTask.target_vocab)
ATTENTIONS = ("additive", "dot", "none")
ORDERS = ("current", "previous")  # score with s_i after the GRU step (Luong), or with s_{i-1} before it (Bahdanau)
TOP_K = 5  # next-token candidates kept per output step in a trace


@dataclass(frozen=True)
class Seq2SeqConfig:
    vocab_size: int  # V_s: source words (id 0 is <pad>)
    target_vocab_size: int  # V: target words (ids 0, 1, 2 are <pad>, <bos>, <eos>)
    attention: str = field(default="dot", metadata={"choices": ATTENTIONS})  # how c_i is made; "none": c_i = m
    embed_size: int = 32  # E: size of a word embedding, both languages
    encoder_hidden_size: int = 64  # He: units per encoder direction; a_j has 2·He
    hidden_size: int = 128  # H: decoder units (s_i, h̃_i)
    attention_size: int = 64  # A: width of the additive scorer's tanh layer (unused by "dot" and "none")
    score_with: str = field(default="current", metadata={"choices": ORDERS})  # which decoder state asks; "none" ignores it

    @property
    def bahdanau_order(self) -> bool:
        """True when the scores use s_{i-1} and the GRU reads c_i (no input feeding)."""
        return self.score_with == "previous" and self.attention != "none"

    @property
    def num_classes(self) -> int:
        """Output classes of the read-out: the target vocabulary (checkpoints compare it with the task)."""
        return self.target_vocab_size


@dataclass(frozen=True)
class Encoded:
    """The encoder's output for a batch, reused at every decoder step."""

    annotations: torch.Tensor  # (B, S, 2He)  a_j, zeros on padding
    keys: torch.Tensor | None  # (B, S, A) or (B, S, H): W_k a_j, computed once; None without attention
    summary: torch.Tensor  # (B, 2He)  m = [h→_S; h←_1]
    mask: torch.Tensor  # (B, S)  True on real words


@dataclass(frozen=True)
class Step:
    """What one decoder step computed (batched)."""

    state: torch.Tensor  # (B, H)  s_i
    scores: torch.Tensor | None  # (B, S)  e_ij before softmax (padding not yet masked); None without attention
    weights: torch.Tensor | None  # (B, S)  α_ij
    context: torch.Tensor  # (B, 2He)  c_i
    attentional: torch.Tensor  # (B, H)  h̃_i, fed to the next step
    logits: torch.Tensor  # (B, V)


@dataclass(frozen=True)
class BeamNode:
    token: str  # the word this hypothesis added at this step
    score: float  # cumulative log-probability of the hypothesis up to and including this word
    parent: int  # index of the hypothesis it extends in the previous step's list (-1 at step 0)
    finished: bool  # the word is <eos>: this hypothesis is complete


@dataclass(frozen=True)
class BeamResult:
    tokens: list[str]  # the best finished hypothesis, without <bos>, ending in <eos> if it finished
    score: float  # its total log-probability (no length normalisation)
    tree: list[list[BeamNode]]  # per step, the hypotheses kept (at most the beam width): open ones
    #                             best first, then finished ones; `parent` indexes the previous step's list


@dataclass(frozen=True)
class Seq2SeqTrace:
    """One source sentence and one output, every internal as numpy. Shapes without batch:
    S source words, T output steps (the last is <eos> when the model finished), H, He, V as above."""

    source_tokens: list[str]  # (S,)
    output_tokens: list[str]  # (T,)  y_1..y_T: what was fed back (the model's own words, or the given target)
    attention: str  # "additive", "dot" or "none"
    score_with: str  # "current" (s_i asks, Luong) or "previous" (s_{i-1} asks, Bahdanau)
    weights: np.ndarray | None  # (1, 1, T, S)  α_ij, rows sum to 1 (as DESIGN.md's AttentionTrace); None for "none"
    scores: np.ndarray | None  # (T, S)  e_ij before the softmax (asked by s_i, or s_{i-1} in Bahdanau's order)
    encoder_states: np.ndarray  # (S, 2He)  a_j = [h→_j; h←_j]
    summary: np.ndarray  # (2He,)  m = [h→_S; h←_1]
    decoder_states: np.ndarray  # (T, H)  s_i
    initial_state: np.ndarray  # (H,)  s_0 = tanh(W_init m)
    contexts: np.ndarray  # (T, 2He)  c_i
    attentional: np.ndarray  # (T, H)  h̃_i
    logits: np.ndarray  # (T, V)
    top_tokens: list[list[str]]  # (T, 5)  the five likeliest next words at each step, likeliest first
    top_probs: np.ndarray  # (T, 5)  their probabilities
    log_prob: float  # Σ_i log p(y_i | y_<i, x) of output_tokens
    forced: bool  # True when output_tokens were given (teacher forcing), False when the model chose them
    beam: list[list[BeamNode]] | None  # the beam tree when the output came from beam search (width > 1)

    @property
    def words(self) -> list[str]:
        """The translation: output_tokens without the final <eos>."""
        return without_eos(self.output_tokens)

    # DESIGN.md's AttentionTrace names: the decoder steps ask, the source words answer
    @property
    def query_tokens(self) -> list[str]:
        return self.output_tokens

    @property
    def key_tokens(self) -> list[str]:
        return self.source_tokens


class Seq2Seq(nn.Module):
    """Bidirectional GRU encoder, GRU decoder (Luong order with input feeding, or Bahdanau order),
    additive, dot-product or no attention."""

    architecture = "seq2seq-gru"

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        E, He, H, A = cfg.embed_size, cfg.encoder_hidden_size, cfg.hidden_size, cfg.attention_size
        self.src_embed = nn.Embedding(cfg.vocab_size, E, padding_idx=PAD_ID)  # rows are x_j's vectors
        self.encoder = nn.GRU(E, He, batch_first=True, bidirectional=True)  # a_j = [h→_j; h←_j]
        self.init = nn.Linear(2 * He, H)  # W_init: s_0 = tanh(W_init m)
        self.tgt_embed = nn.Embedding(cfg.target_vocab_size, E, padding_idx=PAD_ID)  # E y_{i-1}
        # the decoder GRU; reads [E y_{i-1}; h̃_{i-1}], or [E y_{i-1}; c_i] in Bahdanau's order
        self.cell = nn.GRUCell(E + (2 * He if cfg.bahdanau_order else H), H)
        if cfg.attention == "additive":
            self.W_k = nn.Linear(2 * He, A, bias=False)  # W_k a_j
            self.W_q = nn.Linear(H, A, bias=False)  # W_q s_i
            self.v = nn.Linear(A, 1, bias=False)  # v_a
        elif cfg.attention == "dot":
            self.W_k = nn.Linear(2 * He, H, bias=False)  # keys live in the decoder's space
        self.combine = nn.Linear(2 * He + H, H)  # W_c: h̃_i = tanh(W_c [c_i; s_i])
        self.out = nn.Linear(H, cfg.target_vocab_size)  # W_o, b_o

    # -- encoder ----------------------------------------------------------------------------------
    def encode(self, src: torch.Tensor) -> Encoded:
        """src (B, S) ids, <pad> (0) after each sentence's last word."""
        mask = src != PAD_ID  # (B, S)
        lengths = mask.sum(1).clamp(min=1)  # (B,)
        packed = pack_padded_sequence(self.src_embed(src), lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.encoder(packed)  # h_n (2, B, He): h→_S and h←_1, each at the sentence's own end
        annotations, _ = pad_packed_sequence(out, batch_first=True, total_length=src.shape[1])  # (B, S, 2He)
        summary = torch.cat([h_n[0], h_n[1]], dim=-1)  # (B, 2He)  m
        keys = self.W_k(annotations) if self.cfg.attention != "none" else None  # (B, S, A|H)
        return Encoded(annotations, keys, summary, mask)

    def initial(self, enc: Encoded) -> tuple[torch.Tensor, torch.Tensor]:
        """(s_0, h̃_0): s_0 = tanh(W_init m) (B, H), h̃_0 = 0 (B, H)."""
        s0 = torch.tanh(self.init(enc.summary))
        return s0, torch.zeros_like(s0)

    # -- attention scores ---------------------------------------------------------------------------
    def score(self, s: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """e_ij for one step: s (B, H), keys (B, S, ·) -> (B, S)."""
        if self.cfg.attention == "additive":
            return self.v(torch.tanh(self.W_q(s)[:, None, :] + keys)).squeeze(-1)  # v_a · tanh(W_q s_i + W_k a_j)
        return (keys @ s[:, :, None]).squeeze(-1) / math.sqrt(self.cfg.hidden_size)  # (s_i · W_k a_j) / sqrt(H)

    # -- one decoder step: the only place the decoder is computed ---------------------------------------
    def _step(self, y_prev: torch.Tensor, s_prev: torch.Tensor, feed: torch.Tensor, enc: Encoded) -> Step:
        """y_prev (B,) ids, s_prev (B, H) s_{i-1}, feed (B, H) h̃_{i-1}; enc for the same B rows."""
        c = self.cell
        if self.cfg.bahdanau_order:  # look first, with s_{i-1}; then the GRU reads what it saw
            scores, weights, context = self._attend(s_prev, enc)
            x = torch.cat([self.tgt_embed(y_prev), context], dim=-1)  # (B, E + 2He)
            s, _ = gru_cell(x, s_prev, c.weight_ih, c.bias_ih, c.weight_hh, c.bias_hh)  # (B, H) s_i
        else:  # step first (input feeding), then s_i looks
            x = torch.cat([self.tgt_embed(y_prev), feed], dim=-1)  # (B, E + H)
            s, _ = gru_cell(x, s_prev, c.weight_ih, c.bias_ih, c.weight_hh, c.bias_hh)  # (B, H) s_i
            scores, weights, context = self._attend(s, enc)
        attentional = torch.tanh(self.combine(torch.cat([context, s], dim=-1)))  # (B, H) h̃_i
        return Step(s, scores, weights, context, attentional, self.out(attentional))

    def _attend(self, query: torch.Tensor, enc: Encoded):
        """(e (B, S), α (B, S), c (B, 2He)) for one decoder state; without attention (None, None, m)."""
        if enc.keys is None:
            return None, None, enc.summary  # c_i = m
        scores = self.score(query, enc.keys)  # (B, S)
        weights = torch.softmax(scores.masked_fill(~enc.mask, float("-inf")), dim=-1)  # (B, S) α_ij
        return scores, weights, (weights[:, :, None] * enc.annotations).sum(1)  # (B, 2He)  Σ_j α_ij a_j

    def _teacher_forced(self, enc: Encoded, tgt_in: torch.Tensor) -> list[Step]:
        s, feed = self.initial(enc)
        steps = []
        for i in range(tgt_in.shape[1]):
            step = self._step(tgt_in[:, i], s, feed, enc)
            steps.append(step)
            s, feed = step.state, step.attentional
        return steps

    # -- training contract ------------------------------------------------------------------------
    def forward(self, src, tgt_in=None, targets=None):
        """Teacher forcing: src (B, S), tgt_in (B, T) = <bos> y_1..; targets (B, T) = y_1.. <eos>
        with IGNORE on padding -> logits (B, T, V), mean cross-entropy (or None).
        Also accepts forward((src, tgt_in), targets), the (x, y) batches TrainingRun feeds."""
        if isinstance(src, (tuple, list)):
            (src, tgt_in), targets = src, tgt_in
        steps = self._teacher_forced(self.encode(src), tgt_in)
        logits = torch.stack([st.logits for st in steps], dim=1)  # (B, T, V)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)
        return logits, loss

    # -- decoding --------------------------------------------------------------------------------------
    @torch.no_grad()
    def greedy(self, src: torch.Tensor, max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Batched greedy decoding: src (B, S) -> ids (B, T') (each row stops after <eos>, then <pad>)
        and the log-probability of each row's words (B,)."""
        enc = self.encode(src)
        s, feed = self.initial(enc)
        B = src.shape[0]
        y = torch.full((B,), BOS_ID, dtype=torch.long)
        done = torch.zeros(B, dtype=torch.bool)
        total = torch.zeros(B)
        out = []
        for _ in range(max_len):
            step = self._step(y, s, feed, enc)
            logp = torch.log_softmax(step.logits, dim=-1)  # (B, V)
            y = logp.argmax(-1)  # (B,)
            total += torch.where(done, torch.zeros(()), logp.gather(1, y[:, None]).squeeze(1))
            out.append(torch.where(done, torch.full_like(y, PAD_ID), y))
            done = done | (y == EOS_ID)
            s, feed = step.state, step.attentional
            if done.all():
                break
        return torch.stack(out, dim=1), total

    @torch.no_grad()
    def beam_search(self, src_ids: list[int], target_vocab, beam: int = 3, max_len: int = 60) -> BeamResult:
        """Keep the `beam` likeliest partial translations (by total log-probability) at each step; a
        hypothesis ending in <eos> is finished. Stops when the best finished hypothesis beats every
        open one (log-probabilities only fall) or after max_len words. Width 1 is greedy decoding."""
        enc1 = self.encode(torch.tensor([src_ids]))
        s, feed = self.initial(enc1)
        hyps = [([], 0.0)]  # (ids, cumulative log-prob) of the open hypotheses
        finished: list[tuple[list[int], float]] = []
        tree: list[list[BeamNode]] = []
        y = torch.tensor([BOS_ID])
        for _ in range(max_len):
            n = len(hyps)
            enc = Encoded(enc1.annotations.expand(n, -1, -1), None if enc1.keys is None else enc1.keys.expand(n, -1, -1),
                          enc1.summary.expand(n, -1), enc1.mask.expand(n, -1))
            step = self._step(y, s, feed, enc)
            logp = torch.log_softmax(step.logits, dim=-1)  # (n, V)
            total = torch.tensor([h[1] for h in hyps])[:, None] + logp  # (n, V)
            flat = total.flatten()
            k = min(beam, flat.numel())
            best = torch.topk(flat, k)  # ties: torch.topk's order, deterministic on one thread
            level, keep = [], []
            for value, index in zip(best.values.tolist(), best.indices.tolist()):
                parent, tok = divmod(index, logp.shape[1])
                ids = hyps[parent][0] + [tok]
                level.append(BeamNode(target_vocab.idx_to_token[tok], value, parent, tok == EOS_ID))
                if tok == EOS_ID:
                    finished.append((ids, value))
                else:
                    keep.append((parent, ids, value))
            tree.append(_reindex(level))
            if not keep or (finished and max(f[1] for f in finished) >= keep[0][2]):
                break
            rows = torch.tensor([p for p, _, _ in keep])
            s, feed = step.state[rows], step.attentional[rows]
            y = torch.tensor([ids[-1] for _, ids, _ in keep])
            hyps = [(ids, v) for _, ids, v in keep]  # the next level's parents index this list
        pool = finished or [(ids, v) for ids, v in hyps]
        ids, value = max(pool, key=lambda f: f[1])
        return BeamResult(target_vocab.decode(ids), float(value), tree)

    @torch.no_grad()
    def translate(self, src_ids: list[int], target_vocab, max_len: int = 60, beam: int = 1) -> tuple[list[str], float]:
        """The model's translation (words, ending in <eos> if it finished) and its log-probability:
        greedy for beam 1, beam search otherwise."""
        if beam > 1:
            result = self.beam_search(src_ids, target_vocab, beam, max_len)
            return result.tokens, result.score
        ids, logp = self.greedy(torch.tensor([src_ids]), max_len)
        ids = [i for i in ids[0].tolist() if i != PAD_ID]
        return target_vocab.decode(ids), float(logp[0])

    # -- teaching contract ----------------------------------------------------------------------------
    @torch.no_grad()
    def trace(self, src_ids: list[int], source_tokens: list[str], target_vocab, target: list[str] | None = None,
              beam: int = 1, max_len: int = 60) -> Seq2SeqTrace:
        """Every internal for one sentence. With `target` (words, <eos> optional) the decoder is teacher-
        forced on it; otherwise it decodes (greedy, or beam search for beam > 1) and the chosen words are
        then fed back through the same steps as forward, so the numbers are the ones that made them."""
        if not src_ids:
            raise ValueError("a trace needs at least one source word")
        tree = None
        if target is None:
            if beam > 1:
                result = self.beam_search(src_ids, target_vocab, beam, max_len)
                words, tree = result.tokens, result.tree
            else:
                words, _ = self.translate(src_ids, target_vocab, max_len)
        else:
            words = list(target)
        if not words:
            raise ValueError("a trace needs at least one output word (max_len >= 1, target not empty)")
        out_ids = target_vocab.encode(words)
        src = torch.tensor([src_ids])  # (1, S)
        tgt_in = torch.tensor([[BOS_ID, *out_ids[:-1]]])  # (1, T): y_{i-1} fed at step i
        enc = self.encode(src)
        steps = self._teacher_forced(enc, tgt_in)

        def stack(name):
            return torch.cat([getattr(st, name) for st in steps], dim=0).numpy()  # (T, ·)

        logits = stack("logits")
        probs = torch.softmax(torch.from_numpy(logits), dim=-1)
        top = torch.topk(probs, min(TOP_K, probs.shape[1]), dim=-1)
        logp = torch.log_softmax(torch.from_numpy(logits), dim=-1)[torch.arange(len(out_ids)), torch.tensor(out_ids)]
        has_attention = self.cfg.attention != "none"
        weights = stack("weights")[None, None] if has_attention else None
        s0, _ = self.initial(enc)
        return Seq2SeqTrace(
            source_tokens=list(source_tokens), output_tokens=list(words), attention=self.cfg.attention,
            score_with=self.cfg.score_with,
            weights=weights, scores=stack("scores") if has_attention else None,
            encoder_states=enc.annotations[0].numpy(), summary=enc.summary[0].numpy(),
            decoder_states=stack("state"), initial_state=s0[0].numpy(), contexts=stack("context"),
            attentional=stack("attentional"), logits=logits,
            top_tokens=[target_vocab.decode(row) for row in top.indices.tolist()], top_probs=top.values.numpy(),
            log_prob=float(logp.sum()), forced=target is not None, beam=tree,
        )


def _reindex(level: list[BeamNode]) -> list[BeamNode]:
    """Open hypotheses first, in score order, then finished ones: the next step's `parent` indices
    count the open hypotheses of this level in this order."""
    return [n for n in level if not n.finished] + [n for n in level if n.finished]


Seq2Seq.config_class = Seq2SeqConfig


def without_eos(tokens: list[str]) -> list[str]:
    """A decoded output as words: the final <eos> dropped (an unfinished output is kept whole)."""
    return list(tokens[:-1]) if tokens and tokens[-1] == "<eos>" else list(tokens)


def attention_agreement(weights: np.ndarray, alignment: list[int] | tuple[int, ...]) -> tuple[int, int]:
    """(hits, counted): target words whose attention argmax is their gold source word, over the words
    that have one (alignment -1 is skipped). weights (T', S) with T' >= len(alignment)."""
    hits = counted = 0
    for i, gold in enumerate(alignment):
        if gold >= 0:
            counted += 1
            hits += int(np.argmax(weights[i]) == gold)
    return hits, counted


@torch.no_grad()
def token_accuracy_by_length(model: Seq2Seq, pairs: list, vocab, target_vocab) -> dict:
    """Teacher-forced token accuracy (argmax = the next reference word, <eos> included) by source-length
    bucket: {"token_accuracy_by_length": {bucket: accuracy or None}, "sentences_by_length": {bucket: n}}."""
    from seqviz.tasks.translation import BUCKET_NAMES, TranslationTask, length_bucket

    model.eval()
    (src, tgt_in), tgt_out = TranslationTask().tensors(pairs, vocab, target_vocab)
    steps = model._teacher_forced(model.encode(src), tgt_in)
    right = (torch.stack([st.logits for st in steps], dim=1).argmax(-1) == tgt_out)  # (B, T)
    real = tgt_out != IGNORE
    counts = {name: [0, 0, 0] for name in BUCKET_NAMES}  # bucket -> [tokens right, tokens, sentences]
    for b, pair in enumerate(pairs):
        c = counts[length_bucket(len(pair.source))]
        c[0] += int((right[b] & real[b]).sum())
        c[1] += int(real[b].sum())
        c[2] += 1
    return {"token_accuracy_by_length": {k: (v[0] / v[1] if v[1] else None) for k, v in counts.items()},
            "sentences_by_length": {k: v[2] for k, v in counts.items()}}


@torch.no_grad()
def evaluate_translation(model: Seq2Seq, pairs: list, vocab, target_vocab, chunk: int = 500) -> dict:
    """Held-out metrics for a list of translation pairs (seqviz.tasks.translation.Pair):
    exact_match (greedy output, <eos> included, equals the reference), the same by source-length
    bucket, token_accuracy (teacher forcing: argmax = the next reference word, <eos> included), mean
    loss, and alignment_agreement (teacher forcing: argmax_j α_ij is the gold source word) when the
    model attends."""
    from seqviz.tasks.translation import BUCKET_NAMES, TranslationTask, length_bucket

    model.eval()
    task = TranslationTask()
    exact, tokens_ok, tokens, loss_sum, hits, counted = 0, 0, 0, 0.0, 0, 0
    by_bucket = {name: [0, 0] for name in BUCKET_NAMES}  # bucket -> [exact, sentences]
    for start in range(0, len(pairs), chunk):
        part = pairs[start:start + chunk]
        (src, tgt_in), tgt_out = task.tensors(part, vocab, target_vocab)
        enc = model.encode(src)
        steps = model._teacher_forced(enc, tgt_in)
        logits = torch.stack([st.logits for st in steps], dim=1)  # (B, T, V)
        real = tgt_out != IGNORE
        loss_sum += float(F.cross_entropy(logits[real], tgt_out[real], reduction="sum"))
        tokens_ok += int(((logits.argmax(-1) == tgt_out) & real).sum())
        tokens += int(real.sum())
        if model.cfg.attention != "none":
            weights = torch.stack([st.weights for st in steps], dim=1).numpy()  # (B, T, S)
            for b, pair in enumerate(part):
                h, c = attention_agreement(weights[b], pair.alignment)
                hits, counted = hits + h, counted + c
        out, _ = model.greedy(src, max_len=2 * src.shape[1] + 5)
        for b, pair in enumerate(part):
            ref = target_vocab.encode(pair.target) + [EOS_ID]
            ok = out[b, :len(ref)].tolist() == ref
            exact += ok
            bucket = by_bucket[length_bucket(len(pair.source))]
            bucket[0] += ok
            bucket[1] += 1
    metrics = {
        "exact_match": exact / len(pairs),
        "exact_match_by_length": {k: (v[0] / v[1] if v[1] else None) for k, v in by_bucket.items()},
        "sentences_by_length": {k: v[1] for k, v in by_bucket.items()},
        "token_accuracy": tokens_ok / tokens,
        "loss": loss_sum / tokens,
        "sentences": len(pairs),
    }
    if model.cfg.attention != "none":
        metrics["alignment_agreement"] = hits / counted
    return metrics
