"""Autograde a whole class: every notebook of every submission, safely, in parallel.

    course autograde assignment3 --workers 2
    course autograde assignment3 --dask local --workers 4
    course autograde assignment3 --dask tcp://scheduler:8786

The coordinator (this module, one process) reads the submissions and makes one
`worker.Job` per notebook of each student. A job carries its files and a scratch
gradebook as bytes and is graded by `nbgrader autograde` in a scratch course of its
own, the kernel in the sandbox; jobs run in threads of this process (`--workers`)
or on a Dask cluster (`--dask`: a local cluster of processes, or a scheduler's
address to use other machines; those need this kit installed, not the course).

As each job finishes, the coordinator alone writes its grades into the course's
gradebook (merge.py), copies its autograded notebook into autograded/, and appends
a line to the journal (journal.py). A notebook is graded again only when its
journal line is missing, its submission changed, or the gradebook lost it; so a
batch that is interrupted and started again grades only what is missing.

What never reaches a worker is settled here: a notebook that is missing (zero
points) or that is not valid JSON (zero, for a TA to review). Files over
`max_file_mib` in a submission are left out and reported.
"""

import hashlib
import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import nbformat
from traitlets.config import PyFileConfigLoader

from . import journal, merge, sandbox, sandbox_kernel, tamper, worker

log = logging.getLogger(__name__)

MiB = 1024 * 1024


class BatchError(Exception):
    """The batch cannot start; the message says why and what to do."""


@dataclass
class Options:
    workers: int = 1
    dask: str = ""  # "", "local" or a scheduler address
    sandboxed: bool = True
    db_url: str = ""  # default: nbgrader's, from the course's nbgrader_config.py
    students: tuple = ()  # default: every student with a submission
    notebooks: tuple = ()  # file names; default: every notebook of the assignment
    limits: sandbox.Limits = field(default_factory=sandbox.Limits)
    max_file_mib: int = 50  # larger files of a submission are left out
    prepare_data: bool = True  # build the datasets the notebooks read, first


@dataclass
class Outcome:
    """What happened to one notebook of one student in this batch."""

    student: str
    notebook: str
    status: str  # graded, killed, timeout, unreadable, failed, missing, skipped
    seconds: float = 0.0
    problems: list = field(default_factory=list)


@dataclass
class Course:
    """The paths and nbgrader settings a batch needs."""

    root: Path
    assignment: str
    db_url: str
    course_id: str
    config_text: str

    @classmethod
    def load(cls, root, assignment, db_url=""):
        root = Path(root).resolve()
        config_path = root / "nbgrader_config.py"
        if not config_path.exists():
            raise BatchError(
                f"{root} has no nbgrader_config.py; is it the course root?"
            )
        config = PyFileConfigLoader(config_path.name, path=str(root)).load_config()
        from nbgrader.coursedir import CourseDirectory

        coursedir = CourseDirectory(config=config)
        coursedir.root = str(root)
        return cls(
            root,
            assignment,
            db_url or coursedir.db_url,
            coursedir.course_id,
            config_path.read_text(),
        )

    def submitted(self, student):
        return self.root / "submitted" / student / self.assignment

    def autograded(self, student):
        return self.root / "autograded" / student / self.assignment

    def students(self):
        return sorted(
            p.parent.name
            for p in (self.root / "submitted").glob(f"*/{self.assignment}")
            if p.is_dir()
        )


# ---------------------------------------------------------------------------
# Reading the submissions


