"""Lesson 02 (backpropagation through time): the reference answers and one Graded entry per
graded name.

Forward (batch as rows): h_t = tanh(a_t), a_t = x_t @ W_xh.T + h_prev @ W_hh.T + b_h.
Backward: da_t = dh_t * (1 - h_t**2), with dh_t the *total* gradient on h_t (its own loss plus
what flows back from step t+1).
"""
import numpy as np

from ..graded import Graded, readable, readable_state, rnn_weights
from .rnn_update import rnn_forward

ASSIGNMENT = "02_bptt"
SHIPS = ("rnn_update",)


def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
    """Gradients of one step.

    dh_t (N, H), x_t (N, D), h_prev (N, H), h_t (N, H), W_xh (H, D), W_hh (H, H)
    -> dx_t (N, D), dh_prev (N, H), dW_xh (H, D), dW_hh (H, H), db_h (H,).
    """
    da = dh_t * (1.0 - h_t ** 2)
    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)


def rnn_backward_truncated(dhs, x, h0, hs, W_xh, W_hh, k):
    """BPTT cut into consecutive windows of k steps: no gradient crosses into the window before.

    dhs (T, N, H), x (T, N, D), h0 (N, H), hs (T, N, H), W_xh (H, D), W_hh (H, H), k >= 1
    -> dx (T, N, D), dh0 (N, H), dW_xh (H, D), dW_hh (H, H), db_h (H,).
    """
    if int(k) != k or k < 1:
        raise ValueError(f"k must be a whole number >= 1, not {k!r}")
    T = x.shape[0]
    dx = np.zeros_like(x, dtype=np.float64)
    dW_xh = np.zeros_like(W_xh, dtype=np.float64)
    dW_hh = np.zeros_like(W_hh, dtype=np.float64)
    db_h = np.zeros(W_hh.shape[0])
    carry = np.zeros_like(h0, dtype=np.float64)
    for t in range(T - 1, -1, -1):
        if (t + 1) % k == 0:           # step t closes a window: nothing comes from the next one
            carry = np.zeros_like(carry)
        h_prev = hs[t - 1] if t > 0 else h0
        dx[t], carry, dW_x, dW_h, db = rnn_step_backward(dhs[t] + carry, x[t], h_prev, hs[t],
                                                         W_xh, W_hh)
        dW_xh += dW_x
        dW_hh += dW_h
        db_h += db
    return dx, carry, dW_xh, dW_hh, db_h


def rnn_backward(dhs, x, h0, hs, W_xh, W_hh):
    """Full BPTT. dhs[t-1] is dL/dh_t through step t's own output only.

    dhs (T, N, H), x (T, N, D), h0 (N, H), hs (T, N, H), W_xh (H, D), W_hh (H, H)
    -> dx (T, N, D), dh0 (N, H), dW_xh (H, D), dW_hh (H, H), db_h (H,).
    """
    return rnn_backward_truncated(dhs, x, h0, hs, W_xh, W_hh, k=max(x.shape[0], 1))


# ----------------------------------------------------------------------------- hidden cases

def _rnn_step_backward_inputs(rng, T, N, D, H, scale, case):
    x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H))
    w = rnn_weights(rng, D, H, scale)
    h_t = rnn_forward(x_t[None], h_prev, w["W_xh"], w["W_hh"], w["b_h"])[0]
    return [rng.normal(size=(N, H)), x_t, h_prev, h_t, w["W_xh"], w["W_hh"]]


def _rnn_backward_inputs(rng, T, N, D, H, scale, case):
    x, h0 = rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H))
    w = rnn_weights(rng, D, H, scale)
    hs = rnn_forward(x, h0, w["W_xh"], w["W_hh"], w["b_h"])
    return [rng.normal(size=(T, N, H)), x, h0, hs, w["W_xh"], w["W_hh"]]


# Windows per case (T = 1, 4, 5, 7, 2): k = T = 1, a k that divides T, one that does not,
# k = T, k beyond T.
_WINDOWS = [1, 2, 2, 7, 5]


def _rnn_backward_truncated_inputs(rng, T, N, D, H, scale, case):
    return _rnn_backward_inputs(rng, T, N, D, H, scale, case) + [_WINDOWS[case]]


GRADED = [
    Graded("rnn_step_backward", rnn_step_backward, _rnn_step_backward_inputs),
    Graded("rnn_backward", rnn_backward, _rnn_backward_inputs, depends=("rnn_step_backward",)),
    Graded("rnn_backward_truncated", rnn_backward_truncated, _rnn_backward_truncated_inputs,
           depends=("rnn_step_backward", "rnn_backward")),
]


# ------------------------------------------------------------- recorded cases (visible tests)

def recorded():
    """Inputs of the backward passes, with the forward weights (context) that made the states."""
    rng = np.random.default_rng(2)
    N, D, H, T = 2, 3, 4, 5
    weights = {"W_xh": readable(rng, H, D, scale=0.6), "W_hh": readable(rng, H, H, scale=0.6)}
    context = {"b_h": readable(rng, H, scale=0.3)}
    x_t = readable(rng, N, D)
    h_prev = readable_state(rng, N, H)
    h_t = rnn_forward(x_t[None], h_prev, weights["W_xh"], weights["W_hh"], context["b_h"])[0]
    step = {"dh_t": readable(rng, N, H), "x_t": x_t, "h_prev": h_prev, "h_t": h_t, **weights}
    x = readable(rng, T, N, D)
    h0 = readable_state(rng, N, H)
    hs = rnn_forward(x, h0, weights["W_xh"], weights["W_hh"], context["b_h"])
    sequence = {"dhs": readable(rng, T, N, H), "x": x, "h0": h0, "hs": hs, **weights}
    return {"rnn_step_backward": (step, context), "rnn_backward": (sequence, context),
            "rnn_backward_truncated": (dict(sequence, k=2), context)}
