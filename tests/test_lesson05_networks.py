"""Lesson 05's training code (solutions/05_rnn_vs_lstm/networks.py): the fast RNN, IRNN and LSTM
compute exactly the textbook formulas and their gradients, clipping and Adam do what they say, and
a short run learns the adding problem. networks.py ships next to the learner's notebook, so it is
loaded from its file here; the data come from the reference adding_problem of the grading side.

The files the lesson ships and states numbers from, sweep_results.json and checkpoints.npz, are
checked against what this code computes from them (without retraining for minutes): short seeded
reruns reproduce them exactly, and every statement lesson 05 makes about the sweep is recomputed
from the file.
"""
import importlib.util
import json
import pathlib

import numpy as np
import pytest

from autograder.lessons.rnn_update import rnn_forward as reference_rnn_forward
from rnncourse.gradcheck import numerical_gradient, relative_error

FOLDER = pathlib.Path(__file__).resolve().parent.parent / "solutions" / "05_rnn_vs_lstm"
_spec = importlib.util.spec_from_file_location("lesson05_networks", FOLDER / "networks.py")
nw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nw)

from autograder.lessons.rnn_vs_lstm import adding_problem as adding_batch  # noqa: E402

_sweep_spec = importlib.util.spec_from_file_location(
    "rnn_vs_lstm_sweep", FOLDER.parent.parent / "benchmarks" / "rnn_vs_lstm_sweep.py")
sweep_script = importlib.util.module_from_spec(_sweep_spec)
_sweep_spec.loader.exec_module(sweep_script)

T, N, D, H = 6, 3, 2, 4
TOLERANCE = 1e-6


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def textbook_lstm(x, h0, C0, p):
    """The LSTM written plainly, gate by gate, on the concatenation [h_prev, x_t] (h first)."""
    h, C = h0, C0
    hs, Cs = [], []
    for x_t in x:
        hx = np.concatenate([h, x_t], axis=1)                  # (N, H + D)
        f = sigmoid(hx @ p["W_f"].T + p["b_f"])
        i = sigmoid(hx @ p["W_i"].T + p["b_i"])
        C_tilde = np.tanh(hx @ p["W_C"].T + p["b_C"])
        o = sigmoid(hx @ p["W_o"].T + p["b_o"])
        C = f * C + i * C_tilde
        h = o * np.tanh(C)
        hs.append(h)
        Cs.append(C)
    return np.array(hs), np.array(Cs)


def random_api_params(rng, D=D, H=H, scale=0.8):
    return {**{f"W_{g}": scale * rng.normal(size=(H, H + D)) for g in "fiCo"},
            **{f"b_{g}": scale * rng.normal(size=H) for g in "fiCo"}}


def random_model(model, rng, D=D, H=H, scale=0.5):
    """Initial weights with noise added, so that no gradient is trivially zero."""
    params = nw.init_params(model, D, H, rng)
    return {name: value + scale * rng.normal(size=value.shape) for name, value in params.items()}


# --- forward passes -----------------------------------------------------------------------------

def test_lstm_forward_is_the_per_gate_formulas():
    rng = np.random.default_rng(1)
    api = random_api_params(rng)
    x = rng.normal(size=(T, N, D))
    h0, C0 = rng.normal(size=(N, H)), rng.normal(size=(N, H))
    hs, cache = nw.lstm_forward(x, nw.lstm_params_from_api(api), h0, C0)
    expected_hs, expected_Cs = textbook_lstm(x, h0, C0, api)
    assert hs.shape == cache["Cs"].shape == (T, N, H)
    assert relative_error(hs, expected_hs) < 1e-10
    assert relative_error(cache["Cs"], expected_Cs) < 1e-10
    last, states = nw.lstm_forward(x, nw.lstm_params_from_api(api), h0, C0, keep=False)
    assert relative_error(last[0], expected_hs[-1]) < 1e-10
    assert relative_error(states["C_T"], expected_Cs[-1]) < 1e-10


