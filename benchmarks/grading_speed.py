"""Time grading a synthetic class with stock serial nbgrader and with `python -m autograder grade`
(parallel shards), check that both give every learner the same total score, and print the fixed
costs per run and per submission. Numbers only, except the score check (exit 1 if it fails).

    python benchmarks/grading_speed.py [--learners 40] [--assignments 01_rnn_update ...] [--jobs N]
                                       [--also-cold]

The class (seeded, so every run grades the same notebooks): correct answers, answers with one or
two graded functions left as handed out (`raise NotImplementedError()`), and broken files
(invalid JSON, an empty file). Stock: per assignment a fresh course (autograder.course.Course:
the course's configuration with only the root and the gradebook moved), `generate_assignment`,
all learners copied into submitted/, then `nbgrader autograde A --force` and `nbgrader
generate_feedback A --force` (timed). New: `python -m autograder grade A <submitted tree> --jobs N
--root <tmp> --db-url sqlite:///<tmp>/gradebook.db` (feedback and CSV included, timed from process
start to exit); it runs through a two-line launcher that only records grade()'s phase times.

Both run the course's configuration: every kernel in the sandbox (autograder/sandbox.py) and the
hidden tests judged by the checker (autograder/checker.py). Stock nbgrader starts every kernel as a
new interpreter; the new command forks them from a warm process per shard (autograder/zygote.py).
--also-cold times the new command once more with --cold-kernels (each kernel a new interpreter, as
stock), to show what the warm start is worth. Broken files: stock nbgrader records a submission
with score 0 after its autograde fails on them; the new command records 0 without running them and
reports why ("needs attention"). Scores must be identical for every learner.
"""
import argparse
import json
import os
import pathlib
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]

import nbformat  # noqa: E402
from nbgrader.api import Gradebook  # noqa: E402

from autograder.course import Course  # noqa: E402
from autograder.notebooks import filled, notebook_name, solution_notebook, solutions  # noqa: E402
from autograder.release import assignments, nbgrader_env  # noqa: E402

ASSIGNMENTS = assignments()

# Kinds of submission, cycled then shuffled: the first five hold one of each.
PATTERN = ["correct", "one_blank", "two_blanks", "invalid_json", "empty_file",
           "correct", "one_blank", "correct", "one_blank", "correct"]
BROKEN = {"invalid_json", "empty_file"}

# `python -m autograder grade ...` plus a record of grade()'s phase times in $GRADE_TIMES.
LAUNCHER = """\
import json, os, sys, autograder.grade as g
_grade = g.grade
def timed(*a, **k):
    out = _grade(*a, **k)
    with open(os.environ["GRADE_TIMES"], "w") as f:
        json.dump(out["times"], f)
    return out
g.grade = timed
from autograder.__main__ import main
sys.exit(main())
"""


def synthetic_class(assignment, learners, seed):
    """[(learner id, kind, what)], what: the graded functions left blank, if any; seeded."""
    rng = random.Random(f"{seed}-{assignment}")
    kinds = [PATTERN[i % len(PATTERN)] for i in range(learners)]
    rng.shuffle(kinds)
    graded = sorted(solutions(assignment))
    out = []
    for i, kind in enumerate(kinds):
        student = f"learner{i:03d}"
        blanks = {"one_blank": 1, "two_blanks": 2}.get(kind, 0)
        what = rng.sample(graded, min(len(graded), blanks)) if blanks else None
        out.append((student, kind, what))
    return out


def write_submission(folder, assignment, kind, what):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / notebook_name(assignment)
    if kind == "invalid_json":
        path.write_text("{this is not a notebook")
    elif kind == "empty_file":
        path.write_text("")
    else:
        answers = {name: source for name, source in solutions(assignment).items()
                   if name not in (what or ())}
        nbformat.write(filled(assignment, answers), str(path))


def scores(db_url, assignment):
    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(assignment)}


def scratch_course(folder, assignment):
    """A throw-away nbgrader course in `folder` with `assignment` generated (and registered in
    its own gradebook): the course's configuration with only the root and the gradebook moved."""
    course = Course(pathlib.Path(folder) / "course", f"sqlite:///{folder}/gradebook.db")
    result = course.run("generate_assignment", assignment, "--force")
    if result.returncode != 0:
        raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n"
                         f"{result.stdout}\n{result.stderr}")
    return course


