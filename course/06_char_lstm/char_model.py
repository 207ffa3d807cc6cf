"""Fast numpy training of a character-level LSTM (and a tanh RNN) language model (lesson 06).

This file holds answers of earlier lessons (the LSTM and RNN forward and backward passes),
written for speed rather than for reading: lessons 01, 02 and 04 hold the readable ones. It does
not hold lesson 06's graded answers: readout, softmax_cross_entropy, stream_batches (and
lesson 03's clip_by_global_norm) are passed in, so that your own functions drive the training.
It uses numpy only and is imported from the notebook's folder: `import char_model`.

Letters: N streams in a batch, T characters per window, H hidden units, V characters in the
vocabulary. A text is a 1-D int array of character ids; a batch of windows xs is (T, N) ids,
time-major; hs[t-1] is h_t (the initial state is not in hs); a state is a tuple of arrays, each
(N, H): (h, C) for the LSTM, (h,) for the RNN.

Parameters (float32 by default; dtype=np.float64 for gradient checks):
    CharLSTM  W (4H, H + V): the four gates fused, rows in the order f, i, C~, o (rows k*H ..
              (k+1)*H - 1 are gate k), acting on [h_prev, x_t] (h first); b (4H,), the forget
              gate's bias starts at 1; readout W_hy (V, H), b_y (V,).
    CharRNN   W_xh (H, V), W_hh (H, H), b_h (H,); readout W_hy (V, H), b_y (V,).
    x_t is one-hot, so [h_prev, x_t] @ W.T is h_prev @ W[:, :H].T plus column x_t of W[:, H:]:
    the input's product is a lookup (an embedding), never a matrix product.

The model:
    f_t = sigmoid(a_f), i_t = sigmoid(a_i), C~_t = tanh(a_C), o_t = sigmoid(a_o),
    [a_f; a_i; a_C; a_o] = W [h_prev; x_t] + b,
    C_t = f_t * C_prev + i_t * C~_t,  h_t = o_t * tanh(C_t),  logits_t = W_hy h_t + b_y.

Where the speed comes from (four to five times lesson 05's float64 networks.py per character):
float32; the embedding lookup; one matrix product per step for all four gates, and one tanh for
all four (sigmoid(a) = (1 + tanh(a / 2)) / 2, with the sigmoid gates' weights halved before the
loop); the batch stacked as columns inside the loops (h (H, N), the gates (4H, N)), so that
every gate is a contiguous block; the backward loop does only what depends on the recurrence:
each gate's local slope (d gate / d a, times what it multiplies) is computed for all T steps at
once before it, and the weight gradients of all T steps are one matrix product after it (the
input's one a sum by character id); the products of one step cut into pieces that OpenBLAS runs
on the calling thread (see _split); in a training loop, the same arrays from one update to the
next (forward(..., reuse=True)).

Training: train() (Adam, clipping with the clip function passed in, the state carried from
window to window), evaluate() (the mean validation loss), step_function() (for sample).
"""
import math
import time

import numpy as np

GATES = ("f", "i", "C", "o")          # the order of the fused gates' rows in W and b

# OpenBLAS (numpy's BLAS) spreads a matrix product over its threads once m * n * k exceeds
# 4 * 65536. For the products of one step that saves little, and its threads then spin between
# the steps: on a busy machine a step waits for a core. _split cuts a product into a batch of
# pieces below that size, which one np.matmul call runs on the calling thread (and, measured at
# H = 128, N = 32, faster than in one piece: 38 instead of 46 microseconds).
_ONE_THREAD = 4 * 65536


