"""``workbook autograder NOTEBOOK_ID --gradescope OUT.zip``: a Gradescope autograder for one notebook.

The zip holds what Gradescope needs at its root:

- ``setup.sh``: run once when Gradescope builds the image (Ubuntu 22.04): installs
  Python 3.11 and, in ``/autograder/venv``, the learner's pinned packages
  (``requirements.lock``), torch as its CPU build;
- ``run_autograder``: run for every submission; it grades the notebook found in
  ``/autograder/submission/`` and writes ``/autograder/results/results.json``;
- ``solutions/<id>.ipynb`` (the pristine notebook), ``utils/`` (checks, data loaders and
  this grader), ``data/`` (the course's datasets), ``requirements.lock`` and
  ``autograder.json`` (the notebook id and the limits).

``run_autograder`` runs ``python -m utils.workbook.autograder run --root /autograder``
(``AUTOGRADER_ROOT`` and ``AUTOGRADER_PYTHON`` change the root and the Python, for tests):
the submission is graded exactly as ``workbook grade`` grades it (rebuilt from the
pristine notebook, a fresh kernel, the limits, tamper detection), and ``results.json``
is in Gradescope's format: ``score``, ``execution_time``, ``output`` (the student's
feedback page, Markdown), and ``tests``, one per check cell, each with ``name``,
``score``, ``max_score``, ``status``, ``output`` and ``visibility``.

Which file is graded: the ``.ipynb`` in ``submission/`` that is the notebook (by its
metadata, then its name), else the only ``.ipynb``; several candidates or none give a
score of 0 and an ``output`` that says what to upload.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

from . import build as build_module

REPO = Path(__file__).resolve().parents[2]
CONFIG = "autograder.json"

SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (base: Ubuntu 22.04).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv >/dev/null
python3.11 -m venv /autograder/venv
# The learner's exact versions; torch from PyTorch's CPU index (no CUDA: Gradescope has no GPU).
/autograder/venv/bin/pip install --quiet --disable-pip-version-check \\
    --index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple \\
    -r /autograder/source/requirements.lock
/autograder/venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission: grade /autograder/submission/*.ipynb and write
# /autograder/results/results.json. AUTOGRADER_ROOT and AUTOGRADER_PYTHON override the paths (tests).
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
PY="${AUTOGRADER_PYTHON:-$ROOT/venv/bin/python}"
cd "$ROOT/source"
export PYTHONPATH="$ROOT/source"
exec "$PY" -m utils.workbook.autograder run --root "$ROOT"
"""


def add_arguments(parser):
    parser.description = ("Build a Gradescope autograder (a zip with setup.sh, run_autograder, the pristine "
                          "notebook and utils) for one notebook. See docs/grading.md.")
    parser.add_argument("notebook", metavar="NOTEBOOK_ID", help="the notebook id, e.g. 04_rnn_cell")
    parser.add_argument("--gradescope", required=True, metavar="OUT.zip", help="the zip file to write")
    parser.add_argument("--cell-timeout", type=float, default=120.0, metavar="S")
    parser.add_argument("--timeout", type=float, default=600.0, metavar="S")
    parser.add_argument("--memory-mb", type=int, default=4096, metavar="M")
    parser.add_argument("--solutions", default=str(build_module.SOLUTIONS), help=argparse.SUPPRESS)


def _files(folder: Path, prefix: str):
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and "__pycache__" not in rel.parts and not any(p.startswith(".") for p in rel.parts):
            yield path, f"{prefix}/{rel.as_posix()}"


def build_zip(nb_id: str, target: Path, solutions: Path, limits: dict) -> list:
    """Write the autograder zip; return the names it holds."""
    pristine = solutions / f"{nb_id}.ipynb"
    names = []
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as z:
        def add_text(name, text, mode=0o644):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (0o100000 | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text)
            names.append(name)

        add_text("setup.sh", SETUP_SH, 0o755)
        add_text("run_autograder", RUN_AUTOGRADER, 0o755)
        add_text(CONFIG, json.dumps({"notebook": nb_id, "limits": limits}, indent=1) + "\n")
        add_text(f"solutions/{nb_id}.ipynb", pristine.read_bytes())
        add_text("requirements.lock", (REPO / "requirements.lock").read_bytes())
        for path, name in [*_files(REPO / "utils", "utils"), *_files(REPO / "data", "data")]:
            if name.startswith("data/prepare/"):
                continue
            add_text(name, path.read_bytes())
    return names


