"""Tests of linearnets.plotting.animator: the book's Animator in a terminal, a file, a notebook."""

from __future__ import annotations

import io
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from PIL import Image

from linearnets.errors import UsageError, UsageTypeError
from linearnets.plotting import (
    Animator,
)
from linearnets.plotting._plot_args import check_limits

from ._bad_settings import bad_axes_settings
from .conftest import run_cell

try:  # IPython's own event manager, imported before a test fakes IPython
    from IPython.core import events as _events
except ImportError:
    _events = None  # type: ignore[assignment]


def test_in_a_script_an_animator_with_nowhere_to_draw_says_so_as_live_curves_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A script's Animator() without out drew nothing, silently, where LiveCurves() warns: it
    warns in the same words, at the script's own line."""
    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: False)
    with pytest.warns(UserWarning) as record:
        line = sys._getframe().f_lineno + 1
        animator = Animator(legend=["loss"])
    assert [(str(w.message), w.filename, w.lineno) for w in record] == [
        (
            "Animator shows and saves nothing here: this is not Jupyter and no out was given (its "
            "figure is drawn; plt.savefig saves it); pass out=... for a PNG and an SVG rewritten "
            "at each add, or mode='none' to say so",
            __file__,
            line,
        )
    ]
    assert animator.mode == "none"
    animator.close()


def test_the_script_warning_says_true_the_figure_is_drawn_and_plt_savefig_saves_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """It said "Animator draws nothing here" while its axes held the line and plt.savefig wrote
    the curve: what it says (drawn, plt.savefig saves it) is checked to hold."""
    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: False)
    with pytest.warns(UserWarning, match=r"\(its figure is drawn; plt\.savefig saves it\)"):
        animator = Animator(xlabel="epoch", xlim=[1, 3])
    animator.add(1, 0.3)
    animator.add(2, 0.2)
    np.testing.assert_array_equal(animator.axes[0].lines[0].get_xydata(), [[1, 0.3], [2, 0.2]])
    plt.savefig(tmp_path / "c.png")  # pyplot's current figure: the Animator's
    assert plt.gcf() is animator.fig
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    animator.close()


