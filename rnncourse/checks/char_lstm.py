"""Visible checks of lesson 06: softmax, readout, the cross-entropy loss and stream_batches against
recorded values, and sample by its properties (it is random), with diagnoses of the usual slips.

The diagnoses probe the learner's own functions with inputs whose answer is obvious: scores
shifted by a constant or by 1000, a row whose largest score is 1000 above the rest, a changed b_y,
a text whose character ids are their own positions (0, 1, 2, ...), and for sample a small Markov
model whose `step` records what it is fed. Nothing here computes a graded answer: the cross-entropy
gradient is checked by central differences of the learner's own loss, and the probabilities that
sample must follow come from the learner's softmax, which must pass its own test first.
"""
import contextlib
import io
import math
import warnings

import numpy as np

from ..gradcheck import numerical_gradient, relative_error
from ..recorded import case
from .common import CheckFailure, _not_written, call, close, expect_array, factor_of, mismatch, passed

LESSON = "char_lstm"
TOLERANCE = 1e-6        # relative error of a gradient against central differences (h = 1e-5)


def _probe(fn, name, inputs):
    """(fn's result on a copy of `inputs`, the messages of the RuntimeWarnings it raised)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(fn, name, inputs)
    return result, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def _passes(check, *functions):
    """Does a visible check pass (its printing silenced)?"""
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            check(*functions)
    except Exception:  # any failure of the learner's code counts as no
        return False
    return True


def _warned(words):
    return f" (numpy warned: {words[0]})" if words else ""


# ----------------------------------------------------------------------------- softmax

def _softmax_error(failure, z):
    """Words for a softmax that raised on z, or None."""
    error = failure.__cause__
    if type(error).__name__ == "AxisError":
        return (f"softmax raised AxisError ({error}) on z of shape {z.shape}: softmax takes any "
                "leading shape, one vector (V,) as well as a batch (T, N, V); name the last axis "
                "as axis=-1.")
    if isinstance(error, ValueError) and "broadcast" in str(error):
        return (f"softmax raised ValueError ({error}) on z of shape {z.shape}: a max or a sum over "
                "the last axis drops that axis, so it no longer lines up with z; keep it with "
                "keepdims=True (z.max(axis=-1, keepdims=True)).")
    return None


def _softmax_of(softmax, z):
    """The learner's softmax(z) as a float64 array shaped like z, and its warnings."""
    try:
        result, words = _probe(softmax, "softmax", {"z": z})
    except CheckFailure as failure:
        better = _softmax_error(failure, z)
        if better:
            raise CheckFailure(better) from failure.__cause__
        raise
    hints = {z.shape[:-1]: "softmax returned one number per position; it returns a probability "
                           "for every score, an array shaped like z."}
    return expect_array(result, z.shape, "softmax", hints), words


def _softmax_finding(softmax, z, got):
    """What is wrong with a softmax whose values on z differ from the recorded ones, or None."""
    sums = got.sum(axis=-1)
    if np.all(got <= 0) and np.allclose(np.exp(got).sum(axis=-1), 1):
        return ("softmax returned log-probabilities (every value <= 0, and their exp sums to 1): "
                "return the probabilities themselves, exp(z) / sum(exp(z)).")
    if np.any(got < 0):
        return (f"softmax returned negative values (down to {got.min():.3g}); probabilities are "
                "never negative: exp(z) / sum(exp(z)) over the last axis.")
    if np.isclose(got.sum(), 1) and not np.allclose(sums, 1):
        return ("The whole array sums to 1: softmax normalizes each position's V scores on their "
                "own, along the last axis (sum(axis=-1, keepdims=True)), so that every row sums "
                "to 1.")
    for axis in range(z.ndim - 1):
        if np.allclose(got.sum(axis=axis), 1) and not np.allclose(sums, 1):
            return (f"Your probabilities sum to 1 along axis {axis}, not along the last axis: "
                    "softmax normalizes the V scores of one position, axis=-1.")
    if not np.allclose(sums, 1):
        if np.allclose(got.max(axis=-1), 1):
            return ("The largest value of every row is 1: exp(z - max) is not yet divided by its "
                    "sum over the last axis, which makes each row sum to 1.")
        return (f"Each position's probabilities must sum to 1; yours sum to {sums.min():.3g} .. "
                f"{sums.max():.3g}: divide exp(z) by its sum over the last axis.")
    shifted, _ = _softmax_of(softmax, z + 3.0)
    if not close(shifted, got):
        return ("Adding the same number to every score (z + 3) changed your probabilities, but "
                "softmax(z + c) = softmax(z): the probabilities depend only on the differences "
                "of the scores, exp(z) / sum(exp(z)).")
    return None


def _softmax_leading_shapes(softmax, z, got):
    """One vector (V,) and one batch (N, V) must give the same rows as the whole (T, N, V)."""
    for part, rows, what in ((z[0], got[0], "a batch (N, V)"), (z[0, 0], got[0, 0],
                                                                  "one vector (V,)")):
        result, _ = _softmax_of(softmax, part)
        if not close(result, rows):
            raise CheckFailure(f"softmax of {what} differs from the same rows inside the (T, N, V) "
                               "array: softmax works along the last axis, whatever the leading "
                               "shape; name it axis=-1 (not a fixed axis number).")