def test_lstm_sigmoid_does_not_overflow():
    rng = np.random.default_rng(2)
    api = {name: 1e4 * value for name, value in random_api_params(rng).items()}
    x = rng.normal(size=(T, N, D))
    with np.errstate(all="raise"):
        hs, _ = nw.lstm_forward(x, nw.lstm_params_from_api(api))
    assert np.all(np.isfinite(hs)) and np.all(np.abs(hs) <= 1.0)


def test_lstm_params_convert_both_ways():
    rng = np.random.default_rng(3)
    stacked = random_model("lstm", rng)
    api = nw.lstm_params_to_api(stacked)
    assert sorted(api) == sorted(["W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o"])
    assert all(api[f"W_{g}"].shape == (H, H + D) and api[f"b_{g}"].shape == (H,) for g in "fiCo")
    # the forget gate comes first, and its weights act on [h_prev, x_t], h first
    assert np.array_equal(api["W_f"][:, :H], stacked["W_h"][:H])
    assert np.array_equal(api["W_f"][:, H:], stacked["W_x"][:H])
    back = nw.lstm_params_from_api(api)
    assert all(np.array_equal(back[name], stacked[name]) for name in ("W_x", "W_h", "b"))


def test_lstm_init_sets_the_forget_bias():
    params = nw.lstm_init(D, H, np.random.default_rng(0))
    api = nw.lstm_params_to_api(params)
    assert np.all(api["b_f"] == 1.0)
    assert all(np.all(api[f"b_{g}"] == 0.0) for g in "iCo")
    assert np.all(nw.lstm_params_to_api(nw.lstm_init(D, H, np.random.default_rng(0), 2.5))["b_f"]
                  == 2.5)


def test_rnn_forward_is_the_reference():
    rng = np.random.default_rng(4)
    params = random_model("rnn", rng)
    x, h0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H))
    hs, _ = nw.rnn_forward(x, params, h0)
    expected = reference_rnn_forward(x, h0, params["W_xh"], params["W_hh"], params["b_h"])
    assert relative_error(hs, expected) < 1e-10
    last, _ = nw.rnn_forward(x, params, h0, keep=False)
    assert relative_error(last[0], expected[-1]) < 1e-10


def test_inputs_are_not_modified():
    rng = np.random.default_rng(5)
    x, h0, C0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    for model in nw.MODELS:
        params = random_model(model, rng)
        saved = [a.copy() for a in (x, h0, C0, *params.values())]
        hs, cache = (nw.lstm_forward(x, params, h0, C0) if model == "lstm"
                     else nw.rnn_forward(x, params, h0, relu=model == "irnn"))
        backward = nw.lstm_backward if model == "lstm" else nw.rnn_backward
        dhs = rng.normal(size=hs.shape)
        saved_dhs = dhs.copy()
        first = backward(dhs, cache)
        second = backward(dhs, cache)                  # the cache survives a backward pass
        assert all(np.array_equal(first[k], second[k]) for k in first)
        assert np.array_equal(dhs, saved_dhs)
        assert all(np.array_equal(a, b) for a, b in zip(saved, (x, h0, C0, *params.values())))


# --- backward passes against central differences --------------------------------------------------

@pytest.mark.parametrize("upstream", ["every step", "last step"])
def test_rnn_backward_matches_central_differences(upstream):
    rng = np.random.default_rng(6)
    params = random_model("rnn", rng)
    x, h0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(T, N, H))
    if upstream == "last step":
        dhs[:-1] = 0.0
    _, cache = nw.rnn_forward(x, params, h0)
    grads = nw.rnn_backward(dhs if upstream == "every step" else dhs[-1], cache)
    inputs = {**params, "x": x, "h0": h0}
    assert sorted(grads) == sorted(["W_xh", "W_hh", "b_h", "x", "h0"])
    for name in grads:
        numerical = numerical_gradient(lambda: nw.rnn_forward(x, params, h0)[0], inputs[name], dhs)
        assert relative_error(grads[name], numerical) < TOLERANCE, name


