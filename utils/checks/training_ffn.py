"""Checks for 02_training_ffn: backward passes, a numeric gradient, an SGD step, the MLP in torch.

Every reference here is independent of the learner's code: torch autograd for the
backward passes, exact derivatives of known functions (and ``utils.gradcheck``) for
the numeric gradient, a NumPy forward and backward pass for the torch module.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..gradcheck import numeric_gradient as _reference_numeric_gradient
from .core import Check, fmt_shape

__all__ = [
    "check_linear_backward",
    "check_relu_backward",
    "check_softmax_cross_entropy_backward",
    "check_numeric_gradient",
    "check_sgd_step",
    "check_MLP",
]


def _rng(seed: int = 2):
    """A private generator: checks never touch the notebook's random state."""
    return np.random.default_rng(seed)


def _describe(value) -> str:
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)} items"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"a {type(value).__name__} of shape {fmt_shape(shape)}"
    return f"a {type(value).__name__}"


def _softmax(z, axis=1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot(y, n_classes):
    out = np.zeros((len(y), n_classes))
    out[np.arange(len(y)), y] = 1.0
    return out


# ----------------------------------------------------------------- linear_backward

def check_linear_backward(linear_backward):
    """linear_backward(dout, x, W) -> (dx, dW, db) against torch autograd of F.linear."""
    chk = Check("linear_backward", reference="torch autograd of F.linear")
    rng = _rng()
    cases = {
        "batch of 4, 3 inputs -> 5 outputs": (4, 3, 5, False),
        "batch of 1": (1, 6, 2, False),
        "zero input x": (3, 4, 2, True),
        "square W (3 -> 3)": (5, 3, 3, False),
        "one input feature": (2, 1, 4, False),
    }
    for case, (batch, n_in, n_out, zero) in cases.items():
        x = np.zeros((batch, n_in)) if zero else rng.normal(size=(batch, n_in))
        W = rng.normal(size=(n_out, n_in))
        b = rng.normal(size=n_out)
        dout = rng.normal(size=(batch, n_out))
        xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, W, b))
        F.linear(xt, Wt, bt).backward(torch.tensor(dout))
        dx_ref, dW_ref, db_ref = (t.grad.numpy() for t in (xt, Wt, bt))

        got = chk.call(linear_backward, dout, x, W, case=case,
                       cause="a product of mismatched shapes: dout is (batch, out_features), x is (batch, "
                             "in_features) and W is (out_features, in_features); line them up so the inner "
                             "sizes agree.")
        chk.expect(isinstance(got, (tuple, list)) and len(got) == 3, case=case,
                   what=f"expected a tuple (dx, dW, db), got {_describe(got)}.",
                   cause="the function must end with `return dx, dW, db`.")
        dx, dW, db = got
        chk.expect_close(dx, dx_ref, case=case, name="dx", shape_meaning="(batch, in_features)", mistakes={
            "dx computed as dout @ W.T; W is (out_features, in_features), so dx = dout @ W.": lambda: dout @ W.T,
            "dW returned where dx belongs; return the three gradients in the order dx, dW, db.": dW_ref,
        }, shape_cause="dx has the shape of x, (batch, in_features): dout (batch, out_features) @ W "
                       "(out_features, in_features).")
        chk.expect_close(dW, dW_ref, case=case, name="dW", shape_meaning="(out_features, in_features)", mistakes={
            "dW = x.T @ dout is the transpose; dW must have W's shape (out_features, in_features), "
            "so dW = dout.T @ x.": lambda: x.T @ dout,
            "dW divided by the batch size; dout already carries the 1/batch of the mean loss, "
            "so just sum over the batch (dout.T @ x).": dW_ref / batch,
            "dx returned where dW belongs; return the three gradients in the order dx, dW, db.": dx_ref,
        }, shape_cause="dW has the shape of W, (out_features, in_features): dout.T (out_features, batch) @ x "
                       "(batch, in_features).")
        chk.expect_close(db, db_ref, case=case, name="db", shape_meaning="(out_features,)", mistakes={
            "db is the mean over the batch; sum it instead (dout already carries the 1/batch of the mean "
            "loss).": dout.mean(axis=0),
            "db is dout itself: the bias is shared by every example, so sum dout over the batch "
            "(axis 0).": dout,
            "db summed over the wrong axis: sum over the batch, axis 0.": dout.sum(axis=1),
        }, shape_cause="db has the shape of b, (out_features,): sum dout over the batch axis (axis 0).")
    chk.done()


