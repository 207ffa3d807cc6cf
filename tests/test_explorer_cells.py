"""Lesson 06's interpretable-cell viewer: text_features labels handmade Python as a reader sees it
(strings, triple quotes, escapes, comments, brackets, indentation, columns, def lines),
find_units ranks units by Pearson's r and finds a planted unit, the verdict says honestly what
was and was not found, the states are those of the learner's lstm_forward (after the context),
the colour layer shows the chosen unit's values over the static text, every control redraws (the
found-unit dropdown and the unit slider agree), and unfinished learner code is reported."""
import numpy as np
import pytest

from autograder.lessons import REFERENCE
from rnncourse.explore.cells import (FEATURES, MARGIN, THRESHOLD, CellViewer, cell_colours,
                                     cell_trace, char_grid, code_lines, correlations,
                                     distinct_units, draw_cells, find_units, one_hot,
                                     text_features, tracked, verdict)
from rnncourse.plots import new_figure
from rnncourse.text import Vocabulary, load_text, train_validation

TEXT = load_text()
CHARS = Vocabulary(TEXT).chars
VALIDATION = train_validation(TEXT)[1]
SNIPPET = code_lines(VALIDATION, 101, 20)
CONTEXT = code_lines(VALIDATION, 81, 20)
H = 16


def random_params(seed=0, H=H, V=len(CHARS)):
    rng = np.random.default_rng(seed)
    params = {}
    for gate in "fiCo":
        params[f"W_{gate}"] = rng.normal(0, 0.5, (H, H + V))
        params[f"b_{gate}"] = rng.normal(0, 0.5, H)
    return params


PARAMS = random_params()


def feature(text, name):
    return list(text_features(text)[name].astype(int))


# --- what a person sees ---------------------------------------------------------------------------

def test_a_string_starts_at_its_opening_quote_and_ends_after_its_closing_one():
    text = 'x = "a#(b"\n'
    assert feature(text, "string") == [0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0]
    assert feature(text, "comment") == [0] * 11              # a # inside a string
    assert feature(text, "bracket depth") == [0] * 11        # a bracket inside a string
    assert feature(text, "triple-quoted string") == [0] * 11


def test_triple_quotes_span_lines_and_hold_other_quotes():
    text = "s = '''a\n\"b\"'''\nc"
    assert feature(text, "string") == [0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    assert feature(text, "triple-quoted string") == feature(text, "string")
    assert feature('""x', "string") == [1, 0, 0]             # an empty string, not a triple


def test_an_escaped_quote_does_not_close_and_an_open_one_line_string_ends_with_its_line():
    assert feature('"a\\"b" c', "string") == [1, 1, 1, 1, 1, 0, 0, 0]
    assert feature("'ab\ncd", "string") == [1, 1, 1, 0, 0, 0]


def test_a_comment_runs_to_the_end_of_its_line_and_hides_brackets_and_quotes():
    text = 'x  # (a "b\ny'
    assert feature(text, "comment") == [0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0]
    assert feature(text, "bracket depth") == [0] * 12
    assert feature(text, "string") == [0] * 12


def test_bracket_depth_counts_every_kind_of_bracket():
    text = "f(a[1], {2})"
    assert feature(text, "bracket depth") == [0, 1, 1, 2, 2, 1, 1, 1, 2, 2, 1, 0]
    assert feature(text, "inside brackets") == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0]
    assert feature(")x", "bracket depth") == [0, 0]          # never below zero


def test_indentation_and_column_count_the_characters_read_on_the_line():
    text = "    x = 1\n  y\n"
    assert feature(text, "indentation") == [1, 2, 3, 4, 4, 4, 4, 4, 4, 0, 1, 2, 2, 0]
    assert feature(text, "column") == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 0]


def test_a_def_or_class_line_starts_after_its_keyword():
    text = "  def f():\nclass A:\nx\n"
    assert feature(text, "def/class line") == [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0,
                                               0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0]
    assert feature("define = 1\n", "def/class line") == [0] * 11
    assert sum(feature('"""\ndef f"""\n', "def/class line")) == 0     # inside a docstring


def test_every_feature_has_a_value_per_character():
    features = text_features(SNIPPET)
    assert tuple(features) == FEATURES
    for name, values in features.items():
        assert values.shape == (len(SNIPPET),) and values.dtype == float, name
    for name in ("string", "triple-quoted string", "comment", "inside brackets",
                 "def/class line", "bracket depth"):
        assert features[name].max() >= 1, name                  # the snippet has each


# --- the search -----------------------------------------------------------------------------------

def test_correlations_are_pearsons_r():
    rng = np.random.default_rng(0)
    values = rng.normal(size=(300, 5))
    features = {"a": rng.normal(size=300), "b": values[:, 2] + rng.normal(size=300)}
    names, r = correlations(values, features)
    assert names == ["a", "b"] and r.shape == (5, 2)
    for unit in range(5):
        for f, name in enumerate(names):
            assert r[unit, f] == pytest.approx(np.corrcoef(values[:, unit], features[name])[0, 1])
    values[:, 3] = 7.0                                        # a unit that never changes
    assert np.all(correlations(values, features)[1][3] == 0)


