"""Tests of linearnets.plotting: image grids, predictions, confusion matrices, live curves, bad input."""

from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # headless, before anything imports pyplot

import itertools
import subprocess
import sys
import types
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from PIL import Image

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting import (
    Animator,
    LiveCurves,
    confusion_matrix,
    format_per_class_table,
    per_class_accuracy,
    plot,
    plot_confusion_matrix,
    plot_predictions,
    set_axes,
    set_figsize,
    show_images,
)
from linearnets.plotting.images import MISTAKE_COLOR


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


def _no_temp_files(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]


# ---------------------------------------------------------------- environment


def test_import_is_cheap_and_headless_defaults_to_agg() -> None:
    code = (
        "import sys, torch, linearnets, linearnets.plotting as p\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported eagerly'\n"
        "p.show_images(torch.rand(2, 4, 4), 1, 2)\n"
        "import matplotlib; print(matplotlib.get_backend().lower())\n"
    )
    headless = {k: v for k, v in os.environ.items() if k not in ("MPLBACKEND", "DISPLAY")}
    chosen = {**headless, "MPLBACKEND": "svg"}
    runs = [
        subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
        for env in (headless, chosen)
    ]
    outputs = [run.communicate(timeout=60)[0].strip() for run in runs]
    assert [run.returncode for run in runs] == [0, 0]
    assert outputs == ["agg", "svg"]  # Agg when headless; an explicit choice is kept


# ---------------------------------------------------------------- show_images


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


# ---------------------------------------------------------------- plot_predictions


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


def test_plot_predictions_accepts_class_indices() -> None:
    axes = plot_predictions(torch.rand(2, 8, 8), torch.tensor([3, 1]), torch.tensor([3, 2]))
    assert [ax.get_title() for ax in axes] == ["3\n3", "1\n2"]


# ---------------------------------------------------------------- confusion matrix


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


# ---------------------------------------------------------------- the book's helpers


def test_plot_draws_one_line_per_y_with_a_shared_x() -> None:
    x = torch.arange(0, 3, 0.5)
    ax = plot(x, [x**2, 2 * x - 3], "x", "f(x)", legend=["f(x)", "tangent"])
    assert len(ax.lines) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), (2 * x - 3).numpy())
    np.testing.assert_allclose(ax.lines[0].get_xdata(), x.numpy())
    assert ax.get_xlabel() == "x" and [t.get_text() for t in ax.get_legend().texts] == [
        "f(x)",
        "tangent",
    ]


def test_plot_with_y_only_uses_indices_and_cycles_formats() -> None:
    ax = plot([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], fmts=("-", "r:"))
    assert [line.get_linestyle() for line in ax.lines] == ["-", ":", "-"]
    np.testing.assert_array_equal(ax.lines[2].get_xdata(), [0, 1])


def test_set_axes_and_set_figsize() -> None:
    with matplotlib.rc_context():
        set_figsize((5.0, 2.0))
        assert tuple(matplotlib.rcParams["figure.figsize"]) == (5.0, 2.0)
    _, ax = plt.subplots()
    ax.plot([1, 10], [1, 100])
    set_axes(ax, "x", "y", [1, 10], [1, 100], "log", "linear", ["data"])
    assert ax.get_xscale() == "log" and ax.get_xlim() == (1, 10) and ax.get_ylabel() == "y"


# ---------------------------------------------------------------- Animator


def test_animator_accumulates_like_the_book() -> None:
    animator = Animator(xlabel="epoch", legend=["loss", "acc", "test"], mode="none")
    animator.add(1, (0.9, 0.5, None))  # None: no point for that line
    animator.add(2, (0.6, 0.7, 0.65))
    assert animator.X == [[1.0, 2.0], [1.0, 2.0], [2.0]]
    assert animator.Y == [[0.9, 0.6], [0.5, 0.7], [0.65]]
    assert len(animator.lines) == 3
    np.testing.assert_array_equal(animator.lines[0].get_ydata(), [0.9, 0.6])
    assert [t.get_text() for t in animator.axes[0].get_legend().texts] == ["loss", "acc", "test"]
    animator.add(torch.tensor(3), torch.tensor(0.5))  # 0-d tensors, one line
    assert animator.Y[0][-1] == 0.5


def test_animator_defaults_to_keeping_data_only_in_a_terminal(tmp_path: Path) -> None:
    assert Animator().mode == "none"
    assert Animator(out=tmp_path / "a.png").mode == "file"
    assert plt.get_fignums() == []  # nothing for a GUI backend to pop up


