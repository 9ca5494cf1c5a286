"""``workbook grade``: grade a whole class's notebooks in one command.

    workbook grade SUBMISSION... --out DIR [--jobs N] [--cell-timeout S] [--timeout S] [--memory-mb M]
                                           [--shard K/N|auto|auto/N] [--regrade] [--report]

A SUBMISSION is a ``.ipynb`` file or a folder, searched recursively (folders whose name
starts with a dot, such as ``.ipynb_checkpoints``, are skipped). The grader writes

- ``DIR/grades.csv``: one row per submission, columns
  ``submission,notebook,points,max_points,status,seconds,sha256``; status is ``ok``,
  ``unreadable``, ``unknown-notebook``, ``timeout`` or ``kernel-died``;
- ``DIR/checks.csv``: one row per check of every graded submission, columns
  ``submission,notebook,check,points,max_points,outcome,message``; outcome is
  ``passed``, ``failed``, ``not-attempted``, ``error``, ``timeout``, ``skipped`` or
  ``tampered``;
- ``DIR/feedback/<submission file stem>.md``: a page for the student (when two
  submissions share a stem, the second page is prefixed with its folder's name, then
  numbered);
- ``DIR/results/``: a result file per submission and the run's manifest (``results.py``).
  The CSVs and pages are rebuilt from them; a second run over the same DIR grades only
  the submissions whose key (bytes, pristine notebook, check sources, grader version,
  limits) changed, unless ``--regrade``;

and prints a summary table. Exit status: 0 when every submission got its row, whatever
its status; 2 on a usage error (bad option, a path that does not exist, no notebook
found, a shard that does not exist); 1 only if the grader itself failed on a submission
(a bug: that row is missing).

``--shard K/N`` grades only the submissions of shard K (``shard.py``); ``workbook grade
merge`` (``merge.py``) puts the shards together. ``--report`` also writes the class
report (``report.py``).

Which notebook a submission is: its metadata ``workbook.id`` if that is a known id
(a stem of ``solutions/*.ipynb``); else the longest known id inside its file name
(``alice_04_rnn_cell.ipynb``); else its status is ``unknown-notebook``.

How a submission is graded (``submission.py`` rebuilds it, ``kernel.py`` runs it, ``reports.py``
writes the pages):

1. The notebook to run is rebuilt from the pristine solution notebook
   ``solutions/<id>.ipynb``: every cell comes from there (set-up, narrative, check
   cells with their hidden tests, pristine metadata and kernelspec), except that each
   answer cell (nbgrader ``solution: true``) takes the student's code, matched by
   ``grade_id``, then by cell id. A deleted answer cell gets the stub the build writes
   (so it scores ``not-attempted``); deleted or edited check cells are put back as they
   were; the student's tags (``skip-execution``, ``raises-exception``), metadata and
   extra cells are ignored. Max points: the sum of the pristine check cells' points.
2. It runs in a fresh kernel, in a fresh temporary working directory, cell by cell up
   to the last check cell (later cells cannot change a score), going on after errors.
   Limits: ``--cell-timeout`` per cell (then an interrupt; a cell that does not stop
   within 5 s gets the kernel killed), ``--timeout`` for the whole submission (kernel
   start included; then the kernel is killed), ``--memory-mb`` of address space
   (``RLIMIT_AS``; an allocation beyond it raises ``MemoryError`` in the kernel).
3. Each check cell is scored from the kernel's ``execute_reply`` alone, never from its
   visible outputs (and is ``tampered`` when the check functions or what they compare
   with were replaced by the submission's code: ``tamper.py``): ``ok`` -> passed; ``NotImplementedError`` -> not-attempted;
   ``AssertionError``/``CheckFailure`` -> failed, with the check's message; any other
   exception -> error (``Name: message``); the cell limit -> timeout. When the kernel
   dies or is killed, the check running then is ``error`` (died) or ``timeout``
   (killed) and the checks not yet run are ``skipped``, with the reason in their
   message. Messages are capped at 2,000 characters, a check's kept stdout at 4,000,
   and zmq drops any single kernel message over 32 MiB unread.
4. Isolation: the grader only reads a submission (its sha256 is taken from the bytes
   graded), reads results only from the kernel protocol, and never runs student code
   in its own process. When it runs as root it starts each kernel as a throw-away user
   id (no supplementary groups, ``no_new_privs``, at most 1,024 processes) that can
   write only its own working directory and world-writable places such as /tmp; it
   keeps ``CAP_DAC_READ_SEARCH`` when Python lives where that user cannot read (e.g.
   under /root), so the kernel can read but not write. After the kernel ends, every
   process of that user is killed and its directory removed. Not run as root (a
   laptop), the kernel runs as the grader's user and could write wherever that user can.
   See ``docs/grading.md`` for what is and is not protected.
5. ``--jobs N`` grades N submissions at a time in a pool of processes (one kernel per
   worker at a time) and gives each kernel ``cpus // N`` OpenMP/BLAS threads unless the
   environment already sets them. A failure in one submission never stops the batch.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import kernel, results, shard, submission
from .kernel import Limits
from .reports import feedback_page, fmt_points, summary

GRADES_COLUMNS = ("submission", "notebook", "points", "max_points", "status", "seconds", "sha256")
CHECKS_COLUMNS = ("submission", "notebook", "check", "points", "max_points", "outcome", "message")
MAX_SUBMISSION_BYTES = 100 * 2**20


# --------------------------------------------------------------------------- command line

def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
        return value
    return parse


def _memory(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of MiB, got {text!r}") from None
    if value != 0 and value < 256:
        raise argparse.ArgumentTypeError("use 0 for no limit, or at least 256 MiB (a kernel needs more)")
    return value


def add_arguments(parser: argparse.ArgumentParser):
    from . import build

    parser.description = ("Grade filled-in notebooks: each submission is rebuilt from the pristine solution "
                          "notebook with the student's answer cells, run in a fresh kernel with limits, and "
                          "scored check by check. See docs/grading.md.")
    parser.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                        help="a .ipynb file, or a folder searched recursively for .ipynb files")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="where to write grades.csv, checks.csv and feedback/ (created if missing)")
    parser.add_argument("--jobs", type=_positive(int), default=1, metavar="N",
                        help="submissions graded at the same time (default 1)")
    parser.add_argument("--cell-timeout", type=_positive(float), default=120.0, metavar="S",
                        help="seconds a cell may run before it is interrupted (default 120)")
    parser.add_argument("--timeout", type=_positive(float), default=600.0, metavar="S",
                        help="seconds for a whole submission, kernel start included (default 600)")
    parser.add_argument("--memory-mb", type=_memory, default=4096, metavar="M",
                        help="address-space limit of each kernel in MiB, 0 for none (default 4096)")
    parser.add_argument("--shard", metavar="K/N",
                        help="grade only shard K of N (by a hash of each submission's path in its folder); "
                             "auto: K and N from a Slurm job array or a Kubernetes Indexed Job (auto/N)")
    parser.add_argument("--regrade", action="store_true",
                        help="grade every submission again, even those whose stored result is up to date")
    parser.add_argument("--report", action="store_true",
                        help="also write DIR/report.html and DIR/report.png, the class report")
    parser.add_argument("--solutions", default=str(build.SOLUTIONS), help=argparse.SUPPRESS)
    parser.add_argument("--all-cells", action="store_true", help=argparse.SUPPRESS)  # tests/workbook/bench_grade.py
    parser.add_argument("--no-user-switch", action="store_true", help=argparse.SUPPRESS)  # tests: the laptop path


# --------------------------------------------------------------------------- submissions

@dataclass
class Submission:
    path: Path
    display: str  # as it appears in the CSVs: the path as given or found
    feedback: str = ""  # file name of its feedback page
    sha256: str = ""
    notebook: str = ""
    status: str = ""  # set early for unreadable / unknown-notebook
    reason: str = ""
    cells: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    relative: str = ""  # path relative to its SUBMISSION folder: decides its shard
    order: list = field(default_factory=list)  # [argument index, *relative parts]: the order of the rows
    key: dict = field(default_factory=dict)  # what its result depends on (results.py)


def find_submissions(paths) -> tuple[list, list]:
    """(files, problems): every .ipynb named or found under a named folder, in order."""
    found, problems = locate_submissions(paths)
    return [f for f, _, _ in found], problems


def locate_submissions(paths) -> tuple[list, list]:
    """(found, problems): found is [(file, index of its SUBMISSION argument, path relative to it)].

    The relative path (posix; a file given by name: its name) decides the file's shard.
    """
    files, problems, seen = [], [], set()
    for index, given in enumerate(paths):
        p = Path(given)
        if p.is_dir():
            found = sorted(f for f in p.rglob("*.ipynb")
                           if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts[:-1]))
            if not found:
                print(f"workbook grade: no .ipynb file in {given}", file=sys.stderr)
            pairs = [(f, f.relative_to(p).as_posix()) for f in found]
        elif p.is_file():
            pairs = [(p, p.name)]
        else:
            problems.append(f"{given}: no such file or folder")
            continue
        for f, relative in pairs:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                files.append((f, index, relative))
    return files, problems


def identify(nb, path: Path, known) -> str:
    """The notebook id of a submission, or "" when it cannot be told."""
    if nb is not None:
        declared = submission.declared_id(nb)
        if declared in known:
            return declared
    matches = [k for k in known if k in path.name]
    return max(matches, key=len) if matches else ""


def _feedback_names(subs):
    used = set()
    for s in subs:
        stem = s.path.stem
        name = stem
        if name in used and s.path.parent.name:
            name = f"{s.path.parent.name}_{stem}"
        base, n = name, 2
        while name in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name)
        s.feedback = name + ".md"


def _read(sub: Submission, known, pristines):
    """Read, hash and identify one submission; rebuild it if it can be graded."""
    digest = hashlib.sha256()
    chunks, size = [], 0
    try:
        with open(sub.path, "rb") as f:  # read only, never written
            while chunk := f.read(2**20):
                digest.update(chunk)
                size += len(chunk)
                if size <= MAX_SUBMISSION_BYTES + len(chunk):
                    chunks.append(chunk)
    except OSError as e:
        sub.sha256 = ""
        sub.status, sub.reason = "unreadable", f"the file could not be opened ({e.strerror})"
        sub.notebook = identify(None, sub.path, known)
        return
    sub.sha256 = digest.hexdigest()
    data = b"".join(chunks)
    nb = None
    if size > MAX_SUBMISSION_BYTES:
        sub.status = "unreadable"
        sub.reason = (f"the file is larger than {MAX_SUBMISSION_BYTES // 2**20} MB: clear its outputs "
                      "(Edit > Clear Outputs of All Cells), save it and hand it in again")
    else:
        try:
            nb = submission.parse_notebook(data)
        except submission.Unreadable as e:
            sub.status, sub.reason = "unreadable", str(e)
    sub.notebook = identify(nb, sub.path, known)
    if sub.status:
        return
    if not sub.notebook:
        sub.status = "unknown-notebook"
        sub.reason = "neither its metadata (workbook.id) nor its file name names a notebook of the course"
        return
    sub.cells, sub.notes = submission.rebuild(pristines[sub.notebook], nb)


# --------------------------------------------------------------------------- grading

def _grade_one(cells, kernel_name, limits) -> tuple:
    """Run in a worker: (RunResult, seconds)."""
    t0 = time.monotonic()
    result = kernel.run_cells(cells, kernel_name, limits)
    return result, time.monotonic() - t0


def _grade_all(subs, pristines, limits, jobs, on_done):
    """Grade every gradable submission; call on_done(sub, result, seconds, error)."""
    todo = [s for s in subs if not s.status]
    if jobs == 1 or len(todo) <= 1:
        for s in todo:
            try:
                result, seconds = _grade_one(s.cells, pristines[s.notebook].kernel_name, limits)
            except KeyboardInterrupt:
                raise
            except Exception as e:  # noqa: BLE001 - a bug on one submission must not stop the batch
                on_done(s, None, 0.0, e)
            else:
                on_done(s, result, seconds, None)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    import jupyter_client  # noqa: F401 - imported once here, inherited by every forked worker
    import zmq  # noqa: F401

    context = multiprocessing.get_context("fork")
    for attempt in (1, 2):  # a broken pool (a worker died) is rebuilt once for the rest
        retry = []
        with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=context) as pool:
            futures = {pool.submit(_grade_one, s.cells, pristines[s.notebook].kernel_name, limits): s for s in todo}
            for future in as_completed(futures):
                s = futures[future]
                try:
                    result, seconds = future.result()
                except BrokenProcessPool as e:
                    if attempt == 1:
                        retry.append(s)
                    else:
                        on_done(s, None, 0.0, e)
                except Exception as e:  # noqa: BLE001
                    on_done(s, None, 0.0, e)
                else:
                    on_done(s, result, seconds, None)
        todo = retry
        if not todo:
            return


def _isolation(stderr) -> tuple[bool, bool]:
    """(drop, read_all): whether kernels can run as a throw-away user here."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False, False

    def world_readable(path: Path) -> bool:
        path = path.resolve()
        for p in [path, *path.parents]:
            try:
                if not p.stat().st_mode & 0o001:
                    return False
            except OSError:
                return False
        return True

    read_all = not all(world_readable(Path(p)) for p in (sys.executable, sys.prefix, Path(__file__).parent))
    if kernel.probe_drop(read_all):
        return True, read_all
    print("workbook grade: warning: cannot run the kernels as an unprivileged user here, so they run as root "
          "and a submission could write anywhere root can (see docs/grading.md)", file=stderr)
    return False, False


