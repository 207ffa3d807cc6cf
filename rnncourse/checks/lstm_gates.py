"""Visible checks of lesson 04: every piece of the LSTM against recorded values, the two backward
passes against central differences of the learner's own forward functions, with diagnoses of the
usual slips.

The diagnoses only probe the learner's own functions on chosen inputs whose answer is obvious
(gates fully open or shut, a zero block of weights, a zero upstream gradient, a doubled batch, a
one-step sequence) or is given by central differences of the learner's lstm_step / lstm_forward,
and say what the probe shows. No graded function is computed here."""
import warnings

import numpy as np

from ..gradcheck import gradient_errors, numerical_gradients
from ..recorded import case
from .common import CheckFailure, call, close, expect_array, mismatch, passed, reproduces

LESSON = "lstm_gates"
GATES = {"forget_gate": ("f", "f_t", "the forget gate"), "input_gate": ("i", "i_t", "the input gate"),
         "candidate_cell": ("C", "C_tilde", "the candidate"),
         "output_gate": ("o", "o_t", "the output gate")}
LAYERS = {"f": "the forget gate", "i": "the input gate", "C": "the candidate",
          "o": "the output gate"}
PARAMS = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")
SHUT = -40.0         # a pre-activation where the sigmoid is 0 (and tanh -1) to machine precision
OPEN = 40.0          # ... and where the sigmoid is 1 (and tanh 1)


def _array(fn, name, inputs, shape, hints=None):
    return expect_array(call(fn, name, inputs), shape, name, hints)


def _values(fn, name, inputs):
    return np.asarray(call(fn, name, inputs), dtype=float)


def check_sigmoid(sigmoid):
    """Visible test of sigmoid: values, sigmoid(0) = 1/2, symmetry, and no overflow for |z| up to
    1e4 (the stable form computes exp only of -|z|)."""
    inputs, expected = case(LESSON, "sigmoid")
    got = _array(sigmoid, "sigmoid", inputs, expected.shape)
    if not close(got, expected):
        half = _values(sigmoid, "sigmoid", {"z": np.zeros(3)})
        if close(half, np.zeros(3)):
            raise CheckFailure("sigmoid(0) is 0: that is tanh. The sigmoid gives values in (0, 1) "
                               "and sigmoid(0) = 0.5.")
        low, high = _values(sigmoid, "sigmoid", {"z": np.array([-3.0, 3.0])})
        if low > high:
            raise CheckFailure(f"sigmoid(-3) = {low:.4g} is larger than sigmoid(3) = {high:.4g}, "
                               "but the sigmoid grows with z (towards 1 as z grows): the sign of "
                               "z in the exponent is flipped.")
        if low >= 0.5:
            raise CheckFailure(f"sigmoid(-3) = {low:.4g}, but a negative z must give a value "
                               "below 0.5 (sigmoid(-z) = 1 - sigmoid(z)): your sigmoid ignores "
                               "the sign of z.")
        raise mismatch("sigmoid", got, expected)
    extremes = np.array([-1e4, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e4])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(over="warn", divide="warn", invalid="warn", under="ignore"):
            far = np.asarray(call(sigmoid, "sigmoid", {"z": extremes}), dtype=float)
    if caught:
        raise CheckFailure(f"sigmoid warned '{caught[0].message}' for |z| up to 1e4: exp(-z) "
                           "overflows for z = -1000. Compute exp only of -|z| (it is at most 1): "
                           "each sign of z has its own form of the sigmoid (section 2).")
    expected_far = np.array([0.0, 0.0, np.exp(-50.0) / (1 + np.exp(-50.0)), 0.5,
                             1 / (1 + np.exp(-50.0)), 1.0, 1.0])
    if far.shape != extremes.shape or not np.all(np.isfinite(far)):
        raise CheckFailure(f"sigmoid of {extremes} must be finite (never nan); got {far}.")
    if not close(far, expected_far):
        if far[0] == far[1] == far[2] and far[0] > 1e-15:
            raise CheckFailure(f"sigmoid gives the same value {far[0]:.3g} for z = -50, -1000 and "
                               "-1e4: it levels off too early, as if z were clipped to a small "
                               f"range; sigmoid(-50) is about {expected_far[2]:.1e}.")
        raise CheckFailure(f"sigmoid of {extremes} should be close to 0 on the left, 0.5 in the "
                           f"middle and 1 on the right; got {far}.")
    passed("sigmoid")


