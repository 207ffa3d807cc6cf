"""Feedback preprocessing: hidden tests leave no trace in what learners get back.

nbgrader's ClearHiddenTests removes the hidden source from feedback, but an error raised by a
hidden test still carries a traceback that quotes that source (and the grading side's frames).
HideHiddenTracebacks, placed before ClearHiddenTests in GenerateFeedback's chain, drops those
traceback entries and keeps the exception's own message, which names the failed case.
"""
import re

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from .paths import ANSI


def region_lines(source, begin, end):
    """The stripped, non-empty lines of `source` between the begin and end markers."""
    lines, inside = [], False
    for line in source.splitlines():
        if begin in line:
            inside = True
        elif end in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


class HideHiddenTracebacks(NbGraderPreprocessor):
    """Remove hidden-test source and grading-side frames from the tracebacks of test cells.

    Must run before ClearHiddenTests, while the hidden region is still in the cell's source: a
    traceback entry of the cell itself keeps its lines except those quoting the hidden region;
    an entry of a frame inside the grading package is dropped whole."""

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)
    end_test_delimeter = Unicode("END HIDDEN TESTS").tag(config=True)
    # the grading package, and the learner package's side of the hidden tests (the frame that
    # raises the checker's verdict)
    grading_paths = List(Unicode(), [
        "autograder/", "rnncourse/grading.py", "rnncourse/protocol.py"]).tag(config=True)

    def _grading_frame(self, entry):
        text = ANSI.sub("", entry).replace("\\", "/")
        return any(re.search(r"/" + re.escape(path), text) for path in self.grading_paths)

    def _scrub(self, entry, secret):
        keep = []
        for line in entry.split("\n"):
            text = ANSI.sub("", line)
            if self.begin_test_delimeter in text or self.end_test_delimeter in text or \
                    any(s in text for s in secret):
                continue
            keep.append(line)
        return "\n".join(keep)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code" or self.begin_test_delimeter not in cell.source:
            return cell, resources
        secret = region_lines(cell.source, self.begin_test_delimeter, self.end_test_delimeter)
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            entries = output.get("traceback", [])
            kept = [self._scrub(e, secret) for e in entries if not self._grading_frame(e)]
            if len(kept) != len(entries):
                kept.insert(max(len(kept) - 1, 0), "(raised by a hidden test)")
            output["traceback"] = kept
        return cell, resources
