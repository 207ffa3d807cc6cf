"""`python -m autograder grade --db-url postgresql://...` against a real PostgreSQL server that the
tests start themselves (tests/postgres.py, Debian's server binaries, nothing mocked): the marks land
in the PostgreSQL gradebook and in grades.csv, re-running replaces grades instead of adding rows,
--student regrades one learner only, and two runs on disjoint halves of a class, going at once
against the same gradebook as two machines would, leave every learner's grade there exactly once.

No server binaries, or a server that does not start, is a failure with the server's log, not a
skip (.ci/run installs Debian's `postgresql` package when it is missing)."""
import subprocess
import sys

import nbformat
import pytest

from autograder.grade import read_csv
from autograder.release import ROOT, nbgrader_env
from coursekit import filled, solutions
from lessons import load
from postgres import PostgresError, PostgresServer
from test_grade_command import ASSIGNMENT, run_grade, scores

pytestmark = pytest.mark.xdist_group("grade-command")     # one class graded at a time

EXPECTED = {"alice": 8.0, "bob": 0.0, "carol": 4.0}
TABLES = ("student", "submitted_assignment", "submitted_notebook", "grade", "comment")


@pytest.fixture(scope="module")
def postgres():
    """A throw-away PostgreSQL server for this module, stopped (pg_ctl stop -m immediate) and
    removed at teardown whatever the tests did."""
    try:
        with PostgresServer() as server:
            yield server
    except PostgresError as e:           # no binaries, or no server: a failure with its log
        pytest.fail(str(e), pytrace=False)


def write_class(folder, learners):
    """An LMS-style folder: `learners` {id: answers} as <id>_lesson01.ipynb."""
    folder.mkdir(parents=True)
    for student, answers in learners.items():
        nbformat.write(filled(ASSIGNMENT, answers), str(folder / f"{student}_lesson01.ipynb"))


def answers():
    correct = solutions(ASSIGNMENT)
    mistake = load(ASSIGNMENT).MISTAKES["rnn_step"]["missing_tanh"]
    return {"correct": correct, "empty": {}, "mistake": dict(correct, rnn_step=mistake)}


def query(server, database, sql, params=None):
    with server.connect(database) as conn:
        return conn.execute(sql, params).fetchall()


