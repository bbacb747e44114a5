"""Numbers written with separators in a file's features held as text
(linearnets.data.number_separators): '1,234', '1,5', '1.234,5' told how to write, never ranked as
words; a '.' beside decimal commas that is not between thousands named ambiguous."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from linearnets.data.arrays import load_regression_file

from .test_feature_text import _refused


@pytest.mark.parametrize("text", ["U", "S"])
def test_numbers_with_separators_are_named_so_never_ranked_as_words(
    tmp_path: Path, text: str
) -> None:
    """'1,5', '10,0' (decimal commas) and '1,234', '12,000' (thousands separators) were called
    words and told numpy.unique's ranks: followed, '10,0' loaded below '3,5'. A lone '1,5' among
    numbers was a bad value to fill with the mean. Each is named as a number written so, with the
    replace that writes it as numpy reads it (beside '1.5' and '3.5', '1,5' makes a column
    written two ways, named as such); followed, the values are the numbers meant."""
    decimal = ["1,5", "2,25", "10,0", "3,5"]
    thousands = ["1,234", "12,000", "999", "5"]
    X = np.array([decimal, thousands, ["1.5", "1,5", "3.5", "5"]]).T.astype(text)
    path = tmp_path / "d.npz"
    said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
    c, d = (",", ".") if text == "U" else (b",", b".")
    assert said == (
        f"{path}: X must hold real numbers, got dtype {X.dtype}: text, and "
        f"{X[0, 0].item()!r} at X[0, 0] (the first of 4) is a number written with a decimal "
        "comma: write X[:, 0] with '.' as the decimal point ('1.5'), e.g. "
        f"X[:, 0] = numpy.char.replace(X[:, 0], {c!r}, {d!r}); {X[0, 1].item()!r} at X[0, 1] "
        "(the first of 2) is a number written with thousands separators (a spreadsheet's number "
        "format): save X[:, 1] without them ('1234'), e.g. X[:, 1] = numpy.char.replace(X[:, 1], "
        f"{c!r}, {c[:0]!r}); {X[0, 2].item()!r} at X[0, 2] (the first of 2 with a '.' not "
        f"between thousands) is ambiguous beside the decimal commas of X[:, 2] ({X[1, 2].item()!r} at X[1, 2]): its '.' "
        "is no thousands separator, which stands between groups of three digits after a first "
        "group not starting with 0, so it is a decimal point, the column written two ways, or a "
        "slip, which the file cannot say; write the numbers of "
        "X[:, 2] one way, with '.' as the decimal point and no thousands separators ('1,5' as "
        "'1.5'), then convert it, numpy.asarray(X, dtype=float)"
    )
    scope = {"numpy": np, "X": X.copy()}
    for fix in said.split("e.g. ")[1:]:  # each replace as given, then the cast
        exec(fix.split(";")[0].split(", then")[0], scope)
    scope["X"][:, 2] = np.char.replace(
        X[:, 2], c, d
    )  # X[:, 2] written one way, as its writer knows
    exec(f"X = {said.split('then convert it, ')[1]}", scope)
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(4.0))
    meant = [[1.5, 1234, 1.5], [2.25, 12000, 1.5], [10, 999, 3.5], [3.5, 5, 5]]
    assert load_regression_file(tmp_path / "fixed.npz")[0].tolist() == meant
    # a column of names with commas is one of words, and y's decimal commas are y's
    X = np.array([["Smith, J", "1"], ["Li, K", "2"], ["Smith, J", "3"], ["Ng, A", "4"]])
    said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
    assert "'Smith, J' at X[0, 0] is no number (the first word); encode that column" in said
    y = np.array(["0,5", "1,25", "-2,0", "3"])
    said = _refused(load_regression_file, path, X=np.ones((4, 1)), y=y)
    assert said == (
        f"{path}: y must hold real numbers, got dtype <U4: text, and '0,5' at y[0] (the first of "
        "3) is a number written with a decimal comma: write y with '.' as the decimal point "
        "('0.5'), e.g. y = numpy.char.replace(y, ',', '.'), then convert it, "
        "numpy.asarray(y, dtype=float)"
    )
    scope = {"numpy": np, "y": y}
    exec(said.split("e.g. ")[1].split(", then")[0], scope)
    np.savez(tmp_path / "fixed.npz", X=np.ones((4, 1)), y=np.asarray(scope["y"], dtype=float))
    assert load_regression_file(tmp_path / "fixed.npz")[1][:, 0].tolist() == [0.5, 1.25, -2, 3]


@pytest.mark.parametrize(
    ("written", "separator"),
    [(["1.234,5", "2,5", "3", "4"], "."), (["1 234,5", "2,5", "3", "4"], " ")],
)
@pytest.mark.parametrize("text", ["U", "S"])
def test_numbers_with_a_decimal_comma_and_thousands_separators_are_told_so(
    tmp_path: Path, written: list[str], separator: str, text: str
) -> None:
    """'1.234,5' and '1 234,5' (a decimal comma, '.' or a blank between thousands) fit neither
    the thousands nor the decimal-comma pattern: the column was called words and told
    numpy.unique's ranks, which followed loaded 0, 1, 2, 3 for 1234.5, 2.5, 3, 4. They are named
    as written so, with the replaces that write them as numpy reads them; followed, the values are
    the numbers meant."""
    X = np.array(written).reshape(-1, 1).astype(text)
    path = tmp_path / "d.npz"
    said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
    s, c, d = (separator, ",", ".") if text == "U" else (separator.encode(), b",", b".")
    assert said == (
        f"{path}: X must hold real numbers, got dtype {X.dtype}: text, and {X[0, 0].item()!r} at "
        f"X[0, 0] (the first of 2) is a number written with a decimal comma and {separator!r} as "
        "thousands separators: write X without the thousands separators and with '.' as the "
        "decimal point ('1234.5'), e.g. X = numpy.char.replace(numpy.char.replace(X, "
        f"{s!r}, {c[:0]!r}), {c!r}, {d!r}), then convert it, numpy.asarray(X, dtype=float)"
    )
    scope = {"numpy": np, "X": X}
    exec(said.split("e.g. ")[1].split(", then")[0], scope)  # the replaces as given, then the cast
    exec(f"X = {said.split('then convert it, ')[1]}", scope)
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(4.0))
    assert load_regression_file(tmp_path / "fixed.npz")[0][:, 0].tolist() == [1234.5, 2.5, 3, 4]


def test_a_comma_after_a_first_group_of_0_is_a_decimal_comma_not_thousands(tmp_path: Path) -> None:
    """['0,500', '1,234'] was told to drop the commas as thousands separators, which loaded 500:
    no spreadsheet groups thousands after a 0, so the column has decimal commas, told to be
    written with '.', which followed loads 0.5 and 1.234."""
    X = np.array(["0,500", "1,234"]).reshape(-1, 1)
    path = tmp_path / "d.npz"
    said = _refused(load_regression_file, path, X=X, y=np.arange(2.0))
    assert said == (
        f"{path}: X must hold real numbers, got dtype <U5: text, and '0,500' at X[0, 0] (the "
        "first of 2) is a number written with a decimal comma: write X with '.' as the decimal "
        "point ('0.500'), e.g. X = numpy.char.replace(X, ',', '.'), then convert it, "
        "numpy.asarray(X, dtype=float)"
    )
    scope = {"numpy": np, "X": X}
    exec(said.split("e.g. ")[1].split(", then")[0], scope)  # the replace as given, then the cast
    exec(f"X = {said.split('then convert it, ')[1]}", scope)
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(2.0))
    oracle = np.array([0.5, 1.234], dtype=np.float32)
    assert load_regression_file(tmp_path / "fixed.npz")[0][:, 0].tolist() == oracle.tolist()


@pytest.mark.parametrize(
    ("written", "first", "many"),
    [(["0,500", "1,234.5", "2", "3"], "'1,234.5' at X[1, 0] (the only one", "'0,500' at X[0, 0]"),
     (["0,250", "1,500.75", "2,000.5", "3"], "'1,500.75' at X[1, 0] (the first of 2",
      "'0,250' at X[0, 0]"),
     # the decimal comma quoted is one no thousands separator makes, never the value named
     (["1,234.5", "2,000", "0,5", "3"], "'1,234.5' at X[0, 0] (the only one", "'0,5' at X[2, 0]"),
     # '.' between thousands beside a decimal point: '0.500' was a word, the column ranked
     (["1.234,5", "0,5", "2,25", "0.500"], "'0.500' at X[3, 0] (the only one", "'0,5' at X[1, 0]")],
)  # fmt: skip
def test_a_decimal_comma_beside_thousands_and_a_point_is_named_ambiguous_never_ranked(
    tmp_path: Path, written: list[str], first: str, many: str
) -> None:
    """'0,500' (a decimal comma: no thousands group starts with 0) beside '1,234.5' (thousands,
    then a point) was called a word and told numpy.unique's ranks, which followed replace the
    numbers by 0, 1, 2, 3: the column is written two ways, named ambiguous, as '1.5' beside
    '2,5' is, no rank offered."""
    X = np.array(written).reshape(-1, 1)
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(4.0))
    assert f"{first} with a '.' not between thousands) is ambiguous beside the decimal commas of X ({many})" in said  # fmt: skip
    assert "numpy.unique" not in said


def test_a_decimal_comma_beside_thousands_without_a_point_is_no_crash(tmp_path: Path) -> None:
    """['0,5', '1,234,567', '3'] (a decimal comma beside thousands, no '.') raised IndexError
    from the ambiguity's message, which names a value with a '.': it is refused as before."""
    X = np.array(["0,5", "1,234,567", "3"]).reshape(-1, 1)
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(3.0))
    assert said.startswith(f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype <U9: text")


@pytest.mark.parametrize("text", ["U", "S"])
def test_a_point_beside_decimal_commas_is_read_between_thousands_or_named_ambiguous(
    tmp_path: Path, text: str
) -> None:
    """'1.500' beside '2,5' was told the decimal comma's replace alone, which read it 1.5, while
    '1.500,0' beside it was told to drop the '.', 1500.0: the reading hung on whether one value
    had a comma. Beside decimal commas a '.' is no decimal point: between groups of three digits
    ('1.500', '12.345.678'; ' ' too, '1 500' having been a bad value to fill) it separates
    thousands, as in '1.234,5'; else ('1.5') which was meant is named as unclear, never read.
    Followed, each loads as the numbers meant."""
    path = tmp_path / "d.npz"
    c, d = (",", ".") if text == "U" else (b",", b".")
    for written, separator, meant in [
        (["1.500", "2,5", "3", "12.345.678"], ".", [1500, 2.5, 3, 12345678]),
        (["1.500,0", "2,5", "3", "4"], ".", [1500, 2.5, 3, 4]),
        (["1 500", "2,5", "3", "4"], " ", [1500, 2.5, 3, 4]),
    ]:
        X = np.array(written).reshape(-1, 1).astype(text)
        said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
        s = separator if text == "U" else separator.encode()
        first = written[0].replace(separator, "").replace(",", ".")
        assert said == (
            f"{path}: X must hold real numbers, got dtype {X.dtype}: text, and "
            f"{X[0, 0].item()!r} at X[0, 0] (the first of {3 if meant[3] > 4 else 2}) is a "
            f"number written with a decimal comma and {separator!r} as thousands separators: "
            "write X without the thousands separators and with '.' as the decimal point "
            f"({first!r}), e.g. X = numpy.char.replace(numpy.char.replace(X, {s!r}, "
            f"{c[:0]!r}), {c!r}, {d!r}), then convert it, numpy.asarray(X, dtype=float)"
        )
        scope = {"numpy": np, "X": X}
        exec(said.split("e.g. ")[1].split(", then")[0], scope)  # the replaces, then the cast
        exec(f"X = {said.split('then convert it, ')[1]}", scope)
        np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(4.0))
        assert load_regression_file(tmp_path / "fixed.npz")[0][:, 0].tolist() == meant
    X = np.array(["3", "1.5", "2,5", "1.500"]).reshape(-1, 1).astype(text)
    said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
    assert said == (
        f"{path}: X must hold real numbers, got dtype {X.dtype}: text, and {X[1, 0].item()!r} at "
        "X[1, 0] (the only one with a '.' not between thousands) is ambiguous beside the decimal "
        "commas of X "
        f"({X[2, 0].item()!r} at X[2, 0]): its '.' is no thousands separator, which stands "
        "between groups of three digits after a first group not starting with 0, so it is a "
        "decimal point, the column written two ways, or a slip, which the file cannot say; write "
        "the numbers of X one way, with '.' as the decimal point and "
        "no thousands separators ('2,5' as '2.5'), then convert it, numpy.asarray(X, dtype=float)"
    )
    # followed, as whoever wrote the file knows it: '.' was the decimal point of two values
    X = np.char.replace(X, c, d)
    scope = {"numpy": np, "X": X}
    exec(f"X = {said.split('then convert it, ')[1]}", scope)
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(4.0))
    assert load_regression_file(tmp_path / "fixed.npz")[0][:, 0].tolist() == [3, 1.5, 2.5, 1.5]


