"""Lesson 04 explorer: set the gates by hand and watch one LSTM cell remember, or forget, a pulse.

One cell (N = H = 1) over T steps. The candidate C~_t is a single pulse at one step and zero
elsewhere; the forget gate f, the input gate i and the output gate o are the same at every step,
set by the sliders. The learner's cell_update gives C_t = f * C_{t-1} + i * C~_t, so the pulse
writes i * pulse into the cell state, which then shrinks by f per step: it falls below 1% of its
peak after about ln(0.01) / ln(f) steps (never for f = 1). The learner's hidden_state gives
h_t = o * tanh(C_t): the output gate decides how much of the remembered value is shown, without
changing what is remembered. Nothing here computes a graded answer: the learner's functions do.
"""
import math

import numpy as np

from ..plots import OKABE_ITO, laid_out_once, legend_above, new_figure
from .learner import run_learner, shaped
from .widget import Explorer, slider

THRESHOLD = 0.01     # the pulse is forgotten when |C_t| falls below 1% of its peak
AT = 5               # the step t (1-based) of the pulse


def predicted_memory(forget):
    """ln(0.01) / ln(f): steps until f^steps = 1% (inf for f >= 1, 0 for f = 0)."""
    if forget >= 1:
        return math.inf
    if forget <= 0:
        return 0.0
    return math.log(THRESHOLD) / math.log(forget)


def _cell(name, fn, *args):
    return shaped(name, run_learner(name, fn, *args), (1, 1), "(N, H) = (1, 1)")


def gate_trace(cell_update, hidden_state, forget=0.9, input=1.0, output=1.0, pulse=1.0, T=60,
               at=AT):
    """Run one LSTM cell with the gates held at `forget`, `input` and `output` through T steps
    whose candidate is `pulse` at step `at` (1-based) and 0 elsewhere, C_0 = 0, with the
    learner's cell_update(C_prev, f_t, i_t, C_tilde) -> C_t and hidden_state(o_t, C_t) -> h_t,
    called step by step on arrays of shape (N, H) = (1, 1).

    Returns a dict:
      steps (T,) = 1 .. T; candidate (T,) C~_t; written (T,) = i_t * C~_t, what the input gate lets
      in; f, i, o (T,) the gates; C (T,) the cell state C_t; h (T,) the hidden state h_t;
      h_open (T,) = hidden_state(1, C_t), h_t with the output gate fully open;
      peak (|C| at its largest) and peak_step (1-based step of that peak);
      memory: steps after the peak until |C_t| first falls below 1% of the peak (None if it never
      does within T steps, 0 if nothing was written); left (steps after the peak within T);
      predicted = ln(0.01) / ln(forget) (inf for forget = 1); summary (how long the pulse is
      remembered) and output_note (what o does to h), readable lines; and the settings forget,
      input, output, pulse, T, at.

    Raises LearnerCodeFailed naming the learner's function that raised or returned a wrong shape.
    """
    T, at = int(T), int(at)
    if not 1 <= at <= T:
        raise ValueError(f"the pulse's step at must be within 1 .. T = {T}, not {at}")
    steps = np.arange(1, T + 1)
    candidate = np.where(steps == at, float(pulse), 0.0)
    f, i, o = (np.full(T, float(value)) for value in (forget, input, output))
    C, h, h_open = np.empty(T), np.empty(T), np.empty(T)
    C_prev = np.zeros((1, 1))
    one = np.ones((1, 1))
    for t in range(T):
        C_prev = _cell("cell_update", cell_update, C_prev, f[t] * one, i[t] * one,
                       candidate[t] * one)
        C[t] = C_prev[0, 0]
        h[t] = _cell("hidden_state", hidden_state, o[t] * one, C_prev)[0, 0]
        h_open[t] = _cell("hidden_state", hidden_state, one, C_prev)[0, 0]

    size = np.abs(C)
    peak_index = int(np.argmax(size))
    peak = float(size[peak_index])
    left = T - 1 - peak_index
    below = np.nonzero(size[peak_index + 1:] < THRESHOLD * peak)[0]
    predicted = predicted_memory(forget)
    if peak == 0 or not np.isfinite(peak):
        memory = 0
        summary = ("nothing is written: the input gate is closed (i = 0), so the cell state "
                   "never holds the pulse" if input == 0 else "nothing is written to the cell")
    elif below.size:
        memory = int(below[0]) + 1
        summary = (f"the cell state remembers the pulse for {memory} step"
                   f"{'' if memory == 1 else 's'} (below 1% of its peak after that; "
                   f"predicted ln 0.01 / ln f = {predicted:.1f})")
    else:
        memory = None
        summary = (f"the cell state still holds {size[-1] / peak:.0%} of the pulse "
                   f"{left} steps later")
        summary += (" (f = 1: nothing is ever forgotten)" if forget >= 1 else
                    f" (predicted to last ln 0.01 / ln f = {predicted:.0f} steps)")

    h_peak, open_peak = float(np.max(np.abs(h))), float(np.max(np.abs(h_open)))
    if output == 0:
        output_note = ("o = 0 closes the output: h_t = 0 at every step, although the cell state "
                       "remembers")
    elif output == 1:
        output_note = f"o = 1 shows all of it: h_t = tanh(C_t), peak {h_peak:.2f}"
    else:
        output_note = (f"o = {output:.2f} scales h_t = o tanh(C_t): peak {h_peak:.2f} instead "
                       f"of {open_peak:.2f}; the cell state is unchanged")
    return {"steps": steps, "candidate": candidate, "written": i * candidate, "f": f, "i": i,
            "o": o, "C": C, "h": h, "h_open": h_open, "peak": peak, "peak_step": peak_index + 1,
            "memory": memory, "left": left, "predicted": predicted, "summary": summary,
            "output_note": output_note, "forget": forget, "input": input, "output": output,
            "pulse": pulse, "T": T, "at": at}


