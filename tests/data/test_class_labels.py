"""Class labels read from the user's ``.npz``: dtypes, shapes, numbering and the fixes the refusals give
(:mod:`linearnets.data.class_labels`, through :func:`linearnets.data.arrays.load_classification_file`)."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from linearnets.data.arrays import load_classification_file
from linearnets.errors import DatasetError, DataWarning

from .test_arrays import _write


def _refusal(path: Path) -> str:
    """Return the message of the DatasetError reading the classification file ``path`` raises."""
    with pytest.raises(DatasetError) as info:
        load_classification_file(path)
    return str(info.value)


def test_test_labels_past_the_training_classes_warn(tmp_path: Path) -> None:
    """Test labels numbered from 1 once trained a model with a class too many and scored 0 on
    it without a word; such classes stay allowed (they count as mistakes), with a warning."""
    from linearnets.errors import DataWarning

    np.savez(tmp_path / "d.npz", X=np.eye(3), y=np.array([0, 1, 2]), X_test=np.eye(3),
             y_test=np.array([1, 2, 3]))  # fmt: skip
    with pytest.warns(
        DataWarning,
        match=r"y_test holds labels that y never has \(3; y's go up to 2\): the model cannot "
        r"learn those classes, so their examples mostly count as mistakes; y_test's labels start "
        r"at 1, y's at 0: if y_test counts from 1, store y_test - 1$",
    ) as seen:
        arrays = load_classification_file(tmp_path / "d.npz")
    assert arrays.num_classes == 4
    assert seen[0].filename == __file__
    np.savez(tmp_path / "ok.npz", X=np.eye(3), y=np.array([0, 2, 2]), X_test=np.eye(3),
             y_test=np.array([1, 1, 0]))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a class missing from y below its largest label: silent
        assert load_classification_file(tmp_path / "ok.npz").num_classes == 3


@pytest.mark.parametrize(
    ("y", "y_test", "fix"),
    [
        ([0, 1, 2], [1, 2, 3], "store y_test - 1"),  # y_test counted from 1
        ([0, 1, 2, 1], [2, 3, 4, 2], "store y_test - 2"),
        ([1, 2, 3], [0, 1, 2], "store y - 1"),  # y counted from 1: its 0 was never learned
        ([3, 4, 5], [1, 2, 3], "store y - 3 and y_test - 1"),  # both from 0: no class left empty
        (["bag", "coat", "shirt"], ["bag", "coat", "dress", "shirt"], "number"),  # numbered apart
        (["a", "c", "e", "a"], ["b", "d", "a", "e"], "number"),
    ],
)
def test_the_fix_for_test_labels_outside_the_training_classes_followed_gives_them_ys_numbers(
    tmp_path: Path, y: list[object], y_test: list[object], fix: str
) -> None:
    """The fix said was "renumber them together (numpy.unique on both, with
    return_inverse=True)": numbering the stored numbers together changes none of them, so test
    labels counted from 1 stayed past y's. A shift is offered where the two hold the same classes
    counted from two starts, else numbering the original labels together, each followed here as
    written. Text labels are numbered apart first (each set's own numpy.unique), the slip the
    warning is for. y counted from 1 beside y_test from 0 was not warned at all."""
    originals = {"y": np.array(y), "y_test": np.array(y_test)}
    stored = {
        name: np.unique(labels, return_inverse=True)[1] if labels.dtype.kind == "U" else labels
        for name, labels in originals.items()
    }
    np.savez(tmp_path / "d.npz", X=np.ones((len(y), 2)), y=stored["y"],
             X_test=np.ones((len(y_test), 2)), y_test=stored["y_test"])  # fmt: skip
    with pytest.warns(DataWarning) as seen:  # y from 3 leaves class 0 empty too: warned apart
        load_classification_file(tmp_path / "d.npz")
    said = next(str(w.message) for w in seen if "labels that y never has" in str(w.message))
    shift = re.search(r"store ((y_test|y) - \d+)(?: and (y_test - \d+))?$", said)
    with_fix = re.search(r"number their original labels with (numpy\.unique\(.+?\)\[1\])", said)
    fixed = dict(stored)
    if shift is not None:  # numbers counted from another start: the stored ones shifted
        assert shift[0] == fix
        fixed[shift[2]] = eval(shift[1], stored)
        if shift[3] is not None:
            fixed["y_test"] = eval(shift[3], stored)
    else:
        assert with_fix is not None and fix == "number", said
        numbers = eval(with_fix[1], {"numpy": np, **originals})
        fixed = {"y": numbers[: len(y)], "y_test": numbers[len(y) :]}
    np.savez(tmp_path / "fixed.npz", X=np.ones((len(y), 2)), y=fixed["y"],
             X_test=np.ones((len(y_test), 2)), y_test=fixed["y_test"])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        load_classification_file(tmp_path / "fixed.npz")  # every test label within y's now
    if shift is None:  # each original label has one number in both sets
        labels = [*originals["y"], *originals["y_test"]]
        pairs = set(zip(labels, [*fixed["y"], *fixed["y_test"]], strict=True))
        assert len(pairs) == len(set(labels))
    else:  # the same classes, one number each
        assert sorted(set(fixed["y"].tolist())) == sorted(set(fixed["y_test"].tolist()))


@pytest.mark.parametrize(
    ("y", "y_test"),
    [
        (list(range(10)), [5, 6, 7, 8, 9, 10]),  # not "counted from 5": lacks 0..4, has 10
        ([0, 1, 2, 3], [2, 4]),
        ([1, 2, 3], [0, 1, 2, 3, 4]),
        (list(range(10)), [1, 10]),  # ends of one width, not one set of classes
        (list(range(10)), [0, 5, 10]),
    ],
)
def test_no_shift_is_offered_where_the_two_sets_differ_in_classes(
    tmp_path: Path, y: list[int], y_test: list[int]
) -> None:
    """'store y_test - 5' was offered for y_test 5..10 beside y 0..9: it silenced the warning by
    relabelling every test example. A shift is offered only where it gives y_test y's very
    classes, not where only the ends of the two ranges agree."""
    np.savez(tmp_path / "d.npz", X=np.ones((len(y), 2)), y=np.array(y),
             X_test=np.ones((len(y_test), 2)), y_test=np.array(y_test))  # fmt: skip
    with pytest.warns(DataWarning, match="y_test holds labels that y never has") as seen:
        load_classification_file(tmp_path / "d.npz")
    assert "store" not in str(seen[0].message)
    assert "number their original labels with numpy.unique(" in str(seen[0].message)


def test_a_test_label_in_a_gap_of_ys_is_not_warned(tmp_path: Path) -> None:
    """A class inside y's range that only the test set has is a small split's chance."""
    np.savez(tmp_path / "d.npz", X=np.ones((3, 2)), y=np.array([0, 2, 2]), X_test=np.ones((1, 2)),
             y_test=np.array([1]))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        assert load_classification_file(tmp_path / "d.npz").num_classes == 3


@pytest.mark.parametrize(
    ("y", "y_test", "said"),
    [
        (
            [1, 2, 3, 1],
            None,
            r"no label is class 0 \(y's go up to 3\): the model gets an output for "
            r"each, which it cannot learn; y's labels start at 1: if they are numbered from 1, store "
            r"y - 1 \(and y_test likewise\)$",
        ),
        (
            [2, 3, 2, 3],
            [3, 2, 2, 2],
            r"no label is classes 0, 1 \(y's go up to 3\): .*numbered from 2, "
            r"store y - 2",
        ),
        (
            [0, 2, 5, 0],
            [5, 0, 0, 2],
            r"no label is classes 1, 3, 4 \(y's go up to 5\): the model gets "
            r"an output for each, which it cannot learn; renumber the labels 0 \.\. C-1 "
            r"\(numpy\.unique\(numpy\.concatenate\(\[y, y_test\]\), return_inverse=True\)\[1\], both "
            r"together \(numbered apart, a class one lacks shifts the other's numbers\): its first "
            r"len\(y\) numbers are y's, the rest y_test's\)$",
        ),
    ],
    ids=["from-1", "from-2", "gaps"],
)
def test_classes_no_label_has_warn(
    tmp_path: Path, y: list[int], y_test: list[int] | None, said: str
) -> None:
    """Labels numbered from 1 trained a model with an empty class 0 without a word."""
    from linearnets.errors import DataWarning

    test = {} if y_test is None else {"X_test": np.eye(4), "y_test": np.array(y_test)}
    np.savez(tmp_path / "d.npz", X=np.eye(4), y=np.array(y), **test)
    with pytest.warns(DataWarning, match=rf"^{re.escape(str(tmp_path / 'd.npz'))}: {said}") as seen:
        arrays = load_classification_file(tmp_path / "d.npz")
    assert len(seen) == 1 and arrays.num_classes == max(y) + 1
    assert arrays.y.tolist() == y  # read as they are


def _warned(path: Path, y: np.ndarray, y_test: np.ndarray) -> list[str]:
    """Save ``y`` and ``y_test`` (one feature each) at ``path``, load it, and return the
    DataWarnings said."""
    np.savez(path, X=np.ones((len(y), 1)), y=y, X_test=np.ones((len(y_test), 1)), y_test=y_test)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always", DataWarning)
        load_classification_file(path)
    return [str(w.message) for w in seen if issubclass(w.category, DataWarning)]


@pytest.mark.parametrize(
    ("y", "y_test", "unseen", "fix"),
    [
        ([3, 4, 5], [1, 2, 3], "1, 2; y's run from 3 to 5", "y_test's labels start at 1, y's "
         "at 3: if each counts from its first, store y - 3 and y_test - 1"),
        ([1, 2, 3], [2, 3, 4], "4; y's run from 1 to 3", "y_test's labels start at 2, y's at 1: "
         "if each counts from its first, store y - 1 and y_test - 2"),
    ],
)  # fmt: skip
def test_the_unseen_labels_and_the_empty_class_warnings_give_one_fix(
    tmp_path: Path, y: list[int], y_test: list[int], unseen: str, fix: str
) -> None:
    """y 3, 4, 5 beside y_test 1, 2, 3 was told to shift both (test labels y never has) and to
    renumber both together with numpy.unique (class 0 empty): followed, the second still warned
    of unseen labels. y 1, 2, 3 beside y_test 2, 3, 4: "store y - 1 and y_test - 2", and "store
    y - 1 (and y_test likewise)", which left 3 unseen. Both warnings give the one fix now;
    followed, no warning is left."""
    path = tmp_path / "d.npz"
    assert _warned(path, np.array(y), np.array(y_test)) == [
        f"{path}: y_test holds labels that y never has ({unseen}): the model cannot learn those "
        f"classes, so their examples mostly count as mistakes; {fix}",
        f"{path}: no label is class 0 (y's go up to {max(y)}): the model gets an output for "
        f"each, which it cannot learn; {fix}",
    ]
    shift = re.fullmatch(r".*store y - (\d+) and y_test - (\d+)", fix)
    assert shift is not None
    fixed_y = np.array(y) - int(shift[1])
    fixed_test = np.array(y_test) - int(shift[2])
    assert _warned(tmp_path / "fixed.npz", fixed_y, fixed_test) == []


@pytest.mark.parametrize(
    ("y", "y_test", "said"),
    [
        ([2, 4, 6], [1, 3, 5], ["1; y's run from 2 to 6", "class 0 (y's go up to 6)"]),
        ([0, 2, 4], [1, 3, 5], ["5; y's go up to 4"]),  # every class has a label: no empty one
    ],
)
def test_no_shift_is_offered_where_the_shifted_labels_leave_classes_empty(
    tmp_path: Path, y: list[int], y_test: list[int], said: list[str]
) -> None:
    """y 2, 4, 6 beside y_test 1, 3, 5, the same classes numbered apart with gaps, was told "store
    y - 2 and y_test - 1": followed, "no label is classes 1, 3 ... renumber the labels". A shift
    is offered only where it gives 0..C-1; else the original labels numbered together, which
    followed (the two sets' classes, coat, dress and shirt, numbered apart) leaves no warning."""
    path = tmp_path / "d.npz"
    fix = (
        "if the two sets were numbered apart, number their original labels with numpy.unique("
        "numpy.concatenate([y, y_test]), return_inverse=True)[1], both together (numbered apart, "
        "a class one lacks shifts the other's numbers): its first len(y) numbers are y's, the "
        "rest y_test's"
    )
    expected = [
        f"{path}: y_test holds labels that y never has ({said[0]}): the model cannot learn those "
        f"classes, so their examples mostly count as mistakes; {fix}"
    ]
    if len(said) > 1:
        expected.append(
            f"{path}: no label is {said[1]}: the model gets an output for each, which it cannot "
            f"learn; {fix}"
        )
    assert _warned(path, np.array(y), np.array(y_test)) == expected
    call = re.search(r"with (numpy\.unique\(.+?\)\[1\])", fix)
    assert call is not None
    originals = {"y": np.array(["coat", "dress", "shirt"]), "y_test": np.array(["coat", "dress", "shirt"])}  # fmt: skip
    numbers = eval(call[1], {"numpy": np, **originals})
    assert _warned(tmp_path / "fixed.npz", numbers[:3], numbers[3:]) == []


def test_duration_labels_are_refused(tmp_path: Path) -> None:
    """numpy counts timedelta64 as an integer type; a class label it is not."""
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([0, 1]).astype("timedelta64[s]"))
    with pytest.raises(
        DatasetError, match=r"y must hold integer class labels, got dtype timedelta64"
    ):
        load_classification_file(tmp_path / "d.npz")


def test_bool_labels_are_refused(tmp_path: Path) -> None:
    """Features may be bool; labels are class indices, so integers (or whole-number floats)."""
    np.savez(tmp_path / "d.npz", X=np.ones((2, 2)), y=np.array([False, True]))
    with pytest.raises(
        DatasetError,
        match=r"y must hold integer class labels, got dtype bool; use y\.astype\(int\)",
    ):
        load_classification_file(tmp_path / "d.npz")


@pytest.mark.parametrize(
    "y",
    [np.array([2, 0, 1], dtype=np.uint8), np.array([2, 0, 1], dtype=np.uint64), np.array([2.0, 0.0, 1.0])],
    ids=["uint8", "uint64", "whole-number floats"],
)  # fmt: skip
def test_unsigned_and_whole_number_float_labels_are_int64_class_indices(
    tmp_path: Path, y: np.ndarray
) -> None:
    arrays = load_classification_file(
        _write(tmp_path, X=np.eye(3), y=y, X_test=np.eye(3), y_test=y)
    )
    for labels in (arrays.y, arrays.y_test):
        assert labels is not None and labels.dtype == torch.int64 and labels.tolist() == [2, 0, 1]
    assert arrays.num_classes == 3


def test_half_precision_labels_are_read_without_a_numpy_warning(tmp_path: Path) -> None:
    """float16 labels are whole numbers up to 65504: comparing them with the class limit (100000)
    cast the limit to float16 and numpy warned "overflow encountered in cast" on a good file."""
    y = np.array([2, 0, 1], dtype=np.float16)
    path = _write(tmp_path, X=np.eye(3), y=y, X_test=np.eye(3), y_test=y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        arrays = load_classification_file(path)
    assert arrays.y.tolist() == [2, 0, 1] and arrays.num_classes == 3


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_non_finite_float_labels_are_refused_without_a_numpy_warning(
    tmp_path: Path, bad: float
) -> None:
    path = _write(tmp_path, X=np.ones((2, 2)), y=np.array([0.0, bad]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # np.mod(inf, 1) warns "invalid value" before the check
        with pytest.raises(
            DatasetError,
            match=rf"y must hold integer class labels, got {re.escape(repr(bad))} at index 1 \(the "
            r"only one\); fix or drop that example: a cast to int would change it silently",
        ):
            load_classification_file(path)


def test_fractional_labels_are_named_by_value_not_blamed_on_their_dtype(tmp_path: Path) -> None:
    """y.astype(int) would truncate 0.5 to class 0 silently: the message names the value instead."""
    path = _write(tmp_path, X=np.ones((3, 2)), y=np.array([0.0, 0.5, 1.5], dtype=np.float32))
    with pytest.raises(DatasetError, match=r"y must hold integer class labels, got 0\.5 at index 1 \(2 such values\)"):  # fmt: skip
        load_classification_file(path)


def test_a_large_label_is_shown_as_received(tmp_path: Path) -> None:
    path = _write(tmp_path, X=np.ones((2, 2)), y=np.array([0, 1234567]))
    with pytest.raises(DatasetError, match=r"got the label 1234567 in y"):
        load_classification_file(path)


def test_bad_negative_labels_are_named_by_index_count_and_the_smallest(tmp_path: Path) -> None:
    """A negative label was told only by the smallest: where it is, and how many, are told too,
    as a NaN label's are."""
    path = _write(tmp_path, X=np.ones((4, 2)), y=np.array([0, -1, -3, 2]))
    assert _refusal(path) == (
        f"{path}: y must hold labels >= 0, got -1 at index 1 (2 negative labels, the smallest "
        "-3); relabel them as class indices 0..C-1, e.g. with numpy.unique(y, return_inverse=True)[1]"
    )
    path = _write(tmp_path, X=np.ones((4, 2)), y=np.array([0, 1, -2, 2]))
    assert _refusal(path) == (
        f"{path}: y must hold labels >= 0, got -2 at index 2 (the only one); relabel them as "
        "class indices 0..C-1, e.g. with numpy.unique(y, return_inverse=True)[1]"
    )


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"y": np.array([0, 1, -1, 0, -1])},
         "y must hold labels >= 0, got -1 at index 2 (2 negative labels); -1 usually marks an "
         "unlabelled example: drop those examples, e.g. keep = y >= 0; X, y = X[keep], y[keep]; "
         "if -1 is a class, relabel them as class indices 0..C-1 (-1 becomes class 0, every other "
         "class one more), e.g. with numpy.unique(y, return_inverse=True)[1]"),
        ({"y": np.array([0, 1, 1]), "X_test": np.ones((3, 2)), "y_test": np.array([0, -1.0, 1])},
         "y_test must hold labels >= 0, got -1.0 at index 1 (the only one); -1 usually marks an "
         "unlabelled example: drop that example, e.g. keep = y_test >= 0; X_test, y_test = "
         "X_test[keep], y_test[keep]; if -1 is a class, relabel them as class indices 0..C-1 "
         "(-1 becomes class 0, every other class one more), e.g. with numpy.unique(numpy."
         "concatenate([y, y_test]), return_inverse=True)[1], both together (numbered apart, a "
         "class one lacks shifts the other's numbers): its first len(y) numbers are y's, the "
         "rest y_test's"),
    ],
)  # fmt: skip
def test_bad_labels_of_minus_one_are_told_to_drop_those_examples(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    """-1, a common mark of an unlabelled example, was told to be renumbered with numpy.unique,
    which would make it class 0 and shift every class: those examples are told to be dropped,
    and so dropped the file loads with its classes as they were."""
    X = np.ones((len(arrays["y"]), 2))
    path = _write(tmp_path, X=X, **arrays)
    assert _refusal(path) == f"{path}: {message}"
    name = "y_test" if "y_test" in arrays else "y"
    rows = "X_test" if name == "y_test" else "X"
    kept = {"X": X, **arrays}
    keep = kept[name] >= 0
    kept[rows], kept[name] = kept[rows][keep], kept[name][keep]
    loaded = load_classification_file(_write(tmp_path, **kept))
    assert loaded.num_classes == 2


@pytest.mark.parametrize("test_set", [False, True])
def test_bad_labels_of_minus_one_and_one_are_told_to_renumber_not_to_drop(
    tmp_path: Path, test_set: bool
) -> None:
    """-1/+1 labels (two classes, SVM-style) were told that -1 marks an unlabelled example, to
    drop: half the data, one class left. With no 0 among them -1 is a class: renumbering (run as
    advised, the oracle) numbers -1 as 0 and 1 as 1, and the file loads with both classes."""
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = np.where(X[:, 0] > 0, 1, -1)
    arrays = {"X": X, "y": y}
    if test_set:
        arrays |= {"X_test": X[:10], "y_test": y[:10]}
    path = _write(tmp_path, **arrays)
    first = int(np.argmax(y < 0))
    advice = (
        "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1]"
        if test_set
        else "numpy.unique(y, return_inverse=True)[1]"
    )
    message = _refusal(path)
    assert message.startswith(
        f"{path}: y must hold labels >= 0, got -1 at index {first} ({int((y < 0).sum())} negative "
        f"labels); relabel them as class indices 0..C-1, e.g. with {advice}"
    )
    assert "unlabelled" not in message and "drop" not in message
    if test_set:
        both = eval(advice, {"numpy": np, "y": y, "y_test": y[:10]})
        arrays["y"], arrays["y_test"] = both[: len(y)], both[len(y) :]
    else:
        arrays["y"] = eval(advice, {"numpy": np, "y": y})
    assert np.array_equal(arrays["y"], (y > 0).astype(int))  # -1 -> 0, 1 -> 1
    loaded = load_classification_file(_write(tmp_path, **arrays))
    assert loaded.num_classes == 2


def test_bad_labels_of_minus_one_beside_zero_renumbered_as_advised_keep_every_class(
    tmp_path: Path,
) -> None:
    """-1 beside 0 and 1 is told to drop, or, if a class, to renumber: run as said (the oracle),
    -1 becomes class 0 and the file loads with three classes."""
    y = np.array([0, 1, -1, 0, -1])
    path = _write(tmp_path, X=np.ones((5, 2)), y=y)
    advice = "numpy.unique(y, return_inverse=True)[1]"
    assert _refusal(path).endswith(f"if -1 is a class, relabel them as class indices 0..C-1 "
                                   f"(-1 becomes class 0, every other class one more), e.g. with {advice}")  # fmt: skip
    renumbered = eval(advice, {"numpy": np, "y": y})
    assert renumbered.tolist() == [1, 2, 0, 1, 0]
    loaded = load_classification_file(_write(tmp_path, X=np.ones((5, 2)), y=renumbered))
    assert loaded.num_classes == 3


def test_too_many_classes_names_the_largest_label_and_the_distinct_count(tmp_path: Path) -> None:
    y = np.array([0, 250_000, 250_000, 5, 5])  # 3 distinct labels among 5
    path = _write(tmp_path, X=np.ones((5, 2)), y=y)
    assert _refusal(path) == (
        f"{path}: labels must be class indices 0..C-1 with C at most 100000, got the label 250000 "
        "in y among 3 distinct labels; relabel them as 0..C-1, e.g. with "
        "numpy.unique(y, return_inverse=True)[1]"
    )


@pytest.mark.parametrize("split", ["y-then-y_test", "y_test-then-y"])
def test_classes_counted_in_y_and_y_test_together_are_not_told_to_renumber(
    tmp_path: Path, split: str
) -> None:
    """y 0..59999 and y_test 60000..119999: 60000 distinct labels each, 120000 together, as the
    advised numbering numbers them (the oracle); it was told to renumber, and renumbered, the
    same refusal came back word for word."""
    low, high = np.arange(60_000), np.arange(60_000, 120_000)
    y, y_test = (low, high) if split == "y-then-y_test" else (high, low)
    both = np.unique(np.concatenate([y, y_test]), return_inverse=True)[1]
    assert both.max() + 1 == 120_000  # renumbered together: still more than 100000 classes
    X = np.ones((60_000, 1), np.float32)
    path = _write(tmp_path, X=X, y=y, X_test=X, y_test=y_test)
    name, other = ("y_test", "y") if split == "y-then-y_test" else ("y", "y_test")
    assert _refusal(path).endswith(
        f"got the label 119999 in {name} among 120000 distinct labels in {name} and {other} "
        "together; merge classes, or keep the examples of at most 100000 of them: renumbering "
        "gives as many classes"
    )


def test_too_many_distinct_classes_are_not_told_to_renumber(tmp_path: Path) -> None:
    """Labels 0..100000 are class indices already: numpy.unique's renumbering (the oracle) gives
    them back as they are, which the same rule refuses; the fix is fewer classes."""
    y = np.arange(100_001)
    assert np.array_equal(np.unique(y, return_inverse=True)[1], y)  # renumbering changes nothing
    path = _write(tmp_path, X=np.ones((100_001, 1), np.float32), y=y)
    assert _refusal(path) == (
        f"{path}: labels must be class indices 0..C-1 with C at most 100000, got the label 100000 "
        "in y among 100001 distinct labels; merge classes, or keep the examples of at most 100000 "
        "of them: renumbering gives as many classes"
    )


@pytest.mark.parametrize(
    ("y", "y_test"),
    [
        (np.zeros(6, int), None),
        (np.ones(6, int), None),  # once trained, at "test acc 1.000"
        (np.full(6, 4), None),
        (np.zeros(6, int), np.array([0, 1])),  # another class in the test set only: none learned
    ],
    ids=["all-0", "all-1", "all-4", "second-class-only-in-y_test"],
)
def test_labels_of_one_class_are_refused_whichever_it_is(
    tmp_path: Path, y: np.ndarray, y_test: np.ndarray | None
) -> None:
    """The rule is about distinct classes; only an all-0 y was refused (C = largest label + 1)."""
    tests = {} if y_test is None else {"X_test": np.ones((len(y_test), 2)), "y_test": y_test}
    path = _write(tmp_path, X=np.ones((6, 2)), y=y, **tests)
    assert len(np.unique(y)) == 1  # the oracle: one distinct label
    assert _refusal(path) == (
        f"{path}: y must hold at least 2 classes (2 distinct labels) to learn to tell them apart, "
        f"got only class {y[0]} in its 6 examples; add examples of the other classes"
    )
    # two distinct labels, whichever: accepted, C the largest + 1
    with pytest.warns(DataWarning, match=r"no label is classes 0, 2 \(y's go up to 3\)"):
        assert load_classification_file(_write(tmp_path, X=np.ones((2, 2)), y=np.array([3, 1]))).num_classes == 4  # fmt: skip


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"y": np.array([[0, 1, 1]])},
         "y must be a 1-d array of 3 labels, got shape (1, 3); flatten it, e.g. y.reshape(-1)"),
        ({"y": np.array([0, 1])},
         "y must be a 1-d array of 3 labels, got shape (2,); store one label per row of X, in the "
         "same order"),
        ({"y": np.array([0, 1, 1]), "X_test": np.ones((2, 2)), "y_test": np.array([[0, 1]])},
         "y_test must be a 1-d array of 2 labels, got shape (1, 2); flatten it, e.g. "
         "y_test.reshape(-1)"),
        ({"y": np.array([0, -2, 1])},
         "y must hold labels >= 0, got -2 at index 1 (the only one); relabel them as class "
         "indices 0..C-1, e.g. with numpy.unique(y, return_inverse=True)[1]"),
        ({"y": np.array([0, 1, 1]), "X_test": np.ones((2, 2)), "y_test": np.array([-2, 1])},
         "y_test must hold labels >= 0, got -2 at index 0 (the only one); relabel them as class "
         "indices 0..C-1, e.g. with "
         "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1], both together "
         "(numbered apart, a class one lacks shifts the other's numbers): its first len(y) numbers "
         "are y's, the rest y_test's"),
        ({"y": np.array([0, -3, 1]), "X_test": np.ones((2, 2)), "y_test": np.array([0, 1])},
         "y must hold labels >= 0, got -3 at index 1 (the only one); relabel them as class "
         "indices 0..C-1, e.g. with "
         "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1], both together "
         "(numbered apart, a class one lacks shifts the other's numbers): its first len(y) numbers "
         "are y's, the rest y_test's"),
        ({"y": np.array(["cat", "dog", "cat"]), "X_test": np.ones((2, 2)),
          "y_test": np.array(["dog", "dog"])},
         "y must hold integer class labels, got dtype <U3; store the labels as integers 0..C-1, "
         "numbered e.g. with numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1], "
         "both together (numbered apart, a class one lacks shifts the other's numbers): its first "
         "len(y) numbers are y's, the rest y_test's"),
        # keras' to_categorical(y): told to store one label per row, as it does
        ({"y": np.eye(4, dtype=np.float32)[[0, 3, 1]]},
         "y must be a 1-d array of 3 labels, got shape (3, 4); its rows look like one-hot labels "
         "(or class probabilities), 4 columns, one per class: store each row's class, "
         "y.argmax(axis=1)"),
        ({"y": np.array([0, 1, 1]), "X_test": np.ones((2, 2)),
          "y_test": np.array([[0.2, 0.8], [0.9, 0.1]])},
         "y_test must be a 1-d array of 2 labels, got shape (2, 2); its rows look like one-hot "
         "labels (or class probabilities), 2 columns, one per class: store each row's class, "
         "y_test.argmax(axis=1)"),
        ({"y": np.array([[0, 1], [1, 1], [2, 0]])},  # two label columns: no such fix
         "y must be a 1-d array of 3 labels, got shape (3, 2); store one label per row of X, in "
         "the same order"),
    ],
    ids=["row", "too-few", "y_test-row", "negative", "y_test-negative", "negative-beside-y_test",
         "strings-beside-y_test", "one-hot", "y_test-probabilities", "two-columns"],
)  # fmt: skip
def test_label_refusals_give_the_fix(
    tmp_path: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    path = _write(tmp_path, X=np.ones((3, 2)), **arrays)
    assert _refusal(path) == f"{path}: {message}"


def test_the_fix_a_label_refusal_gives_works(tmp_path: Path) -> None:
    """numpy's own calls, as the messages give them, make labels the loader takes."""
    labels = np.array([2, 0, 1, 2])
    one_hot = np.eye(3)[labels]  # (4, 3), as keras' to_categorical gives them
    path = _write(tmp_path, X=np.ones((4, 2)), y=one_hot.argmax(axis=1))
    assert load_classification_file(path).y.tolist() == labels.tolist()
    y = np.array([[-1], [5], [5], [-1]])
    flat = y.reshape(-1)
    _, relabelled = np.unique(flat, return_inverse=True)
    path = _write(tmp_path, X=np.ones((4, 2)), y=relabelled)
    assert load_classification_file(path).y.tolist() == [0, 1, 1, 0]


def test_the_renumbering_given_beside_a_test_set_keeps_its_labels_meaning_the_same(
    tmp_path: Path,
) -> None:
    """Labels 0, 2, 5 were told to renumber with numpy.unique(y, ...) alone: followed, y's 5 became
    2 while y_test's 2 stayed 2, accepted without a word and scored against the wrong class."""
    y, y_test = np.array([0, 2, 5, 0, 2, 5]), np.array([0, 2, 2, 0])
    path = _write(tmp_path, X=np.eye(6), y=y, X_test=np.eye(6)[:4], y_test=y_test)
    with pytest.warns(DataWarning) as seen:
        load_classification_file(path)
    said = str(seen[0].message)
    call = "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1]"
    assert call in said
    # the call as the warning gives it, split back at len(y)
    numbers = eval(call, {"numpy": np, "y": y, "y_test": y_test})
    path = _write(tmp_path, X=np.eye(6), y=numbers[: len(y)], X_test=np.eye(6)[:4],
                  y_test=numbers[len(y) :])  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no empty class left
        arrays = load_classification_file(path)
    # the oracle: each class keeps one number across the two sets
    names = dict(zip(arrays.y.tolist(), y.tolist(), strict=True))
    assert [names[k] for k in arrays.y_test.tolist()] == y_test.tolist()  # type: ignore[union-attr]
    assert arrays.num_classes == 3


@pytest.mark.parametrize(
    ("y", "said"),
    [
        (np.array([np.nan] * 3), "got nan in all 3 of its values: it holds no labels; save the "
         "file with them"),
        (np.array(["", "NA", "#N/A"]), "got dtype <U4: text, and every value of y is missing ('' "
         "at y[0] the first of 3): it holds no labels; save the file with them"),
        (np.array([b"?", b"", b"null"]), "got dtype |S4: text, and every value of y is missing "
         "('?' at y[0] the first of 3): it holds no labels; save the file with them"),
    ],
)  # fmt: skip
def test_labels_that_are_all_missing_are_refused_as_none(
    tmp_path: Path, y: np.ndarray, said: str
) -> None:
    """They were told to fix or drop those examples, or to number them with numpy.unique: dropped,
    no example is left; numbered, every example is of one class, '' or NaN."""
    path = _write(tmp_path, X=np.ones((3, 2)), y=y)
    assert _refusal(path) == f"{path}: y must hold integer class labels, {said}"


def test_text_labels_with_missing_ones_are_refused_with_a_fix_that_drops_them_first(
    tmp_path: Path,
) -> None:
    """They were told to number y with numpy.unique: followed, '' became a class of its own, class
    0, trained as one. The fix drops those examples first, y_test's too, then numbers the rest."""
    X, y = np.arange(10.0).reshape(5, 2), np.array(["cat", "", "dog", "cat", "NA"])
    X_test, y_test = np.ones((3, 2)), np.array(["dog", "cat", " "])
    path = _write(tmp_path, X=X, y=y, X_test=X_test, y_test=y_test)
    said = _refusal(path)
    both = "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1]"
    assert said == (
        f"{path}: y must hold integer class labels, got dtype <U3: text, and y[1] = '' is a "
        "missing label (2 of 5) and y_test[2] = ' ' is a missing label (1 of 3): numbered, the "
        "missing labels would be a class of their own; drop those examples (their rows of X and "
        "X_test too), then store the labels as integers 0..C-1, numbered e.g. with "
        f"{both}, both together (numbered apart, a class one lacks shifts the other's numbers): "
        "its first len(y) numbers are y's, the rest y_test's"
    )
    keep, keep_test = ~np.isin(y, ["", "NA"]), y_test != " "
    X, y, X_test, y_test = X[keep], y[keep], X_test[keep_test], y_test[keep_test]
    numbers = eval(both, {"numpy": np, "y": y, "y_test": y_test})
    path = _write(tmp_path, X=X, y=numbers[:3], X_test=X_test, y_test=numbers[3:])
    arrays = load_classification_file(path)
    assert arrays.num_classes == 2  # cat and dog, no class of missing labels
    assert arrays.y.tolist() == [0, 1, 0] and arrays.y_test.tolist() == [1, 0]  # type: ignore[union-attr]


def test_missing_text_labels_in_y_test_alone_are_named_with_ys(tmp_path: Path) -> None:
    """y's own fix numbers y_test with it: its missing label would be numbered a class too."""
    y, y_test = np.array(["cat", "dog", "cat"]), np.array([b"dog", b"?"])
    path = _write(tmp_path, X=np.ones((3, 2)), y=y, X_test=np.ones((2, 2)), y_test=y_test)
    assert _refusal(path).startswith(
        f"{path}: y must hold integer class labels, got dtype <U3: text, and y_test[1] = '?' is a "
        "missing label (1 of 2): numbered, the missing labels would be a class of their own; drop "
        "those examples (their rows of X_test too), then store the labels as integers 0..C-1"
    )


@pytest.mark.parametrize("kind", ["U", "S"])
def test_whole_numbers_written_as_text_are_refused_with_their_cast(
    tmp_path: Path, kind: str
) -> None:
    """They were told to number them with numpy.unique, which numbers '10' before '2': followed,
    class 10 became 1 and class 2 became 2, the classes' names lost. Their cast keeps them."""
    y = np.array(["2", "10", "0", " 1"]).astype(kind)
    path = _write(tmp_path, X=np.ones((4, 2)), y=y)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype {y.dtype}: whole numbers written as "
        "text; store them as integers, y.astype(int)"
    )
    path = _write(tmp_path, X=np.ones((4, 2)), y=eval("y.astype(int)", {"y": y}))
    with pytest.warns(DataWarning):  # classes 3..9 have no label: warned, as for any labels
        arrays = load_classification_file(path)
    assert arrays.y.tolist() == [2, 10, 0, 1]


