"""What the end-to-end tests share: where things are, a JupyterLab server to run.

A module of its own (not conftest.py) so that the tests can import it by a name
no other test folder uses.
"""

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

KIT = Path(__file__).resolve().parents[2]
ARTIFACTS = KIT / "e2e-artifacts"
SETUP_HINT = "run `make e2e-setup` (installs Debian's chromium and playwright)"

# Cells are laid out one after the other instead of JupyterLab 4's windowed
# rendering, so that every cell of a notebook is in the page for the test to find.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {
        "windowingMode": "none"
    },
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def chromium_path():
    """The Chromium executable to drive, or None: $E2E_CHROMIUM, then the PATH."""
    candidates = [os.environ.get("E2E_CHROMIUM"), "chromium", "chromium-browser"]
    for name in filter(None, candidates):
        found = shutil.which(name)
        if found:
            return found
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_settings(folder):
    for name, values in LAB_SETTINGS.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def _wait_until_up(url, process, log, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited early:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}api/status", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer in {timeout} s:\n{log.read_text()}")


def _stop(process, url):
    """End the server and the kernels it started: a clean shutdown through its API,
    then a signal to its whole process group for whatever is left."""
    if process.poll() is None:
        request = urllib.request.Request(f"{url}api/shutdown", method="POST")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(request, timeout=5).close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    process.wait()


@contextlib.contextmanager
def jupyter_lab(root, state):
    """Run JupyterLab on loopback over the folder `root`; yield its base URL.

    `state` is a scratch folder for the server's settings, workspaces and log. No
    token: the server listens on 127.0.0.1 only and lives as long as the test.
    """
    settings = state / "settings"
    _write_settings(settings)
    port = _free_port()
    log = state / "jupyterlab.log"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state / "runtime"))
    env.setdefault("OMP_NUM_THREADS", "1")
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0", "--IdentityProvider.token=",
        "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.user_settings_dir={settings}",
        f"--LabApp.workspaces_dir={state / 'workspaces'}",
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI and containers run as root
        command.append("--allow-root")
    with log.open("w") as out:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        _stop(process, url)


def expect(locator):
    """Playwright's retrying assertions, imported once a browser is known to exist."""
    from playwright.sync_api import expect

    return expect(locator)
