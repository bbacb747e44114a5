"""The settings every process of a data-parallel run must share, the ``data`` file by content."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from linearnets import _fs
from linearnets.config import SoftmaxConfig
from linearnets.errors import UsageError

__all__ = ["shared_settings"]


# each process of a data-parallel run may have its own: where rank 0 writes (the others write
# nothing), where Fashion-MNIST lies on its machine (its files are checked by MD5), its device
# (cuda:N by hand), its thread count and plots (rank 0 draws)
_PER_PROCESS = ("out", "data_dir", "device", "num_threads", "plot")


def shared_settings(
    config: SoftmaxConfig, *, names: Collection[str] | None = None
) -> dict[str, Any]:
    """Return the settings of ``config`` every process of a data-parallel run must share.

    All but ``out``, ``data_dir``, ``device``, ``num_threads`` and ``plot``; the ``data`` file by
    its content (its SHA-256), since each machine may keep it at another path.

    Args:
        config: this process's settings.
        names: only these (a resume's overrides); ``None``: all.
    """
    values = config.to_dict()
    shared = {
        name: value
        for name, value in values.items()
        if name not in _PER_PROCESS and (names is None or name in names)
    }
    if "data" in shared and config.data is not None:
        shared["data"] = _DataFile.read(config.data_as_given() or config.data)
    return shared


@dataclass(frozen=True, repr=False)
class _DataFile:
    """A ``data`` file as processes compare it: by content; the path only shown."""

    sha256: str | None  # None: unreadable on that process
    path: str = field(compare=False)
    problem: str = field(default="", compare=False)

    @classmethod
    def read(cls, path: Path) -> _DataFile:
        """Raises UsageError: ``path`` is missing or unreadable here, as a single process says it
        (the settings' agreement stops every process with it: "rank 1 stopped: ..."); the fix is
        on this process's machine, where "start every process with the same options" misled."""
        try:
            return cls(_fs.sha256_file(path), str(path))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise UsageError(
                f"data={str(path)!r} does not exist or is not a file; pass an existing .npz file"
            ) from None
        except PermissionError as exc:
            raise UsageError(
                f"data={str(path)!r} cannot be read ({exc.strerror}); check the file's permissions"
            ) from None
        except OSError as exc:  # on that process only, perhaps: named, not raised alone
            # "input/output error there"; an OSError without an errno by its class, as Python names it
            return cls(
                None, str(path), exc.strerror.lower() if exc.strerror else type(exc).__name__
            )

    def __repr__(self) -> str:
        if self.sha256 is None:
            return f"{self.path!r} ({self.problem} there)"
        return f"{self.path!r} (SHA-256 {self.sha256[:12]}…)"
