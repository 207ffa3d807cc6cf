"""Visible checks of lesson 03: the Jacobian of a step, the gradient norms back in time, the bound
of Pascanu, Mikolov & Bengio (2013) and clipping by the global norm, against recorded values, with
diagnoses of the usual slips. The diagnoses use inputs whose answers are obvious (zero states,
W_hh = r I, a matrix of ones); no graded function is computed here."""
import numbers

import numpy as np

from ..recorded import case
from .common import CheckFailure, call, close, expect_array, mismatch, passed, reproduces


def _diagnose_jacobian(step_jacobian, inputs, got):
    h_t, W_hh = inputs["h_t"], inputs["W_hh"]
    N, H = h_t.shape
    moved = call(step_jacobian, "step_jacobian", dict(inputs, h_t=h_t * 0.5))
    if close(np.asarray(moved, dtype=float), got):
        raise CheckFailure("J does not change when h_t changes: the tanh derivative "
                           "diag(1 - h_t**2) is missing.")
    at_zero = np.asarray(call(step_jacobian, "step_jacobian",
                              dict(inputs, h_t=np.zeros((N, H)))), dtype=float)
    if at_zero.shape == (N, H, H) and all(close(J, W_hh.T) for J in at_zero) \
            and not close(W_hh, W_hh.T):
        raise CheckFailure("At h_t = 0 (where tanh has slope 1) J[n] should be W_hh itself, but "
                           "yours is W_hh.T: row i of J[n] belongs to unit i of h_t, "
                           "J[n][i, j] = d h_t[n, i] / d h_prev[n, j].")
    ones = np.asarray(call(step_jacobian, "step_jacobian", dict(inputs, W_hh=np.ones((H, H)))),
                      dtype=float)
    slopes = 1.0 - h_t ** 2
    if ones.shape == (N, H, H) and close(ones, np.broadcast_to(slopes[:, None, :], (N, H, H))):
        raise CheckFailure("With W_hh all ones, row i of J[n] should be (1 - h_t[n, i]**2) "
                           "everywhere, but yours varies along the rows: diag(d) @ W_hh multiplies "
                           "row i of W_hh by d[i]; you multiplied the columns (W_hh @ diag(d)).")
    raise mismatch("step_jacobian", got, case("vanishing_gradients", "step_jacobian")[1])


def check_step_jacobian(step_jacobian):
    """Visible test of step_jacobian (N=2, H=3) against recorded values."""
    inputs, expected = case("vanishing_gradients", "step_jacobian")
    N, H = inputs["h_t"].shape
    hints = {(H, H): "J holds one Jacobian per example: shape (N, H, H), J[n] for example n.",
             (N, H): "J[n] is a matrix (H, H) for every example: shape (N, H, H)."}
    got = expect_array(call(step_jacobian, "step_jacobian", inputs), (N, H, H), "step_jacobian",
                       hints)
    if not close(got, expected):
        _diagnose_jacobian(step_jacobian, inputs, got)
    passed("step_jacobian")


def _norms(gradient_norms, hs, W_hh, dh_T):
    return np.asarray(call(gradient_norms, "gradient_norms",
                           {"hs": hs, "W_hh": W_hh, "dh_T": dh_T}), dtype=float)


