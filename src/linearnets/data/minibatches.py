"""Minibatch iterators over tensors held in memory: the book's ``data_iter`` (D2L §3.2.2) and
``load_array`` (§3.3.2), their data checked once, when called.
"""

from __future__ import annotations

import numbers
import sys
from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import DataLoader, TensorDataset

from linearnets.config_checks import MAX_SIZE
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_bool,
    check_finite,
    check_float_tensor,
    check_generator,
    check_holds_values,
    check_positive_int,
    check_same_length,
    describe,
)

__all__ = ["data_iter", "load_array"]


def _check_outside_a_graph(name: str, array: torch.Tensor) -> None:
    """Refuse data computed with autograd on (labels from a ``w`` that requires grad, features
    from a model's forward): every batch would hang on that one graph, and the second
    ``backward()`` of a training loop fail in torch's words. A leaf that requires grad is kept:
    its batches are new nodes each time."""
    if array.grad_fn is not None:
        raise UsageError(
            f"{name} must be data outside any autograd graph, got {describe(array)} computed by "
            f"{type(array.grad_fn).__name__}: every batch would share that graph, and a training "
            "loop's second backward() would fail (\"Trying to backward through the graph a second "
            f'time"); detach it first, e.g. {name}.detach(), or build it under torch.no_grad()'
        )


def _is_count(value: object) -> bool:
    """Whether ``value`` is an int (not a bool), as a batch size passed in the wrong place is."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_array(value: object) -> bool:
    """Whether ``value`` is a tensor or NumPy array of one dimension or more, as features passed
    for ``batch_size`` are. NumPy is not imported for it: an array of it means it is loaded."""
    numpy = sys.modules.get("numpy")
    arrays = (torch.Tensor,) if numpy is None else (torch.Tensor, numpy.ndarray)
    return isinstance(value, arrays) and value.ndim >= 1


def _check_data_iter_order(batch_size: object, features: object, labels: object) -> None:
    """Refuse a tensor for ``batch_size`` beside an int for ``features`` or ``labels``: the book's
    order swapped (``data_iter(X, y, 3)``), named as such, not as a tensor that is no integer."""
    if not _is_array(batch_size):
        return  # a 0-d tensor (or NumPy array) is a batch size data_iter takes
    for name, value in (("features", features), ("labels", labels)):
        if _is_count(value):
            raise UsageTypeError(
                f"data_iter takes batch_size first, then features and labels, got "
                f"{describe(batch_size)} as batch_size and the int {value} as {name}: the "
                f"arguments are in the wrong order; call data_iter({value}, features, labels) "
                "(D2L §3.2.2)"
            )


def _check_load_array_order(data_arrays: object, batch_size: object, is_train: object) -> None:
    """Refuse an int for ``data_arrays`` beside the arrays for ``batch_size``: the order swapped
    (``load_array(3, (X, y))``); or an array for each, the arrays passed apart, not as one tuple
    (``load_array(X, y, 10)``): each named as such, not as a tensor that is no integer."""
    if _is_count(data_arrays) and isinstance(batch_size, tuple | list | torch.Tensor):
        raise UsageTypeError(
            f"load_array takes data_arrays first, then batch_size, got the int {data_arrays} as "
            f"data_arrays and {_arrays(batch_size)} as batch_size: the arguments are in the "
            f"wrong order; call load_array((features, labels), {data_arrays}) (D2L §3.3.2)"
        )
    if _is_array(data_arrays) and _is_array(batch_size):
        size = is_train if _is_count(is_train) and int(is_train) > 0 else "batch_size"  # type: ignore[call-overload]
        raise UsageTypeError(
            f"data_arrays must be one tuple of the arrays, got {describe(data_arrays)} as "
            f"data_arrays and {describe(batch_size)} as batch_size: the arrays were passed "
            f"apart; call load_array((features, labels), {size}) (D2L §3.3.2)"
        )


def _arrays(value: tuple[object, ...] | list[object] | torch.Tensor) -> str:
    """Describe what was passed as arrays, briefly: ``a tuple of 2 tensors``."""
    if isinstance(value, torch.Tensor):
        return describe(value)
    kind = type(value).__name__
    if all(isinstance(item, torch.Tensor) for item in value):
        return f"a {kind} of {len(value)} tensor{'s' if len(value) != 1 else ''}"
    return f"a {kind} of {len(value)}"


def _check_arrays(features: torch.Tensor, labels: torch.Tensor) -> int:
    check_float_tensor("features", features)
    n = check_same_length(("features", "labels"), (features, labels))
    check_holds_values("features", features)
    check_holds_values("labels", labels)
    _check_outside_a_graph("features", features)
    _check_outside_a_graph("labels", labels)
    if n == 0:
        raise UsageError(
            "features must hold at least one example, got 0 rows; pass a non-empty dataset"
        )
    check_finite("features", features)
    check_finite("labels", labels)
    return n


def data_iter(
    batch_size: int,
    features: torch.Tensor,
    labels: torch.Tensor,
    *,
    generator: torch.Generator | None = None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield shuffled minibatches ``(X, y)``, every example exactly once; the last batch may be short.

    Unlike the book's version, no Python list of indices is built and the dataset is not copied up front:
    one permutation tensor (n int64) is drawn and each batch gathers only its own rows.

    Args:
        batch_size: B, rows per batch.
        features: shape (n, ...).
        labels: shape (n, ...).
        generator: source of the shuffle; ``None`` uses torch's global generator.

    Yields:
        ``X`` of shape (B, ...) and ``y`` of shape (B, ...).

    See D2L §3.2.2.
    """
    _check_data_iter_order(batch_size, features, labels)
    batch_size = check_positive_int("batch_size", batch_size)
    n = _check_arrays(features, labels)
    check_generator("generator", generator)
    # checked here, when called, not at the first next(): the generator below holds the loop
    return _batches(batch_size, features, labels, n, generator)


