"""Execute notebooks with a fresh kernel and time every cell.

``workbook execute solutions/04_rnn_cell.ipynb`` runs a solution notebook top to
bottom in its own folder, stores the outputs in place (that is what nbval compares
later) and prints how long each slow cell took. Authors run it after every edit.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

# The budgets of COURSE.md (2-core CPU). The variables exist so tests/workbook/test_budget.py can
# test the nbval hook in conftest.py cheaply.
CELL_BUDGET_S = float(os.environ.get("WORKBOOK_CELL_BUDGET_S", 30))
NOTEBOOK_BUDGET_S = float(os.environ.get("WORKBOOK_NOTEBOOK_BUDGET_S", 60))


def execute_notebook(path: Path, *, write: bool = True, timeout: int = 120, allow_errors: bool = False,
                     kernel_name: str = "python3"):
    """Run the notebook at `path`; return (notebook node, [(cell index, seconds)]).

    The working directory is the notebook's folder. With write=True the executed
    notebook (outputs, execution counts, ``workbook.id``) replaces the file.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(path.parent)}}, record_timing=True)
    client.execute()
    timings = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        t = cell.metadata.get("execution", {})
        start, end = t.get("iopub.execute_input"), t.get("shell.execute_reply")
        seconds = _seconds(end) - _seconds(start) if start and end else 0.0
        timings.append((index, seconds))
        cell.metadata.pop("execution", None)  # timings would make stored notebooks differ run to run
    nb.metadata.setdefault("workbook", {})["id"] = path.stem
    nb.metadata.pop("widgets", None)
    if write:
        nbformat.write(nb, path)
    return nb, timings


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main(paths, *, timeout: int = 120) -> int:
    status = 0
    for p in paths:
        t0 = time.perf_counter()
        _, timings = execute_notebook(Path(p), timeout=timeout)
        total = time.perf_counter() - t0
        slow = sorted(timings, key=lambda t: -t[1])[:3]
        cells = ", ".join(f"cell {i}: {s:.1f} s" for i, s in slow)
        verdict = "ok"
        if total > NOTEBOOK_BUDGET_S or any(s > CELL_BUDGET_S for _, s in timings):
            verdict, status = "OVER BUDGET", 1
        print(f"{Path(p).name}: {total:.1f} s in all (kernel start included); slowest {cells} [{verdict}]")
    return status
