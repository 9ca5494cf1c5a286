"""``workbook grade merge DIR... --out OUT``: put the shards of a class back together.

Each DIR is the ``--out`` folder of one ``workbook grade --shard K/N`` run (or of a run
without shards). From their ``results/`` folders (see ``results.py``) the merge writes
``OUT/grades.csv``, ``OUT/checks.csv``, ``OUT/feedback/`` and ``OUT/results/``: the same
bytes as one ``workbook grade`` run over the same submissions would write (the rows in
the same order, the pages under the same names), except for what is measured, the
``seconds`` column, and the "graded" time of the pages, which is when each shard ran
(set ``SOURCE_DATE_EPOCH`` to fix it).

It refuses (exit 2, nothing written) folders that do not belong together: of different
courses (solution notebooks), grader versions, SUBMISSION arguments, limits or numbers
of shards, or two folders of the same shard K. It never drops a row in silence: a
submission that no shard graded (a shard that died, or was never run) is named, with
its shard, on stderr and in ``OUT/missing.txt``, and the exit status is then 1. A
submission graded by two folders with different results is a refusal too, so no row is
counted twice.
"""

from __future__ import annotations

import sys
from pathlib import Path

from . import results

MISSING_FILE = "missing.txt"


class MergeError(Exception):
    """Folders that cannot be merged; the message says why."""


def add_arguments(parser):
    parser.description = ("Combine the result folders of the shards of a class (workbook grade --shard K/N) "
                          "into one grades.csv, checks.csv and feedback/. See docs/grading.md.")
    parser.add_argument("folders", nargs="+", metavar="DIR", help="the --out folder of each shard")
    parser.add_argument("--out", required=True, metavar="OUT", help="where to write the merged reports")
    parser.add_argument("--report", action="store_true", help="also write OUT/report.html and OUT/report.png")


def _load(folder: Path) -> tuple[Path, dict]:
    results_dir = folder / "results" if (folder / "results").is_dir() else folder
    run = results.read_json(results_dir / results.RUN_FILE)
    if not folder.is_dir():
        raise MergeError(f"{folder}: no such folder")
    if run is None:
        raise MergeError(f"{folder}: no results/{results.RUN_FILE}, so it is not the --out folder of a "
                         "`workbook grade` run (or that run died before it started: run the shard again)")
    if not isinstance(run, dict) or run.get("format") != results.FORMAT or run.get("kind") != "workbook-grade-run":
        raise MergeError(f"{folder}: results/{results.RUN_FILE} is of another format (written by another "
                         f"version of workbook grade): grade that shard again with this one")
    return results_dir, run


def _same(runs, field, what):
    values = {}
    for folder, run in runs:
        values.setdefault(repr(run.get(field)), []).append(str(folder))
    if len(values) > 1:
        groups = "; ".join(", ".join(folders) for folders in values.values())
        raise MergeError(f"these folders were graded with different {what}, so they are not shards of one "
                         f"grading: {groups}")


def collect(folders) -> tuple[list, list, dict, dict]:
    """(ordered results, missing [(submission, shard)], merged manifest, {submission: feedback name})."""
    from .grade import Submission, _feedback_names

    loaded = [(Path(f), *_load(Path(f))) for f in folders]
    runs = [(folder, run) for folder, _, run in loaded]
    _same(runs, "course", "courses (their solution notebooks differ)")
    _same(runs, "grader", "grader versions (update the grader everywhere and grade again)")
    _same(runs, "arguments", "SUBMISSION arguments (give every shard the same folders, as the same paths)")
    _same(runs, "limits", "limits (--cell-timeout, --timeout, --memory-mb)")
    counts = {(run["shard"] or [1, 1])[1] for _, run in runs}
    if len(counts) > 1:
        raise MergeError("these folders split the class into different numbers of shards: "
                         + "; ".join(f"{f}: {'/'.join(map(str, r['shard'] or [1, 1]))}" for f, r in runs))
    n = counts.pop()
    by_k = {}
    for folder, run in runs:
        k = (run["shard"] or [1, 1])[0]
        if k in by_k:
            raise MergeError(f"{by_k[k]} and {folder} are both shard {k}/{n}: keep one of them (the one that "
                             "finished), or give each shard its own K")
        by_k[k] = folder

    entries = {}
    for _, run in runs:  # the union of what every shard found (a late submission may be in some only)
        for e in run["submissions"]:
            entries.setdefault(e["submission"], e)
    ordered_entries = sorted(entries.values(), key=lambda e: (e["order"][0], e["order"][1:]))

    found, origin = {}, {}
    for folder, results_dir, run in loaded:
        for display, result in results.load_all(results_dir).items():
            if display not in entries or result["key"].get("grader") != run["grader"]:
                continue  # a stale file of an earlier grading, not of this run
            if display in found and (found[display]["key"] != result["key"] or found[display]["row"]["points"]
                                     != result["row"]["points"]):
                raise MergeError(f"{display} was graded in both {origin[display]} and {folder}, with different "
                                 "results: keep one of the folders")
            found.setdefault(display, result)
            origin.setdefault(display, folder)

    subs = [Submission(Path(e["submission"]), e["submission"]) for e in ordered_entries]
    _feedback_names(subs)
    names = {s.display: s.feedback for s in subs}
    ordered = [found[e["submission"]] for e in ordered_entries if e["submission"] in found]
    missing = [(e["submission"], e["shard"]) for e in ordered_entries if e["submission"] not in found]
    merged = dict(runs[0][1], shard=None, submissions=ordered_entries)
    return ordered, missing, merged, names


def run(args) -> int:
    from .grade import write_outputs

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"workbook grade merge: --out {out} is a file, not a folder", file=sys.stderr)
        return 2
    if any(Path(f).resolve() == out.resolve() for f in args.folders):
        print(f"workbook grade merge: --out {out} is one of the folders to merge: write the merge elsewhere",
              file=sys.stderr)
        return 2
    try:
        ordered, missing, merged, names = collect(args.folders)
    except MergeError as e:
        print(f"workbook grade merge: {e}", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    results_dir = out / "results"
    results_dir.mkdir(exist_ok=True)
    for result in ordered:
        results.save(results_dir, result)
    results.write_json(results_dir / results.RUN_FILE, merged)
    write_outputs(out, ordered, [(r, names[r["submission"]]) for r in ordered])
    if args.report:
        from . import report

        report.write(out)
    shards = sorted({k for _, k in missing})
    print(f"workbook grade merge: {len(ordered)} submission(s) from {len(args.folders)} folder(s) -> "
          f"{out / 'grades.csv'}, {out / 'checks.csv'}, {out / 'feedback'}/")
    if missing:
        lines = [f"{display}\t(shard {k})" for display, k in missing]
        (out / MISSING_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"workbook grade merge: {len(missing)} submission(s) have no result: no shard graded them "
              f"(shard{'s' if len(shards) > 1 else ''} {', '.join(map(str, shards))} died, was not run or did not "
              f"finish; run it again into its folder, then merge again). They are listed in "
              f"{out / MISSING_FILE}:", file=sys.stderr)
        for line in lines:
            print(f"  {line}", file=sys.stderr)
        return 1
    try:
        (out / MISSING_FILE).unlink()
    except FileNotFoundError:
        pass
    return 0

