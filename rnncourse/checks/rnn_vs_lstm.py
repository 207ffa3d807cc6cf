"""Visible checks of lesson 05: the adding problem's data, judged by its properties (it is random,
so there is no single right array), and the baseline's exact value. The grader's hidden tests run
the same property checks on more shapes and seeds."""
import numbers

import numpy as np

from .common import CheckFailure, call, expect_array, passed


def _generate(adding_problem, T, N, seed):
    result = call(adding_problem, "adding_problem",
                  {"T": T, "N": N, "rng": np.random.default_rng(seed)})
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("adding_problem should return a tuple (x, y).")
    x = expect_array(np.asarray(result[0]) if isinstance(result[0], list) else result[0],
                     (T, N, 2), "adding_problem: x",
                     {(N, T, 2): "x is time-major: shape (T, N, 2), x[t] the batch at step t."})
    y = expect_array(result[1], (N, 1), "adding_problem: y",
                     {(N,): "y is a column, shape (N, 1): use y[:, None] or keepdims."})
    return x, y


def adding_problem_failures(adding_problem, T, N, seed=0):
    """Raise CheckFailure if adding_problem(T, N, rng) breaks a property of the adding problem:
    shapes (T, N, 2) and (N, 1); values in [0, 1); exactly two markers, one at a 0-based step
    t < T // 2 and one at t >= T // 2; y the sum of the marked values; all randomness from rng."""
    x, y = _generate(adding_problem, T, N, seed)
    values, markers = x[:, :, 0], x[:, :, 1]
    if np.any(values < 0) or np.any(values >= 1):
        raise CheckFailure("Channel 0 holds the values, uniform in [0, 1) (rng.uniform(0, 1, ...) "
                           f"or rng.random(...)); yours range from {values.min():.3g} to "
                           f"{values.max():.3g}.")
    if not np.all((markers == 0) | (markers == 1)):
        raise CheckFailure("Channel 1 holds the markers: only 0s and 1s.")
    count = markers.sum(axis=0)
    if not np.all(count == 2):
        raise CheckFailure(f"Every sequence needs exactly two markers (ones in channel 1); yours "
                           f"have between {int(count.min())} and {int(count.max())}. Two random "
                           "positions can coincide: draw one in each half.")
    half = T // 2
    if not (np.all(markers[:half].sum(axis=0) == 1) and np.all(markers[half:].sum(axis=0) == 1)):
        raise CheckFailure(f"One marker must be at a 0-based step t < T // 2 = {half} and the "
                           f"other at t >= {half} (T = {T}); yours are not always split that way.")
    if not np.allclose(y[:, 0], (values * markers).sum(axis=0), rtol=1e-12, atol=1e-12):
        raise CheckFailure("y must be the sum of the two marked values: (values * markers) "
                           "summed over time, one number per sequence.")
    again, _ = _generate(adding_problem, T, N, seed)
    if not np.array_equal(again, x):
        raise CheckFailure("The same seed gave different data: take every random number from "
                           "rng, the Generator passed in (rng.uniform, rng.integers), not from "
                           "np.random.")
    np.random.seed(seed + 1)        # data must not depend on numpy's global random state
    other_global, _ = _generate(adding_problem, T, N, seed)
    if not np.array_equal(other_global, x):
        raise CheckFailure("The data changes with numpy's global random state: use only rng, "
                           "the Generator passed in, not np.random.rand / np.random.randint.")


def spread_failures(adding_problem, T=10, N=4000, seed=1):
    """Marker positions and values over many sequences should cover what the task allows."""
    x, _ = _generate(adding_problem, T, N, seed)
    values, markers = x[:, :, 0], x[:, :, 1]
    used = set(np.nonzero(markers)[0].tolist())
    missing = sorted(set(range(T)) - used)
    if missing:
        raise CheckFailure(f"Over {N} sequences of length {T} no marker was ever at step(s) "
                           f"{missing}: every step t < T // 2 can hold the first marker and every "
                           "t >= T // 2 (up to T - 1) the second. rng.integers(low, high) "
                           "excludes high.")
    if abs(values.mean() - 0.5) > 0.02:
        raise CheckFailure(f"The values average {values.mean():.3f} over {N} sequences; uniform "
                           "in [0, 1) averages 0.5.")


def check_adding_problem(adding_problem):
    """Visible test of adding_problem: its properties on a few shapes, and the spread of markers
    and values over many sequences."""
    for T, N in ((10, 3), (7, 1), (100, 16)):
        adding_problem_failures(adding_problem, T, N)
    spread_failures(adding_problem)
    passed("adding_problem")


def check_baseline_mse(baseline_mse):
    """Visible test of baseline_mse: a number, exactly the MSE of always predicting 1.0."""
    if isinstance(baseline_mse, (bool, np.bool_)) or not isinstance(baseline_mse, numbers.Real):
        raise CheckFailure(f"baseline_mse should be a number, not {type(baseline_mse).__name__}.")
    value = float(baseline_mse)
    if np.isclose(value, 1 / 6, rtol=1e-12):
        passed("baseline_mse")
        return
    if np.isclose(value, 1 / 12, rtol=1e-9):
        raise CheckFailure("1/12 is the variance of one uniform value; the target is the sum of "
                           "two independent ones.")
    if abs(value - 1 / 6) < 0.01:
        raise CheckFailure(f"{value:.5f} looks like an estimate from samples. Derive it exactly: "
                           "E[(y - 1)^2] with y the sum of two independent U[0, 1) values.")
    raise CheckFailure(f"baseline_mse = {value:.5g} is not the mean squared error of always "
                       "predicting 1.0: E[(y - 1)^2] where y = u1 + u2, u1, u2 ~ U[0, 1).")
