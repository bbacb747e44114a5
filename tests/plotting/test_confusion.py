"""Tests of linearnets.plotting.confusion: counts, per-class accuracy, the table, the heatmap."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.errors import DataWarning, UsageError, UsageTypeError
from linearnets.plotting import (
    confusion_matrix,
    format_per_class_table,
    per_class_accuracy,
    plot_confusion_matrix,
)
from linearnets.plotting._runs_own import as_runs_own

from .conftest import svg_texts


def test_confusion_matrix_matches_numpy_oracle() -> None:
    gen = torch.Generator().manual_seed(0)
    y_true = torch.randint(0, 5, (500,), generator=gen)
    y_pred = torch.randint(0, 5, (500,), generator=gen)
    oracle = np.zeros((5, 5), dtype=np.int64)
    np.add.at(oracle, (y_true.numpy(), y_pred.numpy()), 1)
    matrix = confusion_matrix(y_true, y_pred, 5)
    assert matrix.dtype == torch.int64 and matrix.shape == (5, 5)
    np.testing.assert_array_equal(matrix.numpy(), oracle)
    assert int(matrix.sum()) == 500


def test_per_class_accuracy_is_diagonal_over_row_sums_and_nan_for_empty_rows() -> None:
    matrix = torch.tensor([[3, 1, 0], [2, 2, 0], [0, 0, 0]])
    acc = per_class_accuracy(matrix)
    assert acc.dtype == torch.float64
    torch.testing.assert_close(acc[:2], torch.tensor([0.75, 0.5], dtype=torch.float64))
    assert torch.isnan(acc[2])  # no examples of class 2: undefined, not 0


def test_format_per_class_table_lists_every_class_and_overall() -> None:
    matrix = torch.tensor([[3, 1, 0], [2, 2, 0], [0, 0, 0]])
    table = format_per_class_table(matrix, ["T-shirt/top", "Trouser", "Bag"])
    lines = table.splitlines()
    assert len(lines) == 5  # header, 3 classes, overall
    assert "T-shirt/top" in lines[1] and lines[1].split()[-3:] == ["3", "4", "0.750"]
    assert "Trouser" in lines[2] and lines[2].endswith("0.500")
    assert "Bag" in lines[3] and lines[3].endswith("n/a")
    assert lines[4].split() == ["overall", "5", "8", "0.625"]


def _columns(text: str) -> int:
    """Terminal columns of ``text``, the oracle: East Asian wide and full-width characters two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def test_format_per_class_table_aligns_chinese_names_by_terminal_columns() -> None:
    """Padded by len(), each Chinese name of 2 or 3 characters took 4 or 6 columns, and its row
    stuck out past the others by as many columns as it had characters."""
    from linearnets.data.fashion_mnist import get_fashion_mnist_labels

    names = get_fashion_mnist_labels(range(10), lang="zh")
    table = format_per_class_table(torch.eye(10, dtype=torch.long) * 3, names).splitlines()
    assert {_columns(line) for line in table} == {_columns(table[0])}
    # "class" is padded to overall's 7 columns, the widest (连衣裙: 3 characters, 6 columns)
    assert table[0] == "class" + " " * 6 + "correct" + " " * 6 + "total  accuracy"
    assert table[1] == "T恤" + " " * (4 + 2 + 8) + "3" + " " * 10 + "3     1.000"
    assert table[4] == "连衣裙" + " " * (1 + 2 + 8) + "3" + " " * 10 + "3     1.000"
    assert table[-1] == "overall" + " " * (2 + 7) + "30" + " " * 9 + "30     1.000"


