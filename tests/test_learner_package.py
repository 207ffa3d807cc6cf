"""The learner package helps but never answers: no graded function can be had from it, and its
checks explain each typical mistake in the learner's terms."""
import importlib
import inspect
import pathlib
import pkgutil
import re

import numpy as np
import pytest

import rnncourse
import rnncourse.checks
from autograder.judge import matches
from autograder.lessons import GRADED, REFERENCE, cases
from rnncourse.checks.common import copy_value
from coursekit import ASSIGNMENTS, solution_lines, solutions
from lessons import load


def package_callables():
    """Every function and class defined in rnncourse, private ones included, with its name."""
    found = {}
    for info in pkgutil.walk_packages(rnncourse.__path__, "rnncourse."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and \
                    getattr(obj, "__module__", "").startswith("rnncourse"):
                found[f"{obj.__module__}.{name}"] = obj
    return found


def test_no_graded_name_is_defined_in_the_package():
    names = {qualified.rsplit(".", 1)[1] for qualified in package_callables()}
    assert not names & set(REFERENCE)


def test_no_package_function_computes_a_graded_answer():
    """Call every package callable with every graded function's inputs: none may reproduce the
    reference's result (which would make it a ready-made answer)."""
    hits = []
    deterministic = {name: ref for name, ref in REFERENCE.items()
                     if callable(ref) and not GRADED[name].properties}
    for qualified, fn in package_callables().items():
        for graded, reference in deterministic.items():
            for _, args in cases(graded, seed=7):
                expected = reference(*[copy_value(a) for a in args])
                try:
                    got = fn(*[copy_value(a) for a in args])
                except Exception:
                    continue
                if matches(got, expected):
                    hits.append((qualified, graded))
    assert not hits, f"package functions that compute graded answers: {hits}"


def test_no_package_function_generates_the_adding_problem():
    """The adding problem's data is random, so no value can be compared: no package callable,
    given (T, N, rng), may return data with all of the task's properties."""
    from rnncourse.checks.rnn_vs_lstm import adding_problem_failures

    hits = []
    for qualified, fn in package_callables().items():
        try:
            adding_problem_failures(fn, 10, 4)
        except Exception:
            continue
        hits.append(qualified)
    assert not hits, f"package functions that generate the adding problem: {hits}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_solution_line_in_the_package_source(assignment):
    """No line of a solution in the package's source. Only lines that compute something count:
    loop and branch headers (`for t in range(T):`) and bookkeeping without an operator or a call
    (`T = x.shape[0]`) say nothing about an answer."""
    source = "\n".join(p.read_text() for p in pathlib.Path(rnncourse.__file__).parent.rglob("*.py"))
    header = re.compile(r"^(for|while|if|elif|else|try|with)\b.*:$")
    for name, lines in solution_lines(assignment).items():
        leaked = [line for line in lines if len(line) >= 12 and not header.match(line)
                  and re.search(r"[-+*/@(]", line) and line in source]
        assert not leaked, f"{name}'s solution in rnncourse: {leaked}"


def answer_namespace(assignment, answers):
    """Run the answer cells' code (the solutions, with `answers` swapped in) like a notebook."""
    namespace = {"np": np}
    for name, code in dict(solutions(assignment), **answers).items():
        exec(compile(code, f"<answer {name}>", "exec"), namespace)
    return namespace


def mistake_cases():
    for assignment in ASSIGNMENTS:
        for name, mistakes in load(assignment).MISTAKES.items():
            for label, code in mistakes.items():
                yield pytest.param(assignment, name, label, code, id=f"{name}-{label}")


@pytest.mark.parametrize("assignment, name, label, code", list(mistake_cases()))
def test_visible_check_explains_mistake(assignment, name, label, code):
    namespace = answer_namespace(assignment, {name: code})
    message = load(assignment).MESSAGES.get((name, label))
    checks = load(assignment).CHECKS
    try:
        checks[name](namespace)
    except rnncourse.checks.CheckFailure as failure:
        if message:
            assert message in str(failure), f"said {str(failure)!r}, expected {message!r}"
    else:
        # a few mistakes only the hidden tests can see (other shapes); they must be listed
        assert message is None, f"the visible check passed {label}"
        assert label.startswith("hard_coded"), f"the visible check passed {label}"
    # the other functions' checks are not affected: one mistake, one failed test
    for other, check in checks.items():
        if other != name:
            check(namespace)


# Wordings that say only that something differs, not what: a failure made of them alone names no
# cause and no broken property.
GENERIC = [re.compile(pattern, re.S) for pattern in (
    r"values differ from",
    r"disagree with the numerical gradient",
    r"differs from the recorded answer",
    r"on the recorded case, expected",
    r"^[^\n]*returned shape \([\d, ]*\), expected \([\d, ]*\)\.?$",    # a shape and no hint
    r"^\w+ raised \w+ with (\w+ \([\d, ]*\)(, )?)+\.$",                  # an error and no hint
)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_caught_mistake_is_named(assignment):
    """Every typical mistake that a visible check catches has a MESSAGES entry, the words the
    check must say, and neither those words nor the failure itself is one of the generic
    wordings that only say that values or a shape differ."""
    lesson = load(assignment)
    unlisted, generic = [], []
    for name, mistakes in lesson.MISTAKES.items():
        for label, code in mistakes.items():
            try:
                lesson.CHECKS[name](answer_namespace(assignment, {name: code}))
            except rnncourse.checks.CheckFailure as failure:
                said = str(failure)
            else:
                continue
            message = lesson.MESSAGES.get((name, label))
            if message is None:
                unlisted.append(f"{name}-{label}: {said!r}")
            elif any(p.search(message) or p.search(said) for p in GENERIC):
                generic.append(f"{name}-{label}: {said!r}")
    assert not unlisted, "caught, but no MESSAGES entry:\n" + "\n".join(unlisted)
    assert not generic, "the failure names no cause or property:\n" + "\n".join(generic)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")  # one alternative warns
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_visible_checks_pass_the_solution_and_alternatives(assignment, capsys):
    lesson = load(assignment)
    variants = [{}] + [{name: code} for name, alts in lesson.ALTERNATIVES.items()
                       for code in alts.values()]
    for answers in variants:
        namespace = answer_namespace(assignment, answers)
        for check in lesson.CHECKS.values():
            check(namespace)
        assert capsys.readouterr().out.count("all visible checks passed") == len(lesson.CHECKS)


def test_blank_function_is_named():
    def rnn_step(*args):
        raise NotImplementedError()

    def rnn_forward(x, h0, W_xh, W_hh, b_h):
        return np.array([rnn_step(x_t, h0, W_xh, W_hh, b_h) for x_t in x])

    with pytest.raises(rnncourse.checks.CheckFailure, match="rnn_step is not written yet"):
        rnncourse.checks.check_rnn_step(rnn_step)
    from rnncourse.checks.common import call
    with pytest.raises(rnncourse.checks.CheckFailure, match="calls rnn_step, which is not written"):
        call(rnn_forward, "rnn_forward", {"x": np.zeros((2, 1, 1)), "h0": np.zeros((1, 2)),
                                          "W_xh": np.zeros((2, 1)), "W_hh": np.zeros((2, 2)),
                                          "b_h": np.zeros(2)})
