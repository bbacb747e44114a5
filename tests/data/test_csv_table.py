"""Reading a ``--data FILE.csv`` table: headers, blank lines, and every bad row or cell named by line.

The table is read through the public loader :func:`~linearnets.data.arrays.load_regression_file`.
"""

from __future__ import annotations

import ast
import csv
import gzip
import io
import re
import shutil
import subprocess
import unicodedata
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.data.arrays import load_regression_file
from linearnets.errors import DatasetError, DataWarning, UsageError

from ._pandas_emulation import PANDAS_DEFAULT_NA, follow

# the fix the refusal of a word in a feature's column ends with
_NUMBERS_FIX = (
    "save the column as numbers (fix that cell, or drop its example); for categories written as "
    "words, encode them as numbers, e.g. a 0/1 column each with pd.get_dummies(df, dtype=int) in "
    "pandas"
)
# an amount in euros with thousands separators and a decimal comma, 1234.56, as it is refused
_EURO_AMOUNT = (
    "an amount with a currency symbol ('€', a spreadsheet's Currency format) and thousands "
    "separators (a spreadsheet's number format) and a decimal comma"
)
_EURO_AMOUNT_FIX = (
    "save the column as plain numbers ('1234.56'), without the symbol, e.g. in Excel as the Number "
    "format rather than Currency or Accounting, with 'Use 1000 Separator' cleared, and with '.' as "
    "the decimal separator"
)


@pytest.mark.parametrize(
    "text,pattern",
    [
        ("1,2\n3,x\n", r"not a numeric CSV: line 2, column 2 holds 'x'"),
        ("1\n2\n", r"at least 2 columns"),
        # a first row with one bad cell is bad data, not a header to drop
        (
            "1,2,x\n3,4,5\n5,6,7\n",
            r"line 1 holds both numbers \('1', '2'\) and text \('x'\): .*; if it is data, fix 'x'$",
        ),
        # column names that read as numbers: the fix is to rename them, not "a header is allowed"
        (
            "id,2019,nan,y\n1,2,3,4\n5,6,7,8\n",
            r"line 1 holds both numbers \('2019', 'nan'\) and text \('id', 'y'\): if it names the columns, rename those that read as numbers \(e\.g\. 'x2019'",
        ),
        # numpy and pandas read no 1_000 (Python's float() does)
        ("a,y\n1_000,2\n3,4\n", r"line 2, column 1 holds '1_000'; every cell must be a number"),
        # the line is counted in the file, header included
        ("a,b,y\n1,2,3\n4,5,6\n7,8,x\n", r"line 4, column 3 holds 'x'"),
        ("a,b,y\n1,2,3\n4,5\n", r"line 3 has 2 columns, the others 3"),
        ("1,2,3\n4,5\n", r"line 2 has 2 columns, the others 3"),
        ("", r"holds no data rows"),
        ("\n\n", r"holds no data rows"),
        ("a,b,y\n", r"holds no data rows"),
        ("a;b\n1;2\n", r"separated by ';', not commas"),
        ("1\t2\n3\t4\n", r"separated by '\\t', not commas"),
        # a trailing comma on every line: told as a first row of numbers and the text '' before
        (
            "1.28,-0.77,1.44,\n2.0,1.0,3.0,\n0.5,0.2,0.1,\n",
            r": every line ends with a comma, so the last column, where y goes, is empty \(line 1: "
            r"'1\.28,-0\.77,1\.44,'\); remove the trailing commas, so that each line ends with its y$",
        ),
        ("x1,x2,y,\n1,2,3,\n4,5,6,\n", r"every line ends with a comma"),
    ],
)
def test_bad_csv(tmp_path: Path, text: str, pattern: str) -> None:
    (tmp_path / "b.csv").write_text(text)
    with pytest.raises(DatasetError, match=pattern):
        load_regression_file(tmp_path / "b.csv")


def test_trailing_commas_on_the_data_lines_only_are_named(tmp_path: Path) -> None:
    """A header without the trailing comma its data lines have was told "line 1 has 3 columns,
    the others 4; the column names must name every column, y last": naming a fourth column
    leaves y empty still."""
    path = _written(tmp_path / "t.csv", "x1,x2,y\n1,2,3,\n4,5,6,\n")
    assert _refusal(path) == (
        f"{path}: every line but the first ends with a comma, so their last column, where y goes, "
        "is empty (line 2: '1,2,3,'); remove the trailing commas, so that each line ends with its y"
    )
    # the fix it names: read as written
    X, y = load_regression_file(_written(path, "x1,x2,y\n1,2,3\n4,5,6\n"))
    assert X.tolist() == [[1, 2], [4, 5]] and y.reshape(-1).tolist() == [3, 6]
    # a header short of a name is named as before
    assert "the column names must name every column" in _refusal(
        _written(path, "x1,x2\n1,2,3\n4,5,6\n")
    )


def test_a_trailing_comma_on_the_header_alone_is_named(tmp_path: Path) -> None:
    """``a,b,c,y,`` above clean rows was told "line 1 has 5 columns, the others 4; the column
    names must name every column, y last": a fifth name is the wrong fix."""
    path = _written(tmp_path / "t.csv", "a,b,c,y,\n" + _rows_text(3))
    assert _refusal(path) == (
        f"{path}: line 1, the column names, ends with a comma, an empty last name: it has 5 "
        "columns, the others 4; remove that trailing comma"
    )
    _written(path, "a,b,c,y\n" + _rows_text(2) + "1,2,3,4,\n" + _rows_text(2))
    assert _refusal(path) == (
        f"{path}: line 4 ends with a comma, an empty last cell: it has 5 columns, the others 4; "
        "remove that trailing comma"
    )


def test_trailing_commas_on_most_data_lines_are_named(tmp_path: Path) -> None:
    """Data lines most of which end with a comma blamed line 1 alone: "line 1 has 4 columns, 41 of
    the 51 rows 5; the column names must name every column, y last"."""
    rows = _rows_text(50).splitlines()
    text = "a,b,c,y\n" + "".join(row + ("," if i >= 9 else "") + "\n" for i, row in enumerate(rows))
    path = _written(tmp_path / "t.csv", text)
    assert _refusal(path) == (
        f"{path}: lines 11, 12, 13, … (41 of the 51 rows) end with a comma, an empty last cell, so "
        "they have 5 columns, the others 4; remove the trailing commas, so that each line ends "
        "with its y"
    )


def test_csv_with_a_byte_order_mark_keeps_its_first_row(tmp_path: Path) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark; the first row is data, not a header."""
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf1,2,3\n4,5,6\n7,8,9\n")
    X, y = load_regression_file(tmp_path / "bom.csv")
    assert X.tolist() == [[1, 2], [4, 5], [7, 8]] and y.reshape(-1).tolist() == [3, 6, 9]


def test_csv_blank_lines_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "b.csv").write_text("x1,x2,y\n\n1,2,3\n  \n4,5,6\n, ,\n")
    X, y = load_regression_file(tmp_path / "b.csv")
    assert X.tolist() == [[1, 2], [4, 5]] and y.reshape(-1).tolist() == [3, 6]


def test_a_csv_cell_over_the_csv_limit_is_named(tmp_path: Path) -> None:
    (tmp_path / "r.csv").write_text("1," + "9" * 200_000 + ",3\n")
    with pytest.raises(DatasetError, match=r"r\.csv is not a readable CSV file \(field larger"):
        load_regression_file(tmp_path / "r.csv")


def _rows_text(count: int) -> str:
    """Return ``count`` rows of a table a,b,c,y, one number per cell."""
    return "".join(f"{i}.5,{i + 1}.25,{-i},{2 * i}.0\n" for i in range(count))


@pytest.mark.parametrize("tail", ["\n", ""])
def test_an_unclosed_quote_is_named_by_its_line(tmp_path: Path, tail: str) -> None:
    """The csv module reads the rest of the file after a quote never closed as one cell: told
    "line 12 has 1 column, the others 4; every row must hold the same features, then y", with no
    word of the quote."""
    path = _written(tmp_path / "u.csv", "a,b,c,y\n" + _rows_text(10) + '"-1.0,0.2,-0.1,-1.4\n')
    path.write_text(path.read_text() + _rows_text(5) + "1,2,3,4" + tail)
    assert _refusal(path) == (
        f"{path}: line 12, column 1 opens a quoted cell with '\"' that is never closed, so the rest "
        "of the file reads as that one cell; delete the quote (or close it where the cell ends)"
    )
    # on the last line, no line break after it
    _written(path, "a,b,c,y\n" + _rows_text(3) + '"-0.1' + tail)
    assert _refusal(path).startswith(f"{path}: line 5, column 1 opens a quoted cell with '\"'")


def test_an_unclosed_quote_past_the_csv_limit_is_named_by_its_line(tmp_path: Path) -> None:
    """With over 128 KiB after it, the csv module's limit was told, with no line, and the advice to
    save the file as CSV."""
    path = _written(tmp_path / "u.csv", "a,b,c,y\n" + _rows_text(2) + '1,"2,3,4\n')
    path.write_text(path.read_text() + _rows_text(10_000))
    assert _refusal(path) == (
        f"{path}: line 4, column 2 opens a quoted cell with '\"' that is never closed, so the rest "
        "of the file reads as that one cell, over the csv module's limit (field larger than field "
        "limit (131072)); delete the quote (or close it where the cell ends)"
    )
    # closed far below: the line it closes on
    path.write_text(path.read_text() + '5",6,7\n')
    assert _refusal(path).startswith(
        f"{path}: line 4, column 2 opens a quoted cell with '\"' that closes only on line 10005, "
        "so lines 4-10005 read as that one cell, over the csv module's limit"
    )


def test_a_footer_comment_with_a_quote_after_a_comma_still_loads(tmp_path: Path) -> None:
    """`# note, "draft` last was refused as a quote never closed: a quote after a blank opens no
    quoted cell, and a comment's quote that runs to its own end swallows no row."""
    for footer in ['# note, "draft\n', '# note,"draft\n']:
        X, y = load_regression_file(_written(tmp_path / "f.csv", "1,2,3\n4,5,6\n" + footer))
        assert X.tolist() == [[1, 2], [4, 5]] and y.reshape(-1).tolist() == [3, 6]


def test_a_quote_after_a_blank_is_no_quoted_cell(tmp_path: Path) -> None:
    path = _written(tmp_path / "s.csv", 'a,b,y\n1,2,3\n4, "5\n')
    assert _refusal(path) == (
        f"{path}: line 3 has 2 columns, the others 3; every row must hold the same features, then y"
    )


@pytest.mark.parametrize(
    "text,line,column",
    [
        ('a,"b,y\n1,2,3\n4,5,6\n', 1, 2),  # in the header: the file reads as one row
        ('1,2,3\n"4",5,"6\n7,8,9\n', 2, 3),  # after a quoted cell closed on its line
        ('1,2,3\n4,5,6\n# note,"x\n7,8,9\n', 3, 2),  # a comment's, swallowing a row
    ],
)
def test_a_quote_never_closed_is_found_in_any_cell(
    tmp_path: Path, text: str, line: int, column: int
) -> None:
    """Told "holds no data rows", or "column 3 holds '6\\n7,8,9\\n'": the first quote of the line
    alone was looked at, and a single row never."""
    path = _written(tmp_path / "q.csv", text)
    assert _refusal(path) == (
        f"{path}: line {line}, column {column} opens a quoted cell with '\"' that is never closed, "
        "so the rest of the file reads as that one cell; delete the quote (or close it where the "
        "cell ends)"
    )


def test_a_quoted_cell_over_the_csv_limit_closed_on_its_line_is_named(tmp_path: Path) -> None:
    """Told "opens a quoted cell ... that closes only on line 2, so lines 2-2 read as that one
    cell ... delete the quote": the quote is closed, the cell itself is too long."""
    path = _written(tmp_path / "l.csv", '1,2,3\n4,"' + "x" * 200_000 + '",6\n')
    assert _refusal(path) == (
        f"{path}: line 2, column 2 holds a quoted cell over the csv module's limit (field larger "
        "than field limit (131072)), no number; every cell must be a number: drop or shorten "
        "that cell"
    )


def test_a_quote_closed_lines_below_is_named_with_the_lines_it_spans(tmp_path: Path) -> None:
    path = _written(tmp_path / "q.csv", 'a,b,y\n1,2,3\n"4,5,6\n7,8,9\n10,"11,12\n13,14,15\n')
    assert _refusal(path) == (
        f"{path}: line 3 has 2 columns, the others 3; every row must hold the same features, "
        "then y (its quoted cell runs from line 3 to line 5: is a quote opened on line 3 closed "
        "only there? delete it, or close it where the cell ends)"
    )


@pytest.mark.parametrize(
    "text,message",
    [
        # Excel in a decimal-comma locale: ';' between values, ',' inside them; the csv module
        # splits the data rows at the commas, so only the header shows the ';'
        ("x1;x2;y\n1,5;2,25;7,1\n0,5;-1,0;3,2\n",
         " is not a numeric CSV: its values are separated by ';', not commas; save it "
         "comma-separated, with '.' as the decimal point (it has decimal commas)"),
        ("x1;x2;y\n1.5;2.25;7.1\n0.5;-1.0;3.2\n",
         " is not a numeric CSV: its values are separated by ';', not commas; save it "
         "comma-separated"),
        # a title above the table: its spaces are not the table's separator
        ("My data 2026-11-30\nx1,x2,y\n1,2,3\n2,3,4\n",
         ": line 1 has 1 column, the other lines 3: a title line above the table "
         "('My data 2026-11-30')? delete it, so that the file starts with the column names or "
         "the data"),
        ("My data\n1,2,3\n2,3,4\n", ": line 1 has 1 column, the other lines 3"),
        ("y\n1\n2\n", " must have at least 2 columns (features, then y), got 1; write each example on one line, its features and then y, separated by commas"),
    ],
)  # fmt: skip
def test_a_one_cell_first_line_is_named_for_what_it_is(
    tmp_path: Path, text: str, message: str
) -> None:
    """Each was once reported "must have at least 2 columns ..., got 1"."""
    path = _written(tmp_path / "b.csv", text)
    assert _refusal(path).startswith(f"{path}{message}")


def test_a_pandas_index_column_is_refused(tmp_path: Path) -> None:
    """``pd.DataFrame({"x1": ..., "x2": ..., "y": ...}).to_csv(path)`` writes this: an unnamed
    index column first (pandas' documented default ``index=True``); read as a feature, the row
    numbers made the run diverge."""
    path = tmp_path / "p.csv"
    path.write_text(",x1,x2,y\n0,0.5,1.0,2.0\n1,1.5,-1.0,3.0\n2,2.5,0.0,1.0\n")
    with pytest.raises(
        DatasetError,
        match=r"p\.csv has an unnamed first column \(its header starts with an empty cell\), as "
        r"pandas' to_csv\(\) writes its index: it would be read as a feature; save with "
        r"df\.to_csv\(path, index=False\) or drop that column$",
    ):
        load_regression_file(path)
    # without a header, an empty first cell is a bad cell of data, named as before
    path.write_text("1,2,3\n,5,6\n")
    with pytest.raises(DatasetError, match=r"line 2, column 1 holds ''"):
        load_regression_file(path)
    # headerless: every column is data (but a first column of the row numbers 0, 1, … or R's
    # 1, 2, …: below)
    path.write_text("5,0.5,1.0\n6,1.5,-1.0\n7,2.5,0.0\n")
    X, y = load_regression_file(path)
    assert X.tolist() == [[5, 0.5], [6, 1.5], [7, 2.5]] and y.reshape(-1).tolist() == [1, -1, 0]


def test_r_row_names_are_refused_with_r_s_fix(tmp_path: Path) -> None:
    """``write.csv(df, path)`` writes R's row names first (``row.names = TRUE`` is its default),
    under an empty name: refused as pandas' index, with pandas' fix, where R's is meant."""
    path = _written(tmp_path / "r.csv", '"","x1","x2","y"\n"1",0.5,1,2\n"2",1.5,-1,3\n')
    assert _refusal(path) == (
        f"{path} has an unnamed first column (its header starts with an empty cell) holding the "
        "row numbers 1, 2, …, as R's write.csv() writes its row names: it would be read as a "
        "feature; save with write.csv(df, path, row.names = FALSE) or drop that column"
    )
    # the fix it names: R writes the names quoted, the numbers as they are
    X, y = load_regression_file(_written(path, '"x1","x2","y"\n0.5,1,2\n1.5,-1,3\n'))
    assert X.tolist() == [[0.5, 1], [1.5, -1]] and y.reshape(-1).tolist() == [2, 3]


def test_a_pandas_index_read_back_and_saved_again_is_refused(tmp_path: Path) -> None:
    """``pd.read_csv`` names a file's unnamed index column ``Unnamed: 0``; saved again with
    ``index=False``, the old row numbers are a named column, read as a feature otherwise."""
    path = tmp_path / "p.csv"
    path.write_text("Unnamed: 0,x1,y\n0,0.5,2.0\n1,1.5,3.0\n2,2.5,1.0\n")
    with pytest.raises(DatasetError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"{path} has a first column named 'Unnamed: 0', the name pd.read_csv gives a file's "
        "unnamed index column (a CSV saved with its index, read back and saved again): it holds "
        "row numbers and would be read as a feature; drop it with "
        "df.drop(columns='Unnamed: 0') before saving, or read the first file with "
        "pd.read_csv(path, index_col=0)"
    )
    # the fix: the column dropped, the rest read as it is
    path.write_text("x1,y\n0.5,2.0\n1.5,3.0\n2.5,1.0\n")
    X, y = load_regression_file(path)
    assert X.reshape(-1).tolist() == [0.5, 1.5, 2.5] and y.reshape(-1).tolist() == [2, 3, 1]
    # another column's name of that form is a feature pandas named (its header cell was empty)
    path.write_text("x0,Unnamed: 1,y\n0.5,1.0,2.0\n1.5,2.0,3.0\n")
    X, _ = load_regression_file(path)
    assert X.tolist() == [[0.5, 1.0], [1.5, 2.0]]


