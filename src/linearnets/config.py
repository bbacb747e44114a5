"""Run settings as frozen dataclasses, validated once when built (the CLI and the API share them)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_bool,
    check_choice,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)

__all__ = ["IMPLS", "PLOT_MODES", "RESULT_SETTINGS", "LinregConfig", "SoftmaxConfig"]

IMPLS = ("scratch", "analytic", "concise")
SOFTMAX_IMPLS = ("scratch", "concise", "analytic")
PLOT_MODES = ("auto", "file", "none")
# settings of a softmax run that change its result: a resumed run refuses new values unless forced
RESULT_SETTINGS = ("impl", "lr", "batch_size", "seed", "resize", "data")


# Upper limits, so that a huge value is refused here with its name rather than overflowing deep
# inside torch: a seed torch's generators keep whole (they use its low 32 bits only, so 2**32 would
# repeat seed 0) with room for the data stream's offset, a thread count far past any machine, sizes a
# 64-bit index holds, and noise whose squared errors stay finite in float32.
MAX_SEED = 2**31 - 1
MAX_THREADS = 1024
MAX_SIZE = 2**62
MAX_EXAMPLES = 10**8  # 10⁸ examples of a few features is already gigabytes of float32
MAX_NOISE_STD = 1e15
MAX_LR = 3.4e38  # float32's largest value: the parameters and their updates are float32
MIN_LR = 1.2e-38  # float32's smallest normal value: below it lr × gradient underflows to nothing
MAX_BATCH_BYTES = 2**31  # one batch of float32 images (batch_size × resize²) at most 2 GiB
MAX_RESIZE = 4096  # a 4096² float32 image is 64 MiB; a batch of them is already too much


def _check_lr_floor(lr: float, example: str) -> None:
    if lr < MIN_LR:
        raise UsageError(
            f"lr must be at least {MIN_LR:g} (float32's smallest normal number; the updates would "
            f"underflow to nothing), got {lr:g}; pass e.g. lr={example}"
        )


def _check_seed(seed: Any) -> int:
    if (
        isinstance(seed, bool)
        or not isinstance(seed, numbers.Integral)
        or not 0 <= int(seed) <= MAX_SEED
    ):
        raise UsageError(
            f"seed must be a non-negative integer (at most 2**31 - 1), got {seed!r:.40}; pass e.g. "
            "seed=0"
        )
    return int(seed)


def _set(config: Any, **values: Any) -> None:
    """Store checked values on a frozen config: plain ``int``/``float`` even when a NumPy scalar
    (``np.float32(0.1)``, a value of ``np.arange``) was passed, so the config writes as JSON."""
    for name, value in values.items():
        object.__setattr__(config, name, value)


def _plain_number(value: Any) -> Any:
    """Return a one-element tensor's or array's number (``torch.tensor(4.2)`` gives 4.2), so that
    the book's tensors are taken; anything else as given, for the checks to judge."""
    if isinstance(value, numbers.Number) or not hasattr(value, "item"):
        return value
    size = value.numel() if hasattr(value, "numel") else getattr(value, "size", None)
    return value.item() if size == 1 else value


def _check_weights(true_w: Any) -> tuple[float, ...]:
    """Return ``true_w`` as a tuple of finite floats, or raise naming it."""
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
    if isinstance(true_w, str | bytes) or not hasattr(true_w, "__iter__"):
        raise UsageTypeError(
            f"true_w must be a sequence of numbers, got {true_w!r:.40}; pass e.g. (2.0, -3.4)"
        )
    weights = []
    for value in map(_plain_number, true_w):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise UsageTypeError(
                f"true_w must hold numbers, got {value!r:.40} in it; pass e.g. (2.0, -3.4)"
            )
        if not math.isfinite(float(value)):
            raise UsageError(f"true_w must hold finite numbers, got {value}; pass e.g. (2.0, -3.4)")
        weights.append(float(value))
    if not weights:
        raise UsageError("true_w must hold at least one weight, got (); pass e.g. (2.0, -3.4)")
    return tuple(weights)


