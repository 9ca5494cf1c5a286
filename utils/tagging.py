"""Small helpers of 07_pos_tagging: the tagset's meaning, the character features of a word,
a confusion matrix, its plot, and per-tag precision, recall and F1.

    from utils.tagging import TAG_MEANINGS, word_shape, word_features, confusion_matrix, plot_confusion
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["TAG_MEANINGS", "FEATURE_KINDS", "word_shape", "word_features", "confusion_matrix",
           "per_tag_scores", "plot_confusion"]

# The 12 universal tags of Petrov, Das and McDonald (2012), in the order of
# utils.data.UNIVERSAL_TAGS, with what each one means in the Brown mapping.
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
    "PRT": "particle: to + verb, give up; here also all, such, there is, it's",
    "X": "other: foreign words, typos, abbreviations",
    ".": "punctuation",
}

# The features of a word, in the order word_features returns them.
FEATURE_KINDS = ("shape", "suffix2", "suffix3")


def word_shape(word: str) -> str:
    """The shape of a word: what lower-casing and an unknown word would lose.

    "9" holds a digit (1961, 5.5, 1/2), "." has neither letter nor digit (punctuation),
    "AA" is all capitals (two letters or more: U.S., NATO), "Aa" starts with a capital,
    "a" is anything else. A hyphen inside a word adds "-": "well-known" -> "a-",
    "mid-1950s" -> "9-".
    """
    if any(ch.isdigit() for ch in word):
        shape = "9"
    elif not any(ch.isalpha() for ch in word):
        return "."
    elif word.isupper() and sum(ch.isalpha() for ch in word) > 1:
        shape = "AA"
    elif word[0].isupper():
        shape = "Aa"
    else:
        shape = "a"
    return shape + "-" if "-" in word else shape


def word_features(word: str) -> list[str]:
    """The character features of a word, one string per kind of FEATURE_KINDS.

    ["shape:<word_shape>", "suffix2:<last 2 letters>", "suffix3:<last 3 letters>"], the
    suffixes lower case: "Running" -> ["shape:Aa", "suffix2:ng", "suffix3:ing"]. Each kind
    is its own feature, so a word whose suffix is rare (the year 1949) still has a
    shape that the tagger knows (a number).
    """
    low = word.lower()
    return [f"shape:{word_shape(word)}", f"suffix2:{low[-2:]}", f"suffix3:{low[-3:]}"]


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


def per_tag_scores(counts) -> dict[str, np.ndarray]:
    """Precision, recall and F1 of every class from a confusion matrix (rows true, columns predicted).

    precision = right / predicted as the class, recall = right / truly the class,
    F1 = their harmonic mean; 0 where a class is never predicted or never true.
    Returns {"precision", "recall", "f1", "support" (true tokens per class)}, each (n_classes,).
    """
    counts = np.asarray(counts, dtype=float)
    right = np.diag(counts)
    predicted, support = counts.sum(axis=0), counts.sum(axis=1)
    precision = np.divide(right, predicted, out=np.zeros_like(right), where=predicted > 0)
    recall = np.divide(right, support, out=np.zeros_like(right), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros_like(right), where=both > 0)
    return {"precision": precision, "recall": recall, "f1": f1, "support": support.astype(np.int64)}


def _ink_on(rgba) -> str:
    """"black" or "white", whichever has the higher contrast (WCAG 2) on the colour rgba."""
    rgb = np.asarray(rgba[:3], dtype=float)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ [0.2126, 0.7152, 0.0722])
    return "white" if 1.05 / (luminance + 0.05) > (luminance + 0.05) / 0.05 else "black"


def plot_confusion(counts, labels, title: str = "", figsize=(6.6, 5.4)):
    """Plot a confusion matrix normalised by row, in percent: each row (true tag) sums to 100.

    The diagonal is the recall of each tag; an off-diagonal cell is the share (%) of that
    row's tokens given the column's tag. Cells of 1 % or more are written in, in the same
    unit as the colour bar, in black or white, whichever stands out more from the cell's
    colour. Returns the figure.
    """
    counts = np.asarray(counts, dtype=float)
    percent = 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=figsize)
    im = ax.imshow(percent, cmap="Blues", vmin=0, vmax=100)
    for i in range(len(labels)):
        for j in range(len(labels)):
            if percent[i, j] >= 1:
                ax.text(j, i, f"{percent[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color=_ink_on(im.cmap(im.norm(percent[i, j]))))
    ax.set_xticks(range(len(labels)), labels=labels, rotation=60)
    ax.set_yticks(range(len(labels)), labels=labels)
    ax.set_xlabel("predicted tag")
    ax.set_ylabel("true tag")
    if title:
        ax.set_title(title)
    fig.colorbar(im, ax=ax, label="% of the true tag's tokens")
    fig.tight_layout()
    return fig
