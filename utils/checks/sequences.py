"""Checks for notebook 03 (why sets are not enough): shapes of the four sequence
patterns, padding with a mask, masked mean pooling, and the bag-of-items model.

Every reference here is computed independently of the learner's code: shapes from the
definitions of the patterns, padding and means row by row with plain Python / NumPy
slicing (no masks involved), and the bag-of-items model from its own parameters.
"""

from __future__ import annotations

import numpy as np
import torch

from .core import Check, fmt_shape

__all__ = ["check_pattern_shapes", "check_pad_batch", "check_masked_mean", "check_BagOfItems"]

PATTERNS = ("one-to-one", "one-to-many", "many-to-one", "many-to-many")


# --- Exercise 1 · pattern_shapes ---------------------------------------------------------------

def _pattern_reference(batch, T_in, T_out, input_dim, output_dim):
    return {
        "one-to-one": ((batch, input_dim), (batch, output_dim)),
        "one-to-many": ((batch, input_dim), (batch, T_out, output_dim)),
        "many-to-one": ((batch, T_in, input_dim), (batch, output_dim)),
        "many-to-many": ((batch, T_in, input_dim), (batch, T_out, output_dim)),
    }


def _pattern_mistakes(batch, T_in, T_out, input_dim, output_dim):
    """{description: function(pattern) -> (input_shape, output_shape) that mistake gives}."""
    ref = _pattern_reference(batch, T_in, T_out, input_dim, output_dim)

    def time_first(p):
        def tf(shape):
            return (shape[1], shape[0], shape[2]) if len(shape) == 3 else shape
        return tuple(tf(s) for s in ref[p])

    return {
        "time-major shapes (T, batch, dim): this course puts the batch first, (batch, T, dim), "
        "as torch does with batch_first=True.": time_first,
        "the one-to-many output given T_in steps: a one-to-many model has no input sequence, its "
        "output sequence has T_out steps.":
            lambda p: (ref[p][0], (batch, T_in, output_dim)) if p == "one-to-many" else ref[p],
        "T_in and T_out swapped: the input sequence has T_in steps, the output sequence T_out.":
            lambda p: _pattern_reference(batch, T_out, T_in, input_dim, output_dim)[p],
        "input_dim and output_dim swapped: inputs have input_dim features, outputs output_dim.":
            lambda p: _pattern_reference(batch, T_in, T_out, output_dim, input_dim)[p],
        "a time axis of length 1 on a single item: one item is a plain vector (batch, dim).":
            lambda p: tuple((s[0], 1, s[1]) if len(s) == 2 else s for s in ref[p]),
        "an output at every step for many-to-one: a many-to-one model returns ONE output per "
        "sequence, (batch, output_dim).":
            lambda p: (ref[p][0], (batch, T_in, output_dim)) if p == "many-to-one" else ref[p],
    }


def _as_shape(value):
    """A shape given as tuple, list or torch.Size -> tuple of ints; None if it is not one."""
    if isinstance(value, (tuple, list, torch.Size)) and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        return tuple(int(v) for v in value)
    return None


def check_pattern_shapes(pattern_shapes):
    """pattern_shapes(batch, T_in, T_out, input_dim, output_dim) -> {pattern: (input_shape, output_shape)}."""
    chk = Check("pattern_shapes", reference="the shapes of the four patterns")
    cases = {
        "batch 4, T_in 6, T_out 3, input_dim 5, output_dim 2": (4, 6, 3, 5, 2),
        "batch of 1, T_in 1, T_out 7": (1, 1, 7, 3, 8),
        "aligned sequences, T_in = T_out = 5": (2, 5, 5, 10, 4),
    }
    for case, (batch, T_in, T_out, d_in, d_out) in cases.items():
        got = chk.call(pattern_shapes, batch=batch, T_in=T_in, T_out=T_out, input_dim=d_in, output_dim=d_out,
                       case=case)
        ref = _pattern_reference(batch, T_in, T_out, d_in, d_out)
        chk.expect(isinstance(got, dict), case=case,
                   what=f"expected a dict {{pattern name: (input_shape, output_shape)}}, got {type(got).__name__}.",
                   cause="the function does not `return` the dict." if got is None else None)
        missing = [p for p in PATTERNS if p not in got]
        chk.expect(not missing, case=case, what=f"the dict has no entry for {', '.join(map(repr, missing))}.",
                   cause=f"the keys must be exactly {', '.join(map(repr, PATTERNS))}.")
        mistakes = _pattern_mistakes(batch, T_in, T_out, d_in, d_out)
        answer = {}
        for p in PATTERNS:
            pair = got[p]
            ok_pair = isinstance(pair, (tuple, list)) and len(pair) == 2
            answer[p] = (_as_shape(pair[0]), _as_shape(pair[1])) if ok_pair else (None, None)
            chk.expect(ok_pair and None not in answer[p], case=case,
                       what=f"{p!r} should map to a pair (input_shape, output_shape) of tuples of ints, "
                            f"got {pair!r}.")
        # A mistake that explains every wrong entry at once is the likeliest cause.
        whole = [d for d, f in mistakes.items() if answer != ref and all(f(p) == answer[p] for p in PATTERNS)]
        for p in PATTERNS:
            for which, got_shape, exp_shape in (("input", answer[p][0], ref[p][0]),
                                                ("output", answer[p][1], ref[p][1])):
                if got_shape != exp_shape:
                    cause = (whole or [d for d, f in mistakes.items() if f(p) == answer[p]] or [None])[0]
                    chk.fail(case, f"the {which} shape of {p} is {fmt_shape(got_shape)}, expected "
                                   f"{fmt_shape(exp_shape)}.", cause)
    chk.done()


