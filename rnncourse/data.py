"""Small sequences and weights, generated on the spot (nothing is downloaded).

Sequences are time-major: (T, N, D).
"""
import numpy as np


def sine_wave(T, N=1, period=20.0, phase=0.0, amplitude=1.0):
    """A sine per example, shifted by `phase` (radians) times the example's index: (T, N, 1)."""
    t = np.arange(T)[:, None]
    phases = phase * np.arange(N)[None, :]
    return (amplitude * np.sin(2 * np.pi * t / period + phases))[:, :, None]


def pulse(T, at=0, N=1, height=1.0):
    """A single pulse of `height` at step `at` (0-based), zeros elsewhere: (T, N, 1)."""
    x = np.zeros((T, N, 1))
    x[at] = height
    return x


def recurrent_matrix(H, radius, rng):
    """A random (H, H) matrix whose singular values, and so its spectral radius, all equal `radius`.

    A random orthogonal matrix times `radius`: every direction of h is scaled by exactly `radius`
    per step, which makes the effect of the scale easy to see.
    """
    q, r = np.linalg.qr(rng.normal(size=(H, H)))
    return radius * q * np.sign(np.diag(r))


def rnn_weights(D, H, rng, radius=0.9, input_scale=1.0, bias=0.0):
    """Weights of a vanilla RNN: W_xh (H, D), W_hh (H, H) with spectral radius `radius`, b_h (H,)."""
    W_xh = input_scale * rng.normal(size=(H, D)) / np.sqrt(D)
    W_hh = recurrent_matrix(H, radius, rng)
    b_h = bias * np.ones(H)
    return W_xh, W_hh, b_h
