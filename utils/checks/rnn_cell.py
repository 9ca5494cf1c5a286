"""Checks for 04_rnn_cell: one RNN step, a whole sequence, torch.nn.RNN, the one-matrix form.

Every check compares the learner's NumPy code with torch's own layers in float64
(``torch.nn.RNNCell`` / ``torch.nn.RNN``), on cases chosen so that the usual
mistakes show: input and hidden sizes that differ (a wrong transpose changes the
shape) and that are equal (a wrong transpose changes only the values), a batch of
one, a sequence of length one, zero inputs, a non-zero initial state.
"""

from __future__ import annotations

import numpy as np
import torch

from .core import Check, as_array

__all__ = ["check_rnn_step", "check_rnn_forward", "check_load_into_torch", "check_rnn_step_concat"]


# ----------------------------------------------------------------- references

def _weights(rng, input_dim, hidden_dim, scale=0.6):
    """Random float64 weights stored as torch stores them: (out_features, in_features)."""
    W_xh = rng.normal(0.0, scale, size=(hidden_dim, input_dim))
    W_hh = rng.normal(0.0, scale, size=(hidden_dim, hidden_dim))
    b_h = rng.normal(0.0, 0.5, size=(hidden_dim,))
    return W_xh, W_hh, b_h


def _torch_cell(W_xh, W_hh, b_h):
    """A float64 torch.nn.RNNCell holding these weights (b_h split between its two biases)."""
    hidden_dim, input_dim = W_xh.shape
    cell = torch.nn.RNNCell(input_dim, hidden_dim, nonlinearity="tanh", dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(W_xh))
        cell.weight_hh.copy_(torch.from_numpy(W_hh))
        # torch adds two biases; only their sum matters, so any split is the same layer.
        cell.bias_ih.copy_(torch.from_numpy(0.25 * b_h))
        cell.bias_hh.copy_(torch.from_numpy(0.75 * b_h))
    return cell


def _torch_rnn(W_xh, W_hh, b_h):
    """A float64, batch-first torch.nn.RNN holding these weights."""
    hidden_dim, input_dim = W_xh.shape
    rnn = torch.nn.RNN(input_dim, hidden_dim, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b_h))
        rnn.bias_hh_l0.zero_()
    return rnn


def _ref_step(x, h_prev, W_xh, W_hh, b_h):
    cell = _torch_cell(W_xh, W_hh, b_h)
    with torch.no_grad():
        return cell(torch.from_numpy(x), torch.from_numpy(h_prev)).numpy()


def _ref_forward(xs, h0, W_xh, W_hh, b_h):
    rnn = _torch_rnn(W_xh, W_hh, b_h)
    with torch.no_grad():
        hs, _ = rnn(torch.from_numpy(xs), torch.from_numpy(h0)[None])
    return hs.numpy()


def _np_forward(xs, h0, W_xh, W_hh, b_h, act=np.tanh):
    """A plain loop used to describe mistakes (not as the reference)."""
    h, out = h0, []
    for t in range(xs.shape[1]):
        h = act(xs[:, t] @ W_xh.T + h @ W_hh.T + b_h)
        out.append(h)
    return np.stack(out, axis=1)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ------------------------------------------------------------------- rnn_step

def _step_cases():
    rng = np.random.default_rng(404)
    cases = {}
    W = _weights(rng, 3, 5)
    cases["batch of 4, input_dim 3, hidden_dim 5"] = (rng.normal(size=(4, 3)), rng.normal(size=(4, 5)), *W)
    W = _weights(rng, 4, 4)
    cases["input_dim = hidden_dim = 4"] = (rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), *W)
    W = _weights(rng, 6, 2)
    cases["batch of 1"] = (rng.normal(size=(1, 6)), rng.normal(size=(1, 2)), *W)
    W = _weights(rng, 3, 5)
    cases["zero input and zero h_prev (only the bias acts)"] = (np.zeros((2, 3)), np.zeros((2, 5)), *W)
    W = _weights(rng, 2, 3, scale=3.0)
    cases["large pre-activations (tanh saturates)"] = (rng.normal(size=(5, 2)) * 3, rng.normal(size=(5, 3)), *W)
    return cases


