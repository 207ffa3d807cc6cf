"""Lesson 03's reference is the math: gradient norms are those of the product of the step
Jacobians, the bound of Pascanu et al. really bounds that product, and clipping keeps the
direction and caps the norm."""
import numpy as np
import pytest

from autograder.lessons.bptt import rnn_backward
from autograder.lessons.rnn_update import rnn_forward
from autograder.lessons.vanishing_gradients import (clip_by_global_norm, gradient_norms,
                                                      jacobian_norm_bound, step_jacobian)


def random_rnn(rng, T, N, D, H, scale=1.0):
    x = rng.normal(size=(T, N, D))
    h0 = rng.uniform(-1, 1, size=(N, H))
    W_xh = rng.normal(0, 1 / np.sqrt(D), size=(H, D))
    W_hh = rng.normal(0, scale / np.sqrt(H), size=(H, H))
    b_h = rng.normal(0, 0.5, size=H)
    return x, h0, W_xh, W_hh, b_h


SHAPES = [(1, 1, 3, 5), (4, 1, 2, 2), (6, 3, 4, 2), (9, 5, 1, 8)]


def test_step_jacobian_is_the_derivative_of_one_step():
    """Central differences of h_t = tanh(x W_xh^T + h_prev W_hh^T + b) with respect to h_prev."""
    rng = np.random.default_rng(0)
    for _, N, D, H in SHAPES:
        x, h_prev, W_xh, W_hh, b_h = random_rnn(rng, 1, N, D, H, scale=1.5)

        def step(h):
            return np.tanh(x[0] @ W_xh.T + h @ W_hh.T + b_h)

        J = step_jacobian(step(h_prev), W_hh)
        assert J.shape == (N, H, H)
        eps = 1e-6
        for j in range(H):
            bump = np.zeros((N, H))
            bump[:, j] = eps
            column = (step(h_prev + bump) - step(h_prev - bump)) / (2 * eps)   # d h_t / d h_prev[j]
            np.testing.assert_allclose(J[:, :, j], column, rtol=1e-7, atol=1e-9)


def brute_force_norms(hs, W_hh, dh_T):
    """||dL/dh_t|| from the explicit product of Jacobians, one example and one column vector at a
    time: dL/dh_t = (d h_T / d h_t)^T dL/dh_T, d h_T / d h_t = J_T J_{T-1} .. J_{t+1}."""
    T, N, H = hs.shape
    squares = np.zeros(T)
    for n in range(N):
        for t in range(1, T + 1):
            product = np.eye(H)
            for s in range(T, t, -1):            # J_T @ ... @ J_{t+1}
                product = product @ (np.diag(1 - hs[s - 1, n] ** 2) @ W_hh)
            squares[t - 1] += np.sum((product.T @ dh_T[n]) ** 2)
    return np.sqrt(squares)


@pytest.mark.parametrize("scale", [0.5, 1.0, 3.0])
def test_gradient_norms_match_the_product_of_jacobians(scale):
    rng = np.random.default_rng(1)
    for T, N, D, H in SHAPES:
        x, h0, W_xh, W_hh, b_h = random_rnn(rng, T, N, D, H, scale)
        hs = rnn_forward(x, h0, W_xh, W_hh, b_h)
        dh_T = rng.normal(size=(N, H))
        g = gradient_norms(hs, W_hh, dh_T)
        assert g.shape == (T,) and g[-1] == pytest.approx(np.linalg.norm(dh_T), rel=1e-14)
        np.testing.assert_allclose(g, brute_force_norms(hs, W_hh, dh_T), rtol=1e-10, atol=1e-300)


def test_gradient_norms_agree_with_bptt_and_step_jacobian():
    """The lesson-02 backward, with the loss on h_T alone, run on steps t..T from h_{t-1}, returns
    dh0 = dL/dh_{t-1}; chaining step_jacobian gives the same norms too."""
    rng = np.random.default_rng(2)
    T, N, D, H = 7, 3, 2, 5
    x, h0, W_xh, W_hh, b_h = random_rnn(rng, T, N, D, H, scale=1.2)
    hs = rnn_forward(x, h0, W_xh, W_hh, b_h)
    dh_T = rng.normal(size=(N, H))
    g = gradient_norms(hs, W_hh, dh_T)
    for t in range(2, T + 1):
        dhs = np.zeros((T - t + 1, N, H))
        dhs[-1] = dh_T
        _, dh_prev, *_ = rnn_backward(dhs, x[t - 1:], hs[t - 2], hs[t - 1:], W_xh, W_hh)
        assert np.linalg.norm(dh_prev) == pytest.approx(g[t - 2], rel=1e-12)
    dh = dh_T
    for t in range(T, 1, -1):
        dh = np.einsum("ni,nij->nj", dh, step_jacobian(hs[t - 1], W_hh))
        assert np.linalg.norm(dh) == pytest.approx(g[t - 2], rel=1e-12)


