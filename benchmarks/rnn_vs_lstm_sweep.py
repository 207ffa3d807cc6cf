"""Lesson 05's sweep: a tanh RNN, an LSTM and an IRNN (a ReLU RNN started at W_hh = I, Le, Jaitly &
Hinton, 2015) trained on the adding problem at T = 10, 25, 50, 100 and 200, with the same budget of
training sequences, the same optimiser (Adam) and the same clipping at every T and for every
network.

    make sweep                                                   # the full sweep (minutes)
    .venv/bin/python benchmarks/rnn_vs_lstm_sweep.py --quick     # a smoke test (seconds)
    .venv/bin/python benchmarks/rnn_vs_lstm_sweep.py --benchmark # vectorised vs per-gate LSTM

The full sweep writes solutions/05_rnn_vs_lstm/sweep_results.json, which ships with the lesson so
that it renders at once (--quick writes only with --out):
settings, the machine (core count), and per run the final test MSE, the test MSE during training,
the training loss (means over windows, at most MAX_POINTS points), and the times. Everything is
seeded: the same command gives the same numbers (the times aside). Runs with the same seed and T
see the same training batches and the same test set, whichever the network.

It also writes solutions/05_rnn_vs_lstm/checkpoints.npz (lesson 05's explorer): the weights of the
seed-0 runs of the tanh RNN and the LSTM at T in CHECKPOINT_LENGTHS after each update in
CHECKPOINT_UPDATES (0: the initial weights), in the lessons' own names (lesson 01's W_xh, W_hh,
b_h; lesson 04's W_f .. b_o) plus the readout W_y, b_y. Keys "<model>/<T>/<update>/<name>";
"lengths", "updates", "models" and "seed" say what it holds.

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
CHECKPOINTS = LESSON / "checkpoints.npz"
CHECKPOINT_LENGTHS = (25, 50, 100, 200)
CHECKPOINT_UPDATES = (0, 250, 500, 1000)
CHECKPOINT_MODELS = ("rnn", "lstm")
DEFAULT_GENERATOR = "autograder.lessons.rnn_vs_lstm:adding_problem"


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


def lesson_params(model, params):
    """A network's weights in the lessons' names: the tanh RNN's as they are (W_xh, W_hh, b_h),
    the LSTM's as lesson 04's W_f .. b_o; both with the readout W_y, b_y."""
    if model == "lstm":
        return {**networks.lstm_params_to_api(params), "W_y": params["W_y"].copy(),
                "b_y": params["b_y"].copy()}
    return {name: value.copy() for name, value in params.items()}


def sweep(make_batch, lengths=LENGTHS, sequences=SEQUENCES, seeds=SEEDS, eval_every=EVAL_EVERY,
          log=print, checkpoints=None, **settings):
    """Train every network at every T and seed; returns the runs of networks.train (summaries).
    checkpoints, a dict, receives {(model, T, update): lesson_params} of the first seed's runs of
    CHECKPOINT_MODELS at CHECKPOINT_LENGTHS."""
    runs = []
    for T in lengths:
        for seed in seeds:
            for model in networks.MODELS:
                keep = (checkpoints is not None and seed == seeds[0] and
                        model in CHECKPOINT_MODELS and T in CHECKPOINT_LENGTHS)
                updates = sequences // settings.get("batch", 64)
                run = networks.train(model, make_batch, T, sequences, seed=seed,
                                     eval_every=eval_every, **settings,
                                     checkpoints=[u for u in CHECKPOINT_UPDATES
                                                  if keep and u <= updates])
                for update, params in run["checkpoints"].items():
                    checkpoints[model, T, update] = lesson_params(model, params)
                reached = time_to(run, TARGET)
                log(f"T = {T:3d}  seed {seed}  {model:4s}  test MSE {run['test_mse']:.4f}  "
                    f"train {run['train_time']:5.1f} s  wall {run['wall_time']:5.1f} s  "
                    f"MSE < {TARGET} after {'-' if reached is None else f'{reached:.1f} s'}")
                runs.append(summary(run))
    return runs


def table(runs):
    """Lines of a table: per T, each network's median final test MSE over the seeds, its range,
    and how many seeds reached MSE < TARGET."""
    models = [m for m in networks.MODELS if any(r["model"] == m for r in runs)]
    lines = ["   T" + "".join(f"   {m.upper() + ' test MSE: median (min-max) solved':44s}"
                          for m in models)]
    for T in sorted({r["T"] for r in runs}):
        cells = []
        for model in models:
            values = [r["test_mse"] for r in runs if r["T"] == T and r["model"] == model]
            solved = sum(v < TARGET for v in values)
            cells.append(f"{np.median(values):8.4f} ({min(values):.4f}-{max(values):.4f}) "
                         f"{solved}/{len(values)}")
        lines.append(f"{T:4d}" + "".join(f"   {cell:44s}" for cell in cells))
    return lines


def save_checkpoints(path, checkpoints, seed):
    """Write {(model, T, update): {name: array}} to an .npz file (see the module's docstring)."""
    arrays = {f"{model}/{T}/{update}/{name}": value
              for (model, T, update), params in sorted(checkpoints.items())
              for name, value in params.items()}
    arrays["models"] = np.array(sorted({m for m, _, _ in checkpoints}))
    arrays["lengths"] = np.array(sorted({T for _, T, _ in checkpoints}))
    arrays["updates"] = np.array(sorted({u for _, _, u in checkpoints}))
    arrays["seed"] = np.array(seed)
    np.savez_compressed(path, **arrays)


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
    parser.add_argument("--checkpoints", help="where to write the checkpoints (default: "
                        f"{CHECKPOINTS.name}; --quick writes them only when this is given)")
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
    checkpoint_path = args.checkpoints or (None if args.quick else CHECKPOINTS)
    kept = {} if checkpoint_path else None
    start = time.perf_counter()
    runs = sweep(make_batch, lengths, sequences, seeds, checkpoints=kept, **settings)
    total = time.perf_counter() - start
    for line in table(runs):
        print(line)
    print(f"total {total:.0f} s")
    out = args.out or (None if args.quick else RESULTS)
    if out:
        results = {"settings": {"lengths": list(lengths), "sequences": sequences,
                                "updates": sequences // settings["batch"], "seeds": list(seeds),
                                "eval_every": EVAL_EVERY, "target": TARGET,
                                "models": list(networks.MODELS), **settings,
                                "generator": args.generator},
                   "machine": machine(), "total_time": round(total, 1), "runs": runs}
        pathlib.Path(out).write_text(json.dumps(results, separators=(",", ":")) + "\n")
        print(f"wrote {out}")
    if checkpoint_path:
        save_checkpoints(checkpoint_path, kept, seeds[0])
        print(f"wrote {checkpoint_path}")


if __name__ == "__main__":
    main()
