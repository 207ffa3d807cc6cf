"""Visible checks of lesson 02: the backward passes against numerical gradients of the forward
pass (the learner's, or the one shipped with the lesson) and against recorded values, with
diagnoses of the usual slips. The diagnoses probe the learner's own functions with chosen inputs
(a state of 0 where tanh's slope is 1, every state at one value, a changed h_prev or x_t, one
example alone, a loss on one step alone, W_hh = 0 so that the steps do not talk to each other);
no gradient is computed here except by central differences."""
import numpy as np

from ..gradcheck import gradient_errors, numerical_gradient, relative_error
from ..recorded import case, context
from .common import (LEVEL, CheckFailure, call, close, expect_array, factor_of, passed, reproduces,
                     slope_words)

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
    for value, label in zip(result, labels(name)):
        if label == "db_h" and not isinstance(value, np.ndarray) and np.ndim(value) == 0:
            raise CheckFailure(f"{name}: db_h is one number; it has one entry per unit, shape "
                               "(H,) like b_h: b_h is added to every example, so its gradient "
                               "sums over the batch (axis 0) only, not over the units too.")
    return tuple(expect_array(value, shape, f"{name}: {label}", hints.get(label))
                 for value, shape, label in zip(result, shapes, labels(name)))


def labels(name):
    if name == "rnn_step_backward":
        return ("dx_t", "dh_prev", "dW_xh", "dW_hh", "db_h")
    return ("dx", "dh0", "dW_xh", "dW_hh", "db_h")


