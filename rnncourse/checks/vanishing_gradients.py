"""Visible checks of lesson 03: the Jacobian of a step, the gradient norms back in time, the bound
of Pascanu, Mikolov & Bengio (2013) and clipping by the global norm, against recorded values, with
diagnoses of the usual slips. The diagnoses use inputs whose answers are obvious (zero states,
every state at one value, W_hh = r I, a matrix of ones, a permutation, 1 x 1 matrices, a
nilpotent matrix); no graded function is computed here."""
import numbers

import numpy as np

from ..recorded import case
from .common import (LEVEL, CheckFailure, call, close, expect_array, factor_of, mismatch, passed,
                     reproduces, slope_words)

# ------------------------------------------------------------------------------ step_jacobian

def _jacobian(step_jacobian, h_t, W_hh):
    return np.asarray(call(step_jacobian, "step_jacobian", {"h_t": h_t, "W_hh": W_hh}),
                      dtype=float)


def _diagnose_jacobian(step_jacobian, inputs, got):
    h_t, W_hh = inputs["h_t"], inputs["W_hh"]
    N, H = h_t.shape
    moved = _jacobian(step_jacobian, h_t * 0.5, W_hh)
    if close(moved, got):
        raise CheckFailure("J does not change when h_t changes: the tanh derivative "
                           "diag(1 - h_t**2) is missing.")
    at_zero = _jacobian(step_jacobian, np.zeros((N, H)), W_hh)
    if at_zero.shape == (N, H, H) and not all(close(J, W_hh) for J in at_zero):
        start = "At h_t = 0 (where tanh has slope 1) J[n] should be W_hh itself"
        if all(close(J, W_hh.T) for J in at_zero) and not close(W_hh, W_hh.T):
            raise CheckFailure(f"{start}, but yours is W_hh.T: row i of J[n] belongs to unit i "
                               "of h_t, J[n][i, j] = d h_t[n, i] / d h_prev[n, j].")
        if all(close(J, -W_hh) for J in at_zero):
            raise CheckFailure(f"{start}, but yours is -W_hh: tanh's slope 1 - h**2 is positive.")
        if all(close(J, W_hh * np.eye(H)) for J in at_zero):
            raise CheckFailure(f"{start}, but yours keeps only its diagonal: diag(d) @ W_hh is a "
                               "matrix product, which scales the rows of W_hh; an elementwise "
                               "product with a diagonal matrix zeroes everything off the diagonal.")
        if not np.any(at_zero):
            level = _jacobian(step_jacobian, np.full((N, H), LEVEL), W_hh)
            half = _jacobian(step_jacobian, np.full((N, H), LEVEL / 2), W_hh)
            ratio = factor_of(level, half)
            sigmoid = ratio is not None and np.isclose(
                ratio, LEVEL * (1 - LEVEL) / (LEVEL / 2 * (1 - LEVEL / 2)))
            raise CheckFailure(f"{start}, but yours is zero: the slope you use vanishes at 0"
                               + (", like h * (1 - h), the slope of the sigmoid" if sigmoid else "")
                               + ". tanh's slope, written with its output, is 1 - h**2.")
        raise CheckFailure(f"{start}; yours is not (J[0] = {np.round(at_zero[0], 3).tolist()}).")
    level = _jacobian(step_jacobian, np.full((N, H), LEVEL), W_hh)
    mine = factor_of(level, at_zero)
    if mine is not None and not np.isclose(mine, 1 - LEVEL ** 2):
        words = slope_words(mine)
        raise CheckFailure(f"With every unit of h_t at {LEVEL}, J[n] should be tanh's slope "
                           f"1 - {LEVEL}**2 = {1 - LEVEL ** 2:.2f} times W_hh; yours is {mine:.3g} "
                           "times W_hh" + (f": your slope is {words}." if words else "."))
    ones = _jacobian(step_jacobian, h_t, np.ones((H, H)))
    slopes = 1.0 - h_t ** 2
    if ones.shape == (N, H, H) and close(ones, np.broadcast_to(slopes[:, None, :], (N, H, H))):
        raise CheckFailure("With W_hh all ones, row i of J[n] should be (1 - h_t[n, i]**2) "
                           "everywhere, but yours varies along the rows: diag(d) @ W_hh multiplies "
                           "row i of W_hh by d[i]; you multiplied the columns (W_hh @ diag(d)).")
    if N > 1:
        other = h_t.copy()
        other[1] = -0.5 * other[1] + 0.3
        changed = _jacobian(step_jacobian, other, W_hh)
        if not close(changed[0], got[0]):
            raise CheckFailure("J[0] changes when only example 1's state h_t[1] changes: each "
                               "example has a Jacobian of its own, from its own slopes.")
        if close(changed[1], got[1]):
            raise CheckFailure("J[1] does not change when example 1's state h_t[1] changes: J[n] "
                               "comes from the state of example n.")
    raise mismatch("step_jacobian", got, case("vanishing_gradients", "step_jacobian")[1])


