"""The class report (autograder/report.py) of a small class graded by the real
`python -m autograder grade`: the figures it is drawn from (scores, pass rates, most common
failures, runtimes, pending manual grades, submissions needing attention), and an HTML file that
is self-contained, names every learner and escapes what learners wrote."""
import base64
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys

import nbformat
import pytest

from autograder.release import ROOT, nbgrader_env
from autograder.report import summarise, write_report
from coursekit import filled, solutions
from lessons import load

ASSIGNMENT = "01_rnn_update"
INJECTED = "<script>alert('pwned')</script>"
pytestmark = pytest.mark.xdist_group("grade-command")

# rnn_forward that raises with markup in its message, which the checks quote.
HOSTILE_FORWARD = f'''def rnn_forward(x, h0, W_xh, W_hh, b_h):
    raise RuntimeError("{INJECTED}")
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """alice right, bob blank, carol without tanh, mallory without tanh and with an rnn_forward
    raising markup, dave a broken file: graded once with two parallel runs."""
    tmp = tmp_path_factory.mktemp("class-report")
    folder = tmp / "export"
    folder.mkdir()
    correct = solutions(ASSIGNMENT)
    no_tanh = load(ASSIGNMENT).MISTAKES["rnn_step"]["missing_tanh"]
    nbformat.write(filled(ASSIGNMENT, correct), str(folder / "alice_rnn.ipynb"))
    nbformat.write(filled(ASSIGNMENT, {}), str(folder / "bob_lesson01.ipynb"))
    nbformat.write(filled(ASSIGNMENT, dict(correct, rnn_step=no_tanh)),
                   str(folder / "carol_final.ipynb"))
    nbformat.write(filled(ASSIGNMENT, dict(correct, rnn_step=no_tanh,
                                           rnn_forward=HOSTILE_FORWARD)),
                   str(folder / "mallory_x.ipynb"))
    (folder / "dave_lesson01.ipynb").write_text("{this is not a notebook")
    course = tmp / "course"
    db_url = f"sqlite:///{tmp / 'gradebook.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", ASSIGNMENT, str(folder), "--jobs", "2",
         "--root", str(course), "--db-url", db_url, "--no-feedback"],
        cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    problems = [tuple(line[len("needs attention: "):].split(": ", 1))
                for line in result.stdout.splitlines() if line.startswith("needs attention: ")]
    autograded = course / "autograder" / "autograded"
    summary = summarise(ASSIGNMENT, db_url, autograded, problems)
    report = write_report(tmp / "report" / "class.html", ASSIGNMENT, db_url, autograded,
                          problems)
    return {"tmp": tmp, "db_url": db_url, "autograded": autograded, "problems": problems,
            "summary": summary, "report": report, "html": report.read_text()}


def test_scores_and_their_histogram(graded):
    s = graded["summary"]
    assert s["learners"] == ["alice", "bob", "carol", "dave", "mallory"]
    assert s["scores"] == {"alice": 8.0, "bob": 0.0, "carol": 4.0, "dave": 0.0, "mallory": 0.0}
    assert s["max_score"] == 8.0
    edges, counts = s["histogram"]["edges"], s["histogram"]["counts"]
    assert edges == [x - 0.5 for x in range(10)]                # one bin per point, 0..8
    assert counts == [3, 0, 0, 0, 1, 0, 0, 0, 1]


def test_pass_rates_and_most_common_failures(graded):
    s = graded["summary"]
    assert s["tests"] == ["test_rnn_step", "test_rnn_forward"]
    assert s["pass_rate"] == {"test_rnn_step": 0.2, "test_rnn_forward": 0.4}
    assert s["passed"] == {"test_rnn_step": ["alice"], "test_rnn_forward": ["alice", "carol"]}
    step = s["failures"]["test_rnn_step"]
    assert step["failed"] == 4 and step["count"] == 2
    assert step["learners"] == ["carol", "mallory"]
    assert "tanh" in step["message"] and step["message"].startswith("CheckFailure: ")
    forward = s["failures"]["test_rnn_forward"]
    assert forward["failed"] == 3 and forward["count"] == 1
    assert INJECTED in s["messages"]["mallory"]["test_rnn_forward"]
    assert s["messages"]["alice"] == {}


def test_runtimes_and_pending_manual_grades(graded):
    s = graded["summary"]
    runtimes = s["runtimes"]
    assert set(runtimes) == set(s["learners"])
    assert runtimes["dave"] is None                     # a broken file never ran
    ran = [r for who, r in runtimes.items() if who != "dave"]
    assert all(isinstance(r, float) and 0 < r < 300 for r in ran), runtimes
    assert s["median_runtime"] == statistics.median(ran)
    assert s["manual_pending"] == 0 and s["manual_pending_learners"] == []


def test_submissions_needing_attention(graded):
    attention = dict(graded["summary"]["attention"])
    assert set(attention) == {"dave", "bob", "mallory"}
    assert attention["dave"].startswith("dave_lesson01.ipynb: invalid JSON")
    assert attention["bob"].startswith("every test failed: CheckFailure: rnn_step is not "
                                       "written yet")
    assert attention["mallory"].startswith("every test failed: CheckFailure: ")
    assert "tanh" in attention["mallory"]


def test_html_is_self_contained_and_escaped(graded):
    page = graded["html"]
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 3                         # scores, pass rates, runtimes
    assert all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    assert not re.search(r'(src|href)="(?!data:)', page)     # nothing loaded from elsewhere
    for learner in ("alice", "bob", "carol", "mallory", "dave"):
        assert f"<td>{learner}</td>" in page
    for heading in ("Score distribution", "Pass rate per test", "Most common failures",
                    "Runtime", "Manual grading", "Needs attention"):
        assert f"<h2>{heading}</h2>" in page
    assert "<script" not in page
    assert "RuntimeError: &lt;script&gt;alert(&#x27;pwned&#x27;)&lt;/script&gt;" in page  # mallory
    assert "every test failed" in page and "tanh" in page


def test_missing_notebook_and_pending_manual_grade(graded, tmp_path):
    """A graded learner without an autograded notebook needs attention; a grade flagged for a
    human grader is counted."""
    autograded = tmp_path / "autograded"
    shutil.copytree(graded["autograded"], autograded)
    shutil.rmtree(autograded / "alice")
    db = tmp_path / "gradebook.db"
    shutil.copy(graded["db_url"][len("sqlite:///"):], db)
    with sqlite3.connect(db) as con:                # as after a regrade of a manual grade
        con.execute("UPDATE grade SET needs_manual_grade = 1 WHERE id IN (SELECT grade.id "
                    "FROM grade JOIN submitted_notebook n ON grade.notebook_id = n.id "
                    "JOIN submitted_assignment a ON n.assignment_id = a.id "
                    "WHERE a.student_id = 'carol' LIMIT 1)")
    s = summarise(ASSIGNMENT, f"sqlite:///{db}", autograded)
    attention = dict(s["attention"])
    assert attention["alice"].startswith("autograded notebook missing")
    assert s["runtimes"]["alice"] is None and s["scores"]["alice"] == 8.0
    assert s["manual_pending"] == 1 and s["manual_pending_learners"] == ["carol"]
    out = write_report(tmp_path / "r.html", ASSIGNMENT, f"sqlite:///{db}", autograded,
                       title="Week 1 <draft>")
    page = out.read_text()
    assert "<title>Week 1 &lt;draft&gt;</title>" in page and "autograded notebook missing" in page


def test_an_assignment_nobody_submitted(graded, tmp_path):
    s = summarise("02_bptt", graded["db_url"], graded["autograded"])
    assert s["learners"] == [] and s["attention"] == [] and s["median_runtime"] is None
    page = write_report(tmp_path / "empty.html", "02_bptt", graded["db_url"],
                        graded["autograded"]).read_text()
    assert page.count('<img src="data:image/png;base64,') == 3
