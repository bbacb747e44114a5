"""Tests of linearnets._d2l_figures: where the book's figures are saved, and their arguments passed on."""

from __future__ import annotations

import errno
import os
import sys
import types
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from linearnets import _d2l_figures
from linearnets._d2l_figures import figure_file
from linearnets.errors import UsageError


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    """The book's figures stay in pyplot, as the book's do: close them, or pyplot's "More than 20
    figures" warning comes up later in the suite."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def test_a_figure_is_saved_in_a_writable_working_folder_only_outside_jupyter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert figure_file("train_ch3.png", notebook=False) == "train_ch3.png"
        assert figure_file("train_ch3.png", notebook=True) is None  # shown inline instead


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
        assert figure_file("train_ch3.png", notebook=False) is None
    # pointed at the line that called into linearnets (train_ch3, in the book's code)
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def _fake_ipython(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    shell = type(name, (), {})()
    monkeypatch.setitem(
        sys.modules,
        "IPython",
        types.SimpleNamespace(get_ipython=lambda: shell, version_info=(8, 30, 0, "")),
    )


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


def _fake_prediction(monkeypatch: pytest.MonkeyPatch, draw: Any) -> list[tuple[Any, ...]]:
    """Stand in for the samples (recording the calls) and the drawing (``draw``)."""
    import linearnets.inference
    import linearnets.plotting

    calls: list[tuple[Any, ...]] = []

    def samples(net: Any, it: Any, n: int) -> tuple[torch.Tensor, list[str], list[str]]:
        calls.append((net, it, n))
        return torch.zeros(n, 2, 2), ["a"] * n, ["b"] * n

    monkeypatch.setattr(linearnets.inference, "prediction_samples", samples)
    monkeypatch.setattr(linearnets.plotting, "plot_predictions", draw)
    return calls


@pytest.mark.parametrize(("notebook", "out"), [(False, "predict_ch3.png"), (True, None)])
def test_predict_ch3_draws_n_images_and_saves_them_outside_jupyter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, notebook: bool, out: str | None
) -> None:
    drawn: list[tuple[int, Any, bool]] = []
    calls = _fake_prediction(
        monkeypatch,
        lambda images, true, pred, *, out, managed: drawn.append((len(images), out, managed)),
    )
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: notebook)
    monkeypatch.chdir(tmp_path)
    net, batches = torch.nn.Identity(), [(torch.zeros(1, 4), torch.zeros(1))]
    assert _d2l_figures.predict_ch3(net, batches, n=9) is None
    _d2l_figures.predict_ch3(net, batches)
    assert calls == [(net, batches, 9), (net, batches, 6)]  # the book's n=6 by default
    assert drawn == [(9, out, True), (6, out, True)]  # kept by pyplot, as the book's figure


def _white(png: Path) -> bool:
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        return bool((np.asarray(image.convert("RGB")) == 255).all())


def test_in_a_script_train_ch3_leaves_its_curves_in_pyplot_and_still_saves_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's train_ch3 draws with its Animator on ``d2l.plt.subplots``' figure, so a script
    ending in ``d2l.plt.savefig`` saves the curves (it saved a blank image) and ``plt.show()``
    shows them: pyplot's current figure holds the three lines, one point per epoch."""
    import matplotlib.pyplot as plt
    from torch import nn

    from linearnets import d2l

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: False)
    torch.manual_seed(0)
    X, y = torch.rand(20, 1, 4, 4), torch.randint(0, 3, (20,))
    batches = [(X[:10], y[:10]), (X[10:], y[10:])]
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    before = len(plt.get_fignums())
    d2l.train_ch3(net, batches, batches, nn.CrossEntropyLoss(reduction="none"), 2, updater)
    assert len(plt.get_fignums()) == before + 1
    ax = plt.gca()
    assert [t.get_text() for t in ax.get_legend().texts] == ["train loss", "train acc", "test acc"]
    assert [list(line.get_xdata()) for line in ax.lines] == [[1.0, 2.0]] * 3
    plt.savefig(tmp_path / "shown.png")  # the book-style ending of a script
    assert not _white(tmp_path / "shown.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "shown.png",
        "train_ch3.png",
        "train_ch3.svg",
    ]


