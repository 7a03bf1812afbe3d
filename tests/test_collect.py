"""`course collect`: downloads of every usual shape into submitted/, with timestamps,
never over newer work, with messages that say what was left out and why."""

import os
import zipfile
from datetime import datetime, timezone

import nbformat
import pytest

from course_lib.tooling import cli, collect

NOTEBOOKS = ("RNN_Captioning.ipynb", "Transformer_Captioning.ipynb")
A = "assignment3"


def notebook_bytes(text="x = 1"):
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(text))
    return nbformat.writes(nb).encode()


@pytest.fixture
def course(tmp_path):
    """A course folder whose release names the assignment's two notebooks."""
    root = tmp_path / "course"
    (root / "release" / A).mkdir(parents=True)
    for name in NOTEBOOKS:
        (root / "release" / A / name).write_bytes(notebook_bytes())
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "course.toml").write_text("[course]\nassignments = ['assignment3']\n")
    return root


def write(path, content, when=None):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    if when is not None:
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
    return path


def submitted(course, student):
    return course / "submitted" / student / A


def test_a_folder_per_student_at_any_depth(course, tmp_path):
    when = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
    downloads = tmp_path / "downloads"
    write(downloads / "alice" / A / NOTEBOOKS[0], notebook_bytes("a = 1"), when)
    write(downloads / "alice" / A / NOTEBOOKS[1], notebook_bytes(), when)
    write(downloads / "bob" / NOTEBOOKS[0], notebook_bytes("b = 2"), when)

    report = collect.collect(course, A, [downloads])

    assert report.collected == ["alice", "bob"] and report.ok
    assert b"a = 1" in (submitted(course, "alice") / NOTEBOOKS[0]).read_bytes()
    assert (submitted(course, "bob") / NOTEBOOKS[0]).exists()
    stamp = (submitted(course, "alice") / "timestamp.txt").read_text()
    assert stamp.startswith("2026-11-02 09:30:00")
    assert collect.read_timestamp(submitted(course, "alice")) == when


def test_an_lms_zip_of_student_zips_and_canvas_file_names(course, tmp_path):
    inner = tmp_path / "carol.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(zipfile.ZipInfo(NOTEBOOKS[1], (2026, 11, 3, 8, 0, 0)),
                   notebook_bytes("c = 3"))  # fmt: skip
    export = tmp_path / "submissions.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.write(inner, "carol.zip")
        z.writestr(f"doejane_LATE_1234_5678_{NOTEBOOKS[0][:-6]}-1.ipynb",
                   notebook_bytes("d = 4"))  # fmt: skip
        z.writestr("__MACOSX/._carol.zip", b"")

    report = collect.collect(course, A, [export])

    assert report.collected == ["carol", "doejane"] and report.ok
    assert b"c = 3" in (submitted(course, "carol") / NOTEBOOKS[1]).read_bytes()
    assert b"d = 4" in (submitted(course, "doejane") / NOTEBOOKS[0]).read_bytes()
    assert collect.read_timestamp(submitted(course, "carol")) == datetime(
        2026, 11, 3, 8, 0, tzinfo=timezone.utc
    )


def test_newer_work_in_submitted_is_never_replaced_unless_forced(course, tmp_path):
    old = datetime(2026, 11, 1, tzinfo=timezone.utc)
    new = datetime(2026, 11, 5, tzinfo=timezone.utc)
    late, early = tmp_path / "late" / "alice", tmp_path / "early" / "alice"
    first = write(late / NOTEBOOKS[0], notebook_bytes("new"), new)
    collect.collect(course, A, [first.parent.parent])
    stale = write(early / NOTEBOOKS[0], notebook_bytes("old"), old)

    report = collect.collect(course, A, [stale.parent.parent])

    assert report.collected == [] and not report.ok
    (student, reason), = report.refused
    assert student == "alice" and "newer work" in reason and "--force" in reason
    assert b"new" in (submitted(course, "alice") / NOTEBOOKS[0]).read_bytes()

    forced = collect.collect(course, A, [stale.parent.parent], force=True)
    assert forced.collected == ["alice"]
    assert b"old" in (submitted(course, "alice") / NOTEBOOKS[0]).read_bytes()


def test_work_without_a_timestamp_is_not_replaced(course, tmp_path):
    write(submitted(course, "alice") / NOTEBOOKS[0], notebook_bytes("by hand"))
    download = write(tmp_path / "d" / "alice" / NOTEBOOKS[0], notebook_bytes())
    report = collect.collect(course, A, [download.parent.parent])
    assert "timestamp.txt" in report.refused[0][1]


def test_what_is_left_out_is_said(course, tmp_path):
    downloads = tmp_path / "downloads"
    write(downloads / "alice" / NOTEBOOKS[0], notebook_bytes())
    write(downloads / "alice" / "Untitled.ipynb", notebook_bytes())
    write(downloads / "bob" / NOTEBOOKS[0], b"{not json")
    write(downloads / "stray.ipynb", notebook_bytes())
    write(downloads / "bad name!" / NOTEBOOKS[0], notebook_bytes())

    report = collect.collect(course, A, [downloads])

    assert report.collected == ["alice"] and not report.ok
    text = "\n".join(report.problems)
    assert "Untitled.ipynb is not a notebook of the assignment" in text
    assert "not a readable notebook" in text
    assert "stray.ipynb: belongs to no student" in text
    assert "cannot be an nbgrader student id" in text


def test_a_dry_run_writes_nothing(course, tmp_path):
    download = write(tmp_path / "d" / "alice" / NOTEBOOKS[0], notebook_bytes())
    report = collect.collect(course, A, [download.parent.parent], dry_run=True)
    assert report.collected == ["alice"]
    assert not (course / "submitted").exists()


def test_an_unknown_assignment_says_what_to_do(course, tmp_path):
    with pytest.raises(collect.CollectError, match="course release"):
        collect.collect(course, "assignment9", [tmp_path])


def test_the_command_exits_1_and_explains_when_something_was_left_out(
    course, tmp_path, capsys
):
    downloads = tmp_path / "downloads"
    write(downloads / "alice" / NOTEBOOKS[0], notebook_bytes())
    assert cli.main(["--root", str(course), "collect", A, str(downloads)]) == 0
    assert "collected 1 submissions" in capsys.readouterr().out

    write(downloads / "stray.ipynb", notebook_bytes())
    code = cli.main(["--root", str(course), "collect", A, str(downloads), "--force"])
    assert code == cli.EXIT_FAILED
    assert "left out" in capsys.readouterr().err


def test_the_command_fails_clearly_on_a_missing_download(course, tmp_path, capsys):
    code = cli.main(["--root", str(course), "collect", A, str(tmp_path / "nope")])
    assert code == cli.EXIT_FAILED
    assert "does not exist" in capsys.readouterr().err
