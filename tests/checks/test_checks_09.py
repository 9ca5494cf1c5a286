"""Tests of the checks of 09_lstm_cell: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from utils.checks import (CheckFailure, check_init_forget_bias, check_load_into_lstm,  # noqa: E402
                          check_lstm_forward, check_lstm_step, check_lstm_step_backward)


# ------------------------------------------------------------------ solutions

def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))

def lstm_step(x, h_prev, c_prev, W_xh, W_hh, b):
    H = h_prev.shape[1]
    z = x @ W_xh.T + h_prev @ W_hh.T + b
    i = sigmoid(z[:, :H]); f = sigmoid(z[:, H:2*H]); g = np.tanh(z[:, 2*H:3*H]); o = sigmoid(z[:, 3*H:])
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    return h_next, c_next

def lstm_forward(xs, h0, c0, W_xh, W_hh, b):
    h, c, hs = h0, c0, []
    for t in range(xs.shape[1]):
        h, c = lstm_step(xs[:, t], h, c, W_xh, W_hh, b)
        hs.append(h)
    return np.stack(hs, axis=1), (h, c)

def load_into_lstm(lstm, W_xh, W_hh, b):
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(W_xh))
        lstm.weight_hh_l0.copy_(torch.from_numpy(W_hh))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b))
        lstm.bias_hh_l0.zero_()
    return lstm

def lstm_step_backward(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b):
    H = h_prev.shape[1]
    z = x @ W_xh.T + h_prev @ W_hh.T + b
    i = sigmoid(z[:, :H]); f = sigmoid(z[:, H:2*H]); g = np.tanh(z[:, 2*H:3*H]); o = sigmoid(z[:, 3*H:])
    c_next = f * c_prev + i * g
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
    dz = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2),
                         dh_next * tanh_c * o * (1 - o)], axis=1)
    return dz @ W_xh, dz @ W_hh, dc * f, dz.T @ x, dz.T @ h_prev, dz.sum(axis=0)

def init_forget_bias(lstm, value):
    H = lstm.hidden_size
    with torch.no_grad():
        for k in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{k}")[H:2*H] = value
            getattr(lstm, f"bias_hh_l{k}")[H:2*H] = 0.0
    return lstm


def stub(*args):
    raise NotImplementedError()


ALL = [(check_lstm_step, lstm_step), (check_lstm_forward, lstm_forward), (check_load_into_lstm, load_into_lstm),
       (check_lstm_step_backward, lstm_step_backward), (check_init_forget_bias, init_forget_bias)]


def test_solutions_pass(capsys):
    for check, fn in ALL:
        check(fn)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ lstm_step: 5/5 cases match torch.nn.LSTMCell (largest difference")
    assert out[1].startswith("✓ lstm_forward: 4/4 cases match torch.nn.LSTM")
    assert out[2].startswith("✓ load_into_lstm: 4/4 cases match")
    assert out[3].startswith("✓ lstm_step_backward: 6/6 cases match torch autograd")
    assert out[4].startswith("✓ init_forget_bias: 4/4 cases match")


@pytest.mark.parametrize("check", [c for c, _ in ALL], ids=[f.__name__ for _, f in ALL])
def test_stub_is_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(stub)


def test_torch_tensors_are_accepted():
    def step_torch(x, h_prev, c_prev, W_xh, W_hh, b):
        t = torch.from_numpy
        h, c = torch.lstm_cell(t(x), [t(h_prev), t(c_prev)], t(W_xh), t(W_hh), t(b), torch.zeros(len(b),
                               dtype=torch.float64))
        return h, c
    check_lstm_step(step_torch)


def test_bias_split_is_accepted():
    def load_split(lstm, W_xh, W_hh, b):
        load_into_lstm(lstm, W_xh, W_hh, b)
        with torch.no_grad():
            lstm.bias_ih_l0.copy_(torch.from_numpy(b / 2))
            lstm.bias_hh_l0.copy_(torch.from_numpy(b / 2))
        return lstm
    check_load_into_lstm(load_split)


def test_load_alternatives_are_accepted():
    def load_data(lstm, W_xh, W_hh, b):          # through .data, without torch.no_grad()
        lstm.weight_ih_l0.data = torch.tensor(W_xh)
        lstm.weight_hh_l0.data = torch.tensor(W_hh)
        lstm.bias_ih_l0.data = torch.zeros(len(b), dtype=torch.float64)
        lstm.bias_hh_l0.data = torch.tensor(b)
        return lstm

    def load_state_dict(lstm, W_xh, W_hh, b):
        lstm.load_state_dict({"weight_ih_l0": torch.from_numpy(W_xh), "weight_hh_l0": torch.from_numpy(W_hh),
                              "bias_ih_l0": torch.from_numpy(b), "bias_hh_l0": torch.zeros(len(b))})
        return lstm
    check_load_into_lstm(load_data)
    check_load_into_lstm(load_state_dict)


def test_init_forget_bias_alternatives_are_accepted():
    def by_name(lstm, value):                    # loop over named_parameters, fill_ on a slice
        H = lstm.hidden_size
        with torch.no_grad():
            for name, p in lstm.named_parameters():
                if name.startswith("bias_ih"):
                    p[H:2 * H].fill_(value)
                elif name.startswith("bias_hh"):
                    p[H:2 * H].zero_()
        return lstm

    def split_half(lstm, value):                 # half in each bias: the sum is still the value
        H = lstm.hidden_size
        for k in range(lstm.num_layers):
            getattr(lstm, f"bias_ih_l{k}").data[H:2 * H] = value / 2
            getattr(lstm, f"bias_hh_l{k}").data[H:2 * H] = value / 2
        return lstm
    check_init_forget_bias(by_name)
    check_init_forget_bias(split_half)


def _fails(check, fn, *fragments):
    with pytest.raises(AssertionError) as info:
        check(fn)
    assert isinstance(info.value, CheckFailure)
    msg = str(info.value)
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


# ------------------------------------------------------------------- lstm_step

def _step(order=(0, 1, 2, 3), g_act=np.tanh, h_of=lambda o, c_prev, c_next: o * np.tanh(c_next),
          bias=True, W_hh_blocks_T=False, swap=False, c_of=lambda f, c_prev, i, g: f * c_prev + i * g,
          bias_twice=False, interleaved=False, o_act=sigmoid, i_act=sigmoid, f_act=sigmoid, swap_return=False):
    def step(x, h_prev, c_prev, W_xh, W_hh, b):
        H = h_prev.shape[1]
        if swap and W_xh.shape == W_hh.shape:
            W_xh, W_hh = W_hh, W_xh
        rec = (np.concatenate([h_prev @ W_hh[k * H:(k + 1) * H] for k in range(4)], axis=1)
               if W_hh_blocks_T else h_prev @ W_hh.T)
        if bias_twice:
            z = (x @ W_xh.T + b) + (rec + b)
        else:
            z = x @ W_xh.T + rec + (b if bias else 0)
        if interleaved:
            zr = z.reshape(len(x), H, 4)
            zi, zf, zg, zo = zr[:, :, 0], zr[:, :, 1], zr[:, :, 2], zr[:, :, 3]
        else:
            zi, zf, zg, zo = (z[:, k * H:(k + 1) * H] for k in order)
        i, f, g, o = i_act(zi), f_act(zf), g_act(zg), o_act(zo)
        c_next = c_of(f, c_prev, i, g)
        h_next = h_of(o, c_prev, c_next)
        return (c_next, h_next) if swap_return else (h_next, c_next)
    return step


def test_step_returns_c_then_h():
    msg = _fails(check_lstm_step, _step(swap_return=True), "the two states come back in the wrong order",
                 "return the pair as (h_next, c_next)")
    assert "differs" not in msg


def test_step_bias_added_twice():
    _fails(check_lstm_step, _step(bias_twice=True), "the bias b is added twice", "one bias")


def test_step_gates_cut_interleaved():
    _fails(check_lstm_step, _step(interleaved=True), "interleaved columns", "z.reshape(batch, hidden_dim, 4)",
           "contiguous block")


def test_step_tanh_on_output_gate():
    msg = _fails(check_lstm_step, _step(o_act=np.tanh), "h_next differs", "the output gate uses tanh",
                 "o = sigmoid(z_o)")
    assert "c_next differs" not in msg


def test_step_tanh_on_input_and_forget_gates():
    _fails(check_lstm_step, _step(i_act=np.tanh), "the input gate uses tanh")
    _fails(check_lstm_step, _step(f_act=np.tanh), "the forget gate uses tanh")


def test_step_order_ifog():
    _fails(check_lstm_step, _step(order=(0, 1, 3, 2)), "i, f, o, g", "CS231n, char-rnn and fastbook",
           'case "batch of 4')


def test_step_order_fi_swapped():
    _fails(check_lstm_step, _step(order=(1, 0, 2, 3)), "input and forget gates are swapped")


def test_step_sigmoid_on_g():
    _fails(check_lstm_step, _step(g_act=sigmoid), "the candidate g uses a sigmoid")


def test_step_no_tanh_on_c_next():
    msg = _fails(check_lstm_step, _step(h_of=lambda o, cp, cn: o * cn),
                 "h_next differs", "tanh is missing on c_next before the output gate")
    assert "c_next differs" not in msg


def test_step_c_prev_in_h_next():
    _fails(check_lstm_step, _step(h_of=lambda o, cp, cn: o * np.tanh(cp)), "uses the NEW cell state")


def test_step_W_hh_blocks_not_transposed():
    _fails(check_lstm_step, _step(W_hh_blocks_T=True), "blocks of W_hh are used without their transpose")


def test_step_W_hh_not_transposed_crashes_clearly():
    def step(x, h_prev, c_prev, W_xh, W_hh, b):
        return _step()(x, h_prev, c_prev, W_xh, W_hh.T.T.T, b)
    _fails(check_lstm_step, step, "your function raised ValueError", "W_hh (4*hidden_dim, hidden_dim)")


def test_step_missing_bias():
    _fails(check_lstm_step, _step(bias=False), "the bias b is missing")


def test_step_swapped_weights():
    _fails(check_lstm_step, _step(swap=True), 'case "input_dim = hidden_dim = 4"', "W_xh and W_hh are swapped")


def test_step_no_input_gate():
    _fails(check_lstm_step, _step(c_of=lambda f, cp, i, g: f * cp + g), "the input gate is missing")


def test_step_coupled():
    _fails(check_lstm_step, _step(c_of=lambda f, cp, i, g: f * cp + (1 - f) * g), "(1 - f)")


def test_step_float32():
    def step(*args):
        return lstm_step(*[a.astype(np.float32) for a in args])
    _fails(check_lstm_step, step, "float32")


def test_step_returns_one_array():
    _fails(check_lstm_step, lambda *a: lstm_step(*a)[0], "expected a pair (h_next, c_next)")


def test_step_returns_whole_z_shape():
    def step(x, h_prev, c_prev, W_xh, W_hh, b):
        z = x @ W_xh.T + h_prev @ W_hh.T + b
        return np.tanh(z), np.tanh(z)
    _fails(check_lstm_step, step, "c_next has shape (4, 20), expected (4, 5)", "four")


# ---------------------------------------------------------------- lstm_forward

def _fwd(mode):
    def fwd(xs, h0, c0, W_xh, W_hh, b):
        h, c, hs = h0, c0, []
        for t in range(xs.shape[1]):
            if mode == "from h0":
                h, c = h0, c0
            if mode == "c reset":
                c = c0
            h_new, c_new = lstm_step(xs[:, t], h, c, W_xh, W_hh, b)
            hs.append(c_new if mode == "cs" else h_new)
            h, c = h_new, c_new
        out = np.stack(hs, axis=1)
        return (out, (c, h)) if mode == "swap" else (out, (h, c))
    return fwd


def test_forward_state_not_carried():
    _fails(check_lstm_forward, _fwd("from h0"), "every step starts from h0 and c0")


def test_forward_cell_reset():
    _fails(check_lstm_forward, _fwd("c reset"), "the cell state is reset to c0")


def test_forward_returns_cell_states():
    _fails(check_lstm_forward, _fwd("cs"), "hs holds the cell states")


def test_forward_final_pair_swapped():
    _fails(check_lstm_forward, _fwd("swap"), "the final pair is (c_T, h_T)")


def test_forward_returns_hs_only():
    _fails(check_lstm_forward, lambda *a: lstm_forward(*a)[0], "expected (hs, (h_T, c_T))")


def test_forward_backwards_in_time():
    _fails(check_lstm_forward, lambda xs, *a: lstm_forward(xs[:, ::-1], *a), "read backwards")


# -------------------------------------------------------------- load_into_lstm

def _reorder(W, order):
    H = W.shape[0] // 4
    return np.ascontiguousarray(np.concatenate([W[k * H:(k + 1) * H] for k in order], axis=0))


def _load(ih=lambda W_xh, W_hh: W_xh, hh=lambda W_xh, W_hh: W_hh, bias_ih=lambda b: b, bias_hh=lambda b: 0 * b,
          keep_hh=False):
    def load(lstm, W_xh, W_hh, b):
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(ih(W_xh, W_hh))))
            lstm.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(hh(W_xh, W_hh))))
            lstm.bias_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(bias_ih(b))))
            if not keep_hh:
                lstm.bias_hh_l0.copy_(torch.from_numpy(bias_hh(b)))
        return lstm
    return load


def test_load_reordered_to_ifog():
    o = (0, 1, 3, 2)
    _fails(check_load_into_lstm, _load(ih=lambda a, b: _reorder(a, o), hh=lambda a, b: _reorder(b, o),
                                       bias_ih=lambda b: _reorder(b, o)),
           "rearranged to i, f, o, g", "CS231n, char-rnn and fastbook", "i, f, g, o")


def test_load_bias_twice():
    _fails(check_load_into_lstm, _load(bias_hh=lambda b: b), "equals 2 * b", "counts it twice")


def test_load_forgets_bias_hh():
    _fails(check_load_into_lstm, _load(keep_hh=True), "bias_ih_l0 + bias_hh_l0 is not b", "random initial values")


def test_load_transposed_W_xh():
    _fails(check_load_into_lstm, _load(ih=lambda a, b: a.T), "your function raised RuntimeError",
           "copy it without transposing")


def test_load_swapped():
    def load(lstm, W_xh, W_hh, b):
        if W_xh.shape != W_hh.shape:
            return _load()(lstm, W_xh, W_hh, b)
        return _load(ih=lambda a, b: b, hh=lambda a, b: a)(lstm, W_xh, W_hh, b)
    _fails(check_load_into_lstm, load, "weight_ih_l0 holds W_hh")


def test_load_float32():
    def load(lstm, W_xh, W_hh, b):
        _load()(lstm, W_xh, W_hh, b)
        lstm.float()
    _fails(check_load_into_lstm, load, "is torch.float32, expected torch.float64")


def test_load_through_float32_names_the_dtype():
    """The check shared with 04 (utils.checks.rnn_cell.expect_weights_loaded) names a copy through float32."""
    def load(lstm, W_xh, W_hh, b):
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.tensor(W_xh, dtype=torch.float32))
            lstm.weight_hh_l0.copy_(torch.from_numpy(W_hh))
            lstm.bias_ih_l0.copy_(torch.from_numpy(b))
            lstm.bias_hh_l0.zero_()
    msg = _fails(check_load_into_lstm, load, "lstm.weight_ih_l0 does not hold W_xh: it holds W_xh rounded to "
                 "float32 precision", "went through float32", "torch.from_numpy(W_xh)")
    assert "copy W_xh into it in place" not in msg


def test_load_bias_through_float32_names_the_dtype():
    def load(lstm, W_xh, W_hh, b):
        with torch.no_grad():
            lstm.weight_ih_l0.copy_(torch.from_numpy(W_xh))
            lstm.weight_hh_l0.copy_(torch.from_numpy(W_hh))
            lstm.bias_ih_l0.copy_(torch.tensor(b, dtype=torch.float32))
            lstm.bias_hh_l0.zero_()
    _fails(check_load_into_lstm, load, "is not b but b rounded to float32 precision", "torch.from_numpy(b)")


def test_load_forgets_return():
    """A miss of the first edition: the check passed, and the notebook then failed two cells later with
    TypeError: 'NoneType' object is not callable."""
    def load(lstm, W_xh, W_hh, b):
        load_into_lstm(lstm, W_xh, W_hh, b)
    _fails(check_load_into_lstm, load, "load_into_lstm returned None", "must return lstm", "`return lstm`")


def test_load_returns_the_weights():
    def load(lstm, W_xh, W_hh, b):
        load_into_lstm(lstm, W_xh, W_hh, b)
        return W_xh, W_hh, b
    _fails(check_load_into_lstm, load, "load_into_lstm returned a tuple", "must return lstm")


def test_load_does_nothing():
    _fails(check_load_into_lstm, lambda *a: None, "does not hold W_xh: it still holds torch's random initial values")


# ---------------------------------------------------------- lstm_step_backward

def _bw(mode):
    def backward(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b):
        H = h_prev.shape[1]
        z = x @ W_xh.T + h_prev @ W_hh.T + b
        i, f, g, o = sigmoid(z[:, :H]), sigmoid(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sigmoid(z[:, 3 * H:])
        c_next = f * c_prev + i * g
        tc = np.tanh(c_next)
        if mode == "no dh path":
            dc = dc_next
        elif mode == "1 - c**2":
            dc = dc_next + dh_next * o * (1 - c_next ** 2)
        elif mode == "nonsense":
            dc = dc_next + dh_next * o * (1 - tc ** 2) * 2
        else:
            dc = dc_next + dh_next * o * (1 - tc ** 2)
        ds = (lambda s: 1 - s) if mode == "sigmoid'" else (lambda s: s * (1 - s))
        dzg = {"g' at z": dc * i * (1 - z[:, 2 * H:3 * H] ** 2), "sigmoid' on g": dc * i * g * (1 - g)}.get(
            mode, dc * i * (1 - g ** 2))
        blocks = [dc * g * ds(i), dc * c_prev * ds(f), dzg, dh_next * tc * ds(o)]
        if mode == "ifog":
            blocks = [blocks[0], blocks[1], blocks[3], blocks[2]]
        dz = np.concatenate(blocks, axis=1)
        dc_prev = {"no f": dc, "dc_next only": dc_next * f}.get(mode, dc * f)
        dW_hh = h_prev.T @ dz if mode == "dW_hh.T" else dz.T @ h_prev
        db = dz.mean(axis=0) if mode == "mean" else dz.sum(axis=0)
        return dz @ W_xh, dz @ W_hh, dc_prev, dz.T @ x, dW_hh, db
    return backward


def test_backward_misses_dh_path():
    _fails(check_lstm_step_backward, _bw("no dh path"), "misses the path through h_next")


def test_backward_tanh_derivative_at_c():
    """The classic slip: tanh'(c_t) written as 1 - c_t**2; named precisely, not with the generic recipe."""
    msg = _fails(check_lstm_step_backward, _bw("1 - c**2"), "dc_prev differs", "1 - c_next**2",
                 "taken at u = c_t, through tanh(c_t)", "1 - tanh(c_next)**2")
    assert "then di = dc * g" not in msg


