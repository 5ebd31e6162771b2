"""python -m seqviz.ui [streamlit options]: what `make run` does (see seqviz.ui.serve)."""

import sys

from seqviz.ui import serve

if __name__ == "__main__":  # never when a worker process imports the main module
    serve(sys.argv[1:])
