"""Grade one notebook of one submission in a scratch course of its own.

A `Job` carries everything needed as plain data (files as bytes, the scratch
gradebook as bytes), so it can be graded in this process, in a thread, or on a Dask
worker on another machine. `grade` writes the scratch course into a temporary
folder:

    nbgrader_config.py     the course's settings, plus this job's
    gradebook.db           the assignment alone, no student
    source/<a>/            the assignment's files that are not notebooks
    submitted/<s>/<a>/     the one notebook to grade, and the student's other files
    autograded/<s>/<b>/    the student's notebooks of other assignments (a notebook
                           may read an earlier one, as the LSTM notebook does)

runs `nbgrader autograde` there under a wall-clock limit, the kernel in the sandbox,
and returns a `Result`: the grades read from the scratch gradebook and the files of
autograded/<s>/<a>. Nothing outside the temporary folder is written, so jobs never
share a gradebook and any number can run at once.
"""

import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import course_lib

from . import capped_execute, sandbox, sandbox_kernel

log = logging.getLogger(__name__)

# nbgrader's autograde preprocessors, with Execute replaced by CappedExecute.
PREPROCESSORS = [
    "course_lib.tooling.capped_execute.CappedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Why nbgrader gave up on a notebook, from the words of its log, most telling first.
FAILURES = (
    (
        "killed",
        re.compile(
            r"DeadKernelError|Kernel died|kernel.*(died|restart)", re.IGNORECASE
        ),
    ),
    (
        "timeout",
        re.compile(r"CellTimeoutError|Timeout waiting|TimeoutError|unresponsive"),
    ),
    (
        "unreadable",
        re.compile(r"NotJSONError|does not appear to be JSON|NBFormatError"),
    ),
)


# nbgrader processes running in this process's threads, for `stop_all`.
RUNNING = set()


def stop_all():
    """Kill every nbgrader run of this process (and so its sandboxed kernel): a
    batch that is interrupted does not wait for the notebooks being graded."""
    for process in list(RUNNING):
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@dataclass
class Job:
    """One notebook of one student's submission, with all it needs to be graded."""

    assignment: str
    student: str
    notebook: str  # file name, e.g. "RNN_Captioning.ipynb"
    fingerprint: str  # of the submitted files: a change means grading again
    files: dict  # path in the scratch course -> bytes
    gradebook: bytes  # SQLite file holding the assignment alone
    config: str  # the course's nbgrader_config.py
    limits: dict = field(default_factory=lambda: sandbox.Limits().as_dict())
    sandboxed: bool = True
    data_dir: str = ""  # generated datasets, bound read-only into the sandbox

    @property
    def key(self):
        return (self.assignment, self.student, self.notebook)


@dataclass
class Result:
    """What grading a job produced. status: graded, killed, timeout, unreadable or
    failed; cells: grade cell -> (auto_score, max_score, needs_manual_grade)."""

    job_key: tuple
    fingerprint: str
    status: str
    seconds: float
    cells: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)  # solution cell -> auto comment
    late_penalty: float = 0.0
    timestamp: object = None
    files: dict = field(default_factory=dict)  # autograded/<s>/<a>/ path -> bytes
    problems: list = field(default_factory=list)
    log: str = ""

    @property
    def graded(self):
        return self.status == "graded"


def grade(job):
    """Grade `job` in a scratch course; return its Result. Never raises for what a
    submission does: a failure is a status and a message in the Result."""
    start = time.monotonic()
    limits = sandbox.Limits.from_dict(job.limits)
    scratch = Path(tempfile.mkdtemp(prefix="course-grade-"))
    try:
        _write_course(scratch, job)
        with sandbox.UidSlot() as slot:
            env = _environment(scratch, job, limits, slot.uid)
            status, output = _autograde(scratch, job, limits, env)
            if slot.uid is not None:
                sandbox.kill_user(slot.uid)
        result = _collect(scratch, job, status, output)
    except Exception as error:  # a bug of the grader, reported with the job
        log.exception("grading %s failed", job.key)
        result = Result(job.key, job.fingerprint, "failed", 0.0, log=repr(error))
        result.problems.append(f"the grader failed: {error}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result.seconds = time.monotonic() - start
    return result


def _write_course(scratch, job):
    for relative, content in job.files.items():
        path = scratch / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    (scratch / "source" / job.assignment).mkdir(parents=True, exist_ok=True)
    (scratch / "gradebook.db").write_bytes(job.gradebook)


def _environment(scratch, job, limits, uid):
    """The nbgrader process's environment; writes the job's nbgrader settings."""
    lines = [
        job.config,
        "\n# Added for this job by course_lib/tooling/worker.py",
        f"c.CourseDirectory.root = {str(scratch)!r}",
        f"c.CourseDirectory.db_url = {'sqlite:///' + str(scratch / 'gradebook.db')!r}",
        f"c.Autograde.autograde_preprocessors = {PREPROCESSORS!r}",
        f"c.CappedExecute.max_output_bytes = {limits.output_kib * 1024}",
    ]
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env["PATH"]])
    env["JUPYTER_RUNTIME_DIR"] = str(scratch / "jupyter-runtime")
    env["JUPYTER_CONFIG_DIR"] = str(scratch / "jupyter-config")
    env["JUPYTER_PATH"] = str(scratch / "jupyter")
    env.pop("JUPYTER_DATA_DIR", None)
    if job.sandboxed:
        lines.append(_sandboxed_kernel(scratch, job, limits, uid))
    (scratch / "nbgrader_config.py").write_text("\n".join(lines) + "\n")
    (scratch / "autograded" / job.student).mkdir(parents=True, exist_ok=True)
    return env