def _gate_failure(fn, name, inputs, got, expected):
    letter, symbol, what = GATES[name]
    W, b = inputs[f"W_{letter}"], inputs[f"b_{letter}"]
    H = b.shape[0]
    moved = _values(fn, name, dict(inputs, **{f"b_{letter}": b + 0.7}))
    if name == "candidate_cell":
        if np.all(got > 0) and np.any(expected < 0):
            return CheckFailure("C_tilde has no negative values: the candidate is the tanh layer "
                                "(values in (-1, 1)); the sigmoid belongs to the three gates.")
    elif np.any(got < 0):
        return CheckFailure(f"{symbol} has values below 0: {what} uses the sigmoid (values in "
                            "(0, 1), how much to let through); tanh is for the candidate C_tilde.")
    if np.any(np.abs(got) > 1):
        if close(moved - got, np.full(got.shape, 0.7)):
            return CheckFailure(f"{symbol} has values outside (0, 1), and moving b_{letter} by 0.7 "
                                f"moves every value of {symbol} by exactly 0.7: the bias is added "
                                f"after the squashing function; it belongs inside, with the "
                                "weighted input.")
        return CheckFailure(f"{symbol} has values outside [-1, 1]: the "
                            f"{'tanh' if name == 'candidate_cell' else 'sigmoid'} is missing.")
    if close(moved, got):
        return CheckFailure(f"{symbol} does not change when b_{letter} changes: is the bias "
                            "missing?")
    only_x = dict(inputs, **{f"W_{letter}": np.concatenate([np.zeros((H, H)), W[:, H:]], axis=1)})
    reacted = [_values(fn, name, dict(only_x, h_prev=h))
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
            return _values(cell_update, "cell_update", dict(inputs, f_t=f, i_t=i))

        shut = with_gates(zeros, zeros)
        if close(shut, C_tilde):
            raise CheckFailure("With both gates shut C_t must be 0, but yours is C_tilde: the "
                               "input gate i_t must scale the candidate.")
        if close(shut, C_prev):
            raise CheckFailure("With both gates shut C_t must be 0, but yours is C_prev: the "
                               "forget gate f_t must scale the old cell state.")
        keep = with_gates(ones, zeros)
        if close(keep, C_tilde) or close(with_gates(zeros, ones), C_prev):
            raise CheckFailure("The gates are swapped: the forget gate f_t scales the old cell "
                               "state C_prev (what is kept), the input gate i_t scales the "
                               "candidate C_tilde (what is written).")
        if close(keep, zeros):
            raise CheckFailure("With the forget gate open (f_t = 1) and the input gate shut "
                               "(i_t = 0), C_t must be C_prev, but yours is 0: what is kept and "
                               "what is written are multiplied together instead of added.")
        if close(keep, np.tanh(C_prev)):
            raise CheckFailure("With the forget gate open (f_t = 1) and the input gate shut "
                               "(i_t = 0), C_t must be C_prev, but yours is tanh(C_prev): the cell "
                               "state is not squashed; tanh comes later, in the hidden state.")
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
        def h(o, C):
            return _values(hidden_state, "hidden_state", {"o_t": np.array([o]),
                                                          "C_t": np.array([C])})

        large = [3.0, -3.0]
        if close(h([1.0, 1.0], large), np.array([large])):
            raise CheckFailure("With o_t = 1 and C_t = ±3, h_t is ±3: tanh is missing. The cell "
                               "state can grow beyond 1; the hidden state squashes it first.")
        if close(h([0.5, 0.5], [2.0, 0.0]), np.tanh(np.array([[1.0, 0.0]]))):
            raise CheckFailure("tanh was applied to o_t * C_t; it applies to C_t alone, and the "
                               "output gate scales the result.")
        at_zero = h([0.5, 1.0], [0.0, 0.0])
        if np.isclose(at_zero[0, 0], 0.25):
            raise CheckFailure("At C_t = 0, h_t should be 0 (tanh(0) = 0), but yours is "
                               "o_t / 2: the sigmoid is where tanh belongs.")
        if close(at_zero, np.array([[0.5, 1.0]])):
            raise CheckFailure("With C_t = 0, h_t must be 0 whatever the output gate, but yours "
                               "is o_t: the output gate is added to tanh(C_t) instead of scaling "
                               "it.")
        if close(h([0.0, 0.0], large), np.tanh(np.array([large]))):
            raise CheckFailure("With the output gate shut (o_t = 0), h_t must be 0, but yours is "
                               "tanh(C_t): the output gate does not scale h_t.")
        raise mismatch("hidden_state", got, expected)
    passed("hidden_state")


PARTS = ("sigmoid", "forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate",
         "hidden_state")
STEP_PARTS = PARTS + ("lstm_step",)                                  # what the step backward needs
SEQUENCE_PARTS = STEP_PARTS + ("lstm_forward", "lstm_step_backward")  # ... and the sequence one


def _parts_wrong(parts):
    wrong = [name for name in PARTS if name in parts and not reproduces(parts[name], LESSON, name)]
    return wrong


def _step(lstm_step, x_t, h_prev, C_prev, params):
    result = call(lstm_step, "lstm_step",
                  {"x_t": x_t, "h_prev": h_prev, "C_prev": C_prev, "params": params})
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("lstm_step should return a tuple (h_t, C_t).")
    return np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)


def _layer(letter, level, H, D):
    """The parameters of one layer held at `level`: zero weights, every bias `level`."""
    return {f"W_{letter}": np.zeros((H, H + D)), f"b_{letter}": np.full(H, level)}


