"""nbgrader's Execute step, hardened for grading learners' notebooks (autograde chain, see
nbgrader_config.py).

- The kernel runs in the sandbox of autograder/sandbox.py (its own user, a private file system
  view, memory / CPU / file-size / process limits). With SandboxKernelManager.zygote (on in the
  grading command) it is forked from a warm process that has imported ipykernel, numpy and
  matplotlib once (autograder/zygote.py), behind the same sandbox.
- Hidden tests are judged outside the kernel by autograder/checker.py. After the run, every
  graded test cell that calls `hidden_check(NAME, ...)` needs the checker's own passing verdict
  for NAME, recorded while that cell ran; otherwise the cell gets an error output
  `HiddenTestNotConfirmed` with the checker's reason, so nbgrader scores it zero whatever the
  kernel printed (a patched assert, a silenced traceback, a hijacked check).
- A kernel that dies (os._exit, a crash, the CPU limit) does not lose the learner: the cell where
  it died gets a `KernelDied` error naming the cause, every later graded cell a `NotRun` error,
  and grading goes on with the next notebook.
- Output beyond `max_output_kb` per cell is dropped as it arrives (an enormous print cannot fill
  the grader's memory or the gradebook), with a note saying so.
- A kernel that fails to start (before any of the learner's code ran) is started again.
- Symbolic links the learner's code left in its folder are removed before nbgrader writes there.
"""
import os
import pathlib
import re
import signal
import sys

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute
from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, List, Unicode, default

from . import zygote
from .checker import Checker
from .notebooks import nbgrader_meta
from .paths import CPU_SECONDS, FILE_MB, MEMORY_MB, PROCESSES, ROOT, TMP_MB
from .sandbox import available

