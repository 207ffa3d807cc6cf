"""The learner's side of a hidden test: hand the learner's function to the grader's checker.

Hidden test cells (in the instructor's notebooks only) say::

    from rnncourse.grading import hidden_check
    hidden_check("rnn_step", rnn_step)

There is one way a hidden test is judged: by the grader's checker (`autograder/checker.py`), in a
process of its own, over a socket; the reference never enters this process. The environment
variable RNNCOURSE_CHECKER names the checker's socket: while the course's autograder runs a
notebook (`autograder/execute.py`), the learner's kernel runs in a sandbox that cannot read the
reference implementation, and the checker runs in the grading process. Without it (an instructor
running a solution notebook by hand) this module starts a checker of its own, `python -m
autograder.checker serve`, once per kernel, from the course repository the notebook is in.

The checker sends the inputs of each hidden case; this module calls the learner's function on
them, with the checker's policy (the reference in place of the graded functions it may call; a
warning as an error where the test says so), and sends back what it returned, as plain data
(`rnncourse.protocol`), never as Python objects. Whatever the learner's code does inside the
kernel (patching numpy, this module or the course's checks, returning objects with a custom
__eq__), the points come from the checker's own verdicts.

This module holds no answers (no reference code, no expected values) and never imports the
grader.
"""
import contextlib
import inspect
import os
import pathlib
import socket
import subprocess
import sys
import tempfile
import warnings

from .protocol import (decode, encode, global_random_state, receive, send,
                       set_global_random_state)

ENVIRONMENT = "RNNCOURSE_CHECKER"


class HiddenTestFailure(AssertionError):
    """A hidden test failed; the message names the case, not the hidden code."""


# ----------------------------------------------------------------------------- learner's side

@contextlib.contextmanager
def swapped_globals(fn, replacements):
    """While inside, the names in `replacements` ({name: object}) that fn's module defines are
    replaced there (a learner's function calls its own module's functions through its globals);
    the learner's objects are put back afterwards, whatever happens."""
    namespace = getattr(fn, "__globals__", None)
    saved = {}
    if namespace is not None:
        for name, replacement in replacements.items():
            if name in namespace:
                saved[name] = namespace[name]
                namespace[name] = replacement
    try:
        yield
    finally:
        if namespace is not None:
            namespace.update(saved)


def _run(fn, request, sock):
    """Call the learner's fn as the checker asked; report what happened as data."""
    args = [_remote_callback(a["callback"], sock) if "callback" in a else decode(a)
            for a in request["args"]]
    references = {dep: _remote_reference(dep, parameters, sock)
                  for dep, parameters in request.get("deps", {}).items()}
    set_global_random_state(request.get("global_state"))
    try:
        with swapped_globals(fn, references), warnings.catch_warnings():
            if request.get("warnings_are_errors"):
                warnings.simplefilter("error")
            result = fn(*args)
    except Warning as warning:
        return {"op": "raised", "kind": "warning", "type": type(warning).__name__,
                "message": str(warning)}
    except NotImplementedError as err:
        return {"op": "raised", "kind": "not implemented", "type": "NotImplementedError",
                "message": str(err)}
    except Exception as err:
        return {"op": "raised", "kind": "error", "type": type(err).__name__, "message": str(err)}
    return {"op": "result", "value": encode(result), "args_after": [encode(a) for a in args],
            "global_state": global_random_state()}


def _remote_reference(name, parameters, sock):
    """Stand-in for the graded function `name` that the function under test calls: the checker
    computes it with the reference (only for the functions the checked one may call).
    `parameters` ([[name, encoded default or None], ...], the reference's signature) lets the
    learner's code call it with keyword arguments, as it may call its own function."""
    signature = inspect.Signature([
        inspect.Parameter(param, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=inspect.Parameter.empty if default is None else decode(default))
        for param, default in parameters])

    def reference(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)        # a TypeError as Python would raise it
        bound.apply_defaults()
        send(sock, {"op": "reference", "name": name,
                    "args": [encode(a) for a in bound.args]})
        reply = receive(sock)
        if reply["op"] != "value":
            raise RuntimeError(reply.get("message", "the grader refused"))
        return decode(reply["value"])
    reference.__name__ = name
    return reference


def _remote_callback(index, sock):
    """Stand-in for a function that the checker passed as an argument (a model's `step`): each
    call sends its arguments to the checker, which runs the function and sends back the value."""
    def callback(*args, **kwargs):
        send(sock, {"op": "callback", "index": index, "args": [encode(a) for a in args],
                    "kwargs": {k: encode(v) for k, v in kwargs.items()}})
        reply = receive(sock)
        if reply["op"] != "value":
            raise RuntimeError(reply.get("message", "the grader refused"))
        return decode(reply["value"])
    return callback


def hidden_check(name, value, address=None):
    """Run the hidden test of the graded function or value `name` on the learner's `value`;
    raise HiddenTestFailure with the checker's message if it fails. `address` ("name|token") is
    the checker's socket; by default RNNCOURSE_CHECKER, or a checker started for this kernel."""
    path, token = (address or os.environ.get(ENVIRONMENT) or _own_checker()).rsplit("|", 1)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.connect("\0" + path)
    try:
        send(sock, {"op": "check", "token": token, "name": name, "callable": callable(value),
                    "value": None if callable(value) else encode(value)})
        while True:
            request = receive(sock)
            if request["op"] == "call":
                send(sock, _run(value, request, sock))
            elif request["op"] == "verdict":
                if not request["passed"]:
                    raise HiddenTestFailure(request["message"])
                return
            else:
                raise RuntimeError(f"unexpected message from the grader: {request['op']}")
    finally:
        sock.close()


_OWN = {}           # the checker this kernel started: {"process": Popen, "address": str}


def _own_checker():
    """The address of a checker serving this kernel (a solution notebook run by hand): started
    on first use from the course repository that holds the working folder, and gone when the
    kernel is (it serves until its standard input closes)."""
    process = _OWN.get("process")
    if process is not None and process.poll() is None:
        return _OWN["address"]
    here = pathlib.Path.cwd().resolve()
    root = next((p for p in (here, *here.parents) if (p / "autograder" / "checker.py").is_file()),
                here)
    errors = tempfile.TemporaryFile("w+")
    process = subprocess.Popen([sys.executable, "-m", "autograder.checker", "serve"], cwd=root,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=errors,
                               text=True)
    line = process.stdout.readline().split()
    if line[:1] != ["checker"]:
        process.wait()
        errors.seek(0)
        last = (errors.read().strip().splitlines() or ["it exited"])[-1]
        raise RuntimeError("hidden tests are judged by the course's grader (python -m "
                           f"autograder.checker), which could not start here: {last}. Run the "
                           "notebook from the course repository.")
    _OWN.update(process=process, address=line[1])
    return line[1]
