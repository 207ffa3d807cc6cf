"""Lesson 04: answers to the LSTM's pieces and its backward passes that learners really write."""
from rnncourse import checks, explore

# The lesson's explorers, by the id of the notebook cell that shows each: how to build one
# from the graded functions it is driven by ({name: function}; the tests pass the reference
# as if it were the learner's). tests/test_explorer_layout.py and the browser suite use them.
EXPLORERS = {
    "explore-gates": lambda answers: explore.GateExplorer(answers["cell_update"],
                                                          answers["hidden_state"]),
    "explore-carousel": lambda answers: explore.CarouselExplorer(
        answers["rnn_forward"], answers["gradient_norms"], answers["lstm_forward"],
        answers["forget_gate"], answers["carousel_gain"]),
}

_SIG = "def sigmoid(z):\n"
_CELL = "def cell_update(C_prev, f_t, i_t, C_tilde):\n"
_HID = "def hidden_state(o_t, C_t):\n"
_STEP = "def lstm_step(x_t, h_prev, C_prev, params):\n"
_FWD = "def lstm_forward(x, h0, C0, params):\n"
_GAIN = "def carousel_gain(fs):\n"
_SBACK = "def lstm_step_backward(dh_t, dC_t, x_t, h_prev, C_prev, params):\n"
_BACK = "def lstm_backward(dhs, x, h0, C0, params):\n"


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



def _step_backward(hx="np.concatenate([h_prev, x_t], axis=1)",
                   dC="dC_t + dh_t * o_t * (1 - tanh_C ** 2)", after_dC="",
                   da_f="dC * C_prev * f_t * (1 - f_t)", da_i="dC * C_tilde * i_t * (1 - i_t)",
                   da_C="dC * i_t * (1 - C_tilde ** 2)", da_o="dh_t * tanh_C * o_t * (1 - o_t)",
                   dW="d.T @ hx", db="d.sum(axis=0)", key="'W_' + gate", accumulate="dhx + ",
                   ret="dhx[:, H:], dhx[:, :H], dC * f_t, grads"):
    """lstm_step_backward as learners write it, gate by gate; each argument is one line's code."""
    return _SBACK + (
        "    H = h_prev.shape[1]\n"
        f"    hx = {hx}\n"
        "    f_t = forget_gate(h_prev, x_t, params['W_f'], params['b_f'])\n"
        "    i_t = input_gate(h_prev, x_t, params['W_i'], params['b_i'])\n"
        "    C_tilde = candidate_cell(h_prev, x_t, params['W_C'], params['b_C'])\n"
        "    o_t = output_gate(h_prev, x_t, params['W_o'], params['b_o'])\n"
        "    a_f = hx @ params['W_f'].T + params['b_f']\n"
        "    tanh_C = np.tanh(cell_update(C_prev, f_t, i_t, C_tilde))\n"
        f"    dC = {dC}\n"
        f"{after_dC}"
        f"    da_f = {da_f}\n"
        f"    da_i = {da_i}\n"
        f"    da_C = {da_C}\n"
        f"    da_o = {da_o}\n"
        "    grads, dhx = {}, np.zeros(hx.shape)\n"
        "    for gate, d in (('f', da_f), ('i', da_i), ('C', da_C), ('o', da_o)):\n"
        f"        grads[{key}] = {dW}\n"
        f"        grads[{key.replace('W_', 'b_')}] = {db}\n"
        f"        dhx = {accumulate}d @ params['W_' + gate]\n"
        f"    return {ret}\n")