def _batches(
    batch_size: int,
    features: torch.Tensor,
    labels: torch.Tensor,
    n: int,
    generator: torch.Generator | None,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    # drawn on the generator's device (a CUDA generator draws only there), then taken once to
    # each array's: index_select, unlike features[idx], needs its index on the array's device
    device = generator.device if generator is not None else None  # None: torch's default
    order = torch.randperm(n, generator=generator, device=device).to(features.device)  # (n,)
    label_order = order if labels.device == features.device else order.to(labels.device)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]  # a view: (B,)
        label_idx = idx if label_order is order else label_order[start : start + batch_size]
        # index_select gathers the same rows as features[idx], with less dispatch per call
        yield features.index_select(0, idx), labels.index_select(0, label_idx)


def load_array(
    data_arrays: Sequence[torch.Tensor] | Iterator[torch.Tensor],
    batch_size: int,
    is_train: bool = True,
    *,
    generator: torch.Generator | None = None,
) -> DataLoader[tuple[torch.Tensor, ...]]:
    """Wrap tensors in a ``TensorDataset`` behind a ``DataLoader`` (shuffled when ``is_train``).

    Args:
        data_arrays: tensors sharing their first dimension n, e.g. ``(features, labels)``: a
            tuple, a list, or an iterator of them (a generator), read once.
        batch_size: B, rows per batch.
        is_train: shuffle each epoch when true.
        generator: source of the shuffle; ``None`` uses torch's global generator.

    Returns:
        A ``DataLoader`` yielding lists ``[X, y]`` of tensors of shape (B, ...), one per array (its
        default collate makes lists: the book prints ``next(iter(data_iter))`` as ``[tensor(...),
        tensor(...)]``); unpack them as ``for X, y in data_iter``.

    See D2L §3.3.2.
    """
    # at most MAX_SIZE, as LinregConfig takes: the DataLoader's batch sampler fails at the first
    # batch on one past sys.maxsize, in islice's words
    _check_load_array_order(data_arrays, batch_size, is_train)
    batch_size = check_positive_int("batch_size", batch_size, maximum=MAX_SIZE)
    if isinstance(data_arrays, Iterator):
        # a generator or map of the arrays, which the book's TensorDataset(*data_arrays) unpacks
        data_arrays = tuple(data_arrays)
    if not isinstance(data_arrays, list | tuple) or not data_arrays:
        raise UsageError(
            f"data_arrays must be a non-empty tuple of tensors, got {type(data_arrays).__name__}; "
            "pass e.g. (features, labels)"
        )
    names = tuple(f"data_arrays[{i}]" for i in range(len(data_arrays)))
    if check_same_length(names, data_arrays) == 0:
        raise UsageError(
            "data_arrays must hold at least one example, got 0 rows; pass a non-empty dataset"
        )
    for name, array in zip(names, data_arrays, strict=True):
        check_holds_values(name, array)
        _check_outside_a_graph(name, array)
        check_finite(name, array)
    is_train = check_bool("is_train", is_train)
    check_generator("generator", generator)
    if generator is not None and generator.device.type != "cpu":
        # the DataLoader draws its seed and the sampler its order on the CPU: torch's words at
        # the first batch ("Expected a 'cpu' device type for generator")
        raise UsageError(
            f"generator must be a CPU generator for load_array, got one on {generator.device}: "
            "torch's DataLoader draws its shuffle on the CPU; pass torch.Generator() (the "
            "tensors may stay on the GPU)"
        )
    dataset = TensorDataset(*data_arrays)
    return DataLoader(dataset, batch_size, shuffle=is_train, generator=generator)
