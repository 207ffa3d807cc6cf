"""Print how long learners and instructors wait: each lesson's execution, autograding per
submission, each explorer's update (compute + redraw + PNG) per control, and lesson 03's training
runs. Numbers only; no assertions.

    python benchmarks/course_timings.py [--submissions 8] [--updates 30] [--skip-grading]
"""
import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]

from nbclient import NotebookClient  # noqa: E402

from autograder.course import Course  # noqa: E402
from autograder.notebooks import (copy_supporting_files, filled, solution_notebook,  # noqa: E402
                                  solutions)
from autograder.release import assignments  # noqa: E402


def lesson_execution(assignment):
    """Seconds to run the solution notebook top to bottom in a fresh kernel (kernel start included)."""
    nb = solution_notebook(assignment)
    with tempfile.TemporaryDirectory() as tmp:
        copy_supporting_files(assignment, tmp)
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": tmp}}).execute()
        return time.perf_counter() - start


def autograde_per_submission(assignment, count):
    """(seconds for one nbgrader autograde run of `count` correct submissions, per submission)."""
    with tempfile.TemporaryDirectory() as tmp:
        # a throw-away course: the course's configuration with only the root and gradebook moved
        course = Course(pathlib.Path(tmp) / "course", f"sqlite:///{tmp}/gradebook.db")
        result = course.run("generate_assignment", assignment, "--force")
        if result.returncode != 0:
            raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n"
                             f"{result.stdout}\n{result.stderr}")
        nb = filled(assignment, solutions(assignment))
        for i in range(count):
            course.submit(assignment, f"learner{i:03d}", nb)
        start = time.perf_counter()
        course.run("autograde", assignment, "--force")
        total = time.perf_counter() - start
        return total, total / count


def explorers():
    """{name: (explorer, {control: two values far apart})}, the reference functions standing in
    for the learner's (worst cases: the gradient explorer at T = 100)."""
    from autograder.lessons import REFERENCE as R
    from rnncourse.explore import (CarouselExplorer, FirstMarkerExplorer, GateExplorer,
                                   GradientExplorer, MemoryExplorer, TruncationExplorer,
                                   load_checkpoints)
    from rnncourse.explore.gradients import MATRICES as GRADIENT_MATRICES

    return {
        "01 MemoryExplorer": (MemoryExplorer(R["rnn_forward"]),
                              {"radius": [0.5, 1.2], "input_scale": [0.1, 5.0],
                               "bias": [0.0, 2.5], "signal": ["sine burst", "pulse"]}),
        "02 TruncationExplorer": (
            TruncationExplorer(R["rnn_forward"], R["rnn_backward"], R["rnn_backward_truncated"]),
            {"radius": [0.5, 1.5], "k": [1, 40]}),
        "03 GradientExplorer": (
            GradientExplorer(R["rnn_forward"], R["gradient_norms"], R["jacobian_norm_bound"], T=100),
            {"sigma_max": [0.7, 1.3], "T": [20, 100], "input_scale": [0.2, 2.5],
             "nonlinearity": ["identity", "tanh"],
             "matrix": [GRADIENT_MATRICES[1], GRADIENT_MATRICES[0]]}),
        "04 GateExplorer": (GateExplorer(R["cell_update"], R["hidden_state"]),
                            {"forget": [0.5, 0.95], "input": [0.3, 1.0], "output": [0.0, 1.0]}),
        "04 CarouselExplorer": (
            CarouselExplorer(R["rnn_forward"], R["gradient_norms"], R["lstm_forward"],
                             R["forget_gate"], R["carousel_gain"], T=200),
            {"forget_bias": [0.0, 4.0], "T": [50, 200], "sigma_max": [0.8, 1.2]}),
        # it measures every checkpoint once when built; a control then looks up and redraws
        "05 FirstMarkerExplorer": (
            FirstMarkerExplorer(load_checkpoints(ROOT / "solutions" / "05_rnn_vs_lstm" /
                                                 "checkpoints.npz"),
                                *(R[name] for name in ("adding_problem", "rnn_forward",
                                                       "rnn_backward", "lstm_forward",
                                                       "lstm_backward", "forget_gate"))),
            {"T": [25, 200], "update": [0, 1000], "unit": [1, 16]}),
        **char_lstm_explorers(R),
    }


def char_lstm_explorers(R):
    """Lesson 06's two explorers on the shipped checkpoint, driven by the reference functions."""
    from rnncourse.explore import CellViewer, GenerationExplorer, code_lines, load_char_lstm, words_of
    from rnncourse.text import load_text, train_validation

    model = load_char_lstm(ROOT / "solutions" / "06_char_lstm" / "char_lstm.npz")
    train, val = train_validation(load_text())
    generation = GenerationExplorer(R["sample"], R["lstm_step"], R["readout"], model["params"],
                                    model["W_hy"], model["b_y"], model["chars"],
                                    softmax=R["softmax"], words=words_of(train))
    cells = CellViewer(R["lstm_forward"], model["params"], code_lines(val, 101, 20),
                       model["chars"], context=code_lines(val, 81, 20))
    return {
        "06 GenerationExplorer": (generation, {"temperature": [0.1, 2.0], "seed": [0, 20],
                                               "prompt": list(generation.controls["prompt"].options[:2]),
                                               "length": [100, 400]}),
        "06 CellViewer": (cells, {"unit": [0, 127],
                                  "quantity": ["cell state C", "hidden state h"]}),
    }


def explorer_updates(updates):
    """{(explorer, control): [seconds per update]}, moving each control back and forth."""
    times = {}
    for name, (explorer, moves) in explorers().items():
        for control, values in moves.items():
            samples = []
            for i in range(updates):
                start = time.perf_counter()
                explorer.controls[control].value = values[i % 2]
                samples.append(time.perf_counter() - start)
            times[name, control] = samples
    return times


def experiment_runs():
    """[(label, seconds, test loss)] for each training run of lesson 03's experiment."""
    from autograder.lessons import REFERENCE as R
    from rnncourse.experiments import lesson_runs

    start = time.perf_counter()
    groups = lesson_runs(R["rnn_forward"], R["rnn_backward"], R["clip_by_global_norm"])
    seconds = time.perf_counter() - start
    return [(run["label"], run["test_loss"]) for runs in groups.values() for run in runs], seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--updates", type=int, default=30)
    parser.add_argument("--skip-grading", action="store_true",
                        help="only the explorers and the experiment (seconds, not minutes)")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for assignment in [] if args.skip_grading else assignments():
        print(f"{assignment}: lesson execution {lesson_execution(assignment):.2f} s")
        total, each = autograde_per_submission(assignment, args.submissions)
        print(f"{assignment}: nbgrader autograde of {args.submissions} submissions {total:.1f} s, "
              f"{each:.2f} s per submission")
    for (name, control), samples in explorer_updates(args.updates).items():
        ms = sorted(1000 * s for s in samples)
        print(f"explorer {name}, {control}: update median {statistics.median(ms):.0f} ms, "
              f"max {ms[-1]:.0f} ms over {len(ms)} updates")
    runs, seconds = experiment_runs()
    print(f"03 experiment: {len(runs)} training runs in {seconds:.1f} s; test losses (chance "
          "0.6931): " + ", ".join(f"{label} {loss:.4f}" for label, loss in runs))


if __name__ == "__main__":
    main()
