"""The canary: before any learner is graded, grade the instructor's own notebook the same way,
and grade nobody if it does not earn full marks.

Why: grading can break without any learner's fault and without a word. With the course package
installed (editable) from another checkout, stock `nbgrader autograde` in a copy of the course
scored a perfect submission 0/8 for every learner, silently: the sandbox hides the other
checkout, so `import rnncourse` failed in every kernel. A grading environment that cannot give
the reference solution full marks would score every learner as wrongly, so the grading command
asks it first.

What: `solutions/<assignment>/<assignment>.ipynb` (the solutions and the hidden tests) is read
as a learner's notebook is read and graded by a shard process of its own (`python -m
autograder.shard grade`, in a throw-away course with the run's settings: the sandbox, the zygote,
the hidden folders, the limits), through the same nbgrader autograde chain and checker as every
learner. Full marks means every point of every autograded test cell (written answers wait for a
grader and do not count). Otherwise `Canary.result()` raises SystemExit with a message whose first
line names the cause, read from the graded notebook: the first error at or before the first cell
that lost points ("rnncourse cannot be imported inside the sandbox (...)", a dead kernel, a cell
past the time limit, the memory cap, a hidden test the checker did not confirm), then the points
and the cells that lost them.

Cost: `start` runs while the assignment is being registered: the canary's process imports
nbgrader and waits for its gradebook, like the learners' shards. `result()` hands it a copy of
the registered template (`release`) and waits for one notebook's result; the grading command
calls it just before the learners' shards get their gradebooks, so no learner's notebook is run
and nothing is written (the class's gradebook, the grades CSV, autograded/, feedback/) when the
canary fails. That wait is what the canary costs: about 2 s a class on two cores (lessons 01 and
05), a shard's first notebook with its warm-kernel process starting.
"""
import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import nbformat
from nbgrader.api import Gradebook

from .collect import read_submission
from .course import Course
from .notebooks import grade_cells_points, nbgrader_meta, notebook_name
from .paths import ANSI, ROOT

CANARY = "canary"           # the reference solution's learner id, in the canary's own course
MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")


@dataclasses.dataclass
class Verdict:
    """What the canary earned: `lost` [(test cell, score, max score)]; when it did not earn full
    marks, `cause` (one line) and `hint` (what to do, when the cause says it)."""
    score: float
    max_score: float
    lost: list
    cause: str = ""
    hint: str = ""
    seconds: float = 0.0
    solution: str = ""      # the notebook graded, for the message

    @property
    def passed(self):
        return not self.cause

    def message(self):
        lost = ", ".join(f"{name} {score:g}/{points:g}" for name, score, points in self.lost)
        scored = (f"scored {self.score:g} of {self.max_score:g} points"
                  + (f" (lost: {lost})" if lost else "")) if self.max_score else \
            "could not be graded"
        return (f"{self.cause}\n"
                f"The reference solution ({self.solution}), graded first in the same sandbox as "
                f"every learner's notebook, {scored}. Every learner would be scored the same "
                "way, so no learner was graded and nothing was written to the gradebook, the "
                "grades CSV, autograded/ or feedback/." + (f"\n{self.hint}" if self.hint else ""))


