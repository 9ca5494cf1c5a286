"""Build the student notebooks in ``notebooks/`` from the solutions in ``solutions/``.

For each ``solutions/NN_name.ipynb`` the build writes ``notebooks/NN_name.ipynb`` with

- every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` region of a code cell replaced by
  ``# YOUR CODE HERE`` and a ``raise NotImplementedError("...")`` at the same indentation
  whose message names the function and its exercise (``"build_vocab (Exercise 1) is not
  written yet: ..."``), so a later cell that needs it says which exercise it waits for
  (in a markdown cell: by ``YOUR ANSWER HERE``);
- every ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block removed;
- outputs and execution counts cleared, cell ids and nbgrader metadata kept;
- notebook metadata reduced to the kernelspec, the language and ``workbook.id``;
- the set-up lines (``setup_lines``) put at the top of the set-up cell, the first code cell,
  which imports ``utils``: they make the notebook use the course of the folder it sits in
  (a clone, an nbgitpuller pull, a Binder image), or on Colab install the course's release.

The output depends only on the input: building twice gives the same bytes.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"

BEGIN_SOLUTION = re.compile(r"^(\s*)### BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^\s*### END SOLUTION\s*$")
BEGIN_HIDDEN = re.compile(r"^\s*### BEGIN HIDDEN TESTS\s*$")
END_HIDDEN = re.compile(r"^\s*### END HIDDEN TESTS\s*$")
NOTEBOOK_ID = re.compile(r"^\d\d_[a-z0-9_]+$")

CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # the stub when nothing names the exercise
DEFINITION = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)")
EXERCISE_HEADING = re.compile(r"^#+\s*Exercise\s+(\d+)\b", re.MULTILINE)
MARKDOWN_STUB = ["YOUR ANSWER HERE"]
KEPT_CELL_METADATA = ("nbgrader", "tags", "deletable", "editable", "jupyter", "mystnb")
NBGRADER_KEYS = ("schema_version", "grade_id", "grade", "solution", "locked")
IMPORTS_UTILS = re.compile(r"^\s*(?:from\s+utils[\s.]|import\s+utils\b)", re.MULTILINE)

# The first lines of every student notebook: the one place a notebook finds the course. In a copy
# of the repository (a clone, an nbgitpuller pull, a Binder image) the kernel runs in notebooks/,
# so utils/ and data/ are one folder up: that copy goes first on sys.path and wins over any
# installed course. On Colab (no copy around the notebook) the course's release is installed
# with its data as package data, without its dependencies (Colab has torch, numpy, matplotlib,
# tqdm). WORKBOOK_COLAB_SOURCE replaces the release by another pip source (tests/test_colab.py).
# The magic is not the only line of its block, so the cell stays Python when magics are dropped.
SETUP_LINES = """\
# Set-up: use the course's utils/ and data/ from the folder above this one (on Colab: install them first).
import os, sys
if "google.colab" in sys.modules:
    release = os.environ.get("WORKBOOK_COLAB_SOURCE", "git+{repository}@{release}")
    %pip install --quiet --no-deps {{release}}
elif os.path.isfile("../utils/__init__.py"):
    sys.path.insert(0, os.path.abspath(".."))
else:
    print(f"Note: {{os.getcwd()}} is not in a copy of the course, so the installed course is used.")"""


class BuildError(Exception):
    """A solution notebook the build cannot turn into a student notebook."""


def notebook_id(path: Path) -> str:
    """The notebook's id: its file stem, e.g. ``04_rnn_cell``."""
    return Path(path).stem


def _source_lines(cell) -> list[str]:
    src = cell.get("source", "")
    if isinstance(src, list):
        src = "".join(src)
    return src.split("\n")


def exercise_numbers(cells) -> dict[int, int]:
    """{index of a code cell: the number k of the last "### Exercise k" heading above it}."""
    numbers, current = {}, None
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown":
            found = EXERCISE_HEADING.findall("\n".join(_source_lines(cell)))
            if found:
                current = int(found[-1])
        elif current is not None:
            numbers[index] = current
    return numbers


def enclosing_name(lines: list[str], indent: str) -> str | None:
    """The name of the function a region indented by `indent` belongs to: "rnn_step", or
    "SentimentRNN.forward" for a method (None for a region outside any definition)."""
    names, depth = [], len(indent)
    for line in reversed(lines):
        found = DEFINITION.match(line)
        if found and len(found.group(1)) < depth:
            names.append(found.group(3))
            depth = len(found.group(1))
            if depth == 0:
                break
    return ".".join(reversed(names)) or None


