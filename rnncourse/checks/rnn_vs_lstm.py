"""Visible checks of lesson 05: the adding problem's data, judged by its properties (it is random,
so there is no single right array), and the baseline's exact value. The grader's hidden tests run
the same property checks on more shapes and seeds."""
import numbers
import re

import numpy as np

from .common import CheckFailure, call, expect_array, passed


def _generate(adding_problem, T, N, seed):
    try:
        result = call(adding_problem, "adding_problem",
                      {"T": T, "N": N, "rng": np.random.default_rng(seed)})
    except CheckFailure as failure:
        error = failure.__cause__
        past = re.search(r"index (-?\d+) is out of bounds for axis 0 with size (\d+)", str(error))
        if isinstance(error, IndexError) and past and int(past.group(1)) == T:
            raise CheckFailure(f"adding_problem raised IndexError ({error}) with T = {T}, N = {N}: "
                               f"a marker was put at step {T}, one past the end; the steps are "
                               f"0..T-1 = 0..{T - 1}, and rng.integers(low, high) never returns "
                               "high.") from error
        if isinstance(error, IndexError):
            raise CheckFailure(f"adding_problem raised IndexError ({error}) with T = {T}, N = {N}: "
                               f"the steps are 0..T-1 and the sequences 0..N-1.") from error
        raise
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("adding_problem should return a tuple (x, y).")
    x = expect_array(np.asarray(result[0]) if isinstance(result[0], list) else result[0],
                     (T, N, 2), "adding_problem: x",
                     {(N, T, 2): "x is time-major: shape (T, N, 2), x[t] the batch at step t."})
    over_time = "y has one entry per step: sum over time (axis 0), one number per sequence."
    y = expect_array(result[1], (N, 1), "adding_problem: y",
                     {(N,): "y is a column, shape (N, 1): use y[:, None] or keepdims.",
                      (T, 1): over_time, (T,): over_time})
    return x, y


def _marker_counts(markers, half):
    """Words about sequences that do not have exactly two markers."""
    count = markers.sum(axis=0)
    T, N = markers.shape
    words = (f"Every sequence needs exactly two markers (ones in channel 1); yours have between "
             f"{int(count.min())} and {int(count.max())}.")
    full = [t for t in range(T) if N > 1 and np.all(markers[t] == 1)]
    if full:
        return (f"{words} Step {full[0]} is marked in every sequence of the batch: a marker "
                "belongs to one sequence, markers[t, n] for sequence n (markers[t] = 1 marks step "
                "t of them all).")
    if count.min() < 2 and count.max() <= 2:
        both = all(markers[:half, n].sum() == 0 or markers[half:, n].sum() == 0
                   for n in range(N) if count[n] < 2)
        if both:
            return (f"{words} Where one is missing, the two positions fell on the same step: draw "
                    "one in each half, and they can never coincide.")
    return words


def adding_problem_failures(adding_problem, T, N, seed=0):
    """Raise CheckFailure if adding_problem(T, N, rng) breaks a property of the adding problem:
    shapes (T, N, 2) and (N, 1); values in [0, 1); exactly two markers, one at a 0-based step
    t < T // 2 and one at t >= T // 2; y the sum of the marked values; all randomness from rng
    (the same seed gives the same data, another seed other data, numpy's global state none)."""
    x, y = _generate(adding_problem, T, N, seed)
    values, markers = x[:, :, 0], x[:, :, 1]
    binary = lambda a: np.all((a == 0) | (a == 1))  # noqa: E731
    if binary(values) and not binary(markers):
        raise CheckFailure("Channel 0 holds only 0s and 1s and channel 1 does not: the channels "
                           "are swapped. Channel 0 holds the values, channel 1 the markers.")
    if np.any(values < 0) or np.any(values >= 1):
        raise CheckFailure("Channel 0 holds the values, uniform in [0, 1) (rng.uniform(0, 1, ...) "
                           f"or rng.random(...)); yours range from {values.min():.3g} to "
                           f"{values.max():.3g}.")
    if not np.all((markers == 0) | (markers == 1)):
        raise CheckFailure("Channel 1 holds the markers: only 0s and 1s.")
    half = T // 2
    if not np.all(markers.sum(axis=0) == 2):
        raise CheckFailure(_marker_counts(markers, half))
    if not (np.all(markers[:half].sum(axis=0) == 1) and np.all(markers[half:].sum(axis=0) == 1)):
        raise CheckFailure(f"One marker must be at a 0-based step t < T // 2 = {half} and the "
                           f"other at t >= {half} (T = {T}); yours are not always split that way.")
    if not np.allclose(y[:, 0], (values * markers).sum(axis=0), rtol=1e-12, atol=1e-12):
        if np.allclose(y[:, 0], (values * markers).mean(axis=0), rtol=1e-12, atol=1e-12):
            raise CheckFailure(f"y is the sum of the two marked values divided by T = {T}: a mean "
                               "over time; y must be the sum of the two marked values.")
        raise CheckFailure("y must be the sum of the two marked values: (values * markers) "
                           "summed over time, one number per sequence.")
    again, _ = _generate(adding_problem, T, N, seed)
    if not np.array_equal(again, x):
        raise CheckFailure("The same seed gave different data: take every random number from "
                           "rng, the Generator passed in (rng.uniform, rng.integers), not from "
                           "np.random.")
    other, _ = _generate(adding_problem, T, N, seed + 1)
    if np.array_equal(other, x):
        raise CheckFailure("Two different seeds gave the same data: the random numbers must come "
                           "from rng, the Generator passed in (a generator made inside the "
                           "function, or a fixed seed, ignores it).")
    np.random.seed(seed + 1)        # data must not depend on numpy's global random state
    other_global, _ = _generate(adding_problem, T, N, seed)
    if not np.array_equal(other_global, x):
        raise CheckFailure("The data changes with numpy's global random state: use only rng, "
                           "the Generator passed in, not np.random.rand / np.random.randint.")


