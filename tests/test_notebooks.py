"""Every solution notebook runs top to bottom in a real kernel, without errors, and computes what
the lesson says it computes; the committed release is exactly what `make release` generates and
holds neither solution code nor hidden tests."""
import filecmp
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from autograder.release import ROOT, nbgrader
from coursekit import (ASSIGNMENTS, copy_supporting_files, filled, hidden_test_lines,
                       mark_scheme_lines, notebook_name, outputs_by_cell, release_notebook,
                       solution_lines, solution_notebook, solutions)
from lessons import load


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_runs_and_computes(assignment, tmp_path):
    nb = solution_notebook(assignment)
    copy_supporting_files(assignment, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute(env=env)
    errors = [(c.id, o.ename, o.evalue) for c in nb.cells if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert not errors
    load(assignment).check_executed(outputs_by_cell(nb))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_sources_have_no_outputs(assignment):
    for nb in (solution_notebook(assignment), release_notebook(assignment)):
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, cell.id
        nbformat.validate(nb)


def test_course_is_what_release_generates(tmp_path):
    subprocess.run([sys.executable, "-m", "autograder.release", "--into", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True)
    committed = ROOT / "course"

    def differences(cmp):
        out = cmp.left_only + cmp.right_only + cmp.diff_files + cmp.funny_files
        for sub in cmp.subdirs.values():
            out += differences(sub)
        return out

    cmp = filecmp.dircmp(committed, tmp_path, ignore=["__pycache__", ".ipynb_checkpoints"])
    assert sorted(os.listdir(committed)) == sorted(ASSIGNMENTS)
    for assignment in ASSIGNMENTS:   # dircmp compares shallowly: compare the bytes too
        name = notebook_name(assignment)
        assert (committed / assignment / name).read_bytes() == \
            (tmp_path / assignment / name).read_bytes(), f"run `make release`: {assignment} is stale"
    assert not differences(cmp), f"course/ differs from `make release`: {differences(cmp)}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_or_hidden_test(assignment):
    text = pathlib.Path(ROOT / "course" / assignment / notebook_name(assignment)).read_text()
    nb = release_notebook(assignment)
    source = "\n".join(cell.source for cell in nb.cells)
    for name, lines in solution_lines(assignment).items():
        leaked = [line for line in lines if len(line) >= 8 and line in source]
        assert not leaked, f"solution of {name} in the release: {leaked}"
    hidden = hidden_test_lines(assignment)
    assert hidden and not [line for line in hidden if line in text]
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text and "MARK SCHEME" not in text
    scheme = [line for line in mark_scheme_lines(assignment) if len(line) >= 20 and line in text]
    assert not scheme, f"the graders' mark scheme is in the release: {scheme}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_learner_validate(assignment, tmp_path):
    """What the notebook's Validate button runs: the blank release fails, the solved one passes."""
    copy_supporting_files(assignment, tmp_path)
    blank = tmp_path / "blank.ipynb"
    solved = tmp_path / "solved.ipynb"
    nbformat.write(release_notebook(assignment), str(blank))
    nbformat.write(filled(assignment, solutions(assignment)), str(solved))
    failing = nbgrader("validate", str(blank), cwd=tmp_path, check=False)
    assert "is not written yet" in failing.stdout, failing.stdout + failing.stderr
    passing = nbgrader("validate", str(solved), cwd=tmp_path, check=False)
    assert "Success! Your notebook passes all the tests." in passing.stdout, passing.stdout
