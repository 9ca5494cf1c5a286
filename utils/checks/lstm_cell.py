"""Checks for 09_lstm_cell: one LSTM step, a sequence, torch.nn.LSTM, one step backward, the forget bias.

The references are independent of the learner's code: ``torch.nn.LSTMCell`` and
``torch.nn.LSTM`` in float64 for the forward passes (a ragged batch through
``pack_padded_sequence`` included), torch autograd for the backward step, and the
parameters of a real ``torch.nn.LSTM`` for the forget-gate bias.

Weights are in torch's layout and gate order, as the notebook uses them:
``W_xh`` (4H, input_dim), ``W_hh`` (4H, H), ``b`` (4H,), the blocks of H rows stacked as
input gate i, forget gate f, candidate g, output gate o. Every mistake below is written
out as the NumPy computation it stands for, so that a message can name it when the
learner's output equals it.
"""

from __future__ import annotations

import numpy as np
import torch

from .core import Check, as_array
from .rnn_cell import expect_parameters_intact, expect_weights_loaded

__all__ = ["check_lstm_step", "check_lstm_forward", "check_load_into_lstm", "check_lstm_step_backward",
           "check_init_forget_bias"]

_SHAPES_CAUSE = ("check the shapes: x (batch, input_dim), h_prev and c_prev (batch, hidden_dim), "
                 "W_xh (4*hidden_dim, input_dim), W_hh (4*hidden_dim, hidden_dim), b (4*hidden_dim,).")


# ----------------------------------------------------------------- references

def _weights(rng, input_dim, hidden_dim, scale=0.6):
    """Random float64 LSTM weights in torch's layout: W_xh (4H, I), W_hh (4H, H), b (4H,)."""
    W_xh = rng.normal(0.0, scale, size=(4 * hidden_dim, input_dim))
    W_hh = rng.normal(0.0, scale, size=(4 * hidden_dim, hidden_dim))
    b = rng.normal(0.0, 0.5, size=(4 * hidden_dim,))
    return W_xh, W_hh, b


def _torch_cell(W_xh, W_hh, b):
    """A float64 torch.nn.LSTMCell holding these weights (b split between its two biases)."""
    H4, I = W_xh.shape
    cell = torch.nn.LSTMCell(I, H4 // 4, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.from_numpy(W_xh))
        cell.weight_hh.copy_(torch.from_numpy(W_hh))
        cell.bias_ih.copy_(torch.from_numpy(0.3 * b))  # only the sum of the two biases matters
        cell.bias_hh.copy_(torch.from_numpy(0.7 * b))
    return cell


def _torch_lstm(W_xh, W_hh, b):
    """A float64, batch-first torch.nn.LSTM holding these weights."""
    H4, I = W_xh.shape
    lstm = torch.nn.LSTM(I, H4 // 4, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(W_xh))
        lstm.weight_hh_l0.copy_(torch.from_numpy(W_hh))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b))
        lstm.bias_hh_l0.zero_()
    return lstm


def _ref_step(x, h_prev, c_prev, W_xh, W_hh, b):
    cell = _torch_cell(W_xh, W_hh, b)
    with torch.no_grad():
        h, c = cell(torch.from_numpy(x), (torch.from_numpy(h_prev), torch.from_numpy(c_prev)))
    return h.numpy(), c.numpy()