def fingerprint(folder):
    """A digest of a submission folder's file names, sizes and modification times:
    it changes when the student submits again."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*")):
        if path.is_file():
            stat = path.stat()
            line = f"{path.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}\n"
            digest.update(line.encode())
    return digest.hexdigest()[:16]


def _timestamp(folder):
    from nbgrader.utils import parse_utc

    path = Path(folder) / "timestamp.txt"
    try:
        return parse_utc(path.read_text().strip()) if path.exists() else None
    except ValueError:
        return None


def _job_files(course, student, notebook, limit):
    """The scratch course's files for one notebook: the notebook, the student's
    other files up to `limit` bytes, the student's notebooks of other assignments
    (a notebook may read an earlier one) and the assignment's files from source/."""
    files = {}
    submitted = course.submitted(student)
    prefix = f"submitted/{student}/{course.assignment}"
    for path in sorted(submitted.rglob("*")):
        other_notebook = path.suffix == ".ipynb" and path.name != notebook
        if path.is_file() and not other_notebook and path.stat().st_size <= limit:
            files[f"{prefix}/{path.relative_to(submitted)}"] = path.read_bytes()
    for path in sorted((course.root / "submitted" / student).glob("*/*.ipynb")):
        other = path.parent.name
        if other != course.assignment and path.stat().st_size <= limit:
            files[f"autograded/{student}/{other}/{path.name}"] = path.read_bytes()
    source = course.root / "source" / course.assignment
    for path in sorted(source.rglob("*")):
        wanted = path.suffix != ".ipynb" and "__pycache__" not in path.parts
        if path.is_file() and wanted:
            files[f"source/{course.assignment}/{path.relative_to(source)}"] = (
                path.read_bytes()
            )
    return files


def _released(course, notebook):
    path = course.root / "release" / course.assignment / notebook
    return nbformat.read(path, 4) if path.exists() else None


# ---------------------------------------------------------------------------
# Planning


@dataclass
class Task:
    """A notebook to grade; its Job, with the files as bytes, is made when a worker
    is free, so a large class never sits in memory at once."""

    key: tuple  # (assignment, student, notebook)
    fingerprint: str
    flags: list  # tampering flags and files left out


@dataclass
class Settled:
    """A notebook decided without grading: missing or unreadable."""

    key: tuple
    status: str
    reason: str
    timestamp: object
    fingerprint: str


@dataclass
class Plan:
    tasks: list = field(default_factory=list)
    settled: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # keys graded by an earlier run


def plan(course, gb, options, notebooks):
    """Split the class into notebooks to grade, notebooks settled here, and
    notebooks an earlier run graded already (same submission, still in `gb`)."""
    done = journal.entries(course.root, course.assignment)
    result = Plan()
    for student in options.students or course.students():
        folder = course.submitted(student)
        digest = fingerprint(folder)
        for notebook in notebooks:
            key = (course.assignment, student, notebook)
            entry = done.get((student, notebook))
            if entry and entry["fingerprint"] == digest and merge.has_notebook(gb, key):
                result.skipped.append(key)
                continue
            reason = _unreadable(folder / notebook)
            if reason:
                status = "missing" if "missing" in reason else "unreadable"
                timestamp = _timestamp(folder)
                result.settled.append(Settled(key, status, reason, timestamp, digest))
                continue
            flags = _flags(course, folder / notebook)
            flags += _left_out(folder, options.max_file_mib * MiB)
            result.tasks.append(Task(key, digest, flags))
    return result


def _unreadable(path):
    """Why the file at `path` cannot be graded, or "" if it can."""
    if not path.exists():
        return "notebook missing from the submission"
    try:
        nbformat.read(path, 4)
    except Exception as error:  # any way a file can fail to be a notebook
        return f"not a readable notebook ({type(error).__name__})"
    return ""


def _flags(course, path):
    released = _released(course, path.name)
    if released is None:
        return []
    return tamper.review(nbformat.read(path, 4), released)


def _left_out(folder, limit):
    return [
        f"file {p.relative_to(folder)} left out ({p.stat().st_size / MiB:.0f} MiB)"
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.stat().st_size > limit
    ]


def jobs(course, tasks, options, gradebook_bytes):
    """The Job of each task, made one at a time."""
    data_dir = _data_dir() if options.sandboxed else ""
    for task in tasks:
        _, student, notebook = task.key
        files = _job_files(course, student, notebook, options.max_file_mib * MiB)
        yield worker.Job(
            course.assignment,
            student,
            notebook,
            task.fingerprint,
            files,
            gradebook_bytes,
            course.config_text,
            options.limits.as_dict(),
            options.sandboxed,
            data_dir,
        )


