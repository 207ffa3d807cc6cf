"""Lesson 06's training engine (solutions/06_char_lstm/char_model.py): the fused float32 LSTM and
the tanh RNN compute exactly lesson 04's and lessons 01/02's reference functions and their
gradients, a learner's own LSTM behind the same interface trains to the same weights, the state
carries from window to window, Adam and clipping do what they say, and the shipped files
(char_lstm.npz, rnn_vs_lstm_text.json) hold what the course's code computes from them.

char_model.py ships next to the learner's notebook, so it is loaded from its file here; the
functions it is given (readout, softmax_cross_entropy, stream_batches, clip_by_global_norm) are
the reference answers of the grading side, as a learner's would be.
"""
import importlib.util
import json
import math
import pathlib

import numpy as np
import pytest

from autograder.lessons import bptt, lstm_gates, rnn_update
from autograder.lessons.char_lstm import readout, sample, softmax_cross_entropy, stream_batches
from autograder.lessons.vanishing_gradients import clip_by_global_norm
from rnncourse.gradcheck import numerical_gradient
from rnncourse.text import Vocabulary, load_text, train_validation

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "solutions" / "06_char_lstm"
_spec = importlib.util.spec_from_file_location("lesson06_char_model", FOLDER / "char_model.py")
cm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cm)

V, H, T, N = 7, 5, 6, 3
REFERENCE = {"readout": readout, "softmax_cross_entropy": softmax_cross_entropy,
             "stream_batches": stream_batches, "clip": clip_by_global_norm}


def random_model(cls, dtype, seed=0, scale=0.5):
    """A model whose every parameter is random (not its initialisation), so that no gate, bias
    or block of W can be wrong without the tests seeing it."""
    model = cls(V, H, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 100)
    for value in model.params.values():
        value[...] = rng.normal(0.0, scale, size=value.shape)
    return model


def random_window(seed=1, T=T, N=N):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, V, size=(T, N)), rng.integers(0, V, size=(T, N)),
            rng.normal(size=(N, H)), rng.normal(size=(N, H)))


def gradient_error(analytic, numeric):
    """|analytic - numeric| / |numeric| (Frobenius norms): the loss is a mean over T N
    characters, so some entries are tiny and their elementwise relative error is the finite
    differences' rounding (about 1e-11 absolute), not a wrong gradient."""
    return float(np.linalg.norm(analytic - numeric) / np.linalg.norm(numeric))


def one_hot(xs):
    return np.eye(V)[xs]


def window_loss(model, xs, ys, state):
    hs, _, _ = model.forward(xs, state)
    return softmax_cross_entropy(readout(hs, model.params["W_hy"], model.params["b_y"]), ys)[0]


# --- the LSTM against lesson 04 -------------------------------------------------------------

@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_lstm_forward_is_lesson_04s_lstm_forward(dtype, tolerance):
    model = random_model(cm.CharLSTM, dtype)
    xs, _, h0, C0 = random_window()
    hs, (h_T, C_T), _ = model.forward(xs, (h0, C0))
    ref_hs, ref_Cs = lstm_gates.lstm_forward(one_hot(xs), h0, C0, model.gate_params())
    assert hs.shape == (T, N, H) and hs.dtype == dtype
    np.testing.assert_allclose(hs, ref_hs, atol=tolerance)
    np.testing.assert_allclose(h_T, ref_hs[-1], atol=tolerance)
    np.testing.assert_allclose(C_T, ref_Cs[-1], atol=tolerance)


@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_lstm_gradients_are_lesson_04s_lstm_backward(dtype, tolerance):
    model = random_model(cm.CharLSTM, dtype)
    xs, _, h0, C0 = random_window()
    dhs = np.random.default_rng(2).normal(size=(T, N, H))
    _, _, cache = model.forward(xs, (h0, C0))
    grads = model.backward(dhs.astype(dtype), cache)
    _, _, _, ref = lstm_gates.lstm_backward(dhs, one_hot(xs), h0, C0, model.gate_params())
    got = cm.split_gates(grads["W"], grads["b"])
    for name in ref:
        scale = np.abs(ref[name]).max()
        np.testing.assert_allclose(got[name], ref[name], atol=tolerance * scale, err_msg=name)


