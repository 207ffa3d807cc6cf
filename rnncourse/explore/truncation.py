"""Lesson 02 explorer: what does truncated backpropagation through time throw away?

A random RNN (all singular values of W_hh equal `radius`) reads T steps of random input, starting
from a random state (as if the T steps were a piece of a longer stream). Everything is measured
with the learner's own functions (nothing here computes a graded answer):

(a) A loss on the last state h_T alone. The gradient on W_hh is a sum over the steps that used
    W_hh, c_1 + ... + c_T; step t's share c_t has come back `lag = T - t` steps from the loss. The
    learner's rnn_backward run on the suffix of the sequence that starts at step t gives
    c_t + ... + c_T, so differences of consecutive suffixes give every c_t. Windows of k steps
    counted from the start keep, for a loss at step t, only the lags 0 .. (t - 1) mod k: the
    lookback depends on where t sits in its window, from k - 1 steps (the window's last step)
    down to none at all (its first step).
(b) A loss at every step. The learner's rnn_backward_truncated with windows of k = 1 .. T steps,
    compared with the learner's full rnn_backward: how far off is the truncated gradient on W_hh?
(c) The ways of cutting a stream into windows that people train with (`truncation_schemes`):
    the state carried from window to window with the gradient cut at each boundary (the
    learner's rnn_backward_truncated; Karpathy's min-char-rnn, 2015), the state restarted at
    zero in every window (independent pieces), and the overlapping windows of Williams & Peng
    (1990), BPTT(h; h'): every h' steps, the losses of those h' steps are sent h steps back.
"""
import html

import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, PercentFormatter

from ..data import rnn_weights
from ..plots import OKABE_ITO, laid_out_once, new_figure
from .learner import LearnerCodeFailed, run_learner, shaped
from .widget import Explorer, slider

CONTRIBUTION_RANGE = (1e-12, 1e2)   # fixed y-limits of the left panel (log scale)
ERROR_RANGE = (-0.02, 1.25)         # fixed y-limits of the right panel (0 .. 125 %, 0 in full)
RADIUS_RANGE = (0.5, 1.5)

# The schemes of truncation_schemes, in the order of the table, and their column headings.
SCHEMES = ("carried", "restarted", "overlapping", "sliding")
HEADINGS = {"carried": "carried state", "restarted": "restarted state",
            "overlapping": "BPTT(2k; k)", "sliding": "BPTT(k; 1)"}


def _problem(radius, T, H, D, N, input_scale, seed):
    """The random RNN and data shared by every measurement (drawn in a fixed order, so that moving
    the radius changes nothing else: W_hh only rescales). dh_last (N, H) has norm 1."""
    rng = np.random.default_rng(seed)
    W_xh, W_hh, b_h = rnn_weights(D, H, rng, radius=radius, input_scale=input_scale)
    x = rng.normal(size=(T, N, D))
    h0 = np.tanh(rng.normal(size=(N, H)))
    dh_last = rng.normal(size=(N, H))
    dh_last /= np.sqrt(np.sum(dh_last * dh_last))
    dhs = rng.normal(size=(T, N, H))
    return {"x": x, "h0": h0, "W_xh": W_xh, "W_hh": W_hh, "b_h": b_h, "dh_last": dh_last,
            "dhs": dhs}


def _gradient_on_W_hh(name, fn, *args):
    """The learner's backward function's fourth result, dW_hh (H, H), checked."""
    H = args[5].shape[0]     # args: dhs, x, h0, hs, W_xh, W_hh[, k]
    grads = run_learner(name, fn, *args)
    if not isinstance(grads, (tuple, list)) or len(grads) != 5:
        raise LearnerCodeFailed(name, "should return five arrays: dx, dh0, dW_xh, dW_hh, db_h")
    return shaped(name, grads[3], (H, H), "dW_hh (H, H)")


def _states(rnn_forward, x, h0, W_xh, W_hh, b_h):
    """The learner's rnn_forward's states (T, N, H), checked."""
    T, N, H = x.shape[0], h0.shape[0], W_hh.shape[0]
    return shaped("rnn_forward", run_learner("rnn_forward", rnn_forward, x, h0, W_xh, W_hh, b_h),
                  (T, N, H), "(T, N, H)")


