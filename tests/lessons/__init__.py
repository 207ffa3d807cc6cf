"""Per assignment: answers written as learners write them (typical mistakes, which must lose
exactly the points of their function's test, and correct alternatives, which must keep them),
the messages the visible checks give for the mistakes, and checks of what the executed solution
notebook computed.

Each module defines MISTAKES and ALTERNATIVES ({graded name: {label: code of the answer cell}}),
MESSAGES ({(graded name, label): words the visible check must say}), CHECKS ({graded name:
function of a namespace of answers that runs the visible test}) and check_executed(outputs)
(outputs: {cell id: text of its outputs}; asserts what was computed). A module is named as its
lesson: the assignment id without its number (`03_vanishing_gradients` -> vanishing_gradients).
"""
import importlib


def load(assignment):
    return importlib.import_module(f"{__name__}.{assignment.split('_', 1)[1]}")
