"""The canary (autograder/canary.py): `python -m autograder grade` first grades the reference
solution in the learners' sandbox, and grades nobody if it does not earn full marks.

Tested with the setup in which it was needed: a copy of the course graded with an interpreter
in which the course package is installed (editable) from ANOTHER checkout. Both checkouts are
copies of this repository in a temporary folder; the interpreter is a new virtual environment
that finds this environment's libraries (numpy, nbgrader, ...) but the course's packages only
through an editable install's finder that points at the other checkout.

What happens there (found by these tests):
- stock `nbgrader autograde` in the copy scores a perfect submission 0/8, silently: the copy's
  nbgrader_config.py runs the copy's grader, whose sandbox shows the copy's rnncourse, while the
  kernel imports rnncourse through the editable install from the other checkout, under /tmp,
  which the sandbox hides (ModuleNotFoundError in the notebook's first cell);
- `python -m autograder grade` in the copy grades correctly: its shard processes start in
  scratch folders and import the grader from the installed checkout, whose sandbox shows that
  checkout's rnncourse, and the warm kernels have rnncourse imported before the sandbox. The
  canary passes;
- the same command run with the copy's grader (PYTHONPATH=the copy, as stock nbgrader does) and
  kernels started as new interpreters (--cold-kernels) is the stock case again: every learner
  would get 0. The canary stops it with one message naming the cause, and nothing of the class
  (gradebook, grades CSV, autograded/, feedback/, report) changes.
In the normal setup (this checkout, installed here) the canary earns full marks and the
learners are graded as before.
"""
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from nbgrader.api import Gradebook

from autograder import canary
from autograder.course import Course
from autograder.grade import read_csv
from autograder.notebooks import filled, solutions
from autograder.paths import ROOT
from autograder.release import nbgrader_env

ASSIGNMENT = "01_rnn_update"
pytestmark = pytest.mark.xdist_group("canary")

# what a checkout holds beyond its files under version control, and nbgrader's working folders
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", ".pytest_cache",
                                    "gradebook.db", "submitted", "autograded", "feedback", "logs",
                                    "exchange", "grades.csv", "report-*.html")

# the finder an editable install puts into site-packages (setuptools' mechanism: a meta path
# finder, appended after the ordinary ones, that maps the project's top-level packages to the
# checkout's folders), installed by a .pth file at interpreter start
FINDER = '''"""Editable install of the course from {checkout}."""
import pathlib
import sys
from importlib.machinery import PathFinder
from importlib.util import spec_from_file_location

MAPPING = {mapping!r}


class _EditableFinder:
    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname in MAPPING:
            init = pathlib.Path(MAPPING[fullname]) / "__init__.py"
            return spec_from_file_location(fullname, init) if init.exists() else None
        parent = fullname.rpartition(".")[0]
        if parent in MAPPING:
            return PathFinder.find_spec(fullname, path=[MAPPING[parent]])
        return None


def install():
    if _EditableFinder not in sys.meta_path:
        sys.meta_path.append(_EditableFinder)
'''


def copy_checkout(target):
    shutil.copytree(ROOT, target, ignore=NOT_COPIED)
    return target


def misinstalled_python(venv, checkout):
    """A new virtual environment that sees this environment's libraries (a .pth file naming its
    site-packages, whose own .pth files, this checkout's editable install among them, are not
    read) and the course's packages only from `checkout`, installed editable; with its own
    kernel spec, `alembic` script and nbconvert templates, as an environment with nbgrader has."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = pathlib.Path(subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    (site / "zz_libraries.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    mapping = {name: str(checkout / name) for name in ("autograder", "rnncourse")}
    (site / "__editable___course_finder.py").write_text(
        FINDER.format(checkout=checkout, mapping=mapping))
    (site / "__editable__.rnncourse-0.1.0.pth").write_text(
        "import __editable___course_finder; __editable___course_finder.install()\n")
    (venv / "bin" / "alembic").write_text(
        f"#!{python}\nimport sys\nfrom alembic.config import main\nsys.exit(main())\n")
    (venv / "bin" / "alembic").chmod(0o755)
    templates = pathlib.Path(sys.prefix) / "share" / "jupyter" / "nbconvert"
    (venv / "share" / "jupyter").mkdir(parents=True, exist_ok=True)
    (venv / "share" / "jupyter" / "nbconvert").symlink_to(templates)
    subprocess.run([python, "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
                   check=True, capture_output=True, env=environment(python))
    return python


def environment(python, **extra):
    """The environment of a shell in which `python`'s virtual environment is activated."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}",
               VIRTUAL_ENV=str(python.parent.parent), JUPYTER_PREFER_ENV_PATH="1", **extra)
    return env


