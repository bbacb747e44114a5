"""The class labels of the user's classification arrays, checked, and the fixes for labels stored
otherwise (one-hot, transposed, numbered with gaps), D2L §3.4 on your data.

Used by :mod:`linearnets.data.arrays`, which reads the files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from linearnets._text import counted, shown_path
from linearnets._warn import warn
from linearnets.data.csv_cells import is_missing
from linearnets.errors import DatasetError, DataWarning

__all__ = [
    "MAX_CLASSES",
    "class_labels",
    "renumbering",
    "transposed_fix",
    "warn_empty_classes",
    "warn_unseen",
]

MAX_CLASSES = 100_000  # 784 features × 10⁵ classes is already 300 MB of float32 weights


def transposed_fix(rows: str, features: torch.Tensor, name: str, values: np.ndarray) -> str | None:
    """Return the fix for ``features`` (N, D) stored as (D, N): one column per value of the 1-d
    ``values`` (N,), and fewer rows than that (examples outnumber features); else ``None``.
    ``rows`` and ``name`` name the two arrays."""
    count = values.shape[0] if values.ndim == 1 else -1
    if features.shape[1] != count or features.shape[0] >= count:
        return None
    return (
        f"{rows} has {count} columns, as many as {name} has values: is {rows} stored transposed, "
        f"(D, N)? save {rows}.T, one row per example"
    )


def class_labels(
    path: Path,
    name: str,
    array: np.ndarray,
    X: torch.Tensor,
    *,
    test_set: bool,
    y_test: np.ndarray | None = None,
    together: np.ndarray | None = None,
) -> torch.Tensor:
    """Return ``array`` (N,) as int64 class indices (N,), one per row of ``X`` (N, D), refusing
    non-integer or out-of-range labels; ``test_set``: the file holds ``y_test`` beside ``y``, to
    renumber together (see :func:`renumbering`); ``y_test``: the file's, as stored, beside ``y``
    (its missing labels are told with ``y``'s, numbered together); ``together``: the other set's
    labels, numbered with these (``y_test`` beside ``y``, ``y`` beside ``y_test``), whose
    classes count with these against :data:`MAX_CLASSES`."""
    _check_one_per_row(path, name, array, X)
    if array.dtype.kind not in "iu":  # not np.integer: numpy counts timedelta64 as one
        if (
            np.issubdtype(array.dtype, np.floating)
            and np.isfinite(array).all()
            and np.all(np.mod(array, 1) == 0)
        ):
            pass  # whole numbers: cast below, once their range is known to fit
        else:
            raise DatasetError(
                f"{shown_path(path)}: {name} must hold integer class labels, "
                f"{_not_whole(name, array, test_set=test_set, y_test=y_test)}"
            )
    if array.min() < 0:
        raise DatasetError(
            f"{shown_path(path)}: {name} must hold labels >= 0, {_negative(name, array, test_set)}"
        )
    # the model holds D × (largest label + 1) weights; checked before the cast, where 1e19 or a
    # uint64 label would wrap around to a negative one; as a Python number, since float16 would
    # take the limit itself past its range ("overflow encountered in cast")
    if array.max().item() >= MAX_CLASSES:
        distinct = _distinct(array, together)
        both = (
            f" in {name} and {'y_test' if name == 'y' else 'y'} together"
            if distinct > len(np.unique(array))
            else ""
        )
        # renumbering helps only labels spread out: 0..200000 renumbered are themselves
        fix = (
            f"relabel them as 0..C-1, e.g. with {renumbering(test_set)}"
            if distinct <= MAX_CLASSES
            else f"merge classes, or keep the examples of at most {MAX_CLASSES} of them: "
            "renumbering gives as many classes"
        )
        raise DatasetError(
            f"{shown_path(path)}: labels must be class indices 0..C-1 with C at most "
            f"{MAX_CLASSES}, got the label {array.max().item()!r} in {name} among "
            f"{distinct} distinct labels{both}; {fix}"
        )
    return torch.from_numpy(array.astype(np.int64))


def _negative(name: str, array: np.ndarray, test_set: bool) -> str:
    """Say where labels ``array`` (N,) hold a negative one: the first, by index, how many, the
    smallest, and the fix: relabel them as 0..C-1 (:func:`renumbering`), which numbers -1/+1
    labels (two classes, as SVMs take them) 0 and 1; where every negative one is -1 beside a 0,
    -1 is no class numbered in order but the mark of an unlabelled example: drop those examples
    (renumbered, -1 would become class 0 and shift every other class), or renumber if -1 is a
    class."""
    negative = array < 0
    i, count, low = int(np.argmax(negative)), int(negative.sum()), array.min().item()
    which = (
        "the only one"
        if count == 1
        else f"{count} negative labels"
        + (f", the smallest {low!r}" if low != array[i].item() else "")
    )
    got = f"got {array[i].item()!r} at index {i} ({which})"
    numbered = f"e.g. with {renumbering(test_set)}"
    if low == -1 and bool((array == 0).any()):  # all -1 beside a 0: unlabelled examples
        rows = "X" if name == "y" else "X_test"
        them = "those examples" if count > 1 else "that example"
        return (
            f"{got}; -1 usually marks an unlabelled example: drop {them}, e.g. keep = {name} >= 0; "
            f"{rows}, {name} = {rows}[keep], {name}[keep]; if -1 is a class, relabel them as "
            f"class indices 0..C-1 (-1 becomes class 0, every other class one more), {numbered}"
        )
    return f"{got}; relabel them as class indices 0..C-1, {numbered}"


def _check_one_per_row(path: Path, name: str, array: np.ndarray, X: torch.Tensor) -> None:
    """Refuse labels ``array`` unless they are (N,), one per row of ``X`` (N, D) (``y``'s of
    ``X``, ``y_test``'s of ``X_test``), with the fix for the shape they have."""
    n = X.shape[0]
    if array.ndim == 1 and array.shape[0] == n:
        return
    rows = "X" if name == "y" else "X_test"
    fix = (
        f"flatten it, e.g. {name}.reshape(-1)"  # (N, 1), (1, N), or () for one example
        if array.size == n and array.ndim != 1
        else _one_hot(name, array, n)
        or transposed_fix(rows, X, name, array)
        or f"store one label per row of {rows}, in the same order"
    )
    raise DatasetError(
        f"{shown_path(path)}: {name} must be a 1-d array of {counted(n, 'label')}, got shape "
        f"{array.shape}; {fix}"
    )


def _one_hot(name: str, array: np.ndarray, n: int) -> str | None:
    """Return the fix for labels ``array`` stored one-hot, (N, C) rows of 0s and one 1 as keras'
    ``to_categorical`` gives them (or class probabilities, rows of [0, 1] summing to 1), for ``n``
    examples; else ``None``."""
    if (
        array.ndim != 2
        or array.shape[0] != n
        or array.shape[1] < 2
        or array.dtype.kind not in "biuf"
    ):
        return None
    rows = array.astype(np.float64)  # (N, C)
    if not (np.all((rows >= 0) & (rows <= 1)) and np.allclose(rows.sum(axis=1), 1)):
        return None
    return (
        f"its rows look like one-hot labels (or class probabilities), {array.shape[1]} columns, "
        f"one per class: store each row's class, {name}.argmax(axis=1)"
    )


def _distinct(array: np.ndarray, together: np.ndarray | None) -> int:
    """Return how many distinct labels ``array`` and ``together`` (where numbers) hold between
    them: numbered together, as :func:`renumbering` advises, y 0..59999 and y_test 60000..119999
    are 120000 classes, though each alone is 60000."""
    if together is None or together.dtype.kind not in "iuf":
        return len(np.unique(array))
    return len(np.unique(np.concatenate([array.ravel(), together.ravel()])))


def renumbering(test_set: bool) -> str:
    """Return the numpy call that numbers the labels 0..C-1: ``y``'s, or with ``test_set``
    ``y``'s and ``y_test``'s together (numbered apart, a class one set lacks shifts the other's
    numbers: ``y`` 0, 2, 5 become 0, 1, 2 and ``y_test``'s 2 would mean ``y``'s 5)."""
    if not test_set:
        return "numpy.unique(y, return_inverse=True)[1]"
    return (
        "numpy.unique(numpy.concatenate([y, y_test]), return_inverse=True)[1], both together "
        "(numbered apart, a class one lacks shifts the other's numbers): its first len(y) "
        "numbers are y's, the rest y_test's"
    )


def _not_whole(name: str, array: np.ndarray, *, test_set: bool, y_test: np.ndarray | None) -> str:
    """Say what keeps ``array`` from being class labels: its dtype, or its first value that is no
    whole number (a cast would truncate 0.5 to 0 and turn NaN into a huge negative index)."""
    if array.dtype.kind == "b":
        return f"got dtype bool; use {name}.astype(int) (False is class 0, True class 1)"
    if array.dtype.kind in "SU":
        return _text(name, array, test_set=test_set, y_test=y_test)
    if not np.issubdtype(array.dtype, np.floating):
        return (
            f"got dtype {array.dtype}; store the labels as integers 0..C-1, numbered e.g. with "
            f"{renumbering(test_set)}"
        )
    bad = ~np.isfinite(array) | (np.mod(np.nan_to_num(array), 1) != 0)
    i, count = int(np.flatnonzero(bad)[0]), int(bad.sum())
    if np.isnan(array).all():
        return (
            f"got nan in all {len(array)} of its values: it holds no labels; save the file with "
            "them"
        )
    which = (
        f"{count} such values); fix or drop those examples"
        if count > 1
        else ("the only one); fix or drop that example")
    )
    return (
        f"got {array[i].item()!r} at index {i} ({which}: a cast to int would change "
        f"{'them' if count > 1 else 'it'} silently"
    )


def _text(name: str, array: np.ndarray, *, test_set: bool, y_test: np.ndarray | None) -> str:
    """Say how to store ``array`` (N,) of text as class labels: cast (:func:`_cast`) where its
    values are whole numbers written as text, keeping their meaning, else numbered; where most
    of them are (more than half of those not missing: a column mostly of words is words), with
    ``y_test``'s counted among them (text beside ``y``, cast or numbered with it), and ``y``'s
    own mostly whole numbers (as alone) and ``y_test``'s no more words than whole numbers, the
    others, '1', '2', '10', 'x', are named to fix or drop in both (numbered with numpy.unique,
    '10' would come before '2'); else both are numbered, 'x' a label as good as 'a'; once its
    missing values (:func:`~linearnets.data.csv_cells.is_missing`) and those of
    ``y_test`` are dropped, as a cast fails on them and numbering would make a class of them; none
    of its values is a label where every one is missing."""
    got = f"got dtype {array.dtype}"
    found = [(name, array)]
    if y_test is not None and y_test.ndim == 1 and y_test.dtype.kind in "SU":
        found.append(("y_test", y_test))
    said, rows, values, missing = [], [], [], []
    for label, labels in found:
        texts, gone = _missing_labels(labels)  # (N,) x 2
        if gone.all():  # dropped, no example would be left
            keep = "with them" if label == "y" else "with them, or without X_test and y_test"
            return (
                f"{got}: text, and every value of {label} is missing ({texts[0]!r} at "
                f"{label}[0] the first of {len(texts)}): it holds no labels; save the file {keep}"
            )
        said.append(_said(label, texts, gone, "is a missing label"))
        values.append(texts)
        missing.append(gone)
        rows.append("X_test" if label == "y_test" else "X")
    # each set's cast, and where a value is none: y and y_test are cast, or numbered, together
    casts = [_whole_numbers(labels, gone) for (_, labels), gone in zip(found, missing, strict=True)]
    cast, fix = casts[0][0], "drop"
    # mostly whole numbers, y's and y_test's together (a slip in a small y_test, ['2', 'x'],
    # weighs as little), y mostly whole numbers as when alone (['0', '1', 'a', 'b'] is numbered
    # beside any y_test) and y_test no more words than whole numbers (['a', 'b', '1'] is words)
    words = [int(none.sum()) for _, none in casts]  # per set: values that are no whole number
    kept = [int((~gone).sum()) for gone in missing]  # and values not missing
    y_mostly = 2 * words[0] < kept[0]
    test_no_more = all(2 * w <= n for w, n in zip(words[1:], kept[1:], strict=True))
    if (
        all(c is not None for c, _ in casts)
        and y_mostly
        and test_no_more
        and 2 * sum(words) < sum(kept)
    ):
        for k, ((label, _), (_, none)) in enumerate(zip(found, casts, strict=True)):
            said.insert(2 * k + 1, _said(label, values[k], none, "is no whole number"))
            missing[k] = missing[k] | none
            fix = "fix or drop" if none.any() else fix
    else:  # mostly words: numbered
        cast = None
    store = f"store them as integers, {name}.{cast}"
    if cast is not None and len(found) == 2:  # y_test's text beside y's whole numbers
        test_cast = casts[1][0]
        store += ", and y_test's alike" if test_cast == cast else f", and y_test.{test_cast}"
    told = " and ".join(s for s in said if s)
    their = " and ".join(r for r, gone in zip(rows, missing, strict=True) if gone.any())
    if cast is None:
        if not told:
            return (
                f"{got}; store the labels as integers 0..C-1, numbered e.g. with "
                f"{renumbering(test_set)}"
            )
        return (
            f"{got}: text, and {told}: numbered, the missing labels would be a class of their own; "
            f"drop those examples (their rows of {their} too), then store the labels as integers "
            f"0..C-1, numbered e.g. with {renumbering(test_set)}"
        )
    if not told:
        return f"{got}: whole numbers written as text; {store}"
    return (
        f"{got}: whole numbers written as text, and {told}; {fix} those examples (their rows of "
        f"{their} too), then {store}"
    )


def _said(label: str, texts: list[str], where: np.ndarray, what: str) -> str:
    """Say the first of the values ``texts`` of ``label`` marked in ``where`` (N,), ``what`` it is,
    with their count; '' where none is."""
    if not where.any():
        return ""
    i = int(np.flatnonzero(where)[0])
    return f"{label}[{i}] = {texts[i]!r} {what} ({int(where.sum())} of {len(texts)})"


def _cast(array: np.ndarray) -> str | None:
    """Return the numpy cast that stores ``array`` (M,) of text as the whole numbers it writes,
    ``astype(int)``, or ``astype(float).astype(int)`` for '2.0' and '1e3' (refused by the first);
    ``None`` where a value is none (numbered with numpy.unique, '10' would come before '2')."""
    try:
        array.astype(np.int64)
        return "astype(int)"
    except (ValueError, OverflowError):
        pass
    try:
        numbers = array.astype(np.float64)
    except ValueError:
        return None
    # past 2**53 a float no longer holds every whole number: the cast could change it
    if np.all(np.isfinite(numbers) & (np.mod(numbers, 1) == 0) & (np.abs(numbers) < 2**53)):
        return "astype(float).astype(int)"
    return None


def _whole_numbers(array: np.ndarray, missing: np.ndarray) -> tuple[str | None, np.ndarray]:
    """Return the cast (:func:`_cast`) of the values of ``array`` (N,) of text that are whole
    numbers, ``missing`` (N,) aside, and where a value is none (N,); no cast where none is."""
    cast = _cast(array[~missing])
    if cast is not None:
        return cast, np.zeros(len(array), dtype=bool)
    # value by value, each distinct one once (labels repeat), on the error's path alone
    distinct, where = np.unique(array, return_inverse=True)
    bad = np.array([_cast(distinct[i : i + 1]) is None for i in range(len(distinct))])
    none = ~missing & bad[where.reshape(-1)]
    whole = ~missing & ~none
    return (_cast(array[whole]) if whole.any() else None), none


def _missing_labels(array: np.ndarray) -> tuple[list[str], np.ndarray]:
    """Return the values of ``array`` (N,) of text as str, and where they are missing (N,)."""
    values = [v.decode("latin-1") if isinstance(v, bytes) else v for v in array.tolist()]
    return values, np.array([is_missing(v) for v in values], dtype=bool)


def warn_unseen(path: Path, y: torch.Tensor, y_test: torch.Tensor) -> None:
    """Warn of test labels outside the training labels' range, past ``y``'s largest or below its
    smallest: the model gets their classes but cannot learn them, which is allowed (their
    examples mostly count as mistakes: an unlearned class's score can still come out highest) but
    mostly a labelling slip, whose fix (:func:`_unseen_fix`) is said. A test label in a gap of
    ``y``'s is a small split's chance: not warned."""
    how = _unseen_fix(y, y_test)
    if how is None:
        return
    low, high = int(y.min()), int(y.max())
    unseen = torch.unique(y_test[(y_test > high) | (y_test < low)]).tolist()
    shown = ", ".join(map(str, unseen[:5])) + (", …" if len(unseen) > 5 else "")
    span = f"y's go up to {high}" if low == 0 else f"y's run from {low} to {high}"
    warn(
        f"{shown_path(path)}: y_test holds labels that y never has ({shown}; {span}): the model "
        f"cannot learn those classes, so their examples mostly count as mistakes; {how}",
        DataWarning,
    )


def _unseen_fix(y: torch.Tensor, y_test: torch.Tensor) -> str | None:
    """Return the fix for test labels outside ``y``'s range, ``None`` where there are none. Where
    the two sets hold the same classes, one counted from a later start (1, the other from 0),
    with no gap (shifted, they are 0..C-1), that one is shifted onto the other's numbers (both to
    0 where neither starts there); else the two were numbered apart, and their original labels
    are numbered together (:func:`renumbering`; numbering the stored numbers together would
    change none of them). The one fix for the pair: the empty classes' warning says it too."""
    low, high = int(y.min()), int(y.max())
    if not bool(((y_test > high) | (y_test < low)).any()):
        return None
    test_low = int(y_test.min())
    shift = test_low - low
    classes = torch.unique(y)
    if torch.equal(torch.unique(y_test - shift), classes) and len(classes) == high - low + 1:
        if min(low, test_low) == 0:  # the other counts from 0 already
            later, start = ("y_test", test_low) if shift > 0 else ("y", low)
            store = f"if {later} counts from {start}, store {later} - {start}"
        else:  # both counted from later starts: each from 0
            store = f"if each counts from its first, store y - {low} and y_test - {test_low}"
        return f"y_test's labels start at {test_low}, y's at {low}: {store}"
    return (
        "if the two sets were numbered apart, number their original labels with "
        f"{renumbering(True)}"
    )


def warn_empty_classes(path: Path, y: torch.Tensor, y_test: torch.Tensor | None) -> None:
    """Warn of classes below ``y``'s largest label that no label of ``y`` (N,) nor ``y_test``
    has: the model gets an output for each, which it cannot learn (labels numbered from 1 leave
    class 0 empty). A class only the test set has is a small split's chance: not warned. Where
    ``y_test`` holds labels outside ``y``'s range, the fix is :func:`warn_unseen`'s, for the two
    warnings to say one."""
    counts = torch.bincount(y)
    if y_test is not None:
        counts = counts + torch.bincount(y_test[y_test < len(counts)], minlength=len(counts))
    empty = (counts == 0).nonzero().flatten().tolist()
    if not empty:
        return
    how = _unseen_fix(y, y_test) if y_test is not None else None  # one fix for the pair
    if how is None:
        start = int(y.min())
        how = (
            f"y's labels start at {start}: if they are numbered from {start}, store y - {start} "
            "(and y_test likewise)"
            if empty == list(range(start))
            else f"renumber the labels 0 .. C-1 ({renumbering(y_test is not None)})"
        )
    shown = ", ".join(map(str, empty[:5])) + (", …" if len(empty) > 5 else "")
    warn(
        f"{shown_path(path)}: no label is class{'es' * (len(empty) > 1)} {shown} (y's go up to "
        f"{int(y.max())}): the model gets an output for each, which it cannot learn; {how}",
        DataWarning,
    )
