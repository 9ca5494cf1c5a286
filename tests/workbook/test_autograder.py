"""The Gradescope autograder (autograder.py): build the zip for the toy notebook, lay it out
in a temporary folder as Gradescope lays out ``/autograder``, run ``run_autograder`` on a
submission with a mistake, and validate ``results.json`` against Gradescope's format.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile

from test_grade import CORRECT, ROOT, TOY, _with_answers, _write, toy_solution, toy_student
from utils.workbook.cli import main

TEST_KEYS = {"name": str, "score": (int, float), "max_score": (int, float), "output": str, "visibility": str}
VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}


def validate(results: dict):
    """Gradescope's results.json: the fields it reads, with the types it expects."""
    assert isinstance(results["score"], (int, float)) and isinstance(results["execution_time"], (int, float))
    assert isinstance(results["output"], str) and results["tests"]
    for test in results["tests"]:
        for key, kind in TEST_KEYS.items():
            assert isinstance(test[key], kind), (key, test)
        assert test["visibility"] in VISIBILITY and 0 <= test["score"] <= test["max_score"]
    assert abs(results["score"] - sum(t["score"] for t in results["tests"])) < 1e-9
    json.dumps(results)


def run_autograder(root, submission_files):
    sub = root / "submission"
    sub.mkdir(exist_ok=True)
    for old in sub.iterdir():
        old.unlink()
    for name, nb in submission_files.items():
        _write(sub, name, nb)
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), AUTOGRADER_PYTHON=sys.executable)
    env.pop("PYTHONPATH", None)  # the zip's utils must be enough
    proc = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    validate(results)
    return results


def test_gradescope_autograder(tmp_path, capsys):
    sol = tmp_path / "solutions"
    sol.mkdir()
    _write(sol, f"{TOY}.ipynb", toy_solution())
    target = tmp_path / "autograder.zip"
    assert main(["autograder", TOY, "--gradescope", str(target), "--solutions", str(sol), "--cell-timeout", "20"]) == 0
    with zipfile.ZipFile(target) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", f"solutions/{TOY}.ipynb", "utils/checks/core.py",
                "utils/workbook/autograder.py", "requirements.lock", "autograder.json"} <= names
        assert stat.S_IMODE(z.getinfo("run_autograder").external_attr >> 16) == 0o755
        setup = z.read("setup.sh").decode()
        assert "requirements.lock" in setup and "download.pytorch.org/whl/cpu" in setup
        root = tmp_path / "autograder"
        z.extractall(root / "source")
    os.chmod(root / "source" / "run_autograder", 0o755)
    for script in ("setup.sh", "run_autograder"):  # both are valid bash (setup.sh runs only on Gradescope)
        assert subprocess.run(["bash", "-n", str(root / "source" / script)]).returncode == 0

    wrong = _with_answers(toy_student(), CORRECT["double"], "def square(x):\n    return x + x")
    results = run_autograder(root, {f"{TOY}.ipynb": wrong})
    assert results["score"] == 2
    assert [(t["name"], t["score"], t["max_score"], t["status"]) for t in results["tests"]] == [
        ("check_double", 2, 2, "passed"), ("check_square", 0, 3, "failed")]
    assert "expected 16" in results["tests"][1]["output"] and "**Score: 2 / 5 points**" in results["output"]

    # a second, unrelated upload beside the notebook: the notebook is still found by its name
    results = run_autograder(root, {f"{TOY}.ipynb": toy_solution(), "notes.ipynb": "{}"})
    assert results["score"] == 5
    # an upload that is no notebook: 0, every check listed, and what to upload
    results = run_autograder(root, {"answers.ipynb": b"\x89PNG\r\n\x1a\n"})
    assert results["score"] == 0 and len(results["tests"]) == 2 and "could not be graded" in results["output"]

    assert main(["autograder", "99_nope", "--gradescope", str(tmp_path / "x.zip"), "--solutions", str(sol)]) == 2
    assert "no notebook '99_nope'" in capsys.readouterr().err
    assert (ROOT / "utils" / "workbook" / "autograder.py").exists()