# --- Exercise 2 · pad_batch ---------------------------------------------------------------

def _pad_reference(seqs, pad_value):
    """Row by row, with plain Python lists: no masks involved."""
    rows = [[int(v) for v in s] for s in seqs]
    T = max(len(r) for r in rows)
    padded = np.array([r + [pad_value] * (T - len(r)) for r in rows], dtype=np.int64)
    mask = np.array([[True] * len(r) + [False] * (T - len(r)) for r in rows], dtype=bool)
    return padded, mask


def _pad_mistakes(seqs, pad_value):
    """{description: (padded, mask) that mistake gives}."""
    rows = [[int(v) for v in s] for s in seqs]
    T = max(len(r) for r in rows)
    padded, mask = _pad_reference(seqs, pad_value)
    left = np.array([[pad_value] * (T - len(r)) + r for r in rows], dtype=np.int64)
    zero = np.array([r + [0] * (T - len(r)) for r in rows], dtype=np.int64)
    return {
        "the padding is put in front of the items; pad at the end, so position t of every row is the t-th item.":
            (left, mask[:, ::-1].copy()),
        "the mask is True on the padding: it should be True where there is a REAL item.": (padded, ~mask),
        "the mask is computed as padded != pad_value, which also hides real items that happen to equal "
        "pad_value; build it from the lengths instead.": (padded, padded != pad_value),
        "pad_value is ignored (padding with 0 always).": (zero, mask),
        "the mask marks one position too many in every padded row: arange(T_max) <= length. Positions are "
        "counted from 0, so a history of length L fills positions 0 .. L-1: use arange(T_max) < length.":
            (padded, np.arange(T)[None, :] <= np.array([len(r) for r in rows])[:, None]),
    }


def check_pad_batch(pad_batch):
    """pad_batch(seqs, pad_value=0) -> (padded (batch, T_max) integers, mask (batch, T_max) bool)."""
    chk = Check("pad_batch", reference="a row-by-row padding in plain Python")
    cases = {
        "three histories of lengths 3, 1, 4": ([[5, 6, 7], [9], [1, 2, 3, 4]], 0),
        "batch of 1": ([[4, 8, 15, 16, 23]], 0),
        "all of the same length": ([[1, 2], [3, 4], [5, 6]], 0),
        "NumPy arrays, pad_value=-1": ([np.array([3, 1]), np.array([2, 7, 1, 8]), np.array([5])], -1),
        "a real item equal to pad_value": ([[0, 5, 0], [7]], 0),
        "torch tensors of length 1 and 2": ([torch.tensor([11]), torch.tensor([12, 13])], 0),
    }
    for case, (seqs, pad_value) in cases.items():
        got = chk.call(pad_batch, seqs, pad_value=pad_value, case=case)
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 2, case=case,
                   what=f"expected a pair (padded, mask), got {type(got).__name__}.",
                   cause="return both tensors: `return padded, mask`.")
        padded, mask = got
        exp_padded, exp_mask = _pad_reference(seqs, pad_value)
        for name, value in (("padded", padded), ("mask", mask)):
            chk.expect(isinstance(value, torch.Tensor), case=case,
                       what=f"{name} should be a torch tensor, got {type(value).__name__}.",
                       cause="the model that uses it is a torch module; build it with torch.full / torch.zeros "
                             "or convert with torch.as_tensor.")
        chk.expect(not padded.dtype.is_floating_point and padded.dtype != torch.bool, case=case,
                   what=f"padded has dtype {padded.dtype}, expected an integer dtype (torch.long).",
                   cause="item ids are integers (nn.Embedding looks them up); create the tensor with "
                         "dtype=torch.long.")
        chk.expect(mask.dtype == torch.bool, case=case,
                   what=f"mask has dtype {mask.dtype}, expected torch.bool.",
                   cause="create it with dtype=torch.bool (or from a comparison, which gives booleans).")
        wrong = _pad_mistakes(seqs, pad_value)
        chk.expect_close(padded, exp_padded, case=case, name="padded", shape_meaning="(batch, T_max)", atol=0,
                         mistakes={d: p for d, (p, m) in wrong.items()},
                         shape_cause="T_max is the length of the LONGEST sequence in the batch.")
        chk.expect_close(mask, exp_mask, case=case, name="mask", shape_meaning="(batch, T_max)", atol=0,
                         mistakes={d: m for d, (p, m) in wrong.items()})
    chk.done()


