"""Every lesson in JupyterLab in a real browser (Chromium), as a learner who wrote the reference
answers sees it: "run all cells" ends with every code cell run and no error output, computes what
the lesson says it computes (the checks of tests/test_notebooks.py, read from the page), and
renders every widget; then every control of every explorer, moved as a learner moves it (a
slider's handle by keyboard, a dropdown's option), redraws the explorer's plot.

One JupyterLab server serves the whole session (tests/browser.py); each lesson runs once, in a
page of its own, for both of its tests (the module-scoped `lesson` fixture), and its kernel is
shut down before the next lesson starts."""
import time

import pytest

from browser import (EXPLORER_UPDATE, KERNEL_START, VIEWPORT, WIDGET_RENDER, BrowserTestError,
                     LabPage, error_outputs, solved_path, unexecuted_cells, wait_until)
from coursekit import ASSIGNMENTS, outputs_by_cell, release_notebook
from lessons import load

pytestmark = pytest.mark.xdist_group("browser")

# The explorers the tests drive: {lesson: ids of its explorer cells}, the keys of its table's
# EXPLORERS (tests/lessons/<lesson>.py); a lesson with an `explore-*` cell missing there fails
# test_every_explorer_is_listed.
EXPLORERS = {assignment: list(load(assignment).EXPLORERS) for assignment in ASSIGNMENTS}

# What an explorer's status line says when the learner's code failed (rnncourse.explore.widget).
FAILURE_NOTE = "Finish the exercises above"

# An image's bytes, fetched from its blob: URL in the page (ipywidgets 8 shows an Image widget's
# PNG as a blob: URL, a new one at every update even for the same bytes), as "length:FNV-1a".
FINGERPRINT = """async (img) => {
    const src = img.getAttribute('src');
    if (!src) return null;
    try {
        const bytes = new Uint8Array(await (await fetch(src)).arrayBuffer());
        let h = 0x811c9dc5;
        for (let i = 0; i < bytes.length; i++) {
            h ^= bytes[i];
            h = Math.imul(h, 0x01000193) >>> 0;
        }
        return bytes.length ? bytes.length + ':' + h.toString(16) : null;
    } catch (e) { return null; }   // revoked by a newer image meanwhile: read again
}"""

# Per code cell: how many widget outputs the model holds, how many the page shows rendered, and
# any output still saying "Loading widget..." (or that the widget could not be shown).
WIDGET_STATE = """(p) => window.__nb[p].content.widgets.filter(
        c => c.model.type === 'code').map(c => {
    const expected = c.model.outputs.toJSON().filter(
        o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length;
    const outputs = [...c.node.querySelectorAll('.jp-OutputArea-output')];
    const rendered = outputs.filter(o => o.querySelector('.jupyter-widgets')).length;
    const pending = outputs.map(o => o.innerText).filter(
        t => t.includes('Loading widget') || t.includes('Error displaying widget'));
    return {cell: c.model.id, expected, rendered, pending};
}).filter(s => s.expected > 0 || s.pending.length > 0)"""


def explorer_cells(assignment):
    """The ids of the lesson's explorer cells (`explore-*`), from its release notebook."""
    return [cell.get("id", "") for cell in release_notebook(assignment).cells
            if cell.cell_type == "code" and cell.get("id", "").startswith("explore-")]


class LessonRun:
    """One lesson opened in its own JupyterLab page and run top to bottom (once per session)."""

    def __init__(self, assignment, page):
        self.assignment = assignment
        self.page = page
        self.path = solved_path(assignment)
        self.nb = None
        self.problem = None
        self.seconds = None

    def execute(self):
        try:
            self.page.open_notebook(self.path)
            start = time.perf_counter()
            self.nb = self.page.run_all(self.path)
            self.seconds = time.perf_counter() - start
        except BrowserTestError as e:
            self.problem = str(e)

    def require_run(self):
        assert self.problem is None, \
            f"expected {self.path} to open and run in JupyterLab; {self.problem}"

    def widget_state(self):
        return self.page.page.evaluate(WIDGET_STATE, self.path)

    def failure_sections(self):
        return self.page.failure_sections()


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def lesson(request, chromium, learner_server):
    """The lesson (every folder of course/) with the reference answers, opened in a JupyterLab
    page of its own and run with "run all cells"; the page and its kernel close after the
    lesson's tests."""
    page = LabPage(chromium, learner_server)
    try:
        run = LessonRun(request.param, page)
        run.execute()
        yield run
    finally:
        page.close()


def test_every_explorer_is_listed():
    """EXPLORERS names exactly the `explore-*` cells of every lesson (its keys are the lessons
    themselves), so no explorer goes untested in the browser."""
    for assignment in ASSIGNMENTS:
        found, listed = explorer_cells(assignment), EXPLORERS.get(assignment, [])
        assert sorted(found) == sorted(listed), (
            f"{assignment}: expected EXPLORERS in its tests/lessons/ module to list its "
            f"explorer cells {sorted(found)}; it lists {sorted(listed)}")


