"""Checks for 05_bptt: backpropagation through time, gradient checking, clipping, truncation.

The references are independent of the learner's code and of each other's formulas:

- the backward passes are compared with torch autograd on the same forward (float64);
- ``grad_check`` is compared with central differences computed here on functions with
  known gradients (exact small cases);
- ``clip_grad_norm`` is compared with ``torch.nn.utils.clip_grad_norm_``;
- ``run_truncated`` is compared with an explicit chunked computation in which every
  chunk starts from a state computed under ``torch.no_grad()``, so that by
  construction no gradient can cross a chunk boundary.

The cache of one RNN step is the tuple the notebook's ``rnn_step`` returns:
``cache = (x, h_prev, h_next, W_xh, W_hh)``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..gradcheck import numeric_gradient, relative_error
from .core import Check, as_array
from .training_ffn import _forward_difference

__all__ = ["check_rnn_step_backward", "check_rnn_backward", "check_grad_check", "check_clip_grad_norm",
           "check_run_truncated"]


# ------------------------------------------------------------------ helpers

def _weights(rng, input_dim, hidden_dim, scale=0.6):
    """Random float64 weights stored as torch stores them: (out_features, in_features)."""
    W_xh = rng.normal(0.0, scale, size=(hidden_dim, input_dim))
    W_hh = rng.normal(0.0, scale, size=(hidden_dim, hidden_dim))
    b_h = rng.normal(0.0, 0.5, size=(hidden_dim,))
    return W_xh, W_hh, b_h


def _make_cache(x, h_prev, W_xh, W_hh, b_h):
    """The cache of one step, in the notebook's format: (x, h_prev, h_next, W_xh, W_hh)."""
    h_next = np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)
    return (x, h_prev, h_next, W_xh, W_hh)


def _np_step_backward(dh_next, cache, deriv="h_next"):
    """A plain NumPy step backward, used only to describe mistakes (not as the reference)."""
    x, h_prev, h_next, W_xh, W_hh = cache
    if deriv == "h_next":
        da = dh_next * (1.0 - h_next ** 2)
    elif deriv == "none":
        da = dh_next
    elif deriv == "h_prev":
        da = dh_next * (1.0 - h_prev ** 2)
    elif deriv == "not squared":
        da = dh_next * (1.0 - h_next)
    elif deriv == "tanh twice":
        da = dh_next * (1.0 - np.tanh(h_next) ** 2)
    else:  # pragma: no cover
        raise ValueError(deriv)
    return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def _tuple_of(chk, result, n, case, names):
    """The learner's result must be a tuple (or list) of n outputs."""
    chk.expect(isinstance(result, (tuple, list)) and len(result) == n, case=case,
               what=f"expected a tuple of {n} arrays ({', '.join(names)}), got "
                    f"{type(result).__name__}{'' if not isinstance(result, (tuple, list)) else f' of length {len(result)}'}.",
               cause=f"end the function with `return {', '.join(names)}`.")
    return result


# ----------------------------------------------------------- rnn_step_backward

_STEP_NAMES = ("dx", "dh_prev", "dW_xh", "dW_hh", "db_h")
_STEP_SHAPES = ("(batch, input_dim)", "(batch, hidden_dim)", "(hidden_dim, input_dim) = W_xh's shape",
                "(hidden_dim, hidden_dim) = W_hh's shape", "(hidden_dim,) = b_h's shape")