def lookback(t, k):
    """How many steps back a loss at step t (1-based) reaches when windows of k steps are counted
    from the start (steps 1..k, k+1..2k, ...): (t - 1) mod k, from k - 1 at a window's last step
    down to 0 at its first step (no gradient through the recurrence at all)."""
    if int(k) != k or k < 1 or int(t) != t or t < 1:
        raise ValueError(f"t and k must be whole numbers >= 1, not t = {t!r}, k = {k!r}")
    return (int(t) - 1) % int(k)


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
      distant_share (T,): [j - 1] = the share of sum(contribution) from lags >= j. A loss on h_T
        that reaches back L steps loses distant_share[L]; a window of k loses at least
        distant_share[k - 1] (a loss at the window's last step), and a loss at a window's first
        step loses distant_share[0] (every lag but 0); 0 at j = T;
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
    p = _problem(radius, T, H, D, N, input_scale, seed)
    x, h0, W_xh, W_hh, dhs = p["x"], p["h0"], p["W_xh"], p["W_hh"], p["dhs"]
    hs = _states(rnn_forward, x, h0, W_xh, W_hh, p["b_h"])

    # (a) suffix[t] = c_{t+1} + ... + c_T (steps counted from 1), from the learner's rnn_backward
    # on steps t+1 .. T alone, started from the state before them; suffix[T] = 0 (no step).
    dhs_last = np.zeros((T, N, H))
    dhs_last[-1] = p["dh_last"]
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
            "x": x, "h0": h0, "hs": hs, "W_xh": W_xh, "W_hh": W_hh, "b_h": p["b_h"],
            "dhs_last": dhs_last, "dhs": dhs, "radius": radius, "T": T, "H": H, "D": D, "N": N,
            "input_scale": input_scale, "seed": seed}


def williams_peng_windows(T, depth, every):
    """The backward passes of Williams & Peng's (1990) BPTT(h; h') with h = depth, h' = every
    (Sutskever, 2013, writes k2 and k1): every `every` steps, the losses of those steps are sent
    back `depth` steps. Returns [(start, first_loss, end)], 0-based, one per backward pass: it
    runs over steps start .. end - 1 and carries the losses of steps first_loss .. end - 1, and
    start = first_loss - (depth - every) (or 0), so every loss reaches at least depth - every
    steps back (or to the start). When `every` does not divide T the last pass carries fewer
    losses and reaches as far before them as the others. depth = every = k gives exactly the
    learner's windows (each loss reaches back 0 .. k - 1 steps)."""
    if int(depth) != depth or int(every) != every or not 1 <= every <= depth:
        raise ValueError(f"need whole numbers 1 <= every <= depth, not {every!r}, {depth!r}")
    depth, every = int(depth), int(every)
    firsts = range(0, T, every)
    return [(max(0, first - (depth - every)), first, min(first + every, T)) for first in firsts]


def _windowed_gradient(rnn_forward, rnn_backward, p, hs, windows, restart):
    """dW_hh (H, H) summed over backward passes on `windows` [(start, first_loss, end)] with the
    learner's rnn_backward. The states are the stream's (hs) or, with restart, the learner's
    rnn_forward's from a zero state at the start of every window after the first. Returns
    (dW_hh, the number of steps run backwards)."""
    x, W_xh, W_hh, dhs = p["x"], p["W_xh"], p["W_hh"], p["dhs"]
    total, steps = np.zeros(W_hh.shape), 0
    for start, first_loss, end in windows:
        if start == 0:
            before, states = p["h0"], hs[:end]
        elif restart:
            before = np.zeros(p["h0"].shape)
            states = _states(rnn_forward, x[start:end], before, W_xh, W_hh, p["b_h"])
        else:
            before, states = hs[start - 1], hs[start:end]
        losses = np.zeros(dhs[start:end].shape)
        losses[first_loss - start:] = dhs[first_loss:end]
        total += _gradient_on_W_hh("rnn_backward", rnn_backward, losses, x[start:end], before,
                                   states, W_xh, W_hh)
        steps += end - start
    return total, steps