# ------------------------------------------------------------------- relu_backward

def check_relu_backward(relu_backward):
    """relu_backward(dout, z) -> dz against torch autograd of torch.relu."""
    chk = Check("relu_backward", reference="torch autograd of torch.relu")
    rng = _rng(3)
    z_zeros = rng.normal(size=(4, 5))
    z_zeros[0, 0] = z_zeros[2, 3] = z_zeros[3, 1] = 0.0
    cases = {
        "batch of 4 with some z exactly 0": z_zeros,
        "batch of 1": rng.normal(size=(1, 6)),
        "all z zero": np.zeros((2, 3)),
        "all z positive": np.abs(rng.normal(size=(3, 4))) + 0.1,
        "all z negative": -np.abs(rng.normal(size=(3, 2))) - 0.1,
    }
    for case, z in cases.items():
        dout = rng.normal(size=z.shape)
        zt = torch.tensor(z, requires_grad=True)
        torch.relu(zt).backward(torch.tensor(dout))
        dz_ref = zt.grad.numpy()
        got = chk.call(relu_backward, dout, z, case=case)
        chk.expect_close(got, dz_ref, case=case, name="dz", shape_meaning="the shape of z", mistakes={
            "dout * (z >= 0): ReLU's derivative at z == 0 is taken as 0 (as torch does), so the mask "
            "is z > 0.": dout * (z >= 0),
            "the mask (z > 0) is returned without dout; the chain rule multiplies: dz = dout * relu'(z).":
                (z > 0).astype(np.float64),
            "dout multiplied by relu(z) instead of relu'(z), which is 1 where z > 0 and 0 elsewhere.":
                dout * np.maximum(z, 0.0),
            "dout multiplied by z instead of relu'(z), which is 1 where z > 0 and 0 elsewhere.": dout * z,
            "the mask is taken from dout (dout > 0); it comes from the forward input z.": dout * (dout > 0),
            "dout returned unchanged: the gradient is blocked (0) where z <= 0.": dout,
        }, shape_cause="dz has the shape of z: an element-wise product, no sums.")
    chk.done()


# --------------------------------------------------- softmax_cross_entropy_backward

def _columns_minus_one(p, y):
    q = p.copy()
    q[:, y] -= 1
    return q


def check_softmax_cross_entropy_backward(softmax_cross_entropy_backward):
    """softmax_cross_entropy_backward(logits, y) -> dlogits against autograd of F.cross_entropy."""
    chk = Check("softmax_cross_entropy_backward", reference="torch autograd of F.cross_entropy")
    rng = _rng(4)
    big = np.array([[1000.0, 0.0, -1000.0], [-500.0, 800.0, 2.0]])
    cases = {
        "batch of 5, 10 classes": (rng.normal(size=(5, 10)) * 2, rng.integers(0, 10, size=5)),
        "batch of 1": (rng.normal(size=(1, 4)), np.array([2])),
        "two classes": (rng.normal(size=(3, 2)), np.array([0, 1, 1])),
        "large logits (+-1000)": (big, np.array([0, 2])),
        "all-zero logits": (np.zeros((4, 3)), np.array([0, 1, 2, 0])),
    }
    for case, (logits, y) in cases.items():
        batch, n_classes = logits.shape
        lt = torch.tensor(logits, requires_grad=True)
        F.cross_entropy(lt, torch.tensor(y)).backward()
        ref = lt.grad.numpy()
        p, onehot = _softmax(logits), _one_hot(y, n_classes)
        got = chk.call(softmax_cross_entropy_backward, logits, y, case=case)
        overflow = ("exp overflowed: subtract each row's largest logit before exponentiating "
                    "(the stable softmax of notebook 01).") if case.startswith("large") else None
        chk.expect_close(got, ref, case=case, name="dlogits", shape_meaning="(batch, n_classes)", mistakes={
            "not divided by the batch size: the loss is the mean over the batch, so dlogits = "
            "(softmax(logits) - one_hot(y)) / batch.": p - onehot,
            "the sign is flipped: dlogits = (softmax(logits) - one_hot(y)) / batch, not one_hot - softmax.":
                (onehot - p) / batch,
            "the one-hot of y is not subtracted: dlogits = (softmax(logits) - one_hot(y)) / batch.": p / batch,
            "1 is subtracted from every entry; subtract it only at the true class of each row.": (p - 1) / batch,
            "p[:, y] -= 1 subtracts 1 in the columns of *every* label of the batch, in every row. Take one "
            "entry per row, the pairs (i, y[i]): p[np.arange(batch), y] -= 1.": lambda: _columns_minus_one(p, y) / batch,
            "divided by the number of classes instead of the batch size.": (p - onehot) / n_classes,
            "the softmax is taken over the batch (axis 0); take it over the classes of each row (axis 1).":
                lambda: (_softmax(logits, axis=0) - onehot) / batch,
        }, cause=overflow, shape_cause="dlogits has the shape of logits, (batch, n_classes).")
    chk.done()


