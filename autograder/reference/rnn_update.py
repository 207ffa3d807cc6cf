"""Reference answers of lesson 01 (the RNN update).

Math (column vectors): h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h).
Code (a batch stacked as rows): h_t = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).
"""
import numpy as np


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
