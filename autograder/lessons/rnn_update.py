"""Lesson 01 (the RNN update): the reference answers and one Graded entry per graded name.

Math (column vectors): h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h).
Code (a batch stacked as rows): h_t = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).
"""
import numpy as np

from ..graded import Graded, readable, readable_state, rnn_weights

ASSIGNMENT = "01_rnn_update"
SHIPS = ()          # lessons whose answers ship with this one (earlier_answers.py)


def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    """One step of a vanilla RNN.

    x_t (N, D), h_prev (N, H), W_xh (H, D), W_hh (H, H), b_h (H,) -> h_t (N, H).
    """
    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)


def rnn_forward(x, h0, W_xh, W_hh, b_h):
    """Run the RNN over a time-major sequence.

    x (T, N, D), h0 (N, H) -> hs (T, N, H) with hs[t-1] = h_t; h0 is not in hs.
    """
    T = x.shape[0]
    hs = np.empty((T,) + h0.shape)
    h_prev = h0
    for t in range(T):
        h_prev = rnn_step(x[t], h_prev, W_xh, W_hh, b_h)
        hs[t] = h_prev
    return hs


# ----------------------------------------------------------------------------- hidden cases

def _rnn_step_inputs(rng, T, N, D, H, scale, case):
    x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H))
    w = rnn_weights(rng, D, H, scale)
    return [x_t, h_prev, w["W_xh"], w["W_hh"], w["b_h"]]


def _rnn_forward_inputs(rng, T, N, D, H, scale, case):
    x, h0 = rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H))
    w = rnn_weights(rng, D, H, scale)
    return [x, h0, w["W_xh"], w["W_hh"], w["b_h"]]


GRADED = [
    Graded("rnn_step", rnn_step, _rnn_step_inputs),
    Graded("rnn_forward", rnn_forward, _rnn_forward_inputs, depends=("rnn_step",)),
]


# ------------------------------------------------------------- recorded cases (visible tests)

def recorded():
    """{name: (inputs, context)}: small readable inputs (two decimals) of the visible tests."""
    rng = np.random.default_rng(1)
    N, D, H, T = 2, 3, 4, 4
    step = {
        "x_t": readable(rng, N, D),
        "h_prev": readable_state(rng, N, H),
        "W_xh": readable(rng, H, D, scale=0.6),
        "W_hh": readable(rng, H, H, scale=0.6),
        "b_h": readable(rng, H, scale=0.3),
    }
    forward = {
        "x": readable(rng, T, N, D),
        "h0": readable_state(rng, N, H),
        "W_xh": readable(rng, H, D, scale=0.6),
        "W_hh": readable(rng, H, H, scale=0.6),
        "b_h": readable(rng, H, scale=0.3),
    }
    return {"rnn_step": (step, {}), "rnn_forward": (forward, {})}
