"""The sandbox a student's notebook kernel runs in while it is graded.

A kernel runs the student's code, so it is treated as hostile. bubblewrap (`bwrap`)
starts it in namespaces of its own:

- no network (a new network namespace holds only a loopback device);
- its own process tree (a PID namespace): when the grader kills the sandbox, every
  process the student started dies with it;
- a file system built from a short list of folders, read-only: the system, Python,
  the course library (the hidden tests call its graders, which hold the reference
  code) and the generated datasets; the student's own submission folder; a private
  /tmp of bounded size. The course's source/, gradebook, release and other students'
  folders are not in it, and the notebook being graded reads as empty: nbgrader
  writes it to the kernel's working folder with the hidden tests restored before it
  runs the cells.

Resource limits (`Limits`) are set with setrlimit before bwrap starts, so they bind
every process inside: CPU seconds, address space, processes, open files and the size
of any file written. Run as root, the kernel drops to a dedicated unprivileged uid
(62000 and up, one per sandbox running at a time on the machine, so that the process
limit of one student never counts another's processes); run by an ordinary user,
bwrap adds a user namespace in which the kernel holds no privileges.

The wall-clock limit and the cap on notebook output are enforced outside, by the
caller that waits for the kernel (see `worker.py` and `capped_execute.py`).
"""

import fcntl
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

BWRAP = "bwrap"
SETPRIV = "setpriv"
FIRST_UID = 62000
SLOTS = 256
SLOT_LOCKS = Path("/tmp/course-sandbox-slots")
MiB = 1024 * 1024


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces on this machine."""


@dataclass(frozen=True)
class Limits:
    """What one notebook's kernel may use. Units are in the names."""

    cpu_seconds: int = 900  # CPU time of each process of the kernel
    memory_mib: int = 8192  # address space of each process (PyTorch maps a lot)
    processes: int = 512  # processes and threads of the sandbox's user
    open_files: int = 1024
    file_mib: int = 256  # the largest file the kernel may write
    tmp_mib: int = 512  # its private /tmp
    wall_seconds: int = 1800  # the whole notebook, enforced by the worker
    output_kib: int = 1024  # notebook output kept per cell, enforced by nbgrader

    @classmethod
    def from_dict(cls, values):
        return cls(**{k: int(v) for k, v in values.items() if k in cls.__annotations__})

    def as_dict(self):
        return asdict(self)


@functools.lru_cache(maxsize=1)
def unavailable_reason():
    """None if bubblewrap can start a sandbox here, else what is wrong and what to
    do about it."""
    if shutil.which(BWRAP) is None:
        return (
            "bubblewrap (bwrap) is not installed. Install it (`apt-get install "
            "bubblewrap`, or `make setup` as root), or grade without a sandbox with "
            "--no-sandbox if you trust every submission."
        )
    probe = [BWRAP, *_namespaces(), "--die-with-parent", "--ro-bind", "/", "/"]
    probe += ["--proc", "/proc", "--dev", "/dev", "true"]
    result = subprocess.run(probe, capture_output=True, text=True)
    if result.returncode != 0:
        return (
            f"bubblewrap cannot create namespaces here ({result.stderr.strip()}). "
            "Grade as root, enable unprivileged user namespaces "
            "(sysctl kernel.unprivileged_userns_clone=1), or pass --no-sandbox if "
            "you trust every submission."
        )
    if os.geteuid() == 0 and shutil.which(SETPRIV) is None:
        return "setpriv (util-linux) is missing: install util-linux, or --no-sandbox."
    return None


def require():
    """Raise SandboxUnavailable, with what to do, if no sandbox can be started."""
    reason = unavailable_reason()
    if reason:
        raise SandboxUnavailable(reason)


def _namespaces():
    """bwrap's namespace flags. Root keeps the host's user namespace so that the
    kernel can drop to a real unprivileged uid inside (a uid exists only where it is
    mapped); anyone else gets a user namespace, which bwrap then needs."""
    flags = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    flags.append("--unshare-cgroup-try")
    if os.geteuid() != 0:
        flags.append("--unshare-user")
    return flags


