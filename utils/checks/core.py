"""The check framework: one voice for every check cell of the course.

A check function (``check_rnn_step(rnn_step)``) builds a few cases, computes the
answer with an *independent* reference (torch's own layers, autograd, finite
differences, exact small cases) and compares the learner's answer with it:

    chk = Check("rnn_step", reference="torch.nn.RNNCell")
    for case, args in cases.items():
        got = chk.call(rnn_step, *args, case=case)
        chk.expect_close(got, expected, case=case, name="h_next",
                         shape_meaning="(batch, hidden_dim)",
                         mistakes={"W_xh used without transpose": wrong_answer})
    chk.done()

On success ``done`` prints one line:

    ✓ rnn_step: 6/6 cases match torch.nn.RNNCell (largest difference 2.2e-16)

On failure a ``CheckFailure`` (an ``AssertionError``) says which output, which case,
expected vs got, and a likely cause. An exercise that still raises
``NotImplementedError`` re-raises ``NotImplementedError`` with a friendly message, so
a grader can tell "not attempted" from "wrong".
"""

from __future__ import annotations

import numpy as np

__all__ = ["Check", "CheckFailure", "as_array", "fmt_num", "fmt_pair", "fmt_shape", "parameters"]


class CheckFailure(AssertionError):
    """Raised by a check when the learner's answer is wrong."""


def fmt_shape(shape) -> str:
    """(4, 3) -> "(4, 3)", (5,) -> "(5,)"."""
    shape = tuple(int(s) for s in shape)
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_num(x, digits: int = 4) -> str:
    """A number as a check message shows it: 4 significant digits, or 2.2e-16."""
    x = float(x)
    if x == 0 or not np.isfinite(x) or (1e-3 <= abs(x) < 1e4):
        return f"{x:.{digits}g}"
    return f"{x:.{max(digits - 2, 2)}e}"


def fmt_pair(got, expected) -> tuple[str, str]:
    """Two numbers that differ, shown with enough digits that they *read* differently.

    fmt_pair(11.9712, 11.9708) -> ("11.9712", "11.9708"), never "11.97" and "11.97".
    """
    got, expected = float(got), float(expected)
    for digits in range(4, 18):
        a, b = fmt_num(got, digits), fmt_num(expected, digits)
        if a != b or got == expected:
            return a, b
    return repr(got), repr(expected)


def as_array(value):
    """Turn a learner's answer (NumPy array, torch tensor, list, number) into an ndarray.

    Returns None when the value cannot be read as numbers.
    """
    if value is None:
        return None
    try:
        import torch

        if isinstance(value, torch.Tensor):
            return value.detach().cpu().numpy()
    except ImportError:  # pragma: no cover - torch is always installed with the course
        pass
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    if arr.dtype == object:
        return None
    return arr


def parameters(fn) -> tuple[list[str], set[str]] | None:
    """(names of the required positional parameters, names of all parameters) of fn, or None if unknown.

    Lets a check recognise a learner who passes a function written for another notebook's interface.
    """
    import inspect

    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    required = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.default is p.empty]
    return required, {p.name for p in params}


