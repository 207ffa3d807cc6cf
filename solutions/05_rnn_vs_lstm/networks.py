"""Fast numpy training of a tanh RNN, an LSTM and an IRNN on a sequence task read out at the last
step (lesson 05: RNN vs LSTM on the adding problem).

This file holds answers of earlier lessons (the RNN and LSTM forward and backward passes,
clipping), written for speed rather than for reading: the lessons' own versions are the readable
ones. It uses numpy only and is imported from the notebook's folder: `import networks`.

Conventions (as in the course): math with column vectors, code with a batch stacked as rows;
sequences are time-major, x (T, N, D); hs[t-1] is h_t (h0 is not in hs). Letters: N batch size,
T sequence length, D input size, H hidden size.

    RNN   h_t = tanh(x_t @ W_xh.T + h_prev @ W_hh.T + b_h)
    IRNN  h_t = relu(x_t @ W_xh.T + h_prev @ W_hh.T + b_h), started at W_hh = I, b_h = 0
          (Le, Jaitly & Hinton, 2015)
    LSTM  f_t = sigmoid([h_prev, x_t] @ W_f.T + b_f)        forget gate
          i_t = sigmoid([h_prev, x_t] @ W_i.T + b_i)        input gate
          C~_t = tanh([h_prev, x_t] @ W_C.T + b_C)          candidate cell
          o_t = sigmoid([h_prev, x_t] @ W_o.T + b_o)        output gate
          C_t = f_t * C_prev + i_t * C~_t,   h_t = o_t * tanh(C_t)
    readout  y_hat = h_T @ W_y.T + b_y (N, 1),   loss = mean((y_hat - y) ** 2)

Parameters are dicts of float64 arrays:
    rnn, irnn   W_xh (H, D), W_hh (H, H), b_h (H,), W_y (1, H), b_y (1,)
    lstm  W_x (4H, D), W_h (4H, H), b (4H,), W_y (1, H), b_y (1,)
The LSTM keeps its four gates stacked, rows in the order f, i, o, C~ (the three sigmoid gates,
then the candidate; rows k*H .. (k+1)*H - 1 are gate k), and splits the weights by input instead
of concatenating the inputs: [h_prev, x_t] @ W.T = h_prev @ W_h.T + x_t @ W_x.T.
lstm_params_to_api / lstm_params_from_api convert to and from the lesson 04 dict (W_f, b_f, W_i,
b_i, W_C, b_C, W_o, b_o; each W (H, H + D) acting on [h_prev, x_t]).

Where the speed comes from: the input projections of all T steps are one call before the loop;
each step has one matrix product for all four gates, one exp for the three sigmoid gates
(numpy's exp is vectorised, its tanh several times slower) and one tanh for the candidate; the
backward loop keeps dL/da of every step, and the weight gradients of all steps are one call after
it. Inside, the LSTM stacks the batch as columns (as in the math), so that each gate is a
contiguous block of rows: numpy is much faster on contiguous blocks than on strided slices.

train() runs the experiment: Adam, clipping of the global gradient norm, a fixed budget of
training sequences, a fixed seeded test set, and copies of the weights at chosen updates
(checkpoints). The data come from the function passed in as
make_batch(T, N, rng) -> (x (T, N, D), y (N, 1)).
"""
import math
import time

import numpy as np

MODELS = ("rnn", "lstm", "irnn")
GATES = ("f", "i", "o", "C")      # the order of the stacked LSTM gates (sigmoid x 3, then tanh)


# A threaded BLAS (OpenBLAS, as numpy ships it) spreads a product over its worker threads once
# m * n * k exceeds 4 * 65536; for the sizes here that saves nothing, and the workers then spin,
# taking a core from the main thread: on a busy 2-core machine a whole update ran 2-3 times
# slower. _dot cuts such products into pieces below that size, which run on the calling thread.
_ONE_THREAD = 4 * 65536