def _ref_forward(xs, h0, c0, W_xh, W_hh, b):
    lstm = _torch_lstm(W_xh, W_hh, b)
    with torch.no_grad():
        hs, (h_n, c_n) = lstm(torch.from_numpy(xs), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    return hs.numpy(), h_n[0].numpy(), c_n[0].numpy()


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# The gate orders a learner may have met elsewhere, as the positions of (i, f, g, o) among the 4 blocks.
_ORDERS = {
    "torch": (0, 1, 2, 3),
    "ifog": (0, 1, 3, 2),   # CS231n, char-rnn, fastbook: i, f, o, g
    "figo": (1, 0, 2, 3),   # input and forget swapped
    "igfo": (0, 2, 1, 3),   # TensorFlow 1's BasicLSTMCell: i, j (= g), f, o
}


def _np_step(x, h_prev, c_prev, W_xh, W_hh, b, mode="right"):
    """One LSTM step in NumPy with one plausible mistake (mode), used to name mistakes in messages."""
    H = W_hh.shape[1]
    if mode == "block-transposed W_hh":  # each (H, H) block of W_hh used without .T
        rec = np.concatenate([h_prev @ W_hh[k * H:(k + 1) * H] for k in range(4)], axis=1)
    else:
        rec = h_prev @ W_hh.T
    if mode == "block-transposed W_xh":
        inp = np.concatenate([x @ W_xh[k * H:(k + 1) * H] for k in range(4)], axis=1)
    elif mode == "swapped W_xh and W_hh":
        inp, rec = x @ W_hh.T, h_prev @ W_xh.T
    else:
        inp = x @ W_xh.T
    z = inp + rec + {"no bias": 0.0, "bias twice": 2 * b}.get(mode, b)
    if mode == "interleaved":  # z.reshape(batch, H, 4): gate k takes the columns k, k + 4, k + 8, ...
        zi, zf, zg, zo = (z.reshape(len(z), H, 4)[:, :, k] for k in range(4))
    else:
        order = _ORDERS.get(mode, _ORDERS["torch"])
        zi, zf, zg, zo = (z[:, k * H:(k + 1) * H] for k in order)
    i, f, o = _sigmoid(zi), _sigmoid(zf), _sigmoid(zo)
    if mode == "tanh on o":
        o = np.tanh(zo)
    elif mode == "tanh on i":
        i = np.tanh(zi)
    elif mode == "tanh on f":
        f = np.tanh(zf)
    g = {"sigmoid on g": _sigmoid(zg), "no tanh on g": zg}.get(mode, np.tanh(zg))
    if mode == "no input gate":
        c_next = f * c_prev + g
    elif mode == "coupled gates":
        c_next = f * c_prev + (1.0 - f) * g
    elif mode == "no forget gate":
        c_next = c_prev + i * g
    else:
        c_next = f * c_prev + i * g
    if mode == "no tanh on c_next":
        h_next = o * c_next
    elif mode == "c_prev in h_next":
        h_next = o * np.tanh(c_prev)
    elif mode == "sigmoid on c_next":
        h_next = o * _sigmoid(c_next)
    elif mode == "no output gate":
        h_next = np.tanh(c_next)
    else:
        h_next = o * np.tanh(c_next)
    return h_next, c_next


_STEP_MISTAKES = {
    "ifog": "the gates are read in the order i, f, o, g (the order of CS231n, char-rnn and fastbook). "
            "torch stacks the four blocks of rows as i, f, g, o: g is rows 2H:3H and o is rows 3H:4H.",
    "figo": "the input and forget gates are swapped: in torch's order the first H rows are the input gate i, "
            "the next H the forget gate f.",
    "igfo": "the gates are read in the order i, g, f, o (TensorFlow 1's BasicLSTMCell order); "
            "torch stacks them as i, f, g, o.",
    "sigmoid on g": "the candidate g uses a sigmoid; it is g = tanh(z_g), in (-1, 1), so that it can push "
                    "the cell state down as well as up. Only i, f and o are sigmoids.",
    "no tanh on g": "tanh is missing on the candidate: g = tanh(z_g).",
    "no tanh on c_next": "tanh is missing on c_next before the output gate: h_next = o * tanh(c_next).",
    "sigmoid on c_next": "h_next squashes c_next with a sigmoid; it is h_next = o * tanh(c_next).",
    "c_prev in h_next": "h_next is computed from c_prev; it uses the NEW cell state: h_next = o * tanh(c_next).",
    "no output gate": "the output gate is missing: h_next = o * tanh(c_next).",
    "no input gate": "the input gate is missing: c_next = f * c_prev + i * g.",
    "no forget gate": "the forget gate is missing: c_next = f * c_prev + i * g.",
    "coupled gates": "c_next uses (1 - f) in place of the input gate: the LSTM has its own input gate, "
                     "c_next = f * c_prev + i * g.",
    "no bias": "the bias b is missing.",
    "bias twice": "the bias b is added twice (once with the input term and once with the recurrent term): "
                  "the step has one bias, z = x W_xh^T + h_prev W_hh^T + b. (torch's two biases, bias_ih and "
                  "bias_hh, are two parts of that one b, not two copies of it.)",
    "interleaved": "the four gates are cut as interleaved columns, as z.reshape(batch, hidden_dim, 4) does (the "
                   "input gate then gets the columns 0, 4, 8, ...). Each gate is a contiguous block of hidden_dim "
                   "columns: i is columns 0:H, f is H:2H, g is 2H:3H, o is 3H:4H (so z.reshape(batch, 4, "
                   "hidden_dim) would put the gate index first).",
    "tanh on o": "the output gate uses tanh; it is a gate, o = sigmoid(z_o), in (0, 1). Only the candidate g "
                 "is a tanh.",
    "tanh on i": "the input gate uses tanh; it is a gate, i = sigmoid(z_i), in (0, 1). Only the candidate g "
                 "is a tanh.",
    "tanh on f": "the forget gate uses tanh; it is a gate, f = sigmoid(z_f), in (0, 1). Only the candidate g "
                 "is a tanh.",
    "block-transposed W_hh": "the blocks of W_hh are used without their transpose: the recurrent term is "
                             "h_prev @ W_hh.T, (batch, 4*hidden_dim), before it is cut into the four gates.",
    "block-transposed W_xh": "the blocks of W_xh are used without their transpose: the input term is "
                             "x @ W_xh.T, (batch, 4*hidden_dim), before it is cut into the four gates.",
    "swapped W_xh and W_hh": "W_xh and W_hh are swapped: W_xh multiplies x and W_hh multiplies h_prev.",
}


def _step_mistakes(args, which):
    """{description: output} for every mistake, for output `which` (0: h_next, 1: c_next)."""
    return {d: (lambda mode=mode: _np_step(*args, mode=mode)[which]) for mode, d in _STEP_MISTAKES.items()}


def _float32_mistake(args, which):
    f = [a.astype(np.float32) for a in args]
    return {"the computation was done in float32; keep float64 (do not cast the inputs).":
            lambda: _np_step(*f)[which]}


def _pair(chk, result, case, names, what="(h_next, c_next)"):
    """The learner's result must be a pair."""
    chk.expect(isinstance(result, (tuple, list)) and len(result) == 2, case=case,
               what=f"expected a pair {what}, got {type(result).__name__}"
                    + (f" of length {len(result)}" if isinstance(result, (tuple, list)) else "") + ".",
               cause=f"end the function with `return {', '.join(names)}`.")
    return result


# ------------------------------------------------------------------- lstm_step

def _step_cases():
    rng = np.random.default_rng(909)
    cases = {}

    def make(batch, I, H, scale=0.6, zero=False):
        W = _weights(rng, I, H, scale)
        if zero:
            return (np.zeros((batch, I)), np.zeros((batch, H)), np.zeros((batch, H)), *W)
        return (rng.normal(size=(batch, I)), rng.normal(0, 0.5, size=(batch, H)), rng.normal(size=(batch, H)), *W)

    cases["batch of 4, input_dim 3, hidden_dim 5"] = make(4, 3, 5)
    cases["input_dim = hidden_dim = 4"] = make(3, 4, 4)
    cases["batch of 1"] = make(1, 6, 2)
    cases["zero x, h_prev and c_prev (only the bias acts)"] = make(2, 3, 5, zero=True)
    cases["large pre-activations (gates saturate)"] = make(5, 2, 3, scale=3.0)
    return cases


def check_lstm_step(lstm_step):
    """Check lstm_step(x, h_prev, c_prev, W_xh, W_hh, b) -> (h_next, c_next) against torch.nn.LSTMCell."""
    chk = Check("lstm_step", reference="torch.nn.LSTMCell")
    for case, args in _step_cases().items():
        got = chk.call(lstm_step, *args, case=case, cause=_SHAPES_CAUSE)
        h_next, c_next = _pair(chk, got, case, ("h_next", "c_next"))
        h_ref, c_ref = _ref_step(*args)
        h_arr, c_arr = as_array(h_next), as_array(c_next)
        chk.expect(not (h_arr is not None and c_arr is not None and h_arr.shape == c_ref.shape == c_arr.shape
                        and np.allclose(h_arr, c_ref) and np.allclose(c_arr, h_ref)), case=case,
                   what="the two states come back in the wrong order: the first is c_next and the second h_next.",
                   cause="return the pair as (h_next, c_next), the order of the docstring and of "
                         "torch.nn.LSTMCell, which returns (h, c).")
        shape_cause = ("z = x @ W_xh.T + h_prev @ W_hh.T + b is (batch, 4*hidden_dim); cut it into four "
                       "(batch, hidden_dim) blocks, z[:, :H], z[:, H:2*H], z[:, 2*H:3*H], z[:, 3*H:].")
        # c_next first: h_next is computed from it, so a mistake in c_next is the root cause.
        chk.expect_close(c_next, c_ref, case=case, name="c_next", shape_meaning="(batch, hidden_dim)",
                         mistakes={**_step_mistakes(args, 1), **_float32_mistake(args, 1)}, shape_cause=shape_cause,
                         cause="c_next = f * c_prev + i * g, with i, f = sigmoid of rows 0:H, H:2H and "
                               "g = tanh of rows 2H:3H of z.")
        chk.expect_close(h_next, h_ref, case=case, name="h_next", shape_meaning="(batch, hidden_dim)",
                         mistakes={**_step_mistakes(args, 0), **_float32_mistake(args, 0)}, shape_cause=shape_cause,
                         cause="h_next = o * tanh(c_next), with o = sigmoid of rows 3H:4H of z.")
    chk.done()


def _expect_returns_module(chk, result, module, case, label="lstm"):
    """The function must return the module it was given (the notebook writes `lstm = f(nn.LSTM(...), ...)`)."""
    if result is module:
        return
    got = "None" if result is None else f"a {type(result).__name__}"
    if isinstance(result, torch.nn.Module):
        got = f"another {type(result).__name__}, not the one it was given"
    chk.fail(case, f"{chk.exercise} returned {got}; the function must return {label}, the module it was given "
                   f"and changed in place.",
             f"end the function with `return {label}`: later cells call it as "
             f"`{label} = {chk.exercise}(torch.nn.LSTM(...), ...)` and then use {label}.")


# ---------------------------------------------------------------- lstm_forward

def _np_forward(xs, h0, c0, W_xh, W_hh, b, mode="right"):
    """A NumPy loop with one plausible mistake (mode), to name it in a message."""
    h, c, hs, cs = h0, c0, [], []
    for t in range(xs.shape[1]):
        if mode == "from h0 c0":
            h, c = h0, c0
        elif mode == "c reset":
            c = c0
        h_new, c_new = _np_step(xs[:, t], h, c, W_xh, W_hh, b)
        hs.append(h if mode == "store h_prev" else h_new)
        cs.append(c_new)
        h, c = h_new, c_new
    return np.stack(hs, axis=1), h, c, np.stack(cs, axis=1)


def _forward_mistakes(args, which):
    right = _np_forward(*args)
    hs, h, c, cs = right
    xs, h0, c0 = args[:3]
    m = {
        "every step starts from h0 and c0: pass both states on, h, c = lstm_step(x_t, h, c, ...), "
        "before the next step.": lambda: _np_forward(*args, mode="from h0 c0"),
        "the cell state is reset to c0 at every step: carry c on from step to step, like h.":
            lambda: _np_forward(*args, mode="c reset"),
        "hs[:, t] holds the state before step t (h_{t-1}) instead of after it: store h_next.":
            lambda: _np_forward(*args, mode="store h_prev"),
        "the sequence is read backwards: loop t = 0, 1, ..., T-1 over xs[:, t].":
            lambda: _np_forward(xs[:, ::-1], *args[1:]),
    }
    out = {d: (lambda f=f: f()[which]) for d, f in m.items()}
    if which == 0:
        out["hs holds the cell states c_t; it holds the hidden states h_t (the cell state stays inside)."] = cs
        out["the states are reversed in time: hs[:, 0] must be h_1 and hs[:, -1] h_T."] = hs[:, ::-1]
        out["hs includes h0: return only h_1 ... h_T."] = np.concatenate([h0[:, None], hs], axis=1)
        out["the states are stacked along axis 0 (time first): hs is (batch, T, hidden_dim)."] = \
            np.transpose(hs, (1, 0, 2))
    if which == 1:
        out["the final pair is (c_T, h_T); return (h_T, c_T), in torch's order."] = c
        out["the final h is h0: return the state after the last step."] = h0
    if which == 2:
        out["the final pair is (c_T, h_T); return (h_T, c_T), in torch's order."] = h
        out["the final c is c0: return the cell state after the last step."] = c0
    return out


def _forward_cases():
    rng = np.random.default_rng(9090)
    cases = {}

    def make(batch, T, I, H, zero=False):
        W = _weights(rng, I, H)
        xs = rng.normal(size=(batch, T, I))
        if zero:
            return (xs, np.zeros((batch, H)), np.zeros((batch, H)), *W)
        return (xs, rng.normal(0, 0.5, size=(batch, H)), rng.normal(size=(batch, H)), *W)

    cases["batch 2, T 5, input_dim 3, hidden_dim 4"] = make(2, 5, 3, 4)
    cases["batch of 1"] = make(1, 6, 2, 3)
    cases["length 1"] = make(3, 1, 4, 3)
    cases["zero h0 and c0, input_dim = hidden_dim = 3"] = make(2, 4, 3, 3, zero=True)
    return cases


def check_lstm_forward(lstm_forward):
    """Check lstm_forward(xs, h0, c0, W_xh, W_hh, b) -> (hs, (h_T, c_T)) against torch.nn.LSTM."""
    chk = Check("lstm_forward", reference="torch.nn.LSTM")
    for case, args in _forward_cases().items():
        got = chk.call(lstm_forward, *args, case=case,
                       cause="xs is (batch, T, input_dim): the input at step t is xs[:, t], (batch, input_dim).")
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 2
                   and isinstance(got[1], (tuple, list)) and len(got[1]) == 2, case=case,
                   what=f"expected (hs, (h_T, c_T)), got {type(got).__name__}"
                        + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".",
                   cause="end the function with `return hs, (h, c)`, as torch.nn.LSTM returns "
                         "output, (h_n, c_n).")
        hs, (h_T, c_T) = got
        hs_ref, h_ref, c_ref = _ref_forward(*args)
        cause = "check that lstm_step passes its own check, then that each step starts from both states of " \
                "the step before."
        chk.expect_close(hs, hs_ref, case=case, name="hs", shape_meaning="(batch, T, hidden_dim)",
                         mistakes=_forward_mistakes(args, 0), cause=cause,
                         shape_cause="collect h_1 ... h_T in a list and np.stack(..., axis=1).")
        chk.expect_close(h_T, h_ref, case=case, name="h_T", shape_meaning="(batch, hidden_dim)",
                         mistakes=_forward_mistakes(args, 1), cause=cause)
        chk.expect_close(c_T, c_ref, case=case, name="c_T", shape_meaning="(batch, hidden_dim)",
                         mistakes=_forward_mistakes(args, 2), cause=cause)
    chk.done()


