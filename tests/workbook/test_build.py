"""The build: solutions/ -> notebooks/, and `workbook build --check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils.workbook import build

ROOT = Path(__file__).resolve().parents[2]


def _answer(source, grade_id="f"):
    cell = nbformat.v4.new_code_cell(source, id=f"answer-{grade_id}")
    cell.metadata["nbgrader"] = {"grade": False, "grade_id": grade_id, "locked": False,
                                 "schema_version": 3, "solution": True, "task": False}
    return cell


def _check(source, grade_id="check_f", points=2):
    cell = nbformat.v4.new_code_cell(source, id=f"cell-{grade_id}")
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True, "points": points,
                                 "schema_version": 3, "solution": False, "task": False}
    return cell


def _course(tmp_path, cells, name="01_demo.ipynb"):
    sol, stu = tmp_path / "solutions", tmp_path / "notebooks"
    sol.mkdir()
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    nb.metadata["widgets"] = {"state": {}}
    nbformat.write(nb, sol / name)
    return sol, stu


ANSWER = """def f(x):
    \"\"\"Double x.\"\"\"
    ### BEGIN SOLUTION
    y = 2 * x
    return y
    ### END SOLUTION
"""
CHECK = """assert f(2) == 4
### BEGIN HIDDEN TESTS
assert f(-1) == -2
### END HIDDEN TESTS
print("ok")"""


def test_stub_replaces_the_solution_at_its_indentation(tmp_path):
    md = nbformat.v4.new_markdown_cell("Explain.\n### BEGIN SOLUTION\nBecause.\n### END SOLUTION", id="why")
    md.metadata["nbgrader"] = {"grade": False, "grade_id": "why", "locked": False, "schema_version": 3,
                               "solution": True, "task": False}
    sol, stu = _course(tmp_path, [nbformat.v4.new_markdown_cell("# 01 · Demo", id="title"),
                                  _answer(ANSWER), _check(CHECK), md])
    executed = nbformat.read(sol / "01_demo.ipynb", as_version=4)
    executed.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    executed.cells[1].execution_count = 3
    executed.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-01-01"}
    nbformat.write(executed, sol / "01_demo.ipynb")
    build.build(sol, stu)
    out = json.loads((stu / "01_demo.ipynb").read_text())
    answer, check, answer_md = out["cells"][1], out["cells"][2], out["cells"][3]
    assert "".join(answer["source"]) == (
        'def f(x):\n    """Double x."""\n    # YOUR CODE HERE\n'
        '    raise NotImplementedError("f is not written yet: replace this line with your code")\n')
    assert answer["outputs"] == [] and answer["execution_count"] is None
    assert "execution" not in answer["metadata"]
    assert answer["metadata"]["nbgrader"]["solution"] is True
    assert "HIDDEN" not in "".join(check["source"]) and "f(-1)" not in "".join(check["source"])
    assert "".join(check["source"]) == 'assert f(2) == 4\nprint("ok")'
    assert "".join(answer_md["source"]) == "Explain.\nYOUR ANSWER HERE"
    assert [c["id"] for c in out["cells"]] == ["title", "answer-f", "cell-check_f", "why"]
    assert out["metadata"] == {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                               "language_info": {"name": "python"}, "workbook": {"id": "01_demo"}}


METHODS = """class Model:
    def __init__(self, n):
        ### BEGIN SOLUTION
        self.n = n
        ### END SOLUTION

    def forward(self, x):
        def inner(y):
            return y
        ### BEGIN SOLUTION
        return inner(x) * self.n
        ### END SOLUTION