def _diagnose_step(lstm_step, inputs, h_t, C_t, h_expected, C_expected):
    """Raise the most specific failure for a wrong lstm_step (its pieces are right)."""
    x_t, h_prev, C_prev, params = inputs["x_t"], inputs["h_prev"], inputs["C_prev"], inputs["params"]
    D, H = x_t.shape[1], h_prev.shape[1]
    if np.any(np.abs(h_t) > 1):
        raise CheckFailure("h_t has values beyond ±1, but o_t lies in (0, 1) and tanh in (-1, 1): "
                           "the tanh of the new cell state is missing from h_t (your hidden_state "
                           "does it).")
    run = lambda changes, C=C_prev, h=h_prev: _step(lstm_step, x_t, h, C,  # noqa: E731
                                                    dict(params, **changes))
    only_x = {k: np.concatenate([np.zeros((H, H)), v[:, H:]], axis=1)
              for k, v in params.items() if k.startswith("W")}
    if not close(run(only_x)[0], run(only_x, h=-h_prev)[0]):
        raise CheckFailure("With the first H columns of every W set to zero no gate can see "
                           "h_prev, yet your h_t changes with h_prev: the gates get x_t where "
                           "h_prev belongs. Check the order of the arguments you pass to each "
                           "gate: (h_prev, x_t, W, b).")
    for letter, output, what in (("f", 1, "C_t"), ("i", 1, "C_t"), ("C", 1, "C_t"),
                                 ("o", 0, "h_t")):
        moved = {f"W_{letter}": params[f"W_{letter}"] + 0.5, f"b_{letter}": params[f"b_{letter}"] + 0.5}
        if close(run(moved)[output], run({})[output]):
            raise CheckFailure(f"{what} does not change when params['W_{letter}'] and "
                               f"params['b_{letter}'] change: each gate must use its own weights "
                               f"({LAYERS[letter]} uses W_{letter} and b_{letter}).")
    belt = dict(_layer("f", OPEN, H, D), **_layer("i", SHUT, H, D))
    if not close(run(belt)[1], C_prev):
        swapped = dict(_layer("f", SHUT, H, D), **_layer("i", OPEN, H, D))
        if not close(run(swapped)[1], run(swapped, C=-C_prev)[1]):
            raise CheckFailure("With the forget gate shut (params['b_f'] = -40) and the input "
                               "gate open (params['b_i'] = 40), C_t must not depend on C_prev, "
                               "but yours does: is f_t where i_t belongs in the cell update?")
        raise CheckFailure("With the forget gate open (params['b_f'] = 40) and the input gate "
                           "shut (params['b_i'] = -40), C_t must be C_prev (the belt carries it "
                           "on), but yours is not.")
    if close(h_t, C_expected) or close(C_t, h_expected):
        raise CheckFailure("h_t and C_t are mixed up: lstm_step returns (h_t, C_t).")
    if not close(C_t, C_expected):
        raise mismatch("lstm_step (C_t)", C_t, C_expected)
    raise mismatch("lstm_step (h_t)", h_t, h_expected)


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
    if close(C_t, C_expected) and not close(h_t, h_expected):
        o_t = _values(parts["output_gate"], "output_gate",
                      {"h_prev": inputs["h_prev"], "x_t": inputs["x_t"],
                       "W_o": inputs["params"]["W_o"], "b_o": inputs["params"]["b_o"]})
        stale = _values(parts["hidden_state"], "hidden_state", {"o_t": o_t, "C_t": inputs["C_prev"]})
        if close(h_t, stale):
            raise CheckFailure("h_t was computed from C_prev: compute the new cell state C_t "
                               "first, then the hidden state from it.")
    if not (close(C_t, C_expected) and close(h_t, h_expected)):
        _diagnose_step(lstm_step, inputs, h_t, C_t, h_expected, C_expected)
    passed("lstm_step")


def _consistent(lstm_step, xs, h0, C0, params, hs, Cs):
    """Are hs, Cs what the learner's lstm_step gives step by step over xs from h0, C0?"""
    h, C = h0, C0
    for x_t, h_t, C_t in zip(xs, hs, Cs):
        h, C = _step(lstm_step, x_t, h, C, params)
        if not (close(h, h_t) and close(C, C_t)):
            return False
    return True


def _diagnose_forward(lstm_step, inputs, hs, Cs):
    x, h0, C0, params = inputs["x"], inputs["h0"], inputs["C0"], inputs["params"]
    T = x.shape[0]
    previous_h = [h0] + list(hs[:-1])
    if close(hs[0], h0) or close(Cs[0], C0):
        raise CheckFailure("hs[0] (or Cs[0]) is the initial state: hs and Cs hold h_1 .. h_T and "
                           "C_1 .. C_T, not h0 and C0.")
    if close(hs, Cs):
        raise CheckFailure("hs holds the cell states (hs equals Cs): hs[t-1] must be h_t, the "
                           "first value lstm_step returns.")
    if T > 1 and all(close(Cs[t], _step(lstm_step, x[t], previous_h[t], C0, params)[1])
                     for t in range(T)):
        raise CheckFailure("The cell state is not carried through time: every step starts from "
                           "C0. Pass the C_t you just computed as C_prev of the next step.")
    if T > 1 and all(close(hs[t], _step(lstm_step, x[t], h0, Cs[t - 1] if t else C0, params)[0])
                     for t in range(T)):
        raise CheckFailure("The hidden state is not carried through time: every step starts from "
                           "h0. Pass the h_t you just computed as h_prev of the next step.")
    if _consistent(lstm_step, x, np.zeros_like(h0), np.zeros_like(C0), params, hs, Cs):
        raise CheckFailure("Your states are those of a run that starts from zeros: the first step "
                           "must start from h0 and C0, the initial states passed in.")
    if _consistent(lstm_step, x[::-1], h0, C0, params, hs, Cs):
        raise CheckFailure("Time runs backwards: the first step reads x[0], the last x[T-1].")
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
    T, N, H = fs.shape
    one_each = "One gain per step, example and unit: (T, N, H), like fs; do not average or sum"
    hints = {(T, H): f"{one_each} over the batch.", (T,): f"{one_each} over examples and units."}
    got = _array(carousel_gain, "carousel_gain", inputs, fs.shape, hints)
    if not close(got, expected):
        if not close(got[-1], np.ones_like(got[-1])):
            if close(got[0], np.ones_like(got[0])):
                raise CheckFailure("g is in reverse order: g[t-1] is the gain from C_t to C_T, so "
                                   "the last entry g[T-1] is all ones and the gains shrink towards "
                                   "the start.")
            raise CheckFailure("g[T-1] must be all ones: no forget gate lies between C_T and "
                               "itself. g[t-1] multiplies f_{t+1} .. f_T, not f_t.")
        halves = _values(carousel_gain, "carousel_gain", {"fs": np.full(fs.shape, 0.5)})
        powers = 0.5 ** np.arange(T - 1, -1, -1)[:, None, None] * np.ones(fs.shape)
        if not close(halves, powers):
            raise CheckFailure("With every forget gate 0.5 the gain must halve at each step back "
                               f"(g[:, 0, 0] = {powers[:, 0, 0]}), got {halves[:, 0, 0]}: the "
                               "gain is a product of the forget gates, elementwise.")
        raise mismatch("carousel_gain", got, expected)
    passed("carousel_gain")


