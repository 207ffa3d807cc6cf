"""Diagrams of the course, drawn with matplotlib (no image files): one LSTM cell, with any one of
its parts emphasised so that a lesson can show the same picture once per gate.

The layout follows Olah's "Understanding LSTM Networks" (2015): the cell state C runs along the
top like a conveyor belt, changed only by a multiplication (the forget gate) and an addition (what
the input gate lets in); the four layers read the concatenation [h_{t-1}, x_t] along the bottom;
the output gate and tanh(C_t) make h_t, which leaves on the right (to the next step) and at the
top (to the next layer or the output). Colours are Okabe & Ito's, safe for colour-blind readers.
"""
import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from .plots import OKABE_ITO, new_figure

PARTS = ("forget", "input", "candidate", "cell", "output", "hidden")
HIGHLIGHTS = (None,) + PARTS
COLOURS = {"forget": OKABE_ITO[3], "input": OKABE_ITO[0], "candidate": OKABE_ITO[2],
           "cell": OKABE_ITO[1], "output": OKABE_ITO[4], "hidden": OKABE_ITO[5],
           "inputs": "#444444"}
NAMES = {"forget": "forget gate", "input": "input gate", "candidate": "candidate",
         "cell": "cell state", "output": "output gate", "hidden": "hidden state"}
EQUATIONS = {
    "forget": "$f_t = \\sigma(W_f\\,[h_{t-1}, x_t] + b_f)$",
    "input": "$i_t = \\sigma(W_i\\,[h_{t-1}, x_t] + b_i)$",
    "candidate": "$\\tilde C_t = \\tanh(W_C\\,[h_{t-1}, x_t] + b_C)$",
    "cell": "$C_t = f_t \\odot C_{t-1} + i_t \\odot \\tilde C_t$",
    "output": "$o_t = \\sigma(W_o\\,[h_{t-1}, x_t] + b_o)$",
    "hidden": "$h_t = o_t \\odot \\tanh(C_t)$",
}
MUTED = "#C4C4C4"       # everything outside the highlighted part
MUTED_TEXT = "#A0A0A0"
INK = "#222222"

# The layout, in data units (the axes keep an equal aspect).
XLIM, YLIM = (-1.4, 13.9), (-1.05, 8.25)
BELT, BUS = 5.6, 1.2                       # heights of the cell state and of [h_{t-1}, x_t]
LAYER_Y, LAYER_W, LAYER_H = 2.3, 1.3, 0.9  # the four layers' boxes: centre height, size
LAYERS = {"forget": 2.9, "input": 4.45, "candidate": 6.0, "output": 7.6}   # their centres' x
R = 0.3                                    # radius of the pointwise operations' circles
TIMES_F, PLUS, TIMES_I = (2.9, BELT), (6.0, BELT), (6.0, 4.2)
TANH, TIMES_O = (9.2, 4.5), (9.2, 3.2)     # tanh(C_t) and its product with o_t
TANH_W, TANH_H = 0.95, 0.5
X_IN, H_SPLIT = 2.0, 10.5                  # where x_t joins the bus; where h_t splits
LEFT, RIGHT, TOP = 0.0, 12.9, 7.55         # where the lines enter and leave
CELL_BOX = (1.5, 0.45, 11.0, 6.6)          # x0, y0, x1, y1


def _tint(colour, amount):
    """`colour` mixed with white: amount 1 is the colour, 0 white."""
    from matplotlib.colors import to_rgb

    return tuple(1 - amount * (1 - c) for c in to_rgb(colour))


class _Style:
    """How each part is drawn, given the highlighted part (None: everything in its colours)."""

    def __init__(self, highlight, unit, presentation=False):
        self.highlight, self.unit = highlight, unit   # unit: points per data unit
        # For a projector: thicker lines than the picture's size alone gives (the text grows
        # with the picture).
        self.line_scale = 1.2 if presentation else 1.0

    def on(self, parts):
        return self.highlight is None or self.highlight in parts

    def colour(self, parts):
        """The line colour of an element shared by `parts` (the first names its colour)."""
        if not self.on(parts):
            return MUTED
        return COLOURS[self.highlight if self.highlight in parts else parts[0]]

    def width(self, parts, base=0.05):
        grow = 1.7 if self.highlight is not None and self.highlight in parts else 1.0
        return base * self.unit * grow * self.line_scale

    def text(self, parts):
        return INK if self.on(parts) else MUTED_TEXT

    def size(self, units):
        """A length of `units` data units, in points."""
        return units * self.unit


