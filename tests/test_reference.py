"""The reference implementation is the math of the article, and the recorded values that the
visible tests use are exactly what it computes."""
import numpy as np

from autograder import record
from autograder.lessons import cases
from autograder.lessons import GRADED, LESSONS, REFERENCE
from autograder.lessons.rnn_update import rnn_forward, rnn_step


def column_vector_step(x, h, W_xh, W_hh, b_h):
    """The article's update for one example, column vectors: tanh(W_xh x + W_hh h + b_h)."""
    return np.tanh(W_xh @ x[:, None] + W_hh @ h[:, None] + b_h[:, None])[:, 0]


def test_rnn_step_is_the_column_vector_update_per_example():
    for _, (x_t, h_prev, W_xh, W_hh, b_h) in cases("rnn_step", seed=3):
        got = rnn_step(x_t, h_prev, W_xh, W_hh, b_h)
        for n in range(x_t.shape[0]):
            np.testing.assert_allclose(got[n], column_vector_step(x_t[n], h_prev[n], W_xh, W_hh, b_h),
                                       rtol=1e-12, atol=1e-14)


def test_rnn_forward_unrolls_the_update():
    for _, (x, h0, W_xh, W_hh, b_h) in cases("rnn_forward", seed=3):
        hs = rnn_forward(x, h0, W_xh, W_hh, b_h)
        assert hs.shape == (x.shape[0],) + h0.shape
        for n in range(h0.shape[0]):
            h = h0[n]
            for t in range(x.shape[0]):
                h = column_vector_step(x[t, n], h, W_xh, W_hh, b_h)
                np.testing.assert_allclose(hs[t, n], h, rtol=1e-12, atol=1e-14)


def test_hidden_cases_cover_the_edge_shapes():
    shapes = [[a.shape for a in args] for _, args in cases("rnn_forward")]
    T_N_D_H = [(x[0], x[1], x[2], h0[1]) for x, h0, *_ in shapes]
    assert any(T == 1 for T, _, _, _ in T_N_D_H)
    assert any(N == 1 for _, N, _, _ in T_N_D_H)
    assert any(D != H for _, _, D, H in T_N_D_H) and any(D == H for _, _, D, H in T_N_D_H)
    assert all(np.any(args[1] != 0) for _, args in cases("rnn_forward"))   # h0 is never zero
    recorded = {name for lesson in LESSONS.values() if hasattr(lesson, "recorded")
                for name in lesson.recorded()}
    properties = {name for name, entry in GRADED.items() if entry.properties}
    checked_otherwise = properties | {n for n, ref in REFERENCE.items() if not callable(ref)}
    assert set(REFERENCE) - checked_otherwise == recorded, \
        "every graded function has a recorded visible case (random ones are checked by properties)"


def test_recorded_values_are_the_reference():
    assert record.main(["--check"]) == 0


def test_lstm_backward_passes_agree_with_central_differences():
    """The reference LSTM backward passes are the gradients of the reference forward passes (the
    loss sum(h_t * dh_t) + sum(C_t * dC_t) for one step, sum(hs * dhs) for a sequence)."""
    from autograder.lessons.lstm_gates import (lstm_backward, lstm_forward, lstm_step,
                                                 lstm_step_backward)
    from rnncourse.gradcheck import gradient_errors

    for _, (dh_t, dC_t, x_t, h_prev, C_prev, params) in list(cases("lstm_step_backward", 5))[:3]:
        inputs = {"x_t": x_t, "h_prev": h_prev, "C_prev": C_prev, **params}
        step = lambda: np.concatenate(lstm_step(inputs["x_t"], inputs["h_prev"], inputs["C_prev"],
                                                {k: inputs[k] for k in params}), axis=1)
        dx_t, dh_prev, dC_prev, grads = lstm_step_backward(dh_t, dC_t, x_t, h_prev, C_prev, params)
        errors = gradient_errors(step, inputs, {"x_t": dx_t, "h_prev": dh_prev,
                                                "C_prev": dC_prev, **grads},
                                 np.concatenate([dh_t, dC_t], axis=1))
        assert max(errors.values()) < 1e-6, errors
    for _, (dhs, x, h0, C0, params) in list(cases("lstm_backward", 5))[:3]:
        inputs = {"x": x, "h0": h0, "C0": C0, **params}
        forward = lambda: lstm_forward(inputs["x"], inputs["h0"], inputs["C0"],
                                       {k: inputs[k] for k in params})[0]
        dx, dh0, dC0, grads = lstm_backward(dhs, x, h0, C0, params)
        errors = gradient_errors(forward, inputs, {"x": dx, "h0": dh0, "C0": dC0, **grads}, dhs)
        assert max(errors.values()) < 1e-6, errors
