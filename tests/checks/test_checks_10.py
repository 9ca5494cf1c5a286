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
          rng_fn=None, shuffle=False, ids_for=None, query_for=None):
    """A configurable generator: the defaults are the solution, each option one mistake.

    ids_for=4: the filler, distractor and query ids of 4 keys whatever n_keys is; query_for=4: only the query's.
    """
    rng = rng_fn() if rng_fn else np.random.default_rng(seed)
    L = gap if L is None else L
    k = n_keys if ids_for is None else ids_for
    labels = rng.integers(0, n_keys, size=n).astype(np.int64)
    is_d = rng.random((n, L)) < distractor_rate
    murmur = np.full((n, L), k, dtype=np.int64)
    murmur[is_d] = rng.choice(np.arange(k + 1, k + 4), size=int(is_d.sum()))
    q = k + 4 if query_for is None else query_for + 4
    tokens = np.concatenate([labels[:, None], murmur, np.full((n, 1), q)], axis=1)
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


@pytest.mark.parametrize("options, message", [
    (dict(ids_for=4), r"filler \(got 4, expected 3\), distractor, query \(got 8, expected 7\) ids are those of 4 keys"),
    (dict(query_for=4), r"query \(got 8, expected 7\) ids are those of 4 keys"),
])
def test_ids_written_for_four_keys_are_named(options, message):
    with pytest.raises(CheckFailure, match=message) as failure:
        check_make_long_range(lambda n, gap, **kw: _make(n, gap, **kw, **options))
    assert "use filler_id(n_keys), distractor_ids(n_keys) and query_id(n_keys)" in str(failure.value)


def _make_in_place(n, gap, *, n_keys=4, distractor_rate=0.1, seed=0):
    """A correct alternative: fill a preallocated array column by column, ids from the module's helpers."""
    from utils.synthetic.long_range import distractor_ids, filler_id, query_id
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, n_keys, size=n)
    tokens = np.empty((n, gap + 2), dtype=np.int64)
    tokens[:, 0] = labels
    is_d = rng.random((n, gap)) < distractor_rate
    murmur = np.where(is_d, -1, filler_id(n_keys))
    murmur[is_d] = rng.choice(distractor_ids(n_keys), size=is_d.sum())
    tokens[:, 1:gap + 1] = murmur
    tokens[:, -1] = query_id(n_keys)
    return tokens, labels.astype(np.int64)


def _make_torch(n, gap, **kw):
    """A correct alternative: the solution's arrays returned as torch tensors."""
    tokens, labels = _make(n, gap, **kw)
    return torch.from_numpy(tokens), torch.from_numpy(labels)


@pytest.mark.parametrize("alternative", [_make_in_place, _make_torch])
def test_correct_generators_pass(alternative, capsys):
    check_make_long_range(alternative)
    assert capsys.readouterr().out.startswith("✓ make_long_range")


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
        if clip == "at 1.0":                              # clip_norm ignored
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        if clip == "after step":                          # too late: the step is taken
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        losses.append(loss.item() if item else loss)
    return losses


@pytest.mark.parametrize("options, message", [
    (dict(zero=False), "never zeroed"),
    (dict(clip=False), "not clipped"),
    (dict(clip="after step"), "clipped after optimizer.step"),
    (dict(clip="at 1.0"), r"clipped at the wrong norm: 1.0, whatever clip_norm says. Use clip_norm"),
    (dict(opt="sgd"), "optimizer is SGD"),
    (dict(same=True), "every step trains on the first batch"),
    (dict(reduction="sum"), "summed over the batch"),
    (dict(item=False), "the losses are tensors"),
])
def test_train_reader_mistakes_are_named(options, message):
    with pytest.raises(CheckFailure, match=message):
        check_train_reader(lambda *a, **kw: _loop(*a, **kw, **options))


def _loop_nll(model, tokens, labels, *, steps, batch_size, lr, clip_norm=1.0):
    """A correct alternative: log_softmax + nll_loss, zero_grad after the step, the batch by index arithmetic."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for s in range(steps):
        x, y = tokens[s * batch_size:][:batch_size], labels[s * batch_size:][:batch_size]
        loss = F.nll_loss(F.log_softmax(model(x), dim=-1), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(model.parameters()), max_norm=clip_norm)
        optimizer.step()
        optimizer.zero_grad()
        losses.append(float(loss.detach()))
    return losses


def test_train_reader_correct_alternative_passes(capsys):
    check_train_reader(_loop_nll)
    assert capsys.readouterr().out.startswith("✓ train_reader")


def test_train_reader_off_by_one_steps():
    with pytest.raises(CheckFailure, match="losses for"):
        check_train_reader(lambda m, x, y, *, steps, **kw: _loop(m, x, y, steps=steps, n=steps - 1, **kw))


# --------------------------------------------------------- grad_norms_by_distance

def _probe(model, tokens, labels, *, order="distance", at="state", reduction="mean", norm="norm", keep="h",
           loss_from="loop", detach=False):
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
        if detach and state is not None:                  # the state passed on is cut from the graph
            state = tuple(v.detach() for v in state) if isinstance(state, tuple) else state.detach()
        _, state = model.rnn(x[:, t:t + 1], state)
        v = state if not isinstance(state, tuple) else state[1] if keep == "c" else state[0]
        v.retain_grad()
        kept.append(v)
    h = state[0] if isinstance(state, tuple) else state
    logits = model(tokens) if loss_from == "model" else model.head(h[0])
    F.cross_entropy(logits, labels, reduction=reduction).backward()
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


@pytest.mark.parametrize("options", [dict(loss_from="model"), dict(detach=True), dict(keep="c")])
def test_grad_norms_grad_none_names_the_path(options):
    """A loss from model(tokens), a state detached between steps, or c kept instead of h (the fused layer's
    last c_T gets no gradient): some .grad is None, and reading its norm crashes. The message says why."""
    with pytest.raises(CheckFailure, match="raised AttributeError") as failure:
        check_grad_norms_by_distance(lambda m, x, y: _probe(m, x, y, **options))
    assert ("Likely cause: an h_t whose .grad is None is not on the path from the loss" in str(failure.value)
            and "from the last state of your own step-by-step loop" in str(failure.value)
            and "the state is the pair (h, c): h_t is its first element" in str(failure.value))


def _probe_autograd_grad(model, tokens, labels):
    """A correct alternative: torch.autograd.grad over the kept states instead of retain_grad."""
    x = model.embed(tokens)
    state, hs = None, []
    for t in range(tokens.shape[1]):
        _, state = model.rnn(x[:, t:t + 1], state)
        hs.append(state[0] if isinstance(state, tuple) else state)
    loss = F.cross_entropy(model.head(hs[-1].squeeze(0)), labels)
    grads = torch.autograd.grad(loss, hs)
    return torch.stack([torch.linalg.norm(g) for g in reversed(grads)])


def test_grad_norms_correct_alternative_passes(capsys):
    check_grad_norms_by_distance(_probe_autograd_grad)
    assert capsys.readouterr().out.startswith("✓ grad_norms_by_distance")


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
