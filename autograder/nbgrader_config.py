"""nbgrader configuration of the course (loaded by ../nbgrader_config.py).

Layout (all paths relative to the repository root):
  solutions/<assignment>/   nbgrader *source*: the instructor notebooks
  course/<assignment>/      nbgrader *release*: what learners open (generated, committed)
  autograder/submitted/, autograded/, feedback/, gradebook.db   created on demand, git-ignored
"""
import os
import runpy

c = get_config()  # noqa: F821

# The repository's root and the grading limits, from autograder/paths.py beside this file, read by
# its location rather than imported: an `autograder` found elsewhere on sys.path (another
# checkout), or none, must not change or lose this configuration (nbgrader only logs an error in
# a config file and goes on without it).
_paths = runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "paths.py"))
_root = str(_paths["ROOT"])

c.CourseDirectory.root = _root
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = os.path.join("autograder", "submitted")
c.CourseDirectory.autograded_directory = os.path.join("autograder", "autograded")
c.CourseDirectory.feedback_directory = os.path.join("autograder", "feedback")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_root, "autograder", "gradebook.db")

# Per-cell limit while autograding; a cell that runs longer becomes an error output and grading
# goes on with the next cell (and the next learner).
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# nbgrader gives zero to a test cell with *any* stderr output. A correct answer that triggers a
# warning (numpy's "overflow encountered in exp", a DeprecationWarning) must not lose points:
# failures are always raised exceptions, so stderr text that is a warning is dropped.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning"

# Feedback shows the learner's results, never the hidden tests or the graders' mark schemes: the
# hidden tests' source is cleared and the tracebacks they raised are reduced to the message; the
# mark schemes (restored into the autograded notebook from the gradebook) are removed again.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
    "autograder.feedback.HideHiddenTracebacks",  # before ClearHiddenTests: it reads the region
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
]

# Restore test cells that a learner deleted.
c.OverwriteCells.add_missing_cells = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Grading runs learners' code in a sandbox and judges hidden tests outside it (autograder/execute.py,
# sandbox.py, checker.py): nbgrader's own autograde chain with Execute replaced.
c.Autograde.autograde_preprocessors = [
    "autograder.execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.SandboxKernelManager.memory_mb = _paths["MEMORY_MB"]       # per kernel (address space)
c.SandboxKernelManager.cpu_seconds = _paths["CPU_SECONDS"]   # per notebook
