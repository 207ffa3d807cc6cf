"""Lesson 03 experiment: train a vanilla RNN to remember a bit over a growing lag.

The task: at step 1 the input is a bit (+1 or -1); then come `lag` steps of random distractor
input (normal, scale 0.5) on the same channel; at the last step (T = lag + 1) the network must say
which bit it saw. Readout and loss are a logistic regression on the last state:
z = h_T @ W_hy.T + b_y, loss = mean log(1 + exp(-y z)). Guessing gives log 2 ≈ 0.693 (chance).

Training is plain SGD with a fixed learning rate (Adam would hide the explosions), on fresh
batches. The learner's rnn_forward and rnn_backward (lessons 01 and 02) do the RNN's part, and the
learner's clip_by_global_norm (lesson 03), when given, clips the gradients; the readout, the loss,
the data and the optimizer live here (they are not graded).

What the runs show (seeded, deterministic; a few tenths of a second each):
- W_hh starting at sigma_max = 0.7: lags 2, 5 and 10 are learned, lag 20 stays at chance. The
  gradient that should teach step 1 is multiplied by at most 0.7 per step back: 0.7^20 ≈ 8e-4.
- W_hh starting at sigma_max = 3, lag 20: without clipping the gradient norm spikes to hundreds
  of times its median or more, one SGD step wrecks the weights (sigma_max of W_hh ends above 20)
  and the loss stays at chance; clipping the global norm at 1 makes the same run learn.
  The unclipped run is chaotic: another seed, or an equally correct implementation that rounds
  differently, changes its numbers, and about one such run in six learns anyway.
- Clipping does not rescue the vanishing case (sigma_max = 0.7, lag 20): there is nothing to clip.
"""
import math

import numpy as np

from matplotlib.ticker import FuncFormatter, NullFormatter

from ..data import recurrent_matrix
from ..plots import OKABE_ITO

CHANCE = math.log(2.0)     # the loss of always answering "50/50"
NOISE = 0.5                # scale of the distractor input
LAGS = (2, 5, 10, 20)
SETTINGS = {"radius": 0.7, "lr": 0.5, "iterations": 400, "H": 16, "N": 32, "max_norm": 1.0}
LARGE_RADIUS = 3.0         # sigma_max of W_hh at the start of the exploding runs
TEST_SIZE = 512


def make_batch(lag, N, rng, noise=NOISE):
    """A batch of the task: x (T, N, 1) with T = lag + 1, x[0] the bits, x[1:] distractor noise;
    y (N, 1) the bits (+1 or -1)."""
    x = noise * rng.normal(size=(lag + 1, N, 1))
    y = rng.choice([-1.0, 1.0], size=(N, 1))
    x[0] = y
    return x, y


def init_params(H, rng, radius):
    """Weights of the RNN and its readout, D = 1: W_xh (H, 1), W_hh (H, H) with all singular values
    equal to `radius`, b_h (H,), W_hy (1, H), b_y (1,)."""
    return {"W_xh": rng.normal(size=(H, 1)), "W_hh": recurrent_matrix(H, radius, rng),
            "b_h": np.zeros(H), "W_hy": rng.normal(size=(1, H)) / np.sqrt(H), "b_y": np.zeros(1)}


def logistic_loss(z, y):
    """Mean logistic loss of scores z (N, 1) for labels y (N, 1) in {-1, +1}, and dL/dz (N, 1).
    Computed without overflow for any z."""
    margin = -y * z
    loss = float(np.mean(np.logaddexp(0.0, margin)))
    dz = -y * np.exp(-np.logaddexp(0.0, -margin)) / len(y)   # -y sigmoid(margin) / N
    return loss, dz


def evaluate(rnn_forward, params, x, y):
    """(loss, accuracy) of the network on the batch x (T, N, 1), y (N, 1)."""
    with np.errstate(all="ignore"):
        hs = rnn_forward(x, np.zeros((x.shape[1], params["W_hh"].shape[0])), params["W_xh"],
                         params["W_hh"], params["b_h"])
        z = hs[-1] @ params["W_hy"].T + params["b_y"]
        loss, _ = logistic_loss(z, y)
    return loss, float(np.mean(np.sign(z) == y))


