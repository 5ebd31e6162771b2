"""Tier 4, pages: one learner's training never changes what another learner sees.

A classroom server runs every student's session in one process, so the shipped models (held once, in
st.cache_resource) are shared by all of them. For every page with a training button (found in the
sources of the registry's pages and the seqviz.ui modules they call, so new lessons are covered without editing
this file), two AppTest
sessions run side by side in this process, exactly as two browser tabs share a server:

- session B opens the page and records everything it shows (every element's protobuf, widgets
  included);
- session A trains: the smallest chunk the page offers, starting from a copy of the shipped model
  wherever the page offers that (the path that could write into the shared model);
- session B reruns and must show exactly the same page; nothing of A's is in B's session state;
- every tensor and array held in the process-wide st.cache_resource (the shipped checkpoints and
  whatever else a page caches for everyone) hashes the same before and after A trained, and the
  shipped files on disk are unchanged.
"""

from __future__ import annotations

import ast
import hashlib
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from streamlit.runtime.caching import cache_resource_api
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox, Widget

from seqviz import zoo
from seqviz.ui import all_pages
from test_fuzz import _send_raw  # option widgets set by label, as the browser does

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 120
TRAIN_LABEL = re.compile(r"^Train\b")
TRAIN_CALL = re.compile(r"train_your_own\(|button\(\s*f?[\"']Train\b")


def _trains(page_source: str) -> bool:
    """A page trains when it calls the shared train-your-own block or has a button labelled "Train ..." (f-string or
    plain), itself or through a function of a seqviz.ui module it imports (`from seqviz.ui import x as y; y.f(...)`)."""
    if TRAIN_CALL.search(page_source):
        return True
    for module, alias in re.findall(r"from seqviz\.ui import (\w+)(?: as (\w+))?", page_source):
        path = ROOT / "seqviz" / "ui" / f"{module}.py"
        if not path.is_file():
            continue
        source = path.read_text(encoding="utf-8")
        for fn in ast.parse(source).body:
            if (isinstance(fn, ast.FunctionDef) and TRAIN_CALL.search(ast.get_source_segment(source, fn) or "")
                    and f"{alias or module}.{fn.name}(" in page_source):
                return True
    return False


TRAINING_PAGES = [p for p in all_pages() if _trains((ROOT / p.path).read_text(encoding="utf-8"))]


def open_page(path: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def view(at: AppTest) -> list[tuple[str, bytes | str]]:
    """Everything the page shows in its main area: each element as the server sent it, each widget by
    its label and value (a widget's protobuf also carries bookkeeping that differs on a rerun)."""
    out = []
    for node in at.main:
        if isinstance(node, Widget):
            try:
                value = repr(node.value)
            except Exception:  # noqa: BLE001 - a widget without a readable value: its label only
                value = "?"
            out.append((type(node).__name__, f"{node.proto.label}={value}"))
        elif getattr(node, "proto", None) is not None:
            out.append((type(node).__name__, node.proto.SerializeToString(deterministic=True)))
    return out


def _digest(value, h, seen: set, depth: int = 0) -> None:
    """Feed every tensor and array reachable from `value` into the hash h."""
    if depth > 6 or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, torch.nn.Module):
        for name, tensor in value.state_dict().items():
            h.update(name.encode())
            h.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    elif isinstance(value, torch.Tensor):
        h.update(value.detach().cpu().contiguous().numpy().tobytes())
    elif isinstance(value, np.ndarray):
        h.update(np.ascontiguousarray(value).tobytes())
    elif isinstance(value, dict):
        for k, v in value.items():
            _digest(v, h, seen, depth + 1)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _digest(v, h, seen, depth + 1)
    elif hasattr(value, "__dict__") and not isinstance(value, type):
        for v in vars(value).values():
            _digest(v, h, seen, depth + 1)


def shared_cache_hashes() -> dict[tuple[str, str], str]:
    """{(function, argument key): hash of every tensor/array in the cached value} for the process-wide
    st.cache_resource (session-scoped caches excluded: they belong to one session by design)."""
    out = {}
    caches = cache_resource_api._resource_caches._function_caches.get(None, {})
    for fn_key, cache in list(caches.items()):
        with cache._mem_cache_lock:
            items = list(cache._mem_cache.items())
        for value_key, result in items:
            h = hashlib.sha256()
            _digest(result.value, h, set())
            out[(cache.display_name, value_key)] = h.hexdigest()
    return out


def shipped_files() -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(zoo.ASSETS.glob("*.safetensors"))}


SIZE_LABEL = re.compile(r"step|epoch|chunk", re.IGNORECASE)
START_LABEL = re.compile(r"^(New|Create|Start a|Add)\b")  # a page may ask for a model before training it


