"""`course mutants`: mutation testing of the hidden tests.

The catalog (mutants.toml, beside this file) lists realistic student mistakes, each a
small edit of a reference solution cell tagged with the test cells it must cost, and
correct alternatives that must earn full marks. `run` plants each one in a
submission of its own and grades it:

- through nbgrader (the default), in a scratch copy of the course, exactly as real
  submissions are graded: one nbgrader student per entry (`mutant-<name>`,
  `alternative-<name>`) whose submission holds only the notebooks it needs;
- or in-process (`fast`): the notebook's set-up cells and solution cells are
  executed in a namespace and the hidden part of each test cell is run, as the
  grader tests do. Test cells that depend on a training run are left out.

An entry is then

    killed         it lost points in a cell it is tagged with, and nowhere else
    survived       it lost nothing
    misattributed  it lost points in a cell it is not tagged with
    full marks     (alternatives) it lost nothing
    lost points    (alternatives) it lost points somewhere
    error          the submission could not be graded at all

and the report (reports/mutants.md) has one row per entry.
"""

import ast
import contextlib
import importlib
import io
import logging
import os
import re
import shutil
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.utils import get_partial_grade

from . import build, demo

log = logging.getLogger(__name__)

CATALOG = Path(__file__).with_name("mutants.toml")
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
CARRY_OVER = re.compile(r"""carry_over\(\s*["']\.\./([^/"']+)/([^"']+\.ipynb)["']""")


class CatalogError(build.BuildError):
    """The catalog does not parse, or one of its edits does not apply."""


@dataclass(frozen=True)
class Edit:
    grade_id: str
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    kind: str  # "mutant" or "alternative"
    name: str
    notebook: str  # file name, e.g. "RNN_Captioning.ipynb"
    cell: str  # grade_id of the solution cell edited
    edits: tuple  # of Edit
    why: str
    costs: tuple = ()  # test cells it must lose points in (mutants)

    @property
    def student(self):
        return f"{self.kind}-{self.name}"


@dataclass
class Catalog:
    entries: list
    # notebook -> test cell -> solution cells trained with (may cost it)
    training: dict = field(default_factory=dict)

    def training_cells(self, notebook):
        return set(self.training.get(notebook, {}))

    def allowed(self, entry):
        """Cells a mutant may lose points in: its tags, and training cells it feeds."""
        allowed = set(entry.costs)
        for notebook, cells in self.training.items():
            for cell, spec in cells.items():
                if (entry.notebook, entry.cell) in trained_with(notebook, spec):
                    allowed.add(cell)
        return allowed


def trained_with(notebook, spec):
    """The (notebook, solution cell) pairs a training test cell depends on. A bare
    name is a cell of `notebook`; `Other.ipynb:cell` one of a notebook it carries
    over."""
    pairs = set()
    for name in spec.get("trained_with", []):
        other, _, cell = name.rpartition(":")
        pairs.add((other or notebook, cell))
    return pairs


# ---------------------------------------------------------------------------
# The catalog


def load_catalog(path=CATALOG):
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(f"{path} does not parse: {error}") from error
    entries = []
    for kind in ("mutant", "alternative"):
        for i, raw in enumerate(data.get(kind, [])):
            where = f"{path.name}: {kind} #{i + 1} ({raw.get('name', '?')})"
            for key in ("name", "notebook", "cell", "why"):
                if not isinstance(raw.get(key), str) or not raw[key]:
                    raise CatalogError(f"{where}: `{key}` is missing")
            if "edits" in raw:
                pairs = [(e.get("old"), e.get("new")) for e in raw["edits"]]
            else:
                pairs = [(raw.get("old"), raw.get("new"))]
            if not pairs or any(
                not isinstance(o, str) or not o or not isinstance(n, str)
                for o, n in pairs
            ):
                raise CatalogError(
                    f"{where}: every edit needs a non-empty `old` and a `new`"
                )
            costs = tuple(raw.get("costs", ()))
            if kind == "mutant" and not costs:
                raise CatalogError(
                    f"{where}: a mutant must name the test cells it `costs`"
                )
            if kind == "alternative" and costs:
                raise CatalogError(
                    f"{where}: an alternative costs nothing; drop `costs`"
                )
            edits = tuple(Edit(raw["cell"], o, n) for o, n in pairs)
            entries.append(
                Entry(
                    kind,
                    raw["name"],
                    raw["notebook"],
                    raw["cell"],
                    edits,
                    raw["why"],
                    costs,
                )
            )
    names = [e.student for e in entries]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(f"{path.name}: names used twice: {', '.join(duplicates)}")
    for name in names:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise CatalogError(f"{path.name}: {name!r} is not a valid student id")
    return Catalog(entries, data.get("training", {}))


