"""Tests of the checks of notebook 01_feedforward (utils/checks/feedforward.py).

For every check: a correct answer passes with one ✓ line, the notebook's stub raises
NotImplementedError, and plausible wrong answers fail with an AssertionError whose
message names the mistake.
"""

import numpy as np
import pytest

from utils.checks import (check_cross_entropy, check_linear_forward, check_relu, check_relu_grad, check_sigmoid,
                          check_sigmoid_grad, check_softmax, check_tanh_grad)


def stub(*args, **kwargs):
    raise NotImplementedError()


def expect_failure(check, fn, *fragments):
    """The check rejects fn with an AssertionError that contains every fragment."""
    with pytest.raises(AssertionError) as info:
        check(fn)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    return message


# ----------------------------------------------------------------- correct answers

def linear_forward(x, W, b):
    return x @ W.T + b


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_grad(z):
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh_grad(z):
    return 1.0 - np.tanh(z) ** 2


def relu(z):
    return np.maximum(z, 0.0)


def relu_grad(z):
    return (z > 0).astype(z.dtype)


def softmax(logits):
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(logits, y):
    m = logits.max(axis=-1, keepdims=True)
    logp = logits - m - np.log(np.exp(logits - m).sum(axis=-1, keepdims=True))
    return -logp[np.arange(len(y)), y].mean()


@pytest.mark.parametrize("check, fn, name", [
    (check_linear_forward, linear_forward, "linear_forward"),
    (check_sigmoid, sigmoid, "sigmoid"),
    (check_sigmoid_grad, sigmoid_grad, "sigmoid_grad"),
    (check_tanh_grad, tanh_grad, "tanh_grad"),
    (check_relu, relu, "relu"),
    (check_relu_grad, relu_grad, "relu_grad"),
    (check_softmax, softmax, "softmax"),
    (check_cross_entropy, cross_entropy, "cross_entropy"),
])
def test_correct_answer_passes_and_stub_is_not_attempted(check, fn, name, capsys):
    check(fn)
    out = capsys.readouterr().out.strip()
    assert out.startswith(f"✓ {name}: ") and "cases match" in out and out.count("\n") == 0, out
    with pytest.raises(NotImplementedError, match=f"{name} is not implemented yet"):
        check(stub)


def test_alternative_correct_answers_pass(capsys):
    check_relu(lambda z: np.where(z > 0, z, 0.0))
    check_relu_grad(lambda z: z > 0)                        # a boolean array is fine
    check_sigmoid(lambda z: 0.5 * (1.0 + np.tanh(z / 2)))  # the same function, another formula
    check_softmax(lambda z: np.exp(z - np.log(np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True))
                            - z.max(-1, keepdims=True)))
    import torch
    check_cross_entropy(lambda z, y: float(torch.nn.functional.cross_entropy(torch.tensor(z), torch.tensor(y))))
    assert capsys.readouterr().out.count("✓") == 5


# ----------------------------------------------------------------- linear_forward

def test_linear_forward_wrong_answers():
    expect_failure(check_linear_forward, lambda x, W, b: x @ W.T, "bias b is missing")
    expect_failure(check_linear_forward, lambda x, W, b: x @ W.T - b, "the bias is subtracted")
    # x @ W crashes when W is not square, and the message explains the shapes
    expect_failure(check_linear_forward, lambda x, W, b: x @ W + b, "your function raised ValueError",
                   "x @ W.T is (batch, out_features)")
    expect_failure(check_linear_forward, lambda x, W, b: W @ x.T + b[:, None], "has shape (5, 4), expected (4, 5)",
                   "W @ x.T puts the batch on the second axis")


def test_linear_forward_missing_transpose_on_square_weights():
    def square_only_bug(x, W, b):  # right for rectangular W, transposes square ones by mistake
        return (x @ W + b) if W.shape[0] == W.shape[1] else (x @ W.T + b)
    expect_failure(check_linear_forward, square_only_bug, 'case "square weights, 4 -> 4"', "x @ W without the transpose")


def test_linear_forward_forgotten_return():
    def no_return(x, W, b):
        x @ W.T + b
    expect_failure(check_linear_forward, no_return, "is None", "does not `return`")


