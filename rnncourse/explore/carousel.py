"""Lesson 04 explorer: the gain along the LSTM's cell state. How much of a loss's gradient on the
last step survives t steps back, in a tanh RNN and along an LSTM's cell state?

Both networks read the same random input (T steps, a batch of N). The RNN (all singular values of
W_hh equal sigma_max) sends a gradient of a loss on h_T back through its recurrence: the learner's
gradient_norms measures ||dL/dh_t||, shown relative to ||dL/dh_T||. The LSTM (small random weights,
forget-gate bias b_f) runs with the learner's lstm_forward; the learner's forget_gate gives its
forget gates f_t on those states and the learner's carousel_gain the gain dC_T/dC_t = f_{t+1} ...
f_T along the cell state alone. With small weights f_t is close to sigmoid(b_f), so the gain over a
lag L is about sigmoid(b_f)^L: 0.73^50, about 1.6e-7, at b_f = 1, the starting value Jozefowicz,
Zaremba & Sutskever (2015) recommend; it stays near 1 over many steps only when the gates sit very
close to 1 (b_f of 4 and more). The 1997 LSTM (Hochreiter & Schmidhuber) had no forget gate: its
cell's self-connection of weight 1, the constant error carousel, kept this gain at exactly 1; the
forget gate is from Gers, Schmidhuber & Cummins (2000).

The cell state is one path of the gradient only: whole_gradient measures, with the learner's
lstm_backward, the gradient along every path (through h and the gates too) that reaches each input.
Nothing here computes a graded answer: the learner's functions do.
"""
import numpy as np
from matplotlib.patches import Polygon

from ..data import rnn_weights
from ..plots import OKABE_ITO, laid_out_once, legend_above, new_figure
from .learner import LearnerCodeFailed, run_learner, shaped
from .widget import Explorer, slider

PLOT_RANGE = (1e-12, 1e3)     # fixed y-limits (log scale): no re-layout while the sliders move
T_RANGE = (5, 200)
BIAS_RANGE = (-2.0, 6.0)
SIGMA_RANGE = (0.5, 1.5)
GATES = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")


def lstm_params(D, H, rng, forget_bias=1.0, weight_scale=0.5):
    """Random LSTM parameters: every W (H, H + D) normal of standard deviation
    weight_scale / sqrt(H + D), b_f (H,) = forget_bias, the other biases (H,) zero. The weights are
    drawn in a fixed order whatever forget_bias is."""
    params = {}
    for name in GATES:
        if name.startswith("W"):
            params[name] = weight_scale * rng.normal(size=(H, H + D)) / np.sqrt(H + D)
        else:
            params[name] = np.zeros(H)
    params["b_f"] = forget_bias * np.ones(H)
    return params