def test_lstm_gradients_match_finite_differences_in_float64():
    """The whole window: forward, readout, cross-entropy, readout backward, backward."""
    model = random_model(cm.CharLSTM, np.float64)
    xs, ys, h0, C0 = random_window()
    _, grads, _ = cm.loss_and_grads(model, xs, ys, (h0, C0), readout, softmax_cross_entropy)
    for name, value in model.params.items():
        numeric = numerical_gradient(lambda: window_loss(model, xs, ys, (h0, C0)), value)
        assert gradient_error(grads[name], numeric) < 1e-7, name


def test_lstm_starts_as_described():
    model = cm.CharLSTM(96, 128, seed=3)
    p = model.params
    assert {k: v.shape for k, v in p.items()} == {"W": (512, 224), "b": (512,),
                                                   "W_hy": (96, 128), "b_y": (96,)}
    assert all(v.dtype == np.float32 for v in p.values())
    np.testing.assert_array_equal(p["b"][:128], 1.0)            # the forget gate's bias
    np.testing.assert_array_equal(p["b"][128:], 0.0)
    assert np.abs(p["W"]).max() <= 1 / math.sqrt(129) and p["W"].std() > 0.04
    assert not np.array_equal(p["W"], cm.CharLSTM(96, 128, seed=4).params["W"])
    np.testing.assert_array_equal(p["W"], cm.CharLSTM(96, 128, seed=3).params["W"])


def test_trace_holds_lesson_04s_states_and_gates():
    model = random_model(cm.CharLSTM, np.float32)
    xs, _, h0, C0 = random_window()
    trace = model.trace(xs, (h0, C0))
    params = model.gate_params()
    ref_hs, ref_Cs = lstm_gates.lstm_forward(one_hot(xs), h0, C0, params)
    np.testing.assert_allclose(trace["h"], ref_hs, atol=1e-5)
    np.testing.assert_allclose(trace["C"], ref_Cs, atol=1e-5)
    h_prev = np.concatenate([h0[None], ref_hs[:-1]])
    for name, gate in (("f", lstm_gates.forget_gate), ("i", lstm_gates.input_gate),
                       ("C_tilde", lstm_gates.candidate_cell), ("o", lstm_gates.output_gate)):
        key = "C" if name == "C_tilde" else name
        for t in range(T):
            np.testing.assert_allclose(
                trace[name][t], gate(h_prev[t], one_hot(xs[t]), params[f"W_{key}"],
                                     params[f"b_{key}"]), atol=1e-5, err_msg=name)


def test_gate_params_round_trip():
    model = random_model(cm.CharLSTM, np.float32)
    gates = model.gate_params()
    assert set(gates) == {"W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o"}
    assert gates["W_C"].shape == (H, H + V) and gates["W_C"].dtype == np.float64
    np.testing.assert_array_equal(gates["W_i"], model.params["W"][H:2 * H])  # order f, i, C, o
    np.testing.assert_array_equal(gates["b_o"], model.params["b"][3 * H:])
    again = cm.CharLSTM.from_gate_params(gates, model.params["W_hy"], model.params["b_y"])
    for name, value in model.params.items():
        np.testing.assert_array_equal(again.params[name], value)


# --- the tanh RNN against lessons 01 and 02 -------------------------------------------------

@pytest.mark.parametrize("dtype, tolerance", [(np.float32, 1e-5), (np.float64, 1e-12)])
def test_rnn_is_lessons_01_and_02s_references(dtype, tolerance):
    model = random_model(cm.CharRNN, dtype)
    p = model.params
    xs, _, h0, _ = random_window()
    hs, (h_T,), cache = model.forward(xs, (h0,))
    ref_hs = rnn_update.rnn_forward(one_hot(xs), h0, p["W_xh"], p["W_hh"], p["b_h"])
    np.testing.assert_allclose(hs, ref_hs, atol=tolerance)
    np.testing.assert_allclose(h_T, ref_hs[-1], atol=tolerance)
    dhs = np.random.default_rng(2).normal(size=(T, N, H))
    grads = model.backward(dhs.astype(dtype), cache)
    _, _, dW_xh, dW_hh, db_h = bptt.rnn_backward(dhs, one_hot(xs), h0, ref_hs, p["W_xh"],
                                                 p["W_hh"])
    for name, ref in (("W_xh", dW_xh), ("W_hh", dW_hh), ("b_h", db_h)):
        np.testing.assert_allclose(grads[name], ref, atol=tolerance * np.abs(ref).max(),
                                   err_msg=name)


