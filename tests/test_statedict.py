"""Tiers 1 and 3 for raw PyTorch state dicts (`torch.save(model.state_dict())`): each family is built
with torch, saved, read back through seqviz.statedict and rebuilt from names and shapes alone; the
rebuilt module's forward equals the original's on the same input. Hostile files (pickles that would run
code, whole modules, other objects) are refused with one sentence and never run."""

import pickle

import numpy as np
import pytest
import torch
import torch.nn as nn

from seqviz import statedict as sdm
from seqviz.statedict import Options, StateDictError

ATOL = 1e-5


def _save(tmp_path, obj, name="model.pt"):
    path = tmp_path / name
    torch.save(obj, path)
    return path


def _open(tmp_path, module_or_sd, options=None, name="model.pt"):
    sd = module_or_sd.state_dict() if isinstance(module_or_sd, nn.Module) else module_or_sd
    tensors, notes = sdm.read_state_dict(_save(tmp_path, sd, name))
    return sdm.infer(tensors, options)


def _ids(V, T=7, seed=0):
    return torch.randint(0, V, (1, T), generator=torch.Generator().manual_seed(seed))


# -- recurrent layers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, cell", [(nn.RNN, "rnn"), (nn.LSTM, "lstm"), (nn.GRU, "gru")])
@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, True), (3, False)])
def test_bare_recurrent_layers_rebuild_and_match(tmp_path, cls, cell, layers, bidirectional):
    torch.manual_seed(0)
    ref = cls(5, 8, num_layers=layers, bidirectional=bidirectional, batch_first=True).eval()
    rebuilt = _open(tmp_path, ref, name="rnn.pth")
    assert rebuilt.family == "recurrent" and rebuilt.model.cell == cell and rebuilt.unplaced == []
    assert f"num_layers={layers}" in rebuilt.architecture[0] and f"bidirectional={bidirectional}" in rebuilt.architecture[0]
    ids = _ids(5)
    x = nn.functional.one_hot(ids, 5).float()  # ids enter as one-hot vectors of the input size
    with torch.no_grad():
        expected, _ = ref(x)
        _, got = rebuilt.model(ids)
    torch.testing.assert_close(got, expected, atol=ATOL, rtol=0)


def test_bidirectional_two_layer_lstm_classifier_with_embedding(tmp_path):
    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(30, 6)
            self.lstm = nn.LSTM(6, 10, num_layers=2, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(20, 3)

        def forward(self, ids):
            out, _ = self.lstm(self.embedding(ids))
            return self.fc(out)  # a class per step (a tagger)

    torch.manual_seed(1)
    ref = Classifier().eval()
    rebuilt = _open(tmp_path, ref)
    assert rebuilt.family == "recurrent" and rebuilt.unplaced == [] and rebuilt.input_size == 30
    assert rebuilt.architecture[0].startswith("nn.Embedding(30, 6)") and "nn.Linear(20, 3" in rebuilt.architecture[2]
    ids = _ids(30, 9)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.model(ids)[0], ref(ids), atol=ATOL, rtol=0)
        # the last-step read-out, chosen on the page, equals the tagger's last column
        last = sdm.infer(rebuilt_tensors(tmp_path), Options(readout="last")).model(ids)[0]
        torch.testing.assert_close(last, ref(ids)[:, -1], atol=ATOL, rtol=0)
    # the lessons' views: a seqviz RecurrentNet folding the embedding in gives the same top states and gates
    net = sdm.recurrent_net(rebuilt)
    tr = net.trace(ids[0].tolist(), [str(i) for i in ids[0].tolist()], ["a", "b", "c"])
    with torch.no_grad():
        out, _ = ref.lstm(ref.embedding(ids))
    np.testing.assert_allclose(tr.output, out[0].numpy(), atol=ATOL)
    np.testing.assert_allclose(tr.logits, ref(ids)[0].detach().numpy(), atol=ATOL)
    assert set(tr.first.gates) >= {"i", "f", "g", "o"}


def rebuilt_tensors(tmp_path):
    return sdm.read_state_dict(tmp_path / "model.pt")[0]


@pytest.mark.parametrize("cls", [nn.GRU, nn.RNN])
def test_embedding_recurrent_linear_classifier_on_the_last_step(tmp_path, cls):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(12, 4)
            self.rnn = cls(4, 6, batch_first=True)
            self.out = nn.Linear(6, 2)

    torch.manual_seed(2)
    ref = Net().eval()
    rebuilt = _open(tmp_path, ref, Options(readout="last"))
    ids = _ids(12)
    with torch.no_grad():
        expected = ref.out(ref.rnn(ref.emb(ids))[0][:, -1])
        torch.testing.assert_close(rebuilt.model(ids)[0], expected, atol=ATOL, rtol=0)
        tr = sdm.recurrent_net(rebuilt).trace(ids[0].tolist(), list("abcdefg"), ["neg", "pos"])
    np.testing.assert_allclose(tr.logits[-1], expected[0].numpy(), atol=ATOL)  # per step; the last row