def test_backward_candidate_derivative_at_pre_activation():
    _fails(check_lstm_step_backward, _bw("g' at z"), "dh_prev differs", "1 - z_g**2", "1 - g**2")


def test_backward_candidate_with_sigmoid_derivative():
    _fails(check_lstm_step_backward, _bw("sigmoid' on g"), "the candidate's derivative is the sigmoid's")


def test_backward_dc_prev_from_dc_next_only():
    """Its dc_prev equals that of 'no dh path'; its (right) dh_prev tells the two apart."""
    msg = _fails(check_lstm_step_backward, _bw("dc_next only"), "dc_prev differs", "dc_prev is dc_next * f",
                 "TOTAL gradient at c_next")
    assert "misses the path through h_next" not in msg


def test_backward_unknown_mistake_gets_a_pointer_not_the_recipe():
    msg = _fails(check_lstm_step_backward, _bw("nonsense"), "dc_prev differs", "two parts")
    assert "dz @ W_xh" not in msg and "dc * f" not in msg


def test_backward_sigmoid_derivative():
    _fails(check_lstm_step_backward, _bw("sigmoid'"), "s * (1 - s), not 1 - s")


def test_backward_ifog():
    _fails(check_lstm_step_backward, _bw("ifog"), "i, f, o, g")


