"""The course website (``workbook site``; ``make site``): Sphinx, myst-nb and sphinx-book-theme,
built offline from the notebooks, never executing them.

The builder assembles the page sources in a temporary folder, then runs Sphinx with the
configuration in ``site/`` (conf.py, templates, CSS):

- ``index.md``, the home page: ``site/index.md`` with the README's title, its opening
  paragraphs, its "Course map" (each notebook's name a link to its page) and its "How a
  learner works" filled in;
- ``notebooks/NN_name.ipynb``, one page per notebook: the student notebook (exercise
  cells hold their stubs) with, for every cell that is not an exercise, the stored
  outputs of the same cell (same cell id) of ``solutions/NN_name.ipynb``. An exercise
  cell (nbgrader ``solution`` or ``grade``) shows no output. With ``solutions=True``
  (``make site SOLUTIONS=1``) the page is the solution notebook whole;
- ``docs/*.md``, the instructors' pages, whatever is in docs/ at build time.

After Sphinx, it copies MathJax (npm ``mathjax``, from ``node_modules/mathjax/es5``) into
the site's ``_static/mathjax`` and each student notebook, byte for byte, beside its page
(``notebooks/NN_name.ipynb``: the page's download link). The launch buttons of a page are
the links of :func:`utils.workbook.link.link` (``[tool.workbook.publish]`` of pyproject.toml).

    workbook site                       # -> _site/
    workbook site --solutions           # -> _site-solutions/ (the instructors' version)
    workbook site --out DIR
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "site"
OUT = ROOT / "_site"
OUT_SOLUTIONS = ROOT / "_site-solutions"
MATHJAX = ROOT / "node_modules" / "mathjax" / "es5"
# What the site needs of MathJax: the TeX-to-HTML component, the extensions it loads on
# demand (\boldsymbol, \cancel, ...), its fonts, and the accessibility/menu pieces it may load.
MATHJAX_PARTS = ("tex-chtml.js", "input/tex/extensions", "output/chtml", "a11y", "ui", "sre", "adaptors")

INFO_VARIABLE = "WORKBOOK_SITE_INFO"
NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")
MAP_ROW = re.compile(r"^(\|\s*\d\d\s*\|\s*)`(\d\d_[a-z0-9_]+)`(\s*\|)", re.MULTILINE)


class SiteError(Exception):
    """Something the site cannot be built from (named in the message)."""


def is_exercise(cell: dict) -> bool:
    """An answer cell (nbgrader ``solution``) or a check cell (nbgrader ``grade``)."""
    grader = cell.get("metadata", {}).get("nbgrader", {})
    return bool(grader.get("solution") or grader.get("grade"))


def page_notebook(student: dict, solution: dict) -> dict:
    """The notebook a page shows: ``student`` with, in every cell that is not an exercise,
    the outputs (and execution count) of the cell of ``solution`` that has the same id.
    A cell that only the student notebook has (one that ``workbook build`` adds) shows none."""
    by_id = {c.get("id"): c for c in solution.get("cells", [])}
    page = copy.deepcopy(student)
    for cell in page["cells"]:
        if cell.get("cell_type") != "code":
            continue
        if is_exercise(cell):
            cell["outputs"], cell["execution_count"] = [], None
            continue
        source = by_id.get(cell.get("id"), {})
        cell["outputs"] = copy.deepcopy(source.get("outputs", []))
        cell["execution_count"] = source.get("execution_count")
    return page


def _sections(readme: str) -> tuple[str, str, dict[str, str]]:
    """(title, the text between the title and the first ## heading, {## heading: its text})."""
    lines = readme.splitlines()
    title = next((l[2:].strip() for l in lines if l.startswith("# ")), None)
    if title is None:
        raise SiteError("README.md has no '# title' line")
    sections, current, intro = {}, None, []
    started = False
    for line in lines:
        if line.startswith("# ") and not started:
            started = True
            continue
        if line.startswith("## "):
            current = line[3:].strip()
            sections[current] = []
        elif current is None:
            intro.append(line)
        else:
            sections[current].append(line)
    return title, "\n".join(intro).strip(), {k: "\n".join(v).strip() for k, v in sections.items()}


def home_page(readme: str, template: str, notebooks: list[str]) -> tuple[str, str]:
    """(the README's title, the home page's MyST source): ``template`` with {title}, {intro},
    {course_map} and {how_a_learner_works} filled in from the README; every notebook of the
    course map becomes a link to its page, and every notebook must be in the map."""
    title, intro, sections = _sections(readme)
    for wanted in ("Course map", "How a learner works"):
        if wanted not in sections:
            raise SiteError(f"README.md has no '## {wanted}' section: the home page is made from it "
                            f"(sections found: {', '.join(sections)})")
    stems = {n.removesuffix(".ipynb") for n in notebooks}
    in_map = {m[1] for m in MAP_ROW.findall(sections["Course map"])}
    if in_map != stems:
        raise SiteError("README.md's course map and notebooks/ disagree: "
                        f"only in the map: {sorted(in_map - stems) or 'none'}, "
                        f"only in notebooks/: {sorted(stems - in_map) or 'none'}")
    course_map = MAP_ROW.sub(lambda m: f"{m[1]}[{m[2]}](notebooks/{m[2]}.ipynb){m[3]}", sections["Course map"])
    source = (template.replace("{title}", title).replace("{intro}", intro)
              .replace("{course_map}", course_map).replace("{how_a_learner_works}", sections["How a learner works"]))
    return title, source


def assemble(src: Path, solutions: bool = False, root: Path = ROOT) -> dict:
    """Write the page sources of the site into ``src``; return what conf.py needs to know."""
    root = Path(root)
    names = sorted(p.name for p in (root / "notebooks").glob("*.ipynb") if NOTEBOOK_NAME.match(p.name))
    if not names:
        raise SiteError(f"no notebooks in {root / 'notebooks'}")
    from . import build as notebook_build

    stale = notebook_build.stale(root / "solutions", root / "notebooks")
    if stale:  # the pages pair each student cell with its solution cell: both must be from one build
        raise SiteError("notebooks/ is not what `workbook build` writes from solutions/ ("
                        + "; ".join(stale) + "): run `workbook build` first")
    (src / "notebooks").mkdir(parents=True)
    for name in names:
        solution = json.loads((root / "solutions" / name).read_text(encoding="utf-8"))
        if solutions:
            page = solution
        else:
            student = json.loads((root / "notebooks" / name).read_text(encoding="utf-8"))
            page = page_notebook(student, solution)
        (src / "notebooks" / name).write_text(json.dumps(page, ensure_ascii=False, indent=1), encoding="utf-8")
    docs = sorted((root / "docs").glob("*.md"))
    if docs:
        (src / "docs").mkdir()
    for doc in docs:
        shutil.copyfile(doc, src / "docs" / doc.name)
    title, home = home_page((root / "README.md").read_text(encoding="utf-8"),
                            (CONF / "index.md").read_text(encoding="utf-8"), names)
    (src / "index.md").write_text(home, encoding="utf-8")
    return {"title": title, "notebooks": [n.removesuffix(".ipynb") for n in names],
            "docs": [d.stem for d in docs], "solutions": solutions}


def copy_mathjax(out: Path) -> None:
    if not (MATHJAX / "tex-chtml.js").exists():
        raise SiteError(f"MathJax is missing ({MATHJAX}): run `npm ci` (make install-dev does)")
    target = out / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    for part in MATHJAX_PARTS:
        source = MATHJAX / part
        if source.is_dir():
            shutil.copytree(source, target / part)
        elif source.exists():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / part)