@pytest.mark.parametrize("nan", ["nan", "NaN"])
def test_nan_written_as_a_text_label_is_a_missing_label(tmp_path: Path, nan: str) -> None:
    """pandas writes a missing label as 'nan' (s.to_numpy(dtype=str)): it was no missing label
    here, though the CSV reading counts it one, so y was told to be numbered with numpy.unique,
    which made 'nan' a class of its own. It is dropped first, as '' and 'NA' are."""
    X, y = np.arange(8.0).reshape(4, 2), np.array(["cat", nan, "dog", "cat"])
    path = _write(tmp_path, X=X, y=y)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype <U3: text, and y[1] = {nan!r} is a "
        "missing label (1 of 4): numbered, the missing labels would be a class of their own; drop "
        "those examples (their rows of X too), then store the labels as integers 0..C-1, "
        "numbered e.g. with numpy.unique(y, return_inverse=True)[1]"
    )
    keep = y != nan
    X, y = X[keep], y[keep]
    path = _write(
        tmp_path, X=X, y=eval("numpy.unique(y, return_inverse=True)[1]", {"numpy": np, "y": y})
    )
    arrays = load_classification_file(path)
    assert arrays.num_classes == 2 and arrays.y.tolist() == [0, 1, 0]  # cat, dog, cat


