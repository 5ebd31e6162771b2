"""Transformer benchmark: the cost of a trace against the plain forward of the same model, same run.

Run: .venv/bin/python bench/bench_transformer.py   (part of `make bench`; about half a minute)

One torch thread (as the app). Every figure is a ratio against a reference timed in the same process:
1. the shipped translation transformer: trace teacher-forced on a given output vs forward on the same
   source and target (target: at most 2x); trace with its own greedy decoding vs translate() alone;
2. a decoder-only TransformerLM (random weights, 2 layers, 4 heads, D 64, 64 tokens): trace vs forward;
3. our MultiHeadAttention (weights returned) vs torch.nn.MultiheadAttention and
   F.scaled_dot_product_attention on the same input (what writing attention out costs);
4. one training step of the transformer recipe vs the GRU-with-attention recipe, same batch size.
Falls back to random weights when the shipped checkpoint has not been built.
"""

from __future__ import annotations

import statistics
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from seqviz.checkpoints import CheckpointError  # noqa: E402
from seqviz.models.transformer import (BOS_ID, MultiHeadAttention, TransformerLM, TransformerLMConfig,  # noqa: E402
                                       TransformerSeq2Seq, TransformerSeq2SeqConfig, causal_mask)
from seqviz.tasks import TranslationTask  # noqa: E402

torch.set_num_threads(1)
torch.set_flush_denormal(True)


def best_of(fn, number: int, repeat: int = 7) -> float:
    """Seconds per call: the median of `repeat` timings of `number` calls (robust to a busy machine)."""
    return statistics.median(timeit.repeat(fn, number=number, repeat=repeat)) / number


def seq2seq() -> None:
    task = TranslationTask()
    vocab, target_vocab = task.vocab(), task.target_vocab()
    try:
        from seqviz import labs

        model, origin = labs.load("translation-transformer").model, "shipped"
    except CheckpointError:
        torch.manual_seed(0)
        model, origin = TransformerSeq2Seq(TransformerSeq2SeqConfig(len(vocab), len(target_vocab))).eval(), "random"
    pair = max(task.dataset(40, 1234, split="test"), key=lambda p: len(p.source))
    ids, words = vocab.encode(pair.source), list(pair.source)
    target = list(pair.target) + ["<eos>"]
    src = torch.tensor([ids])
    tgt_in = torch.tensor([[BOS_ID, *target_vocab.encode(target[:-1])]])

    def forward():
        with torch.no_grad():
            model(src, tgt_in)

    t_fwd = best_of(forward, 50)
    t_trace = best_of(lambda: model.trace(ids, words, target_vocab, target=target), 50)
    t_translate = best_of(lambda: model.translate(ids, target_vocab, max_len=2 * len(ids) + 5), 5)
    t_full = best_of(lambda: model.trace(ids, words, target_vocab, max_len=2 * len(ids) + 5), 5)
    print(f"translation transformer ({origin}), S={len(ids)}, T={len(target)}:")
    print(f"  forward {t_fwd * 1e3:.2f} ms, trace (teacher-forced) {t_trace * 1e3:.2f} ms: "
          f"trace/forward = {t_trace / t_fwd:.2f}x (target <= 2x)")
    print(f"  greedy translate {t_translate * 1e3:.1f} ms, trace with its own decoding {t_full * 1e3:.1f} ms: "
          f"{t_full / t_translate:.2f}x")


def language_model() -> None:
    torch.manual_seed(0)
    lm = TransformerLM(TransformerLMConfig(vocab_size=64, block_size=128, n_layer=2, n_head=4, n_embd=64)).eval()
    ids = torch.randint(0, 64, (64,)).tolist()
    x = torch.tensor([ids])
    tokens = [str(i) for i in ids]

    def forward():
        with torch.no_grad():
            lm(x)

    t_fwd = best_of(forward, 100)
    t_trace = best_of(lambda: lm.trace(ids, tokens), 100)
    print(f"TransformerLM (random, L=2, nh=4, D=64), T=64: forward {t_fwd * 1e3:.2f} ms, trace "
          f"{t_trace * 1e3:.2f} ms: trace/forward = {t_trace / t_fwd:.2f}x (target <= 2x)")


def attention() -> None:
    torch.manual_seed(0)
    D, nh, T = 64, 4, 40
    mine = MultiHeadAttention(D, nh).eval()
    ref = nn.MultiheadAttention(D, nh, batch_first=True).eval()
    x = torch.randn(1, T, D)
    allowed, blocked = causal_mask(T), ~causal_mask(T)
    q = k = v = torch.randn(1, nh, T, D // nh)

    def ours():
        with torch.no_grad():
            mine(x, x, allowed)

    def torch_mha():
        with torch.no_grad():
            ref(x, x, x, attn_mask=blocked, need_weights=True, average_attn_weights=False)

    def sdpa():
        with torch.no_grad():
            F.scaled_dot_product_attention(q, k, v, is_causal=True)

    t_ours, t_mha, t_sdpa = best_of(ours, 300), best_of(torch_mha, 300), best_of(sdpa, 300)
    print(f"attention, T={T}, D={D}, nh={nh}: ours (weights returned) {t_ours * 1e6:.0f} us, "
          f"nn.MultiheadAttention (weights returned) {t_mha * 1e6:.0f} us ({t_ours / t_mha:.2f}x), "
          f"SDPA core alone {t_sdpa * 1e6:.0f} us")


def training_speed() -> None:
    """Seconds per training step of the two shipped recipes on the same batches, same process: the
    checkpoints' recorded training seconds come from different builds (and machine loads)."""
    from seqviz import labs
    from seqviz.training import TrainingRun

    times = {}
    rnn = labs.attention.TRANSLATION_RECIPES["translation-attention"]
    for label, recipe in (("transformer", labs.transformers.TRANSLATION_RECIPE), ("GRU + attention", rnn)):
        run = TrainingRun.start(recipe.build_model(), recipe.training_batches(), lr=recipe.lr)
        for _ in run.train(5):  # warm-up
            pass
        times[label] = best_of(lambda: [None for _ in run.train(5)], 1, repeat=5) / 5
    t, r = times["transformer"], times["GRU + attention"]
    print(f"training step (batch 64): transformer {t * 1e3:.0f} ms, GRU + attention {r * 1e3:.0f} ms: "
          f"{t / r:.2f}x; recipes: {labs.transformers.TRANSLATION_RECIPE.steps} vs {rnn.steps} steps")


if __name__ == "__main__":
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread")
    seq2seq()
    language_model()
    attention()
    training_speed()
