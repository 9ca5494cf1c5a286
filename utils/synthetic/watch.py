"""Synthetic watch histories whose next item depends on the ORDER of what was watched.

Used in notebook 03 (why sets are not enough). The catalogue holds ``n_series`` series
of ``n_episodes`` episodes each. Episode ``e`` (0-based) of series ``s`` has the item id

    item = 1 + s * n_episodes + e          (id 0 is kept free for padding)

so a catalogue of 8 series x 8 episodes uses ids 1..64 and a vocabulary of 65 ids.

A history is what one viewer watched, oldest first. The viewer follows a few series
(``series_per_history``), each from some episode on and always in episode order, and
switches between them at random. The next item is the rule every streaming service
knows as "continue watching":

    the next item is the episode after the one watched most recently.

Because episodes of a series have consecutive ids, that is simply ``history[-1] + 1``
(the generator makes sure that episode exists). Two histories with the same items in a
different order can end on different series, and then their next items differ: a model
that sees the history only as a set cannot tell them apart.

    histories, targets = make_watch_histories(1000, seed=0)
    histories[0]        # array([35, 36, 12, 37, ...])   item ids, oldest first
    targets[0]          # the next item

How well can a model do that sees only the *set* of items? Given the set, one knows
which series were followed, how many episodes of each, and where each one stands, but
not which series came last. The generator picks the series of every step independently
and uniformly, so given the set every order of the steps is equally likely, and the
last step belongs to series s with probability count_s / length. The best order-blind
guess is the next episode of the most-watched series, right with probability
max_s count_s / length: ``best_order_blind_accuracy`` averages that over a data set.
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_watch_histories", "next_item", "reorder", "item_name", "series_of", "vocab_size",
           "best_order_blind_accuracy"]

SERIES_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def vocab_size(n_series: int = 8, n_episodes: int = 8) -> int:
    """Number of item ids, padding id 0 included: n_series * n_episodes + 1."""
    return n_series * n_episodes + 1


def series_of(items, n_episodes: int = 8) -> np.ndarray:
    """The series index (0-based) of each item id; items: any shape of ids >= 1."""
    items = np.asarray(items)
    return (items - 1) // n_episodes


def item_name(item: int, n_episodes: int = 8) -> str:
    """A readable name: series letter + 1-based episode, e.g. 1 -> "A1", 10 -> "B2"; 0 -> "·" (padding)."""
    item = int(item)
    if item == 0:
        return "·"
    s, e = divmod(item - 1, n_episodes)
    letter = SERIES_LETTERS[s] if s < len(SERIES_LETTERS) else f"S{s}-"
    return f"{letter}{e + 1}"


def next_item(history, n_episodes: int = 8) -> int:
    """The rule of the data: the episode after the most recently watched one.

    history: 1-D sequence of item ids, oldest first (no padding).
    Raises ValueError when the last item is the final episode of its series.
    """
    history = np.asarray(history)
    if history.ndim != 1 or len(history) == 0:
        raise ValueError("next_item needs a non-empty 1-D history of item ids")
    last = int(history[-1])
    if last < 1 or (last - 1) % n_episodes == n_episodes - 1:
        raise ValueError(f"item {last} ({item_name(last, n_episodes)}) has no next episode")
    return last + 1


def reorder(history, rng: np.random.Generator, n_episodes: int = 8) -> np.ndarray:
    """Another valid viewing order of the same items: the series are interleaved
    differently, but the episodes of each series stay in episode order.

    history: 1-D array of item ids, oldest first; rng: a NumPy Generator.
    Returns a new array with the same items (the same set), usually a different next item.
    """
    history = np.asarray(history)
    series = series_of(history, n_episodes)
    new_series = rng.permutation(series)            # which series is watched at each step
    out = np.empty_like(history)
    for s in np.unique(series):
        out[new_series == s] = history[series == s]  # its episodes, still in order
    return out


def make_watch_histories(n: int, *, n_series: int = 8, n_episodes: int = 8, series_per_history: int = 3,
                         min_len: int = 4, max_len: int = 12, seed: int = 0):
    """Draw `n` watch histories and their next items; the same seed gives the same data.

    For each history:
      1. its length T is uniform in [min_len, max_len];
      2. `series_per_history` different series are picked from the catalogue;
      3. each of the T steps picks one of them uniformly and independently (draws in
         which a series would need more than n_episodes - 1 episodes are redrawn, so
         that the episode after the last one watched always exists);
      4. each series starts at a random episode, early enough to fit its steps, and
         its episodes are watched in order.
    A series picked in step 2 may get no steps when T is small.

    Returns
      histories: list of n int64 arrays of item ids, oldest first, lengths in [min_len, max_len];
      targets:   (n,) int64, the next item of each history (see `next_item`).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n_episodes < 2:
        raise ValueError("each series needs at least 2 episodes")
    if not 1 <= series_per_history <= n_series:
        raise ValueError(f"series_per_history must be in [1, n_series={n_series}], got {series_per_history}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    if max_len > series_per_history * (n_episodes - 1):
        raise ValueError(f"max_len={max_len} does not fit: {series_per_history} series of "
                         f"{n_episodes} episodes allow at most {series_per_history * (n_episodes - 1)} steps")
    rng = np.random.default_rng(seed)
    histories, targets = [], []
    while len(histories) < n:
        T = int(rng.integers(min_len, max_len + 1))
        series = rng.choice(n_series, size=series_per_history, replace=False)
        slots = rng.integers(0, series_per_history, size=T)       # which followed series, per step
        counts = np.bincount(slots, minlength=series_per_history)
        if counts.max() > n_episodes - 1:                          # would run past the last episode
            continue
        # First episode of each series: start + count <= n_episodes - 1 keeps a next episode.
        start = np.array([rng.integers(0, n_episodes - c) for c in counts])
        episode = start.copy()
        history = np.empty(T, dtype=np.int64)
        for t, k in enumerate(slots):
            history[t] = 1 + series[k] * n_episodes + episode[k]
            episode[k] += 1
        histories.append(history)
        targets.append(next_item(history, n_episodes))
    return histories, np.array(targets, dtype=np.int64)


def best_order_blind_accuracy(histories, n_episodes: int = 8) -> float:
    """The highest expected accuracy of ANY model that sees a history only as a set of items.

    Given the set, each order of the steps is equally likely, so the last step belongs
    to series s with probability count_s / T; the best guess (the next episode of the
    most-watched series) is right with probability max_s count_s / T. Returns the mean
    of that over `histories` (list of 1-D arrays of item ids, no padding).
    """
    values = []
    for h in histories:
        counts = np.bincount(series_of(h, n_episodes))
        values.append(counts.max() / len(h))
    return float(np.mean(values))
