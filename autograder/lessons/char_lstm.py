"""Lesson 06 (a character-level LSTM that writes text): the reference answers and one Graded
entry per graded name.

Letters: V the vocabulary size. A model reads character ids; its readout turns each hidden state
into V scores (logits); the softmax turns scores into probabilities; the loss is the mean
cross-entropy of the next character, in nats (divide by ln 2 for bits per character).
"""
import numpy as np

from ..graded import Failure, Graded, readable, readable_state

ASSIGNMENT = "06_char_lstm"
SHIPS = ("rnn_update", "bptt", "vanishing_gradients", "lstm_gates")


def softmax(z):
    """Probabilities along the last axis: exp(z) / sum(exp(z)), any leading shape.

    Shifted by the maximum first, so no exp overflows (|z| up to 1e4 and beyond).
    """
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def readout(hs, W_hy, b_y):
    """Scores of every character from every hidden state.

    hs (T, N, H), W_hy (V, H), b_y (V,) -> logits (T, N, V).
    """
    return hs @ W_hy.T + b_y


def softmax_cross_entropy(logits, targets):
    """The mean cross-entropy of the targets under softmax(logits), and its gradient.

    logits (T, N, V), targets (T, N) ints -> (loss, a float in nats; dlogits (T, N, V)).
    """
    T, N, V = logits.shape
    p = softmax(logits)
    t, n = np.meshgrid(np.arange(T), np.arange(N), indexing="ij")
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_p = shifted[t, n, targets] - np.log(np.exp(shifted).sum(axis=-1))
    dlogits = p.copy()
    dlogits[t, n, targets] -= 1.0
    return float(-log_p.mean()), dlogits / (T * N)


def stream_batches(ids, N, T):
    """Cut a text into N contiguous streams, read T characters at a time.

    ids (L,) ints -> xs, ys (K, T, N) ints with K = (L // N - 1) // T; stream n is
    ids[n * (L // N):(n + 1) * (L // N)], window k holds its characters k*T .. k*T + T - 1, and
    ys holds the character that follows each of xs.
    """
    length = len(ids) // N
    streams = np.asarray(ids)[:N * length].reshape(N, length)
    K = (length - 1) // T
    xs = streams[:, :K * T].reshape(N, K, T).transpose(1, 2, 0)
    ys = streams[:, 1:K * T + 1].reshape(N, K, T).transpose(1, 2, 0)
    return xs.copy(), ys.copy()


def sample(step, state, first, n, temperature, rng):
    """Draw n characters from a model, one at a time, each fed back in.

    step(i, state) -> (logits (V,), state) reads character i; starting from character `first`,
    each next character is drawn from softmax(logits / temperature) with rng (a
    numpy.random.Generator). Returns the n drawn ids (n,) ints (not `first`).
    """
    ids = np.empty(n, dtype=np.int64)
    char = first
    for i in range(n):
        logits, state = step(char, state)
        p = softmax(np.asarray(logits, dtype=np.float64) / temperature)
        char = rng.choice(len(p), p=p)
        ids[i] = char
    return ids


# ----------------------------------------------------------------------------- hidden cases

def _vocabulary(D):
    return D + 3


def _softmax_inputs(rng, T, N, D, H, scale, case):
    V = _vocabulary(D)
    shape = [(V,), (N, V), (T, N, V), (T, N, V), (N, V)][case]
    z = rng.normal(0.0, 3.0 * scale, size=shape)
    if case == 4:                          # large scores: only a shifted softmax survives them
        z = z * 3000.0
    return [z]


def _readout_inputs(rng, T, N, D, H, scale, case):
    V = _vocabulary(D)
    return [rng.uniform(-1, 1, size=(T, N, H)), rng.normal(0.0, scale, size=(V, H)),
            rng.normal(0.0, 0.5, size=V)]


def _softmax_cross_entropy_inputs(rng, T, N, D, H, scale, case):
    V = _vocabulary(D)
    logits = rng.normal(0.0, 2.0 * scale, size=(T, N, V))
    if case == 4:
        logits = logits * 2000.0
    return [logits, rng.integers(0, V, size=(T, N))]


# (text length, N, T): uneven lengths, one stream, a single window that needs the last character
_STREAMS = [(100, 4, 5), (101, 3, 7), (57, 1, 8), (1000, 16, 25), (35, 2, 16)]


def _stream_batches_inputs(rng, T, N, D, H, scale, case):
    length, N, T = _STREAMS[case]
    return [rng.integers(0, _vocabulary(D), size=length), N, T]


def _sample_properties(fn):
    """sample is random: judged by its properties (rnncourse.checks.char_lstm.sample_failures) on
    more runs, seeds and Markov models than the visible test, with this module's softmax as the
    probabilities the draws must follow."""
    from rnncourse.checks.char_lstm import sample_hidden_failures
    from rnncourse.checks.common import CheckFailure

    try:
        sample_hidden_failures(fn, softmax)
    except CheckFailure as failure:
        raise Failure(f"sample on a hidden case: {failure}") from None
    except Exception as err:  # the learner's code failed: say how, without our frames
        raise Failure(f"sample raised {type(err).__name__}: {err} on a hidden case") from None


def _scores_label(args):
    return f"z of shape {args[0].shape}"


def _readout_label(args):
    (T, N, H), V = args[0].shape, args[2].shape[0]
    return f"T={T}, N={N}, H={H}, V={V}"


def _logits_label(args):
    T, N, V = args[0].shape
    return f"T={T}, N={N}, V={V}"


def _text_label(args):
    return f"len(ids)={len(args[0])}"          # N and T follow: they are arguments


GRADED = [
    Graded("softmax", softmax, _softmax_inputs, no_warnings=True, label=_scores_label),
    Graded("readout", readout, _readout_inputs, label=_readout_label),
    Graded("softmax_cross_entropy", softmax_cross_entropy, _softmax_cross_entropy_inputs,
           depends=("softmax",), no_warnings=True, label=_logits_label),
    Graded("stream_batches", stream_batches, _stream_batches_inputs, label=_text_label),
    Graded("sample", sample, depends=("softmax",), properties=_sample_properties),
]


# ------------------------------------------------------------- recorded cases (visible tests)

def recorded():
    """{name: (inputs, context)}: small readable inputs (two decimals) of the visible tests.

    The cross-entropy's logits have no two scores of a position within 0.05 of each other, so
    that at scale 1000 the loss grows in proportion to the scale (the visible test's probe)."""
    rng = np.random.default_rng(6)
    scores = {"z": readable(rng, 2, 3, 4, scale=2.0)}
    hidden = {"hs": readable_state(rng, 2, 3, 4), "W_hy": readable(rng, 5, 4, scale=1.5),
              "b_y": readable(rng, 5, scale=0.5)}
    logits = readable(rng, 2, 3, 5, scale=2.0)
    while np.min(np.diff(np.sort(logits, axis=-1), axis=-1)) < 0.05:
        logits = readable(rng, 2, 3, 5, scale=2.0)
    loss = {"logits": logits, "targets": rng.integers(0, 5, size=(2, 3))}
    text = {"ids": rng.integers(0, 10, size=50), "N": 3, "T": 4}
    return {"softmax": (scores, {}), "readout": (hidden, {}),
            "softmax_cross_entropy": (loss, {}), "stream_batches": (text, {})}
