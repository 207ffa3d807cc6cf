"""A class report for one assignment: one self-contained HTML file (plots embedded as PNG data
URIs, no JavaScript, no other files) that an instructor reads after `python -m autograder grade`.

It shows the score distribution, the pass rate of every test, each test's most common failure
message, how long each submission took to run, how many cells still wait for a human grader, and
every submission that needs attention. The figures come from `summarise`, which reads the
gradebook and the autograded notebooks; `write_report` only lays them out.

Everything a learner could have written (failure messages come from learners' code, learner ids
and file names from an upload) is HTML-escaped.
"""
import base64
import collections
import datetime
import html
import io
import pathlib
import re
import statistics

import nbformat
import numpy as np
from nbgrader.api import Gradebook, MissingEntry

from rnncourse.plots import OKABE_ITO, new_figure

from .notebooks import nbgrader_meta, notebook_name
from .paths import ANSI
NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
TEST_PREFIX = "test_"
FULL = 1e-9                     # a test has full points when score >= max_score - FULL


# --------------------------------------------------------------------------------------------
# What the report says
# --------------------------------------------------------------------------------------------

def _is_test(grade):
    return grade.name.startswith(TEST_PREFIX) and grade.cell_type == "code"


def _failure_message(cell):
    """`ename: evalue` (first line, colour codes removed) of a cell's first error output, or None."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            ename = ANSI.sub("", str(output.get("ename", ""))).strip()
            lines = ANSI.sub("", str(output.get("evalue", ""))).strip().splitlines()
            evalue = lines[0].strip() if lines else ""
            return f"{ename}: {evalue}" if evalue else (ename or "error")
    return None


def _time(text):
    try:
        return datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None


def runtime(nb):
    """Seconds from the first cell's `iopub.execute_input` to the last `shell.execute_reply`
    recorded by nbclient in the cells' metadata.execution; None if they are missing."""
    starts, ends = [], []
    for cell in nb.cells:
        execution = cell.get("metadata", {}).get("execution", {})
        start = _time(execution.get("iopub.execute_input"))
        end = _time(execution.get("shell.execute_reply"))
        if start is not None:
            starts.append(start)
        if end is not None:
            ends.append(end)
    if not starts or not ends:
        return None
    try:
        return (max(ends) - min(starts)).total_seconds()
    except TypeError:           # naive and aware timestamps mixed
        return None


def read_autograded(path):
    """(test names in notebook order, {test: failure message or None}, runtime) of one autograded
    notebook."""
    nb = nbformat.read(str(path), as_version=4)
    order, messages = [], {}
    for cell in nb.cells:
        grade_id = nbgrader_meta(cell).get("grade_id", "")
        if cell.cell_type == "code" and grade_id.startswith(TEST_PREFIX):
            order.append(grade_id)
            messages[grade_id] = _failure_message(cell)
    return order, messages, runtime(nb)


def _histogram(scores, max_score):
    """Counts of total scores: one bin per point up to 30 points (centred on whole points),
    else 20 equal bins over [0, max_score]."""
    top = max([max_score or 0.0] + list(scores))
    if top <= 30:
        edges = np.arange(0, np.floor(top) + 2) - 0.5
    else:
        edges = np.linspace(0, top, 21)
    counts, _ = np.histogram(list(scores), bins=edges)
    return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}


def _most_common(messages):
    """(message, count) of the commonest failure, counting messages that differ only in their
    numbers (shapes, differences) as one; the exact text shown is its commonest variant."""
    groups = collections.defaultdict(list)
    for message in messages:
        groups[NUMBER.sub("#", message)].append(message)
    if not groups:
        return None, 0
    best = max(groups.values(), key=len)         # first of the largest: stable for ties
    return collections.Counter(best).most_common(1)[0][0], len(best)


