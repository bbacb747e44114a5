"""Tests of linearnets.plotting.images: image grids, predictions, their bad input."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from PIL import Image

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting import (
    plot_predictions,
    show_images,
)
from linearnets.plotting._runs_own import as_runs_own
from linearnets.plotting.images import MISTAKE_COLOR

from .conftest import svg_texts


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


def _grid_inputs() -> list[Any]:
    gen = torch.Generator().manual_seed(0)
    batch = torch.rand(6, 5, 4, generator=gen)  # (N, H, W)
    return [
        pytest.param(batch, batch, id="float (N,H,W)"),
        pytest.param(batch[:, None], batch, id="float (N,1,H,W)"),
        pytest.param((batch * 255).to(torch.uint8), (batch * 255).to(torch.uint8), id="uint8"),
        pytest.param(list(batch), batch, id="list of tensors"),
        pytest.param(batch.to(torch.bfloat16), batch.to(torch.bfloat16).float(), id="bfloat16"),
        pytest.param([img.numpy() for img in batch[:, None]], batch, id="list of (1,H,W) arrays"),
        pytest.param(
            [Image.fromarray((img * 255).to(torch.uint8).numpy()) for img in batch],
            (batch * 255).to(torch.uint8),
            id="PIL images",
        ),
    ]


@pytest.mark.parametrize(("imgs", "expected"), _grid_inputs())
def test_show_images_draws_each_image_with_its_title(imgs: Any, expected: torch.Tensor) -> None:
    titles = [f"img {i}" for i in range(6)]
    axes = show_images(imgs, 2, 3, titles=titles)
    assert len(axes) == 6
    assert [ax.get_title() for ax in axes] == titles
    for ax, img in zip(axes, expected, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.numpy())


def test_show_images_draws_only_the_images_that_exist() -> None:
    axes = show_images(torch.rand(3, 4, 4), 2, 3)
    assert len(axes) == 6
    assert [len(ax.images) for ax in axes] == [1, 1, 1, 0, 0, 0]
    assert not axes[5].axison  # empty cells show nothing
    axes = show_images(torch.rand(10, 4, 4), 1, 2)  # more images than cells: the first ones
    assert [len(ax.images) for ax in axes] == [1, 1]


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_show_images_saves_png_and_svg(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / "sub" / f"grid{suffix}"
    axes = show_images(torch.rand(18, 28, 28), 2, 9, titles=list("abcdefghijklmnopqr"), out=out)
    assert len(axes) == 18
    assert plt.get_fignums() == []  # headless and saved: pyplot keeps nothing
    assert _no_temp_files(out.parent)
    if suffix == ".png":
        with Image.open(out) as image:
            assert image.format == "PNG"
            width, height = image.size
        assert 500 < width < 2500 and 150 < height < 800 and width > 2 * height  # 9 x 2 cells
    else:
        text = out.read_text()
        assert text.lstrip().startswith("<?xml") and "<svg" in text and "</svg>" in text


def test_show_images_without_out_stays_in_pyplot() -> None:
    axes = show_images(torch.rand(2, 4, 4), 1, 2)
    assert plt.get_fignums() == [axes[0].figure.number]


def test_plot_predictions_titles_true_then_predicted_and_marks_mistakes(tmp_path: Path) -> None:
    true = ["shirt", "bag", "boot", "coat"]
    pred = ["shirt", "sandal", "boot", "pullover"]
    out = tmp_path / "pred.png"
    axes = plot_predictions(torch.rand(4, 1, 8, 8), true, pred, out=out, n=3)
    assert [ax.get_title() for ax in axes] == ["shirt\nshirt", "bag\nsandal", "boot\nboot"]
    red = to_rgba(MISTAKE_COLOR)
    assert [to_rgba(ax.title.get_color()) == red for ax in axes] == [False, True, False]
    with Image.open(out) as image:
        assert image.format == "PNG"


def test_plot_predictions_wraps_num_cols_a_row_each_title_clear_of_the_images_above() -> None:
    """num_cols=3 draws 7 images as rows of 3, 3 and 1, in order (the last row's empty cells
    hidden), and each title of a lower row stays below the images of the row above: the book's
    single row of 100 images (the -n bound) was an unreadable strip 11,645 pixels wide."""
    images = torch.rand(7, 8, 8, generator=torch.Generator().manual_seed(0))
    true, pred = list("abcdefg"), list("abcxefy")
    axes = plot_predictions(images, true, pred, num_cols=3)
    assert len(axes) == 7
    assert [
        (ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in axes
    ] == [(i // 3, i % 3) for i in range(7)]
    for ax, img, t, p in zip(axes, images, true, pred, strict=True):
        np.testing.assert_array_equal(ax.get_images()[0].get_array(), img.numpy())
        assert ax.get_title() == f"{t}\n{p}"
        assert (to_rgba(ax.title.get_color()) == to_rgba(MISTAKE_COLOR)) == (t != p)
    fig = axes[0].figure
    assert [ax.axison for ax in fig.axes[7:]] == [False, False]  # cells of the last row
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for i in range(3, 7):  # the image above, in the row before
        title_box = axes[i].title.get_window_extent(renderer)
        assert title_box.y1 < axes[i - 3].get_window_extent(renderer).y0
    one_row = plot_predictions(images, true, pred)  # the book's layout by default
    assert {ax.get_subplotspec().rowspan.start for ax in one_row} == {0}


def test_plot_predictions_accepts_class_indices() -> None:
    axes = plot_predictions(torch.rand(2, 8, 8), torch.tensor([3, 1]), torch.tensor([3, 2]))
    assert [ax.get_title() for ax in axes] == ["3\n3", "1\n2"]


def test_plot_predictions_takes_generators_as_show_images_does() -> None:
    """Images (or labels) from a generator failed in len() with a bare TypeError, though the
    docstring takes what show_images takes, generators included."""
    batch = torch.rand(3, 8, 8, generator=torch.Generator().manual_seed(0))
    axes = plot_predictions((x for x in batch), (y for y in [3, 1, 2]), iter([3, 2, 2]), n=2)
    assert [ax.get_title() for ax in axes] == ["3\n3", "1\n2"]
    np.testing.assert_array_equal(axes[1].get_images()[0].get_array(), batch[1].numpy())
    plt.close(axes[0].figure)


def test_channels_last_tensors_are_drawn_as_images() -> None:
    rgb = torch.rand(2, 28, 20, 3)  # (N, H, W, C), as the book would pass to imshow
    axes = show_images(rgb, 1, 2)
    assert axes[0].images[0].get_array().shape == (28, 20, 3)
    assert np.allclose(axes[1].images[0].get_array(), rgb[1].numpy())
    axes = show_images(rgb.permute(0, 3, 1, 2), 1, 2)  # (N, C, H, W): the same pictures
    assert np.allclose(axes[1].images[0].get_array(), rgb[1].numpy())
    plt.close("all")


def test_show_images_takes_titles_from_any_iterable() -> None:
    axes = show_images(torch.rand(6, 4, 4), 2, 3, titles=(str(i) for i in range(6)))
    assert [ax.get_title() for ax in axes] == ["0", "1", "2", "3", "4", "5"]
    axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=itertools.count(7))  # read 2, not forever
    assert [ax.get_title() for ax in axes] == ["7", "8"]
    axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=torch.tensor([3, 9]))
    assert [ax.get_title() for ax in axes] == ["3", "9"]  # not "tensor(3)"


def book_show_images(imgs: Any, num_rows: int, num_cols: int, titles: Any = None) -> Any:
    """The book's show_images (D2L §3.5.1), written out: the oracle."""
    _, axes = plt.subplots(num_rows, num_cols, figsize=(num_cols * 1.5, num_rows * 1.5))
    axes = axes.flatten()
    for i, (ax, img) in enumerate(zip(axes, imgs, strict=False)):
        ax.imshow(img.numpy() if torch.is_tensor(img) else img)
        if titles:
            ax.set_title(titles[i])
    return axes