def _torch_step_grads(x, h_prev, W_xh, W_hh, b_h, dh_next):
    """Autograd's gradients of sum(h_next * dh_next) w.r.t. x, h_prev, W_xh, W_hh, b_h (float64)."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, h_prev, W_xh, W_hh, b_h)]
    tx, th, tWx, tWh, tb = ts
    h_next = torch.tanh(tx @ tWx.T + th @ tWh.T + tb)
    (h_next * torch.from_numpy(dh_next)).sum().backward()
    return tuple(t.grad.numpy() for t in ts)


def _step_cases():
    rng = np.random.default_rng(505)
    cases = {}
    W = _weights(rng, 3, 5)
    cases["batch of 4, input_dim 3, hidden_dim 5"] = (rng.normal(size=(4, 5)), rng.normal(size=(4, 3)),
                                                      rng.normal(size=(4, 5)), W)
    W = _weights(rng, 4, 4)
    cases["input_dim = hidden_dim = 4"] = (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)),
                                           rng.normal(size=(3, 4)), W)
    W = _weights(rng, 6, 2)
    cases["batch of 1"] = (rng.normal(size=(1, 2)), rng.normal(size=(1, 6)), rng.normal(size=(1, 2)), W)
    W = _weights(rng, 3, 5)
    cases["zero input and zero h_prev"] = (rng.normal(size=(2, 5)), np.zeros((2, 3)), np.zeros((2, 5)), W)
    W = _weights(rng, 2, 3, scale=3.0)
    cases["large pre-activations (tanh saturates)"] = (rng.normal(size=(5, 3)), 3 * rng.normal(size=(5, 2)),
                                                       rng.normal(size=(5, 3)), W)
    W = _weights(rng, 3, 4)
    cases["zero upstream gradient dh_next"] = (np.zeros((2, 4)), rng.normal(size=(2, 3)),
                                               rng.normal(size=(2, 4)), W)
    return cases


def _step_mistakes(dh_next, cache):
    x, h_prev, h_next, W_xh, W_hh = cache
    da = dh_next * (1.0 - h_next ** 2)
    per_output = [dict() for _ in range(5)]

    def add(description, outputs):
        for i, value in outputs.items():
            per_output[i][description] = value

    for deriv, description in [
        ("none", "the tanh derivative is missing: multiply dh_next by (1 - h_next**2) before anything else."),
        ("h_prev", "the tanh derivative uses h_prev; it is 1 - h_next**2, the output of this step's tanh."),
        ("not squared", "the tanh derivative is 1 - h_next**2 (squared), not 1 - h_next."),
        ("tanh twice", "tanh was applied again: h_next already is tanh(a), so tanh'(a) = 1 - h_next**2."),
    ]:
        wrong = _np_step_backward(dh_next, cache, deriv)
        add(description, dict(enumerate(wrong)))
    add("dh_prev = da @ W_hh.T: W_hh is stored (out, in), so the gradient back to h_prev is da @ W_hh.",
        {1: lambda: da @ W_hh.T})
    add("dx = da @ W_xh.T: W_xh is stored (hidden_dim, input_dim), so the gradient back to x is da @ W_xh.",
        {0: lambda: da @ W_xh.T})
    add("dW_xh is transposed: it has W_xh's shape (hidden_dim, input_dim), so it is da.T @ x.", {2: lambda: x.T @ da})
    add("dW_hh is transposed: it is da.T @ h_prev (row i belongs to hidden unit i).", {3: lambda: h_prev.T @ da})
    add("dW_hh uses h_next; the recurrent weights multiply h_prev, so dW_hh = da.T @ h_prev.", {3: da.T @ h_next})
    add("db_h is averaged over the batch; sum it (db_h = da.sum(axis=0)): any averaging is already in dh_next.",
        {4: da.mean(axis=0)})
    add("db_h uses dh_next; the bias sits inside tanh, so db_h = da.sum(axis=0) with da = dh_next * (1 - h_next**2).",
        {4: dh_next.sum(axis=0)})
    return per_output


def check_rnn_step_backward(rnn_step_backward):
    """Check rnn_step_backward(dh_next, cache) -> (dx, dh_prev, dW_xh, dW_hh, db_h) against autograd."""
    chk = Check("rnn_step_backward", reference="torch autograd")
    for case, (dh_next, x, h_prev, W) in _step_cases().items():
        W_xh, W_hh, b_h = W
        cache = _make_cache(x, h_prev, W_xh, W_hh, b_h)
        expected = _torch_step_grads(x, h_prev, W_xh, W_hh, b_h, dh_next)
        mistakes = _step_mistakes(dh_next, cache)
        got = chk.call(rnn_step_backward, dh_next.copy(), tuple(a.copy() for a in cache), case=case,
                       cause="cache is (x, h_prev, h_next, W_xh, W_hh), as rnn_step returns it; "
                             "unpack it with `x, h_prev, h_next, W_xh, W_hh = cache`.")
        got = _tuple_of(chk, got, 5, case, _STEP_NAMES)
        for i in (1, 0, 2, 3, 4):  # dh_prev first: it is what the next step backward receives
            chk.expect_close(got[i], expected[i], case=case, name=_STEP_NAMES[i], shape_meaning=_STEP_SHAPES[i],
                             atol=1e-10, mistakes=mistakes[i],
                             shape_cause="every gradient has the shape of what it is the gradient of "
                                         "(dW_xh like W_xh, db_h like b_h, dx like x).",
                             cause="start from da = dh_next * (1 - h_next**2); then dx = da @ W_xh, "
                                   "dh_prev = da @ W_hh, dW_xh = da.T @ x, dW_hh = da.T @ h_prev, "
                                   "db_h = da summed over the batch.")
    chk.done()


# ----------------------------------------------------------------- rnn_backward

_SEQ_NAMES = ("dxs", "dh0", "dW_xh", "dW_hh", "db_h")
_SEQ_SHAPES = ("(batch, T, input_dim)", "(batch, hidden_dim)", "(hidden_dim, input_dim)",
               "(hidden_dim, hidden_dim)", "(hidden_dim,)")


def _np_caches(xs, h0, W_xh, W_hh, b_h):
    h, caches = h0, []
    for t in range(xs.shape[1]):
        cache = _make_cache(xs[:, t], h, W_xh, W_hh, b_h)
        caches.append(cache)
        h = cache[2]
    return caches


def _torch_seq_grads(xs, h0, W_xh, W_hh, b_h, dhs):
    """Autograd's gradients of sum_t sum(h_t * dhs[:, t]) through an unrolled tanh RNN (float64)."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (xs, h0, W_xh, W_hh, b_h)]
    txs, th, tWx, tWh, tb = ts
    hs = []
    for t in range(xs.shape[1]):
        th = torch.tanh(txs[:, t] @ tWx.T + th @ tWh.T + tb)
        hs.append(th)
    (torch.stack(hs, dim=1) * torch.from_numpy(dhs)).sum().backward()
    return tuple(t.grad.numpy() for t in ts)