@pytest.mark.parametrize("dtype", [np.uint16, np.uint32, np.uint64])
def test_counts_in_numpy_s_wide_unsigned_ints_are_read_as_counts(dtype: Any) -> None:
    """A matrix counted in a NumPy uint32 or uint64 array failed in torch's words ('"lt_cpu" not
    implemented for 'UInt64''): torch stores those dtypes but does not compare or sum them."""
    counts = np.array([[3, 1, 0], [2, 2, 0], [0, 0, 0]])
    matrix = counts.astype(dtype)
    acc = per_class_accuracy(matrix)
    np.testing.assert_array_equal(acc.numpy()[:2], np.diag(counts)[:2] / counts.sum(axis=1)[:2])
    assert format_per_class_table(matrix, ["a", "b", "c"]) == format_per_class_table(
        counts, ["a", "b", "c"]
    )
    ax = plot_confusion_matrix(matrix, ["a", "b", "c"], normalize=False)
    np.testing.assert_array_equal(ax.get_images()[0].get_array(), counts)
    plt.close(ax.figure)


@pytest.mark.parametrize("normalize", [True, False])
def test_plot_confusion_matrix_annotates_every_cell(tmp_path: Path, normalize: bool) -> None:
    matrix = torch.tensor([[3, 1], [0, 4]])
    out = tmp_path / "confusion.svg"
    ax = plot_confusion_matrix(matrix, ["cat", "dog"], out=out, normalize=normalize)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted", "true")
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog"]
    expected = ["0.75", "0.25", "0.00", "1.00"] if normalize else ["3", "1", "0", "4"]
    assert [t.get_text() for t in ax.texts] == expected
    assert "<svg" in out.read_text()


@contextmanager
def warnings_as_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_confusion_matrix_with_chinese_names_and_an_empty_matrix() -> None:
    from linearnets.plotting._fonts import cjk_family

    family = cjk_family()
    if family is not None:  # Chinese class names in the tick labels, drawn without a glyph warning
        with warnings_as_errors():
            ax = plot_confusion_matrix(torch.eye(2, dtype=torch.long), ["T恤", "短靴"])
            ax.figure.canvas.draw()
        assert ax.get_xticklabels()[0].get_fontfamily() == [*plt.rcParams["font.family"], family]
        plt.close(ax.figure)
    ax = plot_confusion_matrix(torch.zeros(2, 2, dtype=torch.long), ["a", "b"], normalize=False)
    assert ax.images[0].get_clim() == (0.0, 1.0)  # zero counts drawn white, not mid-blue
    plt.close(ax.figure)


BAD_INPUT: list[Any] = [
    (
        lambda: confusion_matrix(torch.tensor([0, 3]), torch.tensor([0, 1]), 3),
        UsageError,
        "in \\[0, 3\\)",
    ),
    (
        lambda: confusion_matrix(torch.tensor([0.0]), torch.tensor([0]), 2),
        UsageTypeError,
        "integer",
    ),
    (
        lambda: confusion_matrix(torch.tensor([0]), torch.tensor([0, 1]), 2),
        UsageError,
        "same number",
    ),
    (lambda: per_class_accuracy(torch.zeros(2, 3)), UsageError, r"square \(C, C\)"),
    (lambda: per_class_accuracy(-torch.ones(2, 2)), UsageError, r"counts >= 0"),
    (lambda: format_per_class_table(torch.eye(2), ["a"]), UsageError, r"class_names must hold"),
    (lambda: plot_confusion_matrix(torch.eye(2), "ab"), UsageError, r"class_names must hold"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- counts, table and heatmap, cell by cell


def test_confusion_matrix_is_c_by_c_even_when_the_last_classes_never_occur() -> None:
    matrix = confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 0]), 3)
    expected = torch.tensor([[1, 0, 0], [1, 0, 0], [0, 0, 0]])  # counted by hand
    assert torch.equal(matrix, expected)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: confusion_matrix(torch.tensor([0, 1]), torch.tensor([0, 3]), 3), r"y_pred.*\[0, 3\)"),
        (lambda: confusion_matrix(torch.tensor([0, -1]), torch.tensor([0, 1]), 3), r"y_true.*\[0, 3\)"),
        (lambda: per_class_accuracy(torch.ones(3)), r"matrix must be a square \(C, C\) confusion matrix, got shape \(3,\)"),
        (lambda: per_class_accuracy(torch.tensor([[1.0, math.nan], [0.0, 1.0]])), r"matrix must hold finite counts"),
    ],
    ids=["y_pred out of range", "negative y_true", "1-d matrix", "NaN count"],
)  # fmt: skip
def test_more_bad_confusion_input(call: Callable[[], Any], match: str) -> None:
    with pytest.raises(UsageError, match=match):
        call()