def _backward(forward="lstm_forward(x, h0, C0, params)", order="range(x.shape[0] - 1, -1, -1)",
              prev="(hs[t - 1], Cs[t - 1]) if t > 0 else (h0, C0)", dh="dhs[t] + dh_next",
              dC="dC_next", accumulate="grads[name] + ", ret="dx, dh_next, dC_next, grads"):
    """lstm_backward as learners write it; each argument is one line's code."""
    return _BACK + (
        f"    hs, Cs = {forward}\n"
        "    dx = np.zeros(x.shape)\n"
        "    grads = {name: np.zeros(value.shape) for name, value in params.items()}\n"
        "    dh_next, dC_next = np.zeros(h0.shape), np.zeros(C0.shape)\n"
        f"    for t in {order}:\n"
        f"        h_prev, C_prev = {prev}\n"
        f"        dx[t], dh_next, dC_next, step = lstm_step_backward({dh}, {dC}, x[t], h_prev, "
        "C_prev, params)\n"
        "        for name in grads:\n"
        f"            grads[name] = {accumulate}step[name]\n"
        f"    return {ret}\n")


MISTAKES = {
    "sigmoid": {
        "naive_overflows": _SIG + "    return 1 / (1 + np.exp(-z))\n",
        "tanh_not_sigmoid": _SIG + "    return np.tanh(z)\n",
        "sign_flipped": _SIG + "    return 1 / (1 + np.exp(np.clip(z, -500, 500)))\n",
        "clipped_too_tightly": _SIG + "    return 1 / (1 + np.exp(-np.clip(z, -10, 10)))\n",
        "ignores_sign": _SIG + "    return 1 / (1 + np.exp(-np.abs(z)))\n",
    },
    "forget_gate": dict(_gate_mistakes("forget_gate", "f", "sigmoid", "np.tanh"),
                        bias_outside_sigmoid=_gate("forget_gate", "f",
                                                   f"return sigmoid({_HX} @ {{W}}.T) + {{b}}")),
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
        "gate_arguments_swapped": _STEP + (
            "    f_t = forget_gate(x_t, h_prev, params['W_f'], params['b_f'])\n"
            "    i_t = input_gate(x_t, h_prev, params['W_i'], params['b_i'])\n"
            "    C_tilde = candidate_cell(x_t, h_prev, params['W_C'], params['b_C'])\n"
            "    C_t = cell_update(C_prev, f_t, i_t, C_tilde)\n"
            "    o_t = output_gate(x_t, h_prev, params['W_o'], params['b_o'])\n"
            "    return hidden_state(o_t, C_t), C_t\n"),
        "candidate_with_input_weights": _STEP + (
            "    f_t = forget_gate(h_prev, x_t, params['W_f'], params['b_f'])\n"
            "    i_t = input_gate(h_prev, x_t, params['W_i'], params['b_i'])\n"
            "    C_tilde = candidate_cell(h_prev, x_t, params['W_i'], params['b_i'])\n"
            "    C_t = cell_update(C_prev, f_t, i_t, C_tilde)\n"
            "    o_t = output_gate(h_prev, x_t, params['W_o'], params['b_o'])\n"
            "    return hidden_state(o_t, C_t), C_t\n"),
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
        "starts_from_zeros": _forward(start="hs, Cs, h, C = [], [], np.zeros_like(h0), "
                                            "np.zeros_like(C0)"),
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
    "lstm_step_backward": {
        "missing_tanh_derivative": _step_backward(dC="dC_t + dh_t * o_t"),
        "tanh_derivative_at_C_prev": _step_backward(
            dC="dC_t + dh_t * o_t * (1 - np.tanh(C_prev) ** 2)"),
        "tanh_derivative_not_squared": _step_backward(dC="dC_t + dh_t * o_t * (1 - tanh_C)"),
        "h_path_dropped": _step_backward(dC="dC_t"),
        "dC_t_dropped": _step_backward(dC="dh_t * o_t * (1 - tanh_C ** 2)"),
        "h_path_without_output_gate": _step_backward(dC="dC_t + dh_t * (1 - tanh_C ** 2)"),
        "dC_prev_without_forget_gate": _step_backward(ret="dhx[:, H:], dhx[:, :H], dC, grads"),
        "split_x_first": _step_backward(
            ret="dhx[:, :x_t.shape[1]], dhx[:, x_t.shape[1]:], dC * f_t, grads"),
        "split_at_D": _step_backward(
            ret="dhx[:, x_t.shape[1]:], dhx[:, :x_t.shape[1]], dC * f_t, grads"),
        "sigmoid_slope_of_preactivation": _step_backward(da_f="dC * C_prev * a_f * (1 - a_f)"),
        "sigmoid_slope_missing": _step_backward(da_i="dC * C_tilde"),
        "candidate_slope_missing": _step_backward(da_C="dC * i_t"),
        "output_gate_from_dC": _step_backward(da_o="dC * tanh_C * o_t * (1 - o_t)"),
        "forget_gate_times_candidate": _step_backward(da_f="dC * C_tilde * f_t * (1 - f_t)"),
        "weights_transposed": _step_backward(dW="hx.T @ d"),
        "bias_not_summed": _step_backward(db="d"),
        "bias_averaged": _step_backward(db="d.mean(axis=0)"),
        "dhx_overwritten": _step_backward(accumulate=""),
        "modifies_dC_t": _step_backward(dC="dC_t",
                                        after_dC="    dC += dh_t * o_t * (1 - tanh_C ** 2)\n"),
        "grads_named_dW": _step_backward(key="'dW_' + gate"),
    },
    "lstm_backward": {
        "dC_not_carried": _backward(dC="np.zeros(C0.shape)"),
        "dh_not_carried": _backward(dh="dhs[t]"),
        "cell_gets_dhs": _backward(dC="dhs[t] + dC_next"),
        "forward_in_time": _backward(order="range(x.shape[0])"),
        "hs_wraps_at_first_step": _backward(prev="hs[t - 1], Cs[t - 1]"),
        "states_shifted_by_one": _backward(prev="hs[t], Cs[t]"),
        "zero_initial_states": _backward(
            forward="lstm_forward(x, np.zeros(h0.shape), np.zeros(C0.shape), params)",
            prev="(hs[t - 1], Cs[t - 1]) if t > 0 else (np.zeros(h0.shape), np.zeros(C0.shape))"),
        "C0_ignored": _backward(
            forward="lstm_forward(x, h0, np.zeros(C0.shape), params)",
            prev="(hs[t - 1], Cs[t - 1]) if t > 0 else (h0, np.zeros(C0.shape))"),
        "overwrites_weight_gradients": _backward(accumulate=""),
        "dh0_zero": _backward(ret="dx, np.zeros(h0.shape), dC_next, grads"),
        "gradients_swapped_in_call": _backward(dh="dC_next", dC="dhs[t] + dh_next"),
        "modifies_dhs": _backward(dh="dhs[t]").replace(
            "        h_prev, C_prev", "        dhs[t] += dh_next\n        h_prev, C_prev"),
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
    "lstm_step_backward": {
        "stacked_gates": _SBACK + (
            "    H = h_prev.shape[1]\n"
            "    hx = np.concatenate([h_prev, x_t], axis=1)\n"
            "    W = np.concatenate([params[k] for k in ('W_f', 'W_i', 'W_C', 'W_o')])\n"
            "    b = np.concatenate([params[k] for k in ('b_f', 'b_i', 'b_C', 'b_o')])\n"
            "    z = hx @ W.T + b\n"
            "    f_t, i_t, o_t = (sigmoid(z[:, k * H:(k + 1) * H]) for k in (0, 1, 3))\n"
            "    C_tilde = np.tanh(z[:, 2 * H:3 * H])\n"
            "    tanh_C = np.tanh(f_t * C_prev + i_t * C_tilde)\n"
            "    dC = dC_t + dh_t * o_t * (1 - tanh_C ** 2)\n"
            "    dz = np.concatenate([dC * C_prev * f_t * (1 - f_t), dC * C_tilde * i_t * (1 - i_t),\n"
            "                         dC * i_t * (1 - C_tilde ** 2), dh_t * tanh_C * o_t * (1 - o_t)],\n"
            "                        axis=1)\n"
            "    dW, db, dhx = dz.T @ hx, dz.sum(axis=0), dz @ W\n"
            "    grads = {}\n"
            "    for k, gate in enumerate('fiCo'):\n"
            "        grads['W_' + gate] = dW[k * H:(k + 1) * H]\n"
            "        grads['b_' + gate] = db[k * H:(k + 1) * H]\n"
            "    return dhx[:, H:], dhx[:, :H], dC * f_t, grads\n"),
        "sigmoid_slope_from_preactivation": _step_backward(
            da_f="dC * C_prev * np.exp(-a_f) / (1 + np.exp(-a_f)) ** 2"),
        "weights_split_by_input": _SBACK + (
            "    H = h_prev.shape[1]\n"
            "    f_t = forget_gate(h_prev, x_t, params['W_f'], params['b_f'])\n"
            "    i_t = input_gate(h_prev, x_t, params['W_i'], params['b_i'])\n"
            "    C_tilde = candidate_cell(h_prev, x_t, params['W_C'], params['b_C'])\n"
            "    o_t = output_gate(h_prev, x_t, params['W_o'], params['b_o'])\n"
            "    C_t = f_t * C_prev + i_t * C_tilde\n"
            "    dC = dC_t + dh_t * o_t * (1 - np.tanh(C_t) ** 2)\n"
            "    da = {'f': dC * C_prev * f_t * (1 - f_t), 'i': dC * C_tilde * i_t * (1 - i_t),\n"
            "          'C': dC * i_t * (1 - C_tilde ** 2), 'o': dh_t * np.tanh(C_t) * o_t * (1 - o_t)}\n"
            "    dx_t, dh_prev, grads = 0, 0, {}\n"
            "    for g, d in da.items():\n"
            "        W = params['W_' + g]\n"
            "        dh_prev = dh_prev + d @ W[:, :H]\n"
            "        dx_t = dx_t + d @ W[:, H:]\n"
            "        grads['W_' + g] = np.hstack([d.T @ h_prev, d.T @ x_t])\n"
            "        grads['b_' + g] = np.sum(d, axis=0)\n"
            "    return dx_t, dh_prev, dC * f_t, grads\n"),
        "loop_over_batch": _SBACK + (
            "    H = h_prev.shape[1]\n"
            "    dx_t, dh_prev, dC_prev = np.zeros(x_t.shape), np.zeros(h_prev.shape), np.zeros(C_prev.shape)\n"
            "    grads = {k: np.zeros(v.shape) for k, v in params.items()}\n"
            "    for n in range(x_t.shape[0]):\n"
            "        hx = np.concatenate([h_prev[n], x_t[n]])\n"
            "        f = sigmoid(params['W_f'] @ hx + params['b_f'])\n"
            "        i = sigmoid(params['W_i'] @ hx + params['b_i'])\n"
            "        c = np.tanh(params['W_C'] @ hx + params['b_C'])\n"
            "        o = sigmoid(params['W_o'] @ hx + params['b_o'])\n"
            "        th = np.tanh(f * C_prev[n] + i * c)\n"
            "        dC = dC_t[n] + dh_t[n] * o * (1 - th ** 2)\n"
            "        da = {'f': dC * C_prev[n] * f * (1 - f), 'i': dC * c * i * (1 - i),\n"
            "              'C': dC * i * (1 - c ** 2), 'o': dh_t[n] * th * o * (1 - o)}\n"
            "        dhx = sum(params['W_' + g].T @ d for g, d in da.items())\n"
            "        dh_prev[n], dx_t[n], dC_prev[n] = dhx[:H], dhx[H:], dC * f\n"
            "        for g, d in da.items():\n"
            "            grads['W_' + g] += np.outer(d, hx)\n"
            "            grads['b_' + g] += d\n"
            "    return dx_t, dh_prev, dC_prev, grads\n"),
        "einsum": _step_backward(dW="np.einsum('nh,nk->hk', d, hx)", db="np.einsum('nh->h', d)"),
    },
    "lstm_backward": {
        "states_from_lstm_step": _BACK + (
            "    T = len(x)\n"
            "    hs, Cs = [h0], [C0]\n"
            "    for t in range(T):\n"
            "        h, C = lstm_step(x[t], hs[-1], Cs[-1], params)\n"
            "        hs.append(h)\n"
            "        Cs.append(C)\n"
            "    dx = np.zeros_like(x)\n"
            "    grads = {k: np.zeros_like(v) for k, v in params.items()}\n"
            "    dh, dC = np.zeros_like(h0), np.zeros_like(C0)\n"
            "    for t in reversed(range(T)):\n"
            "        dx[t], dh, dC, g = lstm_step_backward(dhs[t] + dh, dC, x[t], hs[t], Cs[t], params)\n"
            "        grads = {k: grads[k] + g[k] for k in grads}\n"
            "    return dx, dh, dC, grads\n"),
        "cache_free": _BACK + (
            "    def states_before(t):\n"
            "        h, C = h0, C0\n"
            "        for s in range(t):\n"
            "            h, C = lstm_step(x[s], h, C, params)\n"
            "        return h, C\n"
            "\n"
            "    dx = np.zeros_like(x)\n"
            "    grads = {k: 0 * v for k, v in params.items()}\n"
            "    dh, dC = 0 * h0, 0 * C0\n"
            "    for t in range(len(x) - 1, -1, -1):\n"
            "        h_prev, C_prev = states_before(t)\n"
            "        dx[t], dh, dC, g = lstm_step_backward(dhs[t] + dh, dC, x[t], h_prev, C_prev, params)\n"
            "        for k in grads:\n"
            "            grads[k] = grads[k] + g[k]\n"
            "    return dx, dh, dC, grads\n"),
        "collect_then_sum": _BACK + (
            "    hs, Cs = lstm_forward(x, h0, C0, params)\n"
            "    prev_h = np.concatenate([h0[None], hs[:-1]])\n"
            "    prev_C = np.concatenate([C0[None], Cs[:-1]])\n"
            "    dxs, per_step = [None] * len(x), []\n"
            "    dh, dC = np.zeros_like(h0), np.zeros_like(C0)\n"
            "    for t in range(len(x) - 1, -1, -1):\n"
            "        dxs[t], dh, dC, g = lstm_step_backward(dhs[t] + dh, dC, x[t], prev_h[t], prev_C[t],\n"
            "                                               params)\n"
            "        per_step.append(g)\n"
            "    grads = {k: sum(g[k] for g in per_step) for k in params}\n"
            "    return np.stack(dxs), dh, dC, grads\n"),
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
    ("sigmoid", "sign_flipped"): "the sign of z in the exponent is flipped",
    ("sigmoid", "clipped_too_tightly"): "levels off too early",
    ("sigmoid", "ignores_sign"): "ignores the sign of z",
    ("forget_gate", "bias_outside_sigmoid"): "the bias is added after the squashing function",
    ("cell_update", "product_not_sum"): "multiplied together instead of added",
    ("cell_update", "tanh_on_the_cell"): "the cell state is not squashed",
    ("hidden_state", "missing_output_gate"): "the output gate does not scale h_t",
    ("hidden_state", "plus_not_times"): "added to tanh(C_t) instead of scaling it",
    ("lstm_step", "gates_swapped_in_update"): "is f_t where i_t belongs",
    ("lstm_step", "h_without_tanh"): "the tanh of the new cell state is missing",
    ("lstm_step", "gate_arguments_swapped"): "the gates get x_t where h_prev belongs",
    ("lstm_step", "candidate_with_input_weights"): "the candidate uses W_C and b_C",
    ("lstm_forward", "stores_C_in_hs"): "hs holds the cell states",
    ("lstm_forward", "time_reversed"): "Time runs backwards",
    ("lstm_forward", "starts_from_zeros"): "starts from zeros",
    ("carousel_gain", "mean_over_batch"): "do not average or sum over the batch",
    ("lstm_step_backward", "missing_tanh_derivative"): "the slope of tanh at C_t is missing",
    ("lstm_step_backward", "tanh_derivative_at_C_prev"): "the slope of tanh at C_prev = -1",
    ("lstm_step_backward", "tanh_derivative_not_squared"): "is not the slope of tanh",
    ("lstm_step_backward", "h_path_dropped"): "what comes back to C_t from h_t",
    ("lstm_step_backward", "dC_t_dropped"): "C_t reaches the loss directly",
    ("lstm_step_backward", "h_path_without_output_gate"): "passes the output gate",
    ("lstm_step_backward", "dC_prev_without_forget_gate"): "passes the forget gate",
    ("lstm_step_backward", "split_x_first"): "columns of d[h_prev, x_t] that belong to h_prev",
    ("lstm_step_backward", "split_at_D"): "split after D columns",
    ("lstm_step_backward", "sigmoid_slope_of_preactivation"): "write it with the gate's output",
    ("lstm_step_backward", "sigmoid_slope_missing"): "The slope of the sigmoid is missing",
    ("lstm_step_backward", "candidate_slope_missing"): "The slope of the tanh is missing",
    ("lstm_step_backward", "output_gate_from_dC"): "the output gate's gradient comes from dh_t",
    ("lstm_step_backward", "forget_gate_times_candidate"): "proportional to what it scales, C_prev",
    ("lstm_step_backward", "weights_transposed"): "yours is transposed",
    ("lstm_step_backward", "bias_not_summed"): "its gradient sums over the batch",
    ("lstm_step_backward", "bias_averaged"): "averaged over the batch",
    ("lstm_step_backward", "dhx_overwritten"): "the gradient through the forget gate is missing",
    ("lstm_step_backward", "modifies_dC_t"): "changed its argument `dC_t` in place",
    ("lstm_step_backward", "grads_named_dW"): "needs exactly the keys of params",
    ("lstm_backward", "dC_not_carried"): "sends back to the cell state (its dC_prev)",
    ("lstm_backward", "dh_not_carried"): "sends back to h_t (its dh_prev)",
    ("lstm_backward", "cell_gets_dhs"): "receives no gradient from outside",
    ("lstm_backward", "forward_in_time"): "must run backward in time",
    ("lstm_backward", "hs_wraps_at_first_step"): "with h_1 and C_1, the step's own outputs",
    ("lstm_backward", "states_shifted_by_one"): "with h_1 and C_1, the step's own outputs",
    ("lstm_backward", "zero_initial_states"): "do not change when h0 changes",
    ("lstm_backward", "C0_ignored"): "do not change when C0 changes",
    ("lstm_backward", "overwrites_weight_gradients"): "step 2's share was lost",
    ("lstm_backward", "dh0_zero"): "Your dh0 is 0",
    ("lstm_backward", "gradients_swapped_in_call"): "receives no gradient from outside",
    ("lstm_backward", "modifies_dhs"): "changed its argument `dhs` in place",
}
for _name, _letter in (("forget_gate", "f"), ("input_gate", "i"), ("output_gate", "o")):
    MESSAGES.update({(_name, "x_before_h"): "not [x_t, h_prev]",
                     (_name, "missing_bias"): f"b_{_letter} changes",
                     (_name, "tanh_not_sigmoid"): "uses the sigmoid",
                     (_name, "W_not_transposed"): "The shapes do not line up",
                     (_name, "column_form"): "column form"})
MESSAGES.update({("candidate_cell", "x_before_h"): "not [x_t, h_prev]",
                 ("candidate_cell", "missing_bias"): "b_C changes",
                 ("candidate_cell", "sigmoid_not_tanh"): "the candidate is the tanh layer",
                 ("candidate_cell", "W_not_transposed"): "The shapes do not line up",
                 ("candidate_cell", "column_form"): "column form"})
# Every mistake in the table has its message: no failure may say only that values differ.
assert set(MESSAGES) == {(name, label) for name, mistakes in MISTAKES.items() for label in mistakes}


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
    "lstm_step_backward": lambda ns: checks.check_lstm_step_backward(
        ns["lstm_step_backward"], {name: ns[name] for name in checks.lstm_gates.STEP_PARTS}),
    "lstm_backward": lambda ns: checks.check_lstm_backward(
        ns["lstm_backward"], {name: ns[name] for name in checks.lstm_gates.SEQUENCE_PARTS}),
}


def _gradient_check_lines(text):
    import re

    return dict(re.findall(r"^\s*(\w+): relative error\s+(\S+)\s+ok$", text, re.M))


def check_executed(outputs):
    """What the solution notebook of lesson 04 must have computed when run top to bottom, and the
    numbers its text states (recomputed where the notebook does not print them)."""
    import math
    import re
    import warnings

    import numpy as np

    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], outputs[f"test_{name}"]
    assert "image/png" in outputs["diagram"], "the LSTM diagram was not drawn"
    params = ["W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o"]
    for cell, names in (("check-lstm-backward", ["x_t", "h_prev", "C_prev"] + params),
                        ("gradcheck-lstm-sequence", ["x", "h0", "C0"] + params)):
        found = _gradient_check_lines(outputs[cell])
        assert sorted(found) == sorted(names), outputs[cell]
        assert all(float(error) < 1e-7 for error in found.values()), found
    for cell in ("explore-gates", "explore-carousel"):
        assert "application/vnd.jupyter.widget-view+json" in outputs[cell], cell

    # Section 2: exp overflows for z beyond about 709.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert np.isfinite(np.exp(709.0)) and np.isinf(np.exp(710.0))

    # Section 10: the gain along the cell state after 50 steps, by forget bias.
    rows = re.findall(r"forget bias (\S+): mean forget gate (\S+), the cell state keeps (\S+) after "
                      r"50 steps \(no unit more than (\S+)\), the RNN (\S+)",
                      outputs["compare-carousel"])
    carousel = {float(bias): tuple(map(float, rest)) for bias, *rest in rows}
    assert sorted(carousel) == [0.0, 1.0, 2.0, 4.0], outputs["compare-carousel"]
    kept = [carousel[bias][1] for bias in sorted(carousel)]
    assert kept == sorted(kept), rows                         # a larger forget bias keeps more
    sigma_1 = 1 / (1 + math.exp(-1.0))
    assert f"{sigma_1:.2f}" == "0.73" and f"{sigma_1 ** 50:.2g}" == "1.6e-07"   # the text's
    assert f"{carousel[0.0][0]:.1f}" == "0.5", rows            # b_f = 0: f_t about 0.5
    forget_mean, belt, most, rnn = carousel[1.0]
    assert f"{forget_mean:.2f}" == "0.73" and f"{belt:.2g}" == "1.6e-07" and most < 5e-7, rows
    forget_mean, belt, _, _ = carousel[4.0]
    assert f"{forget_mean:.2f}" == "0.98" and f"{belt:.1g}" == "0.4", rows
    assert f"{0.98 ** 50:.2f}" == "0.36"
    assert all(rnn < 1e-3 for *_, rnn in carousel.values()), rows   # the RNN's gradient vanished

    # Section 14: the whole gradient (the learner's lstm_backward) against the belt alone.
    rows = re.findall(r"forget bias (\S+), weight scale (\S+): the cell state alone keeps (\S+); the "
                      r"whole gradient on x_1 is (\S+) times", outputs["whole-gradient"])
    whole = {(float(b), float(w)): (float(belt), float(kept)) for b, w, belt, kept in rows}
    assert sorted(whole) == [(0.0, 0.5), (1.0, 0.5), (1.0, 8.0), (4.0, 0.5)], outputs["whole-gradient"]
    belt, kept = whole[1.0, 0.5]
    assert f"{kept:.1g}" == "4e-05" and kept > 100 * belt, rows   # more than the belt, still tiny
    assert f"{whole[0.0, 0.5][1]:.1g}" == "6e-12", rows
    assert f"{whole[4.0, 0.5][1]:.2g}" == "1.7", rows
    belt, kept = whole[1.0, 8.0]
    assert f"{kept:.2g}" == "35" and f"{belt:.1g}" == "6e-08", rows   # the other paths explode
