"""Lesson 02's explorer and its comparison of training schemes: the compute functions measure,
with the learner's functions, where the gradient on W_hh comes from, what truncation keeps of it
and how far each way of cutting a stream into windows lands from full BPTT; the plot shows exactly
that; moving the scale recomputes, moving k only redraws (no browser needed: values are set in
Python). The last tests recompute every number the lesson's text states about truncation."""
import re

import matplotlib as mpl
import numpy as np
import pytest

from autograder.lessons.bptt import rnn_backward, rnn_backward_truncated
from autograder.lessons.rnn_update import rnn_forward
from coursekit import solution_notebook
from rnncourse.explore.truncation import (CONTRIBUTION_RANGE, ERROR_RANGE, HEADINGS, RADIUS_RANGE,
                                          SCHEMES, TruncationExplorer, at_window,
                                          draw_truncation, for_plot, lookback, scheme_table,
                                          table_percent, truncation_profile, truncation_schemes,
                                          williams_peng_windows)
from rnncourse.plots import new_figure, use_course_style

LEARNER = (rnn_forward, rnn_backward, rnn_backward_truncated)


@pytest.fixture(scope="module")
def profiles():
    return {radius: truncation_profile(*LEARNER, radius=radius)
            for radius in (0.5, 0.7, 0.9, 1.2)}


@pytest.fixture(scope="module")
def schemes():
    """The lesson's table: scales 0.5 and 0.9, k = 5, 10, 20."""
    return {radius: truncation_schemes(*LEARNER, radius=radius, ks=(5, 10, 20))
            for radius in (0.5, 0.9)}


def last_state_loss(profile, step=None, change=None):
    """sum(dL/dh_T * h_T) from a forward pass written here, with W_hh + change used at `step`
    (1-based) only."""
    h = profile["h0"]
    for t in range(1, profile["T"] + 1):
        W_hh = profile["W_hh"] + change if t == step else profile["W_hh"]
        h = np.tanh(profile["x"][t - 1] @ profile["W_xh"].T + h @ W_hh.T + profile["b_h"])
    return np.sum(profile["dhs_last"][-1] * h)


def windowed_loss(problem, windows, W_hh, restart=False):
    """The loss whose exact gradient a windowed scheme computes, from a forward pass written here:
    for each backward pass (start, first_loss, end), the state before `start` is a constant (the
    stream's state, or 0 with restart after the first window) and W_hh runs steps start .. end-1;
    the losses sum(dhs[t] * h_t) of steps first_loss .. end-1 count."""
    total = 0.0
    for start, first_loss, end in windows:
        if start == 0:
            h = problem["h0"]
        else:
            h = np.zeros(problem["h0"].shape) if restart else problem["hs"][start - 1]
        for t in range(start, end):
            h = np.tanh(problem["x"][t] @ problem["W_xh"].T + h @ W_hh.T + problem["b_h"])
            if t >= first_loss:
                total += np.sum(problem["dhs"][t] * h)
    return total


def directional_derivative(problem, windows, restart, direction, eps=1e-6):
    W_hh = problem["W_hh"]
    return (windowed_loss(problem, windows, W_hh + eps * direction, restart) -
            windowed_loss(problem, windows, W_hh - eps * direction, restart)) / (2 * eps)


# ---------------------------------------------------------------------------------------------
# The profile: contributions by lag, what windows keep, the error of the truncated gradient.

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


def test_distant_share_counts_the_lags_beyond(profiles):
    profile = profiles[0.9]
    norms = profile["contribution"]
    for j in (1, 5, 10, 39):
        assert profile["distant_share"][j - 1] == pytest.approx(norms[j:].sum() / norms.sum())
    assert profile["distant_share"][-1] == 0.0
    assert np.all(np.diff(profile["distant_share"]) <= 0)


def test_lookback_is_where_a_step_sits_in_its_window():
    assert [lookback(t, 3) for t in range(1, 8)] == [0, 1, 2, 0, 1, 2, 0]
    assert [lookback(t, 1) for t in (1, 2, 40)] == [0, 0, 0]
    assert lookback(40, 10) == 9 and lookback(40, 7) == 4 and lookback(40, 13) == 0
    assert lookback(40, 40) == lookback(40, 100) == 39
    for bad in ((0, 3), (2, 0), (2.5, 3)):
        with pytest.raises(ValueError):
            lookback(*bad)