# ----------------------------------------------------------------- activations

def test_sigmoid_wrong_answers():
    expect_failure(check_sigmoid, lambda z: 1 / (1 + np.exp(z)), "sigmoid(-z) = 1 - sigmoid(z)")
    expect_failure(check_sigmoid, lambda z: np.exp(-z) / (1 + np.exp(-z)), "sigmoid(-z) = 1 - sigmoid(z)")
    expect_failure(check_sigmoid, np.tanh, "this is tanh(z)")
    import math
    expect_failure(check_sigmoid, lambda z: 1 / (1 + math.exp(-z)), "raised TypeError", "element-wise functions")


def test_sigmoid_that_overflows_fails_on_extreme_inputs():
    message = expect_failure(check_sigmoid, lambda z: np.exp(z) / (1 + np.exp(z)),
                             'case "extreme |z| (-1000, -710, 710, 1000)"', "got nan in", "exp(z) / (1 + exp(z))",
                             "inf / inf = nan", "1 / (1 + exp(-z))")
    assert "Likely cause" in message


def test_sigmoid_grad_that_overflows_fails_on_extreme_inputs():
    expect_failure(check_sigmoid_grad, lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2,
                   'case "extreme |z| (-1000, -710, 710, 1000)"', "got nan in", "reuse s = sigmoid(z)")


def test_sigmoid_grad_wrong_answers():
    expect_failure(check_sigmoid_grad, lambda z: z * (1 - z), "uses z where the formula needs s = sigmoid(z)")
    expect_failure(check_sigmoid_grad, sigmoid, "this is sigmoid(z) itself")
    expect_failure(check_sigmoid_grad, lambda z: 1 - sigmoid(z) ** 2, "tanh pattern")
    expect_failure(check_sigmoid_grad, lambda z: sigmoid(z) * (1 + sigmoid(z)), "has a plus")
    expect_failure(check_sigmoid_grad, lambda z: 1 - np.tanh(z) ** 2, "this is tanh's derivative",
                   "s * (1 - s) with s = sigmoid(z)")
    expect_failure(check_sigmoid_grad, lambda z: np.tanh(z) * (1 - np.tanh(z)), "uses tanh where")


def test_tanh_grad_wrong_answers():
    expect_failure(check_tanh_grad, lambda z: 1 - z ** 2, "uses z where the formula needs tanh(z)")
    expect_failure(check_tanh_grad, lambda z: 1 - np.tanh(z), "1 - tanh(z) is missing the square")
    expect_failure(check_tanh_grad, lambda z: np.tanh(z) * (1 - np.tanh(z)), "sigmoid's pattern")
    expect_failure(check_tanh_grad, lambda z: 1 / np.cosh(z), "1 / cosh(z) is missing the square")


def test_relu_wrong_answers():
    expect_failure(check_relu, lambda z: np.max(z, 0), "has shape (), expected (13,)", "np.maximum(z, 0)")
    expect_failure(check_relu, np.abs, "np.abs(z) turns negative inputs positive")
    expect_failure(check_relu, lambda z: np.minimum(z, 0), "keeps the negative part")
    expect_failure(check_relu, lambda z: max(z, 0), "raised ValueError", "element-wise functions")

    def in_place(z):
        z[z < 0] = 0
        return z
    expect_failure(check_relu, in_place, 'case "input left unchanged"', "changed the array it was given",
                   "in-place assignment")


def test_relu_grad_wrong_answers():
    expect_failure(check_relu_grad, lambda z: (z >= 0).astype(float), "(z >= 0) gives 1 at z = 0")
    expect_failure(check_relu_grad, relu, "this is relu(z) itself")
    expect_failure(check_relu_grad, np.sign, "np.sign(z) gives -1")
    expect_failure(check_relu_grad, lambda z: (z <= 0).astype(float), "swapped")

    def one_at_zero_only_sometimes(z):  # wrong only at z == 0 and no listed mistake matches exactly
        out = (z > 0).astype(float)
        out[z == 0] = 0.5
        return out
    expect_failure(check_relu_grad, one_at_zero_only_sometimes, "derivative of ReLU is undefined")


