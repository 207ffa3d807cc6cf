"""Lesson 06: answers to softmax, readout, the cross-entropy loss, stream_batches and sample that
learners really write."""
import functools

from autograder.paths import ROOT
from rnncourse import checks, explore
from rnncourse.text import load_text, train_validation

_FOLDER = ROOT / "solutions" / "06_char_lstm"


def _model():
    return explore.load_char_lstm(_FOLDER / "char_lstm.npz")


def _split():
    return train_validation(load_text())          # (train, validation)


# The lesson's explorers, by the id of the notebook cell that shows each: how to build one from
# the graded functions it is driven by ({name: function}; the tests pass the reference as if it
# were the learner's). tests/test_explorer_layout.py and the browser suite use them.
EXPLORERS = {
    "explore-generation": lambda answers: explore.GenerationExplorer(
        answers["sample"], answers["lstm_step"], answers["readout"],
        *(_model()[k] for k in ("params", "W_hy", "b_y", "chars")),
        softmax=answers["softmax"], words=explore.words_of(_split()[0])),
    "explore-cells": lambda answers: explore.CellViewer(
        answers["lstm_forward"], _model()["params"], explore.code_lines(_split()[1], 101, 20),
        _model()["chars"], context=explore.code_lines(_split()[1], 81, 20)),
}

_SOFTMAX = "def softmax(z):\n"
_READOUT = "def readout(hs, W_hy, b_y):\n"
_LOSS = "def softmax_cross_entropy(logits, targets):\n"
_STREAM = "def stream_batches(ids, N, T):\n"
_SAMPLE = "def sample(step, state, first, n, temperature, rng):\n"


def _softmax(shift="z - z.max(axis=-1, keepdims=True)", result="e / e.sum(axis=-1, keepdims=True)"):
    return _SOFTMAX + f"    e = np.exp({shift})\n    return {result}\n"


def _loss(loss="float(-log_p.mean())", grad="dlogits / (T * N)",
          log_p="shifted[t, n, targets] - np.log(np.exp(shifted).sum(axis=-1))",
          start="p.copy()", minus="dlogits[t, n, targets] -= 1.0", before=""):
    """A softmax_cross_entropy with one part changed."""
    return _LOSS + (
        f"{before}"
        "    T, N, V = logits.shape\n"
        "    p = softmax(logits)\n"
        "    t, n = np.meshgrid(np.arange(T), np.arange(N), indexing='ij')\n"
        "    shifted = logits - logits.max(axis=-1, keepdims=True)\n"
        f"    log_p = {log_p}\n"
        f"    dlogits = {start}\n"
        f"    {minus}\n"
        f"    return {loss}, {grad}\n")


def _streams(streams="np.asarray(ids)[:N * length].reshape(N, length)", K="(length - 1) // T",
             xs="streams[:, :K * T].reshape(N, K, T).transpose(1, 2, 0)",
             ys="streams[:, 1:K * T + 1].reshape(N, K, T).transpose(1, 2, 0)"):
    """A stream_batches with one part changed."""
    return _STREAM + (
        "    length = len(ids) // N\n"
        f"    streams = {streams}\n"
        f"    K = {K}\n"
        f"    xs = {xs}\n"
        f"    ys = {ys}\n"
        "    return xs.copy(), ys.copy()\n")


def _sample(p="softmax(np.asarray(logits, dtype=np.float64) / temperature)",
            draw="rng.choice(len(p), p=p)", feed="char", ids="np.empty(n, dtype=np.int64)",
            loop="for i in range(n)", store="ids[i] = char", result="ids", before="",
            state="state"):
    """A sample with one part changed."""
    return _SAMPLE + (
        f"{before}"
        f"    ids = {ids}\n"
        "    char = first\n"
        f"    {loop}:\n"
        f"        logits, {state} = step({feed}, state)\n"
        f"        p = {p}\n"
        f"        char = {draw}\n"
        f"        {store}\n"
        f"    return {result}\n")


