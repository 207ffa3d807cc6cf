"""Lesson 04 (the LSTM, one gate at a time): the reference answers and one Graded entry per
graded name.

Math (column vectors), gates on the concatenation [h_{t-1}, x_t] (h first):
    f_t = sigmoid(W_f [h_{t-1}, x_t] + b_f)        forget gate
    i_t = sigmoid(W_i [h_{t-1}, x_t] + b_i)        input gate
    C~_t = tanh(W_C [h_{t-1}, x_t] + b_C)          candidate cell state
    C_t = f_t * C_{t-1} + i_t * C~_t               cell state (the conveyor belt)
    o_t = sigmoid(W_o [h_{t-1}, x_t] + b_o)        output gate
    h_t = o_t * tanh(C_t)                          hidden state
Code (a batch stacked as rows): [h_prev, x_t] is np.concatenate([h_prev, x_t], axis=1), (N, H + D),
and each W (H, H + D) acts as `hx @ W.T`.

Backward (rows): with a_g the pre-activation of layer g (f, i, C, o) and dC the total gradient on
C_t (its own plus the path through h_t = o_t * tanh(C_t)), each layer's da_g gives
dW_g = da_g.T @ hx, db_g = sum of da_g over the batch, and d[h_prev, x_t] = sum_g da_g @ W_g.
"""
import numpy as np

from ..graded import Graded, lstm_params, readable, readable_state

ASSIGNMENT = "04_lstm_gates"
SHIPS = ("rnn_update", "vanishing_gradients")


def sigmoid(z):
    """1 / (1 + exp(-z)) elementwise, without overflow for any z (exp only of -|z|)."""
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _layer(h_prev, x_t, W, b):
    """[h_prev, x_t] @ W.T + b: h_prev (N, H), x_t (N, D), W (H, H + D), b (H,) -> (N, H)."""
    return np.concatenate([h_prev, x_t], axis=1) @ W.T + b


def forget_gate(h_prev, x_t, W_f, b_f):
    """f_t (N, H) = sigmoid([h_prev, x_t] W_f^T + b_f); h_prev (N, H), x_t (N, D), W_f (H, H + D)."""
    return sigmoid(_layer(h_prev, x_t, W_f, b_f))


def input_gate(h_prev, x_t, W_i, b_i):
    """i_t (N, H) = sigmoid([h_prev, x_t] W_i^T + b_i)."""
    return sigmoid(_layer(h_prev, x_t, W_i, b_i))


def candidate_cell(h_prev, x_t, W_C, b_C):
    """C_tilde (N, H) = tanh([h_prev, x_t] W_C^T + b_C)."""
    return np.tanh(_layer(h_prev, x_t, W_C, b_C))


def output_gate(h_prev, x_t, W_o, b_o):
    """o_t (N, H) = sigmoid([h_prev, x_t] W_o^T + b_o)."""
    return sigmoid(_layer(h_prev, x_t, W_o, b_o))


def cell_update(C_prev, f_t, i_t, C_tilde):
    """C_t (N, H) = f_t * C_prev + i_t * C_tilde (all (N, H))."""
    return f_t * C_prev + i_t * C_tilde


def hidden_state(o_t, C_t):
    """h_t (N, H) = o_t * tanh(C_t)."""
    return o_t * np.tanh(C_t)


def lstm_step(x_t, h_prev, C_prev, params):
    """One LSTM step: x_t (N, D), h_prev (N, H), C_prev (N, H), params {W_f, b_f, W_i, b_i, W_C,
    b_C, W_o, b_o} (W (H, H + D), b (H,)) -> (h_t (N, H), C_t (N, H))."""
    f_t = forget_gate(h_prev, x_t, params["W_f"], params["b_f"])
    i_t = input_gate(h_prev, x_t, params["W_i"], params["b_i"])
    C_tilde = candidate_cell(h_prev, x_t, params["W_C"], params["b_C"])
    C_t = cell_update(C_prev, f_t, i_t, C_tilde)
    o_t = output_gate(h_prev, x_t, params["W_o"], params["b_o"])
    return hidden_state(o_t, C_t), C_t


def lstm_forward(x, h0, C0, params):
    """Run the LSTM over x (T, N, D) from h0, C0 (N, H) -> (hs, Cs), each (T, N, H):
    hs[t-1] = h_t, Cs[t-1] = C_t (the initial states are not included)."""
    T = x.shape[0]
    hs = np.empty((T,) + h0.shape)
    Cs = np.empty((T,) + C0.shape)
    h_t, C_t = h0, C0
    for t in range(T):
        h_t, C_t = lstm_step(x[t], h_t, C_t, params)
        hs[t], Cs[t] = h_t, C_t
    return hs, Cs