# --------------------------------------------------------------------------- main

def _stamp() -> str:
    """When this run graded: local time, or $SOURCE_DATE_EPOCH (UTC) for reproducible pages."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(int(epoch)))
    return time.strftime("%Y-%m-%d %H:%M")


def _limits_key(args) -> dict:
    return {"cell_timeout": args.cell_timeout, "timeout": args.timeout, "memory_mb": args.memory_mb,
            "all_cells": bool(args.all_cells)}


def manifest(subs, args, known, shard_spec) -> dict:
    """The run's manifest (results/run.json): every submission found, in order, and its shard."""
    n = shard_spec[1] if shard_spec else 1
    return {"format": results.FORMAT, "kind": "workbook-grade-run", "grader": results.grader_version(),
            "course": results.course_fingerprint(known), "notebooks": sorted(known),
            "arguments": [str(a) for a in args.submissions],
            "shard": list(shard_spec) if shard_spec else None, "limits": _limits_key(args),
            "submissions": [{"submission": s.display, "relative": s.relative, "order": s.order,
                             "shard": shard.shard_of(s.relative, n)} for s in subs]}


def make_result(sub: Submission, row: dict, checks: list, title: str, stamp: str) -> dict:
    """The result file of one graded submission (see results.py)."""
    return {"submission": sub.display, "key": sub.key, "grader": results.grader_version(), "stamp": stamp,
            "row": row, "checks": checks,
            "page": {"name": sub.path.name, "status": sub.status, "reason": sub.reason, "notes": list(sub.notes),
                     "title": title}}