def build(out: Path | None = None, solutions: bool = False, root: Path = ROOT, quiet: bool = True,
          jobs: int = 1) -> Path:
    """Build the site into ``out`` (default ``_site/``, or ``_site-solutions/`` with answers); return ``out``."""
    from sphinx.cmd.build import build_main

    root = Path(root)
    out = Path(out or (OUT_SOLUTIONS if solutions else OUT))
    with tempfile.TemporaryDirectory(prefix="workbook-site-") as tmp:
        # Sphinx writes into the temporary folder, then the site moves to `out`: myst-nb puts
        # its image files in a "jupyter_execute" folder beside its output folder.
        src, doctrees, html_dir = Path(tmp) / "src", Path(tmp) / "doctrees", Path(tmp) / "html"
        info = assemble(src, solutions=solutions, root=root)
        (Path(tmp) / "site.json").write_text(json.dumps(info), encoding="utf-8")
        args = ["-b", "html", "-c", str(CONF), "-d", str(doctrees), "-j", str(jobs), str(src), str(html_dir)]
        if quiet:
            args.insert(0, "-q")
        previous = os.environ.get(INFO_VARIABLE)
        os.environ[INFO_VARIABLE] = str(Path(tmp) / "site.json")  # read by site/conf.py
        try:
            status = build_main(args)
        finally:
            if previous is None:
                os.environ.pop(INFO_VARIABLE, None)
            else:
                os.environ[INFO_VARIABLE] = previous
        if status:
            raise SiteError(f"sphinx-build failed (exit {status}); its messages are above")
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(html_dir, out)
    sources = out / "_sources"  # empty: html_copy_source is off (a page's download is its student notebook)
    if sources.is_dir() and not any(sources.iterdir()):
        sources.rmdir()
    copy_mathjax(out)
    for name in info["notebooks"]:
        shutil.copyfile(root / "notebooks" / f"{name}.ipynb", out / "notebooks" / f"{name}.ipynb")
    (out / ".nojekyll").touch()
    (out / ".gitignore").write_text("# built by `workbook site`: never committed\n*\n", encoding="utf-8")
    return out