def test_gradient_norms_leave_inputs_alone():
    rng = np.random.default_rng(3)
    hs, W_hh, dh_T = rng.uniform(-1, 1, (5, 2, 3)), rng.normal(size=(3, 3)), rng.normal(size=(2, 3))
    copies = [a.copy() for a in (hs, W_hh, dh_T)]
    gradient_norms(hs, W_hh, dh_T)
    step_jacobian(hs[0], W_hh)
    for a, b in zip((hs, W_hh, dh_T), copies):
        np.testing.assert_array_equal(a, b)


def test_linear_rnn_with_orthogonal_weights_scales_exactly():
    """At h = 0 (a linear RNN) with W_hh = sigma * orthogonal, each step back multiplies the norm
    by sigma exactly, and the bound is tight."""
    from rnncourse.data import recurrent_matrix

    rng = np.random.default_rng(4)
    for sigma in (0.7, 1.0, 1.3):
        W_hh = recurrent_matrix(6, sigma, rng)
        dh_T = rng.normal(size=(2, 6))
        g = gradient_norms(np.zeros((10, 2, 6)), W_hh, dh_T)
        lags = np.arange(9, -1, -1)
        np.testing.assert_allclose(g, np.linalg.norm(dh_T) * sigma ** lags, rtol=1e-12)
        bounds = [np.linalg.norm(dh_T) * jacobian_norm_bound(W_hh, lag) for lag in lags]
        np.testing.assert_allclose(g, bounds, rtol=1e-12)


def test_bound_is_the_power_of_the_largest_singular_value():
    rng = np.random.default_rng(5)
    W_hh = rng.normal(size=(4, 4))
    sigma = np.linalg.svd(W_hh, compute_uv=False)[0]
    for lag in (0, 1, 3, 10):
        got = jacobian_norm_bound(W_hh, lag)
        assert type(got) is float and got == pytest.approx(sigma ** lag, rel=1e-12)
        assert jacobian_norm_bound(W_hh, lag, gamma=0.25) == pytest.approx((sigma / 4) ** lag,
                                                                         rel=1e-12)
    assert jacobian_norm_bound(W_hh, 0) == 1.0


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0, 4.0])
def test_bound_bounds_products_of_jacobians_of_random_tanh_states(scale):
    rng = np.random.default_rng(6)
    H = 6
    W_hh = rng.normal(0, scale / np.sqrt(H), size=(H, H))
    for _ in range(20):
        lag = int(rng.integers(1, 12))
        hs = np.tanh(rng.normal(0, 2, size=(lag, 1, H)))     # any tanh states, in (-1, 1)
        product = np.eye(H)
        for h in hs:
            product = step_jacobian(h, W_hh)[0] @ product
        assert np.linalg.norm(product, 2) <= jacobian_norm_bound(W_hh, lag) * (1 + 1e-12)
        # and gradient_norms never exceeds ||dh_T|| times the bound either
        dh_T = rng.normal(size=(1, H))
        g = gradient_norms(hs, W_hh, dh_T)
        bound = [np.linalg.norm(dh_T) * jacobian_norm_bound(W_hh, lag - 1 - t) for t in range(lag)]
        assert np.all(g <= np.array(bound) * (1 + 1e-12))


def test_clipping_caps_the_norm_and_keeps_the_direction():
    rng = np.random.default_rng(7)
    grads = {"W_xh": rng.normal(size=(4, 3)), "W_hh": rng.normal(size=(4, 4)),
             "b_h": rng.normal(size=4)}
    copies = {k: v.copy() for k, v in grads.items()}
    everything = np.concatenate([g.ravel() for g in grads.values()])
    norm = np.linalg.norm(everything)
    clipped, total = clip_by_global_norm(grads, 1.0)
    assert type(total) is float and total == pytest.approx(norm, rel=1e-14)
    assert clipped is not grads and list(clipped) == list(grads)
    after = np.concatenate([clipped[k].ravel() for k in grads])
    assert np.linalg.norm(after) == pytest.approx(1.0, rel=1e-12)
    np.testing.assert_allclose(after, everything / norm, rtol=1e-12)    # same direction, all arrays
    for k in grads:
        assert clipped[k].shape == grads[k].shape
        np.testing.assert_array_equal(grads[k], copies[k])                # inputs untouched


def test_clipping_below_the_threshold_changes_nothing():
    rng = np.random.default_rng(8)
    grads = {"a": rng.normal(size=(2, 2)), "b": rng.normal(size=3)}
    norm = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))
    for max_norm in (norm, norm * 1.01, 1e9):
        clipped, total = clip_by_global_norm(grads, max_norm)
        assert total == pytest.approx(norm, rel=1e-14)
        for k in grads:
            np.testing.assert_array_equal(clipped[k], grads[k])
            assert clipped[k] is not grads[k]                           # a copy, not the same array
        clipped["a"][0, 0] = 123.0
        assert grads["a"][0, 0] != 123.0
    zero, total = clip_by_global_norm({"w": np.zeros(3)}, 1.0)
    assert total == 0.0 and np.all(zero["w"] == 0) and np.all(np.isfinite(zero["w"]))