def test_find_units_finds_a_planted_unit():
    """Cs of a text: noise, except unit 7 = bracket depth plus noise and unit 3 = -string plus
    noise (a unit that is low inside strings)."""
    features = text_features(VALIDATION[:3000])
    rng = np.random.default_rng(1)
    Cs = rng.normal(size=(3000, 40))
    Cs[:, 7] = features["bracket depth"] + 0.3 * rng.normal(size=3000)
    Cs[:, 3] = -features["string"] + 0.3 * rng.normal(size=3000)
    ranking = find_units(Cs, features)
    assert len(ranking) == 40 * len(FEATURES)
    assert [abs(r) for _, _, r in ranking] == sorted((abs(r) for _, _, r in ranking), reverse=True)
    best = {(unit, name): r for unit, name, r in ranking[:4]}
    assert best[7, "bracket depth"] > 0.7 and best[3, "string"] < -0.7
    assert best[7, "bracket depth"] == pytest.approx(
        np.corrcoef(Cs[:, 7], features["bracket depth"])[0, 1])
    assert find_units(Cs, features, top=3) == ranking[:3]
    assert [u for u, _, _ in distinct_units(ranking, 3)][:2] in ([7, 3], [3, 7])
    found = tracked(ranking)
    assert found["bracket depth"][0] == 7 and found["string"][0] == 3
    assert set(found) <= {"bracket depth", "inside brackets", "string",
                          "triple-quoted string"}
    said = verdict(ranking)
    assert "unit 7 follows 'bracket depth'" in said and "unit 3 follows 'string'" in said
    unit, r = next((u, r) for u, f, r in ranking if f == "comment")
    assert " Not tracked: " in said and f"'comment' (best: unit {unit}, r = {r:+.2f})" in said


def test_the_verdict_says_so_when_nothing_is_tracked_and_weighs_an_untrained_baseline():
    features = text_features(VALIDATION[:2000])
    rng = np.random.default_rng(2)
    noise = rng.normal(size=(2000, 30))
    ranking = find_units(noise, features)
    assert tracked(ranking) == {}
    said = verdict(ranking)
    assert said.startswith(f"No unit of this model tracks any of these features (|r| >= "
                           f"{THRESHOLD:g})")
    planted = noise.copy()
    planted[:, 4] = features["column"] + 25 * rng.normal(size=2000)     # r about 0.6
    baseline_units = noise.copy()
    baseline_units[:, 9] = features["column"] + 30 * rng.normal(size=2000)
    ranked, baseline = find_units(planted, features), find_units(baseline_units, features)
    r, chance = dict(((u, f), r) for u, f, r in ranked)[4, "column"], \
        dict(((u, f), r) for u, f, r in baseline)[9, "column"]
    assert r >= THRESHOLD and chance > r - MARGIN      # strong, but an untrained net does as well
    assert tracked(ranked)["column"][0] == 4
    assert "column" not in tracked(ranked, baseline=baseline)
    said = verdict(ranked, baseline=baseline)
    assert f"'column' (best: unit 4, r = {r:+.2f}, untrained {abs(chance):.2f})" in said


# --- the measurement ------------------------------------------------------------------------------

def test_the_states_are_the_learners_lstm_forward_after_the_context():
    trace = cell_trace(REFERENCE["lstm_forward"], PARAMS, SNIPPET, CHARS, context=CONTEXT)
    ids = [CHARS.index(c) for c in CONTEXT + SNIPPET]
    x = one_hot(ids, len(CHARS))
    assert x.shape == (len(ids), 1, len(CHARS)) and np.all(x.sum(axis=2) == 1)
    hs, Cs = REFERENCE["lstm_forward"](x, np.zeros((1, H)), np.zeros((1, H)), PARAMS)
    np.testing.assert_allclose(trace["values"]["cell state C"], Cs[len(CONTEXT):, 0])
    np.testing.assert_allclose(trace["values"]["tanh(C)"], np.tanh(Cs[len(CONTEXT):, 0]))
    np.testing.assert_allclose(trace["values"]["hidden state h"], hs[len(CONTEXT):, 0])
    assert trace["ids"].tolist() == ids[len(CONTEXT):]
    assert trace["ranking"] == find_units(Cs[len(CONTEXT):, 0], text_features(SNIPPET))
    cold = cell_trace(REFERENCE["lstm_forward"], PARAMS, SNIPPET, CHARS)
    assert not np.allclose(cold["values"]["cell state C"][:3], trace["values"]["cell state C"][:3])


def test_char_grid_places_each_character_and_wraps():
    np.testing.assert_array_equal(char_grid("ab\ncd", 3), [[0, 1, 2], [3, 4, -1]])
    np.testing.assert_array_equal(char_grid("abcd\ne", 3), [[0, 1, 2], [3, 4, -1], [5, -1, -1]])
    assert char_grid("", 4).shape == (0, 4)