# --- Exercise 3 · masked_mean ---------------------------------------------------------------

def _masked_mean_reference(x, mask):
    """Row by row: the mean over the positions the mask marks, with NumPy only."""
    x, mask = x.detach().numpy(), mask.numpy()
    return np.stack([x[b][mask[b]].mean(axis=0) for b in range(len(x))])


_NO_KEEPDIM = ("the count of valid positions has shape (batch,) (mask.sum(dim=1) without keepdim), so torch "
               "lines it up with the LAST axis of the (batch, d) sum: that fails when batch != d, and silently "
               "divides column j by row j's count when batch == d. Keep the axis: "
               "mask.sum(dim=1, keepdim=True) has shape (batch, 1) and divides each row by its own count.")


def check_masked_mean(masked_mean):
    """masked_mean(x (batch, T, d), mask (batch, T) bool) -> (batch, d) torch tensor."""
    chk = Check("masked_mean", reference="the mean of each row's valid positions")
    gen = torch.Generator().manual_seed(3)

    def make(lengths, T, d, junk=100.0):
        x = torch.randn(len(lengths), T, d, generator=gen, dtype=torch.float64)
        mask = torch.arange(T).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
        x = torch.where(mask.unsqueeze(-1), x, torch.full_like(x, junk))  # padding holds junk
        return x, mask

    cases = {
        "ragged batch, lengths 4, 2, 5, junk in the padding": make([4, 2, 5], 5, 3),
        "batch of 1, no padding": make([6], 6, 4),
        "a length-1 sequence next to a length-3 one": make([1, 3], 3, 2, junk=-7.0),
        "zero input": (torch.zeros(2, 3, 4, dtype=torch.float64), torch.tensor([[1, 1, 0], [1, 0, 0]], dtype=torch.bool)),
        "batch of 4 with d = 3 (batch != d)": make([2, 5, 1, 3], 5, 3),
    }
    for case, (x, mask) in cases.items():
        expected = _masked_mean_reference(x, mask)
        xn, m = x.numpy(), mask.numpy()[..., None].astype(np.float64)
        T = x.shape[1]
        mistakes = {
            "dividing by T_max (the padded length) instead of each row's number of valid positions: "
            "padding adds zeros to the sum but must not count in the denominator.":
                (xn * m).sum(1) / T,
            "the mask is ignored, so the padding is averaged in too.": xn.mean(1),
            "dividing by the number of valid positions in the whole batch, not per row (sum the mask over "
            "the time axis only, keepdim).": (xn * m).sum(1) / m.sum(),
            "the masked values are summed but not divided by the count.": (xn * m).sum(1),
            "the mean is taken over the batch axis instead of the time axis.": lambda: (xn * m).sum(0) / m.sum(0),
            _NO_KEEPDIM: lambda: (xn * m).sum(1) / m[..., 0].sum(1)[None, :],
        }
        x_in = x.clone().requires_grad_(True)
        got = chk.call(masked_mean, x_in, mask.clone(), case=case, cause=_NO_KEEPDIM)
        chk.expect(isinstance(got, torch.Tensor), case=case,
                   what=f"expected a torch tensor, got {type(got).__name__}.",
                   cause="use torch operations only (no .numpy()), so that gradients can flow back to x.")
        chk.expect_close(got, expected, case=case, name="the mean", shape_meaning="(batch, d)", atol=1e-12,
                         mistakes=mistakes, shape_cause="average over the time axis (dim=1) only.")
        # The padding must not receive any gradient: it did not take part in the mean.
        chk.expect(got.requires_grad, case=case, what="the result does not depend on x through autograd.",
                   cause="the mean was computed outside torch (NumPy?) or under torch.no_grad().")
        got.sum().backward()
        lengths = mask.sum(1, keepdim=True).unsqueeze(-1).to(torch.float64)
        expected_grad = (mask.unsqueeze(-1).to(torch.float64) / lengths).expand_as(x).numpy()
        chk.expect_close(x_in.grad, expected_grad, case=case, name="the gradient of sum(mean) with respect to x",
                         shape_meaning="(batch, T, d)", atol=1e-12,
                         cause="padded positions must get zero gradient and each valid position 1/length.")
    chk.done()


