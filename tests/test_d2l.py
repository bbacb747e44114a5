"""linearnets.d2l's training functions against the book's own loop, written out here (D2L §3.6.6)."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from linearnets import d2l
from linearnets.errors import UsageError, UsageTypeError
from linearnets.models.scratch import SGD

Batches = list[tuple[torch.Tensor, torch.Tensor]]


def _batches(seed: int = 0) -> Batches:
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(70, 1, 4, 4, generator=g)
    y = torch.randint(0, 3, (70,), generator=g)
    return [(X[i : i + 16], y[i : i + 16]) for i in range(0, 70, 16)]  # the last batch is short


def book_train_epoch_ch3(net, train_iter, loss, updater):  # type: ignore[no-untyped-def]
    """The book's train_epoch_ch3 (D2L §3.6.6), verbatim but for its Accumulator."""
    if isinstance(net, torch.nn.Module):
        net.train()
    metric = [0.0, 0.0, 0.0]
    for X, y in train_iter:
        y_hat = net(X)
        l = loss(y_hat, y)
        if isinstance(updater, torch.optim.Optimizer):
            updater.zero_grad()
            l.mean().backward()
            updater.step()
        else:
            l.sum().backward()
            updater(X.shape[0])
        correct = float((y_hat.argmax(axis=1).type(y.dtype) == y).type(y.dtype).sum())
        metric = [metric[0] + float(l.detach().sum()), metric[1] + correct, metric[2] + y.numel()]
    return metric[0] / metric[2], metric[1] / metric[2]


def _concise(seed: int = 3) -> nn.Module:
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    nn.init.normal_(net[1].weight, std=0.5)
    return net


Updater = Callable[[nn.Module], object]
OPTIMIZERS: dict[str, Updater] = {
    "torch.optim.SGD": lambda net: torch.optim.SGD(net.parameters(), lr=0.5),
    "torch.optim.SGD with momentum": lambda net: torch.optim.SGD(
        net.parameters(), lr=0.5, momentum=0.9
    ),
    "the scratch SGD": lambda net: SGD(net.parameters(), lr=0.5),
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_train_epoch_ch3_with_an_optimizer_matches_the_books_loop(name: str) -> None:
    ours, theirs = _concise(), _concise()
    loss = nn.CrossEntropyLoss(reduction="none")
    got = d2l.train_epoch_ch3(ours, _batches(), loss, OPTIMIZERS[name](ours))
    their_updater = OPTIMIZERS[name](theirs)
    if isinstance(
        their_updater, SGD
    ):  # the book's loop knows torch optimizers, not the scratch SGD
        their_updater = torch.optim.SGD(theirs.parameters(), lr=0.5)  # whose steps it matches
    expected = book_train_epoch_ch3(theirs, _batches(), loss, their_updater)
    assert got == pytest.approx(expected, rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_train_epoch_ch3_with_the_books_updater_function_matches_the_books_loop() -> None:
    def scratch() -> tuple[torch.Tensor, torch.Tensor]:
        g = torch.Generator().manual_seed(4)
        W = torch.normal(0, 0.5, (16, 3), generator=g).requires_grad_()
        return W, torch.zeros(3, requires_grad=True)

    def run(train: Callable[..., tuple[float, float]]) -> tuple[tuple[float, float], torch.Tensor]:
        W, b = scratch()

        def net(X: torch.Tensor) -> torch.Tensor:
            return torch.softmax(X.reshape((-1, W.shape[0])) @ W + b, dim=1)

        def cross_entropy(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
            return -torch.log(y_hat[range(len(y_hat)), y])

        def updater(batch_size: int) -> None:
            d2l.sgd([W, b], 0.5, batch_size)

        return train(net, _batches(), cross_entropy, updater), W.detach()

    (got, W_got), (expected, W_expected) = run(d2l.train_epoch_ch3), run(book_train_epoch_ch3)
    assert got == pytest.approx(expected, rel=1e-6)
    assert torch.equal(W_got, W_expected)  # the very same loop


def test_accuracy_counts_like_the_book() -> None:
    y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]])
    assert d2l.accuracy(y_hat, torch.tensor([0, 2])) == 1.0  # a count, not a ratio


def test_set_axes_configures_an_axes_as_the_books_does() -> None:
    """``d2l.set_axes`` (D2L §2.4.2), which the book's own ``Animator`` class calls."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        ax.plot([1, 2], [3, 4])
        d2l.set_axes(ax, "epoch", "loss", [1, 10], [0.3, 0.9], "linear", "log", ["train loss"])
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("epoch", "loss")
        assert tuple(ax.get_xlim()) == (1, 10) and tuple(ax.get_ylim()) == (0.3, 0.9)
        assert ax.get_yscale() == "log"
        assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train loss"]
    finally:
        plt.close(fig)


def test_linreg_takes_the_books_number_bias_and_1d_weights() -> None:
    """The book's ``linreg`` is ``torch.matmul(X, w) + b``: a float bias and the 1-d ``true_w`` work."""
    g = torch.Generator().manual_seed(0)
    X = torch.randn(5, 2, generator=g)
    true_w = torch.tensor([2, -3.4])
    assert torch.equal(d2l.linreg(X, true_w, 4.2), torch.matmul(X, true_w) + 4.2)  # (5,)
    w = true_w.reshape(2, 1)
    torch.testing.assert_close(d2l.linreg(X, w, 4.2), torch.matmul(X, w) + 4.2)  # (5, 1)
    torch.testing.assert_close(d2l.linreg(X, w, torch.tensor([4.2])), torch.matmul(X, w) + 4.2)


def test_numpy_scalars_pass_where_python_numbers_do() -> None:
    import numpy as np

    X, y = d2l.synthetic_data(torch.tensor([2, -3.4]), np.float32(4.2), np.int64(5))
    assert X.shape == (5, 2) and y.shape == (5, 1)
    w = torch.zeros(2, 1, requires_grad=True)
    (X @ w).sum().backward()
    d2l.sgd([w], np.float32(0.5), np.int64(5))
    torch.testing.assert_close(w.detach(), -0.5 * X.sum(0, keepdim=True).T / 5)


def test_train_ch3_for_one_epoch_draws_its_points_without_warnings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import warnings

    monkeypatch.chdir(tmp_path)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned of identical xlims [1, 1]
        returned = d2l.train_ch3(
            net,
            _batches(),
            _batches(1),
            nn.CrossEntropyLoss(),
            1,
            torch.optim.SGD(net.parameters(), lr=0.1),
        )
    assert returned is None  # as the book's: a notebook cell ending in it echoes nothing
    assert (tmp_path / "train_ch3.png").stat().st_size > 1000


def _d2l_doc_section(title: str) -> str:
    text = (Path(__file__).resolve().parents[1] / "docs" / "d2l.md").read_text(encoding="utf-8")
    return text.split(title, 1)[1].split("\n#", 1)[0]


