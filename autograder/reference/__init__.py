"""The one reference implementation of every graded function, by name.

Hidden tests, recorded values for the visible tests, the modules that later lessons ship with
earlier answers, and the course's own tests all use these.
"""
from . import bptt, lstm_gates, rnn_update, rnn_vs_lstm, vanishing_gradients

REFERENCE = {
    "rnn_step": rnn_update.rnn_step,
    "rnn_forward": rnn_update.rnn_forward,
    "rnn_step_backward": bptt.rnn_step_backward,
    "rnn_backward": bptt.rnn_backward,
    "rnn_backward_truncated": bptt.rnn_backward_truncated,
    "step_jacobian": vanishing_gradients.step_jacobian,
    "gradient_norms": vanishing_gradients.gradient_norms,
    "jacobian_norm_bound": vanishing_gradients.jacobian_norm_bound,
    "clip_by_global_norm": vanishing_gradients.clip_by_global_norm,
    **{name: getattr(lstm_gates, name) for name in (
        "sigmoid", "forget_gate", "input_gate", "candidate_cell", "cell_update", "output_gate",
        "hidden_state", "lstm_step", "lstm_forward", "carousel_gain", "lstm_step_backward",
        "lstm_backward")},
    "adding_problem": rnn_vs_lstm.adding_problem,
    "baseline_mse": rnn_vs_lstm.baseline_mse,     # a graded value, not a function
}
