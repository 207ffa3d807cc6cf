"""Helpers for the learners of the RNN course: data sets, gradient checking, plots, explorers and
friendly checks. It holds no answer to a graded exercise: explorers are driven by the learner's
own functions, passed in as arguments."""

__version__ = "0.1.0"
