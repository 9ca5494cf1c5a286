"""`make lab` serves JupyterLab on notebooks/ with a kernel from this environment, offline,
with no instructor interface.

The server is started with the Makefile's own `lab` command (tests/lab_server.py). This
test opens the first notebook through the server's API and starts a python3 kernel (the
server's own Python, i.e. .venv's, where the course package is installed); that the
notebook then runs up to its first exercise is tested by tests/test_notebooks.py, and in
a real browser by tests/test_browser.py.
"""

from __future__ import annotations

import json
import re
import urllib.error

import pytest

from lab_server import ROOT, get, lab_server


@pytest.fixture
def lab(tmp_path):
    with lab_server(ROOT / "notebooks", tmp_path) as base:
        yield base


def _page_config(base) -> dict:
    status, page = get(f"{base}/lab")
    assert status == 200 and b"JupyterLab" in page
    match = re.search(rb'<script id="jupyter-config-data" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(match.group(1))


def test_lab_serves_the_student_notebooks_with_a_working_kernel(lab):
    status, body = get(f"{lab}/api/contents/01_feedforward.ipynb")
    nb = json.loads(body)["content"]
    assert nb["metadata"]["workbook"]["id"] == "01_feedforward"
    status, body = get(f"{lab}/api/kernels", method="POST", body=json.dumps({"name": "python3"}).encode())
    kernel = json.loads(body)
    assert status == 201 and kernel["name"] == "python3"
    get(f"{lab}/api/kernels/{kernel['id']}", method="DELETE")


def test_lab_has_no_nbgrader_interface_and_no_news_request(lab):
    config = _page_config(lab)
    disabled = config.get("disabledExtensions", [])
    loaded = [e["name"] for e in config.get("federated_extensions", [])]
    # nbgrader is installed only by `make test`, and there its extension is switched off
    assert "@jupyter/nbgrader" not in loaded or "@jupyter/nbgrader" in disabled, (loaded, disabled)
    # the "would you like to get news?" pop-up fetches from the internet: the course works offline
    assert "@jupyterlab/apputils-extension:announcements" in disabled, disabled
    for page in ("formgrader", "create_assignment", "assignments", "courses"):
        with pytest.raises(urllib.error.HTTPError) as e:
            get(f"{lab}/{page}")
        assert e.value.code == 404, f"/{page} answered: an nbgrader server extension is on"
