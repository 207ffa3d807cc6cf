"""Lesson 05 explorer: how much gradient reaches the first marker of the adding problem, in a tanh
RNN and in an LSTM, before and after training?

The networks are lesson 05's own: checkpoints of the sweep's seed-0 runs (the weights after update
0, 250, 500 and 1000 of 64 sequences each, at T = 25, 50, 100 and 200), written once by
`benchmarks/rnn_vs_lstm_sweep.py` and shipped next to the notebook as `checkpoints.npz`. Nothing
is trained here; everything is measured with the learner's own functions:

    adding_problem(T, N, rng) -> x, y                   a batch of N sequences (lesson 05)
    rnn_forward(x, h0, W_xh, W_hh, b_h) -> hs           the tanh RNN (lesson 01)
    rnn_backward(dhs, x, h0, hs, W_xh, W_hh) -> dx, ... its BPTT (lesson 02)
    lstm_forward(x, h0, C0, params) -> hs, Cs           the LSTM (lesson 04)
    lstm_backward(dhs, x, h0, C0, params) -> dx, ...    its BPTT (lesson 04)
    forget_gate(h_prev, x_t, W_f, b_f) -> f_t           the forget gates (lesson 04)

Both networks answer y_hat = h_T W_y^T + b_y and the loss is the batch's mean squared error
L = mean((y_hat - y)**2), the training loss of lesson 05; h0 = C0 = 0. The only outside gradient
is dL/dh_T = (2 / N) (y_hat - y) W_y on the last step. From dx = dL/dx (T, N, D):
  ||dL/dx_t1||  the norm, over the batch, of the gradient on each sequence's first marked input
                (step t1 < T // 2): what a training step tells the network about the first value;
  share         per sequence, ||dL/dx_t1|| / ||dL/dx_t2||, the first marker's gradient as a
                fraction of the second's (step t2 >= T // 2). Both come from the same error
                (y_hat - y), so the share does not shrink just because training made the error
                small; a network that adds the two values has a share near 1.
The forget gates f_t (T, N, H) are measured on the LSTM's own states. Nothing here computes a
graded answer: the learner's functions do.
"""
import numpy as np
from matplotlib.collections import LineCollection

from ..plots import OKABE_ITO, new_figure
from .learner import LearnerCodeFailed, run_learner, shaped
from .widget import Explorer, choice, slider

GATES = ("W_f", "b_f", "W_i", "b_i", "W_C", "b_C", "W_o", "b_o")
RNN = ("W_xh", "W_hh", "b_h")
PLOT_RANGE = (1e-16, 1e2)     # fixed y-limits of the shares (log): values beyond are clipped
GAP_RANGE = (0.8, 250)        # fixed x-limits (log): steps between the markers, for every T
SPREAD = (5, 95)              # the forget gates' spread per unit: these percentiles
N_SEQUENCES = 64
SEED = 0


def load_checkpoints(path):
    """The checkpoints written by benchmarks/rnn_vs_lstm_sweep.py: {(model, T, update): {name:
    array}}, model "rnn" (W_xh (H, D), W_hh (H, H), b_h (H,)) or "lstm" (W_f .. b_o, each W
    (H, H + D), each b (H,)), both with the readout W_y (1, H), b_y (1,)."""
    out = {}
    with np.load(path, allow_pickle=False) as stored:
        for key in stored.files:
            parts = key.split("/")
            if len(parts) == 4:
                model, T, update, name = parts
                out.setdefault((model, int(T), int(update)), {})[name] = stored[key]
    return out


def grid(checkpoints):
    """(lengths, updates): the sorted T and updates that the checkpoints hold for both networks."""
    keys = set(checkpoints)
    lengths = sorted({T for m, T, u in keys if ("rnn", T, u) in keys and ("lstm", T, u) in keys})
    updates = sorted({u for m, T, u in keys if T in lengths})
    return lengths, updates


