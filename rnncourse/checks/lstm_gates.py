"""Visible checks of lesson 04: every piece of the LSTM against recorded values, with diagnoses of
the usual slips (tanh where the sigmoid belongs and back, [x, h] instead of [h, x], a missing bias,
h = o * C without tanh, the forget gate on the candidate, the cell state not carried). The
diagnoses use inputs whose answers are obvious (gates fully open or shut, a zero block of weights)
or the learner's own functions; no graded function is computed here."""
import warnings

import numpy as np

from ..recorded import case
from .common import CheckFailure, call, close, expect_array, mismatch, passed, reproduces

LESSON = "lstm_gates"
GATES = {"forget_gate": ("f", "f_t", "the forget gate"), "input_gate": ("i", "i_t", "the input gate"),
         "candidate_cell": ("C", "C_tilde", "the candidate"),
         "output_gate": ("o", "o_t", "the output gate")}


def _array(fn, name, inputs, shape, hints=None):
    return expect_array(call(fn, name, inputs), shape, name, hints)


def check_sigmoid(sigmoid):
    """Visible test of sigmoid: values, sigmoid(0) = 1/2, symmetry, and no overflow for |z| up to
    1e4 (the stable form computes exp only of -|z|)."""
    inputs, expected = case(LESSON, "sigmoid")
    got = _array(sigmoid, "sigmoid", inputs, expected.shape)
    if not close(got, expected):
        half = np.asarray(call(sigmoid, "sigmoid", {"z": np.zeros(3)}), dtype=float)
        if close(half, np.zeros(3)):
            raise CheckFailure("sigmoid(0) is 0: that is tanh. The sigmoid 1 / (1 + exp(-z)) "
                               "gives values in (0, 1) and sigmoid(0) = 0.5.")
        raise mismatch("sigmoid", got, expected)
    extremes = np.array([-1e4, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e4])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            far = np.asarray(call(sigmoid, "sigmoid", {"z": extremes}), dtype=float)
    if caught:
        raise CheckFailure(f"sigmoid warned '{caught[0].message}' for |z| up to 1e4: exp(-z) "
                           "overflows for z = -1000. Compute exp only of -|z| (it is at most 1): "
                           "for z >= 0 use 1 / (1 + exp(-z)), for z < 0 use exp(z) / (1 + exp(z)).")
    if far.shape != extremes.shape or not np.all(np.isfinite(far)) or \
            not close(far, np.array([0.0, 0.0, np.exp(-50.0) / (1 + np.exp(-50.0)), 0.5,
                                     1 / (1 + np.exp(-50.0)), 1.0, 1.0])):
        raise CheckFailure(f"sigmoid of {extremes} should be close to 0 on the left, 0.5 in the "
                           f"middle and 1 on the right, and never nan; got {far}.")
    passed("sigmoid")


def _gate_failure(fn, name, inputs, got, expected):
    letter, symbol, what = GATES[name]
    W, b = inputs[f"W_{letter}"], inputs[f"b_{letter}"]
    H = b.shape[0]
    if name == "candidate_cell":
        if np.all(got > 0) and np.any(expected < 0):
            return CheckFailure("C_tilde has no negative values: the candidate is the tanh layer "
                                "(values in (-1, 1)); the sigmoid belongs to the three gates.")
    elif np.any(got < 0):
        return CheckFailure(f"{symbol} has values below 0: {what} uses the sigmoid (values in "
                            "(0, 1), how much to let through); tanh is for the candidate C_tilde.")
    if np.any(np.abs(got) > 1):
        return CheckFailure(f"{symbol} has values outside [-1, 1]: the "
                            f"{'tanh' if name == 'candidate_cell' else 'sigmoid'} is missing.")
    moved = dict(inputs, **{f"b_{letter}": b + 0.7})
    if close(np.asarray(call(fn, name, moved), dtype=float), got):
        return CheckFailure(f"{symbol} does not change when b_{letter} changes: is the bias "
                            "missing?")
    only_x = dict(inputs, **{f"W_{letter}": np.concatenate([np.zeros((H, H)), W[:, H:]], axis=1)})
    reacted = [np.asarray(call(fn, name, dict(only_x, h_prev=h)), dtype=float)
               for h in (inputs["h_prev"], -inputs["h_prev"])]
    if not close(reacted[0], reacted[1]):
        return CheckFailure(
            f"With the first H columns of W_{letter} set to zero, {symbol} should not depend on "
            "h_prev, but yours does: concatenate [h_prev, x_t] with h first (W[:, :H] multiplies "
            "h_prev, W[:, H:] multiplies x_t), not [x_t, h_prev].")
    return mismatch(name, got, expected)


