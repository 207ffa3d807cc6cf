"""`python -m autograder grade`: a small class graded with two parallel nbgrader runs lands in
one gradebook with the same marks nbgrader gives one by one, with every learner id reported, broken
and unidentifiable files reported and not graded, and re-runs that replace grades instead of
adding them."""
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grade import read_csv
from autograder.release import ROOT, nbgrader_env
from coursekit import filled, solutions
from lessons import load

ASSIGNMENT = "01_rnn_update"
pytestmark = pytest.mark.xdist_group("grade-command")


def run_grade(*args):
    return subprocess.run([sys.executable, "-m", "autograder", "grade", ASSIGNMENT, *args],
                          cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True)


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """An LMS-style folder of notebooks, graded once with --jobs 2."""
    tmp = tmp_path_factory.mktemp("grade-command")
    folder = tmp / "export"
    folder.mkdir()
    correct = solutions(ASSIGNMENT)
    mistake = load(ASSIGNMENT).MISTAKES["rnn_step"]["missing_tanh"]
    nbformat.write(filled(ASSIGNMENT, correct), str(folder / "alice_rnn.ipynb"))
    nbformat.write(filled(ASSIGNMENT, {}), str(folder / "bob_lesson01.ipynb"))
    nbformat.write(filled(ASSIGNMENT, dict(correct, rnn_step=mistake)),
                   str(folder / "carol_final.ipynb"))
    (folder / "dave_lesson01.ipynb").write_text("{this is not a notebook")
    (folder / "notes.ipynb").write_text("{}")                       # no learner id
    (folder / "README.txt").write_text("exported by the LMS")       # not a notebook
    nbformat.write(filled(ASSIGNMENT, correct), str(folder / "erin_v1.ipynb"))
    nbformat.write(filled(ASSIGNMENT, {}), str(folder / "erin_v2.ipynb"))  # two files: ambiguous
    course = tmp / "course"
    db_url = f"sqlite:///{tmp / 'gradebook.db'}"
    result = run_grade(str(folder), "--jobs", "2", "--root", str(course), "--db-url", db_url)
    return {"tmp": tmp, "folder": folder, "course": course, "db_url": db_url, "result": result,
            "correct": correct}


def scores(db_url):
    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}


