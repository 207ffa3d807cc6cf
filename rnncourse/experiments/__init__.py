"""Experiments: small training runs that show what a lesson claims, driven by the learner's own
functions (passed in as arguments); the parts that are not graded (data, readout, loss,
optimizer) live here."""
from .memory_task import draw_runs, lesson_runs, train_memory_task

__all__ = ["train_memory_task", "lesson_runs", "draw_runs"]