def _shape_hints(N, D, H):
    transposed = "Each gradient has the shape of what it is the gradient of"
    return {
        "dW_xh": {(D, H): f"{transposed}: dW_xh is (H, D) like W_xh, so it is da.T @ x, not x.T @ da.",
                  (H, H): f"{transposed}: dW_xh is (H, D) like W_xh. W_xh multiplies x_t, so its "
                          "gradient pairs da with x_t; pairing da with an (N, H) array (h_prev or "
                          "h_t) gives (H, H)."},
        "dW_hh": {(H, D): f"{transposed}: dW_hh is (H, H) like W_hh. W_hh multiplies h_prev, so "
                          "its gradient pairs da with h_prev; pairing da with x_t gives (H, D)."},
        "db_h": {(N, H): "db_h has one entry per unit: b_h is added to every example of the batch, "
                         "so its gradient sums over the batch (axis 0).",
                 (N,): "db_h sums over the batch (axis 0), not over the units.",
                 (1, H): "db_h has the shape of b_h, (H,): sum over the batch without keeping "
                         "the batch axis."},
        "dx_t": {(N, H): "dx_t has the shape of x_t, (N, D)."},
        "dx": {(N, D): "dx holds one gradient per step: shape (T, N, D) like x."},
        "dh_prev": {(N, D): "dh_prev has the shape of h_prev, (N, H)."},
        "dh0": {(N, D): "dh0 has the shape of h0, (N, H)."},
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
    return CheckFailure(f"{name} fails the gradient check against central differences of the "
                        f"forward pass (a relative error below {TOLERANCE:g} is expected):\n"
                        f"{lines}{extra}")


def _arrays(result):
    return tuple(np.asarray(g, dtype=float) for g in result)


def _names(labels_, which):
    picked = [label for label, keep in zip(labels_, which) if keep]
    return ", ".join(picked[:-1]) + (" and " if len(picked) > 1 else "") + picked[-1]


def _scaled(f, forward, analytic, dy, wrong, known):
    """If every wrong gradient is one number c times the numerical gradient, say so (with what
    `known` {c: words} says about c), else None."""
    factors = {arg: factor_of(analytic[arg], numerical_gradient(f, forward[arg], dy))
               for arg in wrong}
    values = list(factors.values())
    if not values or any(c is None for c in values) or not np.allclose(values, values[0]):
        return None
    c, grads = values[0], ", ".join(f"d{arg}" for arg in wrong)
    verb = "is" if len(wrong) == 1 else "are each"
    for value, words in {-1.0: "minus the gradient: the sign is flipped.", **known}.items():
        if np.isclose(c, value):
            return f"\nYour {grads} {verb} {words}"
    return f"\nYour {grads} {verb} {c:.3g} times the gradient."


def _nudges(f, forward, analytic, dy, wrong):
    """Lines that say, for each wrong gradient, how much the loss L = sum(f() * dy) changes when
    its argument is nudged along the learner's gradient, and how much the gradient predicts."""
    lines = []
    for arg in wrong:
        grad = np.asarray(analytic[arg], dtype=float)
        if grad.shape != np.shape(forward[arg]):
            continue
        direction = grad if np.any(grad) else numerical_gradient(f, forward[arg], dy)
        direction = direction / np.linalg.norm(direction)
        step, saved = 1e-5, forward[arg].copy()
        forward[arg][...] = saved + step * direction
        plus = np.sum(np.asarray(f()) * dy)
        forward[arg][...] = saved - step * direction
        minus = np.sum(np.asarray(f()) * dy)
        forward[arg][...] = saved
        lines.append(f"\nd{arg} is not the gradient on {arg}: nudging {arg} by {step:g} in the "
                     f"direction of your d{arg} changes the loss by {(plus - minus) / 2:.3g}, but "
                     f"your d{arg} predicts {step * float(np.vdot(grad, direction)):.3g}.")
    return "".join(lines)


# -------------------------------------------------------------------------- rnn_step_backward

def _step_probe(rnn_step_backward, inputs, **changes):
    return _arrays(call(rnn_step_backward, "rnn_step_backward", dict(inputs, **changes)))


def _slope_finding(rnn_step_backward, inputs):
    """What the gradients at h_t = 0 (slope 1) and with every unit of h_t at LEVEL say about the
    slope of tanh in the learner's step backward, or None if it is 1 - h_t**2 for every gradient."""
    names = labels("rnn_step_backward")
    N, H = inputs["h_t"].shape
    at_zero = _step_probe(rnn_step_backward, inputs, h_t=np.zeros((N, H)))
    at_level = _step_probe(rnn_step_backward, inputs, h_t=np.full((N, H), LEVEL))
    at_minus = _step_probe(rnn_step_backward, inputs, h_t=np.full((N, H), -LEVEL))
    slope = 1 - LEVEL ** 2
    if not any(np.any(g) for g in at_zero) and any(np.any(g) for g in at_level):
        half = _step_probe(rnn_step_backward, inputs, h_t=np.full((N, H), LEVEL / 2))
        form = ""
        if factor_of(at_level[0], half[0]) is not None and np.isclose(
                factor_of(at_level[0], half[0]), LEVEL * (1 - LEVEL) / (LEVEL / 2 * (1 - LEVEL / 2))):
            form = (" Yours grows like h_t * (1 - h_t), the slope of the sigmoid written with its "
                    "output.")
        return (f"At h_t = 0, where tanh's slope is 1 - 0**2 = 1, every gradient of yours is zero:"
                f" the slope you use vanishes at h_t = 0.{form} Since h_t = tanh(a_t), the slope "
                "is 1 - h_t**2.")
    # A gradient that is zero at h_t = 0 (or not proportional) says nothing about the slope here.
    factors = [factor_of(level, zero) for level, zero in zip(at_level, at_zero)]
    if all(f is None or np.isclose(f, slope) for f in factors):
        mirrored = [factor_of(minus, zero) for minus, zero in zip(at_minus, at_zero)]
        if all(f is None or np.isclose(f, slope) for f in mirrored):
            return None
        return (f"With every unit of h_t at {LEVEL}, your gradients are {slope:.2f} times those "
                f"at h_t = 0, as they should be, but at h_t = {-LEVEL} they are not: tanh's slope "
                "1 - h_t**2 is the same for h_t and -h_t.")
    unchanged = [f is not None and np.isclose(f, 1.0) for f in factors]
    if all(unchanged):
        moved = _step_probe(rnn_step_backward, inputs, h_prev=0.5 * inputs["h_prev"] + 0.3)
        if not close(moved[0], _step_probe(rnn_step_backward, inputs)[0]):
            return ("rnn_step_backward gives the same gradients whatever h_t is, and dx_t changes "
                    "when h_prev changes: the derivative of tanh is taken at h_prev. Since h_t = "
                    "tanh(a_t), the slope is 1 - h_t**2, with h_t, the output of this step.")
        return ("rnn_step_backward gives the same gradients whatever h_t is: the derivative of "
                "tanh is missing. Since h_t = tanh(a_t), every gradient of this step passes "
                "through tanh's slope, 1 - h_t**2 (h_t, the output of this step).")
    if any(unchanged):
        return (f"{_names(names, unchanged)} do{'es' if sum(unchanged) == 1 else ''} not change "
                f"with h_t, the others do: the slope of tanh (1 - h_t**2) is missing on the way to "
                f"{_names(names, unchanged)}. Every gradient of this step passes through tanh.")
    found = [f for f in factors if f is not None]
    if found and all(np.isclose(f, found[0]) for f in found):
        mine = found[0]
        what = slope_words(mine)
        if what:
            return (f"With every unit of h_t at {LEVEL}, your gradients are {mine:.3g} times "
                    f"those at h_t = 0, where tanh's slope is 1; tanh's slope at {LEVEL} is "
                    f"1 - {LEVEL}**2 = {slope:.2f}. Your slope is {what}.")
        return (f"With every unit of h_t at {LEVEL}, your gradients are {mine:.3g} times those at "
                f"h_t = 0; tanh's slope at {LEVEL} is 1 - {LEVEL}**2 = {slope:.2f} (and 1 at 0).")
    return (f"With every unit of h_t at {LEVEL}, your gradients should all be 1 - {LEVEL}**2 = "
            f"{slope:.2f} times those at h_t = 0 (tanh's slope there is 1); yours are not.")


def _dependence_finding(rnn_step_backward, inputs):
    """Which gradients follow h_prev and x_t (with h_t and dh_t fixed): only dW_hh may follow
    h_prev and only dW_xh may follow x_t."""
    names = labels("rnn_step_backward")
    base = _step_probe(rnn_step_backward, inputs)
    for arg, owner, weight in (("h_prev", 3, "W_hh"), ("x_t", 2, "W_xh")):
        moved = _step_probe(rnn_step_backward, inputs, **{arg: -0.7 * inputs[arg] + 0.2})
        changed = [not close(a, b) for a, b in zip(moved, base)]
        if not changed[owner]:
            return (f"{names[owner]} does not change when {arg} changes: the forward pass "
                    f"multiplies {weight} by {arg}, so {names[owner]} pairs da with {arg}.")
        others = [c and i != owner for i, c in enumerate(changed)]
        if arg == "h_prev" and others[1] and not any(others[:1] + others[2:]):
            return ("dh_prev changes when h_prev changes (with h_t and dh_t fixed), but h_prev "
                    "reaches the loss only through W_hh inside this step's tanh, whose slope "
                    "depends on h_t alone: the slope of the step before is applied when that step "
                    "goes backward, not here.")
        if any(others):
            return (f"{_names(names, others)} change{'s' if sum(others) == 1 else ''} when {arg} "
                    f"changes (with h_t and dh_t fixed), but {arg} enters this step only through "
                    f"{weight}: only {names[owner]} depends on it.")
    return None


def _batch_finding(rnn_step_backward, inputs):
    """The weight gradients are sums over the batch: with the other examples' dh_t zero they
    equal the first example's alone."""
    names = labels("rnn_step_backward")
    N = inputs["dh_t"].shape[0]
    if N < 2:
        return None
    alone = _step_probe(rnn_step_backward, inputs, **{k: inputs[k][:1] for k in
                                                       ("dh_t", "x_t", "h_prev", "h_t")})
    dh_t = inputs["dh_t"].copy()
    dh_t[1:] = 0.0
    first_only = _step_probe(rnn_step_backward, inputs, dh_t=dh_t)
    for i in (2, 3, 4):
        if close(first_only[i], alone[i]):
            continue
        c = factor_of(first_only[i], alone[i])
        if c is not None and np.isclose(c, 1 / N):
            return (f"With every example but the first given dh_t = 0, {names[i]} should equal "
                    f"that of the first example alone; yours is 1/{N} of it: it is averaged over "
                    f"the batch. The loss adds up the examples, so the gradients sum over the "
                    "batch.")
        if not np.any(first_only[i]) and np.any(alone[i]):
            return (f"With the last example given dh_t = 0 (and only the first one not), your "
                    f"{names[i]} is zero, although the first example's alone is not: only the "
                    "last example is counted. Sum over the examples (a loop over the batch must "
                    "add, +=, not overwrite).")
        return (f"With every example but the first given dh_t = 0, {names[i]} should equal that "
                f"of the first example alone; yours differs: each example adds its own share.")
    return None


def _step_cause(rnn_step_backward, rnn_step, inputs, b_h, errors):
    """What the probes establish about a step backward that fails the gradient check (the words
    that follow the list of relative errors)."""
    for finding in (_slope_finding, _dependence_finding, _batch_finding):
        found = finding(rnn_step_backward, inputs)
        if found:
            return "\n" + found
    for weight, arg, grad, forward_form, backward_form in (
            ("W_hh", "h_prev", "dh_prev", "h_prev @ W_hh.T", "da @ W_hh"),
            ("W_xh", "x_t", "dx_t", "x_t @ W_xh.T", "da @ W_xh")):
        if errors[arg] < TOLERANCE or inputs[weight].shape[0] != inputs[weight].shape[1]:
            continue
        symmetric = dict(inputs, **{weight: (inputs[weight] + inputs[weight].T) / 2})
        if _numerical_step_errors(rnn_step, rnn_step_backward, symmetric, b_h)[arg] < TOLERANCE:
            return (f"\n{grad} is right only when {weight} is symmetric: a transpose is wrong. In "
                    f"code the forward pass uses {forward_form}, so the gradient flows back as "
                    f"{backward_form}.")
    forward = {"x_t": inputs["x_t"], "h_prev": inputs["h_prev"], "W_xh": inputs["W_xh"],
               "W_hh": inputs["W_hh"].copy(), "b_h": np.array(b_h, dtype=float)}
    f = lambda: rnn_step(*forward.values())  # noqa: E731
    base = dict(zip(STEP_ARGS, call(rnn_step_backward, "rnn_step_backward", inputs)))
    wrong = [arg for arg in STEP_ARGS if not errors[arg] < TOLERANCE]
    if "W_hh" in wrong:
        numerical = numerical_gradient(f, forward["W_hh"], inputs["dh_t"])
        mine = np.asarray(base["W_hh"], dtype=float)
        if mine.shape == numerical.shape and relative_error(mine.T, numerical) < TOLERANCE:
            return ("\ndW_hh is transposed: it is da.T @ h_prev (rows: the units of h_t, like "
                    "the rows of W_hh).")
    return (_scaled(f, forward, base, inputs["dh_t"], wrong, {})
            or _nudges(f, forward, base, inputs["dh_t"], wrong))


def _explain_step_error(rnn_step_backward, rnn_step, inputs, b_h, failure):
    """rnn_step_backward raised on the recorded shapes: if it runs once D = H, say so and what
    the probes show there."""
    error = failure.__cause__
    (N, D), H = inputs["x_t"].shape, inputs["h_t"].shape[1]
    if not isinstance(error, ValueError) or D == H:
        return
    rng = np.random.default_rng(13)
    square = dict(inputs, x_t=rng.normal(size=(N, H)), W_xh=rng.normal(0.0, 0.5, size=(H, H)))
    square["h_t"] = np.asarray(rnn_step(square["x_t"], square["h_prev"], square["W_xh"],
                                        square["W_hh"], b_h), dtype=float)
    try:
        errors = _numerical_step_errors(rnn_step, rnn_step_backward, square, b_h)
        cause = _step_cause(rnn_step_backward, rnn_step, square, b_h, errors) \
            if any(not e < TOLERANCE for e in errors.values()) else ""
    except CheckFailure:
        return
    raise _shape_clash("rnn_step_backward", inputs, H, "x_t, dx_t, W_xh", "the states, dh_t, W_hh",
                       cause.strip()) from error


def _shape_clash(name, inputs, H, sized_D, sized_H, finding):
    """The failure of a function that raises ValueError on the recorded shapes and runs once
    D = H, with what the probes found there (if anything)."""
    shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in inputs.items())
    more = f" With those shapes: {finding}" if finding else ""
    return CheckFailure(f"{name} raised ValueError with {shapes}. The shapes do not line up: it "
                        f"runs once D = H ({H} each), so an array sized D ({sized_D}) meets one "
                        f"sized H ({sized_H}).{more}")


