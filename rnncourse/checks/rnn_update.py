"""Visible checks of lesson 01: rnn_step and rnn_forward against recorded values, with diagnoses
of the usual slips. The diagnoses probe the learner's own function on inputs whose answer is
obvious (zero inputs, zero weights, an identity matrix, the batch in reverse order) and watch what
rnn_forward hands to the learner's rnn_step; no answer is computed here."""
import contextlib
import inspect

import numpy as np

from ..grading import swapped_globals
from ..recorded import case
from .common import CheckFailure, call, close, expect_array, mismatch, passed, reproduces

STEP_ARGS = ("x_t", "h_prev", "W_xh", "W_hh", "b_h")
UPDATE = "The update is h_t = tanh(x_t W_xh^T + h_prev W_hh^T + b_h)."


def _step_shape_hints(N, H):
    return {(H, N): "You returned (H, N): that is the column-vector form `W_xh @ x_t.T`. In code "
                    "each row is one example, so compute `x_t @ W_xh.T` and get (N, H)."}


def _probe_inputs(N, D, H):
    """Inputs of the given shapes for probes: a bias with negative and positive entries."""
    rng = np.random.default_rng(11)
    return {"x_t": rng.normal(size=(N, D)), "h_prev": rng.uniform(-0.9, 0.9, size=(N, H)),
            "W_xh": rng.normal(0.0, 0.6, size=(H, D)), "W_hh": rng.normal(0.0, 0.6, size=(H, H)),
            "b_h": np.linspace(-0.9, 0.9, H)}


def _run(rnn_step, inputs, **changes):
    return np.asarray(call(rnn_step, "rnn_step", dict(inputs, **changes)), dtype=float)


def _show(values):
    with np.printoptions(precision=3, suppress=True):
        return str(np.round(values, 3)).replace("\n", "")


def _bias_finding(rnn_step, inputs, got):
    """What the learner's h_t with x_t = 0 and h_prev = 0 (got) says, or None if it is tanh(b_h)."""
    b = inputs["b_h"]
    N, H = got.shape
    row = lambda v: np.broadcast_to(v, (N, H))  # noqa: E731
    if close(got, row(np.tanh(b))):
        return None
    start = "With x_t = 0 and h_prev = 0, h_t should be tanh(b_h) in every row"
    if close(got, row(b)):
        x_t = inputs["x_t"]
        no_bias = dict(inputs, h_prev=np.zeros_like(inputs["h_prev"]), b_h=np.zeros_like(b))
        once, twice = _run(rnn_step, no_bias), _run(rnn_step, no_bias, x_t=2 * x_t)
        if close(twice, 2 * once):
            return (f"{start}, but yours is b_h itself, and doubling x_t doubles your h_t: "
                    f"h_t is linear, is tanh missing? {UPDATE}")
        return (f"{start}, but yours is b_h itself: b_h is added after tanh; it belongs inside, "
                "with the other terms.")
    if close(got, row(np.tanh(-b))):
        return f"{start}; yours is tanh(-b_h): the bias enters with a minus sign."
    if np.any(b < 0) and close(got, row(np.maximum(b, 0))):
        return (f"{start}; yours is 0 wherever b_h < 0 and b_h elsewhere: that is ReLU, max(0, a). "
                "tanh(a) is negative for a < 0 and stays inside (-1, 1).")
    if close(got, row(1 - np.tanh(b) ** 2)):
        return (f"{start}; yours is 1 - tanh(b_h)**2, the derivative of tanh, not tanh itself.")
    if close(got, row(np.tanh(np.tanh(b)))):
        return f"{start}; yours is tanh(tanh(b_h)): tanh is applied twice."
    if N == H and close(got, np.broadcast_to(np.tanh(b)[:, None], (N, H))):
        return (f"{start}; in yours, row n holds tanh(b_h[n]) in every unit: the bias runs down "
                "the batch axis (a column of shape (H, 1)). b_h has shape (H,), one entry per "
                "unit, and is added to every row as it is.")
    return f"{start} = {_show(np.tanh(b))}; yours is {_show(got)}."


