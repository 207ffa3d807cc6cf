"""The browser tests' machinery: a real JupyterLab server with the settings of JupyterLab's own
UI-test harness (Galata), Debian's Chromium driven by Playwright, and the moves a learner or an
instructor makes in JupyterLab (open a notebook, run it, press a toolbar button, read a dialog).

    server = LabServer(root).start()      # http://127.0.0.1:PORT, no token, log in server.log
    lab = LabPage(browser, server)        # one browser context and JupyterLab workspace
    lab.open_notebook("solved/01_rnn_update/01_rnn_update.ipynb")

Nothing is mocked and nothing is downloaded: the browser is /usr/bin/chromium (Debian's package),
never one of Playwright's builds. A missing browser, a missing `playwright` package or a server
that does not start makes the tests that need them FAIL with what to install; they never skip.
The session's fixtures (`chromium`, `learner_server`) are registered by tests/conftest.py, which
also attaches the server log and the browser's console errors to every failure report.
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import nbformat
import pytest

from autograder.paths import ANSI, ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Generous limits for a slow, noisy two-core machine (in seconds); every wait is on a condition.
SERVER_START = 180         # the server answers /api/status
APP_START = 180            # JupyterLab is loaded and restored in the page
KERNEL_START = 180         # a notebook's kernel is connected and idle
LESSON_RUN = 1200          # "run all cells" on one lesson (lesson 05 trains two networks)
WIDGET_RENDER = 180        # every widget output rendered after the run
EXPLORER_UPDATE = 90       # an explorer's plot after one control moved
VALIDATE = 900             # nbgrader's Validate button: save, run the notebook, show the verdict
STEP = 0.25                # polling interval of the conditions checked from Python
VIEWPORT = {"width": 1400, "height": 1000}   # the browser window of every page

# The learner's id and the course id of the local nbgrader exchange (the course's own
# configuration, autograder.grade.Course, names its course "default_course").
STUDENT = "learner1"
COURSE_ID = "default_course"

# JupyterLab user settings for the tests: no "news?" toast (it appears whatever news_url says),
# every cell attached to the page (no virtual scrolling: widgets below the fold render too), no
# autosave (files written by a test stay as written).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}



class BrowserTestError(AssertionError):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(text, lines=200):
    kept = text.splitlines()[-lines:]
    return "\n".join(kept)


def wait_until(condition, timeout, what, step=STEP, details=None):
    """Poll `condition()` until it returns a truthy value (returned); after `timeout` seconds
    fail with `what` (what was expected) and `details()` (what was seen)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            seen = f"\nseen: {details()}" if details else ""
            raise BrowserTestError(f"timed out after {timeout} s waiting for {what}{seen}")
        time.sleep(step)


# ------------------------------------------------------------------------------------------------
# The server


