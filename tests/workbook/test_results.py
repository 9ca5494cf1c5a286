"""Result files, incremental grading, shards and merge (results.py, shard.py, merge.py).

One small class of the toy notebook of ``test_grade.py`` (a kernel costs about a
second) is graded once in one run and once in three shards; the tests compare the two
and then change the class: an edited submission, a corrupt result file, a shard that
died, folders that do not belong together.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from pathlib import Path

import pytest

from test_grade import (CORRECT, TOY, _only_once_per_run, _with_answers, _write, grade, read_csv, toy_solution,
                        toy_student)

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


@pytest.fixture(scope="module")
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
        shard_runs = [grade(subs, "--out", base / f"shard{k}", "--shard", f"{k}/3", "--jobs", "2", solutions=sol)
                      for k in (1, 2, 3)]
        merged = grade("merge", *[base / f"shard{k}" for k in (1, 2, 3)], "--out", base / "merged")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return dict(base=base, sol=sol, subs=subs, single=single, shard_runs=shard_runs, merged=merged)


def test_shard_of_depends_on_the_relative_path_only():
    from utils.workbook import shard

    names = [f"student{i}_90_toy.ipynb" for i in range(300)]
    for n in (1, 2, 3, 7):
        got = [shard.shard_of(x, n) for x in names]
        assert set(got) == set(range(1, n + 1))
        assert got == [shard.shard_of(x, n) for x in names]  # stable
    # a late submission does not move the others
    assert [shard.shard_of(x, 3) for x in names] == [shard.shard_of(x, 3) for x in names + ["late_90_toy.ipynb"]][:300]


def test_shard_option_values_and_scheduler_variables():
    from utils.workbook.shard import ShardError, parse

    assert parse("2/3", {}) == (2, 3)
    assert parse("auto", {"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"}) == (3, 3)
    assert parse("auto", {"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "4"}) == (1, 4)
    assert parse("auto/5", {"JOB_COMPLETION_INDEX": "4"}) == (5, 5)
    assert parse("auto", {"JOB_COMPLETION_INDEX": "0", "WORKBOOK_SHARD_COUNT": "2"}) == (1, 2)
    for text, env, words in [("0/3", {}, "K of --shard K/N must be at least 1"), ("4/3", {}, "does not exist"), ("2", {}, "K/N"),
                             ("a/3", {}, "whole number"), ("1/0", {}, "at least 1"), ("auto", {}, "neither"),
                             ("auto", {"JOB_COMPLETION_INDEX": "1"}, "needs the number of shards")]:
        with pytest.raises(ShardError, match=words):
            parse(text, env)


@ONE_CLASS
def test_every_submission_has_a_result_file_and_the_run_a_manifest(graded):
    from utils.workbook import results

    single = graded["base"] / "single" / "results"
    stored = results.load_all(single)
    rows = read_csv(graded["base"] / "single" / "grades.csv")
    assert sorted(stored) == sorted(r["submission"] for r in rows) and len(rows) == 8
    one = stored[str(graded["subs"] / "cid_103_9003_90_toy.ipynb")]
    assert set(one["key"]) == {"submission_sha256", "notebook", "pristine_sha256", "checks_sha256", "grader", "limits"}
    assert one["key"]["submission_sha256"] == one["row"]["sha256"] and one["row"]["points"] == "2"
    assert [c["outcome"] for c in one["checks"]] == ["passed", "failed"]
    run = json.loads((single / "run.json").read_text())
    assert run["shard"] is None and len(run["submissions"]) == 8
    assert not list(single.glob(".tmp-*"))  # atomic writes leave nothing behind


@ONE_CLASS
def test_three_shards_merged_are_the_single_run(graded):
    base = graded["base"]
    counts = [len(read_csv(base / f"shard{k}" / "grades.csv")) for k in (1, 2, 3)]
    assert sum(counts) == 8 and all(counts), counts  # each shard graded its part, none twice
    assert graded["merged"].returncode == 0
    single, merged = outputs(base / "single"), outputs(base / "merged")
    assert list(single) == list(merged) and len(single) == 10  # 2 CSVs, 8 pages, same names
    for name in single:
        assert merged[name] == single[name], name
    # not even the seconds differ where nothing was measured (the unreadable file: 0.0)
    assert (base / "merged" / "checks.csv").read_bytes() == (base / "single" / "checks.csv").read_bytes()


@ONE_CLASS
def test_a_second_run_grades_only_what_changed(graded, tmp_path):
    base = graded["base"]
    out = tmp_path / "out"
    shutil.copytree(base / "single", out)
    subs = tmp_path / "class"
    shutil.copytree(graded["subs"], subs)
    # results are keyed by the submission's path as the CSV shows it: re-key the copy's results to the copy
    from utils.workbook import results

    for p in (out / "results").glob("*.json"):
        data = json.loads(p.read_text().replace(str(graded["subs"]), str(subs)))
        p.unlink()
        if p.name == "run.json":
            results.write_json(p, data)
        else:
            results.save(out / "results", data)
    changed = subs / "bob_102_9002_90_toy.ipynb"
    _write(subs, changed.name, _with_answers(toy_student(), **CORRECT))
    (out / "results" / results.result_name(str(subs / "dee_104_9004_90_toy.ipynb"))).write_text('{"format": 1, "ke')
    proc = grade(subs, "--out", out, solutions=graded["sol"])
    assert proc.stderr.count("(unchanged since") == 6, proc.stderr  # bob changed, dee's result is corrupt
    rows = {Path(r["submission"]).name: r for r in read_csv(out / "grades.csv")}
    assert rows["bob_102_9002_90_toy.ipynb"]["points"] == "5" and rows["dee_104_9004_90_toy.ipynb"]["points"] == "2"
    assert len(read_csv(out / "grades.csv")) == 8 and (out / "feedback" / "late_junk.md").exists()
    assert "**Score: 5 / 5 points**" in (out / "feedback" / "bob_102_9002_90_toy.md").read_text()
    # a result of another grader version is regraded, never trusted
    p = out / "results" / results.result_name(str(subs / "ann_101_9001_90_toy.ipynb"))
    data = json.loads(p.read_text())
    data["key"]["grader"] = "0.0.1+other"
    data["row"]["points"] = "99"
    p.write_text(json.dumps(data))
    proc = grade(subs, "--out", out, solutions=graded["sol"])
    assert proc.stderr.count("(unchanged since") == 7 and "ann_101_9001_90_toy.ipynb: 5/5 ok (" in proc.stderr
    assert {r["points"] for r in read_csv(out / "grades.csv") if "ann_" in r["submission"]} == {"5"}
    # other limits are another key: the stored result is not reused
    key = dict(data["key"], grader=results.grader_version())
    assert results.load_reusable(out / "results", data["submission"], key) is not None
    assert results.load_reusable(out / "results", data["submission"], dict(key, limits={"cell_timeout": 30})) is None


@ONE_CLASS
def test_merge_names_what_a_dead_shard_never_graded(graded, tmp_path):
    base = graded["base"]
    proc = grade("merge", base / "shard1", base / "shard3", "--out", tmp_path / "m", check=False)
    lost = {r["submission"] for r in read_csv(base / "shard2" / "grades.csv")}
    assert proc.returncode == 1 and "shard 2" in proc.stderr
    assert all(Path(s).name in proc.stderr for s in lost)
    assert {r["submission"] for r in read_csv(tmp_path / "m" / "grades.csv")} | lost == \
        {r["submission"] for r in read_csv(base / "single" / "grades.csv")}
    assert (tmp_path / "m" / "missing.txt").read_text().count("(shard 2)") == len(lost)
    # a shard killed midway: its manifest is there, some results are not
    half = tmp_path / "half"
    shutil.copytree(base / "shard2", half)
    from utils.workbook import results

    gone = sorted(results.load_all(half / "results"))[0]
    (half / "results" / results.result_name(gone)).unlink()
    proc = grade("merge", base / "shard1", half, base / "shard3", "--out", tmp_path / "m2", check=False)
    assert proc.returncode == 1 and Path(gone).name in proc.stderr
    assert len(read_csv(tmp_path / "m2" / "grades.csv")) == 7


@ONE_CLASS
def test_merge_refuses_folders_that_do_not_belong_together(graded, tmp_path):
    base = graded["base"]

    def merge(*folders):
        return grade("merge", *folders, "--out", tmp_path / "never", check=False)

    proc = merge(base / "shard1", base / "shard1", base / "shard2")
    assert proc.returncode == 2 and "both shard 1/3" in proc.stderr
    proc = merge(base / "shard1", base / "single")
    assert proc.returncode == 2 and "different numbers of shards" in proc.stderr
    for field, value, words in [("grader", "0.0.1+other", "grader versions"), ("course", "0" * 64, "courses"),
                                ("arguments", ["elsewhere/"], "SUBMISSION arguments")]:
        other = tmp_path / f"other-{field}"
        shutil.copytree(base / "shard2", other)
        run = json.loads((other / "results" / "run.json").read_text())
        run[field] = value
        (other / "results" / "run.json").write_text(json.dumps(run))
        proc = merge(base / "shard1", other, base / "shard3")
        assert proc.returncode == 2 and words in proc.stderr and str(other) in proc.stderr, proc.stderr
    proc = merge(base / "shard1", tmp_path)
    assert proc.returncode == 2 and "not the --out folder" in proc.stderr
    assert not (tmp_path / "never").exists()
    # the same K into one --out twice is refused by grade itself
    proc = grade(graded["subs"], "--out", base / "shard1", "--shard", "2/3", solutions=graded["sol"], check=False)
    assert proc.returncode == 2 and "holds the results of shard 1/3" in proc.stderr
    assert filecmp.cmp(base / "shard1" / "grades.csv", base / "shard1" / "grades.csv")