def _say(value):
    """A number for the status line and the table: 0.45, 3.1e-06, 0, or nan."""
    if not np.isfinite(value):
        return str(value)
    if value == 0 or 0.01 <= abs(value) < 1000:
        return f"{value:.2g}"
    return f"{value:.1e}"


def marker_steps(x):
    """(first, second): the 0-based steps (N,) of each sequence's two markers, from x (T, N, 2);
    raises LearnerCodeFailed for adding_problem unless every sequence has exactly two."""
    markers = x[:, :, 1]
    count = np.sum(markers == 1.0, axis=0)
    if np.any(count != 2):
        raise LearnerCodeFailed("adding_problem", "should mark exactly two steps of every "
                                f"sequence with a 1 in channel 1 (found {sorted(set(count))})")
    T = x.shape[0]
    first = np.argmax(markers == 1.0, axis=0)
    second = T - 1 - np.argmax(markers[::-1] == 1.0, axis=0)
    return first, second


def _network(model, params, x, y, forward, backward):
    """Run one network with the learner's functions: its prediction, error and dL/dx."""
    T, N, D = x.shape
    H = params["W_y"].shape[1]
    h0 = np.zeros((N, H))
    if model == "rnn":
        hs = shaped("rnn_forward", run_learner("rnn_forward", forward, x, h0,
                                               *(params[k] for k in RNN)), (T, N, H),
                    "hs (T, N, H)")
        extra = {}
    else:
        gates = {k: params[k] for k in GATES}
        result = run_learner("lstm_forward", forward, x, h0, np.zeros((N, H)), gates)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise LearnerCodeFailed("lstm_forward", "should return two arrays: hs, Cs")
        hs = shaped("lstm_forward", result[0], (T, N, H), "hs (T, N, H)")
        extra = {"Cs": shaped("lstm_forward", result[1], (T, N, H), "Cs (T, N, H)")}
    y_hat = hs[-1] @ params["W_y"].T + params["b_y"]                    # (N, 1)
    err = y_hat - y
    dhs = np.zeros((T, N, H))
    dhs[-1] = (2.0 / N) * err @ params["W_y"]                           # dL/dh_T
    if model == "rnn":
        grads = run_learner("rnn_backward", backward, dhs, x, h0, hs, params["W_xh"],
                            params["W_hh"])
        name = "rnn_backward"
    else:
        grads = run_learner("lstm_backward", backward, dhs, x, h0, np.zeros((N, H)),
                            {k: params[k] for k in GATES})
        name = "lstm_backward"
    if not isinstance(grads, (tuple, list)) or len(grads) < 1:
        raise LearnerCodeFailed(name, "should return a tuple whose first item is dx (T, N, D)")
    dx = shaped(name, grads[0], (T, N, D), "dx (T, N, D)")
    return {"hs": hs, "y_hat": y_hat, "mse": float(np.mean(err ** 2)), "dhs": dhs, "dx": dx,
            **extra}