def test_lesson_runs_in_jupyterlab(lesson):
    """"Run all cells" in JupyterLab: every code cell runs (an execution count each), no cell has
    an error output, the outputs say what tests/test_notebooks.py expects of the lesson (checks
    passed, numbers, plots, explorers shown), and every widget output is rendered in the page
    (none left at "Loading widget...")."""
    lesson.require_run()
    errors = error_outputs(lesson.nb)
    assert not errors, f"{lesson.assignment}: expected no error output after 'run all cells'; " \
        "seen:\n" + "\n".join(f"cell {i} ({cid}): {text}" for i, cid, text in errors)
    missing = unexecuted_cells(lesson.nb)
    assert not missing, f"{lesson.assignment}: expected every code cell to have run; cells " \
        f"without an execution count: {missing}"
    try:
        load(lesson.assignment).check_executed(outputs_by_cell(lesson.nb))
    except AssertionError as e:
        raise AssertionError(f"{lesson.assignment}: expected the outputs that "
                             f"tests/lessons check_executed() asks for; {e}") from None

    def all_rendered():
        state = lesson.widget_state()
        return all(s["rendered"] == s["expected"] and not s["pending"] for s in state) and state

    state = wait_until(all_rendered, WIDGET_RENDER,
                       f"every widget output of {lesson.assignment} to be rendered",
                       details=lesson.widget_state)
    for cell_id in EXPLORERS.get(lesson.assignment, []):
        assert any(s["cell"] == cell_id and s["rendered"] >= 1 for s in state), \
            f"{lesson.assignment}: expected the explorer of cell {cell_id} rendered; seen {state}"


def test_explorers_respond(lesson):
    """Every control of every explorer of the lesson (EXPLORERS), moved in the page as a learner
    moves it — a slider's handle focused and sent End (Home when it is at its maximum), a
    dropdown set to another option — changes the explorer's plot (the PNG's bytes), leaves a
    status line that reports no failure of the learner's code, and the status line changes with
    at least one control. A lesson without explorers has no `explore-*` cell."""
    explorers = EXPLORERS.get(lesson.assignment, [])
    assert sorted(explorer_cells(lesson.assignment)) == sorted(explorers), \
        f"{lesson.assignment}: explorer cells {explorer_cells(lesson.assignment)} are not all " \
        f"in EXPLORERS ({explorers})"
    lesson.require_run()
    errors = error_outputs(lesson.nb)
    assert not errors, f"{lesson.assignment}: expected the lesson to run without an error before " \
        f"its explorers are moved; cell {errors[0][0]} ({errors[0][1]}) raised " \
        f"{errors[0][2].splitlines()[0]}"
    problems = []
    for cell_id in explorers:
        problems += drive_explorer(lesson, cell_id)
    assert not problems, f"{lesson.assignment}: expected every control to redraw its " \
        "explorer; seen:\n" + "\n".join(problems)


# The smallest screen the explorers must fit: a projector's 1280 x 720.
SCREEN = {"width": 1280, "height": 720}

# Per explorer cell: the explorer's box, the notebook's visible area, and whether any of the
# explorer's content is wider than its box (a horizontal scrollbar, or cut off).
EXPLORER_BOX = """([p, id]) => {
    const panel = window.__nb[p];
    const cell = panel.node.querySelector(`[data-test-cell-id="${id}"]`);
    const widget = cell && cell.querySelector('.jp-OutputArea-output .widget-vbox');
    if (!widget) return null;
    const scroller = panel.content.node.closest('.jp-WindowedPanel-outer') || panel.content.node;
    const box = widget.getBoundingClientRect(), view = scroller.getBoundingClientRect();
    const wide = [widget, ...widget.querySelectorAll('*')].filter(
        e => e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX !== 'visible');
    const image = widget.querySelector('.widget-image');
    return {width: box.width, height: box.height, view_width: scroller.clientWidth,
            view_height: view.height, right: box.right, view_right: view.right,
            overflowing: wide.map(e => e.className || e.tagName),
            image: image ? [image.clientWidth, image.clientHeight, image.naturalWidth] : null};
}"""


