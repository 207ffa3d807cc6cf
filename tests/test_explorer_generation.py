"""Lesson 06's generation explorer: with the reference functions as the learner's, the model reads
the prompt through the learner's lstm_step and readout (the same scores as lstm_forward over the
whole prompt), the text is exactly what the learner's sample draws with the seed, the bars are
softmax(logits / T) (sharper below T = 1, flatter above), the plot shows the trace, every control
redraws, and unfinished learner code is reported in the status line, naming the culprit."""
import importlib.util

import numpy as np
import pytest

from autograder.lessons import REFERENCE
from autograder.release import ROOT
from rnncourse.explore.generation import (PRIMER, SHOWN, TOP, GenerationExplorer, GlyphAtlas,
                                          char_step, draw_generation, generation_trace,
                                          load_char_lstm, text_grid, words_of)
from rnncourse.plots import new_figure
from rnncourse.text import Vocabulary, load_text, train_validation

NAMES = ("sample", "softmax", "lstm_step", "readout")
FUNCTIONS = {name: REFERENCE[name] for name in NAMES}
CHECKPOINT = ROOT / "solutions" / "06_char_lstm" / "char_lstm.npz"
TEXT = load_text()
CHARS = Vocabulary(TEXT).chars
TRAIN = train_validation(TEXT)[0]
H = 24


def random_model(seed=0, H=H, V=len(CHARS)):
    """A model of the checkpoint's layout with random weights (large enough that the scores
    differ clearly from character to character)."""
    rng = np.random.default_rng(seed)
    params = {}
    for gate in "fiCo":
        params[f"W_{gate}"] = rng.normal(0, 0.5, (H, H + V)).astype(np.float32)
        params[f"b_{gate}"] = rng.normal(0, 0.5, H).astype(np.float32)
    return {"params": params, "W_hy": rng.normal(0, 1.0, (V, H)).astype(np.float32),
            "b_y": rng.normal(0, 0.5, V).astype(np.float32), "chars": CHARS}


MODEL = random_model()


def trace_of(**settings):
    return generation_trace(**FUNCTIONS, **MODEL, **settings)


def softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


# --- the measurement ------------------------------------------------------------------------------

@pytest.mark.parametrize("prompt", ["def ", "    return ", "if __name__"])
def test_the_scores_after_the_prompt_are_those_of_lstm_forward_and_readout(prompt):
    """The step-by-step run (char_step) against one lstm_forward over newline + prompt."""
    trace = trace_of(prompt=prompt, length=20)
    ids = [CHARS.index(c) for c in PRIMER + prompt]
    x = np.zeros((len(ids), 1, len(CHARS)))
    x[np.arange(len(ids)), 0, ids] = 1.0
    hs, _ = REFERENCE["lstm_forward"](x, np.zeros((1, H)), np.zeros((1, H)), MODEL["params"])
    logits = REFERENCE["readout"](hs[-1:], MODEL["W_hy"], MODEL["b_y"])[0, 0]
    np.testing.assert_allclose(trace["logits"], logits, rtol=1e-6, atol=1e-9)
    assert list(trace["top"]) == list(np.argsort(-logits, kind="stable")[:TOP])


