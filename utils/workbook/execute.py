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
# A notebook whose honest experiment needs more (many trainings) may declare up to this
# in its metadata, {"workbook": {"budget_seconds": 120}}, and say so in its title cell.
MAX_DECLARED_BUDGET_S = 120.0


class BudgetError(ValueError):
    """A notebook declares a budget the course does not allow."""


def notebook_budget(metadata: dict, name: str = "the notebook") -> float:
    """The seconds `name` may take in all: its declared ``workbook.budget_seconds``, else the default."""
    declared = (metadata or {}).get("workbook", {}).get("budget_seconds")
    if declared is None:
        return NOTEBOOK_BUDGET_S
    if isinstance(declared, bool) or not isinstance(declared, (int, float)) or not 0 < declared <= MAX_DECLARED_BUDGET_S:
        raise BudgetError(f"{name} declares workbook.budget_seconds = {declared!r}; a notebook may declare "
                          f"a number of seconds above 0 and at most {MAX_DECLARED_BUDGET_S:.0f}")
    return float(declared)


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
    _freeze_progress_bars(nb)
    if write:
        nbformat.write(nb, path)
    return nb, timings


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _freeze_progress_bars(nb):
    """Store every progress bar as the text it ended with, and drop the widget state.

    A ``tqdm.auto`` bar is a widget: its stored output is only a reference to a widget
    model plus the text it had when it *started* ("0%"), so a reader of solutions/ would
    see frozen "0 %" bars. Here each bar that was still shown at the end becomes plain
    text, "training: 100%|██████████| 20/20 [00:03<00:00, loss=0.0123]", read from the
    final widget state; a bar that closed itself (``leave=False``) is removed, as it is
    in a live session. The state itself (timings, ids) is dropped: it differs each run.
    """
    import html

    state = nb.metadata.pop("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})

    def value(model_id) -> str:
        ref = str(model_id).removeprefix("IPY_MODEL_")
        return html.unescape(str(state.get(ref, {}).get("state", {}).get("value", ""))).strip()

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW) if out.get("output_type") == "display_data" else None
            if view is None:
                kept.append(out)
                continue
            model = state.get(view.get("model_id"), {}).get("state", {})
            children = model.get("children", [])
            visible = model.get("layout") is None or state.get(str(model.get("layout")).removeprefix("IPY_MODEL_"),
                                                               {}).get("state", {}).get("visibility") != "hidden"
            if len(children) != 3 or not visible:
                continue  # a closed bar (leave=False), or a widget that is not a progress bar
            bar = state.get(str(children[1]).removeprefix("IPY_MODEL_"), {}).get("state", {})
            done, total = float(bar.get("value", 0) or 0), float(bar.get("max", 0) or 0)
            filled = int(round(10 * done / total)) if total else 0
            # tqdm's left label already holds the description and the percentage
            text = f"{value(children[0])}|{'█' * filled}{' ' * (10 - filled)}| {value(children[2])}"
            out["data"] = {"text/plain": text.replace("\u2007", " ").strip()}
            kept.append(out)
        cell["outputs"] = kept


def _seconds(stamp: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main(paths, *, timeout: int = 120) -> int:
    import nbformat

    status = 0
    for p in paths:
        t0 = time.perf_counter()
        _, timings = execute_notebook(Path(p), timeout=timeout)
        total = time.perf_counter() - t0
        slow = sorted(timings, key=lambda t: -t[1])[:3]
        cells = ", ".join(f"cell {i}: {s:.1f} s" for i, s in slow)
        verdict = "ok"
        budget = notebook_budget(nbformat.read(p, as_version=4).metadata, Path(p).name)
        if total > budget or any(s > CELL_BUDGET_S for _, s in timings):
            verdict, status = "OVER BUDGET", 1
        print(f"{Path(p).name}: {total:.1f} s in all (kernel start included); slowest {cells} [{verdict}]")
    return status
