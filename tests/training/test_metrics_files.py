"""Tests for linearnets.training.metrics_files: what a rewrite keeps of the old files, and why."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from linearnets.errors import RunFileError
from linearnets.training.metrics_files import KeptMetrics, MetricsWriter, metrics_disagreements

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


def test_other_epochs_are_told_as_metrics_disagreements_tells_them(tmp_path: Path) -> None:
    """Rows of other epochs (a row past the checkpoint): a resume for more epochs, which has no
    metrics_disagreements of its own to say, kept the file with no word of why."""
    writer = _written(tmp_path)
    kept = writer.keep_old(ROWS[:2])
    wrong = "held 3 epoch rows where the checkpoint's history holds 2 epoch rows"
    assert kept["metrics.csv"] == KeptMetrics(backup="metrics.csv.bak", link=None, wrong=wrong)
    assert kept["metrics.csv"].said("metrics.csv") == (
        f"metrics.csv {wrong}: the old metrics.csv is kept as metrics.csv.bak"
    )


def test_an_edited_row_and_a_row_past_the_checkpoint_are_both_told(tmp_path: Path) -> None:
    """Epoch 1's row edited and a row of epoch 3 past a 2-epoch checkpoint: only the edit was
    said."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(writer.csv.read_bytes().replace(b"1,1.0,", b"1,0.9,", 1))
    assert writer.keep_old(ROWS[:2])["metrics.csv"].said("metrics.csv") == (
        "metrics.csv held 3 epoch rows where the checkpoint's history holds 2 epoch rows, and "
        "its epoch 1 row differed from the checkpoint's history (train_loss 0.9 there, 1.0 in "
        "the history): the old metrics.csv is kept as metrics.csv.bak"
    )


def _jsonl_lines(writer: MetricsWriter) -> list[bytes]:
    return writer.jsonl.read_bytes().splitlines(keepends=True)


@pytest.mark.parametrize(
    ("spoil", "wrong"),
    [
        (
            lambda w: w.jsonl.write_bytes(b"junk\n" + w.jsonl.read_bytes()),
            "was damaged (line 1 is no row of metrics)",
        ),
        (
            lambda w: w.jsonl.write_bytes(b"".join([_jsonl_lines(w)[i] for i in (2, 0, 1)])),
            "held epochs 3, 1, 2, in another order than the checkpoint's history (1 to 3)",
        ),
        (
            lambda w: w.jsonl.write_bytes(b"".join([_jsonl_lines(w)[i] for i in (0, 2)])),
            "held 2 epoch rows where the checkpoint's history holds 3 epoch rows",
        ),
        (
            lambda w: w.jsonl.write_bytes(b"\xff\xfe\x00junk\n"),
            "could not be read (UnicodeDecodeError)",
        ),
        (
            lambda w: w.jsonl.write_bytes(
                w.jsonl.read_bytes().replace(b'"epoch": 1,', b'"epoch": 1.0,')
            ),
            "was damaged (line 1 is no row of metrics)",
        ),
    ],
)
def test_bad_metrics_jsonl_kept_is_told_why(
    tmp_path: Path, spoil: Callable[[MetricsWriter], object], wrong: str
) -> None:
    """A junk line, rows reordered or missing, bytes no UTF-8, an epoch 1.0: kept as .bak with
    no word of why on a resume for more epochs; told as metrics_disagreements tells them."""
    writer = _written(tmp_path)
    spoil(writer)
    assert metrics_disagreements(tmp_path, [1, 2, 3]) == {"metrics.jsonl": wrong}
    assert writer.keep_old(ROWS)["metrics.jsonl"].said("metrics.jsonl") == (
        f"metrics.jsonl {wrong}: the old metrics.jsonl is kept as metrics.jsonl.bak"
    )


def _compact_with_blank_lines(text: bytes) -> bytes:
    rows = [json.loads(line) for line in text.splitlines()]
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n\n" for r in rows)


@pytest.mark.parametrize(
    ("spoil", "kinds"),
    [
        (lambda b: b.replace(b"\n", b"\r\n"), "line endings"),
        (_compact_with_blank_lines, "spacing or number format"),
        (lambda b: b.replace(b"0.125", b"1.25e-01"), "spacing or number format"),
        (
            lambda b: b.replace(b"0.125", b"1.25e-01").replace(b"\n", b"\r\n"),
            "line endings, spacing or number format",
        ),
    ],
)
def test_metrics_jsonl_written_otherwise_is_told_as_differing_in_formatting_alone(
    tmp_path: Path, spoil: Callable[[bytes], bytes], kinds: str
) -> None:
    """metrics.jsonl with CRLF ends, compact with blank lines, or 0.125 written 1.25e-01: kept as
    .bak with no word of how it differed (its values all the history's)."""
    writer = _written(tmp_path)
    writer.jsonl.write_bytes(spoil(writer.jsonl.read_bytes()))
    assert writer.keep_old(ROWS)["metrics.jsonl"].said("metrics.jsonl") == (
        f"metrics.jsonl differed in its formatting alone ({kinds}): the old metrics.jsonl is "
        "kept as metrics.jsonl.bak"
    )


