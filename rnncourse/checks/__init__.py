"""Friendly checks used by the visible tests: each explains a failure in the learner's terms."""
from .bptt import check_rnn_backward, check_rnn_backward_truncated, check_rnn_step_backward
from .common import CheckFailure
from .lstm_gates import (check_candidate_cell, check_carousel_gain, check_cell_update,
                         check_forget_gate, check_hidden_state, check_input_gate,
                         check_lstm_backward, check_lstm_forward, check_lstm_step,
                         check_lstm_step_backward, check_output_gate, check_sigmoid)
from .rnn_update import check_rnn_forward, check_rnn_step
from .rnn_vs_lstm import check_adding_problem, check_baseline_mse
from .vanishing import (check_clip_by_global_norm, check_gradient_norms,
                        check_jacobian_norm_bound, check_step_jacobian)

__all__ = ["CheckFailure", "check_rnn_step", "check_rnn_forward", "check_rnn_step_backward",
           "check_rnn_backward", "check_rnn_backward_truncated", "check_step_jacobian",
           "check_gradient_norms", "check_jacobian_norm_bound", "check_clip_by_global_norm",
           "check_sigmoid", "check_forget_gate", "check_input_gate", "check_candidate_cell",
           "check_output_gate", "check_cell_update", "check_hidden_state", "check_lstm_step",
           "check_lstm_forward", "check_carousel_gain", "check_lstm_step_backward",
           "check_lstm_backward", "check_adding_problem",
           "check_baseline_mse"]