@pytest.mark.parametrize(
    "empty", [[], (), np.array([]), torch.tensor([])], ids=["list", "tuple", "array", "tensor"]
)
def test_empty_titles_draw_no_titles_as_the_books_if_titles_does(empty: Any) -> None:
    imgs = torch.rand(4, 28, 28, generator=torch.Generator().manual_seed(5))
    book = [ax.get_title() for ax in book_show_images(imgs, 2, 2, titles=[])]
    axes = show_images(imgs, 2, 2, titles=empty)
    assert [ax.get_title() for ax in axes] == book == ["", "", "", ""]
    assert all(
        np.allclose(ax.images[0].get_array(), img.numpy())
        for ax, img in zip(axes, imgs, strict=True)
    )
    plt.close("all")


def test_titles_in_a_dict_keyed_by_position_are_its_values_as_the_book_reads_them() -> None:
    """The book reads titles[i]: a dict {0: 'bag', 1: 'coat'} titles the images with its values;
    its keys were drawn instead ("0", "1")."""
    imgs = torch.rand(2, 4, 4, generator=torch.Generator().manual_seed(5))
    titles = {1: "coat", 0: "bag"}
    book = [ax.get_title() for ax in book_show_images(imgs, 1, 2, titles=titles)]
    axes = show_images(imgs, 1, 2, titles=titles)
    assert [ax.get_title() for ax in axes] == book == ["bag", "coat"]
    with pytest.raises(UsageError, match=r"^titles must hold a title for each image drawn, read "):
        show_images(imgs, 1, 2, titles={0: "bag", 2: "coat"})
    plt.close("all")


def test_the_api_bound_on_drawn_images_is_the_commands() -> None:
    from linearnets.cli._options import MAX_SHOW as CLI_MAX_SHOW
    from linearnets.plotting.images import MAX_SHOW

    assert MAX_SHOW == CLI_MAX_SHOW == 100
    axes = plot_predictions(torch.rand(100, 2, 2), [0] * 100, [0] * 100)  # the bound itself draws
    assert len(axes) == 100


BAD_INPUT: list[Any] = [
    (lambda: show_images(torch.rand(2, 4, 4), 0, 2), UsageError, r"num_rows must be a positive"),
    (lambda: show_images(torch.rand(2, 4, 4), 1, "2"), UsageTypeError, r"num_cols must be"),
    (lambda: show_images(torch.rand(2, 4, 4), 1, 2, scale=0), UsageError, r"scale must be"),
    (lambda: show_images(torch.rand(3, 4, 4), 1, 3, ["a"]), UsageError, r"titles must hold one"),
    (lambda: show_images(torch.rand(4, 4), 1, 1), UsageError, r"imgs must be a batch"),
    (lambda: show_images([], 1, 1), UsageError, r"at least one image"),
    (lambda: show_images([torch.rand(2, 2, 4, 4)], 1, 1), UsageError, r"imgs\[0\] must be"),
    (lambda: show_images(torch.rand(1, 4, 4), 1, 1, out="a.jpg"), UsageError, r"out must end"),
    (lambda: plot_predictions(torch.rand(2, 4, 4), ["a"], ["a", "b"]), UsageError, "same length"),
    (lambda: plot_predictions(torch.rand(1, 4, 4), [1], [1], n=2), UsageError, r"n must be at"),
    (
        lambda: plot_predictions(torch.rand(2, 4, 4), [1] * 2, [1] * 2, num_cols=0),
        UsageError,
        r"num_cols must be a positive integer",
    ),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


_PAIRS = torch.utils.data.TensorDataset(torch.rand(3, 1, 4, 4), torch.tensor([7, 1, 2]))

BOUNDARY_INPUT: list[Any] = [
    (lambda: show_images([_PAIRS[i] for i in range(3)], 1, 3), UsageTypeError, r"imgs\[0\] must be an image, got an \(image, label\) pair \(label 7\), as a dataset's items are; pass the images alone, e\.g\. \[img for img, label in examples\]$"),
    (lambda: show_images(_PAIRS, 1, 3), UsageTypeError, r"imgs must be a tensor, an array or a list of images, got a dataset \(TensorDataset\), whose items are \(image, label\) pairs; pass a batch of its images, e\.g\. X from X, y = next\(iter\(data\.DataLoader\(dataset, batch_size=18\)\)\)$"),
    (lambda: show_images([None], 1, 1), UsageTypeError, r"imgs\[0\] must be an image \(a tensor, an array or a PIL image\), got None; pass e\.g\. a tensor \(H, W\) of pixel values$"),
    (lambda: show_images([[[1, 2], [3]]], 1, 1), UsageTypeError, r"imgs\[0\] must be an image .*got \[\[1, 2\], \[3\]\]"),
    (lambda: plot_predictions([_PAIRS[0]], [7], [7]), UsageTypeError, r"images\[0\] must be an image, got an \(image, label\) pair"),
    (lambda: show_images(torch.rand(2, 4, 4, dtype=torch.complex64), 1, 2), UsageTypeError, r"imgs\[0\] must hold real pixel values .*got dtype torch\.complex64"),
    (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=3), UsageTypeError, r"titles must be an iterable of titles, one per image, got 3"),
    (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles="ab"), UsageTypeError, r"titles must be a sequence of titles, one per image, got the string 'ab'"),
    (lambda: plot_predictions(torch.rand(101, 4, 4), ["a"] * 101, ["a"] * 101), UsageError, r"images must be at most 100 \(linearnets\.plotting\.images\.MAX_SHOW\) when n is not given, got 101; pass e\.g\. n=6"),
    (lambda: plot_predictions(torch.rand(2, 4, 4), ["a"] * 2, ["a"] * 2, n=0), UsageError, r"n must be a positive integer \(>= 1\), got 0; pass e\.g\. n=1$"),
    (lambda: plot_predictions(torch.rand(200, 4, 4), ["a"] * 200, ["a"] * 200, n=150), UsageError, r"n must be an integer in \[1, 100\], got 150"),
    # rows of several values: matplotlib's "a Tensor with 2 elements cannot be converted to Scalar"
    (lambda: show_images(torch.rand(6, 4, 4), 2, 3, titles=torch.rand(6, 2)), UsageError, r"^titles must be labels \(N,\) or \(N, 1\), one per row, got a tensor of shape \(6, 2\), whose rows hold 2 values; pass titles\.argmax\(dim=1\) for one-hot labels or class scores"),
    (lambda: show_images(torch.rand(6, 4, 4), 2, 3, titles=[np.array([1, 2])] * 6), UsageError, r"^titles\[0\] must be one title, got a ndarray of shape \(2,\); .*np\.stack\(rows\)\.argmax\(axis=1\)"),
    (lambda: plot_predictions(torch.rand(6, 4, 4), torch.arange(6), torch.rand(6, 10)), UsageError, r"^pred_labels must be class indices \(N,\) or \(N, 1\), one per row, got a tensor of shape \(6, 10\), whose rows hold 10 values; pass pred_labels\.argmax\(dim=1\)"),
    (lambda: plot_predictions(torch.rand(6, 4, 4), torch.eye(6), torch.arange(6)), UsageError, r"^true_labels must be class indices .*got a tensor of shape \(6, 6\).*pass true_labels\.argmax\(dim=1\)"),
    (lambda: plot_predictions(torch.rand(2, 4, 4), [torch.rand(3)] * 2, [0, 1]), UsageError, r"^true_labels\[0\] must be one label, got a Tensor of shape \(3,\)"),
    # no images (X[pred != y] of a model without mistakes): "n must be ... got 0; pass e.g. n=1"
    (lambda: plot_predictions(torch.rand(0, 4, 4), [], []), UsageError, r"^images must hold at least one image, got none: there is nothing to draw \(as with the mistakes X\[pred != y\] of a model that makes none\)"),
    (lambda: plot_predictions(torch.rand(28, 28), ["a"], ["b"]), UsageError, r"^images must be a batch of images \(N, H, W\) or \(N, C, H, W\), got shape \(28, 28\); for one image of 28×28 pixels pass images\[None\]$"),
    # a loader's batch [X, y]: "imgs[0] must be an image ... pass a batch as (N, H, W) ..."
    (lambda: show_images([torch.rand(18, 1, 4, 4), torch.arange(18)], 2, 9), UsageTypeError, r"^imgs must be images, got a batch's \[X, y\] pair \(X of shape \(18, 1, 4, 4\), y of shape \(18,\)\), as next\(iter\(train_iter\)\) gives; pass X alone \(the batch's images\), e\.g\. X, y = next\(iter\(train_iter\)\), then show_images\(X, \.\.\.\)$"),
    (lambda: plot_predictions((torch.rand(2, 4, 4), torch.arange(2)), [0, 1], [0, 1]), UsageTypeError, r"^images must be images, got a batch's \[X, y\] pair .*then pass images=X$"),
    # y as a list (y.tolist()) or a column (N, 1): "pass a batch as ...", or "same length, got 2, 18 and 18"
    (lambda: show_images([torch.rand(18, 1, 4, 4), list(range(18))], 2, 9), UsageTypeError, r"^imgs must be images, got a batch's \[X, y\] pair \(X of shape \(18, 1, 4, 4\), y a list of 18 labels\), as next\(iter\(train_iter\)\) gives; pass X alone .*then show_images\(X, \.\.\.\)$"),
    (lambda: plot_predictions([torch.rand(18, 4, 4), list(range(18))], list(range(18)), list(range(18))), UsageTypeError, r"^images must be images, got a batch's \[X, y\] pair \(X of shape \(18, 4, 4\), y a list of 18 labels\), .*then pass images=X$"),
    (lambda: show_images((torch.rand(18, 4, 4), torch.arange(18)[:, None]), 2, 9), UsageTypeError, r"^imgs must be images, got a batch's \[X, y\] pair \(X of shape \(18, 4, 4\), y of shape \(18, 1\)\), "),
    (lambda: show_images([np.random.rand(18, 4, 4), tuple(np.arange(18.0).tolist())], 2, 9), UsageTypeError, r"^imgs must be images, got a batch's \[X, y\] pair \(X of shape \(18, 4, 4\), y a tuple of 18 labels\), "),
    # y as list(y), 0-d tensors or arrays: "same length, got 2, 18 and 18", or "imgs[0] must be an image"
    (lambda: plot_predictions([torch.rand(18, 1, 4, 4), list(torch.arange(18) % 10)], torch.arange(18) % 10, torch.arange(18) % 10), UsageTypeError, r"^images must be images, got a batch's \[X, y\] pair \(X of shape \(18, 1, 4, 4\), y a list of 18 labels\), .*then pass images=X$"),
    (lambda: show_images([torch.rand(18, 1, 4, 4), list(torch.arange(18))], 2, 9), UsageTypeError, r"^imgs must be images, got a batch's \[X, y\] pair \(X of shape \(18, 1, 4, 4\), y a list of 18 labels\), .*then show_images\(X, \.\.\.\)$"),
    (lambda: show_images([np.random.rand(18, 4, 4), [np.array(i) for i in range(18)]], 2, 9), UsageTypeError, r"^imgs must be images, got a batch's \[X, y\] pair \(X of shape \(18, 4, 4\), y a list of 18 labels\), "),
    # beside one image (H, W), a column or a list is no batch's labels: each is an item, checked
    (lambda: show_images([torch.rand(3, 3), [0.1, 0.2, 0.3]], 1, 2), UsageError, r"^imgs\[1\] must be an image \(H, W\), .*got shape \(3,\); pass a batch as"),
    (lambda: plot_predictions(torch.rand(1, 4, 4), ["ankle boot"], torch.tensor([9])), UsageTypeError, r"^true_labels and pred_labels must be of one kind, both names or both class indices, got true_labels\[0\] = 'ankle boot', a name, and pred_labels\[0\] = 9, a class index; pass both as names, e\.g\. pred_labels=get_fashion_mnist_labels\(pred_labels\)"),
    (lambda: plot_predictions(torch.rand(1, 4, 4), [9.0], ["ankle boot"]), UsageTypeError, r"got pred_labels\[0\] = 'ankle boot', a name, and true_labels\[0\] = 9\.0, a class index; .*true_labels=get_fashion_mnist_labels\(true_labels\)"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), BOUNDARY_INPUT)