def test_a_pandas_index_without_a_header_is_refused(tmp_path: Path) -> None:
    """``df.to_csv(path, header=False)`` writes pandas' index first (``index=True`` is its
    default): the row numbers 0, 1, …, N-1, read as a feature, made the run diverge at the book's
    lr ("try a smaller learning rate"). Refused as a header's unnamed first column is."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 2))
    table = np.c_[X, X @ [2.0, -3.4] + 4.2]  # (50, 3)
    # what pandas writes: the index, then each value as repr() gives it
    rows = [",".join(map(repr, row)) for row in table.tolist()]
    path = _written(tmp_path / "p.csv", "".join(f"{i},{row}\n" for i, row in enumerate(rows)))
    assert _refusal(path) == (
        f"{path} has no header and its first column holds the row numbers 0, 1, …, 49 in order, "
        "as pandas' to_csv(header=False) writes its index: it would be read as a feature; save "
        "with df.to_csv(path, index=False, header=False) or drop that column; if it is a feature "
        "that counts the rows, start the file with a header row naming the columns (e.g. "
        "x1,x2,x3,y), and it is read as one"
    )
    # the fix it names, index=False: X and y as written
    X_read, y_read = load_regression_file(_written(path, "".join(f"{row}\n" for row in rows)))
    np.testing.assert_array_equal(np.asarray(X_read), table[:, :2].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y_read).reshape(-1), table[:, 2].astype(np.float32))


@pytest.mark.parametrize("first", [0, 1], ids=["from-0", "from-1"])
@pytest.mark.parametrize("rows", [2, 3, 10])
def test_a_feature_that_counts_the_rows_is_read_in_a_table_of_two_columns(
    tmp_path: Path, rows: int, first: int
) -> None:
    """One feature x = 0, 1, …, N-1 or 1, 2, …, N (time steps: the regression on a trend) and y:
    it was refused as pandas' index (then R's row names), though without that column no feature
    would be left. Read as written, headerless or under a header; three columns are still refused
    (test_a_pandas_index_without_a_header_is_refused)."""
    text = "".join(f"{t},{0.5 * t + 1}\n" for t in range(first, rows + first))
    oracle = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    for written in (text, "x,y\n" + text):
        X, y = load_regression_file(_written(tmp_path / "t.csv", written))
        assert X.reshape(-1).tolist() == oracle[:, 0].tolist() == list(range(first, rows + first))
        assert y.reshape(-1).tolist() == oracle[:, 1].tolist()


@pytest.mark.parametrize(
    "text",
    [
        "1,2\n2,4\n4,6\n",  # from 1, a number skipped: no R row names
        "0,2\n2,4\n1,6\n",  # not in order
        "0.0,2\n1.0,4\n2.0,6\n",  # floats: pandas writes its row numbers as integers
        "0,2\n",  # one row: no numbering to see
        "5,0\n6,1\n7,2\n",  # y counts the rows, not the first column
    ],
)
def test_a_first_column_that_is_no_pandas_index_is_read_as_data(tmp_path: Path, text: str) -> None:
    path = _written(tmp_path / "d.csv", text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y = load_regression_file(path)
    oracle = np.loadtxt(io.StringIO(text), delimiter=",", ndmin=2)
    assert (
        X.tolist() == oracle[:, :-1].tolist() and y.reshape(-1).tolist() == oracle[:, -1].tolist()
    )


def test_a_pandas_index_above_default_column_names_is_refused_as_an_index(tmp_path: Path) -> None:
    """``pd.DataFrame(np.c_[X, y]).to_csv(path)``, pandas' defaults: an index, and columns named
    0,1,2. Its first line, an empty cell and numbers, was told as names or data whose fix was
    "fix ''"; and index=False alone leaves 0,1,2 to be read as an example."""
    path = _written(tmp_path / "p.csv", ",0,1,2\n0,0.5,1.0,2.0\n1,1.5,-1.0,3.0\n2,2.5,0.0,1.0\n")
    assert _refusal(path) == (
        f"{path} has an unnamed first column (its header starts with an empty cell), as pandas' "
        "to_csv() writes its index: it would be read as a feature; its other names, 0,1,2, are "
        "pandas' for unnamed columns: save with df.to_csv(path, index=False, header=False), or "
        "drop that column and the first line"
    )
    # the fix it names reads the data: X and y as written
    _written(path, "0.5,1.0,2.0\n1.5,-1.0,3.0\n2.5,0.0,1.0\n")
    X, y = load_regression_file(path)
    assert X.tolist() == [[0.5, 1], [1.5, -1], [2.5, 0]] and y.reshape(-1).tolist() == [2, 3, 1]
    # data whose first example lacks its first value, or pandas' index over names that read as
    # numbers: either reading is named, as names or data
    assert _refusal(_written(path, ",5,6\n1,2,3\n")).endswith(
        "and missing values (''): if it names the columns, rename those that read as numbers (e.g. "
        "'x5'; a first row is skipped as names only when none of its cells is a number); if it is "
        "data, fill the values it misses, or delete the line"
    )


@pytest.mark.parametrize(
    "text,pattern",
    [
        # the hunter's file: 100 good rows under a header, then "1,NaN,3" on line 102; the line is
        # counted by hand: the header is line 1, the blank line 3 is skipped but counted
        # ('NaN', as numpy.savetxt writes a missing value, is refused as one: see below)
        ("a,b,y\n1,2,3\n\n" + "4,5,6\n" * 98 + "1,1e39,3\n", r"^.*b\.csv: X \(every column but the last\) holds NaN or inf values \(or values beyond float32's ±3\.4e38\), the first at line 102, column 2: 1e\+39; clean, impute or rescale them first$"),
        # the first of several, in reading order, with their count
        ("a,b,y\n1,inf,3\n-inf,2,3\n", r"the first at line 2, column 2: inf \(2 in all\);"),
        # finite in the file, past float32 once read: its value shown as written
        ("a,b,y\n1,2,3\n1e39,2,3\n", r"the first at line 3, column 1: 1e\+39;"),
        # y is the last column, named so
        ("a,b,y\n1,2,3\n4,5,inf\n", r"y \(the last column\) holds NaN or inf values .*, the first at line 3, column 3: inf;"),
    ],
)  # fmt: skip
def test_a_non_finite_cell_is_named_by_line_and_column(
    tmp_path: Path, text: str, pattern: str
) -> None:
    """As an empty or non-number cell is: the csv module and a text editor count lines from 1."""
    (tmp_path / "b.csv").write_text(text)
    with pytest.raises(DatasetError, match=pattern):
        load_regression_file(tmp_path / "b.csv")


def test_a_csv_that_cannot_be_read_is_named_in_either_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From Python "--data d.csv cannot be read" named an option: the setting is data='d.csv'.
    The command line prints --data d.csv, as it did (the permission error faked: root reads
    anything)."""
    from linearnets.cli._report import one_line
    from linearnets.errors import UsageError

    path = tmp_path / "d.csv"
    path.write_text("1,2\n3,4\n")

    def refused(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "open", refused)
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    fix = " cannot be read (Permission denied); check the file's permissions"
    assert str(info.value) == f"data={str(path)!r}{fix}"
    assert one_line(info.value) == f"--data {path}{fix}"


def test_a_compressed_file_named_csv_is_refused_for_what_it_is(tmp_path: Path) -> None:
    """A gzip-compressed CSV, an .npz or an Excel workbook named .csv were told "not a UTF-8 CSV
    text file ('utf-8' codec can't decode byte 0x8b ...); save it as CSV (UTF-8)"."""
    import gzip
    import zipfile

    path = tmp_path / "d.csv"
    path.write_bytes(gzip.compress(b"x,y\n1,2\n3,4\n"))
    assert _refusal(path) == (
        f"{path} is gzip-compressed (it starts with bytes 1f 8b), not CSV text; decompress it "
        f"first (gunzip -c {path} > {tmp_path}/d.unzipped.csv) and pass {tmp_path}/d.unzipped.csv"
    )
    zip_fix = (
        f"{path} is a zip archive (it starts with PK), not CSV text: an .npz, or an Excel "
        "workbook? rename an .npz to end in .npz; save a workbook from Excel as CSV UTF-8 "
        "(comma delimited)"
    )
    with path.open("wb") as f:
        np.savez(f, X=np.ones((3, 2)), y=np.zeros(3))
    assert _refusal(path) == zip_fix
    with zipfile.ZipFile(path, "w") as z:  # stored text only: no byte that UTF-8 refuses
        z.writestr("xl/workbook.xml", "<workbook/>")
    assert _refusal(path) == zip_fix
    # what gunzip gives back is read, as the file held it
    path.write_bytes(gzip.decompress(gzip.compress(b"x,y\n1,2\n3,4\n")))
    X, y = load_regression_file(path)
    assert X.tolist() == [[1], [3]] and y.reshape(-1).tolist() == [2, 4]


@pytest.mark.parametrize(
    "text,message",
    [
        # Excel's decimal-comma export without a header: its first line was read as names and
        # numbers ("rename those that read as numbers"); it is the same file as with a header
        ("1,5;2,25;3,0\n2,5;1,0;4,5\n3,1;0,5;6,2\n",
         " is not a numeric CSV: its values are separated by ';', not commas; save it "
         "comma-separated, with '.' as the decimal point (it has decimal commas)"),
        ("1.5;2.25;3.0\n2.5;1.0;4.5\n",
         " is not a numeric CSV: its values are separated by ';', not commas; save it "
         "comma-separated"),
        # Excel's separator line, which the csv module reads as a first row of 2 cells
        ("sep=,\nx1,x2,y\n1,2,3\n4,5,6\n",
         ": line 1, 'sep=,', tells Excel which separator the file uses, and is no row of the "
         "table; delete it, so that the file starts with the column names or the data"),
        ("sep=;\nx1;x2;y\n1,5;2;3\n", " is not a numeric CSV: its values are separated by ';'"),
        # the separator line in any case
        ("SEP=,\nx1,x2,y\n1,2,3\n4,5,6\n",
         ": line 1, 'SEP=,', tells Excel which separator the file uses, and is no row of the "
         "table; delete it, so that the file starts with the column names or the data"),
    ],
)  # fmt: skip
def test_another_separator_is_named_with_or_without_a_header(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _written(tmp_path / "b.csv", text)
    assert _refusal(path).startswith(f"{path}{message}")


@pytest.mark.parametrize(
    "text,tail",
    [
        # Excel in a decimal-comma locale, with a header and without
        ("x1;x2;y\n1,5;2,25;7,1\n0,5;-1,0;3,2\n",
         ", with '.' as the decimal point (it has decimal commas), e.g. pandas.read_csv({path!r}, "
         "sep=';', decimal=',').to_csv({out!r}, index=False), and pass {out}"),
        ("1,5;2,25;3,0\n2,5;1,0;4,5\n",
         ", with '.' as the decimal point (it has decimal commas), e.g. pandas.read_csv({path!r}, "
         "sep=';', decimal=',', header=None).to_csv({out!r}, index=False, header=False), and pass {out}"),
        # Excel's separator line first: skipped by the conversion
        ("sep=;\nx1;x2;y\n1;2;3\n",
         ", e.g. pandas.read_csv({path!r}, sep=';', skiprows=1).to_csv({out!r}, index=False), and pass {out}"),
        ("Sep=;\nx1;x2;y\n1;2;3\n",
         ", e.g. pandas.read_csv({path!r}, sep=';', skiprows=1).to_csv({out!r}, index=False), and pass {out}"),
        ("x1\tx2\ty\n1\t2\t3\n4\t5\t6\n",
         ", e.g. pandas.read_csv({path!r}, sep='\\t').to_csv({out!r}, index=False), and pass {out}"),
        # numpy.savetxt's defaults: a space between values, its header a '# ' line
        ("# x1 x2 y\n1.5e+00 2.0e+00 3.0e+00\n4.0e+00 5.0e+00 6.0e+00\n",
         ", e.g. pandas.read_csv({path!r}, sep=r'\\s+', comment='#', header=None).to_csv("
         "{out!r}, index=False, header=False), and pass {out}"),
        # a comment line indented: a comment still
        (" # x1 x2 y\n1.5 2.0 3.0\n4.0 5.0 6.0\n",
         ", e.g. pandas.read_csv({path!r}, sep=r'\\s+', comment='#', header=None).to_csv("
         "{out!r}, index=False, header=False), and pass {out}"),
    ],
)  # fmt: skip
def test_another_separator_is_named_with_the_conversion(
    tmp_path: Path, text: str, tail: str
) -> None:
    """The refusal names how to write the file comma-separated, not only that it must be: to a
    new file beside it, b.commas.csv, which it names to pass (it wrote 'table.csv' in the current
    folder, overwriting any table.csv there), b.commas-2.csv where a b.commas.csv exists."""
    path = _written(tmp_path / "b.csv", text)
    sep = ";" if ";" in text else "\t" if "\t" in text else " "
    for out in (tmp_path / "b.commas.csv", tmp_path / "b.commas-2.csv"):
        assert _refusal(path) == (
            f"{path} is not a numeric CSV: its values are separated by {sep!r}, not commas; save "
            f"it comma-separated{tail.format(path=str(path), out=str(out))}"
        )
        out.write_text("x,y\n1,2\n")  # the user's own file: the next advice names another


def test_comment_lines_above_a_csv_are_not_read_as_its_separator(tmp_path: Path) -> None:
    """numpy.savetxt(path, a, delimiter=",", header="made by me\\nx1,x2,y") writes two '# '
    lines: their spaces were told as the table's separator, "with decimal commas". They are
    comments, skipped as numpy.loadtxt (the oracle) skips them."""
    table = np.array([[1.5, 2.0, 3.0], [4.0, 5.0, 6.25]])
    buffer = io.BytesIO()
    np.savetxt(buffer, table, delimiter=",", header="made by me\nx1,x2,y")
    path = tmp_path / "s.csv"
    path.write_bytes(buffer.getvalue())
    X, y = load_regression_file(path)
    oracle = np.loadtxt(path, delimiter=",")
    np.testing.assert_array_equal(np.asarray(X), oracle[:, :2].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y).reshape(-1), oracle[:, 2].astype(np.float32))


@pytest.mark.parametrize(
    "text,line,column,cell",
    [
        ("x1,x2,y\n1.0,,3.0\n4.0,5.0,6.0\n", 2, 2, ""),  # pandas' to_csv of a NaN
        ('"x1","x2","y"\n1,2,3\n4,NA,6\n', 3, 2, "NA"),  # R's write.csv of an NA
        ("x1,x2,y\n1,2,3\n4,5,\n", 3, 3, ""),  # a missing y
        ("x1,x2,y\n1,#N/A,3\n4,5,6\n", 2, 2, "#N/A"),  # Excel's
        # pandas' read_csv takes these for NaN too: databases' NULL, Python's None, n/a
        ("x1,x2,y\n1,NULL,3\n4,5,6\n", 2, 2, "NULL"),
        ("x1,x2,y\n1,None,3\n4,5,6\n", 2, 2, "None"),
        ("x1,x2,y\n1,2,n/a\n4,5,6\n", 2, 3, "n/a"),
        ("x1,x2,y\n1, NA ,3\n4,5,6\n", 2, 2, " NA "),  # blanks around it, as around a number
    ],
)
def test_a_missing_value_is_named_as_one_with_the_fix(
    tmp_path: Path, text: str, line: int, column: int, cell: str
) -> None:
    """An empty cell was told "holds ''; every cell must be a number (a first row of column
    names is allowed)": no word of a missing value, nor of what to do. R's read.csv reads only
    NA and an empty cell as missing: another marker is named in its na.strings; pandas' default
    na_values hold all but ' NA ' (blanks count)."""
    path = _written(tmp_path / "m.csv", text)
    fix = _drop_said(path, [cell] * (cell == " NA "), [cell] * (cell not in ("", "NA")))
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line {line}, column {column} holds {cell!r}, a missing "
        "value (pandas writes NaN as an empty cell, R's write.csv as NA); every cell must be a "
        f"number: drop or fill the examples that miss one first, {fix}"
    )


@pytest.mark.parametrize(
    "text,cell",
    [
        ("x1,x2,y\n1,True,3\n0,False,6\n", "True"),
        ("x1,x2,y\n1,FALSE,3\n", "FALSE"),
        ("x1,x2,y\n1, True,3\n", " True"),
    ],
)
def test_a_bool_cell_is_named_as_one_with_the_fix(tmp_path: Path, text: str, cell: str) -> None:
    """pd.get_dummies(df).to_csv(path, index=False) writes its columns as True/False (bool, the
    dtype since pandas 2.0), R's write.csv as TRUE/FALSE: they were told only "every cell must be
    a number (a first row of column names is allowed)"."""
    path = _written(tmp_path / "b.csv", text)
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 2 holds {cell!r}, a bool (pandas writes bool "
        "columns, such as pd.get_dummies' since pandas 2.0, as True/False, R as TRUE/FALSE); every "
        "cell must be a number: write them as 1/0, e.g. pd.get_dummies(..., dtype=int) or "
        "df[bools] = df[bools].astype(int) in pandas, then save the table again"
    )
    # the fix it names: 1 and 0, read as such
    fixed = text.replace("True", "1").replace("False", "0").replace("FALSE", "0")
    X, _ = load_regression_file(_written(path, fixed))
    oracle = np.loadtxt(io.StringIO(fixed), delimiter=",", skiprows=1, ndmin=2)
    assert X.tolist() == oracle[:, :-1].tolist()


def test_whitespace_around_values_is_no_separator(tmp_path: Path) -> None:
    """A tab or space beside a value is whitespace numpy skips, as here: not the table's separator."""
    text = "x1,\tx2,y\n1,\t2,3\n4, 5 ,6\n"
    (tmp_path / "w.csv").write_text(text)
    X, y = load_regression_file(tmp_path / "w.csv")
    oracle = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    assert (
        X.tolist() == oracle[:, :-1].tolist() and y.reshape(-1).tolist() == oracle[:, -1].tolist()
    )