def summarise(assignment, db_url, autograded_dir, problems=()):
    """The figures of the class report, as a dict:

    assignment, max_score; learners (sorted ids of the submissions in the gradebook);
    scores {learner: total}; histogram {edges, counts} of the totals;
    tests (test cell names, notebook order); test_max {test: points};
    passed {test: [learners with full points]}; pass_rate {test: share of submissions};
    messages {learner: {test: failure message}} (failed tests with an error output only);
    failures {test: {failed, message, count, learners}}: how many lacked full points, the most
    common failure message, how many had it and who;
    runtimes {learner: seconds or None}; median_runtime (None without any);
    manual_pending (grades needing a human grader), manual_pending_learners;
    attention [(who, reason)]: `problems` as given, then submissions whose autograded notebook
    is missing or unreadable, or which scored 0 with an error in every test cell.
    """
    book = _read_gradebook(assignment, db_url)
    learners = sorted(book["scores"])
    seen = _read_notebooks(assignment, pathlib.Path(autograded_dir), book["scores"], problems)
    grades = book["grades"]
    tests = seen["order"] + sorted({t for g in grades.values() for t in g} - set(seen["order"]))
    passed = {t: [s for s in learners if t in grades[s] and
                  grades[s][t][0] >= grades[s][t][1] - FULL] for t in tests}
    known = [r for r in seen["runtimes"].values() if r is not None]
    return {
        "assignment": assignment,
        "max_score": book["max_score"],
        "learners": learners,
        "scores": {s: book["scores"][s] for s in learners},
        "histogram": _histogram(book["scores"].values(), book["max_score"]),
        "tests": tests,
        "test_max": _test_max(grades),
        "passed": passed,
        "pass_rate": {t: (len(passed[t]) / len(learners) if learners else 0.0) for t in tests},
        "messages": seen["messages"],
        "failures": {t: _failures(t, learners, passed[t], seen["messages"]) for t in tests},
        "runtimes": seen["runtimes"],
        "median_runtime": statistics.median(known) if known else None,
        "manual_pending": book["pending"],
        "manual_pending_learners": sorted(book["pending_learners"]),
        "attention": seen["attention"],
    }


def _read_gradebook(assignment, db_url):
    """From the gradebook: max_score; scores {learner: total}; grades {learner: {test: (score,
    points)}}; pending (grades waiting for a human grader) and pending_learners."""
    scores, grades, pending, pending_learners = {}, {}, 0, []
    max_score = 0.0
    with Gradebook(db_url) as gb:
        try:
            max_score = float(gb.find_assignment(assignment).max_score or 0.0)
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            submissions = []
        for sub in submissions:
            student = sub.student.id
            scores[student] = float(sub.score or 0.0)
            grades[student] = {}
            waiting = 0
            for notebook in sub.notebooks:
                for g in notebook.grades:
                    if _is_test(g):
                        grades[student][g.name] = (float(g.score or 0.0),
                                                   float(g.max_score or 0.0))
                    if g.needs_manual_grade:
                        waiting += 1
            pending += waiting
            if waiting:
                pending_learners.append(student)
    return {"max_score": max_score, "scores": scores, "grades": grades, "pending": pending,
            "pending_learners": pending_learners}


def _read_notebooks(assignment, autograded_dir, scores, problems):
    """From every learner's autograded notebook: order (test names, notebook order); messages
    {learner: {test: failure message}}; runtimes {learner: seconds or None}; attention:
    `problems`, then the notebooks missing or unreadable, and every test failed with score 0."""
    order, messages, runtimes, attention = [], {}, {}, [tuple(p) for p in problems]
    for student in sorted(scores):
        path = autograded_dir / student / assignment / notebook_name(assignment)
        messages[student], runtimes[student] = {}, None
        if not path.exists():
            if not any(who == student for who, _ in attention):     # no reason given yet
                attention.append((student, f"autograded notebook missing ({path.name} not in "
                                           f"{path.parent})"))
            continue
        try:
            cells, found, seconds = read_autograded(path)
        except Exception as err:                        # noqa: BLE001 - reported, not raised
            attention.append((student, f"autograded notebook unreadable: "
                                       f"{type(err).__name__}: {err}"))
            continue
        order += [name for name in cells if name not in order]
        messages[student] = {t: m for t, m in found.items() if m is not None}
        runtimes[student] = seconds
        if cells and scores[student] == 0 and all(found[t] is not None for t in cells):
            attention.append((student, f"every test failed: {found[cells[0]]}"))
    return {"order": order, "messages": messages, "runtimes": runtimes, "attention": attention}


def _test_max(grades):
    """{test: points}, from the first learner's grades that have the test."""
    test_max = {}
    for g in grades.values():
        for t, (_, top) in g.items():
            test_max.setdefault(t, top)
    return test_max