MISTAKES = {
    "softmax": {
        "no_max_shift": _softmax(shift="z"),
        "shift_by_global_max": _softmax(shift="z - z.max()"),
        "shift_by_row_min": _softmax(shift="z - z.min(axis=-1, keepdims=True)"),
        "sum_over_first_axis": _softmax(result="e / e.sum(axis=0, keepdims=True)"),
        "sum_over_everything": _softmax(result="e / e.sum()"),
        "sum_without_keepdims": _softmax(result="e / e.sum(axis=-1)"),
        "max_without_keepdims": _softmax(shift="z - z.max(axis=-1)"),
        "not_normalized": _softmax(result="e"),
        "log_softmax": _SOFTMAX + (
            "    shifted = z - z.max(axis=-1, keepdims=True)\n"
            "    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))\n"),
        "hard_coded_axis_2": _softmax(shift="z - z.max(axis=2, keepdims=True)",
                                      result="e / e.sum(axis=2, keepdims=True)"),
        "sigmoid": _SOFTMAX + "    return 1 / (1 + np.exp(-z))\n",
        "shifted_in_place": _SOFTMAX + (
            "    z -= z.max(axis=-1, keepdims=True)\n"
            "    e = np.exp(z)\n"
            "    return e / e.sum(axis=-1, keepdims=True)\n"),
        "math_exp": "import math\n\n\n" + _softmax(shift="z - z.max(axis=-1, keepdims=True)").replace(
            "np.exp(", "math.exp("),
    },
    "readout": {
        "W_hy_not_transposed": _READOUT + "    return hs @ W_hy + b_y\n",
        "bias_missing": _READOUT + "    return hs @ W_hy.T\n",
        "bias_as_column": _READOUT + "    return hs @ W_hy.T + b_y[:, None]\n",
        "bias_subtracted": _READOUT + "    return hs @ W_hy.T - b_y\n",
        "batch_major": _READOUT + "    return (hs @ W_hy.T + b_y).transpose(1, 0, 2)\n",
        "softmax_of_logits": _READOUT + (
            "    z = hs @ W_hy.T + b_y\n"
            "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
            "    return e / e.sum(axis=-1, keepdims=True)\n"),
        "tanh_of_logits": _READOUT + "    return np.tanh(hs @ W_hy.T + b_y)\n",
        "last_step_only": _READOUT + "    return hs[-1] @ W_hy.T + b_y\n",
        "flattened_positions": _READOUT + "    return hs.reshape(-1, hs.shape[-1]) @ W_hy.T + b_y\n",
        "column_form": _READOUT + (
            "    flat = hs.reshape(-1, hs.shape[-1])\n"
            "    return W_hy @ flat.T + b_y[:, None]\n"),
    },
    "softmax_cross_entropy": {
        "loss_summed": _loss(loss="float(-log_p.sum())"),
        "summed_loss_and_gradient": _loss(loss="float(-log_p.sum())", grad="dlogits"),
        "gradient_not_divided": _loss(grad="dlogits"),
        "log_of_softmax": _loss(log_p="np.log(p[t, n, targets])"),
        "log_of_clipped_softmax": _loss(log_p="np.log(p[t, n, targets] + 1e-12)"),
        "mean_over_batch_only": _loss(loss="float(-log_p.sum(axis=0).mean())", grad="dlogits / N"),
        "wrong_sign_gradient": _loss(grad="-dlogits / (T * N)"),
        "missing_minus_one": _loss(minus="pass"),
        "loss_in_bits": _loss(loss="float(-log_p.mean() / np.log(2))"),
        "loss_per_position": _loss(loss="-log_p"),
        "targets_indexed_wrong": _loss(
            log_p="shifted[np.arange(T), np.arange(N), targets] - "
                  "np.log(np.exp(shifted).sum(axis=-1))"),
        "shifted_in_place": _loss(before="    logits -= logits.max(axis=-1, keepdims=True)\n"),
        "gradient_from_logits": _loss(start="logits.copy()"),
        "minus_one_at_every_target": _loss(minus="dlogits[:, :, targets] -= 1.0"),
    },
    "stream_batches": {
        "windows_side_by_side": _streams(
            xs="np.asarray(ids)[:K * N * T].reshape(K, N, T).transpose(0, 2, 1)",
            ys="np.asarray(ids)[1:K * N * T + 1].reshape(K, N, T).transpose(0, 2, 1)"),
        "targets_not_shifted": _streams(ys="xs"),
        "targets_before": _streams(xs="streams[:, 1:K * T + 1].reshape(N, K, T).transpose(1, 2, 0)",
                                   ys="streams[:, :K * T].reshape(N, K, T).transpose(1, 2, 0)"),
        "batch_major": _streams(xs="streams[:, :K * T].reshape(N, K, T).transpose(1, 0, 2)",
                                ys="streams[:, 1:K * T + 1].reshape(N, K, T).transpose(1, 0, 2)"),
        "dropping_last_window": _streams(K="(length - 1) // T - 1"),
        "off_by_one_K": _streams(K="length // T"),
        "interleaved_streams": _streams(streams="np.asarray(ids)[:N * length].reshape(length, N).T"),
        "start_at_n_len_over_N": _streams(
            streams="np.stack([np.asarray(ids)[n * len(ids) // N:][:length] for n in range(N)])"),
        "reshape_without_dropping": _streams(streams="np.asarray(ids).reshape(N, -1)"),
        "every_stream_from_the_start": _streams(streams="np.stack([np.asarray(ids)[:length]] * N)"),
        "sliding_windows": _streams(xs="np.stack([streams[:, k:k + T].T for k in range(K)])",
                                    ys="np.stack([streams[:, k + 1:k + T + 1].T for k in range(K)])"),
    },
    "sample": {
        "temperature_after_softmax": _sample(p="softmax(logits) / temperature"),
        "temperature_after_softmax_renormalized": _sample(
            p="softmax(logits) / temperature\n        p = p / p.sum()"),
        "temperature_ignored": _sample(p="softmax(logits)"),
        "temperature_multiplies": _sample(p="softmax(logits * temperature)"),
        "global_random_state": _sample(draw="np.random.choice(len(p), p=p)"),
        "fixed_seed_inside": _sample(before="    rng = np.random.default_rng(0)\n"),
        "argmax_not_a_draw": _sample(draw="int(np.argmax(p))"),
        "draw_not_fed_back": _sample(feed="first"),
        "state_not_passed_on": _sample(state="_"),
        "returns_first_too": _sample(ids="[first]", store="ids.append(char)",
                                     result="np.array(ids)"),
        "first_in_place_of_last": _sample(result="np.concatenate([[first], ids[:-1]])"),
        "float_ids": _sample(ids="np.zeros(n)"),
        "one_draw_short": _sample(ids="[]", loop="for i in range(n - 1)",
                                  store="ids.append(char)", result="np.array(ids, dtype=int)"),
        "uniform_draws": _sample(draw="rng.integers(len(p))"),
        "own_softmax_without_shift": _sample(
            p="np.exp(logits / temperature) / np.exp(logits / temperature).sum()"),
        "draw_of_size_one": _sample(draw="rng.choice(len(p), size=1, p=p)"),
        "probabilities_of_the_first_step_only": _SAMPLE + (
            "    logits, state = step(first, state)\n"
            "    p = softmax(logits / temperature)\n"
            "    ids = []\n"
            "    for i in range(n):\n"
            "        char = rng.choice(len(p), p=p)\n"
            "        ids.append(char)\n"
            "        logits, state = step(char, state)\n"
            "    return np.array(ids)\n"),
    },
}