def test_format_per_class_table_of_no_examples_and_of_fractional_counts() -> None:
    lines = format_per_class_table(torch.zeros(2, 2, dtype=torch.long), ["a", "b"]).splitlines()
    assert lines[-1].split() == ["overall", "0", "0", "n/a"]  # 0 of 0: undefined, not 0.000
    averaged = torch.tensor([[2.5, 0.5], [1.0, 1.0]])  # e.g. the mean of two runs' matrices
    lines = format_per_class_table(averaged, ["a", "b"]).splitlines()
    assert lines[1].split() == ["a", "2.5", "3", "0.833"]  # 2.5 / 3
    assert lines[-1].split() == ["overall", "3.5", "5", "0.700"]


def test_plot_confusion_matrix_normalized_draws_an_empty_row_gray_and_n_a() -> None:
    """A class without examples has no ratios: its row was drawn as zeros under "rows sum to 1"
    (per_class.txt says n/a for it), as if every one of its examples had been missed."""
    import matplotlib.colors

    ax = plot_confusion_matrix(torch.tensor([[0, 0], [1, 3]]), ["a", "b"])
    assert [t.get_text() for t in ax.texts] == ["n/a", "n/a", "0.25", "0.75"]
    assert ax.get_title() == "confusion matrix (rows sum to 1; gray rows: no examples)"
    image = ax.images[0]
    assert image.get_clim() == (0.0, 1.0)
    rgba = image.to_rgba(image.get_array())  # (2, 2, 4): the colours drawn
    gray, blues = matplotlib.colors.to_rgba("0.8"), matplotlib.colormaps["Blues"]
    np.testing.assert_allclose(rgba[0], [gray, gray])
    np.testing.assert_allclose(rgba[1], blues([0.25, 0.75]))
    # counts have no empty ratios: an empty row is 0 counts, white, titled as before
    counts = plot_confusion_matrix(torch.tensor([[0, 0], [1, 3]]), ["a", "b"], normalize=False)
    assert [t.get_text() for t in counts.texts] == ["0", "0", "1", "3"]
    assert counts.get_title() == "confusion matrix (counts)"
    plt.close(ax.figure)
    plt.close(counts.figure)


def test_the_figures_n_a_rows_are_the_tables() -> None:
    """Test labels 2..4 of a model with 5 classes (a --data file whose y_test numbers its classes
    from 2): classes 0 and 1 have no test examples, n/a in the table and in the figure alike."""
    y_true = torch.tensor([2, 3, 4, 2, 3, 4, 3])
    y_pred = torch.tensor([2, 3, 1, 0, 3, 4, 2])
    matrix = confusion_matrix(y_true, y_pred, 5)
    names = [f"c{i}" for i in range(5)]
    table = [line.split()[-1] for line in format_per_class_table(matrix, names).splitlines()[1:6]]
    ax = plot_confusion_matrix(matrix, names)
    drawn = [ax.texts[5 * i + i].get_text() for i in range(5)]  # the diagonal, row by row
    assert (
        [a == "n/a" for a in table]
        == [d == "n/a" for d in drawn]
        == [True, True, False, False, False]
    )
    assert all(t.get_text() == "n/a" for t in ax.texts[:10])  # rows 0 and 1, every cell
    plt.close(ax.figure)


def test_a_matrix_of_no_examples_at_all_is_drawn_gray() -> None:
    ax = plot_confusion_matrix(torch.zeros(2, 2, dtype=torch.long), ["a", "b"])
    assert [t.get_text() for t in ax.texts] == ["n/a"] * 4
    plt.close(ax.figure)


