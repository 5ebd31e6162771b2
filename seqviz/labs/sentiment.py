"""The sentiment lab: a bag of embeddings against RNN, LSTM, GRU and BiLSTM on reviews with negation and contrast.

(Transitional: the recipes still live in seqviz/zoo_sentiment.py; they move here.)
"""

from __future__ import annotations

from types import MappingProxyType

from seqviz import zoo_sentiment
from seqviz.labs.base import Lab, PageSpec

LAB = Lab(
    name="sentiment",
    title="Sentiment",
    pages=(
        PageSpec("pages/sentiment.py", "Sentiment: word order", ":material/sentiment_satisfied:", "sentiment",
                 "A bag of embeddings against RNN, LSTM, GRU and BiLSTM on reviews with negation and contrast: reading, attribution, mistakes."),
    ),
    builds=MappingProxyType(dict(zoo_sentiment.BUILDS)),
    load=lambda name, directory: zoo_sentiment.load(name, directory),
)
