"""A run folder's metrics files: each epoch's row appended to ``metrics.jsonl`` and ``metrics.csv``.

A callback (:class:`MetricsWriter`); a resume truncates both files to the epochs it keeps. The other
callbacks are :mod:`linearnets.training.callbacks`'s. See D2L §3.6.6.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linearnets._json import dumps_strict
from linearnets._text import counted, cut_text, printable
from linearnets._warn import warn
from linearnets.training.callback_base import Callback
from linearnets.training.callback_folder import check_callback_folder
from linearnets.training.checkpoint_write import run_file_error, write_text_atomic
from linearnets.training.history import EpochMetrics

__all__ = ["KeptMetrics", "MetricsWriter", "backup_copy", "metrics_disagreements"]

# the byte-order mark Excel writes first in a CSV it saves as UTF-8: no part of the header (an
# editor may write one first in metrics.jsonl too: no part of its first row)
_BOM = "\ufeff"

# JSON nested past Python's recursion limit (``[[[...]]]``): json.loads raises RecursionError, no
# ValueError; a line of it is no row of metrics, as other junk is
_NO_ROW = (ValueError, KeyError, TypeError, RecursionError)

# a value of a row told in a note, past this many characters, cut (with its length)
_CELL_MOST = 40


class MetricsWriter(Callback):
    """Append each epoch's metrics to ``metrics.jsonl`` and ``metrics.csv`` in ``run_dir``.

    Resuming a run truncates both files to the epochs already done, so they never hold an epoch twice.
    A file that cannot be written raises :class:`~linearnets.errors.RunFileError` naming it; a
    ``run_dir`` that is no folder as ``fit`` starts, a :class:`~linearnets.errors.UsageError`
    (create it first: ``Path(run_dir).mkdir(parents=True)``).
    """

    FIELDS = ("epoch", "train_loss", "train_acc", "test_loss", "test_acc", "seconds")

    def __init__(self, run_dir: str | os.PathLike[str]) -> None:
        self.jsonl = Path(run_dir) / "metrics.jsonl"
        self.csv = Path(run_dir) / "metrics.csv"

    def on_fit_start(self, *, num_epochs: int, start_epoch: int) -> None:
        check_callback_folder("MetricsWriter", self.jsonl.parent)
        rows = []
        if start_epoch and self.jsonl.exists():
            rows = self._kept_rows(start_epoch)
            self._warn_gap(rows, start_epoch)
        # the CSV's own kept rows, where it holds those epochs: JSON writes a NaN or inf loss as
        # null, which the CSV would then write as an empty cell (no value), not the nan it held
        kept = self._csv_rows(start_epoch) if start_epoch else None
        if kept is not None and [r["epoch"] for r in kept] == [str(r["epoch"]) for r in rows]:
            write_text_atomic(self.jsonl, "".join(dumps_strict(r) + "\n" for r in rows))
            write_text_atomic(self.csv, self._csv_text(kept, header=True))
            return
        self.rewrite(rows)

    def _warn_gap(self, rows: list[dict[str, Any]], start_epoch: int) -> None:
        """Warn of the epochs 1 to ``start_epoch`` that ``rows`` (the kept ones) lack: an epoch
        whose ``test_iter`` pass was refused stays in the error's ``history`` (its test metrics
        ``None``) but reached no callback, so a resume after it went from row 1 to row 3."""
        missing = sorted(set(range(1, start_epoch + 1)) - {r.get("epoch") for r in rows})
        if not missing:
            return
        epochs = ", ".join(map(str, missing))
        one = len(missing) == 1
        warn(
            f"MetricsWriter: {self.jsonl} holds no row of epoch{'' if one else 's'} {epochs}, "
            f"which fit(start_epoch={start_epoch}) goes on after, so the files skip "
            f"{'it' if one else 'them'}: an epoch whose test_iter pass was refused is kept in "
            "the error's history (its test metrics None) but reaches no callback; its train "
            "metrics are in history.epochs, to write by hand if you need the row"
        )

    def _kept_rows(self, last_epoch: int) -> list[dict[str, Any]]:
        """Return ``metrics.jsonl``'s rows of epochs 1 to ``last_epoch``.

        Raises:
            RunFileError: it cannot be read (a folder in its place), or a line is no row of
                metrics: named with its line, where a bare ``JSONDecodeError`` or ``KeyError``
                named no file (the fix: mend it, or move it aside to write it anew).
        """
        try:
            # an editor's UTF-8 byte-order mark first: no part of the first row
            lines = self.jsonl.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise run_file_error(self.jsonl, exc, read=True) from exc
        rows = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                kept = row["epoch"] <= last_epoch
            except _NO_ROW as exc:
                said = f"line {number} is no row of metrics ({type(exc).__name__}: {exc})"
                raise run_file_error(self.jsonl, ValueError(said), read=True) from exc
            others = sorted(set(row) - set(self.FIELDS))  # the CSV's columns take no others
            if others:
                said = (
                    f"line {number} is no row of metrics ({', '.join(map(repr, others))}: none "
                    f"of {', '.join(self.FIELDS)})"
                )
                raise run_file_error(self.jsonl, ValueError(said), read=True)
            if kept:
                rows.append(row)
        return rows

    def _csv_rows(self, last_epoch: int) -> list[dict[str, Any]] | None:
        """Return ``metrics.csv``'s rows of epochs 1 to ``last_epoch`` as written (strings), or
        ``None`` where it is missing or not this writer's (another header, an unreadable row)."""
        try:
            # Excel saves a UTF-8 CSV with a byte-order mark first: no part of the header
            with self.csv.open(encoding="utf-8-sig", newline="") as f:
                reader = csv.DictReader(f)
                if tuple(reader.fieldnames or ()) != self.FIELDS:
                    return None
                rows = [r for r in reader if int(r["epoch"]) <= last_epoch]
        except (OSError, ValueError, TypeError, csv.Error):
            return None
        ragged = any(None in r or None in r.values() for r in rows)  # a row cut short or too long
        return None if ragged else rows

    def rewrite(self, rows: list[dict[str, Any]]) -> dict[str, KeptMetrics]:
        """Replace both files with ``rows`` (one dict of :attr:`FIELDS` per epoch), atomically.

        A crash or a full disk leaves each file whole, as it was or as it is meant to be. A file
        whose content differs from what is written (a column or key of yours, rows of other epochs)
        is kept first (:meth:`keep_old`); a link is replaced by a file of its own.

        Returns:
            :meth:`keep_old`'s: file name -> what was kept of it, for the caller's note.
        """
        kept = self.keep_old(rows)
        for path, text in self._texts(rows).items():
            write_text_atomic(path, text)
        return kept

    def keep_old(self, rows: list[dict[str, Any]]) -> dict[str, KeptMetrics]:
        """Copy each file whose content differs from ``rows``' to ``NAME.bak`` (``NAME.bak.1``,
        ... where taken; none where a backup holds that content already, or where the content is
        a start of ``rows``' text: rows missing or torn at the end), before a rewrite. A
        link is not copied: the rewrite replaces the link, leaving the file it named as it was.

        Returns:
            File name -> :class:`KeptMetrics` (the backup's name, the link it was), for each file
            kept or a link: the rewrite replaces a link by a file of its own.
        """
        kept = {}
        for path, text in self._texts(rows).items():
            link = os.readlink(path) if path.is_symlink() else None
            try:
                old = path.read_bytes()
            except OSError:  # missing, a dangling link, unreadable: nothing to keep
                old = None
            backup = None  # a link's file is left as it was: nothing to keep; an empty one neither
            # a start of the new text (a kill right after the checkpoint's save: a row short, or
            # torn mid-append) holds nothing the rewrite loses: no backup, no note
            why = wrong = None
            if link is None and old and not text.encode("utf-8").startswith(old):
                backup = backup_copy(path, old)
                why = _row_difference(path.name, old, text)
                # rows of other epochs, damage: told as metrics_disagreements tells them (but
                # where rows are none, a start over, which compares with no checkpoint)
                epochs = [r["epoch"] for r in rows]
                wrong = _disagreement(path.name, old, epochs) if epochs else None
            if backup is not None or link is not None:
                kept[path.name] = KeptMetrics(
                    backup=backup,
                    link=link,
                    link_missing=link is not None and old is None,
                    why=why,
                    wrong=wrong,
                )
        return kept

    def _texts(self, rows: list[dict[str, Any]]) -> dict[Path, str]:
        """Return each file's whole text for ``rows``."""
        return {
            self.jsonl: "".join(dumps_strict(r) + "\n" for r in rows),
            self.csv: self._csv_text(rows, header=True),
        }

    def on_epoch_end(self, *, metrics: EpochMetrics) -> None:
        row = metrics.as_dict()
        self._append(self.jsonl, dumps_strict(row) + "\n")
        self._append(self.csv, self._csv_text([row], header=False))

    def _csv_text(self, rows: list[dict[str, Any]], *, header: bool) -> str:
        """Return ``rows`` as CSV lines (``\\r\\n``-terminated, as :mod:`csv` writes them)."""
        text = io.StringIO()
        writer = csv.DictWriter(text, fieldnames=self.FIELDS)
        if header:
            writer.writeheader()
        writer.writerows(rows)
        return text.getvalue()

    @staticmethod
    def _append(path: Path, text: str) -> None:
        """Append ``text`` to ``path``; a failure (a full disk, say) names the file."""
        try:
            with path.open("a", newline="") as f:
                f.write(text)
        except OSError as exc:  # raised at the write or only at the close's flush: both named
            raise run_file_error(path, exc) from exc


