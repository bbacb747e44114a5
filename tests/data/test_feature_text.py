"""A file's features held as text (linearnets.data.feature_text), refused by their values:
words, bad and missing values named with their fix; numbers with separators in
test_number_separators.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from linearnets.cli._report import one_line
from linearnets.data.arrays import load_classification_file, load_regression_file
from linearnets.data.features import float_features
from linearnets.errors import DatasetError


def _refused(load: Callable[[Path], object], path: Path, **arrays: np.ndarray) -> str:
    """Save ``arrays`` at ``path`` and return, on one line, the DatasetError ``load`` refuses it
    with."""
    np.savez(path, **arrays)
    with pytest.raises(DatasetError) as info:
        load(path)
    return one_line(info.value)


def test_words_as_targets_are_named_not_told_a_cast_that_fails(tmp_path: Path) -> None:
    """y of words was told "convert it first, e.g. with numpy.asarray(..., dtype=float)", which
    raises ValueError on them: the first word is named, and the encoding that works offered."""
    y = np.array(["a", "b", "c"] * 20)
    assert _refused(
        load_regression_file, tmp_path / "s.npz", X=np.random.default_rng(0).random((60, 2)), y=y
    ) == (
        f"{tmp_path / 's.npz'}: y must hold real numbers, got dtype <U1: text, and 'a' at y[0] is "
        "no number (the first word); encode it as numbers, e.g. "
        "numpy.unique(y, return_inverse=True)[1], its distinct values numbered 0..K-1, or drop "
        "the examples whose y is no number"
    )
    with pytest.raises(ValueError, match="could not convert string to float"):
        np.asarray(y, dtype=float)  # the fix it was offered
    codes = np.unique(y, return_inverse=True)[1]  # the one offered now
    assert codes[:4].tolist() == [0, 1, 2, 0]
    np.savez(tmp_path / "s.npz", X=np.random.default_rng(0).random((60, 2)), y=codes)
    assert load_regression_file(tmp_path / "s.npz")[1][:4, 0].tolist() == [0.0, 1.0, 2.0, 0.0]


@pytest.mark.parametrize("load", [load_regression_file, load_classification_file])
def test_a_column_of_words_among_numbers_is_named_by_its_first_word(
    tmp_path: Path, load: object
) -> None:
    """X of text, one column of words: named with the cell of its first word, for linreg and
    softmax alike."""
    X = np.array([["1.5", "x" if i >= 3 else "2"] for i in range(6)])
    assert _refused(load, tmp_path / "d.npz", X=X, y=np.array([0, 1, 0, 1, 0, 1])) == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype <U3: text, and 'x' at "
        "X[3, 1] is no number (the first word); encode that column as numbers, e.g. "
        "X = X.astype(object); X[:, 1] = numpy.unique(X[:, 1], return_inverse=True)[1]; "
        "X = numpy.asarray(X, dtype=float) (its distinct values numbered 0..K-1, in an array of "
        "objects first: written into X's text, 10 could be cut to '1'), or drop that column"
    )


def test_the_encoding_offered_for_a_column_of_words_keeps_every_category(tmp_path: Path) -> None:
    """Followed as written, X[:, 1] = numpy.unique(...)[1] wrote the codes into X's one-character
    text: 10 and 11 were cut to '1', 12 categories became 10, and linreg trained on them."""
    X = np.array([[str(i % 3), chr(97 + i % 12)] for i in range(40)])  # dtype <U1, 12 letters
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(40.0))
    fix = said.split("e.g. ")[1].split(" (its distinct")[0]
    scope = {"numpy": np, "X": X}
    exec(fix, scope)  # the statements as the message gives them
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(40.0))
    X_fixed, _ = load_regression_file(tmp_path / "fixed.npz")
    assert X_fixed[:, 1].tolist() == [float(i % 12) for i in range(40)]  # 'a'..'l' as 0..11
    assert X_fixed[:, 0].tolist() == [float(i % 3) for i in range(40)]


@pytest.mark.parametrize("text", ["U", "S"])
def test_numbers_written_as_text_are_told_the_cast_that_reads_them(
    tmp_path: Path, text: str
) -> None:
    """Every value reads as a number: the cast offered works (checked here on the same array)."""
    X = np.array([["1.5", "-2e3"], [" 3", "nan"]]).astype(text)
    with pytest.raises(DatasetError) as info:
        float_features(tmp_path / "d.npz", "X", X)
    assert str(info.value) == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype {X.dtype}: numbers written as "
        "text; convert it first, e.g. with numpy.asarray(X, dtype=float)"
    )
    assert np.asarray(X, dtype=float)[0].tolist() == [1.5, -2000.0]


def test_the_first_value_that_is_no_number_is_found_past_numbers_and_in_images(
    tmp_path: Path,
) -> None:
    """Named in the file's terms: images (N, 2, 2) flattened to (N, 4), by their own index."""
    X = np.array([["1", "2", "3", "4"], ["5", "6", "cat", "8"]])  # 'n/a' is a missing value
    with pytest.raises(DatasetError, match=r"'cat' at X\[1, 1, 0\] is no number .* numpy\.unique\(X\[:, 1, 0\], return_inverse=True\)\[1\]"):  # fmt: skip
        float_features(tmp_path / "d.npz", "X", X, shape=(2, 2, 2))
    y = np.array([str(float(i)) for i in range(60)])
    y[7] = "n/a"
    with pytest.raises(DatasetError, match=r"'n/a' at y\[7\] is no number"):
        float_features(tmp_path / "d.npz", "y", y.reshape(-1, 1), cell=lambda i, j: f"y[{i}]")


