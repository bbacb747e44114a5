"""Using a trained classifier: predicted labels, predictions drawn as images, confusion matrix (D2L §3.6.7)."""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from linearnets._warn import warn
from linearnets.errors import DataWarning, UsageError
from linearnets.inference_checks import check_scores
from linearnets.model_checks import PREDICTION_HEAD
from linearnets.training.evaluation import switch_mode
from linearnets.training.forward_diagnosis import raise_forward_error
from linearnets.training.loop_checks import check_batches, check_net
from linearnets.training.model_diagnosis import nan_source
from linearnets.training.step import unpack
from linearnets.validation import (
    check_bool,
    check_label_tensor,
    check_no_nan_scores,
    check_positive_int,
)

__all__ = ["confusion_counts", "predict", "predict_labels", "prediction_samples"]

Net = Callable[[torch.Tensor], torch.Tensor]

# inputs of a model trained on pixels / 255, in [0, 1], past this are raw pixels (0..255) or so
PIXEL_INPUTS_PAST = 1.5

# the models load_trained rebuilt from a run on pixels / 255 that predict_labels has not yet
# warned of raw inputs: once per model, as a figure's catch_warnings resets Python's registry
_EXPECT_PIXELS: weakref.WeakSet[Any] = weakref.WeakSet()


def expect_pixels(net: Net) -> None:
    """Have :func:`predict_labels` warn, once, when ``net``, trained on 8-bit pixels divided by
    255 (its ``model.pt`` says ``pixels``), is given float inputs past :data:`PIXEL_INPUTS_PAST`."""
    _EXPECT_PIXELS.add(net)  # load_trained's models, an nn.Module or a scratch one, take weakrefs


@torch.no_grad()
def predict_labels(net: Net, X: torch.Tensor, *, num_classes: int | None = None) -> torch.Tensor:
    """Return the predicted class of each example: ``argmax`` of the scores, in eval mode.

    Args:
        net: a classifier giving scores (B, C).
        X: a batch of examples (B, ...).
        num_classes: the number of classes C the predictions must be named or counted as; a
            model of another number of outputs is refused (its labels would be other classes'),
            whatever it predicts on this batch. ``None``: any C >= 2.

    Returns:
        The predicted classes, int64 (B,).

    Raises:
        UsageError: ``net`` gives no scores (B, C), C >= 2, or C is not ``num_classes``.
        DivergenceError: the scores hold NaN, with the cause :func:`~linearnets.evaluate_accuracy`
            names ("so no class can be predicted"): NaN is every row's maximum, so each label
            would be a meaningless class 0.

    Warns:
        DataWarning: once per model, ``net`` came from
            :func:`~linearnets.tasks.softmax.load_trained` of a run on 8-bit pixels divided by 255,
            and ``X`` is floats past 1.5: raw pixels, which it predicts wrong (pass ``X / 255``).

    See D2L §3.6.7.
    """
    if num_classes is not None:
        num_classes = check_positive_int("num_classes", num_classes)
    return _predict(net, X, num_classes, fix=f"pass a model with {num_classes} outputs")


def _predict(
    net: Net, X: torch.Tensor, num_classes: int | None, *, fix: str, first: int | None = None
) -> torch.Tensor:
    """:func:`predict_labels`, whose refusal of a model of other than ``num_classes`` outputs
    ends with ``fix``, where ``{outputs}`` stands for the model's number. With ``first``, the
    labels of the first ``first`` examples alone: the model is given the whole batch ``X`` (B,
    ...), as ``test_iter`` yielded it (a refusal names its shape), and the other examples' scores
    are neither checked for NaN nor judged as pixels."""
    restore_mode = switch_mode(net, False)
    try:
        try:
            scores = net(X)
        except RuntimeError as err:  # a batch on another device than the model: named
            raise_forward_error(net, X, err)
        check_scores(scores, X.shape[0], num_classes, fix=fix)
        if first is not None:
            scores, X = scores[:first], X[:first]
        top = scores.max(dim=1)  # argmax; fast also on a transposed (B, q) view
        # max propagates NaN, so the B maxima tell of any NaN score without a pass over B × C
        if bool(top.values.isnan().any()):
            check_no_nan_scores(True, source=nan_source(net, X), head=PREDICTION_HEAD)
        _check_pixel_inputs(net, X)
        return top.indices
    finally:
        restore_mode()


