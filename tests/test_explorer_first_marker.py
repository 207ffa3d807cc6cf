"""Lesson 05's first-marker explorer: with the reference functions as the learner's and the shipped
checkpoints, the trace measures the gradient on the first marker's input (it is the derivative of
the batch loss, checked against central differences and against networks.py's own backward pass),
the forget gates on the LSTM's own states, and every number lesson 05 states about them (section 6
and its explorer questions); the plot shows the trace, moving a control redraws, and unfinished
learner code is reported, not raised."""
import importlib.util
import math

import numpy as np
import pytest

from autograder.lessons import REFERENCE
from autograder.release import ROOT
from rnncourse.explore.first_marker import (PLOT_RANGE, FirstMarkerExplorer, draw_first_marker,
                                            first_marker_trace, for_plot, grid, load_checkpoints,
                                            marker_steps, table_lines)
from rnncourse.explore.learner import LearnerCodeFailed
from rnncourse.plots import new_figure

FOLDER = ROOT / "solutions" / "05_rnn_vs_lstm"
NAMES = ("adding_problem", "rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward",
         "forget_gate")
FUNCTIONS = {name: REFERENCE[name] for name in NAMES}
LENGTHS, UPDATES = [25, 50, 100, 200], [0, 250, 500, 1000]

_spec = importlib.util.spec_from_file_location("lesson05_networks", FOLDER / "networks.py")
nw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nw)


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


@pytest.fixture(scope="module")
def checkpoints():
    return load_checkpoints(FOLDER / "checkpoints.npz")


@pytest.fixture(scope="module")
def traces(checkpoints):
    """Every checkpoint measured once: {(T, update): trace}."""
    return {(T, u): first_marker_trace(checkpoints, **FUNCTIONS, T=T, update=u)
            for T in LENGTHS for u in UPDATES}


# --- the measurement ------------------------------------------------------------------------------

def test_the_checkpoints_hold_both_networks_at_every_length_and_update(checkpoints):
    assert grid(checkpoints) == (LENGTHS, UPDATES)
    for (model, T, update), params in checkpoints.items():
        names = ["W_xh", "W_hh", "b_h"] if model == "rnn" else \
            [f"{kind}_{gate}" for gate in "fiCo" for kind in "Wb"]
        assert sorted(params) == sorted(names + ["W_y", "b_y"])
        assert params["W_y"].shape == (1, 16) and params["b_y"].shape == (1,)
        if model == "lstm":
            assert params["W_f"].shape == (16, 18) and params["b_f"].shape == (16,)


def test_the_batch_is_the_learners_adding_problem_and_the_markers_are_found(traces):
    trace = traces[100, 1000]
    x, y = REFERENCE["adding_problem"](100, 64, np.random.default_rng(0))
    np.testing.assert_array_equal(trace["x"], x)
    np.testing.assert_array_equal(trace["y"], y)
    rows = np.arange(64)
    assert np.all(trace["first"] < 50) and np.all(trace["second"] >= 50)
    np.testing.assert_array_equal(x[trace["first"], rows, 1], 1.0)
    np.testing.assert_array_equal(x[trace["second"], rows, 1], 1.0)
    np.testing.assert_allclose(x[trace["first"], rows, 0] + x[trace["second"], rows, 0], y[:, 0])
    np.testing.assert_array_equal(trace["gap"], trace["second"] - trace["first"])


