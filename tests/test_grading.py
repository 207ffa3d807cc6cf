"""Real `nbgrader autograde` on a synthetic class for every assignment: the instructor's solution
gets full marks, the unchanged release gets zero, every typical mistake loses exactly the points of
its function's test, every correct alternative keeps them, and feedback reveals no solution or
hidden test. Each assignment's class is graded in a few shards (one nbgrader run each) that
pytest-xdist spreads over the cores."""
import html
import re

import pytest

from coursekit import (ASSIGNMENTS, Course, filled, grade_cells_points, hidden_test_lines,
                       mark_scheme_lines, notebook_name, read, solution_lines, solution_notebook, solutions,
                       task_cells_points)
from lessons import load

SHARDS = 2
# Kernels forked from a warm process, as the grading command starts them (autograder/zygote.py;
# tests/test_zygote.py shows a forked kernel sees what a started one sees)
WARM_KERNELS = {"SandboxKernelManager.zygote": True}


def submissions(assignment):
    """[(student id, answers, expectation)]: expectation is "full", "zero" or the graded name
    whose test alone must lose its points."""
    correct = solutions(assignment)
    lesson = load(assignment)
    subs = [("solution", correct, "full"), ("blank", {}, "zero")]
    for name, mistakes in lesson.MISTAKES.items():
        subs += [(f"mistake-{name}-{label}", dict(correct, **{name: code}), name)
                 for label, code in mistakes.items()]
    for name, alternatives in lesson.ALTERNATIVES.items():
        subs += [(f"alt-{name}-{label}", dict(correct, **{name: code}), "full")
                 for label, code in alternatives.items()]
    return subs


CASES = [(assignment, i % SHARDS, student, answers, expect)
         for assignment in ASSIGNMENTS
         for i, (student, answers, expect) in enumerate(submissions(assignment))]


def shard_param(assignment, shard, *values, id):
    return pytest.param(assignment, shard, *values, id=id,
                        marks=pytest.mark.xdist_group(f"grade-{assignment}-{shard}"))


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    """graded(assignment, shard) -> (Course, autograde result), each graded once per session."""
    cache = {}

    def get(assignment, shard):
        if (assignment, shard) not in cache:
            course = Course(tmp_path_factory.mktemp(f"{assignment}-shard{shard}"), WARM_KERNELS)
            course.generate(assignment)
            for a, s, student, answers, _ in CASES:
                if (a, s) == (assignment, shard):
                    course.submit(assignment, student, filled(assignment, answers))
            cache[assignment, shard] = course, course.autograde(assignment)
        return cache[assignment, shard]

    return get


@pytest.mark.parametrize(
    "assignment, shard, student, expect",
    [shard_param(a, s, student, expect, id=f"{a}:{student}") for a, s, student, _, expect in CASES])
def test_marks(graded, assignment, shard, student, expect):
    course, result = graded(assignment, shard)
    assert result.returncode == 0, f"the grading run failed:\n{result.stdout}\n{result.stderr}"
    scores = course.scores(assignment, student)
    points = grade_cells_points(solution_notebook(assignment))
    assert set(points) <= set(scores), f"test cells missing from the gradebook: {scores}"
    for grade_id, max_points in points.items():
        score, max_score = scores[grade_id]
        assert max_score == max_points
        if expect == "full" or (expect != "zero" and grade_id != f"test_{expect}"):
            assert score == max_points, f"{student} lost points on {grade_id}: {scores}"
        else:
            assert score == 0, f"{student} kept {score} points on {grade_id}: {scores}"


@pytest.mark.parametrize(
    "assignment, shard",
    [shard_param(a, 0, id=a) for a in ASSIGNMENTS if task_cells_points(solution_notebook(a))])
def test_written_answers_wait_for_a_grader(graded, assignment, shard):
    """Written answers are in the gradebook with their points, marked for manual grading, and
    hold no automatic score: the autograded total of a solution is the test cells' points."""
    course, _ = graded(assignment, shard)
    grades = course.grades(assignment, "solution")
    for grade_id, points in task_cells_points(solution_notebook(assignment)).items():
        assert grades[grade_id]["max_score"] == points
        assert grades[grade_id]["needs_manual_grade"], f"{grade_id} is not waiting for a grader"
        assert not grades[grade_id]["score"], f"{grade_id} was scored automatically"
    # graders see the mark scheme next to the learner's answer in the autograded notebook
    autograded = course.root / "autograder" / "autograded" / "solution" / assignment / \
        notebook_name(assignment)
    sources = "\n".join(cell.source for cell in read(autograded).cells)
    scheme = mark_scheme_lines(assignment)
    assert scheme and all(line in sources for line in scheme), "graders cannot see the mark scheme"


def visible_text(path):
    """The text a reader of an HTML file sees (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def feedback_students(assignment):
    """In every shard: the blank notebook's, one mistake's and, in shard 0, the solution's."""
    picks = []
    for shard in range(SHARDS):
        in_shard = [(s, e) for a, sh, s, _, e in CASES if (a, sh) == (assignment, shard)]
        picks += [(shard, s, e) for s, e in in_shard
                  if s in ("solution", "blank") or s == next(
                      x for x, e2 in in_shard if x.startswith("mistake-"))]
    return picks


@pytest.mark.parametrize(
    "assignment, shard, student, expect",
    [shard_param(a, shard, student, expect, id=f"{a}:{student}")
     for a in ASSIGNMENTS for shard, student, expect in feedback_students(a)])
def test_feedback_hides_solutions_and_hidden_tests(graded, assignment, shard, student, expect):
    course, _ = graded(assignment, shard)
    text = visible_text(course.feedback(assignment, student))
    hidden = hidden_test_lines(assignment)
    assert hidden and not [line for line in hidden if line in text]
    assert "autograder" not in text, "a hidden test's traceback leaked into the feedback"
    leaked_scheme = [line for line in mark_scheme_lines(assignment) if len(line) >= 20 and line in text]
    assert not leaked_scheme, f"the graders' mark scheme is in the feedback: {leaked_scheme}"
    # The instructor's code of every function the learner did not solve stays out of feedback.
    unsolved = {"blank": list(solution_lines(assignment))}.get(student, [])
    if student.startswith("mistake-"):
        name, label = student.split("-", 2)[1:]
        unsolved = [name]
        message = load(assignment).MESSAGES.get((name, label))
        if message:
            assert message in text, f"feedback lacks the visible test's explanation {message!r}"
    submitted = next(answers for a, _, s, answers, _ in CASES if (a, s) == (assignment, student))
    for name in unsolved:
        own = submitted.get(name, "")          # lines the learner wrote themselves may appear
        leaked = [line for line in solution_lines(assignment)[name]
                  if len(line) >= 8 and line in text and line not in own]
        assert not leaked, f"solution code of {name} in the feedback: {leaked}"