def check_rnn_step_backward(rnn_step_backward, rnn_step):
    """Visible test of rnn_step_backward (N=2, D=3, H=4): shapes, the gradient check against
    central differences of rnn_step, and the recorded values."""
    inputs, expected = case("bptt", "rnn_step_backward")
    b_h = context("bptt", "rnn_step_backward")["b_h"]
    (N, D), H = inputs["x_t"].shape, inputs["h_t"].shape[1]
    hints = _shape_hints(N, D, H)
    shapes = [e.shape for e in expected]
    try:
        result = call(rnn_step_backward, "rnn_step_backward", inputs)
    except CheckFailure as failure:
        _explain_step_error(rnn_step_backward, rnn_step, inputs, b_h, failure)
        raise
    got = _five(result, "rnn_step_backward", shapes, hints)
    errors = _numerical_step_errors(rnn_step, rnn_step_backward, inputs, b_h)
    if any(not e < TOLERANCE for e in errors.values()):
        raise _report("rnn_step_backward", errors,
                      _step_cause(rnn_step_backward, rnn_step, inputs, b_h, errors))
    _same_as_recorded("rnn_step_backward", got, expected)
    passed("rnn_step_backward")


def _same_as_recorded(name, got, expected):
    for label, g, e in zip(labels(name), got, expected):
        if not close(g, e):
            raise CheckFailure(
                f"{name} passes the gradient check but {label} differs from the recorded answer "
                f"(largest difference {np.max(np.abs(g - e)):.3g}): compute in float64 and "
                "follow the formulas exactly.")