def _step_mistakes(x, h_prev, W_xh, W_hh, b_h):
    z = x @ W_xh.T + h_prev @ W_hh.T
    square = W_xh.shape[0] == W_xh.shape[1]
    m = {
        "W_hh is used without its transpose: the recurrent term is h_prev @ W_hh.T.":
            lambda: np.tanh(x @ W_xh.T + h_prev @ W_hh + b_h),
        "the bias b_h is missing.": lambda: np.tanh(z),
        "tanh is missing: h_next = tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h).": lambda: z + b_h,
        "sigmoid is used where the vanilla RNN uses tanh.": lambda: _sigmoid(z + b_h),
        "ReLU is used where the vanilla RNN uses tanh.": lambda: np.maximum(z + b_h, 0.0),
        "b_h is added after tanh instead of inside it.": lambda: np.tanh(z) + b_h,
        "h_prev is ignored: the previous state must enter through W_hh.": lambda: np.tanh(x @ W_xh.T + b_h),
        "the computation was done in float32; keep float64 (do not cast the inputs).":
            lambda: np.tanh(x.astype(np.float32) @ W_xh.T.astype(np.float32)
                            + h_prev.astype(np.float32) @ W_hh.T.astype(np.float32)
                            + b_h.astype(np.float32)),
    }
    if square:
        m["W_xh is used without its transpose: the input term is x @ W_xh.T."] = \
            lambda: np.tanh(x @ W_xh + h_prev @ W_hh.T + b_h)
        m["both weight matrices are used without their transpose: use x @ W_xh.T and h_prev @ W_hh.T."] = \
            lambda: np.tanh(x @ W_xh + h_prev @ W_hh + b_h)
        m["W_xh and W_hh are swapped: W_xh multiplies x, W_hh multiplies h_prev."] = \
            lambda: np.tanh(x @ W_hh.T + h_prev @ W_xh.T + b_h)
    return m


def check_rnn_step(rnn_step):
    """Check rnn_step(x, h_prev, W_xh, W_hh, b_h) -> h_next against torch.nn.RNNCell (float64)."""
    chk = Check("rnn_step", reference="torch.nn.RNNCell")
    for case, args in _step_cases().items():
        got = chk.call(rnn_step, *args, case=case,
                       cause="check the shapes: x (batch, input_dim), h_prev (batch, hidden_dim), "
                             "W_xh (hidden_dim, input_dim), W_hh (hidden_dim, hidden_dim).")
        chk.expect_close(got, _ref_step(*args), case=case, name="h_next", shape_meaning="(batch, hidden_dim)",
                         mistakes=_step_mistakes(*args),
                         shape_cause="weights are stored (out_features, in_features), so the input term is "
                                     "x @ W_xh.T and the recurrent term h_prev @ W_hh.T.",
                         cause="compare your line with h_next = tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h).")
    chk.done()


# ---------------------------------------------------------------- rnn_forward

def _forward_cases():
    rng = np.random.default_rng(4040)
    cases = {}
    W = _weights(rng, 3, 4)
    cases["batch 2, T 5, input_dim 3, hidden_dim 4"] = (rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 4)) * 0.5, *W)
    W = _weights(rng, 2, 3)
    cases["batch of 1"] = (rng.normal(size=(1, 6, 2)), rng.normal(size=(1, 3)) * 0.5, *W)
    W = _weights(rng, 4, 3)
    cases["length 1"] = (rng.normal(size=(3, 1, 4)), rng.normal(size=(3, 3)) * 0.5, *W)
    W = _weights(rng, 3, 3)
    cases["zero h0, input_dim = hidden_dim"] = (rng.normal(size=(2, 4, 3)), np.zeros((2, 3)), *W)
    W = _weights(rng, 2, 4)
    cases["zero input after the first step (the state carries on alone)"] = (
        np.concatenate([rng.normal(size=(2, 1, 2)), np.zeros((2, 6, 2))], axis=1), np.zeros((2, 4)), *W)
    return cases


