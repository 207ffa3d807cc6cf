"""Write the recorded values that the visible tests compare with.

    python -m autograder.record          # rewrite rnncourse/recorded/*.json from the reference
    python -m autograder.record --check  # exit 1 if a recorded file differs from the reference

Recorded cases are small and readable (inputs with two decimals) and are computed by the one
reference implementation, so visible and hidden tests can never disagree.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

from .reference import REFERENCE

RECORDED = pathlib.Path(__file__).resolve().parent.parent / "rnncourse" / "recorded"


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
    return {"rnn_step": step, "rnn_forward": forward}


LESSONS = {"rnn_update": rnn_update_cases}


def _to_json(value):
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return np.asarray(value).tolist()


def build(lesson):
    """The recorded cases of a lesson: {name: {"inputs": {arg: list}, "expected": list}}."""
    out = {}
    for name, inputs in LESSONS[lesson]().items():
        expected = REFERENCE[name](*[v.copy() for v in inputs.values()])
        out[name] = {
            "inputs": {k: v.tolist() for k, v in inputs.items()},
            "expected": _to_json(expected),
        }
    return json.dumps(out, indent=1) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    stale = []
    for lesson in LESSONS:
        path = RECORDED / f"{lesson}.json"
        text = build(lesson)
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
