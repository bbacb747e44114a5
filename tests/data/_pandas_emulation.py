"""The few pandas calls the CSV refusals offer, done as pandas documents them, for the tests to
follow a fix as given without pandas: ``pd.read_csv(path, header=..., skiprows=[...], na_values=[...])``,
``df.dropna()``, ``df.fillna(series)``, ``df.iloc[:, :-1].mean()``, ``df.to_csv(path, header=...,
index=...)``.

read_csv: ``header="infer"`` takes the first row for the column names (a repeated name gets '.1',
'.2' added), ``header=None`` reads every row as data, columns named 0, 1, …; a cell that is one
of the default na_values, or of ``na_values``, exactly (case and blanks count) is NaN; a blank line
is skipped, and so are the rows ``skiprows`` numbers (from 0, as the file's rows, blank lines
counted, a quoted cell's line breaks not); a column of whole numbers written as such, none missing, is read as int64, any other as
float64. to_csv writes the names (``header``) and the row labels (``index``, under an empty name)
unless told not to, floats as ``repr`` writes them and NaN as an empty cell.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path
from typing import Any

# pandas' read_csv's default na_values, as its documentation lists them
PANDAS_DEFAULT_NA = {"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"}  # fmt: skip


class Frame:
    """A table of floats (NaN where missing) with column names, row labels, and which columns
    are int64."""

    def __init__(
        self, names: list[Any], labels: list[int], rows: list[list[float]], ints: list[bool]
    ) -> None:
        self.names, self.labels, self.rows, self.ints = names, labels, rows, ints

    @property
    def iloc(self) -> _Columns:
        return _Columns(self)

    def dropna(self) -> Frame:
        kept = [(k, row) for k, row in zip(self.labels, self.rows, strict=True)
                if not any(map(math.isnan, row))]  # fmt: skip
        return Frame(self.names, [k for k, _ in kept], [row for _, row in kept], self.ints)

    def mean(self) -> dict[Any, float]:
        """Each column's mean over its numbers, NaN skipped, by name (a Series)."""
        columns = zip(*self.rows, strict=True)
        means = {}
        for name, column in zip(self.names, columns, strict=True):
            numbers = [v for v in column if not math.isnan(v)]
            means[name] = sum(numbers) / len(numbers) if numbers else math.nan
        return means

    def fillna(self, value: dict[Any, float]) -> Frame:
        """Fill each column named in ``value`` with its value; the others are left as they are."""
        rows = [[value.get(name, v) if math.isnan(v) else v
                 for name, v in zip(self.names, row, strict=True)] for row in self.rows]  # fmt: skip
        return Frame(self.names, self.labels, rows, self.ints)

    def to_csv(self, path: str | Path, *, header: bool = True, index: bool = True) -> None:
        lines = [["", *map(str, self.names)] if index else list(map(str, self.names))] * header
        for label, row in zip(self.labels, self.rows, strict=True):
            cells = ["" if math.isnan(v) else repr(int(v) if i else v)
                     for v, i in zip(row, self.ints, strict=True)]  # fmt: skip
            lines.append([str(label), *cells] if index else cells)
        Path(path).write_text("".join(",".join(line) + "\n" for line in lines))


class _Columns:
    """``df.iloc``, for ``df.iloc[:, :-1]``: every row, the columns but the last."""

    def __init__(self, frame: Frame) -> None:
        self.frame = frame

    def __getitem__(self, key: tuple[slice, slice]) -> Frame:
        rows, columns = key
        frame = self.frame
        return Frame(frame.names[columns], frame.labels[rows],
                     [row[columns] for row in frame.rows[rows]], frame.ints[columns])  # fmt: skip


def read_csv(
    path: str | Path,
    *,
    header: str | None = "infer",
    skiprows: list[int] | None = None,
    na_values: list[str] | None = None,
) -> Frame:
    missing = PANDAS_DEFAULT_NA | set(na_values or [])
    read = csv.reader(io.StringIO(Path(path).read_text(), newline=""))
    skipped = set(skiprows or [])
    rows = [row for i, row in enumerate(read) if row and i not in skipped]
    if header == "infer":
        names, seen = [], {}
        for name in rows.pop(0):
            count = seen.get(name, 0)
            seen[name] = count + 1
            names.append(f"{name}.{count}" if count else name)
    else:
        names = list(range(len(rows[0])))
    table = [[math.nan if cell in missing else float(cell) for cell in row] for row in rows]
    ints = [all(re.fullmatch(r"\s*[-+]?\d+\s*", cell) for cell in column)
            for column in zip(*rows, strict=True)]  # fmt: skip
    return Frame(names, list(range(len(table))), table, ints)


class _Pandas:
    read_csv = staticmethod(read_csv)


def follow(said: str, path: Path) -> None:
    """Run the pandas code a refusal ``said`` offers ('in pandas: ...', up to its R code, the file
    to pass or its end) on ``path``, as pandas would."""
    code = re.search(r"in pandas: (.*?)(?: \(in R: .*\))?(?:, and pass .*)?$", said)
    assert code is not None, said
    exec(code[1], {"pd": _Pandas, "path": path})  # the fix, as the user would run it
