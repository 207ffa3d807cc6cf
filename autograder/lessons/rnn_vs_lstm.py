"""Lesson 05 (RNN vs LSTM on the adding problem): the reference answers and one Graded entry per
graded name.

The adding problem (Hochreiter & Schmidhuber, 1997; the variant of Le et al., 2015 and Arjovsky et
al., 2016): a sequence of T pairs (value, marker); values uniform in [0, 1); exactly two markers
are 1, one in the first half of the sequence and one in the second; the target is the sum of the
two marked values.
"""
import numpy as np

from ..graded import Failure, Graded

ASSIGNMENT = "05_rnn_vs_lstm"
SHIPS = ("rnn_update", "bptt", "lstm_gates")


def adding_problem(T, N, rng):
    """N sequences of the adding problem: x (T, N, 2), y (N, 1).

    x[:, n, 0] values uniform in [0, 1); x[:, n, 1] markers: one 1 at a 0-based step t < T // 2,
    one at t >= T // 2, zeros elsewhere; y[n, 0] the sum of the two marked values. rng is a
    numpy.random.Generator: the same seed gives the same data. Needs T >= 2.
    """
    values = rng.uniform(0.0, 1.0, size=(T, N))
    first = rng.integers(0, T // 2, size=N)
    second = rng.integers(T // 2, T, size=N)
    markers = np.zeros((T, N))
    markers[first, np.arange(N)] = 1.0
    markers[second, np.arange(N)] = 1.0
    x = np.stack([values, markers], axis=2)
    y = (values * markers).sum(axis=0)[:, None]
    return x, y


# Always predicting 1.0: the sum of two independent U[0, 1) values has mean 1 and variance
# 2 * 1/12, so the mean squared error is 1/6.
baseline_mse = 1.0 / 6.0


# ----------------------------------------------------------------------------- hidden test

def _adding_problem_properties(fn):
    """The adding problem's data is random: judge its properties on more shapes and seeds than
    the visible test (T = 2 and odd T included) and the spread of markers over many sequences."""
    from rnncourse.checks.common import CheckFailure
    from rnncourse.checks.rnn_vs_lstm import adding_problem_failures, spread_failures

    for seed, (T, N) in enumerate([(2, 1), (3, 5), (11, 64), (101, 7), (200, 3)]):
        try:
            adding_problem_failures(fn, T, N, seed=seed + 11)
        except CheckFailure as failure:
            raise Failure(f"adding_problem on a hidden case (T={T}, N={N}): {failure}") from None
        except Exception as err:  # the learner's code failed: say how, without our frames
            raise Failure(f"adding_problem raised {type(err).__name__}: {err} on a hidden case "
                          f"(T={T}, N={N})") from None
    for T in (9, 12):
        try:
            spread_failures(fn, T=T, N=3000, seed=T)
        except (CheckFailure, Exception) as failure:
            raise Failure(f"adding_problem on a hidden case (T={T}): {failure}") from None


GRADED = [
    Graded("adding_problem", adding_problem, properties=_adding_problem_properties),
    Graded("baseline_mse", baseline_mse),          # a graded value, not a function
]