class LabServer:
    """`jupyter lab` on a free port of 127.0.0.1 over `root`, run from `cwd` (nbgrader reads its
    nbgrader_config.py from the server's working folder), with Galata's test settings: no token,
    no XSRF check, `window.jupyterapp` exposed, no news or update checks, read-only extension
    manager, temporary workspaces and user settings, `--allow-root` when root. Its output goes to
    a log file; stop() always stops it and what it started."""

    def __init__(self, root, cwd=None, name="lab", tmp=None):
        self.root = pathlib.Path(root)
        self.cwd = pathlib.Path(cwd or root)
        self.name = name
        self.tmp = pathlib.Path(tmp or tempfile.mkdtemp(prefix=f"{name}-server-"))
        self.log = self.tmp / "server.log"
        self.process = None
        self.port = None
        self.url = None
        self._pages = 0

    def config_text(self):
        return "\n".join([
            "c = get_config()",
            'c.ServerApp.ip = "127.0.0.1"',
            f"c.ServerApp.port = {self.port}",
            "c.ServerApp.port_retries = 0",
            "c.ServerApp.open_browser = False",
            f"c.ServerApp.root_dir = {str(self.root)!r}",
            'c.IdentityProvider.token = ""',
            "c.ServerApp.disable_check_xsrf = True",
            "c.LabApp.expose_app_in_browser = True",
            f"c.LabApp.workspaces_dir = {str(self.tmp / 'workspaces')!r}",
            "c.LabApp.news_url = None",
            'c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"',
            'c.LabApp.extension_manager = "readonly"',
            "",
        ])

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if k not in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING")}
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        env["JUPYTER_PREFER_ENV_PATH"] = "1"
        env["JUPYTERLAB_SETTINGS_DIR"] = str(self.tmp / "settings")
        env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
        return env

    def start(self):
        (self.tmp / "workspaces").mkdir()
        for plugin, values in LAB_SETTINGS.items():
            path = self.tmp / "settings" / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        for attempt in range(3):          # another process may take the free port first
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
            config = self.tmp / "jupyter_server_test_config.py"
            config.write_text(self.config_text())
            command = [sys.executable, "-m", "jupyterlab", f"--config={config}", "--no-browser"]
            if os.geteuid() == 0:
                command.append("--allow-root")
            with open(self.log, "a") as log:
                log.write(f"$ (cd {self.cwd} && {' '.join(command)})\n")
                log.flush()
                self.process = subprocess.Popen(command, cwd=self.cwd, env=self.env(),
                                                stdin=subprocess.DEVNULL, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
            try:
                wait_until(self._ready, SERVER_START, f"JupyterLab to answer on {self.url}")
                return self
            except BrowserTestError as e:
                exited = self.process.poll() is not None
                self.stop()
                if exited and "already in use" in self.log_text() and attempt < 2:
                    continue
                raise BrowserTestError(f"{e}\n--- server log {self.log}:\n{tail(self.log_text())}")

    def _ready(self):
        if self.process.poll() is not None:
            raise BrowserTestError(f"the JupyterLab server exited with {self.process.returncode} "
                                   f"before answering:\n{tail(self.log_text())}")
        try:
            with urllib.request.urlopen(f"{self.url}/api/status", timeout=5) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()              # a server that started but never answered
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        """SIGTERM (the server shuts its kernels down), then SIGKILL for the server's own process
        group if it does not exit within 30 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=30)

    def log_text(self):
        try:
            return self.log.read_text(errors="replace")
        except OSError as e:
            return f"(no server log: {e})"

    def failure_sections(self):
        return [(f"JupyterLab server log ({self.name}, last 200 lines of {self.log})",
                 tail(self.log_text()))]

    def next_workspace(self):
        self._pages += 1
        return f"test{self._pages}"


# ------------------------------------------------------------------------------------------------
# The browser


def launch_chromium(playwright):
    """Debian's Chromium, or a failure that says how to install it (never a download)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
                    "(`apt-get install -y chromium`; .ci/run installs it). Playwright's own "
                    "browser builds are never used.", pytrace=False)
    try:
        return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                          headless=True)
    except Exception as e:       # noqa: BLE001 - any launch failure is a test failure
        pytest.fail(f"{CHROMIUM} did not start under Playwright: {e}", pytrace=False)


def start_playwright():
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as e:
        pytest.fail(f"the Python package `playwright` is missing ({e}): `pip install -e .` "
                    "installs it (never run `playwright install`)", pytrace=False)
    return sync_playwright().start()