# --- the Sphinx side (conf.py lists this module as an extension) ---------------------------

def _launch_bar(pagename: str, solutions: bool, root: Path = ROOT) -> str:
    """The download link and the three launch buttons of a notebook page (HTML)."""
    from . import link

    name = pagename.split("/", 1)[1]
    hrefs = {to: link.link(name, to=to, root=root) for to in ("binder", "hub", "colab")}
    labels = {"binder": "Binder", "hub": "JupyterHub", "colab": "Colab"}
    items = [f'<a class="workbook-button" data-launch="{to}" href="{html.escape(href)}">{labels[to]}</a>'
             for to, href in hrefs.items()]
    download = (f'<a class="workbook-button workbook-download" data-download="notebook" href="{name}.ipynb" '
                f'download="{name}.ipynb">Download the notebook</a>')
    note = ('<p class="workbook-instructors">Instructors\' version: the answers are shown. '
            'Do not publish it.</p>') if solutions else ""
    return (f'<nav class="workbook-launch" aria-label="Get this notebook">{note}{download}'
            f'<span class="workbook-launch-label">Run it on</span>{"".join(items)}</nav>')


def site_info() -> dict:
    """What :func:`assemble` wrote for conf.py (the title, the pages, solutions or not)."""
    path = os.environ.get(INFO_VARIABLE)
    if not path:
        raise SiteError("site/conf.py is run by `workbook site` (make site), not by sphinx-build alone: "
                        "the page sources are assembled first")
    return json.loads(Path(path).read_text(encoding="utf-8"))


# docutils gives an image with no alt text its file path as alt ("../_images/3f2a...png"): that
# says nothing to a screen reader, and hides the gap from axe-core. Such an <img> gets no alt.
PATH_ALT = re.compile(r'<img alt="([^"]*)" src="\1"')


def _page_context(app, pagename, templatename, context, doctree):
    if "body" not in context:
        return
    context["body"] = PATH_ALT.sub(r'<img src="\1"', context["body"])
    if pagename.startswith("notebooks/"):
        context["body"] = _launch_bar(pagename, app.config.workbook_solutions) + context["body"]


def setup(app):
    app.add_config_value("workbook_solutions", False, "env")
    app.connect("html-page-context", _page_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --- the command -----------------------------------------------------------------------------

def add_arguments(parser) -> None:
    parser.add_argument("--solutions", action="store_true",
                        help="the instructors' version: the solution notebooks whole (default out: _site-solutions/)")
    parser.add_argument("--out", help="where the site goes (default _site/, or _site-solutions/ with --solutions)")
    parser.add_argument("--jobs", type=int, default=1, help="Sphinx processes (default 1)")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress messages")


def run(args) -> int:
    start = time.perf_counter()
    try:
        out = build(Path(args.out) if args.out else None, solutions=args.solutions, quiet=not args.verbose,
                    jobs=args.jobs)
    except SiteError as e:
        print(f"workbook site: {e}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"built {out} in {time.perf_counter() - start:.1f} s ({size / 1e6:.1f} MB); open {out / 'index.html'}")
    return 0
