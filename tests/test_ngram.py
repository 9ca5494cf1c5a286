"""Tests of utils.ngram: interpolated Kneser-Ney against hand counts and basic laws."""

import math

import numpy as np
import pytest

from utils.ngram import KneserNey, NgramCounts, tune_discounts


def _kn_by_hand(train, V, order, D, history, c):
    """Interpolated Kneser-Ney written with Python dicts and recursion (the reference)."""
    def grams(n):
        return [tuple(train[i:i + n]) for i in range(len(train) - n + 1)]

    def count(n, top):
        table = {}
        if top:
            for g in grams(n):
                table[g] = table.get(g, 0) + 1
        else:  # continuation counts: distinct left neighbours
            left = {}
            for g in grams(n + 1):
                left.setdefault(g[1:], set()).add(g[0])
            table = {g: len(s) for g, s in left.items()}
        return table

    def p(n, ctx, c):
        if n == 0:
            return 1.0 / V
        table = count(n, n == order)
        ctx = tuple(ctx[len(ctx) - (n - 1):]) if n > 1 else ()
        total = sum(v for g, v in table.items() if g[:-1] == ctx)
        types = sum(1 for g in table if g[:-1] == ctx)
        lower = p(n - 1, ctx, c)
        if total == 0:
            return lower
        d = D[n - 1]
        return max(table.get(ctx + (c,), 0) - d, 0) / total + d * types / total * lower
    return p(order, tuple(history), c)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_matches_hand_computation(order):
    rng = np.random.default_rng(order)
    V = 4
    train = rng.integers(0, V, 60)
    test = rng.integers(0, V, 20)
    D = [0.5, 0.7, 0.8][:order]
    model = KneserNey(NgramCounts(train, V, max_order=3), order, D)
    got = model.log2_probs(test, start=2)
    want = [math.log2(_kn_by_hand(list(train), V, order, D, list(test[t - order + 1:t]) if order > 1 else [],
                                  int(test[t]))) for t in range(2, len(test))]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_distribution_sums_to_one(order):
    rng = np.random.default_rng(10 + order)
    V = 5
    train = rng.integers(0, V, 200)
    model = KneserNey(NgramCounts(train, V, max_order=4), order, [0.6] * order)
    for history in ([0, 1, 2], [4, 4, 4], [3, 0, 1]):
        probs = [2.0 ** model.log2_probs(np.array(history + [c]), start=3)[0] for c in range(V)]
        assert abs(sum(probs) - 1.0) < 1e-12
        assert min(probs) > 0


def test_unseen_character_is_not_infinitely_surprising():
    train = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    model = KneserNey(NgramCounts(train, 3, max_order=2), 2, [0.5, 0.5])
    assert np.isfinite(model.bits_per_char(np.array([0, 2, 2, 1]), start=1))


def test_longer_context_helps_on_structured_text():
    text = np.array([0, 1, 2, 3] * 100)
    counts = NgramCounts(text, 4, max_order=3)
    b1 = KneserNey(counts, 1, [0.5]).bits_per_char(text[:40], start=2)
    b3 = KneserNey(counts, 3, [0.5, 0.5, 0.5]).bits_per_char(text[:40], start=2)
    assert abs(b1 - 2.0) < 0.01 and b3 < 0.1


def test_tune_discounts_picks_from_the_grid_and_helps():
    rng = np.random.default_rng(3)
    train, val = rng.integers(0, 6, 3000) % 3 * 2, rng.integers(0, 6, 500) % 3 * 2
    counts = NgramCounts(train, 6, max_order=2)
    grid = (0.1, 0.5, 0.9)
    d = tune_discounts(counts, 2, val, grid=grid)
    assert len(d) == 2 and all(x in grid for x in d)
    tuned = KneserNey(counts, 2, d).bits_per_char(val, start=1)
    assert all(tuned <= KneserNey(counts, 2, [a, b]).bits_per_char(val, start=1) + 1e-12
               for a in grid for b in grid if a == d[0])  # the last coordinate is optimal given the first


def test_bad_input_gets_a_clear_message():
    with pytest.raises(ValueError, match="ids must lie in"):
        NgramCounts(np.array([0, 5, 1]), 3, max_order=2)
    counts = NgramCounts(np.array([0, 1, 2, 0, 1]), 3, max_order=2)
    with pytest.raises(ValueError, match="discounts"):
        KneserNey(counts, 2, [0.5])
    with pytest.raises(ValueError, match="order must be"):
        KneserNey(counts, 3, [0.5] * 3)
    with pytest.raises(ValueError, match="start must be"):
        KneserNey(counts, 2, [0.5, 0.5]).log2_probs(np.array([0, 1]), start=0)
