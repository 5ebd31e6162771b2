"""What a lab is: its pages, its shipped files and how to build them, how to load and trace them.

The registry (seqviz/labs/__init__.py) lists the labs in the order of the learning path; each lab
module (seqviz/labs/<lab>.py) defines one `LAB`. No streamlit here: the app's seam (seqviz/ui) caches
`LAB.load` per name and `LAB.trace` per plain arguments, and keeps the learner's models in one store.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from seqviz.shipped import ASSETS, Build


@dataclass(frozen=True)
class PageSpec:
    path: str  # file under pages/
    title: str
    icon: str
    url_path: str  # the page's address, http://host/<url_path> (the default page is served at "/" only)
    summary: str  # one line for the home page and the README


@dataclass(frozen=True)
class Lab:
    """One lab of the app. Adding a lab = one module in seqviz/labs/ defining LAB, its pages, one line in LABS."""

    name: str  # "recurrent", "embeddings", ...: the store's and the loaders' key
    title: str  # the navigation section
    pages: tuple[PageSpec, ...]
    builds: Mapping[str, Build] = field(default_factory=lambda: MappingProxyType({}))  # shipped name -> its build
    load: Callable[[str, Path], Any] | None = None  # (shipped name, directory) -> the validated object
    trace: Callable[..., Any] | None = None  # (loaded object, *plain values) -> a frozen trace

    def owns(self, name: str) -> bool:
        return name in self.builds

    def load_shipped(self, name: str, directory: Path = ASSETS):
        if self.load is None or name not in self.builds:
            raise KeyError(f"The {self.title} lab ships nothing called {name!r}.")
        return self.load(name, directory)
