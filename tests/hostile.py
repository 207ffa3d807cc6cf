"""Hostile and broken submissions of lesson 01 (rnn_step 4 points, rnn_forward 4), as files an
LMS export would hold: {learner id: Case}. Used by test_hostile_submissions.py.

Each case says what the file is, the score it must get (never more than its correct answers
earn) and a pattern that the reason reported for that learner must match (None: nothing needs
reporting)."""
import copy
import dataclasses

import nbformat

from coursekit import answer_cells, filled, solutions

ASSIGNMENT = "01_rnn_update"
CORRECT = solutions(ASSIGNMENT)
WRONG_STEP = CORRECT["rnn_step"].replace("np.tanh", "np.sin")      # a real mistake: 0 of 4


@dataclasses.dataclass
class Case:
    what: str
    content: object          # a notebook, or the raw bytes of the file
    score: float
    reason: str = None       # regex the reported reason must match


def _with_cell(code, answers=None, at="test_rnn_step"):
    """Correct (or given) answers, with an extra code cell just before the cell `at` (None: at
    the end)."""
    nb = filled(ASSIGNMENT, answers or CORRECT)
    index = len(nb.cells) if at is None else \
        [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells].index(at)
    nb.cells.insert(index, nbformat.v4.new_code_cell(code))
    return nb


def _edit(change, answers=None):
    nb = filled(ASSIGNMENT, answers or CORRECT)
    change(nb)
    return nb


def _cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _duplicated(nb):
    """A wrong copy of the rnn_step answer first, then the learner's final (correct) one, and a
    second copy of the test cell: duplicated grade ids must not earn points twice."""
    answer = _cell(nb, "rnn_step")
    wrong = copy.deepcopy(answer)
    wrong.source = WRONG_STEP
    nb.cells.insert(nb.cells.index(answer), wrong)
    test = _cell(nb, "test_rnn_step")
    nb.cells.insert(nb.cells.index(test) + 1, copy.deepcopy(test))


def _retyped(nb):
    """The test cells turned into markdown (their code no longer runs)."""
    for name in ("test_rnn_step", "test_rnn_forward"):
        cell = _cell(nb, name)
        index = nb.cells.index(cell)
        nb.cells[index] = nbformat.v4.new_markdown_cell(cell.source, metadata=cell.metadata)


def _tests_edited(nb):
    for name in ("test_rnn_step", "test_rnn_forward"):
        _cell(nb, name).source = "pass"


def _tests_deleted(nb):
    nb.cells = [c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") not in ("test_rnn_step",
                                                                           "test_rnn_forward")]


def _old_format(nb):
    return nbformat.writes(nbformat.convert(nb, 3), version=3).encode()


SNOOP = """
import glob, os, pathlib
found = []
for pattern in [REPO + "/autograder/lessons/*.py", REPO + "/solutions/*/*.ipynb",
                REPO + "/autograder/*.db", "../../*/*/*.ipynb", "../../../submitted/*/*/*.ipynb",
                SOURCE + "/*", "/root/*", "/home/*/*"]:
    for path in glob.glob(pattern):
        if os.path.realpath(path).startswith(os.getcwd()):
            continue                                    # its own folder is fine
        try:
            found.append((path, pathlib.Path(path).read_text()[:200]))
        except Exception:
            pass
try:
    import autograder.lessons as stolen
    found.append(("autograder.lessons", "imported"))
except Exception:
    stolen = None
print("FOUND", len(found), found)

def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    if stolen is not None:
        return stolen.REFERENCE["rnn_step"](x_t, h_prev, W_xh, W_hh, b_h)
    raise NotImplementedError("nothing to copy")
"""

VANDAL = """
import os, pathlib
attempts = {}
for target in [REPO + "/pwned", SOURCE + "/pwned", "../../alice/01_rnn_update/pwned",
               "/var/tmp/pwned", "/root/pwned", "/etc/pwned"]:
    try:
        pathlib.Path(target).write_text("pwned")
        attempts[target] = "written"
    except Exception as err:
        attempts[target] = type(err).__name__
# a link in its own folder that a careless grader (root) would write through
os.symlink(SENTINEL, "planted-link")
os.remove("01_rnn_update.ipynb") if os.path.exists("01_rnn_update.ipynb") else None
os.symlink(SENTINEL, "01_rnn_update.ipynb")
print(attempts)
"""

LIAR = """
import numpy as np

class AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)
    def __array_finalize__(self, obj):
        pass

class Agreeable:
    shape = (5, 3, 4)
    dtype = np.float64
    def __eq__(self, other):
        return True
    def __array__(self, dtype=None, copy=None):
        raise TypeError("no data here")

def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
    return np.zeros((x_t.shape[0], W_hh.shape[0])).view(AlwaysEqual)

def rnn_forward(x, h0, W_xh, W_hh, b_h):
    return Agreeable()
"""

PATCH_NUMPY = """
import numpy as np
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.broadcast(a, b).shape, dtype=bool)
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
"""

