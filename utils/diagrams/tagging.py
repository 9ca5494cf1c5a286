"""Diagrams of 07_pos_tagging: a tagger reads a sentence and tags every word.

    draw_tagger(["The", "old", "man", "the", "boats"], ["DET", "NOUN", "VERB", "DET", "NOUN"])
    draw_tagger(words, tags, bidirectional=True)
"""

from __future__ import annotations

from .core import COLORS, arrow, box, new_diagram

__all__ = ["draw_tagger"]


def draw_tagger(words, tags=None, *, bidirectional: bool = False, title: str | None = None, ax=None):
    """A many-to-many tagger unrolled over a sentence: one hidden state and one tag per word.

    words: list of str, the sentence (one time step per word).
    tags:  list of str of the same length, written in the output boxes (default y_1 .. y_T).
    bidirectional: add a second row of states that reads the sentence right to left;
           each tag then reads both states of its word, [forward; backward]. Each state
           sits in its word's column, fed by a straight line from that word.
    Returns the figure.
    """
    words = list(words)
    T = len(words)
    if T == 0:
        raise ValueError("draw_tagger needs at least one word")
    if tags is not None and len(tags) != T:
        raise ValueError(f"draw_tagger: {len(tags)} tags for {T} words")
    step = 2.0
    width = step * T + 0.4
    y_word, y_fwd, y_bwd = 0.35, 1.45, 2.55
    y_out = (y_bwd if bidirectional else y_fwd) + 1.25
    height = y_out + 0.55
    scale = min(0.95, 11.0 / width)
    fig, ax = new_diagram(width, height, figsize=(width * scale, height * scale), title=title, ax=ax)
    hw, hh = 0.8, 0.55
    # Bidirectional: in each word's column the forward state sits left of centre and the backward
    # state right of it, so each one is fed by a straight vertical line from its own word (the
    # line to the backward state passes beside the forward box) and feeds its own word's tag.
    off = 0.35 if bidirectional else 0.0
    for t, word in enumerate(words):
        cx = 0.2 + step * (t + 0.5)
        xf, xb = cx - off, cx + off
        box(ax, (cx, y_word), 1.5, 0.5, text=word, color="input", fontsize=10)
        box(ax, (xf, y_fwd), hw, hh, text=rf"$\overrightarrow{{h}}_{{{t + 1}}}$", color="hidden", fontsize=11)
        arrow(ax, (xf, y_word + 0.25), (xf, y_fwd - hh / 2 - 0.02))
        if t > 0:
            arrow(ax, (xf - step + hw / 2, y_fwd), (xf - hw / 2 - 0.02, y_fwd))
        label = tags[t] if tags is not None else f"$y_{{{t + 1}}}$"
        box(ax, (cx, y_out), 1.5, 0.5, text=label, color="output", fontsize=10)
        if bidirectional:
            box(ax, (xb, y_bwd), hw, hh, text=rf"$\overleftarrow{{h}}_{{{t + 1}}}$", color=COLORS["cell"],
                fontsize=11)
            arrow(ax, (xb, y_word + 0.25), (xb, y_bwd - hh / 2 - 0.02))
            if t < T - 1:
                arrow(ax, (xb + step - hw / 2, y_bwd), (xb + hw / 2 + 0.02, y_bwd))
            # both states of the word reach its tag
            arrow(ax, (xf, y_fwd + hh / 2), (xf, y_out - 0.27))
            arrow(ax, (xb, y_bwd + hh / 2), (xb, y_out - 0.27))
        else:
            arrow(ax, (cx, y_fwd + hh / 2), (cx, y_out - 0.27))
    return fig


if __name__ == "__main__":  # a quick look: python -m utils.diagrams.tagging
    import matplotlib.pyplot as plt

    draw_tagger(["The", "old", "man", "the", "boats"], ["DET", "NOUN", "VERB", "DET", "NOUN"], bidirectional=True)
    plt.show()
