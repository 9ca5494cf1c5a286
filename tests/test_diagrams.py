"""The course's diagrams (utils/diagrams) are readable by everyone, in every notebook.

- the fill colours (input, hidden state, cell state, output, layer, gate, padding) stay
  apart for a reader with any common colour-vision deficiency: every pair differs by at
  least ``MIN_DELTA_E`` (CIE76 in CIELAB) in normal vision and in simulated protanopia,
  deuteranopia and tritanopia (Machado, Oliveira and Fernandes 2009, severity 1);
- a diagram draws only course colours (the fills, the plot palette, greys), and its text
  is readable on white (contrast 4.5:1 or more, WCAG 2 AA);
- a diagram looks the same whatever the plot style: the course style gives each line of a
  plot its own dash pattern, which must not leak into a diagram's lines.
"""

from __future__ import annotations

import io
import itertools

import matplotlib
import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest

from utils.diagrams import (COLORS, STREAM_COLORS, draw_backprop, draw_bptt, draw_chunked_streams, draw_ffn,
                            draw_lstm_cell, draw_many_to_one, draw_padded_batch, draw_rnn_folded, draw_rnn_unrolled,
                            draw_seq2seq, draw_sequence_patterns, draw_tagger)
from utils.plots import PALETTE, use_course_style

MIN_DELTA_E = 10.0
MIN_TEXT_CONTRAST = 4.5
FILLS = ("input", "hidden", "cell", "output", "weight", "gate", "muted")

# Machado et al. (2009), severity 1.0, applied to linear RGB
CVD = {
    "normal": np.eye(3),
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _linear(rgb):
    rgb = np.asarray(rgb, dtype=float)
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb):
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear_rgb
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def delta_e(a, b, vision="normal") -> float:
    """How far apart colours a and b look (CIE76) to a reader with the given vision."""
    sim = [_lab(np.clip(CVD[vision] @ _linear(mcolors.to_rgb(c)), 0, 1)) for c in (a, b)]
    return float(np.linalg.norm(sim[0] - sim[1]))


def closest_pair(colors: dict):
    """(smallest delta E, name a, name b, vision) over every pair of colors and every vision."""
    return min((delta_e(colors[a], colors[b], v), a, b, v)
               for a, b in itertools.combinations(colors, 2) for v in CVD)


def contrast(a, b="white") -> float:
    """WCAG 2 contrast ratio of two colours (1 to 21)."""
    la, lb = (float(np.array([0.2126, 0.7152, 0.0722]) @ _linear(mcolors.to_rgb(c))) for c in (a, b))
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_the_fills_stay_apart_for_colour_blind_readers():
    d, a, b, vision = closest_pair({k: COLORS[k] for k in FILLS})
    assert d >= MIN_DELTA_E, f"{a} and {b} look alike ({d:.1f}) with {vision}"


def test_the_colour_blind_check_catches_the_old_fills():
    # the fills before the course style: light blue input and light purple gates looked
    # the same to a reader with deuteranopia
    old = {"input": "#9ecae1", "hidden": "#a1d99b", "cell": "#fdae6b", "output": "#fc9272", "weight": "#ffe680",
           "gate": "#cbb6e6", "muted": "#d9d9d9"}
    d, a, b, vision = closest_pair(old)
    assert d < MIN_DELTA_E and {a, b} == {"input", "gate"} and vision == "deuteranopia"
    # and a red against a green of the same lightness is caught too
    assert closest_pair({"red": "#d62728", "green": "#2ca02c"})[0] < MIN_DELTA_E


def test_black_text_is_readable_on_every_fill_and_coloured_text_on_white():
    for name in FILLS:
        assert contrast("black", COLORS[name]) >= 7, f"black text on the {name} fill"
    for name in ("back_text", "carry", "attention", "cell_text", "line"):
        assert contrast(COLORS[name]) >= MIN_TEXT_CONTRAST, f"{name} text on white"
    assert contrast(COLORS["back"]) >= 3, "a line needs 3:1 against white"
    assert contrast("#E69F00") < MIN_TEXT_CONTRAST  # the palette's orange is a line colour, not a text colour


# --- every diagram of the course, drawn as the notebooks draw it ------------------------------

