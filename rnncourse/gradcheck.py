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


def numerical_gradients(f, inputs, names, dy=None, h=1e-5):
    """{name: numerical gradient} for each name in `names` (see gradient_errors)."""
    return {name: numerical_gradient(f, inputs[name], dy, h) for name in names}


def gradient_errors(f, inputs, analytic, dy=None, h=1e-5):
    """Relative error of each analytic gradient against central differences.

    f()          computes the output from the arrays in `inputs` (it reads them, so that the
                 numerical gradient can nudge them in place);
    inputs       {name: array} the arrays f reads;
    analytic     {name: gradient} for the names to check, each shaped like inputs[name];
    dy           the upstream gradient dL/d(output), shaped like f()'s result.
    Returns {name: relative error}; a gradient of the wrong shape gets inf.
    """
    numerical = numerical_gradients(f, inputs, list(analytic), dy, h)
    errors = {}
    for name, grad in analytic.items():
        grad = np.asarray(grad, dtype=np.float64)
        same_shape = grad.shape == numerical[name].shape
        errors[name] = relative_error(grad, numerical[name]) if same_shape else np.inf
    return errors


def print_errors(errors, tolerance=1e-6):
    """One line per gradient: its relative error and whether it passes `tolerance`."""
    for name, error in errors.items():
        verdict = "ok" if error < tolerance else "WRONG"
        print(f"{name:>8}: relative error {error:9.2e}  {verdict}")