def _step_findings(rnn_step, inputs):
    """The most specific thing the probes establish about a wrong rnn_step, or None."""
    x_t, h_prev, W_xh, W_hh, b_h = (inputs[k] for k in STEP_ARGS)
    (N, D), H = x_t.shape, b_h.shape[0]
    got = _run(rnn_step, inputs)
    if got.shape != (N, H):
        return None
    for arg in ("b_h", "h_prev", "x_t"):
        if close(_run(rnn_step, inputs, **{arg: inputs[arg] + 0.5}), got):
            return (f"h_t does not change when `{arg}` changes: is `{arg}` missing from the sum "
                    "inside tanh?")
    zero_x, zero_h, zero_b = np.zeros_like(x_t), np.zeros_like(h_prev), np.zeros_like(b_h)
    nothing = _run(rnn_step, inputs, x_t=zero_x, h_prev=zero_h, b_h=zero_b)
    if close(nothing, np.full((N, H), 0.5)):
        return ("With x_t, h_prev and b_h all zero, h_t should be tanh(0) = 0; yours is 0.5, the "
                "value of the sigmoid at 0: tanh belongs here (sigmoid or ReLU give no negative "
                "values; tanh's range is (-1, 1)).")
    bias = _bias_finding(rnn_step, inputs, _run(rnn_step, inputs, x_t=zero_x, h_prev=zero_h))
    if bias:
        return bias
    no_weights = _run(rnn_step, inputs, W_xh=np.zeros_like(W_xh), W_hh=np.zeros_like(W_hh),
                      b_h=zero_b)
    if not close(no_weights, np.zeros((N, H))):
        if close(no_weights, h_prev):
            return ("With every weight and b_h zero, h_t should be tanh(0) = 0 whatever h_prev "
                    "is; yours equals h_prev: h_prev is added to the result. h_prev reaches h_t "
                    "only through W_hh, inside tanh.")
        return ("With every weight and b_h zero, h_t should be tanh(0) = 0 whatever x_t and "
                f"h_prev are; yours is {_show(no_weights)}: the inputs reach h_t only through "
                "W_xh and W_hh.")
    for weight, arg in (("W_xh", "x_t"), ("W_hh", "h_prev")):
        silent = dict(inputs, **{weight: np.zeros_like(inputs[weight])})
        if not close(_run(rnn_step, silent, **{arg: inputs[arg] + 0.5}), _run(rnn_step, silent)):
            return (f"With {weight} = 0, h_t still changes when `{arg}` changes: `{arg}` must "
                    f"reach h_t through {weight} alone. Check which weights multiply `{arg}` "
                    "(and the order of any concatenation).")
    rows = _run(rnn_step, inputs, x_t=np.zeros((H, D)), h_prev=np.eye(H), b_h=zero_b)
    if rows.shape == (H, H) and close(rows, np.tanh(W_hh)) and not close(rows, np.tanh(W_hh.T)):
        return ("The recurrent weights are applied the wrong way round: with the batch stacked "
                "as rows, W_hh h_{t-1} becomes `h_prev @ W_hh.T` (you used `h_prev @ W_hh`).")
    rows = _run(rnn_step, inputs, x_t=np.eye(D), h_prev=np.zeros((D, H)), b_h=zero_b)
    if D == H and rows.shape == (D, H) and close(rows, np.tanh(W_xh)) \
            and not close(rows, np.tanh(W_xh.T)):
        return ("The input weights are applied the wrong way round: with the batch stacked as "
                "rows, W_xh x_t becomes `x_t @ W_xh.T` (like x @ W.T for any weight W).")
    no_bias = dict(inputs, b_h=zero_b)
    both = _run(rnn_step, no_bias)
    parts = _run(rnn_step, no_bias, h_prev=zero_h) + _run(rnn_step, no_bias, x_t=zero_x)
    if close(both, parts):
        return ("Your h_t(x_t, h_prev) equals h_t(x_t, 0) + h_t(0, h_prev) exactly (with b_h = "
                "0), as if each term had a tanh of its own: tanh applies once, to the whole sum. "
                + UPDATE)
    flipped = _run(rnn_step, inputs, x_t=x_t[::-1], h_prev=h_prev[::-1])
    if N > 1 and not close(flipped, got[::-1]):
        alike = close(got, np.broadcast_to(got[0], got.shape))
        same = " (every row of yours is the same)" if alike else ""
        return ("Reversing the order of the examples in the batch should only reverse the rows "
                f"of h_t, but yours changes otherwise{same}: each row of h_t comes from the same "
                "row of x_t and h_prev alone, computed the same way for every row.")
    return None


