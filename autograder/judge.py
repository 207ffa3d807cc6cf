"""Judge a learner's answer against the reference: the comparison of a hidden test.

`judge(name, fn)` is called by the checker (autograder/checker.py, its only caller) with the
learner's function as a `RemoteFunction`: each call runs in the learner's kernel under the
entry's policy (the reference in place of the graded functions it may call, warnings as errors
where the entry says so), and comes back as plain data. The judge makes the cases, calls, and
compares; a miss raises `Failure` with a message that names the case, never the hidden code.
"""
import numpy as np

from rnncourse.checks.common import copy_value, same_value

from .graded import Failure
from .lessons import GRADED

RTOL = 1e-9
ATOL = 1e-12


def judge(name, fn, seed=0):
    """Compare the learner's `fn` with the reference `name` on every case; raise Failure on the
    first miss. A graded value (not a function) is compared with the reference value."""
    entry = GRADED[name]
    if not callable(entry.reference):
        if callable(fn):
            raise Failure(f"{name} should be a number, not a function")
        _compare(name, fn, entry.reference, "")
        return
    if not callable(fn):
        raise Failure(f"{name} is not a function")
    if entry.properties is not None:
        entry.properties(fn)
        return
    for description, args in entry.cases(seed):
        where = f"on a hidden case ({description})"
        expected = entry.reference(*[copy_value(a) for a in args])
        given = [copy_value(a) for a in args]
        got = _call(name, fn, given, where)
        for arg_name, before, after in zip(entry.arguments, args, given):
            if not same_value(after, before):
                raise Failure(f"{name} modified its argument {arg_name} {where}; "
                              "functions must return new arrays and leave their inputs unchanged")
        _compare(name, got, expected, where)


def _call(name, fn, args, where):
    """fn(*args), or a Failure that says in the learner's terms how the call went wrong."""
    try:
        return fn(*args)
    except NotImplementedError:
        raise Failure(f"{name} is not written yet") from None
    except Warning as warning:
        raise Failure(f"{name} warned {type(warning).__name__}: {warning} {where}; it must "
                      "not overflow for any input") from None
    except Exception as err:  # the learner's code failed: say how, without our frames
        raise Failure(f"{name} raised {type(err).__name__}: {err} {where}") from None


def matches(got, expected):
    """Does `got` equal a reference result (arrays, numbers, tuples and dicts of them)?"""
    try:
        _compare("result", got, expected, "")
    except Failure:
        return False
    return True


def _compare(name, got, expected, where):
    if isinstance(expected, tuple):
        if not isinstance(got, tuple) or len(got) != len(expected):
            raise Failure(f"{name} should return a tuple of {len(expected)} values {where}")
        for i, (g, e) in enumerate(zip(got, expected)):
            _compare(f"{name}[{i}]", g, e, where)
    elif isinstance(expected, dict):
        if not isinstance(got, dict) or set(got) != set(expected):
            raise Failure(f"{name} should be a dict with the keys {sorted(expected)} {where}")
        for key in expected:
            _compare(f"{name}[{key!r}]", got[key], expected[key], where)
    elif isinstance(expected, float):
        _compare_number(name, got, expected, where)
    else:
        _compare_array(name, got, expected, where)


def _compare_number(name, got, expected, where):
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, float, np.number)) \
            and not (isinstance(got, np.ndarray) and got.shape == ()):
        raise Failure(f"{name} is a {type(got).__name__}, expected a number {where}")
    got = float(got)
    if not np.isclose(got, expected, rtol=RTOL, atol=ATOL):
        raise Failure(f"{name} differs from the expected value {where} (got {got:.6g}, "
                      f"expected {expected:.6g})")


def _compare_array(name, got, expected, where):
    got = _as_plain_array(got, f"the result of {name} {where}")
    if got.shape != expected.shape:
        raise Failure(f"{name} returned shape {got.shape}, expected {expected.shape} {where}")
    if not np.allclose(got, expected, rtol=RTOL, atol=ATOL):
        worst = np.max(np.abs(got - expected))
        raise Failure(f"{name} differs from the expected values {where} (largest difference "
                      f"{worst:.3g})")


def _as_plain_array(value, what):
    """A plain float64 ndarray copy of `value`, or a failure if it is not an array of numbers."""
    if not isinstance(value, np.ndarray):
        raise Failure(f"{what} is a {type(value).__name__}, expected a numpy array")
    try:
        return np.array(np.asarray(value).view(np.ndarray), dtype=np.float64, copy=True)
    except (TypeError, ValueError) as err:
        raise Failure(f"{what} is not an array of numbers ({err})") from None