def _followed(said: str, **arrays: np.ndarray) -> dict[str, np.ndarray]:
    """Run the statements a message offers after its "e.g. ", up to their explanation in
    parentheses, on ``arrays``; return the arrays they leave."""
    scope: dict[str, object] = {"numpy": np, **arrays}
    exec(said.split("e.g. ")[1].split(" (")[0], scope)  # the statements as the message gives them
    return {key: scope[key] for key in arrays}  # type: ignore[misc]


@pytest.mark.parametrize("load", [load_regression_file, load_classification_file])
def test_the_encoding_offered_names_every_column_of_words(tmp_path: Path, load: object) -> None:
    """Two columns of words: the fix encoded the first alone, and the cast it ended with raised
    ValueError: could not convert string to float: 'l' on the second. Followed now, it loads."""
    cat = np.array([chr(97 + i % 12) for i in range(40)])  # 'a'..'l'
    X = np.stack([cat, cat[::-1], np.array([str(i % 5) for i in range(40)])], 1)
    y = np.arange(40) % 2
    said = _refused(load, tmp_path / "d.npz", X=X, y=y)
    assert "'a' at X[0, 0] is no number (the first word); encode those columns (X[:, 0], X[:, 1])" in said  # fmt: skip
    assert said.endswith(", or drop them")
    np.savez(tmp_path / "fixed.npz", X=_followed(said, X=X)["X"], y=y)
    X_fixed = load(tmp_path / "fixed.npz")  # type: ignore[operator]
    X_fixed = X_fixed[0] if isinstance(X_fixed, tuple) else X_fixed.X
    letters = [i % 12 for i in range(40)]
    assert X_fixed[:, 0].tolist() == letters  # 'a'..'l' as 0..11
    assert X_fixed[:, 1].tolist() == letters[::-1]
    assert X_fixed[:, 2].tolist() == [i % 5 for i in range(40)]


def test_a_column_of_words_is_numbered_in_x_and_x_test_together(tmp_path: Path) -> None:
    """X's message numbered X[:, 1] alone and X_test's X_test[:, 1] alone: 'c' was 2 in X and 0 in
    X_test (which lacks 'a' and 'b'), and the run trained on it. Followed now, a word has one
    number in both."""
    X = np.array([[str(i), "abcd"[i % 4]] for i in range(8)])
    X_test = np.array([["1", "c"], ["2", "d"], ["3", "c"]])
    said = _refused(
        load_classification_file,
        tmp_path / "d.npz",
        X=X,
        y=np.arange(8) % 2,
        X_test=X_test,
        y_test=np.array([0, 1, 0]),
    )
    assert "its first len(X) rows are X's, the rest X_test's" in said
    fixed = _followed(said, X=X, X_test=X_test)
    np.savez(tmp_path / "fixed.npz", y=np.arange(8) % 2, y_test=np.array([0, 1, 0]), **fixed)
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X[:, 1].tolist() == [0, 1, 2, 3] * 2  # 'a'..'d'
    assert data.X_test is not None
    assert data.X_test[:, 1].tolist() == [2, 3, 2]  # 'c' and 'd' as in X