def _seq_variant(dhs, caches, mode):
    """The output of a backward loop with one plausible mistake (mode), to name it in a message."""
    batch, T, _ = dhs.shape
    input_dim = caches[0][0].shape[1]
    W_xh, W_hh = caches[0][3], caches[0][4]
    dxs = np.zeros((batch, T, input_dim))
    dW_xh, dW_hh = np.zeros_like(W_xh), np.zeros_like(W_hh)
    db_h = np.zeros(W_hh.shape[0])
    dh_future = np.zeros_like(dhs[:, 0])
    order = range(T) if mode == "forward order" else range(T - 1, -1, -1)
    if mode == "skip last step":
        order = range(T - 2, -1, -1)          # for t in reversed(range(T - 1))
    elif mode == "skip first step":
        order = range(T - 1, 0, -1)           # for t in range(T - 1, 0, -1)
    dh_at_step0 = np.zeros_like(dhs[:, 0])
    for t in order:
        if mode == "own loss off by one":
            dh = dhs[:, t - 1] + dh_future    # dhs[:, -1] at t = 0, as Python indexing gives it
        elif mode == "no future":
            dh = dhs[:, t]
        elif mode == "last only":
            dh = dh_future + (dhs[:, t] if t == T - 1 else 0.0)
        else:
            dh = dhs[:, t] + dh_future
        if t == 0:
            dh_at_step0 = dh
        dx, dh_future, gW_xh, gW_hh, gb_h = _np_step_backward(dh, caches[t])
        dxs[:, t] = dx
        if mode == "overwrite":
            dW_xh, dW_hh, db_h = gW_xh, gW_hh, gb_h
        else:
            dW_xh, dW_hh, db_h = dW_xh + gW_xh, dW_hh + gW_hh, db_h + gb_h
    if mode == "reversed dxs":
        dxs = dxs[:, ::-1]
    if mode == "dh0 is dh at step 0":
        return dxs, dh_at_step0, dW_xh, dW_hh, db_h
    return dxs, dh_future, dW_xh, dW_hh, db_h


_SEQ_MISTAKES = {
    "no future": "the gradient from the future is missing: at step t, dh = dhs[:, t] + the dh_prev that "
                 "the step t+1 backward returned.",
    "last only": "only the last step's loss is used: add dhs[:, t] at every step t, not only at t = T-1.",
    "overwrite": "the weight gradients are overwritten at every step; accumulate them (+=) over all steps.",
    "forward order": "the backward loop runs forward in time; go from t = T-1 down to t = 0.",
    "reversed dxs": "dxs is stored in reversed time order: dxs[:, t] is the gradient for xs[:, t].",
    "skip last step": "the last time step t = T-1 = {last} is never visited (a loop over range(T-1)): its own loss "
                      "dhs[:, {last}] and its dx are missing. Loop over reversed(range(T)).",
    "skip first step": "the first time step t = 0 is never visited (the loop stops at t = 1): dxs[:, 0] is missing "
                       "and dh0 is the gradient for h_1, not h0. Loop down to t = 0 included: reversed(range(T)).",
    "own loss off by one": "step t adds the wrong step's own loss, dhs[:, t - 1] (at t = 0 that is dhs[:, -1], the "
                           "last step's): each step adds its own, dh = dhs[:, t] + dh_future.",
    "dh0 is dh at step 0": "dh0 is the dh passed INTO the backward of step 0 (dhs[:, 0] + the future's), which is "
                           "dL/dh_1, the gradient for the state step 0 produced. dh0 = dL/dh0 is the dh_prev that "
                           "the backward of step 0 returns.",
}


def _first_wrong_step(got_dxs, expected_dxs, atol=1e-10):
    """The first time step, walking backward from T-1, where dxs differs (None when all agree or unusable)."""
    got_dxs = as_array(got_dxs)
    if got_dxs is None or got_dxs.shape != expected_dxs.shape or not np.issubdtype(got_dxs.dtype, np.number):
        return None
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(got_dxs.astype(np.float64) - expected_dxs) <= atol).all(axis=(0, 2))
    return int(np.flatnonzero(bad).max()) if bad.any() else None


def _time_step_cause(t_bad, T):
    """A likely cause that names the first wrong time step of the backward walk."""
    if t_bad == T - 1:
        return (f"dxs is already wrong at the last time step t = T-1 = {T - 1}, the first one the backward walk "
                f"visits: there dh is dhs[:, {T - 1}] alone (nothing comes from the future), and "
                f"rnn_step_backward(dh, caches[{T - 1}]) gives dxs[:, {T - 1}].")
    return (f"walking backward from t = T-1 = {T - 1}, dxs is right down to t = {t_bad + 1} and first wrong at "
            f"t = {t_bad}: there dh must be dhs[:, {t_bad}] + the dh_prev returned by step {t_bad + 1}, and "
            f"the cache must be caches[{t_bad}].")


def _seq_cases():
    rng = np.random.default_rng(5050)
    cases = {}

    def make(batch, T, input_dim, hidden_dim, zero_h0=False, scale=0.6):
        W = _weights(rng, input_dim, hidden_dim, scale)
        xs = rng.normal(size=(batch, T, input_dim))
        h0 = np.zeros((batch, hidden_dim)) if zero_h0 else rng.normal(0, 0.5, size=(batch, hidden_dim))
        dhs = rng.normal(size=(batch, T, hidden_dim))
        return xs, h0, W, dhs

    cases["batch 3, T = 5, input_dim 2, hidden_dim 4"] = make(3, 5, 2, 4)
    cases["length 1 (T = 1)"] = make(2, 1, 3, 4)
    cases["batch of 1, T = 4"] = make(1, 4, 3, 2)
    xs, h0, W, dhs = make(2, 6, 3, 3, zero_h0=True)
    dhs[:, :-1] = 0.0
    cases["a loss at the last step only (many-to-one), zero h0"] = (xs, h0, W, dhs)
    xs, h0, W, dhs = make(2, 5, 4, 3)
    dhs[:, 1:] = 0.0
    cases["a loss at the first step only"] = (xs, h0, W, dhs)
    cases["input_dim = hidden_dim = 3, T = 7"] = make(4, 7, 3, 3)
    return cases


