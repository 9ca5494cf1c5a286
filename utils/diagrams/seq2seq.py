"""The encoder-decoder of notebook 11: the encoder reads the input, one state vector carries it to the decoder.

    draw_seq2seq(list("3.3.2024"), list("2024-03-03"))                 # everything through one state (h, c)
    draw_seq2seq(list("3.3.2024"), list("2024-03-03"), attention=True)  # plus attention at one decoder step

Encoder states are green, the single state handed over (the bottleneck) is orange, the
decoder's inputs are its own previous outputs, starting from <bos>. With attention, one
decoder step t is drawn in full: its state h_t scores every encoder state, the weighted
sum of them (the context ctx_t, purple) goes into the output layer beside h_t, and the
output layer (yellow) scores the next character from [h_t; ctx_t].
"""

from __future__ import annotations

from .core import COLORS, arrow, box, new_diagram, node

__all__ = ["draw_seq2seq"]

ATTENTION = COLORS["attention"]


def draw_seq2seq(source=("3", ".", "3", ".", "2", "0", "2", "4"), target=("2", "0", "2", "4"), *,
                 attention: bool = False, step: int = 1, title: str | None = None, ax=None):
    """Encoder LSTM over `source`, one handed-over state, decoder LSTM writing `target` then <eos>.

    source, target: sequences of short strings (characters). attention=True draws, for the
    decoder step `step` (0 is the step that reads <bos>), the scores against every encoder
    state, the context they give, and the output layer that reads [h_t; ctx_t]. Returns the figure.
    """
    source, target = list(source), list(target)
    if not source or not target:
        raise ValueError("draw_seq2seq needs a non-empty source and target")
    n_src, n_out = len(source), len(target) + 1
    if not 0 <= step < n_out:
        raise ValueError(f"step must be between 0 and {n_out - 1} (the decoder has {n_out} steps), got {step}")
    gap = 1.6
    width = 1.0 + n_src + gap + n_out + 0.6
    y_in, y_h, y_out = 0.6, 1.9, 3.2
    if attention:  # room for the output layer of step t between its state and its output
        y_out = 4.7
    height = y_out + (1.1 if attention else 0.6)
    fig, ax = new_diagram(width, height, title=title, ax=ax)
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
        box(ax, (x, y_in), 0.8, 0.5, inputs[j], color="input" if j == 0 else COLORS["muted"],
            fontsize=6.5 if len(inputs[j]) > 2 else 8)
        node(ax, (x, y_h), 0.3, "h_t" if attention and j == step else "", color="hidden", fontsize=7)
        box(ax, (x, y_out), 0.8, 0.5, outputs[j], color="output", fontsize=6.5 if len(outputs[j]) > 2 else 8)
        arrow(ax, (x, y_in + 0.25), (x, y_h - 0.3))
        if not (attention and j == step):
            arrow(ax, (x, y_h + 0.3), (x, y_out - 0.25))
        if j:
            arrow(ax, (xs_dec[j - 1] + 0.3, y_h), (x - 0.3, y_h))
        if j < n_out - 1:  # the prediction is the next input
            arrow(ax, (x + 0.3, y_out - 0.1), (xs_dec[j + 1] - 0.3, y_in + 0.15), color="#888888", lw=0.9,
                  linestyle="--")
    ax.text((xs_dec[0] + xs_dec[-1]) / 2, 0.02, "decoder", ha="center", fontsize=10)
    if attention:
        x_t = xs_dec[step]
        y_layer = y_h + 1.8                           # the output layer of step t
        ctx = (x_t - 0.5, y_h + 1.0)                   # the context vector, between two decoder columns
        # 1. h_t scores every encoder state e_s; 2. the weighted sum of the e_s is ctx_t
        for x in xs_enc:
            arrow(ax, (x, y_h + 0.3), (ctx[0] - 0.24, ctx[1] + 0.06), color=ATTENTION, lw=0.8, curve=-0.3,
                  linestyle="--")
        arrow(ax, (x_t - 0.2, y_h + 0.22), (ctx[0] + 0.15, ctx[1] - 0.2), color=ATTENTION, lw=1.0)
        node(ax, ctx, 0.24, "ctx", color="gate", fontsize=7)
        # 3. the output layer reads [h_t; ctx_t]
        box(ax, (x_t, y_layer), 0.62, 0.42, "W", color="weight", fontsize=8)
        arrow(ax, (x_t + 0.08, y_h + 0.3), (x_t + 0.08, y_layer - 0.21))
        arrow(ax, (ctx[0] + 0.17, ctx[1] + 0.17), (x_t - 0.2, y_layer - 0.21), color=ATTENTION, lw=1.3)
        arrow(ax, (x_t, y_layer + 0.21), (x_t, y_out - 0.25))
        ax.text(xs_enc[0] - 0.4, height - 0.3,
                "attention at step t: h_t scores every encoder state e_s (dashed); their weighted sum ctx_t goes "
                "into the output layer W beside h_t,\nwhich scores the next character from [h_t; ctx_t]",
                ha="left", va="top", fontsize=8.5, color=ATTENTION)
    return fig
