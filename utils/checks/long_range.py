"""Checks of notebook 10_long_range: the murmured-sentence generator and the training loop."""

from __future__ import annotations

import copy as _copy

import numpy as np
import torch as _torch
import torch.nn.functional as _F

from ..synthetic.long_range import make_long_range as _reference, query_id, filler_id
from .core import Check, as_array, fmt_shape

__all__ = ["check_make_long_range", "check_train_reader", "check_grad_norms_by_distance"]

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
    n_keys = kw.get("n_keys", 4)
    if n_keys != 4:                     # ids written for the default 4 keys: every id after the keys shifts
        shift = 4 - n_keys
        murmur, ref_murmur = tokens[:, 1:-1], ref_tokens[:, 1:-1]
        is_filler = ref_murmur == filler_id(n_keys)
        wrong = []
        if np.any(is_filler) and np.all(murmur[is_filler] == filler_id(4)):
            wrong.append(f"filler (got {filler_id(4)}, expected {filler_id(n_keys)})")
        if np.any(~is_filler) and np.all(murmur[~is_filler] == ref_murmur[~is_filler] + shift):
            wrong.append("distractor")
        if np.all(tokens[:, -1] == query_id(4)):
            wrong.append(f"query (got {query_id(4)}, expected {query_id(n_keys)})")
        if wrong:
            return (f"with n_keys={n_keys} the {', '.join(wrong)} ids are those of 4 keys. The ids depend on n_keys "
                    f"(the keys come first): use filler_id(n_keys), distractor_ids(n_keys) and query_id(n_keys).")
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


# ---------------------------------------------------------------- train_reader


class _Reader(_torch.nn.Module):
    """A small reader of the notebook's shape: embedding -> RNN or LSTM -> linear on the last state."""

    def __init__(self, cell, seed, vocab_size=9, embed_dim=5, hidden_dim=6, n_keys=4):
        super().__init__()
        with _torch.random.fork_rng():
            _torch.manual_seed(seed)
            self.embed = _torch.nn.Embedding(vocab_size, embed_dim, dtype=_torch.float64)
            rnn = _torch.nn.LSTM if cell == "lstm" else _torch.nn.RNN
            self.rnn = rnn(embed_dim, hidden_dim, batch_first=True, dtype=_torch.float64)
            self.head = _torch.nn.Linear(hidden_dim, n_keys, dtype=_torch.float64)

    def forward(self, tokens):
        _, state = self.rnn(self.embed(tokens))
        h = state[0] if isinstance(state, tuple) else state
        return self.head(h[0])


def _ref_train(model, tokens, labels, steps, batch_size, lr, clip_norm, mistake=None):
    """The reference loop, or one named mistake in it. Returns (losses, final parameters)."""
    model.zero_grad(set_to_none=True)           # no gradient left over from the previous run
    params = list(model.parameters())
    opt = (_torch.optim.SGD if mistake == "sgd" else _torch.optim.Adam)(params, lr=lr)
    losses = []
    for s in range(steps):
        rows = slice(0, batch_size) if mistake == "same batch" else slice(s * batch_size, (s + 1) * batch_size)
        loss = _F.cross_entropy(model(tokens[rows]), labels[rows], reduction="sum" if mistake == "sum" else "mean")
        if mistake != "no zero_grad":
            opt.zero_grad()
        loss.backward()
        if mistake != "no clip":
            _torch.nn.utils.clip_grad_norm_(params, 1.0 if mistake == "clip at 1.0" else clip_norm)
        opt.step()
        losses.append(loss.item())
    return np.array(losses), {n: p.detach().numpy().copy() for n, p in model.named_parameters()}


_TRAIN_MISTAKES = {
    "clip at 1.0": "the gradient is clipped at the wrong norm: 1.0, whatever clip_norm says. Use clip_norm: "
                   "clip_grad_norm_(model.parameters(), clip_norm) (this case asks for {clip:g}).",
    "no zero_grad": "the gradients are never zeroed, so each step adds to the last one's: call "
                    "optimizer.zero_grad() before loss.backward().",
    "no clip": "the gradient is not clipped (or clipped after optimizer.step(), where it has no effect): call "
               "torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm) between backward() and step().",
    "sgd": "the optimizer is SGD; the budget is Adam steps: torch.optim.Adam(model.parameters(), lr=lr).",
    "same batch": "every step trains on the first batch: step s takes rows s*batch_size to (s+1)*batch_size.",
    "sum": "the loss is summed over the batch; take the mean (cross_entropy's default), so the step does not "
           "depend on the batch size.",
}


