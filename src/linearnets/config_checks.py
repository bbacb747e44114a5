"""The limits and checks of run settings that the configs share (:mod:`linearnets.config`).

Each check returns the plain value (a NumPy or one-element tensor number taken as a Python one) or raises a
:class:`~linearnets.errors.UsageError` naming the setting, the rule, the value and a fix.
"""

from __future__ import annotations

import numbers
import struct
import sys
from collections.abc import Mapping, Set
from typing import Any

from linearnets._env import env_int
from linearnets._text import gib_past, respelled
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import describe, is_finite_number, scalar_value

__all__ = [
    "LR_FLOOR_REASON",
    "MAX_BATCH_BYTES",
    "MAX_DATA_BYTES",
    "MAX_EXAMPLES",
    "MAX_LR",
    "MAX_NOISE_STD",
    "MAX_RESIZE",
    "MAX_SEED",
    "MAX_SIZE",
    "MAX_THREADS",
    "MIN_LR",
    "BatchBytesError",
    "check_batch_bytes",
    "check_bias",
    "check_data_size",
    "check_device_index",
    "check_device_name",
    "check_lr_range",
    "check_seed",
    "check_weights",
    "fewest_processes",
    "largest_batch",
    "lr_problem",
    "plain_number",
    "share_of",
    "world_size_here",
]

# Upper limits, so that a huge value is refused here with its name rather than overflowing deep
# inside torch: a seed torch's generators keep whole (they use its low 32 bits only, so 2**32 would
# repeat seed 0) with room for the data stream's offset, a thread count far past any machine, sizes a
# 64-bit index holds, and noise whose squared errors stay finite in float32.
MAX_SEED = 2**31 - 1
MAX_THREADS = 1024
MAX_SIZE = 2**62
MAX_EXAMPLES = 10**8  # 10⁸ examples of a few features is already gigabytes of float32
MAX_NOISE_STD = 1e15
# float32's largest value and smallest normal one, exactly (NumPy's finfo, without importing NumPy
# at the command's start): the parameters and their updates are float32 (lr_problem)
MAX_LR = (2 - 2**-23) * 2.0**127
MIN_LR = 2.0**-126
# why an lr below MIN_LR is refused (a larger one may still train nothing, 1e-30 say: it is let be)
LR_FLOOR_REASON = (
    "float32's smallest normal number: the parameters and their updates are float32, and below it "
    "lr itself is no normal float32 number a step can use"
)
# one batch of float32 images (batch_size × resize²) at most 2 GiB in one process's hands (its
# share of each global batch in a data-parallel run)
MAX_BATCH_BYTES = 2**31
# synthetic features X (num_examples × d values) at most 2 GiB, as a batch of images and a softmax
# model's weights (validation.MAX_WEIGHT_BYTES): 10⁸ examples of up to 5 float32 features
MAX_DATA_BYTES = 2**31
MAX_RESIZE = 4096  # a 4096² float32 image is 64 MiB; a batch of them is already too much


def lr_problem(lr: float) -> str | None:
    """Return what the rule is where the number ``lr`` > 0 lies outside float32's normal numbers,
    as a step uses it: below :data:`MIN_LR` once float32 rounds it, or past :data:`MAX_LR` as
    given (torch refuses to take such a double as a float32 step size: "value cannot be converted
    to type float without overflow"); ``None`` where it lies inside. The floor is said rounded
    ("about"), the largest exactly."""
    if lr > MAX_LR:
        # the range as refused: from the floor below, not 0 (1e-39 is refused there)
        return (
            f"must be a number from about {MIN_LR:.3g} (float32's smallest normal number) to "
            f"{MAX_LR!r} (its largest)"
        )
    if struct.unpack("<f", struct.pack("<f", lr))[0] < MIN_LR:
        return f"must be at least about {MIN_LR:.3g} ({LR_FLOOR_REASON})"
    return None


def check_lr_range(lr: float, example: str) -> None:
    """Refuse an ``lr`` > 0 that float32 rounds below its smallest normal number or past its largest
    (:func:`lr_problem`); ``example`` is the fix's value."""
    problem = lr_problem(lr)
    if problem:
        raise UsageError(f"lr {problem}, got {float(lr)!r}; pass e.g. lr={example}")


