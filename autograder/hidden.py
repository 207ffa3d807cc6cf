"""Hidden tests: compare a learner's function with the reference on randomized inputs.

Hidden test cells call `rnncourse.grading.hidden_check("rnn_step", rnn_step)`; while grading,
`autograder/checker.py` runs `check_against_reference` in the grading process with the learner's
function called in the sandboxed kernel (and in this process when a solution is run by hand).

Each graded function is judged on its own: where it may call another graded function of the
learner's (rnn_forward calls rnn_step), the reference version is put in its place for the check,
so one mistake costs the points of one test.
"""
import warnings

import numpy as np

from rnncourse.checks.common import copy_value, same_value
from rnncourse.grading import HiddenTestFailure, swapped_globals  # one class on both sides

from .cases import ARGUMENTS, cases
from .reference import REFERENCE

# Graded functions that a learner's function may call by name.
DEPENDS = {
    "rnn_forward": ["rnn_step"],
    "rnn_backward": ["rnn_step_backward"],
    "rnn_backward_truncated": ["rnn_step_backward", "rnn_backward"],
    "gradient_norms": ["step_jacobian"],
    "forget_gate": ["sigmoid"],
    "input_gate": ["sigmoid"],
    "output_gate": ["sigmoid"],
    "lstm_step": ["sigmoid", "forget_gate", "input_gate", "candidate_cell", "cell_update",
                  "output_gate", "hidden_state"],
    "lstm_forward": ["lstm_step", "sigmoid", "forget_gate", "input_gate", "candidate_cell",
                     "cell_update", "output_gate", "hidden_state"],
    "lstm_step_backward": ["lstm_step", "sigmoid", "forget_gate", "input_gate", "candidate_cell",
                           "cell_update", "output_gate", "hidden_state"],
    "lstm_backward": ["lstm_step_backward", "lstm_forward", "lstm_step", "sigmoid", "forget_gate",
                      "input_gate", "candidate_cell", "cell_update", "output_gate",
                      "hidden_state"],
}

# Graded functions that must not warn (a RuntimeWarning is a failure, not just stderr output that
# the grading configuration ignores): the numerically stable sigmoid.
NO_WARNINGS = {"sigmoid"}

RTOL = 1e-9
ATOL = 1e-12


def _reference_dependencies(name, fn):
    """Temporarily put the reference versions of `name`'s dependencies into fn's globals."""
    return swapped_globals(fn, {dep: REFERENCE[dep] for dep in DEPENDS.get(name, [])})


def _as_plain_array(value, what):
    """A plain float64 ndarray copy of `value`, or a failure if it is not an array of numbers."""
    if not isinstance(value, np.ndarray):
        raise HiddenTestFailure(f"{what} is a {type(value).__name__}, expected a numpy array")
    try:
        return np.array(np.asarray(value).view(np.ndarray), dtype=np.float64, copy=True)
    except (TypeError, ValueError) as err:
        raise HiddenTestFailure(f"{what} is not an array of numbers ({err})") from None


def _compare(name, got, expected, where):
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            raise HiddenTestFailure(
                f"{name} should return a tuple of {len(expected)} values {where}")
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(f"{name}[{i}]", g, e, where)
        return
    if isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise HiddenTestFailure(
                f"{name} should be a dict with the keys {sorted(expected)} {where}")
        for key in expected:
            _compare(f"{name}[{key!r}]", got[key], expected[key], where)
        return
    if isinstance(expected, float):
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.number)) \
                and not (isinstance(got, np.ndarray) and got.shape == ()):
            raise HiddenTestFailure(f"{name} is a {type(got).__name__}, expected a number {where}")
        got = float(got)
        if not np.isclose(got, expected, rtol=RTOL, atol=ATOL):
            raise HiddenTestFailure(
                f"{name} differs from the expected value {where} (got {got:.6g}, "
                f"expected {expected:.6g})")
        return
    got = _as_plain_array(got, f"the result of {name} {where}")
    if got.shape != expected.shape:
        raise HiddenTestFailure(
            f"{name} returned shape {got.shape}, expected {expected.shape} {where}")
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
        worst = np.max(np.abs(got - expected))
        raise HiddenTestFailure(
            f"{name} differs from the expected values {where} (largest difference {worst:.3g})")


def matches(got, expected):
    """Does `got` equal a reference result (arrays, numbers, tuples and dicts of them)?"""
    try:
        _compare("result", got, expected, "")
    except HiddenTestFailure:
        return False
    return True


def _adding_problem(fn):
    """The adding problem's data is random: judge its properties on more shapes and seeds than
    the visible test (T = 2 and odd T included) and the spread of markers over many sequences."""
    from rnncourse.checks.common import CheckFailure
    from rnncourse.checks.rnn_vs_lstm import adding_problem_failures, spread_failures

    for seed, (T, N) in enumerate([(2, 1), (3, 5), (11, 64), (101, 7), (200, 3)]):
        try:
            adding_problem_failures(fn, T, N, seed=seed + 11)
        except CheckFailure as failure:
            raise HiddenTestFailure(f"adding_problem on a hidden case (T={T}, N={N}): "
                                    f"{failure}") from None
        except Exception as err:  # the learner's code failed: say how, without our frames
            raise HiddenTestFailure(f"adding_problem raised {type(err).__name__}: {err} on a "
                                    f"hidden case (T={T}, N={N})") from None
    for T in (9, 12):
        try:
            spread_failures(fn, T=T, N=3000, seed=T)
        except (CheckFailure, Exception) as failure:
            raise HiddenTestFailure(f"adding_problem on a hidden case (T={T}): {failure}") from None


# Graded functions whose results are random: checked by their properties, not against values.
PROPERTIES = {"adding_problem": _adding_problem}


def check_against_reference(name, fn, seed=0):
    """Compare the learner's `fn` with the reference `name` on every case; raise on the first miss.
    A graded value (not a function) is compared with the reference value."""
    reference = REFERENCE[name]
    if not callable(reference):
        if callable(fn):
            raise HiddenTestFailure(f"{name} should be a number, not a function")
        _compare(name, fn, reference, "")
        return
    if not callable(fn):
        raise HiddenTestFailure(f"{name} is not a function")
    if name in PROPERTIES:
        with _reference_dependencies(name, fn):
            PROPERTIES[name](fn)
        return
    for description, args in cases(name, seed):
        where = f"on a hidden case ({description})"
        expected = reference(*[copy_value(a) for a in args])
        given = [copy_value(a) for a in args]
        with _reference_dependencies(name, fn), warnings.catch_warnings():
            if name in NO_WARNINGS:
                warnings.simplefilter("error")
            try:
                got = fn(*given)
            except NotImplementedError:
                raise HiddenTestFailure(f"{name} is not written yet") from None
            except Warning as warning:
                raise HiddenTestFailure(
                    f"{name} warned {type(warning).__name__}: {warning} {where}; it must "
                    "not overflow for any input") from None
            except Exception as err:  # the learner's code failed: say how, without our frames
                raise HiddenTestFailure(
                    f"{name} raised {type(err).__name__}: {err} {where}") from None
        for arg_name, before, after in zip(ARGUMENTS[name], args, given):
            if not same_value(after, before):
                raise HiddenTestFailure(
                    f"{name} modified its argument {arg_name} {where}; "
                    "functions must return new arrays and leave their inputs unchanged")
        _compare(name, got, expected, where)
