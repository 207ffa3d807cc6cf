"""Per assignment: answers written as learners write them (typical mistakes, which must lose
exactly the points of their function's test, and correct alternatives, which must keep them),
the messages the visible checks give for the mistakes, and checks of what the executed solution
notebook computed.

Each module defines MISTAKES and ALTERNATIVES ({graded name: {label: code of the answer cell}}),
MESSAGES ({(graded name, label): words the visible check must say}), CHECKS ({graded name:
function of a namespace of answers that runs the visible test}) and check_executed(outputs)
(outputs: {cell id: text of its outputs}; asserts what was computed).
"""
import importlib

MODULES = {
    "01_rnn_update": "rnn_update",
    "02_bptt": "bptt",
    "03_vanishing_gradients": "vanishing",
    "04_lstm_gates": "lstm_gates",
    "05_rnn_vs_lstm": "rnn_vs_lstm",
}


def load(assignment):
    return importlib.import_module(f"{__name__}.{MODULES[assignment]}")
