"""Grade a whole class in parallel with stock nbgrader, and merge the results into one gradebook.

    python -m autograder grade ASSIGNMENT [SUBMISSIONS] [--jobs N] [--student ID]

SUBMISSIONS is nbgrader's submitted/ tree (the default: autograder/submitted/), a folder of
notebooks, or a zip of them as learning-management systems export them (one notebook per learner,
the learner id in the file name: the part matched by --id-pattern; every file's id is reported,
and a file without one, or a second file for the same id, is reported and not graded).

How: the learners are split into N shards. Each shard is a throw-away nbgrader course with its own
SQLite gradebook (SQLite is not safe for concurrent writers), and N `nbgrader autograde` runs go at
once, one per shard. Their grades and comments are then merged, one writer at a time, into the
course gradebook (SQLite or a PostgreSQL db_url); the autograded notebooks and the feedback HTML
(generated per shard, in parallel too) are copied into the course's folders; `nbgrader export`
writes the grades CSV, and autograder/report.py a class report (HTML with plots). Re-running is idempotent (a learner's grades are replaced, not added;
manual grades are kept), and --student regrades one learner.
"""
import argparse
import csv
import dataclasses
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

from nbgrader.api import Gradebook

from .release import ROOT, nbgrader_env
from .report import write_report

CONFIG = ROOT / "autograder" / "nbgrader_config.py"
DEFAULT_ID_PATTERN = r"^(?P<id>[A-Za-z0-9.\-]+?)_"      # "alice_..." -> "alice"
ERROR = re.compile(r"error processing assignment '[^']*' for student '([^']*)'")


@dataclasses.dataclass
class Submission:
    """One learner's notebook: `student` the learner id, `path` the file, `origin` how the id was
    found (reported)."""
    student: str
    path: pathlib.Path
    origin: str


@dataclasses.dataclass
class Collected:
    submissions: list
    problems: list          # (file or student, reason) not graded


def _notebook_name(assignment):
    return f"{assignment}.ipynb"


def collect(assignment, source=None, id_pattern=DEFAULT_ID_PATTERN, workdir=None):
    """The submissions of `assignment` in `source` (see the module docstring)."""
    source = pathlib.Path(source) if source else ROOT / "autograder" / "submitted"
    if source.suffix == ".zip":
        target = pathlib.Path(workdir or tempfile.mkdtemp()) / "unzipped"
        with zipfile.ZipFile(source) as archive:
            for member in archive.namelist():
                if member.endswith("/") or member.startswith(("/", "..")) or "/../" in member:
                    continue
                out = target / pathlib.Path(member).name
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.read(member))
        source = target
    if not source.is_dir():
        raise SystemExit(f"no submissions at {source}")
    tree = [d for d in sorted(source.iterdir()) if (d / assignment).is_dir()]
    if tree:
        return _from_tree(assignment, tree)
    return _from_files(sorted(source.glob("*.ipynb")), id_pattern)


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
                                          f"({len(notebooks)} other notebooks)"))
    return Collected(found, problems)


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


class Course:
    """An nbgrader course directory driven through a config that loads the repository's own
    autograder/nbgrader_config.py and moves only the root and the gradebook."""

    def __init__(self, root, db_url, source=ROOT / "solutions"):
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
            f"c.CourseDirectory.db_url = {db_url!r}\n")

    def folder(self, kind):
        return self.root / "autograder" / kind

    def command(self, *args):
        return [sys.executable, "-m", "nbgrader", *args]

    def run(self, *args):
        return subprocess.run(self.command(*args), cwd=self.cwd, env=nbgrader_env(),
                              capture_output=True, text=True)

    def start(self, *args, log):
        return subprocess.Popen(self.command(*args), cwd=self.cwd, env=nbgrader_env(),
                                stdout=log, stderr=subprocess.STDOUT, text=True)

    def register(self, assignment):
        """Record the assignment and its cells in this course's gradebook."""
        release = self.root.parent / f"{self.root.name}-release"
        result = self.run("generate_assignment", assignment, "--force",
                          f"--CourseDirectory.release_directory={release}")
        if result.returncode != 0:
            raise SystemExit(f"nbgrader generate_assignment {assignment} failed:\n"
                             f"{result.stdout}{result.stderr}")


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


