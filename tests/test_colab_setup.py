"""The notebooks' first cell in a simulated Colab, and outside Colab.

The cell (notebooks/_include/setup.py, rendered with the course's address) runs in
a fresh namespace with the course library hidden, `google.colab` faked in
sys.modules, a Google Drive made in a temporary folder, and pip intercepted:
what it installs, from where, and what it says when it cannot.
"""

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

import pytest

SETUP = Path(__file__).parents[1] / "notebooks" / "_include" / "setup.py"
URL = "git+https://example.org/course.git#subdirectory=release/course_lib"


class Pip:
    """Stands in for subprocess.run: records each command, answers `returncode`."""

    def __init__(self, returncode=0):
        self.calls = []
        self.returncode = returncode

    def __call__(self, command, *args, **kwargs):
        self.calls.append(list(command))
        return subprocess.CompletedProcess(command, self.returncode)


@pytest.fixture
def pip(monkeypatch):
    fake = Pip()
    monkeypatch.setattr(subprocess, "run", fake)
    return fake


@pytest.fixture
def no_library(monkeypatch):
    """course_lib is not importable, as on a fresh Colab machine."""
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "course_lib" else real(name, *a),
    )


@pytest.fixture
def colab(monkeypatch):
    """Fake google.colab modules; returns the list of folders drive.mount got."""
    mounted = []
    google = types.ModuleType("google")
    colab = types.ModuleType("google.colab")
    drive = types.ModuleType("google.colab.drive")
    drive.mount = mounted.append
    colab.drive = drive
    google.colab = colab
    for name, module in [
        ("google", google),
        ("google.colab", colab),
        ("google.colab.drive", drive),
    ]:
        monkeypatch.setitem(sys.modules, name, module)
    return mounted


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Colab's working folder: nothing beside it."""
    folder = tmp_path / "content"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def run_cell(drive, url=URL):
    """Exec the set-up cell with its Drive at `drive`; return its namespace."""
    source = SETUP.read_text().replace("{student_lib_url}", url)
    source = source.replace('"/content/drive/MyDrive"', repr(str(drive)))
    assert repr(str(drive)) in source, "the cell no longer names Colab's Drive"
    namespace = {"__name__": "__main__"}
    exec(compile(source, str(SETUP), "exec"), namespace)
    return namespace


def release_on(drive, *folders):
    """A copy of the release's course_lib under `drive`/folders; returns it."""
    library = drive.joinpath(*folders, "course_lib")
    (library / "course_lib").mkdir(parents=True)
    (library / "course_lib" / "__init__.py").write_text("")
    (library / "pyproject.toml").write_text("[project]\nname = 'course-lib-student'\n")
    return library


def test_colab_installs_the_release_found_on_drive(
    tmp_path, workdir, no_library, colab, pip
):
    drive = tmp_path / "MyDrive"
    library = release_on(drive, "CS231n", "assignment3-release")
    run_cell(drive)
    assert len(pip.calls) == 1
    command = pip.calls[0]
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert "--no-deps" in command  # Colab's own PyTorch stays
    assert command[-1] == str(library)
    assert colab == []  # Drive was mounted already: no new permission asked


def test_colab_without_a_copy_on_drive_installs_from_the_course_address(
    tmp_path, workdir, no_library, colab, pip
):
    run_cell(tmp_path / "MyDrive")  # not mounted
    assert [c[-1] for c in pip.calls] == [URL]
    assert colab == []


def test_colab_with_no_address_mounts_drive_and_says_where_to_copy_the_release(
    tmp_path, workdir, no_library, colab, pip
):
    drive = tmp_path / "MyDrive"
    with pytest.raises(FileNotFoundError) as error:
        run_cell(drive, url="")
    assert colab == [str(tmp_path)]  # asked to mount Drive at its parent
    assert "Copy the release folder" in str(error.value)
    assert pip.calls == []


def test_colab_reports_a_failed_install_with_what_to_do(
    tmp_path, workdir, no_library, colab, pip
):
    pip.returncode = 1
    with pytest.raises(RuntimeError) as error:
        run_cell(tmp_path / "MyDrive")
    assert URL in str(error.value) and "run this cell again" in str(error.value)


def test_the_cell_has_no_assert_for_a_student_to_edit():
    assert "assert " not in SETUP.read_text()


def test_outside_colab_the_library_beside_the_notebook_is_put_on_the_path(
    tmp_path, no_library, pip, monkeypatch
):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    release = tmp_path / "release"
    library = release_on(release)
    (release / "assignment3").mkdir()
    monkeypatch.chdir(release / "assignment3")
    monkeypatch.setattr(sys, "path", list(sys.path))
    run_cell(tmp_path / "MyDrive")
    assert sys.path[0] == str(library)
    assert pip.calls == []


def test_outside_colab_a_missing_library_is_an_error_that_says_what_to_do(
    tmp_path, workdir, no_library, pip, monkeypatch
):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    with pytest.raises(ModuleNotFoundError) as error:
        run_cell(tmp_path / "MyDrive")
    assert "pip install" in str(error.value)
    assert pip.calls == []


def test_an_importable_library_is_left_alone_even_in_colab(
    tmp_path, workdir, colab, pip, monkeypatch
):
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = list(sys.path)
    release_on(tmp_path / "MyDrive")
    run_cell(tmp_path / "MyDrive")
    assert pip.calls == [] and colab == [] and sys.path == before