def write_outputs(out: Path, ordered: list, with_pages=()):
    """grades.csv and checks.csv of the results in `ordered` (in that order), and the pages of
    the (result, feedback file name) pairs in `with_pages`."""
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    with open(out / "grades.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, GRADES_COLUMNS)
        w.writeheader()
        w.writerows(r["row"] for r in ordered)
    with open(out / "checks.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, CHECKS_COLUMNS)
        w.writeheader()
        for r in ordered:
            w.writerows(r["checks"])
    for result, name in with_pages:
        (out / "feedback" / name).write_text(page_of(result), encoding="utf-8")


def page_of(result: dict) -> str:
    """The feedback page of a stored result (reports.feedback_page on what the file holds)."""
    from types import SimpleNamespace

    page = result["page"]
    sub = SimpleNamespace(path=Path(page["name"]), display=result["submission"], status=page["status"],
                          reason=page["reason"], notes=page["notes"], sha256=result["row"].get("sha256", ""),
                          notebook=result["row"].get("notebook", ""))
    checks = [SimpleNamespace(check=c["check"], points=c["points"], max_points=c["max_points"],
                              outcome=c["outcome"], message=c["message"]) for c in result["checks"]]
    return feedback_page(sub, result["row"], checks, SimpleNamespace(title=page["title"]), result["stamp"])


def run(args) -> int:
    t_start = time.monotonic()
    solutions = Path(args.solutions)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"workbook grade: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    known_paths = sorted(solutions.glob("*.ipynb")) if solutions.is_dir() else []
    if not known_paths:
        print(f"workbook grade: no solution notebooks in {solutions}", file=sys.stderr)
        return 2
    shard_spec = None
    if args.shard:
        try:
            shard_spec = shard.parse(args.shard)
        except shard.ShardError as e:
            print(f"workbook grade: {e}", file=sys.stderr)
            return 2
    found, problems = locate_submissions(args.submissions)
    if problems:
        for p in problems:
            print(f"workbook grade: {p}", file=sys.stderr)
        return 2
    if not found:
        print("workbook grade: no .ipynb submission found", file=sys.stderr)
        return 2

    known = {p.stem: p for p in known_paths}
    subs = [Submission(f, str(f), relative=relative, order=[index, *Path(relative).parts])
            for f, index, relative in found]
    _feedback_names(subs)
    results_dir = out / "results"
    run_info = manifest(subs, args, known, shard_spec)
    previous = results.read_json(results_dir / results.RUN_FILE)
    if isinstance(previous, dict) and previous.get("shard") != run_info["shard"] and previous.get("shard"):
        was = "/".join(map(str, previous["shard"]))
        now = "/".join(map(str, shard_spec)) if shard_spec else "no shard"
        print(f"workbook grade: {out} holds the results of shard {was}, and this run is {now}: give every "
              "shard its own --out (merge them with `workbook grade merge`)", file=sys.stderr)
        return 2
    mine = [s for s in subs if shard_spec is None or shard.shard_of(s.relative, shard_spec[1]) == shard_spec[0]]
    results_dir.mkdir(parents=True, exist_ok=True)
    for stale in results_dir.glob(".tmp-*"):  # left by a run killed while it wrote a result
        stale.unlink(missing_ok=True)
    results.write_json(results_dir / results.RUN_FILE, run_info)

    pristines = {}
    lazy = _LazyPristines(known, pristines)
    pristine_sha = {}
    limits_key = _limits_key(args)
    stored, todo = {}, []
    for s in mine:  # only the pristine notebooks that are needed are loaded
        try:
            _read(s, known, lazy)
        except Exception as e:  # noqa: BLE001 - a broken solution notebook is the course's bug
            print(f"workbook grade: cannot use {known.get(s.notebook, solutions)} to grade {s.display}: {e}",
                  file=sys.stderr)
            return 1
        if s.notebook and s.notebook not in pristine_sha:
            pristine_sha[s.notebook] = results.sha256_file(known[s.notebook])
        s.key = results.make_key(s.sha256, s.notebook, pristine_sha.get(s.notebook, ""), limits_key)
        reuse = None if args.regrade else results.load_reusable(results_dir, s.display, s.key)
        if reuse is not None:
            stored[s.display] = reuse
        else:  # an out-of-date result is removed first: a run killed now leaves none that could be merged
            todo.append(s)
            try:
                (results_dir / results.result_name(s.display)).unlink()
            except FileNotFoundError:
                pass

    gradable = any(not s.status for s in todo) and not args.no_user_switch
    drop, read_all = _isolation(sys.stderr) if gradable else (False, False)
    threads = max(1, (os.cpu_count() or 1) // args.jobs) if args.jobs > 1 else 0
    limits = Limits(cell_timeout=args.cell_timeout, timeout=args.timeout, memory_mb=args.memory_mb,
                    threads=threads, drop=drop, read_all=read_all, all_cells=args.all_cells)

    (out / "feedback").mkdir(parents=True, exist_ok=True)
    stamp = _stamp()
    failures = []
    done = [0]
    n = len(mine)
    for s in mine:
        if s.display in stored:
            done[0] += 1
            row = stored[s.display]["row"]
            score = f"{row['points']}/{row['max_points']}" if row["max_points"] != "" else "-"
            print(f"[{done[0]}/{n}] {s.display}: {score} {row['status']} (unchanged since {stored[s.display]['stamp']}: "
                  "not graded again)", file=sys.stderr)

    def record(sub: Submission, result, seconds: float, error):
        done[0] += 1
        if error is not None:
            failures.append(sub)
            print(f"[{done[0]}/{n}] {sub.display}: the grader failed ({error.__class__.__name__}: {error}); "
                  "no row written", file=sys.stderr)
            return
        try:  # an unreadable file named after a notebook still shows that notebook's max points
            pristine = lazy[sub.notebook] if sub.notebook else None
        except Exception:  # noqa: BLE001
            pristine = None
        max_points = pristine.max_points if pristine else ""
        if result is None:  # unreadable or unknown-notebook
            status, checks = sub.status, []
        else:
            status, checks = result.status, result.checks
            sub.reason = result.note
        points = sum(c.points for c in checks)
        row = {"submission": sub.display, "notebook": sub.notebook, "points": fmt_points(points),
               "max_points": fmt_points(max_points), "status": status, "seconds": f"{seconds:.1f}",
               "sha256": sub.sha256}
        check_rows = [
            {"submission": sub.display, "notebook": sub.notebook, "check": c.check, "points": fmt_points(c.points),
             "max_points": fmt_points(c.max_points), "outcome": c.outcome, "message": c.message} for c in checks]
        stored[sub.display] = make_result(sub, row, check_rows, pristine.title if pristine else "", stamp)
        results.save(results_dir, stored[sub.display])  # as soon as it is graded: a crash loses only what runs
        page = feedback_page(sub, row, checks, pristine, stamp)
        (out / "feedback" / sub.feedback).write_text(page, encoding="utf-8")
        score = f"{row['points']}/{row['max_points']}" if row["max_points"] != "" else "-"
        print(f"[{done[0]}/{n}] {sub.display}: {score} {status} ({row['seconds']} s)", file=sys.stderr)

    for s in todo:
        if s.status:
            record(s, None, 0.0, None)
    try:
        _grade_all(todo, pristines, limits, args.jobs, record)
    finally:  # interrupted (Ctrl-C) or not, the rows done so far are written, from the result files
        ordered = [stored[s.display] for s in mine if s.display in stored]
        fresh = {s.display for s in todo}
        write_outputs(out, ordered, [(stored[s.display], s.feedback) for s in mine
                                     if s.display in stored and s.display not in fresh])
    rows = [r["row"] for r in ordered]
    print(summary(rows, time.monotonic() - t_start, out, len(rows)))
    reused = len(mine) - len(todo)
    if reused:
        print(f"workbook grade: {reused} submission(s) unchanged since an earlier run were not graded again "
              "(--regrade grades everything)", file=sys.stderr)
    if shard_spec:
        print(f"workbook grade: shard {shard_spec[0]}/{shard_spec[1]}: {len(mine)} of {len(subs)} submissions; "
              "combine the shards with `workbook grade merge`", file=sys.stderr)
    if args.report:
        from . import report

        report.write(out)
    if failures:
        print(f"workbook grade: the grader failed on {len(failures)} submission(s); their rows are missing",
              file=sys.stderr)
        return 1
    return 0


class _LazyPristines(dict):
    """pristines[id] loads solutions/<id>.ipynb the first time it is asked for."""

    def __init__(self, known, cache):
        super().__init__()
        self.known, self.cache = known, cache

    def __getitem__(self, nb_id):
        if nb_id not in self.cache:
            self.cache[nb_id] = submission.load_pristine(self.known[nb_id])
        return self.cache[nb_id]
