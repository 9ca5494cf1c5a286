"""Tests of the checks of 04_rnn_cell: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from utils.checks import (CheckFailure, check_load_into_torch, check_rnn_forward,  # noqa: E402
                          check_rnn_step, check_rnn_step_concat)


# ------------------------------------------------------------------ solutions

def rnn_step(x, h_prev, W_xh, W_hh, b_h):
    return np.tanh(x @ W_xh.T + h_prev @ W_hh.T + b_h)


def rnn_forward(xs, h0, W_xh, W_hh, b_h):
    h, hs = h0, []
    for t in range(xs.shape[1]):
        h = rnn_step(xs[:, t], h, W_xh, W_hh, b_h)
        hs.append(h)
    return np.stack(hs, axis=1)


def load_into_torch(rnn, W_xh, W_hh, b_h):
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh))
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b_h))
        rnn.bias_hh_l0.zero_()
    return rnn


def rnn_step_concat(x, h_prev, W, b):
    return np.tanh(np.concatenate([x, h_prev], axis=1) @ W.T + b)


def stub(*args):
    raise NotImplementedError()


def test_solutions_pass(capsys):
    check_rnn_step(rnn_step)
    check_rnn_forward(rnn_forward)
    check_load_into_torch(load_into_torch)
    check_rnn_step_concat(rnn_step_concat)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ rnn_step: 5/5 cases match torch.nn.RNNCell (largest difference")
    assert out[1].startswith("✓ rnn_forward: 5/5 cases match torch.nn.RNN")
    assert out[2].startswith("✓ load_into_torch: 3/3 cases match")
    assert out[3].startswith("✓ rnn_step_concat: 4/4 cases match torch.nn.RNNCell")


def test_torch_tensors_are_accepted():
    """A learner who returns torch tensors (float64) is not wrong."""
    def step_torch(x, h_prev, W_xh, W_hh, b_h):
        t = torch.from_numpy
        return torch.tanh(t(x) @ t(W_xh).T + t(h_prev) @ t(W_hh).T + t(b_h))
    check_rnn_step(step_torch)


def test_bias_split_is_accepted():
    """Any split of b_h between torch's two biases is right."""
    def load_split(rnn, W_xh, W_hh, b_h):
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(W_xh))
            rnn.weight_hh_l0.copy_(torch.from_numpy(W_hh))
            rnn.bias_ih_l0.copy_(torch.from_numpy(b_h / 2))
            rnn.bias_hh_l0.copy_(torch.from_numpy(b_h / 2))
    check_load_into_torch(load_split)


@pytest.mark.parametrize("check", [check_rnn_step, check_rnn_forward, check_load_into_torch, check_rnn_step_concat])
def test_stub_is_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(stub)


def _fails(check, fn, *fragments):
    with pytest.raises(AssertionError) as info:
        check(fn)
    assert isinstance(info.value, CheckFailure)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


# ------------------------------------------------------------------- rnn_step

def test_step_W_hh_not_transposed():
    _fails(check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh + b),
           'case "batch of 4', "W_hh is used without its transpose")


def test_step_W_xh_not_transposed():
    # Crashes on the non-square case first: the message says which case and why.
    msg = _fails(check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx + h @ Wh.T + b),
                 "your function raised ValueError")
    assert "W_xh (hidden_dim, input_dim)" in msg


def test_step_W_xh_not_transposed_square_only():
    # A learner whose code only runs on square weights gets the mistake named on the square case.
    def step(x, h, Wx, Wh, b):
        if Wx.shape[0] != Wx.shape[1]:
            return np.tanh(x @ Wx.T + h @ Wh.T + b)
        return np.tanh(x @ Wx + h @ Wh.T + b)
    _fails(check_rnn_step, step, 'case "input_dim = hidden_dim = 4"', "W_xh is used without its transpose")


def test_step_missing_bias():
    _fails(check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T), "the bias b_h is missing")


def test_step_missing_tanh():
    _fails(check_rnn_step, lambda x, h, Wx, Wh, b: x @ Wx.T + h @ Wh.T + b, "tanh is missing")


def test_step_sigmoid():
    _fails(check_rnn_step, lambda x, h, Wx, Wh, b: 1 / (1 + np.exp(-(x @ Wx.T + h @ Wh.T + b))),
           "sigmoid is used")


def test_step_bias_outside():
    _fails(check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T) + b, "added after tanh")


