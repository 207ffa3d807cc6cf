"""The shape of the code that keeps a new lesson cheap: the learner package never imports the
grader, no grading-side function is longer than a screen, and a lesson is four files that every
registry finds by themselves."""
import ast
import shutil
import subprocess
import sys
import textwrap

import pytest

from autograder.paths import ROOT

LONGEST = 60                    # lines of one function on the grading side


def imported_modules(path):
    """Every module name the file imports by an absolute name, with `import`, `from ... import`
    or importlib.import_module("..."): relative imports stay inside the package."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "import_module" \
                and node.args and isinstance(node.args[0], ast.Constant):
            yield node.args[0].value


def test_the_learner_package_never_imports_the_grader():
    offenders = [(str(path.relative_to(ROOT)), name)
                 for path in sorted((ROOT / "rnncourse").rglob("*.py"))
                 for name in imported_modules(path)
                 if name.split(".")[0] == "autograder"]
    assert offenders == []


def test_every_learner_module_imports_without_the_grader():
    """Importing every module of rnncourse with `autograder` made unimportable works (so no
    import of it hides in a string or a function that runs at import)."""
    script = textwrap.dedent("""
        import importlib, pkgutil, sys
        sys.modules["autograder"] = None           # any import of it raises ImportError
        import rnncourse
        for info in pkgutil.walk_packages(rnncourse.__path__, "rnncourse."):
            importlib.import_module(info.name)
        print("imported", len([m for m in sys.modules if m.startswith("rnncourse")]))
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.split()[1]) > 20


def test_no_function_on_the_grading_side_is_longer_than_a_screen():
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)"
            for path in sorted((ROOT / "autograder").rglob("*.py"))
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for length in [node.end_lineno - node.lineno + 1] if length > LONGEST]
    assert long == []


# A lesson written the way the README says: four files, nothing registered anywhere else.
NEW_LESSON = {
    "autograder/lessons/double_it.py": '''
        """Lesson 99: the reference answer and its Graded entry."""
        import numpy as np

        from ..graded import Graded, readable

        ASSIGNMENT = "99_double_it"
        SHIPS = ("rnn_update",)


        def double_it(h_t):
            """h_t (N, H) -> 2 h_t (N, H)."""
            return 2.0 * h_t


        def _inputs(rng, T, N, D, H, scale, case):
            return [rng.normal(size=(N, H))]


        GRADED = [Graded("double_it", double_it, _inputs)]


        def recorded():
            return {"double_it": ({"h_t": readable(np.random.default_rng(9), 2, 3)}, {})}
        ''',
    "rnncourse/checks/double_it.py": '''
        def check_double_it(double_it):
            """The visible test."""
        ''',
    "tests/lessons/double_it.py": '''
        MISTAKES, ALTERNATIVES, MESSAGES, CHECKS = {}, {}, {}, {}
        ''',
    "solutions/99_double_it/99_double_it.ipynb": "{}",
}

FOUND = '''
import sys
sys.path.insert(0, "tests")
from autograder import record
from autograder.lessons import GRADED, LESSONS, cases
from autograder.release import assignments
from lessons import load
from rnncourse import checks

assert LESSONS["99_double_it"].ASSIGNMENT == "99_double_it"
assert GRADED["double_it"].arguments == ["h_t"]
assert len(list(cases("double_it"))) == 5
assert callable(checks.check_double_it)
assert load("99_double_it").MISTAKES == {}
assert "99_double_it" in assignments()
texts = {path.name: text for path, text in record.outputs().items()
         if "99" in str(path) or path.stem == "double_it"}
assert "double_it" in texts["double_it.json"] and "def rnn_step" in texts["earlier_answers.py"]
print("found everywhere")
'''


def test_a_new_lesson_is_four_files_that_every_registry_finds(tmp_path):
    """Copy the grading side, the learner package and the test tables, add the four files of
    a new lesson, and find it in the graded entries (hence the hidden cases, the checker's
    policy and the course's tests), the recorded values, the shipped earlier answers, the
    visible checks, the tests' tables and the released assignments."""
    for folder in ("autograder", "rnncourse", "tests/lessons"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.db", "logs"))
    (tmp_path / "solutions").mkdir()
    for path, text in NEW_LESSON.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(textwrap.dedent(text).lstrip())
    assert len(NEW_LESSON) == 4
    result = subprocess.run([sys.executable, "-c", FOUND], cwd=tmp_path, capture_output=True,
                            text=True, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "found everywhere"


@pytest.mark.parametrize("folder", ["benchmarks"])
def test_benchmarks_import_only_the_product(folder):
    offenders = [(str(path.relative_to(ROOT)), name)
                 for path in sorted((ROOT / folder).glob("*.py"))
                 for name in imported_modules(path)
                 if name.split(".")[0] in ("tests", "coursekit", "lessons", "conftest")]
    assert offenders == []
    path_edits = [(path.name, line.strip()) for path in sorted((ROOT / folder).glob("*.py"))
                  for line in path.read_text().splitlines()
                  if "sys.path" in line and "tests" in line]
    assert path_edits == []
