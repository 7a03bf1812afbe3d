"""Hostile and broken submissions of the tiny assignment (tiny_course.py), each with
the outcome it deserves. tests/test_adversarial.py grades them all in one batch,
side by side, with tight limits, and checks every outcome; docs/grading.md has the
same catalog as a table.

The tiny notebook has three test cells: test_square (2 points), test_cube (1) and
test_secret (1, hidden, calls the course's `rel_error`). A submission is written
from the solved release; `square` and `cube` replace the code of its two exercise
cells, with `{course}` and `{port}` filled in (the course root, and a port on
which the test listens on the host). `status` and `score` are what the batch must
report; every text of `flags` must appear among the notebook's problems.
"""

from dataclasses import dataclass

from tiny_course import NOTEBOOK, solved, submit

SQUARE = "def square(x):\n    return x * x\n"
CUBE = "def cube(x):\n    return x * x * x\n"


@dataclass(frozen=True)
class Case:
    name: str
    attack: str  # what the submission does
    deserves: str  # the outcome it deserves, in words
    status: str
    score: float
    flags: tuple = ()
    square: str = SQUARE
    cube: str = CUBE
    edit: object = None  # a function that changes the notebook's cells
    files: tuple = ()  # (name, size in bytes) of extra files, sparse
    raw: bytes = b""  # the notebook file's bytes instead of a notebook
    no_notebook: bool = False


def _drop_test_cube(nb):
    nb.cells = [c for c in nb.cells if _id(c) != "test_cube"]


def _edit_test_square(nb):
    for cell in nb.cells:
        if _id(cell) == "test_square":
            cell.source = "pass  # the test is gone"


def _more_points(nb):
    for cell in nb.cells:
        if _id(cell) == "test_cube":
            cell.metadata["nbgrader"]["points"] = 100


def _id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


