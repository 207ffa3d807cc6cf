"""Friendly checks used by the visible tests: each explains a failure in the learner's terms."""
from .bptt import check_rnn_backward, check_rnn_backward_truncated, check_rnn_step_backward
from .common import CheckFailure
from .rnn_update import check_rnn_forward, check_rnn_step
from .vanishing import (check_clip_by_global_norm, check_gradient_norms,
                        check_jacobian_norm_bound, check_step_jacobian)

__all__ = ["CheckFailure", "check_rnn_step", "check_rnn_forward", "check_rnn_step_backward",
           "check_rnn_backward", "check_rnn_backward_truncated", "check_step_jacobian",
           "check_gradient_norms", "check_jacobian_norm_bound", "check_clip_by_global_norm"]