def check_step_jacobian(step_jacobian):
    """Visible test of step_jacobian (N=2, H=3) against recorded values."""
    inputs, expected = case("vanishing_gradients", "step_jacobian")
    N, H = inputs["h_t"].shape
    hints = {(H, H): "J holds one Jacobian per example: shape (N, H, H), J[n] for example n.",
             (N, H): "J[n] is a matrix (H, H) for every example: shape (N, H, H)."}
    try:
        result = call(step_jacobian, "step_jacobian", inputs)
    except CheckFailure as failure:
        if not isinstance(failure.__cause__, ValueError):
            raise
        single = ""
        try:
            one = call(step_jacobian, "step_jacobian", {"h_t": inputs["h_t"][0],
                                                        "W_hh": inputs["W_hh"]})
            if np.shape(one) == (H, H):
                single = (f" Given one example as a vector of shape ({H},), yours returns an "
                          f"({H}, {H}) matrix; with the batch it raises.")
        except CheckFailure:
            pass
        raise CheckFailure(f"step_jacobian raised ValueError with h_t {inputs['h_t'].shape}, W_hh "
                           f"{inputs['W_hh'].shape}: h_t is a batch, one row per example, and J "
                           f"holds one (H, H) Jacobian per row, shape (N, H, H).{single}"
                           ) from failure.__cause__
    got = expect_array(result, (N, H, H), "step_jacobian", hints)
    if not close(got, expected):
        _diagnose_jacobian(step_jacobian, inputs, got)
    passed("step_jacobian")


# ----------------------------------------------------------------------------- gradient_norms

def _norms(gradient_norms, hs, W_hh, dh_T):
    return np.asarray(call(gradient_norms, "gradient_norms",
                           {"hs": hs, "W_hh": W_hh, "dh_T": dh_T}), dtype=float)


def _first_norm_finding(got, dh_T, last):
    """g[T-1] is not ||dh_T||: what it is instead, if the probe can tell."""
    T = len(got)
    if np.isclose(got[0], last) and T > 1:
        return ("g is in reverse order: g[t-1] belongs to h_t, so g[T-1] is ||dh_T|| and the "
                "earlier entries are the steps before it.")
    start = (f"g[T-1] should be ||dh_T|| = {last:.4f}, the Frobenius norm of the whole (N, H) "
             f"gradient on h_T; yours is {got[-1]:.4f}")
    rows = np.linalg.norm(dh_T, axis=1)
    known = {float(np.linalg.norm(dh_T, 2)): "the largest singular value of the (N, H) matrix "
                                             "(a matrix norm), not the norm of all its entries",
             last ** 2: "the squared norm: take the square root",
             float(rows.sum()): "the sum of the examples' norms",
             float(rows.mean()): "the mean of the examples' norms"}
    for value, words in known.items():
        if np.isclose(got[-1], value) and not np.isclose(value, last):
            return f"{start}, {words}."
    return f"{start}."


