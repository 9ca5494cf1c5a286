"""Diagrams for notebook 03: the four sequence patterns, and a padded batch with its mask.

    from utils.diagrams import draw_sequence_patterns, draw_padded_batch
    draw_sequence_patterns(); plt.show()
    draw_padded_batch(padded, mask, names=item_name); plt.show()

In the patterns, each column is one time step: an input below (blue), the hidden state
in the middle (green), an output above (vermillion). Arrows between hidden states carry what
the network remembers from one step to the next.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Patch

from .core import COLORS, arrow, box

__all__ = ["draw_sequence_patterns", "draw_padded_batch", "SEQUENCE_PATTERNS"]

# name -> (number of columns, columns with an input, columns with an output, example task)
SEQUENCE_PATTERNS = {
    "one-to-one": (1, [0], [0], "digit image\n→ class"),
    "one-to-many": (4, [0], [0, 1, 2, 3], "image\n→ caption"),
    "many-to-one": (4, [0, 1, 2, 3], [3], "review\n→ sentiment"),
    "many-to-many": (6, [0, 1, 2], [3, 4, 5], "Korean sentence\n→ English sentence"),
    "many-to-many (aligned)": (4, [0, 1, 2, 3], [0, 1, 2, 3], "words\n→ one tag per word"),
}

_COL = 0.95          # distance between time steps
_BW, _BH = 0.62, 0.5  # box size
_Y_IN, _Y_H, _Y_OUT = 0.7, 1.75, 2.8
_GAP = 1.0           # space between panels
_MIN_PANEL = 2.6     # a panel is at least this wide, so its title fits


def draw_sequence_patterns(*, aligned: bool = True, examples: bool = True, title: str | None = None):
    """The classic picture of sequence patterns, one panel per pattern, left to right.

    aligned:  also draw the aligned many-to-many (an output at every input step, as in
              tagging) next to the encoder-decoder one (read everything, then write).
    examples: write an example task under each panel.
    Returns the figure.
    """
    names = [n for n in SEQUENCE_PATTERNS if aligned or n != "many-to-many (aligned)"]
    widths = [max(SEQUENCE_PATTERNS[n][0] * _COL, _MIN_PANEL) for n in names]
    total = sum(widths) + _GAP * (len(names) - 1)
    height = 4.2
    bottom = -0.55 if examples else 0.2
    fig, ax = plt.subplots(figsize=(total * 0.55, (height - bottom) * 0.55 / 0.87))
    ax.set_xlim(-0.1, total + 0.1)
    ax.set_ylim(bottom, height)
    ax.set_aspect("equal")
    ax.axis("off")
    left = 0.0
    for name, width in zip(names, widths):
        n_cols, ins, outs, example = SEQUENCE_PATTERNS[name]
        x0 = left + (width - (n_cols - 1) * _COL) / 2      # centre the columns in the panel
        xs = [x0 + c * _COL for c in range(n_cols)]
        for c, x in enumerate(xs):
            box(ax, (x, _Y_H), _BW, _BH, color="hidden")
            if c > 0:
                arrow(ax, (xs[c - 1] + _BW / 2 + 0.02, _Y_H), (x - _BW / 2 - 0.04, _Y_H))
            if c in ins:
                box(ax, (x, _Y_IN), _BW, _BH, color="input")
                arrow(ax, (x, _Y_IN + _BH / 2 + 0.02), (x, _Y_H - _BH / 2 - 0.04))
            if c in outs:
                box(ax, (x, _Y_OUT), _BW, _BH, color="output")
                arrow(ax, (x, _Y_H + _BH / 2 + 0.02), (x, _Y_OUT - _BH / 2 - 0.04))
        cx = left + width / 2
        ax.text(cx, _Y_OUT + 0.55, name.replace(" (", "\n("), ha="center", va="bottom", fontsize=10,
                fontweight="bold")
        if examples:
            ax.text(cx, _Y_IN - 0.45, example, ha="center", va="top", fontsize=8.5, color="#444444")
        left += width + _GAP
    handles = [Patch(facecolor=COLORS[k], edgecolor=COLORS["line"], label=label)
               for k, label in (("input", "input"), ("hidden", "hidden state"), ("output", "output"))]
    fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=9)
    if title:
        ax.set_title(title)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93 if title else 0.99, bottom=0.12)
    return fig


def draw_padded_batch(padded, mask, *, names=None, pad_label: str | None = None, title: str | None = None):
    """A padded batch next to its mask, one row per sequence and one column per time step
    (rows and columns numbered from 0, as the tensor indexes them).

    padded: (batch, T_max) item ids; mask: (batch, T_max), True where there is a real item.
    names:  optional function id -> short text shown in a real item's cell (default: the id).
    pad_label: text in a padding cell (default: the value stored there).
    Real items are blue, padding grey; in the mask, True is green and False grey (each cell
    also says what it holds, so colour is never the only cue).
    Returns the figure.
    """
    padded = np.asarray(padded.detach().cpu() if hasattr(padded, "detach") else padded)
    mask = np.asarray(mask.detach().cpu() if hasattr(mask, "detach") else mask).astype(bool)
    if padded.ndim != 2 or padded.shape != mask.shape:
        raise ValueError(f"padded and mask must both be (batch, T_max), got {padded.shape} and {mask.shape}")
    batch, T = padded.shape
    names = names or (lambda i: str(int(i)))
    cell = 0.9
    gap = 1.2
    width = 2 * T * cell + gap + 1.4
    height = batch * cell + 1.2
    fig, ax = plt.subplots(figsize=(min(12.0, width * 0.62), height * 0.62))
    ax.set_xlim(-1.4, width - 1.4)
    ax.set_ylim(-0.2, height - 0.2)
    ax.set_aspect("equal")
    ax.axis("off")
    right0 = T * cell + gap
    for b in range(batch):
        y = (batch - 1 - b) * cell + cell / 2
        ax.text(-0.15, y, f"row {b}", ha="right", va="center", fontsize=9)
        for t in range(T):
            real = bool(mask[b, t])
            x = t * cell + cell / 2
            box(ax, (x, y), cell * 0.9, cell * 0.85, text=names(padded[b, t]) if real else (pad_label or str(int(padded[b, t]))),
                color="input" if real else "muted", fontsize=8 if real else 7.5)
            box(ax, (right0 + x, y), cell * 0.9, cell * 0.85, text="True" if real else "False",
                color="hidden" if real else "muted", fontsize=7.5)
    top = batch * cell + 0.15
    for t in range(T):
        for x0 in (0.0, right0):
            ax.text(x0 + t * cell + cell / 2, top, f"t={t}" if t == 0 else f"{t}", ha="center", va="bottom",
                    fontsize=8, color="#555555")
    ax.text(T * cell / 2, top + 0.45, f"padded  ({batch}, {T})", ha="center", va="bottom", fontsize=10,
            fontweight="bold")
    ax.text(right0 + T * cell / 2, top + 0.45, f"mask  ({batch}, {T})", ha="center", va="bottom",
            fontsize=10, fontweight="bold")
    if title:
        ax.set_title(title)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.92 if title else 0.99)
    return fig


if __name__ == "__main__":  # a quick look: python -m utils.diagrams.sequences
    draw_sequence_patterns()
    draw_padded_batch(np.array([[3, 4, 5], [7, 0, 0]]), np.array([[1, 1, 1], [1, 0, 0]], bool))
    plt.show()