def _split(a, b_columns):
    """a (M, K) as a batch (P, M / P, K) of P pieces of rows with (M / P) K b_columns at most
    _ONE_THREAD (P divides M); the product with b (K, b_columns) is then (P, M / P, b_columns),
    a view of (M, b_columns) in the same memory."""
    M, K = a.shape
    pieces = 1
    while (M // pieces) * K * b_columns > _ONE_THREAD and M % (2 * pieces) == 0:
        pieces *= 2
    return np.ascontiguousarray(a).reshape(pieces, M // pieces, K)


def _uniform(rng, shape, fan_in, dtype):
    limit = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-limit, limit, shape).astype(dtype)


def _as_state(state, N, H, dtype):
    """A tuple of arrays (N, H) of the model's dtype (copies)."""
    return tuple(np.array(s, dtype=dtype).reshape(N, H) for s in state)


class _Model:
    """What the LSTM and the RNN share: V, H, dtype, params, chars, save and load."""

    KEYS = ()              # the parameter names (without the readout)
    STATES = 1             # arrays in a state

    def __init__(self, V, H, dtype):
        self.V, self.H, self.dtype = int(V), int(H), np.dtype(dtype)
        self.chars = None          # the characters of the ids (a list of V str), if known
        self.extra = {}            # other arrays read by load (for example a history)
        self._buffers = {}

    def _empty(self, name, shape, reuse):
        """An uninitialised array of the model's dtype: with reuse, the model's own array of that
        name (allocated once per shape), else a new one. Reusing saves the page faults of fresh
        large arrays (about a third of the time of a training update)."""
        if not reuse:
            return np.empty(shape, dtype=self.dtype)
        buffer = self._buffers.get(name)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[name] = np.empty(shape, dtype=self.dtype)
        return buffer

    def initial_state(self, N):
        """The state before the first character: zeros, a tuple of STATES arrays (N, H)."""
        return tuple(np.zeros((N, self.H), dtype=self.dtype) for _ in range(self.STATES))

    def save(self, path, **extra):
        """Write the parameters (keys KEYS, W_hy, b_y), chars (V,) str if known, and any extra
        arrays (history_updates=..., ...) to an npz file."""
        arrays = {name: self.params[name] for name in self.KEYS + ("W_hy", "b_y")}
        if self.chars is not None:
            arrays["chars"] = np.array(self.chars, dtype=str)
        np.savez(path, **arrays, **{k: np.asarray(v) for k, v in extra.items()})

    @classmethod
    def load(cls, path, dtype=np.float32):
        """A model from an npz file written by save; its other arrays land in model.extra."""
        with np.load(path) as data:
            arrays = {k: data[k] for k in data.files}
        V, H = arrays["W_hy"].shape
        model = cls(V, H, dtype=dtype)
        for name in cls.KEYS + ("W_hy", "b_y"):
            model.params[name][...] = arrays.pop(name)
        if "chars" in arrays:
            model.chars = [str(c) for c in arrays.pop("chars")]
        model.extra = arrays
        return model


def load(path, dtype=np.float32):
    """A CharLSTM or CharRNN (by the names in the file) from an npz file written by save."""
    with np.load(path) as data:
        cls = CharLSTM if "W" in data.files else CharRNN
    return cls.load(path, dtype=dtype)


# --- the LSTM -------------------------------------------------------------------------------

class CharLSTM(_Model):
    """A character-level LSTM: params {"W" (4H, H + V), "b" (4H,), "W_hy" (V, H), "b_y" (V,)}
    (see the module's docstring). W is uniform in +-1/sqrt(H + 1) (h and one input character
    feed a gate), W_hy in +-1/sqrt(H); b is zero except the forget gate's rows (1), b_y zero."""

    KEYS = ("W", "b")
    STATES = 2

    def __init__(self, V, H, seed=0, dtype=np.float32):
        super().__init__(V, H, dtype)
        rng = np.random.default_rng(seed)
        b = np.zeros(4 * H, dtype=self.dtype)
        b[:H] = 1.0
        self.params = {"W": _uniform(rng, (4 * H, H + V), H + 1, self.dtype), "b": b,
                       "W_hy": _uniform(rng, (V, H), H, self.dtype),
                       "b_y": np.zeros(V, dtype=self.dtype)}
        # sigmoid(a) = (1 + tanh(a / 2)) / 2: the sigmoid gates' rows are halved before tanh
        self._half = np.full((4 * H, 1), 0.5, dtype=self.dtype)
        self._half[2 * H:3 * H] = 1.0

    # conversion to and from lesson 04's parameters
    def gate_params(self):
        """Lesson 04's dict: W_f, W_i, W_C, W_o each (H, H + V) float64 acting on [h_prev, x_t],
        b_f, b_i, b_C, b_o each (H,). New arrays."""
        return split_gates(self.params["W"], self.params["b"])

    @classmethod
    def from_gate_params(cls, gate_params, W_hy, b_y, dtype=np.float32):
        """A CharLSTM with lesson 04's gate weights (W_f .. b_o, each W (H, H + V)) and the
        readout W_hy (V, H), b_y (V,)."""
        V, H = np.shape(W_hy)
        model = cls(V, H, dtype=dtype)
        W, b = fuse_gates(gate_params)
        for name, value in (("W", W), ("b", b), ("W_hy", W_hy), ("b_y", b_y)):
            model.params[name][...] = value
        return model

    def forward(self, xs, state, reuse=False):
        """Run the LSTM over a batch of windows.

        xs (T, N) character ids; state (h, C), each (N, H)
        -> hs (T, N, H) with hs[t-1] = h_t, the new state (h_T, C_T), and the cache backward needs.
        With reuse=True hs and the cache live in the model's own arrays: they are overwritten by
        the next forward(..., reuse=True) (as in a training loop); the state is always new.
        """
        xs = np.asarray(xs)
        T, N = xs.shape
        H, H2, H3, dtype = self.H, 2 * self.H, 3 * self.H, self.dtype
        h0, C0 = _as_state(state, N, H, dtype)
        W, b, half = self.params["W"], self.params["b"], self._half
        W_h = _split(W[:, :H] * half, N)                               # (4H, H), halved rows
        lookup = (W[:, H:] + b[:, None]) * half                        # (4H, V) one per char
        gates = self._empty("gates", (T, 4 * H, N), reuse)             # a, then the gates
        _look_up(lookup, xs, gates)
        h_cols = self._empty("h_cols", (T + 1, H, N), reuse)           # [h0, h_1 .. h_T] as columns
        C_cols = self._empty("C_cols", (T + 1, H, N), reuse)           # [C0, C_1 .. C_T]
        tanh_C = self._empty("tanh_C", (T, H, N), reuse)
        h_cols[0], C_cols[0] = h0.T, C0.T
        product = self._empty("product", (4 * H, N), True).reshape(W_h.shape[0], -1, N)
        i_C = self._empty("i_C", (H, N), True)
        for t in range(T):
            g = gates[t]
            np.matmul(W_h, h_cols[t], out=product)
            g += product.reshape(4 * H, N)
            np.tanh(g, out=g)                          # tanh(a_C) and tanh(a / 2) of the others
            for s in (g[:H2], g[H3:]):                 # sigmoid = (1 + tanh(a / 2)) / 2
                s *= 0.5
                s += 0.5
            C = C_cols[t + 1]
            np.multiply(g[:H], C_cols[t], out=C)       # f * C_prev
            np.multiply(g[H:H2], g[H2:H3], out=i_C)    # i * C~
            C += i_C
            np.tanh(C, out=tanh_C[t])
            np.multiply(g[H3:], tanh_C[t], out=h_cols[t + 1])
        h_rows = self._empty("h_rows", (T + 1, N, H), reuse)           # [h0, h_1 .. h_T] as rows
        h_rows[0] = h0
        h_rows[1:] = h_cols[1:].transpose(0, 2, 1)
        cache = {"xs": xs, "gates": gates, "C_cols": C_cols, "tanh_C": tanh_C, "h_rows": h_rows,
                 "reuse": reuse}
        return h_rows[1:], (h_rows[T].copy(), C_cols[T].T.copy()), cache

    def backward(self, dhs, cache):
        """Backpropagation through the window (no gradient flows into the state it started from).

        dhs (T, N, H): dhs[t-1] the gradient of the loss on h_t through step t's own output only;
        cache from forward -> {"W" (4H, H + V), "b" (4H,)}, the gradients of the loss.
        """
        gates, C_cols, tanh_C = cache["gates"], cache["C_cols"], cache["tanh_C"]
        T, _, N = gates.shape
        H, dtype = self.H, self.dtype
        g = gates.reshape(T, 4, H, N)
        f, i, C_tilde, o = g[:, 0], g[:, 1], g[:, 2], g[:, 3]
        # slope[t] = d(what gate k adds to C_t or h_t) / d a_k, per unit of dC or dh:
        # f: C_prev f (1 - f), i: C~ i (1 - i), C~: i (1 - C~^2), o: tanh(C) o (1 - o).
        reuse = cache["reuse"]
        slope = np.subtract(1.0, g, out=self._empty("slope", g.shape, reuse))
        np.multiply(C_tilde, C_tilde, out=slope[:, 2])
        np.subtract(1.0, slope[:, 2], out=slope[:, 2])
        slope[:, :2] *= g[:, :2]
        slope[:, 3] *= o
        slope[:, 0] *= C_cols[:-1]
        slope[:, 1] *= C_tilde
        slope[:, 2] *= i
        slope[:, 3] *= tanh_C
        to_C = np.multiply(tanh_C, tanh_C, out=self._empty("to_C", tanh_C.shape, reuse))
        np.subtract(1.0, to_C, out=to_C)
        to_C *= o                                                      # dC_t / dh_t = o tanh'(C)
        da = slope                                                     # becomes dL/da, in place
        W_h_T = _split(self.params["W"][:, :H].T, N)                   # (H, 4H)
        dh = np.zeros((H, N), dtype=dtype)
        dC = np.zeros((H, N), dtype=dtype)
        dC_from_h = self._empty("dC_from_h", (H, N), True)
        dhs = _as_columns(dhs, dtype)
        for t in range(T - 1, -1, -1):
            dh += dhs[t]                                    # total dL/dh_t
            np.multiply(dh, to_C[t], out=dC_from_h)
            dC += dC_from_h                                 # total dL/dC_t
            da[t, :3] *= dC                                 # f, i, C~
            da[t, 3] *= dh                                  # o
            dC *= f[t]                                      # to C_{t-1}, and to h_{t-1}:
            np.matmul(W_h_T, da[t].reshape(4 * H, N), out=dh.reshape(W_h_T.shape[0], -1, N))
        return _weight_gradients(da.reshape(T, 4 * H, N), cache["h_rows"][:-1], cache["xs"],
                                 self.V, "W", "b", self._empty("da_rows", (T * N, 4 * H), reuse))

    def trace(self, xs, state):
        """Everything the LSTM computes on a batch of windows, as rows (for explorers):
        xs (T, N) ids, state (h, C) each (N, H) -> {"h", "C", "f", "i", "C_tilde", "o"}, each
        (T, N, H) float64: [t-1] is the value at step t (h_t, C_t, the gates of step t)."""
        hs, _, cache = self.forward(xs, state)
        T, _, N = cache["gates"].shape
        gates = cache["gates"].reshape(T, 4, self.H, N).transpose(1, 0, 3, 2)
        out = {"h": hs, "C": cache["C_cols"][1:].transpose(0, 2, 1)}
        out.update(zip(("f", "i", "C_tilde", "o"), gates))
        return {name: np.array(value, dtype=np.float64) for name, value in out.items()}

    def step(self, char, state):
        """One character: char an id, state (h, C) each (1, H) -> (h_t (1, H), (h_t, C_t))."""
        H, H2, H3, W = self.H, 2 * self.H, 3 * self.H, self.params["W"]
        h, C = state
        a = W[:, :H] @ h[0] + W[:, H + int(char)] + self.params["b"]      # (4H,)
        g = np.tanh(a * self._half[:, 0])
        for s in (g[:H2], g[H3:]):
            s *= 0.5
            s += 0.5
        C = g[:H] * C[0] + g[H:H2] * g[H2:H3]
        h = g[H3:] * np.tanh(C)
        return h[None], (h[None], C[None])


def _look_up(lookup, xs, out):
    """out[t] = lookup[:, xs[t]] for every t: lookup (G, V), xs (T, N) ids, out (T, G, N).
    (Column by column, step by step: twice as fast as lookup.T[xs] transposed.)"""
    if xs.size and (xs.min() < 0 or xs.max() >= lookup.shape[1]):
        raise IndexError(f"character ids must be in 0 .. {lookup.shape[1] - 1}")
    for t in range(xs.shape[0]):
        np.take(lookup, xs[t], axis=1, out=out[t], mode="clip")


def _as_columns(dhs, dtype):
    """dhs (T, N, H) -> (T, H, N) of the dtype, contiguous (a copy)."""
    dhs = np.asarray(dhs)
    out = np.empty((dhs.shape[0], dhs.shape[2], dhs.shape[1]), dtype=dtype)
    out[...] = dhs.transpose(0, 2, 1)
    return out


def _weight_gradients(da, h_prev_rows, xs, V, W_name, b_name, da_rows):
    """The gradients of fused weights W (G, H + V) acting on [h_prev, x_t] and b (G,), from
    dL/da of every step da (T, G, N), the states they read h_prev_rows (T, N, H) and the ids
    xs (T, N): one matrix product for the h part, a sum of da by character id for the x part.
    da_rows (T * N, G): where to put da as rows."""
    T, G, N = da.shape
    H = h_prev_rows.shape[2]
    da_rows.reshape(T, N, G)[...] = da.transpose(0, 2, 1)
    dW = np.empty((G, H + V), dtype=da.dtype)
    np.matmul(da_rows.T, h_prev_rows.reshape(T * N, H), out=dW[:, :H])
    dW[:, H:] = _sum_by_id(da_rows, xs.reshape(-1), V).T
    return {W_name: dW, b_name: da_rows.sum(axis=0)}


def _sum_by_id(rows, ids, V):
    """sums (V, G): sums[v] = the sum of rows (M, G) whose id (M,) is v. (Sorted, then one sum
    per id: faster than np.add.at, np.add.reduceat or a product with one-hot rows.)"""
    order = np.argsort(ids, kind="stable")
    sorted_ids, sorted_rows = ids[order], rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])
    ends = np.r_[starts[1:], len(ids)]
    sums = np.zeros((V, rows.shape[1]), dtype=rows.dtype)
    for start, end in zip(starts.tolist(), ends.tolist()):
        sorted_rows[start:end].sum(axis=0, out=sums[sorted_ids[start]])
    return sums