def _diagnose_norms(gradient_norms, inputs, got, expected):
    hs, dh_T = inputs["hs"], inputs["dh_T"]
    T, N, H = hs.shape
    last = np.linalg.norm(dh_T)
    if not np.isclose(got[-1], last):
        raise CheckFailure(_first_norm_finding(got, dh_T, last))
    half = 0.5 * np.eye(H)
    linear = _norms(gradient_norms, np.zeros_like(hs), half, dh_T)
    halving = last * 0.5 ** np.arange(T - 1, -1, -1)
    if not close(linear, halving):
        start = ("With every state 0 (tanh slope 1) and W_hh = 0.5 I, the gradient must halve at "
                 f"every step back: expected {np.round(halving, 4)}, got {np.round(linear, 4)}.")
        steps = [linear[t - 1] / linear[t] for t in range(1, T) if linear[t] != 0]
        if T > 1 and linear[0] == 0 and close(linear[1:], halving[1:]):
            raise CheckFailure(f"{start} g[0], the norm for h_1, is never filled in: the loop "
                               "stops before it reaches h_1.")
        if steps and np.allclose(steps, 1.0):
            raise CheckFailure(f"{start} Yours stays the same: W_hh does not act in the step back.")
        if steps and np.allclose(steps, 1.5):
            raise CheckFailure(f"{start} Yours grows by 1.5 = 1 + 0.5 per step: the step back "
                               "adds W_hh's contribution to the gradient instead of replacing the "
                               "gradient by it (dL/dh_{t-1} comes through W_hh alone).")
        raise CheckFailure(f"{start} Each step back multiplies by one Jacobian (no more, no less).")
    # A linear network (all states 0) with a non-symmetric W_hh: the norms of dh_T W^(T-t).
    upper = 0.5 * np.eye(H) + 0.3 * np.triu(np.ones((H, H)), 1)
    powers = [np.linalg.matrix_power(upper, T - t) for t in range(1, T + 1)]
    rows = [np.linalg.norm(dh_T @ P) for P in powers]
    columns = [np.linalg.norm(dh_T @ P.T) for P in powers]
    linear = _norms(gradient_norms, np.zeros_like(hs), upper, dh_T)
    if H > 1 and close(linear, np.array(columns)) and not close(linear, np.array(rows)):
        raise CheckFailure("W_hh is applied the wrong way round: with every state 0 and an upper "
                           "triangular W_hh, your norms are those of a step back through W_hh.T. "
                           "With the batch as rows, the column form J_t^T g becomes the row g "
                           "times J_t, and J_t holds W_hh itself.")
    level = np.full_like(hs, 0.5)
    flat = _norms(gradient_norms, level, np.eye(H), dh_T)
    steps = [flat[t - 1] / flat[t] for t in range(1, T) if flat[t] != 0]
    if steps and np.allclose(steps, 1.0):
        raise CheckFailure("With every state at 0.5 and W_hh = I, each step back should multiply "
                           "the gradient by tanh's slope 1 - 0.5**2 = 0.75; yours keeps it "
                           "unchanged: the tanh derivative at h_t is missing.")
    late = np.zeros_like(hs)
    late[-1] = 0.5
    shrunk = _norms(gradient_norms, late, np.eye(H), dh_T)
    if np.isclose(shrunk[-2], last):
        raise CheckFailure("The step from dL/dh_t to dL/dh_{t-1} must use the tanh derivative at "
                           "h_t (hs[t-1] in code), the output of that step: with only h_T "
                           "saturated, g[T-2] should already be smaller than g[T-1].")
    if H > 1 and T > 1:
        cycle = np.roll(np.eye(H), 1, axis=1)          # a permutation: unit j feeds unit j+1
        shut = np.zeros_like(hs)
        shut[-1][:, 0] = 1.0                           # unit 1 of h_T saturated: slope 0
        only = np.zeros_like(dh_T)
        only[:, 0] = 1.0                               # the gradient on h_T sits on unit 1 alone
        blocked = _norms(gradient_norms, shut, cycle, only)
        if not np.isclose(blocked[-2], 0.0):
            raise CheckFailure(
                "With dL/dh_T on unit 1 alone and that unit of h_T saturated (h = 1, slope 0), no "
                "gradient can pass back through h_T: g[T-2] should be 0, yours is "
                f"{blocked[-2]:.3g} (W_hh a permutation). The slope multiplies the gradient on h_t, unit by unit, "
                "before W_hh carries it back.")
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