def test_backward_dc_prev_without_f():
    _fails(check_lstm_step_backward, _bw("no f"), "dc_prev misses the forget gate")


def test_backward_dW_hh_transposed():
    _fails(check_lstm_step_backward, _bw("dW_hh.T"), "dW_hh has shape (5, 20), expected (20, 5)",
           "dW_hh is transposed")


def test_backward_db_mean():
    _fails(check_lstm_step_backward, _bw("mean"), "db is averaged over the batch")


def test_backward_wrong_arity():
    _fails(check_lstm_step_backward, lambda *a: lstm_step_backward(*a)[:5], "expected a tuple of 6 arrays")


# ------------------------------------------------------------ init_forget_bias

def _fb(mode):
    def init(lstm, value):
        H = lstm.hidden_size
        with torch.no_grad():
            for k in range(1 if mode == "first layer" else lstm.num_layers):
                ih, hh = getattr(lstm, f"bias_ih_l{k}"), getattr(lstm, f"bias_hh_l{k}")
                if mode == "both":
                    ih[H:2 * H] = value
                    hh[H:2 * H] = value
                elif mode == "keep hh":
                    ih[H:2 * H] = value
                elif mode == "whole":
                    ih[:] = value
                    hh[:] = 0.0
                elif mode == "o slice":
                    ih[3 * H:] = value
                    hh[3 * H:] = 0.0
                else:
                    ih[H:2 * H] = value
                    hh[H:2 * H] = 0.0
        if mode != "no return":
            return lstm
    return init


