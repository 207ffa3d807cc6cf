"""Lesson 02: answers to the backward passes that learners really write."""
from autograder.lessons import REFERENCE
from rnncourse import checks, explore

# The lesson's explorers, by the id of the notebook cell that shows each: how to build one
# from the graded functions it is driven by ({name: function}; the tests pass the reference
# as if it were the learner's). tests/test_explorer_layout.py and the browser suite use them.
EXPLORERS = {
    "explore-truncation": lambda answers: explore.TruncationExplorer(
        answers["rnn_forward"], answers["rnn_backward"], answers["rnn_backward_truncated"]),
}

_STEP = "def rnn_step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh):\n"
_BACK = "def rnn_backward(dhs, x, h0, hs, W_xh, W_hh):\n"
_TRUNC = "def rnn_backward_truncated(dhs, x, h0, hs, W_xh, W_hh, k):\n"


def _step(da="dh_t * (1 - h_t ** 2)", ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                          "da.sum(axis=0)"):
    return _STEP + f"    da = {da}\n    return {ret}\n"


def _backward(header=_BACK, body_before="", h_prev="hs[t - 1] if t > 0 else h0",
              total="dhs[t] + dh_next", accumulate="+=", order="reversed(range(T))",
              result="dx, dh_next, dW_xh, dW_hh, db_h"):
    return header + (
        "    T = x.shape[0]\n"
        "    dx = np.zeros(x.shape)\n"
        "    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(W_hh.shape[0])\n"
        "    dh_next = np.zeros(h0.shape)\n"
        f"    for t in {order}:\n"
        f"{body_before}"
        f"        h_prev = {h_prev}\n"
        f"        dx[t], dh_next, dW_x, dW_h, db = rnn_step_backward({total}, x[t], h_prev, hs[t], W_xh, W_hh)\n"
        f"        dW_xh {accumulate} dW_x\n"
        f"        dW_hh {accumulate} dW_h\n"
        f"        db_h {accumulate} db\n"
        f"    return {result}\n")


_CUT = "        if (t + 1) % k == 0:\n            dh_next = np.zeros(h0.shape)\n"
_CALL = ("dx[t], dh_next, dW_x, dW_h, db = "
         "rnn_step_backward(dhs[t] + dh_next, x[t], h_prev, hs[t], W_xh, W_hh)")


def _steps(call=_CALL, header=_BACK, start="np.zeros(h0.shape)", after=""):
    """A backward loop like _backward's, with the line that calls the step (or what follows it)
    written out."""
    return header + (
        "    T = x.shape[0]\n"
        "    dx = np.zeros(x.shape)\n"
        "    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(W_hh.shape[0])\n"
        f"    dh_next = {start}\n"
        "    for t in reversed(range(T)):\n"
        "        h_prev = hs[t - 1] if t > 0 else h0\n"
        f"        {call}\n"
        f"{after}"
        "        dW_xh += dW_x\n"
        "        dW_hh += dW_h\n"
        "        db_h += db\n"
        "    return dx, dh_next, dW_xh, dW_hh, db_h\n")


def _windows(h_start="h0 if start == 0 else hs[start - 1]", starts="range(0, T, k)",
             dh0="g[1] if start == 0 else dh0"):
    """A truncated BPTT that runs rnn_backward on each window."""
    return _TRUNC + (
        "    T = len(x)\n"
        "    dx = np.zeros_like(x)\n"
        "    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))\n"
        "    dh0 = np.zeros_like(h0)\n"
        f"    for start in {starts}:\n"
        "        end = min(start + k, T)\n"
        f"        h_start = {h_start}\n"
        "        g = rnn_backward(dhs[start:end], x[start:end], h_start, hs[start:end], W_xh, W_hh)\n"
        "        dx[start:end] = g[0]\n"
        f"        dh0 = {dh0}\n"
        "        dW_xh, dW_hh, db_h = dW_xh + g[2], dW_hh + g[3], db_h + g[4]\n"
        "    return dx, dh0, dW_xh, dW_hh, db_h\n")