@dataclasses.dataclass
class Canary:
    """A running canary (see `start`)."""
    assignment: str
    template: pathlib.Path       # the gradebook in which the assignment is registered
    course: Course               # the canary's throw-away course
    folder: pathlib.Path
    solution: pathlib.Path
    settings: dict
    process: subprocess.Popen = None
    started: float = 0.0
    verdict: Verdict = None

    def path(self, name):
        return self.folder / name

    def release(self):
        """Hand the canary its gradebook, a copy of the template (registered by now): it
        grades. `result` does it first if it was not done."""
        if not self.path("gradebook.db").exists():
            part = self.path("gradebook.db.part")
            shutil.copy(self.template, part)
            os.rename(part, self.path("gradebook.db"))       # appears whole
            self.started = time.perf_counter()

    def result(self):
        """Wait for the canary (handing it its gradebook if `release` was not called) and return
        its Verdict; raise SystemExit with the verdict's message if it did not earn full
        marks."""
        if self.verdict is None:
            self.release()
            self.verdict = verdict(self, self._wait())
            self.verdict.seconds = time.perf_counter() - self.started
        if not self.verdict.passed:
            raise SystemExit(self.verdict.message())
        return self.verdict

    def _wait(self):
        """Wait until the canary's result file is written (None; its process may still be
        shutting down, about 0.3 s nobody needs to wait for) or its process ended without one
        (its exit code)."""
        while self.process.poll() is None:
            if _outcome(self):
                return None
            time.sleep(0.02)
        return self.process.returncode

    def stop(self):
        """Kill the canary's process if it still runs (a run that failed before `result`)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start(assignment, template, workdir, settings=None, source=ROOT / "solutions"):
    """Start the canary of `assignment` in `workdir`/canary with the run's `settings` (those of
    the learners' shards). Its process waits for a copy of `template`, the gradebook in which the
    assignment is being registered, which `Canary.result()` hands it."""
    solution = pathlib.Path(source) / assignment / notebook_name(assignment)
    try:
        notebook, _ = read_submission(solution)
    except (OSError, ValueError) as err:
        raise SystemExit(f"the reference solution of {assignment} cannot be read ({solution}: "
                         f"{err}); the canary cannot check the grading environment") from None
    folder = pathlib.Path(workdir) / "canary"
    folder.mkdir(parents=True, exist_ok=True)
    gradebook = folder / "gradebook.db"
    course = Course(folder / "course", f"sqlite:///{gradebook}", source=source,
                    settings=settings)
    course.submit(assignment, CANARY, notebook)
    canary = Canary(assignment, pathlib.Path(template), course, folder, solution, settings or {})
    with open(canary.path("shard.log"), "w") as log:
        canary.process = course.start_shard(
            "grade", assignment, CANARY, "--result", str(canary.path("result.json")),
            "--wait-for", str(gradebook), log=log)
    return canary


# ------------------------------------------------------------------------------ the verdict
def verdict(canary, exit_code=None):
    """The Verdict of a canary whose result file is written, or whose process ended with
    `exit_code` without one."""
    shown = _shown(canary.solution)
    outcome = _outcome(canary)
    graded = canary.course.folder("autograded") / CANARY / canary.assignment / \
        notebook_name(canary.assignment)
    if not outcome:
        log = canary.path("shard.log").read_text()
        return Verdict(0, 0, [], f"the canary's grading process ended without a result (exit "
                                 f"code {exit_code}): {_last_error(log)}", solution=shown)
    if not outcome.get("autograde") or not graded.exists():
        return Verdict(0, 0, [], "nbgrader could not grade the reference solution: "
                                 f"{_last_error(outcome.get('log', ''))}", solution=shown)
    nb = nbformat.read(str(graded), as_version=4)
    scores = _scores(canary, list(grade_cells_points(nb)))
    lost = [(name, score or 0, points) for name, (score, points) in scores.items()
            if score is None or score < points]
    earned = Verdict(sum(s or 0 for s, _ in scores.values()),
                     sum(p for _, p in scores.values()), lost, solution=shown)
    if lost:
        earned.cause = cause(nb, {name for name, _, _ in lost}, canary.settings)
        earned.hint = hint(earned.cause)
    return earned


def _shown(path):
    path = pathlib.Path(path)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _outcome(canary):
    """The canary's entry of the shard's result file ({} if it wrote none)."""
    try:
        return json.loads(canary.path("result.json").read_text()).get(CANARY, {})
    except (OSError, ValueError):
        return {}


def _last_error(log):
    """The last line of a log that names an error (else its last line)."""
    lines = [ANSI.sub("", line).strip() for line in log.splitlines() if line.strip()]
    errors = [line for line in lines if re.search(r"Error|Exception|error", line)]
    return (errors or lines or ["no output"])[-1]


def _scores(canary, tests):
    """{test: (auto score or None, max score)} as the canary's gradebook recorded them."""
    notebook = notebook_name(canary.assignment)[:-len(".ipynb")]
    with Gradebook(canary.course.db_url) as gb:
        grades = {g.name: (g.auto_score, g.max_score) for g in
                  gb.find_submission_notebook(notebook, canary.assignment, CANARY).grades}
    return {name: grades.get(name, (None, 0)) for name in tests}


