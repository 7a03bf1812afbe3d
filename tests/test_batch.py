"""A batch of the tiny course graded end to end: parallel workers, one writer of
the gradebook, resuming after an interruption, Dask, another gradebook URL."""

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course_lib.tooling import batch, build, cli, sandbox

sys.path.insert(0, str(Path(__file__).parent / "adversarial"))
import tiny_course  # noqa: E402

A, NB = tiny_course.ASSIGNMENT, tiny_course.NOTEBOOK
FAST = sandbox.Limits(cpu_seconds=20, memory_mib=2048, wall_seconds=120)
# alice solves both exercises; bob's cube squares instead (loses test_cube and
# test_secret: 2 of 4).
EXPECTED = {"alice": 4.0, "bob": 2.0}

needs_bwrap = pytest.mark.skipif(
    sandbox.unavailable_reason() is not None, reason="bubblewrap cannot run here"
)


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    course = tiny_course.make_course(tmp_path_factory.mktemp("batch") / "course")
    tiny_course.submit(course, "alice")
    nb = tiny_course.solved(course)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "code_cube":
            cell.source = "def cube(x):\n    return x * x"
    tiny_course.submit(course, "bob", nb)
    return course


@pytest.fixture
def course(released, tmp_path):
    copy = tmp_path / "course"
    shutil.copytree(released, copy)
    return copy


def scores(db_url):
    with Gradebook(db_url) as gb:
        return {s.student.id: s.score for s in gb.find_assignment(A).submissions}


def options(**changes):
    values = dict(limits=FAST, prepare_data=False)
    values.update(changes)
    return batch.Options(**values)


@needs_bwrap
def test_course_autograde_grades_the_class_in_parallel_and_reports(course, capsys):
    code = cli.main(
        [
            "--root",
            str(course),
            "autograde",
            A,
            "--workers",
            "2",
            "--cpu-seconds",
            "20",
            "--wall-seconds",
            "120",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert scores(f"sqlite:///{course / 'gradebook.db'}") == EXPECTED
    for student in EXPECTED:
        assert (course / "autograded" / student / A / NB).exists()
    with (course / "batches" / A / "report.csv").open() as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert {s: float(r["score"]) for s, r in rows.items()} == EXPECTED
    assert all(float(r["seconds"]) > 0 for r in rows.values())
    assert "alice" in out and "need a TA's attention" in out

    assert cli.main(["--root", str(course), "report", A]) == 0
    again = capsys.readouterr().out
    assert "bob" in again and "Report:" in again


@needs_bwrap
def test_an_interrupted_batch_grades_only_what_is_missing(course):
    def stop_after_the_first(line):
        if line.startswith("  [1/"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        batch.run(course, A, options(workers=1), progress=stop_after_the_first)
    first = scores(f"sqlite:///{course / 'gradebook.db'}")
    assert len([s for s in first.values() if s > 0]) == 1

    again = batch.run(course, A, options(workers=2), progress=lambda line: None)
    assert sorted(o.status for o in again) == ["graded", "skipped"]
    assert scores(f"sqlite:///{course / 'gradebook.db'}") == EXPECTED

    # A new submission from alice is graded again; bob's is not.
    notebook = course / "submitted" / "alice" / A / NB
    os.utime(notebook, (notebook.stat().st_atime, notebook.stat().st_mtime + 60))
    third = batch.run(course, A, options(), progress=lambda line: None)
    assert {o.student: o.status for o in third} == {"alice": "graded", "bob": "skipped"}
    journal = (course / "batches" / A / "journal.jsonl").read_text().splitlines()
    assert len(journal) == 3


@needs_bwrap
def test_a_dask_local_cluster_of_two_processes_grades_the_same(course):
    outcomes = batch.run(
        course, A, options(workers=2, dask="local"), progress=lambda line: None
    )
    assert sorted(o.status for o in outcomes) == ["graded", "graded"]
    assert scores(f"sqlite:///{course / 'gradebook.db'}") == EXPECTED


def test_grades_go_to_the_gradebook_named_by_db_url(course, tmp_path):
    """Another SQLite URL; the PostgreSQL test below takes the same path."""
    other = tmp_path / "elsewhere.db"
    shutil.copy(course / "gradebook.db", other)
    outcomes = batch.run(
        course,
        A,
        options(sandboxed=False, db_url=f"sqlite:///{other}", students=("bob",)),
        progress=lambda line: None,
    )
    assert [o.status for o in outcomes] == ["graded"]
    assert scores(f"sqlite:///{other}") == {"bob": 2.0}
    assert scores(f"sqlite:///{course / 'gradebook.db'}") == {}


def test_an_assignment_not_in_the_gradebook_is_an_error_that_says_what_to_do(course):
    with pytest.raises(batch.BatchError) as error:
        batch.run(course, "nope", options(sandboxed=False))
    assert "release it first" in str(error.value)


def _postgres_bin():
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    return found[-1].parent if found else None


@pytest.fixture
def postgres_url():
    """A throwaway PostgreSQL server on a Unix socket; its database's URL."""
    bin_dir = _postgres_bin()
    if bin_dir is None or os.geteuid() != 0 or shutil.which("runuser") is None:
        pytest.skip("needs PostgreSQL (apt-get install postgresql) and root")
    pytest.importorskip("psycopg")
    # The server runs as the postgres user, who cannot enter pytest's tmp_path.
    home = Path(tempfile.mkdtemp(prefix="pg-"))
    data, sockets = home / "data", home / "sock"
    sockets.mkdir()
    shutil.chown(home, "postgres")
    shutil.chown(sockets, "postgres")
    as_postgres = ["runuser", "-u", "postgres", "--"]
    subprocess.run(
        [*as_postgres, bin_dir / "initdb", "-D", data, "-A", "trust"],
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [
            *as_postgres,
            bin_dir / "postgres",
            "-D",
            data,
            "-k",
            sockets,
            "-c",
            "listen_addresses=",
            "-p",
            "5999",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if (sockets / ".s.PGSQL.5999").exists():
                break
            time.sleep(0.1)
        yield f"postgresql+psycopg://postgres@/postgres?host={sockets}&port=5999"
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


@pytest.mark.slow
def test_a_postgresql_gradebook(course, postgres_url):
    build.nbgrader(
        build.Course(course),
        "generate_assignment",
        A,
        "--force",
        f"--CourseDirectory.db_url={postgres_url}",
    )
    outcomes = batch.run(
        course,
        A,
        options(sandboxed=False, db_url=postgres_url, students=("bob",)),
        progress=lambda line: None,
    )
    assert [o.status for o in outcomes] == ["graded"]
    assert scores(postgres_url) == {"bob": 2.0}
