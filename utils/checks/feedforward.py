"""Checks for notebook 01_feedforward: a linear layer, activations, softmax, cross-entropy.

Every check compares the learner's NumPy function with torch (float64) on several
cases, the awkward ones included (batch of 1, zero input, logits near 1000), and
names the usual mistakes when the learner's output matches one of them.

    from utils.checks import check_linear_forward
    check_linear_forward(linear_forward)
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from .core import Check, as_array

__all__ = [
    "check_linear_forward",
    "check_sigmoid",
    "check_sigmoid_grad",
    "check_tanh_grad",
    "check_relu",
    "check_relu_grad",
    "check_softmax",
    "check_cross_entropy",
]


def _t(a) -> torch.Tensor:
    return torch.tensor(np.asarray(a, dtype=np.float64), dtype=torch.float64)


def _autograd_derivative(f, z) -> np.ndarray:
    """d f(z_i) / d z_i for an element-wise torch function f, by autograd."""
    t = _t(z).requires_grad_(True)
    f(t).sum().backward()
    return t.grad.numpy().copy()


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


# ----------------------------------------------------------------- linear layer

def check_linear_forward(linear_forward):
    """Check linear_forward(x, W, b) = x @ W.T + b against torch.nn.functional.linear.

    x: (batch, in_features), W: (out_features, in_features), b: (out_features,).
    """
    chk = Check("linear_forward", reference="torch.nn.functional.linear")
    rng = np.random.default_rng(101)
    shapes = {  # case: (batch, in_features, out_features)
        "batch of 4, 3 -> 5": (4, 3, 5),
        "batch of 1, 6 -> 2": (1, 6, 2),
        "zero input, 4 -> 2": (3, 4, 2),
        "square weights, 4 -> 4": (2, 4, 4),
        "one output unit, 3 -> 1": (5, 3, 1),
    }
    for case, (batch, d_in, d_out) in shapes.items():
        x = np.zeros((batch, d_in)) if case.startswith("zero") else rng.normal(size=(batch, d_in))
        W = rng.normal(size=(d_out, d_in))
        b = rng.normal(size=(d_out,))
        expected = F.linear(_t(x), _t(W), _t(b)).numpy()
        got = chk.call(linear_forward, x, W, b, case=case,
                       cause="the shapes do not fit together. x is (batch, in_features) and W is "
                             "(out_features, in_features), so x @ W.T is (batch, out_features); then add b, "
                             "shape (out_features,), which NumPy broadcasts over the batch.")
        chk.expect_close(
            got, expected, case=case, name="the output", shape_meaning="(batch, out_features)",
            mistakes={
                "x @ W without the transpose. W is stored as (out_features, in_features), "
                "so the layer computes x @ W.T + b.": lambda: x @ W + b,
                "the bias b is missing: add it after the matrix product, x @ W.T + b.": lambda: x @ W.T,
                "W @ x.T puts the batch on the second axis, giving (out_features, batch); "
                "keep one example per row: x @ W.T + b.": lambda: W @ x.T + b[:, None],
                "the bias is subtracted; a linear layer adds it: x @ W.T + b.": lambda: x @ W.T - b,
            },
            shape_cause="each row of the output is one example, so the shape is (batch, out_features): "
                        "x @ W.T + b.")
    chk.done()


# ----------------------------------------------------------------- activations

def _check_elementwise(fn, exercise: str, reference: str, expected_fn, mistakes_fn, cases: dict,
                       name: str, zero_cause: str | None = None):
    """Shared body of the activation checks: same shape out as in, value by value."""
    chk = Check(exercise, reference=reference)
    for case, z in cases.items():
        # exp(1000) = inf is harmless in 1 / (1 + exp(-z)) (the result is 1/inf = 0), so NumPy's
        # overflow warning is silenced here; a formula that turns it into nan still fails below.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            got = chk.call(fn, z, case=case,
                           cause="work on the whole array with NumPy's element-wise functions (np.exp, "
                                 "np.tanh, np.maximum, np.where); Python's `if`, `max` and `math.exp` "
                                 "only handle single numbers.")
        expected = expected_fn(z)
        with np.errstate(all="ignore"):
            chk.expect_close(got, expected, case=case, name=name, shape_meaning="the shape of z",
                             atol=1e-12, mistakes=mistakes_fn(z), cause=_zero_only(got, expected, z, zero_cause),
                             shape_cause="an element-wise function returns one number per entry of z, "
                                         "in an array of z's shape.")
    # The same function must leave its input alone: later code reuses z.
    z = np.array([[-2.0, -0.5, 0.0], [0.5, 1.0, 3.0]])
    before = z.copy()
    chk.call(lambda: fn(z), case="input left unchanged")
    chk.expect(np.array_equal(z, before), case="input left unchanged",
               what=f"{exercise} changed the array it was given: z was {before.tolist()}, "
                    f"after the call it is {z.tolist()}.",
               cause="an in-place assignment such as z[z < 0] = 0 or z *= ...; compute a new array "
                     "(np.maximum, np.where, or work on z.copy()).")
    chk.done()


def _zero_only(got, expected, z, zero_cause):
    """zero_cause when the answer is wrong only where z == 0 (else None)."""
    arr = as_array(got)
    if zero_cause is None or arr is None or arr.shape != expected.shape or not np.any(z == 0):
        return None
    try:
        wrong = ~np.isclose(arr.astype(np.float64), expected, rtol=0.0, atol=1e-12)
    except (TypeError, ValueError):
        return None
    return zero_cause if np.any(wrong) and not np.any(wrong & (z != 0)) else None


def _activation_cases(seed: int, extreme: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    cases = {
        "13 points from -6 to 6": np.linspace(-6.0, 6.0, 13),
        "a (3, 4) batch": rng.normal(0.0, 3.0, size=(3, 4)),
        "zero input": np.zeros(5),
        "a single entry": np.array([0.75]),
        "large |z|": np.array([-30.0, -12.5, 12.5, 30.0]),
    }
    if extreme:  # exp(z) overflows float64 for z > 709.78: a stable formula must survive this
        cases["extreme |z| (-1000, -710, 710, 1000)"] = np.array([-1000.0, -710.0, 710.0, 1000.0])
    return cases


_EXP_Z_OVER = ("exp(z) / (1 + exp(z)) equals the sigmoid on paper, but exp(z) overflows to inf for z > 709.78 "
               "and inf / inf = nan. Write it as 1 / (1 + exp(-z)): there exp(-z) overflows only where z is very "
               "negative, and 1 / inf = 0 is the right answer.")


def check_sigmoid(sigmoid):
    """Check sigmoid(z) = 1 / (1 + exp(-z)), element-wise, against torch.sigmoid."""
    _check_elementwise(
        sigmoid, "sigmoid", "torch.sigmoid",
        expected_fn=lambda z: torch.sigmoid(_t(z)).numpy(),
        mistakes_fn=lambda z: {
            "this is sigmoid(-z) = 1 - sigmoid(z): 1 / (1 + exp(z)) lacks the minus sign in exp(-z), and "
            "exp(-z) / (1 + exp(-z)) has exp(-z) where the numerator is 1.": _sigmoid(-z),
            "this is tanh(z), which lies in (-1, 1); the sigmoid lies in (0, 1).": np.tanh(z),
            "1 / (1 - exp(-z)) has a minus where the sigmoid has a plus: 1 / (1 + exp(-z)).":
                lambda: 1.0 / (1.0 - np.exp(-z)),
            _EXP_Z_OVER: lambda: np.exp(z) / (1.0 + np.exp(z)),
        },
        cases=_activation_cases(1, extreme=True), name="sigmoid(z)")


def check_sigmoid_grad(sigmoid_grad):
    """Check sigmoid_grad(z) = sigmoid(z) (1 - sigmoid(z)) against torch autograd."""
    _check_elementwise(
        sigmoid_grad, "sigmoid_grad", "torch autograd of torch.sigmoid",
        expected_fn=lambda z: _autograd_derivative(torch.sigmoid, z),
        mistakes_fn=lambda z: {
            "z * (1 - z) uses z where the formula needs s = sigmoid(z): s * (1 - s).": z * (1 - z),
            "this is sigmoid(z) itself, not its derivative sigmoid(z) * (1 - sigmoid(z)).": _sigmoid(z),
            "1 - sigmoid(z)**2 is the tanh pattern; the sigmoid's derivative is s * (1 - s).":
                1 - _sigmoid(z) ** 2,
            "this is tanh's derivative, 1 - tanh(z)**2 (up to 4 times larger, and centred on the wrong "
            "function). The sigmoid's derivative is s * (1 - s) with s = sigmoid(z).": 1 - np.tanh(z) ** 2,
            "tanh(z) * (1 - tanh(z)) uses tanh where the formula needs the sigmoid: s = sigmoid(z), "
            "then s * (1 - s).": np.tanh(z) * (1 - np.tanh(z)),
            "sigmoid(z) * (1 + sigmoid(z)) has a plus; the derivative is s * (1 - s).":
                _sigmoid(z) * (1 + _sigmoid(z)),
            "exp(-z) / (1 + exp(-z))**2 is the right derivative on paper, but for z < -709.78 it is inf / inf "
            "= nan; reuse s = sigmoid(z) and return s * (1 - s).":
                lambda: np.exp(-z) / (1 + np.exp(-z)) ** 2,
        },
        cases=_activation_cases(2, extreme=True), name="sigmoid_grad(z)")


def check_tanh_grad(tanh_grad):
    """Check tanh_grad(z) = 1 - tanh(z)**2 against torch autograd."""
    _check_elementwise(
        tanh_grad, "tanh_grad", "torch autograd of torch.tanh",
        expected_fn=lambda z: _autograd_derivative(torch.tanh, z),
        mistakes_fn=lambda z: {
            "1 - z**2 uses z where the formula needs tanh(z): 1 - tanh(z)**2.": 1 - z ** 2,
            "1 - tanh(z) is missing the square: 1 - tanh(z)**2.": 1 - np.tanh(z),
            "tanh(z) * (1 - tanh(z)) is the sigmoid's pattern; tanh's derivative is 1 - tanh(z)**2.":
                np.tanh(z) * (1 - np.tanh(z)),
            "1 / cosh(z) is missing the square: tanh'(z) = 1 / cosh(z)**2 = 1 - tanh(z)**2.": 1 / np.cosh(z),
            "this is tanh(z) itself, not its derivative 1 - tanh(z)**2.": np.tanh(z),
        },
        cases=_activation_cases(3, extreme=True), name="tanh_grad(z)")


def check_relu(relu):
    """Check relu(z) = max(z, 0), element-wise, against torch.relu."""
    _check_elementwise(
        relu, "relu", "torch.relu",
        expected_fn=lambda z: torch.relu(_t(z)).numpy(),
        mistakes_fn=lambda z: {
            "np.max(z, 0) is the largest entry along axis 0, not an element-wise maximum; "
            "use np.maximum(z, 0).": lambda: np.max(z, 0),
            "np.abs(z) turns negative inputs positive; ReLU sets them to 0.": np.abs(z),
            "np.minimum(z, 0) keeps the negative part; ReLU keeps the positive part: np.maximum(z, 0).":
                np.minimum(z, 0),
            "this is the derivative (1 where z > 0, else 0), not ReLU itself: max(z, 0).":
                (z > 0).astype(float),
        },
        cases=_activation_cases(4), name="relu(z)")


def check_relu_grad(relu_grad):
    """Check relu_grad(z) = 1 where z > 0, else 0 (0 at z = 0, as torch's autograd uses)."""
    _check_elementwise(
        relu_grad, "relu_grad", "torch autograd of torch.relu",
        expected_fn=lambda z: _autograd_derivative(torch.relu, z),
        mistakes_fn=lambda z: {
            "(z >= 0) gives 1 at z = 0. The derivative of ReLU is undefined at exactly 0; "
            "this course, like torch, uses 0 there: (z > 0).": (z >= 0).astype(float),
            "this is relu(z) itself, not its derivative (1 where z > 0, else 0).": np.maximum(z, 0),
            "np.sign(z) gives -1 for negative z; the slope of ReLU there is 0.": np.sign(z),
            "the 0 and the 1 are swapped: the slope is 1 where z > 0 and 0 where z <= 0.":
                (z <= 0).astype(float),
        },
        cases=_activation_cases(5), name="relu_grad(z)",
        zero_cause="at z = 0 the derivative of ReLU is undefined; this course, like torch, uses 0 there.")


# ----------------------------------------------------------------- softmax

_OVERFLOW = ("exp of a large logit overflows: float64 stops near 1.8e308, so exp(1000) = inf and inf / inf = "
             "nan. Subtract each row's max before exp: softmax(z) = softmax(z - max(z)), so the largest "
             "exponent is exp(0) = 1.")


_ROW_MIN = ("each row's minimum was subtracted. Any shift leaves softmax unchanged on paper, but after subtracting "
            "the minimum the largest exponent is exp(max - min), which overflows to inf once a row spans more "
            "than about 709 (here 2000): inf / inf = nan. Subtract each row's max, so the largest exponent is "
            "exp(0) = 1.")


def _np_softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def check_softmax(softmax):
    """Check softmax(logits) over the last axis against torch.softmax, including logits near 1000."""
    chk = Check("softmax", reference="torch.softmax")
    rng = np.random.default_rng(6)
    cases = {
        "batch of 4, 10 classes": rng.normal(0.0, 2.0, size=(4, 10)),
        "batch of 1, 3 classes": np.array([[1.0, 2.0, 3.0]]),
        "a single vector of 5 logits": rng.normal(size=5),
        "a square (3, 3) batch": rng.normal(0.0, 2.0, size=(3, 3)),
        "3-D logits (2, 3, 4)": rng.normal(size=(2, 3, 4)),
        "equal logits": np.zeros((2, 4)),
        "large logits (1000, 1001, 1002)": np.array([[1000.0, 1001.0, 1002.0]]),
        "very negative logits (-1000, -1001, -1002)": np.array([[-1000.0, -1001.0, -1002.0]]),
        "rows on very different scales": np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]]),
        "a large spread within each row (1000, -1000)": np.array([[1000.0, -1000.0], [-5.0, 1000.0]]),
    }
    for case, z in cases.items():
        expected = torch.softmax(_t(z), dim=-1).numpy()
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            got = chk.call(softmax, z, case=case,
                           cause="NumPy could not line up two shapes? Reduce over the last axis with "
                                 "keepdims=True (z.max(axis=-1, keepdims=True), e.sum(axis=-1, keepdims=True)) "
                                 "so a (batch, 1) result lines up with (batch, classes).")
            if case == "rows on very different scales":
                cause = ("a row far below the array's overall max gives exp(...) = 0 everywhere and 0 / 0 = nan: "
                         "subtract each row's own max, z.max(axis=-1, keepdims=True), not z.max() of the whole "
                         "array.")
            elif "spread" in case:
                cause = _ROW_MIN
            elif "logits (" in case:
                cause = _OVERFLOW if "large" in case else (
                    "exp(-1000) underflows to 0, so the sum is 0 and 0 / 0 = nan. Subtract each row's max "
                    "before exp: softmax(z) = softmax(z - max(z)), so the largest exponent is exp(0) = 1.")
            else:
                cause = None
            chk.expect_close(
                got, expected, case=case, name="softmax(logits)", shape_meaning="the shape of the logits",
                atol=1e-12, cause=cause,
                mistakes={
                    "softmax over axis 0 (down the batch) instead of the last axis (across each "
                    "example's classes): use axis=-1.": lambda: _np_softmax(z, axis=0),
                    "divided by the sum of the whole array; each row must be divided by its own sum: "
                    "e.sum(axis=-1, keepdims=True).": lambda: np.exp(z - z.max()) / np.exp(z - z.max()).sum(),
                    "subtracted the max of each column (axis 0); softmax is unchanged only when one number "
                    "is subtracted per row: z.max(axis=-1, keepdims=True).":
                        lambda: (lambda e: e / e.sum(axis=-1, keepdims=True))(np.exp(z - z.max(axis=0, keepdims=True))),
                    "the max was taken without keepdims=True, so NumPy lined it up with the wrong axis: "
                    "use z.max(axis=-1, keepdims=True).":
                        lambda: (lambda e: e / e.sum(axis=-1, keepdims=True))(np.exp(z - z.max(axis=-1))),
                    "the exp is missing: softmax divides exp(z) by the sum of exp(z), not z by the sum of z.":
                        lambda: z / z.sum(axis=-1, keepdims=True),
                    _ROW_MIN: lambda: (lambda e: e / e.sum(axis=-1, keepdims=True))(
                        np.exp(z - z.min(axis=-1, keepdims=True))),
                })
    chk.done()


