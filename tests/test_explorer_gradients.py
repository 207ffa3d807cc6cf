"""Lesson 03's explorer: with the reference functions as the learner's, the trace measures what
the lesson claims (sigma^lag for a linear RNN, never above the bound for tanh; a non-normal W_hh
whose gradient grows, then shrinks towards rho per step; the answers to the explorer's
questions), the plot shows it, moving a control recomputes and redraws, and unfinished learner
code is reported, not raised. Also the lesson's sigma_max-or-rho cell (powers of the non-normal
W_hh), computed with the same code."""
import math

import numpy as np
import pytest

from autograder.lessons.rnn_update import rnn_forward
from autograder.lessons.vanishing_gradients import gradient_norms, jacobian_norm_bound
from rnncourse import data
from rnncourse.explore import GradientExplorer, draw_gradients, gradient_trace
from rnncourse.explore.gradients import MATRICES, NONNORMAL_RHO, for_plot, step_factors
from rnncourse.plots import new_figure

FUNCTIONS = (rnn_forward, gradient_norms, jacobian_norm_bound)
ORTHOGONAL, NON_NORMAL = MATRICES


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


# --- sigma_max against the spectral radius: the non-normal W_hh -------------------------------

@pytest.mark.parametrize("rho, sigma", [(0.9, 1.3), (0.9, 1.5), (0.5, 0.9), (0.9, 0.9)])
def test_chain_matrix_has_the_asked_rho_and_sigma_max(rho, sigma):
    rotation = data.recurrent_matrix(32, 1.0, np.random.default_rng(3))
    W = data.chain_matrix(32, rho, sigma, rotation)
    assert np.linalg.norm(W, 2) == pytest.approx(sigma, rel=1e-12)
    # a defective matrix: its eigenvalues are computed only to about eps^(1/4)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W)), rho, atol=1e-3)
    if sigma > rho:
        assert np.abs(W @ W.T - W.T @ W).max() > 0.01          # not normal
    with pytest.raises(ValueError):
        data.chain_matrix(32, rho, rho - 0.1, rotation)


def lesson_matrix(rho=0.9, sigma=1.3):
    """The W_hh of the lesson's powers cell: data.chain_matrix on the rotation of seed 0."""
    return data.chain_matrix(32, rho, sigma, data.recurrent_matrix(32, 1.0,
                                                                     np.random.default_rng(0)))


def power_norms(W, n_max):
    """||W^n|| (spectral norm) for n = 1 .. n_max."""
    out, P = [], np.eye(len(W))
    for _ in range(n_max):
        P = P @ W
        out.append(jacobian_norm_bound(P, 1))
    return np.array(out)


def test_powers_of_the_non_normal_matrix_grow_then_decay():
    """The powers cell: rho = 0.9, sigma_max = 1.3. ||W^n|| <= sigma_max^n at every n; it climbs
    to about 25 at n = 29 (the chains' n^3 against 0.9^n peaks near 3 / ln(1 / 0.9) = 28.5), is
    below 1 again by n = 100, and ||W^n||^(1/n) creeps down to rho: 1.30 at n = 1, 0.995 at
    n = 100, 0.915 at n = 1000 (Gelfand's formula, slowly)."""
    norms = power_norms(lesson_matrix(), 1000)
    n = np.arange(1, 1001)
    assert np.all(norms <= 1.3 ** n * (1 + 1e-9))
    assert round(norms.max()) == 25 and n[np.argmax(norms)] == 29
    assert abs(3 / math.log(1 / 0.9) - 29) < 1
    assert norms[99] < 1 < norms[49]
    roots = norms ** (1 / n)
    assert roots[0] == pytest.approx(1.3) and round(roots[99], 3) == 0.995
    assert round(roots[999], 3) == 0.915 and np.all(np.diff(roots[30:]) < 0)