# --- the backward passes ---------------------------------------------------------------------
#
# Both are judged against central differences of the learner's own forward function (lstm_step,
# lstm_forward), which has passed its test. When the gradient check fails, probes on chosen
# inputs find which path of the gradient is wrong; each probe compares the learner's backward pass
# with what the probe makes obvious (a gradient that must vanish) or with central differences.

TOLERANCE = 1e-6        # relative error against central differences (h = 1e-5, float64)
VANISHES = 1e-7         # a gradient that must be 0: every entry below this


def _agrees(a, b):
    """Close enough to central differences in a probe (entries near 0 compared absolutely)."""
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-5, atol=1e-8)


def _vanishes(a):
    return np.all(np.abs(a) < VANISHES)


def _largest(a):
    return f"{np.max(np.abs(a)):.2g}"


def _reproduces_backward(fn, name):
    """Does fn give the recorded (three arrays, grads dict) on its recorded case?"""
    inputs, expected = case(LESSON, name)
    try:
        got = call(fn, name, inputs)
        return (isinstance(got, tuple) and len(got) == 4 and isinstance(got[3], dict)
                and set(got[3]) == set(expected[3])
                and all(close(np.asarray(g, dtype=float), e) for g, e in zip(got[:3], expected[:3]))
                and all(close(np.asarray(got[3][k], dtype=float), expected[3][k])
                        for k in expected[3]))
    except Exception:  # any failure of fn, including changing its arguments
        return False


def _waits_for(name, parts, needed):
    """Print which of the functions `name` builds on do not pass their tests yet; True if any."""
    wrong = [part for part in needed
             if not (_reproduces_backward(parts[part], part) if part == "lstm_step_backward"
                     else reproduces(parts[part], LESSON, part))]
    if wrong:
        one = len(wrong) == 1
        print(f"{name} is checked once {', '.join(wrong)} pass{'es its test' if one else ' their tests'} "
              f"({name} is checked against them): fix {'it' if one else 'those'} first, then run "
              "this cell again.")
    return bool(wrong)


def _structure(result, name, labels, shapes, params, hints):
    """{label: float64 array} of the three gradients and {key: array} of grads, or a failure."""
    if not isinstance(result, tuple) or len(result) != 4:
        got = f"a tuple of {len(result)}" if isinstance(result, tuple) else type(result).__name__
        raise CheckFailure(f"{name} returned {got}; return a tuple of four: "
                           f"({', '.join(labels)}, grads).")
    arrays = {label: expect_array(value, shape, f"{name}: {label}", hints.get(label))
              for value, shape, label in zip(result, shapes, labels)}
    grads = result[3]
    if not isinstance(grads, dict):
        raise CheckFailure(f"{name}: grads is a {type(grads).__name__}; return a dict with the keys "
                           f"of params ({', '.join(PARAMS)}).")
    if set(grads) != set(params):
        raise CheckFailure(f"{name}: grads has the keys {sorted(grads)}; it needs exactly the keys "
                           f"of params, {sorted(params)}, each holding that parameter's gradient.")
    for key in PARAMS:
        arrays[key] = expect_array(grads[key], params[key].shape, f"{name}: grads['{key}']",
                                   hints.get(key[0]))
    return arrays


def _shape_hints(N, D, H, step):
    x, h = ("dx_t", "dh_prev") if step else ("dx", "dh0")
    swap = (f"are {x} and {h} swapped, or was d[h_prev, x_t] split after D columns instead of "
            "after h_prev's H columns?")
    hints = {
        "W": {(H + D, H): "Each gradient has its parameter's shape: W is (H, H + D), one row per "
                          "unit of the layer; yours is transposed."},
        "b": {(N, H): "A bias is added to every example of the batch, so its gradient sums over "
                      "the batch: shape (H,).",
              (N,): "A bias's gradient sums over the batch (axis 0), not over the units."},
    }
    if D != H:
        if step:
            hints["dx_t"] = {(N, H): f"dx_t has the shape of h_prev, not that of x_t: {swap}"}
            hints["dh_prev"] = {(N, D): f"dh_prev has the shape of x_t, not that of h_prev: {swap}"}
        else:
            hints["dh0"] = {(N, D): "dh0 has the shape of x_t, not that of h0: the gradients are "
                                    "in the wrong order (dx, dh0, dC0, grads)."}
    if not step:
        hints["dx"] = {(N, D): "dx holds one gradient per step: shape (T, N, D) like x."}
    return hints


# --- lstm_step_backward ----------------------------------------------------------------------

