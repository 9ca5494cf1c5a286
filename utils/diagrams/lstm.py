"""The LSTM cell: the cell-state line across the top, the four gates, the point-wise × and +.

    from utils.diagrams import draw_lstm_cell
    draw_lstm_cell(); plt.show()

Colours as everywhere in the course (``core.COLORS``): the cell state c_t orange, the
hidden state h_t green, the input x_t blue, the gates' layers yellow, point-wise operations purple.
The cell state runs along the top from c_{t-1} to c_t and meets only a × (the forget
gate) and a + (the new information): that straight, almost untouched line is the point
of the picture. Everything else reads [h_{t-1}, x_t] from the bottom line.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.patches import FancyBboxPatch

from .core import COLORS, arrow, box, new_diagram, node

__all__ = ["draw_lstm_cell"]

_Y_BUS, _Y_GATE, _Y_MIX, _Y_C = 1.2, 2.5, 3.6, 4.7   # heights: input line, gates, i*g, cell state
_X_F, _X_I, _X_G, _X_O = 3.0, 4.4, 5.6, 7.0          # the four gates, in the picture's order f, i, g, o
_X_MIX, _X_OUT, _X_SPLIT, _X_END = 5.0, 8.2, 10.35, 11.15   # i*g, the output column, h_t's branch, the states out
_R = 0.26                                            # radius of a point-wise operation


def _line(ax, points, color="line", lw=1.2):
    xs, ys = zip(*points)
    ax.plot(xs, ys, color=COLORS.get(color, color), lw=lw, ls="-", solid_capstyle="round", zorder=1)


def draw_lstm_cell(*, labels: bool = True, title: str | None = None, ax=None):
    """One LSTM step: c_t = f_t * c_{t-1} + i_t * g_t and h_t = o_t * tanh(c_t).

    labels: name each gate (forget, input, candidate, output) and the two lines.
    ax:     draw into these axes (diagram units) instead of a new figure.
    Returns the figure.
    """
    width, height = 12.0, 5.6
    fig, ax = new_diagram(width, height, figsize=(9.5, 9.5 * height / width), title=title, ax=ax)
    # The cell: one box around everything computed inside one step.
    ax.add_patch(FancyBboxPatch((1.6, 0.7), 8.4, 4.6, boxstyle="round,pad=0.02,rounding_size=0.3",
                                facecolor="#f7f7f7", edgecolor=COLORS["muted"], lw=1.5, zorder=0))

    # --- the cell-state line (top): c_{t-1} -> x f -> + -> c_t
    node(ax, (0.75, _Y_C), r=0.42, text="$c_{t-1}$", color="cell", fontsize=10)
    node(ax, (_X_END, _Y_C), r=0.42, text="$c_t$", color="cell", fontsize=10)
    node(ax, (_X_F, _Y_C), r=_R, text="×", color="gate", fontsize=12)
    node(ax, (_X_MIX, _Y_C), r=_R, text="+", color="gate", fontsize=12)
    arrow(ax, (1.17, _Y_C), (_X_F - _R, _Y_C), color=COLORS["cell_line"], lw=3)
    arrow(ax, (_X_F + _R, _Y_C), (_X_MIX - _R, _Y_C), color=COLORS["cell_line"], lw=3)
    arrow(ax, (_X_MIX + _R, _Y_C), (_X_END - 0.42, _Y_C), color=COLORS["cell_line"], lw=3)

    # --- the input line (bottom): h_{t-1} from the left, x_t from below, read by all four gates
    node(ax, (0.75, _Y_BUS), r=0.42, text="$h_{t-1}$", color="hidden", fontsize=10)
    node(ax, (2.2, 0.32), r=0.3, text="$x_t$", color="input", fontsize=10)
    _line(ax, [(1.17, _Y_BUS), (_X_O, _Y_BUS)])
    _line(ax, [(2.2, 0.62), (2.2, _Y_BUS)])

    # --- the four gates
    gates = [(_X_F, r"$\sigma$", "$f_t$", "forget"), (_X_I, r"$\sigma$", "$i_t$", "input"),
             (_X_G, "tanh", "$g_t$", "candidate"), (_X_O, r"$\sigma$", "$o_t$", "output")]
    for gx, fn, name, role in gates:
        box(ax, (gx, _Y_GATE), 0.8, 0.55, text=fn, color="weight", fontsize=10)
        arrow(ax, (gx, _Y_BUS), (gx, _Y_GATE - 0.3))
        ax.text(gx + 0.45, _Y_GATE + 0.3, name, ha="left", va="bottom", fontsize=10)
        if labels:
            ax.text(gx, _Y_BUS - 0.12, role, ha="center", va="top", fontsize=8, style="italic",
                    color="#555555")
    # f -> the × on the cell-state line
    arrow(ax, (_X_F, _Y_GATE + 0.3), (_X_F, _Y_C - _R))
    # i and g -> their product -> the + on the cell-state line
    node(ax, (_X_MIX, _Y_MIX), r=_R, text="×", color="gate", fontsize=12)
    arrow(ax, (_X_I, _Y_GATE + 0.3), (_X_MIX - 0.2, _Y_MIX - 0.18))
    arrow(ax, (_X_G, _Y_GATE + 0.3), (_X_MIX + 0.2, _Y_MIX - 0.18))
    arrow(ax, (_X_MIX, _Y_MIX + _R), (_X_MIX, _Y_C - _R))

    # --- the output: c_t -> tanh -> x o_t -> h_t. A dot marks where c_t branches off to the tanh.
    ax.plot([_X_OUT], [_Y_C], "o", color=COLORS["line"], ms=4, zorder=3)
    _line(ax, [(_X_OUT, _Y_C), (_X_OUT, _Y_MIX + 0.25)])
    box(ax, (_X_OUT, _Y_MIX), 0.8, 0.45, text="tanh", color="gate", fontsize=9)
    node(ax, (_X_OUT, _Y_GATE), r=_R, text="×", color="gate", fontsize=12)
    arrow(ax, (_X_OUT, _Y_MIX - 0.23), (_X_OUT, _Y_GATE + _R))
    arrow(ax, (_X_O + 0.4, _Y_GATE), (_X_OUT - _R, _Y_GATE))
    # h_t leaves the x downwards and runs right, below everything else, to the h_t node; a second
    # branch goes down and out (to the output layer). Neither crosses another line.
    _line(ax, [(_X_OUT, _Y_GATE - _R), (_X_OUT, _Y_BUS)])
    node(ax, (_X_END, _Y_BUS), r=0.42, text="$h_t$", color="hidden", fontsize=10)
    arrow(ax, (_X_OUT, _Y_BUS), (_X_END - 0.42, _Y_BUS))
    ax.plot([_X_SPLIT], [_Y_BUS], "o", color=COLORS["line"], ms=4, zorder=3)
    arrow(ax, (_X_SPLIT, _Y_BUS), (_X_SPLIT, 0.3))
    ax.text(_X_SPLIT + 0.12, 0.3, "$h_t$ out (to $y_t$)", ha="left", va="center", fontsize=9)

    if labels:
        ax.text(7.0, _Y_C + 0.18, "cell state: only × and + touch it", ha="center", va="bottom", fontsize=9,
                color=COLORS["cell_text"])
        ax.text(1.75, _Y_BUS + 0.1, r"$[h_{t-1}, x_t]$", ha="left", va="bottom", fontsize=9)
        # each product is named on the line that carries it
        ax.text((_X_F + _X_MIX) / 2, _Y_C + 0.18, r"$f_t \odot c_{t-1}$", ha="center", va="bottom", fontsize=9)
        ax.text(_X_MIX + 0.35, (_Y_MIX + _Y_C) / 2, r"$i_t \odot g_t$", ha="left", va="center", fontsize=9)
        ax.text(_X_OUT + 0.12, (_Y_MIX + _Y_GATE) / 2, r"$\tanh(c_t)$", ha="left", va="center", fontsize=9)
        ax.text(_X_OUT + 0.12, (_Y_GATE - _R + _Y_BUS) / 2, r"$h_t = o_t \odot \tanh(c_t)$", ha="left",
                va="center", fontsize=9)
    return fig


if __name__ == "__main__":  # a quick look: python -m utils.diagrams.lstm
    draw_lstm_cell()
    plt.show()
