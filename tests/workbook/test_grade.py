"""Tests of ``workbook grade`` (utils/workbook/: grade.py, submission.py, kernel.py, launcher.py, reports.py).

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

from utils.workbook import build

ROOT = Path(__file__).resolve().parents[2]
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


# --------------------------------------------------------------------------- unit tests (no kernel)

def test_parse_notebook_reasons():
    from utils.workbook.submission import Unreadable, parse_notebook

    for data, words in [(b"\x89PNG\r\n\x1a\n\x00\x00", "not text"), (b"{ not json", "not valid notebook JSON"),
                        (b'{"hello": 1}', "not a Jupyter notebook"), (b'{"nbformat": 5, "cells": []}', "nbformat 5"),
                        (b'{"nbformat": 4, "cells": 3}', "no list of cells"), (b"[1, 2]", "not a Jupyter notebook")]:
        with pytest.raises(Unreadable, match=words):
            parse_notebook(data)
    nb = parse_notebook(json.dumps(toy_solution()).encode())
    assert len(nb["cells"]) == len(toy_solution()["cells"])


def test_identify_by_metadata_then_longest_id_in_the_name():
    from utils.workbook.grade import identify

    known = {"01_feedforward": None, "04_rnn_cell": None, "04_rnn": None}
    assert identify({"metadata": {"workbook": {"id": "04_rnn_cell"}}}, Path("x.ipynb"), known) == "04_rnn_cell"
    assert identify({"metadata": {"workbook": {"id": "99_nope"}}}, Path("a_01_feedforward.ipynb"), known) == "01_feedforward"
    assert identify({"metadata": {}}, Path("alice_04_rnn_cell (1).ipynb"), known) == "04_rnn_cell"
    assert identify(None, Path("homework.ipynb"), known) == ""


def test_rebuild_takes_only_answer_sources_from_the_student(tmp_path):
    from utils.workbook.submission import STUB_SOURCE, load_pristine, rebuild

    path = _write(tmp_path, f"{TOY}.ipynb", toy_solution())
    pristine = load_pristine(path)
    assert pristine.max_points == 5 and pristine.checks == [("check_double", 2), ("check_square", 3)]
    assert pristine.title == "90 · A toy notebook"
    student = _with_answers(toy_student(), "def double(x):\n    return x + x", None)
    _by_id(student, "chk-double")["source"] = "pass"
    _by_id(student, "setup")["source"] = "check_double = lambda f: None"
    _by_id(student, "chk-square")["metadata"]["tags"] = ["skip-execution"]
    student["cells"] = [c for c in student["cells"] if c["id"] != "ans-square"]
    student["cells"].append(_cell("code", "print('extra')", "extra"))
    cells, notes = rebuild(pristine, student)
    by_number = {c.number: c for c in cells}
    assert [c.kind for c in cells].count("check") == 2
    assert by_number[2].source == SETUP  # set-up from the pristine copy
    assert by_number[4].source == "def double(x):\n    return x + x" and by_number[4].origin == "grade_id"
    assert "BEGIN HIDDEN TESTS" in by_number[5].source  # the pristine check, hidden tests included
    assert "raise NotImplementedError(" in by_number[7].source and by_number[7].origin == "stub"
    assert by_number[8].run and all("extra" not in c.source for c in cells)
    assert any("`square`" in n for n in notes)
    assert STUB_SOURCE.startswith("# YOUR CODE HERE")
    # matched by cell id when the nbgrader metadata is gone
    student = _with_answers(toy_student(), "def double(x):\n    return 2 * x")
    del _by_id(student, "ans-double")["metadata"]["nbgrader"]
    cells, _ = rebuild(pristine, student)
    assert cells[3].origin == "cell id" and "2 * x" in cells[3].source


def test_a_huge_file_is_unreadable_without_being_parsed(tmp_path, monkeypatch):
    from utils.workbook import grade as g

    monkeypatch.setattr(g, "MAX_SUBMISSION_BYTES", 1000)
    path = _write(tmp_path, f"big_{TOY}.ipynb", toy_solution())
    sub = g.Submission(path, str(path))
    g._read(sub, {TOY: None}, {})
    assert (sub.status, sub.notebook, sub.sha256) == ("unreadable", TOY, sha256(path))
    assert "larger than" in sub.reason


def test_feedback_page_names_are_unique():
    from utils.workbook.grade import Submission, _feedback_names

    subs = [Submission(Path(p), p) for p in ("a/x.ipynb", "b/x.ipynb", "b/x.ipynb", "y.ipynb", "c/b_x.ipynb")]
    _feedback_names(subs)
    names = [s.feedback for s in subs]
    assert names[:2] == ["x.md", "b_x.md"] and len(set(names)) == len(names)


def test_usage_errors_exit_2(tmp_path, capsys):
    from utils.workbook.cli import main

    sol = tmp_path / "sol"
    sol.mkdir()
    _write(sol, f"{TOY}.ipynb", toy_solution())
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path / "missing.ipynb"), "--out", str(out), "--solutions", str(sol)]) == 2
    assert main(["grade", str(empty), "--out", str(out), "--solutions", str(sol)]) == 2
    assert main(["grade", str(sol), "--out", str(sol / f"{TOY}.ipynb"), "--solutions", str(sol)]) == 2
    assert main(["grade", str(sol), "--out", str(out), "--solutions", str(empty)]) == 2
    for bad in (["--jobs", "0"], ["--timeout", "-1"], ["--cell-timeout", "x"], ["--memory-mb", "10"], []):
        args = ["grade", str(sol), "--solutions", str(sol)] + bad + ([] if not bad else ["--out", str(out)])
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 2
    assert not out.exists()
    assert "--solutions" not in subprocess.run([sys.executable, "-m", "utils", "grade", "--help"], cwd=ROOT,
                                               capture_output=True, text=True).stdout


# --------------------------------------------------------------------------- the adversarial batch

# Tests that share a module-scoped grading run carry one xdist group, so that under
# `pytest -n 2 --dist loadgroup` (the Makefile) the run happens once, on one worker,
# instead of once on every worker that picks up one of its tests.
ONE_BATCH = pytest.mark.xdist_group("grade-batch")
ONE_COURSE = pytest.mark.xdist_group("grade-course")

ROOTED = hasattr(os, "geteuid") and os.geteuid() == 0
SLEEPER = "4242.25"  # `sleep SLEEPER` is started in the background by the tampering submission

CORRECT = {"double": "def double(x):\n    return 2 * x", "square": "def square(x):\n    return x * x"}


def _tamper_source(targets, folders):
    kill_parent = "try:\n    os.kill(os.getppid(), signal.SIGKILL)\nexcept OSError:\n    pass\n" if ROOTED else ""
    return (
        "import os, signal, subprocess, pathlib\n"
        f"for t in {[str(t) for t in targets]!r}:\n"
        "    try:\n        pathlib.Path(t).write_text('OVERWRITTEN BY A SUBMISSION')\n    except OSError:\n        pass\n"
        f"for d in {[str(d) for d in folders]!r}:\n"
        "    try:\n        (pathlib.Path(d) / 'planted.py').write_text('x = 1')\n    except OSError:\n        pass\n"
        f"subprocess.Popen(['sleep', '{SLEEPER}'], start_new_session=True)\n"
        + kill_parent + CORRECT["double"])


def adversarial_cases(sol: Path, subs: Path, out: Path) -> dict:
    """file name -> (notebook content, expected status, expected points, {check: outcome})."""
    stub, solution = toy_student(), toy_solution()
    both = {"check_double": "passed", "check_square": "passed"}
    none = {"check_double": "not-attempted", "check_square": "not-attempted"}
    cases = {}

    def add(name, nb, status, points, outcomes):
        cases[name] = (nb, status, points, outcomes)

    add(f"solution_{TOY}.ipynb", solution, "ok", 5, both)
    add(f"stub_{TOY}.ipynb", stub, "ok", 0, none)
    add(f"wrong_{TOY}.ipynb", _with_answers(stub, CORRECT["double"], "def square(x):\n    return x + x"), "ok", 2,
        {"check_double": "passed", "check_square": "failed"})
    nb = copy.deepcopy(stub)
    for cid in ("chk-double", "chk-square"):
        _by_id(nb, cid)["source"] = "pass"
    add(f"checks_pass_{TOY}.ipynb", nb, "ok", 0, none)
    add(f"checks_deleted_correct_{TOY}.ipynb", _drop_cells(_with_answers(stub, **CORRECT), {"chk-double", "chk-square"}),
        "ok", 5, both)
    add(f"checks_deleted_stub_{TOY}.ipynb", _drop_cells(stub, {"chk-double", "chk-square", "setup"}), "ok", 0, none)
    nb = _with_answers(stub, CORRECT["double"])
    for cid in ("chk-double", "chk-square", "ans-double"):
        _by_id(nb, cid)["metadata"]["tags"] = ["skip-execution", "raises-exception"]
    add(f"skip_tagged_{TOY}.ipynb", nb, "ok", 2, {"check_double": "passed", "check_square": "not-attempted"})
    add(f"loop_{TOY}.ipynb", _with_answers(stub, "def double(x):\n    while True:\n        pass", CORRECT["square"]),
        "timeout", 3, {"check_double": "timeout", "check_square": "passed"})
    add(f"loop_sigint_ignored_{TOY}.ipynb", _with_answers(
        stub, "import signal\ndef double(x):\n    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass",
        CORRECT["square"]), "timeout", 0, {"check_double": "timeout", "check_square": "skipped"})
    add(f"os_exit_{TOY}.ipynb", _with_answers(stub, "import os\ndef double(x):\n    os._exit(3)", CORRECT["square"]),
        "kernel-died", 0, {"check_double": "error", "check_square": "skipped"})
    add(f"segfault_{TOY}.ipynb", _with_answers(stub, CORRECT["double"], "import ctypes\ndef square(x):\n"
                                                "    return ctypes.string_at(0)"), "kernel-died", 2,
        {"check_double": "passed", "check_square": "error"})
    add(f"memory_{TOY}.ipynb", _with_answers(
        stub, "def double(x):\n    hoard = []\n    while True:\n        hoard.append(bytearray(2**26))",
        CORRECT["square"]), "ok", 3, {"check_double": "error", "check_square": "passed"})
    add(f"broken_{TOY}.ipynb", json.dumps(solution)[:-40], "unreadable", 0, {})
    add("photo.ipynb", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "unreadable", 0, {})
    add("not_a_notebook.ipynb", '{"name": "alice", "answers": [1, 2]}', "unreadable", 0, {})
    nb = _with_answers(solution, None)
    nb["nbformat_minor"] = 0
    for c in nb["cells"]:
        del c["id"]
    add(f"nbformat40_{TOY}.ipynb", nb, "ok", 5, both)
    noisy = ("import sys, warnings\n"
             "def double(x):\n    for i in range(20000):\n        print('line', i, 'of a long story')\n"
             "    print('E' * 1000, file=sys.stderr)\n    warnings.warn('a warning costs nothing')\n    return 2 * x\n")
    quiet = ("import sys, os\n"
             "def square(x):\n    print('x' * (40 * 2**20))  # one message larger than the 32 MiB cap\n"
             "    sys.stdout = open(os.devnull, 'w')  # hides the rest, the check's verdict included\n"
             "    return x * x\n")
    add(f"noisy_{TOY}.ipynb", _with_answers(stub, noisy, quiet), "ok", 5, both)
    add("homework.ipynb", _with_answers(stub, **CORRECT), "ok", 5, both)  # identified by its metadata
    nb = _with_answers(stub, **CORRECT)
    nb["metadata"] = {}
    add("untitled.ipynb", nb, "unknown-notebook", 0, {})
    targets = [sol / f"{TOY}.ipynb", subs / f"solution_{TOY}.ipynb", out / "grades.csv", ROOT / "utils" / "workbook" / "grade.py"]
    folders = [sol, subs, out, out / "feedback"] + ([ROOT, ROOT / "utils"] if ROOTED else [])
    if not ROOTED:  # as an ordinary user the kernel *can* write where the user can: aim only at temporary copies
        targets, folders = [t for t in targets if ROOT not in t.parents], [sol, subs]
    add(f"tamper_{TOY}.ipynb", _with_answers(stub, _tamper_source(targets, folders), CORRECT["square"]), "ok", 5, both)
    return cases


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    _only_once_per_run(tmp_path_factory, "batch")
    base = tmp_path_factory.mktemp("grade")
    sol, subs, out = base / "solutions", base / "class", base / "out"
    sol.mkdir()
    (subs / "group-b" / ".ipynb_checkpoints").mkdir(parents=True)
    _write(sol, f"{TOY}.ipynb", toy_solution())
    cases = adversarial_cases(sol, subs, out)
    for name, (nb, *_) in cases.items():
        _write(subs / ("group-b" if name.startswith("loop") else ""), name, nb)
    _write(subs / "group-b" / ".ipynb_checkpoints", f"stub_{TOY}-checkpoint.ipynb", toy_student())
    before = {p: sha256(p) for p in base.rglob("*") if p.is_file()}
    t0 = time.monotonic()
    proc = grade(subs, "--out", out, "--jobs", "2", "--cell-timeout", "5", "--timeout", "60", "--memory-mb", "1024",
                 solutions=sol)
    seconds = time.monotonic() - t0
    rows = {Path(r["submission"]).name: r for r in read_csv(out / "grades.csv")}
    checks = {}
    for r in read_csv(out / "checks.csv"):
        checks.setdefault(Path(r["submission"]).name, {})[r["check"]] = r
    return dict(base=base, sol=sol, subs=subs, out=out, cases=cases, proc=proc, rows=rows, checks=checks,
                before=before, seconds=seconds)


@ONE_BATCH
def test_batch_writes_one_row_per_submission(batch):
    assert set(batch["rows"]) == set(batch["cases"])  # the checkpoint copy is not a submission
    with open(batch["out"] / "grades.csv", newline="") as f:
        assert next(csv.reader(f)) == ["submission", "notebook", "points", "max_points", "status", "seconds", "sha256"]
    with open(batch["out"] / "checks.csv", newline="") as f:
        assert next(csv.reader(f)) == ["submission", "notebook", "check", "points", "max_points", "outcome", "message"]
    for name in batch["cases"]:
        assert (batch["out"] / "feedback" / (Path(name).stem + ".md")).is_file()
    assert "submissions graded in" in batch["proc"].stdout


@ONE_BATCH
@pytest.mark.parametrize("case", list(adversarial_cases(Path("s"), Path("c"), Path("o"))))
def test_adversarial_case(batch, case):
    _, status, points, outcomes = batch["cases"][case]
    row = batch["rows"][case]
    got = {c: r["outcome"] for c, r in batch["checks"].get(case, {}).items()}
    assert (row["status"], float(row["points"]), got) == (status, points, outcomes), batch["checks"].get(case)
    if status in ("ok", "timeout", "kernel-died") or case.startswith("broken"):  # broken: named after 90_toy
        assert row["notebook"] == TOY and row["max_points"] == "5"


@ONE_BATCH
def test_messages_say_what_happened(batch):
    checks = batch["checks"]
    assert "expected 16" in checks[f"wrong_{TOY}.ipynb"]["check_square"]["message"]
    assert checks[f"solution_{TOY}.ipynb"]["check_double"]["message"] == "✓ double: 1/1 cases match"
    assert "not implemented yet" in checks[f"stub_{TOY}.ipynb"]["check_double"]["message"]
    assert "cell time limit of 5 s" in checks[f"loop_{TOY}.ipynb"]["check_double"]["message"]
    assert "did not stop when interrupted" in checks[f"loop_sigint_ignored_{TOY}.ipynb"]["check_square"]["message"]
    assert "exited with code 3" in checks[f"os_exit_{TOY}.ipynb"]["check_double"]["message"]
    assert "kernel died" in checks[f"os_exit_{TOY}.ipynb"]["check_square"]["message"]
    assert checks[f"memory_{TOY}.ipynb"]["check_double"]["message"].startswith("MemoryError")
    assert checks[f"noisy_{TOY}.ipynb"]["check_double"]["message"] == "✓ double: 1/1 cases match"
    assert "segmentation fault" in checks[f"segfault_{TOY}.ipynb"]["check_square"]["message"]
    assert all(len(r["message"]) <= 2000 for c in checks.values() for r in c.values())


@ONE_BATCH
def test_feedback_page(batch):
    page = (batch["out"] / "feedback" / f"wrong_{TOY}.md").read_text()
    assert "# Feedback: 90 · A toy notebook" in page and "**Score: 2 / 5 points**" in page
    assert "| `check_square` | 0 / 3 | ✗ failed | square(4) returned 8, expected 16.<br>Likely cause" in page
    assert f"notebooks/{TOY}.ipynb" in page and "Hints" in page and f"solutions/{TOY}.ipynb" in page
    page = (batch["out"] / "feedback" / "untitled.md").read_text()
    assert "unknown-notebook" in page and "file name" in page
    page = (batch["out"] / "feedback" / f"os_exit_{TOY}.md").read_text()
    assert "kernel died" in page and "**skipped**" in page


@ONE_BATCH
def test_submissions_and_course_files_are_unchanged(batch):
    after = {p: sha256(p) for p in batch["before"] if p.exists()}
    changed = [str(p) for p, digest in batch["before"].items() if after.get(p) != digest
               and not str(p).startswith(str(batch["out"]))]
    assert changed == []
    for name, row in batch["rows"].items():
        path = next(batch["subs"].rglob(name))
        assert row["sha256"] == sha256(path)
    planted = [p for p in [*batch["base"].rglob("planted.py"), ROOT / "planted.py", ROOT / "utils" / "planted.py"]
               if p.exists()]
    if ROOTED:  # the kernels ran as throw-away users: nothing of the grader's could be written
        assert planted == []
        assert "OVERWRITTEN BY A SUBMISSION" not in (ROOT / "utils" / "workbook" / "grade.py").read_text(encoding="utf-8")
        assert not (batch["out"] / "planted.py").exists()
        leftovers = [p for p in Path("/proc").glob("[0-9]*/cmdline")
                     if SLEEPER in p.read_bytes().decode(errors="replace")] if Path("/proc").is_dir() else []
        assert leftovers == [], "a background process of a submission outlived its grading"
    else:
        for p in planted:
            p.unlink()


def test_without_a_user_switch(tmp_path):
    """The path of a grader that is not root (a laptop): same results, no throw-away user."""
    sol, subs, out = tmp_path / "sol", tmp_path / "subs", tmp_path / "out"
    sol.mkdir()
    subs.mkdir()
    _write(sol, f"{TOY}.ipynb", toy_solution())
    cases = {"solution": (toy_solution(), "ok", "5"), "stub": (toy_student(), "ok", "0"),
             "loop": (_with_answers(toy_student(), "def double(x):\n    while True:\n        pass", CORRECT["square"]),
                      "timeout", "3"),
             "exit": (_with_answers(toy_student(), "import os\ndef double(x):\n    os._exit(3)"), "kernel-died", "0")}
    for name, (nb, *_) in cases.items():
        _write(subs, f"{name}_{TOY}.ipynb", nb)
    grade(subs, "--out", out, "--jobs", "2", "--cell-timeout", "2", "--no-user-switch", solutions=sol)
    got = {Path(r["submission"]).name.split("_")[0]: (r["status"], r["points"]) for r in read_csv(out / "grades.csv")}
    assert got == {name: (status, points) for name, (_, status, points) in cases.items()}


def test_whole_submission_timeout(tmp_path):
    sol, subs, out = tmp_path / "sol", tmp_path / "subs", tmp_path / "out"
    sol.mkdir()
    subs.mkdir()
    _write(sol, f"{TOY}.ipynb", toy_solution())
    # double answers at once; square sleeps far past the whole-submission limit (and below the cell
    # limit), so it is the submission's clock that stops it. Kernel start, under the load of the
    # rest of the suite, gets the whole of the limit's first seconds without deciding the result.
    fast = "def double(x):\n    return 2 * x"
    slow = "import time\ndef square(x):\n    time.sleep(30)\n    return x * x"
    _write(subs, f"slow_{TOY}.ipynb", _with_answers(toy_student(), fast, slow))
    grade(subs, "--out", out, "--timeout", "8", "--cell-timeout", "20", solutions=sol)
    (row,) = read_csv(out / "grades.csv")
    got = {r["check"]: (r["outcome"], r["message"]) for r in read_csv(out / "checks.csv")}
    assert (row["status"], row["points"]) == ("timeout", "2")
    assert got["check_double"][0] == "passed"
    assert got["check_square"][0] in ("timeout", "skipped") and "time limit of 8 s" in got["check_square"][1]
    assert float(row["seconds"]) < 12


# --------------------------------------------------------------------------- the real course

def course_ids() -> list:
    """Every notebook in solutions/ (the synthetic one while there is none)."""
    return sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb")) or [TOY]


def _course_source(base: Path, nb_id: str) -> tuple[Path, dict, dict]:
    """(solutions folder, solution notebook, student notebook as shipped) for nb_id."""
    if nb_id == TOY:
        sol = base / "toy-solutions"
        sol.mkdir(exist_ok=True)
        _write(sol, f"{TOY}.ipynb", toy_solution())
        return sol, toy_solution(), toy_student()
    sol = ROOT / "solutions"
    solution = json.loads((sol / f"{nb_id}.ipynb").read_text(encoding="utf-8"))
    shipped = ROOT / "notebooks" / f"{nb_id}.ipynb"
    student = (json.loads(shipped.read_text(encoding="utf-8")) if shipped.exists()
               else build.student_notebook(solution, nb_id))
    return sol, solution, student


def _only_once_per_run(tmp_path_factory, name: str) -> None:
    """Fail if another xdist worker of this run has already set up the fixture `name`.

    The grouped tests (ONE_COURSE, ONE_BATCH) share a module fixture that costs minutes; `--dist
    loadgroup` must send each group to one worker. Under pytest 9.2 it silently does not
    (pytest-dev/pytest-xdist#1386), and the course was graded twice, once per worker.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    marker = tmp_path_factory.getbasetemp().parent / f"{name}.set-up-by"
    try:
        with open(marker, "x") as f:
            f.write(worker)
    except FileExistsError:
        pytest.fail(f"the {name!r} fixture was set up on {marker.read_text()} and again on {worker}: "
                    f"--dist loadgroup is not grouping the xdist_group tests (pytest-xdist#1386; "
                    f"requirements.in pins pytest<9.2)")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    _only_once_per_run(tmp_path_factory, "course")
    base = tmp_path_factory.mktemp("course")
    subs, out = base / "class", base / "out"
    (subs / "solution").mkdir(parents=True)
    (subs / "student").mkdir()
    sol = None
    for nb_id in course_ids():
        sol, solution, student = _course_source(base, nb_id)
        _write(subs / "solution", f"{nb_id}.ipynb", solution)
        _write(subs / "student", f"{nb_id}.ipynb", student)
    # the first notebook once more, as a stub whose first answer cell rebinds every check and patches the
    # checks' comparison (without tamper detection it would score full marks)
    first = course_ids()[0]
    _, _, student = _course_source(base, first)
    tampered = copy.deepcopy(student)
    answer = next(c for c in tampered["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    answer["source"] = submission_text(answer) + TAMPER_ALL
    (subs / "tampered").mkdir()
    _write(subs / "tampered", f"{first}.ipynb", tampered)
    grade(subs, "--out", out, "--jobs", "2", solutions=sol)
    rows = {(Path(r["submission"]).parent.name, r["notebook"]): r for r in read_csv(out / "grades.csv")}
    checks = {}
    for r in read_csv(out / "checks.csv"):
        checks.setdefault((Path(r["submission"]).parent.name, r["notebook"]), []).append(r)
    return rows, checks


@ONE_COURSE
@pytest.mark.parametrize("nb_id", course_ids())
def test_every_solution_notebook_scores_full_marks(course, nb_id):
    rows, checks = course
    row = rows[("solution", nb_id)]
    failing = [(c["check"], c["outcome"], c["message"][:300]) for c in checks[("solution", nb_id)]
               if c["outcome"] != "passed"]
    assert failing == [] and row["status"] == "ok"
    assert float(row["points"]) == float(row["max_points"]) > 0


TAMPER_ALL = """
for _name in [n for n in dir() if n.startswith("check_")]:
    globals()[_name] = lambda *args, **kwargs: print("✓ all cases match")
try:
    import utils.checks.core as _core
    _core.Check.expect_close = lambda self, got, expected, **kwargs: got
except ImportError:
    pass
"""


def submission_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


@ONE_COURSE
def test_a_submission_that_rebinds_the_checks_scores_zero(course):
    rows, checks = course
    row = rows[("tampered", course_ids()[0])]
    assert row["status"] == "ok" and float(row["points"]) == 0 and float(row["max_points"]) > 0
    assert {c["outcome"] for c in checks[("tampered", course_ids()[0])]} == {"tampered"}


@ONE_COURSE
@pytest.mark.parametrize("nb_id", course_ids())
def test_every_shipped_student_notebook_scores_zero(course, nb_id):
    rows, checks = course
    row = rows[("student", nb_id)]
    assert row["status"] == "ok" and float(row["points"]) == 0 and float(row["max_points"]) > 0
    assert {c["outcome"] for c in checks[("student", nb_id)]} == {"not-attempted"}


# --------------------------------------------------------------------------- nbgrader

def _nbgrader(course: Path, *args):
    """Run nbgrader's own command line in `course` (its `alembic` must be on PATH)."""
    bindir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    proc = subprocess.run([str(Path(bindir) / "nbgrader"), *args], cwd=course, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@ONE_COURSE
@pytest.mark.parametrize("nb_id", sorted({TOY, course_ids()[0]}))
def test_nbgrader_gives_the_same_points(tmp_path, course, nb_id):
    """nbgrader's generate_assignment and autograde accept a workbook notebook, and agree.

    Run for the synthetic notebook (also with nbgrader's own release version as a
    submission) and for the first notebook of the real course, whose `workbook grade`
    rows come from the `course` fixture.
    """
    from nbgrader.api import Gradebook  # a test dependency (requirements.in): fails, never skips

    sol, solution, student = _course_source(tmp_path, nb_id)
    course_dir = tmp_path / "nbgrader-course"
    (course_dir / "source" / "ps1").mkdir(parents=True)
    (course_dir / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'workbook'\n")
    _write(course_dir / "source" / "ps1", f"{nb_id}.ipynb", solution)
    _nbgrader(course_dir, "generate_assignment", "ps1")
    released = json.loads((course_dir / "release" / "ps1" / f"{nb_id}.ipynb").read_text(encoding="utf-8"))
    submissions = {"solution": solution, "student": student}
    if nb_id == TOY:
        submissions["released"] = released
    for who, nb in submissions.items():
        (course_dir / "submitted" / who / "ps1").mkdir(parents=True)
        _write(course_dir / "submitted" / who / "ps1", f"{nb_id}.ipynb", nb)
    _nbgrader(course_dir, "autograde", "ps1", "--create")
    with Gradebook(f"sqlite:///{course_dir / 'gradebook.db'}") as gb:
        theirs = {who: (gb.find_submission_notebook(nb_id, "ps1", who).score,
                        gb.find_submission_notebook(nb_id, "ps1", who).max_score) for who in submissions}

    if nb_id == TOY:
        subs, out = tmp_path / "class", tmp_path / "out"
        subs.mkdir()
        for who, nb in submissions.items():
            _write(subs, f"{who}_{nb_id}.ipynb", nb)
        grade(subs, "--out", out, "--jobs", "2", solutions=sol)
        rows = {Path(r["submission"]).name.split("_")[0]: r for r in read_csv(out / "grades.csv")}
    else:
        rows = {who: course[0][(who, nb_id)] for who in ("solution", "student")}
    ours = {who: (float(r["points"]), float(r["max_points"])) for who, r in rows.items()}
    assert ours == theirs
    assert ours["solution"][0] == ours["solution"][1] > 0 and ours["student"][0] == 0
