"""Grade a whole class in parallel with stock nbgrader, and merge the results into one gradebook.

    python -m autograder grade ASSIGNMENT [SUBMISSIONS] [--jobs N] [--student ID]

SUBMISSIONS is nbgrader's submitted/ tree (the default: autograder/submitted/), a folder of
notebooks, or a zip of them as learning-management systems export them (one notebook per learner,
the learner id in the file name: the part matched by --id-pattern; every file's id is reported,
and a file without one, or a second file for the same id, is reported and not graded).

`grade` runs these phases, one function each, in this order:
- collect: find the submissions and read them (autograder/collect.py). Files that are not
  notebooks are not run: their learners get 0 and a reason.
- register: record the assignment once, in a template course's gradebook (in the background).
- canary: meanwhile, the reference solution (solutions/<id>/<id>.ipynb) is graded as a learner
  would be, in the same sandbox with the same settings (autograder/canary.py). Unless it earns
  full marks, nobody is graded and nothing is written: the command stops with the cause ("rnncourse
  cannot be imported inside the sandbox ..."), which would otherwise score every learner the same.
- shard: split the learners into N shards. Each shard is a throw-away nbgrader course
  (autograder/course.py) with its own SQLite gradebook (SQLite is not safe for concurrent
  writers), copied from the template once the assignment is registered there; the shard
  processes start meanwhile and wait for their copies (`hand_out_gradebooks`). One process per
  shard (autograder/shard.py: nbgrader's autograde, then generate_feedback, for each of its
  learners, through nbgrader's API in one interpreter). The course gradebook is registered while
  they grade.
- grade: wait for the N shards, which run at once, with a progress bar. Every kernel runs in the
  sandbox, forked from a process per shard that has imported ipykernel, numpy and matplotlib once
  (autograder/zygote.py; --cold-kernels starts each as a new interpreter), and every hidden test
  is judged by the checker (the course configuration: autograder/execute.py, sandbox.py,
  checker.py).
- feedback: keep each shard's log in autograder/logs/, and gather what the autograded notebooks
  show beyond their scores (a dead kernel, a time limit, a hidden test interfered with) and which
  learners nbgrader could not grade.
- merge: grades and comments are merged, one writer at a time, into the course gradebook (SQLite
  or a PostgreSQL db_url); the autograded notebooks and the feedback HTML are copied into the
  course's folders; learners that could not be graded get 0.
- report: nbgrader's CSV exporter writes the grades CSV, and autograder/report.py a class report
  (HTML with plots).
Re-running is idempotent (a learner's grades are replaced, not added; manual grades are kept), and
--student regrades one learner.
"""
import argparse
import csv
import dataclasses
import json
import os
import pathlib
import shutil
import sys
import tempfile
import time
import warnings

import nbformat
import sqlalchemy
from nbgrader.api import Gradebook

from .canary import start as start_canary
from .collect import DEFAULT_ID_PATTERN, collect, read_submissions
from .course import Course, gradebook_lock, merge_shard, record_zero
from .notebooks import notebook_name
from .paths import CPU_SECONDS, MEMORY_MB, ROOT


@dataclasses.dataclass
class Shard:
    """One shard of the class: its throw-away course, its learners, its process, and the files
    it shares with this one in the run's work folder (log, gradebook, results)."""
    index: int
    course: Course
    members: list               # Submission
    work: pathlib.Path
    process: object = None      # subprocess.Popen of `autograder.shard grade`
    log_file: object = None     # the process's stdout, open for writing

    def path(self, suffix):
        return self.work / f"shard{self.index}{suffix}"

    @property
    def log(self):
        return self.path(".log")

    @property
    def gradebook(self):
        return self.path(".db")

    @property
    def result(self):
        return self.path(".json")