def test_a_metrics_jsonl_key_order_of_its_own_is_told_as_formatting(tmp_path: Path) -> None:
    writer = _written(tmp_path)
    rows = [dict(reversed(list(r.items()))) for r in ROWS]
    writer.jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows))
    assert writer.keep_old(ROWS)["metrics.jsonl"].why == (
        " differed in its formatting alone (key order)"
    )


def test_a_metrics_csv_number_written_otherwise_is_the_same_value(tmp_path: Path) -> None:
    """0.125 written 1.25e-01 in metrics.csv was said to differ from the history's 0.125: CSV
    cells are compared as numbers, as JSON values are."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(writer.csv.read_bytes().replace(b",0.125\r\n", b",1.25e-01\r\n"))
    assert writer.keep_old(ROWS)["metrics.csv"].why == (
        " differed in its formatting alone (spacing or number format)"
    )


NAN_ROWS = [
    {**ROWS[0], "train_loss": math.nan, "test_loss": None, "test_acc": None},
    ROWS[1],
]


@pytest.mark.parametrize(
    ("old", "new", "why"),
    [
        # NaN as Excel or pandas writes it: the same value as the writer's nan
        (b"1,nan,", b"1,NaN,", " differed in its formatting alone (spacing or number format)"),
        # an empty cell is no value (a None), not the NaN the history holds
        (
            b"1,nan,",
            b"1,,",
            "'s epoch 1 row differed from the checkpoint's history (train_loss none there, nan "
            "in the history)",
        ),
        (
            b",0.5,,,",
            b",0.5,nan,,",
            "'s epoch 1 row differed from the checkpoint's history (test_loss nan there, none "
            "in the history)",
        ),
    ],
)
def test_metrics_csv_nan_and_empty_cells_are_compared_as_values(
    tmp_path: Path, old: bytes, new: bytes, why: str
) -> None:
    writer = MetricsWriter(tmp_path)
    writer.rewrite(NAN_ROWS)
    assert writer.keep_old(NAN_ROWS) == {}  # nan == nan: as written, nothing kept
    text = writer.csv.read_bytes()
    assert old in text
    writer.csv.write_bytes(text.replace(old, new, 1))
    assert writer.keep_old(NAN_ROWS)["metrics.csv"].why == why


def test_an_edit_before_a_torn_last_line_is_told_too(tmp_path: Path) -> None:
    """metrics.csv's epoch 2 row edited and its last line torn: only "cut short" was said (by
    metrics_disagreements); the rows before the torn line are compared, the edit named."""
    writer = _written(tmp_path)
    text = writer.csv.read_bytes().replace(b"2,0.5,", b"2,0.9999,", 1)
    writer.csv.write_bytes(text[:-10])
    assert writer.keep_old(ROWS)["metrics.csv"].why == (
        "'s epoch 2 row differed from the checkpoint's history (train_loss 0.9999 there, 0.5 in "
        "the history)"
    )
    assert metrics_disagreements(tmp_path, [1, 2, 3]) == {
        "metrics.csv": "was cut short (its last line torn)"
    }


def test_every_differing_row_is_counted_and_a_column_told_beside_an_edit(
    tmp_path: Path,
) -> None:
    """Epochs 1 and 3 edited: only epoch 1's row was named."""
    writer = _written(tmp_path)
    text = writer.csv.read_bytes()
    text = text.replace(b"1,1.0,", b"1,0.9,").replace(b"3,0.3333333333333333,", b"3,0.9,")
    writer.csv.write_bytes(text)
    assert writer.keep_old(ROWS)["metrics.csv"].why == (
        "'s epoch 1 row differed from the checkpoint's history (train_loss 0.9 there, 1.0 in the "
        "history), as did 1 more row (epoch 3)"
    )
    writer.csv.write_bytes(b"".join(line + b",x\r\n" for line in text.splitlines()))
    assert writer.keep_old(ROWS)["metrics.csv"].why == (
        "'s epoch 1 row differed from the checkpoint's history (train_loss 0.9 there, 1.0 in the "
        "history), as did 1 more row (epoch 3), and it held a column of yours (x)"
    )