def test_animator_file_mode_rewrites_png_and_svg_atomically(tmp_path: Path) -> None:
    animator = Animator(legend=["loss"], out=tmp_path / "anim.png", mode="file")
    animator.add(1, 1.0)
    png, svg = tmp_path / "anim.png", tmp_path / "anim.svg"
    first = png.read_bytes(), svg.read_bytes()
    animator.add(2, 0.5)
    assert png.read_bytes() != first[0] and svg.read_bytes() != first[1]
    with Image.open(png) as image:
        assert image.format == "PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anim.png", "anim.svg"]


def test_animator_none_mode_writes_nothing(tmp_path: Path) -> None:
    animator = Animator(out=tmp_path / "anim.png", mode="none")
    animator.add(1, (1.0, 2.0))
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def fake_notebook(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Pretend to run in a Jupyter kernel; return the list of display calls made."""
    # pyplot hooks itself into the IPython it finds when its first figure is made: make that
    # happen here, outside the fake, as it does when another test drew first
    plt.close(plt.figure())
    calls: list[tuple[Any, ...]] = []

    class ZMQInteractiveShell:
        pass

    def display(obj: Any, display_id: str | None = None) -> None:
        calls.append(("display", obj, display_id))

    def update_display(obj: Any, display_id: str | None = None) -> None:
        calls.append(("update", obj, display_id))

    def clear_output(wait: bool = False) -> None:
        calls.append(("clear", wait))

    ipython = types.SimpleNamespace(get_ipython=ZMQInteractiveShell)
    ipython_display = types.SimpleNamespace(
        display=display, update_display=update_display, clear_output=clear_output
    )
    ipython.display = ipython_display
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython_display)
    monkeypatch.setitem(sys.modules, "matplotlib_inline", None)  # no SVG switch in the fake
    return calls


def test_animator_in_a_notebook_updates_one_display_in_place(
    fake_notebook: list[tuple[Any, ...]],
) -> None:
    animator = Animator(legend=["loss"])
    assert animator.mode == "notebook"
    for epoch in range(1, 4):
        animator.add(epoch, 1.0 / epoch)
    kinds = [call[0] for call in fake_notebook]
    assert kinds == ["display", "update", "update"]
    assert {call[1] for call in fake_notebook} == {animator.fig}  # one figure, updated
    assert len({call[2] for call in fake_notebook}) == 1  # one display id
    assert animator.fig.number not in plt.get_fignums()  # not shown again at the cell's end


# ---------------------------------------------------------------- LiveCurves


def test_live_curves_file_mode_writes_every_update(tmp_path: Path) -> None:
    curves = LiveCurves(out_dir=tmp_path, mode="file", num_epochs=3)
    history = [(0.8, 0.70, 0.68), (0.6, 0.78, 0.75), (0.5, 0.80, 0.79)]
    previous = b""
    for epoch, (loss, train_acc, test_acc) in enumerate(history, start=1):
        curves.update(epoch, {"train loss": loss, "train acc": train_acc, "test acc": test_acc})
        png = (tmp_path / "curves.png").read_bytes()
        assert png != previous and (tmp_path / "curves.svg").stat().st_size > 0
        previous = png
    for i, name in enumerate(curves.metrics):
        np.testing.assert_array_equal(curves.lines[name].get_xdata(), [1, 2, 3])
        np.testing.assert_array_equal(curves.lines[name].get_ydata(), [row[i] for row in history])
    low, high = curves.ax.get_xlim()
    assert low <= 1 and high >= 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "curves.svg"]
    curves.close()


def test_live_curves_of_one_epoch_tick_it_as_1(tmp_path: Path) -> None:
    curves = LiveCurves(out_dir=tmp_path, mode="file", num_epochs=1)
    curves.update(1, {"train loss": 0.5, "train acc": 0.8, "test acc": 0.8})
    curves.fig.canvas.draw()
    ticks = [
        t for t in curves.ax.get_xticks() if curves.ax.get_xlim()[0] <= t <= curves.ax.get_xlim()[1]
    ]
    assert ticks == [1.0]  # one integer tick, not 0.96, 0.975, ... 1.05
    curves.close()


def test_live_curves_handles_a_missing_metric_and_longer_training(tmp_path: Path) -> None:
    curves = LiveCurves(out_dir=tmp_path, mode="file", num_epochs=2)
    for epoch in range(1, 4):  # one epoch more than announced, only the loss (linear regression)
        curves.update(epoch, {"train loss": 1.0 / epoch})
    assert len(curves.lines["test acc"].get_xdata()) == 0
    assert [t.get_text() for t in curves.ax.get_legend().texts] == ["train loss"]
    assert curves.ax.get_xlim()[1] >= 3


def test_live_curves_writes_only_the_formats_asked_for(tmp_path: Path) -> None:
    curves = LiveCurves(out_dir=tmp_path, mode="file", formats=("png",))
    curves.update(1, {"train loss": 0.5})
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]


def test_live_curves_none_mode_writes_nothing(tmp_path: Path) -> None:
    curves = LiveCurves(out_dir=tmp_path, mode="none")
    curves.update(1, {"train loss": 0.5})
    assert curves.values["train loss"] == [0.5]
    assert list(tmp_path.iterdir()) == []


def test_live_curves_auto_mode(tmp_path: Path, fake_notebook: list[tuple[Any, ...]]) -> None:
    curves = LiveCurves(out_dir=tmp_path)  # a notebook with a run folder: display and files
    curves.update(1, {"train loss": 0.5})
    assert curves.mode == "notebook" and [c[0] for c in fake_notebook] == ["display"]
    assert (tmp_path / "curves.png").is_file()


def test_only_the_books_animator_switches_the_notebook_to_svg(
    monkeypatch: pytest.MonkeyPatch, fake_notebook: list[tuple[Any, ...]]
) -> None:
    """The book's Animator calls use_svg_display; linearnets' own LiveCurves keeps the user's format."""
    import linearnets.plotting.live as live

    switched: list[str] = []
    monkeypatch.setattr(live, "use_svg_display", lambda: switched.append("svg"))
    LiveCurves(mode="notebook").update(1, {"train loss": 0.5})
    assert switched == []
    Animator(legend=["loss"]).add(1, 0.5)
    assert switched == ["svg"]


# ---------------------------------------------------------------- bad input

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
    (
        lambda: plot([1.0, 2.0], [[1.0], [2.0]] * 2, fmts=()),
        UsageError,
        r"fmts must be a non-empty sequence of format strings, got \(\)",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], fmts="--"),
        UsageError,
        r"fmts must be a non-empty sequence.*got '--'",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], legend="f(x)"),
        UsageTypeError,
        r"legend must be a sequence of labels.*\['f\(x\)'\]",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], xlim=5),
        UsageTypeError,
        r"xlim must be two numbers \(low, high\), got 5",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], ylim=[1, 1]),
        UsageError,
        r"ylim must be two different finite numbers",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], xscale="bogus"),
        UsageError,
        r"xscale must be one of linear, log, symlog, logit, got 'bogus'",
    ),
    (
        lambda: plot([1.0, 2.0], [3.0, 4.0], axes="ax"),
        UsageTypeError,
        r"axes must be a matplotlib Axes, got str",
    ),
    (lambda: set_figsize(5), UsageTypeError, r"figsize must be \(width, height\) in inches, got 5"),
    (
        lambda: set_figsize((-1, 2)),
        UsageError,
        r"figsize must be \(width, height\) in inches, each in \(0, 100\], got \(-1, 2\)",
    ),
    (
        lambda: Animator(figsize=(0, 0)),
        UsageError,
        r"figsize must be \(width, height\) in inches, each in",
    ),
    (lambda: plot([[1.0], [2.0]], [[1.0], [2.0], [3.0]]), UsageError, r"same number of curves"),
    (lambda: Animator(mode="window"), UsageError, r"mode must be one of"),
    (lambda: Animator(mode="file"), UsageError, r"mode='file' needs .*out"),
    (lambda: Animator(nrows=0), UsageError, r"nrows must be a positive"),
    (lambda: Animator(out="curves.txt"), UsageError, r"out must end with one of \.png, \.svg"),
    (lambda: Animator(mode="none").add((1, 2, 3), (1, 2)), UsageError, r"x must be one number"),
    (lambda: Animator(mode="none").add(1, "0.5"), UsageTypeError, r"y must be a number"),
    (lambda: LiveCurves(mode="gui"), UsageError, r"mode must be one of"),
    (lambda: LiveCurves(mode="file"), UsageError, r"mode='file' needs .*out_dir"),
    (lambda: LiveCurves(metrics=("loss", "loss")), UsageError, r"metrics must be .* distinct"),
    (lambda: LiveCurves(num_epochs=0), UsageError, r"num_epochs must be a positive"),
    (lambda: LiveCurves(formats=("jpg",)), UsageError, r"formats must be .* among \('png'"),
    (lambda: LiveCurves(yscale="exp"), UsageError, r"yscale must be one of 'linear'"),
    (lambda: LiveCurves(mode="none").update(0, {}), UsageError, r"epoch must be a positive"),
    (lambda: LiveCurves(mode="none").update(1, {"loss": 1.0}), UsageError, r"among \['train loss'"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


def test_live_curves_final_formats_are_written_on_close(tmp_path: Path) -> None:
    curves = LiveCurves(
        out_dir=tmp_path, mode="file", formats=("png",), final_formats=("svg",), num_epochs=3
    )
    curves.update(1, {"train loss": 0.9, "train acc": 0.6})
    assert (tmp_path / "curves.png").is_file()
    assert not (tmp_path / "curves.svg").exists()
    curves.close()
    assert (tmp_path / "curves.svg").read_text().lstrip().startswith("<?xml")


@contextmanager
def warnings_as_errors() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_an_animator_line_of_one_point_is_marked_then_drawn_as_its_format() -> None:
    animator = Animator(xlim=[0.5, 1.5], legend=["train loss"], mode="none")
    animator.add(1, 0.6)
    assert animator.lines[0].get_marker() == "o"  # one point: no line length to see
    animator.add(2, 0.5)
    assert animator.lines[0].get_marker() == "None"  # the book's "-": a plain line again


def test_channels_last_tensors_are_drawn_as_images() -> None:
    rgb = torch.rand(2, 28, 20, 3)  # (N, H, W, C), as the book would pass to imshow
    axes = show_images(rgb, 1, 2)
    assert axes[0].images[0].get_array().shape == (28, 20, 3)
    assert np.allclose(axes[1].images[0].get_array(), rgb[1].numpy())
    axes = show_images(rgb.permute(0, 3, 1, 2), 1, 2)  # (N, C, H, W): the same pictures
    assert np.allclose(axes[1].images[0].get_array(), rgb[1].numpy())
    plt.close("all")


def test_confusion_matrix_with_chinese_names_and_an_empty_matrix() -> None:
    from linearnets.plotting._fonts import cjk_family

    family = cjk_family()
    if family is not None:  # Chinese class names in the tick labels, drawn without a glyph warning
        with warnings_as_errors():
            ax = plot_confusion_matrix(torch.eye(2, dtype=torch.long), ["T恤", "短靴"])
            ax.figure.canvas.draw()
        assert ax.get_xticklabels()[0].get_fontfamily() == [family]
        plt.close(ax.figure)
    ax = plot_confusion_matrix(torch.zeros(2, 2, dtype=torch.long), ["a", "b"], normalize=False)
    assert ax.images[0].get_clim() == (0.0, 1.0)  # zero counts drawn white, not mid-blue
    plt.close(ax.figure)


# ---------------------------------------------------------------- inputs checked at the boundary

BOUNDARY_INPUT: list[Any] = [
    (lambda: plot([1, 2, 3], [4, 5]), UsageError, r"X\[0\] and Y\[0\] must have the same length \(one x per y\), got 3 and 2"),
    (lambda: plot(torch.arange(3.0), [torch.ones(3), torch.ones(4)]), UsageError, r"X\[1\] and Y\[1\] must have the same length .*got 3 and 4"),
    (lambda: plot(None), UsageTypeError, r"X must be a list, array or tensor of numbers, or a list of them \(one per curve\), got None"),
    (lambda: plot(3.0), UsageTypeError, r"X must be a list, array or tensor of numbers.*got 3\.0"),
    (lambda: plot(torch.tensor(3.0)), UsageTypeError, r"X must be .*got a tensor of shape \(\)"),
    (lambda: plot([1, 2], {1: 2}), UsageTypeError, r"Y must be a list, array or tensor of numbers.*got \{1: 2\}"),
    (lambda: plot([1, 2], [[1, 2], [1, "a"]]), UsageTypeError, r"Y\[1\] must be a 1-d list, array or tensor of real numbers, got \[1, 'a'\]"),
    (lambda: plot([1, 2], [torch.tensor([1, 2j])]), UsageTypeError, r"Y\[0\] must be .*real numbers, got a tensor .*complex64"),
    (lambda: plot([1, 2], [3, 4], fmts=["-", "zz"]), UsageError, r"fmts\[1\] must be a matplotlib format string .*got 'zz' \(unrecognized character 'z'\)"),
    (lambda: Animator(fmts=["zz"], mode="none"), UsageError, r"fmts\[0\] must be a matplotlib format string .*got 'zz'"),
    (lambda: Animator(fmts=["-", 3], mode="none"), UsageTypeError, r"fmts\[1\] must be a matplotlib format string .*got 3 \(not a string\)"),
    (lambda: Animator(mode="none").add(1, ["a"]), UsageTypeError, r"y\[0\] must be a real number or None, got 'a'"),
    (lambda: Animator(mode="none").add(1, 1j), UsageTypeError, r"y must be a real number or None, got 1j"),
    (lambda: Animator(mode="none").add(1, {1: 2}), UsageTypeError, r"y must be a number or a sequence of numbers \(one per line\), got \{1: 2\}"),
    (lambda: Animator(mode="none").add({0: 1}, 2), UsageTypeError, r"x must be a number or a sequence"),
    (lambda: Animator(mode="none").add(1, [torch.ones(2)]), UsageTypeError, r"y\[0\] must be a real number or None, got a tensor of shape \(2,\)"),
    (lambda: show_images(torch.rand(2, 4, 4, dtype=torch.complex64), 1, 2), UsageTypeError, r"imgs\[0\] must hold real pixel values .*got dtype torch\.complex64"),
    (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles=3), UsageTypeError, r"titles must be an iterable of titles, one per image, got 3"),
    (lambda: show_images(torch.rand(2, 4, 4), 1, 2, titles="ab"), UsageTypeError, r"titles must be a sequence of titles, one per image, got the string 'ab'"),
    (lambda: plot_predictions(torch.rand(101, 4, 4), ["a"] * 101, ["a"] * 101), UsageError, r"images must be at most 100 \(linearnets\.plotting\.images\.MAX_SHOW\) when n is not given, got 101; pass e\.g\. n=18"),
    (lambda: plot_predictions(torch.rand(2, 4, 4), ["a"] * 2, ["a"] * 2, n=0), UsageError, r"n must be a positive integer \(>= 1\), got 0; pass e\.g\. n=1$"),
    (lambda: plot_predictions(torch.rand(200, 4, 4), ["a"] * 200, ["a"] * 200, n=150), UsageError, r"n must be an integer in \[1, 100\], got 150"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), BOUNDARY_INPUT)
