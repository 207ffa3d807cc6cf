"""Visible checks of lesson 02: the backward passes against numerical gradients of the forward
pass (the learner's, or the one shipped with the lesson) and against recorded values, with
diagnoses of the usual slips. The diagnoses probe the learner's own functions with changed inputs;
no gradient is computed here except by central differences."""
import numpy as np

from ..gradcheck import gradient_errors, numerical_gradient, relative_error
from ..recorded import case, context
from .common import CheckFailure, call, close, expect_array, passed, reproduces

TOLERANCE = 1e-6        # relative error against central differences (h = 1e-5, float64)
GRADIENTS = ("dx", "dh_prev", "dW_xh", "dW_hh", "db_h")
STEP_ARGS = ("x_t", "h_prev", "W_xh", "W_hh", "b_h")
SEQUENCE_ARGS = ("x", "h0", "W_xh", "W_hh", "b_h")


def _five(result, name, shapes, hints):
    """The five gradients as float64 arrays of the right shapes, or a failure that says why."""
    if not isinstance(result, tuple) or len(result) != 5:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise CheckFailure(f"{name} returned {got}; return the five gradients "
                           "(dx, dh_prev or dh0, dW_xh, dW_hh, db_h) in that order, as a tuple.")
    return tuple(expect_array(value, shape, f"{name}: {label}", hints.get(label))
                 for value, shape, label in zip(result, shapes, labels(name)))


def labels(name):
    if name == "rnn_step_backward":
        return ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")
    return ("dx", "dh0", "dW_xh", "dW_hh", "db_h")


def _shape_hints(N, D, H):
    transposed = "Each gradient has the shape of what it is the gradient of"
    return {
        "dW_xh": {(D, H): f"{transposed}: dW_xh is (H, D) like W_xh, so it is da.T @ x, not x.T @ da."},
        "db_h": {(N, H): "db_h has one entry per unit: b_h is added to every example of the batch, "
                         "so its gradient sums over the batch (axis 0).",
                 (N,): "db_h sums over the batch (axis 0), not over the units."},
        "dx_t": {(N, H): "dx_t has the shape of x_t, (N, D)."},
        "dx": {(N, D): "dx holds one gradient per step: shape (T, N, D) like x."},
    }


def _numerical_step_errors(rnn_step, rnn_step_backward, inputs, b_h):
    """{gradient: relative error} of the learner's step backward against central differences of
    rnn_step (h_t recomputed from the inputs, so any inputs can be probed)."""
    forward = {"x_t": inputs["x_t"], "h_prev": inputs["h_prev"], "W_xh": inputs["W_xh"],
               "W_hh": inputs["W_hh"], "b_h": np.array(b_h, dtype=np.float64)}
    f = lambda: rnn_step(*forward.values())  # noqa: E731
    h_t = np.asarray(f(), dtype=np.float64)
    args = {"dh_t": inputs["dh_t"], "x_t": forward["x_t"], "h_prev": forward["h_prev"],
            "h_t": h_t, "W_xh": forward["W_xh"], "W_hh": forward["W_hh"]}
    grads = call(rnn_step_backward, "rnn_step_backward", args)
    analytic = dict(zip(STEP_ARGS, grads))
    return gradient_errors(f, forward, analytic, inputs["dh_t"])


def _report(name, errors, extra=""):
    wrong = {k: v for k, v in errors.items() if not v < TOLERANCE}
    lines = "\n".join(f"  d{k}: relative error {v:.2e}" for k, v in wrong.items())
    return CheckFailure(f"{name}: these gradients disagree with the numerical gradient "
                        f"(a relative error below {TOLERANCE:g} is expected):\n{lines}{extra}")