@pytest.mark.parametrize(
    "text,message",
    [
        # the first line is the odd one: lines 2.. all have 3 columns, and were blamed
        ("1,2\n3,4,5\n6,7,8\n9,1,2\n", ": line 1 has 2 columns, the others 3; every row must hold "
         "the same features, then y"),
        ("a,b\n1,2,3\n4,5,6\n7,8,10\n", ": line 1 has 2 columns, the others 3; the column names "
         "must name every column, y last"),
        # the table's width is the one most rows have; "the others" only when it is all of them
        ("a,b,y\n1,2,3\n4,5,6,7\n8,9\n", ": line 3 has 4 columns, 2 of the 4 rows 3; every row "
         "must hold the same features, then y"),
        ("1,2,3\n4,5,6\n7\n", ": line 3 has 1 column, the others 3;"),
    ],
)  # fmt: skip
def test_a_ragged_row_is_measured_against_the_most_common_width(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _written(tmp_path / "b.csv", text)
    assert _refusal(path).startswith(f"{path}{message}")


def _line_of(text: str, needle: str) -> int:
    """The oracle: the line (from 1) an editor shows ``needle`` on."""
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(
    "text,needle,pattern",
    [
        # a spreadsheet's two-line column name: the rows below it are one line further down
        ('"height\n(cm)",weight\n1,2\n3,4\n5,x\n', "x", r"line {}, column 2 holds 'x'"),
        ('"height\n(cm)",weight\n1,2\n3,4\n5,1e40\n', "1e40", r"the first at line {}, column 2: 1e\+40"),
        ('a,b,y\n1,"2\n",3\n4,5,x\n', "x", r"line {}, column 3 holds 'x'"),
        # a blank line is skipped, and counted
        ("a,y\n\n1,2\n\r\n3,x\n", "x", r"line {}, column 2 holds 'x'"),
    ],
)  # fmt: skip
def test_lines_are_counted_as_an_editor_shows_them(
    tmp_path: Path, text: str, needle: str, pattern: str
) -> None:
    """A quoted cell holding a line break spans two lines: the csv module's record number was one
    short of the line below it."""
    (tmp_path / "q.csv").write_bytes(text.encode())
    with pytest.raises(DatasetError, match=pattern.format(_line_of(text, needle))):
        load_regression_file(tmp_path / "q.csv")


@pytest.mark.parametrize(
    "text,cell,line",
    [
        ("x,y\n１,２\n2,4.1\n3,5.9\n", "１", 2),  # full-width digits
        ("x1,x2,y\n0.5,1,2\n١,٢,٣\n", "١", 3),  # Arabic-Indic digits
        # without a header, a first row of such digits is no row of names to skip
        ("١,٢,٣\n0.5,1,2\n", "١", 1),
        ("١,2,3\n0.5,1,2\n", "١", 1),  # nor a row of names and numbers
        ("١,x\n0.5,1\n", "١", 1),  # nor one of such digits and names, with no number
    ],
)
def test_digits_other_than_ascii_are_no_numbers(
    tmp_path: Path, text: str, cell: str, line: int
) -> None:
    """Python's float() reads them; numpy (the oracle here) and pandas do not, nor does the reader."""
    with pytest.raises(ValueError, match="could not convert"):
        np.loadtxt(io.StringIO(text), delimiter=",", skiprows=int(text[0].isalpha()))
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    with pytest.raises(
        DatasetError,
        match=rf"line {line}, column 1 holds '{cell}'; every cell must be a number in the digits "
        rf"0-9, as numpy and pandas read them; write it as {unicodedata.digit(cell)}$",
    ):
        load_regression_file(tmp_path / "d.csv")


_DASH_NAMES = {
    "\u2212": "the minus sign U+2212",
    "\u2013": "an en dash U+2013",
    "\u2012": "a figure dash U+2012",
    "\u2014": "an em dash U+2014",
    "\ufe63": "the small hyphen-minus U+FE63",
    "\uff0d": "the full-width hyphen-minus U+FF0D",
}


def _dash_rule(cell: str, dash: str, plain: str) -> str:
    return (
        f"every cell must be a number with '-' as its minus sign, as numpy and pandas read one: "
        f"{cell!r} uses {_DASH_NAMES[dash]}, not '-'; write it as {plain} (replace every "
        f"{dash!r} in the file with '-')"
    )


@pytest.mark.parametrize("dash", list(_DASH_NAMES))
def test_bad_minus_sign_in_y_is_named_not_counted_as_words(tmp_path: Path, dash: str) -> None:
    """'−1.5' (U+2212, as a word processor writes a minus) in half of y's cells was told "6 of
    its 12 values are words: train softmax regression": it is a number with another minus sign,
    told so with its spelling; written with '-' the file loads."""
    rows = "".join(f"{i},{i * i % 5},{dash if i % 2 else ''}{i}.5\n" for i in range(12))
    path = _written(tmp_path / "um.csv", "a,b,y\n" + rows)
    with pytest.raises(ValueError, match="could not convert"):
        np.loadtxt(path, delimiter=",", skiprows=1, encoding="utf-8")
    cell = f"{dash}1.5"
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 3 holds {cell!r}; "
        + _dash_rule(cell, dash, "-1.5")
    )
    _, y = load_regression_file(_written(path, "a,b,y\n" + rows.replace(dash, "-")))
    assert y[1].item() == -1.5


@pytest.mark.parametrize(
    "text,line,column,cell,plain",
    [
        # a feature column of them: no categories to encode with pd.get_dummies
        ("a,y\n" + "".join(f"\u2013{i}.25,{i}\n" for i in range(6)), 2, 1, "\u20130.25", "-0.25"),
        # a single stray one in y: told what is wrong with it, not just "fix that cell"
        ("a,y\n1,2\n3,\u22124\n5,6\n7,8\n", 3, 2, "\u22124", "-4"),
        # a first row without a header: data, not names beside numbers
        ("1,2,\u22121.5\n4,5,6\n7,8,9\n", 1, 3, "\u22121.5", "-1.5"),
        ("\u22121,\u22122\n4,5\n7,8\n", 1, 1, "\u22121", "-1"),
        # in an exponent too
        ("a,y\n1,2\n1e\u22125,4\n", 3, 1, "1e\u22125", "1e-5"),
    ],
)
def test_bad_minus_sign_anywhere_is_named_with_its_spelling(
    tmp_path: Path, text: str, line: int, column: int, cell: str, plain: str
) -> None:
    """A number whose minus is a dash other than '-' was told to be a category (pd.get_dummies), a
    word to fix, or a first row of names and numbers: it is told as a number spelt otherwise."""
    path = _written(tmp_path / "d.csv", text)
    dash = next(c for c in cell if c in _DASH_NAMES)
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line {line}, column {column} holds {cell!r}; "
        + _dash_rule(cell, dash, plain)
    )
    assert "get_dummies" not in said and "softmax" not in said
    X, _ = load_regression_file(_written(path, text.replace(dash, "-")))
    assert X.shape[1] >= 1


@pytest.mark.parametrize(
    "first", ["a,\u22121,y", "\u22121,y", "lag \u22121,\u22122,y", "a,\u2013,y", "a,\u22121x,y"]
)
def test_a_header_naming_a_column_with_a_minus_sign_is_read_as_names(
    tmp_path: Path, first: str
) -> None:
    """'a,−1,y' (U+2212) was loaded as a header until a number with another minus sign counted as
    data: then it was told "line 1, column 1 holds 'a' ... pd.get_dummies". Words beside such
    cells, as many or more, are names: the rows below load as numpy reads them (the oracle)."""
    body = "1.5,2,3\n2,4,1\n3,4,1\n5,6,1\n"
    body = (
        body if first.count(",") == 2 else "".join(r.split(",", 1)[1] + "\n" for r in body.split())
    )
    path = _written(tmp_path / "h.csv", f"{first}\n{body}")
    expected = np.loadtxt(io.StringIO(body), delimiter=",")
    X, y = load_regression_file(path)
    assert X.tolist() == torch.tensor(expected[:, :-1], dtype=X.dtype).tolist()
    assert y.reshape(-1).tolist() == torch.tensor(expected[:, -1], dtype=y.dtype).tolist()


def test_bad_minus_sign_before_inf_is_told_its_spelling_not_counted_as_a_word(
    tmp_path: Path,
) -> None:
    """'−inf' was no number with another minus sign (it is not finite): in y it was told as a
    word to fix; it is told its spelling, as numpy reads it (the oracle) once respelt."""
    path = _written(tmp_path / "d.csv", "a,y\n1,2\n3,\u2212inf\n5,6\n7,8\n")
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line 3, column 2 holds '\u2212inf'; "
        + _dash_rule("\u2212inf", "\u2212", "-inf")
    )
    assert np.loadtxt(io.StringIO("3,-inf\n"), delimiter=",")[1] == -np.inf


@pytest.mark.parametrize(
    ("cell", "plain", "also"),
    [
        ("\u22121_000", "-1000", ", and drop its underscores"),
        ("\u2013\u0661\u0660", "-10", ", and write its digits as 0-9"),
    ],
)
def test_bad_minus_sign_beside_another_misspelling_is_told_both_fixes(
    tmp_path: Path, cell: str, plain: str, also: str
) -> None:
    """'−1_000' was told "write it as -1000 (replace every '−' in the file with '-')": replaced,
    '-1_000' is still refused. Both fixes are told; made (the oracle: the file then loads), the
    cell reads as the number told."""
    text = f"a,y\n1,2\n3,{cell}\n5,6\n"
    path = _written(tmp_path / "d.csv", text)
    dash = cell[0]
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 2 holds {cell!r}; "
        + _dash_rule(cell, dash, plain).removesuffix(")")
        + also
        + ")"
    )
    respelt = cell.replace(dash, "-").replace("_", "")
    respelt = "".join(str(unicodedata.digit(c)) if c.isdigit() else c for c in respelt)
    _, y = load_regression_file(_written(path, text.replace(cell, respelt)))
    assert y[1].item() == float(plain)


def test_a_long_cell_with_a_bad_minus_sign_is_cut_with_its_length(tmp_path: Path) -> None:
    """A long cell was cut by !r:.30, its closing quote lost and its length unsaid: it is shown
    as other refusals show a long cell, "…" and its length."""
    cell = "\u2212" + "1" * 60 + ".5"
    path = _written(tmp_path / "d.csv", f"a,y\n1,2\n3,{cell}\n5,6\n")
    shown = "'\u2212" + "1" * 19 + "…' (63 characters)"
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 2 holds {shown}; every cell must be a "
        f"number with '-' as its minus sign, as numpy and pandas read one: {shown} uses the minus "
        "sign U+2212, not '-'; write it as '-" + "1" * 19 + "…' (63 characters) (replace every "
        "'\u2212' in the file with '-')"
    )


def test_bad_minus_signs_outnumbering_a_first_row_s_words_are_data_not_names(
    tmp_path: Path,
) -> None:
    """'−1.5,x,−3': more numbers with another minus sign than words is data with a stray word,
    told its first bad cell, never skipped as names."""
    path = _written(tmp_path / "d.csv", "\u22121.5,x,\u22123\n4,5,6\n7,8,9\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 1, column 1 holds '\u22121.5'; "
        + _dash_rule("\u22121.5", "\u2212", "-1.5")
    )


@pytest.mark.parametrize("space", ["\xa0", "\u2009", "\u202f", "\u3000", " "])
def test_a_number_padded_with_any_blank_is_read_as_numpy_reads_it(
    tmp_path: Path, space: str
) -> None:
    """A no-break space beside a number (a spreadsheet's thousands export) was refused as "not in
    the digits 0-9" when non-ASCII digits were refused: the digits are ASCII, the blank is skipped."""
    text = f"1,{space}2,3\n4,5{space},6\n7,8,9.5\n2,1,4\n"
    expected = np.loadtxt(io.StringIO(text), delimiter=",")  # the oracle
    (tmp_path / "d.csv").write_text(text, encoding="utf-8")
    X, y = load_regression_file(tmp_path / "d.csv")
    np.testing.assert_array_equal(np.asarray(X), expected[:, :2].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y).reshape(-1), expected[:, 2].astype(np.float32))


def _drop_said(
    path: Path, pandas: list[str], r: list[str], *, header: bool = True, skip: tuple[int, ...] = ()
) -> str:
    """Return the fix a missing value's refusal ends with, for the file ``path`` with a row of
    names or none (read, and saved, without one), whose markers ``pandas`` and ``r`` those tools'
    defaults do not read as missing, and whose lines ``skip`` (from 1, no quoted cell spanning
    lines above them) the reader skipped; saved without the index (row names) they add, to a new
    file beside it, to pass."""
    options = (", header=None" if not header else "") + (
        f", skiprows={[n - 1 for n in skip]}" if skip else ""
    )
    options += f", na_values={pandas!r}" if pandas else ""
    strings = ", ".join(f'"{cell}"' for cell in ["NA", *r])
    na_strings = (", header = FALSE" if not header else "") + (
        f", na.strings = c({strings})" if r else ""
    )
    text = f'text = readLines("{path}")[-c({", ".join(map(str, skip))})]' if skip else f'"{path}"'
    out = path.with_name(f"{path.stem}.complete.csv")
    return (
        f"e.g. in pandas: df = pd.read_csv('{path}'{options}).dropna(); df.to_csv('{out}', "
        f"{'header=False, ' if not header else ''}index=False) (in R: df <- na.omit(read.csv("
        f'{text}{na_strings})); write.csv(df, "{out}", row.names = FALSE)), and pass {out}'
    )


def test_the_drop_fix_in_r_skips_every_line_of_a_skipped_row_spanning_lines(tmp_path: Path) -> None:
    """A comment whose quoted cell spans two lines was left out of R's readLines by its first
    line alone: its second ('line"') became R's names, and read.csv failed ('incomplete final
    line'). Every line of it is left out; pandas' skiprows counts it as one row."""
    text = '# note,"multi\nline"\n# two\na,b,y\n1,2,3\n4,,6\n7,8,9\n'
    path = _written(tmp_path / "q.csv", text)
    said = _refusal(path)
    assert f"pd.read_csv({str(path)!r}, skiprows=[0, 1]).dropna()" in said
    assert f'read.csv(text = readLines("{path}")[-c(1, 2, 3)]))' in said
    # readLines' lines less those the fix names, as R's read.csv reads what is left: the table
    named = re.search(r"readLines\([^)]*\)\[-c\(([\d, ]+)\)\]", said)
    assert named is not None
    left_out = {int(n) for n in named.group(1).split(", ")}
    kept = [
        line for n, line in enumerate(path.read_text().splitlines(), start=1) if n not in left_out
    ]
    assert kept == ["a,b,y", "1,2,3", "4,,6", "7,8,9"]


def _complete(path: Path) -> Path:
    """Return the file beside ``path`` that the drop (or fill) fix writes, to pass."""
    return path.with_name(f"{path.stem}.complete.csv")


def _written(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _refusal(path: Path) -> str:
    """Return the message of the DatasetError reading the CSV at ``path`` raises."""
    with pytest.raises(DatasetError) as caught:
        load_regression_file(path)
    return str(caught.value)


def test_pandas_default_column_names_read_as_data_are_warned_of(tmp_path: Path) -> None:
    """DataFrame(np.c_[X, y]).to_csv(path, index=False) writes 0,1,2 above the data: a row of
    numbers, so an example, and the fit was silently wrong."""
    path = _written(tmp_path / "p.csv", "0,1,2\n1.5,2.0,3.0\n-1.0,0.5,2.5\n4.0,1.0,0.0\n")
    with pytest.warns(DataWarning, match=r"p\.csv: line 1 \(0,1,2\) is read as an example, but it is the header pandas writes for unnamed columns"):  # fmt: skip
        X, _ = load_regression_file(path)
    assert X.shape == (4, 2)  # still read as data: 0,1,2 can be an example
    with pytest.warns(DataWarning) as seen:
        load_regression_file(path)
    assert seen[0].filename == __file__  # the caller's line, not the reader's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_regression_file(_written(tmp_path / "q.csv", "0,1,3\n1.5,2.0,3.0\n-1.0,0.5,2.5\n"))


def _plane(first: str, rows: int = 50) -> str:
    """Return a CSV of ``rows`` examples of y = 1.5a - 2b + 3 (a, b near 0) below the line
    ``first``."""
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, rows)).tolist()
    return (
        first
        + "\n"
        + "".join(f"{p!r},{q!r},{1.5 * p - 2 * q + 3!r}\n" for p, q in zip(a, b, strict=True))
    )


@pytest.mark.parametrize(
    ("first", "said"),
    [
        (
            "1,2,3",
            "it numbers the columns 1 to 3, as a header would: if it is one, give the columns "
            "names (e.g. x1,x2,y), since a first row is skipped as names only when none of its "
            "cells is a number",
        ),
        (
            "2019,2020,2021",
            "its values, integers each 10× or more the largest of its column below it, look like "
            "names: if it is a header, give the columns names (e.g. x1,x2,y), since a first row "
            "is skipped as names only when none of its cells is a number",
        ),
    ],
)
def test_a_header_of_numbers_read_as_an_example_is_warned_of(
    tmp_path: Path, first: str, said: str
) -> None:
    """A header of numbers is a row of data: '1,2,3' above 50 examples of y = 1.5a - 2b + 3 fit
    w = [1.54, -1.87], silently; '2019,2020,2021' diverged, told only the features' scale."""
    path = _written(tmp_path / "h.csv", _plane(first))
    with pytest.warns(DataWarning) as seen:
        X, y = load_regression_file(path)
    assert [str(w.message) for w in seen] == [
        f"{path}: line 1 ({first}) is read as an example, but {said}"
    ]
    assert seen[0].filename == __file__  # the caller's line, not the reader's
    assert X.shape == (51, 2) and X[0].tolist() == [float(v) for v in first.split(",")[:2]]
    assert y[0].item() == float(first.split(",")[2])


@pytest.mark.parametrize(
    "first",
    [
        "a,b,y",  # a header
        "1,2,4",  # not the columns numbered
        "2019.0,2020.0,2021.0",  # no integers: data
        "2019,2020,3",  # the last is among its column's values
        "20,-30,20",  # 10x the largest below it or more in no column: data
        "-500,-900,-700",  # far out, but negatives are no names: data
        "500,-900,700",
    ],
)
def test_a_first_row_like_data_is_read_without_a_warning(tmp_path: Path, first: str) -> None:
    path = _written(tmp_path / "d.csv", _plane(first))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, _ = load_regression_file(path)
    assert len(X) == 50 + (first != "a,b,y")