def test_rnn_gradients_match_finite_differences_in_float64():
    model = random_model(cm.CharRNN, np.float64)
    xs, ys, h0, _ = random_window()
    _, grads, _ = cm.loss_and_grads(model, xs, ys, (h0,), readout, softmax_cross_entropy)
    for name, value in model.params.items():
        numeric = numerical_gradient(lambda: window_loss(model, xs, ys, (h0,)), value)
        assert gradient_error(grads[name], numeric) < 1e-7, name


# --- a learner's own LSTM behind the same interface --------------------------------------------

def learner_twin(model):
    return cm.LearnerLSTM(lstm_gates.lstm_forward, lstm_gates.lstm_backward, model.gate_params(),
                          model.params["W_hy"], model.params["b_y"])


def test_learner_lstm_computes_what_the_fused_engine_computes():
    model = random_model(cm.CharLSTM, np.float64)
    learner = learner_twin(model)
    xs, ys, h0, C0 = random_window()
    hs, state, _ = learner.forward(xs, (h0, C0))
    fused_hs, fused_state, _ = model.forward(xs, (h0, C0))
    np.testing.assert_allclose(hs, fused_hs, atol=1e-12)
    np.testing.assert_allclose(state[1], fused_state[1], atol=1e-12)
    loss, grads, _ = cm.loss_and_grads(learner, xs, ys, (h0, C0), readout, softmax_cross_entropy)
    fused_loss, fused_grads, _ = cm.loss_and_grads(model, xs, ys, (h0, C0), readout,
                                                   softmax_cross_entropy)
    assert loss == pytest.approx(fused_loss, abs=1e-12)
    W, b = cm.fuse_gates(grads)
    np.testing.assert_allclose(W, fused_grads["W"], atol=1e-12)
    np.testing.assert_allclose(b, fused_grads["b"], atol=1e-12)
    np.testing.assert_allclose(grads["W_hy"], fused_grads["W_hy"], atol=1e-12)


def test_learner_lstm_trains_to_the_fused_engines_weights():
    """A few updates of train() with each: same losses, same weights (both in float64)."""
    ids = np.random.default_rng(5).integers(0, V, size=400)
    model = random_model(cm.CharLSTM, np.float64, scale=0.3)
    learner = learner_twin(model)
    settings = dict(**REFERENCE, N=4, T=5, lr=1e-2, max_norm=1.0, updates=12, every=4,
                    eval_N=4, eval_T=5)
    history = cm.train(model, ids, ids[:100], **settings)
    learner_history = cm.train(learner, ids, ids[:100], **settings)
    np.testing.assert_allclose(learner_history["train_loss"], history["train_loss"], rtol=1e-9)
    np.testing.assert_allclose(learner_history["val_loss"], history["val_loss"], rtol=1e-9)
    W, b = cm.fuse_gates(learner.gate_params())
    np.testing.assert_allclose(W, model.params["W"], atol=1e-9)
    np.testing.assert_allclose(b, model.params["b"], atol=1e-9)
    assert not np.allclose(W, random_model(cm.CharLSTM, np.float64, scale=0.3).params["W"])


# --- state, buffers, sampling -----------------------------------------------------------------

@pytest.mark.parametrize("cls", [cm.CharLSTM, cm.CharRNN])
def test_the_state_carries_from_window_to_window(cls):
    model = random_model(cls, np.float32)
    xs, _, h0, C0 = random_window(T=10)
    state = (h0, C0)[:cls.STATES]
    whole, whole_state, _ = model.forward(xs, state)
    first, middle, _ = model.forward(xs[:4], state, reuse=True)
    second, last, _ = model.forward(xs[4:], middle, reuse=True)
    np.testing.assert_allclose(second, whole[4:], atol=1e-6)
    for a, b in zip(last, whole_state):
        np.testing.assert_allclose(a, b, atol=1e-6)
    restarted, _, _ = model.forward(xs[4:], model.initial_state(N))
    assert np.abs(restarted - whole[4:]).max() > 1e-3        # the state matters


def test_evaluate_does_not_depend_on_the_window_length():
    """With the state carried, cutting the streams into windows of 4 or of 12 characters reads
    the same characters with the same states: the same mean loss."""
    model = random_model(cm.CharLSTM, np.float64)
    ids = np.random.default_rng(3).integers(0, V, size=3 * (24 + 1))      # 3 streams of 25
    short = cm.evaluate(model, ids, readout, softmax_cross_entropy, stream_batches, N=3, T=4)
    long = cm.evaluate(model, ids, readout, softmax_cross_entropy, stream_batches, N=3, T=12)
    assert short == pytest.approx(long, rel=1e-12)
    with pytest.raises(ValueError, match="too short"):
        cm.evaluate(model, ids, readout, softmax_cross_entropy, stream_batches, N=3, T=25)