@pytest.mark.parametrize("model", ["rnn", "lstm"])
def test_dx_is_the_gradient_of_the_batch_mse_with_respect_to_the_inputs(checkpoints, model):
    """Against central differences on the first marked value of a few sequences, and against
    networks.py's own (independently written) backward pass for the whole dx."""
    T = 25
    trace = first_marker_trace(checkpoints, **FUNCTIONS, T=T, update=250)
    params = checkpoints[model, T, 250]
    net = trace[model]
    x, y = trace["x"], trace["y"]
    stacked = params if model == "rnn" else {**nw.lstm_params_from_api(params),
                                              "W_y": params["W_y"], "b_y": params["b_y"]}

    def loss(x_):
        return float(np.mean((nw.predict(stacked, x_) - y) ** 2))

    assert net["mse"] == pytest.approx(loss(x), rel=1e-12)
    for n in (0, 7, 31):
        t, eps = trace["first"][n], 1e-5
        up, down = x.copy(), x.copy()
        up[t, n, 0] += eps
        down[t, n, 0] -= eps
        numerical = (loss(up) - loss(down)) / (2 * eps)
        assert net["dx"][t, n, 0] == pytest.approx(numerical, rel=1e-5, abs=1e-12)
    dh_T = net["dhs"][-1]
    np.testing.assert_array_equal(net["dhs"][:-1], 0.0)
    if model == "rnn":
        _, cache = nw.rnn_forward(x, stacked)
        dx = nw.rnn_backward(dh_T, cache)["x"]
    else:
        _, cache = nw.lstm_forward(x, stacked)
        dx = nw.lstm_backward(dh_T, cache)["x"]
    np.testing.assert_allclose(net["dx"], dx, rtol=1e-9, atol=1e-15)


def test_norms_and_shares_are_read_from_dx_at_the_markers(traces):
    trace = traces[50, 500]
    rows = np.arange(64)
    for model in ("rnn", "lstm"):
        net = trace[model]
        at_first = np.linalg.norm(net["dx"][trace["first"], rows], axis=1)
        at_second = np.linalg.norm(net["dx"][trace["second"], rows], axis=1)
        np.testing.assert_allclose(net["at_first"], at_first)
        np.testing.assert_allclose(net["at_second"], at_second)
        assert net["first_norm"] == pytest.approx(np.linalg.norm(at_first))
        assert net["second_norm"] == pytest.approx(np.linalg.norm(at_second))
        np.testing.assert_allclose(net["share"], at_first / at_second)
        assert net["share_median"] == pytest.approx(np.median(at_first / at_second))


def test_the_forget_gates_are_measured_on_the_lstms_own_states(checkpoints, traces):
    trace = traces[100, 1000]
    params = checkpoints["lstm", 100, 1000]
    gates = {k: v for k, v in params.items() if k not in ("W_y", "b_y")}
    hs, Cs = REFERENCE["lstm_forward"](trace["x"], np.zeros((64, 16)), np.zeros((64, 16)), gates)
    np.testing.assert_allclose(trace["lstm"]["hs"], hs)
    np.testing.assert_allclose(trace["lstm"]["Cs"], Cs)
    for t in (0, 1, 57, 99):
        h_prev = hs[t - 1] if t else np.zeros((64, 16))
        np.testing.assert_allclose(trace["fs"][t], REFERENCE["forget_gate"](
            h_prev, trace["x"][t], params["W_f"], params["b_f"]), rtol=1e-12)
    np.testing.assert_allclose(trace["unit_mean"], trace["fs"].mean(axis=(0, 1)))
    assert np.all(trace["unit_low"] <= trace["unit_mean"]) and \
        np.all(trace["unit_mean"] <= trace["unit_high"])
    assert trace["forget_mean"] == pytest.approx(trace["fs"].mean())


def test_the_table_prints_every_trace(traces):
    chosen = [traces[25, 0], traces[200, 1000]]
    lines = table_lines(chosen)
    assert len(lines) == 3 and "share" in lines[0]
    assert lines[2].split() == ["200", "1000", f"{chosen[1]['rnn']['mse']:.4f}",
                                f"{chosen[1]['rnn']['first_norm']:.1e}",
                                f"{chosen[1]['rnn']['share_median']:.1e}",
                                f"{chosen[1]['lstm']['mse']:.4f}",
                                f"{chosen[1]['lstm']['first_norm']:.1e}",
                                f"{chosen[1]['lstm']['share_median']:.1e}"]


# --- what lesson 05 says (sections 3 and 6, the explorer's questions, the summary) ---------------