@pytest.mark.parametrize("k", [1, 3, 7, 10, 13, 39, 40])
def test_the_loss_on_h_T_keeps_the_lags_of_its_lookback(profiles, k):
    """What the explorer's left panel shades is what the learner's rnn_backward_truncated drops:
    for a loss on h_T alone, the truncated dW_hh is the sum of the contributions of lags
    0 .. (T - 1) mod k, and the share it loses is distant_share at that lookback."""
    profile = profiles[0.9]
    args = [profile[key] for key in ("dhs_last", "x", "h0", "hs", "W_xh", "W_hh")]
    truncated = rnn_backward_truncated(*args, k)[3]
    read = at_window(profile, k)
    kept = profile["contribution_matrices"][:read["lookback"] + 1].sum(axis=0)
    np.testing.assert_allclose(truncated, kept, rtol=0, atol=1e-10)
    norms = profile["contribution"]
    assert read["lost_share"] == pytest.approx(norms[read["lookback"] + 1:].sum() / norms.sum(),
                                               abs=1e-15)
    assert read["window_share"] == profile["distant_share"][min(k, 40) - 1]


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
    assert np.any(np.diff(error[:-1]) > 0)
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
    assert read["k"] == 10 and read["boundaries"] == 3 and read["lookback"] == 9
    assert read["lost_share"] == profile["distant_share"][9] == read["window_share"]
    assert read["relative_error"] == profile["relative_error"][9]
    assert read["summary"] == (f"k = 10: the loss on h_T keeps lags 0–9 and loses "
                               f"{read['lost_share']:.1%} of its gradient on W_hh; a loss at "
                               f"every step: truncated gradient off by "
                               f"{read['relative_error']:.0%}")
    assert read["title"].count("\n") == 1 and "keeps lags 0–9" in read["title"]
    first = at_window(profile, 13)     # step 40 opens the fourth window of 13
    assert first["lookback"] == 0 and "keeps lag 0 only" in first["summary"]
    assert first["lost_share"] == profile["distant_share"][0]
    assert at_window(profile, 40)["boundaries"] == 0 and at_window(profile, 39)["boundaries"] == 1
    assert at_window(profile, 40)["lost_share"] == 0.0
    with pytest.raises(ValueError):
        at_window(profile, 0)


# ---------------------------------------------------------------------------------------------
# The plot and the widget.

def test_plot_shows_the_profile(profiles):
    profile, k = profiles[0.9], 7
    fig = draw_truncation(new_figure(), profile, k)
    ax_c, ax_e = fig.axes[:2]
    kept, lost, reach = ax_c.lines[:3]
    np.testing.assert_array_equal(kept.get_xdata(), profile["lags"])
    np.testing.assert_array_equal(kept.get_ydata(), profile["contribution"])  # all in range
    np.testing.assert_array_equal(lost.get_xdata(), profile["lags"][5:])    # lookback 4
    np.testing.assert_array_equal(lost.get_ydata(), profile["contribution"][5:])
    np.testing.assert_array_equal(reach.get_xdata(), [k])
    band = fig._truncation_artists["lost_band"]
    assert band.get_x() == 4.5 and band.get_width() == profile["T"] - 5
    error, k_line, k_point = ax_e.lines[:3]
    np.testing.assert_array_equal(error.get_xdata(), profile["ks"])
    np.testing.assert_array_equal(error.get_ydata(), profile["relative_error"])
    np.testing.assert_array_equal(k_point.get_xdata(), [k])
    np.testing.assert_array_equal(k_point.get_ydata(), [profile["relative_error"][k - 1]])
    np.testing.assert_array_equal(k_line.get_xdata(), [k, k])
    assert fig._suptitle.get_text() == at_window(profile, k)["title"]
    assert ax_c.get_yscale() == "log" and ax_c.get_ylim() == CONTRIBUTION_RANGE
    assert ax_e.get_ylim() == ERROR_RANGE
    draw_truncation(fig, profile, 40)                # full BPTT: nothing lost, no reach mark
    assert len(lost.get_xdata()) == 0 and band.get_width() == 0
    assert np.isnan(reach.get_xdata()[0])


def test_values_beyond_the_fixed_range_are_clipped_just_outside(profiles):
    profile = profiles[0.5]
    assert profile["contribution"].min() < CONTRIBUTION_RANGE[0]     # falls out of the frame
    fig = draw_truncation(new_figure(), profile, 5)
    shown = fig.axes[0].lines[0].get_ydata()
    np.testing.assert_array_equal(shown, for_plot(profile["contribution"], CONTRIBUTION_RANGE))
    assert shown.min() == CONTRIBUTION_RANGE[0] / 10
    np.testing.assert_array_equal(for_plot(np.array([-1.0, 0.5, 9.0, np.nan]), (0.0, 1.0)),
                                  [-0.05, 0.5, 1.05, np.nan])