class Check:
    """Collects the cases of one exercise check and reports in the course's voice.

    exercise:  the learner's function name as the notebook shows it ("rnn_step").
    reference: what the answer is compared with ("torch.nn.RNNCell", "autograd").
    """

    def __init__(self, exercise: str, reference: str = "the reference", check_name: str | None = None):
        self.exercise = exercise
        self.reference = reference
        self.check_name = check_name or f"check_{exercise}"   # as the learner calls it, in messages
        self.cases: list[str] = []
        self.max_diff = 0.0
        self.compared_values = False

    # -- failing -----------------------------------------------------------------
    def fail(self, case: str | None, what: str, cause: str | None = None):
        """Raise a CheckFailure: '<exercise>, case "<case>": <what>' + likely cause."""
        where = self.exercise if case is None else f'{self.exercise}, case "{case}"'
        msg = f"{where}: {what}"
        if cause:
            msg += f"\nLikely cause: {cause}"
        raise CheckFailure(msg)

    # -- calling the learner's code ------------------------------------------------
    def call(self, fn, *args, case: str, cause=None, copy_args: bool = True, **kwargs):
        """Call the learner's function on one case and return what it returns.

        NumPy arguments (also inside lists, tuples and dicts) are copied first, so a
        function that modifies its input in place cannot spoil the reference computed
        from the same arrays. copy_args=False passes the caller's objects, for a check
        that must see what the function did to its input.

        cause: the likely cause to give if the function raises; or a function of the
        exception that returns one, or None when the error says nothing specific (then the
        message shows the error alone rather than guess).
        """
        if not callable(fn):
            self.fail(None, f"expected a function, got {type(fn).__name__}. Pass the function itself, "
                            f"without calling it: {self.check_name}({self.exercise}).")
        if copy_args:
            args = tuple(_copy_arrays(a) for a in args)
            kwargs = {k: _copy_arrays(v) for k, v in kwargs.items()}
        try:
            result = fn(*args, **kwargs)
        except NotImplementedError:
            raise NotImplementedError(
                f"{self.exercise} is not implemented yet: replace the `raise NotImplementedError(...)` line "
                f"in its cell with your code, run that cell, then run this check again."
            ) from None
        except CheckFailure:
            raise
        except Exception as e:  # the learner's code crashed: say where, keep the traceback
            if callable(cause):
                cause = cause(e)
            raise CheckFailure(
                f'{self.exercise}, case "{case}": your function raised {type(e).__name__}: {e}'
                + (f"\nLikely cause: {cause}" if cause else "")
            ) from e
        self.cases.append(case)
        return result

    # -- comparing ----------------------------------------------------------------
    def expect_close(self, got, expected, *, case: str, name: str, shape_meaning: str | None = None,
                     atol: float = 1e-10, rtol: float = 0.0, mistakes: dict | None = None,
                     cause: str | None = None, shape_cause: str | None = None):
        """Compare one output with the reference value; return it as an ndarray.

        name:          what the output is called in the text ("h_next", "dL/dW_xh").
        shape_meaning: the shape in words, e.g. "(batch, hidden_dim)".
        mistakes:      {description of a plausible mistake: the output that mistake gives
                       (an array, or a function returning one)}. When the learner's output
                       matches one of them, its description is given as the likely cause.
        cause:         the likely cause to give when no listed mistake matches.
        shape_cause:   the likely cause to give for a wrong shape.
        """
        expected = as_array(expected)
        if got is None:
            self.fail(case, f"{name} is None.", "the function does not `return` its result.")
        arr = as_array(got)
        if arr is None:
            self.fail(case, f"{name} should be an array of numbers, got {type(got).__name__}.", cause)
        if arr.shape != expected.shape:
            meaning = f" = {shape_meaning}" if shape_meaning else ""
            self.fail(case, f"{name} has shape {fmt_shape(arr.shape)}, expected {fmt_shape(expected.shape)}{meaning}.",
                      self._match_mistake(arr, mistakes, atol, rtol) or shape_cause or cause)
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            self.fail(case, f"{name} has dtype {arr.dtype}, expected numbers.", cause)
        arr_f = arr.astype(np.float64)
        exp_f = expected.astype(np.float64)
        bad = ~np.isfinite(arr_f) & np.isfinite(exp_f)
        if np.any(bad):
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            at = f" at index {idx}" if idx else ""
            self.fail(case, f"got {arr_f[idx]} in {name}{at}, expected {fmt_num(exp_f[idx])}.",
                      self._match_mistake(arr, mistakes, atol, rtol)
                      or cause or "an overflow (exp of a large number?) or a division by zero.")
        finite = np.isfinite(exp_f)
        diff = np.where(finite, np.abs(arr_f - exp_f), np.where(arr_f == exp_f, 0.0, np.inf))
        allowed = atol + rtol * np.abs(np.where(finite, exp_f, 0.0))
        if diff.size and np.any(diff > allowed):
            idx = np.unravel_index(int(np.argmax(diff - allowed)), diff.shape)
            at = f" at index {tuple(int(i) for i in idx)}" if diff.ndim else ""
            tol = f"atol {atol:g}" + (f", rtol {rtol:g}" if rtol else "")
            shown = fmt_pair(arr_f[idx], exp_f[idx])
            self.fail(case,
                      f"{name} differs from {self.reference}{at}: got {shown[0]}, "
                      f"expected {shown[1]} (largest difference {fmt_num(diff.max())}, {tol}).",
                      self._match_mistake(arr, mistakes, atol, rtol) or cause)
        if diff.size:
            self.max_diff = max(self.max_diff, float(diff.max()))
        self.compared_values = True
        return arr

    def expect_equal(self, got, expected, *, case: str, name: str, cause: str | None = None):
        """Exact comparison, for integers, strings, lists, dicts and shapes."""
        if got is None and expected is not None:
            self.fail(case, f"{name} is None.", "the function does not `return` its result.")
        if isinstance(expected, (str, dict, tuple, set)):
            same = got == expected
        else:
            g, e = as_array(got), as_array(expected)
            same = g is not None and e is not None and g.shape == e.shape and bool(np.array_equal(g, e))
        if not same:
            self.fail(case, f"{name} is {short_repr(got)}, expected {short_repr(expected)}.", cause)

    def expect(self, condition: bool, *, case: str, what: str, cause: str | None = None):
        """Fail with `what` (and the likely cause) unless `condition` holds."""
        if not condition:
            self.fail(case, what, cause)

    @staticmethod
    def _match_mistake(arr, mistakes, atol, rtol):
        for description, wrong in (mistakes or {}).items():
            try:
                wrong = as_array(wrong() if callable(wrong) else wrong)
            except Exception:
                continue
            if wrong is not None and wrong.shape == arr.shape and np.allclose(
                    arr.astype(np.float64), wrong.astype(np.float64), atol=max(atol, 1e-8), rtol=max(rtol, 1e-6),
                    equal_nan=True):
                return description
        return None

    # -- passing ------------------------------------------------------------------
    def done(self, extra: str | None = None):
        """Print the one success line."""
        n = len(dict.fromkeys(self.cases))
        line = f"✓ {self.exercise}: {n}/{n} cases match {self.reference}"
        if self.compared_values:
            line += f" (largest difference {self.max_diff:.1e})"
        if extra:
            line += f"; {extra}"
        print(line)


def _copy_arrays(value):
    """Copy NumPy arrays, also inside lists, tuples and dicts; leave anything else as it is."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, dict):
        return {k: _copy_arrays(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_copy_arrays(v) for v in value)
    return value


def short_repr(x, limit: int = 80) -> str:
    """A value as a check message shows it, cut to `limit` characters."""
    s = np.array2string(x, threshold=12, precision=4) if isinstance(x, np.ndarray) else repr(x)
    return s if len(s) <= limit else s[: limit - 3] + "..."
