"""A Jupyter kernel that starts inside the sandbox (see sandbox.py).

nbgrader starts kernels from a kernelspec. `install_kernelspec` writes one named
`python3` (the name the course's notebooks ask for) into a folder that the grading
process puts first on JUPYTER_PATH; its command runs this module as a launcher:

    python -m course_lib.tooling.sandbox_kernel SETTINGS CONNECTION_FILE [ARGS...]

The launcher runs as the grader. It gives the kernel a copy of the connection file
it can read, sets the resource limits, and execs bubblewrap, which runs ipykernel as
the sandbox's user. The kernel and nbgrader talk over Unix sockets in a folder bound
into the sandbox (ZeroMQ's ipc transport), since the sandbox has no network; the
grader's configuration must therefore set `KernelManager.transport = "ipc"` and
`KernelManager.ip` to a path in that folder (see `kernel_config`). Interrupts are
sent as messages: a signal to the launcher would reach bubblewrap, not the kernel.
"""

import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import sandbox

# What the kernel's environment keeps from the grader's; everything else is dropped.
PASSED_ON = (
    "NBGRADER_EXECUTION",
    "NBGRADER_VALIDATING",
    "COURSE_STUDENT_ID",
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "PYTHONHASHSEED",
    "MPLBACKEND",
    "LANG",
)


def kernel_config(ipc_dir):
    """nbgrader configuration lines (Python) that reach a kernel through `ipc_dir`."""
    return (
        'c.KernelManager.transport = "ipc"\n'
        f"c.KernelManager.ip = {str(Path(ipc_dir) / 'k')!r}\n"
    )


def install_kernelspec(jupyter_dir, settings_path):
    """Write the `python3` kernelspec that launches the sandboxed kernel."""
    folder = Path(jupyter_dir) / "kernels" / "python3"
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "course_lib.tooling.sandbox_kernel",
            str(settings_path),
            "{connection_file}",
        ],
        "display_name": "Python 3 (sandboxed)",
        "language": "python",
        "interrupt_mode": "message",
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def write_settings(path, *, readable, writable, ipc_dir, uid, limits, env, hidden=()):
    """Save what the launcher needs: folders, files to hide, uid, limits and extra
    environment."""
    settings = {
        "readable": [str(p) for p in readable],
        "writable": [str(p) for p in writable],
        "hidden": [str(p) for p in hidden],
        "ipc_dir": str(ipc_dir),
        "uid": uid,
        "limits": limits.as_dict(),
        "env": env,
    }
    Path(path).write_text(json.dumps(settings, indent=1))
    return path


# What a notebook kernel of the course imports first.
KERNEL_IMPORTS = "import ipykernel, numpy, torch, course_lib"


@functools.lru_cache(maxsize=4)
def startup_problem(readable):
    """None if a kernel of this Python can start in a sandbox that reads the folders
    `readable` (a tuple); else what goes wrong and what to do, for the TA.

    Checked once before a batch: when the sandbox's user cannot read the virtual
    environment or the course, every kernel would die and every notebook would be
    reported as killed."""
    limits = sandbox.Limits()
    with sandbox.UidSlot() as slot:
        command = sandbox.bwrap_command(
            [sys.executable, "-c", KERNEL_IMPORTS],
            readable=list(readable),
            writable=[],
            workdir="/tmp",
            uid=slot.uid,
            limits=limits,
        )
        try:
            result = subprocess.run(
                command,
                preexec_fn=lambda: sandbox.set_limits(limits, slot.uid),
                capture_output=True,
                text=True,
                timeout=300,
                env=kernel_environment({}),
            )
        finally:
            if slot.uid is not None:
                sandbox.kill_user(slot.uid)
    if result.returncode == 0:
        return None
    last = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
    return (
        f"a notebook kernel cannot start in the sandbox: {sys.executable} -c "
        f"'{KERNEL_IMPORTS}' fails there ({last[-1].strip()}). The sandbox's user "
        "must be able to read Python, its packages and the course library: make "
        "them readable by everyone (chmod -R o+rX on their folders and o+x on the "
        "folders above them), or grade with --no-sandbox if you trust every "
        "submission."
    )


def kernel_environment(extra):
    """The kernel's environment: a clean one, plus the few variables it needs."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": "/tmp",
        "TMPDIR": "/tmp",
        "MPLCONFIGDIR": "/tmp/matplotlib",
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.update({k: os.environ[k] for k in PASSED_ON if k in os.environ})
    env.update(extra)
    return env


def _private_connection_file(connection_file, ipc_dir, uid):
    """A copy of the connection file in the ipc folder, readable by the kernel's uid
    (jupyter_client writes the original readable by the grader alone)."""
    copy = Path(ipc_dir) / "connection.json"
    shutil.copyfile(connection_file, copy)
    os.chmod(copy, 0o600)
    if uid is not None:
        os.chown(copy, uid, uid)
    return copy


def launch(settings_path, connection_file, kernel_args):
    """Replace this process by bubblewrap running ipykernel; never returns."""
    settings = json.loads(Path(settings_path).read_text())
    uid = settings["uid"]
    limits = sandbox.Limits.from_dict(settings["limits"])
    connection = _private_connection_file(connection_file, settings["ipc_dir"], uid)
    cover = Path(settings["ipc_dir"]) / "empty"  # what the hidden files read as
    cover.touch(mode=0o444)
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", connection]
    command = sandbox.bwrap_command(
        kernel + list(kernel_args),
        readable=settings["readable"],
        writable=[settings["ipc_dir"], *settings["writable"]],
        hidden=settings["hidden"],
        cover=cover,
        workdir=os.getcwd(),
        uid=uid,
        limits=limits,
    )
    sandbox.set_limits(limits, uid)
    os.execvpe(command[0], command, kernel_environment(settings["env"]))


if __name__ == "__main__":
    launch(sys.argv[1], sys.argv[2], sys.argv[3:])