ALTERNATIVES = {
    "softmax": {
        "exp_of_log_softmax": _SOFTMAX + (
            "    shifted = z - np.max(z, axis=-1, keepdims=True)\n"
            "    return np.exp(shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True)))\n"),
        "loop_over_rows": _SOFTMAX + (
            "    rows = z.reshape(-1, z.shape[-1])\n"
            "    out = np.empty_like(rows)\n"
            "    for r in range(len(rows)):\n"
            "        e = np.exp(rows[r] - rows[r].max())\n"
            "        out[r] = e / e.sum()\n"
            "    return out.reshape(z.shape)\n"),
        "expand_dims": _SOFTMAX + (
            "    e = np.exp(z - np.expand_dims(z.max(axis=-1), -1))\n"
            "    return e / np.expand_dims(e.sum(axis=-1), -1)\n"),
    },
    "readout": {
        "einsum": _READOUT + "    return np.einsum('tnh,vh->tnv', hs, W_hy) + b_y\n",
        "flatten_and_reshape": _READOUT + (
            "    T, N, H = hs.shape\n"
            "    return (hs.reshape(T * N, H) @ W_hy.T + b_y).reshape(T, N, -1)\n"),
        "loop_over_time": _READOUT + "    return np.stack([h_t @ W_hy.T + b_y for h_t in hs])\n",
        "np_dot": _READOUT + "    return np.dot(hs, W_hy.T) + b_y\n",
        "tensordot": _READOUT + "    return np.tensordot(hs, W_hy, axes=([2], [1])) + b_y\n",
    },
    "softmax_cross_entropy": {
        "logsumexp_and_take_along_axis": _LOSS + (
            "    T, N, V = logits.shape\n"
            "    m = logits.max(axis=-1, keepdims=True)\n"
            "    lse = m[..., 0] + np.log(np.exp(logits - m).sum(axis=-1))\n"
            "    picked = np.take_along_axis(logits, targets[..., None], axis=-1)[..., 0]\n"
            "    dlogits = (softmax(logits) - np.eye(V)[targets]) / (T * N)\n"
            "    return (lse - picked).mean(), dlogits\n"),
        "one_hot_without_softmax": _LOSS + (
            "    T, N, V = logits.shape\n"
            "    shifted = logits - logits.max(axis=-1, keepdims=True)\n"
            "    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))\n"
            "    onehot = np.eye(V)[targets]\n"
            "    loss = -(onehot * log_probs).sum() / (T * N)\n"
            "    return loss, (np.exp(log_probs) - onehot) / (T * N)\n"),
        "loop_over_positions": _LOSS + (
            "    T, N, V = logits.shape\n"
            "    loss, dlogits = 0.0, np.zeros_like(logits)\n"
            "    for t in range(T):\n"
            "        for n in range(N):\n"
            "            z = logits[t, n] - logits[t, n].max()\n"
            "            loss -= z[targets[t, n]] - np.log(np.exp(z).sum())\n"
            "            dlogits[t, n] = softmax(logits[t, n])\n"
            "            dlogits[t, n, targets[t, n]] -= 1\n"
            "    return loss / (T * N), dlogits / (T * N)\n"),
        "flattened_positions": _LOSS + (
            "    T, N, V = logits.shape\n"
            "    flat, y = logits.reshape(T * N, V), targets.reshape(-1)\n"
            "    shifted = flat - flat.max(axis=1, keepdims=True)\n"
            "    rows = np.arange(T * N)\n"
            "    log_p = shifted[rows, y] - np.log(np.exp(shifted).sum(axis=1))\n"
            "    d = softmax(flat)\n"
            "    d[rows, y] -= 1\n"
            "    return -np.mean(log_p), (d / (T * N)).reshape(T, N, V)\n"),
    },
    "stream_batches": {
        "loops": _STREAM + (
            "    L = len(ids) // N\n"
            "    K = (L - 1) // T\n"
            "    xs = np.zeros((K, T, N), dtype=int)\n"
            "    ys = np.zeros((K, T, N), dtype=int)\n"
            "    for n in range(N):\n"
            "        for k in range(K):\n"
            "            for t in range(T):\n"
            "                xs[k, t, n] = ids[n * L + k * T + t]\n"
            "                ys[k, t, n] = ids[n * L + k * T + t + 1]\n"
            "    return xs, ys\n"),
        "index_arithmetic": _STREAM + (
            "    L = len(ids) // N\n"
            "    K = (L - 1) // T\n"
            "    where = (np.arange(K)[:, None, None] * T + np.arange(T)[None, :, None]\n"
            "             + np.arange(N)[None, None, :] * L)\n"
            "    ids = np.asarray(ids)\n"
            "    return ids[where], ids[where + 1]\n"),
        "stacked_windows": _STREAM + (
            "    L = len(ids) // N\n"
            "    streams = [ids[n * L:(n + 1) * L] for n in range(N)]\n"
            "    K = (L - 1) // T\n"
            "    xs = np.stack([np.stack([s[k * T:k * T + T] for s in streams], axis=1)\n"
            "                   for k in range(K)])\n"
            "    ys = np.stack([np.stack([s[k * T + 1:k * T + T + 1] for s in streams], axis=1)\n"
            "                   for k in range(K)])\n"
            "    return xs.reshape(K, T, N), ys.reshape(K, T, N)\n"),
    },
    "sample": {
        "gumbel_max": _sample(p="np.asarray(logits) / temperature",
                              draw="int(np.argmax(p + rng.gumbel(size=len(p))))"),
        "random_and_searchsorted": _sample(
            draw="min(int(np.searchsorted(np.cumsum(p), rng.random(), side='right')), "
                 "len(p) - 1)"),
        "multinomial": _sample(draw="int(np.argmax(rng.multinomial(1, p)))"),
        "power_of_probabilities": _sample(
            p="softmax(logits) ** (1 / temperature)\n        p = p / p.sum()"),
        "step_after_the_draw": _SAMPLE + (
            "    logits, state = step(first, state)\n"
            "    ids = []\n"
            "    for i in range(n):\n"
            "        char = int(rng.choice(len(logits), p=softmax(logits / temperature)))\n"
            "        ids.append(char)\n"
            "        if i < n - 1:\n"
            "            logits, state = step(char, state)\n"
            "    return np.array(ids)\n"),
        "list_of_python_ints": _sample(ids="[]", draw="int(rng.choice(len(p), p=p))",
                                       store="ids.append(char)", result="np.array(ids)"),
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("softmax", "no_max_shift"): "softmax overflowed on scores of 1000: shift by the maximum first",
    ("softmax", "shift_by_global_max"): "shift each row by its own maximum",
    ("softmax", "shift_by_row_min"): "subtract each row's maximum (not its minimum or mean)",
    ("softmax", "sum_over_first_axis"): "sum to 1 along axis 0, not along the last axis",
    ("softmax", "sum_over_everything"): "The whole array sums to 1",
    ("softmax", "sum_without_keepdims"): "keep it with keepdims=True",
    ("softmax", "max_without_keepdims"): "keep it with keepdims=True",
    ("softmax", "not_normalized"): "exp(z - max) is not yet divided by its sum",
    ("softmax", "log_softmax"): "softmax returned log-probabilities",
    ("softmax", "hard_coded_axis_2"): "name the last axis as axis=-1",
    ("softmax", "sigmoid"): "Each position's probabilities must sum to 1",
    ("softmax", "shifted_in_place"): "changed its argument `z` in place",
    ("softmax", "math_exp"): "numpy's functions (np.tanh, np.exp, ...) work on whole arrays",
    ("readout", "W_hy_not_transposed"): "the logits are hs @ W_hy.T",
    ("readout", "bias_missing"): "is b_y missing?",
    ("readout", "bias_as_column"): "add it as it is to the (T, N, V) logits, along their last axis",
    ("readout", "bias_subtracted"): "b_y enters with a minus sign",
    ("readout", "batch_major"): "The logits are batch-major",
    ("readout", "softmax_of_logits"): "readout returned probabilities",
    ("readout", "tanh_of_logits"): "readout is linear",
    ("readout", "last_step_only"): "That is the logits of one step",
    ("readout", "flattened_positions"): "reshape back to (T, N, V)",
    ("readout", "column_form"): "That is the column form",
    ("softmax_cross_entropy", "loss_summed"):
        "loss is T*N times too large: the mean over all positions, not the sum",
    ("softmax_cross_entropy", "summed_loss_and_gradient"): "loss is T*N times too large",
    ("softmax_cross_entropy", "gradient_not_divided"): "dlogits is T*N times too large",
    ("softmax_cross_entropy", "log_of_softmax"): "log(softmax(logits)) underflows to log(0)",
    ("softmax_cross_entropy", "log_of_clipped_softmax"): "an epsilon inside the log",
    ("softmax_cross_entropy", "mean_over_batch_only"): "you averaged over the batch only",
    ("softmax_cross_entropy", "wrong_sign_gradient"): "dlogits has the wrong sign",
    ("softmax_cross_entropy", "missing_minus_one"): "the -1 at the target is missing",
    ("softmax_cross_entropy", "loss_in_bits"): "loss is in bits",
    ("softmax_cross_entropy", "loss_per_position"): "one loss per position",
    ("softmax_cross_entropy", "targets_indexed_wrong"): "index arrays that broadcast to (T, N)",
    ("softmax_cross_entropy", "shifted_in_place"): "changed its argument `logits` in place",
    ("softmax_cross_entropy", "gradient_from_logits"): "Each position's dlogits must sum to 0",
    ("softmax_cross_entropy", "minus_one_at_every_target"): "Each position's dlogits must sum to 0",
    ("stream_batches", "windows_side_by_side"):
        "stream n must start at n * (len(ids) // N): your streams restart",
    ("stream_batches", "targets_not_shifted"): "ys must be the next character: targets not shifted",
    ("stream_batches", "targets_before"): "ys holds the character before each of xs",
    ("stream_batches", "batch_major"): "batch-major: expected (K, T, N)",
    ("stream_batches", "dropping_last_window"): "One window too few",
    ("stream_batches", "off_by_one_K"): "The last window's ys needs the character after it",
    ("stream_batches", "interleaved_streams"): "reads every N-th character",
    ("stream_batches", "start_at_n_len_over_N"): "n * len(ids) // N is (n * len(ids)) // N",
    ("stream_batches", "reshape_without_dropping"): "len(ids) = 50 need not be",
    ("stream_batches", "every_stream_from_the_start"): "yours start at [0, 0, 0]",
    ("stream_batches", "sliding_windows"):
        "Window k + 1 of stream n must continue where window k ended",
    ("sample", "temperature_after_softmax"): "Is the temperature applied after the softmax?",
    ("sample", "temperature_after_softmax_renormalized"):
        "temperature 0.5 gave the same frequencies as 1.0: is the temperature applied after the "
        "softmax?",
    ("sample", "temperature_ignored"): "temperature 0.5 gave the same frequencies as 1.0",
    ("sample", "temperature_multiplies"): "softmax(logits * temperature)",
    ("sample", "global_random_state"):
        "the same seed gave different text: draw with rng, not np.random",
    ("sample", "fixed_seed_inside"): "Two different seeds gave the same text",
    ("sample", "argmax_not_a_draw"): "that is argmax, not a draw",
    ("sample", "draw_not_fed_back"): "step was called with `first` every time",
    ("sample", "state_not_passed_on"): "pass on the state that step returns",
    ("sample", "returns_first_too"): "starting with `first`",
    ("sample", "first_in_place_of_last"): "The ids start with `first`",
    ("sample", "float_ids"): "character ids are ints",
    ("sample", "one_draw_short"): "sample returned 0 ids for n = 1",
    ("sample", "uniform_draws"): "every character is drawn about equally often",
    ("sample", "own_softmax_without_shift"): "the probabilities became nan",
    ("sample", "draw_of_size_one"): "with size=1 it gives an array",
    ("sample", "probabilities_of_the_first_step_only"): "those of the first step",
}

# The visible test of each graded name, run on a namespace of answers.
CHECKS = {
    "softmax": lambda ns: checks.check_softmax(ns["softmax"]),
    "readout": lambda ns: checks.check_readout(ns["readout"]),
    "softmax_cross_entropy": lambda ns: checks.check_softmax_cross_entropy(
        ns["softmax_cross_entropy"], ns["softmax"]),
    "stream_batches": lambda ns: checks.check_stream_batches(ns["stream_batches"]),
    "sample": lambda ns: checks.check_sample(ns["sample"], ns["softmax"]),
}


def check_executed(outputs):
    """What the solution notebook of lesson 06 must have computed when run top to bottom. Every
    number its text states is recomputed here from the course's code: the text and its lines to
    beat from rnncourse.text, the checkpoint's loss with the reference functions and the
    shipped char_model.py, the comparison table from the shipped JSON, the unit search with the
    reference lstm_forward."""
    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], \
            outputs[f"test_{name}"]
    lines = _lines_to_beat(outputs)
    _check_stated(lines)
    _check_exercises(outputs)
    _check_engine_and_live_run(outputs)
    _check_checkpoint(outputs, lines)
    _check_samples(outputs)
    _check_units(outputs)
    _check_comparison(outputs, lines)
    for cell in ("explore-generation", "explore-cells"):
        assert "application/vnd.jupyter.widget-view+json" in outputs[cell], f"{cell}: not shown"