@pytest.mark.parametrize("presentation", [False, True], ids=["normal", "presentation"])
def test_the_title_fits_at_every_window(presentation):
    """tests/test_explorer_layout.py draws at the controls' extremes; the title changes with
    every k, so check it at every k (and both ends of the scale): inside the figure, clear of
    both panels and their texts."""
    saved = dict(mpl.rcParams)
    use_course_style(presentation=presentation)
    try:
        fig = new_figure(height=4.8)
        problems = []
        for radius in RADIUS_RANGE:
            profile = truncation_profile(*LEARNER, radius=radius)
            for k in range(1, 41):
                draw_truncation(fig, profile, k)
                renderer = fig.canvas.get_renderer()
                box = fig._suptitle.get_window_extent(renderer)
                if not (box.x0 >= 0 and box.x1 <= fig.bbox.x1 and box.y1 <= fig.bbox.y1):
                    problems.append(f"scale {radius}, k = {k}: title leaves the figure")
                for ax in fig.axes:
                    if ax.get_tightbbox(renderer).y1 > box.y0:
                        problems.append(f"scale {radius}, k = {k}: title on a panel")
        assert not problems, problems[:5]
    finally:
        mpl.rcParams.update(saved)


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
    assert artists["lost_band"].get_x() == lookback(40, 25) + 0.5
    np.testing.assert_array_equal(artists["k_point"].get_ydata(), [profile["relative_error"][24]])
    png = bytes(explorer.image.value)

    explorer.controls["radius"].value = 1.2
    assert [fn.calls for fn in learner] == [2 * c for c in calls]
    assert explorer.profile is not profile and explorer.profile["radius"] == 1.2
    assert bytes(explorer.image.value) != png
    assert "scale of W_hh 1.20" in explorer.status.value
    np.testing.assert_array_equal(artists["error"].get_ydata(), explorer.profile["relative_error"])
    # the layout was built once: the blitted background (axes, ticks, legends) is still valid
    assert explorer.figure is figure and figure._truncation_artists is artists
    assert figure.axes[0].get_ylim() == CONTRIBUTION_RANGE
    assert figure.axes[1].get_ylim() == ERROR_RANGE
    assert figure.get_layout_engine() is None or \
        type(figure.get_layout_engine()).__name__ == "PlaceHolderLayoutEngine"

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


# ---------------------------------------------------------------------------------------------
# The schemes: carried state, restarted state, Williams & Peng's overlapping windows.

def test_williams_peng_windows():
    assert williams_peng_windows(5, 2, 2) == [(0, 0, 2), (2, 2, 4), (4, 4, 5)]
    assert williams_peng_windows(5, 4, 2) == [(0, 0, 2), (0, 2, 4), (2, 4, 5)]
    assert williams_peng_windows(5, 3, 1) == [(0, 0, 1), (0, 1, 2), (0, 2, 3), (1, 3, 4),
                                              (2, 4, 5)]
    for T in (1, 5, 12, 40):
        for depth in (1, 2, 3, 7, 40, 50):
            for every in range(1, depth + 1):
                windows = williams_peng_windows(T, depth, every)
                # every loss is carried exactly once, and reaches >= depth - every steps back
                assert [t for _, first, end in windows for t in range(first, end)] == \
                    list(range(T))
                for start, first, end in windows:
                    assert first - start == min(first, depth - every) and end - first <= every
            # depth = every = k: the learner's windows, counted from the start
            assert williams_peng_windows(T, depth, depth) == \
                [(s, s, min(s + depth, T)) for s in range(0, T, depth)]
    for bad in ((5, 2, 3), (5, 2, 0), (5, 2.5, 1)):
        with pytest.raises(ValueError):
            williams_peng_windows(*bad)


@pytest.fixture(scope="module")
def odd():
    """Windows that do not divide T (T = 13), at scale 0.9: the schemes' edge cases."""
    return truncation_schemes(*LEARNER, radius=0.9, ks=(1, 3, 5, 13, 20), T=13, N=3, H=6)