class LabPage:
    """One JupyterLab page on `server`, in a browser context of its own and a fresh workspace
    (nothing restored from another page). Records the browser's console errors for failure
    reports; close() shuts down the kernels this page started."""

    def __init__(self, browser, server):
        self.server = server
        self.console = []
        self.context = browser.new_context(viewport=VIEWPORT)
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)
        self.page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.console.append(f"page error: {e}"))
        url = f"{server.url}/lab/workspaces/{server.next_workspace()}?reset"
        try:
            self.page.goto(url, timeout=APP_START * 1000)
            self.wait_for_app()
        except Exception as e:      # noqa: BLE001 - say what the page and the server said
            self.context.close()
            raise BrowserTestError(
                f"JupyterLab did not load at {url}: {e}\n--- browser console:\n"
                + "\n".join(self.console[-50:]) + f"\n--- server log:\n{tail(server.log_text())}"
            ) from None

    def wait_for_app(self):
        """Until JupyterLab (of this page's latest load) is up and its layout restored."""
        self.page.wait_for_function("() => window.jupyterapp !== undefined",
                                    timeout=APP_START * 1000)
        self.page.evaluate("async () => { await window.jupyterapp.restored; }")
        self.page.wait_for_selector("#jupyterlab-splash", state="detached",
                                    timeout=APP_START * 1000)

    def failure_sections(self):
        shot = self.server.tmp / f"failure-{len(list(self.server.tmp.glob('failure-*.png')))}.png"
        try:
            self.page.screenshot(path=str(shot), timeout=10_000)
        except Exception as e:       # noqa: BLE001 - the page may be gone
            shot = f"(no screenshot: {e})"
        return [(f"browser console errors ({self.server.name}); screenshot: {shot}",
                 "\n".join(self.console[-100:]) or "(none)")] + self.server.failure_sections()

    def close(self):
        try:
            self.page.evaluate("""async () => {
                for (const w of Object.values(window.__nb || {})) {
                    try { await w.sessionContext.shutdown(); } catch (e) {}
                }
            }""")
        except Exception:       # noqa: BLE001 - the page may be gone already
            pass
        self.context.close()

    # -- commands and notebooks -------------------------------------------------------------

    def command(self, command, args=None):
        """Run a JupyterLab command (window.jupyterapp.commands) and wait for it."""
        return self.page.evaluate(
            "async ([c, a]) => { const r = await window.jupyterapp.commands.execute(c, a || {});"
            " return r && r.id ? r.id : null; }", [command, args])

    def activate(self, selector):
        """Bring to the front the main-area widget (tab) that holds `selector`."""
        found = self.page.evaluate("""(sel) => {
            const w = [...window.jupyterapp.shell.widgets('main')].find(
                w => w.node.querySelector(sel));
            if (w) window.jupyterapp.shell.activateById(w.id);
            return !!w;
        }""", selector)
        if not found:
            raise BrowserTestError(f"no JupyterLab tab holds {selector}")

    def open_notebook(self, path):
        """Open `path` (relative to the server's root) as a notebook, wait for its kernel to be
        connected and idle, and tag every cell's node with data-test-cell-id/-index."""
        self.page.evaluate("""async (path) => {
            const app = window.jupyterapp;
            const w = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
            window.__nb = window.__nb || {};
            window.__nb[path] = w;
            await w.context.ready;
            await w.sessionContext.ready;
            app.shell.activateById(w.id);
        }""", path)
        self.wait_for_kernel(path)
        self.tag_cells(path)

    def adopt_notebook(self, path):
        """Wait for a notebook opened by something else (a link in a panel) at `path`, then for
        its kernel, as open_notebook does."""
        self.wait_js(f"a notebook panel for {path}", APP_START, """(p) => {
            if (!window.jupyterapp || !window.jupyterapp.shell) return false;   // (re)loading
            const w = [...window.jupyterapp.shell.widgets('main')].find(
                w => w.context && w.context.path === p && w.sessionContext);
            if (!w) return false;
            window.__nb = window.__nb || {};
            window.__nb[p] = w;
            return true;
        }""", path, details="""() => [...window.jupyterapp.shell.widgets('main')].map(
            w => w.context ? w.context.path : w.id)""")
        self.page.evaluate("""async (p) => {
            await window.__nb[p].context.ready;
            await window.__nb[p].sessionContext.ready;
        }""", path)
        self.wait_for_kernel(path)
        self.tag_cells(path)

    def wait_for_kernel(self, path):
        self.wait_js(f"the kernel of {path} to be connected and idle", KERNEL_START, """(p) => {
            const k = window.__nb[p].sessionContext.session?.kernel;
            return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
        }""", path, details="""(p) => {
            const s = window.__nb[p].sessionContext;
            return {session: !!s.session, kernel: s.session?.kernel?.name || null,
                    status: s.session?.kernel?.status || null,
                    connection: s.session?.kernel?.connectionStatus || null};
        }""")

    def tag_cells(self, path):
        self.page.evaluate("""(p) => {
            window.__nb[p].content.widgets.forEach((cell, i) => {
                cell.node.dataset.testCellId = cell.model.id;
                cell.node.dataset.testCellIndex = String(i);
            });
        }""", path)

    def cell(self, cell_id):
        return self.page.locator(f'[data-test-cell-id="{cell_id}"]')

    def run_all(self, path, timeout=LESSON_RUN):
        """'Run all cells' (notebook:run-all-cells) and wait for the command to finish (it
        resolves once every cell has run, or stopped at an error) and the kernel to be idle.
        Returns the notebook as the page holds it (nbformat, with outputs)."""
        self.page.evaluate("""(p) => {
            const app = window.jupyterapp;
            app.shell.activateById(window.__nb[p].id);
            window.__runs = window.__runs || {};
            window.__runs[p] = null;
            app.commands.execute('notebook:run-all-cells').then(
                r => { window.__runs[p] = {result: r}; },
                e => { window.__runs[p] = {error: String(e)}; });
        }""", path)
        self.wait_js(f"'run all cells' of {path} to finish", timeout, """(p) => {
            const k = window.__nb[p].sessionContext.session?.kernel;
            return window.__runs[p] !== null && !!k && k.status === 'idle';
        }""", path, details="""(p) => {
            const cells = window.__nb[p].content.widgets;
            const pending = cells.filter(c => c.model.type === 'code' &&
                                         c.model.executionCount === null).map(c => c.model.id);
            return {run: window.__runs[p],
                    kernel: window.__nb[p].sessionContext.session?.kernel?.status,
                    not_run_yet: pending.slice(0, 10)};
        }""")
        outcome = self.page.evaluate("(p) => window.__runs[p]", path)
        if "error" in outcome:
            raise BrowserTestError(f"'run all cells' of {path} raised: {outcome['error']}")
        return self.notebook(path)

    def notebook(self, path):
        """The notebook as the page holds it (its model), as an nbformat node."""
        text = self.page.evaluate(
            "(p) => JSON.stringify(window.__nb[p].context.model.toJSON())", path)
        return nbformat.reads(text, as_version=4)

    def wait_js(self, what, timeout, predicate, arg=None, details=None):
        """Wait until the JavaScript `predicate(arg)` is truthy in the page; on timeout fail with
        `what` and the value of the JavaScript `details(arg)`."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            return self.page.wait_for_function(predicate, arg=arg, timeout=timeout * 1000,
                                               polling=250)
        except PlaywrightTimeout:
            seen = ""
            if details:
                try:
                    seen = f"\nseen: {self.page.evaluate(details, arg)}"
                except Exception as e:     # noqa: BLE001
                    seen = f"\n(could not read the page: {e})"
            raise BrowserTestError(
                f"timed out after {timeout} s waiting for {what}{seen}") from None

    # -- dialogs ------------------------------------------------------------------------------

    def dialog(self, timeout):
        """The next JupyterLab dialog (.jp-Dialog), once shown."""
        dialog = self.page.locator(".jp-Dialog").first
        dialog.wait_for(state="visible", timeout=timeout * 1000)
        return dialog

    def close_dialog(self, dialog):
        dialog.locator(".jp-Dialog-button.jp-mod-accept, .jp-Dialog-button").first.click()
        dialog.wait_for(state="detached")


# ------------------------------------------------------------------------------------------------
# What the notebooks computed


def error_outputs(nb):
    """[(cell index, cell id, text)] of every error output of the notebook."""
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
                found.append((i, cell.get("id"), f"{out.ename}: {out.evalue}\n{tail(trace, 25)}"))
    return found


def unexecuted_cells(nb):
    """[(cell index, cell id)] of the code cells without an execution count."""
    return [(i, cell.get("id")) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.get("execution_count") is None]


# ------------------------------------------------------------------------------------------------
# The learner's folder


def copy_release(assignment, dest):
    """What a learner gets of `assignment`: its release folder (notebook, earlier_answers.py,
    networks.py, ...)."""
    shutil.copytree(ROOT / "course" / assignment, dest,
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    return pathlib.Path(dest) / f"{assignment}.ipynb"


def solved_path(assignment):
    """Where the learner server holds `assignment` with the reference answers (root-relative)."""
    return f"solved/{assignment}/{assignment}.ipynb"


def learner_root(base):
    """The learner's JupyterLab folder under `base`:
        lab/solved/<lesson>/      every lesson with the reference answers filled in
        lab/validate/<lesson>/    the same, for the Validate button
        lab/blank/<lesson>/       the unchanged release
        lab/nbgrader_config.py    the local exchange, the course id and the learner's id
        exchange/ (world-writable), cache/
    Returns (lab folder, exchange folder)."""
    from coursekit import ASSIGNMENTS, filled, solutions   # imported late: conftest imports this

    base = pathlib.Path(base)
    lab, exchange = base / "lab", base / "exchange"
    for assignment in ASSIGNMENTS:
        nb = filled(assignment, solutions(assignment))
        for kind in ("solved", "validate"):
            path = copy_release(assignment, lab / kind / assignment)
            nbformat.write(nb, str(path))
        copy_release(assignment, lab / "blank" / assignment)
    exchange.mkdir(parents=True)
    os.chmod(exchange, 0o777)          # nbgrader: every learner and the instructor write there
    (base / "cache").mkdir()
    (lab / "nbgrader_config.py").write_text("\n".join([
        "c = get_config()",
        f"c.Exchange.root = {str(exchange)!r}",
        f"c.Exchange.cache = {str(base / 'cache')!r}",
        f"c.CourseDirectory.course_id = {COURSE_ID!r}",
        f"c.CourseDirectory.student_id = {STUDENT!r}",
        "",
    ]))
    return lab, exchange


# ------------------------------------------------------------------------------------------------
# Fixtures (registered in tests/conftest.py so that one server and one browser serve the session)


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium under Playwright, for the whole session."""
    playwright = start_playwright()
    try:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def learner_server(tmp_path_factory):
    """A learner's JupyterLab over a temporary copy of the course (learner_root), with a local
    nbgrader exchange configured; `.exchange` is that exchange's folder."""
    lab, exchange = learner_root(tmp_path_factory.mktemp("learner"))
    server = LabServer(lab, name="learner", tmp=tmp_path_factory.mktemp("learner-server"))
    server.exchange = exchange
    with server:
        yield server


@pytest.fixture
def lab_page(chromium, learner_server):
    """A fresh JupyterLab page on the learner's server; closed (and its kernels shut down) after
    the test."""
    page = LabPage(chromium, learner_server)
    try:
        yield page
    finally:
        page.close()


def attach_failure_sections(item, report):
    """Add the failure sections (server log, browser console) of a failed test's fixtures."""
    if not report.failed:
        return
    seen = set()
    for value in list(getattr(item, "funcargs", {}).values()):
        sections = getattr(value, "failure_sections", None)
        if callable(sections):
            for title, text in sections():
                if title not in seen:
                    seen.add(title)
                    report.sections.append((title, text))