def split_gates(W, b):
    """Lesson 04's dict (float64) from fused W (4H, H + V), b (4H,): W_f .. W_o (H, H + V),
    b_f .. b_o (H,). Works for gradients too."""
    H = W.shape[0] // 4
    out = {}
    for k, gate in enumerate(GATES):
        out[f"W_{gate}"] = np.array(W[k * H:(k + 1) * H], dtype=np.float64)
        out[f"b_{gate}"] = np.array(b[k * H:(k + 1) * H], dtype=np.float64)
    return out


def fuse_gates(gate_params):
    """(W (4H, H + V), b (4H,)) from lesson 04's dict (W_f .. b_o). Works for gradients too."""
    return (np.concatenate([gate_params[f"W_{g}"] for g in GATES], axis=0),
            np.concatenate([gate_params[f"b_{g}"] for g in GATES]))


# --- the tanh RNN ---------------------------------------------------------------------------

class CharRNN(_Model):
    """A character-level tanh RNN: params {"W_xh" (H, V), "W_hh" (H, H), "b_h" (H,),
    "W_hy" (V, H), "b_y" (V,)}; h_t = tanh(W_xh x_t + W_hh h_prev + b_h). W_xh uniform in
    +-1/sqrt(H + 1) (as the LSTM's W), W_hh a random orthogonal matrix, W_hy in +-1/sqrt(H),
    biases zero. The state is (h,)."""

    KEYS = ("W_xh", "W_hh", "b_h")
    STATES = 1

    def __init__(self, V, H, seed=0, dtype=np.float32):
        super().__init__(V, H, dtype)
        rng = np.random.default_rng(seed)
        q, r = np.linalg.qr(rng.normal(size=(H, H)))
        self.params = {"W_xh": _uniform(rng, (H, V), H + 1, self.dtype),
                       "W_hh": (q * np.sign(np.diag(r))).astype(self.dtype),
                       "b_h": np.zeros(H, dtype=self.dtype),
                       "W_hy": _uniform(rng, (V, H), H, self.dtype),
                       "b_y": np.zeros(V, dtype=self.dtype)}

    def forward(self, xs, state, reuse=False):
        """xs (T, N) ids, state (h,) with h (N, H) -> hs (T, N, H), (h_T,), cache (reuse as for
        CharLSTM.forward)."""
        xs = np.asarray(xs)
        T, N = xs.shape
        H, dtype = self.H, self.dtype
        (h0,) = _as_state(state, N, H, dtype)
        p = self.params
        lookup = p["W_xh"] + p["b_h"][:, None]                         # (H, V)
        h_cols = self._empty("h_cols", (T + 1, H, N), reuse)
        h_cols[0] = h0.T
        _look_up(lookup, xs, h_cols[1:])
        W_hh = _split(p["W_hh"], N)
        product = self._empty("product", (H, N), True).reshape(W_hh.shape[0], -1, N)
        for t in range(T):
            np.matmul(W_hh, h_cols[t], out=product)
            h = h_cols[t + 1]
            h += product.reshape(H, N)
            np.tanh(h, out=h)
        h_rows = self._empty("h_rows", (T + 1, N, H), reuse)
        h_rows[0] = h0
        h_rows[1:] = h_cols[1:].transpose(0, 2, 1)
        cache = {"xs": xs, "h_cols": h_cols, "h_rows": h_rows, "reuse": reuse}
        return h_rows[1:], (h_rows[T].copy(),), cache

    def backward(self, dhs, cache):
        """dhs (T, N, H) as for CharLSTM.backward, cache from forward
        -> {"W_xh" (H, V), "W_hh" (H, H), "b_h" (H,)}."""
        h_cols = cache["h_cols"]
        T, H, N = h_cols.shape[0] - 1, self.H, h_cols.shape[2]
        dtype = self.dtype
        reuse = cache["reuse"]
        da = np.multiply(h_cols[1:], h_cols[1:], out=self._empty("da", (T, H, N), reuse))
        np.subtract(1.0, da, out=da)                                   # tanh', becomes dL/da
        W_hh_T = _split(self.params["W_hh"].T, N)
        dh = np.zeros((H, N), dtype=dtype)
        dhs = _as_columns(dhs, dtype)
        for t in range(T - 1, -1, -1):
            dh += dhs[t]
            da[t] *= dh
            np.matmul(W_hh_T, da[t], out=dh.reshape(W_hh_T.shape[0], -1, N))
        grads = _weight_gradients(da, cache["h_rows"][:-1], cache["xs"], self.V, "W", "b_h",
                                  self._empty("da_rows", (T * N, H), reuse))
        W = grads.pop("W")
        grads["W_hh"], grads["W_xh"] = W[:, :H].copy(), W[:, H:].copy()
        return grads

    def step(self, char, state):
        """One character: char an id, state (h,) with h (1, H) -> (h_t (1, H), (h_t,))."""
        p = self.params
        h = np.tanh(p["W_hh"] @ state[0][0] + p["W_xh"][:, int(char)] + p["b_h"])
        return h[None], (h[None],)


