"""Stock nbgrader's command line, started faster:

    python -m autograder.nbgrader_command ARGS     # the same as `python -m nbgrader ARGS`

nbgrader's own `main`, with one optional import left out: jsonschema imports the RFC 3987
format checker when it is installed, and rfc3987-syntax builds a grammar at import (`import
nbgrader` took 3.0 s with it and 1.3 s without, on this machine) for a format nbgrader never
validates; without it, that format is simply not checked. The course's grading processes
(autograder/shard.py) leave it out the same way (`lighten`).
"""
import sys


def lighten():
    """Leave out the RFC 3987 checker of every later import in this process."""
    sys.modules.setdefault("rfc3987_syntax", None)


if __name__ == "__main__":
    lighten()
    from nbgrader.apps.nbgraderapp import main
    sys.exit(main())