def grade(assignment, submissions=None, jobs=None, student=None, db_url=None, root=None,
          id_pattern=DEFAULT_ID_PATTERN, feedback=True, quiet=False):
    """Grade `assignment` for every learner in `submissions` (or just `student`). Returns a dict:
    graded (learner ids), problems [(file or learner, reason)], csv (path), times."""
    root = pathlib.Path(root).resolve() if root else ROOT
    (root / "autograder").mkdir(parents=True, exist_ok=True)
    db_url = db_url or f"sqlite:///{root / 'autograder' / 'gradebook.db'}"
    jobs = max(1, int(jobs or os.cpu_count() or 1))
    times = {"start": time.perf_counter()}
    work = pathlib.Path(tempfile.mkdtemp(prefix=f"grade-{assignment}-"))
    try:
        collected = collect(assignment, submissions, id_pattern, work)
        subs = [s for s in collected.submissions if student is None or s.student == student]
        if student is not None and not subs:
            raise SystemExit(f"no submission of {student!r} for {assignment}")
        problems = list(collected.problems)
        main_course = Course(root, db_url)
        main_course.register(assignment)
        shards = [subs[i::jobs] for i in range(jobs) if subs[i::jobs]]
        template = work / "template.db"          # the assignment's cells, registered once
        Course(work / "template" / "course", f"sqlite:///{template}").register(assignment)
        courses = []
        for i, members in enumerate(shards):
            shutil.copy(template, work / f"shard{i}.db")
            course = Course(work / f"shard{i}" / "course", f"sqlite:///{work / f'shard{i}.db'}")
            for sub in members:
                folder = course.folder("submitted") / sub.student / assignment
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copy(sub.path, folder / _notebook_name(assignment))
            courses.append((course, members))
        times["prepared"] = time.perf_counter()
        logs = [open(work / f"shard{i}.log", "w") for i in range(len(courses))]
        running = [c.start("autograde", assignment, "--force", log=log)
                   for (c, _), log in zip(courses, logs)]
        total = len(subs)
        while any(p.poll() is None for p in running):
            if not quiet:
                done = sum(len(list(c.folder("autograded").glob(f"*/{assignment}")))
                           for c, _ in courses)
                _progress(done, total, times["prepared"])
            time.sleep(0.5)
        for log in logs:
            log.close()
        if not quiet:
            _progress(total, total, times["prepared"])
            sys.stderr.write("\n")
        times["autograded"] = time.perf_counter()
        failed = set()
        for i in range(len(courses)):
            failed |= set(ERROR.findall((work / f"shard{i}.log").read_text()))
        problems += [(s, "nbgrader could not grade this notebook (see the autograde log): "
                         "a broken file, or a kernel that died") for s in sorted(failed)]
        if feedback:
            running = [c.start("generate_feedback", assignment, "--force",
                               log=open(work / f"feedback{i}.log", "w"))
                       for i, (c, _) in enumerate(courses)]
            for p in running:
                p.wait()
        times["feedback"] = time.perf_counter()
        graded = []
        with Gradebook(db_url) as main:
            for course, members in courses:
                ids = {s.student for s in members} - failed
                graded += _merge(course.db_url, main, assignment, ids)
                for sid in ids:
                    for kind in ("autograded", "feedback"):
                        _copy_tree(course.folder(kind) / sid / assignment,
                                   main_course.folder(kind) / sid / assignment)
        times["merged"] = time.perf_counter()
        csv_path = root / "autograder" / "grades.csv"
        result = main_course.run("export", "--to", str(csv_path))
        if result.returncode != 0:
            raise SystemExit(f"nbgrader export failed:\n{result.stdout}{result.stderr}")
        report = write_report(root / "autograder" / f"report-{assignment}.html", assignment, db_url,
                              main_course.folder("autograded"), problems)
        times["end"] = time.perf_counter()
        return {"graded": sorted(graded), "problems": problems, "csv": csv_path, "report": report,
                "mapping": [s.origin for s in subs], "times": times, "jobs": jobs}
    finally:
        shutil.rmtree(work, ignore_errors=True)


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
    args = parser.parse_args(argv)
    out = grade(args.assignment, args.submissions, args.jobs, args.student, args.db_url,
                args.root, args.id_pattern, feedback=not args.no_feedback)
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
