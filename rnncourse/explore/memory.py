"""Lesson 01 explorer: how long does an RNN remember an input?

A random RNN with one input feature (D = 1) reads a short signal (a pulse, or a burst of a sine)
and then nothing. Its states are compared with those of the same RNN that read only zeros: the
distance between the two is what the network still "remembers" of the signal. The scale of W_hh
(W_hh is `radius` times an orthogonal matrix: every singular value equals `radius`), the input
scale and the bias set whether that memory fades fast, lasts, or is crushed by saturated tanh
units. The same signal 100 times smaller is run too: where the silent state is unstable (scale
above 1, no bias: h = 0 repels), the small signal's trace grows and ends as far from the silent run
as the full one's. That is sensitivity to any nudge, not memory of the signal.
"""
import numpy as np
from matplotlib.ticker import LogLocator, MaxNLocator

from ..data import pulse, rnn_weights, sine_wave
from ..plots import DIVERGING, OKABE_ITO, laid_out_once, new_figure
from .learner import LearnerCodeFailed
from .widget import Explorer, choice, slider

SIGNALS = ("pulse", "sine burst")
THRESHOLD = 0.01      # memory is gone when the distance falls below 1% of its value at the end
SATURATED = 0.5       # average tanh slope 1 - h^2 below this: the units are saturated
NUDGE = 0.01          # the small copy of the signal: the same signal times this
DISTANCE_RANGE = (1e-8, 1e1)   # the bottom panel's fixed y-limits


def make_signal(signal, T, start=5):
    """The input (T, 1, 1) and the step (0-based) just after the signal ends."""
    if signal == "pulse":
        return pulse(T, at=start), start + 1
    if signal == "sine burst":
        x = np.zeros((T, 1, 1))
        x[start:start + 10] = sine_wave(10, period=10.0)
        return x, start + 10
    raise ValueError(f"signal must be one of {SIGNALS}, not {signal!r}")


def memory_trace(rnn_forward, radius=0.9, input_scale=1.0, bias=0.0, signal="pulse", T=60, H=16,
                 seed=0):
    """Run the learner's rnn_forward on a signal, on the same signal times NUDGE (0.01) and on
    silence; measure what is remembered.

    Returns a dict: x (T,), hs (T, H) and silent (T, H) the states with and without the signal,
    distance (T,) = ||hs[t] - silent[t]||, nudge (T,) the same distance for the signal times
    NUDGE, end (index of the first step after the signal), final and nudge_final (the two
    distances at the last step), memory (how many steps after the signal the distance first
    falls below 1% of its value at the signal's last step; T - end if it never does), slope (the
    average tanh slope 1 - h^2 after the signal: 1 where tanh is linear, near 0 where it is
    saturated), unstable (True if the small signal's distance grew after the signal instead of
    fading: the silent state repels), regime (a short name) and the settings.
    """
    rng = np.random.default_rng(seed)
    W_xh, W_hh, b_h = rnn_weights(1, H, rng, radius=radius, input_scale=input_scale, bias=bias)
    x, end = make_signal(signal, T)
    h0 = np.zeros((1, H))

    def states(inputs):
        return np.asarray(rnn_forward(inputs, h0, W_xh, W_hh, b_h), dtype=float)[:, 0, :]

    hs, silent, small = states(x), states(np.zeros_like(x)), states(NUDGE * x)
    distance = np.linalg.norm(hs - silent, axis=1)
    nudge = np.linalg.norm(small - silent, axis=1)
    at_end = distance[end - 1]
    below = np.nonzero(distance[end:] < THRESHOLD * max(at_end, 1e-300))[0]
    memory = int(below[0]) + 1 if below.size else T - end
    slope = float(np.mean(1.0 - hs[end:] ** 2))
    unstable = bool(nudge[-1] > nudge[end - 1])
    if unstable:
        regime = f"unstable: a {1 / NUDGE:.0f}× smaller signal grows too"
    elif slope < SATURATED:
        regime = "saturated: tanh units pushed towards ±1"
    elif not below.size:
        regime = f"long memory: still remembered after {T - end} steps"
    else:
        regime = f"fading memory: forgotten after {memory} step{'s' if memory > 1 else ''}"
    return {"x": x[:, 0, 0], "hs": hs, "silent": silent, "distance": distance, "nudge": nudge,
            "end": end, "final": float(distance[-1]), "nudge_final": float(nudge[-1]),
            "memory": memory, "slope": slope, "unstable": unstable, "regime": regime,
            "radius": radius, "input_scale": input_scale, "bias": bias, "signal": signal}


# Two lines as long as the longest the title gets: constrained layout makes room for them once.
_TITLE_SPACE = ("scale of W_hh 2.00, input scale 5.00, bias -3.00\n"
                "long memory: still remembered after 54 steps")