@dataclasses.dataclass
class Run:
    """What one grading run knows, handed from phase to phase."""
    assignment: str
    root: pathlib.Path          # the course: autograder/ holds autograded/, feedback/, grades.csv
    db_url: str
    jobs: int
    source: pathlib.Path        # the submissions
    settings: dict              # {"Section.trait": value} for every course of the run
    feedback: bool
    quiet: bool
    work: pathlib.Path          # the shards' courses, gradebooks and logs (removed at the end)
    times: dict                 # time.perf_counter() at the end of each phase
    problems: list = dataclasses.field(default_factory=list)   # (file or learner, reason)
    shards: list = dataclasses.field(default_factory=list)     # Shard
    canary: object = None       # the canary's Verdict (autograder/canary.py), once it passed

    @property
    def template(self):
        """The gradebook in which the assignment's cells are registered once."""
        return self.work / "template.db"

    def folder(self, name):
        return self.root / "autograder" / name

    def mark(self, phase):
        self.times[phase] = time.perf_counter()

    def close(self):
        """After a failure, never leave shards behind; remove the work folder."""
        for shard in self.shards:
            if shard.process is not None and shard.process.poll() is None:
                shard.process.kill()
                shard.process.wait()
        shutil.rmtree(self.work, ignore_errors=True)


def prepare(assignment, submissions, jobs, db_url, root, feedback, quiet, settings):
    """The run's settings and folders (see `grade`)."""
    root = pathlib.Path(root).resolve() if root else ROOT
    (root / "autograder").mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{root / 'autograder' / 'gradebook.db'}"
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    times = {"start": time.perf_counter()}
    source = pathlib.Path(submissions).resolve() if submissions else \
        root / "autograder" / "submitted"
    # learners' kernels never see the class's submissions, wherever they came from
    # and start forked from a warm process (autograder/zygote.py) unless settings say otherwise
    settings = {"SandboxKernelManager.hide": [str(source if source.is_dir() else source.parent)],
                "SandboxKernelManager.zygote": True, **(settings or {})}
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"grade-{assignment}-"))
    return Run(assignment, root, db_url, jobs, source, settings, feedback, quiet, work, times)


def collect_class(run, id_pattern, student):
    """Collect: (the submissions to grade, the learners without a notebook), `student`'s alone
    if one is named."""
    collected = collect(run.assignment, run.source, id_pattern, run.work)
    subs = [s for s in collected.submissions if student is None or s.student == student]
    if student is not None and not subs:
        raise SystemExit(f"no submission of {student!r} for {run.assignment}")
    run.problems += collected.problems
    missing = {m for m in collected.missing if student is None or m == student}
    return subs, missing


def read(run, subs):
    """Collect, second half: (the readable submissions, the ids of the unreadable ones)."""
    readable, unreadable, problems = read_submissions(subs)
    run.problems += problems
    return readable, unreadable


def register(run):
    """Register: start recording the assignment's cells in the template gradebook."""
    template = Course(run.work / "template" / "course", f"sqlite:///{run.template}")
    return template.start_register(run.assignment)


def shard(run, readable):
    """Shard: start one process per shard of the readable submissions; each waits for its
    gradebook (`hand_out_gradebooks`), then grades."""
    groups = [readable[i::run.jobs] for i in range(run.jobs) if readable[i::run.jobs]]
    for i, members in enumerate(groups):
        course = Course(run.work / f"shard{i}" / "course", f"sqlite:///{run.work / f'shard{i}.db'}",
                        settings=run.settings)
        one = Shard(i, course, members, run.work)
        one.log_file = open(one.log, "w")
        one.process = course.start_shard(
            "grade", run.assignment, *[s.student for s in members],
            "--result", str(one.result), "--wait-for", str(one.gradebook),
            *(["--feedback"] if run.feedback else []), log=one.log_file)
        run.shards.append(one)
        for sub in members:
            course.submit(run.assignment, sub.student, sub.notebook)


def hand_out_gradebooks(run):
    """Copy the registered template into every shard's gradebook, all at once (each appears
    whole, by a rename): the shards start grading."""
    for one in run.shards:
        part = one.path(".db.part")
        shutil.copy(run.template, part)
        os.rename(part, one.gradebook)
    run.mark("prepared")


def register_course(run):
    """Register, in the course gradebook, while the shards grade (other machines may share a
    PostgreSQL gradebook: take turns with them). Returns the course."""
    course = Course(run.root, run.db_url, settings=run.settings)
    with gradebook_lock(run.db_url):
        course.start_register(run.assignment).wait()
    return course


def grade_shards(run, total):
    """Grade: wait for the shard processes, showing progress over `total` submissions."""
    # imported while the shards work (matplotlib, nbclient: about a second on this machine)
    from . import execute, report  # noqa: F401
    while any(one.process.poll() is None for one in run.shards):
        if not run.quiet:
            done = sum(one.log.read_text().count("graded ") for one in run.shards)
            _progress(done, total, run.times["prepared"])
        time.sleep(0.5)
    for one in run.shards:
        one.log_file.close()
    if not run.quiet:
        _progress(total, total, run.times["prepared"])
        sys.stderr.write("\n")
    run.mark("autograded")