def test_marks_match_what_nbgrader_gives(graded_class):
    result = graded_class["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    # dave's file is not a notebook: in the gradebook and the CSV with 0, and reported
    assert scores(graded_class["db_url"]) == {"alice": 8.0, "bob": 0.0, "carol": 4.0, "dave": 0.0}
    rows = {r["student_id"]: float(r["score"]) for r in
            read_csv(graded_class["course"] / "autograder" / "grades.csv")}
    assert rows == {"alice": 8.0, "bob": 0.0, "carol": 4.0, "dave": 0.0}


def test_class_report_is_written(graded_class):
    report = graded_class["course"] / "autograder" / f"report-{ASSIGNMENT}.html"
    text = report.read_text()
    assert text.count("data:image/png;base64,") == 3 and "dave" in text and "carol" in text


def test_every_id_is_reported_and_problems_are_named(graded_class):
    out = graded_class["result"].stdout
    for line in ("alice_rnn.ipynb -> alice", "bob_lesson01.ipynb -> bob",
                 "carol_final.ipynb -> carol", "dave_lesson01.ipynb -> dave"):
        assert line in out
    assert "needs attention: notes.ipynb: no learner id" in out
    assert "needs attention: erin: 2 files for one learner" in out
    assert "needs attention: dave: dave_lesson01.ipynb: invalid JSON" in out
    assert "needs attention: README.txt: not a notebook (.txt); not graded" in out
    # a quiet console: no library warnings an instructor cannot act on (SQLAlchemy's, nbgrader's)
    assert "Warning" not in graded_class["result"].stderr, graded_class["result"].stderr


def test_feedback_for_every_graded_learner_without_hidden_tests(graded_class):
    for student in ("alice", "bob", "carol"):
        html = (graded_class["course"] / "autograder" / "feedback" / student / ASSIGNMENT /
                f"{ASSIGNMENT}.html").read_text()
        assert "hidden_check" not in html and "HIDDEN TESTS" not in html
    assert not (graded_class["course"] / "autograder" / "feedback" / "dave").exists()


def test_regrading_one_learner_replaces_only_their_grades(graded_class):
    folder = graded_class["folder"]
    nbformat.write(filled(ASSIGNMENT, graded_class["correct"]), str(folder / "carol_final.ipynb"))
    result = run_grade(str(folder), "--student", "carol", "--jobs", "2",
                       "--root", str(graded_class["course"]), "--db-url", graded_class["db_url"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert scores(graded_class["db_url"]) == {"alice": 8.0, "bob": 0.0, "carol": 8.0, "dave": 0.0}
    with Gradebook(graded_class["db_url"]) as gb:   # replaced, not added
        assert len(gb.assignment_submissions(ASSIGNMENT)) == 4


def test_collect_reads_zips_and_submitted_trees(tmp_path):
    """Learner ids from an LMS zip (folders inside flattened, paths that climb out ignored) and
    from nbgrader's submitted/ tree (a renamed notebook is used and reported; none is a problem)."""
    import zipfile

    from autograder.grade import collect

    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("course/alice_1.ipynb", "{}")
        z.writestr("bob_2.ipynb", "{}")
        z.writestr("../evil_3.ipynb", "{}")
    found = collect(ASSIGNMENT, archive, workdir=tmp_path / "work")
    assert sorted(s.student for s in found.submissions) == ["alice", "bob"]
    assert [who for who, _ in found.problems] == ["../evil_3.ipynb"]
    assert "leads out of the archive's folder" in found.problems[0][1]
    assert all(s.path.is_relative_to(tmp_path / "work") for s in found.submissions)

    tree = tmp_path / "submitted"
    (tree / "carol" / ASSIGNMENT).mkdir(parents=True)
    (tree / "carol" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").write_text("{}")
    (tree / "dan" / ASSIGNMENT).mkdir(parents=True)
    (tree / "dan" / ASSIGNMENT / "my copy.ipynb").write_text("{}")
    (tree / "eve" / ASSIGNMENT).mkdir(parents=True)
    found = collect(ASSIGNMENT, tree)
    assert {s.student: s.origin for s in found.submissions} == {
        "carol": "submitted/ tree", "dan": "submitted/ tree, renamed notebook my copy.ipynb"}
    assert [who for who, _ in found.problems] == ["eve"] and found.missing == ["eve"]


def test_new_gradebooks_get_the_schema_version_nbgrader_gives_them():
    """The shards stamp a new gradebook with the alembic revision read in-process; it must be the
    one nbgrader's own `alembic heads` subprocess reports, or nbgrader would try to migrate it."""
    from nbgrader.api import get_alembic_version

    from autograder.shard import alembic_head

    assert alembic_head() == get_alembic_version()


def test_a_feedback_that_cannot_be_written_is_named(tmp_path):
    """Grades are kept and the learner is named when nbgrader fails to write the feedback (seen
    with an environment that lacked nbconvert's templates; here a preprocessor that does not
    exist), instead of a failure that only the shard's log shows."""
    from autograder.grade import grade

    folder = tmp_path / "export"
    folder.mkdir()
    nbformat.write(filled(ASSIGNMENT, solutions(ASSIGNMENT)), str(folder / "alice_01.ipynb"))
    out = grade(ASSIGNMENT, folder, jobs=1, root=tmp_path / "course", quiet=True,
                settings={"GenerateFeedback.preprocessors": ["no.such.Preprocessor"]})
    assert out["graded"] == ["alice"]
    assert out["problems"] == [("alice", "graded, but nbgrader could not write the feedback (see "
                                         f"autograder/logs/{ASSIGNMENT}-shard0.log)")]
    assert read_csv(out["csv"])[0]["raw_score"] == "8.0"
