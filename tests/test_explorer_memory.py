"""Lesson 01's explorer: the compute function measures what the lesson claims, the plot shows it,
and moving a control recomputes and redraws (no browser needed: values are set in Python). Also
the lesson's words about its sine check (section 6), computed with the same code."""
import math

import numpy as np
import pytest

from autograder.lessons.rnn_update import rnn_forward
from rnncourse import data
from rnncourse.explore import MemoryExplorer, draw_memory, memory_trace
from rnncourse.explore.memory import NUDGE
from rnncourse.plots import new_figure


def test_the_explorers_network():
    """Section 7: H = 16 units, D = 1, and W_hh scales every direction by the same factor: every
    singular value of W_hh equals the scale (and, for this matrix only, so does the spectral
    radius)."""
    trace = memory_trace(rnn_forward, radius=0.7)
    assert trace["hs"].shape == (60, 16)
    _, W_hh, _ = data.rnn_weights(1, 16, np.random.default_rng(0), radius=0.7)
    np.testing.assert_allclose(np.linalg.svd(W_hh, compute_uv=False), 0.7, rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W_hh)), 0.7, rtol=1e-9)


@pytest.mark.parametrize("radius", [0.3, 0.5, 0.8, 0.9])
def test_memory_fades_geometrically_below_one(radius):
    """Small inputs keep tanh linear; W_hh scales every direction by `radius` per step."""
    trace = memory_trace(rnn_forward, radius=radius, input_scale=0.01, T=120)
    assert trace["memory"] == math.ceil(math.log(0.01) / math.log(radius))
    assert trace["regime"].startswith("fading memory") and not trace["unstable"]
    ratios = trace["distance"][trace["end"]:trace["end"] + 5] / \
        trace["distance"][trace["end"] - 1:trace["end"] + 4]
    np.testing.assert_allclose(ratios, radius, rtol=1e-3)


def final_distances(radius, sizes=(1.0, 0.1, 0.01)):
    """{pulse size: distance from the silent run at the last step}, as the lesson's sensitivity
    cell computes it (an input scale s is a pulse of height s: W_xh x_t scales with both)."""
    return {size: memory_trace(rnn_forward, radius=radius, input_scale=size)["final"]
            for size in sizes}


def test_scale_above_one_is_sensitivity_not_memory():
    """Question 2 and the sensitivity cell: at scale 1.2, h = 0 is an unstable fixed point of the
    silent network (a nudge grows by 1.2 per step while tanh is linear); pulses of 1, 0.1 and 0.01
    all end about as far from the silent run (between 1.5 and 2, within a factor 1.2 of each
    other; measured 1.88, 1.58, 1.60). At 0.8 the trace is proportional to the pulse while
    tanh is linear (0.1 against 0.01: ten times), and the pulse of 1 leaves about 47 times more
    than the pulse of 0.01 (less than 100: tanh squashes the big pulse)."""
    unstable = final_distances(1.2)
    assert max(unstable.values()) / min(unstable.values()) < 1.2
    assert min(unstable.values()) > 1.0
    assert all(1.5 < end < 2.0 for end in unstable.values())
    fading = final_distances(0.8)
    assert fading[0.1] / fading[0.01] == pytest.approx(10.0, rel=0.03)
    assert round(fading[1.0] / fading[0.01]) == 47
    assert fading[1.0] < 1e-4 < min(unstable.values())
    # the explorer says it: its own small copy of the signal ends as far away at 1.2 ...
    trace = memory_trace(rnn_forward, radius=1.2)
    assert trace["unstable"] and trace["regime"].startswith("unstable")
    assert trace["nudge_final"] == pytest.approx(unstable[NUDGE], rel=1e-12)
    assert trace["nudge"][-1] > 10 * trace["nudge"][trace["end"] - 1]       # the nudge grew
    # the silent run stays at the fixed point h = 0; near it a nudge grows by 1.2 per step
    assert np.all(trace["silent"] == 0)
    end = trace["end"]
    np.testing.assert_allclose(trace["nudge"][end:end + 5] / trace["nudge"][end - 1:end + 4], 1.2,
                               rtol=0.01)
    # ... and is NUDGE times as far at 0.8 (linear), where it fades
    calm = memory_trace(rnn_forward, radius=0.8, input_scale=0.01)
    assert not calm["unstable"]
    np.testing.assert_allclose(calm["nudge"][calm["end"]:], NUDGE * calm["distance"][calm["end"]:],
                               rtol=1e-3)


def test_scale_at_one_is_stable_and_just_above_is_not():
    assert not memory_trace(rnn_forward, radius=1.0, input_scale=0.1)["unstable"]
    assert memory_trace(rnn_forward, radius=1.05, input_scale=0.1)["unstable"]


def test_large_scale_saturates():
    """Question 2: at scale 2.0 the units are pushed towards ±1: the average slope drops below
    0.5 (it is above 0.5 at 1.2)."""
    kept = memory_trace(rnn_forward, radius=1.2)
    pushed = memory_trace(rnn_forward, radius=2.0)
    assert pushed["slope"] < 0.5 < kept["slope"] and pushed["unstable"]


