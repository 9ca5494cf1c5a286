"""Murmured sentences: a key word at the start, a long murmur, a query at the end (notebook 10).

The post's example of why an LSTM must forget: "I, I, I, ..., I like movies". Here the
information that matters comes FIRST and must survive the murmur: a sentence is

    position 0        the key: one of ``n_keys`` words ("movies", "books", ...); the label
    positions 1..gap  the murmur: the filler "I", with a fraction ``distractor_rate`` of
                      distractor words ("um", "uh", "well") that carry no information
    position gap + 1  the query "like?": now answer which key opened the sentence

so a sentence has ``gap + 2`` tokens and its label is the index of its key. A model that
reads it left to right must carry the key across ``gap`` irrelevant tokens.

Token ids: keys 0..n_keys-1, then FILLER, then the distractors, then QUERY
(``vocab(n_keys)`` lists the words). The random draws are made in a fixed order from
``np.random.default_rng(seed)``, so the same seed gives the same sentences everywhere:

    1. labels = rng.integers(0, n_keys, size=n)
    2. is_distractor = rng.random((n, gap)) < distractor_rate
    3. rng.choice(distractor_ids, size=is_distractor.sum()), filled in row-major order

    tokens, labels = make_long_range(3, gap=5, seed=0)
    tokens.shape   # (3, 7) = (n, gap + 2)
"""

from __future__ import annotations

import numpy as np

__all__ = ["KEYS", "DISTRACTORS", "make_long_range", "vocab", "filler_id", "query_id", "distractor_ids",
           "decode"]

KEYS = ("movies", "books", "music", "games", "films", "plays", "poems", "songs")
DISTRACTORS = ("um", "uh", "well")


def _check_keys(n_keys):
    if not isinstance(n_keys, (int, np.integer)) or not 2 <= n_keys <= len(KEYS):
        raise ValueError(f"n_keys must be an integer in [2, {len(KEYS)}], got {n_keys!r}")


def filler_id(n_keys: int = 4) -> int:
    """Token id of the filler "I"."""
    return int(n_keys)


def distractor_ids(n_keys: int = 4) -> np.ndarray:
    """Token ids of the distractors "um", "uh", "well"."""
    return np.arange(n_keys + 1, n_keys + 1 + len(DISTRACTORS), dtype=np.int64)


def query_id(n_keys: int = 4) -> int:
    """Token id of the query "like?" (the last token of every sentence)."""
    return int(n_keys + 1 + len(DISTRACTORS))


def vocab(n_keys: int = 4) -> list[str]:
    """The words of the token ids 0..vocab_size-1: keys, "I", distractors, "like?"."""
    _check_keys(n_keys)
    return list(KEYS[:n_keys]) + ["I"] + list(DISTRACTORS) + ["like?"]


def decode(tokens, n_keys: int = 4) -> str:
    """A sentence as words: decode([0, 4, 4, 5, 8]) -> "movies I I um like?"."""
    words = vocab(n_keys)
    return " ".join(words[int(t)] for t in np.asarray(tokens).ravel())


def make_long_range(n: int, gap: int, *, n_keys: int = 4, distractor_rate: float = 0.1, seed: int = 0):
    """Draw `n` murmured sentences with `gap` murmur tokens between the key and the query.

    n: number of sentences (>= 0); gap: number of murmur tokens (>= 0);
    n_keys: number of key words = classes; distractor_rate: chance that a murmur token
    is a distractor instead of "I"; seed: the same seed gives the same sentences.
    Returns tokens: (n, gap + 2) int64, key at column 0, query at column gap + 1;
            labels: (n,) int64 in [0, n_keys), labels == tokens[:, 0].
    """
    _check_keys(n_keys)
    if not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be an integer >= 0, got {n!r}")
    if not isinstance(gap, (int, np.integer)) or gap < 0:
        raise ValueError(f"gap must be an integer >= 0, got {gap!r}")
    if not 0.0 <= distractor_rate <= 1.0:
        raise ValueError(f"distractor_rate must be in [0, 1], got {distractor_rate!r}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_keys, size=n).astype(np.int64)
    is_distractor = rng.random((n, gap)) < distractor_rate
    murmur = np.full((n, gap), filler_id(n_keys), dtype=np.int64)
    murmur[is_distractor] = rng.choice(distractor_ids(n_keys), size=int(is_distractor.sum()))
    tokens = np.empty((n, gap + 2), dtype=np.int64)
    tokens[:, 0] = labels
    tokens[:, 1:gap + 1] = murmur
    tokens[:, gap + 1] = query_id(n_keys)
    return tokens, labels