def test_a_first_row_of_zeros_above_zeros_is_read_without_a_warning(tmp_path: Path) -> None:
    """'0,0,0' above a column of zeros was warned of as names, 0 being 10x or more of 0."""
    path = _written(tmp_path / "z.csv", "0,0,0\n" * 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        X, y = load_regression_file(path)
    assert X.tolist() == [[0.0, 0.0]] * 4 and y.reshape(-1).tolist() == [0.0] * 4


def test_a_csv_in_another_encoding_is_refused_by_line_with_the_conversion(tmp_path: Path) -> None:
    """A Windows-1252 file (Excel's "CSV (Comma delimited)" on Windows) and UTF-16 text (Excel's
    Unicode Text) were told by the decoder's offset within the chunk it read ("byte 0xe9 in
    position 14"), with no line and no conversion; the place is now the file's line and byte."""
    from linearnets._shell import shell_word

    path = tmp_path / "my data.csv"
    body = "x1,x2,y\n" + "1,2,3\n" * 10000 + "4,caf\u00e9,6\n"  # past the wrapper's first chunk
    path.write_bytes(body.encode("cp1252"))
    assert _refusal(path) == (
        f"{path} is not UTF-8 text: line 10002, byte 6 is 0xe9 ('\u00e9' in Windows-1252), which "
        "UTF-8 does not allow there; save it as CSV UTF-8 (comma delimited), or convert it: iconv "
        f"-f WINDOWS-1252 -t UTF-8 {shell_word(path)} > {shell_word(tmp_path / 'my data.utf8.csv')}"
        f" and pass {shell_word(tmp_path / 'my data.utf8.csv')}"
    )
    path.write_bytes(b"x1,x2,y\n1,\x81,3\n")  # undefined in Windows-1252: no conversion named
    assert _refusal(path) == (
        f"{path} is not UTF-8 text: line 2, byte 3 is 0x81, which UTF-8 does not allow there; "
        "save it as CSV UTF-8 (comma delimited)"
    )
    for encoding, mark in (("utf-16-le", "ff fe"), ("utf-16-be", "fe ff")):
        path.write_bytes("\ufeffx1,x2,y\n1,2,3\n".encode(encoding))
        assert _refusal(path) == (
            f"{path} is UTF-16 text (it starts with the byte-order mark {mark}, as Excel's Unicode "
            "Text and PowerShell's Out-File write), not UTF-8; save it as CSV UTF-8 (comma "
            "delimited), or convert it: iconv -f UTF-16 -t UTF-8 "
            f"{shell_word(path)} > {shell_word(tmp_path / 'my data.utf8.csv')} and pass "
            f"{shell_word(tmp_path / 'my data.utf8.csv')}"
        )
    # converted as advised, it is read
    path.write_bytes(body.encode("cp1252").decode("cp1252").replace("caf\u00e9", "5").encode())
    X, y = load_regression_file(path)
    assert X.shape == (10001, 2) and y[-1, 0] == 6


@pytest.mark.skipif(not (shutil.which("iconv") and shutil.which("gunzip")), reason="no iconv")
@pytest.mark.parametrize("there", [(), ("table.utf8.csv", "table.unzipped.csv")])
@pytest.mark.parametrize(
    ("name", "raw", "made"),
    [
        ("table.csv", "x,y\n1,caf\u00e9\n".encode("cp1252"), "table.utf8"),
        ("table.csv", "\ufeffx,y\n1,2\n".encode("utf-16-le"), "table.utf8"),
        ("table.csv", gzip.compress(b"x,y\n1,2\n"), "table.unzipped"),
    ],
    ids=["windows-1252", "utf-16", "gzip"],
)
def test_the_advised_conversion_leaves_the_file_and_writes_a_new_one(
    tmp_path: Path, name: str, raw: bytes, made: str, there: tuple[str, ...]
) -> None:
    """The advice for table.csv was 'iconv ... table.csv > table.csv' (or 'gunzip -c FILE >
    table.csv'): the shell empties table.csv for '>' before iconv reads it, so the data was lost;
    then it named table.utf8.csv where one existed, emptied as well. Run as advised, the file
    and those beside it are kept, the converted copy written under a new name (table.utf8-2.csv
    beside a table.utf8.csv), the one it names to pass, which reads as the file's table."""
    path = tmp_path / name
    path.write_bytes(raw)
    for other in there:
        (tmp_path / other).write_bytes(b"kept\n")
    command = re.search(r"((?:iconv|gunzip) [^)]*?)\)? and pass (\S+)$", _refusal(path))
    assert command is not None
    new = tmp_path / f"{made}{'-2' if there else ''}.csv"
    assert command[2] == str(new)
    subprocess.run(command[1], shell=True, cwd=tmp_path, check=True, capture_output=True)
    assert path.read_bytes() == raw
    assert all((tmp_path / other).read_bytes() == b"kept\n" for other in there)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted({name, new.name, *there})
    text = "x,y\n1,caf\u00e9\n" if b"caf" in raw else "x,y\n1,2\n"
    assert new.read_text(encoding="utf-8-sig") == text  # the file's text, as UTF-8


@pytest.mark.parametrize(
    ("cell", "plain"),
    [
        ("1,000", "1000"),
        ("-1,234,567.5", "-1234567.5"),
        ("+12,345.", "+12345."),
        (" 1,000", "1000"),
    ],
)
def test_a_number_with_thousands_separators_is_refused_with_the_number_it_holds(
    tmp_path: Path, cell: str, plain: str
) -> None:
    """A spreadsheet's "1,000" (quoted, so the comma did not split it) was told only that every
    cell must be a number; a decimal comma ("1,5") is no thousands separator and keeps that."""
    path = tmp_path / "d.csv"
    path.write_text(f'x1,x2,y\n"{cell}",2,3\n4,5,6\n')
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cell!r}, a number written with "
        "thousands separators (a spreadsheet's number format); every cell must be a number as "
        f"numpy and pandas read one: save the column without them ({plain!r}), e.g. in Excel as "
        "the Number format with 'Use 1000 Separator' cleared"
    )
    # saved as advised, the cell is read as the number it held (what pandas' thousands="," reads)
    path.write_text(f"x1,x2,y\n{plain},2,3\n4,5,6\n")
    X, _ = load_regression_file(path)
    assert X[0, 0].item() == float(cell.replace(",", ""))
    path.write_text('x1,x2,y\n"1,5",2,3\n4,5,6\n')
    assert _refusal(path).endswith("line 2, column 1 holds '1,5', a number written with a decimal comma; every cell must be a number as numpy and pandas read one: write it with '.' as the decimal point ('1.5'), e.g. save the table with '.' as the spreadsheet's decimal separator")  # fmt: skip


@pytest.mark.parametrize("cell", ["0,500", "-0,500", "01,234", "1234,567", "1,0000", "12,5"])
def test_a_number_with_a_decimal_comma_no_thousands_separator_can_make_is_said_so(
    tmp_path: Path, cell: str
) -> None:
    """'0,500' (quoted) was told to be saved without thousands separators, as '0500', read as 500;
    no spreadsheet groups thousands after a first group of 0 or of four digits, nor in groups of
    four: it is a decimal comma, told to be written with '.', which reads the number meant."""
    path = _written(tmp_path / "d.csv", f'x1,x2,y\n"{cell}",2,3\n4,5,6\n')
    point = cell.replace(",", ".")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cell!r}, a number written with a "
        "decimal comma; every cell must be a number as numpy and pandas read one: write it with "
        f"'.' as the decimal point ({point!r}), e.g. save the table with '.' as the spreadsheet's "
        "decimal separator"
    )
    X, _ = load_regression_file(_written(path, f"x1,x2,y\n{point},2,3\n4,5,6\n"))
    assert X[0, 0].item() == torch.tensor(float(cell.replace(",", "."))).item()


@pytest.mark.parametrize("cell", ["1,23,456", "1,234,56", "1,2,3"])
def test_commas_between_other_groups_than_thousands_are_no_thousands_separators(
    tmp_path: Path, cell: str
) -> None:
    """Only groups of three digits after the first one to three are a spreadsheet's thousands."""
    path = _written(tmp_path / "d.csv", f'x1,x2,y\n"{cell}",2,3\n4,5,6\n')
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cell!r}; every cell must be a "
        f"number (a first row of column names is allowed): {_NUMBERS_FIX}"
    )


def _suggested(fix: str) -> str:
    """Return the number a format's fix says to write: the plain number ('1234.56'), or a
    percentage's fraction."""
    plain, fraction = re.findall(r"\('([-0-9.]+)'\)|fractions, ([0-9.]+)", fix)[0]
    return plain or fraction


@pytest.mark.parametrize(
    ("cell", "what", "fix", "meant"),
    [
        (
            "5%",
            "a percentage (a spreadsheet's Percent format)",
            "save the column as numbers without '%': as fractions, 0.05 (the percentage divided by "
            "100), e.g. in Excel as the General or Number format, or as the percentages, 5",
            0.05,
        ),
        (
            "12.5 %",
            "a percentage (a spreadsheet's Percent format)",
            "save the column as numbers without '%': as fractions, 0.125 (the percentage divided "
            "by 100), e.g. in Excel as the General or Number format, or as the percentages, 12.5",
            0.125,
        ),
        (
            "$5",
            "an amount with a currency symbol ('$', a spreadsheet's Currency format)",
            "save the column as plain numbers ('5'), without the symbol, e.g. in Excel as the "
            "Number format rather than Currency or Accounting",
            5.0,
        ),
        (
            "-$1,234.50",
            "an amount with a currency symbol ('$', a spreadsheet's Currency format) and thousands "
            "separators (a spreadsheet's number format)",
            "save the column as plain numbers ('-1234.50'), without the symbol, e.g. in Excel as "
            "the Number format rather than Currency or Accounting, with 'Use 1000 Separator' "
            "cleared",
            -1234.5,
        ),
        (
            "5\u00a0€",
            "an amount with a currency symbol ('€', a spreadsheet's Currency format)",
            "save the column as plain numbers ('5'), without the symbol, e.g. in Excel as the "
            "Number format rather than Currency or Accounting",
            5.0,
        ),
        (
            "1\u00a0234",
            "a number written with no-break spaces as thousands separators (a spreadsheet's number "
            "format)",
            "save the column without them ('1234'), e.g. in Excel as the Number format with 'Use "
            "1000 Separator' cleared",
            1234.0,
        ),
        (
            "-12\u202f345,5",
            "a number written with narrow no-break spaces as thousands separators (a spreadsheet's "
            "number format) and a decimal comma",
            "save the column without them ('-12345.5'), e.g. in Excel as the Number format with "
            "'Use 1000 Separator' cleared, and with '.' as the decimal separator",
            -12345.5,
        ),
        # European formats and Accounting's negatives, once told to encode categories
        (
            "5,50 €",
            "an amount with a currency symbol ('€', a spreadsheet's Currency format) and a decimal "
            "comma",
            "save the column as plain numbers ('5.50'), without the symbol, e.g. in Excel as the "
            "Number format rather than Currency or Accounting, and with '.' as the decimal "
            "separator",
            5.5,
        ),
        *[
            (cell, _EURO_AMOUNT, _EURO_AMOUNT_FIX, 1234.56)
            for cell in ("1\u00a0234,56\u00a0€", "1\u202f234,56\u00a0€", "€1.234,56", "1.234,56 €")
        ],
        (
            "12,5 %",
            "a percentage (a spreadsheet's Percent format) and a decimal comma",
            "save the column as numbers without '%', and with '.' as the decimal separator: as "
            "fractions, 0.125 (the percentage divided by 100), e.g. in Excel as the General or "
            "Number format, or as the percentages, 12.5",
            0.125,
        ),
        (
            "($1,234.56)",
            "a negative amount in parentheses with a currency symbol ('$', a spreadsheet's "
            "Accounting format) and thousands separators (a spreadsheet's number format)",
            "save the column as plain numbers ('-1234.56'), without the symbol, with a minus sign, "
            "e.g. in Excel as the Number format rather than Currency or Accounting, with 'Use 1000 "
            "Separator' cleared",
            -1234.56,
        ),
        (
            "($5)",
            "a negative amount in parentheses with a currency symbol ('$', a spreadsheet's "
            "Accounting format)",
            "save the column as plain numbers ('-5'), without the symbol, with a minus sign, e.g. "
            "in Excel as the Number format rather than Currency or Accounting",
            -5.0,
        ),
        (
            "(5)",
            "a negative number in parentheses (a spreadsheet's Accounting format)",
            "save the column as plain numbers ('-5'), with a minus sign, e.g. in Excel as the "
            "Number format rather than Accounting",
            -5.0,
        ),
        (
            "1.234,56",
            "a number written with '.' as thousands separators (a spreadsheet's number format) and "
            "a decimal comma",
            "save the column without them ('1234.56'), e.g. in Excel as the Number format with "
            "'Use 1000 Separator' cleared, and with '.' as the decimal separator",
            1234.56,
        ),
    ],
)
def test_a_number_in_a_spreadsheet_s_format_is_refused_with_the_number_to_write(
    tmp_path: Path, cell: str, what: str, fix: str, meant: float
) -> None:
    """'5%', '$5' and '1\u00a0234' (French Excel's thousands) were told only "every cell must be a
    number (a first row of column names is allowed)", with no fix; the number the fix writes is
    the one the spreadsheet showed."""
    path = _written(tmp_path / "d.csv", f'x1,x2,y\n1,2,3\n4,"{cell}",6\n7,8,10\n')
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 2 holds {cell!r}, {what}; every cell must be "
        f"a number as numpy and pandas read one: {fix}"
    )
    X, _ = load_regression_file(_written(path, f"x1,x2,y\n1,2,3\n4,{_suggested(fix)},6\n7,8,10\n"))
    assert X[1, 1].item() == torch.tensor(meant).item()


@pytest.mark.parametrize("cell", ["-$-5", "-$+5", "($-5)", "€ abc", "5 % off"])
def test_a_cell_with_a_currency_symbol_or_percent_that_is_no_number_is_told_to_be_fixed(
    tmp_path: Path, cell: str
) -> None:
    """'-$-5' was told to save the plain number '--5', which is none; a cell with a currency
    symbol or '%' that reads as no number is a number mistyped, to fix, not a category to
    encode."""
    path = _written(tmp_path / "d.csv", f'x1,x2,y\n1,2,3\n4,"{cell}",6\n7,8,10\n')
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 2 holds {cell!r}; every cell must be a "
        "number (a first row of column names is allowed): save the column as numbers (fix that "
        "cell, or drop its example)"
    )


def test_a_second_header_row_is_refused_with_the_line_to_delete(tmp_path: Path) -> None:
    """A row of units below the names was told "line 2, column 1 holds 'units'; every cell must
    be a number (a first row of column names is allowed)": one header row is read."""
    rows = "1.5,2,3\n4,5,6.5\n7,8,10\n"
    path = _written(tmp_path / "u.csv", "# exported\nmass,height,price\nunits,m,EUR\n" + rows)
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, right below the header (line 2), holds "
        "'units,m,EUR' and no number, a second header row (units, or names?); one header row is "
        "read, and every cell below it must be a number: delete line 3, keeping one header row "
        "(put units in the names, e.g. 'mass_kg')"
    )
    X, y = load_regression_file(_written(path, "# exported\nmass,height,price\n" + rows))
    oracle = np.loadtxt(io.StringIO(rows), delimiter=",")
    assert X.tolist() == oracle[:, :2].tolist() and y.reshape(-1).tolist() == oracle[:, 2].tolist()
    # a first data row of numbers and a word, or missing values, is no second header
    assert "right below the header" not in _refusal(_written(path, "a,b,y\n1,x,3\n" + rows))
    assert "a missing value" in _refusal(_written(path, "a,b,y\nNA,,NA\n" + rows))


def test_bools_missing_values_and_categories_are_no_second_header_row(tmp_path: Path) -> None:
    """A first row of bools, of a missing value and a word, or of categories was told to be
    deleted as a second header row; for categories, deleting it told the next line the same,
    deleting the data line by line. A second header row is words alone above a row of numbers."""
    path = _written(
        tmp_path / "b.csv", "a,b,y\nTRUE,FALSE,TRUE\nFALSE,TRUE,FALSE\nTRUE,TRUE,TRUE\n"
    )
    assert _refusal(path).startswith(
        f"{path} is not a numeric CSV: line 2, column 1 holds 'TRUE', a bool (pandas writes bool "
        "columns"
    )
    path = _written(tmp_path / "n.csv", "a,b,y\nNA,foo,\n1,2,3\n4,5,6\n")
    assert _refusal(path).startswith(
        f"{path} is not a numeric CSV: line 2, column 1 holds 'NA', a missing value (pandas "
        "writes NaN as an empty cell, R's write.csv as NA); every cell must be a number: drop or "
        "fill the examples that miss one first, e.g. in pandas: "
    )
    categories = "red,round,apple\nblue,square,pear\ngreen,round,apple\n"
    path = _written(tmp_path / "c.csv", "color,shape,label\n" + categories)
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds 'red'; every cell must be a number "
        f"(a first row of column names is allowed): {_NUMBERS_FIX}"
    )
    # a second header row above numbers with a missing value: deleted, it is never told again
    path = _written(tmp_path / "u.csv", "a,b,y\nunits,m,EUR\n1,NA,3\n4,5,6\n")
    assert "delete line 2, keeping one header row" in _refusal(path)
    assert "a missing value" in _refusal(_written(path, "a,b,y\n1,NA,3\n4,5,6\n"))


def test_words_in_y_s_column_are_refused_as_linear_regression_s_target(tmp_path: Path) -> None:
    """A word in y's column was told the rule alone: y is a number for linear regression; class
    names are told the way to softmax regression, a stray word to fix or drop its example."""
    path = _written(tmp_path / "c.csv", "a,b,y\n1,2,cat\n4,5,dog\n7,8,cat\n2,2,1\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 3 holds 'cat'; every cell must be a number: "
        "y, the target (the last column), is a number for linear regression, and 3 of its 4 "
        "values are words: for classes, train softmax regression on an .npz of X and y, the class "
        "names numbered 0..C-1: numpy.savez(path, X=X, y=numpy.unique(y, return_inverse=True)[1])"
    )
    path = _written(path, "a,b,y\n1,2,3\n4,5,x\n7,8,10\n2,2,NA\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 3 holds 'x'; every cell must be a number: "
        "y, the target (the last column), is a number for linear regression; fix that cell, or "
        "drop its example"
    )


