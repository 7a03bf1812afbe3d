"""Where generated datasets live, and how they are built once and safely.

The embedded datasets are generated deterministically on first use. Several kernels
may ask for the same dataset at once (a class graded in parallel), so a dataset is
built in a private temporary folder and moved into place in one rename: a reader
sees either nothing or the complete dataset, never a half-written one.
"""

import os
import shutil
import tempfile
from pathlib import Path


def data_home():
    """The folder that holds generated datasets.

    `COURSE_LIB_DATA` chooses it; otherwise `~/.cache/course_lib`, or a folder in the
    system's temporary directory where the home folder cannot be written.
    """
    configured = os.environ.get("COURSE_LIB_DATA")
    if configured:
        return Path(configured).expanduser()
    home = Path.home() / ".cache" / "course_lib"
    try:
        home.mkdir(parents=True, exist_ok=True)
        if os.access(home, os.W_OK):
            return home
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / "course_lib"


def cached_dataset(name, build):
    """Return the folder `data_home() / name`, calling `build(folder)` if it is absent.

    `build` writes the dataset's files into the empty folder it is given. A marker
    file written last tells a complete dataset from an interrupted build.
    """
    target = data_home() / name
    if (target / ".complete").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        build(staging)
        (staging / ".complete").write_text("ok\n")
        try:
            os.rename(staging, target)
        except OSError:
            # Another process finished first, or an incomplete folder is in the way.
            if not (target / ".complete").exists():
                shutil.rmtree(target, ignore_errors=True)
                os.rename(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
