"""Scoring, isolation and comparison helpers shared by every notebook's graders."""

import contextlib
import hashlib
import importlib.util
import io
import os
import re
import sys
import types
import warnings
from dataclasses import dataclass

import numpy as np

from course_lib import exercise

# How a score is written: nbgrader reads the cell's result as a float.
DIGITS = 4


class NotSubmitted(Exception):
    """The student's implementation of an exercise was never installed."""


@dataclass
class Outcome:
    passed: bool
    message: str

    def __post_init__(self):
        self.passed = bool(self.passed)  # a NumPy bool would make the score NumPy's


# ---------------------------------------------------------------------------
# The student's code and the reference code


def submitted(key):
    """The student's implementation recorded by `@exercise`, e.g.
    `submitted("course_lib.rnn_layers.rnn_step_forward")`."""
    fn = exercise.submitted.get(key)
    if fn is None:
        name = key.split(".", 2)[-1] if key.count(".") > 1 else key
        raise NotSubmitted(
            f"there is no implementation of {name} to grade: run its cell, and keep "
            f"the @exercise(...) line above the def"
        )
    return fn


_references = {}


def reference(*modules):
    """Private copies of library modules, loaded afresh from their files.

    A student's `@exercise` replaces functions inside the imported library, and
    student code can monkeypatch it further; the grader compares against copies
    that nothing in the notebook can reach. Modules are given in dependency order;
    while they load, each earlier copy stands in for its name, so that `from ...
    import` lines inside later ones bind the reference versions.
    """
    key = tuple(modules)
    if key not in _references:
        saved = {name: sys.modules.get(name) for name in modules}
        copies = {}
        try:
            for name in modules:
                spec = importlib.util.find_spec(name)
                spec = importlib.util.spec_from_file_location(name, spec.origin)
                module = importlib.util.module_from_spec(spec)
                sys.modules[name] = module
                spec.loader.exec_module(module)
                copies[name] = module
        finally:
            for name, module in saved.items():
                if module is None:
                    sys.modules.pop(name, None)
                else:
                    sys.modules[name] = module
        _references[key] = types.SimpleNamespace(
            **{name.rsplit(".", 1)[-1]: module for name, module in copies.items()}
        )
    return _references[key]


@contextlib.contextmanager
def substituted(fn, **replacements):
    """Run with `replacements` in place of the names the student's `fn` may call.

    A student's function looks up the other exercises it calls (say, `rnn_forward`
    calling `rnn_step_forward`) in the notebook's namespace; putting the reference in
    their place while it is graded means one bug costs points in one cell only.
    """
    namespace = getattr(fn, "__globals__", {})
    missing = object()
    saved = {name: namespace.get(name, missing) for name in replacements}
    namespace.update(replacements)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value


# ---------------------------------------------------------------------------
# Inputs drawn for each student


def student_id():
    """The id of the student being graded: `autograded/<student>/<assignment>` is
    the kernel's working folder under nbgrader; `COURSE_STUDENT_ID` overrides it."""
    if os.environ.get("COURSE_STUDENT_ID"):
        return os.environ["COURSE_STUDENT_ID"]
    parts = os.path.normpath(os.getcwd()).split(os.sep)
    if len(parts) >= 3 and parts[-3] == "autograded":
        return parts[-2]
    return "anonymous"


def rng(label):
    """A NumPy generator seeded by the student and the check, so every student gets
    their own inputs and a copied output cannot pass."""
    digest = hashlib.sha256(f"{student_id()}/{label}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


# ---------------------------------------------------------------------------
# Comparisons


def rel_error(x, y):
    """max |x - y| / max(1e-8, |x| + |y|), elementwise."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def norm_error(x, y):
    """||x - y|| / max(1e-8, ||x|| + ||y||): the error of a whole gradient.

    Central differences carry an absolute error of about 1e-10, which is a large
    relative error on an element whose exact value is near zero; measured over the
    whole array it stays near 1e-9, while a wrong derivative scores 1e-2 or more.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.linalg.norm(x - y) / max(1e-8, np.linalg.norm(x) + np.linalg.norm(y)))


def compare(name, received, expected, tol, error=rel_error):
    """Outcome of comparing a student's array with the expected one (not shown).

    `error` measures the difference: `rel_error` (elementwise, the default) or
    `norm_error` (over the whole array, for checks against central differences)."""
    if received is None:
        return Outcome(False, f"{name} is None: return it as an array")
    try:
        received = np.asarray(received, dtype=np.float64)
    except (TypeError, ValueError):
        return Outcome(
            False, f"{name} is a {type(received).__name__}, not an array of numbers"
        )
    expected = np.asarray(expected, dtype=np.float64)
    if received.shape != expected.shape:
        return Outcome(
            False, f"{name} has shape {received.shape}; expected shape {expected.shape}"
        )
    if not np.all(np.isfinite(received)):
        return Outcome(False, f"{name} holds NaN or infinite values")
    measured = error(received, expected)
    if measured > tol:
        return Outcome(
            False, f"{name}: relative error {measured:.1e} (must be below {tol:.0e})"
        )
    return Outcome(True, f"{name}: relative error {measured:.1e}")


def numeric_gradient(f, x, df, h=1e-5):
    """Central differences of sum(f(x) * df) with respect to x (x is restored)."""
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.sum(f(x) * df)
        x[i] = old - h
        minus = np.sum(f(x) * df)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


# ---------------------------------------------------------------------------
# Running checks and scoring a cell


@contextlib.contextmanager
def quiet():
    """Silence warnings and stderr: nbgrader zeroes a test cell that writes to it."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        with contextlib.redirect_stderr(io.StringIO()):
            yield


def _describe(error):
    text = re.sub(r"\s+", " ", str(error)).strip()
    if len(text) > 160:
        text = text[:157] + "..."
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def grade(title, points, checks):
    """Run named checks, print a report, and return the cell's score.

    `checks` is a list of (label, weight, thunk); a thunk returns an Outcome, or a
    list of Outcomes sharing its weight. A thunk that raises fails with the error's
    type and message (the student's own code raised it). The score is the passed
    share of the weights times `points`, so four right gradients out of five earn
    four fifths of the cell.
    """
    earned, total, lines = 0.0, 0.0, []
    for label, weight, thunk in checks:
        total += weight
        try:
            with quiet():
                outcomes = thunk()
        except NotSubmitted as error:
            outcomes = [Outcome(False, str(error))]
        except Exception as error:  # the student's code raised: report, never crash
            outcomes = [Outcome(False, f"{label}: raised {_describe(error)}")]
        if isinstance(outcomes, Outcome):
            outcomes = [outcomes]
        share = sum(o.passed for o in outcomes) / len(outcomes)
        earned += weight * share
        lines += [
            ("  ok    " if o.passed else "  FAIL  ") + o.message for o in outcomes
        ]
    # A plain float: nbgrader reads the result's repr, and gives full credit for one
    # it cannot parse, such as NumPy 2's "np.float64(1.5)".
    score = float(min(points, round(points * earned / total, DIGITS))) if total else 0.0
    print(f"{title}: {score:g} / {points:g} points")
    print("\n".join(lines))
    return score