@pytest.mark.parametrize(
    ("y", "cast", "said", "kept"),
    [
        (["1", "2", "10", ""], "y.astype(int)", ", and y[3] = '' is a missing label (1 of 4); "
         "drop those examples (their rows of X too), then", [1, 2, 10]),
        (["1.0", "2.0", "10.0", "0.0"], "y.astype(float).astype(int)", ";", [1, 2, 10, 0]),
        (["1.0", "NA", "10", "2e0"], "y.astype(float).astype(int)", ", and y[1] = 'NA' is a "
         "missing label (1 of 4); drop those examples (their rows of X too), then", [1, 10, 2]),
    ],
)  # fmt: skip
def test_whole_numbers_written_as_text_keep_their_meaning_beside_missing_labels_or_decimals(
    tmp_path: Path, y: list[str], cast: str, said: str, kept: list[int]
) -> None:
    """'1', '2', '10' beside a missing label, or written '1.0' (which astype(int) refuses), were
    told to be numbered with numpy.unique: followed, '10' became class 1 and '2' class 2, the
    classes' names lost. They are told the cast that keeps them, once the missing are dropped."""
    labels = np.array(y)
    path = _write(tmp_path, X=np.ones((4, 2)), y=labels)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype {labels.dtype}: whole numbers "
        f"written as text{said} store them as integers, {cast}"
    )
    labels = labels[~np.isin(labels, ["", "NA"])]  # dropped, as told
    path = _write(tmp_path, X=np.ones((len(labels), 2)), y=eval(cast, {"y": labels}))
    with pytest.warns(DataWarning):  # classes 3..9 have no label: warned, as for any labels
        arrays = load_classification_file(path)
    assert arrays.y.tolist() == kept


