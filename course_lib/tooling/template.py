"""Notebook templates: the reviewable text from which source notebooks are built.

A template is a Python file in the "percent" format that editors and jupytext know,
with a kind and options after each cell's `# %%`:

    # %% [markdown]                      narrative, every line starting with "# "
    # %%                                 a code cell the student may edit
    # %% [locked]                        a read-only code cell
    # %% [solution] course_lib.rnn_layers:rnn_step_forward
                                         an exercise; its code comes from the library
    # %% [test] id=rnn_step_forward points=3
                                         an autograded test cell, hidden tests inside
                                         "### BEGIN HIDDEN TESTS" markers
    # %% [answer] id=inline_question_1 points=2
                                         a manually graded written answer (markdown)

Everything before the first `# %%` is a header comment and is dropped.
"""

import re
from dataclasses import dataclass, field

KINDS = ("code", "markdown", "locked", "solution", "test", "answer")
_HEADER = re.compile(r"^# %%(?:\s+\[(?P<kind>\w+)\])?(?P<rest>.*)$")
_GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class TemplateError(Exception):
    """A template that cannot be built, with the file and line to look at."""


@dataclass
class Cell:
    kind: str
    source: str
    line: int  # where the cell starts in the template, for messages
    options: dict = field(default_factory=dict)
    reference: str = ""  # for solution cells: "module:qualname"


def _parse_header(match, path, lineno):
    kind = match.group("kind") or "code"
    if kind not in KINDS:
        raise TemplateError(
            f"{path}:{lineno}: unknown cell kind [{kind}]; use one of {KINDS}"
        )
    options, reference = {}, ""
    for word in match.group("rest").split():
        if "=" in word:
            key, value = word.split("=", 1)
            options[key] = value
        elif kind == "solution" and not reference:
            reference = word
        else:
            raise TemplateError(
                f"{path}:{lineno}: cannot read {word!r} in the cell header"
            )
    if kind == "solution" and ":" not in reference:
        raise TemplateError(
            f"{path}:{lineno}: a [solution] cell names its exercise as "
            f"module:function, e.g. course_lib.rnn_layers:rnn_step_forward"
        )
    if kind in ("test", "answer"):
        for key in ("id", "points"):
            if key not in options:
                raise TemplateError(f"{path}:{lineno}: a [{kind}] cell needs {key}=...")
        if not _GRADE_ID.match(options["id"]):
            raise TemplateError(
                f"{path}:{lineno}: id {options['id']!r} may only use A-Z a-z 0-9 _ -"
            )
        try:
            options["points"] = float(options["points"])
        except ValueError:
            raise TemplateError(f"{path}:{lineno}: points must be a number") from None
    return kind, options, reference


def _markdown(lines, path, start):
    text = []
    for offset, line in enumerate(lines):
        if line == "#":
            text.append("")
        elif line.startswith("# "):
            text.append(line[2:])
        elif line.strip():
            raise TemplateError(
                f"{path}:{start + offset}: markdown lines start with '# ' (got {line!r})"
            )
        else:
            text.append("")
    return "\n".join(text).strip("\n")


def parse(text, path="<template>"):
    """Cells of a template, in order."""
    cells, current, body = [], None, []

    def close():
        if current is None:
            return
        kind, options, reference, line = current
        if kind in ("markdown", "answer"):
            source = _markdown(body, path, line + 1)
        else:
            source = "\n".join(body).strip("\n")
        if kind == "solution" and source:
            raise TemplateError(
                f"{path}:{line}: a [solution] cell is filled from the library; "
                f"leave its body empty"
            )
        cells.append(Cell(kind, source, line, options, reference))

    for lineno, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            close()
            current, body = (*_parse_header(match, path, lineno), lineno), []
        elif current is not None:
            body.append(line)
    close()

    ids = [c.options["id"] for c in cells if "id" in c.options]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TemplateError(f"{path}: cell ids used twice: {', '.join(duplicates)}")
    return cells
