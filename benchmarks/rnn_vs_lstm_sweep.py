"""Lesson 05's sweep: a tanh RNN and an LSTM trained on the adding problem at T = 10, 25, 50, 100
and 200, with the same budget of training sequences at every T and for both networks.

    make sweep                                                   # the full sweep (minutes)
    .venv/bin/python benchmarks/rnn_vs_lstm_sweep.py --quick     # a smoke test (seconds)
    .venv/bin/python benchmarks/rnn_vs_lstm_sweep.py --benchmark # vectorised vs per-gate LSTM

The full sweep writes solutions/05_rnn_vs_lstm/sweep_results.json, which ships with the lesson so
that it renders at once (--quick writes only with --out):
settings, the machine (core count), and per run the final test MSE, the test MSE during training,
the training loss (means over windows, at most MAX_POINTS points), and the times. Everything is
seeded: the same command gives the same numbers (the times aside). Runs with the same seed and T
see the same training batches and the same test set, whichever the network.

The data come from the reference adding_problem of the grading side (writing it is the learners'
exercise, so it does not ship); --generator MODULE:FUNCTION picks another
make_batch(T, N, rng) -> (x (T, N, D), y (N, 1)).
"""
import argparse
import importlib
import importlib.util
import json
import math
import os
import pathlib
import platform
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
LESSON = ROOT / "solutions" / "05_rnn_vs_lstm"
sys.path.insert(0, str(LESSON))
sys.path.insert(0, str(ROOT))
import networks  # noqa: E402  (shipped with the lesson)

LENGTHS = (10, 25, 50, 100, 200)
SEQUENCES = 64_000          # per run: 1000 updates of 64 sequences
SEEDS = (0, 1, 2)
EVAL_EVERY = 25             # updates between two measurements of the test MSE
TARGET = 0.01               # "solved": test MSE below this
MAX_POINTS = 200            # at most this many points per training-loss curve in the JSON
RESULTS = LESSON / "sweep_results.json"
DEFAULT_GENERATOR = "autograder.reference.rnn_vs_lstm:adding_problem"


def load_generator(spec):
    """make_batch from "MODULE:FUNCTION", or "path/to/file.py:FUNCTION" (relative to the
    repository root)."""
    where, name = spec.rsplit(":", 1)
    if where.endswith(".py"):
        path = (ROOT / where).resolve()
        sys.path.insert(0, str(ROOT))
        module_spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    else:
        module = importlib.import_module(where)
    return getattr(module, name)


def rounded(values, digits=4):
    """Floats with `digits` significant digits (a small JSON)."""
    return [float(f"{v:.{digits}g}") for v in np.asarray(values, dtype=float)]


def loss_curve(loss, max_points=MAX_POINTS):
    """The training loss in at most max_points windows of equal length: {"update": the last update
    of each window, "loss": the window's mean loss}."""
    width = max(1, math.ceil(len(loss) / max_points))
    starts = range(0, len(loss), width)
    ends = [min(start + width, len(loss)) for start in starts]
    means = [float(np.mean(loss[start:end])) for start, end in zip(starts, ends)]
    return {"update": ends, "loss": rounded(means), "window": width}


def summary(run):
    """What the JSON keeps of a run of networks.train."""
    curve = run["test_curve"]
    reached = [(u, t) for u, m, t in zip(curve["update"], curve["mse"], curve["train_time"])
               if m < TARGET]
    return {"model": run["model"], "T": run["T"], "seed": run["seed"],
            "test_mse": float(f"{run['test_mse']:.5g}"),
            "updates_to_target": reached[0][0] if reached else None,
            "time_to_target": round(reached[0][1], 2) if reached else None,
            "train_time": round(run["train_time"], 2), "wall_time": round(run["wall_time"], 2),
            "test_curve": {"update": curve["update"], "mse": rounded(curve["mse"]),
                           "train_time": [round(t, 2) for t in curve["train_time"]]},
            "loss_curve": loss_curve(run["loss"])}


def time_to(run, level):
    """Training time until the test MSE was first measured below `level` (None: never)."""
    curve = run["test_curve"]
    return next((t for m, t in zip(curve["mse"], curve["train_time"]) if m < level), None)


def sweep(make_batch, lengths=LENGTHS, sequences=SEQUENCES, seeds=SEEDS, eval_every=EVAL_EVERY,
          log=print, **settings):
    """Train both networks at every T and seed; returns the runs of networks.train (summaries)."""
    runs = []
    for T in lengths:
        for seed in seeds:
            for model in networks.MODELS:
                run = networks.train(model, make_batch, T, sequences, seed=seed,
                                     eval_every=eval_every, **settings)
                reached = time_to(run, TARGET)
                log(f"T = {T:3d}  seed {seed}  {model:4s}  test MSE {run['test_mse']:.4f}  "
                    f"train {run['train_time']:5.1f} s  wall {run['wall_time']:5.1f} s  "
                    f"MSE < {TARGET} after {'-' if reached is None else f'{reached:.1f} s'}")
                runs.append(summary(run))
    return runs


def table(runs):
    """Lines of a table: per T, each network's median final test MSE over the seeds (and range)."""
    lines = ["   T   RNN test MSE (median, min-max)    LSTM test MSE (median, min-max)"]
    for T in sorted({r["T"] for r in runs}):
        cells = []
        for model in networks.MODELS:
            values = [r["test_mse"] for r in runs if r["T"] == T and r["model"] == model]
            cells.append(f"{np.median(values):8.4f} ({min(values):.4f}-{max(values):.4f})")
        lines.append(f"{T:4d}   {cells[0]:32s}  {cells[1]}")
    return lines


def machine():
    return {"cpu_count": os.cpu_count(),
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__,
            "platform": platform.platform()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="T = 10, 25, 300 updates, one seed; writes only with --out")
    parser.add_argument("--benchmark", action="store_true",
                        help="time the vectorised LSTM passes against the per-gate ones, and stop")
    parser.add_argument("--out", help=f"where to write the results (default: {RESULTS.name})")
    parser.add_argument("--generator", default=DEFAULT_GENERATOR,
                        help="make_batch as MODULE:FUNCTION or FILE.py:FUNCTION "
                             f"(default: {DEFAULT_GENERATOR})")
    parser.add_argument("--seeds", type=int, nargs="+", help=f"default: {list(SEEDS)}")
    args = parser.parse_args(argv)
    make_batch = load_generator(args.generator)
    if args.benchmark:
        networks.speed_comparison(make_batch)
        return
    if args.quick:
        lengths, sequences, seeds = (10, 25), 19_200, (0,)
    else:
        lengths, sequences, seeds = LENGTHS, SEQUENCES, SEEDS
    seeds = tuple(args.seeds) if args.seeds else seeds
    settings = {"batch": 64, "H": 16, "lr": 1e-2, "max_norm": 1.0, "forget_bias": 1.0,
                "test_size": 1000}
    start = time.perf_counter()
    runs = sweep(make_batch, lengths, sequences, seeds, **settings)
    total = time.perf_counter() - start
    for line in table(runs):
        print(line)
    print(f"total {total:.0f} s")
    out = args.out or (None if args.quick else RESULTS)
    if out:
        results = {"settings": {"lengths": list(lengths), "sequences": sequences,
                                "updates": sequences // settings["batch"], "seeds": list(seeds),
                                "eval_every": EVAL_EVERY, "target": TARGET, **settings,
                                "generator": args.generator},
                   "machine": machine(), "total_time": round(total, 1), "runs": runs}
        pathlib.Path(out).write_text(json.dumps(results, separators=(",", ":")) + "\n")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
