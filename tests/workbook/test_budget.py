"""The time-budget hook of conftest.py fails a slow cell and a slow notebook under nbval."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path, cell_budget, notebook_budget):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time; time.sleep(0.6)", id="slow-a"),
        nbformat.v4.new_code_cell("time.sleep(0.6)", id="slow-b"),
    ])
    nbformat.write(nb, tmp_path / "01_slow.ipynb")
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    env = dict(os.environ, WORKBOOK_CELL_BUDGET_S=str(cell_budget), WORKBOOK_NOTEBOOK_BUDGET_S=str(notebook_budget))
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", "-q", "01_slow.ipynb"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_within_budget_passes_and_reports(tmp_path):
    r = _run(tmp_path, 30, 60)
    assert r.returncode == 0, r.stdout
    assert "solution notebook execution times" in r.stdout and "01_slow.ipynb" in r.stdout
    assert (tmp_path / "reports" / "timings.json").exists()


def test_slow_cell_fails(tmp_path):
    r = _run(tmp_path, 0.3, 60)
    assert r.returncode == 1
    assert "Time budget exceeded: cell 0 of 01_slow.ipynb took" in r.stdout


def test_slow_notebook_fails_at_the_cell_that_crosses_the_budget(tmp_path):
    r = _run(tmp_path, 30, 1.0)
    assert r.returncode == 1
    assert "01_slow.ipynb has taken" in r.stdout and "by cell 1" in r.stdout