def _progress(done, total, start, out=sys.stderr):
    elapsed = time.perf_counter() - start
    eta = elapsed / done * (total - done) if done else float("nan")
    width = 30
    bar = "#" * int(width * done / max(total, 1))
    out.write(f"\r[{bar:<{width}}] {done}/{total} graded, {elapsed:5.0f} s, ETA {eta:5.0f} s")
    out.flush()


def gather_feedback(run):
    """Feedback: keep each shard's log (with nbgrader's log of every learner it failed) in
    autograder/logs/, report what the autograded notebooks show beyond their scores, and return
    the learners nbgrader could not grade."""
    from .execute import findings

    failed = set()
    run.folder("logs").mkdir(parents=True, exist_ok=True)
    for one in run.shards:
        results = json.loads(one.result.read_text()) if one.result.exists() else {}
        log = one.log.read_text() + "".join(f"\n--- {who}\n{r['log']}"
                                            for who, r in results.items() if r["log"])
        (run.folder("logs") / f"{run.assignment}-shard{one.index}.log").write_text(log)
        for sub in one.members:
            path = one.course.folder("autograded") / sub.student / run.assignment / \
                notebook_name(run.assignment)
            if not results.get(sub.student, {}).get("autograde") or not path.exists():
                failed.add(sub.student)
                continue
            for where, reason in findings(nbformat.read(str(path), as_version=4)):
                run.problems.append((sub.student, f"{where}: {reason}"))
            if run.feedback and results[sub.student].get("feedback") is False:
                run.problems.append((sub.student, "graded, but nbgrader could not write the "
                                     "feedback (see autograder/logs/"
                                     f"{run.assignment}-shard{one.index}.log)"))
    run.problems += [(s, "nbgrader could not grade this notebook (see "
                         f"autograder/logs/{run.assignment}-shard*.log); scored 0 until a "
                         "regrade with --student succeeds") for s in sorted(failed)]
    run.mark("feedback")
    return failed


def merge_grades(run, course, failed, ungraded):
    """Merge: every shard's grades, autograded notebooks and feedback into `course`, except the
    `failed` learners'; they and the `ungraded` ones get 0 and lose any results of an old run.
    Returns the merged learner ids."""
    graded = []
    with gradebook_lock(run.db_url), Gradebook(run.db_url) as main:
        for one in run.shards:
            ids = {s.student for s in one.members} - failed
            graded += merge_shard(one.course.db_url, main, run.assignment, ids)
            for sid in ids:
                _copy_results(one.course, course, sid, run.assignment)
        for sid in sorted(failed | ungraded):
            record_zero(main, run.assignment, sid)
            _copy_results(None, course, sid, run.assignment)    # no stale results of an old run
    run.mark("merged")
    return graded


def _copy_results(shard_course, course, student, assignment):
    """Replace `student`'s autograded notebook and feedback in `course` with the shard course's
    (with nothing if `shard_course` is None)."""
    for kind in ("autograded", "feedback"):
        target = course.folder(kind) / student / assignment
        if target.exists():
            shutil.rmtree(target)
        source = shard_course and shard_course.folder(kind) / student / assignment
        if source and source.exists():
            shutil.copytree(source, target)


def report_grades(run, course):
    """Report: the grades CSV and the class report; returns their paths."""
    from .report import write_report

    csv_path = run.folder("grades.csv")
    export_csv(run.db_url, csv_path)
    report = write_report(run.folder(f"report-{run.assignment}.html"), run.assignment,
                          run.db_url, course.folder("autograded"), run.problems)
    run.mark("end")
    return csv_path, report


