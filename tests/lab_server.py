"""Start JupyterLab exactly as `make lab` does (its command line from the Makefile), for the tests.

    with lab_server(folder, tmp_path) as base:   # base = "http://127.0.0.1:PORT"
        ...

Only what a test needs is added to the Makefile's command: no browser, a free port on
loopback, a fixed token, and private runtime and user-config folders so the test sees
the environment's own configuration (the one `make lab` sees) and nothing of the user's.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "workbook-test"


def make_lab_command() -> list[str]:
    """The `lab:` recipe of the Makefile, as arguments (the folder it serves last)."""
    text = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lab:.*\n\t(.+)$", text, re.M).group(1)
    recipe = re.sub(r"\$\(if \$\(filter 0,\$\(shell id -u\)\),--allow-root\)", "--allow-root" if os.geteuid() == 0 else "",
                    recipe)
    recipe = recipe.replace("$(VENV)/bin/jupyter", str(Path(sys.executable).parent / "jupyter")).replace("$(LAB_ARGS)", "")
    assert "$(" not in recipe, f"the Makefile's lab recipe has a variable this test does not know: {recipe}"
    return shlex.split(recipe)


def get(url, method="GET", body=None, timeout=10):
    req = urllib.request.Request(url, method=method, data=body,
                                 headers={"Authorization": f"token {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def lab_server(folder: Path, tmp_path: Path, extra: tuple = ()):
    """Serve `folder` (instead of notebooks/) with the Makefile's command; yield the base URL."""
    port = _free_port()
    args = make_lab_command()
    assert args[-1].rstrip("/") == "notebooks", f"make lab should serve notebooks/, the Makefile says {args[-1]}"
    args = args[:-1] + ["--no-browser", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}",
                        "--ServerApp.open_browser=False", *extra, str(folder)]
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get(f"{base}/api/status")
                break
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError("jupyter lab exited: " + proc.stderr.read().decode()[-2000:]) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("jupyter lab did not answer within 60 s") from None
                time.sleep(0.25)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
