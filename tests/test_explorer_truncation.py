"""Lesson 02's explorer: the compute function measures, with the learner's functions, where the
gradient on W_hh comes from and what truncation costs; the plot shows exactly that; moving the
scale recomputes, moving k only redraws (no browser needed: values are set in Python)."""
import numpy as np
import pytest

from autograder.reference.bptt import rnn_backward, rnn_backward_truncated
from autograder.reference.rnn_update import rnn_forward
from rnncourse.explore.truncation import (CONTRIBUTION_RANGE, ERROR_RANGE, TruncationExplorer,
                                          at_window, draw_truncation, for_plot,
                                          truncation_profile)
from rnncourse.plots import new_figure

LEARNER = (rnn_forward, rnn_backward, rnn_backward_truncated)


@pytest.fixture(scope="module")
def profiles():
    return {radius: truncation_profile(*LEARNER, radius=radius) for radius in (0.5, 0.9, 1.2)}


def last_state_loss(profile, step=None, change=None):
    """sum(dL/dh_T * h_T) from a forward pass written here, with W_hh + change used at `step`
    (1-based) only."""
    h = profile["h0"]
    for t in range(1, profile["T"] + 1):
        W_hh = profile["W_hh"] + change if t == step else profile["W_hh"]
        h = np.tanh(profile["x"][t - 1] @ profile["W_xh"].T + h @ W_hh.T + profile["b_h"])
    return np.sum(profile["dhs_last"][-1] * h)


def test_shapes_and_settings(profiles):
    profile = profiles[0.9]
    T, N, D, H = 40, 4, 2, 16
    assert (profile["T"], profile["N"], profile["D"], profile["H"]) == (T, N, D, H)
    assert profile["radius"] == 0.9 and profile["input_scale"] == 1.0 and profile["seed"] == 0
    np.testing.assert_array_equal(profile["lags"], np.arange(T))
    np.testing.assert_array_equal(profile["ks"], np.arange(1, T + 1))
    assert profile["contribution_matrices"].shape == (T, H, H)
    for key in ("contribution", "distant_share", "relative_error", "cosine"):
        assert profile[key].shape == (T,) and profile[key].dtype == np.float64
    assert profile["hs"].shape == profile["dhs"].shape == profile["dhs_last"].shape == (T, N, H)
    np.testing.assert_allclose(np.linalg.svd(profile["W_hh"], compute_uv=False), 0.9)


