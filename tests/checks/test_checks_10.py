"""Tests of the checks of 10_long_range (generator, training loop, gradient probe): the solution
passes, the stub is "not attempted", and plausible wrong implementations fail with a message that
names the mistake."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from utils.checks import CheckFailure, check_grad_norms_by_distance, check_make_long_range, check_train_reader

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


# ------------------------------------------------------------------ train_reader

def _loop(model, tokens, labels, *, steps, batch_size, lr, clip_norm=1.0, zero=True, clip=True, opt="adam",
          same=False, reduction="mean", item=True, n=None):
    """The loop written independently of the check; each option is one mistake."""
    optimizer = (torch.optim.Adam if opt == "adam" else torch.optim.SGD)(model.parameters(), lr=lr)
    losses = []
    for s in range(steps if n is None else n):
        lo = 0 if same else s * batch_size
        loss = F.cross_entropy(model(tokens[lo:lo + batch_size]), labels[lo:lo + batch_size], reduction=reduction)
        if zero:
            optimizer.zero_grad()
        loss.backward()
        if clip is True:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        if clip == "after step":                          # too late: the step is taken
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        losses.append(loss.item() if item else loss)
    return losses


@pytest.mark.parametrize("options, message", [
    (dict(zero=False), "never zeroed"),
    (dict(clip=False), "not clipped"),
    (dict(clip="after step"), "clipped after optimizer.step"),
    (dict(opt="sgd"), "optimizer is SGD"),
    (dict(same=True), "every step trains on the first batch"),
    (dict(reduction="sum"), "summed over the batch"),
    (dict(item=False), "the losses are tensors"),
])
def test_train_reader_mistakes_are_named(options, message):
    with pytest.raises(CheckFailure, match=message):
        check_train_reader(lambda *a, **kw: _loop(*a, **kw, **options))


def test_train_reader_off_by_one_steps():
    with pytest.raises(CheckFailure, match="losses for"):
        check_train_reader(lambda m, x, y, *, steps, **kw: _loop(m, x, y, steps=steps, n=steps - 1, **kw))


# --------------------------------------------------------- grad_norms_by_distance

def _probe(model, tokens, labels, *, order="distance", at="state", reduction="mean", norm="norm"):
    """The probe written with the fused layer stepped one token at a time; each option is one mistake."""
    x = model.embed(tokens)
    if at == "outputs":                                   # one call over the sentence
        out, state = model.rnn(x)
        out.retain_grad()
        F.cross_entropy(model.head(out[:, -1]), labels, reduction=reduction).backward()
        norms = [out.grad[:, t].norm().item() for t in range(tokens.shape[1])]
        return np.array(norms[::-1])
    state, kept = None, []
    for t in range(tokens.shape[1]):
        _, state = model.rnn(x[:, t:t + 1], state)
        v = state[0] if isinstance(state, tuple) else state
        v.retain_grad()
        kept.append(v)
    h = state[0] if isinstance(state, tuple) else state
    F.cross_entropy(model.head(h[0]), labels, reduction=reduction).backward()
    if norm == "per sentence":
        norms = [v.grad[0].norm(dim=1).mean().item() for v in kept]
    else:
        norms = [v.grad.norm().item() ** (2 if norm == "squared" else 1) for v in kept]
    return np.array(norms if order == "time" else norms[::-1])


@pytest.mark.parametrize("options, message", [
    (dict(order="time"), "in time order"),
    (dict(at="outputs"), "outputs of one call"),
    (dict(reduction="sum"), "summed over the sentences"),
    (dict(norm="squared"), "squared norm"),
    (dict(norm="per sentence"), "one norm per sentence"),
])
def test_grad_norms_mistakes_are_named(options, message):
    with pytest.raises(CheckFailure, match=message):
        check_grad_norms_by_distance(lambda m, x, y: _probe(m, x, y, **options))


@pytest.mark.parametrize("check, solution, success", [
    (check_make_long_range, solution, "✓ make_long_range: 7/7 cases match utils.synthetic.long_range"),
    (check_train_reader, _loop, "✓ train_reader: 4/4 cases match the same Adam loop written out"),
    (check_grad_norms_by_distance, _probe, "✓ grad_norms_by_distance: 4/4 cases match"),
])
def test_solution_passes(check, solution, success, capsys):
    check(solution)
    assert capsys.readouterr().out.startswith(success)


@pytest.mark.parametrize("check", [check_make_long_range, check_train_reader, check_grad_norms_by_distance])
def test_stub_is_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(stub)
