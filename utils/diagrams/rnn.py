"""Diagrams of a vanilla RNN: the folded cell with its self-loop, and the unrolled graph.

    from utils.diagrams import draw_rnn_folded, draw_rnn_unrolled
    draw_rnn_folded(); plt.show()
    draw_rnn_unrolled(T=4, outputs="all"); plt.show()      # many-to-many
    draw_rnn_unrolled(T=5, outputs="last"); plt.show()     # many-to-one

Inputs x_t are drawn below (blue), hidden states h_t as boxes (green), outputs y_t
above (vermillion); every arrow is labelled with the weight matrix it multiplies, and the
labels are the same at every step because the weights are the same at every step.

Other notebooks draw on top of the unrolled graph (losses, gradient arrows): pass
``ax=`` to draw into your own axes, and use ``unrolled_layout(T)`` for the positions
of every node.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .core import COLORS, arrow, box, new_diagram, node

__all__ = ["draw_rnn_folded", "draw_rnn_unrolled", "unrolled_layout"]

# Sizes in diagram units, shared by both pictures so they look alike side by side.
_H_W, _H_H = 1.0, 0.7      # hidden-state box (width, height)
_R = 0.32                  # radius of the x_t and y_t circles
_STEP = 2.0                # horizontal distance between time steps
_Y_X, _Y_H, _Y_Y, _Y_L = 0.6, 2.2, 3.8, 5.0   # heights of the x, h, y and loss rows


def _check_outputs(outputs):
    if outputs not in ("all", "last", None):
        raise ValueError(f'outputs must be "all", "last" or None, got {outputs!r}')


def unrolled_layout(T: int = 4, *, h0: bool = True, outputs="all", losses: bool = False) -> dict:
    """Positions used by ``draw_rnn_unrolled`` (diagram units), for drawing on top of it.

    Returns a dict with
      "x", "h", "y", "L": lists of (x, y) centres for t = 1..T (index t-1);
      "h0": centre of the h_0 node (None when h0=False);
      "width", "height": the size of the drawing area;
      "h_size": (width, height) of an h_t box; "r": radius of the x_t / y_t circles.
    An entry of "y" or "L" is None at steps that have no output.
    """
    if int(T) < 1:
        raise ValueError(f"T must be at least 1, got {T!r}")
    _check_outputs(outputs)
    T = int(T)
    left = 2.0 if h0 else 1.0
    cols = [left + _STEP * t for t in range(T)]
    has_out = [outputs == "all" or (outputs == "last" and t == T - 1) for t in range(T)]
    top = _Y_H + 0.8
    if outputs is not None:
        top = _Y_Y + 0.7
        if losses:
            top = _Y_L + 0.6
    return {
        "x": [(c, _Y_X) for c in cols],
        "h": [(c, _Y_H) for c in cols],
        "y": [(c, _Y_Y) if o else None for c, o in zip(cols, has_out)],
        "L": [(c, _Y_L) if (o and losses) else None for c, o in zip(cols, has_out)],
        "h0": (left - _STEP + 0.5, _Y_H) if h0 else None,
        "width": cols[-1] + 1.3,
        "height": top,
        "h_size": (_H_W, _H_H),
        "r": _R,
    }


def draw_rnn_folded(*, outputs: bool = True, title: str | None = None, ax=None):
    """The RNN as one cell with a self-loop: h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h).

    outputs: draw the output y_t = W_hy h_t + b_y above the cell.
    ax:      draw into these axes (diagram units) instead of a new figure.
    Returns the figure.
    """
    width, height = 4.2, (_Y_Y + 0.7) if outputs else (_Y_H + 0.9)
    fig, ax = new_diagram(width, height, figsize=(3.4, 3.4 * height / width), title=title, ax=ax)
    cx = 1.6
    node(ax, (cx, _Y_X), r=_R, text="$x_t$", color="input")
    box(ax, (cx, _Y_H), _H_W, _H_H, text="$h_t$", color="hidden", fontsize=11)
    arrow(ax, (cx, _Y_X + _R), (cx, _Y_H - _H_H / 2 - 0.03))
    ax.text(cx + 0.12, (_Y_X + _Y_H) / 2, "$W_{xh}$", ha="left", va="center", fontsize=10)
    if outputs:
        node(ax, (cx, _Y_Y), r=_R, text="$y_t$", color="output")
        arrow(ax, (cx, _Y_H + _H_H / 2), (cx, _Y_Y - _R - 0.03))
        ax.text(cx + 0.12, (_Y_H + _Y_Y) / 2, "$W_{hy}$", ha="left", va="center", fontsize=10)
    # The self-loop: h_t leaves on the right and comes back as h_{t-1} at the next step.
    right = cx + _H_W / 2
    arrow(ax, (right, _Y_H + 0.22), (right + 0.01, _Y_H - 0.22), curve=-3.2, lw=1.4)
    ax.text(right + 0.85, _Y_H + 0.1, "$W_{hh}$", ha="left", va="center", fontsize=10)
    ax.text(right + 0.85, _Y_H - 0.3, "$h_{t-1}$ back in", ha="left", va="center", fontsize=8,
            color=COLORS["line"])
    return fig


def draw_rnn_unrolled(T: int = 4, outputs="all", *, h0: bool = True, losses: bool = False,
                      weights: bool = True, title: str | None = None, ax=None):
    """The RNN unrolled over T steps: x_t below, h_t boxes, y_t above, shared W labels.

    T:       number of time steps drawn (1 or more).
    outputs: "all" (many-to-many: y_t at every step), "last" (many-to-one: y_T only)
             or None (no outputs).
    h0:      draw the initial state h_0 on the left.
    losses:  draw a per-step loss L_t above each y_t (only where there is an output).
    weights: label every arrow with its weight matrix (W_xh, W_hh, W_hy).
    ax:      draw into these axes instead of a new figure (the limits are set here).
    Returns the figure. ``unrolled_layout`` gives the positions, to draw on top.
    """
    lay = unrolled_layout(T, h0=h0, outputs=outputs, losses=losses)
    width, height = lay["width"], lay["height"]
    scale = min(0.9, 11.0 / width)
    fig, ax = new_diagram(width, height, figsize=(width * scale, height * scale), title=title, ax=ax)
    hw, hh = lay["h_size"]
    r = lay["r"]

    def label(xy, text):
        if weights:
            ax.text(xy[0], xy[1], text, ha="left", va="center", fontsize=9)

    if h0:
        node(ax, lay["h0"], r=r, text="$h_0$", color="hidden", fontsize=10)
    for t in range(len(lay["h"])):
        cx, cy = lay["h"][t]
        node(ax, lay["x"][t], r=r, text=f"$x_{{{t + 1}}}$", color="input")
        box(ax, (cx, cy), hw, hh, text=f"$h_{{{t + 1}}}$", color="hidden", fontsize=11)
        arrow(ax, (cx, lay["x"][t][1] + r), (cx, cy - hh / 2 - 0.03))
        label((cx + 0.1, (lay["x"][t][1] + cy) / 2), "$W_{xh}$")
        # The recurrent arrow from the previous state (h_0 or the previous box).
        if t == 0 and h0:
            start = (lay["h0"][0] + r, cy)
        elif t > 0:
            start = (lay["h"][t - 1][0] + hw / 2, cy)
        else:
            start = None
        if start is not None:
            end = (cx - hw / 2 - 0.03, cy)
            arrow(ax, start, end)
            if weights:
                ax.text((start[0] + end[0]) / 2, cy + 0.12, "$W_{hh}$", ha="center", va="bottom", fontsize=9)
        if lay["y"][t] is not None:
            yx, yy = lay["y"][t]
            node(ax, (yx, yy), r=r, text=f"$y_{{{t + 1}}}$", color="output")
            arrow(ax, (cx, cy + hh / 2), (yx, yy - r - 0.03))
            label((cx + 0.1, (cy + yy) / 2), "$W_{hy}$")
        if lay["L"][t] is not None:
            lx, ly = lay["L"][t]
            box(ax, (lx, ly), 0.75, 0.5, text=f"$L_{{{t + 1}}}$", color="output", fontsize=10)
            arrow(ax, (lx, lay["y"][t][1] + r), (lx, ly - 0.28))
    return fig


if __name__ == "__main__":  # a quick look: python -m utils.diagrams.rnn
    draw_rnn_folded()
    draw_rnn_unrolled(4, "all")
    draw_rnn_unrolled(5, "last", losses=True)
    plt.show()
