"""Run a learner's kernel in a sandbox: an unprivileged user of its own, a private view of the
file system, and limits on memory, CPU time, file size and processes.

`autograder.execute.SandboxKernelManager` starts every grading kernel through

    python -m autograder.sandbox --workdir DIR [--hide PATH]... [limits] -- KERNEL COMMAND...

which, as root, before it becomes the kernel (same process, so interrupts and shutdown work):
1. enters a new mount namespace and covers with empty tmpfs: the course repository, the grading
   course's root (other learners' notebooks, the gradebook), /root, /home and any --hide path;
   /tmp, /var/tmp and /dev/shm become private and small. Back inside, read-only, come only the
   Python installation and the learner package `rnncourse`; read-write, only the notebook's own
   folder (DIR);
2. sets rlimits: address space (memory cap), CPU seconds, file size, number of processes, no
   core dumps;
3. copies the kernel's connection file into the private /tmp, drops every group and switches to
   a user id of its own (base + process id, different for every kernel running at once) with
   no_new_privs set, and execs the kernel.
The learner's code can then read the lesson's own files and write only into its folder and the
private /tmp; the reference implementation, the solutions and other submissions are not there.

Needs root (CI and the instructor's grading machine); `available()` says whether it can work.
"""
import argparse
import ctypes
import os
import pathlib
import resource
import sys

from .paths import CPU_SECONDS, FILE_MB, MEMORY_MB, PROCESSES, ROOT, TMP_MB

CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 32, 4096, 16384, 1 << 18)
PR_SET_NO_NEW_PRIVS = 38
UID_BASE = 200000          # a kernel's user id: UID_BASE + its process id
_libc = ctypes.CDLL(None, use_errno=True)
# what the kernel's environment always holds: one thread for BLAS, no GUI backend
KERNEL_ENVIRONMENT = {"TMPDIR": "/tmp", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                      "MPLBACKEND": "Agg", "USER": "learner", "LOGNAME": "learner"}


def available():
    """Can this process build the sandbox (root, mount namespaces allowed)?"""
    return hasattr(os, "geteuid") and os.geteuid() == 0 and sys.platform.startswith("linux")


def _check(result, what):
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(source and source.encode(), str(target).encode(),
                       fstype and fstype.encode(), flags, data and data.encode()),
           f"mount {target}")


def _outermost(paths):
    """The paths that are not inside another of them, existing ones only."""
    paths = sorted({pathlib.Path(os.path.realpath(p)) for p in paths if os.path.isdir(p)},
                   key=lambda p: len(p.parts))
    kept = []
    for path in paths:
        if not any(path == k or k in path.parents for k in kept):
            kept.append(path)
    return kept


def _python_locations():
    """The Python installation: the prefixes, the interpreter's, every package directory on the
    path (a virtual environment may reach another's site-packages through a .pth file), and
    the learner package. Not other folders on the path: one may be a course repository."""
    import rnncourse
    packages = [pathlib.Path(p) for p in sys.path
                if pathlib.Path(p).name in ("site-packages", "dist-packages")]
    return [pathlib.Path(sys.prefix), pathlib.Path(sys.base_prefix),
            pathlib.Path(os.path.realpath(sys.executable)).parent.parent, *packages,
            pathlib.Path(rnncourse.__file__).resolve().parent]


def build(workdir, hide, tmp_mb, executable=None):
    """Step 1 of the module docstring (in this process, which must be root). `executable`: the
    kernel's interpreter, whose installation is kept too (it may not be this one)."""
    workdir = pathlib.Path(os.path.realpath(workdir))
    interpreters = [pathlib.Path(executable).absolute().parent.parent,
                    pathlib.Path(os.path.realpath(executable)).parent.parent] if executable else []
    keep_ro = [p for p in _python_locations() + interpreters if p.is_dir()]
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # open the directories to bring back before covering them: /proc/self/fd/N still reaches them
    handles = [(p, os.open(p, os.O_PATH | os.O_DIRECTORY), True) for p in keep_ro]
    handles.append((workdir, os.open(workdir, os.O_PATH | os.O_DIRECTORY), False))
    covered = [p for p in _outermost([ROOT, "/root", "/home", *hide]) if len(p.parts) > 1]
    for path in covered:
        _mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=755")
    for path in _outermost(["/tmp", "/var/tmp", "/dev/shm"]):
        _mount("none", path, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    for path, fd, read_only in handles:
        if not any(c == path or c in path.parents for c in covered + [pathlib.Path("/tmp")]):
            continue                      # never covered: visible as it is
        path.mkdir(parents=True, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        if read_only:
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
        os.close(fd)


def limit(memory_mb, cpu_seconds, file_mb, processes):
    """Step 2: rlimits, inherited by the kernel and anything it starts."""
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, memory_mb << 20))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_mb << 20, file_mb << 20))
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def kernel_home(uid, workdir, command, connection_info):
    """Step 3, first half (as root): the user's home in the private /tmp with the connection
    file; returns the kernel's command (pointing at that copy) and its environment."""
    command = list(command)
    home = pathlib.Path("/tmp/home")
    home.mkdir(mode=0o700)
    os.chown(home, uid, uid)
    if "-f" in command:
        index = command.index("-f") + 1
        connection = home / "kernel.json"
        connection.write_bytes(connection_info)
        os.chown(connection, uid, uid)
        os.chmod(connection, 0o600)
        command[index] = str(connection)
    os.chown(workdir, uid, uid)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("JUPYTER_") and k not in ("PYTHONPATH", "VIRTUAL_ENV_PROMPT")}
    env.update(KERNEL_ENVIRONMENT, HOME=str(home), MPLCONFIGDIR=str(home / "matplotlib"),
               IPYTHONDIR=str(home / "ipython"), JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    return command, env


def drop_privileges(uid, workdir):
    """Step 3, second half: no groups, the kernel's own user id, no way back, in its folder."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "prctl(NO_NEW_PRIVS)")
    os.chdir(workdir)


def become(uid, workdir, command, connection_info):
    """Step 3: connection file into the private /tmp, drop privileges, exec the kernel."""
    command, env = kernel_home(uid, workdir, command, connection_info)
    drop_privileges(uid, workdir)
    os.execve(command[0], command, env)


def command_line():
    parser = argparse.ArgumentParser(prog="python -m autograder.sandbox",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--hide", action="append", default=[])
    parser.add_argument("--memory-mb", type=int, default=MEMORY_MB)
    parser.add_argument("--cpu-seconds", type=int, default=CPU_SECONDS)
    parser.add_argument("--file-mb", type=int, default=FILE_MB)
    parser.add_argument("--tmp-mb", type=int, default=TMP_MB)
    parser.add_argument("--processes", type=int, default=PROCESSES)
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    return parser


def enter(argv):
    """Steps 1 and 2 for the sandbox arguments `argv` (this module's command line); returns the
    parsed arguments, the kernel's command, its user id and its connection file's content."""
    args = command_line().parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    uid = args.uid if args.uid is not None else UID_BASE + os.getpid()
    # the connection file is read now: its folder is covered in a moment
    connection_info = (pathlib.Path(command[command.index("-f") + 1]).read_bytes()
                       if "-f" in command else b"")
    build(args.workdir, args.hide, args.tmp_mb, command[0] if command else None)
    limit(args.memory_mb, args.cpu_seconds, args.file_mb, args.processes)
    return args, command, uid, connection_info


def main(argv=None):
    args, command, uid, connection_info = enter(argv)
    become(uid, os.path.realpath(args.workdir), command, connection_info)


if __name__ == "__main__":
    main()
