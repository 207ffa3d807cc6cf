"""The trusted side of the hidden tests: compare a learner's function with the reference outside
the learner's kernel, and remember every verdict.

`Checker` listens on an abstract unix socket with a random name and token (handed to the kernel
in RNNCOURSE_CHECKER) in a thread of the grading process. A hidden test cell connects
(`rnncourse.grading.hidden_check`) and says which check it runs; the checker runs the ordinary
judge (`autograder.judge.judge`) here, with a `RemoteFunction` in place of the learner's
function: each call sends the case's inputs, and the entry's policy, to the kernel and gets back
the result as plain data (`rnncourse.protocol`). The reference never enters the kernel. Functions
that the checked function may call (its entry's `depends`) are computed here with the reference
when the kernel asks, for that check only.

`verdicts` lists (cell index, name, passed, message); autograder/execute.py turns a test cell's
missing or failed verdict into an error output, whatever the kernel printed.

The same checker judges a solution notebook run by hand: its kernel starts

    python -m autograder.checker serve

which prints "checker ADDRESS" and serves until its standard input closes; `check(name, value)`
judges a value of this process through a checker thread (the course's own tests use it).
"""
import inspect
import os
import secrets
import socket
import sys
import threading
import time

import numpy as np

from rnncourse.grading import ENVIRONMENT, hidden_check
from rnncourse.protocol import (decode, encode, global_random_state, receive, send,
                                set_global_random_state)

from .graded import Failure
from .judge import judge
from .lessons import GRADED, REFERENCE

CONNECTION_TIMEOUT = 600      # seconds a kernel may take to answer one call (cells time out first)


class LearnerError(Exception):
    """The learner's function raised (rebuilt under the exception's class name in the kernel)."""


def _exception(reply):
    """The learner's exception, rebuilt here under its own class name (messages quote it)."""
    name = reply["type"] if str(reply.get("type", "")).isidentifier() else "Exception"
    if reply["kind"] == "warning":
        return type(name, (RuntimeWarning,), {})(reply["message"])
    if reply["kind"] == "not implemented":
        return NotImplementedError(reply["message"])
    return type(name, (LearnerError,), {})(reply["message"])


class RemoteFunction:
    """Calls the learner's function in the kernel over `sock`, for the check of `name`."""

    def __init__(self, sock, name):
        self.sock, self.name = sock, name
        self.allowed = set(GRADED[name].depends)

    def __call__(self, *args):
        callbacks = [a for a in args if callable(a)]
        send(self.sock, {"op": "call", "args": [_argument(a, callbacks) for a in args],
                         "deps": {dep: _parameters(REFERENCE[dep]) for dep in sorted(self.allowed)},
                         "warnings_are_errors": GRADED[self.name].no_warnings,
                         "global_state": global_random_state()})
        while True:
            reply = receive(self.sock)
            if reply["op"] == "reference":
                self._answer_reference(reply)
            elif reply["op"] == "callback":
                _answer_callback(self.sock, reply, callbacks)
            elif reply["op"] == "result":
                for arg, after in zip(args, reply["args_after"]):
                    _write_back(arg, decode(after))
                set_global_random_state(reply.get("global_state"))
                return decode(reply["value"])
            elif reply["op"] == "raised":
                raise _exception(reply)
            else:
                raise ConnectionError(f"unexpected message {reply.get('op')!r}")

    def _answer_reference(self, request):
        name = request.get("name")
        if name not in self.allowed:
            send(self.sock, {"op": "refused", "message": f"{name} is not available here"})
            return
        try:
            value = REFERENCE[name](*[decode(a) for a in request["args"]])
        except Exception as err:
            send(self.sock, {"op": "refused", "message": f"{type(err).__name__}: {err}"})
            return
        send(self.sock, {"op": "value", "value": encode(value)})


def _argument(value, callbacks):
    """An argument of a call as data; a function of the check's own (the model's `step` that a
    learner's `sample` drives) goes as its index: the kernel calls it back over the socket, and
    it runs here."""
    return {"callback": callbacks.index(value)} if callable(value) else encode(value)