@pytest.mark.parametrize("text", ["U", "S"])
def test_a_point_after_a_first_group_of_0_beside_decimal_commas_is_named_ambiguous(
    tmp_path: Path, text: str
) -> None:
    """'0.500' beside '2,5' was read as '.' between thousands and told the replaces that drop it:
    followed, 500 and 250 loaded where 0.5 and 0.25 were meant. No number grouped in thousands
    starts with a group of 0, or with a 0 before its first group's digits ('01.234'): such a value
    is named ambiguous, as '1.5' is. Followed as its writer knows it, the values are those meant."""
    path = tmp_path / "d.npz"
    c, d = (",", ".") if text == "U" else (b",", b".")
    for written, many, meant in [
        (["0.500", "2,5", "3", "0.250"], "the first of 2", [0.5, 2.5, 3, 0.25]),
        (["01.234", "2,5", "3", "4"], "the only one", [1.234, 2.5, 3, 4]),
    ]:
        X = np.array(written).reshape(-1, 1).astype(text)
        said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
        assert said == (
            f"{path}: X must hold real numbers, got dtype {X.dtype}: text, and "
            f"{X[0, 0].item()!r} at X[0, 0] ({many} with a '.' not between thousands) is "
            f"ambiguous beside the decimal commas of X ({X[1, 0].item()!r} at X[1, 0]): its '.' "
            "is no thousands separator, which stands between groups of three digits after a "
            "first group not starting with 0, so it is a decimal point, the column written two "
            "ways, or a slip, which the file cannot say; write the numbers of X one way, with '.' "
            "as the decimal point and no thousands separators ('2,5' as '2.5'), then convert it, "
            "numpy.asarray(X, dtype=float)"
        )
        scope = {"numpy": np, "X": np.char.replace(X, c, d)}  # '.' the decimal point, as meant
        exec(f"X = {said.split('then convert it, ')[1]}", scope)
        np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(4.0))
        assert load_regression_file(tmp_path / "fixed.npz")[0][:, 0].tolist() == pytest.approx(
            meant
        )