@pytest.mark.parametrize("radius", [0.5, 0.9, 1.2])
def test_contributions_sum_to_the_full_gradient(profiles, radius):
    profile = profiles[radius]
    args = [profile[key] for key in ("dhs_last", "x", "h0", "hs", "W_xh", "W_hh")]
    dW_hh = rnn_backward(*args)[3]
    np.testing.assert_allclose(profile["contribution_matrices"].sum(axis=0), dW_hh, rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(profile["dW_hh_last"], dW_hh, rtol=0, atol=1e-12)
    np.testing.assert_allclose(profile["contribution"],
                               np.linalg.norm(profile["contribution_matrices"], axis=(1, 2)))


@pytest.mark.parametrize("lag", [0, 1, 7, 20])
def test_each_contribution_is_the_gradient_through_one_step(profiles, lag):
    """c_t is the derivative of the loss with respect to the W_hh used at step t alone: checked by
    central differences of a forward pass written here, along a random direction."""
    profile = profiles[0.9]
    step = profile["T"] - lag
    direction = np.random.default_rng(lag).normal(size=profile["W_hh"].shape)
    eps = 1e-6
    numeric = (last_state_loss(profile, step, eps * direction) -
               last_state_loss(profile, step, -eps * direction)) / (2 * eps)
    analytic = np.sum(profile["contribution_matrices"][lag] * direction)
    assert abs(numeric - analytic) <= 1e-7 * max(1.0, abs(analytic))


def test_distant_share_counts_the_lags_a_window_cuts(profiles):
    profile = profiles[0.9]
    norms = profile["contribution"]
    for k in (1, 5, 10, 39):
        assert profile["distant_share"][k - 1] == pytest.approx(norms[k:].sum() / norms.sum())
    assert profile["distant_share"][-1] == 0.0
    assert np.all(np.diff(profile["distant_share"]) <= 0)


def test_small_scale_keeps_the_gradient_local_large_scale_reaches_back(profiles):
    local, far = profiles[0.5], profiles[1.2]
    assert local["distant_share"][5] < 0.01          # lags >= 6: under 1% at scale 0.5
    assert far["distant_share"][9] > 0.1             # lags >= 10: over 10% at scale 1.2
    assert far["distant_share"][9] > 100 * local["distant_share"][9]
    # at scale 0.5 the contributions shrink by at least half per step back on average (tanh
    # slopes below 1 shrink them more); at 1.2 by much less
    per_step = [(p["contribution"][10] / p["contribution"][0]) ** (1 / 10) for p in (local, far)]
    assert per_step[0] < 0.5 < 0.7 < per_step[1] < 1


@pytest.mark.parametrize("radius", [0.5, 0.9])
def test_truncation_error_vanishes_for_full_windows_and_falls_overall(profiles, radius):
    profile = profiles[radius]
    error, T = profile["relative_error"], profile["T"]
    assert error[-1] < 1e-12 and profile["cosine"][-1] == pytest.approx(1.0)
    assert at_window(profile, T + 5)["relative_error"] < 1e-12
    assert error.argmax() == 0
    # not monotone (windows start at step 1, so what is cut depends on where the boundaries fall)
    # but falling overall: fewer boundaries, less error
    assert error[:10].mean() > error[10:20].mean() > error[20:T - 1].mean() > 0.01
    assert error[0] > 0.2 and 0 < profile["cosine"][0] < profile["cosine"][9] < 1


def test_relative_error_is_measured_with_the_learners_functions(profiles):
    profile = profiles[1.2]
    args = [profile[key] for key in ("dhs", "x", "h0", "hs", "W_xh", "W_hh")]
    full = rnn_backward(*args)[3]
    np.testing.assert_allclose(profile["dW_hh_full"], full)
    for k in (1, 3, 10, 25):
        truncated = rnn_backward_truncated(*args, k)[3]
        assert profile["relative_error"][k - 1] == pytest.approx(
            np.linalg.norm(truncated - full) / np.linalg.norm(full))
        assert profile["cosine"][k - 1] == pytest.approx(
            np.sum(truncated * full) / np.linalg.norm(truncated) / np.linalg.norm(full))


def test_reading_at_a_window(profiles):
    profile = profiles[0.9]
    read = at_window(profile, 10)
    assert read["k"] == 10 and read["boundaries"] == 3
    assert read["share"] == profile["distant_share"][9]
    assert read["relative_error"] == profile["relative_error"][9]
    assert read["summary"] == (f"k = 10: {read['share']:.1%} of the last-step gradient on W_hh "
                               f"comes from 10 or more steps back; truncated gradient off by "
                               f"{read['relative_error']:.0%}")
    assert at_window(profile, 40)["boundaries"] == 0 and at_window(profile, 39)["boundaries"] == 1
    with pytest.raises(ValueError):
        at_window(profile, 0)


def test_plot_shows_the_profile(profiles):
    profile, k = profiles[0.9], 10
    fig = draw_truncation(new_figure(), profile, k)
    ax_c, ax_e = fig.axes[:2]
    kept, lost = ax_c.lines[:2]
    np.testing.assert_array_equal(kept.get_xdata(), profile["lags"])
    np.testing.assert_array_equal(kept.get_ydata(), profile["contribution"])  # all in range
    np.testing.assert_array_equal(lost.get_xdata(), profile["lags"][k:])
    np.testing.assert_array_equal(lost.get_ydata(), profile["contribution"][k:])
    band = fig._truncation_artists["lost_band"]
    assert band.get_x() == k - 0.5 and band.get_width() == profile["T"] - k
    error, k_line, k_point = ax_e.lines[:3]
    np.testing.assert_array_equal(error.get_xdata(), profile["ks"])
    np.testing.assert_array_equal(error.get_ydata(), profile["relative_error"])
    np.testing.assert_array_equal(k_point.get_xdata(), [k])
    np.testing.assert_array_equal(k_point.get_ydata(), [profile["relative_error"][k - 1]])
    np.testing.assert_array_equal(k_line.get_xdata(), [k, k])
    read = at_window(profile, k)
    title = fig._suptitle.get_text()
    assert title.replace("\n", " ").startswith(read["summary"]) and "scale of W_hh 0.90" in title
    assert ax_c.get_yscale() == "log" and ax_c.get_ylim() == CONTRIBUTION_RANGE
    assert ax_e.get_ylim() == ERROR_RANGE


def test_values_beyond_the_fixed_range_are_clipped_just_outside(profiles):
    profile = profiles[0.5]
    assert profile["contribution"].min() < CONTRIBUTION_RANGE[0]     # falls out of the frame
    fig = draw_truncation(new_figure(), profile, 5)
    shown = fig.axes[0].lines[0].get_ydata()
    np.testing.assert_array_equal(shown, for_plot(profile["contribution"], CONTRIBUTION_RANGE))
    assert shown.min() == CONTRIBUTION_RANGE[0] / 10
    np.testing.assert_array_equal(for_plot(np.array([-1.0, 0.5, 9.0, np.nan]), (0.0, 1.0)),
                                  [-0.05, 0.5, 1.05, np.nan])


class Counted:
    """A learner's function that counts its calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def test_moving_the_scale_recomputes_and_moving_k_only_redraws():
    learner = [Counted(fn) for fn in LEARNER]
    explorer = TruncationExplorer(*learner, radius=0.9, k=10)
    figure, artists = explorer.figure, explorer.figure._truncation_artists
    calls = [fn.calls for fn in learner]
    assert calls == [1, 41, 40]          # one forward; T suffixes + the full; k = 1 .. T
    profile, png = explorer.profile, bytes(explorer.image.value)
    assert png.startswith(b"\x89PNG") and "k = 10:" in explorer.status.value

    explorer.controls["k"].value = 25
    assert [fn.calls for fn in learner] == calls and explorer.profile is profile
    assert bytes(explorer.image.value) != png
    assert artists["title"].get_text().startswith("k = 25:") and "k = 25:" in explorer.status.value
    assert artists["lost_band"].get_x() == 24.5
    np.testing.assert_array_equal(artists["k_point"].get_ydata(), [profile["relative_error"][24]])
    png = bytes(explorer.image.value)

    explorer.controls["radius"].value = 1.2
    assert [fn.calls for fn in learner] == [2 * c for c in calls]
    assert explorer.profile is not profile and explorer.profile["radius"] == 1.2
    assert bytes(explorer.image.value) != png
    assert "scale of W_hh 1.20" in artists["title"].get_text()
    np.testing.assert_array_equal(artists["error"].get_ydata(), explorer.profile["relative_error"])
    # the layout was built once: the blitted background (axes, ticks, legends) is still valid
    assert explorer.figure is figure and figure._truncation_artists is artists
    assert figure.axes[0].get_ylim() == CONTRIBUTION_RANGE
    assert figure.axes[1].get_ylim() == ERROR_RANGE

    explorer.controls["k"].value = 40       # full BPTT
    assert "truncated gradient off by 0%" in explorer.status.value


def test_unfinished_learner_code_shows_a_message_not_a_crash():
    def rnn_backward_truncated(dhs, x, h0, hs, W_xh, W_hh, k):
        raise NotImplementedError("not yet")

    explorer = TruncationExplorer(rnn_forward, rnn_backward, rnn_backward_truncated)
    assert explorer.profile is None
    assert "rnn_backward_truncated raised NotImplementedError: not yet" in explorer.status.value
    explorer.controls["k"].value = 3           # nothing to redraw: the message stays
    explorer.controls["radius"].value = 1.1
    assert explorer.profile is None and "NotImplementedError" in explorer.status.value


def test_wrong_shapes_are_named():
    def half_forward(x, h0, W_xh, W_hh, b_h):
        return rnn_forward(x, h0, W_xh, W_hh, b_h)[:, :, :8]

    def gradient_only(dhs, x, h0, hs, W_xh, W_hh):
        return rnn_backward(dhs, x, h0, hs, W_xh, W_hh)[3]

    explorer = TruncationExplorer(half_forward, rnn_backward, rnn_backward_truncated)
    assert "rnn_forward returned shape (40, 4, 8), expected (T, N, H)" in explorer.status.value
    explorer = TruncationExplorer(rnn_forward, gradient_only, rnn_backward_truncated)
    assert "rnn_backward should return five arrays" in explorer.status.value
