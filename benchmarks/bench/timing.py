"""Timing helpers: warm-up, interleaved repeats, medians, peak memory of a command."""

import os
import statistics
import subprocess
import time
from dataclasses import dataclass

# CPU seconds of this process. With one thread it is the time the work held the
# CPU, without the time other processes of a shared machine held it instead.
cpu_clock = time.process_time


def median_pair(fn, reference, repeats=7, warmup=1, clock=cpu_clock):
    """Median times of `fn()` and `reference()` on `clock`, measured in alternation.

    Alternating the two spreads what noise remains (caches shared with other
    processes) over both, so their ratio stays fair even when the load changes
    during the measurement.
    """
    fns = (fn, reference)
    for _ in range(warmup):
        for f in fns:
            f()
    samples = ([], [])
    for _ in range(repeats):
        for f, times in zip(fns, samples):
            started = clock()
            f()
            times.append(clock() - started)
    return statistics.median(samples[0]), statistics.median(samples[1])


@dataclass(frozen=True)
class Run:
    """One finished command: its wall time, peak memory and output."""

    seconds: float  # wall time
    cpu_seconds: float  # user + system time of the command and what it waited for
    peak_mib: float  # largest resident set of the command or any process it waited for
    returncode: int
    output: str


def run_command(command, cwd=None, env=None, log_path=None):
    """Run `command`, timing it and reading its peak memory from wait4's rusage.

    ru_maxrss of a waited child is the largest resident set among the child and
    the descendants it waited for (the notebook kernels of nbgrader, for one): the
    peak of the largest single process, not the sum of a process tree.
    """
    log_path = log_path or os.devnull
    with open(log_path, "w+") as log:
        started = time.perf_counter()
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read() if log_path != os.devnull else ""
    cpu_seconds = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu_seconds, usage.ru_maxrss / 1024, proc.returncode, output)