def test_train_ch3_outside_jupyter_prints_the_line_per_epoch_its_difference_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The book's train_ch3 prints no such line (only its Animator's figure as text: see the next
    test); docs/d2l.md lists the printed lines among the differences, in the form train_ch3
    prints them."""
    import re

    section = _d2l_doc_section("## Differences from d2l 0.17.6")
    quoted = re.search(r"\*\*`train_ch3` outside Jupyter\*\* prints one line per epoch\s+\(`([^`]+)`\)", section)  # fmt: skip
    assert quoted is not None
    line = re.compile(
        r"epoch (\d+), loss \d+\.\d{4}, train acc \d\.\d{3}, test acc \d\.\d{3}, \d+\.\d\d s"
    )
    assert line.fullmatch(quoted.group(1))
    monkeypatch.chdir(tmp_path)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), 2, updater)
    printed = capsys.readouterr().out.splitlines()
    matches = [line.fullmatch(p) for p in printed]
    assert [m.group(1) if m else p for m, p in zip(matches, printed, strict=True)] == ["1", "2"]


def test_what_the_books_train_ch3_prints_outside_jupyter_is_what_the_doc_says() -> None:
    """docs/d2l.md said the book's train_ch3 "prints nothing" outside Jupyter; its Animator (the
    oracle: the book's own calls, in a fresh Python without a notebook) prints its figure as text
    at each epoch, through the IPython shell its use_svg_display starts."""
    import os
    import subprocess

    pytest.importorskip("IPython")
    pytest.importorskip("matplotlib_inline")
    book = (
        "from IPython import display\n"
        "from matplotlib import pyplot as plt\n"
        "from matplotlib_inline import backend_inline\n"
        "backend_inline.set_matplotlib_formats('svg')  # d2l.use_svg_display(), in Animator()\n"
        "fig, axes = plt.subplots(1, 1, figsize=(3.5, 2.5))  # Animator's default figsize\n"
        "for epoch in range(2):  # Animator.add, once per epoch of train_ch3\n"
        "    axes.plot([1, 2], [0.5, 0.6])\n"
        "    display.display(fig)\n"
        "    display.clear_output(wait=True)\n"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", book], capture_output=True, text=True, env=env, timeout=120
    )
    assert run.returncode == 0, run.stderr
    # clear_output's codes (ESC [2K, CR: a CR a newline in text mode) erase only the blank line
    printed = [line for line in run.stdout.replace("\x1b[2K", "").splitlines() if line.strip()]
    assert printed == [printed[0]] * 2 and printed[0].startswith("<Figure size 350x250")
    section = " ".join(_d2l_doc_section("## Differences from d2l 0.17.6").split())
    assert f"the book's prints `{printed[0]}` at each epoch and no curve" in section
    assert "prints nothing" not in section


def test_get_fashion_mnist_labels_refuses_minus_one_as_its_difference_names() -> None:
    """The book's [text_labels[int(i)] for i in labels] (the oracle) returns 'ankle boot' for -1."""
    text_labels = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "ankle boot"]  # fmt: skip
    assert [text_labels[int(i)] for i in [-1]] == ["ankle boot"]
    message = "labels must be class indices in [0, 10), got -1; "
    with pytest.raises(UsageError) as info:
        d2l.get_fashion_mnist_labels([-1])
    assert str(info.value).startswith(message)
    section = _d2l_doc_section("### Errors where the book's code goes on")
    assert "**`get_fashion_mnist_labels`** refuses" in section
    assert " ".join(message.split()).rstrip("; ") in " ".join(section.split())
    assert "`'ankle boot'`" in section


def test_tab_completion_offers_the_books_names_not_the_imports() -> None:
    names = dir(d2l)
    for book_name in ("Animator", "show_images", "load_data_fashion_mnist", "train_ch3", "plt"):
        assert book_name in names
    for internal in ("Any", "UsageError", "check_positive_int", "format_epoch", "annotations"):
        assert internal not in names
    assert all(hasattr(d2l, name) for name in names)


def test_plot_and_predict_ch3_return_none_as_the_books_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notebook cell ending in them must show the figure, not echo an Axes object as well."""
    import matplotlib.pyplot as plt

    monkeypatch.chdir(tmp_path)
    assert d2l.plot([0.0, 1.0, 2.0], [[0.0, 1.0, 4.0]], "x", "f(x)", legend=["f(x)"]) is None
    assert plt.gca().get_xlabel() == "x" and len(plt.gca().lines) == 1
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    assert d2l.predict_ch3(net, _batches(), n=4) is None
    assert (tmp_path / "predict_ch3.png").stat().st_size > 1000
    plt.close("all")


def test_train_ch3_in_a_read_only_folder_trains_and_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as a read-only folder answers
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    before = net[1].weight.detach().clone()
    with pytest.warns(UserWarning, match="the working folder is not writable, so train_ch3.png is not saved"):  # fmt: skip
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), 1,
                      torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip
    assert not torch.equal(net[1].weight, before)  # it trained
    assert list(tmp_path.iterdir()) == []


def test_timer_records_sums_and_averages_its_times(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from linearnets.errors import UsageError

    clock = iter([10.0, 11.0, 11.0, 13.0, 13.0, 16.0])  # intervals of 1, 2 and 3 s
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    timer = d2l.Timer()
    with pytest.raises(
        UsageError, match=r"Timer.avg\(\) needs a recorded time; call stop\(\) first"
    ):
        timer.avg()
    assert timer.stop() == 1.0
    timer.start()
    assert timer.stop() == 2.0
    timer.start()
    assert timer.stop() == 3.0
    assert timer.times == [1.0, 2.0, 3.0] and timer.sum() == 6.0 and timer.avg() == 2.0
    assert timer.cumsum() == [1.0, 3.0, 6.0]


def test_train_ch3_draws_on_the_books_axes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import linearnets.plotting

    made: list[dict[str, object]] = []
    points: list[tuple[int, tuple[float, ...]]] = []

    class Recorder:
        def __init__(self, **kwargs: object) -> None:
            made.append(kwargs)
            self.fig = Figure()  # the book's Animator's, which train_ch3 labels

        def add(self, x: int, y: tuple[float, ...]) -> None:
            points.append((x, y))

    monkeypatch.setattr(linearnets.plotting, "Animator", Recorder)
    monkeypatch.chdir(tmp_path)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
    d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), 2,
                  torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip
    ((kwargs,),) = [made]
    assert {k: kwargs[k] for k in ("xlabel", "xlim", "ylim", "legend")} == {
        "xlabel": "epoch",
        "xlim": [1, 2],
        "ylim": [0.3, 0.9],
        "legend": ["train loss", "train acc", "test acc"],
    }  # fmt: skip  (D2L §3.6.6)
    assert kwargs["out"] == "train_ch3.png"
    assert [x for x, _ in points] == [1, 2]
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == ["epoch 1", "epoch 2"]
    from linearnets.errors import UsageError

    with pytest.raises(UsageError, match=r"num_epochs must be a positive integer \(>= 1\), got 0"):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), 0,
                      torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip


def test_predict_ch3_draws_the_first_n_test_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting

    drawn: list[tuple[torch.Tensor, list[str], list[str], object]] = []
    monkeypatch.setattr(
        linearnets.plotting,
        "plot_predictions",
        lambda images, true, pred, *, out, managed: drawn.append((images, true, pred, out)),
    )
    monkeypatch.chdir(tmp_path)
    net = nn.Sequential(nn.Flatten(), nn.Linear(16, 10))
    d2l.predict_ch3(net, _batches(), n=20)  # across two batches of 16
    ((images, true, pred, out),) = drawn
    X = torch.cat([X for X, _ in _batches()])[:20]
    y = torch.cat([y for _, y in _batches()])[:20]
    assert torch.equal(images, X[:, 0])
    names = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
             "ankle boot"]  # fmt: skip
    assert true == [names[i] for i in y.tolist()]
    assert pred == [names[i] for i in net(X).argmax(dim=1).tolist()]
    assert out == "predict_ch3.png"


def test_train_epoch_ch3_with_the_books_updater_puts_a_module_in_training_mode() -> None:
    net = _concise()
    net.eval()
    params = list(net.parameters())
    d2l.train_epoch_ch3(net, _batches(), nn.CrossEntropyLoss(reduction="none"),
                        lambda batch_size: d2l.sgd(params, 0.1, batch_size))  # fmt: skip
    assert net.training  # as the book's loop: dropout and the like train as they should


def test_the_modes_follow_the_books_functions_eval_after_evaluate_train_after_an_epoch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The book's evaluate_accuracy calls net.eval() and leaves it so; its train_epoch_ch3 calls
    net.train(). So after train_ch3 a dropout model predicts the same way twice, as in the book."""
    monkeypatch.chdir(tmp_path)  # train_ch3 saves its figure in the working directory
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(16, 3))
    assert net.training
    d2l.evaluate_accuracy(net, _batches())
    assert not net.training and not net[1].training
    updater = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = nn.CrossEntropyLoss(reduction="none")
    d2l.train_epoch_ch3(net, _batches(), loss, updater)
    assert net.training  # the optimizer path too, not only the book's function updater
    d2l.train_ch3(net, _batches(), _batches(1), loss, 2, updater)
    assert not net.training
    X = _batches()[0][0]
    assert torch.equal(net(X), net(X))  # dropout off: the book's predict_ch3 sees the same
    # linearnets' own evaluate_accuracy puts the mode back instead
    net.train()
    from linearnets import evaluate_accuracy

    evaluate_accuracy(net, _batches())
    assert net.training


