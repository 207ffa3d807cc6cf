"""The hidden checks themselves: they pass the reference, fail wrong answers with a message that
names the case, see through objects built to fool comparisons, and grade rnn_forward on its own."""
import types

import numpy as np
import pytest

from autograder.checker import check as check_against_reference
from autograder.feedback import HideHiddenTracebacks
from autograder.lessons import REFERENCE
from rnncourse.grading import HiddenTestFailure


def learners_copy(fn):
    """The reference function with globals of its own, as a learner's notebook would hold it
    (here kernel and checker share one process: swapping the dependencies in the reference's
    own module would reach the checker too)."""
    if not isinstance(fn, types.FunctionType):
        return fn
    return types.FunctionType(fn.__code__, dict(fn.__globals__), fn.__name__, fn.__defaults__,
                              fn.__closure__)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reference_passes(name):
    check_against_reference(name, learners_copy(REFERENCE[name]))


def test_wrong_answer_fails_with_the_case():
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.tanh(x_t @ W_xh.T + h_prev @ W_hh.T)

    with pytest.raises(HiddenTestFailure, match=r"differs .* on a hidden case \(T=1, N=1, D=3, H=5\)"):
        check_against_reference("rnn_step", rnn_step)


def test_objects_that_fool_comparisons_fail():
    class AlwaysEqual(np.ndarray):
        def __eq__(self, other):
            return True

    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        return np.zeros((x_t.shape[0], W_hh.shape[0])).view(AlwaysEqual)

    class Liar:
        shape = None

        def __eq__(self, other):
            return True

    with pytest.raises(HiddenTestFailure, match="differs"):
        check_against_reference("rnn_step", rnn_step)
    with pytest.raises(HiddenTestFailure, match="expected a numpy array"):
        check_against_reference("rnn_step", lambda *args: Liar())


def forward_calling(rnn_step):
    """A learner's notebook namespace: its rnn_step and an rnn_forward that calls it by name."""
    namespace = {"np": np, "rnn_step": rnn_step}
    exec("def rnn_forward(x, h0, W_xh, W_hh, b_h):\n"
         "    hs, h = [], h0\n"
         "    for x_t in x:\n"
         "        h = rnn_step(x_t, h, W_xh, W_hh, b_h)\n"
         "        hs.append(h)\n"
         "    return np.array(hs)\n", namespace)
    return namespace


def test_rnn_forward_is_graded_with_a_correct_step_and_the_learners_step_is_restored():
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):   # wrong: no tanh
        return x_t @ W_xh.T + h_prev @ W_hh.T + b_h

    namespace = forward_calling(rnn_step)
    check_against_reference("rnn_forward", namespace["rnn_forward"])
    assert namespace["rnn_step"] is rnn_step


def test_modified_input_fails():
    def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):
        x_t *= 1.0000001
        return REFERENCE["rnn_step"](x_t / 1.0000001, h_prev, W_xh, W_hh, b_h)

    with pytest.raises(HiddenTestFailure, match="modified its argument x_t"):
        check_against_reference("rnn_step", rnn_step)


def test_feedback_tracebacks_lose_hidden_lines_and_grading_frames():
    from nbformat.v4 import new_code_cell, new_output

    cell = new_code_cell('checks.check(f)\n### BEGIN HIDDEN TESTS\nsecret_call(f)\n### END HIDDEN TESTS')
    cell.outputs = [new_output("error", ename="HiddenTestFailure", evalue="f differs", traceback=[
        "-----",
        "Cell In[3], line 3\n      1 checks.check(f)\n      2 ### BEGIN HIDDEN TESTS\n----> 3 secret_call(f)",
        "File /x/site-packages/autograder/hidden.py:9, in secret_call\n      9 raise Failure",
        "HiddenTestFailure: f differs"])]
    cell, _ = HideHiddenTracebacks().preprocess_cell(cell, {}, 0)
    text = "\n".join(cell.outputs[0].traceback)
    assert "secret_call" not in text and "autograder" not in text and "HIDDEN" not in text
    assert "checks.check(f)" in text and "HiddenTestFailure: f differs" in text
