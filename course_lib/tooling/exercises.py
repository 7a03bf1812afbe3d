"""Find the exercises of the library and cut them into notebook cells and stubs.

An exercise is a function or method whose body holds one region between the
`### BEGIN SOLUTION` and `### END SOLUTION` markers (see docs/authoring.md). It is
named by a reference such as `course_lib.rnn_layers:rnn_step_forward` or
`course_lib.classifiers.rnn:CaptioningRNN.loss`.
"""

import ast
import importlib.util
import textwrap
from dataclasses import dataclass
from pathlib import Path

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


class ExerciseError(Exception):
    """The library or a notebook template breaks the exercise conventions."""


@dataclass(frozen=True)
class Exercise:
    module: str  # "course_lib.rnn_layers"
    qualname: str  # "rnn_step_forward" or "CaptioningRNN.loss"
    path: Path  # the module's file
    first_line: int  # 1-based, the `def` line
    last_line: int  # 1-based, inclusive
    begin_line: int  # 1-based line of the BEGIN marker
    end_line: int  # 1-based line of the END marker

    @property
    def reference(self):
        return f"{self.module}:{self.qualname}"

    @property
    def name(self):
        return self.qualname.rsplit(".", 1)[-1]

    @property
    def owner(self):
        """The name the notebook's `@exercise(...)` line gives: class or module."""
        if "." in self.qualname:
            return self.qualname.split(".")[0]
        return self.module.rsplit(".", 1)[-1]

    @property
    def registry_key(self):
        """The key under which `course_lib.exercise.submitted` records it."""
        return f"{self.module}.{self.qualname}"


def module_path(module):
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ExerciseError(f"cannot find module {module!r}")
    return Path(spec.origin)


def _functions(tree):
    """Yield (qualname, node) for module functions and methods of top-level classes."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield f"{node.name}.{item.name}", item


def _last_line(lines, node):
    """The function's last line, counting comments indented inside its body after
    the last statement (an END marker may follow a body that does not return)."""
    last = node.end_lineno
    for number in range(node.end_lineno + 1, len(lines) + 1):
        text = lines[number - 1]
        if not text.strip():
            continue
        indent = len(text) - len(text.lstrip())
        if text.lstrip().startswith("#") and indent > node.col_offset:
            last = number
        else:
            break
    return last


def exercises_in(module):
    """All exercises of one module, in file order."""
    path = module_path(module)
    lines = path.read_text().splitlines()
    found = []
    for qualname, node in _functions(ast.parse("\n".join(lines))):
        last = _last_line(lines, node)
        span = range(node.lineno, last + 1)
        begins = [i for i in span if lines[i - 1].strip() == BEGIN]
        ends = [i for i in span if lines[i - 1].strip() == END]
        if not begins and not ends:
            continue
        if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0]:
            raise ExerciseError(
                f"{path}:{node.lineno}: {qualname} must hold exactly one "
                f"'{BEGIN}' ... '{END}' region (found {len(begins)} begin and "
                f"{len(ends)} end markers)"
            )
        if node.decorator_list:
            raise ExerciseError(
                f"{path}:{node.lineno}: exercise {qualname} is decorated"
            )
        found.append(
            Exercise(module, qualname, path, node.lineno, last, begins[0], ends[0])
        )
    return found


def find(reference):
    """The exercise named by `module:qualname`."""
    module, _, qualname = reference.partition(":")
    for ex in exercises_in(module):
        if ex.qualname == qualname:
            return ex
    raise ExerciseError(
        f"{reference} is not an exercise: no function of that name in {module} "
        f"holds a '{BEGIN}' region"
    )


def cell_source(ex):
    """The exercise as a notebook cell: `@exercise(owner)` and the whole function."""
    lines = ex.path.read_text().splitlines()[ex.first_line - 1 : ex.last_line]
    body = textwrap.dedent("\n".join(lines))
    return f"@exercise({ex.owner})\n{body}"


def stub_lines(ex, notebook):
    """The lines that replace the region in the student build of the library."""
    lines = ex.path.read_text().splitlines()
    indent = lines[ex.begin_line - 1][: -len(lines[ex.begin_line - 1].lstrip())]
    message = (
        f"{ex.qualname} is an exercise: write it in its cell in {notebook} "
        f"and run that cell."
    )
    return [
        f"{indent}raise NotImplementedError(",
        f"{indent}    {message!r}",
        f"{indent})",
    ]
