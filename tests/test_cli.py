"""The `course` command's contract: help, exit codes and messages."""

import pytest

from course_lib.tooling import cli


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["--help"])
    assert exit.value.code == 0
    out = capsys.readouterr().out
    for command in ("build", "release", "check", "demo"):
        assert command in out


def test_a_folder_that_is_not_a_course_fails_with_what_to_do(tmp_path, capsys):
    assert cli.main(["--root", str(tmp_path), "check"]) == cli.EXIT_FAILED
    err = capsys.readouterr().err
    assert "not a course folder" in err and "--root" in err


def test_an_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit:
        cli.main(["publish"])
    assert exit.value.code == cli.EXIT_USAGE
