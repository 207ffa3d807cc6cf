"""Lesson 01: answers to rnn_step and rnn_forward that learners really write."""
from rnncourse import checks, explore

# The lesson's explorers, by the id of the notebook cell that shows each: how to build one
# from the graded functions it is driven by ({name: function}; the tests pass the reference
# as if it were the learner's). tests/test_explorer_layout.py and the browser suite use them.
EXPLORERS = {
    "explore-memory": lambda answers: explore.MemoryExplorer(answers["rnn_forward"]),
}

_STEP = "def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
_FORWARD = "def rnn_forward(x, h0, W_xh, W_hh, b_h):\n"


def _loop(loop="for t in range(T)", step="rnn_step(x[t], h, W_xh, W_hh, b_h)",
          result="np.array(hs)"):
    """An rnn_forward that collects the states in a list, with one part changed."""
    return _FORWARD + (
        "    T = x.shape[0]\n"
        "    hs, h = [], h0\n"
        f"    {loop}:\n"
        f"        h = {step}\n"
        "        hs.append(h)\n"
        f"    return {result}\n")

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
        "bias_outside_tanh": _STEP + "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T) + b_h\n",
        "bias_subtracted": _STEP + "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T - b_h)\n",
        "tanh_of_each_term": _STEP + (
            "    return np.tanh(x_t @ W_xh.T) + np.tanh(h_prev @ W_hh.T) + np.tanh(b_h)\n"),
        "adds_h_prev": _STEP + "    return h_prev + np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)\n",
        "weights_swapped": _STEP + "    return np.tanh(x_t @ W_hh.T + h_prev @ W_xh.T + b_h)\n",
        "concatenation_order_mismatch": _STEP + (
            "    W = np.concatenate([W_xh, W_hh], axis=1)\n"
            "    return np.tanh(np.concatenate([h_prev, x_t], axis=1) @ W.T + b_h)\n"),
        "elementwise_not_matmul": _STEP + "    return np.tanh(x_t @ W_xh.T + h_prev * W_hh + b_h)\n",
        "math_tanh": _STEP + (
            "    import math\n"
            "    return math.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)\n"),
        "bias_as_column": _STEP + (
            "    return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h.reshape(-1, 1))\n"),
        "column_form_for_h_only": _STEP + "    return np.tanh((W_xh @ x_t.T).T + W_hh @ h_prev + b_h)\n",
        "tanh_derivative": _STEP + "    return 1 - np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h) ** 2\n",
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
        "input_shifted": _loop(step="rnn_step(x[t - 1], h, W_xh, W_hh, b_h)"),
        "same_array_every_step": _FORWARD + (
            "    hs, h = [], h0.copy()\n"
            "    for x_t in x:\n"
            "        h[:] = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
            "        hs.append(h)\n"
            "    return np.array(hs)\n"),
        "arguments_swapped": _loop(step="rnn_step(h, x[t], W_xh, W_hh, b_h)"),
        "weights_swapped_in_call": _loop(step="rnn_step(x[t], h, W_hh, W_xh, b_h)"),
        "whole_sequence_each_step": _loop(step="rnn_step(x, h, W_xh, W_hh, b_h)"),
        "loops_over_batch": _loop(loop="for t in range(x.shape[1])"),
        "batch_major_slices": _loop(loop="for t in range(x.shape[1])",
                                    step="rnn_step(x[:, t], h, W_xh, W_hh, b_h)"),
        "concatenated_not_stacked": _loop(result="np.concatenate(hs)"),
        "one_step_short": _loop(loop="for t in range(T - 1)"),
        "previous_from_unfilled_slot": _FORWARD + (
            "    hs = np.zeros((len(x),) + h0.shape)\n"
            "    for t in range(len(x)):\n"
            "        hs[t] = rnn_step(x[t], h0 if t == 0 else hs[t], W_xh, W_hh, b_h)\n"
            "    return hs\n"),
        "first_slot_left_empty": _FORWARD + (
            "    hs = np.zeros((len(x),) + h0.shape)\n"
            "    h = h0\n"
            "    for t in range(1, len(x)):\n"
            "        h = rnn_step(x[t], h, W_xh, W_hh, b_h)\n"
            "        hs[t] = h\n"
            "    return hs\n"),
        "batch_major_result": _loop(result="np.array(hs).transpose(1, 0, 2)"),
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
        "column_products_then_transposed": _STEP + (
            "    return np.tanh((W_xh @ x_t.T + W_hh @ h_prev.T).T + b_h)\n"),
        "bias_as_a_column_of_ones": _STEP + (
            "    inputs = np.hstack([x_t, h_prev, np.ones((x_t.shape[0], 1))])\n"
            "    return np.tanh(inputs @ np.hstack([W_xh, W_hh, b_h[:, None]]).T)\n"),
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
        "keyword_arguments": _loop(
            step="rnn_step(b_h=b_h, W_hh=W_hh, W_xh=W_xh, h_prev=h, x_t=x[t])"),
        "comprehension_with_walrus": _FORWARD + (
            "    h = h0\n"
            "    return np.stack([(h := rnn_step(x_t, h, W_xh, W_hh, b_h)) for x_t in x])\n"),
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("rnn_step", "missing_tanh"): "is tanh missing",
    ("rnn_step", "missing_bias"): "`b_h` missing",
    ("rnn_step", "sigmoid_not_tanh"): "the value of the sigmoid at 0",
    ("rnn_step", "relu_not_tanh"): "that is ReLU",
    ("rnn_step", "W_hh_not_transposed"): "h_prev @ W_hh.T",
    ("rnn_step", "W_xh_not_transposed"): "x_t @ W_xh.T",
    ("rnn_step", "column_form"): "(H, N)",
    ("rnn_step", "h_prev_ignored"): "`h_prev` missing",
    ("rnn_step", "x_t_ignored"): "`x_t` missing",
    ("rnn_step", "modifies_h_prev"): "changed its argument `h_prev` in place",
    ("rnn_step", "returns_nothing"): "forget `return`",
    ("rnn_step", "float32"): "keep float64",
    ("rnn_step", "tanh_applied_twice"): "tanh is applied twice",
    ("rnn_step", "hard_coded_first_example"): "every row of yours is the same",
    ("rnn_step", "bias_outside_tanh"): "b_h is added after tanh",
    ("rnn_step", "bias_subtracted"): "the bias enters with a minus sign",
    ("rnn_step", "tanh_of_each_term"): "as if each term had a tanh of its own",
    ("rnn_step", "adds_h_prev"): "yours equals h_prev: h_prev is added to the result",
    ("rnn_step", "weights_swapped"): "With W_xh = 0, h_t still changes when `x_t` changes",
    ("rnn_step", "concatenation_order_mismatch"):
        "With W_xh = 0, h_t still changes when `x_t` changes",
    ("rnn_step", "elementwise_not_matmul"): "each row of h_t comes from the same row of x_t",
    ("rnn_step", "math_tanh"): "numpy's functions (np.tanh, np.exp, ...) work on whole arrays",
    ("rnn_step", "bias_as_column"): "the bias runs down the batch axis",
    ("rnn_step", "column_form_for_h_only"): "The recurrent weights are applied the wrong way round",
    ("rnn_step", "tanh_derivative"): "the derivative of tanh, not tanh itself",
    ("rnn_forward", "shape_from_x"): "hs holds T such states, shape (T, N, H)",
    ("rnn_forward", "input_shifted"): "x[t - 1] with t = 0 is x[-1], the *last* input",
    ("rnn_forward", "same_array_every_step"): "hs holds the same array T times",
    ("rnn_forward", "arguments_swapped"): "passes the state first and the input second",
    ("rnn_forward", "weights_swapped_in_call"): "passes W_hh where rnn_step takes W_xh",
    ("rnn_forward", "whole_sequence_each_step"): "passes the whole sequence x",
    ("rnn_forward", "loops_over_batch"): "is N, the batch size",
    ("rnn_forward", "batch_major_slices"): "x is time-major",
    ("rnn_forward", "concatenated_not_stacked"): "joined along the batch axis",
    ("rnn_forward", "one_step_short"): "calls rnn_step 3 times, but x has T = 4 steps",
    ("rnn_forward", "previous_from_unfilled_slot"): "Call 2 of rnn_step starts from zeros",
    ("rnn_forward", "first_slot_left_empty"): "rnn_step got x[1], x[2], x[3]",
    ("rnn_forward", "batch_major_result"): "hs is batch-major",
    ("rnn_forward", "h0_ignored"): "ignores h0",
    ("rnn_forward", "reads_hs_minus_one_at_t0"): "ignores h0",
    ("rnn_forward", "state_not_carried"): "not carried through time",
    ("rnn_forward", "hs_includes_h0"): "must not include h0",
    ("rnn_forward", "time_reversed"): "Time runs backwards",
    ("rnn_forward", "stored_reversed"): "reverse order",
    ("rnn_forward", "returns_last_state_only"): "returns all T of them",
    ("rnn_forward", "writes_into_h0"): "changed its argument `h0` in place",
    ("rnn_forward", "list_not_array"): "returned list",
    ("rnn_forward", "skips_first_input"): "rnn_step got x[1], x[2], x[3]",
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
    # sensitivity, not memory: the lesson's words after the cell (tests/test_explorer_memory.py
    # computes the same numbers with the reference)
    ends = {float(radius): [float(v) for v in values.split(", ")] for radius, values in re.findall(
        r"scale (\S+): distance at the end after a pulse of 1, 0.1, 0.01: (.+)",
        outputs["sensitivity"])}
    assert sorted(ends) == [0.8, 1.2], outputs["sensitivity"]
    one, tenth, hundredth = ends[0.8]
    assert abs(tenth / hundredth - 10) < 0.5 and round(one / hundredth) in (46, 47, 48), ends
    assert all(1.5 < end < 2.0 for end in ends[1.2]), ends          # about the same distance
