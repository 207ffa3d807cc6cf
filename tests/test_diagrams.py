"""The LSTM cell diagram: every highlight renders, and each looks different from the plain diagram
and from the others; the labels are all there and none overlaps another."""
import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure

from rnncourse.diagrams import EQUATIONS, HIGHLIGHTS, PARTS, draw_lstm_cell, lstm_cell_figure
from rnncourse.plots import new_figure

LABELS = ("$C_{t-1}$", "$C_t$", "$h_{t-1}$", "$x_t$", "$h_t$", "$f_t$", "$i_t$", "$\\tilde C_t$",
          "$o_t$", "$[h_{t-1}, x_t]$", "tanh", "$\\sigma$", "×", "+")


def pixels(fig):
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba()).copy()


@pytest.fixture(scope="module")
def rendered():
    return {highlight: pixels(lstm_cell_figure(highlight)) for highlight in HIGHLIGHTS}


def test_every_highlight_renders_and_differs_from_the_plain_diagram(rendered):
    assert set(HIGHLIGHTS) == {None, "forget", "input", "candidate", "cell", "output", "hidden"}
    plain = rendered[None]
    assert plain.shape == (490, 800, 4)
    assert np.mean(np.any(plain[:, :, :3] < 200, axis=2)) > 0.03     # something is drawn
    for part in PARTS:
        assert rendered[part].shape == plain.shape
        changed = np.mean(np.any(rendered[part] != plain, axis=2))
        assert changed > 0.01, part
    for one, other in itertools.combinations(PARTS, 2):
        assert np.mean(np.any(rendered[one] != rendered[other], axis=2)) > 0.005, (one, other)


def test_the_highlighted_part_is_in_its_colour_and_the_rest_grey(rendered):
    colours = {"forget": (0xD5, 0x5E, 0x00), "input": (0x00, 0x72, 0xB2),
               "candidate": (0x00, 0x9E, 0x73), "output": (0xCC, 0x79, 0xA7),
               "cell": (0xE6, 0x9F, 0x00), "hidden": (0x56, 0xB4, 0xE9)}

    def share(image, colour):
        return np.mean(np.all(np.abs(image[:, :, :3].astype(int) - colour) <= 2, axis=2))

    for part, colour in colours.items():
        assert share(rendered[part], colour) > 0.005, part
        for other, other_colour in colours.items():
            if other != part:        # the other parts' colours are gone
                assert share(rendered[part], other_colour) < 0.0005, (part, other)
        assert share(rendered[None], colour) > 0.001, part


def test_labels_are_all_there_and_none_overlaps_another():
    for highlight, presentation in itertools.product(HIGHLIGHTS, (False, True)):
        fig = lstm_cell_figure(highlight, presentation=presentation)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        texts = [text for text in ax.texts if text.get_text()]
        strings = [text.get_text() for text in texts]
        for label in LABELS:
            assert label in strings, label
        assert strings.count("$h_t$") == 2 and strings.count("×") == 3
        if highlight is not None:
            assert any(EQUATIONS[highlight] in string for string in strings)
        boxes = [text.get_window_extent(renderer) for text in texts]
        figure_box = fig.bbox
        for text, box in zip(strings, boxes):
            assert figure_box.x0 <= box.x0 and box.x1 <= figure_box.x1, text
            assert figure_box.y0 <= box.y0 and box.y1 <= figure_box.y1, text
        for (one, a), (other, b) in itertools.combinations(zip(strings, boxes), 2):
            # a layer's function and its name share a box on purpose (their boxes touch)
            in_a_layer = {one, other} <= {"$\\sigma$", "tanh", "forget", "input", "candidate",
                                          "output"}
            assert not a.overlaps(b) or in_a_layer, (one, other)


def test_bad_highlight_is_refused():
    with pytest.raises(ValueError, match="highlight must be one of"):
        lstm_cell_figure("gate")


def test_draws_on_any_axes_and_for_a_projector():
    fig = new_figure(width=12, height=4)
    left, right = fig.subplots(1, 2)
    assert draw_lstm_cell(right, "output") is right
    assert not left.texts and len(right.texts) > 15 and not right.axison
    small = lstm_cell_figure("cell")
    large = lstm_cell_figure("cell", presentation=True)
    assert isinstance(large, Figure) and large.get_figwidth() > small.get_figwidth()
    # the text grows with the picture
    size = {fig: max(text.get_fontsize() for text in fig.axes[0].texts) for fig in (small, large)}
    assert size[large] > 1.3 * size[small]
    # drawing again replaces the picture rather than adding to it
    count = len(small.axes[0].texts)
    draw_lstm_cell(small.axes[0], "forget")
    assert len(small.axes[0].texts) == count
