"""Tests of the checks of 05_bptt: the solution passes, the stub is "not attempted",
and plausible wrong answers fail with a message that names the mistake."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from utils.checks import (CheckFailure, check_clip_grad_norm, check_grad_check,  # noqa: E402
                          check_rnn_backward, check_rnn_step_backward, check_run_truncated)


# ------------------------------------------------------------------ solutions

def rnn_step_backward(dh_next, cache):
    x, h_prev, h_next, W_xh, W_hh = cache
    da = dh_next * (1.0 - h_next ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)


def make_rnn_backward(step_backward):
    def rnn_backward(dhs, caches):
        batch, T, _ = dhs.shape
        x0, _, _, W_xh, W_hh = caches[0]
        dxs = np.zeros((batch, T, x0.shape[1]))
        dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
        dh_future = np.zeros_like(dhs[:, 0])
        for t in reversed(range(T)):
            dx, dh_future, gW_xh, gW_hh, gb_h = step_backward(dhs[:, t] + dh_future, caches[t])
            dxs[:, t] = dx
            dW_xh += gW_xh
            dW_hh += gW_hh
            db_h += gb_h
        return dxs, dh_future, dW_xh, dW_hh, db_h
    return rnn_backward


rnn_backward = make_rnn_backward(rnn_step_backward)


def grad_check(f, params, grads, eps=1e-6):
    errors = {}
    for name, x in params.items():
        numeric = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            old = x[i]
            x[i] = old + eps
            f_plus = f(params)
            x[i] = old - eps
            f_minus = f(params)
            x[i] = old
            numeric[i] = (f_plus - f_minus) / (2 * eps)
        a = grads[name]
        errors[name] = float(np.max(np.abs(a - numeric) / np.maximum(np.abs(a) + np.abs(numeric), 1e-12)))
    return errors


def clip_grad_norm(grads, max_norm):
    total_norm = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
    scale = min(1.0, max_norm / total_norm) if total_norm > 0 else 1.0
    return {name: g * scale for name, g in grads.items()}, total_norm


def run_truncated(model, loss_fn, xs, ys, k):
    T = xs.shape[1]
    h, total = None, 0.0
    for start in range(0, T, k):
        logits, h_last = model(xs[:, start:start + k], h)
        loss = loss_fn(logits, ys[:, start:start + k])
        loss.backward()
        total += loss.item()
        h = h_last.detach()
    return total, h


def stub(*args, **kwargs):
    raise NotImplementedError()


def test_solutions_pass(capsys):
    check_rnn_step_backward(rnn_step_backward)
    check_rnn_backward(rnn_backward)
    check_grad_check(grad_check)
    check_clip_grad_norm(clip_grad_norm)
    check_run_truncated(run_truncated)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ rnn_step_backward: 6/6 cases match torch autograd (largest difference")
    assert out[1].startswith("✓ rnn_backward: 6/6 cases match torch autograd through the unrolled RNN")
    assert out[2].startswith("✓ grad_check: 6/6 cases match central differences")
    assert out[3].startswith("✓ clip_grad_norm: 6/6 cases match torch.nn.utils.clip_grad_norm_")
    assert out[4].startswith("✓ run_truncated: 7/7 cases match an explicit chunked computation")


def test_variants_that_are_right_pass():
    """Other correct ways of writing the answers are not punished."""
    def step_torch_out(dh_next, cache):  # torch tensors are accepted
        return tuple(torch.from_numpy(np.asarray(g)) for g in rnn_step_backward(dh_next, cache))
    check_rnn_step_backward(step_torch_out)

    def clip_in_place_torch_eps(grads, max_norm):  # torch's own formula, in place
        total = float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))
        coef = min(1.0, max_norm / (total + 1e-6))
        for g in grads.values():
            g *= coef
        return grads, total
    check_clip_grad_norm(clip_in_place_torch_eps)

    from utils.gradcheck import numeric_gradient, relative_error

    def grad_check_with_utils(f, params, grads, eps=1e-6):
        return {n: relative_error(grads[n], numeric_gradient(lambda _: f(params), params[n], eps)) for n in params}
    check_grad_check(grad_check_with_utils)

    def run_truncated_list_chunks(model, loss_fn, xs, ys, k):
        h, total = None, 0.0
        for xc, yc in zip(torch.split(xs, k, dim=1), torch.split(ys, k, dim=1)):
            logits, h = model(xc, None if h is None else h.detach())
            loss = loss_fn(logits, yc)
            loss.backward()
            total += loss.item()
        return torch.tensor(total, dtype=torch.float64), h
    check_run_truncated(run_truncated_list_chunks)


@pytest.mark.parametrize("check", [check_rnn_step_backward, check_rnn_backward, check_grad_check,
                                   check_clip_grad_norm, check_run_truncated])
def test_stub_is_not_attempted(check):
    with pytest.raises(NotImplementedError, match="not implemented yet"):
        check(stub)


def test_stub_inside_rnn_backward_is_not_attempted():
    """rnn_backward written but rnn_step_backward still the stub: 'not attempted', not 'wrong'."""
    with pytest.raises(NotImplementedError):
        check_rnn_backward(make_rnn_backward(stub))


# --------------------------------------------------------- rnn_step_backward

def _step_variant(kind):
    def f(dh_next, cache):
        x, h_prev, h_next, W_xh, W_hh = cache
        da = dh_next * (1.0 - h_next ** 2)
        dx, dh_prev, dW_xh, dW_hh, db_h = da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
        if kind == "no derivative":
            da = dh_next
            return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
        if kind == "derivative of h_prev":
            da = dh_next * (1.0 - h_prev ** 2)
            return da @ W_xh, da @ W_hh, da.T @ x, da.T @ h_prev, da.sum(axis=0)
        if kind == "dh_prev transposed":
            dh_prev = da @ W_hh.T
        if kind == "dW_xh transposed":
            dW_xh = x.T @ da
        if kind == "db_h mean":
            db_h = da.mean(axis=0)
        if kind == "dW_hh with h_next":
            dW_hh = da.T @ h_next
        if kind == "three outputs":
            return dx, dh_prev, dW_xh
        return dx, dh_prev, dW_xh, dW_hh, db_h
    return f


@pytest.mark.parametrize("kind, message", [
    ("no derivative", "the tanh derivative is missing"),
    ("derivative of h_prev", "the tanh derivative uses h_prev"),
    ("dh_prev transposed", "dh_prev = da @ W_hh.T"),
    ("dW_xh transposed", "dW_xh is transposed"),
    ("db_h mean", "db_h is averaged over the batch"),
    ("dW_hh with h_next", "dW_hh uses h_next"),
    ("three outputs", "expected a tuple of 5 arrays"),
])
def test_step_backward_mistakes_are_named(kind, message):
    with pytest.raises(CheckFailure) as err:
        check_rnn_step_backward(_step_variant(kind))
    assert message in str(err.value), str(err.value)


def test_transposed_dW_xh_in_the_square_case_is_named():
    """With input_dim == hidden_dim the shape is right and only the values tell."""
    def f(dh_next, cache):
        x = cache[0]
        out = list(rnn_step_backward(dh_next, cache))
        if x.shape[1] == cache[1].shape[1]:
            out[2] = out[2].T
        return tuple(out)
    with pytest.raises(CheckFailure, match="dW_xh is transposed"):
        check_rnn_step_backward(f)


# ----------------------------------------------------------------- rnn_backward

def _seq_variant(kind):
    def f(dhs, caches):
        batch, T, _ = dhs.shape
        x0, _, _, W_xh, W_hh = caches[0]
        dxs = np.zeros((batch, T, x0.shape[1]))
        dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])
        dh_future = np.zeros_like(dhs[:, 0])
        order = range(T) if kind == "forward order" else reversed(range(T))
        if kind == "range(T-1)":
            order = reversed(range(T - 1))
        elif kind == "stops at t = 1":
            order = range(T - 1, 0, -1)
        dh_step0 = None
        for t in order:
            dh = dhs[:, t] if kind == "no future" else dhs[:, t] + dh_future
            if kind == "dhs[:, t - 1]":
                dh = dhs[:, t - 1] + dh_future
            if kind == "wrong cache from t = 2" and t == 2:
                dx, _, _, _, _ = rnn_step_backward(dh, caches[1])   # an unnamed slip at one step only
            if t == 0:
                dh_step0 = dh
            if kind == "last only":
                dh = dh_future + (dhs[:, t] if t == T - 1 else 0)
            dx, dh_future, gW_xh, gW_hh, gb_h = rnn_step_backward(dh, caches[t])
            dxs[:, t] = dx
            if kind == "overwrite":
                dW_xh, dW_hh, db_h = gW_xh, gW_hh, gb_h
            else:
                dW_xh, dW_hh, db_h = dW_xh + gW_xh, dW_hh + gW_hh, db_h + gb_h
        if kind == "reversed dxs":
            dxs = dxs[:, ::-1]
        if kind == "dh0 zero":
            dh_future = np.zeros_like(dh_future)
        if kind == "dh_1 as dh0":
            dh_future = dh_step0
        if kind == "wrong cache from t = 2" and T > 2:
            dxs[:, 2] *= 1.5
        return dxs, dh_future, dW_xh, dW_hh, db_h
    return f


@pytest.mark.parametrize("kind, message", [
    ("no future", "the gradient from the future is missing"),
    ("last only", "only the last step's loss is used"),
    ("overwrite", "the weight gradients are overwritten"),
    ("forward order", "the backward loop runs forward in time"),
    ("reversed dxs", "dxs is stored in reversed time order"),
    ("dh0 zero", 'rnn_backward, case "batch 3, T = 5, input_dim 2, hidden_dim 4": dh0 differs'),
    ("dh0 zero", "dxs is right at every time step"),
    ("range(T-1)", "the last time step t = T-1 = 4 is never visited"),
    ("stops at t = 1", "the first time step t = 0 is never visited"),
    ("dhs[:, t - 1]", "adds the wrong step's own loss, dhs[:, t - 1]"),
    ("dh_1 as dh0", "dh0 is the dh passed INTO the backward of step 0"),
    ("wrong cache from t = 2", "dxs is right down to t = 3 and first wrong at t = 2"),
])
def test_rnn_backward_mistakes_are_named(kind, message):
    with pytest.raises(CheckFailure) as err:
        check_rnn_backward(_seq_variant(kind))
    assert message in str(err.value), str(err.value)


# -------------------------------------------------------------------- grad_check

def _gc_variant(kind):
    def f(fn, params, grads, eps=1e-6):
        errors = {}
        for name, x in params.items():
            numeric = np.zeros_like(x)
            f0 = fn(params)
            for i in np.ndindex(x.shape):
                old = x[i]
                if kind == "forward" or (kind == "forward at eps 1e-3" and eps > 1e-4):
                    x[i] = old + eps
                    numeric[i] = (fn(params) - f0) / eps
                    x[i] = old
                    continue
                x[i] = old + eps
                f_plus = fn(params)
                x[i] = old - eps
                f_minus = fn(params)
                if kind != "no restore":
                    x[i] = old
                numeric[i] = (f_plus - f_minus) / (2 * eps)
            a = grads[name]
            if kind == "absolute":
                errors[name] = float(np.max(np.abs(a - numeric)))
            elif kind == "no floor":
                with np.errstate(invalid="ignore", divide="ignore"):
                    errors[name] = float(np.max(np.abs(a - numeric) / (np.abs(a) + np.abs(numeric))))
            elif kind == "norm":
                errors[name] = float(np.linalg.norm(a - numeric) / max(np.linalg.norm(a) + np.linalg.norm(numeric), 1e-12))
            elif kind == "array":
                errors[name] = np.abs(a - numeric) / np.maximum(np.abs(a) + np.abs(numeric), 1e-12)
            else:
                errors[name] = float(np.max(np.abs(a - numeric) / np.maximum(np.abs(a) + np.abs(numeric), 1e-12)))
        return errors
    return f


@pytest.mark.parametrize("kind, message", [
    ("forward", "a one-sided difference"),
    ("no restore", "put the entry back"),
    ("absolute", "this is the absolute error"),
    ("no floor", "is nan, expected"),
    ("array", "should be one number"),
    ("norm", 'case "large and small entries, one small entry twice too large"'),
    ("norm", "norm-based relative error"),
    ("forward at eps 1e-3", 'case "a strongly curved function, eps = 1e-3"'),
    ("forward at eps 1e-3", "a one-sided difference"),
])
def test_grad_check_mistakes_are_named(kind, message):
    with pytest.raises(CheckFailure) as err:
        check_grad_check(_gc_variant(kind))
    assert message in str(err.value), str(err.value)


def test_forward_difference_is_caught_by_a_wide_margin():
    with pytest.raises(CheckFailure) as err:
        check_grad_check(_gc_variant("forward at eps 1e-3"))
    message = str(err.value)
    got, expected = (float(v) for v in message.split("got ")[1].split(" (largest")[0].split(", expected "))
    assert abs(got - expected) > 100 * 1e-7, message       # far outside the check's tolerance, not narrowly


def test_grad_check_that_changes_params_is_caught():
    """x[i] += eps; x[i] -= 2 * eps; x[i] += eps leaves round-off behind."""
    def f(fn, params, grads, eps=1e-6):
        errors = {}
        for name, x in params.items():
            numeric = np.zeros_like(x)
            for i in np.ndindex(x.shape):
                x[i] += eps
                f_plus = fn(params)
                x[i] -= 2 * eps
                f_minus = fn(params)
                x[i] += eps
                numeric[i] = (f_plus - f_minus) / (2 * eps)
            a = grads[name]
            errors[name] = float(np.max(np.abs(a - numeric) / np.maximum(np.abs(a) + np.abs(numeric), 1e-12)))
        return errors
    with pytest.raises(CheckFailure, match="was changed by grad_check"):
        check_grad_check(f)


# --------------------------------------------------------------- clip_grad_norm

def _clip_variant(kind):
    def f(grads, max_norm):
        norms = {k: float(np.sqrt(np.sum(g ** 2))) for k, g in grads.items()}
        total = float(np.sqrt(sum(n ** 2 for n in norms.values())))
        if kind == "per tensor":
            return {k: g * min(1.0, max_norm / norms[k]) if norms[k] > 0 else g for k, g in grads.items()}, total
        if kind == "always":
            return {k: g * (max_norm / total) for k, g in grads.items()}, total
        if kind == "sum of norms":
            s = sum(norms.values())
            return {k: g * min(1.0, max_norm / s) if s > 0 else g for k, g in grads.items()}, s
        if kind == "clipped norm":
            scale = min(1.0, max_norm / total) if total > 0 else 1.0
            return {k: g * scale for k, g in grads.items()}, total * scale
        if kind == "no sqrt":
            sq = total ** 2
            return {k: g * min(1.0, max_norm / sq) if sq > 0 else g for k, g in grads.items()}, sq
        if kind == "above one":
            scale = max_norm / total if total > 1.0 else 1.0
            return {k: g * scale for k, g in grads.items()}, total
        if kind == "list":
            scale = min(1.0, max_norm / total) if total > 0 else 1.0
            return [g * scale for g in grads.values()], total
        raise ValueError(kind)
    return f


@pytest.mark.parametrize("kind, message", [
    ("per tensor", "each tensor was clipped by its own norm"),
    ("always", "rescaled although their norm is below max_norm"),
    ("sum of norms", "not the sum of the tensors' norms"),
    ("clipped norm", "the returned norm is the norm after clipping"),
    ("no sqrt", "needs a square root"),
    ("list", "should be a dict like grads"),
    ("above one", 'case "max_norm 0.5 below 1, norm 0.8 between them"'),
    ("above one", "clipped only when their norm exceeds 1"),
])
def test_clip_mistakes_are_named(kind, message):
    with pytest.raises(CheckFailure) as err:
        check_clip_grad_norm(_clip_variant(kind))
    assert message in str(err.value), str(err.value)


# ---------------------------------------------------------------- run_truncated

def _trunc_variant(kind):
    def f(model, loss_fn, xs, ys, k):
        T = xs.shape[1]
        h, total, n = None, 0.0, 0
        stop = T - T % k if kind == "drop last" and T % k else T
        kept = []
        for start in range(0, stop, k):
            if kind == "zero grad inside":
                model.zero_grad()
            logits, h_last = model(xs[:, start:start + k], h)
            loss = loss_fn(logits, ys[:, start:start + k])
            if kind in ("backward once", "keep graphs"):
                kept.append(loss)
            else:
                loss.backward(retain_graph=(kind == "retain graph"))
            total += loss.item()
            n += 1
            if kind == "no carry":
                h = None
            elif kind in ("no detach", "retain graph"):
                h = h_last
            else:
                h = h_last.detach()
        if kind == "mean":
            total /= n
        if kind == "backward once":           # same gradients, but every chunk's graph alive until here
            sum(kept).backward()
        if kind == "keep graphs":
            for loss in kept:
                loss.backward()
        return total, h_last
    return f


@pytest.mark.parametrize("kind, message", [
    ("no carry", "the state is not carried"),
    ("retain graph", "gradients flow across chunk boundaries"),
    ("no detach", "backward through the graph a second time"),
    ("drop last", "the last, shorter chunk is dropped"),
    ("zero grad inside", "the gradients are zeroed inside the loop"),
    ("mean", "the chunk losses are averaged"),
    ("backward once", "the graphs of the chunks were alive at the same time"),
    ("backward once", "backward() called once at the end"),
    ("keep graphs", "the graphs of the chunks were alive at the same time"),
])
def test_truncated_mistakes_are_named(kind, message):
    with pytest.raises(CheckFailure) as err:
        check_run_truncated(_trunc_variant(kind))
    assert message in str(err.value), str(err.value)