def test_train_ch3_in_an_unwritable_folder_warns_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file to write its curves to: figure_file says so; its Animator, drawing nowhere, is
    told so (mode 'none') and does not say it a second time, in its own words."""
    from torch import nn

    from linearnets import d2l

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: False)
    monkeypatch.setattr(_d2l_figures.os, "access", lambda path, mode: False)
    X, y = torch.rand(20, 1, 4, 4), torch.randint(0, 3, (20,))
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.warns(UserWarning) as record:
        d2l.train_ch3(net, [(X, y)], [(X, y)], nn.CrossEntropyLoss(reduction="none"), 1, updater)
    assert [str(w.message)[:50] for w in record] == [
        "the working folder is not writable, so train_ch3.p"
    ]
    assert list(tmp_path.iterdir()) == []


def test_in_a_script_train_ch3_keeps_only_its_last_figure_in_pyplot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A script's sweep over learning rates called train_ch3 once per rate: each call left its
    figure in pyplot (matplotlib's "More than 20 figures have been opened" at the 21st). A call
    closes the figures of the calls before it; its own stays pyplot's current one, and a figure
    of the script's own is left alone."""
    import matplotlib.pyplot as plt
    from torch import nn

    from linearnets import d2l

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: False)
    torch.manual_seed(0)
    X, y = torch.rand(20, 1, 4, 4), torch.randint(0, 3, (20,))
    batches = [(X[:10], y[:10]), (X[10:], y[10:])]
    plt.close("all")
    mine = plt.figure()
    figures = []
    for lr in (0.01, 0.1, 1.0):
        net = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
        updater = torch.optim.SGD(net.parameters(), lr=lr)
        d2l.train_ch3(net, batches, batches, nn.CrossEntropyLoss(reduction="none"), 1, updater)
        figures.append(plt.gcf())
        assert plt.get_fignums() == [mine.number, figures[-1].number]
    assert len({id(fig) for fig in figures}) == 3  # a figure each, the last one kept
    assert [len(ax.lines) for ax in figures[-1].axes] == [3]
    plt.close("all")


def test_in_a_script_predict_ch3_keeps_only_its_last_figure_in_pyplot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """22 d2l.predict_ch3 calls left 22 figures in pyplot (matplotlib's "More than 20 figures have
    been opened" at the 21st), where docs/d2l.md says a call closes its last one, as train_ch3's
    do. A call closes the figure of the call before it (also one whose model then fails: its
    images would pass for this call's); its own stays pyplot's current one, and a figure of the
    script's own is left alone, also where it is current when a drawing fails."""
    import matplotlib.pyplot as plt

    from linearnets import d2l

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: False)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10))
    batches = [(torch.rand(4, 1, 4, 4), torch.tensor([0, 1, 2, 0]))]
    plt.close("all")
    mine = plt.figure()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "More than 20 figures have been opened"
        for _ in range(22):
            d2l.predict_ch3(net, batches, n=3)
            assert plt.get_fignums() == [mine.number, plt.gcf().number]
    assert len(plt.gcf().axes) == 3  # the last call's images
    with pytest.raises(ValueError, match="the model's own error"):
        d2l.predict_ch3(_failing_net("raising"), batches, n=3)
    assert plt.get_fignums() == [mine.number]

    def refused(*args: Any, **kwargs: Any) -> None:  # a drawing refused before its figure
        raise UsageError("images must be (N, H, W) or (N, 1, H, W), got (4, 3, 2, 2)")

    plt.figure(mine.number)  # current again, as a script's plt.figure(...) makes it
    with pytest.MonkeyPatch.context() as patch, pytest.raises(UsageError, match=r"^images must"):
        _fake_prediction(patch, refused)
        d2l.predict_ch3(net, batches, n=3)
    d2l.predict_ch3(net, batches, n=3)  # the script's figure was not labelled predict_ch3's
    assert mine.get_label() == "" and plt.get_fignums() == [mine.number, plt.gcf().number]


