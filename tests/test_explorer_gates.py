"""Lesson 04's gate explorer: with the reference functions as the learner's, one cell holds a pulse
for about ln(0.01) / ln(f) steps, the output gate scales h_t without touching C_t, the plot shows
the trace, moving a control recomputes and redraws, and unfinished learner code is reported, not
raised."""
import math

import numpy as np
import pytest

from autograder.lessons.lstm_gates import cell_update, hidden_state
from rnncourse.explore.gates import GateExplorer, draw_gates, gate_trace, predicted_memory, stems
from rnncourse.plots import new_figure

FUNCTIONS = (cell_update, hidden_state)


@pytest.mark.parametrize("forget", [0.05, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99])
def test_memory_matches_ln_one_percent_over_ln_f(forget):
    trace = gate_trace(*FUNCTIONS, forget=forget, T=600)
    predicted = math.log(0.01) / math.log(forget)
    assert trace["predicted"] == pytest.approx(predicted)
    assert abs(trace["memory"] - predicted) <= 1
    assert trace["memory"] == math.ceil(predicted)
    assert f"remembers the pulse for {trace['memory']} step" in trace["summary"]


@pytest.mark.parametrize("forget, input", [(0.9, 1.0), (0.7, 0.4), (0.5, 0.05)])
def test_the_pulse_is_written_by_i_and_shrinks_by_f_per_step(forget, input):
    trace = gate_trace(*FUNCTIONS, forget=forget, input=input, pulse=0.8, T=40)
    at = trace["at"]
    np.testing.assert_array_equal(trace["C"][:at - 1], 0.0)
    np.testing.assert_allclose(trace["C"][at - 1:], input * 0.8 * forget ** np.arange(41 - at))
    assert trace["peak"] == pytest.approx(input * 0.8) and trace["peak_step"] == at
    np.testing.assert_array_equal(trace["written"], input * trace["candidate"])
    assert np.count_nonzero(trace["candidate"]) == 1 and trace["candidate"][at - 1] == 0.8
    np.testing.assert_array_equal(trace["f"], forget)


@pytest.mark.parametrize("output", [0.0, 0.3, 1.0])
def test_the_output_gate_scales_h_and_leaves_the_cell_state(output):
    trace = gate_trace(*FUNCTIONS, forget=0.8, output=output)
    open_gate = gate_trace(*FUNCTIONS, forget=0.8, output=1.0)
    np.testing.assert_allclose(trace["h"], output * np.tanh(trace["C"]))
    np.testing.assert_allclose(trace["h_open"], np.tanh(trace["C"]))
    np.testing.assert_array_equal(trace["C"], open_gate["C"])
    assert trace["memory"] == open_gate["memory"]
    if output == 0:
        np.testing.assert_array_equal(trace["h"], 0.0)
        assert "h_t = 0" in trace["output_note"]
    else:
        assert f"peak {np.max(trace['h']):.2f}" in trace["output_note"]


def test_a_closed_input_gate_writes_nothing_and_f_one_forgets_nothing():
    closed = gate_trace(*FUNCTIONS, input=0.0)
    np.testing.assert_array_equal(closed["C"], 0.0)
    assert closed["memory"] == 0 and "nothing is written" in closed["summary"]
    kept = gate_trace(*FUNCTIONS, forget=1.0, input=0.5, T=50)
    np.testing.assert_allclose(kept["C"][kept["at"] - 1:], 0.5)
    assert kept["memory"] is None and kept["predicted"] == math.inf
    assert "nothing is ever forgotten" in kept["summary"] and "100%" in kept["summary"]
    long = gate_trace(*FUNCTIONS, forget=0.99, T=40)      # remembered beyond the window
    assert long["memory"] is None and "predicted to last ln 0.01 / ln f = 458" in long["summary"]
    assert predicted_memory(0.0) == 0.0
    assert gate_trace(*FUNCTIONS, forget=0.0)["memory"] == 1


def test_the_learners_functions_get_one_cell_at_a_time():
    calls = []

    def spy(C_prev, f_t, i_t, C_tilde):
        calls.append((C_prev.shape, f_t.shape, i_t.shape, C_tilde.shape))
        return cell_update(C_prev, f_t, i_t, C_tilde)

    gate_trace(spy, hidden_state, T=12)
    assert calls == [((1, 1),) * 4] * 12