def test_bias_saturates_and_shortens_memory():
    """Question 3: bias 2.5 at scale 0.9 puts the units near +1 from the start, and the memory
    is less than a third as long."""
    calm = memory_trace(rnn_forward, radius=0.9, bias=0.0)
    biased = memory_trace(rnn_forward, radius=0.9, bias=2.5)
    assert biased["slope"] < 0.1 and calm["slope"] > 0.95
    assert biased["silent"].mean() > 0.9 and biased["silent"].min() > 0.7
    assert biased["memory"] < calm["memory"] / 3
    assert biased["regime"].startswith("saturated")


def test_large_input_saturates_for_a_step_and_shortens_memory_a_little():
    """Question 4: input scale 5 saturates the units at the pulse (average slope below 0.5 at
    that step), they are linear again afterwards, and the memory is shorter, by under 20%."""
    normal = memory_trace(rnn_forward, radius=0.9, input_scale=1.0)
    large = memory_trace(rnn_forward, radius=0.9, input_scale=5.0)
    at_pulse = np.mean(1 - large["hs"][large["end"] - 1] ** 2)
    assert at_pulse < 0.5 < np.mean(1 - normal["hs"][normal["end"] - 1] ** 2)
    assert large["slope"] > 0.95
    assert 0.8 * normal["memory"] < large["memory"] < normal["memory"]


def test_sine_burst_signal_ends_later():
    trace = memory_trace(rnn_forward, signal="sine burst")
    assert trace["end"] == 15 and np.count_nonzero(trace["x"]) >= 8


def test_sine_check_units_follow_the_sine():
    """Section 6: after settling, every unit repeats with the sine's period (20 steps), each with
    its own delay (the steps of their peaks differ) and amplitude."""
    rng = np.random.default_rng(0)
    x = data.sine_wave(T=50, N=3, phase=0.8)
    W_xh, W_hh, b_h = data.rnn_weights(D=1, H=8, rng=rng, radius=0.9)
    hs = rnn_forward(x, np.zeros((3, 8)), W_xh, W_hh, b_h)[:, 0, :]
    assert np.abs(hs[40:] - hs[20:30]).max() < 0.01          # settled: periodic
    assert np.abs(hs[20:30] - hs[:10]).max() > 0.01          # not from the start
    assert len(set(np.argmax(hs[30:50], axis=0))) >= 4       # delays
    amplitudes = np.ptp(hs[30:50], axis=0)
    assert amplitudes.max() > 2 * amplitudes.min()


def test_plot_shows_the_trace():
    trace = memory_trace(rnn_forward, radius=0.8, input_scale=0.5)
    fig = draw_memory(new_figure(), trace)
    ax_x, ax_h, ax_d = fig.axes[:3]
    np.testing.assert_array_equal(ax_x.lines[0].get_ydata(), trace["x"])
    np.testing.assert_array_equal(ax_h.images[0].get_array(), trace["hs"].T)
    np.testing.assert_allclose(ax_d.lines[0].get_ydata(), np.maximum(trace["distance"], 1e-16))
    np.testing.assert_allclose(ax_d.lines[1].get_ydata(), np.maximum(trace["nudge"], 1e-16))
    assert trace["regime"] in fig._suptitle.get_text()
    assert ax_d.get_yscale() == "log" and ax_d.get_xlabel() == "time step $t$"


def test_moving_a_slider_recomputes_and_redraws():
    explorer = MemoryExplorer(rnn_forward, radius=0.5)
    before_trace, before_png = explorer.trace, explorer.image.value
    assert bytes(before_png).startswith(b"\x89PNG") and "fading memory" in explorer.status.value
    explorer.controls["radius"].value = 1.2
    assert explorer.trace["radius"] == 1.2 and explorer.trace["memory"] > before_trace["memory"]
    assert explorer.image.value != before_png and "unstable" in explorer.status.value
    assert f"distance at the end {explorer.trace['final']:.2g}" in explorer.status.value
    assert f"signal × 0.01 {explorer.trace['nudge_final']:.2g}" in explorer.status.value
    explorer.controls["radius"].value = 0.9
    explorer.controls["bias"].value = 2.5
    assert "saturated" in explorer.status.value
    explorer.controls["signal"].value = "sine burst"
    assert explorer.trace["signal"] == "sine burst"


def test_unfinished_learner_code_shows_a_message_not_a_crash():
    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        raise NotImplementedError()

    explorer = MemoryExplorer(rnn_forward)
    assert explorer.trace is None and "NotImplementedError" in explorer.status.value


def test_presentation_style_toggles_back():
    import matplotlib as mpl

    from rnncourse.plots import OKABE_ITO, use_course_style

    use_course_style(presentation=True)
    assert mpl.rcParams["font.size"] == 16 and mpl.rcParams["xtick.labelsize"] == 14
    use_course_style()
    assert mpl.rcParams["font.size"] == 10 and mpl.rcParams["xtick.labelsize"] == "medium"
    assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == OKABE_ITO