def first_marker_trace(checkpoints, adding_problem, rnn_forward, rnn_backward, lstm_forward,
                       lstm_backward, forget_gate, T=100, update=1000, N=N_SEQUENCES, seed=SEED):
    """Measure, with the learner's functions, the gradient that reaches the first marker in the
    tanh RNN and the LSTM of the checkpoint (T, update), and the LSTM's forget gates.

    checkpoints: from load_checkpoints. The batch: adding_problem(T, N, default_rng(seed)).
    Returns a dict:
      x (T, N, 2), y (N, 1), first and second (N,) the markers' 0-based steps, gap (N,) =
      second - first; for "rnn" and "lstm" each a dict: hs (T, N, H), y_hat (N, 1), mse (the
      batch's L), dhs (T, N, H) (dL/dh_T on the last step, zeros elsewhere), dx (T, N, D) = dL/dx,
      at_first and at_second (N,) the norms ||dL/dx_t1||, ||dL/dx_t2|| per sequence, first_norm
      and second_norm (their norms over the batch), share (N,) = at_first / at_second, and
      share_median; the LSTM's also Cs (T, N, H);
      fs (T, N, H) the LSTM's forget gates f_t, on h_{t-1} (h_0 = 0 for t = 1); unit_mean,
      unit_low, unit_high (H,) each unit's mean forget gate over steps and sequences and its
      SPREAD percentiles; forget_mean (all of them); params {"rnn": ..., "lstm": ...} (the
      checkpoint's weights); summary (one readable line); and T, update, N, seed, H.

    Raises LearnerCodeFailed naming the learner's function that raised or returned a wrong shape.
    """
    T, update, N = int(T), int(update), int(N)
    params = {model: checkpoints[model, T, update] for model in ("rnn", "lstm")}
    result = run_learner("adding_problem", adding_problem, T, N, np.random.default_rng(seed))
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise LearnerCodeFailed("adding_problem", "should return two arrays: x, y")
    x = shaped("adding_problem", result[0], (T, N, 2), "x (T, N, 2)")
    y = shaped("adding_problem", result[1], (N, 1), "y (N, 1)")
    first, second = marker_steps(x)
    rows = np.arange(N)
    trace = {"x": x, "y": y, "first": first, "second": second, "gap": second - first,
             "params": params, "T": T, "update": update, "N": N, "seed": seed}
    for model, forward, backward in (("rnn", rnn_forward, rnn_backward),
                                     ("lstm", lstm_forward, lstm_backward)):
        net = _network(model, params[model], x, y, forward, backward)
        at_first = np.sqrt(np.sum(net["dx"][first, rows] ** 2, axis=1))
        at_second = np.sqrt(np.sum(net["dx"][second, rows] ** 2, axis=1))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = at_first / at_second
        net.update(at_first=at_first, at_second=at_second,
                   first_norm=float(np.sqrt(np.sum(at_first ** 2))),
                   second_norm=float(np.sqrt(np.sum(at_second ** 2))),
                   share=share, share_median=float(np.median(share)))
        trace[model] = net
    H = params["lstm"]["W_f"].shape[0]
    hs = trace["lstm"]["hs"]
    h_prev = np.concatenate([np.zeros((1, N, H)), hs[:-1]]).reshape(T * N, H)
    fs = shaped("forget_gate", run_learner("forget_gate", forget_gate, h_prev, x.reshape(T * N, 2),
                                           params["lstm"]["W_f"], params["lstm"]["b_f"]),
                (T * N, H), "f_t (N, H) for a batch of N = T * N rows").reshape(T, N, H)
    low, high = np.percentile(fs, SPREAD, axis=(0, 1))
    trace.update(fs=fs, unit_mean=fs.mean(axis=(0, 1)), unit_low=low, unit_high=high,
                 forget_mean=float(fs.mean()), H=H)
    trace["summary"] = (f"T = {T}, after update {update}: ||dL/dx_t1|| = "
                        f"{_say(trace['rnn']['first_norm'])} (RNN), "
                        f"{_say(trace['lstm']['first_norm'])} (LSTM)")
    return trace


def table_lines(traces):
    """Lines of the lesson's table, one per trace: T, update, the batch MSE, ||dL/dx_t1|| and
    the median share of each network."""
    lines = [f"{'T':>4} {'update':>6}  {'RNN: MSE':>9} {'|dL/dx_t1|':>10} {'share':>8}   "
             f"{'LSTM: MSE':>9} {'|dL/dx_t1|':>10} {'share':>8}"]
    for trace in traces:
        cells = [f"{trace[m]['mse']:9.4f} {trace[m]['first_norm']:10.1e} "
                 f"{trace[m]['share_median']:8.1e}" for m in ("rnn", "lstm")]
        lines.append(f"{trace['T']:>4} {trace['update']:>6}  {cells[0]}   {cells[1]}")
    return lines


def for_plot(values):
    """Values clipped to the fixed y-limits (a point beyond them sits on the frame's edge instead
    of rescaling the axes); nan stays nan, so it is not drawn."""
    return np.clip(values, *PLOT_RANGE)


