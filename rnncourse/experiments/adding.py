"""Lesson 05: showing a training run's progress live, and the sweep's results (read from the JSON
that ships with the lesson): a tanh RNN, an LSTM and an IRNN on the adding problem. Nothing here
trains or generates data: the lesson's networks.py trains, the learner's adding_problem makes the
data, and the line to beat is the learner's own baseline_mse."""
import numbers

import numpy as np

from ..plots import OKABE_ITO

COLOURS = {"rnn": OKABE_ITO[3], "lstm": OKABE_ITO[0], "irnn": OKABE_ITO[4]}
NAMES = {"rnn": "tanh RNN", "lstm": "LSTM", "irnn": "IRNN"}


class TrainingProgress:
    """A progress bar with the running loss, to pass as a training loop's
    `progress(update, updates, loss)` callback; display it before training starts. Redraws every
    `every` updates and at the last (each redraw is a message to the browser)."""

    def __init__(self, description, every=10):
        import ipywidgets as widgets

        self.every = every
        self.bar = widgets.IntProgress(value=0, min=0, max=1, description=description,
                                       style={"description_width": "160px"},
                                       layout=widgets.Layout(width="520px"))
        self.label = widgets.HTML()
        self.widget = widgets.HBox([self.bar, self.label])
        self.losses = []

    def __call__(self, update, updates, loss):
        self.losses.append(float(loss))
        if update % self.every and update != updates:
            return
        recent = np.mean(self.losses[-self.every:])
        self.bar.max = updates
        self.bar.value = update
        self.label.value = f"update {update}/{updates}, training loss {recent:.4f}"

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def runs_of(results, model=None, T=None):
    """The runs of a sweep (results["runs"]) for a model and/or a length T."""
    return [run for run in results["runs"]
            if (model is None or run["model"] == model) and (T is None or run["T"] == T)]


def models_of(results):
    """The networks of a sweep, in the order of NAMES (older sweeps hold no IRNN)."""
    present = {run["model"] for run in results["runs"]}
    return [model for model in NAMES if model in present]


def summary_table(results):
    """Rows (T, {model: cell}) of a sweep, a cell {"median", "min", "max": the final test MSE over
    the seeds; "solved": how many seeds ended below the target (settings["target"]); "seeds": how
    many seeds}."""
    target = results["settings"]["target"]
    rows = []
    for T in results["settings"]["lengths"]:
        cells = {}
        for model in models_of(results):
            mses = [run["test_mse"] for run in runs_of(results, model, T)]
            cells[model] = {"median": float(np.median(mses)), "min": float(min(mses)),
                            "max": float(max(mses)), "solved": sum(m < target for m in mses),
                            "seeds": len(mses)}
        rows.append((T, cells))
    return rows


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def print_table(results, baseline=None):
    """Print the sweep as the lesson's table: per T and network the final test MSE, median
    (min-max) over the seeds, and how many seeds solved the task (MSE below the target).
    `baseline`, the learner's baseline_mse, is printed as the line to beat when it is a number."""
    settings = results["settings"]
    models = models_of(results)
    line = "" if not _is_number(baseline) else f"; always predicting 1 scores {float(baseline):.4f}"
    print(f"final test MSE after {settings['sequences']:,} training sequences: median (min-max) "
          f"over {len(settings['seeds'])} seeds, and seeds solved (MSE < {settings['target']})"
          f"{line}")
    print(f"{'T':>5}" + "".join(f"  {NAMES[m]:>31}" for m in models))
    for T, cells in summary_table(results):
        text = [f"{c['median']:.4f} ({c['min']:.4f}-{c['max']:.4f}) {c['solved']}/{c['seeds']}"
                for c in (cells[m] for m in models)]
        print(f"{T:>5}" + "".join(f"  {t:>31}" for t in text))


def draw_sweep(fig, results, baseline=None, T_curves=100):
    """Two panels: the final test MSE against T for every network (median and range over seeds,
    log scale, the 0.01 target and, when `baseline` is a number, the baseline as lines), and the
    test MSE during training at T = T_curves for every seed. Returns fig."""
    fig.clear()
    ax_T, ax_curve = fig.subplots(1, 2)
    lengths = results["settings"]["lengths"]
    rows = summary_table(results)
    for model in models_of(results):
        name = NAMES[model]
        median = [cells[model]["median"] for _, cells in rows]
        low = [cells[model]["min"] for _, cells in rows]
        high = [cells[model]["max"] for _, cells in rows]
        ax_T.plot(lengths, median, "o-", color=COLOURS[model], label=name)
        ax_T.fill_between(lengths, low, high, color=COLOURS[model], alpha=0.2, linewidth=0)
        for i, run in enumerate(runs_of(results, model, T_curves)):
            curve = run["test_curve"]
            ax_curve.semilogy(curve["update"], curve["mse"], color=COLOURS[model], linewidth=1.2,
                              alpha=0.8, label=f"{name} (each seed)" if i == 0 else None)
    for ax in (ax_T, ax_curve):
        if _is_number(baseline):
            ax.axhline(float(baseline), color=OKABE_ITO[7], linestyle="--", linewidth=1,
                       label="always predict 1 (your baseline_mse)")
        ax.axhline(results["settings"]["target"], color=OKABE_ITO[2], linestyle=":", linewidth=1,
                   label=f"target {results['settings']['target']}")
    ax_T.set_xscale("log")
    ax_T.set_yscale("log")
    ax_T.set_xticks(lengths, [str(T) for T in lengths])
    ax_T.set_xlabel("sequence length T (lag up to T steps)")
    ax_T.set_ylabel("final test MSE")
    ax_T.set_title(f"same budget: {results['settings']['sequences']:,} sequences")
    ax_T.legend(fontsize="small")
    ax_curve.set_xlabel("update (64 sequences each)")
    ax_curve.set_ylabel("test MSE")
    ax_curve.set_title(f"learning curves at T = {T_curves}")
    ax_curve.legend(fontsize="x-small")
    fig.tight_layout()
    return fig