# ----------------------------------------------------------------- cross-entropy

def _log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def check_cross_entropy(cross_entropy):
    """Check cross_entropy(logits, y) = mean_i -log softmax(logits)[i, y_i] against torch."""
    chk = Check("cross_entropy", reference="torch.nn.functional.cross_entropy")
    rng = np.random.default_rng(7)
    cases = {
        "batch of 4, 10 classes": (rng.normal(0.0, 2.0, size=(4, 10)), np.array([3, 0, 9, 3])),
        "batch of 1, 5 classes": (rng.normal(size=(1, 5)), np.array([2])),
        "two classes, batch of 6": (rng.normal(size=(6, 2)), np.array([0, 1, 1, 0, 1, 0])),
        "all-zero logits (the loss is ln 10)": (np.zeros((3, 10)), np.array([0, 5, 9])),
        "confident and right": (np.array([[0.0, 50.0], [40.0, 0.0]]), np.array([1, 0])),
        "confident and wrong (a logit of 1000)": (np.array([[0.0, 1000.0], [3.0, 1.0]]), np.array([0, 0])),
    }
    for case, (z, y) in cases.items():
        expected = F.cross_entropy(_t(z), torch.as_tensor(y, dtype=torch.long)).numpy()
        with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
            got = chk.call(cross_entropy, z, y, case=case,
                           cause="logits are (batch, classes) and y holds one integer label per example, "
                                 "shape (batch,); pick each row's entry with [np.arange(batch), y].")
            logp = _log_softmax(z)
            per_example = -logp[np.arange(len(y)), y]
            ce = per_example.mean()
            cause = None
            if "1000" in case:
                cause = ("the true class's probability underflows to 0 (it is about e^-1000) and log(0) = -inf. "
                         "Compute the log-probabilities straight from the logits, log p = z - m - "
                         "log(sum(exp(z - m))) with m each row's max, instead of taking the log of softmax.")
            elif "ln 10" in case:
                cause = "with equal logits every class has probability 1/10, so every example's loss is ln 10."
            chk.expect_close(
                got, expected, case=case, name="the loss", shape_meaning="a single number, the batch mean",
                atol=1e-10, cause=cause,
                shape_cause="return one number: the mean of the per-example losses over the batch.",
                mistakes={
                    "the per-example losses were returned; take their mean over the batch.": per_example,
                    "summed over the batch instead of taking the mean.": per_example.sum(),
                    "the minus sign is missing: the loss is -log p, a positive number.": -ce,
                    "logp[:, y] picks a (batch, batch) block; take one entry per row with "
                    "logp[np.arange(batch), y].": lambda: -logp[:, y].mean(),
                    "averaged over batch x classes (a one-hot mask, then .mean()); divide by the batch "
                    "size only.": ce / z.shape[-1],
                    "used log base 10; cross-entropy uses the natural log, np.log.": ce / np.log(10),
                    "used log base 2; cross-entropy here uses the natural log, np.log.": ce / np.log(2),
                    "log-softmax over axis 0 (down the batch) instead of the last axis (the classes).":
                        lambda: -(z - z.max(axis=0) - np.log(np.exp(z - z.max(axis=0)).sum(axis=0)))[
                            np.arange(len(y)), y].mean(),
                })
    chk.done()