def test_step_float32():
    def step(x, h, Wx, Wh, b):
        f = np.float32
        return np.tanh(x.astype(f) @ Wx.T.astype(f) + h.astype(f) @ Wh.T.astype(f) + b.astype(f))
    _fails(check_rnn_step, step, "float32")


def test_step_swapped():
    def step(x, h, Wx, Wh, b):
        if Wx.shape[0] != Wx.shape[1]:
            return np.tanh(x @ Wx.T + h @ Wh.T + b)
        return np.tanh(x @ Wh.T + h @ Wx.T + b)
    _fails(check_rnn_step, step, "W_xh and W_hh are swapped")


def test_step_wrong_shape_message():
    msg = _fails(check_rnn_step, lambda x, h, Wx, Wh, b: np.tanh(x @ Wx.T + h @ Wh.T + b).T,
                 "h_next has shape (5, 4), expected (4, 5) = (batch, hidden_dim)")
    assert "Likely cause" in msg


def test_step_returns_none():
    _fails(check_rnn_step, lambda *a: None, "h_next is None", "does not `return`")


# ---------------------------------------------------------------- rnn_forward

def test_forward_state_not_carried():
    def fwd(xs, h0, Wx, Wh, b):
        return np.stack([rnn_step(xs[:, t], h0, Wx, Wh, b) for t in range(xs.shape[1])], axis=1)
    _fails(check_rnn_forward, fwd, "every step starts from h0")


def test_forward_off_by_one():
    def fwd(xs, h0, Wx, Wh, b):
        h, hs = h0, []
        for t in range(xs.shape[1]):
            hs.append(h)
            h = rnn_step(xs[:, t], h, Wx, Wh, b)
        return np.stack(hs, axis=1)
    _fails(check_rnn_forward, fwd, "holds the state before step t")


def test_forward_includes_h0():
    def fwd(xs, h0, Wx, Wh, b):
        return np.concatenate([h0[:, None], rnn_forward(xs, h0, Wx, Wh, b)], axis=1)
    _fails(check_rnn_forward, fwd, "hs has shape (2, 6, 4), expected (2, 5, 4)", "hs includes h0")


def test_forward_time_first():
    def fwd(xs, h0, Wx, Wh, b):
        return np.transpose(rnn_forward(xs, h0, Wx, Wh, b), (1, 0, 2))
    _fails(check_rnn_forward, fwd, "stacked along axis 0")


def test_forward_backwards_in_time():
    def fwd(xs, h0, Wx, Wh, b):
        return rnn_forward(xs[:, ::-1], h0, Wx, Wh, b)
    _fails(check_rnn_forward, fwd, "read backwards")


def test_forward_last_only():
    def fwd(xs, h0, Wx, Wh, b):
        return rnn_forward(xs, h0, Wx, Wh, b)[:, -1]
    _fails(check_rnn_forward, fwd, "only the last state is returned")


# ------------------------------------------------------------ load_into_torch

def _load(ih=lambda W_xh, W_hh: W_xh, hh=lambda W_xh, W_hh: W_hh, bias_ih=lambda b: b, bias_hh=lambda b: 0 * b,
          keep_hh=False):
    def load(rnn, W_xh, W_hh, b_h):
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(ih(W_xh, W_hh))))
            rnn.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(hh(W_xh, W_hh))))
            rnn.bias_ih_l0.copy_(torch.from_numpy(bias_ih(b_h)))
            if not keep_hh:
                rnn.bias_hh_l0.copy_(torch.from_numpy(bias_hh(b_h)))
    return load


def test_load_forgets_bias_hh():
    _fails(check_load_into_torch, _load(keep_hh=True), "bias_ih_l0 + bias_hh_l0 is not b_h",
           "random initial values")


def test_load_bias_twice():
    _fails(check_load_into_torch, _load(bias_hh=lambda b: b), "equals 2 * b_h", "counts it twice")


def test_load_transposed_W_hh():
    _fails(check_load_into_torch, _load(hh=lambda W_xh, W_hh: W_hh.T), "weight_hh_l0 holds W_hh transposed")


def test_load_transposed_W_xh():
    msg = _fails(check_load_into_torch, _load(ih=lambda W_xh, W_hh: W_xh.T), "your function raised RuntimeError")
    assert "copy it without transposing" in msg


