"""Lesson 04: answers to the LSTM's pieces that learners really write."""
from rnncourse import checks

_SIG = "def sigmoid(z):\n"
_CELL = "def cell_update(C_prev, f_t, i_t, C_tilde):\n"
_HID = "def hidden_state(o_t, C_t):\n"
_STEP = "def lstm_step(x_t, h_prev, C_prev, params):\n"
_FWD = "def lstm_forward(x, h0, C0, params):\n"
_GAIN = "def carousel_gain(fs):\n"


def _gate(name, letter, body):
    return (f"def {name}(h_prev, x_t, W_{letter}, b_{letter}):\n"
            f"    {body.format(W=f'W_{letter}', b=f'b_{letter}')}\n")


_HX = "np.concatenate([h_prev, x_t], axis=1)"
_XH = "np.concatenate([x_t, h_prev], axis=1)"


def _gate_mistakes(name, letter, squash, other):
    return {
        "x_before_h": _gate(name, letter, f"return {squash}({_XH} @ {{W}}.T + {{b}})"),
        "missing_bias": _gate(name, letter, f"return {squash}({_HX} @ {{W}}.T)"),
        f"{other.split('.')[-1]}_not_{squash.split('.')[-1]}": _gate(
            name, letter, f"return {other}({_HX} @ {{W}}.T + {{b}})"),
        "W_not_transposed": _gate(name, letter, f"return {squash}({_HX} @ {{W}} + {{b}})"),
        "column_form": _gate(name, letter,
                             f"return {squash}({{W}} @ {_HX}.T + {{b}}[:, None])"),
    }


def _step(f="forget_gate(h_prev, x_t, params['W_f'], params['b_f'])",
          C="cell_update(C_prev, f_t, i_t, C_tilde)", h="hidden_state(o_t, C_t)",
          ret="h_t, C_t"):
    return _STEP + (
        f"    f_t = {f}\n"
        "    i_t = input_gate(h_prev, x_t, params['W_i'], params['b_i'])\n"
        "    C_tilde = candidate_cell(h_prev, x_t, params['W_C'], params['b_C'])\n"
        f"    C_t = {C}\n"
        "    o_t = output_gate(h_prev, x_t, params['W_o'], params['b_o'])\n"
        f"    h_t = {h}\n"
        f"    return {ret}\n")


def _forward(h_in="h", C_in="C", store="hs.append(h)\n        Cs.append(C)",
             ret="np.array(hs), np.array(Cs)", start="hs, Cs, h, C = [], [], h0, C0"):
    return _FWD + (
        f"    {start}\n"
        "    for x_t in x:\n"
        f"        h, C = lstm_step(x_t, {h_in}, {C_in}, params)\n"
        f"        {store}\n"
        f"    return {ret}\n")


def _gain(body):
    return _GAIN + body