def _lines_to_beat(outputs):
    """Section 1: the text's sizes and the uniform and unigram lines, recomputed."""
    import numpy as np

    from rnncourse.text import Vocabulary, load_text, train_validation

    text = load_text()
    train, val = train_validation(text)
    vocab = Vocabulary(text)
    assert (f"{len(text):,} characters, V = {len(vocab)} distinct; training {len(train):,}, "
            f"validation {len(val):,}") in outputs["text"], outputs["text"]
    ids = vocab.encode(train)
    q = np.bincount(ids, minlength=len(vocab)) / len(ids)
    lines = {"uniform (log V)": np.log(len(vocab)),
             "unigram entropy (train)": -np.sum(q[q > 0] * np.log(q[q > 0])),
             "unigram model on validation": -np.mean(np.log(q[vocab.encode(val)]))}
    for name, nats in lines.items():
        assert (f"{name:28s} {nats:.3f} nats = {nats / np.log(2):.3f} bits per character, "
                f"perplexity {np.exp(nats):.1f}") in outputs["baselines"], outputs["baselines"]
    return {"vocab": vocab, "train": train, "val": val, "q": q, **lines}


def _check_stated(lines):
    """Numbers the lesson's text states outright: the text's size and module count (intro), the
    training defaults of section 7 (learning rate 2e-3, clipping at a global norm of 5), the unit
    search's rule of section 10 (|r| >= 0.5, 0.1 above an untrained network)."""
    import inspect
    import sys

    from autograder.paths import ROOT
    from rnncourse.explore import cells

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from make_corpus import MODULES
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    text = "\n".join(cell.source for cell in __import__("coursekit").solution_notebook(
        "06_char_lstm").cells if cell.cell_type == "markdown")
    size = len(lines["train"]) + len(lines["val"])
    assert f"{size:,} characters of Python source: twenty modules" in text and len(MODULES) == 20
    defaults = inspect.signature(_trained()[0].train).parameters
    assert (defaults["lr"].default, defaults["max_norm"].default) == (2e-3, 5.0)
    assert "learning rate $2 \\cdot\n10^{-3}$" in text and "global norm of 5" in text
    assert (cells.THRESHOLD, cells.MARGIN) == (0.5, 0.1) and "$|r| \\ge 0.5$" in text


