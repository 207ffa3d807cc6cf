"""The hidden tests over the checker's socket (autograder/checker.py + rnncourse/grading.py):
the same verdicts and messages for a kernel as for a function of this process, plain data only across the wire, reference
functions only for the checked function's own dependencies, and every verdict remembered."""
import gc
import os
import socket

import numpy as np
import pytest

from autograder.checker import Checker
from autograder.checker import check as check_against_reference
from autograder.lessons import REFERENCE
from rnncourse import grading
from rnncourse.grading import hidden_check
from test_hidden_checks import forward_calling, learners_copy


@pytest.fixture
def checker(monkeypatch):
    running = Checker().start()
    running.cell = 7
    for key, value in running.environment().items():
        monkeypatch.setenv(key, value)
    yield running
    running.stop()


def message(check, name, fn):
    with pytest.raises(AssertionError) as failure:
        check(name, fn)
    return str(failure.value)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_passes_over_the_socket(checker, name):
    hidden_check(name, learners_copy(REFERENCE[name]))
    assert checker.verdicts[-1][:3] == (7, name, True)


def test_a_wrong_answer_gets_the_same_message_as_in_one_process(checker):
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)

    remote = message(hidden_check, "rnn_step", rnn_step)
    os.environ.pop(grading.ENVIRONMENT)
    assert remote == message(check_against_reference, "rnn_step", rnn_step)
    assert "on a hidden case (T=1, N=1, D=3, H=5)" in remote
    assert checker.verdicts[-1][:3] == (7, "rnn_step", False)


def test_objects_that_fool_comparisons_cross_as_plain_data(checker):
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    class Liar:
        def __eq__(self, other):
            return True

    assert "differs" in message(hidden_check, "rnn_step", lambda x, h, *w: np.zeros(
        (x.shape[0], h.shape[1])).view(AlwaysEqual))
    assert "is a Liar, expected a numpy array" in message(hidden_check, "rnn_step",
                                                          lambda *args: Liar())


def test_dependencies_are_the_reference_and_the_learners_own_come_back(checker):
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):   # wrong: no tanh
        return x_t @ W_xh.T + h_prev @ W_hh.T + b_h

    namespace = forward_calling(rnn_step)
    hidden_check("rnn_forward", namespace["rnn_forward"])
    assert namespace["rnn_step"] is rnn_step


def test_the_reference_of_the_checked_function_itself_is_refused(checker):
    """A learner's function that finds the connection and asks for the reference of the very
    function being checked gets a refusal, not the answer."""
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        for obj in gc.get_objects():
            if isinstance(obj, socket.socket) and obj.family == socket.AF_UNIX \
                    and obj.fileno() != -1:
                try:
                    grading.send(obj, {"op": "reference", "name": "rnn_step",
                                       "args": [grading.encode(a) for a in
                                                (x_t, h_prev, W_xh, W_hh, b_h)]})
                    reply = grading.receive(obj)
                except OSError:
                    continue
                if reply["op"] == "value":
                    return grading.decode(reply["value"])
                raise RuntimeError(reply["message"])
        raise RuntimeError("no connection found")

    assert "rnn_step is not available here" in message(hidden_check, "rnn_step", rnn_step)


def test_modified_input_is_seen_across_the_socket(checker):
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        x_t *= 1.0000001
        return REFERENCE["rnn_step"](x_t / 1.0000001, h_prev, W_xh, W_hh, b_h)

    assert "modified its argument x_t" in message(hidden_check, "rnn_step", rnn_step)


def test_randomness_from_numpys_global_state_is_caught_remotely(checker):
    def adding_problem(T, N, rng):
        values = np.random.rand(T, N)
        markers = np.zeros((T, N))
        markers[0], markers[T // 2] = 1, 1
        return np.stack([values, markers], axis=2), (values * markers).sum(axis=0)[:, None]

    assert "rng" in message(hidden_check, "adding_problem", adding_problem)


def test_a_graded_value_is_sent_as_data(checker):
    hidden_check("baseline_mse", 1 / 6)
    assert "expected value" in message(hidden_check, "baseline_mse", 0.17)
    assert "should be a number" in message(hidden_check, "baseline_mse", lambda: 1 / 6)


def test_a_wrong_token_gets_no_verdict(checker, monkeypatch):
    name, _ = os.environ[grading.ENVIRONMENT].rsplit("|", 1)
    monkeypatch.setenv(grading.ENVIRONMENT, f"{name}|forged")
    with pytest.raises(ConnectionError):
        hidden_check("rnn_step", REFERENCE["rnn_step"])
    assert checker.verdicts == []


def test_hidden_failures_are_one_class_on_both_sides():
    """A miss judged by the checker reaches the caller as the learner package's class."""
    with pytest.raises(grading.HiddenTestFailure, match="differs"):
        check_against_reference("rnn_step", lambda x_t, h_prev, W_xh, W_hh, b_h: x_t @ W_xh.T)


def test_a_dependency_called_with_keyword_arguments_is_served(checker):
    """A correct rnn_forward that calls rnn_step (replaced by the checker's reference) with
    keyword arguments passes; a call that Python would refuse fails with Python's own
    TypeError, as it would in the learner's notebook."""
    namespace = {"np": np}
    exec("def rnn_forward(x, h0, W_xh, W_hh, b_h):\n"
         "    hs, h = [], h0\n"
         "    for x_t in x:\n"
         "        h = rnn_step(b_h=b_h, W_hh=W_hh, x_t=x_t, W_xh=W_xh, h_prev=h)\n"
         "        hs.append(h)\n"
         "    return np.array(hs)\n"
         "def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
         "    raise NotImplementedError()\n", namespace)
    hidden_check("rnn_forward", namespace["rnn_forward"])
    assert checker.verdicts[-1][:3] == (7, "rnn_forward", True)
    exec("def rnn_forward(x, h0, W_xh, W_hh, b_h):\n"
         "    return np.array([rnn_step(x_t, h0, W_xh, W_hh, bias=b_h) for x_t in x])\n", namespace)
    assert "TypeError" in message(hidden_check, "rnn_forward", namespace["rnn_forward"])
    assert checker.verdicts[-1][:3] == (7, "rnn_forward", False)