def run(args) -> int:
    solutions = Path(args.solutions)
    if not (solutions / f"{args.notebook}.ipynb").is_file():
        known = ", ".join(sorted(p.stem for p in solutions.glob("*.ipynb"))) or "none"
        print(f"workbook autograder: no notebook {args.notebook!r} in {solutions} (known: {known})", file=sys.stderr)
        return 2
    limits = {"cell_timeout": args.cell_timeout, "timeout": args.timeout, "memory_mb": args.memory_mb}
    names = build_zip(args.notebook, Path(args.gradescope), solutions, limits)
    print(f"workbook autograder: wrote {args.gradescope} ({len(names)} files) for {args.notebook}: upload it as the "
          "autograder of a Gradescope programming assignment (base image Ubuntu 22.04)")
    return 0


# --------------------------------------------------------------------------- inside Gradescope

def _pick(folder: Path, nb_id: str, known: dict):
    """(path, None) of the submission to grade, or (None, reason)."""
    from .grade import find_submissions, identify
    from .submission import Unreadable, parse_notebook

    files = find_submissions([folder])[0] if folder.is_dir() else []
    if not files:
        return None, f"no .ipynb file was uploaded: upload your filled-in `{nb_id}.ipynb`"
    if len(files) == 1:
        return files[0], None
    matching = []
    for f in files:
        try:
            nb = parse_notebook(f.read_bytes())
        except (Unreadable, OSError):
            nb = None
        if identify(nb, f, known) == nb_id:
            matching.append(f)
    if len(matching) == 1:
        return matching[0], None
    names = ", ".join(f"`{f.name}`" for f in files)
    return None, f"{len(files)} notebooks were uploaded ({names}): upload only your filled-in `{nb_id}.ipynb`"


def grade_submission(root: Path) -> dict:
    """Grade the submission under `root` (laid out like /autograder) and return results.json's content."""
    from . import grade, kernel, submission
    from .reports import feedback_page, fmt_points

    t0 = time.monotonic()
    source = root / "source"
    config = json.loads((source / CONFIG).read_text(encoding="utf-8"))
    nb_id = config["notebook"]
    known = {nb_id: source / "solutions" / f"{nb_id}.ipynb"}
    pristine = submission.load_pristine(known[nb_id])
    path, problem = _pick(root / "submission", nb_id, known)
    checks, status, note = [], "", problem or ""
    sub = grade.Submission(path or Path(f"{nb_id}.ipynb"), path.name if path else "-")
    if path is not None:
        grade._read(sub, known, {nb_id: pristine})
        if not sub.status and sub.notebook != nb_id:
            sub.status, sub.reason = "unknown-notebook", f"it is not `{nb_id}`"
        if sub.status:
            status, note = sub.status, sub.reason
        else:
            limits_cfg = config.get("limits", {})
            drop, read_all = grade._isolation(sys.stderr)
            limits = kernel.Limits(cell_timeout=limits_cfg.get("cell_timeout", 120.0),
                                   timeout=limits_cfg.get("timeout", 600.0),
                                   memory_mb=limits_cfg.get("memory_mb", 4096), drop=drop, read_all=read_all)
            result = kernel.run_cells(sub.cells, pristine.kernel_name, limits)
            status, checks, note = result.status, result.checks, result.note
            sub.reason = result.note
    if not checks:  # nothing ran: every check scores 0, with the reason
        checks = [kernel.CheckResult(gid, 0, pts, "skipped", f"not graded: {note}") for gid, pts in pristine.checks]
    points = sum(c.points for c in checks)
    row = {"points": fmt_points(points), "max_points": fmt_points(pristine.max_points), "status": status or "ok"}
    if sub.status in ("unreadable", "unknown-notebook") or path is None:
        output = (f"**Score: 0 / {fmt_points(pristine.max_points)} points.** Your upload could not be graded: {note}.\n\n"
                  f"Upload the `{nb_id}.ipynb` you filled in (File > Save Notebook first), as a single file.")
    else:
        sub.display = path.name
        output = feedback_page(sub, row, checks, pristine, time.strftime("%Y-%m-%d %H:%M"))
    tests = [{"name": c.check, "score": c.points, "max_score": c.max_points,
              "status": "passed" if c.outcome == "passed" else "failed",
              "output": f"{c.outcome}: {c.message}", "visibility": "visible"} for c in checks]
    return {"score": points, "execution_time": round(time.monotonic() - t0, 1), "output": output,
            "output_format": "md", "stdout_visibility": "hidden", "visibility": "visible", "tests": tests}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.workbook.autograder")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="grade /autograder/submission and write /autograder/results/results.json")
    p.add_argument("--root", default="/autograder")
    args = parser.parse_args(argv)
    root = Path(args.root)
    data = grade_submission(root)
    results = root / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"score {data['score']} of {sum(t['max_score'] for t in data['tests'])} -> {results / 'results.json'}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