def test_a_forget_bias_of_1_does_not_open_the_carousel(traces):
    """Section 3 and 6: sigmoid(1) = 0.731 and 0.731^50 = 1.6e-7; at the initial weights (T = 100)
    the mean forget gate is 0.743 and the cell state keeps about 2e-6 over 50 steps (the product of
    50 forget gates, the learner's carousel_gain)."""
    assert f"{sigmoid(1.0):.3f}" == "0.731" and f"{sigmoid(1.0) ** 50:.1e}" == "1.6e-07"
    start = traces[100, 0]
    assert f"{start['forget_mean']:.3f}" == "0.743"
    kept = REFERENCE["carousel_gain"](start["fs"])[-51]
    np.testing.assert_allclose(kept, np.prod(start["fs"][-50:], axis=0), rtol=1e-12)
    assert f"{kept.mean():.0e}" == "2e-06"


def test_at_the_initial_weights_the_lstm_sends_less_gradient_to_the_first_marker(traces):
    """Section 6: ||dL/dx_t1|| of the LSTM is smaller than the RNN's at every T (T = 100:
    1.2e-6 against 6.1e-5); the article table repeats these numbers."""
    for T in LENGTHS:
        assert traces[T, 0]["lstm"]["first_norm"] < traces[T, 0]["rnn"]["first_norm"], T
    assert f"{traces[100, 0]['lstm']['first_norm']:.1e}" == "1.2e-06"
    assert f"{traces[100, 0]['rnn']['first_norm']:.1e}" == "6.1e-05"


def test_after_training_the_first_marker_gets_about_as_much_as_the_second_in_the_lstm_only(traces):
    """Section 6: after training the LSTM's median share is between 0.94 and 1.03 at every T; the
    tanh RNN's is 0.71 at T = 25, and from T = 50 on below 1e-7 and smaller than at its initial
    weights."""
    for T in LENGTHS:
        assert 0.94 <= traces[T, 1000]["lstm"]["share_median"] <= 1.03, T
    assert f"{traces[25, 1000]['rnn']['share_median']:.2f}" == "0.71"
    for T in (50, 100, 200):
        trained, start = traces[T, 1000]["rnn"], traces[T, 0]["rnn"]
        assert trained["share_median"] < 1e-7 and trained["share_median"] < start["share_median"]


def test_one_forget_gate_learns_to_stay_near_1(traces):
    """Section 6: at T = 100 after training one unit's mean forget gate is 0.997, the other fifteen
    lie between 0.32 and 0.90; 0.997^50 is about 0.86 and 0.9^50 about 0.005. The explorer's
    question 2: it is the same unit at T = 50, 100 and 200 (the runs start from the same
    weights)."""
    means = np.sort(traces[100, 1000]["unit_mean"])
    assert f"{means[-1]:.3f}" == "0.997"
    assert f"{means[0]:.2f}" == "0.32" and f"{means[-2]:.2f}" == "0.90"
    assert f"{means[-1] ** 50:.2f}" == "0.86" and f"{0.9 ** 50:.3f}" == "0.005"
    carriers = {T: int(np.argmax(traces[T, 1000]["unit_mean"])) for T in (50, 100, 200)}
    assert len(set(carriers.values())) == 1, carriers
    for T in (50, 100, 200):
        means = np.sort(traces[T, 1000]["unit_mean"])
        assert means[-1] > 0.98 and means[-2] < 0.93, T


def test_the_runs_of_every_length_start_from_the_same_weights(checkpoints):
    for model in ("rnn", "lstm"):
        first = checkpoints[model, LENGTHS[0], 0]
        for T in LENGTHS[1:]:
            assert all(np.array_equal(first[k], checkpoints[model, T, 0][k]) for k in first)


def test_the_lstm_share_jumps_when_its_loss_leaves_the_baseline(traces):
    """The explorer's questions 1 and 3: at T = 100 the LSTM's share is about 3e-4 at update 250
    and about 0.93 at update 500; at T = 200 it stays below 1e-6 up to update 500 and is near 1 at
    1000."""
    assert traces[100, 250]["lstm"]["share_median"] < 1e-3
    assert traces[100, 500]["lstm"]["share_median"] > 0.9
    assert all(traces[200, u]["lstm"]["share_median"] < 1e-6 for u in (0, 250, 500))
    assert traces[200, 1000]["lstm"]["share_median"] > 0.9


# --- the plot and the widget ----------------------------------------------------------------------