def _data_dir():
    """The generated datasets' folder, if there is one, for kernels to read."""
    from course_lib.cache import data_home

    home = data_home()
    return str(home) if home.exists() else ""


def prepare_datasets():
    """Build the datasets the notebooks read, so that kernels, which cannot write
    them, find them complete; and let the sandbox's user read them (a dataset is
    built in a private temporary folder, readable by its builder alone)."""
    from course_lib import captions_synth, digits, shape_images
    from course_lib.cache import data_home

    captions_synth.dataset_dir()
    digits.load_embedded("train")
    shape_images.load_shape_images("val")  # the examples; training alone reads "train"
    _readable_by_all(data_home())


def _readable_by_all(folder):
    for path in [Path(folder), *Path(folder).rglob("*")]:
        mode = path.stat().st_mode
        extra = 0o555 if path.is_dir() else 0o444
        if mode & extra != extra:
            path.chmod(mode | extra)


# ---------------------------------------------------------------------------
# Running the jobs


def run_local(jobs, workers):
    """Grade `jobs` (an iterator) in `workers` threads, a few jobs ahead of them;
    yield each Result as it is ready."""
    jobs, ahead = iter(jobs), 2 * max(1, workers)
    finished = False
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        pending = {pool.submit(worker.grade, job) for job in islice(jobs, ahead)}
        try:
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for job in islice(jobs, len(done)):
                    pending.add(pool.submit(worker.grade, job))
                for future in done:
                    yield future.result()
            finished = True
        finally:
            for future in pending:
                future.cancel()
            if not finished:
                worker.stop_all()