# ------------------------------------------------------------------------ jacobian_norm_bound

def _number(value, name):
    if isinstance(value, (bool, np.bool_)) or not (
            isinstance(value, numbers.Real) or (isinstance(value, np.ndarray) and value.shape == ())):
        raise CheckFailure(f"{name} should return one number (a float), not "
                           f"{type(value).__name__}{' ' + str(np.shape(value)) if hasattr(value, 'shape') else ''}.")
    return float(value)


def _bound(jacobian_norm_bound, W_hh, lag, gamma=None):
    args = {"W_hh": W_hh, "lag": lag} if gamma is None else {"W_hh": W_hh, "lag": lag, "gamma": gamma}
    return _number(call(jacobian_norm_bound, "jacobian_norm_bound", args), "jacobian_norm_bound")


SIGMA = "sigma_max is the largest *singular value* of W_hh (its spectral norm)"
SQUARE = np.array([[1.0, 2.0], [3.0, 4.0]])
NILPOTENT = np.array([[0.0, 2.0], [0.0, 0.0]])


def _norm_names(W):
    """Other numbers of a matrix that learners take for sigma_max: [(value, what it is)]."""
    singular = np.linalg.svd(W, compute_uv=False)
    return [(float(np.abs(W).max()), "its largest entry"),
            (float(np.abs(W).sum(axis=1).max()), "its largest row sum (the infinity-norm)"),
            (float(np.abs(W).sum(axis=0).max()), "its largest column sum (the 1-norm)"),
            (float(np.sqrt(np.sum(W ** 2))), "its Frobenius norm"),
            (float(singular.sum()), "its nuclear norm (the sum of the singular values)"),
            (float(np.max(np.abs(np.linalg.eigvals(W)))), "its spectral radius (the largest "
                                                           "|eigenvalue|)"),
            (float(singular.min()), "its smallest singular value"),
            (float(singular.max() ** 2), "sigma_max squared (the eigenvalues of W^T W are the "
                                         "squares of the singular values)")]


def _probes():
    """(W_hh, lag, gamma, the bound, what it shows): the exponent first, on 1 x 1 matrices where
    every norm is |w|, then matrices whose norms differ."""
    return [
        (np.array([[2.0]]), 3, None, 8.0,
         "the bound is (gamma * sigma_max) ** lag, one factor per step: with W_hh = [[2]] and lag "
         "3 it is 2 ** 3 = 8."),
        (np.array([[2.0]]), 0, None, 1.0, "with lag 0 the bound is (anything) ** 0 = 1."),
        (np.array([[1.0]]), 2, 0.25, 0.0625,
         "gamma bounds the slope of every step, so it is raised to the power lag too: "
         "(0.25 * 1) ** 2 = 0.0625."),
        (np.eye(3), 1, None, 1.0, f"{SIGMA}; for the identity it is 1."),
        (SQUARE, 1, None, float(np.sqrt(15 + np.sqrt(221))),   # sigma_max of [[1, 2], [3, 4]]
         f"{SIGMA}; for [[1, 2], [3, 4]] it is sqrt(15 + sqrt(221)) = 5.465."),
        (NILPOTENT, 1, None, 2.0, f"{SIGMA}; for [[0, 2], [0, 0]] it is 2, although both its "
                                  "eigenvalues are 0."),
        (NILPOTENT, 2, None, 4.0,
         "the bound is sigma_max ** lag = 2 ** 2 = 4 for [[0, 2], [0, 0]]."),
    ]


