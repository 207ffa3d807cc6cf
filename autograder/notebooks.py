"""The course's notebooks as the grading side reads and writes them.

Each assignment has one notebook, named after it: the instructor's source in solutions/<id>/ (with
its supporting files, such as earlier_answers.py) and the release in course/<id>/. `filled` puts
answers into the release notebook as a learner would, so `filled(a, solutions(a))` is the
reference solution submitted like any learner's: what the tests grade for full marks and the
benchmarks time.
"""
import copy
import shutil

import nbformat

from .paths import ROOT


def notebook_name(assignment):
    """Each assignment has one notebook, named after it."""
    return f"{assignment}.ipynb"


def read(path):
    return nbformat.read(str(path), as_version=4)


def nbgrader_meta(cell):
    """A cell's nbgrader metadata ({} for a plain cell, or a learner's cell without metadata)."""
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_cells_points(nb):
    """{grade_id: points} of the autograded test cells (code, graded, not an answer)."""
    return {nbgrader_meta(c)["grade_id"]: nbgrader_meta(c)["points"] for c in nb.cells
            if c.cell_type == "code" and nbgrader_meta(c).get("grade")
            and not nbgrader_meta(c).get("solution")}


def answer_cells(nb):
    """{grade_id: cell} of the autograded-answer cells (solution code cells)."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells
            if nbgrader_meta(c).get("solution") and c.cell_type == "code"}


def solution_notebook(assignment):
    return read(ROOT / "solutions" / assignment / notebook_name(assignment))


def release_notebook(assignment):
    return read(ROOT / "course" / assignment / notebook_name(assignment))


def copy_supporting_files(assignment, folder):
    """Copy what a notebook imports from its own folder (earlier_answers.py) into `folder`, as
    nbgrader copies it into the release and next to every submission it grades."""
    for path in (ROOT / "solutions" / assignment).iterdir():
        if path.is_file() and path.suffix != ".ipynb":
            shutil.copy(path, folder)


def strip_markers(source):
    """A solution cell's code as a learner would have typed it (markers removed)."""
    return "\n".join(line for line in source.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def solutions(assignment):
    """{grade_id: learner-style source} of the instructor's answers."""
    return {name: strip_markers(cell.source)
            for name, cell in answer_cells(solution_notebook(assignment)).items()}


def filled(assignment, answers):
    """The release notebook with the given answer cells replaced, as a learner would submit it."""
    nb = copy.deepcopy(release_notebook(assignment))
    cells = answer_cells(nb)
    for name, source in answers.items():
        cells[name].source = source
    return nb
