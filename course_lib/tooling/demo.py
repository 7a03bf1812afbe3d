"""The demo class: three submissions that show what the grader does.

- `reference`: the source notebooks, every exercise solved;
- `blank`:     the release as a student receives it, nothing written;
- `buggy`:     the release with every exercise solved, but with a few mistakes that
               students typically make (listed in MISTAKES).

`run` autogrades them as `course autograde` does (nbgrader, each notebook's kernel
in the sandbox, see batch.py), writes feedback, exports grades.csv and
demo_scores.csv, and prints the gradebook.
"""

import csv
import logging
import os
import shutil
from dataclasses import dataclass

import nbformat

from . import batch, build

log = logging.getLogger(__name__)

STUDENTS = ("reference", "blank", "buggy")


@dataclass(frozen=True)
class Mistake:
    notebook: str  # file name, e.g. "RNN_Captioning.ipynb"
    grade_id: str  # the solution cell it is planted in
    old: str  # a line of the reference solution ...
    new: str  # ... and what the student wrote instead
    why: str  # the mistake in words
    costs: tuple  # the test cells (in any notebook) it must cost points, and no others


MISTAKES = (
    Mistake(
        "RNN_Captioning.ipynb",
        "code_word_embedding_backward",
        "np.add.at(dW, x, dout)",
        "dW[x] += dout",
        "repeated words keep one gradient instead of their sum",
        ("test_word_embedding_backward",),
    ),
    Mistake(
        "RNN_Captioning.ipynb",
        "code_CaptioningRNN_sample",
        "x = W_embed[word]  # (N, W)",
        "x = W_embed[np.full(N, self._start)]  # (N, W)",
        "feeds <START> at every step instead of the word just sampled",
        # The LSTM notebook grades the same method's LSTM branch, carried over.
        ("test_captioning_sample", "test_captioning_lstm"),
    ),
    Mistake(
        "LSTM_Captioning.ipynb",
        "code_lstm_step_forward",
        "i = sigmoid(a[:, :H])  # (N, H)\n    f = sigmoid(a[:, H : 2 * H])  # (N, H)",
        "f = sigmoid(a[:, :H])  # (N, H)\n    i = sigmoid(a[:, H : 2 * H])  # (N, H)",
        "input and forget gates read from each other's block of the activation",
        ("test_lstm_step_forward", "test_lstm_step_backward", "test_lstm_overfit"),
    ),
    Mistake(
        "Transformer_Captioning.ipynb",
        "code_MultiHeadAttention_forward",
        "k.transpose(2, 3) / math.sqrt(d)",
        "k.transpose(2, 3)",
        "attention scores not divided by sqrt(E / num_heads)",
        ("test_multi_head_attention",),
    ),
    Mistake(
        "Transformer_Captioning.ipynb",
        "code_CaptioningTransformer_forward",
        "tgt_mask=mask",
        "tgt_mask=None",
        "no causal mask: each word sees the words after it",
        ("test_captioning_forward",),
    ),
    Mistake(
        "Generative_Adversarial_Networks.ipynb",
        "code_discriminator_loss",
        "torch.zeros_like(logits_fake)",
        "torch.ones_like(logits_fake)",
        "fake images labelled real in the discriminator's loss",
        ("test_discriminator_loss",),
    ),
    Mistake(
        "Generative_Adversarial_Networks.ipynb",
        "code_build_dc_generator",
        "nn.ReLU(),\n        nn.BatchNorm2d(64),",
        "nn.BatchNorm2d(64),\n        nn.ReLU(),",
        "batch norm before its ReLU instead of after it",
        ("test_dc_generator",),
    ),
    Mistake(
        "Network_Visualization.ipynb",
        "code_compute_saliency_maps",
        "grad.abs().amax(dim=1)",
        "grad.amax(dim=1)",
        "saliency from the signed gradient, without the absolute value",
        ("test_compute_saliency_maps",),
    ),
    Mistake(
        "Network_Visualization.ipynb",
        "code_make_fooling_image",
        "learning_rate * grad / grad.norm()",
        "learning_rate * grad",
        "raw gradient steps instead of steps of unit length",
        ("test_make_fooling_image",),
    ),
)


def _solution_cells(nb):
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell
        for cell in nb.cells
        if cell.metadata.get("nbgrader", {}).get("solution")
        and cell.cell_type == "code"
    }