def _diagnose_norms(gradient_norms, inputs, got, expected):
    hs, dh_T = inputs["hs"], inputs["dh_T"]
    T, N, H = hs.shape
    last = np.linalg.norm(dh_T)
    if not np.isclose(got[-1], last):
        if np.isclose(got[0], last):
            raise CheckFailure("g is in reverse order: g[t-1] belongs to h_t, so g[T-1] is "
                               "||dh_T|| and the earlier entries are the steps before it.")
        raise CheckFailure(f"g[T-1] should be ||dh_T|| = {last:.4f}, the Frobenius norm of the "
                           f"whole (N, H) gradient on h_T; yours is {got[-1]:.4f}.")
    half = 0.5 * np.eye(H)
    linear = _norms(gradient_norms, np.zeros_like(hs), half, dh_T)
    halving = last * 0.5 ** np.arange(T - 1, -1, -1)
    if not close(linear, halving):
        raise CheckFailure("With every state 0 (tanh slope 1) and W_hh = 0.5 I, the gradient "
                           f"must halve at every step back: expected {np.round(halving, 4)}, "
                           f"got {np.round(linear, 4)}. Each step back multiplies by one Jacobian "
                           "(no more, no less).")
    # A linear network (all states 0) with a non-symmetric W_hh: the norms of dh_T W^(T-t).
    upper = 0.5 * np.eye(H) + 0.3 * np.triu(np.ones((H, H)), 1)
    powers = [np.linalg.matrix_power(upper, T - t) for t in range(1, T + 1)]
    rows = [np.linalg.norm(dh_T @ P) for P in powers]
    columns = [np.linalg.norm(dh_T @ P.T) for P in powers]
    linear = _norms(gradient_norms, np.zeros_like(hs), upper, dh_T)
    if H > 1 and close(linear, np.array(columns)) and not close(linear, np.array(rows)):
        raise CheckFailure("W_hh is applied the wrong way round: with the batch as rows, one step "
                           "back is (dL/dh_t * (1 - h_t**2)) @ W_hh (the row form of J_t^T times a "
                           "column), not @ W_hh.T.")
    late = np.zeros_like(hs)
    late[-1] = 0.5
    shrunk = _norms(gradient_norms, late, np.eye(H), dh_T)
    if np.isclose(shrunk[-2], last):
        raise CheckFailure("The step from dL/dh_t to dL/dh_{t-1} must use the tanh derivative at "
                           "h_t (hs[t-1] in code), the output of that step: with only h_T "
                           "saturated, g[T-2] should already be smaller than g[T-1].")
    raise mismatch("gradient_norms", got, expected)


def check_gradient_norms(gradient_norms, step_jacobian=None):
    """Visible test of gradient_norms (T=6, N=2, H=3) against recorded values, with probes on
    states whose answer is known (all zero; only h_T saturated).

    gradient_norms may use step_jacobian; if it fails while step_jacobian does not pass its own
    test yet, it is not held against gradient_norms here (the grader checks gradient_norms with a
    correct step_jacobian)."""
    inputs, expected = case("vanishing_gradients", "gradient_norms")
    try:
        _check_norms(gradient_norms, inputs, expected)
    except CheckFailure:
        if step_jacobian is not None and not reproduces(step_jacobian, "vanishing_gradients", "step_jacobian"):
            print("gradient_norms is checked once step_jacobian passes its test (in case "
                  "gradient_norms uses it): fix step_jacobian first, then run this cell again.")
            return
        raise
    passed("gradient_norms")


def _check_norms(gradient_norms, inputs, expected):
    T, N, H = inputs["hs"].shape
    hints = {(T, N): "One norm per step for the whole batch (the Frobenius norm of the (N, H) "
                     "gradient), not one per example.",
             (T - 1,): "There are T norms, one per state h_1 .. h_T; g[T-1] = ||dh_T||.",
             (T + 1,): "There are T norms, one per state h_1 .. h_T (h_0 is not included)."}
    got = expect_array(call(gradient_norms, "gradient_norms", inputs), (T,), "gradient_norms", hints)
    if not close(got, expected):
        _diagnose_norms(gradient_norms, inputs, got, expected)


def _number(value, name):
    if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.shape == ())):
        raise CheckFailure(f"{name} should return one number (a float), not "
                           f"{type(value).__name__}{' ' + str(np.shape(value)) if hasattr(value, 'shape') else ''}.")
    return float(value)


def _bound(jacobian_norm_bound, W_hh, lag, gamma=None):
    args = {"W_hh": W_hh, "lag": lag} if gamma is None else {"W_hh": W_hh, "lag": lag, "gamma": gamma}
    return _number(call(jacobian_norm_bound, "jacobian_norm_bound", args), "jacobian_norm_bound")