def check_rnn_backward(rnn_backward):
    """Check rnn_backward(dhs, caches) -> (dxs, dh0, dW_xh, dW_hh, db_h) against autograd."""
    chk = Check("rnn_backward", reference="torch autograd through the unrolled RNN")
    for case, (xs, h0, (W_xh, W_hh, b_h), dhs) in _seq_cases().items():
        caches = _np_caches(xs, h0, W_xh, W_hh, b_h)
        expected = _torch_seq_grads(xs, h0, W_xh, W_hh, b_h, dhs)
        mistakes = [dict() for _ in range(5)]
        T = xs.shape[1]
        for mode, description in _SEQ_MISTAKES.items():
            description = description.format(last=T - 1)
            wrong = _seq_variant(dhs, caches, mode)
            for i in range(5):
                mistakes[i][description] = wrong[i]
        got = chk.call(rnn_backward, dhs.copy(), [tuple(a.copy() for a in c) for c in caches], case=case,
                       cause="caches[t] is the cache of step t (a tuple (x, h_prev, h_next, W_xh, W_hh)); "
                             "dhs[:, t] is the gradient that step t's own loss sends to h_t.")
        got = _tuple_of(chk, got, 5, case, _SEQ_NAMES)
        t_bad = _first_wrong_step(got[0], expected[0])
        generic = ("walk t from T-1 down to 0 with dh = dhs[:, t] + dh_future, call "
                   "rnn_step_backward(dh, caches[t]), keep its dh_prev as the next dh_future "
                   "and add up the weight gradients.")
        if t_bad is not None:
            cause = _time_step_cause(t_bad, T)
        elif _first_wrong_step(got[0], expected[0], atol=np.inf) is None and as_array(got[0]) is not None \
                and as_array(got[0]).shape == expected[0].shape:
            cause = ("dxs is right at every time step, so the walk itself is right; dh0 = dL/dh0 is the dh_prev "
                     "returned by the backward of step 0, and the weight gradients are the sums over all T steps.")
        else:
            cause = generic
        for i in (0, 1, 2, 3, 4):
            chk.expect_close(got[i], expected[i], case=case, name=_SEQ_NAMES[i], shape_meaning=_SEQ_SHAPES[i],
                             atol=1e-10, mistakes=mistakes[i], cause=cause)
    chk.done()


# ------------------------------------------------------------------- grad_check

def _central(f, params, name, eps):
    """Central differences of f(params) for every entry of params[name] (the reference)."""
    x = params[name]
    return numeric_gradient(lambda value: f({**params, name: value}), x.copy(), eps)


def _forward_diff(f, params, name, eps):
    """One-sided differences (the mistake a learner may make), as notebook 02's check models it."""
    x = params[name]
    return _forward_difference(lambda value: f({**params, name: value}), x.copy(), eps)


def _not_restored(f, params, eps):
    """Central differences that leave every entry at old - eps (the restore line forgotten)."""
    params = {k: v.copy() for k, v in params.items()}
    out = {}
    for name in params:
        x = params[name]
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            f_plus = f(params)
            x[i] = old - eps
            f_minus = f(params)
            grad[i] = (f_plus - f_minus) / (2 * eps)
        out[name] = grad
    return out


def _gc_cases():
    """Functions f(params) -> float with exact gradients, and the gradients handed to grad_check."""
    rng = np.random.default_rng(55)
    cases = {}
    A = rng.normal(size=(3, 4))
    v = rng.normal(size=4)

    # 1. A smooth, curved function: a one-sided difference is off by about eps * f''.
    def f1(p):
        return float(np.sum(np.exp(1.5 * p["W"])) + np.sum(np.sin(2.0 * p["b"])))
    p1 = {"W": rng.normal(0, 0.5, size=(3, 4)), "b": rng.normal(size=4)}
    g1 = {"W": 1.5 * np.exp(1.5 * p1["W"]), "b": 2.0 * np.cos(2.0 * p1["b"])}
    cases["right gradients of a curved function"] = (f1, p1, g1)

    # 2. W and b interact; the gradient of W handed in is twice too large (relative error 1/3).
    def f2(p):
        z = A @ p["b"] + p["W"] @ v
        return float(np.sum(np.tanh(z) ** 2) + 0.5 * np.sum(p["W"] ** 3))
    p2 = {"W": rng.normal(0, 0.7, size=(3, 4)), "b": rng.normal(0, 0.7, size=4)}
    z = A @ p2["b"] + p2["W"] @ v
    s = 2 * np.tanh(z) * (1 - np.tanh(z) ** 2)
    g2 = {"W": 2.0 * (np.outer(s, v) + 1.5 * p2["W"] ** 2), "b": A.T @ s}
    cases["a gradient of W that is twice too large"] = (f2, p2, g2)

    # 3. A parameter the function ignores: both gradients are exactly 0.
    def f3(p):
        return float(np.sum(np.cosh(p["W"])))
    p3 = {"W": rng.normal(size=(2, 3)), "unused": rng.normal(size=(3,))}
    g3 = {"W": np.sinh(p3["W"]), "unused": np.zeros(3)}
    cases["a parameter whose gradient is exactly 0"] = (f3, p3, g3)

    # 4. One scalar-sized parameter, a wrong sign.
    def f4(p):
        return float(np.sum(p["w"] ** 2 * np.exp(p["w"])))
    p4 = {"w": rng.normal(size=(1,))}
    g4 = {"w": -(2 * p4["w"] + p4["w"] ** 2) * np.exp(p4["w"])}
    cases["one parameter with one entry, gradient of the wrong sign"] = (f4, p4, g4)

    # 5. Large and small entries side by side; one small entry is twice too large. The largest
    #    entry-wise error is 1/3, a norm-based error is about 1e-3: the two definitions differ widely.
    def f5(p):
        return float(500.0 * np.sum(p["W"][:, 0] ** 2) + np.sum(np.sin(p["W"][:, 1:])))
    p5 = {"W": rng.normal(size=(3, 3)) + 2.0}
    g5 = {"W": np.concatenate([1000.0 * p5["W"][:, :1], np.cos(p5["W"][:, 1:])], axis=1)}
    g5["W"][0, 2] *= 2.0
    cases["large and small entries, one small entry twice too large"] = (f5, p5, g5)

    # 6. A strongly curved function and a coarse eps = 1e-3: a one-sided difference is off by about
    #    eps * f''/2, a relative error near 1e-3, while the central difference stays near 1e-6.
    def f6(p):
        return float(np.sum(np.exp(4.0 * p["w"])))
    p6 = {"w": rng.normal(0, 0.5, size=(2, 2))}
    g6 = {"w": 4.0 * np.exp(4.0 * p6["w"])}
    cases["a strongly curved function, eps = 1e-3"] = (f6, p6, g6, 1e-3)
    return cases


