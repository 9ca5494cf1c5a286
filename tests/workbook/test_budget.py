"""The time-budget hook of conftest.py fails a slow cell and a slow notebook under nbval."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path, name="01_slow.ipynb", declared=None):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time; time.sleep(0.6)", id="slow-a"),
        nbformat.v4.new_code_cell("time.sleep(0.6)", id="slow-b"),
    ])
    if declared is not None:
        nb.metadata["workbook"] = {"budget_seconds": declared}
    nbformat.write(nb, tmp_path / name)


def _run(tmp_path, cell_budget, notebook_budget, declared=None, xdist=False, files=("01_slow.ipynb",)):
    for name in files:
        _write(tmp_path, name, declared)
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    env = dict(os.environ, WORKBOOK_CELL_BUDGET_S=str(cell_budget), WORKBOOK_NOTEBOOK_BUDGET_S=str(notebook_budget))
    dist = ["-n", "2", "--dist", "loadfile"] if xdist else ["-p", "no:xdist"]
    return subprocess.run([sys.executable, "-m", "pytest", *dist, "-p", "no:cacheprovider", "--nbval-lax",
                           "--nbval-current-env", "-q", *files],
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


def test_a_declared_budget_replaces_the_default(tmp_path):
    r = _run(tmp_path, 30, 1.0, declared=100)  # the default (1 s) would fail it; the declared 100 s does not
    assert r.returncode == 0, r.stdout
    assert "of  100 s" in r.stdout
    r = _run(tmp_path, 30, 60, declared=1.0)  # a declared budget binds as tightly as the default
    assert r.returncode == 1 and "its budget is 1 s" in r.stdout


def test_a_budget_over_the_course_maximum_is_refused(tmp_path):
    r = _run(tmp_path, 30, 60, declared=500)
    assert r.returncode == 1
    assert "declares workbook.budget_seconds = 500" in r.stdout and "at most 120" in r.stdout


def test_budgets_hold_under_xdist_with_each_notebook_on_one_worker(tmp_path):
    r = _run(tmp_path, 30, 1.0, xdist=True, files=("01_slow.ipynb", "02_slow.ipynb"))
    assert r.returncode == 1
    # each notebook crosses its own 1 s budget at its own second cell: the sums are per notebook
    assert "01_slow.ipynb has taken" in r.stdout and "02_slow.ipynb has taken" in r.stdout
    # the message may appear twice per notebook (failure section and short summary, which is cut to the
    # terminal's width), so compare the set of (notebook, cell) pairs rather than a count
    crossed = set(re.findall(r"(\d\d_slow\.ipynb) has taken [\d.]+ s by cell (\d+)", r.stdout))
    assert crossed == {("01_slow.ipynb", "1"), ("02_slow.ipynb", "1")}, r.stdout
    timings = json.loads((tmp_path / "reports" / "timings.json").read_text())
    assert set(timings) == {"01_slow.ipynb", "02_slow.ipynb"}
    assert all(1.0 < t["seconds"] < 5 for t in timings.values())
