"""seqviz: the router. The navigation table, then (when streamlit runs this file) page config,
st.navigation, the shared sidebar, and the chosen page.

Lessons live in pages/ (one file each); the library they call is seqviz/. Run with `make run`.
Tests, the home page and the browser tests read NAVIGATION through seqviz.ui.all_pages(), which
imports this module without running the app.
"""

import streamlit as st

from seqviz import ui
from seqviz.ui import PageSpec

# section -> pages, in the order of the learning path; a section appears only with a real page in it
NAVIGATION: dict[str, list[PageSpec]] = {
    "Start": [
        PageSpec("pages/home.py", "Home", ":material/home:", "home",
                 "What seqviz teaches and the learning path through the lessons."),
        PageSpec("pages/teachers_guide.py", "Teacher's guide", ":material/school:", "guide",
                 "A 50-minute lesson per section, with links that open each step's view; presenter mode, links, export."),
    ],
    "Recurrent networks": [
        PageSpec("pages/rnn_basics.py", "Vanilla RNN", ":material/replay:", "rnn",
                 "A tanh RNN that counts open brackets: every term of its update, step by step, and training live."),
        PageSpec("pages/rnn_gates.py", "LSTM and GRU gates", ":material/tune:", "gates",
                 "Every gate, the cell state and the hidden state of an LSTM and a GRU that remember a symbol; force gates and find units."),
        PageSpec("pages/rnn_gradients.py", "Vanishing gradients", ":material/trending_down:", "gradients",
                 "How far back the gradient reaches in an RNN, an LSTM and a GRU, and why: the product of Jacobians."),
        PageSpec("pages/rnn_bidirectional.py", "Bidirectional RNN", ":material/swap_horiz:", "bidirectional",
                 "Two cells read in opposite directions: a task that needs the future, solved only by reading backwards too."),
        PageSpec("pages/rnn_compare.py", "Train and compare", ":material/compare_arrows:", "compare",
                 "Train RNN, LSTM and GRU side by side on the same data and watch accuracy fall with the lag."),
    ],
    "Word embeddings": [
        PageSpec("pages/embeddings_word2vec.py", "Word2Vec", ":material/scatter_plot:", "word2vec",
                 "The sliding window, CBOW and skip-gram examples, negative samples and the loss; train live and watch words move."),
        PageSpec("pages/embeddings_glove.py", "GloVe", ":material/grid_on:", "glove",
                 "The co-occurrence matrix, the weighting function and the objective with real numbers; train live; why analogies fall short."),
        PageSpec("pages/embeddings_explorer.py", "Embedding explorer", ":material/explore:", "explorer",
                 "Word vectors as maps (PCA, t-SNE), nearest neighbours, analogies and similarities; CBOW, skip-gram and GloVe side by side."),
        PageSpec("pages/embeddings_pretrained.py", "Pretrained vectors", ":material/upload_file:", "vectors",
                 "Load word vectors you bring (GloVe, word2vec text or binary, fastText .vec), see what was read, explore them."),
    ],
    "Sentiment": [
        PageSpec("pages/sentiment.py", "Sentiment: word order", ":material/sentiment_satisfied:", "sentiment",
                 "A bag of embeddings against RNN, LSTM, GRU and BiLSTM on reviews with negation and contrast: reading, attribution, mistakes."),
    ],
    "Attention": [
        PageSpec("pages/attention_basics.py", "Attention step by step", ":material/center_focus_strong:", "attention",
                 "Queries, keys and values with real numbers: scores, scaling, softmax and the weighted sum."),
        PageSpec("pages/attention_translation.py", "Translation with attention", ":material/translate:", "translation",
                 "A GRU encoder-decoder translates a toy language pair: alignment heatmaps, decoding step by step, beam search."),
    ],
    "Speech": [
        PageSpec("pages/speech.py", "Speech recognition with attention", ":material/graphic_eq:", "speech",
                 "Listen, attend and spell: hear spoken number words, see the spectrogram and the attention walk across it as the model spells."),
    ],
    "Transformers": [
        PageSpec("pages/transformer_translation.py", "Inside the transformer", ":material/hub:", "transformer",
                 "An encoder-decoder transformer translates the toy pair: every head, the causal mask, cross-attention beside the RNN's, head ablation."),
        PageSpec("pages/transformer_lm.py", "A tiny GPT", ":material/edit_note:", "gpt",
                 "A decoder-only transformer predicts the next character: temperature, top-k, top-p, generation with its attention, perplexity against a bigram, training your own."),
    ],
    "Bring your own model": [
        PageSpec("pages/checkpoint_explorer.py", "Checkpoint explorer", ":material/folder_open:", "checkpoints",
                 "Open a seqviz checkpoint or a Hugging Face transformer folder, safely, and see inside it."),
    ],
}

if __name__ == "__main__":  # streamlit runs this file as __main__; an import only reads the table above
    st.set_page_config(page_title="seqviz", page_icon=ui.ICON, layout="wide")
    ui.configure_runtime()
    page = ui.navigation(NAVIGATION)
    with st.sidebar:
        st.caption("seqviz: small sequence models, trained live, with every internal shown. "
                   "Models run on the CPU of this server; nothing is downloaded.")
    page.run()