MISTAKES = {
    "sigmoid": {
        "naive_overflows": _SIG + "    return 1 / (1 + np.exp(-z))\n",
        "tanh_not_sigmoid": _SIG + "    return np.tanh(z)\n",
        "sign_flipped": _SIG + "    return 1 / (1 + np.exp(np.clip(z, -500, 500)))\n",
        "clipped_too_tightly": _SIG + "    return 1 / (1 + np.exp(-np.clip(z, -10, 10)))\n",
    },
    "forget_gate": _gate_mistakes("forget_gate", "f", "sigmoid", "np.tanh"),
    "input_gate": _gate_mistakes("input_gate", "i", "sigmoid", "np.tanh"),
    "candidate_cell": _gate_mistakes("candidate_cell", "C", "np.tanh", "sigmoid"),
    "output_gate": _gate_mistakes("output_gate", "o", "sigmoid", "np.tanh"),
    "cell_update": {
        "forget_gate_on_candidate": _CELL + "    return i_t * C_prev + f_t * C_tilde\n",
        "missing_input_gate": _CELL + "    return f_t * C_prev + C_tilde\n",
        "missing_forget_gate": _CELL + "    return C_prev + i_t * C_tilde\n",
        "product_not_sum": _CELL + "    return f_t * C_prev * i_t * C_tilde\n",
        "tanh_on_the_cell": _CELL + "    return np.tanh(f_t * C_prev + i_t * C_tilde)\n",
        "modifies_C_prev": _CELL + (
            "    C_prev *= f_t\n"
            "    return C_prev + i_t * C_tilde\n"),
    },
    "hidden_state": {
        "missing_tanh": _HID + "    return o_t * C_t\n",
        "tanh_of_product": _HID + "    return np.tanh(o_t * C_t)\n",
        "sigmoid_not_tanh": _HID + "    return o_t * sigmoid(C_t)\n",
        "missing_output_gate": _HID + "    return np.tanh(C_t)\n",
        "plus_not_times": _HID + "    return o_t + np.tanh(C_t)\n",
    },
    "lstm_step": {
        "returns_C_then_h": _step(ret="C_t, h_t"),
        "h_from_C_prev": _step(h="hidden_state(o_t, C_prev)"),
        "forget_weights_for_every_gate": _STEP + (
            "    f_t = forget_gate(h_prev, x_t, params['W_f'], params['b_f'])\n"
            "    i_t = input_gate(h_prev, x_t, params['W_f'], params['b_f'])\n"
            "    C_tilde = candidate_cell(h_prev, x_t, params['W_f'], params['b_f'])\n"
            "    C_t = cell_update(C_prev, f_t, i_t, C_tilde)\n"
            "    o_t = output_gate(h_prev, x_t, params['W_f'], params['b_f'])\n"
            "    return hidden_state(o_t, C_t), C_t\n"),
        "gates_swapped_in_update": _step(C="cell_update(C_prev, i_t, f_t, C_tilde)"),
        "returns_h_only": _step(ret="h_t"),
        "h_without_tanh": _step(h="o_t * C_t"),
    },
    "lstm_forward": {
        "cell_state_not_carried": _forward(C_in="C0"),
        "hidden_state_not_carried": _forward(h_in="h0"),
        "returns_Cs_then_hs": _forward(ret="np.array(Cs), np.array(hs)"),
        "includes_initial_states": _forward(start="hs, Cs, h, C = [h0], [C0], h0, C0"),
        "returns_last_only": _forward(ret="h, C"),
        "stores_C_in_hs": _forward(store="hs.append(C)\n        Cs.append(C)"),
        "time_reversed": _FWD + (
            "    hs, Cs, h, C = [], [], h0, C0\n"
            "    for x_t in x[::-1]:\n"
            "        h, C = lstm_step(x_t, h, C, params)\n"
            "        hs.append(h)\n"
            "        Cs.append(C)\n"
            "    return np.array(hs), np.array(Cs)\n"),
    },
    "carousel_gain": {
        "includes_own_gate": _gain(
            "    return np.cumprod(fs[::-1], axis=0)[::-1]\n"),
        "reversed": _gain(
            "    g = np.ones_like(fs)\n"
            "    for t in range(1, len(fs)):\n"
            "        g[t] = g[t - 1] * fs[t]\n"
            "    return g\n"),
        "sum_not_product": _gain(
            "    g = np.ones_like(fs)\n"
            "    for t in range(len(fs) - 2, -1, -1):\n"
            "        g[t] = g[t + 1] + fs[t + 1]\n"
            "    return g\n"),
        "mean_over_batch": _gain(
            "    g = np.ones_like(fs)\n"
            "    for t in range(len(fs) - 2, -1, -1):\n"
            "        g[t] = g[t + 1] * fs[t + 1]\n"
            "    return g.mean(axis=1)\n"),
        "one_step_short": _gain(
            "    g = np.ones_like(fs)\n"
            "    for t in range(len(fs) - 2, -1, -1):\n"
            "        g[t] = fs[t + 1]\n"
            "    return g\n"),
    },
}

_GATE_ALTERNATIVES = {
    "split_weights": "H = h_prev.shape[1]\n    return {squash}(h_prev @ {W}[:, :H].T + x_t @ {W}[:, H:].T + {b})",
    "hstack_and_matmul": "return {squash}(np.matmul(np.hstack((h_prev, x_t)), {W}.T) + {b})",
    "einsum": "return {squash}(np.einsum('nk,hk->nh', np.concatenate([h_prev, x_t], 1), {W}) + {b})",
}


def _gate_alternatives(name, letter, squash):
    return {label: (f"def {name}(h_prev, x_t, W_{letter}, b_{letter}):\n    "
                    + body.format(squash=squash, W=f"W_{letter}", b=f"b_{letter}") + "\n")
            for label, body in _GATE_ALTERNATIVES.items()}


