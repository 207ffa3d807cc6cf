"""Explorers: plain compute and plot functions, wired to ipywidgets by a thin layer.

Every explorer takes the learner's own functions as arguments ("your code drives the widget")."""
from .memory import MemoryExplorer, draw_memory, memory_trace

__all__ = ["MemoryExplorer", "memory_trace", "draw_memory"]