def plant(source_nb, release_nb, edits, origin=None):
    """The release notebook with the reference code filled in and `edits` planted.

    `edits` are objects with `grade_id` (a solution cell), `old` (text of the
    reference solution) and `new` (what the student wrote instead); `origin` names
    the file to update if an edit no longer applies. Shared with `course mutants`.
    """
    solutions = _solution_cells(source_nb)
    for grade_id, cell in _solution_cells(release_nb).items():
        cell.source = solutions[grade_id].source
    for edit in edits:
        cells = _solution_cells(release_nb)
        if edit.grade_id not in cells:
            raise build.BuildError(
                f"{edit.grade_id} is not a solution cell of the notebook; update "
                f"{origin or __file__}"
            )
        cell = cells[edit.grade_id]
        if edit.old not in cell.source:
            raise build.BuildError(
                f"edit for {edit.grade_id} no longer applies: the reference code has "
                f"no text {edit.old!r}; update {origin or __file__}"
            )
        cell.source = cell.source.replace(edit.old, edit.new)
    return release_nb


def _plant(source_nb, release_nb, mistakes):
    return plant(source_nb, release_nb, mistakes, origin=f"MISTAKES in {__file__}")


def make_submissions(course, assignment):
    """Write submitted/<student>/<assignment>/ for the three demo students."""
    source = course.root / "source" / assignment
    release = course.root / "release" / assignment
    for student in STUDENTS:
        folder = course.root / "submitted" / student / assignment
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        for path in sorted(release.glob("*.ipynb")):
            if student == "reference":
                shutil.copy(source / path.name, folder / path.name)
            elif student == "blank":
                shutil.copy(path, folder / path.name)
            else:
                mistakes = [m for m in MISTAKES if m.notebook == path.name]
                nb = _plant(
                    nbformat.read(source / path.name, 4),
                    nbformat.read(path, 4),
                    mistakes,
                )
                nbformat.write(nb, folder / path.name)


def scores(course):
    """Rows (student, assignment, notebook, score, max_score, cells) from the gradebook.

    `cells` maps each autograded (code) test cell to (score, max_score); written
    answers wait for a person and are not in it."""
    from nbgrader.api import Gradebook

    rows = []
    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        for assignment in course.assignments:
            for notebook in gb.find_assignment(assignment).notebooks:
                for student in STUDENTS:
                    nb = gb.find_submission_notebook(notebook.name, assignment, student)
                    cells = {
                        g.name: (g.score, g.max_score)
                        for g in nb.grades
                        if g.cell_type == "code"
                    }
                    rows.append(
                        (
                            student,
                            assignment,
                            notebook.name,
                            nb.score,
                            nb.max_score,
                            cells,
                        )
                    )
    return rows


def expected_losses(notebook_cells):
    """The test cells of one notebook that the buggy submission must lose points in."""
    return {c for m in MISTAKES for c in m.costs if c in notebook_cells}


def write_scores(course, rows):
    path = course.root / "demo_scores.csv"
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "assignment", "notebook", "score", "max_score"])
        for student, assignment, notebook, score, max_score, _ in rows:
            writer.writerow(
                [student, assignment, notebook, f"{score:g}", f"{max_score:g}"]
            )
    return path


def print_gradebook(rows):
    """The gradebook as a table: autograded points, and what waits for a person."""
    width = max(len(r[2]) for r in rows)
    print(
        f"\n{'student':<10} {'notebook':<{width}}  {'autograded':>14}  written answers"
    )
    for student, _, notebook, score, max_score, cells in rows:
        auto = sum(s for s, _ in cells.values())
        auto_max = sum(m for _, m in cells.values())
        manual = max_score - auto_max
        print(
            f"{student:<10} {notebook:<{width}}  {auto:6.2f} / {auto_max:<5g}"
            f"  {manual:g} points to grade by hand"
        )
        lost = [f"{name} {s:.3g}/{m:g}" for name, (s, m) in cells.items() if s < m]
        if student == "buggy" and lost:
            print(f"{'':<10} {'':<{width}}  lost points in: {', '.join(lost)}")
    print()


def autograde(course, assignment):
    """Grade the demo students' submissions as `course autograde` does: each notebook
    in the sandbox, two at a time, one writer of the gradebook."""
    options = batch.Options(workers=min(2, os.cpu_count() or 1), students=STUDENTS)
    outcomes = batch.run(course.root, assignment, options, progress=log.info)
    failed = [o for o in outcomes if o.status not in ("graded", "skipped")]
    for o in failed:
        print(f"  {o.student} {o.notebook}: {o.status}: {'; '.join(o.problems)}")
    if failed:
        raise build.BuildError(
            f"{len(failed)} notebooks of {assignment} could not be graded (see above)"
        )


def run(root):
    course = build.Course(root)
    for assignment in course.assignments:
        make_submissions(course, assignment)
        print(
            f"Autograding {assignment} for {', '.join(STUDENTS)} in the sandbox ...",
            flush=True,
        )
        autograde(course, assignment)
        build.nbgrader(course, "generate_feedback", assignment, "--force")
    build.nbgrader(course, "export")
    rows = scores(course)
    write_scores(course, rows)
    print_gradebook(rows)
    print(
        "Wrote grades.csv (nbgrader export) and demo_scores.csv; feedback is in feedback/."
    )
    return 0
