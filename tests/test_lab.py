"""`make lab` serves JupyterLab on notebooks/ with a kernel from this environment.

The Makefile target runs `jupyter lab [--allow-root] notebooks/`; this test starts the
same server (without a browser, on a free port), opens the first notebook through its
API and starts a python3 kernel (the server's own Python, i.e. .venv's, where the course
package is installed). That the notebook then runs up to its first exercise, in such a
kernel, is tested by tests/test_notebooks.py.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "workbook-test"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, method="GET", body=None):
    req = urllib.request.Request(url, method=method, data=body,
                                 headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.status, r.read()


@pytest.fixture
def lab_server(tmp_path):
    port = _free_port()
    jupyter = Path(sys.executable).parent / "jupyter"
    args = [str(jupyter), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}", "--ServerApp.open_browser=False", "notebooks/"]
    if os.geteuid() == 0:
        args.insert(2, "--allow-root")
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                _get(f"{base}/api/status")
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("jupyter lab exited: " + proc.stderr.read().decode()[-2000:])
                time.sleep(0.25)
        else:
            pytest.fail("jupyter lab did not answer within 30 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_lab_serves_the_student_notebooks_with_a_working_kernel(lab_server):
    status, page = _get(f"{lab_server}/lab")
    assert status == 200 and b"JupyterLab" in page
    status, body = _get(f"{lab_server}/api/contents/01_feedforward.ipynb")
    nb = json.loads(body)["content"]
    assert nb["metadata"]["workbook"]["id"] == "01_feedforward"
    status, body = _get(f"{lab_server}/api/kernels", method="POST", body=json.dumps({"name": "python3"}).encode())
    kernel = json.loads(body)
    assert status == 201 and kernel["name"] == "python3"
    _get(f"{lab_server}/api/kernels/{kernel['id']}", method="DELETE")
