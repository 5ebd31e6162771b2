"""Shared fixtures and helpers. Torch runs on one thread here, as in the app (see shared/MEASURED.md)."""

from pathlib import Path

import pytest
import torch

torch.set_num_threads(1)
torch.set_flush_denormal(True)

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60  # AppTest's default 3 s is too short for a first torch import on 2 cores


def open_page(path: str, query: dict | None = None):
    """A fresh session through the router (app.py), on the page `path`, with `query` in its link."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    if query:
        at.query_params.update(query)
    at.run()
    at.switch_page(path).run()
    return at


def assert_clean(at) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture(scope="session")
def shipped():
    from seqviz import zoo

    return zoo.load("rnn-brackets")


@pytest.fixture(scope="session")
def task():
    from seqviz.tasks import BracketTask

    return BracketTask()


# -- what a page binds to the URL (tests/test_url_params.py, tests/test_links_labs.py) -----------------
def _bound_calls(source: str) -> list[tuple[str, str]]:
    """(streamlit call, key) of every widget call in `source` with bind="query-params" and a literal key."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            kw = {k.arg: k.value for k in node.keywords}
            if isinstance(kw.get("bind"), ast.Constant) and kw["bind"].value == "query-params":
                assert isinstance(kw.get("key"), ast.Constant), "a bound widget without a literal key"
                found.append((node.func.attr, kw["key"].value))
    return found


def page_bound_widgets(page) -> list[tuple[str, str]]:
    """(streamlit call, key) of the widgets a page binds to the URL: in the page file, and in the seqviz.ui
    modules it imports (a lab's fragments live there) when the key carries the page's prefix (the prefix of
    the page's own keys, or its url path), since one lab module can serve several pages."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    source = (root / page.path).read_text()
    own = _bound_calls(source)
    prefixes = {key.split("_")[0] for _, key in own} | {page.url_path}
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "seqviz.ui":
            modules |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seqviz.ui."):
            modules.add(node.module.split(".")[2])
    for name in sorted(modules):
        path = root / "seqviz" / "ui" / f"{name}.py"
        if path.is_file():
            own += [(call, key) for call, key in _bound_calls(path.read_text())
                    if key.split("_")[0] in prefixes and (call, key) not in own]
    return own