# ----------------------------------------------------------------- softmax

def naive_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def test_softmax_naive_exp_fails_with_overflow_message():
    message = expect_failure(check_softmax, naive_softmax, 'case "large logits (1000, 1001, 1002)"', "got nan in",
                             "overflow", "Subtract each row's max")
    assert "1.8e308" in message


def test_softmax_subtracting_the_row_minimum_fails_on_a_large_spread():
    def row_min(z):
        e = np.exp(z - z.min(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    message = expect_failure(check_softmax, row_min, 'case "a large spread within each row (1000, -1000)"',
                             "got nan in softmax(logits)", "row's minimum was subtracted", "Subtract each row's max")
    assert "has shape" not in message


def test_softmax_messages_read_as_english():
    message = expect_failure(check_softmax, lambda z: softmax(z)[..., :-1], "softmax(logits) has shape")
    assert "probabilities has" not in message


def test_close_numbers_are_shown_with_enough_digits_to_differ():
    expect_failure(check_softmax, lambda z: softmax(z) * (1 + 2e-6), "differs from torch.softmax")
    message = expect_failure(check_sigmoid, lambda z: sigmoid(z) + 3e-9, "differs from torch.sigmoid")
    got, expected = message.split("got ")[1].split(" (largest")[0].split(", expected ")
    assert got != expected, message


def test_softmax_wrong_answers():
    expect_failure(check_softmax, lambda z: naive_softmax(z - z.max()), 'case "rows on very different scales"',
                   "subtract each row's own max")
    expect_failure(check_softmax, lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
                   "divided by the sum of the whole array")
    expect_failure(check_softmax, lambda z: naive_softmax(z - z.max(axis=0, keepdims=True)),
                   "subtracted the max of each column")
    expect_failure(check_softmax, lambda z: z / z.sum(axis=-1, keepdims=True), "the exp is missing")

    def no_keepdims(z):
        e = np.exp(z - z.max(axis=-1))
        return e / e.sum(axis=-1, keepdims=True)
    expect_failure(check_softmax, no_keepdims, "raised ValueError", "keepdims=True")

    def no_keepdims_square(z):  # crashes on most shapes; on (3, 3) it runs and is wrong
        try:
            return no_keepdims(z)
        except ValueError:
            return softmax(z)
    expect_failure(check_softmax, no_keepdims_square, 'case "a square (3, 3) batch"', "without keepdims=True")

    def wrong_axis(z):
        e = np.exp(z - z.max(axis=0, keepdims=True))
        return e / e.sum(axis=0, keepdims=True)
    expect_failure(check_softmax, wrong_axis, "softmax over axis 0")


# ----------------------------------------------------------------- cross_entropy

def log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def test_cross_entropy_log_of_softmax_fails_on_a_wrong_confident_guess():
    expect_failure(check_cross_entropy, lambda z, y: -np.log(softmax(z)[np.arange(len(y)), y]).mean(),
                   'case "confident and wrong (a logit of 1000)"', "got inf in", "log(0) = -inf", "log p = z - m")


def test_cross_entropy_wrong_answers():
    expect_failure(check_cross_entropy, lambda z, y: -log_softmax(z)[np.arange(len(y)), y].sum(),
                   "summed over the batch")
    expect_failure(check_cross_entropy, lambda z, y: log_softmax(z)[np.arange(len(y)), y].mean(),
                   "the minus sign is missing")
    expect_failure(check_cross_entropy, lambda z, y: -log_softmax(z)[np.arange(len(y)), y],
                   "has shape (4,), expected ()", "per-example losses")
    expect_failure(check_cross_entropy, lambda z, y: -log_softmax(z)[:, y].mean(), "logp[np.arange(batch), y]")
    expect_failure(check_cross_entropy, lambda z, y: -(np.eye(z.shape[1])[y] * log_softmax(z)).mean(),
                   "divide by the batch size only")
    expect_failure(check_cross_entropy, lambda z, y: -(log_softmax(z)[np.arange(len(y)), y] / np.log(2)).mean(),
                   "log base 2")
