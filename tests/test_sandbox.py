"""The grading sandbox on its own (autograder/sandbox.py): what a learner's process can see, write
and use. Each test runs a small Python program through the same launcher the grading kernels use.
"""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from autograder.release import ROOT
from autograder.sandbox import available



def in_sandbox(code, workdir, *options):
    """Run `code` with this interpreter inside the sandbox; the CompletedProcess."""
    assert available(), "the sandbox needs root on Linux (CI and grading run as root)"
    command = [sys.executable, "-m", "autograder.sandbox", "--workdir", str(workdir), *options,
               "--", sys.executable, "-c", textwrap.dedent(code)]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "alice" / "01_rnn_update"
    folder.mkdir(parents=True)
    (tmp_path / "bob" / "01_rnn_update").mkdir(parents=True)
    (tmp_path / "bob" / "01_rnn_update" / "bob.ipynb").write_text("bob's answers")
    return folder


def test_a_user_of_its_own_without_groups_or_new_privileges(workdir):
    result = in_sandbox("""
        import os
        status = open("/proc/self/status").read()
        print(os.getuid(), os.geteuid(), os.getgid(), os.getgroups(),
              "NoNewPrivs:\\t1" in status)
    """, workdir)
    uid, euid, gid, groups, no_new = result.stdout.split(maxsplit=4)
    assert int(uid) == int(euid) == int(gid) >= 200000, result.stderr
    assert groups == "[]" and no_new.strip() == "True"


def test_the_repository_and_other_learners_are_out_of_sight(workdir):
    result = in_sandbox(f"""
        import os
        print(sorted(os.listdir({str(ROOT)!r})))
        for path in ["{ROOT}/autograder/lessons", "{ROOT}/solutions", "{ROOT}/autograder/checker.py",
                     "{workdir.parent.parent}/bob/01_rnn_update/bob.ipynb", "/root/.bash_history"]:
            print(path, os.path.exists(path))
        try:
            import autograder
            print("autograder imported")
        except ImportError:
            print("autograder not importable")
        import numpy, rnncourse.checks
        print("numpy and rnncourse work")
    """, workdir, "--hide", str(workdir.parent.parent))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert not {"autograder", "solutions", "tests", "course"} & set(eval(out.splitlines()[0]))
    assert out.count(" False") == 5 and " True" not in out
    assert "autograder not importable" in out and "numpy and rnncourse work" in out


def test_writes_only_into_its_folder_and_a_private_tmp(workdir, tmp_path):
    marker = f"sandbox-test-{os.getpid()}"
    result = in_sandbox(f"""
        import pathlib
        for target in ["answer.txt", "/tmp/{marker}", "{ROOT}/{marker}", "/etc/{marker}",
                       "{tmp_path}/{marker}"]:
            try:
                pathlib.Path(target).write_text("x")
                print(target, "written")
            except OSError as err:
                print(target, type(err).__name__)
    """, workdir)
    assert result.returncode == 0, result.stderr
    lines = dict(line.rsplit(" ", 1) for line in result.stdout.splitlines())
    assert lines["answer.txt"] == "written" and (workdir / "answer.txt").exists()
    assert lines[f"/tmp/{marker}"] == "written" and not os.path.exists(f"/tmp/{marker}")
    assert lines[f"{ROOT}/{marker}"] != "written" and not (ROOT / marker).exists()
    assert lines[f"/etc/{marker}"] != "written" and not os.path.exists(f"/etc/{marker}")
    assert not (tmp_path / marker).exists()


def test_cpu_time_is_limited(workdir):
    result = in_sandbox("while True:\n    pass", workdir, "--cpu-seconds", "1")
    assert result.returncode in (-signal.SIGXCPU, -signal.SIGKILL), result


def test_memory_is_capped(workdir):
    result = in_sandbox("""
        try:
            hog = bytearray(2 * 2**30)
            print("allocated")
        except MemoryError:
            print("MemoryError")
    """, workdir, "--memory-mb", "1024")
    assert result.stdout.strip() == "MemoryError", result


def test_file_size_and_processes_are_limited(workdir):
    result = in_sandbox("""
        import os
        try:
            with open("big.bin", "wb") as f:
                f.write(b"x" * (3 << 20))
            print("big file written")
        except OSError as err:
            print("file:", err.strerror)
        children = 0
        try:
            for _ in range(50):
                pid = os.fork()
                if pid == 0:
                    import time; time.sleep(5); os._exit(0)
                children += 1
        except OSError:
            pass
        print("children:", children)
    """, workdir, "--file-mb", "1", "--processes", "8")
    assert "file: File too large" in result.stdout, result
    children = int(result.stdout.split("children:")[1])
    assert children < 8, result.stdout