def test_inputs_are_checked_before_matplotlib_sees_them(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- layouts, settings and more checks


def test_a_3d_image_is_read_as_show_images_docstring_says() -> None:
    """Its first side 1, or 3 or 4 with a last side not 1, 3 or 4: (C, H, W), an array too."""
    assert "(an array (3, 28, 28) too)" in " ".join((show_images.__doc__ or "").split())
    img = np.random.default_rng(0).random((3, 28, 28))
    (ax,) = show_images([img], 1, 1)
    np.testing.assert_array_equal(ax.images[0].get_array(), np.moveaxis(img, 0, -1))


def test_an_ambiguous_3d_image_is_channels_first_for_a_tensor_and_last_for_an_array() -> None:
    img = torch.rand(3, 4, 3)  # (C, H, W) or (H, W, C): both ends hold a channel count
    (ax,) = show_images([img], 1, 1)
    np.testing.assert_array_equal(ax.images[0].get_array(), img.permute(1, 2, 0).numpy())
    (ax,) = show_images([img.numpy()], 1, 1)  # NumPy and PIL images are (H, W, C)
    np.testing.assert_array_equal(ax.images[0].get_array(), img.numpy())


@pytest.mark.parametrize("mode", ["P", "CMYK", "YCbCr", "LA", "1", "F", "RGB", "L"])
def test_a_pil_image_of_any_mode_shows_as_imshow_shows_it(mode: str) -> None:
    # the book's show_images hands PIL images to imshow, which converts a palette, CMYK, grey with
    # alpha, ... to RGBA: its colours, not palette indices or raw ink values through a colormap
    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (5, 4, 3), dtype=np.uint8), "RGB").convert(mode)
    expected = plt.figure().subplots().imshow(img).get_array()
    axes = show_images([img], 1, 1)
    np.testing.assert_array_equal(axes[0].images[0].get_array(), expected)
    axes = plot_predictions([img], ["a"], ["b"])
    np.testing.assert_array_equal(axes[0].images[0].get_array(), expected)


def test_a_pil_image_one_row_high_is_channels_last() -> None:
    img = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(1, 4, 3), "RGB")
    (ax,) = show_images([img], 1, 1)
    np.testing.assert_array_equal(ax.images[0].get_array(), np.asarray(img))


def test_a_pil_image_matplotlib_cannot_convert_is_named() -> None:
    img = Image.new("LA", (4, 4)).convert("La")
    with pytest.raises(
        UsageError, match=r"imgs\[1\] must be a PIL image .*mode 'La'.*convert\('LA'\)"
    ):
        show_images([Image.new("L", (4, 4)), img], 1, 2)


def test_only_the_images_drawn_are_read() -> None:
    axes = show_images([torch.rand(4, 4), "not an image"], 1, 1)
    assert len(axes) == 1 and len(axes[0].images) == 1


def test_show_images_applies_the_colormap_and_hides_the_ticks() -> None:
    (ax,) = show_images(torch.rand(1, 4, 4), 1, 1, cmap="gray")
    assert ax.images[0].get_cmap().name == "gray"
    assert not ax.xaxis.get_visible() and not ax.yaxis.get_visible()
    axes = plot_predictions(torch.rand(1, 4, 4), [0], [1], cmap="gray")
    assert axes[0].images[0].get_cmap().name == "gray"


def test_show_images_takes_a_colormap_object() -> None:
    blues = plt.get_cmap("Blues")
    (ax,) = show_images(torch.rand(1, 4, 4), 1, 1, cmap=blues)
    assert ax.images[0].get_cmap().name == "Blues"


@pytest.mark.parametrize(
    ("cmap", "error", "match"),
    [
        ("virdis", UsageError, r"cmap must name a colormap .*got 'virdis'; did you mean 'viridis'"),
        ("zzzzzz", UsageError, r"got 'zzzzzz'; pass e\.g\. 'gray'"),
        (5, UsageTypeError, r"cmap must be a colormap's name or a matplotlib Colormap, got int 5"),
    ],
)
@pytest.mark.parametrize("draw", ["show_images", "plot_predictions"])
def test_a_bad_colormap_is_refused_before_any_figure(
    cmap: Any, error: type[Exception], match: str, draw: str
) -> None:
    before = plt.get_fignums()
    with pytest.raises(error, match=match):
        if draw == "show_images":
            show_images(torch.rand(1, 4, 4), 1, 1, cmap=cmap)
        else:
            plot_predictions(torch.rand(1, 4, 4), [0], [1], cmap=cmap)
    assert plt.get_fignums() == before  # no half-made figure left open in pyplot