def test_forward_without_reuse_returns_new_arrays():
    model = random_model(cm.CharLSTM, np.float32)
    xs, _, h0, C0 = random_window()
    hs, _, _ = model.forward(xs, (h0, C0))
    kept = hs.copy()
    model.forward(xs[::-1], (C0, h0))
    np.testing.assert_array_equal(hs, kept)


@pytest.mark.parametrize("cls", [cm.CharLSTM, cm.CharRNN])
def test_step_function_reads_one_character_as_forward_does(cls):
    model = random_model(cls, np.float32)
    step = cm.step_function(model, readout)
    xs = np.array([3, 1, 4, 1, 5, 2])
    hs, _, _ = model.forward(xs[:, None], model.initial_state(1))
    state = model.initial_state(1)
    for t, char in enumerate(xs):
        logits, state = step(char, state)
        assert logits.shape == (V,)
        np.testing.assert_allclose(logits, readout(hs[t], model.params["W_hy"],
                                                   model.params["b_y"])[0], atol=1e-5)


def test_sampling_with_the_reference_sample_is_seeded():
    model = random_model(cm.CharLSTM, np.float32)
    step = cm.step_function(model, readout)
    draw = [sample(step, model.initial_state(1), 0, 50, 1.0, np.random.default_rng(seed))
            for seed in (7, 7, 8)]
    np.testing.assert_array_equal(draw[0], draw[1])
    assert not np.array_equal(draw[0], draw[2])
    assert draw[0].min() >= 0 and draw[0].max() < V


# --- Adam, clipping, training -----------------------------------------------------------------

def test_adam_is_the_textbook_update():
    rng = np.random.default_rng(0)
    params = {"a": rng.normal(size=(3, 4)), "b": rng.normal(size=5)}
    start = {k: v.copy() for k, v in params.items()}
    optimizer = cm.Adam(params, lr=0.1, beta1=0.8, beta2=0.9, eps=1e-3)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(x) for k, x in params.items()}
    expected = {k: x.copy() for k, x in start.items()}
    for t in range(1, 4):
        grads = {k: rng.normal(size=x.shape) for k, x in params.items()}
        optimizer.step(params, grads)
        for k in params:
            m[k] = 0.8 * m[k] + 0.2 * grads[k]
            v[k] = 0.9 * v[k] + 0.1 * grads[k] ** 2
            expected[k] -= 0.1 * (m[k] / (1 - 0.8 ** t)) / (np.sqrt(v[k] / (1 - 0.9 ** t)) + 1e-3)
    for k in params:
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-12)


def test_train_updates_with_the_clipped_gradients():
    """train() steps with what clip returns: a clip that returns zero gradients leaves every
    weight where it was, and it receives max_norm."""
    ids = np.random.default_rng(5).integers(0, V, size=300)
    seen = []

    def clip_to_nothing(grads, max_norm):
        seen.append(max_norm)
        clipped, total = clip_by_global_norm(grads, max_norm)
        return {k: 0.0 * g for k, g in clipped.items()}, total

    model = random_model(cm.CharLSTM, np.float32)
    start = {k: v.copy() for k, v in model.params.items()}
    settings = {**REFERENCE, "clip": clip_to_nothing}
    cm.train(model, ids, ids, **settings, N=2, T=5, max_norm=0.25, updates=3, every=3,
             eval_N=2, eval_T=5)
    assert seen == [0.25] * 3
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, start[k])
    cm.train(model, ids, ids, **REFERENCE, N=2, T=5, updates=3, every=3, eval_N=2, eval_T=5)
    assert not np.array_equal(model.params["W"], start["W"])


