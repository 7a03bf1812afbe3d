"""Gather students' downloaded notebooks into nbgrader's submitted/ folder.

A TA downloads submissions from wherever students handed them in: a folder per
student, a zip per student, or one zip of everything as a learning-management
system exports it. `collect` reads any mix of these and writes

    submitted/<student>/<assignment>/<notebook>.ipynb
    submitted/<student>/<assignment>/timestamp.txt

which is the layout `nbgrader autograde` reads. How a student is recognized:

- a folder or zip named after the student (`alice/`, `alice.zip`), with the
  notebooks anywhere inside it (`alice/assignment3/RNN_Captioning.ipynb`);
- a notebook named as Canvas names the files of its bulk download,
  `<login>[_LATE]_<user id>_<submission id>_<file name>`, student `<login>`.

Only the assignment's own notebooks (the names in release/<assignment>/) are
taken; anything else is reported and left out. The submission's time is the
newest modification time of its notebooks as the download stores it; work
already in submitted/ that is newer, or whose time is unknown, is never replaced
unless asked (`force`).
"""

import io
import logging
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

import nbformat

log = logging.getLogger(__name__)

TIMESTAMP_FILE = "timestamp.txt"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"  # how nbgrader writes and reads it
STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*$")
CANVAS_NAME = re.compile(r"^(?P<student>[^_]+)(?:_LATE)?_\d+_\d+_(?P<file>.+)$")
CANVAS_COPY = re.compile(r"-\d+(?=\.ipynb$)")  # "RNN_Captioning-1.ipynb"
IGNORED = ("__MACOSX", ".ipynb_checkpoints")


class CollectError(Exception):
    """Nothing can be collected as asked; the message says why and what to do."""


@dataclass
class Notebook:
    """One notebook of a download: its file name in the assignment, its bytes and
    when it was last modified."""

    name: str
    content: bytes
    modified: datetime
    origin: str  # where it was found, for messages


@dataclass
class Submission:
    student: str
    notebooks: dict = field(default_factory=dict)  # name -> Notebook

    @property
    def timestamp(self):
        return max(nb.modified for nb in self.notebooks.values())

    def add(self, notebook):
        """Keep the newer of two copies of one notebook."""
        kept = self.notebooks.get(notebook.name)
        if kept is None or notebook.modified > kept.modified:
            self.notebooks[notebook.name] = notebook


@dataclass
class Report:
    """What `collect` did: students collected, refused, and the problems seen."""

    collected: list = field(default_factory=list)  # student ids
    refused: list = field(default_factory=list)  # (student id, reason)
    problems: list = field(default_factory=list)  # messages

    @property
    def ok(self):
        return not self.refused and not self.problems


def _utc(timestamp):
    return datetime.fromtimestamp(timestamp, tz=timezone.utc)