# ----------------------------------------------------------------- numeric_gradient

def _forward_difference(f, x, eps):
    g = np.zeros_like(x)
    f0 = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        g[i] = (f(x) - f0) / eps
        x[i] = old
    return g


def _all_at_once(f, x, eps):
    return np.full_like(x, (f(x + eps) - f(x - eps)) / (2 * eps))


def check_numeric_gradient(numeric_gradient):
    """numeric_gradient(f, x, eps) against exact derivatives and utils.gradcheck.numeric_gradient."""
    chk = Check("numeric_gradient", reference="exact derivatives and utils.gradcheck")
    rng = _rng(5)
    eps = 1e-5
    C = rng.normal(size=(3, 4))
    D = rng.normal(size=(2, 3))
    data_x = rng.normal(size=(6, 4))
    data_y = np.array([0, 1, 2, 2, 1, 0])

    def classifier_loss(W):
        logits = data_x @ W.T
        logits = logits - logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        return -log_p[np.arange(6), data_y].mean()

    x_cube = rng.normal(size=5)
    x_sin = rng.normal(size=(3, 4))
    x_sum = rng.normal(size=4) * 0.5
    x_lse = rng.normal(size=6)
    W_clf = rng.normal(size=(3, 4))
    cases = {
        "sum of cubes, x of shape (5,)": (lambda v: np.sum(v ** 3), x_cube, 3 * x_cube ** 2),
        "weighted sin, x of shape (3, 4)": (lambda v: np.sum(C * np.sin(v)), x_sin, C * np.cos(x_sin)),
        "cube of the sum (entries interact)": (lambda v: np.sum(v) ** 3, x_sum,
                                               np.full(4, 3 * np.sum(x_sum) ** 2)),
        "log-sum-exp": (lambda v: np.log(np.sum(np.exp(v))), x_lse, _softmax(x_lse[None])[0]),
        "a single entry": (lambda v: np.sum(np.exp(v)), np.array([0.7]), np.exp(np.array([0.7]))),
        "zero input, x of shape (2, 3)": (lambda v: np.sum(D * np.tanh(v)), np.zeros((2, 3)), D),
        "a small classifier's loss vs utils.gradcheck": (classifier_loss, W_clf,
                                                         _reference_numeric_gradient(classifier_loss,
                                                                                     W_clf.copy())),
    }
    for case, (f, x0, expected) in cases.items():
        x = x0.copy()
        # copy_args=False: the learner's function gets (and must restore) this very x
        got = chk.call(numeric_gradient, f, x, eps, case=case, copy_args=False)
        changed = np.flatnonzero(np.asarray(x != x0).ravel())
        if changed.size:
            idx = tuple(int(i) for i in np.unravel_index(changed[0], x0.shape))
            chk.fail(case, f"x was changed by the call: x{list(idx)} is {float(x[idx])!r}, "
                           f"it was {float(x0[idx])!r} (moved by {x[idx] - x0[idx]:.1e}).",
                     "numeric_gradient must leave x as it found it: after evaluating f at x[i] + eps and "
                     "x[i] - eps, put the old value of x[i] back.")
        chk.expect_close(got, expected, case=case, name="the numeric gradient",
                         shape_meaning="the shape of x", atol=1e-7, rtol=1e-6, mistakes={
                             "a forward difference (f(x + eps) - f(x)) / eps: its error shrinks like eps; "
                             "the central difference (f(x + eps) - f(x - eps)) / (2 eps) is far more "
                             "accurate.": lambda: _forward_difference(f, x0.copy(), eps),
                             "divided by eps instead of 2 * eps: the two evaluations are 2 * eps apart.":
                                 lambda: 2 * expected,
                             "every entry of x was moved at once; move one entry at a time, "
                             "so each entry gets its own partial derivative.":
                                 lambda: _all_at_once(f, x0.copy(), eps),
                         }, shape_cause="the gradient has one entry per entry of x: start from "
                                        "np.zeros_like(x).")
    chk.done()


