"""Tiers 1-3 for the translation models: oracles (GRU steps, attention formulas), invariants
(softmax rows, masking, padding, seeds, decoding), checkpoints (validation, shipped metrics)."""

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from seqviz import labs, zoo
from seqviz.checkpoints import CheckpointError, checkpoint_bytes, parse_checkpoint
from seqviz.models import ARCHITECTURES
from seqviz.models.recurrent import gru_cell
from seqviz.models.seq2seq import (ATTENTIONS, BOS_ID, Seq2Seq, Seq2SeqConfig, attention_agreement,
                                   evaluate_translation)
from seqviz.shipped import ASSETS
from seqviz.tasks.translation import TranslationTask
from seqviz.training import TrainingRun

TASK = TranslationTask()
V, TV = TASK.vocab(), TASK.target_vocab()


def _model(attention, seed=0, score_with="current"):
    torch.manual_seed(seed)
    return Seq2Seq(Seq2SeqConfig(len(V), len(TV), attention, score_with=score_with)).eval()


VARIANTS = [(a, "current") for a in ATTENTIONS] + [("additive", "previous"), ("dot", "previous")]


@pytest.fixture(scope="module")
def shipped():
    return {name: labs.load(name) for name in labs.attention.TRANSLATION_RECIPES}


@pytest.fixture(scope="module")
def sentences():
    return TASK.dataset(12, seed=3, split="test")


# -- tier 1: oracles -------------------------------------------------------------------------------
def test_decoder_gru_step_matches_torch_gru_cell_and_gru():
    m = _model("dot")
    ref_cell = nn.GRUCell(m.cell.input_size, m.cell.hidden_size)
    ref_cell.load_state_dict({k: v.clone() for k, v in m.cell.state_dict().items()})
    ref_gru = nn.GRU(m.cell.input_size, m.cell.hidden_size, batch_first=True)
    with torch.no_grad():
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(ref_gru, f"{name}_l0").copy_(getattr(m.cell, name))
    torch.manual_seed(1)
    xs, h = torch.randn(3, 7, m.cell.input_size), torch.randn(3, m.cell.hidden_size)
    c = m.cell
    with torch.no_grad():
        one, _ = gru_cell(xs[:, 0], h, c.weight_ih, c.bias_ih, c.weight_hh, c.bias_hh)
        assert torch.allclose(one, ref_cell(xs[:, 0], h), atol=1e-5)
        states, s = [], h
        for t in range(xs.shape[1]):
            s, _ = gru_cell(xs[:, t], s, c.weight_ih, c.bias_ih, c.weight_hh, c.bias_hh)
            states.append(s)
        ref, _ = ref_gru(xs, h[None])
    assert torch.allclose(torch.stack(states, 1), ref, atol=1e-5)


@pytest.mark.parametrize("attention, score_with", VARIANTS)
def test_every_traced_number_follows_its_equation(attention, score_with, sentences):
    """Recompute each decoder step in numpy from the trace's inputs and the weights: s_i from the GRU
    (nn.GRUCell), e_ij from the scorer's formula, α = softmax, c_i, h̃_i and the logits; in Luong's
    order s_i asks and the GRU reads h̃_{i-1}, in Bahdanau's s_{i-1} asks and the GRU reads c_i."""
    m = _model(attention, score_with=score_with)
    previous = score_with == "previous"
    p = sentences[4]
    tr = m.trace(V.encode(p.source), list(p.source), TV, target=[*p.target, "<eos>"])
    W = {k: v.detach().numpy().astype(np.float64) for k, v in m.state_dict().items()}
    a = tr.encoder_states.astype(np.float64)  # (S, 2He)
    y_prev = [BOS_ID, *TV.encode(p.target)]
    s_prev, feed = tr.initial_state, np.zeros(m.cfg.hidden_size)
    ref_cell = nn.GRUCell(m.cell.input_size, m.cell.hidden_size)
    ref_cell.load_state_dict(m.cell.state_dict())
    for i in range(len(tr.output_tokens)):
        x = np.concatenate([W["tgt_embed.weight"][y_prev[i]], tr.contexts[i] if previous else feed])
        with torch.no_grad():
            s = ref_cell(torch.tensor(x[None], dtype=torch.float32), torch.tensor(s_prev[None], dtype=torch.float32))[0].numpy()
        assert np.allclose(tr.decoder_states[i], s, atol=1e-5)
        s = tr.decoder_states[i].astype(np.float64)
        query = s_prev.astype(np.float64) if previous else s
        if attention == "none":
            c = tr.summary.astype(np.float64)
        else:
            if attention == "additive":
                e = np.array([W["v.weight"][0] @ np.tanh(W["W_q.weight"] @ query + W["W_k.weight"] @ a_j) for a_j in a])
            else:
                e = np.array([query @ (W["W_k.weight"] @ a_j) / math.sqrt(m.cfg.hidden_size) for a_j in a])
            assert np.allclose(tr.scores[i], e, atol=1e-4)
            alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
            assert np.allclose(tr.weights[0, 0, i], alpha, atol=1e-5)
            c = alpha @ a
        assert np.allclose(tr.contexts[i], c, atol=1e-5)
        h_tilde = np.tanh(W["combine.weight"] @ np.concatenate([c, s]) + W["combine.bias"])
        assert np.allclose(tr.attentional[i], h_tilde, atol=1e-5)
        assert np.allclose(tr.logits[i], W["out.weight"] @ h_tilde + W["out.bias"], atol=1e-4)
        s_prev, feed = tr.decoder_states[i], tr.attentional[i]
    summary = np.concatenate([a[-1, : m.cfg.encoder_hidden_size], a[0, m.cfg.encoder_hidden_size:]])
    assert np.allclose(tr.summary, summary, atol=1e-6)  # m = [h→_S; h←_1]
    assert np.allclose(tr.initial_state, np.tanh(W["init.weight"] @ summary + W["init.bias"]), atol=1e-5)


