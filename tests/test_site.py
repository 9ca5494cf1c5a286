"""The course website (`make site`, utils/workbook/site.py): built, then read in a real browser.

One build of the learners' site and one of the instructors' version (`SOLUTIONS=1`) are
shared by the module (a site that fails to build fails these tests). Without a browser:

- a notebook's page holds no solution code and none of its check cells' outputs, while
  the instructors' version holds the answers; its download link is the student notebook
  byte for byte; its launch buttons are the links of `workbook link`;
- the built HTML, CSS and JS load nothing from the network.

In headless Chromium (the system's, as tests/test_browser.py), the site served on
127.0.0.1: every page loads with no console error and no request to another host, every
image loads and has alt text, the maths is rendered by MathJax (no "$...$" left), search
finds "forget gate", a hint opens on a click, and axe-core finds no violation of impact
"serious" or "critical". Screenshot: reports/site_09.png.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from utils.workbook import link, site

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("WORKBOOK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = bool(os.environ.get("WORKBOOK_REQUIRE_BROWSER"))  # CI sets it: there nothing here may skip
NPM_MISSING = [p for p in (site.MATHJAX / "tex-chtml.js", AXE) if not p.exists()]
NOTEBOOKS = sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb"))
SHOT = "09_lstm_cell"  # the page of the screenshot, the hint and the maths checks

if REQUIRED and (CHROMIUM is None or NPM_MISSING):
    raise RuntimeError("WORKBOOK_REQUIRE_BROWSER is set but "
                       + ("no Chromium was found (apt-get install -y chromium)" if CHROMIUM is None
                          else f"{NPM_MISSING[0]} is missing (npm ci --no-audit --no-fund; make install-dev does)"))

pytestmark = [
    pytest.mark.xdist_group("site"),  # one build and one browser for the module, on one worker
    pytest.mark.skipif(bool(NPM_MISSING), reason=f"{NPM_MISSING[0] if NPM_MISSING else ''} is missing: run "
                       "`npm ci --no-audit --no-fund` (make install-dev does)"),
]
needs_browser = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine: install it with `apt-get install -y chromium` "
                             "(Debian/Ubuntu; .ci/run does), or set WORKBOOK_CHROMIUM to its path")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return site.build(tmp_path_factory.mktemp("site") / "_site")


@pytest.fixture(scope="module")
def built_solutions(tmp_path_factory):
    return site.build(tmp_path_factory.mktemp("site-solutions") / "_site", solutions=True)


# --- reading the built HTML ------------------------------------------------------------------

class _Page(HTMLParser):
    """The text of a page (what a reader sees, code included) and its elements' attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.text, self.elements, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@functools.cache