@dataclass(frozen=True)
class KeptMetrics:
    """What a rewrite kept of a metrics file: ``backup``, the name its old content is kept
    under (``None``: none kept); ``link``, where the file linked to (``None``: no link; the file
    there is left as it was), a missing file where ``link_missing``; ``why``, how the kept
    content differed from the rows written in the epochs both hold (its rows edited, a column
    of yours, its formatting alone), in the words of "metrics.csv ..." (``None``: other epochs
    alone, or damage); ``wrong``, what keeps the kept content from holding one whole row of each
    epoch written, as :func:`metrics_disagreements` tells it (``held 4 epoch rows where ...``,
    ``was damaged (...)``; ``None``: nothing)."""

    backup: str | None
    link: str | None
    link_missing: bool = False
    why: str | None = None
    wrong: str | None = None

    def said(self, name: str) -> str:
        """Return this in words, of file ``name``: ``the old metrics.csv is kept as
        metrics.csv.bak`` (after why, where known: ``metrics.csv's epoch 2 row differed from
        the checkpoint's history (train_loss 0.9999 there, 0.57 in the history): the old
        ...``), ``metrics.csv was a link to X, which is left as it was; it is now a file of
        its own``; with ``wrong`` first: ``metrics.csv held 4 epoch rows where the checkpoint's
        history holds 3 epoch rows, and its epoch 2 row differed ...``."""
        if self.link is None:
            why = _joined(name, self.wrong, self.why)
            return f"{why + ': ' if why else ''}the old {name} is kept as {self.backup}"
        to = f"a missing file ({self.link})" if self.link_missing else self.link
        left = "" if self.link_missing else ", which is left as it was"
        return f"{name} was a link to {to}{left}; it is now a file of its own"