def test_mistakes_are_titled_in_red() -> None:
    axes = plot_predictions(torch.rand(2, 4, 4), ["bag", "coat"], ["bag", "shirt"])
    right, wrong = (to_rgba(ax.title.get_color()) for ax in axes)
    assert wrong[0] > 0.6 and wrong[1] < 0.4 and wrong[2] < 0.4  # red dominates
    assert right[:3] != wrong[:3]


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: show_images(5, 1, 1),
            UsageTypeError,
            r"imgs must be a tensor, an array or a list",
        ),
        (
            lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=torch.tensor(3)),
            UsageTypeError,
            r"titles must be an iterable of titles, one per image, got tensor\(3\)",
        ),
        (
            lambda: show_images(torch.rand(3, 4, 4), 1, 3, titles=["a", "b"]),
            UsageError,
            r"titles must hold one title per image drawn \(3\), got 2",
        ),
        (
            lambda: plot_predictions(torch.rand(2, 4, 4), ["a", "b"], ["a"]),
            UsageError,
            r"images, true_labels and pred_labels must have the same length, got 2, 2 and 1",
        ),
    ],
    ids=["number", "0-d titles", "titles short by one", "pred_labels short"],
)
def test_more_bad_image_input(call: Callable[[], Any], error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()


def test_in_a_notebook_a_saved_figure_still_shows_inline(
    tmp_path: Path, fake_notebook: list[tuple[Any, ...]]
) -> None:
    axes = show_images(torch.rand(1, 4, 4), 1, 1, out=tmp_path / "grid.png")
    assert axes[0].figure.number in plt.get_fignums()  # pyplot shows it at the cell's end
    axes = plot_predictions(torch.rand(1, 4, 4), [0], [0], out=tmp_path / "pred.png")
    assert axes[0].figure.number in plt.get_fignums()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.png", "pred.png"]


def test_show_images_grid_is_rows_by_cols_in_reading_order_at_scale_inches_a_cell() -> None:
    imgs = torch.arange(5 * 4, dtype=torch.float32).reshape(5, 2, 2)  # five distinct images
    axes = show_images(imgs, 2, 3, scale=2.0)
    fig = axes[0].figure
    assert tuple(fig.get_size_inches()) == (6.0, 4.0)  # (cols, rows) x scale
    assert fig.axes == list(axes)  # one figure, nothing but the grid's cells
    cells = [
        (ax.get_subplotspec().rowspan.start, ax.get_subplotspec().colspan.start) for ax in axes
    ]
    assert cells == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]  # row by row
    assert all(ax.get_subplotspec().get_geometry()[:2] == (2, 3) for ax in axes)
    for ax, img in zip(axes[:5], imgs, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.numpy())
        assert ax.axison and not ax.xaxis.get_visible() and not ax.yaxis.get_visible()
    assert (
        not axes[5].axison and len(axes[5].images) == 0
    )  # the empty cell draws no frame, no ticks


def test_plot_predictions_is_one_row_of_one_and_a_half_inch_cells() -> None:
    axes = plot_predictions(torch.rand(4, 3, 3), [0, 1, 2, 3], [0, 1, 2, 0])
    assert tuple(axes[0].figure.get_size_inches()) == (6.0, 1.5)  # the book's scale=1.5
    assert all(ax.get_subplotspec().get_geometry()[:2] == (1, 4) for ax in axes)


# ---------------------------------------------------------------- flattened batches, huge grids


def test_a_flattened_batch_is_told_to_reshape_and_the_fix_draws_its_images() -> None:
    batch = torch.rand(3, 4, 4, generator=torch.Generator().manual_seed(1))
    flat = batch.reshape(3, 16)  # what a model takes as input
    with pytest.raises(
        UsageError,
        match=r"^imgs must be a batch of images \(N, H, W\) or \(N, C, H, W\), got shape \(3, 16\); "
        r"if it holds 3 flattened images of 4×4 pixels \(a model's input\), pass "
        r"imgs\.reshape\(-1, 4, 4\); if it is one image of 3×16 pixels, pass imgs\[None\]$",
    ):
        show_images(flat, 1, 3)
    axes = show_images(flat.reshape(-1, 4, 4), 1, 3)  # the fix: each cell is one original image
    for ax, img in zip(axes, batch, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.numpy())


