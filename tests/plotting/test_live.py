"""LiveCurves' choice of where to draw: a warning when "auto" leaves it nowhere to go."""

from __future__ import annotations

import os
import re
import sys
import threading
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting import Animator
from linearnets.plotting._runs_own import as_runs_own
from linearnets.plotting.live import LiveCurves

from .conftest import run_cell


def test_auto_mode_with_nowhere_to_draw_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    """A script's LiveCurves() without out_dir would draw nothing, silently: it warns instead."""
    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: False)
    with pytest.warns(UserWarning) as record:
        curves = LiveCurves(num_epochs=2)
    assert [str(w.message) for w in record] == [
        "LiveCurves shows and saves nothing here: this is not Jupyter and no out_dir was given "
        "(its figure is drawn; LiveCurves.fig.savefig saves it); pass out_dir=... for curves.png "
        "rewritten each epoch, or mode='none' to say so"
    ]
    assert curves.mode == "none"
    curves.update(1, {"train loss": 0.5})  # drawn, as it says: its line holds the point
    np.testing.assert_array_equal(curves.lines["train loss"].get_xydata(), [[1, 0.5]])
    curves.close()


@pytest.mark.parametrize("where", ["notebook", "out_dir", "mode none"])
def test_no_warning_where_the_curves_go_somewhere_or_nowhere_on_purpose(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: where == "notebook")
    if where == "notebook":  # what the notebook mode calls, without a kernel
        monkeypatch.setattr("linearnets.plotting._live_output.use_svg_display", lambda: None)
    kwargs = (
        {"out_dir": tmp_path}
        if where == "out_dir"
        else {"mode": "none"}
        if where == "mode none"
        else {}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LiveCurves(num_epochs=2, **kwargs).close()  # type: ignore[arg-type]


def test_the_warning_points_at_the_scripts_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shown with the caller's file and line (stacklevel), where the out_dir is to be added."""
    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: False)
    with pytest.warns(UserWarning, match="LiveCurves shows and saves nothing here") as record:
        LiveCurves(num_epochs=2).close()
    assert [(w.filename, w.category) for w in record] == [(__file__, UserWarning)]


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
    import linearnets.plotting._live_output as live_output

    switched: list[str] = []
    monkeypatch.setattr(live_output, "use_svg_display", lambda: switched.append("svg"))
    LiveCurves(mode="notebook").update(1, {"train loss": 0.5})
    assert switched == []
    Animator(legend=["loss"]).add(1, 0.5)
    assert switched == ["svg"]


def test_live_curves_final_formats_are_written_on_close(tmp_path: Path) -> None:
    curves = LiveCurves(
        out_dir=tmp_path, mode="file", formats=("png",), final_formats=("svg",), num_epochs=3
    )
    curves.update(1, {"train loss": 0.9, "train acc": 0.6})
    assert (tmp_path / "curves.png").is_file()
    assert not (tmp_path / "curves.svg").exists()
    curves.close()
    assert (tmp_path / "curves.svg").read_text().lstrip().startswith("<?xml")