# --- the loss the book reports, whatever the loss returns (D2L §3.6.6) ---------------------------

_ce = nn.CrossEntropyLoss(reduction="none")
LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "per-example": _ce,
    "0-d sum": lambda y_hat, y: _ce(y_hat, y).sum(),  # the book reports sum / B
    "0-d sum, torch": nn.CrossEntropyLoss(reduction="sum"),  # counted once: the mean per example
    # a 0-d mean, nn.CrossEntropyLoss(), is reported per example as the English releases before 1.0
    # report it, not as this 2nd-edition loop would (mean / B): see tests/test_d2l_training.py
}


def _function_updater(net: nn.Module) -> Callable[[int], None]:
    params = list(net.parameters())
    return lambda batch_size: d2l.sgd(params, 0.5, batch_size)


UPDATERS: dict[str, Callable[[nn.Module], Any]] = {
    "torch.optim.SGD": lambda net: torch.optim.SGD(net.parameters(), lr=0.5),
    "updater(batch_size)": _function_updater,
}


@pytest.mark.parametrize("updater", UPDATERS)
@pytest.mark.parametrize("loss", LOSSES)
def test_train_epoch_ch3_reports_what_the_books_loop_reports_for_every_loss(
    loss: str, updater: str
) -> None:
    ours, theirs = _concise(), _concise()
    got = d2l.train_epoch_ch3(ours, _batches(), LOSSES[loss], UPDATERS[updater](ours))
    expected = book_train_epoch_ch3(theirs, _batches(), LOSSES[loss], UPDATERS[updater](theirs))
    assert got == pytest.approx(expected, rel=1e-6)
    for a, b in zip(ours.parameters(), theirs.parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-6, atol=1e-7)


def test_train_ch3_plots_the_books_loss_for_a_summed_loss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import linearnets.plotting

    points: list[tuple[float, ...]] = []

    class Recorder:
        def __init__(self, **kwargs: object) -> None:
            self.fig = Figure()  # the book's Animator's, which train_ch3 labels

        def add(self, x: int, y: tuple[float, ...]) -> None:
            points.append(y)

    monkeypatch.setattr(linearnets.plotting, "Animator", Recorder)
    monkeypatch.chdir(tmp_path)
    ours, theirs = _concise(), _concise()
    loss = LOSSES["0-d sum"]
    d2l.train_ch3(ours, _batches(), _batches(1), loss, 2,
                  torch.optim.SGD(ours.parameters(), lr=0.05))  # fmt: skip
    updater = torch.optim.SGD(theirs.parameters(), lr=0.05)
    expected = [book_train_epoch_ch3(theirs, _batches(), loss, updater) for _ in range(2)]
    got = [p[:2] for p in points]  # (train loss, train acc) of each epoch
    assert [v for pair in got for v in pair] == pytest.approx(
        [v for pair in expected for v in pair], rel=1e-6
    )
    assert got[0][0] < 2.0  # a mean per example (the summed loss divided by B would be ~16x)


# --- the book's function updater gets the optimizer path's checks (D2L §3.6.6) ------------------


def _sgd_of(net: nn.Module) -> Callable[[int], None]:
    return _function_updater(net)


FUNCTION_PATH_ERRORS = [
    ([], UsageError, r"train_iter must yield at least one example, got none"),
    (
        [(X, y.float()) for X, y in _batches()],
        UsageTypeError,
        r"y must be an integer tensor of class indices, got a tensor of shape \(16,\) and dtype "
        r"torch\.float32; use y\.long\(\)",
    ),
    (
        [(X, y + 3) for X, y in _batches()],
        UsageError,
        r"y must hold class indices in \[0, 3\) for the model's 3 outputs, got 5",
    ),
    (
        [(X, y[:, None]) for X, y in _batches()],
        UsageError,
        r"y must be 1-dimensional \(B,\), got a tensor of shape \(16, 1\).*use y\.reshape\(-1\)",
    ),
    (
        [(X, y.to(torch.uint16)) for X, y in _batches()],
        UsageTypeError,
        r"y must be class indices of a signed integer dtype or uint8.*torch\.uint16; use y\.long\(\)",
    ),
]


@pytest.mark.parametrize(
    "batches,error,pattern",
    FUNCTION_PATH_ERRORS,
    ids=["empty", "float-labels", "out-of-range", "column-labels", "uint16"],
)
def test_train_epoch_ch3_with_a_function_updater_explains_bad_batches(
    batches: Batches, error: type[Exception], pattern: str
) -> None:
    net = _concise()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(error, match=pattern):
        d2l.train_epoch_ch3(net, batches, nn.CrossEntropyLoss(reduction="none"), _sgd_of(net))
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


