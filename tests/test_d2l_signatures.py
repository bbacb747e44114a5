"""linearnets.d2l's chapter-3 names keep the book's signatures (d2l ``torch.py``, D2L §3.1–3.7).

The book's parameter lists are written out here as its ``def`` lines print them (d2l 0.17.6's
``torch.py``; the Chinese 2nd edition's are the same): each of ours must take the same parameters in
the same order, under the same names, with the same defaults, so the book's calls bind as they do
on d2l; anything we add must be keyword-only with a default, so no call written for the book can
reach it by position or fail for want of it.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from linearnets import d2l

FMTS = "fmts=('-', 'm--', 'g-.', 'r:')"

BOOK: dict[str, str] = {
    "synthetic_data": "w, b, num_examples",
    "linreg": "X, w, b",
    "squared_loss": "y_hat, y",
    "sgd": "params, lr, batch_size",
    "load_array": "data_arrays, batch_size, is_train=True",
    "get_fashion_mnist_labels": "labels",
    "show_images": "imgs, num_rows, num_cols, titles=None, scale=1.5",
    "get_dataloader_workers": "",
    "load_data_fashion_mnist": "batch_size, resize=None",
    "accuracy": "y_hat, y",
    "evaluate_accuracy": "net, data_iter",
    "Accumulator": "n",
    "Accumulator.add": "*args",
    "Accumulator.reset": "",
    "Accumulator.__getitem__": "idx",
    "train_epoch_ch3": "net, train_iter, loss, updater",
    "Animator": (
        "xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, xscale='linear', "
        f"yscale='linear', {FMTS}, nrows=1, ncols=1, figsize=(3.5, 2.5)"
    ),
    "Animator.add": "x, y",
    "train_ch3": "net, train_iter, test_iter, loss, num_epochs, updater",
    "predict_ch3": "net, test_iter, n=6",
    "Timer": "",
    "Timer.start": "",
    "Timer.stop": "",
    "Timer.avg": "",
    "Timer.sum": "",
    "Timer.cumsum": "",
    "set_figsize": "figsize=(3.5, 2.5)",
    "use_svg_display": "",
    "plot": (
        "X, Y=None, xlabel=None, ylabel=None, legend=None, xlim=None, ylim=None, "
        f"xscale='linear', yscale='linear', {FMTS}, figsize=(3.5, 2.5), axes=None"
    ),
    "set_axes": "axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend",
}


def _parameters(name: str) -> list[inspect.Parameter]:
    obj: Any = d2l
    for part in name.split("."):
        obj = getattr(obj, part)
    params = list(inspect.signature(obj).parameters.values())
    return params[1:] if "." in name else params  # a method read from its class: drop self


def _as_the_book_prints(params: list[inspect.Parameter]) -> str:
    """Return the parameters a book's call can reach (all but keyword-only) as a ``def`` line."""
    shown = []
    for p in params:
        if p.kind is p.KEYWORD_ONLY:
            continue
        if p.kind is p.VAR_POSITIONAL:
            shown.append(f"*{p.name}")
        elif p.default is p.empty:
            shown.append(p.name)
        else:
            shown.append(f"{p.name}={p.default!r}")
    return ", ".join(shown)


def test_every_chapter_3_name_of_the_issue_is_checked() -> None:
    names = {name.split(".")[0] for name in BOOK}
    assert len(names) == 21 and names <= set(d2l.__all__)


@pytest.mark.parametrize("name", BOOK)
def test_the_books_parameters_in_its_order_with_its_defaults(name: str) -> None:
    assert _as_the_book_prints(_parameters(name)) == BOOK[name]


@pytest.mark.parametrize("name", BOOK)
def test_what_we_add_is_keyword_only_with_a_default(name: str) -> None:
    added = [p for p in _parameters(name) if p.kind is p.KEYWORD_ONLY]
    assert [p.name for p in added if p.default is p.empty] == []