# ------------------------------------------------------------------------------- rnn_backward

def _sequence_errors(rnn_forward, backward, inputs, b_h):
    """{gradient: relative error} of a sequence backward against central differences of
    rnn_forward with the loss L = sum(hs * dhs)."""
    forward = {"x": inputs["x"], "h0": inputs["h0"], "W_xh": inputs["W_xh"],
               "W_hh": inputs["W_hh"], "b_h": np.array(b_h, dtype=np.float64)}
    f = lambda: rnn_forward(*forward.values())  # noqa: E731
    grads = backward(inputs)
    return gradient_errors(f, forward, dict(zip(SEQUENCE_ARGS, grads)), inputs["dhs"])


def _last_step_only(inputs):
    return _one_step_only(inputs, inputs["dhs"].shape[0] - 1)


def _one_step_only(inputs, s):
    """The inputs with a loss on step s+1 alone (dhs zero at every other step)."""
    dhs = np.zeros_like(inputs["dhs"])
    dhs[s] = inputs["dhs"][s]
    return dict(inputs, dhs=dhs)


def _reach_finding(run, inputs):
    """What losses on one step at a time show about the order and the reach of the gradient.
    `run(args)` gives the learner's five gradients. Steps are counted 1..T as in the lesson."""
    T = inputs["x"].shape[0]
    single = [run(_one_step_only(inputs, s)) for s in range(T)]
    silent = [s for s in range(T) if not any(np.any(g) for g in single[s])]
    steps = ", ".join(str(s + 1) for s in silent)
    reach = [[t for t in range(T) if np.any(single[s][0][t])] for s in range(T)]
    if T > 1 and all(0 not in r for r in reach) and any(reach):
        return ("dx at step 1 is zero whatever the loss: step 1 is never processed (the loop "
                "stops before it).")
    if len(silent) == T:
        return ("With a loss on one step alone, every gradient is zero: dhs[t-1], the gradient on "
                "h_t from step t's own output, never enters the total gradient on h_t.")
    if silent == [T - 1]:
        return (f"A loss on the last step alone gives no gradient at all (losses on earlier steps "
                f"do): step T = {T} is never processed. Go through every step, t = T down to 1.")
    if silent == list(range(T - 1)):
        return (f"Losses on steps 1..{T - 1} give no gradient at all, only a loss on step T does: "
                "each step adds its own dhs[t-1] to the gradient carried back from step t+1.")
    if silent:
        return (f"Losses on step(s) {steps} alone give no gradient at all: each step's own "
                "dhs[t-1] enters the total gradient on its h_t.")
    if not any(reach) and any(np.any(g) for g in single[-1][2:]):
        return ("dx is zero whatever the loss, though the weight gradients are not: store each "
                "step's gradient on its input, dx[t-1] for step t.")
    late = [(s, t) for s, r in enumerate(reach) for t in r if t > s]
    if late:
        if T > 1 and all(max(reach[s], default=-1) == s + 1 for s in range(T - 1)):
            return ("A loss on h_t alone (dhs[t-1]) changes dx at step t+1, one step after it, "
                    "and at the steps before: it enters one step too late. dhs[t-1] belongs to "
                    "h_t, the output of step t, whose input is x[t-1].")
        if all(min(reach[s], default=s) == s for s in range(1, T)):
            s, t = late[-1]
            return (f"A loss on step {s + 1} alone changes dx at step {t + 1}, after it, and at "
                    f"no step before it: the gradient is carried forward in time. The loss at step "
                    f"{s + 1} depends on steps 1..{s + 1}, so its gradient flows back, from step "
                    "t to step t-1: go through the steps from t = T down to 1.")
        s, t = late[0]
        return (f"A loss on step {s + 1} alone changes dx at step {t + 1}, after it: a loss can "
                "only depend on the steps up to its own.")
    if T > 1 and all(r == [s] for s, r in enumerate(reach)):
        return ("With a loss on one step alone, no gradient reaches the earlier steps: the "
                "gradient carried back from step t+1 is missing. The total gradient on h_t is "
                "dhs[t-1] plus the dh_prev of step t+1.")
    if close(single[0][1], inputs["dhs"][0]) and T > 1:
        return ("dh0 equals dhs[0], the gradient on h_1 from step 1's own output: dh0 is the "
                "gradient on h0, the one that flows out of step 1 (its dh_prev).")
    if not np.any(single[-1][1]) and np.any(single[-1][0][0]):
        return ("dh0 is zero with a loss on the last step alone, although that loss reaches dx at "
                "step 1: return the gradient that flows out of the first step (its dh_prev), the "
                "gradient on the initial state.")
    quiet = run(dict(_last_step_only(inputs), W_hh=np.zeros_like(inputs["W_hh"])))
    if T > 1 and (np.any(quiet[0][:T - 1]) or np.any(quiet[1])):
        return ("With W_hh = 0 nothing can pass from h_t back to h_{t-1}, but with a loss on the "
                "last step alone yours still sends gradient to earlier steps: the gradient "
                "carried back is the dh_prev of rnn_step_backward (the only path from h_t to "
                "h_{t-1} runs through W_hh).")
    return None