def test_a_function_updater_that_takes_no_batch_size_is_refused_before_training() -> None:
    net = _concise()
    with pytest.raises(
        UsageTypeError,
        match=r"updater must be an optimizer or a function called as updater\(batch_size\), the "
        r"book's signature \(D2L §3\.6\.6\), got <lambda>\(\), which cannot take one argument",
    ):
        d2l.train_epoch_ch3(net, _batches(), nn.CrossEntropyLoss(reduction="none"), lambda: None)
    assert all(p.grad is None for p in net.parameters())  # refused before the first batch
    with pytest.raises(UsageTypeError, match=r"updater\(batch_size\)"):
        d2l.train_ch3(net, _batches(), _batches(1), nn.CrossEntropyLoss(), 1, lambda a, b: None)


def test_a_function_updater_on_a_frozen_model_is_explained() -> None:
    net = _concise().requires_grad_(False)
    with pytest.raises(
        UsageError,
        match=r"the loss does not depend on any parameter that requires grad: the model has no "
        r"trainable parameter \(all 2 have requires_grad=False\); unfreeze them with "
        r"net\.requires_grad_\(\)",
    ) as info:
        d2l.train_epoch_ch3(net, _batches(), nn.CrossEntropyLoss(reduction="none"), _sgd_of(net))
    assert info.value.__suppress_context__ and isinstance(info.value.__context__, RuntimeError)


def test_train_ch3_with_a_regression_loss_on_a_classifier_names_the_mistake(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    net = _concise()
    with pytest.raises(
        UsageError,
        match=r"loss MSELoss is a regression loss, which compares the outputs \(16, 3\) with "
        r"targets of that shape, but y holds class labels .*; train a classifier with "
        r"nn\.CrossEntropyLoss\(\), or give MSELoss one-hot targets: "
        r"torch\.nn\.functional\.one_hot\(y, 3\)\.float\(\)",
    ):
        d2l.train_ch3(net, _batches(), _batches(1), nn.MSELoss(), 1,
                      torch.optim.SGD(net.parameters(), lr=0.1))  # fmt: skip


# --- the module's names: what `from linearnets.d2l import *` and `d2l.<name>` give ---------------

# the d2l names chapter 3 (and the chapter 2 cells it builds on) calls or defines with #@save
BOOK_CHAPTER_3_NAMES = [
    "Accumulator", "Animator", "Timer", "accuracy", "evaluate_accuracy", "get_dataloader_workers",
    "get_fashion_mnist_labels", "linreg", "load_array", "load_data_fashion_mnist", "plot",
    "predict_ch3", "set_axes", "set_figsize", "sgd", "show_images", "squared_loss", "synthetic_data",
    "train_ch3", "train_epoch_ch3", "use_svg_display",
]  # fmt: skip


def test_a_star_import_gives_the_books_chapter_3_names() -> None:
    namespace: dict[str, object] = {}
    exec("from linearnets.d2l import *", namespace)
    for name in BOOK_CHAPTER_3_NAMES:
        assert name in namespace, name
        assert namespace[name] is getattr(d2l, name)
        assert callable(namespace[name]), name  # a function or class, not the module it lives in
    assert d2l.__all__ == sorted(d2l.__all__)


def test_the_lazily_loaded_names_are_the_packages_own() -> None:
    import linearnets.data.fashion_mnist as fashion_mnist
    import linearnets.plotting as plotting

    for name in ("Animator", "set_figsize", "set_axes", "use_svg_display", "show_images"):
        assert getattr(d2l, name) is getattr(plotting, name)
    for name in ("get_fashion_mnist_labels", "load_data_fashion_mnist"):
        assert getattr(d2l, name) is getattr(fashion_mnist, name)
    assert d2l.get_fashion_mnist_labels([0, 9]) == [
        "t-shirt",
        "ankle boot",
    ]  # the book's text_labels


def test_the_modules_d2l_torch_imports_are_there_under_its_names() -> None:
    """Upstream ``d2l.torch`` imports these at its top, and code written for it uses them through
    it: ``d2l.nn.Linear``, ``d2l.F.relu``, ``d2l.data.DataLoader``, ``d2l.display.clear_output``."""
    import collections
    import math
    import os
    import random

    import PIL.Image
    import torch.utils.data

    import linearnets.torchvision

    expected = {
        "torch": torch, "nn": torch.nn, "F": torch.nn.functional, "data": torch.utils.data,
        "np": np, "math": math, "os": os, "random": random, "collections": collections,
        "defaultdict": collections.defaultdict, "Image": PIL.Image,
        "torchvision": linearnets.torchvision, "transforms": linearnets.torchvision.transforms,
    }  # fmt: skip
    for name, value in expected.items():
        assert getattr(d2l, name) is value, name
        assert name in dir(d2l), name
    display = pytest.importorskip("IPython.display")
    assert d2l.display is display


def test_a_module_from_a_package_not_installed_is_an_attribute_error_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "IPython.display", None)  # import then fails as if absent
    with pytest.raises(
        AttributeError,
        match=r"^d2l\.display is IPython\.display, from the package IPython, which is not "
        r"installed here; install it \(pip install ipython\)$",
    ):
        d2l.display  # noqa: B018
    assert not hasattr(d2l, "display")


def _said_of(name: str, module: types.ModuleType = d2l) -> str:
    """Return the message of the AttributeError ``module.<name>`` raises (``d2l.<name>``)."""
    with pytest.raises(AttributeError) as info:
        getattr(module, name)
    # Python's "Did you mean: ...?" reads these, set as it raises through the module
    assert info.value.name == name and info.value.obj is module
    return str(info.value)


