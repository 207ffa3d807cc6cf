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
    """A random (H, H) matrix, `radius` times a random orthogonal matrix: every singular value
    equals `radius` (so does every eigenvalue's absolute value, and so the spectral radius).

    Every direction of h is scaled by exactly `radius` per step, which makes the effect of the
    scale easy to see. For a general matrix the singular values and the spectral radius differ
    (see chain_matrix).
    """
    q, r = np.linalg.qr(rng.normal(size=(H, H)))
    return radius * q * np.sign(np.diag(r))


def rnn_weights(D, H, rng, radius=0.9, input_scale=1.0, bias=0.0):
    """Weights of a vanilla RNN: W_xh (H, D), W_hh (H, H) = `radius` times a random orthogonal
    matrix (every singular value equals `radius`), b_h (H,)."""
    W_xh = input_scale * rng.normal(size=(H, D)) / np.sqrt(D)
    W_hh = recurrent_matrix(H, radius, rng)
    b_h = bias * np.ones(H)
    return W_xh, W_hh, b_h


CHAIN = 4     # units per chain in chain_matrix


def _chain_block(length, rho, coupling):
    """(length, length): rho on the diagonal, `coupling` just above it (unit k+1 feeds unit k)."""
    return rho * np.eye(length) + coupling * np.eye(length, k=1)


def chain_coupling(rho, sigma_max, length=CHAIN):
    """The coupling c >= 0 for which the chain block rho I + c S (S the shift, `length` units)
    has largest singular value `sigma_max` (>= rho): found by bisection, since sigma_max grows
    with c (every entry is >= 0)."""
    if sigma_max < rho:
        raise ValueError(f"sigma_max ({sigma_max}) cannot be below the spectral radius ({rho})")
    low, high = 0.0, float(sigma_max)    # at c = sigma_max a row alone is longer than sigma_max
    for _ in range(60):
        middle = 0.5 * (low + high)
        if np.linalg.norm(_chain_block(length, rho, middle), 2) < sigma_max:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def chain_matrix(H, rho, sigma_max, rotation, length=CHAIN):
    """A non-normal (H, H) matrix with spectral radius `rho` and largest singular value
    `sigma_max` (>= rho): H / length chains of `length` units, in each of which every unit keeps
    rho times its own value and passes c times it on to the unit before it, seen in the basis of
    the orthogonal (H, H) matrix `rotation`: rotation @ B @ rotation.T with B block-diagonal.

    Every eigenvalue is rho (B is triangular), yet one step can stretch a vector by up to
    sigma_max. Powers: B_block^n = sum over j < length of C(n, j) c^j rho^(n - j) S^j, which
    grows like n^(length - 1) before rho^n wins, so ||W^n|| first grows and then decays, and
    ||W^n||^(1/n) tends to rho (Gelfand's formula). H must be a multiple of `length`.
    """
    if H % length:
        raise ValueError(f"H ({H}) must be a multiple of the chain length ({length})")
    block = _chain_block(length, rho, chain_coupling(rho, sigma_max, length))
    B = np.kron(np.eye(H // length), block)
    return rotation @ B @ rotation.T