def test_explorers_fit_a_projector_screen(lesson):
    """At 1280 x 720 (a projector) every explorer of the lesson fits in JupyterLab's notebook
    area as it is laid out: as wide as the notebook at most (nothing scrolls sideways or is cut
    off) and as high as the visible notebook area, so the controls and the whole plot can be seen
    at once."""
    explorers = EXPLORERS.get(lesson.assignment, [])
    if not explorers:
        pytest.skip(f"{lesson.assignment} has no explorer")
    lesson.require_run()
    page = lesson.page.page
    page.set_viewport_size(SCREEN)
    try:
        page.evaluate("(p) => window.jupyterapp.shell.activateById(window.__nb[p].id)",
                      lesson.path)
        page.wait_for_timeout(500)          # let the layout settle at the new size
        problems = []
        for cell_id in explorers:
            lesson.page.cell(cell_id).scroll_into_view_if_needed()
            box = page.evaluate(EXPLORER_BOX, [lesson.path, cell_id])
            if box is None:
                problems.append(f"{cell_id}: no explorer widget found")
                continue
            print(f"{cell_id} at {SCREEN['width']}x{SCREEN['height']}: {box}")
            if box["right"] > box["view_right"] + 1 or box["overflowing"]:
                problems.append(f"{cell_id}: {box['width']:.0f} px wide, wider than the "
                                f"notebook area ({box['view_width']} px), or content cut off "
                                f"(overflowing: {box['overflowing']})")
            if box["height"] > box["view_height"]:
                problems.append(f"{cell_id}: {box['height']:.0f} px high, higher than the "
                                f"visible notebook area ({box['view_height']:.0f} px)")
    finally:
        page.set_viewport_size(VIEWPORT)
    assert not problems, f"{lesson.assignment}: expected every explorer to fit a " \
        f"{SCREEN['width']}x{SCREEN['height']} screen; seen:\n" + "\n".join(problems)


def drive_explorer(lesson, cell_id):
    """Move every control of the explorer in cell `cell_id`; returns what went wrong (text)."""
    page = lesson.page.page
    widget = lesson.page.cell(cell_id).locator(".jp-OutputArea-output .widget-vbox").first
    widget.wait_for(state="visible", timeout=EXPLORER_UPDATE * 1000)
    image = widget.locator(".widget-image").first
    status = widget.locator(".widget-html").first

    def fingerprint():
        return image.evaluate(FINGERPRINT)

    def kernel_idle():
        return page.evaluate("(p) => window.__nb[p].sessionContext.session?.kernel?.status === "
                             "'idle'", lesson.path)

    wait_until(fingerprint, EXPLORER_UPDATE, f"the plot of {cell_id} to be shown")
    controls = widget.locator(".widget-slider, .widget-dropdown")
    count = controls.count()
    if count == 0:
        return [f"{cell_id}: no slider or dropdown found in the explorer's widget"]
    problems, status_changes = [], 0
    for i in range(count):
        control = controls.nth(i)
        labels = control.locator(".widget-label")
        label = (labels.first.inner_text().strip() if labels.count() else "") or f"control {i}"
        before_image = wait_until(fingerprint, EXPLORER_UPDATE, f"the plot of {cell_id}")
        before_status = status.inner_text()
        try:
            old, new = move(page, control)
        except BrowserTestError as e:
            problems.append(f"{cell_id} / {label}: could not move it: {e}")
            continue
        try:
            wait_until(lambda: (fp := fingerprint()) and fp != before_image, EXPLORER_UPDATE,
                       "a new plot")
        except BrowserTestError:
            problems.append(f"{cell_id} / {label}: moved from {old} to {new}, expected the plot "
                            f"to change; it did not (status line: {status.inner_text()!r})")
            continue
        wait_until(kernel_idle, KERNEL_START, "the kernel to be idle after the update")
        after_status = status.inner_text()
        if FAILURE_NOTE in after_status or not after_status.strip():
            problems.append(f"{cell_id} / {label}: moved from {old} to {new}, expected a status "
                            f"line about the plot; seen {after_status!r}")
        status_changes += after_status != before_status
        print(f"{cell_id} / {label}: {old} -> {new}, plot {before_image} -> {fingerprint()}, "
              f"status {'changed' if after_status != before_status else 'unchanged'}: "
              f"{after_status[:100]!r}")
    if not problems and status_changes == 0:
        problems.append(f"{cell_id}: expected the status line to change with at least one of "
                        f"its {count} controls; it never changed ({status.inner_text()!r})")
    return problems


def move(page, control):
    """Move one control as a learner does; returns (old value, new value) as the page shows
    them. A slider: focus its handle and press End (Home at the maximum), then wait for the
    readout to change; a dropdown: choose another option."""
    select = control.locator("select")
    if select.count():
        old = select.input_value()
        options = select.locator("option").evaluate_all("os => os.map(o => o.value)")
        others = [o for o in options if o != old]
        if not others:
            raise BrowserTestError(f"a dropdown with the single option {old!r}")
        select.select_option(value=others[0])
        return old, others[0]
    handle = control.locator(".noUi-handle").first
    readout = control.locator(".widget-readout").first
    old = readout.inner_text().strip()
    now, high = handle.get_attribute("aria-valuenow"), handle.get_attribute("aria-valuemax")
    try:
        key = "End" if float(now) < float(high) else "Home"
    except (TypeError, ValueError):
        key = "End"
    handle.focus()
    page.keyboard.press(key)
    new = wait_until(lambda: (text := readout.inner_text().strip()) != old and text, 30,
                     f"the slider's readout to change from {old} after {key}",
                     details=lambda: readout.inner_text())
    return old, new
