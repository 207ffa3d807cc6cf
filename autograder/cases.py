"""Randomized inputs on which hidden tests compare a learner's function with the reference.

Every graded function gets several shapes, among them a batch of one (N = 1), D != H, D == H and a
single time step (T = 1), with non-zero initial states and weights of varied scale. Arguments are
float64 arrays, plus plain numbers (a window k, a lag) and dicts of arrays (gradients) where the
graded API has them.
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
SCALES = [0.5, 1.0, 1.5, 3.0, 1.0]


def _weights(rng, D, H, scale):
    return {
        "W_xh": rng.normal(0.0, scale / np.sqrt(D), size=(H, D)),
        "W_hh": rng.normal(0.0, scale / np.sqrt(H), size=(H, H)),
        "b_h": rng.normal(0.0, 0.5, size=H),
    }


def _states(x, h0, w):
    """The states of the RNN on x from h0, as the forward pass computes them: (T, N, H)."""
    from .reference.rnn_update import rnn_forward
    return rnn_forward(x, h0, w["W_xh"], w["W_hh"], w["b_h"])


# --- lesson 01 ---------------------------------------------------------------------------------

def _rnn_step_inputs(rng, T, N, D, H, scale, case):
    x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H))
    w = _weights(rng, D, H, scale)
    return [x_t, h_prev, w["W_xh"], w["W_hh"], w["b_h"]]


def _rnn_forward_inputs(rng, T, N, D, H, scale, case):
    x, h0 = rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H))
    w = _weights(rng, D, H, scale)
    return [x, h0, w["W_xh"], w["W_hh"], w["b_h"]]


# --- lesson 02 ---------------------------------------------------------------------------------

def _rnn_step_backward_inputs(rng, T, N, D, H, scale, case):
    x_t, h_prev = rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H))
    w = _weights(rng, D, H, scale)
    h_t = _states(x_t[None], h_prev, w)[0]
    return [rng.normal(size=(N, H)), x_t, h_prev, h_t, w["W_xh"], w["W_hh"]]


def _rnn_backward_inputs(rng, T, N, D, H, scale, case):
    x, h0 = rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H))
    w = _weights(rng, D, H, scale)
    hs = _states(x, h0, w)
    return [rng.normal(size=(T, N, H)), x, h0, hs, w["W_xh"], w["W_hh"]]


# Windows per case (T = 1, 4, 5, 7, 2): k = T = 1, a k that divides T, one that does not,
# k = T, k beyond T.
_WINDOWS = [1, 2, 2, 7, 5]


def _rnn_backward_truncated_inputs(rng, T, N, D, H, scale, case):
    return _rnn_backward_inputs(rng, T, N, D, H, scale, case) + [_WINDOWS[case]]


# --- lesson 03 ---------------------------------------------------------------------------------

def _step_jacobian_inputs(rng, T, N, D, H, scale, case):
    return [np.tanh(rng.normal(0.0, scale, size=(N, H))), _weights(rng, D, H, scale)["W_hh"]]


def _gradient_norms_inputs(rng, T, N, D, H, scale, case):
    x, h0 = rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H))
    w = _weights(rng, D, H, scale)
    return [_states(x, h0, w), w["W_hh"], rng.normal(size=(N, H))]


# Lags per case; gamma given for three of them (1/4 is the sigmoid's bound), left at its default
# of 1.0 for the others. (Lag 0, whose bound is always 1, is probed by the visible test.)
_LAGS = [(1, None), (2, 0.25), (5, None), (10, 1.0), (30, 0.5)]


def _jacobian_norm_bound_inputs(rng, T, N, D, H, scale, case):
    lag, gamma = _LAGS[case]
    W_hh = _weights(rng, D, H, scale)["W_hh"]
    return [W_hh, lag] if gamma is None else [W_hh, lag, gamma]


# max_norm as a multiple of the gradients' global norm: clipped (< 1) or left alone (> 1).
_CLIP_FACTORS = [0.5, 2.0, 0.1, 1.5, 0.9]


def _clip_by_global_norm_inputs(rng, T, N, D, H, scale, case):
    grads = {name: value * rng.normal(size=np.shape(value)) for name, value in
             _weights(rng, D, H, scale).items()}
    grads["dx"] = rng.normal(size=(T, N, D))
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    return [grads, float(total * _CLIP_FACTORS[case])]


# --- lesson 04 ---------------------------------------------------------------------------------

def _lstm_params(rng, D, H, scale):
    params = {}
    for gate in "fiCo":
        params[f"W_{gate}"] = rng.normal(0.0, scale / np.sqrt(H + D), size=(H, H + D))
        params[f"b_{gate}"] = rng.normal(0.0, 0.5, size=H) + (1.0 if gate == "f" else 0.0)
    return params


# Arrays of every rank, with values far beyond where exp overflows (|z| up to 1e4).
_EXTREMES = np.array([-1e4, -1000.0, -745.5, -50.0, -1e-9, 0.0, 1e-9, 50.0, 710.0, 1e4])


def _sigmoid_inputs(rng, T, N, D, H, scale, case):
    z = [rng.normal(0.0, 5.0 * scale, size=(N, H)), rng.normal(0.0, 3.0, size=(T, N, H)),
         _EXTREMES.copy(), rng.choice(_EXTREMES, size=(N, H)) * rng.uniform(0.5, 1.0, (N, H)),
         np.concatenate([_EXTREMES, rng.normal(size=6)]).reshape(4, 4)][case]
    return [z]


def _gate_inputs(gate):
    def inputs(rng, T, N, D, H, scale, case):
        h_prev, x_t = rng.uniform(-1, 1, size=(N, H)), rng.normal(size=(N, D))
        params = _lstm_params(rng, D, H, scale)
        return [h_prev, x_t, params[f"W_{gate}"], params[f"b_{gate}"]]
    return inputs


def _cell_update_inputs(rng, T, N, D, H, scale, case):
    return [rng.normal(0.0, scale, size=(N, H)), rng.uniform(size=(N, H)), rng.uniform(size=(N, H)),
            rng.uniform(-1, 1, size=(N, H))]


def _hidden_state_inputs(rng, T, N, D, H, scale, case):
    return [rng.uniform(size=(N, H)), rng.normal(0.0, 2.0 * scale, size=(N, H))]


def _lstm_step_inputs(rng, T, N, D, H, scale, case):
    return [rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H)),
            rng.normal(0.0, scale, size=(N, H)), _lstm_params(rng, D, H, scale)]


def _lstm_forward_inputs(rng, T, N, D, H, scale, case):
    return [rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H)),
            rng.normal(0.0, scale, size=(N, H)), _lstm_params(rng, D, H, scale)]


def _lstm_step_backward_inputs(rng, T, N, D, H, scale, case):
    x_t, h_prev, C_prev, params = _lstm_step_inputs(rng, T, N, D, H, scale, case)
    return [rng.normal(size=(N, H)), rng.normal(size=(N, H)), x_t, h_prev, C_prev, params]


def _lstm_backward_inputs(rng, T, N, D, H, scale, case):
    x, h0, C0, params = _lstm_forward_inputs(rng, T, N, D, H, scale, case)
    return [rng.normal(size=(T, N, H)), x, h0, C0, params]


def _carousel_gain_inputs(rng, T, N, D, H, scale, case):
    return [rng.uniform(0.05, 1.0, size=(T, N, H))]


MAKERS = {
    "rnn_step": _rnn_step_inputs,
    "rnn_forward": _rnn_forward_inputs,
    "rnn_step_backward": _rnn_step_backward_inputs,
    "rnn_backward": _rnn_backward_inputs,
    "rnn_backward_truncated": _rnn_backward_truncated_inputs,
    "step_jacobian": _step_jacobian_inputs,
    "gradient_norms": _gradient_norms_inputs,
    "jacobian_norm_bound": _jacobian_norm_bound_inputs,
    "clip_by_global_norm": _clip_by_global_norm_inputs,
    "sigmoid": _sigmoid_inputs,
    "forget_gate": _gate_inputs("f"),
    "input_gate": _gate_inputs("i"),
    "candidate_cell": _gate_inputs("C"),
    "output_gate": _gate_inputs("o"),
    "cell_update": _cell_update_inputs,
    "hidden_state": _hidden_state_inputs,
    "lstm_step": _lstm_step_inputs,
    "lstm_forward": _lstm_forward_inputs,
    "carousel_gain": _carousel_gain_inputs,
    "lstm_step_backward": _lstm_step_backward_inputs,
    "lstm_backward": _lstm_backward_inputs,
}

# Argument names, in the graded API's order (used in messages).
ARGUMENTS = {
    "rnn_step": ["x_t", "h_prev", "W_xh", "W_hh", "b_h"],
    "rnn_forward": ["x", "h0", "W_xh", "W_hh", "b_h"],
    "rnn_step_backward": ["dh_t", "x_t", "h_prev", "h_t", "W_xh", "W_hh"],
    "rnn_backward": ["dhs", "x", "h0", "hs", "W_xh", "W_hh"],
    "rnn_backward_truncated": ["dhs", "x", "h0", "hs", "W_xh", "W_hh", "k"],
    "step_jacobian": ["h_t", "W_hh"],
    "gradient_norms": ["hs", "W_hh", "dh_T"],
    "jacobian_norm_bound": ["W_hh", "lag", "gamma"],
    "clip_by_global_norm": ["grads", "max_norm"],
    "sigmoid": ["z"],
    "forget_gate": ["h_prev", "x_t", "W_f", "b_f"],
    "input_gate": ["h_prev", "x_t", "W_i", "b_i"],
    "candidate_cell": ["h_prev", "x_t", "W_C", "b_C"],
    "output_gate": ["h_prev", "x_t", "W_o", "b_o"],
    "cell_update": ["C_prev", "f_t", "i_t", "C_tilde"],
    "hidden_state": ["o_t", "C_t"],
    "lstm_step": ["x_t", "h_prev", "C_prev", "params"],
    "lstm_forward": ["x", "h0", "C0", "params"],
    "carousel_gain": ["fs"],
    "lstm_step_backward": ["dh_t", "dC_t", "x_t", "h_prev", "C_prev", "params"],
    "lstm_backward": ["dhs", "x", "h0", "C0", "params"],
}


def describe(args, name):
    """A short description of a case for messages: the shapes T, N, D, H and any numbers."""
    parts = [f"{arg}={value:.4g}" if isinstance(value, float) else f"{arg}={value}"
             for arg, value in zip(ARGUMENTS[name], args)
             if isinstance(value, (int, float)) and not isinstance(value, bool)]
    return ", ".join(parts)


def cases(name, seed=0):
    """Yield (description, args) for the graded function `name`: args in the API's order."""
    rng = np.random.default_rng([seed, sum(map(ord, name))])
    for case, ((T, N, D, H), scale) in enumerate(zip(SHAPES, SCALES)):
        args = MAKERS[name](rng, T, N, D, H, scale, case)
        extra = describe(args, name)
        yield f"T={T}, N={N}, D={D}, H={H}" + (f", {extra}" if extra else ""), args