# --------------------------------------------------------------- load_into_lstm

def _reorder(W, order):
    """The blocks of W rearranged: block k of the result is block order[k] of W... as a learner would."""
    H = W.shape[0] // 4
    return np.concatenate([W[k * H:(k + 1) * H] for k in order], axis=0)


def _load_cases():
    rng = np.random.default_rng(90909)
    cases = {}
    for case, (I, H, lengths) in {"input_dim 3, hidden_dim 5, batch 2, T 4": (3, 5, [4, 4]),
                                  "input_dim = hidden_dim = 4, batch 3, T 3": (4, 4, [3, 3, 3]),
                                  "batch of 1, length 1": (2, 3, [1]),
                                  "ragged batch of lengths 5, 2, 7, 1 through pack_padded_sequence":
                                      (3, 4, [5, 2, 7, 1])}.items():
        W_xh, W_hh, b = _weights(rng, I, H)
        lengths = np.array(lengths)
        xs = np.zeros((len(lengths), lengths.max(), I))
        for k, L in enumerate(lengths):
            xs[k, :L] = rng.normal(size=(L, I))
        h0 = rng.normal(0, 0.5, size=(len(lengths), H))
        c0 = rng.normal(size=(len(lengths), H))
        cases[case] = (W_xh, W_hh, b, xs, lengths, h0, c0)
    return cases


