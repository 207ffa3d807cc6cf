"""Lesson 03: answers to the Jacobian, the gradient norms, the bound and clipping that learners
really write."""
from rnncourse import checks, explore

# The lesson's explorers, by the id of the notebook cell that shows each: how to build one
# from the graded functions it is driven by ({name: function}; the tests pass the reference
# as if it were the learner's). tests/test_explorer_layout.py and the browser suite use them.
EXPLORERS = {
    "explore-gradients": lambda answers: explore.GradientExplorer(
        answers["rnn_forward"], answers["gradient_norms"], answers["jacobian_norm_bound"]),
}

_JAC = "def step_jacobian(h_t, W_hh):\n"
_NORMS = "def gradient_norms(hs, W_hh, dh_T):\n"
_BOUND = "def jacobian_norm_bound(W_hh, lag, gamma=1.0):\n"
_CLIP = "def clip_by_global_norm(grads, max_norm):\n"


def _norms(record="np.linalg.norm(dh)", step="(dh * (1 - hs[t] ** 2)) @ W_hh", start="dh_T.copy()",
           result="g", header=_NORMS, order="range(T - 1, -1, -1)", before=""):
    return header + (
        "    T = hs.shape[0]\n"
        "    g = np.zeros(T)\n"
        f"    dh = {start}\n"
        f"    for t in {order}:\n"
        f"{before}"
        f"        g[t] = {record}\n"
        f"        dh = {step}\n"
        f"    return {result}\n")


def _clip(total="np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))",
          scale="max_norm / total if total > max_norm else 1.0",
          clipped="{k: g * scale for k, g in grads.items()}", result="clipped, total"):
    return _CLIP + (
        f"    total = {total}\n"
        f"    scale = {scale}\n"
        f"    clipped = {clipped}\n"
        f"    return {result}\n")