def test_words_in_x_test_beside_x_of_numbers_are_told_x_s_encoding(tmp_path: Path) -> None:
    """X, read first, holds numbers: X_test's words numbered alone would not match them."""
    X_test = np.array([["1", "b"], ["2", "a"]])
    assert _refused(
        load_classification_file,
        tmp_path / "d.npz",
        X=np.ones((4, 2)),
        y=np.arange(4) % 2,
        X_test=X_test,
        y_test=np.arange(2),
    ) == (
        f"{tmp_path / 'd.npz'}: X_test must hold real numbers, got dtype <U1: text, and 'b' at "
        "X_test[0, 1] is no number (the first word); X holds numbers there: store that column in "
        "X's encoding (each value as the number it has in X), or drop that column from both"
    )


@pytest.mark.parametrize("blank", ["", "NA", "?"])
@pytest.mark.parametrize("load", [load_regression_file, load_classification_file])
def test_a_blank_among_numbers_is_a_missing_value_not_a_category(
    tmp_path: Path, load: object, blank: str
) -> None:
    """'0'..'11' and one blank were told to encode the column as categories, which, followed,
    made '2' 5.0 and '10' 3.0, trained on silently: the blanks are missing values, to fill or
    drop, named with how many."""
    column = np.array([str(i % 12) for i in range(40)])
    column[[5, 17]] = blank
    X = np.stack([np.array(["1"] * 40), column], 1)
    assert _refused(load, tmp_path / "d.npz", X=X, y=np.arange(40) % 2) == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype {X.dtype}: text, and "
        f"{blank!r} at X[5, 1] is no number among the numbers of X[:, 1] (the first of 2): "
        "missing values; fill them with a number (e.g. the mean of the others) or drop those "
        "examples (and their y), then convert it, numpy.asarray(X, dtype=float)"
    )
    keep = X[:, 1] != blank  # dropped, as told
    np.savez(
        tmp_path / "fixed.npz", X=np.asarray(X[keep], dtype=float), y=(np.arange(40) % 2)[keep]
    )
    X_fixed = load(tmp_path / "fixed.npz")  # type: ignore[operator]
    X_fixed = X_fixed[0] if isinstance(X_fixed, tuple) else X_fixed.X
    assert X_fixed[:, 1].tolist() == [i % 12 for i in range(40) if i not in (5, 17)]


def test_one_missing_target_is_named_with_words_beside_it(tmp_path: Path) -> None:
    """A missing y among numbers is one example to drop (a target filled in is made up); beside a
    column of words, X's missing values are told to be filled first, the encoding's cast failing
    on them."""
    y = np.array([str(float(i)) for i in range(40)])
    y[3] = "NA"
    with pytest.raises(DatasetError) as info:
        float_features(tmp_path / "d.npz", "y", y.reshape(-1, 1), cell=lambda i, j: f"y[{i}]")
    assert one_line(info.value).endswith(
        "text, and 'NA' at y[3] is no number among the numbers of y (the only one): a missing "
        "value; drop that example (and its X), then convert it, numpy.asarray(y, dtype=float)"
    )
    X = np.stack([np.array(["a", "b"] * 20), y], 1)
    with pytest.raises(DatasetError) as info:
        float_features(tmp_path / "d.npz", "X", X)
    assert one_line(info.value).endswith(
        "or drop that column; first, 'NA' at X[3, 1] is no number among the numbers of X[:, 1] (the only "
        "one): a missing value; fill it with a number (e.g. the mean of the others) or drop that "
        "example (and its y)"
    )