def _why_not(W, lag, value):
    """What a wrong value on a probe is, where the probe can tell."""
    if W.shape == (1, 1) and lag == 3:
        known = {4.0: "2 ** 2: one factor too few (lag - 1)", 16.0: "2 ** 4: one factor too many",
                 6.0: "2 * 3: multiplied by lag instead of raised to the power lag",
                 9.0: "3 ** 2: base and exponent are swapped",
                 64.0: "(2 ** 2) ** 3: sigma_max squared, raised to the power lag (the "
                       "eigenvalues of W^T W are the squares of the singular values)"}
        return "".join(f" Yours is {words}." for v, words in known.items() if np.isclose(value, v))
    if lag == 2 and np.array_equal(W, NILPOTENT) and np.isclose(value, 0.0):
        return (" Yours is 0, the norm of the product W_hh @ W_hh itself (zero for this matrix): "
                "the bound multiplies sigma_max once per step, and it bounds that norm from above.")
    if lag != 1:
        return ""
    names = [words for known, words in _norm_names(W) if np.isclose(value, known)]
    if names:
        same = ", all the same here" if len(names) > 2 else ""
        return f" Yours equals {' and '.join(names)}{same}."
    return ""


def check_jacobian_norm_bound(jacobian_norm_bound):
    """Visible test of jacobian_norm_bound: a recorded case, 1 x 1 matrices (the power and gamma),
    and matrices whose singular values are known (a nilpotent matrix, the identity, [[1, 2],
    [3, 4]])."""
    inputs, expected = case("vanishing_gradients", "jacobian_norm_bound")
    got = _number(call(jacobian_norm_bound, "jacobian_norm_bound", inputs), "jacobian_norm_bound")
    for W_hh, lag, gamma, want, why in _probes():
        try:
            value = _bound(jacobian_norm_bound, W_hh, lag, gamma)
        except CheckFailure as failure:
            if gamma is None and "raised TypeError" in str(failure):
                raise CheckFailure("jacobian_norm_bound(W_hh, lag) must work without gamma: give "
                                   "gamma the default 1.0 (tanh).") from None
            raise
        if not np.isclose(value, want, rtol=1e-9, atol=1e-12):
            raise CheckFailure(f"jacobian_norm_bound gave {value:.6g} where {want:g} is right: "
                               f"{why}{_why_not(W_hh, lag, value)}")
    if not np.isclose(got, expected, rtol=1e-9, atol=1e-12):
        raise CheckFailure(f"jacobian_norm_bound gave {got:.6g} on the recorded case, expected "
                           f"{expected:.6g}.")
    passed("jacobian_norm_bound")


# ------------------------------------------------------------------------ clip_by_global_norm

def _clip(clip_by_global_norm, grads, max_norm):
    result = call(clip_by_global_norm, "clip_by_global_norm",
                  {"grads": grads, "max_norm": max_norm})
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict) \
            and not isinstance(result[0], dict):
        raise CheckFailure("clip_by_global_norm returned (total_norm, clipped): the order is "
                           "(clipped, total_norm), the new dict first.")
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("clip_by_global_norm should return a tuple (clipped, total_norm): the "
                           "new dict of arrays and the norm before clipping.")
    clipped, total = result
    if isinstance(clipped, dict) and set(clipped) < set(grads) and len(clipped) == 1 \
            and list(clipped) == list(grads)[-1:]:
        raise CheckFailure(f"clipped holds only {list(clipped)[0]!r}, the last key of grads: it "
                           "needs one entry per array of grads (a dict made anew at every pass of "
                           "a loop keeps only the last one).")
    if not isinstance(clipped, dict) or set(clipped) != set(grads):
        raise CheckFailure("clipped should be a dict with the same keys as grads, one array each.")
    arrays = {k: expect_array(np.asarray(v) if np.isscalar(v) else v, np.shape(grads[k]),
                              f"clipped[{k!r}]") for k, v in clipped.items()}
    return arrays, _number(total, "total_norm")


