"""Lesson 03 explorer: how fast does the gradient of a loss on h_T shrink or grow, back in time?

A random RNN reads T steps of random input. Its W_hh is one of two kinds, with the same rotation:
- "orthogonal × σ_max": sigma_max times a random orthogonal matrix, so every singular value and
  every eigenvalue's absolute value equals sigma_max (the spectral radius rho = sigma_max);
- "non-normal, ρ = 0.9": chains of 4 units (rnncourse.data.chain_matrix) whose eigenvalues are all
  rho = 0.9 (or sigma_max, if that is smaller), while the largest singular value is sigma_max.
  One step can stretch a vector by up to sigma_max, but in the long run the product of steps
  shrinks by rho per step (Gelfand's formula): with rho < 1 < sigma_max the gradient first grows,
  then vanishes.
A loss on the last state h_T alone sends back a fixed random gradient dL/dh_T (of norm 1); the
learner's gradient_norms measures ||dL/dh_t|| at every step, and the learner's
jacobian_norm_bound gives the ceiling (sigma_max)^(T - t) of Pascanu, Mikolov & Bengio (2013).
Nothing here computes a graded answer: the learner's functions do.
"""

import numpy as np

from ..data import chain_matrix, rnn_weights
from ..plots import OKABE_ITO, laid_out_once, new_figure
from .learner import run_learner, shaped
from .memory import SATURATED
from .widget import Explorer, choice, slider

NONLINEARITIES = ("tanh", "identity")
NONNORMAL_RHO = 0.9   # the spectral radius of the non-normal W_hh (when sigma_max allows it)
MATRICES = ("orthogonal × σ_max", f"non-normal, ρ = {NONNORMAL_RHO:g}")
EDGE = 0.01           # |log(factor per step)| below this (within 1% per step): "stable/edge"
SLOPES_SHRINK = 0.9   # average tanh slope 1 - h^2 below this: saturation visibly shrinks gradients
GROWTH = 1.05         # an inner maximum at least 5% above ||dL/dh_T||: "grows, then ..."
TAIL = 20             # the long-run factor is measured over at most this many steps
PLOT_RANGE = (1e-12, 1e12)   # fixed y-limits: readable across the sliders, no re-layout needed
FACTOR_RANGE = (0.0, 1.6)    # one step's factor is at most sigma_max <= 1.5 (tanh's slope <= 1)
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


def recurrent_weights(matrix, sigma_max, rotation):
    """W_hh (H, H) of the kind `matrix` (one of MATRICES) with largest singular value sigma_max,
    built on the orthogonal (H, H) `rotation`, and its spectral radius rho (by construction)."""
    if matrix == MATRICES[0]:
        return sigma_max * rotation, float(sigma_max)
    if matrix == MATRICES[1]:
        rho = min(NONNORMAL_RHO, float(sigma_max))
        return chain_matrix(rotation.shape[0], rho, sigma_max, rotation), rho
    raise ValueError(f"matrix must be one of {MATRICES}, not {matrix!r}")


def transient(norms):
    """Where ||dL/dh_t|| is largest, and how fast it shrinks beyond that, back in time.

    norms (T,) -> (peak, lag, late): peak = the largest norm over ||dL/dh_T|| (the last one),
    lag = how many steps back from T it is (0: at t = T), late = the average factor per step
    back over the last TAIL steps (t = 1 .. TAIL), or fewer if the maximum is among them (1.0
    when fewer than 2 are left). (1.0, 0, nan) if a norm is not finite."""
    T = len(norms)
    if not np.all(np.isfinite(norms)) or norms[-1] <= 0:
        return 1.0, 0, float("nan")
    top = int(np.argmax(norms))
    late = per_step_factor(norms[:min(TAIL, top + 1)])
    return float(norms[top] / norms[-1]), T - 1 - top, late