def test_whole_numbers_as_text_in_y_test_alone_are_told_y_tests_cast_alone(tmp_path: Path) -> None:
    """y_test's own refusal said "store them as integers, y_test.astype(int), and y_test's alike":
    y, already integers, needs nothing."""
    y_test = np.array(["0", "1", "2"])
    path = _write(tmp_path, X=np.ones((3, 2)), y=np.array([0, 1, 2]), X_test=np.ones((3, 2)),
                  y_test=y_test)  # fmt: skip
    assert _refusal(path) == (
        f"{path}: y_test must hold integer class labels, got dtype <U1: whole numbers written as "
        "text; store them as integers, y_test.astype(int)"
    )
    path = _write(tmp_path, X=np.ones((3, 2)), y=np.array([0, 1, 2]), X_test=np.ones((3, 2)),
                  y_test=eval("y_test.astype(int)", {"y_test": y_test}))  # fmt: skip
    assert load_classification_file(path).y_test.tolist() == [0, 1, 2]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("y_test", "said", "kept"),
    [
        (["0", "x", "2"], ", and y_test[1] = 'x' is no whole number (1 of 3); fix or drop those "
         "examples (their rows of X_test too), then store them as integers, y.astype(int), and "
         "y_test's alike", [0, 2]),
        (["0.0", "2.0"], "; store them as integers, y.astype(int), and "
         "y_test.astype(float).astype(int)", [0, 2]),
        (["1", "?", "y", "2"], ", and y_test[1] = '?' is a missing label (1 of 4) and y_test[2] = "
         "'y' is no whole number (1 of 4); fix or drop those examples (their rows of X_test too), "
         "then store them as integers, y.astype(int), and y_test's alike", [1, 2]),
    ],
)  # fmt: skip
def test_ys_cast_beside_y_test_says_what_y_test_needs(
    tmp_path: Path, y_test: list[str], said: str, kept: list[int]
) -> None:
    """y, whole numbers as text, was told "y.astype(int), and y_test's alike" whatever y_test
    held: beside 'x' that cast raises, beside '2.0' too. y_test's own cast is said, and its values
    that are no whole number, to fix or drop first."""
    y, test = np.array(["0", "1", "2"]), np.array(y_test)
    path = _write(tmp_path, X=np.ones((3, 2)), y=y, X_test=np.ones((len(test), 2)), y_test=test)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype <U1: whole numbers written as "
        f"text{said}"
    )
    casts = re.findall(r"(y(?:_test)?\.astype\(.*?\)(?:\.astype\(int\))?)", said)
    test = test[np.isin(test, ["0", "1", "2", "0.0", "2.0"])]  # 'x', '?', 'y' dropped, as told
    y_cast, test_cast = casts[0], casts[1] if len(casts) > 1 else "y_test.astype(int)"
    path = _write(tmp_path, X=np.ones((3, 2)), y=eval(y_cast, {"y": y}),
                  X_test=np.ones((len(test), 2)), y_test=eval(test_cast, {"y_test": test}))  # fmt: skip
    assert load_classification_file(path).y_test.tolist() == kept  # type: ignore[union-attr]