def _explain_step_error(rnn_step, inputs, failure):
    """rnn_step raised on the recorded shapes: try shapes where sizes coincide, and say what that
    shows. Raises the better failure, or returns if there is nothing more to say."""
    error = failure.__cause__
    if not isinstance(error, (ValueError, IndexError)):
        return
    (N, D), H = inputs["x_t"].shape, inputs["b_h"].shape[0]
    shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in inputs.items())
    tries = [((N, H, H), "D = H", "an array sized D (x_t, the columns of W_xh) meets one sized H "
                                  "(h_prev, W_hh, b_h): x_t goes with W_xh and h_prev with W_hh"),
             ((H, H, H), "N = D = H", "the batch axis (one row per example) meets an axis of "
                                      "units: each row of x_t and h_prev is one example, the "
                                      "weights act on every row from the right (x @ W.T), and "
                                      "b_h (H,) is added to every row as it is")]
    for (n, d, h), which, meaning in tries:
        if (n, d, h) == (N, D, H):
            continue
        probe = _probe_inputs(n, d, h)
        try:
            result = call(rnn_step, "rnn_step", probe)
            finding = _step_findings(rnn_step, probe)
        except CheckFailure:
            continue
        if np.shape(result) != (n, h):
            continue
        more = f" With those shapes: {finding}" if finding else ""
        raise CheckFailure(f"rnn_step raised {type(error).__name__} with {shapes}. The shapes do "
                           f"not line up: it runs once {which} ({h} each), so {meaning}.{more}"
                           ) from error


def check_rnn_step(rnn_step):
    """Visible test of rnn_step on a recorded case (N=2, D=3, H=4)."""
    inputs, expected = case("rnn_update", "rnn_step")
    N, H = expected.shape
    try:
        result = call(rnn_step, "rnn_step", inputs)
    except CheckFailure as failure:
        _explain_step_error(rnn_step, inputs, failure)
        raise
    got = expect_array(result, (N, H), "rnn_step", _step_shape_hints(N, H))
    if not close(got, expected):
        finding = _step_findings(rnn_step, inputs)
        if finding:
            raise CheckFailure(finding)
        if np.any(np.abs(got) > 1):
            raise CheckFailure(f"h_t has values outside [-1, 1]: is tanh missing? {UPDATE}")
        raise mismatch("rnn_step", got, expected)
    passed("rnn_step")


# ------------------------------------------------------------------------------ rnn_forward

def _step(rnn_step, x_t, h_prev, inputs):
    """The learner's rnn_step on one step, with the lesson's weights."""
    args = {"x_t": x_t, "h_prev": h_prev, "W_xh": inputs["W_xh"], "W_hh": inputs["W_hh"],
            "b_h": inputs["b_h"]}
    return np.asarray(call(rnn_step, "rnn_step", args), dtype=float)


def _consistent(rnn_step, got, xs, first_state, inputs):
    """Is every got[t] what rnn_step gives from xs[t] and the state before it (first_state at t=0)?"""
    previous = first_state
    for x_t, h_t in zip(xs, got):
        if not close(h_t, _step(rnn_step, x_t, previous, inputs)):
            return False
        previous = h_t
    return True