def _failures(test, learners, passed, messages):
    """{failed, message, count, learners} of one test (see `summarise`)."""
    failed = [s for s in learners if s not in passed]
    message, count = _most_common([messages[s][test] for s in failed if test in messages[s]])
    who = [s for s in failed if message is not None and test in messages[s] and
           NUMBER.sub("#", messages[s][test]) == NUMBER.sub("#", message)]
    return {"failed": len(failed), "message": message, "count": count, "learners": who}


# --------------------------------------------------------------------------------------------
# Plots
# --------------------------------------------------------------------------------------------

def _png(fig):
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _style(ax):
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)


def _empty(ax, text="no submissions"):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_xticks([])
    ax.set_yticks([])


def plot_scores(summary):
    fig = new_figure(7.0, 3.6)
    ax = fig.add_subplot()
    hist = summary["histogram"]
    edges, counts = np.array(hist["edges"]), np.array(hist["counts"])
    if counts.sum():
        ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge", color=OKABE_ITO[0],
               edgecolor="white")
        ax.set_xlim(edges[0], edges[-1])
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_xlabel(f"total score (out of {summary['max_score']:g})")
        ax.set_ylabel("submissions")
    else:
        _empty(ax)
    _style(ax)
    return _png(fig)


def plot_pass_rates(summary):
    tests = summary["tests"]
    fig = new_figure(7.0, 0.6 + 0.45 * max(len(tests), 2))
    ax = fig.add_subplot()
    if tests and summary["learners"]:
        rates = [100 * summary["pass_rate"][t] for t in tests]
        y = np.arange(len(tests))
        ax.barh(y, rates, color=OKABE_ITO[2])
        ax.set_yticks(y, tests)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xlabel("submissions with full points (%)")
        for yi, rate in zip(y, rates):
            ax.text(min(rate + 1, 92), yi, f"{rate:.0f}%", va="center")
    else:
        _empty(ax)
    _style(ax)
    return _png(fig)


def plot_runtimes(summary):
    fig = new_figure(7.0, 3.6)
    ax = fig.add_subplot()
    known = {s: r for s, r in summary["runtimes"].items() if r is not None}
    if not known:
        _empty(ax, "no runtimes recorded")
    elif len(known) <= 40:
        names = sorted(known)
        ax.bar(range(len(names)), [known[s] for s in names], color=OKABE_ITO[5])
        ax.set_xticks(range(len(names)), names, rotation=60 if len(names) > 8 else 0,
                      ha="right" if len(names) > 8 else "center")
        ax.set_ylabel("runtime (s)")
    else:
        ax.hist(list(known.values()), bins=20, color=OKABE_ITO[5], edgecolor="white")
        ax.set_xlabel("runtime (s)")
        ax.set_ylabel("submissions")
    median = summary["median_runtime"]
    if median is not None:
        line = ax.axhline if len(known) <= 40 else ax.axvline
        line(median, color=OKABE_ITO[3], linestyle="--", label=f"median {median:.1f} s")
        ax.legend(frameon=False)
    _style(ax)
    return _png(fig)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem;
       margin: 2rem auto; padding: 0 1rem; color: #222; line-height: 1.45; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem;
     border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