def test_encoder_matches_torch_gru_on_one_sentence(sentences):
    m = _model("additive")
    ids = torch.tensor([V.encode(sentences[0].source)])
    with torch.no_grad():
        ref, _ = m.encoder(m.src_embed(ids))  # unpacked: the sentence has no padding
        enc = m.encode(ids)
    assert torch.allclose(enc.annotations, ref, atol=1e-6)


# -- tier 2: invariants -------------------------------------------------------------------------------
@pytest.mark.parametrize("attention, score_with", VARIANTS)
def test_forward_and_trace_give_the_same_logits(attention, score_with, sentences):
    m = _model(attention, score_with=score_with)
    for p in sentences[:3]:
        (src, tgt_in), tgt_out = TASK.tensors([p], V, TV)
        with torch.no_grad():
            logits, loss = m(src, tgt_in, tgt_out)
            logits2, loss2 = m((src, tgt_in), tgt_out)  # TrainingRun's (x, y) form
        tr = m.trace(V.encode(p.source), list(p.source), TV, target=[*p.target, "<eos>"])
        assert np.array_equal(logits[0].numpy(), tr.logits)
        assert torch.equal(logits, logits2) and float(loss) == float(loss2)
        assert tr.forced and tr.output_tokens == [*p.target, "<eos>"]


def test_attention_rows_sum_to_one_and_padding_gets_zero(sentences):
    for attention, score_with in VARIANTS[:2] + VARIANTS[3:]:
        m = _model(attention, score_with=score_with)
        (src, tgt_in), _ = TASK.tensors(sentences, V, TV)
        with torch.no_grad():
            steps = m._teacher_forced(m.encode(src), tgt_in)
        w = torch.stack([s.weights for s in steps], 1)  # (B, T, S)
        assert torch.allclose(w.sum(-1), torch.ones(w.shape[:2]), atol=1e-6)
        pad = (src == 0)[:, None, :].expand_as(w)
        assert pad.any() and (w[pad] == 0).all() and (w >= 0).all()


@pytest.mark.parametrize("attention, score_with", VARIANTS)
def test_padding_does_not_change_a_sentence(attention, score_with, sentences):
    m = _model(attention, score_with=score_with)
    (src, tgt_in), tgt_out = TASK.tensors(sentences, V, TV)
    with torch.no_grad():
        batch = m.encode(src)
        logits, _ = m(src, tgt_in, tgt_out)
        for b, p in enumerate(sentences):
            S, T = len(p.source), len(p.target) + 1
            alone = m.encode(src[b:b + 1, :S])
            assert torch.allclose(batch.annotations[b, :S], alone.annotations[0], atol=1e-6)
            assert (batch.annotations[b, S:] == 0).all()
            assert torch.allclose(batch.summary[b], alone.summary[0], atol=1e-6)
            single, _ = m(src[b:b + 1, :S], tgt_in[b:b + 1, :T])
            assert torch.allclose(logits[b, :T], single[0], atol=1e-5)