def _line(ax, style, points, parts, arrow=True, base=0.05, zorder=2):
    """A polyline through `points` (data units), with an arrowhead at the end if `arrow`."""
    path = Path(np.asarray(points, dtype=float))
    head = (f"-|>,head_length={style.size(0.24 * style.line_scale):.3f},"
            f"head_width={style.size(0.1 * style.line_scale):.3f}")
    patch = FancyArrowPatch(path=path, arrowstyle=head if arrow else "-", mutation_scale=1,
                            color=style.colour(parts),
                            linewidth=style.width(parts, base), joinstyle="miter",
                            capstyle="butt", shrinkA=0, shrinkB=0, zorder=zorder)
    ax.add_patch(patch)
    return patch


def _dot(ax, style, centre, parts):
    """A junction: a line splits here."""
    ax.add_patch(Circle(centre, 0.075, color=style.colour(parts), zorder=4))


def _label(ax, style, xy, text, parts, units=0.42, **kwargs):
    kwargs.setdefault("ha", "center")
    kwargs.setdefault("va", "center")
    return ax.text(*xy, text, fontsize=style.size(units), color=style.text(parts), zorder=6,
                   **kwargs)


def _operation(ax, style, centre, symbol, parts):
    """A pointwise operation: a circle with × or +."""
    on = style.on(parts)
    emphasised = style.highlight is not None and style.highlight in parts
    ax.add_patch(Circle(centre, R, facecolor=_tint(style.colour(parts), 0.22) if emphasised
                        else "white", edgecolor=style.colour(parts) if on else MUTED,
                        linewidth=style.width(parts, 0.045), zorder=5))
    _label(ax, style, centre, symbol, parts, units=0.5)


def _box(ax, style, centre, size, parts, fill=0.25):
    (x, y), (w, h) = centre, size
    on = style.on(parts)
    emphasised = style.highlight is not None and style.highlight in parts
    colour = style.colour(parts)
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,"
                                "rounding_size=0.12", facecolor=_tint(colour, 0.4 if emphasised
                                                                      else fill) if on else "white",
                                edgecolor=colour, linewidth=style.width(parts, 0.045), zorder=5))


def _layer(ax, style, part, symbol):
    """One of the four layers: a box with its function and name, reading the bus below."""
    x = LAYERS[part]
    _line(ax, style, [(x, BUS), (x, LAYER_Y - LAYER_H / 2)], (part, "inputs"))
    _box(ax, style, (x, LAYER_Y), (LAYER_W, LAYER_H), (part,))
    _label(ax, style, (x, LAYER_Y + 0.14), symbol, (part,), units=0.44)
    _label(ax, style, (x, LAYER_Y - 0.25), part, (part,), units=0.23)