def cause(nb, lost, settings):
    """One line naming why the graded notebook `nb` lost the points of the cells `lost`: the
    first error output at or before the first cell that lost points, else what that cell shows."""
    for index, cell in enumerate(nb.cells):
        grade_id = nbgrader_meta(cell).get("grade_id")
        label = f"cell {grade_id or index}"
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return _explain(label, str(output.get("ename", "")),
                                ANSI.sub("", str(output.get("evalue", ""))), settings)
        if grade_id in lost:
            stderr = "".join(o.get("text", "") for o in cell.get("outputs", [])
                             if o.get("output_type") == "stream" and o.get("name") == "stderr")
            if stderr.strip():
                first = next(line for line in stderr.splitlines() if line.strip()).strip()
                return (f"test {label} wrote to stderr, which nbgrader scores 0 (not a warning "
                        f"that the course ignores): {first}")
            return f"test {label} lost points without an error output"
    return "the reference solution lost points without an error output"


def _explain(label, ename, evalue, settings):
    """The cause of an error output `ename: evalue` in the cell `label`, in an instructor's
    terms."""
    error = f"{ename}: {evalue}"
    missing = MISSING_MODULE.search(evalue)
    if ename == "ModuleNotFoundError" and missing:
        module = missing.group(1).split(".")[0]
        return f"{module} cannot be imported inside the sandbox ({error}, in {label})"
    if ename == "KernelDied":
        return f"the grading kernel died in {label}: {evalue.split('this cell ran: ')[-1]}"
    if ename == "NotRun":
        return f"{label} was not run: {evalue}"
    if ename == "CellTimeoutError":
        limit = settings.get("Execute.timeout")
        return (f"{label} ran past the time limit per cell{f' of {limit} s' if limit else ''} "
                "and was interrupted (--timeout)")
    if ename.endswith("MemoryError"):
        limit = settings.get("SandboxKernelManager.memory_mb")
        return (f"{label} hit the memory cap per kernel{f' of {limit} MiB' if limit else ''} "
                f"(--memory-mb): {error}")
    if ename == "HiddenTestNotConfirmed":
        return f"the checker did not confirm a hidden test in {label}: {evalue}"
    return f"{label} raised {error}"


def hint(cause):
    """What to do about `cause`, when it is a module the kernel cannot import: where this
    interpreter imports it from outside the sandbox (as a kernel does: no PYTHONPATH, no course
    folder first), which the sandbox did not show."""
    missing = re.match(r"([\w]+) cannot be imported inside the sandbox", cause)
    if not missing:
        return ""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = ("import importlib.util, os, sys; s = importlib.util.find_spec(sys.argv[1]); "
             "print(os.path.dirname(s.origin) if s and s.origin else '')")
    found = subprocess.run([sys.executable, "-c", probe, missing.group(1)], env=env, cwd="/",
                           capture_output=True, text=True).stdout.strip()
    if not found:
        return (f"{sys.executable} cannot import it outside the sandbox either: install the "
                f"course into this environment (pip install -e {ROOT}).")
    return (f"Outside the sandbox, {sys.executable} imports it from {found}. The sandbox shows "
            "the kernels only the Python installation and the learner package the grader "
            "imports, read-only, and hides /tmp, /home, /root and the course's folders: a "
            "package installed (editable) from a checkout there cannot be imported. Install the "
            f"course from the checkout that grades (pip install -e {ROOT}).")

