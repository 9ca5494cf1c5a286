"""Tests of the checks of 10_long_range: the solution passes, the stub is "not attempted",
and plausible wrong generators fail with a message that names the mistake."""

import numpy as np
import pytest

from utils.checks import CheckFailure, check_make_long_range

KEYS_FIRST = 0


def _make(n, gap, *, n_keys=4, distractor_rate=0.1, seed=0, L=None, key_pos=0, label_from_key=True,
          rng_fn=None, shuffle=False):
    """A configurable generator: the defaults are the solution, each option one mistake."""
    rng = rng_fn() if rng_fn else np.random.default_rng(seed)
    L = gap if L is None else L
    labels = rng.integers(0, n_keys, size=n).astype(np.int64)
    is_d = rng.random((n, L)) < distractor_rate
    murmur = np.full((n, L), n_keys, dtype=np.int64)
    murmur[is_d] = rng.choice(np.arange(n_keys + 1, n_keys + 4), size=int(is_d.sum()))
    tokens = np.concatenate([labels[:, None], murmur, np.full((n, 1), n_keys + 4)], axis=1)
    if key_pos:
        tokens[:, [0, key_pos]] = tokens[:, [key_pos, 0]]
    out_labels = labels if label_from_key else (labels + 1) % n_keys
    if shuffle:
        out_labels = out_labels[::-1].copy()
    return tokens, out_labels


def solution(n, gap, **kw):
    return _make(n, gap, **kw)


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_solution_passes(capsys):
    check_make_long_range(solution)
    assert capsys.readouterr().out.startswith("✓ make_long_range: 7/7 cases match utils.synthetic.long_range")


def test_stub_is_not_attempted():
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check_make_long_range(stub)


@pytest.mark.parametrize("wrong, message", [
    (lambda n, gap, **kw: _make(n, gap, L=gap + 1, **kw), "off-by-one in the gap length"),
    (lambda n, gap, **kw: _make(n, gap, L=max(gap - 1, 0), **kw) if gap else _make(n, gap, **kw),
     "off-by-one in the gap length"),
    (lambda n, gap, **kw: _make(n, gap, key_pos=1, **kw) if gap else _make(n, gap, **kw),
     "key is at position 1, not at the start"),
    (lambda n, gap, **kw: _make(n, gap, label_from_key=False, **kw), "label is not the key at position 0"),
    # an unseeded generator, made deterministic for the test: a fixed, unrelated entropy stands
    # in for the OS's (a truly unseeded draw could, rarely, match another mistake's output)
    (lambda n, gap, seed=0, **kw: _make(n, gap, rng_fn=lambda: np.random.default_rng(2**40 + 12345), **kw),
     "differ from the seeded reference"),
    (lambda n, gap, seed=0, **kw: _make(n, gap, seed=0, **kw), "seed"),
    (lambda n, gap, **kw: (_make(n, gap, **kw)[0].astype(float), _make(n, gap, **kw)[1]), "dtype float64"),
])
def test_wrong_generators_are_named(wrong, message):
    with pytest.raises(CheckFailure, match=message):
        check_make_long_range(wrong)


def test_not_a_tuple():
    with pytest.raises(CheckFailure, match="expected a tuple"):
        check_make_long_range(lambda n, gap, **kw: _make(n, gap, **kw)[0])
