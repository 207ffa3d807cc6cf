"""What the grader knows about one graded function: a `Graded` entry, and the randomized cases on
which its hidden test compares a learner's function with the reference.

Every lesson module in autograder/lessons/ lists one `Graded` entry per graded name. Everything
else is derived from the entries: the hidden cases (`Graded.cases`), the argument names in
messages (the reference's signature), the checker's policy (which graded functions the learner's
may call, whether a warning fails), the recorded values of the visible tests and the earlier
answers that later lessons ship (autograder/record.py), and the course's test tables.

Cases: every graded function gets several shapes, among them a batch of one (N = 1), D != H,
D == H and a single time step (T = 1), with non-zero initial states and weights of varied scale.
Arguments are float64 arrays, plus plain numbers (a window k, a lag) and dicts of arrays
(gradients) where the graded API has them.
"""
import dataclasses
import inspect
from typing import Callable, Optional

import numpy as np

# (T, N, D, H): T is ignored by single-step functions.
SHAPES = [
    (1, 1, 3, 5),   # one step, one example, D != H
    (4, 1, 2, 2),   # N = 1, D == H
    (5, 3, 4, 2),   # D > H
    (7, 6, 1, 8),   # a single input feature
    (2, 4, 6, 6),   # D == H
]
SCALES = [0.5, 1.0, 1.5, 3.0, 1.0]


class Failure(AssertionError):
    """A learner's answer failed its hidden test; the message names the case, not the hidden
    code. The checker sends the message to the kernel, where `hidden_check` raises it as the
    learner package's HiddenTestFailure."""


@dataclasses.dataclass(frozen=True)
class Graded:
    """One graded function (or value) of a lesson.

    reference: the one reference implementation (for a graded value: the value itself).
    inputs: (rng, T, N, D, H, scale, case) -> the arguments of one hidden case, in the API's order
        (case is the index into SHAPES; T is ignored by single-step functions).
    depends: graded names the learner's function may call by name: while it is judged, the
        reference stands in for them, so one mistake costs the points of one test.
    no_warnings: a RuntimeWarning (an overflow) fails the test instead of being printed.
    properties: for answers that are random or not unique: fn -> None, raises Failure; used
        instead of comparing values on the cases.
    label: args -> the case's shapes in messages, for a function whose shapes are not SHAPES'
        T, N, D, H (stream_batches takes N and T as arguments); by default "T=.., N=.., D=.., H=..".
    """
    name: str
    reference: object
    inputs: Optional[Callable] = None
    depends: tuple = ()
    no_warnings: bool = False
    properties: Optional[Callable] = None
    label: Optional[Callable] = None

    @property
    def arguments(self):
        """The argument names, in the graded API's order (the reference's signature)."""
        return list(inspect.signature(self.reference).parameters) if callable(self.reference) \
            else []

    def cases(self, seed=0):
        """Yield (description, args) of every hidden case: args in the API's order."""
        rng = np.random.default_rng([seed, sum(map(ord, self.name))])
        for case, ((T, N, D, H), scale) in enumerate(zip(SHAPES, SCALES)):
            args = self.inputs(rng, T, N, D, H, scale, case)
            shapes = self.label(args) if self.label else f"T={T}, N={N}, D={D}, H={H}"
            extra = self.describe(args)
            yield shapes + (f", {extra}" if extra else ""), args

    def describe(self, args):
        """The plain numbers among a case's arguments, for messages ("k=2, lag=5")."""
        parts = [f"{arg}={value:.4g}" if isinstance(value, float) else f"{arg}={value}"
                 for arg, value in zip(self.arguments, args)
                 if isinstance(value, (int, float)) and not isinstance(value, bool)]
        return ", ".join(parts)


# ------------------------------------------------ inputs that several lessons' cases are made of

def rnn_weights(rng, D, H, scale):
    """{W_xh (H, D), W_hh (H, H), b_h (H,)} of a vanilla RNN, weights of spectral scale ~ scale."""
    return {
        "W_xh": rng.normal(0.0, scale / np.sqrt(D), size=(H, D)),
        "W_hh": rng.normal(0.0, scale / np.sqrt(H), size=(H, H)),
        "b_h": rng.normal(0.0, 0.5, size=H),
    }


def lstm_params(rng, D, H, scale):
    """{W_f, b_f, W_i, b_i, W_C, b_C, W_o, b_o} of an LSTM: W (H, H + D), b (H,), b_f near 1."""
    params = {}
    for gate in "fiCo":
        params[f"W_{gate}"] = rng.normal(0.0, scale / np.sqrt(H + D), size=(H, H + D))
        params[f"b_{gate}"] = rng.normal(0.0, 0.5, size=H) + (1.0 if gate == "f" else 0.0)
    return params


def readable(rng, *shape, scale=1.0):
    """Normal values rounded to two decimals: the recorded cases a learner reads in a message."""
    return np.round(rng.normal(0.0, scale, size=shape), 2)


def readable_state(rng, *shape):
    """Values in (-0.9, 0.9) with two decimals: a recorded state of tanh units."""
    return np.round(rng.uniform(-0.9, 0.9, size=shape), 2)
