"""The one reference implementation of every graded function, by name.

Hidden tests, recorded values for the visible tests, and the course's own tests all use these.
"""
from . import rnn_update

REFERENCE = {
    "rnn_step": rnn_update.rnn_step,
    "rnn_forward": rnn_update.rnn_forward,
}