def test_train_learns_a_repeating_text_and_is_seeded():
    ids = np.tile(np.array([0, 1, 2, 3, 1, 2, 4, 5, 6]), 60)
    runs = []
    for _ in range(2):
        model = cm.CharLSTM(V, 16, seed=1)
        runs.append(cm.train(model, ids, ids, **REFERENCE, N=4, T=9, lr=2e-2, updates=120,
                             every=40, seed=3, eval_N=4, eval_T=9))
    history = runs[0]
    assert set(history) == {"updates", "seconds", "train_loss", "val_loss", "wall"}
    np.testing.assert_array_equal(history["updates"], [40, 80, 120])
    np.testing.assert_array_equal(history["val_loss"], runs[1]["val_loss"])
    assert history["val_loss"][0] < math.log(V)
    assert history["val_loss"][-1] < 0.05       # each character follows from the three before
    assert np.all(np.diff(history["seconds"]) > 0)
    assert history["wall"][-1] >= history["seconds"][-1]


def test_train_stops_on_a_time_budget_and_reports_progress():
    ids = np.random.default_rng(5).integers(0, V, size=2000)
    records = []
    history = cm.train(cm.CharLSTM(V, 8), ids, ids[:200], **REFERENCE, N=4, T=5, seconds=0.2,
                       every=10, on_progress=records.append, eval_N=4, eval_T=5)
    assert history["seconds"][-1] >= 0.2 and history["updates"][-1] > 0
    assert [r["updates"] for r in records] == list(history["updates"])
    with pytest.raises(ValueError):
        cm.train(cm.CharLSTM(V, 8), ids, ids, **REFERENCE)


# --- files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", [cm.CharLSTM, cm.CharRNN])
def test_save_and_load_round_trip(cls, tmp_path):
    model = random_model(cls, np.float32)
    model.chars = list("abcdefg")
    model.save(tmp_path / "m.npz", history_val_loss=np.array([2.0, 1.5]))
    again = cm.load(tmp_path / "m.npz")
    assert type(again) is cls and again.chars == model.chars
    for name, value in model.params.items():
        np.testing.assert_array_equal(again.params[name], value)
    np.testing.assert_array_equal(again.extra["history_val_loss"], [2.0, 1.5])
    with np.load(tmp_path / "m.npz") as data:
        assert set(data.files) == set(cls.KEYS) | {"W_hy", "b_y", "chars", "history_val_loss"}


def test_char_model_needs_nothing_but_numpy():
    source = (FOLDER / "char_model.py").read_text()
    imports = {line.split()[1] for line in source.splitlines()
               if line.startswith(("import ", "from "))}
    assert imports <= {"math", "time", "numpy"}
    for graded in ("softmax", "readout", "softmax_cross_entropy", "stream_batches", "sample",
                   "clip_by_global_norm"):
        assert f"def {graded}(" not in source


@pytest.fixture(scope="module")
def text_data():
    train_text, val_text = train_validation(load_text())
    vocabulary = Vocabulary(load_text())
    return vocabulary, vocabulary.encode(train_text), vocabulary.encode(val_text)


def test_shipped_checkpoint_is_what_its_history_says(text_data):
    vocabulary, _, val_ids = text_data
    model = cm.load(FOLDER / "char_lstm.npz")
    assert isinstance(model, cm.CharLSTM) and model.chars == vocabulary.chars
    history = {k[len("history_"):]: v for k, v in model.extra.items() if k.startswith("history_")}
    assert set(history) == {"updates", "seconds", "train_loss", "val_loss"}
    assert np.all(np.diff(history["updates"]) > 0)
    best = int(np.argmin(history["val_loss"]))
    assert int(model.extra["best_update"]) == history["updates"][best]
    loss = cm.evaluate(model, val_ids, readout, softmax_cross_entropy, stream_batches,
                       N=int(model.extra["eval_N"]), T=int(model.extra["eval_T"]))
    assert loss == pytest.approx(history["val_loss"][best], rel=1e-5)


def test_shipped_table_states_what_the_text_gives(text_data):
    vocabulary, train_ids, _ = text_data
    table = json.loads((FOLDER / "rnn_vs_lstm_text.json").read_text())
    assert table["log2_V"] == pytest.approx(math.log2(len(vocabulary)))
    p = np.bincount(train_ids, minlength=len(vocabulary)) / len(train_ids)
    p = p[p > 0]
    assert table["unigram_bits"] == pytest.approx(float(-(p * np.log2(p)).sum()), rel=1e-12)
    bits = table["validation_bits_per_character"]
    assert bits["lstm"] < bits["rnn"] < table["unigram_bits"] < table["log2_V"]
    lstm = cm.load(FOLDER / "char_lstm.npz")
    assert bits["lstm"] == pytest.approx(float(lstm.extra["history_val_loss"].min()) / math.log(2),
                                         rel=1e-9)