def grade(assignment, submissions=None, jobs=None, student=None, db_url=None, root=None,
          id_pattern=DEFAULT_ID_PATTERN, feedback=True, quiet=False, settings=None):
    """Grade `assignment` for every learner in `submissions` (or just `student`). Returns a dict:
    graded (learner ids), problems [(file or learner, reason)], csv (path), report (path),
    mapping (how each learner id was found), times (of the phases), jobs.
    `settings` {"Execute.timeout": 60, "SandboxKernelManager.memory_mb": 2048, ...} override
    the course's nbgrader configuration for this run."""
    run = prepare(assignment, submissions, jobs, db_url, root, feedback, quiet, settings)
    canary = None
    try:
        subs, missing = collect_class(run, id_pattern, student)
        readable, unreadable = read(run, subs)
        registering = register(run)
        canary = start_canary(run.assignment, run.template, run.work, run.settings)
        shard(run, readable)
        registering.wait()
        run.canary = canary.result()    # the reference solution earns full marks, or nobody
        # the assignment is registered; the shards wait for their gradebooks
        hand_out_gradebooks(run)
        course = register_course(run)
        grade_shards(run, len(readable))
        failed = gather_feedback(run)
        graded = merge_grades(run, course, failed, unreadable | missing)
        csv_path, report = report_grades(run, course)
        return {"graded": sorted(graded), "problems": run.problems, "csv": csv_path,
                "report": report, "mapping": [s.origin for s in subs], "times": run.times,
                "jobs": run.jobs, "canary": run.canary}
    finally:
        if canary is not None:
            canary.stop()
        run.close()


def export_csv(db_url, path):
    """The grades CSV, written by nbgrader's own exporter (`nbgrader export`'s plugin and
    columns), in this process."""
    from nbgrader.plugins import CsvExportPlugin

    plugin = CsvExportPlugin()
    plugin.to = str(path)
    with Gradebook(db_url) as gb:
        plugin.export(gb)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def command_line():
    parser = argparse.ArgumentParser(prog="python -m autograder grade",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("assignment")
    parser.add_argument("submissions", nargs="?", help="submitted/ tree, folder or zip "
                                                       "(default: autograder/submitted/)")
    parser.add_argument("--jobs", type=int, default=None, help="parallel runs (default: cores)")
    parser.add_argument("--student", help="regrade this learner only")
    parser.add_argument("--db-url", help="gradebook (default: autograder/gradebook.db; "
                                         "postgresql://... works too)")
    parser.add_argument("--root", help="course root for autograded/, feedback/, grades.csv "
                                       "(default: the repository)")
    parser.add_argument("--id-pattern", default=DEFAULT_ID_PATTERN,
                        help="regex with a group 'id' that finds the learner id in a file name")
    parser.add_argument("--no-feedback", action="store_true")
    parser.add_argument("--timeout", type=int, help="seconds per cell (default 60)")
    parser.add_argument("--memory-mb", type=int,
                        help=f"memory cap per kernel (default {MEMORY_MB})")
    parser.add_argument("--cpu-seconds", type=int,
                        help=f"CPU time per notebook (default {CPU_SECONDS})")
    parser.add_argument("--cold-kernels", action="store_true",
                        help="start every kernel as a new interpreter (default: fork it from a "
                             "process that has imported ipykernel, numpy and matplotlib once)")
    return parser


def main(argv=None):
    args = command_line().parse_args(argv)
    # nbgrader's gradebook makes SQLAlchemy warn about its own session handling: nothing an
    # instructor can act on, so not shown.
    warnings.filterwarnings("ignore", category=sqlalchemy.exc.SAWarning)
    settings = {key: value for key, value in (
        ("Execute.timeout", args.timeout), ("SandboxKernelManager.memory_mb", args.memory_mb),
        ("SandboxKernelManager.cpu_seconds", args.cpu_seconds),
        ("SandboxKernelManager.zygote", False if args.cold_kernels else None))
        if value is not None}
    out = grade(args.assignment, args.submissions, args.jobs, args.student, args.db_url,
                args.root, args.id_pattern, feedback=not args.no_feedback, settings=settings)
    canary = out["canary"]
    print(f"canary: the reference solution earned {canary.score:g} of {canary.max_score:g} points "
          f"in the learners' sandbox ({canary.seconds:.1f} s)")
    print("learner ids:")
    for line in out["mapping"]:
        print(f"  {line}")
    t = out["times"]
    print(f"graded {len(out['graded'])} submissions with {out['jobs']} parallel runs in "
          f"{t['end'] - t['start']:.1f} s (autograde {t['autograded'] - t['prepared']:.1f} s); "
          f"grades: {out['csv']}; class report: {out['report']}")
    for who, reason in out["problems"]:
        print(f"needs attention: {who}: {reason}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