def _say(value):
    """A gain for the status line: 0.45, 3e-6, 0, or nan."""
    if not np.isfinite(value):
        return str(value)
    if value == 0 or 0.01 <= abs(value) < 1000:
        return f"{value:.2g}"
    mantissa, exponent = f"{value:.0e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def carousel_trace(rnn_forward, gradient_norms, lstm_forward, forget_gate, carousel_gain,
                   forget_bias=1.0, T=50, sigma_max=1.0, H=16, N=8, D=4, input_scale=1.0,
                   weight_scale=0.5, seed=0):
    """Measure, with the learner's functions, how much of a gradient from step T is left t steps
    back in a tanh RNN and along an LSTM's cell state.

    Input x (T, N, D) standard normal, shared by both networks; h0 = C0 = 0 (N, H).
    RNN: W_xh (H, D) of scale input_scale, W_hh (H, H) with all singular values sigma_max, no bias;
    the learner's rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs (T, N, H) and gradient_norms(hs, W_hh,
    dh_T) -> (T,) for a random dh_T (N, H) of norm 1.
    LSTM: lstm_params(D, H, rng, forget_bias, weight_scale); the learner's lstm_forward(x, h0, C0,
    params) -> (hs, Cs) (T, N, H), forget_gate(h_prev, x_t, W_f, b_f) -> f_t on the states
    h_{t-1} (h_0 for t = 1) and carousel_gain(fs) -> (T, N, H).

    Returns a dict:
      steps (T,) = 1 .. T; lags (T,) = T - t, steps back from the loss on step T;
      rnn_norms (T,) = ||dL/dh_t|| from gradient_norms; rnn (T,) the same divided by ||dL/dh_T||;
      fs (T, N, H) the forget gates f_t; gain (T, N, H) = dC_T/dC_t from carousel_gain;
      lstm (T,) the gain's mean over the batch and units, lstm_min and lstm_max (T,) its range;
      forget_mean, the mean forget gate; rnn_kept and lstm_kept, rnn and lstm at t = 1 (T - 1 steps
      back); summary (one readable line);
      x (T, N, D), W_xh, W_hh, b_h, dh_T, rnn_hs (T, N, H), params, lstm_hs and Cs (T, N, H): the
      inputs and states, to check the measurements;
      and the settings forget_bias, T, sigma_max, H, N, D, input_scale, weight_scale, seed.

    Raises LearnerCodeFailed naming the learner's function that raised or returned a wrong shape.
    """
    T, H, N, D = int(T), int(H), int(N), int(D)
    # Separate streams for the weights of each network and for the input, drawn in a fixed
    # order: moving a slider changes only what it names (and a longer T only adds steps).
    rnn_rng, lstm_rng, data_rng = (np.random.default_rng(s)
                                   for s in np.random.SeedSequence(seed).spawn(3))
    W_xh, W_hh, b_h = rnn_weights(D, H, rnn_rng, radius=sigma_max, input_scale=input_scale)
    dh_T = rnn_rng.normal(size=(N, H))
    dh_T /= np.sqrt(np.sum(dh_T * dh_T))
    params = lstm_params(D, H, lstm_rng, forget_bias=forget_bias, weight_scale=weight_scale)
    x = data_rng.normal(size=(T, N, D))
    h0 = np.zeros((N, H))

    hs = shaped("rnn_forward", run_learner("rnn_forward", rnn_forward, x, h0, W_xh, W_hh, b_h),
                (T, N, H), "hs (T, N, H)")
    rnn_norms = shaped("gradient_norms", run_learner("gradient_norms", gradient_norms, hs, W_hh,
                                                     dh_T), (T,), "(T,)")

    result = run_learner("lstm_forward", lstm_forward, x, h0, np.zeros((N, H)), params)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise LearnerCodeFailed("lstm_forward", "should return two arrays: hs, Cs")
    lstm_hs = shaped("lstm_forward", result[0], (T, N, H), "hs (T, N, H)")
    Cs = shaped("lstm_forward", result[1], (T, N, H), "Cs (T, N, H)")
    # All T steps' forget gates in one call: f_t = forget_gate(h_{t-1}, x_t) row by row, so the
    # T * N rows of (h_{t-1}, x_t) pairs make one batch.
    h_prev = np.concatenate([h0[None], lstm_hs[:-1]]).reshape(T * N, H)
    fs = shaped("forget_gate", run_learner("forget_gate", forget_gate, h_prev,
                                           x.reshape(T * N, D), params["W_f"], params["b_f"]),
                (T * N, H), "f_t (N, H) for a batch of N = T * N rows").reshape(T, N, H)
    gain = shaped("carousel_gain", run_learner("carousel_gain", carousel_gain, fs), (T, N, H),
                  "(T, N, H)")

    with np.errstate(divide="ignore", invalid="ignore"):
        rnn = rnn_norms / rnn_norms[-1]
    lstm = gain.mean(axis=(1, 2))
    rnn_kept, lstm_kept = float(rnn[0]), float(lstm[0])
    summary = (f"after {T - 1} steps back the RNN keeps {_say(rnn_kept)} of the gradient, "
               f"the LSTM's cell state {_say(lstm_kept)}")
    return {"steps": np.arange(1, T + 1), "lags": T - np.arange(1, T + 1),
            "rnn_norms": rnn_norms, "rnn": rnn, "fs": fs, "gain": gain, "lstm": lstm,
            "lstm_min": gain.min(axis=(1, 2)), "lstm_max": gain.max(axis=(1, 2)),
            "forget_mean": float(fs.mean()), "rnn_kept": rnn_kept, "lstm_kept": lstm_kept,
            "summary": summary, "x": x, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h, "dh_T": dh_T,
            "rnn_hs": hs, "params": params, "lstm_hs": lstm_hs, "Cs": Cs,
            "forget_bias": forget_bias, "T": T, "sigma_max": sigma_max,
            "H": H, "N": N, "D": D, "input_scale": input_scale, "weight_scale": weight_scale,
            "seed": seed}


