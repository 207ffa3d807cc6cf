"""The learner's side of a hidden test: hand the learner's function to the grader's checker.

Hidden test cells (in the instructor's notebooks only) say::

    from rnncourse.grading import hidden_check
    hidden_check("rnn_step", rnn_step)

While the course's autograder runs a notebook (`autograder/execute.py`), the learner's kernel runs
in a sandbox that cannot read the reference implementation, and the comparison happens outside it:
the environment variable RNNCOURSE_CHECKER names a socket of the grading process (the checker,
`autograder/checker.py`). The checker sends the inputs of each hidden case; this module calls the
learner's function on them and sends back what it returned, as plain numbers (`encode`), never as
Python objects; the checker compares them with the reference and keeps the verdict. Whatever the
learner's code does inside the kernel (patching numpy, this module or the course's checks,
returning objects with a custom __eq__), the points come from the checker's own verdicts.

Without RNNCOURSE_CHECKER (an instructor running a solution notebook by hand) the check runs in
this process with the reference from the repository's `autograder` package.

This module holds no answers: no reference code, no expected values.
"""
import base64
import contextlib
import inspect
import io
import json
import os
import socket
import struct
import warnings

import numpy as np

ENVIRONMENT = "RNNCOURSE_CHECKER"


class HiddenTestFailure(AssertionError):
    """A hidden test failed; the message names the case, not the hidden code."""


# ----------------------------------------------------------------- plain-data codec (both sides)

def _array_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _array_from(text):
    return np.load(io.BytesIO(base64.b64decode(text)), allow_pickle=False)


def encode(value):
    """A JSON-able description of `value` that holds only data: arrays (copied into plain
    ndarrays of a numeric dtype), numbers, strings, tuples, lists, dicts with string keys and
    numpy Generators (their state). Anything else is described by its type name only."""
    if value is None or isinstance(value, (bool, str)):
        return {"plain": value}
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            return {"object": f"ndarray of {value.dtype}"}
        return {"ndarray": _array_bytes(np.array(value.view(np.ndarray), copy=True)),
                "scalar": value.ndim == 0 and type(value) is not np.ndarray}
    if isinstance(value, int):
        return {"int": int(value)} if type(value) is int else {"object": type(value).__name__}
    if isinstance(value, float):
        return {"float": float(value)} if type(value) is float else {"object": type(value).__name__}
    if isinstance(value, (tuple, list)) and type(value) in (tuple, list):
        return {type(value).__name__: [encode(v) for v in value]}
    if type(value) is dict and all(isinstance(k, str) for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, np.random.Generator):
        return {"generator": value.bit_generator.state}
    return {"object": type(value).__name__}


def decode(data):
    """The value that `encode` described; an object that was not data becomes an instance of an
    empty class with the object's type name (so messages can say what it was)."""
    (kind, body), = ((k, v) for k, v in data.items() if k != "scalar")
    if kind == "plain" or kind in ("int", "float"):
        return body
    if kind == "ndarray":
        array = _array_from(body)
        return array[()] if data.get("scalar") else array
    if kind in ("tuple", "list"):
        items = [decode(v) for v in body]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode(v) for k, v in body.items()}
    if kind == "generator":
        generator = np.random.Generator(getattr(np.random, body["bit_generator"])())
        generator.bit_generator.state = body
        return generator
    return type(str(body).replace(" ", "_"), (), {})()


def send(sock, message):
    payload = json.dumps(message).encode()
    sock.sendall(struct.pack("!Q", len(payload)) + payload)


def receive(sock, limit=1 << 30):
    header = _read_exactly(sock, 8)
    size, = struct.unpack("!Q", header)
    if size > limit:
        raise ConnectionError(f"message of {size} bytes is too large")
    return json.loads(_read_exactly(sock, size))


def _read_exactly(sock, size):
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def global_random_state():
    """numpy's global (legacy) random state as JSON-able data: it travels with every call, so a
    hidden test that seeds np.random on one side is seen on the other."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    return [name, keys.tolist(), int(pos), int(has_gauss), float(gauss)]


def set_global_random_state(state):
    if state is not None:
        np.random.set_state((state[0], np.array(state[1], dtype=np.uint32), *state[2:]))


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
    args = [decode(a) for a in request["args"]]
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


def hidden_check(name, value):
    """Run the hidden test of the graded function or value `name` on the learner's `value`;
    raise HiddenTestFailure with the checker's message if it fails."""
    address = os.environ.get(ENVIRONMENT)
    if not address:
        from autograder.hidden import check_against_reference
        check_against_reference(name, value)
        return
    path, token = address.rsplit("|", 1)
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