def _state_finding(run, inputs):
    """With W_hh = 0 no gradient is carried between steps, so the weight gradients of a loss on
    one step depend on that step's states alone: h_prev (h0 at step 1) and its own output."""
    T = inputs["x"].shape[0]
    h0, hs = inputs["h0"], inputs["hs"]
    quiet = dict(inputs, W_hh=np.zeros_like(inputs["W_hh"]))

    def probe(s, **changes):
        return run(dict(_one_step_only(quiet, s), **changes))

    def moved(which):
        states = hs.copy()
        states[which] = -0.5 * states[which] + 0.2
        return states

    first = probe(0)
    if T > 1 and not close(probe(0, hs=moved(T - 1))[3], first[3]):
        return ("With a loss on step 1 alone (and W_hh = 0, so nothing is carried), dW_hh "
                "changes when h_T = hs[T-1] changes, but step 1 multiplies W_hh by h0: at the "
                "first step h_prev is h0 (hs[t-1] with t = 0 is hs[-1], the *last* state).")
    if close(probe(0, h0=-0.5 * h0 + 0.2)[3], first[3]):
        return ("With a loss on step 1 alone (and W_hh = 0), dW_hh does not change when h0 "
                "changes, but step 1 multiplies W_hh by h0: h_prev of step 1 is h0.")
    if T > 1:
        last = probe(T - 1)
        if not close(probe(T - 1, h0=-0.5 * h0 + 0.2)[3], last[3]):
            return (f"With a loss on step T = {T} alone (and W_hh = 0, so nothing is carried), "
                    f"dW_hh changes when h0 changes: step T multiplies W_hh by h_{T - 1} = "
                    f"hs[{T - 2}], so that is its h_prev, not h0 (h0 is the h_prev of step 1 "
                    "only).")
        if close(probe(T - 1, hs=moved(T - 2))[3], last[3]):
            own = not close(probe(T - 1, hs=moved(T - 1))[3], last[3])
            return (f"With a loss on step T = {T} alone (and W_hh = 0), dW_hh does not change "
                    f"when h_{T - 1} = hs[{T - 2}] changes"
                    + (f", but it does when h_T = hs[{T - 1}] changes" if own else "")
                    + f": step T multiplies W_hh by h_{T - 1}, its h_prev (step t gets h_prev = "
                      "hs[t-2], h0 at the first step).")
        if close(probe(T - 1, hs=moved(T - 1))[0][T - 1], last[0][T - 1]):
            return (f"With a loss on step T = {T} alone (and W_hh = 0), dx at step T does not "
                    f"change when h_T = hs[{T - 1}] changes: the step backward of step t needs "
                    "h_t = hs[t-1], the state that step produced, for tanh's slope.")
    return None