_NORM_BASED = ("this is a norm-based relative error, ||a - n|| / (||a|| + ||n||) over the whole array (notebook "
               "02's kind=\"norm\"). The exercise asks for the largest entry-wise error, max_i |a_i - n_i| / "
               "(|a_i| + |n_i|): beside large entries a norm hides a small entry that is completely wrong.")


def check_grad_check(grad_check):
    """Check grad_check(f, params, grads, eps) -> {name: relative error} on functions with known gradients."""
    chk = Check("grad_check", reference="central differences")
    for case, (f, params, grads, *maybe_eps) in _gc_cases().items():
        eps = maybe_eps[0] if maybe_eps else 1e-6
        originals = {k: v.copy() for k, v in params.items()}
        expected = {k: relative_error(grads[k], _central(f, {n: a.copy() for n, a in params.items()}, k, eps)) for k in params}
        fwd = {k: relative_error(grads[k], _forward_diff(f, {n: a.copy() for n, a in params.items()}, k, eps)) for k in params}
        unrestored_num = _not_restored(f, params, eps)
        unrestored = {k: relative_error(grads[k], unrestored_num[k]) for k in params}
        centrals = {k: _central(f, {n: a.copy() for n, a in params.items()}, k, eps) for k in params}
        absolute = {k: float(np.max(np.abs(grads[k] - centrals[k]))) for k in params}
        by_norm = {k: relative_error(grads[k], centrals[k], kind="norm") for k in params}
        by_norm_max = {k: float(np.linalg.norm(grads[k] - centrals[k])
                                / max(np.linalg.norm(grads[k]), np.linalg.norm(centrals[k]), 1e-12)) for k in params}
        work = {k: v.copy() for k, v in params.items()}
        got = chk.call(grad_check, f, work, {k: v.copy() for k, v in grads.items()}, eps=eps, case=case,
                       copy_args=False,
                       cause="f takes the whole dict of parameters: change one entry of params[name] in place, "
                             "call f(params), and put the entry back.")
        chk.expect(isinstance(got, dict), case=case,
                   what=f"expected a dict {{parameter name: relative error}}, got {type(got).__name__}.",
                   cause="return one relative error per parameter, e.g. {'W': 3e-10, 'b': 1e-11}.")
        chk.expect_equal(sorted(got), sorted(params), case=case, name="the list of keys of the result",
                         cause="return one relative error for every parameter in params.")
        for name in params:
            value = as_array(got[name])
            chk.expect(value is not None and value.size == 1, case=case,
                       what=f"the relative error of {name!r} should be one number, got {type(got[name]).__name__}"
                            f"{'' if value is None else ' of shape ' + str(value.shape)}.",
                       cause="take the largest entry-wise relative error over the whole array (np.max).")
            chk.expect(bool(np.isfinite(value).all()), case=case,
                       what=f"the relative error of {name!r} is {float(value.reshape(()))}, expected "
                            f"{expected[name]:.2e}.",
                       cause="0/0: where both gradients are exactly 0 the denominator |a| + |n| is 0; "
                             "divide by np.maximum(np.abs(a) + np.abs(n), 1e-12) instead.")
            chk.expect_close(float(value.reshape(())), expected[name], case=case,
                             name=f"the relative error of {name!r}", atol=1e-7,
                             mistakes={
                                 "a one-sided difference (f(x + eps) - f(x)) / eps: it is off by about eps * f''/2; "
                                 "use the central difference (f(x + eps) - f(x - eps)) / (2 eps).": fwd[name],
                                 "each entry is not put back after its two evaluations, so later entries are "
                                 "differentiated at a shifted point: restore x[i] = old.": unrestored[name],
                                 "this is the absolute error max|a - b|; divide by (|a| + |b|) entry-wise "
                                 "(with a floor, so that 0/0 cannot happen).": absolute[name],
                                 _NORM_BASED: by_norm[name],
                                 _NORM_BASED + " (Here ||a - n|| / max(||a||, ||n||).)": by_norm_max[name],
                             },
                             cause="relative error = max over entries of |a - n| / max(|a| + |n|, 1e-12), "
                                   "with n the central difference (f(x + eps) - f(x - eps)) / (2 eps).")
        for name in params:
            chk.expect(np.array_equal(work[name], originals[name]), case=case,
                       what=f"params[{name!r}] was changed by grad_check (largest change "
                            f"{np.max(np.abs(work[name] - originals[name])):.1e}).",
                       cause="after evaluating f at x + eps and x - eps, put the entry back: x[i] = old "
                             "(old saved before the change; x[i] += eps; x[i] -= eps does not restore it exactly).")
    chk.done()