p.what { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
code { font-size: .9em; overflow-wrap: anywhere; }
img { max-width: 100%; height: auto; }
.msg { color: #555; font-size: .9em; }
.ok { color: #009E73; } .warn { color: #D55E00; }
"""


def _e(value):
    return html.escape(str(value), quote=True)


def _table(header, rows, numeric=()):
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in header) + "</tr>"]
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            klass = ' class="num"' if i in numeric else ""
            cells.append(f"<td{klass}>{cell}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _img(data, alt):
    return f'<img src="data:image/png;base64,{data}" alt="{_e(alt)}">'


def _seconds(value):
    return "—" if value is None else f"{value:.1f}"


def render(summary, title=None):
    """The report's HTML for a `summarise` dict: a heading, then one section per part."""
    title = title or f"Class report: {summary['assignment']}"
    parts = _heading(summary, title)
    for section in SECTIONS:
        parts += section(summary)
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _heading(summary, title):
    """The document's head and its first paragraph: how many, mean and median, when."""
    scores = list(summary["scores"].values())
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>", f"<style>{CSS}</style>", "</head>", "<body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{len(summary['learners'])} graded submissions of "
        f"<code>{_e(summary['assignment'])}</code>"
        + (f", mean score {statistics.mean(scores):.2f} and median "
           f"{statistics.median(scores):g} out of {summary['max_score']:g}" if scores else "")
        + f"; needing attention: {len(summary['attention'])}. Written {_e(stamp)}.</p>",
    ]


def _section(heading, what):
    return [f"<h2>{heading}</h2>", f"<p class=\"what\">{what}</p>"]


def _score_distribution(summary):
    return _section("Score distribution", "How many submissions reached each total score.") + [
        _img(plot_scores(summary), "histogram of total scores")]


def _pass_rates(summary):
    return _section("Pass rate per test",
                    "The share of submissions with full points on each test.") + [
        _img(plot_pass_rates(summary), "pass rate per test")]


def _common_failures(summary):
    rows = []
    for t in summary["tests"]:
        f = summary["failures"][t]
        message = (f"<code>{_e(f['message'])}</code>" if f["message"] is not None
                   else ("—" if not f["failed"] else "no error message recorded"))
        rows.append([f"<code>{_e(t)}</code>", f"{summary['test_max'].get(t, 0):g}",
                     f"{f['failed']} / {len(summary['learners'])}", message,
                     str(f["count"]) if f["message"] is not None else "—",
                     _e(", ".join(f["learners"])) or "—"])
    return _section("Most common failures",
                    "For each test, how many submissions lost points, the failure message seen "
                    "most often (messages differing only in numbers count as one) and who got "
                    "it.") + [
        _table(["test", "points", "failed", "most common message", "how many", "learners"],
               rows, numeric=(1, 2, 4))]


def _runtime(summary):
    known = [r for r in summary["runtimes"].values() if r is not None]
    median = summary["median_runtime"]
    return _section("Runtime",
                    "Seconds each submission took to run under the autograder, from its first "
                    "cell's start to its last cell's reply; the dashed line is the median"
                    + (f" ({median:.1f} s, longest {max(known):.1f} s)" if known else "")
                    + ".") + [
        _img(plot_runtimes(summary), "runtime per submission")]


def _manual_grading(summary):
    pending = summary["manual_pending"]
    who = summary["manual_pending_learners"]
    return _section("Manual grading",
                    "Cells still waiting for a human grader (written answers, or grades to "
                    "review after a regrade).") + [
        f"<p class=\"{'warn' if pending else 'ok'}\"><strong>{pending}</strong> "
        f"{'cell' if pending == 1 else 'cells'} pending"
        + (f" in {len(who)} submissions: {_e(', '.join(who))}" if who else "") + ".</p>"]


def _attention(summary):
    parts = _section("Needs attention",
                     "Submissions that were not graded, whose graded notebook is missing, or "
                     "where every test failed: check these by hand.")
    if summary["attention"]:
        parts.append(_table(["learner or file", "reason"],
                            [[_e(w), _e(r)] for w, r in summary["attention"]]))
    else:
        parts.append('<p class="ok">Nothing: every submission was graded.</p>')
    return parts


def _all_submissions(summary):
    rows = []
    for s in summary["learners"]:
        failed = []
        for t in summary["tests"]:
            if s in summary["passed"][t]:
                continue
            message = summary["messages"].get(s, {}).get(t)
            failed.append(f"<code>{_e(t)}</code>"
                          + (f": <span class=\"msg\">{_e(message)}</span>" if message else ""))
        rows.append([_e(s), f"{summary['scores'][s]:g} / {summary['max_score']:g}",
                     _seconds(summary["runtimes"].get(s)), "<br>".join(failed) or "—"])
    return _section("All submissions",
                    "Each learner's score, runtime, and the tests without full points with their "
                    "failure messages.") + [
        _table(["learner", "score", "runtime (s)", "tests failed"], rows, numeric=(1, 2))]


# the report's sections, in order
SECTIONS = (_score_distribution, _pass_rates, _common_failures, _runtime, _manual_grading,
            _attention, _all_submissions)


def write_report(path, assignment, db_url, autograded_dir, problems=(), title=None):
    """Write the class report of `assignment` to `path` (one HTML file) and return its path.
    `problems`: [(learner or file, reason)] from `grade()`, listed under "Needs attention"."""
    path = pathlib.Path(path)
    summary = summarise(assignment, db_url, autograded_dir, problems)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(summary, title), encoding="utf-8")
    return path