def _layout(fig, H):
    """Build the two axes once (fixed limits: moving a control never re-lays out the figure);
    later draws only update the artists' data."""
    fig.clear()
    share_ax, gate_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})
    (rnn,) = share_ax.loglog([1], [1], linestyle="none", marker="o", markersize=4, alpha=0.7,
                             color=OKABE_ITO[0], label="tanh RNN (your rnn_backward)")
    (lstm,) = share_ax.loglog([1], [1], linestyle="none", marker="s", markersize=4, alpha=0.7,
                              color=OKABE_ITO[1], label="LSTM (your lstm_backward)")
    share_ax.axhline(1.0, color=OKABE_ITO[7], linestyle=":", linewidth=1)
    share_ax.set_xlim(*GAP_RANGE)
    share_ax.set_ylim(*PLOT_RANGE)
    share_ax.set_yticks([1e-16, 1e-12, 1e-8, 1e-4, 1])
    share_ax.set_xlabel("steps from first to second marker")
    share_ax.set_ylabel("first marker ÷ second")
    share_ax.set_title("gradient on the first marker", fontsize="medium")
    share_ax.grid(True, which="major", alpha=0.3)
    spread = LineCollection([], colors=OKABE_ITO[1], linewidths=2, alpha=0.5)
    gate_ax.add_collection(spread)
    (means,) = gate_ax.plot([1], [0.5], linestyle="none", marker="o", markersize=5,
                            color=OKABE_ITO[1])
    (chosen,) = gate_ax.plot([1], [0.5], linestyle="none", marker="o", markersize=11,
                             markerfacecolor="none", markeredgewidth=2, color=OKABE_ITO[3])
    gate_ax.set_xlim(0.3, H + 0.7)
    gate_ax.set_ylim(0.0, 1.05)
    gate_ax.set_xticks(range(1, H + 1, 3))
    gate_ax.set_xlabel("LSTM unit")
    gate_ax.set_ylabel("forget gate $f_t$")
    gate_ax.set_title(f"mean, {SPREAD[0]}–{SPREAD[1]}%", fontsize="medium")
    gate_ax.grid(True, axis="y", alpha=0.3)
    title = fig.suptitle(LONGEST_TITLE, y=0.985)
    legend = fig.legend(handles=[rnn, lstm], loc="upper center", ncol=2, fontsize="small",
                        frameon=False)
    _fit(fig, title, legend)
    return {"H": H, "rnn": rnn, "lstm": lstm, "spread": spread, "means": means,
            "chosen": chosen, "title": title}


LONGEST_TITLE = "T = 200, after update 1000"
PAD = 4            # pixels between the title, the legend and the axes' texts


def _fit(fig, title, legend):
    """Place the legend under the title and the axes (with all their labels) under the legend,
    measured in the current style's font sizes (normal or presentation), once."""
    renderer = fig.canvas.get_renderer()
    height = fig.bbox.height
    below_title = title.get_window_extent(renderer).y0 - PAD
    legend.set_bbox_to_anchor((0.5, below_title / height), transform=fig.transFigure)
    below_legend = legend.get_window_extent(renderer).y0 - PAD
    fig.tight_layout(rect=(0.0, 0.0, 1.0, below_legend / height), pad=0.5, w_pad=2.0)
    # tight_layout leaves more room above the axes' titles than they need: close the gap.
    highest = max(ax.get_tightbbox(renderer).y1 for ax in fig.axes)
    fig.subplots_adjust(top=fig.subplotpars.top + (below_legend - highest) / height)


# What the BlitRenderer redraws, in this order.
ANIMATED = ("rnn", "lstm", "spread", "means", "chosen", "title")


