"""Drawing primitives shared by every diagram of the course.

The colours mean the same thing in every picture:

- ``COLORS["input"]``  inputs x_t (blue)
- ``COLORS["hidden"]`` hidden states h_t (green)
- ``COLORS["cell"]``   LSTM cell states C_t (orange)
- ``COLORS["output"]`` outputs and losses (red)
- ``COLORS["weight"]`` layers / weight matrices (yellow)
- ``COLORS["gate"]``   gates and point-wise operations (purple)
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

__all__ = ["COLORS", "new_diagram", "box", "node", "arrow"]

COLORS = {
    "input": "#9ecae1",
    "hidden": "#a1d99b",
    "cell": "#fdae6b",
    "output": "#fc9272",
    "weight": "#ffe680",
    "gate": "#cbb6e6",
    "muted": "#d9d9d9",
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