def test_plot_confusion_matrix_of_counts_cell_by_cell() -> None:
    ax = plot_confusion_matrix(torch.tensor([[3, 1], [2, 4]]), ["cat", "dog"], normalize=False)
    assert ax.get_title() == "confusion matrix (counts)"
    assert ax.images[0].get_clim() == (0.0, 4.0)  # white is 0 counts, the darkest the largest
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cat", "dog"]
    cells = [(t.get_position(), t.get_text(), t.get_color()) for t in ax.texts]
    assert cells == [  # (x = predicted column, y = true row); white on cells darker than half
        ((0, 0), "3", "white"),
        ((1, 0), "1", "black"),
        ((0, 1), "2", "black"),
        ((1, 1), "4", "white"),
    ]


NAME_SOURCES = [
    lambda: torch.arange(3),  # a label tensor
    lambda: np.arange(3),
    lambda: (str(i) for i in range(3)),
    lambda: range(3),
]


@pytest.mark.parametrize("make", NAME_SOURCES, ids=["tensor", "array", "generator", "range"])
def test_class_names_of_any_iterable_read_as_their_numbers(make: Callable[[], Any]) -> None:
    # a tensor's items once labelled the rows and ticks "tensor(0)", and a generator raised
    # TypeError "object of type 'generator' has no len()"
    matrix = torch.tensor([[2, 0, 0], [1, 1, 0], [0, 0, 0]])
    table = format_per_class_table(matrix, make())
    assert [row.split()[0] for row in table.splitlines()[1:4]] == ["0", "1", "2"]
    ax = plot_confusion_matrix(matrix, make())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "1", "2"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0", "1", "2"]
    with pytest.raises(UsageError, match=r"class_names must hold one name per class \(3\), got 2 "):
        plot_confusion_matrix(matrix, torch.arange(2))
    with pytest.raises(UsageError, match=r"class_names must hold .*got tensor\(3\)"):
        format_per_class_table(matrix, torch.tensor(3))  # 0-d: no names to list


def test_plot_confusion_matrix_saved_outside_a_notebook_is_not_kept(tmp_path: Path) -> None:
    ax = plot_confusion_matrix(torch.eye(2), ["a", "b"], out=tmp_path / "m.png")
    assert plt.get_fignums() == [] and ax.figure is not None
    with Image.open(tmp_path / "m.png") as image:
        assert image.format == "PNG"


def test_plot_confusion_matrix_colour_scale_colorbar_and_ticks() -> None:
    """Blues from 0 (white) to the largest count, a colour bar of that scale, one tick per cell."""
    import matplotlib

    counts = torch.tensor([[5, 0, 1], [2, 3, 0], [0, 0, 4]])
    ax = plot_confusion_matrix(counts, ["cat", "dog", "fox"], normalize=False)
    image = ax.images[0]
    blues = matplotlib.colormaps["Blues"]
    np.testing.assert_allclose(image.to_rgba(np.array([0.0, 5.0])), blues([0.0, 1.0]))
    colorbar = image.colorbar
    assert colorbar is not None and colorbar.ax in ax.figure.axes and colorbar.ax is not ax
    assert colorbar.ax.get_ylim() == (0.0, 5.0)
    assert len(ax.figure.axes) == 2  # the heatmap and its colour bar, nothing else
    left, _, _, top = image.get_extent()  # cell j spans [j - 0.5, j + 0.5]
    centres = np.arange(3.0)
    np.testing.assert_array_equal(ax.get_xticks(), centres + left + 0.5)
    np.testing.assert_array_equal(ax.get_yticks(), centres + top + 0.5)
    xlabels = ax.get_xticklabels()
    assert [t.get_text() for t in xlabels] == ["cat", "dog", "fox"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "fox"]
    # slanted so long names do not overlap, each ending under its own column
    assert {(t.get_rotation(), t.get_horizontalalignment()) for t in xlabels} == {(45.0, "right")}
    assert {t.get_rotation() for t in ax.get_yticklabels()} == {0.0}


