"""What every friendly check needs: calling the learner's function safely and saying what is wrong."""
import os
import types

import numpy as np

from ..recorded import case

# Frames from files under these folders are left out of the traceback a learner sees: the course's
# own checks (how a check works is not the learner's business, and its source would show hints
# about mistakes the learner did not make) and IPython's machinery around the cell.
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def _without_course_frames(tb, hidden):
    """A new traceback chain of tb's frames minus those whose file lies under a folder in
    `hidden` (the frames themselves are shared, not copied)."""
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_code.co_filename.startswith(hidden):
            kept.append(tb)
        tb = tb.tb_next
    chain = None
    for old in reversed(kept):
        chain = types.TracebackType(chain, old.tb_frame, old.tb_lasti, old.tb_lineno)
    return chain


class CheckFailure(AssertionError):
    """A visible test failed; the message says what to look at.

    In IPython (a notebook) the traceback shows only the learner's own frames, the test cell's
    line and, when the learner's code raised, where it did, followed by the message: IPython asks
    an exception for `_render_traceback_` before it formats one itself."""

    def _render_traceback_(self):
        import IPython

        shell = IPython.get_ipython()
        if shell is None:                       # not in IPython: the standard traceback
            import traceback
            return traceback.format_exception(type(self), self, self.__traceback__)
        hidden = (_PACKAGE, os.path.dirname(os.path.abspath(IPython.__file__)) + os.sep)
        error, seen = self, set()
        while error is not None and id(error) not in seen:     # this failure and its causes
            seen.add(id(error))
            error.__traceback__ = _without_course_frames(error.__traceback__, hidden)
            error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
        return shell.InteractiveTB.structured_traceback(type(self), self, self.__traceback__,
                                                        tb_offset=0)


SHAPE_WORDS = ("matmul", "shapes", "broadcast", "aligned", "dimension")
# What numpy says when an array meets a function that takes one number (math.tanh(array)).
SCALAR_WORDS = ("only 0-dimensional arrays", "only size-1 arrays", "only length-1 arrays")


def _not_written(name, err):
    """Say which function is still blank: `name` itself or one that it calls."""
    tb = err.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    blank = tb.tb_frame.f_code.co_name
    if blank in (name, "<module>", "call"):
        return f"{name} is not written yet: replace `raise NotImplementedError()` with your code."
    return f"{name} calls {blank}, which is not written yet: write {blank} first."


# The slope probe of lessons 02 and 03: every unit of h_t at this value, where tanh's slope is
# 1 - LEVEL**2 = 0.64 (and 1 at h_t = 0); the ratio of two results names the slope a learner used.
LEVEL = 0.6


def factor_of(a, b):
    """c if a equals c * b (up to rounding), else None; None also when b is zero."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape or not np.any(b):
        return None
    c = float(np.vdot(a, b) / np.vdot(b, b))
    return c if np.allclose(a, c * b, rtol=1e-7, atol=1e-9 * np.abs(b).max()) else None


def slope_words(measured):
    """What a slope measured at h_t = LEVEL says about the formula behind it, or None if it is
    none of the usual slips (tanh's own slope there is 1 - LEVEL**2)."""
    forms = {1 - LEVEL: "1 - h_t: the square is missing",
             (1 - LEVEL) ** 2: "(1 - h_t)**2: the square belongs to h_t alone",
             1 - np.tanh(LEVEL) ** 2: "1 - tanh(h_t)**2: h_t is already the output of tanh, so "
                                      "tanh is not applied again",
             LEVEL * (1 - LEVEL): "h_t * (1 - h_t): the slope of the sigmoid",
             -(1 - LEVEL ** 2): "-(1 - h_t**2): the sign is flipped"}
    for value, words in forms.items():
        if np.isclose(measured, value):
            return words
    return None


def copy_value(value):
    """A deep copy of an argument: arrays copied, dicts key by key, numbers as they are."""
    if isinstance(value, dict):
        return {key: copy_value(v) for key, v in value.items()}
    return value.copy() if isinstance(value, np.ndarray) else value


def same_value(a, b):
    """Are two arguments identical (same type, shape, keys and every value)?"""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def call(fn, name, inputs):
    """Call fn with copies of `inputs` (a dict, in argument order) and return its result.

    Fails with a hint if fn is not written yet, raises, or changes one of its arguments.
    """
    if not callable(fn):
        raise CheckFailure(f"{name} should be a function, but it is a {type(fn).__name__}.")
    given = {k: copy_value(v) for k, v in inputs.items()}
    try:
        result = fn(*given.values())
    except NotImplementedError as err:
        raise CheckFailure(_not_written(name, err)) from None
    except TypeError as err:
        hint = ""
        if any(words in str(err) for words in SCALAR_WORDS):
            hint = ("" if str(err).endswith(".") else ".") + (
                " A function made for one number (from `math`, or float()) was given an array: "
                "numpy's functions (np.tanh, np.exp, ...) work on whole arrays.")
        raise CheckFailure(f"{name} raised TypeError: {err}{hint}") from err
    except (ValueError, IndexError) as err:
        shapes = ", ".join(f"{k} {np.shape(v)}" for k, v in inputs.items())
        hint = ""
        if any(word in str(err) for word in SHAPE_WORDS):
            hint = (" The shapes do not line up. In code each row is one example, so a weight "
                    "matrix W of shape (H, D) acts on a batch as `x @ W.T`.")
        raise CheckFailure(f"{name} raised {type(err).__name__} with {shapes}.{hint}") from err
    for arg, before in inputs.items():
        if not same_value(before, given[arg]):
            raise CheckFailure(
                f"{name} changed its argument `{arg}` in place. Functions must leave their "
                "inputs alone: build new arrays (for example `h = h + ...`, not `h += ...` on an "
                "argument or a view of it).")
    return result


def expect_array(result, shape, name, hints=None):
    """`result` as a float64 array of `shape`, or a failure naming what came back instead."""
    if not isinstance(result, np.ndarray):
        extra = " Did you forget `return`?" if result is None else ""
        raise CheckFailure(f"{name} returned {type(result).__name__}, expected a numpy array "
                           f"of shape {shape}.{extra}")
    if result.shape != shape:
        hint = (hints or {}).get(result.shape, "")
        raise CheckFailure(f"{name} returned shape {result.shape}, expected {shape}. {hint}".rstrip())
    if result.dtype != np.float64:
        raise CheckFailure(f"{name} returned an array of {result.dtype}; keep float64 (the inputs' "
                           "type) so that no precision is lost.")
    return np.asarray(result, dtype=np.float64)


def close(a, b):
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12)


def reproduces(fn, lesson, name):
    """Does fn give the recorded answer on its recorded case? (any failure counts as no)

    Used where one graded function is checked only once another one that it may call is right."""
    inputs, expected = case(lesson, name)
    try:
        got = call(fn, name, inputs)
        if isinstance(expected, tuple):
            return isinstance(got, tuple) and len(got) == len(expected) and all(
                close(np.asarray(g, dtype=float), e) for g, e in zip(got, expected))
        return close(np.asarray(got, dtype=float), expected)
    except Exception:  # any failure of fn, including changing its arguments
        return False


def mismatch(name, got, expected, what="the recorded answer"):
    """A failure that shows where and by how much the values differ."""
    with np.printoptions(precision=4, suppress=True):
        return CheckFailure(
            f"{name} runs and has the right shape, but its values differ from {what} "
            f"(largest difference {np.max(np.abs(got - expected)):.3g}).\n"
            f"expected:\n{expected}\ngot:\n{got}")


def passed(name):
    print(f"{name}: all visible checks passed.")