def carousel_gain(fs):
    """The gain dC_T / dC_t along the cell state alone: fs (T, N, H), fs[t-1] = f_t ->
    g (T, N, H) with g[t-1] = f_{t+1} * ... * f_T (elementwise), so g[T-1] is all ones."""
    g = np.ones_like(fs, dtype=np.float64)
    for t in range(fs.shape[0] - 2, -1, -1):
        g[t] = g[t + 1] * fs[t + 1]
    return g


def lstm_step_backward(dh_t, dC_t, x_t, h_prev, C_prev, params):
    """Gradients of one LSTM step (the gates are recomputed from the inputs, no cache).

    dh_t (N, H), dC_t (N, H): the total gradients on the step's outputs h_t and C_t;
    x_t (N, D), h_prev (N, H), C_prev (N, H), params as in lstm_step
    -> dx_t (N, D), dh_prev (N, H), dC_prev (N, H), grads {name: array shaped like params[name]}.
    """
    H = h_prev.shape[1]
    hx = np.concatenate([h_prev, x_t], axis=1)
    f_t = forget_gate(h_prev, x_t, params["W_f"], params["b_f"])
    i_t = input_gate(h_prev, x_t, params["W_i"], params["b_i"])
    C_tilde = candidate_cell(h_prev, x_t, params["W_C"], params["b_C"])
    o_t = output_gate(h_prev, x_t, params["W_o"], params["b_o"])
    tanh_C = np.tanh(cell_update(C_prev, f_t, i_t, C_tilde))
    dC = dC_t + dh_t * o_t * (1.0 - tanh_C ** 2)       # C_t reaches the loss directly and via h_t
    da = {"f": dC * C_prev * f_t * (1.0 - f_t),          # sigmoid' = s (1 - s), tanh' = 1 - tanh^2
          "i": dC * C_tilde * i_t * (1.0 - i_t),
          "C": dC * i_t * (1.0 - C_tilde ** 2),
          "o": dh_t * tanh_C * o_t * (1.0 - o_t)}
    grads = {}
    dhx = np.zeros(hx.shape)
    for gate in "fiCo":
        grads[f"W_{gate}"] = da[gate].T @ hx
        grads[f"b_{gate}"] = da[gate].sum(axis=0)
        dhx += da[gate] @ params[f"W_{gate}"]
    return dhx[:, H:], dhx[:, :H], dC * f_t, grads


def lstm_backward(dhs, x, h0, C0, params):
    """Backpropagation through time for the LSTM (the forward pass is recomputed).

    dhs (T, N, H): dhs[t-1] = the gradient on h_t through step t's own output only (the cell
    state gets no outside gradient); x (T, N, D); h0, C0 (N, H); params as in lstm_step
    -> dx (T, N, D), dh0 (N, H), dC0 (N, H), grads {name: array shaped like params[name]}.
    """
    hs, Cs = lstm_forward(x, h0, C0, params)
    dx = np.zeros(x.shape)
    grads = {name: np.zeros(np.shape(value)) for name, value in params.items()}
    dh_next, dC_next = np.zeros(h0.shape), np.zeros(C0.shape)
    for t in range(x.shape[0] - 1, -1, -1):
        h_prev, C_prev = (hs[t - 1], Cs[t - 1]) if t > 0 else (h0, C0)
        dx[t], dh_next, dC_next, step = lstm_step_backward(dhs[t] + dh_next, dC_next, x[t],
                                                           h_prev, C_prev, params)
        for name in grads:
            grads[name] += step[name]
    return dx, dh_next, dC_next, grads


# ----------------------------------------------------------------------------- hidden cases

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
        params = lstm_params(rng, D, H, scale)
        return [h_prev, x_t, params[f"W_{gate}"], params[f"b_{gate}"]]
    return inputs


def _cell_update_inputs(rng, T, N, D, H, scale, case):
    return [rng.normal(0.0, scale, size=(N, H)), rng.uniform(size=(N, H)), rng.uniform(size=(N, H)),
            rng.uniform(-1, 1, size=(N, H))]


def _hidden_state_inputs(rng, T, N, D, H, scale, case):
    return [rng.uniform(size=(N, H)), rng.normal(0.0, 2.0 * scale, size=(N, H))]


def _lstm_step_inputs(rng, T, N, D, H, scale, case):
    return [rng.normal(size=(N, D)), rng.uniform(-1, 1, size=(N, H)),
            rng.normal(0.0, scale, size=(N, H)), lstm_params(rng, D, H, scale)]


def _lstm_forward_inputs(rng, T, N, D, H, scale, case):
    return [rng.normal(size=(T, N, D)), rng.uniform(-1, 1, size=(N, H)),
            rng.normal(0.0, scale, size=(N, H)), lstm_params(rng, D, H, scale)]