def _number(pattern, text):
    import re

    found = re.search(pattern, text)
    assert found, (pattern, text)
    return float(found.group(1).replace(",", ""))


def _check_exercises(outputs):
    """Sections 4 and 5: log V for equal scores, the gradient check, the streams' example."""
    import numpy as np

    loss = _number(r"equal scores: loss (\S+),", outputs["loss-check"])
    assert loss == float(f"{np.log(96):.6f}"), outputs["loss-check"]
    assert _number(r"largest relative error (\S+)", outputs["loss-check"]) < 1e-6
    assert "[[0 1 2]\n [3 4 5]\n [6 7 8]]" in outputs["streams-example"]
    assert "[[11 12 13]\n [14 15 16]\n [17 18 19]]" in outputs["streams-example"]
    assert "587 windows of T = 25 for N = 32 streams" in outputs["streams-example"]


def _check_engine_and_live_run(outputs):
    """Section 7: the fast LSTM computes the reference's LSTM (states, gradients, the losses of
    the first updates), and the seeded live run reaches its target of 2.3 bits per character
    after 2,500 updates, with about half of its sample's words known (section 8's measure)."""
    for pattern in (r"hidden states: largest difference (\S+)", r"dW: largest difference (\S+)",
                    r"db: largest difference (\S+)"):
        assert _number(pattern, outputs["engine-check"]) < 1e-5, outputs["engine-check"]
    assert _number(r"largest difference (\S+);", outputs["same-updates"]) < 1e-5
    assert "the course's" in outputs["your-code"]
    live = outputs["live-run"]
    assert "application/vnd.jupyter.widget-view+json" in live, "no progress bar shown"
    start = _number(r"update     0 \(  0\.0 s\): validation (\S+) bits", live)
    assert abs(start - 6.585) < 0.05, live            # an untrained model: about log2(V)
    final = _number(r"update  2500 \(\s*\S+ s\): validation (\S+) bits", live)
    assert final <= 2.3 and "target 2.3 bits per character: reached after" in live, live
    share = _number(r"known words in 2,000 characters at temperature 1.0: (\d+)%", live)
    assert 40 <= share <= 60, live                    # "about half"