class BatchBytesError(UsageError):
    """:func:`check_batch_bytes`'s refusal; its ``batch_size``, ``resize`` and ``world_size`` are
    the values it judged, for a caller whose fixes differ (a resume cannot change its resize)."""

    batch_size: int
    resize: int
    world_size: int


def share_of(batch_size: int, world_size: int) -> int:
    """Return the most rows one of ``world_size`` processes holds of a batch of ``batch_size``:
    rank 0's ⌈batch_size / world_size⌉ (rank r takes rows r, r + world_size, ...)."""
    return -(-batch_size // world_size)


def largest_batch(resize: int, world_size: int) -> int:
    """Return the largest batch of ``resize`` × ``resize`` float32 images whose shares in
    ``world_size`` processes each fit in :data:`MAX_BATCH_BYTES` (⌈B / W⌉ images the most)."""
    return MAX_BATCH_BYTES // (resize**2 * 4) * world_size


def fewest_processes(batch_size: int, resize: int) -> int:
    """Return the fewest processes among which each share of a batch of ``batch_size`` float32
    images of ``resize`` × ``resize`` pixels fits in :data:`MAX_BATCH_BYTES`."""
    return -(-batch_size // (MAX_BATCH_BYTES // (resize**2 * 4)))


def check_batch_bytes(batch_size: int, resize: int, *, world_size: int | None = None) -> None:
    """Refuse batches of ``batch_size`` float32 images of ``resize`` × ``resize`` pixels whose
    share in one process's hands would pass :data:`MAX_BATCH_BYTES`.

    In a data-parallel run of ``world_size`` processes rank r holds rows r, r + world_size, ...
    of each global batch (:class:`~linearnets.data.loader.ArrayLoader`), so the largest share is
    rank 0's, ⌈batch_size / world_size⌉ images; in one process, the whole batch. ``None``: the
    processes this one trains with, as a run learns them (:func:`world_size_here`), read only
    where one process could not hold the batch (a malformed ``WORLD_SIZE`` is no matter to one
    that can).
    """
    if batch_size * resize**2 * 4 <= MAX_BATCH_BYTES:
        return
    if world_size is None:
        world_size = world_size_here()
    share = share_of(batch_size, world_size)
    size = share * resize**2 * 4
    if size <= MAX_BATCH_BYTES:
        return
    held = gib_past(size, MAX_BATCH_BYTES)
    if world_size == 1:
        exc = BatchBytesError(
            f"batch_size × resize² float32 values must fit in 2 GiB per batch, got "
            f"{batch_size} × {resize}² ({held}); lower resize or batch_size"
        )
    else:
        exc = BatchBytesError(
            f"batch_size × resize² float32 values must fit in 2 GiB per process's share of a "
            f"batch, got batch_size={batch_size} over {world_size} processes, up to {share} each: "
            f"{share} × {resize}² ({held}); lower resize or batch_size, or start more processes "
            "(torchrun --nproc_per_node)"
        )
    # attributes, not arguments: the error pickles as any exception does (a process pool's)
    exc.batch_size, exc.resize, exc.world_size = batch_size, resize, world_size
    raise exc


def world_size_here() -> int:
    """Return how many processes this one trains with, as a run learns it: the size of a process
    group it has joined (one its caller joined, e.g. with ``mp.spawn``), else torchrun's
    ``WORLD_SIZE``, else 1.

    torch is not loaded for it: a group is looked for only where ``torch.distributed`` already
    is, so a command's settings are still checked before torch loads.
    """
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_world_size())
    return env_int("WORLD_SIZE", 1)


def check_data_size(
    num_examples: int,
    num_weights: int,
    *,
    weights: str,
    dtype: str = "float32",
    itemsize: int = 4,
    fewest: int = 1,
) -> None:
    """Refuse synthetic features X, ``num_examples`` × ``num_weights`` values of ``itemsize`` bytes,
    past :data:`MAX_DATA_BYTES`; ``weights`` names the weights' setting (``w``, ``true_w``) and
    ``fewest`` is the fewest examples the caller takes.

    Checked before anything is drawn: torch's allocator would fail with a bare byte count.
    """
    nbytes = num_examples * num_weights * itemsize
    if nbytes <= MAX_DATA_BYTES:
        return
    most = MAX_DATA_BYTES // (num_weights * itemsize)
    fix = (
        f"pass num_examples={most} or fewer, or fewer weights"
        if most >= fewest
        else f"pass fewer weights (at most {MAX_DATA_BYTES // (fewest * itemsize)})"
    )
    raise UsageError(
        f"num_examples × the {num_weights} weights of {weights} must give features X of at most "
        f"{MAX_DATA_BYTES // 2**30} GiB of {dtype}, got {num_examples} × {num_weights} × "
        f"{itemsize} bytes ({gib_past(nbytes, MAX_DATA_BYTES)}); {fix}"
    )


def check_seed(seed: Any) -> int:
    """Return ``seed`` as a plain ``int`` in [0, 2**31 - 1] (a NumPy integer, a 0-d integer
    tensor or array too, as sizes take them), or raise naming it."""
    seed = scalar_value(seed, integral=True)
    said = (
        f"seed must be a non-negative integer (at most 2**31 - 1), got {seed!r:.40}; pass e.g. "
        "seed=0"
    )
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise UsageTypeError(said)  # of another type, as epochs=True and lr=True are refused
    if not 0 <= int(seed) <= MAX_SEED:
        raise UsageError(said)
    return int(seed)


def plain_number(value: Any) -> Any:
    """Return a one-element tensor's or array's number (``torch.tensor(4.2)`` gives 4.2), so that
    the book's tensors are taken; anything else as given, for the checks to judge."""
    if isinstance(value, numbers.Number) or not hasattr(value, "item"):
        return value
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    return value.item() if size == 1 else value


def check_weights(true_w: Any) -> tuple[float, ...]:
    """Return ``true_w`` (d,) or a column (d, 1) as a tuple of d finite floats, or raise naming it."""
    given = (
        true_w  # as the caller wrote it: an empty list was said as "got ()", a tuple never given
    )
    if hasattr(true_w, "ndim") and hasattr(true_w, "tolist"):  # a tensor or an array
        shape = tuple(true_w.shape)
        if len(shape) == 2 and shape[1] == 1:  # a column (d, 1), as synthetic_data takes
            true_w = true_w.reshape(-1)
        if true_w.ndim != 1:
            raise UsageError(
                f"true_w must be 1-d (d,) or a column (d, 1), got shape {shape}; pass e.g. "
                "(2.0, -3.4) or torch.tensor([2, -3.4])"
            )
        true_w = true_w.tolist()  # plain Python numbers (bools and complex stay, to be refused)
    if isinstance(true_w, Set | Mapping):  # iterated, a set's order is its hashes', a dict's keys
        what = "its keys would be the weights" if isinstance(true_w, Mapping) else "it has no order"
        raise UsageTypeError(
            f"true_w must be a sequence of numbers, in order, got a {type(true_w).__name__} "
            f"{true_w!r:.40} ({what}); pass e.g. (2.0, -3.4)"
        )
    if isinstance(true_w, str | bytes) or not hasattr(true_w, "__iter__"):
        raise UsageTypeError(
            f"true_w must be a sequence of numbers, got {true_w!r:.40}; pass e.g. (2.0, -3.4)"
        )
    weights = []
    for value in map(plain_number, _column_entries(true_w)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UsageTypeError(
                f"true_w must hold numbers, got {value!r:.40} in it; pass e.g. (2.0, -3.4)"
            )
        if not is_finite_number(value):
            raise UsageError(
                f"true_w must hold finite numbers, got {describe(value)}; pass e.g. (2.0, -3.4)"
            )
        weights.append(float(value))
    if not weights:
        # an iterator by its kind: its repr is an address
        shown = (
            describe(given)
            if isinstance(given, list | tuple) or hasattr(given, "shape")
            else f"an empty {type(given).__name__}"
        )
        raise UsageError(
            f"true_w must hold at least one weight, got {shown}; pass e.g. (2.0, -3.4)"
        )
    return tuple(weights)


def _column_entries(true_w: Any) -> list[Any]:
    """Return the entries of ``true_w``, a column of one-number rows ``[[2.0], [-3.4]]`` (d, 1) as
    its d weights, as synthetic_data and a (d, 1) tensor take it; refuse any other nesting."""
    entries = list(true_w)
    rows = [isinstance(value, list | tuple) for value in entries]
    if not any(rows):
        return entries
    if all(rows) and all(len(row) == 1 and not isinstance(row[0], list | tuple) for row in entries):
        return [row[0] for row in entries]  # (d, 1) -> (d,)
    raise UsageError(
        f"true_w must be 1-d (d,) or a column (d, 1), got nested lists {describe(entries)}; pass "
        "e.g. (2.0, -3.4) or [[2.0], [-3.4]]"
    )


def check_bias(true_b: Any) -> float:
    """Return the true bias as a plain float if it is a finite real number, else raise."""
    true_b = plain_number(true_b)
    if isinstance(true_b, bool) or not isinstance(true_b, numbers.Real):
        raise UsageTypeError(f"true_b must be a number, got {true_b!r:.40}; pass e.g. 4.2")
    if not is_finite_number(true_b):
        raise UsageError(f"true_b must be a finite number, got {describe(true_b)}; pass e.g. 4.2")
    return float(true_b)


def check_device_name(value: object) -> str:
    """Return ``value`` as a device name ("auto", "cpu", "cuda", "cuda:N" or "mps"), or raise.

    A ``torch.device`` is taken by its name; ``cpu:N`` and ``mps:N`` past 0 are refused
    (:func:`check_device_index`),
    and a name refused but for its blanks or capitals is told its spelling. Only the name is checked
    here (a config may be built on
    another machine than the one that trains); :func:`linearnets.device.resolve_device` checks that it
    is available.
    """
    loaded = sys.modules.get("torch")  # none of its devices exists before it is loaded
    if loaded is not None and isinstance(value, loaded.device):
        check_device_index(str(value))
        return str(value)
    if not _device_name(value):
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {value!r:.40}; "
            f"{device_name_fix(value)}"
        )
    check_device_index(str(value))
    return str(value)


def check_device_index(name: str) -> None:
    """Refuse ``name``, a device name torch reads, where it is ``cpu:N`` or ``mps:N`` with N past 0.

    torch has one CPU device: it takes ``cpu:1`` and trains on the same CPU as ``cpu``, so the
    index (a core, a second CPU?) chose nothing. It has one MPS device too, and ``mps:1`` fails
    only once a tensor is put there. ``cpu:0`` and ``mps:0`` are torch's own full names, kept.
    """
    if not _past_the_only_one(name):
        return
    if name.startswith("cpu"):
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {name!r}: the CPU has no "
            "index past 0 (torch has one CPU device and ignores it, training on the same cores); "
            "pass device='cpu' (num_threads=N sets how many cores it uses)"
        )
    raise UsageError(
        f"device must be one of auto, cpu, cuda, cuda:N, mps, got {name!r}: Apple's MPS has no "
        "index past 0 (torch has one MPS device, the Mac's GPU); pass device='mps'"
    )