def test_carried_is_the_learners_truncated_bptt_and_matches_the_profile(schemes, profiles, odd):
    for radius, table in schemes.items():
        np.testing.assert_array_equal(table["relative_error"]["carried"],
                                      profiles[radius]["relative_error"][table["ks"] - 1])
        np.testing.assert_array_equal(table["dW_hh_full"], profiles[radius]["dW_hh_full"])
    args = [odd[key] for key in ("dhs", "x", "h0", "hs", "W_xh", "W_hh")]
    for i, k in enumerate(odd["ks"]):
        np.testing.assert_allclose(odd["dW_hh"]["carried"][i], rnn_backward_truncated(*args, k)[3])


@pytest.mark.parametrize("scheme, depth, every, restart",
                         [("carried", 1, 1, False), ("restarted", 1, 1, True),
                          ("overlapping", 2, 1, False), ("sliding", 1, None, False)])
def test_each_scheme_is_the_exact_gradient_of_its_windowed_loss(odd, scheme, depth, every,
                                                                restart):
    """Each scheme's dW_hh is the derivative, with respect to W_hh, of the losses it carries with
    the state before each backward pass held fixed (the stream's, or 0 when restarted): central
    differences of a forward pass written here, along random directions. The carried scheme is
    also checked against BPTT(k; k), which is the same."""
    for i, k in enumerate(odd["ks"]):
        windows = williams_peng_windows(odd["T"], depth * k, k if every else 1)
        direction = np.random.default_rng(int(k)).normal(size=odd["W_hh"].shape)
        numeric = directional_derivative(odd, windows, restart, direction)
        analytic = np.sum(odd["dW_hh"][scheme][i] * direction)
        assert abs(numeric - analytic) <= 1e-7 * max(1.0, abs(analytic)), (scheme, k)


def test_windows_as_long_as_the_stream_are_full_bptt(odd):
    for scheme in SCHEMES:
        error = odd["relative_error"][scheme]
        assert np.all(error[odd["ks"] >= 13] < 1e-12), scheme
    assert odd["relative_error"]["overlapping"][odd["ks"] == 13] < 1e-12   # 2k >= T already
    # k = 1: restarted windows of one step read the zero state, carried ones the stream's
    assert odd["relative_error"]["restarted"][0] > odd["relative_error"]["carried"][0]


def test_restarted_states_differ_from_the_streams_after_every_boundary(schemes):
    table = schemes[0.5]
    for k in (5, 10, 20):
        for start in range(k, table["T"], k):
            restarted = rnn_forward(table["x"][start:start + k], np.zeros(table["h0"].shape),
                                    table["W_xh"], table["W_hh"], table["b_h"])
            assert np.abs(restarted[0] - table["hs"][start]).max() > 0.1


def test_backward_steps_are_the_work_of_each_scheme(schemes, odd):
    table = schemes[0.5]
    np.testing.assert_array_equal(table["backward_steps"]["carried"], [40, 40, 40])
    np.testing.assert_array_equal(table["backward_steps"]["restarted"], [40, 40, 40])
    np.testing.assert_array_equal(table["backward_steps"]["overlapping"], [75, 70, 60])
    np.testing.assert_array_equal(table["backward_steps"]["sliding"], [190, 355, 610])
    for i, k in enumerate(odd["ks"]):
        expected = {"overlapping": sum(e - s for s, _, e in williams_peng_windows(13, 2 * k, k)),
                    "sliding": sum(min(t, k) for t in range(1, 14))}
        for scheme, steps in expected.items():
            assert odd["backward_steps"][scheme][i] == steps


@pytest.mark.parametrize("radius", [0.5, 0.9])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_the_schemes_keep_their_order_on_other_seeds(radius, seed):
    """What the lesson says holds beyond the seed it shows: at every k of the table, restarting
    the state is furthest from full BPTT, then carrying it, then BPTT(k; 1), then BPTT(2k; k)."""
    table = truncation_schemes(*LEARNER, radius=radius, ks=(5, 10, 20), seed=seed)
    errors = table["relative_error"]
    assert np.all(errors["restarted"] > errors["carried"])
    assert np.all(errors["carried"] > errors["sliding"])
    assert np.all(errors["sliding"] >= errors["overlapping"])


