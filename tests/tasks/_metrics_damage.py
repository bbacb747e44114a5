"""The ways a finished run's metrics files are found damaged, shared by the softmax and the
linear-regression resume tests: each damage done to a run folder, and the words its note says."""

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


def _said(rewritten: str, why: str) -> str:
    return f"wrote {rewritten} in {{out}} again from its checkpoint.pt's history (2 epochs): {why}"


# name -> (the damage done to a 2-epoch run's folder, the resume's note, {out} its folder)
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
        _said("metrics.jsonl", "metrics.jsonl was cut short (its last line torn)"),
    ),
    "csv-torn": (
        lambda out: _torn(out / "metrics.csv", 5),
        _said("metrics.csv", "metrics.csv was cut short (its last line torn)"),
    ),
    "csv-header-only": (
        lambda out: _first_line(out / "metrics.csv"),
        _said(
            "metrics.csv",
            "metrics.csv held no epoch row where the checkpoint's history holds 2 epoch rows",
        ),
    ),
}
