"""Reference answers of lesson 05 (RNN vs LSTM on the adding problem).

The adding problem (Hochreiter & Schmidhuber, 1997; the variant of Le et al., 2015 and Arjovsky et
al., 2016): a sequence of T pairs (value, marker); values uniform in [0, 1); exactly two markers
are 1, one in the first half of the sequence and one in the second; the target is the sum of the
two marked values.
"""
import numpy as np


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