def test_inputs_are_checked_before_matplotlib_sees_them(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


def test_animator_takes_tensors_and_numpy_numbers_and_skips_none_as_the_book_does() -> None:
    animator = Animator(legend=["a", "b"], mode="none")
    animator.add(1, (torch.tensor(0.5), None))  # the book: a None point is skipped
    animator.add(np.float32(2), np.array([0.25, 0.75]))
    animator.add(torch.tensor(3), [None, np.float64(0.125)])
    assert animator.X == [[1.0, 2.0], [2.0, 3.0]]
    assert animator.Y == [[0.5, 0.25], [0.75, 0.125]]
    assert all(type(v) is float for line in animator.X + animator.Y for v in line)


def test_plot_keeps_the_books_forms() -> None:
    x = np.arange(4.0)
    ax = plot(x, torch.stack([torch.arange(4.0), torch.ones(4)]))  # a 2-d Y: one curve per row
    np.testing.assert_array_equal(ax.lines[1].get_ydata(), np.ones(4))
    ax = plot([x, x[:2]], [x**2, [5.0, 6.0]])  # one x per curve, of its own length
    np.testing.assert_array_equal(ax.lines[1].get_xdata(), [0.0, 1.0])
    ax = plot((1, 2, 3))  # a tuple of y values alone, against 0, 1, 2
    np.testing.assert_array_equal(ax.lines[0].get_xdata(), [0, 1, 2])


def test_show_images_takes_titles_from_any_iterable() -> None:
    axes = show_images(torch.rand(6, 4, 4), 2, 3, titles=(str(i) for i in range(6)))
    assert [ax.get_title() for ax in axes] == ["0", "1", "2", "3", "4", "5"]
    axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=itertools.count(7))  # read 2, not forever
    assert [ax.get_title() for ax in axes] == ["7", "8"]
    axes = show_images(torch.rand(2, 4, 4), 1, 2, titles=torch.tensor([3, 9]))
    assert [ax.get_title() for ax in axes] == ["3", "9"]  # not "tensor(3)"


def test_the_api_bound_on_drawn_images_is_the_commands() -> None:
    from linearnets.cli._options import MAX_SHOW as CLI_MAX_SHOW
    from linearnets.plotting.images import MAX_SHOW

    assert MAX_SHOW == CLI_MAX_SHOW == 100
    axes = plot_predictions(torch.rand(100, 2, 2), [0] * 100, [0] * 100)  # the bound itself draws
    assert len(axes) == 100