def row_counts(server, database):
    return {t: query(server, database, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}


def duplicates(server, database):
    """Rows that would mean a learner's work was added twice (empty when all is well)."""
    return {
        "submissions": query(server, database, """
            SELECT a.name, s.student_id, count(*) FROM submitted_assignment s
            JOIN assignment a ON a.id = s.assignment_id
            GROUP BY a.name, s.student_id HAVING count(*) > 1"""),
        "grades": query(server, database, """
            SELECT s.student_id, c.name, count(*) FROM grade g
            JOIN submitted_notebook n ON n.id = g.notebook_id
            JOIN submitted_assignment s ON s.id = n.assignment_id
            JOIN base_cell c ON c.id = g.cell_id
            GROUP BY s.student_id, c.name HAVING count(*) > 1"""),
        "assignments": query(server, database, """
            SELECT name, count(*) FROM assignment GROUP BY name HAVING count(*) > 1"""),
    }


def grade_rows(server, database, student):
    """{cell name: (grade row id, auto_score)} of one learner's grades."""
    return {name: (gid, score) for gid, name, score in query(server, database, """
        SELECT g.id, c.name, g.auto_score FROM grade g
        JOIN submitted_notebook n ON n.id = g.notebook_id
        JOIN submitted_assignment s ON s.id = n.assignment_id
        JOIN base_cell c ON c.id = g.cell_id
        WHERE s.student_id = %s""", (student,))}


def csv_scores(root):
    return {r["student_id"]: float(r["score"])
            for r in read_csv(root / "autograder" / "grades.csv")}


@pytest.fixture(scope="module")
def pg_class(postgres, tmp_path_factory):
    """A small class graded once with --jobs 2 into a fresh PostgreSQL gradebook."""
    tmp = tmp_path_factory.mktemp("grade-postgres")
    a = answers()
    folder = tmp / "export"
    write_class(folder, {"alice": a["correct"], "bob": a["empty"], "carol": a["mistake"]})
    db_url = postgres.create_database("gradebook")
    course = tmp / "course"
    result = run_grade(str(folder), "--jobs", "2", "--root", str(course), "--db-url", db_url)
    return {"folder": folder, "course": course, "db_url": db_url, "db": "gradebook",
            "result": result, "answers": a}


def test_marks_land_in_the_postgresql_gradebook_and_the_csv(postgres, pg_class):
    result = pg_class["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert scores(pg_class["db_url"]) == EXPECTED
    assert csv_scores(pg_class["course"]) == EXPECTED
    # the rows are in PostgreSQL itself (read with its own driver), and no SQLite gradebook was
    # made beside the course instead
    assert sorted(r[0] for r in query(postgres, "gradebook", "SELECT id FROM student")) == \
        sorted(EXPECTED)
    assert not (pg_class["course"] / "autograder" / "gradebook.db").exists()
    assert duplicates(postgres, "gradebook") == {"submissions": [], "grades": [], "assignments": []}
    assert "carol" in (pg_class["course"] / "autograder" / f"report-{ASSIGNMENT}.html").read_text()


def test_rerunning_replaces_grades_and_adds_no_rows(postgres, pg_class):
    before = row_counts(postgres, "gradebook")
    assert before["submitted_assignment"] == 3
    result = run_grade(str(pg_class["folder"]), "--jobs", "2", "--root", str(pg_class["course"]),
                       "--db-url", pg_class["db_url"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert row_counts(postgres, "gradebook") == before
    assert duplicates(postgres, "gradebook") == {"submissions": [], "grades": [], "assignments": []}
    assert scores(pg_class["db_url"]) == EXPECTED
    assert csv_scores(pg_class["course"]) == EXPECTED


def test_student_option_regrades_only_that_learner(postgres, pg_class):
    others = {s: grade_rows(postgres, "gradebook", s) for s in ("alice", "bob")}
    before = row_counts(postgres, "gradebook")
    nbformat.write(filled(ASSIGNMENT, pg_class["answers"]["correct"]),
                   str(pg_class["folder"] / "carol_lesson01.ipynb"))
    result = run_grade(str(pg_class["folder"]), "--student", "carol", "--jobs", "2",
                       "--root", str(pg_class["course"]), "--db-url", pg_class["db_url"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "graded 1 submissions" in result.stdout
    assert scores(pg_class["db_url"]) == dict(EXPECTED, carol=8.0)
    assert csv_scores(pg_class["course"]) == dict(EXPECTED, carol=8.0)
    assert row_counts(postgres, "gradebook") == before
    assert {s: grade_rows(postgres, "gradebook", s) for s in others} == others  # untouched rows


def test_two_machines_grading_halves_of_a_class_at_once_share_one_gradebook(postgres,
                                                                            tmp_path):
    """Two `grade` runs in separate processes, each with its own course root and half of the
    learners, start together against one fresh PostgreSQL gradebook (the first grading of a term
    on two machines); both succeed and every learner's grade is there exactly once.

    Both runs start by registering the assignment, and in an empty gradebook that creates the
    tables. The server is made slow to change its schema, so that both runs find the gradebook
    empty for certain (without it they overlap in some runs and not others): runs that do not
    take turns then both create the tables, and the second fails."""
    a = answers()
    halves = {"a": {"alice": a["correct"], "bob": a["empty"]},
              "b": {"carol": a["mistake"], "dan": a["correct"]}}
    db_url = postgres.create_database("shared")
    postgres.slow_schema_changes("shared", seconds=5)
    runs = {}
    for half, learners in halves.items():
        write_class(tmp_path / f"export-{half}", learners)
    for half in halves:
        runs[half] = subprocess.Popen(
            [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(tmp_path / f"export-{half}"),
             "--jobs", "1", "--no-feedback", "--root", str(tmp_path / f"course-{half}"),
             "--db-url", db_url],
            cwd=ROOT, env=nbgrader_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True)
    outputs = {half: p.communicate(timeout=600)[0] for half, p in runs.items()}
    failed = {half: out for half, out in outputs.items() if runs[half].returncode != 0}
    assert not failed, "\n\n".join(f"--- run {h} failed:\n{out}" for h, out in failed.items())
    expected = {"alice": 8.0, "bob": 0.0, "carol": 4.0, "dan": 8.0}
    assert scores(db_url) == expected
    counts = row_counts(postgres, "shared")
    assert counts["student"] == counts["submitted_assignment"] == counts["submitted_notebook"] == 4
    assert counts["grade"] == 4 * len(grade_rows(postgres, "shared", "alice"))
    assert duplicates(postgres, "shared") == {"submissions": [], "grades": [], "assignments": []}
    for half, learners in halves.items():    # each run's CSV has at least its own half
        got = csv_scores(tmp_path / f"course-{half}")
        assert {s: got.get(s) for s in learners} == {s: expected[s] for s in learners}
