"""Grade a whole class in parallel with stock nbgrader, and merge the results into one gradebook.

    python -m autograder grade ASSIGNMENT [SUBMISSIONS] [--jobs N] [--student ID]

SUBMISSIONS is nbgrader's submitted/ tree (the default: autograder/submitted/), a folder of
notebooks, or a zip of them as learning-management systems export them (one notebook per learner,
the learner id in the file name: the part matched by --id-pattern; every file's id is reported,
and a file without one, or a second file for the same id, is reported and not graded).

How: the learners are split into N shards. Each shard is a throw-away nbgrader course with its own
SQLite gradebook (SQLite is not safe for concurrent writers), copied from one template in which
the assignment was registered (the shard processes start meanwhile and wait for their copies; the
course gradebook is registered while they grade), and N processes run at once, one per shard
(autograder/shard.py: nbgrader's autograde, then generate_feedback, for each of its learners,
through nbgrader's API in one interpreter). Every kernel runs in the sandbox, forked from a
process per shard that has imported ipykernel, numpy and matplotlib once (autograder/zygote.py;
--cold-kernels starts each as a new interpreter), and every hidden test is judged by the
checker (the course configuration: autograder/execute.py, sandbox.py, checker.py). Files that
are not notebooks are not run: their learners get 0 and a reason. Grades and comments are then
merged, one writer at a time, into the course gradebook (SQLite or a PostgreSQL db_url); the
autograded notebooks and the feedback HTML are copied into the course's folders; nbgrader's CSV
exporter writes the grades CSV, and autograder/report.py a class report (HTML with plots).
Re-running is idempotent (a learner's grades are replaced, not added; manual grades are kept), and
--student regrades one learner. Each shard's log is kept in autograder/logs/.
"""
import argparse
import contextlib
import csv
import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
import zipfile

import nbformat
import sqlalchemy
from nbgrader.api import Gradebook

from .release import ROOT, nbgrader_env

CONFIG = ROOT / "autograder" / "nbgrader_config.py"
DEFAULT_ID_PATTERN = r"^(?P<id>[A-Za-z0-9.\-]+?)_"      # "alice_..." -> "alice"


@dataclasses.dataclass
class Submission:
    """One learner's notebook: `student` the learner id, `path` the file, `origin` how the id was
    found (reported)."""
    student: str
    path: pathlib.Path
    origin: str
    notebook: object = None     # the nbformat 4 notebook, once read


@dataclasses.dataclass
class Collected:
    submissions: list
    problems: list          # (file or student, reason) not graded
    missing: list = dataclasses.field(default_factory=list)   # learners without a notebook


def _notebook_name(assignment):
    return f"{assignment}.ipynb"


def collect(assignment, source=None, id_pattern=DEFAULT_ID_PATTERN, workdir=None):
    """The submissions of `assignment` in `source` (see the module docstring)."""
    source = pathlib.Path(source) if source else ROOT / "autograder" / "submitted"
    skipped = []                # (file, reason): files of the submissions that are not graded
    if source.suffix == ".zip":
        target = pathlib.Path(workdir or tempfile.mkdtemp()) / "unzipped"
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(source) as archive:
            for member in archive.namelist():
                if member.endswith("/"):
                    continue
                if member.startswith(("/", "..")) or "/../" in member:
                    skipped.append((member, "not extracted: its path leads out of the "
                                            "archive's folder; not graded"))
                    continue
                (target / pathlib.Path(member).name).write_bytes(archive.read(member))
        source = target
    if not source.is_dir():
        raise SystemExit(f"no submissions at {source}")
    tree = [d for d in sorted(source.iterdir()) if (d / assignment).is_dir()]
    if tree:
        collected = _from_tree(assignment, tree)
    else:
        collected = _from_files(sorted(source.glob("*.ipynb")), id_pattern)
        skipped += [(path.name, f"not a notebook ({path.suffix or 'no extension'}); not graded")
                    for path in sorted(source.iterdir())
                    if path.is_file() and path.suffix != ".ipynb"]
    collected.problems[:0] = skipped
    return collected


def _from_tree(assignment, student_dirs):
    found, problems = [], []
    for folder in student_dirs:
        notebooks = sorted((folder / assignment).glob("*.ipynb"))
        expected = folder / assignment / _notebook_name(assignment)
        if expected.exists():
            found.append(Submission(folder.name, expected, "submitted/ tree"))
        elif len(notebooks) == 1:
            found.append(Submission(folder.name, notebooks[0],
                                    f"submitted/ tree, renamed notebook {notebooks[0].name}"))
        else:
            problems.append((folder.name, f"no notebook {expected.name} in its folder "
                                          f"({len(notebooks)} other notebooks); scored 0"))
    return Collected(found, problems, [who for who, _ in problems])


