"""seqviz: the router. Page config, st.navigation built from the labs' registry (seqviz.labs), the
shared sidebar, and the chosen page.

Lessons live in pages/ (one file each); the library they call is seqviz/. Run with `make run`.
The navigation it builds, section by section (each lab's entry in seqviz/labs/ lists its pages;
tests/test_pages.py checks this list against the registry):

  Start (start): home.py, teachers_guide.py
  Recurrent networks (recurrent): rnn_basics.py, rnn_gates.py, rnn_gradients.py, rnn_bidirectional.py, rnn_compare.py
  Word embeddings (embeddings): embeddings_word2vec.py, embeddings_glove.py, embeddings_explorer.py, embeddings_pretrained.py
  Sentiment (sentiment): sentiment_word_order.py
  Attention (attention): attention_basics.py, attention_translation.py
  Speech (speech): speech_recognition.py
  Transformers (transformers): transformer_translation.py, transformer_gpt.py
  Bring your own model (checkpoints): checkpoint_explorer.py
"""

import streamlit as st

from seqviz import ui
from seqviz.ui import startup

# Served as an st.App so its start-up hook runs before the first visitor's session, under `streamlit run
# app.py` too: without it the first session after a start gets the legacy pages/-folder navigation.
app = st.App(__file__, lifespan=startup.lifespan)

if __name__ == "__main__":  # streamlit runs this file as __main__
    st.set_page_config(page_title="seqviz", page_icon=ui.ICON, layout="wide")
    ui.configure_runtime()
    page = ui.navigation()
    with st.sidebar:
        st.caption("seqviz: small sequence models, trained live, with every internal shown. "
                   "Models run on the CPU of this server; nothing is downloaded.")
    page.run()
