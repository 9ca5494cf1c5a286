"""The student notebooks, executed exactly as shipped.

A learner who opens notebooks/NN.ipynb and runs every cell must meet only the
exercises' own `NotImplementedError` (and, in cells that use an exercise's result, a
NameError for a name that an unfinished cell never defined). Every check cell must
fail on its stub: a check that passes on the stub grades nothing.

The solution notebooks are validated separately by nbval (see the Makefile).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
STUDENT = sorted((ROOT / "notebooks").glob("*.ipynb"))
SOLUTION = sorted((ROOT / "solutions").glob("*.ipynb"))


def _defined_names(source: str) -> set[str]:
    """Names a cell binds at top level (assignments, defs, classes, imports, for-targets)."""
    try:
        tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))))
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _errors(cell):
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


@pytest.mark.parametrize("path", STUDENT, ids=[p.name for p in STUDENT])
def test_student_notebook_runs_as_shipped(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    only_exercise_stubs_raise(path.name, nb)
    every_check_fails_on_its_stub(path.name, nb)


def only_exercise_stubs_raise(name, nb):
    failed_names: set[str] = set()
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for err in _errors(cell):
            ename, evalue = err["ename"], err["evalue"]
            cascade = ename == "NameError" and any(f"'{n}'" in evalue for n in failed_names)
            if ename != "NotImplementedError" and not cascade:
                problems.append(f"cell {index} ({cell.get('id')}): {ename}: {evalue}")
        if _errors(cell):
            failed_names |= _defined_names(cell.source)
    assert not problems, (
        f"{name}: running the student notebook as shipped raises errors other than the exercises' "
        f"NotImplementedError:\n  " + "\n  ".join(problems))


def every_check_fails_on_its_stub(name, nb):
    checks = [(i, c) for i, c in enumerate(nb.cells)
              if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")]
    assert checks, f"{name} has no graded check cells"
    passing = [f"cell {i} ({c.metadata['nbgrader']['grade_id']})" for i, c in checks if not _errors(c)]
    assert not passing, f"{name}: these check cells pass on the unimplemented stub: {', '.join(passing)}"
    for i, c in checks:
        for err in _errors(c):
            assert err["ename"] == "NotImplementedError", (
                f"{name}, cell {i}: on the stub the check should report 'not implemented', got {err['ename']}")


@pytest.mark.parametrize("path", SOLUTION, ids=[p.name for p in SOLUTION])
def test_solution_follows_the_course_shape(path):
    """Title with objectives and time, 3-6 graded exercises each with a check and hints, a summary."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb["cells"]
    title = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and title.startswith(f"# {path.stem[:2]} · "), \
        f"{path.name}: the first cell is the title '# {path.stem[:2]} · ...'"
    for part in ("Learning objectives", "Before this", "Time"):
        assert part in title, f"{path.name}: the title cell has no '{part}'"
    answers = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("solution")]
    checks = [c for c in cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    assert 3 <= len(checks) <= 6, f"{path.name}: {len(checks)} graded checks, the course asks for 3 to 6"
    assert len(answers) >= len(checks) - 1, f"{path.name}: fewer answer cells than checks"
    hints = sum("<details>" in "".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    assert hints >= len(answers), f"{path.name}: {hints} hint blocks for {len(answers)} exercises"
    asserts = sum("assert " in "".join(c["source"]) for c in cells if c["cell_type"] == "code"
                  and not c.get("metadata", {}).get("nbgrader"))
    assert asserts >= 1, f"{path.name}: no experiment asserts its result"
    last = "".join(cells[-1]["source"]).lower()
    assert cells[-1]["cell_type"] == "markdown" and ("summary" in last or "what you learned" in last), \
        f"{path.name}: the last cell should summarise what was learned and what comes next"
    for c in cells:
        if c["cell_type"] == "code" and any(
                t in c.get("metadata", {}).get("tags", []) for t in ("skip-execution", "raises-exception")):
            pytest.fail(f"{path.name}: cell {c['id']} is tagged to skip or to raise; every cell must run cleanly")
        if c["cell_type"] == "code":
            for out in c.get("outputs", []):
                assert out.get("output_type") != "error", f"{path.name}: cell {c['id']} stored an error output"
