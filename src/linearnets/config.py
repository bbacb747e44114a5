"""Run settings as frozen dataclasses, validated once when built (the CLI and the API share them)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from linearnets.errors import UsageError
from linearnets.validation import (
    check_choice,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)

__all__ = ["IMPLS", "PLOT_MODES", "LinregConfig", "SoftmaxConfig"]

IMPLS = ("scratch", "analytic", "concise")
SOFTMAX_IMPLS = ("scratch", "concise", "analytic")
PLOT_MODES = ("auto", "file", "none")


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed must be a non-negative integer, got {seed!r}; pass e.g. seed=0")
    return seed


@dataclass(frozen=True)
class LinregConfig:
    """Settings of a linear-regression run; the defaults are the book's (D2L §3.2–3.3)."""

    impl: str = "scratch"
    epochs: int = 3
    lr: float = 0.03
    batch_size: int = 10
    num_examples: int = 1000
    noise_std: float = 0.01
    true_w: tuple[float, ...] = (2.0, -3.4)
    true_b: float = 4.2
    seed: int = 0
    num_threads: int = 1
    data: Path | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        check_choice("impl", self.impl, IMPLS)
        check_positive_int("epochs", self.epochs)
        check_positive_float("lr", self.lr, fix="pass e.g. lr=0.03")
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("num_examples", self.num_examples)
        check_non_negative_float("noise_std", self.noise_std)
        check_positive_int("num_threads", self.num_threads)
        _check_seed(self.seed)
        if not self.true_w:
            raise UsageError("true_w must hold at least one weight, got (); pass e.g. (2.0, -3.4)")
        object.__setattr__(self, "true_w", tuple(float(v) for v in self.true_w))

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values."""
        d = asdict(self)
        d["data"] = str(self.data) if self.data is not None else None
        d["true_w"] = list(self.true_w)
        return d


@dataclass(frozen=True)
class SoftmaxConfig:
    """Settings of a softmax-regression run; the defaults are the book's (D2L §3.6–3.7)."""

    impl: str = "concise"
    epochs: int = 10
    lr: float = 0.1
    batch_size: int = 256
    seed: int = 0
    num_threads: int = 1
    data_dir: Path | None = None
    data: Path | None = None
    out: Path | None = None
    plot: str = "auto"
    resize: int | None = None
    device: str = "auto"

    def __post_init__(self) -> None:
        check_choice("impl", self.impl, SOFTMAX_IMPLS)
        check_positive_int("epochs", self.epochs)
        check_positive_float("lr", self.lr, fix="pass e.g. lr=0.1")
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("num_threads", self.num_threads)
        check_choice("plot", self.plot, PLOT_MODES)
        _check_seed(self.seed)
        if self.resize is not None:
            check_positive_int("resize", self.resize)

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values."""
        d = asdict(self)
        for key in ("data_dir", "data", "out"):
            d[key] = str(d[key]) if d[key] is not None else None
        return d