def check_load_into_lstm(load_into_lstm):
    """Check load_into_lstm(lstm, W_xh, W_hh, b): lstm must then compute the NumPy LSTM exactly."""
    chk = Check("load_into_lstm", reference="the NumPy LSTM with the same weights")
    for case, (W_xh, W_hh, b, xs, lengths, h0, c0) in _load_cases().items():
        H4, I = W_xh.shape
        H = H4 // 4
        with torch.random.fork_rng():  # without disturbing the notebook's random stream
            torch.manual_seed(0)  # torch's own random initial weights, so a forgotten copy shows
            lstm = torch.nn.LSTM(I, H, batch_first=True, dtype=torch.float64)
        initial = {k: v.detach().numpy().copy() for k, v in lstm.named_parameters()}
        returned = chk.call(load_into_lstm, lstm, W_xh, W_hh, b, case=case,
                 cause="copy into the existing parameters in place, inside `with torch.no_grad():`, "
                       "e.g. lstm.weight_ih_l0.copy_(torch.from_numpy(W_xh)). W_xh is already "
                       "(4*hidden_dim, input_dim), the shape of lstm.weight_ih_l0: copy it without transposing.")
        got = expect_parameters_intact(chk, lstm, "lstm", case)
        for name, want, called in [("weight_ih_l0", W_xh, "W_xh"), ("weight_hh_l0", W_hh, "W_hh"),
                                   ("bias_ih_l0", b, "b")]:
            g = got[name]
            if g.shape != want.shape:
                continue
            for order, what in [("ifog", "i, f, o, g (the order of CS231n, char-rnn and fastbook)"),
                                ("figo", "f, i, g, o"), ("igfo", "i, g, f, o")]:
                chk.expect(not np.allclose(g, _reorder(want, _ORDERS[order])), case=case,
                           what=f"lstm.{name} holds {called} with its blocks of rows rearranged to {what}.",
                           cause="torch's LSTM stacks its gates as i, f, g, o, the order your lstm_step "
                                 f"already uses: copy {called} as it is, without reordering.")
        expect_weights_loaded(chk, got, initial, "lstm", case, W_xh, W_hh, b, "b")
        # The loaded LSTM, run by torch on the (possibly ragged) batch, against a NumPy LSTM run on each
        # sequence alone over its own valid steps.
        packed = torch.nn.utils.rnn.pack_padded_sequence(torch.from_numpy(xs), torch.from_numpy(lengths),
                                                         batch_first=True, enforce_sorted=False)
        try:
            with torch.no_grad():
                out, (h_n, c_n) = lstm(packed, (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
        except RuntimeError as e:
            chk.fail(case, f"the loaded LSTM cannot run on a batch: {e}",
                     "every parameter must keep its shape: weight_ih_l0 (4*hidden_dim, input_dim), "
                     "weight_hh_l0 (4*hidden_dim, hidden_dim), both biases (4*hidden_dim,).")
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=int(lengths.max()))
        hs_ref, h_ref, c_ref = np.zeros_like(out.numpy()), np.zeros_like(h0), np.zeros_like(c0)
        for k, L in enumerate(lengths):
            hs_k, h_ref[k], c_ref[k], _ = _np_forward(xs[k:k + 1, :L], h0[k:k + 1], c0[k:k + 1], W_xh, W_hh, b)
            hs_ref[k, :L] = hs_k[0]
        cause = ("after loading, lstm(xs, (h0[None], c0[None])) must equal your lstm_forward; compare each of "
                 "the four parameters with W_xh, W_hh and b.")
        chk.expect_close(out, hs_ref, case=case, name="the torch LSTM's output (batch, T, hidden_dim)", cause=cause)
        chk.expect_close(h_n[0], h_ref, case=case, name="h_n (each sequence's state at its own last valid step)",
                         cause=cause)
        chk.expect_close(c_n[0], c_ref, case=case, name="c_n (each sequence's cell state at its last valid step)",
                         cause=cause)
        _expect_returns_module(chk, returned, lstm, case)
    chk.done()


# ---------------------------------------------------------- lstm_step_backward

_BW_NAMES = ("dx", "dh_prev", "dc_prev", "dW_xh", "dW_hh", "db")
_BW_SHAPES = ("(batch, input_dim)", "(batch, hidden_dim)", "(batch, hidden_dim)",
              "(4*hidden_dim, input_dim) = W_xh's shape", "(4*hidden_dim, hidden_dim) = W_hh's shape",
              "(4*hidden_dim,) = b's shape")


def _torch_step_grads(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b):
    """Autograd's gradients of sum(h_next * dh_next + c_next * dc_next) through torch.nn.LSTMCell."""
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, h_prev, c_prev, W_xh, W_hh, b)]
    tx, th, tc, tWx, tWh, tb = ts
    h, c = torch.lstm_cell(tx, (th, tc), tWx, tWh, tb, torch.zeros_like(tb))
    (h * torch.from_numpy(dh_next) + c * torch.from_numpy(dc_next)).sum().backward()
    return tuple(t.grad.numpy() for t in ts)