MISTAKES = {
    "rnn_step_backward": {
        "derivative_at_h_prev": _step(da="dh_t * (1 - h_prev ** 2)"),
        "missing_tanh_derivative": _step(da="dh_t"),
        "derivative_of_tanh_of_h": _step(da="dh_t * (1 - np.tanh(h_t) ** 2)"),
        "derivative_not_squared": _step(da="dh_t * (1 - h_t)"),
        "dW_hh_transposed": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, h_prev.T @ da, "
                                      "da.sum(axis=0)"),
        "dW_xh_transposed": _step(ret="da @ W_xh, da @ W_hh, x_t.T @ da, da.T @ h_prev, "
                                      "da.sum(axis=0)"),
        "dh_prev_with_W_hh_T": _step(ret="da @ W_xh, da @ W_hh.T, da.T @ x_t, da.T @ h_prev, "
                                         "da.sum(axis=0)"),
        "dx_with_W_xh_T": _step(ret="da @ W_xh.T, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                    "da.sum(axis=0)"),
        "db_not_summed": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da"),
        "db_averaged": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                 "da.mean(axis=0)"),
        "db_summed_over_units": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                          "da.sum(axis=1)"),
        "gradients_in_wrong_order": _step(ret="da @ W_hh, da @ W_xh, da.T @ x_t, da.T @ h_prev, "
                                              "da.sum(axis=0)"),
        "dh_prev_skips_derivative": _step(ret="da @ W_xh, dh_t @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                              "da.sum(axis=0)"),
        "modifies_dh_t": _STEP + (
            "    dh_t *= 1 - h_t ** 2\n"
            "    return dh_t @ W_xh, dh_t @ W_hh, dh_t.T @ x_t, dh_t.T @ h_prev, dh_t.sum(axis=0)\n"),
        "returns_list": _STEP + (
            "    da = dh_t * (1 - h_t ** 2)\n"
            "    return [da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, da.sum(axis=0)]\n"),
        "sigmoid_derivative": _step(da="dh_t * h_t * (1 - h_t)"),
        "derivative_parenthesised": _step(da="dh_t * (1 - h_t) ** 2"),
        "dW_hh_from_h_t": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_t, da.sum(axis=0)"),
        "dW_xh_from_h_prev": _step(ret="da @ W_xh, da @ W_hh, da.T @ h_prev, da.T @ h_prev, "
                                       "da.sum(axis=0)"),
        "db_without_derivative": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                           "dh_t.sum(axis=0)"),
        "dx_without_derivative": _step(ret="dh_t @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                           "da.sum(axis=0)"),
        "weight_gradients_averaged": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t / len(x_t), "
                                               "da.T @ h_prev / len(x_t), da.mean(axis=0)"),
        "db_summed_over_everything": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                               "da.sum()"),
        "db_keepdims": _step(ret="da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, "
                                 "da.sum(axis=0, keepdims=True)"),
        "dh_prev_times_previous_slope": _step(
            ret="da @ W_xh, (da @ W_hh) * (1 - h_prev ** 2), da.T @ x_t, da.T @ h_prev, "
                "da.sum(axis=0)"),
        "weight_gradients_swapped": _step(ret="da @ W_xh, da @ W_hh, da.T @ h_prev, da.T @ x_t, "
                                              "da.sum(axis=0)"),
        "sign_flipped": _step(da="-dh_t * (1 - h_t ** 2)"),
        "loop_over_batch_overwrites": _STEP + (
            "    dx_t, dh_prev = np.zeros(x_t.shape), np.zeros(h_prev.shape)\n"
            "    for n in range(len(x_t)):\n"
            "        da = dh_t[n] * (1 - h_t[n] ** 2)\n"
            "        dx_t[n] = W_xh.T @ da\n"
            "        dh_prev[n] = W_hh.T @ da\n"
            "        dW_xh = np.outer(da, x_t[n])\n"
            "        dW_hh = np.outer(da, h_prev[n])\n"
            "        db_h = da\n"
            "    return dx_t, dh_prev, dW_xh, dW_hh, db_h\n"),
    },
    "rnn_backward": {
        "no_carry": _backward(total="dhs[t]"),
        "overwrites_weight_gradients": _backward(accumulate="="),
        "dh0_zero": _backward(result="dx, np.zeros(h0.shape), dW_xh, dW_hh, db_h"),
        "hs_wraps_at_first_step": _backward(h_prev="hs[t - 1]"),
        "h0_at_every_step": _backward(h_prev="h0"),
        "forward_in_time": _backward(order="range(T)"),
        "states_shifted_by_one": _backward(
            h_prev="hs[t - 2] if t > 1 else h0",
            total="dhs[t] + dh_next"
        ).replace("h_prev, hs[t], W_xh", "h_prev, hs[t - 1] if t > 0 else h0, W_xh"),
        "dh0_is_last_dhs": _backward(result="dx, dhs[0], dW_xh, dW_hh, db_h"),
        "carry_added_to_dhs_in_place": _BACK + (
            "    T = x.shape[0]\n"
            "    dx = np.zeros(x.shape)\n"
            "    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(W_hh.shape[0])\n"
            "    dh_next = np.zeros(h0.shape)\n"
            "    for t in reversed(range(T)):\n"
            "        dhs[t] += dh_next\n"
            "        h_prev = hs[t - 1] if t > 0 else h0\n"
            "        dx[t], dh_next, dW_x, dW_h, db = rnn_step_backward(dhs[t], x[t], h_prev, hs[t], W_xh, W_hh)\n"
            "        dW_xh += dW_x\n"
            "        dW_hh += dW_h\n"
            "        db_h += db\n"
            "    return dx, dh_next, dW_xh, dW_hh, db_h\n"),
        "dx_last_step_only": _backward(result="dx[0], dh_next, dW_xh, dW_hh, db_h"),
        "hard_coded_recorded_length": _backward(order="reversed(range(5))"),
        "own_gradient_missing": _backward(total="dh_next"),
        "skips_last_step": _backward(order="reversed(range(T - 1))"),
        "skips_first_step": _backward(order="reversed(range(1, T))"),
        "h_t_is_h_prev": _steps(call=_CALL.replace("h_prev, hs[t]", "h_prev, h_prev")),
        "h_prev_is_h_t": _backward(h_prev="hs[t]"),
        "dhs_index_shifted": _backward(total="dhs[t - 1] + dh_next"),
        "weight_gradients_averaged_over_time": _backward(
            result="dx, dh_next, dW_xh / T, dW_hh / T, db_h / T"),
        "dx_not_stored": _steps(call=_CALL.replace("dx[t], dh_next", "dx_t, dh_next")),
        "carry_is_dx": _steps(call=_CALL.replace("dx[t], dh_next", "dh_next, dx[t]")),
        "carry_replaces_instead_of_adds": _steps(
            start="dhs[T - 1]", call=_CALL.replace("dhs[t] + dh_next", "dh_next")),
    },
    "rnn_backward_truncated": {
        "ignores_k": _backward(header=_TRUNC),
        "windows_from_the_end": _backward(
            header=_TRUNC, body_before="        if (T - 1 - t) % k == 0 and t != T - 1:\n"
                                       "            dh_next = np.zeros(h0.shape)\n"),
        "boundary_off_by_one": _backward(
            header=_TRUNC, body_before="        if t % k == 0 and t != T - 1:\n"
                                       "            dh_next = np.zeros(h0.shape)\n"),
        "dh0_dropped": _backward(header=_TRUNC, body_before=_CUT,
                                 result="dx, np.zeros(h0.shape), dW_xh, dW_hh, db_h"),
        "cut_every_step": _backward(header=_TRUNC, total="dhs[t]"),
        "overwrites_weight_gradients": _backward(header=_TRUNC, body_before=_CUT, accumulate="="),
        "hs_wraps_at_first_step": _backward(header=_TRUNC, body_before=_CUT, h_prev="hs[t - 1]"),
        "windows_of_k_plus_one": _backward(
            header=_TRUNC, body_before="        if (t + 1) % (k + 1) == 0:\n"
                                       "            dh_next = np.zeros(h0.shape)\n"),
        "no_carry": _backward(header=_TRUNC, body_before=_CUT, total="dhs[t]"),
        "cut_after_the_step": _steps(header=_TRUNC, after="        if t % k == 0:\n"
                                                          "            dh_next = np.zeros(h0.shape)\n"),
        "windows_restart_from_h0": _windows(h_start="h0"),
        "dh0_from_last_window": _windows(dh0="g[1]"),
        "last_short_window_dropped": _windows(starts="range(0, T - k + 1, k)"),
        "windows_of_k_minus_one": _backward(
            header=_TRUNC, body_before="        if (t + 1) % (k - 1) == 0:\n"
                                       "            dh_next = np.zeros(h0.shape)\n"),
        "forward_in_time": _backward(header=_TRUNC, body_before=_CUT, order="range(T)"),
        "only_the_last_window": _TRUNC + (
            "    T = len(x)\n"
            "    start = (T - 1) // k * k\n"
            "    dx = np.zeros_like(x)\n"
            "    h_start = h0 if start == 0 else hs[start - 1]\n"
            "    g = rnn_backward(dhs[start:], x[start:], h_start, hs[start:], W_xh, W_hh)\n"
            "    dx[start:] = g[0]\n"
            "    return dx, np.zeros_like(h0), g[2], g[3], g[4]\n"),
    },
}