def _entries_of_folder(folder):
    """(relative path, bytes, modified) of every file under `folder`."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not set(path.parts) & set(IGNORED):
            yield (
                PurePosixPath(path.relative_to(folder).as_posix()),
                path.read_bytes(),
                _utc(path.stat().st_mtime),
            )


def _entries_of_zip(path):
    """(relative path, bytes, modified) of every file in a zip archive; zip
    archives store local times without a zone, taken here as UTC."""
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise CollectError(f"{path} is not a readable zip file") from None
    with archive:
        for info in archive.infolist():
            inner = PurePosixPath(info.filename)
            if info.is_dir() or set(inner.parts) & set(IGNORED):
                continue
            modified = datetime(*info.date_time, tzinfo=timezone.utc)
            yield inner, archive.read(info), modified


def _entries(path):
    if path.is_dir():
        return _entries_of_folder(path)
    if zipfile.is_zipfile(path):
        return _entries_of_zip(path)
    raise CollectError(f"{path} is neither a folder nor a zip file")


def _student_of(inner):
    """The student a file of a download belongs to, and its notebook name: from a
    Canvas file name, else from the first folder (or zip) of its path."""
    match = CANVAS_NAME.match(inner.name)
    if match and len(inner.parts) == 1:
        return match["student"], CANVAS_COPY.sub("", match["file"])
    if len(inner.parts) > 1:
        return inner.parts[0], inner.name
    return None, inner.name


def read_downloads(paths, notebook_names):
    """Submissions found in `paths` (folders and zip files), by student id.

    Returns (submissions, problems): problems are messages about files that were
    left out (unknown notebooks, files that belong to no student, unreadable
    notebooks, student names nbgrader cannot use).
    """
    submissions, problems = {}, []

    def take(student, name, content, modified, origin):
        student = re.sub(r"\.zip$", "", student)
        if not STUDENT_ID.match(student):
            problems.append(
                f"{origin}: {student!r} cannot be an nbgrader student id (letters, "
                f"digits and _.@+- only); rename the folder or zip"
            )
            return
        if name not in notebook_names:
            if name.endswith(".ipynb"):
                problems.append(
                    f"{origin}: {name} is not a notebook of the assignment "
                    f"({', '.join(sorted(notebook_names))}); left out"
                )
            return
        try:
            nbformat.reads(content.decode("utf-8"), as_version=4)
        except Exception as error:  # nbformat raises many kinds of errors
            problems.append(f"{origin}: not a readable notebook ({error}); left out")
            return
        notebook = Notebook(name, content, modified, origin)
        submissions.setdefault(student, Submission(student)).add(notebook)

    for path in map(Path, paths):
        if not path.exists():
            raise CollectError(f"{path} does not exist")
        for inner, content, modified in _entries(path):
            origin = f"{path}/{inner}" if path.is_dir() else f"{path}:{inner}"
            if inner.suffix == ".zip":  # a student's own zip inside a download
                nested = path / inner if path.is_dir() else io.BytesIO(content)
                for deep, data, when in _entries_of_zip(nested):
                    take(inner.stem, deep.name, data, when, f"{origin}:{deep}")
                continue
            student, name = _student_of(inner)
            if path.is_file() and student is None and len(inner.parts) == 1:
                student = path.stem  # alice.zip holding the notebooks at its top
            if student is None:
                if inner.suffix == ".ipynb":
                    problems.append(
                        f"{origin}: belongs to no student; put it in a folder or "
                        f"zip named after the student"
                    )
                continue
            take(student, name, content, modified, origin)
    return submissions, problems


def read_timestamp(folder):
    """The time in `folder`/timestamp.txt (UTC), or None if there is none to read."""
    from nbgrader.utils import parse_utc

    path = folder / TIMESTAMP_FILE
    if not path.exists():
        return None
    try:
        return parse_utc(path.read_text().strip()).replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


def write_submission(submission, folder):
    """Replace `folder` with the submission's notebooks and its timestamp.txt."""
    staging = folder.with_name(folder.name + ".collecting")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for notebook in submission.notebooks.values():
        (staging / notebook.name).write_bytes(notebook.content)
    stamp = submission.timestamp.strftime(TIMESTAMP_FORMAT)
    (staging / TIMESTAMP_FILE).write_text(stamp + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)


def refusal(submission, folder, force):
    """Why the submission must not replace what `folder` holds, or None."""
    if force or not folder.exists():
        return None
    existing = read_timestamp(folder)
    if existing is None:
        return (
            f"{folder} exists without a readable {TIMESTAMP_FILE}; move it away or "
            f"pass --force to replace it"
        )
    if existing > submission.timestamp:
        return (
            f"{folder} holds newer work ({existing:%Y-%m-%d %H:%M} UTC) than the "
            f"download ({submission.timestamp:%Y-%m-%d %H:%M} UTC); pass --force "
            f"to replace it anyway"
        )
    return None


def collect(root, assignment, paths, force=False, dry_run=False, progress=None):
    """Collect the submissions in `paths` for `assignment` into root/submitted/.

    Inputs:
    - root: the course folder; release/<assignment>/ names the notebooks to take.
    - assignment: e.g. "assignment3".
    - paths: folders and zip files of downloads.
    - force: replace work in submitted/ even when it is newer.
    - dry_run: decide everything, write nothing.
    - progress: a function wrapping an iterable in a progress bar, or None.

    Returns a Report. Raises CollectError when nothing can be collected.
    """
    root = Path(root)
    release = root / "release" / assignment
    notebook_names = {p.name for p in release.glob("*.ipynb")}
    if not notebook_names:
        raise CollectError(
            f"{release} has no notebooks: is {assignment!r} the assignment's name? "
            f"Run `course release` first if it is"
        )
    submissions, problems = read_downloads(paths, notebook_names)
    if not submissions:
        raise CollectError(
            "found no submission in " + ", ".join(map(str, paths)) + ": each "
            "student's notebooks go in a folder or zip named after the student"
        )
    report = Report(problems=problems)
    students = sorted(submissions)
    for student in progress(students) if progress else students:
        submission = submissions[student]
        folder = root / "submitted" / student / assignment
        reason = refusal(submission, folder, force)
        if reason:
            log.warning("%s: not collected: %s", student, reason)
            report.refused.append((student, reason))
            continue
        missing = sorted(notebook_names - set(submission.notebooks))
        if missing:
            log.warning("%s: no %s in the download", student, ", ".join(missing))
        if not dry_run:
            write_submission(submission, folder)
        log.info("%s: %d notebooks", student, len(submission.notebooks))
        report.collected.append(student)
    return report