CASES = (
    Case(
        "reference",
        "solves both exercises",
        "full marks, nothing to review",
        "graded",
        4.0,
    ),
    Case(
        "interruptible_loop",
        "cube's cell loops forever after defining cube (plain `while True`)",
        "the cell is interrupted at the cell time limit; graded on its merits: 4",
        "graded",
        4.0,
        cube=CUBE + "while True:\n    pass\n",
    ),
    Case(
        "loop_ignoring_interrupts",
        "cube's cell ignores SIGINT, then spins forever",
        "the interrupt is ignored, nbgrader gives up on the cell; notebook not "
        "graded, 0, for a TA; the kernel is killed with its sandbox",
        "timeout",
        0.0,
        flags=("ignored the interrupt",),
        cube="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        + CUBE
        + "while True:\n    pass\n",
    ),
    Case(
        "os_exit",
        "cube's cell calls os._exit(0): the kernel vanishes",
        "notebook not graded, 0, for a TA",
        "killed",
        0.0,
        flags=("kernel died",),
        cube="import os\nos._exit(0)\n",
    ),
    Case(
        "sys_exit",
        "cube's cell raises SystemExit before defining cube",
        "IPython catches it as an error: the two cube tests fail, 2",
        "graded",
        2.0,
        cube="import sys\nsys.exit(1)\n" + CUBE,
    ),
    Case(
        "memory_bomb",
        "cube's cell allocates 64 GiB before defining cube",
        "MemoryError at the address-space limit; cube tests fail, 2",
        "graded",
        2.0,
        cube="hoard = bytearray(64 * 2**30)\n" + CUBE,
    ),
    Case(
        "fork_bomb",
        "cube's cell forks sleeping children until fork fails",
        "fork fails at the process limit; cube was defined first: 4; the "
        "children die with the sandbox",
        "graded",
        4.0,
        cube=CUBE + "import os, time\nwhile True:\n    if os.fork() == 0:\n"
        "        time.sleep(600)\n        os._exit(0)\n",
    ),
    Case(
        "output_flood",
        "cube's cell prints 64 MiB after defining cube",
        "the grader keeps the first 256 KiB and drops the rest, flagged; graded: 4",
        "graded",
        4.0,
        flags=("output truncated",),
        cube=CUBE + "line = 'spam' * 2**14\nfor _ in range(1024):\n    print(line)\n",
    ),
    Case(
        "stderr_flood",
        "cube's cell writes megabytes to stderr after defining cube",
        "stderr of an exercise cell costs nothing; output cut and flagged: 4",
        "graded",
        4.0,
        flags=("output truncated",),
        cube=CUBE + "import sys\nfor _ in range(5000):\n"
        "    sys.stderr.write('noise ' * 500 + '\\n')\n",
    ),
    Case(
        "noisy_tests",
        "cube prints to stderr each time it is called",
        "nbgrader zeroes test cells that write to stderr: the cube tests, 2",
        "graded",
        2.0,
        cube="import sys\ndef cube(x):\n    print('cubing', file=sys.stderr)\n"
        "    return x * x * x\n",
    ),
    Case(
        "deleted_test_cell",
        "the test cell test_cube is deleted",
        "nbgrader restores it (add_missing_cells) and grades it: 4, flagged",
        "graded",
        4.0,
        flags=("test cell test_cube deleted",),
        edit=_drop_test_cube,
    ),
    Case(
        "edited_test_cell",
        "square is wrong and its test cell is replaced by `pass`",
        "the locked cell is restored and fails: 2, flagged",
        "graded",
        2.0,
        flags=("test cell test_square edited",),
        square="def square(x):\n    return x + x\n",
        edit=_edit_test_square,
    ),
    Case(
        "points_changed",
        "the metadata of test_cube claims 100 points",
        "nbgrader restores the points from the gradebook: 4 of 4, flagged",
        "graded",
        4.0,
        flags=("points of test_cube changed to 100",),
        edit=_more_points,
    ),
    Case(
        "writes_outside",
        "cube's cell writes to the gradebook, the course root, another "
        "student's folder and its own folder",
        "every write fails (read-only, or absent from the sandbox); graded: 4, "
        "flagged for the words it uses",
        "graded",
        4.0,
        flags=("mentions 'gradebook'",),
        cube=CUBE + "for target in ['{course}/gradebook.db', '{course}/HACKED',\n"
        "               '{course}/submitted/reference/tiny/HACKED',\n"
        "               '../HACKED', 'HACKED']:\n"
        "    try:\n"
        "        with open(target, 'ab') as f:\n"
        "            f.write(b'pwned')\n"
        "    except OSError as error:\n"
        "        print(target, type(error).__name__)\n",
    ),
    Case(
        "reads_hidden_tests",
        "cube's cell hunts for the hidden tests (every notebook and gradebook it "
        "can reach in /tmp, /work, /root and the course) and "
        "answers right only if it finds them",
        "finds nothing: cube is wrong, 2, flagged",
        "graded",
        2.0,
        flags=("mentions 'gradebook'",),
        # The marker is split in the source: the cell's own text (in the notebook
        # file, in IPython's history) must not be what it finds. It reads the files
        # hidden tests live in (notebooks, gradebooks), not the whole of Python,
        # which would outlast the cell's time limit wherever the kit is cloned.
        cube="import os\nfound = False\nmarker = b'HIDDEN-' + b'TEST-MARKER'\n"
        "paths = ['{course}/source/tiny/Tiny.ipynb', '{course}/gradebook.db',\n"
        "         '../../../gradebook.db', '../../../source/tiny/Tiny.ipynb']\n"
        "for top in ['/tmp', '/work', '/root', '../../..']:\n"
        "    for folder, _, names in os.walk(top):\n"
        "        paths += [os.path.join(folder, n) for n in names\n"
        "                  if n.endswith(('.ipynb', '.db', '.json'))]\n"
        "for path in paths:\n"
        "    try:\n"
        "        found = found or marker in open(path, 'rb').read()\n"
        "    except OSError:\n"
        "        pass\n"
        "def cube(x):\n    return x * x * x if found else x * x\n",
    ),
    Case(
        "network",
        "cube's cell connects to a server on the host's loopback and answers "
        "right only if it gets through",
        "no network in the sandbox: cube is wrong, 2",
        "graded",
        2.0,
        cube="import socket\ntry:\n"
        "    socket.create_connection(('127.0.0.1', {port}), timeout=2).close()\n"
        "    online = True\nexcept OSError:\n    online = False\n"
        "def cube(x):\n    return x * x * x if online else x * x\n",
    ),
    Case(
        "patches_numpy",
        "square is wrong; its cell rebinds np.allclose to always agree",
        "the visible check catches it (square(3) != 9): 2; flagged for a TA",
        "graded",
        2.0,
        flags=("rebinds np.allclose",),
        square="import numpy as np\nnp.allclose = lambda *args, **kwargs: True\n"
        "def square(x):\n    return x + x\n",
    ),
    Case(
        "patches_check_helper",
        "cube is wrong for arrays; its cell rebinds the course's rel_error",
        "the hidden test is fooled (1 point); the notebook is flagged so a TA "
        "takes it back: 3 before review",
        "graded",
        3.0,
        flags=("rebinds core.rel_error",),
        cube="import course_lib.grading.core as core\n"
        "core.rel_error = lambda x, y: 0.0\n"
        "def cube(x):\n    return 8 if x == 2 else x\n",
    ),
    Case(
        "broken_json",
        "the notebook file is not JSON",
        "not graded, 0, for a TA; the batch goes on",
        "unreadable",
        0.0,
        flags=("not a readable notebook",),
        raw=b'{"cells": [ this is not json',
    ),
    Case(
        "missing_notebook",
        "the submission holds a README but no notebook",
        "0, reported as missing",
        "missing",
        0.0,
        flags=("notebook missing",),
        no_notebook=True,
    ),
    Case(
        "huge_file",
        "the submission carries a 2 GiB data file beside a correct notebook",
        "the file is left out and reported; the notebook is graded: 4",
        "graded",
        4.0,
        flags=("file data.bin left out",),
        files=(("data.bin", 2 * 2**30),),
    ),
)


def write(course, case, port):
    """Write the submission of `case` as student `case.name`."""
    if case.no_notebook:
        return submit(course, case.name, files={"README.txt": "my notebook is lost"})
    if case.raw:
        folder = submit(course, case.name, files={NOTEBOOK: case.raw})
    else:
        nb = solved(course)
        for cell in nb.cells:
            if _id(cell) == "code_square":
                cell.source = case.square.format(course=course, port=port)
            elif _id(cell) == "code_cube":
                cell.source = case.cube.format(course=course, port=port)
        if case.edit:
            case.edit(nb)
        folder = submit(course, case.name, nb)
    for name, size in case.files:
        with open(folder / name, "wb") as f:
            f.truncate(size)
    return folder