@pytest.mark.parametrize(
    "layout", [(3, 1, 16), (3, 16, 1), (3, 1, 1, 16)], ids=["(N,1,d)", "(N,d,1)", "(N,1,1,d)"]
)
def test_flattened_images_with_axes_of_one_are_told_to_reshape_not_drawn_as_strips(
    layout: tuple[int, ...],
) -> None:
    """(3, 1, 16) is (N, H, W) by its rank, and was drawn as 3 strips 1×16 pixels, unsaid; it may
    hold strips, so the flattened images are an "if", and strips are drawn from a list."""
    batch = torch.rand(3, 4, 4, generator=torch.Generator().manual_seed(2))
    flat = batch.reshape(layout)
    strip = (16, 1) if layout == (3, 16, 1) else (1, 16)
    message = (
        f"imgs must be a batch of images (N, H, W) or (N, C, H, W), got shape {layout}; if it "
        "holds 3 flattened images of 4×4 pixels (a model's input), pass imgs.reshape(-1, 4, 4); "
        f"to draw them as strips of {strip[0]}×{strip[1]} pixels, pass them as a list: list(imgs)"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        show_images(flat, 1, 3)
    axes = show_images(flat.reshape(-1, 4, 4), 1, 3)  # the fix: each cell is one original image
    for ax, img in zip(axes, batch, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.numpy())
    axes = show_images(list(flat), 1, 3)  # the other fix: each cell is a strip of its pixels
    for ax, img in zip(axes, batch, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.reshape(strip))


@pytest.mark.parametrize("channels", [3, 4])
def test_images_of_one_pixel_in_colour_are_drawn_not_refused_as_flattened(channels: int) -> None:
    """(6, 4, 1, 1), RGBA images of one pixel, was refused as "6 flattened images of 2×2 pixels":
    its one size other than 1 is its channels, no row of pixels."""
    imgs = torch.rand(6, channels, 1, 1, generator=torch.Generator().manual_seed(4))
    axes = show_images(imgs, 2, 3)
    for ax, img in zip(axes, imgs, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.reshape(1, 1, -1))


def test_a_batch_whose_last_side_of_four_may_be_channels_is_drawn_as_before() -> None:
    """(6, 1, 1, 4), channels-last RGBA of one pixel or strips, was refused as flattened 2×2
    images; it is drawn as it was, each image's leading 1 its one channel: strips of 1×4."""
    strips = torch.rand(6, 1, 1, 4, generator=torch.Generator().manual_seed(4))
    axes = show_images(strips, 2, 3)
    for ax, img in zip(axes, strips, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.reshape(1, 4))


def test_a_stack_of_batches_of_flattened_images_is_told_to_reshape_them_not_cut_channels() -> None:
    """(2, 9, 1, 784) was told "imgs[0] ... has 9 channels ... pass imgs[:, :1]", which gave
    (2, 1, 1, 784), told reshape(-1, 28, 28): 2 of its 18 images."""
    batch = torch.rand(18, 4, 4, generator=torch.Generator().manual_seed(5))
    stack = batch.reshape(2, 9, 1, 16)
    message = (
        "imgs must be a batch of images (N, H, W) or (N, C, H, W), got shape (2, 9, 1, 16); if it "
        "holds 18 flattened images of 4×4 pixels (a model's input), pass imgs.reshape(-1, 4, 4)"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        show_images(stack, 2, 9)
    axes = show_images(stack.reshape(-1, 4, 4), 2, 9)  # the fix: all 18, each one original image
    for ax, img in zip(axes, batch, strict=True):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.numpy())


@pytest.mark.parametrize(
    ("shape", "said", "fix"),
    [
        ((6, 1, 1, 4, 5), "6 grey images of 4×5 pixels", "imgs.reshape(-1, 4, 5)"),
        ((2, 3, 1, 4, 5), "6 grey images of 4×5 pixels", "imgs.reshape(-1, 4, 5)"),
        ((2, 3, 3, 4, 5), "6 colour images", "imgs.reshape(-1, 3, 4, 5)"),
        ((2, 3, 4, 5, 3), "6 colour images", "imgs.reshape(-1, 4, 5, 3)"),  # (H, W, C): NumPy's
    ],
    ids=["extra axes of one", "a stack of batches", "a stack in colour", "a stack of arrays"],
)
def test_a_batch_of_five_dimensions_is_told_to_reshape_to_its_trailing_images(
    shape: tuple[int, ...], said: str, fix: str
) -> None:
    """(18, 1, 1, 28, 28) was refused with no fix at all."""
    imgs = np.random.default_rng(3).random(shape)
    message = (
        f"imgs must be a batch of images (N, H, W) or (N, C, H, W), got shape {shape}; if it "
        f"holds {said}, pass {fix}"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        show_images(imgs, 2, 3)
    axes = show_images(eval(fix, {"imgs": imgs}), 2, 3)  # the fix draws 6 images of 4×5
    assert [ax.images[0].get_array().shape[:2] for ax in axes] == [(4, 5)] * 6


@pytest.mark.parametrize(
    ("shape", "said"),
    [((2, 9, 28, 28, 1), "18 grey images"), ((1, 1, 28, 28, 1), "1 grey image")],
    ids=["a stack of batches", "one image"],
)
def test_a_stack_of_channels_last_grey_images_is_told_to_reshape_to_them(
    shape: tuple[int, ...], said: str
) -> None:
    """(2, 9, 28, 28, 1), grey images (H, W, 1) in a stack of batches, was refused with no fix."""
    imgs = torch.rand(shape, generator=torch.Generator().manual_seed(6))
    message = (
        f"imgs must be a batch of images (N, H, W) or (N, C, H, W), got shape {shape}; if it "
        f"holds {said} of 28×28 pixels, pass imgs.reshape(-1, 28, 28)"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        show_images(imgs, 2, 3)
    axes = show_images(imgs.reshape(-1, 28, 28), 2, 3)  # the fix: each cell one image, in order
    images = [imgs[b, n, :, :, 0] for b in range(shape[0]) for n in range(shape[1])]
    for ax, img in zip(axes, images[:6], strict=False):
        np.testing.assert_array_equal(np.asarray(ax.images[0].get_array()), img.numpy())
    assert len([ax for ax in axes if ax.images]) == min(len(images), 6)


def test_n_past_the_images_is_told_the_most_it_may_be() -> None:
    message = (
        "n must be at most the number of images (6), got 10; pass n=6 or fewer, or more images "
        "(with their true_labels and pred_labels)"
    )
    with pytest.raises(UsageError, match=f"^{re.escape(message)}$"):
        plot_predictions(torch.rand(6, 4, 4), [0] * 6, [1] * 6, n=10)
    assert len(plot_predictions(torch.rand(6, 4, 4), [0] * 6, [1] * 6, n=6)) == 6


def test_a_2d_image_that_cannot_be_flattened_squares_is_told_to_add_the_batch_axis() -> None:
    with pytest.raises(
        UsageError, match=r"got shape \(4, 5\); for one image of 4×5 pixels pass imgs\[None\]$"
    ):
        show_images(torch.rand(4, 5), 1, 1)


def test_plot_predictions_names_its_own_parameter() -> None:
    with pytest.raises(
        UsageError, match=r"^images must be a batch .*pass images\.reshape\(-1, 4, 4\)"
    ):
        plot_predictions(torch.rand(2, 16), [0, 1], [0, 1])
    with pytest.raises(UsageError, match=r"^images\[0\] must be an image"):
        plot_predictions([torch.rand(2, 2, 4, 4)], [0], [0])


def test_a_grid_of_the_image_size_is_refused_with_a_grid_that_fits() -> None:
    """The learner's mix-up: the images' 28×28 passed as the grid's shape (784 cells, ~13 s)."""
    images = torch.rand(18, 28, 28)
    with pytest.raises(
        UsageError,
        match=r"^num_rows and num_cols must make a grid of at most 400 cells \(4 × "
        r"linearnets\.plotting\.images\.MAX_SHOW\), got num_rows=28, num_cols=28 \(they shape the "
        r"grid, not each image: the images are 28×28 already\): 784 cells for 18 images; pass a "
        r"grid that fits them, e.g\. num_rows=2, num_cols=9$",
    ):
        show_images(images, 28, 28)
    assert len(show_images(images, 2, 9)) == 18  # the fix, which is the book's grid


def test_the_cell_bound_itself_draws(monkeypatch: pytest.MonkeyPatch) -> None:
    from linearnets.plotting import _image_args, images

    assert images.MAX_CELLS == 4 * images.MAX_SHOW == 400
    monkeypatch.setattr(_image_args, "MAX_CELLS", 6)  # 400 axes take seconds to draw
    assert len(show_images(torch.rand(6, 2, 2), 2, 3)) == 6
    with pytest.raises(UsageError, match=r"got num_rows=1, num_cols=7: 7 cells for 6 images"):
        show_images(torch.rand(6, 2, 2), 1, 7)


def test_a_figure_too_large_to_render_is_refused_with_the_largest_scale_that_fits() -> None:
    import matplotlib

    images = torch.rand(18, 4, 4)
    with matplotlib.rc_context({"figure.dpi": 100, "savefig.dpi": "figure"}):
        # by hand: 2 × 9 cells of s inches at 100 dpi hold 18 × (100 s)² pixels <= 10**8 when
        # s <= sqrt(10**8 / 18) / 100 = 23.57..., and 9 × 100 s <= 65535 when s <= 72.8
        with pytest.raises(
            UsageError,
            match=r"^num_rows, num_cols and scale must keep the figure within 65,535 pixels a side "
            r"and 100,000,000 in all, got num_rows=2, num_cols=9, scale=1000: a 9000×2000-inch "
            r"figure of 900,000×200,000 pixels at 100 dpi; lower scale to 23\.57 or less",
        ):
            show_images(images, 2, 9, scale=1000)
        assert len(show_images(images, 2, 9, scale=23.57)) == 18  # not rendered: cheap
        with pytest.raises(UsageError, match=r"scale=23\.58"):
            show_images(images, 2, 9, scale=23.58)
        # one row past Agg's 2**16 pixels a side (70,000), though under 10**8 in all (49 million):
        # 100 × 100 s <= 65535 when s <= 6.5535
        with pytest.raises(
            UsageError,
            match=r"num_cols=100, scale=7: .* of 70,000×700 pixels .*; lower scale to 6\.55 or",
        ):
            show_images(images, 1, 100, scale=7)
        assert len(show_images(images, 2, 9)) == 18  # the book's scale=1.5


def test_out_in_the_home_folder_is_written_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    show_images(torch.rand(1, 4, 4), 1, 1, out="~/grid.png")
    plot_predictions(torch.rand(1, 4, 4), [0], [0], out="~/pred.png")
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["grid.png", "pred.png"]
    assert list((tmp_path / "work").iterdir()) == []  # no folder literally named "~"


def test_a_boolean_image_is_drawn_as_0_and_1() -> None:
    mask = torch.tensor([[[True, False], [False, True]]])
    axes = show_images(mask, 1, 1)
    drawn = np.asarray(axes.flat[0].images[0].get_array())
    assert drawn.dtype == np.bool_
    assert drawn.astype(int).tolist() == [[1, 0], [0, 1]]


def test_an_example_given_as_a_list_is_named_as_a_pair_too() -> None:
    with pytest.raises(
        UsageTypeError,
        match=r"^imgs\[0\] must be an image, got an \(image, label\) pair \(label 3\), as a "
        r"dataset's items are; pass the images alone, e\.g\. \[img for img, label in examples\]$",
    ):
        show_images([[torch.zeros(4, 4), 3]], 1, 1)


def test_two_numbers_are_a_one_row_array_not_an_image_label_pair() -> None:
    with pytest.raises(
        UsageError,
        match=r"^imgs\[0\] must be an image \(H, W\), \(C, H, W\) or \(H, W, C\) with C of 1, 3 or 4 "
        r"\(grey, RGB, RGBA\), got shape \(2,\); pass a batch as \(N, H, W\) or \(N, C, H, W\)$",
    ):
        show_images([[1.0, 2.0]], 1, 1)


@pytest.mark.parametrize(
    "shape", [(8, 8), (1, 8, 8), (3, 8, 8), (4, 8, 8), (8, 8, 1), (8, 8, 3), (8, 8, 4)]
)
def test_the_refusal_of_a_two_channel_image_lists_every_layout_that_is_drawn(
    shape: tuple[int, ...],
) -> None:
    """A batch of 2-channel images: the message names (C, H, W) and (H, W, C) with C of 1, 3 or 4,
    and each of those is drawn, as a tensor and as an array."""
    with pytest.raises(
        UsageError,
        match=r"^imgs\[0\] must be an image \(H, W\), \(C, H, W\) or \(H, W, C\) with C of 1, 3 or 4 "
        r"\(grey, RGB, RGBA\), got shape \(2, 8, 8\); it has 2 channels \(C, H, W\); ",
    ):
        show_images(torch.rand(2, 2, 8, 8), 1, 2)
    show_images([torch.rand(shape), np.random.default_rng(0).random(shape)], 1, 2)


TWO_CHANNELS = [  # (id, images, the layout and fix named, that fix applied)
    ("tensor batch (N, C, H, W)", torch.rand(2, 2, 28, 28), "(2, 28, 28); it has 2 channels (C, H, W); draw one of them (grey), e.g. pass imgs[:, :1]", lambda x: x[:, :1]),
    ("array batch (N, H, W, C)", np.random.default_rng(0).random((2, 28, 28, 2)), "(28, 28, 2); it has 2 channels (H, W, C); draw one of them (grey), e.g. pass imgs[..., :1]", lambda x: x[..., :1]),
    ("list of arrays (H, W, C)", [np.zeros((28, 28, 2))], "(28, 28, 2); it has 2 channels (H, W, C); draw one of them (grey), e.g. pass [img[..., :1] for img in imgs]", lambda x: [img[..., :1] for img in x]),
    ("list of tensors (C, H, W)", [torch.rand(5, 28, 28)], "(5, 28, 28); it has 5 channels (C, H, W); draw one of them (grey), e.g. pass [img[:1] for img in imgs]", lambda x: [img[:1] for img in x]),
    # feature maps, C not smaller than H: it was told "pass a batch as (N, C, H, W)", which it is
    ("tensor batch of feature maps", torch.rand(2, 64, 28, 28), "(64, 28, 28); it has 64 channels (C, H, W); draw one of them (grey), e.g. pass imgs[:, :1]", lambda x: x[:, :1]),
    ("array batch of feature maps", np.random.default_rng(0).random((2, 28, 28, 64)), "(28, 28, 64); it has 64 channels (H, W, C); draw one of them (grey), e.g. pass imgs[..., :1]", lambda x: x[..., :1]),
]  # fmt: skip


@pytest.mark.parametrize(
    "imgs",
    [
        torch.rand(2, 0, 28, 28),
        np.zeros((2, 28, 28, 0)),
        torch.rand(2, 1, 0, 5),  # (0, 5) once its one channel is dropped: drawn blank, unsaid
        np.zeros((2, 1, 0, 5)),
        torch.rand(2, 0, 5),
    ],
    ids=["tensor", "array", "tensor of no rows", "array of no rows", "grey of no rows"],
)
def test_images_of_zero_channels_are_refused_as_nothing_to_draw(imgs: Any) -> None:
    """Not told imgs[:, :1], which is as empty and refused alike."""
    with pytest.raises(
        UsageError,
        match=r", got shape \((0, 28, 28|28, 28, 0|0, 5)\); it holds no pixels \(a side of 0\): there is "
        r"nothing to draw; pass images with at least one channel, row and column$",
    ):
        show_images(imgs, 1, 2)


@pytest.mark.parametrize(
    ("imgs", "fix", "apply"), [t[1:] for t in TWO_CHANNELS], ids=[t[0] for t in TWO_CHANNELS]
)
def test_an_image_of_a_channel_count_imshow_cannot_draw_is_told_to_draw_one_channel(
    imgs: Any, fix: str, apply: Any
) -> None:
    """Not "pass a batch as (N, C, H, W)", which it is: the channel count is the fault."""
    with pytest.raises(UsageError, match=re.escape(f"got shape {fix}") + "$"):
        show_images(imgs, 1, 2)
    (ax, _) = show_images(apply(imgs), 1, 2)
    assert ax.images[0].get_array().shape == (28, 28)


def test_a_one_column_batch_is_one_image_not_flattened_1x1_images() -> None:
    with pytest.raises(
        UsageError,
        match=r"^imgs must be a batch of images \(N, H, W\) or \(N, C, H, W\), got shape \(5, 1\); "
        r"for one image of 5×1 pixels pass imgs\[None\]$",
    ):
        show_images(torch.zeros(5, 1), 1, 1)


def test_a_grid_past_the_bound_with_more_images_than_it_suggests_the_largest_grid() -> None:
    with pytest.raises(
        UsageError,
        match=r"got num_rows=25, num_cols=20: 500 cells for 400\+ images; draw at most 400 per "
        r"figure, e.g\. num_rows=20, num_cols=20$",
    ):
        show_images(torch.rand(500, 2, 2), 25, 20)


def test_a_grid_fix_for_a_multiple_of_ten_images_fills_whole_rows_of_ten() -> None:
    # ceil(20 / 10) = 2 rows of ceil(20 / 2) = 10
    with pytest.raises(
        UsageError,
        match=r"900 cells for 20 images; pass a grid that fits them, e\.g\. num_rows=2, num_cols=10$",
    ):
        show_images(torch.rand(20, 2, 2), 30, 30)


def test_the_largest_scale_suggested_is_rounded_down_so_it_is_accepted() -> None:
    import matplotlib

    images = torch.rand(7, 4, 4)
    with matplotlib.rc_context({"figure.dpi": 100, "savefig.dpi": "figure"}):
        # by hand: 7 cells of (100 s)² pixels <= 10**8 when s <= sqrt(10**8 / 7) / 100 = 37.796...,
        # which rounds to 37.8, refused; rounded down it is 37.79
        with pytest.raises(
            UsageError, match=r"; lower scale to 37\.79 or less \(the book's is 1\.5\)$"
        ):
            show_images(images, 1, 7, scale=100)
        with pytest.raises(UsageError, match=r"scale=37\.8:"):
            show_images(images, 1, 7, scale=37.8)
        assert len(show_images(images, 1, 7, scale=37.79)) == 7


def test_the_figure_bound_uses_the_larger_of_the_screen_and_savefig_dpi() -> None:
    import matplotlib

    # 18 cells of 20 inches at 200 dpi: 18 × 4000² = 288 million pixels; at 100 dpi 72 million
    with (
        matplotlib.rc_context({"figure.dpi": 100, "savefig.dpi": 200}),
        pytest.raises(
            UsageError, match=r"of 36,000×8,000 pixels at 200 dpi; lower scale to 11\.78 or"
        ),
    ):
        show_images(torch.rand(18, 4, 4), 2, 9, scale=20)


def test_a_figure_just_past_its_bounds_is_refused_with_numbers_that_read_as_past_them() -> None:
    """scale=100.00001 at 100 dpi makes 10,000.001 pixels a side, 10**8 and a bit in all: it was
    said as "scale=100: a 100×100-inch figure of 10,000×10,000 pixels ...; lower scale to 100 or
    less", each number the bound itself; a figure 0.37 pixel past 65,535 wide, as 65,535 wide."""
    import matplotlib

    from linearnets.plotting._image_args import check_figure_size

    with matplotlib.rc_context({"figure.dpi": 100, "savefig.dpi": "figure"}):
        with pytest.raises(UsageError) as info:
            check_figure_size(1, 1, 100.00001)
        assert str(info.value) == (
            "num_rows, num_cols and scale must keep the figure within 65,535 pixels a side and "
            "100,000,000 in all, got num_rows=1, num_cols=1, scale=100.00001: a "
            "100.00001×100.00001-inch figure of 10,000.001×10,000.001 pixels at 100 dpi; lower "
            "scale to 100 or less (the book's is 1.5)"
        )
        assert 65_535 < 655 * 1.00054 * 100 < 65_535.5  # shown as 65,535 at no decimals
        with pytest.raises(
            UsageError,
            match=r"got num_rows=1, num_cols=655, scale=1\.00054: a 655\.3537×1\.00054-inch figure "
            r"of 65,535\.4×100\.1 pixels at 100 dpi; lower scale to 1 or less",
        ):
            check_figure_size(1, 655, 1.00054)


def test_a_figure_exactly_at_the_side_bound_passes() -> None:
    import matplotlib

    from linearnets.plotting._image_args import MAX_FIGURE_SIDE, check_figure_size

    # 85 cells of 1 inch at 771 dpi: 85 × 771 = 65,535 pixels wide, 771 high (50.5 million in all)
    assert MAX_FIGURE_SIDE == 85 * 771
    with matplotlib.rc_context({"figure.dpi": 771, "savefig.dpi": "figure"}):
        check_figure_size(1, 85, 1.0)
        with pytest.raises(UsageError, match=r"of 65,536×771 pixels"):
            check_figure_size(1, 85, 65536 / 65535)


def test_a_dpi_too_high_for_any_scale_is_told_to_lower_the_dpi() -> None:
    import matplotlib

    from linearnets.plotting._image_args import check_figure_size

    # even 0.01 inch at 10**7 dpi is 100,000 pixels, past 65,535: no scale of two decimals fits
    with (
        matplotlib.rc_context({"figure.dpi": 10**7, "savefig.dpi": "figure"}),
        pytest.raises(
            UsageError,
            match=r"got num_rows=1, num_cols=1, scale=1: a 1×1-inch figure of "
            r"10,000,000×10,000,000 pixels at 1e\+07 dpi; lower the dpi$",
        ),
    ):
        check_figure_size(1, 1, 1.0)


def test_plot_predictions_keeps_the_figure_in_pyplot_as_managed_says(tmp_path: Path) -> None:
    # predict_ch3 passes managed=True with out: the figure is saved and kept, as the book's is
    axes = plot_predictions(
        torch.rand(2, 4, 4), [0, 1], [0, 1], out=tmp_path / "p.png", managed=True
    )
    assert plt.get_fignums() == [axes[0].figure.number]
    assert (tmp_path / "p.png").stat().st_size > 0
    plt.close("all")
    axes = plot_predictions(
        torch.rand(2, 4, 4), [0, 1], [0, 1], managed=False
    )  # no out: still bare
    assert plt.get_fignums() == [] and len(axes) == 2


@pytest.mark.parametrize("title", ["costs $5 to $10", "$\\frac$"])
def test_titles_with_dollars_are_drawn_as_written_not_as_mathtext(
    tmp_path: Path, title: str
) -> None:
    """'costs $5 to $10' was drawn as mathtext, italics without its dollars; '$\\frac$' raised
    matplotlib's ParseSyntaxException from deep inside the save."""
    import matplotlib

    out, pred = tmp_path / "grid.svg", tmp_path / "pred.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # texts kept as text in the SVG
        show_images(torch.rand(1, 4, 4), 1, 1, titles=[title], out=out)
        plot_predictions(torch.rand(1, 4, 4), [title], ["b$"], out=pred)
    assert svg_texts(out) == [title]
    assert svg_texts(pred) == [title, "b$"]  # true over predicted, one line each


@pytest.mark.parametrize(
    "draw",
    [
        lambda out: show_images(torch.rand(2, 4, 4), 1, 2, out=out),
        lambda out: plot_predictions(torch.rand(2, 4, 4), ["a", "b"], ["a", "c"], out=out),
    ],
    ids=["show_images", "plot_predictions"],
)
def test_a_bad_out_is_refused_before_a_figure_is_drawn(
    draw: Callable[[str], Any], fake_notebook: list[tuple[Any, ...]]
) -> None:
    """out='fig.jpg' was refused only once the figure was drawn: a notebook showed the figure,
    then the error."""
    with pytest.raises(UsageError, match=r"^out must end with one of \.png, \.svg, \.pdf, got"):
        draw("fig.jpg")
    assert plt.get_fignums() == []


def test_predictions_are_compared_by_value_a_whole_float_label_as_its_class() -> None:
    """plot_predictions(X, y.float(), y) titled each '9.0\\n9' and marked every one wrong."""
    y = torch.tensor([9, 2, 1])
    axes = plot_predictions(torch.rand(3, 4, 4), y.float(), torch.tensor([9, 2, 3]))
    assert [ax.get_title() for ax in axes] == ["9\n9", "2\n2", "1\n3"]
    red = to_rgba(MISTAKE_COLOR)
    assert [to_rgba(ax.title.get_color()) == red for ax in axes] == [False, False, True]


def test_an_image_one_pixel_wide_beside_another_is_drawn_not_taken_for_labels() -> None:
    """[(28, 28), (28, 1)]: two images, though the second has a label column's shape."""
    tall, thin = torch.rand(28, 28), torch.rand(28, 1)
    axes = show_images([tall, thin], 1, 2)
    np.testing.assert_array_equal(axes[1].get_images()[0].get_array(), thin.numpy())


def test_show_images_titles_a_whole_float_as_plot_predictions_does() -> None:
    """titles=y.float() was drawn '9.0' where plot_predictions titles the same label 9; a
    fraction, or a float past whole numbers' exact range, stays as it prints."""
    titles = [9.0, 2.5, -0.0, 1e300, np.float32(3.0)]
    axes = show_images(torch.rand(5, 4, 4), 1, 5, titles=titles)
    assert [ax.get_title() for ax in axes] == ["9", "2.5", "0", "1e+300", "3"]
    y = torch.tensor([9, 2])
    assert [ax.get_title() for ax in show_images(torch.rand(2, 4, 4), 1, 2, titles=y.float())] == [
        "9",
        "2",
    ]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: show_images(torch.rand(2, 4, 4), 1, 2, out="x.png"),
        lambda: plot_predictions(torch.rand(2, 4, 4), ["a", "b"], ["a", "c"], out="x.png"),
    ],
    ids=["show_images", "plot_predictions"],
)
def test_an_out_in_a_read_only_folder_is_refused_before_drawing_with_a_writable_fix(
    draw: Callable[[], Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fake_notebook: list[tuple[Any, ...]],
) -> None:
    """out='x.png' in a read-only working folder was refused once drawn, with "pass e.g.
    out='figure.png'", the same folder. As root every folder passes os.access: faked."""
    import os

    here, home = tmp_path / "here", tmp_path / "home"
    here.mkdir()
    home.mkdir()
    monkeypatch.chdir(here)
    monkeypatch.setenv("HOME", str(home))
    access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p).resolve() != here and access(p, mode))
    with pytest.raises(UsageError) as info:
        draw()
    assert str(info.value) == (
        f"out must be a file in a folder you can write to, got 'x.png', but the folder {here} "
        "is not writable; pass e.g. out='~/figure.png'"
    )
    assert plt.get_fignums() == []