MISTAKES = {
    "step_jacobian": {
        "missing_derivative": _JAC + "    return np.array([W_hh.copy() for _ in h_t])\n",
        "columns_scaled": _JAC + "    return W_hh[None, :, :] * (1 - h_t ** 2)[:, None, :]\n",
        "transposed": _JAC + "    return (1 - h_t ** 2)[:, :, None] * W_hh.T[None, :, :]\n",
        "derivative_not_squared": _JAC + "    return (1 - h_t)[:, :, None] * W_hh[None, :, :]\n",
        "one_jacobian_for_the_batch": _JAC + "    return np.diag(1 - h_t[0] ** 2) @ W_hh\n",
        "derivative_of_tanh_of_h": _JAC + (
            "    return (1 - np.tanh(h_t) ** 2)[:, :, None] * W_hh[None, :, :]\n"),
        "batch_average_slope": _JAC + (
            "    J = np.diag((1 - h_t ** 2).mean(axis=0)) @ W_hh\n"
            "    return np.array([J for _ in h_t])\n"),
        "elementwise_diag": _JAC + "    return np.array([np.diag(1 - h ** 2) * W_hh for h in h_t])\n",
        "sign_flipped": _JAC + "    return (h_t ** 2 - 1)[:, :, None] * W_hh[None, :, :]\n",
        "derivative_parenthesised": _JAC + (
            "    return ((1 - h_t) ** 2)[:, :, None] * W_hh[None, :, :]\n"),
        "np_diag_of_the_batch": _JAC + "    return np.diag(1 - h_t ** 2) @ W_hh\n",
        "rows_of_W_hh_T": _JAC + "    return np.array([np.diag(1 - h ** 2) @ W_hh.T for h in h_t])\n",
        "slope_vector_times_W": _JAC + "    return (1 - h_t ** 2) @ W_hh\n",
        "sigmoid_slope": _JAC + "    return (h_t * (1 - h_t))[:, :, None] * W_hh[None, :, :]\n",
        "first_example_for_all": _JAC + (
            "    J = np.diag(1 - h_t[0] ** 2) @ W_hh\n"
            "    return np.array([J for _ in h_t])\n"),
    },
    "gradient_norms": {
        "reversed_order": _norms(order="range(T)", before="", record="np.linalg.norm(dh)"),
        "derivative_at_previous_state": _norms(
            step="(dh * (1 - hs[t - 1] ** 2)) @ W_hh if t > 0 else dh"),
        "W_hh_transposed": _norms(step="(dh * (1 - hs[t] ** 2)) @ W_hh.T"),
        "missing_derivative": _norms(step="dh @ W_hh"),
        "per_example_norms": _NORMS + (
            "    T = hs.shape[0]\n"
            "    g = np.zeros((T, hs.shape[1]))\n"
            "    dh = dh_T.copy()\n"
            "    for t in range(T - 1, -1, -1):\n"
            "        g[t] = np.linalg.norm(dh, axis=1)\n"
            "        dh = (dh * (1 - hs[t] ** 2)) @ W_hh\n"
            "    return g\n"),
        "mean_of_example_norms": _norms(record="np.linalg.norm(dh, axis=1).mean()"),
        "one_step_too_many": _norms(before="        dh = (dh * (1 - hs[t] ** 2)) @ W_hh\n",
                                    step="dh"),
        "squared_norms": _norms(record="np.sum(dh ** 2)"),
        "modifies_dh_T": _norms(start="dh_T", step="dh",
                                before="        if t < T - 1:\n"
                                       "            dh *= 1 - hs[t + 1] ** 2\n"
                                       "            dh[:] = dh @ W_hh\n"),
        "drops_the_last_norm": _norms(result="g[:-1]"),
        "spectral_norm_of_gradient": _norms(record="np.linalg.norm(dh, 2)"),
        "sum_of_example_norms": _norms(record="np.linalg.norm(dh, axis=1).sum()"),
        "slope_after_W_hh": _norms(step="(dh @ W_hh) * (1 - hs[t] ** 2)"),
        "gradient_never_updated": _norms(step="dh"),
        "loop_stops_early": _norms(order="range(T - 1, 0, -1)"),
        "no_W_hh": _norms(step="dh * (1 - hs[t] ** 2)"),
        "adds_instead_of_multiplies": _norms(step="dh + (dh * (1 - hs[t] ** 2)) @ W_hh"),
    },
    "jacobian_norm_bound": {
        "spectral_radius": _BOUND + (
            "    return float((gamma * np.max(np.abs(np.linalg.eigvals(W_hh)))) ** lag)\n"),
        "frobenius_norm": _BOUND + "    return float((gamma * np.linalg.norm(W_hh)) ** lag)\n",
        "gamma_ignored": _BOUND + "    return float(np.linalg.norm(W_hh, 2) ** lag)\n",
        "gamma_outside_the_power": _BOUND + "    return float(gamma * np.linalg.norm(W_hh, 2) ** lag)\n",
        "times_lag": _BOUND + "    return float(gamma * np.linalg.norm(W_hh, 2) * lag)\n",
        "no_default_gamma": "def jacobian_norm_bound(W_hh, lag, gamma):\n"
                            "    return float((gamma * np.linalg.norm(W_hh, 2)) ** lag)\n",
        "largest_entry": _BOUND + "    return float((gamma * np.abs(W_hh).max()) ** lag)\n",
        "smallest_singular_value": _BOUND + (
            "    return float((gamma * np.linalg.svd(W_hh)[1].min()) ** lag)\n"),
        "returns_an_array": _BOUND + (
            "    return (gamma * np.linalg.svd(W_hh, compute_uv=False)[:1]) ** lag\n"),
        "nuclear_norm": _BOUND + "    return float((gamma * np.linalg.norm(W_hh, 'nuc')) ** lag)\n",
        "largest_row_sum": _BOUND + "    return float((gamma * np.linalg.norm(W_hh, np.inf)) ** lag)\n",
        "largest_column_sum": _BOUND + "    return float((gamma * np.linalg.norm(W_hh, 1)) ** lag)\n",
        "gram_eigenvalue_without_sqrt": _BOUND + (
            "    return float((gamma * np.max(np.linalg.eigvalsh(W_hh.T @ W_hh))) ** lag)\n"),
        "norm_of_the_power": _BOUND + (
            "    return float(np.linalg.norm(np.linalg.matrix_power(gamma * W_hh, lag), 2))\n"),
        "lag_minus_one": _BOUND + "    return float((gamma * np.linalg.norm(W_hh, 2)) ** (lag - 1))\n",
    },
    "clip_by_global_norm": {
        "np_clip_elementwise": _CLIP + (
            "    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))\n"
            "    return {k: np.clip(g, -max_norm, max_norm) for k, g in grads.items()}, total\n"),
        "each_array_on_its_own": _CLIP + (
            "    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))\n"
            "    clipped = {}\n"
            "    for k, g in grads.items():\n"
            "        n = np.linalg.norm(g)\n"
            "        clipped[k] = g * max_norm / n if n > max_norm else g.copy()\n"
            "    return clipped, total\n"),
        "total_after_clipping": _clip(result="clipped, min(total, max_norm)"),
        "sum_of_norms": _clip(total="sum(np.linalg.norm(g) for g in grads.values())"),
        "always_rescales": _clip(scale="max_norm / total"),
        "scales_in_place": _CLIP + (
            "    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))\n"
            "    if total > max_norm:\n"
            "        for g in grads.values():\n"
            "            g *= max_norm / total\n"
            "    return dict(grads), total\n"),
        "inverted_scale": _clip(scale="total / max_norm if total > max_norm else 1.0"),
        "returns_only_the_dict": _clip(result="clipped"),
        "clips_below_max_norm": _clip(scale="max_norm / total if total > 0.5 * max_norm else 1.0"),
        "sum_of_squares_without_sqrt": _clip(total="sum(np.sum(g ** 2) for g in grads.values())"),
        "mean_of_norms": _clip(total="np.mean([np.linalg.norm(g) for g in grads.values()])"),
        "root_mean_square": _clip(
            total="np.sqrt(np.mean(np.concatenate([g.ravel() for g in grads.values()]) ** 2))"),
        "shallow_copy_then_scale": _CLIP + (
            "    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))\n"
            "    clipped = grads.copy()\n"
            "    if total > max_norm:\n"
            "        for g in clipped.values():\n"
            "            g *= max_norm / total\n"
            "    return clipped, total\n"),
        "dict_overwritten_in_loop": _CLIP + (
            "    total = np.sqrt(sum(np.sum(g ** 2) for g in grads.values()))\n"
            "    scale = max_norm / total if total > max_norm else 1.0\n"
            "    for k, g in grads.items():\n"
            "        clipped = {k: g * scale}\n"
            "    return clipped, total\n"),
        "tuple_order_swapped": _clip(result="total, clipped"),
        "l1_norm": _clip(total="sum(np.abs(g).sum() for g in grads.values())"),
        "largest_array_norm": _clip(total="max(np.linalg.norm(g) for g in grads.values())"),
    },
}

