"""utils.train.fit with the inputs notebooks 03-12 give it: tuples of inputs, per-step
targets with a mask, clipping, length buckets, a named metric."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from utils import set_seed
from utils.train import accuracy, bucket_by_length, evaluate, fit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_train  # noqa: E402


def test_fit_does_exactly_the_plain_loops_work():
    """Same batches, same steps: the benchmark compares like with like (tests/bench_train.py)."""
    items, lengths, y = bench_train.data(300)
    set_seed(1)
    a = bench_train.LastStateRNN(65)
    set_seed(1)
    b = bench_train.LastStateRNN(65)
    fit(a, F.cross_entropy, ((items, lengths), y), epochs=2, lr=3e-3, batch_size=32, clip_norm=1.0, progress=False)
    bench_train.plain_loop(b, items, lengths, y, epochs=2, batch_size=32, lr=3e-3, clip=1.0)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(pa, pb), name


class Tagger(torch.nn.Module):
    """Per-step logits from (tokens, lengths): the shape of notebooks 07 and 08."""

    def __init__(self, vocab=12, classes=3, hidden=16):
        super().__init__()
        self.emb = torch.nn.Embedding(vocab, 8)
        self.rnn = torch.nn.RNN(8, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, classes)
        self.seen_lengths = []

    def forward(self, tokens, lengths):
        self.seen_lengths.append(lengths)
        return self.out(self.rnn(self.emb(tokens))[0])


def masked_ce(logits, tags, mask):
    per = F.cross_entropy(logits.transpose(1, 2), tags, reduction="none")
    return (per * mask).sum() / mask.sum()


def _tagging_data(n=200, T=9, seed=0):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, T + 1, (n,), generator=g)
    tokens = torch.randint(1, 12, (n, T), generator=g)
    mask = torch.arange(T)[None] < lengths[:, None]
    tokens = tokens * mask
    tags = (tokens % 3) * mask  # the tag is a function of the token: learnable
    return tokens, lengths, tags, mask.float()


def test_tuple_inputs_and_masked_per_step_targets():
    set_seed(0)
    tokens, lengths, tags, mask = _tagging_data()
    model = Tagger()
    h = fit(model, masked_ce, ((tokens, lengths), (tags, mask)), epochs=30, lr=0.03, batch_size=32,
            val_data=((tokens, lengths), (tags, mask)), metric=accuracy, metric_name="token accuracy",
            progress=False)
    assert h["metric_name"] == "token accuracy"
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert h["val_metric"][-1] > 0.9
    assert len(h["seconds_at"]) == 30 and h["seconds_at"] == sorted(h["seconds_at"])
    assert "grad_norm" not in h  # only recorded when clipping, so fit costs no extra pass otherwise


def test_masked_accuracy_ignores_padding():
    logits = torch.tensor([[[1.0, 0], [0, 1.0], [5.0, 0]]])  # predicts 0, 1, 0
    tags = torch.tensor([[0, 1, 1]])
    mask = torch.tensor([[1, 1, 0]])
    assert accuracy(logits, tags, mask) == 1.0  # the wrong third position is padding
    assert accuracy(logits, tags) == pytest.approx(2 / 3)


def test_clip_norm_clips_and_records_the_norm_before_clipping():
    set_seed(0)
    X, y = torch.randn(64, 4) * 100, torch.randint(0, 2, (64,))
    model = torch.nn.Linear(4, 2)
    seen = []
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the weights stay, only the gradients matter

    def spy(model, xb, yb):
        return F.cross_entropy(model(*xb), *yb)

    orig_step = opt.step

    def step(*a, **k):
        seen.append(torch.sqrt(sum(p.grad.pow(2).sum() for p in model.parameters())).item())
        return orig_step(*a, **k)

    opt.step = step
    h = fit(model, F.cross_entropy, (X, y), epochs=1, batch_size=64, optimizer=opt, clip_norm=0.5,
            batch_loss=spy, progress=False)
    assert h["grad_norm"][0] > 0.5  # the norm before clipping, large with inputs of size 100
    assert seen[0] == pytest.approx(0.5, rel=1e-5)  # what the optimizer saw was clipped


def test_bucket_by_length_covers_every_example_once_with_little_padding():
    rng = np.random.default_rng(0)
    lengths = rng.integers(1, 200, size=3000)
    batches = bucket_by_length(lengths, 32)(np.random.default_rng(1))
    flat = torch.cat(batches).numpy()
    assert sorted(flat) == list(range(3000))
    spread = np.mean([lengths[b.numpy()].max() - lengths[b.numpy()].min() for b in batches])
    assert spread < 15, f"batches mix lengths (mean spread {spread:.1f})"
    again = bucket_by_length(lengths, 32)(np.random.default_rng(2))
    assert not all(torch.equal(a, b) for a, b in zip(batches, again)), "the order should change between epochs"


def test_fit_uses_the_batches_it_is_given():
    set_seed(0)
    tokens, lengths, tags, mask = _tagging_data(n=64)
    model = Tagger()
    fit(model, masked_ce, ((tokens, lengths), (tags, mask)), epochs=1, batches=bucket_by_length(lengths, 8),
        progress=False)
    spreads = [int(l.max() - l.min()) for l in model.seen_lengths]
    assert max(spreads) <= 3, spreads


def test_evaluate_weights_batches_by_size():
    X, y = torch.randn(10, 3), torch.randint(0, 2, (10,))
    model = torch.nn.Linear(3, 2)
    whole, _ = evaluate(model, (X, y), F.cross_entropy, batch_size=100)
    parts, _ = evaluate(model, (X, y), F.cross_entropy, batch_size=3)  # batches of 3, 3, 3, 1
    assert parts == pytest.approx(whole, rel=1e-6)


def test_fit_names_mismatched_tensors():
    with pytest.raises(ValueError, match=r"same first dimension.*\(3, 2\), \(2,\)"):
        fit(torch.nn.Linear(2, 2), F.cross_entropy, (torch.zeros(3, 2), torch.zeros(2)), epochs=1, progress=False)
    with pytest.raises(ValueError, match="same first dimension"):
        fit(Tagger(), masked_ce, ((torch.zeros(4, 3, dtype=torch.long), torch.ones(5)), (torch.zeros(4, 3),)),
            epochs=1, progress=False)


def test_fit_learns_a_separable_problem_reproducibly():
    def run():
        set_seed(0)
        X = torch.randn(256, 4)
        y = (X[:, 0] + X[:, 1] > 0).long()
        model = torch.nn.Linear(4, 2)
        return fit(model, F.cross_entropy, (X, y), epochs=15, lr=0.05, val_data=(X, y), metric=accuracy,
                   progress=False)
    h1, h2 = run(), run()
    assert h1["val_metric"][-1] > 0.95
    assert h1["train_loss"][-1] < h1["train_loss"][0]
    assert h1["train_loss"] == h2["train_loss"]
    assert len(h1["epoch"]) == len(h1["val_loss"]) == 15
