"""Diagrams of backpropagation through time (notebook 05).

    from utils.diagrams import draw_bptt
    draw_bptt(T=4); plt.show()

It is the unrolled RNN of ``draw_rnn_unrolled`` with a loss L_t at every step, the
sum L = L_1 + ... + L_T on top, and, dashed in vermillion, the paths the gradient takes
backward: down from every loss through its output y_t (and W_hy) into its own h_t,
and from every h_t back into h_{t-1}. Every h_t therefore receives two gradients: its own step's and the future's.
"""

from __future__ import annotations

import matplotlib.pyplot as plt

from .core import COLORS, arrow, box, new_diagram
from .rnn import draw_rnn_unrolled, unrolled_layout

__all__ = ["draw_bptt", "GRADIENT_COLOR"]

GRADIENT_COLOR = COLORS["back"]   # gradients flowing backward (dashed), in every BPTT picture


def _dashed(patch):
    patch.set_linestyle((0, (4, 2.5)))
    return patch


def draw_bptt(T: int = 4, *, gradients: bool = True, title: str | None = None):
    """The unrolled RNN with per-step losses summed into L, and the backward gradient paths.

    T:         number of time steps drawn (2 or more reads best).
    gradients: draw the backward paths (vermillion, dashed): L_t -> y_t -> h_t and h_t -> h_{t-1}.
    Returns the figure.
    """
    lay = unrolled_layout(T, outputs="all", losses=True)
    width, height = lay["width"], lay["height"] + 1.3
    scale = min(0.9, 11.0 / width)
    fig, ax = new_diagram(width, height, figsize=(width * scale, height * scale))
    draw_rnn_unrolled(T, "all", losses=True, ax=ax)
    ax.set_ylim(0, height)
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.93 if title else 0.99)
    if title:
        ax.set_title(title)

    # The sequence loss: one box on top, fed by every per-step loss.
    first, last = lay["L"][0], lay["L"][-1]
    sum_xy = ((first[0] + last[0]) / 2, first[1] + 1.25)
    terms = " + ".join(f"L_{{{t + 1}}}" for t in range(T)) if T <= 5 else "L_1 + \\dots + L_T"
    box(ax, sum_xy, min(0.75 * T + 1.2, width - 4.0), 0.55, text=f"$L = {terms}$", color="output", fontsize=11)
    for (lx, ly) in lay["L"]:
        arrow(ax, (lx, ly + 0.26), (sum_xy[0] + 0.35 * (lx - sum_xy[0]) / max(T, 1), sum_xy[1] - 0.3))

    if gradients:
        hw, hh = lay["h_size"]
        r = lay["r"]
        g = GRADIENT_COLOR
        for t in range(T):
            cx, cy = lay["h"][t]
            # Down from this step's loss through y_t (and W_hy) into h_t, left of the forward arrows.
            lx, ly = lay["L"][t]
            yx, yy = lay["y"][t]
            _dashed(arrow(ax, (lx - 0.22, ly - 0.26), (yx - r * 0.72, yy + r * 0.72), color=g, lw=1.4, curve=0.25))
            _dashed(arrow(ax, (yx - r * 0.72, yy - r * 0.72), (cx - 0.22, cy + hh / 2 + 0.02), color=g, lw=1.4,
                          curve=0.25))
            # Back from h_t into the previous state, below the forward chain.
            if t > 0:
                end = (lay["h"][t - 1][0] + hw / 2 - 0.05, cy - hh / 2 + 0.05)
            elif lay["h0"] is not None:
                end = (lay["h0"][0] + r * 0.7, lay["h0"][1] - r * 0.7)
            else:
                continue
            _dashed(arrow(ax, (cx - hw / 2 + 0.05, cy - hh / 2 + 0.05), end, color=g, lw=1.4, curve=-0.45))
        # Name the two gradients that reach h_1: its own loss's, and the future's.
        cx, cy = lay["h"][0]
        ax.text(cx - 0.5, (lay["L"][0][1] + lay["y"][0][1]) / 2, "from $L_1$", ha="right", va="center",
                fontsize=8, color=COLORS["back_text"])
        ax.text(cx - 0.5, (lay["y"][0][1] + cy) / 2, "through $y_1$\nand $W_{hy}$", ha="right", va="center",
                fontsize=8, color=COLORS["back_text"])
        if T > 1:
            mid = (cx + lay["h"][1][0]) / 2
            ax.text(mid, cy - hh / 2 - 0.42, "from the future", ha="center", va="top", fontsize=8,
                    color=COLORS["back_text"])
        ax.text(0.12, height - 0.12, "solid: forward pass", ha="left", va="top", fontsize=8, color=COLORS["line"])
        ax.text(0.12, height - 0.42, "dashed: gradients", ha="left", va="top", fontsize=8,
                color=COLORS["back_text"])
    return fig


if __name__ == "__main__":  # a quick look: python -m utils.diagrams.bptt
    draw_bptt(4)
    plt.show()
