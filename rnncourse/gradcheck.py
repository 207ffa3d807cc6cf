"""Numerical gradients by central differences, and the relative error that compares them.

For f with array output y and an upstream gradient dy = dL/dy (same shape as y), the loss is taken
as L = sum(y * dy), so the numerical gradient of L with respect to an input x is

    dL/dx[i] ~ (L(x + h e_i) - L(x - h e_i)) / (2 h),

with error O(h^2). With float64 and h = 1e-5, a correct backward pass agrees to a relative error
of about 1e-7 or better; 1e-2 or worse means a bug.
"""
import numpy as np


def numerical_gradient(f, x, dy=None, h=1e-5):
    """dL/dx by central differences for L = sum(f(x) * dy) (dy = 1 when f returns a scalar).

    `f` takes no argument and reads `x`, which is changed in place during the computation and
    restored afterwards. Returns an array shaped like x.
    """
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        saved = x[i]
        x[i] = saved + h
        plus = f()
        x[i] = saved - h
        minus = f()
        x[i] = saved
        if dy is None:
            grad[i] = (plus - minus) / (2 * h)
        else:
            grad[i] = np.sum((plus - minus) * dy) / (2 * h)
    return grad


def relative_error(a, b):
    """max |a - b| / max(1e-8, |a| + |b|), elementwise; 0 means identical."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
