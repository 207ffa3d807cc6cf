import os
import sys

# Kernels, nbgrader and alembic come from the environment that runs the tests, whatever the
# user's own Jupyter setup says.
os.environ["JUPYTER_PREFER_ENV_PATH"] = "1"
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
sys.path.insert(0, os.path.dirname(__file__))

import pytest  # noqa: E402

# The browser tests' shared fixtures (one JupyterLab server and one Chromium for the session) and
# their failure reports: tests/browser.py.
from browser import chromium, lab_page, learner_server, attach_failure_sections  # noqa: E402,F401


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed test that used a JupyterLab server or page gets the server log and the browser's
    console errors in its report."""
    outcome = yield
    attach_failure_sections(item, outcome.get_result())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Make `--dist loadgroup` group the tests marked `xdist_group` (one worker per group) with
    pytest 9.2: pytest-xdist 3.8 groups by appending "@group" to each item's `_nodeid` on the
    workers, which pytest 9.2 no longer reads (a Node keeps its id in `_id`, a NodeId), so every
    group was spread over all workers. Does what xdist does, where xdist's own attempt had no
    effect; nothing without --dist loadgroup or where xdist's suffix took."""
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(names)
        if not names or item.nodeid.endswith(suffix) or not hasattr(item, "_id"):
            continue
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(item.nodeid + suffix)