ALTERNATIVES = {
    "rnn_step_backward": {
        "einsum": _STEP + (
            "    da = dh_t * (1 - h_t ** 2)\n"
            "    return (np.einsum('nh,hd->nd', da, W_xh), np.einsum('nh,hk->nk', da, W_hh),\n"
            "            np.einsum('nh,nd->hd', da, x_t), np.einsum('nh,nk->hk', da, h_prev),\n"
            "            np.einsum('nh->h', da))\n"),
        "loop_over_batch": _STEP + (
            "    dx_t, dh_prev = np.zeros(x_t.shape), np.zeros(h_prev.shape)\n"
            "    dW_xh, dW_hh, db_h = np.zeros(W_xh.shape), np.zeros(W_hh.shape), np.zeros(len(W_hh))\n"
            "    for n in range(len(x_t)):\n"
            "        da = dh_t[n] * (1 - h_t[n] ** 2)\n"
            "        dx_t[n] = W_xh.T @ da\n"
            "        dh_prev[n] = W_hh.T @ da\n"
            "        dW_xh += np.outer(da, x_t[n])\n"
            "        dW_hh += np.outer(da, h_prev[n])\n"
            "        db_h += da\n"
            "    return dx_t, dh_prev, dW_xh, dW_hh, db_h\n"),
        "column_form": _STEP + (
            "    da = (dh_t * (1 - h_t ** 2)).T          # (H, N): one column per example\n"
            "    return (W_xh.T @ da).T, (W_hh.T @ da).T, da @ x_t, da @ h_prev, da.sum(axis=1)\n"),
        "factored_derivative": _step(da="dh_t * (1 - h_t) * (1 + h_t)"),
        "np_dot_and_named": _STEP + (
            "    dtanh = 1.0 - np.square(h_t)\n"
            "    da = np.multiply(dh_t, dtanh)\n"
            "    dW_xh = np.dot(da.T, x_t)\n"
            "    dW_hh = np.dot(da.T, h_prev)\n"
            "    db_h = np.sum(da, axis=0)\n"
            "    dx_t = np.dot(da, W_xh)\n"
            "    dh_prev = np.dot(da, W_hh)\n"
            "    return dx_t, dh_prev, dW_xh, dW_hh, db_h\n"),
        "in_place_on_a_copy": _STEP + (
            "    da = dh_t.copy()\n"
            "    da *= 1 - h_t * h_t\n"
            "    db_h = da.sum(axis=0)\n"
            "    return da @ W_xh, da @ W_hh, da.T @ x_t, da.T @ h_prev, db_h\n"),
        "outer_products_summed": _STEP + (
            "    da = dh_t * (1 - h_t ** 2)\n"
            "    dW_xh = np.einsum('nh,nd->nhd', da, x_t).sum(axis=0)\n"
            "    dW_hh = sum(np.outer(a, h) for a, h in zip(da, h_prev))\n"
            "    return da @ W_xh, da @ W_hh, dW_xh, dW_hh, np.add.reduce(da)\n"),
    },
    "rnn_backward": {
        "states_with_h0_prepended": _BACK + (
            "    states = np.concatenate([h0[None], hs])   # states[t] = h_t, states[0] = h0\n"
            "    dx = np.zeros_like(x)\n"
            "    dW_xh, dW_hh, db_h = 0 * W_xh, 0 * W_hh, np.zeros(W_hh.shape[0])\n"
            "    dh = np.zeros_like(h0)\n"
            "    for t in range(len(x), 0, -1):\n"
            "        grads = rnn_step_backward(dhs[t - 1] + dh, x[t - 1], states[t - 1], states[t], W_xh, W_hh)\n"
            "        dx[t - 1], dh = grads[0], grads[1]\n"
            "        dW_xh = dW_xh + grads[2]\n"
            "        dW_hh = dW_hh + grads[3]\n"
            "        db_h = db_h + grads[4]\n"
            "    return dx, dh, dW_xh, dW_hh, db_h\n"),
        "collect_then_sum": _BACK + (
            "    T = len(x)\n"
            "    per_step, dxs, dh = [], [None] * T, np.zeros_like(h0)\n"
            "    for t in range(T - 1, -1, -1):\n"
            "        g = rnn_step_backward(dhs[t] + dh, x[t], hs[t - 1] if t else h0, hs[t], W_xh, W_hh)\n"
            "        dxs[t], dh = g[0], g[1]\n"
            "        per_step.append(g[2:])\n"
            "    dW_xh, dW_hh, db_h = (sum(g[i] for g in per_step) for i in range(3))\n"
            "    return np.stack(dxs), dh, dW_xh, dW_hh, db_h\n"),
        "inlined_math": _BACK + (
            "    dx = np.zeros_like(x)\n"
            "    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))\n"
            "    dh = np.zeros_like(h0)\n"
            "    for t in reversed(range(len(x))):\n"
            "        da = (dhs[t] + dh) * (1 - hs[t] ** 2)\n"
            "        h_prev = h0 if t == 0 else hs[t - 1]\n"
            "        dx[t] = da @ W_xh\n"
            "        dh = da @ W_hh\n"
            "        dW_xh += da.T @ x[t]\n"
            "        dW_hh += da.T @ h_prev\n"
            "        db_h += da.sum(0)\n"
            "    return dx, dh, dW_xh, dW_hh, db_h\n"),
        "total_gradients_first": _BACK + (
            "    T = len(x)\n"
            "    total = dhs.copy()\n"
            "    dx = np.zeros_like(x)\n"
            "    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))\n"
            "    dh0 = None\n"
            "    for t in range(T - 1, -1, -1):\n"
            "        h_prev = hs[t - 1] if t > 0 else h0\n"
            "        dx[t], dh_prev, a, b, c = rnn_step_backward(total[t], x[t], h_prev, hs[t], W_xh, W_hh)\n"
            "        if t > 0:\n"
            "            total[t - 1] += dh_prev\n"
            "        else:\n"
            "            dh0 = dh_prev\n"
            "        dW_xh, dW_hh, db_h = dW_xh + a, dW_hh + b, db_h + c\n"
            "    return dx, dh0, dW_xh, dW_hh, db_h\n"),
        "states_list_and_keywords": _BACK + (
            "    states = [h0] + list(hs)\n"
            "    dx = np.empty_like(x)\n"
            "    grads = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(W_hh.shape[0])]\n"
            "    carry = np.zeros_like(h0)\n"
            "    for t in range(len(x) - 1, -1, -1):\n"
            "        out = rnn_step_backward(dh_t=dhs[t] + carry, x_t=x[t], h_prev=states[t],\n"
            "                                h_t=states[t + 1], W_xh=W_xh, W_hh=W_hh)\n"
            "        dx[t], carry = out[0], out[1]\n"
            "        for g, d in zip(grads, out[2:]):\n"
            "            g += d\n"
            "    return (dx, carry, *grads)\n"),
    },
    "rnn_backward_truncated": {
        "rnn_backward_per_window": _TRUNC + (
            "    T = len(x)\n"
            "    dx = np.zeros_like(x)\n"
            "    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))\n"
            "    dh0 = None\n"
            "    for start in range(0, T, k):\n"
            "        end = min(start + k, T)\n"
            "        h_start = h0 if start == 0 else hs[start - 1]\n"
            "        g = rnn_backward(dhs[start:end], x[start:end], h_start, hs[start:end], W_xh, W_hh)\n"
            "        dx[start:end] = g[0]\n"
            "        if start == 0:\n"
            "            dh0 = g[1]\n"
            "        dW_xh, dW_hh, db_h = dW_xh + g[2], dW_hh + g[3], db_h + g[4]\n"
            "    return dx, dh0, dW_xh, dW_hh, db_h\n"),
        "window_index": _backward(
            header=_TRUNC, body_before="        if t + 1 < T and (t + 1) // k != t // k:\n"
                                       "            dh_next = np.zeros(h0.shape)\n"),
        "full_bptt_when_k_covers_T": _TRUNC + (
            "    if k >= len(x):\n"
            "        return rnn_backward(dhs, x, h0, hs, W_xh, W_hh)\n"
            "    dx = np.zeros_like(x)\n"
            "    dW_xh, dW_hh, db_h = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))\n"
            "    dh = np.zeros_like(h0)\n"
            "    for t in reversed(range(len(x))):\n"
            "        if (t + 1) % k == 0:\n"
            "            dh = np.zeros_like(h0)\n"
            "        dx[t], dh, a, b, c = rnn_step_backward(dhs[t] + dh, x[t], hs[t - 1] if t else h0,\n"
            "                                               hs[t], W_xh, W_hh)\n"
            "        dW_xh, dW_hh, db_h = dW_xh + a, dW_hh + b, db_h + c\n"
            "    return dx, dh, dW_xh, dW_hh, db_h\n"),
        "nested_window_loops": _TRUNC + (
            "    T = len(x)\n"
            "    dx = np.zeros_like(x)\n"
            "    grads = [np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(len(W_hh))]\n"
            "    for start in reversed(range(0, T, k)):\n"
            "        carry = np.zeros_like(h0)\n"
            "        for t in range(min(start + k, T) - 1, start - 1, -1):\n"
            "            h_prev = h0 if t == 0 else hs[t - 1]\n"
            "            out = rnn_step_backward(dhs[t] + carry, x[t], h_prev, hs[t], W_xh, W_hh)\n"
            "            dx[t], carry = out[0], out[1]\n"
            "            grads = [g + d for g, d in zip(grads, out[2:])]\n"
            "    return (dx, carry, *grads)\n"),
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("rnn_step_backward", "derivative_at_h_prev"): "taken at h_prev",
    ("rnn_step_backward", "missing_tanh_derivative"): "derivative of tanh is missing",
    ("rnn_step_backward", "derivative_of_tanh_of_h"): "tanh is not applied again",
    ("rnn_step_backward", "dW_hh_transposed"): "dW_hh is transposed",
    ("rnn_step_backward", "dW_xh_transposed"): "not x.T @ da",
    ("rnn_step_backward", "dh_prev_with_W_hh_T"): "right only when W_hh is symmetric",
    ("rnn_step_backward", "dx_with_W_xh_T"): "dx_t is right only when W_xh is symmetric",
    ("rnn_step_backward", "db_not_summed"): "sums over the batch",
    ("rnn_step_backward", "db_averaged"): "db_h should equal that of the first example alone; "
                                          "yours is 1/2 of it: it is averaged over the batch",
    ("rnn_step_backward", "derivative_not_squared"): "Your slope is 1 - h_t: the square is missing",
    ("rnn_step_backward", "db_summed_over_units"): "not over the units",
    ("rnn_step_backward", "gradients_in_wrong_order"): "dx_t has the shape of x_t",
    ("rnn_step_backward", "dh_prev_skips_derivative"): "missing on the way to dh_prev",
    ("rnn_step_backward", "modifies_dh_t"): "changed its argument `dh_t` in place",
    ("rnn_step_backward", "returns_list"): "as a tuple",
    ("rnn_step_backward", "sigmoid_derivative"): "the slope of the sigmoid",
    ("rnn_step_backward", "derivative_parenthesised"): "(1 - h_t)**2: the square belongs to h_t",
    ("rnn_step_backward", "dW_hh_from_h_t"): "dW_hh does not change when h_prev changes",
    ("rnn_step_backward", "dW_xh_from_h_prev"): "pairing da with an (N, H) array",
    ("rnn_step_backward", "db_without_derivative"): "missing on the way to db_h",
    ("rnn_step_backward", "dx_without_derivative"): "missing on the way to dx_t",
    ("rnn_step_backward", "weight_gradients_averaged"): "it is averaged over the batch",
    ("rnn_step_backward", "db_summed_over_everything"): "db_h is one number",
    ("rnn_step_backward", "db_keepdims"): "without keeping the batch axis",
    ("rnn_step_backward", "dh_prev_times_previous_slope"):
        "dh_prev changes when h_prev changes (with h_t and dh_t fixed)",
    ("rnn_step_backward", "weight_gradients_swapped"): "pairing da with an (N, H) array",
    ("rnn_step_backward", "sign_flipped"): "minus the gradient: the sign is flipped",
    ("rnn_step_backward", "loop_over_batch_overwrites"): "only the last example is counted",
    ("rnn_backward", "no_carry"): "carried back from step t+1 is missing",
    ("rnn_backward", "overwrites_weight_gradients"): "Accumulate (dW_xh += ...)",
    ("rnn_backward", "dh0_zero"): "dh0 is zero",
    ("rnn_backward", "hs_wraps_at_first_step"): "hs[-1], the *last* state",
    ("rnn_backward", "h0_at_every_step"): "dW_hh changes when h0 changes",
    ("rnn_backward", "forward_in_time"): "the gradient is carried forward in time",
    ("rnn_backward", "states_shifted_by_one"): "dx at step T does not change when h_T",
    ("rnn_backward", "dh0_is_last_dhs"): "dh0 equals dhs[0]",
    ("rnn_backward", "carry_added_to_dhs_in_place"): "changed its argument `dhs` in place",
    ("rnn_backward", "dx_last_step_only"): "dx holds one gradient per step",
    ("rnn_backward", "own_gradient_missing"): "every gradient is zero",
    ("rnn_backward", "skips_last_step"): "step T = 5 is never processed",
    ("rnn_backward", "skips_first_step"): "step 1 is never processed",
    ("rnn_backward", "h_t_is_h_prev"): "dx at step T does not change when h_T",
    ("rnn_backward", "h_prev_is_h_t"): "dW_hh does not change when h0 changes",
    ("rnn_backward", "dhs_index_shifted"): "it enters one step too late",
    ("rnn_backward", "weight_gradients_averaged_over_time"): "averaged over the steps",
    ("rnn_backward", "dx_not_stored"): "dx is zero whatever the loss",
    ("rnn_backward", "carry_is_dx"): "the gradient carried back is the dh_prev of rnn_step_backward",
    ("rnn_backward", "carry_replaces_instead_of_adds"): "Losses on steps 1..4 give no gradient",
    ("rnn_backward_truncated", "ignores_k"): "k is ignored",
    ("rnn_backward_truncated", "windows_from_the_end"): "counted from the start",
    ("rnn_backward_truncated", "boundary_off_by_one"): "boundaries lie after steps k, 2k",
    ("rnn_backward_truncated", "dh0_dropped"): "dh0 is zero",
    ("rnn_backward_truncated", "cut_every_step"): "no gradient reaches step",
    ("rnn_backward_truncated", "overwrites_weight_gradients"): "with k = T must give exactly",
    ("rnn_backward_truncated", "hs_wraps_at_first_step"): "with k = T must give exactly",
    ("rnn_backward_truncated", "windows_of_k_plus_one"): "boundaries lie after steps k, 2k",
    ("rnn_backward_truncated", "no_carry"): "no gradient reaches step",
    ("rnn_backward_truncated", "cut_after_the_step"): "dh0 is zero",
    ("rnn_backward_truncated", "windows_restart_from_h0"): "A window cuts the gradient, not the states",
    ("rnn_backward_truncated", "dh0_from_last_window"): "dh0 comes from the first window",
    ("rnn_backward_truncated", "last_short_window_dropped"): "is never processed",
    ("rnn_backward_truncated", "windows_of_k_minus_one"): "no gradient reaches step 4",
    ("rnn_backward_truncated", "forward_in_time"): "carried forward in time",
    ("rnn_backward_truncated", "only_the_last_window"): "dh0 is zero",
}


# The visible test of each graded name, run on a namespace of answers; the forward passes are the
# ones the lesson ships (earlier_answers.py is the reference's copy).
CHECKS = {
    "rnn_step_backward": lambda ns: checks.check_rnn_step_backward(
        ns["rnn_step_backward"], REFERENCE["rnn_step"]),
    "rnn_backward": lambda ns: checks.check_rnn_backward(
        ns["rnn_backward"], ns["rnn_step_backward"], REFERENCE["rnn_forward"]),
    "rnn_backward_truncated": lambda ns: checks.check_rnn_backward_truncated(
        ns["rnn_backward_truncated"], ns["rnn_backward"], ns["rnn_step_backward"]),
}


def check_executed(outputs):
    """What the solution notebook of lesson 02 must have computed when run top to bottom."""
    import re

    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], outputs[f"test_{name}"]
    for cell, names in (("gradcheck-step", ["x_t", "h_prev", "W_xh", "W_hh", "b_h"]),
                        ("gradcheck-bptt", ["x", "h0", "W_xh", "W_hh", "b_h"])):
        found = dict(re.findall(r"^\s*(\w+): relative error\s+(\S+)\s+ok$", outputs[cell], re.M))
        assert sorted(found) == sorted(names), outputs[cell]
        assert all(float(error) < 1e-7 for error in found.values()), found
    assert "application/vnd.jupyter.widget-view+json" in outputs["explore-truncation"]
    # The comparison of training schemes: the tables the notebook printed are the ones the
    # reference functions give (recomputed here), and they show the order section 9 describes.
    from rnncourse.explore.truncation import SCHEMES, scheme_table, truncation_schemes

    printed = outputs["compare-schemes"]
    functions = [REFERENCE[name] for name in ("rnn_forward", "rnn_backward",
                                              "rnn_backward_truncated")]
    for scale in (0.5, 0.9):
        measured = truncation_schemes(*functions, radius=scale, ks=(5, 10, 20))
        assert scheme_table(measured) in printed, (scale, printed)
        rows = re.findall(rf"scale of W_hh {scale:.2f}.*\n.*\n((?:\s+\d+\s+.*\n){{3}})", printed)
        assert len(rows) == 1, printed
        for row in rows[0].strip().splitlines():
            k, *cells = row.split()
            values = dict(zip(SCHEMES, [0.0 if c == "0%" else 0.0005 if c == "<0.1%"
                                        else float(c.rstrip("%")) / 100 for c in cells]))
            assert values["restarted"] > values["carried"] > values["sliding"] >= \
                values["overlapping"], row
    assert "ERROR" not in printed