def _softmax_large_scores(softmax, z, got):
    """Scores of 1000 and -10000, and rows at very different levels, give no overflow or nan."""
    high, words = _softmax_of(softmax, z + 1000.0)
    if words or not np.all(np.isfinite(high)) or not close(high, got):
        raise CheckFailure("softmax overflowed on scores of 1000: shift by the maximum first"
                           f"{_warned(words)}. exp(1000) is inf in float64 (exp(709) is about "
                           "the largest), and inf / inf is nan; softmax(z - max) gives the same "
                           "probabilities, and then every exp is at most 1.")
    low, words = _softmax_of(softmax, z - 10000.0)
    if words or not np.all(np.isfinite(low)) or not close(low, got):
        raise CheckFailure("softmax gave nan on scores of -10000: every exp underflows to 0, and "
                           f"0 / 0 is nan{_warned(words)}. Shift by the maximum first.")
    spread = np.zeros(z.shape[-1])
    spread[:3] = [-1000.0, 1000.0, 500.0]          # softmax of this row is (0, 1, 0, ...)
    rows = np.stack([z[0, 0] + 1000.0, z[0, 1] - 1000.0, spread])
    expected = np.stack([got[0, 0], got[0, 1], np.eye(z.shape[-1])[1]])
    mixed, words = _softmax_of(softmax, rows)
    if close(mixed, expected) and not words:
        return
    if any("overflow" in w for w in words):
        raise CheckFailure("softmax overflowed on rows whose scores spread over 2000"
                           f"{_warned(words)}: subtract each row's maximum (not its minimum or "
                           "mean): exp(z - max) is at most 1, whatever the spread.")
    raise CheckFailure("softmax gave nan (or 0) for a row whose scores lie 2000 below another "
                       f"row's{_warned(words)}: shift each row by its own maximum, "
                       "z.max(axis=-1, keepdims=True), not by the maximum of the whole array "
                       "(every exp of that row underflows to 0, and 0 / 0 is nan).")


def check_softmax(softmax):
    """Visible test of softmax on a recorded (T, N, V) case, on one vector and one batch, and on
    large scores (no overflow, no nan, no warning)."""
    inputs, expected = case(LESSON, "softmax")
    z = inputs["z"]
    got, _ = _softmax_of(softmax, z)
    if not close(got, expected):
        finding = _softmax_finding(softmax, z, got)
        if finding:
            raise CheckFailure(finding)
        raise mismatch("softmax", got, expected)
    _softmax_leading_shapes(softmax, z, got)
    _softmax_large_scores(softmax, z, got)
    passed("softmax")


# ----------------------------------------------------------------------------- readout

def _readout_error(failure, inputs):
    """Words for a readout that raised on the recorded shapes, or None."""
    error = failure.__cause__
    if not isinstance(error, ValueError):
        return None
    shapes = f"hs {inputs['hs'].shape}, W_hy {inputs['W_hy'].shape}, b_y {inputs['b_y'].shape}"
    if any(word in str(error) for word in ("matmul", "aligned", "mismatch in its core")):
        return (f"readout raised ValueError ({error}) with {shapes}: W_hy is (V, H), one row of H "
                "weights per character, so the logits are hs @ W_hy.T, shape (T, N, V).")
    if "broadcast" in str(error):
        return (f"readout raised ValueError ({error}) with {shapes}: b_y (V,) holds one offset "
                "per character; add it as it is to the (T, N, V) logits, along their last axis "
                "(no reshape into a column).")
    return None


def _readout_hints(T, N, H, V):
    return {(N, T, V): "The logits are batch-major, (N, T, V): keep time first, (T, N, V), like "
                       "hs.",
            (T * N, V): "The positions were flattened into (T*N, V): reshape back to (T, N, V).",
            (N, V): "That is the logits of one step; return those of every step, (T, N, V): "
                    "hs @ W_hy.T works on the whole (T, N, H) array at once.",
            (V, T * N): "That is the column form (W_hy @ h puts V first): return (T, N, V)."}


def _readout_finding(readout, inputs, got):
    """What is wrong with readout's values on the recorded case, or None."""
    hs, W_hy, b_y = inputs["hs"], inputs["W_hy"], inputs["b_y"]
    if np.all(got > 0) and np.allclose(got.sum(axis=-1), 1):
        return ("readout returned probabilities (each position's values are positive and sum to "
                "1): readout returns the scores, the logits; the softmax comes later, in the loss "
                "and in sample.")
    no_bias = dict(inputs, b_y=np.zeros_like(b_y))
    once = np.asarray(call(readout, "readout", no_bias), dtype=float)
    twice = np.asarray(call(readout, "readout", dict(no_bias, hs=2 * hs)), dtype=float)
    if once.shape == got.shape and not close(twice, 2 * once):
        return ("readout is linear: the logits are hs @ W_hy.T + b_y, with no tanh or softmax "
                "(doubling hs with b_y = 0 must double the logits; scores may be any real "
                "numbers).")
    offsets = np.linspace(-1.0, 1.0, len(b_y))
    moved = np.asarray(call(readout, "readout", dict(inputs, b_y=b_y + offsets)), dtype=float)
    change = moved - got
    if close(change, np.zeros_like(got)):
        return "The logits do not change when b_y changes: is b_y missing? hs @ W_hy.T + b_y."
    if close(change, -np.broadcast_to(offsets, got.shape)):
        return "b_y enters with a minus sign: the logits are hs @ W_hy.T + b_y."
    if not close(change, np.broadcast_to(offsets, got.shape)):
        return ("b_y adds one offset per character: changing b_y by d must change every "
                "position's logits by the same d, along the last axis; yours change otherwise.")
    return None


