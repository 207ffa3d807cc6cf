"""Where the course lives and the grading limits: each constant of the grading side, once.

The sandbox (autograder/sandbox.py), the kernel manager (execute.py), the grading command
(grade.py), the release (release.py), feedback (feedback.py), the class report (report.py) and the
course configuration (nbgrader_config.py) read them from here. nbgrader_config.py runs this file
by its location (not as a module of a package), so it imports nothing but the standard library.
"""
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent     # the course repository

# the limits of one grading kernel (autograder/sandbox.py; SandboxKernelManager's defaults)
MEMORY_MB = 3072            # address space, MiB
CPU_SECONDS = 600           # CPU time of one graded notebook, seconds
FILE_MB = 64                # largest file it may write, MiB
TMP_MB = 256                # its private /tmp, MiB
PROCESSES = 64              # processes and threads of its user

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")               # terminal colours in tracebacks
