"""The watch-history generator of notebook 03 (utils/synthetic/watch.py)."""

from __future__ import annotations

import numpy as np
import pytest

from utils.synthetic.watch import (best_order_blind_accuracy, item_name, make_watch_histories, next_item, reorder,
                         series_of, vocab_size)


def test_same_seed_same_data_other_seed_other_data():
    h1, t1 = make_watch_histories(200, seed=5)
    h2, t2 = make_watch_histories(200, seed=5)
    h3, t3 = make_watch_histories(200, seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(h1, h2)) and np.array_equal(t1, t2)
    assert not (all(len(a) == len(b) and np.array_equal(a, b) for a, b in zip(h1, h3)) and np.array_equal(t1, t3))


@pytest.mark.parametrize("kwargs", [{}, {"n_series": 5, "n_episodes": 4, "series_per_history": 2,
                                        "min_len": 1, "max_len": 6}])
def test_shapes_ranges_and_the_rule(kwargs):
    n_series, n_episodes = kwargs.get("n_series", 8), kwargs.get("n_episodes", 8)
    lo, hi = kwargs.get("min_len", 4), kwargs.get("max_len", 12)
    histories, targets = make_watch_histories(500, seed=1, **kwargs)
    assert len(histories) == 500 and targets.shape == (500,) and targets.dtype == np.int64
    lengths = np.array([len(h) for h in histories])
    assert lengths.min() >= lo and lengths.max() <= hi
    assert len(set(lengths)) > 1, "lengths should vary"
    V = vocab_size(n_series, n_episodes)
    for h, t in zip(histories, targets):
        assert h.dtype == np.int64 and h.min() >= 1 and h.max() < V and 1 <= t < V
        assert len(set(h.tolist())) == len(h), "an episode is watched at most once"
        s = series_of(h, n_episodes)
        assert len(set(s.tolist())) <= kwargs.get("series_per_history", 3)
        for k in set(s.tolist()):  # each series watched in order, one episode after the other
            assert np.all(np.diff(h[s == k]) == 1)
        assert t == h[-1] + 1 == next_item(h, n_episodes)
        assert series_of(t, n_episodes) == s[-1], "the next item continues the most recent series"


def test_same_items_in_another_order_change_the_next_item():
    # A1 A2 B1 B2 -> B3, but B1 B2 A1 A2 -> A3: the same set, different next items.
    a = np.array([1, 2, 9, 10])
    b = np.array([9, 10, 1, 2])
    assert set(a) == set(b)
    assert (item_name(next_item(a)), item_name(next_item(b))) == ("B3", "A3")


def test_reorder_keeps_the_set_and_often_changes_the_target():
    rng = np.random.default_rng(0)
    histories, targets = make_watch_histories(1000, seed=2)
    changed = 0
    for h, t in zip(histories, targets):
        r = reorder(h, rng)
        assert sorted(r.tolist()) == sorted(h.tolist())
        s = series_of(r)
        for k in set(s.tolist()):
            assert np.all(np.diff(r[s == k]) == 1), "episodes of a series stay in order"
        changed += next_item(r) != t
    assert 0.4 < changed / len(histories) < 0.8


def test_best_order_blind_accuracy_is_what_the_best_set_rule_gets():
    """The best rule that sees only the set: the next episode of the most-watched series."""
    histories, targets = make_watch_histories(20000, seed=3)
    hits = []
    for h, t in zip(histories, targets):
        s = series_of(h)
        counts = np.bincount(s)
        best = np.flatnonzero(counts == counts.max())[0]
        hits.append(h[s == best].max() + 1 == t)
    ceiling = best_order_blind_accuracy(histories)
    assert 0.4 < ceiling < 0.65
    assert abs(np.mean(hits) - ceiling) < 0.015


def test_item_names_and_errors():
    assert item_name(0) == "·" and item_name(1) == "A1" and item_name(8) == "A8" and item_name(9) == "B1"
    with pytest.raises(ValueError, match="no next episode"):
        next_item([3, 8])
    with pytest.raises(ValueError, match="does not fit"):
        make_watch_histories(3, max_len=30)
    with pytest.raises(ValueError):
        make_watch_histories(3, series_per_history=9)