def test_a_metrics_csv_with_a_byte_order_mark_is_read_without_it(tmp_path: Path) -> None:
    """metrics.csv saved by Excel (a UTF-8 BOM first) was called damaged ("its header does not
    hold epoch,train_loss,... in that order"): read without the mark, it agrees; where it is
    written over anyway, the note says it held one."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(b"\xef\xbb\xbf" + writer.csv.read_bytes())
    assert metrics_disagreements(tmp_path, [1, 2, 3]) == {}
    assert writer.keep_old(ROWS)["metrics.csv"].why == (
        " differed in its formatting alone (a UTF-8 byte-order mark)"
    )


def test_a_resumed_fit_keeps_a_metrics_csv_with_a_byte_order_mark_unbacked(
    tmp_path: Path,
) -> None:
    """The fit's own resume read metrics.csv's header with the BOM in it: not this writer's, so
    the file was written again from metrics.jsonl, its old content kept as .bak."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(b"\xef\xbb\xbf" + writer.csv.read_bytes())
    writer.on_fit_start(num_epochs=3, start_epoch=2)
    assert not (tmp_path / "metrics.csv.bak").exists()
    assert writer.csv.read_bytes() == MetricsWriter(tmp_path)._texts(ROWS[:2])[writer.csv].encode()


def _edited_csv(tmp_path: Path, rows: list[dict[str, Any]], edited: set[int]) -> MetricsWriter:
    tmp_path.mkdir(exist_ok=True)
    writer = MetricsWriter(tmp_path)
    writer.rewrite(rows)
    lines = writer.csv.read_bytes().splitlines(keepends=True)
    for e in edited:
        lines[e] = lines[e].replace(b",0.5,", b",0.9,", 1)
    writer.csv.write_bytes(b"".join(lines))
    return writer


def test_many_edited_rows_are_told_as_a_span_not_listed(tmp_path: Path) -> None:
    """200 rows edited: the note listed every epoch (a 2,342-character line)."""
    rows = [{**ROWS[0], "epoch": e} for e in range(1, 201)]
    writer = _edited_csv(tmp_path, rows, set(range(1, 201)))
    assert writer.keep_old(rows)["metrics.csv"].why == (
        "'s epoch 1 row differed from the checkpoint's history (train_acc 0.9 there, 0.5 in the "
        "history), as did 199 more rows (epochs 2 to 200)"
    )
    writer = _edited_csv(tmp_path / "odd", rows, set(range(1, 201, 2)))
    assert writer.keep_old(rows)["metrics.csv"].why == (
        "'s epoch 1 row differed from the checkpoint's history (train_acc 0.9 there, 0.5 in the "
        "history), as did 99 more rows (epochs 3, 5, 7, 9, 11, …, 199 (99 epochs))"
    )


def test_a_long_differing_value_is_cut_short_in_the_note(tmp_path: Path) -> None:
    """A 100,000-character cell was copied into the note whole (a 100,289-character line)."""
    writer = _written(tmp_path)
    writer.csv.write_bytes(
        writer.csv.read_bytes().replace(b"1,1.0,", b"1," + b"7" * 100_000 + b",", 1)
    )
    said = writer.keep_old(ROWS)["metrics.csv"].said("metrics.csv")
    assert said == (
        "metrics.csv's epoch 1 row differed from the checkpoint's history (train_loss "
        f"'{'7' * 30}…' (100000 characters) there, 1.0 in the history): the old metrics.csv is "
        "kept as metrics.csv.bak"
    )


def test_bad_metrics_jsonl_nested_past_the_recursion_limit_is_damaged(tmp_path: Path) -> None:
    """A key nested 100,000 deep: the resume crashed with an unexpected RecursionError."""
    writer = _written(tmp_path)
    deep = b'{"epoch": 1, "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    writer.jsonl.write_bytes(deep + b"".join(_jsonl_lines(writer)[1:]))
    assert metrics_disagreements(tmp_path, [1, 2, 3]) == {
        "metrics.jsonl": "was damaged (line 1 is no row of metrics)"
    }
    assert writer.keep_old(ROWS)["metrics.jsonl"].said("metrics.jsonl") == (
        "metrics.jsonl was damaged (line 1 is no row of metrics): the old metrics.jsonl is kept "
        "as metrics.jsonl.bak"
    )
    with pytest.raises(
        RunFileError, match=r"metrics\.jsonl.*line 1 is no row of metrics \(RecursionError"
    ):
        writer.on_fit_start(num_epochs=3, start_epoch=2)


def test_a_metrics_jsonl_with_a_byte_order_mark_is_read_without_it(tmp_path: Path) -> None:
    """metrics.jsonl with a UTF-8 BOM first was called damaged ("line 1 is no row of metrics")
    where metrics.csv's was formatting alone."""
    writer = _written(tmp_path)
    writer.jsonl.write_bytes(b"\xef\xbb\xbf" + writer.jsonl.read_bytes())
    assert metrics_disagreements(tmp_path, [1, 2, 3]) == {}
    assert writer.keep_old(ROWS)["metrics.jsonl"].why == (
        " differed in its formatting alone (a UTF-8 byte-order mark)"
    )
    writer.on_fit_start(num_epochs=3, start_epoch=2)  # the fit's own resume reads it too
    assert (
        writer.jsonl.read_bytes() == MetricsWriter(tmp_path)._texts(ROWS[:2])[writer.jsonl].encode()
    )