def _from_files(files, id_pattern):
    pattern = re.compile(id_pattern)
    by_id, problems = {}, []
    for path in files:
        match = pattern.search(path.name)
        if match:
            by_id.setdefault(match.group("id"), []).append(path)
        else:
            problems.append((path.name, f"no learner id in the file name (--id-pattern "
                                        f"{id_pattern!r})"))
    found = []
    for student, paths in by_id.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems.append((student, f"{len(paths)} files for one learner ({names}); none "
                                      "graded rather than one guessed"))
        else:
            found.append(Submission(student, paths[0], f"{paths[0].name} -> {student}"))
    return Collected(found, problems)


def read_submission(path):
    """(notebook, the nbformat version it was submitted in): the notebook at `path` as nbformat 4,
    or raise ValueError with the reason in a learner's
    terms (empty file, invalid JSON, not a notebook, unsupported nbformat)."""
    data = pathlib.Path(path).read_bytes()
    if not data.strip():
        raise ValueError("empty file (0 notebook cells)")
    text = data.decode("utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise ValueError("not a notebook (a JSON file without 'nbformat')")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:                 # nbformat's reader: unknown version, broken cells
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {err})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    return nb, raw.get("nbformat")


def deduplicate(nb):
    """Remove the grading marks from later copies of a cell whose grade id came before (a
    copy-pasted answer or test cell): the first copy is graded, the copies run as plain code.
    nbgrader's own DeduplicateIds leaves half the marks and then fails on the notebook.
    Returns the duplicated ids."""
    seen, duplicated = set(), []
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            duplicated.append(grade_id)
        seen.add(grade_id)
    return duplicated


class Course:
    """An nbgrader course directory driven through a config that loads the repository's own
    autograder/nbgrader_config.py and moves only the root and the gradebook."""

    def __init__(self, root, db_url, source=ROOT / "solutions", settings=None):
        self.root = pathlib.Path(root)
        self.cwd = self.root.parent / f"{self.root.name}-cwd"
        self.cwd.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_url = db_url
        (self.cwd / "nbgrader_config.py").write_text(
            "c = get_config()\n"
            f"load_subconfig({str(CONFIG)!r})\n"
            f"c.CourseDirectory.root = {str(self.root)!r}\n"
            f"c.CourseDirectory.source_directory = {str(source)!r}\n"
            f"c.CourseDirectory.db_url = {db_url!r}\n"
            # nbgrader's default course id '' names no row of the course table: SQLite does not
            # enforce the assignment's foreign key, PostgreSQL does (generate_assignment fails)
            'c.CourseDirectory.course_id = "default_course"\n'
            + "".join(f"c.{key} = {value!r}\n" for key, value in (settings or {}).items()))

    def folder(self, kind):
        return self.root / "autograder" / kind

    def command(self, *args):
        return [sys.executable, "-m", "nbgrader", *args]

    def run(self, *args):
        return subprocess.run(self.command(*args), cwd=self.cwd, env=nbgrader_env(),
                              capture_output=True, text=True)

    def start_shard(self, *args, log):
        """Start `python -m autograder.shard ARGS` in this course."""
        return subprocess.Popen([sys.executable, "-m", "autograder.shard", *args], cwd=self.cwd,
                                env=nbgrader_env(), stdout=log, stderr=subprocess.STDOUT,
                                text=True)

    def start_register(self, assignment):
        """Start recording the assignment and its cells in this course's gradebook; returns the
        process and its log (a temporary file)."""
        release = self.root.parent / f"{self.root.name}-release"
        log = tempfile.TemporaryFile("w+")
        return self.start_shard("register", assignment, "--release", str(release), log=log), log


def _wait(registering, assignment):
    """Wait for a `start_register` process; fail with its log."""
    process, log = registering
    with log:
        if process.wait() != 0:
            log.seek(0)
            raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n{log.read()}")


