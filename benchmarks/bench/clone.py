"""A fresh clone's `make demo`, set-up included, against its 10-minute budget.

The committed kit is cloned into a scratch folder; `make setup` (a new virtual
environment and the installs) and then `make demo` run there as a new user would
run them: an empty data folder, the thread settings of the user's environment
(the bench's own are removed), and no virtual environment active.
"""

import os
import subprocess

from .report import Line
from .timing import run_command

SECTION = "Fresh clone"
BUDGET = 600  # seconds
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def measure(context):
    name = "git clone + make demo, set-up included"
    if context.quick:
        return [
            Line(
                SECTION,
                name,
                None,
                BUDGET,
                "budget",
                1.0,
                "< 10 min",
                note="skipped with --quick",
            )
        ]
    clone = context.scratch / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", str(context.root), str(clone)], check=True
    )
    env = user_env(context.root, context.scratch / "clone-data")
    setup = make(clone, "setup", env)
    demo = make(clone, "demo", env)
    context.notes.append(
        f"- fresh clone: `make setup` took {setup:.0f} s (virtual environment and "
        f"installs, from pip's cache where it has the packages), `make demo` "
        f"{demo:.0f} s (release, grading of three students, gradebook)."
    )
    return [Line(SECTION, name, setup + demo, BUDGET, "budget", 1.0, "< 10 min")]


def user_env(root, data_folder):
    """This process's environment as a new user has it: no venv, no thread limits."""
    venv = str(root / ".venv")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in THREAD_VARIABLES and k != "VIRTUAL_ENV"
    }
    env["PATH"] = os.pathsep.join(
        p for p in env["PATH"].split(os.pathsep) if not p.startswith(venv)
    )
    data_folder.mkdir(parents=True, exist_ok=True)
    env["COURSE_LIB_DATA"] = str(data_folder)
    return env


def make(folder, target, env):
    """Seconds `make TARGET` takes in `folder`; raise with its log's end if it fails."""
    log = folder / f"make-{target}.log"
    run = run_command(["make", target], cwd=folder, env=env, log_path=log)
    if run.returncode != 0:
        raise RuntimeError(
            f"make {target} failed in the clone: {last_words(run.output)}"
        )
    return run.seconds


def last_words(output, count=8):
    """The last lines of a log that are not warnings: where a failure says why."""
    lines = [line for line in output.splitlines() if "WARNING" not in line]
    return " / ".join(lines[-count:])
