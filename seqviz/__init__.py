"""seqviz: small sequence models whose insides a page can show.

The library imports without streamlit; only `seqviz.ui` touches it (a test checks this).
"""

__version__ = "0.1.0"
