"""Lesson 04's carousel explorer: with the reference functions as the learner's, the trace measures
what the lesson claims (a gain of about sigmoid(b_f)^lag along the cell state, the RNN's gradient
as lesson 03's gradient_norms gives it), the plot shows it, moving a control recomputes and
redraws, and unfinished learner code is reported, not raised."""
import math

import numpy as np
import pytest

from autograder.lessons.lstm_gates import (carousel_gain, forget_gate, lstm_backward,
                                             lstm_forward)
from autograder.lessons.rnn_update import rnn_forward
from autograder.lessons.vanishing_gradients import gradient_norms
from rnncourse.explore.carousel import (CarouselExplorer, band, carousel_trace, draw_carousel,
                                        for_plot, whole_gradient)
from rnncourse.plots import new_figure

FUNCTIONS = (rnn_forward, gradient_norms, lstm_forward, forget_gate, carousel_gain)
NAMES = ("rnn_forward", "gradient_norms", "lstm_forward", "forget_gate", "carousel_gain")


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@pytest.mark.parametrize("bias", [-2.0, 0.0, 1.0, 3.0, 6.0])
def test_with_tiny_weights_the_gain_over_a_lag_is_sigmoid_of_the_bias_to_that_power(bias):
    trace = carousel_trace(*FUNCTIONS, forget_bias=bias, T=60, weight_scale=1e-9)
    expected = sigmoid(bias) ** trace["lags"]
    np.testing.assert_allclose(trace["lstm"], expected, rtol=1e-6)
    np.testing.assert_allclose(trace["lstm_min"], expected, rtol=1e-6)
    np.testing.assert_allclose(trace["lstm_max"], expected, rtol=1e-6)
    assert trace["forget_mean"] == pytest.approx(sigmoid(bias), rel=1e-7)
    assert trace["lstm_kept"] == pytest.approx(sigmoid(bias) ** 59, rel=1e-6)
    np.testing.assert_array_equal(trace["lags"], 60 - trace["steps"])


def test_the_gain_is_the_product_of_the_forget_gates_on_the_lstms_own_states():
    trace = carousel_trace(*FUNCTIONS, forget_bias=2.0, T=30)
    x, params, hs = trace["x"], trace["params"], trace["lstm_hs"]
    ref_hs, ref_Cs = lstm_forward(x, np.zeros((8, 16)), np.zeros((8, 16)), params)
    np.testing.assert_allclose(hs, ref_hs)
    np.testing.assert_allclose(trace["Cs"], ref_Cs)
    for t in range(30):
        h_prev = hs[t - 1] if t else np.zeros((8, 16))
        np.testing.assert_allclose(trace["fs"][t], forget_gate(h_prev, x[t], params["W_f"],
                                                               params["b_f"]), rtol=1e-12)
    np.testing.assert_allclose(trace["gain"], carousel_gain(trace["fs"]))
    np.testing.assert_allclose(trace["gain"][-1], 1.0)
    np.testing.assert_allclose(trace["lstm"], trace["gain"].mean(axis=(1, 2)))
    assert np.all(trace["lstm_min"] <= trace["lstm"]) and np.all(trace["lstm"] <= trace["lstm_max"])
    # small random weights, not tiny: the units differ, around sigmoid(2)^lag
    assert trace["lstm_min"][0] < trace["lstm_max"][0]
    assert trace["lstm"][0] == pytest.approx(sigmoid(2.0) ** 29, rel=0.3)
    np.testing.assert_allclose(params["b_f"], 2.0)
    for name in ("b_i", "b_C", "b_o"):
        np.testing.assert_array_equal(params[name], 0.0)


@pytest.mark.parametrize("sigma", [0.8, 1.0, 1.3])
def test_the_rnn_curve_is_gradient_norms_normalised_at_T(sigma):
    trace = carousel_trace(*FUNCTIONS, sigma_max=sigma, T=40)
    np.testing.assert_allclose(trace["rnn_hs"], rnn_forward(trace["x"], np.zeros((8, 16)),
                                                            trace["W_xh"], trace["W_hh"],
                                                            trace["b_h"]))
    norms = gradient_norms(trace["rnn_hs"], trace["W_hh"], trace["dh_T"])
    np.testing.assert_allclose(trace["rnn_norms"], norms)
    np.testing.assert_allclose(trace["rnn"], norms / norms[-1])
    assert trace["rnn"][-1] == 1.0 and trace["rnn_kept"] == trace["rnn"][0]
    np.testing.assert_allclose(np.linalg.svd(trace["W_hh"], compute_uv=False), sigma)


