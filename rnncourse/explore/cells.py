"""Lesson 06 explorer: do single units of the trained LSTM track something a person can name?

After Karpathy, Johnson & Fei-Fei (2015), "Visualizing and Understanding Recurrent Networks":
the text is drawn as a grid of characters, each cell coloured by one unit's value after reading
that character, so a unit that follows quotes, brackets or indentation can be seen at a glance.

`text_features` labels every character of a piece of Python with what a reader sees there (in a
string? how deep in brackets? which column?); `find_units` ranks every (unit, feature) pair by
the Pearson correlation, over the text, between the unit's value and the feature; `verdict` says
from those numbers whether the model has such units. The states come from the learner's own
lstm_forward (lesson 04), run once on the one-hot text (N = 1, h0 = C0 = 0):

    lstm_forward(x, h0, C0, params) -> hs, Cs    x (L, 1, V), each result (L, 1, H)

Nothing here computes a graded answer.
"""
import html
import re

import numpy as np

from ..plots import DIVERGING, laid_out_once, new_figure
from .learner import LearnerCodeFailed, run_learner, shaped
from .widget import Explorer, choice, slider

# The features, each the state *after reading* a character (what the LSTM's state at that
# character has seen): an opening quote is already inside its string, a closing quote outside.
FEATURES = ("string", "triple-quoted string", "comment", "bracket depth", "inside brackets",
            "indentation", "column", "def/class line")
# |r| >= 0.5: the feature accounts for at least a quarter (r**2) of the unit's variance over the
# text.
THRESHOLD = 0.5
# The units of an untrained LSTM correlate with some features too, with the column most.
# Measured when this was written (H = 128, initialised as lesson 06's model is, 30,000
# characters of the validation text, four seeds): an untrained network's best |r| is 0.52 to
# 0.56 for the column and at most 0.39 for the other features, and a feature's best |r| varies
# by up to 0.06 from seed to seed. A trained unit counts when it beats an untrained network's
# best by more than that spread.
MARGIN = 0.1
QUANTITIES = ("cell state C", "tanh(C)", "hidden state h")
SYMBOLS = {"cell state C": "C", "tanh(C)": "tanh C", "hidden state h": "h"}
SEARCH = "cell state C"          # the quantity the search ranks units by
LISTED = 8                       # units offered in the dropdown: the search's best distinct ones
HEADER = re.compile(r"(async +def|def|class) ")


# ---------------------------------------------------------------------------- what a person sees

def _scan(text):
    """Strings, comments and brackets, one character at a time: (string, triple, comment,
    depth), each (L,). Backslash escapes are skipped inside strings; brackets and quotes inside
    comments, and brackets and other quotes inside strings, do not count; a one-line string left
    open ends with its line."""
    L = len(text)
    string, triple, comment, depth = (np.zeros(L) for _ in range(4))
    quote, in_comment, level, i = None, False, 0, 0
    while i < L:
        c, span = text[i], 1
        if quote is not None:
            closes = False
            if c == "\\":
                span = 2                                  # an escaped character never closes
            elif text.startswith(quote, i):
                span, closes = len(quote), True
            elif c == "\n" and len(quote) == 1:
                closes = True                             # a one-line string left open
            end = min(i + span, L)
            string[i:end] = 1.0
            triple[i:end] = float(len(quote) == 3)
            if closes:
                string[end - 1] = triple[end - 1] = 0.0
                quote = None
        elif in_comment:
            in_comment = c != "\n"
            comment[i] = float(in_comment)
        elif c == "#":
            in_comment, comment[i] = True, 1.0
        elif c in "'\"":
            quote = c * 3 if text.startswith(c * 3, i) else c
            span = len(quote)
            string[i:i + span] = 1.0
            triple[i:i + span] = float(span == 3)
        elif c in "([{":
            level += 1
        elif c in ")]}":
            level = max(level - 1, 0)
        depth[i:i + span] = level
        i += span
    return string, triple, comment, depth


