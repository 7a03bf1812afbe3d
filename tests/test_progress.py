"""Where progress shows: a bar where a person watches, printed lines elsewhere, and
never anything on stderr while nbgrader runs a notebook."""

import sys

import pytest

from course_lib import progress


@pytest.fixture
def nowhere(monkeypatch):
    """No kernel, no terminal, no setting: as under pytest or in a log."""
    monkeypatch.delenv("COURSE_LIB_PROGRESS", raising=False)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setattr(progress, "in_live_kernel", lambda: False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)


def test_a_live_kernel_or_a_terminal_shows_bars(nowhere, monkeypatch):
    assert not progress.bars_shown()
    monkeypatch.setattr(progress, "in_live_kernel", lambda: True)
    assert progress.bars_shown()
    monkeypatch.setattr(progress, "in_live_kernel", lambda: False)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert progress.bars_shown()


def test_nbgrader_execution_shows_no_bar_even_in_a_terminal(nowhere, monkeypatch):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert not progress.bars_shown()


def test_the_setting_wins(nowhere, monkeypatch):
    monkeypatch.setenv("COURSE_LIB_PROGRESS", "1")
    assert progress.bars_shown()
    monkeypatch.setattr(progress, "in_live_kernel", lambda: True)
    monkeypatch.setenv("COURSE_LIB_PROGRESS", "0")
    assert not progress.bars_shown()


def test_without_a_bar_notes_are_printed_lines_on_stdout(nowhere, capsys):
    with progress.Progress(3, "Training") as bar:
        for t in range(3):
            bar.step()
            bar.note(f"(Iteration {t + 1} / 3) loss: 0.5", loss=0.5)
    out, err = capsys.readouterr()
    assert out.splitlines() == [f"(Iteration {t} / 3) loss: 0.5" for t in (1, 2, 3)]
    assert err == ""


def test_with_a_bar_notes_go_beside_it_not_into_the_output(
    nowhere, monkeypatch, capsys
):
    monkeypatch.setenv("COURSE_LIB_PROGRESS", "1")
    with progress.Progress(2, "Training") as bar:
        bar.step()
        bar.note("(Iteration 1 / 2) loss: 0.25", loss=0.25)
        assert bar.bar.n == 1
        assert bar.bar.postfix == "loss=0.25"
    assert "(Iteration" not in capsys.readouterr().out


def test_verbose_false_is_silent(nowhere, capsys):
    with progress.Progress(2, "Training", verbose=False) as bar:
        bar.note("(Iteration 1 / 2) loss: 0.25", loss=0.25)
    assert capsys.readouterr() == ("", "")


def test_a_solver_under_nbgrader_writes_nothing_to_stderr(nowhere, monkeypatch, capsys):
    from test_captioning_solver import QuadraticModel, tiny_data

    from course_lib.captioning_solver import CaptioningSolver

    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    solver = CaptioningSolver(
        QuadraticModel(), tiny_data(12), batch_size=2, num_epochs=1, print_every=2
    )
    solver.train()
    out, err = capsys.readouterr()
    assert err == ""
    assert out.count("(Iteration") == 3