def test_a_y_test_of_missing_labels_alone_beside_text_labels_is_told_it_holds_none(
    tmp_path: Path,
) -> None:
    """y_test all missing beside text y was told to drop those examples: followed, X_test had no
    rows, refused next. It holds no labels: the file is to be saved with them, or without a test
    set, as y_test's own refusal beside integer y says."""
    X, y = np.arange(6.0).reshape(3, 2), np.array(["a", "b", "a"])
    path = _write(tmp_path, X=X, y=y, X_test=np.ones((2, 2)), y_test=np.array(["", ""]))
    none = (
        "got dtype <U1: text, and every value of y_test is missing ('' at y_test[0] the first of "
        "2): it holds no labels; save the file with them, or without X_test and y_test"
    )
    assert _refusal(path) == f"{path}: y must hold integer class labels, {none}"
    path = _write(tmp_path, X=X, y=np.array([0, 1, 0]), X_test=np.ones((2, 2)),
                  y_test=np.array(["", ""]))  # fmt: skip
    assert _refusal(path) == f"{path}: y_test must hold integer class labels, {none}"
    path = _write(tmp_path, X=X, y=np.unique(y, return_inverse=True)[1])  # without a test set
    assert load_classification_file(path).y.tolist() == [0, 1, 0]


@pytest.mark.parametrize(
    ("y", "said", "kept"),
    [
        (["1", "2", "10", "x"], ": whole numbers written as text, and y[3] = 'x' is no whole "
         "number (1 of 4); fix or drop those examples (their rows of X too), then store them as "
         "integers, y.astype(int)", [1, 2, 10]),
        (["1", "NA", "2.0", "x", "3"], ": whole numbers written as text, and y[1] = 'NA' is a "
         "missing label (1 of 5) and y[3] = 'x' is no whole number (1 of 5); fix or drop those "
         "examples (their rows of X too), then store them as integers, "
         "y.astype(float).astype(int)", [1, 2, 3]),
        # mostly words: numbered
        (["a", "b", "1"], "; store the labels as integers 0..C-1, numbered e.g. with "
         "numpy.unique(y, return_inverse=True)[1]", None),
    ],
)  # fmt: skip
def test_a_value_that_is_no_whole_number_among_whole_numbers_in_y_is_named(
    tmp_path: Path, y: list[str], said: str, kept: list[int] | None
) -> None:
    """y = ['1', '2', '10', 'x'] was told to number its labels with numpy.unique, which ranks
    '10' before '2' (the labels' meaning lost), while y_test's 'x' beside y's whole numbers was
    named to fix or drop: y's is named so too, where most of its values are whole numbers."""
    labels = np.array(y)
    path = _write(tmp_path, X=np.arange(2.0 * len(y)).reshape(-1, 2), y=labels)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype {labels.dtype}{said}"
    )
    if kept is None:
        return
    rows = np.isin(labels, ["1", "2", "10", "2.0", "3"])  # 'x' and 'NA' dropped, as told
    cast = re.findall(r"y\.astype\(.*?\)(?:\.astype\(int\))?", said)[0]
    path = _write(tmp_path, X=np.arange(2.0 * len(y)).reshape(-1, 2)[rows],
                  y=eval(cast, {"y": labels[rows]}))  # fmt: skip
    with pytest.warns(DataWarning):  # classes with no label: warned, as for any labels
        assert load_classification_file(path).y.tolist() == kept