# -------------------------------------------------------------- clip_grad_norm

def _torch_clip(grads, max_norm):
    """torch.nn.utils.clip_grad_norm_ on copies of the arrays: (clipped dict, total norm)."""
    params = {}
    for name, g in grads.items():
        p = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        p.grad = torch.tensor(g, dtype=torch.float64)
        params[name] = p
    total = torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)
    return {k: p.grad.numpy() for k, p in params.items()}, float(total)


def _clip_cases():
    rng = np.random.default_rng(5005)
    cases = {}
    cases["norm above max_norm (two tensors)"] = ({"W": rng.normal(size=(3, 4)), "b": rng.normal(size=4)}, 1.0)
    g = {"W": 0.05 * rng.normal(size=(3, 4)), "b": 0.05 * rng.normal(size=4)}
    cases["norm below max_norm: nothing to clip"] = (g, 1.0)
    cases["one tensor much larger than the others"] = (
        {"W_xh": 0.01 * rng.normal(size=(4, 2)), "W_hh": 30.0 * rng.normal(size=(4, 4)),
         "b_h": 0.01 * rng.normal(size=4)}, 5.0)
    cases["a single tensor"] = ({"W": 10.0 * rng.normal(size=(2, 5))}, 2.0)
    cases["all gradients zero"] = ({"W": np.zeros((2, 3)), "b": np.zeros(3)}, 1.0)
    g = rng.normal(size=(2, 3))
    cases["max_norm 0.5 below 1, norm 0.8 between them"] = ({"W": 0.8 * g / np.linalg.norm(g)}, 0.5)
    return cases


def _clip_mistakes(grads, max_norm):
    norms = {k: float(np.sqrt(np.sum(g ** 2))) for k, g in grads.items()}
    total = float(np.sqrt(sum(n ** 2 for n in norms.values())))
    per_tensor = {k: g * min(1.0, max_norm / norms[k]) if norms[k] > 0 else g for k, g in grads.items()}
    always = {k: g * (max_norm / total) for k, g in grads.items()} if total > 0 else dict(grads)
    summed = sum(norms.values())
    by_sum = {k: g * min(1.0, max_norm / summed) if summed > 0 else g for k, g in grads.items()}
    squared = total ** 2
    by_sq = {k: g * min(1.0, max_norm / squared) if squared > 0 else g for k, g in grads.items()}
    clipped_norm = min(total, max_norm)
    only_above_one = {k: g * (max_norm / total) if total > 1.0 else g for k, g in grads.items()}
    return {
        "tensors": {
            "each tensor was clipped by its own norm; clip by the global norm: one factor "
            "max_norm / total_norm for all tensors, with total_norm over all of them.": per_tensor,
            "the gradients were rescaled although their norm is below max_norm; scale only when "
            "total_norm > max_norm (the factor is min(1, max_norm / total_norm)).": always,
            "the global norm is sqrt(sum of squares over all entries of all tensors), not the sum "
            "of the tensors' norms.": by_sum,
            "the global norm needs a square root: sqrt(sum of all squared entries).": by_sq,
            "the gradients are clipped only when their norm exceeds 1, not max_norm: the test must be "
            "total_norm > max_norm (or use the factor min(1, max_norm / total_norm) always).": only_above_one,
        },
        "norm": {
            "the returned norm is the norm after clipping; return the norm before clipping "
            "(it tells you how large the gradient really was).": clipped_norm,
            "the global norm is sqrt(sum of squares over all entries of all tensors), not the sum "
            "of the tensors' norms.": summed,
            "the global norm needs a square root: sqrt(sum of all squared entries).": squared,
        },
    }


def check_clip_grad_norm(clip_grad_norm):
    """Check clip_grad_norm(grads, max_norm) -> (clipped grads, total norm) against torch's clip_grad_norm_."""
    chk = Check("clip_grad_norm", reference="torch.nn.utils.clip_grad_norm_")
    for case, (grads, max_norm) in _clip_cases().items():
        expected, expected_norm = _torch_clip(grads, max_norm)
        mistakes = _clip_mistakes(grads, max_norm)
        got = chk.call(clip_grad_norm, {k: v.copy() for k, v in grads.items()}, max_norm, case=case)
        got = _tuple_of(chk, got, 2, case, ("clipped", "total_norm"))
        clipped, total = got
        chk.expect(isinstance(clipped, dict), case=case,
                   what=f"the clipped gradients should be a dict like grads, got {type(clipped).__name__}.",
                   cause="return {name: clipped array} with the same names as grads.")
        chk.expect_equal(sorted(clipped), sorted(grads), case=case, name="the list of names of the clipped gradients",
                         cause="return a clipped array for every name in grads.")
        total_arr = as_array(total)
        chk.expect(total_arr is not None and total_arr.size == 1, case=case,
                   what=f"total_norm should be one number, got {type(total).__name__}.",
                   cause="the global norm is one number: sqrt of the sum of squares of every entry.")
        chk.expect_close(float(total_arr.reshape(())), expected_norm, case=case, name="total_norm",
                         atol=1e-10, rtol=1e-9, mistakes=mistakes["norm"],
                         cause="total_norm = sqrt(sum over every tensor of (g**2).sum()), before clipping.")
        # torch scales by max_norm / (total_norm + 1e-6): allow that much relative difference.
        for name in grads:
            chk.expect_close(clipped[name], expected[name], case=case, name=f"clipped[{name!r}]",
                             shape_meaning=f"the shape of grads[{name!r}]", atol=1e-12, rtol=2e-6,
                             mistakes={d: w[name] for d, w in mistakes["tensors"].items()},
                             cause="every tensor is multiplied by the same factor min(1, max_norm / total_norm).")
    chk.done()