def test_lstm_with_projection_and_relu_rnn_rebuild(tmp_path):
    torch.manual_seed(3)
    ref = nn.LSTM(4, 8, proj_size=3, batch_first=True).eval()
    rebuilt = _open(tmp_path, ref)
    ids = _ids(4)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.model(ids)[1], ref(nn.functional.one_hot(ids, 4).float())[0], atol=ATOL, rtol=0)
    assert sdm.recurrent_net(rebuilt) is None  # projections have no seqviz trace: the page shows the states only
    relu = nn.RNN(4, 5, nonlinearity="relu", batch_first=True).eval()
    rebuilt = _open(tmp_path, relu, Options(nonlinearity="relu"))
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.model(ids)[1], relu(nn.functional.one_hot(ids, 4).float())[0], atol=ATOL, rtol=0)


def test_a_seqviz_recurrent_net_saved_as_a_state_dict(tmp_path):
    from seqviz.models.recurrent import RecurrentConfig, RecurrentNet

    torch.manual_seed(4)
    for output in ("tag", "last"):
        ref = RecurrentNet(RecurrentConfig(vocab_size=9, num_classes=3, cell="gru", hidden_size=7, num_layers=2,
                                           bidirectional=True, output=output)).eval()
        rebuilt = _open(tmp_path, ref, Options(readout=output))
        assert rebuilt.family == "seqviz-recurrent" and rebuilt.unplaced == [] and rebuilt.model.cfg == ref.cfg
        ids = _ids(9)
        with torch.no_grad():
            torch.testing.assert_close(rebuilt.model(ids)[0], ref(ids)[0], atol=ATOL, rtol=0)


def test_keys_it_cannot_place_are_listed_and_wrappers_unwrapped(tmp_path):
    torch.manual_seed(5)
    lstm = nn.LSTM(3, 4)
    sd = {f"module.encoder.{k}": v for k, v in lstm.state_dict().items()}
    sd["module.extra.scale"] = torch.ones(2, 2, 2)
    sd["module.steps"] = torch.tensor(7)
    rebuilt = _open(tmp_path, {"model": sd, "epoch": 3, "optimizer": {"lr": 0.1}})
    assert rebuilt.family == "recurrent"
    assert rebuilt.unplaced == ["extra.scale (2 x 2 x 2, float32)", "steps (scalar, int64)"]
    _, notes = sdm.read_state_dict(tmp_path / "model.pt")
    assert "under 'model'" in notes[0] and "epoch" in notes[0]


def test_half_precision_is_widened(tmp_path):
    torch.manual_seed(6)
    ref = nn.GRU(3, 4, batch_first=True).eval()
    rebuilt = _open(tmp_path, {k: v.half() for k, v in ref.state_dict().items()})
    ids = _ids(3)
    with torch.no_grad():
        ref.load_state_dict({k: v.half().float() for k, v in ref.state_dict().items()})
        torch.testing.assert_close(rebuilt.model(ids)[1], ref(nn.functional.one_hot(ids, 3).float())[0], atol=ATOL, rtol=0)


# -- attention and transformer layers ------------------------------------------------------------------
def test_multihead_attention_rebuilds_with_every_head(tmp_path):
    torch.manual_seed(7)
    ref = nn.MultiheadAttention(8, 2, batch_first=True).eval()
    rebuilt = _open(tmp_path, ref, Options(heads=2))
    assert rebuilt.family == "attention" and rebuilt.unplaced == [] and 2 in rebuilt.choices["heads"]
    ids = _ids(8)
    x = nn.functional.one_hot(ids, 8).float()
    with torch.no_grad():
        out, w = ref(x, x, x, average_attn_weights=False)
        torch.testing.assert_close(rebuilt.model(ids), out, atol=ATOL, rtol=0)
    A = sdm.attention_trace(rebuilt, ids[0].tolist())
    assert A.shape == (1, 2, 7, 7)
    np.testing.assert_allclose(A[0], w[0].numpy(), atol=ATOL)
    np.testing.assert_allclose(A.sum(-1), 1.0, atol=1e-5)


