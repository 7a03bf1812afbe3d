"""A student's session in JupyterLab, in a real browser.

JupyterLab (with nbgrader's extension) serves a copy of the release; every notebook
is opened in headless Chromium, its set-up cells run, then one exercise cell, filled
in with the reference code as a student who solved it would have, and its check.
In the network visualization notebook the saliency explorer is drawn and its image
menu moved: the picture must change. A screenshot of each notebook is kept in
e2e-artifacts/.
"""

import re
import shutil

import nbformat
import pytest
from e2e_support import KIT, expect, jupyter_lab

from course_lib.tooling import demo

pytestmark = pytest.mark.slow

NOTEBOOKS = [
    "assignment3/RNN_Captioning.ipynb",
    "assignment3/Transformer_Captioning.ipynb",
    "assignment3/Network_Visualization.ipynb",
    "assignment3/Generative_Adversarial_Networks.ipynb",
    "assignment3_extra/LSTM_Captioning.ipynb",
]
# The notebook whose explorer the test moves, and the cells the explorer needs
# beyond the set-up and the exercise: one whose source starts with each text.
EXPLORER_NOTEBOOK = "assignment3/Network_Visualization.ipynb"
EXPLORER_CELLS = (
    "model = load_pretrained()",
    "X, y, class_names = load_imagenet_val",
    "X_all, y_all, _ = load_imagenet_val",
)
EXECUTED = re.compile(r"^\[\d+\]:$")


def _nbgrader(cell):
    return cell.metadata.get("nbgrader", {})


def plan(nb):
    """Indices of the cells to run: the leading locked cells (the set-up), then the
    first exercise cell and the test cell after it."""
    code = [(i, c) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    setup = []
    for i, cell in code:
        if not _nbgrader(cell).get("locked"):
            break
        setup.append(i)
    solution = next(i for i, c in code if _nbgrader(c).get("solution"))
    test = next(i for i, c in code if i > solution and _nbgrader(c).get("grade"))
    return setup, solution, test


@pytest.fixture(scope="module")
def release(tmp_path_factory, browser):
    """A copy of release/ in which every exercise cell holds the reference code."""
    folder = tmp_path_factory.mktemp("student") / "release"
    shutil.copytree(KIT / "release", folder)
    for name in NOTEBOOKS:
        nb = demo.plant(
            nbformat.read(KIT / "source" / name, 4),
            nbformat.read(folder / name, 4),
            [],
        )
        nbformat.write(nb, folder / name)
    return folder


@pytest.fixture(scope="module")
def lab(release, tmp_path_factory):
    with jupyter_lab(release, tmp_path_factory.mktemp("lab")) as url:
        yield url


class OpenNotebook:
    """A notebook open in JupyterLab: cells to run and their outputs to read."""

    def __init__(self, page, url, name):
        self.page = page
        page.goto(f"{url}lab/tree/{name}?reset")  # a workspace of its own
        panel = page.locator(".jp-NotebookPanel").first
        self.cells = panel.locator(".jp-Notebook-cell")
        self.cells.first.wait_for()
        idle = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
        panel.locator(idle).wait_for(timeout=90_000)

    def run(self, index, timeout=120_000):
        """Run cell `index` as a person does (select it, Shift+Enter); wait for it."""
        cell = self.cells.nth(index)
        prompt = cell.locator(".jp-InputPrompt")
        for _ in range(3):  # a key press while the page still settles can be lost
            self.fail_on_dialog()
            cell.scroll_into_view_if_needed()
            prompt.click()
            self.page.keyboard.press("Shift+Enter")
            try:
                expect(prompt).not_to_have_text("[ ]:", timeout=5_000)
                break
            except AssertionError:
                continue
        expect(prompt).to_have_text(EXECUTED, timeout=timeout)
        return cell

    def fail_on_dialog(self):
        """A dialog in the way is something a student would see: report its text."""
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            pytest.fail(f"JupyterLab shows a dialog: {dialog.first.inner_text()!r}")

    def output(self, cell):
        return cell.locator(".jp-OutputArea").inner_text()

    def assert_clean(self, cell):
        """No error and nothing on stderr in the cell's output."""
        errors = cell.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        )
        assert errors.count() == 0, self.output(cell)


@pytest.mark.parametrize("name", NOTEBOOKS, ids=lambda n: n.split("/")[1])
def test_a_student_runs_the_setup_and_an_exercise_check(
    page, lab, release, artifacts, name
):
    nb = nbformat.read(release / name, 4)
    setup, solution, test = plan(nb)
    notebook = OpenNotebook(page, lab, name)
    expect(notebook.cells).to_have_count(len(nb.cells))

    for index in setup:
        notebook.assert_clean(notebook.run(index))
    notebook.assert_clean(notebook.run(solution))
    check = notebook.run(test)
    notebook.assert_clean(check)
    text = notebook.output(check)
    assert text.strip(), "the check printed nothing"
    assert "<--" not in text and "Error" not in text, text

    if name == EXPLORER_NOTEBOOK:
        move_the_saliency_explorer(notebook, nb)
    page.screenshot(path=artifacts / f"{name.split('/')[1][:-6]}.png")


def move_the_saliency_explorer(notebook, nb):
    """Draw the explorer, pick another image in its menu, see the picture change."""
    for start in EXPLORER_CELLS:
        index = next(
            i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and c.source.startswith(start)
        )  # fmt: skip
        cell = notebook.run(index)
        notebook.assert_clean(cell)
    menu = cell.locator(".widget-dropdown select").first
    picture = cell.locator(".widget-image").first
    picture.wait_for()
    before = picture.get_attribute("src")
    menu.select_option(index=3)
    notebook.page.wait_for_function(
        "([img, old]) => img.getAttribute('src') !== old",
        arg=[picture.element_handle(), before],
    )
    expect(cell.locator(".widget-html").first).to_contain_text("Image 3")
    cell.scroll_into_view_if_needed()
