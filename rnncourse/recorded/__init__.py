"""Recorded inputs and expected outputs for the visible tests (written by the grading side's
`python -m autograder.record` from the reference implementation; never edit by hand)."""
import functools
import json
import pathlib

import numpy as np


def _arrays(value):
    return {k: np.array(v, dtype=np.float64) for k, v in value.items()}


@functools.lru_cache(maxsize=None)
def _load(lesson):
    return json.loads((pathlib.Path(__file__).parent / f"{lesson}.json").read_text())


def case(lesson, name):
    """(inputs, expected): inputs a dict of fresh float64 arrays in the graded API's order."""
    entry = _load(lesson)[name]
    expected = entry["expected"]
    return _arrays(entry["inputs"]), np.array(expected, dtype=np.float64)
