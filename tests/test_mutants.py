"""Mutation testing of the hidden tests: the catalog and `course mutants`."""

import shutil
from pathlib import Path

import pytest

from course_lib.tooling import build, mutants

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def catalog():
    return mutants.load_catalog()


def test_the_catalog_parses_and_is_large_enough(catalog):
    kinds = [e.kind for e in catalog.entries]
    assert kinds.count("mutant") >= 60
    assert kinds.count("alternative") >= 15
    notebooks = {e.notebook for e in catalog.entries}
    assert {"RNN_Captioning.ipynb", "LSTM_Captioning.ipynb", "Transformer_Captioning.ipynb",
            "Generative_Adversarial_Networks.ipynb"} <= notebooks


def test_every_edit_applies_to_its_reference_cell(catalog):
    course = build.Course(ROOT)
    skipped = mutants.check_catalog(course, catalog)  # raises if one does not apply
    # Only a notebook still being written (template, no source notebook) is skipped.
    assert skipped <= {"Network_Visualization.ipynb"}


def test_an_edit_that_no_longer_applies_is_an_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[mutant]]\nname = "gone"\nnotebook = "RNN_Captioning.ipynb"\n'
        'cell = "code_rnn_step_forward"\nold = "np.sigmoid(a)"\nnew = "a"\n'
        'why = "x"\ncosts = ["test_rnn_step_forward"]\n'
    )
    with pytest.raises(mutants.CatalogError, match="mutant-gone.*np.sigmoid"):
        mutants.check_catalog(build.Course(ROOT), mutants.load_catalog(bad))


def test_a_mutant_without_tags_is_an_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[[mutant]]\nname = "untagged"\nnotebook = "RNN_Captioning.ipynb"\n'
        'cell = "code_rnn_step_forward"\nold = "np.tanh(a)"\nnew = "a"\nwhy = "x"\n'
    )
    with pytest.raises(mutants.CatalogError, match="costs"):
        mutants.load_catalog(bad)


def test_verdicts(catalog):
    entry = mutants.Entry("mutant", "m", "RNN_Captioning.ipynb", "code_rnn_step_backward",
                          (), "x", ("test_rnn_step_backward",))
    cells = lambda **lost: {"RNN_Captioning.ipynb": {  # noqa: E731
        "test_rnn_step_backward": (lost.get("bwd", 3.0), 3.0, ""),
        "test_rnn_forward": (lost.get("fwd", 2.0), 2.0, ""),
        "test_overfit": (lost.get("overfit", 2.0), 2.0, ""),
    }}
    assert mutants.judge(catalog, entry, cells(bwd=1.0)).status == "killed"
    assert mutants.judge(catalog, entry, cells(bwd=1.0, overfit=0.0)).status == "killed"
    assert mutants.judge(catalog, entry, cells()).status == "survived"
    assert mutants.judge(catalog, entry, cells(bwd=1.0, fwd=0.0)).status == "misattributed"
    assert mutants.judge(catalog, entry, None).status == "error"


def test_a_carried_over_cell_may_cost_the_training_it_feeds(catalog):
    """The LSTM notebook trains with the RNN notebook's loss: breaking that loss may
    cost the LSTM overfit, and nothing else unexpected."""
    entry = mutants.Entry("mutant", "m", "RNN_Captioning.ipynb", "code_CaptioningRNN_loss",
                          (), "x", ("test_captioning_lstm",))
    lost = {
        "RNN_Captioning.ipynb": {"test_overfit": (2.0, 2.0, "")},
        "LSTM_Captioning.ipynb": {
            "test_captioning_lstm": (0.0, 3.0, ""),
            "test_lstm_overfit": (0.0, 2.0, ""),
            "test_lstm_forward": (2.0, 2.0, ""),
        },
    }
    assert mutants.judge(catalog, entry, lost).status == "killed"
    lost["LSTM_Captioning.ipynb"]["test_lstm_forward"] = (0.0, 2.0, "")
    assert mutants.judge(catalog, entry, lost).status == "misattributed"


def test_a_training_cell_fed_by_an_unknown_cell_is_an_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[training."LSTM_Captioning.ipynb".test_lstm_overfit]\n'
        'trained_with = ["RNN_Captioning.ipynb:code_no_such_cell"]\n'
    )
    with pytest.raises(mutants.CatalogError, match="code_no_such_cell"):
        mutants.check_catalog(build.Course(ROOT), mutants.load_catalog(bad))


SLOW_NOTEBOOKS = ("Network_Visualization.ipynb",)  # SqueezeNet: ~40 s an entry


def _fast_run(tmp_path, entries):
    skipped = mutants.unbuilt(build.Course(ROOT), mutants.load_catalog())
    entries = [e for e in entries if e.notebook not in skipped]
    if not entries:
        pytest.skip(f"{', '.join(skipped)} not built yet")
    report = tmp_path / "mutants-fast.md"
    verdicts, _ = mutants.run(ROOT, only=[e.name for e in entries], fast=True, report=report)
    unexplained = {}
    for v in verdicts:
        if v.ok:
            continue
        allowed = mutants.load_catalog().allowed(v.entry) if v.entry.kind == "mutant" else set()
        stray = set(v.lost) - allowed
        killed = v.entry.kind == "mutant" and set(v.lost) & set(v.entry.costs)
        if stray or (v.entry.kind == "mutant" and not killed):
            unexplained[v.entry.student] = (v.status, v.lost)
    assert not unexplained, unexplained
    assert report.read_text().count("| `") == len(verdicts)


def test_fast_run_over_the_catalog(tmp_path, catalog):
    """The fast subset: every entry but the slow notebooks', graded in-process."""
    _fast_run(tmp_path, [e for e in catalog.entries if e.notebook not in SLOW_NOTEBOOKS])


@pytest.mark.slow
def test_fast_run_over_the_slow_notebooks(tmp_path, catalog):
    _fast_run(tmp_path, [e for e in catalog.entries if e.notebook in SLOW_NOTEBOOKS])


@pytest.mark.slow
def test_nbgrader_path_on_a_few_entries(tmp_path):
    """Three entries graded end to end by nbgrader, in two scratch courses side by
    side."""
    names = ["attention-no-scale", "d-loss-labels-swapped", "g-loss-softplus"]
    report = tmp_path / "mutants.md"
    verdicts, code = mutants.run(
        ROOT, only=names, report=report, keep=tmp_path / "course", jobs=2
    )
    assert {v.entry.name: v.status for v in verdicts} == {
        "attention-no-scale": "killed",
        "d-loss-labels-swapped": "killed",
        "g-loss-softplus": "full marks",
    }
    assert code == 0
    assert "(part 1 of 2)" in report.read_text() and "(part 2 of 2)" in report.read_text()
    assert not (ROOT / "submitted" / "mutant-attention-no-scale").exists()
    shutil.rmtree(tmp_path / "course", ignore_errors=True)
