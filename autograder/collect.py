"""Find a class's submissions and read them: the first phases of `python -m autograder grade`.

The submissions are nbgrader's submitted/ tree (one folder per learner), a folder of notebooks,
or a zip of them as learning-management systems export them (one notebook per learner, the
learner id in the file name: the part matched by --id-pattern). Every file's learner id is
reported; a file without one, a second file for the same id, a file that is not a notebook and a
zip entry whose path leads out of the archive are reported and not graded. Reading a notebook
upgrades it to nbformat 4 and keeps only the first of duplicated cells; a file that cannot be read
is reported with the reason, in a learner's terms, and scored 0.
"""
import dataclasses
import json
import pathlib
import re
import tempfile
import zipfile

import nbformat

from .notebooks import nbgrader_meta, notebook_name
from .paths import ROOT

DEFAULT_ID_PATTERN = r"^(?P<id>[A-Za-z0-9.\-]+?)_"      # "alice_..." -> "alice"


@dataclasses.dataclass
class Submission:
    """One learner's notebook: `student` the learner id, `path` the file, `origin` how the id was
    found (reported)."""
    student: str
    path: pathlib.Path
    origin: str
    notebook: object = None     # the nbformat 4 notebook, once read


@dataclasses.dataclass
class Collected:
    submissions: list
    problems: list          # (file or student, reason) not graded
    missing: list = dataclasses.field(default_factory=list)   # learners without a notebook


def collect(assignment, source=None, id_pattern=DEFAULT_ID_PATTERN, workdir=None):
    """The submissions of `assignment` in `source` (see the module docstring)."""
    source = pathlib.Path(source) if source else ROOT / "autograder" / "submitted"
    skipped = []                # (file, reason): files of the submissions that are not graded
    if source.suffix == ".zip":
        source = _unzip(source, pathlib.Path(workdir or tempfile.mkdtemp()) / "unzipped", skipped)
    if not source.is_dir():
        raise SystemExit(f"no submissions at {source}")
    tree = [d for d in sorted(source.iterdir()) if (d / assignment).is_dir()]
    if tree:
        collected = _from_tree(assignment, tree)
    else:
        collected = _from_files(sorted(source.glob("*.ipynb")), id_pattern)
        skipped += [(path.name, f"not a notebook ({path.suffix or 'no extension'}); not graded")
                    for path in sorted(source.iterdir())
                    if path.is_file() and path.suffix != ".ipynb"]
    collected.problems[:0] = skipped
    return collected


def _unzip(archive_path, target, skipped):
    """Extract the files of a zip flat into `target` (an LMS export has one notebook per learner);
    an entry whose path leads out of the archive is added to `skipped` instead."""
    target.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive_path) as archive:
        for member in archive.namelist():
            if member.endswith("/"):
                continue
            if member.startswith(("/", "..")) or "/../" in member:
                skipped.append((member, "not extracted: its path leads out of the "
                                        "archive's folder; not graded"))
                continue
            (target / pathlib.Path(member).name).write_bytes(archive.read(member))
    return target


def _from_tree(assignment, student_dirs):
    found, problems = [], []
    for folder in student_dirs:
        notebooks = sorted((folder / assignment).glob("*.ipynb"))
        expected = folder / assignment / notebook_name(assignment)
        if expected.exists():
            found.append(Submission(folder.name, expected, "submitted/ tree"))
        elif len(notebooks) == 1:
            found.append(Submission(folder.name, notebooks[0],
                                    f"submitted/ tree, renamed notebook {notebooks[0].name}"))
        else:
            problems.append((folder.name, f"no notebook {expected.name} in its folder "
                                          f"({len(notebooks)} other notebooks); scored 0"))
    return Collected(found, problems, [who for who, _ in problems])


def _from_files(files, id_pattern):
    pattern = re.compile(id_pattern)
    by_id, problems = {}, []
    for path in files:
        match = pattern.search(path.name)
        if match:
            by_id.setdefault(match.group("id"), []).append(path)
        else:
            problems.append((path.name, f"no learner id in the file name (--id-pattern "
                                        f"{id_pattern!r})"))
    found = []
    for student, paths in by_id.items():
        if len(paths) > 1:
            names = ", ".join(p.name for p in paths)
            problems.append((student, f"{len(paths)} files for one learner ({names}); none "
                                      "graded rather than one guessed"))
        else:
            found.append(Submission(student, paths[0], f"{paths[0].name} -> {student}"))
    return Collected(found, problems)


def read_submissions(submissions):
    """Read every submission's notebook into `.notebook` (nbformat 4, duplicated cells made
    plain): (the readable submissions, the learner ids of the unreadable ones, [(learner,
    reason)] to report: duplicated cells, or why a file could not be read)."""
    readable, unreadable, problems = [], set(), []
    for sub in submissions:
        try:
            sub.notebook, version = read_submission(sub.path)
        except ValueError as err:
            unreadable.add(sub.student)
            problems.append((sub.student, f"{sub.path.name}: {err}; scored 0"))
            continue
        readable.append(sub)
        copies = deduplicate(sub.notebook)
        if copies:
            problems.append((sub.student, f"duplicated cells: later copies of "
                                          f"{', '.join(sorted(set(copies)))} are not "
                                          "graded (the first copy is)"))
        if version != 4:
            sub.origin += f" (nbformat {version}, upgraded to 4)"
    return readable, unreadable, problems


def read_submission(path):
    """(notebook, the nbformat version it was submitted in): the notebook at `path` as nbformat 4,
    or raise ValueError with the reason in a learner's
    terms (empty file, invalid JSON, not a notebook, unsupported nbformat)."""
    data = pathlib.Path(path).read_bytes()
    if not data.strip():
        raise ValueError("empty file (0 notebook cells)")
    text = data.decode("utf-8", errors="replace")
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"invalid JSON ({err.msg} at line {err.lineno})") from None
    if not isinstance(raw, dict) or "nbformat" not in raw:
        raise ValueError("not a notebook (a JSON file without 'nbformat')")
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:                 # nbformat's reader: unknown version, broken cells
        raise ValueError(f"not a readable notebook ({type(err).__name__}: {err})") from None
    if not isinstance(nb.get("cells"), list):
        raise ValueError("not a notebook (no list of cells)")
    return nb, raw.get("nbformat")


def deduplicate(nb):
    """Remove the grading marks from later copies of a cell whose grade id came before (a
    copy-pasted answer or test cell): the first copy is graded, the copies run as plain code.
    nbgrader's own DeduplicateIds leaves half the marks and then fails on the notebook.
    Returns the duplicated ids."""
    seen, duplicated = set(), []
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id")
        if grade_id is None:
            continue
        if grade_id in seen:
            del cell.metadata["nbgrader"]
            duplicated.append(grade_id)
        seen.add(grade_id)
    return duplicated