def _diagnose_step(rnn_step_backward, rnn_step, inputs, b_h, errors):
    """Raise the most specific failure for a step backward that fails the gradient check."""
    moved = dict(inputs, h_t=np.clip(inputs["h_t"] * 0.5 + 0.3, -0.95, 0.95))
    same = call(rnn_step_backward, "rnn_step_backward", moved)
    base = call(rnn_step_backward, "rnn_step_backward", inputs)
    if all(close(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
           for a, b in zip(same, base)):
        raise CheckFailure(
            "rnn_step_backward gives the same gradients whatever h_t is: the derivative of tanh "
            "is missing, or taken at h_prev. Since h_t = tanh(a_t), da_t = dh_t * (1 - h_t**2), "
            "with h_t, the output of this step.")
    symmetric = dict(inputs)
    symmetric["W_hh"] = (inputs["W_hh"] + inputs["W_hh"].T) / 2
    sym_errors = _numerical_step_errors(rnn_step, rnn_step_backward, symmetric, b_h)
    if errors["h_prev"] >= TOLERANCE and sym_errors["h_prev"] < TOLERANCE:
        raise _report("rnn_step_backward", errors,
                      "\ndh_prev is right only when W_hh is symmetric: a transpose is wrong. In code "
                      "the forward pass uses h_prev @ W_hh.T, so the gradient flows back as da @ W_hh.")
    if errors["W_hh"] >= TOLERANCE:
        forward = [inputs["x_t"], inputs["h_prev"], inputs["W_xh"], inputs["W_hh"].copy(), b_h]
        numerical = numerical_gradient(lambda: rnn_step(*forward), forward[3], inputs["dh_t"])
        dW_hh = np.asarray(base[3], dtype=float)
        if dW_hh.shape == numerical.shape and relative_error(dW_hh.T, numerical) < TOLERANCE:
            raise _report("rnn_step_backward", errors,
                          "\ndW_hh is transposed: it is da.T @ h_prev (rows: the units of h_t, "
                          "like the rows of W_hh).")
    raise _report("rnn_step_backward", errors)


def check_rnn_step_backward(rnn_step_backward, rnn_step):
    """Visible test of rnn_step_backward (N=2, D=3, H=4): shapes, the gradient check against
    central differences of rnn_step, and the recorded values."""
    inputs, expected = case("bptt", "rnn_step_backward")
    b_h = context("bptt", "rnn_step_backward")["b_h"]
    (N, D), H = inputs["x_t"].shape, inputs["h_t"].shape[1]
    hints = _shape_hints(N, D, H)
    shapes = [e.shape for e in expected]
    got = _five(call(rnn_step_backward, "rnn_step_backward", inputs), "rnn_step_backward",
                shapes, hints)
    errors = _numerical_step_errors(rnn_step, rnn_step_backward, inputs, b_h)
    if any(not e < TOLERANCE for e in errors.values()):
        _diagnose_step(rnn_step_backward, rnn_step, inputs, b_h, errors)
    _same_as_recorded("rnn_step_backward", got, expected)
    passed("rnn_step_backward")


def _same_as_recorded(name, got, expected):
    for label, g, e in zip(labels(name), got, expected):
        if not close(g, e):
            raise CheckFailure(
                f"{name} passes the gradient check but {label} differs from the recorded answer "
                f"(largest difference {np.max(np.abs(g - e)):.3g}): compute in float64 and "
                "follow the formulas exactly.")


def _sequence_errors(rnn_forward, backward, inputs, b_h):
    """{gradient: relative error} of a sequence backward against central differences of
    rnn_forward with the loss L = sum(hs * dhs)."""
    forward = {"x": inputs["x"], "h0": inputs["h0"], "W_xh": inputs["W_xh"],
               "W_hh": inputs["W_hh"], "b_h": np.array(b_h, dtype=np.float64)}
    f = lambda: rnn_forward(*forward.values())  # noqa: E731
    grads = backward(inputs)
    return gradient_errors(f, forward, dict(zip(SEQUENCE_ARGS, grads)), inputs["dhs"])


def _last_step_only(inputs):
    dhs = np.zeros_like(inputs["dhs"])
    dhs[-1] = inputs["dhs"][-1]
    return dict(inputs, dhs=dhs)


def _diagnose_backward(rnn_backward, rnn_forward, inputs, b_h, errors):
    """Raise the most specific failure for a full BPTT that fails the gradient check."""
    run = lambda args: call(rnn_backward, "rnn_backward", args)  # noqa: E731
    dx, dh0, dW_xh, dW_hh, db_h = run(inputs)
    late = run(_last_step_only(inputs))
    if np.all(np.asarray(late[0], dtype=float)[:-1] == 0):
        raise _report("rnn_backward", errors,
                      "\nWith a loss on the last step only, no gradient reaches the earlier steps: "
                      "the gradient carried back from step t+1 is missing. The total gradient on "
                      "h_t is dhs[t-1] plus the dh_prev of step t+1.")
    if np.all(np.asarray(dh0, dtype=float) == 0):
        raise _report("rnn_backward", errors,
                      "\ndh0 is zero: return the gradient that flows out of the first step (its "
                      "dh_prev), the gradient on the initial state.")
    changed_h0 = dict(inputs, h0=inputs["h0"] + 0.3)
    if close(np.asarray(run(changed_h0)[3], dtype=float), np.asarray(dW_hh, dtype=float)):
        raise _report("rnn_backward", errors,
                      "\ndW_hh does not depend on h0, but step 1 multiplies W_hh by h0: at the first "
                      "step h_prev is h0 (hs[t-1] with t = 0 is hs[-1], the *last* state).")
    changed_x = dict(inputs, x=np.concatenate([inputs["x"][:1], inputs["x"][1:] + 0.5]))
    if close(np.asarray(run(changed_x)[2], dtype=float), np.asarray(dW_xh, dtype=float)):
        raise _report("rnn_backward", errors,
                      "\ndW_xh ignores every input but x[0]: W_xh is used at every step, so its "
                      "gradient is a sum over all steps. Accumulate (dW_xh += ...) instead of "
                      "overwriting, and the same for dW_hh and db_h.")
    raise _report("rnn_backward", errors,
                  "\nGo through the steps from t = T down to 1: total gradient on h_t = dhs[t-1] "
                  "+ carry, one rnn_step_backward with h_prev = hs[t-2] (h0 at the first step), "
                  "sum the weight gradients, carry dh_prev on.")


def check_rnn_backward(rnn_backward, rnn_step_backward, rnn_forward):
    """Visible test of rnn_backward (T=5, N=2, D=3, H=4, h0 not zero): shapes, the gradient check
    against central differences of rnn_forward, and the recorded values.

    rnn_backward is judged on its own: until rnn_step_backward passes its test, rnn_backward's
    values are not held against it here (the grader checks it with a correct step)."""
    if not reproduces(rnn_step_backward, "bptt", "rnn_step_backward"):
        print("rnn_backward is checked once rnn_step_backward passes its test: fix "
              "rnn_step_backward first, then run this cell again.")
        return
    inputs, expected = case("bptt", "rnn_backward")
    b_h = context("bptt", "rnn_backward")["b_h"]
    T, N, D = inputs["x"].shape
    H = inputs["h0"].shape[1]
    hints = _shape_hints(N, D, H)
    got = _five(call(rnn_backward, "rnn_backward", inputs), "rnn_backward",
                [e.shape for e in expected], hints)
    errors = _sequence_errors(rnn_forward, lambda a: call(rnn_backward, "rnn_backward", a),
                              inputs, b_h)
    if any(not e < TOLERANCE for e in errors.values()):
        _diagnose_backward(rnn_backward, rnn_forward, inputs, b_h, errors)
    _same_as_recorded("rnn_backward", got, expected)
    passed("rnn_backward")


def _diagnose_truncated(truncated, rnn_backward, inputs, k):
    """Raise the most specific failure for a truncated BPTT that differs from the recorded one."""
    T = inputs["x"].shape[0]
    run = lambda args, k: tuple(np.asarray(g, dtype=float) for g in  # noqa: E731
                                call(truncated, "rnn_backward_truncated", dict(args, k=k)))
    full = tuple(np.asarray(g, dtype=float) for g in call(rnn_backward, "rnn_backward", inputs))
    if all(close(a, b) for a, b in zip(run(inputs, k), full)):
        raise CheckFailure(f"rnn_backward_truncated with k = {k} < T = {T} gives the full BPTT "
                           "gradients: k is ignored. Stop the carried gradient at every window "
                           "boundary.")
    # Probe with a window that leaves at least two steps in the last window.
    probe = k if (T - 1) % k else max(2, min(T - 1, k + 1))
    dx = run(_last_step_only(inputs), probe)[0]
    last_window = (T - 1) // probe * probe   # 0-based index of the first step of the last window
    if np.any(dx[:last_window] != 0):
        raise CheckFailure(
            f"With a loss on the last step only and k = {probe}, gradient reached a step before "
            f"the last window (steps {last_window + 1}..{T}): windows are counted from the start, "
            "t = 1..k, k+1..2k, ..., and no gradient crosses a window boundary.")
    if np.all(dx[last_window] == 0):
        raise CheckFailure(
            f"With a loss on the last step only and k = {probe}, no gradient reaches step "
            f"{last_window + 1}, the first of the last window (steps {last_window + 1}..{T}): "
            "within a window the gradient is carried back as in full BPTT, and the window "
            "boundaries lie after steps k, 2k, ... only.")
    dh0 = run(inputs, k)[1]
    if np.all(dh0 == 0):
        raise CheckFailure("dh0 is zero: it is the gradient that the first window sends into h0 "
                           "(the dh_prev of step 1), which truncation keeps.")
    if not all(close(a, b) for a, b in zip(run(inputs, T), full)):
        raise CheckFailure("rnn_backward_truncated with k = T must give exactly what rnn_backward "
                           "gives: one window holds the whole sequence, so nothing is cut.")
    raise CheckFailure("rnn_backward_truncated differs from the recorded answer: within each "
                       "window do full BPTT; at a window boundary drop the carried gradient.")


def check_rnn_backward_truncated(rnn_backward_truncated, rnn_backward, rnn_step_backward):
    """Visible test of rnn_backward_truncated (T=5, k=2: windows 1..2, 3..4, 5): shapes, k >= T
    equal to rnn_backward, no gradient across a boundary, the recorded values. Checked once
    rnn_step_backward and rnn_backward pass theirs."""
    if not (reproduces(rnn_step_backward, "bptt", "rnn_step_backward")
            and reproduces(rnn_backward, "bptt", "rnn_backward")):
        print("rnn_backward_truncated is checked once rnn_step_backward and rnn_backward pass "
              "their tests: fix them first, then run this cell again.")
        return
    inputs, expected = case("bptt", "rnn_backward_truncated")
    k = inputs.pop("k")
    T, N, D = inputs["x"].shape
    H = inputs["h0"].shape[1]
    got = _five(call(rnn_backward_truncated, "rnn_backward_truncated", dict(inputs, k=k)),
                "rnn_backward_truncated", [e.shape for e in expected], _shape_hints(N, D, H))
    if not all(close(g, e) for g, e in zip(got, expected)):
        _diagnose_truncated(rnn_backward_truncated, rnn_backward, inputs, k)
    passed("rnn_backward_truncated")
