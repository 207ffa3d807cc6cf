"""An nbgrader course the grading command drives, and the gradebook operations between courses.

The grading command (autograder/grade.py) works with several courses: the class's own (its
gradebook, autograded/ and feedback/ folders), a template in which the assignment is registered
once, and one throw-away course per shard of learners. Each is a `Course`: the repository's
autograder/nbgrader_config.py with only the root, the gradebook and the settings of the run
changed. Registration and merging take turns with other runs on a shared PostgreSQL gradebook
(`gradebook_lock`); a shard's grades are merged into the class's gradebook by `merge_shard`.
"""
import contextlib
import dataclasses
import pathlib
import subprocess
import sys
import tempfile

import nbformat
import sqlalchemy
from nbgrader.api import Gradebook

from .notebooks import notebook_name
from .paths import ROOT
from .release import nbgrader_env

CONFIG = ROOT / "autograder" / "nbgrader_config.py"


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

    def submit(self, assignment, student, nb):
        """Put notebook `nb` where nbgrader looks for `student`'s submission."""
        folder = self.folder("submitted") / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(folder / notebook_name(assignment)))

    def command(self, *args):
        return [sys.executable, "-m", "autograder.nbgrader_command", *args]     # stock nbgrader

    def run(self, *args):
        return subprocess.run(self.command(*args), cwd=self.cwd, env=nbgrader_env(),
                              capture_output=True, text=True)

    def start_shard(self, *args, log):
        """Start `python -m autograder.shard ARGS` in this course."""
        return subprocess.Popen([sys.executable, "-m", "autograder.shard", *args], cwd=self.cwd,
                                env=nbgrader_env(), stdout=log, stderr=subprocess.STDOUT,
                                text=True)

    def start_register(self, assignment):
        """Start recording the assignment and its cells in this course's gradebook."""
        release = self.root.parent / f"{self.root.name}-release"
        log = tempfile.TemporaryFile("w+")
        process = self.start_shard("register", assignment, "--release", str(release), log=log)
        return Registration(assignment, process, log)


@dataclasses.dataclass
class Registration:
    """A running `Course.start_register`: its process and its log (a temporary file)."""
    assignment: str
    process: subprocess.Popen
    log: object

    def wait(self):
        """Wait for the registration to end; fail with its log."""
        with self.log:
            if self.process.wait() != 0:
                self.log.seek(0)
                raise SystemExit(f"nbgrader generate_assignment {self.assignment} failed:\n"
                                 f"{self.log.read()}")


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


def merge_shard(shard_db, main, assignment, students):
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


def record_zero(main, assignment, student):
    """Give `student` 0 on every automatic grade of `assignment` (a submission that could not be
    graded keeps its place in the gradebook and the CSV; manual grades are kept)."""
    main.update_or_create_student(student)
    submission = main.update_or_create_submission(assignment, student)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            grade.auto_score = 0.0
            grade.needs_manual_grade = False
    main.db.commit()