def source_notebooks(course):
    """Notebook file name -> (assignment, path of its source notebook)."""
    found = {}
    for assignment in course.assignments:
        for path in sorted((course.root / "source" / assignment).glob("*.ipynb")):
            found[path.name] = (assignment, path)
    return found


def _test_cells(nb):
    """grade_id -> cell of every autograded test cell."""
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.cell_type == "code"
        and c.metadata.get("nbgrader", {}).get("grade")
        and not c.metadata["nbgrader"].get("solution")
    }


def carried_over(nb):
    """The (assignment, notebook) whose exercise cells `nb` runs with carry_over."""
    for cell in nb.cells:
        if cell.cell_type == "code":
            match = CARRY_OVER.search(cell.source)
            if match:
                return match.group(1), match.group(2)
    return None


def unbuilt(course, catalog):
    """Notebooks of the catalog that have a template but no source notebook yet (a
    notebook still being written): their entries are skipped, and said so."""
    built = source_notebooks(course)
    templates = {
        f"{path.stem}.ipynb"
        for a in course.assignments
        for path in (course.root / "notebooks" / a).glob("*.py")
    }
    return {
        e.notebook
        for e in catalog.entries
        if e.notebook not in built and e.notebook in templates
    }


def _solution_cells(notebook):
    """The grade_ids of the solution cells of a (assignment, path) notebook."""
    if notebook is None:
        return set()
    return {
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nbformat.read(notebook[1], 4).cells
        if cell.metadata.get("nbgrader", {}).get("solution")
    }


def check_catalog(course, catalog):
    """Every entry names a known notebook and cells, and every edit applies.
    Returns the notebooks skipped because they are not built yet."""
    notebooks = source_notebooks(course)
    skipped = unbuilt(course, catalog)
    tests = {
        name: _test_cells(nbformat.read(path, 4))
        for name, (_, path) in notebooks.items()
    }
    problems = []
    for entry in catalog.entries:
        if entry.notebook in skipped:
            continue
        if entry.notebook not in notebooks:
            problems.append(f"{entry.student}: no notebook {entry.notebook} in source/")
            continue
        nb = nbformat.read(notebooks[entry.notebook][1], 4)
        try:
            demo.plant(nb, nbformat.from_dict(nb), entry.edits, origin=CATALOG.name)
        except build.BuildError as error:
            problems.append(f"{entry.student}: {error}")
        known = set().union(*tests.values())
        problems += [
            f"{entry.student}: no test cell {c}" for c in entry.costs if c not in known
        ]
    for notebook, cells in catalog.training.items():
        if notebook in skipped:
            continue
        for cell, spec in cells.items():
            if cell not in tests.get(notebook, {}):
                problems.append(f"[training]: {notebook} has no test cell {cell}")
            problems += [
                f"[training] {cell}: no solution cell {other}:{solution}"
                for other, solution in trained_with(notebook, spec)
                if other not in skipped
                and solution not in _solution_cells(notebooks.get(other))
            ]
    if problems:
        raise CatalogError(
            "the mutant catalog does not apply:\n  " + "\n  ".join(problems)
        )
    return skipped


def select(catalog, only=(), notebook=None):
    entries = catalog.entries
    if only:
        names = {e.name for e in entries} | {e.student for e in entries}
        unknown = [n for n in only if n not in names]
        if unknown:
            raise CatalogError(f"no entry named {', '.join(unknown)} in the catalog")
        entries = [e for e in entries if e.name in only or e.student in only]
    if notebook:
        entries = [e for e in entries if e.notebook == notebook]
        if not entries:
            raise CatalogError(f"no entry of the catalog edits {notebook}")
    return entries


