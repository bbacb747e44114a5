"""Which titles of the predictions figure are red: each true label against its prediction.

:func:`~linearnets.plotting.images.plot_predictions` draws; this module tells a mistake from a
right prediction whatever form the labels come in (names, class indices, whole floats, numbers
read as text), or refuses two that cannot be told apart, naming the parameter, the value and the
fix. See D2L §3.6.7.
"""

from __future__ import annotations

import re
from numbers import Number
from typing import Any

from linearnets.errors import UsageTypeError

__all__ = ["marked_wrong"]


def marked_wrong(true: list[Any], pred: list[Any]) -> list[bool]:
    """Return whether each prediction is wrong: numbers compared by value (9.0 is class 9, as
    ``y.float()`` gives it), a number written as text with a number by the value it writes ('9' is
    9, '9.0' is 9.0), anything else as the text drawn. A name against a class index is refused
    (every one was marked wrong: 'ankle boot' is not 9), and so is a bool (True is no class
    index, nor a name: True against 1 was drawn right, titled 'True' and '1')."""
    wrong = []
    for i, (t, p) in enumerate(zip(true, pred, strict=True)):
        for name, label in (("true_labels", t), ("pred_labels", p)):
            if isinstance(label, bool):
                raise UsageTypeError(
                    f"{name}[{i}] must be a name or a class index, got the bool {label!r}; pass "
                    "class indices (y, y_hat.argmax(1)), not the bools of a comparison (y == 3); "
                    f"to draw False as 0 and True as 1, pass {name}=torch.as_tensor({name}).long()"
                )
        if isinstance(t, Number) and isinstance(p, Number):
            wrong.append(bool(t != p))
        elif isinstance(t, Number) or isinstance(p, Number):
            text, number = (p, t) if isinstance(t, Number) else (t, p)
            value = _written_number(text)
            if value is None and isinstance(text, str):
                raise _names_and_indices(i, text, number, name_first=isinstance(p, Number))
            wrong.append(str(text) != str(number) if value is None else bool(value != number))
        else:
            wrong.append(str(t) != str(p))
    return wrong


# a decimal number as text: "9", "-3", "9.0", ".5", "1e3" (not "nan", "1_000" or "0x9")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _written_number(text: Any) -> int | float | None:
    """Return the number the string ``text`` writes in decimal ('9': 9, '9.0': 9.0), else ``None``."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text.strip()):
        return None
    return int(text) if text.strip().lstrip("+-").isdigit() else float(text)


def _names_and_indices(i: int, name: str, index: Any, *, name_first: bool) -> UsageTypeError:
    """Return the refusal of labels ``i``, ``name`` (a name) against ``index`` (a class index);
    ``name_first``: the name is ``true_labels[i]``. Its fix writes the indices in the names'
    own words: Chinese (``lang='zh'``) or torchvision's ones where those are the name's."""
    from linearnets.data.labels import CLASSES, TEXT_LABELS, TEXT_LABELS_ZH

    names, indices = ("true_labels", "pred_labels")[:: 1 if name_first else -1]
    if name in TEXT_LABELS or name in TEXT_LABELS_ZH:
        lang = ", lang='zh'" if name in TEXT_LABELS_ZH else ""
        fix = f"{indices}=get_fashion_mnist_labels({indices}{lang}) for Fashion-MNIST's classes"
    elif name in CLASSES:
        fix = (
            f"{indices}=[CLASSES[int(i)] for i in {indices}] for torchvision's names of "
            "Fashion-MNIST's classes (from linearnets.data.fashion_mnist import CLASSES)"
        )
    else:
        fix = f"{indices}=[names[int(i)] for i in {indices}], names being the classes' names"
    return UsageTypeError(
        f"true_labels and pred_labels must be of one kind, both names or both class indices, "
        f"got {names}[{i}] = {name!r}, a name, and {indices}[{i}] = {index!r}, a class index; "
        f"pass both as names, e.g. {fix}"
    )