# --- Exercise 4 · BagOfItems ---------------------------------------------------------------

def _bag_reference(E, W, b, items, mask):
    """NumPy only, row by row: mean of the embeddings of the real items, then the linear layer."""
    pooled = np.stack([E[items[r][mask[r]]].mean(axis=0) for r in range(len(items))])
    return pooled @ W.T + b


def check_BagOfItems(BagOfItems):
    """BagOfItems(vocab_size, embed_dim, n_classes) with .embed, .out; forward(items, mask) -> logits."""
    chk = Check("BagOfItems", reference="a row-by-row NumPy bag of embeddings")
    V, d, C = 12, 5, 7
    with torch.random.fork_rng():  # fixed weights, without disturbing the notebook's random stream
        torch.manual_seed(0)
        model = chk.call(BagOfItems, V, d, C, case="building BagOfItems(12, 5, 7)")
    chk.expect(isinstance(model, torch.nn.Module), case="building BagOfItems(12, 5, 7)",
               what=f"BagOfItems(...) gave a {type(model).__name__}, expected an nn.Module.",
               cause="BagOfItems must be a class that subclasses torch.nn.Module.")
    for attr, kind, shape, meaning in (("embed", torch.nn.Embedding, (V, d), "(vocab_size, embed_dim)"),
                                       ("out", torch.nn.Linear, (C, d), "(n_classes, embed_dim)")):
        layer = getattr(model, attr, None)
        chk.expect(isinstance(layer, kind), case="building BagOfItems(12, 5, 7)",
                   what=f"self.{attr} should be a torch.nn.{kind.__name__}, got {type(layer).__name__}.",
                   cause=f"create it in __init__ as self.{attr} = nn.{kind.__name__}(...).")
        chk.expect(tuple(layer.weight.shape) == shape, case="building BagOfItems(12, 5, 7)",
                   what=f"self.{attr}.weight has shape {fmt_shape(layer.weight.shape)}, expected "
                        f"{fmt_shape(shape)} = {meaning}.",
                   cause="check the order of the arguments you pass to the layer.")
    model = model.double()
    with torch.no_grad():  # a random, non-zero bias so a missing bias shows
        model.out.bias.copy_(torch.linspace(-1.0, 1.0, C, dtype=torch.float64))
    E = model.embed.weight.detach().numpy().copy()
    W = model.out.weight.detach().numpy().copy()
    b = model.out.bias.detach().numpy().copy()

    def batch(rows, T, junk=0):
        items = torch.full((len(rows), T), junk, dtype=torch.long)
        mask = torch.zeros(len(rows), T, dtype=torch.bool)
        for r, row in enumerate(rows):
            items[r, :len(row)] = torch.tensor(row)
            mask[r, :len(row)] = True
        return items, mask

    cases = {
        "ragged batch of 3": batch([[1, 2, 3], [4, 5], [6, 7, 8, 9]], 4),
        "batch of 1": batch([[3, 1, 4, 1, 5]], 5),
        "a length-1 history": batch([[8], [2, 9, 11]], 3),
        "padding filled with a real id (10), not 0": batch([[1, 2], [3, 4, 5, 6]], 4, junk=10),
        "the first history in another order": batch([[3, 2, 1], [4, 5], [9, 7, 8, 6]], 4),
    }
    for case, (items, mask) in cases.items():
        expected = _bag_reference(E, W, b, items.numpy(), mask.numpy())
        emb = E[items.numpy()]
        m = mask.numpy()[..., None].astype(np.float64)
        mean_pad = (emb * m).sum(1) / m.sum(1)
        mistakes = {
            "the padding is averaged in too: pool with masked_mean(embeddings, mask); the mask, not the "
            "padding id, says which positions hold real items.":
                emb.mean(1) @ W.T + b,
            "the embeddings are summed, not averaged.": (emb * m).sum(1) @ W.T + b,
            "dividing by T_max instead of the number of real items.": (emb * m).sum(1) / emb.shape[1] @ W.T + b,
            "forward returns probabilities (softmax); return the raw logits, cross_entropy applies the softmax.":
                lambda: torch.softmax(torch.tensor(mean_pad @ W.T + b), dim=-1).numpy(),
            "only the last position is used.": emb[:, -1] @ W.T + b,
            "the output layer is missing: the pooled embedding is returned.": mean_pad,
        }
        got = chk.call(model, items.clone(), mask.clone(), case=case)
        chk.expect_close(got, expected, case=case, name="the logits tensor", shape_meaning="(batch, n_classes)",
                         atol=1e-10, mistakes=mistakes,
                         cause="embed the items, pool them with masked_mean over the real ones, then apply self.out.")
    chk.done(extra="the same items in any order give the same logits")