def _np_step_backward(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b, mode="right"):
    """One step backward in NumPy with one plausible mistake (mode), to name it in a message."""
    H = W_hh.shape[1]
    z = x @ W_xh.T + h_prev @ W_hh.T + b
    i, f, o = _sigmoid(z[:, :H]), _sigmoid(z[:, H:2 * H]), _sigmoid(z[:, 3 * H:])
    g = np.tanh(z[:, 2 * H:3 * H])
    c_next = f * c_prev + i * g
    tc = np.tanh(c_next)
    if mode == "dc without dh":
        dc = dc_next
    elif mode == "no tanh' in dc":
        dc = dc_next + dh_next * o
    elif mode == "1 - c**2":  # tanh' taken at the wrong place: 1 - c_t**2 instead of 1 - tanh(c_t)**2
        dc = dc_next + dh_next * o * (1 - c_next ** 2)
    elif mode == "dc from dh only":
        dc = dh_next * o * (1 - tc ** 2)
    else:
        dc = dc_next + dh_next * o * (1 - tc ** 2)
    do = dh_next * (np.tanh(c_prev) if mode == "do with c_prev" else tc)
    di, df, dg = dc * g, dc * c_prev, dc * i
    ds = (lambda s: 1 - s) if mode == "sigmoid' as 1 - s" else (lambda s: s * (1 - s))
    dzi, dzf, dzo = di * ds(i), df * ds(f), do * ds(o)
    if mode == "tanh' of g at z":
        dzg = dg * (1 - z[:, 2 * H:3 * H] ** 2)
    elif mode == "sigmoid' on g":
        dzg = dg * g * (1 - g)
    else:
        dzg = dg * (1 - g ** 2)
    blocks = {"i": dzi, "f": dzf, "g": dzg, "o": dzo}
    order = ["i", "f", "o", "g"] if mode == "ifog" else ["i", "f", "g", "o"]
    dz = np.concatenate([blocks[k] for k in order], axis=1)
    dc_prev = {"dc_prev without f": dc, "dc_prev from dc_next only": dc_next * f}.get(mode, dc * f)
    db = dz.mean(axis=0) if mode == "db mean" else dz.sum(axis=0)
    return dz @ W_xh, dz @ W_hh, dc_prev, dz.T @ x, dz.T @ h_prev, db


