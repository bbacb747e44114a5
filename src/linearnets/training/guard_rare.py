"""The level a rare large loss's update left, which the divergence guard measures growth from.

A rare large loss's update may move the model a long way, for good: on targets that are 0 but for
a few of 10³, the untrained model's loss is ~10⁻⁴ on the first ``min_examples`` and every step's is
~1 once one of 10³ has pulled the weights towards it (as the least-squares solution is). So a step
whose own mean passed the bound and :data:`RARE_RATIO` × the typical step's (or example's),
followed by a step of lower loss (a blow-up's next step is higher), opens a window like the
start's: growth is then measured from the median step mean of the steps after it (so far, then
over ``min_examples`` examples or up to the next rare loss) where that is higher than the start.
:mod:`linearnets.training.guard_growth` decides which steps stand out and open a window; this
module keeps the levels.

Not for a classification loss (:func:`rare_losses`): its labels hold no large values, so a loss
10⁴× past the typical step's can only come from huge scores, an update's or an outlier feature's,
whose update breaks the model (one feature of -1e10 in 3000 examples stood 5·10⁶ past the start
at its step, the next steps at 10⁶–10⁷, and measured from that level the run ended 3 epochs
unstopped, at chance).
"""

from __future__ import annotations

import statistics
from typing import Any

from linearnets.training.loss_kinds import is_binary_loss, is_class_loss

__all__ = ["RARE_RATIO", "RareLevels", "rare_losses"]

# how far past the typical step a step's mean loss stands when it is a rare large loss: a target of
# 10³ among zeros stands 10⁵ to 10⁸ past it; in simulated blow-ups at batch 1 (each step one
# example's loss, scattered like χ²₁) a step stood 100× past it in 1 run in 10, 10⁴× in none of 600
RARE_RATIO = 1e4


def rare_losses(loss: object) -> bool:
    """Whether ``loss`` may hold a rare large loss whose update leaves a level (a target from a
    heavy tail): ``False`` for a classification loss (linearnets' ``cross_entropy`` and
    ``cross_entropy_logits``, torch's cross-entropy, NLL and binary cross-entropy, as modules or
    functions), whose large losses come from huge scores alone; ``True`` for any other, or
    ``None`` (not known)."""
    return not (is_class_loss(loss) or is_binary_loss(loss))


class RareLevels:
    """The steps after a rare large loss and the highest level such a loss's update left.

    Args:
        min_examples: how many examples of the steps after a rare loss make its level for good.
    """

    def __init__(self, *, min_examples: int) -> None:
        self.min_examples = min_examples
        self.rare: float | None = None  # the latest step's mean, if it stood out (a rare loss?)
        self._after: list[tuple[float, int]] = []  # (mean, count) of the steps after a rare loss
        self._level: float | None = None  # the highest level a rare loss's update left (a median)

    def raised(self, start: float) -> float:
        """Return the loss that growth is measured from: the starting loss ``start``, or the level
        a rare large loss's update left where that is higher."""
        levels = [start]
        if self._level is not None:
            levels.append(self._level)
        if self._after:  # the steps after a rare loss so far: a level before their window closes
            levels.append(statistics.median(m for m, _ in self._after))
        return max(levels)

    def follow(
        self, loss: float, count: int, *, stands_out: bool, opens: bool, level: float
    ) -> None:
        """Note the step's mean ``loss`` over ``count`` examples after it was checked;
        ``stands_out``: that mean passed the bound and :data:`RARE_RATIO` × the typical step's;
        ``opens``: the step is lower than a rare loss just before it, so it opens that loss's window;
        ``level``: what the step counts as in a window (its mean; for a step with a typical
        example that opens one, that example's loss, as the step may hold a rare loss too).

        The step after one that stands out is lower for a rare large loss, higher in a blow-up.
        From a rare loss's next step on, the step means are kept until they hold
        ``min_examples`` examples, or until the next rare loss; their median is then a level kept
        for good (the highest such).
        """
        if opens:
            self._keep_level()  # the steps since the last rare loss, if any: its update's level
            self._after = [(level, count)]
        elif self._after and not stands_out:  # a rare loss's own step is no level
            self._after.append((level, count))
        if sum(c for _, c in self._after) >= self.min_examples:
            self._keep_level()
        # the first step after a rare loss may stand out from the steps before it: it is the
        # level its update left, not a rare loss
        self.rare = loss if stands_out and not opens else None

    def _keep_level(self) -> None:
        """Keep the median step mean of the steps after a rare loss as a level, if higher."""
        if self._after:
            level = statistics.median(m for m, _ in self._after)
            self._level = level if self._level is None else max(self._level, level)
            self._after = []

    # -- state, so a resumed run keeps the same levels ------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Return the latest rare loss, the steps after one and the level kept (for checkpoints)."""
        return {"rare": self.rare, "after": [[m, c] for m, c in self._after], "level": self._level}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned (a guard's state holds it, with more keys)."""
        self.rare = state.get("rare")
        self._after = [(float(m), int(c)) for m, c in state.get("after", [])]
        self._level = state.get("level")
