"""Kernels forked from the warm zygote (autograder/zygote.py) against kernels started the plain
way: the same sandbox, and the kernel manager sees the same process (exit codes, signals,
interrupts, kills). The hostile-submission suite grades through the zygote as well."""
import asyncio
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from autograder import zygote
from autograder.execute import SandboxKernelManager
from autograder.release import ROOT
from autograder.sandbox import available

PROBE = """
import json, os, sys, numpy
try:
    import autograder
    imported = "autograder imported"
except ImportError as err:
    imported = type(err).__name__
try:
    open(%r).read()
    reference = "READ"
except OSError as err:
    reference = type(err).__name__
print(json.dumps({"uid_is_own": os.getuid() == 200000 + os.getpid(), "groups": os.getgroups(),
                  "cwd": os.getcwd(), "path": sys.path, "argv": sys.argv[1:],
                  "launcher": os.path.basename(sys.argv[0]), "import_autograder": imported,
                  "reference": reference, "env": {k: v for k, v in os.environ.items()
                                                   if not k.startswith(("JPY_", "PYTEST_"))},
                  "umask": os.umask(0o022), "random": numpy.random.rand(),
                  "grading_modules": sorted(m for m in sys.modules
                                            if m.startswith("autograder"))}))
""" % str(ROOT / "autograder" / "reference" / "__init__.py")


def run(coroutine):
    """asyncio.run in a thread of its own: the browser tests' Playwright (sync API) may have left
    an event loop running in this worker's main thread."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Kernel:
    """A sandboxed kernel and its client, started plain or from the zygote."""

    def __init__(self, workdir, warm):
        self.km = SandboxKernelManager(kernel_name="python3", workdir=str(workdir), zygote=warm)
        self.workdir = workdir

    async def __aenter__(self):
        await self.km.start_kernel(cwd=str(self.workdir), stderr=subprocess.DEVNULL)
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=60)
        return self

    async def __aexit__(self, *exc):
        self.kc.stop_channels()
        await self.km.shutdown_kernel(now=True)

    async def run(self, code, timeout=60):
        """(reply status, text of the outputs)."""
        texts = []

        def hook(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                texts.append(content["text"])
            elif msg["msg_type"] == "error":
                texts.append(f"{content['ename']}: {content['evalue']}")

        reply = await self.kc.execute_interactive(code, timeout=timeout, output_hook=hook)
        return reply["content"]["status"], "".join(texts)

    @property
    def launcher(self):
        return self.km.provisioner.process


def probe(workdir, warm):
    async def go():
        async with Kernel(workdir, warm) as kernel:
            status, text = await kernel.run(PROBE)
            assert status == "ok", text
            return json.loads(text)
    return run(go())


@pytest.fixture
def workdir(tmp_path):
    assert available(), "the sandbox needs root on Linux (CI and grading run as root)"
    folder = tmp_path / "alice" / "01_rnn_update"
    folder.mkdir(parents=True)
    return folder


def test_a_forked_kernel_is_sandboxed_like_a_started_one(workdir):
    plain, warm, warm_again = probe(workdir, False), probe(workdir, True), probe(workdir, True)
    assert plain["uid_is_own"] and warm["uid_is_own"], (plain, warm)
    assert plain["reference"] == warm["reference"] == "FileNotFoundError"
    assert plain["import_autograder"] == warm["import_autograder"] == "ModuleNotFoundError"
    assert warm["grading_modules"] == [], "the zygote's own modules must not reach the kernel"
    for key in ("groups", "cwd", "path", "argv", "launcher", "env", "umask"):
        assert warm[key] == plain[key], f"{key}: forked {warm[key]!r}, started {plain[key]!r}"
    assert warm["random"] != warm_again["random"], "every forked kernel needs its own random state"


def test_the_launcher_exits_as_the_kernel_does(workdir):
    async def go(code):
        async with Kernel(workdir, True) as kernel:
            kernel.kc.execute(code)
            deadline = time.monotonic() + 30
            while kernel.launcher.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return kernel.launcher.poll()

    assert run(go("import os; os._exit(7)")) == 7
    assert run(go("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")) == \
        -signal.SIGSEGV


def test_an_interrupt_reaches_the_forked_kernel(workdir):
    async def go():
        async with Kernel(workdir, True) as kernel:
            running = asyncio.ensure_future(kernel.run("import time; time.sleep(60)"))
            await asyncio.sleep(1.0)
            started = time.monotonic()
            await kernel.km.interrupt_kernel()
            status, text = await asyncio.wait_for(running, 20)
            return status, text, time.monotonic() - started

    status, text, waited = run(go())
    assert status == "error" and "KeyboardInterrupt" in text, (status, text)
    assert waited < 10


def test_killing_the_launcher_kills_the_kernel(workdir):
    async def go():
        async with Kernel(workdir, True) as kernel:
            with open(kernel.km._kernel_pid_file) as f:
                pid = int(f.read())
            assert os.path.exists(f"/proc/{pid}")
            os.killpg(kernel.launcher.pid, signal.SIGKILL)     # what an immediate shutdown does
            deadline = time.monotonic() + 10
            while os.path.exists(f"/proc/{pid}") and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            return os.path.exists(f"/proc/{pid}")

    assert not run(go()), "the kernel outlived its launcher"


def test_without_a_zygote_the_launcher_starts_the_plain_sandbox(workdir, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = subprocess.run(
        [sys.executable, "-m", "autograder.zygote", "launch", str(tmp_path / "no-socket"),
         str(tmp_path / "pid"), "--workdir", str(workdir), "--", sys.executable, "-c",
         "import os; print(os.getuid() == 200000 + os.getpid())"],
        capture_output=True, text=True, timeout=60, env=env)
    assert result.stdout.strip() == "True", result


def test_the_zygote_leaves_with_the_process_that_started_it(tmp_path):
    code = ("import os, sys, time; sys.path.insert(0, %r)\n"
            "from autograder import zygote\n"
            "path = zygote.server_socket([sys.executable, '-m', 'ipykernel_launcher'])\n"
            "print(zygote._server['process'].pid, path, flush=True)\n"
            "time.sleep(60)\n" % str(ROOT))
    with tempfile.TemporaryFile("w+") as err:
        parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                                  stderr=err, text=True)
        line = parent.stdout.readline().split()
        assert len(line) == 2 and line[1] != "None", line
        server = int(line[0])
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while os.path.exists(f"/proc/{server}") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(f"/proc/{server}"), "the zygote outlived the grading process"


def test_kernels_not_of_this_interpreter_are_started_the_plain_way():
    assert zygote.can_fork([sys.executable, "-Xfrozen_modules=off", "-m", "ipykernel_launcher",
                            "-f", "k.json"])
    assert not zygote.can_fork(["/usr/bin/python3", "-m", "ipykernel_launcher", "-f", "k.json"]) \
        or os.path.realpath("/usr/bin/python3") == os.path.realpath(sys.executable)
    assert not zygote.can_fork([sys.executable, "-m", "other_kernel", "-f", "k.json"])