def check_readout(readout):
    """Visible test of readout on a recorded case (T=2, N=3, H=4, V=5)."""
    inputs, expected = case(LESSON, "readout")
    T, N, H = inputs["hs"].shape
    V = inputs["b_y"].shape[0]
    try:
        result = call(readout, "readout", inputs)
    except CheckFailure as failure:
        better = _readout_error(failure, inputs)
        if better:
            raise CheckFailure(better) from failure.__cause__
        raise
    got = expect_array(result, (T, N, V), "readout", _readout_hints(T, N, H, V))
    if not close(got, expected):
        finding = _readout_finding(readout, inputs, got)
        if finding:
            raise CheckFailure(finding)
        raise mismatch("readout", got, expected)
    passed("readout")


# ----------------------------------------------------------------------------- the loss

def _cross_entropy_inputs():
    inputs, (loss, dlogits) = case(LESSON, "softmax_cross_entropy")
    inputs["targets"] = inputs["targets"].astype(np.int64)      # recorded as numbers
    return inputs, loss, dlogits


def _loss_and_gradient(fn, inputs):
    """(loss, dlogits, warnings) of the learner's function, or a failure that says what came back."""
    try:
        result, words = _probe(fn, "softmax_cross_entropy", inputs)
    except CheckFailure as failure:
        error = failure.__cause__
        if isinstance(error, IndexError) and "broadcast" in str(error):
            raise CheckFailure(
                f"softmax_cross_entropy raised IndexError ({error}): pick each position's target "
                "with index arrays that broadcast to (T, N): np.arange(T)[:, None], "
                "np.arange(N)[None, :] and targets (or np.take_along_axis(log_p, "
                "targets[..., None], axis=-1)).") from error
        raise
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("softmax_cross_entropy should return a tuple (loss, dlogits).")
    return result[0], result[1], words


def _loss_number(loss, T, N):
    """The loss as a float, or a failure saying what it is instead."""
    if isinstance(loss, np.ndarray) and loss.shape == (T, N):
        raise CheckFailure(f"The loss is one number, the mean over all T*N positions; yours has "
                           f"shape {loss.shape}, one loss per position: average them (.mean()).")
    if isinstance(loss, np.ndarray) and loss.size == 1 and loss.dtype.kind == "f":
        return float(loss.reshape(()))
    if isinstance(loss, (bool, np.bool_)) or not isinstance(loss, (int, float, np.number)):
        what = f"an array of shape {loss.shape}" if isinstance(loss, np.ndarray) else \
            type(loss).__name__
        raise CheckFailure(f"The loss should be a number (a float), not {what}.")
    return float(loss)


def _loss_finding(value, expected, T, N, V):
    """Words for a loss that differs from the recorded one."""
    known = {T * N: "loss is T*N times too large: the mean over all positions, not the sum "
                    f"(T*N = {T * N} here).",
             T: f"loss is T times too large (T = {T}): you averaged over the batch only; the loss "
                "is the mean over all T*N positions, time and batch.",
             N: f"loss is N times too large (N = {N}): you averaged over time only; the loss is "
                "the mean over all T*N positions, time and batch.",
             1 / V: f"loss is V times too small (V = {V}): the mean runs over the T*N positions, "
                    "not over the V scores of each as well.",
             1 / math.log(2): "loss is in bits (divided by ln 2): the loss is in nats, the "
                              "natural log; bits per character are for reporting only.",
             -1: "loss is negative: the cross-entropy is -log p of the target, which is >= 0."}
    for factor, words in known.items():
        if np.isclose(value, factor * expected, rtol=1e-9):
            return words
    return (f"loss = {value:.6g}, but the mean over all T*N positions of -log "
            f"softmax(logits)[target] is {expected:.6g} here: each position (t, n) counts -log "
            "p[t, n, targets[t, n]] once.")


def _check_large_logits(fn, inputs):
    """On logits of scale 1000 and 2000 the loss is finite, warns nothing and doubles."""
    big = dict(inputs, logits=inputs["logits"] * 1000.0)
    loss, dlogits, words = _loss_and_gradient(fn, big)
    loss = _loss_number(loss, *inputs["targets"].shape)
    if not np.isfinite(loss) or words:
        raise CheckFailure(
            f"On logits of scale 1000 the loss is {loss:.4g}{_warned(words)}: log(softmax(logits)) "
            "underflows to log(0) = -inf once a target's probability is below 1e-308; compute "
            "the log-probabilities stably: shifted - log(sum(exp(shifted))), with shifted = "
            "logits - logits.max(axis=-1, keepdims=True).")
    double = _loss_number(_loss_and_gradient(fn, dict(inputs, logits=inputs["logits"] * 2000.0))[0],
                          *inputs["targets"].shape)
    if not np.isclose(double, 2 * loss, rtol=1e-3):
        raise CheckFailure(
            f"On logits of scale 1000 your loss is {loss:.4g}, on scale 2000 {double:.4g}: -log p "
            "of a target grows in proportion to the gap between its score and the largest, so it "
            "should double. A clip or an epsilon inside the log (log(p + 1e-12)) caps the loss; "
            "compute the log-probabilities stably: shifted - log(sum(exp(shifted))).")
    if not np.all(np.isfinite(np.asarray(dlogits, dtype=float))):
        raise CheckFailure("On logits of scale 1000 dlogits is not finite: compute the "
                           "probabilities with softmax, which shifts by the maximum.")