def _past_the_only_one(name: str) -> bool:
    """Return whether ``name``, a device name torch reads, is ``cpu:N`` or ``mps:N`` with N past 0."""
    kind, _, index = name.partition(":")
    return kind in ("cpu", "mps") and index not in ("", "0")


def _device_name(value: object) -> bool:
    """Return whether ``value`` is a device name: "auto", or a kind torch knows, with an index."""
    if not isinstance(value, str):
        return False
    if value == "auto":
        return True
    # torch names a device by its kind before any ":N": a name of another kind is refused,
    # and a kind alone taken, without loading torch; only its parser reads an index
    kind = value.partition(":")[0]
    if kind in ("cpu", "cuda", "mps") and ":" in value:
        import torch

        try:
            kind = torch.device(value).type
        except RuntimeError:  # "cuda:x", "cuda:-1"
            kind = ""
    return kind in ("cpu", "cuda", "mps")


def device_name_fix(value: object) -> str:
    """Return the fix for ``value``, a device name refused: the name it is but for the blanks around
    it or its upper case (``'cpu '`` from a script's variable, ``'CPU'``), else
    ``pass e.g. device='auto'``."""
    # 'cpu:1 ' is no name to respell: cpu:1 is refused too (and mps:1)
    respelling = respelled(value, lambda name: _device_name(name) and not _past_the_only_one(name))
    if respelling is None:
        return "pass e.g. device='auto'"
    return f"{respelling[0]}: pass device={respelling[1]!r}"