def _forward_mistakes(xs, h0, W_xh, W_hh, b_h):
    T = xs.shape[1]
    right = _np_forward(xs, h0, W_xh, W_hh, b_h)
    every_from_h0 = np.stack([np.tanh(xs[:, t] @ W_xh.T + h0 @ W_hh.T + b_h) for t in range(T)], axis=1)
    rev = _np_forward(xs[:, ::-1], h0, W_xh, W_hh, b_h)
    return {
        "every step starts from h0: pass the new state on, h_prev = h_next, before the next step.":
            lambda: every_from_h0,
        "hs[:, t] holds the state before step t (h_{t-1}) instead of after it (h_t): "
        "store h_next, not h_prev.": lambda: np.concatenate([h0[:, None], right[:, :-1]], axis=1),
        "the sequence is read backwards: loop t = 0, 1, ..., T-1 over xs[:, t].":
            lambda: rev,
        "the states are reversed in time: hs[:, 0] must be h_1 and hs[:, -1] h_T.":
            lambda: right[:, ::-1],
        "the states are stacked along axis 0 (time first): stack along axis 1, hs is (batch, T, hidden_dim).":
            lambda: np.stack([right[:, t] for t in range(T)], axis=0),
        "hs includes h0: return only h_1 ... h_T, so hs has T steps, not T + 1.":
            lambda: np.concatenate([h0[:, None], right], axis=1),
        "only the last state is returned: hs must hold the state of every step.":
            lambda: right[:, -1],
    }


def check_rnn_forward(rnn_forward):
    """Check rnn_forward(xs, h0, W_xh, W_hh, b_h) -> hs against torch.nn.RNN (batch_first, float64)."""
    chk = Check("rnn_forward", reference="torch.nn.RNN")
    for case, args in _forward_cases().items():
        got = chk.call(rnn_forward, *args, case=case,
                       cause="xs is (batch, T, input_dim): the input at step t is xs[:, t], of shape (batch, input_dim).")
        chk.expect_close(got, _ref_forward(*args), case=case, name="hs", shape_meaning="(batch, T, hidden_dim)",
                         mistakes=_forward_mistakes(*args),
                         shape_cause="collect h_1 ... h_T in a list and np.stack(..., axis=1).",
                         cause="check that rnn_step passes its own check, then that each step starts from "
                               "the state of the step before.")
    chk.done()


# ------------------------------------------------------------ load_into_torch

def _load_cases():
    rng = np.random.default_rng(40404)
    cases = {}
    for case, (I, H, B, T) in {"input_dim 3, hidden_dim 5": (3, 5, 2, 4),
                               "input_dim = hidden_dim = 4": (4, 4, 3, 3),
                               "batch of 1, length 1": (2, 3, 1, 1)}.items():
        W_xh, W_hh, b_h = _weights(rng, I, H)
        xs = rng.normal(size=(B, T, I))
        h0 = rng.normal(size=(B, H)) * 0.5
        cases[case] = (W_xh, W_hh, b_h, xs, h0)
    return cases


_FLOAT32_COPY = ("the parameter is float64, but {called} went through float32 on its way into it (e.g. "
                 "torch.tensor({called}, dtype=torch.float32), torch.from_numpy({called}).float() or "
                 "torch.FloatTensor({called})), which keeps only about 7 significant digits. copy_ then converts "
                 "back to float64, but the lost digits do not come back. Copy torch.from_numpy({called}): it "
                 "keeps NumPy's float64.")


def _through_float32(got, want) -> bool:
    """True when `got` is `want` rounded to float32 (and not `want` itself)."""
    want32 = want.astype(np.float32).astype(np.float64)
    return (got.shape == want.shape and np.array_equal(got, want32)
            and not np.allclose(got, want, rtol=0, atol=1e-12))


# The parts of "your weights inside torch" that the RNN (04) and the LSTM (09) share. `label` is how
# the learner's module is called in messages ("rnn", "lstm"), `b_name` how the learner's bias is.

def expect_parameters_intact(chk, module, label, case):
    """The four parameters are still there, trainable and float64. Returns their values as arrays."""
    params = dict(module.named_parameters())
    names = ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
    chk.expect(sorted(params) == names, case=case,
               what=f"the {label.upper()}'s parameters are now {sorted(params)}, expected weight_ih_l0, "
                    f"weight_hh_l0, bias_ih_l0, bias_hh_l0.",
               cause="replace the values of the existing parameters; do not delete or rename them.")
    for name in sorted(params):
        chk.expect(params[name].requires_grad, case=case,
                   what=f"{label}.{name} no longer requires a gradient, so the {label.upper()} could not be trained.",
                   cause="copy the values into the parameter (param.copy_(...) under torch.no_grad()) "
                         "instead of replacing it by a plain tensor.")
        chk.expect(params[name].dtype == torch.float64, case=case,
                   what=f"{label}.{name} is {params[name].dtype}, expected torch.float64.",
                   cause=f"copy_ keeps the parameter's dtype (float64 here); do not convert the {label.upper()} "
                         "with .float() or replace its parameters by float32 tensors.")
    return {k: as_array(v) for k, v in params.items()}