def draw_first_marker(fig, trace, unit=1):
    """Draw a trace on `fig`: left, per sequence, the first marker's gradient as a share of the
    second's against the steps between the markers (log-log, fixed limits), for both networks;
    right, each LSTM unit's mean forget gate with its spread, `unit` (1-based) circled. The axes
    are built on the first call and updated in place afterwards."""
    H = trace["H"]
    artists = getattr(fig, "_first_marker_artists", None)
    if artists is None or artists["H"] != H:
        artists = fig._first_marker_artists = _layout(fig, H)
    for model in ("rnn", "lstm"):
        artists[model].set_data(trace["gap"], for_plot(trace[model]["share"]))
    units = np.arange(1, H + 1)
    artists["spread"].set_segments([[(u, lo), (u, hi)] for u, lo, hi in
                                    zip(units, trace["unit_low"], trace["unit_high"])])
    artists["means"].set_data(units, trace["unit_mean"])
    unit = int(np.clip(unit, 1, H))
    artists["chosen"].set_data([unit], [trace["unit_mean"][unit - 1]])
    artists["title"].set_text(f"T = {trace['T']}, after update {trace['update']}")
    return fig


def describe(trace, unit=1):
    """The status line: what the controls show, in numbers."""
    rnn, lstm = trace["rnn"], trace["lstm"]
    unit = int(np.clip(unit, 1, trace["H"]))
    return (f"<b>{trace['summary']}.</b> Median share of the second marker's gradient: "
            f"{_say(rnn['share_median'])} (RNN), {_say(lstm['share_median'])} (LSTM). "
            f"Batch MSE {rnn['mse']:.4f} (RNN), {lstm['mse']:.4f} (LSTM). "
            f"<b>Unit {unit}</b>: mean forget gate {trace['unit_mean'][unit - 1]:.3f} "
            f"({SPREAD[0]}–{SPREAD[1]}%: {trace['unit_low'][unit - 1]:.3f}–"
            f"{trace['unit_high'][unit - 1]:.3f}).")


class FirstMarkerExplorer(Explorer):
    """Choices of T and of the training checkpoint, a slider for the LSTM unit, and the plots of
    how much gradient the learner's RNN and LSTM code send back to the first marker, and of the
    LSTM's forget gates. Use: `FirstMarkerExplorer(load_checkpoints("checkpoints.npz"),
    adding_problem, rnn_forward, rnn_backward, lstm_forward, lstm_backward, forget_gate)` as the
    last line of a cell. Every checkpoint is measured once when the explorer starts (about a
    second with the course's functions), so a control only looks up and redraws."""

    def __init__(self, checkpoints, adding_problem, rnn_forward, rnn_backward, lstm_forward,
                 lstm_backward, forget_gate, T=100, update=0, unit=1, precompute=True):
        self.checkpoints = checkpoints
        self.functions = {"adding_problem": adding_problem, "rnn_forward": rnn_forward,
                          "rnn_backward": rnn_backward, "lstm_forward": lstm_forward,
                          "lstm_backward": lstm_backward, "forget_gate": forget_gate}
        self.traces = {}
        lengths, updates = grid(checkpoints)
        H = next(iter(checkpoints.values()))["W_y"].shape[1]
        self._assemble({
            "T": choice(lengths, int(T), "length T"),
            "update": choice(updates, int(update), "after update"),
            "unit": slider(int(unit), 1, int(H), 1, "LSTM unit"),
        }, new_figure(width=9.0, height=4.8))
        if precompute:
            try:
                for key in [(T_, u) for T_ in lengths for u in updates]:
                    self.measure(*key)
            except LearnerCodeFailed:
                pass                    # update() says which function failed
        self.update()

    def measure(self, T, update):
        """The trace of (T, update), measured once and kept."""
        if (T, update) not in self.traces:
            self.traces[T, update] = first_marker_trace(self.checkpoints, **self.functions,
                                                        T=T, update=update)
        return self.traces[T, update]

    def compute(self):
        return self.measure(self.controls["T"].value, self.controls["update"].value)

    def draw(self, trace):
        draw_first_marker(self.figure, trace, self.controls["unit"].value)
        return self.figure._first_marker_artists, ANIMATED

    def describe(self, trace):
        return describe(trace, self.controls["unit"].value)
