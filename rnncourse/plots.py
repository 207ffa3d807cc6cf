"""Plots of the course: one look (colour-blind-safe colours, a presentation mode with large fonts
and thick lines for a projector), and figures rendered outside pyplot for the explorers."""
import contextlib

import matplotlib as mpl
import numpy as np

# Okabe & Ito (2008): distinguishable with every common colour-vision deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
# Diverging map for signed values such as hidden states (blue-orange, colour-blind safe).
DIVERGING = "PuOr_r"

_NORMAL = {"font.size": 10, "lines.linewidth": 1.6, "axes.titlesize": 11, "axes.labelsize": 10,
           "xtick.labelsize": "medium", "ytick.labelsize": "medium", "legend.fontsize": "medium"}
_PRESENTATION = {"font.size": 16, "lines.linewidth": 3.0, "axes.titlesize": 18, "axes.labelsize": 16,
                 "xtick.labelsize": 14, "ytick.labelsize": 14, "legend.fontsize": 14}


def use_course_style(presentation=False):
    """Set matplotlib's colours and sizes for the course; presentation=True for a projector."""
    mpl.rcParams["axes.prop_cycle"] = mpl.cycler(color=OKABE_ITO)
    mpl.rcParams["image.cmap"] = DIVERGING
    mpl.rcParams.update(_PRESENTATION if presentation else _NORMAL)


def new_figure(width=9.0, height=6.0, dpi=90):
    """A matplotlib Figure with an Agg canvas, outside pyplot (no global state, no display)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(fig)
    return fig


@contextlib.contextmanager
def laid_out_once(fig, **pads):
    """Build a figure inside this block (it starts empty); on leaving it, matplotlib's
    constrained layout (with `pads`) places everything once, for the fonts in use (normal or
    presentation style), and is switched off: later draws only update the artists' data, so the
    figure never re-lays out while a slider moves and a BlitRenderer's background stays valid."""
    fig.clear()
    fig.set_layout_engine("constrained", **pads)
    yield fig
    fig.draw_without_rendering()
    fig.set_layout_engine("none")


def legend_above(fig, handles):
    """A figure legend of `handles` above the axes (inside laid_out_once), in two columns, or in
    one if two are wider than the figure."""
    legend = fig.legend(handles=handles, loc="outside upper center", ncol=2, fontsize="small",
                        frameon=False)
    fig.draw_without_rendering()
    if legend.get_window_extent().width > fig.bbox.width:
        legend.remove()
        legend = fig.legend(handles=handles, loc="outside upper center", ncol=1,
                            fontsize="small", frameon=False)
    return legend


class BlitRenderer:
    """Render a figure to PNG again and again, fast: the parts that never change (axes, ticks,
    labels, legend) are drawn once; each render redraws only `artists` (marked animated, so they
    belong to this renderer from now on) and encodes the pixels. For explorers' live updates."""

    def __init__(self, fig, artists):
        self.fig = fig
        self.artists = list(artists)
        for artist in self.artists:
            artist.set_animated(True)
        fig.canvas.draw()
        self.background = fig.canvas.copy_from_bbox(fig.bbox)

    def png(self):
        import io

        from PIL import Image

        canvas = self.fig.canvas
        canvas.restore_region(self.background)
        for artist in self.artists:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(canvas.buffer_rgba())).save(buffer, format="png",
                                                                compress_level=1)
        return buffer.getvalue()