# --- a learner's own LSTM (lesson 04) behind the same interface -------------------------------

class LearnerLSTM:
    """The interface of CharLSTM, computed with your lesson 04 functions (float64, one-hot x):
    lstm_forward(x, h0, C0, params) -> (hs, Cs) and lstm_backward(dhs, x, h0, C0, params) ->
    (dx, dh0, dC0, grads). params holds lesson 04's dict (W_f .. b_o, each W (H, H + V)) and the
    readout W_hy (V, H), b_y (V,), float64 copies of the arrays given."""

    STATES = 2

    def __init__(self, lstm_forward, lstm_backward, gate_params, W_hy, b_y):
        self._forward, self._backward = lstm_forward, lstm_backward
        self.params = {name: np.array(value, dtype=np.float64)
                       for name, value in {**gate_params, "W_hy": W_hy, "b_y": b_y}.items()}
        self.V, self.H = self.params["W_hy"].shape
        self.dtype = np.dtype(np.float64)
        self.chars = None

    def gate_params(self):
        """Lesson 04's dict (copies)."""
        return {f"{w}_{g}": self.params[f"{w}_{g}"].copy() for g in GATES for w in "Wb"}

    def initial_state(self, N):
        return (np.zeros((N, self.H)), np.zeros((N, self.H)))

    def forward(self, xs, state, reuse=False):
        """xs (T, N) ids, state (h, C) each (N, H) -> hs (T, N, H), (h_T, C_T), cache (reuse is
        ignored: your functions make new arrays)."""
        xs = np.asarray(xs)
        x = np.eye(self.V)[xs]                                         # (T, N, V) one-hot
        h0, C0 = (np.array(s, dtype=np.float64) for s in state)
        params = self.gate_params()
        hs, Cs = self._forward(x, h0, C0, params)
        return hs, (hs[-1].copy(), Cs[-1].copy()), (x, h0, C0, params)

    def backward(self, dhs, cache):
        """dhs (T, N, H), cache from forward -> the gradients of W_f .. b_o (lesson 04's dict)."""
        x, h0, C0, params = cache
        _, _, _, grads = self._backward(np.asarray(dhs, dtype=np.float64), x, h0, C0, params)
        return {name: np.asarray(grads[name]) for name in params}