def whole_gradient(lstm_backward, trace):
    """Measure, with the learner's lstm_backward, the whole gradient (along every path: the cell
    state, the hidden state and the gates) that a loss on the last step sends to each input, for the
    LSTM of a carousel trace.

    trace: what carousel_trace returned (its x (T, N, D), params and dh_T (N, H); h0 = C0 = 0).
    The loss is L = sum(h_T * dh_T): the learner's lstm_backward(dhs, x, h0, C0, params) ->
    (dx, dh0, dC0, grads) runs with dhs (T, N, H) zero except dhs[T-1] = dh_T.

    Returns a dict: x_norms (T,), x_norms[t-1] = ||dL/dx_t|| over the batch and the inputs;
    kept = ||dL/dx_1|| / ||dL/dx_T||, the share of the gradient at the last input that reaches the
    first; belt = trace["lstm_kept"], the cell state's gain over the same T - 1 steps.

    Raises LearnerCodeFailed naming lstm_backward if it raised or returned a wrong shape.
    """
    x, params = trace["x"], trace["params"]
    T, N, D = x.shape
    H = trace["dh_T"].shape[1]
    dhs = np.zeros((T, N, H))
    dhs[-1] = trace["dh_T"]
    result = run_learner("lstm_backward", lstm_backward, dhs, x, np.zeros((N, H)),
                         np.zeros((N, H)), params)
    if not isinstance(result, (tuple, list)) or len(result) != 4:
        raise LearnerCodeFailed("lstm_backward", "should return four things: dx, dh0, dC0, grads")
    dx = shaped("lstm_backward", result[0], (T, N, D), "dx (T, N, D)")
    x_norms = np.sqrt(np.sum(dx * dx, axis=(1, 2)))
    return {"x_norms": x_norms, "kept": float(x_norms[0] / x_norms[-1]),
            "belt": trace["lstm_kept"]}


def for_plot(values):
    """Values clipped to a decade beyond the fixed y-limits (a line leaves the frame instead of
    running along its edge, and the axes never rescale); nan stays nan, so it is not drawn."""
    low, high = PLOT_RANGE
    return np.clip(values, low / 10, high * 10)


def band(lags, low, high):
    """The (2T, 2) corners of the band between `low` and `high` over `lags`, for a Polygon."""
    return np.column_stack([np.concatenate([lags, lags[::-1]]),
                            np.concatenate([for_plot(low), for_plot(high)[::-1]])])


def _title(forget_bias, forget_mean, T, sigma_max):
    return (f"$b_f$ = {forget_bias:.1f} (mean $f_t$ = {forget_mean:.3f}),  T = {T},  "
            f"RNN $\\sigma_{{max}}$ = {sigma_max:.2f}")