def truncation_schemes(rnn_forward, rnn_backward, rnn_backward_truncated, radius=0.5,
                       ks=(5, 10, 20), T=40, H=16, D=2, N=4, input_scale=1.0, seed=0):
    """Measure, with the learner's functions, how far from full BPTT four ways of training on a
    stream in windows of k steps land, for a loss at every step (the same RNN, data and losses
    as truncation_profile with the same settings, so "carried" is its relative_error at k):

      carried:     the state carried across windows, the gradient cut at each boundary: the
                   learner's rnn_backward_truncated (min-char-rnn; d2l's sequential partitioning
                   with the state detached);
      restarted:   every window after the first starts again from h = 0 (independent pieces:
                   d2l's random sampling): the learner's rnn_forward and rnn_backward on each
                   window;
      overlapping: Williams & Peng's BPTT(2k; k): every k steps, the losses of those k steps are
                   sent 2k steps back (each reaches k .. 2k - 1 steps back);
      sliding:     Williams & Peng's BPTT(k; 1): at every step, its loss is sent k steps back
                   (each reaches exactly k - 1 steps back).

    Returns a dict: ks (K,); schemes (SCHEMES); dW_hh {scheme: (K, H, H)}; relative_error
    {scheme: (K,)} = ||dW_hh - dW_hh_full|| / ||dW_hh_full||; backward_steps {scheme: (K,)} ints,
    the steps run backwards over the T steps (the work; full BPTT runs T); dW_hh_full (H, H) from
    the learner's rnn_backward; the inputs x, h0, hs, W_xh, W_hh, b_h, dhs; and the settings
    radius, T, H, D, N, input_scale, seed.

    Raises LearnerCodeFailed naming the learner's function that raised or returned a wrong shape.
    """
    T, H, D, N = int(T), int(H), int(D), int(N)
    ks = np.array([int(k) for k in ks])
    if np.any(ks < 1):
        raise ValueError(f"every k must be >= 1, not {list(ks)}")
    p = _problem(radius, T, H, D, N, input_scale, seed)
    x, h0, W_xh, W_hh, dhs = p["x"], p["h0"], p["W_xh"], p["W_hh"], p["dhs"]
    hs = _states(rnn_forward, x, h0, W_xh, W_hh, p["b_h"])
    full = _gradient_on_W_hh("rnn_backward", rnn_backward, dhs, x, h0, hs, W_xh, W_hh)
    grads = {scheme: np.zeros((len(ks), H, H)) for scheme in SCHEMES}
    steps = {scheme: np.zeros(len(ks), dtype=int) for scheme in SCHEMES}
    for i, k in enumerate(ks):
        grads["carried"][i] = _gradient_on_W_hh("rnn_backward_truncated", rnn_backward_truncated,
                                                dhs, x, h0, hs, W_xh, W_hh, k)
        steps["carried"][i] = T
        for scheme, depth, every, restart in (("restarted", k, k, True),
                                              ("overlapping", 2 * k, k, False),
                                              ("sliding", k, 1, False)):
            grads[scheme][i], steps[scheme][i] = _windowed_gradient(
                rnn_forward, rnn_backward, p, hs, williams_peng_windows(T, depth, every), restart)
    full_norm = np.sqrt(np.sum(full * full))
    with np.errstate(divide="ignore", invalid="ignore"):
        errors = {scheme: np.sqrt(np.sum((grads[scheme] - full) ** 2, axis=(1, 2))) / full_norm
                  for scheme in SCHEMES}
    return {"ks": ks, "schemes": SCHEMES, "dW_hh": grads, "relative_error": errors,
            "backward_steps": steps, "dW_hh_full": full, "x": x, "h0": h0, "hs": hs,
            "W_xh": W_xh, "W_hh": W_hh, "b_h": p["b_h"], "dhs": dhs, "radius": radius, "T": T,
            "H": H, "D": D, "N": N, "input_scale": input_scale, "seed": seed}


def table_percent(value):
    """A relative error as the scheme table prints it: "0%" (exactly full BPTT, below 1e-12),
    "<0.1%", or one decimal ("23.0%"); "?%" for nan."""
    if not np.isfinite(value):
        return "?%"
    if value < 1e-12:
        return "0%"
    if value < 0.0005:
        return "<0.1%"
    return f"{100 * value:.1f}%"


