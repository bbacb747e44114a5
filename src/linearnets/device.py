"""Pick the device a run uses: ``auto`` means CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch

from linearnets.errors import UsageError

__all__ = ["check_device_name", "resolve_device"]


def resolve_device(
    device: str | torch.device | None = "auto", *, local_rank: int = 0
) -> torch.device:
    """Return the ``torch.device`` for ``device``: "auto", "cpu", "cuda", "cuda:N" or "mps".

    Under ``torchrun`` a bare "cuda" (or "auto" on a CUDA machine) means this process's own GPU,
    ``cuda:LOCAL_RANK``.

    Raises:
        UsageError: the name is unknown or the device is not available on this machine.
    """
    if device is None or device == "auto":
        return _auto(local_rank)
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {device!r}; pass e.g. device='auto'"
        ) from None
    if resolved.type == "cuda":
        return _cuda(device, resolved, local_rank)
    if resolved.type == "mps":
        return _mps(device, resolved)
    if resolved.type != "cpu":
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {device!r}; pass e.g. "
            "device='auto'"
        )
    return resolved


def check_device_name(value: object) -> str:
    """Return ``value`` as a device name ("auto", "cpu", "cuda", "cuda:N" or "mps"), or raise.

    A ``torch.device`` is taken by its name. Only the name is checked here (a config may be built on
    another machine than the one that trains); :func:`resolve_device` checks that it is available.
    """
    if isinstance(value, torch.device):
        return str(value)
    if isinstance(value, str) and value == "auto":
        return "auto"
    try:
        if not isinstance(value, str):
            raise TypeError
        kind = torch.device(value).type
    except (RuntimeError, TypeError):
        kind = ""
    if kind not in ("cpu", "cuda", "mps"):
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {value!r:.40}; pass e.g. "
            "device='auto'"
        )
    return str(value)


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and bool(mps.is_available())


def _auto(local_rank: int) -> torch.device:
    """Return this process's GPU if there is one, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _cuda(device: str | torch.device, resolved: torch.device, local_rank: int) -> torch.device:
    """Return ``cuda:N`` for a CUDA ``device`` (``cuda:LOCAL_RANK`` for a bare "cuda"), if it exists."""
    if not torch.cuda.is_available():
        raise UsageError(
            f"device {device!r} needs CUDA, but no CUDA GPU is available here "
            f"(torch {torch.__version__}); pass e.g. device='auto' (CUDA when there is one, else the "
            "CPU)"
        )
    index = resolved.index if resolved.index is not None else local_rank
    if index >= torch.cuda.device_count():
        raise UsageError(
            f"device {device!r} names GPU {index}, but this machine has "
            f"{torch.cuda.device_count()}; pass cuda:0 … cuda:{torch.cuda.device_count() - 1}"
        )
    return torch.device("cuda", index)


def _mps(device: str | torch.device, resolved: torch.device) -> torch.device:
    """Return the MPS ``device`` if Apple's MPS is available."""
    if not _mps_available():
        raise UsageError(
            f"device {device!r} needs Apple's MPS, not available here; pass e.g. device='auto'"
        )
    return resolved
