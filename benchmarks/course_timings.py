"""Print how long learners and instructors wait: each lesson's execution, autograding per
submission, and each explorer's update (compute + redraw + PNG). Numbers only; no assertions.

    python benchmarks/course_timings.py [--submissions 8] [--updates 30]
"""
import argparse
import os
import pathlib
import statistics
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]

from nbclient import NotebookClient  # noqa: E402

from coursekit import ASSIGNMENTS, Course, filled, solution_notebook, solutions  # noqa: E402


def lesson_execution(assignment):
    """Seconds to run the solution notebook top to bottom in a fresh kernel (kernel start included)."""
    nb = solution_notebook(assignment)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": tmp}}).execute()
        return time.perf_counter() - start


def autograde_per_submission(assignment, count):
    """(seconds for one nbgrader autograde run of `count` correct submissions, per submission)."""
    with tempfile.TemporaryDirectory() as tmp:
        course = Course(tmp)
        course.generate(assignment)
        nb = filled(assignment, solutions(assignment))
        for i in range(count):
            course.submit(assignment, f"learner{i:03d}", nb)
        start = time.perf_counter()
        course.autograde(assignment)
        total = time.perf_counter() - start
        return total, total / count


def explorer_updates(updates):
    """{explorer: [seconds per update]} moving its first slider back and forth."""
    from autograder.reference.rnn_update import rnn_forward
    from rnncourse.explore import MemoryExplorer

    explorers = {"01 memory (MemoryExplorer)": (MemoryExplorer(rnn_forward), "radius", [0.5, 0.95])}
    times = {}
    for name, (explorer, control, values) in explorers.items():
        samples = []
        for i in range(updates):
            start = time.perf_counter()
            explorer.controls[control].value = values[i % 2]
            samples.append(time.perf_counter() - start)
        times[name] = samples
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=8)
    parser.add_argument("--updates", type=int, default=30)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    for assignment in ASSIGNMENTS:
        print(f"{assignment}: lesson execution {lesson_execution(assignment):.2f} s")
        total, each = autograde_per_submission(assignment, args.submissions)
        print(f"{assignment}: nbgrader autograde of {args.submissions} submissions {total:.1f} s, "
              f"{each:.2f} s per submission")
    for name, samples in explorer_updates(args.updates).items():
        ms = sorted(1000 * s for s in samples)
        print(f"explorer {name}: update median {statistics.median(ms):.0f} ms, "
              f"max {ms[-1]:.0f} ms over {len(ms)} updates")


if __name__ == "__main__":
    main()