# ---------------------------------------------------------------- run_truncated

class _SeqModel(torch.nn.Module):
    """The notebook's model: nn.RNN + a linear readout at every step; model(xs, h0) -> (logits, h_last)."""

    def __init__(self, input_dim, hidden_dim, num_classes, seed):
        super().__init__()
        with torch.random.fork_rng():  # fixed weights, without disturbing the notebook's random stream
            torch.manual_seed(seed)
            self.rnn = torch.nn.RNN(input_dim, hidden_dim, batch_first=True, dtype=torch.float64)
            self.head = torch.nn.Linear(hidden_dim, num_classes, dtype=torch.float64)

    def forward(self, xs, h0=None):
        hs, _ = self.rnn(xs, None if h0 is None else h0.unsqueeze(0))
        return self.head(hs), hs[:, -1]


def _sequence_loss(logits, ys):
    """Cross-entropy at every step, averaged over the batch, summed over the steps."""
    batch = logits.shape[0]
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), ys.reshape(-1),
                                             reduction="sum", ignore_index=-100) / batch


def _params_grads(model):
    return {n: (p.grad.detach().numpy().copy() if p.grad is not None else np.zeros(tuple(p.shape)))
            for n, p in model.named_parameters()}


def _trunc_reference(model, xs, ys, k, mode="right"):
    """Truncated BPTT written out chunk by chunk: (total loss, final state, parameter grads, xs grad).

    In the right computation ("right") every chunk starts from a state computed under
    torch.no_grad() from the inputs before it, so no gradient can cross a chunk boundary
    whatever the chunk's own code does. Other modes give the output of a plausible mistake.
    """
    T = xs.shape[1]
    model.zero_grad()
    xs = xs.detach().clone().requires_grad_(True)
    starts = list(range(0, T, k))
    if mode == "drop last" and T % k:
        starts = starts[:-1]
    total, n, h_last = 0.0, 0, None
    for s in starts:
        if mode == "no carry" or s == 0:
            h = None
        elif mode == "no detach":
            h = h_last                      # still attached to the previous chunks' graphs
        else:
            with torch.no_grad():           # the state entering the chunk, as a constant
                _, h = model(xs[:, :s].detach())
        if mode == "zero grad inside":
            model.zero_grad()
        logits, h_last = model(xs[:, s:s + k], h)
        loss = _sequence_loss(logits, ys[:, s:s + k])
        loss.backward(retain_graph=(mode == "no detach"))
        total += loss.item()
        n += 1
    if mode == "mean" and n:
        total = total / n
    if h_last is None:
        h_last = torch.zeros(xs.shape[0], model.rnn.hidden_size, dtype=xs.dtype)
    grads = _params_grads(model)
    xs_grad = xs.grad.numpy().copy() if xs.grad is not None else np.zeros(tuple(xs.shape))
    model.zero_grad()
    return total, h_last.detach().numpy(), grads, xs_grad


_TRUNC_MISTAKES = {
    "no carry": "the state is not carried: every chunk starts from zeros. Start each chunk from the state "
                "the previous chunk ended in, detached: h = h_last.detach().",
    "no detach": "gradients flow across chunk boundaries: the carried state is not detached "
                 "(backward(retain_graph=True) hides the error). Carry h = h_last.detach().",
    "drop last": "the last, shorter chunk is dropped: when T is not a multiple of k, the final chunk has "
                 "T % k steps and still counts.",
    "zero grad inside": "the gradients are zeroed inside the loop, so only the last chunk's gradients are "
                        "left; let .backward() add up the chunks' gradients (zero them once, before).",
    "mean": "the chunk losses are averaged; add them up, so that the total is the loss of the whole sequence.",
}


def _trunc_cases():
    rng = np.random.default_rng(500)
    cases = {}

    def make(batch, T, input_dim=3, hidden_dim=5, num_classes=4, last_only=False):
        xs = torch.tensor(rng.normal(size=(batch, T, input_dim)))
        ys = torch.tensor(rng.integers(0, num_classes, size=(batch, T)))
        if last_only:
            ys[:, :-1] = -100
        return xs, ys

    cases["T = 7, k = 3 (a shorter last chunk)"] = (*make(2, 7), 3, 31)
    cases["T = 6, k = 2"] = (*make(3, 6), 2, 32)
    cases["k = 1 (every step is its own chunk)"] = (*make(2, 4), 1, 33)
    cases["k = T (no truncation: full BPTT)"] = (*make(2, 5), 5, 34)
    cases["batch of 1, k larger than T"] = (*make(1, 3), 10, 35)
    cases["a loss at the last step only, T = 9, k = 4"] = (*make(2, 9, last_only=True), 4, 36)
    cases["T = 24, k = 4 (six chunks: one graph at a time)"] = (*make(2, 24), 4, 37)
    return cases