def kernel_libraries():
    """The folders a sandboxed kernel reads its code from: the system, Python and
    its packages, the course library."""
    return [*sandbox.system_folders(), Path(course_lib.__file__).parent]


def _sandboxed_kernel(scratch, job, limits, uid):
    """Install the sandboxed `python3` kernelspec in the scratch course and return
    the nbgrader settings that reach it. The kernel reads the system, Python, the
    course library, the datasets and the student's own autograded folder, but not
    the notebook it runs: its copy there holds the restored hidden tests."""
    ipc_dir = Path(tempfile.mkdtemp(prefix="ck", dir="/tmp"))  # short socket paths
    if uid is not None:
        os.chown(ipc_dir, uid, uid)
    (scratch / "ipc").symlink_to(ipc_dir)
    readable = [*kernel_libraries(), scratch / "autograded" / job.student]
    kernel_env = {}
    if job.data_dir:
        readable.append(job.data_dir)
        kernel_env["COURSE_LIB_DATA"] = job.data_dir
    settings = sandbox_kernel.write_settings(
        scratch / "sandbox.json",
        readable=readable,
        writable=[],
        hidden=[scratch / "autograded" / job.student / job.assignment / job.notebook],
        ipc_dir=ipc_dir,
        uid=uid,
        limits=limits,
        env=kernel_env,
    )
    sandbox_kernel.install_kernelspec(scratch / "jupyter", settings)
    return sandbox_kernel.kernel_config(ipc_dir)


def _autograde(scratch, job, limits, env):
    """Run nbgrader autograde; return (status, its output). The status is "done"
    unless the wall-clock limit ran out, in which case every process is killed."""
    command = [sys.executable, "-m", "nbgrader", "autograde", job.assignment]
    command += ["--student", job.student, "--force"]
    process = subprocess.Popen(
        command,
        cwd=scratch,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    RUNNING.add(process)
    try:
        output, _ = process.communicate(timeout=limits.wall_seconds)
        status = "done"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        status = "timeout"
    finally:
        RUNNING.discard(process)
        ipc = scratch / "ipc"
        if ipc.is_symlink():
            shutil.rmtree(os.readlink(ipc), ignore_errors=True)
    return status, output.decode(errors="replace")


def _collect(scratch, job, status, output):
    """The Result of a finished nbgrader run, read from the scratch course."""
    from nbgrader.api import Gradebook, MissingEntry

    result = Result(job.key, job.fingerprint, "failed", 0.0, log=output[-4000:])
    if status == "timeout":
        result.status = "timeout"
        result.problems.append("still running at the wall-clock limit; killed")
        return result
    stem = Path(job.notebook).stem
    folder = scratch / "autograded" / job.student / job.assignment
    with Gradebook(f"sqlite:///{scratch / 'gradebook.db'}") as gb:
        try:
            nb = gb.find_submission_notebook(stem, job.assignment, job.student)
        except MissingEntry:
            nb = None
        graded = nb is not None and (folder / job.notebook).exists()
        if graded:
            result.cells = {
                g.name: (g.auto_score, g.max_score, bool(g.needs_manual_grade))
                for g in nb.grades
            }
            result.comments = {c.name: c.auto_comment for c in nb.comments}
            result.late_penalty = float(nb.late_submission_penalty or 0.0)
            result.timestamp = nb.assignment.timestamp
    if not graded:
        result.status = _failure(output)
        result.problems.append(_failure_message(result.status, output))
        return result
    result.status = "graded"
    result.files = {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
    if capped_execute.MARK.encode() in result.files.get(job.notebook, b""):
        result.problems.append("output truncated: a cell printed too much")
    return result


def _failure(output):
    for status, pattern in FAILURES:
        if pattern.search(output):
            return status
    return "failed"


def _failure_message(status, output):
    """One line for the TA: what happened to the notebook's kernel or file."""
    return {
        "killed": "the kernel died (a resource limit, os._exit or a crash); not graded",
        "timeout": "a cell ran past the time limit and ignored the interrupt; "
        "not graded",
        "unreadable": "nbgrader could not read the notebook; not graded",
    }.get(
        status,
        "nbgrader could not grade the notebook; see the log: " + _last_error(output),
    )


def _last_error(output):
    lines = [line for line in output.splitlines() if "error" in line.lower()]
    return lines[-1].strip()[:200] if lines else "no error message"