def _joined(name: str, wrong: str | None, why: str | None) -> str:
    """Return ``wrong`` and ``why`` (:class:`KeptMetrics`'s) of file ``name`` in one clause:
    ``metrics.csv held 4 epoch rows where the checkpoint's history holds 3 epoch rows, and its
    epoch 2 row differed ...``; either alone; ``""`` where neither is known."""
    if not wrong:
        return f"{name}{why}" if why else ""
    if not why:
        return f"{name} {wrong}"
    rest = f"its{why[2:]}" if why.startswith("'s") else f"it{why}"  # "'s epoch 2" -> "its epoch 2"
    return f"{name} {wrong}, and {rest}"


def _row_difference(name: str, old: bytes, text: str) -> str | None:
    """Return how ``old`` (a metrics file's content) differs from ``text`` (the rows written) in
    the rows both hold of the same epochs, in order, whole (those before a torn last line too):
    ``'s epoch 2 row differed from the checkpoint's history (train_loss 0.9999 there, 0.57 in
    the history)``, with ``, as did 1 more row (epoch 3)`` where more did; ``held a column of
    yours (note)``; where every value is the same (numbers compared as numbers: ``3.2e-02`` is
    ``0.032``), `` differed in its formatting alone (line endings)``. ``None`` where they hold
    other epochs or ``old`` is damaged (what :func:`metrics_disagreements` tells), or nothing
    of this differs (a torn or missing last row alone)."""
    csv_file = name.endswith(".csv")
    try:
        decoded = old.decode("utf-8")
    except UnicodeDecodeError:
        return None
    bom = decoded.startswith(_BOM)  # Excel saves one: read as metrics_disagreements reads it
    decoded = decoded[len(_BOM) :] if bom else decoded
    whole = decoded.endswith("\n")
    if not whole:  # its last line torn: the rows before it are compared
        decoded = decoded[: decoded.rfind("\n") + 1]
    try:
        was, now = _rows(name, decoded), _rows(name, text)
    except (*_NO_ROW, csv.Error):
        return None
    if was is None or now is None:
        return None
    # the rows of the epochs both hold, in order: those past the shorter's last are told by
    # metrics_disagreements (rows missing, or past the checkpoint's)
    pairs = list(zip(was, now, strict=False))
    try:
        if not all(_same(o["epoch"], n["epoch"], csv_file=csv_file) for o, n in pairs):
            return None
        said = _values_differing(pairs, csv_file=csv_file)
    except RecursionError:  # a value nested deep (compared as lists): no row of metrics
        return None
    theirs = "a column" if csv_file else "a key"
    others = list(dict.fromkeys(k for r in was for k in r if k not in MetricsWriter.FIELDS))
    if others:
        one = len(others) == 1
        yours = f"held {theirs}{'' if one else 's'} of yours ({', '.join(others)})"
        return f"{said}, and it {yours}" if said else f" {yours}"
    if said:
        return said
    kinds = (["a UTF-8 byte-order mark"] if bom else []) + _formatting(name, decoded, was, text)
    if not kinds:
        return None
    alone = " alone" if whole and len(was) == len(now) else ""
    return f" differed in its formatting{alone} ({', '.join(kinds)})"