class _Probe:
    """The learner's backward pass and central differences of the learner's forward function on
    the recorded inputs, with some of them changed: analytic(**changes), numerical(**changes).
    A subclass names the upstream gradients (UPSTREAM), the arrays the forward function reads
    besides the parameters (STATES) and the three gradients' labels (LABELS), and implements
    _backward(values) and _forward(arrays) -> the output that the upstream gradient weighs."""

    def __init__(self, backward, forward, inputs):
        self.backward, self.forward = backward, forward
        self.base = {**{k: inputs[k] for k in self.UPSTREAM + self.STATES}, **inputs["params"]}
        first = inputs[self.STATES[0]]
        self.N, self.D = first.shape[-2:]
        self.H = inputs[self.STATES[1]].shape[1]
        self.hints = _shape_hints(self.N, self.D, self.H, step=self.LABELS[0] == "dx_t")

    def values(self, changes):
        return dict(self.base, **changes)

    def analytic(self, **changes):
        """{state or parameter name: the learner's gradient} with `changes` applied."""
        v = self.values(changes)
        params = {k: v[k] for k in PARAMS}
        arrays = _structure(self._backward(v, params), self.NAME, self.LABELS,
                            [v[k].shape for k in self.STATES], params, self.hints)
        return dict(zip(self.STATES, (arrays[k] for k in self.LABELS)),
                    **{k: arrays[k] for k in PARAMS})

    def _function(self, v):
        """f() reading fresh float64 copies of the states and parameters, and those arrays."""
        arrays = {k: np.array(v[k], dtype=np.float64) for k in self.STATES + PARAMS}
        return (lambda: self._forward(arrays)), arrays

    def numerical(self, **changes):
        """The same gradients by central differences of the learner's forward function."""
        v = self.values(changes)
        f, arrays = self._function(v)
        return numerical_gradients(f, arrays, list(arrays), self._upstream(v))

    def errors(self):
        """{name: relative error} of the learner's gradients on the recorded inputs."""
        f, arrays = self._function(self.base)
        return gradient_errors(f, arrays, self.analytic(), self._upstream(self.base))

    def layers(self, **levels):
        """Parameters that hold layers at a level: layers(f=SHUT, i=OPEN) -> {W_f: 0, b_f: -40,
        W_i: 0, b_i: 40}."""
        changes = {}
        for letter, level in levels.items():
            changes.update(_layer(letter, level, self.H, self.D))
        return changes


class _StepProbe(_Probe):
    """lstm_step_backward against central differences of lstm_step (loss sum([h_t, C_t] *
    [dh_t, dC_t]))."""
    NAME, LABELS = "lstm_step_backward", ("dx_t", "dh_prev", "dC_prev")
    UPSTREAM, STATES = ("dh_t", "dC_t"), ("x_t", "h_prev", "C_prev")

    def _backward(self, v, params):
        return call(self.backward, self.NAME, {**{k: v[k] for k in self.UPSTREAM + self.STATES},
                                               "params": params})

    def _forward(self, arrays):
        h_t, C_t = _step(self.forward, arrays["x_t"], arrays["h_prev"], arrays["C_prev"],
                         {k: arrays[k] for k in PARAMS})
        return np.concatenate([h_t, C_t], axis=1)

    def _upstream(self, v):
        return np.concatenate([v["dh_t"], v["dC_t"]], axis=1)


def _report(name, errors, forward, extra=""):
    wrong = {k: v for k, v in errors.items() if not v < TOLERANCE}
    lines = "\n".join(f"  d{k}: relative error {v:.2e}" for k, v in wrong.items())
    return CheckFailure(f"{name}: these gradients disagree with central differences of your "
                        f"{forward} (a relative error below {TOLERANCE:g} is expected):\n"
                        f"{lines}{extra}")


