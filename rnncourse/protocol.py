"""The one wire protocol between the grader and a kernel: plain data, in framed JSON messages.

Two conversations use it: a hidden test's (rnncourse/grading.py in the learner's kernel, and the
grader's checker, autograder/checker.py) and a forked kernel's start (autograder/zygote.py: the
launcher hands the zygote its request). A message is an 8-byte big-endian length and that many
bytes of JSON. Values travel as data (`encode`), never as Python objects, so whatever a learner's
code returns, the grader only ever sees numbers, strings and containers of them.

This module holds no answers and imports nothing of the grader.
"""
import base64
import io
import json
import struct

import numpy as np

HEADER = struct.Struct("!Q")          # the length of the JSON message that follows



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


def pack(message):
    """One framed message as bytes: the header, then the JSON."""
    payload = json.dumps(message).encode()
    return HEADER.pack(len(payload)) + payload


def send(sock, message):
    sock.sendall(pack(message))


def receive(sock, limit=1 << 30, received=b""):
    """The next message on `sock` (`received`: bytes of it already read, e.g. with recv_fds)."""
    header = received + _read_exactly(sock, HEADER.size - len(received))
    size, = HEADER.unpack(header)
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