def test_plot_shows_the_trace():
    trace = gate_trace(*FUNCTIONS, forget=0.8, input=0.7, output=0.5, T=60)
    fig = draw_gates(new_figure(), trace)
    ax_in, ax_c = fig.axes
    candidate, written = ax_in.lines[:2]
    h_open, cell, hidden, forgotten = ax_c.lines[:4]
    np.testing.assert_array_equal(cell.get_xdata(), trace["steps"])
    np.testing.assert_array_equal(cell.get_ydata(), trace["C"])
    np.testing.assert_array_equal(hidden.get_ydata(), trace["h"])
    np.testing.assert_array_equal(h_open.get_ydata(), trace["h_open"])
    xs, ys = stems(trace["steps"], trace["written"])
    np.testing.assert_array_equal(written.get_xdata(), xs)
    np.testing.assert_array_equal(written.get_ydata(), ys)
    assert np.nanmax(written.get_ydata()) == pytest.approx(0.7)
    assert np.nanmax(candidate.get_ydata()) == 1.0
    np.testing.assert_array_equal(forgotten.get_xdata(), [trace["peak_step"] + trace["memory"]] * 2)
    assert ax_c.get_ylim() == pytest.approx((-0.15, 1.25))
    assert ax_c.get_xlim() == pytest.approx((0.5, 60.5))
    assert "f = 0.80" in fig.axes[0].get_title()
    # a second draw updates the same artists
    other = gate_trace(*FUNCTIONS, forget=1.0, T=60)
    draw_gates(fig, other)
    assert fig.axes[1] is ax_c and ax_c.lines[1] is cell
    np.testing.assert_array_equal(cell.get_ydata(), other["C"])
    assert np.all(np.isnan(forgotten.get_xdata()))          # never forgotten: no line


def test_moving_controls_recomputes_and_redraws():
    explorer = GateExplorer(*FUNCTIONS, forget=0.9)
    cell = explorer.figure.axes[1].lines[1]
    before = explorer.image.value
    assert bytes(before).startswith(b"\x89PNG")
    assert "remembers the pulse for 44 steps" in explorer.status.value
    explorer.controls["forget"].value = 0.5
    assert explorer.trace["forget"] == 0.5 and explorer.trace["memory"] == 7
    assert "for 7 steps" in explorer.status.value and explorer.image.value != before
    np.testing.assert_array_equal(cell.get_ydata(), explorer.trace["C"])
    explorer.controls["input"].value = 0.5
    assert explorer.trace["peak"] == pytest.approx(0.5)
    explorer.controls["output"].value = 0.0
    np.testing.assert_array_equal(explorer.trace["h"], 0.0)
    assert "h_t = 0" in explorer.status.value
    explorer.controls["input"].value = 0.0
    assert "nothing is written" in explorer.status.value


@pytest.mark.parametrize("broken", ["cell_update", "hidden_state"])
def test_unfinished_learner_code_shows_a_message_not_a_crash(broken):
    def unfinished(*args):
        raise NotImplementedError("write me")

    functions = dict(zip(("cell_update", "hidden_state"), FUNCTIONS))
    functions[broken] = unfinished
    explorer = GateExplorer(**functions)
    assert explorer.trace is None
    assert f"Your {broken} raised NotImplementedError: write me" in explorer.status.value
    explorer.controls["forget"].value = 0.5            # still no crash
    assert explorer.trace is None and broken in explorer.status.value


def test_wrong_shape_is_reported():
    def hidden_state_flat(o_t, C_t):
        return np.ravel(hidden_state(o_t, C_t))

    explorer = GateExplorer(cell_update, hidden_state_flat)
    assert explorer.trace is None
    assert "hidden_state returned shape (1,), expected (N, H) = (1, 1)" in explorer.status.value


def test_the_numbers_lesson_04_states_about_the_gates():
    """Section 8: the explorer's pulse is 1, at step 5; section 10: a gate held at 0.98 keeps
    0.98^50, about 0.36, after 50 steps; section 8's question 3: f = 0.73 = sigmoid(1) forgets a
    pulse within about 15 steps."""
    explorer = GateExplorer(*FUNCTIONS)
    assert explorer.trace["at"] == 5 and explorer.trace["candidate"][4] == 1.0
    trace = gate_trace(*FUNCTIONS, forget=0.98, T=60)
    at = trace["at"]
    assert f"{trace['C'][at - 1 + 50] / trace['C'][at - 1]:.2f}" == "0.36"
    assert gate_trace(*FUNCTIONS, forget=0.73, T=60)["memory"] == 15