def test_a_large_forget_bias_keeps_what_the_rnn_loses():
    trace = carousel_trace(*FUNCTIONS, forget_bias=5.0, T=100)
    assert trace["lstm_kept"] > 0.3 and trace["rnn_kept"] < 1e-6
    assert "RNN keeps" in trace["summary"] and "LSTM's cell state 0.5" in trace["summary"]
    kept = [carousel_trace(*FUNCTIONS, forget_bias=b, T=50)["lstm_kept"]
            for b in (-2.0, 0.0, 2.0, 4.0, 6.0)]
    assert np.all(np.diff(kept) > 0)


def test_sliders_change_only_what_they_name():
    base = carousel_trace(*FUNCTIONS, forget_bias=1.0, T=50)
    biased = carousel_trace(*FUNCTIONS, forget_bias=4.0, T=50)
    np.testing.assert_array_equal(base["rnn"], biased["rnn"])
    np.testing.assert_array_equal(base["x"], biased["x"])
    for name in ("W_f", "W_i", "W_C", "W_o"):
        np.testing.assert_array_equal(base["params"][name], biased["params"][name])
    sharper = carousel_trace(*FUNCTIONS, forget_bias=1.0, T=50, sigma_max=1.2)
    np.testing.assert_array_equal(base["lstm"], sharper["lstm"])
    longer = carousel_trace(*FUNCTIONS, forget_bias=1.0, T=80)   # the same first 50 steps
    np.testing.assert_array_equal(longer["x"][:50], base["x"])
    np.testing.assert_allclose(longer["fs"][:50], base["fs"])
    np.testing.assert_allclose(longer["rnn_hs"][:50], base["rnn_hs"])


def test_plot_shows_the_trace():
    trace = carousel_trace(*FUNCTIONS, forget_bias=-1.0, T=120)
    assert trace["lstm"][0] < 1e-13          # some values leave the plot's range: clipped
    fig = draw_carousel(new_figure(), trace)
    ax = fig.axes[0]
    lstm, rnn = ax.lines[:2]
    np.testing.assert_array_equal(rnn.get_xdata(), trace["lags"])
    np.testing.assert_array_equal(rnn.get_ydata(), for_plot(trace["rnn"]))
    np.testing.assert_array_equal(lstm.get_xdata(), trace["lags"])
    np.testing.assert_array_equal(lstm.get_ydata(), np.clip(trace["lstm"], 1e-13, 1e4))
    spread = ax.patches[0]
    corners = band(trace["lags"], trace["lstm_min"], trace["lstm_max"])
    np.testing.assert_array_equal(spread.get_xy()[:len(corners)], corners)   # + closing corner
    assert ax.get_yscale() == "log" and ax.get_ylim() == pytest.approx((1e-12, 1e3))
    assert ax.get_xlim() == pytest.approx((-1, 201))
    assert "-1.0" in fig.axes[0].get_title()
    legend = " ".join(text.get_text() for text in fig.legends[0].get_texts())
    assert "your gradient_norms" in legend and "your carousel_gain" in legend
    # a second draw updates the same artists; the axes keep their limits
    other = carousel_trace(*FUNCTIONS, forget_bias=5.0, T=20)
    draw_carousel(fig, other)
    assert fig.axes[0] is ax and ax.lines[1] is rnn
    np.testing.assert_array_equal(rnn.get_ydata(), for_plot(other["rnn"]))
    assert len(lstm.get_xdata()) == 20 and ax.get_xlim() == pytest.approx((-1, 201))


def test_moving_controls_recomputes_and_redraws():
    explorer = CarouselExplorer(*FUNCTIONS, forget_bias=0.0, T=50)
    lstm, rnn = explorer.figure.axes[0].lines[:2]
    before = explorer.image.value
    assert bytes(before).startswith(b"\x89PNG")
    assert "after 49 steps back the RNN keeps" in explorer.status.value
    explorer.controls["forget_bias"].value = 5.0
    assert explorer.trace["forget_bias"] == 5.0 and explorer.trace["lstm_kept"] > 0.5
    assert explorer.image.value != before
    np.testing.assert_array_equal(lstm.get_ydata(), for_plot(explorer.trace["lstm"]))
    assert f"cell state {explorer.trace['lstm_kept']:.2g}" in explorer.status.value
    explorer.controls["T"].value = 150
    assert len(explorer.trace["lstm"]) == 150 and len(rnn.get_ydata()) == 150
    assert "after 149 steps back" in explorer.status.value
    rnn_before = explorer.trace["rnn"].copy()
    explorer.controls["sigma_max"].value = 1.3
    assert explorer.trace["sigma_max"] == 1.3 and explorer.trace["rnn"][0] > rnn_before[0]
    np.testing.assert_array_equal(rnn.get_ydata(), for_plot(explorer.trace["rnn"]))