def text_features(text):
    """What a reader of Python sees at each character of `text` (a str of length L), as the
    state after reading it: {name: (L,) float array} for the names of FEATURES:
      string                1 inside a string literal (its opening quotes included, its last
                            closing quote not), else 0; triple-quoted string: the same for
                            strings in triple quotes (docstrings) only;
      comment               1 from a # (outside strings) to the end of its line, the newline 0;
      bracket depth         how many (, [ and { are open (outside strings and comments);
      inside brackets       1 where the depth is above 0;
      indentation           the leading spaces of the line read so far (0 at a newline);
      column                the characters read since the last newline (0 at the newline);
      def/class line        1 after a line's first word def, class or async def and its space,
                            to the end of the line (not for lines inside a string).
    """
    string, triple, comment, depth = _scan(text)
    L = len(text)
    indentation, column, header = np.zeros(L), np.zeros(L), np.zeros(L)
    start = 0
    for line in text.split("\n"):
        lead = len(line) - len(line.lstrip(" "))
        k = np.arange(1, len(line) + 1)
        column[start:start + len(line)] = k
        indentation[start:start + len(line)] = np.minimum(k, lead)
        match = HEADER.match(line, lead)
        at = start + lead
        if match and not (at > 0 and string[at - 1]):
            header[start + match.end() - 1:start + len(line)] = 1.0
        start += len(line) + 1                   # the newline keeps column = indentation = 0
    return {"string": string, "triple-quoted string": triple, "comment": comment,
            "bracket depth": depth, "inside brackets": (depth > 0).astype(float),
            "indentation": indentation, "column": column, "def/class line": header}


# --------------------------------------------------------------------------------- the search

def correlations(values, features):
    """Pearson's r between every unit and every feature over the text: values (L, H), features
    {name: (L,)} -> (names, r (H, F)); r = 0 where a unit or a feature does not vary."""
    names = list(features)
    X = np.asarray(values, dtype=float)
    Y = np.stack([np.asarray(features[name], dtype=float) for name in names], axis=1)
    X = X - X.mean(axis=0)
    Y = Y - Y.mean(axis=0)
    x_norm, y_norm = np.sqrt(np.sum(X * X, axis=0)), np.sqrt(np.sum(Y * Y, axis=0))
    varies_x = x_norm > 1e-9 * np.sqrt(len(X))
    varies_y = y_norm > 1e-9 * np.sqrt(len(Y))
    r = (X.T @ Y) / np.outer(np.where(varies_x, x_norm, 1.0), np.where(varies_y, y_norm, 1.0))
    r[~varies_x, :] = 0.0
    r[:, ~varies_y] = 0.0
    return names, np.clip(r, -1.0, 1.0)


def find_units(values, features, top=None):
    """Every (unit, feature, r) pair of values (L, H) (a unit's cell state or hidden state at each
    character) and features ({name: (L,)}, e.g. text_features), ranked by |r| (largest first),
    r Pearson's correlation over the text; pairs with r = 0 (nothing varies) are left out. `top`:
    keep only the first so many."""
    names, r = correlations(values, features)
    order = np.argsort(-np.abs(r), axis=None, kind="stable")
    ranked = [(int(u), names[f], float(r[u, f]))
              for u, f in zip(*np.unravel_index(order, r.shape)) if r[u, f] != 0.0]
    return ranked[:top] if top is not None else ranked


def best_per_feature(ranking):
    """{feature: (unit, r)}: the best-ranked unit of each feature in a find_units ranking."""
    best = {}
    for unit, feature, r in ranking:
        best.setdefault(feature, (unit, r))
    return best


def distinct_units(ranking, count=LISTED):
    """Units worth offering: each feature's best unit first (strongest first), then the next
    best-ranked units; `count` of them, each named once, as [(unit, feature, r)] with the
    feature the unit was chosen for."""
    out, seen = [], set()
    for pass_ in ("per feature", "any"):
        features = set()
        for unit, feature, r in ranking:
            if len(out) == count:
                return out
            if unit in seen or (pass_ == "per feature" and feature in features):
                continue
            features.add(feature)
            seen.add(unit)
            out.append((unit, feature, r))
    return out


def tracked(ranking, threshold=THRESHOLD, baseline=None, margin=MARGIN):
    """{feature: (unit, r)}: the features that some unit tracks, each with its best unit: |r| >=
    threshold and, given `baseline` (the ranking of the same search, on the same text, of an
    untrained network of the same size), |r| >= the baseline's best |r| for that feature plus
    `margin`."""
    chance = {f: abs(r) for f, (_, r) in best_per_feature(baseline or []).items()}
    return {feature: (unit, r) for feature, (unit, r) in best_per_feature(ranking).items()
            if abs(r) >= threshold and
            (baseline is None or abs(r) >= chance.get(feature, 0.0) + margin)}