def graded_notebooks(course, entry, costs_only=False):
    """The notebooks to grade for `entry`, in course order: its own, and those that
    carry its notebook over (with `costs_only`, only if it is tagged with one of
    their cells)."""
    notebooks = source_notebooks(course)
    own_assignment = notebooks[entry.notebook][0]
    result = []
    for name, (assignment, path) in notebooks.items():
        nb = nbformat.read(path, 4)
        if name == entry.notebook:
            result.append(name)
        elif carried_over(nb) == (own_assignment, entry.notebook):
            if not costs_only or set(entry.costs) & set(_test_cells(nb)):
                result.append(name)
    return result


def planted(course, entry, notebook, release=None):
    """`notebook` with the reference filled in and `entry` planted if it edits it."""
    _, source = source_notebooks(course)[notebook]
    target = nbformat.read(release if release else source, 4)
    edits = entry.edits if entry.notebook == notebook else ()
    return demo.plant(nbformat.read(source, 4), target, edits, origin=CATALOG.name)


# ---------------------------------------------------------------------------
# Grading in-process (--fast)


def _exercise_slots():
    """(owner, name, original) of every exercise, to restore after each run."""
    slots = []
    for ex in build.all_exercises():
        owner = importlib.import_module(ex.module)
        for part in ex.qualname.split(".")[:-1]:
            owner = getattr(owner, part)
        original = (
            vars(owner)[ex.name] if isinstance(owner, type) else getattr(owner, ex.name)
        )
        slots.append((owner, ex.name, original))
    return slots


@contextlib.contextmanager
def _library_restored(slots):
    from course_lib import exercise

    saved = dict(exercise.submitted)
    exercise.submitted.clear()
    try:
        yield
    finally:
        for owner, name, original in slots:
            setattr(owner, name, original)
        exercise.submitted.clear()
        exercise.submitted.update(saved)


def _run_cell(source, namespace, label):
    """Exec a cell; return the value of its last line if it is an expression."""
    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    exec(compile(tree, label, "exec"), namespace)
    if last is not None:
        return eval(compile(last, label, "eval"), namespace)
    return None


def _as_nbgrader_reads(value, points):
    """The score nbgrader gives a test cell whose result is `value`: by the text of
    its repr, so that a result nbgrader cannot read scores here as it does there."""
    if value is None:
        return points
    return get_partial_grade({"data": {"text/plain": repr(value)}}, points)


def _grade_in_process(nb, name, skip_cells):
    """{test cell: (score, max_score, output)} of a planted notebook run in-process.

    Runs the locked set-up cells before the first exercise cell, every exercise
    cell, then the hidden part of each test cell (its visible checks are left out:
    they only print). The working directory must be the notebook's folder."""
    namespace = {"__name__": "__main__"}
    solutions_started = False
    output = io.StringIO()
    scores = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code":
            continue
        label = f"{name}:{meta.get('grade_id', '?')}"
        if meta.get("solution"):
            solutions_started = True
            with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
                try:
                    _run_cell(cell.source, namespace, label)
                except Exception as error:  # a student's cell that fails to run
                    output.write(f"{label} raised {type(error).__name__}: {error}\n")
        elif meta.get("grade") and meta.get("grade_id") not in skip_cells:
            points = float(meta["points"])
            hidden = HIDDEN.search(cell.source)
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                try:
                    value = _run_cell(
                        hidden.group(1) if hidden else "", namespace, label
                    )
                    score = _as_nbgrader_reads(value, points)
                except Exception as error:
                    out.write(f"raised {type(error).__name__}: {error}\n")
                    score = 0.0
            scores[meta["grade_id"]] = (score, points, out.getvalue())
        elif meta.get("locked") and not solutions_started and not meta.get("grade"):
            with contextlib.redirect_stdout(output):
                _run_cell(cell.source, namespace, label)
    return scores