@pytest.mark.parametrize(
    "cell,spelling",
    [
        ("\xa01_000", "1000"),
        ("1_0", "10"),
        ("0.0_1", "0.01"),
        ("-2_5.5", "-25.5"),
        ("1_0e2", "10e2"),
    ],
)
def test_a_cell_that_is_no_number_for_its_underscores_is_told_its_spelling(
    tmp_path: Path, cell: str, spelling: str
) -> None:
    """'1_0', which Python's float() reads as 10, was told "every cell must be a number (a first
    row of column names is allowed)", no word of the underscores numpy and pandas do not read, nor
    of the number; it is told both, as the command line's options are (a no-break space before
    it makes it no ASCII text, but its digits are ASCII's: no word of "the digits 0-9")."""
    text = f"x,y\n{cell},2\n3,4\n"
    with pytest.raises(ValueError, match="could not convert"):  # numpy reads no such number
        np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1)
    path = tmp_path / "d.csv"
    path.write_text(text, encoding="utf-8")
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cell!r}; every cell must be a "
        f"number without underscores, as numpy and pandas read them; write it as {spelling}"
    )
    X, _ = load_regression_file(_written(path, text.replace(cell, spelling)))  # the fix, followed
    assert X.flatten().tolist() == torch.tensor([float(cell.replace("_", "")), 3]).tolist()


def test_a_first_row_of_names_and_numbers_shows_three_of_each_at_most(tmp_path: Path) -> None:
    path = _written(tmp_path / "m.csv", "1,2,3,a,b,c,d\n1,2,3,4,5,6,7\n1,2,3,4,5,6,7\n")
    assert _refusal(path) == (
        f"{path}: line 1 holds both numbers ('1', '2', '3') and text ('a', 'b', 'c', …): if it "
        "names the columns, rename those that read as numbers (e.g. 'x1'; a first row is skipped "
        "as names only when none of its cells is a number); if it is data, fix 'a', 'b', 'c', …"
    )


def test_long_cells_are_shown_cut_to_30_characters(tmp_path: Path) -> None:
    """A cell past 30 characters is shown as other refusals show one, its first 20 and "…" quoted,
    with its length (it was its repr() cut to 30 characters, the closing quote lost); a first
    row's cells as their repr() cut to 30 characters, the opening quote included."""
    long_text = "abcdefghij" * 5
    path = _written(tmp_path / "l.csv", f"x,y\n1,2\n{long_text},3\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3, column 1 holds '{long_text[:20]}…' (50 "
        f"characters); every cell must be a number (a first row of column names is allowed): "
        f"{_NUMBERS_FIX}"
    )
    number, name = "1234567890" * 4, "name_" * 8
    path = _written(tmp_path / "m.csv", f"{number},{name}\n1,2\n3,4\n")
    assert _refusal(path) == (
        f"{path}: line 1 holds both numbers ('{number[:29]}) and text ('{name[:29]}): if it "
        f"names the columns, rename those that read as numbers (e.g. 'x{number[:28]}; a first "
        f"row is skipped as names only when none of its cells is a number); if it is data, fix "
        f"'{name[:29]}"
    )


def test_pandas_default_column_names_with_blanks_are_warned_of(tmp_path: Path) -> None:
    """Blanks around a cell are skipped, as around a number: ``0, 1, 2`` is pandas' names too."""
    path = _written(tmp_path / "p.csv", "0, 1, 2\n1.5,2.0,3.0\n-1.0,0.5,2.5\n")
    with pytest.warns(DataWarning, match=r"p\.csv: line 1 \(0,1,2\) is read as an example"):
        X, _ = load_regression_file(path)
    assert X.tolist() == [[0, 1], [1.5, 2], [-1, 0.5]]


def test_an_unnamed_first_column_above_no_rows_is_told_as_pandas_index(tmp_path: Path) -> None:
    """Without rows there are no row numbers 1, 2, … to tell R's row names by: pandas' index it is."""
    path = _written(tmp_path / "p.csv", ",x1,y\n")
    assert _refusal(path) == (
        f"{path} has an unnamed first column (its header starts with an empty cell), as pandas' "
        "to_csv() writes its index: it would be read as a feature; save with "
        "df.to_csv(path, index=False) or drop that column"
    )


def test_blanks_around_an_index_s_cells_do_not_hide_it(tmp_path: Path) -> None:
    """A blank first name, one ``Unnamed: 0`` with blanks, or row numbers with blanks are the
    index still, as a blank cell is an empty one."""
    path = _written(tmp_path / "p.csv", " ,x1,y\n0,0.5,2\n1,1.5,3\n")
    assert _refusal(path).startswith(
        f"{path} has an unnamed first column (its header starts with an empty cell), as pandas' "
        "to_csv() writes its index"
    )
    path = _written(tmp_path / "p.csv", " Unnamed: 0,x1,y\n0,0.5,2\n1,1.5,3\n")
    assert _refusal(path).startswith(f"{path} has a first column named 'Unnamed: 0'")
    path = _written(tmp_path / "p.csv", " 0,5.5,1\n 1,6.5,2\n 2,7.5,3\n")
    assert _refusal(path).startswith(
        f"{path} has no header and its first column holds the row numbers 0, 1, 2 in order"
    )


def test_a_space_inside_a_cell_of_two_columns_is_no_separator(tmp_path: Path) -> None:
    """Names hold spaces: a line of two or more cells is split by its commas only, and a cell
    holding a space is a bad cell, named as one."""
    path = _written(tmp_path / "s.csv", "x one,y\n1 5,2\n3,4\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds '1 5'; every cell must be a number "
        f"(a first row of column names is allowed): {_NUMBERS_FIX}"
    )


@pytest.mark.parametrize(
    "text", [b"PK,x,y\n1,2,3\n4,5,6\n", b"\x1fx,y,z\n1,2,3\n4,5,6\n"], ids=["PK", "1f"]
)
def test_text_that_starts_as_a_zip_or_gzip_file_might_is_read_as_text(
    tmp_path: Path, text: bytes
) -> None:
    """Only a zip's whole signature (PK 03 04) or gzip's two bytes (1f 8b) tell a compressed
    file: a column named PK (a primary key) is a column name."""
    path = tmp_path / "d.csv"
    path.write_bytes(text)
    X, y = load_regression_file(path)
    assert X.tolist() == [[1, 2], [4, 5]] and y.reshape(-1).tolist() == [3, 6]


def test_a_quoted_line_break_is_shown_as_the_file_holds_it(tmp_path: Path) -> None:
    """The file is read with newline='' (as the csv module requires): a cell's CR LF is kept."""
    path = tmp_path / "d.csv"
    path.write_bytes(b'x,y\n"a\r\nb",2\n3,4\n')
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds 'a\\r\\nb'; every cell must be a "
        f"number (a first row of column names is allowed): {_NUMBERS_FIX}"
    )


def test_a_long_line_of_trailing_commas_is_shown_by_its_end_and_length(tmp_path: Path) -> None:
    """It was cut at 60 characters of its repr, dropping the comma it is about and the closing
    quote, with no sign it was cut; a long line's end is shown, with "…" and its length."""
    first, second = ",".join(["1.25"] * 20) + ",", ",".join(["2.5"] * 20) + ","
    assert len(first) == 100 and first.endswith(",")
    shown = "'…" + first[-40:] + "' (100 characters)"
    assert shown.endswith(",1.25,' (100 characters)")  # the trailing comma, then the quote
    path = _written(tmp_path / "t.csv", f"{first}\n{second}\n")
    assert _refusal(path) == (
        f"{path}: every line ends with a comma, so the last column, where y goes, is empty (line "
        f"1: {shown}); remove the trailing commas, so that each line ends with its y"
    )
    names = ",".join(f"x{j}" for j in range(1, 20)) + ",y"
    path = _written(tmp_path / "t.csv", f"{names}\n{first}\n{second}\n")
    assert _refusal(path) == (
        f"{path}: every line but the first ends with a comma, so their last column, where y "
        f"goes, is empty (line 2: {shown}); remove the trailing commas, so that each "
        "line ends with its y"
    )
    short = "1,2,\n3,4,\n5,6,\n"  # short lines stay whole
    assert "(line 1: '1,2,')" in _refusal(_written(tmp_path / "s.csv", short))


@pytest.mark.parametrize(
    "text",
    [
        "# exported by tool, v2\na,b,y\n1,2,3\n2,1,4\n3,5,9\n",  # a comment of 2 cells
        "a,b,y\n1,2,3\n# note, between, rows\n2,1,4\n3,5,9\n",  # as wide as the table
        "a,b,y\n1,2,3\n2,1,4\n3,5,9\n# end\n",  # a footer
        "# exported, by, tool\n4,2,3\n2,1,4\n3,5,9\n",  # above data with no names (and no 1, 2, 3)
        "  #x,y,z\n1,2,3\n2,1,4\n3,5,9\n#\n",  # indented; '#' alone
    ],
)
def test_comment_lines_anywhere_are_skipped_as_numpy_loadtxt_skips_them(
    tmp_path: Path, text: str
) -> None:
    """A comment line above 'a,b,y' was told "line 1 has 2 columns, the others 3; the column names
    must name every column", a footer '# end' "line 6 has 1 column": '#' lines are comments
    wherever they stand ('#x,y,z' first, as wide as the table, is its names), and the table is read
    as numpy.loadtxt (the oracle) reads it; each example keeps its own line's number in
    messages."""
    path = _written(tmp_path / "c.csv", text)
    X, y = load_regression_file(path)
    lines = [line.lstrip() for line in text.split("\n") if line != "a,b,y"]  # loadtxt: '#' first
    oracle = np.loadtxt(io.StringIO("\n".join(lines)), delimiter=",", ndmin=2)
    np.testing.assert_array_equal(np.asarray(X), oracle[:, :2].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y).reshape(-1), oracle[:, 2].astype(np.float32))
    bad = _written(tmp_path / "bad.csv", text.replace("3,5,9", "3,x,9"))
    line = text.split("\n").index("3,5,9") + 1
    assert f"line {line}, column 2" in _refusal(bad)


def test_excel_error_values_first_in_a_row_are_cells_not_comments(tmp_path: Path) -> None:
    """'#N/A' or '#DIV/0!' first in a row is Excel's, a cell of the row, not a comment: the row
    is not dropped unseen, its cell is told as a missing value or no number."""
    path = _written(tmp_path / "e.csv", "a,b,y\n1,2,3\n#N/A,1,4\n3,5,9\n")
    assert "line 3, column 1" in _refusal(path)
    path = _written(tmp_path / "e.csv", "a,b,y\n1,2,3\n#DIV/0!,1,4\n3,5,9\n")
    assert "line 3, column 1" in _refusal(path)


@pytest.mark.parametrize(
    "cell",
    ["#ERROR!", "#WERT!", "#NV", "#VALEUR!", "#NOMBRE!", "#¡VALOR!", "#N/D", "#REF!", "#NAME?"],
)
def test_spreadsheet_error_values_of_any_locale_first_in_a_row_are_refused_not_dropped(
    tmp_path: Path, cell: str
) -> None:
    """Google Sheets' '#ERROR!', German '#WERT!' and '#NV', French '#VALEUR!', Spanish '#¡VALOR!'
    first in a row were taken for comments (only Excel's English values were known): the row was
    dropped unseen, 5 examples trained of 6. A '#' line as wide as the table with no blank after
    the '#' is a row, its cell refused by its line, as before comments were skipped."""
    path = _written(tmp_path / "e.csv", f"x,y\n1,2\n2,4.1\n3,6\n{cell},8\n5,10\n6,12.1\n")
    # a missing value, as in features' text (one list of markers): no column name
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 5, column 1 holds {cell!r}, a missing value (a "
        "spreadsheet's error value, its formula gave none); every cell must be a number: drop or "
        f"fill the examples that miss one first, {_drop_said(path, [cell], [cell])}"
    )
    # in a row of another width too: the row told by its width, not dropped as a comment
    path = _written(tmp_path / "w.csv", f"a,b,y\n1,2,3\n{cell},8\n4,5,6\n")
    assert _refusal(path) == (
        f"{path}: line 3 has 2 columns, the others 3; every row must hold the same features, then y"
    )


def test_a_quoted_hash_cell_and_a_row_of_numbers_after_a_hash_are_data(tmp_path: Path) -> None:
    """'"#x",8' is a quoted cell (the csv module reads it as #x, as it reads '#x,8'): data, whose
    line's text starts with a quote; '#3,6' is a row's numbers after a '#', maybe commented out:
    refused, with how to write a comment, rather than dropped unseen."""
    quoted = _written(tmp_path / "q.csv", 'x,y\n1,2\n2,4.1\n3,6\n"#x",8\n5,10\n')
    assert _refusal(quoted).startswith(
        f"{quoted} is not a numeric CSV: line 5, column 1 holds '#x'"
    )
    quoted = _written(tmp_path / "q.csv", 'x,y\n1,2\n"# total",8\n5,10\n')  # '#', a blank
    assert _refusal(quoted).startswith(f"{quoted} is not a numeric CSV: line 3, column 1 holds")
    numbers = _written(tmp_path / "n.csv", "x,y\n1,2\n2,4\n#3,6\n4,8\n")
    assert _refusal(numbers) == (
        f"{numbers} is not a numeric CSV: line 4, column 1 holds '#3'; every cell must be a number "
        f"(a first row of column names is allowed): {_NUMBERS_FIX}; to skip the line as a "
        "comment, start it with "
        "'# ' (a blank after '#')"
    )
    numbers = _written(tmp_path / "n.csv", "a,b,y\n1,2,3\n#3,6\n4,8,9\n")  # short, too
    assert _refusal(numbers) == (
        f"{numbers}: line 3 has 2 columns, the others 3; every row must hold the same features, "
        "then y; to skip the line as a comment, start it with '# ' (a blank after '#')"
    )


def test_hash_led_numbers_refused_on_any_path_are_told_how_to_write_a_comment(
    tmp_path: Path,
) -> None:
    """'#1,2,3' on every line (a first row of numbers and the text '#1') and a lone '#1e5' (a row
    of 1 column) were refused with no word of the '# ' that makes a comment, which the same
    '#3,6' among rows of numbers is told; a spreadsheet's error value is told no such thing."""
    path = _written(tmp_path / "m.csv", "#1,2,3\n#2,3,5\n#3,4,7\n")
    assert _refusal(path) == (
        f"{path}: line 1 holds both numbers ('2', '3') and text ('#1'): if it names the columns, "
        "rename those that read as numbers (e.g. 'x2'; a first row is skipped as names only when "
        "none of its cells is a number); if it is data, fix '#1'; to skip the line as a comment, "
        "start it with '# ' (a blank after '#')"
    )
    rows = "a,b,y\n1,2,3\n2,3,5\n3,4,7\n1,1,1\n2,2,2\n3,3,3\n"
    path = _written(tmp_path / "w.csv", rows + "#1e5\n4,4,4\n")
    assert _refusal(path) == (
        f"{path}: line 8 has 1 column, the others 3; every row must hold the same features, then "
        "y; to skip the line as a comment, start it with '# ' (a blank after '#')"
    )
    path = _written(tmp_path / "e.csv", "#N/A,2,3\n4,5,6\n")  # an error value: no comment
    assert _refusal(path).endswith("if it is data, fill the values it misses, or delete the line")
    X, _ = load_regression_file(_written(tmp_path / "w.csv", rows + "# 1e5\n4,4,4\n"))
    oracle = np.loadtxt(io.StringIO(rows + "4,4,4\n"), delimiter=",", skiprows=1)
    np.testing.assert_array_equal(np.asarray(X), oracle[:, :2].astype(np.float32))


def test_a_header_whose_first_name_is_a_hash_is_read_as_the_names(tmp_path: Path) -> None:
    """'#,x,y' names a column of row numbers '#': it was dropped as a comment, and the data below
    told "has no header and its first column holds the row numbers". As wide as the table, its
    other cells names, it is the header: the table reads as numpy.loadtxt(skiprows=1) reads it."""
    text = "#,x,y\n0,0.5,1\n1,0.7,2\n2,0.1,3\n3,0.9,3.3\n"
    X, y = load_regression_file(_written(tmp_path / "h.csv", text))
    oracle = np.loadtxt(io.StringIO(text), delimiter=",", skiprows=1, comments=None)
    np.testing.assert_array_equal(np.asarray(X), oracle[:, :2].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y).reshape(-1), oracle[:, 2].astype(np.float32))


def test_a_hash_line_read_as_the_names_is_named_when_the_names_below_fail(
    tmp_path: Path,
) -> None:
    """'#exported,by,tool', as wide as the table and no prose, was read as the names, and the
    real names below told only "line 2, column 1 holds 'x1'": the '#' line is named as read so,
    with how to make it a comment; so written, the table reads as numpy.loadtxt reads it."""
    rows = "x1,x2,y\n1,0,3\n0,1,5\n2,1,7\n1,3,9\n3,3,2\n2,5,1\n"
    path = _written(tmp_path / "o.csv", "#exported,by,tool\n" + rows)
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds 'x1'; every cell must be a number "
        f"(a first row of column names is allowed): {_NUMBERS_FIX}; line 1, '#exported,by,tool', "
        "was read as the "
        "names; to skip it as a comment, start it with '# ' (a blank after '#')"
    )
    X, y = load_regression_file(_written(path, "# exported,by,tool\n" + rows))
    oracle = np.loadtxt(io.StringIO(rows), delimiter=",", skiprows=1)
    np.testing.assert_array_equal(np.asarray(X), oracle[:, :2].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y).reshape(-1), oracle[:, 2].astype(np.float32))
    # a bad cell further down is no sign of the names displaced: not said there
    path = _written(tmp_path / "p.csv", "#a,b,y\n1,0,3\n0,x,5\n")
    assert _refusal(path).endswith("line 3, column 2 holds 'x'; every cell must be a number "
                                   f"(a first row of column names is allowed): {_NUMBERS_FIX}")  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "#exported by tool, v2\nx,y\n1,2\n2,4\n3,7\n",  # prose, as wide as the table
        "#!,x\n1,2\n2,4\n3,7\n#\t3,6\n",  # another width; '#' and a tab
        "x,y\n1,2\n2,4\n#note,a,b\n3,7\n",  # another width, no numbers
    ],
)
def test_hash_lines_that_are_no_data_are_comments(tmp_path: Path, text: str) -> None:
    """'#' and prose, a '#' line of another width that is no row of numbers, and '#' and a tab are
    comments; the table reads as numpy.loadtxt (the oracle) reads it without them."""
    path = _written(tmp_path / "c.csv", text)
    X, y = load_regression_file(path)
    kept = [line for line in text.split("\n") if not line.startswith("#") and line != "x,y"]
    oracle = np.loadtxt(io.StringIO("\n".join(kept)), delimiter=",", ndmin=2)
    np.testing.assert_array_equal(np.asarray(X), oracle[:, :1].astype(np.float32))
    np.testing.assert_array_equal(np.asarray(y).reshape(-1), oracle[:, 1].astype(np.float32))


