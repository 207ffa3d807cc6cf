"""Warm kernels for grading: one process per shard that has imported, once, what every grading
kernel imports (ipykernel, IPython, numpy, matplotlib, the learner package `rnncourse`) and forks
a copy of itself for each kernel, instead of a new interpreter importing them all again.

    python -m autograder.zygote serve SOCKET
    python -m autograder.zygote launch SOCKET PID_FILE SANDBOX-ARGUMENTS... -- KERNEL COMMAND...

`serve` is started by the kernel manager (`server_socket()`, once per grading process).
`launch` is the process that jupyter_client starts and manages as "the kernel": it hands its
arguments, environment and standard streams to the zygote over SOCKET, writes the kernel's
process id to PID_FILE, relays the signals it receives (interrupt, terminate) and exits the way
the kernel exits (the same code or signal, which the grader reports). When the launcher is
killed (the kernel manager's SIGKILL), the zygote kills the kernel's process group.

The forked child reads its request itself (the zygote never reads what it forks for, so no
child holds another learner's request), then takes the same steps as `python -m
autograder.sandbox` (autograder/sandbox.py: a private view of the file system, rlimits, a user id
of its own) and runs ipykernel in-process where the sandbox would exec a new interpreter.
Isolation is the sandbox's: the zygote holds no course content (of the grading side it imports
only this module and autograder/sandbox.py, which the child drops; the learner package, which
every kernel may import, is preloaded, and its wire protocol frames the launcher's request),
each kernel is a fresh fork,
and nothing passes from one kernel to the next. numpy's global random state is re-seeded in each
child (Python's `random` re-seeds itself after a fork).

A kernel command that is not this interpreter's ipykernel, or a zygote that cannot be reached,
falls back to the plain sandbox (the launcher execs `python -m autograder.sandbox`).
"""
import os
import select
import signal
import socket
import sys

from rnncourse.protocol import HEADER, pack, receive

RELAYED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
           signal.SIGUSR2)
# imported once in the zygote: what a grading kernel and the lessons' first cells import
PRELOAD = ("numpy", "numpy.random", "matplotlib.pyplot", "ipykernel.kernelapp",
           "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger",
           "IPython.core.completer", "ipywidgets")


def can_fork(kernel_cmd):
    """Is `kernel_cmd` this interpreter's ipykernel (what the zygote runs in-process)?"""
    cmd = list(kernel_cmd)
    return ("ipykernel_launcher" in cmd and cmd.index("ipykernel_launcher") > 0
            and cmd[cmd.index("ipykernel_launcher") - 1] == "-m"
            and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable))


# ------------------------------------------------------------------------------ the kernel manager
_server = {}


def server_socket(kernel_cmd, timeout=120):
    """The socket of this process's zygote, started on first use with the interpreter and options
    of `kernel_cmd` (None if it could not start: the kernels then start the plain way)."""
    import atexit
    import subprocess
    import tempfile
    import time

    from .sandbox import KERNEL_ENVIRONMENT, ROOT

    process = _server.get("process")
    if process is not None and process.poll() is None:
        return _server["socket"]
    if process is not None:
        return None                                    # it died: do not try again
    folder = tempfile.mkdtemp(prefix="zygote-")        # mode 0700, root's
    path = os.path.join(folder, "socket")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RNNCOURSE_")}
    env.update(KERNEL_ENVIRONMENT, PYTHONPATH=str(ROOT),
               MPLCONFIGDIR=os.path.join(folder, "matplotlib"))
    interpreter = list(kernel_cmd[:kernel_cmd.index("ipykernel_launcher") - 1])  # with -X...
    process = subprocess.Popen(interpreter + ["-m", "autograder.zygote", "serve", path],
                               env=env, stdin=subprocess.DEVNULL, cwd=folder)
    _server.update(process=process, socket=path)

    def stop():
        if process.poll() is None:
            process.kill()
            process.wait()

    atexit.register(stop)
    deadline = time.monotonic() + timeout
    while not os.path.exists(path):
        if process.poll() is not None or time.monotonic() > deadline:
            stop()
            return None
        time.sleep(0.02)
    return path