def test_a_slip_in_a_small_y_test_beside_whole_numbers_is_named_not_a_numbering(
    tmp_path: Path,
) -> None:
    """y = ['1', '2', '10'] * 20 beside y_test = ['2', 'x'] was told to number the labels (y_test
    alone was not mostly whole numbers), which made '10' class 1 and '2' class 2 with no word of
    'x': y's and y_test's labels are judged together, 'x' named to fix or drop, the cast kept.
    Followed, the labels keep their meaning."""
    y, y_test = np.array(["1", "2", "10"] * 20), np.array(["2", "x"])
    path = _write(tmp_path, X=np.ones((60, 2)), y=y, X_test=np.ones((2, 2)), y_test=y_test)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype <U2: whole numbers written as text, "
        "and y_test[1] = 'x' is no whole number (1 of 2); fix or drop those examples (their rows "
        "of X_test too), then store them as integers, y.astype(int), and y_test's alike"
    )
    path = _write(tmp_path, X=np.ones((60, 2)), y=y.astype(int), X_test=np.ones((1, 2)),
                  y_test=y_test[:1].astype(int))  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # classes 0 and 3..9 hold no label: warned
        data = load_classification_file(path)
    assert data.y.tolist() == [1, 2, 10] * 20 and data.y_test is not None
    assert data.y_test.tolist() == [2]