@functools.lru_cache(maxsize=None)
def _trained():
    import importlib.util

    from autograder.paths import ROOT

    path = ROOT / "solutions" / "06_char_lstm" / "char_model.py"
    spec = importlib.util.spec_from_file_location("char_model_06", path)
    char_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(char_model)
    return char_model, char_model.load(path.parent / "char_lstm.npz")


def _check_checkpoint(outputs, lines):
    """Section 8 and the mark scheme: the checkpoint's validation loss (recomputed with the
    reference functions), more than 2 bits per character below the unigram line (perplexity
    about 4 against about 22); its history: lowest validation loss at the shipped update, higher
    at the end while the training loss still falls (the start of over-fitting); about 128,000
    parameters, the training text read about 20 times."""
    import numpy as np

    from autograder.lessons import REFERENCE

    char_model, trained = _trained()
    val_ids = lines["vocab"].encode(lines["val"])
    nats = char_model.evaluate(trained, val_ids, REFERENCE["readout"],
                               REFERENCE["softmax_cross_entropy"], REFERENCE["stream_batches"])
    printed = outputs["checkpoint"]
    assert (f"trained LSTM: validation {nats:.3f} nats = {nats / np.log(2):.3f} bits per "
            f"character, perplexity {np.exp(nats):.2f}") in printed, printed
    unigram = lines["unigram model on validation"]
    below = (unigram - nats) / np.log(2)
    assert f"{below:.2f} bits per character below" in printed and below > 2.0, printed
    assert 3.5 <= np.exp(nats) < 4.5 and 21.5 <= np.exp(unigram) < 22.5
    history = {k: trained.extra[f"history_{k}"] for k in ("updates", "train_loss", "val_loss")}
    best = int(trained.extra["best_update"])
    at_best = list(history["updates"]).index(best)
    assert history["val_loss"][at_best] == history["val_loss"].min()
    assert history["val_loss"][-1] > history["val_loss"][at_best]
    assert history["train_loss"][-1] < history["train_loss"][at_best]
    assert (f"trained for {history['updates'][-1]:,} updates of 800 characters at learning rate "
            f"2e-3; shipped: the weights of update {best:,}") in printed, printed
    assert (best, int(history["updates"][-1])) == (9300, 12000)          # the mark scheme's
    assert f"{history['val_loss'][at_best] / np.log(2):.2f}" == "2.15"
    assert f"{history['val_loss'][-1] / np.log(2):.2f}" == "2.17"
    parameters = sum(p.size for p in trained.params.values())
    assert round(parameters, -3) == 128_000, parameters
    assert round(history["updates"][-1] * 800 / len(lines["train"])) == 20
    assert "image/png" in printed, "the history was not drawn"


