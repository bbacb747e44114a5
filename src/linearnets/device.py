"""Pick the device a run uses: ``auto`` means CUDA, then Apple's MPS, then the CPU."""

from __future__ import annotations

import torch
from torch.torch_version import TorchVersion

from linearnets._env import env_int
from linearnets._text import counted
from linearnets.config_checks import check_device_index, device_name_fix
from linearnets.config_checks import check_device_name as check_device_name
from linearnets.errors import UsageError

__all__ = ["antialias_resize_runs_on", "check_device_name", "resolve_device"]


def resolve_device(
    device: str | torch.device | None = "auto",
    *,
    local_rank: int = 0,
    local_world_size: int | None = None,
) -> torch.device:
    """Return the ``torch.device`` for ``device``: "auto", "cpu", "cuda", "cuda:N" or "mps".

    Under ``torchrun`` a bare "cuda" (or "auto" on a CUDA machine) means this process's own GPU,
    ``cuda:LOCAL_RANK``; more processes on this machine than it has GPUs are refused for any CUDA
    device (NCCL refuses two processes on one GPU).

    Args:
        device: the device's name, or a ``torch.device``.
        local_rank: this process's index on its machine (torchrun's ``LOCAL_RANK``).
        local_world_size: the processes on this machine; ``None``: torchrun's
            ``LOCAL_WORLD_SIZE``, else ``local_rank + 1`` (at least that many run).

    Raises:
        UsageError: the name is unknown (or ``cpu:N`` or ``mps:N`` past 0: torch has one CPU
            device and one MPS device), the device is not available on this machine, or this
            machine runs more processes than it has GPUs.
    """
    processes = _local_processes(local_rank, local_world_size)
    if device is None or device == "auto":
        return _auto(device, local_rank, processes)
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {device!r}; "
            f"{device_name_fix(device)}"
        ) from None
    if resolved.type == "cuda":
        return _cuda(device, resolved, local_rank, processes)
    if resolved.type == "mps":
        check_device_index(str(resolved))  # mps:1: torch has one, refused as cpu:1 is
        return _mps(device, resolved)
    if resolved.type != "cpu":
        raise UsageError(
            f"device must be one of auto, cpu, cuda, cuda:N, mps, got {device!r}; pass e.g. "
            "device='auto'"
        )
    check_device_index(str(resolved))  # cpu:1: torch's one CPU all the same
    return resolved


def accumulation_dtype(device: torch.device) -> torch.dtype:
    """Return the dtype an epoch's sums are kept in on ``device``: float64, or float32 on Apple's MPS.

    MPS has no float64 (torch raises "Cannot convert a MPS Tensor to float64 dtype"), so there an
    epoch's losses are summed in float32 (about 7 significant digits); every other device sums in
    float64.
    """
    return torch.float32 if device.type == "mps" else torch.float64


def antialias_resize_runs_on(device: torch.device) -> bool:
    """Return whether this torch resizes images with antialiasing (bilinear) on ``device`` itself.

    Apple's MPS gained the kernel (``_upsample_bilinear2d_aa``) in torch 2.7; before, torch raises
    NotImplementedError there, so a resize is done on the CPU and the batch moved back. Every other
    device has it.
    """
    if device.type != "mps":
        return True
    return TorchVersion(torch.__version__) >= "2.7"  # compared as versions: 2.13 > 2.7


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return mps is not None and bool(mps.is_available())


def _local_processes(local_rank: int, local_world_size: int | None) -> tuple[int, str, str]:
    """Return how many processes run on this machine, who says so, and how to start fewer."""
    if local_world_size is None:  # read as the data-parallel setup reads it, told alike
        local_world_size = env_int("LOCAL_WORLD_SIZE", 0) or None
    if local_world_size is not None and local_world_size > local_rank:
        who = f"torchrun started {local_world_size} processes on this machine"
        return local_world_size, who, "torchrun"
    # started by hand (no LOCAL_WORLD_SIZE): local ranks 0 … local_rank run here at least
    count = local_rank + 1
    return count, f"LOCAL_RANK={local_rank} says {count} or more run on this machine", ""


def _check_one_gpu_each(device: object, processes: tuple[int, str, str]) -> None:
    """Refuse more processes on this machine than GPUs: two would share one, which NCCL refuses."""
    count, who, launcher = processes
    gpus = torch.cuda.device_count()
    if count <= gpus:
        return
    fewer = f"use --nproc_per_node={gpus}" if launcher else f"start at most {gpus} per machine"
    raise UsageError(
        f"device {str(device)!r} needs a GPU for each process, but {who}, which has "
        f"{counted(gpus, 'GPU')}; {fewer}, or pass e.g. device='cpu'"
    )


def _auto(device: object, local_rank: int, processes: tuple[int, str, str]) -> torch.device:
    """Return this process's GPU if there is one, else Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        _check_one_gpu_each("auto" if device is None else device, processes)
        return torch.device("cuda", local_rank)
    if _mps_available():
        return torch.device("mps")
    return torch.device("cpu")


def _cuda(
    device: str | torch.device,
    resolved: torch.device,
    local_rank: int,
    processes: tuple[int, str, str],
) -> torch.device:
    """Return ``cuda:N`` for a CUDA ``device`` (``cuda:LOCAL_RANK`` for a bare "cuda"), if it exists
    and this machine has a GPU for each of its processes."""
    if not torch.cuda.is_available():
        raise UsageError(
            f"device {device!r} needs CUDA, but no CUDA GPU is available here "
            f"(torch {torch.__version__}); pass e.g. device='auto' (CUDA when there is one, else the "
            "CPU)"
        )
    if resolved.index is None:  # this process's own GPU: "pass cuda:0" would put two on it
        _check_one_gpu_each(device, processes)
        return torch.device("cuda", local_rank)
    if resolved.index >= torch.cuda.device_count():
        raise UsageError(
            f"device {device!r} names GPU {resolved.index}, but this machine has "
            f"{torch.cuda.device_count()}; pass cuda:0 … cuda:{torch.cuda.device_count() - 1}"
        )
    _check_one_gpu_each(device, processes)
    return resolved


def _mps(device: str | torch.device, resolved: torch.device) -> torch.device:
    """Return the MPS ``device`` if Apple's MPS is available."""
    if not _mps_available():
        raise UsageError(
            f"device {device!r} needs Apple's MPS, not available here; pass e.g. device='auto'"
        )
    return resolved
