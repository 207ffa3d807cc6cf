"""Calling the learner's functions from an explorer: a failure names the function and what went
wrong, so the explorer can say it in its status line instead of raising."""
import numpy as np


class LearnerCodeFailed(Exception):
    """One of the learner's functions raised, or returned something of the wrong shape."""

    def __init__(self, name, message):
        self.name, self.message = name, message
        super().__init__(f"your {name} {message}")


def run_learner(name, fn, *args):
    """fn(*args), with any exception turned into LearnerCodeFailed naming `name`."""
    try:
        return fn(*args)
    except Exception as err:  # the learner's code is still being written: name the culprit
        raise LearnerCodeFailed(name, f"raised {type(err).__name__}: {err}") from err


def shaped(name, value, shape, letters):
    """`value` as a float array of `shape` (described by `letters`, e.g. "hs (T, N, H)")."""
    value = np.asarray(value, dtype=float)
    if value.shape != shape:
        raise LearnerCodeFailed(name, f"returned shape {value.shape}, expected {letters} = {shape}")
    return value