def draw_lstm_cell(ax, highlight=None, presentation=False):
    """Draw one LSTM cell on `ax` (which it clears): the cell state C_{t-1} -> (×) -> (+) -> C_t
    along the top, the layers sigma (forget), sigma (input), tanh (candidate) and sigma (output)
    reading [h_{t-1}, x_t] along the bottom, the pointwise operations, and h_t leaving on the right
    and at the top. `highlight` (None, "forget", "input", "candidate", "cell", "output" or
    "hidden") draws that part in its colour, thicker, with its equation above, and the rest in
    grey. Text and lines scale with the axes' size; presentation=True draws thicker lines, for a
    projector. Returns `ax`."""
    if highlight not in HIGHLIGHTS:
        raise ValueError(f"highlight must be one of {HIGHLIGHTS}, not {highlight!r}")
    ax.clear()
    ax.set_xlim(*XLIM)
    ax.set_ylim(*YLIM)
    ax.set_aspect("equal", adjustable="box")
    ax.set_axis_off()
    fig = ax.figure
    ax.apply_aspect()
    box = ax.get_position()
    inches = min(box.width * fig.get_figwidth() / (XLIM[1] - XLIM[0]),
                 box.height * fig.get_figheight() / (YLIM[1] - YLIM[0]))
    style = _Style(highlight, inches * 72, presentation)

    x0, y0, x1, y1 = CELL_BOX
    ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0,"
                                "rounding_size=0.35", facecolor="#F5F5F5", edgecolor="#BBBBBB",
                                linewidth=style.size(0.025), zorder=0))

    # The inputs: h_{t-1} from the left and x_t from below join into [h_{t-1}, x_t].
    gates = ("forget", "input", "candidate", "output")
    bus = ("inputs",) + gates
    _line(ax, style, [(LEFT, BUS), (LAYERS["output"], BUS)], bus, arrow=False)
    _line(ax, style, [(X_IN, -0.45), (X_IN, BUS)], bus, arrow=False)
    _dot(ax, style, (X_IN, BUS), bus)
    for part in gates[:-1]:
        _dot(ax, style, (LAYERS[part], BUS), bus)
    _label(ax, style, (LEFT - 0.12, BUS), "$h_{t-1}$", bus, ha="right")
    _label(ax, style, (X_IN, -0.72), "$x_t$", bus)
    _label(ax, style, ((LAYERS["input"] + LAYERS["candidate"]) / 2, BUS - 0.38),
           "$[h_{t-1}, x_t]$", bus, units=0.3)

    # The four layers and their outputs.
    for part, symbol in zip(gates, ("$\\sigma$", "$\\sigma$", "tanh", "$\\sigma$")):
        _layer(ax, style, part, symbol)
    top = LAYER_Y + LAYER_H / 2
    x_f, x_i, x_c, x_o = (LAYERS[part] for part in gates)
    _line(ax, style, [(x_f, top), (x_f, TIMES_F[1] - R)], ("forget",))
    _label(ax, style, (x_f + 0.14, 3.75), "$f_t$", ("forget",), ha="left")
    _line(ax, style, [(x_i, top), (x_i, TIMES_I[1]), (TIMES_I[0] - R, TIMES_I[1])], ("input",))
    _label(ax, style, (x_i + 0.14, 3.45), "$i_t$", ("input",), ha="left")
    _line(ax, style, [(x_c, top), (x_c, TIMES_I[1] - R)], ("candidate",))
    _label(ax, style, (x_c + 0.14, 3.45), "$\\tilde C_t$", ("candidate",), ha="left")
    _line(ax, style, [(x_o, top), (x_o, TIMES_O[1]), (TIMES_O[0] - R, TIMES_O[1])], ("output",))
    _label(ax, style, ((x_o + TIMES_O[0] - R) / 2, TIMES_O[1] + 0.25), "$o_t$", ("output",))

    # The cell state: the conveyor belt along the top, and what the input gate adds to it.
    cell = ("cell",)
    _line(ax, style, [(LEFT, BELT), (TIMES_F[0] - R, BELT)], cell, base=0.09, zorder=3)
    _line(ax, style, [(TIMES_F[0] + R, BELT), (PLUS[0] - R, BELT)], cell, base=0.09, zorder=3)
    _line(ax, style, [(PLUS[0] + R, BELT), (RIGHT, BELT)], cell, base=0.09, zorder=3)
    _line(ax, style, [(TIMES_I[0], TIMES_I[1] + R), (PLUS[0], PLUS[1] - R)], ("cell", "input",
                                                                              "candidate"))
    _operation(ax, style, TIMES_F, "×", ("forget", "cell"))
    _operation(ax, style, TIMES_I, "×", ("input", "candidate", "cell"))
    _operation(ax, style, PLUS, "+", cell)
    _label(ax, style, (LEFT - 0.12, BELT), "$C_{t-1}$", cell, ha="right")
    _label(ax, style, (RIGHT + 0.12, BELT), "$C_t$", cell, ha="left")

    # The hidden state: o_t times tanh(C_t), out to the right and to the top.
    hidden = ("hidden",)
    _dot(ax, style, (TANH[0], BELT), ("hidden", "cell"))
    _line(ax, style, [(TANH[0], BELT), (TANH[0], TANH[1] + TANH_H / 2)], hidden)
    _box(ax, style, TANH, (TANH_W, TANH_H), hidden, fill=0.18)
    _label(ax, style, TANH, "tanh", hidden, units=0.34)
    _line(ax, style, [(TANH[0], TANH[1] - TANH_H / 2), (TIMES_O[0], TIMES_O[1] + R)], hidden)
    _operation(ax, style, TIMES_O, "×", ("hidden", "output"))
    _line(ax, style, [(TIMES_O[0] + R, TIMES_O[1]), (H_SPLIT, TIMES_O[1]), (H_SPLIT, BUS),
                      (RIGHT, BUS)], hidden)
    _dot(ax, style, (H_SPLIT, TIMES_O[1]), hidden)
    # Up to the top, over the belt: a white gap in the belt shows that the lines do not meet.
    ax.plot([H_SPLIT] * 2, [BELT - 0.22, BELT + 0.22], color="white", zorder=3.5,
            linewidth=style.size(0.2 * style.line_scale), solid_capstyle="butt")
    _line(ax, style, [(H_SPLIT, TIMES_O[1]), (H_SPLIT, TOP)], hidden, zorder=4)
    _label(ax, style, (RIGHT + 0.12, BUS), "$h_t$", hidden, ha="left")
    _label(ax, style, (H_SPLIT, TOP + 0.3), "$h_t$", hidden)

    if highlight is not None:
        _label(ax, style, (XLIM[0] + 0.1, YLIM[1] - 0.35), f"{NAMES[highlight]}:  "
               f"{EQUATIONS[highlight]}", (highlight,), units=0.4, ha="left")
    return ax


def lstm_cell_figure(highlight=None, presentation=False):
    """A Figure (outside pyplot) of one LSTM cell, `highlight` as in draw_lstm_cell: 8 x 4.9
    inches, or 12 x 7.4 inches with thicker lines for a projector with presentation=True."""
    fig = new_figure(width=12.0, height=7.4, dpi=100) if presentation else \
        new_figure(width=8.0, height=4.9, dpi=100)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    draw_lstm_cell(ax, highlight, presentation)
    return fig