def test_non_normal_linear_gradient_grows_then_shrinks_towards_rho():
    """Explorer, non-normal W_hh, identity, sigma_max 1.3, T = 100: the gradient grows to about
    13 times its size 29 steps back, then shrinks by about 0.93 per step over the earliest 20
    steps, closing in on rho = 0.9; no single step multiplies by more than sigma_max, and the
    bound 1.3^(T - t) is far above (2e11 at t = 1)."""
    trace = gradient_trace(*FUNCTIONS, sigma_max=1.3, T=100, nonlinearity="identity",
                           matrix=NON_NORMAL)
    assert trace["rho"] == NONNORMAL_RHO == 0.9 and trace["grows"]
    assert trace["regime"] == "grows, then vanishing"
    assert round(trace["peak"]) == 13 and trace["peak_lag"] == 29
    assert round(trace["late"], 2) == 0.93
    factors = step_factors(trace["norms"])
    assert factors.max() <= 1.3 + 1e-12 and factors.max() > 1.15
    assert factors[0] == pytest.approx(0.9, rel=0.04)      # the step furthest back: near rho
    assert np.all(trace["norms"] <= trace["bound"] * (1 + 1e-10))
    assert f"{trace['bound'][0]:.0e}" == "2e+11"
    assert trace["headline"] == "grows ×12.7 over 29 steps back, then ×0.931 per step"
    # a window of 30 steps sees only the growth
    short = gradient_trace(*FUNCTIONS, sigma_max=1.3, T=30, nonlinearity="identity",
                           matrix=NON_NORMAL)
    assert short["regime"] == "exploding"


def test_orthogonal_and_non_normal_share_everything_but_the_matrix():
    a = gradient_trace(*FUNCTIONS, sigma_max=1.2, T=20, matrix=ORTHOGONAL)
    b = gradient_trace(*FUNCTIONS, sigma_max=1.2, T=20, matrix=NON_NORMAL)
    assert a["rho"] == 1.2 and b["rho"] == 0.9
    np.testing.assert_allclose(a["bound"], b["bound"], rtol=1e-10)   # the same sigma_max
    low = gradient_trace(*FUNCTIONS, sigma_max=0.7, matrix=NON_NORMAL)
    assert low["rho"] == 0.7                       # sigma_max below 0.9: rho = sigma_max


def test_with_tanh_rho_promises_nothing():
    """Every tanh step has its own Jacobian diag(1 - h_t^2) W_hh; Gelfand's formula is about
    powers of one matrix. Non-normal, tanh, sigma_max 1.3, input scale 0.1: the gradient grows
    on average (×1.04 per step) although rho(W_hh) = 0.9; sigma_max still bounds every step."""
    trace = gradient_trace(*FUNCTIONS, sigma_max=1.3, input_scale=0.1, matrix=NON_NORMAL)
    assert trace["regime"] == "exploding" and round(trace["factor"], 2) == 1.04
    assert step_factors(trace["norms"]).max() <= 1.3 + 1e-12


@pytest.mark.parametrize("matrix", MATRICES)
@pytest.mark.parametrize("sigma", [0.6, 1.0, 1.5])
@pytest.mark.parametrize("input_scale", [0.0, 0.5, 3.0])
def test_no_step_exceeds_sigma_max(matrix, sigma, input_scale):
    """The bottom panel's claim: one step's factor is at most sigma_max (tanh's slope <= 1)."""
    trace = gradient_trace(*FUNCTIONS, sigma_max=sigma, input_scale=input_scale, matrix=matrix)
    assert np.nanmax(step_factors(trace["norms"])) <= sigma * (1 + 1e-10)


# --- the explorer's questions ------------------------------------------------------------------

def test_question_2_saturation_shrinks_the_gradient():
    """sigma_max 1 (the start), T = 50: input scale 0.1 keeps tanh nearly linear (slope 0.94;
    ||dL/dh_1|| = 0.06 against a bound of 1); input scale 2 saturates the units (slope 0.38) and
    leaves 3e-15."""
    small = gradient_trace(*FUNCTIONS, sigma_max=1.0, input_scale=0.1)
    large = gradient_trace(*FUNCTIONS, sigma_max=1.0, input_scale=2.0)
    assert round(small["slope"], 2) == 0.94 and f"{small['norms'][0]:.0e}" == "6e-02"
    assert small["bound"][0] == pytest.approx(1.0)
    assert round(large["slope"], 2) == 0.38 and f"{large['norms'][0]:.0e}" == "3e-15"
    assert large["saturated"]