@pytest.mark.parametrize("upstream", ["every step", "last step"])
def test_lstm_backward_matches_central_differences(upstream):
    """Every stacked weight, the inputs, both initial states, and a gradient on C_T too."""
    rng = np.random.default_rng(7)
    params = random_model("lstm", rng)
    x, h0, C0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dhs, dC_T = rng.normal(size=(T, N, H)), rng.normal(size=(N, H))
    if upstream == "last step":
        dhs[:-1] = 0.0

    def outputs():
        hs, cache = nw.lstm_forward(x, params, h0, C0)
        return np.concatenate([hs.ravel(), cache["Cs"][-1].ravel()])

    _, cache = nw.lstm_forward(x, params, h0, C0)
    grads = nw.lstm_backward(dhs if upstream == "every step" else dhs[-1], cache, dC_T)
    inputs = {**params, "x": x, "h0": h0, "C0": C0}
    assert sorted(grads) == sorted(["W_x", "W_h", "b", "x", "h0", "C0"])
    dy = np.concatenate([dhs.ravel(), dC_T.ravel()])
    for name in grads:
        numerical = numerical_gradient(outputs, inputs[name], dy)
        assert relative_error(grads[name], numerical) < TOLERANCE, name


def test_lstm_gradients_of_the_per_gate_weights():
    """The stacked gradients, converted, are the gradients of the lesson 04 weights W_f .. b_o."""
    rng = np.random.default_rng(8)
    api = random_api_params(rng)
    x, h0, C0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(T, N, H))
    _, cache = nw.lstm_forward(x, nw.lstm_params_from_api(api), h0, C0)
    grads = nw.lstm_params_to_api(nw.lstm_backward(dhs, cache))
    for name, grad in grads.items():
        numerical = numerical_gradient(lambda: textbook_lstm(x, h0, C0, api)[0], api[name], dhs)
        assert relative_error(grad, numerical) < TOLERANCE, name


@pytest.mark.parametrize("model", ["rnn", "lstm", "irnn"])
def test_loss_gradients_match_central_differences(model):
    """The whole model: the network, the linear readout on h_T and the mean squared error."""
    rng = np.random.default_rng(9)
    params = random_model(model, rng)
    x, y = adding_batch(T, N, rng)
    loss, grads = nw.loss_and_grads(params, x, y, model)
    y_hat = nw.predict(params, x, model=model)
    assert y_hat.shape == (N, 1)
    assert loss == pytest.approx(np.mean((y_hat - y) ** 2), rel=1e-12)
    assert loss == pytest.approx(nw.mse(params, x, y, model), rel=1e-12)
    assert sorted(grads) == sorted(params)
    for name in params:
        numerical = numerical_gradient(lambda: nw.loss_and_grads(params, x, y, model)[0],
                                       params[name])
        assert relative_error(grads[name], numerical) < TOLERANCE, name


def test_irnn_is_a_relu_rnn_started_at_the_identity():
    """Le, Jaitly & Hinton (2015): h_t = relu(x_t W_xh^T + h_prev W_hh^T + b_h), W_hh = I and
    b_h = 0 at the start; its other weights start like the tanh RNN's (same seed, same draws)."""
    params = nw.init_params("irnn", D, H, np.random.default_rng(0))
    tanh_rnn = nw.init_params("rnn", D, H, np.random.default_rng(0))
    np.testing.assert_array_equal(params["W_hh"], np.eye(H))
    np.testing.assert_array_equal(params["b_h"], 0.0)
    assert params["W_xh"].shape == (H, D) and np.all(np.abs(params["W_xh"]) <= 1 / np.sqrt(D))
    assert params["W_y"].shape == (1, H) and np.all(np.abs(params["W_y"]) <= 1 / np.sqrt(H))
    rng = np.random.default_rng(13)
    params = random_model("irnn", rng)
    x, h0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H))
    h, expected = h0, []
    for x_t in x:
        h = np.maximum(x_t @ params["W_xh"].T + h @ params["W_hh"].T + params["b_h"], 0.0)
        expected.append(h)
    hs, _ = nw.rnn_forward(x, params, h0, relu=True)
    assert relative_error(hs, np.array(expected)) < 1e-12
    assert sorted(tanh_rnn) == sorted(params)
    with pytest.raises(ValueError):
        nw.model_of(params, "gru")