_BW_MISTAKES = {
    "dc without dh": "the cell state's gradient misses the path through h_next: h_next = o * tanh(c_next), "
                     "so dc = dc_next + dh_next * o * (1 - tanh(c_next)**2).",
    "no tanh' in dc": "the tanh derivative is missing on the path from h_next to c_next: "
                      "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2).",
    "1 - c**2": "the tanh derivative on the path from h_next to c_next is taken as 1 - c_next**2. "
                "tanh'(u) = 1 - tanh(u)**2 is taken at u = c_t, through tanh(c_t): it is 1 - tanh(c_next)**2. "
                "(The shortcut 1 - y**2 holds when y is the tanh's output, as for g = tanh(z_g), "
                "but c_next is the tanh's input.)",
    "tanh' of g at z": "the candidate's derivative is taken at its pre-activation, 1 - z_g**2; with g = tanh(z_g) "
                       "it is 1 - g**2, written with the output g.",
    "sigmoid' on g": "the candidate's derivative is the sigmoid's, g * (1 - g); g = tanh(z_g), so it is 1 - g**2.",
    "dc from dh only": "dc_next, the gradient arriving along the cell-state line, is missing: "
                       "dc = dc_next + dh_next * o * (1 - tanh(c_next)**2).",
    "do with c_prev": "the output gate's gradient uses tanh(c_prev); h_next = o * tanh(c_next), so "
                      "do = dh_next * tanh(c_next).",
    "sigmoid' as 1 - s": "the sigmoid derivative is s * (1 - s), not 1 - s.",
    "ifog": "the gate gradients are stacked in the order i, f, o, g (CS231n, char-rnn, fastbook); "
            "stack them as the gates are stacked in W_xh: i, f, g, o.",
    "dc_prev without f": "dc_prev misses the forget gate: c_next = f * c_prev + ..., so dc_prev = dc * f.",
    "dc_prev from dc_next only": "dc_prev is dc_next * f: it leaves out the gradient that reaches c_next from "
                                 "h_next. Multiply the TOTAL gradient at c_next (both paths, the one you used "
                                 "for the gates) by f.",
    "db mean": "db is averaged over the batch; sum it: any averaging is already in dh_next and dc_next.",
}