def test_plot_confusion_matrix_figure_grows_with_the_classes_and_leaves_room_for_the_bar() -> None:
    small = plot_confusion_matrix(torch.eye(2), ["a", "b"]).figure
    many = plot_confusion_matrix(torch.eye(20), [f"c{i}" for i in range(20)])
    for fig in (small, many.figure):
        width, height = fig.get_size_inches()
        assert width == height + 1.0  # a square heatmap plus an inch for the colour bar
    assert tuple(small.get_size_inches()) == (4.0, 3.0)  # never smaller than 3 inches
    assert many.figure.get_size_inches()[1] / 20 >= 0.5  # half an inch per class at least
    # twenty numbers to a row: a smaller font than two get, so they stay inside their cells
    many_size = max(t.get_fontsize() for t in many.texts)
    assert many_size < min(t.get_fontsize() for t in small.axes[0].texts)


def test_plot_confusion_matrix_of_many_classes_has_no_numbers_and_a_capped_size() -> None:
    """Up to 30 classes every cell is numbered; above, the heatmap alone, in the 30-class figure
    (0.6 * 30 + 1.5 = 19.5 inches), with every k-th class named (k = ceil(C / 30))."""
    thirty = plot_confusion_matrix(torch.eye(30), [f"c{i}" for i in range(30)])
    assert len(thirty.texts) == 30 * 30
    assert tuple(thirty.figure.get_size_inches()) == (20.5, 19.5)
    many = plot_confusion_matrix(torch.eye(200), [f"c{i}" for i in range(200)])
    assert len(many.texts) == 0  # 40,000 numbers took 76 s and 4.6 GB
    assert tuple(many.figure.get_size_inches()) == (20.5, 19.5)
    assert many.images[0].get_array().shape == (200, 200)  # every class is still a cell
    names = [f"c{i}" for i in range(0, 200, 7)]  # ceil(200 / 30) = 7: 29 names
    assert [t.get_text() for t in many.get_xticklabels()] == names
    assert [t.get_text() for t in many.get_yticklabels()] == names
    np.testing.assert_array_equal(many.get_xticks(), np.arange(0, 200, 7))
    thirty_one = plot_confusion_matrix(torch.eye(31), [f"c{i}" for i in range(31)])
    assert len(thirty_one.texts) == 0 and len(thirty_one.get_xticks()) == 16  # ceil(31 / 30) = 2


def test_above_the_dense_limit_the_matrix_is_sparse_and_the_same_counts() -> None:
    """A dense int64 matrix of 10⁵ classes is 80 GB (a run within the --data limit once died
    asking for it); the sparse one holds the same counts, and the table reads the same."""
    from linearnets.plotting.confusion import MAX_DENSE_CLASSES, format_per_class_table

    c = MAX_DENSE_CLASSES + 1
    y_true = torch.tensor([0, 0, 5, c - 1, c - 1, 7])
    y_pred = torch.tensor([0, 3, 5, c - 1, 0, 7])
    sparse = confusion_matrix(y_true, y_pred, c)
    assert sparse.is_sparse and sparse.shape == (c, c)
    dense = torch.zeros(c, c, dtype=torch.int64)  # the oracle, counted by hand
    for t, p in zip(y_true.tolist(), y_pred.tolist(), strict=True):
        dense[t, p] += 1
    assert torch.equal(sparse.to_dense(), dense)
    names = [f"c{i}" for i in range(c)]
    assert format_per_class_table(sparse, names) == format_per_class_table(dense, names)
    acc = per_class_accuracy(sparse)
    assert acc[0].item() == 0.5 and acc[5].item() == 1.0 and acc[c - 1].item() == 0.5
    assert torch.isnan(acc[1])


def test_at_the_dense_limit_itself_the_matrix_is_still_dense() -> None:
    """Sparse only above MAX_DENSE_CLASSES classes: at exactly that many, a dense (C, C) of the
    hand-counted cells (row = true class, column = predicted)."""
    from linearnets.plotting.confusion import MAX_DENSE_CLASSES

    c = MAX_DENSE_CLASSES
    m = confusion_matrix(torch.tensor([c - 1, 2, 2]), torch.tensor([0, 2, 2]), c)
    assert not m.is_sparse and m.layout == torch.strided and m.shape == (c, c)
    assert m[c - 1, 0].item() == 1 and m[2, 2].item() == 2 and m.sum().item() == 3


