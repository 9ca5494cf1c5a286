"""Diagrams of a character language model's training data (notebook 08).

    from utils.diagrams import draw_chunked_streams
    draw_chunked_streams(B=3, n_chunks=4, T=25); plt.show()

The text is drawn as one long bar, cut into B contiguous streams, each in its own
colour; below it, one row per stream, in the same colour, cut into chunks of T
characters, each chunk labelled with the positions of the text it holds. Chunk k of
every stream (a column, framed by a dashed line) is one batch of shape (B, T). Blue
arrows labelled h carry the hidden state from the end of chunk k to the start of chunk
k+1 of the same stream; the vermillion cross ✕ under each says that no gradient goes
back across it (detach). Colour is never the only cue: the arrow, its label and the
cross say it too.
"""

from __future__ import annotations

from .core import COLORS, arrow, box, new_diagram

__all__ = ["draw_chunked_streams", "STREAM_COLORS"]

# light tints of the Okabe-Ito colour-blind-safe palette: one per stream
STREAM_COLORS = ["#a6d8f5", "#f5cf80", "#80cfb9", "#e6bcd3", "#f7f1a1", "#c9c9c9"]


def draw_chunked_streams(B: int = 3, n_chunks: int = 4, T: int = 25, *, title: str | None = None):
    """B streams of n_chunks chunks of T characters; batches are columns; states carried along rows.

    Every chunk shows the positions of the text it holds, so a row can be found in the
    bar above it: stream b holds positions [b*L, (b+1)*L) with L = n_chunks * T.
    Returns the figure.
    """
    if B > len(STREAM_COLORS):
        raise ValueError(f"at most {len(STREAM_COLORS)} streams can be drawn, got B = {B}")
    L = n_chunks * T
    cw, ch, gap = 2.1, 0.75, 0.6          # chunk width and height, gap between chunks
    left = 1.7
    row_h = ch + 0.5
    width = left + n_chunks * (cw + gap) + 0.3
    y_last = 0.55 + ch / 2 + 0.12         # the last row's centre, above the batch labels
    top_row = y_last + (B - 1) * row_h
    bar_y = top_row + 1.35                # the text bar, above the rows
    height = bar_y + 0.75
    fig, ax = new_diagram(width, height, title=title)

    # the text as one bar: B segments, one colour per stream, thin ticks between chunks
    bar_w = width - left - 0.3
    seg = bar_w / B
    ax.text(left - 0.15, bar_y, "the text", ha="right", va="center", fontsize=9)
    for b in range(B):
        x0 = left + seg * b
        box(ax, (x0 + seg / 2, bar_y), seg - 0.04, 0.42, f"stream {b}", color=STREAM_COLORS[b], fontsize=8)
        for k in range(1, n_chunks):
            xk = x0 + seg * k / n_chunks
            ax.plot([xk, xk], [bar_y - 0.21, bar_y - 0.08], color=COLORS["line"], lw=0.6, ls="-")
        ax.text(x0, bar_y + 0.27, f"{b * L}", ha="center", va="bottom", fontsize=7)
    ax.text(left + bar_w, bar_y + 0.27, f"{B * L}", ha="center", va="bottom", fontsize=7)
    ax.text(left + bar_w / 2, bar_y - 0.35,
            f"positions in the text;  L = n_chunks · T = {n_chunks} · {T} = {L} characters per stream",
            ha="center", va="top", fontsize=7.5, color=COLORS["line"])

    # the rows: stream b, chunk k holds positions b*L + k*T ... b*L + (k+1)*T - 1
    for b in range(B):
        y = top_row - b * row_h
        box(ax, (left - 0.75, y), 1.2, ch * 0.8, f"stream {b}", color=STREAM_COLORS[b], fontsize=8)
        for k in range(n_chunks):
            x = left + k * (cw + gap) + cw / 2
            start = b * L + k * T
            box(ax, (x, y), cw, ch, f"chunk {k}\ntext[{start}:{start + T}]", color=STREAM_COLORS[b],
                fontsize=7.5)
            if k + 1 < n_chunks:
                a, e = (x + cw / 2, y), (x + cw / 2 + gap, y)
                arrow(ax, a, e, color=COLORS["carry"], lw=1.8)
                ax.text(x + cw / 2 + gap / 2, y + 0.14, "h", ha="center", va="bottom", fontsize=8,
                        color=COLORS["carry"])
                ax.text(x + cw / 2 + gap / 2, y - 0.18, "✕", ha="center", va="top", fontsize=9,
                        color=COLORS["back_text"])
    # the batches: column k of every stream, framed
    y_low = top_row - (B - 1) * row_h - ch / 2 - 0.12
    y_high = top_row + ch / 2 + 0.12
    for k in range(n_chunks):
        x = left + k * (cw + gap) + cw / 2
        ax.add_patch(_dashed_frame(x - cw / 2 - 0.1, y_low, cw + 0.2, y_high - y_low))
        ax.text(x, y_low - 0.08, f"batch {k}: (B, T) = ({B}, {T})", ha="center", va="top", fontsize=8)
    ax.text(left, top_row + ch / 2 + 0.2,
            "arrow h: the state carried to the next chunk (values);  ✕: detached (no gradient back)",
            ha="left", va="bottom", fontsize=7.5, color=COLORS["line"])
    ax.text(width - 0.3, top_row + ch / 2 + 0.2, "targets y: the same chunks, one position later",
            ha="right", va="bottom", fontsize=7.5, color=COLORS["line"])
    return fig


def _dashed_frame(x, y, w, h):
    from matplotlib.patches import Rectangle
    return Rectangle((x, y), w, h, fill=False, linestyle="--", linewidth=0.9, edgecolor="#666666")