def code_stub(name: str | None, exercise: int | None) -> list[str]:
    """The two stub lines; the error message says what is missing and where to write it."""
    if name is None and exercise is None:
        return list(CODE_STUB)
    what = f"{name} (Exercise {exercise})" if name and exercise else (name or f"Exercise {exercise}")
    return ["# YOUR CODE HERE", f'raise NotImplementedError("{what} is not written yet: replace this line with your code")']


def strip_solutions(lines: list[str], cell_type: str, where: str,
                    exercise: int | None = None) -> tuple[list[str], bool]:
    """Replace solution regions by the stub; drop hidden-test blocks.

    exercise: the number of the exercise the cell belongs to, named in a code stub's message.
    Returns the new lines and whether the cell had a solution region.
    """
    out: list[str] = []
    in_solution = in_hidden = False
    had_solution = False
    for number, line in enumerate(lines, 1):
        begin = BEGIN_SOLUTION.match(line)
        if in_hidden:
            if BEGIN_HIDDEN.match(line) or begin:
                raise BuildError(f"{where}, line {number}: a new region opens inside a hidden-test block")
            if END_HIDDEN.match(line):
                in_hidden = False
            continue
        if in_solution:
            if begin or BEGIN_HIDDEN.match(line):
                raise BuildError(f"{where}, line {number}: a new region opens inside a solution region")
            if END_SOLUTION.match(line):
                in_solution = False
            continue
        if begin:
            in_solution = had_solution = True
            indent = begin.group(1)
            stub = code_stub(enclosing_name(out, indent), exercise) if cell_type == "code" else MARKDOWN_STUB
            out.extend(indent + s for s in stub)
        elif BEGIN_HIDDEN.match(line):
            in_hidden = True
        elif END_SOLUTION.match(line) or END_HIDDEN.match(line):
            raise BuildError(f"{where}, line {number}: an END marker without its BEGIN")
        else:
            out.append(line)
    if in_solution or in_hidden:
        raise BuildError(f"{where}: a BEGIN marker is never closed by its END marker")
    return out, had_solution


def _validate_nbgrader(cell, where: str, had_solution: bool, seen_ids: set):
    meta = cell.get("metadata", {}).get("nbgrader")
    if had_solution and not (meta and meta.get("solution")):
        raise BuildError(f"{where}: has a solution region but no nbgrader metadata with solution=true")
    if not meta:
        return
    missing = [k for k in NBGRADER_KEYS if k not in meta]
    if missing:
        raise BuildError(f"{where}: nbgrader metadata lacks {', '.join(missing)}")
    if meta.get("grade") and "points" not in meta:
        raise BuildError(f"{where}: a graded cell needs nbgrader 'points'")
    gid = meta["grade_id"]
    if gid in seen_ids:
        raise BuildError(f"{where}: grade_id {gid!r} is used twice")
    seen_ids.add(gid)


def setup_lines(config: dict | None = None) -> list[str]:
    """The set-up lines of every student notebook, with the repository and release of
    ``[tool.workbook.publish]`` (``config``: ``link.publish_config()``, read when not given)."""
    if config is None:
        from .link import publish_config
        config = publish_config()
    text = SETUP_LINES.format(repository=config["repository"], release=config["release"])
    return text.split("\n") + [""]  # a blank line between the set-up and the notebook's own lines