# ------------------------------------------------------------------------ sgd_step

_ZIP_VALUES = ("the gradients were paired with the parameters by position, e.g. zip(params.values(), "
               "grads.values()). Two dicts with the same keys can list them in different orders (mlp_backward "
               "returns W2 before W1), so pair them by name: for name in params: params[name] -= lr * grads[name].")

def check_sgd_step(sgd_step):
    """sgd_step(params, grads, lr) updates every array of params in place: p -= lr * g."""
    chk = Check("sgd_step", reference="params - lr * grads")
    rng = _rng(6)

    def layer_params(shapes):
        return {name: rng.normal(size=shape) for name, shape in shapes.items()}

    two_layers = {"W1": (3, 4), "b1": (3,), "W2": (2, 3), "b2": (2,)}
    equal_widths = {"W1": (3, 3), "b1": (3,), "W2": (3, 3), "b2": (3,)}
    backward_order = ["W2", "b2", "W1", "b1"]   # the order a backward pass produces its gradients in

    def reordered(d):
        return {k: d[k] for k in backward_order}

    cases = {
        "two layers, lr 0.1": (layer_params(two_layers), layer_params(two_layers), 0.1),
        "grads in another key order (W2, b2, W1, b1), equal widths": (
            layer_params(equal_widths), reordered(layer_params(equal_widths)), 0.1),
        "grads in another key order (W2, b2, W1, b1), two layers": (
            layer_params(two_layers), reordered(layer_params(two_layers)), 0.1),
        "lr 0 changes nothing": (layer_params(two_layers), layer_params(two_layers), 0.0),
        "zero gradients": (layer_params({"W1": (2, 2), "b1": (2,)}),
                           {"W1": np.zeros((2, 2)), "b1": np.zeros(2)}, 0.5),
        "one parameter, lr 2.5": ({"W1": rng.normal(size=(1, 3))}, {"W1": rng.normal(size=(1, 3))}, 2.5),
    }
    for case, (params, grads, lr) in cases.items():
        arrays = dict(params)  # the array objects themselves, to see whether they were updated in place
        before = {k: v.copy() for k, v in params.items()}
        grads_before = {k: v.copy() for k, v in grads.items()}
        # copy_args=False: the learner's function gets (and must update) these very arrays
        chk.call(sgd_step, params, grads, lr, case=case, copy_args=False, cause=_ZIP_VALUES if "order" in case else None)
        # the arrays that zip(params.values(), grads.values()) would pair with each parameter
        by_position = dict(zip(before, grads_before.values()))
        chk.expect(isinstance(params, dict) and set(params) == set(before), case=case,
                   what=f"params should still have the keys {sorted(before)}, it has "
                        f"{sorted(params) if isinstance(params, dict) else _describe(params)}.",
                   cause="sgd_step must update the arrays in params, not add or remove entries.")
        for k in before:
            expected = before[k] - lr * grads_before[k]
            chk.expect_close(params[k], expected, case=case, name=f"params['{k}'] after the step",
                             shape_meaning=f"the shape of params['{k}']", atol=1e-12, mistakes={
                                 "gradient ascent: the step goes against the gradient, "
                                 "p -= lr * g.": before[k] + lr * grads_before[k],
                                 "the learning rate is not used: p -= lr * g.": before[k] - grads_before[k],
                                 "this parameter was not changed: sgd_step must update every array in "
                                 "params in place (a returned value is ignored).": before[k],
                                 _ZIP_VALUES: (lambda k=k: before[k] - lr * by_position[k]) if
                                 list(grads_before) != list(before) else None,
                             })
            chk.expect(params[k] is arrays[k], case=case,
                       what=f"params['{k}'] holds the right values, but in a new array: the step must change "
                            f"the existing array in place.",
                       cause=f"`params[name] = params[name] - lr * grads[name]` builds a new array; write "
                             f"`params[name] -= lr * grads[name]`, so that everything holding the array "
                             f"(like torch's optimisers do with parameters) sees the update.")
        for k in grads_before:
            chk.expect_close(grads[k], grads_before[k], case=case, name=f"grads['{k}'] after the step",
                             atol=0.0, cause="the step changed the gradients in place (e.g. `grads[name] *= lr`); "
                                             "compute lr * grads[name] as a new array instead.")
    chk.done()