def test_relu_backward_matches_central_differences():
    rng = np.random.default_rng(14)
    params = random_model("irnn", rng)
    x, h0 = rng.normal(size=(T, N, D)), rng.normal(size=(N, H))
    dhs = rng.normal(size=(T, N, H))
    _, cache = nw.rnn_forward(x, params, h0, relu=True)
    grads = nw.rnn_backward(dhs, cache)
    inputs = {**params, "x": x, "h0": h0}
    for name in grads:
        numerical = numerical_gradient(lambda: nw.rnn_forward(x, params, h0, relu=True)[0],
                                       inputs[name], dhs)
        assert relative_error(grads[name], numerical) < TOLERANCE, name


def test_large_products_are_computed_in_pieces_correctly():
    rng = np.random.default_rng(10)
    for m, k, n in [(6400, 2, 64), (64, 6400, 16), (4000, 80, 70), (3, 5, 7)]:
        a, b = rng.normal(size=(m, k)), rng.normal(size=(k, n))
        assert np.allclose(nw._dot(a, b), a @ b, rtol=1e-12, atol=1e-12 * k)
        assert np.allclose(nw._dot(b.T, a.T), b.T @ a.T, rtol=1e-12, atol=1e-12 * k)


def test_prediction_in_chunks_is_the_prediction():
    rng = np.random.default_rng(11)
    params = random_model("lstm", rng)
    x, _ = adding_batch(7, 10, rng)
    whole, _ = nw.lstm_forward(x, params)
    expected = whole[-1] @ params["W_y"].T + params["b_y"]
    assert relative_error(nw.predict(params, x, chunk=3), expected) < 1e-12


# --- clipping and Adam ----------------------------------------------------------------------------

def test_clipping_scales_everything_by_the_global_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}      # global norm 5
    clipped, total = nw.clip_by_global_norm(grads, 1.0)
    assert total == pytest.approx(5.0)
    assert np.allclose(clipped["a"], [0.6, 0.0]) and np.allclose(clipped["b"], [[0.8]])
    assert nw.global_norm(clipped) == pytest.approx(1.0)
    assert np.array_equal(grads["a"], [3.0, 0.0]) and np.array_equal(grads["b"], [[4.0]])
    same, total = nw.clip_by_global_norm(grads, 10.0)
    assert total == pytest.approx(5.0)
    assert same is not grads and all(np.array_equal(same[k], grads[k]) for k in grads)


