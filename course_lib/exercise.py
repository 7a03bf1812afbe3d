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