"""


def test_a_stub_names_its_function_and_exercise(tmp_path):
    """A later cell that calls an unwritten exercise says which exercise it waits for."""
    sol, stu = _course(tmp_path, [nbformat.v4.new_markdown_cell("# 01 · Demo", id="title"),
                                  nbformat.v4.new_markdown_cell("### Exercise 1 · `f` (2 points)", id="ex1"),
                                  _answer(ANSWER), _check(CHECK),
                                  nbformat.v4.new_markdown_cell("## 2. More\n\n### Exercise 2 · a model", id="ex2"),
                                  _answer(METHODS, grade_id="model"), _check("Model(2)", grade_id="check_model")])
    build.build(sol, stu)
    cells = json.loads((stu / "01_demo.ipynb").read_text())["cells"]
    stub_f, stub_model = "".join(cells[2]["source"]), "".join(cells[5]["source"])
    assert 'raise NotImplementedError("f (Exercise 1) is not written yet: replace this line with your code")' in stub_f
    assert ('        raise NotImplementedError("Model.__init__ (Exercise 2) is not written yet: '
            'replace this line with your code")') in stub_model
    assert 'raise NotImplementedError("Model.forward (Exercise 2) is not written yet' in stub_model
    namespace: dict = {}
    exec(stub_model, namespace)  # the stub is valid Python, and says what it waits for when called
    with pytest.raises(NotImplementedError, match=r"Model.__init__ \(Exercise 2\)"):
        namespace["Model"](2)


def test_the_grader_gives_a_deleted_answer_the_stub_the_build_writes(tmp_path):
    from utils.workbook.submission import load_pristine

    sol, stu = _course(tmp_path, [nbformat.v4.new_markdown_cell("### Exercise 3 · `f`", id="ex3"),
                                  _answer(ANSWER), _check(CHECK)])
    build.build(sol, stu)
    student = json.loads((stu / "01_demo.ipynb").read_text())
    assert load_pristine(sol / "01_demo.ipynb").stubs[1] == "".join(student["cells"][1]["source"])
    assert "f (Exercise 3) is not written yet" in load_pristine(sol / "01_demo.ipynb").stubs[1]


def test_build_is_byte_identical_and_check_detects_staleness(tmp_path):
    sol, stu = _course(tmp_path, [_answer(ANSWER), _check(CHECK)])
    assert build.build(sol, stu) == [stu / "01_demo.ipynb"]
    first = (stu / "01_demo.ipynb").read_bytes()
    assert build.build(sol, stu) == []
    assert (stu / "01_demo.ipynb").read_bytes() == first
    assert build.stale(sol, stu) == []
    (stu / "01_demo.ipynb").write_text(first.decode().replace("YOUR CODE HERE", "edited by hand"))
    assert build.stale(sol, stu) == ["01_demo.ipynb: differs from what the build writes"]
    (stu / "99_orphan.ipynb").write_text("{}")
    assert "99_orphan.ipynb: has no solution notebook in solutions/" in build.stale(sol, stu)


def test_cli_check_exit_codes(tmp_path):
    sol, stu = _course(tmp_path, [_answer(ANSWER), _check(CHECK)])
    cmd = [sys.executable, "-m", "utils", "build", "--solutions", str(sol), "--notebooks", str(stu)]
    r = subprocess.run(cmd + ["--check"], capture_output=True, text=True)
    assert r.returncode == 1 and "01_demo.ipynb: missing" in r.stdout
    assert subprocess.run(cmd, capture_output=True).returncode == 0
    r = subprocess.run(cmd + ["--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("source, message", [
    ("### BEGIN SOLUTION\nx = 1\n", "never closed"),
    ("x = 1\n### END SOLUTION\n", "END marker without its BEGIN"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n", "inside a solution region"),
])
def test_broken_markers_are_reported(tmp_path, source, message):
    sol, stu = _course(tmp_path, [_answer(source)])
    with pytest.raises(build.BuildError, match=message):
        build.build(sol, stu)


def test_solution_region_needs_nbgrader_metadata(tmp_path):
    plain = nbformat.v4.new_code_cell(ANSWER, id="plain")
    sol, stu = _course(tmp_path, [plain])
    with pytest.raises(build.BuildError, match="no nbgrader metadata"):
        build.build(sol, stu)


def test_duplicate_grade_ids_and_missing_points_are_reported(tmp_path):
    sol, stu = _course(tmp_path, [_answer(ANSWER), _answer(ANSWER.replace("f(", "g("), grade_id="f")])
    with pytest.raises(build.BuildError, match="used twice"):
        build.build(sol, stu)
    check = _check(CHECK)
    del check.metadata["nbgrader"]["points"]
    (tmp_path / "b").mkdir()
    sol2, stu2 = _course(tmp_path / "b", [check])
    with pytest.raises(build.BuildError, match="needs nbgrader 'points'"):
        build.build(sol2, stu2)


def test_corrupt_solution_is_a_clear_error(tmp_path):
    sol = tmp_path / "solutions"
    sol.mkdir()
    (sol / "01_demo.ipynb").write_text("{not json")
    with pytest.raises(build.BuildError, match="cannot be read as a notebook"):
        build.build(sol, tmp_path / "notebooks")


def test_misnamed_solution_is_rejected(tmp_path):
    sol, stu = _course(tmp_path, [_answer(ANSWER)], name="Demo Notebook.ipynb")
    with pytest.raises(build.BuildError, match="NN_short_name"):
        build.build(sol, stu)


def test_repository_notebooks_are_up_to_date():
    r = subprocess.run([sys.executable, "-m", "utils", "build", "--check"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stdout + r.stderr
    assert sorted(p.name for p in (ROOT / "solutions").glob("*.ipynb")) == \
        sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))


def test_solution_notebooks_declare_their_id():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        assert nb["metadata"].get("workbook", {}).get("id") == path.stem, path.name


def test_duplicate_cell_ids_are_reported(tmp_path):
    sol, stu = _course(tmp_path, [_answer(ANSWER)])
    raw = json.loads((sol / "01_demo.ipynb").read_text())
    raw["cells"].append(dict(raw["cells"][0], metadata={}))
    (sol / "01_demo.ipynb").write_text(json.dumps(raw))
    with pytest.raises(build.BuildError, match="cell id is used twice"):
        build.build(sol, stu)