def test_a_file_of_comment_lines_alone_is_told_it_holds_no_data_rows(tmp_path: Path) -> None:
    """Its '# ' lines tell nothing of the table's separator (their spaces are none), and they are
    all it holds: it was told it "must have at least 2 columns", as a table of one column is."""
    path = _written(tmp_path / "c.csv", "# made by me\n  # x1 x2 y\n")
    assert _refusal(path) == (
        f"{path} holds no data rows, only comment lines (line 1: '# made by me'); write each "
        "example below them on one line, its features and then y, separated by commas"
    )
    one_column = _written(tmp_path / "one.csv", "# made by me\n1\n2\n")  # a table of 1 column
    assert _refusal(one_column) == (
        f"{one_column} must have at least 2 columns (features, then y), got 1; write each "
        "example on one line, its features and then y, separated by commas"
    )


def test_a_cell_of_other_digits_and_letters_is_told_the_rule_for_any_number(
    tmp_path: Path,
) -> None:
    """'١a' is no number in any digits: the rule named is a number's, not "the digits 0-9"."""
    path = tmp_path / "d.csv"
    path.write_text("x,y\n\u0661a,2\n3,4\n", encoding="utf-8")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds '\u0661a'; every cell must be a "
        f"number (a first row of column names is allowed): {_NUMBERS_FIX}"
    )


@pytest.mark.parametrize(
    "names,column,name,last",
    [
        ("y,x1,x2", 1, "y", "x2"),
        ("x1, Target ,x2", 2, "Target", "x2"),  # stripped, any case
        ('"label","x1","x2"', 1, "label", "x2"),  # quoted, as R writes names
        ("a,Y,b,LABELS,c", 2, "Y", "c"),  # the first such column is named
    ],
)
def test_a_target_named_in_another_column_than_the_last_is_refused(
    tmp_path: Path, names: str, column: int, name: str, last: str
) -> None:
    """A header naming the target in another column than the last trained on the wrong column,
    silently: the last column is y. The header is the fix's evidence, the refusal names both."""
    rng = np.random.default_rng(0)
    width = names.count(",") + 1
    path = tmp_path / "yfirst.csv"
    np.savetxt(path, rng.normal(size=(5, width)), delimiter=",", header=names, comments="")
    assert _refusal(path) == (
        f"{path}: column {column} of {width} is named '{name}', a target's name, but the last "
        f"column, which is read as y, is named '{last}': the model would fit that column from the "
        "others; move the target to the last column (pandas: df[[c for c in df if c != "
        f"{names.split(',')[column - 1].strip(chr(34))!r}] + "
        f"[{names.split(',')[column - 1].strip(chr(34))!r}]].to_csv(path, index=False)), or "
        "rename the column if it is a feature"
    )


@pytest.mark.parametrize(
    "names", ["x1,x2,y", "y_hat,x,Target", "label,x,y", "ys,x1,x2", "x,y,z", "#x,Y,z"]
)
def test_a_header_whose_last_column_is_the_target_or_names_none_is_read(
    tmp_path: Path, names: str
) -> None:
    """The last column named as a target, or no column so named, reads the table as it is; so
    does a y beside an x: a coordinate (x,y,z fits z from the point)."""
    table = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    path = tmp_path / "t.csv"
    np.savetxt(path, table, delimiter=",", header=names, comments="")
    X, y = load_regression_file(path)
    assert X.tolist() == table[:, :2].tolist() and y.reshape(-1).tolist() == table[:, 2].tolist()


@pytest.mark.parametrize(
    "header,line,names,column,name,last",
    [
        ("y,a,b", 1, "# y,a,b", 1, "y", "b"),  # numpy.savetxt's default: '# ' before the names
        ("exported by a tool\na, LABEL ,b", 2, "# a, LABEL ,b", 2, "LABEL", "b"),
        # split on semicolons or tabs where no comma is, and quotes dropped: each was a note,
        # skipped, and the table trained on b from (y, a)
        ("Y;A;B", 1, "# Y;A;B", 1, "Y", "B"),
        ("y\ta\tb", 1, "# y\ta\tb", 1, "y", "b"),
        ('"y","a","b"', 1, '# "y",a,b', 1, "y", "b"),
        ("'a' ; 'y' ; 'b'", 1, "# 'a' ; 'y' ; 'b'", 2, "y", "b"),
    ],
)
def test_numpy_s_commented_header_naming_the_target_elsewhere_is_refused(
    tmp_path: Path, header: str, line: int, names: str, column: int, name: str, last: str
) -> None:
    """numpy.savetxt(..., header="y,a,b") writes '# y,a,b', a comment skipped before the header
    check: the table trained on b from (y, a). A comment above the data holding one name per
    column is checked as a header is, and the fix is numpy's."""
    rng = np.random.default_rng(0)
    path = tmp_path / "sv_default.csv"
    np.savetxt(path, rng.normal(size=(5, 3)), delimiter=",", header=header)
    assert _refusal(path) == (
        f"{path} (the comment line {line}, {names!r}, read as names): column {column} of 3 is "
        f"named '{name}', a target's name, but the last column, which is read as y, is named "
        f"'{last}': the model would fit that column from the others; move the target to the last "
        "column (numpy: np.savetxt(path, np.c_[X, y], delimiter=',', header=...) with the "
        "target's column last), or rename the column if it is a feature; if that comment is a "
        "note, not the column names, reword it"
    )


def test_a_note_read_as_a_commented_header_is_told_it_may_be_reworded(tmp_path: Path) -> None:
    """A note as wide as the table ("# Target, see column 3, units kg") reads as names: the
    refusal's fixes were all of a header's (move or rename a column); rewording the note is
    one, and the table is then read with y its last column."""
    data = "1,2,3\n4,5,6.5\n7,8,9.1\n2,2,1\n"
    path = _written(tmp_path / "t.csv", "# Target, see column 3, units kg\n" + data)
    assert _refusal(path).endswith("; if that comment is a note, not the column names, reword it")
    _, y = load_regression_file(_written(path, "# The target is in column 3 (kg)\n" + data))
    assert y.reshape(-1).tolist() == np.float32([3, 6.5, 9.1, 1]).tolist()


@pytest.mark.parametrize(
    "text",
    [
        "# a,b,y\n",  # the target last: a comment, skipped as before
        "# y,a\n",  # not one name per column: a note
        "# y,a,b\na,b,y\n",  # the header below it rules
        "# y is the target, a,b\n",  # a sentence
        "# the y values are prices\n",  # a sentence of more words than columns
        "# y a\n",  # fewer words than columns
        "# x; y; z\n",  # y a coordinate
        # words between blanks are a note, never names: each was refused as three columns' names
        "# labels are last\n",
        "# y is price\n",
        "# label smoothing test\n",
        "# Target in col3\n",  # savetxt(..., delimiter=",", header="Target in col3")
        "# y a b\n",  # so savetxt(..., delimiter=",", header="y a b") is not checked: rare
        "1,2,3\n# y,a,b\n",  # below the first row: a note between rows
    ],
)
def test_a_comment_that_is_no_misplaced_header_reads_the_table(tmp_path: Path, text: str) -> None:
    """A comment naming the target last, or not as wide as the table, or under a header or data,
    is skipped as it was: the table is read with y its last column."""
    table = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 7.0]])
    path = tmp_path / "t.csv"
    with path.open("w") as f:
        f.write(text)
        np.savetxt(f, table, delimiter=",")
    X, y = load_regression_file(path)
    rows = np.r_[[[1.0, 2.0, 3.0]], table] if text.startswith("1,") else table
    assert X.tolist() == rows[:, :2].tolist() and y.reshape(-1).tolist() == rows[:, 2].tolist()


def test_the_target_moved_to_the_last_column_as_told_is_read(tmp_path: Path) -> None:
    """The table of the report, its target moved last as told, is read with y the target."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = 2 * X[:, 0] - 3 * X[:, 1] + 1
    path = tmp_path / "ylast.csv"
    np.savetxt(path, np.c_[X, y], delimiter=",", header="x1,x2,y", comments="")
    X_read, y_read = load_regression_file(path)
    np.testing.assert_allclose(X_read.numpy(), X.astype(np.float32))
    np.testing.assert_allclose(y_read.numpy().reshape(-1), y.astype(np.float32))


@pytest.mark.parametrize(
    "cell,shown,column",
    [
        ("1e400", "'1e400'", 1),
        (" -1E+309", "'-1E+309'", 1),
        ("9" * 400, f"'{'9' * 20}…' (400 characters)", 1),
        ("1e400", "'1e400'", 3),  # y's cell alike
    ],
)
def test_a_cell_past_float64_is_refused_as_the_file_holds_it(
    tmp_path: Path, cell: str, shown: str, column: int
) -> None:
    """A cell past float64's range was told as "the first at line 3, column 1: inf", the value
    it reads as, where other messages show the cell's text: it is shown as written."""
    assert np.isinf(np.float64(cell.strip()))  # the oracle: numpy reads it as inf
    row = ["1", "1", "2"]
    row[column - 1] = cell
    path = _written(tmp_path / "big.csv", f"a,b,y\n2,1,3\n{','.join(row)}\n0.5,1,1\n")
    assert _refusal(path) == (
        f"{path}: line 3, column {column} holds {shown}, a number past float64's range "
        "(±1.8e+308), let alone float32's (±3.4e+38), which the model trains in; rescale that "
        "column (e.g. divide it by a power of ten) before saving, or drop the example"
    )


@pytest.mark.parametrize(
    "text,numbers,names",
    [
        ('"1",0.5,1,2\n"2",1.5,-1,3\n', "1, 2", "x1,x2,x3"),  # write.table quotes its row names
        ("1,0.5,1,2\n2,1.5,-1,3\n3,2,0,1\n", "1, 2, 3", "x1,x2,x3"),  # quote=FALSE
        ("".join(f"{i},{i % 3},{i % 5}\n" for i in range(1, 51)), "1, 2, …, 50", "x1,x2"),
    ],
)
def test_r_row_names_without_a_header_are_refused_with_r_s_fix(
    tmp_path: Path, text: str, numbers: str, names: str
) -> None:
    """R's write.table(df, sep=",", col.names=FALSE) writes its row names 1, 2, …, N first (R
    numbers from 1, pandas from 0, whose index was already refused): they were read as a feature.
    Refused as pandas' index is, with R's fix and the header that reads such a column as one."""
    path = _written(tmp_path / "r.csv", text)
    assert _refusal(path) == (
        f"{path} has no header and its first column holds the row numbers {numbers} in order, as "
        'R\'s write.table(df, sep=",", col.names=FALSE) writes its row names: it would be read '
        'as a feature; save with write.table(df, path, sep=",", row.names=FALSE, col.names=FALSE) '
        "or drop that column; if it is a feature that counts the rows, start the file with a "
        f"header row naming the columns (e.g. {names},y), and it is read as one"
    )
    # the way through it names: a header reads the column as a feature, as numpy does
    header = ",".join([*names.split(","), "y"])
    X, y = load_regression_file(_written(path, header + "\n" + text))
    oracle = np.loadtxt(io.StringIO(text.replace('"', "")), delimiter=",", ndmin=2)
    assert (
        X.tolist() == oracle[:, :-1].tolist() and y.reshape(-1).tolist() == oracle[:, -1].tolist()
    )


def test_a_line_of_empty_cells_is_refused_as_a_missing_value_by_line(tmp_path: Path) -> None:
    """A row of empty cells (',,') among the data was dropped silently, though '4,,6' is refused
    as a missing value: it is refused alike, naming its line (blank lines stay skipped, and
    counted), and the count where there are several; below the last data row (a spreadsheet's
    formatted rows past the data) it stays skipped (test_csv_blank_lines_are_skipped)."""
    path = _written(tmp_path / "c.csv", "a,b,y\n1,2,3\n\n,,\n4,5,6\n7,8,10\n1,3,5\n2,2,2\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 4 holds ',,', 3 empty cells, an example missing every "
        "value (as pandas writes a row of NaN); every cell must be a number: delete that line, or "
        f"drop or fill the examples that miss one first, {_drop_said(path, [], [], skip=(4,))}"
    )
    _written(path, "a,b,y\n1,2,3\n4,5,6\n , ,\n7,8,10\n1,3,5\n,,\n2,2,2\n,,\n")
    assert _refusal(path).startswith(
        f"{path} is not a numeric CSV: line 4, the first of 2 such lines, holds ' , ,', 3 empty "
        "cells,"
    )
    assert ": delete those lines, or drop or fill the examples that miss one first" in _refusal(
        path
    )
    _written(path, "a,b,y\n1,2,3\n\n4,5,6\n7,8,10\n1,3,5\n2,2,2\n,,\n")  # deleted, as told
    X, y = load_regression_file(path)
    assert X.shape == (5, 2) and y.reshape(-1).tolist() == [3, 6, 10, 5, 2]


# cells as numpy and pandas read them, or not: the table read at once must read each as
# csv_cells.number, cell by cell, did (bit for bit), refuse what it refused, and allow what it allowed
_TRICKY = [
    "1e-5", " 3 ", "+2", "-0", ".5", "5.", "1E+300", "4.9e-324", "2.2250738585072011e-308", "1e-400",
    "0.1000000000000000055511151231257827", "\t7\t", "\x1c3", "\xa03", "nan", "-NaN", "inf",
    "-Infinity", "1_0", "0x10", "١", "１", "1e", "1e400", "", "--1", "1d5", "0b1", "1.5f",
]  # fmt: skip


@pytest.mark.parametrize("cell", _TRICKY)
def test_a_table_read_at_once_reads_each_cell_as_the_cell_by_cell_reading(
    tmp_path: Path, cell: str
) -> None:
    """Reading the cells one Python call each took a 1e6-row file 15 s; read at once now, the
    values, and the cell refused and its words, are the same."""
    from linearnets.data.csv_cells import Source, _all_numbers, number, numeric_table

    rows = [(1, ["1.5", "2"]), (2, [cell, "0.1"]), (3, ["3", "4.25"])]
    path = tmp_path / "t.csv"
    value = number(cell)
    if value is None or np.isnan(value) or (np.isinf(value) and "inf" not in cell.lower()):
        with pytest.raises(DatasetError, match=rf"line 2, column 1 holds {re.escape(repr(cell))}"):
            numeric_table(path, rows, 2, header=False, source=Source(rows, rows))
        assert _all_numbers(rows, 2) is None
        return
    table = numeric_table(path, rows, 2, header=False, source=Source(rows, rows))
    assert table[1, 0].tobytes() == np.float64(value).tobytes()
    assert table[:, 1].tolist() == [2, 0.1, 4.25]
    fast = _all_numbers(rows, 2)
    # read at once where every cell is ASCII float() reads as no inf: bit for bit the same
    if cell.isascii() and "_" not in cell and "inf" not in cell.lower() and cell != "\x1c3":
        assert fast is not None and fast.tobytes() == table.tobytes()