def test_a_module_whose_own_dependency_is_missing_names_that_package(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """matplotlib-inline installed without IPython: d2l.backend_inline needs IPython, the package
    to install, not matplotlib-inline, which is there."""
    for name in [m for m in sys.modules if m.startswith(("IPython.", "matplotlib_inline"))]:
        monkeypatch.delitem(sys.modules, name)  # loaded by an earlier test: loaded again here
    monkeypatch.setitem(sys.modules, "IPython", None)  # its import then fails as if absent
    # a matplotlib-inline of its own, installed here or not: a package whose backend_inline
    # imports IPython, as the real one's does (taken out of sys.modules again after the test)
    (tmp_path / "backend_inline.py").write_text("import IPython\n")
    package = types.ModuleType("matplotlib_inline")
    package.__path__ = [str(tmp_path)]
    monkeypatch.setitem(sys.modules, "matplotlib_inline", package)
    assert _said_of("backend_inline") == (
        "d2l.backend_inline is matplotlib_inline.backend_inline, from the package IPython, which "
        "is not installed here; install it (pip install ipython)"
    )


@pytest.mark.parametrize(("name", "package"), [("pd", "pandas"), ("requests", "requests")])
def test_pandas_and_requests_are_there_as_d2l_torch_imports_them_when_installed(
    monkeypatch: pytest.MonkeyPatch, name: str, package: str
) -> None:
    """``d2l.pd`` and ``d2l.requests`` (later chapters' tables and downloads): the module itself
    when installed, else the AttributeError naming the package, as for d2l.display."""
    import types

    fake = types.ModuleType(package)
    monkeypatch.setitem(sys.modules, package, fake)
    assert getattr(d2l, name) is fake and name in dir(d2l)
    monkeypatch.setitem(sys.modules, package, None)
    assert name not in dir(d2l)  # not offered where it cannot be had
    with pytest.raises(
        AttributeError,
        match=rf"^d2l\.{name} is {package}, from the package {package}, which is not installed "
        rf"here; install it \(pip install {package}\)$",
    ):
        getattr(d2l, name)


BOOKS_D2L = r"pip install d2l==0\.17\.6, then from d2l import torch as d2l"


@pytest.mark.parametrize(
    ("name", "section"),
    [
        ("evaluate_loss", r"§4\.4 \(model selection, underfitting and overfitting\)"),
        ("try_gpu", r"§5\.6 \(GPUs\)"),
        ("train_ch6", r"§6\.6 \(LeNet\)"),
        ("Residual", r"§7\.6 \(ResNet\)"),
    ],
)
def test_a_later_chapters_name_says_its_section_and_where_to_find_it(
    name: str, section: str
) -> None:
    with pytest.raises(
        AttributeError,
        match=rf"^module 'linearnets\.d2l' has no attribute '{name}': d2l\.{name} comes from "
        rf"{section}, and linearnets\.d2l covers chapter 3 \(linear neural networks\) only; for "
        rf"later chapters use the book's d2l package \({BOOKS_D2L}\)$",
    ):
        getattr(d2l, name)
    # still an AttributeError, so probes and defaults work as on any module
    assert not hasattr(d2l, name) and getattr(d2l, name, None) is None


def test_a_name_the_module_lacks_is_an_attribute_error_naming_the_scope() -> None:
    # _said_of checks the error's name and obj too, which Python's "Did you mean: ...?" reads
    assert _said_of("no_such_name") == (
        "module 'linearnets.d2l' has no attribute 'no_such_name': linearnets.d2l covers chapter 3 "
        "(linear neural networks) only, and the book's d2l package (0.17.6) has no "
        "'no_such_name' either; check the spelling against dir(d2l)"
    )


@pytest.mark.parametrize(
    ("name", "meant"),
    [
        ("train_ch4", "train_ch3"),
        ("train_ch3x", "train_ch3"),
        ("load_data_fashion_mnst", "load_data_fashion_mnist"),
        ("predict_ch", "predict_ch3"),
    ],
)
def test_a_misspelt_name_of_this_module_gets_the_close_match_not_pip_install(
    name: str, meant: str
) -> None:
    """d2l.train_ch3x was sent to pip install d2l==0.17.6, whose package has no train_ch3x."""
    assert _said_of(name) == (
        f"module 'linearnets.d2l' has no attribute '{name}': did you mean d2l.{meant}? "
        "(linearnets.d2l covers chapter 3 (linear neural networks) only, and the book's d2l "
        f"package (0.17.6) has no '{name}' either)"
    )
    assert callable(getattr(d2l, meant))  # the name it offers is there


@pytest.mark.parametrize(
    ("name", "meant"),
    [("torh", "torch"), ("transfroms", "transforms"), ("datta", "data"),
     ("torchvison", "torchvision"), ("plt_", "plt"), ("d2ll", "d2l")],
)  # fmt: skip
def test_a_misspelt_module_of_d2l_torch_gets_that_module(name: str, meant: str) -> None:
    """d2l.torh got "did you mean d2l.to?" and d2l.datta no match once the modules d2l.torch
    imports were left out of the names matched: they are matched, after every other name as
    close; d2l.d2l, d2l.torch's name for itself, is in dir(d2l)."""
    assert _said_of(name) == (
        f"module 'linearnets.d2l' has no attribute '{name}': did you mean d2l.{meant}? "
        "(linearnets.d2l covers chapter 3 (linear neural networks) only, and the book's d2l "
        f"package (0.17.6) has no '{name}' either)"
    )
    assert meant in dir(d2l) and getattr(d2l, meant) is not None


@pytest.mark.parametrize(
    ("name", "meant", "told"),
    [
        # the book's later names, told with their section and the book's package
        ("Vocabs", "d2l.Vocab", "d2l.Vocab comes from §8.2 (text preprocessing)"),
        (
            "load_data_time_machin",
            "d2l.load_data_time_machine",
            "d2l.load_data_time_machine comes from §8.3 (language models)",
        ),
        (
            "evaluate_accuracy_gpus",
            "d2l.evaluate_accuracy_gpu",
            "d2l.evaluate_accuracy_gpu comes from §6.6 (LeNet)",
        ),
        ("trainch6", "d2l.train_ch6", "d2l.train_ch6 comes from §6.6 (LeNet)"),
        ("train_ch8_", "d2l.train_ch8", "d2l.train_ch8 comes from §8.5 (RNNs from scratch)"),
        ("try_gpus", "d2l.try_gpu", "d2l.try_gpu comes from §5.6 (GPUs)"),
        # chapter 3's variables, told as variables (batchsize was sent to d2l.size)
        ("batchsize", "batch_size", "batch_size is a variable of the book's own code"),
        ("train_iters", "train_iter", "train_iter is a variable of the book's own code"),
    ],
)
def test_a_misspelt_name_gets_the_close_match_among_every_name_told_as_that_name_is(
    name: str, meant: str, told: str
) -> None:
    """The close match came from dir(d2l) alone: its modules and tensor names (Vocabs -> d2l.abs,
    batchsize -> d2l.size, try_gpus -> none), never the book's later names or chapter 3's variables."""
    said = _said_of(name)
    head = (
        f"module 'linearnets.d2l' has no attribute '{name}': did you mean {meant}? (the book's d2l "
        f"package (0.17.6) has no '{name}' either) "
    )
    assert said.startswith(head + told)
    # the rest is what d2l.<meant> itself says
    assert said == head + _said_of(meant.removeprefix("d2l.")).split(": ", 1)[1]


@pytest.mark.parametrize(("name", "section"), [("relu", "§4.2"), ("rnn", "§8.5")])
def test_a_later_chapters_function_of_the_books_own_code_is_told_as_one(
    name: str, section: str
) -> None:
    """d2l.relu got "did you mean d2l.re?" and d2l.rnn "did you mean d2l.nn?": modules d2l.torch
    imports; the book defines both in its own code, saved to neither d2l package."""
    topic = {"relu": "MLPs", "rnn": "RNNs"}[name]
    assert _said_of(name) == (
        f"module 'linearnets.d2l' has no attribute '{name}': {name} is of the book's own code in "
        f"{section} ({topic} from scratch), a chapter after 3, saved to neither d2l package, and "
        "linearnets.d2l covers chapter 3 (linear neural networks) only; define it in your code as "
        "that section does"
    )


@pytest.mark.parametrize("name", ["BERTModel", "load_data_nmt", "show_heatmaps", "train_ch13"])
def test_a_later_name_of_the_books_package_without_a_section_still_gets_its_install(
    name: str,
) -> None:
    assert _said_of(name) == (
        f"module 'linearnets.d2l' has no attribute '{name}': d2l.{name} is of the book's d2l "
        "package, from a chapter after 3, and linearnets.d2l covers chapter 3 (linear neural "
        "networks) only; for later chapters use the book's d2l package (pip install "
        "d2l==0.17.6, then from d2l import torch as d2l)"
    )


@pytest.mark.parametrize(
    ("name", "section"),
    [("data_iter", "3.2"), ("softmax", "3.6"), ("cross_entropy", "3.6"), ("init_weights", "3.7")],
)
def test_a_chapter_3_name_the_book_never_saves_points_to_linearnets_own(
    name: str, section: str
) -> None:
    """d2l.data_iter was told "a name from a later chapter is in the book's d2l package": it is
    §3.2's, defined in the book's own code and never saved to d2l, so that package lacks it too."""
    assert _said_of(name) == (
        f"module 'linearnets.d2l' has no attribute '{name}': the book defines {name} in "
        f"§{section}'s own code and does not save it to its d2l package, so neither does "
        f"linearnets.d2l; define it as the book does, or use linearnets.{name} (from linearnets "
        f"import {name})"
    )
    namespace: dict[str, object] = {}
    exec(f"from linearnets import {name}", namespace)  # the fix the message gives works
    assert callable(namespace[name])
    assert not hasattr(d2l, name)


def test_a_name_of_english_1_0s_api_says_which_edition_this_module_follows() -> None:
    with pytest.raises(
        AttributeError,
        match=r"^module 'linearnets\.d2l' has no attribute 'Trainer': d2l\.Trainer is of the "
        r"English edition 1\.0's API .*as the Chinese 2nd edition and the English releases before "
        r"1\.0 print it; for that edition use its d2l package \(pip install 'd2l>=1\.0'",
    ):
        d2l.Trainer  # noqa: B018


@pytest.mark.parametrize(
    "name", ["__path__", "__wrapped__", "_repr_html_", "_ipython_canary_method_should_not_exist_"]
)
def test_a_probe_for_an_underscore_name_gets_pythons_plain_attribute_error(name: str) -> None:
    """importlib, pickle, IPython's display and inspect probe such names: a plain no, at once."""
    assert _said_of(name) == f"module 'linearnets.d2l' has no attribute {name!r}"
    assert not hasattr(d2l, name)


def test_the_message_for_missing_names_leaves_imports_dir_and_pickling_alone() -> None:
    import pickle

    namespace: dict[str, object] = {}
    exec("from linearnets.d2l import *", namespace)
    assert set(d2l.__all__) <= set(namespace)
    assert "try_gpu" not in dir(d2l) and "missing_name" not in dir(d2l)
    with pytest.raises(ModuleNotFoundError, match=r"'linearnets\.d2l' is not a package"):
        __import__("linearnets.d2l.try_gpu")
    timer = pickle.loads(pickle.dumps(d2l.Timer()))
    assert type(timer) is d2l.Timer and pickle.loads(pickle.dumps(d2l.sgd)) is d2l.sgd
    formatters = pytest.importorskip("IPython.core.formatters")
    shown, _ = formatters.DisplayFormatter().format(d2l)  # probes _repr_html_, _repr_png_, ...
    assert shown["text/plain"].startswith("<module 'linearnets.d2l'")


def test_get_dataloader_workers_is_zero_so_a_dataloader_loads_in_process() -> None:
    """The book returns 4; batches here are slices of one in-memory tensor, so no worker processes."""
    assert d2l.get_dataloader_workers() == 0
    data = torch.utils.data.TensorDataset(torch.arange(6.0))
    loader = torch.utils.data.DataLoader(
        data, batch_size=4, num_workers=d2l.get_dataloader_workers()
    )
    assert [b.tolist() for (b,) in loader] == [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0]]


