"""The ways a finished run's metrics files are found damaged, shared by the softmax and the
linear-regression resume tests: each damage done to a run folder, and the words its note says
(and those of a lost config.json written again)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def _removed(out: Path) -> None:
    (out / "metrics.jsonl").unlink()
    (out / "metrics.csv").unlink()


def _emptied(out: Path) -> None:
    (out / "metrics.jsonl").write_bytes(b"")


def _first_line(path: Path) -> None:
    text = path.read_bytes()
    path.write_bytes(text[: text.index(b"\n") + 1])


def _torn(path: Path, cut: int) -> None:
    path.write_bytes(path.read_bytes()[:-cut])


def _reversed(out: Path) -> None:
    path = out / "metrics.jsonl"
    path.write_bytes(b"".join(reversed(path.read_bytes().splitlines(keepends=True))))


def _noted(path: Path) -> None:
    """Add a column ``note`` of the user's to ``metrics.csv`` at ``path``."""
    lines = path.read_bytes().splitlines(keepends=True)
    cells = [b"note", *(b"seen" for _ in lines[1:])]
    path.write_bytes(
        b"".join(line[:-2] + b"," + c + b"\r\n" for line, c in zip(lines, cells, strict=True))
    )


def _noted_and_truncated(out: Path) -> None:
    _noted(out / "metrics.csv")
    _first_line(out / "metrics.jsonl")


def _linked_torn(out: Path) -> None:
    (out / "metrics.csv").rename(out / "elsewhere.csv")
    _torn(out / "elsewhere.csv", 5)
    (out / "metrics.csv").symlink_to(out / "elsewhere.csv")


def _said(rewritten: str, why: str) -> str:
    return f"wrote {rewritten} in {{out}} again from its checkpoint.pt's history (2 epochs): {why}"


# name -> (the damage done to a 2-epoch run's folder, the resume's note, {out} its folder); a
# file that is a start of the rewrite (rows missing or torn at the end) loses nothing: no backup
DAMAGES: dict[str, tuple[Callable[[Path], None], str]] = {
    "missing": (
        _removed,
        _said(
            "metrics.jsonl and metrics.csv",
            "metrics.jsonl was missing; metrics.csv was missing",
        ),
    ),
    "empty": (
        _emptied,
        _said(
            "metrics.jsonl",
            "metrics.jsonl was empty where the checkpoint's history holds 2 epoch rows",
        ),
    ),
    "truncated": (
        lambda out: _first_line(out / "metrics.jsonl"),
        _said(
            "metrics.jsonl",
            "metrics.jsonl held 1 epoch row where the checkpoint's history holds 2 epoch rows",
        ),
    ),
    "torn": (
        lambda out: _torn(out / "metrics.jsonl", 20),
        _said(
            "metrics.jsonl",
            "metrics.jsonl was cut short (its last line torn)",
        ),
    ),
    "csv-torn": (
        lambda out: _torn(out / "metrics.csv", 5),
        _said(
            "metrics.csv",
            "metrics.csv was cut short (its last line torn)",
        ),
    ),
    "csv-header-only": (
        lambda out: _first_line(out / "metrics.csv"),
        _said(
            "metrics.csv",
            "metrics.csv held no epoch row where the checkpoint's history holds 2 epoch rows",
        ),
    ),
    # rows of epochs 1 and 2 in another order: said so, not "not those of epochs 1, 2"
    "reversed": (
        _reversed,
        _said(
            "metrics.jsonl",
            "metrics.jsonl held epochs 2, 1, in another order than the checkpoint's history "
            "(1, 2): the old metrics.jsonl is kept as metrics.jsonl.bak",
        ),
    ),
    # a column of the user's is no damage (as a key of theirs in metrics.jsonl is not), but the
    # rewrite for the other file drops it: the old file is kept
    "csv-column-kept": (
        _noted_and_truncated,
        _said(
            "metrics.jsonl and metrics.csv",
            "metrics.jsonl held 1 epoch row where the checkpoint's history holds 2 epoch rows; "
            "metrics.csv held a column of yours (note): the old metrics.csv is kept as "
            "metrics.csv.bak",
        ),
    ),
    # a link to no file was said "was missing"; one to a damaged file replaced without a word
    "dangling-link": (
        lambda out: (
            (out / "metrics.csv").unlink() or (out / "metrics.csv").symlink_to(out / "gone")
        ),
        _said(
            "metrics.csv",
            "metrics.csv was a link to a missing file ({out}/gone); it is now a file of its own",
        ),
    ),
    "link-to-torn": (
        _linked_torn,
        _said(
            "metrics.csv",
            "metrics.csv was cut short (its last line torn); metrics.csv was a link to "
            "{out}/elsewhere.csv, which is left as it was; it is now a file of its own",
        ),
    ),
}


# the note of a plain resume that wrote a lost config.json again ({out} its folder)
CONFIG_REWRITTEN = (
    "wrote config.json in {out} again from its checkpoint.pt's settings: config.json was missing "
    "(the record of earlier resumes and any notes of yours it held are lost with it)"
)