def grade_fast(course, catalog, entry, slots, scratch):
    """{notebook: {cell: (score, max, output)}} for `entry`, graded in-process."""
    notebooks = source_notebooks(course)
    student = scratch / "autograded" / entry.student
    needed = graded_notebooks(course, entry)
    written = {}
    for name in needed:
        nb = nbformat.read(notebooks[name][1], 4)
        dependency = carried_over(nb)
        for assignment, notebook in [dependency] if dependency else []:
            written[notebook] = student / assignment / notebook
        written[name] = student / notebooks[name][0] / name
    for notebook, path in written.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(planted(course, entry, notebook), path)
    results = {}
    here = os.getcwd()
    env = os.environ.get("COURSE_STUDENT_ID")
    os.environ["COURSE_STUDENT_ID"] = entry.student
    try:
        for name in needed:
            os.chdir(written[name].parent)
            with _library_restored(slots):
                nb = nbformat.read(written[name], 4)
                results[name] = _grade_in_process(
                    nb, name, catalog.training_cells(name)
                )
    finally:
        os.chdir(here)
        if env is None:
            os.environ.pop("COURSE_STUDENT_ID", None)
        else:
            os.environ["COURSE_STUDENT_ID"] = env
    return results


# ---------------------------------------------------------------------------
# Grading through nbgrader


def _read_grades(course, student, assignment, notebook):
    """{cell: (score, max, "")} of a graded notebook, or None if it has no grades."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course.root / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(Path(notebook).stem, assignment, student)
        except MissingEntry:
            return None
        return {
            g.name: (float(g.score or 0.0), float(g.max_score), "")
            for g in nb.grades
            if g.cell_type == "code"
        }


def grade_nbgrader(course, catalog, entries):
    """{student: {notebook: cells or None}} and seconds per assignment, graded by
    `nbgrader autograde` in `course` (a scratch copy)."""
    notebooks = source_notebooks(course)
    plan = {}  # student -> notebooks to grade
    for entry in entries:
        plan[entry.student] = graded_notebooks(course, entry, costs_only=True)
        for name in plan[entry.student]:
            assignment = notebooks[name][0]
            folder = course.root / "submitted" / entry.student / assignment
            folder.mkdir(parents=True, exist_ok=True)
            release = course.root / "release" / assignment / name
            nbformat.write(planted(course, entry, name, release), folder / name)
    timings, failures = {}, {}
    for assignment in course.assignments:
        students = [
            e
            for e in entries
            if any(notebooks[n][0] == assignment for n in plan[e.student])
        ]
        if not students:
            continue
        # A notebook that carries over an earlier one finds it in autograded/.
        for entry in students:
            for name in plan[entry.student]:
                if notebooks[name][0] != assignment:
                    continue
                dependency = carried_over(nbformat.read(notebooks[name][1], 4))
                if not dependency:
                    continue
                dep_assignment, dep_name = dependency
                path = (
                    course.root
                    / "autograded"
                    / entry.student
                    / dep_assignment
                    / dep_name
                )
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    nbformat.write(planted(course, entry, dep_name), path)
        log.info("nbgrader autograde %s for %d submissions", assignment, len(students))
        print(
            f"nbgrader autograde {assignment}: {len(students)} submissions ...",
            flush=True,
        )
        start = time.monotonic()
        try:
            # The scratch course holds only these submissions: grade them all.
            build.nbgrader(course, "autograde", assignment, "--force")
        except build.BuildError as error:  # some submission failed; others are graded
            failures[assignment] = str(error)
            log.warning("%s", error)
        timings[assignment] = time.monotonic() - start
    results = {}
    for entry in entries:
        results[entry.student] = {
            name: _read_grades(course, entry.student, notebooks[name][0], name)
            for name in plan[entry.student]
        }
    return results, timings, failures


def grade_in_parts(course, catalog, entries, target, jobs):
    """`grade_nbgrader` over `jobs` shares of the entries, each in a scratch course
    of its own under `target` (`target` itself when jobs is 1), side by side.

    Returns the merged results, and the seconds and failures per assignment and
    part ("assignment3 (part 2 of 3)")."""
    jobs = max(1, min(jobs, len(entries)))
    # Entries of one notebook cost alike: deal them out in turn, notebook by notebook.
    ordered = sorted(entries, key=lambda e: (e.notebook, e.student))
    shares = [ordered[i::jobs] for i in range(jobs)]

    def part(i):
        folder = target if jobs == 1 else target / f"part-{i + 1}"
        print(f"Releasing a scratch copy of the course in {folder} ...", flush=True)
        copy = build.released_copy(course.root, folder)
        return grade_nbgrader(copy, catalog, shares[i])

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        parts = list(pool.map(part, range(jobs)))
    results, timings, failures = {}, {}, {}
    for i, (r, t, f) in enumerate(parts):
        name = "{}" if jobs == 1 else f"{{}} (part {i + 1} of {jobs})"
        results.update(r)
        timings.update({name.format(a): s for a, s in t.items()})
        failures.update({name.format(a): e for a, e in f.items()})
    return results, timings, failures


# ---------------------------------------------------------------------------
# Verdicts and the report


@dataclass
class Verdict:
    entry: Entry
    status: str
    lost: dict  # cell -> (score, max)
    note: str = ""

    @property
    def ok(self):
        return self.status in ("killed", "full marks", "untested")


def judge(catalog, entry, graded, skipped=()):
    """The verdict on one entry from its graded notebooks' cells."""
    if graded is None or any(cells is None for cells in graded.values()):
        missing = [n for n, c in (graded or {}).items() if c is None]
        return Verdict(entry, "error", {}, f"not graded: {', '.join(missing) or 'all'}")
    lost = {
        cell: (score, most)
        for cells in graded.values()
        for cell, (score, most, _) in cells.items()
        if score < most - 1e-9
    }
    if entry.kind == "alternative":
        return Verdict(entry, "full marks" if not lost else "lost points", lost)
    graded_cells = {c for cells in graded.values() for c in cells}
    stray = set(lost) - catalog.allowed(entry)
    kept = [c for c in entry.costs if c in graded_cells and c not in lost]
    untested = [c for c in entry.costs if c not in graded_cells]
    notes = []
    if kept and lost:
        notes.append(f"kept full marks in {', '.join(kept)}")
    if untested:
        notes.append(f"not graded here: {', '.join(untested)}")
    tested = set(entry.costs) - set(untested)
    if stray:
        status = "misattributed"
    elif not tested:
        status = "untested"
    elif not set(lost) & tested:
        status = "survived"
        if lost:
            notes.append("lost only in training cells")
    else:
        status = "killed"
    return Verdict(entry, status, lost, "; ".join(notes))


