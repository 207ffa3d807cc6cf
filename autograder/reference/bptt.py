"""Reference answers of lesson 02 (backpropagation through time).

Forward (batch as rows): h_t = tanh(a_t), a_t = x_t @ W_xh.T + h_prev @ W_hh.T + b_h.
Backward: da_t = dh_t * (1 - h_t**2), with dh_t the *total* gradient on h_t (its own loss plus
what flows back from step t+1).
"""
import numpy as np


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