# ------------------------------------------------------------------------------ MLP

def _numpy_mlp(weights, x, hidden="relu", last=None):
    """Forward pass of the reference MLP; weights = [(W, b), ...] with W (out, in)."""
    acts = {"relu": lambda z: np.maximum(z, 0.0), "tanh": np.tanh, "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
            None: lambda z: z}
    a = x
    for i, (W, b) in enumerate(weights):
        z = a @ W.T + b
        a = acts[hidden](z) if i < len(weights) - 1 else acts[last](z)
    return a


def _numpy_mlp_grads(weights, x, y):
    """dL/dW and dL/db of the mean cross-entropy of the ReLU MLP, by hand (the reference)."""
    a, zs, acts = x, [], [x]
    for i, (W, b) in enumerate(weights):
        z = a @ W.T + b
        zs.append(z)
        a = np.maximum(z, 0.0) if i < len(weights) - 1 else z
        acts.append(a)
    d = (_softmax(a) - _one_hot(y, a.shape[1])) / len(y)
    grads = [None] * len(weights)
    for i in range(len(weights) - 1, -1, -1):
        W = weights[i][0]
        grads[i] = (d.T @ acts[i], d.sum(axis=0))
        d = d @ W
        if i > 0:
            d = d * (zs[i - 1] > 0)
    return grads


