"""Lesson 01's explorer: the compute function measures what the lesson claims, the plot shows it,
and moving a control recomputes and redraws (no browser needed: values are set in Python)."""
import math

import numpy as np
import pytest

from autograder.reference.rnn_update import rnn_forward
from rnncourse.explore import MemoryExplorer, draw_memory, memory_trace
from rnncourse.plots import new_figure


@pytest.mark.parametrize("radius", [0.3, 0.5, 0.8, 0.9])
def test_memory_fades_geometrically_below_one(radius):
    """Small inputs keep tanh linear; W_hh scales every direction by `radius` per step."""
    trace = memory_trace(rnn_forward, radius=radius, input_scale=0.01, T=120)
    assert trace["memory"] == math.ceil(math.log(0.01) / math.log(radius))
    assert trace["regime"].startswith("fading memory")
    ratios = trace["distance"][trace["end"]:trace["end"] + 5] / \
        trace["distance"][trace["end"] - 1:trace["end"] + 4]
    np.testing.assert_allclose(ratios, radius, rtol=1e-3)


def test_scale_above_one_keeps_memory_and_large_scale_saturates():
    kept = memory_trace(rnn_forward, radius=1.2)
    assert kept["memory"] == len(kept["x"]) - kept["end"] and kept["regime"].startswith("long")
    pushed = memory_trace(rnn_forward, radius=2.0)
    assert pushed["slope"] < 0.5 < kept["slope"] and pushed["regime"].startswith("saturated")


def test_bias_saturates_and_shortens_memory():
    calm = memory_trace(rnn_forward, radius=0.9, bias=0.0)
    biased = memory_trace(rnn_forward, radius=0.9, bias=2.5)
    assert biased["slope"] < 0.1 and calm["slope"] > 0.95
    assert biased["memory"] < calm["memory"] / 3


def test_sine_burst_signal_ends_later():
    trace = memory_trace(rnn_forward, signal="sine burst")
    assert trace["end"] == 15 and np.count_nonzero(trace["x"]) >= 8


def test_plot_shows_the_trace():
    trace = memory_trace(rnn_forward, radius=0.8, input_scale=0.5)
    fig = draw_memory(new_figure(), trace)
    ax_x, ax_h, ax_d = fig.axes[:3]
    np.testing.assert_array_equal(ax_x.lines[0].get_ydata(), trace["x"])
    np.testing.assert_array_equal(ax_h.images[0].get_array(), trace["hs"].T)
    np.testing.assert_allclose(ax_d.lines[0].get_ydata(), np.maximum(trace["distance"], 1e-16))
    assert trace["regime"] in fig._suptitle.get_text()
    assert ax_d.get_yscale() == "log" and ax_d.get_xlabel() == "time step $t$"


def test_moving_a_slider_recomputes_and_redraws():
    explorer = MemoryExplorer(rnn_forward, radius=0.5)
    before_trace, before_png = explorer.trace, explorer.image.value
    assert bytes(before_png).startswith(b"\x89PNG") and "fading memory" in explorer.status.value
    explorer.controls["radius"].value = 2.0
    assert explorer.trace["radius"] == 2.0 and explorer.trace["memory"] > before_trace["memory"]
    assert explorer.image.value != before_png and "saturated" in explorer.status.value
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