PATCH_CHECKS = """
import builtins
import rnncourse.checks.common as common
import rnncourse.checks.rnn_update as rnn_checks
import rnncourse.grading as grading
for name in dir(rnn_checks):
    if name.startswith("check_"):
        setattr(rnn_checks, name, lambda *args, **kwargs: print("all good"))
common.reproduces = lambda *args, **kwargs: None
grading.hidden_check = lambda *args, **kwargs: None
builtins.AssertionError = type("Harmless", (Exception,), {})
"""

SILENCE = """
shell = get_ipython()
_run_cell = shell.run_cell
shell.run_cell = lambda raw_cell, *args, **kwargs: _run_cell("pass", *args, **kwargs)
"""


def cases(repo, source, sentinel):
    """The hostile class. `repo`, `source` (the folder of submissions) and `sentinel` (a file
    that must stay unchanged) are written into the snooping and vandalising notebooks."""
    paths = f"REPO = {str(repo)!r}\nSOURCE = {str(source)!r}\nSENTINEL = {str(sentinel)!r}\n"
    wrong_both = dict(CORRECT, rnn_step=WRONG_STEP)
    return {
        "loop": Case("an infinite loop in rnn_step (each test cell times out)",
                     filled(ASSIGNMENT, dict(CORRECT, rnn_step=CORRECT["rnn_step"].replace(
                         '    """', '    while True:\n        pass\n    """', 1))),
                     0, r"CellTimeoutError|time limit"),
        "deaf": Case("a loop that ignores the interrupt (the kernel is stopped)",
                     _with_cell("import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                "while True:\n    pass"), 0, r"ignored the interrupt"),
        "sysexit": Case("sys.exit() in a scratch cell, correct answers",
                        _with_cell("import sys\nsys.exit(1)"), 8),
        "osexit": Case("os._exit(3)", _with_cell("import os\nos._exit(3)"), 0,
                       r"KernelDied.*exit code 3"),
        "crash": Case("a segmentation fault", _with_cell("import ctypes\nctypes.string_at(0)"),
                      0, r"KernelDied.*SIGSEGV"),
        # the cap stops the growth with a MemoryError, but the traceback IPython keeps holds the
        # memory: the tests after it cannot allocate either, as when the learner runs it
        # after the tests: whether tests still pass in the few MiB a runaway leaves below the
        # cap depends on the address-space layout (0 or all points, both seen), so not tested
        "hog": Case("runaway memory in a scratch cell after the tests, correct answers",
                    _with_cell("def grow():\n    hog = []\n    while True:\n"
                               "        hog.append(np.zeros(2**24))\n\n\ngrow()", at=None), 8,
                    r"MemoryError"),
        "flood": Case("50 MB of output and 200,000 lines, correct answers",
                      _with_cell("print('x' * 50_000_000)\nfor i in range(200_000):\n"
                                 "    print(i)"), 8, r"output truncated"),
        "garbage": Case("invalid JSON", b'{"cells": [', 0, r"invalid JSON"),
        "empty": Case("an empty file", b"", 0, r"empty file"),
        "old": Case("nbformat 3, correct answers", _old_format(filled(ASSIGNMENT, CORRECT)), 8),
        "twins": Case("duplicated answer and test cells (same grade ids)", _edit(_duplicated), 8,
                      r"duplicated cells"),
        "retyped": Case("test cells changed to markdown, wrong answers", _edit(_retyped, wrong_both),
                        4),
        "edited": Case("test cells edited to `pass`, wrong rnn_step", _edit(_tests_edited,
                                                                              wrong_both), 4),
        "deleted": Case("test cells deleted, wrong rnn_step", _edit(_tests_deleted, wrong_both), 4),
        "numpy": Case("numpy's comparisons patched, wrong rnn_step",
                      _with_cell(PATCH_NUMPY, wrong_both), 4),
        "checks": Case("the course's checks, hidden_check and AssertionError patched, wrong "
                       "rnn_step (both checks sabotaged: neither is confirmed)",
                       _with_cell(PATCH_CHECKS, wrong_both, at="rnn_step"), 0, r"interfered"),
        "silence": Case("run_cell hijacked so no test runs, wrong rnn_step",
                        _with_cell(SILENCE, wrong_both), 0, r"interfered"),
        "liar": Case("an ndarray subclass and an object with a custom __eq__ as results",
                     filled(ASSIGNMENT, dict(CORRECT, rnn_step=LIAR, rnn_forward="")), 0),
        "snoop": Case("reads the reference, the solutions, the gradebook and other submissions",
                      filled(ASSIGNMENT, dict(CORRECT, rnn_step=paths + SNOOP)), 4),
        "vandal": Case("writes outside its folder and plants symbolic links, correct answers",
                       _with_cell(paths + VANDAL), 8),
    }


def write(case, path):
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        nbformat.write(case.content, str(path))


__all__ = ["ASSIGNMENT", "CORRECT", "Case", "cases", "write", "answer_cells"]