def test_forget_bias_doubled():
    _fails(check_init_forget_bias, _fb("both"), "twice the value asked for", "set in both bias_ih and bias_hh")


def test_forget_bias_hh_left_random():
    _fails(check_init_forget_bias, _fb("keep hh"), "plus torch's random initial bias_hh")


def test_forget_bias_whole_vector():
    _fails(check_init_forget_bias, _fb("whole"), "the input gate i", "not (only) the forget gate's")


def test_forget_bias_wrong_slice():
    _fails(check_init_forget_bias, _fb("o slice"), "the output gate o", "bias[H:2*H]")


def test_forget_bias_first_layer_only():
    _fails(check_init_forget_bias, _fb("first layer"), "layer 1 (the second layer) is unchanged",
           "loop over the layers")


def test_forget_bias_replaces_parameter():
    def init(lstm, value):
        H = lstm.hidden_size
        for k in range(lstm.num_layers):
            new = getattr(lstm, f"bias_ih_l{k}").detach().clone()
            new[H:2 * H] = value
            setattr(lstm, f"bias_ih_l{k}", torch.nn.Parameter(new, requires_grad=False))
            with torch.no_grad():
                getattr(lstm, f"bias_hh_l{k}")[H:2 * H] = 0.0
        return lstm
    _fails(check_init_forget_bias, init, "no longer requires a gradient")