def verdict(ranking, threshold=THRESHOLD, baseline=None, margin=MARGIN):
    """What the search found, in one honest paragraph (str): the features some unit tracks (with
    the unit and r, see `tracked`), and those no unit tracks (with the best r there is, and the
    untrained network's best if `baseline` is given)."""
    found = tracked(ranking, threshold, baseline, margin)
    chance = best_per_feature(baseline or [])

    def untrained(feature):
        return (f", untrained {abs(chance[feature][1]):.2f}" if feature in chance else "")

    rule = f"|r| >= {threshold:g}" + (f" and at least {margin:g} above an untrained network's "
                                      "best" if baseline is not None else "")
    if found:
        said = (f"Units that track something a person can name ({rule}): " + "; ".join(
            f"unit {unit} follows {feature!r} (r = {r:+.2f}{untrained(feature)})"
            for feature, (unit, r) in found.items()) + ".")
    else:
        said = f"No unit of this model tracks any of these features ({rule})."
    missed = [f"{feature!r} (best: unit {unit}, r = {r:+.2f}{untrained(feature)})"
              for feature, (unit, r) in best_per_feature(ranking).items() if feature not in found]
    if missed:
        said += " Not tracked: " + "; ".join(missed) + "."
    return said


# ------------------------------------------------------------------------------ the measurement

def code_lines(text, first, count):
    """`count` whole lines of `text` from line `first` (0-based), each with its newline: a
    snippet for the viewer that starts where a line starts (as the model's state does not)."""
    return "".join(text.splitlines(keepends=True)[first:first + count])


def one_hot(ids, V):
    """x (L, 1, V): the characters ids (L,) as one-hot vectors, a batch of N = 1."""
    ids = np.asarray(ids, dtype=np.int64)
    x = np.zeros((len(ids), 1, V))
    x[np.arange(len(ids)), 0, ids] = 1.0
    return x


def cell_trace(lstm_forward, params, text, chars, context=""):
    """Run the learner's lstm_forward once over context + text (strings whose characters are all
    in `chars`, the V characters by id) from h0 = C0 = 0 (1, H), and search its units over
    `text`. The context (say a few hundred characters that come before the text) only lets the
    state settle: a state that starts at zero is not yet typical, and a search that included
    those first characters would find units that merely leave zero.

    Returns a dict: text, context, ids (L,) of the text; values {quantity: (L, H)} for
    QUANTITIES over the text (Cs, tanh(Cs), hs of the batch's one sequence); features
    (text_features(text)); r {quantity: (H, F)} the correlations, names (the F features' names);
    ranking (find_units on SEARCH); H.

    Raises LearnerCodeFailed naming lstm_forward if it raised or returned a wrong shape.
    """
    if not text:
        raise ValueError("the text to colour is empty")
    index = {c: i for i, c in enumerate(chars)}
    unknown = sorted(set(context + text) - set(index))
    if unknown:
        raise ValueError(f"characters the model does not know: {''.join(unknown)!r}")
    ids = np.array([index[c] for c in context + text], dtype=np.int64)
    L, V, H = len(ids), len(chars), params["W_f"].shape[0]
    result = run_learner("lstm_forward", lstm_forward, one_hot(ids, V), np.zeros((1, H)),
                         np.zeros((1, H)), params)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise LearnerCodeFailed("lstm_forward", "should return two arrays: hs, Cs")
    shown = slice(len(context), L)
    hs = shaped("lstm_forward", result[0], (L, 1, H), "hs (T, N, H)")[shown, 0]
    Cs = shaped("lstm_forward", result[1], (L, 1, H), "Cs (T, N, H)")[shown, 0]
    values = {"cell state C": Cs, "tanh(C)": np.tanh(Cs), "hidden state h": hs}
    features = text_features(text)
    r = {}
    for quantity, value in values.items():
        names, r[quantity] = correlations(value, features)
    return {"text": text, "context": context, "ids": ids[shown], "values": values,
            "features": features, "r": r, "names": names,
            "ranking": find_units(values[SEARCH], features), "H": H}