def test_x_of_one_column_of_words_is_numbered_with_x_test_as_wider_x_is(tmp_path: Path) -> None:
    """X of one column took the targets' message: 'numpy.unique(X, return_inverse=True)[1]', an
    expression assigned to nothing, (N,) where (N, 1) is read, numbered apart from X_test ('c' 2 in
    X, 0 in X_test, trained on silently), or 'drop the examples whose X is no number', all of
    them. It gets the fix wider X gets, without dropping its only column; followed, it loads."""
    X, X_test = np.array([["a"], ["b"], ["c"], ["d"]]), np.array([["c"], ["d"]])
    y, y_test = np.array([0, 1, 0, 1]), np.array([0, 1])
    said = _refused(
        load_classification_file, tmp_path / "d.npz", X=X, y=y, X_test=X_test, y_test=y_test
    )
    assert "'a' at X[0, 0] is no number (the first word); encode that column as numbers, e.g. both = numpy.concatenate([X, X_test]).astype(object); both[:, 0] = numpy.unique(both[:, 0], return_inverse=True)[1]; X, X_test = " in said  # fmt: skip
    assert "drop" not in said
    fixed = _followed(said, X=X, X_test=X_test)
    assert fixed["X"].shape == (4, 1) and fixed["X_test"].shape == (2, 1)
    np.savez(tmp_path / "fixed.npz", y=y, y_test=y_test, **fixed)
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X[:, 0].tolist() == [0, 1, 2, 3]  # 'a'..'d'
    assert data.X_test is not None
    assert data.X_test[:, 0].tolist() == [2, 3]  # 'c' and 'd' as in X
    # no test set: X's own numbering
    said = _refused(load_regression_file, tmp_path / "r.npz", X=X, y=np.arange(4.0))
    assert said.endswith("10 could be cut to '1')")  # no 'or drop that column', the only one
    np.savez(tmp_path / "r.npz", X=_followed(said, X=X)["X"], y=np.arange(4.0))
    assert load_regression_file(tmp_path / "r.npz")[0].tolist() == [[0.0], [1.0], [2.0], [3.0]]


def test_blanks_are_missing_values_whatever_their_count_and_words_are_words(
    tmp_path: Path,
) -> None:
    """Missing values were told from words by their count: a column of more blanks than numbers
    was told to be encoded as categories (followed, '10' became 1.0, '2' 2.0 and the blanks 0.0,
    trained on silently), and a column of categories with a word rarer than its numbers ('XL')
    was told its words were missing values. A blank or 'NA' is a missing value however many;
    any other value that is no number makes the column one of words."""
    column = np.array(["10", "", "2", " ", "NA", "n/a", "3", "?", "-", "None"])
    X = np.stack([np.array([str(i) for i in range(10)]), column], 1)
    assert _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(10.0)) == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype <U4: text, and '' at X[1, 1] "
        "is no number among the numbers of X[:, 1] (the first of 7): missing values; fill them "
        "with a number (e.g. the mean of the others) or drop those examples (and their y), then "
        "convert it, numpy.asarray(X, dtype=float)"
    )
    sizes = np.array(["1", "2", "3", "1", "2", "3", "XL", "1", "XL", "2"])
    X = np.stack([np.array([str(i) for i in range(10)]), sizes], 1)
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(10.0))
    # mostly numbers: 'XL' is a bad value among them, never their ranks as categories
    assert said.endswith(
        "'XL' at X[6, 1] is no number among the numbers of X[:, 1] (the first of 2): bad values; "
        "fill them with a number (e.g. the mean of the others) or drop those examples (and their "
        "y), then convert it, numpy.asarray(X, dtype=float)"
    )
    sizes = np.array(["S", "M", "L", "S", "M", "L", "XL", "1", "XL", "2"])  # mostly words
    X = np.stack([np.array([str(i) for i in range(10)]), sizes], 1)
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(10.0))
    assert "'S' at X[0, 1] is no number (the first word); encode that column as numbers" in said
    np.savez(tmp_path / "fixed.npz", X=_followed(said, X=X)["X"], y=np.arange(10.0))
    sorted_sizes = ["1", "2", "L", "M", "S", "XL"]  # numpy.unique's order, numbered 0..5
    assert load_regression_file(tmp_path / "fixed.npz")[0][:, 1].tolist() == [
        float(sorted_sizes.index(s)) for s in sizes
    ]


def test_x_test_s_words_where_x_holds_numbers_are_in_x_s_fix(tmp_path: Path) -> None:
    """X's fix encoded X's columns of words alone: X_test's words in a column of X's numbers
    ('z' in X_test[:, 2]) made its cast raise ValueError: could not convert string to float:
    'z'; then that column was encoded whole, its numbers ranks. A column is one of words by X's
    and X_test's values together: 'z' among ten '5's is a bad value, named in X's fix to fill;
    followed, the file loads with X_test[:, 2]'s numbers as they are."""
    X = np.array([[str(i), "abcd"[i % 4], "5"] for i in range(8)])
    X_test = np.array([["1", "c", "z"], ["2", "d", "5"], ["3", "c", "5"]])
    y, y_test = np.arange(8) % 2, np.array([0, 1, 0])
    said = _refused(
        load_classification_file, tmp_path / "d.npz", X=X, y=y, X_test=X_test, y_test=y_test
    )
    assert "encode that column as numbers, e.g. both = " in said
    assert said.endswith(
        "first, 'z' at X_test[0, 2] is no number among the numbers of X_test[:, 2] (the only "
        "one): a bad value; fill it with a number (e.g. the mean of the others) or drop that "
        "example (and its y_test)"
    )
    X_test[0, 2] = "5"  # filled
    fixed = _followed(said, X=X, X_test=X_test)
    np.savez(tmp_path / "fixed.npz", y=y, y_test=y_test, **fixed)
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X[:, 1:].tolist() == [[i % 4, 5] for i in range(8)]  # 'a'..'d'; '5' is 5
    assert data.X_test is not None
    assert data.X_test[:, 1:].tolist() == [[2, 5], [3, 5], [2, 5]]