@pytest.mark.parametrize(
    ("y", "y_test", "codes", "test_codes"),
    [(["1", "2", "10", "x"], ["a", "b"], [0, 2, 1, 5], [3, 4]),
     (["1", "2"], ["a", "b", "1"], [0, 1], [2, 3, 0]),
     (["1", "a", "b", "c"], ["1", "2", "3", "4", "5", "6"], [0, 6, 7, 8], [0, 1, 2, 3, 4, 5]),
     (["1", "2", "3", "4", "5", "6", "7", "8"], ["a", "b", "c", "1"], [0, 1, 2, 3, 4, 5, 6, 7],
      [8, 9, 10, 0]),
     # y half words, numbered alone, is numbered beside a y_test of whole numbers too
     (["0", "1", "a", "b"], ["0", "1", "1", "0", "1", "0"], [0, 1, 2, 3], [0, 1, 1, 0, 1, 0])],
)  # fmt: skip
def test_labels_mostly_words_in_y_or_y_test_are_numbered_together_none_dropped(
    tmp_path: Path, y: list[str], y_test: list[str], codes: list[int], test_codes: list[int]
) -> None:
    """y = ['1', '2', '10', 'x'] beside y_test = ['a', 'b'] was told y[3] = 'x' is "no whole
    number", a missing label to drop, before y_test's words made the labels numbered, where 'x' is
    a label as good as 'a'; y = ['1', '2'] beside y_test = ['a', 'b', '1'] was told to fix or
    drop two thirds of the test set. The cast is offered only where y's and y_test's labels
    together are mostly whole numbers and neither holds more words than whole numbers; else both
    are numbered together, no example dropped. Followed, it loads."""
    labels, test = np.array(y), np.array(y_test)
    file = {"X": np.ones((len(y), 2)), "y": labels, "X_test": np.ones((len(test), 2)),
            "y_test": test}  # fmt: skip
    path = _write(tmp_path, **file)
    assert _refusal(path) == (
        f"{path}: y must hold integer class labels, got dtype {labels.dtype}; store the labels as "
        "integers 0..C-1, numbered e.g. with numpy.unique(numpy.concatenate([y, y_test]), "
        "return_inverse=True)[1], both together (numbered apart, a class one lacks shifts the "
        "other's numbers): its first len(y) numbers are y's, the rest y_test's"
    )
    both = np.unique(np.concatenate([labels, test]), return_inverse=True)[1]
    path = _write(tmp_path, **{**file, "y": both[: len(y)], "y_test": both[len(y) :]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # y_test's classes y lacks: warned
        data = load_classification_file(path)
    assert data.y.tolist() == codes
    assert data.y_test is not None and data.y_test.tolist() == test_codes
