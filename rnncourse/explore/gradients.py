"""Lesson 03 explorer: how fast does the gradient of a loss on h_T shrink or grow, back in time?

A random RNN (W_hh = sigma_max times a random orthogonal matrix, so every singular value of W_hh is
sigma_max) reads T steps of random input. A loss on the last state h_T alone sends back a fixed
random gradient dL/dh_T (of norm 1); the learner's gradient_norms measures ||dL/dh_t|| at every
step, and the learner's jacobian_norm_bound gives the ceiling (sigma_max)^(T - t) of Pascanu,
Mikolov & Bengio (2013). Nothing here computes a graded answer: the learner's functions do.
"""

import numpy as np

from ..data import rnn_weights
from ..plots import OKABE_ITO, new_figure
from .learner import run_learner, shaped
from .memory import SATURATED
from .widget import Explorer, choice, slider

NONLINEARITIES = ("tanh", "identity")
EDGE = 0.01           # |log(factor per step)| below this (within 1% per step): "stable/edge"
SLOPES_SHRINK = 0.9   # average tanh slope 1 - h^2 below this: saturation visibly shrinks gradients
PLOT_RANGE = (1e-12, 1e12)   # fixed y-limits: readable across the sliders, no re-layout needed
T_RANGE = (5, 100)


def per_step_factor(norms):
    """The average factor by which ||dL/dh_t|| is multiplied per step back in time: exp(-slope) of
    the least-squares line through log ||dL/dh_t|| against t. norms (T,) -> a float (1.0 if T = 1).
    """
    if len(norms) < 2:
        return 1.0
    logs = np.log(np.clip(norms, 1e-300, 1e300))
    slope = np.polyfit(np.arange(1, len(norms) + 1), logs, 1)[0]
    return float(np.exp(-slope))


def name_regime(factor):
    """'vanishing', 'exploding' or 'stable/edge' (within 1% per step) from the factor per step."""
    if not factor > np.exp(-EDGE):      # also a factor of 0 (or nan: nothing measurable came back)
        return "vanishing"
    if factor > np.exp(EDGE):
        return "exploding"
    return "stable/edge"


def gradient_trace(rnn_forward, gradient_norms, jacobian_norm_bound, sigma_max=1.0, T=50,
                   input_scale=1.0, nonlinearity="tanh", H=32, N=8, D=4, seed=0):
    """Measure, with the learner's functions, how ||dL/dh_t|| changes from t = T back to t = 1.

    The learner's rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs (T, N, H) gives the states (tanh only),
    gradient_norms(hs, W_hh, dh_T) -> (T,) the norms, jacobian_norm_bound(W_hh, lag, gamma) the
    bound. W_hh (H, H) has all singular values equal to sigma_max; x (T, N, D) is standard normal
    input through W_xh of scale input_scale; h0 = 0, no bias; dh_T (N, H) has norm 1.

    Returns a dict: steps (T,) = 1..T, norms (T,) = ||dL/dh_t||, log_norms (T,) their log10,
    bound (T,) = ||dh_T|| * jacobian_norm_bound(W_hh, T - t, 1.0), factor (average factor per step
    back), regime ("vanishing", "exploding" or "stable/edge"), slope (the average tanh slope
    1 - h^2 of the states; 1.0 for identity), saturated (bool), summary (one readable line), and
    the settings sigma_max, T, input_scale, nonlinearity, H, N.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, not {nonlinearity!r}")
    T = int(T)
    rng = np.random.default_rng(seed)
    # Drawn in a fixed order so that moving sigma_max or T changes nothing else.
    W_xh, W_hh, b_h = rnn_weights(D, H, rng, radius=sigma_max, input_scale=input_scale)
    dh_T = rng.normal(size=(N, H))
    dh_T /= np.sqrt(np.sum(dh_T * dh_T))
    if nonlinearity == "tanh":
        x = rng.normal(size=(T, N, D))
        hs = shaped("rnn_forward", run_learner("rnn_forward", rnn_forward, x, np.zeros((N, H)), W_xh,
                                             W_hh, b_h), (T, N, H), "(T, N, H)")
    else:
        # A linear RNN h_t = W_hh h_{t-1} + W_xh x_t has Jacobian W_hh at every step, and that is
        # exactly diag(1 - h^2) W_hh at h = 0: states of zeros turn the learner's tanh gradient
        # code into the linear one's. No forward pass is needed (the input does not matter).
        hs = np.zeros((T, N, H))
    norms = shaped("gradient_norms", run_learner("gradient_norms", gradient_norms, hs, W_hh, dh_T),
                    (T,), "(T,)")
    # gamma bounds the activation's slope: 1 for tanh, and 1 for identity too.
    bound = np.array([run_learner("jacobian_norm_bound", jacobian_norm_bound, W_hh, T - t, 1.0)
                      for t in range(1, T + 1)], dtype=float)
    factor = per_step_factor(norms)
    regime = name_regime(factor)
    slope = float(np.mean(1.0 - hs ** 2))
    saturated = slope < SATURATED
    summary = f"{regime}: ×{factor:.3f} per step back"
    if nonlinearity == "tanh" and slope < SLOPES_SHRINK:
        summary += (f"; {'saturated' if saturated else 'partly saturated'} tanh units (average "
                    f"slope 1 - h² = {slope:.2f}) keep the factor below σ_max = {sigma_max:.2f}")
    with np.errstate(divide="ignore"):
        log_norms = np.log10(norms)
    return {"steps": np.arange(1, T + 1), "norms": norms, "log_norms": log_norms, "bound": bound,
            "factor": factor, "regime": regime, "slope": slope, "saturated": saturated,
            "summary": summary, "sigma_max": sigma_max, "T": T, "input_scale": input_scale,
            "nonlinearity": nonlinearity, "H": H, "N": N}


def for_plot(values):
    """Values clipped to slightly beyond the fixed y-limits (a line leaves the frame instead of
    running along its edge); nan (a diverged learner function) stays nan, so it is not drawn."""
    low, high = PLOT_RANGE
    return np.clip(values, low / 10, high * 10)


def _layout(fig, T_max):
    """Build the axes once, for sequences up to T_max steps (a fixed x-range: changing T on the
    slider never re-lays out the figure); later draws only update the lines' data."""
    fig.clear()
    ax = fig.subplots()
    fig.subplots_adjust(left=0.11, right=0.97, top=0.9, bottom=0.11)
    (norms,) = ax.semilogy([1], [1], color=OKABE_ITO[0], marker="o", markersize=3,
                           label="$\\|\\partial L / \\partial h_t\\|$ (your gradient_norms)")
    (bound,) = ax.semilogy([1], [1], color=OKABE_ITO[3], linestyle="--",
                           label="bound $\\sigma_{max}^{\\,T-t}$ (your jacobian_norm_bound)")
    ax.axhline(1.0, color=OKABE_ITO[7], linestyle=":", linewidth=1,
               label="$\\|\\partial L / \\partial h_T\\| = 1$")
    loss = ax.axvline(1.0, color=OKABE_ITO[2], linestyle="-.", linewidth=1,
                      label="$t = T$: the loss is on $h_T$")
    ax.set_xlim(0, T_max + 1)
    ax.set_ylim(*PLOT_RANGE)
    ax.set_xlabel("time step $t$")
    ax.set_ylabel("gradient norm (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper right", fontsize="small", framealpha=0.9)
    title = fig.suptitle("")
    return {"T_max": T_max, "norms": norms, "bound": bound, "loss": loss, "title": title}