def _diagnose_backward(rnn_backward, rnn_forward, inputs, b_h, errors):
    """Raise the most specific failure for a full BPTT that fails the gradient check."""
    run = lambda args: _arrays(call(rnn_backward, "rnn_backward", args))  # noqa: E731
    T = inputs["x"].shape[0]
    found = _reach_finding(run, inputs)
    if found:
        raise _report("rnn_backward", errors, "\n" + found)
    dx, dh0, dW_xh, dW_hh, db_h = run(inputs)
    changed_x = dict(inputs, x=np.concatenate([inputs["x"][:1], inputs["x"][1:] + 0.5]))
    if T > 1 and close(run(changed_x)[2], dW_xh):
        raise _report("rnn_backward", errors,
                      "\ndW_xh ignores every input but x[0]: W_xh is used at every step, so its "
                      "gradient is a sum over all steps. Accumulate (dW_xh += ...) instead of "
                      "overwriting, and the same for dW_hh and db_h.")
    found = _state_finding(run, inputs)
    if found:
        raise _report("rnn_backward", errors, "\n" + found)
    forward = {"x": inputs["x"], "h0": inputs["h0"], "W_xh": inputs["W_xh"],
               "W_hh": inputs["W_hh"].copy(), "b_h": np.array(b_h, dtype=np.float64)}
    f = lambda: rnn_forward(*forward.values())  # noqa: E731
    analytic = dict(zip(SEQUENCE_ARGS, (dx, dh0, dW_xh, dW_hh, db_h)))
    wrong = [arg for arg in SEQUENCE_ARGS if not errors[arg] < TOLERANCE]
    found = _scaled(f, forward, analytic, inputs["dhs"], wrong, {1 / T: (
        f"1/T = 1/{T} times the gradient: averaged over the steps. The weights are used at "
        "every step, and the loss adds up the contributions of all steps: sum them.")})
    if found:
        raise _report("rnn_backward", errors, found)
    raise _report("rnn_backward", errors, _nudges(f, forward, analytic, inputs["dhs"], wrong))


