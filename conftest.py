"""Repository-wide pytest hooks: the time budget of the solution notebooks.

When nbval runs the solution notebooks, every cell is a test item. Each cell's
execution time is recorded; a cell over 30 s, or the cell that takes its notebook past
its budget (60 s, or what its metadata declares as ``workbook.budget_seconds``, at most
120 s), fails with a message naming the budget. A per-notebook table is printed at the
end and written to reports/timings.json.

Under pytest-xdist each notebook runs whole on one worker (``--dist loadfile``: its cells
share a file), so each worker sums its own notebooks' cells; the seconds travel to the
controller in each report's ``user_properties``.
"""

import json
from collections import defaultdict
from pathlib import Path

import pytest

from utils.workbook.execute import CELL_BUDGET_S, BudgetError, notebook_budget  # one definition of the budgets

_running = defaultdict(float)  # this process: notebook name -> seconds so far
_cells = defaultdict(list)  # the reporting process: notebook name -> [(cell number, seconds)]
_budgets = {}


def _is_nbval_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


def _budget(item) -> float:
    name = Path(str(item.fspath)).name
    if name not in _budgets:
        _budgets[name] = notebook_budget(getattr(item.parent, "nb", {}).get("metadata", {}), name)
    return _budgets[name]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not _is_nbval_cell(item):
        return
    name = Path(str(item.fspath)).name
    seconds = call.stop - call.start
    _running[name] += seconds
    problem = None
    try:
        budget = _budget(item)
    except BudgetError as e:
        budget, problem = float("inf"), str(e)
    total = _running[name]
    report.user_properties.append(("workbook_cell", (name, item.cell_num, seconds, budget)))
    if problem:
        pass
    elif seconds > CELL_BUDGET_S:
        problem = f"cell {item.cell_num} of {name} took {seconds:.1f} s; the budget is {CELL_BUDGET_S:.0f} s a cell"
    elif total > budget and total - seconds <= budget:
        problem = f"{name} has taken {total:.1f} s by cell {item.cell_num}; its budget is {budget:.0f} s"
    if problem and report.passed:
        report.outcome = "failed"
        report.longrepr = "Time budget exceeded: " + problem


def pytest_runtest_logreport(report):
    for key, value in getattr(report, "user_properties", []):
        if key == "workbook_cell" and report.when == "call":
            name, cell, seconds, budget = value
            _cells[name].append((cell, seconds))
            _budgets.setdefault(name, budget)


def pytest_terminal_summary(terminalreporter):
    if not _cells:
        return
    terminalreporter.section("solution notebook execution times")
    table = {}
    for name in sorted(_cells):
        cells = _cells[name]
        total = sum(s for _, s in cells)
        slowest = max(cells, key=lambda c: c[1])
        table[name] = {"seconds": round(total, 2), "budget_seconds": _budgets[name], "slowest_cell": slowest[0],
                       "slowest_cell_seconds": round(slowest[1], 2),
                       "cells": [[c, round(s, 2)] for c, s in sorted(cells)]}
        terminalreporter.write_line(f"{name:28s} {total:6.1f} s of {_budgets[name]:4.0f} s   "
                                    f"slowest cell {slowest[0]:3d}: {slowest[1]:5.1f} s")
    out = Path(str(terminalreporter.config.rootpath)) / "reports" / "timings.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