def _gradient_finding(d, expected, error, T, N):
    """Words for a dlogits that differs from the recorded one (error: against central
    differences of the learner's loss, which is right by then)."""
    known = {T * N: f"dlogits is T*N times too large (T*N = {T * N}): the loss is the mean over "
                    "the T*N positions, so each position's gradient, p - onehot(target), is "
                    "divided by T*N too.",
             T: f"dlogits is T times too large (T = {T}): divide by T*N, the number of positions "
                "the loss averages over.",
             N: f"dlogits is N times too large (N = {N}): divide by T*N, the number of positions "
                "the loss averages over.",
             -1: "dlogits has the wrong sign: it is (p - onehot(targets)) / (T*N), the "
                 "probabilities minus 1 at the target."}
    factor = factor_of(d, expected)
    for value, words in known.items():
        if factor is not None and np.isclose(factor, value):
            return words
    sums = d.sum(axis=-1) * T * N
    if np.allclose(sums, 1):
        return ("Each position's dlogits sums to 1 / (T*N) instead of 0: the -1 at the target is "
                "missing: dlogits = (p - onehot(targets)) / (T*N).")
    if np.allclose(sums, -1):
        return ("Each position's dlogits sums to -1 / (T*N) instead of 0: the probabilities p are "
                "missing: dlogits = (p - onehot(targets)) / (T*N).")
    if not np.allclose(sums, 0):
        return ("Each position's dlogits must sum to 0 (the probabilities sum to 1, and the "
                f"target's loses 1); yours sum to {sums.min() / (T * N):.3g} .. "
                f"{sums.max() / (T * N):.3g}: build dlogits from the probabilities, "
                "softmax(logits), and the one-hot targets.")
    return (f"dlogits is not the gradient of your loss: it differs from central differences of "
            f"the loss by a relative error of {error:.1e} (a right gradient agrees to about 1e-8): "
            "dlogits = (p - onehot(targets)) / (T*N).")


def _check_gradient(fn, inputs, d, expected):
    """dlogits against central differences of the learner's own loss, and the recorded values."""
    T, N, _ = d.shape
    logits = inputs["logits"].copy()

    def loss():
        value = fn(logits, inputs["targets"].copy())[0]
        return float(np.asarray(value, dtype=float).reshape(()))

    error = relative_error(d, numerical_gradient(loss, logits))
    if error < TOLERANCE and close(d, expected):
        return
    raise CheckFailure(_gradient_finding(d, expected, error, T, N))


def check_softmax_cross_entropy(softmax_cross_entropy, softmax):
    """Visible test of softmax_cross_entropy on a recorded case (T=2, N=3, V=5): the loss, its
    stability on large logits, and dlogits against central differences of the loss.

    Checked once softmax passes its own test (the learner's loss may call it)."""
    if not _passes(check_softmax, softmax):
        print("softmax_cross_entropy is checked once softmax passes its test: fix softmax first, "
              "then run this cell again.")
        return
    inputs, loss_expected, d_expected = _cross_entropy_inputs()
    T, N, V = inputs["logits"].shape
    loss, dlogits, _ = _loss_and_gradient(softmax_cross_entropy, inputs)
    value = _loss_number(loss, T, N)
    if not np.isclose(value, loss_expected, rtol=1e-9, atol=1e-12):
        raise CheckFailure(_loss_finding(value, loss_expected, T, N, V))
    _check_large_logits(softmax_cross_entropy, inputs)
    d = expect_array(dlogits, (T, N, V), "softmax_cross_entropy: dlogits",
                     {(T, N): "dlogits has the shape of logits, (T, N, V): one entry per score."})
    _check_gradient(softmax_cross_entropy, inputs, d, d_expected)
    passed("softmax_cross_entropy")


# ----------------------------------------------------------------------------- stream_batches

def _stream_error(fn, failure, length, N, T):
    """stream_batches raised: find a text length on which it runs and say what that shows."""
    error = failure.__cause__
    if not isinstance(error, (ValueError, IndexError)):
        return
    per_stream = length // N
    tries = []
    if length % N:
        tries.append((N * per_stream, f"it runs when len(ids) is a multiple of N. len(ids) = "
                                      f"{length} need not be: the streams are len(ids) // N = "
                                      f"{per_stream} characters long, and the last len(ids) % N "
                                      f"= {length % N} characters are dropped."))
    if per_stream % T == 0:
        tries.append((N * (per_stream + 1), f"it runs when each stream is one character longer. "
                                            f"The last window's ys needs the character after it: "
                                            f"a stream of {per_stream} characters holds K = "
                                            f"(len(ids) // N - 1) // T = {(per_stream - 1) // T} "
                                            "windows, not len(ids) // N // T."))
    for probe_length, words in tries:
        try:
            call(fn, "stream_batches", {"ids": np.arange(probe_length), "N": N, "T": T})
        except CheckFailure:
            continue
        raise CheckFailure(f"stream_batches raised {type(error).__name__} ({error}) with len(ids) "
                           f"= {length}, N = {N}, T = {T}; {words}") from error


def _stream_hints(K, T, N):
    batch_major = "batch-major: expected (K, T, N), each window time-major like the sequences " \
                  "of the other lessons: xs[k, t] holds the N streams' characters at step t."
    return {(K, N, T): batch_major, (N, K, T): batch_major,
            (K + 1, T, N): f"One window too many: ys needs the character after each window, so "
                           f"K = (len(ids) // N - 1) // T = {K}.",
            (K - 1, T, N): f"One window too few: the last full window is dropped; K = "
                           f"(len(ids) // N - 1) // T = {K}.",
            (K * T, N): "Cut each stream into K windows of T steps: (K, T, N)."}