@contextlib.contextmanager
def _watching(rnn_forward, rnn_step):
    """While inside, rnn_forward's calls of `rnn_step` (by that name, as a notebook's function
    calls another) are recorded: [{"args": {name: copy} or None, "result": copy}]."""
    calls = []
    try:
        signature = inspect.signature(rnn_step)
    except (TypeError, ValueError):
        signature = None

    def watched(*args, **kwargs):
        record = {"args": None}
        try:
            bound = signature.bind(*args, **kwargs).arguments.values()
            record["args"] = {name: np.array(value) if isinstance(value, np.ndarray) else value
                              for name, value in zip(STEP_ARGS, bound)}
        except (AttributeError, TypeError):
            pass
        calls.append(record)
        result = rnn_step(*args, **kwargs)
        record["result"] = np.array(result) if isinstance(result, np.ndarray) else result
        return result

    with swapped_globals(rnn_forward, {"rnn_step": watched}):
        yield calls


def _same(a, b):
    return isinstance(a, np.ndarray) and a.shape == np.shape(b) and np.array_equal(a, b)


def _which_input(a, x):
    for s in range(len(x)):
        if _same(a, x[s]):
            return s
    return None


def _argument_problem(calls, inputs):
    """What the arguments of rnn_forward's calls of rnn_step show to be wrong, or None."""
    x, h0 = inputs["x"], inputs["h0"]
    T, N, D = x.shape
    H = h0.shape[1]
    want = f"rnn_step(x_t, h_prev, W_xh, W_hh, b_h) takes x_t = x[t-1] (N, D) = {(N, D)} first"
    for k, record in enumerate(calls):
        args = record["args"]
        if args is None:
            return None
        x_t, h_prev = args["x_t"], args["h_prev"]
        step = f"call {k + 1} of rnn_step"
        if _same(args["W_xh"], inputs["W_hh"]) and _same(args["W_hh"], inputs["W_xh"]):
            return (f"rnn_forward passes W_hh where rnn_step takes W_xh and W_xh where it takes "
                    f"W_hh: keep the order of the arguments, {want}.")
        if np.shape(x_t) == (N, H) and np.shape(h_prev) == (N, D) and D != H:
            return (f"rnn_forward passes the state first and the input second (x_t of shape "
                    f"{np.shape(x_t)}, h_prev of shape {np.shape(h_prev)}): {want}, then h_prev "
                    f"(N, H) = {(N, H)}.")
        if _same(x_t, x):
            return (f"rnn_forward passes the whole sequence x {x.shape} to rnn_step: each step "
                    f"gets its own input, {want}.")
        for n in range(N):
            if _same(x_t, x[:, n]):
                return (f"{step} got x[:, {n}], the whole sequence of example {n}: x is "
                        f"time-major, (T, N, D), so the inputs of step t are x[t-1], the batch at "
                        f"that step; {want}.")
        if np.shape(x_t) != (N, D) or np.shape(h_prev) != (N, H):
            return (f"{step} got x_t of shape {np.shape(x_t)} and h_prev of shape "
                    f"{np.shape(h_prev)}: {want}, then h_prev (N, H) = {(N, H)}.")
        for name in ("W_xh", "W_hh", "b_h"):
            if not _same(args[name], inputs[name]):
                return (f"{step} got a different {name} from the one rnn_forward was given: pass "
                        "the weights on unchanged.")
    return None