@pytest.mark.parametrize("T", [50, 100])
def test_question_3_tanh_at_sigma_1_3(T):
    """tanh, sigma_max 1.3: at input scale 1 the gradient vanishes, about ×0.80 per step back;
    it grows only for input scales up to 0.1 on the slider (×1.04 at T = 50), 0.2 is at the edge
    (×1.008) and from 0.3 on it vanishes. Identity at 1.3: ×1.30."""
    factors = {}
    for tenths in range(0, 31):
        trace = gradient_trace(*FUNCTIONS, sigma_max=1.3, input_scale=tenths / 10, T=T)
        factors[tenths] = trace["factor"], trace["regime"]
    assert round(factors[10][0], 2) == 0.80 and factors[10][1] == "vanishing"
    assert factors[0][1] == factors[1][1] == "exploding"
    assert factors[2][1] == "stable/edge" and round(factors[2][0], 3) == 1.008
    assert all(factors[k][1] == "vanishing" for k in range(3, 31))
    if T == 50:
        assert round(factors[1][0], 2) == 1.04
    linear = gradient_trace(*FUNCTIONS, sigma_max=1.3, T=T, nonlinearity="identity")
    assert linear["factor"] == pytest.approx(1.3)


def test_question_4_what_is_left_after_20_and_80_steps():
    """sigma_max 0.8, identity: 0.8^20 = 0.012 after 20 steps, 0.8^80 = 1.8e-8 after 80; tanh at
    input scale 1 leaves less: 5e-06 and 3e-22."""
    linear = gradient_trace(*FUNCTIONS, sigma_max=0.8, T=100, nonlinearity="identity")
    assert linear["norms"][-21] == pytest.approx(0.8 ** 20) and \
        linear["norms"][-81] == pytest.approx(0.8 ** 80)
    tanh = gradient_trace(*FUNCTIONS, sigma_max=0.8, T=100)
    assert f"{tanh['norms'][-21]:.0e}" == "5e-06" and f"{tanh['norms'][-81]:.0e}" == "3e-22"


def test_plot_shows_factors_sigma_rho_and_the_peak():
    trace = gradient_trace(*FUNCTIONS, sigma_max=1.3, T=100, nonlinearity="identity",
                           matrix=NON_NORMAL)
    fig = draw_gradients(new_figure(), trace)
    ax, ax_f = fig.axes[:2]
    peak = ax.lines[2]
    assert list(peak.get_xdata()) == [100 - 29]
    factors, sigma_line, rho_line = ax_f.lines[:3]
    np.testing.assert_array_equal(factors.get_ydata(), step_factors(trace["norms"]))
    assert list(sigma_line.get_ydata()) == [1.3, 1.3] and list(rho_line.get_ydata()) == [0.9, 0.9]
    assert "non-normal" in fig._suptitle.get_text() and trace["headline"] in fig._suptitle.get_text()
    flat = gradient_trace(*FUNCTIONS, sigma_max=0.7, T=100, nonlinearity="identity")
    draw_gradients(fig, flat)
    assert len(peak.get_xdata()) == 0 and list(rho_line.get_ydata()) == [0.7, 0.7]


def test_choosing_the_matrix_recomputes_and_redraws():
    explorer = GradientExplorer(*FUNCTIONS, sigma_max=1.3, nonlinearity="identity", T=100)
    before = explorer.image.value
    assert "exploding" in explorer.status.value and "ρ = 1.30" in explorer.status.value
    explorer.controls["matrix"].value = NON_NORMAL
    assert explorer.trace["matrix"] == NON_NORMAL and explorer.image.value != before
    assert "grows ×12.7 over 29 steps back" in explorer.status.value
    assert "ρ = 0.90" in explorer.status.value and "σ_max = 1.30" in explorer.status.value
