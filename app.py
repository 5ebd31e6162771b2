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
    # <word embeddings section>
    # <sentiment section>
    "Attention": [
        PageSpec("pages/attention_basics.py", "Attention step by step", ":material/center_focus_strong:", "attention",
                 "Queries, keys and values with real numbers: scores, scaling, softmax and the weighted sum."),
        PageSpec("pages/attention_translation.py", "Translation with attention", ":material/translate:", "translation",
                 "A GRU encoder-decoder translates a toy language pair: alignment heatmaps, decoding step by step, beam search."),
    ],
    # <speech section>
    # <transformers section>
    # <tools section>
}

if __name__ == "__main__":  # streamlit runs this file as __main__; an import only reads the table above
    st.set_page_config(page_title="seqviz", page_icon=ui.ICON, layout="wide")
    ui.configure_runtime()
    page = ui.navigation(NAVIGATION)
    with st.sidebar:
        st.caption("seqviz: small sequence models, trained live, with every internal shown. "
                   "Models run on the CPU of this server; nothing is downloaded.")
    page.run()