def scheme_table(schemes):
    """The result of truncation_schemes as a small text table: one row per k, the relative error
    of dW_hh of each scheme, then the backward work of each (steps run backwards over T steps)."""
    width = max(len(h) for h in HEADINGS.values())
    T = schemes["T"]
    lines = [f"scale of W_hh {schemes['radius']:.2f}, T = {T}, a loss at every step: relative "
             "error of dW_hh against full BPTT",
             "   k  " + "  ".join(HEADINGS[s].rjust(width) for s in SCHEMES)]
    for i, k in enumerate(schemes["ks"]):
        lines.append(f"{k:4d}  " + "  ".join(
            table_percent(schemes["relative_error"][s][i]).rjust(width) for s in SCHEMES))
    lines.append(f"steps run backwards (full BPTT: {T}):")
    for i, k in enumerate(schemes["ks"]):
        lines.append(f"{k:4d}  " + "  ".join(
            str(schemes["backward_steps"][s][i]).rjust(width) for s in SCHEMES))
    return "\n".join(lines)


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

    Returns a dict: k; lookback, how far back the loss on h_T reaches ((T - 1) mod k: where step
    T sits in its window); lost_share, the share of that loss's gradient on W_hh from further
    back (what the learner's rnn_backward_truncated drops for it); window_share, the share from
    lags >= k (what even a loss at a window's last step loses); relative_error and cosine of the
    truncated gradient of a loss at every step; boundaries (the number of window boundaries in
    T steps, where gradient is cut); title (two short lines, for the plot) and summary (one
    readable line)."""
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a whole number >= 1, not {k!r}")
    k = int(k)
    T = profile["T"]
    reach = lookback(T, k)
    lost = float(profile["distant_share"][reach])
    window = float(profile["distant_share"][min(k, T) - 1])
    error = float(profile["relative_error"][min(k, T) - 1])
    lags = "lag 0 only" if reach == 0 else f"lags 0–{reach}"
    title = (f"k = {k}: the loss on $h_T$ keeps {lags}, loses {_percent(lost)}\n"
             f"loss at every step: truncated $dW_{{hh}}$ off by {_percent(error)}")
    summary = (f"k = {k}: the loss on h_T keeps {lags} and loses {_percent(lost)} of its gradient "
               f"on W_hh; a loss at every step: truncated gradient off by {_percent(error)}")
    return {"k": k, "lookback": reach, "lost_share": lost, "window_share": window,
            "relative_error": error, "cosine": float(profile["cosine"][min(k, T) - 1]),
            "boundaries": -(-T // k) - 1, "title": title, "summary": summary}


def for_plot(values, limits):
    """Values clipped to slightly beyond the fixed y-limits `limits` (a line leaves the frame
    instead of running along its edge, and the axes never rescale: the BlitRenderer's background
    stays valid). nan (a diverged learner function) stays nan, so it is not drawn."""
    low, high = limits
    if low > 0:                          # log scale: a decade beyond
        return np.clip(values, low / 10, high * 10)
    return np.clip(values, low - 0.05 * (high - low), high + 0.05 * (high - low))


# Two lines as long as the longest the title gets: constrained layout makes room for them once.
_TITLE_SPACE = "k = 40: the loss on $h_T$ keeps lags 0–39, loses < 0.1%\nloss at every step"


def _layout(fig, T):
    """Build the two panels once for sequences of T steps (fixed limits); later draws only update
    the artists' data (fast enough to follow a slider). Laid out once for the fonts in use
    (plots.laid_out_once). Returns the artists that change."""
    with laid_out_once(fig, w_pad=0.06, h_pad=0.06, wspace=0.04):
        ax_c, ax_e = fig.subplots(1, 2)
        lags, ks = np.arange(T), np.arange(1, T + 1)
        # The lags the loss on h_T loses: a band from its lookback + 0.5 to the end (data x, axes y).
        lost_band = Rectangle((T, 0), 0, 1, transform=ax_c.get_xaxis_transform(),
                              facecolor=OKABE_ITO[3], alpha=0.12, linewidth=0)
        ax_c.add_patch(lost_band)
        (kept,) = ax_c.semilogy(lags, np.ones(T), color=OKABE_ITO[0], marker="o", markersize=3,
                                label="$\\|c_t\\|$: step $t$'s share")
        (lost,) = ax_c.semilogy(lags, np.ones(T), color=OKABE_ITO[3], marker="o", markersize=3,
                                linestyle="none", label="lost by the loss on $h_T$")
        # Lag k, the reach of a whole window, as a mark on the top edge (a full-height line would
        # cross the legend, which is in the background, under everything that moves).
        (reach,) = ax_c.plot([T], [0.97], transform=ax_c.get_xaxis_transform(), color=OKABE_ITO[7],
                             marker="v", markersize=9, linestyle="none", label="lag $k$")
        ax_c.set_xlim(-0.5, T - 0.5)
        ax_c.set_ylim(*CONTRIBUTION_RANGE)
        ax_c.set_xlabel("lag: steps back from $h_T$")
        ax_c.set_ylabel("norm (log scale)")
        ax_c.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax_c.grid(True, which="major", alpha=0.3)
        # Legends stay in the background (redrawing their text at every update would cost ~25 ms):
        # lower left, where the contributions never go (they start near 1 and fall with the lag).
        ax_c.legend(loc="lower left", fontsize="small", framealpha=0.9)
        ax_c.set_title("loss on $h_T$ only", fontsize="medium")

        (error,) = ax_e.plot(ks, np.zeros(T), color=OKABE_ITO[2], marker="o", markersize=3,
                             label="relative error")
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
        ax_e.set_xlabel("window $k$ (steps)")
        ax_e.set_ylabel("error of truncated $dW_{hh}$")
        ax_e.grid(True, which="major", alpha=0.3)
        ax_e.legend(loc="upper right", fontsize="small", framealpha=0.9)
        ax_e.set_title("loss at every step", fontsize="medium")
        title = fig.suptitle(_TITLE_SPACE, fontsize="medium")
    return {"T": T, "lost_band": lost_band, "kept": kept, "lost": lost, "reach": reach,
            "error": error, "k_line": k_line, "k_point": k_point, "title": title}


# What the BlitRenderer redraws, in this order (the band under the lines).
ANIMATED = ("lost_band", "kept", "lost", "reach", "error", "k_line", "k_point", "title")


def draw_truncation(fig, profile, k):
    """Draw a truncation profile on `fig` for windows of k steps: left, the contribution norm of
    each lag on a log scale, with the lags the loss on h_T loses (beyond its lookback, (T - 1)
    mod k) shaded and marked, and lag k marked on the top edge; right, the relative error of the
    truncated gradient against k with k marked; the title says both at k. The y-ranges are fixed
    (contributions 1e-12 .. 1e2, errors 0 .. 125%); values beyond are clipped just outside them
    for plotting, so their lines leave the frame. The panels are built on the first call and
    updated in place afterwards."""
    T = profile["T"]
    artists = getattr(fig, "_truncation_artists", None)
    if artists is None or artists["T"] != T:
        artists = fig._truncation_artists = _layout(fig, T)
    read = at_window(profile, k)
    reach, k_shown = read["lookback"], min(read["k"], T)
    lags = profile["lags"]
    contribution = for_plot(profile["contribution"], CONTRIBUTION_RANGE)
    artists["kept"].set_data(lags, contribution)
    artists["lost"].set_data(lags[reach + 1:], contribution[reach + 1:])
    artists["lost_band"].set_x(reach + 0.5)
    artists["lost_band"].set_width(T - 1 - reach)
    artists["reach"].set_xdata([k_shown if k_shown < T else np.nan])
    artists["error"].set_data(profile["ks"], for_plot(profile["relative_error"], ERROR_RANGE))
    error_at_k = for_plot([read["relative_error"]], ERROR_RANGE)
    artists["k_line"].set_data([k_shown] * 2, [ERROR_RANGE[0], error_at_k[0]])
    artists["k_point"].set_data([k_shown], error_at_k)
    artists["title"].set_text(read["title"])
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
        return (f"<b>{html.escape(read['summary'])}</b> (scale of W_hh {profile['radius']:.2f}; "
                f"{read['boundaries']} window boundaries in T = {self.T} steps; lags &ge; k hold "
                f"{_percent(read['window_share'])} of the gradient of a loss on h_T; a loss at "
                f"the first step of a window loses {_percent(profile['distant_share'][0])}; "
                f"cosine similarity of the truncated and full gradients {read['cosine']:.3f})")

    def redraw(self):
        """Draw the current profile at the slider's k (nothing is recomputed)."""
        if self.trace is None:     # the status already says what went wrong
            return
        self.show(*self.draw(self.trace))
        self.status.value = self.describe(self.trace)