def _layout(fig, T_max):
    """Build the axes once, for lags up to T_max (fixed limits: moving T never re-lays out the
    figure); later draws only update the artists' data."""
    with laid_out_once(fig):
        ax = fig.subplots()
        spread = Polygon(np.ones((2, 2)), closed=True, facecolor=OKABE_ITO[1], alpha=0.25,
                         linewidth=0, label="LSTM: lowest to highest unit and example")
        ax.add_patch(spread)
        (lstm,) = ax.semilogy([0], [1], color=OKABE_ITO[1], marker="o", markersize=3,
                              label="LSTM cell state alone: $\\partial C_T / \\partial C_t$, mean "
                                    "(your carousel_gain)")
        (rnn,) = ax.semilogy([0], [1], color=OKABE_ITO[0], marker="o", markersize=3,
                             label="RNN: $\\|\\partial L / \\partial h_t\\| \\,/\\, "
                                   "\\|\\partial L / \\partial h_T\\|$ (your gradient_norms)")
        one = ax.axhline(1.0, color=OKABE_ITO[7], linestyle=":", linewidth=1,
                         label="all of the gradient kept")
        ax.set_xlim(-1, T_max + 1)
        ax.set_ylim(*PLOT_RANGE)
        ax.set_xlabel("steps back from the loss on step $T$ (lag $T - t$)")
        ax.set_ylabel("share of the gradient kept")
        ax.grid(True, which="major", alpha=0.3)
        # Laid out with the widest title the controls can make; the legend stays above the axes,
        # where no curve ever goes.
        title = ax.set_title(_title(BIAS_RANGE[0], 0.999, T_RANGE[1], SIGMA_RANGE[1]))
        legend_above(fig, [rnn, lstm, spread, one])
    return {"T_max": T_max, "band": spread, "lstm": lstm, "rnn": rnn, "title": title}


# What the BlitRenderer redraws, in this order (the band under the lines).
ANIMATED = ("band", "lstm", "rnn", "title")


def draw_carousel(fig, trace):
    """Draw a carousel trace on `fig`: against the lag T - t, the RNN's gradient share and the
    LSTM's mean cell-state gain (with the band from its lowest to its highest unit) on a log
    scale, the settings in the title. The y-range is fixed (1e-12 .. 1e3; values beyond it are
    clipped a decade outside, so their lines leave the frame), and the x-range is lags 0 .. 200
    (more only for longer traces). The axes are built on the first call and updated in place
    afterwards."""
    T = len(trace["lags"])
    artists = getattr(fig, "_carousel_artists", None)
    if artists is None or artists["T_max"] < T:
        artists = fig._carousel_artists = _layout(fig, max(T, T_RANGE[1]))
    lags = trace["lags"]
    artists["rnn"].set_data(lags, for_plot(trace["rnn"]))
    artists["lstm"].set_data(lags, for_plot(trace["lstm"]))
    artists["band"].set_xy(band(lags, trace["lstm_min"], trace["lstm_max"]))
    artists["title"].set_text(_title(trace["forget_bias"], trace["forget_mean"], T,
                                     trace["sigma_max"]))
    return fig


class CarouselExplorer(Explorer):
    """Sliders for the LSTM's forget-gate bias, the sequence length T and the RNN's sigma_max, and
    the plot of how much gradient the learner's RNN and LSTM functions keep, step by step back.
    Use: `CarouselExplorer(rnn_forward, gradient_norms, lstm_forward, forget_gate,
    carousel_gain)` as the last line of a cell. `update()` recomputes and redraws; tests set the
    controls' values."""

    def __init__(self, rnn_forward, gradient_norms, lstm_forward, forget_gate, carousel_gain,
                 forget_bias=1.0, T=50, sigma_max=1.0):
        self.functions = {"rnn_forward": rnn_forward, "gradient_norms": gradient_norms,
                          "lstm_forward": lstm_forward, "forget_gate": forget_gate,
                          "carousel_gain": carousel_gain}
        self._assemble({
            "forget_bias": slider(forget_bias, *BIAS_RANGE, 0.1, "forget bias b_f"),
            "T": slider(int(T), *T_RANGE, 1, "length T"),
            "sigma_max": slider(sigma_max, *SIGMA_RANGE, 0.01, "RNN σ_max(W_hh)"),
        }, new_figure(height=5.0))
        self.update()

    def compute(self):
        return carousel_trace(**self.functions, **self.settings())

    def draw(self, trace):
        draw_carousel(self.figure, trace)
        return self.figure._carousel_artists, ANIMATED

    def describe(self, trace):
        return (f"<b>{trace['summary']}</b> (mean forget gate {trace['forget_mean']:.3f}: the cell "
                f"state keeps about {trace['forget_mean']:.3f}<sup>lag</sup>; least kept by any "
                f"unit {_say(float(trace['lstm_min'][0]))})")
