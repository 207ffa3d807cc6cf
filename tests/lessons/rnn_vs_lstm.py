"""Lesson 05: answers to the adding problem and its baseline that learners really write."""
from rnncourse import checks

_ADD = "def adding_problem(T, N, rng):\n"


def _adding(values="rng.uniform(0.0, 1.0, size=(T, N))", first="rng.integers(0, T // 2, size=N)",
            second="rng.integers(T // 2, T, size=N)", stack="np.stack([values, markers], axis=2)",
            y="(values * markers).sum(axis=0)[:, None]", before=""):
    return _ADD + (
        f"{before}"
        f"    values = {values}\n"
        f"    first = {first}\n"
        f"    second = {second}\n"
        "    markers = np.zeros((T, N))\n"
        "    markers[first, np.arange(N)] = 1.0\n"
        "    markers[second, np.arange(N)] = 1.0\n"
        f"    x = {stack}\n"
        f"    y = {y}\n"
        "    return x, y\n")


MISTAKES = {
    "adding_problem": {
        "global_random_state": _adding(values="np.random.rand(T, N)",
                                       first="np.random.randint(0, T // 2, size=N)",
                                       second="np.random.randint(T // 2, T, size=N)"),
        "markers_anywhere": _adding(first="rng.integers(0, T, size=N)",
                                    second="rng.integers(0, T, size=N)"),
        "last_step_never_marked": _adding(second="rng.integers(T // 2, T - 1, size=N)"),
        "first_half_inclusive": _adding(first="rng.integers(0, T // 2 + 1, size=N)",
                                        second="rng.integers(T // 2 + 1, T, size=N)"),
        "batch_major": _adding(stack="np.stack([values.T, markers.T], axis=2)"),
        "y_flat": _adding(y="(values * markers).sum(axis=0)"),
        "y_sums_every_value": _adding(y="values.sum(axis=0)[:, None]"),
        "normal_values": _adding(values="np.abs(rng.normal(0.5, 0.3, size=(T, N))) % 1"),
        "fixed_marker_positions": _adding(first="np.zeros(N, dtype=int)",
                                          second="np.full(N, T - 1)"),
        "new_generator_each_call": _adding(before="    rng = np.random.default_rng()\n"),
    },
    "baseline_mse": {
        "variance_of_one_value": "baseline_mse = 1 / 12\n",
        "sampled_estimate": (
            "_u = np.random.default_rng(0).uniform(size=(2, 10000))\n"
            "baseline_mse = float(np.mean((_u.sum(axis=0) - 1) ** 2))\n"),
        "standard_deviation": "baseline_mse = (2 / 12) ** 0.5\n",
        "left_as_None": "baseline_mse = None\n",
        "a_function": "def baseline_mse():\n    return 1 / 6\n",
    },
}

ALTERNATIVES = {
    "adding_problem": {
        "random_and_choice": _ADD + (
            "    x = np.zeros((T, N, 2))\n"
            "    x[:, :, 0] = rng.random((T, N))\n"
            "    y = np.zeros((N, 1))\n"
            "    for n in range(N):\n"
            "        a = rng.choice(T // 2)\n"
            "        b = T // 2 + rng.choice(T - T // 2)\n"
            "        x[[a, b], n, 1] = 1\n"
            "        y[n, 0] = x[a, n, 0] + x[b, n, 0]\n"
            "    return x, y\n"),
        "markers_then_values": _ADD + (
            "    markers = np.zeros((T, N))\n"
            "    cols = np.arange(N)\n"
            "    markers[rng.integers(0, T // 2, N), cols] = 1\n"
            "    markers[rng.integers(T // 2, T, N), cols] = 1\n"
            "    values = rng.uniform(size=(T, N))\n"
            "    return np.dstack([values, markers]), np.sum(values * markers, axis=0, keepdims=True).T\n"),
    },
    "baseline_mse": {
        "fraction": "baseline_mse = 1 / 6\n",
        "variance_sum": "baseline_mse = 1 / 12 + 1 / 12\n",
        "integral_by_hand": "baseline_mse = 2 * (1 / 3 - 1 / 4)   # 2 (E[u^2] - E[u]^2)\n",
    },
}

# What the visible check must say for a mistake (learner's terms, not just AssertionError).
MESSAGES = {
    ("adding_problem", "global_random_state"): "not from np.random",
    ("adding_problem", "markers_anywhere"): "One marker must be at",
    ("adding_problem", "last_step_never_marked"): "excludes high",
    ("adding_problem", "first_half_inclusive"): "t < T // 2",
    ("adding_problem", "batch_major"): "time-major",
    ("adding_problem", "y_flat"): "(N, 1)",
    ("adding_problem", "y_sums_every_value"): "sum of the two marked values",
    ("adding_problem", "fixed_marker_positions"): "no marker was ever at",
    ("adding_problem", "new_generator_each_call"): "same seed gave different data",
    ("baseline_mse", "variance_of_one_value"): "variance of one uniform value",
    ("baseline_mse", "sampled_estimate"): "estimate from samples",
    ("baseline_mse", "left_as_None"): "should be a number",
    ("baseline_mse", "a_function"): "should be a number",
}

# The visible test of each graded name, run on a namespace of answers.
CHECKS = {
    "adding_problem": lambda ns: checks.check_adding_problem(ns["adding_problem"]),
    "baseline_mse": lambda ns: checks.check_baseline_mse(ns["baseline_mse"]),
}


def check_executed(outputs):
    """What the solution notebook of lesson 05 must have computed when run top to bottom."""
    import re

    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], outputs[f"test_{name}"]
    sampled, exact = map(float, re.findall(r"MSE (\S+) over 100,000 sequences; exact (\S+)",
                                           outputs["baseline-check"])[0])
    assert abs(sampled - exact) < 0.003 and abs(exact - 1 / 6) < 1e-4
    assert re.search(r"speed-up \d+\.\dx", outputs["speed"]), outputs["speed"]
    race = dict(re.findall(r"^(\w+), T = 100: test MSE (\S+) after", outputs["race"], re.M))
    assert float(race["LSTM"]) < 0.01 < 0.1 < float(race["RNN"]), race
    assert "application/vnd.jupyter.widget-view+json" in outputs["race"], "no progress bar shown"
    rows = re.findall(r"^\s*(\d+)\s+(\S+) \(\S+\)\s+(\S+) \(\S+\)$", outputs["sweep"], re.M)
    assert [int(T) for T, _, _ in rows] == [10, 25, 50, 100, 200], outputs["sweep"]
    long = {int(T): (float(rnn), float(lstm)) for T, rnn, lstm in rows}
    assert long[100][0] > 0.1 and long[100][1] < 0.01, long
    assert "image/png" in outputs["sweep"], "the sweep was not drawn"
    assert re.search(r"RNN, T = 25, seed 0: test MSE \S+", outputs["rerun"]), outputs["rerun"]
    assert "Measured: adding problem" in outputs["article-table"]