def wait_for_kernel(pid_file, timeout=5.0):
    """After the launcher is gone: make sure its kernel is gone too (killed and reaped), so that
    nothing of the learner's still runs when the grader cleans the notebook's folder."""
    import time

    from .sandbox import UID_BASE

    try:
        with open(pid_file) as f:
            pid = int(f.read())
        os.unlink(pid_file)
    except (OSError, ValueError):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/status") as f:
                status = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except (FileNotFoundError, ProcessLookupError):
            return                                    # gone
        if int(status["Uid"].split()[0]) != UID_BASE + pid or status["State"].split()[0] == "Z":
            return                      # dead (being reaped by the zygote), or the id was reused
        _kill_group(pid)
        time.sleep(0.005)


# ------------------------------------------------------------------------------ the zygote
def _preload():
    import importlib
    import pkgutil

    import matplotlib
    matplotlib.use("Agg")
    for name in PRELOAD:
        importlib.import_module(name)
    import rnncourse
    for module in pkgutil.walk_packages(rnncourse.__path__, "rnncourse."):
        importlib.import_module(module.name)
    import threading
    if threading.active_count() != 1:
        raise RuntimeError("a preloaded module started a thread: forking would be unsafe")


def serve(path):
    """Fork a kernel for every connection on `path` until the parent process is gone."""
    python_path = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    base_path = [p for p in sys.path[1:] if p not in python_path]
    before = dict(os.environ)
    _preload()
    # variables that importing sets (debugpy: PYDEVD_USE_FRAME_EVAL): a started kernel has them
    preset = {k: v for k, v in os.environ.items() if before.get(k) != v}
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    umask = os.umask(0o077)
    listener.bind(path + ".part")
    os.umask(umask)                                    # the kernels' own
    listener.listen(64)
    os.rename(path + ".part", path)                    # ready
    parent = os.getppid()
    kernels = []                                       # dicts: pid, conn, ready, pidfd, relay
    try:
        while os.getppid() == parent:
            watched = {listener.fileno(): ("accept", None)}
            for k in kernels:
                watched[k["pidfd"]] = ("exited", k)
                if k["ready"] is not None:
                    watched[k["ready"]] = ("ready", k)
                elif k["relay"]:
                    watched[k["conn"].fileno()] = ("relay", k)
            readable, _, _ = select.select(list(watched), [], [], 1.0)
            for fd in readable:
                what, k = watched[fd]
                if k is not None and not any(k is x for x in kernels):
                    continue                           # closed earlier in this round
                if what == "accept":
                    kernels.append(_fork(listener, kernels, base_path, preset))
                elif what == "ready":
                    os.close(k["ready"])
                    k["ready"] = None
                elif what == "relay":
                    _relay(k)
                elif what == "exited":
                    _, status = os.waitpid(k["pid"], 0)
                    _kill_group(k["pid"])              # anything the kernel left running
                    try:
                        k["conn"].sendall(f"exit {status}\n".encode())
                    except OSError:
                        pass
                    _close(k)
                    kernels.remove(k)
    finally:
        for k in kernels:
            _kill_group(k["pid"])


def _kill_group(pid, signum=signal.SIGKILL):
    """Signal the kernel's process group (its id is the kernel's: it called setsid)."""
    try:
        os.killpg(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _close(k):
    k["conn"].close()
    os.close(k["pidfd"])
    if k["ready"] is not None:
        os.close(k["ready"])


def _relay(k):
    """A line from the launcher: a signal to pass on; nothing (EOF): the launcher was killed."""
    data = k["conn"].recv(4096)
    if not data:
        k["relay"] = False
        _kill_group(k["pid"])
        return
    for line in data.decode().split("\n"):
        if line.startswith("signal "):
            _kill_group(k["pid"], int(line.split()[1]))


def _fork(listener, kernels, base_path, preset):
    conn, _ = listener.accept()
    ready_r, ready_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_r)
        inherited = [listener.fileno()] + [fd for k in kernels for fd in (
            k["conn"].fileno(), k["pidfd"], k["ready"]) if fd is not None]
        _child(conn, ready_w, inherited, base_path, preset)      # never returns
    os.close(ready_w)
    conn.sendall(f"pid {pid}\n".encode())
    return {"pid": pid, "conn": conn, "ready": ready_r, "pidfd": os.pidfd_open(pid),
            "relay": True}


