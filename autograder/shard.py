"""One nbgrader process for one shard of a class (run by autograder/grade.py in the shard's course
folder, where nbgrader_config.py lives):

    python -m autograder.shard register ASSIGNMENT --release DIR
    python -m autograder.shard grade ASSIGNMENT STUDENT... [--feedback] --result FILE.json
                                     [--wait-for GRADEBOOK]

`register` records the assignment in the gradebook (nbgrader's generate_assignment). `grade`
autogrades the shard's learners one after another and then writes their feedback, all through
nbgrader's own NbGraderAPI in this one process: one interpreter start and one import of nbgrader
per shard instead of one per nbgrader command. FILE.json gets, per learner, whether autograde and
feedback succeeded and, if not, nbgrader's log and traceback; a line "graded STUDENT" on stdout
follows every learner. With --wait-for, the process imports nbgrader first and then waits until
that file exists (the shard's gradebook, which the grading command copies from the template once
the assignment is registered there): the interpreter start and the imports overlap registration.
"""
import argparse
import json
import pathlib
import sys
import time

from autograder.nbgrader_command import lighten

lighten()           # nbgrader imports 1.7 s faster (see autograder/nbgrader_command.py)


def api(**overrides):
    """nbgrader's API configured by ./nbgrader_config.py (and `overrides` {"Section.trait": v})."""
    from nbgrader.apps import NbGraderAPI
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(pathlib.Path.cwd())).load_config()
    for key, value in overrides.items():
        section, trait = key.split(".")
        setattr(config[section], trait, value)
    return NbGraderAPI(config=config)


def alembic_head():
    """The gradebook schema's alembic revision, read from nbgrader's migration scripts in this
    process. nbgrader stamps every new gradebook with it by running `alembic heads` as a
    subprocess, which took 3.7 s on this machine: every template and shard gradebook is new."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    return ScriptDirectory.from_config(config).get_current_head()


def register(assignment, release):
    import nbgrader.api

    nbgrader.api.get_alembic_version = alembic_head   # the same answer without the subprocess
    result = api(**{"CourseDirectory.release_directory": release}).generate_assignment(
        assignment, force=True, create=True)
    if not result["success"]:
        sys.stderr.write(result.get("log", "") + result.get("error", ""))
        return 1
    return 0


def grade(assignment, students, feedback, result_path, wait_for=None):
    grader = api()          # the slow imports, while the gradebook is prepared (no database yet)
    while wait_for and not pathlib.Path(wait_for).exists():
        time.sleep(0.02)
    results = {}
    for student in students:
        started = time.perf_counter()
        outcome = grader.autograde(assignment, student, force=True, create=True)
        results[student] = {"autograde": outcome["success"],
                            "seconds": time.perf_counter() - started,
                            "log": "" if outcome["success"] else outcome.get("log", "") +
                            outcome.get("error", "")}
        print(f"graded {student}", flush=True)
    if feedback:
        for student in students:
            if results[student]["autograde"]:
                outcome = grader.generate_feedback(assignment, student, force=True)
                results[student]["feedback"] = outcome["success"]
                if not outcome["success"]:
                    results[student]["log"] += outcome.get("log", "") + outcome.get("error", "")
    pathlib.Path(result_path).write_text(json.dumps(results, indent=1))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    reg = commands.add_parser("register")
    reg.add_argument("assignment")
    reg.add_argument("--release", required=True)
    run = commands.add_parser("grade")
    run.add_argument("assignment")
    run.add_argument("students", nargs="+")
    run.add_argument("--feedback", action="store_true")
    run.add_argument("--result", required=True)
    run.add_argument("--wait-for", help="a file to wait for before grading")
    args = parser.parse_args(argv)
    if args.command == "register":
        return register(args.assignment, args.release)
    return grade(args.assignment, args.students, args.feedback, args.result, args.wait_for)


if __name__ == "__main__":
    sys.exit(main())