def where_python_imports(python, env, *modules):
    code = ("import sys, importlib; "
            "print(*(importlib.import_module(m).__file__ for m in sys.argv[1:]))")
    return subprocess.run([python, "-c", code, *modules], cwd="/", env=env, check=True,
                          capture_output=True, text=True).stdout.split()


def grade_command(python, cwd, env, *args):
    return subprocess.run([python, "-m", "autograder", "grade", ASSIGNMENT, *args], cwd=cwd,
                          env=env, capture_output=True, text=True)


def snapshot(folder):
    """{file: (content hash, modification time)} of everything under `folder`."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(),
                                         p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def csv_scores(root):
    rows = read_csv(root / "autograder" / "grades.csv")
    return {row["student_id"]: float(row["score"]) for row in rows}


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """Two checkouts (the copy that grades, and the one the interpreter has installed), the
    misinstalled interpreter, and a class of two learners: alice's notebook holds the reference
    answers (8 points), bob's the unchanged release (0)."""
    tmp = tmp_path_factory.mktemp("canary")
    graded, installed = copy_checkout(tmp / "copy"), copy_checkout(tmp / "installed")
    python = misinstalled_python(tmp / "venv", installed)
    env = environment(python)
    found = where_python_imports(python, env, "rnncourse", "autograder", "numpy")
    assert found[:2] == [str(installed / "rnncourse" / "__init__.py"),
                         str(installed / "autograder" / "__init__.py")], found
    assert not found[2].startswith(str(ROOT / "rnncourse")), found
    learners = tmp / "class"
    learners.mkdir()
    nbformat.write(filled(ASSIGNMENT, solutions(ASSIGNMENT)), str(learners / "alice_rnn.ipynb"))
    nbformat.write(filled(ASSIGNMENT, {}), str(learners / "bob_rnn.ipynb"))
    return {"tmp": tmp, "copy": graded, "installed": installed, "python": python, "env": env,
            "class": learners}


