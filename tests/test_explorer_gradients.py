"""Lesson 03's explorer: with the reference functions as the learner's, the trace measures what
the lesson claims (sigma^lag for a linear RNN, never above the bound for tanh), the plot shows
it, moving a control recomputes and redraws, and unfinished learner code is reported, not raised."""
import math

import numpy as np
import pytest

from autograder.reference.rnn_update import rnn_forward
from autograder.reference.vanishing_gradients import gradient_norms, jacobian_norm_bound
from rnncourse.explore import GradientExplorer, draw_gradients, gradient_trace
from rnncourse.explore.gradients import for_plot
from rnncourse.plots import new_figure

FUNCTIONS = (rnn_forward, gradient_norms, jacobian_norm_bound)


@pytest.mark.parametrize("sigma", [0.5, 0.7, 0.95, 1.0, 1.1, 1.3, 1.5])
def test_linear_rnn_with_orthogonal_weights_scales_by_sigma_per_step(sigma):
    trace = gradient_trace(*FUNCTIONS, sigma_max=sigma, T=40, nonlinearity="identity")
    slopes = np.diff(np.log(trace["norms"]))            # log ||dL/dh_{t+1}|| - log ||dL/dh_t||
    np.testing.assert_allclose(slopes, -math.log(sigma), atol=1e-10)
    assert trace["factor"] == pytest.approx(sigma, rel=1e-10)
    np.testing.assert_allclose(trace["norms"][-1], 1.0, rtol=1e-12)  # ||dL/dh_T|| = 1
    np.testing.assert_allclose(trace["norms"], trace["bound"], rtol=1e-10)   # the bound is tight
    np.testing.assert_allclose(trace["log_norms"], np.log10(trace["norms"]))
    np.testing.assert_array_equal(trace["steps"], np.arange(1, 41))


def test_identity_needs_no_forward_pass():
    def rnn_forward(*args):
        raise NotImplementedError()

    trace = gradient_trace(rnn_forward, gradient_norms, jacobian_norm_bound, sigma_max=0.8,
                           nonlinearity="identity")
    assert trace["regime"] == "vanishing" and trace["slope"] == 1.0


@pytest.mark.parametrize("sigma", [0.5, 0.8, 1.0, 1.2, 1.5])
@pytest.mark.parametrize("input_scale", [0.0, 0.3, 1.0, 3.0])
def test_tanh_norms_never_exceed_the_bound(sigma, input_scale):
    trace = gradient_trace(*FUNCTIONS, sigma_max=sigma, input_scale=input_scale, T=60)
    assert np.all(trace["norms"] <= trace["bound"] * (1 + 1e-10))
    np.testing.assert_allclose(trace["bound"], sigma ** (60.0 - trace["steps"]), rtol=1e-10)
    assert 0 < trace["slope"] <= 1


@pytest.mark.parametrize("sigma, regime", [(0.7, "vanishing"), (1.0, "stable/edge"),
                                           (1.3, "exploding")])
def test_regimes_are_named_right(sigma, regime):
    linear = gradient_trace(*FUNCTIONS, sigma_max=sigma, nonlinearity="identity")
    assert linear["regime"] == regime and linear["summary"].startswith(regime)
    # tanh without input stays at h = 0, where it is the linear RNN: the same names
    still = gradient_trace(*FUNCTIONS, sigma_max=sigma, input_scale=0.0, T=60)
    assert still["regime"] == regime and still["factor"] == pytest.approx(sigma, rel=1e-10)


@pytest.mark.parametrize("sigma, regime", [(0.7, "vanishing"), (1.0, "vanishing"),
                                           (1.3, "exploding")])
def test_tanh_slopes_below_one_shift_the_regimes(sigma, regime):
    """Small inputs: slopes 1 - h^2 a little below 1 make sigma = 1 vanish, and 1.3 explode less."""
    trace = gradient_trace(*FUNCTIONS, sigma_max=sigma, input_scale=0.1, T=60)
    assert trace["regime"] == regime and 0.6 < trace["slope"] < 1
    assert 0.5 * sigma < trace["factor"] < 0.99 * sigma