@pytest.mark.parametrize("activation, norm_first", [("relu", False), ("gelu", True)])
def test_transformer_encoder_rebuilds_and_matches(tmp_path, activation, norm_first):
    torch.manual_seed(8)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, activation=activation, norm_first=norm_first,
                                       batch_first=True)
    ref = nn.TransformerEncoder(layer, 3, norm=nn.LayerNorm(16), enable_nested_tensor=False).eval()
    rebuilt = _open(tmp_path, ref, Options(heads=4, activation=activation, norm_first=norm_first))
    assert rebuilt.family == "encoder" and rebuilt.unplaced == [] and len(rebuilt.model.layers) == 3
    assert rebuilt.model.norm is not None
    ids = _ids(16, 6)
    x = nn.functional.one_hot(ids, 16).float()
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.model(ids), ref(x), atol=ATOL, rtol=0)
    A = sdm.attention_trace(rebuilt, ids[0].tolist())
    assert A.shape == (3, 4, 6, 6)
    np.testing.assert_allclose(A.sum(-1), 1.0, atol=1e-5)
    # the first layer's weights are nn.MultiheadAttention's own on that layer's input
    with torch.no_grad():
        h = ref.layers[0].norm1(x) if norm_first else x
        _, w = ref.layers[0].self_attn(h, h, h, average_attn_weights=False)
    np.testing.assert_allclose(A[0], w[0].numpy(), atol=ATOL)


def test_transformer_decoder_with_an_embedding_rebuilds_and_matches(tmp_path):
    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok_embedding = nn.Embedding(20, 8)
            self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, batch_first=True), 2)

        def forward(self, ids):
            x = self.tok_embedding(ids)
            mask = nn.Transformer.generate_square_subsequent_mask(ids.size(1))
            return self.decoder(x, x, tgt_mask=mask, tgt_is_causal=True)

    torch.manual_seed(9)
    ref = LM().eval()
    rebuilt = _open(tmp_path, ref, Options(heads=2))
    assert rebuilt.family == "decoder" and rebuilt.unplaced == [] and rebuilt.input_size == 20
    ids = _ids(20, 5)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.model(ids), ref(ids), atol=ATOL, rtol=0)
    A = sdm.attention_trace(rebuilt, ids[0].tolist())
    assert np.all(A[..., np.triu(np.ones((5, 5), bool), 1)] == 0)  # causal: no weight on the future


def test_heads_are_a_choice_and_a_wrong_guess_still_runs(tmp_path):
    torch.manual_seed(10)
    ref = nn.MultiheadAttention(12, 3, batch_first=True)
    rebuilt = _open(tmp_path, ref)
    assert rebuilt.options.heads in rebuilt.choices["heads"] and rebuilt.choices["heads"] == [1, 2, 3, 4, 6, 12]
    assert "not stored" in rebuilt.notes[0]
    with pytest.raises(StateDictError, match="do not divide"):
        sdm.infer(sdm.read_state_dict(tmp_path / "model.pt")[0], Options(heads=5))


# -- refusals -------------------------------------------------------------------------------------------
class _Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling this calls open(marker, "w"): the file appearing would prove it ran
        return (open, (self.marker, "w"))


def _refused(path, fragment):
    with pytest.raises(StateDictError) as err:
        tensors, _ = sdm.read_state_dict(path)
        sdm.infer(tensors)
    message = str(err.value)
    assert fragment in message, message
    assert "\n" not in message and "Traceback" not in message and len(message) < 300
    return message


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin"])
def test_hostile_pickles_never_run(tmp_path, suffix):
    marker = tmp_path / "pwned"
    zipped = tmp_path / f"zipped{suffix}"
    torch.save({"weight": torch.ones(2), "payload": _Exploit(str(marker))}, zipped)  # torch.save's own archive
    _refused(zipped, "other than tensors and plain containers")
    raw = tmp_path / f"raw{suffix}"
    raw.write_bytes(pickle.dumps({"state_dict": _Exploit(str(marker))}))  # a plain pickle named .pt
    _refused(raw, "not a file written by torch.save")
    assert not marker.exists()


@pytest.mark.parametrize("make, fragment", [
    (lambda p: torch.save(nn.LSTM(2, 3), p), "other than tensors"),  # a whole module, not its state dict
    (lambda p: torch.save({"w": torch.ones(2), "args": __import__("argparse").Namespace(lr=1)}, p), "other than tensors"),
    (lambda p: torch.save({"w": torch.ones(2)}, p, _use_new_zipfile_serialization=False), "not a file written by torch.save"),
    (lambda p: p.write_bytes(b"PK\x03\x04 not really a zip"), "not a file written by torch.save"),
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: torch.save(torch.ones(3), p), "single tensor"),
    (lambda p: torch.save([1, 2, 3], p), "not a state dict"),
    (lambda p: torch.save({"epoch": 3}, p), "no tensors"),
    (lambda p: torch.save({"w": torch.tensor([1.0, float("nan")]), "weight_hh_l0": torch.ones(4, 1)}, p), "NaN"),
    (lambda p: torch.save({"a.weight": torch.ones(3, 3)}, p), "No recurrent layer"),
    (lambda p: torch.save({"weight_ih_l0": torch.ones(10, 2), "weight_hh_l0": torch.ones(10, 5)}, p), "not 1x"),
    (lambda p: torch.save({"weight_ih_l0": torch.ones(4, 2), "weight_hh_l0": torch.ones(4, 1), "weight_ih_l0_reverse":
                           torch.ones(4, 2)}, p), "no tensor for"),
])
def test_files_that_are_not_state_dicts_get_one_sentence(tmp_path, make, fragment):
    path = tmp_path / "bad.pt"
    make(path)
    _refused(path, fragment)