def test_forget_bias_forgets_return():
    """A miss of the first edition: the check passed, and the notebook's probe then crashed with
    AttributeError: 'NoneType' object has no attribute 'weight_ih_l0'."""
    _fails(check_init_forget_bias, _fb("no return"), "init_forget_bias returned None",
           "must return lstm", "`return lstm`")


def test_forget_bias_returns_a_new_module():
    def init(lstm, value):
        new = torch.nn.LSTM(lstm.input_size, lstm.hidden_size, num_layers=lstm.num_layers, dtype=torch.float64)
        new.load_state_dict(lstm.state_dict())
        _fb("right")(lstm, value)
        return new
    _fails(check_init_forget_bias, init, "returned another LSTM, not the one it was given")


# ------------------------------------------------------------------- diagram

def test_lstm_diagram_draws():
    import matplotlib.pyplot as plt

    from utils.diagrams import draw_lstm_cell

    for fig in [draw_lstm_cell(), draw_lstm_cell(labels=False, title="x")]:
        assert fig.axes
        plt.close(fig)


def test_load_wrong_shape_parameter_is_reported():
    def load(lstm, W_xh, W_hh, b):
        load_into_lstm(lstm, W_xh, W_hh, b)
        lstm.weight_hh_l0.data = torch.from_numpy(np.ascontiguousarray(W_hh.T))
    msg = _fails(check_load_into_lstm, load)
    assert "Likely cause" in msg