def _check_path(name: str, value: Any) -> Path | None:
    if value is None:
        return value
    if isinstance(value, Path):
        return value.expanduser()
    if isinstance(value, str) and value:
        return Path(value).expanduser()  # "~/runs/a" as the shell would have expanded it
    raise UsageTypeError(
        f"{name} must be a path (str or pathlib.Path) or None, got {value!r}; pass e.g. {name}=Path('runs/a')"
    )


def _check_bias(true_b: Any) -> float:
    """Return the true bias as a plain float if it is a finite real number, else raise."""
    true_b = _plain_number(true_b)
    if isinstance(true_b, bool) or not isinstance(true_b, numbers.Real):
        raise UsageTypeError(f"true_b must be a number, got {true_b!r:.40}; pass e.g. 4.2")
    if not math.isfinite(float(true_b)):
        raise UsageError(f"true_b must be a finite number, got {true_b}; pass e.g. 4.2")
    return float(true_b)


# LinregConfig's settings of the synthetic data, meaningless (and refused) with a data file
SYNTHETIC_SETTINGS = ("num_examples", "noise_std", "true_w", "true_b")


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


@dataclass(frozen=True)
class LinregConfig:
    """Settings of a linear-regression run; the defaults are the book's (D2L §3.2–3.3)."""

    impl: str = "scratch"
    epochs: int = 3
    lr: float = 0.03
    batch_size: int = 10
    # the synthetic data's settings: None means the book's (1000, 0.01, (2, -3.4), 4.2), resolved
    # when built; with ``data`` they must be left out, and stay None (the file decides)
    num_examples: int | None = None
    noise_std: float | None = None
    true_w: tuple[float, ...] | None = None
    true_b: float | None = None
    seed: int = 0
    num_threads: int = 1
    data: Path | None = None
    device: str = "cpu"  # the only one: linear regression trains on the CPU
    guard: bool = True

    def __post_init__(self) -> None:
        check_choice("impl", self.impl, IMPLS)
        _set(
            self,
            epochs=check_positive_int("epochs", self.epochs, maximum=MAX_SIZE),
            lr=check_positive_float("lr", self.lr, fix="pass e.g. lr=0.03", maximum=MAX_LR),
            batch_size=check_positive_int("batch_size", self.batch_size, maximum=MAX_SIZE),
            num_threads=check_positive_int("num_threads", self.num_threads, maximum=MAX_THREADS),
            seed=_check_seed(self.seed),
            data=_check_path("data", self.data),
        )
        self._resolve_synthetic()
        _check_lr_floor(self.lr, "0.03")
        _set(self, guard=check_bool("guard", self.guard))
        if self.device != "cpu":
            raise UsageError(
                f"device must be 'cpu' for linear regression, got {self.device!r:.40}: it trains "
                "on the CPU (the book's thousand examples take milliseconds there; a GPU would add "
                "only transfers); pass device='cpu' or leave it out"
            )

    def _resolve_synthetic(self) -> None:
        """Check the synthetic data's settings and fill in the book's; with ``data``, refuse them."""
        if self.data is not None:
            given = [name for name in SYNTHETIC_SETTINGS if getattr(self, name) is not None]
            if given:
                # the file's rows and values decide: a setting given here would be ignored
                raise UsageError(
                    f"{' and '.join(given)} {'sets' if len(given) == 1 else 'set'} the synthetic "
                    f"data and cannot be given with data={str(self.data)!r:.60} (the file decides "
                    f"the examples); leave {' and '.join(given)} out, or pass data=None"
                )
            return
        true_w = _check_weights(_or(self.true_w, (2.0, -3.4)))
        # d weights and a bias: fewer than d + 1 examples leave the least-squares solution the run
        # is compared with not unique
        fewest = len(true_w) + 1
        num_examples = check_positive_int(
            "num_examples",
            _or(self.num_examples, 1000),
            fix=f"pass e.g. num_examples=1000 (from {fewest} to {MAX_EXAMPLES})",
        )
        if not fewest <= num_examples <= MAX_EXAMPLES:
            raise UsageError(
                f"num_examples must be an integer in [{fewest}, {MAX_EXAMPLES}] (at least one more "
                f"than the {fewest - 1} weights, for a unique least-squares solution), got "
                f"{num_examples}; pass e.g. num_examples=1000"
            )
        _set(
            self,
            num_examples=num_examples,
            noise_std=check_non_negative_float(
                "noise_std", _plain_number(_or(self.noise_std, 0.01)), maximum=MAX_NOISE_STD
            ),
            true_w=true_w,
            true_b=_check_bias(_or(self.true_b, 4.2)),
        )

    def synthetic(self) -> tuple[tuple[float, ...], float, int, float]:
        """Return the synthetic data's ``(true_w, true_b, num_examples, noise_std)``.

        Raises:
            UsageError: with ``data``, which has no synthetic settings.
        """
        if (
            self.true_w is None
            or self.true_b is None
            or self.num_examples is None
            or self.noise_std is None
        ):
            raise UsageError(
                f"a run on data={str(self.data)!r:.60} has no synthetic data settings; read the "
                "file instead"
            )
        return self.true_w, self.true_b, self.num_examples, self.noise_std

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values (the synthetic ones null with ``data``)."""
        d = asdict(self)
        d["data"] = str(self.data) if self.data is not None else None
        d["true_w"] = list(self.true_w) if self.true_w is not None else None
        return d


@dataclass(frozen=True)
class SoftmaxConfig:
    """Settings of a softmax-regression run; the defaults are the book's (D2L §3.6–3.7)."""

    impl: str = "analytic"  # the fastest path; "scratch" trains the same model with autograd
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
    guard: bool = True

    def __post_init__(self) -> None:
        check_choice("impl", self.impl, SOFTMAX_IMPLS)
        _set(
            self,
            epochs=check_positive_int("epochs", self.epochs, maximum=MAX_SIZE),
            lr=check_positive_float("lr", self.lr, fix="pass e.g. lr=0.1", maximum=MAX_LR),
            batch_size=check_positive_int("batch_size", self.batch_size, maximum=MAX_SIZE),
            num_threads=check_positive_int("num_threads", self.num_threads, maximum=MAX_THREADS),
            seed=_check_seed(self.seed),
        )
        _check_lr_floor(self.lr, "0.1")
        check_choice("plot", self.plot, PLOT_MODES)
        _set(self, guard=check_bool("guard", self.guard))
        if self.resize is not None:
            fix = f"pass a side from 1 to {MAX_RESIZE}, e.g. resize=64, or None for the images' own"
            _set(
                self, resize=check_positive_int("resize", self.resize, maximum=MAX_RESIZE, fix=fix)
            )
            size = self.batch_size * self.resize**2 * 4
            if size > MAX_BATCH_BYTES:
                raise UsageError(
                    f"batch_size × resize² float32 values must fit in 2 GiB per batch, got "
                    f"{self.batch_size} × {self.resize}² ({size / 2**30:.1f} GiB); lower --resize or "
                    "--batch-size"
                )
        for key in ("data_dir", "data", "out"):
            object.__setattr__(self, key, _check_path(key, getattr(self, key)))
        for key in ("data_dir", "data"):  # absolute: a resume from another folder finds the same
            path = getattr(self, key)
            if path is not None:
                object.__setattr__(self, key, path.absolute())

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values."""
        d = asdict(self)
        for key in ("data_dir", "data", "out"):
            d[key] = str(d[key]) if d[key] is not None else None
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SoftmaxConfig:
        """Rebuild a config from :meth:`to_dict`'s output (e.g. a checkpoint's), validating it again."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(
                f"config has settings this linearnets does not know: {', '.join(unknown)}; "
                "it was written by another version"
            )
        values = dict(data)
        for key in ("data_dir", "data", "out"):
            if values.get(key) is not None:
                values[key] = Path(values[key])
        return cls(**values)