def test_a_run_of_the_largest_class_count_writes_its_reports(tmp_path: Path) -> None:
    import numpy as np

    from linearnets.config import SoftmaxConfig
    from linearnets.tasks.softmax import run_softmax

    X = np.eye(8, 10, dtype=np.float32)
    y = np.array([0, 1, 2, 3, 99_999, 99_998, 5, 6])
    np.savez(tmp_path / "d.npz", X=X, y=y, X_test=X, y_test=y)
    out = tmp_path / "run"
    with pytest.warns(DataWarning, match=r"no label is classes 4, 7, 8, 9, 10, … "):
        run_softmax(SoftmaxConfig(data=tmp_path / "d.npz", epochs=1, plot="none", out=out))
    matrix = torch.load(out / "confusion.pt", weights_only=True)
    assert matrix.is_sparse and matrix.shape == (100_000, 100_000)
    assert int(matrix.coalesce().values().sum()) == 8  # every test example counted once
    assert (out / "results.json").is_file()


def test_the_sparse_matrix_confusion_matrix_returns_is_drawn_as_its_dense_form() -> None:
    """plot_confusion_matrix crashed in torch (aten::clamp on SparseCPU) on the matrix
    confusion_matrix gives past MAX_DENSE_CLASSES classes."""
    from linearnets.plotting.confusion import MAX_DENSE_CLASSES

    c = MAX_DENSE_CLASSES + 1
    y = torch.arange(c)
    sparse = confusion_matrix(y, y.roll(1), c)
    names = [str(i) for i in range(c)]
    for normalize in (True, False):
        ax = plot_confusion_matrix(sparse, names, normalize=normalize)
        drawn = ax.images[0].get_array()
        assert drawn.shape == (c, c) and float(drawn.sum()) == float(c)  # one per row, by hand
        plt.close(ax.figure)


def test_a_sparse_matrix_too_large_to_draw_is_refused_by_name() -> None:
    from linearnets.plotting.confusion import MAX_DRAWN_DENSE

    c = MAX_DRAWN_DENSE + 1
    sparse = confusion_matrix(torch.tensor([0]), torch.tensor([0]), c)
    with pytest.raises(
        UsageError, match=rf"^matrix must have at most {MAX_DRAWN_DENSE} classes to be drawn"
    ):
        plot_confusion_matrix(sparse, [str(i) for i in range(c)])


def test_the_table_is_as_wide_as_overall_when_every_name_is_shorter() -> None:
    table = format_per_class_table(torch.tensor([[3, 1], [0, 2]]), ["a", "b"])
    assert table.splitlines() == [
        "class      correct      total  accuracy",
        "a                3          4     0.750",
        "b                2          2     1.000",
        "overall          5          6     0.833",
    ]


def test_a_sparse_matrix_of_the_drawn_limit_itself_is_drawn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from linearnets.plotting import confusion

    monkeypatch.setattr(confusion, "MAX_DRAWN_DENSE", 3)  # 4096 classes take long to draw
    dense = torch.tensor([[2, 0, 1], [0, 1, 0], [1, 0, 3]])
    ax = plot_confusion_matrix(dense.to_sparse(), ["a", "b", "c"], normalize=False)
    assert np.asarray(ax.images[0].get_array()).tolist() == dense.double().tolist()
    with pytest.raises(
        UsageError, match=r"^matrix must have at most 3 classes to be drawn, got a sparse one of 4"
    ):
        plot_confusion_matrix(torch.eye(4, dtype=torch.long).to_sparse(), list("abcd"))