def _values_differing(
    pairs: list[tuple[dict[str, Any], dict[str, Any]]], *, csv_file: bool
) -> str | None:
    """Return how the first of ``pairs`` (a file's row, the history's) whose values differ
    does, and how many more do: ``'s epoch 1 row differed from the checkpoint's history
    (train_loss 0.9 there, 0.5 in the history), as did 1 more row (epoch 3)``; ``None`` where
    none does."""
    differing = []
    for old_row, new_row in pairs:
        fields = [
            f
            for f in MetricsWriter.FIELDS
            if not _same(old_row.get(f), new_row.get(f), csv_file=csv_file)
        ]
        if fields:
            differing.append((old_row, new_row, fields[0]))
    if not differing:
        return None
    old_row, new_row, field = differing[0]
    said = (
        f"'s epoch {new_row['epoch']} row differed from the checkpoint's history "
        f"({field} {_cell(old_row.get(field))} there, {_cell(new_row.get(field))} in the history)"
    )
    more = [n["epoch"] for _, n, _ in differing[1:]]
    if more:
        epochs = f"epoch{'' if len(more) == 1 else 's'} {_span([int(e) for e in more])}"
        said += f", as did {counted(len(more), 'more row')} ({epochs})"
    return said


def _same(old: Any, new: Any, *, csv_file: bool) -> bool:
    """Return whether a file's value ``old`` is the history's ``new``: a CSV's cells as numbers
    (``3.2e-02`` is ``0.032``, ``NaN`` is ``nan``; an empty cell no value, as JSON's null is);
    a NaN is the same as a NaN."""
    if csv_file:
        old, new = _number(old), _number(new)
    if isinstance(old, bool) != isinstance(new, bool):  # JSON's true is no 1
        return False
    if isinstance(old, float) and isinstance(new, float) and math.isnan(old) and math.isnan(new):
        return True
    return bool(old == new)


def _number(cell: Any) -> Any:
    """Return a CSV cell as the number it holds (``None`` where empty), else as it is."""
    if not isinstance(cell, str):
        return cell
    if not cell.strip():
        return None
    for kind in (int, float):
        try:
            return kind(cell)
        except ValueError:
            pass
    return cell


