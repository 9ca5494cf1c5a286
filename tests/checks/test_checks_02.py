"""Tests of the checks of 02_training_ffn: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from utils.checks import (check_linear_backward, check_MLP, check_numeric_gradient, check_relu_backward,
                          check_sgd_step, check_softmax_cross_entropy_backward)


def stub(*args, **kwargs):
    raise NotImplementedError()


def softmax(z, axis=1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def fails_with(check, fn, *fragments):
    with pytest.raises(AssertionError) as info:
        check(fn)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, message
    return message


# ------------------------------------------------------------------ linear_backward

def linear_backward(dout, x, W):
    return dout @ W, dout.T @ x, dout.sum(axis=0)


def test_linear_backward_solution_passes(capsys):
    check_linear_backward(linear_backward)
    assert capsys.readouterr().out.startswith("✓ linear_backward: 5/5 cases match torch autograd of F.linear")


def test_linear_backward_stub_is_not_attempted():
    with pytest.raises(NotImplementedError):
        check_linear_backward(stub)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda dout, x, W: (dout @ W, x.T @ dout, dout.sum(axis=0)), ["dW has shape", "dW = x.T @ dout is the transpose"]),
    (lambda dout, x, W: (dout @ W, dout.T @ x, dout.mean(axis=0)), ["db differs", "db is the mean over the batch"]),
    (lambda dout, x, W: (dout @ W, dout.T @ x / len(x), dout.sum(axis=0)), ["dW divided by the batch size"]),
    (lambda dout, x, W: (dout @ W.T, dout.T @ x, dout.sum(axis=0)), ["raised ValueError", "mismatched shapes"]),
    (lambda dout, x, W: (dout.T @ x, dout @ W, dout.sum(axis=0)), ["dW returned where dx belongs"]),
    (lambda dout, x, W: (dout @ W, dout.T @ x, dout), ["db has shape", "db is dout itself"]),
    (lambda dout, x, W: (dout @ W, dout.T @ x), ["expected a tuple (dx, dW, db)"]),
])
def test_linear_backward_mistakes(wrong, fragments):
    fails_with(check_linear_backward, wrong, *fragments)


# -------------------------------------------------------------------- relu_backward

def relu_backward(dout, z):
    return dout * (z > 0)


def test_relu_backward_solution_passes(capsys):
    check_relu_backward(relu_backward)
    assert capsys.readouterr().out.startswith("✓ relu_backward: 5/5 cases match")


def test_relu_backward_stub_is_not_attempted():
    with pytest.raises(NotImplementedError):
        check_relu_backward(stub)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda dout, z: dout * (z >= 0), ['case "batch of 4 with some z exactly 0"', "z >= 0"]),
    (lambda dout, z: (z > 0).astype(float), ["returned without dout"]),
    (lambda dout, z: dout * np.maximum(z, 0), ["multiplied by relu(z)"]),
    (lambda dout, z: dout * (dout > 0), ["mask is taken from dout"]),
    (lambda dout, z: dout, ["dout returned unchanged"]),
    (lambda dout, z: (dout * (z > 0)).sum(axis=0), ["dz has shape"]),
])
def test_relu_backward_mistakes(wrong, fragments):
    fails_with(check_relu_backward, wrong, *fragments)


# --------------------------------------------------- softmax_cross_entropy_backward

def softmax_cross_entropy_backward(logits, y):
    p = softmax(logits)
    p[np.arange(len(y)), y] -= 1.0
    return p / len(y)


def test_softmax_ce_solution_passes(capsys):
    check_softmax_cross_entropy_backward(softmax_cross_entropy_backward)
    assert capsys.readouterr().out.startswith("✓ softmax_cross_entropy_backward: 5/5 cases match")


def test_softmax_ce_stub_is_not_attempted():
    with pytest.raises(NotImplementedError):
        check_softmax_cross_entropy_backward(stub)


def one_hot(y, n):
    out = np.zeros((len(y), n))
    out[np.arange(len(y)), y] = 1
    return out


def columns_minus_one(p, y):
    p = p.copy()
    p[:, y] -= 1
    return p


def unstable(logits, y):
    e = np.exp(logits)
    return (e / e.sum(axis=1, keepdims=True) - one_hot(y, logits.shape[1])) / len(y)


@pytest.mark.parametrize("wrong, fragments", [
    (lambda z, y: softmax(z) - one_hot(y, z.shape[1]), ["not divided by the batch size"]),
    (lambda z, y: (one_hot(y, z.shape[1]) - softmax(z)) / len(y), ["the sign is flipped"]),
    (lambda z, y: softmax(z) / len(y), ["one-hot of y is not subtracted"]),
    (lambda z, y: (softmax(z) - 1) / len(y), ["1 is subtracted from every entry"]),
    (lambda z, y: columns_minus_one(softmax(z), y) / len(y), ["p[:, y] -= 1 subtracts 1 in the columns",
                                                              "p[np.arange(batch), y] -= 1"]),
    (lambda z, y: (softmax(z, axis=0) - one_hot(y, z.shape[1])) / len(y), ["softmax is taken over the batch"]),
    (unstable, ['case "large logits (+-1000)"', "exp overflowed"]),
])
def test_softmax_ce_mistakes(wrong, fragments):
    with np.errstate(all="ignore"):
        fails_with(check_softmax_cross_entropy_backward, wrong, *fragments)


# ----------------------------------------------------------------- numeric_gradient

def numeric_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def test_numeric_gradient_solution_passes(capsys):
    check_numeric_gradient(numeric_gradient)
    assert capsys.readouterr().out.startswith("✓ numeric_gradient: 7/7 cases match")


def test_numeric_gradient_copying_solution_passes(capsys):
    def by_copies(f, x, eps=1e-6):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            e = np.zeros_like(x)
            e[i] = eps
            grad[i] = (f(x + e) - f(x - e)) / (2 * eps)
        return grad
    check_numeric_gradient(by_copies)
    assert "✓ numeric_gradient" in capsys.readouterr().out


def test_numeric_gradient_stub_is_not_attempted():
    with pytest.raises(NotImplementedError):
        check_numeric_gradient(stub)


def forward_difference(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        grad[i] = (f(x) - f0) / eps
        x[i] = old
    return grad


def half_step(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        f_plus = f(x)
        x[i] = old - eps
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / eps
    return grad


def no_restore(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        x[i] += eps
        f_plus = f(x)
        x[i] -= 2 * eps
        f_minus = f(x)
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def all_at_once(f, x, eps=1e-6):
    return np.full_like(x, (f(x + eps) - f(x - eps)) / (2 * eps))


def flat_only(f, x, eps=1e-6):
    grad = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = eps
        grad[i] = (f(x + e.reshape(x.shape)) - f(x - e.reshape(x.shape))) / (2 * eps)
    return grad


@pytest.mark.parametrize("wrong, fragments", [
    (forward_difference, ["a forward difference"]),
    (half_step, ["divided by eps instead of 2 * eps"]),
    (no_restore, ["x was changed by the call", "put the old value of x[i] back"]),
    (all_at_once, ["every entry of x was moved at once"]),
    (flat_only, ['case "weighted sin, x of shape (3, 4)"', "has shape (12,)"]),
])
def test_numeric_gradient_mistakes(wrong, fragments):
    fails_with(check_numeric_gradient, wrong, *fragments)


# ------------------------------------------------------------------------ sgd_step

def sgd_step(params, grads, lr):
    for name in params:
        params[name] -= lr * grads[name]


def test_sgd_step_solution_passes(capsys):
    check_sgd_step(sgd_step)
    assert capsys.readouterr().out.startswith("✓ sgd_step: 6/6 cases match")


def test_sgd_step_stub_is_not_attempted():
    with pytest.raises(NotImplementedError):
        check_sgd_step(stub)


def ascent(params, grads, lr):
    for name in params:
        params[name] += lr * grads[name]


def no_lr(params, grads, lr):
    for name in params:
        params[name] -= grads[name]


def rebinding(params, grads, lr):
    for name in params:
        params[name] = params[name] - lr * grads[name]


def returns_new(params, grads, lr):
    return {name: p - lr * grads[name] for name, p in params.items()}


def scales_grads(params, grads, lr):
    for name in params:
        grads[name] *= lr
        params[name] -= grads[name]


def zip_over_values(params, grads, lr):
    for p, g in zip(params.values(), grads.values()):
        p -= lr * g


def weights_only(params, grads, lr):
    for name in params:
        if name.startswith("W"):
            params[name] -= lr * grads[name]


@pytest.mark.parametrize("wrong, fragments", [
    (ascent, ["gradient ascent"]),
    (no_lr, ["the learning rate is not used"]),
    (rebinding, ["in a new array", "params[name] -= lr * grads[name]"]),
    (returns_new, ["this parameter was not changed"]),
    (scales_grads, ["grads['W1'] after the step", "changed the gradients in place"]),
    (weights_only, ["params['b1']", "this parameter was not changed"]),
    (zip_over_values, ['case "grads in another key order (W2, b2, W1, b1), equal widths"',
                       "paired with the parameters by position", "zip(params.values(), grads.values())",
                       "params[name] -= lr * grads[name]"]),
])
def test_sgd_step_mistakes(wrong, fragments):
    fails_with(check_sgd_step, wrong, *fragments)


# ------------------------------------------------------------------------------ MLP

class MLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:]))

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.layers[-1](x)


class SequentialMLP(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        mods = []
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            mods += [nn.Linear(n_in, n_out), nn.ReLU()]
        self.net = nn.Sequential(*mods[:-1])

    def forward(self, x):
        return self.net(x)


def test_mlp_solution_passes(capsys):
    check_MLP(MLP)
    assert capsys.readouterr().out.startswith("✓ MLP: 4/4 cases match a NumPy MLP with the same weights")


def test_mlp_sequential_passes(capsys):
    check_MLP(SequentialMLP)
    assert "✓ MLP" in capsys.readouterr().out


def test_mlp_check_leaves_torch_seed_alone():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    check_MLP(MLP)
    assert torch.equal(torch.rand(3), expected)


def test_mlp_stub_is_not_attempted():
    class Stub(nn.Module):
        def __init__(self, sizes):
            super().__init__()
            raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_MLP(Stub)


def test_mlp_stub_in_forward_is_not_attempted():
    class Stub(MLP):
        def forward(self, x):
            raise NotImplementedError()

    with pytest.raises(NotImplementedError):
        check_MLP(Stub)


class ReluLast(MLP):
    def forward(self, x):
        for layer in self.layers:
            x = torch.relu(layer(x))
        return x


class NoRelu(MLP):
    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class Softmaxed(MLP):
    def forward(self, x):
        return torch.softmax(super().forward(x), dim=-1)


class Tanh(MLP):
    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.tanh(layer(x))
        return self.layers[-1](x)


class PlainList(MLP):
    def __init__(self, sizes):
        nn.Module.__init__(self)
        self.layers = [nn.Linear(n_in, n_out) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


class Swapped(MLP):
    def __init__(self, sizes):
        nn.Module.__init__(self)
        self.layers = nn.ModuleList(nn.Linear(n_out, n_in) for n_in, n_out in zip(sizes[:-1], sizes[1:]))


class Detached(MLP):
    def forward(self, x):
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x)).detach()
        return self.layers[-1](x)


class FixedDepth(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.fc2 = nn.Linear(sizes[1], sizes[-1])

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


@pytest.mark.parametrize("wrong, fragments", [
    (ReluLast, ["logits differ", "ReLU also applied after the last layer"]),
    (NoRelu, ["no ReLU between the layers"]),
    (Softmaxed, ["returns probabilities"]),
    (Tanh, ["tanh used between the layers"]),
    (PlainList, ["found 0 nn.Linear layers", "nn.ModuleList"]),
    (Swapped, ["weight has shape", "(out_features, in_features)"]),
    (Detached, ["dL/dW of layer 1 is None", "cuts the graph"]),
    (FixedDepth, ['case "no hidden layer: sizes [8, 3]"', "found 2 nn.Linear layers", "expected 1"]),
])
def test_mlp_mistakes(wrong, fragments):
    fails_with(check_MLP, wrong, *fragments)


def test_linear_backward_transposed_dx_on_a_square_W_is_named():
    def square_only(dout, x, W):
        if W.shape[0] != W.shape[1]:
            return linear_backward(dout, x, W)
        return dout @ W.T, dout.T @ x, dout.sum(axis=0)

    fails_with(check_linear_backward, square_only, 'case "square W (3 -> 3)"', "dx computed as dout @ W.T")
