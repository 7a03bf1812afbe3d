# Set-up: run this cell first. It makes the course library importable, and does
# nothing where it already is (beside this notebook's folder in the release,
# installed with pip, or under the autograder). In Colab it installs it.
import importlib.util
import pathlib
import subprocess
import sys

STUDENT_LIB_URL = (
    "{student_lib_url}"
)

if importlib.util.find_spec("course_lib") is None:
    beside = pathlib.Path.cwd().parent / "course_lib"
    if (beside / "course_lib" / "__init__.py").exists():
        sys.path.insert(0, str(beside))
    elif "google.colab" in sys.modules:
        pip = [sys.executable, "-m", "pip", "install", "--quiet"]
        subprocess.run(pip + [STUDENT_LIB_URL], check=True)
    else:
        raise ModuleNotFoundError(
            "The course library is not installed. Open this notebook from "
            "its assignment folder (beside the folder course_lib/), or "
            "install it: pip install <path of the release>/course_lib"
        )