def _cells(lost):
    return (
        ", ".join(f"{c} {s:.3g}/{m:g}" for c, (s, m) in sorted(lost.items())) or "none"
    )


def write_report(path, verdicts, mode, seconds, extra=()):
    mutants = [v for v in verdicts if v.entry.kind == "mutant"]
    alternatives = [v for v in verdicts if v.entry.kind == "alternative"]
    count = lambda vs, s: sum(v.status == s for v in vs)  # noqa: E731
    lines = [
        "# Mutation testing of the hidden tests",
        "",
        f"Written by `course mutants{' --fast' if mode == 'fast' else ''}` from "
        "`course_lib/tooling/mutants.toml`. ",
        (
            "Graded in-process: set-up and exercise cells executed in a namespace, then "
            "the hidden part of each test cell. Training-dependent test cells "
            "(overfit runs) are not graded in this mode."
            if mode == "fast"
            else "Graded through `nbgrader autograde` in a scratch copy of the course, one "
            "nbgrader student per entry, whose submission holds only the notebooks it "
            "needs (its own, and a notebook that carries it over when it is tagged "
            "with one of that notebook's cells)."
        ),
        "",
        f"- mutants: {len(mutants)}: {count(mutants, 'killed')} killed, "
        f"{count(mutants, 'survived')} survived, {count(mutants, 'misattributed')} "
        f"misattributed, {count(mutants, 'untested')} untested in this mode, "
        f"{count(mutants, 'error')} not graded",
        f"- alternatives: {len(alternatives)}: {count(alternatives, 'full marks')} at "
        f"full marks, {count(alternatives, 'lost points')} lost points, "
        f"{count(alternatives, 'error')} not graded",
        f"- time: {seconds:.0f} s",
        *[f"- {line}" for line in extra],
        "",
        "## Mutants",
        "",
        "| mutant | notebook | cell | mistake | tagged | lost points in | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for v in mutants:
        e = v.entry
        verdict = v.status if not v.note else f"{v.status} ({v.note})"
        lines.append(
            f"| `{e.name}` | {e.notebook} | {e.cell} | {e.why} | {', '.join(e.costs)} "
            f"| {_cells(v.lost)} | **{verdict}** |"
        )
    lines += [
        "",
        "## Correct alternatives",
        "",
        "| alternative | notebook | cell | written differently | lost points in | verdict |",
        "|---|---|---|---|---|---|",
    ]
    for v in alternatives:
        e = v.entry
        verdict = v.status if not v.note else f"{v.status} ({v.note})"
        lines.append(
            f"| `{e.name}` | {e.notebook} | {e.cell} | {e.why} | {_cells(v.lost)} "
            f"| **{verdict}** |"
        )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines).replace("<", "&lt;").replace(">", "&gt;") + "\n")
    return path


