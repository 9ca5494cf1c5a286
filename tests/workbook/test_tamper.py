"""Tamper detection (tamper.py, kernel.py): a submission that rebinds a check function or
patches what the checks compare with gets ``tampered`` and 0 points for those checks.

A toy notebook (numpy and ``utils.gradcheck`` only, no torch, so a kernel costs about a
second) whose check compares with ``utils.gradcheck.relative_error`` and ``np.allclose``
is graded in every plain form of cheating, in one batch. The real checks (``utils.checks``)
are covered by a tampered submission of the first real notebook in ``test_grade.py``'s
course fixture.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from test_grade import _answer, _cell, _check, _only_once_per_run, _write, grade, read_csv
from utils.workbook import build

GUARD = "92_guard"
ONE_BATCH = pytest.mark.xdist_group("grade-tamper")

SETUP = '''\
import numpy as np
from utils.gradcheck import relative_error

def check_triple(f):
    x = np.array([0.5, -2.0, 3.0])
    try:
        got = f(x)
    except NotImplementedError:
        raise NotImplementedError("triple is not implemented yet") from None
    assert np.allclose(got, 3 * x), f"triple(x) returned {got!r}, expected {3 * x!r}"
    assert relative_error(got, 3 * x) < 1e-12, "triple(x) is not exactly 3 x"
    print("✓ triple: 1/1 cases match")

def check_half(f):
    got = f(4.0)
    assert got == 2.0, f"half(4.0) returned {got!r}, expected 2.0"
    print("✓ half: 1/1 cases match")
'''
WRONG = "def triple(x):\n    return x + x\n"
RIGHT = "def triple(x):\n    return 3 * x\n"
HALF = "def half(x):\n    return x / 2"


def guard_solution() -> dict:
    cells = [_cell("markdown", "# 92 · Guarded checks", "title"), _cell("code", SETUP, "setup"),
             _cell("markdown", "## Exercise 1: triple", "md-triple"),
             _cell("code", "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION", "ans-triple",
                   _answer("triple")),
             _cell("code", "check_triple(triple)", "chk-triple", _check("check_triple", 2)),
             _cell("markdown", "## Exercise 2: half", "md-half"),
             _cell("code", "def half(x):\n    ### BEGIN SOLUTION\n    return x / 2\n    ### END SOLUTION", "ans-half",
                   _answer("half")),
             _cell("code", "check_half(half)", "chk-half", _check("check_half", 1))]
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                                        "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def with_triple(source: str) -> dict:
    nb = build.student_notebook(guard_solution(), GUARD)
    nb = copy.deepcopy(nb)
    for c in nb["cells"]:
        if c.get("id") == "ans-triple":
            c["source"] = source
        if c.get("id") == "ans-half":
            c["source"] = HALF
    return nb


LIBRARY_WRAP = ("import copy, functools, json.decoder\n_orig = copy.deepcopy\n"
                "_ns = {'_orig': _orig}\nexec(compile('def wrapper(*a, **k):\\n    return _orig(*a, **k)\\n', "
                "FILENAME, 'exec'), _ns)\ncopy.deepcopy = functools.wraps(_orig)(_ns['wrapper'])\n")

# name -> (answer cell of exercise 1, outcome of check_triple, outcome of check_half, words of the message)
CASES = {
    "honest": (RIGHT + "import numpy as np\nz = np.allclose(1, 1)", "passed", "passed", "✓ triple"),
    "wrong": (WRONG, "failed", "passed", "expected"),
    "rebound_in_namespace": (WRONG + "def check_triple(f):\n    print('✓ triple: 1/1 cases match')",
                             "tampered", "passed", "`check_triple` in the notebook"),
    "rebound_then_restored": (WRONG + "_real = check_triple\ndef check_triple(f):\n    global check_triple\n"
                              "    check_triple = _real\n    print('✓ triple: 1/1 cases match')",
                              "tampered", "passed", "`check_triple` in the notebook"),
    "numpy_patched": (WRONG + "import numpy\nnumpy.allclose = lambda *a, **k: True\n", "tampered", "tampered",
                      "`numpy.allclose`"),
    "compared_with_patched": (WRONG + "import numpy, utils.gradcheck\nnumpy.allclose = lambda *a, **k: True\n"
                              "utils.gradcheck.relative_error = lambda *a, **k: 0.0", "tampered", "tampered",
                              "`utils.gradcheck.relative_error`"),
    "code_swapped": (WRONG + "check_triple.__code__ = (lambda f: print('✓ triple')).__code__", "tampered",
                     "passed", "`check_triple` in the notebook"),
    "patched_during_the_check": ("import numpy\ndef triple(x):\n    numpy.allclose = lambda *a, **k: True\n"
                                 "    return 3 * x", "tampered", "tampered", "while it ran"),
    # torch._dynamo replaces torch.manual_seed by a wrapper when first imported (05_bptt met it): a wrapper
    # whose __wrapped__ is the old function and whose code is in the library's folder is the library's own;
    # the same wrapper compiled in the notebook is tampering.
    "library_wrapper": (RIGHT + LIBRARY_WRAP.replace("FILENAME", "json.decoder.__file__"), "passed", "passed", "✓"),
    "notebook_wrapper": (RIGHT + LIBRARY_WRAP.replace("FILENAME", "'<wrapper>'"), "tampered", "tampered",
                         "`copy.deepcopy`"),
    "cell_rewriter": (WRONG + "get_ipython().input_transformers_post.append(\n"
                      "    lambda lines: ['print(\"✓ faked\")\\n'] if any('check_' in l for l in lines) else lines)",
                      "tampered", "tampered", "transformer"),
}


@pytest.fixture(scope="module")
def tampered(tmp_path_factory):
    _only_once_per_run(tmp_path_factory, "tampered")
    base = tmp_path_factory.mktemp("tamper")
    sol, subs, out = base / "solutions", base / "class", base / "out"
    sol.mkdir()
    subs.mkdir()
    _write(sol, f"{GUARD}.ipynb", guard_solution())
    for name, (source, *_) in CASES.items():
        _write(subs, f"{name}_{GUARD}.ipynb", with_triple(source))
    grade(subs, "--out", out, "--jobs", "2", "--cell-timeout", "20", solutions=sol)
    rows = {Path(r["submission"]).name.rsplit(f"_{GUARD}", 1)[0]: r for r in read_csv(out / "grades.csv")}
    checks = {}
    for r in read_csv(out / "checks.csv"):
        checks.setdefault(Path(r["submission"]).name.rsplit(f"_{GUARD}", 1)[0], {})[r["check"]] = r
    return rows, checks, out


@ONE_BATCH
@pytest.mark.parametrize("case", list(CASES))
def test_tampering_scores_zero_for_the_checks_it_touched(tampered, case):
    rows, checks, _ = tampered
    _, triple, half, words = CASES[case]
    got = checks[case]
    assert (got["check_triple"]["outcome"], got["check_half"]["outcome"]) == (triple, half), got
    assert words in got["check_triple"]["message"], got["check_triple"]["message"]
    expected = (2 if triple == "passed" else 0) + (1 if half == "passed" else 0)
    assert float(rows[case]["points"]) == expected and rows[case]["status"] == "ok"


@ONE_BATCH
def test_the_feedback_page_explains_tampering(tampered):
    page = (tampered[2] / "feedback" / f"numpy_patched_{GUARD}.md").read_text()
    assert "tampered" in page and "**tampered**" in page and "Keep only your function definitions" in page


def test_called_checks_and_verdicts():
    from utils.workbook import tamper

    assert tamper.called_checks("check_rnn_step(rnn_step)\n### hidden\ncheck_x (f)") == ["check_rnn_step", "check_x"]
    base = {"digest": "abc", "names": {"check_x": "1"}}
    assert tamper.verdict(base, {"digest": "abc", "names": {"check_x": "1"}, "foreign": []}, "before") is None
    message = tamper.verdict(base, {"digest": "xyz", "changed": ["numpy:allclose", "numpy:allclose.__code__"],
                                    "n_changed": 12, "names": {}, "foreign": ["check_y"]}, "before")
    assert "`numpy.allclose`" in message and "and 10 more" in message and "`utils.checks.check_y`" in message
    assert "`check_x` in the notebook" in tamper.verdict(base, {"digest": "abc", "names": {"check_x": "2"}}, "while")
    assert "could not verify" in tamper.verdict(base, None, "while")
    assert tamper.parse({"user_expressions": {"workbook_guard": {"status": "error"}}}) is None