def test_a_large_table_reads_as_cell_by_cell(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    values = rng.normal(size=(2000, 3)) * 10.0 ** rng.integers(-300, 300, size=(2000, 3))
    text = "a,b,y\n" + "".join(",".join(f"{v:.17g}" for v in row) + "\n" for row in values)
    from linearnets.data.csv_table import read_csv

    table, lines = read_csv(_written(tmp_path / "t.csv", text))
    assert table.tobytes() == values.tobytes() and lines.tolist() == list(range(2, 2002))


def test_a_clean_table_is_read_without_a_python_call_per_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 1e6-row, 4-column CSV took 15 s and numpy.loadtxt 1.5 s: csv_cells.number was called for
    each of its 4e6 cells. A bad cell is still named by it."""
    from linearnets.data import csv_cells

    calls: list[str] = []
    real = csv_cells.number

    def counted(text: str) -> float | None:
        calls.append(text)
        return real(text)

    monkeypatch.setattr(csv_cells, "number", counted)
    path = _written(tmp_path / "t.csv", "a,b,c,y\n" + _rows_text(1000))
    X, _ = load_regression_file(path)
    assert X.shape == (1000, 3) and calls == []
    _written(path, "a,b,c,y\n" + _rows_text(500) + "1,2,x,4\n" + _rows_text(10))
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 502, column 3 holds 'x'; every cell must be a number "
        f"(a first row of column names is allowed): {_NUMBERS_FIX}"
    )


@pytest.mark.parametrize(
    ("cell", "writers"),
    [
        ("nan", "numpy.savetxt writes NaN as nan, pandas as an empty cell"),
        ("NaN", "numpy.savetxt writes NaN as nan, pandas as an empty cell"),
        ("-", "pandas writes NaN as an empty cell, R's write.csv as NA"),
        ("?", "pandas writes NaN as an empty cell, R's write.csv as NA"),
    ],
)
def test_nan_and_missing_value_markers_are_told_as_missing_values(
    tmp_path: Path, cell: str, writers: str
) -> None:
    """np.savetxt writes a missing value as nan: told "holds NaN or inf values ...; clean, impute
    or rescale them first"; '-' and '?' as no number. NA and empty cells were told to drop or fill
    the examples that miss one. pandas reads nan and NaN as NaN, not '-' nor '?'."""
    path = _written(tmp_path / "m.csv", "a,b,c,y\n" + _rows_text(5) + f"1,{cell},3,4\n")
    fix = _drop_said(path, [cell] * (cell not in ("nan", "NaN")), [cell])
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 7, column 2 holds {cell!r}, a missing value "
        f"({writers}); every cell must be a number: drop or fill the examples that miss one "
        f"first, {fix}"
    )


# pandas' read_csv reads a cell as NaN where it is one of PANDAS_DEFAULT_NA exactly (case and
# blanks count); R's read.csv's na.strings is "NA", and an empty cell of a numeric column is NA too


def _dropped(path: Path, missing: set[str], out: Path) -> int:
    """Write to ``out`` the header and the rows of the CSV at ``path`` none of whose cells is in
    ``missing``, as pandas' dropna (R's na.omit) keeps them, and return how many rows were kept."""
    header, *rows = csv.reader(io.StringIO(path.read_text()))
    kept = [row for row in rows if not missing.intersection(row)]
    out.write_text("".join(",".join(row) + "\n" for row in [header, *kept]))
    return len(kept)


@pytest.mark.parametrize(
    ("cells", "writers"),
    [
        (["#DIV/0!"], "a spreadsheet's error value, its formula gave none"),
        (["nil"], "pandas writes NaN as an empty cell, R's write.csv as NA"),
        (["."], "pandas writes NaN as an empty cell, R's write.csv as NA"),
        (["--"], "pandas writes NaN as an empty cell, R's write.csv as NA"),
        (["?"], "pandas writes NaN as an empty cell, R's write.csv as NA"),
        (["na"], "pandas writes NaN as an empty cell, R's write.csv as NA"),  # pandas: NA only
        (["NAN"], "numpy.savetxt writes NaN as nan, pandas as an empty cell"),  # pandas: NaN only
        (
            ["-", "NA", "#DIV/0!", "", " NA "],
            "pandas writes NaN as an empty cell, R's write.csv as NA",
        ),
        (["NULL", "nan"], "pandas writes NaN as an empty cell, R's write.csv as NA"),
        (["", "NA"], "pandas writes NaN as an empty cell, R's write.csv as NA"),
    ],
)
def test_the_drop_fix_names_the_markers_pandas_and_r_do_not_read_as_missing(
    tmp_path: Path, cells: list[str], writers: str
) -> None:
    """Every missing value was told "drop or fill the examples that miss one first, e.g.
    df.dropna() in pandas (na.omit(df) in R)": pandas' read_csv reads '#DIV/0!', 'nil', '.', '-',
    '?' as text, R's read.csv all but NA, so dropna kept every row and the saved file was refused
    again. The fix reads the file with the markers it holds that they do not read by default;
    followed here by pandas' default list and R's, it leaves no missing value."""
    good = "".join(f"{i},{2 * i},{i % 3}\n" for i in range(1, 6))
    marked = "".join(f"{i},{cell},1\n" for i, cell in enumerate(cells, start=6))
    path = _written(tmp_path / "m.csv", "a,b,y\n" + good + marked)
    pandas = [cell for cell in cells if cell not in PANDAS_DEFAULT_NA]
    r = [cell for cell in cells if cell not in ("NA", "")]
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line 7, column 2 holds {cells[0]!r}, a missing value "
        f"({writers}); every cell must be a number: drop or fill the examples that miss one "
        f"first, {_drop_said(path, pandas, r)}"
    )
    offered = re.search(r"na_values=(\[.*?\])\)", said)
    na_values = set(ast.literal_eval(offered[1])) if offered else set()
    offered = re.search(r"na\.strings = c\((.*?)\)\)\)", said)
    na_strings = set(ast.literal_eval(f"[{offered[1]}]")) if offered else {"NA"}
    if pandas:  # read by default, every example is kept, its missing values with it
        assert _dropped(path, PANDAS_DEFAULT_NA, tmp_path / "kept.csv") == 5 + len(pandas)
    for missing in (PANDAS_DEFAULT_NA | na_values, na_strings | {""}):
        assert _dropped(path, missing, tmp_path / "fixed.csv") == 5
        X, y = load_regression_file(tmp_path / "fixed.csv")  # no missing value left
        assert X.tolist() == [[i, 2 * i] for i in range(1, 6)]
        assert y.flatten().tolist() == [1, 2, 0, 1, 2]
    follow(said, path)  # pandas' code as offered, saved to a new file, to pass
    X, y = load_regression_file(_complete(path))
    assert X.tolist() == [[i, 2 * i] for i in range(1, 6)]
    assert y.flatten().tolist() == [1, 2, 0, 1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "1,,3\n4,5,6\n7,8,9\n2,1,3\n",  # data that misses a value
        "1,NA,3\n4,5,6\n7,8,9\n2,1,3\n",
        "2019,2020,\n1,,3\n4,5,\n",  # names, the last column unnamed, above rows that miss one
        ",2019,2020\n0,0.5,1\n1,1.5,2\n",  # pandas' index over names that read as numbers
    ],
)
def test_a_first_row_of_numbers_and_missing_values_is_named_as_names_or_data(
    tmp_path: Path, text: str
) -> None:
    """A first row of numbers and a missing value ('1,,3') was told "both numbers ('1', '3') and
    text ('')", to rename the columns or "fix ''". Read as data, ',2019,2020' (pandas' index over
    such names) loaded its index as a feature, and '2019,2020,' above rows that all miss a value
    was told a fill of the means that counted the names; read as names, '1,,3' lost an example:
    the file cannot say which it is, so both readings are named, each with its fix. Followed as
    data (the line deleted) or as names (renamed), the file is read as meant."""
    path = _written(tmp_path / "f.csv", text)
    first = text.split("\n")[0].split(",")
    numbers = [c for c in first if c and c != "NA"]
    missing = [c for c in first if c not in numbers]
    shown = ", ".join(map(repr, numbers[:3]))
    assert _refusal(path) == (
        f"{path}: line 1 holds both numbers ({shown}) and missing values ({missing[0]!r}): if it "
        f"names the columns, rename those that read as numbers (e.g. 'x{numbers[0]}'; a first "
        "row is skipped as names only when none of its cells is a number); if it is data, fill "
        "the values it misses, or delete the line"
    )
    rest = text.split("\n", 1)[1]
    if text.startswith("1,"):  # data: the line deleted, the others load as they are
        X, y = load_regression_file(_written(path, rest))
        oracle = np.loadtxt(io.StringIO(rest), delimiter=",")
        assert X.tolist() == oracle[:, :-1].tolist() and y.flatten().tolist() == [6, 9, 3]
        return
    renamed = ",".join(f"x{c}" if c else c for c in first)
    said = _refusal(_written(path, f"{renamed}\n{rest}"))  # names: renamed, no longer data
    if text.startswith(","):
        assert "has an unnamed first column" in said  # pandas' index, told as such
        return
    assert "fill the features' missing values instead" in said
    follow(said, path)
    X, y = load_regression_file(_complete(path))
    assert X.tolist() == [[1, 5]] and y.flatten().tolist() == [3]


@pytest.mark.parametrize(
    "cell,told,meant",
    [
        ("1_0", "(write it as 10)", 10),
        ('"0,500"', "(a decimal comma: write it '0.500')", 0.5),
        ('"1,234"', "(thousands separators: write it '1234')", 1234),
    ],
)
def test_a_first_row_s_cell_spelt_otherwise_is_told_its_spelling(
    tmp_path: Path, cell: str, told: str, meant: float
) -> None:
    """'1_0,2,3' as a first row was told "if it is data, fix '1_0'", where the same cell below it
    is told its spelling: the first row's is told it too."""
    path = _written(tmp_path / "s.csv", f"{cell},2,3\n4,5,6\n")
    shown = cell.strip('"')
    assert _refusal(path) == (
        f"{path}: line 1 holds both numbers ('2', '3') and text ({shown!r}): if it names the "
        "columns, rename those that read as numbers (e.g. 'x2'; a first row is skipped as names "
        f"only when none of its cells is a number); if it is data, fix {shown!r} {told}"
    )
    fixed = told.rpartition(" ")[2].strip("')")
    X, _ = load_regression_file(_written(path, f"{fixed},2,3\n4,5,6\n"))
    assert X[0].tolist() == torch.tensor([meant, 2]).tolist()


def test_thousands_with_two_commas_beside_a_decimal_comma_are_still_thousands(
    tmp_path: Path,
) -> None:
    """'1,234,567' beside '0,5' in its column lost its thousands separators' message (no decimal
    comma writes two commas): it keeps it, and followed the value loads."""
    path = _written(tmp_path / "c.csv", 'a,y\n"1,234,567",1\n"0,5",3\n')
    assert _refusal(path).endswith(
        "holds '1,234,567', a number written with thousands separators (a spreadsheet's number "
        "format); every cell must be a number as numpy and pandas read one: save the column "
        "without them ('1234567'), e.g. in Excel as the Number format with 'Use 1000 Separator' "
        "cleared"
    )


def test_a_first_row_s_thousands_beside_decimal_commas_in_its_column_is_a_decimal_comma(
    tmp_path: Path,
) -> None:
    """'1,234' in a headerless first row was told thousands ('1234') beside '0,5' and '2,25' in
    its column, where the same cell below a header is told '1.234': followed, X held 1234 for the
    1.234 meant. The first row's cell is judged with its column, as every other row's."""
    path = _written(tmp_path / "a.csv", '"1,234",2\n"0,5",3\n"2,25",4\n')
    assert _refusal(path).endswith("if it is data, fix '1,234' (a decimal comma: write it '1.234')")
    below = _refusal(_written(tmp_path / "b.csv", 'a,y\n"1,234",2\n"0,5",3\n"2,25",4\n'))
    assert "holds '1,234', a number written with a decimal comma" in below


def test_a_headerless_column_of_only_missing_values_is_told_to_be_dropped(tmp_path: Path) -> None:
    """'1,,3\n4,,6\n7,,9' was told of its first row "if it is data, fill the values it misses,
    or delete the line": deleted, the next line was told the same, until no data was left. Its
    column 2 holds nothing but missing values, told to be dropped as below a header; followed,
    the file loads."""
    path = _written(tmp_path / "e.csv", "1,,3\n4,,6\n7,,9\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: column 2 holds no numbers, only missing values (line 1 "
        "holds '', the first of 3): drop that column, then save the table again"
    )
    X, y = load_regression_file(_written(path, "1,3\n4,6\n7,9\n"))
    assert X.flatten().tolist() == [1, 4, 7] and y.flatten().tolist() == [3, 6, 9]


@pytest.mark.parametrize("cells", [("1,234", "0,500"), ("1,250", "2,5")])
def test_thousands_beside_a_decimal_comma_in_its_column_are_a_decimal_comma(
    tmp_path: Path, cells: tuple[str, str]
) -> None:
    """'1,234' was told to be saved as '1234' beside '0,500' in its column, which no thousands
    separator makes: the column has decimal commas, and '1,234' is told '1.234', as the same
    column in an .npz is."""
    path = _written(tmp_path / "c.csv", f'a,y\n"{cells[0]}",1\n"{cells[1]}",3\n')
    point = cells[0].replace(",", ".")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cells[0]!r}, a number written with "
        "a decimal comma; every cell must be a number as numpy and pandas read one: write it "
        f"with '.' as the decimal point ({point!r}), e.g. save the table with '.' as the "
        "spreadsheet's decimal separator"
    )


def test_the_drop_fix_reads_and_saves_a_file_without_a_header_as_one(tmp_path: Path) -> None:
    """A file without a header was told pd.read_csv(path, na_values=['?']).dropna(): pandas read
    its first row as the column names (the second 0 renamed '0.1'), saved again as the table's
    first row, read as data: X[0] became [0.0, 0.1, 1.0], not [0, 0, 1], without a word. And
    "then save the table again" wrote pandas' index as a first column, refused as R's row names.
    The fix reads the file as it is (header=None where it has none) and saves it so."""
    text = "0,0,1,5.5\n1,?,0,2.5\n0,1,0,3.5\n1,0,1,4.5\n"
    path = _written(tmp_path / "hl.csv", text)
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line 2, column 2 holds '?', a missing value (pandas writes "
        "NaN as an empty cell, R's write.csv as NA); every cell must be a number: drop or fill the "
        f"examples that miss one first, {_drop_said(path, ['?'], ['?'], header=False)}"
    )
    follow(said, path)
    X, y = load_regression_file(_complete(path))
    oracle = np.loadtxt(io.StringIO(text.replace("1,?,0,2.5\n", "")), delimiter=",")
    assert X.tolist() == oracle[:, :-1].tolist() == [[0, 0, 1], [0, 1, 0], [1, 0, 1]]
    assert y.flatten().tolist() == [5.5, 3.5, 4.5]
    # as told before, the first row read as names changes the data
    follow("in pandas: df = pd.read_csv(path, na_values=['?']).dropna(); df.to_csv(path, "
           "index=False)", _written(path, text))  # fmt: skip
    assert load_regression_file(path)[0][0].tolist() == torch.tensor([0.0, 0.1, 1.0]).tolist()
    # a header: read and saved with it, without pandas' index
    path = _written(tmp_path / "h.csv", "a,b,c,y\n" + text)
    said = _refusal(path)
    assert said.endswith(_drop_said(path, ["?"], ["?"]))
    follow(said, path)
    X, y = load_regression_file(_complete(path))
    assert X.tolist() == oracle[:, :-1].tolist() and y.flatten().tolist() == [5.5, 3.5, 4.5]
    _complete(path).unlink()
    follow(said.replace(", index=False", ""), path)
    assert "to_csv() writes its index" in _refusal(
        _complete(path)
    )  # as "save the table again" left it


@pytest.mark.parametrize(
    ("text", "header", "targets", "X", "y", "skip"),
    [
        # y missing too: those examples dropped, the features' means over the rest
        ("a,b,y\n,2,3\n4,,6\n7,8,\n", True, True, [[5.5, 2], [4, 5]], [3, 6], []),
        # no header (with an empty cell, not nan, its first row is told as numbers and text)
        ("1,2,nan\n,5,6\n7,,9\n", False, True, [[4, 5], [7, 3.5]], [6, 9], []),
        # y never missing: every example kept
        ("a,b,y\n,2,3\n4,,6\n", True, False, [[4, 2], [4, 2]], [3, 6], []),
        # rows of empty cells below the table, skipped: followed without skiprows, they were
        # read by pandas as rows of NaN and filled, examples of the features' means with no y
        ("a,b,y\nNA,5,1\n3,NA,2\n,,\n,,\n", True, False, [[3, 5], [3, 5]], [1, 2], [3, 4]),
    ],
)
def test_a_table_whose_every_example_misses_a_value_is_told_to_fill_them(
    tmp_path: Path,
    text: str,
    header: bool,
    targets: bool,
    X: list[list[float]],
    y: list[float],
    skip: list[int],
) -> None:
    """Every row missing a value, no column all missing, was told to drop the examples that miss
    one, e.g. df.dropna(): followed, no row was left, "holds no data rows". The features' missing
    values are to fill (a target cannot be: the examples missing y are dropped), e.g. with each
    column's mean over its numbers, the oracle here."""
    path = _written(tmp_path / "f.csv", text)
    line, column, cell = (2, 1, text.split("\n")[1].split(",")[0]) if header else (1, 3, "nan")
    writers = (
        "pandas writes NaN as an empty cell, R's write.csv as NA"
        if header
        else "numpy.savetxt writes NaN as nan, pandas as an empty cell"
    )
    skip = f", skiprows={skip}" if skip else ""
    read = f"pd.read_csv('{path}'{skip})" if header else f"pd.read_csv('{path}', header=None{skip})"
    out = _complete(path)
    save = f"df.to_csv('{out}', {'header=False, ' * (not header)}index=False), and pass {out}"
    drop = ", and drop the examples that miss y (a target cannot be filled)" if targets else ""
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line {line}, column {column} holds {cell!r}, a missing "
        f"value ({writers}); every cell must be a number, and every example misses one, so dropping them would leave none: fill the "
        f"features' missing values instead, e.g. with each column's mean{drop}; in pandas: "
        f"df = {read}; df = df.fillna(df.iloc[:, :-1].mean()){'.dropna()' * targets}; "
        f"{save}"
    )
    follow(said, path)
    got_X, got_y = load_regression_file(out)
    assert got_X.tolist() == X and got_y.flatten().tolist() == y


def test_a_line_of_empty_cells_in_a_file_without_a_header_is_told_the_fix_that_keeps_its_first_row(
    tmp_path: Path,
) -> None:
    """The fix for a row of empty cells is read and saved as the file is, without a header where
    it has none (read with one, its first row would be the names); where every other row misses a
    value too, dropping them all would leave none: the line is to delete, the rest told next."""
    path = _written(tmp_path / "e.csv", "1,2,3\n,,\n4,5,6\n")
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line 2 holds ',,', 3 empty cells, an example missing every "
        "value (as pandas writes a row of NaN); every cell must be a number: delete that line, or "
        f"drop or fill the examples that miss one first, {_drop_said(path, [], [], header=False, skip=(2,))}"
    )
    follow(said, path)
    X, y = load_regression_file(_complete(path))
    assert X.tolist() == [[1, 2], [4, 5]] and y.flatten().tolist() == [3, 6]
    path = _written(tmp_path / "e.csv", "a,b,y\n1,,3\n,,\n4,5,\n")
    assert _refusal(path).endswith("every cell must be a number: delete that line")
    _written(path, "a,b,y\n1,,3\n4,5,\n")  # deleted, as told
    _complete(path).unlink()
    follow(_refusal(path), path)  # then filled, as told
    X, y = load_regression_file(_complete(path))
    assert X.tolist() == [[1, 5]] and y.flatten().tolist() == [3]


