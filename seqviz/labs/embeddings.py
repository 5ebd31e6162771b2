"""The embeddings lab: Word2Vec (CBOW, skip-gram), GloVe, the embedding explorer and pretrained vectors.

(Transitional: the recipes still live in seqviz/zoo_words.py; they move here.)
"""

from __future__ import annotations

from types import MappingProxyType

from seqviz import zoo_words
from seqviz.labs.base import Lab, PageSpec

LAB = Lab(
    name="embeddings",
    title="Word embeddings",
    pages=(
        PageSpec("pages/embeddings_word2vec.py", "Word2Vec", ":material/scatter_plot:", "word2vec",
                 "The sliding window, CBOW and skip-gram examples, negative samples and the loss; train live and watch words move."),
        PageSpec("pages/embeddings_glove.py", "GloVe", ":material/grid_on:", "glove",
                 "The co-occurrence matrix, the weighting function and the objective with real numbers; train live; why analogies fall short."),
        PageSpec("pages/embeddings_explorer.py", "Embedding explorer", ":material/explore:", "explorer",
                 "Word vectors as maps (PCA, t-SNE), nearest neighbours, analogies and similarities; CBOW, skip-gram and GloVe side by side."),
        PageSpec("pages/embeddings_pretrained.py", "Pretrained vectors", ":material/upload_file:", "vectors",
                 "Load word vectors you bring (GloVe, word2vec text or binary, fastText .vec), see what was read, explore them."),
    ),
    builds=MappingProxyType(dict(zoo_words.BUILDS)),
    load=lambda name, directory: zoo_words.load_shipped(name.removeprefix("words-"), directory),
)