def check_train_reader(train_reader):
    """Check train_reader(model, tokens, labels, *, steps, batch_size, lr, clip_norm) -> list of losses."""
    chk = Check("train_reader", reference="the same Adam loop written out")
    gen = np.random.default_rng(1010)
    # The first case clips gradients of norm 1.1-1.6 to 0.1, so "not clipped" and "clipped at a fixed 1.0"
    # give different losses there and each is named; in the LSTM case below they coincide (norms under 1).
    cases = {
        "RNN, 4 steps of 3 sentences, clipped to 0.1": ("rnn", 4, 3, 0.02, 0.1, 14),
        "LSTM, 5 steps of 4 sentences, clipped to 0.05": ("lstm", 5, 4, 0.05, 0.05, 11),
        "RNN, 3 steps of 2 sentences, clip 100 (inactive)": ("rnn", 3, 2, 0.01, 100.0, 12),
        "LSTM, one step of one sentence": ("lstm", 1, 1, 0.1, 0.5, 13),
    }
    for case, (cell, steps, B, lr, clip, seed) in cases.items():
        tokens = _torch.as_tensor(gen.integers(0, 9, size=(steps * B, 7)))
        labels = _torch.as_tensor(gen.integers(0, 4, size=steps * B))
        model = _Reader(cell, seed)
        start = _copy.deepcopy(model.state_dict())
        expected, exp_params = _ref_train(model, tokens, labels, steps, B, lr, clip)
        wrong = {}
        for mistake, description in _TRAIN_MISTAKES.items():
            model.load_state_dict(start)
            wrong[description.format(clip=clip)] = _ref_train(model, tokens, labels, steps, B, lr, clip, mistake)
        model.load_state_dict(start)
        model.zero_grad(set_to_none=True)       # a fresh model, as the notebook hands over: no .grad yet
        got = chk.call(train_reader, model, tokens, labels, steps=steps, batch_size=B, lr=lr, clip_norm=clip,
                       case=case, copy_args=False)
        if got is None:
            chk.fail(case, "train_reader returned None.", "end with `return losses`, the list of per-step losses.")
        if isinstance(got, _torch.Tensor) or not hasattr(got, "__len__"):
            chk.fail(case, f"expected a list of {steps} floats, got {type(got).__name__}.",
                     "append loss.item() at every step and return the list.")
        if any(isinstance(v, _torch.Tensor) for v in got):
            chk.fail(case, "the losses are tensors: append loss.item(), a float (a tensor keeps its whole graph alive).")
        chk.expect(len(got) == steps, case=case, what=f"{len(got)} losses for {steps} steps.",
                   cause="one loss per step, for exactly `steps` steps: for s in range(steps).")
        chk.expect_close(np.asarray(got, dtype=float), expected, case=case, name="the per-step losses",
                         atol=1e-9, mistakes={d: w[0] for d, w in wrong.items()},
                         cause="at step s: the batch of rows s*batch_size:(s+1)*batch_size, the mean cross-entropy "
                               "of model(tokens) against labels, zero_grad, backward, clip, step.")
        for name, p in model.named_parameters():
            chk.expect_close(p.detach().numpy(), exp_params[name], case=case, name=f"model.{name} after training",
                             atol=1e-9, mistakes={d: w[1][name] for d, w in wrong.items()},
                             cause="train the model you are given, in place, with one optimizer for all its "
                                   "parameters.")
    chk.done(extra="Adam, clipped, one fresh batch per step")


# ------------------------------------------------------- grad_norms_by_distance

def _unrolled_grads(model, tokens, labels, reduction="mean", of="h"):
    """dL/dh_t for every t, (T, batch, H), from the cell equations written out (not nn.RNN/LSTM's kernel).

    of="c": dL/dc_t of an LSTM's cell state instead (a mistake the check names)."""
    rnn = model.rnn
    W_xh, W_hh, b = rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0 + rnn.bias_hh_l0
    H = rnn.hidden_size
    x = model.embed(tokens)
    h = _torch.zeros(tokens.shape[0], H, dtype=x.dtype)
    c = _torch.zeros_like(h)
    hs = []
    for t in range(tokens.shape[1]):
        z = x[:, t] @ W_xh.T + h @ W_hh.T + b
        if isinstance(rnn, _torch.nn.LSTM):
            i, f, g, o = (_torch.sigmoid(z[:, :H]), _torch.sigmoid(z[:, H:2 * H]), _torch.tanh(z[:, 2 * H:3 * H]),
                          _torch.sigmoid(z[:, 3 * H:]))
            c = f * c + i * g
            h = o * _torch.tanh(c)
        else:
            h = _torch.tanh(z)
        kept = c if of == "c" else h
        kept.retain_grad()
        hs.append(kept)
    loss = _F.cross_entropy(model.head(h), labels, reduction=reduction)
    model.zero_grad()
    loss.backward()
    dh = np.stack([v.grad.numpy() for v in hs])          # (T, batch, H)
    model.zero_grad()
    return dh


