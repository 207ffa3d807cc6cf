"""Friendly checks used by the visible tests: each explains a failure in the learner's terms."""
from .common import CheckFailure
from .rnn_update import check_rnn_forward, check_rnn_step

__all__ = ["CheckFailure", "check_rnn_step", "check_rnn_forward"]
