"""Tier 5, browser: the checkpoint explorer's uploads in Debian's chromium against a real server:
a seqviz checkpoint (both files), a Hugging Face folder's files and a raw PyTorch state dict, each drawn
without an exception, and pickle uploads refused with one sentence. Screenshots go to build/screenshots/."""

from __future__ import annotations

import os
import pickle

import pytest
from browser_server import REPO_ROOT, AppRuns, launch_chromium, open_root_once, streamlit_server
from hf_models import make_bert

from seqviz import zoo
from seqviz.checkpoints import checkpoint_bytes, task_meta

pytestmark = pytest.mark.browser
SHOTS = REPO_ROOT / "build" / "screenshots"
EXCEPTION = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    base = tmp_path_factory.mktemp("uploads")
    ckpt = zoo.load("recall-lstm")
    weights, text = checkpoint_bytes(ckpt.model, task_meta(ckpt.task, "my-lstm", "uploaded in a browser test"))
    (base / "my-lstm.safetensors").write_bytes(weights)
    (base / "my-lstm.json").write_text(text)
    make_bert(base / "bert")
    (base / "pytorch_model.bin").write_bytes(pickle.dumps({"w": 1}))
    import torch

    torch.manual_seed(0)
    torch.save(torch.nn.LSTM(6, 8, num_layers=2, bidirectional=True).state_dict(), base / "lstm.pt")
    torch.save({"w": torch.ones(2), "model": torch.nn.GRU(2, 3)}, base / "whole-model.pt")  # not a state dict
    return base


@pytest.fixture(scope="module")
def page(files):
    from playwright.sync_api import sync_playwright

    old = os.environ.get("SEQVIZ_MODEL_DIR")
    os.environ["SEQVIZ_MODEL_DIR"] = str(files)  # the server inherits it: "bert" is offered as a folder
    try:
        with streamlit_server() as url, sync_playwright() as p:
            browser = launch_chromium(p)
            open_root_once(browser, url)
            ctx = browser.new_context(viewport={"width": 1400, "height": 3000})
            pg = ctx.new_page()
            yield url, pg, AppRuns(pg)
            browser.close()
    finally:
        if old is None:
            os.environ.pop("SEQVIZ_MODEL_DIR", None)
        else:
            os.environ["SEQVIZ_MODEL_DIR"] = old


def _upload(pg, runs, index: int, paths) -> None:
    mark = runs.mark()
    pg.locator('[data-testid="stFileUploader"] input[type="file"]').nth(index).set_input_files([str(p) for p in paths])
    runs.wait_idle(mark, timeout_s=60)


@pytest.mark.timeout(420)  # includes starting the server and chromium on a busy machine
def test_checkpoint_and_folder_uploads(page, files):
    url, pg, runs = page
    pg.goto(url + "/checkpoints")
    runs.wait_idle(timeout_s=60)
    _upload(pg, runs, 0, [files / "my-lstm.safetensors", files / "my-lstm.json"])
    assert pg.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Opened my-lstm").count() == 1
    assert pg.locator(".js-plotly-plot").count() == 2  # hidden states and every gate
    assert pg.locator(EXCEPTION).count() == 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SHOTS / "checkpoints-seqviz-upload.png"))

    pg.goto(url + "/checkpoints?ckpt_kind=Hugging+Face+folder")
    runs.wait_idle(runs.mark() - 1, timeout_s=60)
    _upload(pg, runs, 0, sorted((files / "bert").iterdir()))
    assert pg.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="BERT").count() == 1
    assert pg.locator(".js-plotly-plot").count() == 3  # one head, every head, the norms
    pg.screenshot(path=str(SHOTS / "checkpoints-hf-upload.png"))

    _upload(pg, runs, 0, [files / "pytorch_model.bin"])
    assert pg.locator('[data-testid="stAlertContentError"]').filter(has_text="pickle-based").count() == 1
    assert pg.locator(EXCEPTION).count() == 0

    pg.goto(url + "/checkpoints?ckpt_kind=PyTorch+state+dict")
    runs.wait_idle(runs.mark() - 1, timeout_s=60)
    _upload(pg, runs, 0, [files / "lstm.pt"])
    assert pg.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Rebuilt a recurrent model").count() == 1
    assert pg.locator(".js-plotly-plot").count() == 2  # hidden states and every gate
    pg.screenshot(path=str(SHOTS / "checkpoints-statedict-upload.png"))
    _upload(pg, runs, 0, [files / "whole-model.pt"])  # replacing a file reruns twice: removed, then the new one
    refused = pg.locator('[data-testid="stAlertContentError"]').filter(has_text="other than tensors")
    refused.first.wait_for(timeout=60_000)
    pg.screenshot(path=str(SHOTS / "checkpoints-statedict-refused.png"))
    assert refused.count() == 1
    assert pg.locator(EXCEPTION).count() == 0