ALTERNATIVES = {
    "step_jacobian": {
        "loop_with_np_diag": _JAC + "    return np.array([np.diag(1 - h ** 2) @ W_hh for h in h_t])\n",
        "einsum": _JAC + "    return np.einsum('nh,hk->nhk', 1 - h_t ** 2, W_hh)\n",
        "broadcast_last_axis": _JAC + "    return W_hh * (1 - h_t ** 2)[..., np.newaxis]\n",
        "factored_and_stacked": _JAC + (
            "    slopes = (1 - h_t) * (1 + h_t)\n"
            "    return np.stack([W_hh * s[:, None] for s in slopes])\n"),
        "stack_of_diagonals_times_W": _JAC + (
            "    return np.stack([np.diag(s) for s in 1 - h_t ** 2]) @ W_hh\n"),
    },
    "gradient_norms": {
        "list_then_reverse": _NORMS + (
            "    norms, dh = [], dh_T\n"
            "    for t in reversed(range(len(hs))):\n"
            "        norms.append(np.sqrt(np.sum(dh ** 2)))\n"
            "        dh = (dh * (1 - hs[t] ** 2)) @ W_hh\n"
            "    return np.array(norms[::-1])\n"),
        "with_step_jacobian": _NORMS + (
            "    T = len(hs)\n"
            "    g = np.zeros(T)\n"
            "    dh = dh_T\n"
            "    g[T - 1] = np.linalg.norm(dh)\n"
            "    for t in range(T - 1, 0, -1):\n"
            "        dh = np.einsum('ni,nij->nj', dh, step_jacobian(hs[t], W_hh))\n"
            "        g[t - 1] = np.linalg.norm(dh)\n"
            "    return g\n"),
        "column_vectors": _NORMS + (
            "    T = len(hs)\n"
            "    g = np.zeros(T)\n"
            "    delta = dh_T.T                  # (H, N): one column per example\n"
            "    for t in range(T, 0, -1):\n"
            "        g[t - 1] = np.linalg.norm(delta, 'fro')\n"
            "        delta = W_hh.T @ ((1 - hs[t - 1] ** 2).T * delta)\n"
            "    return g\n"),
    },
    "jacobian_norm_bound": {
        "svd": _BOUND + "    return (gamma * np.linalg.svd(W_hh, compute_uv=False)[0]) ** lag\n",
        "eigenvalues_of_gram": _BOUND + (
            "    sigma = np.sqrt(np.max(np.linalg.eigvalsh(W_hh.T @ W_hh)))\n"
            "    return float(np.power(gamma * sigma, lag))\n"),
        "math_pow": _BOUND + (
            "    import math\n"
            "    return math.pow(gamma * np.linalg.norm(W_hh, ord=2), lag)\n"),
        "loop_of_factors": _BOUND + (
            "    sigma = np.linalg.svd(W_hh, compute_uv=False).max()\n"
            "    bound = 1.0\n"
            "    for _ in range(lag):\n"
            "        bound *= gamma * sigma\n"
            "    return float(bound)\n"),
    },
    "clip_by_global_norm": {
        "concatenated_vector": _CLIP + (
            "    flat = np.concatenate([g.ravel() for g in grads.values()])\n"
            "    total = float(np.linalg.norm(flat))\n"
            "    scale = min(1.0, max_norm / total)\n"
            "    return {k: v * scale for k, v in grads.items()}, total\n"),
        "deepcopy_then_scale": _CLIP + (
            "    import copy\n"
            "    clipped = copy.deepcopy(grads)\n"
            "    total = np.sqrt(sum((g * g).sum() for g in grads.values()))\n"
            "    if total > max_norm:\n"
            "        for g in clipped.values():\n"
            "            g *= max_norm / total\n"
            "    return clipped, total\n"),
        "loop_and_math": _CLIP + (
            "    import math\n"
            "    squares = 0.0\n"
            "    for g in grads.values():\n"
            "        squares += float(np.vdot(g, g))\n"
            "    total = math.sqrt(squares)\n"
            "    clipped = {}\n"
            "    for k, g in grads.items():\n"
            "        clipped[k] = g * (max_norm / total) if total > max_norm else g.copy()\n"
            "    return clipped, total\n"),
        "np_clip_on_the_factor": _clip(scale="np.clip(max_norm / total, 0.0, 1.0)"),
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("step_jacobian", "missing_derivative"): "derivative diag(1 - h_t**2) is missing",
    ("step_jacobian", "columns_scaled"): "you multiplied the columns",
    ("step_jacobian", "transposed"): "yours is W_hh.T",
    ("step_jacobian", "one_jacobian_for_the_batch"): "one Jacobian per example",
    ("step_jacobian", "derivative_not_squared"): "your slope is 1 - h_t: the square is missing",
    ("step_jacobian", "derivative_of_tanh_of_h"): "tanh is not applied again",
    ("step_jacobian", "batch_average_slope"): "J[0] changes when only example 1's state",
    ("step_jacobian", "elementwise_diag"): "yours keeps only its diagonal",
    ("step_jacobian", "sign_flipped"): "yours is -W_hh",
    ("step_jacobian", "derivative_parenthesised"): "(1 - h_t)**2: the square belongs to h_t",
    ("step_jacobian", "np_diag_of_the_batch"): "Given one example as a vector of shape (3,)",
    ("step_jacobian", "rows_of_W_hh_T"): "yours is W_hh.T",
    ("step_jacobian", "slope_vector_times_W"): "J[n] is a matrix (H, H) for every example",
    ("step_jacobian", "sigmoid_slope"): "the slope of the sigmoid",
    ("step_jacobian", "first_example_for_all"): "J[1] does not change when example 1's state",
    ("gradient_norms", "mean_of_example_norms"): "the mean of the examples' norms",
    ("gradient_norms", "squared_norms"): "the squared norm",
    ("gradient_norms", "spectral_norm_of_gradient"): "the largest singular value of the (N, H)",
    ("gradient_norms", "sum_of_example_norms"): "the sum of the examples' norms",
    ("gradient_norms", "slope_after_W_hh"): "The slope multiplies the gradient on h_t, unit by "
                                            "unit, before W_hh carries it back",
    ("gradient_norms", "gradient_never_updated"): "W_hh does not act in the step back",
    ("gradient_norms", "loop_stops_early"): "the loop stops before it reaches h_1",
    ("gradient_norms", "no_W_hh"): "W_hh does not act in the step back",
    ("gradient_norms", "adds_instead_of_multiplies"): "adds W_hh's contribution to the gradient",
    ("gradient_norms", "reversed_order"): "reverse order",
    ("gradient_norms", "derivative_at_previous_state"): "tanh derivative at h_t",
    ("gradient_norms", "missing_derivative"): "tanh derivative at h_t",
    ("gradient_norms", "W_hh_transposed"): "wrong way round",
    ("gradient_norms", "per_example_norms"): "not one per example",
    ("gradient_norms", "one_step_too_many"): "should be ||dh_T||",
    ("gradient_norms", "modifies_dh_T"): "changed its argument `dh_T` in place",
    ("gradient_norms", "drops_the_last_norm"): "There are T norms",
    ("jacobian_norm_bound", "spectral_radius"): "largest *singular value*",
    ("jacobian_norm_bound", "frobenius_norm"): "Frobenius norm",
    ("jacobian_norm_bound", "gamma_ignored"): "raised to the power lag too",
    ("jacobian_norm_bound", "gamma_outside_the_power"): "raised to the power lag too",
    ("jacobian_norm_bound", "times_lag"): "2 ** 3 = 8",
    ("jacobian_norm_bound", "no_default_gamma"): "default 1.0",
    ("jacobian_norm_bound", "returns_an_array"): "one number",
    ("jacobian_norm_bound", "largest_entry"): "Yours equals its largest entry",
    ("jacobian_norm_bound", "smallest_singular_value"): "Yours equals its smallest singular value",
    ("jacobian_norm_bound", "nuclear_norm"): "Yours equals its nuclear norm",
    ("jacobian_norm_bound", "largest_row_sum"): "Yours equals its largest row sum",
    ("jacobian_norm_bound", "largest_column_sum"): "Yours equals its largest column sum",
    ("jacobian_norm_bound", "gram_eigenvalue_without_sqrt"): "sigma_max squared",
    ("jacobian_norm_bound", "norm_of_the_power"): "the norm of the product W_hh @ W_hh itself",
    ("jacobian_norm_bound", "lag_minus_one"): "one factor too few (lag - 1)",
    ("clip_by_global_norm", "np_clip_elementwise"): "np.clip cuts every entry",
    ("clip_by_global_norm", "each_array_on_its_own"): "clipped on its own",
    ("clip_by_global_norm", "total_after_clipping"): "*before* clipping",
    ("clip_by_global_norm", "sum_of_norms"): "not the sum of the arrays' norms",
    ("clip_by_global_norm", "always_rescales"): "clipping only ever shrinks",
    ("clip_by_global_norm", "clips_below_max_norm"): "clipping only ever shrinks",
    ("clip_by_global_norm", "scales_in_place"): "changed its argument `grads` in place",
    ("clip_by_global_norm", "returns_only_the_dict"): "tuple (clipped, total_norm)",
    ("clip_by_global_norm", "inverted_scale"): "multiplied by total_norm / max_norm",
    ("clip_by_global_norm", "sum_of_squares_without_sqrt"): "take its square root",
    ("clip_by_global_norm", "mean_of_norms"): "yours is the mean of the arrays' norms",
    ("clip_by_global_norm", "root_mean_square"): "yours is the root mean square",
    ("clip_by_global_norm", "shallow_copy_then_scale"): "changed its argument `grads` in place",
    ("clip_by_global_norm", "dict_overwritten_in_loop"): "the last key of grads",
    ("clip_by_global_norm", "tuple_order_swapped"): "returned (total_norm, clipped)",
    ("clip_by_global_norm", "l1_norm"): "the sum of the absolute values",
    ("clip_by_global_norm", "largest_array_norm"): "the norm of the largest array alone",
}

# The visible test of each graded name, run on a namespace of answers.
CHECKS = {
    "step_jacobian": lambda ns: checks.check_step_jacobian(ns["step_jacobian"]),
    "gradient_norms": lambda ns: checks.check_gradient_norms(ns["gradient_norms"],
                                                             ns["step_jacobian"]),
    "jacobian_norm_bound": lambda ns: checks.check_jacobian_norm_bound(ns["jacobian_norm_bound"]),
    "clip_by_global_norm": lambda ns: checks.check_clip_by_global_norm(ns["clip_by_global_norm"]),
}


def check_executed(outputs):
    """What the solution notebook of lesson 03 must have computed when run top to bottom."""
    import re

    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], outputs[f"test_{name}"]
    rows = re.findall(r"(\w+), sigma_max (\S+): factor per step (\S+) \((.+)\)", outputs["measure-regimes"])
    assert len(rows) == 6, outputs["measure-regimes"]
    for nonlinearity, sigma, factor, regime in rows:
        sigma, factor = float(sigma), float(factor)
        if nonlinearity == "identity":       # a linear RNN with orthogonal W_hh: exactly sigma
            assert abs(factor - sigma) < 1e-3, (sigma, factor)
            assert regime == {0.8: "vanishing", 1.0: "stable/edge", 1.2: "exploding"}[sigma]
        else:                                # tanh's slope is at most 1: never above the bound
            assert factor <= sigma + 1e-9, (sigma, factor)
    # section 4: powers of the non-normal W_hh, measured with the learner's jacobian_norm_bound
    # (the words after the cell; tests/test_explorer_gradients.py computes the same numbers)
    powers = outputs["nonnormal-powers"]
    assert "spectral radius rho = 0.900, sigma_max = 1.300" in powers, powers
    table = {int(n): (float(norm), float(root), float(bound)) for n, norm, root, bound in re.findall(
        r"n =\s*(\d+): \|\|W\^n\|\| =\s*(\S+), \|\|W\^n\|\|\^\(1/n\) = (\S+), "
        r"sigma_max\^n =\s*(\S+)", powers)}
    assert sorted(table) == [1, 2, 5, 10, 20, 29, 50, 100, 200, 1000], powers
    assert all(norm <= bound * (1 + 1e-2) for norm, _, bound in table.values())   # 3 digits
    assert max(table, key=lambda n: table[n][0]) == 29 and round(table[29][0]) in (25, 26)
    assert table[100][0] < 1 < table[50][0]
    assert (table[1][1], table[100][1], table[1000][1]) == (1.3, 0.995, 0.915), table
    assert "application/vnd.jupyter.widget-view+json" in outputs["explore-gradients"]
    runs = dict(re.findall(r"^(.+?): final test loss (\S+),", outputs["experiment"], re.M))
    assert len(runs) == 7, outputs["experiment"]
    chance = 0.6931
    assert all(float(runs[f"lag {lag}"]) < 0.1 * chance for lag in (2, 5, 10)), runs
    assert float(runs["lag 20"]) > 0.9 * chance, runs
    assert float(runs["σ_max 3, no clipping"]) > 0.9 * chance, runs
    assert float(runs["σ_max 3, clipped at 1"]) < 0.1 * chance, runs
    assert float(runs["σ_max 0.7, clipped at 1"]) > 0.9 * chance, runs
    assert "image/png" in outputs["experiment"], "the loss curves were not drawn"
