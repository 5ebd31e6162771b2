"""The registry of labs: the app's sections, in the order of the learning path.

    from seqviz import labs
    labs.LABS                     # every lab, in order (a Lab: name, title, pages, builds, load, trace)
    labs.get("recurrent")         # one lab by name
    labs.navigation()             # section title -> pages: what the router, the home page and the guide show
    labs.all_pages()              # every PageSpec
    labs.builds()                 # every shipped file's build, by name (`python -m seqviz.zoo build NAME`)
    labs.load("rnn-brackets")     # any shipped file, verified and validated, by the lab that owns it

Adding a lab: a module seqviz/labs/<lab>.py defining LAB (its pages, builds, load, trace), its page files
in pages/, and one line in LABS below. Nothing here imports streamlit or the router (app.py).
"""

from __future__ import annotations

from pathlib import Path

from seqviz.labs import attention, embeddings, recurrent, sentiment, speech, transformers
from seqviz.labs.base import Lab, PageSpec
from seqviz.shipped import ASSETS, Build

DEFAULT_PAGE = "home"

START = Lab(
    name="start",
    title="Start",
    pages=(
        PageSpec("pages/home.py", "Home", ":material/home:", "home",
                 "What seqviz teaches and the learning path through the lessons."),
        PageSpec("pages/teachers_guide.py", "Teacher's guide", ":material/school:", "guide",
                 "A 50-minute lesson per section, with links that open each step's view; presenter mode, links, export."),
    ),
)

CHECKPOINTS = Lab(
    name="checkpoints",
    title="Bring your own model",
    pages=(
        PageSpec("pages/checkpoint_explorer.py", "Checkpoint explorer", ":material/folder_open:", "checkpoints",
                 "Open a seqviz checkpoint or a Hugging Face transformer folder, safely, and see inside it."),
    ),
)

LABS: tuple[Lab, ...] = (START, recurrent.LAB, embeddings.LAB, sentiment.LAB, attention.LAB, speech.LAB,
                         transformers.LAB, CHECKPOINTS)


def get(name: str) -> Lab:
    for lab in LABS:
        if lab.name == name:
            return lab
    raise KeyError(f"There is no lab called {name!r}.")


def navigation() -> dict[str, list[PageSpec]]:
    """Section title -> pages, in the order of the learning path (sections without pages are left out)."""
    return {lab.title: list(lab.pages) for lab in LABS if lab.pages}


def all_pages() -> list[PageSpec]:
    return [p for lab in LABS for p in lab.pages]


def lab_of_page(url_path: str) -> Lab:
    return next(lab for lab in LABS if any(p.url_path == url_path for p in lab.pages))


def page_address(page: PageSpec) -> str:
    """Where streamlit serves a page, without the leading slash: the default page only at "/"."""
    return "" if page.url_path == DEFAULT_PAGE else page.url_path


def builds() -> dict[str, Build]:
    """Every shipped file's build, by name, in the labs' order."""
    return {name: b for lab in LABS for name, b in lab.builds.items()}


def owner(name: str) -> Lab:
    for lab in LABS:
        if lab.owns(name):
            return lab
    from seqviz.checkpoints import CheckpointError

    raise CheckpointError(f"There is no shipped checkpoint called {name!r}.")


def load(name: str, directory: Path = ASSETS):
    """Any shipped file by name, checksum-verified and validated by the lab that owns it."""
    return owner(name).load_shipped(name, directory)


__all__ = ["LABS", "Lab", "PageSpec", "all_pages", "builds", "get", "lab_of_page", "load", "navigation", "owner",
           "page_address"]
