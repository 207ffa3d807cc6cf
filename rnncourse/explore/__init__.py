"""Explorers: plain compute and plot functions, wired to ipywidgets by a thin layer.

Every explorer takes the learner's own functions as arguments ("your code drives the widget")."""
from .carousel import CarouselExplorer, carousel_trace, draw_carousel
from .first_marker import (FirstMarkerExplorer, draw_first_marker, first_marker_trace,
                           load_checkpoints)
from .cells import (CellViewer, cell_trace, code_lines, draw_cells, find_units, text_features,
                    tracked, verdict)
from .gates import GateExplorer, draw_gates, gate_trace
from .generation import (GenerationExplorer, draw_generation, generation_trace, load_char_lstm,
                         words_of)
from .gradients import GradientExplorer, draw_gradients, gradient_trace
from .memory import MemoryExplorer, draw_memory, memory_trace
from .truncation import (TruncationExplorer, draw_truncation, scheme_table, truncation_profile,
                         truncation_schemes)

__all__ = ["MemoryExplorer", "memory_trace", "draw_memory",
           "GradientExplorer", "gradient_trace", "draw_gradients",
           "TruncationExplorer", "truncation_profile", "draw_truncation", "truncation_schemes",
           "scheme_table",
           "GateExplorer", "gate_trace", "draw_gates", "CarouselExplorer", "carousel_trace",
           "draw_carousel", "FirstMarkerExplorer", "first_marker_trace", "draw_first_marker",
           "load_checkpoints", "GenerationExplorer", "generation_trace", "draw_generation",
           "load_char_lstm", "words_of", "CellViewer", "cell_trace", "draw_cells",
           "text_features", "find_units", "tracked", "verdict", "code_lines"]