def _diagnose_step_backward(probe, errors):
    """Raise the most specific failure for an lstm_step_backward that fails the gradient check.
    Each probe changes some inputs so that one path of the gradient stands alone."""
    H, D, N = probe.H, probe.D, probe.N
    zero = np.zeros((N, H))
    # The two sources of the gradient on C_t: dC_t itself, and what comes through h_t.
    alone = probe.analytic(dh_t=zero)
    if all(_vanishes(g) for g in alone.values()) and \
            not _vanishes(probe.numerical(dh_t=zero)["C_prev"]):
        raise CheckFailure(
            "With dh_t = 0 and dC_t not 0, all your gradients are 0; but C_t reaches the loss "
            "directly, so C_prev and the gates that wrote C_t get gradient (central differences of "
            "your lstm_step show it). The gradient on C_t has two sources: dC_t, and what comes "
            "through h_t.")
    if _vanishes(probe.analytic(dC_t=zero)["C_prev"]) and \
            not _vanishes(probe.numerical(dC_t=zero)["C_prev"]):
        raise CheckFailure(
            "With dC_t = 0 your dC_prev is 0, but C_prev still moves the loss through C_t and then "
            "h_t (central differences of your lstm_step show it). The gradient on C_t has two "
            "sources: dC_t, and what comes back to C_t from h_t.")
    # Along the belt: the forget gate scales the gradient that reaches C_prev.
    shut = probe.analytic(**probe.layers(f=SHUT))["C_prev"]
    if not _vanishes(shut):
        raise CheckFailure(
            "With the forget gate shut (params['W_f'] = 0, params['b_f'] = -40, so f_t is 0 to "
            "machine precision) C_t does not depend on C_prev, so dC_prev must be 0; yours is not "
            f"(largest {_largest(shut)}). On its way back to C_prev the gradient passes the forget "
            "gate, as C_prev does on its way forward.")
    # From h_t back to C_t: through the output gate and the slope of tanh at C_t.
    dark = probe.analytic(dC_t=zero, **probe.layers(o=SHUT))["C_prev"]
    if not _vanishes(dark):
        raise CheckFailure(
            "With dC_t = 0 and the output gate shut (params['b_o'] = -40, o_t = 0 to machine "
            "precision), h_t is 0 whatever the cell state, so dC_prev must be 0; yours is not "
            f"(largest {_largest(dark)}). On its way from h_t back to C_t the gradient passes the "
            "output gate.")
    signs = np.where(np.arange(N * H).reshape(N, H) % 2, -6.0, 6.0)
    flat = dict(dC_t=zero, C_prev=signs, **probe.layers(f=OPEN, i=SHUT))
    got, numerical = probe.analytic(**flat)["C_prev"], probe.numerical(**flat)["C_prev"]
    if not _agrees(got, numerical):
        raise CheckFailure(
            "With dC_t = 0, the forget gate open, the input gate shut and C_prev = ±6, C_t = C_prev "
            f"lies where tanh is flat (its slope is {1 - np.tanh(6.0) ** 2:.1e}), so h_t hardly "
            "moves with C_prev and dC_prev must be tiny (central differences of your lstm_step: "
            f"largest {_largest(numerical)}); yours is {_largest(got)}. On the way from h_t back to "
            "C_t the slope of tanh at C_t is missing, or is not the slope of tanh.")
    steep = dict(dC_t=zero, C_prev=np.full((N, H), -1.0), **probe.layers(f=OPEN, i=OPEN, C=OPEN))
    got, numerical = probe.analytic(**steep)["C_prev"], probe.numerical(**steep)["C_prev"]
    at_prev = 1 - np.tanh(1.0) ** 2
    if not _agrees(got, numerical) and _agrees(got, at_prev * numerical):
        raise CheckFailure(
            "With dC_t = 0, C_prev = -1 and both the forget and input gates open on a candidate of "
            "1, the new cell state is C_t = 0, where tanh's slope is 1; your dC_prev is "
            f"{at_prev:.2f} times the central-difference value, the slope of tanh at C_prev = -1: "
            "the slope belongs at the new cell state C_t.")
    # Each layer's own gradient: the slope of its squashing function, and what it multiplies.
    for letter, squash in (("f", "sigmoid"), ("i", "sigmoid"), ("C", "tanh"), ("o", "sigmoid")):
        grads = probe.analytic(**probe.layers(**{letter: OPEN}))
        own = np.concatenate([grads[f"W_{letter}"].ravel(), grads[f"b_{letter}"]])
        if not _vanishes(own):
            value = "C_tilde" if letter == "C" else f"{letter}_t"
            raise CheckFailure(
                f"With {LAYERS[letter]} saturated (params['W_{letter}'] = 0, params['b_{letter}'] = "
                f"40, so {value} = 1 to machine precision, where the {squash} is flat), W_{letter} "
                f"and b_{letter} cannot move the loss and their gradients must be 0; yours are not "
                f"(largest {_largest(own)}). The slope of the {squash} is missing from this layer's "
                "gradient, or is not taken at this layer's value"
                + (": write it with the gate's output." if squash == "sigmoid" else "."))
    partners = (
        ("o", {"dh_t": zero},
         "With dh_t = 0 only C_t carries gradient, and the output gate does not touch C_t (it "
         "only shapes h_t), so", "the output gate's gradient comes from dh_t alone."),
        ("f", {"C_prev": zero},
         "With C_prev = 0 the forget gate has nothing to scale, so",
         "the forget gate's gradient is proportional to what it scales, C_prev."),
        ("C", probe.layers(i=SHUT),
         "With the input gate shut (params['b_i'] = -40) the candidate is never written, so",
         "the candidate reaches the loss only through the input gate that scales it."),
        ("i", probe.layers(C=0.0),
         "With the candidate 0 (params['W_C'] = 0, params['b_C'] = 0) the input gate writes "
         "nothing, so", "the input gate's gradient is proportional to what it scales, C_tilde."),
    )
    for letter, changes, setting, reason in partners:
        grads = probe.analytic(**changes)
        own = np.concatenate([grads[f"W_{letter}"].ravel(), grads[f"b_{letter}"]])
        if not _vanishes(own):
            raise CheckFailure(f"{setting} grads['W_{letter}'] and grads['b_{letter}'] must be 0; "
                               f"yours are not (largest {_largest(own)}): {reason}")
    # The shared input [h_prev, x_t]: its gradient splits into h_prev's and x_t's columns.
    W_names = [f"W_{letter}" for letter in "fiCo"]
    no_h = {k: np.concatenate([np.zeros((H, H)), probe.base[k][:, H:]], axis=1) for k in W_names}
    no_x = {k: np.concatenate([probe.base[k][:, :H], np.zeros((H, D))], axis=1) for k in W_names}
    for changes, gradient, block, shown in ((no_h, "h_prev", "first H", "h_prev"),
                                            (no_x, "x_t", "last D", "x_t")):
        got = probe.analytic(**changes)[gradient]
        if not _vanishes(got):
            raise CheckFailure(
                f"With the {block} columns of every W set to zero no layer sees {shown}, so "
                f"d{gradient} must be 0; yours is not (largest {_largest(got)}): your d{gradient} "
                f"is not taken from the columns of d[h_prev, x_t] that belong to {shown} (h_prev "
                "comes first, then x_t).")
    for letter in "fiCo":
        only = {k: (probe.base[k] if k == f"W_{letter}" else np.zeros((H, H + D))) for k in W_names}
        got, numerical = probe.analytic(**only), probe.numerical(**only)
        if not (_agrees(got["h_prev"], numerical["h_prev"])
                and _agrees(got["x_t"], numerical["x_t"])):
            raise CheckFailure(
                f"With only W_{letter} non-zero (the other layers' weights 0), h_prev and x_t reach "
                f"the loss through {LAYERS[letter]} alone, and your dh_prev and dx_t disagree with "
                f"central differences of your lstm_step there: the gradient through "
                f"{LAYERS[letter]} is missing from them. All four layers read [h_prev, x_t], so "
                "each one sends its share back.")
    # A doubled batch: every example adds its share to a parameter's gradient.
    double = {k: np.concatenate([probe.base[k]] * 2) for k in ("dh_t", "dC_t", "x_t", "h_prev",
                                                               "C_prev")}
    once, twice = probe.analytic(), probe.analytic(**double)
    same = [k for k in PARAMS if not _agrees(twice[k], 2 * once[k]) and _agrees(twice[k], once[k])]
    other = [k for k in PARAMS if not _agrees(twice[k], 2 * once[k]) and k not in same]
    if same or other:
        keys = ", ".join(f"grads['{k}']" for k in same or other)
        verdict = ("stay the same: they are averaged over the batch" if same else "do not double")
        raise CheckFailure(
            f"With every example given twice (the batch doubled) every parameter's gradient must "
            f"double, since each copy adds its share; your {keys} {verdict}. A parameter used by "
            "every example of the batch gets the sum of their gradients.")
    raise _report("lstm_step_backward", errors, "lstm_step")


