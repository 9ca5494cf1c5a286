"""Rebuild one submission for grading: read it as a notebook, then put the student's answers
into the pristine solution notebook.

``parse_notebook(data)``
    the submission's bytes as a notebook dict, or ``Unreadable`` with a reason a student can act on.
``rebuild(pristine, student)``
    the list of cells to run: every cell of the pristine (solution) notebook, where an
    answer cell takes the student's code (matched by ``grade_id``, then by cell id) or,
    when the student's notebook has no such cell, the stub the build writes.

``kernel.py`` runs those cells; ``grade.py`` drives the whole class. See ``docs/grading.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

STUB_SOURCE = "# YOUR CODE HERE\nraise NotImplementedError()"


# --------------------------------------------------------------------------- notebooks

class Unreadable(Exception):
    """A submission that cannot be read as a Jupyter notebook; the message says why."""


def source_text(cell) -> str:
    """A cell's source as one string, whatever shape the JSON gave it."""
    src = cell.get("source", "") if isinstance(cell, dict) else ""
    if isinstance(src, list):
        return "".join(s for s in src if isinstance(s, str))
    return src if isinstance(src, str) else ""


def nbgrader_meta(cell) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def parse_notebook(data: bytes) -> dict:
    """The notebook in `data` as a plain dict with a list of cell dicts (nbformat 4).

    nbformat 3 files are upgraded. Raises Unreadable with a reason a student can act on.
    """
    import json

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("the file is not text (UTF-8), so it is not a Jupyter notebook") from None
    try:
        nb = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as e:
        raise Unreadable(f"the file is not valid notebook JSON ({e.__class__.__name__}: {e})"[:300]) from None
    if not isinstance(nb, dict) or "nbformat" not in nb:
        raise Unreadable("the file is JSON but not a Jupyter notebook (it has no 'nbformat' field)")
    major = nb.get("nbformat")
    if major == 3:
        try:
            import nbformat

            nb = nbformat.convert(nbformat.from_dict(nb), 4)
            nb = json.loads(json.dumps(nb))
        except Exception as e:  # noqa: BLE001 - any failure means: cannot read it
            raise Unreadable(f"the nbformat 3 notebook could not be upgraded ({e})"[:300]) from None
    elif major != 4:
        raise Unreadable(f"nbformat {major!r} is not supported (only nbformat 4, and 3 upgraded)")
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise Unreadable("the notebook has no list of cells")
    nb["cells"] = [c for c in cells if isinstance(c, dict)]
    if not isinstance(nb.get("metadata"), dict):
        nb["metadata"] = {}
    return nb


def declared_id(nb: dict):
    """The notebook id in the metadata (``workbook.id``), or None."""
    wb = nb.get("metadata", {}).get("workbook")
    value = wb.get("id") if isinstance(wb, dict) else None
    return value if isinstance(value, str) else None


# --------------------------------------------------------------------------- rebuild

@dataclass
class Cell:
    """One cell of the rebuilt notebook, as the grader runs it."""

    number: int  # 1-based position in the pristine notebook
    kind: str  # "answer", "check", "manual" (graded by hand) or "other"
    cell_type: str
    source: str
    grade_id: str = ""
    points: float = 0.0
    run: bool = True  # False: a non-graded pristine cell tagged skip-execution
    origin: str = "pristine"  # for answers: "grade_id", "cell id" or "stub"

    @property
    def called(self) -> list:
        """The check functions a check cell calls (tamper.py verifies they are the course's own)."""
        from .tamper import called_checks

        return called_checks(self.source) if self.kind == "check" else []

    def describe(self) -> str:
        if self.kind == "check":
            return f"cell {self.number} (the check {self.grade_id})"
        if self.kind in ("answer", "manual"):
            return f"cell {self.number} (your answer {self.grade_id})"
        return f"cell {self.number}"