def test_timer_start_restarts_the_clock_and_a_stop_without_it_counts_from_the_last_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The book's Timer: ``stop`` records now - the last ``start`` (or creation); ``sum`` adds them,
    ``avg`` is their mean, ``cumsum`` their running sums."""
    import time

    clock = iter([100.0, 100.5, 104.0, 104.25, 110.0])
    monkeypatch.setattr(time, "perf_counter", lambda: next(clock))
    timer = d2l.Timer()  # starts at 100.0
    assert timer.stop() == 0.5
    assert timer.stop() == 4.0  # no new start: from 100.0 again
    timer.start()  # 104.25
    assert timer.stop() == 5.75
    assert timer.times == [0.5, 4.0, 5.75]
    assert timer.sum() == 10.25 and timer.avg() == pytest.approx(10.25 / 3)
    assert timer.cumsum() == [0.5, 4.5, 10.25]


def test_accuracy_is_a_count_of_argmax_matches_in_float() -> None:
    """The book's ``accuracy``: ``float(cmp.type(y.dtype).sum())`` of argmax(y_hat) == y."""
    y_hat = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.5, 0.4]])
    got = d2l.accuracy(y_hat, torch.tensor([0, 1, 1, 1, 0]))
    assert type(got) is float and got == 4.0


def test_accuracy_with_its_arguments_swapped_is_told_the_order_under_its_own_name() -> None:
    """d2l.accuracy counts with linearnets' correct_count: its refusal names the call made."""
    y_hat = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(
        UsageTypeError,
        match=r"^accuracy takes the model's outputs y_hat \(B, C\) first, .* the arguments are "
        r"in the wrong order; call accuracy\(y_hat, y\) \(D2L §3\.6\.5\)$",
    ):
        d2l.accuracy(torch.tensor([0, 1, 1]), y_hat)


def test_type_checkers_see_the_lazily_loaded_names_imported_from_their_modules() -> None:
    """A module ``__getattr__`` makes every name ``Any`` to mypy, a misspelt one too: it is hidden
    from type checkers, which import the lazy names instead (tests/test_typing.py runs mypy)."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(d2l))
    blocks = [
        n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    imported = {
        alias.name: node.module
        for node in blocks[0].body
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.asname == alias.name  # the explicit re-export form a type checker honours
    }
    assert {k: v for k, v in imported.items() if k in d2l._LAZY} == d2l._LAZY
    # and d2l.torch's modules from packages torch does not load: `from IPython import display`
    modules = {k: f"{v}.{k}" for k, v in imported.items() if k not in d2l._LAZY}
    # and `import pandas as pd`: d2l.pd
    modules |= {
        alias.asname: alias.name
        for node in blocks[0].body
        if isinstance(node, ast.Import)
        for alias in node.names
        if alias.asname  # not `import matplotlib.pyplot`, for d2l.plt below
    }
    assert modules == d2l._LAZY_MODULES
    assert set(d2l._LAZY) <= set(d2l.__all__)
    # d2l.plt, as the book calls it: an assignment (an import alias would not be exported)
    assert "plt = matplotlib.pyplot" in ast.unparse(blocks[0])


@pytest.mark.parametrize("name", ["MNIST", "CIFAR10"])
def test_another_torchvision_dataset_is_named_as_absent_with_the_fix(name: str) -> None:
    """D2L §3.5's exercise tries other datasets: only FashionMNIST is provided."""
    from linearnets.torchvision import datasets

    with pytest.raises(
        AttributeError,
        match=rf"^linearnets\.torchvision\.datasets has no {name}: it provides FashionMNIST alone, "
        rf"the dataset chapter 3 uses; for other datasets install torchvision itself \(pip install "
        rf"torchvision\) and use torchvision\.datasets\.{name}$",
    ):
        getattr(datasets, name)
    assert not hasattr(datasets, "__wrapped__")  # dunders stay plain AttributeErrors
    assert not hasattr(datasets, name)