def _lstm_step_backward_inputs(rng, T, N, D, H, scale, case):
    x_t, h_prev, C_prev, params = _lstm_step_inputs(rng, T, N, D, H, scale, case)
    return [rng.normal(size=(N, H)), rng.normal(size=(N, H)), x_t, h_prev, C_prev, params]


def _lstm_backward_inputs(rng, T, N, D, H, scale, case):
    x, h0, C0, params = _lstm_forward_inputs(rng, T, N, D, H, scale, case)
    return [rng.normal(size=(T, N, H)), x, h0, C0, params]


def _carousel_gain_inputs(rng, T, N, D, H, scale, case):
    return [rng.uniform(0.05, 1.0, size=(T, N, H))]


_GATES = ("sigmoid", "forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate",
          "hidden_state")

GRADED = [
    # the numerically stable sigmoid: an overflow warning fails its test
    Graded("sigmoid", sigmoid, _sigmoid_inputs, no_warnings=True),
    Graded("forget_gate", forget_gate, _gate_inputs("f"), depends=("sigmoid",)),
    Graded("input_gate", input_gate, _gate_inputs("i"), depends=("sigmoid",)),
    Graded("candidate_cell", candidate_cell, _gate_inputs("C")),
    Graded("cell_update", cell_update, _cell_update_inputs),
    Graded("output_gate", output_gate, _gate_inputs("o"), depends=("sigmoid",)),
    Graded("hidden_state", hidden_state, _hidden_state_inputs),
    Graded("lstm_step", lstm_step, _lstm_step_inputs, depends=_GATES),
    Graded("lstm_forward", lstm_forward, _lstm_forward_inputs, depends=("lstm_step",) + _GATES),
    Graded("carousel_gain", carousel_gain, _carousel_gain_inputs),
    Graded("lstm_step_backward", lstm_step_backward, _lstm_step_backward_inputs,
           depends=("lstm_step",) + _GATES),
    Graded("lstm_backward", lstm_backward, _lstm_backward_inputs,
           depends=("lstm_step_backward", "lstm_forward", "lstm_step") + _GATES),
]


# ------------------------------------------------------------- recorded cases (visible tests)

def recorded():
    """{name: (inputs, context)}: small readable inputs (two decimals) of the visible tests."""
    rng = np.random.default_rng(4)
    N, D, H, T = 3, 4, 2, 4

    def params():
        weights = {}
        for gate in "fiCo":
            weights[f"W_{gate}"] = readable(rng, H, H + D, scale=0.6)
            weights[f"b_{gate}"] = readable(rng, H, scale=0.5) + (1.0 if gate == "f" else 0.0)
        return weights

    def gate_values():
        return np.round(rng.uniform(0.05, 0.95, size=(N, H)), 2)

    h_prev = readable_state(rng, N, H)
    x_t = readable(rng, N, D)
    layers = params()
    cases = {"sigmoid": ({"z": np.array([[-3.0, -0.5, 0.0], [0.25, 2.0, 6.0]])}, {})}
    for name, gate in (("forget_gate", "f"), ("input_gate", "i"), ("candidate_cell", "C"),
                       ("output_gate", "o")):
        cases[name] = ({"h_prev": h_prev, "x_t": x_t, f"W_{gate}": layers[f"W_{gate}"],
                        f"b_{gate}": layers[f"b_{gate}"]}, {})
    cases["cell_update"] = ({"C_prev": readable(rng, N, H), "f_t": gate_values(),
                             "i_t": gate_values(), "C_tilde": readable_state(rng, N, H)}, {})
    cases["hidden_state"] = ({"o_t": gate_values(), "C_t": readable(rng, N, H, scale=1.5)}, {})
    cases["lstm_step"] = ({"x_t": readable(rng, N, D), "h_prev": h_prev,
                           "C_prev": readable(rng, N, H), "params": params()}, {})
    cases["lstm_forward"] = ({"x": readable(rng, T, N, D), "h0": readable_state(rng, N, H),
                              "C0": readable(rng, N, H), "params": params()}, {})
    cases["carousel_gain"] = ({"fs": np.round(rng.uniform(0.3, 0.99, size=(T + 1, N, H)), 2)}, {})
    cases["lstm_step_backward"] = ({"dh_t": readable(rng, N, H), "dC_t": readable(rng, N, H),
                                    "x_t": readable(rng, N, D), "h_prev": readable_state(rng, N, H),
                                    "C_prev": readable(rng, N, H), "params": params()}, {})
    cases["lstm_backward"] = ({"dhs": readable(rng, T, N, H), "x": readable(rng, T, N, D),
                               "h0": readable_state(rng, N, H), "C0": readable(rng, N, H),
                               "params": params()}, {})
    return cases