# When no listed mistake matches: where to look, by the first output that is wrong (no formula handed over).
_BW_CAUSES = {
    "dc_prev": "c_prev reaches the loss only through c_next = f * c_prev + i * g. Check the total gradient at "
               "c_next first: it has two parts, dc_next along the cell-state line and the part that comes "
               "back from h_next = o * tanh(c_next).",
    "dh_prev": "h_prev reaches the loss only through z (all four gates read it), so dh_prev is wrong when dz is: "
               "check each gate's block of dz, (its gradient) times (its activation's derivative), in the "
               "order i, f, g, o.",
    "dx": "x reaches the loss only through z, like h_prev, but through W_xh: dx is (batch, 4H) times "
          "(4H, input_dim).",
    "dW_xh": "z is a linear layer of x: dW_xh sums, over the batch, the outer product of dz with x, "
             "(4H, batch) times (batch, input_dim).",
    "dW_hh": "z is a linear layer of h_prev: dW_hh sums, over the batch, the outer product of dz with h_prev.",
    "db": "b is added to z on every row of the batch, so db is dz summed over the batch.",
}


def _same(a, b):
    a = as_array(a)
    return a is not None and a.shape == b.shape and np.allclose(a.astype(np.float64), b, atol=1e-8, rtol=1e-6)


def _bw_mistakes(args, got):
    """{description: wrong output} for each of the six outputs. A mistake that explains ALL of the learner's
    outputs comes first: two slips can give the same dc_prev (missing the h_next path everywhere, or only in
    dc_prev), and the other five outputs tell them apart."""
    per_output = [dict() for _ in range(6)]
    wrongs = {d: _np_step_backward(*args, mode=mode) for mode, d in _BW_MISTAKES.items()}
    whole = [d for d, w in wrongs.items() if all(_same(g, w_k) for g, w_k in zip(got, w))]
    for description in whole + [d for d in wrongs if d not in whole]:
        for k in range(6):
            per_output[k][description] = wrongs[description][k]
    right = _np_step_backward(*args)
    per_output[3]["dW_xh is transposed: it has W_xh's shape (4*hidden_dim, input_dim), so it is dz.T @ x."] = \
        right[3].T
    per_output[4]["dW_hh is transposed: it has W_hh's shape (4*hidden_dim, hidden_dim), so it is dz.T @ h_prev."] = \
        right[4].T
    return per_output


def _bw_cases():
    rng = np.random.default_rng(99)
    cases = {}

    def make(batch, I, H, scale=0.6):
        W = _weights(rng, I, H, scale)
        return (rng.normal(size=(batch, H)), rng.normal(size=(batch, H)), rng.normal(size=(batch, I)),
                rng.normal(0, 0.5, size=(batch, H)), rng.normal(size=(batch, H)), *W)

    cases["batch of 4, input_dim 3, hidden_dim 5"] = make(4, 3, 5)
    cases["input_dim = hidden_dim = 4"] = make(3, 4, 4)
    cases["batch of 1"] = make(1, 6, 2)
    args = list(make(2, 3, 4))
    args[1] = np.zeros_like(args[1])
    cases["dc_next = 0 (a gradient from h_next only)"] = tuple(args)
    args = list(make(2, 3, 4))
    args[0] = np.zeros_like(args[0])
    cases["dh_next = 0 (a gradient along the cell-state line only)"] = tuple(args)
    cases["large pre-activations (gates saturate)"] = make(3, 2, 3, scale=2.5)
    return cases


def check_lstm_step_backward(lstm_step_backward):
    """Check lstm_step_backward(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b) against autograd.

    Returns to check: (dx, dh_prev, dc_prev, dW_xh, dW_hh, db).
    """
    chk = Check("lstm_step_backward", reference="torch autograd")
    for case, args in _bw_cases().items():
        expected = _torch_step_grads(*args)
        expected = (expected[0], expected[1], expected[2], expected[3], expected[4], expected[5])
        got = chk.call(lstm_step_backward, *args, case=case,
                       cause="dh_next, dc_next: (batch, hidden_dim); then the step's own inputs as lstm_step "
                             "takes them. Recompute the gates from them first.")
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 6, case=case,
                   what=f"expected a tuple of 6 arrays ({', '.join(_BW_NAMES)}), got {type(got).__name__}"
                        + (f" of length {len(got)}" if isinstance(got, (tuple, list)) else "") + ".",
                   cause=f"end the function with `return {', '.join(_BW_NAMES)}`.")
        mistakes = _bw_mistakes(args, got)
        for k in (2, 1, 0, 3, 4, 5):  # dc_prev and dh_prev first: what the step before receives
            chk.expect_close(got[k], expected[k], case=case, name=_BW_NAMES[k], shape_meaning=_BW_SHAPES[k],
                             atol=1e-10, mistakes=mistakes[k],
                             shape_cause="every gradient has the shape of what it is the gradient of.",
                             cause=_BW_CAUSES[_BW_NAMES[k]])
    chk.done()


# -------------------------------------------------------------- init_forget_bias

def _fb_cases():
    return {"nn.LSTM(3, 5), forget bias 1.0": (3, 5, 1, 1.0, 91),
            "nn.LSTM(4, 4), forget bias 3.0": (4, 4, 1, 3.0, 92),
            "two layers, nn.LSTM(2, 3, num_layers=2), forget bias 2.0": (2, 3, 2, 2.0, 93),
            "forget bias -1.0 (a negative value is allowed)": (3, 2, 1, -1.0, 94)}