@contextlib.contextmanager
def gradebook_lock(db_url):
    """Take turns with the other runs (other machines) on a shared PostgreSQL gradebook: a
    session-level advisory lock, held while this run registers the assignment (which, in an empty
    gradebook, creates the tables) and while it merges grades. SQLite: nothing to do."""
    if not db_url.startswith("postgresql"):
        yield
        return
    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as conn:
            lock_id = conn.execute(sqlalchemy.text("SELECT hashtext('autograder grade')")).scalar()
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:id)"), {"id": lock_id})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
                conn.commit()
    finally:
        engine.dispose()


def _merge(shard_db, main, assignment, students):
    """Copy the grades and comments of `students` from a shard gradebook into `main` (an open
    Gradebook). A learner's previous grades are replaced; manual grades are kept."""
    merged = []
    with Gradebook(shard_db) as shard:
        for sub in shard.assignment_submissions(assignment):
            student = sub.student.id
            if student not in students:
                continue
            main.update_or_create_student(student)
            target = main.update_or_create_submission(assignment, student,
                                                      timestamp=sub.timestamp)
            for notebook in sub.notebooks:
                for grade in notebook.grades:
                    into = main.find_grade(grade.name, notebook.name, assignment, student)
                    into.auto_score = grade.auto_score
                    into.needs_manual_grade = (into.manual_score is not None
                                               or grade.auto_score is None)
                for comment in notebook.comments:
                    into = main.find_comment(comment.name, notebook.name, assignment, student)
                    into.auto_comment = comment.auto_comment
            target.timestamp = sub.timestamp
            main.db.commit()
            merged.append(student)
    return merged


def _progress(done, total, start, out=sys.stderr):
    elapsed = time.perf_counter() - start
    eta = elapsed / done * (total - done) if done else float("nan")
    width = 30
    bar = "#" * int(width * done / max(total, 1))
    out.write(f"\r[{bar:<{width}}] {done}/{total} graded, {elapsed:5.0f} s, ETA {eta:5.0f} s")
    out.flush()


def _copy_tree(src, dst):
    if dst.exists():
        shutil.rmtree(dst)
    if src.exists():
        shutil.copytree(src, dst)


def _record_zero(main, assignment, student):
    """Give `student` 0 on every automatic grade of `assignment` (a submission that could not be
    graded keeps its place in the gradebook and the CSV; manual grades are kept)."""
    main.update_or_create_student(student)
    submission = main.update_or_create_submission(assignment, student)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            grade.auto_score = 0.0
            grade.needs_manual_grade = False
    main.db.commit()


