"""Figures everyone can read: the course's plot style, and alt text for every figure.

The alt-text mechanism, one for all 12 notebooks:

- a code cell shows at most one figure (one image output);
- its metadata holds the alt text, ``{"mystnb": {"image": {"alt": TEXT}}}``: myst-nb writes it
  into the site's ``<img alt>``;
- the cell right after it is the figure's caption, a markdown cell ``**Figure.** TEXT``: JupyterLab
  ignores alt metadata (its image renderer sets no ``alt``), so the caption is how a JupyterLab
  reader, and a screen reader there, gets the same text.

``figure_problems`` lists what breaks these rules; it is tested on notebooks that break each.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
CAPTION = "**Figure.** "
FORBIDDEN = re.compile(r"[$`*_\n<>]")  # alt text is plain text: no maths, markup or line breaks
MIN_ALT, MAX_ALT = 50, 400


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _images(cell) -> int:
    return sum(1 for out in cell.get("outputs", [])
               if any(mime.startswith("image/") for mime in out.get("data", {})))


def alt_text(cell):
    """The alt text a figure cell declares, or None."""
    return cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")


def figure_problems(nb: dict, name: str = "notebook") -> list[str]:
    """Every way ``nb`` breaks the alt-text rules (empty when it keeps them)."""
    problems, seen = [], {}
    cells = nb["cells"]
    for i, cell in enumerate(cells):
        where = f"{name} cell {i} ({cell.get('id', '?')})"
        if cell["cell_type"] == "markdown" and _source(cell).startswith(CAPTION.strip()):
            before = cells[i - 1] if i else None
            if before is None or before["cell_type"] != "code" or alt_text(before) is None:
                problems.append(f"{where}: a figure caption that follows no figure cell with alt text")
            continue
        if cell["cell_type"] != "code":
            continue
        n_images, alt = _images(cell), alt_text(cell)
        if n_images > 1:
            problems.append(f"{where}: shows {n_images} figures; one figure per cell, so each gets its alt text")
        if alt is None:
            if n_images:
                problems.append(f"{where}: a figure without alt text (metadata mystnb.image.alt)")
            continue
        if not n_images and cell.get("outputs"):
            problems.append(f"{where}: alt text on a cell that shows no figure")
        if not isinstance(alt, str) or not MIN_ALT <= len(alt.strip()) <= MAX_ALT:
            problems.append(f"{where}: alt text must say what the figure shows in {MIN_ALT}-{MAX_ALT} "
                            f"characters, got {alt!r}")
            continue
        if FORBIDDEN.search(alt) or alt != alt.strip():
            problems.append(f"{where}: alt text is plain text (no $, `, *, _, <, > or line breaks): {alt!r}")
        if alt in seen:
            problems.append(f"{where}: the same alt text as cell {seen[alt]}: say what this figure shows")
        seen[alt] = i
        after = cells[i + 1] if i + 1 < len(cells) else None
        if after is None or after["cell_type"] != "markdown" or _source(after) != CAPTION + alt:
            problems.append(f"{where}: the next cell must be the caption, a markdown cell "
                            f"{CAPTION!r} + the alt text")
    return problems


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_figure_has_alt_text_and_a_caption(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert figure_problems(nb, path.stem) == []
    assert any(alt_text(c) for c in nb["cells"]), f"{path.stem} has no figure with alt text"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_the_student_notebook_keeps_the_alt_text_and_captions(path):
    solution = json.loads(path.read_text(encoding="utf-8"))
    student = json.loads((ROOT / "notebooks" / path.name).read_text(encoding="utf-8"))
    want = {c["id"]: alt_text(c) for c in solution["cells"] if alt_text(c)}
    got = {c["id"]: alt_text(c) for c in student["cells"] if alt_text(c)}
    assert got == want
    captions = [_source(c) for c in student["cells"] if _source(c).startswith(CAPTION)]
    assert captions == [CAPTION + a for a in want.values()]


# --- the rules catch what they should --------------------------------------------------------

PNG = {"output_type": "display_data", "data": {"image/png": "iVBOR", "text/plain": "<Figure>"}, "metadata": {}}
ALT = "Line plot of the training loss against the epoch: it falls from 2.3 to 0.4 in ten epochs"


def _figure(alt=ALT, images=1, cid="f"):
    meta = {"mystnb": {"image": {"alt": alt}}} if alt is not None else {}
    return {"cell_type": "code", "id": cid, "metadata": meta, "outputs": [PNG] * images, "source": "plt.show()"}


def _md(text, cid="m"):
    return {"cell_type": "markdown", "id": cid, "metadata": {}, "source": text}


def test_a_notebook_that_keeps_the_rules_has_no_problem():
    assert figure_problems({"cells": [_figure(), _md(CAPTION + ALT)]}) == []


@pytest.mark.parametrize("cells, cause", [
    ([_figure(alt=None), _md("The loss falls.")], "a figure without alt text"),
    ([_figure(images=2), _md(CAPTION + ALT)], "shows 2 figures"),
    ([_figure(alt="A plot."), _md(CAPTION + "A plot.")], "in 50-400 characters"),
    ([_figure(alt=ALT + " ($h_t$)"), _md(CAPTION + ALT + " ($h_t$)")], "plain text"),
    ([_figure(), _md("The loss falls.")], "the next cell must be the caption"),
    ([_figure(), _md(CAPTION + ALT + " (edited)")], "the next cell must be the caption"),
    ([_figure()], "the next cell must be the caption"),
    ([_figure(cid="a"), _md(CAPTION + ALT, "m1"), _figure(cid="b"), _md(CAPTION + ALT, "m2")], "the same alt text"),
    ([_md(CAPTION + ALT)], "follows no figure cell"),
    ([{**_figure(), "outputs": [{"output_type": "stream", "name": "stdout", "text": "1"}]}, _md(CAPTION + ALT)],
     "alt text on a cell that shows no figure"),
])
def test_each_broken_rule_is_named(cells, cause):
    problems = figure_problems({"cells": cells})
    assert any(cause in p for p in problems), problems


# --- the plot style ----------------------------------------------------------------------------

def test_set_seed_applies_the_course_style_colour_blind_palette_line_styles_white_background():
    import matplotlib
    import matplotlib.pyplot as plt

    from utils import set_seed
    from utils.plots import PALETTE

    matplotlib.rcdefaults()
    set_seed(0)
    cycle = matplotlib.rcParams["axes.prop_cycle"].by_key()
    assert cycle["color"] == PALETTE and len(set(map(str, cycle["linestyle"]))) == len(PALETTE)
    fig, ax = plt.subplots()
    lines = [ax.plot([0, 1], [k, k])[0] for k in range(len(PALETTE))]
    # every pair of lines differs in colour AND in line style (its dash pattern), so colour
    # alone never separates them
    assert len({l.get_color() for l in lines}) == len(PALETTE)
    assert [l.get_linestyle() for l in lines][:4] == ["-", "--", "-.", ":"]
    buf = io.BytesIO()
    fig.savefig(buf, format="png")  # as the inline backend does, through savefig's facecolor
    plt.close(fig)
    image = plt.imread(io.BytesIO(buf.getvalue()))
    assert image.shape[2] == 4 and image[..., 3].min() == 1.0, "the figure must be opaque (a dark theme shows through)"
    assert (image[0, 0, :3] == 1.0).all(), "the figure's background must be white"


def test_the_palette_is_okabe_ito_without_its_pale_yellow():
    from utils.plots import PALETTE

    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#0072B2", "#D55E00", "#CC79A7", "#000000"}
    assert set(PALETTE) == okabe_ito and "#F0E442" not in PALETTE
