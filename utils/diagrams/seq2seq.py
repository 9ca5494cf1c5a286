"""The encoder-decoder of notebook 11: the encoder reads the input, one state vector carries it to the decoder.

    draw_seq2seq(list("3 Mar 24"), list("2024"))                 # everything through one state (h, c)
    draw_seq2seq(list("3 Mar 24"), list("2024"), attention=True)  # the decoder also looks at every encoder state

Encoder states are green, the single state handed over (the bottleneck) is orange, the
decoder's inputs are its own previous outputs, starting from <bos>.
"""

from __future__ import annotations

from .core import COLORS, arrow, box, new_diagram, node

__all__ = ["draw_seq2seq"]


def draw_seq2seq(source=("3", " ", "M", "a", "r"), target=("2", "0", "2", "4"), *, attention: bool = False,
                 title: str | None = None, ax=None):
    """Encoder LSTM over `source`, one handed-over state, decoder LSTM writing `target` then <eos>.

    source, target: sequences of short strings (characters). attention=True adds dashed
    lines from one decoder step to every encoder state. Returns the figure.
    """
    source, target = list(source), list(target)
    if not source or not target:
        raise ValueError("draw_seq2seq needs a non-empty source and target")
    n_src, n_out = len(source), len(target) + 1
    gap = 1.6
    width = 1.0 + n_src + gap + n_out + 0.6
    fig, ax = new_diagram(width, 4.2 if attention else 3.8, title=title, ax=ax)
    y_in, y_h, y_out = 0.6, 1.9, 3.2
    xs_enc = [1.0 + i for i in range(n_src)]
    x_state = xs_enc[-1] + gap / 2 + 0.3
    xs_dec = [xs_enc[-1] + gap + 0.6 + j for j in range(n_out)]
    for i, (x, ch) in enumerate(zip(xs_enc, source)):
        box(ax, (x, y_in), 0.7, 0.5, repr(ch)[1:-1] if ch != " " else "␣", color="input", fontsize=9)
        node(ax, (x, y_h), 0.3, "", color="hidden")
        arrow(ax, (x, y_in + 0.25), (x, y_h - 0.3))
        if i:
            arrow(ax, (xs_enc[i - 1] + 0.3, y_h), (x - 0.3, y_h))
    ax.text((xs_enc[0] + xs_enc[-1]) / 2, 0.02, "encoder", ha="center", fontsize=10)
    node(ax, (x_state, y_h), 0.32, "h, c", color="cell", fontsize=8)
    arrow(ax, (xs_enc[-1] + 0.3, y_h), (x_state - 0.32, y_h))
    arrow(ax, (x_state + 0.32, y_h), (xs_dec[0] - 0.3, y_h))
    inputs = ["<bos>"] + target
    outputs = target + ["<eos>"]
    for j, x in enumerate(xs_dec):
        box(ax, (x, y_in), 0.8, 0.5, inputs[j], color="input" if j == 0 else COLORS["muted"], fontsize=8)
        node(ax, (x, y_h), 0.3, "", color="hidden")
        box(ax, (x, y_out), 0.8, 0.5, outputs[j], color="output", fontsize=8)
        arrow(ax, (x, y_in + 0.25), (x, y_h - 0.3))
        arrow(ax, (x, y_h + 0.3), (x, y_out - 0.25))
        if j:
            arrow(ax, (xs_dec[j - 1] + 0.3, y_h), (x - 0.3, y_h))
        if j < n_out - 1:  # the prediction is the next input
            arrow(ax, (x + 0.3, y_out - 0.1), (xs_dec[j + 1] - 0.3, y_in + 0.15), color="#888888", lw=0.9,
                  linestyle="--")
    ax.text((xs_dec[0] + xs_dec[-1]) / 2, 0.02, "decoder", ha="center", fontsize=10)
    if attention:
        j = min(1, n_out - 1)
        for x in xs_enc:
            arrow(ax, (xs_dec[j] - 0.1, y_h + 0.28), (x, y_h + 0.3), color="#7b5ea7", lw=0.8, curve=0.25,
                  linestyle="--")
        ax.text(xs_enc[-1], 3.9, "attention: one decoder step looks at every encoder state", ha="center",
                fontsize=9, color="#7b5ea7")
    return fig
