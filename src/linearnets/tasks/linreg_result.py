"""What a linear-regression run learned, beside the truth and the closed form (D2L §3.2.7, §3.3.7)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from linearnets._paths import absolute_path
from linearnets.config import LinregConfig
from linearnets.training.loop import History

__all__ = ["LinregResult"]


@dataclass(frozen=True)
class LinregResult:
    """What a linear-regression run learned, next to the truth and the closed form.

    Attributes:
        impl, epochs: the config's.
        w, b: the learned weights (d values) and bias.
        true_w, true_b: those the synthetic data were drawn with (``None`` for a ``data`` file,
            whose truth is unknown).
        closed_w, closed_b: the least-squares solution (:func:`~linearnets.closed_form`).
        loss: the last epoch's training loss over the whole data set.
        history: every epoch's metrics, as :func:`~linearnets.fit` returns them.
        config: the run's effective settings.
        run_dir: the run folder (``None`` without ``config.out``).
        data_source: the ``data`` file, its examples and features, e.g.
            ``/abs/d.csv (200 examples, 3 features)``; ``"synthetic"`` for the book's data.

    See D2L §3.2.7 and §3.3.7.
    """

    impl: str
    epochs: int
    w: list[float]
    b: float
    true_w: list[float] | None  # None: the user's --data, whose truth is unknown
    true_b: float | None
    closed_w: list[float]
    closed_b: float
    loss: float
    history: History
    config: LinregConfig | None = field(default=None, repr=False)
    run_dir: Path | None = None
    data_source: str = "synthetic"

    def in_folder(self, run_dir: Path) -> LinregResult:
        """Return the result of the run kept in ``run_dir``."""
        return replace(self, run_dir=run_dir)

    @property
    def w_error(self) -> list[float] | None:
        """``true_w − w`` per weight (``None`` without a known truth)."""
        if self.true_w is None:
            return None
        return [t - v for t, v in zip(self.true_w, self.w, strict=True)]

    @property
    def b_error(self) -> float | None:
        """``true_b − b`` (``None`` without a known truth)."""
        return None if self.true_b is None else self.true_b - self.b

    @property
    def w_error_closed(self) -> list[float]:
        """``closed_w − w`` per weight."""
        return [t - v for t, v in zip(self.closed_w, self.w, strict=True)]

    @property
    def b_error_closed(self) -> float:
        """``closed_b − b``."""
        return self.closed_b - self.b

    def summary(self) -> dict[str, Any]:
        """Return the result as a JSON-ready dict: what ``--json`` prints and ``results.json``
        holds, alike (the effective ``config`` in it: a run kept no folder records it nowhere else).
        The run folder, ``run_dir`` and the config's ``out``, and its ``data`` file are absolute
        (:func:`~linearnets._paths.absolute_path`): the file is read from anywhere. Its
        ``data_source`` names the data, as ``linearnets softmax``'s does."""
        config = self.config.to_dict() if self.config is not None else None
        for key in ("out", "data"):
            if config is not None and config[key] is not None:
                config[key] = str(absolute_path(config[key]))
        return {
            "impl": self.impl,
            "epochs": self.epochs,
            "w": self.w,
            "b": self.b,
            "true_w": self.true_w,  # the synthetic data's (None for a data file)
            "true_b": self.true_b,
            "w_error": self.w_error,
            "b_error": self.b_error,
            "closed_form_w": self.closed_w,
            "closed_form_b": self.closed_b,
            "w_error_closed_form": self.w_error_closed,
            "b_error_closed_form": self.b_error_closed,
            "loss": self.loss,
            "history": [m.as_dict() for m in self.history.epochs],
            "data_source": self.data_source,
            **({"config": config} if config is not None else {}),
            **({"run_dir": str(absolute_path(self.run_dir))} if self.run_dir is not None else {}),
        }
