"""Lesson 02 explorer: what does truncated backpropagation through time throw away?

A random RNN (all singular values of W_hh equal `radius`) reads T steps of random input, starting
from a random state (as if the T steps were a piece of a longer stream). Two measurements, both
made with the learner's own functions (nothing here computes a graded answer):

(a) A loss on the last state h_T alone. The gradient on W_hh is a sum over the steps that used
    W_hh, c_1 + ... + c_T; step t's share c_t has come back `lag = T - t` steps from the loss. The
    learner's rnn_backward run on the suffix of the sequence that starts at step t gives
    c_t + ... + c_T, so differences of consecutive suffixes give every c_t. Lags >= k are what
    a window of k steps always loses (a loss that falls early in its window loses shorter lags
    too).
(b) A loss at every step. The learner's rnn_backward_truncated with windows of k = 1 .. T steps,
    compared with the learner's full rnn_backward: how far off is the truncated gradient on W_hh?
"""
import html

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..data import rnn_weights
from ..plots import OKABE_ITO, new_figure
from .learner import LearnerCodeFailed, run_learner, shaped
from .widget import Explorer, slider

CONTRIBUTION_RANGE = (1e-12, 1e2)   # fixed y-limits of the left panel (log scale)
ERROR_RANGE = (-0.02, 1.25)         # fixed y-limits of the right panel (0 .. 125 %, 0 in full)
RADIUS_RANGE = (0.5, 1.5)


def _gradient_on_W_hh(name, fn, *args):
    """The learner's backward function's fourth result, dW_hh (H, H), checked."""
    H = args[5].shape[0]     # args: dhs, x, h0, hs, W_xh, W_hh[, k]
    grads = run_learner(name, fn, *args)
    if not isinstance(grads, (tuple, list)) or len(grads) != 5:
        raise LearnerCodeFailed(name, "should return five arrays: dx, dh0, dW_xh, dW_hh, db_h")
    return shaped(name, grads[3], (H, H), "dW_hh (H, H)")