# --- readout, loss, training ------------------------------------------------------------------

def readout_backward(dlogits, hs, W_hy):
    """The gradients of the readout logits = hs @ W_hy.T + b_y: dlogits (T, N, V), hs (T, N, H),
    W_hy (V, H) -> (dhs (T, N, H), dW_hy (V, H), db_y (V,))."""
    T, N, V = dlogits.shape
    flat = dlogits.reshape(T * N, V)
    return ((flat @ W_hy).reshape(T, N, -1), flat.T @ hs.reshape(T * N, -1), flat.sum(axis=0))


def loss_and_grads(model, xs, ys, state, readout, softmax_cross_entropy):
    """One window: xs, ys (T, N) ids, state -> (loss in nats, grads {name: array like
    model.params[name]}, the state after the window)."""
    p = model.params
    hs, state, cache = model.forward(xs, state, reuse=True)
    loss, dlogits = softmax_cross_entropy(readout(hs, p["W_hy"], p["b_y"]), ys)
    dlogits = np.asarray(dlogits, dtype=model.dtype)
    dhs, dW_hy, db_y = readout_backward(dlogits, hs, p["W_hy"])
    grads = model.backward(dhs, cache)
    grads["W_hy"], grads["b_y"] = dW_hy, db_y
    return float(loss), grads, state