def check_MLP(MLP):
    """MLP(sizes): nn.Linear layers in torch's (out, in) layout, ReLU between, raw logits out."""
    chk = Check("MLP", reference="a NumPy MLP with the same weights")
    rng = _rng(7)
    cases = {
        "sizes [64, 32, 10], batch of 5": ([64, 32, 10], 5, False),
        "no hidden layer: sizes [8, 3]": ([8, 3], 4, False),
        "two hidden layers, batch of 1": ([6, 5, 4, 3], 1, False),
        "zero input, sizes [4, 7, 2]": ([4, 7, 2], 3, True),
    }
    for case, (sizes, batch, zero) in cases.items():
        n_layers = len(sizes) - 1
        with torch.random.fork_rng():  # building the model must not move the notebook's torch seed
            model = chk.call(MLP, sizes, case=case)
        chk.expect(isinstance(model, torch.nn.Module), case=case,
                   what=f"MLP({sizes}) should be a torch.nn.Module, got {_describe(model)}.",
                   cause="declare `class MLP(nn.Module):` and call `super().__init__()` first in __init__.")
        linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
        if not linears:
            cause = ("layers kept in a plain Python list (or created inside forward) are invisible to torch: "
                     "wrap them in nn.ModuleList (or nn.Sequential) so their parameters are registered.")
        else:
            cause = "one nn.Linear per pair of consecutive sizes: nn.Linear(sizes[i], sizes[i + 1])."
        chk.expect(len(linears) == n_layers, case=case, cause=cause,
                   what=f"found {len(linears)} nn.Linear layers registered in the model, expected {n_layers} "
                        f"for sizes {sizes}.")
        weights = []
        for i, layer in enumerate(linears):
            shape = (sizes[i + 1], sizes[i])
            chk.expect(tuple(layer.weight.shape) == shape, case=case,
                       what=f"layer {i + 1}'s weight has shape {fmt_shape(layer.weight.shape)}, expected "
                            f"{fmt_shape(shape)} = (out_features, in_features).",
                       cause="create it as nn.Linear(in_features, out_features) = nn.Linear(sizes[i], "
                             "sizes[i + 1]); torch then stores the weight as (out_features, in_features).")
            chk.expect(layer.bias is not None, case=case, what=f"layer {i + 1} has no bias.",
                       cause="nn.Linear(..., bias=False)? Every layer of this MLP has a bias.")
            weights.append((rng.normal(size=shape) * 0.7, rng.normal(size=shape[0]) * 0.3))
        model.double()
        with torch.no_grad():
            for layer, (W, b) in zip(linears, weights):
                layer.weight.copy_(torch.from_numpy(W))
                layer.bias.copy_(torch.from_numpy(b))
        x = np.zeros((batch, sizes[0])) if zero else rng.normal(size=(batch, sizes[0]))
        y = rng.integers(0, sizes[-1], size=batch)
        model.zero_grad()
        logits = chk.call(model, torch.tensor(x), case=case)
        chk.expect(isinstance(logits, torch.Tensor), case=case,
                   what=f"forward should return a torch tensor of logits, got {_describe(logits)}.",
                   cause="forward must `return` the output of the last layer.")
        ref = _numpy_mlp(weights, x)
        chk.expect_close(logits.detach(), ref, case=case, name="logits", shape_meaning="(batch, n_classes)",
                         atol=1e-10, mistakes={
                             "ReLU also applied after the last layer: the last layer returns raw logits "
                             "(the cross-entropy applies the softmax).": lambda: _numpy_mlp(weights, x, last="relu"),
                             "forward returns probabilities (softmax); return the raw logits.": lambda: _softmax(ref),
                             "forward returns log-probabilities (log_softmax); return the raw logits.":
                                 lambda: np.log(_softmax(ref)),
                             "no ReLU between the layers: without it the layers collapse into one linear map.":
                                 lambda: _numpy_mlp(weights, x, hidden=None),
                             "tanh used between the layers; this MLP uses ReLU.":
                                 lambda: _numpy_mlp(weights, x, "tanh"),
                             "sigmoid used between the layers; this MLP uses ReLU.":
                                 lambda: _numpy_mlp(weights, x, "sigmoid"),
                         }, cause="the layers must run in order: Linear, ReLU, Linear, ReLU, ..., Linear.")
        chk.expect(logits.requires_grad, case=case, what="the logits carry no gradient.",
                   cause="something in forward cuts the graph: torch.no_grad(), .detach(), .data, or a round "
                         "trip through NumPy.")
        F.cross_entropy(logits, torch.tensor(y)).backward()
        for i, (layer, (dW, db)) in enumerate(zip(linears, _numpy_mlp_grads(weights, x, y)), start=1):
            for name, param, expected in ((f"dL/dW of layer {i}", layer.weight, dW),
                                          (f"dL/db of layer {i}", layer.bias, db)):
                chk.expect(param.grad is not None, case=case, what=f"{name} is None after backward().",
                           cause="something in forward cuts the graph before this layer: .detach(), .data, "
                                 "torch.no_grad(), or a round trip through NumPy.")
                chk.expect_close(param.grad, expected, case=case, name=f"{name} (autograd through your forward)",
                                 atol=1e-10, cause="forward must use only torch operations on the tensors it gets.")
    chk.done()