def run(
    root,
    only=(),
    notebook=None,
    fast=False,
    report=None,
    catalog_path=CATALOG,
    keep=None,
    jobs=1,
):
    """Grade the selected entries; write the report; return (verdicts, exit code).

    Through nbgrader, `jobs` scratch courses grade a share of the entries each, side
    by side (one `nbgrader autograde` process each)."""
    course = build.Course(Path(root).resolve())
    catalog = load_catalog(catalog_path)
    skipped = check_catalog(course, catalog)
    entries = select(catalog, only, notebook)
    start = time.monotonic()
    verdicts, extra = [], []
    if skipped:
        left_out = [e for e in entries if e.notebook in skipped]
        entries = [e for e in entries if e.notebook not in skipped]
        extra.append(
            f"skipped {len(left_out)} entries of {', '.join(sorted(skipped))}: "
            "template present, source notebook not built (run `course build`)"
        )
        print(extra[-1])
    if fast:
        os.environ.setdefault("MPLBACKEND", "Agg")
        slots = _exercise_slots()
        with tempfile.TemporaryDirectory() as scratch:
            for entry in entries:
                graded = grade_fast(course, catalog, entry, slots, Path(scratch))
                verdicts.append(judge(catalog, entry, graded))
                _print(verdicts[-1], graded)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            target = Path(keep).resolve() if keep else Path(scratch) / "course"
            if keep:
                shutil.rmtree(target, ignore_errors=True)
            results, timings, failures = grade_in_parts(
                course, catalog, entries, target, jobs
            )
            for entry in entries:
                verdicts.append(judge(catalog, entry, results[entry.student]))
                _print(verdicts[-1], results[entry.student])
            extra += [f"nbgrader autograde {a}: {s:.0f} s" for a, s in timings.items()]
            extra += [
                f"nbgrader reported a failure in {a} (see the log)" for a in failures
            ]
    seconds = time.monotonic() - start
    default = "mutants-fast.md" if fast else "mutants.md"
    path = write_report(
        report or course.root / "reports" / default,
        verdicts,
        "fast" if fast else "nbgrader",
        seconds,
        extra,
    )
    bad = [v for v in verdicts if not v.ok]
    print(
        f"\n{len(verdicts) - len(bad)} of {len(verdicts)} entries as expected "
        f"in {seconds:.0f} s; report: {path}"
    )
    for v in bad:
        print(f"  {v.entry.student}: {v.status}; lost {_cells(v.lost)} {v.note}")
    return verdicts, (0 if not bad else 1)


def _print(verdict, graded):
    log.info(
        "%s: %s (lost %s)", verdict.entry.student, verdict.status, _cells(verdict.lost)
    )
    if not verdict.ok and log.isEnabledFor(logging.DEBUG):
        for cells in (graded or {}).values():
            for cell, (_, _, out) in (cells or {}).items():
                if out.strip():
                    log.debug("%s %s:\n%s", verdict.entry.student, cell, out)