def test_stock_nbgrader_in_the_copy_scores_a_perfect_submission_zero(setup):
    """The case that was seen, reproduced: stock nbgrader, run in the copy as the README says."""
    copy, python, env = setup["copy"], setup["python"], setup["env"]
    nbgrader = [python, "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force"], cwd=copy, env=env,
                   check=True, capture_output=True)
    folder = copy / "autograder" / "submitted" / "alice" / ASSIGNMENT
    folder.mkdir(parents=True)
    shutil.copy(setup["class"] / "alice_rnn.ipynb", folder / f"{ASSIGNMENT}.ipynb")
    result = subprocess.run([*nbgrader, "autograde", ASSIGNMENT, "--force"], cwd=copy, env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr        # silently
    with Gradebook(f"sqlite:///{copy / 'autograder' / 'gradebook.db'}") as gb:
        submission = gb.find_submission(ASSIGNMENT, "alice")
        assert (submission.score, submission.max_score) == (0.0, 8.0)
    graded = nbformat.read(str(copy / "autograder" / "autograded" / "alice" / ASSIGNMENT /
                               f"{ASSIGNMENT}.ipynb"), as_version=4)
    first_error = next(o for c in graded.cells for o in c.get("outputs", [])
                       if o.output_type == "error")
    assert (first_error.ename, first_error.evalue) == ("ModuleNotFoundError",
                                                       "No module named 'rnncourse'")


@pytest.fixture(scope="module")
def misinstalled_class(setup):
    """The class graded by `python -m autograder grade` in the copy, misinstalled interpreter."""
    root = setup["tmp"] / "misinstalled-course"
    result = grade_command(setup["python"], setup["copy"], setup["env"], str(setup["class"]),
                           "--jobs", "2", "--root", str(root))
    return {"root": root, "result": result}


def test_the_grade_command_grades_the_misinstalled_copy_correctly(misinstalled_class):
    result = misinstalled_class["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    assert csv_scores(misinstalled_class["root"]) == {"alice": 8.0, "bob": 0.0}


def test_the_canary_stops_a_class_whose_kernels_cannot_import_rnncourse(setup,
                                                                       misinstalled_class):
    """The copy's own grader (PYTHONPATH, as stock nbgrader imports it from the folder it runs
    in) with kernels started as new interpreters: the stock case. Nobody is graded; the class's
    earlier results stay as they were."""
    root = misinstalled_class["root"]
    before = snapshot(root)
    assert "autograder/gradebook.db" in before and "autograder/grades.csv" in before
    env = environment(setup["python"], PYTHONPATH=str(setup["copy"]))
    result = grade_command(setup["python"], setup["copy"], env, str(setup["class"]), "--jobs",
                           "2", "--root", str(root), "--cold-kernels")
    assert result.returncode == 1, result.stdout + result.stderr
    message = result.stderr.strip().splitlines()
    assert message[0] == ("rnncourse cannot be imported inside the sandbox (ModuleNotFoundError: "
                          "No module named 'rnncourse', in cell setup)"), result.stderr
    assert "scored 0 of 8 points (lost: test_rnn_step 0/4, test_rnn_forward 0/4)" in message[1]
    assert "no learner was graded" in message[1]
    assert message[2].startswith(f"Outside the sandbox, {setup['python']} imports it from "
                                 f"{setup['installed'] / 'rnncourse'}. The sandbox shows")
    assert f"pip install -e {setup['copy']})" in message[2]
    assert "graded 2 submissions" not in result.stdout
    assert snapshot(root) == before


def test_in_the_normal_setup_the_canary_earns_full_marks(tmp_path):
    """This checkout's grader and interpreter, the grade command's settings: the canary's
    Verdict, asked for as the grade command does once the template is registered."""
    template = tmp_path / "template.db"
    registering = Course(tmp_path / "template" / "course", f"sqlite:///{template}"
                         ).start_register(ASSIGNMENT)
    settings = {"SandboxKernelManager.hide": [str(tmp_path)], "SandboxKernelManager.zygote": True}
    bird = canary.start(ASSIGNMENT, template, tmp_path / "work", settings)
    try:
        registering.wait()
        verdict = bird.result()
    finally:
        bird.stop()
    assert verdict.passed and verdict.lost == []
    assert (verdict.score, verdict.max_score) == (8.0, 8.0)


def test_in_the_normal_setup_learners_are_graded_as_before(setup, tmp_path):
    root = tmp_path / "course"
    result = grade_command(sys.executable, ROOT, nbgrader_env(), str(setup["class"]), "--jobs",
                           "2", "--root", str(root))
    assert result.returncode == 0, result.stdout + result.stderr
    assert csv_scores(root) == {"alice": 8.0, "bob": 0.0}


# ------------------------------------------------------------------------ naming the cause
def test_an_unreadable_reference_solution_is_named(tmp_path):
    with pytest.raises(SystemExit, match="the reference solution of 99_none cannot be read"):
        canary.start("99_none", tmp_path / "template.db", tmp_path, source=tmp_path)


def test_a_canary_whose_process_ended_without_a_result_is_named(tmp_path):
    """A stopped canary (the grading command stops it when it fails before asking): its process
    is gone, and a late `result()` says so instead of waiting for ever."""
    template = tmp_path / "template.db"
    template.write_bytes(b"")
    bird = canary.start(ASSIGNMENT, template, tmp_path)
    bird.stop()
    with pytest.raises(SystemExit) as stopped:
        bird.result()
    assert str(stopped.value).startswith(
        "the canary's grading process ended without a result (exit code -9): ")
    assert "The reference solution (solutions/01_rnn_update/01_rnn_update.ipynb), graded " \
           "first in the same sandbox as every learner's notebook, could not be graded." \
           in str(stopped.value)


def graded_notebook(*cells):
    """A graded notebook of (grade id or None, outputs) cells; ids starting with test_ are
    autograded test cells."""
    nb = new_notebook()
    for grade_id, outputs in cells:
        cell = new_code_cell("pass", outputs=outputs)
        if grade_id:
            test = grade_id.startswith("test_")
            cell.metadata["nbgrader"] = {"grade_id": grade_id, "grade": test, "solution": False,
                                         "locked": True, "points": 4 if test else 0}
        nb.cells.append(cell)
    return nb


def error(ename, evalue):
    return new_output("error", ename=ename, evalue=evalue, traceback=[])


@pytest.mark.parametrize("outputs, expected", [
    ([error("KernelDied", "the kernel died while this cell ran: SIGXCPU, the CPU-time limit "
                          "was reached")],
     "the grading kernel died in cell test_rnn_step: SIGXCPU, the CPU-time limit was reached"),
    ([error("CellTimeoutError", "No reply from kernel before timeout")],
     "cell test_rnn_step ran past the time limit per cell of 5 s and was interrupted"),
    ([error("MemoryError", "Unable to allocate 8.00 GiB")],
     "cell test_rnn_step hit the memory cap per kernel of 512 MiB (--memory-mb)"),
    ([error("HiddenTestNotConfirmed", "hidden test of rnn_step not passed: the grader never "
                                      "received this test")],
     "the checker did not confirm a hidden test in cell test_rnn_step: hidden test of rnn_step "
     "not passed: the grader never received this test"),
    ([error("ModuleNotFoundError", "No module named 'scipy'")],
     "scipy cannot be imported inside the sandbox (ModuleNotFoundError: No module named 'scipy', "
     "in cell test_rnn_step)"),
    ([error("AssertionError", "rnn_step: values differ")],
     "cell test_rnn_step raised AssertionError: rnn_step: values differ"),
    ([new_output("stream", name="stderr", text="\nTraceback: something else\n")],
     "test cell test_rnn_step wrote to stderr, which nbgrader scores 0 (not a warning that the "
     "course ignores): Traceback: something else"),
    ([], "test cell test_rnn_step lost points without an error output"),
])
def test_the_cause_is_named_in_an_instructors_terms(outputs, expected):
    nb = graded_notebook(("setup", []), ("test_rnn_step", outputs), ("test_rnn_forward", []))
    settings = {"Execute.timeout": 5, "SandboxKernelManager.memory_mb": 512}
    assert canary.cause(nb, {"test_rnn_step"}, settings).startswith(expected)


def test_the_cause_is_the_first_error_up_to_the_first_cell_that_lost_points():
    """An earlier error (the import that failed) is the cause of the later ones; an error after
    the first cell that lost points is not."""
    nb = graded_notebook(
        (None, [error("ModuleNotFoundError", "No module named 'rnncourse.grading'")]),
        ("test_rnn_step", [error("NameError", "name 'checks' is not defined")]))
    assert canary.cause(nb, {"test_rnn_step"}, {}).startswith(
        "rnncourse cannot be imported inside the sandbox (ModuleNotFoundError: No module named "
        "'rnncourse.grading', in cell 0)")
    nb = graded_notebook(("test_rnn_step", [error("NameError", "name 'W' is not defined")]),
                         (None, [error("KernelDied", "later")]))
    assert canary.cause(nb, {"test_rnn_step"}, {}) == \
        "cell test_rnn_step raised NameError: name 'W' is not defined"


def test_a_module_the_sandbox_cannot_import_gets_a_hint_of_what_to_do():
    assert canary.hint("cell test_x raised NameError: name 'W' is not defined") == ""
    assert canary.hint("rnncourse cannot be imported inside the sandbox (...)").startswith(
        f"Outside the sandbox, {sys.executable} imports it from {ROOT / 'rnncourse'}. The "
        "sandbox shows")
    assert "cannot import it outside the sandbox either: install the course" in \
        canary.hint("no_such_module_here cannot be imported inside the sandbox (...)")
