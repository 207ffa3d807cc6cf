"""Lesson 06 explorer: the learner's character model writes Python.

The model is lesson 06's trained LSTM (its checkpoint ships next to the notebook); every number is
computed with the learner's own functions:

    lstm_step(x_t, h_prev, C_prev, params) -> h_t, C_t       one LSTM step (lesson 04)
    readout(hs, W_hy, b_y) -> logits (T, N, V)               scores of the characters (lesson 06)
    softmax(z) -> p                                          probabilities (lesson 06)
    sample(step, state, first, n, temperature, rng) -> ids   the sampler (lesson 06)

A step reads one character: x_t is its one-hot vector (N = 1, D = V), the LSTM advances, and the
readout scores the next character: `char_step` builds this `step(i, state) -> (logits (V,),
state)` with state = (h (1, H), C (1, H)). The model starts from h = C = 0, reads a newline (every
prompt starts a line, as in the text it learned from) and the prompt; the learner's sample then
continues from the prompt's last character with a numpy Generator seeded by the seed control.
The bars are the learner's softmax(logits / T) of the next character after the prompt: dividing
the scores by T < 1 stretches their differences (the likeliest character takes more), T > 1
shrinks them (towards the uniform 1 / V). Nothing here computes a graded answer.
"""
import html
import re

import numpy as np
from matplotlib.collections import PolyCollection

from ..plots import OKABE_ITO, laid_out_once, new_figure
from .cells import char_grid
from .learner import LearnerCodeFailed, run_learner, shaped
from .widget import Explorer, choice, slider

PROMPTS = ("def ", "class ", "    return ", "import ", "# ", "if __name__")
PRIMER = "\n"                  # read before every prompt: the model starts at a line's start
TOP = 10                       # bars: the TOP likeliest next characters and the rest together
TEMPERATURES = (0.1, 2.0, 0.05)
LENGTHS = (50, 400, 50)        # characters drawn (300 by default: an update under 100 ms)
SEEDS = 20
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
SHOWN = {" ": "\u2423", "\n": "\u21b5"}       # how a space and a newline are drawn: ␣ and ↵
GATES = "fiCo"                 # the order of the gates in the checkpoint's fused W (4H, H + V)


def load_char_lstm(path):
    """Lesson 06's checkpoint (an .npz with W (4H, H + V): the fused gates f, i, C, o acting on
    [h_prev, x_t]; b (4H,); W_hy (V, H); b_y (V,); chars (V,) str) as {"params": lesson 04's dict
    W_f, b_f, W_i, b_i, W_C, b_C, W_o, b_o (each W (H, H + V), b (H,)), "W_hy", "b_y", "chars"
    (a list of V one-character strings)}."""
    with np.load(path, allow_pickle=False) as stored:
        W, b = stored["W"], stored["b"]
        H = W.shape[0] // 4
        params = {}
        for k, gate in enumerate(GATES):
            params[f"W_{gate}"] = W[k * H:(k + 1) * H]
            params[f"b_{gate}"] = b[k * H:(k + 1) * H]
        return {"params": params, "W_hy": stored["W_hy"], "b_y": stored["b_y"],
                "chars": [str(c) for c in stored["chars"]]}


def shown(char):
    """A character as the plot writes it: ␣ for a space, ↵ for a newline, else itself."""
    return SHOWN.get(char, char)


def words_of(text):
    """The set of words (Python identifiers and English words alike) of a text."""
    return set(WORD.findall(text))


def char_step(lstm_step, readout, params, W_hy, b_y):
    """step(i, state) -> (logits (V,), state): read character i (one-hot x_t (1, V)) with the
    learner's lstm_step from state = (h_prev (1, H), C_prev (1, H)), and score the next
    character with the learner's readout on hs = h_t[None] (1, 1, H). W_hy (V, H), b_y (V,)."""
    V, H = W_hy.shape

    def step(i, state):
        h_prev, C_prev = state
        x_t = np.zeros((1, V))
        x_t[0, int(i)] = 1.0
        result = run_learner("lstm_step", lstm_step, x_t, h_prev, C_prev, params)
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise LearnerCodeFailed("lstm_step", "should return two arrays: h_t, C_t")
        h_t = shaped("lstm_step", result[0], (1, H), "h_t (N, H)")
        C_t = shaped("lstm_step", result[1], (1, H), "C_t (N, H)")
        logits = shaped("readout", run_learner("readout", readout, h_t[None], W_hy, b_y),
                        (1, 1, V), "logits (T, N, V)")
        return logits[0, 0], (h_t, C_t)

    return step