def _check_gate(fn, name, sigmoid):
    inputs, expected = case(LESSON, name)
    N, H = expected.shape
    letter = GATES[name][0]
    hints = {(H, N): f"You returned (H, N), the column form W_{letter} @ [h; x]: with rows as "
                     f"examples compute [h_prev, x_t] @ W_{letter}.T."}
    got = _array(fn, name, inputs, (N, H), hints)
    if not close(got, expected):
        if sigmoid is not None and not reproduces(sigmoid, LESSON, "sigmoid"):
            print(f"{name} is checked once sigmoid passes its test (in case {name} uses it): fix "
                  "sigmoid first, then run this cell again.")
            return
        raise _gate_failure(fn, name, inputs, got, expected)
    passed(name)


def check_forget_gate(forget_gate, sigmoid=None):
    """Visible test of forget_gate (N=3, D=4, H=2) against recorded values."""
    _check_gate(forget_gate, "forget_gate", sigmoid)


def check_input_gate(input_gate, sigmoid=None):
    """Visible test of input_gate (N=3, D=4, H=2) against recorded values."""
    _check_gate(input_gate, "input_gate", sigmoid)


def check_candidate_cell(candidate_cell):
    """Visible test of candidate_cell (N=3, D=4, H=2) against recorded values."""
    _check_gate(candidate_cell, "candidate_cell", None)


def check_output_gate(output_gate, sigmoid=None):
    """Visible test of output_gate (N=3, D=4, H=2) against recorded values."""
    _check_gate(output_gate, "output_gate", sigmoid)


def check_cell_update(cell_update):
    """Visible test of cell_update: recorded values, and gates fully open or shut."""
    inputs, expected = case(LESSON, "cell_update")
    got = _array(cell_update, "cell_update", inputs, expected.shape)
    if not close(got, expected):
        ones, zeros = np.ones_like(expected), np.zeros_like(expected)
        C_prev, C_tilde = inputs["C_prev"], inputs["C_tilde"]

        def with_gates(f, i):
            return np.asarray(call(cell_update, "cell_update",
                                   dict(inputs, f_t=f, i_t=i)), dtype=float)

        shut = with_gates(zeros, zeros)
        if close(shut, C_tilde):
            raise CheckFailure("With both gates shut C_t must be 0, but yours is C_tilde: the "
                               "input gate i_t must scale the candidate (i_t * C_tilde).")
        if close(shut, C_prev):
            raise CheckFailure("With both gates shut C_t must be 0, but yours is C_prev: the "
                               "forget gate f_t must scale the old cell state (f_t * C_prev).")
        keep = with_gates(ones, zeros)
        if close(keep, C_tilde) or close(with_gates(zeros, ones), C_prev):
            raise CheckFailure("The gates are swapped: the forget gate f_t multiplies the old cell "
                               "state C_prev (what is kept), the input gate i_t multiplies the "
                               "candidate C_tilde (what is written): C_t = f_t * C_prev + i_t * "
                               "C_tilde.")
        if not close(keep, C_prev):
            raise CheckFailure("With the forget gate open (f_t = 1) and the input gate shut "
                               "(i_t = 0), C_t must be C_prev unchanged: the conveyor belt carries "
                               "the cell state on. Yours is not.")
        raise mismatch("cell_update", got, expected)
    passed("cell_update")


def check_hidden_state(hidden_state):
    """Visible test of hidden_state: recorded values, and o_t = 1 with a large C_t."""
    inputs, expected = case(LESSON, "hidden_state")
    got = _array(hidden_state, "hidden_state", inputs, expected.shape)
    if not close(got, expected):
        open_gate = np.ones((1, 2))
        large = np.array([[3.0, -3.0]])
        h = np.asarray(call(hidden_state, "hidden_state", {"o_t": open_gate, "C_t": large}),
                       dtype=float)
        if close(h, large):
            raise CheckFailure("h_t = o_t * C_t: tanh is missing. The cell state can grow beyond "
                               "1; h_t = o_t * tanh(C_t) squashes it first.")
        h = np.asarray(call(hidden_state, "hidden_state",
                            {"o_t": np.full((1, 2), 0.5), "C_t": np.array([[2.0, 0.0]])}),
                       dtype=float)
        if close(h, np.tanh(np.array([[1.0, 0.0]]))):
            raise CheckFailure("tanh was applied to o_t * C_t; it applies to C_t alone, and the "
                               "output gate scales the result: h_t = o_t * tanh(C_t).")
        if np.isclose(h[0, 1], 0.25):
            raise CheckFailure("At C_t = 0, h_t should be 0 (tanh(0) = 0), but yours is "
                               "o_t / 2: the sigmoid is where tanh belongs.")
        raise mismatch("hidden_state", got, expected)
    passed("hidden_state")


PARTS = ("sigmoid", "forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate",
         "hidden_state")


def _parts_wrong(parts):
    wrong = [name for name in PARTS if name in parts and not reproduces(parts[name], LESSON, name)]
    return wrong


