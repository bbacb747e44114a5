"""Run settings as frozen dataclasses, validated once when built (the CLI and the API share them)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, SupportsFloat, TypeVar

from linearnets._paths import absolute_path
from linearnets.config_checks import (
    MAX_RESIZE,
    MAX_SIZE,
    MAX_THREADS,
    check_batch_bytes,
    check_device_name,
    check_lr_range,
    check_seed,
)
from linearnets.config_synthetic import SYNTHETIC_SETTINGS, resolve_synthetic
from linearnets.config_values import (
    check_known_settings,
    is_device,
    named_keywords,
    path_setting,
    set_checked,
)
from linearnets.errors import UsageError, UsageTypeError
from linearnets.validation import (
    check_bool,
    check_choice,
    check_positive_float,
    check_positive_int,
)

__all__ = ["IMPLS", "PLOT_MODES", "RESULT_SETTINGS", "LinregConfig", "SoftmaxConfig"]

IMPLS = ("scratch", "analytic", "concise")
SOFTMAX_IMPLS = ("scratch", "concise", "analytic")
PLOT_MODES = ("auto", "file", "none")
# settings of a softmax run that change its result: a resumed run refuses new values unless forced
RESULT_SETTINGS = ("impl", "lr", "batch_size", "seed", "resize", "data")


if TYPE_CHECKING:
    import numpy as np
    import torch

    from linearnets.config_values import FloatArg, IntArg, PathArg


@dataclass(frozen=True)
class _Carried:
    """What a config keeps beside its settings, private, carried over by ``dataclasses.replace``
    (the one private field it passes, ``_carried``, hidden from the public signature and taken
    only as this type: ``LinregConfig(_data_given=...)`` names no field).

    Attributes:
        defaulted: the synthetic settings filled in with the book's values rather than given:
            ``replace(LinregConfig(), data=path)`` does not count them as given.
        data_given: ``data`` as the caller spelt it (``"d.csv"``), for the messages of reading
            it (a run and a resume make ``data`` absolute), kept while it names ``data``'s file.
    """

    defaulted: frozenset[str] = frozenset()
    data_given: Path | None = None


class _DataGiven:
    """The ``data`` file as the caller spelt it, for both configs: ``_carried.data_given`` (carried
    by dataclasses.replace while it names ``data``'s file, which a run and a resume make absolute)."""

    data: Path | None
    _carried: _Carried

    @property
    def _defaulted(self) -> frozenset[str]:
        return self._carried.defaulted

    @property
    def _data_given(self) -> Path | None:
        return self._carried.data_given

    def _check_carried(self) -> None:
        """Refuse a ``_carried`` that is no :class:`_Carried`: a private field, not a setting."""
        if not isinstance(self._carried, _Carried):
            raise UsageTypeError(
                f"{type(self).__name__} has no setting '_carried' (private, carried over by "
                "dataclasses.replace); leave it out"
            )

    def _carry(self, **changes: Any) -> None:
        """Set the private values ``changes`` (``defaulted``, ``data_given``) of :class:`_Carried`."""
        object.__setattr__(self, "_carried", replace(self._carried, **changes))

    def _with_data_given(self: _C, given: Path) -> _C:
        """Return the config with ``given`` as ``data``'s spelling, kept where it names ``data``'s
        file (a resume makes ``data`` absolute and names it as given)."""
        return replace(self, _carried=replace(self._carried, data_given=given))  # type: ignore[type-var]

    def _keep_data_given(self) -> None:
        """Keep ``data_given`` where it names ``data``'s file, made absolute (replace's, from
        :meth:`data_as_given`'s file); else ``data`` is as given."""
        given, data = self._data_given, self.data
        if (
            data is None
            or given is None
            or not data.is_absolute()
            or absolute_path(given) != absolute_path(data)
        ):
            given = data
        self._carry(data_given=given)

    def data_as_given(self) -> Path | None:
        """Return ``data`` as the caller spelt it (``d.npz``, as typed after ``--data``), to read
        it by that name, which its messages then show; ``data`` itself where that spelling names
        another file from here (the working folder changed since)."""
        given, data = self._data_given, self.data
        if given is None or data is None or absolute_path(given) != absolute_path(data):
            return data
        return given


_C = TypeVar("_C", bound=_DataGiven)


@named_keywords
@dataclass(frozen=True, kw_only=True)
class LinregConfig(_DataGiven):
    """Settings of a linear-regression run; the defaults are the book's (D2L §3.2–3.3).

    Settings are passed by name (``LinregConfig(impl="concise", epochs=5)``), each checked when the
    config is built. Each takes more than its field's type says it stores: a NumPy scalar, a
    one-element tensor for ``true_b``/``noise_std``, any sequence or tensor for ``true_w``, any
    path-like for ``data``, a ``torch.device``; the field holds the plain value
    (``LinregConfig(data="d.csv").data`` is ``Path("d.csv")``, ``true_w`` a tuple of floats).

    Args:
        impl: "scratch" (autograd), "analytic" (the scratch model, gradient written by hand) or
            "concise" (``nn.Linear``, ``nn.MSELoss``, ``torch.optim.SGD``).
        epochs: passes over the data.
        lr: learning rate.
        batch_size: B, examples per minibatch.
        num_examples: n, rows of synthetic data (``None``: the book's 1000).
        noise_std: standard deviation σ of the synthetic noise ε (``None``: the book's 0.01).
        true_w: the synthetic data's weights w, d values (``None``: the book's (2, -3.4)).
        true_b: the synthetic data's bias b (``None``: the book's 4.2).
        seed: seeds every generator of the run.
        num_threads: torch threads; results are bit-identical at a fixed count.
        data: a ``.npz`` (arrays ``X`` (n, d), ``y`` (n,) or (n, 1)) or ``.csv`` (``y`` its last
            column) file to train on instead of synthetic data; the four synthetic settings must
            then be left out.
        device: "cpu", the only one (linear regression trains on the CPU; torch's full name
            "cpu:0" is taken too, stored as "cpu").
        guard: stop a run whose loss blows up (:class:`~linearnets.errors.DivergenceError`).
        out: a new run folder to keep the config, metrics and a checkpoint after every epoch in,
            so an interrupted run can be resumed (``None``: no folder, as the book's run).
    """

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
    out: Path | None = None
    # the synthetic settings filled in, and data as spelt (_Carried): private, out of the public
    # signature (named_keywords), carried over by dataclasses.replace
    _carried: _Carried = field(default=_Carried(), repr=False, compare=False)

    if TYPE_CHECKING:
        # the dataclass's own __init__ at run time, with what each setting takes (tests/test_config.py
        # checks the two agree)
        def __init__(
            self,
            *,
            impl: str = "scratch",
            epochs: IntArg = 3,
            lr: FloatArg = 0.03,
            batch_size: IntArg = 10,
            num_examples: IntArg | None = None,
            noise_std: SupportsFloat | None = None,
            true_w: Iterable[SupportsFloat] | None = None,
            true_b: SupportsFloat | None = None,
            seed: IntArg = 0,
            num_threads: IntArg = 1,
            data: PathArg | None = None,
            device: str | torch.device = "cpu",
            guard: bool | np.bool_ = True,
            out: PathArg | None = None,
        ) -> None: ...

    def __post_init__(self) -> None:
        self._check_carried()
        set_checked(
            self,
            impl=check_choice("impl", self.impl, IMPLS),  # a NumPy string saved as a plain str
            epochs=check_positive_int("epochs", self.epochs, maximum=MAX_SIZE),
            lr=check_positive_float("lr", self.lr, fix="pass e.g. lr=0.03"),
            batch_size=check_positive_int("batch_size", self.batch_size, maximum=MAX_SIZE),
            num_threads=check_positive_int("num_threads", self.num_threads, maximum=MAX_THREADS),
            seed=check_seed(self.seed),
            data=path_setting("data", self.data),
            out=path_setting("out", self.out),
        )
        values = {name: getattr(self, name) for name in SYNTHETIC_SETTINGS}
        resolved = resolve_synthetic(values, data=self.data, defaulted=self._defaulted)
        self._carry(defaulted=resolved.pop("_defaulted"))
        set_checked(self, **resolved)
        check_lr_range(self.lr, "0.03")
        set_checked(self, guard=check_bool("guard", self.guard))
        # "cpu:0" is torch's full name of its one CPU (str(torch.device("cpu", 0)))
        if not (is_device(self.device) and str(self.device) in ("cpu", "cpu:0")):
            raise UsageError(
                f"device must be 'cpu' for linear regression, got {self.device!r:.40}: it trains "
                "on the CPU (the book's thousand examples take milliseconds there; a GPU would add "
                "only transfers); pass device='cpu' or leave it out"
            )
        set_checked(self, device="cpu")  # a plain str, also for torch.device("cpu")
        self._keep_data_given()

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
        del d["_carried"]
        d["data"] = str(self.data) if self.data is not None else None
        d["out"] = str(self.out) if self.out is not None else None
        d["true_w"] = list(self.true_w) if self.true_w is not None else None
        return d


@named_keywords
@dataclass(frozen=True, kw_only=True)
class SoftmaxConfig(_DataGiven):
    """Settings of a softmax-regression run; the defaults are the book's (D2L §3.6–3.7).

    Settings are passed by name (``SoftmaxConfig(epochs=3, out="runs/a")``), each checked when the
    config is built. Each takes more than its field's type says it stores: a NumPy scalar, any
    path-like for ``data_dir``/``data``/``out``, a ``torch.device``; the field holds the plain
    value (``SoftmaxConfig(out="runs/a").out`` is ``Path("runs/a")``, ``device`` the device's name).

    Args:
        impl: "analytic" (the scratch model, gradient softmax(o) − onehot(y) written by hand),
            "scratch" (the same model, autograd) or "concise" (``nn.Linear``,
            ``nn.CrossEntropyLoss``, ``torch.optim.SGD``).
        epochs: passes over the training set.
        lr: learning rate.
        batch_size: B, images per minibatch (the global one in a data-parallel run).
        seed: seeds every generator of the run.
        num_threads: torch threads; results are bit-identical at a fixed count.
        data_dir: the folder holding the Fashion-MNIST files (``None``: the usual places).
        data: a ``.npz`` file (arrays ``X`` (n, d), or images (n, h, w[, c]) flattened to one
            row each, integer ``y`` (n,) or (n, 1), optionally ``X_test`` and ``y_test`` alike) to
            train on instead of Fashion-MNIST.
        out: the run folder to create (``None``: ``runs/softmax-IMPL-TIME``).
        plot: "auto" (a live figure in Jupyter, files elsewhere), "file" or "none".
        resize: resize the Fashion-MNIST images to (resize, resize) (``None``: their own 28 × 28;
            not with ``data``). A batch, batch_size × resize² float32 values, must fit in 2 GiB
            in one process; in a data-parallel run of W processes each holds ⌈batch_size / W⌉
            images of it.
        device: "auto" (the fastest here), "cpu", "cuda", "cuda:N" or "mps".
        guard: stop a run whose loss blows up (:class:`~linearnets.errors.DivergenceError`).
    """

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
    # data as the caller spelt it ("d.npz"), for the messages of reading it (data is absolute):
    # private, out of the public signature, carried by dataclasses.replace (data_as_given)
    _carried: _Carried = field(default=_Carried(), repr=False, compare=False)

    if TYPE_CHECKING:
        # the dataclass's own __init__ at run time, with what each setting takes (tests/test_config.py
        # checks the two agree)
        def __init__(
            self,
            *,
            impl: str = "analytic",
            epochs: IntArg = 10,
            lr: FloatArg = 0.1,
            batch_size: IntArg = 256,
            seed: IntArg = 0,
            num_threads: IntArg = 1,
            data_dir: PathArg | None = None,
            data: PathArg | None = None,
            out: PathArg | None = None,
            plot: str = "auto",
            resize: IntArg | None = None,
            device: str | torch.device = "auto",
            guard: bool | np.bool_ = True,
        ) -> None: ...

    def __post_init__(self) -> None:
        self._check_carried()
        set_checked(
            self,
            impl=check_choice("impl", self.impl, SOFTMAX_IMPLS),  # np.str_ stored as str
            plot=check_choice("plot", self.plot, PLOT_MODES),
            device=check_device_name(self.device),  # a torch.device stored by its name
            epochs=check_positive_int("epochs", self.epochs, maximum=MAX_SIZE),
            lr=check_positive_float("lr", self.lr, fix="pass e.g. lr=0.1"),
            batch_size=check_positive_int("batch_size", self.batch_size, maximum=MAX_SIZE),
            num_threads=check_positive_int("num_threads", self.num_threads, maximum=MAX_THREADS),
            seed=check_seed(self.seed),
        )
        check_lr_range(self.lr, "0.1")
        set_checked(self, guard=check_bool("guard", self.guard))
        if self.resize is not None:
            set_checked(self, resize=_checked_resize(self.resize))
            # per process: under torchrun each holds its share of every batch
            check_batch_bytes(self.batch_size, self.resize)
        for key in ("data_dir", "data", "out"):
            object.__setattr__(self, key, path_setting(key, getattr(self, key)))
        self._keep_data_given()
        # absolute, without "..": a resume from another folder finds the same, and config.json
        # records it as the file it names
        for key in ("data_dir", "data"):
            path = getattr(self, key)
            if path is not None:
                object.__setattr__(self, key, absolute_path(path))

    def to_dict(self) -> dict[str, Any]:
        """Return the settings as JSON-ready values."""
        d = asdict(self)
        del d["_carried"]
        for key in ("data_dir", "data", "out"):
            d[key] = str(d[key]) if d[key] is not None else None
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, check_batch: bool = True) -> SoftmaxConfig:
        """Rebuild a config from :meth:`to_dict`'s output (e.g. a checkpoint's), validating it again.

        With ``check_batch=False`` every setting is checked but the 2 GiB rule on one process's
        share of a batch: a saved run's settings, whose batch was checked for the processes it
        ran in, which this one may not be in. A config made from it for this process
        (``dataclasses.replace``) checks it again.
        """
        check_known_settings(cls, data)
        values = dict(data)
        for key in ("data_dir", "data", "out"):
            # another value, or "" (Path("") is this folder): the config's check names it
            if isinstance(values.get(key), str) and values[key]:
                values[key] = Path(values[key])
        resize = values.get("resize")
        if check_batch or resize is None:
            return cls(**values)
        config = cls(**{**values, "resize": None})  # every other setting checked
        set_checked(config, resize=_checked_resize(resize))
        return config


def _checked_resize(resize: Any) -> int:
    """Return ``resize`` as a plain ``int`` from 1 to :data:`MAX_RESIZE`, or raise naming it."""
    fix = (
        f"pass e.g. resize=64 (a side from 1 to {MAX_RESIZE}), or resize=None for the images' own "
        "size"
    )
    return check_positive_int("resize", resize, maximum=MAX_RESIZE, fix=fix)
