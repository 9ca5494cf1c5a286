"""Small helpers of 07_pos_tagging: the tagset's meaning, a character feature of a word,
and a confusion-matrix plot.

    from utils.tagging import TAG_MEANINGS, word_feature, plot_confusion
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["TAG_MEANINGS", "word_feature", "confusion_matrix", "plot_confusion"]

# The 12 universal tags of Petrov, Das and McDonald (2012), in the order of
# utils.data.UNIVERSAL_TAGS, with what each one means.
TAG_MEANINGS = {
    "NOUN": "noun: a thing, person, place or idea (also proper names)",
    "VERB": "verb, including auxiliaries (is, has, will)",
    "ADJ": "adjective: describes a noun",
    "ADV": "adverb: describes a verb, an adjective or a sentence (also not)",
    "PRON": "pronoun: stands for a noun phrase (he, it, them)",
    "DET": "determiner or article (the, a, this, his)",
    "ADP": "adposition: preposition or subordinating conjunction (in, of, if)",
    "NUM": "number (three, 1961)",
    "CONJ": "coordinating conjunction (and, or, but)",
    "PRT": "particle or function word (to before a verb, up in give up, 's)",
    "X": "other: foreign words, typos, abbreviations",
    ".": "punctuation",
}


def word_feature(word: str, suffix_len: int = 3) -> str:
    """A character feature of a word: its shape and its last letters, e.g. "Aa~ing".

    shape: "Aa" starts with a capital, "9" with a digit, "." with anything else that is
    not a letter, "a" otherwise. The suffix is lower case. Two words with the same
    feature ("running" and "singing": "a~ing") often share a tag, even when the
    tagger has never seen one of them.
    """
    first = word[:1]
    if first.isupper():
        shape = "Aa"
    elif first.isdigit():
        shape = "9"
    elif not first.isalpha():
        shape = "."
    else:
        shape = "a"
    return shape + "~" + word.lower()[-suffix_len:]


def confusion_matrix(true, pred, n_classes: int) -> np.ndarray:
    """counts[i, j] = how many tokens of true class i were predicted as class j.

    true, pred: (N,) integer arrays of class ids (real tokens only: no padding).
    """
    true, pred = np.asarray(true), np.asarray(pred)
    if true.shape != pred.shape or true.ndim != 1:
        raise ValueError(f"confusion_matrix: true and pred must be 1-D of the same length, "
                         f"got {true.shape} and {pred.shape}")
    counts = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(counts, (true, pred), 1)
    return counts


def plot_confusion(counts, labels, title: str = "", figsize=(6.4, 5.4)):
    """Plot a confusion matrix normalised by row: each row (true tag) sums to 1.

    The diagonal is the recall of each tag; an off-diagonal cell is the share of that
    row's tokens given the column's tag. Cells of 1 % or more are written in.
    Returns the figure.
    """
    counts = np.asarray(counts, dtype=float)
    rows = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=figsize)
    im = ax.imshow(rows, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if rows[i, j] >= 0.01:
                ax.text(j, i, f"{100 * rows[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if rows[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)), labels=labels, rotation=60)
    ax.set_yticks(range(len(labels)), labels=labels)
    ax.set_xlabel("predicted tag")
    ax.set_ylabel("true tag")
    if title:
        ax.set_title(title)
    fig.colorbar(im, ax=ax, label="share of the true tag's tokens")
    fig.tight_layout()
    return fig
