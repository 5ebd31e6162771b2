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

import contextlib
import threading

import streamlit as st


@contextlib.asynccontextmanager
async def lifespan(_app):
    """Runs once when the server starts, before it accepts the first visitor (seqviz/ui/startup.py says
    why): the navigation is declared st.navigation-based, and the heavy imports (torch, plotly, the
    labs) start in the background, so the server answers at once and the first lesson finds them done."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False  # the first session's navigation is the real one
    threading.Thread(target=_warm_up, name="seqviz-warm-up", daemon=True).start()
    yield


def _warm_up() -> None:
    from seqviz.ui import startup

    startup.warm_up()


# Served as an st.App so its start-up hook runs before the first visitor's session, under `streamlit run
# app.py` too. Importing this file imports nothing heavy: streamlit imports it once at start.
app = st.App(__file__, lifespan=lifespan)

if __name__ == "__main__":  # streamlit runs this file as __main__
    from seqviz import ui

    st.set_page_config(page_title="seqviz", page_icon=ui.ICON, layout="wide")
    ui.configure_runtime()
    page = ui.navigation()
    with st.sidebar:
        st.caption("seqviz: small sequence models, trained live, with every internal shown. "
                   "Models run on the CPU of this server; nothing is downloaded.")
    page.run()
