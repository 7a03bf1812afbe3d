"""Build the course: source notebooks and the student library from course_lib.

templates (notebooks/<a>/*.py) + course_lib  ->  source/<a>/*.ipynb
course_lib                                   ->  release/course_lib/ (stubs)
source/<a>/                                  ->  release/<a>/ (nbgrader)
"""

import logging
import os
import pkgutil
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

import course_lib

from . import exercises, notebooks, template

log = logging.getLogger(__name__)

# Parts of the library that never reach students.
PRIVATE_PACKAGES = ("grading", "tooling")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")


class BuildError(Exception):
    """The course cannot be built as it stands; the message says where and why."""


@dataclass
class Course:
    root: Path

    @property
    def config(self):
        path = self.root / "course.toml"
        if not path.exists():
            raise BuildError(f"{path} is missing: it lists the course's assignments")
        return tomllib.loads(path.read_text())

    @property
    def assignments(self):
        return self.config["course"]["assignments"]

    def templates(self, assignment):
        folder = self.root / "notebooks" / assignment
        found = sorted(folder.glob("*.py"))
        if not found:
            raise BuildError(f"assignment {assignment!r} has no templates in {folder}")
        return found

    def source_notebook(self, assignment, template_path):
        return self.root / "source" / assignment / f"{template_path.stem}.ipynb"


def library_modules():
    """Every module of course_lib that students receive."""
    names = []
    for info in pkgutil.walk_packages(course_lib.__path__, "course_lib."):
        if info.name.split(".")[1] not in PRIVATE_PACKAGES:
            names.append(info.name)
    return sorted(names)


def all_exercises():
    return [ex for module in library_modules() for ex in exercises.exercises_in(module)]


def exercise_notebooks(course):
    """Map each exercise reference to the notebook (file name) that holds its cell."""
    owners = {}
    for assignment in course.assignments:
        for path in course.templates(assignment):
            for cell in template.parse(path.read_text(), path):
                if cell.kind != "solution":
                    continue
                if cell.reference in owners:
                    raise BuildError(
                        f"{cell.reference} has cells in both {owners[cell.reference]} "
                        f"and {path.stem}.ipynb; an exercise belongs to one notebook"
                    )
                owners[cell.reference] = f"{path.stem}.ipynb"
    return owners


def build_sources(course):
    """Render every template into its source notebook; return the changed paths."""
    includes = course.root / "notebooks" / "_include"
    url = course.config["student_lib"]["url"]
    changed = []
    for assignment in course.assignments:
        for path in course.templates(assignment):
            nb = notebooks.render(path, includes, {"student_lib_url": url})
            target = course.source_notebook(assignment, path)
            if notebooks.write(nb, target):
                changed.append(target)
    return changed


def _stubbed(path, regions, owners):
    """The text of a library file with every exercise region replaced by a stub."""
    lines = path.read_text().splitlines()
    for ex in sorted(regions, key=lambda e: e.begin_line, reverse=True):
        notebook = owners.get(ex.reference, "its notebook")
        lines[ex.begin_line - 1 : ex.end_line] = exercises.stub_lines(ex, notebook)
    return "\n".join(lines) + "\n"


STUDENT_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "course-lib-student"
version = "{version}"
description = "Student build of the course library: exercises are left for you to write"
requires-python = ">=3.10"
dependencies = {dependencies}

[tool.setuptools.packages.find]
include = ["course_lib*"]

[tool.setuptools.package-data]
course_lib = ["data/**/*"]
"""


def build_student_lib(course, target=None):
    """Write the student build of course_lib (a pip-installable folder)."""
    target = Path(target or course.root / "release" / "course_lib")
    owners = exercise_notebooks(course)
    by_file = {}
    for ex in all_exercises():
        by_file.setdefault(ex.path, []).append(ex)

    package = Path(course_lib.__file__).parent
    staging = target.with_name(target.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(
        package,
        staging / "course_lib",
        ignore=lambda d, names: (
            IGNORED(d, names)
            | ({*PRIVATE_PACKAGES} & set(names) if Path(d) == package else set())
        ),
    )
    for path, regions in by_file.items():
        relative = path.relative_to(package)
        (staging / "course_lib" / relative).write_text(_stubbed(path, regions, owners))

    pyproject = tomllib.loads((course.root / "pyproject.toml").read_text())["project"]
    dependencies = (
        "[\n" + "".join(f'    "{d}",\n' for d in pyproject["dependencies"]) + "]"
    )
    (staging / "pyproject.toml").write_text(
        STUDENT_PYPROJECT.format(
            version=pyproject["version"], dependencies=dependencies
        )
    )
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def nbgrader(course, *args):
    """Run an nbgrader command at the course root; raise BuildError if it fails.

    nbgrader runs some of its own tools (alembic) by name, so the environment's
    scripts folder goes first on PATH even when the environment is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join(
        [str(Path(sys.executable).parent), env.get("PATH", "")]
    )
    command = [sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"]
    result = subprocess.run(
        command, cwd=course.root, capture_output=True, text=True, env=env
    )
    if result.returncode != 0:
        raise BuildError(
            f"nbgrader {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        )
    return result


def generate_release(course, assignment):
    """Run nbgrader generate_assignment for one assignment at the course root."""
    nbgrader(course, "generate_assignment", assignment, "--force")


def released_copy(root, target, assignments=None):
    """A copy of the course at `root` in the new folder `target`, released with a
    gradebook of its own: every assignment, or those named in `assignments`.
    Returns its Course. Graders and benchmarks work in such copies, never in the
    course itself."""
    target.mkdir(parents=True)
    for name in ("course.toml", "nbgrader_config.py", "pyproject.toml"):
        shutil.copy(root / name, target / name)
    for folder in ("notebooks", "source", "release"):
        shutil.copytree(root / folder, target / folder, ignore=IGNORED)
    course = Course(target)
    for assignment in assignments or course.assignments:
        generate_release(course, assignment)  # fills gradebook.db
    return course


def check_exercises(course):
    """Every exercise of the library has exactly one notebook cell, and vice versa."""
    owners = exercise_notebooks(course)
    known = {ex.reference for ex in all_exercises()}
    unwritten = tuple(course.config["course"].get("notebooks_to_come", []))
    problems = [
        f"{ref} has no [solution] cell in any template"
        for ref in sorted(known - set(owners))
        if not ref.startswith(unwritten)
    ]
    problems += [
        f"{owners[ref]} has a [solution] cell for {ref}, which is not an exercise of the library"
        for ref in sorted(set(owners) - known)
    ]
    return problems


def _tree(folder):
    """Relative path -> bytes of every file below `folder` (caches left out)."""
    folder = Path(folder)
    if not folder.exists():
        return {}
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
        and "__pycache__" not in p.parts
        and ".ipynb_checkpoints" not in p.parts
    }


def stale_files(course):
    """Generated files under source/ and release/ that a fresh build would change.

    The build runs in a scratch copy of the course, so nothing here is touched.
    """
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "course"
        copy.mkdir()
        for name in ("course.toml", "nbgrader_config.py", "pyproject.toml"):
            shutil.copy(course.root / name, copy / name)
        shutil.copytree(course.root / "notebooks", copy / "notebooks", ignore=IGNORED)
        fresh = Course(copy)
        build_sources(fresh)
        build_student_lib(fresh)
        for assignment in fresh.assignments:
            generate_release(fresh, assignment)
        stale = []
        for folder in ("source", "release"):
            want, have = _tree(copy / folder), _tree(course.root / folder)
            for name in sorted(set(want) | set(have)):
                if want.get(name) != have.get(name):
                    stale.append(f"{folder}/{name}")
        return stale
