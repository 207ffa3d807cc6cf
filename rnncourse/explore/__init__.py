"""Explorers: plain compute and plot functions, wired to ipywidgets by a thin layer.

Every explorer takes the learner's own functions as arguments ("your code drives the widget")."""
from .carousel import CarouselExplorer, carousel_trace, draw_carousel
from .gates import GateExplorer, draw_gates, gate_trace
from .gradients import GradientExplorer, draw_gradients, gradient_trace
from .memory import MemoryExplorer, draw_memory, memory_trace
from .truncation import TruncationExplorer, draw_truncation, truncation_profile

__all__ = ["MemoryExplorer", "memory_trace", "draw_memory",
           "GradientExplorer", "gradient_trace", "draw_gradients",
           "TruncationExplorer", "truncation_profile", "draw_truncation",
           "GateExplorer", "gate_trace", "draw_gates", "CarouselExplorer", "carousel_trace",
           "draw_carousel"]
