"""Write what is derived from the reference implementation: the recorded values that the visible
tests compare with, and the modules that later lessons ship with earlier lessons' answers.

    python -m autograder.record          # rewrite both from the reference
    python -m autograder.record --check  # exit 1 if a written file differs from the reference

Recorded cases are small and readable (inputs with two decimals) and are computed by the one
reference implementation, so visible and hidden tests can never disagree. A lesson that builds on
an earlier answer (lesson 02 runs the forward pass of lesson 01) imports it from
`earlier_answers.py` next to its notebook: a verbatim copy of the reference modules, so a learner
whose earlier answer is wrong can still go on, and the copy cannot drift (`--check` compares).
"""
import argparse
import ast
import json
import pathlib
import sys

import numpy as np

from . import reference
from .reference import REFERENCE

ROOT = pathlib.Path(__file__).resolve().parent.parent
RECORDED = ROOT / "rnncourse" / "recorded"
REFERENCE_DIR = pathlib.Path(reference.__file__).parent

# Assignment -> the reference modules (lessons) whose answers it ships.
SHIPPED = {
    "02_bptt": ["rnn_update"],
    "03_vanishing_gradients": ["rnn_update", "bptt"],
    "04_lstm_gates": ["rnn_update", "vanishing_gradients"],
    "05_rnn_vs_lstm": ["rnn_update", "bptt", "lstm_gates"],
}


def _readable(rng, *shape, scale=1.0):
    return np.round(rng.normal(0.0, scale, size=shape), 2)


def rnn_update_cases():
    rng = np.random.default_rng(1)
    N, D, H, T = 2, 3, 4, 4
    step = {
        "x_t": _readable(rng, N, D),
        "h_prev": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
        "W_xh": _readable(rng, H, D, scale=0.6),
        "W_hh": _readable(rng, H, H, scale=0.6),
        "b_h": _readable(rng, H, scale=0.3),
    }
    forward = {
        "x": _readable(rng, T, N, D),
        "h0": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
        "W_xh": _readable(rng, H, D, scale=0.6),
        "W_hh": _readable(rng, H, H, scale=0.6),
        "b_h": _readable(rng, H, scale=0.3),
    }
    return {"rnn_step": (step, {}), "rnn_forward": (forward, {})}


def bptt_cases():
    """Inputs of the backward passes, with the forward weights (context) that made the states."""
    from .reference.rnn_update import rnn_forward

    rng = np.random.default_rng(2)
    N, D, H, T = 2, 3, 4, 5
    weights = {"W_xh": _readable(rng, H, D, scale=0.6), "W_hh": _readable(rng, H, H, scale=0.6)}
    context = {"b_h": _readable(rng, H, scale=0.3)}
    x_t = _readable(rng, N, D)
    h_prev = np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2)
    h_t = rnn_forward(x_t[None], h_prev, weights["W_xh"], weights["W_hh"], context["b_h"])[0]
    step = {"dh_t": _readable(rng, N, H), "x_t": x_t, "h_prev": h_prev, "h_t": h_t, **weights}
    x = _readable(rng, T, N, D)
    h0 = np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2)
    hs = rnn_forward(x, h0, weights["W_xh"], weights["W_hh"], context["b_h"])
    sequence = {"dhs": _readable(rng, T, N, H), "x": x, "h0": h0, "hs": hs, **weights}
    return {"rnn_step_backward": (step, context), "rnn_backward": (sequence, context),
            "rnn_backward_truncated": (dict(sequence, k=2), context)}


def vanishing_gradients_cases():
    from .reference.rnn_update import rnn_forward

    rng = np.random.default_rng(3)
    N, D, H, T = 2, 2, 3, 6
    jacobian = {"h_t": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
                "W_hh": _readable(rng, H, H, scale=0.8)}
    W_hh = _readable(rng, H, H, scale=0.8)
    hs = rnn_forward(_readable(rng, T, N, D), np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
                     _readable(rng, H, D, scale=0.8), W_hh, _readable(rng, H, scale=0.3))
    norms = {"hs": hs, "W_hh": W_hh, "dh_T": _readable(rng, N, H)}
    bound = {"W_hh": _readable(rng, H, H, scale=0.8), "lag": 5, "gamma": 1.0}
    clip = {"grads": {"W_xh": _readable(rng, H, D), "W_hh": _readable(rng, H, H),
                      "b_h": _readable(rng, H)}, "max_norm": 1.0}
    return {"step_jacobian": (jacobian, {}), "gradient_norms": (norms, {}),
            "jacobian_norm_bound": (bound, {}), "clip_by_global_norm": (clip, {})}