def _call_problem(calls, inputs):
    """What rnn_forward's calls of rnn_step show to be wrong, or None if they are right."""
    problem = _argument_problem(calls, inputs)
    if problem or any(record["args"] is None for record in calls):
        return problem
    x, h0 = inputs["x"], inputs["h0"]
    T, N, D = x.shape
    order = [_which_input(record["args"]["x_t"], x) for record in calls]
    read = ", ".join("x[?]" if s is None else f"x[{s}]" for s in order)
    if len(calls) != T or order != list(range(T)):
        if order == list(range(T))[::-1]:
            return "Time runs backwards: the RNN reads x[0] first, then x[1], ..."
        count = ""
        if len(calls) != T:
            count = (f"rnn_forward calls rnn_step {len(calls)} times, but x has T = {T} steps "
                     f"(x is time-major, (T, N, D)"
                     + (f"; {len(calls)} is N, the batch size" if len(calls) == N else "") + "). ")
        wrap = (" (x[t - 1] with t = 0 is x[-1], the *last* input)"
                if T > 1 and order[:1] == [T - 1] and order[1:] == list(range(T - 1)) else "")
        return (f"{count}In order, rnn_step got {read}{wrap}; it should get x[0], x[1], ..., "
                f"x[{T - 1}], each input once.")
    if _same(calls[0]["args"]["h_prev"], np.zeros_like(h0)):
        return ("rnn_forward ignores h0: the first state must be hs[0] = rnn_step(x[0], h0, ...), "
                "not a step from zeros.")
    if not _same(calls[0]["args"]["h_prev"], h0):
        return "The first step must start from h0: hs[0] = rnn_step(x[0], h0, ...)."
    for k in range(1, T):
        h_prev, before = calls[k]["args"]["h_prev"], calls[k - 1].get("result")
        if _same(h_prev, before):
            continue
        if all(_same(record["args"]["h_prev"], h0) for record in calls):
            return ("The hidden state is not carried through time: every step starts from h0. "
                    "Pass the state you just computed as h_prev of the next step.")
        if _same(h_prev, np.zeros_like(h0)):
            return (f"Call {k + 1} of rnn_step starts from zeros: each step must start from the "
                    "state computed just before it (the result of the call before).")
        return (f"Call {k + 1} of rnn_step does not start from the state that call {k} returned: "
                "each step starts from the state computed just before it.")
    return None


def _storage_problem(calls, got, inputs):
    """rnn_step was called right; say how hs differs from the states it returned."""
    states = [record["result"] for record in calls]
    T = len(states)
    if T > 1 and all(close(g, states[-1]) for g in got):
        return (f"rnn_step returned {T} different states, but every entry of hs is the last one: "
                "hs holds the same array T times. An array written in place after it was stored "
                "(`h[:] = ...`) changes every entry that refers to it; store a new array per step.")
    if all(close(g, s) for g, s in zip(got, states[::-1])):
        return "The states are stored in reverse order: hs[t-1] must be h_t, for t = 1..T."
    if close(got[0], inputs["h0"]):
        return ("hs[0] is h0, but hs starts with h_1 = rnn_step(x[0], h0, ...) and ends with h_T: "
                "h0 is not part of hs.")
    empty = [t for t, g in enumerate(got) if np.all(g == 0)]
    if empty:
        return (f"hs[{empty[0]}] is all zeros: the state of step {empty[0] + 1} (the result of "
                f"call {empty[0] + 1} of rnn_step) was never stored there.")
    return ("rnn_step returned the right states, but hs does not hold them in order: hs[t-1] must "
            "be the result of the t-th step.")