def truncation_profile(rnn_forward, rnn_backward, rnn_backward_truncated, radius=0.9, T=40, H=16,
                       D=2, N=4, input_scale=1.0, seed=0):
    """Measure, with the learner's functions, where the gradient on W_hh comes from and what
    truncation to windows of k steps does to it.

    The learner's rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs (T, N, H) gives the states;
    rnn_backward(dhs, x, h0, hs, W_xh, W_hh) and rnn_backward_truncated(..., k) -> (dx (T, N, D),
    dh0 (N, H), dW_xh (H, D), dW_hh (H, H), db_h (H,)) the gradients. x (T, N, D) is standard
    normal, h0 (N, H) a random state in (-1, 1), W_xh (H, D) of scale input_scale, W_hh (H, H)
    with all singular values equal to radius, no bias.

    Returns a dict:
      lags (T,) = 0 .. T-1, steps back from the last state (lag T - t for step t);
      contribution_matrices (T, H, H): [lag] is c_t, step t's share of dW_hh for a loss on h_T
        alone (a fixed random dL/dh_T (N, H) of norm 1); they sum to dW_hh_last;
      contribution (T,): their Frobenius norms ||c_t||;
      dW_hh_last (H, H): the learner's rnn_backward's dW_hh for that loss (whole sequence);
      ks (T,) = 1 .. T, the window lengths;
      distant_share (T,): [k - 1] = the share of sum(contribution) from lags >= k (what a window
        of k steps always loses; 0 at k = T);
      dW_hh_full (H, H): the learner's rnn_backward's dW_hh for a loss at every step (random
        dL/dh_t (T, N, H));
      relative_error (T,): [k - 1] = ||dW_hh(k) - dW_hh_full|| / ||dW_hh_full|| with dW_hh(k)
        from the learner's rnn_backward_truncated (0 at k = T);
      cosine (T,): [k - 1] = cosine similarity of dW_hh(k) and dW_hh_full;
      x, h0, hs, W_xh, W_hh, b_h, dhs_last (T, N, H) (zero but the last step), dhs (T, N, H):
        the inputs, to check the measurements;
      and the settings radius, T, H, D, N, input_scale, seed.

    Raises LearnerCodeFailed naming the learner's function that raised or returned a wrong shape.
    """
    T, H, D, N = int(T), int(H), int(D), int(N)
    rng = np.random.default_rng(seed)
    # Drawn in a fixed order so that moving the radius changes nothing else (W_hh only rescales).
    W_xh, W_hh, b_h = rnn_weights(D, H, rng, radius=radius, input_scale=input_scale)
    x = rng.normal(size=(T, N, D))
    h0 = np.tanh(rng.normal(size=(N, H)))
    dh_last = rng.normal(size=(N, H))
    dh_last /= np.sqrt(np.sum(dh_last * dh_last))
    dhs = rng.normal(size=(T, N, H))
    hs = shaped("rnn_forward", run_learner("rnn_forward", rnn_forward, x, h0, W_xh, W_hh, b_h),
                 (T, N, H), "(T, N, H)")

    # (a) suffix[t] = c_{t+1} + ... + c_T (steps counted from 1), from the learner's rnn_backward
    # on steps t+1 .. T alone, started from the state before them; suffix[T] = 0 (no step).
    dhs_last = np.zeros((T, N, H))
    dhs_last[-1] = dh_last
    suffix = np.zeros((T + 1, H, H))
    for t in range(T):
        before = hs[t - 1] if t else h0
        suffix[t] = _gradient_on_W_hh("rnn_backward", rnn_backward, dhs_last[t:], x[t:], before,
                                      hs[t:], W_xh, W_hh)
    per_step = suffix[:-1] - suffix[1:]            # [t - 1] = c_t, step t = 1 .. T
    matrices = per_step[::-1]                      # [lag] = c_{T - lag}
    contribution = np.sqrt(np.sum(matrices * matrices, axis=(1, 2)))
    total = np.sum(contribution)
    beyond = np.cumsum(contribution[::-1])[::-1]   # [lag] = sum of the norms at lags >= lag
    distant_share = np.append(beyond[1:], 0.0) / (total if total > 0 else 1.0)

    # (b) a loss at every step: truncated against full.
    full = _gradient_on_W_hh("rnn_backward", rnn_backward, dhs, x, h0, hs, W_xh, W_hh)
    truncated = np.array([_gradient_on_W_hh("rnn_backward_truncated", rnn_backward_truncated,
                                            dhs, x, h0, hs, W_xh, W_hh, k)
                          for k in range(1, T + 1)])
    full_norm = np.sqrt(np.sum(full * full))
    norms = np.sqrt(np.sum(truncated * truncated, axis=(1, 2)))
    with np.errstate(divide="ignore", invalid="ignore"):
        relative_error = np.sqrt(np.sum((truncated - full) ** 2, axis=(1, 2))) / full_norm
        cosine = np.sum(truncated * full, axis=(1, 2)) / (norms * full_norm)
    return {"lags": np.arange(T), "contribution_matrices": matrices, "contribution": contribution,
            "dW_hh_last": suffix[0], "ks": np.arange(1, T + 1), "distant_share": distant_share,
            "dW_hh_full": full, "relative_error": relative_error, "cosine": cosine,
            "x": x, "h0": h0, "hs": hs, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h,
            "dhs_last": dhs_last, "dhs": dhs, "radius": radius, "T": T, "H": H, "D": D, "N": N,
            "input_scale": input_scale, "seed": seed}


def _percent(share):
    if not np.isfinite(share):
        return "?%"
    if share == 0:
        return "0%"
    if share < 0.001:
        return "< 0.1%"
    if share < 0.1:
        return f"{share:.1%}"
    return f"{share:.0%}"


