"""The speech lab: listen, attend and spell on spoken number words.

(Transitional: the recipes still live in seqviz/zoo_speech.py; they move here.)
"""

from __future__ import annotations

from types import MappingProxyType

from seqviz import zoo_speech
from seqviz.labs.base import Lab, PageSpec


def _load(name, directory):
    return zoo_speech.load_data(directory) if name == "speech-data" else zoo_speech.load_model(directory)


LAB = Lab(
    name="speech",
    title="Speech",
    pages=(
        PageSpec("pages/speech.py", "Speech recognition with attention", ":material/graphic_eq:", "speech",
                 "Listen, attend and spell: hear spoken number words, see the spectrogram and the attention walk across it as the model spells."),
    ),
    builds=MappingProxyType(dict(zoo_speech.BUILDS)),
    load=_load,
)
