"""The adversarial suite: a class of hostile and broken lesson-01 submissions (tests/hostile.py)
graded by `autograder.grade.grade` with real nbgrader, the sandboxed kernel and the out-of-kernel
checker, next to two honest learners. Every hostile learner gets exactly the points its correct
answers earn, with the reason reported; the honest learners are graded normally; nothing of the
instructor's or the other learners' files reaches a learner's notebook, and nothing is written
outside the learner's own folder."""
import json
import re

import nbformat
import pytest
from nbgrader.api import Gradebook

from autograder.grade import grade, read_csv
from autograder.release import ROOT
from autograder.sandbox import available
from hostile import ASSIGNMENT, CORRECT, cases, write
from lessons import load

pytestmark = pytest.mark.xdist_group("hostile")

LIMITS = {"Execute.timeout": 4, "SandboxKernelManager.cpu_seconds": 40}


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    assert available(), "the sandbox needs root on Linux: grading tests must not run without it"
    tmp = tmp_path_factory.mktemp("hostile")
    folder, course = tmp / "export", tmp / "course"
    folder.mkdir()
    sentinel = tmp / "sentinel.txt"
    sentinel.write_text("instructor's file\n")
    class_cases = cases(ROOT, folder, sentinel)
    for student, case in class_cases.items():
        write(case, folder / f"{student}_lesson01.ipynb")
    mistake = load(ASSIGNMENT).MISTAKES["rnn_step"]["missing_tanh"]
    nbformat.write(nbformat.v4.new_notebook(), str(tmp / "unused.ipynb"))
    from coursekit import filled
    nbformat.write(filled(ASSIGNMENT, CORRECT), str(folder / "alice_lesson01.ipynb"))
    nbformat.write(filled(ASSIGNMENT, dict(CORRECT, rnn_step=mistake)),
                   str(folder / "carol_lesson01.ipynb"))
    db_url = f"sqlite:///{tmp / 'gradebook.db'}"
    out = grade(ASSIGNMENT, folder, jobs=2, root=course, db_url=db_url, quiet=True,
                settings=LIMITS)
    with Gradebook(db_url) as gb:
        scores = {s.student.id: s.score for s in gb.assignment_submissions(ASSIGNMENT)}
        grade_rows = sum(len(nb.grades) for s in gb.assignment_submissions(ASSIGNMENT)
                         for nb in s.notebooks)
    return {"out": out, "scores": scores, "cases": class_cases, "course": course, "tmp": tmp,
            "folder": folder, "sentinel": sentinel, "grade_rows": grade_rows}


def reasons(hostile_class, student):
    return [reason for who, reason in hostile_class["out"]["problems"] if who == student]


def log_of(hostile_class, student):
    """What nbgrader logged for `student` (the shard logs keep a section per failed learner)."""
    logs = hostile_class["course"] / "autograder" / "logs"
    text = "".join(p.read_text() for p in sorted(logs.glob("*.log")))
    part = text.split(f"--- {student}\n", 1)
    return part[1][:3000] if len(part) == 2 else "(no log section)"


def autograded(hostile_class, student):
    path = hostile_class["course"] / "autograder" / "autograded" / student / ASSIGNMENT / \
        f"{ASSIGNMENT}.ipynb"
    return nbformat.read(str(path), as_version=4)


def test_honest_learners_are_graded_normally(hostile_class):
    assert hostile_class["scores"]["alice"] == 8.0
    assert hostile_class["scores"]["carol"] == 4.0
    assert reasons(hostile_class, "alice") == [] and reasons(hostile_class, "carol") == []


@pytest.mark.parametrize("student", list(cases(ROOT, ROOT, ROOT)))
def test_hostile_submission_gets_what_its_answers_earn(hostile_class, student):
    case = hostile_class["cases"][student]
    assert hostile_class["scores"].get(student) == case.score, (
        f"{student} ({case.what}): scored {hostile_class['scores'].get(student)}, expected "
        f"{case.score}; reported: {reasons(hostile_class, student)}\n"
        f"{log_of(hostile_class, student)}")
    if case.reason:
        assert any(re.search(case.reason, r) for r in reasons(hostile_class, student)), (
            f"{student} ({case.what}): no reason matching {case.reason!r} in "
            f"{reasons(hostile_class, student)}\n{log_of(hostile_class, student)}")


def test_every_learner_is_in_the_gradebook_once_and_in_the_csv(hostile_class):
    expected = set(hostile_class["cases"]) | {"alice", "carol"}
    assert set(hostile_class["scores"]) == expected
    assert hostile_class["grade_rows"] == 2 * len(expected)     # two graded tests, no duplicates
    rows = read_csv(hostile_class["out"]["csv"])
    assert sorted(r["student_id"] for r in rows) == sorted(expected)
    assert {r["student_id"]: float(r["score"]) for r in rows} == hostile_class["scores"]


def test_reading_the_instructors_files_finds_nothing(hostile_class):
    nb = autograded(hostile_class, "snoop")
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "FOUND 0 []" in printed, printed[:2000]
    assert "BEGIN SOLUTION" not in printed and "def rnn_step" not in printed


def test_nothing_is_written_outside_the_learners_folder(hostile_class):
    assert hostile_class["sentinel"].read_text() == "instructor's file\n"
    assert not (ROOT / "pwned").exists() and not (hostile_class["folder"] / "pwned").exists()
    assert not list(hostile_class["course"].rglob("pwned"))
    nb = autograded(hostile_class, "vandal")
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "written" not in printed.replace("'/var/tmp/pwned': 'written'", ""), printed
    folder = hostile_class["course"] / "autograder" / "autograded" / "vandal" / ASSIGNMENT
    assert not [p for p in folder.rglob("*") if p.is_symlink()]


def test_enormous_output_is_cut_before_it_reaches_the_gradebook(hostile_class):
    path = hostile_class["course"] / "autograder" / "autograded" / "flood" / ASSIGNMENT / \
        f"{ASSIGNMENT}.ipynb"
    assert path.stat().st_size < 2_000_000


def test_hidden_tests_are_judged_outside_the_kernel(hostile_class):
    """The learner whose notebook hid every failure shows no error of its own: the zero comes
    from the checker's missing verdicts, and the feedback says so."""
    nb = autograded(hostile_class, "silence")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors and all(o["ename"] == "HiddenTestNotConfirmed" for o in errors)


def test_the_report_lists_every_hostile_learner_with_its_reason(hostile_class):
    html = hostile_class["out"]["report"].read_text()
    for student, case in hostile_class["cases"].items():
        if case.reason:
            assert student in html
    assert json.dumps("<script>") not in html