def test_code_lines_keeps_whole_lines():
    assert code_lines("a\nbb\nccc\nd", 1, 2) == "bb\nccc\n"


# --- the plot and the widget ----------------------------------------------------------------------

def test_the_colour_layer_shows_the_units_values_over_the_static_text():
    trace = cell_trace(REFERENCE["lstm_forward"], PARAMS, SNIPPET, CHARS, context=CONTEXT)
    fig = draw_cells(new_figure(width=9.0, height=4.8), trace, unit=5, quantity="tanh(C)")
    artists = fig._cell_artists
    rows = ["".join(" " if k < 0 or SNIPPET[k] == "\n" else SNIPPET[k] for k in row).rstrip()
            for row in artists["cells"]]
    drawn = [t.get_text()[1:] for t in artists["texts"] if t.get_color() == "black"]
    assert drawn == [row for row in rows if row.strip()]
    assert artists["shown"] == len(SNIPPET)
    image = artists["layer"].get_array()
    where, background = artists["where"], artists["background"]
    colours = cell_colours(trace["values"]["tanh(C)"][:, 5], artists["cmap"])
    paper = np.all(background == 1.0, axis=2)        # pixels without ink: the colour alone
    np.testing.assert_allclose(image[paper][:, :3], np.round(255 * colours[where[paper]]),
                               atol=1)
    ink = background.min(axis=2) < 0.3                # on ink the colour is darkened
    assert np.all(image[ink][:, :3].max(axis=1) < 0.35 * 255)
    values = trace["values"]["tanh(C)"][:, 5]
    extreme = int(np.argmax(np.abs(values)))                # an end of the colour bar
    end = artists["cmap"](0.0 if values[extreme] < 0 else 1.0)[:3]
    np.testing.assert_allclose(colours[extreme], end, atol=1e-6)
    np.testing.assert_allclose(colours[-1], 1.0)            # empty cells stay white
    assert artists["title"].get_text().startswith("unit 5 (tanh C): ")
    draw_cells(fig, trace, unit=6, quantity="hidden state h")
    assert fig._cell_artists is artists and not np.array_equal(
        artists["layer"].get_array(), image)


def test_controls_redraw_and_the_dropdown_and_slider_agree():
    viewer = CellViewer(REFERENCE["lstm_forward"], PARAMS, SNIPPET, CHARS, context=CONTEXT)
    ranking = viewer.trace["ranking"]
    found = viewer.controls["found"]
    assert list(found.options) == [f"unit {u}: {f} (r = {r:+.2f})"
                                   for u, f, r in distinct_units(ranking)]
    assert viewer.controls["unit"].value == ranking[0][0]
    assert f"<b>Unit {ranking[0][0]} (cell state C)" in viewer.status.value
    label = found.options[2]
    for name, value in [("found", label), ("quantity", "hidden state h"), ("unit", 0),
                        ("quantity", "tanh(C)"), ("unit", H - 1)]:
        image, status = viewer.image.value, viewer.status.value
        viewer.controls[name].value = value
        assert viewer.image.value != image and viewer.status.value != status, (name, value)
        if name == "found":
            assert viewer.controls["unit"].value == distinct_units(ranking)[2][0]
    unit = viewer.controls["unit"].value
    assert found.value == next((l for l in found.options if l.startswith(f"unit {unit}:")), None)
    feature, r = viewer.trace["names"], viewer.trace["r"]["tanh(C)"][unit]
    best = int(np.argmax(np.abs(r)))
    assert (f"<b>Unit {unit} (tanh(C)): strongest feature &#x27;{feature[best]}&#x27;, "
            f"r = {r[best]:+.2f}</b>") in viewer.status.value


def test_units_of_a_search_elsewhere_are_offered_as_given():
    viewer = CellViewer(REFERENCE["lstm_forward"], PARAMS, SNIPPET, CHARS,
                        units=[(3, "string", 0.61), 9])
    labels = list(viewer.controls["found"].options)
    assert labels[0] == "unit 3: string (r = +0.61)" and labels[1].startswith("unit 9: ")
    assert viewer.controls["unit"].value == 3


def test_unfinished_or_wrong_learner_code_shows_a_message_not_a_crash():
    def unfinished(*args):
        raise NotImplementedError("write me")

    viewer = CellViewer(unfinished, PARAMS, SNIPPET, CHARS)
    assert viewer.trace is None
    assert "Your lstm_forward raised NotImplementedError" in viewer.status.value
    viewer.controls["unit"].value = 3                        # still no crash
    assert "Your lstm_forward raised" in viewer.status.value

    def batch_major(x, h0, C0, params):
        hs, Cs = REFERENCE["lstm_forward"](x, h0, C0, params)
        return hs.transpose(1, 0, 2), Cs

    viewer = CellViewer(batch_major, PARAMS, SNIPPET, CHARS)
    assert f"Your lstm_forward returned shape (1, {len(SNIPPET)}, {H})" in viewer.status.value
