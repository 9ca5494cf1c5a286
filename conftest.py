"""Repository-wide pytest hooks: the time budget of the solution notebooks.

When nbval runs the solution notebooks, every cell is a test item. Each cell's
execution time is recorded; a cell over 30 s, or the cell that takes its notebook
past 60 s in all, fails with a message naming the budget. A per-notebook table is
printed at the end and written to reports/timings.json.
"""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from utils.workbook.execute import CELL_BUDGET_S, NOTEBOOK_BUDGET_S  # one definition of the budgets

_cells = defaultdict(list)  # notebook name -> [(cell number, seconds)]


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not _is_nbval_cell(item):
        return
    name = Path(str(item.fspath)).name
    seconds = call.stop - call.start
    _cells[name].append((item.cell_num, seconds))
    total = sum(s for _, s in _cells[name])
    problem = None
    if seconds > CELL_BUDGET_S:
        problem = f"cell {item.cell_num} of {name} took {seconds:.1f} s; the budget is {CELL_BUDGET_S:.0f} s a cell"
    elif total > NOTEBOOK_BUDGET_S and total - seconds <= NOTEBOOK_BUDGET_S:
        problem = f"{name} has taken {total:.1f} s by cell {item.cell_num}; the budget is {NOTEBOOK_BUDGET_S:.0f} s a notebook"
    if problem and report.passed:
        report.outcome = "failed"
        report.longrepr = "Time budget exceeded: " + problem


def pytest_terminal_summary(terminalreporter):
    if not _cells:
        return
    terminalreporter.section("solution notebook execution times")
    table = {}
    for name in sorted(_cells):
        cells = _cells[name]
        total = sum(s for _, s in cells)
        slowest = max(cells, key=lambda c: c[1])
        table[name] = {"seconds": round(total, 2), "slowest_cell": slowest[0], "slowest_cell_seconds": round(slowest[1], 2)}
        terminalreporter.write_line(
            f"{name:28s} {total:6.1f} s   slowest cell {slowest[0]:3d}: {slowest[1]:5.1f} s")
    out = Path(str(terminalreporter.config.rootpath)) / "reports" / "timings.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