def _distinct_share(text, n=10):
    grams = [text[i:i + n] for i in range(len(text) - n + 1)]
    return len(set(grams)) / len(grams)


def _check_samples(outputs):
    """Section 8: the sample at temperature 0.2 repeats itself (far fewer distinct 10-character
    pieces than at 1.0), and the LSTM's words are far more often real than a unigram sampler's."""
    import re

    samples = dict(re.findall(r"--- temperature (\S+) ---\n(.*?)\n\n(?=---|$)",
                              outputs["samples"], re.S))
    assert set(samples) == {"0.2", "0.5", "1.0"}, outputs["samples"]
    assert _distinct_share(samples["0.2"]) < 0.5 * _distinct_share(samples["1.0"]), samples
    lstm = _number(r"LSTM at temperature 1.0 (\d+)%", outputs["word-share"])
    unigram = _number(r"unigram sampler (\d+)%", outputs["word-share"])
    assert unigram < 10 and lstm >= 4 * unigram, outputs["word-share"]


def _check_units(outputs):
    """Section 10: the verdict of the unit search, recomputed with the reference lstm_forward;
    the trained model has at least one unit that tracks a feature."""
    from autograder.lessons import REFERENCE
    from rnncourse.explore import cell_trace, tracked, verdict
    from rnncourse.text import Vocabulary, load_text, train_validation

    char_model, trained = _trained()
    text = load_text()
    val = train_validation(text)[1]
    chars = Vocabulary(text).chars
    rankings = {}
    for name, params in (("trained", trained.gate_params()),
                         ("untrained", char_model.CharLSTM(len(chars), 128, seed=0).gate_params())):
        rankings[name] = cell_trace(REFERENCE["lstm_forward"], params, val[500:20_500], chars,
                                    context=val[:500])["ranking"]
    said = verdict(rankings["trained"], baseline=rankings["untrained"])
    assert said in outputs["unit-search"], (said, outputs["unit-search"])
    assert tracked(rankings["trained"], baseline=rankings["untrained"]), said


def _check_comparison(outputs, lines):
    """Section 11 and the summary: the table holds the shipped comparison; the LSTM beats the
    RNN, and both are far below the unigram line."""
    import json

    from autograder.paths import ROOT

    comparison = json.loads((ROOT / "solutions" / "06_char_lstm" /
                             "rnn_vs_lstm_text.json").read_text())
    bits = comparison["validation_bits_per_character"]
    table = outputs["article-table"]
    assert f"| {bits['rnn']:.3f} | {bits['lstm']:.3f} |" in table, table
    assert f"uniform {comparison['log2_V']:.3f}, unigram {comparison['unigram_bits']:.3f}" in table
    assert bits["lstm"] < bits["rnn"] < comparison["unigram_bits"] - 2.0
    assert f"{bits['rnn'] - bits['lstm']:.3f} bits per character fewer" in table
