"""Lesson 01: answers to rnn_step and rnn_forward that learners really write."""
from rnncourse import checks

_STEP = "def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
_FORWARD = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n"

MISTAKES = {
    "rnn_step": {
        "missing_tanh": _STEP + "    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h\n",
        "missing_bias": _STEP + "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)\n",
        "sigmoid_not_tanh": _STEP + "    return 1 / (1 + np.exp(-(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)))\n",
        "relu_not_tanh": _STEP + "    return np.maximum(0, x_t @ W_xh.T + h_prev @ W_hh.T + b_h)\n",
        "W_hh_not_transposed": _STEP + "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh + b_h)\n",
        "W_xh_not_transposed": _STEP + "    return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)\n",
        "column_form": _STEP + "    return np.tanh(W_xh @ x_t.T + W_hh @ h_prev.T + b_h[:, None])\n",
        "h_prev_ignored": _STEP + "    return np.tanh(x_t @ W_xh.T + b_h)\n",
        "x_t_ignored": _STEP + "    return np.tanh(h_prev @ W_hh.T + b_h)\n",
        "modifies_h_prev": _STEP + (
            "    h = h_prev\n"
            "    h[:] = np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)\n"
            "    return h\n"),
        "tanh_applied_twice": _STEP + "    return np.tanh(np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h))\n",
        "returns_nothing": _STEP + "    h_t = np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)\n",
        "float32": _STEP + "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h).astype(np.float32)\n",
        "hard_coded_first_example": _STEP + (
            "    return np.tanh(x_t[:1] @ W_xh.T + h_prev[:1] @ W_hh.T + b_h).repeat(len(x_t), 0)\n"),
    },
    "rnn_forward": {
        "h0_ignored": _FORWARD + (
            "    hs = np.zeros((x.shape[0], h0.shape[0], h0.shape[1]))\n"
            "    h = np.zeros_like(h0)\n"
            "    for t in range(x.shape[0]):\n"
            "        h = rnn_step(x[t], h, W_xh, W_hh, b_h)\n"
            "        hs[t] = h\n"
            "    return hs\n"),
        "reads_hs_minus_one_at_t0": _FORWARD + (
            "    hs = np.zeros((x.shape[0], h0.shape[0], h0.shape[1]))\n"
            "    for t in range(x.shape[0]):\n"
            "        hs[t] = rnn_step(x[t], hs[t - 1], W_xh, W_hh, b_h)\n"
            "    return hs\n"),
        "state_not_carried": _FORWARD + (
            "    return np.array([rnn_step(x_t, h0, W_xh, W_hh, b_h) for x_t in x])\n"),
        "hs_includes_h0": _FORWARD + (
            "    hs = [h0]\n"
            "    for x_t in x:\n"
            "        hs.append(rnn_step(x_t, hs[-1], W_xh, W_hh, b_h))\n"
            "    return np.array(hs)\n"),
        "drops_last_state": _FORWARD + (
            "    hs = [h0]\n"
            "    for x_t in x:\n"
            "        hs.append(rnn_step(x_t, hs[-1], W_xh, W_hh, b_h))\n"
            "    return np.array(hs[:-1])\n"),
        "time_reversed": _FORWARD + (
            "    hs, h = [], h0\n"
            "    for x_t in x[::-1]:\n"
            "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"),
        "stored_reversed": _FORWARD + (
            "    hs, h = [], h0\n"
            "    for x_t in x:\n"
            "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "        hs.insert(0, h)\n"
            "    return np.array(hs)\n"),
        "returns_last_state_only": _FORWARD + (
            "    h = h0\n"
            "    for x_t in x:\n"
            "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "    return h\n"),
        "writes_into_h0": _FORWARD + (
            "    hs = np.empty((len(x),) + h0.shape)\n"
            "    h = h0\n"
            "    for t in range(len(x)):\n"
            "        h[:] = rnn_step(x[t], h, W_xh, W_hh, b_h)\n"
            "        hs[t] = h\n"
            "    return hs\n"),
        "shape_from_x": _FORWARD + (
            "    hs = np.zeros_like(x)\n"
            "    h = h0\n"
            "    for t in range(len(x)):\n"
            "        h = rnn_step(x[t], h, W_xh, W_hh, b_h)\n"
            "        hs[t] = h\n"
            "    return hs\n"),
        "list_not_array": _FORWARD + (
            "    hs, h = [], h0\n"
            "    for x_t in x:\n"
            "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return hs\n"),
        "hard_coded_recorded_shape": _FORWARD + (
            "    hs = np.empty((4, 2, 4))\n"
            "    h = h0\n"
            "    for t in range(4):\n"
            "        h = rnn_step(x[t], h, W_xh, W_hh, b_h)\n"
            "        hs[t] = h\n"
            "    return hs\n"),
        "skips_first_input": _FORWARD + (
            "    hs, h = [h0], h0\n"
            "    for x_t in x[1:]:\n"
            "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"),
    },
}

ALTERNATIVES = {
    "rnn_step": {
        "loop_over_batch": _STEP + (
            "    h_t = np.zeros((x_t.shape[0], W_hh.shape[0]))\n"
            "    for n in range(x_t.shape[0]):\n"
            "        h_t[n] = np.tanh(W_xh @ x_t[n] + W_hh @ h_prev[n] + b_h)\n"
            "    return h_t\n"),
        "einsum": _STEP + (
            "    z = np.einsum('nd,hd->nh', x_t, W_xh) + np.einsum('nk,hk->nh', h_prev, W_hh)\n"
            "    return np.tanh(z + b_h)\n"),
        "column_vectors": _STEP + (
            "    return np.tanh(W_xh @ x_t.T + W_hh @ h_prev.T + b_h[:, None]).T\n"),
        "np_dot_and_concatenation": _STEP + (
            "    W = np.concatenate([W_xh, W_hh], axis=1)\n"
            "    return np.tanh(np.dot(np.concatenate([x_t, h_prev], axis=1), W.T) + b_h)\n"),
        "tanh_from_exp": _STEP + (
            "    z = x_t @ W_xh.T + h_prev @ W_hh.T + b_h\n"
            "    return (np.exp(2 * z) - 1) / (np.exp(2 * z) + 1)\n"),
        "overflow_warning_but_right": _STEP + (
            "    z = x_t @ W_xh.T + h_prev @ W_hh.T + b_h\n"
            "    with np.errstate(over='warn'):\n"
            "        np.exp(np.array([1000.0]))  # a harmless RuntimeWarning on stderr\n"
            "    return np.tanh(z)\n"),
    },
    "rnn_forward": {
        "preallocated": _FORWARD + (
            "    T, N, H = x.shape[0], h0.shape[0], h0.shape[1]\n"
            "    hs = np.zeros((T, N, H))\n"
            "    for t in range(T):\n"
            "        hs[t] = rnn_step(x[t], h0 if t == 0 else hs[t - 1], W_xh, W_hh, b_h)\n"
            "    return hs\n"),
        "list_and_stack": _FORWARD + (
            "    hs, h = [], h0\n"
            "    for x_t in x:\n"
            "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.stack(hs)\n"),
        "inlined_step": _FORWARD + (
            "    hs, h = [], h0.copy()\n"
            "    for t in range(len(x)):\n"
            "        h = np.tanh(x[t] @ W_xh.T + h @ W_hh.T + b_h)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"),
        "h0_in_array_then_sliced": _FORWARD + (
            "    hs = np.zeros((len(x) + 1,) + h0.shape)\n"
            "    hs[0] = h0\n"
            "    for t in range(len(x)):\n"
            "        hs[t + 1] = rnn_step(x[t], hs[t], W_xh, W_hh, b_h)\n"
            "    return hs[1:].copy()\n"),
        "input_projection_first": _FORWARD + (
            "    xw = x @ W_xh.T + b_h\n"
            "    hs, h = [], h0\n"
            "    for t in range(len(x)):\n"
            "        h = np.tanh(xw[t] + h @ W_hh.T)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"),
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("rnn_step", "missing_tanh"): "is tanh missing",
    ("rnn_step", "missing_bias"): "`b_h` missing",
    ("rnn_step", "sigmoid_not_tanh"): "sigmoid or ReLU",
    ("rnn_step", "relu_not_tanh"): "sigmoid or ReLU",
    ("rnn_step", "W_hh_not_transposed"): "h_prev @ W_hh.T",
    ("rnn_step", "W_xh_not_transposed"): "x @ W.T",
    ("rnn_step", "column_form"): "(H, N)",
    ("rnn_step", "h_prev_ignored"): "`h_prev` missing",
    ("rnn_step", "x_t_ignored"): "`x_t` missing",
    ("rnn_step", "modifies_h_prev"): "changed its argument `h_prev` in place",
    ("rnn_step", "returns_nothing"): "forget `return`",
    ("rnn_step", "float32"): "keep float64",
    ("rnn_forward", "h0_ignored"): "ignores h0",
    ("rnn_forward", "reads_hs_minus_one_at_t0"): "ignores h0",
    ("rnn_forward", "state_not_carried"): "not carried through time",
    ("rnn_forward", "hs_includes_h0"): "must not include h0",
    ("rnn_forward", "time_reversed"): "Time runs backwards",
    ("rnn_forward", "stored_reversed"): "reverse order",
    ("rnn_forward", "returns_last_state_only"): "returns all T of them",
    ("rnn_forward", "writes_into_h0"): "changed its argument `h0` in place",
    ("rnn_forward", "list_not_array"): "returned list",
    ("rnn_forward", "skips_first_input"): "hs[0] is h0",
    ("rnn_forward", "drops_last_state"): "hs[0] is h0",
}

# The visible test of each graded name, run on a namespace of answers.
CHECKS = {"rnn_step": lambda ns: checks.check_rnn_step(ns["rnn_step"]),
          "rnn_forward": lambda ns: checks.check_rnn_forward(ns["rnn_forward"], ns["rnn_step"])}


def check_executed(outputs):
    """What the solution notebook of lesson 01 must have computed when run top to bottom."""
    import re

    assert "rnn_step: all visible checks passed." in outputs["test_rnn_step"]
    assert "rnn_forward: all visible checks passed." in outputs["test_rnn_forward"]
    assert "x: (50, 3, 1) -> hs: (50, 3, 8)" in outputs["check-sine"]
    assert "every state inside (-1, 1): True" in outputs["check-sine"]
    assert "image/png" in outputs["check-sine"], "the sine plot was not drawn"
    assert "application/vnd.jupyter.widget-view+json" in outputs["explore-memory"]
    rows = re.findall(r"scale (\S+): remembered for\s+(\d+) steps, predicted\s+(\S+)",
                      outputs["predict-memory"])
    assert len(rows) == 4, outputs["predict-memory"]
    for radius, measured, predicted in rows:
        # a linear regime: the distance shrinks by exactly `radius` per step
        assert int(measured) == int(-(-float(predicted) // 1)), (radius, measured, predicted)