def test_plot_predictions_make_folder_must_be_a_bool(tmp_path: Path) -> None:
    """make_folder='False' was true: the missing folder was made; it is refused before drawing."""
    out = tmp_path / "gone" / "predictions.png"
    with pytest.raises(UsageTypeError) as info:
        plot_predictions(torch.zeros(2, 28, 28), [0, 1], [0, 1], out=out, make_folder="False")  # type: ignore[arg-type]
    assert str(info.value) == (
        "make_folder must be True or False, got 'False'; pass make_folder=True or make_folder=False"
    )
    assert list(tmp_path.iterdir()) == [] and plt.get_fignums() == []


def test_plot_predictions_managed_must_be_a_bool_or_none(tmp_path: Path) -> None:
    """managed='False' was true: pyplot kept a figure saved to out; it is refused before drawing."""
    out = tmp_path / "predictions.png"
    with pytest.raises(UsageTypeError) as info:
        plot_predictions(torch.zeros(2, 28, 28), [0, 1], [0, 1], out=out, managed="False")  # type: ignore[arg-type]
    assert str(info.value) == (
        "managed must be True or False, got 'False'; pass managed=True or managed=False"
    )
    assert list(tmp_path.iterdir()) == [] and plt.get_fignums() == []
    plot_predictions(torch.zeros(2, 28, 28), [0, 1], [0, 1], out=out, managed=False)
    assert out.is_file() and plt.get_fignums() == []  # False is still read as False