def _probabilities(softmax, z):
    """The learner's softmax of z (V,), checked: V non-negative numbers that add up to 1."""
    p = shaped("softmax", run_learner("softmax", softmax, z), z.shape, "p (V,)")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or abs(p.sum() - 1.0) > 1e-6:
        raise LearnerCodeFailed("softmax", f"returned values that are not probabilities (sum "
                                f"{p.sum():.4g}, smallest {p.min():.3g}) for scores up to "
                                f"{np.max(np.abs(z)):.3g}")
    return p


def _sampled(sample, step, state, first, n, temperature, rng, V):
    """The learner's sample, checked: n ids (n,) in 0 .. V - 1. A failure of the step inside
    it names lstm_step or readout, not sample."""
    try:
        ids = sample(step, state, first, n, temperature, rng)
    except LearnerCodeFailed:
        raise
    except Exception as err:  # the learner's code is still being written: name the culprit
        raise LearnerCodeFailed("sample", f"raised {type(err).__name__}: {err}") from err
    ids = np.asarray(ids)
    if ids.shape != (n,):
        raise LearnerCodeFailed("sample", f"returned shape {ids.shape}, expected ids (n,) = "
                                f"({n},)")
    if not np.all(np.isfinite(ids)) or np.any(ids != np.round(ids)) or \
            np.any((ids < 0) | (ids >= V)):
        raise LearnerCodeFailed("sample", f"should return character ids, whole numbers from 0 "
                                f"to V - 1 = {V - 1}")
    return ids.astype(np.int64)


def generation_trace(sample, softmax, lstm_step, readout, params, W_hy, b_y, chars,
                     prompt="def ", temperature=1.0, length=300, seed=0, words=None):
    """Let the learner's model continue `prompt`, and measure what it does.

    params: lesson 04's gate dict (each W (H, H + V), b (H,)); W_hy (V, H), b_y (V,); chars: the
    V characters, by id. From h = C = 0 (each (1, H)) the model reads PRIMER + prompt with
    char_step; the learner's softmax gives the next character's probabilities after the prompt;
    the learner's sample(step, state, last prompt id, length, temperature,
    numpy.random.default_rng(seed)) draws the continuation. `words`: a set of words (e.g.
    words_of(the training text)) to count the drawn words found in it, or None.

    Returns a dict: prompt, temperature, length, seed; logits (V,) the scores after the prompt;
    p (V,) = softmax(logits / temperature), p_model (V,) = softmax(logits) (T = 1); top (TOP,)
    the ids of the likeliest next characters, likeliest first (the same at every temperature),
    rest and rest_model the probability of all other characters; entropy and entropy_model (bits);
    ids (length,) the drawn ids, text (str) the drawn text; distinct (how many different
    characters it uses), commonest (the character drawn most often) and repeated (its share of
    the drawn characters), words (the drawn text's words, a list) and found (how many of them
    are in `words`, None without `words`).

    Raises LearnerCodeFailed naming the learner's function that raised or returned a wrong shape.
    """
    V, H = W_hy.shape
    index = {c: i for i, c in enumerate(chars)}
    unknown = sorted(set(prompt) - set(index))
    if unknown:
        raise ValueError(f"the prompt {prompt!r} has characters the model does not know: "
                         f"{''.join(unknown)!r}")
    prompt_ids = [index[c] for c in PRIMER + prompt]
    step = char_step(lstm_step, readout, params, W_hy, b_y)
    state = (np.zeros((1, H)), np.zeros((1, H)))
    for i in prompt_ids[:-1]:
        _, state = step(i, state)
    logits, _ = step(prompt_ids[-1], state)
    p = _probabilities(softmax, logits / temperature)
    p_model = _probabilities(softmax, logits)
    top = np.argsort(-logits, kind="stable")[:TOP]
    ids = _sampled(sample, step, state, prompt_ids[-1], int(length), temperature,
                   np.random.default_rng(seed), V)
    text = "".join(chars[i] for i in ids)
    drawn = WORD.findall(text)
    counts = np.bincount(ids, minlength=V)
    return {"prompt": prompt, "temperature": temperature, "length": int(length), "seed": seed,
            "logits": logits, "p": p, "p_model": p_model, "top": top,
            "rest": float(1.0 - p[top].sum()), "rest_model": float(1.0 - p_model[top].sum()),
            "entropy": _bits(p), "entropy_model": _bits(p_model), "ids": ids, "text": text,
            "chars": list(chars), "distinct": int(np.count_nonzero(counts)),
            "repeated": float(counts.max() / max(len(ids), 1)),
            "commonest": chars[int(np.argmax(counts))], "words": drawn,
            "found": None if words is None else sum(word in words for word in drawn)}


