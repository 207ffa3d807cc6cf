"""The course as the tests use it: a throw-away copy of the nbgrader course, answers filled into
release notebooks as a learner would (autograder/notebooks.py, re-exported here), real `nbgrader
autograde` / `generate_feedback` runs, and the grades read back from the gradebook."""
import pathlib

from nbgrader.api import Gradebook

import autograder.course
from autograder.feedback import region_lines
from autograder.notebooks import (answer_cells, copy_supporting_files, filled,  # noqa: F401
                                  grade_cells_points, nbgrader_meta, notebook_name, read,
                                  release_notebook, solution_notebook, solutions, strip_markers)
from autograder.release import assignments

ASSIGNMENTS = assignments()


def task_cells_points(nb):
    """{grade_id: points} of the manually graded cells (written answers and tasks)."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells
            if nbgrader_meta(c).get("task") or (nbgrader_meta(c).get("grade")
                                                and nbgrader_meta(c).get("solution"))}


def solution_lines(assignment):
    """{grade_id: stripped lines between the solution markers} of the source notebook."""
    return {name: region_lines(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
            for name, cell in answer_cells(solution_notebook(assignment)).items()}


def hidden_test_lines(assignment):
    """Stripped lines between the hidden-test markers, over the whole source notebook."""
    return [line for cell in solution_notebook(assignment).cells
            for line in region_lines(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")]


def mark_scheme_lines(assignment):
    """Stripped lines of the graders' mark schemes, over the whole source notebook."""
    return [line for cell in solution_notebook(assignment).cells
            for line in region_lines(cell.source, "### BEGIN MARK SCHEME", "### END MARK SCHEME")]


class Course(autograder.course.Course):
    """A throw-away nbgrader course under `root`, configured by the repository's own
    autograder/nbgrader_config.py with only its root moved (autograder.course.Course): root/course
    holds the release, root/course/autograder the submissions and the gradebook. nbgrader runs in
    a folder beside it with nothing but the config file, so no folder named like a package
    shadows the real one."""

    def __init__(self, root, settings=None):
        course = pathlib.Path(root) / "course"
        (course / "autograder").mkdir(parents=True)
        super().__init__(course, f"sqlite:///{course / 'autograder' / 'gradebook.db'}",
                         settings=settings)

    def nbgrader(self, *args, check=True):
        result = self.run(*args)
        if check and result.returncode != 0:
            raise AssertionError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def generate(self, assignment):
        return self.nbgrader("generate_assignment", assignment, "--force")

    def autograde(self, assignment):
        return self.nbgrader("autograde", assignment, "--force", check=False)

    def feedback(self, assignment, student):
        self.nbgrader("generate_feedback", assignment, "--student", student, "--force")
        return self.root / "autograder" / "feedback" / student / assignment / \
            notebook_name(assignment).replace(".ipynb", ".html")

    def scores(self, assignment, student):
        """{grade_id: (score, max_score)} of a student's autograded notebook."""
        return {name: (g["score"], g["max_score"])
                for name, g in self.grades(assignment, student).items()}

    def grades(self, assignment, student):
        """{grade_id: {score, max_score, needs_manual_grade}} of a student's notebook."""
        notebook_id = notebook_name(assignment)[:-len(".ipynb")]
        with Gradebook(self.db_url) as gb:
            nb = gb.find_submission_notebook(notebook_id, assignment, student)
            return {g.name: {"score": g.score, "max_score": g.max_score,
                             "needs_manual_grade": g.needs_manual_grade} for g in nb.grades}


def outputs_by_cell(nb):
    """{cell id: all its outputs as text (stream text, data keys and values, errors)}."""
    texts = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                parts.append(out.text)
            elif out.output_type == "error":
                parts.append(f"ERROR {out.ename}: {out.evalue}")
            else:
                for key, value in out.get("data", {}).items():
                    parts.append(f"{key}: {value if key.startswith('text') else ''}")
        texts[cell.id] = "\n".join(parts)
    return texts