@pytest.mark.parametrize("dim", [1, 0])
def test_a_normalized_matrix_is_refused_as_no_counts(dim: int) -> None:
    """A row-normalized matrix (plot_confusion_matrix's normalize=True) read as counts gave an
    overall row of the mean recall: its row sums, 1 each, are no examples."""
    counts = torch.tensor([[835, 165], [10, 990]])
    normalized = counts / counts.sum(dim=dim, keepdim=True)
    what = "row" if dim == 1 else "column"
    message = (
        rf"^matrix must hold counts, got fractions whose {what}s sum to 1, e\.g\. "
        rf"{float(normalized[0, 0]):.3g} at \[0, 0\]: pass the counts confusion_counts \(or "
        rf"confusion_matrix\) gives, not a {what}-normalized matrix$"
    )
    with pytest.raises(UsageError, match=message):
        format_per_class_table(normalized, ["a", "b"])
    with pytest.raises(UsageError, match=message):
        per_class_accuracy(normalized.to_sparse())
    plot_confusion_matrix(normalized, ["a", "b"], normalize=False)  # drawn as it is, as before


@pytest.mark.parametrize(
    ("matrix", "what", "cell", "per"),
    [
        ([[1.0, 0.0], [1.0, 0.0]], "row", "[1, 0]", "class"),  # [[990, 0], [10, 0]] normalized
        ([[1.0, 1.0], [0.0, 0.0]], "column", "[0, 1]", "predicted class"),
    ],
)
def test_a_normalized_matrix_of_whole_cells_is_refused(
    matrix: list[list[float]], what: str, cell: str, per: str
) -> None:
    """[[990, 0], [10, 0]] row-normalized is [[1., 0], [1., 0]]: no cell is fractional, and its
    overall row read 1 of 2, 0.500, where the counts give 0.990."""
    message = (
        rf"^matrix must hold counts, got floats whose {what}s all sum to 1 \(e\.g\. 1 at "
        rf"{re.escape(cell)}\), as a {what}-normalized matrix's do: pass the counts "
        r"confusion_counts \(or confusion_matrix\) gives; if these are counts of one example "
        rf"per {per}, pass them as integers \(matrix\.long\(\)\)$"
    )
    with pytest.raises(UsageError, match=message):
        format_per_class_table(torch.tensor(matrix), ["a", "b"])
    with pytest.raises(UsageError, match=message):
        per_class_accuracy(torch.tensor(matrix).to_sparse())
    # as integers they are counts: one example per class
    lines = format_per_class_table(torch.tensor(matrix).long(), ["a", "b"]).splitlines()
    assert lines[-1].split()[0] == "overall"