def test_fixed_seed_gives_identical_traces(sentences):
    p = sentences[2]
    ids = V.encode(p.source)
    t1, t2 = (_model("additive", 5).trace(ids, list(p.source), TV, beam=3, max_len=8) for _ in range(2))
    t3 = _model("additive", 6).trace(ids, list(p.source), TV, beam=3, max_len=8)
    for f in ("weights", "scores", "decoder_states", "contexts", "logits", "top_probs"):
        assert np.array_equal(getattr(t1, f), getattr(t2, f)), f
    assert t1.output_tokens == t2.output_tokens and t1.beam == t2.beam
    assert not np.array_equal(t1.encoder_states, t3.encoder_states)


def test_trace_fields_are_consistent(shipped, sentences):
    ck = shipped["translation-attention"]
    p = sentences[5]
    tr = ck.model.trace(ck.vocab.encode(p.source), list(p.source), ck.target_vocab)
    T, S = len(tr.output_tokens), len(p.source)
    assert tr.weights.shape == (1, 1, T, S) and tr.scores.shape == (T, S) and tr.logits.shape == (T, len(TV))
    assert tr.decoder_states.shape == (T, 128) and tr.contexts.shape == (T, 128) and not tr.forced
    assert tr.query_tokens == tr.output_tokens and tr.key_tokens == list(p.source)
    probs = torch.softmax(torch.tensor(tr.logits), -1).numpy()
    assert np.allclose(np.sort(probs, 1)[:, ::-1][:, :5], tr.top_probs, atol=1e-6)
    assert [row[0] for row in tr.top_tokens] == TV.decode(probs.argmax(1))
    picked = np.log(probs[np.arange(T), TV.encode(tr.output_tokens)])
    assert tr.log_prob == pytest.approx(float(picked.sum()), abs=1e-4)
    assert tr.output_tokens == [*p.target, "<eos>"]  # the shipped model translates a test sentence
    assert vars(ck.model).keys() == vars(labs.load("translation-attention").model).keys()  # nothing stashed
    odd = "cat the sees him him".split()  # outside the grammar: still translated, never an exception
    short = ck.model.trace(ck.vocab.encode(odd), odd, ck.target_vocab, max_len=3)
    assert 1 <= len(short.output_tokens) <= 3 and short.weights.shape[-1] == len(odd)
    with pytest.raises(ValueError):
        ck.model.trace([], [], ck.target_vocab)
    none = shipped["translation-noattention"].model.trace(ck.vocab.encode(p.source), list(p.source), TV)
    assert none.weights is None and none.scores is None and np.allclose(none.contexts, none.summary[None])


@pytest.mark.parametrize("attention, score_with", VARIANTS)
def test_greedy_equals_beam_width_one_and_batched_greedy(attention, score_with, sentences):
    m = _model(attention, score_with=score_with)
    for p in sentences[:4]:
        ids = V.encode(p.source)
        words, score = m.translate(ids, TV, max_len=12)
        beam = m.beam_search(ids, TV, beam=1, max_len=12)
        assert beam.tokens == words and beam.score == pytest.approx(score, abs=1e-4)
        assert all(len(level) == 1 for level in beam.tree)
    (src, _), _ = TASK.tensors(sentences[:4], V, TV)
    out, logp = m.greedy(src, 12)
    for b, p in enumerate(sentences[:4]):
        words, score = m.translate(V.encode(p.source), TV, max_len=12)
        assert TV.decode([i for i in out[b].tolist() if i != 0]) == words
        assert float(logp[b]) == pytest.approx(score, abs=1e-4)


def test_beam_search_scores_and_tree(shipped, sentences):
    ck = shipped["translation-attention"]
    for p in sentences:
        ids = ck.vocab.encode(p.source)
        _, greedy = ck.model.translate(ids, ck.target_vocab, max_len=60)
        result = ck.model.beam_search(ids, ck.target_vocab, beam=4, max_len=60)
        assert result.score >= greedy - 1e-5
        assert all(len(level) <= 4 for level in result.tree)
        # following the parents back from the best finished node spells the best translation
        last = next(i for i, n in enumerate(result.tree[-1]) if n.finished and n.token == "<eos>")
        words, k = [], last
        for depth in range(len(result.tree) - 1, -1, -1):
            node = result.tree[depth][k]
            words.append(node.token)
            if depth:
                assert not result.tree[depth - 1][node.parent].finished
                assert node.score <= result.tree[depth - 1][node.parent].score + 1e-6
            k = node.parent
        if result.tree[-1][last].score == pytest.approx(result.score):
            assert words[::-1] == result.tokens
    tr = ck.model.trace(ids, list(p.source), ck.target_vocab, beam=3)
    assert tr.beam and tr.output_tokens[-1] == "<eos>"


def test_training_run_drives_the_model():
    m = _model("dot", 2)
    batches = TASK.batches(9, 16, V, TV)
    fixed = next(TASK.batches(10, 32, V, TV))
    with torch.no_grad():
        before = float(m(*fixed)[1])
    run = TrainingRun.start(m, batches, lr=1e-2)
    list(run.train(25))
    with torch.no_grad():
        after = float(m(*fixed)[1])
    assert after < before - 0.5


def test_attention_agreement_counts():
    w = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    assert attention_agreement(w, [0, 0, -1]) == (1, 2)


# -- tier 3: checkpoints -------------------------------------------------------------------------------
def test_registered():
    assert ARCHITECTURES["seq2seq-gru"] is Seq2Seq


@pytest.fixture(scope="module")
def files(shipped):
    ck = shipped["translation-attention"]
    return checkpoint_bytes(ck.model, {k: v for k, v in ck.meta.items()
                                       if k not in ("format", "version", "architecture", "config")})


def _expect(files, change, fragment):
    meta = {**json.loads(files[1]), **change}
    with pytest.raises(CheckpointError) as err:
        parse_checkpoint(files[0], json.dumps(meta))
    assert fragment in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_shipped_translation_checkpoints_load_with_both_vocabularies(shipped, files):
    for name, ck in shipped.items():
        assert ck.target_vocab == TV and ck.vocab == V and ck.task == TASK
        assert (ASSETS / f"{name}.safetensors").stat().st_size < 1.5 * 2**20
    assert parse_checkpoint(*files).model.cfg == shipped["translation-attention"].model.cfg


@pytest.mark.parametrize("change, fragment", [
    ("attention", "must be one of ['additive', 'dot', 'none']"),
    ("order", "must be one of ['current', 'previous']"),
    ("bahdanau", "but the config needs"),  # Bahdanau's order reads c_i: another GRU input size
    ("hidden", "but the config needs"),
    ("target_size", "target vocabulary has 83 tokens"),
    ("target_order", "must start with <pad>, <bos> and <eos>"),
    ("target_swap", "does not match the 'translation' task's target vocabulary"),
    ("target_missing", "\"target_vocab\" must be a list of strings"),
])
def test_bad_translation_checkpoints_get_one_sentence(files, change, fragment):
    meta = json.loads(files[1])
    cfg, tv = meta["config"], meta["target_vocab"]
    changes = {
        "attention": {"config": {**cfg, "attention": "transformer"}},
        "order": {"config": {**cfg, "score_with": "next"}},
        "bahdanau": {"config": {**cfg, "score_with": "previous", "encoder_hidden_size": 32}},
        "hidden": {"config": {**cfg, "hidden_size": 64}},
        "target_size": {"config": {**cfg, "target_vocab_size": 90}},
        "target_order": {"target_vocab": [tv[1], tv[0], *tv[2:]]},
        "target_swap": {"target_vocab": [*tv[:3], tv[4], tv[3], *tv[5:]]},
        "target_missing": {"target_vocab": None},
    }[change]
    _expect(files, changes, fragment)


@pytest.mark.parametrize("name", sorted(labs.attention.TRANSLATION_RECIPES))
def test_shipped_translation_reproduces_its_recorded_subset_metrics(name, shipped):
    recipe = labs.attention.TRANSLATION_RECIPES[name]
    recorded = shipped[name].meta["metrics"]["subset"]
    got = recipe.evaluate(shipped[name].model, recipe.subset_size)
    assert set(got) == set(recorded)
    for key, value in got.items():
        if isinstance(value, dict):
            assert value == pytest.approx(recorded[key], abs=1e-6), key
        else:
            assert value == pytest.approx(recorded[key], abs=1e-6), key


def test_shipped_translation_models_meet_the_lesson_targets(shipped):
    att = shipped["translation-attention"].meta["metrics"]
    base = shipped["translation-noattention"].meta["metrics"]
    assert att["exact_match"] >= 0.95 and att["alignment_agreement"] >= 0.90
    assert all(n >= 30 for n in att["sentences_by_length"].values())
    for bucket in ("13-18", "19-24", "25+"):  # longer than 12 words: the baseline is clearly worse
        assert base["exact_match_by_length"][bucket] <= att["exact_match_by_length"][bucket] - 0.2, bucket
    assert "alignment_agreement" not in base