def _total_finding(total, expected_total, max_norm, grads):
    if np.isclose(total, max_norm):
        return "total_norm is the norm of all gradients *before* clipping."
    norms = [float(np.linalg.norm(g)) for g in grads.values()]
    count = sum(np.size(g) for g in grads.values())
    known = {
        sum(norms): "The global norm is sqrt(sum of the squares of every entry of every array), "
                    "not the sum of the arrays' norms.",
        expected_total ** 2: "yours is the sum of the squares of all entries: take its square "
                             "root.",
        float(np.mean(norms)): "yours is the mean of the arrays' norms.",
        expected_total / np.sqrt(count): "yours is the root mean square (the squares averaged "
                                         "over the entries): sum them instead.",
        float(sum(np.abs(g).sum() for g in grads.values())): "yours is the sum of the absolute "
                                                              "values (the 1-norm).",
        max(norms): "yours is the norm of the largest array alone.",
    }
    for value, words in known.items():
        if np.isclose(total, value, rtol=1e-9):
            if words.startswith("yours"):
                return (f"total_norm is {total:.6g}, but the global norm is {expected_total:.6g}, "
                        f"the norm of all the arrays together, as if they were one long vector: "
                        f"{words}")
            return words
    return (f"total_norm is {total:.6g}, expected {expected_total:.6g}: the norm of all the "
            "arrays together, as if they were one long vector.")


def check_clip_by_global_norm(clip_by_global_norm):
    """Visible test of clip_by_global_norm: the recorded case (clipped), the same gradients with a
    larger max_norm (left alone), and the norm before clipping."""
    inputs, (expected, expected_total) = case("vanishing_gradients", "clip_by_global_norm")
    grads, max_norm = inputs["grads"], inputs["max_norm"]
    clipped, total = _clip(clip_by_global_norm, grads, max_norm)
    if not np.isclose(total, expected_total, rtol=1e-9):
        raise CheckFailure(_total_finding(total, expected_total, max_norm, grads))
    if not all(close(clipped[k], expected[k]) for k in grads):
        if all(np.all(np.abs(clipped[k]) <= max_norm + 1e-12) for k in grads) and \
                any(close(clipped[k], np.clip(grads[k], -max_norm, max_norm)) for k in grads):
            raise CheckFailure("np.clip cuts every entry separately and changes the gradient's "
                               "direction; clipping by the global norm scales every array by the "
                               "same factor max_norm / total_norm.")
        if all(np.linalg.norm(clipped[k]) <= max_norm * (1 + 1e-9) for k in grads):
            raise CheckFailure("Every array was clipped on its own; the global norm clips them "
                               "together, all by the same factor max_norm / total_norm.")
        factors = [factor_of(clipped[k], grads[k]) for k in grads]
        after = float(np.sqrt(sum(np.sum(clipped[k] ** 2) for k in grads)))
        start = (f"After clipping, the global norm of clipped should be max_norm = {max_norm:.6g}; "
                 f"yours is {after:.6g}")
        if all(f is not None for f in factors) and np.allclose(factors, factors[0]):
            if np.isclose(factors[0], total / max_norm):
                raise CheckFailure(f"{start}: every array is multiplied by total_norm / max_norm "
                                   f"= {factors[0]:.4g}, which enlarges it; the factor is the "
                                   "inverse, max_norm / total_norm.")
            raise CheckFailure(f"{start}: every array is multiplied by {factors[0]:.4g}.")
        raise CheckFailure(f"{start}, and the arrays are not all scaled by one factor: multiply "
                           "every array by the same max_norm / total_norm.")
    roomy, _ = _clip(clip_by_global_norm, grads, 1.5 * expected_total)
    if not all(close(roomy[k], grads[k]) for k in grads):
        raise CheckFailure("With max_norm above the global norm the gradients must come back "
                           "unchanged: clipping only ever shrinks.")
    passed("clip_by_global_norm")
