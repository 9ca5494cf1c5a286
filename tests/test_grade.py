"""Tests of ``workbook grade`` (utils/grade.py, utils/grade_run.py, utils/grade_kernel.py).

Most tests use a tiny synthetic course built here in a temporary folder (one solution
notebook, ``90_toy``, two exercises, no torch), so that a kernel costs about a second.
All adversarial submissions are graded in one batch (``--jobs 2``) by a module fixture,
and each test reads its own rows. The real course is covered by the parametrized tests
at the end: every ``solutions/*.ipynb`` scores full marks and every shipped student
notebook scores 0 with only ``not-attempted`` checks. nbgrader's own
``generate_assignment`` and ``autograde`` are compared with ``workbook grade`` in
``test_nbgrader_gives_the_same_points``.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from utils import build

ROOT = Path(__file__).resolve().parent.parent
TOY = "90_toy"

SETUP = '''\
def _call(name, f, *args):
    try:
        return f(*args)
    except NotImplementedError:
        raise NotImplementedError(f"{name} is not implemented yet: replace `raise NotImplementedError()` "
                                  "in its cell with your code.") from None

def check_double(f):
    got = _call("double", f, 3)
    assert got == 6, f"double(3) returned {got!r}, expected 6"
    print("✓ double: 1/1 cases match")

def check_square(f):
    got = _call("square", f, 4)
    assert got == 16, f"square(4) returned {got!r}, expected 16.\\nLikely cause: x + x is double, not square."
    print("✓ square: 1/1 cases match")
'''


def _cell(cell_type, source, cid, nbgrader=None, tags=None):
    cell = {"cell_type": cell_type, "id": cid, "metadata": {}, "source": source}
    if nbgrader:
        cell["metadata"]["nbgrader"] = dict(nbgrader, schema_version=3)
    if tags:
        cell["metadata"]["tags"] = tags
    if cell_type == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _answer(gid):
    return {"grade": False, "grade_id": gid, "locked": False, "solution": True, "task": False}


def _check(gid, points):
    return {"grade": True, "grade_id": gid, "locked": True, "points": points, "solution": False, "task": False}


def toy_solution() -> dict:
    cells = [
        _cell("markdown", "# 90 · A toy notebook\n\nTwo exercises.", "title"),
        _cell("code", SETUP, "setup"),
        _cell("markdown", "## Exercise 1: double", "md-double"),
        _cell("code", "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION", "ans-double",
              _answer("double")),
        _cell("code", "check_double(double)\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2, "
                      "'hidden test: double(-1) should be -2'\n### END HIDDEN TESTS", "chk-double",
              _check("check_double", 2)),
        _cell("markdown", "## Exercise 2: square\n<details><summary>Hints</summary>x times x</details>", "md-square"),
        _cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", "ans-square",
              _answer("square")),
        _cell("code", "check_square(square)", "chk-square", _check("check_square", 3)),
        _cell("markdown", "## Summary", "summary"),
        _cell("code", "print(double(2), square(2))", "after"),
    ]
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"},
                                         "language_info": {"name": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


def toy_student() -> dict:
    return build.student_notebook(toy_solution(), TOY)


def _by_id(nb, cid):
    return next(c for c in nb["cells"] if c.get("id") == cid)


def _with_answers(nb, double=None, square=None):
    nb = copy.deepcopy(nb)
    if double is not None:
        _by_id(nb, "ans-double")["source"] = double
    if square is not None:
        _by_id(nb, "ans-square")["source"] = square
    return nb


def _write(folder: Path, name: str, nb) -> Path:
    path = folder / name
    if isinstance(nb, (bytes, str)):
        path.write_bytes(nb if isinstance(nb, bytes) else nb.encode())
    else:
        path.write_text(json.dumps(nb, indent=1, ensure_ascii=False), encoding="utf-8")
    return path


def _drop_cells(nb, ids):
    nb = copy.deepcopy(nb)
    nb["cells"] = [c for c in nb["cells"] if c.get("id") not in ids]
    return nb


def grade(*argv, solutions=None, check=True):
    """Run `python -m utils grade ...`; return the CompletedProcess."""
    cmd = [sys.executable, "-m", "utils", "grade", *map(str, argv)]
    if solutions is not None:
        cmd += ["--solutions", str(solutions)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