class _SavedMeter:
    """Bytes of the tensors autograd has saved for backward and not yet freed, and their peak.

    Used with torch.autograd.graph.saved_tensors_hooks: every saved tensor is wrapped in a
    holder that counts its bytes while it lives; a backward pass frees its graph's holders.
    """

    def __init__(self):
        self.live = 0
        self.peak = 0

    def pack(self, tensor):
        return _Held(tensor, self)

    @staticmethod
    def unpack(held):
        return held.tensor


class _Held:
    def __init__(self, tensor, meter):
        self.tensor, self.meter = tensor, meter
        self.nbytes = tensor.numel() * tensor.element_size()
        meter.live += self.nbytes
        meter.peak = max(meter.peak, meter.live)

    def __del__(self):
        self.meter.live -= self.nbytes


def _peak_saved(fn):
    """Run fn() and return (its result, the peak bytes of saved tensors alive at once)."""
    meter = _SavedMeter()
    with torch.autograd.graph.saved_tensors_hooks(meter.pack, meter.unpack):
        result = fn()
    return result, meter.peak


def _chunk_by_chunk(model, loss_fn, xs, ys, k):
    """The right truncated loop, to measure how much saved memory one chunk at a time needs."""
    h = None
    for start in range(0, xs.shape[1], k):
        logits, h_last = model(xs[:, start:start + k], h)
        loss_fn(logits, ys[:, start:start + k]).backward()
        h = h_last.detach()


def check_run_truncated(run_truncated):
    """Check run_truncated(model, loss_fn, xs, ys, k) -> (total_loss, h_last) against explicit chunks."""
    chk = Check("run_truncated", reference="an explicit chunked computation")
    for case, (xs, ys, k, seed) in _trunc_cases().items():
        model = _SeqModel(xs.shape[2], 5, 4, seed)
        expected = _trunc_reference(model, xs, ys, k)
        wrong = {}
        for mode, description in _TRUNC_MISTAKES.items():
            try:
                wrong[description] = _trunc_reference(model, xs, ys, k, mode)
            except RuntimeError:  # pragma: no cover - a mistake that cannot even run
                pass
        model.zero_grad()
        _, one_chunk_peak = _peak_saved(lambda: _chunk_by_chunk(model, _sequence_loss, xs.detach().clone()
                                                                .requires_grad_(True), ys, k))
        model.zero_grad()
        xs_in = xs.detach().clone().requires_grad_(True)
        got, peak = _peak_saved(lambda: chk.call(
            run_truncated, model, _sequence_loss, xs_in, ys.clone(), k, case=case,
            cause="if the error mentions 'backward through the graph a second time', the state "
                  "carried into the next chunk is still attached to the previous chunk's graph: "
                  "carry h = h_last.detach()."))
        got = _tuple_of(chk, got, 2, case, ("total_loss", "h_last"))
        total, h_last = got
        total_arr = as_array(total)
        chk.expect(total_arr is not None and total_arr.size == 1, case=case,
                   what=f"total_loss should be one number, got {type(total).__name__}.",
                   cause="add up loss.item() of every chunk.")
        chk.expect_close(float(total_arr.reshape(())), expected[0], case=case, name="total_loss", atol=1e-9,
                         mistakes={d: w[0] for d, w in wrong.items()},
                         cause="total_loss is the sum of the chunk losses, which equals the loss of the whole "
                               "sequence: truncation changes the gradients, never the forward values.")
        grads = _params_grads(model)
        for name, g in expected[2].items():
            chk.expect_close(grads[name], g, case=case, name=f"the gradient of model.{name}", atol=1e-10,
                             mistakes={d: w[2][name] for d, w in wrong.items()},
                             cause="call loss.backward() once per chunk (gradients add up in .grad), "
                                   "and carry h = h_last.detach() into the next chunk.")
        xs_grad = xs_in.grad.numpy() if xs_in.grad is not None else np.zeros(tuple(xs.shape))
        chk.expect_close(xs_grad, expected[3], case=case, name="the gradient reaching xs",
                         shape_meaning="(batch, T, input_dim)", atol=1e-10,
                         mistakes={d: w[3] for d, w in wrong.items()},
                         cause="a chunk's loss must send gradient only to the inputs of its own chunk: "
                               "slice xs[:, start:start + k] and detach the carried state.")
        chk.expect_close(h_last, expected[1], case=case, name="h_last", shape_meaning="(batch, hidden_dim)",
                         atol=1e-10, mistakes={d: w[1] for d, w in wrong.items()},
                         cause="return the state after the last step of the last chunk.")
        n_chunks = -(-xs.shape[1] // k)
        chk.expect(peak <= 1.5 * one_chunk_peak, case=case,
                   what=f"the values are right, but the graphs of the chunks were alive at the same time: autograd "
                        f"held up to {peak / 1e3:.1f} kB of saved tensors, while one chunk at a time needs "
                        f"{one_chunk_peak / 1e3:.1f} kB ({n_chunks} chunks).",
                   cause="the chunk losses were added up and backward() called once at the end (or the graphs "
                         "were kept some other way, e.g. in a list). That gives the same gradients with the "
                         "memory of full BPTT, which truncation exists to avoid: call loss.backward() inside "
                         "the loop, once per chunk, so each chunk's graph is freed before the next is built.")
        model.zero_grad()
    chk.done()