def check_jacobian_norm_bound(jacobian_norm_bound):
    """Visible test of jacobian_norm_bound: a recorded case and matrices whose singular values are
    known (a non-normal matrix, the identity, 2 I), lag 0, and gamma."""
    inputs, expected = case("vanishing_gradients", "jacobian_norm_bound")
    got = _number(call(jacobian_norm_bound, "jacobian_norm_bound", inputs), "jacobian_norm_bound")
    probes = [
        (np.array([[0.0, 2.0], [0.0, 0.0]]), 1, None, 2.0,
         "sigma_max is the largest *singular value* (the spectral norm, np.linalg.norm(W_hh, 2)); "
         "for [[0, 2], [0, 0]] it is 2, although both eigenvalues are 0."),
        (np.eye(3), 1, None, 1.0,
         "sigma_max of the identity is 1; the Frobenius norm (sqrt(3) here) is not the spectral norm."),
        (2 * np.eye(2), 3, None, 8.0, "the bound is (gamma * sigma_max) ** lag: with 2 I and lag 3 "
                                      "it is 2 ** 3 = 8."),
        (2 * np.eye(2), 0, None, 1.0, "with lag 0 the bound is (anything) ** 0 = 1."),
        (np.eye(2), 2, 0.25, 0.0625, "gamma bounds the slope of every step, so it is raised to the "
                                     "power lag too: (0.25 * 1) ** 2 = 0.0625."),
    ]
    for W_hh, lag, gamma, want, why in probes:
        try:
            value = _bound(jacobian_norm_bound, W_hh, lag, gamma)
        except CheckFailure as failure:
            if gamma is None and "raised TypeError" in str(failure):
                raise CheckFailure("jacobian_norm_bound(W_hh, lag) must work without gamma: give "
                                   "gamma the default 1.0 (tanh).") from None
            raise
        if not np.isclose(value, want, rtol=1e-9, atol=1e-12):
            raise CheckFailure(f"jacobian_norm_bound gave {value:.6g} where {want:g} is right: {why}")
    if not np.isclose(got, expected, rtol=1e-9, atol=1e-12):
        raise CheckFailure(f"jacobian_norm_bound gave {got:.6g} on the recorded case, expected "
                           f"{expected:.6g}.")
    passed("jacobian_norm_bound")


def _clip(clip_by_global_norm, grads, max_norm):
    result = call(clip_by_global_norm, "clip_by_global_norm",
                  {"grads": grads, "max_norm": max_norm})
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("clip_by_global_norm should return a tuple (clipped, total_norm): the "
                           "new dict of arrays and the norm before clipping.")
    clipped, total = result
    if not isinstance(clipped, dict) or set(clipped) != set(grads):
        raise CheckFailure("clipped should be a dict with the same keys as grads, one array each.")
    arrays = {k: expect_array(np.asarray(v) if np.isscalar(v) else v, np.shape(grads[k]),
                              f"clipped[{k!r}]") for k, v in clipped.items()}
    return arrays, _number(total, "total_norm")


def check_clip_by_global_norm(clip_by_global_norm):
    """Visible test of clip_by_global_norm: the recorded case (clipped), the same gradients with a
    larger max_norm (left alone), and the norm before clipping."""
    inputs, (expected, expected_total) = case("vanishing_gradients", "clip_by_global_norm")
    grads, max_norm = inputs["grads"], inputs["max_norm"]
    clipped, total = _clip(clip_by_global_norm, grads, max_norm)
    if not np.isclose(total, expected_total, rtol=1e-9):
        if np.isclose(total, max_norm):
            raise CheckFailure("total_norm is the norm of all gradients *before* clipping.")
        if np.isclose(total, sum(np.linalg.norm(g) for g in grads.values())):
            raise CheckFailure("The global norm is sqrt(sum of the squares of every entry of every "
                               "array), not the sum of the arrays' norms.")
        raise CheckFailure(f"total_norm is {total:.6g}, expected {expected_total:.6g}: the norm of "
                           "all the arrays together, as if they were one long vector.")
    if not all(close(clipped[k], expected[k]) for k in grads):
        if all(np.all(np.abs(clipped[k]) <= max_norm + 1e-12) for k in grads) and \
                any(close(clipped[k], np.clip(grads[k], -max_norm, max_norm)) for k in grads):
            raise CheckFailure("np.clip cuts every entry separately and changes the gradient's "
                               "direction; clipping by the global norm scales every array by the "
                               "same factor max_norm / total_norm.")
        if all(np.linalg.norm(clipped[k]) <= max_norm * (1 + 1e-9) for k in grads):
            raise CheckFailure("Every array was clipped on its own; the global norm clips them "
                               "together, all by the same factor max_norm / total_norm.")
        raise CheckFailure("clipped differs from the recorded answer: when total_norm > max_norm, "
                           "multiply every array by max_norm / total_norm.")
    roomy, _ = _clip(clip_by_global_norm, grads, 1.5 * expected_total)
    if not all(close(roomy[k], grads[k]) for k in grads):
        raise CheckFailure("With max_norm above the global norm the gradients must come back "
                           "unchanged: clipping only ever shrinks.")
    passed("clip_by_global_norm")