def grade(assignment, submissions=None, jobs=None, student=None, db_url=None, root=None,
          id_pattern=DEFAULT_ID_PATTERN, feedback=True, quiet=False, settings=None):
    """Grade `assignment` for every learner in `submissions` (or just `student`). Returns a dict:
    graded (learner ids), problems [(file or learner, reason)], csv (path), times.
    `settings` {"Execute.timeout": 60, "SandboxKernelManager.memory_mb": 3072, ...} override
    the course's nbgrader configuration for this run."""
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
    logs_dir = root / "autograder" / "logs"
    running = []                                 # shard processes
    try:
        collected = collect(assignment, source, id_pattern, work)
        subs = [s for s in collected.submissions if student is None or s.student == student]
        if student is not None and not subs:
            raise SystemExit(f"no submission of {student!r} for {assignment}")
        problems = list(collected.problems)
        readable, unreadable = [], []
        for sub in subs:
            try:
                sub.notebook, version = read_submission(sub.path)
                readable.append(sub)
                copies = deduplicate(sub.notebook)
                if copies:
                    problems.append((sub.student, f"duplicated cells: later copies of "
                                                  f"{', '.join(sorted(set(copies)))} are not "
                                                  "graded (the first copy is)"))
                if version != 4:
                    sub.origin += f" (nbformat {version}, upgraded to 4)"
            except ValueError as err:
                unreadable.append(sub.student)
                problems.append((sub.student, f"{sub.path.name}: {err}; scored 0"))
        main_course = Course(root, db_url, settings=settings)
        template = work / "template.db"          # the assignment's cells, registered once
        registering = Course(work / "template" / "course", f"sqlite:///{template}").start_register(
            assignment)
        # the shards start now and wait for their gradebooks (copies of the template)
        shards = [readable[i::jobs] for i in range(jobs) if readable[i::jobs]]
        courses, logs = [], []
        for i, members in enumerate(shards):
            course = Course(work / f"shard{i}" / "course", f"sqlite:///{work / f'shard{i}.db'}",
                            settings=settings)
            logs.append(open(work / f"shard{i}.log", "w"))
            running.append(course.start_shard(
                "grade", assignment, *[s.student for s in members],
                "--result", str(work / f"shard{i}.json"), "--wait-for", str(work / f"shard{i}.db"),
                *(["--feedback"] if feedback else []), log=logs[-1]))
            for sub in members:
                folder = course.folder("submitted") / sub.student / assignment
                folder.mkdir(parents=True, exist_ok=True)
                nbformat.write(sub.notebook, str(folder / _notebook_name(assignment)))
            courses.append((course, members))
        _wait(registering, assignment)
        for i in range(len(courses)):
            shutil.copy(template, work / f"shard{i}.db.part")
            os.rename(work / f"shard{i}.db.part", work / f"shard{i}.db")      # all at once
        times["prepared"] = time.perf_counter()
        # the course gradebook, while the shards grade (other machines may share a PostgreSQL
        # gradebook: take turns with them)
        with gradebook_lock(db_url):
            _wait(main_course.start_register(assignment), assignment)
        total = len(readable)
        # imported while the shards work (matplotlib, nbclient: about a second on this machine)
        from .execute import findings
        from .report import write_report
        while any(p.poll() is None for p in running):
            if not quiet:
                done = sum((work / f"shard{i}.log").read_text().count("graded ")
                           for i in range(len(courses)))
                _progress(done, total, times["prepared"])
            time.sleep(0.5)
        for log in logs:
            log.close()
        running = []
        if not quiet:
            _progress(total, total, times["prepared"])
            sys.stderr.write("\n")
        times["autograded"] = time.perf_counter()
        failed = set()
        logs_dir.mkdir(parents=True, exist_ok=True)
        for i, (course, members) in enumerate(courses):
            log = (work / f"shard{i}.log").read_text()
            outcome = work / f"shard{i}.json"
            results = json.loads(outcome.read_text()) if outcome.exists() else {}
            log += "".join(f"\n--- {who}\n{r['log']}" for who, r in results.items() if r["log"])
            (logs_dir / f"{assignment}-shard{i}.log").write_text(log)
            for sub in members:
                path = course.folder("autograded") / sub.student / assignment / \
                    _notebook_name(assignment)
                if not results.get(sub.student, {}).get("autograde") or not path.exists():
                    failed.add(sub.student)
                    continue
                for where, reason in findings(nbformat.read(str(path), as_version=4)):
                    problems.append((sub.student, f"{where}: {reason}"))
        problems += [(s, "nbgrader could not grade this notebook (see "
                         f"autograder/logs/{assignment}-shard*.log); scored 0 until a "
                         "regrade with --student succeeds") for s in sorted(failed)]
        times["feedback"] = time.perf_counter()
        graded = []
        with gradebook_lock(db_url), Gradebook(db_url) as main:
            for course, members in courses:
                ids = {s.student for s in members} - failed
                graded += _merge(course.db_url, main, assignment, ids)
                for sid in ids:
                    for kind in ("autograded", "feedback"):
                        _copy_tree(course.folder(kind) / sid / assignment,
                                   main_course.folder(kind) / sid / assignment)
            missing = {m for m in collected.missing if student is None or m == student}
            for sid in sorted(failed | set(unreadable) | missing):
                _record_zero(main, assignment, sid)
                for kind in ("autograded", "feedback"):       # no stale results of an old run
                    _copy_tree(work / "nothing", main_course.folder(kind) / sid / assignment)
        times["merged"] = time.perf_counter()
        csv_path = root / "autograder" / "grades.csv"
        export_csv(db_url, csv_path)
        report = write_report(root / "autograder" / f"report-{assignment}.html", assignment, db_url,
                              main_course.folder("autograded"), problems)
        times["end"] = time.perf_counter()
        return {"graded": sorted(graded), "problems": problems, "csv": csv_path, "report": report,
                "mapping": [s.origin for s in subs], "times": times, "jobs": jobs}
    finally:
        for process in running:                  # only after a failure: never leave shards behind
            if process.poll() is None:
                process.kill()
                process.wait()
        shutil.rmtree(work, ignore_errors=True)


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


def main(argv=None):
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
    parser.add_argument("--memory-mb", type=int, help="memory cap per kernel (default 3072)")
    parser.add_argument("--cpu-seconds", type=int, help="CPU time per notebook (default 600)")
    parser.add_argument("--cold-kernels", action="store_true",
                        help="start every kernel as a new interpreter (default: fork it from a "
                             "process that has imported ipykernel, numpy and matplotlib once)")
    args = parser.parse_args(argv)
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