def unit_summary(trace, unit, quantity):
    """(feature, r, low, high): the unit's strongest feature for `quantity` with its r, and the
    unit's smallest and largest value over the text."""
    r = trace["r"][quantity][unit]
    best = int(np.argmax(np.abs(r)))
    value = trace["values"][quantity][:, unit]
    return trace["names"][best], float(r[best]), float(value.min()), float(value.max())


# ----------------------------------------------------------------------------------------- plot

MAX_COLUMNS = 100               # longer lines wrap
LINE = 1.3                      # a row's height, in font sizes
SMALLEST = 6.5                  # points: rows that do not fit at this size are left out
PAD = 4                         # pixels between the panel's frame and the grid
WHITE_SHARE = 0.35              # the colours are mixed with this much white, so text stays legible
LONGEST_TITLE = "unit 127 (tanh C): triple-quoted string, r = -0.00"


def char_grid(text, columns):
    """cells (rows, columns) int: the index in `text` of the character in each cell of the grid
    (-1 where none). Every character takes a cell, a newline the one after its line's last
    character; the next character starts a new row, as does a line longer than `columns`."""
    places, row, col = [], 0, 0
    for k, c in enumerate(text):
        if col == columns:
            row, col = row + 1, 0
        places.append((row, col))
        row, col = (row + 1, 0) if c == "\n" else (row, col + 1)
    rows = places[-1][0] + 1 if places else 0
    cells = np.full((rows, columns), -1, dtype=np.int64)
    for k, (row, col) in enumerate(places):
        cells[row, col] = k
    return cells


def soft_colormap():
    """The course's diverging colours (PuOr_r: purple low, orange high) mixed with white."""
    import matplotlib as mpl
    from matplotlib.colors import ListedColormap

    base = mpl.colormaps[DIVERGING](np.linspace(0, 1, 256))[:, :3]
    return ListedColormap(WHITE_SHARE + (1 - WHITE_SHARE) * base, name="cells")


def _measure(fig, ax, size):
    """(advance, pitch): a monospace character's advance at `size` points and a row's height,
    in pixels."""
    renderer = fig.canvas.get_renderer()
    probe = ax.text(0, 0, "0", family="monospace", size=size)
    one = probe.get_window_extent(renderer).width
    probe.set_text("0" * 101)
    advance = (probe.get_window_extent(renderer).width - one) / 100
    probe.remove()
    return advance, LINE * size * fig.dpi / 72


