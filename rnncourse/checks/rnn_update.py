"""Visible checks of lesson 01: rnn_step and rnn_forward against recorded values, with diagnoses
of the usual slips. The diagnoses probe the learner's own function; no answer is computed here."""
import numpy as np

from ..recorded import case
from .common import CheckFailure, call, close, expect_array, mismatch, passed, reproduces


def _step_shape_hints(N, H):
    return {(H, N): "You returned (H, N): that is the column-vector form `W_xh @ x_t.T`. In code "
                    "each row is one example, so compute `x_t @ W_xh.T` and get (N, H)."}


def _diagnose_step(rnn_step, inputs, got, expected):
    """Raise the most specific failure for a wrong rnn_step result."""
    if np.all(got >= 0) and np.any(expected < 0):
        raise CheckFailure("Every value of h_t is >= 0, but tanh gives values in (-1, 1): did you "
                           "use a sigmoid or ReLU where tanh belongs?")
    if np.any(np.abs(got) > 1):
        raise CheckFailure("h_t has values outside [-1, 1]: is tanh missing? "
                           "The update is h_t = tanh(x_t W_xh^T + h_prev W_hh^T + b_h).")
    for arg in ("b_h", "h_prev", "x_t"):
        moved = dict(inputs, **{arg: inputs[arg] + 0.5})
        if close(np.asarray(call(rnn_step, "rnn_step", moved), dtype=float), got):
            raise CheckFailure(f"h_t does not change when `{arg}` changes: is `{arg}` missing from "
                               "the sum inside tanh?")
    H, D = inputs["W_xh"].shape
    probe = dict(inputs, x_t=np.zeros((H, D)), h_prev=np.eye(H), b_h=np.zeros(H))
    rows = np.asarray(call(rnn_step, "rnn_step", probe), dtype=float)
    W_hh = inputs["W_hh"]
    if rows.shape == (H, H) and close(rows, np.tanh(W_hh)) and not close(rows, np.tanh(W_hh.T)):
        raise CheckFailure("The recurrent weights are applied the wrong way round: with the batch "
                           "stacked as rows, W_hh h_{t-1} becomes `h_prev @ W_hh.T` (you used "
                           "`h_prev @ W_hh`).")
    raise mismatch("rnn_step", got, expected)


def check_rnn_step(rnn_step):
    """Visible test of rnn_step on a recorded case (N=2, D=3, H=4)."""
    inputs, expected = case("rnn_update", "rnn_step")
    N, H = expected.shape
    got = expect_array(call(rnn_step, "rnn_step", inputs), (N, H), "rnn_step",
                       _step_shape_hints(N, H))
    if not close(got, expected):
        _diagnose_step(rnn_step, inputs, got, expected)
    passed("rnn_step")


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


def _diagnose_forward(rnn_step, inputs, got, expected):
    """Raise the most specific failure for a wrong rnn_forward result (rnn_step is right)."""
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
    if not reproduces(rnn_step, "rnn_update", "rnn_step"):
        print("rnn_forward is checked once rnn_step passes its test: fix rnn_step first, then "
              "run this cell again.")
        return
    hints = {(T + 1, N, H): "hs has one state too many: it must not include h0 (hs[t-1] is h_t "
                            "for t = 1..T).",
             (N, H): "You returned one state; rnn_forward returns all T of them, shape (T, N, H)."}
    got = expect_array(call(rnn_forward, "rnn_forward", inputs), (T, N, H), "rnn_forward", hints)
    if not close(got, expected):
        _diagnose_forward(rnn_step, inputs, got, expected)
    passed("rnn_forward")
