"""Lesson 05: answers to the adding problem and its baseline that learners really write."""
from autograder.paths import ROOT
from rnncourse import checks, explore

# The lesson's explorers, by the id of the notebook cell that shows each: how to build one
# from the graded functions it is driven by ({name: function}; the tests pass the reference
# as if it were the learner's). tests/test_explorer_layout.py and the browser suite use them.
EXPLORERS = {
    "explore-first-marker": lambda answers: explore.FirstMarkerExplorer(
        explore.load_checkpoints(ROOT / "solutions" / "05_rnn_vs_lstm" / "checkpoints.npz"),
        answers["adding_problem"], answers["rnn_forward"], answers["rnn_backward"],
        answers["lstm_forward"], answers["lstm_backward"], answers["forget_gate"]),
}

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
        "one_position_for_the_batch": _adding(first="rng.integers(0, T // 2)",
                                              second="rng.integers(T // 2, T)"),
        "values_in_minus_one_to_one": _adding(values="rng.uniform(-1.0, 1.0, size=(T, N))"),
        "second_marker_past_the_end": _adding(second="rng.integers(T // 2, T + 1, size=N)"),
        "whole_rows_marked": _adding(first="rng.integers(0, T // 2, size=N)").replace(
            "markers[first, np.arange(N)] = 1.0\n    markers[second, np.arange(N)] = 1.0\n",
            "markers[first] = 1.0\n    markers[second] = 1.0\n"),
        "y_summed_over_batch": _adding(y="(values * markers).sum(axis=1)[:, None]"),
        "y_mean_not_sum": _adding(y="(values * markers).mean(axis=0)[:, None]"),
        "fixed_seed_inside": _adding(before="    rng = np.random.default_rng(0)\n"),
        "first_step_never_marked": _adding(first="rng.integers(1, T // 2, size=N)"),
        "half_rounded_up": _adding(first="rng.integers(0, round(T / 2), size=N)",
                                   second="rng.integers(round(T / 2), T, size=N)"),
        "channels_swapped": _adding(stack="np.stack([markers, values], axis=2)"),
        "values_only_at_markers": _adding(stack="np.stack([values * markers, markers], axis=2)"),
    },
    "baseline_mse": {
        "variance_of_one_value": "baseline_mse = 1 / 12\n",
        "sampled_estimate": (
            "_u = np.random.default_rng(0).uniform(size=(2, 10000))\n"
            "baseline_mse = float(np.mean((_u.sum(axis=0) - 1) ** 2))\n"),
        "standard_deviation": "baseline_mse = (2 / 12) ** 0.5\n",
        "left_as_None": "baseline_mse = None\n",
        "a_function": "def baseline_mse():\n    return 1 / 6\n",
        "one_uniform_value": "baseline_mse = 1 / 3\n",
        "rounded_decimal": "baseline_mse = 0.1667\n",
        "second_moment": "baseline_mse = 7 / 6\n",
        "zero_because_mean_is_one": "baseline_mse = 0\n",
        "variance_of_twice_u": "baseline_mse = 4 / 12\n",
        "as_a_string": "baseline_mse = '1/6'\n",
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
        "numpy_scalar": "baseline_mse = np.sum(np.full(2, 1 / 12))\n",
        "zero_dimensional_array": "baseline_mse = np.asarray(2 / 12)\n",
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
    ("adding_problem", "fixed_marker_positions"): "the positions must be drawn at random",
    ("adding_problem", "new_generator_each_call"): "same seed gave different data",
    ("adding_problem", "normal_values"): "uniform in [0, 1) averages 0.5",
    ("adding_problem", "one_position_for_the_batch"): "drawn once for the whole batch",
    ("adding_problem", "values_in_minus_one_to_one"): "Channel 0 holds the values, uniform in [0, 1)",
    ("adding_problem", "second_marker_past_the_end"): "one past the end",
    ("adding_problem", "whole_rows_marked"): "is marked in every sequence of the batch",
    ("adding_problem", "y_summed_over_batch"): "sum over time (axis 0)",
    ("adding_problem", "y_mean_not_sum"): "a mean over time",
    ("adding_problem", "fixed_seed_inside"): "Two different seeds gave the same data",
    ("adding_problem", "first_step_never_marked"): "The first half starts at step 0",
    ("adding_problem", "half_rounded_up"): "t < T // 2 = 3",
    ("adding_problem", "channels_swapped"): "the channels are swapped",
    ("adding_problem", "values_only_at_markers"): "the values fill every step",
    ("baseline_mse", "variance_of_one_value"): "variance of one uniform value",
    ("baseline_mse", "sampled_estimate"): "close, but not exact",
    ("baseline_mse", "standard_deviation"): "takes no square root",
    ("baseline_mse", "left_as_None"): "should be a number",
    ("baseline_mse", "a_function"): "should be a number",
    ("baseline_mse", "one_uniform_value"): "1/3 is E[(u - 1)^2] for a single uniform u",
    ("baseline_mse", "rounded_decimal"): "close, but not exact",
    ("baseline_mse", "second_moment"): "7/6 is E[y^2]",
    ("baseline_mse", "zero_because_mean_is_one"): "0 would mean that always predicting 1.0",
    ("baseline_mse", "variance_of_twice_u"): "Var(2u)",
    ("baseline_mse", "as_a_string"): "should be a number, not str",
}

