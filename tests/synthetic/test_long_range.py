"""The murmured-sentence generator of notebook 10 (utils/synthetic/long_range.py)."""

import numpy as np
import pytest

from utils.synthetic.long_range import (decode, distractor_ids, filler_id, make_long_range, query_id, vocab)


@pytest.mark.parametrize("gap", [0, 1, 5, 200])
def test_shape_key_query_and_label(gap):
    tokens, labels = make_long_range(300, gap, seed=1)
    assert tokens.shape == (300, gap + 2) and tokens.dtype == np.int64
    assert labels.shape == (300,) and labels.dtype == np.int64
    assert np.array_equal(tokens[:, 0], labels) and set(labels.tolist()) == {0, 1, 2, 3}
    assert np.all(tokens[:, -1] == query_id())
    murmur = tokens[:, 1:-1]
    assert np.all(np.isin(murmur, np.r_[filler_id(), distractor_ids()]))


def test_distractor_rate_and_seed():
    tokens, _ = make_long_range(2000, 50, distractor_rate=0.1, seed=0)
    rate = np.isin(tokens[:, 1:-1], distractor_ids()).mean()
    assert 0.09 < rate < 0.11
    assert np.array_equal(make_long_range(20, 9, seed=3)[0], make_long_range(20, 9, seed=3)[0])
    assert not np.array_equal(make_long_range(20, 9, seed=3)[0], make_long_range(20, 9, seed=4)[0])
    assert np.all(make_long_range(50, 10, distractor_rate=0.0)[0][:, 1:-1] == filler_id())


def test_vocab_and_decode():
    assert vocab() == ["movies", "books", "music", "games", "I", "um", "uh", "well", "like?"]
    assert decode([0, 4, 4, 5, 8]) == "movies I I um like?"


@pytest.mark.parametrize("kwargs", [dict(n=-1, gap=3), dict(n=3, gap=-1), dict(n=3, gap=2, n_keys=1),
                                    dict(n=3, gap=2, distractor_rate=1.5)])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        make_long_range(**kwargs)