def test_adam_follows_its_formulas():
    rng = np.random.default_rng(12)
    start = {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    params = {k: v.copy() for k, v in start.items()}
    lr, beta1, beta2, eps = 0.01, 0.9, 0.999, 1e-8
    adam = nw.Adam(params, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    expected = {k: v.copy() for k, v in start.items()}
    m = {k: np.zeros_like(v) for k, v in start.items()}
    v2 = {k: np.zeros_like(v) for k, v in start.items()}
    for t in range(1, 4):
        grads = {k: rng.normal(size=v.shape) for k, v in start.items()}
        adam.step(params, grads)
        for k in start:
            m[k] = beta1 * m[k] + (1 - beta1) * grads[k]
            v2[k] = beta2 * v2[k] + (1 - beta2) * grads[k] ** 2
            m_hat, v_hat = m[k] / (1 - beta1 ** t), v2[k] / (1 - beta2 ** t)
            expected[k] = expected[k] - lr * m_hat / (np.sqrt(v_hat) + eps)
            if t == 1:      # the first step moves every weight by lr against its gradient's sign
                assert np.allclose(params[k] - start[k], -lr * np.sign(grads[k]), rtol=1e-5)
        assert all(np.allclose(params[k], expected[k], rtol=1e-12, atol=0) for k in start)


# --- training -------------------------------------------------------------------------------------

def test_a_short_lstm_run_learns_the_adding_problem():
    calls = []
    run = nw.train("lstm", adding_batch, T=10, sequences=300 * 32, batch=32, H=8, seed=0,
                   test_size=500, eval_every=100,
                   progress=lambda update, total, loss: calls.append((update, total, loss)))
    assert run["updates"] == 300 and len(run["loss"]) == len(run["grad_norm"]) == 300
    assert [c[0] for c in calls] == list(range(1, 301)) and calls[-1][1] == 300
    assert np.allclose([c[2] for c in calls], run["loss"])
    assert run["test_curve"]["update"] == [0, 100, 200, 300]
    assert run["test_curve"]["mse"][-1] == run["test_mse"]
    assert run["test_mse"] < 0.03 < 1 / 6                    # the baseline of answering 1.0
    assert run["test_curve"]["mse"][0] > 1 / 6
    assert 0 < run["train_time"] <= run["wall_time"]
    # the same seed gives the same run
    again = nw.train("lstm", adding_batch, T=10, sequences=20 * 32, batch=32, H=8, seed=0,
                     test_size=500)
    assert np.array_equal(again["loss"], run["loss"][:20])


def test_training_data_and_test_set_do_not_depend_on_the_model():
    seen = {}

    def recording_batch(T, N, rng):
        x, y = adding_batch(T, N, rng)
        seen.setdefault(model, []).append(x)
        return x, y

    for model in nw.MODELS:
        nw.train(model, recording_batch, T=5, sequences=3 * 16, batch=16, test_size=20)
    assert len(seen["rnn"]) == len(seen["lstm"]) == len(seen["irnn"]) == 4   # test set, 3 batches
    assert all(np.array_equal(a, b) and np.array_equal(a, c)
               for a, b, c in zip(seen["rnn"], seen["lstm"], seen["irnn"]))


def test_checkpoints_are_copies_of_the_weights_after_the_updates_asked():
    run = nw.train("lstm", adding_batch, T=6, sequences=5 * 8, batch=8, test_size=10,
                   checkpoints=(5, 0, 2))
    assert sorted(run["checkpoints"]) == [0, 2, 5]
    start = nw.init_params("lstm", 2, 16, np.random.default_rng([0, 0]))
    assert all(np.array_equal(run["checkpoints"][0][k], start[k]) for k in start)
    assert all(np.array_equal(run["checkpoints"][5][k], run["params"][k]) for k in start)
    assert run["checkpoints"][5]["W_h"] is not run["params"]["W_h"]
    assert not np.array_equal(run["checkpoints"][2]["W_h"], run["checkpoints"][5]["W_h"])
    again = nw.train("lstm", adding_batch, T=6, sequences=2 * 8, batch=8, test_size=10)
    assert all(np.array_equal(run["checkpoints"][2][k], again["params"][k]) for k in start)
    plain = nw.train("rnn", adding_batch, T=6, sequences=8, batch=8, test_size=10)
    assert plain["checkpoints"] == {}
    with pytest.raises(ValueError):
        nw.train("rnn", adding_batch, T=6, sequences=16, batch=8, checkpoints=(3,))


def test_train_refuses_unknown_models_and_empty_budgets():
    with pytest.raises(ValueError):
        nw.train("gru", adding_batch, T=5, sequences=64)
    with pytest.raises(ValueError):
        nw.train("lstm", adding_batch, T=5, sequences=10, batch=64)


def test_per_gate_and_vectorised_lstm_agree_and_are_timed():
    """The lesson's speed comparison checks that both versions give the same loss and gradients
    (it raises otherwise) and returns two positive times."""
    lines = []
    slow, quick = nw.speed_comparison(adding_batch, T=8, N=4, H=3, repeats=2, log=lines.append)
    assert slow > 0 and quick > 0 and "speed-up" in lines[0]


# --- the files lesson 05 ships: sweep_results.json and checkpoints.npz ----------------------------

def shipped_sweep():
    return json.loads((FOLDER / "sweep_results.json").read_text())


def shipped_run(sweep, model, T, seed):
    (run,) = [r for r in sweep["runs"] if (r["model"], r["T"], r["seed"]) == (model, T, seed)]
    return run


def test_the_sweep_holds_every_network_length_and_seed():
    sweep = shipped_sweep()
    settings = sweep["settings"]
    assert settings["lengths"] == list(sweep_script.LENGTHS) and settings["seeds"] == [0, 1, 2]
    assert settings["models"] == list(nw.MODELS) and settings["sequences"] == 64_000
    assert (settings["lr"], settings["max_norm"], settings["batch"], settings["H"]) == \
        (1e-2, 1.0, 64, 16)
    assert sorted((r["model"], r["T"], r["seed"]) for r in sweep["runs"]) == sorted(
        (m, T, s) for m in nw.MODELS for T in settings["lengths"] for s in settings["seeds"])
    for run in sweep["runs"]:
        assert run["test_curve"]["mse"][-1] == pytest.approx(run["test_mse"], rel=1e-3)


@pytest.mark.parametrize("model", nw.MODELS)
def test_a_short_seeded_rerun_reproduces_the_sweep(model):
    """The T = 10 runs of seed 0 (a second each): the same code gives the same numbers."""
    sweep = shipped_sweep()
    settings = {k: sweep["settings"][k] for k in ("batch", "H", "lr", "max_norm", "forget_bias",
                                                  "test_size")}
    run = sweep_script.summary(nw.train(model, adding_batch, 10, sweep["settings"]["sequences"],
                                        seed=0, eval_every=sweep["settings"]["eval_every"],
                                        **settings))
    stored = shipped_run(sweep, model, 10, 0)
    assert run["test_mse"] == stored["test_mse"]
    assert run["test_curve"]["mse"] == stored["test_curve"]["mse"]
    assert run["loss_curve"] == stored["loss_curve"]


@pytest.fixture(scope="module")
def checkpoints():
    from rnncourse.explore.first_marker import load_checkpoints

    return load_checkpoints(FOLDER / "checkpoints.npz")


def stacked(model, params):
    """The checkpoint's lesson-named weights as networks.py's."""
    if model == "lstm":
        return {**nw.lstm_params_from_api(params), "W_y": params["W_y"], "b_y": params["b_y"]}
    return params


def test_the_checkpoints_are_the_sweeps_seed_0_runs(checkpoints):
    """Update 0 is the seed-0 initialisation; update 1000 gives the sweep's final test MSE on the
    sweep's test set (the same seeded stream)."""
    sweep = shipped_sweep()
    lengths = sweep_script.CHECKPOINT_LENGTHS
    assert sorted(checkpoints) == sorted((m, T, u) for m in sweep_script.CHECKPOINT_MODELS
                                         for T in lengths for u in sweep_script.CHECKPOINT_UPDATES)
    for model in sweep_script.CHECKPOINT_MODELS:
        start = nw.init_params(model, 2, 16, np.random.default_rng([0, 0]))
        for T in lengths:
            initial = stacked(model, checkpoints[model, T, 0])
            assert all(np.array_equal(initial[k], start[k]) for k in start), (model, T)
            x_test, y_test = adding_batch(T, sweep["settings"]["test_size"],
                                          np.random.default_rng([0, 2]))
            final = nw.mse(stacked(model, checkpoints[model, T, 1000]), x_test, y_test, model)
            assert float(f"{final:.5g}") == shipped_run(sweep, model, T, 0)["test_mse"], (model, T)


@pytest.mark.parametrize("model", sweep_script.CHECKPOINT_MODELS)
def test_a_short_seeded_rerun_reproduces_a_checkpoint(checkpoints, model):
    """250 updates at T = 25 (about a second): the weights of the shipped checkpoint."""
    run = nw.train(model, adding_batch, 25, 250 * 64, seed=0, test_size=10, checkpoints=(250,))
    shipped = checkpoints[model, 25, 250]
    mine = sweep_script.lesson_params(model, run["checkpoints"][250])
    assert sorted(mine) == sorted(shipped)
    for name in shipped:
        np.testing.assert_allclose(mine[name], shipped[name], rtol=1e-12, atol=1e-14)


def _cells():
    from rnncourse.experiments.adding import summary_table

    return dict(summary_table(shipped_sweep()))


def test_what_lesson_05_says_about_the_tanh_rnn_and_the_lstm():
    """Sections 5, 7, 8 (mark scheme) and 9: the tanh RNN solved 2 of 3 at T = 10, is clearly below
    the baseline but unsolved at T = 25, and at the baseline from T = 50 on (every median above
    0.15); the LSTM solved 3 of 3 up to T = 100, and at T = 200 every seed left the baseline but
    only one ended below 0.01."""
    cells, baseline = _cells(), 1 / 6
    rnn, lstm = ({T: c[m] for T, c in cells.items()} for m in ("rnn", "lstm"))
    assert rnn[10]["solved"] == 2 and rnn[25]["solved"] == 0 and rnn[25]["max"] < 0.1
    assert all(rnn[T]["median"] > 0.15 and rnn[T]["solved"] == 0 for T in (50, 100, 200))
    assert all(lstm[T]["solved"] == 3 for T in (10, 25, 50, 100))
    assert lstm[200]["solved"] == 1 and lstm[200]["max"] < baseline / 5
    assert all(c["seeds"] == 3 for row in cells.values() for c in row.values())


def test_what_lesson_05_says_about_the_irnn():
    """Section 5 and 9: the IRNN's median is below the tanh RNN's at every T; its worst run ended
    at 0.074, at T = 200; it solved 3, 0, 2, 1, 0 of 3; at T = 25, 50 and 100 every seed was below
    0.01 at some evaluation and 6 of those 9 runs ended above it; the LSTM solved at least as many
    seeds as the IRNN at every T."""
    sweep, cells = shipped_sweep(), _cells()
    assert all(c["irnn"]["median"] < c["rnn"]["median"] for c in cells.values())
    irnn_runs = [r for r in sweep["runs"] if r["model"] == "irnn"]
    worst = max(irnn_runs, key=lambda r: r["test_mse"])
    assert f"{worst['test_mse']:.3f}" == "0.074" and worst["T"] == 200
    assert [cells[T]["irnn"]["solved"] for T in sorted(cells)] == [3, 0, 2, 1, 0]
    dipped = [r for r in irnn_runs if r["T"] in (25, 50, 100)]
    assert all(r["updates_to_target"] is not None for r in dipped) and len(dipped) == 9
    assert sum(r["test_mse"] >= 0.01 for r in dipped) == 6
    assert all(c["lstm"]["solved"] >= c["irnn"]["solved"] for c in cells.values())


def test_the_rerun_times_the_lesson_quotes_are_the_sweeps():
    """Section 5: rerun("rnn", 25) takes about a second, rerun("lstm", 200) about fifteen,
    rerun("irnn", 100) a second or two (wall times recorded by the sweep, seed 0)."""
    sweep = shipped_sweep()
    assert shipped_run(sweep, "rnn", 25, 0)["wall_time"] < 2
    assert 8 < shipped_run(sweep, "lstm", 200, 0)["wall_time"] < 25
    assert shipped_run(sweep, "irnn", 100, 0)["wall_time"] < 2.5