def _number(option: str) -> float:
    m = re.search(r"-?\d+(\.\d+)?", option)
    return float(m.group()) if m else math.inf


def train_smallest_chunk(at: AppTest) -> str:
    """Session A: the smallest chunk the page offers (number inputs, sliders and option widgets whose
    label says steps, epochs or chunk), from the shipped model where a "Start from" radio offers it;
    then the first enabled "Train ..." button (after a "New model"-like button where there is none)."""
    for w in at.number_input:
        if SIZE_LABEL.search(w.label) and w.proto.has_min:
            w.set_value(int(w.proto.min) if w.proto.data_type == w.proto.INT else w.proto.min)
    for w in at.slider:  # "Step t" picks a time step to look at: not a training size
        if SIZE_LABEL.search(w.label) and not re.match(r"step \w\b", w.label, re.IGNORECASE):
            w.set_value(int(w.proto.min) if w.proto.data_type == w.proto.INT else w.proto.min)
    for w in [*at.selectbox, *at.get("button_group"), *at.select_slider]:
        if SIZE_LABEL.search(getattr(w, "label", "") or w.proto.label) and w.options:
            smallest = min(w.options, key=_number)
            if isinstance(w, Selectbox):
                _send_raw(w, lambda ws, v=smallest: setattr(ws, "string_value", v))
            else:
                _send_raw(w, lambda ws, v=smallest: ws.string_array_value.data.append(v))
    for w in at.radio:
        shipped = [o for o in w.options if "shipped" in o.lower()]
        if shipped and re.search(r"start", w.label, re.IGNORECASE):
            _send_raw(w, lambda ws, v=shipped[0]: setattr(ws, "string_value", v))
    at.run()
    for _ in range(3):
        enabled = [b for b in at.button if not b.proto.disabled]
        train = [b for b in enabled if TRAIN_LABEL.search(b.label or "")]
        button = train[0] if train else next((b for b in enabled if START_LABEL.search(b.label or "")), None)
        assert button is not None, f"no enabled Train button: {[b.label for b in at.button]}"
        button.click().run()
        assert not at.exception, [e.value for e in at.exception]
        if train:
            return button.label
    raise AssertionError("pressed 'New ...' three times and never found a Train button")


def test_the_training_pages_are_found():
    assert {"rnn", "translation", "compare"} <= {p.url_path for p in TRAINING_PAGES}


@pytest.mark.parametrize("page", TRAINING_PAGES, ids=lambda p: p.url_path)
def test_training_in_one_session_changes_nothing_another_session_sees(page):
    b = open_page(page.path)
    a = open_page(page.path)
    b_before = view(b)
    b.run()
    assert view(b) == b_before, "the page is not deterministic on a plain rerun: nothing to compare"
    caches_before, files_before = shared_cache_hashes(), shipped_files()
    assert caches_before, "no shared cache_resource entry: the shipped models were not loaded"
    a_keys_before = set(a.session_state.keys())

    label = train_smallest_chunk(a)

    assert set(a.session_state.keys()) != a_keys_before or view(a) != b_before, \
        f"{label!r} left session A unchanged: the test trained nothing"
    b.run()
    assert not b.exception, [e.value for e in b.exception]
    assert view(b) == b_before, f"session B's page changed after session A pressed {label!r}"
    for key in set(a.session_state.keys()) - a_keys_before:
        assert key not in b.session_state, f"A's {key!r} leaked into session B"
    caches_after = shared_cache_hashes()
    changed = [k[0] for k, v in caches_before.items() if caches_after.get(k) != v]
    assert not changed, f"shared cached values changed by A's training: {changed}"
    files_after = shipped_files()  # (another build may add files meanwhile; none may change)
    assert {name: files_after.get(name) for name in files_before} == files_before


def test_a_copied_shipped_model_shares_no_storage_with_it():
    """The copy a learner trains (models.recurrent.copy_model) owns its tensors: training it cannot
    write through to the cached original."""
    from seqviz.models.recurrent import copy_model

    ckpt = zoo.load("rnn-brackets")
    copy = copy_model(ckpt.model)
    originals = {t.untyped_storage().data_ptr() for t in ckpt.model.state_dict().values()}
    assert originals.isdisjoint(t.untyped_storage().data_ptr() for t in copy.state_dict().values())
    before = {k: v.clone() for k, v in ckpt.model.state_dict().items()}
    with torch.no_grad():
        for p in copy.parameters():
            p.add_(1.0)
    assert all(v.equal(before[k]) for k, v in ckpt.model.state_dict().items())