def _answer_callback(sock, request, callbacks):
    """Run the check's own function that the learner's code called back, on the data it sent."""
    index = request.get("index")
    if not isinstance(index, int) or not 0 <= index < len(callbacks):
        send(sock, {"op": "refused", "message": "no such function"})
        return
    try:
        value = callbacks[index](*[decode(a) for a in request.get("args", [])],
                                 **{k: decode(v) for k, v in request.get("kwargs", {}).items()})
    except Exception as err:
        send(sock, {"op": "refused", "message": str(err)})
        return
    send(sock, {"op": "value", "value": encode(value)})


def _parameters(fn):
    """[[name, encoded default or None], ...] of fn's parameters: the kernel side calls the
    reference of a dependency with the learner's positional and keyword arguments bound to them."""
    return [[p.name, None if p.default is p.empty else encode(p.default)]
            for p in inspect.signature(fn).parameters.values()]


def _write_back(arg, after):
    """Mirror in-place changes the learner's function made to an argument (hidden tests check
    that arguments are left unchanged)."""
    if isinstance(arg, np.ndarray) and isinstance(after, np.ndarray) and after.shape == arg.shape:
        arg[...] = after
    elif isinstance(arg, np.ndarray) and isinstance(after, np.ndarray):
        arg[...] = np.nan                      # reshaped in place: certainly not unchanged
    elif isinstance(arg, dict) and isinstance(after, dict):
        arg.clear()
        arg.update(after)


class Checker:
    """One notebook's checker: `start()`, hand `environment()` to the kernel, set `cell` to the
    index of the cell being run, `stop()`; read `verdicts`."""

    def __init__(self):
        self.name = f"rnncourse-checker-{os.getpid()}-{secrets.token_hex(8)}"
        self.token = secrets.token_hex(16)
        self.cell = None
        self.verdicts = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stopped = False

    @property
    def address(self):
        """What a kernel needs to reach this checker: "socket name|token"."""
        return f"{self.name}|{self.token}"

    def environment(self):
        return {ENVIRONMENT: self.address}

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self._sock.bind("\0" + self.name)
        self._sock.listen(4)
        self._thread.start()
        return self

    def stop(self):
        self._stopped = True
        try:
            poke = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            poke.connect("\0" + self.name)
            poke.close()
        except OSError:
            pass
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self):
        while not self._stopped:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self._stopped:
                conn.close()
                return
            with conn:
                conn.settimeout(CONNECTION_TIMEOUT)
                try:
                    self._session(conn)
                except Exception as err:      # a broken or hostile client: no verdict recorded
                    self._record(None, False, f"the check's connection failed ({err})")

    def _record(self, name, passed, message):
        self.verdicts.append((self.cell, name, passed, message))

    def _session(self, conn):
        request = receive(conn, limit=1 << 20)
        if request.get("op") != "check" or not secrets.compare_digest(
                str(request.get("token")), self.token):
            return
        name = request.get("name")
        if name not in GRADED:
            send(conn, {"op": "verdict", "passed": False, "message": f"no hidden test {name!r}"})
            return
        fn = RemoteFunction(conn, name) if request.get("callable") else decode(request["value"])
        started = time.perf_counter()
        try:
            judge(name, fn)
        except Failure as failure:
            self._record(name, False, str(failure))
            send(conn, {"op": "verdict", "passed": False, "message": str(failure)})
            return
        self._record(name, True, f"passed in {time.perf_counter() - started:.2f} s")
        send(conn, {"op": "verdict", "passed": True, "message": ""})


def check(name, value):
    """Judge `value` (a function or value of this process) as the hidden test `name` does, by the
    one path there is: the kernel side (`rnncourse.grading.hidden_check`) here, talking to a
    checker thread over its socket. Raises rnncourse.grading.HiddenTestFailure on a miss."""
    with Checker() as checker:
        hidden_check(name, value, address=checker.address)


def serve():
    """`python -m autograder.checker serve`: a checker for one kernel (a solution notebook run by
    hand); prints its address, serves until standard input closes."""
    with Checker() as checker:
        print(f"checker {checker.address}", flush=True)
        sys.stdin.read()
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["serve"]:
        sys.exit("usage: python -m autograder.checker serve")
    sys.exit(serve())