@pytest.mark.parametrize("stray", ["unknown", "1,2,3", "0x10", "#DIV/0!"])
def test_a_stray_word_among_numbers_is_a_bad_value_never_their_ranks(
    tmp_path: Path, stray: str
) -> None:
    """'0'..'99' as text with 'unknown' at X[57, 1] was told to encode the column as categories:
    followed, the numbers became their ranks in text order ('10' before '2'), trained silently.
    Mostly numbers, its other values are bad (or missing) values to fill or drop."""
    X = np.stack([np.arange(100).astype(str)] * 2, 1)
    X[57, 1] = stray
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(100.0))
    what = "a missing value" if stray.startswith("#") else "a bad value"
    assert said.endswith(
        f"{stray!r} at X[57, 1] is no number among the numbers of X[:, 1] (the only one): {what}; "
        "fill it with a number (e.g. the mean of the others) or drop that example (and its y), "
        "then convert it, numpy.asarray(X, dtype=float)"
    )
    X[57, 1] = "57"  # filled
    scope = {"numpy": np, "X": X}
    exec(f"X = {said.split('then convert it, ')[1]}", scope)  # the cast as the message gives it
    np.savez(tmp_path / "fixed.npz", X=scope["X"], y=np.arange(100.0))
    assert load_regression_file(tmp_path / "fixed.npz")[0][:, 1].tolist() == list(range(100))


def test_missing_values_in_a_column_of_words_are_named_not_encoded(tmp_path: Path) -> None:
    """A blank in X was folded into the encoding as a category, unnamed; and '(the first such)'
    named a word at X[19999, 0] though X[0, 0], blank, came first. Missing values are named as
    missing, to fill or drop; the first word is the first word."""
    file = {
        "X": np.array([["a", "2"], ["b", ""], ["a", "6"], ["c", "8"]]),
        "X_test": np.array([["a", "z"], ["b", "4"]]),
        "y": np.array([0, 1, 0, 1]),
        "y_test": np.array([0, 1]),
    }
    said = _refused(load_classification_file, tmp_path / "d.npz", **file)
    X, X_test, y, y_test = file["X"], file["X_test"], file["y"], file["y_test"]
    assert "'a' at X[0, 0] is no number (the first word); encode that column as numbers" in said
    assert said.endswith(
        "first, '' at X[1, 1] is no number among the numbers of X[:, 1] (the only one): a missing "
        "value; fill it with a number (e.g. the mean of the others) or drop that example (and its "
        "y); 'z' at X_test[0, 1] is no number among the numbers of X_test[:, 1] (the only one): a "
        "bad value; fill it with a number (e.g. the mean of the others) or drop that example (and "
        "its y_test)"
    )
    X[1, 1], X_test[0, 1] = "4", "4"  # filled
    np.savez(tmp_path / "fixed.npz", y=y, y_test=y_test, **_followed(said, X=X, X_test=X_test))
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X.tolist() == [[0, 2], [1, 4], [0, 6], [2, 8]]
    assert data.X_test is not None and data.X_test.tolist() == [[0, 4], [1, 4]]
    X = np.array([["a", "1"]] * 20000)
    X[0, :], X[-1, :] = "", "x"
    said = _refused(load_classification_file, tmp_path / "d.npz", X=X, y=np.arange(20000) % 2)
    assert "'a' at X[1, 0] is no number (the first word)" in said
    assert "'' at X[0, 0] is no number among the values of X[:, 0] and X[:, 1] (the first of 2)" in said  # fmt: skip


