"""Regenerate the learners' notebooks (nbgrader *release*) from the instructor's (*source*).

    python -m autograder.release               # solutions/* -> course/*   (what `make release` runs)
    python -m autograder.release 02_bptt       # only the assignments named
    python -m autograder.release --into DIR    # the same into DIR, leaving the gradebook alone

Stock `nbgrader generate_assignment` does the work, one assignment at a time, from the
repository root so that nbgrader_config.py applies. Release folders whose source is gone are
removed, so course/ always mirrors solutions/.
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys

from .paths import ROOT  # the course repository (many tests import it from here)


def assignments(source=ROOT / "solutions"):
    """The assignment ids: the folders of solutions/ that hold their notebook (<id>/<id>.ipynb),
    in order (a lesson still being written, without its notebook, is not released)."""
    return sorted(p.name for p in source.iterdir()
                  if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


def nbgrader_env():
    """The environment for nbgrader subprocesses: this interpreter's bin/ first (alembic), and
    this checkout's grader first on the path (not one the interpreter may have installed from
    another checkout)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def nbgrader(*args, cwd=ROOT, check=True):
    """Run stock nbgrader with this interpreter; returns the CompletedProcess."""
    return subprocess.run([sys.executable, "-m", "autograder.nbgrader_command", *args], cwd=cwd,
                          env=nbgrader_env(), check=check, capture_output=True, text=True)


def release(into=None, only=None):
    """Generate every assignment (or those in `only`) into `into` (default course/, recorded in
    the gradebook)."""
    release_dir = pathlib.Path(into).resolve() if into else ROOT / "course"
    release_dir.mkdir(parents=True, exist_ok=True)
    extra = [f"--CourseDirectory.release_directory={release_dir}"]
    if into:
        extra.append("--no-db")
    ids = assignments()
    unknown = set(only or ()) - set(ids)
    if unknown:
        raise SystemExit(f"no such assignment: {', '.join(sorted(unknown))} (have {', '.join(ids)})")
    for assignment in only or ids:
        result = nbgrader("generate_assignment", assignment, "--force", *extra, check=False)
        if result.returncode != 0:
            sys.stderr.write(result.stdout + result.stderr)
            raise SystemExit(f"nbgrader generate_assignment {assignment} failed")
    for stale in release_dir.iterdir() if not only else ():
        if stale.is_dir() and stale.name not in ids:
            shutil.rmtree(stale)
    return release_dir


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("only", nargs="*", metavar="ASSIGNMENT",
                        help="release only these (default: all)")
    parser.add_argument("--into", help="release folder (default: course/)")
    args = parser.parse_args(argv)
    out = release(args.into, args.only)
    print(f"released {', '.join(args.only or assignments())} into {out}")


if __name__ == "__main__":
    main()
