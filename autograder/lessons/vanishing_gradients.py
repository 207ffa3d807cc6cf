"""Lesson 03 (vanishing and exploding gradients): the reference answers and one Graded entry per
graded name.

Math (column vectors): h_t = tanh(a_t), a_t = W_xh x_t + W_hh h_{t-1} + b_h, so one step's
Jacobian is d h_t / d h_{t-1} = diag(1 - h_t^2) W_hh and the gradient of a loss on h_T reaches h_t
through the product of the Jacobians of steps t+1 .. T (Pascanu, Mikolov & Bengio, 2013).
Code (a batch stacked as rows): a row vector times a Jacobian,
dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2)) @ W_hh. Sequences are time-major: hs (T, N, H),
hs[t-1] = h_t.

No function here calls another graded function: each can be graded on its own.
"""
import numpy as np

from ..graded import Graded, readable, readable_state, rnn_weights
from .rnn_update import rnn_forward

ASSIGNMENT = "03_vanishing_gradients"
SHIPS = ("rnn_update", "bptt")


def step_jacobian(h_t, W_hh):
    """The Jacobian of one RNN step with respect to the previous state, per example.

    h_t (N, H) the state the step produced, W_hh (H, H)
    -> J (N, H, H) with J[n] = d h_t[n] / d h_{t-1}[n] = diag(1 - h_t[n]**2) @ W_hh.
    """
    return (1.0 - h_t ** 2)[:, :, None] * W_hh[None, :, :]


def gradient_norms(hs, W_hh, dh_T):
    """How large the gradient of a loss on the last state is at every earlier state.

    hs (T, N, H) the states h_1 .. h_T, W_hh (H, H), dh_T (N, H) = dL/dh_T
    -> g (T,) with g[t-1] = ||dL/dh_t||, the Frobenius norm over the whole batch; g[T-1] = ||dh_T||.
    The loss depends on h_T alone, so the gradient only flows back through the recurrence:
    dL/dh_{t-1} = (dL/dh_t * (1 - h_t**2)) @ W_hh.
    """
    T = hs.shape[0]
    g = np.empty(T)
    dh = np.array(dh_T, dtype=np.float64)
    for t in range(T - 1, -1, -1):       # t is 0-based: hs[t] is h_{t+1}
        g[t] = np.linalg.norm(dh)
        if t > 0:
            dh = (dh * (1.0 - hs[t] ** 2)) @ W_hh
    return g


def jacobian_norm_bound(W_hh, lag, gamma=1.0):
    """Bound on the spectral norm of d h_{t+lag} / d h_t: (gamma * sigma_max(W_hh)) ** lag.

    W_hh (H, H), lag >= 0 steps, gamma a bound on the activation's slope (1 for tanh, 1/4 for the
    sigmoid) -> a Python float.
    """
    return float((gamma * np.linalg.norm(W_hh, 2)) ** lag)


def clip_by_global_norm(grads, max_norm):
    """Scale all gradients together so that their joint norm is at most max_norm.

    grads a dict of arrays (any shapes), max_norm > 0
    -> (clipped, total_norm): clipped a new dict with the same keys (new arrays, the inputs are left
    untouched), total_norm the norm of all entries together before clipping (a Python float).
    When total_norm > max_norm every array is multiplied by max_norm / total_norm.
    """
    total_norm = float(np.sqrt(sum(np.sum(np.square(g)) for g in grads.values())))
    scale = max_norm / total_norm if total_norm > max_norm else 1.0
    return {name: np.array(g, dtype=np.float64) * scale for name, g in grads.items()}, total_norm


# ----------------------------------------------------------------------------- hidden cases

def _step_jacobian_inputs(rng, T, N, D, H, scale, case):
    return [np.tanh(rng.normal(0.0, scale, size=(N, H))), rnn_weights(rng, D, H, scale)["W_hh"]]


def _gradient_norms_inputs(rng, T, N, D, H, scale, case):
    x, h0 = rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H))
    w = rnn_weights(rng, D, H, scale)
    return [rnn_forward(x, h0, w["W_xh"], w["W_hh"], w["b_h"]), w["W_hh"], rng.normal(size=(N, H))]


# Lags per case; gamma given for three of them (1/4 is the sigmoid's bound), left at its default
# of 1.0 for the others. (Lag 0, whose bound is always 1, is probed by the visible test.)
_LAGS = [(1, None), (2, 0.25), (5, None), (10, 1.0), (30, 0.5)]


def _jacobian_norm_bound_inputs(rng, T, N, D, H, scale, case):
    lag, gamma = _LAGS[case]
    W_hh = rnn_weights(rng, D, H, scale)["W_hh"]
    return [W_hh, lag] if gamma is None else [W_hh, lag, gamma]


# max_norm as a multiple of the gradients' global norm: clipped (< 1) or left alone (> 1).
_CLIP_FACTORS = [0.5, 2.0, 0.1, 1.5, 0.9]


def _clip_by_global_norm_inputs(rng, T, N, D, H, scale, case):
    grads = {name: value * rng.normal(size=np.shape(value)) for name, value in
             rnn_weights(rng, D, H, scale).items()}
    grads["dx"] = rng.normal(size=(T, N, D))
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return [grads, float(total * _CLIP_FACTORS[case])]


GRADED = [
    Graded("step_jacobian", step_jacobian, _step_jacobian_inputs),
    Graded("gradient_norms", gradient_norms, _gradient_norms_inputs, depends=("step_jacobian",)),
    Graded("jacobian_norm_bound", jacobian_norm_bound, _jacobian_norm_bound_inputs),
    Graded("clip_by_global_norm", clip_by_global_norm, _clip_by_global_norm_inputs),
]


# ------------------------------------------------------------- recorded cases (visible tests)

def recorded():
    """{name: (inputs, context)}: small readable inputs (two decimals) of the visible tests."""
    rng = np.random.default_rng(3)
    N, D, H, T = 2, 2, 3, 6
    jacobian = {"h_t": readable_state(rng, N, H), "W_hh": readable(rng, H, H, scale=0.8)}
    W_hh = readable(rng, H, H, scale=0.8)
    hs = rnn_forward(readable(rng, T, N, D), readable_state(rng, N, H),
                     readable(rng, H, D, scale=0.8), W_hh, readable(rng, H, scale=0.3))
    norms = {"hs": hs, "W_hh": W_hh, "dh_T": readable(rng, N, H)}
    bound = {"W_hh": readable(rng, H, H, scale=0.8), "lag": 5, "gamma": 1.0}
    clip = {"grads": {"W_xh": readable(rng, H, D), "W_hh": readable(rng, H, H),
                      "b_h": readable(rng, H)}, "max_norm": 1.0}
    return {"step_jacobian": (jacobian, {}), "gradient_norms": (norms, {}),
            "jacobian_norm_bound": (bound, {}), "clip_by_global_norm": (clip, {})}
