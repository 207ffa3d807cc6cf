"""Lesson 05: showing a training run's progress live, and the RNN-vs-LSTM sweep's results (read
from the JSON that ships with the lesson). Nothing here trains or generates data: the lesson's
networks.py trains, the learner's adding_problem makes the data."""
import numpy as np

from ..plots import OKABE_ITO

COLOURS = {"rnn": OKABE_ITO[3], "lstm": OKABE_ITO[0]}
NAMES = {"rnn": "tanh RNN", "lstm": "LSTM"}
BASELINE = 1.0 / 6.0        # shown as a line; the learner derives the value in the lesson


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


def summary_table(results):
    """Rows (T, {model: (median, min, max) final test MSE over seeds}) of a sweep."""
    rows = []
    for T in results["settings"]["lengths"]:
        cells = {}
        for model in NAMES:
            mses = [run["test_mse"] for run in runs_of(results, model, T)]
            cells[model] = (float(np.median(mses)), float(min(mses)), float(max(mses)))
        rows.append((T, cells))
    return rows


def print_table(results):
    """Print the sweep as the lesson's table: final test MSE, median (min-max) over seeds."""
    settings = results["settings"]
    print(f"final test MSE after {settings['sequences']:,} training sequences, median (min-max) "
          f"over {len(settings['seeds'])} seeds; always predicting 1 scores {BASELINE:.4f}")
    print(f"{'T':>5}  {NAMES['rnn']:>26}  {NAMES['lstm']:>26}")
    for T, cells in summary_table(results):
        text = [f"{m:.4f} ({lo:.4f}-{hi:.4f})" for m, lo, hi in (cells["rnn"], cells["lstm"])]
        print(f"{T:>5}  {text[0]:>26}  {text[1]:>26}")


def draw_sweep(fig, results, T_curves=100):
    """Two panels: the final test MSE against T for both networks (median and range over seeds,
    log scale, the always-1 baseline and the 0.01 target as lines), and the test MSE during
    training at T = T_curves for every seed. Returns fig."""
    fig.clear()
    ax_T, ax_curve = fig.subplots(1, 2)
    lengths = results["settings"]["lengths"]
    rows = summary_table(results)
    for model, name in NAMES.items():
        median = [cells[model][0] for _, cells in rows]
        low = [cells[model][1] for _, cells in rows]
        high = [cells[model][2] for _, cells in rows]
        ax_T.plot(lengths, median, "o-", color=COLOURS[model], label=name)
        ax_T.fill_between(lengths, low, high, color=COLOURS[model], alpha=0.2, linewidth=0)
        for run in runs_of(results, model, T_curves):
            curve = run["test_curve"]
            ax_curve.semilogy(curve["update"], curve["mse"], color=COLOURS[model], linewidth=1.2,
                              alpha=0.8, label=f"{name}, seed {run['seed']}")
    for ax in (ax_T, ax_curve):
        ax.axhline(BASELINE, color=OKABE_ITO[7], linestyle="--", linewidth=1,
                   label="always predict 1 (1/6)")
        ax.axhline(results["settings"]["target"], color=OKABE_ITO[2], linestyle=":", linewidth=1,
                   label="target 0.01")
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
    ax_curve.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig
