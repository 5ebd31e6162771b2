"""Tiers 1-3 for the transformer: oracles against PyTorch's own modules with copied weights
(nn.MultiheadAttention, F.scaled_dot_product_attention, nn.TransformerEncoderLayer / DecoderLayer),
invariants (softmax rows, masks, forward == trace, head ablation, padding), checkpoints (the LM's
config has no num_classes; the shipped translation model reproduces its recorded metrics)."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from seqviz import labs
from seqviz.models import parameter_count
from seqviz.checkpoints import CheckpointError, checkpoint_bytes, parse_checkpoint
from seqviz.models import ARCHITECTURES
from seqviz.models.transformer import (BOS_ID, DecoderLayer, EncoderLayer, MultiHeadAttention, TransformerLM,
                                       TransformerLMConfig, TransformerSeq2Seq, TransformerSeq2SeqConfig,
                                       causal_mask, sinusoidal_encoding)
from seqviz.tasks.translation import TranslationTask
from seqviz.training import TrainingRun

TASK = TranslationTask()
V, TV = TASK.vocab(), TASK.target_vocab()
TOL = 1e-5


def _copy_attention(mine: MultiHeadAttention, theirs: nn.MultiheadAttention) -> None:
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([mine.W_q.weight, mine.W_k.weight, mine.W_v.weight]))
        theirs.in_proj_bias.copy_(torch.cat([mine.W_q.bias, mine.W_k.bias, mine.W_v.bias]))
        theirs.out_proj.weight.copy_(mine.W_o.weight)
        theirs.out_proj.bias.copy_(mine.W_o.bias)


def _copy_layer(mine, theirs) -> None:
    _copy_attention(mine.self_attn, theirs.self_attn)
    if hasattr(mine, "cross_attn"):
        _copy_attention(mine.cross_attn, theirs.multihead_attn)
    theirs.linear1.load_state_dict(mine.ffn.linear1.state_dict())
    theirs.linear2.load_state_dict(mine.ffn.linear2.state_dict())
    for name in ("norm1", "norm2", "norm3"):
        if hasattr(mine, name):
            getattr(theirs, name).load_state_dict(getattr(mine, name).state_dict())


def _seq2seq(seed=0, **kw):
    torch.manual_seed(seed)
    return TransformerSeq2Seq(TransformerSeq2SeqConfig(len(V), len(TV), **kw)).eval()


def _lm(seed=0, **kw):
    torch.manual_seed(seed)
    cfg = dict(vocab_size=30, block_size=24, n_layer=2, n_head=4, n_embd=32) | kw
    return TransformerLM(TransformerLMConfig(**cfg)).eval()


@pytest.fixture(scope="module")
def sentences():
    return TASK.dataset(6, seed=3, split="test")


# -- tier 1: oracles -------------------------------------------------------------------------------------
@pytest.mark.parametrize("causal", [False, True])
def test_attention_matches_torch_multihead_attention_outputs_and_weights(causal):
    torch.manual_seed(1)
    D, nh, B, Tq, Tk = 24, 4, 3, 6, 6 if causal else 9
    mine = MultiHeadAttention(D, nh).eval()
    ref = nn.MultiheadAttention(D, nh, batch_first=True).eval()
    _copy_attention(mine, ref)
    xq, xkv = torch.randn(B, Tq, D), torch.randn(B, Tk, D)
    if causal:
        xkv = xq
    padding = torch.zeros(B, Tk, dtype=torch.bool)
    if not causal:
        padding[1, 6:] = True  # True = ignore, PyTorch's convention
    allowed = (~padding)[:, None, None, :]
    attn_mask = None
    if causal:
        allowed = allowed & causal_mask(Tq)
        attn_mask = ~causal_mask(Tq)  # True = not allowed
    with torch.no_grad():
        out = mine(xq, xkv, allowed)
        ref_out, ref_w = ref(xq, xkv, xkv, key_padding_mask=padding, attn_mask=attn_mask, average_attn_weights=False)
    assert torch.allclose(out.output, ref_out, atol=TOL)
    assert torch.allclose(out.weights, ref_w, atol=TOL)


def test_attention_matches_scaled_dot_product_attention():
    torch.manual_seed(2)
    D, nh, B, T = 32, 4, 2, 7
    mine = MultiHeadAttention(D, nh).eval()
    x = torch.randn(B, T, D)
    with torch.no_grad():
        out = mine(x, x, causal_mask(T))
        split = lambda t: t.view(B, T, nh, D // nh).transpose(1, 2)  # noqa: E731
        q, k, v = split(mine.W_q(x)), split(mine.W_k(x)), split(mine.W_v(x))
        heads = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # (B, nh, T, d)
        ref = mine.W_o(heads.transpose(1, 2).reshape(B, T, D))
        # the weights themselves: the same softmax SDPA applies, written out with PyTorch's masking
        ref_w = torch.softmax((q @ k.transpose(-2, -1)) / math.sqrt(D // nh) + torch.full((T, T), float("-inf")).triu(1), -1)
    assert torch.allclose(out.output, ref, atol=TOL)
    assert torch.allclose(out.weights, ref_w, atol=TOL)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_matches_torch_transformer_encoder_layer(norm_first):
    torch.manual_seed(3)
    D, nh, Fw = 32, 4, 64
    mine = EncoderLayer(D, nh, Fw, norm_first).eval()
    ref = nn.TransformerEncoderLayer(D, nh, Fw, dropout=0.0, activation="relu", batch_first=True,
                                     norm_first=norm_first).eval()
    _copy_layer(mine, ref)
    x = torch.randn(3, 8, D)
    padding = torch.zeros(3, 8, dtype=torch.bool)
    padding[2, 5:] = True
    with torch.no_grad():
        out = mine(x, (~padding)[:, None, None, :]).x
        expected = ref(x, src_key_padding_mask=padding)
    assert torch.allclose(out[~padding], expected[~padding], atol=TOL)  # PyTorch's fast path zeroes padded rows


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_matches_torch_transformer_decoder_layer(norm_first):
    torch.manual_seed(4)
    D, nh, Fw, T, S = 32, 4, 64, 6, 9
    mine = DecoderLayer(D, nh, Fw, norm_first).eval()
    ref = nn.TransformerDecoderLayer(D, nh, Fw, dropout=0.0, activation="relu", batch_first=True,
                                     norm_first=norm_first).eval()
    _copy_layer(mine, ref)
    y, memory = torch.randn(2, T, D), torch.randn(2, S, D)
    mem_padding = torch.zeros(2, S, dtype=torch.bool)
    mem_padding[0, 7:] = True
    with torch.no_grad():
        out = mine(y, memory, causal_mask(T), (~mem_padding)[:, None, None, :])
        expected = ref(y, memory, tgt_mask=nn.Transformer.generate_square_subsequent_mask(T),
                       memory_key_padding_mask=mem_padding, tgt_is_causal=True)
    assert torch.allclose(out.x, expected, atol=TOL)


def test_sinusoidal_encoding_follows_its_formula():
    pe = sinusoidal_encoding(50, 16).numpy()
    t, i = np.arange(50)[:, None], np.arange(8)[None, :]
    angle = t / 10000 ** (2 * i / 16)
    assert np.allclose(pe[:, 0::2], np.sin(angle), atol=1e-6)
    assert np.allclose(pe[:, 1::2], np.cos(angle), atol=1e-6)


# -- tier 2: invariants ---------------------------------------------------------------------------------
def test_seq2seq_attention_rows_sum_to_one_and_masks_are_exact_zeros(sentences):
    m = _seq2seq()
    pair = sentences[0]
    tr = m.trace(V.encode(pair.source), list(pair.source), TV, target=list(pair.target) + ["<eos>"])
    for w in (tr.encoder_attention, tr.decoder_attention, tr.cross_attention):
        assert np.allclose(w.sum(-1), 1.0, atol=1e-5)
        assert (w >= 0).all()
    T = len(pair.target) + 1
    above = ~np.tril(np.ones((T, T), dtype=bool))
    assert (tr.decoder_attention[..., above] == 0.0).all()
    assert tr.decoder_attention.shape == (2, 4, T, T)
    assert tr.cross_attention.shape == (2, 4, T, len(pair.source))
    assert tr.encoder_residual.shape == (3, len(pair.source), 64)
    assert tr.encoder_ffn.shape == (2, len(pair.source), 128) and (tr.encoder_ffn >= 0).all()


def test_padded_source_gets_exactly_zero_weight_and_does_not_change_a_sentence(sentences):
    m = _seq2seq()
    pairs = sorted(sentences[:3], key=lambda p: len(p.source))
    (src, tgt_in), _ = TASK.tensors(pairs, V, TV)
    with torch.no_grad():
        run = m._run(src, tgt_in)
        S0, T0 = len(pairs[0].source), len(pairs[0].target) + 1
        alone = m._run(src[:1, :S0], tgt_in[:1, :T0])
    cross = torch.stack([o.cross_weights for o in run.decoder])  # (L, B, nh, T, S)
    assert (cross[:, 0, :, :, S0:] == 0).all()
    assert torch.allclose(run.logits[0, :T0], alone.logits[0], atol=1e-5)


def test_forward_and_trace_give_the_same_logits(sentences):
    m = _seq2seq()
    pair = sentences[1]
    target = list(pair.target) + ["<eos>"]
    tr = m.trace(V.encode(pair.source), list(pair.source), TV, target=target)
    src = torch.tensor([V.encode(pair.source)])
    tgt_in = torch.tensor([[BOS_ID, *TV.encode(target[:-1])]])
    with torch.no_grad():
        logits, _ = m(src, tgt_in)
    assert np.array_equal(logits[0].numpy(), tr.logits)
    lm = _lm()
    ids = [3, 5, 7, 1, 0, 2, 9]
    with torch.no_grad():
        lm_logits, _ = lm(torch.tensor([ids]))
    assert np.array_equal(lm_logits[0].numpy(), lm.trace(ids, [str(i) for i in ids]).logits)


def test_lm_trace_shapes_causal_mask_and_norms():
    lm = _lm(positional="sinusoidal")
    ids = list(range(10))
    tr = lm.trace(ids, [str(i) for i in ids])
    assert tr.attention.shape == (2, 4, 10, 10)
    assert np.allclose(tr.attention.sum(-1), 1, atol=1e-5)
    assert (tr.attention[..., ~np.tril(np.ones((10, 10), dtype=bool))] == 0).all()
    assert tr.ffn.shape == (2, 10, 128)
    assert np.allclose(tr.residual_norms, np.linalg.norm(tr.residual, axis=-1))
    assert np.allclose(tr.positional, sinusoidal_encoding(10, 32).numpy())
    assert np.allclose(tr.probs.sum(-1), 1, atol=1e-5)
    with pytest.raises(ValueError):
        lm.trace(list(range(25)) * 1, ["x"] * 25)


def test_switching_a_head_off_removes_exactly_its_contribution():
    torch.manual_seed(5)
    D, nh, B, T, h = 16, 4, 2, 5, 2
    mine = MultiHeadAttention(D, nh).eval()
    x = torch.randn(B, T, D)
    mask = torch.ones(nh)
    mask[h] = 0.0
    with torch.no_grad():
        full = mine(x, x)
        off = mine(x, x, head_mask=mask)
        d = D // nh
        v = mine.W_v(x).view(B, T, nh, d).transpose(1, 2)
        head_h = full.weights[:, h] @ v[:, h]  # (B, T, d)
        contribution = head_h @ mine.W_o.weight[:, h * d:(h + 1) * d].T  # what head h adds through W^O
    assert torch.allclose(off.output, full.output - contribution, atol=1e-5)
    assert torch.equal(off.weights, full.weights)  # the pattern is still shown; only its output is dropped


def test_ablation_in_models_changes_only_what_it_should(sentences):
    m = _seq2seq(seed=1)
    pair = sentences[2]
    ids, words = V.encode(pair.source), list(pair.source)
    target = list(pair.target) + ["<eos>"]
    base = m.trace(ids, words, TV, target=target)
    enc_off = m.trace(ids, words, TV, target=target, ablate={("encoder", 1, 2)})
    # layer 0 of the encoder is untouched; layer 1's output moves
    assert np.array_equal(base.encoder_residual[1], enc_off.encoder_residual[1])
    assert not np.allclose(base.encoder_residual[2], enc_off.encoder_residual[2])
    cross_off = m.trace(ids, words, TV, target=target, ablate={("cross", 1, 0)})
    assert np.array_equal(base.encoder_residual, cross_off.encoder_residual)  # the encoder never sees it
    assert not np.allclose(base.logits, cross_off.logits)
    assert cross_off.ablated == (("cross", 1, 0),)
    same = m.trace(ids, words, TV, target=target, ablate={("cross", 9, 0), ("decoder", 0, 99)})  # out of range
    assert np.array_equal(base.logits, same.logits)
    lm = _lm()
    seq = [1, 2, 3, 4, 5]
    a, b = lm.trace(seq, list("abcde")), lm.trace(seq, list("abcde"), ablate={(1, 3)})
    assert np.array_equal(a.residual[1], b.residual[1]) and not np.allclose(a.logits, b.logits)


def test_greedy_decoding_agrees_with_its_own_trace(sentences):
    m = _seq2seq(seed=2)
    pair = sentences[3]
    words, logp = m.translate(V.encode(pair.source), TV, max_len=12)
    tr = m.trace(V.encode(pair.source), list(pair.source), TV, max_len=12)
    assert tr.output_tokens == words and not tr.forced
    assert np.array_equal(tr.logits.argmax(-1), np.array(TV.encode(words)))
    assert tr.log_prob == pytest.approx(logp, abs=1e-4)
    batch, _ = m.greedy(torch.tensor([V.encode(pair.source)]), 12)
    assert [i for i in batch[0].tolist() if i] == TV.encode(words)


def test_fixed_seed_gives_identical_models_and_traces(sentences):
    pair = sentences[0]
    a = _seq2seq(seed=7).trace(V.encode(pair.source), list(pair.source), TV, max_len=6)
    b = _seq2seq(seed=7).trace(V.encode(pair.source), list(pair.source), TV, max_len=6)
    assert np.array_equal(a.cross_attention, b.cross_attention) and a.output_tokens == b.output_tokens


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    m = TransformerSeq2Seq(TransformerSeq2SeqConfig(len(V), len(TV), d_model=32, d_ff=64, n_encoder_layers=1,
                                                    n_decoder_layers=1))
    run = TrainingRun.start(m, TASK.batches(1, 32, V, TV), lr=3e-3)
    losses = [e.loss for e in run.train(40)]
    assert np.mean(losses[-5:]) < 0.85 * np.mean(losses[:5])
    assert not m.training


def test_learned_positions_are_parameters_and_sinusoids_are_not():
    learned, fixed = _seq2seq(positional="learned"), _seq2seq(positional="sinusoidal")
    assert parameter_count(learned) - parameter_count(fixed) == 2 * 96 * 64
    assert not any("table_sin" in k for k in fixed.state_dict())


# -- tier 3: checkpoints --------------------------------------------------------------------------------
def test_registered():
    assert ARCHITECTURES["transformer-seq2seq"] is TransformerSeq2Seq
    assert ARCHITECTURES["transformer-lm"] is TransformerLM


def test_checkpoints_round_trip_both_models(sentences):
    m = _seq2seq(seed=3)
    meta = {"vocab": V.to_list(), "target_vocab": TV.to_list(), "class_names": TASK.class_names,
            "task": {"name": "translation", "params": {}}}
    weights, text = checkpoint_bytes(m, meta)
    loaded = parse_checkpoint(weights, text).model
    pair = sentences[0]
    assert loaded.translate(V.encode(pair.source), TV, 8) == m.translate(V.encode(pair.source), TV, 8)
    lm = _lm()
    weights, text = checkpoint_bytes(lm, {"vocab": [f"t{i}" for i in range(30)]})  # no task, no num_classes
    back = parse_checkpoint(weights, text).model
    assert torch.equal(back(torch.tensor([[1, 2, 3]]))[0], lm(torch.tensor([[1, 2, 3]]))[0])


@pytest.mark.parametrize("change, fragment", [
    (lambda c: c.update(positional="rotary"), "positional"),
    (lambda c: c.update(n_head=99), "limit"),
    (lambda c: c.update(norm_first="yes"), "true or false"),
])
def test_bad_transformer_configs_get_one_sentence(change, fragment):
    lm = _lm()
    weights, text = checkpoint_bytes(lm, {"vocab": [f"t{i}" for i in range(30)]})
    meta = json.loads(text)
    change(meta["config"])
    with pytest.raises(CheckpointError, match=fragment):
        parse_checkpoint(weights, json.dumps(meta))


def test_shipped_transformer_reproduces_its_recorded_subset_metrics():
    recipe = labs.transformers.TRANSLATION_RECIPE
    ckpt = labs.load("translation-transformer")
    recorded = ckpt.meta["metrics"]
    again = recipe.evaluate(ckpt.model, recipe.subset_size)
    assert again["exact_match"] == pytest.approx(recorded["subset"]["exact_match"], abs=1e-9)
    assert again["token_accuracy"] == pytest.approx(recorded["subset"]["token_accuracy"], abs=1e-9)
    assert again["loss"] == pytest.approx(recorded["subset"]["loss"], rel=1e-4)
    assert recorded["exact_match"] >= 0.95  # the target, on the whole test split
    assert ckpt.meta["parameters"] == parameter_count(ckpt.model)
    assert ckpt.meta["recipe"]["test_seed"] == labs.attention.TRANSLATION_RECIPES["translation-attention"].test_seed


def test_the_labs_trace_is_the_models_own_and_head_names_round_trip():
    ckpt = labs.load("translation-transformer")
    lab = labs.get("transformers")
    tokens = "he sees them".split()
    got = lab.trace(ckpt, "he sees them", (("cross", 1, 0),))
    direct = ckpt.model.trace(ckpt.vocab.encode(tokens), tokens, ckpt.target_vocab, max_len=2 * len(tokens) + 5,
                              ablate=frozenset({("cross", 1, 0)}))
    assert got.output_tokens == direct.output_tokens and np.array_equal(got.cross_attention, direct.cross_attention)
    cfg = ckpt.model.cfg
    names = labs.transformers.head_names(cfg)
    assert len(names) == cfg.n_head * (cfg.n_encoder_layers + 2 * cfg.n_decoder_layers)
    assert labs.transformers.parse_heads(["decoder 2.3", "encoder 1.1", "cross 9.9", "junk"], cfg) == (
        ("decoder", 1, 2), ("encoder", 0, 0))
    examples = labs.transformers.example_sentences(ckpt.task)
    assert all(ckpt.task.check_text(s, ckpt.vocab).error is None for s in examples.values())
