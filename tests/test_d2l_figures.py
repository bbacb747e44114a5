"""Tests of linearnets._d2l_figures: where the book's figures are saved, and their arguments passed on."""

from __future__ import annotations

import os
import sys
import types
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets import _d2l_figures
from linearnets._d2l_figures import figure_file


def test_a_figure_is_saved_in_a_writable_working_folder_only_outside_jupyter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert figure_file("train_ch3.png", notebook=False) == "train_ch3.png"
        assert figure_file("train_ch3.png", notebook=True) is None  # shown inline instead


def _train_like() -> str | None:
    return figure_file("train_ch3.png", notebook=False)  # as train_ch3 calls it


@pytest.mark.parametrize("missing", [os.W_OK, os.X_OK], ids=["read-only", "not searchable"])
def test_a_folder_without_write_access_skips_the_file_with_a_warning(
    monkeypatch: pytest.MonkeyPatch, missing: int
) -> None:
    # root may write anywhere: the permission is faked, not set with chmod
    monkeypatch.setattr(_d2l_figures.os, "access", lambda path, mode: not mode & missing)
    with pytest.warns(
        UserWarning, match=r"^the working folder is not writable, so train_ch3\.png"
    ) as record:
        line = sys._getframe().f_lineno + 1
        assert _train_like() is None
    # pointed at the line that called train_ch3 (here: _train_like), where the folder was chosen
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def _fake_ipython(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    shell = type(name, (), {})()
    monkeypatch.setitem(sys.modules, "IPython", types.SimpleNamespace(get_ipython=lambda: shell))


@pytest.mark.parametrize(
    ("shell", "expected"), [("ZMQInteractiveShell", True), ("TerminalInteractiveShell", False)]
)
def test_in_notebook_is_the_plotting_packages_test(
    monkeypatch: pytest.MonkeyPatch, shell: str, expected: bool
) -> None:
    _fake_ipython(monkeypatch, shell)
    assert _d2l_figures.in_notebook() is expected


def test_plot_passes_every_argument_on_and_returns_none(monkeypatch: pytest.MonkeyPatch) -> None:
    import linearnets.plotting

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(linearnets.plotting, "plot", lambda *args: calls.append(args))
    args = (
        [0, 1],
        [[1, 2]],
        "x",
        "y",
        ["f"],
        [0, 1],
        [1, 3],
        "log",
        "symlog",
        ["r:"],
        (4.0, 3.0),
        "ax",
    )
    assert _d2l_figures.plot(*args) is None
    assert calls == [args]
    _d2l_figures.plot([0, 1])  # the book's defaults
    assert calls[1] == ([0, 1], None, None, None, None, None, None, "linear", "linear",
                        ("-", "m--", "g-.", "r:"), (3.5, 2.5), None)  # fmt: skip


@pytest.mark.parametrize(("notebook", "out"), [(False, "predict_ch3.png"), (True, None)])
def test_predict_ch3_draws_n_images_and_saves_them_outside_jupyter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notebook: bool, out: str | None
) -> None:
    import linearnets.inference

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(
        linearnets.inference, "predict", lambda net, it, n, *, out: calls.append((net, it, n, out))
    )
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: notebook)
    monkeypatch.chdir(tmp_path)
    net, batches = torch.nn.Identity(), [(torch.zeros(1, 4), torch.zeros(1))]
    assert _d2l_figures.predict_ch3(net, batches, n=9) is None
    _d2l_figures.predict_ch3(net, batches)
    assert calls == [(net, batches, 9, out), (net, batches, 6, out)]  # the book's n=6 by default
