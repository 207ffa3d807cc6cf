"""Print lesson 06's speed figures (issue 15): the training throughput of the character LSTM
engine (solutions/06_char_lstm/char_model.py) at H = 128, T = 25, N = 32, V = 96, in characters
per second, with one and with two BLAS threads; the same for the tanh RNN and for the LSTM
computed with lesson 04's reference functions (LearnerLSTM, what a learner's own LSTM costs);
the time to sample 1,000 characters; and the seconds of training the seeded live run of
scripts/train_char_models.py needs to reach its target validation loss. Numbers only; no
assertions.

    python benchmarks/char_lstm_speed.py [--updates 60] [--runs 5] [--skip-target]

One update is everything a training step does: the forward pass, the reference readout and
softmax_cross_entropy, the readout's and the LSTM's backward pass, the reference
clip_by_global_norm and Adam. Each figure is the median of --runs runs of --updates updates
(after a warm-up), measured in a fresh process per thread count, since OpenBLAS reads
OPENBLAS_NUM_THREADS when numpy is imported. Sampling uses the reference `sample` with
char_model.step_function, at temperature 1.
"""
import argparse
import importlib.util
import math
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
V, H, T, N = 96, 128, 25, 32


def _engine():
    spec = importlib.util.spec_from_file_location(
        "char_model", ROOT / "solutions" / "06_char_lstm" / "char_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(kind, updates, runs):
    """[characters per second of each run] for one model kind ("lstm", "rnn", "learner")."""
    import numpy as np

    from autograder.lessons import lstm_gates
    from autograder.lessons.char_lstm import readout, softmax_cross_entropy, stream_batches
    from autograder.lessons.vanishing_gradients import clip_by_global_norm

    cm = _engine()
    rng = np.random.default_rng(0)
    xs, ys = stream_batches(rng.integers(0, V, size=400_000), N, T)
    if kind == "rnn":
        model = cm.CharRNN(V, H)
    elif kind == "lstm":
        model = cm.CharLSTM(V, H)
    else:
        fused = cm.CharLSTM(V, H)
        model = cm.LearnerLSTM(lstm_gates.lstm_forward, lstm_gates.lstm_backward,
                               fused.gate_params(), fused.params["W_hy"], fused.params["b_y"])
    optimizer = cm.Adam(model.params)
    state = model.initial_state(N)
    k = 0

    def update():
        nonlocal state, k
        _, grads, state = cm.loss_and_grads(model, xs[k % len(xs)], ys[k % len(xs)], state,
                                            readout, softmax_cross_entropy)
        grads, _ = clip_by_global_norm(grads, 5.0)
        optimizer.step(model.params, grads)
        k += 1

    for _ in range(max(3, updates // 5)):
        update()
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(updates):
            update()
        rates.append(updates * T * N / (time.perf_counter() - start))
    return rates


def sampling_seconds(runs):
    """[seconds to sample 1,000 characters] of each run, from a CharLSTM and a CharRNN."""
    import numpy as np

    from autograder.lessons.char_lstm import readout, sample

    cm = _engine()
    out = {}
    for name, model in (("lstm", cm.CharLSTM(V, H)), ("rnn", cm.CharRNN(V, H))):
        step = cm.step_function(model, readout)
        times = []
        for run in range(runs):
            start = time.perf_counter()
            sample(step, model.initial_state(1), 0, 1000, 1.0, np.random.default_rng(run))
            times.append(time.perf_counter() - start)
        out[name] = times
    return out


def time_to_target():
    """(seconds of training, updates, bits per character) when the seeded live run of
    scripts/train_char_models.py first scores LIVE_TARGET_BITS or less on the validation text
    (checked every 250 updates), or at LIVE_SECONDS if it never does."""
    spec = importlib.util.spec_from_file_location("train_char_models",
                                                  ROOT / "scripts" / "train_char_models.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    vocabulary, train_ids, val_ids = script.data()
    model = script.char_model.CharLSTM(len(vocabulary), script.SETTINGS["H"],
                                       seed=script.SETTINGS["seed"])
    reached = {}

    class Reached(Exception):
        pass

    def watch(record):
        bits = record["val_loss"] / math.log(2)
        if bits <= script.LIVE_TARGET_BITS:
            reached.update(seconds=record["seconds"], updates=record["updates"], bits=bits)
            raise Reached

    s = script.SETTINGS
    try:
        history = script.char_model.train(
            model, train_ids, val_ids, **script.REFERENCE, N=s["N"], T=s["T"],
            lr=script.LIVE_LR, max_norm=s["max_norm"], seed=s["seed"], every=250,
            on_progress=watch, eval_N=s["eval_N"], eval_T=s["eval_T"],
            seconds=script.LIVE_SECONDS)
        return (float(history["seconds"][-1]), int(history["updates"][-1]),
                float(history["val_loss"][-1] / math.log(2)))
    except Reached:
        return reached["seconds"], reached["updates"], reached["bits"]


def child(threads, updates, runs, kinds):
    """Run the measurements in a fresh interpreter with OPENBLAS_NUM_THREADS = threads."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    code = (f"import sys; sys.path.insert(0, {str(ROOT)!r}); "
            f"sys.path.insert(0, {str(ROOT / 'benchmarks')!r}); import char_lstm_speed as b; "
            f"print(repr({{k: b.measure(k, {updates}, {runs}) for k in {kinds!r}}}))")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                            text=True, cwd=ROOT, check=True)
    return eval(result.stdout.strip().splitlines()[-1])  # our own repr of a dict of floats


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=60, help="updates per run")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--skip-target", action="store_true",
                        help="skip the time to the live run's target loss (about 25 s)")
    args = parser.parse_args()
    print(f"training throughput, H = {H}, T = {T}, N = {N}, V = {V} ({T * N} characters per "
          f"update), median of {args.runs} runs of {args.updates} updates; "
          f"os.cpu_count() = {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    for threads in (1, 2):
        rates = child(threads, args.updates, args.runs, ("lstm", "rnn"))
        for kind, label in (("lstm", "CharLSTM (float32, fused)"), ("rnn", "CharRNN (float32)")):
            r = rates[kind]
            print(f"  {label:28s} {threads} BLAS thread{'s' if threads > 1 else ' '}: "
                  f"{statistics.median(r):9,.0f} characters/s  (runs {min(r):,.0f} .. "
                  f"{max(r):,.0f})")
    learner = child(1, max(5, args.updates // 6), 3, ("learner",))["learner"]
    print(f"  {'LearnerLSTM (lesson 04 ref.)':28s} 1 BLAS thread : "
          f"{statistics.median(learner):9,.0f} characters/s  (float64, one-hot x)")
    print("sampling 1,000 characters (reference sample, char_model.step_function):")
    for kind, times in sampling_seconds(args.runs).items():
        print(f"  {kind:5s} {statistics.median(times):.3f} s  (runs {min(times):.3f} .. "
              f"{max(times):.3f})")
    if not args.skip_target:
        seconds, updates, bits = time_to_target()
        print(f"seeded live run (scripts/train_char_models.py --live settings): validation "
              f"{bits:.3f} bits/char after {updates} updates, {seconds:.1f} s of training")


if __name__ == "__main__":
    main()