def expect_weights_loaded(chk, got, initial, label, case, W_xh, W_hh, b, b_name):
    """weight_ih_l0 = W_xh, weight_hh_l0 = W_hh and bias_ih_l0 + bias_hh_l0 = b, with the usual slips named:
    the two weights swapped, a weight left at torch's initial values, a copy through float32, b counted twice."""
    if got["weight_ih_l0"].shape == got["weight_hh_l0"].shape == W_xh.shape == W_hh.shape:
        chk.expect(not (np.allclose(got["weight_ih_l0"], W_hh) and np.allclose(got["weight_hh_l0"], W_xh)),
                   case=case, what=f"{label}.weight_ih_l0 holds W_hh and {label}.weight_hh_l0 holds W_xh.",
                   cause="in torch, _ih means input-to-hidden (W_xh) and _hh hidden-to-hidden (W_hh).")
    for name, want, called in [("weight_ih_l0", W_xh, "W_xh"), ("weight_hh_l0", W_hh, "W_hh")]:
        untouched = got[name].shape == initial[name].shape and np.array_equal(got[name], initial[name])
        same = got[name].shape == want.shape and np.allclose(got[name], want, rtol=0, atol=1e-12)
        rounded = _through_float32(got[name], want)
        chk.expect(same, case=case,
                   what=f"{label}.{name} does not hold {called}"
                        + (": it still holds torch's random initial values." if untouched else
                           f": it holds {called} rounded to float32 precision (largest difference "
                           f"{np.abs(got[name] - want).max():.1e})." if rounded else "."),
                   cause=_FLOAT32_COPY.format(called=called) if rounded else
                         f"copy {called} into it in place: {label}.{name}.copy_(torch.from_numpy({called})), "
                         f"inside `with torch.no_grad():`.")
    b_sum = got["bias_ih_l0"] + got["bias_hh_l0"] if got["bias_ih_l0"].shape == got["bias_hh_l0"].shape else None
    if b_sum is not None and b_sum.shape == b.shape:
        chk.expect(not np.allclose(b_sum, 2 * b), case=case,
                   what=f"bias_ih_l0 + bias_hh_l0 equals 2 * {b_name}.",
                   cause=f"torch adds both biases, so copying {b_name} into each counts it twice: "
                         f"put {b_name} in one of them and zeros in the other.")
        chk.expect(np.allclose(b_sum, b, rtol=0, atol=1e-12), case=case,
                   what=f"bias_ih_l0 + bias_hh_l0 is not {b_name}"
                        + (f" but {b_name} rounded to float32 precision." if _through_float32(b_sum, b) else "."),
                   cause=_FLOAT32_COPY.format(called=b_name) if _through_float32(b_sum, b) else
                         f"torch adds both biases, so their sum acts as {b_name}. If you copied {b_name} into one, "
                         "the other still holds torch's random initial values: set it to zero.")