def _diagnose_forward(rnn_step, inputs, got, expected):
    """Raise the most specific failure for a wrong rnn_forward result that does not call
    rnn_step (rnn_step is right)."""
    x, h0 = inputs["x"], inputs["h0"]
    if close(got[0], h0):
        raise CheckFailure("hs[0] is h0, but hs starts with h_1 = rnn_step(x[0], h0, ...) and ends "
                           "with h_T: h0 is not part of hs.")
    if _consistent(rnn_step, got, x, np.zeros_like(h0), inputs):
        raise CheckFailure("rnn_forward ignores h0: the first state must be "
                           "hs[0] = rnn_step(x[0], h0, ...), not a step from zeros.")
    if all(close(h_t, _step(rnn_step, x_t, h0, inputs)) for x_t, h_t in zip(x, got)):
        raise CheckFailure("The hidden state is not carried through time: every step starts from "
                           "h0. Pass the state you just computed as h_prev of the next step.")
    if _consistent(rnn_step, got[::-1], x, h0, inputs):
        raise CheckFailure("The states are stored in reverse order: hs[t-1] must be h_t, "
                           "for t = 1..T.")
    if _consistent(rnn_step, got, x[::-1], h0, inputs):
        raise CheckFailure("Time runs backwards: the RNN reads x[0] first, then x[1], ...")
    if _consistent(rnn_step, got, np.roll(x, 1, axis=0), h0, inputs):
        raise CheckFailure("Step t reads the input of the step before: hs[0] comes from x[-1], "
                           "the *last* input. Step 1 reads x[0], step t reads x[t-1].")
    if close(got[0], _step(rnn_step, x[0], h0, inputs)):
        raise CheckFailure("hs[0] is right but later states are not: each step must start from "
                           "the state computed just before it, with the input of its own step.")
    raise mismatch("rnn_forward", got, expected)


def check_rnn_forward(rnn_forward, rnn_step):
    """Visible test of rnn_forward on a recorded case (T=4, N=2, D=3, H=4, h0 not zero).

    rnn_forward is judged on its own: until rnn_step passes its test, rnn_forward's values are
    not held against it here (the grader checks rnn_forward with a correct step).
    """
    inputs, expected = case("rnn_update", "rnn_forward")
    T, N, H = expected.shape
    D = inputs["x"].shape[2]
    if not reproduces(rnn_step, "rnn_update", "rnn_step"):
        print("rnn_forward is checked once rnn_step passes its test: fix rnn_step first, then "
              "run this cell again.")
        return
    with _watching(rnn_forward, rnn_step) as calls:
        try:
            result = call(rnn_forward, "rnn_forward", inputs)
        except CheckFailure as failure:
            problem = _argument_problem(calls, inputs) if calls else None
            if problem:
                raise CheckFailure(f"rnn_forward raised {type(failure.__cause__).__name__} in "
                                   f"rnn_step, which passes its own test: {problem}"
                                   ) from failure.__cause__
            last = calls[-1].get("result") if calls else None
            if isinstance(failure.__cause__, ValueError) and isinstance(last, np.ndarray):
                raise CheckFailure(
                    f"rnn_forward raised ValueError ({failure.__cause__}) after rnn_step returned "
                    f"a state of shape {last.shape} = (N, H): hs holds T such states, shape "
                    f"(T, N, H) = {(T, N, H)} (x is (T, N, D), and D = {D})."
                ) from failure.__cause__
            raise
    problem = _call_problem(calls, inputs) if calls else None
    hints = {(T + 1, N, H): "hs has one state too many: it must not include h0 (hs[t-1] is h_t "
                            "for t = 1..T).",
             (N, H): "You returned one state; rnn_forward returns all T of them, shape (T, N, H).",
             (T * N, H): "The states were joined along the batch axis: hs has a new axis in front "
                         "for time, (T, N, H) (stack the states rather than concatenate them).",
             (N, T, H): "hs is batch-major, (N, T, H): keep time first, like x, so that hs[t-1] "
                        "is the batch's state at step t.",
             (T - 1, N, H): "hs has one state too few: one per step, t = 1..T."}
    if problem and not (isinstance(result, np.ndarray) and result.shape == (T, N, H)
                        and close(result, expected)):
        raise CheckFailure(problem)
    got = expect_array(result, (T, N, H), "rnn_forward", hints)
    if not close(got, expected):
        if calls and len(calls) == T:
            raise CheckFailure(_storage_problem(calls, got, inputs))
        _diagnose_forward(rnn_step, inputs, got, expected)
    passed("rnn_forward")
