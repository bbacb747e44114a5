"""Which titles of the predictions figure are red: each true label against its prediction.

:func:`~linearnets.plotting.images.plot_predictions` draws; this module tells a mistake from a
right prediction whatever form the labels come in (names, class indices, whole floats, numbers
read as text), or refuses two that cannot be told apart, naming the parameter, the value and the
fix. See D2L §3.6.7.

A number written as text is read exactly, its digits in any script as int() reads them ('٩' and
'９' are 9): against another such text or an int, it is compared exactly; against a float, a
whole number written as int() writes one (digits alone: '10000000000000001', not '9.0' or
'1e16') is that int, compared exactly (not 1e16, as 10000000000000001 is not), and any other
text (a decimal fraction or an exponent: '0.1') is the float nearest it, as the float holds no
more ('0.1' is 0.1, though 0.1 is 0.1000000000000000055...), but never inf ('1e400') or a
nonzero rounded to 0.0 ('1e-400').
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from numbers import Complex, Integral, Number, Rational, Real
from typing import Any, NamedTuple

from linearnets.errors import UsageTypeError

__all__ = ["marked_wrong"]


def marked_wrong(true: list[Any], pred: list[Any]) -> list[bool]:
    """Return whether each prediction is wrong: numbers compared by value (9.0 is class 9, as
    ``y.float()`` gives it), a number written as text by the value it writes, against a number or
    another such text ('9' is 9, '9.0' is 9.0, '09' is '9'), exactly (:func:`_same`:
    '10000000000000001.0' is not '10000000000000000.0', nor '1e400' '2e400', though float reads
    each pair as one number), anything else as the text drawn. A
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
            wrong.append(not _same(t_value, p_value))
        elif isinstance(t, str) and p_value is not None:
            raise _names_and_indices(i, t, p, name_first=True)
        elif isinstance(p, str) and t_value is not None:
            raise _names_and_indices(i, p, t, name_first=False)
        else:
            wrong.append(str(t) != str(p))
    return wrong


# a decimal number as text: "9", "-3", "9.0", ".5", "1e3", "٩" (not "nan", "1_000" or "0x9")
# (its sign, digits before and after the point, point, exponent); \d: a digit of any script
_DECIMAL = re.compile(r"([+-]?)(?=\.?\d)(\d*)(\.?)(\d*)(?:[eE]([+-]?\d+))?")
# the largest power of ten a Decimal is scaled by (libmpdec's, 10**18 - 1, less a margin)
_MOST_EXPONENT = 10**17


class _Written(NamedTuple):
    """A number written as text in decimal, exactly: whether it is negative, its ASCII digits
    without leading or trailing zeros ("" for zero, whatever its sign) and the power of ten they
    are scaled by: "-1.50e3" is (True, "15", 2), "9.0", "9" and "٩" (False, "9", 0); and whether
    it is written as int() writes a number (``whole``: "9", not "9.0" or "9e0"), which a float
    is compared with exactly (:func:`_same`)."""

    negative: bool
    digits: str
    exponent: int
    whole: bool

    def as_float(self) -> float:
        """Return the float nearest the number ("0.1" is 0.1; past float's range, inf or 0)."""
        if not self.digits:
            return 0.0
        sign = "-" if self.negative else ""
        magnitude = self.exponent + len(self.digits)  # its power of ten, give or take one
        if abs(magnitude) > 400:  # float ends near 1.8e308 and 5e-324
            return float(f"{sign}inf") if magnitude > 0 else float(f"{sign}0")
        return float(f"{sign}{self.digits}e{self.exponent}")

    def as_decimal(self) -> Decimal | None:
        """Return the number as a Decimal; ``None`` where a Decimal cannot scale its digits so far
        (past 10**(10**17), or below its inverse, which no int, float or fraction reaches)."""
        if abs(self.exponent) > _MOST_EXPONENT:
            return None
        return Decimal((int(self.negative), tuple(map(int, self.digits or "0")), self.exponent))


def _number(label: Any) -> Any:
    """Return ``label`` if it is a number, the number it writes if it is one written as text,
    else ``None``."""
    return label if isinstance(label, Number) else _written_number(label)


def _written_number(text: Any) -> _Written | None:
    """Return the number the string ``text`` writes in decimal ('9', '9.0', '1e400', a whole
    number of more digits than int() reads), exactly, else ``None``: never through int(), which
    refuses more than ``sys.get_int_max_str_digits()`` (4300) digits with ValueError, nor float(),
    which reads '10000000000000001.0' as 1e16 and '1e400' as inf."""
    match = _DECIMAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        return None
    sign, whole, point, fraction, power = match.groups()
    # through Decimal, as int() refuses more than 4300 digits; it reads a digit of any script as
    # int() does ('٩' is 9), and drops the leading zeros ('٠٩' is '9')
    exponent = int(Decimal(power or 0)) - len(fraction)
    digits = "".join(map(str, Decimal(whole + fraction).as_tuple().digits)).lstrip("0")
    exponent += len(digits) - len(digits.rstrip("0"))
    digits = digits.rstrip("0")
    written_whole = not point and power is None
    return _Written(sign == "-" and bool(digits), digits, exponent if digits else 0, written_whole)


def _same(a: Any, b: Any) -> bool:
    """Return whether the labels ``a`` and ``b``, each a number or one written as text
    (:func:`_number`), are one number: two texts exactly ('1e400' is not '2e400'), a text and a
    whole number exactly, a whole number written as int() writes it and a float exactly
    ('10000000000000001' is not 1e16), another text and a float where the text reads as it
    ('0.1' is 0.1, though 0.1 is 0.1000000000000000055...), though never one that float cannot
    hold ('1e400' is not inf)."""
    if isinstance(a, _Written) and isinstance(b, _Written):
        return a[:3] == b[:3]  # the number, however written ('9' is '9.0')
    if isinstance(b, _Written):
        a, b = b, a
    if not isinstance(a, _Written):
        return bool(a == b)
    if isinstance(b, Real) and not isinstance(b, Rational) and a.whole:  # as its int is
        exact = a.as_decimal()
        return exact is not None and exact == float(b)
    if isinstance(b, Real) and not isinstance(b, Rational):  # a float: its precision
        # but a text is never inf ('1e400'), nor 0.0 unless it writes 0 ('1e-400')
        nearest = a.as_float()
        return math.isfinite(nearest) and nearest == float(b) and (nearest != 0 or not a.digits)
    if isinstance(b, Complex) and not isinstance(b, Real):
        return b.imag == 0 and _same(a, b.real)
    exact = a.as_decimal()
    return exact is not None and bool(exact == (int(b) if isinstance(b, Integral) else b))


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
