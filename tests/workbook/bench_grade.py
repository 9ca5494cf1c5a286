"""Performance of ``workbook grade`` (a script, not collected by pytest).

    .venv/bin/python tests/workbook/bench_grade.py [--notebook 01_feedforward] [--repeat 3]

1. Overhead: the solution notebook run plainly (``utils.workbook.execute.execute_notebook``, the
   way ``workbook execute`` runs it, without writing) against ``workbook grade`` of
   the same notebook as a submission, both as fresh commands (interpreter start and
   imports included), alternated, median of --repeat runs. Issue 3: at most +20 %.
2. Scaling: 10 and 20 submissions (copies of the solution notebook) with
   ``--jobs 2``, and 10 with ``--jobs 1``. Issue 3: with --jobs 2, 20 submissions take
   at most 1.5 times as long as 10. Both ratios are printed, 20/--jobs 2 over
   10/--jobs 2 and over 10/--jobs 1 (the second is the one parallelism controls: each
   submission's own run time is fixed, so doubling the work with the same two
   workers doubles the time unless kernel start-up dominates).

3. Course scale (``--course``, issue 18): a class of --n (48) mixed submissions of one
   notebook (a third solutions, a third stubs, a third with the first answer wrong in
   the plainest way: the stub), graded with ``--jobs 1`` as one shard: submissions graded
   per CPU-minute (the grader's and its kernels' CPU time); then one submission changed
   and the same ``--out`` graded again (incremental: the share of the full run's wall
   time, goal at most 5 %); then the class in 2 shards run at the same time on the 2
   cores (``--shard 1/2`` and ``--shard 2/2``, ``--jobs 1`` each) against the 1-shard
   run (ratio of wall times, goal at most 0.6).

The machine should be otherwise idle: other processes make every number noisy.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _run(cmd) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stdout}\n{proc.stderr}")
    return seconds


def overhead(nb: Path, tmp: Path, repeat: int):
    copy = tmp / "plain" / nb.name
    copy.parent.mkdir()
    shutil.copy(nb, copy)
    sub = tmp / "sub"
    sub.mkdir()
    shutil.copy(nb, sub / nb.name)
    plain_cmd = [PY, "-c", "import sys; from utils.workbook.execute import execute_notebook; "
                           "execute_notebook(sys.argv[1], write=False)", str(copy)]
    plain, graded, graded_all = [], [], []
    for i in range(repeat):
        plain.append(_run(plain_cmd))
        graded.append(_run([PY, "-m", "utils", "grade", str(sub), "--out", str(tmp / f"out-{i}")]))
        graded_all.append(_run([PY, "-m", "utils", "grade", str(sub), "--out", str(tmp / f"out-all-{i}"),
                                "--all-cells"]))
    p = statistics.median(plain)
    print(f"{nb.stem}: plain execution {p:.2f} s (median of {', '.join(f'{x:.2f}' for x in plain)})")
    for label, runs in (("workbook grade", graded), ("workbook grade, every cell run (--all-cells)", graded_all)):
        g = statistics.median(runs)
        print(f"  {label}: {g:.2f} s (median of {', '.join(f'{x:.2f}' for x in runs)}) "
              f"-> {100 * (g - p) / p:+.1f} % against plain execution")


def scaling(nb: Path, tmp: Path):
    def batch(n, jobs):
        folder = tmp / f"class-{n}-{jobs}"
        folder.mkdir()
        for i in range(n):
            shutil.copy(nb, folder / f"student{i:02d}_{nb.name}")
        return _run([PY, "-m", "utils", "grade", str(folder), "--out", str(tmp / f"out-{n}-{jobs}"),
                     "--jobs", str(jobs)])

    t10_2 = batch(10, 2)
    t20_2 = batch(20, 2)
    t10_1 = batch(10, 1)
    print(f"{nb.stem}: 10 submissions --jobs 1: {t10_1:.1f} s; 10 --jobs 2: {t10_2:.1f} s; 20 --jobs 2: {t20_2:.1f} s")
    print(f"  20 (--jobs 2) / 10 (--jobs 2) = {t20_2 / t10_2:.2f};  20 (--jobs 2) / 10 (--jobs 1) = {t20_2 / t10_1:.2f}")


def adversarial_table(tmp: Path):
    """Grade the adversarial submissions of tests/workbook/test_grade.py and print case, expected, got."""
    import csv

    sys.path.insert(0, str(ROOT / "tests" / "workbook"))
    import test_grade as t

    sol, subs, out = tmp / "solutions", tmp / "class", tmp / "out"
    sol.mkdir()
    subs.mkdir()
    t._write(sol, f"{t.TOY}.ipynb", t.toy_solution())
    cases = t.adversarial_cases(sol, subs, out)
    for name, (nb, *_) in cases.items():
        t._write(subs, name, nb)
    seconds = _run([PY, "-m", "utils", "grade", str(subs), "--out", str(out), "--jobs", "2", "--cell-timeout", "2",
                    "--timeout", "60", "--memory-mb", "1024", "--solutions", str(sol)])
    rows = {Path(r["submission"]).name: r for r in csv.DictReader(open(out / "grades.csv"))}
    outcomes = {}
    for r in csv.DictReader(open(out / "checks.csv")):
        outcomes.setdefault(Path(r["submission"]).name, []).append(r["outcome"])
    print(f"| case | expected | got | seconds |\n|---|---|---|---|")
    for name, (_, status, points, expected) in cases.items():
        row = rows[name]
        exp = f"{status} {points}/5 " + "/".join(expected.values()) if expected else status
        got = f"{row['status']} {row['points']}/{row['max_points'] or '-'} " + "/".join(outcomes.get(name, []))
        print(f"| {name} | {exp.strip()} | {got.strip()} | {row['seconds']} |")
    print(f"({len(cases)} submissions, --jobs 2, in {seconds:.1f} s)")


def _timed(cmd) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it waited for)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = _run(cmd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def course_scale(nb: Path, tmp: Path, n: int):
    import copy
    import json

    sys.path.insert(0, str(ROOT))
    from utils.workbook import build

    solution = json.loads(nb.read_text(encoding="utf-8"))
    stub = build.student_notebook(solution, nb.stem)
    first_wrong = copy.deepcopy(solution)
    answers = [i for i, c in enumerate(solution["cells"]) if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    first_wrong["cells"][answers[0]] = stub["cells"][answers[0]]
    kinds = [("solution", solution), ("stub", stub), ("first-wrong", first_wrong)]
    subs = tmp / "class"
    subs.mkdir()
    for i in range(n):
        kind, content = kinds[i % 3]
        (subs / f"student{i:03d}_{kind}_{nb.name}").write_text(json.dumps(content), encoding="utf-8")
    grade = [PY, "-m", "utils", "grade", str(subs), "--jobs", "1"]

    full_wall, full_cpu = _timed(grade + ["--out", str(tmp / "one")])
    print(f"{nb.stem}, {n} mixed submissions, one shard, --jobs 1: {full_wall:.1f} s wall, {full_cpu:.1f} s CPU "
          f"-> {n / (full_cpu / 60):.1f} submissions per CPU-minute ({n / (full_wall / 60):.1f} per wall-minute)")

    changed = subs / f"student000_solution_{nb.name}"
    changed.write_text(json.dumps(stub), encoding="utf-8")
    inc_wall, inc_cpu = _timed(grade + ["--out", str(tmp / "one")])
    print(f"  incremental rerun, 1 of {n} changed: {inc_wall:.1f} s wall ({inc_cpu:.1f} s CPU) = "
          f"{100 * inc_wall / full_wall:.1f} % of the full run (goal <= 5 %)")
    changed.write_text(json.dumps(solution), encoding="utf-8")

    t0 = time.perf_counter()
    procs = [subprocess.Popen(grade + ["--out", str(tmp / f"shard{k}"), "--shard", f"{k}/2"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for k in (1, 2)]
    codes = [p.wait() for p in procs]
    two_wall = time.perf_counter() - t0
    if any(codes):
        sys.exit(f"a shard failed: {codes}")
    print(f"  2 shards at once on 2 cores: {two_wall:.1f} s wall against {full_wall:.1f} s for 1 shard: ratio "
          f"{two_wall / full_wall:.2f} (goal <= 0.6)")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", default=None, help="solution notebook id (default: the first in solutions/)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-scaling", action="store_true")
    parser.add_argument("--course", action="store_true",
                        help="only the course-scale figures: per CPU-minute, incremental rerun, 2 shards vs 1")
    parser.add_argument("--n", type=int, default=48, help="submissions of the --course class (default 48)")
    parser.add_argument("--adversarial", action="store_true",
                        help="only print the table of adversarial cases (case, expected, got)")
    args = parser.parse_args(argv)
    if args.adversarial:
        with tempfile.TemporaryDirectory() as tmp:
            adversarial_table(Path(tmp))
        return
    solutions = sorted((ROOT / "solutions").glob("*.ipynb"))
    if not solutions:
        sys.exit("no solution notebooks to measure")
    nb = ROOT / "solutions" / f"{args.notebook}.ipynb" if args.notebook else solutions[0]
    if args.course:
        with tempfile.TemporaryDirectory() as tmp:
            course_scale(nb, Path(tmp), args.n)
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "a").mkdir()
        overhead(nb, tmp / "a", args.repeat)
        if not args.skip_scaling:
            (tmp / "b").mkdir()
            scaling(nb, tmp / "b")


if __name__ == "__main__":
    main()