def stock(assignment, klass, tmp):
    """Serial stock nbgrader: ({generate, autograde, feedback: seconds, html: feedback files,
    failed: learners nbgrader could not grade}, scores)."""
    t0 = time.perf_counter()
    course = scratch_course(tmp / "stock", assignment)
    t1 = time.perf_counter()
    for student, kind, what in klass:
        write_submission(course.folder("submitted") / student / assignment,
                         assignment, kind, what)
    t2 = time.perf_counter()
    result = course.run("autograde", assignment, "--force")     # exits 1: the broken files
    t3 = time.perf_counter()
    failed = set(re.findall(r"error processing assignment '[^']*' for student '([^']*)'",
                            result.stdout + result.stderr))
    course.run("generate_feedback", assignment, "--force")
    t4 = time.perf_counter()
    html = len(list(course.folder("feedback").glob(f"*/{assignment}/*.html")))
    return {"generate": t1 - t0, "autograde": t3 - t2, "feedback": t4 - t3, "html": html,
            "failed": failed}, scores(course.db_url, assignment)


def new_command(assignment, klass, tmp, jobs, cold=False):
    """`python -m autograder grade` on a submitted/ tree (with --cold-kernels if `cold`): wall
    seconds, grade()'s phases, scores, stdout."""
    tmp = tmp / ("cold" if cold else "warm")
    tree = tmp / "new-submitted"
    for student, kind, what in klass:
        write_submission(tree / student / assignment, assignment, kind, what)
    db_url = f"sqlite:///{tmp / 'new-gradebook.db'}"
    args = ["grade", assignment, str(tree), "--jobs", str(jobs), "--root", str(tmp / "new-course"),
            "--db-url", db_url, *(["--cold-kernels"] if cold else [])]
    env = dict(nbgrader_env(), GRADE_TIMES=str(tmp / "times.json"))
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", LAUNCHER, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"python -m autograder {' '.join(args)} failed:\n"
                         f"{result.stdout}\n{result.stderr}")
    t = json.loads((tmp / "times.json").read_text())
    phases = {"startup": wall - (t["end"] - t["start"]),      # interpreter + imports + exit
              "register+prepare": t["prepared"] - t["start"],
              "autograde+feedback": t["autograded"] - t["prepared"],
              "merge+copy": t["merged"] - t["feedback"],
              "export+report": t["end"] - t["merged"]}
    phases["html"] = len(list((tmp / "new-course" / "autograder" / "feedback")
                              .glob(f"*/{assignment}/*.html")))
    return wall, phases, scores(db_url, assignment), result.stdout


async def _sandboxed_kernel(cwd, cell, warm):
    """Start a kernel in the grading sandbox (forked from the zygote if `warm`), run `cell` (or
    nothing), shut it down."""
    from autograder.execute import SandboxKernelManager

    km = SandboxKernelManager(kernel_name="python3", workdir=str(cwd), zygote=warm)
    await km.start_kernel(cwd=str(cwd), stderr=subprocess.DEVNULL)
    kc = km.client()
    kc.start_channels()
    await kc.wait_for_ready(timeout=60)
    if cell:
        reply = await kc.execute_interactive(cell, timeout=120, output_hook=lambda msg: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    kc.stop_channels()
    await km.shutdown_kernel(now=False)


def kernel_start(repeats, cwd, first_cell, sandbox=False, warm=False):
    """Median seconds to start a python3 kernel (in the grading sandbox, forked from the zygote
    if `warm`, or plain) and shut it down; and with the lesson's first (import) cell run in
    between. The zygote itself starts before the first sample."""
    import asyncio

    from jupyter_client.manager import start_new_kernel

    bare, imports = [], []
    for i in range(2 * repeats):
        start = time.perf_counter()
        if sandbox:
            asyncio.run(_sandboxed_kernel(cwd, first_cell if i % 2 else None, warm))
        else:
            km, kc = start_new_kernel(kernel_name="python3", cwd=str(cwd),
                                      stderr=subprocess.DEVNULL)
            if i % 2:
                reply = kc.execute_interactive(first_cell, timeout=120,
                                               output_hook=lambda msg: None)
                assert reply["content"]["status"] == "ok", reply["content"]
            kc.stop_channels()
            km.shutdown_kernel(now=False)
        (imports if i % 2 else bare).append(time.perf_counter() - start)
    return statistics.median(bare), statistics.median(imports)


def nbgrader_startup(repeats):
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "nbgrader", "--version"], env=nbgrader_env(),
                       capture_output=True, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def single_autograde(assignment, tmp):
    """Seconds of `nbgrader autograde` of one trivial submission (the release notebook as
    handed out, nothing answered)."""
    course = scratch_course(tmp, assignment)
    course.submit(assignment, "solo", filled(assignment, {}))
    start = time.perf_counter()
    course.run("autograde", assignment, "--force")
    return time.perf_counter() - start


