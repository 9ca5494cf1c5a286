"""Finite-difference gradients: the independent reference for every backward pass.

    f = lambda W: loss(X, W)                   # a scalar function of an array
    num = numeric_gradient(f, W)               # central differences, one entry at a time
    relative_error(analytic_dW, num)           # < 1e-7 in float64 when both are right
"""

from __future__ import annotations

import numpy as np

__all__ = ["numeric_gradient", "relative_error"]


def numeric_gradient(f, x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of a scalar function f at x.

    f: a function of one array returning a number.
    x: the array, float64; it is changed entry by entry and restored.
    Returns an array of x's shape: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numeric_gradient needs a float64 NumPy array (float32 is too coarse for finite differences)")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        f_plus = float(f(x))
        x[i] = old - eps
        f_minus = float(f(x))
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b, kind: str = "max", floor: float = 1e-12) -> float:
    """How far apart two gradients are, independent of their scale; 0 when equal.

    kind="max":  max over entries of |a - b| / max(|a| + |b|, floor). Strict: every entry
                 must agree, but an entry that is ~0 in both (rounding noise of 1e-17 vs
                 exactly 0) can dominate it.
    kind="norm": ||a - b|| / max(||a|| + ||b||, floor), over the whole array: robust to
                 such near-zero entries; use it for large gradients.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} vs {b.shape}")
    if kind not in ("max", "norm"):
        raise ValueError(f'relative_error: kind must be "max" or "norm", got {kind!r}')
    if a.size == 0:
        return 0.0
    if kind == "norm":
        return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), floor)))