def test_whole_float_counts_that_read_the_same_either_way_pass() -> None:
    """A diagonal matrix (every class right) or a single nonempty row gives the same accuracies
    read as counts or as ratios: refusing it would only refuse legit averaged counts."""
    for matrix in ([[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [2.0, 3.0]]):
        format_per_class_table(torch.tensor(matrix), ["a", "b"])
    lines = format_per_class_table(torch.tensor([[1.0, 0.0], [0.0, 1.0]]), ["a", "b"])
    assert lines.splitlines()[-1].split() == ["overall", "2", "2", "1.000"]


@pytest.mark.parametrize("normalize", [True, False])
def test_numbers_are_white_only_on_the_darker_half_of_the_colour_scale_drawn(
    normalize: bool,
) -> None:
    """A weak model's ratios (the largest 0.12, of a scale to 1) were numbered white on
    near-white cells: the cut-off was half the largest value, not half the colour scale."""
    gen = torch.Generator().manual_seed(0)
    weak = torch.full((10, 10), 80) + torch.randint(0, 40, (10, 10), generator=gen)  # (C, C)
    ax = plot_confusion_matrix(weak, [str(i) for i in range(10)], normalize=normalize)
    image = ax.images[0]
    values = np.asarray(image.get_array())  # (C, C), as drawn
    colors = [t.get_color() for t in ax.texts]
    # the cell's place on the colour scale the image uses: white numbers on its darker half
    assert colors == ["white" if image.norm(v) > 0.5 else "black" for v in values.flatten()]
    if normalize:
        assert values.max() < 0.13 and colors == ["black"] * 100
    else:
        assert colors == ["white"] * 100  # 80 to 119 counts, of a scale from 0 to the largest
    plt.close(ax.figure)


def test_a_normalize_that_is_no_bool_is_refused() -> None:
    """normalize='False' normalised: a non-empty string is true."""
    with pytest.raises(
        UsageTypeError, match=r"^normalize must be True or False, got .*'False'.*normalize=False"
    ):
        plot_confusion_matrix(torch.eye(2), ["a", "b"], normalize="False")  # type: ignore[arg-type]
    assert plt.get_fignums() == []  # refused before any figure is made


def test_class_names_with_dollars_are_drawn_as_written_not_as_mathtext(tmp_path: Path) -> None:
    """A class named 'costs $5 to $10' lost its dollars to mathtext; '$\\frac$' raised
    matplotlib's ParseSyntaxException."""
    import matplotlib

    names = ["costs $5 to $10", "$\\frac$"]
    out = tmp_path / "c.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # texts kept as text in the SVG
        plot_confusion_matrix(torch.eye(2, dtype=torch.long), names, out=out)
    assert [
        t for t in svg_texts(out) if "$" in t
    ] == names * 2  # the x axis's ticks, then the y axis's


def test_make_folder_must_be_a_bool(tmp_path: Path) -> None:
    """make_folder='False' was true: the missing folder was made; it is refused before drawing."""
    out = tmp_path / "gone" / "confusion.png"
    with pytest.raises(UsageTypeError) as info:
        plot_confusion_matrix(torch.eye(2), ["a", "b"], out=out, make_folder="False")  # type: ignore[arg-type]
    assert str(info.value) == (
        "make_folder must be True or False, got 'False'; pass make_folder=True or make_folder=False"
    )
    assert list(tmp_path.iterdir()) == [] and plt.get_fignums() == []


def test_a_confusion_figure_into_a_runs_folder_is_refused(tmp_path: Path) -> None:
    """plot_confusion_matrix(..., out="runs/r1/confusion.png") silently wrote over a finished
    run's own figure; refused with one line as ln.predict refuses it. The run's own drawing (through
    as_runs_own, as linearnets softmax and its resume draw it) still writes it."""
    run = tmp_path / "r1"
    run.mkdir()
    (run / "config.json").write_text('{"config": {"epochs": 3}}')
    (run / "confusion.png").write_bytes(b"the run's")
    offered = tmp_path / "r1-confusion.png"
    message = (
        f"out {run / 'confusion.png'} is confusion.png, which the run in {run} writes: a figure "
        "written there would pass for the run's; pass out a file outside the run folder, e.g. "
        f"out={str(offered)!r}"
    )
    with pytest.raises(UsageError, match="^" + re.escape(message) + "$"):
        plot_confusion_matrix(torch.eye(2), ["a", "b"], out=run / "confusion.png")
    assert (run / "confusion.png").read_bytes() == b"the run's"
    with pytest.raises(UsageError, match=r"^out .*curves\.svg is curves\.svg, which the run"):
        plot_confusion_matrix(torch.eye(2), ["a", "b"], out=run / "curves.svg")
    plot_confusion_matrix(torch.eye(2), ["a", "b"], out=offered)  # beside the run: drawn
    assert offered.read_bytes().startswith(b"\x89PNG")
    as_runs_own(plot_confusion_matrix)(torch.eye(2), ["a", "b"], out=run / "confusion.png")
    assert (run / "confusion.png").read_bytes().startswith(b"\x89PNG")


def test_a_confusion_figure_into_a_linreg_runs_folder_is_not_refused(tmp_path: Path) -> None:
    """A linear-regression run draws no confusion.png: one of yours in its folder was refused as
    "confusion.png, which the run in lr1 writes"."""
    run = tmp_path / "lr1"
    run.mkdir()
    (run / "config.json").write_text('{"task": "linreg", "config": {"epochs": 3}}')
    plot_confusion_matrix(torch.eye(2), ["a", "b"], out=run / "confusion.png")
    assert (run / "confusion.png").read_bytes().startswith(b"\x89PNG")