class Adam:
    """Adam (Kingma & Ba, 2015) for a dict of parameters, updated in place by step():
        m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g**2,
        p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - beta1**t),
        v_hat = v / (1 - beta2**t),  t the number of steps taken so far (1 at the first).
    The moments have the parameters' dtype; the update is computed in place, without
    temporaries the size of the parameters beyond one."""

    def __init__(self, params, lr=2e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self._work = {name: np.empty_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, params, grads):
        """One update of every array of `params` (in place) with the gradients `grads`."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        # m_hat / (sqrt(v_hat) + eps) = (sqrt(c2) / c1) m / (sqrt(v) + eps sqrt(c2)), exactly
        step_size, eps = self.lr * math.sqrt(c2) / c1, self.eps * math.sqrt(c2)
        for name, p in params.items():
            g = np.asarray(grads[name], dtype=p.dtype)
            m, v, work = self.m[name], self.v[name], self._work[name]
            m *= b1
            np.multiply(g, 1.0 - b1, out=work)
            m += work
            v *= b2
            np.multiply(g, g, out=work)
            work *= 1.0 - b2
            v += work
            np.sqrt(v, out=work)
            work += eps
            np.divide(m, work, out=work)
            work *= step_size
            p -= work


def evaluate(model, ids, readout, softmax_cross_entropy, stream_batches, N=32, T=100):
    """The mean loss (nats per character) of the model on a text ids (L,), read as
    stream_batches(ids, N, T) cuts it, the state carried from window to window (from zeros)."""
    xs, ys = stream_batches(np.asarray(ids), N, T)
    if len(xs) == 0:
        raise ValueError(f"a text of {len(ids)} characters is too short for {N} streams of "
                         f"{T} + 1 characters")
    p = model.params
    state = model.initial_state(N)
    total = 0.0
    for k in range(len(xs)):
        hs, state, _ = model.forward(xs[k], state, reuse=True)
        loss, _ = softmax_cross_entropy(readout(hs, p["W_hy"], p["b_y"]), ys[k])
        total += float(loss)
    return total / len(xs)


def train(model, train_ids, val_ids, *, readout, softmax_cross_entropy, stream_batches, clip,
          N=32, T=25, lr=2e-3, max_norm=5.0, updates=None, seconds=None, seed=0, every=100,
          on_progress=None, eval_N=32, eval_T=100):
    """Train the model in place with Adam on windows of T characters from N contiguous streams
    of train_ids (stream_batches(ids, N, T)), the state carried from one window to the next
    (truncated BPTT; reset to zeros when the text is used up and read again, from a start shifted
    by 0 .. T - 1 characters drawn with `seed`), gradients clipped with clip(grads, max_norm) ->
    (clipped, total_norm). Stops after `updates` updates or `seconds` seconds of training,
    whichever comes first (at least one must be given).

    Every `every` updates (and at the end) it records the update count, the seconds of
    training so far (evaluation not included), the mean training loss since the last record and
    the validation loss evaluate(model, val_ids, ..., eval_N, eval_T), in nats per character, and
    calls on_progress(record) with that dict if given. Returns the history: a dict of arrays
    "updates", "seconds", "train_loss", "val_loss", "wall" (seconds including evaluation).
    """
    if updates is None and seconds is None:
        raise ValueError("give updates, seconds or both")
    rng = np.random.default_rng(seed)
    optimizer = Adam(model.params, lr=lr)
    history = {key: [] for key in ("updates", "seconds", "train_loss", "val_loss", "wall")}
    train_ids = np.asarray(train_ids)
    trained, losses, done = 0.0, [], 0
    start_wall = time.perf_counter()
    xs, ys, k, state = None, None, 0, None
    while True:
        started = time.perf_counter()
        if xs is None or k == len(xs):
            shift = 0 if xs is None else int(rng.integers(0, T))
            xs, ys = stream_batches(train_ids[shift:], N, T)
            k, state = 0, model.initial_state(N)
        loss, grads, state = loss_and_grads(model, xs[k], ys[k], state, readout,
                                            softmax_cross_entropy)
        grads, _ = clip(grads, max_norm)
        optimizer.step(model.params, grads)
        k, done = k + 1, done + 1
        losses.append(loss)
        trained += time.perf_counter() - started
        finished = (updates is not None and done >= updates) or \
                   (seconds is not None and trained >= seconds)
        if done % every == 0 or finished:
            record = {"updates": done, "seconds": trained, "train_loss": float(np.mean(losses)),
                      "val_loss": evaluate(model, val_ids, readout, softmax_cross_entropy,
                                           stream_batches, eval_N, eval_T)}
            record["wall"] = time.perf_counter() - start_wall
            losses = []
            for key in history:
                history[key].append(record[key])
            if on_progress is not None:
                on_progress(record)
        if finished:
            return {key: np.array(values) for key, values in history.items()}


def step_function(model, readout):
    """step(i, state) -> (logits (V,), state) for sample: the model reads character i from state
    (model.initial_state(1), or a state after a prompt) and scores the next character with your
    readout."""
    p = model.params
    fast = getattr(model, "step", None)

    def step(i, state):
        if fast is not None:
            h, state = fast(i, state)
        else:
            hs, state, _ = model.forward(np.array([[i]]), state)
            h = hs[-1]
        return readout(h.reshape(1, 1, -1), p["W_hy"], p["b_y"])[0, 0], state

    return step