def _receive(conn):
    """The launcher's request (framed by rnncourse.protocol) and its standard streams, passed
    along with the message's first bytes."""
    data, fds, _, _ = socket.recv_fds(conn, HEADER.size, 3)
    if not data:
        raise EOFError("the launcher went away")
    return receive(conn, received=data), fds


def _child(conn, ready_w, inherited, base_path, preset):
    code = 1
    try:
        for fd in inherited:
            os.close(fd)
        os.setsid()
        # a zygote started with SIGINT ignored (a background job) would pass that on: the
        # kernel's interrupt needs Python's own handler
        signal.signal(signal.SIGINT, signal.default_int_handler)
        request, fds = _receive(conn)
        conn.close()
        os.write(ready_w, b"1")
        os.close(ready_w)
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
            os.close(fd)
        code = _run_kernel(request, base_path, preset)
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _run_kernel(request, base_path, preset):
    """In the forked child: the sandbox's steps, then ipykernel in this process."""
    from . import sandbox

    os.environ.clear()
    os.environ.update(request["env"])
    args, command, uid, connection_info = sandbox.enter(request["argv"])
    workdir = os.path.realpath(args.workdir)
    if not can_fork(command):
        sandbox.become(uid, workdir, command, connection_info)     # execs: never returns
    command, env = sandbox.kernel_home(uid, workdir, command, connection_info)
    sandbox.drop_privileges(uid, workdir)
    os.environ.clear()
    os.environ.update({**preset, **env})
    for name in [m for m in sys.modules if m == "autograder" or m.startswith("autograder.")]:
        del sys.modules[name]                  # no grading code in the kernel (nor importable)
    sys.path[:] = base_path                    # IPython puts the notebook's folder first
    import importlib.util
    arguments = command[command.index("ipykernel_launcher") + 1:]
    sys.argv = [importlib.util.find_spec("ipykernel_launcher").origin] + arguments   # as started
    if os.environ.get("JPY_PARENT_PID"):       # read when ipykernel was imported, in the zygote
        arguments = arguments + [f"--IPKernelApp.parent_handle={os.environ['JPY_PARENT_PID']}"]
    import numpy
    numpy.random.seed()
    from ipykernel import kernelapp
    kernelapp.launch_new_instance(argv=arguments)
    return 0


# ------------------------------------------------------------------------------ the launcher
def launch(path, pid_file, argv):
    import resource
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))      # mirroring a crash dumps no core
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        os.execv(sys.executable, [sys.executable, "-m", "autograder.sandbox", *argv])
    message = pack({"argv": argv, "env": dict(os.environ)})
    socket.send_fds(sock, [message[:HEADER.size]], [0, 1, 2])
    sock.sendall(message[HEADER.size:])

    def relay(signum, frame):
        try:
            sock.sendall(f"signal {signum}\n".encode())
        except OSError:
            pass

    for signum in RELAYED:
        signal.signal(signum, relay)
    pid = None
    for line in sock.makefile("r"):
        kind, value = line.split()
        if kind == "pid":
            pid = int(value)
            with open(pid_file, "w") as f:
                f.write(value)
        elif kind == "exit":
            code = os.waitstatus_to_exitcode(int(value))
            if code < 0:                              # the same signal, for the grader's report
                signal.signal(-code, signal.SIG_DFL)
                os.kill(os.getpid(), -code)
                code = 128 - code
            os._exit(code)
    if pid is not None:                               # the zygote went away: take the kernel along
        _kill_group(pid)
    os._exit(1)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["serve"] and len(argv) == 2:
        return serve(argv[1])
    if argv[:1] == ["launch"] and len(argv) > 3:
        return launch(argv[1], argv[2], argv[3:])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
