"""Diagrams of a character language model's training data (notebook 08).

    from utils.diagrams import draw_chunked_streams
    draw_chunked_streams(B=3, n_chunks=4); plt.show()

The text is drawn as one long bar, cut into B contiguous streams (rows); each stream
is cut into chunks of T characters (columns). Chunk k of every stream is one batch
(B, T). Green arrows carry the hidden state from the end of chunk k to the start of
chunk k+1 of the same stream; the red cross on each says that no gradient goes back
across it (detach).
"""

from __future__ import annotations

from .core import COLORS, arrow, box, new_diagram

__all__ = ["draw_chunked_streams"]


def draw_chunked_streams(B: int = 3, n_chunks: int = 4, *, title: str | None = None):
    """B streams of n_chunks chunks each; the batches are the columns; states carried along rows.

    Returns the figure.
    """
    cw, ch, gap = 2.0, 0.7, 0.55          # chunk width and height, gap between chunks
    left, top = 1.6, 1.9
    width = left + n_chunks * (cw + gap) + 0.4
    height = top + B * (ch + 0.45) + 0.3
    fig, ax = new_diagram(width, height, title=title)
    # the text as one bar, coloured by stream
    bar_y = height - 0.45
    seg = (width - left - 0.4) / B
    for b in range(B):
        box(ax, (left + seg * (b + 0.5), bar_y), seg - 0.05, 0.4, f"stream {b}", color="input", fontsize=8)
    ax.text(left - 0.15, bar_y, "the text", ha="right", va="center", fontsize=9)
    for b in range(B):
        y = height - top - b * (ch + 0.45)
        ax.text(left - 0.15, y, f"stream {b}", ha="right", va="center", fontsize=9)
        for k in range(n_chunks):
            x = left + k * (cw + gap) + cw / 2
            box(ax, (x, y), cw, ch, f"chunk {k}: T chars", color="input" if k % 2 == 0 else "muted", fontsize=8)
            if k + 1 < n_chunks:
                start, end = (x + cw / 2, y), (x + cw / 2 + gap, y)
                arrow(ax, start, end, color="#31a354", lw=1.8)
                ax.text(x + cw / 2 + gap / 2, y + 0.16, "h", ha="center", va="bottom", fontsize=8, color="#31a354")
                ax.text(x + cw / 2 + gap / 2, y - 0.2, "✕", ha="center", va="top", fontsize=8, color="#cb181d")
    for k in range(n_chunks):
        x = left + k * (cw + gap) + cw / 2
        ax.text(x, 0.15, f"batch {k}: (B, T)", ha="center", va="bottom", fontsize=8)
    ax.text(left, height - top + ch / 2 + 0.35,
            "green: state carried to the next chunk (values);  red ✕: detached (no gradient back)",
            ha="left", va="bottom", fontsize=8, color=COLORS["line"])
    return fig