def student_notebook(solution: dict, nb_id: str, setup: list[str] | None = None) -> dict:
    """The student version of a solution notebook (a new dict; the input is not changed).

    setup: the lines put at the top of the set-up cell (``setup_lines()`` when None).
    """
    if solution.get("nbformat") != 4 or solution.get("nbformat_minor", 0) < 5:
        raise BuildError(f"{nb_id}: solution notebooks must be nbformat 4.5 or later (cell ids)")
    nb = copy.deepcopy(solution)
    seen_ids: set = set()
    seen_cells: set = set()
    cells = []
    exercises = exercise_numbers(nb["cells"])
    setup_cell = _setup_cell(nb["cells"], nb_id)
    for index, cell in enumerate(nb["cells"]):
        where = f"{nb_id}, cell {index}"
        if not cell.get("id"):
            raise BuildError(f"{where}: has no cell id")
        where = f"{nb_id}, cell {index} (id {cell['id']})"
        if cell["id"] in seen_cells:
            raise BuildError(f"{where}: the cell id is used twice")
        seen_cells.add(cell["id"])
        lines, had_solution = strip_solutions(_source_lines(cell), cell["cell_type"], where, exercises.get(index))
        _validate_nbgrader(cell, where, had_solution, seen_ids)
        if index == setup_cell:
            lines = (setup if setup is not None else setup_lines()) + lines
        new = {
            "cell_type": cell["cell_type"],
            "id": cell["id"],
            "metadata": {k: cell["metadata"][k] for k in KEPT_CELL_METADATA if k in cell.get("metadata", {})},
            "source": "\n".join(lines),
        }
        if cell["cell_type"] == "code":
            new["execution_count"] = None
            new["outputs"] = []
        elif cell.get("attachments"):
            new["attachments"] = cell["attachments"]
        cells.append(new)
    meta = nb.get("metadata", {})
    nb["metadata"] = {
        "kernelspec": meta.get("kernelspec", {"display_name": "Python 3", "language": "python", "name": "python3"}),
        "language_info": {"name": "python"},
        "workbook": {"id": nb_id},
    }
    nb["cells"] = cells
    return nb


def _setup_cell(cells: list, nb_id: str) -> int | None:
    """Index of the cell the set-up lines go into: the first code cell, if the notebook imports
    ``utils`` (a notebook that does not, such as a test's, gets none)."""
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    users = [i for i in code if IMPORTS_UTILS.search("\n".join(_source_lines(cells[i])))]
    if not users:
        return None
    if users[0] != code[0]:
        raise BuildError(f"{nb_id}, cell {users[0]}: imports utils, but the set-up cell (the first code "
                         f"cell, cell {code[0]}) does not; import utils in the set-up cell first")
    if "\n".join(_source_lines(cells[code[0]])).lstrip().startswith("# Set-up:"):
        raise BuildError(f"{nb_id}, cell {code[0]}: the set-up lines are written by the build; "
                         f"remove them from the solution notebook")
    return code[0]


def dumps(nb: dict) -> str:
    """Serialise a notebook exactly as nbformat writes it (sorted keys, one-space indent)."""
    import nbformat

    text = nbformat.writes(nbformat.from_dict(nb), version=4)
    return text if text.endswith("\n") else text + "\n"


def load(path: Path) -> dict:
    """Read a notebook as plain JSON, with a clear error for a broken file."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BuildError(f"{path}: cannot be read as a notebook ({e})") from e


@dataclass
class Built:
    source: Path
    target: Path
    text: str


def plan(solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS) -> list[Built]:
    """What the build would write: one Built per solution notebook, in name order."""
    out = []
    setup = setup_lines()
    paths = sorted(Path(solutions).glob("*.ipynb"))
    for path in paths:
        nb_id = notebook_id(path)
        if not NOTEBOOK_ID.match(nb_id):
            raise BuildError(f"{path.name}: notebook files are named NN_short_name.ipynb")
        nb = load(path)
        declared = nb.get("metadata", {}).get("workbook", {}).get("id")
        if declared not in (None, nb_id):
            raise BuildError(f"{path.name}: metadata workbook.id is {declared!r}, expected {nb_id!r}")
        out.append(Built(path, Path(notebooks) / path.name, dumps(student_notebook(nb, nb_id, setup))))
    return out


def stale(solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS) -> list[str]:
    """Files in notebooks/ that differ from what the build writes (or are missing or extra)."""
    problems = []
    built = plan(solutions, notebooks)
    for b in built:
        if not b.target.exists():
            problems.append(f"{b.target.name}: missing")
        elif b.target.read_text(encoding="utf-8") != b.text:
            problems.append(f"{b.target.name}: differs from what the build writes")
    expected = {b.target.name for b in built}
    for extra in sorted(Path(notebooks).glob("*.ipynb")):
        if extra.name not in expected:
            problems.append(f"{extra.name}: has no solution notebook in {Path(solutions).name}/")
    return problems


def build(solutions: Path = SOLUTIONS, notebooks: Path = NOTEBOOKS) -> list[Path]:
    """Write notebooks/ from solutions/; return the files that changed."""
    Path(notebooks).mkdir(parents=True, exist_ok=True)
    changed = []
    for b in plan(solutions, notebooks):
        if not b.target.exists() or b.target.read_text(encoding="utf-8") != b.text:
            b.target.write_text(b.text, encoding="utf-8")
            changed.append(b.target)
    return changed