def _by_distance(grads):
    """(T, batch, H) gradients -> (T,) norms of the whole (batch, H) gradient, d = 0 at the last step."""
    return np.linalg.norm(grads.reshape(len(grads), -1), axis=1)[::-1].copy()


_NO_GRAD = ("an h_t whose .grad is None is not on the path from the loss to the parameters. Compute the loss "
            "from the last state of your own step-by-step loop (not from model(tokens), which runs the layer "
            "again), pass each step's state on to the next step without detaching it, and call retain_grad() "
            "on every h_t before loss.backward(). With nn.LSTM the state is the pair (h, c): h_t is its first "
            "element (the last c_T never reaches the loss, so its .grad stays None).")


def _probe_cause(error):
    """The likely cause of reading a .grad that autograd never filled (None), or None."""
    if isinstance(error, (AttributeError, TypeError)) and "NoneType" in str(error):
        return _NO_GRAD
    return None


def check_grad_norms_by_distance(grad_norms_by_distance):
    """Check grad_norms_by_distance(model, tokens, labels) -> (T,) with [d] = ||dL/dh_{T-1-d}||."""
    chk = Check("grad_norms_by_distance", reference="the cell equations unrolled by hand, with autograd")
    gen = np.random.default_rng(1011)
    cases = {
        "LSTM, 3 sentences of 6 tokens": ("lstm", 3, 6, 21),
        "RNN, 3 sentences of 6 tokens": ("rnn", 3, 6, 22),
        "LSTM, one sentence of 9 tokens": ("lstm", 1, 9, 23),
        "RNN, 4 sentences of length 1": ("rnn", 4, 1, 24),
    }
    for case, (cell, B, T, seed) in cases.items():
        model = _Reader(cell, seed)
        with _torch.no_grad():                      # weights large enough that distance matters
            model.rnn.weight_hh_l0.mul_(3.0)
        tokens = _torch.as_tensor(gen.integers(0, 9, size=(B, T)))
        labels = _torch.as_tensor(gen.integers(0, 4, size=B))
        dh = _unrolled_grads(model, tokens, labels)
        expected = _by_distance(dh)
        mistakes = {
            "the norms are in time order; return them by distance from the end: result[d] is for t = T-1-d "
            "(reverse the list).": expected[::-1],
            "the gradient is taken at the outputs of one call over the whole sentence; only the last one reaches "
            "the loss directly. Step the layer one token at a time, pass the state on, and retain_grad() on "
            "the state it returns.": np.r_[expected[:1], np.zeros(T - 1)],
            "the loss is summed over the sentences; use the mean cross-entropy (the training loss).":
                _by_distance(_unrolled_grads(model, tokens, labels, "sum")),
            "the squared norm: take torch.linalg.norm / .norm() of the gradient, not its sum of squares.":
                expected ** 2,
            "the mean of one norm per sentence; take the norm of the whole (batch, hidden) gradient.":
                np.linalg.norm(dh, axis=2).mean(axis=1)[::-1],
        }
        if cell == "lstm":
            mistakes["the norms of dL/dc_t, the LSTM's cell state: take h, the first of the pair (h, c) that "
                     "nn.LSTM returns as its state."] = _by_distance(_unrolled_grads(model, tokens, labels, of="c"))
        got = chk.call(grad_norms_by_distance, model, tokens, labels, case=case, copy_args=False, cause=_probe_cause)
        if isinstance(got, _torch.Tensor):
            got = got.detach().numpy()
        chk.expect_close(got, expected, case=case, name="the gradient norms", shape_meaning="(T,), one per step",
                         atol=1e-9, rtol=1e-7, mistakes=mistakes,
                         cause="L = mean cross-entropy of model.head(h_T); [d] = the norm of dL/dh_t at t = T-1-d.")
    chk.done(extra="d = 0 is the last step")
