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


def test_gradient_errors_flag_exactly_the_wrong_gradient(capsys):
    from rnncourse.gradcheck import gradient_errors, print_errors

    rng = np.random.default_rng(1)
    inputs = {"x": rng.normal(size=(3, 4)), "W": rng.normal(size=(5, 4))}
    dy = rng.normal(size=(3, 5))
    da = (1 - np.tanh(inputs["x"] @ inputs["W"].T) ** 2) * dy
    f = lambda: np.tanh(inputs["x"] @ inputs["W"].T)  # noqa: E731
    errors = gradient_errors(f, inputs, {"x": da @ inputs["W"], "W": 1.01 * da.T @ inputs["x"]}, dy)
    assert errors["x"] < 1e-8 and 1e-3 < errors["W"] < 1e-2
    assert gradient_errors(f, inputs, {"W": da @ inputs["W"]}, dy)["W"] == np.inf   # wrong shape
    print_errors(errors)
    out = capsys.readouterr().out
    assert "x: relative error" in out and out.count("ok") == 1 and "WRONG" in out
