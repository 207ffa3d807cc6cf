"""Reference answers of lesson 04 (the LSTM, one gate at a time).

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
