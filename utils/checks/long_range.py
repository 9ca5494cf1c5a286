"""Checks of notebook 10_long_range: the murmured-sentence generator."""

from __future__ import annotations

import numpy as np

from ..synthetic.long_range import make_long_range as _reference, query_id, filler_id
from .core import Check, as_array, fmt_shape

__all__ = ["check_make_long_range"]

_CASES = {
    "n=6, gap=5": dict(n=6, gap=5, seed=0),
    "gap=0 (key then query)": dict(n=4, gap=0, seed=1),
    "gap=1": dict(n=5, gap=1, seed=2),
    "one sentence, gap=40": dict(n=1, gap=40, seed=3),
    "n=64, gap=30, 3 keys, 30 % distractors": dict(n=64, gap=30, n_keys=3, distractor_rate=0.3, seed=4),
}


def _diagnose(tokens, labels, ref_tokens, ref_labels, kw):
    """Name the mistake when the learner's sentences differ from the reference."""
    n, gap = kw["n"], kw["gap"]
    q = query_id(kw.get("n_keys", 4))
    if tokens.shape[1] == gap + 1:
        return "the sentence has gap + 1 tokens: an off-by-one in the gap length (key + gap murmur + query = gap + 2)."
    if tokens.shape[1] == gap + 3:
        return "the sentence has gap + 3 tokens: an off-by-one in the gap length (key + gap murmur + query = gap + 2)."
    if tokens.shape[1] != gap + 2 or tokens.shape[0] != n:
        return None
    for k in range(1, tokens.shape[1] - 1):
        if not np.array_equal(labels, tokens[:, 0]) and np.array_equal(labels, tokens[:, k]):
            return f"the key is at position {k}, not at the start: put it in column 0 (tokens[:, 0] = labels)."
    if not np.array_equal(labels, tokens[:, 0]):
        return "the label is not the key at position 0: labels must be tokens[:, 0] (the label comes from the key)."
    if np.any(tokens[:, -1] != q):
        return f"the last token is not the query (id {q})."
    if not np.array_equal(tokens[:, 0], ref_labels) and n > 1 and np.array_equal(np.sort(tokens[:, 0]), np.sort(ref_labels)):
        return "the keys are shuffled: draw the labels first, with rng.integers(0, n_keys, size=n)."
    if not np.array_equal(labels, ref_labels):
        return ("the labels differ from the seeded reference: draw them first, from np.random.default_rng(seed), "
                "with rng.integers(0, n_keys, size=n).")
    return ("the murmur differs from the seeded reference: after the labels draw rng.random((n, gap)) < distractor_rate, "
            "then rng.choice(distractor ids, size=number of distractors).")


def check_make_long_range(make_long_range):
    """Compare the learner's generator with utils.synthetic.long_range.make_long_range."""
    chk = Check("make_long_range", reference="utils.synthetic.long_range")
    for case, kw in _CASES.items():
        args = {k: v for k, v in kw.items()}
        n, gap = args.pop("n"), args.pop("gap")
        out = chk.call(make_long_range, n, gap, case=case, **args)
        if not isinstance(out, tuple) or len(out) != 2:
            chk.fail(case, f"expected a tuple (tokens, labels), got {type(out).__name__}.",
                     "return tokens, labels")
        tokens, labels = as_array(out[0]), as_array(out[1])
        ref_tokens, ref_labels = _reference(n, gap, **args)
        if tokens is None or labels is None:
            chk.fail(case, "tokens and labels must be arrays of integers.")
        if tokens.ndim != 2 or tokens.shape != ref_tokens.shape:
            chk.fail(case, f"tokens has shape {fmt_shape(tokens.shape)}, expected {fmt_shape(ref_tokens.shape)} "
                           f"= (n, gap + 2).", _diagnose(tokens, labels, ref_tokens, ref_labels, kw)
                     if tokens.ndim == 2 else None)
        if labels.shape != (n,):
            chk.fail(case, f"labels has shape {fmt_shape(labels.shape)}, expected {fmt_shape((n,))} = (n,).")
        for name, arr in (("tokens", tokens), ("labels", labels)):
            if not np.issubdtype(arr.dtype, np.integer):
                chk.fail(case, f"{name} has dtype {arr.dtype}, expected int64 (token ids index an embedding).")
        if not np.array_equal(tokens, ref_tokens) or not np.array_equal(labels, ref_labels):
            bad = np.argwhere(tokens != ref_tokens)
            where = f" First difference at sentence {bad[0][0]}, position {bad[0][1]}: got {tokens[tuple(bad[0])]}, " \
                    f"expected {ref_tokens[tuple(bad[0])]}." if len(bad) else ""
            chk.fail(case, f"the sentences differ from the reference.{where}",
                     _diagnose(tokens, labels, ref_tokens, ref_labels, kw))
    # Determinism: the same seed twice gives the same data, another seed other data.
    a = as_array(chk.call(make_long_range, 50, 10, seed=7, case="same seed twice")[0])
    b = as_array(chk.call(make_long_range, 50, 10, seed=7, case="same seed twice")[0])
    c = as_array(chk.call(make_long_range, 50, 10, seed=8, case="another seed")[0])
    chk.expect(np.array_equal(a, b), case="same seed twice", what="two calls with seed=7 gave different sentences.",
               cause="randomness not drawn from np.random.default_rng(seed) (a global or unseeded generator).")
    chk.expect(not np.array_equal(a, c), case="another seed", what="seed=7 and seed=8 gave the same sentences.",
               cause="the seed argument is ignored.")
    chk.done(extra=f"key at position 0, query at the end, filler id {filler_id()}")
