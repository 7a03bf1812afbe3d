"""Install a student's implementation of an exercise into the library.

A notebook's exercise cell defines a function and decorates it::

    @exercise(rnn_layers)
    def rnn_step_forward(x, prev_h, Wx, Wh, b):
        ...

    @exercise(CaptioningRNN)
    def loss(self, features, captions):
        ...

The decorator puts the function in place of the library's (so that provided code,
such as a solver or a model, calls the student's version) and records it under its
qualified name, where the grader finds exactly what the student wrote.
"""

import types

# "module.function" or "module.Class.method" -> the student's function.
submitted = {}


def qualified_name(target, name):
    """The name under which `name` on `target` (a module or a class) is recorded."""
    if isinstance(target, types.ModuleType):
        return f"{target.__name__}.{name}"
    return f"{target.__module__}.{target.__qualname__}.{name}"


def exercise(target):
    """Decorator: install the decorated function as `target.<its name>`.

    `target` is the module (for a function) or the class (for a method) the exercise
    belongs to, as named in the cell's first line.
    """
    if not isinstance(target, (types.ModuleType, type)):
        raise TypeError(
            f"@exercise expects the module or class the exercise belongs to, got "
            f"{target!r}. Keep the decorator line of the cell as it was given."
        )

    def install(fn):
        setattr(target, fn.__name__, fn)
        submitted[qualified_name(target, fn.__name__)] = fn
        return fn

    return install


def carry_over(notebook, namespace):
    """Run the exercise cells of another notebook of yours in `namespace`.

    A later notebook builds on functions written in an earlier one; this runs the
    earlier notebook's exercise cells (only those: definitions, no training), so
    your own code carries over and is installed into the library as it was there.
    Returns the names of the cells it ran.
    """
    import json
    from pathlib import Path

    path = Path(notebook)
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found (looked in {path.resolve().parent}). Keep the assignment "
            f"folders side by side as they were released, and write the earlier "
            f"notebook's exercises first."
        )
    cells = json.loads(path.read_text())["cells"]
    ran = []
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or not meta.get("solution"):
            continue
        source = (
            "".join(cell["source"])
            if isinstance(cell["source"], list)
            else cell["source"]
        )
        try:
            exec(
                compile(source, f"{path.name}:{meta.get('grade_id')}", "exec"),
                namespace,
            )
        except Exception as error:
            raise RuntimeError(
                f"the cell {meta.get('grade_id')} of {path.name} does not run "
                f"({type(error).__name__}: {error}); fix it there first"
            ) from error
        ran.append(meta.get("grade_id"))
    return ran