# --------------------------------------------------- correct alternatives pass

def test_step_with_reshape_to_gate_first_is_accepted():
    """z.reshape(batch, 4, H) puts the gate index first: a correct way to cut the four blocks."""
    def step(x, h_prev, c_prev, W_xh, W_hh, b):
        H = h_prev.shape[1]
        zi, zf, zg, zo = (x @ W_xh.T + h_prev @ W_hh.T + b).reshape(len(x), 4, H).transpose(1, 0, 2)
        c_next = sigmoid(zf) * c_prev + sigmoid(zi) * np.tanh(zg)
        return sigmoid(zo) * np.tanh(c_next), c_next
    check_lstm_step(step)


def test_backward_gate_by_gate_is_accepted():
    """Each gate's weights handled as their own block, the gradients stacked at the end."""
    def backward(dh_next, dc_next, x, h_prev, c_prev, W_xh, W_hh, b):
        H = h_prev.shape[1]
        blocks = [slice(k * H, (k + 1) * H) for k in range(4)]
        z = [x @ W_xh[s].T + h_prev @ W_hh[s].T + b[s] for s in blocks]
        i, f, g, o = sigmoid(z[0]), sigmoid(z[1]), np.tanh(z[2]), sigmoid(z[3])
        tanh_c = np.tanh(f * c_prev + i * g)
        dc = dc_next + dh_next * o * (1 - tanh_c ** 2)
        dzs = [dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g ** 2), dh_next * tanh_c * o * (1 - o)]
        dx = sum(d @ W_xh[s] for d, s in zip(dzs, blocks))
        dh_prev = sum(d @ W_hh[s] for d, s in zip(dzs, blocks))
        dW_xh = np.vstack([d.T @ x for d in dzs])
        dW_hh = np.vstack([d.T @ h_prev for d in dzs])
        db = np.concatenate([d.sum(axis=0) for d in dzs])
        return dx, dh_prev, dc * f, dW_xh, dW_hh, db
    check_lstm_step_backward(backward)