DIAGRAMS = {
    "ffn (01)": lambda: draw_ffn([64, 32, 10], labels=["input x", "hidden h", "output z"], activations=["ReLU", None]),
    "backprop (02)": draw_backprop,
    "sequence patterns (03)": draw_sequence_patterns,
    "padded batch (03)": lambda: draw_padded_batch(np.array([[3, 4, 5], [7, 0, 0]]),
                                                   np.array([[1, 1, 1], [1, 0, 0]], bool)),
    "rnn folded (04)": draw_rnn_folded,
    "rnn unrolled (04)": lambda: draw_rnn_unrolled(T=4, outputs="all"),
    "bptt (05)": lambda: draw_bptt(T=4),
    "many to one (06)": lambda: draw_many_to_one(("not", "a", "good", "film"), n_pads=2)[0],
    "tagger (07)": lambda: draw_tagger(["The", "old", "man"], ["DET", "NOUN", "VERB"], bidirectional=True),
    "chunked streams (08)": lambda: draw_chunked_streams(B=3, n_chunks=4, T=25),
    "lstm cell (09)": draw_lstm_cell,
    "seq2seq (11)": lambda: draw_seq2seq(list("3.3.2024"), list("2024-03-03"), attention=True),
}


def _hex(color) -> str | None:
    rgba = mcolors.to_rgba(color)
    return None if rgba[3] == 0 else mcolors.to_hex(rgba[:3])


def drawn_colours(fig):
    """{hex colour: what draws it} for every visible line, patch and text of fig's axes."""
    found = {}
    for ax in fig.axes:
        for artist in ax.get_children():
            if not artist.get_visible():
                continue
            kind = type(artist).__name__
            if isinstance(artist, matplotlib.text.Text):
                if artist.get_text():
                    found.setdefault(_hex(artist.get_color()), f"text {artist.get_text()!r}")
            elif isinstance(artist, matplotlib.lines.Line2D):
                found.setdefault(_hex(artist.get_color()), kind)
            elif isinstance(artist, matplotlib.patches.Patch) and artist is not ax.patch:
                found.setdefault(_hex(artist.get_facecolor()), f"{kind} fill")
                found.setdefault(_hex(artist.get_edgecolor()), f"{kind} edge")
    found.pop(None, None)
    return found


def _text_colours(fig):
    return {_hex(t.get_color()): t.get_text() for ax in fig.axes for t in ax.texts if t.get_text()}


def _allowed(color: str) -> bool:
    r, g, b = mcolors.to_rgb(color)
    grey = max(r, g, b) - min(r, g, b) < 1e-9
    course = {c.lower() for c in (*COLORS.values(), *PALETTE, *STREAM_COLORS)}
    return grey or color.lower() in course


@pytest.fixture
def course_style():
    with matplotlib.rc_context():
        use_course_style()
        yield
    plt.close("all")


@pytest.mark.parametrize("name", DIAGRAMS)
def test_a_diagram_draws_only_course_colours_and_readable_text(name, course_style):
    fig = DIAGRAMS[name]()
    foreign = {c: what for c, what in drawn_colours(fig).items() if not _allowed(c)}
    assert not foreign, f"{name} draws colours outside the course's: {foreign}"
    faint = {c: t for c, t in _text_colours(fig).items() if contrast(c) < MIN_TEXT_CONTRAST}
    assert not faint, f"{name}: text too faint on white (below {MIN_TEXT_CONTRAST}:1): {faint}"


def test_the_colour_check_names_a_foreign_colour_and_faint_text(course_style):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], color="#31a354")
    ax.text(0, 0, "cut", color="#E69F00")
    found = drawn_colours(fig)
    assert not _allowed("#31a354") and found["#31a354"] == "Line2D"
    assert contrast(_text_colours(fig).popitem()[0]) < MIN_TEXT_CONTRAST


def _png(make) -> np.ndarray:
    fig = make()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=40)
    plt.close(fig)
    return plt.imread(io.BytesIO(buf.getvalue()))


@pytest.mark.parametrize("name", DIAGRAMS)
def test_a_diagram_looks_the_same_with_and_without_the_course_style(name):
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        plain = _png(DIAGRAMS[name])
        use_course_style()
        styled = _png(DIAGRAMS[name])
    assert plain.shape == styled.shape and np.array_equal(plain, styled), (
        f"{name} changes with the plot style: a line drawn with ax.plot takes the style's next dash "
        "pattern unless it sets ls='-'")


def test_the_style_check_sees_a_line_that_takes_the_cycle():
    def two_lines():
        fig, ax = plt.subplots(figsize=(2, 2))
        ax.plot([0, 1], [0, 1], color="k")
        ax.plot([0, 1], [1, 0], color="k")   # the course style dashes the second line
        return fig

    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        plain = _png(two_lines)
        use_course_style()
        assert not np.array_equal(plain, _png(two_lines))