def _stream_windows(fn, ids, N, T):
    """(xs, ys) of the learner's stream_batches, checked for type, shape and integer ids."""
    length = len(ids)
    windows = (length // N - 1) // T
    try:
        result = call(fn, "stream_batches", {"ids": ids, "N": N, "T": T})
    except CheckFailure as failure:
        _stream_error(fn, failure, length, N, T)
        raise
    if not isinstance(result, tuple) or len(result) != 2:
        raise CheckFailure("stream_batches should return a tuple (xs, ys).")
    for name, value in zip(("xs", "ys"), result):
        if not isinstance(value, np.ndarray):
            raise CheckFailure(f"stream_batches returned {type(value).__name__} for {name}; "
                               "expected a numpy array of character ids.")
        if value.shape != (windows, T, N):
            hint = _stream_hints(windows, T, N).get(value.shape, "")
            raise CheckFailure(f"stream_batches returned {name} of shape {value.shape} for "
                               f"len(ids) = {length}, N = {N}, T = {T}; {hint}".rstrip("; "))
        if value.dtype.kind not in "iu":
            raise CheckFailure(f"stream_batches returned {name} of {value.dtype}: the windows hold "
                               "character ids, ints (slice or reshape ids itself; a buffer made "
                               "with np.zeros needs dtype=int).")
    return result


def _gap_words(jumps):
    gap = int(jumps[jumps != 1][0]) - 1
    if gap == -1:
        return "yours repeats the last character of the window before"
    if gap > 0:
        return f"yours skips {gap} character(s) between windows"
    return "yours jumps back"


def _stream_positions(fn, length, N, T):
    """On a text whose ids are their positions, xs and ys show which characters go where."""
    xs, ys = _stream_windows(fn, np.arange(length), N, T)
    steps = np.diff(xs, axis=1)
    if steps.size and not np.all(steps == 1):
        if np.all(steps == N):
            raise CheckFailure("Stream n must be contiguous characters of the text; yours reads "
                               "every N-th character: the text was cut as ids.reshape(-1, N), "
                               "which interleaves the streams; cut it as reshape(N, -1), one row "
                               "per stream.")
        raise CheckFailure("Within a window, a stream's characters follow each other in the "
                           "text: xs[k, t + 1, n] is the character after xs[k, t, n].")
    if not np.array_equal(ys, xs + 1):
        if np.array_equal(ys, xs):
            raise CheckFailure("ys must be the next character: targets not shifted. ys[k, t, n] "
                               "is the character that follows xs[k, t, n] in the text, the one "
                               "the model learns to predict.")
        if np.array_equal(ys, xs - 1):
            raise CheckFailure("ys holds the character before each of xs: ys must be the next "
                               "character, the one that follows xs[k, t, n].")
        raise CheckFailure("ys[k, t, n] must be the character right after xs[k, t, n] in the "
                           "text.")
    per_stream = length // N
    starts = xs[0, 0, :]
    jumps = xs[1:, 0, :] - xs[:-1, -1, :]
    restart = "your streams restart (window k + 1 of a stream does not continue where window k " \
              "ended, so the state carried from window to window would not belong to it)"
    wanted = (np.arange(N) * per_stream).tolist()
    if not np.array_equal(starts, wanted):
        where = f"yours start at {starts.tolist()}, not {wanted} (len(ids) = {length}, N = {N})"
        if not np.all(jumps == 1):
            words = f"{restart}; {where}."
        elif np.array_equal(starts, np.arange(N) * length // N):
            words = (f"{where}: n * len(ids) // N is (n * len(ids)) // N; the streams are "
                     "len(ids) // N characters long, so stream n starts at n * (len(ids) // N).")
        else:
            words = f"{where}."
        raise CheckFailure(f"stream n must start at n * (len(ids) // N): {words}")
    if not np.all(jumps == 1):
        raise CheckFailure("Window k + 1 of stream n must continue where window k ended "
                           "(xs[k + 1, 0, n] is the character after xs[k, T - 1, n]); "
                           f"{_gap_words(jumps)}: {restart}.")


def check_stream_batches(stream_batches):
    """Visible test of stream_batches on a recorded text (50 characters, N=3, T=4) and on a text
    whose ids are their positions, which shows where each window comes from."""
    inputs, (xs_expected, ys_expected) = case(LESSON, "stream_batches")
    ids, N, T = inputs["ids"].astype(np.int64), inputs["N"], inputs["T"]
    xs, ys = _stream_windows(stream_batches, ids, N, T)
    _stream_positions(stream_batches, len(ids), N, T)
    if not close(xs, xs_expected):
        raise mismatch("stream_batches: xs", xs, xs_expected)
    if not close(ys, ys_expected):
        raise mismatch("stream_batches: ys", ys, ys_expected)
    passed("stream_batches")


# ----------------------------------------------------------------------------- sample

DELTA = 1e-6    # a correct sample fails a frequency test with at most this probability


def _character_id(i):
    """i as an int if it is one character id (an int, a numpy integer or a 0-d int array)."""
    if isinstance(i, (bool, np.bool_)):
        return None
    if isinstance(i, (int, np.integer)):
        return int(i)
    if isinstance(i, np.ndarray) and i.shape == () and i.dtype.kind in "iu":
        return int(i)
    return None


class MarkovModel:
    """A model whose next character depends on the last one only, for checking sample.

    step(i, state) returns row i of `logits` (V, V) and a new state, a tuple (as an LSTM's (h, C)
    is) of plain numbers that count the calls, cheap to send over the grader's socket; every call
    is recorded (`calls`: [(i, state)]), so a check sees what sample fed back. A call with
    something other than a character id is refused."""

    def __init__(self, logits, token=0):
        self.logits = np.asarray(logits, dtype=np.float64)
        self.token = int(token)
        self.calls = []
        self.problem = None

    @property
    def V(self):
        return len(self.logits)

    def state(self, k):
        """The state after k calls of step (k = 0: the one sample is given)."""
        return (self.token, k)

    def reset(self):
        self.calls, self.problem = [], None

    def step(self, i, state):
        self.calls.append((i, state))
        index = _character_id(i)
        if index is None or not 0 <= index < self.V:
            self.problem = (f"step was called with i = {i!r} ({type(i).__name__}): i is the id of "
                            f"the character just drawn, one int from 0 to V - 1 = {self.V - 1} "
                            "(rng.choice(V, p=p) gives one; with size=1 it gives an array).")
            raise CheckFailure(self.problem)
        return self.logits[index].copy(), self.state(len(self.calls))


def _sample_error(err, temperature):
    """Words for a sample that raised."""
    text, kind = str(err), type(err).__name__
    if "sum to 1" in text and temperature != 1:
        return (f"sample raised {kind} ({text}) at temperature {temperature}: the probabilities "
                "given to rng.choice do not sum to 1. Is the temperature applied after the "
                "softmax? The temperature divides the logits: softmax(logits / temperature).")
    if "NaN" in text:
        return (f"sample raised {kind} ({text}): the probabilities became nan, as exp overflows "
                "on large logits (here 1000): compute them with softmax, which shifts by the "
                "maximum.")
    if "sequence" in text:
        return (f"sample raised {kind} ({text}): an array was stored where one id goes. "
                "rng.choice(V, p=p) gives one int; with size=1 it gives an array.")
    if "non-negative" in text:
        return (f"sample raised {kind} ({text}): draw from the probabilities, softmax(logits / "
                "temperature), not from the logits themselves.")
    return f"sample raised {kind}: {text}"


def _ids(result, model, first, n):
    """The ids sample returned, as an int array of n character ids, or a failure."""
    if isinstance(result, (list, tuple)):
        result = np.array(result)
    if not isinstance(result, np.ndarray):
        extra = " Did you forget `return`?" if result is None else ""
        raise CheckFailure(f"sample returned {type(result).__name__}; it returns the n drawn ids, "
                           f"an array of shape (n,) of ints.{extra}")
    if result.ndim != 1:
        raise CheckFailure(f"sample returned shape {result.shape}; expected ({n},), the n ids "
                           "drawn, one int each.")
    if len(result) == n + 1 and result[0] == first:
        raise CheckFailure(f"sample returned n + 1 = {n + 1} ids, starting with `first`: return "
                           "only the n characters drawn, not first.")
    if len(result) != n:
        raise CheckFailure(f"sample returned {len(result)} ids for n = {n}: draw n characters.")
    if result.dtype.kind not in "iu":
        raise CheckFailure(f"sample returned ids of {result.dtype}; character ids are ints (a "
                           "buffer made with np.zeros(n) holds floats: np.zeros(n, dtype=int), "
                           "or collect the draws in a list).")
    if n and (result.min() < 0 or result.max() >= model.V):
        raise CheckFailure(f"The ids must be characters from 0 to V - 1 = {model.V - 1}; yours "
                           f"range from {result.min()} to {result.max()}.")
    return result.astype(np.int64)


def _draw(sample, model, first, n, temperature, seed, hidden=False):
    """The learner's sample on `model` from character `first`: its ids (checked), step's record."""
    model.reset()
    rng = np.random.default_rng(seed)
    try:
        # numpy's warnings (an unshifted softmax overflows) are not printed: the checks below
        # name what such a sampler gets wrong
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            result = sample(model.step, model.state(0), first, n, temperature, rng)
    except NotImplementedError as err:
        raise CheckFailure("sample is not written yet" if hidden else _not_written("sample", err)
                           ) from None
    except Exception as err:  # the learner's code failed (or step refused what it was fed)
        if model.problem:
            raise CheckFailure(model.problem) from None
        raise CheckFailure(_sample_error(err, temperature)) from (None if hidden else err)
    if model.problem:
        raise CheckFailure(model.problem)
    return _ids(result, model, first, n)


def _same_state(a, b):
    return isinstance(a, (tuple, list)) and len(a) == len(b) and all(
        type(x) is int and x == y for x, y in zip(a, b))


def _states_problem(model):
    """Does every call of step get the state the call before returned (the first: sample's)?"""
    for k, (_, state) in enumerate(model.calls):
        if _same_state(state, model.state(k)):
            continue
        if k == 0:
            return "The first call of step must get the state that sample was given."
        if _same_state(state, model.state(0)):
            return ("sample passes the state it was given to every call of step: pass on the "
                    "state that step returns, logits, state = step(i, state).")
        return (f"Call {k + 1} of step got another state than the one call {k} returned: pass on "
                "the state that each step returns.")
    return None


def _feedback_problem(model, ids, first, n):
    """Is each drawn character fed back to step as the next i, with the state step returned?"""
    fed = [_character_id(i) for i, _ in model.calls]
    if not fed:
        return "sample never called step: call step(i, state) for the logits of each character."
    if fed[0] != first:
        return (f"The first call of step read character {fed[0]}; it reads `first` = {first}, "
                "the character the text continues from.")
    if not n <= len(fed) <= n + 1:
        return (f"sample called step {len(fed)} times for n = {n} characters: each character is "
                "drawn from the logits of a step of its own, so call step once per character.")
    for k in range(1, len(fed)):
        if fed[k] == ids[k - 1]:
            continue
        if n > 1 and np.array_equal(ids, fed[:n]):
            return ("The ids start with `first`: return the n characters drawn (the first of them "
                    "drawn from the logits of step(first, state)), not first itself.")
        if all(f == first for f in fed):
            return ("step was called with `first` every time: feed each drawn character back, as "
                    "i of the next call of step.")
        return (f"Call {k + 1} of step read character {fed[k]}, but the character drawn before it "
                f"was {ids[k - 1]}: feed each drawn character back as i of the next call.")
    return _states_problem(model)


def _draw_fed_back(sample, model, first, n, temperature, seed, hidden=False):
    """_draw, and a failure unless every draw was fed back with the state step returned."""
    ids = _draw(sample, model, first, n, temperature, seed, hidden)
    problem = _feedback_problem(model, ids, first, n)
    if problem:
        raise CheckFailure(problem)
    return ids


def _greedy(model, ids, first):
    """Was every id the most likely character after the one before it?"""
    before = np.concatenate([[first], ids[:-1]]).astype(int)
    return np.array_equal(ids, model.logits[before].argmax(axis=1))


def _randomness_problem(sample, model, first, n, seed, hidden=False):
    """The same seed gives the same ids, another seed others; np.random is untouched, irrelevant."""
    ids = _draw_fed_back(sample, model, first, n, 1.0, seed, hidden)
    if not np.array_equal(_draw(sample, model, first, n, 1.0, seed, hidden), ids):
        return ("the same seed gave different text: draw with rng, not np.random (every random "
                "number from rng, the Generator passed in; a generator made inside sample does "
                "not follow the seed either).")
    if np.array_equal(_draw(sample, model, first, n, 1.0, seed + 1, hidden), ids):
        if _greedy(model, ids, first):
            return ("Two different seeds gave the same text, always the most likely character: "
                    "that is argmax, not a draw; draw from softmax(logits / temperature) with "
                    "rng (rng.choice(V, p=p)).")
        return ("Two different seeds gave the same text: the draws must come from rng, the "
                "Generator passed in (a generator made inside sample, with a seed of its own, "
                "ignores it).")
    saved = np.random.get_state()           # the learner's own global state, put back after
    try:
        np.random.seed(seed)
        before = np.random.get_state()
        _draw(sample, model, first, n, 1.0, seed, hidden)
        after = np.random.get_state()
        if before[2] != after[2] or not np.array_equal(before[1], after[1]):
            return ("sample changed numpy's global random state: draw with rng, the Generator "
                    "passed in, not np.random.")
        np.random.seed(seed + 1)
        if not np.array_equal(_draw(sample, model, first, n, 1.0, seed, hidden), ids):
            return ("The text changes with numpy's global random state: draw with rng only, not "
                    "np.random.")
    finally:
        np.random.set_state(saved)
    return None


def _certain_problem(sample, first, seed, hidden=False):
    """A character whose logit is 1000 above the rest is always drawn (no overflow on the way)."""
    V = 5
    logits = np.zeros((V, V))
    logits[np.arange(V), (np.arange(V) + 2) % V] = 1000.0
    model = MarkovModel(logits, token=seed)
    for temperature in (1.0, 0.5):
        ids = _draw_fed_back(sample, model, first, 12, temperature, seed, hidden)
        if not _greedy(model, ids, first):
            return (f"At temperature {temperature}, a character whose logit is 1000 above the "
                    "others has probability 1 (to float64 precision) and must always be drawn; "
                    "yours drew others: compute the probabilities with softmax(logits / "
                    "temperature).")
    return None


def _binary_kl(q, p):
    """KL(q || p) of Bernoulli distributions, elementwise (0 log 0 = 0)."""
    p = np.clip(p, 1e-300, 1 - 1e-16)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(q > 0, q * np.log(q / p), 0.0)
        b = np.where(q < 1, (1 - q) * np.log((1 - q) / (1 - p)), 0.0)
    return a + b


def cyclic_logits(base):
    """The (V, V) logits of a Markov model whose row r is `base` (V,) rotated so that base[0]
    falls on character r + 1, base[1] on r + 2, ... (mod V).

    After every character r, the offset (c - r - 1) mod V of the character c drawn next then has
    one distribution, softmax(base / temperature): the offsets of a correct sample are independent
    draws from it, and every draw of a long text counts for the one frequency test."""
    base = np.asarray(base, dtype=np.float64)
    return np.stack([np.roll(base, r + 1) for r in range(len(base))])


def _offsets(ids, first, V):
    before = np.concatenate([[first], ids[:-1]]).astype(np.int64)
    return (ids - before - 1) % V


def threshold(chains):
    """The frequency test's bound L for the texts drawn in one check, [(V, draws), ...]: a
    correct sample fails the check with probability below DELTA.

    The offsets of a text of n draws are independent (cyclic_logits), so the count of offset j is
    binomial(n, p_j), and the Chernoff bound gives P(n KL(count / n || p_j) > L) <= 2 exp(-L).
    Over every offset j of every text: 2 exp(-L) * sum(V) = DELTA."""
    return math.log(2 * sum(V for V, _ in chains) / DELTA)


def _fits(counts, p, bound):
    """Do counts (V,) of n independent draws pass the test against probabilities p (V,)?"""
    n = counts.sum()
    return bool(np.all(n * _binary_kl(counts / max(n, 1), p) <= bound))


def _frequency_words(found, expected, temperature, bound):
    """Why a text's frequencies do not follow softmax(logits / temperature).

    found: {"offsets", "characters"}: counts (V,) of the offsets after the character before and
    of the characters themselves; expected: {name: offset probabilities (V,)} of the usual slips
    and "right", the probabilities a correct sample follows, "first" the first step's (V,)."""
    V = len(found["offsets"])
    slips = [("ignored", f"temperature {temperature} gave the same frequencies as 1.0: is the "
                         "temperature applied after the softmax? The temperature divides the "
                         "logits, before the softmax: softmax(logits / temperature)."),
             ("multiplied", f"At temperature {temperature}, your frequencies are those of "
                            "softmax(logits * temperature): the temperature divides the logits, "
                            "softmax(logits / temperature), so that a temperature below 1 "
                            "sharpens and above 1 flattens."),
             ("uniform", f"At temperature {temperature}, every character is drawn about equally "
                         "often, whatever the logits: draw with the probabilities, "
                         "rng.choice(V, p=p).")]
    for name, words in slips:
        if name in expected and _fits(found["offsets"], expected[name], bound):
            return words
    if _fits(found["characters"], expected["first"], bound):
        return (f"At temperature {temperature}, your draws follow the same probabilities after "
                "every character, those of the first step: compute the probabilities from the "
                "logits of each step.")
    counts, p = found["offsets"], expected["right"]
    n = int(counts.sum())
    j = int(np.argmax(n * _binary_kl(counts / n, p)))
    return (f"At temperature {temperature}, the character {j + 1} after the one before (mod "
            f"V = {V}) was drawn {int(counts[j])} times in {n} ({counts[j] / n:.3f}), but "
            f"softmax(logits / temperature) gives it {p[j]:.3f} after every character: far "
            f"beyond chance (a correct sample fails this test with probability below "
            f"{DELTA:g}). Draw each character from softmax(logits / temperature) of the step "
            "that read the character before it.")


def _frequency_problem(sample, softmax, base, first, n, temperature, seed, bound, hidden=False):
    """Over n draws from cyclic_logits(base), the offsets follow softmax(base / temperature)."""
    model = MarkovModel(cyclic_logits(base), token=seed)
    V = model.V
    ids = _draw_fed_back(sample, model, first, n, temperature, seed, hidden)
    found = {"offsets": np.bincount(_offsets(ids, first, V), minlength=V).astype(float),
             "characters": np.bincount(ids, minlength=V).astype(float)}

    def offset_probabilities(logits):           # row 0 holds base[j] at character j + 1
        return np.roll(np.asarray(softmax(logits), dtype=np.float64)[0], -1)

    expected = {"right": offset_probabilities(model.logits / temperature),
                "first": np.asarray(softmax(model.logits[first] / temperature), dtype=np.float64)}
    if _fits(found["offsets"], expected["right"], bound):
        return None
    expected["uniform"] = np.full(V, 1 / V)
    if temperature != 1:
        expected["ignored"] = offset_probabilities(model.logits)
        expected["multiplied"] = offset_probabilities(model.logits * temperature)
    return _frequency_words(found, expected, temperature, bound)


FIVE = (2.0, 0.5, 0.0, -0.5, -1.5)                  # the visible test's Markov model: V = 5
SAMPLE_FREQUENCIES = ((1.0, 500), (0.5, 500), (2.0, 500))     # (temperature, draws)


def sample_failures(sample, softmax, runs, texts, hidden=False):
    """Raise CheckFailure if sample breaks a property: n int ids (not `first`), each fed back to
    step with the state step returned (runs: [(first, n, seed)]); the same seed the same ids,
    another seed others, np.random untouched and irrelevant; a character 1000 above the rest
    always drawn; the texts ([(base, first, temperature, draws, seed)]) drawn from cyclic_logits
    (base) following softmax(logits / temperature)."""
    model = MarkovModel(cyclic_logits(FIVE), token=7)
    for first, n, seed in runs:
        _draw_fed_back(sample, model, first, n, 1.0, seed, hidden)
    first, n, seed = runs[-1]
    problem = _randomness_problem(sample, model, first, n, seed, hidden)
    bound = threshold([(len(base), draws) for base, _, _, draws, _ in texts])
    for base, start, temperature, draws, text_seed in texts:
        problem = problem or _frequency_problem(sample, softmax, base, start, draws, temperature,
                                                text_seed, bound, hidden)
    problem = problem or _certain_problem(sample, first, seed, hidden)
    if problem:
        raise CheckFailure(problem)


def check_sample(sample, softmax):
    """Visible test of sample, by its properties (it is random): see sample_failures; the texts
    at temperatures 1, 0.5 and 2. Checked once softmax passes its own test (sample draws from
    softmax(logits / temperature))."""
    if not _passes(check_softmax, softmax):
        print("sample is checked once softmax passes its test: fix softmax first, then run this "
              "cell again.")
        return
    texts = [(FIVE, 1, temperature, draws, 11 + k)
             for k, (temperature, draws) in enumerate(SAMPLE_FREQUENCIES)]
    sample_failures(sample, softmax, runs=[(0, 1, 3), (2, 40, 5)], texts=texts)
    passed("sample")


SEVEN = (1.6, 1.0, 0.2, 0.0, -0.3, -1.0, -2.2)      # the hidden test's second model: V = 7


def sample_hidden_failures(sample, softmax):
    """The hidden test of sample: the visible test's properties on more runs and seeds, and a
    second model (V = 7) at other temperatures. `softmax` is the course's; raises CheckFailure."""
    texts = [(FIVE, 2, 1.0, 500, 31), (FIVE, 4, 0.5, 500, 32), (FIVE, 0, 2.0, 500, 33),
             (SEVEN, 5, 0.7, 500, 34), (SEVEN, 1, 1.5, 500, 35)]
    sample_failures(sample, softmax, runs=[(4, 1, 21), (0, 2, 22), (3, 50, 23)], texts=texts,
                    hidden=True)