def _bits(p):
    nonzero = p[p > 0]
    return float(-np.sum(nonzero * np.log2(nonzero)))


# ----------------------------------------------------------------------------------------- plot

LONGEST = {"sample": f"{LENGTHS[1]} characters at T = 0.00, seed {SEEDS}",
           "bars": "at T = 0.00"}
PAD = 4                        # pixels between the text panel's frame and its text
INK = {"prompt": OKABE_ITO[3], "text": OKABE_ITO[7], "newline": "0.65"}


class GlyphAtlas:
    """Every character drawn once by matplotlib in monospace at `size` points, each centred in a
    cell of whole pixels (`width` x `pitch`), as coverage (0 paper .. 1 ink): `tiles` (K, pitch,
    width), `index` {character: k}, the last tile blank. Lines of text are then put together
    from these tiles with numpy, hundreds of times faster than drawing each glyph again (the
    text panel changes with every update)."""

    def __init__(self, chars, size, dpi):
        chars = sorted(set(chars) - {"\n"} | {SHOWN["\n"]})
        pixels = size * dpi / 72
        fig = new_figure(width=1.0, height=1.0, dpi=dpi)
        probe = fig.text(0, 0, "0", family="monospace", size=size)
        one = probe.get_window_extent(fig.canvas.get_renderer()).width
        probe.set_text("0" * 101)
        advance = (probe.get_window_extent(fig.canvas.get_renderer()).width - one) / 100
        self.width, self.pitch = int(np.ceil(advance)), int(np.ceil(1.25 * pixels))
        fig.set_size_inches(len(chars) * self.width / dpi, self.pitch / dpi)
        fig.set_facecolor("white")
        probe.remove()
        baseline = round(0.3 * pixels)
        for k, c in enumerate(chars):
            fig.text((k + 0.5) * self.width, baseline, c, family="monospace", size=size,
                     ha="center", va="baseline", color="black", parse_math=False,
                     transform=None)
        fig.canvas.draw()
        grey = np.asarray(fig.canvas.buffer_rgba())[:self.pitch, :len(chars) * self.width, :3]
        coverage = 1.0 - grey.mean(axis=2) / 255.0
        tiles = coverage.reshape(self.pitch, len(chars), self.width).transpose(1, 0, 2)
        self.tiles = np.concatenate([tiles, np.zeros((1, self.pitch, self.width))]).astype(
            np.float32)
        self.index = {c: k for k, c in enumerate(chars)}

    def render(self, lines, colours, rows, cols):
        """RGBA (rows * pitch, cols * width, 4) uint8: `lines` (at most rows, each at most cols
        characters) on white, each character in its colour from `colours` (rows, cols, 3)."""
        blank = len(self.tiles) - 1
        grid = np.full((rows, cols), blank)
        for r, line in enumerate(lines[:rows]):
            grid[r, :len(line)] = [self.index.get(c, blank) for c in line[:cols]]
        ink = self.tiles[grid].transpose(0, 2, 1, 3).reshape(rows * self.pitch, cols * self.width)
        paint = np.repeat(np.repeat(colours, self.pitch, axis=0), self.width, axis=1)
        image = np.full(ink.shape + (4,), 255, dtype=np.uint8)
        image[..., :3] = np.round(255 * (1.0 - ink[..., None] * (1.0 - paint)))
        return image