def test_translation_recipe_build_is_deterministic(tmp_path, monkeypatch):
    short = dataclasses.replace(labs.attention.TRANSLATION_RECIPES["translation-attention"], steps=3, test_size=20, subset_size=5)
    monkeypatch.setitem(labs.attention.TRANSLATION_RECIPES, "translation-attention", short)
    m1 = zoo.build("translation-attention", tmp_path / "a", log=lambda *_: None)
    m2 = zoo.build("translation-attention", tmp_path / "b", log=lambda *_: None)
    assert m1 == m2
    a = (tmp_path / "a" / "translation-attention.safetensors").read_bytes()
    assert a == (tmp_path / "b" / "translation-attention.safetensors").read_bytes()
    ck = labs.load("translation-attention", tmp_path / "a")
    assert ck.meta["recipe"]["steps"] == 3 and ck.meta["metrics"]["subset"]["sentences"] == 5
    assert evaluate_translation(ck.model, short.test_pairs(5), V, TV) == ck.meta["metrics"]["subset"]


def test_token_accuracy_by_length_adds_up_to_the_overall_token_accuracy():
    from seqviz.models.seq2seq import evaluate_translation, token_accuracy_by_length

    for name in ("translation-attention", "translation-noattention"):
        ck = labs.load(name)
        pairs = ck.task.dataset(120, 1234, split="test")
        by = token_accuracy_by_length(ck.model, pairs, ck.vocab, ck.target_vocab)
        overall = evaluate_translation(ck.model, pairs, ck.vocab, ck.target_vocab)["token_accuracy"]
        # weight each bucket by its number of target tokens (+1 for <eos>) to get the overall figure back
        tokens = {b: 0 for b in by["token_accuracy_by_length"]}
        for p in pairs:
            from seqviz.tasks.translation import length_bucket
            tokens[length_bucket(len(p.source))] += len(p.target) + 1
        total = sum(tokens.values())
        combined = sum(acc * tokens[b] for b, acc in by["token_accuracy_by_length"].items() if acc is not None) / total
        assert abs(combined - overall) < 1e-9
        assert sum(by["sentences_by_length"].values()) == 120


def test_a_recipes_token_accuracy_is_the_models_on_its_first_test_sentences():
    from seqviz.models.seq2seq import token_accuracy_by_length

    recipe = labs.attention.TRANSLATION_RECIPES["translation-attention"]
    ck = labs.load("translation-attention")
    assert recipe.token_accuracy(ck.model, 80) == token_accuracy_by_length(ck.model, recipe.test_pairs(80), ck.vocab,
                                                                           ck.target_vocab)


def test_a_learners_model_starts_from_the_recipe_or_a_copy_and_checks_on_held_out_sentences():
    ck = labs.load("translation-attention")
    run, meta = labs.attention.start_learner(ck, False, "additive", 3)
    assert run.model.cfg.attention == "additive" and run.origin == "scratch" and run.step == 0
    assert meta == {k: ck.meta[k] for k in ("vocab", "target_vocab", "class_names", "task")}
    again, _ = labs.attention.start_learner(ck, False, "additive", 3)  # seeded: the same weights
    assert all(torch.equal(a, b) for a, b in zip(run.model.state_dict().values(), again.model.state_dict().values()))
    copy, _ = labs.attention.start_learner(ck, True, "none", 0)  # a copy keeps the shipped attention
    assert copy.model is not ck.model and copy.model.cfg == ck.model.cfg and copy.origin == "translation-attention"
    assert labs.attention.check_learner(copy.model, ck) > 0.9 and labs.attention.check_learner(run.model, ck) == 0
    assert labs.attention.learner_label(True, "dot", 0) != labs.attention.learner_label(False, "dot", 0)
    assert labs.attention.chunk_speed([{"steps": 10, "seconds": 3.0}, {"steps": 30, "seconds": 5.0}], 1.0) == 5.0
    assert labs.attention.chunk_speed([], 0.0) is None


def test_a_trace_without_eos_reads_as_its_words():
    from seqviz.models.seq2seq import without_eos

    assert without_eos(["le", "chat", "<eos>"]) == ["le", "chat"] and without_eos(["le"]) == ["le"] and without_eos([]) == []
