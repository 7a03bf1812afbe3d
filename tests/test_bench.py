"""The benchmark harness's own logic (benchmarks/bench), without timing the kit."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import report, timing  # noqa: E402


def line(measured, reference, limit=None):
    return report.Line(
        "section", "figure", measured, reference, "ref", limit, unit="ms"
    )


def test_verdict_follows_the_ratio_and_its_limit():
    assert line(1.4, 1.0, limit=1.5).verdict == report.MET
    assert line(1.6, 1.0, limit=1.5).verdict == report.MISSED
    assert line(1.6, 1.0).verdict == report.NO_TARGET
    assert line(None, 1.0, limit=1.5).verdict == report.PENDING


def test_table_has_a_heading_per_section_and_a_row_per_line():
    rows = report.table([line(0.003, 0.002, 2.0), line(None, 0.002)])
    assert rows.count("### section") == 1
    assert rows[-2].startswith("| figure | 3.00 ms | 2.00 ms (ref) | 1.50x |")
    assert rows[-1].endswith("| pending |")


def test_iterations_per_second_are_shown_from_seconds_per_iteration():
    assert report.show(0.25, "it/s") == "4.0 it/s"


def test_median_pair_times_both_functions_the_same_number_of_times():
    calls = []
    mine, ref = timing.median_pair(
        lambda: calls.append("a"), lambda: calls.append("b"), repeats=3, warmup=1
    )
    assert calls == ["a", "b"] * 4
    assert 0 <= mine and 0 <= ref


def test_run_command_reads_the_peak_memory_of_the_child():
    grow = "x = bytearray(200 * 2**20); x[::4096] = b'1' * len(x[::4096])"
    run = timing.run_command([sys.executable, "-c", grow])
    assert run.returncode == 0
    assert run.peak_mib > 150
