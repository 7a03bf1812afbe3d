"""The sandbox on its own: what a process inside can and cannot do."""

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import course_lib
from course_lib.tooling import batch, sandbox

needs_bwrap = pytest.mark.skipif(
    sandbox.unavailable_reason() is not None, reason="bubblewrap cannot run here"
)
TIGHT = sandbox.Limits(
    cpu_seconds=2, memory_mib=1024, processes=32, open_files=64, file_mib=1, tmp_mib=8
)


def run_inside(
    code, tmp_path, limits=TIGHT, timeout=60, cleanup=True, hidden=(), cover=None
):
    """Run Python `code` in a sandbox that sees the system, Python and course_lib,
    with `tmp_path` as its read-only working folder and the files `hidden` in it
    read as the file `cover`; return the CompletedProcess. With `cleanup`, every
    process of the sandbox's uid is killed afterwards, as the worker does."""
    with sandbox.UidSlot() as slot:
        command = sandbox.bwrap_command(
            [sys.executable, "-c", code],
            readable=[
                *sandbox.system_folders(),
                Path(course_lib.__file__).parent,
                tmp_path,
            ],
            writable=[],
            hidden=hidden,
            cover=cover,
            workdir=tmp_path,
            uid=slot.uid,
            limits=limits,
        )
        result = subprocess.run(
            command,
            preexec_fn=lambda: sandbox.set_limits(limits, slot.uid),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
        )
        if cleanup and slot.uid is not None:
            sandbox.kill_user(slot.uid)
    return result


def test_the_command_shares_no_namespace_and_binds_read_only():
    command = sandbox.bwrap_command(
        ["true"],
        readable=["/usr"],
        writable=[],
        workdir="/usr",
        uid=None,
        limits=sandbox.Limits(),
    )
    for flag in ("--unshare-net", "--unshare-pid", "--die-with-parent"):
        assert flag in command
    assert command[command.index("/usr") - 1] == "--ro-bind"
    assert "--bind" not in command


def test_missing_parents_are_made_passable_for_the_sandbox_user():
    command = sandbox.bwrap_command(
        ["true"],
        readable=["/usr/share/doc"],
        writable=[],
        workdir="/",
        uid=None,
        limits=sandbox.Limits(),
    )
    assert ["--perms", "0755", "--dir", "/usr"] == command[
        command.index("/usr") - 3 : command.index("/usr") + 1
    ]


@needs_bwrap
def test_a_folder_bound_within_tmp_is_reachable_by_the_kernel_user(tmp_path):
    """The sandbox's /tmp is a fresh tmpfs: a course cloned under /tmp (its virtual
    environment, its library) must still be reachable through parents made inside."""
    tmp_path.chmod(0o755)  # as a clone's folders are; pytest makes them private
    (tmp_path / "note.txt").write_text("found")
    result = run_inside(f"print(open({str(tmp_path / 'note.txt')!r}).read())", tmp_path)
    assert result.stdout.strip() == "found", result.stderr


def test_without_bubblewrap_grading_refuses_and_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.setattr(sandbox, "BWRAP", "no-such-bwrap")
    sandbox.unavailable_reason.cache_clear()
    try:
        (tmp_path / "nbgrader_config.py").write_text("")
        with pytest.raises(batch.BatchError) as error:
            batch.run(tmp_path, "a1", batch.Options())
        assert "--no-sandbox" in str(error.value)
        assert "apt-get install bubblewrap" in str(error.value)
    finally:
        sandbox.unavailable_reason.cache_clear()


@needs_bwrap
def test_two_sandboxes_at_once_get_different_uids():
    with sandbox.UidSlot() as first, sandbox.UidSlot() as second:
        if first.uid is None:
            pytest.skip("dedicated uids need root")
        assert first.uid != second.uid
        assert first.uid >= sandbox.FIRST_UID


@needs_bwrap
def test_the_kernel_user_is_unprivileged(tmp_path):
    result = run_inside("import os; print(os.getuid(), os.getgroups())", tmp_path)
    uid, groups = result.stdout.split(" ", 1)
    assert int(uid) != 0 and groups.strip() == "[]", result.stderr


@needs_bwrap
def test_no_network_not_even_the_hosts_loopback(tmp_path):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        code = (
            "import socket\n"
            f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
            "    print('connected')\n"
            "except OSError as e:\n    print(type(e).__name__)\n"
        )
        result = run_inside(code, tmp_path)
    assert result.stdout.strip() == "ConnectionRefusedError", result.stderr


