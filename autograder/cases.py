"""Randomized inputs on which hidden tests compare a learner's function with the reference.

Every graded function gets several shapes, among them a batch of one (N = 1), D != H, D == H and a
single time step (T = 1), with non-zero initial states and weights of varied scale.
"""
import numpy as np

# (T, N, D, H): T is ignored by single-step functions.
SHAPES = [
    (1, 1, 3, 5),   # one step, one example, D != H
    (4, 1, 2, 2),   # N = 1, D == H
    (5, 3, 4, 2),   # D > H
    (7, 6, 1, 8),   # a single input feature
    (2, 4, 6, 6),   # D == H
]


def _weights(rng, D, H, scale):
    return {
        "W_xh": rng.normal(0.0, scale / np.sqrt(D), size=(H, D)),
        "W_hh": rng.normal(0.0, scale / np.sqrt(H), size=(H, H)),
        "b_h": rng.normal(0.0, 0.5, size=H),
    }


def _rnn_step_inputs(rng, T, N, D, H, scale):
    args = {"x_t": rng.normal(size=(N, D)), "h_prev": rng.uniform(-1, 1, size=(N, H))}
    w = _weights(rng, D, H, scale)
    return [args["x_t"], args["h_prev"], w["W_xh"], w["W_hh"], w["b_h"]]


def _rnn_forward_inputs(rng, T, N, D, H, scale):
    x = rng.normal(size=(T, N, D))
    h0 = rng.uniform(-1, 1, size=(N, H))
    w = _weights(rng, D, H, scale)
    return [x, h0, w["W_xh"], w["W_hh"], w["b_h"]]


MAKERS = {
    "rnn_step": _rnn_step_inputs,
    "rnn_forward": _rnn_forward_inputs,
}

# Argument names, in the graded API's order (used in messages).
ARGUMENTS = {
    "rnn_step": ["x_t", "h_prev", "W_xh", "W_hh", "b_h"],
    "rnn_forward": ["x", "h0", "W_xh", "W_hh", "b_h"],
}


def cases(name, seed=0):
    """Yield (description, args) for the graded function `name`: a list of float64 arrays per case."""
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    for (T, N, D, H), scale in zip(SHAPES, [0.5, 1.0, 1.5, 3.0, 1.0]):
        args = MAKERS[name](rng, T, N, D, H, scale)
        yield f"T={T}, N={N}, D={D}, H={H}", args
