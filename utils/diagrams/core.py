"""Drawing primitives shared by every diagram of the course.

The colours mean the same thing in every picture. The fills are light tints of the
Okabe-Ito palette (the course's plot colours, ``utils.plots.PALETTE``), chosen so that
every pair stays apart for a reader with any common colour-vision deficiency (tested
in tests/test_diagrams.py with simulated protanopia, deuteranopia and tritanopia), and
black text stays readable on each:

- ``COLORS["input"]``  inputs x_t (sky blue)
- ``COLORS["hidden"]`` hidden states h_t (bluish green)
- ``COLORS["cell"]``   LSTM cell states c_t (orange)
- ``COLORS["output"]`` outputs and losses (vermillion, an orange-red)
- ``COLORS["weight"]`` layers / weight matrices (yellow)
- ``COLORS["gate"]``   gates and point-wise operations (reddish purple)
- ``COLORS["muted"]``  what is not used (padding)

Lines and text that carry a meaning are drawn in palette colours dark enough to read
on white, and never by colour alone: a second cue (a dash, a symbol, a label) says the same.

- ``COLORS["back"]``   gradients flowing backward, a cut, a mistake: vermillion, always
  dashed or a ✕; ``COLORS["back_text"]`` is its darker shade for text (contrast 4.5:1 and more)
- ``COLORS["carry"]``  a state carried forward to the next chunk: blue, solid, labelled h
- ``COLORS["attention"]`` attention (notebook 11): a dark reddish purple, dashed where it scores
- ``COLORS["line"]``   every other line and label (dark grey)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

__all__ = ["COLORS", "new_diagram", "box", "node", "arrow"]

COLORS = {
    # fills (black text on them): tints of the Okabe-Ito colours
    "input": "#bbe1f6",      # sky blue #56B4E9
    "hidden": "#4dbb9d",     # bluish green #009E73
    "cell": "#f2cf80",       # orange #E69F00
    "output": "#e28e4d",     # vermillion #D55E00
    "weight": "#f9f4b3",     # yellow #F0E442
    "gate": "#dba1c1",       # reddish purple #CC79A7
    "muted": "#d9d9d9",
    # lines and text on white
    "back": "#D55E00",       # vermillion, as C1 of the plots
    "back_text": "#A94400",  # the same hue, darker: text at 6:1 contrast on white
    "carry": "#0072B2",      # blue, as C0 of the plots
    "attention": "#7b5ea7",
    "cell_line": "#E69F00",  # the cell state's thick line (orange, as C3 of the plots)
    "cell_text": "#8c4a00",
    "line": "#333333",
}


def new_diagram(width: float, height: float, figsize=None, title: str | None = None, ax=None):
    """Axes in diagram units: x in [0, width], y in [0, height], equal scale, no ticks.

    Draws into `ax` when given (a panel of a larger figure), else into a new figure
    with tight margins. Returns (figure, axes).
    """
    if ax is None:
        if figsize is None:
            scale = min(1.0, 10.0 / max(width, 1e-9))
            figsize = (width * scale, height * scale)
        fig, ax = plt.subplots(figsize=figsize)
        fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.9 if title else 0.99)
    else:
        fig = ax.figure
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return fig, ax


def box(ax, xy, w, h, text="", color="weight", fontsize=10, **kwargs):
    """A rounded box centred at xy; `color` is a key of COLORS or any matplotlib colour."""
    x, y = xy
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                           facecolor=COLORS.get(color, color), edgecolor=COLORS["line"], linewidth=1.2, **kwargs)
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return patch


def node(ax, xy, r=0.3, text="", color="hidden", fontsize=10, **kwargs):
    """A circle centred at xy (a neuron, a state, a point-wise operation)."""
    patch = Circle(xy, r, facecolor=COLORS.get(color, color), edgecolor=COLORS["line"], linewidth=1.2, **kwargs)
    ax.add_patch(patch)
    if text:
        ax.text(xy[0], xy[1], text, ha="center", va="center", fontsize=fontsize)
    return patch


def arrow(ax, start, end, text="", color="line", lw=1.2, shrink=0.0, curve=0.0, fontsize=9, text_offset=(0, 0.15),
          linestyle="-"):
    """An arrow from start to end, optionally curved (curve > 0 bends left), dashed ("--") and labelled."""
    style = f"arc3,rad={curve}"
    patch = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, color=COLORS.get(color, color),
                            lw=lw, shrinkA=shrink, shrinkB=shrink, connectionstyle=style,
                            linestyle=linestyle)
    ax.add_patch(patch)
    if text:
        mx, my = (start[0] + end[0]) / 2 + text_offset[0], (start[1] + end[1]) / 2 + text_offset[1]
        ax.text(mx, my, text, ha="center", va="bottom", fontsize=fontsize)
    return patch