@needs_bwrap
def test_only_the_listed_folders_are_visible_and_none_is_writable(tmp_path):
    course = tmp_path / "course"
    (course / "source").mkdir(parents=True)
    (course / "gradebook.db").write_text("grades")
    work = course / "autograded" / "alice" / "a1"
    work.mkdir(parents=True)
    code = (
        "import os\n"
        f"print(os.path.exists({str(course / 'gradebook.db')!r}),"
        f" os.path.exists({str(course / 'source')!r}))\n"
        "try:\n    open('mine.txt', 'w')\nexcept OSError as e:\n"
        "    print(type(e).__name__)\n"
    )
    result = run_inside(code, work)
    assert result.stdout.split("\n")[:2] == ["False False", "OSError"], result.stderr


@needs_bwrap
def test_a_hidden_file_reads_as_empty_and_its_neighbours_as_they_are(tmp_path):
    tmp_path.chmod(0o755)  # pytest makes it private to its user
    (tmp_path / "Graded.ipynb").write_text("hidden tests restored here")
    (tmp_path / "data.txt").write_text("the student's data")
    code = "print(repr(open('Graded.ipynb').read()), repr(open('data.txt').read()))"
    cover = tmp_path / "cover"
    cover.touch(mode=0o444)
    result = run_inside(code, tmp_path, hidden=[tmp_path / "Graded.ipynb"], cover=cover)
    assert result.stdout.strip() == "'' \"the student's data\"", result.stderr


@needs_bwrap
def test_a_cpu_hog_is_killed_at_its_cpu_limit(tmp_path):
    result = run_inside("while True: pass", tmp_path)
    assert result.returncode != 0 and "SIGXCPU" in _signal_name(result.returncode)


def _signal_name(code):
    import signal

    # bwrap reports a child killed by a signal as 128 + its number.
    number = -code if code < 0 else code - 128
    return signal.Signals(number).name if number > 0 else str(code)


@needs_bwrap
def test_memory_processes_and_file_size_are_bounded(tmp_path):
    code = (
        "import os\n"
        "try:\n    bytearray(4 * 2**30)\nexcept MemoryError:\n    print('memory')\n"
        "try:\n    open('/tmp/big', 'wb').write(b'x' * 2 * 2**20)\n"
        "except OSError:\n    print('file')\n"
        "children = []\n"
        "try:\n    for _ in range(100):\n        pid = os.fork()\n"
        "        if pid == 0:\n            import time; time.sleep(30); os._exit(0)\n"
        "        children.append(pid)\n"
        "except OSError:\n    print('processes', len(children) < 32)\n"
    )
    result = run_inside(code, tmp_path)
    assert result.stdout.split("\n")[:3] == ["memory", "file", "processes True"], (
        result.stdout + result.stderr
    )


@needs_bwrap
def test_processes_left_behind_die_with_the_sandbox(tmp_path):
    marker = "sandbox-orphan-7c1"
    code = (
        "import subprocess\n"
        f"subprocess.Popen(['sh', '-c', 'exec -a {marker} sleep 300'])\n"
    )
    run_inside(code, tmp_path, cleanup=False)
    survivors = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert survivors.stdout.strip() == ""


def test_bwrap_is_on_this_machine_or_the_reason_says_how_to_install_it():
    reason = sandbox.unavailable_reason()
    assert reason is None or "bubblewrap" in reason or "namespaces" in reason
    assert reason is not None or shutil.which("bwrap")


@needs_bwrap
def test_a_kernel_that_cannot_start_is_found_before_grading_and_said_why():
    """Without its virtual environment the kernel cannot import ipykernel: the batch
    would report every notebook killed, so this is checked first, with a remedy."""
    from course_lib.tooling import sandbox_kernel, worker

    libraries = tuple(map(str, worker.kernel_libraries()))
    assert sandbox_kernel.startup_problem(libraries) is None
    if sys.prefix == sys.base_prefix:
        pytest.skip("Python runs outside a virtual environment")
    without_venv = tuple(f for f in libraries if f != sys.prefix)
    problem = sandbox_kernel.startup_problem(without_venv)
    assert "cannot start in the sandbox" in problem and "chmod -R o+rX" in problem