def test_plot_shows_the_trace(traces):
    trace = traces[200, 1000]
    fig = draw_first_marker(new_figure(), trace, unit=7)
    share_ax, gate_ax = fig.axes
    rnn, lstm = share_ax.lines[:2]
    np.testing.assert_array_equal(rnn.get_xdata(), trace["gap"])
    np.testing.assert_array_equal(rnn.get_ydata(), for_plot(trace["rnn"]["share"]))
    np.testing.assert_array_equal(lstm.get_ydata(), for_plot(trace["lstm"]["share"]))
    assert trace["rnn"]["share"].min() < PLOT_RANGE[0]          # pinned to the frame's edge
    assert rnn.get_ydata().min() == PLOT_RANGE[0]
    assert share_ax.get_yscale() == "log" and share_ax.get_ylim() == pytest.approx(PLOT_RANGE)
    means, chosen = gate_ax.lines[:2]
    np.testing.assert_array_equal(means.get_ydata(), trace["unit_mean"])
    assert list(chosen.get_xdata()) == [7] and chosen.get_ydata()[0] == trace["unit_mean"][6]
    segments = gate_ax.collections[0].get_segments()
    assert len(segments) == 16
    np.testing.assert_allclose(segments[2], [[3, trace["unit_low"][2]], [3, trace["unit_high"][2]]])
    assert fig._suptitle.get_text() == "T = 200, after update 1000"
    legend = " ".join(text.get_text() for text in fig.legends[0].get_texts())
    assert "your rnn_backward" in legend and "your lstm_backward" in legend
    other = traces[25, 0]                          # a second draw updates the same artists
    draw_first_marker(fig, other, unit=16)
    assert fig.axes[0] is share_ax and share_ax.lines[0] is rnn
    np.testing.assert_array_equal(rnn.get_xdata(), other["gap"])
    assert list(chosen.get_xdata()) == [16]


def test_moving_controls_redraws_and_says_what_is_seen(checkpoints):
    explorer = FirstMarkerExplorer(checkpoints, **FUNCTIONS)
    assert sorted(explorer.traces) == [(T, u) for T in LENGTHS for u in UPDATES]
    assert explorer.trace is explorer.traces[100, 0]
    before = explorer.image.value
    assert bytes(before).startswith(b"\x89PNG")
    assert "T = 100, after update 0" in explorer.status.value
    explorer.controls["update"].value = 1000
    assert explorer.trace is explorer.traces[100, 1000] and explorer.image.value != before
    trained = explorer.trace
    assert f"{trained['lstm']['mse']:.4f} (LSTM)" in explorer.status.value
    explorer.controls["unit"].value = 7
    assert explorer.trace is trained
    assert f"<b>Unit 7</b>: mean forget gate {trained['unit_mean'][6]:.3f}" in explorer.status.value
    chosen = explorer.figure.axes[1].lines[1]
    assert list(chosen.get_xdata()) == [7]
    explorer.controls["T"].value = 200
    assert explorer.trace["T"] == 200 and "T = 200, after update 1000" in explorer.status.value


@pytest.mark.parametrize("broken", NAMES)
def test_unfinished_learner_code_shows_a_message_not_a_crash(checkpoints, broken):
    def unfinished(*args):
        raise NotImplementedError("write me")

    functions = dict(FUNCTIONS, **{broken: unfinished})
    explorer = FirstMarkerExplorer(checkpoints, **functions)
    assert explorer.trace is None and explorer.traces == {}
    assert f"Your {broken} raised NotImplementedError" in explorer.status.value


def test_a_wrong_shape_or_wrong_markers_are_named(checkpoints):
    def batch_major(*args):
        return FUNCTIONS["rnn_backward"](*args)[0].transpose(1, 0, 2), None

    explorer = FirstMarkerExplorer(checkpoints, **dict(FUNCTIONS, rnn_backward=batch_major))
    assert "Your rnn_backward returned shape (64, 100, 2)" in explorer.status.value
    x, _ = REFERENCE["adding_problem"](10, 4, np.random.default_rng(0))
    x[0, :, 1] = 1.0
    with pytest.raises(LearnerCodeFailed, match="exactly two steps"):
        marker_steps(x)