def test_a_column_or_y_of_missing_values_alone_is_told_so(tmp_path: Path) -> None:
    """A column all blank or 'NA' was told to fill every value with 'the mean of the others', or
    drop every example. It holds no numbers: drop the column; y of none holds no targets."""
    X = np.array([["1", ""], ["2", "NA"], ["3", ""]])
    said = _refused(load_regression_file, tmp_path / "d.npz", X=X, y=np.arange(3.0))
    assert said.endswith(
        "text, and X[:, 1] holds no numbers, only missing values ('' at X[0, 1] the first): drop "
        "that column, then convert it, numpy.asarray(X, dtype=float)"
    )
    np.savez(tmp_path / "fixed.npz", X=np.asarray(X[:, :1], dtype=float), y=np.arange(3.0))
    assert load_regression_file(tmp_path / "fixed.npz")[0].tolist() == [[1], [2], [3]]
    path = tmp_path / "y.npz"
    said = _refused(load_regression_file, path, X=np.ones((3, 1)), y=np.array(["", "NA", ""]))
    assert said == (
        f"{path}: y must hold real numbers, got dtype <U2: text, and every value of y is missing "
        "('' at y[0] the first of 3): it holds no targets; save the file with them"
    )


def test_x_test_of_another_width_is_refused_before_x_s_text(tmp_path: Path) -> None:
    """X of text beside X_test of 3 columns was told X's encoding with X_test's, whose
    numpy.concatenate raised ValueError; the widths apart are told first."""
    path = tmp_path / "d.npz"
    said = _refused(
        load_classification_file,
        path,
        X=np.array([["a", "1"], ["b", "2"], ["a", "3"], ["b", "4"]]),
        X_test=np.array([["1", "1", "q"], ["2", "1", "r"]]),
        y=np.array([0, 1, 0, 1]),
        y_test=np.array([0, 1]),
    )
    assert said == (
        f"{path}: X_test must have the 2 features of X, got 3; store the test examples with the "
        "same feature columns, in the same order"
    )


@pytest.mark.parametrize("load", [load_regression_file, load_classification_file])
def test_a_column_of_missing_values_beside_words_is_dropped_after_the_encoding(
    tmp_path: Path, load: object
) -> None:
    """'first, X[:, 0] ... drop that column', followed before the encoding as told, made its
    X[:, 1] raise IndexError (index 1 out of bounds): the code drops that column itself, after
    encoding, and names its columns as the file holds them. Followed, it loads."""
    X = np.array([["NA", "a"], ["NA", "b"], ["NA", "a"], ["NA", "b"]])
    y = np.array([0, 1, 0, 1])
    said = _refused(load, tmp_path / "d.npz", X=X, y=y)  # type: ignore[arg-type]
    assert said == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype <U2: text, and 'a' at X[0, 1] "
        "is no number (the first word), and X[:, 0] holds no numbers, only missing values ('NA' "
        "at X[0, 0] the first); encode X[:, 1] as numbers and drop X[:, 0], e.g. "
        "X = X.astype(object); X[:, 1] = numpy.unique(X[:, 1], return_inverse=True)[1]; "
        "X = numpy.delete(X, [0], 1); X = numpy.asarray(X, dtype=float) (its distinct values "
        "numbered 0..K-1, in an array of objects first: written into X's text, 10 could be cut to "
        "'1')"
    )
    np.savez(tmp_path / "fixed.npz", X=_followed(said, X=X)["X"], y=y)
    fixed = load(tmp_path / "fixed.npz")  # type: ignore[operator]
    fixed = fixed[0] if isinstance(fixed, tuple) else fixed.X
    assert fixed.tolist() == [[0.0], [1.0], [0.0], [1.0]]  # 'a', 'b'
    # beside X_test, a column of numbers kept, and a column dropped between two encoded
    X = np.array([[w, "", str(i), "v"] for i, w in enumerate("abcab")])
    X_test = np.array([["c", "", "7", "w"], ["a", "", "8", "v"]])
    file = {"X": X, "X_test": X_test, "y": np.arange(5) % 2, "y_test": np.array([0, 1])}
    said = _refused(load_classification_file, tmp_path / "d.npz", **file)
    assert "and X[:, 1] holds no numbers, only missing values ('' at X[0, 1] the first); encode X[:, 0], X[:, 3] as numbers and drop X[:, 1], e.g. both = " in said  # fmt: skip
    assert said.endswith(", or drop X[:, 0], X[:, 3] too")
    fixed = _followed(said, X=X, X_test=X_test)
    np.savez(tmp_path / "fixed.npz", **{**file, **fixed})
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X.tolist() == [[0, 0, 0], [1, 1, 0], [2, 2, 0], [0, 3, 0], [1, 4, 0]]
    assert data.X_test is not None and data.X_test.tolist() == [[2, 7, 1], [0, 8, 0]]