def _dot(a, b):
    """a @ b for 2-D a (M, K) and b (K, N), computed in pieces of at most _ONE_THREAD
    multiply-adds (rows of a, or slices of the inner dimension summed up)."""
    M, K = a.shape
    N = b.shape[1]
    if M * N * K <= _ONE_THREAD:
        return a @ b
    if M * N <= _ONE_THREAD // 4 and K > M:         # small result, long inner dimension
        step = max(1, _ONE_THREAD // (M * N))
        out = a[:, :step] @ b[:step]
        for s in range(step, K, step):
            out += a[:, s:s + step] @ b[s:s + step]
        return out
    rows = max(1, _ONE_THREAD // (K * N))
    out = np.empty((M, N), dtype=np.result_type(a, b))
    for s in range(0, M, rows):
        np.matmul(a[s:s + rows], b, out=out[s:s + rows])
    return out


# --- initialisation ---------------------------------------------------------------------------

def rnn_init(D, H, rng):
    """Weights of a tanh RNN with a linear readout: W_xh (H, D) uniform in +-1/sqrt(D), W_hh (H, H)
    a random orthogonal matrix, W_y (1, H) uniform in +-1/sqrt(H), b_h (H,) and b_y (1,) zero."""
    q, r = np.linalg.qr(rng.normal(size=(H, H)))
    return {"W_xh": _uniform(rng, (H, D)), "W_hh": q * np.sign(np.diag(r)), "b_h": np.zeros(H),
            "W_y": _uniform(rng, (1, H)), "b_y": np.zeros(1)}


def irnn_init(D, H, rng):
    """Weights of an IRNN (Le, Jaitly & Hinton, 2015): W_hh (H, H) the identity and b_h (H,) zero,
    as they propose; W_xh (H, D), W_y (1, H) and b_y (1,) as in rnn_init, so that the tanh RNN and
    the IRNN differ only in the activation and the recurrent matrix's start."""
    return {"W_xh": _uniform(rng, (H, D)), "W_hh": np.eye(H), "b_h": np.zeros(H),
            "W_y": _uniform(rng, (1, H)), "b_y": np.zeros(1)}


def lstm_init(D, H, rng, forget_bias=1.0):
    """Weights of an LSTM with a linear readout, stacked: W_x (4H, D) uniform in +-1/sqrt(D),
    W_h (4H, H) and W_y (1, H) uniform in +-1/sqrt(H) (each block scaled by the size of its
    input); b (4H,) zero except the forget gate's bias, `forget_bias` (1 by default: with these
    small weights each forget gate starts near sigmoid(1) = 0.73, so the cell keeps about 73% of
    its content per step and sigmoid(1)**50 = 1.6e-7 over 50 steps); b_y (1,) zero."""
    b = np.zeros(4 * H)
    b[:H] = forget_bias
    return {"W_x": _uniform(rng, (4 * H, D)), "W_h": _uniform(rng, (4 * H, H)), "b": b,
            "W_y": _uniform(rng, (1, H)), "b_y": np.zeros(1)}


def _uniform(rng, shape):
    """Uniform in +-1/sqrt(fan_in), fan_in = shape[1] (the size of the input it multiplies)."""
    limit = 1.0 / math.sqrt(shape[1])
    return rng.uniform(-limit, limit, shape)


def init_params(model, D, H, rng, forget_bias=1.0):
    """rnn_init(D, H, rng), lstm_init(D, H, rng, forget_bias) or irnn_init(D, H, rng), by model
    ("rnn", "lstm" or "irnn")."""
    if model == "rnn":
        return rnn_init(D, H, rng)
    if model == "irnn":
        return irnn_init(D, H, rng)
    if model == "lstm":
        return lstm_init(D, H, rng, forget_bias)
    raise ValueError(f"model must be one of {MODELS}, not {model!r}")


# --- conversion to and from the lesson 04 parameters ------------------------------------------

def lstm_params_to_api(params):
    """The lesson 04 dict from stacked LSTM weights: W_f, W_i, W_C, W_o each (H, H + D) acting on
    [h_prev, x_t] (h first), b_f, b_i, b_C, b_o each (H,). Works for gradients too. New arrays."""
    H = params["W_h"].shape[1]
    W = np.concatenate([params["W_h"], params["W_x"]], axis=1)      # (4H, H + D)
    out = {}
    for k, gate in enumerate(GATES):
        out[f"W_{gate}"] = W[k * H:(k + 1) * H].copy()
        out[f"b_{gate}"] = params["b"][k * H:(k + 1) * H].copy()
    return out


def lstm_params_from_api(api):
    """Stacked LSTM weights W_x (4H, D), W_h (4H, H), b (4H,) from the lesson 04 dict (W_f, b_f,
    W_i, b_i, W_C, b_C, W_o, b_o; each W (H, H + D) acting on [h_prev, x_t]). New arrays; the
    readout (W_y, b_y) is not part of it."""
    W = np.concatenate([api[f"W_{gate}"] for gate in GATES], axis=0)   # (4H, H + D)
    H = W.shape[0] // 4
    return {"W_x": W[:, H:].copy(), "W_h": W[:, :H].copy(),
            "b": np.concatenate([api[f"b_{gate}"] for gate in GATES]).astype(np.float64)}


# --- the tanh RNN -----------------------------------------------------------------------------

def rnn_forward(x, params, h0=None, keep=True, relu=False):
    """Run the tanh RNN (the ReLU one, an IRNN's, if relu) over x (T, N, D) from h0 (N, H) (zeros
    if None).

    Returns (hs, cache): hs (T, N, H) with hs[t-1] = h_t, and what rnn_backward needs. With
    keep=False only the last state is kept: hs is (1, N, H) = h_T and cache is None.
    """
    T, N, D = x.shape
    W_hh = params["W_hh"]
    H = W_hh.shape[0]
    h = np.zeros((N, H)) if h0 is None else np.asarray(h0, dtype=np.float64)
    # hs_full[0] = h0, hs_full[t] = h_t: the inputs of the weight gradients in one array.
    hs_full = np.empty((T + 1, N, H)) if keep else None
    if keep:
        hs_full[0] = h
    a = (_dot(x.reshape(T * N, D), params["W_xh"].T) + params["b_h"]).reshape(T, N, H)
    W_hh_T = np.ascontiguousarray(W_hh.T)
    step_dot = np.matmul if N * H * H <= _ONE_THREAD else _dot
    for t in range(T):
        z = a[t]
        z += step_dot(h, W_hh_T)
        h = hs_full[t + 1] if keep else z
        if relu:
            np.maximum(z, 0.0, out=h)
        else:
            np.tanh(z, out=h)
    if not keep:
        return h[None].copy(), None
    return hs_full[1:], {"x": x, "hs_full": hs_full, "params": params, "relu": relu}


def rnn_backward(dhs, cache):
    """Backpropagation through time of the tanh RNN (or the ReLU one: cache["relu"]).

    dhs: (T, N, H), dhs[t-1] the gradient of the loss with respect to h_t through step t's own
    output only; or (N, H), the gradient with respect to h_T when the loss reads the last state
    alone. cache: from rnn_forward.
    Returns a dict of gradients named after what they are the gradient of: W_xh (H, D),
    W_hh (H, H), b_h (H,), x (T, N, D), h0 (N, H).
    """
    x, hs_full, params = cache["x"], cache["hs_full"], cache["params"]
    T, N, D = x.shape
    H = hs_full.shape[2]
    W_hh = params["W_hh"]
    dhs = np.asarray(dhs, dtype=np.float64)
    per_step = dhs.ndim == 3
    if cache.get("relu"):
        da = (hs_full[1:] > 0.0).astype(np.float64)     # relu' of each step, (T, N, H)
    else:
        da = 1.0 - hs_full[1:] ** 2        # tanh' of each step, (T, N, H); becomes dL/da below
    step_dot = np.matmul if N * H * H <= _ONE_THREAD else _dot
    dh = dhs[T - 1] if per_step else dhs
    for t in range(T - 1, -1, -1):
        if per_step and t < T - 1:
            dh = dh + dhs[t]
        da_t = da[t]
        da_t *= dh
        dh = step_dot(da_t, W_hh)
    da_flat = da.reshape(T * N, H)
    return {"W_xh": _dot(da_flat.T, x.reshape(T * N, D)),
            "W_hh": _dot(da_flat.T, hs_full[:-1].reshape(T * N, H)),
            "b_h": da_flat.sum(axis=0),
            "x": _dot(da_flat, params["W_xh"]).reshape(T, N, D),
            "h0": dh}


# --- the LSTM ---------------------------------------------------------------------------------

def lstm_forward(x, params, h0=None, C0=None, keep=True):
    """Run the LSTM over x (T, N, D) from h0 and C0 (N, H) (zeros if None).

    Returns (hs, cache): hs (T, N, H) with hs[t-1] = h_t, and what lstm_backward needs, among it
    cache["Cs"] (T, N, H) with Cs[t-1] = C_t. With keep=False only the last states are kept:
    hs is (1, N, H) = h_T and cache is {"C_T": (N, H)}.

    Inside, the batch is stacked as columns, as in the math: h (H, N), the gates (4H, N), so that
    each gate is a contiguous block of rows (numpy is much faster on contiguous blocks);
    cache["gates"] (T, 4H, N) holds [f_t; i_t; o_t; C~_t] of each step. hs and Cs are transposed
    views of that storage.
    """
    T, N, D = x.shape
    H = params["W_h"].shape[1]
    H2, H3 = 2 * H, 3 * H
    h = np.zeros((H, N)) if h0 is None else np.array(h0, dtype=np.float64).T
    C = np.zeros((H, N)) if C0 is None else np.array(C0, dtype=np.float64).T
    # The sigmoid gates' rows are negated, so that sigmoid(a) = 1 / (1 + exp(-a)) is one exp of
    # what the products give: s = [-a_f; -a_i; -a_o; a_C].
    sign = np.ones((4 * H, 1))
    sign[:H3] = -1.0
    W_h = params["W_h"] * sign                                                  # (4H, H)
    s_all = np.matmul(params["W_x"] * sign, x.transpose(0, 2, 1))              # (T, 4H, N)
    s_all += params["b"][:, None] * sign
    step_dot = np.matmul if N * H * 4 * H <= _ONE_THREAD else _dot
    if keep:
        gates = np.empty((T, 4 * H, N))
        hs_full = np.empty((T + 1, H, N))          # [h0, h_1, ..., h_T]
        Cs_full = np.empty((T + 1, H, N))          # [C0, C_1, ..., C_T]
        tanh_Cs = np.empty((T, H, N))
        hs_full[0], Cs_full[0] = h, C
    with np.errstate(over="ignore", under="ignore"):   # exp(-a) = inf: sigmoid(a) = 0, right
        for t in range(T):
            s = s_all[t]
            s += step_dot(W_h, h)
            g = gates[t] if keep else np.empty((4 * H, N))
            sig = g[:H3]
            np.exp(s[:H3], out=sig)
            sig += 1.0
            np.reciprocal(sig, out=sig)                         # f, i, o
            np.tanh(s[H3:], out=g[H3:])                         # C~
            C_new = Cs_full[t + 1] if keep else np.empty((H, N))
            np.multiply(g[:H], C, out=C_new)                    # f * C_prev
            C_new += g[H:H2] * g[H3:]                           # + i * C~
            C = C_new
            tanh_C = tanh_Cs[t] if keep else np.empty((H, N))
            np.tanh(C, out=tanh_C)
            h = hs_full[t + 1] if keep else tanh_C
            np.multiply(g[H2:H3], tanh_C, out=h)                # o * tanh(C)
    if not keep:
        return h.T[None].copy(), {"C_T": C.T.copy()}
    cache = {"x": x, "params": params, "gates": gates, "hs_full": hs_full, "Cs_full": Cs_full,
             "tanh_Cs": tanh_Cs, "Cs": Cs_full[1:].transpose(0, 2, 1)}
    return hs_full[1:].transpose(0, 2, 1), cache


def lstm_backward(dhs, cache, dC_T=None):
    """Backpropagation through time of the LSTM.

    dhs: (T, N, H), dhs[t-1] the gradient of the loss with respect to h_t through step t's own
    output only; or (N, H), the gradient with respect to h_T when the loss reads the last state
    alone. dC_T (N, H), optional: a gradient with respect to the last cell state C_T.
    cache: from lstm_forward.
    Returns a dict of gradients named after what they are the gradient of: W_x (4H, D),
    W_h (4H, H), b (4H,), x (T, N, D), h0 (N, H), C0 (N, H).
    """
    x, params, gates = cache["x"], cache["params"], cache["gates"]
    hs_full, Cs_full, tanh_Cs = cache["hs_full"], cache["Cs_full"], cache["tanh_Cs"]
    T, N, D = x.shape
    H = hs_full.shape[1]
    H2, H3 = 2 * H, 3 * H
    W_h_T = np.ascontiguousarray(params["W_h"].T)                               # (H, 4H)
    step_dot = np.matmul if N * H * 4 * H <= _ONE_THREAD else _dot
    dhs = np.asarray(dhs, dtype=np.float64)
    per_step = dhs.ndim == 3
    if per_step:
        dhs = dhs.transpose(0, 2, 1)                  # (T, H, N), like the states inside
    da = np.empty((T, 4 * H, N))                      # dL/da of every step: the weights' gradients
    slope = np.empty((4 * H, N))                      # d gate / d a
    dh_C = np.empty((H, N))
    dh = dhs[T - 1] if per_step else dhs.T
    dC = np.zeros((H, N)) if dC_T is None else np.asarray(dC_T, dtype=np.float64).T
    for t in range(T - 1, -1, -1):
        if per_step and t < T - 1:
            dh = dh + dhs[t]
        g, tanh_C, da_t = gates[t], tanh_Cs[t], da[t]
        np.multiply(tanh_C, tanh_C, out=dh_C)                  # dL/dC_t gets dh * o * tanh'(C)
        np.subtract(1.0, dh_C, out=dh_C)
        dh_C *= g[H2:H3]
        dh_C *= dh
        dC = dC + dh_C                                         # total dL/dC_t
        np.multiply(dC, Cs_full[t], out=da_t[:H])              # dL/df = dC * C_prev
        np.multiply(dC, g[H3:], out=da_t[H:H2])                # dL/di = dC * C~
        np.multiply(dh, tanh_C, out=da_t[H2:H3])               # dL/do = dh * tanh(C)
        np.multiply(dC, g[H:H2], out=da_t[H3:])                # dL/dC~ = dC * i
        np.multiply(g, g, out=slope)                           # sigmoid' = g - g**2,
        np.subtract(g[:H3], slope[:H3], out=slope[:H3])
        np.subtract(1.0, slope[H3:], out=slope[H3:])           # tanh' = 1 - g**2
        da_t *= slope                                          # dL/da, all four gates
        dC = dC * g[:H]                                        # to C_{t-1}
        dh = step_dot(W_h_T, da_t)                             # to h_{t-1}
    # The weight gradients sum one product per step; np.matmul runs them all in one call.
    return {"W_x": np.matmul(da, x).sum(axis=0),
            "W_h": np.matmul(da, hs_full[:-1].transpose(0, 2, 1)).sum(axis=0),
            "b": da.sum(axis=(0, 2)),
            "x": np.matmul(da.transpose(0, 2, 1), params["W_x"]),
            "h0": dh.T, "C0": dC.T}


# --- readout, loss, gradients of a whole model ------------------------------------------------

_FORWARD = {"rnn": rnn_forward, "lstm": lstm_forward,
            "irnn": lambda *args, **kwargs: rnn_forward(*args, **kwargs, relu=True)}
_BACKWARD = {"rnn": rnn_backward, "lstm": lstm_backward, "irnn": rnn_backward}


def model_of(params, model=None):
    """`model` if given, else "rnn" or "lstm" from the names of the parameters (an IRNN's have
    the tanh RNN's names: say model="irnn")."""
    if model is not None:
        if model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, not {model!r}")
        return model
    return "lstm" if "W_h" in params else "rnn"


def predict(params, x, chunk=256, model=None):
    """The readout on the last state, y_hat (N, 1), for x (T, N, D), from zero initial states;
    the batch is run `chunk` sequences at a time (memory). model: as in model_of."""
    forward = _FORWARD[model_of(params, model)]
    out = []
    for start in range(0, x.shape[1], chunk):
        hs, _ = forward(x[:, start:start + chunk], params, keep=False)
        out.append(hs[-1] @ params["W_y"].T + params["b_y"])
    return np.concatenate(out, axis=0)


def mse(params, x, y, model=None):
    """Mean squared error of the network's prediction on x (T, N, D) against y (N, 1)."""
    return float(np.mean((predict(params, x, model=model) - y) ** 2))


def loss_and_grads(params, x, y, model=None):
    """The training loss mean((y_hat - y)**2) of one batch x (T, N, D), y (N, 1) (zero initial
    states), and its gradients {name: array} for every parameter (same names and shapes).
    model: as in model_of."""
    model = model_of(params, model)
    hs, cache = _FORWARD[model](x, params)
    h_T = hs[-1]
    err = h_T @ params["W_y"].T + params["b_y"] - y                          # (N, 1)
    loss = float(np.mean(err ** 2))
    dy = (2.0 / err.size) * err
    grads = _BACKWARD[model](dy @ params["W_y"], cache)                      # loss reads h_T only
    grads = {name: grads[name] for name in params if name in grads}
    grads["W_y"] = dy.T @ h_T
    grads["b_y"] = dy.sum(axis=0)
    return loss, grads


# --- clipping and Adam ------------------------------------------------------------------------

def global_norm(grads):
    """The norm of all arrays of the dict together."""
    return math.sqrt(sum(float(np.vdot(g, g)) for g in grads.values()))


def clip_by_global_norm(grads, max_norm):
    """(clipped, total_norm): when the norm of all gradients together exceeds max_norm, every
    array is scaled by max_norm / total_norm, otherwise kept. A new dict; inputs untouched."""
    total = global_norm(grads)
    factor = max_norm / total if total > max_norm else 1.0
    return {name: g * factor for name, g in grads.items()}, total


class Adam:
    """Adam (Kingma & Ba, 2015) for a dict of parameters, updated in place by step():
        m <- beta1 m + (1 - beta1) g,   v <- beta2 v + (1 - beta2) g**2,
        p <- p - lr * m_hat / (sqrt(v_hat) + eps),  m_hat = m / (1 - beta1**t),
        v_hat = v / (1 - beta2**t),  t the number of steps taken so far (1 at the first)."""

    def __init__(self, params, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, params, grads):
        """One update of every array of `params` (in place) with the gradients `grads`."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for name, p in params.items():
            g = grads[name]
            m, v = self.m[name], self.v[name]
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * (g * g)
            p -= self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)


# --- the experiment ---------------------------------------------------------------------------

def train(model, make_batch, T, sequences, batch=64, H=16, lr=1e-2, max_norm=1.0, seed=0,
          progress=None, test_size=1000, eval_every=None, forget_bias=1.0, checkpoints=()):
    """Train a tanh RNN, an LSTM or an IRNN (`model`, "rnn", "lstm" or "irnn"), hidden size H, to
    predict y from sequences of length T, and test it.

    make_batch(T, N, rng) -> (x (T, N, D), y (N, 1)) makes the data; rng a numpy Generator.
    The budget is `sequences` training sequences: sequences // batch updates, each on a fresh
    batch, with Adam at learning rate lr after clipping the global gradient norm at max_norm
    (None: no clipping). forget_bias: the LSTM's initial forget-gate bias.
    The seed fixes everything: the test set (test_size sequences), the training batches and the
    initial weights come from three separate streams, so networks trained with the same seed, T
    and make_batch see exactly the same data.
    progress(update, updates, loss), if given, is called after every update (update from 1).
    eval_every: also measure the test MSE every that many updates (not counted in train_time).
    checkpoints: updates (0 = the initial weights) after which to keep a copy of the weights.

    Returns a dict:
        model, T, sequences, updates, batch, H, lr, max_norm, seed, forget_bias (None for the
        RNN), test_size, eval_every   the settings
        loss       (updates,) the training loss of each update's batch (before the update)
        grad_norm  (updates,) the global gradient norm of each update, before clipping
        test_mse   the test MSE after training
        test_curve {"update": [...], "mse": [...], "train_time": [...]}: the test MSE after
                   update 0 (the initial weights), every eval_every updates and the last, with
                   the training time spent until then
        train_time seconds spent training (data, forward, backward, update; not the tests
                   nor progress), wall_time  seconds for the whole call
        params     the trained weights
        checkpoints {update: a copy of the weights after that update} for the updates asked
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, not {model!r}")
    updates = int(sequences) // int(batch)
    if updates < 1:
        raise ValueError(f"a budget of {sequences} sequences is less than one batch of {batch}")
    start = time.perf_counter()
    x_test, y_test = make_batch(T, test_size, np.random.default_rng([seed, 2]))
    data_rng = np.random.default_rng([seed, 1])
    params = init_params(model, x_test.shape[2], H, np.random.default_rng([seed, 0]),
                         forget_bias)
    adam = Adam(params, lr=lr)
    losses, norms = np.empty(updates), np.empty(updates)
    curve = {"update": [0], "mse": [mse(params, x_test, y_test, model)], "train_time": [0.0]}
    kept = {u: None for u in sorted(int(u) for u in checkpoints)}
    if any(u < 0 or u > updates for u in kept):
        raise ValueError(f"checkpoints must be updates 0 .. {updates}, not {sorted(kept)}")
    if 0 in kept:
        kept[0] = {name: value.copy() for name, value in params.items()}
    train_time = 0.0
    for u in range(1, updates + 1):
        tick = time.perf_counter()
        x, y = make_batch(T, batch, data_rng)
        loss, grads = loss_and_grads(params, x, y, model)
        if max_norm is None:
            norm = global_norm(grads)
        else:
            grads, norm = clip_by_global_norm(grads, max_norm)
        adam.step(params, grads)
        train_time += time.perf_counter() - tick
        losses[u - 1], norms[u - 1] = loss, norm
        if u in kept:
            kept[u] = {name: value.copy() for name, value in params.items()}
        if (eval_every and u % eval_every == 0) or u == updates:
            curve["update"].append(u)
            curve["mse"].append(mse(params, x_test, y_test, model))
            curve["train_time"].append(train_time)
        if progress is not None:
            progress(u, updates, loss)
    return {"model": model, "T": T, "sequences": int(sequences), "updates": updates,
            "batch": batch, "H": H, "lr": lr, "max_norm": max_norm, "seed": seed,
            "forget_bias": forget_bias if model == "lstm" else None, "test_size": test_size,
            "eval_every": eval_every, "loss": losses, "grad_norm": norms,
            "test_mse": curve["mse"][-1], "test_curve": curve, "train_time": train_time,
            "wall_time": time.perf_counter() - start, "params": params, "checkpoints": kept}


# --- the same passes written per gate, and the measured speed-up ------------------------------

def per_gate_loss_and_grads(x, y, p):
    """The LSTM's loss and gradients as written straight from the formulas, for comparison:
    each step concatenates [h_prev, x_t], runs four gates with four products, and adds its own
    weight gradients. p has W_f .. b_o (lesson 04) and W_y, b_y. Returns (loss, grads)."""
    T, N, _ = x.shape
    H = p["W_f"].shape[0]

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    h, C = np.zeros((N, H)), np.zeros((N, H))
    steps = []
    for t in range(T):
        hx = np.concatenate([h, x[t]], axis=1)
        f = sigmoid(hx @ p["W_f"].T + p["b_f"])
        i = sigmoid(hx @ p["W_i"].T + p["b_i"])
        C_tilde = np.tanh(hx @ p["W_C"].T + p["b_C"])
        o = sigmoid(hx @ p["W_o"].T + p["b_o"])
        C_prev, C = C, f * C + i * C_tilde
        tanh_C = np.tanh(C)
        h = o * tanh_C
        steps.append((hx, f, i, C_tilde, o, C_prev, tanh_C))
    err = h @ p["W_y"].T + p["b_y"] - y
    loss = float(np.mean(err ** 2))
    dy = 2.0 * err / N
    grads = {name: np.zeros_like(value) for name, value in p.items()}
    grads["W_y"], grads["b_y"] = dy.T @ h, dy.sum(axis=0)
    dh, dC = dy @ p["W_y"], np.zeros((N, H))
    for hx, f, i, C_tilde, o, C_prev, tanh_C in reversed(steps):
        dC = dC + dh * o * (1.0 - tanh_C ** 2)
        da = {"f": dC * C_prev * f * (1.0 - f), "i": dC * C_tilde * i * (1.0 - i),
              "C": dC * i * (1.0 - C_tilde ** 2), "o": dh * tanh_C * o * (1.0 - o)}
        dhx = np.zeros_like(hx)
        for gate, d in da.items():
            grads[f"W_{gate}"] += d.T @ hx
            grads[f"b_{gate}"] += d.sum(axis=0)
            dhx += d @ p[f"W_{gate}"]
        dh, dC = dhx[:, :H], dC * f
    return loss, grads


def speed_comparison(make_batch, T=100, N=64, H=16, repeats=15, log=print):
    """Median time of one update's forward and backward pass of the LSTM (T, N, H as in the
    experiment): per_gate_loss_and_grads against the vectorised loss_and_grads, after checking
    that they agree. Returns (per-gate seconds, vectorised seconds)."""
    rng = np.random.default_rng(0)
    x, y = make_batch(T, N, rng)
    params = init_params("lstm", x.shape[2], H, rng)
    plain = {**lstm_params_to_api(params), "W_y": params["W_y"], "b_y": params["b_y"]}
    per_gate = lambda: per_gate_loss_and_grads(x, y, plain)  # noqa: E731
    fast = lambda: loss_and_grads(params, x, y)  # noqa: E731
    (loss_a, grads_a), (loss_b, grads_b) = per_gate(), fast()
    grads_b = {**lstm_params_to_api(grads_b), "W_y": grads_b["W_y"], "b_y": grads_b["b_y"]}
    gap = max(float(np.max(np.abs(grads_a[k] - grads_b[k]))) for k in grads_a)
    if abs(loss_a - loss_b) > 1e-12 or gap > 1e-10:
        raise AssertionError(f"the two versions disagree (loss {loss_a - loss_b:.2g}, grads {gap:.2g})")
    times = {"per gate": [], "vectorised": []}
    for _ in range(repeats):                # interleaved, so that load affects both alike
        for name, f in (("per gate", per_gate), ("vectorised", fast)):
            tick = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - tick)
    slow, quick = float(np.median(times["per gate"])), float(np.median(times["vectorised"]))
    log(f"LSTM forward + backward, T = {T}, N = {N}, H = {H}: per gate {1e3 * slow:.1f} ms, "
        f"vectorised {1e3 * quick:.1f} ms, speed-up {slow / quick:.1f}x (median of {repeats})")
    return slow, quick