def check_load_into_torch(load_into_torch):
    """Check load_into_torch(rnn, W_xh, W_hh, b_h): rnn must then compute the NumPy RNN exactly."""
    chk = Check("load_into_torch", reference="the NumPy RNN with the same weights")
    for case, (W_xh, W_hh, b_h, xs, h0) in _load_cases().items():
        H, I = W_xh.shape
        with torch.random.fork_rng():  # without disturbing the notebook's random stream
            torch.manual_seed(0)  # torch's own random initial weights, so a forgotten copy shows
            rnn = torch.nn.RNN(I, H, batch_first=True, dtype=torch.float64)
        initial = {k: v.detach().numpy().copy() for k, v in rnn.named_parameters()}
        chk.call(load_into_torch, rnn, W_xh, W_hh, b_h, case=case,
                 cause="copy into the existing parameters in place, inside `with torch.no_grad():`, "
                       "e.g. rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh)). W_xh is already "
                       "(hidden_dim, input_dim), the shape of rnn.weight_ih_l0: copy it without transposing.")
        got = expect_parameters_intact(chk, rnn, "rnn", case)
        if got["weight_ih_l0"].shape == W_xh.shape and got["weight_hh_l0"].shape == W_hh.shape:
            chk.expect(not (H == I and np.allclose(got["weight_ih_l0"], W_xh.T) and not np.allclose(W_xh, W_xh.T)),
                       case=case, what="rnn.weight_ih_l0 holds W_xh transposed.",
                       cause="torch stores weights as (out_features, in_features), exactly like W_xh: copy it as it is.")
            chk.expect(not (np.allclose(got["weight_hh_l0"], W_hh.T) and not np.allclose(W_hh, W_hh.T)),
                       case=case, what="rnn.weight_hh_l0 holds W_hh transposed.",
                       cause="torch stores weights as (out_features, in_features), exactly like W_hh: copy it as it is.")
        expect_weights_loaded(chk, got, initial, "rnn", case, W_xh, W_hh, b_h, "b_h")
        with torch.no_grad():
            out, h_n = rnn(torch.from_numpy(xs), torch.from_numpy(h0)[None])
        expected = _np_forward(xs, h0, W_xh, W_hh, b_h)
        chk.expect_close(out, expected, case=case, name="the torch RNN's output (batch, T, hidden_dim)",
                         shape_meaning="(batch, T, hidden_dim)",
                         cause="after loading, rnn(xs, h0[None]) must equal your rnn_forward(xs, h0, W_xh, W_hh, b_h); "
                               "compare each of the four parameters with W_xh, W_hh and b_h.")
    chk.done()


# ------------------------------------------------------------ rnn_step_concat

def _concat_cases():
    rng = np.random.default_rng(404040)
    cases = {}
    for case, (I, H, B) in {"batch of 4, input_dim 3, hidden_dim 5": (3, 5, 4),
                            "input_dim = hidden_dim = 3": (3, 3, 2),
                            "batch of 1, input_dim 6, hidden_dim 2": (6, 2, 1)}.items():
        W_xh, W_hh, b_h = _weights(rng, I, H)
        cases[case] = (rng.normal(size=(B, I)), rng.normal(size=(B, H)), np.concatenate([W_xh, W_hh], axis=1), b_h)
    W_xh, W_hh, b_h = _weights(rng, 3, 4)
    cases["zero input and zero h_prev"] = (np.zeros((2, 3)), np.zeros((2, 4)), np.concatenate([W_xh, W_hh], axis=1), b_h)
    return cases


def _concat_mistakes(x, h_prev, W, b):
    xh = np.concatenate([x, h_prev], axis=1)
    hx = np.concatenate([h_prev, x], axis=1)
    return {
        "x and h_prev are joined in the wrong order: W = [W_xh | W_hh], so the input is [x, h_prev].":
            lambda: np.tanh(hx @ W.T + b),
        "the bias b is missing.": lambda: np.tanh(xh @ W.T),
        "tanh is missing.": lambda: xh @ W.T + b,
        "b is added after tanh instead of inside it.": lambda: np.tanh(xh @ W.T) + b,
    }


def check_rnn_step_concat(rnn_step_concat):
    """Check rnn_step_concat(x, h_prev, W, b) with W = [W_xh | W_hh] against torch.nn.RNNCell (float64)."""
    chk = Check("rnn_step_concat", reference="torch.nn.RNNCell")
    for case, (x, h_prev, W, b) in _concat_cases().items():
        I = x.shape[1]
        got = chk.call(rnn_step_concat, x, h_prev, W, b, case=case,
                       cause="join along the feature axis: np.concatenate([x, h_prev], axis=1) is "
                             "(batch, input_dim + hidden_dim).")
        expected = _ref_step(x, h_prev, W[:, :I], W[:, I:], b)
        chk.expect_close(got, expected, case=case, name="h_next", shape_meaning="(batch, hidden_dim)",
                         mistakes=_concat_mistakes(x, h_prev, W, b),
                         shape_cause="join x and h_prev along axis 1 (features), not axis 0 (batch), "
                                     "then multiply by W.T: W is (hidden_dim, input_dim + hidden_dim).",
                         cause="h_next = tanh([x, h_prev] @ W.T + b).")
    chk.done()