@pytest.mark.parametrize(("rows", "cols"), [(3, 10), (4, 10), (6, 10), (10, 10)])
def test_the_labels_of_a_grid_of_many_rows_stay_clear_of_the_row_above(
    rows: int, cols: int
) -> None:
    """At the book's spacing a label's top came 0.7 px under the image above it in 4 rows and
    overlapped it from 6 rows on (`data show -n 100`, 10 × 10: -1.8 px); the window extents
    matplotlib draws them at are the oracle."""
    n = rows * cols
    axes = show_images(torch.rand(n, 28, 28), rows, cols, titles=["ankle boot"] * n)
    fig = axes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    gaps = [
        axes[i - cols].get_window_extent(renderer).y0 - axes[i].title.get_window_extent(renderer).y1
        for i in range(cols, n)
    ]
    plt.close(fig)
    assert min(gaps) >= 5.0  # pixels, at matplotlib's dpi: the book's 2 rows leave 6


def test_the_book_s_grid_of_two_rows_keeps_matplotlib_s_spacing() -> None:
    """§3.5's 2 × 9 grid is drawn as the book draws it."""
    axes = show_images(torch.rand(18, 28, 28), 2, 9, titles=["t-shirt"] * 18)
    fig = axes[0].figure
    assert fig.subplotpars.hspace == plt.rcParams["figure.subplot.hspace"]
    plt.close(fig)


