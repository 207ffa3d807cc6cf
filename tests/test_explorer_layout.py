"""Every explorer, in the normal style and in presentation style (a projector), keeps every visible
text (titles, axis labels, tick labels, legends, annotations) inside its figure and clear of the
other axes: no label runs off the picture or over a neighbouring plot. Each explorer is drawn at
the ends of every control's range, where titles and labels are longest.

A new explorer is one entry in its lesson's EXPLORERS (tests/lessons/<lesson>.py): how to build it
from the graded functions (here the reference, as if it were the learner's)."""
import functools

import matplotlib as mpl
import pytest

from autograder.lessons import REFERENCE
from coursekit import ASSIGNMENTS
from lessons import load
from rnncourse.plots import use_course_style

TOLERANCE = 1.0      # pixels: anti-aliasing may touch the edge


# {notebook cell id: () -> explorer}, from every lesson's table (tests/lessons/<lesson>.py)
EXPLORERS = {cell: functools.partial(build, REFERENCE) for assignment in ASSIGNMENTS
             for cell, build in load(assignment).EXPLORERS.items()}


def _visible(text):
    return text.get_visible() and text.get_text().strip() != "" and text.figure is not None


def _tick_labels(ax):
    labels = []
    for axis in ax._axis_map.values():
        for tick in axis._update_ticks():           # the ticks matplotlib actually draws
            labels += [label for label in (tick.label1, tick.label2)
                       if tick.get_visible() and label.get_visible()]
    return labels


def axes_texts(ax):
    """The texts that belong to one axes: titles, axis labels, tick labels, legend, annotations."""
    texts = [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
    texts += _tick_labels(ax) + list(ax.texts)
    legend = ax.get_legend()
    if legend is not None and legend.get_visible():
        texts += list(legend.get_texts()) + [legend.get_title()]
    return [t for t in texts if _visible(t)]


def figure_texts(fig):
    """Texts of the figure itself: the suptitle and figure-level texts and legends."""
    texts = [fig._suptitle] if fig._suptitle is not None else []
    texts += list(fig.texts)
    for legend in fig.legends:
        texts += list(legend.get_texts())
    unique = {id(t): t for t in texts if t is not None}      # the suptitle is in fig.texts too
    return [t for t in unique.values() if _visible(t)]


def _overlap(a, b):
    return (min(a.x1, b.x1) - max(a.x0, b.x0) > TOLERANCE and
            min(a.y1, b.y1) - max(a.y0, b.y0) > TOLERANCE)


def text_problems(fig):
    """[description] of every visible text that leaves the figure, overlaps another axes (its
    plotting area or its texts), or, for a figure-level text, overlaps any axes' texts."""
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    frame = fig.bbox
    axes = [ax for ax in fig.axes if ax.get_visible()]
    owned = {ax: [(t, t.get_window_extent(renderer)) for t in axes_texts(ax)] for ax in axes}
    top = [(t, t.get_window_extent(renderer)) for t in figure_texts(fig)]
    problems = []
    for owner, texts in [(None, top)] + list(owned.items()):
        for text, box in texts:
            name = repr(text.get_text()[:40])
            if (box.x0 < frame.x0 - TOLERANCE or box.y0 < frame.y0 - TOLERANCE or
                    box.x1 > frame.x1 + TOLERANCE or box.y1 > frame.y1 + TOLERANCE):
                problems.append(f"{name} leaves the figure ({box} outside {frame})")
            for other in axes:
                if other is owner:
                    continue
                if owner is not None and _overlap(box, other.bbox):
                    problems.append(f"{name} overlaps the plotting area of another axes")
                clashes = [t for t, b in owned[other] if _overlap(box, b)]
                if clashes:
                    problems.append(f"{name} overlaps {clashes[0].get_text()[:40]!r} of "
                                    "another axes")
    for i, (text, box) in enumerate(top):          # the figure's own texts among themselves
        clashes = [t for t, b in top[i + 1:] if _overlap(box, b)]
        if clashes:
            problems.append(f"{text.get_text()[:40]!r} overlaps {clashes[0].get_text()[:40]!r} "
                            "(both texts of the figure)")
    return problems


def control_extremes(explorer):
    """(name, value) pairs that move each control to both ends of its range (or every option)."""
    moves = []
    for name, control in explorer.controls.items():
        if hasattr(control, "options"):
            moves += [(name, option) for option in control.options]
        else:
            moves += [(name, control.min), (name, control.max)]
    return moves


@pytest.fixture(params=[False, True], ids=["normal", "presentation"])
def style(request):
    saved = dict(mpl.rcParams)
    use_course_style(presentation=request.param)
    yield request.param
    mpl.rcParams.update(saved)


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_text_stays_inside_its_figure_and_off_the_other_axes(name, style):
    explorer = EXPLORERS[name]()
    assert explorer.trace is not None, explorer.status.value
    problems = [f"initial: {p}" for p in text_problems(explorer.figure)]
    initial = explorer.settings()
    for control, value in control_extremes(explorer):
        explorer.controls[control].value = value
        problems += [f"{control} = {value}: {p}" for p in text_problems(explorer.figure)]
        explorer.controls[control].value = initial[control]
    assert not problems, "\n".join(dict.fromkeys(problems))


def test_the_layout_check_sees_a_label_that_runs_off_and_one_over_a_neighbour():
    """The check itself: a long y-label of the right axes lands on the left axes, and a title
    longer than the figure leaves it."""
    from rnncourse.plots import new_figure

    fig = new_figure(width=6, height=3)
    left, right = fig.subplots(1, 2)
    fig.subplots_adjust(wspace=0.05)
    right.set_ylabel("a label that sits on the neighbour")
    left.set_title("a title far too long to fit in half of this small figure, surely")
    problems = text_problems(fig)
    assert any("a label that sits on the" in p and "another axes" in p for p in problems)
    assert any("a title far too long" in p and "leaves the figure" in p for p in problems)
    fig.suptitle("a suptitle", y=0.5)
    fig.legend(handles=left.plot([0, 1], label="a legend entry"), loc="center")
    assert any("a suptitle" in p and "both texts of the figure" in p for p in text_problems(fig))
