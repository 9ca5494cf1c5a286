"""Character n-gram language models with interpolated Kneser-Ney smoothing, in NumPy.

Used by 08_char_lm as the baselines a neural model must beat. Everything is counting:

    counts = NgramCounts(train_ids, vocab_size=76, max_order=5)
    model = KneserNey(counts, order=3, discounts=[0.7, 0.8, 0.9])
    bits = model.bits_per_char(test_ids, start=4)    # mean -log2 p over test_ids[4:]

An n-gram is encoded as one integer, ``sum(ids[j] * V**(n-1-j))``, so counting is
``np.unique`` over a vector of codes and a look-up is ``np.searchsorted``.

Interpolated Kneser-Ney (Chen and Goodman, 1998), for a context h of n-1 characters
and h' the same context without its first character:

    P(c | h) = max(N(h c) - D, 0) / N(h .)  +  D * types(h .) / N(h .) * P_lower(c | h')

- at the highest order N is the raw count of the n-gram;
- at every lower order N is the *continuation* count: the number of different
  characters seen in front of it (a character that only ever follows one context is
  not a likely continuation of a new one);
- ``types(h .)`` is the number of different characters seen after h (the mass the
  discounts free is handed to the lower order);
- a context never seen falls back to the lower order entirely;
- the lowest order (one character, empty context) is interpolated with the uniform
  distribution, so no character of the vocabulary ever gets probability zero.

One discount D per order, in (0, 1); ``tune_discounts`` picks them on validation text.
"""

from __future__ import annotations

import numpy as np

__all__ = ["NgramCounts", "KneserNey", "tune_discounts"]


def _codes(ids: np.ndarray, n: int, V: int) -> np.ndarray:
    """The integer code of every n-gram of ids: (len(ids) - n + 1,) int64."""
    ids = ids.astype(np.int64)
    m = len(ids) - n + 1
    code = np.zeros(max(m, 0), dtype=np.int64)
    for j in range(n):
        code = code * V + ids[j:j + m]
    return code


class _Table:
    """Counts of the n-grams of one order, sorted by code, with per-context totals."""

    def __init__(self, codes: np.ndarray, counts: np.ndarray, V: int):
        self.codes, self.counts = codes, counts.astype(np.float64)
        contexts = codes // V                                   # sorted, since codes are
        self.ctx, first = np.unique(contexts, return_index=True)
        self.ctx_total = np.add.reduceat(self.counts, first) if len(first) else np.zeros(0)
        self.ctx_types = np.diff(np.append(first, len(codes))).astype(np.float64)

    @staticmethod
    def _find(keys, query):
        """(found, index): where each query sits in the sorted keys."""
        i = np.searchsorted(keys, query)
        i = np.minimum(i, max(len(keys) - 1, 0))
        found = (keys[i] == query) if len(keys) else np.zeros(len(query), bool)
        return found, i

    def count(self, query):
        found, i = self._find(self.codes, query)
        return np.where(found, self.counts[i] if len(self.counts) else 0.0, 0.0)

    def context(self, query_ctx):
        """(total count, number of types) after each context; zeros when unseen."""
        found, i = self._find(self.ctx, query_ctx)
        if not len(self.ctx):
            return np.zeros(len(query_ctx)), np.zeros(len(query_ctx))
        return np.where(found, self.ctx_total[i], 0.0), np.where(found, self.ctx_types[i], 0.0)


class NgramCounts:
    """Raw and continuation counts of the n-grams of one text, orders 1..max_order.

    ids: (N,) integer character ids in [0, vocab_size).
    """

    def __init__(self, ids, vocab_size: int, max_order: int = 5):
        ids = np.asarray(ids)
        if ids.ndim != 1 or len(ids) < max_order:
            raise ValueError(f"ids must be a 1-D array of at least max_order={max_order} ids, got shape {ids.shape}")
        if ids.min() < 0 or ids.max() >= vocab_size:
            raise ValueError(f"ids must lie in [0, {vocab_size}), got [{ids.min()}, {ids.max()}]")
        if vocab_size ** max_order >= 2 ** 62:
            raise ValueError("vocab_size ** max_order does not fit the int64 codes")
        self.V, self.max_order = int(vocab_size), int(max_order)
        self.raw, self.cont = {}, {}
        uniq = {}
        for n in range(1, max_order + 1):
            codes, counts = np.unique(_codes(ids, n, self.V), return_counts=True)
            uniq[n] = codes
            self.raw[n] = _Table(codes, counts, self.V)
        for n in range(1, max_order):
            # continuation count of an n-gram g: how many different characters precede g,
            # i.e. how many distinct (n+1)-grams end in g
            suffix = np.sort(uniq[n + 1] % self.V ** n)
            codes, counts = np.unique(suffix, return_counts=True)
            self.cont[n] = _Table(codes, counts, self.V)


class KneserNey:
    """An interpolated Kneser-Ney character model of one order.

    counts: NgramCounts with max_order >= order.   discounts: one per order 1..order.
    """

    def __init__(self, counts: NgramCounts, order: int, discounts):
        if not 1 <= order <= counts.max_order:
            raise ValueError(f"order must be in 1..{counts.max_order}, got {order}")
        discounts = [float(d) for d in discounts]
        if len(discounts) != order or not all(0.0 < d < 1.0 for d in discounts):
            raise ValueError(f"give {order} discounts, each in (0, 1); got {discounts}")
        self.counts, self.order, self.discounts = counts, order, discounts

    def log2_probs(self, ids, start: int | None = None) -> np.ndarray:
        """log2 P(ids[t] | ids[t-order+1 .. t-1]) for every t >= start: (len(ids) - start,).

        start defaults to order - 1 (the first position with a full context); it must be
        at least order - 1.
        """
        ids = np.asarray(ids).astype(np.int64)
        start = self.order - 1 if start is None else int(start)
        if start < self.order - 1:
            raise ValueError(f"start must be >= order - 1 = {self.order - 1}")
        V = self.counts.V
        p = np.full(len(ids) - start, 1.0 / V)                       # order 0: uniform
        for n in range(1, self.order + 1):
            table = self.counts.raw[n] if n == self.order else self.counts.cont[n]
            gram = _codes(ids[start - n + 1:], n, V)                  # the n-gram ending at each t
            num = table.count(gram)
            total, types = table.context(gram // V)
            D = self.discounts[n - 1]
            seen = total > 0
            safe = np.where(seen, total, 1.0)
            p = np.where(seen, np.maximum(num - D, 0.0) / safe + D * types / safe * p, p)
        return np.log2(p)

    def bits_per_char(self, ids, start: int | None = None) -> float:
        """Mean surprisal in bits of ids[start:] (see log2_probs)."""
        return float(-self.log2_probs(ids, start).mean())


def tune_discounts(counts: NgramCounts, order: int, val_ids, start: int | None = None,
                   grid=(0.5, 0.6, 0.7, 0.8, 0.9, 0.95), sweeps: int = 1):
    """Choose the discounts of an order-``order`` model on validation text.

    Coordinate descent: starting from 0.75 everywhere, the discount of each order in
    turn (1, 2, ..., order) becomes the grid value with the lowest validation bits, the
    others held fixed; ``sweeps`` passes. Returns the list of discounts (length order).
    """
    start = order - 1 if start is None else start
    chosen = [0.75] * order
    for _ in range(sweeps):
        for n in range(order):
            bits = [KneserNey(counts, order, chosen[:n] + [d] + chosen[n + 1:]).bits_per_char(val_ids, start)
                    for d in grid]
            chosen[n] = float(grid[int(np.argmin(bits))])
    return chosen