def _a_runs_folder(tmp_path: Path) -> Path:
    """A finished run's folder: its config.json and the figure a run draws there."""
    run = tmp_path / "r1"
    run.mkdir()
    (run / "config.json").write_text('{"config": {"epochs": 3}}')
    for name in ("curves.png", "confusion.png", "predictions.png"):
        (run / name).write_bytes(b"the run's")
    return run


@pytest.mark.parametrize(
    "name", ["curves.png", "confusion.png", "predictions.png", "predict-6.png"]
)
def test_show_images_into_a_runs_figure_is_refused(tmp_path: Path, name: str) -> None:
    """show_images(..., out="runs/r1/curves.png") silently wrote over a finished run's own figure;
    refused as ln.predict refuses it, the figure left as the run drew it."""
    run = _a_runs_folder(tmp_path)
    offered = tmp_path / f"r1-{name}"
    message = (
        f"out {run / name} is {name}" if name.startswith("predict-") else
        f"out {run / name} is {name}, which the run in {run} writes: a figure written there "
        f"would pass for the run's; pass out a file outside the run folder, e.g. out={str(offered)!r}"
    )  # fmt: skip
    with pytest.raises(UsageError, match="^" + re.escape(message)):
        show_images(torch.rand(2, 28, 28), 1, 2, out=run / name)
    if name != "predict-6.png":
        assert (run / name).read_bytes() == b"the run's"
    show_images(torch.rand(2, 28, 28), 1, 2, out=offered)  # beside the run folder: drawn
    assert offered.stat().st_size > 0
    show_images(torch.rand(2, 28, 28), 1, 2, out=run / "mine.png")  # no run's name: drawn
    assert (run / "mine.png").stat().st_size > 0


def test_nan_or_inf_images_are_refused(tmp_path: Path) -> None:
    """show_images(torch.full((2, 28, 28), nan), 1, 2, out=...) wrote blank cells without a word;
    refused naming imgs, how many values, the first and where, and the fix. Nothing written."""
    with pytest.raises(
        UsageError,
        match=r"^imgs must hold finite pixel values to be drawn \(NaN and inf draw blank cells\), "
        r"got 1,568 NaN or inf values, the first nan in imgs\[0\] at pixel \(0, 0\); replace them "
        r"before drawing, e\.g\. imgs\.nan_to_num\(\) \(a tensor\) or np\.nan_to_num\(imgs\), mask "
        r"them to draw them blank \(np\.ma\.masked_invalid\), or leave those images out$",
    ):
        show_images(torch.full((2, 28, 28), float("nan")), 1, 2, out=tmp_path / "s8.png")
    assert not (tmp_path / "s8.png").exists()
    images = np.zeros((3, 28, 28), dtype=np.float32)
    images[2, 4, 5] = -np.inf
    with pytest.raises(UsageError, match=r"got 1 NaN or inf value, the first -inf in images\[2\] at pixel \(4, 5\)"):  # fmt: skip
        plot_predictions(images, [0, 1, 2], [0, 1, 2], out=tmp_path / "p.png")
    show_images(images, 1, 2, out=tmp_path / "two.png")  # the third is not drawn: no refusal
    assert (tmp_path / "two.png").exists()


@pytest.mark.parametrize("name", ["predictions.png", "curves.png", "predict-6.png"])
def test_show_images_into_a_linreg_runs_folder_is_not_refused(tmp_path: Path, name: str) -> None:
    """A linear-regression run draws no figure and predict draws none from it: out there named
    as a softmax run's figure was refused, "predictions.png, which the run in lr1 writes"."""
    run = tmp_path / "lr1"
    run.mkdir()
    (run / "config.json").write_text('{"task": "linreg", "config": {"epochs": 3}}')
    show_images(torch.rand(2, 28, 28), 1, 2, out=run / name)
    assert (run / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("name", ["predictions.png", "confusion.png", "predict-6.png"])
def test_plot_predictions_into_a_runs_figure_is_refused(tmp_path: Path, name: str) -> None:
    """plot_predictions(..., out="runs/r1/predictions.png"), public, silently wrote over a
    finished run's own figure, as show_images once did; refused alike. The run's own drawing (through
    as_runs_own, as linearnets softmax draws predictions.png) still writes it."""
    run = _a_runs_folder(tmp_path)
    (run / "predict-6.png").write_bytes(b"the run's")
    offered = tmp_path / f"r1-{name}"
    message = (
        f"out {run / name} is {name} in the run folder {run}, the name linearnets predict gives "
        "the predictions of that run's weights at -n 6: a figure written there would pass for "
        f"them; pass out a file outside the run folder, e.g. out={str(offered)!r}"
        if name.startswith("predict-") else
        f"out {run / name} is {name}, which the run in {run} writes: a figure written there "
        f"would pass for the run's; pass out a file outside the run folder, e.g. out={str(offered)!r}"
    )  # fmt: skip
    images, labels = torch.rand(2, 28, 28), ["coat", "shirt"]
    with pytest.raises(UsageError, match="^" + re.escape(message) + "$"):
        plot_predictions(images, labels, labels, out=run / name)
    assert (run / name).read_bytes() == b"the run's"
    plot_predictions(images, labels, labels, out=offered)  # beside the run folder: drawn
    assert offered.read_bytes().startswith(b"\x89PNG")
    as_runs_own(plot_predictions)(images, labels, labels, out=run / name)
    assert (run / name).read_bytes().startswith(b"\x89PNG")


@pytest.mark.filterwarnings("error")  # an RGB image's NaN under its mask warned in matplotlib
def test_nan_or_inf_under_a_mask_is_drawn_blank_not_refused(tmp_path: Path) -> None:
    """np.ma.masked_invalid(img), its NaN and inf masked, drew those pixels blank by design, then
    was refused as holding NaN; its mask is kept for imshow, and only an unmasked NaN or inf is
    refused."""
    img = np.random.default_rng(0).random((4, 4))
    img[1, 2], img[0, 0] = np.nan, np.inf
    masked = np.ma.masked_invalid(img)
    for imgs in ([masked], np.ma.stack([masked, masked])):
        axes = show_images(imgs, 1, len(imgs), out=tmp_path / "masked.png")
        drawn = axes[0].images[0].get_array()
        assert np.ma.getmaskarray(drawn).sum() == 2 and drawn[1, 1] == img[1, 1]
    rgb = np.ma.masked_invalid(np.stack([img, img, img], axis=-1))  # (H, W, C) in colour
    plot_predictions([rgb], ["coat"], ["coat"], out=tmp_path / "rgb.png")
    assert (tmp_path / "rgb.png").read_bytes().startswith(b"\x89PNG")
    partly = np.ma.masked_array(img, mask=np.zeros(img.shape, dtype=bool))
    partly[1, 2] = np.ma.masked  # the NaN masked, the inf at (0, 0) not
    with pytest.raises(UsageError, match=r"got 1 NaN or inf value, the first inf in imgs\[0\] at pixel \(0, 0\); .*mask them"):  # fmt: skip
        show_images([partly], 1, 1)