def _nested(depth):
    obj = {"w": torch.ones(1)}
    for _ in range(depth):
        obj = {"x": obj}
    return obj


@pytest.mark.parametrize("make, fragment", [
    (lambda p: torch.save(_nested(200), p), "nested more than"),
    (lambda p: torch.save({f"t{i}": torch.zeros(1) for i in range(sdm.MAX_TENSORS + 2)}, p), "more than 5,000 tensors"),
])
def test_pathological_containers_get_one_sentence(tmp_path, make, fragment):
    path = tmp_path / "odd.pt"
    make(path)
    _refused(path, fragment)


def test_size_cap_is_checked_before_reading(tmp_path):
    path = _save(tmp_path, {"w": torch.zeros(1000)})
    with pytest.raises(StateDictError, match="above this app's limit"):
        sdm.read_state_dict(path, max_bytes=100)


def test_the_cap_holds_a_100m_parameter_model_in_float32():
    assert sdm.MAX_BYTES >= 100_000_000 * 4 and sdm.MAX_VALUES >= 100_000_000


# -- typed input ----------------------------------------------------------------------------------------
def test_typed_input_ids_and_vocabularies():
    assert sdm.parse_input("1, 2 3", 5).ids == [1, 2, 3]
    assert "too large" in sdm.parse_input("1 9", 5).error
    assert "not a token id" in sdm.parse_input("1 x", 5).error
    assert "at least one" in sdm.parse_input("  ", 5).error
    vocab, err = sdm.parse_vocab("()ab", 6)
    assert vocab == ["(", ")", "a", "b"] and err is None
    assert sdm.parse_input("(a)", 6, vocab).ids == [0, 2, 1]
    assert "has no" in sdm.parse_input("(z)", 6, vocab).error
    words, _ = sdm.parse_vocab("<pad>\ngood\nbad", 6)
    assert sdm.parse_input("good bad", 6, words).tokens == ["good", "bad"]
    assert "twice" in sdm.parse_vocab("aa", 6)[1] and "reads only" in sdm.parse_vocab("abcdefg", 6)[1]
    assert "at most" in sdm.parse_input(" ".join(["1"] * 100), 5).error


def test_the_rebuilt_module_uses_the_files_tensors_without_a_copy(tmp_path):
    """mmap + assign: the rebuilt module's float32 weights are the memory-mapped tensors themselves."""
    torch.manual_seed(11)
    tensors, _ = sdm.read_state_dict(_save(tmp_path, nn.LSTM(4, 6, num_layers=2).state_dict()))
    rebuilt = sdm.infer(tensors)
    for name, p in rebuilt.model.rnn.named_parameters():
        assert p.data_ptr() == tensors[name].data_ptr(), name


@pytest.mark.parametrize("name, arch", [("lm-gpt", "transformer-lm"), ("translation-transformer", "transformer-seq2seq"),
                                        ("translation-attention", "seq2seq-gru"), ("sentiment-bag", "bag")])
def test_other_seqviz_models_saved_raw_are_named(tmp_path, name, arch):
    """A seqviz model other than RecurrentNet, saved as a raw state dict, is named, with how to open it;
    a GRU encoder-decoder still rebuilds its first recurrent layer."""
    from seqviz import zoo

    path = _save(tmp_path, zoo.load(name).model.state_dict())
    tensors, _ = sdm.read_state_dict(path)
    try:
        rebuilt = sdm.infer(tensors)
    except StateDictError as e:
        message = str(e)
    else:
        message = rebuilt.notes[0]
        assert rebuilt.unplaced  # the decoder and the rest are listed
    assert f"a seqviz {arch} model saved without its JSON" in message


def test_a_state_dict_saved_with_safetensors_opens_from_memory():
    from safetensors.torch import save

    torch.manual_seed(12)
    ref = nn.GRU(3, 5, num_layers=2, bidirectional=True, batch_first=True).eval()
    tensors, _ = sdm.read_safetensors(save(ref.state_dict()))
    rebuilt = sdm.infer(tensors)
    ids = _ids(3)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt.model(ids)[1], ref(nn.functional.one_hot(ids, 3).float())[0], atol=ATOL, rtol=0)
    with pytest.raises(StateDictError, match="points outside the file"):
        sdm.read_safetensors(save(ref.state_dict())[:-40])