def _explain_backward_error(rnn_backward, inputs, failure):
    """rnn_backward raised on the recorded shapes (with an rnn_step_backward that passes its own
    test): if it runs once D = H, say so and what the probes show there."""
    error = failure.__cause__
    T, N, D = inputs["x"].shape
    H = inputs["h0"].shape[1]
    if not isinstance(error, ValueError) or D == H:
        return
    rng = np.random.default_rng(12)
    square = dict(inputs, x=rng.normal(size=(T, N, H)), W_xh=rng.normal(0.0, 0.5, size=(H, H)))
    run = lambda args: _arrays(call(rnn_backward, "rnn_backward", args))  # noqa: E731
    try:
        run(square)
        finding = _reach_finding(run, square) or _state_finding(run, square)
    except CheckFailure:
        return
    raise _shape_clash("rnn_backward", inputs, H, "x, dx, W_xh", "the states, dh_prev, dh0",
                       finding) from error


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
    try:
        result = call(rnn_backward, "rnn_backward", inputs)
    except CheckFailure as failure:
        _explain_backward_error(rnn_backward, inputs, failure)
        raise
    got = _five(result, "rnn_backward", [e.shape for e in expected], hints)
    errors = _sequence_errors(rnn_forward, lambda a: call(rnn_backward, "rnn_backward", a),
                              inputs, b_h)
    if any(not e < TOLERANCE for e in errors.values()):
        _diagnose_backward(rnn_backward, rnn_forward, inputs, b_h, errors)
    _same_as_recorded("rnn_backward", got, expected)
    passed("rnn_backward")