def check_lstm_step_backward(lstm_step_backward, parts):
    """Visible test of lstm_step_backward (N=3, D=4, H=2): shapes, the gradient check against
    central differences of the learner's lstm_step, and the recorded values. `parts` holds the
    learner's lstm_step and its pieces ({"sigmoid": ..., ..., "lstm_step": ...}, STEP_PARTS);
    lstm_step_backward is judged once they pass their tests."""
    if _waits_for("lstm_step_backward", parts, STEP_PARTS):
        return
    inputs, expected = case(LESSON, "lstm_step_backward")
    probe = _StepProbe(lstm_step_backward, parts["lstm_step"], inputs)
    got = probe.analytic()
    errors = probe.errors()
    if any(not e < TOLERANCE for e in errors.values()):
        _diagnose_step_backward(probe, errors)
    _same_as_recorded("lstm_step_backward", got, expected, ("x_t", "h_prev", "C_prev"))
    passed("lstm_step_backward")


def _same_as_recorded(name, got, expected, names):
    recorded = dict(zip(names, expected[:3]), **expected[3])
    for key, value in recorded.items():
        if not close(got[key], value):
            raise CheckFailure(
                f"{name} passes the gradient check but d{key} differs from the recorded answer "
                f"(largest difference {np.max(np.abs(got[key] - value)):.3g}): compute in float64 "
                "and follow the formulas exactly.")


# --- lstm_backward ---------------------------------------------------------------------------

class _SequenceProbe(_Probe):
    """lstm_backward against central differences of lstm_forward (loss sum(hs * dhs))."""
    NAME, LABELS = "lstm_backward", ("dx", "dh0", "dC0")
    UPSTREAM, STATES = ("dhs",), ("x", "h0", "C0")

    def _backward(self, v, params):
        return call(self.backward, self.NAME, {**{k: v[k] for k in self.UPSTREAM + self.STATES},
                                               "params": params})

    def _forward(self, arrays):
        result = call(self.forward, "lstm_forward", {"x": arrays["x"], "h0": arrays["h0"],
                                                     "C0": arrays["C0"],
                                                     "params": {k: arrays[k] for k in PARAMS}})
        return np.asarray(result[0], dtype=float)

    def _upstream(self, v):
        return v["dhs"]

    def no_h_columns(self):
        """Every W with its first H columns (those acting on h_{t-1}) set to zero."""
        return {f"W_{g}": np.concatenate([np.zeros((self.H, self.H)),
                                          self.base[f"W_{g}"][:, self.H:]], axis=1)
                for g in "fiCo"}