def test_tanh_saturation_makes_even_large_weights_vanish():
    """Inputs of scale 2 push the tanh units towards ±1: the slopes 1 - h^2 shrink the gradient
    although sigma_max > 1 (the bound's condition is necessary for explosion, not sufficient)."""
    trace = gradient_trace(*FUNCTIONS, sigma_max=1.3, input_scale=2.0, T=60)
    assert trace["regime"] == "vanishing" and trace["saturated"] and trace["slope"] < 0.5
    assert trace["norms"][0] < 1e-10 < 1e6 < trace["bound"][0]
    assert "saturated" in trace["summary"]
    calm = gradient_trace(*FUNCTIONS, sigma_max=1.3, input_scale=0.0, T=60)
    assert not calm["saturated"] and "saturated" not in calm["summary"]


def test_plot_shows_the_trace():
    trace = gradient_trace(*FUNCTIONS, sigma_max=0.6, T=80, input_scale=1.5)
    assert trace["norms"][0] < 1e-13         # some values leave the plot's range: clipped
    fig = draw_gradients(new_figure(), trace)
    ax = fig.axes[0]
    norms, bound = ax.lines[:2]
    np.testing.assert_array_equal(norms.get_xdata(), trace["steps"])
    np.testing.assert_array_equal(norms.get_ydata(), np.clip(trace["norms"], 1e-13, 1e13))
    np.testing.assert_array_equal(bound.get_ydata(), for_plot(trace["bound"]))
    np.testing.assert_array_equal(bound.get_xdata(), trace["steps"])
    assert trace["regime"] in fig._suptitle.get_text() and ax.get_yscale() == "log"
    assert ax.get_ylim() == pytest.approx((1e-12, 1e12))
    # a second draw updates the same lines
    other = gradient_trace(*FUNCTIONS, sigma_max=1.4, T=20, nonlinearity="identity")
    draw_gradients(fig, other)
    assert fig.axes[0] is ax and ax.lines[0] is norms
    np.testing.assert_array_equal(norms.get_ydata(), for_plot(other["norms"]))
    assert len(norms.get_xdata()) == 20 and "exploding" in fig._suptitle.get_text()


def test_moving_controls_recomputes_and_redraws():
    explorer = GradientExplorer(*FUNCTIONS, sigma_max=0.7, nonlinearity="identity", T=30)
    line = explorer.figure.axes[0].lines[0]
    before_png = explorer.image.value
    assert bytes(before_png).startswith(b"\x89PNG") and "vanishing" in explorer.status.value
    explorer.controls["sigma_max"].value = 1.3
    assert explorer.trace["sigma_max"] == 1.3 and explorer.trace["regime"] == "exploding"
    assert "exploding" in explorer.status.value and explorer.image.value != before_png
    np.testing.assert_array_equal(line.get_ydata(), for_plot(explorer.trace["norms"]))
    explorer.controls["T"].value = 75
    assert len(explorer.trace["norms"]) == 75 and len(line.get_ydata()) == 75
    assert explorer.trace["norms"][0] == pytest.approx(1.3 ** 74)
    explorer.controls["nonlinearity"].value = "tanh"
    tanh_norms = explorer.trace["norms"].copy()
    assert explorer.trace["nonlinearity"] == "tanh" and explorer.trace["slope"] < 1
    explorer.controls["input_scale"].value = 2.5
    assert explorer.trace["input_scale"] == 2.5 and explorer.trace["saturated"]
    assert np.all(explorer.trace["norms"][:-1] < tanh_norms[:-1])
    np.testing.assert_array_equal(line.get_ydata(), for_plot(explorer.trace["norms"]))
    assert "saturated" in explorer.status.value


@pytest.mark.parametrize("broken", ["rnn_forward", "gradient_norms", "jacobian_norm_bound"])
def test_unfinished_learner_code_shows_a_message_not_a_crash(broken):
    def unfinished(*args):
        raise NotImplementedError("write me")

    functions = dict(zip(("rnn_forward", "gradient_norms", "jacobian_norm_bound"), FUNCTIONS))
    functions[broken] = unfinished
    explorer = GradientExplorer(**functions)
    assert explorer.trace is None
    assert f"Your {broken} raised NotImplementedError: write me" in explorer.status.value
    explorer.controls["sigma_max"].value = 1.2            # still no crash
    assert explorer.trace is None and broken in explorer.status.value


def test_wrong_shape_is_reported():
    def gradient_norms_per_example(hs, W_hh, dh_T):
        return np.ones(hs.shape[:2])

    explorer = GradientExplorer(rnn_forward, gradient_norms_per_example, jacobian_norm_bound, T=10)
    assert explorer.trace is None
    assert "gradient_norms returned shape (10, 8), expected (T,) = (10,)" in explorer.status.value