class UidSlot:
    """A uid for one sandbox, held through a lock file while the sandbox runs.

    Only root can switch to it; for anyone else `uid` is None. Locks are released
    by the kernel when the holder dies, so a crashed grader never leaks a slot."""

    def __init__(self):
        self.uid = None
        self._file = None

    def __enter__(self):
        if os.geteuid() != 0:
            return self
        SLOT_LOCKS.mkdir(mode=0o700, exist_ok=True)
        for n in range(SLOTS):
            handle = open(SLOT_LOCKS / f"{n}.lock", "w")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            self._file, self.uid = handle, FIRST_UID + n
            return self
        raise SandboxUnavailable(f"all {SLOTS} sandbox uids are in use on this machine")

    def __exit__(self, *exc):
        if self._file is not None:
            self._file.close()
        return False


def system_folders():
    """Read-only folders every kernel needs: the system, Python and its packages."""
    folders = ["/usr", "/etc", sys.base_prefix, sys.prefix]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.exists(name) and not os.path.islink(name):
            folders.append(name)
    return folders


def _links():
    """Top-level system links (merged /usr: /bin -> usr/bin) to recreate inside."""
    found = []
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            found.append((os.readlink(name), name))
    return found


def bwrap_command(
    argv, *, readable, writable, workdir, uid, limits, hidden=(), cover=None
):
    """The command line that runs `argv` in a sandbox.

    readable: folders bound read-only at their own path; writable: bound read-write
    (they must be writable by `uid`); hidden: files within those folders that read
    as `cover` inside, an empty file readable by `uid` (/dev/null would not do:
    bwrap's binds forbid opening devices); workdir: the working folder inside; uid:
    the unprivileged uid to run as (only when run as root), or None.
    """
    command = [BWRAP, *_namespaces(), "--die-with-parent", "--new-session"]
    command += ["--proc", "/proc", "--dev", "/dev"]
    command += ["--perms", "1777", "--size", str(limits.tmp_mib * MiB)]
    command += ["--tmpfs", "/tmp"]
    for target, name in _links():
        command += ["--symlink", target, name]
    # Folders bound from the host bring their subfolders; bwrap's own mounts are
    # empty, so a folder bound within them (a clone in /tmp) needs its parents made.
    mounted, made = [], {"/tmp", "/proc", "/dev"}
    for option, folders in (("--ro-bind", readable), ("--bind", writable)):
        for folder in _unique(folders):
            command += _parents(folder, mounted, made)
            command += [option, folder, folder]
            mounted.append(folder)
    for name in _unique(hidden):
        command += ["--ro-bind", str(cover), name]
    command += ["--chdir", str(workdir)]
    if uid is not None:
        command += [
            SETPRIV,
            f"--reuid={uid}",
            f"--regid={uid}",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--no-new-privs",
            "--",
        ]
    return command + [str(a) for a in argv]


def _parents(folder, mounted, made):
    """bwrap options that create the missing parents of `folder` as world-readable
    folders (bwrap would make them private to root, where the kernel's uid could
    not pass). Parents made before, or within a folder bound from the host, exist
    already."""
    options = []
    for parent in reversed(Path(folder).parents):
        path = str(parent)
        if path == "/" or path in made or any(_within(path, m) for m in mounted):
            continue
        options += ["--perms", "0755", "--dir", path]
        made.add(path)
    return options


def _within(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _unique(folders):
    seen, result = set(), []
    for folder in map(str, folders):
        if folder not in seen and os.path.exists(folder):
            seen.add(folder)
            result.append(folder)
    return result


def set_limits(limits, uid):
    """Apply `limits` to this process, for everything it execs and forks.

    The CPU limit's soft value sends SIGXCPU (a Python kernel dies of it), the hard
    one SIGKILL a little later. The process limit counts every process of the user:
    for a dedicated uid that is the sandbox alone; for an ordinary user it is set
    above what the user already runs."""
    processes = limits.processes
    if uid is None:
        processes += _processes_of(os.getuid())
    for which, value, hard in [
        (resource.RLIMIT_CPU, limits.cpu_seconds, limits.cpu_seconds + 5),
        (resource.RLIMIT_AS, limits.memory_mib * MiB, None),
        (resource.RLIMIT_NPROC, processes, None),
        (resource.RLIMIT_NOFILE, limits.open_files, None),
        (resource.RLIMIT_FSIZE, limits.file_mib * MiB, None),
        (resource.RLIMIT_CORE, 0, None),
    ]:
        resource.setrlimit(which, (value, value if hard is None else hard))


def _processes_of(uid):
    """How many tasks (threads count) the user runs now."""
    count = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                count += len(os.listdir(entry / "task"))
        except OSError:
            continue
    return count


def kill_user(uid):
    """Kill every process of `uid` (a sandbox's dedicated uid) that is still alive."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat().st_uid == uid:
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ProcessLookupError):
            continue
