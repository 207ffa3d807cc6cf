"""What every explorer's widget shares: sliders in one style, a status line, the plot as a PNG
image redrawn fast (rnncourse.plots.BlitRenderer), failures of the learner's code shown in the
status line instead of raised, and display in a notebook."""
import html

from ..plots import BlitRenderer
from .learner import LearnerCodeFailed

STYLE = {"description_width": "130px"}
WIDTH = "420px"


def slider(value, low, high, step, description):
    """A FloatSlider (or an IntSlider when every number is a whole number) in the course's style."""
    import ipywidgets as widgets

    whole = all(isinstance(v, int) for v in (value, low, high, step))
    kind = widgets.IntSlider if whole else widgets.FloatSlider
    return kind(value=value, min=low, max=high, step=step, description=description, style=STYLE,
                layout=widgets.Layout(width=WIDTH))


def choice(options, value, description):
    """A Dropdown in the course's style."""
    import ipywidgets as widgets

    return widgets.Dropdown(options=options, value=value, description=description, style=STYLE)


class Explorer:
    """Base of the explorers: `controls` ({name: widget}), `status` (HTML), `image` (the plot,
    PNG), `figure`, `trace` (the last computation, None after a failure). A subclass builds its
    controls and figure, calls `_assemble`, and implements `compute()` (the trace, from the
    learner's functions; raises LearnerCodeFailed), `draw(trace)` (returns the draw function's
    artists and the names of those that change) and `describe(trace)` (the status line). Moving a
    control calls `changed(name)`, which calls `update()` unless overridden."""

    def _assemble(self, controls, figure):
        import ipywidgets as widgets

        self.controls = controls
        self.trace = None
        self.status = widgets.HTML()
        # At its own size (not stretched to the notebook's width, which would make it taller
        # than a 1280 x 720 screen shows), shrunk only where the notebook is narrower.
        self.image = widgets.Image(format="png", layout=widgets.Layout(
            align_self="flex-start", max_width="100%", height="auto"))
        self.figure = figure
        self._renderer = None
        self._layout = None
        for name, control in controls.items():
            control.observe(lambda change, name=name: self.changed(name), names="value")
        items = list(controls.values())
        columns = [widgets.VBox(items[:2]), widgets.VBox(items[2:])] if len(items) > 2 else items
        self.widget = widgets.VBox([widgets.HBox(columns), self.status, self.image])

    def changed(self, name):
        self.update()

    def update(self):
        """Recompute with the learner's functions, redraw, and say what is seen (or what failed)."""
        try:
            self.trace = self.compute()
        except LearnerCodeFailed as failed:
            self.trace = None
            self.show_failure(failed.name, failed.message)
            return
        self.show(*self.draw(self.trace))
        self.status.value = self.describe(self.trace)

    def settings(self):
        """{control name: value}."""
        return {name: control.value for name, control in self.controls.items()}

    def show_failure(self, name, message):
        """Say in the status line that the learner's `name` failed, and how."""
        self.status.value = (f"<b>Your {name} {html.escape(message)}</b> Finish the exercises "
                             "above, then move a slider.")

    def show(self, artists, names):
        """Render the figure to the image: `artists` the draw function's dict of artists (a new
        dict means new axes, so a new background), `names` the keys of those that change."""
        if self._renderer is None or artists is not self._layout:
            self._renderer = BlitRenderer(self.figure, [artists[name] for name in names])
            self._layout = artists
        self.image.value = self._renderer.png()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