@pytest.mark.parametrize("broken", NAMES)
def test_unfinished_learner_code_shows_a_message_not_a_crash(broken):
    def unfinished(*args):
        raise NotImplementedError("write me")

    functions = dict(zip(NAMES, FUNCTIONS))
    functions[broken] = unfinished
    explorer = CarouselExplorer(**functions)
    assert explorer.trace is None
    assert f"Your {broken} raised NotImplementedError: write me" in explorer.status.value
    explorer.controls["forget_bias"].value = 3.0            # still no crash
    assert explorer.trace is None and broken in explorer.status.value


def test_wrong_results_are_reported():
    def lstm_forward_hs_only(x, h0, C0, params):
        return lstm_forward(x, h0, C0, params)[0]

    explorer = CarouselExplorer(rnn_forward, gradient_norms, lstm_forward_hs_only, forget_gate,
                                carousel_gain)
    assert explorer.trace is None and "should return two arrays: hs, Cs" in explorer.status.value

    def carousel_gain_per_step(fs):
        return np.ones(fs.shape[0])

    explorer = CarouselExplorer(rnn_forward, gradient_norms, lstm_forward, forget_gate,
                                carousel_gain_per_step, T=10)
    assert "carousel_gain returned shape (10,), expected (T, N, H) = (10, 8, 16)" in \
        explorer.status.value


def test_the_numbers_lesson_04_states_about_the_gain():
    """Sections 9, 10 and the summary: sigma(1) = 0.73 and 0.73^50 = 1.6e-7, so a forget bias of 1
    does not start the carousel open; the explorer measures the same (no unit above 5e-7); b_f = 4
    (mean f_t 0.98) keeps about 0.4 after 50 steps."""
    assert f"{sigmoid(1.0):.2f}" == "0.73" and f"{sigmoid(1.0) ** 50:.2g}" == "1.6e-07"
    tiny = carousel_trace(*FUNCTIONS, forget_bias=1.0, T=51, weight_scale=1e-9)
    assert f"{tiny['lstm_kept']:.2g}" == "1.6e-07"
    start = carousel_trace(*FUNCTIONS, forget_bias=1.0, T=51)
    assert f"{start['forget_mean']:.2f}" == "0.73"
    assert f"{start['lstm_kept']:.2g}" == "1.6e-07" and start["lstm_max"][0] < 5e-7
    held = carousel_trace(*FUNCTIONS, forget_bias=4.0, T=51)
    assert f"{held['forget_mean']:.2f}" == "0.98" and f"{held['lstm_kept']:.1g}" == "0.4"


def test_the_whole_gradient_is_lstm_backwards_dx_for_a_loss_on_the_last_step():
    trace = carousel_trace(*FUNCTIONS, forget_bias=2.0, T=20)
    whole = whole_gradient(lstm_backward, trace)
    dhs = np.zeros((20, 8, 16))
    dhs[-1] = trace["dh_T"]
    dx = lstm_backward(dhs, trace["x"], np.zeros((8, 16)), np.zeros((8, 16)), trace["params"])[0]
    np.testing.assert_allclose(whole["x_norms"], np.linalg.norm(dx.reshape(20, -1), axis=1))
    assert whole["kept"] == pytest.approx(whole["x_norms"][0] / whole["x_norms"][-1])
    assert whole["belt"] == trace["lstm_kept"]


def test_the_numbers_lesson_04_states_about_the_whole_gradient():
    """Section 14: the whole gradient on x_1 over that on x_51 is about 4e-5 at b_f = 1 (more than
    the belt's gain of 1.6e-7, still tiny), 6e-12 at b_f = 0 and 1.7 at b_f = 4; with weights 16 times
    larger (weight scale 8) it is 35 while the belt keeps 6e-8."""
    assert carousel_trace(*FUNCTIONS, T=5)["weight_scale"] == 0.5     # "16 times larger": 8

    def measured(forget_bias, weight_scale=0.5):
        trace = carousel_trace(*FUNCTIONS, forget_bias=forget_bias, weight_scale=weight_scale, T=51)
        return whole_gradient(lstm_backward, trace)

    start = measured(1.0)
    assert f"{start['kept']:.1g}" == "4e-05" and start["kept"] > 100 * start["belt"]
    assert f"{measured(0.0)['kept']:.1g}" == "6e-12"
    assert f"{measured(4.0)['kept']:.2g}" == "1.7"
    large = measured(1.0, weight_scale=8.0)
    assert f"{large['kept']:.2g}" == "35" and f"{large['belt']:.1g}" == "6e-08"


def test_unfinished_lstm_backward_is_named():
    from rnncourse.explore.learner import LearnerCodeFailed

    def unfinished(*args):
        raise NotImplementedError("write me")

    trace = carousel_trace(*FUNCTIONS, T=10)
    with pytest.raises(LearnerCodeFailed, match="lstm_backward raised NotImplementedError"):
        whole_gradient(unfinished, trace)
    with pytest.raises(LearnerCodeFailed, match="should return four things"):
        whole_gradient(lambda *args: args[0], trace)