def test_in_a_script_predict_ch3_leaves_its_images_in_pyplot_and_still_saves_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The book's predict_ch3 draws through show_images, on ``d2l.plt.subplots``' figure: pyplot's
    current figure holds the n images, each titled "true\\npredicted"."""
    import matplotlib.pyplot as plt

    from linearnets.data.labels import get_fashion_mnist_labels

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: False)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10))
    X, y = torch.rand(4, 1, 4, 4), torch.tensor([0, 1, 2, 0])
    _d2l_figures.predict_ch3(net, [(X, y)], n=3)
    true = get_fashion_mnist_labels(y[:3])
    pred = get_fashion_mnist_labels(net(X).argmax(dim=1)[:3])
    assert [ax.get_title() for ax in plt.gcf().axes] == [
        f"{t}\n{p}" for t, p in zip(true, pred, strict=True)
    ]
    plt.savefig(tmp_path / "shown.png")
    assert not _white(tmp_path / "shown.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict_ch3.png", "shown.png"]


def _failing_net(failure: str) -> Any:
    """A model failing on a batch of 4×4 images: raising an error of its own, or of the wrong width."""
    if failure == "raising":

        def net(X: torch.Tensor) -> torch.Tensor:
            raise ValueError("the model's own error")

        return net
    return torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(15, 10))  # 16 pixels: fails


@pytest.mark.parametrize(
    ("failure", "error"), [("raising", ValueError), ("wrong width", UsageError)]
)
def test_predict_ch3_whose_net_fails_leaves_no_earlier_calls_figure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: str, error: type[BaseException]
) -> None:
    """A call whose model failed left the earlier call's predict_ch3.png, unchanged, passing for
    its images; it goes once the arguments are checked. A call refused on its arguments, which
    runs no model, leaves it, and an SVG of that name (not predict_ch3's) stays."""
    net = _failing_net(failure)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_d2l_figures, "in_notebook", lambda: False)
    batches = [(torch.rand(4, 1, 4, 4), torch.tensor([0, 1, 2, 0]))]
    _d2l_figures.predict_ch3(
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10)), batches, n=4
    )
    (tmp_path / "predict_ch3.svg").write_text("<svg/>")  # the user's: predict_ch3 writes no SVG
    assert (tmp_path / "predict_ch3.png").stat().st_size > 1000
    for refused in ({"n": 0}, {"net": 3}, {"test_iter": 5}):
        args = {"net": net, "test_iter": batches, "n": 4} | refused
        with pytest.raises(UsageError, match=rf"^{next(iter(refused))} must"):
            _d2l_figures.predict_ch3(**args)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict_ch3.png", "predict_ch3.svg"]
    with pytest.raises(error):
        _d2l_figures.predict_ch3(net, batches, n=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predict_ch3.svg"]


def test_a_folder_named_as_the_figure_skips_the_file_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "predict_ch3.png").mkdir()
    with pytest.warns(UserWarning, match=r"^predict_ch3\.png is a folder in the working folder, so the figure is not saved there; rename that folder for the file$") as record:  # fmt: skip
        line = sys._getframe().f_lineno + 1
        assert figure_file("predict_ch3.png", notebook=False) is None
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]


def test_predict_ch3_goes_on_with_a_warning_when_its_file_cannot_be_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk at the save (matplotlib's OSError): the book's predict_ch3 has no file, so ours
    costs the file only, told by a warning pointed at the caller."""
    import errno

    import linearnets.plotting.images

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(linearnets.plotting.images, "save_figure", full)
    monkeypatch.chdir(tmp_path)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 10))
    batches = [(torch.rand(4, 1, 4, 4), torch.tensor([0, 1, 2, 0]))]
    with pytest.warns(UserWarning) as record:
        line = sys._getframe().f_lineno + 1
        assert _d2l_figures.predict_ch3(net, batches, n=4) is None
    assert [str(w.message) for w in record] == [
        "predict_ch3.png could not be written (No space left on device); the book's code goes on "
        "without it (free some space, for the file)"
    ]
    assert [(w.filename, w.lineno) for w in record] == [(__file__, line)]
    assert list(tmp_path.iterdir()) == []


def test_predict_ch3_still_raises_an_error_that_is_not_the_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only a failure to write the file is turned into a warning: a drawing error stays an error."""

    def bad(*args: Any, **kwargs: Any) -> None:
        raise UsageError("images must be (N, H, W) or (N, 1, H, W), got (4, 3, 2, 2)")

    _fake_prediction(monkeypatch, bad)
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UsageError, match=r"^images must be"):
            _d2l_figures.predict_ch3(torch.nn.Identity(), [], n=4)


@pytest.mark.parametrize(
    ("exc", "said"),
    [
        # a quota is a full disk too: the same fix
        (OSError(errno.EDQUOT, "Disk quota exceeded"),
         "train_ch3.png could not be written (Disk quota exceeded); the book's code goes on "
         "without it (free some space, for the file)"),
        # the file that failed is the one the error names: the SVG beside the PNG
        (OSError(errno.EACCES, "Permission denied", "train_ch3.svg"),
         "train_ch3.svg could not be written (Permission denied); the book's code goes on without "
         "it (run from a folder you can write to, for the file)"),
        # the plotting package's message, less its fix (an out= these functions do not have),
        # on one line
        (UsageError("out\ntrain_ch3.png  must be a file, got a link; pass another out="),
         "train_ch3.png could not be written (out train_ch3.png must be a file, got a link); the "
         "book's code goes on without it (run from a folder you can write to, for the file)"),
    ],
    ids=["quota", "svg", "usage-error"],
)  # fmt: skip
def test_an_unsaved_figure_is_named_with_its_cause_and_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exc: BaseException, said: str
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning) as record:
        _d2l_figures.warn_unsaved("train_ch3.png", exc)
    assert [str(w.message) for w in record] == [said]