def _formatting(name: str, old: str, was: list[dict[str, Any]], text: str) -> list[str]:
    """Return how ``old`` (a metrics file's text, no byte-order mark, whole lines, its rows
    ``was``) is written otherwise than ``text`` (the rows written) where the values are the
    same: ``line endings``, ``key order`` (a JSON row's), ``spacing or number format``."""
    ending = "\r\n" if name.endswith(".csv") else "\n"  # as csv and the JSONL writer end lines
    lines = old.splitlines(keepends=True)
    kinds = []
    if any(line[len(line.rstrip("\r\n")) :] != ending for line in lines):
        kinds.append("line endings")
    bare = [line.rstrip("\r\n") for line in lines]
    if name.endswith(".csv"):
        new = text.splitlines()
        n = min(len(bare), len(new))
        spaced = bare[:n] != new[:n]
    else:
        if any(list(r) != list(MetricsWriter.FIELDS) for r in was):
            kinds.append("key order")
        rows = [line for line in bare if line.strip()]
        spaced = len(rows) < len(bare) or any(
            line != dumps_strict(r) for line, r in zip(rows, was, strict=False)
        )
    if spaced:
        kinds.append("spacing or number format")
    return kinds


def _rows(name: str, text: str) -> list[dict[str, Any]] | None:
    """Return the rows of a metrics file ``name``'s ``text`` (JSON values, or the CSV's strings),
    or ``None`` where one is no whole row (a line torn, a cell missing) or the CSV's header is
    not the writer's."""
    if text and not text.endswith("\n"):
        return None
    if name.endswith(".jsonl"):
        rows = [json.loads(line) for line in text.splitlines() if line.strip()]
        return rows if all(isinstance(r, dict) and "epoch" in r for r in rows) else None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not _writers_header(reader.fieldnames):
        return None
    rows = list(reader)
    ragged = any(None in r or None in r.values() for r in rows)
    return None if ragged else rows


def _writers_header(fieldnames: Sequence[str] | None) -> bool:
    """Return whether a CSV header holds :attr:`MetricsWriter.FIELDS` in order, once each (with
    columns of yours beside them)."""
    names = list(fieldnames or ())
    ours = [f for f in names if f in MetricsWriter.FIELDS]
    return tuple(ours) == MetricsWriter.FIELDS and len(set(names)) == len(names)


def _cell(value: Any) -> str:
    """Return a metrics value as the file holds it: ``0.5702770197885718``, ``nan``, ``none``
    (a JSON null, an empty cell); past 40 characters, its first 30 quoted with its length
    (``'xxx…' (100000 characters)``), a character a terminal would not show as itself escaped:
    the note stays one short line."""
    if value is None or value == "":
        return "none"
    text = str(value)
    return cut_text(text, most=_CELL_MOST, keep=30) if len(text) > _CELL_MOST else printable(text)


def backup_copy(path: Path, old: bytes) -> str:
    """Write ``old`` to the first free ``NAME.bak``, ``NAME.bak.1``, ...; return its name (that
    of a backup holding ``old`` already, where one does: a rewrite again keeps no second).

    ``path`` names the file ``old`` was read from (a metrics file, or the ``model.pt`` a start
    over replaces: :func:`~linearnets.training.run_files.keep_replaced`).

    Raises:
        RunFileError: the backup could not be written (a full disk), or every name is taken.
    """
    names = [f"{path.name}.bak", *(f"{path.name}.bak.{n}" for n in range(1, 1000))]
    for name in names:
        target = path.with_name(name)
        try:
            if target.read_bytes() == old:
                return name
            continue
        except FileNotFoundError:
            pass
        except OSError:
            continue
        try:
            with target.open("xb") as f:  # never over another file
                f.write(old)
        except FileExistsError:
            continue
        except OSError as exc:
            raise run_file_error(target, exc) from exc
        return name
    raise run_file_error(path, FileExistsError(f"{path.name}.bak to .bak.999 are all taken"))