def _diagnose_backward(probe, step_backward, errors):
    """Raise the most specific failure for an lstm_backward that fails the gradient check."""
    N, H = probe.N, probe.H
    dhs = probe.base["dhs"]
    first_only = np.zeros_like(dhs)
    first_only[0] = dhs[0]
    later = probe.analytic(dhs=first_only)["x"][1:]
    if not _vanishes(later):
        raise CheckFailure(
            "With a loss on h_1 alone (dhs[1:] = 0) your dx has gradient at the later steps x_2 .. "
            f"x_T (largest {_largest(later)}), which come after h_1 and cannot change it: the "
            "gradient must run backward in time, from step T down to step 1.")
    dark = probe.analytic(**probe.layers(o=SHUT))["C0"]
    if not _vanishes(dark):
        raise CheckFailure(
            "With the output gate shut at every step (params['b_o'] = -40, o_t = 0 to machine "
            "precision) the cell state never reaches h, and the loss is on h alone, so dC0 must be "
            f"0; yours is not (largest {_largest(dark)}). The cell state receives no gradient from "
            "outside: only what step t+1 sends back to it and what comes to it through h_t.")
    last_only = np.zeros_like(dhs)
    last_only[-1] = dhs[-1]
    belt = dict(dhs=last_only, **probe.no_h_columns())
    if _vanishes(probe.analytic(**belt)["x"][:-1]) and \
            not _vanishes(probe.numerical(**belt)["x"][:-1]):
        raise CheckFailure(
            "With the h_prev columns of every W set to zero, the only way from the earlier inputs "
            "x_1 .. x_{T-1} to a loss on h_T is along the cell state, C_t -> C_{t+1} -> ... -> "
            "C_T, and central differences of your lstm_forward show gradient there; your dx is 0 "
            "at those steps. The gradient that step t+1 sends back to the cell state (its "
            "dC_prev) must go into step t.")
    forgetful = dict(dhs=last_only, **probe.layers(f=SHUT))
    if _vanishes(probe.analytic(**forgetful)["x"][:-1]) and \
            not _vanishes(probe.numerical(**forgetful)["x"][:-1]):
        raise CheckFailure(
            "With the forget gate shut at every step (params['b_f'] = -40) each cell state forgets "
            "the one before, so the only way from the earlier inputs x_1 .. x_{T-1} to a loss on "
            "h_T is through the hidden states h_t .. h_{T-1}, and central differences of your "
            "lstm_forward show gradient there; your dx is 0 at those steps. The gradient that "
            "step t+1 sends back to h_t (its dh_prev) must be added to dhs[t-1] at step t.")
    base = probe.analytic()
    for state in ("h0", "C0"):
        moved = probe.analytic(**{state: probe.base[state] + 0.5})
        if all(close(moved[k], base[k]) for k in ("x",) + PARAMS):
            raise CheckFailure(
                f"Your dx and weight gradients do not change when {state} changes, but {state} "
                "feeds step 1 (and through it every later step): the first step's previous states "
                "are h0 and C0, the initial states passed in.")
    numerical = probe.numerical()
    for state in ("h0", "C0"):
        if np.all(base[state] == 0) and not _vanishes(numerical[state]):
            raise CheckFailure(f"Your d{state} is 0, but central differences of your lstm_forward "
                               f"show that {state} moves the loss: return the gradient that leaves "
                               "step 1 towards it.")
    one = {"dhs": dhs[:1], "x": probe.base["x"][:1]}
    got, numerical = probe.analytic(**one), probe.numerical(**one)
    if not all(_agrees(got[k], numerical[k]) for k in got):
        x_1, h0, C0 = one["x"][0], probe.base["h0"], probe.base["C0"]
        params = {k: probe.base[k] for k in PARAMS}
        hs, Cs = call(probe.forward, "lstm_forward", {"x": one["x"], "h0": h0, "C0": C0,
                                                      "params": params})
        candidates = (((np.asarray(hs)[0], np.asarray(Cs)[0]),
                       "what your lstm_step_backward gives with h_1 and C_1, the step's own "
                       "outputs, as the previous states; at step t the previous states are "
                       "h_{t-1} and C_{t-1}, so at t = 1 h0 and C0 (hs[-1] is the last state, not "
                       "h0)"),
                      ((np.zeros_like(h0), np.zeros_like(C0)),
                       "what your lstm_step_backward gives from zero states; at the first step the "
                       "previous states are h0 and C0"))
        for (h_prev, C_prev), explanation in candidates:
            step = call(step_backward, "lstm_step_backward",
                        {"dh_t": dhs[0], "dC_t": np.zeros((N, H)), "x_t": x_1, "h_prev": h_prev,
                         "C_prev": C_prev, "params": params})
            if all(close(np.asarray(a, dtype=float), g) for a, g in
                   zip(step[:3], (got["x"][0], got["h0"], got["C0"]))) and \
                    all(close(np.asarray(step[3][k], dtype=float), got[k]) for k in PARAMS):
                raise CheckFailure(f"With a one-step sequence (T = 1) your lstm_backward returns "
                                   f"{explanation}.")
        raise CheckFailure(
            "With a one-step sequence (T = 1) your lstm_backward disagrees with central "
            "differences of your lstm_forward: with one step it is a single backward step from h0 "
            "and C0, with dhs[0] on h_1 and no gradient on C_1.")
    apart = {"dhs": last_only[-2:], "x": probe.base["x"][-2:], **probe.no_h_columns(),
             **probe.layers(f=SHUT)}
    got, numerical = probe.analytic(**apart), probe.numerical(**apart)
    weights = [k for k in PARAMS if not _agrees(got[k], numerical[k])]
    if weights and all(_vanishes(got[k]) for k in PARAMS):
        raise CheckFailure(
            "With two steps that cannot influence each other (the h_prev columns of every W zero, "
            "the forget gate shut) and a loss on h_2 alone, only step 2 contributes to the weight "
            "gradients; yours are all 0, so step 2's share was lost. Every W is used at every "
            "step: its gradient is the sum of every step's share.")
    raise _report("lstm_backward", errors, "lstm_forward",
                  "\nGo through the steps from t = T down to 1, each one with the gradients that "
                  "step t+1 sends back to h_t and C_t.")


def check_lstm_backward(lstm_backward, parts):
    """Visible test of lstm_backward (T=4, N=3, D=4, H=2, h0 and C0 not zero): shapes, the gradient
    check against central differences of the learner's lstm_forward (loss sum(hs * dhs)), and the
    recorded values. `parts` holds the functions it builds on (SEQUENCE_PARTS: the pieces,
    lstm_step, lstm_forward, lstm_step_backward); lstm_backward is judged once they pass their
    tests, so a wrong lstm_step_backward does not count against it here either."""
    if _waits_for("lstm_backward", parts, SEQUENCE_PARTS):
        return
    inputs, expected = case(LESSON, "lstm_backward")
    probe = _SequenceProbe(lstm_backward, parts["lstm_forward"], inputs)
    got = probe.analytic()
    errors = probe.errors()
    if any(not e < TOLERANCE for e in errors.values()):
        _diagnose_backward(probe, parts["lstm_step_backward"], errors)
    _same_as_recorded("lstm_backward", got, expected, ("x", "h0", "C0"))
    passed("lstm_backward")
