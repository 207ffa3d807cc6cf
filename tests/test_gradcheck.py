"""The learners' gradient-checking helper agrees with analytic gradients."""
import numpy as np

from rnncourse.gradcheck import numerical_gradient, relative_error


def test_numerical_gradient_of_a_matrix_product():
    rng = np.random.default_rng(0)
    x, W, dy = rng.normal(size=(3, 4)), rng.normal(size=(5, 4)), rng.normal(size=(3, 5))
    x_before = x.copy()
    numeric = numerical_gradient(lambda: np.tanh(x @ W.T), x, dy)
    analytic = ((1 - np.tanh(x @ W.T) ** 2) * dy) @ W
    assert relative_error(numeric, analytic) < 1e-7
    np.testing.assert_array_equal(x, x_before)


def test_scalar_function_and_relative_error():
    x = np.array([1.0, -2.0, 0.5])
    assert relative_error(numerical_gradient(lambda: np.sum(x ** 3), x), 3 * x ** 2) < 1e-8
    assert relative_error([1.0], [1.0]) == 0.0
    assert abs(relative_error([1.0], [3.0]) - 0.5) < 1e-12
