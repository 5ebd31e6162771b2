"""The transformers lab: an encoder-decoder transformer on the translation pair, and a tiny GPT.

(Transitional: the recipes still live in seqviz/zoo_transformer.py and seqviz/zoo_lm.py; they move here.)
"""

from __future__ import annotations

from types import MappingProxyType

from seqviz import zoo_lm, zoo_transformer
from seqviz.labs.base import Lab, PageSpec


def _load(name, directory):
    return zoo_lm.load(name, directory) if name == zoo_lm.NAME else zoo_transformer.load(name, directory)


LAB = Lab(
    name="transformers",
    title="Transformers",
    pages=(
        PageSpec("pages/transformer_translation.py", "Inside the transformer", ":material/hub:", "transformer",
                 "An encoder-decoder transformer translates the toy pair: every head, the causal mask, cross-attention beside the RNN's, head ablation."),
        PageSpec("pages/transformer_lm.py", "A tiny GPT", ":material/edit_note:", "gpt",
                 "A decoder-only transformer predicts the next character: temperature, top-k, top-p, generation with its attention, perplexity against a bigram, training your own."),
    ),
    builds=MappingProxyType({**zoo_transformer.BUILDS, **zoo_lm.BUILDS}),
    load=_load,
)