def test_the_table_prints_the_measured_numbers(schemes):
    table = schemes[0.5]
    text = scheme_table(table)
    lines = text.splitlines()
    assert lines[0] == ("scale of W_hh 0.50, T = 40, a loss at every step: relative error of "
                        "dW_hh against full BPTT")
    assert lines[1].split() == ["k", "carried", "state", "restarted", "state", "BPTT(2k;", "k)",
                                "BPTT(k;", "1)"]
    assert lines[2].split() == ["5", "23.0%", "65.4%", "0.2%", "1.2%"]
    assert lines[3].split() == ["10", "16.4%", "43.3%", "<0.1%", "<0.1%"]
    assert lines[4].split() == ["20", "7.6%", "30.0%", "0%", "<0.1%"]
    assert lines[5] == "steps run backwards (full BPTT: 40):"
    assert lines[6].split() == ["5", "40", "40", "75", "190"]
    for i, k in enumerate(table["ks"]):
        cells = lines[2 + i].split()
        assert cells == [str(k)] + [table_percent(table["relative_error"][s][i]) for s in SCHEMES]
    assert [table_percent(v) for v in (0.0, 1e-13, 4e-4, 0.00167, 0.2296, np.nan)] == \
        ["0%", "0%", "<0.1%", "0.2%", "23.0%", "?%"]
    assert set(HEADINGS) == set(SCHEMES)


def test_the_schemes_name_the_learners_failing_function():
    from rnncourse.explore.learner import LearnerCodeFailed

    def broken_forward(x, h0, W_xh, W_hh, b_h):
        raise NotImplementedError("not yet")

    with pytest.raises(LearnerCodeFailed, match="rnn_forward raised NotImplementedError"):
        truncation_schemes(broken_forward, rnn_backward, rnn_backward_truncated)


# ---------------------------------------------------------------------------------------------
# Every number the lesson states about truncation, recomputed (sections 7 to 10).

def _pct(value, decimals):
    return f"{100 * value:.{decimals}f}%"


def lesson_claims(profiles, schemes):
    """[(where, what the lesson says, what the course's code gives)], each compared as text."""
    p5, p9, p12 = profiles[0.5], profiles[0.9], profiles[1.2]
    s5, s9 = (schemes[r]["relative_error"] for r in (0.5, 0.9))
    below_T = p5["relative_error"][:-1]
    return [
        ("Q1: at scale 0.9, k = 10, the loss on h_T keeps lags 0-9", 9, lookback(40, 10)),
        ("Q2: at scale 0.5, lags >= 5 hold under 1%", True, p5["distant_share"][4] < 0.01),
        ("table: carried, 0.5, k = 5", "23%", _pct(s5["carried"][0], 0)),
        ("table: carried, 0.5, k = 20", "7.6%", _pct(s5["carried"][2], 1)),
        ("table: carried, 0.9, k = 5", "38%", _pct(s9["carried"][0], 0)),
        ("table: carried, 0.9, k = 20", "12%", _pct(s9["carried"][2], 0)),
        ("carried above 4% at every k < T (0.5)", True, below_T.min() > 0.04),
        ("carried at best 4.2% below T (0.5)", "4.2%", _pct(below_T.min(), 1)),
        ("... at k = 38", 38, int(below_T.argmin()) + 1),
        ("a loss at a window's first step loses 33% (0.5)", "33%", _pct(p5["distant_share"][0], 0)),
        ("restarted, 0.5, k = 5", "65%", _pct(s5["restarted"][0], 0)),
        ("restarted, 0.5, k = 20", "30%", _pct(s5["restarted"][2], 0)),
        ("restarted runs the same 40 backward steps", 40,
         schemes[0.5]["backward_steps"]["restarted"][0]),
        ("BPTT(2k; k), 0.5, k = 5", "0.2%", _pct(s5["overlapping"][0], 1)),
        ("BPTT(2k; k), 0.9, k = 5", "4.3%", _pct(s9["overlapping"][0], 1)),
        ("BPTT(2k; k) steps at k = 5", 75, schemes[0.5]["backward_steps"]["overlapping"][0]),
        ("BPTT(2k; k) at k = 20 is full BPTT", True, bool(s5["overlapping"][2] < 1e-12)),
        ("BPTT(k; 1), 0.5, k = 5", "1.2%", _pct(s5["sliding"][0], 1)),
        ("BPTT(k; 1), 0.9, k = 5", "12%", _pct(s9["sliding"][0], 0)),
        ("BPTT(k; 1) steps at k = 5", 190, schemes[0.5]["backward_steps"]["sliding"][0]),
        ("Q4 and summary: error at k = 20 larger at scale 1.2 than at 0.5", True,
         p12["relative_error"][19] > p5["relative_error"][19]),
        ("summary: the error does not fall steadily with k", True,
         bool(np.any(np.diff(p9["relative_error"][:-1]) > 0))),
    ]