HIDDEN_CALL = re.compile(r"hidden_check\(\s*[\"'](\w+)[\"']")
TRUNCATED = "output truncated by the grader"


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the sandbox (see autograder/sandbox.py)."""

    enabled = Bool(True, help="Sandbox the kernel (needs root; off: a plain kernel)").tag(config=True)
    memory_mb = Integer(MEMORY_MB, help="Address-space limit of the kernel, MiB"
                        ).tag(config=True)
    cpu_seconds = Integer(CPU_SECONDS, help="CPU-time limit of the kernel, seconds"
                          ).tag(config=True)
    file_mb = Integer(FILE_MB, help="Largest file the kernel may write, MiB").tag(config=True)
    tmp_mb = Integer(TMP_MB, help="Size of the private /tmp, MiB").tag(config=True)
    processes = Integer(PROCESSES, help="Processes and threads of the kernel's user"
                        ).tag(config=True)
    hide = List(Unicode(), help="More folders to cover (the course root is always covered)"
                ).tag(config=True)
    workdir = Unicode("", help="The notebook's folder (set by the Execute preprocessor)")
    zygote = Bool(False, help="Fork each kernel from a warm process that has imported ipykernel, "
                  "numpy and matplotlib once (autograder/zygote.py) instead of starting a new "
                  "interpreter; the same sandbox either way").tag(config=True)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        self._kernel_pid_file = None
        if self.enabled:
            workdir = self.workdir or kw.get("cwd") or os.getcwd()
            sandbox_args = ["--workdir", workdir, "--memory-mb", str(self.memory_mb),
                            "--cpu-seconds", str(self.cpu_seconds), "--file-mb", str(self.file_mb),
                            "--tmp-mb", str(self.tmp_mb), "--processes", str(self.processes)]
            for path in self.hide:
                sandbox_args += ["--hide", path]
            warm = self.zygote and zygote.can_fork(kernel_cmd)
            server = zygote.server_socket(kernel_cmd) if warm else None
            if warm and not server:
                self.log.warning("the warm kernel process (autograder/zygote.py) did not start: "
                                 "this kernel starts as a new interpreter")
            if server:
                self._kernel_pid_file = f"{self.connection_file}.pid"
                wrapper = [sys.executable, "-m", "autograder.zygote", "launch", server,
                           self._kernel_pid_file]
            else:
                wrapper = [sys.executable, "-m", "autograder.sandbox"]
            kernel_cmd = wrapper + sandbox_args + ["--", *kernel_cmd]
            env = dict(kw.get("env") or os.environ)
            env["PYTHONPATH"] = str(ROOT)      # the wrapper itself comes from the repository
            kw["env"] = env
        return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart=False):
        if getattr(self, "_kernel_pid_file", None):
            zygote.wait_for_kernel(self._kernel_pid_file)   # the launcher is gone; the kernel too
        await super()._async_cleanup_resources(restart=restart)


def _error(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"\x1b[0;31m{ename}\x1b[0m: {evalue}"])


def _graded(cell):
    return cell.cell_type == "code" and nbgrader_meta(cell).get("grade", False)


class SandboxedExecute(Execute):
    """See the module docstring."""

    max_output_kb = Integer(512, help="Output kept per cell, KiB").tag(config=True)
    start_attempts = Integer(3, help="Kernel starts to try before giving up on a notebook"
                             ).tag(config=True)

    @default("shutdown_kernel")
    def _kill_after_the_last_cell(self):
        # a graded kernel has nothing to save: kill it (and its process group) at once instead of
        # asking it to shut down and polling until it has (about 0.4 s per notebook here)
        return "immediate"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources=None, km=None):
        self._workdir = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        self._dead = None
        self._sizes = {}
        checker = Checker().start()
        saved = {k: os.environ.get(k) for k in checker.environment()}
        os.environ.update(checker.environment())
        self._checker = checker
        try:
            for attempt in range(1, self.start_attempts + 1):
                self._cells_started = False
                try:
                    nb, resources = super().preprocess(nb, resources, km)
                    break
                except RuntimeError as err:
                    # "Kernel died before replying to kernel_info": before any learner code ran,
                    # e.g. a port that another kernel starting at the same moment took first
                    if self._cells_started or attempt == self.start_attempts:
                        raise
                    self.log.warning("the kernel did not start (%s); starting another", err)
        finally:
            checker.stop()
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            self._clean_workdir()
        self._confirm(nb, checker.verdicts)
        return nb, resources

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxKernelManager):
            km.workdir = str(self._workdir)
            workdir = pathlib.Path(self._workdir).resolve()
            root = self.config.get("CourseDirectory", {}).get("root")
            # every learner's folder (autograded/<student>/<assignment>) and the course root
            km.hide = list(km.hide) + [str(workdir.parent.parent)] + ([str(root)] if root else [])
            if km.enabled and not available():
                self.log.warning("grading WITHOUT the sandbox (it needs root on Linux): the "
                                 "learner's code can read the repository, the reference included")
                km.enabled = False
        return km

    # ------------------------------------------------------------------ per cell
    def preprocess_cell(self, cell, resources, index):
        if self._dead is not None:
            if _graded(cell):
                cell.outputs = [_error("NotRun", f"not run: the kernel died earlier "
                                                 f"({self._dead})")]
            return cell, resources
        self._checker.cell = index
        self._cells_started = True
        try:
            return super().preprocess_cell(cell, resources, index)
        except CellTimeoutError:
            # the time limit's interrupt was ignored (signal handlers, C code): stop the kernel
            process = self._kernel_process()
            if process is not None:
                process.kill()
            self._dead = (f"this cell ran past the {self.timeout} s limit and ignored the "
                          "interrupt, so the kernel was stopped")
            cell.outputs.append(_error("KernelDied", self._dead))
            return cell, resources
        except DeadKernelError:
            self._dead = self._death_reason()
            cell.outputs.append(_error("KernelDied", f"the kernel died while this cell ran: "
                                                     f"{self._dead}"))
            return cell, resources

    def _kernel_process(self):
        return getattr(getattr(self.km, "provisioner", None), "process", None)

    def _death_reason(self):
        process = self._kernel_process()
        code = process.poll() if process is not None else None
        if code is None:
            return "it stopped answering"
        if code < 0:
            name = signal.Signals(-code).name
            why = {"SIGXCPU": "the CPU-time limit was reached",
                   "SIGKILL": "killed (out of memory or time)",
                   "SIGSEGV": "a crash (segmentation fault)"}.get(name, "a signal")
            return f"{name}, {why}"
        return f"exit code {code} (sys.exit / os._exit in the learner's code, or a crash)"

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        if msg["msg_type"] in ("stream", "display_data", "execute_result", "update_display_data"):
            size = len(content.get("text", "")) + sum(
                len(str(v)) for v in content.get("data", {}).values())
            used = self._sizes.get(cell_index, 0)
            self._sizes[cell_index] = used + size
            limit = self.max_output_kb << 10
            if used + size > limit:
                out = None
                if msg["msg_type"] == "stream" and used < limit:
                    content["text"] = content["text"][:limit - used]     # keep the first part
                    out = super().output(outs, msg, display_id, cell_index)
                if used <= limit:
                    outs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=f"\n... {TRUNCATED}: more than {self.max_output_kb} KiB in one "
                             "cell ...\n"))
                return out
        return super().output(outs, msg, display_id, cell_index)

    # ------------------------------------------------------------------ after the run
    def _confirm(self, nb, verdicts):
        for index, cell in enumerate(nb.cells):
            if not _graded(cell):
                continue
            for name in HIDDEN_CALL.findall(cell.source):
                mine = [v for v in verdicts if v[0] == index and v[1] == name]
                if any(passed for _, _, passed, _ in mine):
                    continue
                if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                    break                       # scored zero already, with its own message
                reason = (mine[-1][3] if mine else "the grader never received this test") + \
                    " (yet the notebook showed no error: code in it interfered with the test)"
                cell.outputs.append(_error("HiddenTestNotConfirmed",
                                           f"hidden test of {name} not passed: {reason}"))

    def _clean_workdir(self):
        workdir = pathlib.Path(self._workdir)
        for path in list(workdir.rglob("*")):
            try:
                if path.is_symlink():
                    path.unlink()
                elif os.geteuid() == 0:
                    os.chown(path, 0, 0, follow_symlinks=False)
            except OSError:
                pass
        if os.geteuid() == 0 and workdir.is_dir():
            os.chown(workdir, 0, 0, follow_symlinks=False)


def findings(nb):
    """[(test or cell, reason)] of what the grader did to a graded notebook beyond scoring it:
    a dead or stopped kernel, a time limit, the memory cap, truncated output, a hidden test that
    the notebook's code interfered with."""
    found = []
    for index, cell in enumerate(nb.cells):
        name = nbgrader_meta(cell).get("grade_id") or f"cell {index}"
        for output in cell.get("outputs", []):
            kind = output.get("output_type")
            ename = str(output.get("ename", ""))
            if kind == "error" and (ename in ("KernelDied", "HiddenTestNotConfirmed",
                                              "CellTimeoutError")
                                    or ename.endswith("MemoryError")):    # numpy's is a subclass
                what = output.get("evalue") or (
                    "ran past the time limit and was interrupted" if ename == "CellTimeoutError"
                    else "hit the memory cap" if ename.endswith("MemoryError") else "")
                found.append((name, f"{ename}: {what}"))
            elif kind == "stream" and TRUNCATED in output.get("text", ""):
                found.append((name, "output truncated: more than the grader keeps per cell"))
    return found

