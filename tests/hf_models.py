"""Tiny Hugging Face model folders written by the tests themselves (no download), one per family the
explorer opens: BERT and DistilBERT with a word vocabulary, GPT-2 and RoBERTa with a byte-level one,
random weights from each family's config, saved as safetensors."""

from __future__ import annotations

import json
from pathlib import Path

WORDS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "sat", "on", "mat", "a", "dog", "."]


def byte_alphabet() -> list[str]:
    """GPT-2's printable stand-ins for the 256 byte values (bytes that are not printable are shifted
    past 255), in byte order."""
    keep = [*range(33, 127), *range(161, 173), *range(174, 256)]
    shifted = iter(range(256, 512))
    return [chr(b) if b in keep else chr(next(shifted)) for b in range(256)]


def make_bert(folder: Path, layers: int = 2, heads: int = 2, seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = BertConfig(vocab_size=len(WORDS), hidden_size=16, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=32, max_position_embeddings=64)
    BertModel(cfg).save_pretrained(folder, safe_serialization=True)
    BertTokenizer(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(folder)
    return folder


def make_gpt2(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPT2Tokenizer

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {c: i for i, c in enumerate(byte_alphabet())}
    vocab["<|endoftext|>"] = len(vocab)
    cfg = GPT2Config(vocab_size=len(vocab), n_embd=16, n_layer=2, n_head=2, n_positions=64,
                     bos_token_id=len(vocab) - 1, eos_token_id=len(vocab) - 1)
    GPT2LMHeadModel(cfg).save_pretrained(folder, safe_serialization=True)
    GPT2Tokenizer(vocab=vocab, merges=[]).save_pretrained(folder)
    return folder


def edit_config(folder: Path, **changes) -> None:
    path = folder / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def make_distilbert(folder: Path, seed: int = 0) -> Path:
    import torch
    from transformers import DistilBertConfig, DistilBertModel, DistilBertTokenizer

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cfg = DistilBertConfig(vocab_size=len(WORDS), dim=16, n_layers=2, n_heads=2, hidden_dim=32, max_position_embeddings=64)
    DistilBertModel(cfg).save_pretrained(folder, safe_serialization=True)
    DistilBertTokenizer(vocab={w: i for i, w in enumerate(WORDS)}).save_pretrained(folder)
    return folder


def make_roberta(folder: Path, seed: int = 0) -> Path:
    """RoBERTa: GPT-2's byte-level vocabulary plus its own specials; positions start after the padding id."""
    import torch
    from transformers import RobertaConfig, RobertaModel, RobertaTokenizer

    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    vocab = {t: i for i, t in enumerate(["<s>", "<pad>", "</s>", "<unk>"])}
    for c in byte_alphabet():
        vocab.setdefault(c, len(vocab))
    vocab["<mask>"] = len(vocab)
    cfg = RobertaConfig(vocab_size=len(vocab), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=66, pad_token_id=1, bos_token_id=0, eos_token_id=2)
    RobertaModel(cfg).save_pretrained(folder, safe_serialization=True)
    RobertaTokenizer(vocab=vocab, merges=[]).save_pretrained(folder)
    return folder


def add_stored_buffers(folder: Path, tensors: dict) -> None:
    """Write extra tensors into model.safetensors, as older checkpoints stored their buffers
    (BERT's integer `embeddings.position_ids`, GPT-2's causal mask `h.0.attn.bias`)."""
    from safetensors.torch import load_file, save_file

    path = folder / "model.safetensors"
    stored = load_file(path)
    stored.update(tensors)
    save_file(stored, path, metadata={"format": "pt"})
