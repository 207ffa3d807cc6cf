"""What a learner sees in the notebook when a visible check fails: the test cell's line and the
message, and where their own code raised if it did; never the frames of the course's checks
(their source would show how the check works and hint at mistakes the learner did not make)."""
import nbformat
from nbclient import NotebookClient

from autograder.paths import ANSI

SETUP = "import numpy as np\nfrom rnncourse import checks"
NO_TANH = ("def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
           "    return x_t @ W_xh.T + h_prev @ W_hh.T + b_h")
NOT_TRANSPOSED = ("def rnn_step(x_t, h_prev, W_xh, W_hh, b_h):\n"
                  "    return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)")
TEST = '"""rnn_step (4 points): the visible test."""\nchecks.check_rnn_step(rnn_step)'


def failures(*cells):
    """Run the cells in a real kernel; the text of every error output (ANSI codes removed)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    NotebookClient(nb, kernel_name="python3", allow_errors=True, timeout=120).execute()
    return [ANSI.sub("", "\n".join(o.traceback)) for c in nb.cells for o in c.outputs
            if o.output_type == "error"]


def test_a_failed_check_shows_the_cell_line_and_the_message_only():
    wrong, raised = failures(SETUP, NO_TANH, TEST, NOT_TRANSPOSED, TEST)
    assert "----> 2 checks.check_rnn_step(rnn_step)" in wrong
    assert wrong.rstrip().endswith("is tanh missing? The update is h_t = tanh(x_t W_xh^T + "
                                   "h_prev W_hh^T + b_h).")
    # the learner's own line that raised, then the check's explanation
    assert "----> 2     return np.tanh(x_t @ W_xh + h_prev @ W_hh.T + b_h)" in raised
    assert "ValueError: matmul" in raised and "The shapes do not line up" in raised
    for text in (wrong, raised):
        assert "rnncourse" not in text and "interactiveshell" not in text, text
        assert "raise CheckFailure" not in text, text
    assert len(wrong.splitlines()) <= 8, wrong