def _size(grads):
    """How large a set of gradients is, all arrays together (the number shown on the plots)."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def train_memory_task(rnn_forward, rnn_backward, clip_by_global_norm=None, lag=10,
                      radius=SETTINGS["radius"], lr=SETTINGS["lr"],
                      iterations=SETTINGS["iterations"], H=SETTINGS["H"], N=SETTINGS["N"],
                      max_norm=SETTINGS["max_norm"], seed=0, label=None):
    """Train a vanilla RNN (hidden size H, W_hh starting with every singular value = radius) on the
    bit-memory task over `lag` steps, with plain SGD at learning rate lr on batches of N.

    rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs (T, N, H) and rnn_backward(dhs, x, h0, hs, W_xh, W_hh)
    -> (dx, dh0, dW_xh, dW_hh, db_h) are the learner's; clip_by_global_norm(grads, max_norm) ->
    (clipped, total_norm), if given, clips the gradients of all five weights before each step.

    Returns a dict: loss (iterations,) the training loss of each batch, grad_norm (iterations,) the
    norm of all gradients together before clipping, sigma_max (iterations,) the largest singular
    value of W_hh before each step, test_loss and test_accuracy on a fixed held-out batch after
    training, chance (log 2), diverged (True if the weights stopped being finite: the curves are
    nan from there), and the settings lag, radius, lr, iterations, H, N, max_norm, clipped, seed,
    label.
    """
    rng = np.random.default_rng(seed)
    params = init_params(H, rng, radius)
    x_test, y_test = make_batch(lag, TEST_SIZE, np.random.default_rng([seed, 1]))
    curves = {name: np.full(iterations, np.nan) for name in ("loss", "grad_norm", "sigma_max")}
    h0 = np.zeros((N, H))
    diverged = False
    for i in range(iterations):
        x, y = make_batch(lag, N, rng)
        with np.errstate(all="ignore"):       # a run that blows up is allowed to: it is the lesson
            hs = rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b_h"])
            h_T = hs[-1]
            loss, dz = logistic_loss(h_T @ params["W_hy"].T + params["b_y"], y)
            grads = {"W_hy": dz.T @ h_T, "b_y": dz.sum(axis=0)}
            dhs = np.zeros_like(hs)
            dhs[-1] = dz @ params["W_hy"]      # the loss sees h_T only
            _, _, grads["W_xh"], grads["W_hh"], grads["b_h"] = rnn_backward(
                dhs, x, h0, hs, params["W_xh"], params["W_hh"])
            curves["loss"][i] = loss
            curves["grad_norm"][i] = _size(grads)
            curves["sigma_max"][i] = np.linalg.norm(params["W_hh"], 2) \
                if np.all(np.isfinite(params["W_hh"])) else np.nan
            if clip_by_global_norm is not None:
                grads, _ = clip_by_global_norm(grads, max_norm)
            params = {name: value - lr * grads[name] for name, value in params.items()}
        if not all(np.all(np.isfinite(value)) for value in params.values()):
            diverged = True
            break
    test_loss, test_accuracy = evaluate(rnn_forward, params, x_test, y_test) if not diverged \
        else (np.nan, np.nan)
    clipped = clip_by_global_norm is not None
    if label is None:
        label = f"lag {lag}, σ_max {radius:g}" + (f", clipped at {max_norm:g}" if clipped else "")
    return {**curves, "test_loss": test_loss, "test_accuracy": test_accuracy, "chance": CHANCE,
            "diverged": diverged, "lag": lag, "radius": radius, "lr": lr, "iterations": iterations,
            "H": H, "N": N, "max_norm": max_norm, "clipped": clipped, "seed": seed, "label": label}


def lesson_runs(rnn_forward, rnn_backward, clip_by_global_norm=None, lags=LAGS, seed=0):
    """The lesson's runs, by group: "growing lag ..." (sigma_max 0.7, no clipping, one run per lag)
    and "lag 20: large W_hh, clipping" (sigma_max 3, lag 20, without clipping and, if
    clip_by_global_norm is given, with clipping at 1, plus the vanishing case sigma_max 0.7,
    lag 20 with clipping, which clipping cannot help).
    Returns {group title: [run dicts of train_memory_task]}."""
    growing = f"growing lag (σ_max {SETTINGS['radius']:g}, no clipping)"
    runs = {growing: [train_memory_task(rnn_forward, rnn_backward, lag=lag, seed=seed,
                                        label=f"lag {lag}") for lag in lags]}
    large = [train_memory_task(rnn_forward, rnn_backward, lag=20, radius=LARGE_RADIUS, seed=seed,
                               label=f"σ_max {LARGE_RADIUS:g}, no clipping")]
    if clip_by_global_norm is not None:
        large.append(train_memory_task(rnn_forward, rnn_backward, clip_by_global_norm, lag=20,
                                       radius=LARGE_RADIUS, seed=seed,
                                       label=f"σ_max {LARGE_RADIUS:g}, clipped at "
                                             f"{SETTINGS['max_norm']:g}"))
        large.append(train_memory_task(rnn_forward, rnn_backward, clip_by_global_norm, lag=20,
                                       seed=seed, label=f"σ_max {SETTINGS['radius']:g}, clipped "
                                                        f"at {SETTINGS['max_norm']:g}"))
    runs["lag 20: large W_hh, clipping"] = large
    return runs


def draw_runs(fig, groups):
    """Draw runs side by side, one column per group ({title: [runs]}): the training loss of each
    batch (log scale, chance as a dashed line) on top, the gradient norm before clipping in the
    middle (log scale), the largest singular value of W_hh at the bottom (log scale if it spans
    more than a factor 10), all against the iteration.
    Returns fig."""
    fig.clear()
    axes = fig.subplots(3, len(groups), sharex="col", squeeze=False, height_ratios=[3, 2, 1.5])
    for column, (title, runs) in enumerate(groups.items()):
        ax_loss, ax_grad, ax_sigma = axes[:, column]
        for k, run in enumerate(runs):
            color = OKABE_ITO[k % len(OKABE_ITO)]
            steps = np.arange(1, len(run["loss"]) + 1)
            ax_loss.semilogy(steps, run["loss"], color=color, linewidth=1, label=run["label"])
            ax_grad.semilogy(steps, run["grad_norm"], color=color, linewidth=0.8)
            ax_sigma.plot(steps, run["sigma_max"], color=color, linewidth=1.2)
        ax_loss.axhline(CHANCE, color=OKABE_ITO[7], linestyle="--", linewidth=1,
                        label="chance (log 2)")
        ax_loss.set_title(title)
        ax_loss.legend(loc="lower left", fontsize="small", framealpha=0.9)
        ax_sigma.set_xlabel("iteration")
        if column == 0:
            ax_loss.set_ylabel("training loss")
            ax_grad.set_ylabel("gradient norm")
            ax_sigma.set_ylabel("$\\sigma_{max}(W_{hh})$")
        sigmas = np.concatenate([run["sigma_max"] for run in runs])
        if np.nanmax(sigmas) > 10 * np.nanmin(sigmas):   # a blow-up: log scale, plain numbers
            ax_sigma.set_yscale("log")
            ax_sigma.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            ax_sigma.yaxis.set_minor_formatter(NullFormatter())
    fig.align_ylabels(axes[:, 0])
    fig.tight_layout()
    return fig
