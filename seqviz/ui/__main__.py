"""python -m seqviz.ui [streamlit options]: what `make run` does (see seqviz.ui.serve)."""

import sys

from seqviz.ui import serve

serve(sys.argv[1:])