def test_only_dunders_are_plain_attribute_errors_of_a_torchvision_module() -> None:
    """copy, pickle and doctest probe dunders; any other missing name, private-looking or not, is
    one the user asked for, and says what is provided."""
    from linearnets.torchvision import datasets

    assert _said_of("_MNIST", datasets).startswith(
        "linearnets.torchvision.datasets has no _MNIST: it provides FashionMNIST alone"
    )
    assert _said_of("__wrapped__", datasets) == "__wrapped__"


@pytest.mark.parametrize("name", ["MNIST", "CIFAR10"])
def test_importing_another_torchvision_dataset_keeps_the_message(name: str) -> None:
    """``from ... import MNIST`` raises ImportError (as Python does) with the readable message,
    not Python's "cannot import name"; at any depth of the caller's code."""
    namespace: dict[str, object] = {}
    with pytest.raises(ImportError, match=rf"^linearnets\.torchvision\.datasets has no {name}: "):
        exec(f"from linearnets.torchvision.datasets import {name}", namespace)

    def inside() -> None:
        exec(f"from linearnets.torchvision.datasets import FashionMNIST, {name}", {})

    with pytest.raises(ImportError, match=r"use torchvision\.datasets\." + name + "$") as info:
        inside()
    assert info.value.name == "linearnets.torchvision.datasets"
    # what the module does provide still imports
    exec("from linearnets.torchvision.datasets import FashionMNIST", namespace)
    assert namespace["FashionMNIST"].__name__ == "FashionMNIST"  # type: ignore[attr-defined]


def test_importing_another_dataset_from_a_module_of_many_names_keeps_the_message() -> None:
    """Past 255 names the import's argument takes an EXTENDED_ARG prefix, where Python 3.10's
    frame points: the message was Python's own there."""
    names = "\n".join(f"n{i} = {i}" for i in range(300))
    code = f"{names}\nfrom linearnets.torchvision.datasets import MNIST\n"
    with pytest.raises(ImportError, match=r"^linearnets\.torchvision\.datasets has no MNIST: "):
        exec(compile(code, "<many names>", "exec"), {})


def test_evaluate_accuracy_names_rows_made_of_each_example_and_resize_as_the_fix() -> None:
    """The book's scratch net, ``X.reshape((-1, 784))``, on images of another size (resize=56: 4·784
    values each) makes 4 rows of each example: ``evaluate_accuracy`` says so, with the fix that
    ``train_ch3`` and ``predict_ch3`` give, not only "return one row of C scores per example"."""
    W = torch.zeros(784, 10)
    data = [(torch.zeros(6, 1, 56, 56), torch.zeros(6, dtype=torch.int64))]
    with pytest.raises(UsageError) as info:
        d2l.evaluate_accuracy(lambda X: X.reshape((-1, W.shape[0])) @ W, data)
    assert str(info.value) == (
        "a classifier's output must be scores of shape (B, C), one row per label, got shape "
        "(24, 10) for 6 labels; the model made 4 rows of each example, as X.reshape(-1, d) does "
        "with 4·d values per example: check the image size (resize) and channels (3 for RGB) "
        "match the model's input"
    )


def _dropped(rows: int, batch_size: int) -> torch.utils.data.DataLoader[Any]:
    """A DataLoader of `rows` examples that drop_last leaves with no batch (batch_size > rows)."""
    X, y = _batches()[0]
    data = torch.utils.data.TensorDataset(X[:rows], y[:rows])
    return torch.utils.data.DataLoader(data, batch_size=batch_size, drop_last=True)


@pytest.mark.parametrize("updater", UPDATERS)
def test_train_epoch_ch3_names_the_drop_last_that_leaves_train_iter_empty(updater: str) -> None:
    """The book's function got the vague 'check the dataset is not empty ... no generator' after
    its pass: the check that len() is 0 was on fit's path only."""
    net = _concise()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageError) as caught:
        d2l.train_epoch_ch3(net, _dropped(10, 16), nn.CrossEntropyLoss(reduction="none"),
                            UPDATERS[updater](net))  # fmt: skip
    assert str(caught.value) == (
        "train_iter must yield at least one example, got none: its DataLoader has drop_last=True, "
        "and its dataset holds 10 example(s), fewer than batch_size=16: the one incomplete batch "
        "is dropped; pass drop_last=False, or a batch_size of at most 10"
    )
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))