def draw_gradients(fig, trace):
    """Draw a gradient trace on `fig`: ||dL/dh_t|| against t on a log scale, the bound overlaid,
    the regime in the title. The y-range is fixed (1e-12 .. 1e12); values beyond it are clipped to
    1e-13 .. 1e13 for plotting, so their lines leave the frame. The x-range is 0 .. 101 (more only
    for longer traces). The axes are built on the first call and updated in place afterwards."""
    T = len(trace["steps"])
    artists = getattr(fig, "_gradient_artists", None)
    if artists is None or artists["T_max"] < T:
        artists = fig._gradient_artists = _layout(fig, max(T, T_RANGE[1]))
    artists["norms"].set_data(trace["steps"], for_plot(trace["norms"]))
    artists["bound"].set_data(trace["steps"], for_plot(trace["bound"]))
    artists["loss"].set_xdata([T] * 2)
    artists["title"].set_text(f"$\\sigma_{{max}}(W_{{hh}})$ = {trace['sigma_max']:.2f}, "
                              f"{trace['nonlinearity']}, T = {T}, input scale "
                              f"{trace['input_scale']:.1f} — {trace['regime']}")
    return fig


class GradientExplorer(Explorer):
    """Sliders for sigma_max(W_hh), the sequence length T and the input scale, a choice of
    nonlinearity, and the plot of what the learner's gradient_norms measures. Use:
    `GradientExplorer(rnn_forward, gradient_norms, jacobian_norm_bound)` as the last line of a
    cell. `update()` recomputes and redraws; tests set the controls' values."""

    def __init__(self, rnn_forward, gradient_norms, jacobian_norm_bound, sigma_max=1.0, T=50,
                 input_scale=1.0, nonlinearity="tanh"):
        self.functions = {"rnn_forward": rnn_forward, "gradient_norms": gradient_norms,
                          "jacobian_norm_bound": jacobian_norm_bound}
        self._assemble({
            "sigma_max": slider(sigma_max, 0.5, 1.5, 0.01, "σ_max(W_hh)"),
            "T": slider(int(T), T_RANGE[0], T_RANGE[1], 1, "length T"),
            "input_scale": slider(input_scale, 0.0, 3.0, 0.1, "input scale"),
            "nonlinearity": choice(NONLINEARITIES, nonlinearity, "nonlinearity"),
        }, new_figure(height=5.0))
        self.update()

    def compute(self):
        return gradient_trace(**self.functions, **self.settings())

    def draw(self, trace):
        draw_gradients(self.figure, trace)
        return self.figure._gradient_artists, ("norms", "bound", "loss", "title")

    def describe(self, trace):
        return (f"<b>{trace['summary']}</b> (||dL/dh_1|| = {trace['norms'][0]:.2e}; "
                f"bound {trace['bound'][0]:.2e})")