def test_a_column_of_only_missing_values_is_told_to_be_dropped(tmp_path: Path) -> None:
    """A column of nothing but missing values was told to drop the examples that miss one:
    followed, that drops every row, "holds no data rows". The column is to drop, as the .npz
    reading says; followed, then the examples that miss a value elsewhere, the file loads."""
    path = _written(tmp_path / "e3.csv", "a,b,y\nNA,1,0\nNA,2,1\n,3,0\nNA,4,1\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: column 1 holds no numbers, only missing values (line 2 "
        "holds 'NA', the first of 4): drop that column, then save the table again"
    )
    path.write_text("b,y\n1,0\n2,1\n3,0\n4,1\n")  # column 1 dropped
    X, _ = load_regression_file(path)
    assert X[:, 0].tolist() == [1, 2, 3, 4]
    # a partly missing column found first: the empty ones dropped first, then the examples
    path = _written(tmp_path / "e.csv", "a,b,c,y\nNA,nan,1,0\n2,,2,1\n3,?,3,0\n4,NA,4,1\n5,-,5,0\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: column 2 holds no numbers, only missing values (line 2 "
        "holds 'nan', the first of 5): drop that column, then save the table again"
    )
    path.write_text("a,c,y\nNA,1,0\n2,2,1\n3,3,0\n4,4,1\n5,5,0\n")
    assert _refusal(path).endswith(
        f"drop or fill the examples that miss one first, {_drop_said(path, [], [])}"
    )
    path = _written(tmp_path / "two.csv", "a,b,c,y\nNA,1,,0\nNA,2,nan,1\n#DIV/0!,3,NA,0\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: columns 1, 3 hold no numbers, only missing values (line 2 "
        "holds 'NA', the first of 3): drop those columns, then save the table again"
    )


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a,b,y\n1,2,NA\n3,4,\n5,6,nan\n", "column 3, y, holds no numbers, only missing values "
         "(line 2 holds 'NA', the first of 3): no targets"),
        ("a,b,y\nNA,,1\n.,NA,2\nNA,-,3\n", "columns 1, 2, every feature, hold no numbers, only "
         "missing values (line 2 holds 'NA', the first of 3): no features"),
        ("a,y\nNA,1\n,2\nNA,3\n", "column 1, the only feature, holds no numbers, only missing "
         "values (line 2 holds 'NA', the first of 3): no features"),
    ],
)  # fmt: skip
def test_no_targets_or_no_features_but_missing_values_are_said(
    tmp_path: Path, text: str, said: str
) -> None:
    """y, or every feature, of missing values alone was told to drop the examples that miss one:
    that leaves none. The file holds no targets, or no features, as the .npz reading says."""
    path = _written(tmp_path / "m.csv", text)
    assert _refusal(path) == (f"{path} is not a numeric CSV: {said}; save the file with them")


def test_a_folder_as_data_is_named_a_directory(tmp_path: Path) -> None:
    """A folder "a dir.csv" was told "does not exist or is not a file"."""
    path = tmp_path / "a dir.csv"
    path.mkdir()
    with pytest.raises(UsageError) as info:
        load_regression_file(path)
    assert str(info.value) == (
        f"data={str(path)!r} is a directory, not a file; pass the .csv file itself (a file in it?)"
    )


def test_a_tsv_or_npy_file_is_told_how_to_convert_it(tmp_path: Path) -> None:
    """A .tsv and a .npy were told "save the arrays with numpy.savez(path, X=X, y=y), or as a CSV
    whose last column is y", not the conversion a tab-separated .csv gets. A .tsv led by '#'
    lines was told to read its first comment as the names, which wrote a file of one column."""
    tsv = _written(tmp_path / "t.tsv", "a\tb\ty\n1.5\t2\t3\n")
    with pytest.raises(UsageError) as info:
        load_regression_file(tsv)
    out = tmp_path / "t.commas.csv"
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got {str(tsv)!r}; save it comma-separated, e.g. "
        f"pandas.read_csv({str(tsv)!r}, sep='\\t').to_csv({str(out)!r}, index=False), and pass "
        f"{out}"
    )
    # numpy.savetxt's header: '#' lines above the numbers, which read as no names
    np.savetxt(tsv, np.eye(3), delimiter="\t", header="exported by numpy\na\tb\ty")
    with pytest.raises(UsageError) as info:
        load_regression_file(tsv)
    assert str(info.value).endswith(
        f"e.g. pandas.read_csv({str(tsv)!r}, sep='\\t', comment='#', header=None).to_csv("
        f"{str(out)!r}, index=False, header=False), and pass {out}"
    )
    npy = tmp_path / "a.npy"
    np.save(npy, np.arange(12.0).reshape(4, 3))
    with pytest.raises(UsageError) as info:
        load_regression_file(npy)
    out = tmp_path / "a.npz"
    assert str(info.value) == (
        f"data must be a .npz or .csv file, got {str(npy)!r}; a .npy holds one array: save X and "
        f"y in an .npz, e.g. for an array whose last column is y, a = numpy.load({str(npy)!r}); "
        f"numpy.savez({str(out)!r}, X=a[:, :-1], y=a[:, -1]), and pass {out}"
    )
    # the fix it names: read as saved
    a = np.load(npy)
    np.savez(out, X=a[:, :-1], y=a[:, -1])
    X, y = load_regression_file(out)
    assert X.shape == (4, 2) and y.reshape(-1).tolist() == [2, 5, 8, 11]


@pytest.mark.parametrize(
    ("text", "header", "skip", "X", "y"),
    [
        # a comment above the names: read by pandas as them, 'a,b,y' a row, every feature lost
        ("# exported\na,b,y\n5,6,1\n2,NA,4\n7,8,9\n", True, (1,), [[5, 6], [7, 8]], [1, 9]),
        # a row of empty cells above the names: 'Unnamed: 0', …, and the names a row of data
        (",,\na,b,y\n5,NA,1\n2,3,2\n", True, (1,), [[2, 3]], [2]),
        # no names: a comment, read by pandas as a row (a ParserError where wider than the table)
        ("# x, y and z\n\n1,2,3\n4,NA,6\n7,8,9\n", False, (1,), [[1, 2], [7, 8]], [3, 9]),
    ],
)
def test_the_drop_fix_skips_the_lines_the_reader_skipped(
    tmp_path: Path,
    text: str,
    header: bool,
    skip: tuple[int, ...],
    X: list[list[float]],
    y: list[float],
) -> None:
    """The drop fix read the file with pandas as it stands: a comment or a row of empty cells
    above the table, which the reader skips, became the names (the real ones a row of text), and
    the fix saved over the file what was left: '# exported' above 'y' alone, the features lost.
    It skips those lines (skiprows, readLines in R) and writes a new file beside the user's, whose
    file it leaves as it is."""
    path = _written(tmp_path / "s.csv", text)
    line = text.count("\n", 0, text.index("NA")) + 1
    said = _refusal(path)
    assert said == (
        f"{path} is not a numeric CSV: line {line}, column 2 holds 'NA', a missing value (pandas "
        "writes NaN as an empty cell, R's write.csv as NA); every cell must be a number: drop or "
        f"fill the examples that miss one first, {_drop_said(path, [], [], header=header, skip=skip)}"
    )
    follow(said, path)
    assert path.read_text() == text  # the user's file as it was
    got_X, got_y = load_regression_file(_complete(path))
    assert got_X.tolist() == X and got_y.flatten().tolist() == y


@pytest.mark.parametrize(
    "cells,what,written,meant",
    [
        # a decimal comma in the column: '1,500 €' is 1.5, not 1500
        (
            ("1,500 €", "0,50 €", "3,25 €"),
            "an amount with a currency symbol ('€', a spreadsheet's Currency format) and a decimal "
            "comma",
            "save the column as plain numbers ('1.500'), without the symbol, e.g. in Excel as the "
            "Number format rather than Currency or Accounting, and with '.' as the decimal "
            "separator",
            1.5,
        ),
        (
            ("1,234%", "1,5%", "3,25%"),
            "a percentage (a spreadsheet's Percent format) and a decimal comma",
            "save the column as numbers without '%', and with '.' as the decimal separator: as "
            "fractions, 0.01234 (the percentage divided by 100), e.g. in Excel as the General or "
            "Number format, or as the percentages, 1.234",
            0.01234,
        ),
        # '1.234,56' in the column: its '.' separates thousands, '€1.234' is 1234
        (
            ("€1.234", "€1.234,56", "€3,00"),
            "an amount with a currency symbol ('€', a spreadsheet's Currency format) and thousands "
            "separators (a spreadsheet's number format)",
            "save the column as plain numbers ('1234'), without the symbol, e.g. in Excel as the "
            "Number format rather than Currency or Accounting, with 'Use 1000 Separator' cleared",
            1234.0,
        ),
    ],
)
def test_a_formatted_cell_s_separator_is_read_as_its_column_writes_them(
    tmp_path: Path, cells: tuple[str, ...], what: str, written: str, meant: float
) -> None:
    """'1,500 €' beside '0,50 €' was told to be saved as '1500', '1,234%' beside '1,5%' as 12.34,
    and '€1.234' beside '€1.234,56' as '1.234': a formatted cell ignored its column, which a plain
    '1,234' consults. Followed, the value is the one the spreadsheet showed."""
    path = _written(
        tmp_path / "f.csv", "a,y\n" + "".join(f'"{c}",{k}\n' for k, c in enumerate(cells))
    )
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cells[0]!r}, {what}; every cell "
        f"must be a number as numpy and pandas read one: {written}"
    )
    X, _ = load_regression_file(_written(path, f"a,y\n{_suggested(written)},0\n2,1\n"))
    assert X[0, 0].item() == torch.tensor(meant).item()


@pytest.mark.parametrize(
    "cell,readings,fix",
    [
        (
            "1.234 €",
            "'1234' if '.' separates thousands, '1.234' if it is the decimal point",
            ", without the symbol, e.g. in Excel as the Number format rather than Currency or "
            "Accounting",
        ),
        (
            "$1,500",
            "'1500' if ',' separates thousands, '1.500' if it is the decimal point",
            ", without the symbol, e.g. in Excel as the Number format rather than Currency or "
            "Accounting",
        ),
        (
            "(1,500)",
            "'-1500' if ',' separates thousands, '-1.500' if it is the decimal point",
            ", with a minus sign, e.g. in Excel as the Number format rather than Accounting",
        ),
    ],
)
def test_a_formatted_cell_whose_one_separator_nothing_decides_is_told_ambiguous(
    tmp_path: Path, cell: str, readings: str, fix: str
) -> None:
    """'1.234 €' alone was told to be saved as '1.234', a guess: its one separator, three digits
    after it, may be thousands' (1234) or the decimal point, and no other cell of its column
    tells which. Both readings are told."""
    path = _written(tmp_path / "a.csv", f'a,y\n"{cell}",1\n5,2\n')
    said = _refusal(path)
    assert said.startswith(f"{path} is not a numeric CSV: line 2, column 1 holds {cell!r}, ")
    assert said.endswith(
        "and one separator, ambiguous: thousands' or the decimal point, which no other cell of "
        "its column tells; every cell must be a number as numpy and pandas read one: save the "
        f"column as plain numbers ({readings}){fix}, with 'Use 1000 Separator' cleared and '.' "
        "as the decimal separator"
    )


@pytest.mark.parametrize("other", ["01.02.2024", "1,5 - 2,5 €"], ids=["date", "range"])
def test_a_date_or_a_range_in_the_column_decides_no_separator(tmp_path: Path, other: str) -> None:
    """'01.02.2024' voted ',' the column's decimal point (its dots read as thousands), and the
    range '1,5 - 2,5 €' voted '.' (its commas read as thousands), so '1,500 €' beside them was told
    one reading as sure: neither is a number, and it is told ambiguous."""
    path = _written(tmp_path / "a.csv", f'a,y\n"1,500 €",1\n"{other}",2\n5,3\n')
    assert "'1500' if ',' separates thousands, '1.500' if it is the decimal point" in _refusal(path)


@pytest.mark.parametrize("units", ["kg,,EUR", "kg,-,EUR", ",m,EUR", "kg, - ,"])
def test_a_second_header_row_with_a_blank_or_dash_unit_is_told_to_be_deleted(
    tmp_path: Path, units: str
) -> None:
    """'kg,,EUR' below the names was told "holds 'kg'" and to encode categories with
    pd.get_dummies: a units row with a unit left blank or '-' was no second header row. Words
    alone but for blank or '-' cells, above numbers, are one; deleted, the file loads."""
    rows = "1,2,3\n4,5,6\n"
    path = _written(tmp_path / "u.csv", f"mass,height,y\n{units}\n{rows}")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, right below the header (line 1), holds {units!r} "
        "and no number, a second header row (units, or names?); one header row is read, and every "
        "cell below it must be a number: delete line 2, keeping one header row (put units in the "
        "names, e.g. 'mass_kg')"
    )
    X, y = load_regression_file(_written(path, f"mass,height,y\n{rows}"))
    assert X.tolist() == [[1, 2], [4, 5]] and y.flatten().tolist() == [3, 6]


@pytest.mark.parametrize("first", ["kg,TRUE,EUR", "kg,5,EUR", ",-,"])
def test_a_row_with_a_bool_a_number_or_no_word_is_no_second_header_row(
    tmp_path: Path, first: str
) -> None:
    """A row with a bool or a number beside its words, or with no word at all, stays no second
    header row, blank or '-' cells allowed beside words notwithstanding."""
    path = _written(tmp_path / "u.csv", f"mass,height,y\n{first}\n1,2,3\n4,5,6\n")
    assert "second header row" not in _refusal(path)


@pytest.mark.parametrize(
    "totals", ["Total,5,9", "Total,,9", 'Total,"123,456",9', "SUM,5,9", "Summe:,5,9", "总计,5,9"]
)
def test_a_totals_row_last_is_told_to_be_deleted(tmp_path: Path, totals: str) -> None:
    """A spreadsheet's totals row below the examples ('Total,5,9') was told to encode categories
    with pd.get_dummies, which would have trained on a sum as an example; deleted, the file
    loads."""
    rows = "a,b,y\n1,2,3\n4,5,6\n"
    path = _written(tmp_path / "t.csv", f"{rows}{totals}\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 4 holds a totals row ({totals!r}); every row below the "
        "header must be an example: delete it, a sum is no example"
    )
    X, y = load_regression_file(_written(path, rows))
    assert X.tolist() == [[1, 2], [4, 5]] and y.flatten().tolist() == [3, 6]
    # 'Total' in any row but the last is a word like any other
    assert "totals row" not in _refusal(_written(path, f"a,b,y\n{totals}\n1,2,3\n4,5,6\n"))


def test_a_header_repeated_below_is_told_to_be_deleted(tmp_path: Path) -> None:
    """Files joined one after another repeat their header ('a,b,y\\n1,2,3\\na,b,y\\n4,5,6'):
    the copy was told to encode categories with pd.get_dummies; it is told to be deleted, with
    every line that repeats it."""
    path = _written(tmp_path / "j.csv", "a,b,y\n1,2,3\na,b,y\n4,5,6\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3 repeats the header (line 1), as files joined one "
        "after another write it; one header row is read, and every row below it must be an "
        "example: delete it"
    )
    path = _written(path, "a,b,y\n1,2,3\na,b,y\n4,5,6\na,b,y\n7,8,9\n")
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 3 repeats the header (line 1) (and line 5, which "
        "repeats it too), as files joined one after another write it; one header row is read, "
        "and every row below it must be an example: delete them"
    )
    # blanks around a repeat's names: each repeat is named, the first and the later ones alike
    for joined in [
        "a,b,y\n1,2,3\na,b,y\n4,5,6\na, b, y\n7,8,9\n",
        "a,b,y\n1,2,3\n a , b,y\n4,5,6\na,b,y\n7,8,9\n",
    ]:
        assert "line 3 repeats the header (line 1) (and line 5, which repeats it too)" in (
            _refusal(_written(path, joined))
        )
    X, y = load_regression_file(_written(path, "a,b,y\n1,2,3\n4,5,6\n7,8,9\n"))
    assert X.tolist() == [[1, 2], [4, 5], [7, 8]] and y.flatten().tolist() == [3, 6, 9]


@pytest.mark.parametrize(
    "percentage,fraction",
    [
        ("33.333333333333%", "0.33333333333333"),
        ("12345678901234567890%", "123456789012345678.9"),
        ("-0.000012345678901234%", "-0.00000012345678901234"),
        ("1e5%", "1e+3"),
    ],
)
def test_a_percentage_s_fraction_keeps_every_digit(
    tmp_path: Path, percentage: str, fraction: str
) -> None:
    """'33.333333333333%' was told the fraction 0.333333333333, two digits lost, and
    '12345678901234567890%' 1.23456789012e+17, to 12 digits: the fraction is the percentage
    with its decimal point shifted, exactly; followed, it reads as the percentage / 100."""
    path = _written(tmp_path / "p.csv", f'a,y\n"{percentage}",1\n5,2\n')
    said = _refusal(path)
    assert f": as fractions, {fraction} (the percentage divided by 100)" in said
    X, _ = load_regression_file(_written(path, f"a,y\n{fraction},1\n5,2\n"))
    assert X[0, 0].item() == torch.tensor(float(percentage[:-1]) / 100).item()


@pytest.mark.parametrize("cell", ["1e400%", "$1e400", "(5e308 €)"])
def test_a_formatted_number_past_float64_s_range_is_refused_as_a_plain_one_is(
    tmp_path: Path, cell: str
) -> None:
    """'1e400%' was told the fraction inf, which the table reads as a number: following the fix
    fed inf. A number past float64's range in a spreadsheet's format is refused as '1e400' is."""
    path = _written(tmp_path / "p.csv", f'a,y\n"{cell}",1\n5,2\n')
    assert _refusal(path) == (
        f"{path} is not a numeric CSV: line 2, column 1 holds {cell!r}, a number past float64's "
        "range (±1.8e+308) in a spreadsheet's format; every cell must be a number as numpy and "
        "pandas read one: rescale that column (e.g. divide it by a power of ten) before saving, "
        "or drop the example"
    )


@pytest.mark.parametrize(
    "cell,held,written",
    [
        (
            "$" + "1" * 100,
            "'$1111111111111111111…' (101 characters)",
            "'11111111111111111111…' (100 characters)",
        ),
        (
            "1,234" + ",567" * 2000,
            "'1,234,567,567,567,56…' (8005 characters)",
            "'12345675675675675675…' (6004 characters)",
        ),
        (
            "0," + "5" * 100,
            "'0,555555555555555555…' (102 characters)",
            "'0.555555555555555555…' (102 characters)",
        ),
    ],
)
def test_a_long_formatted_cell_is_shown_cut_short(
    tmp_path: Path, cell: str, held: str, written: str
) -> None:
    """'$' and 5000 digits was shown whole, twice, in a 10,291-character message; a long cell and
    the number the fix writes are cut short, with "…" and their length, as other long values are."""
    path = _written(tmp_path / "l.csv", f'a,y\n"{cell}",1\n5,2\n')
    said = _refusal(path)
    assert said.startswith(f"{path} is not a numeric CSV: line 2, column 1 holds {held}, ")
    assert f"({written})" in said and len(said) < 600