def stems(steps, values):
    """x and y of vertical stems from 0 to each nonzero value (nan-separated), for one Line2D."""
    nonzero = np.nonzero(values)[0]
    xs = np.repeat(steps[nonzero], 3).astype(float)
    ys = np.zeros(3 * nonzero.size)
    ys[1::3] = values[nonzero]
    xs[2::3] = ys[2::3] = np.nan
    return xs, ys


def _title(forget, input, output):
    return f"forget gate f = {forget:.2f}, input gate i = {input:.2f}, output gate o = {output:.2f}"


def _layout(fig, T, pulse):
    """Build the two panels once for T steps and this pulse (fixed limits); later draws only update
    the artists' data. Returns the artists that change."""
    with laid_out_once(fig):
        ax_in, ax_c = fig.subplots(2, 1, sharex=True, height_ratios=[1, 2.4])
        top = max(abs(pulse), 1e-12) * 1.25
        limits = (-0.12 * top, top) if pulse >= 0 else (-top, 0.12 * top)

        (candidate,) = ax_in.plot([], [], color=OKABE_ITO[7], alpha=0.3, linewidth=9,
                                  solid_capstyle="butt", label="candidate $\\tilde C_t$ (the pulse)")
        (written,) = ax_in.plot([], [], color=OKABE_ITO[2], linewidth=4, solid_capstyle="butt",
                                label="written: $i_t \\, \\tilde C_t$")
        ax_in.axhline(0, color=OKABE_ITO[7], linewidth=0.8)
        ax_in.set_ylim(*limits)
        ax_in.set_ylabel("input")

        (h_open,) = ax_c.plot([], [], color=OKABE_ITO[0], linestyle=":", linewidth=1.5,
                              label="$\\tanh(C_t)$: $h_t$ if $o = 1$")
        (cell,) = ax_c.plot([], [], color=OKABE_ITO[1], marker="o", markersize=3,
                            label="cell state $C_t$ (your cell_update)")
        (hidden,) = ax_c.plot([], [], color=OKABE_ITO[0], marker="o", markersize=3,
                              label="hidden state $h_t$ (your hidden_state)")
        (forgotten,) = ax_c.plot([np.nan] * 2, list(limits), color=OKABE_ITO[3], linestyle="--",
                                 linewidth=1.2, label="forgotten: $|C_t|$ below 1% of its peak")
        ax_c.axhline(0, color=OKABE_ITO[7], linewidth=0.8)
        ax_c.set_ylim(*limits)
        ax_c.set_xlim(0.5, T + 0.5)
        ax_c.set_xlabel("time step $t$")
        ax_c.set_ylabel("state")
        ax_c.grid(True, alpha=0.3)
        # The legend stays above the panels, where no line ever goes.
        title = ax_in.set_title(_title(1.0, 1.0, 1.0))     # laid out with the widest title
        legend_above(fig, [candidate, written, forgotten, cell, hidden, h_open])
    return {"shape": (T, pulse), "candidate": candidate, "written": written, "h_open": h_open,
            "cell": cell, "hidden": hidden, "forgotten": forgotten, "title": title}


# What the BlitRenderer redraws, in this order.
ANIMATED = ("candidate", "written", "h_open", "cell", "hidden", "forgotten", "title")


def draw_gates(fig, trace):
    """Draw a gate trace on `fig`: above, the candidate pulse and what the input gate writes of it;
    below, the cell state C_t, the hidden state h_t, tanh(C_t) (h_t with the output gate open) and
    a dashed line where the pulse is forgotten. Fixed limits (1.25 times the pulse). The panels are
    built on the first call and updated in place afterwards."""
    T = trace["T"]
    artists = getattr(fig, "_gate_artists", None)
    if artists is None or artists["shape"] != (T, trace["pulse"]):
        artists = fig._gate_artists = _layout(fig, T, trace["pulse"])
    steps = trace["steps"]
    artists["candidate"].set_data(*stems(steps, trace["candidate"]))
    artists["written"].set_data(*stems(steps, trace["written"]))
    artists["cell"].set_data(steps, trace["C"])
    artists["hidden"].set_data(steps, trace["h"])
    artists["h_open"].set_data(steps, trace["h_open"])
    memory = trace["memory"]
    artists["forgotten"].set_xdata([trace["peak_step"] + memory if memory else np.nan] * 2)
    artists["title"].set_text(_title(trace["forget"], trace["input"], trace["output"]))
    return fig


class GateExplorer(Explorer):
    """Sliders for the forget, input and output gates of one LSTM cell, and the plot of what the
    learner's cell_update and hidden_state do with a pulse. Use: `GateExplorer(cell_update,
    hidden_state)` as the last line of a cell. `update()` recomputes and redraws; tests set the
    controls' values."""

    def __init__(self, cell_update, hidden_state, forget=0.9, input=1.0, output=1.0, T=60):
        self.functions = {"cell_update": cell_update, "hidden_state": hidden_state}
        self.T = int(T)
        self._assemble({
            "forget": slider(forget, 0.0, 1.0, 0.01, "forget gate f"),
            "input": slider(input, 0.0, 1.0, 0.05, "input gate i"),
            "output": slider(output, 0.0, 1.0, 0.05, "output gate o"),
        }, new_figure(height=5.0))
        self.update()

    def compute(self):
        return gate_trace(**self.functions, **self.settings(), T=self.T)

    def draw(self, trace):
        draw_gates(self.figure, trace)
        return self.figure._gate_artists, ANIMATED

    def describe(self, trace):
        return f"<b>{trace['summary']}</b>; {trace['output_note']}"
