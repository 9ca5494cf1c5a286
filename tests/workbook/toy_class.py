"""A small graded class shared by the grading tests of tests/workbook/ (conftest.py registers
its fixture; test modules import its helpers from here, not from a conftest).

``graded``: one small class of the toy notebook of ``test_grade.py`` (Canvas download
names, two folders, mistakes, two unreadable files), graded once by one ``workbook
grade`` run (``single/``) and once in three shards (``shard1..3/``) merged (``merged/``),
with the pages' time fixed by ``SOURCE_DATE_EPOCH``. Session-scoped, for
``test_results.py`` and ``test_slurm.py``, whose tests carry one xdist group so it is
set up once, on one worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from test_grade import CORRECT, ROOT, TOY, _only_once_per_run, _with_answers, _write, grade, toy_solution, toy_student

ONE_CLASS = pytest.mark.xdist_group("grade-shards")
EPOCH = "1767225600"  # 2026-01-01 00:00 UTC: the pages' "graded" time, fixed so runs can be compared


def toy_class(subs: Path) -> dict:
    """A class of 8 submissions in two folders (names as an LMS download gives them)."""
    stub = toy_student()
    wrong = _with_answers(stub, CORRECT["double"], "def square(x):\n    return x + x")
    nbs = {"ann_101_9001_90_toy.ipynb": toy_solution(), "bob_102_9002_90_toy.ipynb": stub,
           "cid_103_9003_90_toy.ipynb": wrong, "dee_104_9004_90_toy.ipynb": _with_answers(stub, CORRECT["double"]),
           "late/eve_105_9005_90_toy.ipynb": _with_answers(stub, None, CORRECT["square"]),
           "gus_107_9007_90_toy.ipynb": wrong, "junk.ipynb": "{ not json",
           "late/junk.ipynb": b"\x89PNG\r\n\x1a\n"}  # two pages named junk: junk.md and late_junk.md
    for name, nb in nbs.items():
        (subs / name).parent.mkdir(parents=True, exist_ok=True)
        _write(subs / Path(name).parent, Path(name).name, nb)
    return nbs


def outputs(out: Path) -> dict:
    """{relative path: bytes} of what a grading writes for people (CSVs and pages); `seconds` blanked."""
    files = {}
    for p in sorted([out / "grades.csv", out / "checks.csv", *(out / "feedback").glob("*.md")]):
        data = p.read_bytes()
        if p.name == "grades.csv":
            lines = data.decode().split("\r\n")
            header = lines[0].split(",")
            i = header.index("seconds")
            data = "\r\n".join([lines[0]] + [",".join(f if j != i else "-" for j, f in enumerate(line.split(",")))
                                             if line else line for line in lines[1:]]).encode()
        files[p.relative_to(out).as_posix()] = data
    return files


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    _only_once_per_run(tmp_path_factory, "graded")
    base = tmp_path_factory.mktemp("shards")
    sol, subs = base / "solutions", base / "class"
    sol.mkdir()
    subs.mkdir()
    _write(sol, f"{TOY}.ipynb", toy_solution())
    toy_class(subs)
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH  # inherited by the grading commands below
    try:
        single = grade(subs, "--out", base / "single", "--jobs", "2", solutions=sol)
        # the three shards at the same time, as three machines would run them
        shards = [subprocess.Popen([sys.executable, "-m", "utils", "grade", str(subs), "--out", str(base / f"shard{k}"),
                                    "--shard", f"{k}/3", "--solutions", str(sol)], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True) for k in (1, 2, 3)]
        shard_runs = [p.communicate(timeout=600) + (p.returncode,) for p in shards]
        assert [code for *_, code in shard_runs] == [0, 0, 0], shard_runs
        merged = grade("merge", *[base / f"shard{k}" for k in (1, 2, 3)], "--out", base / "merged")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return dict(base=base, sol=sol, subs=subs, single=single, shard_runs=shard_runs, merged=merged)


