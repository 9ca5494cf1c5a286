"""The diagram of a fully connected feed-forward network, drawn layer by layer.

    from utils.diagrams import draw_ffn
    draw_ffn([64, 32, 10], labels=["input x", "hidden h", "output"]); plt.show()

Each layer is a column of units (input blue, hidden green, output vermillion); every unit
of one layer is joined to every unit of the next, and above each gap the weight
matrix and bias of that layer are named with their shapes, stored as torch stores
them: W is (out_features, in_features). A layer with more units than fit is drawn
as its first and last units with a vertical ellipsis between them, and its size is
written below it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .core import COLORS, arrow, box, new_diagram, node

__all__ = ["draw_ffn", "ffn_layout", "draw_backprop"]

# Sizes in diagram units.
_GAP_X = 3.2      # horizontal distance between layers
_GAP_Y = 0.75     # vertical distance between units of a layer
_R = 0.26         # radius of a unit
_BOTTOM = 1.3     # room below the units for the layer labels
_TOP = 1.2        # room above the units for the weight labels


def _shown_units(size: int, max_units: int) -> list:
    """Which units of a layer to draw: their 0-based indices, with None for the ellipsis."""
    if size <= max_units:
        return list(range(size))
    head = (max_units - 1) - (max_units - 1) // 2
    tail = (max_units - 1) // 2
    return list(range(head)) + [None] + list(range(size - tail, size))


def ffn_layout(layer_sizes, max_units: int = 7) -> dict:
    """Positions used by ``draw_ffn`` (diagram units), for drawing on top of it.

    Returns a dict with
      "units":  one list per layer of (unit index or None for the ellipsis, (x, y));
      "x":      the x position of each layer;
      "width", "height": the size of the drawing area; "r": the radius of a unit.
    """
    sizes = [int(s) for s in layer_sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"layer_sizes needs at least two layers of at least one unit each, got {layer_sizes!r}")
    if int(max_units) < 3:
        raise ValueError(f"max_units must be at least 3, got {max_units!r}")
    shown = [_shown_units(s, int(max_units)) for s in sizes]
    rows = max(len(s) for s in shown)
    mid = _BOTTOM + (rows - 1) * _GAP_Y / 2
    xs = [1.3 + _GAP_X * i for i in range(len(sizes))]
    units = []
    for x, column in zip(xs, shown):
        top = mid + (len(column) - 1) * _GAP_Y / 2
        units.append([(j, (x, top - k * _GAP_Y)) for k, j in enumerate(column)])
    return {"units": units, "x": xs, "width": xs[-1] + 1.3,
            "height": _BOTTOM + (rows - 1) * _GAP_Y + _TOP, "r": _R}


def _unit_text(layer: int, n_layers: int, j: int) -> str:
    """x_1, h_1 (or h^(2)_1 with several hidden layers), y_1; 1-based like the maths."""
    if layer == 0:
        return f"$x_{{{j + 1}}}$"
    if layer == n_layers - 1:
        return f"$z_{{{j + 1}}}$"
    if n_layers == 3:
        return f"$h_{{{j + 1}}}$"
    return f"$h^{{({layer})}}_{{{j + 1}}}$"


def draw_ffn(layer_sizes, labels=None, *, activations=None, max_units: int = 7, weights: bool = True,
             title: str | None = None, ax=None):
    """Draw a fully connected feed-forward network; return the figure.

    layer_sizes: units per layer, input first, e.g. [64, 32, 10].
    labels:      one text per layer, written under it (default "input", "hidden 1", ...,
                 "output"); the layer's size is added on the next line.
    activations: one text per weight layer (len(layer_sizes) - 1), e.g. ["ReLU", "softmax"],
                 written under the weight label of that gap.
    max_units:   a layer with more units is drawn as its first and last units and a "⋮".
    weights:     name each gap's weight matrix and bias with their shapes, W_l: (out, in).
    ax:          draw into these axes instead of a new figure.
    """
    sizes = [int(s) for s in layer_sizes]
    lay = ffn_layout(sizes, max_units)
    n = len(sizes)
    if labels is None:
        labels = ["input"] + [f"hidden {i}" if n > 3 else "hidden" for i in range(1, n - 1)] + ["output"]
    if len(labels) != n:
        raise ValueError(f"labels needs one entry per layer ({n}), got {len(labels)}")
    if activations is not None and len(activations) != n - 1:
        raise ValueError(f"activations needs one entry per weight layer ({n - 1}), got {len(activations)}")
    width, height = lay["width"], lay["height"]
    scale = min(0.85, 10.0 / width)
    fig, ax = new_diagram(width, height, figsize=(width * scale, height * scale), title=title, ax=ax)
    r = lay["r"]
    # Connections first, so the units are drawn on top of them.
    for left, right in zip(lay["units"][:-1], lay["units"][1:]):
        for j, (x0, y0) in left:
            for k, (x1, y1) in right:
                if j is None or k is None:
                    continue
                ax.plot([x0 + r, x1 - r], [y0, y1], color="#9a9a9a", lw=0.6, ls="-", zorder=1)
    colors = ["input"] + ["hidden"] * (n - 2) + ["output"]
    label_y = min(y for column in lay["units"] for _, (_, y) in column) - r - 0.15
    for layer, column in enumerate(lay["units"]):
        for j, xy in column:
            if j is None:
                ax.text(xy[0], xy[1], "⋮", ha="center", va="center", fontsize=16, zorder=3)
            else:
                node(ax, xy, r=r, text=_unit_text(layer, n, j), color=colors[layer], fontsize=9, zorder=3)
        ax.text(lay["x"][layer], label_y, f"{labels[layer]}\n{sizes[layer]} units", ha="center", va="top", fontsize=9)
    if weights or activations is not None:
        top = height - 0.25
        for i in range(n - 1):
            cx = (lay["x"][i] + lay["x"][i + 1]) / 2
            lines = []
            if weights:
                lines.append(f"$W_{{{i + 1}}}$: ({sizes[i + 1]}, {sizes[i]})   $b_{{{i + 1}}}$: ({sizes[i + 1]},)")
            if activations is not None and activations[i]:
                lines.append(f"then {activations[i]}")
            ax.text(cx, top, "\n".join(lines), ha="center", va="top", fontsize=9,
                    bbox={"boxstyle": "round,pad=0.3", "facecolor": COLORS["weight"], "edgecolor": COLORS["line"],
                          "linewidth": 0.8})
    return fig


if __name__ == "__main__":  # a quick look: python -m utils.diagrams.ffn
    draw_ffn([4, 5, 3])
    draw_ffn([64, 32, 10], ["input x", "hidden h", "output logits z"], activations=["ReLU", "softmax"])
    draw_ffn([3, 6, 6, 2])
    plt.show()


def draw_backprop():
    """The 64-64-10 network of notebook 02 as a chain of blocks.

    Values flow right along the top (x, z1, a1, logits, L); gradients flow left along
    the bottom, dashed, in vermillion (1, dlogits, da1, dz1, dx), and each linear block hands out the
    gradients of its own parameters (dW, db). Returns the figure.
    """
    fig, ax = new_diagram(13.6, 4.2)
    blocks = [("linear\nW1, b1", "weight", 2.1, 1.6), ("ReLU", "gate", 4.9, 1.2),
              ("linear\nW2, b2", "weight", 7.7, 1.6), ("softmax +\ncross-entropy", "output", 10.7, 2.0)]
    values = ["x", "z1", "a1", "logits", "L"]
    grads = ["dx", "dz1", "da1", "dlogits", "1"]
    y0, right = 2.3, 0.2
    back, back_text = COLORS["back"], COLORS["back_text"]
    for i, (text, color, xc, w) in enumerate(blocks + [(None, None, 13.4, 0.0)]):
        left = xc - w / 2
        arrow(ax, (right, y0 + 0.25), (left, y0 + 0.25), values[i], text_offset=(0, 0.05), fontsize=10)
        arrow(ax, (left, y0 - 0.25), (right, y0 - 0.25), color=back, linestyle="--")
        ax.text((left + right) / 2, y0 - 0.35, grads[i], ha="center", va="top", fontsize=10, color=back_text)
        if text is None:
            break
        box(ax, (xc, y0), w, 1.1, text, color=color)
        if color == "weight":  # a linear block also hands out the gradients of its parameters
            layer = text[-5]
            arrow(ax, (xc, y0 - 0.55), (xc, 0.75), color=back, linestyle="--")
            ax.text(xc, 0.65, f"dW{layer}, db{layer}", ha="center", va="top", fontsize=10, color=back_text)
        right = xc + w / 2
    arrow(ax, (10.7, 3.95), (10.7, y0 + 0.55))
    ax.text(10.95, 3.75, "labels y", ha="left", va="center", fontsize=10)
    ax.text(0.2, 4.05, "forward (solid): values flow right", fontsize=10, va="center")
    ax.text(13.4, 0.55, "backward (dashed): gradients flow left", fontsize=10, ha="right", va="center",
            color=back_text)
    return fig
