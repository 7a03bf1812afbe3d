# Set-up: run this cell first. It makes the course library importable, and does
# nothing where it already is (beside this notebook's folder in the release,
# installed with pip, or under the autograder). In Colab it installs it: from
# the release folder on your Google Drive if you copied it there, otherwise
# from the course's address below.
import importlib
import importlib.util
import pathlib
import subprocess
import sys

STUDENT_LIB_URL = (
    "{student_lib_url}"
)
DRIVE = pathlib.Path("/content/drive/MyDrive")


def library_on_drive():
    """The release's course_lib folder on Google Drive, if there is one."""
    for depth in range(4):  # MyDrive/course_lib ... MyDrive/a/b/c/course_lib
        pattern = "*/" * depth + "course_lib/course_lib/__init__.py"
        found = sorted(DRIVE.glob(pattern))
        if found:
            return found[0].parent.parent
    return None


def install_in_colab():
    """pip-install the library; Colab already has NumPy, PyTorch and the
    rest, whose versions pip must leave alone (hence --no-deps)."""
    if not DRIVE.exists() and not STUDENT_LIB_URL:
        from google.colab import drive

        drive.mount(str(DRIVE.parent))
    source = library_on_drive() or STUDENT_LIB_URL
    if not source:
        raise FileNotFoundError(
            f"No course_lib folder in {DRIVE}. Copy the release folder "
            "(with course_lib/ in it) to your Google Drive, then run this "
            "cell again."
        )
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    if subprocess.run(pip + [str(source)]).returncode != 0:
        raise RuntimeError(
            f"pip could not install the course library from {source}; "
            "read its message above, then run this cell again."
        )
    importlib.invalidate_caches()


if importlib.util.find_spec("course_lib") is None:
    beside = pathlib.Path.cwd().parent / "course_lib"
    if (beside / "course_lib" / "__init__.py").exists():
        sys.path.insert(0, str(beside))
    elif "google.colab" in sys.modules:
        install_in_colab()
    else:
        raise ModuleNotFoundError(
            "The course library is not installed. Open this notebook from "
            "its assignment folder (beside the folder course_lib/), or "
            "install it: pip install <path of the release>/course_lib"
        )