def test_words_in_x_beside_x_test_of_numbers_are_told_x_test_s_encoding(tmp_path: Path) -> None:
    """X's words beside X_test's floats were told numpy.concatenate([X, X_test]): it made the
    floats text ('0.0', '1.0') numbered apart from X's words, 'a'..'c' 2..4 in X and X_test's
    0, 1 as they were, trained silently. X_test holds numbers there: X is to be stored in its
    encoding, as X_test beside X of numbers is told. Followed, the file loads, one encoding."""
    X = np.array([[str(i), "abc"[i % 3]] for i in range(6)])
    X_test = np.array([[1.0, 0.0], [2.0, 1.0]])
    file = {"X": X, "X_test": X_test, "y": np.arange(6) % 2, "y_test": np.array([0, 1])}
    path = tmp_path / "d.npz"
    assert _refused(load_classification_file, path, **file) == (
        f"{path}: X must hold real numbers, got dtype <U1: text, and 'a' at X[0, 1] is no number "
        "(the first word); X_test holds numbers there: store that column in X_test's encoding "
        "(each value as the number it has in X_test), or drop that column from both"
    )
    codes = {"a": 0, "b": 1, "c": 2}  # X_test's encoding, known to whoever made it
    stored = np.array([[float(i), codes[w]] for i, w in X.tolist()])
    np.savez(tmp_path / "fixed.npz", **{**file, "X": stored})
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X[:, 1].tolist() == [0, 1, 2, 0, 1, 2]
    assert data.X_test is not None and data.X_test[:, 1].tolist() == [0, 1]


def test_a_column_x_holds_no_values_in_is_dropped_never_encoded_with_x_test_s(
    tmp_path: Path,
) -> None:
    """X[:, 0] all 'NA' beside X_test's words there was told both to encode and to drop, and,
    else, to drop X[:, 0] and X[:, 1], which left no features (refused next: shape (3, 0)). X
    holds nothing to learn from there: the column is dropped from both, the others encoded, with
    no drop that would leave none. Followed, the file loads."""
    X, X_test = np.array([["NA", "a"], ["NA", "b"], ["NA", "a"]]), np.array([["zz", "a"], ["yy", "b"]])  # fmt: skip
    file = {"X": X, "X_test": X_test, "y": np.array([0, 1, 0]), "y_test": np.array([0, 1])}
    said = _refused(load_classification_file, tmp_path / "d.npz", **file)
    assert said == (
        f"{tmp_path / 'd.npz'}: X must hold real numbers, got dtype <U2: text, and 'a' at X[0, 1] "
        "is no number (the first word), and X[:, 0] holds no numbers, only missing values ('NA' "
        "at X[0, 0] the first); encode X[:, 1] as numbers and drop X[:, 0], e.g. both = "
        "numpy.concatenate([X, X_test]).astype(object); both[:, 1] = numpy.unique(both[:, 1], "
        "return_inverse=True)[1]; both = numpy.delete(both, [0], 1); X, X_test = "
        "numpy.asarray(both[:len(X)], dtype=float), numpy.asarray(both[len(X):], dtype=float) "
        "(its distinct values numbered 0..K-1 in X and X_test together (numbered apart, a value "
        "one lacks shifts the other's numbers): its first len(X) rows are X's, the rest X_test's; "
        "in an array of objects first: written into X's text, 10 could be cut to '1')"
    )
    np.savez(tmp_path / "fixed.npz", **{**file, **_followed(said, X=X, X_test=X_test)})
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X.tolist() == [[0], [1], [0]]  # 'a', 'b'
    assert data.X_test is not None and data.X_test.tolist() == [[0], [1]]


def test_x_of_missing_values_alone_is_told_no_cast(tmp_path: Path) -> None:
    """X all 'NA' was told to save the file with features, 'then convert it', a cast of
    nothing to keep: the cast is offered where values are kept."""
    path = tmp_path / "d.npz"
    said = _refused(load_regression_file, path, X=np.array([["NA", ""], ["NA", "?"]]), y=np.arange(2.0))  # fmt: skip
    assert said == (
        f"{path}: X must hold real numbers, got dtype <U2: text, and X holds no numbers, only "
        "missing values ('NA' at X[0, 0] the first): no features; save the file with them"
    )