@pytest.mark.parametrize("updater", UPDATERS)
def test_train_ch3_names_an_empty_test_iter_before_its_first_epoch(
    updater: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Epoch 1 was trained, then the test_iter that drop_last left empty was refused under the
    name of evaluate_accuracy's parameter, data_iter."""
    monkeypatch.chdir(tmp_path)
    net = _concise()
    before = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(UsageError) as caught:
        d2l.train_ch3(net, _batches(), _dropped(5, 10), nn.CrossEntropyLoss(reduction="none"), 3,
                      UPDATERS[updater](net))  # fmt: skip
    assert str(caught.value) == (
        "test_iter must yield at least one example, got none: its DataLoader has drop_last=True, "
        "and its dataset holds 5 example(s), fewer than batch_size=10: the one incomplete batch is "
        "dropped; pass drop_last=False (an evaluation should see every example), or a batch_size "
        "of at most 5"
    )
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert capsys.readouterr().out == ""  # no epoch trained
    assert list(tmp_path.iterdir()) == []  # no figure drawn


def test_the_books_function_updater_names_a_last_batch_of_one_that_batch_norm_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The optimizer path named it; the book's updater(batch_size) path let torch's bare
    ValueError through."""
    with pytest.raises(ValueError) as caught:  # the oracle: torch's own words
        nn.BatchNorm1d(4).train()(torch.zeros(1, 4))
    torch_words = str(caught.value)
    X = torch.randn(17, 3, generator=torch.Generator().manual_seed(1))
    y = torch.randint(0, 2, (17,), generator=torch.Generator().manual_seed(2))
    train_iter = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=8)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    loss = nn.CrossEntropyLoss(reduction="none")
    said = (
        "train_iter's batch 3{when} holds 1 example, and the model's BatchNorm1d ('1') needs more "
        f"than one per channel in training (torch: {torch_words}); pass drop_last=True to "
        "train_iter's DataLoader, or a batch_size that leaves no batch of one (17 examples in "
        "batches of 8 leave 1 over)"
    )
    with pytest.raises(UsageError) as caught_ours:
        d2l.train_epoch_ch3(net, train_iter, loss, _function_updater(net))
    assert str(caught_ours.value) == said.format(when="")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as caught_ours:
        d2l.train_ch3(net, train_iter, train_iter, loss, 2, _function_updater(net))
    assert str(caught_ours.value) == said.format(when=" in epoch 1")


@pytest.mark.parametrize("name", ["net", "updater"])
def test_a_chapter_3_function_linearnets_lacks_too_is_given_the_books_definition(
    name: str,
) -> None:
    """d2l.net and d2l.updater (§3.6's own code) were told they come from a later chapter."""
    import linearnets

    assert not hasattr(linearnets, name)  # so no linearnets.<name> is offered
    message = _said_of(name)
    head = (
        f"module 'linearnets.d2l' has no attribute '{name}': the book defines {name} in §3.6's "
        "own code and does not save it to its d2l package, so neither does linearnets.d2l; define "
        "it in your code as the book's §3.6 does ("
    )
    assert message.startswith(head) and message.endswith(")")
    definition = message[len(head) : -1]
    W = torch.normal(0, 0.01, size=(784, 10), requires_grad=True)
    b = torch.zeros(10, requires_grad=True)
    book = {"torch": torch, "d2l": d2l, "softmax": linearnets.softmax, "W": W, "b": b, "lr": 0.1}
    exec(definition, book)  # the definition it gives runs as the book's
    X = torch.rand(2, 1, 28, 28)
    if name == "net":
        assert book["net"](X).shape == (2, 10)
    else:
        (X.reshape(2, -1) @ W + b).sum().backward()
        book["updater"](2)
        assert torch.equal(b.detach(), torch.full((10,), -0.1))


@pytest.mark.parametrize(
    ("name", "example"),
    [
        # each value named with its section: §3.6's alone (lr = 0.1) read as the book's only one,
        # where §3.2 trains at 0.03, batch 10, 3 epochs
        ("lr", " (§3.2: lr = 0.03; §3.6: lr = 0.1)"),
        (
            "batch_size",
            " (§3.2: batch_size = 10; §3.3: batch_size = 10; §3.5: batch_size = 256; §3.6: "
            "batch_size = 256; §3.7: batch_size = 256)",
        ),
        (
            "num_epochs",
            " (§3.2: num_epochs = 3; §3.3: num_epochs = 3; §3.6: num_epochs = 10; §3.7: "
            "num_epochs = 10)",
        ),
        (
            "trainer",
            " (§3.3: trainer = torch.optim.SGD(net.parameters(), lr=0.03); §3.7: trainer = "
            "torch.optim.SGD(net.parameters(), lr=0.1))",
        ),
        # §3.5 sets train_iter and batch_size before §3.6 does
        (
            "train_iter",
            " (§3.5: train_iter = data.DataLoader(mnist_train, batch_size, shuffle=True, "
            "num_workers=get_dataloader_workers()); §3.5: train_iter, test_iter = "
            "load_data_fashion_mnist(32, resize=64); §3.6: train_iter, test_iter = "
            "d2l.load_data_fashion_mnist(batch_size); §3.7: train_iter, test_iter = "
            "d2l.load_data_fashion_mnist(batch_size))",
        ),
        (
            "test_iter",
            " (§3.5: train_iter, test_iter = load_data_fashion_mnist(32, resize=64); §3.6: "
            "train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size); §3.7: train_iter, "
            "test_iter = d2l.load_data_fashion_mnist(batch_size))",
        ),
        # §3.2 calls its own synthetic_data, §3.3 d2l's
        (
            "features",
            " (§3.2: features, labels = synthetic_data(true_w, true_b, 1000); §3.3: features, "
            "labels = d2l.synthetic_data(true_w, true_b, 1000))",
        ),
        (
            "labels",
            " (§3.2: features, labels = synthetic_data(true_w, true_b, 1000); §3.3: features, "
            "labels = d2l.synthetic_data(true_w, true_b, 1000))",
        ),
        (
            "b",
            " (§3.1: b = torch.ones([n]); §3.2: b = torch.zeros(1, requires_grad=True); §3.3: "
            "b = net[0].bias.data; §3.6: b = torch.zeros(num_outputs, requires_grad=True))",
        ),
        ("X", ""),
        # these were told "a name from a later chapter is in the book's d2l package", which
        # lacks them as well
        (
            "w",
            " (§3.2: w = torch.normal(0, 0.01, size=(2,1), requires_grad=True); §3.3: "
            "w = net[0].weight.data)",
        ),
        ("num_inputs", " (§3.6: num_inputs = 784)"),
        ("num_outputs", " (§3.6: num_outputs = 10)"),
        (
            "mnist_train",
            ' (§3.5: mnist_train = torchvision.datasets.FashionMNIST(root="../data", train=True, '
            "transform=trans, download=True))",
        ),
        (
            "mnist_test",
            ' (§3.5: mnist_test = torchvision.datasets.FashionMNIST(root="../data", train=False, '
            "transform=trans, download=True))",
        ),
        (
            "y_hat",
            " (§3.6: y_hat = torch.tensor([[0.1, 0.3, 0.6], [0.3, 0.2, 0.5]]); §3.6: y_hat = "
            "net(X))",
        ),
        # evaluate_accuracy's, then train_epoch_ch3's
        ("metric", " (§3.6: metric = Accumulator(2); §3.6: metric = Accumulator(3))"),
        # the locals of the book's train_ch3 and predict_ch3 (train_loss was offered
        # d2l.transpose, test_acc d2l.stack, titles d2l.tarfile)
        (
            "train_metrics",
            " (§3.6: train_metrics = train_epoch_ch3(net, train_iter, loss, updater))",
        ),
        ("test_acc", " (§3.6: test_acc = evaluate_accuracy(net, test_iter))"),
        ("train_loss", " (§3.6: train_loss, train_acc = train_metrics)"),
        ("train_acc", " (§3.6: train_loss, train_acc = train_metrics)"),
        ("trues", " (§3.6: trues = d2l.get_fashion_mnist_labels(y))"),
        ("preds", " (§3.6: preds = d2l.get_fashion_mnist_labels(d2l.argmax(net(X), axis=1)))"),
        (
            "titles",
            " (§3.6: titles = [true + '\\n' + pred for true, pred in zip(trues, preds)])",
        ),
        ("timer", " (§3.1: timer = Timer(); §3.5: timer = d2l.Timer())"),
        (
            "loss",
            " (§3.2: loss = squared_loss; §3.3: loss = nn.MSELoss(); §3.7: loss = "
            "nn.CrossEntropyLoss(reduction='none'))",
        ),
        ("trans", " (§3.5: trans = transforms.ToTensor())"),
    ],
)
def test_a_variable_of_the_books_own_code_is_told_as_one(name: str, example: str) -> None:
    """d2l.lr, d2l.train_iter ... got "a name from a later chapter is in the book's d2l package",
    which has none of them."""
    assert _said_of(name) == (
        f"module 'linearnets.d2l' has no attribute '{name}': {name} is a variable of the book's "
        "own code, not a name of its d2l package (nor of linearnets.d2l); set it in your code as "
        f"the book does{example}"
    )


def test_d2l_d2l_is_the_module_itself_as_in_the_books_package() -> None:
    """d2l.torch sets ``d2l = sys.modules[__name__]``; d2l.d2l was told the book's package lacks it."""
    assert d2l.d2l is d2l
    assert "d2l" not in d2l.__all__  # not a chapter 3 name, so no star import brings it
