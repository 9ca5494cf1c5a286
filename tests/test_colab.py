"""Notebook 01 on Colab, offline: its first cell installs the course and the notebook runs on it.

Colab opens a notebook alone, in /content, with no repository around it; it has torch, numpy,
matplotlib and tqdm. The first cell (tests/test_first_cell.py) sees ``google.colab`` and installs
the course's release with ``--no-deps``: the package with its data as package data. Here:

- the wheel is built from a copy of the checkout (``python -m build --wheel``, no network);
- the kernel runs in a fresh venv that sees the developer environment's packages but not its
  editable course, so nothing is importable as ``utils`` until the cell installs it, and the
  install goes into that venv, never into .venv;
- a stub ``google.colab`` module is put in ``sys.modules`` first, and the cell's install
  source is pointed at the wheel by WORKBOOK_COLAB_SOURCE (pip has no index: PIP_NO_INDEX);
- the kernel works in an empty folder, as Colab's /content is;
- notebook 01 (the student's) runs to its first check, which stops on the exercise's stub.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_feedforward.ipynb"
COURSE_DIST = "ffn_to_lstm_workbook"   # the project's name as a wheel and its metadata spell it
STUB_COLAB = 'import sys, types\nsys.modules["google.colab"] = types.ModuleType("google.colab")'
PROBE = """import importlib.metadata, json, utils, utils.data
print(json.dumps({"utils": utils.__file__, "data": str(utils.data.data_dir()),
                  "read": sorted(utils.data._verified),
                  "installed": str(importlib.metadata.distribution("ffn-to-lstm-workbook").locate_file(""))}))"""


def _wheel(tmp: Path) -> Path:
    """The course's wheel, built from a copy of what the repository would publish."""
    source = tmp / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("utils", "data"):
        shutil.copytree(ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    wheels = list(out.glob(f"{COURSE_DIST}-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _colab_like_python(tmp: Path) -> Path:
    """A fresh venv that sees this environment's packages, except the course (its editable install)."""
    venv = tmp / "venv"
    subprocess.run([getattr(sys, "_base_executable", sys.executable), "-m", "venv", "--without-pip", str(venv)],
                   check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    ours = Path(sysconfig.get_paths()["purelib"])
    visible = tmp / "preinstalled"   # ours, minus the course: what Colab has before the first cell
    visible.mkdir()
    for entry in ours.iterdir():
        if COURSE_DIST not in entry.name and not entry.name.endswith(".pth"):
            (visible / entry.name).symlink_to(entry)
    (site / "preinstalled.pth").write_text(str(visible) + "\n")
    return python


def test_notebook_01_on_colab_installs_the_course_and_runs_to_its_first_check(tmp_path, monkeypatch):
    wheel = _wheel(tmp_path)
    python = _colab_like_python(tmp_path)
    spec = tmp_path / "jupyter" / "kernels" / "colab-like"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab-like", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    content = tmp_path / "content"   # Colab's working folder: nothing of the course around it
    content.mkdir()

    nb = nbformat.read(NOTEBOOK, as_version=4)
    first_check = next(i for i, c in enumerate(nb.cells)
                       if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
    cells = [nbformat.v4.new_code_cell(STUB_COLAB)] + nb.cells[: first_check + 1] + [nbformat.v4.new_code_cell(PROBE)]
    nb.cells = cells
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WORKBOOK_DATA")}
    env.update(WORKBOOK_COLAB_SOURCE=str(wheel), PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PYTHONNOUSERSITE="1")
    client = NotebookClient(nb, timeout=120, kernel_name="colab-like", allow_errors=True,
                            resources={"metadata": {"path": str(content)}})
    ours = Path(sysconfig.get_paths()["purelib"])
    before = sorted(p.name for p in ours.iterdir())
    client.execute(env=env)
    assert sorted(p.name for p in ours.iterdir()) == before, f"the install changed {ours}"

    errors = [(i, o) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    stop = len(cells) - 2
    assert [i for i, _ in errors] == [stop], \
        "errors: " + "; ".join(f"cell {i}: {o.ename}: {o.evalue}" for i, o in errors)
    assert errors[0][1].ename == "NotImplementedError" and "linear_forward" in errors[0][1].evalue

    probe = json.loads("".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream"))
    site = Path(probe["installed"]).resolve()
    assert site.is_relative_to(tmp_path / "venv"), f"the course was installed in {site}, not in the kernel's venv"
    assert Path(probe["utils"]) == site / "utils" / "__init__.py", f"utils came from {probe['utils']}"
    assert Path(probe["data"]) == site / "utils" / "_data", f"the data came from {probe['data']}"
    assert probe["read"] == [str(site / "utils" / "_data" / "digits" / "digits.csv.gz")], probe["read"]
    # --no-deps: the install added the course and nothing else (no torch, numpy, ...)
    added = sorted(p.name for p in site.iterdir() if p.name not in ("preinstalled.pth", "__pycache__"))
    assert [n for n in added if not n.startswith(("utils", COURSE_DIST))] == [], added