def test_load_swapped():
    def load(rnn, W_xh, W_hh, b_h):
        if W_xh.shape != W_hh.shape:
            return _load()(rnn, W_xh, W_hh, b_h)
        return _load(ih=lambda a, b: b, hh=lambda a, b: a)(rnn, W_xh, W_hh, b_h)
    _fails(check_load_into_torch, load, "weight_ih_l0 holds W_hh")


def test_load_replaces_by_plain_tensor():
    def load(rnn, W_xh, W_hh, b_h):
        for name, value in [("weight_ih_l0", W_xh), ("weight_hh_l0", W_hh), ("bias_ih_l0", b_h),
                            ("bias_hh_l0", 0 * b_h)]:
            getattr(rnn, name).data = torch.from_numpy(value)
            getattr(rnn, name).requires_grad_(False)
    _fails(check_load_into_torch, load, "no longer requires a gradient")


def test_load_float32():
    def load(rnn, W_xh, W_hh, b_h):
        _load()(rnn, W_xh, W_hh, b_h)
        rnn.float()
    _fails(check_load_into_torch, load, "is torch.float32, expected torch.float64")


def test_load_through_float32_names_the_dtype():
    def load(rnn, W_xh, W_hh, b_h):
        with torch.no_grad():
            rnn.weight_ih_l0.copy_(torch.tensor(W_xh, dtype=torch.float32))
            rnn.weight_hh_l0.copy_(torch.tensor(W_hh, dtype=torch.float32))
            rnn.bias_ih_l0.copy_(torch.tensor(b_h, dtype=torch.float32))
            rnn.bias_hh_l0.zero_()
    msg = _fails(check_load_into_torch, load, "rounded to float32 precision", "went through float32",
                 "torch.from_numpy(W_xh)")
    assert "copy W_xh into it in place" not in msg


def test_load_bias_through_float32_names_the_dtype():
    def load(rnn, W_xh, W_hh, b_h):
        _load()(rnn, W_xh, W_hh, b_h)
        with torch.no_grad():
            rnn.bias_ih_l0.copy_(torch.from_numpy(b_h).float())
    _fails(check_load_into_torch, load, "b_h rounded to float32 precision", "b_h went through float32")


def test_load_does_nothing():
    _fails(check_load_into_torch, lambda rnn, W_xh, W_hh, b_h: None, 'case "input_dim 3, hidden_dim 5"',
           "rnn.weight_ih_l0 does not hold W_xh: it still holds torch's random initial values")


# ------------------------------------------------------------ rnn_step_concat

def test_concat_wrong_order():
    _fails(check_rnn_step_concat, lambda x, h, W, b: np.tanh(np.concatenate([h, x], axis=1) @ W.T + b),
           "joined in the wrong order")


def test_concat_wrong_axis():
    msg = _fails(check_rnn_step_concat, lambda x, h, W, b: np.tanh(np.concatenate([x, h], axis=0) @ W.T + b))
    assert "axis" in msg


def test_concat_missing_bias():
    _fails(check_rnn_step_concat, lambda x, h, W, b: np.tanh(np.concatenate([x, h], axis=1) @ W.T),
           "the bias b is missing")


def test_concat_missing_tanh():
    _fails(check_rnn_step_concat, lambda x, h, W, b: np.concatenate([x, h], axis=1) @ W.T + b, "tanh is missing")


def test_concat_no_transpose():
    _fails(check_rnn_step_concat, lambda x, h, W, b: np.tanh(np.concatenate([x, h], axis=1) @ W + b),
           "your function raised ValueError")


# ------------------------------------------------------------------- diagrams

def test_diagrams_draw():
    import matplotlib.pyplot as plt

    from utils.diagrams import draw_rnn_folded, draw_rnn_unrolled, unrolled_layout

    for fig in [draw_rnn_folded(), draw_rnn_folded(outputs=False), draw_rnn_unrolled(4, "all"),
                draw_rnn_unrolled(1, "last", losses=True), draw_rnn_unrolled(3, None, h0=False)]:
        assert fig.axes
        plt.close(fig)
    lay = unrolled_layout(5, outputs="last", losses=True)
    assert len(lay["h"]) == 5 and lay["y"][:4] == [None] * 4 and lay["L"][4] is not None
    with pytest.raises(ValueError):
        draw_rnn_unrolled(3, outputs="first")
    with pytest.raises(ValueError):
        unrolled_layout(0)
