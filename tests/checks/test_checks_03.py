"""The checks of notebook 03: the solution passes, the stub says "not implemented", and
plausible wrong answers fail with a message that names the mistake."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

from utils.checks import CheckFailure
from utils.checks.sequences import check_BagOfItems, check_masked_mean, check_pad_batch, check_pattern_shapes


def stub(*args, **kwargs):
    raise NotImplementedError()


# --- pattern_shapes -----------------------------------------------------------------------

def pattern_shapes(batch, T_in, T_out, input_dim, output_dim):
    return {
        "one-to-one": ((batch, input_dim), (batch, output_dim)),
        "one-to-many": ((batch, input_dim), (batch, T_out, output_dim)),
        "many-to-one": ((batch, T_in, input_dim), (batch, output_dim)),
        "many-to-many": ((batch, T_in, input_dim), (batch, T_out, output_dim)),
    }


def shapes_time_first(batch, T_in, T_out, input_dim, output_dim):
    return {
        "one-to-one": ((batch, input_dim), (batch, output_dim)),
        "one-to-many": ((batch, input_dim), (T_out, batch, output_dim)),
        "many-to-one": ((T_in, batch, input_dim), (batch, output_dim)),
        "many-to-many": ((T_in, batch, input_dim), (T_out, batch, output_dim)),
    }


def shapes_swapped_T(batch, T_in, T_out, input_dim, output_dim):
    return pattern_shapes(batch, T_out, T_in, input_dim, output_dim)


def shapes_many_to_one_every_step(batch, T_in, T_out, input_dim, output_dim):
    d = pattern_shapes(batch, T_in, T_out, input_dim, output_dim)
    d["many-to-one"] = ((batch, T_in, input_dim), (batch, T_in, output_dim))
    return d


def shapes_one_to_many_T_in(batch, T_in, T_out, input_dim, output_dim):
    d = pattern_shapes(batch, T_in, T_out, input_dim, output_dim)
    d["one-to-many"] = ((batch, input_dim), (batch, T_in, output_dim))
    return d


def shapes_dims_swapped(batch, T_in, T_out, input_dim, output_dim):
    return pattern_shapes(batch, T_in, T_out, output_dim, input_dim)


def shapes_lists(batch, T_in, T_out, input_dim, output_dim):  # lists and torch.Size are fine too
    d = pattern_shapes(batch, T_in, T_out, input_dim, output_dim)
    return {k: (list(a), torch.Size(b)) for k, (a, b) in d.items()}


def test_pattern_shapes_solution_passes(capsys):
    check_pattern_shapes(pattern_shapes)
    check_pattern_shapes(shapes_lists)
    assert capsys.readouterr().out.startswith("✓ pattern_shapes: 3/3 cases match")


def test_pattern_shapes_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_pattern_shapes(stub)


@pytest.mark.parametrize("wrong, words", [
    (shapes_time_first, "batch first"),
    (shapes_swapped_T, "T_in and T_out swapped"),
    (shapes_many_to_one_every_step, "ONE output per sequence"),
    (shapes_one_to_many_T_in, "one-to-many output given T_in steps"),
    (shapes_dims_swapped, "input_dim and output_dim swapped"),
])
def test_pattern_shapes_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_pattern_shapes(wrong)


def test_pattern_shapes_missing_key():
    def partial(batch, T_in, T_out, input_dim, output_dim):
        d = pattern_shapes(batch, T_in, T_out, input_dim, output_dim)
        del d["many-to-many"]
        return d
    with pytest.raises(CheckFailure, match="no entry for 'many-to-many'"):
        check_pattern_shapes(partial)


# --- pad_batch ------------------------------------------------------------------------------

def pad_batch(seqs, pad_value=0):
    lengths = torch.tensor([len(s) for s in seqs])
    T_max = int(lengths.max())
    padded = torch.full((len(seqs), T_max), pad_value, dtype=torch.long)
    for i, s in enumerate(seqs):
        padded[i, :len(s)] = torch.as_tensor(s, dtype=torch.long)
    mask = torch.arange(T_max).unsqueeze(0) < lengths.unsqueeze(1)
    return padded, mask


def pad_left(seqs, pad_value=0):
    T_max = max(len(s) for s in seqs)
    padded = torch.full((len(seqs), T_max), pad_value, dtype=torch.long)
    mask = torch.zeros(len(seqs), T_max, dtype=torch.bool)
    for i, s in enumerate(seqs):
        padded[i, T_max - len(s):] = torch.as_tensor(s, dtype=torch.long)
        mask[i, T_max - len(s):] = True
    return padded, mask


def pad_mask_from_values(seqs, pad_value=0):
    padded, _ = pad_batch(seqs, pad_value)
    return padded, padded != pad_value


def pad_mask_inverted(seqs, pad_value=0):
    padded, mask = pad_batch(seqs, pad_value)
    return padded, ~mask


def pad_ignores_value(seqs, pad_value=0):
    return pad_batch(seqs, 0)


def pad_int_mask(seqs, pad_value=0):
    padded, mask = pad_batch(seqs, pad_value)
    return padded, mask.long()


def pad_numpy(seqs, pad_value=0):
    padded, mask = pad_batch(seqs, pad_value)
    return padded.numpy(), mask.numpy()


def pad_first_length(seqs, pad_value=0):
    T = len(seqs[0])
    padded = torch.full((len(seqs), T), pad_value, dtype=torch.long)
    mask = torch.zeros(len(seqs), T, dtype=torch.bool)
    for i, s in enumerate(seqs):
        n = min(len(s), T)
        padded[i, :n] = torch.as_tensor(s, dtype=torch.long)[:n]
        mask[i, :n] = True
    return padded, mask


def pad_mask_one_too_long(seqs, pad_value=0):
    padded, _ = pad_batch(seqs, pad_value)
    lengths = torch.tensor([len(s) for s in seqs])
    return padded, torch.arange(padded.shape[1]).unsqueeze(0) <= lengths.unsqueeze(1)


def test_pad_batch_solution_passes(capsys):
    check_pad_batch(pad_batch)
    assert capsys.readouterr().out.startswith("✓ pad_batch: 6/6 cases match")


def test_pad_batch_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_pad_batch(stub)


@pytest.mark.parametrize("wrong, words", [
    (pad_left, "padding is put in front"),
    (pad_mask_from_values, "padded != pad_value"),
    (pad_mask_inverted, "True on the padding"),
    (pad_ignores_value, "pad_value is ignored"),
    (pad_int_mask, "expected torch.bool"),
    (pad_numpy, "should be a torch tensor"),
    (pad_first_length, "LONGEST sequence"),
    (pad_mask_one_too_long, r"one position too many(.|\n)*arange\(T_max\) < length"),
])
def test_pad_batch_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_pad_batch(wrong)


# --- masked_mean ------------------------------------------------------------------------------

def masked_mean(x, mask):
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum(dim=1)


def mean_over_T_max(x, mask):
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / x.shape[1]


def mean_ignores_mask(x, mask):
    return x.mean(dim=1)


def mean_batch_count(x, mask):
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1) / m.sum()


def masked_sum(x, mask):
    m = mask.unsqueeze(-1).to(x.dtype)
    return (x * m).sum(dim=1)


def mean_numpy(x, mask):
    import numpy as np
    xn, m = x.detach().numpy(), mask.numpy()[..., None]
    return torch.from_numpy((xn * m).sum(1) / m.sum(1))


def mean_no_keepdim(x, mask):  # the count has shape (batch,): broadcasts against d, not batch
    return (x * mask.unsqueeze(-1).to(x.dtype)).sum(dim=1) / mask.sum(dim=1)


def mean_no_keepdim_square_only(x, mask):  # runs (wrongly) only where batch == d, like a notebook whose batch happened to equal d
    try:
        return mean_no_keepdim(x, mask)
    except RuntimeError:
        return masked_mean(x, mask)


def mean_loop(x, mask):  # another correct answer: row by row with boolean indexing
    return torch.stack([x[b][mask[b]].mean(dim=0) for b in range(len(x))])


def test_masked_mean_solution_passes(capsys):
    check_masked_mean(masked_mean)
    check_masked_mean(mean_loop)
    assert capsys.readouterr().out.startswith("✓ masked_mean: 5/5 cases match")


def test_masked_mean_without_keepdim_crashes_with_a_cause_when_batch_differs_from_d():
    def only_wrong_when_batch_differs(x, mask):
        return mean_no_keepdim(x, mask) if x.shape[0] == 4 else masked_mean(x, mask)
    with pytest.raises(AssertionError, match=r'case "batch of 4 with d = 3 \(batch != d\)"(.|\n)*raised RuntimeError'
                                             r'(.|\n)*keepdim=True'):
        check_masked_mean(only_wrong_when_batch_differs)


def test_masked_mean_stub_not_implemented():
    with pytest.raises(NotImplementedError):
        check_masked_mean(stub)


@pytest.mark.parametrize("wrong, words", [
    (mean_over_T_max, "dividing by T_max"),
    (mean_ignores_mask, "padding is averaged in"),
    (mean_batch_count, "whole batch"),
    (masked_sum, "summed but not divided"),
    (mean_numpy, "autograd"),
    (mean_no_keepdim, r"mask.sum\(dim=1\) without keepdim(.|\n)*keepdim=True"),
    (mean_no_keepdim_square_only, r"case \"ragged batch(.|\n)*divides column j by row j's count"),
])
def test_masked_mean_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_masked_mean(wrong)


# --- BagOfItems ------------------------------------------------------------------------------

class BagOfItems(nn.Module):
    def __init__(self, vocab_size, embed_dim, n_classes):
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed_dim)
        self.out = nn.Linear(embed_dim, n_classes)

    def forward(self, items, mask):
        return self.out(masked_mean(self.embed(items), mask))


class BagPlainMean(BagOfItems):
    def forward(self, items, mask):
        return self.out(self.embed(items).mean(dim=1))


class BagSum(BagOfItems):
    def forward(self, items, mask):
        return self.out(masked_sum(self.embed(items), mask))


class BagSoftmax(BagOfItems):
    def forward(self, items, mask):
        return torch.softmax(super().forward(items, mask), dim=-1)


class BagLast(BagOfItems):
    def forward(self, items, mask):
        return self.out(self.embed(items)[:, -1])


class BagPaddingIdx(BagOfItems):
    """Relies on padding id 0 instead of the mask: wrong when the padding holds another id."""
    def __init__(self, vocab_size, embed_dim, n_classes):
        super().__init__(vocab_size, embed_dim, n_classes)
        self.embed = nn.Embedding(vocab_size, embed_dim, padding_idx=0)

    def forward(self, items, mask):
        return self.out(masked_mean(self.embed(items), items != 0))


class BagWrongShapes(nn.Module):
    def __init__(self, vocab_size, embed_dim, n_classes):
        super().__init__()
        self.embed = nn.Embedding(embed_dim, vocab_size)
        self.out = nn.Linear(embed_dim, n_classes)

    def forward(self, items, mask):
        return self.out(masked_mean(self.embed(items), mask))


class BagNoModule:
    def __init__(self, vocab_size, embed_dim, n_classes):
        pass


def test_bag_solution_passes(capsys):
    check_BagOfItems(BagOfItems)
    assert capsys.readouterr().out.startswith("✓ BagOfItems: 6/6 cases match")


def test_bag_does_not_touch_global_rng():
    torch.manual_seed(123)
    a = torch.rand(3)
    torch.manual_seed(123)
    check_BagOfItems(BagOfItems)
    assert torch.equal(torch.rand(3), a)


def test_bag_stub_not_implemented():
    class Stub(nn.Module):
        def __init__(self, vocab_size, embed_dim, n_classes):
            super().__init__()
            raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check_BagOfItems(Stub)

    class StubForward(BagOfItems):
        def forward(self, items, mask):
            raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        check_BagOfItems(StubForward)


@pytest.mark.parametrize("wrong, words", [
    (BagPlainMean, "padding is averaged in"),
    (BagSum, "summed, not averaged"),
    (BagSoftmax, "probabilities"),
    (BagLast, "only the last position"),
    (BagPaddingIdx, "the mask, not the padding id"),
    (BagWrongShapes, r"self.embed.weight has shape \(5, 12\)"),
    (BagNoModule, "expected an nn.Module"),
])
def test_bag_wrong_named(wrong, words):
    with pytest.raises(AssertionError, match=words):
        check_BagOfItems(wrong)