ALTERNATIVES = {
    "sigmoid": {
        "tanh_identity": _SIG + "    return 0.5 * (1 + np.tanh(0.5 * z))\n",
        "where_two_branches": _SIG + (
            "    z = np.asarray(z, dtype=float)\n"
            "    out = np.empty_like(z)\n"
            "    pos = z >= 0\n"
            "    out[pos] = 1 / (1 + np.exp(-z[pos]))\n"
            "    e = np.exp(z[~pos])\n"
            "    out[~pos] = e / (1 + e)\n"
            "    return out\n"),
        "logaddexp": _SIG + "    return np.exp(-np.logaddexp(0, -z))\n",
        "exp_of_capped_z": _SIG + (
            "    e = np.exp(np.minimum(z, 700))\n"
            "    return e / (1 + e)\n"),
        "errstate_silenced": _SIG + (
            "    with np.errstate(over='ignore'):\n"
            "        return 1 / (1 + np.exp(-z))\n"),
    },
    "forget_gate": _gate_alternatives("forget_gate", "f", "sigmoid"),
    "input_gate": _gate_alternatives("input_gate", "i", "sigmoid"),
    "candidate_cell": _gate_alternatives("candidate_cell", "C", "np.tanh"),
    "output_gate": _gate_alternatives("output_gate", "o", "sigmoid"),
    "cell_update": {
        "np_functions": _CELL + "    return np.add(np.multiply(f_t, C_prev), np.multiply(i_t, C_tilde))\n",
        "reordered": _CELL + "    return C_tilde * i_t + C_prev * f_t\n",
    },
    "hidden_state": {
        "np_multiply": _HID + "    return np.multiply(o_t, np.tanh(C_t))\n",
        "tanh_from_exp": _HID + (
            "    e = np.exp(-2 * np.abs(C_t))\n"
            "    return o_t * np.sign(C_t) * (1 - e) / (1 + e)\n"),
    },
    "lstm_step": {
        "inlined": _STEP + (
            "    hx = np.concatenate([h_prev, x_t], axis=1)\n"
            "    f_t = sigmoid(hx @ params['W_f'].T + params['b_f'])\n"
            "    i_t = sigmoid(hx @ params['W_i'].T + params['b_i'])\n"
            "    C_tilde = np.tanh(hx @ params['W_C'].T + params['b_C'])\n"
            "    o_t = sigmoid(hx @ params['W_o'].T + params['b_o'])\n"
            "    C_t = f_t * C_prev + i_t * C_tilde\n"
            "    return o_t * np.tanh(C_t), C_t\n"),
        "stacked_weights": _STEP + (
            "    H = h_prev.shape[1]\n"
            "    W = np.concatenate([params[k] for k in ('W_f', 'W_i', 'W_C', 'W_o')])\n"
            "    b = np.concatenate([params[k] for k in ('b_f', 'b_i', 'b_C', 'b_o')])\n"
            "    z = np.concatenate([h_prev, x_t], axis=1) @ W.T + b\n"
            "    f_t, i_t, o_t = (sigmoid(z[:, k * H:(k + 1) * H]) for k in (0, 1, 3))\n"
            "    C_t = f_t * C_prev + i_t * np.tanh(z[:, 2 * H:3 * H])\n"
            "    return o_t * np.tanh(C_t), C_t\n"),
    },
    "lstm_forward": {
        "preallocated": _FWD + (
            "    T, N, H = len(x), h0.shape[0], h0.shape[1]\n"
            "    hs, Cs = np.zeros((T, N, H)), np.zeros((T, N, H))\n"
            "    h, C = h0, C0\n"
            "    for t in range(T):\n"
            "        h, C = lstm_step(x[t], h, C, params)\n"
            "        hs[t], Cs[t] = h, C\n"
            "    return hs, Cs\n"),
        "stack": _forward(ret="np.stack(hs), np.stack(Cs)"),
    },
    "carousel_gain": {
        "reversed_cumprod": _gain(
            "    g = np.ones_like(fs)\n"
            "    g[:-1] = np.cumprod(fs[:0:-1], axis=0)[::-1]\n"
            "    return g\n"),
        "loop_from_the_end": _gain(
            "    T = fs.shape[0]\n"
            "    g = np.empty(fs.shape)\n"
            "    running = np.ones(fs.shape[1:])\n"
            "    for t in range(T - 1, -1, -1):\n"
            "        g[t] = running\n"
            "        running = running * fs[t]\n"
            "    return g\n"),
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("sigmoid", "naive_overflows"): "Compute exp only of -|z|",
    ("sigmoid", "tanh_not_sigmoid"): "that is tanh",
    ("cell_update", "forget_gate_on_candidate"): "The gates are swapped",
    ("cell_update", "missing_input_gate"): "must scale the candidate",
    ("cell_update", "missing_forget_gate"): "must scale the old cell state",
    ("cell_update", "modifies_C_prev"): "changed its argument `C_prev` in place",
    ("hidden_state", "missing_tanh"): "tanh is missing",
    ("hidden_state", "tanh_of_product"): "it applies to C_t alone",
    ("hidden_state", "sigmoid_not_tanh"): "the sigmoid is where tanh belongs",
    ("lstm_step", "returns_C_then_h"): "the order is (h_t, C_t)",
    ("lstm_step", "h_from_C_prev"): "h_t was computed from C_prev",
    ("lstm_step", "forget_weights_for_every_gate"): "its own weights",
    ("lstm_step", "returns_h_only"): "tuple (h_t, C_t)",
    ("lstm_forward", "cell_state_not_carried"): "cell state is not carried",
    ("lstm_forward", "hidden_state_not_carried"): "hidden state is not carried",
    ("lstm_forward", "returns_Cs_then_hs"): "the order is (hs, Cs)",
    ("lstm_forward", "includes_initial_states"): "One state too many",
    ("lstm_forward", "returns_last_only"): "returns all T of them",
    ("carousel_gain", "includes_own_gate"): "not f_t",
    ("carousel_gain", "reversed"): "reverse order",
    ("carousel_gain", "sum_not_product"): "product of the forget gates",
    ("carousel_gain", "one_step_short"): "product of the forget gates",
}
for _name, _letter in (("forget_gate", "f"), ("input_gate", "i"), ("output_gate", "o")):
    MESSAGES.update({(_name, "x_before_h"): "not [x_t, h_prev]",
                     (_name, "missing_bias"): f"b_{_letter} changes",
                     (_name, "tanh_not_sigmoid"): "uses the sigmoid",
                     (_name, "column_form"): "column form"})
MESSAGES.update({("candidate_cell", "x_before_h"): "not [x_t, h_prev]",
                 ("candidate_cell", "missing_bias"): "b_C changes",
                 ("candidate_cell", "sigmoid_not_tanh"): "the candidate is the tanh layer",
                 ("candidate_cell", "column_form"): "column form"})


def _gate_check(name, with_sigmoid=True):
    check = getattr(checks, f"check_{name}")
    if with_sigmoid:
        return lambda ns: check(ns[name], ns["sigmoid"])
    return lambda ns: check(ns[name])


# The visible test of each graded name, run on a namespace of answers.
CHECKS = {
    "sigmoid": lambda ns: checks.check_sigmoid(ns["sigmoid"]),
    "forget_gate": _gate_check("forget_gate"),
    "input_gate": _gate_check("input_gate"),
    "candidate_cell": _gate_check("candidate_cell", with_sigmoid=False),
    "output_gate": _gate_check("output_gate"),
    "cell_update": lambda ns: checks.check_cell_update(ns["cell_update"]),
    "hidden_state": lambda ns: checks.check_hidden_state(ns["hidden_state"]),
    "lstm_step": lambda ns: checks.check_lstm_step(
        ns["lstm_step"], {name: ns[name] for name in checks.lstm_gates.PARTS}),
    "lstm_forward": lambda ns: checks.check_lstm_forward(ns["lstm_forward"], ns["lstm_step"]),
    "carousel_gain": lambda ns: checks.check_carousel_gain(ns["carousel_gain"]),
}


def check_executed(outputs):
    """What the solution notebook of lesson 04 must have computed when run top to bottom."""
    import re

    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], outputs[f"test_{name}"]
    assert "image/png" in outputs["diagram"], "the LSTM diagram was not drawn"
    optional = re.findall(r"^\s*(\w+): relative error\s+(\S+)\s+ok$", outputs["check-lstm-backward"], re.M)
    assert len(optional) == 3 + 8, outputs["check-lstm-backward"]     # x_t, h_prev, C_prev, params
    assert all(float(error) < 1e-7 for _, error in optional), optional
    for cell in ("explore-gates", "explore-carousel"):
        assert "application/vnd.jupyter.widget-view+json" in outputs[cell], cell
    rows = re.findall(r"forget bias (\S+): cell state keeps (\S+) after 50 steps, the RNN (\S+)",
                      outputs["compare-carousel"])
    assert len(rows) == 3, outputs["compare-carousel"]
    kept = [float(cell) for _, cell, _ in rows]
    assert kept == sorted(kept) and kept[-1] > 0.3, rows      # a larger forget bias keeps more
    assert all(float(rnn) < 1e-3 for _, _, rnn in rows), rows  # the RNN's gradient has vanished