# --------------------------------------------------------------------- rnn_backward_truncated

def _diagnose_truncated(truncated, rnn_backward, inputs, k):
    """Raise the most specific failure for a truncated BPTT that differs from the recorded one."""
    T = inputs["x"].shape[0]
    run = lambda args, k: _arrays(call(truncated, "rnn_backward_truncated",  # noqa: E731
                                       dict(args, k=k)))
    full = _arrays(call(rnn_backward, "rnn_backward", inputs))
    if all(close(a, b) for a, b in zip(run(inputs, k), full)):
        raise CheckFailure(f"rnn_backward_truncated with k = {k} < T = {T} gives the full BPTT "
                           "gradients: k is ignored. Stop the carried gradient at every window "
                           "boundary.")
    early = run(_one_step_only(inputs, 0), T)[0]
    if np.any(early[1:]):
        raise CheckFailure(
            f"With a loss on step 1 alone and k = T = {T} (one window), gradient reached dx at "
            "later steps: the gradient is carried forward in time. A loss depends on the steps up "
            "to its own, so its gradient flows back, from step t to step t-1.")
    # Probe with a window that leaves at least two steps in the last window.
    probe = k if (T - 1) % k else max(2, min(T - 1, k + 1))
    late = run(_last_step_only(inputs), probe)
    dx = late[0]
    last_window = (T - 1) // probe * probe   # 0-based index of the first step of the last window
    window = f"steps {last_window + 1}..{T}"
    if not np.any(dx[T - 1]):
        raise CheckFailure(
            f"With a loss on the last step only and k = {probe}, even dx at step T = {T} is zero: "
            f"the last window ({window}, which may be shorter than k) is never processed.")
    if np.any(dx[:last_window] != 0):
        raise CheckFailure(
            f"With a loss on the last step only and k = {probe}, gradient reached a step before "
            f"the last window ({window}): windows are counted from the start, "
            "t = 1..k, k+1..2k, ..., and no gradient crosses a window boundary.")
    if np.all(dx[last_window] == 0):
        raise CheckFailure(
            f"With a loss on the last step only and k = {probe}, no gradient reaches step "
            f"{last_window + 1}, the first of the last window ({window}): "
            "within a window the gradient is carried back as in full BPTT, and the window "
            "boundaries lie after steps k, 2k, ... only.")
    if last_window > 0 and np.any(late[1]):
        raise CheckFailure(
            f"With a loss on the last step only and k = {probe}, dh0 is not zero, although no "
            f"gradient crosses a window boundary: dh0 comes from the first window (steps "
            f"1..{probe}) alone.")
    dh0 = run(inputs, k)[1]
    if np.all(dh0 == 0):
        raise CheckFailure("dh0 is zero: it is the gradient that the first window sends into h0 "
                           "(the dh_prev of step 1), which truncation keeps.")
    if T > k:
        quiet = dict(_one_step_only(inputs, k), W_hh=np.zeros_like(inputs["W_hh"]))
        moved = run(dict(quiet, h0=-0.5 * inputs["h0"] + 0.2), k)[3]
        if not close(moved, run(quiet, k)[3]):
            raise CheckFailure(
                f"With a loss on step {k + 1} alone (the first of the second window; W_hh = 0, "
                f"so nothing is carried), dW_hh changes when h0 changes: step {k + 1} multiplies "
                f"W_hh by h_{k} = hs[{k - 1}], the state the first window ended with. A window "
                "cuts the gradient, not the states.")
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