def _layout(fig, chars):
    """The text panel (left) and the bars (right), laid out once for the fonts in use; later
    draws only change the artists' data. Returns the artists."""
    import matplotlib as mpl

    with laid_out_once(fig):
        text_ax, bar_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.75, 1]})
        text_ax.set_xticks([])
        text_ax.set_yticks([])
        for spine in text_ax.spines.values():
            spine.set_alpha(0.3)
        sample_title = text_ax.set_title(LONGEST["sample"], loc="left")
        bar_ax.set_xlim(-0.7, TOP + 0.9)
        bar_ax.set_ylim(0.0, 1.18)
        bar_ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        bar_ax.set_xticks([])
        bar_ax.set_ylabel("probability")
        bar_ax.set_xlabel("next character\n(dashed: at T = 1)")
        bar_ax.grid(True, axis="y", alpha=0.3)
        bar_title = bar_ax.set_title(LONGEST["bars"])
    atlas = GlyphAtlas(chars, 0.9 * mpl.rcParams["font.size"], fig.dpi)
    box = text_ax.get_window_extent()
    x0, y1 = int(np.ceil(box.x0 + PAD)), int(np.floor(box.y1 - PAD))
    cols = int((np.floor(box.x1 - PAD) - x0) // atlas.width)
    rows = int((y1 - np.ceil(box.y0 + PAD)) // atlas.pitch)
    text = fig.figimage(np.zeros((rows * atlas.pitch, cols * atlas.width, 4), np.uint8),
                        xo=x0, yo=y1 - rows * atlas.pitch, origin="upper")
    outline = PolyCollection([], facecolors="none", edgecolors=OKABE_ITO[7], linewidths=1.0,
                             linestyles="--")
    bars = PolyCollection([], facecolors=OKABE_ITO[0], edgecolors="none", alpha=0.85)
    bar_ax.add_collection(bars)
    bar_ax.add_collection(outline)
    labels = [bar_ax.text(k, 0.0, "", ha="center", va="bottom", family="monospace",
                          size="small", parse_math=False) for k in range(TOP + 1)]
    artists = {"grid": (cols, rows), "atlas": atlas, "text": text, "bars": bars,
               "outline": outline, "sample_title": sample_title, "bar_title": bar_title,
               "lines": []}
    artists.update({f"label{k}": label for k, label in enumerate(labels)})
    return artists


def animated(artists):
    """The names of the artists a BlitRenderer redraws."""
    return ["text", "bars", "outline", "sample_title", "bar_title"] + \
        [f"label{k}" for k in range(TOP + 1)]


def _columns(heights, width=0.8):
    return [[(k - width / 2, 0), (k - width / 2, h), (k + width / 2, h), (k + width / 2, 0)]
            for k, h in enumerate(heights)]


def text_grid(text, prompt_length, cols, rows):
    """The text as the panel shows it: (lines, colours). lines: at most `rows` strings of at most
    `cols` characters (char_grid's rows: a newline shown as ↵ after its line, longer lines
    wrapped); colours (rows, cols, 3) RGB: the first `prompt_length` characters in the prompt's
    ink, newlines grey, the rest in the text's ink."""
    from matplotlib.colors import to_rgb

    cells = char_grid(text, cols)[:rows]
    lines = ["".join(SHOWN["\n"] if text[k] == "\n" else text[k] for k in row if k >= 0)
             for row in cells]
    colours = np.empty((rows, cols, 3), dtype=np.float32)
    colours[:] = to_rgb(INK["text"])
    at = np.zeros((rows, cols), dtype=np.int64) - 1
    at[:len(cells)] = cells
    colours[(at >= 0) & (at < prompt_length)] = to_rgb(INK["prompt"])
    newline = np.array([c == "\n" for c in text] + [False], dtype=bool)
    colours[newline[at]] = to_rgb(INK["newline"])
    return lines, colours


def draw_generation(fig, trace):
    """Draw a trace on `fig`: left, the prompt (vermilion) and the drawn text (black) in
    monospace, its newlines as grey ↵, wrapped and clipped to the panel; right, the probability
    of the TOP likeliest next characters after the prompt and of all others together ("rest"),
    at the trace's temperature (filled) and at T = 1 (dashed outline). Built on the first call,
    updated in place after; artists["lines"] keeps the lines shown."""
    artists = getattr(fig, "_generation_artists", None)
    if artists is None or set(trace["chars"]) - {"\n"} - set(artists["atlas"].index):
        artists = fig._generation_artists = _layout(fig, trace["chars"])
    cols, rows = artists["grid"]
    lines, colours = text_grid(trace["prompt"] + trace["text"], len(trace["prompt"]), cols,
                               rows)
    artists["lines"] = lines
    artists["text"].set_data(artists["atlas"].render(lines, colours, rows, cols))
    artists["sample_title"].set_text(f"{trace['length']} characters at T = "
                                     f"{trace['temperature']:.2f}, seed {trace['seed']}")
    top = trace["top"]
    heights = list(trace["p"][top]) + [trace["rest"]]
    model = list(trace["p_model"][top]) + [trace["rest_model"]]
    artists["bars"].set_verts(_columns(heights))
    artists["outline"].set_verts(_columns(model))
    names = [shown(trace["chars"][i]) for i in top] + ["rest"]
    for k, (name, high) in enumerate(zip(names, np.maximum(heights, model))):
        artists[f"label{k}"].set_text(name)
        artists[f"label{k}"].set_y(min(high, 1.0) + 0.015)
    artists["bar_title"].set_text(f"at T = {trace['temperature']:.2f}")
    return fig


def describe(trace):
    """The status line: what the plot shows, in numbers."""
    top = trace["top"][0]
    said = (f"<b>After {html.escape(repr(trace['prompt']))} at T = {trace['temperature']:.2f} "
            f"the likeliest next character is {html.escape(repr(trace['chars'][top]))} with "
            f"p = {trace['p'][top]:.2f}</b> ({trace['p_model'][top]:.2f} at T = 1; entropy "
            f"{trace['entropy']:.1f} bits, {trace['entropy_model']:.1f} at T = 1). "
            f"The {trace['length']} characters drawn use {trace['distinct']} different "
            f"characters (the commonest, {html.escape(repr(trace['commonest']))}, is "
            f"{trace['repeated']:.0%} of them)")
    if trace["found"] is not None and trace["words"]:
        count = len(trace["words"])
        said += (f"; {trace['found']} of their {count} words "
                 f"({trace['found'] / count:.0%}) occur in the training text")
    return said + "."


class GenerationExplorer(Explorer):
    """A temperature slider, a prompt, the number of characters and a seed; the text the
    learner's model writes and the probabilities of its next character. Use:
    `GenerationExplorer(sample, lstm_step, readout, params, W_hy, b_y, chars, softmax=softmax,
    words=words_of(train_text))` as the last line of a cell (the learner's sample, lstm_step,
    readout and softmax; params, W_hy, b_y, chars from load_char_lstm or the lesson's model)."""

    def __init__(self, sample, lstm_step, readout, gate_params, W_hy, b_y, chars, *, softmax,
                 prompts=PROMPTS, words=None, temperature=1.0, length=300, seed=0):
        self.functions = {"sample": sample, "softmax": softmax, "lstm_step": lstm_step,
                          "readout": readout}
        self.model = {"params": gate_params, "W_hy": np.asarray(W_hy),
                      "b_y": np.asarray(b_y), "chars": list(chars)}
        self.words = words
        # The dropdown shows a prompt's spaces as ␣ (a browser's list would hide them).
        self.prompts = {prompt.replace(" ", SHOWN[" "]): prompt for prompt in prompts}
        self._assemble({
            "temperature": slider(float(temperature), *map(float, TEMPERATURES), "temperature T"),
            "prompt": choice(list(self.prompts), next(iter(self.prompts)), "prompt"),
            "length": slider(int(length), *LENGTHS, "characters"),
            "seed": slider(int(seed), 0, SEEDS, 1, "seed"),
        }, new_figure(width=9.0, height=4.8))
        self.update()

    def compute(self):
        values = self.settings()
        return generation_trace(**self.functions, **self.model,
                                prompt=self.prompts[values["prompt"]],
                                temperature=values["temperature"], length=values["length"],
                                seed=values["seed"], words=self.words)

    def draw(self, trace):
        draw_generation(self.figure, trace)
        artists = self.figure._generation_artists
        return artists, animated(artists)

    def describe(self, trace):
        return describe(trace)