def metrics_disagreements(run_dir: Path, epochs: Sequence[int]) -> dict[str, str]:
    """Return what keeps ``metrics.jsonl`` and ``metrics.csv`` in ``run_dir`` from holding one
    whole row of each of ``epochs`` (a checkpoint's history's), in order: file name -> why, in
    the words of "metrics.jsonl ..." (``"was missing"``). Empty where both agree.

    Reads the two small files, nothing else: a resume of a finished run writes them again from
    the checkpoint's history where they do not agree.
    """
    wanted = list(epochs)
    wrong = {}
    for path in (run_dir / "metrics.jsonl", run_dir / "metrics.csv"):
        try:
            old = path.read_bytes()
        except FileNotFoundError:
            dangling = path.is_symlink()
            link = f"was a link to a missing file ({os.readlink(path)})" if dangling else ""
            wrong[path.name] = link or "was missing"
            continue
        except OSError as exc:
            wrong[path.name] = f"could not be read ({type(exc).__name__})"
            continue
        said = _disagreement(path.name, old, wanted)
        if said is not None:
            wrong[path.name] = said
    return wrong


def _disagreement(name: str, old: bytes, wanted: list[int]) -> str | None:
    """Return what keeps ``old``, the content of metrics file ``name``, from holding one whole
    row of each of the epochs ``wanted``, in order, in :func:`metrics_disagreements`'s words;
    ``None`` where nothing does. A UTF-8 byte-order mark first is no part of it (Excel saves a
    CSV with one, an editor may write one first in metrics.jsonl)."""
    try:
        text = old.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"could not be read ({type(exc).__name__})"
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # line ends as read_text reads them
    if text and not text.endswith("\n"):  # every row is written whole, its newline last
        return "was cut short (its last line torn)"
    found = (_jsonl_epochs if name.endswith(".jsonl") else _csv_epochs)(text)
    if isinstance(found, str):
        return found
    if found != wanted and sorted(found) == sorted(wanted):
        return (
            f"held epochs {_span(found)}, in another order than the checkpoint's history "
            f"({_span(wanted)})"
        )
    if found != wanted:
        held = "was empty" if not text.strip() else f"held {_count(len(found))}"
        same = f", not those of epochs {_span(wanted)}" if len(found) == len(wanted) else ""
        return f"{held}{same} where the checkpoint's history holds {_count(len(wanted))}"
    return None


def _jsonl_epochs(text: str) -> list[int] | str:
    """Return the epochs of ``metrics.jsonl``'s rows in ``text``, or why they cannot be read."""
    epochs = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            epoch = json.loads(line)["epoch"]
        except _NO_ROW:
            return f"was damaged (line {number} is no row of metrics)"
        if not isinstance(epoch, int) or isinstance(epoch, bool):
            return f"was damaged (line {number} is no row of metrics)"
        epochs.append(epoch)
    return epochs


def _csv_epochs(text: str) -> list[int] | str:
    """Return the epochs of ``metrics.csv``'s rows in ``text``, or why they cannot be read."""
    if not text:
        return []
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        # columns of yours beside the writer's, in their order, as metrics.jsonl's keys are
        if not _writers_header(reader.fieldnames):
            return (
                f"was damaged (its header does not hold {','.join(MetricsWriter.FIELDS)} in "
                "that order)"
            )
        epochs = []
        for row in reader:
            if None in row or None in row.values():  # a row cut short or too long
                return f"was damaged (line {reader.line_num} is no row of metrics)"
            epochs.append(int(row["epoch"]))
    except (ValueError, csv.Error):
        return "was damaged (a row is no row of metrics)"
    return epochs


def _count(n: int) -> str:
    """Return ``n`` epoch rows in words: ``no epoch row``, ``1 epoch row``, ``2 epoch rows``."""
    return "no epoch row" if n == 0 else counted(n, "epoch row")


def _span(epochs: list[int]) -> str:
    """Return ``epochs`` as ``1 to 3`` where they run on, else listed; past 8, the first 5 and
    the last with how many in all (``2, 4, 6, 8, 10, …, 400 (200 epochs)``): a note stays short."""
    if epochs == list(range(epochs[0], epochs[0] + len(epochs))) and len(epochs) > 2:
        return f"{epochs[0]} to {epochs[-1]}"
    if len(epochs) > 8:
        return f"{', '.join(map(str, epochs[:5]))}, …, {epochs[-1]} ({len(epochs)} epochs)"
    return ", ".join(map(str, epochs))
