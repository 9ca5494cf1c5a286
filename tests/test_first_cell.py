"""The first cell of every student notebook finds the course from the copy it sits in.

The build puts the same set-up lines (``build.setup_lines()``) at the top of each notebook's
set-up cell. Opened from ``notebooks/`` of any copy of the repository (a clone, an nbgitpuller
pull, a Binder image), the notebook imports ``utils`` and reads ``data/`` of that copy, with
nothing installed, even where another copy of the course is installed or on PYTHONPATH (as in
this test: the developer's editable install and the worktree on PYTHONPATH). Opened from
elsewhere it says so. The Colab branch is run by tests/test_colab.py.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from utils.workbook import build
from utils.workbook.link import publish_config

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "01_feedforward.ipynb"
PROBE = """import utils, utils.data
X, y = utils.data.load_digits()
print(utils.__file__)
print(utils.data.data_dir())
print(X.shape)"""


def _first_code_cell(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return next(c.source for c in nb.cells if c.cell_type == "code")


def test_every_student_notebook_starts_with_the_set_up_lines():
    setup = "\n".join(build.setup_lines())
    config = publish_config()
    assert f'"git+{config["repository"]}@{config["release"]}"' in setup   # the Colab install: pyproject's values
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        first = _first_code_cell(path)
        assert first.startswith(setup), f"{path.name}: the set-up cell does not start with the set-up lines"
        solution = _first_code_cell(ROOT / "solutions" / path.name)
        assert first == setup + "\n" + solution, f"{path.name}: the set-up cell is not the set-up + the solution's"


def _run(folder: Path, sources: list[str], allow: tuple = ()) -> list[str]:
    """Run the code cells `sources` in a fresh kernel working in `folder`; their printed text
    (a cell that raised one of the errors named in `allow` prints its error's name)."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error" and o.ename not in allow]
    assert not errors, f"{errors[0].ename}: {errors[0].evalue}"
    return ["".join(o.get("text", o.get("ename", "")) for o in c.outputs if o.output_type in ("stream", "error"))
            for c in nb.cells]


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """A second copy of the course (as a pull or a clone holds it): utils/, data/, notebooks/."""
    root = tmp_path_factory.mktemp("pulled") / "workbook"
    for folder in ("utils", "data"):
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns("__pycache__", "prepare"))
    (root / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / NOTEBOOK, root / "notebooks" / NOTEBOOK)
    return root


def test_a_notebook_uses_the_copy_it_sits_in(copy):
    first = _first_code_cell(copy / "notebooks" / NOTEBOOK)
    printed = _run(copy / "notebooks", [first, PROBE])
    module, data, shape = printed[1].split("\n")[:3]
    assert printed[0] == "", f"the set-up printed {printed[0]!r} in a copy of the course"
    assert Path(module) == copy / "utils" / "__init__.py", f"utils was imported from {module}, not from the copy"
    assert Path(data) == copy / "data" and shape == "(1797, 64)"


def test_without_the_set_up_lines_another_copy_would_be_imported(copy):
    """What the test above guards against: the kernel of this test has another course on its path."""
    first = _first_code_cell(copy / "notebooks" / NOTEBOOK).replace("\n".join(build.setup_lines()), "")
    module = _run(copy / "notebooks", [first, PROBE], allow=("ModuleNotFoundError",))[1].split("\n")[0]
    assert module == "ModuleNotFoundError" or not Path(module).is_relative_to(copy), \
        "the copy is imported even without the set-up lines"


def test_a_notebook_outside_a_copy_of_the_course_says_which_course_it_uses(tmp_path):
    elsewhere = tmp_path / "Downloads"
    elsewhere.mkdir()
    printed = _run(elsewhere, ["\n".join(build.setup_lines()), PROBE])
    assert printed[0] == f"Note: {elsewhere} is not in a copy of the course, so the installed course is used.\n"
    assert not Path(printed[1].split("\n")[0]).is_relative_to(tmp_path)


# ------------------------------------------------------------------ the build's rules

def _notebook(tmp_path, *sources):
    sol = tmp_path / "solutions"
    sol.mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 01 · Demo", id="title")]
                                  + [nbformat.v4.new_code_cell(s, id=f"c{i}") for i, s in enumerate(sources)])
    nbformat.write(nb, sol / "01_demo.ipynb")
    return sol, tmp_path / "notebooks"


def test_the_build_puts_the_set_up_lines_into_the_first_code_cell_only(tmp_path):
    sol, stu = _notebook(tmp_path, "import numpy as np\nfrom utils import set_seed\nrng = set_seed(0)", "x = 1")
    build.build(sol, stu)
    cells = nbformat.read(stu / "01_demo.ipynb", as_version=4).cells
    assert cells[1].source == "\n".join(build.setup_lines()) + "\nimport numpy as np\nfrom utils import set_seed\nrng = set_seed(0)"
    assert cells[2].source == "x = 1"


def test_a_notebook_without_utils_gets_no_set_up_lines(tmp_path):
    sol, stu = _notebook(tmp_path, "import numpy as np", "x = 1")
    build.build(sol, stu)
    assert nbformat.read(stu / "01_demo.ipynb", as_version=4).cells[1].source == "import numpy as np"


@pytest.mark.parametrize("sources, message", [
    (("import numpy as np", "from utils.data import load_digits"), "imports utils, but the set-up cell"),
    (("\n".join(build.setup_lines()) + "\nfrom utils import set_seed",), "the set-up lines are written by the build"),
])
def test_the_build_rejects_a_misplaced_set_up(tmp_path, sources, message):
    sol, stu = _notebook(tmp_path, *sources)
    with pytest.raises(build.BuildError, match=message):
        build.build(sol, stu)
