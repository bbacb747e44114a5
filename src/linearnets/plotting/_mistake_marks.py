"""Which titles of the predictions figure are red: each true label against its prediction.

:func:`~linearnets.plotting.images.plot_predictions` draws; this module tells a mistake from a
right prediction whatever form the labels come in (names, class indices, whole floats, numbers
read as text), or refuses two that cannot be told apart, naming the parameter, the value and the
fix. See D2L §3.6.7.
"""

from __future__ import annotations

import re
from decimal import Decimal
from numbers import Number
from typing import Any

from linearnets.errors import UsageTypeError

__all__ = ["marked_wrong"]


def marked_wrong(true: list[Any], pred: list[Any]) -> list[bool]:
    """Return whether each prediction is wrong: numbers compared by value (9.0 is class 9, as
    ``y.float()`` gives it), a number written as text by the value it writes, against a number or
    another such text ('9' is 9, '9.0' is 9.0, '09' is '9'), anything else as the text drawn. A
    name against a class index (a number, or one written as text) is refused (every one was
    marked wrong: 'ankle boot' is not 9), and so is a bool (True is no class index, nor a name:
    True against 1 was drawn right, titled 'True' and '1'). The labels are Python values, as
    :func:`~linearnets.plotting._image_args.scalars` gives them."""
    wrong = []
    for i, (t, p) in enumerate(zip(true, pred, strict=True)):
        for name, label, other in (("true_labels", t, pred), ("pred_labels", p, true)):
            if isinstance(label, bool):
                raise _bools(i, name, label, other)
        t_value, p_value = _number(t), _number(p)
        if t_value is not None and p_value is not None:
            wrong.append(bool(t_value != p_value))
        elif isinstance(t, str) and p_value is not None:
            raise _names_and_indices(i, t, p, name_first=True)
        elif isinstance(p, str) and t_value is not None:
            raise _names_and_indices(i, p, t, name_first=False)
        else:
            wrong.append(str(t) != str(p))
    return wrong


# a decimal number as text: "9", "-3", "9.0", ".5", "1e3" (not "nan", "1_000" or "0x9")
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(label: Any) -> Any:
    """Return ``label`` if it is a number, the number it writes if it is one written as text,
    else ``None``."""
    return label if isinstance(label, Number) else _written_number(label)


def _written_number(text: Any) -> Decimal | float | None:
    """Return the number the string ``text`` writes in decimal ('9': 9, '9.0': 9.0), else ``None``.
    A whole number is read exactly, as a Decimal: int() refuses one of more digits than
    ``sys.get_int_max_str_digits()`` (4300) with ValueError."""
    if not isinstance(text, str) or not _DECIMAL.fullmatch(text.strip()):
        return None
    return Decimal(text) if text.strip().lstrip("+-").isdigit() else float(text)


def _bools(i: int, name: str, label: bool, other: list[Any]) -> UsageTypeError:
    """Return the refusal of the bool ``label``, ``name[i]``, beside the other parameter's labels
    ``other``: where those hold names, its fix writes the bools as names in their words (as class
    indices, they were refused against the names in turn)."""
    names = [v for v in other if isinstance(v, str) and _written_number(v) is None]
    if names:
        others = "pred_labels" if name == "true_labels" else "true_labels"
        fix = (
            f"to draw False as class 0 and True as class 1, by name as {others} are, pass "
            f"{_names_fix(names[0], name, given='bools')}"
        )
    else:
        fix = f"to draw False as 0 and True as 1, pass {name}=torch.as_tensor({name}).long()"
    return UsageTypeError(
        f"{name}[{i}] must be a name or a class index, got the bool {label!r}; pass class indices "
        f"(y, y_hat.argmax(1)), not the bools of a comparison (y == 3); {fix}"
    )


def _names_and_indices(i: int, name: str, index: Any, *, name_first: bool) -> UsageTypeError:
    """Return the refusal of labels ``i``, ``name`` (a name) against ``index`` (a class index, or
    one written as text); ``name_first``: the name is ``true_labels[i]``."""
    names, indices = ("true_labels", "pred_labels")[:: 1 if name_first else -1]
    text = isinstance(index, str)
    return UsageTypeError(
        f"true_labels and pred_labels must be of one kind, both names or both class indices, "
        f"got {names}[{i}] = {name!r}, a name, and {indices}[{i}] = {index!r}, a class index"
        f"{' written as text' if text else ''}; pass both as names, e.g. "
        f"{_names_fix(name, indices, given='text' if text else 'numbers')}"
    )


def _names_fix(name: str, indices: str, *, given: str) -> str:
    """Return the fix ``indices=...`` that writes the parameter ``indices``' class indices, given
    as ``'numbers'``, ``'text'`` or ``'bools'``, in the words of the name ``name``: Chinese
    (``lang='zh'``), torchvision's or the book's where those are the name's, else the classes' own."""
    from linearnets.data.labels import CLASSES, TEXT_LABELS, TEXT_LABELS_ZH

    index = "int(float(i))" if given == "text" else "int(i)"  # int('9.0') raises
    if name in TEXT_LABELS or name in TEXT_LABELS_ZH:
        lang = ", lang='zh'" if name in TEXT_LABELS_ZH else ""
        # get_fashion_mnist_labels refuses bools and text, and takes whole floats
        read = {
            "text": f"[float(i) for i in {indices}]",
            "bools": f"torch.as_tensor({indices}).long()",
        }
        return (
            f"{indices}=get_fashion_mnist_labels({read.get(given, indices)}{lang}) for "
            "Fashion-MNIST's classes"
        )
    if name in CLASSES:
        return (
            f"{indices}=[CLASSES[{index}] for i in {indices}] for torchvision's names of "
            "Fashion-MNIST's classes (from linearnets.data.fashion_mnist import CLASSES)"
        )
    return f"{indices}=[names[{index}] for i in {indices}], names being the classes' names"