@dataclass
class Pristine:
    """What the grader needs of one solution notebook, prepared once per batch."""

    nb_id: str
    title: str
    kernel_name: str
    cells: list  # the pristine cell dicts
    stubs: dict  # cell index -> stub source of each answer cell
    checks: list  # [(grade_id, points)] of the graded code cells, in order
    max_points: float


def load_pristine(path: Path) -> Pristine:
    """Read solutions/<id>.ipynb and prepare its stubs and list of checks."""
    from . import build

    nb = parse_notebook(Path(path).read_bytes())
    nb_id = Path(path).stem
    stubs, checks = {}, []
    title = nb_id
    exercises = build.exercise_numbers(nb["cells"])
    for index, cell in enumerate(nb["cells"]):
        meta = nbgrader_meta(cell)
        src = source_text(cell)
        if cell.get("cell_type") == "markdown" and title == nb_id:
            for line in src.splitlines():
                if line.startswith("# "):
                    title = line[2:].strip().strip("*").strip() or nb_id
                    break
        if meta.get("solution") and cell.get("cell_type") == "code":
            lines, had = build.strip_solutions(src.split("\n"), "code", f"{nb_id}, cell {index}",
                                               exercises.get(index))
            stubs[index] = "\n".join(lines) if had else STUB_SOURCE
        if meta.get("grade"):
            checks.append((str(meta.get("grade_id", f"cell-{index + 1}")), float(meta.get("points", 0) or 0)))
    spec = nb["metadata"].get("kernelspec")
    kernel_name = spec.get("name") if isinstance(spec, dict) and isinstance(spec.get("name"), str) else "python3"
    return Pristine(nb_id, title, kernel_name, nb["cells"], stubs, checks, sum(p for _, p in checks))


def rebuild(pristine: Pristine, student: dict) -> tuple[list, list]:
    """The cells to run for `student`, and notes for the student's feedback.

    Every cell comes from the pristine notebook, with its pristine metadata; only the
    source of an answer cell (nbgrader ``solution: true``, a code cell) comes from the
    student: the first student code cell with the same ``grade_id``, else the one with
    the same cell id, else the stub (the student deleted it, or lost its metadata and
    id), which scores "not-attempted". The student's other cells, tags and metadata
    are ignored.
    """
    by_grade_id, by_cell_id = {}, {}
    for cell in student.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        gid = nbgrader_meta(cell).get("grade_id")
        if isinstance(gid, str):
            by_grade_id.setdefault(gid, cell)
        cid = cell.get("id")
        if isinstance(cid, str):
            by_cell_id.setdefault(cid, cell)

    cells, notes = [], []
    for index, pc in enumerate(pristine.cells):
        meta = nbgrader_meta(pc)
        cell_type = pc.get("cell_type", "")
        gid = str(meta.get("grade_id", ""))
        tags = pc.get("metadata", {}).get("tags", [])
        if meta.get("solution") and cell_type == "code":
            found, origin = by_grade_id.get(gid), "grade_id"
            if found is None and isinstance(pc.get("id"), str):
                found, origin = by_cell_id.get(pc["id"]), "cell id"
            if found is None:
                source, origin = pristine.stubs[index], "stub"
                notes.append(f"Your notebook has no answer cell `{gid}` (deleted, or its metadata was lost), "
                             f"so that exercise was graded as not attempted.")
            else:
                source = source_text(found)
            kind = "manual" if meta.get("grade") else "answer"
            cells.append(Cell(index + 1, kind, cell_type, source, gid, float(meta.get("points", 0) or 0),
                              origin=origin))
        elif meta.get("grade") and cell_type == "code":
            cells.append(Cell(index + 1, "check", cell_type, source_text(pc), gid, float(meta.get("points", 0) or 0)))
        elif meta.get("grade"):  # a markdown answer graded by hand
            cells.append(Cell(index + 1, "manual", cell_type, "", gid, float(meta.get("points", 0) or 0)))
        else:
            skip = isinstance(tags, list) and "skip-execution" in tags
            cells.append(Cell(index + 1, "other", cell_type, source_text(pc), gid, run=not skip))
    return cells, notes
