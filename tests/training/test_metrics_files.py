"""Tests for linearnets.training.metrics_files: what a rewrite keeps of the old files, and why."""

from __future__ import annotations

from pathlib import Path

from linearnets.training.metrics_files import KeptMetrics, MetricsWriter

ROWS = [
    {
        "epoch": e,
        "train_loss": 1.0 / e,
        "train_acc": 0.5,
        "test_loss": 0.25,
        "test_acc": 0.75,
        "seconds": 0.125 * e,
    }
    for e in (1, 2, 3)
]


def _written(tmp_path: Path) -> MetricsWriter:
    writer = MetricsWriter(tmp_path)
    writer.rewrite(ROWS)
    return writer


def test_a_row_edited_in_metrics_csv_is_kept_with_the_row_and_value_that_differ(
    tmp_path: Path,
) -> None:
    """A value edited in metrics.csv was kept as metrics.csv.bak with no word of why: the note
    names the row, the column and both values."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(writer.csv.read_bytes().replace(b"0.5,", b"0.9999,", 1))
    kept = writer.keep_old(ROWS)
    assert kept == {
        "metrics.csv": KeptMetrics(
            backup="metrics.csv.bak",
            link=None,
            why="'s epoch 1 row differed from the checkpoint's history (train_acc 0.9999 "
            "there, 0.5 in the history)",
        )
    }
    assert kept["metrics.csv"].said("metrics.csv") == (
        "metrics.csv's epoch 1 row differed from the checkpoint's history (train_acc 0.9999 "
        "there, 0.5 in the history): the old metrics.csv is kept as metrics.csv.bak"
    )


def test_a_value_edited_in_metrics_jsonl_is_told_with_its_row(tmp_path: Path) -> None:
    writer = _written(tmp_path)
    writer.jsonl.write_text(
        writer.jsonl.read_text().replace('"test_acc": 0.75', '"test_acc": 1', 1)
    )
    kept = writer.keep_old(ROWS)
    assert kept["metrics.jsonl"].said("metrics.jsonl") == (
        "metrics.jsonl's epoch 1 row differed from the checkpoint's history (test_acc 1 there, "
        "0.75 in the history): the old metrics.jsonl is kept as metrics.jsonl.bak"
    )
    assert "metrics.csv" not in kept


def test_a_row_differing_only_in_its_seconds_is_told_as_differing_not_damaged(
    tmp_path: Path,
) -> None:
    """The timing column is the history's own (a resume writes the checkpoint's seconds, not its
    own): a file that differs there alone was written over, kept, and is told so, as a
    difference, never as damage."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(writer.csv.read_bytes().replace(b",0.25\r\n", b",0.3\r\n"))
    said = writer.keep_old(ROWS)["metrics.csv"].said("metrics.csv")
    assert said == (
        "metrics.csv's epoch 2 row differed from the checkpoint's history (seconds 0.3 there, "
        "0.25 in the history): the old metrics.csv is kept as metrics.csv.bak"
    )
    assert "damaged" not in said


def test_a_column_of_yours_is_told_as_yours(tmp_path: Path) -> None:
    writer = _written(tmp_path)
    lines = writer.csv.read_bytes().splitlines()
    writer.csv.write_bytes(b"".join(line + b",x\r\n" for line in lines))
    assert writer.keep_old(ROWS)["metrics.csv"].why == " held a column of yours (x)"


def test_unchanged_files_or_a_start_of_them_are_not_kept(tmp_path: Path) -> None:
    writer = _written(tmp_path)
    assert writer.keep_old(ROWS) == {}
    writer.csv.write_bytes(writer.csv.read_bytes()[:-7])  # its last row torn: nothing lost
    assert writer.keep_old(ROWS) == {}


def test_other_epochs_are_left_to_metrics_disagreements_to_tell(tmp_path: Path) -> None:
    """Rows of other epochs (told by metrics_disagreements, a row past the checkpoint): no why
    here, which would tell them twice."""
    writer = _written(tmp_path)
    kept = writer.keep_old(ROWS[:2])
    assert kept["metrics.csv"] == KeptMetrics(backup="metrics.csv.bak", link=None)
    assert (
        kept["metrics.csv"].said("metrics.csv") == "the old metrics.csv is kept as metrics.csv.bak"
    )