def _fit(fig, ax, text):
    """Font size, cells (rows, columns) of the part of `text` that fits the panel, and the
    panel's inner box (x0, y0, x1, y1) in whole pixels."""
    import matplotlib as mpl

    box = ax.get_window_extent()
    x0, y0 = int(np.ceil(box.x0 + PAD)), int(np.ceil(box.y0 + PAD))
    x1, y1 = int(np.floor(box.x1 - PAD)), int(np.floor(box.y1 - PAD))
    longest = max((len(line) + 1 for line in text.split("\n")), default=1)
    columns = min(longest, MAX_COLUMNS)
    cells = char_grid(text, columns)
    advance, pitch = _measure(fig, ax, 10.0)
    # (2% to spare: a glyph's advance is not exactly proportional to the font's size)
    size = min(mpl.rcParams["font.size"], 9.8 * (x1 - x0) / (columns * advance),
               9.8 * (y1 - y0) / (max(len(cells), 1) * pitch))
    if size < SMALLEST:
        size = SMALLEST
        advance, pitch = _measure(fig, ax, size)
        columns = min(columns, int((x1 - x0) // advance))
        cells = char_grid(text, columns)
        cells = cells[:int((y1 - y0) // pitch)]
    return size, cells, (x0, y0, x1, y1)


def _layout(fig, text):
    """The grid of `text` on one panel with a colour bar, laid out once; the characters are
    drawn as static text, and the colour layer (a FigureImage over the grid's pixels) is the
    only thing that changes. Returns the artists and the geometry that the colours need."""
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import Normalize

    cmap = soft_colormap()
    with laid_out_once(fig):
        ax = fig.add_subplot()
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_alpha(0.3)
        title = ax.set_title(LONGEST_TITLE, loc="left")
        # Shorter than the panel, so that its top label stays below the panel's title.
        bar = fig.colorbar(ScalarMappable(Normalize(-1, 1), cmap), ax=ax, fraction=0.03,
                           pad=0.015, shrink=0.9, anchor=(0.0, 0.0), ticks=[-1, 0, 1])
        bar.ax.set_yticklabels(["\u22121", "0", "+1"])
        bar.set_label("value \u00f7 largest |value|")
    size, cells, (x0, y0, x1, y1) = _fit(fig, ax, text)
    advance, pitch = _measure(fig, ax, size)
    rows, columns = cells.shape
    top = y1
    box = ax.get_window_extent()
    placed = {"family": "monospace", "size": size, "parse_math": False, "va": "baseline",
              "ha": "left", "transform": ax.transAxes}
    texts = []
    for row in range(rows):
        chars = ["" if k < 0 else text[k] for k in cells[row]]
        # A leading space puts every row's first glyph exactly one advance from its start.
        letters = " " + "".join(" " if c in ("", "\n") else c for c in chars).rstrip()
        marks = " " + "".join("\u21b5" if c == "\n" else " " for c in chars).rstrip()
        baseline = top - (row + 0.5) * pitch - 0.27 * size * fig.dpi / 72
        at = ((x0 - advance - box.x0) / box.width, (baseline - box.y0) / box.height)
        if letters.strip():
            texts.append(ax.text(*at, letters, color="black", **placed))
        if marks.strip():
            texts.append(ax.text(*at, marks, color="0.6", **placed))
    # The characters as the canvas draws them: the colour layer multiplies these pixels.
    fig.canvas.draw()
    height = int(fig.bbox.height)
    width_px, height_px = int(np.ceil(columns * advance)), int(np.ceil(rows * pitch))
    y_low = max(top - height_px, y0)
    pixels = np.asarray(fig.canvas.buffer_rgba())[height - top:height - y_low,
                                                  x0:x0 + width_px, :3]
    background = pixels.astype(np.float32) / 255.0
    row_of = ((np.arange(top - y_low) + 0.5) // pitch).astype(int)     # pixel rows, from the top
    col_of = ((np.arange(width_px) + 0.5) // advance).astype(int)
    inside = (row_of[:, None] < rows) & (col_of[None, :] < columns)
    where = np.where(inside, cells[np.minimum(row_of, rows - 1)[:, None],
                                   np.minimum(col_of, columns - 1)[None, :]], -1)
    layer = fig.figimage(np.zeros(background.shape[:2] + (4,), dtype=np.uint8), xo=x0,
                         yo=y_low, origin="upper")
    return {"text": text, "cells": cells, "size": size, "title": title, "layer": layer,
            "texts": texts, "where": where, "background": background, "cmap": cmap,
            "shown": int(np.count_nonzero(cells >= 0))}


# What the BlitRenderer redraws, in this order.
ANIMATED = ("layer", "title")


def cell_colours(values, cmap):
    """RGB (L + 1, 3) of each character's value, the values scaled by their largest |value|
    (so -max is the colour bar's bottom, +max its top), and white last (for empty cells)."""
    scale = np.max(np.abs(values))
    scaled = values / scale if scale > 0 else np.zeros_like(values)
    rgb = cmap((scaled + 1) / 2)[:, :3]
    return np.vstack([rgb, np.ones((1, 3))]).astype(np.float32)


def draw_cells(fig, trace, unit, quantity=SEARCH):
    """Draw the trace's text on `fig`, each character's cell coloured by `unit`'s `quantity`
    (one of QUANTITIES) after reading it, scaled by the unit's largest |value| over the text.
    Built on the first call for this text, updated in place afterwards."""
    artists = getattr(fig, "_cell_artists", None)
    if artists is None or artists["text"] != trace["text"]:
        artists = fig._cell_artists = _layout(fig, trace["text"])
    colours = cell_colours(trace["values"][quantity][:, unit], artists["cmap"])
    rgb = colours[artists["where"]] * artists["background"]
    image = np.empty(rgb.shape[:2] + (4,), dtype=np.uint8)
    image[..., :3] = np.round(rgb * 255)
    image[..., 3] = 255
    artists["layer"].set_data(image)
    feature, r, _, _ = unit_summary(trace, unit, quantity)
    artists["title"].set_text(f"unit {unit} ({SYMBOLS[quantity]}): {feature}, r = {r:+.2f}")
    return fig


def describe(trace, unit, quantity, shown=None):
    """The status line: the unit, the feature it tracks best over the trace's text, r, and what
    the colours span."""
    feature, r, low, high = unit_summary(trace, unit, quantity)
    strength = (f"it tracks it (|r| >= {THRESHOLD:g})" if abs(r) >= THRESHOLD else
                f"too weak to say it tracks anything (|r| < {THRESHOLD:g})")
    said = (f"<b>Unit {unit} ({html.escape(quantity)}): strongest feature "
            f"{html.escape(repr(feature))}, r = {r:+.2f}</b> over these {len(trace['text'])} "
            f"characters: {strength}. Its values run from {low:+.2f} to {high:+.2f}; the colour "
            f"is the value divided by {max(abs(low), abs(high)):.2f}")
    if shown is not None and shown < len(trace["text"]):
        said += f"; the plot shows the first {shown} characters"
    return said + "."


class CellViewer(Explorer):
    """The text coloured by one LSTM unit, after Karpathy et al. (2015): choose what to colour by
    (cell state C, tanh(C) or hidden state h), one of the units the search found (labelled with
    its feature and r) or any unit with the slider. Use: `CellViewer(lstm_forward, params, text,
    chars, context=...)` as the last line of a cell (the learner's lstm_forward; params the
    trained model's gates; text some hundreds of characters of the validation split, whole lines,
    e.g. code_lines(validation, first, 20); context the text just before it, read first so the
    state has settled; units: the units to offer, as unit numbers or as (unit, feature, r) of a
    search over a longer text, e.g. distinct_units(cell_trace(...)["ranking"]); else those of the
    search over `text`). The forward pass and the search run once; a control only recolours."""

    def __init__(self, lstm_forward, gate_params, text, chars, units=None, quantity=SEARCH,
                 context=""):
        self.lstm_forward, self.params = lstm_forward, gate_params
        self.text, self.chars, self.context = text, list(chars), context
        self.cells = None
        H = gate_params["W_f"].shape[0]
        self._units = None if units is None else list(units)
        self.found = {}                  # {dropdown label: unit}
        labels = self._found_labels()
        self._syncing = False
        first = self.found[labels[0]] if labels else 0
        self._assemble({
            "quantity": choice(list(QUANTITIES), quantity, "colour by"),
            "found": choice(labels or ["(none)"], labels[0] if labels else "(none)",
                            "found unit"),
            "unit": slider(first, 0, H - 1, 1, "unit"),
        }, new_figure(width=9.0, height=4.8))
        self.update()

    def _found_labels(self):
        """The dropdown's labels, from the search (empty if the learner's code failed)."""
        try:
            trace = self.measure()
        except LearnerCodeFailed:
            return []
        if self._units is None:
            chosen = distinct_units(trace["ranking"])
        else:                   # units, or (unit, feature, r) of a search elsewhere
            chosen = [tuple(u) if isinstance(u, (tuple, list)) else
                      (int(u), *unit_summary(trace, int(u), SEARCH)[:2]) for u in self._units]
        for unit, feature, r in chosen:
            self.found[f"unit {unit}: {feature} (r = {r:+.2f})"] = unit
        return list(self.found)

    def measure(self):
        """The trace: the learner's forward pass and the search, run once."""
        if self.cells is None:
            self.cells = cell_trace(self.lstm_forward, self.params, self.text, self.chars,
                                    self.context)
        return self.cells

    def changed(self, name):
        if self._syncing:
            return
        self._syncing = True
        try:                    # the dropdown and the slider show the same unit
            found, unit = self.controls["found"], self.controls["unit"]
            if name == "found" and found.value in self.found:
                unit.value = self.found[found.value]
            elif name == "unit":
                labels = [label for label, u in self.found.items() if u == unit.value]
                found.value = labels[0] if labels else None
        finally:
            self._syncing = False
        self.update()

    def compute(self):
        return self.measure()

    def draw(self, trace):
        draw_cells(self.figure, trace, self.controls["unit"].value,
                   self.controls["quantity"].value)
        return self.figure._cell_artists, ANIMATED

    def describe(self, trace):
        return describe(trace, self.controls["unit"].value, self.controls["quantity"].value,
                        self.figure._cell_artists["shown"])