@pytest.mark.parametrize(
    ("value", "what"),
    [(".", "a missing value"), ("1.#IND", "a missing value"), ("n.a.", "a bad value"),
     ("x.y", "a bad value")],
)  # fmt: skip
def test_a_missing_value_or_word_with_a_point_beside_decimal_commas_is_named_as_held(
    tmp_path: Path, value: str, what: str
) -> None:
    """'.' or '1.#IND' (missing values), 'n.a.' (a word) beside '2,5' made the column "written two
    ways", ambiguous, with no replace offered, and the next part quoted the value with its '.'
    stripped ('', 'na', '1#IND' called a bad value). Only numbers written with a '.' count: the decimal
    commas (or '.' between thousands) are told their replace, and the value is named as the file
    holds it, missing or bad. Followed, its example dropped, the values are those meant."""
    path = tmp_path / "d.npz"
    for written, thousands, meant in [
        (["2,5", value, "3", "1,25"], False, [2.5, 3, 1.25]),
        (["1.500", "2,5", value, "3"], True, [1500, 2.5, 3]),
    ]:
        X = np.array(written).reshape(-1, 1)
        i = written.index(value)
        said = _refused(load_regression_file, path, X=X, y=np.arange(4.0))
        reading = (
            "a decimal comma and '.' as thousands separators: write X without the thousands "
            "separators and with '.' as the decimal point ('1500'), e.g. X = "
            "numpy.char.replace(numpy.char.replace(X, '.', ''), ',', '.')"
            if thousands
            else "a decimal comma: write X with '.' as the decimal point ('2.5'), e.g. X = "
            "numpy.char.replace(X, ',', '.')"
        )
        assert said == (
            f"{path}: X must hold real numbers, got dtype {X.dtype}: text, and {written[0]!r} at "
            f"X[0, 0] (the first of 2) is a number written with {reading}; {value!r} at X[{i}, 0] "
            f"is no number among the numbers of X (the only one): {what}; fill it with a number "
            "(e.g. the mean of the others) or drop that example (and its y), then convert it, "
            "numpy.asarray(X, dtype=float)"
        )
        scope = {"numpy": np, "X": X}
        exec(said.split("e.g. ")[1].split(";")[0], scope)  # the replaces as given
        scope["X"] = np.delete(scope["X"], i, 0)  # that example dropped, as told
        exec(f"X = {said.split('then convert it, ')[1]}", scope)
        np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(3.0))
        assert load_regression_file(tmp_path / "fixed.npz")[0][:, 0].tolist() == meant