# The visible test of each graded name, run on a namespace of answers.
CHECKS = {
    "adding_problem": lambda ns: checks.check_adding_problem(ns["adding_problem"]),
    "baseline_mse": lambda ns: checks.check_baseline_mse(ns["baseline_mse"]),
}


def check_executed(outputs):
    """What the solution notebook of lesson 05 must have computed when run top to bottom. The
    numbers it prints are recomputed here from the course's code: the sweep table from the shipped
    sweep_results.json, section 6's measurements with the reference functions on the shipped
    checkpoints.npz."""
    import json
    import re

    from autograder.lessons import REFERENCE
    from rnncourse.experiments.adding import summary_table
    from rnncourse.explore.first_marker import first_marker_trace, load_checkpoints, table_lines

    folder = ROOT / "solutions" / "05_rnn_vs_lstm"
    for name in CHECKS:
        assert f"{name}: all visible checks passed." in outputs[f"test_{name}"], outputs[f"test_{name}"]
    sampled, exact = map(float, re.findall(r"MSE (\S+) over 100,000 sequences; exact (\S+)",
                                           outputs["baseline-check"])[0])
    assert abs(sampled - exact) < 0.003 and abs(exact - 1 / 6) < 1e-4
    assert re.search(r"speed-up \d+\.\dx", outputs["speed"]), outputs["speed"]
    race = dict(re.findall(r"^(\w+), T = 100: test MSE (\S+) after", outputs["race"], re.M))
    assert float(race["LSTM"]) < 0.01 < 0.1 < float(race["RNN"]), race
    assert "application/vnd.jupyter.widget-view+json" in outputs["race"], "no progress bar shown"

    # The sweep's table: per T and network, median (min-max) and seeds solved, as in the file.
    sweep = json.loads((folder / "sweep_results.json").read_text())
    expected = dict(summary_table(sweep))
    rows = re.findall(r"^\s*(\d+)((?:\s+\S+ \(\S+\) \d+/\d+){3})$", outputs["sweep"], re.M)
    assert [int(T) for T, _ in rows] == [10, 25, 50, 100, 200], outputs["sweep"]
    for T, text in rows:
        cells = re.findall(r"(\S+) \((\S+)-(\S+)\) (\d+)/(\d+)", text)
        for model, printed in zip(("rnn", "lstm", "irnn"), cells):
            cell = expected[int(T)][model]
            assert printed == (f"{cell['median']:.4f}", f"{cell['min']:.4f}", f"{cell['max']:.4f}",
                               str(cell["solved"]), str(cell["seeds"])), (T, model, printed)
    assert expected[100]["rnn"]["median"] > 0.1 and expected[100]["lstm"]["median"] < 0.01
    assert "always predicting 1 scores 0.1667" in outputs["sweep"], outputs["sweep"]
    assert "image/png" in outputs["sweep"], "the sweep was not drawn"
    assert re.search(r"RNN, T = 25, seed 0: test MSE \S+", outputs["rerun"]), outputs["rerun"]

    # Section 6: whose functions run, then the measurements, recomputed.
    for name in ("rnn_forward", "rnn_backward", "lstm_forward", "lstm_backward", "forget_gate",
                 "carousel_gain"):
        assert f"{name:14s} the course's" in outputs["your-code"], outputs["your-code"]
    checkpoints = load_checkpoints(folder / "checkpoints.npz")
    functions = {name: REFERENCE[name] for name in ("adding_problem", "rnn_forward",
                                                    "rnn_backward", "lstm_forward",
                                                    "lstm_backward", "forget_gate")}
    traces = {(T, u): first_marker_trace(checkpoints, **functions, T=T, update=u)
              for T in (25, 50, 100, 200) for u in (0, 1000)}
    printed = outputs["marker-gradients"]
    for line in table_lines(traces.values()):
        assert line in printed, (line, printed)
    start, trained = traces[100, 0], traces[100, 1000]
    kept = REFERENCE["carousel_gain"](start["fs"])[-51].mean()
    assert "sigmoid(1) = 0.731; sigmoid(1)**50 = 1.6e-07" in printed, printed
    assert (f"mean forget gate {start['forget_mean']:.3f}; cell-state gain over 50 steps "
            f"{kept:.1e}") in printed, printed
    assert " ".join(f"{f:.3f}" for f in trained["unit_mean"]) in printed, printed
    assert "application/vnd.jupyter.widget-view+json" in outputs["explore-first-marker"], \
        "the explorer was not shown"

    # The article's table, annotated with the same numbers.
    table = outputs["article-table"]
    assert "Measured: adding problem" in table
    for value in (f"{start['rnn']['share_median']:.1e}", f"{trained['rnn']['share_median']:.1e}",
                  f"{start['lstm']['first_norm']:.1e}", f"{start['rnn']['first_norm']:.1e}",
                  f"{trained['lstm']['share_median']:.2f}"):
        assert value in table, (value, table)
    for model in ("rnn", "lstm", "irnn"):
        for T, cells in expected.items():
            cell = cells[model]
            assert f"T = {T}: {cell['median']:.4f} ({cell['solved']}/{cell['seeds']})" in table
