"""The rows a :class:`~linearnets.training.nan_targets.TargetsWatch` keeps of a group of
training steps (D2L §3.6): which examples' losses, targets, scores and features hold NaN or inf,
found with a few ops for the whole group and none per step where the steps' tensors share their
shapes past the batch (a loss function's and a loader's do).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

__all__ = ["Group", "Step", "all_finite", "group_rows", "not_finite_rows"]


class Group(NamedTuple):
    """A group of steps looked at together: per step, its examples, whether its loss is per
    example, whether its features were held, and their dimensions (0: not handed); over their
    rows, (ΣB,) each, whether the loss, the targets, the scores (``None``: not handed) and the
    features (``None``: none held; ``False`` on the rows of a step's not held) are not finite."""

    sizes: list[int]
    per_example: list[bool]
    loss_rows: torch.Tensor
    target_rows: torch.Tensor
    score_rows: torch.Tensor | None
    feature_rows: torch.Tensor | None
    features_held: list[bool]
    feature_dims: list[int]


# a step as the watch holds it: its targets y (B, q), losses l, scores y_hat (B, q) or None,
# features X where held (at most HELD_BYTES, as the guard holds them) and the dimensions of X
Step = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None, torch.Tensor | None, int]


def all_finite(losses: list[torch.Tensor]) -> torch.Tensor:
    """Return whether every value of the steps' ``losses`` is finite, as a 0-d bool tensor."""
    return torch.isfinite(_joined(losses)).all()


def _joined(values: list[torch.Tensor]) -> torch.Tensor:
    """Return the steps' ``values`` in one tensor, with no op per step where they share their
    shape past the batch (a loss function's and a loader's do): their ``cat`` along the batch, or
    the ``stack`` of 0-d ones; else every value flattened."""
    first = values[0]
    if all(v.ndim == first.ndim and v.shape[1:] == first.shape[1:] for v in values):
        return torch.stack(values) if first.ndim == 0 else torch.cat(values)
    return torch.cat([v.reshape(-1) for v in values])


def group_rows(held: list[Step]) -> Group:
    """Return the held steps' rows: whether each example's loss (a 0-d loss: its whole batch's),
    targets, scores and features are not finite; a few ops for the whole group, none per step,
    where the steps' tensors share their shapes past the batch."""
    sizes = [step[0].shape[0] for step in held]
    scores = [step[2] for step in held]
    features = [step[3] for step in held]
    return Group(
        sizes=sizes,
        per_example=[step[1].ndim > 0 for step in held],
        loss_rows=not_finite_rows([step[1] for step in held], sizes),
        target_rows=not_finite_rows([step[0] for step in held], sizes),
        score_rows=_optional_rows(scores, sizes),
        feature_rows=_optional_rows(features, sizes),
        features_held=[X is not None for X in features],
        feature_dims=[step[4] for step in held],
    )


def _optional_rows(values: list[torch.Tensor | None], sizes: list[int]) -> torch.Tensor | None:
    """Return :func:`not_finite_rows` of steps' ``values``, ``False`` on the rows of a step's
    not held; ``None`` where no step's is."""
    if all(v is None for v in values):
        return None
    if all(v is not None for v in values):
        return not_finite_rows([v for v in values if v is not None], sizes)
    device = next(v.device for v in values if v is not None)
    return torch.cat(
        [
            not_finite_rows([v], [B])
            if v is not None
            else torch.zeros(B, dtype=torch.bool, device=device)
            for v, B in zip(values, sizes, strict=True)
        ]
    )


def not_finite_rows(values: list[torch.Tensor], sizes: list[int]) -> torch.Tensor:
    """Return whether each example's ``values`` hold NaN or inf, (Σ sizes,), over steps of
    ``sizes`` examples each; a 0-d value is every example's of its step."""
    first = values[0]
    if any(v.ndim != first.ndim or v.shape[1:] != first.shape[1:] for v in values):
        return torch.cat([not_finite_rows([v], [B]) for v, B in zip(values, sizes, strict=True)])
    bad = ~torch.isfinite(_joined(values))  # (steps,) for 0-d values, else (Σ sizes, ...)
    if first.ndim == 0:
        repeats = torch.tensor(sizes, device=bad.device)
        return bad.repeat_interleave(repeats, output_size=sum(sizes))
    return bad.flatten(1).any(1) if bad.ndim > 1 else bad