def load_average():
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=40)
    parser.add_argument("--assignments", nargs="+", default=ASSIGNMENTS, choices=ASSIGNMENTS)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kernel-repeats", type=int, default=5)
    parser.add_argument("--also-cold", action="store_true",
                        help="also time the new command with --cold-kernels")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; "
          f"load average (1/5/15 min) at start {load_average()}")
    print(f"class: {args.learners} learners x {len(args.assignments)} assignments, seed "
          f"{args.seed}; new command with --jobs {args.jobs}")

    rows, ok = [], True
    for assignment in args.assignments:
        klass = synthetic_class(assignment, args.learners, args.seed)
        counts = {k: sum(1 for _, kind, _ in klass if kind == k) for k in dict.fromkeys(PATTERN)}
        with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
            tmp = pathlib.Path(tmp)
            stock_t, stock_scores = stock(assignment, klass, tmp)
            wall, phases, new_scores, out = new_command(assignment, klass, tmp, args.jobs)
            cold = new_command(assignment, klass, tmp, args.jobs, cold=True) \
                if args.also_cold else None
        n = len(klass)
        stock_total = stock_t["autograde"] + stock_t["feedback"]
        broken = {s for s, kind, _ in klass if kind in BROKEN}
        readable = {s: v for s, v in stock_scores.items() if s not in broken}
        same = stock_scores == new_scores
        flagged = set(re.findall(r"needs attention: (\S+):", out))
        reported = broken <= flagged
        if cold:
            ok &= cold[2] == stock_scores
        ok &= same and reported
        rows.append((assignment, n, stock_total, wall, cold[0] if cold else None))
        print(f"\n{assignment}: {counts}; load average {load_average()}")
        html = phases.pop("html")
        print(f"  stock: generate_assignment {stock_t['generate']:.1f} s (not counted), autograde "
              f"{stock_t['autograde']:.1f} s, generate_feedback {stock_t['feedback']:.1f} s "
              f"({stock_t['html']} feedback files)")
        print("  new:   " + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
              + f"; wall {wall:.1f} s ({html} feedback files)")
        if cold:
            cold[1].pop("html")
            print("  new with --cold-kernels: " + ", ".join(
                f"{k} {v:.1f} s" for k, v in cold[1].items()) + f"; wall {cold[0]:.1f} s; "
                f"scores identical: {cold[2] == stock_scores}")
        print(f"  scores identical for all {len(stock_scores)} learners: {same} "
              f"({len(readable)} readable notebooks; {len(broken)} broken files, stock scored "
              f"them {sorted({stock_scores.get(s) for s in broken}, key=str)}, new "
              f"{sorted({new_scores.get(s) for s in broken}, key=str)}, all reported: "
              f"{reported})")
        unexpected = {"stock": sorted(stock_t["failed"] - broken),
                      "new": sorted(flagged - broken)}
        if any(unexpected.values()):
            print(f"  readable notebooks nbgrader could not grade: {unexpected}")
        if not same:
            for s in sorted(set(stock_scores) | set(new_scores)):
                if stock_scores.get(s) != new_scores.get(s):
                    print(f"    {s}: stock {stock_scores.get(s)}, new {new_scores.get(s)}")

    print(f"\n{'assignment':<24}{'subs':>5}{'stock s':>9}{'new s':>8}{'stock s/sub':>13}"
          f"{'new s/sub':>11}{'ratio':>7}" + (f"{'cold s':>8}{'ratio':>7}" if args.also_cold
                                              else ""))
    total = ("total", *(sum(r[i] for r in rows) for i in (1, 2, 3)),
             sum(r[4] for r in rows) if args.also_cold else None)
    for assignment, n, s, w, c in rows + [total]:
        print(f"{assignment:<24}{n:>5}{s:>9.1f}{w:>8.1f}{s / n:>13.2f}{w / n:>11.2f}{s / w:>7.2f}"
              + (f"{c:>8.1f}{s / c:>7.2f}" if c else ""))

    first = args.assignments[0]
    print(f"\nfixed costs (load average {load_average()}):")
    cell = next(c.source for c in solution_notebook(first).cells if c.cell_type == "code")
    for sandbox, warm, how in ((False, False, "plain"), (True, False, "in the sandbox"),
                               (True, True, "in the sandbox, forked from the zygote")):
        with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
            bare, imports = kernel_start(args.kernel_repeats, tmp, cell, sandbox, warm)
        print(f"  python3 kernel start + shutdown ({how}), median of {args.kernel_repeats}: "
              f"{bare:.2f} s; with {first}'s import cell: {imports:.2f} s")
    print(f"  python -m nbgrader --version (interpreter + nbgrader import), median of 3: "
          f"{nbgrader_startup(3):.2f} s")
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        print(f"  nbgrader autograde of 1 trivial submission ({first}, nothing answered): "
              f"{single_autograde(first, pathlib.Path(tmp)):.1f} s")
    with tempfile.TemporaryDirectory(prefix="grading-speed-") as tmp:
        one = [("solo", "correct", None)]
        wall, phases, _, _ = new_command(first, one, pathlib.Path(tmp), args.jobs)
        phases.pop("html")
        print(f"  new command with 1 correct submission ({first}): {wall:.1f} s = "
              + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items()))
    print(f"load average at end {load_average()}")
    print(f"\nscores identical: {ok}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