def test_the_text_is_what_the_learners_sample_draws_with_the_seed():
    trace = trace_of(prompt="class ", temperature=0.7, length=120, seed=5)
    step = char_step(REFERENCE["lstm_step"], REFERENCE["readout"], MODEL["params"],
                     MODEL["W_hy"], MODEL["b_y"])
    state = (np.zeros((1, H)), np.zeros((1, H)))
    for c in PRIMER + "class":
        _, state = step(CHARS.index(c), state)
    ids = REFERENCE["sample"](step, state, CHARS.index(" "), 120, 0.7, np.random.default_rng(5))
    np.testing.assert_array_equal(trace["ids"], ids)
    assert trace["text"] == "".join(CHARS[i] for i in ids) and len(trace["text"]) == 120
    again = trace_of(prompt="class ", temperature=0.7, length=120, seed=5)
    assert again["text"] == trace["text"]
    assert trace_of(prompt="class ", temperature=0.7, length=120, seed=6)["text"] != trace["text"]
    counts = np.bincount(ids, minlength=len(CHARS))
    assert trace["distinct"] == np.count_nonzero(counts)
    assert trace["repeated"] == pytest.approx(counts.max() / 120)
    assert trace["commonest"] == CHARS[np.argmax(counts)]


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 1.5, 2.0])
def test_the_bars_are_softmax_of_the_scores_divided_by_the_temperature(temperature):
    trace = trace_of(temperature=temperature, length=10)
    z = trace["logits"].astype(float)
    np.testing.assert_allclose(trace["p"], softmax(z / temperature), rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(trace["p_model"], softmax(z), rtol=1e-9, atol=1e-15)
    # log p_a - log p_b = (z_a - z_b) / T: the gaps between scores, shrunk or stretched by T
    a, b = trace["top"][:2]
    assert np.log(trace["p"][a] / trace["p"][b]) == pytest.approx((z[a] - z[b]) / temperature)
    assert trace["rest"] == pytest.approx(1 - trace["p"][trace["top"]].sum())
    assert trace["entropy"] == pytest.approx(-np.sum(trace["p"] * np.log2(trace["p"])))


def test_a_low_temperature_sharpens_and_a_high_one_flattens():
    traces = [trace_of(temperature=T, length=200, seed=1) for T in (0.1, 0.5, 1.0, 2.0)]
    top = [t["p"][t["top"][0]] for t in traces]
    entropy = [t["entropy"] for t in traces]
    assert top == sorted(top, reverse=True) and top[0] > 0.9
    assert entropy == sorted(entropy) and entropy[-1] < np.log2(len(CHARS))
    assert [t["rest"] for t in traces] == sorted(t["rest"] for t in traces)
    assert traces[0]["distinct"] < traces[-1]["distinct"]
    assert traces[0]["repeated"] > traces[-1]["repeated"]


def test_words_found_in_the_training_text_are_counted():
    words = words_of("def sample(self, n):\n    return n")
    assert words == {"def", "sample", "self", "n", "return"}
    trace = generation_trace(**FUNCTIONS, **MODEL, length=300, seed=2, words=words_of(TRAIN))
    assert set(trace["words"]) == words_of(trace["text"]) and len(trace["words"]) > 10
    assert trace["found"] == sum(word in words_of(TRAIN) for word in trace["words"])
    assert trace_of(length=50)["found"] is None


def test_a_prompt_with_a_character_the_model_does_not_know_is_refused():
    with pytest.raises(ValueError, match="does not know"):
        trace_of(prompt="d\u00e9f ")


def test_the_checkpoints_fused_gates_are_split_in_the_order_f_i_C_o(tmp_path):
    rng = np.random.default_rng(0)
    W, b = rng.normal(size=(4 * 5, 5 + 3)).astype(np.float32), np.arange(20.0)
    path = tmp_path / "model.npz"
    np.savez(path, W=W, b=b, W_hy=np.ones((3, 5)), b_y=np.zeros(3),
             chars=np.array(["a", "b", "\n"]))
    model = load_char_lstm(path)
    for k, gate in enumerate("fiCo"):
        np.testing.assert_array_equal(model["params"][f"W_{gate}"], W[5 * k:5 * (k + 1)])
        np.testing.assert_array_equal(model["params"][f"b_{gate}"], b[5 * k:5 * (k + 1)])
    assert model["chars"] == ["a", "b", "\n"] and model["W_hy"].shape == (3, 5)


@pytest.mark.skipif(not CHECKPOINT.exists(), reason="the lesson's checkpoint is not written yet")
def test_the_shipped_checkpoint_loads_as_the_lessons_model_gives_it():
    spec = importlib.util.spec_from_file_location("char_model", CHECKPOINT.parent / "char_model.py")
    char_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(char_model)
    expected = char_model.CharLSTM.load(CHECKPOINT).gate_params()
    model = load_char_lstm(CHECKPOINT)
    assert sorted(model["params"]) == sorted(expected)
    for name, value in expected.items():
        np.testing.assert_array_equal(model["params"][name], value)
    assert model["chars"] == CHARS


# --- the plot and the widget ----------------------------------------------------------------------

def test_the_atlas_puts_each_character_in_its_cell_in_its_colour():
    atlas = GlyphAtlas(CHARS, 10.0, 90)
    colours = np.zeros((2, 3, 3), dtype=np.float32)
    colours[0, 0] = (1.0, 0.0, 0.0)                       # the first character red
    image = atlas.render(["ab", "|"], colours, 2, 3)
    pitch, width = atlas.pitch, atlas.width
    assert image.shape == (2 * pitch, 3 * width, 4) and np.all(image[..., 3] == 255)
    ink = 255 - image[..., :3].min(axis=2)
    cell = [[ink[r * pitch:(r + 1) * pitch, c * width:(c + 1) * width].sum() for c in range(3)]
            for r in range(2)]
    assert cell[0][0] > 0 and cell[0][1] > 0 and cell[1][0] > 0
    assert cell[0][2] == cell[1][1] == cell[1][2] == 0    # nothing where no character is
    a = image[:pitch, :width, :3].reshape(-1, 3)
    darkest = a[np.argmin(a.sum(axis=1))]
    assert darkest[0] == 255 and darkest[1] < 100          # red ink, not black
    b = image[:pitch, width:2 * width, :3].reshape(-1, 3)
    assert b.min() < 60 and np.all(b[:, 0] == b[:, 1])     # black ink


def test_the_panel_wraps_clips_shows_newlines_and_marks_the_prompt():
    lines, colours = text_grid("def f\nabcdefgh\nx", 4, 5, 3)
    assert lines == ["def f", "\u21b5", "abcde"]       # a full line's newline wraps alone
    prompt, text, newline = colours[0, 0], colours[0, 4], colours[1, 0]
    assert len({tuple(prompt), tuple(text), tuple(newline)}) == 3
    assert all(np.array_equal(colours[0, k], prompt) for k in range(4))
    assert np.array_equal(colours[2, 0], text)
    lines, colours = text_grid("ab\ncd", 4, 3, 4)      # a prompt over a newline
    assert lines == ["ab\u21b5", "cd"]
    assert np.array_equal(colours[1, 0], colours[0, 0]) and np.array_equal(colours[1, 1], text)
    assert not np.array_equal(colours[0, 2], colours[0, 0])     # the newline stays grey


def test_plot_shows_the_trace():
    trace = trace_of(prompt="    return ", temperature=0.6, length=300, seed=3)
    fig = draw_generation(new_figure(width=9.0, height=4.8), trace)
    artists = fig._generation_artists
    cols, rows = artists["grid"]
    assert cols >= 40 and rows >= 15
    assert artists["lines"] == text_grid(trace["prompt"] + trace["text"], 11, cols, rows)[0]
    shown = "".join(line.replace(SHOWN["\n"], "\n") for line in artists["lines"])
    assert (trace["prompt"] + trace["text"]).startswith(shown) and len(shown) > 100
    top = trace["top"]
    heights = [p.vertices[:, 1].max() for p in artists["bars"].get_paths()]
    np.testing.assert_allclose(heights, list(trace["p"][top]) + [trace["rest"]], rtol=1e-6)
    outline = [p.vertices[:, 1].max() for p in artists["outline"].get_paths()]
    np.testing.assert_allclose(outline, list(trace["p_model"][top]) + [trace["rest_model"]],
                               rtol=1e-6)
    labels = [artists[f"label{k}"].get_text() for k in range(TOP + 1)]
    assert labels == [SHOWN.get(CHARS[i], CHARS[i]) for i in top] + ["rest"]
    assert artists["bar_title"].get_text() == "at T = 0.60"
    assert artists["sample_title"].get_text() == "300 characters at T = 0.60, seed 3"
    image = artists["text"].get_array()
    assert image.shape[:2] == (rows * artists["atlas"].pitch, cols * artists["atlas"].width)
    first = artists["text"]                 # a second draw updates the same artists
    draw_generation(fig, trace_of(prompt="def ", length=50))
    assert fig._generation_artists["text"] is first
    assert fig._generation_artists["lines"][0].startswith("def ")


def test_moving_controls_redraws_and_says_what_is_seen():
    explorer = GenerationExplorer(**{k: v for k, v in FUNCTIONS.items() if k != "softmax"},
                                  gate_params=MODEL["params"], W_hy=MODEL["W_hy"],
                                  b_y=MODEL["b_y"], chars=CHARS, softmax=FUNCTIONS["softmax"],
                                  words=words_of(TRAIN))
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert explorer.trace["prompt"] == "def " and "After &#x27;def &#x27;" in explorer.status.value
    assert "occur in the training text" in explorer.status.value
    moves = [("temperature", 0.3), ("prompt", "\u2423\u2423\u2423\u2423return\u2423"),
             ("length", 400), ("seed", 7)]
    for name, value in moves:
        image, status, trace = explorer.image.value, explorer.status.value, explorer.trace
        explorer.controls[name].value = value
        assert explorer.trace is not trace, name
        assert explorer.image.value != image, name
        assert explorer.status.value != status, name
    trace = explorer.trace
    assert (trace["prompt"], trace["temperature"], trace["length"], trace["seed"]) == \
        ("    return ", 0.3, 400, 7)
    assert f"p = {trace['p'][trace['top'][0]]:.2f}</b>" in explorer.status.value
    assert f"use {trace['distinct']} different characters" in explorer.status.value


def explorer_with(**replaced):
    functions = dict(FUNCTIONS, **replaced)
    return GenerationExplorer(functions["sample"], functions["lstm_step"], functions["readout"],
                              MODEL["params"], MODEL["W_hy"], MODEL["b_y"], CHARS,
                              softmax=functions["softmax"])


@pytest.mark.parametrize("broken", NAMES)
def test_unfinished_learner_code_shows_a_message_not_a_crash(broken):
    def unfinished(*args):
        raise NotImplementedError("write me")

    explorer = explorer_with(**{broken: unfinished})
    assert explorer.trace is None
    assert f"Your {broken} raised NotImplementedError" in explorer.status.value


def test_a_failure_inside_sample_names_the_step_function_not_sample():
    calls = []

    def fails_later(*args):
        calls.append(1)
        if len(calls) > 12:              # the prompt's five steps pass, then sample's fail
            raise ValueError("shapes do not align")
        return REFERENCE["lstm_step"](*args)

    explorer = explorer_with(lstm_step=fails_later)
    assert "Your lstm_step raised ValueError: shapes do not align" in explorer.status.value


def test_wrong_shapes_and_non_probabilities_are_named():
    explorer = explorer_with(readout=lambda hs, W_hy, b_y:
                             REFERENCE["readout"](hs, W_hy, b_y)[0, 0])
    assert "Your readout returned shape (96,), expected logits (T, N, V) = (1, 1, 96)" in \
        explorer.status.value
    explorer = explorer_with(softmax=lambda z: np.exp(z))
    assert "Your softmax returned values that are not probabilities" in explorer.status.value
    explorer = explorer_with(sample=lambda step, state, first, n, T, rng: np.zeros(n + 1, int))
    assert "Your sample returned shape" in explorer.status.value
    explorer = explorer_with(sample=lambda step, state, first, n, T, rng: np.full(n, 0.5))
    assert "Your sample should return character ids" in explorer.status.value
