"""Lesson 03's training experiment tells its story in numbers (with the reference functions as the
learner's): short lags are learned and a long one stays at chance (vanishing gradients); with a
large W_hh the gradient norm spikes and training is wrecked, and clipping the global norm rescues
the same run; clipping does nothing for the vanishing case."""
import math

import numpy as np
import pytest

from autograder.lessons.bptt import rnn_backward
from autograder.lessons.rnn_update import rnn_forward
from autograder.lessons.vanishing_gradients import clip_by_global_norm
from rnncourse.experiments import draw_runs, lesson_runs, train_memory_task
from rnncourse.experiments.memory_task import CHANCE, logistic_loss, make_batch
from rnncourse.plots import new_figure


@pytest.fixture(scope="module")
def runs():
    groups = lesson_runs(rnn_forward, rnn_backward, clip_by_global_norm)
    return {run["label"]: run for group in groups.values() for run in group}, groups


def test_short_lags_are_learned_and_a_long_one_stays_at_chance(runs):
    by_label, _ = runs
    for lag in (2, 5, 10):
        run = by_label[f"lag {lag}"]
        assert run["test_loss"] < 0.02 * CHANCE and run["test_accuracy"] == 1.0, lag
        assert np.mean(run["loss"][-50:]) < 0.02 * CHANCE
        assert run["sigma_max"][-1] > 1.5          # learning grew W_hh from 0.7
    stuck = by_label["lag 20"]
    assert 0.95 * CHANCE < stuck["test_loss"] < 1.1 * CHANCE and stuck["test_accuracy"] < 0.6
    assert np.all(stuck["loss"][-100:] > 0.8 * CHANCE)
    assert stuck["sigma_max"].max() < 1.0          # never left the vanishing regime
    assert not any(run["diverged"] for run in by_label.values())


def test_large_weights_blow_up_without_clipping_and_clipping_rescues(runs):
    by_label, _ = runs
    wild, rescued = by_label["σ_max 3, no clipping"], by_label["σ_max 3, clipped at 1"]
    assert wild["clipped"] is False and rescued["clipped"] is True
    # a gradient spike hundreds of times the usual size (here 5e3 against a median of 0.4; margins
    # are wide: rounding differences of an equivalent implementation move these numbers, not the
    # story), and the step it causes wrecks W_hh
    assert wild["grad_norm"].max() > 100 * max(1.0, np.median(wild["grad_norm"]))
    assert wild["sigma_max"][0] == pytest.approx(3.0) and wild["sigma_max"][-1] > 20
    assert wild["test_loss"] > 0.95 * CHANCE and np.mean(wild["loss"][-50:]) > 0.9 * CHANCE
    # the same start, clipped: learned, and W_hh stays moderate
    np.testing.assert_array_equal(wild["loss"][0], rescued["loss"][0])
    assert rescued["test_loss"] < 0.02 * CHANCE and rescued["test_accuracy"] == 1.0
    assert rescued["sigma_max"].max() < 10


def test_clipping_cannot_rescue_vanishing_gradients(runs):
    by_label, _ = runs
    plain, clipped = by_label["lag 20"], by_label["σ_max 0.7, clipped at 1"]
    assert plain["grad_norm"].max() < 1.0          # nothing to clip: the very same run
    np.testing.assert_array_equal(plain["loss"], clipped["loss"])
    assert clipped["test_loss"] > 0.95 * CHANCE


def test_the_learners_clip_function_makes_the_steps():
    calls = []

    def frozen(grads, max_norm):          # a "clipping" that zeroes every gradient
        calls.append(max_norm)
        return {name: np.zeros_like(g) for name, g in grads.items()}, 0.0

    run = train_memory_task(rnn_forward, rnn_backward, frozen, lag=3, iterations=20, max_norm=2.5)
    assert calls == [2.5] * 20 and run["clipped"]
    np.testing.assert_allclose(run["sigma_max"], 0.7)          # the weights never moved
    assert run["grad_norm"].min() > 0                           # measured before clipping


def test_runs_are_deterministic_and_lessons_runs_are_grouped(runs):
    again = train_memory_task(rnn_forward, rnn_backward, lag=2, iterations=50)
    first = train_memory_task(rnn_forward, rnn_backward, lag=2, iterations=50)
    for key in ("loss", "grad_norm", "sigma_max"):
        np.testing.assert_array_equal(again[key], first[key])
    other = train_memory_task(rnn_forward, rnn_backward, lag=2, iterations=50, seed=1)
    assert not np.array_equal(other["loss"], first["loss"])
    _, groups = runs
    assert [len(group) for group in groups.values()] == [4, 3]


def test_a_run_that_overflows_is_marked_diverged():
    def overflowing_backward(dhs, x, h0, hs, W_xh, W_hh):
        dx, dh0, dW_xh, dW_hh, db_h = rnn_backward(dhs, x, h0, hs, W_xh, W_hh)
        if np.abs(W_hh).max() > 5:                 # the second step overflows
            dW_hh = dW_hh * np.inf
        return dx, dh0, dW_xh, dW_hh + 100.0, db_h

    run = train_memory_task(rnn_forward, overflowing_backward, lag=3, iterations=30)
    assert run["diverged"] and np.isnan(run["test_loss"])
    assert np.all(np.isfinite(run["loss"][:2])) and np.all(np.isnan(run["loss"][2:]))


def test_task_and_loss():
    x, y = make_batch(7, 64, np.random.default_rng(0))
    assert x.shape == (8, 64, 1) and y.shape == (64, 1)
    np.testing.assert_array_equal(x[0], y)
    assert set(np.unique(y)) == {-1.0, 1.0} and 0.3 < np.std(x[1:]) < 0.7
    z = np.random.default_rng(1).normal(size=(64, 1)) * 3
    loss, dz = logistic_loss(z, y)
    assert logistic_loss(np.zeros((64, 1)), y)[0] == pytest.approx(math.log(2))
    eps = 1e-6
    for i in (0, 5, 63):
        bump = np.zeros_like(z)
        bump[i] = eps
        numeric = (logistic_loss(z + bump, y)[0] - logistic_loss(z - bump, y)[0]) / (2 * eps)
        assert dz[i, 0] == pytest.approx(numeric, rel=1e-6)
    huge, dhuge = logistic_loss(np.full((2, 1), 1e4), np.array([[1.0], [-1.0]]))
    assert huge == pytest.approx(5e3) and np.all(np.isfinite(dhuge))


def test_plot_shows_the_runs(runs):
    _, groups = runs
    fig = draw_runs(new_figure(12, 7), groups)
    assert len(fig.axes) == 6
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == list(groups)
    for title, runs_in_group in groups.items():
        ax_loss = next(ax for ax in fig.axes if ax.get_title() == title)
        for line, run in zip(ax_loss.lines, runs_in_group):
            np.testing.assert_array_equal(line.get_ydata(), run["loss"])
            assert line.get_label() == run["label"]
        assert ax_loss.lines[len(runs_in_group)].get_ydata()[0] == pytest.approx(CHANCE)
        assert ax_loss.get_yscale() == "log"
