"""JupyterLab in a real browser: notebook 01 run by clicking Run > Run All Cells.

The lab is started with the Makefile's `lab` command (tests/lab_server.py) on copies of
the notebooks (so autosave cannot touch the repository) and opened in headless
Chromium, driven by Playwright and pointed at the system's Chromium (Debian package
`chromium`; `playwright install` downloads browsers from outside and is never used).
The one flag added for the test, ``--LabApp.expose_app_in_browser``, lets it read the
notebook's model (the outputs as JupyterLab holds them) instead of guessing from pixels.

- The student notebook must stop at the first exercise's check cell with the check's
  "not implemented yet" message; no other cell may show an error, and every figure
  above that point must be on screen as a loaded image.
- The solution notebook must run to the end with no error, every figure rendered.

Screenshots go to reports/browser_*.png.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from lab_server import ROOT, TOKEN, lab_server

CHROMIUM = os.environ.get("WORKBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK = "01_feedforward.ipynb"
RUN_TIMEOUT_S = 120

if CHROMIUM is None and os.environ.get("WORKBOOK_REQUIRE_BROWSER"):  # CI sets it: there the test must run
    raise RuntimeError("WORKBOOK_REQUIRE_BROWSER is set but no Chromium was found (apt-get install -y chromium)")

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine: install it with `apt-get install -y chromium` "
                             "(Debian/Ubuntu; .ci/run does), or set WORKBOOK_CHROMIUM to its path")

# Chromium flags for a closed network: no background connections, no first-run pages.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

# Read the open notebook from JupyterLab's own model: per code cell, its execution count,
# its outputs (type, error name and value, image mime types) and how many of its images
# are in the page and loaded.
READ_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, i) => {
    const m = cell.model;
    if (m.type !== 'code') return {index: i, type: m.type};
    const outs = [];
    for (let k = 0; k < m.outputs.length; k++) outs.push(m.outputs.get(k).toJSON());
    const imgs = Array.from(cell.node.querySelectorAll('.jp-OutputArea-output img'));
    return {index: i, type: 'code', count: m.executionCount, grade: !!(m.getMetadata('nbgrader') || {}).grade,
            solution: !!(m.getMetadata('nbgrader') || {}).solution,
            outputs: outs.map(o => ({type: o.output_type, ename: o.ename || null, evalue: o.evalue || null,
                                     images: Object.keys(o.data || {}).filter(k => k.startsWith('image/'))})),
            shown_images: imgs.length,
            loaded_images: imgs.filter(im => im.complete && im.naturalWidth > 0).length};
  });
}"""


def _run_all(base: str, name: str, shot: Path) -> list[dict]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{base}/lab/tree/{name}?token={TOKEN}")
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
                                   timeout=60_000)
            # the real menu, as a learner does it
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_function(  # something was queued, then the kernel went quiet with nothing left to run
                "() => { const p = window.jupyterapp.shell.currentWidget;"
                " const busy = p.sessionContext.session.kernel.status !== 'idle';"
                " const queued = Array.from(p.node.querySelectorAll('.jp-InputPrompt')).some(e => e.textContent.includes('*'));"
                " return !busy && !queued && p.content.widgets.some(c => c.model.type === 'code' && c.model.executionCount); }",
                timeout=RUN_TIMEOUT_S * 1000, polling=500)
            time.sleep(1.0)  # let the last outputs render
            cells = page.evaluate(READ_CELLS)
            # bring every cell with an image into view, so lazily drawn images are decoded, then read again
            for c in cells:
                if c["type"] == "code" and any(o["images"] for o in c["outputs"]):
                    page.evaluate("i => window.jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView()",
                                  c["index"])
                    page.wait_for_timeout(150)
            cells = page.evaluate(READ_CELLS)
            stop = next((c for c in cells if c["type"] == "code" and any(o["type"] == "error" for o in c["outputs"])), None)
            if stop is not None:
                page.evaluate("i => window.jupyterapp.shell.currentWidget.content.widgets[i].node.scrollIntoView()",
                              stop["index"])
                page.wait_for_timeout(300)
            shot.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(shot))
        finally:
            browser.close()
    return [c for c in cells if c["type"] == "code"]


def _figures_rendered(cells: list[dict]) -> list[str]:
    problems = []
    for c in cells:
        wanted = sum(1 for o in c["outputs"] if o["images"])
        if c["loaded_images"] < wanted:
            problems.append(f"cell {c['index']}: {wanted} figure(s) in its outputs, {c['loaded_images']} "
                            f"loaded in the page ({c['shown_images']} img elements)")
    return problems


@pytest.fixture
def served(tmp_path):
    """Copies of notebooks/ and solutions/ notebook 01, each served by its own lab."""
    def serve(kind):
        folder = tmp_path / kind
        folder.mkdir()
        shutil.copy(ROOT / kind / NOTEBOOK, folder / NOTEBOOK)
        return lab_server(folder, tmp_path / f"{kind}-jupyter", extra=("--LabApp.expose_app_in_browser=True",))
    return serve


def test_student_notebook_stops_at_the_first_check_in_a_real_browser(served):
    with served("notebooks") as base:
        cells = _run_all(base, NOTEBOOK, ROOT / "reports" / "browser_student_01.png")
    errors = [c for c in cells if any(o["type"] == "error" for o in c["outputs"])]
    first_check = next(c for c in cells if c["grade"] and not c["solution"])
    assert errors, "Run All Cells met no error: the first exercise's stub should have stopped it at its check"
    stop = errors[0]
    assert len(errors) == 1, f"more than one cell shows an error: cells {[c['index'] for c in errors]}"
    assert stop["index"] == first_check["index"], \
        f"execution stopped at cell {stop['index']}, not at the first check cell ({first_check['index']})"
    err = next(o for o in stop["outputs"] if o["type"] == "error")
    assert err["ename"] == "NotImplementedError" and "is not implemented yet" in err["evalue"], err
    after = [c["index"] for c in cells if c["index"] > stop["index"] and (c["count"] or c["outputs"])]
    assert not after, f"cells after the stop ran or show outputs: {after}"
    before = [c for c in cells if c["index"] < stop["index"]]
    assert all(c["count"] for c in before), "a cell above the stop did not run"
    assert not _figures_rendered(before), _figures_rendered(before)


def test_solution_notebook_runs_clean_in_a_real_browser(served):
    with served("solutions") as base:
        cells = _run_all(base, NOTEBOOK, ROOT / "reports" / "browser_solution_01.png")
    errors = [(c["index"], o["ename"], o["evalue"]) for c in cells for o in c["outputs"] if o["type"] == "error"]
    assert not errors, f"the solution shows errors: {errors}"
    assert all(c["count"] for c in cells), [c["index"] for c in cells if not c["count"]]
    assert sum(1 for c in cells for o in c["outputs"] if o["images"]) >= 2, "notebook 01 draws figures: none found"
    assert not _figures_rendered(cells), _figures_rendered(cells)