def _check_pixel_inputs(net: Net, X: torch.Tensor) -> None:
    """Warn, once per model, of float inputs ``X`` (B, ...) past :data:`PIXEL_INPUTS_PAST` given to
    a model trained on pixels divided by 255 (see :func:`expect_pixels`): its predictions on raw
    pixels are wrong, with nothing else to tell."""
    try:
        expected = net in _EXPECT_PIXELS
    except TypeError:
        return
    if not expected or not X.is_floating_point() or not X.numel():
        return
    largest = float(X.amax())
    if not largest > PIXEL_INPUTS_PAST:
        return
    _EXPECT_PIXELS.discard(net)
    warn(
        f"X must be scaled as the model's training inputs were, 8-bit pixels divided by 255 (in "
        f"[0, 1]; its model.pt says pixels=True), got values up to {largest:g}: raw pixels give "
        "wrong predictions; pass X / 255",
        DataWarning,
    )


def _batches(
    name: str, batches: Iterable[Sequence[torch.Tensor]]
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield the ``(X, y)`` of each batch, checked as evaluation checks them, naming ``name``."""
    check_batches(name, batches, passes=1)
    for batch in batches:
        try:
            # empty batches pass: the callers skip them, or say the whole set held no example
            X, y = unpack(batch, allow_empty=True)
        except UsageError as err:  # UsageTypeError too: the same type, now naming the argument
            raise type(err)(
                f"{name} must yield (X, y) batches: {err} (for one batch, pass [(X, y)]; for a "
                "dataset, DataLoader(dataset, batch_size))"
            ) from None
        yield X, y


@torch.no_grad()
def confusion_counts(
    net: Net, data_iter: Iterable[Sequence[torch.Tensor]], num_classes: int
) -> torch.Tensor:
    """Return the confusion matrix (C, C), int64: row = true class, column = predicted class.

    ``data_iter`` must yield at least one example: none (or a generator used up by an earlier
    pass), or empty batches only, is refused, as :func:`prediction_samples` refuses it, rather
    than counted as all zeros.
    Above :data:`~linearnets.plotting.confusion.MAX_DENSE_CLASSES` classes it is a sparse COO
    tensor of the nonzero cells, as :func:`~linearnets.plotting.confusion.confusion_matrix` gives.
    """
    from linearnets.plotting.confusion import confusion_matrix

    num_classes = check_positive_int("num_classes", num_classes)
    check_net(net)
    trues, preds = [], []
    # a model of more outputs puts a class past C in the next row; of fewer, never predicts some
    fix = f"pass num_classes={{outputs}}, the model's number, or a model of {num_classes} outputs"
    for X, y in _batches("data_iter", data_iter):
        pred = _predict(net, X, num_classes, fix=fix).cpu()
        y = check_label_tensor("y", y.cpu(), num_classes=num_classes).long()  # uint8 · C overflows
        trues.append(y)
        preds.append(pred)
    if not trues:
        raise UsageError(_no_batch("data_iter"))
    true = torch.cat(trues)  # (N,)
    if not len(true):  # empty batches only: no example to count, not a matrix of zeros
        raise UsageError(_no_example("data_iter", len(trues)))
    return confusion_matrix(true, torch.cat(preds), num_classes)


def _no_batch(name: str) -> str:
    """Return the refusal of an iterator ``name`` that yielded no batch."""
    return (
        f"{name} must yield at least one batch, got none; check the dataset is not empty, and "
        "that it is no generator or iterator used up by an earlier pass (pass a list or a "
        "DataLoader)"
    )


def _no_example(name: str, batches: int) -> str:
    """Return the refusal of an iterator ``name`` that yielded ``batches`` empty batches only."""
    return (
        f"{name} must yield at least one example, got {batches} empty batch"
        f"{'es' if batches > 1 else ''}; check the test set is not empty"
    )


@torch.no_grad()  # the model runs on each whole batch: no graph kept of it
def prediction_samples(
    net: Net, test_iter: Iterable[Sequence[torch.Tensor]], n: int = 6, *, lang: str = "en"
) -> tuple[torch.Tensor, list[str], list[str]]:
    """Return the first ``n`` test images (m, H, W) with their true and predicted label names.

    ``m = min(n, examples in test_iter)``: a first batch of fewer than ``n`` examples is followed
    by the next ones, and a test set of fewer gives all of them (the book's ``predict_ch3`` takes
    ``X[0:n]`` of the first batch, and its reshape to ``n`` images fails there). What
    :func:`predict` draws, without drawing it (e.g. to draw it in another process).
    """
    from linearnets.data.labels import TEXT_LABELS, class_names

    n = check_positive_int("n", n)
    check_net(net)
    # each batch as test_iter yielded it, and how many of its first examples are taken: refused,
    # it is named by its own shape, not the cut's ("got a batch of shape (2, 10)" of a (4, 10))
    inputs: list[tuple[torch.Tensor, int]] = []
    true_names: list[str] = []  # checked batch by batch, before the model's predictions
    for i, (X, y) in enumerate(_batches("test_iter", test_iter)):
        taken = n - len(true_names)  # a later batch's first examples, not all of it
        inputs.append((X, taken))
        true_names += _true_names(y, taken, i, lang)
        if taken <= len(y):
            break
    if not inputs:
        raise UsageError(_no_batch("test_iter"))
    if not true_names:
        raise UsageError(_no_example("test_iter", len(inputs)))
    inputs = [(X, taken) for X, taken in inputs if len(X)]  # an empty (0, 784): no square image
    # each batch drawn as images first: (B, 1, 28, 28) then (B, 784) are alike (B, 28, 28)
    images = _cat_images([_as_images(X)[:taken] for X, taken in inputs])  # (m, H, W), (m, C, H, W)
    # a model of 5 or 12 outputs: its labels are no Fashion-MNIST classes, whatever it predicts
    classes = len(TEXT_LABELS)
    fix = f"pass a Fashion-MNIST model, of {classes} outputs"
    # batch by batch: the model takes each batch's X as test_iter gave it, whatever its layout
    # the model runs once on each whole batch (a refusal names the shape test_iter yielded, not
    # the cut's: "got shape (4, 3, 5, 5)", not the (2, 3, 5, 5) of n=2); its first taken predicted
    pred = torch.cat([_predict(net, X, classes, fix=fix, first=taken).cpu() for X, taken in inputs])
    return images.cpu(), true_names, class_names(pred, lang=lang)


def _true_names(y: Any, taken: int, batch: int, lang: str) -> list[str]:
    """Return the label names of the first ``taken`` labels ``y`` of ``test_iter``'s batch
    ``batch`` (from 0), refused as that batch's ``y``, its shape the batch's own, not the cut's."""
    from linearnets.data.labels import TEXT_LABELS, check_one_per_row, class_names

    where = " of test_iter's first batch" if batch == 0 else f" of test_iter's batch {batch + 1}"
    if isinstance(y, torch.Tensor | np.ndarray):
        check_one_per_row(y, "y", where=where)
    fix = (
        f"make test_iter yield Fashion-MNIST's labels, class indices 0..{len(TEXT_LABELS) - 1}, "
        "as load_data_fashion_mnist's batches do"
    )
    return class_names(y[:taken], lang=lang, name="y", where=where, fix=fix)


def _cat_images(images: list[torch.Tensor]) -> torch.Tensor:
    """Return the batches of images ``images`` (each (B, H, W) or (B, C, H, W), as
    :func:`_as_images` gives them) as one (m, ...), where all are of one size.

    Raises:
        UsageError: ``test_iter`` yielded images of two sizes or layouts: torch.cat's "Sizes of
            tensors must match" named neither the argument nor the fix.
    """
    kept = [batch for batch in images if len(batch)] or images[:1]  # empty ones: no size of theirs
    first = kept[0]
    for batch in kept[1:]:
        if batch.shape[1:] != first.shape[1:]:
            raise UsageError(
                f"test_iter must yield images of one size and layout, got batches of images "
                f"{tuple(first.shape[1:])} and then {tuple(batch.shape[1:])}, which cannot be "
                "drawn as one grid; resize every batch alike (load_data_fashion_mnist(batch_size, "
                "resize=...) does), or draw each size apart"
            )
    return torch.cat(kept)


def _as_images(X: torch.Tensor) -> torch.Tensor:
    """Return a batch as images to draw: (B, H, W) for one channel, (B, C, H, W) for colour.

    Flattened rows (B, d) are taken as square images when d is a square (784 → 28 × 28), and so
    are (B, 1, d) and the like, which would be drawn as strips one pixel high.

    Raises:
        UsageError: ``X`` is no batch of images, or of channels no image has (2, 5, ...).
    """
    from linearnets.plotting._image_args import flattened_side

    side = flattened_side(tuple(X.shape))  # (B, 1, 784), (B, 1, 1, 784): the model takes them too
    if side:
        return X.reshape(-1, side, side)
    if X.ndim == 4:
        if X.shape[1] in _CHANNELS or X.shape[-1] in _CHANNELS:  # (B, C, H, W) or (B, H, W, C)
            return X[:, 0] if X.shape[1] == 1 else X
        raise UsageError(
            f"{_IMAGES}, got a batch of shape {tuple(X.shape)}, whose {X.shape[1]} channels "
            "are no image's; yield one channel of it, X[:, :1], to draw it grey"
        )
    if X.ndim == 3:
        return X
    side = math.isqrt(X[0].numel()) if X.ndim == 2 and X.shape[0] else 0
    if X.ndim != 2 or side * side != X.shape[1]:
        raise UsageError(
            f"{_IMAGES}, got a batch of shape {tuple(X.shape)}; predictions can only be drawn "
            "for images"
        )
    return X.reshape(-1, side, side)


_CHANNELS = (1, 3, 4)  # grey, RGB, RGBA: the channels plot_predictions draws
_IMAGES = (
    "test_iter must yield images X of (B, 1, H, W), (B, 3, H, W) in colour (RGB; RGBA of 4 "
    "channels too), (B, H, W) or square ones flattened to (B, H*W)"
)


def predict(
    net: Net,
    test_iter: Iterable[Sequence[torch.Tensor]],
    n: int = 6,
    *,
    out: str | Path | None = None,
    lang: str = "en",
    num_cols: int | None = None,
    wrong_only: bool = False,
) -> np.ndarray:
    """Show the first ``n`` test images, each titled with its true label over the predicted one.

    As the book's ``predict_ch3`` titles them (``true + '\\n' + pred``); mistakes in red.

    A test set of fewer than ``n`` examples shows all of them (the book's
    ``X[0:n].reshape((n, 28, 28))`` fails there). With ``wrong_only=True``, the first ``n`` the
    model gets wrong (the shirts taken for T-shirts or coats §3.6.7 ends on), in test-set order:
    the whole ``test_iter`` is read; :func:`~linearnets.mistakes.find_mistakes` gives their
    positions in the test set and how many of it are wrong.

    Args:
        net: a Fashion-MNIST classifier giving scores (B, 10); evaluated in eval mode.
        test_iter: yields ``(X, y)`` batches: images ``X`` (B, 1, H, W), (B, 3, H, W) in colour,
            (B, H, W) or flattened square ones (B, H*W), all of one size, and int64 class
            indices ``y`` (B,).
        n: how many images (fewer when ``test_iter`` holds fewer), at most :data:`~linearnets.plotting.images.MAX_SHOW` (100, the CLI's
            ``-n`` bound): one row of more images is unreadable and slow to draw.
        out: save the figure there too (PNG, SVG or PDF by the extension; headless use). Not a
            file a run writes into its folder (``predictions.png``, ``curves.svg``,
            ``confusion.png``, ..., or ``linearnets predict``'s ``predict-6.png``): a figure of
            other images or weights would pass for the run's.
        lang: "en" for the book's English label names, "zh" for Chinese label names.
        num_cols: images a row, the rest wrapped onto further rows (default: one row, as the
            book's); ``num_cols=10`` draws 20 images as 2 rows of 10.
        wrong_only: show only the images the model gets wrong (``linearnets predict --wrong``).

    Returns:
        The matplotlib axes, a NumPy array (m,) of ``Axes`` as ``plt.subplots`` gives them, one
        per image shown: ``m = min(n, examples in test_iter)``; with ``wrong_only``,
        ``m = min(n, wrong examples in test_iter)``, and where the model gets none wrong an
        empty array and nothing drawn: a file ``out`` already there (an earlier model's
        mistakes) is removed, not left to pass for this one's.

    Raises:
        UsageError: ``out`` is a file of a run's folder, or ``test_iter`` yields no images, or
            images of two sizes.

    See D2L §3.6.7.
    """
    from linearnets.plotting._out_path import check_out_path
    from linearnets.training.run_files import check_not_a_runs_out

    if out is not None:  # before any batch is read, as linearnets predict checks --out
        out = check_out_path("out", out)
        check_not_a_runs_out(out)
    return draw_predictions(
        net, test_iter, n, out=out, lang=lang, num_cols=num_cols, wrong_only=wrong_only
    )


def draw_predictions(
    net: Net,
    test_iter: Iterable[Sequence[torch.Tensor]],
    n: int = 6,
    *,
    out: Path | None = None,
    lang: str = "en",
    num_cols: int | None = None,
    wrong_only: bool = False,
) -> np.ndarray:
    """:func:`predict`, ``out`` not checked against a run's files: the caller checked it
    (:func:`predict`; ``linearnets predict``, its own ``RUN_DIR/predict-N.png`` allowed)."""
    from linearnets.plotting import plot_predictions
    from linearnets.plotting._fonts import check_lang_font
    from linearnets.plotting._runs_own import as_runs_own
    from linearnets.plotting.images import check_show_count

    n = check_show_count(
        "n", n, example=6
    )  # before reading any batch: 20,000 would take minutes to draw
    if num_cols is not None:
        num_cols = check_positive_int("num_cols", num_cols)
    wrong_only = check_bool("wrong_only", wrong_only)
    check_net(net)  # the arguments' own values first, then whether a font draws lang's
    check_lang_font(lang)  # before reading any batch, naming lang (the titles are its)
    if not wrong_only:
        images, true_labels, pred_labels = prediction_samples(net, test_iter, n, lang=lang)
        _check_finite_drawn(images)
        return as_runs_own(plot_predictions)(  # out checked by the caller, as below
            images, true_labels, pred_labels, out=out, num_cols=num_cols
        )
    from linearnets.mistakes import find_mistakes

    found = find_mistakes(net, test_iter, n, lang=lang)
    if not found.num_wrong:
        if out is not None and (out.is_file() or out.is_symlink()):
            out.unlink()  # an earlier model's mistakes, not this one's: no figure of no images
        return np.empty(0, dtype=object)
    _check_finite_drawn(found.images)
    # out checked by the caller: predict's, or linearnets predict's own
    return as_runs_own(plot_predictions)(
        found.images,
        found.true_labels,
        found.pred_labels,
        out=out,
        num_cols=num_cols,
    )


def _check_finite_drawn(images: torch.Tensor) -> None:
    """Refuse the images :func:`predict` draws, (m, H, W) or (m, C, H, W), holding NaN or inf
    (blank cells, drawn without a word), named as ``test_iter``'s ``X``: ``predict`` has no
    ``images``."""
    from linearnets.plotting._image_args import check_finite_images

    fix = "make test_iter yield finite images, e.g. X.nan_to_num(), or leave those out"
    arrays = list(images.detach().cpu().numpy())
    check_finite_images(arrays, "test_iter's X", item="drawn image {} (from 0)", fix=fix)