def test_missing_targets_among_words_are_dropped_never_filled(tmp_path: Path) -> None:
    """y of words with a missing value was told to fill it with a word (the most common): a
    target made up, trained on as observed. Targets missing are dropped with their X; followed,
    then encoded as told, the file loads with the targets it holds."""
    X, y = np.arange(5.0).reshape(-1, 1), np.array(["a", "b", "NA", "a", ""])
    path = tmp_path / "d.npz"
    said = _refused(load_regression_file, path, X=X, y=y)
    assert said == (
        f"{path}: y must hold real numbers, got dtype <U2: text, and 'a' at y[0] is no number (the "
        "first word); encode it as numbers, e.g. numpy.unique(y, return_inverse=True)[1], its "
        "distinct values numbered 0..K-1, or drop the examples whose y is no number; first, 'NA' "
        "at y[2] is no number among the words of y (the first of 2): missing values; drop those "
        "examples (and their X)"
    )
    keep = ~np.isin(y, ["NA", ""])  # dropped, as told, then encoded
    np.savez(tmp_path / "fixed.npz", X=X[keep], y=np.unique(y[keep], return_inverse=True)[1])
    X_fixed, y_fixed = load_regression_file(tmp_path / "fixed.npz")
    assert X_fixed[:, 0].tolist() == [0, 1, 3] and y_fixed[:, 0].tolist() == [0, 1, 0]


_DROP_DECIMAL = (
    "'1,5' at X_test[0, 1] (the only one) is a number written with a decimal comma: write "
    "X_test[:, 1] with '.' as the decimal point ('1.5'), e.g. X_test[:, 1] = "
    "numpy.char.replace(X_test[:, 1], ',', '.'); "
)


@pytest.mark.parametrize(
    ("X", "X_test", "before", "column", "kept", "test_kept"),
    [([["1", ""], ["2", "NA"], ["3", ""]], [["4", "5"], ["6", "7"]], "", 1, [[1], [2], [3]],
      [[4], [6]]),
     ([["NA", "1"], ["NA", "2"]], [["2", "1,5"], ["3", "4"]], _DROP_DECIMAL, 0, [[1], [2]],
      [[1.5], [4]])],
)  # fmt: skip
def test_a_column_of_missing_values_beside_x_test_s_text_numbers_converts_both(
    tmp_path: Path,
    X: list[list[str]],
    X_test: list[list[str]],
    before: str,
    column: int,
    kept: list[list[float]],
    test_kept: list[list[float]],
) -> None:
    """X[:, 1] all missing beside X_test of numbers as text was told to drop it from both, 'then
    convert it, numpy.asarray(X, dtype=float)': followed, X_test was still text, refused next.
    The cast offered converts both; followed, the file loads. X[:, 0] all missing was told "drop
    that column from X and X_test; ... e.g. X_test[:, 1] = numpy.char.replace(X_test[:, 1], ',',
    '.')": followed in that order, X_test had one column left and X_test[:, 1] raised
    IndexError. The replace comes before the drop, which shifts no column it names; followed in
    order, the file loads."""
    file = {"X": np.array(X), "X_test": np.array(X_test), "y": np.arange(len(X)) % 2,
            "y_test": np.array([0, 1])}  # fmt: skip
    path = tmp_path / "d.npz"
    said = _refused(load_classification_file, path, **file)
    first = X[0][column]
    assert said == (
        f"{path}: X must hold real numbers, got dtype <U2: text, and {before}X[:, {column}] holds "
        f"no numbers, only missing values ({first!r} at X[0, {column}] the first): drop that "
        "column from X and X_test, then convert them, X, X_test = numpy.asarray(X, dtype=float), "
        "numpy.asarray(X_test, dtype=float)"
    )
    scope = {"numpy": np, "X": file["X"], "X_test": file["X_test"].copy()}
    if before:
        exec(said.split("e.g. ")[1].split(";")[0], scope)  # the replace, then the drop, as told
    scope["X"], scope["X_test"] = (np.delete(scope[a], column, 1) for a in ("X", "X_test"))
    exec(said.split("then convert them, ")[1], scope)  # the column dropped as told, then the casts
    np.savez(tmp_path / "fixed.npz", **{**file, "X": scope["X"], "X_test": scope["X_test"]})
    data = load_classification_file(tmp_path / "fixed.npz")
    assert data.X.tolist() == kept
    assert data.X_test is not None and data.X_test.tolist() == test_kept