def lstm_gates_cases():
    rng = np.random.default_rng(4)
    N, D, H, T = 3, 4, 2, 4

    def params():
        weights = {}
        for gate in "fiCo":
            weights[f"W_{gate}"] = _readable(rng, H, H + D, scale=0.6)
            weights[f"b_{gate}"] = _readable(rng, H, scale=0.5) + (1.0 if gate == "f" else 0.0)
        return weights

    h_prev = np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2)
    x_t = _readable(rng, N, D)
    gates = params()
    cases = {"sigmoid": ({"z": np.array([[-3.0, -0.5, 0.0], [0.25, 2.0, 6.0]])}, {})}
    for name, gate in (("forget_gate", "f"), ("input_gate", "i"), ("candidate_cell", "C"),
                       ("output_gate", "o")):
        cases[name] = ({"h_prev": h_prev, "x_t": x_t, f"W_{gate}": gates[f"W_{gate}"],
                        f"b_{gate}": gates[f"b_{gate}"]}, {})
    cases["cell_update"] = ({"C_prev": _readable(rng, N, H),
                             "f_t": np.round(rng.uniform(0.05, 0.95, size=(N, H)), 2),
                             "i_t": np.round(rng.uniform(0.05, 0.95, size=(N, H)), 2),
                             "C_tilde": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2)}, {})
    cases["hidden_state"] = ({"o_t": np.round(rng.uniform(0.05, 0.95, size=(N, H)), 2),
                              "C_t": _readable(rng, N, H, scale=1.5)}, {})
    cases["lstm_step"] = ({"x_t": _readable(rng, N, D), "h_prev": h_prev,
                           "C_prev": _readable(rng, N, H), "params": params()}, {})
    cases["lstm_forward"] = ({"x": _readable(rng, T, N, D),
                              "h0": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
                              "C0": _readable(rng, N, H), "params": params()}, {})
    cases["carousel_gain"] = ({"fs": np.round(rng.uniform(0.3, 0.99, size=(T + 1, N, H)), 2)}, {})
    cases["lstm_step_backward"] = ({"dh_t": _readable(rng, N, H), "dC_t": _readable(rng, N, H),
                                    "x_t": _readable(rng, N, D),
                                    "h_prev": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
                                    "C_prev": _readable(rng, N, H), "params": params()}, {})
    cases["lstm_backward"] = ({"dhs": _readable(rng, T, N, H), "x": _readable(rng, T, N, D),
                               "h0": np.round(rng.uniform(-0.9, 0.9, size=(N, H)), 2),
                               "C0": _readable(rng, N, H), "params": params()}, {})
    return cases


LESSONS = {"rnn_update": rnn_update_cases, "bptt": bptt_cases,
           "vanishing_gradients": vanishing_gradients_cases, "lstm_gates": lstm_gates_cases}


def _to_json(value):
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_json(v) for k, v in value.items()}
    if isinstance(value, (int, float)):
        return value
    return np.asarray(value).tolist()


def build(lesson):
    """The recorded cases of a lesson: {name: {"inputs": {arg: value}, "context": {name: value},
    "expected": value, "tuple": whether the function returns a tuple}}."""
    out = {}
    for name, (inputs, context) in LESSONS[lesson]().items():
        expected = REFERENCE[name](*[np.copy(v) if isinstance(v, np.ndarray) else v
                                     for v in inputs.values()])
        out[name] = {
            "inputs": _to_json(inputs),
            "context": _to_json(context),
            "expected": _to_json(expected),
            "tuple": isinstance(expected, tuple),
        }
    return json.dumps(out, indent=1) + "\n"


def _body(module):
    """A reference module's code without its docstring and its numpy import."""
    source = (REFERENCE_DIR / f"{module}.py").read_text()
    tree = ast.parse(source)
    lines = source.splitlines()
    if tree.body and isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant):
        lines = lines[tree.body[0].end_lineno:]
    return "\n".join(line for line in lines if line != "import numpy as np").strip("\n")


def shipped(assignment):
    """The text of `earlier_answers.py` for an assignment."""
    modules = SHIPPED[assignment]
    names = [n for n, fn in REFERENCE.items()
             if callable(fn) and fn.__module__.rsplit(".", 1)[1] in modules]
    sources = ", ".join(f"autograder/reference/{m}.py" for m in modules)
    header = ('"""Answers to earlier lessons\' exercises, so that this lesson works even if yours are not\n'
              f"finished: {', '.join(names)}.\n\n"
              f"Generated by `make record` from the course\'s reference implementation ({sources});\n"
              'do not edit."""\nimport numpy as np\n')
    return header + "".join(f"\n\n# --- lesson {m} ---\n\n{_body(m)}\n" for m in modules)


def outputs():
    """{path: text} of every file this module writes."""
    files = {RECORDED / f"{lesson}.json": build(lesson) for lesson in LESSONS}
    files.update({ROOT / "solutions" / a / "earlier_answers.py": shipped(a) for a in SHIPPED})
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for path, text in outputs().items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
            print(f"wrote {path}")
    for path in stale:
        print(f"stale: {path} (run python -m autograder.record)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