def check_init_forget_bias(init_forget_bias):
    """Check init_forget_bias(lstm, value) on real torch.nn.LSTM modules (float64)."""
    chk = Check("init_forget_bias", reference="the forget bias asked for")
    gates = ("the input gate i", "the forget gate f", "the candidate g", "the output gate o")
    for case, (I, H, layers, value, seed) in _fb_cases().items():
        with torch.random.fork_rng():
            torch.manual_seed(seed)  # torch's random initial values: a forgotten bias_hh shows
            lstm = torch.nn.LSTM(I, H, num_layers=layers, batch_first=True, dtype=torch.float64)
        before = {k: v.detach().numpy().copy() for k, v in lstm.named_parameters()}
        returned = chk.call(init_forget_bias, lstm, value, case=case,
                 cause="work on the existing parameters in place, inside `with torch.no_grad():`.")
        params = dict(lstm.named_parameters())
        chk.expect(set(params) == set(before), case=case,
                   what=f"the LSTM's parameters are now {sorted(params)}, expected {sorted(before)}.",
                   cause="change the values of the existing parameters; do not delete or replace them.")
        for name in sorted(params):
            chk.expect(params[name].requires_grad, case=case,
                       what=f"lstm.{name} no longer requires a gradient.",
                       cause="write into the parameter under torch.no_grad() (a slice assignment or fill_), "
                             "instead of replacing it by a plain tensor.")
        for name in sorted(params):
            if name.startswith("weight"):
                chk.expect(np.array_equal(params[name].detach().numpy(), before[name]), case=case,
                           what=f"lstm.{name} was changed; only the biases should be.",
                           cause="touch only bias_ih_l{k} and bias_hh_l{k}.")
        for layer in range(layers):
            ih, hh = f"bias_ih_l{layer}", f"bias_hh_l{layer}"
            total = (params[ih] + params[hh]).detach().numpy()
            old_total = before[ih] + before[hh]
            where = f"layer {layer}" + (" (the second layer)" if layer == 1 else "")
            forget = total[H:2 * H]
            if np.allclose(forget, old_total[H:2 * H]) and layers > 1 and layer > 0:
                chk.fail(case, f"the forget bias of {where} is unchanged: an LSTM with num_layers={layers} "
                               f"has biases bias_ih_l{{k}}, bias_hh_l{{k}} for every layer k.",
                         f"loop over the layers: for k in range(lstm.num_layers): ... bias_ih_l{{k}} ...")
            chk.expect(not np.allclose(forget, 2 * value), case=case,
                       what=f"the forget gate's effective bias (bias_ih + bias_hh, rows H:2H) of {where} is "
                            f"{2 * value:g}, twice the value asked for ({value:g}).",
                       cause="the forget bias was set in both bias_ih and bias_hh, and torch adds the two: "
                             "set the forget slice of one of them to the value and of the other to 0.")
            for k, gate in enumerate(gates):
                if k != 1:
                    chk.expect(not np.allclose(total[k * H:(k + 1) * H], value), case=case,
                               what=f"the bias of {gate} (rows {k}H:{k + 1}H) of {where} was set to {value:g}, "
                                    f"not (only) the forget gate's.",
                               cause="torch stacks the gates as i, f, g, o, so the forget gate is the second "
                                     "block of H rows: bias[H:2*H]. Leave the other gates' biases as they are.")
            for k, gate in enumerate(gates):
                if k != 1:
                    for name in (ih, hh):
                        sl = slice(k * H, (k + 1) * H)
                        chk.expect(np.array_equal(params[name].detach().numpy()[sl], before[name][sl]), case=case,
                                   what=f"lstm.{name} changed in the rows of {gate}; only the forget rows "
                                        f"H:2H should change.",
                                   cause="assign to the slice bias[H:2*H] only.")
            off = forget - value
            chk.expect(not np.allclose(off, before[hh][H:2 * H]) or np.allclose(off, 0), case=case,
                       what=f"the forget gate's effective bias of {where} is {value:g} plus torch's random "
                            f"initial bias_hh (largest error {np.abs(off).max():.3g}).",
                       cause="torch adds bias_ih and bias_hh: after setting bias_ih's forget slice, set "
                             "bias_hh's forget slice to 0, so that their sum is exactly the value.")
            chk.expect_close(forget, np.full(H, float(value)), case=case,
                             name=f"bias_ih + bias_hh in the forget rows H:2H of {where}",
                             cause="set bias_ih_l{k}[H:2*H] to the value and bias_hh_l{k}[H:2*H] to 0.")
        # What the bias means: with zero weights and zero input, the forget gate is sigmoid(value).
        with torch.no_grad():
            z = (params["bias_ih_l0"] + params["bias_hh_l0"])[H:2 * H]
        chk.expect(bool(np.allclose(torch.sigmoid(z).numpy(), 1 / (1 + np.exp(-value)))), case=case,
                   what="the forget gate at zero input is not sigmoid(value).")
        _expect_returns_module(chk, returned, lstm, case)
    chk.done()