@pytest.mark.parametrize("where", ["out", "mode none"])
def test_no_warning_where_an_animator_draws_somewhere_or_nowhere_on_purpose(
    where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("linearnets.plotting._live_output.in_notebook", lambda: False)
    kwargs: dict[str, Any] = {"out": tmp_path / "a.png"} if where == "out" else {"mode": "none"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Animator(**kwargs).close()


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
    with pytest.warns(UserWarning, match="^Animator shows and saves nothing here: this is not Jup"):
        assert Animator().mode == "none"
    assert Animator(out=tmp_path / "a.png").mode == "file"
    # pyplot's figures, as the book's plt.subplots makes them: plt.show() or savefig sees them
    assert len(plt.get_fignums()) == 2
    plt.close("all")


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


def test_an_animator_used_again_in_a_later_cell_shows_there_like_the_books(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's add() displays the figure in the cell calling it; this one updated the first
    cell's output out of sight, and the cell that trained some more showed nothing."""
    run_cell(monkeypatch, 1)
    animator = Animator(xlabel="epoch", xlim=[1, 6], legend=["loss"])
    for epoch in range(1, 4):
        animator.add(epoch, epoch**-1)
    run_cell(monkeypatch, 2)  # "train some more"
    for epoch in range(4, 7):
        animator.add(epoch, epoch**-1)
    kinds = [call[0] for call in fake_notebook]
    assert kinds == ["display", "update", "update", "display", "update", "update"]
    ids = [call[2] for call in fake_notebook]
    assert len(set(ids[:3])) == len(set(ids[3:])) == 1 and ids[0] != ids[3]
    assert {call[1] for call in fake_notebook} == {animator.fig}  # the same figure, all points
    np.testing.assert_array_equal(animator.lines[0].get_xdata(), [1, 2, 3, 4, 5, 6])


def test_an_animator_line_of_one_point_is_marked_then_drawn_as_its_format() -> None:
    animator = Animator(xlim=[0.5, 1.5], legend=["train loss"], mode="none")
    animator.add(1, 0.6)
    assert animator.lines[0].get_marker() == "o"  # one point: no line length to see
    animator.add(2, 0.5)
    assert animator.lines[0].get_marker() == "None"  # the book's "-": a plain line again


def test_animator_takes_tensors_and_numpy_numbers_and_skips_none_as_the_book_does() -> None:
    animator = Animator(legend=["a", "b"], mode="none")
    animator.add(1, (torch.tensor(0.5), None))  # the book: a None point is skipped
    animator.add(np.float32(2), np.array([0.25, 0.75]))
    animator.add(torch.tensor(3), [None, np.float64(0.125)])
    assert animator.X == [[1.0, 2.0], [2.0, 3.0]]
    assert animator.Y == [[0.5, 0.25], [0.75, 0.125]]
    np.testing.assert_array_equal(animator.lines[1].get_ydata(), [0.75, 0.125])


def test_animator_keeps_the_values_given_as_the_books_add_does() -> None:
    """The book's add appends x and y as given: ints stay ints, tensors tensors, NumPy numbers
    NumPy's; the lines draw their numbers."""
    animator = Animator(legend=["a", "b"], mode="none")
    loss = torch.tensor(0.5)
    animator.add(1, (loss, 2))
    animator.add(np.float32(2), np.array([0.25, 0.75]))
    animator.add(torch.tensor(3), torch.tensor([0.125, 4.0]))
    assert [[type(v) for v in line] for line in animator.X] == [[int, np.float32, torch.Tensor]] * 2
    assert animator.Y[0][0] is loss and type(animator.Y[1][0]) is int
    assert [type(v) for v in animator.Y[0][1:]] == [np.float64, torch.Tensor]  # as zip gives
    assert animator.Y == [[0.5, 0.25, 0.125], [2, 0.75, 4.0]]
    np.testing.assert_array_equal(animator.lines[0].get_data(), [[1, 2, 3], [0.5, 0.25, 0.125]])
    np.testing.assert_array_equal(animator.lines[1].get_data(), [[1, 2, 3], [2, 0.75, 4.0]])


def test_animator_keeps_a_tensor_that_requires_grad_and_draws_its_number() -> None:
    """The book's add keeps it too; matplotlib alone cannot draw it (its numpy() refuses a tensor
    that requires grad): the line is drawn from its number."""
    w = torch.tensor(2.0, requires_grad=True)
    animator = Animator(mode="none")
    animator.add(1, w * 0.25)
    animator.add(torch.tensor(2.0, requires_grad=True), w * 0.5)
    assert all(v.requires_grad for v in animator.Y[0]) and animator.X[0][1].requires_grad
    np.testing.assert_array_equal(animator.lines[0].get_data(), [[1.0, 2.0], [0.5, 1.0]])


def test_animator_starts_over_when_x_and_y_are_set_to_none() -> None:
    """The book's add starts new lists when X is empty; the lines then draw the new points alone."""
    animator = Animator(legend=["a", "b"], mode="none")
    animator.add(1, (0.5, 0.25))
    animator.X = animator.Y = None
    animator.add(5, 0.75)
    assert animator.X == [[5]] and animator.Y == [[0.75]]
    np.testing.assert_array_equal(animator.lines[0].get_data(), [[5], [0.75]])
    assert len(animator.lines[1].get_xdata()) == 0  # the second line's points are gone


@pytest.mark.parametrize(
    ("legend", "shown"), [(None, None), (["a"], ["a"]), (["", "b"], ["", "b"])]
)
def test_animator_legend_takes_none_fewer_names_or_an_empty_one_as_the_books_does(
    legend: list[str] | None, shown: list[str] | None
) -> None:
    """The book's legend: none, fewer names than lines, an empty name (an entry with no words, as
    matplotlib draws it); LiveCurves' metrics refuse an empty one, not the Animator."""
    animator = Animator(legend=legend, mode="none")
    animator.add(1, [0.5, 0.4])
    drawn = animator.axes[0].get_legend()
    assert (drawn and [t.get_text() for t in drawn.get_texts()]) == shown


def test_one_format_string_draws_every_line() -> None:
    """fmts='r-' is one format for every line: the book's zip cycles it as 'r', then '-'."""
    animator = Animator(fmts="r-", mode="none")
    animator.add(1, (0.5, 0.25, 0.125))
    assert [(line.get_color(), line.get_linestyle()) for line in animator.lines] == [("r", "-")] * 3


BAD_INPUT: list[Any] = [
    (
        lambda: Animator(figsize=(0, 0)),
        UsageError,
        r"figsize must be \(width, height\) in inches, each in",
    ),
    (lambda: Animator(mode="window"), UsageError, r"mode must be one of"),
    (lambda: Animator(mode="file"), UsageError, r"mode='file' needs .*out"),
    (lambda: Animator(nrows=0), UsageError, r"nrows must be a positive"),
    (lambda: Animator(out="curves.txt"), UsageError, r"out must end with one of \.png, \.svg"),
    (lambda: Animator(mode="none").add((1, 2, 3), (1, 2)), UsageError, r"x must be one number"),
    (lambda: Animator(mode="none").add(1, "0.5"), UsageTypeError, r"y must be a number"),
]


@pytest.mark.parametrize(("call", "error", "match"), BAD_INPUT)
def test_bad_input_is_rejected_with_a_helpful_message(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


BOUNDARY_INPUT: list[Any] = [
    (lambda: Animator(fmts=["zz"], mode="none"), UsageError, r"fmts\[0\] must be a matplotlib format string .*got 'zz'"),
    (lambda: Animator(fmts="", mode="none"), UsageError, r"^fmts must be a non-empty sequence of format strings, or one format string for every curve, got ''"),
    (lambda: Animator(fmts=3, mode="none"), UsageError, r"^fmts must be a non-empty sequence of format strings, or one format string for every curve, got 3"),
    (lambda: Animator(fmts=["-", 3], mode="none"), UsageTypeError, r"fmts\[1\] must be a matplotlib format string .*got 3 \(not a string\)"),
    (lambda: Animator(mode="none").add(1, ["a"]), UsageTypeError, r"y\[0\] must be a real number or None, got 'a'"),
    (lambda: Animator(mode="none").add(1, 1j), UsageTypeError, r"y must be a real number or None, got 1j"),
    (lambda: Animator(mode="none").add(1, {1: 2}), UsageTypeError, r"y must be a number or a sequence of numbers \(one per line\), got \{1: 2\}"),
    (lambda: Animator(mode="none").add({0: 1}, 2), UsageTypeError, r"x must be a number or a sequence"),
    (lambda: Animator(mode="none").add(1, [torch.ones(2)]), UsageTypeError, r"y\[0\] must be a real number or None, got a tensor of shape \(2,\)"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "match"), BOUNDARY_INPUT)
def test_inputs_are_checked_before_matplotlib_sees_them(
    call: Callable[[], Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(("settings", "error", "match"), bad_axes_settings("loss"))
def test_a_bad_setting_leaves_no_figure_in_pyplot(
    settings: dict[str, Any], error: type[Exception], match: str
) -> None:
    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # refused before it could say it draws nothing
        with pytest.raises(error, match=match) as info:
            Animator(**settings)
    assert type(info.value) is error  # a UsageTypeError is a UsageError too
    assert plt.get_fignums() == []


# ---------------------------------------------------------------- points, lines and limits


def test_a_later_add_may_bring_more_lines() -> None:
    animator = Animator(legend=["loss", "train acc", "test acc"], mode="none")
    animator.add(1, 0.9)  # the loss alone first
    animator.add(2, (0.6, 0.7, 0.65))
    assert animator.X == [[1.0, 2.0], [2.0], [2.0]]
    assert [line.get_linestyle() for line in animator.lines] == [
        "-",
        "--",
        "-.",
    ]  # "-", "m--", "g-."
    assert [t.get_text() for t in animator.axes[0].get_legend().texts] == [
        "loss",
        "train acc",
        "test acc",
    ]


def test_a_none_x_skips_that_lines_point() -> None:
    animator = Animator(mode="none")
    animator.add((1, None), (0.5, 0.6))
    animator.add((2, 3), (0.25, 0.75))
    assert animator.X == [[1.0, 2.0], [3.0]]
    assert animator.Y == [[0.5, 0.25], [0.75]]


def test_a_2d_tensor_is_one_point_per_value() -> None:
    animator = Animator(mode="none")
    animator.add(1, torch.tensor([[0.5, 0.25]]))
    assert animator.Y == [[0.5], [0.25]]


def test_a_bool_is_not_a_point() -> None:
    with pytest.raises(UsageTypeError, match=r"y must be a real number or None, got True"):
        Animator(mode="none").add(1, True)


def test_the_axes_follow_the_data_unless_fixed() -> None:
    animator = Animator(mode="none")
    for epoch, value in ((1, 5.0), (2, 50.0), (3, -20.0)):
        animator.add(epoch, value)
    low, high = animator.axes[0].get_ylim()
    assert low <= -20.0 and high >= 50.0  # every point in view
    assert animator.axes[0].get_xlim()[1] >= 3.0
    fixed = Animator(ylim=[0, 1], mode="none")
    fixed.add(1, 5.0)
    assert fixed.axes[0].get_ylim() == (0.0, 1.0)


def test_a_limit_with_an_open_end_fixes_one_end_and_the_other_follows_the_data() -> None:
    # the book's set_axes passes ylim=[0, None] to matplotlib, which keeps the open end; its
    # Animator redraws on each add, so that end follows the points added since
    animator = Animator(xlim=[None, 5], ylim=[0, None], mode="none")
    for epoch in (1, 2, 3):
        animator.add(epoch, 10.0 * epoch)
    low, high = animator.axes[0].get_ylim()
    assert low == 0.0 and high >= 30.0
    left, right = animator.axes[0].get_xlim()
    assert left <= 1.0 and right == 5.0


def test_the_grid_has_nrows_by_ncols_axes_drawn_on_the_first() -> None:
    animator = Animator(nrows=2, ncols=3, mode="none")
    animator.add(1, 0.5)
    assert len(animator.axes) == 6
    assert animator.axes[0].get_subplotspec().get_geometry()[:2] == (2, 3)
    assert [len(ax.lines) for ax in animator.axes] == [1, 0, 0, 0, 0, 0]


def test_no_legend_before_there_are_lines_to_label() -> None:
    animator = Animator(legend=["loss"], mode="none")
    assert animator.axes[0].get_legend() is None  # an empty legend box would cover the axes
    animator.add(1, 0.5)
    assert [t.get_text() for t in animator.axes[0].get_legend().texts] == ["loss"]


def test_the_first_lines_fit_the_margins_to_the_labels_once() -> None:
    """The layout after the first add is matplotlib's tight layout (limits fixed: the ticks stay put)."""
    animator = Animator(
        xlabel="epoch",
        ylabel="a long y label",
        legend=["loss"],
        xlim=[1, 3],
        ylim=[0, 1],
        mode="none",
    )
    default = animator.axes[0].get_position().bounds
    animator.add(1, 0.5)
    fitted = animator.axes[0].get_position().bounds
    animator.fig.tight_layout()  # the oracle: matplotlib's own fit of the same figure
    np.testing.assert_allclose(fitted, animator.axes[0].get_position().bounds, atol=1e-6)
    assert not np.allclose(fitted, default)  # the fit moved the axes off matplotlib's defaults


def test_two_animators_in_a_notebook_keep_separate_displays(
    fake_notebook: list[tuple[Any, ...]],
) -> None:
    first, second = Animator(legend=["a"]), Animator(legend=["b"])
    first.add(1, 0.5)
    second.add(1, 0.5)
    first.add(2, 0.25)
    ids = {call[1]: call[2] for call in fake_notebook if call[0] == "display"}
    assert set(ids) == {first.fig, second.fig} and ids[first.fig] != ids[second.fig]
    assert fake_notebook[-1] == ("update", first.fig, ids[first.fig])  # not the second's output


def test_animator_file_mode_writes_the_whole_figure(tmp_path: Path) -> None:
    animator = Animator(legend=["loss"], figsize=(3.0, 2.0), out=tmp_path / "a.png")
    animator.add(1, 0.5)
    width, height = animator.fig.get_size_inches() * animator.fig.dpi
    with Image.open(tmp_path / "a.png") as image:
        assert image.size == (round(width), round(height)) == (300, 200)


def test_an_animator_file_that_cannot_be_written_names_out(tmp_path: Path) -> None:
    """The book's Animator takes ``out``: a write failure names it (LiveCurves' names out_dir)."""
    out = tmp_path / "anim.png"
    anim = Animator(xlabel="epoch", xlim=[1, 2], legend=["a"], out=out)
    anim.add(1, 0.5)
    out.unlink()
    out.mkdir()  # a folder where the figure goes
    with pytest.raises(UsageError, match=r"^out must be"):
        anim.add(2, 0.25)


def test_a_legend_given_as_an_array_labels_the_lines() -> None:
    # `list(legend or [])` raised "The truth value of an array ... is ambiguous" in the constructor
    animator = Animator(legend=np.array(["loss", "acc"]), mode="none")
    animator.add(1, (0.9, 0.5))
    assert animator.legend == ["loss", "acc"]
    assert [t.get_text() for t in animator.axes[0].get_legend().texts] == ["loss", "acc"]


@pytest.mark.parametrize("mode", ["none", "file"])
def test_close_outside_a_notebook_lets_pyplot_go_of_the_figure(tmp_path: Path, mode: str) -> None:
    """close() acted in a notebook only: a script's closed Animators stayed in pyplot, and the
    21st warned "More than 20 figures have been opened" (pointing at our _mpl.py)."""
    plt.close("all")
    out = tmp_path / "a.png" if mode == "file" else None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(22):
            animator = Animator(legend=["loss"], mode=mode, out=out)
            animator.add(1, 0.5)
            assert animator.fig.number in plt.get_fignums()  # pyplot's until closed, as the book's
            animator.close()
    assert plt.get_fignums() == []
    assert animator.X == [[1]] and animator.Y == [[0.5]]  # the data stays


def test_close_in_a_notebook_lets_pyplot_go_of_the_figure_before_the_cell_ends(
    fake_notebook: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # in a kernel with IPython's events pyplot keeps the figure until the cell ends (plt.savefig
    # after train_ch3 sees it); close() lets it go at once
    import sys

    if _events is None:
        pytest.skip("IPython is not installed")

    class ZMQInteractiveShell:
        execution_count = 1

    shell = ZMQInteractiveShell()
    shell.events = _events.EventManager(shell, _events.available_events)  # type: ignore[attr-defined]
    monkeypatch.setattr(sys.modules["IPython"], "get_ipython", lambda: shell)
    animator = Animator(legend=["loss"], mode="notebook")
    animator.add(1, 0.5)
    assert animator.fig.number in plt.get_fignums()  # kept for the cell
    animator.close()
    assert plt.get_fignums() == []
    assert animator.X == [[1.0]] and animator.Y == [[0.5]]  # the data stays
    shell.events.trigger("post_execute")  # the cell ends: nothing of this test left registered


@pytest.mark.parametrize(
    ("ylim", "drawn"),
    [([None, 1], (0.1, 1.0)), ([None, 0.5], (0.05, 0.5)), ([0.01, None], (0.01, 10.0))],
)
def test_a_log_axis_of_zeros_keeps_the_given_end_of_an_open_ended_ylim(
    ylim: list[float | None], drawn: tuple[float, float]
) -> None:
    """A loss of exactly 0 on a log axis: ylim=[None, 1] warned 'Attempting to set identical low
    and high ylims' and showed (0.1, 10), ignoring the top; ylim=[None, 0.5] warned 'Data has no
    positive values' and showed an inverted (1, 0.5). The given end is kept, the other a decade
    from it, without a warning."""
    animator = Animator(yscale="log", ylim=ylim, mode="none", legend=["loss"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        animator.add(1, 0.0)
    np.testing.assert_allclose(animator.axes[0].get_ylim(), drawn)
    animator.close()


@pytest.mark.parametrize(
    ("ylim", "drawn"), [([None, 5e-324], (5e-324, 5e-323)), ([1e300, None], (1e300, 1e301))]
)
def test_an_open_ended_ylim_at_float64s_ends_on_a_log_axis_of_zeros_is_drawn(
    tmp_path: Path, ylim: list[float | None], drawn: tuple[float, float]
) -> None:
    """ylim=[None, 5e-324]: the decade below, 5e-324 / 10, is 0: matplotlib warned 'Attempt to
    set non-positive ylim on a log-scaled axis will be ignored' and drew an inverted (1, 5e-324);
    the decade above is drawn, as for the equal limits (5e-324, 5e-324). ylim=[1e300, None]: the
    first add failed in tight_layout (OverflowError), drawn at the limits (1e300, 1)."""
    animator = Animator(yscale="log", ylim=ylim, out=tmp_path / "a.png", legend=["loss"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        animator.add(1, 0.0)
    assert animator.axes[0].get_ylim() == drawn
    assert {p.name for p in tmp_path.iterdir()} == {"a.png", "a.svg"}
    animator.close()


@pytest.mark.parametrize(
    ("kwargs", "said"),
    [({"ylim": [1.79e308] * 2},
      "ylim cannot be drawn on a linear y axis in a 3.5 x 2.5 inch figure: matplotlib cannot "
      "place its ticks over (1.7e+308, 1.8e+308) in this figure, so savefig fails (ValueError: "
      "arange: cannot compute length); pass ylim and the values divided by a power of ten, e.g. "
      "by 1e+308, saying so in the ylabel"),
     # ticks 92 decades apart, past 1e308, where 6 fit; in a larger figure, 57 apart
     ({"ylim": [1e-230, 1e230], "yscale": "log"},
      "ylim cannot be drawn on a log y axis in a 3.5 x 2.5 inch figure: matplotlib cannot place "
      "its ticks over (1e-230, 1e+230) in this figure, so savefig fails (OverflowError: cannot "
      "convert float infinity to integer); pass a larger figsize, with room for more ticks")],
)  # fmt: skip
def test_limits_matplotlib_cannot_draw_are_refused_leaving_no_figure(
    tmp_path: Path, kwargs: dict[str, Any], said: str
) -> None:
    """Animator(ylim=[1.79e308, 1.79e308], out=...) widened them to (1.7e308, 1.8e308), then its
    first add failed in matplotlib's tick locator ('arange: cannot compute length')."""
    plt.close("all")
    for size, fails in (((3.5, 2.5), True), ((30, 20), "larger figsize" not in said)):
        oracle = plt.figure(figsize=size).add_subplot()
        oracle.set_yscale(kwargs.get("yscale", "linear"))
        oracle.set_ylim(check_limits("ylim", kwargs["ylim"]))  # as widened
        with np.errstate(all="ignore"):
            try:
                oracle.figure.savefig(io.BytesIO(), format="png")
            except (ValueError, OverflowError) as exc:
                assert fails and f"({type(exc).__name__}: {exc})" in said
            else:
                assert not fails
        plt.close("all")
    with pytest.raises(UsageError) as info:
        Animator(out=tmp_path / "a.png", legend=["loss"], **kwargs)
    assert str(info.value) == said
    assert plt.get_fignums() == [] and list(tmp_path.iterdir()) == []


def test_limits_its_layout_leaves_no_room_to_draw_are_refused_at_construction() -> None:
    """ylim=[1e-120, 1e120] on a log axis drew in 3.5 x 1.5 inches before the first add's
    tight_layout shrank the axes for the labels: the add, mid-training, raised. Refused when
    made, as laid out, leaving no figure."""
    plt.close("all")
    with pytest.raises(UsageError, match=r"^ylim cannot be drawn on a log y axis in a 3.5 x 1.5"):
        Animator(mode="none", yscale="log", ylim=[1e-120, 1e120], figsize=(3.5, 1.5),
                 xlabel="epoch", ylabel="a\nb\nc")  # fmt: skip
    assert plt.get_fignums() == []


@pytest.mark.parametrize(("ylim", "values"), [([1e-150, None], [1.0, 1e100]),
                                              ([None, 1e150], [1.0, 1e-100])])  # fmt: skip
def test_add_draws_values_beyond_a_bound_with_the_given_end_of_ylim(
    ylim: list[float | None], values: list[float]
) -> None:
    """Animator(yscale='log', ylim=[1e-150, None], figsize=(1, 0.8)) then add(2, 1e100) raised
    UsageError 'ylim cannot be drawn...' mid-training: no bound drew with the given end 1e-150.
    The other bound is brought towards it until matplotlib draws: every point within the view,
    savefig without numpy's overflow warning, no warning, and Y as added."""
    plt.close("all")
    animator = Animator(mode="none", yscale="log", ylim=ylim, figsize=(1, 0.8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for epoch, value in enumerate(values, 1):
            animator.add(epoch, value)
    ax = animator.axes[0]
    drawn = animator.lines[0].get_ydata()
    low, high = ax.get_ylim()
    assert [low, high][ylim.index(None) - 1] == next(v for v in ylim if v is not None)
    assert np.isfinite(drawn).all() and low <= drawn.min() and drawn.max() <= high
    assert drawn[0] == 1.0
    assert animator.Y is not None and animator.Y[0] == values
    with np.errstate(over="raise"):
        animator.fig.savefig(io.BytesIO(), format="png")
    animator.close()


def test_add_lets_go_of_limits_the_figure_no_longer_draws_warning_once() -> None:
    """ylim=[1e-140, 1e140] draws in 3.5 x 2.5 inches; resized to 1 x 0.8 (a notebook's widget,
    set_size_inches), the next add raised UsageError, stopping the training. The axis is fitted
    to the points instead, said once, and the figure saves."""
    plt.close("all")
    animator = Animator(mode="none", yscale="log", ylim=[1e-140, 1e140])
    animator.fig.set_size_inches(1, 0.8)
    with pytest.warns(UserWarning, match=r"^ylim=\[1e-140, 1e\+140\] cannot be drawn") as said:
        for epoch in (1, 2, 3):
            animator.add(epoch, 10.0**epoch)
    assert len(said) == 1 and said[0].filename == __file__
    low, high = animator.axes[0].get_ylim()
    assert low < 10.0 and high > 1000.0
    np.testing.assert_array_equal(animator.lines[0].get_ydata(), [10.0, 100.0, 1000.0])
    animator.fig.savefig(io.BytesIO(), format="png")
    animator.close()


def test_a_diverged_loss_is_not_asked_of_matplotlib_at_each_bound_on_each_add(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """draw_points started its ladder at no bound on every add: once a loss diverged to 1.7e308,
    each add asked matplotlib to place the ticks at each bound again (0.3 ms an add became 5 to
    8). It starts at the last that drew: one view asked per add."""
    from linearnets.plotting import _drawable

    asked: list[object] = []
    real = _drawable.view_error
    monkeypatch.setattr(_drawable, "view_error", lambda *a, **k: asked.append(a) or real(*a, **k))
    animator = Animator(mode="none", figsize=(1, 0.8))
    animator.add(1, 1.0)
    animator.add(2, sys.float_info.max * 0.95)
    asked.clear()
    for epoch in range(3, 8):
        animator.add(epoch, sys.float_info.max * 0.95)
    assert len(asked) == 5
    assert animator.lines[0].get_ydata()[-1] == _drawable.DRAWN_BOUNDS["linear"][-1]  # 1e306 here
    animator.close()


# one-end log limits from float64's smallest to its largest, with the points the brief's
# reports crashed on (1e-300, 1e-260, 1e-250, 1e-240, 1e240, 1e250) among them
ONE_END_EXPONENTS = [-320, -300, -260, -250, -240, -200, -100, 0, 100, 200, 240, 250, 300, 308]


@pytest.mark.parametrize("axis", ["x", "y"])
@pytest.mark.parametrize("side", ["low", "high"])
@pytest.mark.parametrize("exponent", ONE_END_EXPONENTS)
def test_one_end_log_limits_anywhere_in_float64_draw_and_save_the_points_in_view(
    axis: str, side: str, exponent: int
) -> None:
    """_ranges built its ladder's steps as 10 ** (decades), past 1e308 for a given end far from
    the bounds: Animator(yscale='log', ylim=[1e-300, None]).add(1, 1.0) raised OverflowError on
    the first add, whatever the values. Each one-end limit is drawn and saved with the points
    in view, or refused when made, as a UsageError naming it, as before the ladder (with no
    point, the view from 1 to 1e250 or more, or 1e308's decade, which this figure cannot draw)."""
    end = float(f"1e{exponent}")
    limits = [end, None] if side == "low" else [None, end]
    values = [end, min(end * 1e10, 1e308)] if side == "low" else [max(end / 1e10, 5e-324), end]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # matplotlib's on a single point's view
        try:
            animator = Animator(mode="none", **{f"{axis}scale": "log", f"{axis}lim": limits})
        except UsageError as refused:
            assert str(refused).startswith(f"{axis}lim cannot be drawn on a log {axis} axis")
            assert exponent >= 250  # as before the ladder: every smaller one is taken
            return
        for i, value in enumerate(values, start=1):
            animator.add(value, float(i)) if axis == "x" else animator.add(i, value)
        animator.fig.savefig(io.BytesIO(), format="png")
    low, high = sorted(getattr(animator.axes[0], f"get_{axis}lim")())
    assert (low if side == "low" else high) == end  # the given end kept
    drawn = getattr(animator.lines[0], f"get_{axis}data")()
    assert all(low <= v <= high for v in drawn)
    assert drawn[0 if side == "low" else 1] == end  # the point at the given end drawn there
    animator.close()


def test_starting_over_draws_the_new_values_as_a_new_animator_does() -> None:
    """a.X = None; a.Y = None (the book's start over) kept the range the last run's values were
    clipped to: 1e-250 drew at 1e-200, where a new Animator draws it as it is."""
    animator = Animator(mode="none", yscale="log")
    animator.add(1, 1e-3)
    animator.add(2, 1e308)
    assert animator.lines[0].get_ydata()[1] < 1e308  # clipped: the view cannot span it here
    animator.X = None
    animator.Y = None
    animator.add(1, 1e-250)
    animator.add(2, 1.0)
    fresh = Animator(mode="none", yscale="log")
    fresh.add(1, 1e-250)
    fresh.add(2, 1.0)
    np.testing.assert_array_equal(fresh.lines[0].get_ydata(), [1e-250, 1.0])
    np.testing.assert_array_equal(animator.lines[0].get_ydata(), [1e-250, 1.0])
    animator.close()
    fresh.close()


def test_a_figure_enlarged_after_a_clip_draws_the_values_as_they_are_again() -> None:
    """The ladder started at the range the last add drew within: once 1e150 was drawn at 1e90 in
    a 1 x 0.8 inch figure, it stayed there after the figure was made larger, which draws it."""
    animator = Animator(mode="none", yscale="log", figsize=(1, 0.8))
    for epoch, loss in enumerate([1e-3, 1e150], start=1):
        animator.add(epoch, loss)
    assert animator.lines[0].get_ydata()[1] == 1e90
    animator.fig.set_size_inches(4.5, 3.0)
    animator.add(3, 1.0)
    np.testing.assert_array_equal(animator.lines[0].get_ydata(), [1e-3, 1e150, 1.0])
    animator.fig.savefig(io.BytesIO(), format="png")
    animator.close()


@pytest.mark.parametrize(
    ("yscale", "values", "drawn"),
    [("logit", [0.0, 1.0], [1e-10, 1 - 1e-10]),
     ("logit", [0.0, 0.35, 0.6, 0.87], [1e-10, 0.35, 0.6, 0.87]),
     ("logit", [0.0, 1e-50, 0.5], [1e-50, 1e-50, 0.5]),
     ("logit", [0.0, 1e-200, 0.5], [1e-100, 1e-100, 0.5]),
     # the high end alike: 1 - 1e-12 was drawn at 1 - 1e-10, on top of the 1 beside it
     ("logit", [1e-12, 0.5, 1 - 1e-12, 1.0], [1e-12, 0.5, 1 - 1e-12, 1 - 1e-12]),
     ("logit", [1e-320, 0.5], [1e-320, 0.5]), ("logit", [5e-324, 0.5], [5e-324, 0.5]),
     ("log", [1e-320, 0.5], [1e-320, 0.5]), ("log", [5e-324, 0.5], [5e-324, 0.5])],
)  # fmt: skip
def test_values_no_limit_lets_draw_never_raise_and_save(
    yscale: str, values: list[float], drawn: list[float]
) -> None:
    """On a logit axis with no limits given, an accuracy of 0 or 1 (or 1e-320) raised TypeError
    ('NoneType' object is not iterable) in add, which promises not to raise for what it cannot
    draw: 0 and 1 are drawn within [1e-10, 1 - 1e-10], where it draws the axis (0 at a smaller
    value above 0 where one is, down to 1e-100; 1 at a larger one below 1), and subnormals, which it draws, as they are, on
    a logit axis as on a log one. The figure saves. Drawn at 1e-100, a 0 left the accuracies
    0.35 to 0.87 2 of the axis's 176 pixels (its view reached 9e-106)."""
    animator = Animator(mode="none", yscale=yscale)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for epoch, value in enumerate(values, start=1):
            animator.add(epoch, value)
        animator.fig.savefig(io.BytesIO(), format="png")
    np.testing.assert_array_equal(animator.lines[0].get_ydata(), drawn)
    np.testing.assert_array_equal(animator.Y[0], values)  # kept as added
    if yscale == "logit":  # the view reaches a few decades below the lowest point, no more
        low, high = animator.axes[0].get_ylim()
        assert min(drawn) * 1e-6 <= low <= min(drawn) and max(drawn) < high < 1
    animator.close()


def test_values_no_bound_draws_on_an_axis_with_no_limits_warn_once_and_never_raise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where even the last bound does not draw on an axis with no limits given (here matplotlib
    is made to refuse every view), add read the limits it would let go, None: TypeError. It
    warns once, naming the axis and why, and draws on."""
    from linearnets.plotting import _drawable

    why = "matplotlib cannot place its ticks"
    monkeypatch.setattr(
        _drawable, "view_error", lambda *a, **k: _drawable.Undrawable("y", why, 0.0, 1.0, True)
    )
    animator = Animator(mode="none", yscale="logit")
    with pytest.warns(UserWarning, match=r"^the y values added cannot be drawn") as said:
        for epoch in (1, 2, 3):
            animator.add(epoch, 0.5)
    assert len(said) == 1 and said[0].filename == __file__
    assert why in str(said[0].message)
    animator.close()


@pytest.mark.parametrize("ys", [[1.0], [1.0, 1.0], [0.0, 0.0], [1.0, 0.5], [0.995, 0.995]])
def test_an_accuracy_of_1_on_a_logit_axis_is_drawn_within_the_view(ys: list[float]) -> None:
    """Animator(yscale='logit').add(1, 1.0) drew the point at 1 - 1e-10 in a view of (0.082,
    0.918), matplotlib's for a single value, leaving it out: every point is in the view."""
    animator = Animator(mode="none", yscale="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in enumerate(ys, start=1):
            animator.add(x, y)
        animator.fig.savefig(io.BytesIO(), format="png")
    drawn = np.asarray(animator.lines[0].get_ydata(), np.float64)
    low, high = animator.axes[0].get_ylim()
    assert (drawn > 0).all() and (drawn < 1).all()
    assert low <= drawn.min() and drawn.max() <= high
    animator.close()


def test_a_value_a_logit_axis_does_not_draw_leaves_it_fitted_to_the_rest() -> None:
    """Animator(yscale='logit') adding 0.9999, 2.0, 0.5 warned that the values could not be
    drawn ('pass a larger figsize'), which changed nothing: its view was fitted to 2.0, which a
    logit axis does not draw, leaving 0.9999 out. It is fitted to those within (0, 1)."""
    animator = Animator(mode="none", yscale="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for x, y in enumerate([0.9999, 2.0, 0.5], start=1):
            animator.add(x, y)
        animator.fig.savefig(io.BytesIO(), format="png")
    low, high = animator.axes[0].get_ylim()
    assert 0 < low <= 0.5 and 0.9999 <= high < 1
    np.testing.assert_array_equal(animator.lines[0].get_ydata(), [0.9999, 2.0, 0.5])
    animator.close()