def at_window(profile, k):
    """The profile read at a window of k steps (any k >= 1; k >= T is full BPTT).

    Returns a dict: k, share (of the last-step gradient's contributions from lags >= k),
    relative_error, cosine, boundaries (the number of window boundaries in T steps, where
    gradient is cut) and summary (one readable line)."""
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a whole number >= 1, not {k!r}")
    k = int(k)
    T = profile["T"]
    i = min(k, T) - 1
    share, error = float(profile["distant_share"][i]), float(profile["relative_error"][i])
    summary = (f"k = {k}: {_percent(share)} of the last-step gradient on W_hh comes from {k} or "
               f"more steps back; truncated gradient off by {_percent(error)}")
    return {"k": k, "share": share, "relative_error": error,
            "cosine": float(profile["cosine"][i]), "boundaries": -(-T // k) - 1,
            "summary": summary}


def for_plot(values, limits):
    """Values clipped to slightly beyond the fixed y-limits `limits` (a line leaves the frame
    instead of running along its edge, and the axes never rescale: the BlitRenderer's background
    stays valid). nan (a diverged learner function) stays nan, so it is not drawn."""
    low, high = limits
    if low > 0:                          # log scale: a decade beyond
        return np.clip(values, low / 10, high * 10)
    return np.clip(values, low - 0.05 * (high - low), high + 0.05 * (high - low))


def _layout(fig, T):
    """Build the two panels once for sequences of T steps (fixed limits); later draws only update
    the artists' data (fast enough to follow a slider). Returns the artists that change."""
    fig.clear()
    ax_c, ax_e = fig.subplots(1, 2)
    fig.subplots_adjust(left=0.08, right=0.98, top=0.84, bottom=0.12, wspace=0.25)
    lags, ks = np.arange(T), np.arange(1, T + 1)
    # The lags a window of k loses: a band from lag k - 0.5 to the end (in data x, axes y).
    lost_band = Rectangle((T, 0), 0, 1, transform=ax_c.get_xaxis_transform(),
                          facecolor=OKABE_ITO[3], alpha=0.12, linewidth=0)
    ax_c.add_patch(lost_band)
    (kept,) = ax_c.semilogy(lags, np.ones(T), color=OKABE_ITO[0], marker="o", markersize=3,
                            label="$\\|c_t\\|$, step $t$'s share of "
                                  "$\\partial L / \\partial W_{hh}$")
    (lost,) = ax_c.semilogy(lags, np.ones(T), color=OKABE_ITO[3], marker="o", markersize=3,
                            linestyle="none", label="lags $\\geq k$: cut by a window of $k$")
    ax_c.set_xlim(-0.5, T - 0.5)
    ax_c.set_ylim(*CONTRIBUTION_RANGE)
    ax_c.set_xlabel("steps back from the loss on $h_T$ (lag $T - t$)")
    ax_c.set_ylabel("contribution norm (log scale)")
    ax_c.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_c.grid(True, which="major", alpha=0.3)
    # Legends stay in the background (redrawing their text at every update would cost ~25 ms):
    # lower left, where the contributions never go (they start near 1 and fall with the lag);
    # the band of lost lags tints it only for small k.
    ax_c.legend(loc="lower left", fontsize="small", framealpha=0.9)
    ax_c.set_title("loss on the last state only", fontsize="medium")

    (error,) = ax_e.plot(ks, np.zeros(T), color=OKABE_ITO[2], marker="o", markersize=3,
                         label="$\\|dW_{hh}(k) - dW_{hh}\\| / \\|dW_{hh}\\|$")
    # A stem from the bottom up to the error at k (not a full-height line: it would cross the
    # legend, which is in the background, under everything that moves).
    (k_line,) = ax_e.plot([1, 1], [ERROR_RANGE[0], 0], color=OKABE_ITO[1], linestyle="--",
                          label="your window $k$")
    (k_point,) = ax_e.plot([1], [0], color=OKABE_ITO[1], marker="o", markersize=8,
                           linestyle="none")
    ax_e.set_xlim(0.5, T + 0.5)
    ax_e.set_ylim(*ERROR_RANGE)
    ax_e.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax_e.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax_e.set_xlabel("window $k$ of truncated BPTT (steps)")
    ax_e.set_ylabel("relative error of $dW_{hh}$")
    ax_e.grid(True, which="major", alpha=0.3)
    ax_e.legend(loc="upper right", fontsize="small", framealpha=0.9)
    ax_e.set_title("loss at every step: truncated vs full", fontsize="medium")
    title = fig.suptitle("", fontsize="medium")
    return {"T": T, "lost_band": lost_band, "kept": kept, "lost": lost, "error": error,
            "k_line": k_line, "k_point": k_point, "title": title}


# What the BlitRenderer redraws, in this order (the band under the lines).
ANIMATED = ("lost_band", "kept", "lost", "error", "k_line", "k_point", "title")


def draw_truncation(fig, profile, k):
    """Draw a truncation profile on `fig` for a window of k steps: left, the contribution norm of
    each lag on a log scale with the lags >= k shaded and marked; right, the relative error of
    the truncated gradient against k with k marked; the title says both at k. The y-ranges are
    fixed (contributions 1e-12 .. 1e2, errors 0 .. 125%); values beyond are clipped just outside
    them for plotting, so their lines leave the frame. The panels are built on the first call
    and updated in place afterwards."""
    T = profile["T"]
    artists = getattr(fig, "_truncation_artists", None)
    if artists is None or artists["T"] != T:
        artists = fig._truncation_artists = _layout(fig, T)
    read = at_window(profile, k)
    k_shown = min(read["k"], T)
    lags = profile["lags"]
    contribution = for_plot(profile["contribution"], CONTRIBUTION_RANGE)
    artists["kept"].set_data(lags, contribution)
    artists["lost"].set_data(lags[k_shown:], contribution[k_shown:])
    artists["lost_band"].set_x(k_shown - 0.5)
    artists["lost_band"].set_width(T - k_shown)
    artists["error"].set_data(profile["ks"], for_plot(profile["relative_error"], ERROR_RANGE))
    error_at_k = for_plot([read["relative_error"]], ERROR_RANGE)
    artists["k_line"].set_data([k_shown] * 2, [ERROR_RANGE[0], error_at_k[0]])
    artists["k_point"].set_data([k_shown], error_at_k)
    artists["title"].set_text(read["summary"].replace("; ", ";\n") +
                              f" (scale of W_hh {profile['radius']:.2f}, T = {T})")
    return fig


class TruncationExplorer(Explorer):
    """Sliders for the scale of W_hh and the window k of truncated BPTT, and the plots of what the
    learner's rnn_backward and rnn_backward_truncated measure. Use: `TruncationExplorer(
    rnn_forward, rnn_backward, rnn_backward_truncated)` as the last line of a cell. Moving the
    scale recomputes the profile (`update()`); moving k only redraws (`redraw()`): everything at
    every k was measured already. Tests set the controls' values."""

    def __init__(self, rnn_forward, rnn_backward, rnn_backward_truncated, radius=0.9, k=10, T=40):
        self.functions = {"rnn_forward": rnn_forward, "rnn_backward": rnn_backward,
                          "rnn_backward_truncated": rnn_backward_truncated}
        self.T = int(T)
        self._assemble({"radius": slider(radius, *RADIUS_RANGE, 0.05, "scale of W_hh"),
                        "k": slider(int(k), 1, self.T, 1, "window k")}, new_figure(height=4.8))
        self.update()

    def changed(self, name):
        """Moving k only redraws: every k was measured already."""
        self.redraw() if name == "k" else self.update()

    @property
    def profile(self):
        """The last truncation_profile (None after a failure of the learner's code)."""
        return self.trace

    def compute(self):
        return truncation_profile(**self.functions, radius=self.controls["radius"].value, T=self.T)

    def draw(self, profile):
        draw_truncation(self.figure, profile, self.controls["k"].value)
        return self.figure._truncation_artists, ANIMATED

    def describe(self, profile):
        read = at_window(profile, self.controls["k"].value)
        return (f"<b>{html.escape(read['summary'])}</b> (cosine similarity of the truncated and "
                f"full gradients {read['cosine']:.3f}; {read['boundaries']} window boundaries in "
                f"T = {self.T} steps, and a loss just after a boundary loses even its short lags)")

    def redraw(self):
        """Draw the current profile at the slider's k (nothing is recomputed)."""
        if self.trace is None:     # the status already says what went wrong
            return
        self.show(*self.draw(self.trace))
        self.status.value = self.describe(self.trace)