def check_lstm_step(lstm_step, parts):
    """Visible test of lstm_step against recorded values. `parts` holds the learner's pieces
    ({"sigmoid": ..., "forget_gate": ..., ...}); lstm_step is judged once they pass their tests."""
    wrong = _parts_wrong(parts)
    if wrong:
        print(f"lstm_step is checked once {', '.join(wrong)} pass their tests (lstm_step is built "
              "from them): fix those first, then run this cell again.")
        return
    inputs, (h_expected, C_expected) = case(LESSON, "lstm_step")
    result = call(lstm_step, "lstm_step", inputs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("lstm_step should return a tuple (h_t, C_t).")
    shape = h_expected.shape
    h_t = expect_array(result[0], shape, "lstm_step: h_t")
    C_t = expect_array(result[1], shape, "lstm_step: C_t")
    if close(h_t, C_expected) and close(C_t, h_expected):
        raise CheckFailure("lstm_step returns (C_t, h_t); the order is (h_t, C_t).")
    if not close(C_t, C_expected):
        raise CheckFailure("C_t differs from the recorded answer: C_t = f_t * C_prev + i_t * "
                           "C_tilde, with each gate computed from its own weights (params['W_f'], "
                           "params['b_f'] for f_t, params['W_i'], params['b_i'] for i_t, ...).")
    if not close(h_t, h_expected):
        o_t = np.asarray(call(parts["output_gate"], "output_gate",
                              {"h_prev": inputs["h_prev"], "x_t": inputs["x_t"],
                               "W_o": inputs["params"]["W_o"], "b_o": inputs["params"]["b_o"]}))
        stale = call(parts["hidden_state"], "hidden_state", {"o_t": o_t, "C_t": inputs["C_prev"]})
        if close(h_t, np.asarray(stale, dtype=float)):
            raise CheckFailure("h_t was computed from C_prev: compute the new cell state C_t "
                               "first, then h_t = o_t * tanh(C_t).")
        raise mismatch("lstm_step (h_t)", h_t, h_expected)
    passed("lstm_step")


def _step(lstm_step, x_t, h_prev, C_prev, params):
    h_t, C_t = call(lstm_step, "lstm_step",
                    {"x_t": x_t, "h_prev": h_prev, "C_prev": C_prev, "params": params})
    return np.asarray(h_t, dtype=float), np.asarray(C_t, dtype=float)


def _diagnose_forward(lstm_step, inputs, hs, Cs):
    x, h0, C0, params = inputs["x"], inputs["h0"], inputs["C0"], inputs["params"]
    T = x.shape[0]
    previous_h = [h0] + list(hs[:-1])
    if close(hs[0], h0) or close(Cs[0], C0):
        raise CheckFailure("hs[0] (or Cs[0]) is the initial state: hs and Cs hold h_1 .. h_T and "
                           "C_1 .. C_T, not h0 and C0.")
    if T > 1 and all(close(Cs[t], _step(lstm_step, x[t], previous_h[t], C0, params)[1])
                     for t in range(T)):
        raise CheckFailure("The cell state is not carried through time: every step starts from "
                           "C0. Pass the C_t you just computed as C_prev of the next step.")
    if T > 1 and all(close(hs[t], _step(lstm_step, x[t], h0, Cs[t - 1] if t else C0, params)[0])
                     for t in range(T)):
        raise CheckFailure("The hidden state is not carried through time: every step starts from "
                           "h0. Pass the h_t you just computed as h_prev of the next step.")
    raise CheckFailure("hs or Cs differ from the recorded answer: step t must start from the h "
                       "and C of step t-1 (h0 and C0 at the first step), with input x[t-1].")


def check_lstm_forward(lstm_forward, lstm_step):
    """Visible test of lstm_forward (T=4, N=3, D=4, H=2, h0 and C0 not zero) against recorded
    values; checked once lstm_step passes its test."""
    if not reproduces(lstm_step, LESSON, "lstm_step"):
        print("lstm_forward is checked once lstm_step passes its test: fix lstm_step first, then "
              "run this cell again.")
        return
    inputs, (hs_expected, Cs_expected) = case(LESSON, "lstm_forward")
    T, N, H = hs_expected.shape
    result = call(lstm_forward, "lstm_forward", inputs)
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("lstm_forward should return a tuple (hs, Cs), each (T, N, H).")
    hints = {(N, H): "You returned one state; lstm_forward returns all T of them, (T, N, H).",
             (T + 1, N, H): "One state too many: hs and Cs do not include h0 and C0."}
    hs = expect_array(result[0], (T, N, H), "lstm_forward: hs", hints)
    Cs = expect_array(result[1], (T, N, H), "lstm_forward: Cs", hints)
    if close(hs, Cs_expected) and close(Cs, hs_expected):
        raise CheckFailure("lstm_forward returns (Cs, hs); the order is (hs, Cs).")
    if not (close(hs, hs_expected) and close(Cs, Cs_expected)):
        _diagnose_forward(lstm_step, inputs, hs, Cs)
    passed("lstm_forward")


def check_carousel_gain(carousel_gain):
    """Visible test of carousel_gain (T=5, N=3, H=2) against recorded values, and forget gates
    all 0.5."""
    inputs, expected = case(LESSON, "carousel_gain")
    fs = inputs["fs"]
    T = fs.shape[0]
    got = _array(carousel_gain, "carousel_gain", inputs, fs.shape)
    if not close(got, expected):
        if not close(got[-1], np.ones_like(got[-1])):
            if close(got[0], np.ones_like(got[0])):
                raise CheckFailure("g is in reverse order: g[t-1] is the gain from C_t to C_T, so "
                                   "the last entry g[T-1] is all ones and the gains shrink towards "
                                   "the start.")
            raise CheckFailure("g[T-1] must be all ones: no forget gate lies between C_T and "
                               "itself. g[t-1] multiplies f_{t+1} .. f_T, not f_t.")
        halves = np.asarray(call(carousel_gain, "carousel_gain", {"fs": np.full(fs.shape, 0.5)}),
                            dtype=float)
        powers = 0.5 ** np.arange(T - 1, -1, -1)[:, None, None] * np.ones(fs.shape)
        if not close(halves, powers):
            raise CheckFailure("With every forget gate 0.5 the gain must halve at each step back "
                               f"(g[:, 0, 0] = {powers[:, 0, 0]}), got {halves[:, 0, 0]}: the "
                               "gain is a product of the forget gates, elementwise.")
        raise mismatch("carousel_gain", got, expected)
    passed("carousel_gain")