def _read(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.text = "".join(page.text)
    return page


def _cells(folder: str, name: str) -> list[dict]:
    return json.loads((ROOT / folder / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]


def _source(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _solution_lines(name: str) -> list[str]:
    """The lines of the solution regions of a notebook that the student notebook does not hold
    (at least 12 characters, so "return h" and the like do not count)."""
    student = "\n".join(_source(c) for c in _cells("notebooks", name))
    lines = []
    for cell in _cells("solutions", name):
        inside = False
        for line in _source(cell).split("\n"):
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= 12 and line.strip() not in student:
                lines.append(line.strip())
    return lines


def _check_outputs(name: str) -> list[str]:
    """The first line printed by each check cell (nbgrader grade) of the solution notebook."""
    found = []
    for cell in _cells("solutions", name):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade"):
            for out in cell.get("outputs", []):
                text = "".join(out.get("text", "")).strip()
                if text:
                    found.append(text.split("\n")[0].strip())
    return found


def test_a_page_shows_the_stubs_and_no_answer_while_the_instructors_version_shows_them(built, built_solutions):
    problems = []
    for name in NOTEBOOKS:
        page, answers = _read(built / "notebooks" / f"{name}.html").text, _read(built_solutions / "notebooks" / f"{name}.html").text
        secret = _solution_lines(name)
        assert secret, f"{name}: no solution line found to look for"
        problems += [f"{name}: the page shows solution line {line!r}" for line in secret if line in page]
        problems += [f"{name}: the instructors' version lacks {line!r}" for line in secret if line not in answers]
        problems += [f"{name}: the page shows a check's output {line!r}" for line in _check_outputs(name) if line in page]
        if "BEGIN SOLUTION" in page or "BEGIN HIDDEN TESTS" in page:
            problems.append(f"{name}: the page holds solution markers")
        if "is not written yet" not in page:
            problems.append(f"{name}: the page lacks the exercises' stubs")
    assert not problems, "\n".join(problems)
    # one exercise, by name: 09's lstm_step
    page = _read(built / "notebooks" / "09_lstm_cell.html").text
    assert "c_next = f * c_prev + i * g" not in page and 'lstm_step (Exercise 1) is not written yet' in page
    assert "c_next = f * c_prev + i * g" in _read(built_solutions / "notebooks" / "09_lstm_cell.html").text


def test_a_page_shows_the_solutions_outputs_of_every_cell_that_is_not_an_exercise():
    for name in NOTEBOOKS:
        student, solution = ({"cells": _cells(f, name)} for f in ("notebooks", "solutions"))
        page = site.page_notebook(student, solution)
        by_id = {c["id"]: c for c in solution["cells"]}
        learners = {c["id"]: c for c in student["cells"]}
        for cell in page["cells"]:
            # the page shows the code the learner sees (the build's set-up lines included)
            assert _source(cell) == _source(learners[cell["id"]]), f"{name} cell {cell['id']}: source differs"
            if cell["cell_type"] != "code":
                continue
            if site.is_exercise(cell):
                assert cell["outputs"] == [], f"{name} cell {cell['id']}: an exercise shows outputs"
            else:
                assert cell["outputs"] == by_id[cell["id"]].get("outputs", []), f"{name} cell {cell['id']}"
        assert sum(1 for c in page["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})) \
            == sum(1 for c in solution["cells"] for o in c.get("outputs", []) if "image/png" in o.get("data", {})), \
            f"{name}: a figure of the solution is missing from the page"


def test_a_cell_only_the_student_notebook_has_shows_no_output():
    student = {"cells": [{"cell_type": "code", "id": "added", "source": "", "metadata": {}, "outputs": []}]}
    assert site.page_notebook(student, {"cells": []})["cells"][0]["outputs"] == []


def test_a_student_notebook_out_of_step_with_its_solution_is_refused(tmp_path):
    root = tmp_path / "course"
    for part in ("notebooks", "solutions", "docs"):
        shutil.copytree(ROOT / part, root / part)
    shutil.copyfile(ROOT / "README.md", root / "README.md")
    site.assemble(tmp_path / "fresh", root=root)  # as built: fine
    path = root / "notebooks" / f"{SHOT}.ipynb"
    path.write_text(path.read_text(encoding="utf-8").replace("The LSTM cell", "An LSTM cell", 1), encoding="utf-8")
    with pytest.raises(site.SiteError, match=f"{SHOT}.ipynb: differs from what the build writes.*workbook build"):
        site.assemble(tmp_path / "stale", root=root)


def test_the_download_link_is_the_student_notebook_and_the_launch_buttons_are_workbook_links(built):
    for name in NOTEBOOKS:
        elements = _read(built / "notebooks" / f"{name}.html").elements
        download = [a for tag, a in elements if tag == "a" and a.get("data-download") == "notebook"]
        assert len(download) == 1, f"{name}: {len(download)} download links"
        target = (built / "notebooks" / download[0]["href"]).resolve()
        assert target.is_file(), f"{name}: the download link points to {download[0]['href']}, which is not in the site"
        assert target.read_bytes() == (ROOT / "notebooks" / f"{name}.ipynb").read_bytes(), \
            f"{name}: the download is not notebooks/{name}.ipynb"
        launch = {a["data-launch"]: a["href"] for tag, a in elements if tag == "a" and "data-launch" in a}
        assert launch == {to: link.link(name, to=to) for to in ("binder", "hub", "colab")}, name


def test_the_home_page_maps_the_course_from_the_readme(built):
    home = _read(built / "index.html")
    hrefs = {a.get("href") for tag, a in home.elements if tag == "a"}
    missing = [n for n in NOTEBOOKS if f"notebooks/{n}.html" not in hrefs]
    assert not missing, f"the home page does not link {missing}"
    assert "From feed-forward networks to LSTMs" in home.text and "How a learner works" in home.text
    docs = sorted(p.stem for p in (ROOT / "docs").glob("*.md"))
    assert all((built / "docs" / f"{d}.html").exists() for d in docs) and f"docs/{docs[0]}.html" in hrefs


def test_a_readme_whose_course_map_misses_a_notebook_is_refused():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    with pytest.raises(site.SiteError, match=r"only in notebooks/: \['99_extra'\]"):
        site.home_page(readme, "{course_map}", [f"{n}.ipynb" for n in NOTEBOOKS] + ["99_extra.ipynb"])


URL = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.IGNORECASE)
CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])\s*((?:https?:)?//[^'")\s]+)""", re.IGNORECASE)


def test_the_site_loads_nothing_from_the_network(built):
    """Only an <a href> (launch, download, repository links) may name another host: no src=,
    <link href>, CSS url() or @import, and no MathJax from a CDN."""
    problems = []
    for path in built.rglob("*.html"):
        for tag, attrs in _read(path).elements:
            for key, value in attrs.items():
                if value and key in ("src", "href", "srcset", "data", "poster", "action", "content") \
                        and not (tag == "a" and key == "href") and URL.match(value.strip()):
                    problems.append(f"{path.relative_to(built)}: <{tag} {key}={value!r}>")
    for path in built.rglob("*.css"):
        problems += [f"{path.relative_to(built)}: {u}" for u in CSS_URL.findall(path.read_text(encoding="utf-8"))]
    assert not problems, "\n".join(problems[:20])
    page = (built / "notebooks" / f"{SHOT}.html").read_text(encoding="utf-8")
    assert 'src="../_static/mathjax/tex-chtml.js"' in page and (built / "_static/mathjax/tex-chtml.js").exists()


# --- in the browser -----------------------------------------------------------------------------

class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(built):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(built)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# Per page: every <img> (loaded? alt?), the rendered maths, and any "$...$" left in the text
# outside code, scripts and rendered maths.
READ_PAGE = """() => {
  const imgs = Array.from(document.querySelectorAll('main img')).map(i => ({
      src: i.getAttribute('src'), alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0}));
  const walker = document.createTreeWalker(document.querySelector('main') || document.body, NodeFilter.SHOW_TEXT, {
      acceptNode: n => n.parentElement.closest('pre, code, script, style, mjx-container, .math')
          ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  let text = '';
  while (walker.nextNode()) text += walker.currentNode.nodeValue;
  return {imgs, maths: document.querySelectorAll('mjx-container').length, text};
}"""
AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                 target: v.nodes[0].target.join(' '), help: v.help}));
}"""
AXE_BATCH = 3
DOLLARS = re.compile(r"\$[^$\n]{1,200}\$")


def _open(browser, url: str, log: dict):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    is_browser = hasattr(browser, "new_context")  # else a context, whose pages have its viewport
    page = browser.new_page(**({"viewport": {"width": 1400, "height": 1000}} if is_browser else {}))
    host = urlsplit(url).netloc
    page.on("console", lambda m: m.type == "error" and log["console"].append(m.text))
    page.on("pageerror", lambda e: log["console"].append(str(e)))
    page.on("request", lambda r: urlsplit(r.url).scheme in ("http", "https", "ws", "wss")
            and urlsplit(r.url).netloc != host and log["foreign"].append(r.url))
    page.on("requestfailed", lambda r: log["failed"].append(f"{r.url} ({r.failure})"))
    page.on("response", lambda r: r.status >= 400 and log["failed"].append(f"{r.url} (HTTP {r.status})"))
    page.goto(url, wait_until="load")
    try:  # Sphinx sets window.MathJax (its configuration) on a page with maths; MathJax's script adds startup
        page.wait_for_function("() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=15_000)
        page.evaluate("async () => { if (window.MathJax) await MathJax.startup.promise; }")
    except PlaywrightTimeout:
        log["console"].append("MathJax did not start within 15 s: its script did not load")
    return page


@pytest.fixture(scope="module")
def visits(browser, served):
    """Every page (home, notebooks, instructors' pages) opened once: what it logged and showed, and axe's verdict."""
    pages = ["index.html"] + [f"notebooks/{n}.html" for n in NOTEBOOKS] \
        + [f"docs/{p.stem}.html" for p in sorted((ROOT / "docs").glob("*.md"))]
    found = {}
    for first in range(0, len(pages), AXE_BATCH):  # axe runs on a batch of pages at once (one renderer each)
        batch = {}
        try:
            for path in pages[first:first + AXE_BATCH]:
                log = {"console": [], "foreign": [], "failed": []}
                page = _open(browser, f"{served}/{path}", log)
                batch[path] = (page, log)
                found[path] = page.evaluate(READ_PAGE)
                if path == f"notebooks/{SHOT}.html":
                    (ROOT / "reports").mkdir(exist_ok=True)
                    page.screenshot(path=str(ROOT / "reports" / f"site_{SHOT[:2]}.png"))
                page.add_script_tag(path=str(AXE))
                page.evaluate(f"() => {{ window.__axe = ({AXE_RUN})(); }}")  # started, not awaited
            for path, (page, log) in batch.items():
                found[path] = {**found[path], "axe": page.evaluate("() => window.__axe"), **log}
        finally:
            for page, _ in batch.values():
                page.close()
    # every violation, minor and moderate included, by page: reports/site_axe.json
    (ROOT / "reports" / "site_axe.json").write_text(json.dumps({p: v["axe"] for p, v in found.items()}, indent=1))
    return found


@needs_browser
def test_every_page_loads_with_no_error_and_no_request_off_the_machine(visits):
    problems = [f"{p}: console: {m}" for p, v in visits.items() for m in v["console"]]
    problems += [f"{p}: request to {u}" for p, v in visits.items() for u in v["foreign"]]
    problems += [f"{p}: failed request {u}" for p, v in visits.items() for u in v["failed"]]
    assert not problems, "\n".join(problems)


@needs_browser
def test_every_figure_loads_and_has_alt_text(visits):
    figures = {p: v["imgs"] for p, v in visits.items() if p.startswith("notebooks/")}
    expected = {f"notebooks/{n}.html": sum(1 for c in _cells("solutions", n) for o in c.get("outputs", [])
                                            if "image/png" in o.get("data", {})) for n in NOTEBOOKS}
    assert {p: len(i) for p, i in figures.items()} == expected, "the pages do not show every figure of the solutions"
    problems = [f"{p}: {i['src']} did not load" for p, imgs in figures.items() for i in imgs if not i["loaded"]]
    problems += [f"{p}: {i['src']} has no alt text" for p, imgs in figures.items() for i in imgs
                 if not (i["alt"] or "").strip() or i["alt"].strip() == i["src"]]
    assert not problems, f"{len(problems)} figure problem(s):\n" + "\n".join(problems)


@needs_browser
def test_the_maths_is_rendered_and_no_dollar_pair_is_left(visits):
    assert visits[f"notebooks/{SHOT}.html"]["maths"] > 20, "MathJax rendered (almost) no maths on the LSTM page"
    left = {p: DOLLARS.findall(v["text"])[:3] for p, v in visits.items() if DOLLARS.search(v["text"])}
    assert not left, f"raw $...$ left in the text: {left}"


@needs_browser
def test_axe_finds_no_serious_or_critical_violation(visits):
    bad = [f"{p}: {v['id']} ({v['impact']}, {v['nodes']} element(s)), first {v['target']}: {v['help']}"
           for p, page in visits.items() for v in page["axe"] if v["impact"] in ("serious", "critical")]
    assert not bad, f"{len(bad)} serious or critical axe-core violation(s):\n" + "\n".join(bad)


@needs_browser
def test_axe_finds_no_serious_or_critical_violation_in_the_dark_theme(browser, served):
    """The theme's dark mode (its toggle stores the choice in localStorage) on a page of each kind:
    the launch bar, code, maths and figures must keep their contrast there too."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script("localStorage.setItem('theme', 'dark'); localStorage.setItem('mode', 'dark');")
    bad = []
    try:
        for path in ("index.html", f"notebooks/{SHOT}.html", "docs/grading.html"):
            log = {"console": [], "foreign": [], "failed": []}
            page = _open(context, f"{served}/{path}", log)
            assert page.evaluate("document.documentElement.dataset.theme") == "dark", f"{path}: not in dark mode"
            page.add_script_tag(path=str(AXE))
            bad += [f"{path}: {v['id']} ({v['impact']}), first {v['target']}: {v['help']}"
                    for v in page.evaluate(AXE_RUN) if v["impact"] in ("serious", "critical")]
            page.close()
    finally:
        context.close()
    assert not bad, "axe-core in the dark theme:\n" + "\n".join(bad)


@needs_browser
def test_search_finds_forget_gate(browser, served, built):
    expected = {f"notebooks/{n}.html" for n in NOTEBOOKS
                if "forget gate" in _read(built / "notebooks" / f"{n}.html").text.lower()}
    assert len(expected) >= 2, f"'forget gate' is on {sorted(expected)} only: 09 and 10 use it"
    log = {"console": [], "foreign": [], "failed": []}
    page = _open(browser, f"{served}/search.html?q=forget+gate", log)
    try:
        page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
        hrefs = page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.href)")
    finally:
        page.close()
    found = {urlsplit(h).path.lstrip("/").split("#")[0] for h in hrefs}
    assert expected <= found, f"search for 'forget gate' found {sorted(found)}, not {sorted(expected - found)}"
    assert not log["console"] and not log["foreign"], log


@needs_browser
def test_a_hint_is_folded_and_opens_on_a_click(browser, served):
    log = {"console": [], "foreign": [], "failed": []}
    page = _open(browser, f"{served}/notebooks/{SHOT}.html", log)
    try:
        hint = page.locator("main details").first
        body = hint.locator("p").first
        assert page.locator("main details").count() >= 3, "the hints of 09 are not <details> blocks"
        assert hint.get_attribute("open") is None and not body.is_visible(), "a hint is open before any click"
        hint.locator("summary").click()
        page.wait_for_function("() => document.querySelector('main details').open")
        assert body.is_visible(), "the hint's text is still hidden after a click on its summary"
    finally:
        page.close()