def spread_failures(adding_problem, T=10, N=4000, seed=1):
    """Marker positions and values over many sequences should cover what the task allows."""
    x, _ = _generate(adding_problem, T, N, seed)
    values, markers = x[:, :, 0], x[:, :, 1]
    half = T // 2
    first = {int(t) for t in np.argmax(markers[:half], axis=0)}
    second = {int(t) + half for t in np.argmax(markers[half:], axis=0)}
    if N > 1 and len(first) == 1 and len(second) == 1:
        again, _ = _generate(adding_problem, T, N, seed + 1)
        moved = not np.array_equal(again[:, :, 1], markers)
        raise CheckFailure(
            f"All {N} sequences of the batch have their markers at the same two steps, "
            f"{first.pop()} and {second.pop()}"
            + (": the positions are drawn once for the whole batch; draw them for each sequence "
               "(one position per sequence in each half)." if moved else
               ", in every batch: the positions must be drawn at random, for each sequence."))
    used = first | second
    missing = sorted(set(range(T)) - used)
    if missing:
        why = ""
        if missing == [T - 1] or missing == [half - 1]:
            why = " rng.integers(low, high) excludes high."
        elif missing == [0]:
            why = " The first half starts at step 0."
        raise CheckFailure(f"Over {N} sequences of length {T} no marker was ever at step(s) "
                           f"{missing}: every step t < T // 2 can hold the first marker and every "
                           f"t >= T // 2 (up to T - 1) the second.{why}")
    if np.any(markers == 0) and np.all(values[markers == 0] == 0):
        raise CheckFailure("Channel 0 is zero at every step without a marker: the values fill "
                           "every step (uniform in [0, 1)), and the markers only say which two "
                           "of them count.")
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


def _baseline_finding(value):
    """What a wrong baseline_mse is, where its value tells."""
    if np.isclose(value, 1 / 12, rtol=1e-9):
        return ("1/12 is the variance of one uniform value; the target is the sum of two "
                "independent ones.")
    if np.isclose(value, 1 / 3, rtol=1e-9):
        return ("1/3 is E[(u - 1)^2] for a single uniform u (and also Var(2u) = 4 Var(u)): the "
                "target y = u1 + u2 is the sum of two independent values.")
    if np.isclose(value, 7 / 6, rtol=1e-9):
        return ("7/6 is E[y^2], the mean square of the target itself: the error of predicting 1.0 "
                "is y - 1.")
    if value == 0:
        return ("0 would mean that always predicting 1.0 is exactly right. y averages 1, but "
                "it varies around 1, and the mean squared error measures that spread.")
    if abs(value - 1 / 6) < 0.01:
        return (f"{value:.5f} is close, but not exact (a rounded decimal, or an estimate from "
                "samples). Derive it exactly: E[(y - 1)^2] with y the sum of two independent "
                "U[0, 1) values, and write it as a fraction.")
    if np.isclose(value ** 2, 1 / 6, rtol=1e-9):
        return (f"{value:.5g} is a root mean square (a standard deviation): the mean squared error "
                "takes no square root.")
    return (f"baseline_mse = {value:.5g} is not the mean squared error of always predicting 1.0: "
            "E[(y - 1)^2] where y = u1 + u2, u1, u2 ~ U[0, 1).")


def check_baseline_mse(baseline_mse):
    """Visible test of baseline_mse: a number, exactly the MSE of always predicting 1.0."""
    if isinstance(baseline_mse, np.ndarray) and baseline_mse.shape == () and \
            baseline_mse.dtype.kind in "iuf":
        baseline_mse = baseline_mse.item()
    if isinstance(baseline_mse, (bool, np.bool_)) or not isinstance(baseline_mse, numbers.Real):
        raise CheckFailure(f"baseline_mse should be a number, not {type(baseline_mse).__name__}.")
    value = float(baseline_mse)
    if np.isclose(value, 1 / 6, rtol=1e-12):
        passed("baseline_mse")
        return
    raise CheckFailure(_baseline_finding(value))
