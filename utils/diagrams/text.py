"""Diagrams of notebook 06: a many-to-one RNN over a right-padded sentence."""

from __future__ import annotations

from .core import COLORS, arrow, box, new_diagram, node

__all__ = ["draw_many_to_one"]


def draw_many_to_one(words=("not", "a", "good", "film"), n_pads=2):
    """An unrolled RNN reading `words` then `n_pads` pads; the classifier reads the last VALID state.

    The state after the pads (h_T of the padded row) is drawn with a dashed arrow: reading
    it is the padding mistake.
    """
    tokens = list(words) + ["<pad>"] * n_pads
    T = len(tokens)
    width = 1.6 * T + 1.6
    fig, ax = new_diagram(width, 4.6)
    xs = [1.2 + 1.6 * t for t in range(T)]
    L = len(words)
    for t, (x, w) in enumerate(zip(xs, tokens)):
        pad = t >= L
        box(ax, (x, 0.5), 1.2, 0.55, w, color="muted" if pad else "input", fontsize=9)
        node(ax, (x, 2.0), 0.38, f"$h_{{{t + 1}}}$", color="muted" if pad else "hidden", fontsize=9)
        arrow(ax, (x, 0.8), (x, 1.6), shrink=2)
        if t:
            arrow(ax, (xs[t - 1] + 0.4, 2.0), (x - 0.4, 2.0), shrink=2)
    box(ax, (xs[L - 1], 3.7), 1.3, 0.55, "out: logits", color="output", fontsize=9)
    arrow(ax, (xs[L - 1], 2.4), (xs[L - 1], 3.4), text="  last valid", shrink=2, text_offset=(0.55, -0.1))
    arrow(ax, (xs[-1], 2.4), (xs[L - 1] + 0.65, 3.6), color=COLORS["back"], linestyle="--", shrink=2)
    ax.text(xs[-1], 2.75, "mistake: $h_T$\nafter the pads", ha="center", fontsize=8, color=COLORS["back_text"])
    ax.text(xs[0] - 0.7, 0.5, "$x_t$", ha="right", va="center", fontsize=10)
    return fig, ax