def gradient_trace(rnn_forward, gradient_norms, jacobian_norm_bound, sigma_max=1.0, T=50,
                   input_scale=1.0, nonlinearity="tanh", matrix=MATRICES[0], H=32, N=8, D=4,
                   seed=0):
    """Measure, with the learner's functions, how ||dL/dh_t|| changes from t = T back to t = 1.

    The learner's rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs (T, N, H) gives the states (tanh only),
    gradient_norms(hs, W_hh, dh_T) -> (T,) the norms, jacobian_norm_bound(W_hh, lag, gamma) the
    bound. W_hh (H, H) has largest singular value sigma_max and is of the kind `matrix` (see
    MATRICES and recurrent_weights); x (T, N, D) is standard normal input through W_xh of scale
    input_scale; h0 = 0, no bias; dh_T (N, H) has norm 1.

    Returns a dict: steps (T,) = 1..T, norms (T,) = ||dL/dh_t||, log_norms (T,) their log10,
    bound (T,) = ||dh_T|| * jacobian_norm_bound(W_hh, T - t, 1.0), factor (average factor per step
    back: the least-squares line through log ||dL/dh_t||), peak, peak_lag and late (see
    transient), grows (True if the norm first grows to an inner maximum, by GROWTH at least),
    rho (the spectral radius of W_hh), regime ("vanishing", "exploding", "stable/edge", or
    "grows, then " one of those for the late factor), slope (the average tanh slope 1 - h^2 of
    the states; 1.0 for identity), saturated (bool), summary (one readable line), headline (a
    short one for the plot's title), and the settings sigma_max, T, input_scale, nonlinearity,
    matrix, H, N.
    """
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, not {nonlinearity!r}")
    T = int(T)
    rng = np.random.default_rng(seed)
    # Drawn in a fixed order so that moving sigma_max, T or the kind of W_hh changes nothing else.
    W_xh, rotation, b_h = rnn_weights(D, H, rng, radius=1.0, input_scale=input_scale)
    W_hh, rho = recurrent_weights(matrix, sigma_max, rotation)
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
    peak, peak_lag, late = transient(norms)
    grows = peak >= GROWTH and 0 < peak_lag < T - 1
    regime = f"grows, then {name_regime(late)}" if grows else name_regime(factor)
    slope = float(np.mean(1.0 - hs ** 2))
    saturated = slope < SATURATED
    headline = (f"grows ×{peak:.1f} over {peak_lag} steps back, then ×{late:.3f} per step"
                if grows else f"{regime}: ×{factor:.3f} per step back")
    summary = headline if grows else f"{regime}: ×{factor:.3f} per step back on average"
    if nonlinearity == "tanh" and slope < SLOPES_SHRINK:
        summary += (f"; {'saturated' if saturated else 'partly saturated'} tanh units (average "
                    f"slope 1 - h² = {slope:.2f})")
    elif nonlinearity == "tanh":
        summary += f"; average tanh slope 1 - h² = {slope:.2f}"
    with np.errstate(divide="ignore"):
        log_norms = np.log10(norms)
    return {"steps": np.arange(1, T + 1), "norms": norms, "log_norms": log_norms, "bound": bound,
            "factor": factor, "peak": peak, "peak_lag": peak_lag, "late": late, "grows": grows,
            "rho": rho, "regime": regime, "slope": slope, "saturated": saturated,
            "summary": summary, "headline": headline, "sigma_max": sigma_max, "T": T,
            "input_scale": input_scale, "nonlinearity": nonlinearity, "matrix": matrix, "H": H,
            "N": N}


def for_plot(values):
    """Values clipped to slightly beyond the fixed y-limits (a line leaves the frame instead of
    running along its edge); nan (a diverged learner function) stays nan, so it is not drawn."""
    low, high = PLOT_RANGE
    return np.clip(values, low / 10, high * 10)


def step_factors(norms):
    """The factor of each single step back: ||dL/dh_t|| / ||dL/dh_{t+1}|| for t = 1 .. T-1,
    norms (T,) -> (T - 1,); nan where it cannot be computed (a zero or non-finite norm)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        factors = norms[:-1] / norms[1:]
    return np.where(np.isfinite(factors), factors, np.nan)


# Two lines as long as the longest the title gets: constrained layout makes room for them once.
_TITLE_SPACE = ("$W_{hh}$ orthogonal × σ: $\\sigma_{max}$ = 1.50, $\\rho$ = 1.50\n"
                "grows ×88.8 over 99 steps back, then ×0.999 per step")


def _layout(fig, T_max):
    """Build the two panels once, for sequences up to T_max steps (a fixed x-range: changing T on
    the slider never re-lays out the figure), laid out for the fonts in use
    (plots.laid_out_once); later draws only update the lines' data. Legends stay in the
    background (they never change)."""
    with laid_out_once(fig, w_pad=0.06, h_pad=0.04, hspace=0.02):
        ax, ax_f = fig.subplots(2, 1, sharex=True, height_ratios=[2, 1])
        (norms,) = ax.semilogy([1], [1], color=OKABE_ITO[0], marker="o", markersize=3,
                               label="$\\|\\partial L / \\partial h_t\\|$ (your gradient_norms)")
        (bound,) = ax.semilogy([1], [1], color=OKABE_ITO[3], linestyle="--",
                               label="bound $\\sigma_{max}^{\\,T-t}$ (your jacobian_norm_bound)")
        (peak,) = ax.semilogy([], [], color=OKABE_ITO[1], marker="D", markersize=8, linestyle="none",
                              label="largest: grew until here")
        ax.axhline(1.0, color=OKABE_ITO[7], linestyle=":", linewidth=1)
        loss = ax.axvline(1.0, color=OKABE_ITO[2], linestyle="-.", linewidth=1,
                          label="$t = T$: the loss is on $h_T$")
        ax.set_xlim(0, T_max + 1)
        ax.set_ylim(*PLOT_RANGE)
        ax.set_ylabel("gradient norm")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(loc="upper right", fontsize="small", framealpha=0.9)

        (factors,) = ax_f.plot([1], [1], color=OKABE_ITO[0], linewidth=1.2,
                               label="one step's factor")
        sigma_line = ax_f.axhline(1.0, color=OKABE_ITO[3], linestyle="--", label="$\\sigma_{max}$")
        rho_line = ax_f.axhline(1.0, color=OKABE_ITO[4], linestyle=":", label="$\\rho$")
        ax_f.axhline(1.0, color=OKABE_ITO[7], linewidth=0.8)
        ax_f.set_ylim(*FACTOR_RANGE)
        ax_f.set_xlabel("time step $t$")
        ax_f.set_ylabel("× per step")
        ax_f.grid(True, which="major", alpha=0.3)
        ax_f.legend(loc="lower left", fontsize="small", framealpha=0.9, ncols=3)
        title = fig.suptitle(_TITLE_SPACE, fontsize="medium")
    return {"T_max": T_max, "norms": norms, "bound": bound, "peak": peak, "loss": loss,
            "factors": factors, "sigma": sigma_line, "rho": rho_line, "title": title}


# What the BlitRenderer redraws.
ANIMATED = ("norms", "bound", "peak", "loss", "factors", "sigma", "rho", "title")


def title_text(trace):
    """The plot's title: the kind of W_hh with its sigma_max and rho, then the headline."""
    kind = "orthogonal × σ" if trace["matrix"] == MATRICES[0] else "non-normal"
    return (f"$W_{{hh}}$ {kind}: $\\sigma_{{max}}$ = {trace['sigma_max']:.2f}, "
            f"$\\rho$ = {trace['rho']:.2f}\n{trace['headline']}")