BAD_INPUT: list[Any] = [
    (lambda: LiveCurves(mode="gui"), UsageError, r"mode must be one of"),
    (lambda: LiveCurves(mode="file"), UsageError, r"mode='file' needs .*out_dir"),
    (lambda: LiveCurves(metrics=("loss", "loss")), UsageError, r"metrics must be .* distinct"),
    # a name that is no string was drawn as its str(): metrics=[1] as the line '1'
    (
        lambda: LiveCurves(metrics=[1]),
        UsageError,
        r"^metrics must be a non-empty sequence of distinct names, got \[1\]; pass e\.g\. "
        r"metrics=\('train loss', 'test acc'\)$",
    ),
    (lambda: LiveCurves(metrics=5), UsageError, r"^metrics must be a non-empty sequence .* got 5;"),
    (lambda: LiveCurves(metrics=[["loss"]]), UsageError, r"^metrics must be .* got \[\['loss'\]\]"),
    (lambda: LiveCurves(formats=[None]), UsageError, r"^formats must be .* got \[None\]"),
    (lambda: LiveCurves(num_epochs=0), UsageError, r"num_epochs must be a positive"),
    (lambda: LiveCurves(formats=("jpg",)), UsageError, r"formats must be .* among \('png'"),
    (lambda: LiveCurves(yscale="exp"), UsageError, r"yscale must be one of 'linear'"),
    (lambda: LiveCurves(mode="none").update(0, {}), UsageError, r"epoch must be a positive"),
    (lambda: LiveCurves(mode="none").update(1, {"loss": 1.0}), UsageError, r"among \['train loss'"),
    # a list failed with "'list' object has no attribute 'items'"; a string named its letters
    (
        lambda: LiveCurves(mode="none").update(1, []),
        UsageTypeError,
        r"^values must map metric names to numbers, got \[\]; pass e.g. values=\{'train loss': 0.5\}",
    ),
    (
        lambda: LiveCurves(mode="none").update(1, "train loss"),
        UsageTypeError,
        r"^values must map metric names to numbers, got 'train loss'",
    ),
    # 1 or "no" was taken as true: "no" made the folder
    (lambda: LiveCurves(mode="none", make_out_dir="no"), UsageTypeError, r"^make_out_dir must be"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


# ---------------------------------------------------------------- axes, values and the last files


def test_a_folder_removed_after_the_curves_were_made_is_named_as_the_folder(tmp_path: Path) -> None:
    """With make_out_dir=False (a run's folder) a removed out_dir is not made again; the refusal
    names out_dir as the folder it is, not as a file to be replaced by 'figure.png'."""
    out = tmp_path / "run"
    out.mkdir()
    curves = LiveCurves(mode="file", out_dir=out, formats=("png",), make_out_dir=False)
    out.rmdir()
    with pytest.raises(UsageError) as info:
        curves.update(1, {"train loss": 1.0})
    assert str(info.value) == (
        f"out_dir must be a folder that exists while the figures are written, got {str(out)!r}, "
        "which does not exist (removed since?); make it again, or pass one that exists"
    )
    assert not out.exists()


def test_an_out_dir_that_cannot_be_made_when_drawing_is_named_as_a_folder(tmp_path: Path) -> None:
    """A file put where out_dir's parent was to be made, after the curves were made: the fix
    is another folder, not a file name."""
    out = tmp_path / "a" / "b"
    curves = LiveCurves(mode="file", out_dir=out, formats=("png",))
    (tmp_path / "a").write_text("")
    with pytest.raises(UsageError) as info:
        curves.update(1, {"train loss": 1.0})
    assert str(info.value) == (
        f"out_dir must be a folder you can write to, got {str(out)!r}, but a part of its folder "
        f"path ({tmp_path / 'a'}) is a file, not a folder; pass e.g. out_dir='figures'"
    )


def test_live_curves_x_range_is_the_epochs_with_a_5_percent_margin(tmp_path: Path) -> None:
    curves = LiveCurves(mode="none", num_epochs=3)
    assert curves.ax.get_xlim() == pytest.approx((0.9, 3.1))  # [1, 3] widened by 5% of 2 each side
    for epoch in range(1, 6):  # two epochs more than announced: the range grows with them
        curves.update(epoch, {"train loss": 1.0})
    assert curves.ax.get_xlim() == pytest.approx((0.8, 5.2))
    assert curves.ax.get_xlabel() == "epoch"


def test_live_curves_y_range_follows_the_values() -> None:
    curves = LiveCurves(mode="none", yscale="log")
    for epoch, loss in enumerate([100.0, 1.0, 0.001], start=1):
        curves.update(epoch, {"train loss": loss})
    low, high = curves.ax.get_ylim()
    assert low <= 0.001 and high >= 100.0 and curves.ax.get_yscale() == "log"


@pytest.mark.parametrize("make", [LiveCurves, Animator], ids=["LiveCurves", "Animator"])
@pytest.mark.parametrize("num_epochs", [None, 3])
def test_a_log_axis_of_zeros_is_drawn_without_matplotlibs_warning(
    tmp_path: Path, make: Any, num_epochs: int | None
) -> None:
    """A loss of exactly 0 on a log axis: matplotlib warned "Data has no positive values, and
    therefore cannot be log-scaled", pointing at our autoscale line. The axis gets matplotlib's
    own (1, 10) without it, and follows the first positive point."""
    if make is LiveCurves:
        curves = LiveCurves(out_dir=tmp_path, yscale="log", num_epochs=num_epochs)
        ax, add = curves.ax, lambda e, v: curves.update(e, {"train loss": v})
    else:
        xlim = None if num_epochs is None else [1, num_epochs]
        animator = Animator(yscale="log", xlim=xlim, out=tmp_path / "a.png")
        ax, add = animator.axes[0], animator.add
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        add(1, 0.0)
        assert ax.get_ylim() == (1.0, 10.0)
        add(2, 0.0)
        add(3, 0.01)
    low, high = ax.get_ylim()
    assert 0 < low < 0.01 < high < 1  # no longer (1, 10)
    assert len(list(tmp_path.glob("*.png"))) == 1


def _drawn_by_matplotlib(values: list[float], yscale: str, size: tuple[float, float]) -> bool:
    """Return whether plain matplotlib draws ``values`` (x = 1, 2, ...) in a figure of ``size``:
    saved without numpy's overflow warning, every finite point within its limits."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    ax = fig.add_subplot()
    ax.plot(range(1, len(values) + 1), values, marker="o")
    with np.errstate(all="ignore"):  # its margins may overflow: they leave the points out
        ax.set_yscale(yscale)
        low, high = ax.get_ylim()
    with np.errstate(all="ignore", over="raise"):
        try:
            fig.savefig(io.BytesIO(), format="png")
        except (ValueError, OverflowError, FloatingPointError):
            return False
    shown = np.asarray(values)[np.isfinite(values) & ((np.asarray(values) > 0) | (yscale != "log"))]
    return bool(low <= shown.min() and shown.max() <= high)


# (losses, yscale, figsize, the bound the curves draw them within): a diverging run, and values
# over more decades than a small figure's two ticks step past within float64
DIVERGING = [([1e-3, 1e308, float("inf"), 1.7e308, float("nan"), 1e250], "linear", (4.5, 3.0), 1e307),
             ([1e-3, 1e308, float("inf"), 1.7e308, float("nan"), 1e90], "log", (4.5, 3.0), 1e200),
             ([1e-3, 1e150, 1.0], "log", (1.0, 0.8), 1e90),
             ([1e-300, 1.0, 0.5], "log", (1.0, 0.8), 1e200)]  # fmt: skip


@pytest.mark.parametrize(("losses", "yscale", "figsize", "bound"), DIVERGING)
def test_finite_values_matplotlib_cannot_draw_are_drawn_at_a_bound(
    tmp_path: Path, losses: list[float], yscale: str, figsize: tuple[float, float], bound: float
) -> None:
    """A diverging float64 run with the guard off: matplotlib's tick locator failed on losses of
    1e308 and 1.7e308 ("arange: cannot compute length"), deep in savefig. Such values are drawn
    at the first bound of the scale's at which matplotlib draws the axis (those below its inverse
    at that on a log axis), their sign kept; the curves keep the values, NaN and inf stay out."""
    from linearnets.plotting._drawable import DRAWN_BOUNDS, on_chart

    larger = [b for b in DRAWN_BOUNDS[yscale] if b > bound]
    assert not _drawn_by_matplotlib(losses, yscale, figsize)
    for b in larger:  # the bounds tried first: not drawn either
        assert not _drawn_by_matplotlib(list(on_chart(losses, yscale, b)), yscale, figsize)
    drawn = on_chart(losses, yscale, bound)
    assert _drawn_by_matplotlib(list(drawn), yscale, figsize)
    curves = LiveCurves(out_dir=tmp_path, yscale=yscale, metrics=("train loss",), figsize=figsize)
    animator = Animator(yscale=yscale, out=tmp_path / "a.png", figsize=figsize)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings too
        for epoch, loss in enumerate(losses, start=1):
            curves.update(epoch, {"train loss": loss})
            animator.add(epoch, loss)
        curves.close()
    for line in (curves.lines["train loss"], animator.lines[0]):
        np.testing.assert_array_equal(line.get_ydata(), drawn)
    np.testing.assert_array_equal(curves.values["train loss"], losses)  # kept as received
    np.testing.assert_array_equal(animator.Y[0], losses)
    assert {p.name for p in tmp_path.iterdir()} == {"curves.png", "curves.svg", "a.png", "a.svg"}


@pytest.mark.parametrize(
    ("losses", "yscale"), [([1e-3, 1e101, 1e150], "log"), ([1.5e307, 1.6e307], "linear")]
)
def test_finite_values_matplotlib_draws_are_drawn_as_they_are(
    tmp_path: Path, losses: list[float], yscale: str
) -> None:
    """Losses up to 1e150 on a log axis were drawn flat at 1e100, and 1.6e307 on a linear one at
    1e307, where matplotlib draws them as they are."""
    assert _drawn_by_matplotlib(losses, yscale, (4.5, 3.0))
    curves = LiveCurves(out_dir=tmp_path, yscale=yscale, metrics=("train loss",))
    animator = Animator(yscale=yscale, out=tmp_path / "a.png", figsize=(4.5, 3.0))
    for epoch, loss in enumerate(losses, start=1):
        curves.update(epoch, {"train loss": loss})
        animator.add(epoch, loss)
    for line in (curves.lines["train loss"], animator.lines[0]):
        np.testing.assert_array_equal(line.get_ydata(), losses)


def test_live_curves_store_plain_floats() -> None:
    curves = LiveCurves(mode="none")
    curves.update(1, {"train loss": torch.tensor(0.5), "test acc": np.float32(0.25)})
    assert curves.values == {"train loss": [0.5], "train acc": [], "test acc": [0.25]}
    assert all(type(v) is float for v in curves.values["train loss"] + curves.values["test acc"])


def test_a_loss_that_requires_grad_is_stored_without_torchs_warning() -> None:
    """A training step's loss passed as it is (still in its autograd graph): float() of it warned
    "Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior"."""
    w = torch.tensor([0.25], requires_grad=True)
    loss = (w * 2).sum()
    curves = LiveCurves(mode="none")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        curves.update(1, {"train loss": loss})
    assert curves.values["train loss"] == [0.5] and w.grad is None


def test_live_curves_draw_any_number_of_metrics() -> None:
    names = ("a", "b", "c", "d", "e")  # more than the book's four formats: they are cycled
    curves = LiveCurves(mode="none", metrics=names)
    assert [curves.lines[m].get_linestyle() for m in names] == ["-", "--", "-.", ":", "-"]


@pytest.mark.parametrize("setting", ["metrics", "formats"])
def test_live_curves_need_at_least_one_metric_and_format(setting: str) -> None:
    with pytest.raises(UsageError, match=rf"{setting} must be a non-empty sequence of distinct"):
        LiveCurves(mode="none", **{setting: ()})  # type: ignore[arg-type]


def test_live_curves_close_without_data_writes_nothing(tmp_path: Path) -> None:
    LiveCurves(out_dir=tmp_path, mode="file", final_formats=("svg",)).close()
    assert list(tmp_path.iterdir()) == []


def test_live_curves_in_a_notebook_write_the_final_files_too(
    tmp_path: Path, fake_notebook: list[tuple[Any, ...]]
) -> None:
    curves = LiveCurves(out_dir=tmp_path, formats=("png",), final_formats=("svg",))
    curves.update(1, {"train loss": 0.5})
    curves.close()
    assert curves.mode == "notebook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png", "curves.svg"]


def test_a_bad_yscale_is_refused_before_any_figure_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    import linearnets.plotting._live_output as live_output

    made: list[Any] = []
    real = live_output.new_figure
    monkeypatch.setattr(
        live_output, "new_figure", lambda *a, **k: made.append(real(*a, **k)) or made[-1]
    )
    with pytest.raises(UsageError, match=r"yscale must be one of 'linear'"):
        LiveCurves(mode="none", yscale="exp")
    assert made == []  # refused at the boundary, as every other argument is


@pytest.mark.parametrize("mode", ["none", "file"])
def test_outside_a_notebook_the_live_curves_never_go_through_pyplot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """pyplot.figure would open a window under a GUI backend, and pyplot keeps every figure it
    made (a long run, the plotting process); a bare Figure does neither. (The book's Animator is
    pyplot's, as in the book: see the next test.)"""
    import matplotlib.pyplot as plt

    def no_window(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a pyplot figure was made")

    monkeypatch.setattr(plt, "figure", no_window)
    LiveCurves(out_dir=tmp_path, mode=mode).update(1, {"train loss": 0.5})


@pytest.mark.parametrize("mode", ["none", "file"])
def test_in_a_script_the_books_animator_draws_on_a_pyplot_figure(tmp_path: Path, mode: str) -> None:
    """The book's Animator makes its figure with ``d2l.plt.subplots(nrows, ncols, figsize=...)``:
    it is pyplot's current figure, so a script's ``d2l.plt.savefig``/``plt.show()`` after it shows
    the curves (it gave a blank image). The file mode still writes its own files."""
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    animator = Animator(legend=["loss"], out=tmp_path / "a.png", mode=mode)
    for epoch, loss in ((1, 0.9), (2, 0.5), (3, 0.4)):
        animator.add(epoch, loss)
    assert plt.gcf() is animator.fig
    assert len(plt.get_fignums()) == len(before) + 1
    np.testing.assert_array_equal(plt.gca().lines[0].get_ydata(), [0.9, 0.5, 0.4])
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved == (["a.png", "a.svg"] if mode == "file" else [])


# ---------------------------------------------------------------- the notebook mode needs a notebook


@pytest.mark.parametrize(
    ("make", "out_name"),
    [
        (lambda: LiveCurves(mode="notebook", num_epochs=2), "out_dir"),
        (lambda: Animator(mode="notebook", legend=["a"]), "out"),
    ],
    ids=["LiveCurves", "Animator"],
)
def test_the_notebook_mode_outside_jupyter_is_refused_when_made(
    make: Callable[[], Any], out_name: str
) -> None:
    """This pytest process is no Jupyter kernel (the oracle: mode='auto' picks no notebook here).
    It printed "Figure(450x300)" at each update, and without IPython failed after the first epoch."""
    from linearnets.plotting.live import resolve_mode

    assert resolve_mode("auto", has_out=False) == "none"
    with pytest.raises(
        UsageError,
        match=r"^mode='notebook' needs a running Jupyter kernel \(the test mode='auto' uses to "
        r"pick the notebook\), got mode='notebook' outside one; pass mode='auto' \(the notebook in "
        rf"Jupyter, files elsewhere\) or mode='file' with {out_name}=\.\.\.$",
    ):
        make()


def test_the_notebook_mode_in_jupyter_is_still_taken(fake_notebook: list[tuple[Any, ...]]) -> None:
    LiveCurves(mode="notebook").update(1, {"train loss": 0.5})
    Animator(mode="notebook", legend=["a"]).add(1, 0.5)
    assert [c[0] for c in fake_notebook] == ["display", "display"]


def _pixels(fig: Any) -> tuple[int, int]:
    """The PNG size matplotlib gives ``fig`` untrimmed: its inches times its dpi."""
    width, height = fig.get_size_inches() * fig.dpi
    return round(width), round(height)


def test_live_curves_files_keep_the_whole_figure_every_update_and_at_close(tmp_path: Path) -> None:
    """Fixed margins, no tight bbox: the image keeps its size as the tick labels change."""
    from PIL import Image

    curves = LiveCurves(
        out_dir=tmp_path,
        mode="file",
        formats=("png",),
        final_formats=("svg", "pdf"),
        figsize=(3.0, 2.0),
    )
    curves.update(1, {"train loss": 0.5})
    with Image.open(tmp_path / "curves.png") as image:
        assert image.size == _pixels(curves.fig) == (300, 200)
    curves.close()
    assert (tmp_path / "curves.svg").read_bytes().startswith(b"<?xml")
    assert (tmp_path / "curves.pdf").read_bytes().startswith(b"%PDF")
    final = LiveCurves(
        out_dir=tmp_path / "final", mode="file", formats=("svg",), final_formats=("png",)
    )
    final.update(1, {"train loss": 0.5})
    final.close()
    with Image.open(tmp_path / "final" / "curves.png") as image:
        assert image.size == _pixels(final.fig)


# `linearnets softmax --epochs 5 --lr 0.02`: the accuracies end at mid-height, on the right, where
# the legend sat ("center right") over the points of epochs 4 and 5
_HIDDEN_BEFORE = {
    "train loss": [1.142, 0.771, 0.689, 0.643, 0.613],
    "train acc": [0.674, 0.760, 0.782, 0.793, 0.802],
    "test acc": [0.716, 0.765, 0.777, 0.787, 0.797],
}


def _falling(names: list[str], epochs: int = 5) -> dict[str, list[float]]:
    """Curves for ``names``, each falling from its own height."""
    return {name: [1 / (e + 1) + 0.02 * i for e in range(epochs)] for i, name in enumerate(names)}


_LONG = "a very long metric name that is wider than the whole figure itself, surely yes"
_LONGER = _LONG + ", even at the smallest font the legend takes, six points, which is small"
_SIXTY = [f"metric number {i}" for i in range(60)]

# each: the metrics' values, the figure's size, its size after epoch 2 (None: kept)
LEGEND_CASES = {
    "lr-0.02-run": (_HIDDEN_BEFORE, (4.5, 3.0), None),
    "one-line": ({"train loss": [1.0, 0.0, 0.5]}, (4.5, 3.0), None),  # the last point at the centre right
    "small-figure": (_HIDDEN_BEFORE, (3.0, 2.0), None),
    # the legend covered the tick labels and "epoch"
    "smallest-figure": (_HIDDEN_BEFORE, (2.0, 1.5), None),
    # its bottom capped at 60% of the figure, the legend ran over the axes
    "twenty-metrics": (_falling([f"metric number {i}" for i in range(20)]), (4.5, 3.0), None),
    # laid out for the first size: cut by the figure's edges, or over the tick labels
    "resized-smaller": (_HIDDEN_BEFORE, (4.5, 3.0), (3.0, 1.6)),
    "resized-bigger": (_HIDDEN_BEFORE, (4.5, 3.0), (9.0, 6.0)),
    # cut by both sides of the figure
    "a-name-wider-than-the-figure": (_falling([_LONG, "test acc"]), (4.5, 3.0), None),
    "wider-even-at-6-points": (_falling([_LONGER, "test acc"]), (4.5, 3.0), None),
    "more-metrics-than-fit": (_falling(_SIXTY), (3.0, 2.0), None),
}  # fmt: skip


@pytest.mark.parametrize("case", list(LEGEND_CASES))
def test_live_curves_legend_hides_no_point_nor_label_and_is_not_cut(
    case: str, tmp_path: Path
) -> None:
    """As drawn: the legend's box holds none of the points, meets neither the axes nor their tick
    labels and labels, and lies in the figure, as do the x axis' labels ("epoch"); the axes keep
    a fifth of the figure at least. Every metric is named, but where a name is wider than the
    figure at the smallest font (shortened in its middle) or more metrics than the figure holds
    ("... and 47 more")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    metrics, figsize, resized = LEGEND_CASES[case]
    epochs = len(next(iter(metrics.values())))
    curves = LiveCurves(
        out_dir=tmp_path, mode="file", metrics=tuple(metrics), num_epochs=epochs, figsize=figsize
    )
    for i in range(epochs):
        if i == 2 and resized is not None:
            curves.fig.set_size_inches(*resized)
        curves.update(i + 1, {name: values[i] for name, values in metrics.items()})
    canvas = FigureCanvasAgg(curves.fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    legend = curves.ax.get_legend()
    box = legend.get_window_extent(renderer)
    points = np.concatenate(
        [curves.ax.transData.transform(line.get_xydata()) for line in curves.lines.values()]
    )
    assert len(points) == sum(len(v) for v in metrics.values())
    under = [p for p in points if box.x0 <= p[0] <= box.x1 and box.y0 <= p[1] <= box.y1]
    assert under == []
    figure = curves.fig.bbox
    x_labels, y_labels = (
        axis.get_tightbbox(renderer) for axis in (curves.ax.xaxis, curves.ax.yaxis)
    )
    for drawn in (curves.ax.bbox, x_labels, y_labels):
        assert not box.overlaps(drawn)
    for drawn in (box, x_labels):  # cut by no edge
        assert figure.x0 <= drawn.x0 and drawn.x1 <= figure.x1
        assert figure.y0 <= drawn.y0 and drawn.y1 <= figure.y1
    assert curves.ax.bbox.height >= 0.2 * figure.height
    assert curves.ax.bbox.width >= 0.2 * figure.width
    texts = [t.get_text() for t in legend.get_texts()]
    if case == "wider-even-at-6-points":
        start, end = texts[0].split("…")
        assert _LONGER.startswith(start) and _LONGER.endswith(end) and len(start) > 20
        assert texts[1:] == ["test acc"]
    elif case == "more-metrics-than-fit":
        kept = len(texts) - 1
        assert kept >= 5 and texts == [*_SIXTY[:kept], f"… and {60 - kept} more"]
    else:
        assert texts == list(metrics)
    curves.close()


def test_live_curves_legend_is_laid_out_again_only_for_new_metrics_or_a_new_size(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each update redraws; the legend's layout (text measured, legends tried) is redone only
    when a metric gets its first point or the figure's size changes."""
    from linearnets.plotting import live

    calls: list[tuple[str, ...]] = []
    place = live.place_legend

    def counted(fig: Any, ax: Any, handles: Any, **kwargs: Any) -> None:
        calls.append(tuple(h.get_label() for h in handles))
        place(fig, ax, handles, **kwargs)

    monkeypatch.setattr(live, "place_legend", counted)
    curves = LiveCurves(mode="none", metrics=("train loss", "test acc"), num_epochs=6)
    curves.update(1, {"train loss": 1.0})
    curves.update(2, {"train loss": 0.9})
    curves.update(3, {"train loss": 0.8, "test acc": 0.5})
    curves.update(4, {"train loss": 0.7, "test acc": 0.6})
    curves.fig.set_size_inches(6.0, 4.0)
    curves.update(5, {"train loss": 0.6, "test acc": 0.7})
    curves.update(6, {"train loss": 0.5, "test acc": 0.8})
    assert calls == [("train loss",), ("train loss", "test acc"), ("train loss", "test acc")]
    curves.close()


def test_live_curves_legend_lists_the_metrics_in_their_order_not_the_updates() -> None:
    curves = LiveCurves(mode="none", metrics=("train loss", "train acc", "test acc"))
    curves.update(1, {"test acc": 0.7, "train loss": 0.9})  # a dict in another order, one missing
    labels = [t.get_text() for t in curves.ax.get_legend().get_texts()]
    assert labels == ["train loss", "test acc"]
    handles = curves.ax.get_legend().legend_handles
    assert [h.get_color() for h in handles] == [curves.lines[m].get_color() for m in labels]


def _drawn_legend(metrics: list[str], figsize: tuple[float, float]) -> list[str]:
    """Return the legend's texts after one update of ``metrics`` in a figure of ``figsize``,
    drawn (a text matplotlib cannot lay out raises here)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    curves = LiveCurves(mode="none", metrics=metrics, num_epochs=2, figsize=figsize)
    curves.update(1, {name: 0.5 + 0.01 * i for i, name in enumerate(metrics)})
    FigureCanvasAgg(curves.fig).draw()
    texts = [t.get_text() for t in curves.ax.get_legend().get_texts()]
    curves.close()
    return texts


_LOSS = (
    r"$\mathcal{L}(w) = \frac{1}{n}\sum_{i=1}^{n} \ell(x_i, y_i) + \lambda_1 \|w\|_1"
    r" + \lambda_2 \|w\|_2^2 + \gamma \|w\|_\infty$"
)


@pytest.mark.parametrize(
    ("metrics", "figsize"),
    [([_LOSS, "test acc"], (2.0, 1.5)), (["$" + r"\alpha" * 100 + "$", "b"], (4.5, 3.0))],
    ids=["formula-in-a-small-figure", "long-math"],
)
def test_a_math_text_name_too_wide_is_never_cut(
    metrics: list[str], figsize: tuple[float, float]
) -> None:
    """Cut in its middle, a name drawn as math text was TeX cut inside a command: measuring it
    stopped the update (ParseFatalException: Unknown symbol: \\s). It is shown whole or left
    out (the first entries that fit and how many more)."""
    texts = _drawn_legend(metrics, figsize)
    assert texts == ["… and 2 more"]


def test_a_cut_name_with_dollars_is_not_made_math_text() -> None:
    """An odd number of ``$`` is drawn as it is; the cut that left two of them made the rest
    math text. Cut, each ``$`` is escaped: drawn as ``$``, never as math."""
    from matplotlib.cbook import is_math_text

    name = "$5 " + "a" * 150 + " $ " + "b" * 150 + " $6"
    texts = _drawn_legend([name, "b"], (4.5, 3.0))
    assert texts[1:] == ["b"]
    start, end = texts[0].split("…")
    assert start.startswith(r"\$5 aaaa") and end.endswith(r"bbb \$6")
    assert not is_math_text(texts[0])


def test_a_name_whose_cut_cannot_be_measured_stops_no_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Kept whole, too wide for the figure, it is left out, and counted ('… and 2 more')."""
    from linearnets.plotting import _live_legend

    def fails(*args: Any) -> int:
        raise ValueError("ParseFatalException: Unknown symbol")

    monkeypatch.setattr(_live_legend._Layout, "_most_kept", fails)
    assert _drawn_legend([_LONGER, "test acc"], (4.5, 3.0)) == ["… and 2 more"]


_TALL = "\n".join(f"line {i}" for i in range(40))


@pytest.mark.parametrize(
    ("metrics", "shown"),
    [([_TALL, "b"], ["… and 2 more"]), (["a", _TALL, "b"], ["a", "… and 2 more"])],
    ids=["first", "second"],
)
def test_a_name_taller_than_the_figure_is_counted_not_the_legend_dropped(
    metrics: list[str], shown: list[str]
) -> None:
    """Counted in rows as high as the name of 40 lines, even '… and 2 more' alone was too high:
    no legend at all."""
    assert _drawn_legend(metrics, (4.5, 3.0)) == shown


# ---------------------------------------------------------------- arguments refused at the boundary

FIGSIZE_RULE = r"figsize must be \(width, height\) in inches"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        # PIL's "cannot write empty image" at the first update, before
        ({"figsize": (0, 3)}, UsageError, FIGSIZE_RULE + r", each in \(0, 100\], got \(0, 3\)"),
        ({"figsize": "big"}, UsageTypeError, FIGSIZE_RULE + r", got 'big'"),
        ({"out_dir": 123}, UsageTypeError, r"out_dir must be a folder path .*got 123; pass e\.g\."),
        ({"out_dir": ""}, UsageError, r"out_dir must be a folder path, got an empty string"),
    ],
    ids=["figsize 0", "figsize str", "out_dir int", "out_dir empty"],
)
def test_live_curves_refuse_a_bad_figure_size_or_folder_when_made(
    kwargs: dict[str, Any],
    error: type[Exception],
    match: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # out_dir="" meant the current folder: nothing may land there
    with pytest.raises(error, match=match):
        LiveCurves(mode="file" if "out_dir" in kwargs else "none", **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_live_curves_refuse_an_out_dir_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    with pytest.raises(UsageError, match=r"out_dir .*taken.* is a file, not a folder"):
        LiveCurves(out_dir=tmp_path / "taken" / "curves", mode="file")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("abc", "'abc'"),
        ("0.5", "'0.5'"),
        (torch.tensor([1.0, 2.0]), r"a tensor of shape \(2,\) and dtype torch\.float32"),
        (None, "None"),
        (1 + 2j, r"\(1\+2j\)"),
    ],
    ids=["str", "numeric str", "2-element tensor", "None", "complex"],
)
def test_live_curves_update_refuses_what_is_not_one_number(value: object, shown: str) -> None:
    curves = LiveCurves(mode="none")
    with pytest.raises(
        UsageTypeError,
        match=r"values\['train loss'\] must be one real number, got " + shown + r"; pass e\.g\.",
    ):
        curves.update(1, {"test acc": 0.5, "train loss": value})  # type: ignore[dict-item]
    # nothing half-recorded: the good value of the same update was not kept either
    assert curves.values == {"train loss": [], "train acc": [], "test acc": []}


def test_live_curves_still_take_non_finite_and_one_element_values() -> None:
    """A diverged run's NaN and inf are data to show (float() keeps them as they are)."""
    curves = LiveCurves(mode="none")
    curves.update(1, {"train loss": torch.tensor([float("inf")]), "test acc": float("nan")})
    assert curves.values["train loss"] == [float("inf")] and np.isnan(curves.values["test acc"][0])


# ---------------------------------------------------------------- a second fit in a new cell


def test_curves_reused_after_close_start_a_new_display(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """fit() closes the curves at its end; a later fit with them runs in a later cell, where the
    user looks: it must display there (a new display id), not update the earlier cell's output."""
    curves = LiveCurves(mode="notebook")
    run_cell(monkeypatch, 1)
    curves.update(1, {"train loss": 0.5})
    curves.update(2, {"train loss": 0.4})
    curves.close()  # the end of the first fit
    run_cell(monkeypatch, 2)
    curves.update(3, {"train loss": 0.3})  # the second fit, start_epoch=2
    curves.update(4, {"train loss": 0.2})
    kinds = [c[0] for c in fake_notebook]
    ids = [c[2] for c in fake_notebook]
    assert kinds == ["display", "update", "display", "update"]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    assert curves.values["train loss"] == [0.5, 0.4, 0.3, 0.2]  # one figure, the whole history


def test_training_continued_in_the_same_cell_after_close_updates_its_display(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two fits in one cell, the second continuing the first (start_epoch, a lower lr): one
    figure of the whole training, updated in place. The first fit's close() made the second show
    the figure again below, the first display left there with the first fit's epochs alone."""
    curves = LiveCurves(mode="notebook", num_epochs=4)
    run_cell(monkeypatch, 1)
    curves.update(1, {"train loss": 0.9})
    curves.update(2, {"train loss": 0.7})
    curves.close()  # the end of the first fit
    curves.update(3, {"train loss": 0.6})  # fit(..., start_epoch=2, history=h), same cell
    curves.update(4, {"train loss": 0.5})
    curves.close()
    assert [c[0] for c in fake_notebook] == ["display", "update", "update", "update"]
    assert len({c[2] for c in fake_notebook}) == 1
    np.testing.assert_array_equal(curves.lines["train loss"].get_xdata(), [1, 2, 3, 4])


def test_a_later_fit_in_a_thread_after_close_starts_a_new_display(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread cannot tell the cells apart: a fit trained in a thread of its own after the curves'
    close() shows in a display of its own, not in the earlier fit's output, out of sight."""
    curves = LiveCurves(mode="notebook", num_epochs=4)
    run_cell(monkeypatch, 1)
    curves.update(1, {"train loss": 0.9})
    curves.close()
    run_cell(monkeypatch, 2)

    def later_fit() -> None:
        curves.update(2, {"train loss": 0.7})
        curves.update(3, {"train loss": 0.6})

    thread = threading.Thread(target=later_fit)
    thread.start()
    thread.join()
    assert [c[0] for c in fake_notebook] == ["display", "display", "update"]
    ids = [c[2] for c in fake_notebook]
    assert ids[0] != ids[1] == ids[2]


def test_training_continued_in_a_new_cell_after_an_interrupt_shows_there(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fit interrupted in one cell never reaches close(); continued in the next (start_epoch),
    its epochs redrew the first cell's figure out of sight and the new cell showed nothing."""
    curves = LiveCurves(mode="notebook", num_epochs=4)
    run_cell(monkeypatch, 1)
    curves.update(1, {"train loss": 0.9})
    curves.update(2, {"train loss": 0.7})  # then "Interrupt the kernel": no close()
    run_cell(monkeypatch, 2)
    curves.update(3, {"train loss": 0.6})  # fit(..., start_epoch=2, history=h)
    curves.update(4, {"train loss": 0.5})
    curves.close()
    assert [c[0] for c in fake_notebook] == ["display", "update", "display", "update"]
    ids = [c[2] for c in fake_notebook]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    # the new cell's figure extends the lines: the whole training, as the docstring promises
    np.testing.assert_array_equal(curves.lines["train loss"].get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(curves.lines["train loss"].get_ydata(), [0.9, 0.7, 0.6, 0.5])


def test_a_new_fit_from_epoch_1_starts_over_in_its_own_display(
    fake_notebook: list[tuple[Any, ...]],
) -> None:
    """A fit stopped by an error (no close()) and the same fit run again in a new cell, then once
    more: each shows in its own display, with its own points only (they were appended, 1, 2, 1,
    2, drawn as a zigzag, and shown in the first cell's output)."""
    curves = LiveCurves(mode="notebook", num_epochs=2)
    curves.update(1, {"train loss": 0.9, "test acc": 0.5})  # the first fit, stopped in epoch 2
    for losses in ((0.8, 0.6), (0.7, 0.5)):  # run again, then once more after a close()
        for epoch, loss in enumerate(losses, start=1):
            curves.update(epoch, {"train loss": loss})
        curves.close()
    assert [c[0] for c in fake_notebook] == ["display", "display", "update", "display", "update"]
    ids = [c[2] for c in fake_notebook]
    assert ids[1] == ids[2] and ids[3] == ids[4] and len({ids[0], ids[1], ids[3]}) == 3
    assert curves.epochs == {"train loss": [1, 2], "train acc": [], "test acc": []}
    assert curves.values["train loss"] == [0.7, 0.5]
    np.testing.assert_array_equal(curves.lines["train loss"].get_xdata(), [1, 2])
    assert len(curves.lines["test acc"].get_xdata()) == 0  # the first fit's point is gone too
    assert [t.get_text() for t in curves.ax.get_legend().texts] == ["train loss"]
    assert curves.ax.get_xlim() == pytest.approx((0.95, 2.05))  # [1, 2] and 5% each side


def test_an_epoch_going_back_is_refused_not_drawn_as_a_zigzag() -> None:
    curves = LiveCurves(mode="none")
    for epoch in (1, 2, 3):
        curves.update(epoch, {"train loss": 1.0 / epoch})
    with pytest.raises(
        UsageError,
        match=r"^epoch must come after the last epoch of 'train loss' \(3\), got 2; continue "
        r"from epoch 4, start a new fit from epoch 1 \(the curves start over\), or make new "
        r"LiveCurves$",
    ):
        curves.update(2, {"train loss": 0.1, "test acc": 0.5})
    with pytest.raises(UsageError, match=r"\(4\), got 3; continue from epoch 5"):
        curves.extend([(4, {"train loss": 0.2}), (3, {"train loss": 0.1})])
    # nothing of the refused epochs was kept (the one before them in extend() was: it is in order)
    assert curves.epochs == {"train loss": [1, 2, 3, 4], "train acc": [], "test acc": []}


def test_each_metric_goes_forward_on_its_own() -> None:
    """A metric missing from an update may come in a later update of the same epoch."""
    curves = LiveCurves(mode="none")
    curves.update(1, {"train loss": 0.9})
    curves.update(1, {"test acc": 0.5})
    curves.update(3, {"train loss": 0.7})  # an epoch skipped is still forward
    curves.update(2, {"test acc": 0.6})
    assert curves.epochs == {"train loss": [1, 3], "train acc": [], "test acc": [1, 2]}


def test_a_bad_mplbackend_gives_api_users_no_command_line_option() -> None:
    """In a fresh process, where the bad backend fails matplotlib's import: the fix is the
    variable (mode='none' would not help, it still makes a figure), not softmax's --plot none."""
    import os
    import subprocess

    code = "from linearnets.plotting import LiveCurves; LiveCurves(mode='none')"
    env = dict(os.environ, MPLBACKEND="nonsense")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 1
    assert done.stderr.rstrip().endswith(
        "UsageError: MPLBACKEND must name a matplotlib backend, got 'nonsense'; unset it or set "
        "MPLBACKEND=Agg to draw into files"
    ), done.stderr


def test_live_curves_in_the_home_folder_are_written_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``out_dir="~/curves"`` once made a folder literally named "~" in the working folder."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    curves = LiveCurves(num_epochs=2, out_dir="~/curves", mode="file")
    curves.update(1, {"train loss": 0.5})
    curves.close()
    assert (tmp_path / "home" / "curves" / "curves.png").is_file()
    assert list((tmp_path / "work").iterdir()) == []


def test_live_curves_refuse_a_tilde_they_cannot_expand() -> None:
    """Once a raw RuntimeError from pathlib ("Could not determine home directory")."""
    out_dir = "~linearnets-nobody/curves"
    if os.path.expanduser(out_dir) != out_dir:  # the oracle: Python knows no such user either
        pytest.skip("this machine has a user named linearnets-nobody")
    with pytest.raises(
        UsageError, match=r"^out_dir must be a path whose ~linearnets-nobody can be expanded"
    ):
        LiveCurves(num_epochs=2, out_dir=out_dir, mode="file")


def test_extend_draws_several_epochs_once_as_updates_one_by_one_would_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A resumed run's past epochs: one draw, not one per epoch (quadratic in a long run)."""
    from linearnets.plotting.live import LiveOutput

    points = [
        (epoch, {"train loss": 1.0 / epoch, "train acc": 0.5 + epoch / 40, "test acc": 0.6})
        for epoch in range(1, 21)
    ]
    settings: dict[str, Any] = {"mode": "file", "num_epochs": 30, "formats": ("png", "svg")}
    one_by_one = LiveCurves(out_dir=tmp_path / "a", **settings)
    for epoch, values in points:
        one_by_one.update(epoch, values)
    publish = LiveOutput.publish
    shown: list[int] = []  # per draw, the points of the first line

    def counted(self: LiveOutput, fig: Any) -> None:
        shown.append(len(fig.axes[0].lines[0].get_xdata()))
        publish(self, fig)

    monkeypatch.setattr(LiveOutput, "publish", counted)
    at_once = LiveCurves(out_dir=tmp_path / "b", **settings)
    at_once.extend(points)
    assert shown == [20]
    # the oracle: the files of the same figure drawn update by update
    for name in ("curves.png", "curves.svg"):
        assert (tmp_path / "b" / name).read_bytes() == (tmp_path / "a" / name).read_bytes()


def test_add_keeps_points_undrawn_until_redraw(tmp_path: Path) -> None:
    curves = LiveCurves(out_dir=tmp_path, mode="file", num_epochs=2, formats=("png",))
    curves.add(1, {"train loss": 0.5})
    curves.add(2, {"train loss": 0.25, "test acc": 0.7})
    assert list(tmp_path.iterdir()) == []  # nothing drawn yet
    curves.redraw()
    assert [p.name for p in tmp_path.iterdir()] == ["curves.png"]
    np.testing.assert_array_equal(curves.lines["train loss"].get_ydata(), [0.5, 0.25])
    assert [t.get_text() for t in curves.ax.get_legend().texts] == ["train loss", "test acc"]
    with pytest.raises(UsageError, match=r"values must name metrics among .*got \['loss'\]"):
        curves.add(3, {"loss": 0.1})


def test_a_curves_file_that_cannot_be_written_names_out_dir(tmp_path: Path) -> None:
    """It said "out must be a figure file …; pass a file name in it", then "out_dir must be a
    figure file, got 'DIR/curves.png', which is a folder; pass a file name in it, e.g.
    DIR/curves.png/figure.png": LiveCurves always writes curves.png in out_dir, so the folder in
    its place is to be moved (or another out_dir passed)."""
    curves = LiveCurves(num_epochs=2, out_dir=tmp_path, mode="file", formats=("png",))
    curves.update(1, {"train loss": 0.5})
    (tmp_path / "curves.png").unlink()
    (tmp_path / "curves.png").mkdir()  # a folder where the file goes
    with pytest.raises(UsageError) as info:
        curves.update(2, {"train loss": torch.tensor(0.25)})  # a one-element tensor is a value
    assert str(info.value) == (
        f"out_dir must be a folder curves.png can be written in, got {str(tmp_path)!r}, which "
        f"holds a folder {str(tmp_path / 'curves.png')!r} in its place; move or remove that "
        "folder, or pass another out_dir"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curves.png"]  # no temporary file left
    assert repr(curves) == (
        "LiveCurves(mode='file', metrics=['train loss', 'train acc', 'test acc'], num_epochs=2, "
        "points=2)"
    )


def test_a_bare_string_of_distinct_letters_is_refused_as_metrics() -> None:
    # tuple("train") would be five distinct one-letter metrics
    with pytest.raises(
        UsageError,
        match=r"^metrics must be a non-empty sequence of distinct names, got 'train'; pass e\.g\. "
        r"metrics=\('train loss', 'test acc'\)$",
    ):
        LiveCurves(metrics="train")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metrics", "shown"),
    [(["", "a"], r"metrics\[0\] = '' in \['', 'a'\]"), (("a", " \t"), r"metrics\[1\] = ' \\t' in \('a', ' \\t'\)")],
    ids=["empty", "blank"],
)  # fmt: skip
def test_a_metric_with_no_name_is_refused(metrics: Any, shown: str) -> None:
    """Taken, its line was named by matplotlib: the legend showed '_child0'."""
    with pytest.raises(
        UsageError,
        match=rf"^metrics must be names with some text, got {shown}; pass a name for each line, "
        r"e\.g\. metrics=\('train loss', 'test acc'\)$",
    ):
        LiveCurves(mode="none", metrics=metrics)


def test_a_final_format_file_that_is_a_folder_is_refused_when_made(tmp_path: Path) -> None:
    (tmp_path / "curves.svg").mkdir()
    with pytest.raises(UsageError) as info:
        LiveCurves(out_dir=tmp_path, mode="file", formats=("png",), final_formats=("svg",))
    assert str(info.value) == (
        f"out_dir must be a folder curves.svg can be written in, got {str(tmp_path)!r}, which "
        f"holds a folder {str(tmp_path / 'curves.svg')!r} in its place; move or remove that "
        "folder, or pass another out_dir"
    )


def test_a_value_that_raises_runtime_error_on_float_is_refused_by_name() -> None:
    curves = LiveCurves(mode="none")
    # float() of a meta tensor raises RuntimeError ("cannot be called on meta tensors")
    with pytest.raises(
        UsageTypeError,
        match=r"^values\['train loss'\] must be one real number, got a tensor of shape \(1,\) .*; "
        r"pass e\.g\. values=\{'train loss': 0\.5\} \(a one-element tensor is fine\)$",
    ):
        curves.update(1, {"train loss": torch.empty(1, device="meta")})


def test_no_out_dir_means_no_files_at_all() -> None:
    from linearnets.plotting._live_args import curve_files

    assert curve_files(None, ("png",), ("svg", "pdf")) == ([], [])
    assert curve_files("runs", ("png",), ("svg",)) == (
        [Path("runs/curves.png")],
        [Path("runs/curves.svg")],
    )


def test_one_announced_epoch_gets_a_range_of_one_epoch_around_it() -> None:
    curves = LiveCurves(mode="none", num_epochs=1)
    assert curves.ax.get_xlim() == pytest.approx((0.5, 1.5))


def test_starting_over_gives_back_the_announced_x_range() -> None:
    curves = LiveCurves(mode="none", metrics=["loss"], num_epochs=3)
    for epoch in range(1, 6):  # past the announced 3: the range grew to [0.8, 5.2]
        curves.update(epoch, {"loss": 1.0})
    curves.update(1, {"loss": 2.0})  # a new fit: the range of its 3 epochs again
    assert curves.ax.get_xlim() == pytest.approx((0.9, 3.1))
    assert (curves.epochs, curves.values) == ({"loss": [1]}, {"loss": [2.0]})


@pytest.mark.parametrize("n", [90, 200])
def test_a_name_cut_to_the_rooms_width_still_fits_as_laid_out(n: int) -> None:
    """A cut fitted to the room exactly missed it by rounding when the legend was measured again,
    and both entries went into '… and 2 more' (n = 90 and 200 in a 2 x 2 inch figure)."""
    texts = _drawn_legend(["abcd " + "y" * n, "b"], (2.0, 2.0))
    assert len(texts) == 2 and texts[0].startswith("abcd y") and "…" in texts[0]
    assert texts[1] == "b"


@pytest.mark.parametrize("exponent", [-320, -300, -260, -250, -240, -200, 0, 200, 240, 250, 308])
def test_log_values_anywhere_in_float64_are_drawn_and_saved_in_view(
    tmp_path: Path, exponent: int
) -> None:
    """LiveCurves take no limits: values from float64's smallest decade to its largest, beside
    a loss of 1, each drawn (at a bound where it must) in view and saved."""
    value = float(f"1e{exponent}")
    curves = LiveCurves(out_dir=tmp_path, yscale="log", metrics=("train loss",), figsize=(1, 0.8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's overflow warnings too
        curves.update(1, {"train loss": 1.0})
        curves.update(2, {"train loss": value})
    low, high = curves.ax.get_ylim()
    drawn = curves.lines["train loss"].get_ydata()
    assert drawn[0] == 1.0 and all(low <= v <= high for v in drawn)
    from linearnets.plotting._drawable import DRAWN_BOUNDS, on_chart

    # as it is, or at one of the bounds
    assert drawn[1] in [on_chart([value], "log", b)[0] for b in (np.inf, *DRAWN_BOUNDS["log"])]
    assert (tmp_path / "curves.png").stat().st_size > 0
    curves.close()


def test_a_new_fit_from_epoch_1_draws_its_values_as_new_curves_do(tmp_path: Path) -> None:
    """Starting over kept the range the last fit's values were drawn within: a new fit's 1e-250
    was drawn at 1e-200, where new curves draw it as it is."""
    curves = LiveCurves(mode="none", yscale="log", metrics=("train loss",))
    curves.update(1, {"train loss": 1e-3})
    curves.update(2, {"train loss": 1e308})
    assert curves.lines["train loss"].get_ydata()[1] < 1e308  # drawn at a bound
    fresh = LiveCurves(mode="none", yscale="log", metrics=("train loss",))
    for c in (curves, fresh):
        c.update(1, {"train loss": 1e-250})
        c.update(2, {"train loss": 1.0})
        np.testing.assert_array_equal(c.lines["train loss"].get_ydata(), [1e-250, 1.0])
        c.close()


def test_curves_enlarged_after_a_clip_draw_the_values_as_they_are_again() -> None:
    """1e150 drawn at 1e90 in a 1 x 0.8 inch figure stayed there once the figure was made larger
    (a notebook's widget, set_size_inches), which draws it as it is."""
    curves = LiveCurves(mode="none", yscale="log", metrics=("train loss",), figsize=(1, 0.8))
    curves.extend([(1, {"train loss": 1e-3}), (2, {"train loss": 1e150})])
    assert curves.lines["train loss"].get_ydata()[1] == 1e90
    curves.fig.set_size_inches(4.5, 3.0)
    curves.update(3, {"train loss": 1.0})
    np.testing.assert_array_equal(curves.lines["train loss"].get_ydata(), [1e-3, 1e150, 1.0])
    curves.close()


def test_accuracies_of_0_and_1_on_a_logit_axis_are_drawn_and_saved(tmp_path: Path) -> None:
    """0 and 1, a logit axis's ends, failed in savefig (matplotlib's ticks over (0, 1)): they
    are drawn within [1e-10, 1 - 1e-10], where it draws the axis; the values are kept. (Drawn at
    1e-100, 0 left the view reaching 3e-106, and 0.5 a sliver of it.)"""
    curves = LiveCurves(out_dir=tmp_path, yscale="logit", metrics=("test acc",))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for epoch, acc in enumerate([0.0, 0.5, 1.0], start=1):
            curves.update(epoch, {"test acc": acc})
    np.testing.assert_array_equal(curves.lines["test acc"].get_ydata(), [1e-10, 0.5, 1 - 1e-10])
    assert curves.values["test acc"] == [0.0, 0.5, 1.0]
    low, high = curves.ax.get_ylim()
    assert 1e-12 <= low < 1e-10 and 1 - 1e-10 < high < 1
    curves.close()


@pytest.mark.parametrize(
    ("train", "test"), [(1.0, 1.0), (0.0, 0.0), (1.0, 0.5), (0.99, 0.99), (0.0, 1.0)]
)
def test_perfect_accuracies_on_a_logit_axis_are_drawn_within_the_view(
    train: float, test: float, tmp_path: Path
) -> None:
    """Accuracies of exactly 1 at every epoch (small data) were drawn at 1 - 1e-10, but the view
    was (0.082, 0.918), matplotlib's for a single value: an empty axes saved, no warning. Every
    point drawn is within the view, in the PNG saved too."""
    curves = LiveCurves(
        out_dir=tmp_path, yscale="logit", metrics=("train acc", "test acc"), num_epochs=3
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for epoch in (1, 2, 3):
            curves.update(epoch, {"train acc": train, "test acc": test})
    low, high = curves.ax.get_ylim()
    for line in curves.lines.values():
        drawn = np.asarray(line.get_ydata(), np.float64)
        assert (drawn > 0).all() and (drawn < 1).all()
        assert low <= drawn.min() and drawn.max() <= high
    assert curves.values["train acc"] == [train] * 3  # the values themselves kept
    curves.close()


def test_live_curves_of_yours_in_a_runs_folder_are_refused(tmp_path: Path) -> None:
    """LiveCurves(out_dir="runs/r1") in a plain fit rewrote that finished run's curves.png and
    curves.svg; refused with one line, as ln.predict refuses a run's figure. The run's own
    curves (as_runs_own) and curves drawing no files still pass."""
    run = tmp_path / "r1"
    run.mkdir()
    (run / "config.json").write_text('{"config": {"epochs": 3}}')
    (run / "curves.png").write_bytes(b"the run's")
    message = (
        f"out_dir's curves {run / 'curves.png'} is curves.png, which the run in {run} writes: a "
        "figure written there would pass for the run's; pass out_dir a folder outside the run "
        f"folder, e.g. out_dir={str(tmp_path / 'r1-curves')!r}"
    )
    with pytest.raises(UsageError, match="^" + re.escape(message) + "$"):
        LiveCurves(out_dir=run, num_epochs=3)
    with pytest.raises(UsageError, match=r"^out_dir's curves .*curves\.pdf is curves\.pdf, the"):
        LiveCurves(out_dir=run, mode="file", formats=("pdf",))
    assert (run / "curves.png").read_bytes() == b"the run's"
    LiveCurves(out_dir=run, mode="none")  # draws no file: nothing to replace
    own = as_runs_own(LiveCurves)(out_dir=run, num_epochs=3, formats=("png",))
    own.update(1, {"train loss": 0.5})
    assert (run / "curves.png").read_bytes().startswith(b"\x89PNG")
    mine = LiveCurves(out_dir=tmp_path / "r1-curves", num_epochs=3)  # elsewhere: drawn
    mine.update(1, {"train loss": 0.5})
    assert (tmp_path / "r1-curves" / "curves.png").exists()


@pytest.mark.parametrize("yscale", ["log", "linear"])
def test_the_y_tick_labels_lie_inside_the_figure(tmp_path: Path, yscale: str) -> None:
    """A log axis of losses 0.79, 0.57, 0.53 cut its minor tick labels ("2×10⁻¹", "3×10⁻¹") off
    at the figure's left edge: the left margin was a fixed 0.14. It is fitted to the labels."""
    curves = LiveCurves(out_dir=tmp_path, num_epochs=3, yscale=yscale, formats=("png",))
    rows = zip([0.79, 0.57, 0.53], [0.75, 0.81, 0.83], [0.78, 0.81, 0.81], strict=True)
    for epoch, (loss, train_acc, test_acc) in enumerate(rows, start=1):
        curves.update(epoch, {"train loss": loss, "train acc": train_acc, "test acc": test_acc})
    curves.fig.canvas.draw()
    low, high = sorted(curves.ax.get_ylim())
    ticks = [*curves.ax.yaxis.get_major_ticks(), *curves.ax.yaxis.get_minor_ticks()]
    drawn = [
        t.label1 for t in ticks if low <= t.get_loc() <= high and t.label1.get_text() and t.label1.get_visible()
    ]  # fmt: skip
    assert drawn
    outside = [
        (t.get_text(), t.get_window_extent().x0) for t in drawn if t.get_window_extent().x0 < 0
    ]
    assert outside == []
    assert curves.fig.subplotpars.left >= 0.14  # never less room than before


def test_the_left_margin_is_measured_again_only_where_the_tick_labels_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fitting the left margin measured the y tick labels with a new renderer on every redraw,
    ~25 ms of a ~75 ms update (its text sizes cached per renderer, all measured again): one
    renderer is kept, and labels unchanged since the last measure are not measured again."""
    from matplotlib.axis import YAxis

    measured: list[object] = []
    tightbbox = YAxis.get_tightbbox

    def counted(self: YAxis, renderer: Any = None, **kwargs: Any) -> Any:
        measured.append(renderer)
        return tightbbox(self, renderer, **kwargs)

    monkeypatch.setattr(YAxis, "get_tightbbox", counted)
    curves = LiveCurves(out_dir=tmp_path, num_epochs=10, yscale="log", formats=("png",))
    for epoch in range(1, 6):  # the same values: the same view, the same labels
        curves.update(epoch, {"train loss": 0.5, "train acc": 0.8, "test acc": 0.8})
    assert len(measured) == 1
    curves.update(6, {"train loss": 1e-3, "train acc": 0.8, "test acc": 0.8})  # 10⁻³ and below
    assert len(measured) == 2 and measured[0] is measured[1]  # one renderer measures them all
    curves.fig.canvas.draw()
    labels = [t.label1 for t in curves.ax.yaxis.get_major_ticks() if t.label1.get_text()]
    assert labels and min(t.get_window_extent().x0 for t in labels) >= 0
