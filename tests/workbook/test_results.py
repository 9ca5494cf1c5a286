"""Result files, incremental grading, shards and merge (results.py, shard.py, merge.py).

One small class of the toy notebook of ``test_grade.py`` (a kernel costs about a
second) is graded once in one run and once in three shards (the ``graded`` fixture of
``toy_class.py``, shared with ``test_slurm.py``); the tests compare the two and then
change the class: an edited submission, a corrupt result file, a shard that died,
folders that do not belong together. The LMS export and the class report are tested on
the same class.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from pathlib import Path

import pytest

from toy_class import ONE_CLASS, outputs
from test_grade import CORRECT, TOY, _with_answers, _write, grade, read_csv, toy_student


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
    # a result of another grader version (claiming 99 points) is regraded, never trusted
    p = out / "results" / results.result_name(str(subs / "ann_101_9001_90_toy.ipynb"))
    data = json.loads(p.read_text())
    data["key"]["grader"] = "0.0.1+other"
    data["row"]["points"] = "99"
    p.write_text(json.dumps(data))
    proc = grade(subs, "--out", out, "--jobs", "2", solutions=graded["sol"])
    assert proc.stderr.count("(unchanged since") == 5, proc.stderr  # bob changed, dee corrupt, ann another version
    rows = {Path(r["submission"]).name: r for r in read_csv(out / "grades.csv")}
    assert (rows["bob_102_9002_90_toy.ipynb"]["points"], rows["dee_104_9004_90_toy.ipynb"]["points"],
            rows["ann_101_9001_90_toy.ipynb"]["points"]) == ("5", "2", "5")
    assert len(read_csv(out / "grades.csv")) == 8 and (out / "feedback" / "late_junk.md").exists()
    assert "**Score: 5 / 5 points**" in (out / "feedback" / "bob_102_9002_90_toy.md").read_text()
    # other limits are another key: the stored result is not reused
    key = dict(data["key"], grader=results.grader_version())
    assert results.load_reusable(out / "results", data["submission"], key) is not None
    assert results.load_reusable(out / "results", data["submission"], dict(key, limits={"cell_timeout": 30})) is None


@ONE_CLASS
def test_a_run_interrupted_midway_resumes_where_it_stopped(graded, tmp_path):
    """Ctrl-C in the middle of a run keeps every result already written; the next run grades
    only the rest, and the outputs are those of an uninterrupted run."""
    import signal
    import subprocess
    import sys
    import time

    from test_grade import ROOT
    from toy_class import EPOCH

    out = tmp_path / "out"
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PYTHONFAULTHANDLER="1")
    cmd = [sys.executable, "-m", "utils", "grade", str(graded["subs"]), "--out", str(out), "--jobs", "1",
           "--solutions", str(graded["sol"])]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    def stored():  # complete result files (not the manifest, nor a .tmp- file being written)
        return [p for p in (out / "results").glob("*.json") if p.name != "run.json" and not p.name.startswith(".")]

    while len(stored()) < 3 and proc.poll() is None:  # the 2 unreadable files, 1 graded
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:  # say where it hangs (faulthandler prints every thread on SIGABRT)
        proc.send_signal(signal.SIGABRT)
        _, err = proc.communicate(timeout=60)
        pytest.fail(f"the grader did not stop within 60 s of Ctrl-C:\n{err[-6000:]}")
    kept = len(stored())
    assert 3 <= kept < 8, kept
    cmd[cmd.index("--jobs") + 1] = "2"
    again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert again.stderr.count("(unchanged since") == kept
    resumed, single = outputs(out), outputs(graded["base"] / "single")
    assert list(resumed) == list(single)
    for name in single:
        assert resumed[name] == single[name], name


@ONE_CLASS
def test_merge_names_what_a_dead_shard_never_graded(graded, tmp_path, cli):
    base = graded["base"]
    proc = cli("grade", "merge", base / "shard1", base / "shard3", "--out", tmp_path / "m", check=False)
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
    proc = cli("grade", "merge", base / "shard1", half, base / "shard3", "--out", tmp_path / "m2", check=False)
    assert proc.returncode == 1 and Path(gone).name in proc.stderr
    assert len(read_csv(tmp_path / "m2" / "grades.csv")) == 7


@ONE_CLASS
def test_merge_refuses_folders_that_do_not_belong_together(graded, tmp_path, cli):
    base = graded["base"]

    def merge(*folders):
        return cli("grade", "merge", *folders, "--out", tmp_path / "never", check=False)

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
    proc = cli("grade", "merge", base / "shard1", base / "shard2", "--out", base / "shard2", check=False)
    assert proc.returncode == 2 and "is one of the folders to merge" in proc.stderr
    # the same K into one --out twice is refused by grade itself
    proc = grade(graded["subs"], "--out", base / "shard1", "--shard", "2/3", solutions=graded["sol"], check=False)
    assert proc.returncode == 2 and "holds the results of shard 1/3" in proc.stderr
    assert filecmp.cmp(base / "shard1" / "grades.csv", base / "shard1" / "grades.csv")


# --------------------------------------------------------------------------- LMS export

CANVAS_ROSTER = '''\
Student,ID,SIS User ID,SIS Login ID,Section,90_toy (4455),Assignments Current Score,Current Score,Final Score
    Points Possible,,,,,5.00,(read only),(read only),(read only)
"Lee, Ann",101,S0101,alee,Lab A,,,,
"Ng, Bob",102,S0102,bng,Lab A,,,,
"Diaz, Cid",103,S0103,cdiaz,Lab B,,,,
"Rao, Dee",104,S0104,drao,Lab B,,,,
"Smith, Eve",105,S0105,esmith,Lab A,,,,
"Wu, Gus",107,S0107,gwu,Lab B,,,,
"Absent, Hal",108,S0108,habsent,Lab A,,,,
"Student, Test",109,,,Lab A,,,,
'''


@ONE_CLASS
def test_canvas_export_of_a_graded_class(graded, tmp_path, cli):
    roster = tmp_path / "roster.csv"
    roster.write_text(CANVAS_ROSTER, encoding="utf-8")
    target = tmp_path / "canvas.csv"
    proc = cli("export", graded["base"] / "single", "--lms", "canvas", "--roster", roster, "--out", target)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["Student,ID,SIS User ID,SIS Login ID,Section,90_toy (4455)",
                         "    Points Possible,,,,,5",
                         '"Lee, Ann",101,S0101,alee,Lab A,5']
    assert lines[3:] == ['"Ng, Bob",102,S0102,bng,Lab A,0', '"Diaz, Cid",103,S0103,cdiaz,Lab B,2',
                         '"Rao, Dee",104,S0104,drao,Lab B,2', '"Smith, Eve",105,S0105,esmith,Lab A,3',
                         '"Wu, Gus",107,S0107,gwu,Lab B,2', '"Absent, Hal",108,S0108,habsent,Lab A,',
                         '"Student, Test",109,,,Lab A,']
    # nothing dropped in silence: the files without an id and the students without a file are named
    assert "junk.ipynb" in proc.stderr and "late/junk.ipynb" in proc.stderr and "no id" in proc.stderr
    assert "Absent, Hal" in proc.stderr and "handed in nothing" in proc.stderr


class Ran:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def cli(capsys):
    """cli(*argv, check=True): run a workbook command in this process (fast); returns its code and output."""
    from utils.workbook.cli import main

    def run(*argv, check=True):
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        if check:
            assert code == 0, out + err
        return Ran(code, out, err)
    return run


def _grades_csv(folder: Path, rows):
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["submission", "notebook", "points", "max_points", "status", "seconds", "sha256"])
        w.writerows(rows)


def test_export_joins_by_id_never_by_name(tmp_path, cli):
    """Canvas and Moodle download names, late and repeated submissions, ids the roster lacks."""
    dl = "submissions/04"
    _grades_csv(tmp_path / "g04", [
        (f"{dl}/leeann_101_5001_04_rnn_cell.ipynb", "04_rnn_cell", "7", "9", "ok", "3.1", "a"),
        (f"{dl}/leeann_LATE_101_5009_04_rnn_cell-1.ipynb", "04_rnn_cell", "9", "9", "ok", "3.0", "b"),
        (f"{dl}/ngbob_102_5002_04_rnn_cell.ipynb", "04_rnn_cell", "0", "9", "unreadable", "0.0", "c"),
        (f"{dl}/strangerx_999_5003_04_rnn_cell.ipynb", "04_rnn_cell", "4", "9", "ok", "3.0", "d"),
        (f"{dl}/homework.ipynb", "", "0", "", "unknown-notebook", "0.0", "e"),
        (f"{dl}/final_04_rnn_cell.ipynb", "04_rnn_cell", "9", "9", "ok", "3.0", "f")])
    _grades_csv(tmp_path / "g05", [(f"submissions/05/leeann_101_6001_05_bptt.ipynb", "05_bptt", "2.5", "10", "ok",
                                    "3.0", "g")])
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n"
                      '"Lee, Ann",101,S1,alee,A\n"Lee, Ann",102,S2,alee2,A\n', encoding="utf-8")
    out = tmp_path / "canvas.csv"
    proc = cli("export", tmp_path / "g04", tmp_path / "g05", "--lms", "canvas", "--roster", roster, "--out", out)
    assert out.read_text().splitlines() == [
        "Student,ID,SIS User ID,SIS Login ID,Section,04_rnn_cell,05_bptt", "    Points Possible,,,,,9,10",
        '"Lee, Ann",101,S1,alee,A,9,2.5', '"Lee, Ann",102,S2,alee2,A,0,']  # two Ann Lees: ids keep them apart
    err = proc.stderr
    assert "handed in 04_rnn_cell 2 times" in err and "exported the higher score, 9" in err
    assert "strangerx_999_5003_04_rnn_cell.ipynb (id 999)" in err and "not in the roster" in err
    assert "final_04_rnn_cell.ipynb" in err and "no id in their file or folder name" in err
    assert "homework.ipynb" in err

    # Moodle: a folder per student, the id column of Moodle's gradebook export
    _grades_csv(tmp_path / "m", [
        ("dl/Ann Lee_4001_assignsubmission_file_/04_rnn_cell.ipynb", "04_rnn_cell", "8", "9", "ok", "1", "h"),
        ("dl/Bob Ng_4002_assignsubmission_file_/nb.ipynb", "04_rnn_cell", "3", "9", "ok", "1", "i")])
    roster = tmp_path / "moodle.csv"
    roster.write_text("First name,Last name,ID number,Institution,Department,Email address\n"
                      "Ann,Lee,4001,,,ann@example.org\nBob,Ng,4002,,,bob@example.org\nCy,Ho,4003,,,cy@example.org\n",
                      encoding="utf-8")
    proc = cli("export", tmp_path / "m", "--lms", "moodle", "--roster", roster, "--out", tmp_path / "moodle-out.csv")
    assert (tmp_path / "moodle-out.csv").read_text().splitlines() == ["ID number,04_rnn_cell", "4001,8", "4002,3",
                                                                      "4003,"]
    assert "Cy" in proc.stderr and "handed in nothing" in proc.stderr
    # another LMS, or ids in another place: a pattern and a column
    _grades_csv(tmp_path / "p", [("dl/s1234567-04_rnn_cell.ipynb", "04_rnn_cell", "6", "9", "ok", "1", "j")])
    roster = tmp_path / "other.csv"
    roster.write_text("name,student number\nAnn,s1234567\n", encoding="utf-8")
    cli("export", tmp_path / "p", "--lms", "moodle", "--roster", roster, "--out", tmp_path / "p.csv",
              "--id-pattern", r"(?P<id>s\d{7})", "--id-column", "student number")
    assert (tmp_path / "p.csv").read_text().splitlines() == ["student number,04_rnn_cell", "s1234567,6"]


def test_export_refuses_a_roster_it_cannot_join_by(tmp_path, cli):
    _grades_csv(tmp_path / "g", [("x/leeann_101_5001_04_rnn_cell.ipynb", "04_rnn_cell", "7", "9", "ok", "1", "a")])
    cases = {
        "duplicate": ("Student,ID,SIS User ID,SIS Login ID,Section\n\"Lee, Ann\",101,,,A\n\"Ng, Bob\",101,,,A\n",
                      "ID 101 is on line 2 and again on line 3 (Ng, Bob)"),
        "missing": ("Student,ID,SIS User ID,SIS Login ID,Section\n\"Lee, Ann\",101,,,A\n\"Ng, Bob\",,,,A\n",
                    "line 3 (Ng, Bob) has no ID"),
        "no-column": ("Name,Email\nAnn,a@x\n", "has no column 'ID'"),
        "not-canvas": ("Student,ID\nAnn,101\n", "lacks Canvas's column(s) SIS User ID"),
    }
    for name, (text, words) in cases.items():
        roster = tmp_path / f"{name}.csv"
        roster.write_text(text, encoding="utf-8")
        proc = cli("export", tmp_path / "g", "--lms", "canvas", "--roster", roster, "--out",
                         tmp_path / f"{name}-out.csv", check=False)
        assert proc.returncode == 2 and words in proc.stderr, (name, proc.stderr)
        assert not (tmp_path / f"{name}-out.csv").exists()
    roster = tmp_path / "duplicate.csv"
    for bad, words in [(["--id-pattern", "(unclosed"], "not a valid regular expression"),
                       (["--id-pattern", r"\d+"], "group named id")]:
        proc = cli("export", tmp_path / "g", "--lms", "canvas", "--roster", roster, "--out", tmp_path / "o.csv",
                         *bad, check=False)
        assert proc.returncode == 2 and words in proc.stderr
    roster = tmp_path / "good.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\n\"Lee, Ann\",101,,,A\n", encoding="utf-8")
    proc = cli("export", tmp_path, "--lms", "canvas", "--roster", roster, "--out", tmp_path / "o.csv", check=False)
    assert proc.returncode == 2 and "has no grades.csv" in proc.stderr


# --------------------------------------------------------------------------- class report

@ONE_CLASS
def test_class_report_of_a_class_with_mistakes(graded, cli):
    from utils.workbook import report

    folder = graded["base"] / "single"
    data = report.summarise(read_csv(folder / "grades.csv"), read_csv(folder / "checks.csv"))
    square = data["notebooks"][TOY]["checks"]["check_square"]
    assert dict(square["counts"]) == {"passed": 2, "failed": 2, "not attempted": 2}
    assert square["causes"].most_common(1) == [("square(4) returned 8, expected 16.", 2)]
    assert [(r[2], r[3], r[0]) for r in data["reteach"]] == [(TOY, "check_square", 0.5)]
    assert data["submissions"] == 8 and data["ungraded"] == 2
    assert sorted(data["notebooks"][TOY]["totals"]) == [0, 0.4, 0.4, 0.4, 0.6, 1.0]
    proc = cli("report", folder)
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Re-teach first" in page and "square(4) returned 8, expected 16. (2×)" in page
    assert "50 % (2 of 4)" in page and 'alt="Stacked bars, one per check: 90_toy check_double: 67% passed' in page
    assert (folder / "report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "report.html" in proc.stdout
    assert cli("report", graded["base"] / "nowhere", check=False).returncode == 2