def draw_gradients(fig, trace):
    """Draw a gradient trace on `fig`. Top: ||dL/dh_t|| against t on a log scale, the bound
    overlaid, the largest norm marked when the gradient first grows. Bottom: the factor of each
    single step back against t, with sigma_max (no step can exceed it) and the spectral radius
    rho. The kind of W_hh and what is seen are in the title. The y-ranges are fixed (1e-12 ..
    1e12 and 0 .. 1.6); values beyond them are clipped just outside for plotting, so their lines
    leave the frame. The x-range is 0 .. 101 (more only for longer traces). The axes are built on
    the first call and updated in place afterwards."""
    T = len(trace["steps"])
    artists = getattr(fig, "_gradient_artists", None)
    if artists is None or artists["T_max"] < T:
        artists = fig._gradient_artists = _layout(fig, max(T, T_RANGE[1]))
    artists["norms"].set_data(trace["steps"], for_plot(trace["norms"]))
    artists["bound"].set_data(trace["steps"], for_plot(trace["bound"]))
    if trace["grows"]:
        t_peak = T - trace["peak_lag"]
        artists["peak"].set_data([t_peak], for_plot(trace["norms"][[t_peak - 1]]))
    else:
        artists["peak"].set_data([], [])
    artists["loss"].set_xdata([T] * 2)
    low, high = FACTOR_RANGE
    artists["factors"].set_data(trace["steps"][:-1],
                                np.clip(step_factors(trace["norms"]), low - 1, high + 1))
    artists["sigma"].set_ydata([trace["sigma_max"]] * 2)
    artists["rho"].set_ydata([trace["rho"]] * 2)
    artists["title"].set_text(title_text(trace))
    return fig


class GradientExplorer(Explorer):
    """Sliders for sigma_max(W_hh), the sequence length T and the input scale, a choice of
    nonlinearity and of the kind of W_hh (orthogonal, or non-normal with spectral radius 0.9),
    and the plot of what the learner's gradient_norms measures. Use:
    `GradientExplorer(rnn_forward, gradient_norms, jacobian_norm_bound)` as the last line of a
    cell. `update()` recomputes and redraws; tests set the controls' values."""

    def __init__(self, rnn_forward, gradient_norms, jacobian_norm_bound, sigma_max=1.0, T=50,
                 input_scale=1.0, nonlinearity="tanh", matrix=MATRICES[0]):
        self.functions = {"rnn_forward": rnn_forward, "gradient_norms": gradient_norms,
                          "jacobian_norm_bound": jacobian_norm_bound}
        self._assemble({
            "sigma_max": slider(sigma_max, 0.5, 1.5, 0.01, "σ_max(W_hh)"),
            "T": slider(int(T), T_RANGE[0], T_RANGE[1], 1, "length T"),
            "input_scale": slider(input_scale, 0.0, 3.0, 0.1, "input scale"),
            "nonlinearity": choice(NONLINEARITIES, nonlinearity, "nonlinearity"),
            "matrix": choice(MATRICES, matrix, "W_hh"),
        }, new_figure(height=4.6))
        self.update()

    def compute(self):
        return gradient_trace(**self.functions, **self.settings())

    def draw(self, trace):
        draw_gradients(self.figure, trace)
        return self.figure._gradient_artists, ANIMATED

    def describe(self, trace):
        late = (f"; ×{trace['late']:.3f} per step over the earliest "
                f"{min(TAIL, trace['T'] - trace['peak_lag'])} steps" if trace["grows"] else "")
        return (f"<b>{trace['summary']}</b> (||dL/dh_1|| = {trace['norms'][0]:.2e}; "
                f"bound {trace['bound'][0]:.2e}; σ_max = {trace['sigma_max']:.2f}, "
                f"spectral radius ρ = {trace['rho']:.2f}{late})")