def _layout(fig, T, H):
    """Build the three panels once, laid out for the fonts in use (plots.laid_out_once); later
    draws only update their data (fast enough to follow a slider). Returns the artists that
    change."""
    with laid_out_once(fig, w_pad=0.06, h_pad=0.04, hspace=0.02):
        ax_x, ax_h, ax_d = fig.subplots(3, 1, sharex=True, height_ratios=[1, 2, 2])
        steps = np.arange(1, T + 1)
        (x_line,) = ax_x.plot(steps, np.zeros(T), color=OKABE_ITO[0])
        ax_x.set_ylabel("$x_t$")
        ax_x.set_ylim(-1.3, 1.3)     # the signals stay within [-1, 1]
        image = ax_h.imshow(np.zeros((H, T)), aspect="auto", cmap=DIVERGING, vmin=-1, vmax=1,
                            extent=(0.5, T + 0.5, H + 0.5, 0.5), interpolation="nearest")
        ax_h.set_ylabel("unit of $h_t$")
        ax_h.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
        fig.colorbar(image, ax=ax_h, label="$h_t$", pad=0.01, fraction=0.03)
        (d_line,) = ax_d.semilogy(steps, np.ones(T), color=OKABE_ITO[3],
                                  label="$\\|h_t - h_t^{silent}\\|$")
        (n_line,) = ax_d.semilogy(steps, np.ones(T), color=OKABE_ITO[5], linestyle="--",
                                  label=f"signal × {NUDGE:g}")
        threshold = ax_d.axhline(1.0, color=OKABE_ITO[7], linestyle=":",
                                 label="1% of the value at the end")
        end_line = ax_d.axvline(1.0, color=OKABE_ITO[1], linestyle="--", label="signal ends")
        ax_d.set_ylim(*DISTANCE_RANGE)
        ax_d.yaxis.set_major_locator(LogLocator(numticks=4))
        ax_d.set_xlabel("time step $t$")
        ax_d.set_ylabel("distance")
        ax_d.legend(loc="lower left", fontsize="small", framealpha=0.9, ncols=2)
        title = fig.suptitle(_TITLE_SPACE, fontsize="medium")
    return {"shape": (T, H), "x": x_line, "hs": image, "distance": d_line, "nudge": n_line,
            "threshold": threshold, "end": end_line, "title": title}


# What the BlitRenderer redraws.
ANIMATED = ("x", "hs", "distance", "nudge", "threshold", "end", "title")


def draw_memory(fig, trace):
    """Draw a memory trace on `fig`: the input, the states as a heatmap (one row per unit) and
    the remembered distance on a log scale, with the distance of the signal times 0.01. The
    panels are built on the first call and updated in place afterwards."""
    T, H = trace["hs"].shape
    artists = getattr(fig, "_memory_artists", None)
    if artists is None or artists["shape"] != (T, H):
        artists = fig._memory_artists = _layout(fig, T, H)
    end = trace["end"]
    artists["x"].set_ydata(trace["x"])
    artists["hs"].set_data(trace["hs"].T)
    artists["distance"].set_ydata(np.maximum(trace["distance"], 1e-16))
    artists["nudge"].set_ydata(np.maximum(trace["nudge"], 1e-16))
    artists["threshold"].set_ydata([THRESHOLD * max(trace["distance"][end - 1], 1e-300)] * 2)
    artists["end"].set_xdata([end + 0.5] * 2)
    artists["title"].set_text(f"scale of W_hh {trace['radius']:.2f}, input scale "
                              f"{trace['input_scale']:.2f}, bias {trace['bias']:.2f}\n"
                              f"{trace['regime']}")
    return fig


class MemoryExplorer(Explorer):
    """Sliders for the scale of W_hh, the input scale and the bias, a choice of signal, and the
    plot of what the learner's rnn_forward remembers. Use: `MemoryExplorer(rnn_forward)` as the
    last line of a cell. `update()` recomputes and redraws; tests set the controls' values."""

    def __init__(self, rnn_forward, radius=0.9, input_scale=1.0, bias=0.0, signal="pulse"):
        self.rnn_forward = rnn_forward
        self._assemble({
            "radius": slider(radius, 0.0, 2.0, 0.05, "scale of W_hh"),
            "input_scale": slider(input_scale, 0.0, 5.0, 0.1, "input scale"),
            "bias": slider(bias, -3.0, 3.0, 0.1, "bias b_h"),
            "signal": choice(SIGNALS, signal, "signal"),
        }, new_figure(height=5.0))
        self.update()

    def compute(self):
        try:
            return memory_trace(self.rnn_forward, **self.settings())
        except Exception as err:  # the learner's code is still being written: say so, keep going
            raise LearnerCodeFailed("rnn_forward", f"raised {type(err).__name__}: {err}") from err

    def draw(self, trace):
        draw_memory(self.figure, trace)
        return self.figure._memory_artists, ANIMATED

    def describe(self, trace):
        return (f"<b>{trace['regime']}</b> (distance at the end {trace['final']:.2g}; for the "
                f"signal × {NUDGE:g} {trace['nudge_final']:.2g}; average tanh slope after the "
                f"signal {trace['slope']:.2f}: 1 is linear, 0 saturated)")
