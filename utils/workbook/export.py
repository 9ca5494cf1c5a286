"""``workbook export DIR... --lms canvas|moodle --roster ROSTER.csv --out FILE``: grades for the LMS.

Reads ``grades.csv`` of each graded folder DIR (a ``workbook grade`` or ``merge`` output)
and writes one CSV in the layout of the LMS's gradebook import:

- **Canvas**: the columns ``Student, ID, SIS User ID, SIS Login ID, Section`` (copied
  from the roster, which is Canvas's own gradebook export), then one column per
  notebook, then a ``Points Possible`` row right under the header (as Canvas's export
  has it), then one row per student of the roster, in the roster's order. A notebook
  column is named after the notebook id, or takes the roster's header of the assignment
  whose name starts with that id (``04_rnn_cell (5678)``), so Canvas updates that
  assignment instead of creating a new one.
- **Moodle**: the roster's identifier column (``--id-column``, default ``ID number``),
  then one column per notebook, for Moodle's CSV grade import ("Identify user by").

A cell is blank where the student handed nothing in for that notebook; a submission that
was handed in but could not be read counts 0, as in ``grades.csv``.

Students are joined by an explicit id, never by name: the id is read from the
submission's file name, else from its folders' names, as the LMS download names them
(Canvas: ``lastfirst_12345_67890_name.ipynb``, ``lastfirst_LATE_12345_67890_name.ipynb``,
the first number being the Canvas user ID, the roster's ``ID``; Moodle: a folder
``Full Name_12345_assignsubmission_file_``), or by ``--id-pattern`` (a regular
expression with a group ``(?P<id>...)``). The roster column that holds that id is
``--id-column`` (Canvas: ``ID``).

Nothing is dropped in silence: students of the roster without any submission,
submissions without an id in their name, with an id the roster does not have, or of
no known notebook are listed on stderr (and the exit status is still 0: the file is
right for the students it has). When one student handed in a notebook twice, the higher
score is exported and both files are named. A roster with a duplicate or a missing id,
or without the id column, is refused (exit 2, nothing written).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
PATTERNS = {
    # lastfirst[_LATE]_<canvas user id>_<submission id>_<file name as uploaded>
    "canvas": r"^[^_]+_(?:LATE_)?(?P<id>\d+)_\d+_",
    # "Full Name_<number>_assignsubmission_file_" (a folder per student)
    "moodle": r"_(?P<id>\d+)_assignsubmission_",
}
ID_COLUMNS = {"canvas": "ID", "moodle": "ID number"}
NON_STUDENT_ROWS = ("points possible", "manual posting", "read only")  # rows of Canvas's export that are no student


class ExportError(Exception):
    """Input that cannot be exported; the message says why and what to do."""


def add_arguments(parser):
    parser.description = ("Write the grades of graded folders as a gradebook import file for Canvas or Moodle, "
                          "joining students by the id in their submission's name. See docs/grading.md.")
    parser.add_argument("folders", nargs="+", metavar="DIR", help="a folder written by workbook grade (or merge)")
    parser.add_argument("--lms", required=True, choices=sorted(PATTERNS), help="the gradebook layout to write")
    parser.add_argument("--roster", required=True, metavar="ROSTER.csv",
                        help="the LMS's own export of the class (Canvas: the gradebook export)")
    parser.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    parser.add_argument("--id-pattern", metavar="REGEX",
                        help="where the id is in a submission's file or folder name: a regular expression with a "
                             "group (?P<id>...) (default: the LMS's download names)")
    parser.add_argument("--id-column", metavar="NAME", help="the roster column that holds that id "
                                                            "(default: Canvas ID, Moodle ID number)")


def read_roster(path: Path, id_column: str) -> tuple[list, list]:
    """(header, student rows) of the roster; ExportError for a duplicate or missing id."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.DictReader(f)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except OSError as e:
        raise ExportError(f"cannot read the roster {path}: {e.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise ExportError(f"the roster {path} is not a CSV file in UTF-8 ({e})") from None
    if id_column not in header:
        raise ExportError(f"the roster {path} has no column {id_column!r} (its columns: {', '.join(header) or 'none'});"
                          " give the column that holds the students' ids with --id-column")
    students, seen, problems = [], {}, []
    for line, row in enumerate(rows, start=2):
        first = str(row.get(header[0]) or "").strip().lower()
        if first.startswith(NON_STUDENT_ROWS):
            continue
        sid = str(row.get(id_column) or "").strip()
        who = student_name(row)
        if not sid:
            problems.append(f"line {line} ({who}) has no {id_column}")
            continue
        if sid in seen:
            problems.append(f"{id_column} {sid} is on line {seen[sid]} and again on line {line} ({who})")
            continue
        seen[sid] = line
        students.append(row)
    if problems:
        raise ExportError(f"the roster {path} cannot be used to join students by {id_column}: "
                          + "; ".join(problems) + ". Export the roster from the LMS again, or fix those lines.")
    return header, students


def student_name(row: dict) -> str:
    """A student's name as the roster gives it (Canvas: Student; Moodle: First name, Last name)."""
    name = str(row.get("Student") or " ".join(str(row.get(c) or "") for c in ("First name", "Last name"))).strip()
    return name or "(no name)"


def submission_id(submission: str, pattern: re.Pattern):
    """The id in the file name of `submission`, else in the nearest folder name that has one."""
    for part in reversed(Path(submission).parts):
        m = pattern.search(part)
        if m:
            return m.group("id")
    return None


def read_grades(folders) -> tuple[list, dict]:
    """(rows of every grades.csv, {notebook: max points})."""
    rows, maxima = [], {}
    for folder in folders:
        path = Path(folder) / "grades.csv"
        if not path.is_file():
            raise ExportError(f"{folder} has no grades.csv: give a folder written by `workbook grade` or "
                              "`workbook grade merge`")
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                rows.append(row)
                if row.get("notebook") and row.get("max_points"):
                    maxima[row["notebook"]] = row["max_points"]
    return rows, maxima


def build(lms: str, header: list, students: list, rows: list, maxima: dict, pattern: re.Pattern,
          id_column: str) -> tuple[list, list]:
    """(CSV rows to write, warnings)."""
    from .reports import fmt_points

    notebooks = sorted(maxima)
    by_id = {str(s[id_column]).strip(): s for s in students}
    best, files, warnings = {}, {}, []
    no_id, unknown_id, no_notebook = [], [], []
    for row in rows:
        sid = submission_id(row["submission"], pattern)
        if sid is None:
            no_id.append(row["submission"])
            continue
        if sid not in by_id:
            unknown_id.append(f"{row['submission']} (id {sid})")
            continue
        if not row.get("notebook"):
            no_notebook.append(f"{row['submission']} (id {sid}, status {row['status']})")
            continue
        key = (sid, row["notebook"])
        files.setdefault(key, []).append(row["submission"])
        if key not in best or float(row["points"] or 0) > float(best[key]["points"] or 0):
            best[key] = row
    for (sid, nb), paths in files.items():
        if len(paths) > 1:
            warnings.append(f"student {sid} handed in {nb} {len(paths)} times ({', '.join(paths)}): exported the "
                            f"higher score, {best[(sid, nb)]['points']} ({best[(sid, nb)]['submission']})")
    if no_id:
        warnings.append(f"{len(no_id)} submission(s) have no id in their file or folder name (pattern "
                        f"{pattern.pattern}), so they are in no student's row: " + ", ".join(no_id))
    if unknown_id:
        warnings.append(f"{len(unknown_id)} submission(s) carry an id that is not in the roster's {id_column} "
                        "column: " + ", ".join(unknown_id))
    if no_notebook:
        warnings.append(f"{len(no_notebook)} submission(s) are of no known notebook: " + ", ".join(no_notebook))
    absent = [f"{student_name(s)} ({id_column} {s[id_column]})" for s in students
              if not any((str(s[id_column]).strip(), nb) in best for nb in notebooks)]
    if absent:
        warnings.append(f"{len(absent)} student(s) of the roster handed in nothing: " + ", ".join(absent))

    if lms == "canvas":
        columns = {nb: next((h for h in header if h == nb or h.startswith(nb + " (")), nb) for nb in notebooks}
        out = [list(CANVAS_COLUMNS) + [columns[nb] for nb in notebooks],
               ["    Points Possible", "", "", "", ""] + [fmt_points(maxima[nb]) for nb in notebooks]]
        for s in students:
            sid = str(s[id_column]).strip()
            out.append([s.get(c, "") or "" for c in CANVAS_COLUMNS]
                       + [best[(sid, nb)]["points"] if (sid, nb) in best else "" for nb in notebooks])
    else:
        out = [[id_column] + notebooks]
        for s in students:
            sid = str(s[id_column]).strip()
            out.append([sid] + [best[(sid, nb)]["points"] if (sid, nb) in best else "" for nb in notebooks])
    return out, warnings


def run(args) -> int:
    id_column = args.id_column or ID_COLUMNS[args.lms]
    try:
        pattern = re.compile(args.id_pattern or PATTERNS[args.lms])
    except re.error as e:
        print(f"workbook export: --id-pattern is not a valid regular expression: {e}", file=sys.stderr)
        return 2
    if "id" not in pattern.groupindex:
        print("workbook export: --id-pattern needs a group named id, e.g. 'student-(?P<id>\\d+)'", file=sys.stderr)
        return 2
    try:
        header, students = read_roster(Path(args.roster), id_column)
        if args.lms == "canvas":
            lacking = [c for c in CANVAS_COLUMNS if c not in header]
            if lacking:
                raise ExportError(f"the roster {args.roster} lacks Canvas's column(s) {', '.join(lacking)}: use "
                                  "Canvas's gradebook export (Grades > Export) as the roster")
        rows, maxima = read_grades(args.folders)
    except ExportError as e:
        print(f"workbook export: {e}", file=sys.stderr)
        return 2
    table, warnings = build(args.lms, header, students, rows, maxima, pattern, id_column)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(table)
    for w in warnings:
        print(f"workbook export: {w}", file=sys.stderr)
    matched = sum(1 for r in table[2 if args.lms == "canvas" else 1:] if any(c != "" for c in r[len(r) - len(maxima):]))
    print(f"workbook export: wrote {out} ({args.lms}): {len(students)} student(s), {len(maxima)} notebook(s), "
          f"{matched} student(s) with grades")
    return 0