def run_dask(jobs, address, workers):
    """Grade `jobs` (an iterator) on Dask: a local cluster of `workers` processes
    (one thread each) when `address` is "local", else the scheduler at `address`.
    Its workers need this kit and bubblewrap, not the course's files."""
    try:
        from distributed import Client, LocalCluster
        from distributed import as_completed as completed
    except ImportError as error:
        raise BatchError(
            "Dask is not installed: pip install 'dask[distributed]' (it is in the "
            "kit's `course` extra)"
        ) from error
    cluster = None
    if address == "local":
        cluster = LocalCluster(
            n_workers=max(1, workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=0,
        )
    client = Client(cluster if cluster is not None else address)
    try:
        jobs, ahead = iter(jobs), 2 * max(1, workers)
        submit = lambda job: client.submit(worker.grade, job, pure=False)  # noqa: E731
        running = completed([submit(job) for job in islice(jobs, ahead)])
        for future in running:
            for job in islice(jobs, 1):
                running.add(submit(job))
            yield future.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---------------------------------------------------------------------------
# The coordinator: the one writer


def _write_autograded(course, result):
    """Put a graded notebook's files in autograded/<student>/<assignment>/."""
    _, student, _ = result.job_key
    folder = course.autograded(student)
    folder.mkdir(parents=True, exist_ok=True)
    for relative, content in result.files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{target.name}.part")
        staging.write_bytes(content)
        os.replace(staging, target)


def _remove_autograded(course, key):
    _, student, notebook = key
    (course.autograded(student) / notebook).unlink(missing_ok=True)


def _journal(course, gb, key, fingerprint, status, seconds, problems):
    score, max_score = merge.notebook_score(gb, key)
    journal.append(
        course.root,
        course.assignment,
        {
            "student": key[1],
            "notebook": key[2],
            "fingerprint": fingerprint,
            "status": status,
            "seconds": round(seconds, 2),
            "score": score,
            "max_score": max_score,
            "problems": problems,
        },
    )


def merge_result(course, gb, result, flags):
    """Record one finished job: gradebook, autograded/ and journal, in this order."""
    problems = list(flags) + result.problems
    if result.graded:
        merge.record_graded(gb, result, flagged=bool(problems))
        _write_autograded(course, result)
    else:
        merge.record_not_graded(
            gb, result.job_key, "; ".join(result.problems), result.timestamp
        )
        _remove_autograded(course, result.job_key)
    _journal(
        course,
        gb,
        result.job_key,
        result.fingerprint,
        result.status,
        result.seconds,
        problems,
    )
    return Outcome(
        result.job_key[1], result.job_key[2], result.status, result.seconds, problems
    )


def settle(course, gb, settled):
    """Record a notebook decided without grading (missing or unreadable)."""
    key, status, reason = settled.key, settled.status, settled.reason
    review = status != "missing"
    merge.record_not_graded(gb, key, reason, settled.timestamp, review=review)
    _remove_autograded(course, key)
    _journal(course, gb, key, settled.fingerprint, status, 0.0, [reason])
    return Outcome(key[1], key[2], status, 0.0, [reason])


def _notebooks(course, options):
    """The assignment's notebooks to grade, checked against the gradebook."""
    from nbgrader.api import MissingEntry

    try:
        known = merge.notebook_names(course.db_url, course.assignment, course.course_id)
    except MissingEntry:
        raise BatchError(
            f"assignment {course.assignment!r} is not in the gradebook "
            f"({course.db_url}); release it first (course release, or nbgrader "
            "generate_assignment)"
        ) from None
    unknown = sorted(set(options.notebooks) - set(known))
    if unknown:
        raise BatchError(
            f"{', '.join(unknown)} is not a notebook of {course.assignment}; its "
            f"notebooks are {', '.join(known)}"
        )
    return [n for n in known if not options.notebooks or n in options.notebooks]


def run(root, assignment, options=None, progress=print):
    """Grade `assignment` for the class; return one Outcome per notebook."""
    from nbgrader.api import Gradebook

    options = options or Options()
    course = Course.load(root, assignment, options.db_url)
    if options.sandboxed:
        reason = sandbox.unavailable_reason() or sandbox_kernel.startup_problem(
            tuple(map(str, worker.kernel_libraries()))
        )
        if reason:
            raise BatchError(f"cannot grade in a sandbox: {reason}")
        if options.prepare_data:
            prepare_datasets()
    notebooks = _notebooks(course, options)
    template = merge.scratch_gradebook(course.db_url, assignment, course.course_id)
    outcomes = []
    with Gradebook(course.db_url, course.course_id) as gb:
        work = plan(course, gb, options, notebooks)
        outcomes += [Outcome(k[1], k[2], "skipped") for k in work.skipped]
        outcomes += [settle(course, gb, settled) for settled in work.settled]
        progress(
            f"Autograding {assignment}: {len(work.tasks)} notebooks to grade, "
            f"{len(work.skipped)} graded before, {len(work.settled)} settled "
            f"without grading ({_backend_name(options)})"
        )
        flags = {task.key: task.flags for task in work.tasks}
        start = time.monotonic()
        todo = jobs(course, work.tasks, options, template)
        for n, result in enumerate(_results(todo, work.tasks, options), 1):
            outcome = merge_result(course, gb, result, flags[result.job_key])
            outcomes.append(outcome)
            progress(
                f"  [{n}/{len(work.tasks)}] {outcome.student} {outcome.notebook}: "
                f"{outcome.status} in {outcome.seconds:.0f} s"
            )
        seconds = time.monotonic() - start
        log.info("graded %d notebooks in %.0f s", len(work.tasks), seconds)
    return outcomes


def _results(jobs, tasks, options):
    if not tasks:
        return iter(())
    if options.dask:
        return run_dask(jobs, options.dask, options.workers)
    return run_local(jobs, options.workers)


def _backend_name(options):
    where = f"Dask {options.dask}" if options.dask else "threads"
    box = "sandboxed" if options.sandboxed else "NOT sandboxed"
    return f"{options.workers} workers, {where}, {box}"