# Every percentage the lesson's markdown states, each covered by lesson_claims (or, for "1%",
# by test_no_window_shorter_than_the_sequence_comes_within_one_percent).
STATED_PERCENTS = {"1%", "4%", "4.2%", "7.6%", "12%", "23%", "30%", "33%", "38%", "65%", "0.2%",
                   "4.3%", "1.2%"}


def test_every_number_the_lesson_states(profiles, schemes):
    wrong = [(where, said, got) for where, said, got in lesson_claims(profiles, schemes)
             if said != got]
    assert not wrong, wrong


def test_no_window_shorter_than_the_sequence_comes_within_one_percent():
    """The summary and question 3: at every scale of the explorer's slider, the smallest error
    below k = T is above 1% (so "which k is within 1%?" has no answer below T)."""
    for radius in np.arange(RADIUS_RANGE[0], RADIUS_RANGE[1] + 1e-9, 0.05):
        errors = truncation_profile(*LEARNER, radius=round(float(radius), 2))["relative_error"]
        assert errors[:-1].min() > 0.01, radius


def test_the_lessons_percentages_are_the_ones_tested(profiles, schemes):
    """The lesson states no percentage that this file does not recompute."""
    text = "\n".join(cell.source for cell in solution_notebook("02_bptt").cells
                     if cell.cell_type == "markdown")
    stated = set(re.findall(r"\d+(?:\.\d+)?%", text))
    assert stated == STATED_PERCENTS, (stated - STATED_PERCENTS, STATED_PERCENTS - stated)
    said = {claim[1] for claim in lesson_claims(profiles, schemes)}
    assert STATED_PERCENTS - {"1%", "4%"} <= said
    for number in ("lags 0–9", "$k = 38$", "75 backward", "for 190", "same 40 backward"):
        assert number in text, number


def test_answers_to_the_explorer_questions(profiles):
    """What the learner should find on screen for the lesson's four questions (section 8)."""
    p5, p9, p12 = profiles[0.5], profiles[0.9], profiles[1.2]
    # 1. Scale 0.9: k = 7 keeps lags 0-4, k = 13 lag 0 only (step 40 opens a window).
    assert at_window(p9, 7)["lookback"] == 4 and at_window(p9, 13)["lookback"] == 0
    assert "keeps lags 0–4" in at_window(p9, 7)["title"]
    assert "keeps lag 0 only" in at_window(p9, 13)["title"]
    # 2. Scale 0.5, k = 5: lags >= 5 hold 0.9% of the last-step gradient, yet the error is 23%;
    #    at k = 1 the left panel says what a loss at a window's first step loses: 33%.
    assert at_window(p5, 5)["window_share"] < 0.01
    assert "off by 23%" in at_window(p5, 5)["title"]
    assert "loses 33%" in at_window(p5, 1)["title"]
    # 3. No k below 40 within 1%; the smallest error below T is 4.2% at k = 38; k = 30 (9.0%) is
    #    worse than k = 20 (7.6%), and both leave one boundary.
    errors = p5["relative_error"]
    assert errors[:-1].min() > 0.01 and int(errors[:-1].argmin()) + 1 == 38
    assert errors[29] > errors[19]
    assert at_window(p5, 20)["boundaries"] == at_window(p5, 30)["boundaries"] == 1
    # 4. Scale 1.2, k = 20: 18%, against 7.6% at 0.5; the contributions fall more slowly.
    assert "off by 18%" in at_window(p12, 20)["title"]
    assert "off by 7.6%" in at_window(p5, 20)["title"]
    assert p12["contribution"][10] / p12["contribution"][0] > \
        100 * p5["contribution"][10] / p5["contribution"][0]


def test_the_issues_measurements(profiles):
    """Issue 13's figures, as the course's code gives them (T = 40): the relative error of dW_hh
    at k = 5, 10, 20, 30, and the first k where the share of lags >= k falls below 1%."""
    def errors(radius):
        return [_pct(profiles[radius]["relative_error"][k - 1], 1) for k in (5, 10, 20, 30)]

    assert errors(0.5) == ["23.0%", "16.4%", "7.6%", "9.0%"]
    assert errors(0.7) == ["31.2%", "19.7%", "9.8%", "13.0%"]
    first_below = {radius: int(np.argmax(profiles[radius]["distant_share"] < 0.01)) + 1
                   for radius in (0.5, 0.7, 0.9, 1.2)}
    assert first_below == {0.5: 5, 0.7: 8, 0.9: 12, 1.2: 23}
