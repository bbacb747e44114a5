"""The options shared by subcommands: argparse ``type=`` converters that reject bad values with one
line naming the rule, and the run-folder options (--resume, --force, --json) with their checks."""

from __future__ import annotations

import argparse
import math
import os
import re
import unicodedata
import weakref
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

# images in one figure (data show, predict): the plotting layer's bound, read without loading it
from linearnets._figure_limits import MAX_SHOW
from linearnets._text import shown_path, without_underscores
from linearnets.config_checks import (
    MAX_EXAMPLES,
    MAX_NOISE_STD,
    MAX_RESIZE,
    MAX_SEED,
    MAX_SIZE,
    MAX_THREADS,
    MIN_LR,
    lr_problem,
)
from linearnets.config_synthetic import BOOK_SYNTHETIC
from linearnets.errors import UsageError
from linearnets.path_checks import blanks_problem

_N = TypeVar("_N", int, float)

# what each converter takes and a value it takes, for the parser's errors that have no value to
# convert: "--epochs takes a positive integer and got no value: ..., e.g. --epochs 10"
_TAKES: weakref.WeakKeyDictionary[Callable[[str], object], tuple[str, str]] = (
    weakref.WeakKeyDictionary()
)


def takes(convert: Any) -> tuple[str, str] | None:
    """Return what the ``type=`` converter ``convert`` takes and a value it takes, e.g.
    ``("a positive integer", "10")``; ``None`` for another ``type=`` (or none)."""
    try:
        return _TAKES.get(convert)
    except TypeError:  # a type= that cannot be weakly referenced (or hashed) is none of ours
        return None


def _plain(text: str, convert: Callable[[str], object]) -> str:
    """Return ``text`` for ``int``/``float`` to read, refusing (ValueError) the ``_`` they take
    between digits: ``1_0`` read as 10 and ``3e-2_0`` as 3e-20, typos taken silently (the CSV
    reader refuses such numbers too).

    Digits other than ASCII's are refused too, as the CSV reader refuses them (ArgumentTypeError
    naming what ``convert``, the converter that calls, takes, and the number in 0-9 where ``convert``
    takes it): Python reads ``٣`` and ``３`` as 3 and ``1٣`` as 13, a value no shell history,
    script or README shows as the number it is.
    """
    if "_" in text:
        raise ValueError(text)
    core = text.strip()  # the blanks int() and float() skip, a no-break space too
    if core.isascii():
        return text
    spelled = "".join(_ascii_digit(ch) for ch in core)
    if not spelled.isascii():
        raise ValueError(text)  # other characters than digits ("é", "３．５"): no number at all
    kind = _TAKES[convert][0]
    refused = f"must be {kind} in the digits 0-9, got {text!r}"
    try:
        convert(spelled)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(refused) from None  # "٠" for a positive integer
    raise Respelled(refused, spelled)


def _ascii_digit(ch: str) -> str:
    """Return ``ch``, a decimal digit of another script (``٣``, ``３``) as ASCII's."""
    digit = unicodedata.decimal(ch, None)
    return ch if ch.isascii() or digit is None else str(digit)


class OutOfRange(argparse.ArgumentTypeError):
    """A number read but outside the converter's range: the parser adds the fix, an example of the
    option (``pass e.g. --epochs 10``), which the converter cannot name."""


class Respelled(argparse.ArgumentTypeError):
    """A number spelt otherwise than the option takes (``1e3``, ``0x10``, ``３``, ``1_000``), its
    converter's range met: ``refused`` says so by the converter's rule and ``spelling`` is the
    number as it takes it (``1000``); ``fault``, where given, is said instead of ``refused`` with
    that fix (``must be written without underscores``: the rule is met). The parser drops the fix
    where the option's own bound refuses that number too (``-n 1e3``: -n takes at most 100,
    :data:`INTEGER_MAXIMA`; ``--num-examples 2.0``, :data:`INTEGER_LEASTS`)."""

    def __init__(self, refused: str, spelling: str, *, fault: str | None = None) -> None:
        super().__init__(f"{fault or refused}; write it as {spelling}")
        self.refused, self.spelling = refused, spelling


class AboveMost(argparse.ArgumentTypeError):
    """An integer written out digit by digit past the most its converter takes (``--resize
    5000``): :func:`_number` reads that refusal of a respelling (``5e3``) as :class:`Respelled`,
    for the converter to say which integer it is and that it is more than the option takes."""


class TooLarge(OutOfRange):
    """An integer at least :data:`_HUGE` (``1e20``, ``1e999999``), not worked out digit by digit:
    the parser says it is more than the option takes, naming its most (:data:`INTEGER_MAXIMA`).
    ``refused`` is the rule and the text received."""

    def __init__(self, refused: str) -> None:
        super().__init__(refused)
        self.refused = refused


# the most each integer option takes (the commands' checks refuse more once they run): a respelling
# ("write it as 1000") is suggested only where the option takes it
INTEGER_MAXIMA = {
    "-n": MAX_SHOW,
    "--seed": MAX_SEED,
    "--threads": MAX_THREADS,
    "--epochs": MAX_SIZE,
    "--batch-size": MAX_SIZE,
    "--num-examples": MAX_EXAMPLES,
}

# the options told their whole range when a value is below it, as above it: a most a user may
# well pass ("-n 0" was told "a positive integer (>= 1)", "-n 101" "an integer from 1 to 100");
# the others' most (2**62, 10**8) is told only to a value past it
RANGE_TOLD = frozenset({"-n", "--seed", "--threads"})

# the rule told with an integer option's most, where its least is not its converter's: the
# configuration checks --num-examples against the weights, which a --data file, a resume or the
# Python API may change, once it knows them ("an integer in [3, 100000000]" for the book's 2)
INTEGER_RULES = {
    "--num-examples": (
        "an integer of at least one more than the weights "
        f"({len(BOOK_SYNTHETIC['true_w']) + 1} for the book's {len(BOOK_SYNTHETIC['true_w'])})"
    ),
}
# the least of each option of INTEGER_RULES with the book's weights: a respelling below it
# ("--num-examples 2.0") is told the rule, not "write it as 2", a value the option then refuses
INTEGER_LEASTS = {"--num-examples": len(BOOK_SYNTHETIC["true_w"]) + 1}

# a value each option takes where its converter's (``pass e.g. --threads 10``) is a poor one: more
# threads than free cores slow training down (docs/cli.md), and one is the default
OPTION_EXAMPLES = {"--threads": "1"}

# past every option's most: an integer this large is not worked out digit by digit ("1e999999")
_HUGE = 10**20


def _number(text: str, convert: Callable[[str], object], parse: Callable[[str], _N]) -> _N:
    """Return ``text`` read by ``parse`` (``int`` or ``float``) for the converter ``convert``;
    refuse text it cannot read, naming what ``convert`` takes (its range is ``convert``'s to check)
    and, for an integer spelt otherwise (``1e3``, ``0x10``), the same number as ``int`` reads it
    (:class:`Respelled`); one ``convert`` refuses (``0.0``, ``-0x10``) is :class:`OutOfRange`,
    for the parser to add an example of the option, and one too large to work out (``1e30``) is
    :class:`TooLarge`, for the parser to name the option's most."""
    try:
        value = parse(_plain(text, convert))
    except ValueError:
        refused = f"must be {_TAKES[convert][0]}, got {text!r}"
        if parse is float:
            _refuse_float_spelling(text, convert, refused)
        number = _integer_spelling(text) if parse is int else None
        if number is None:
            raise argparse.ArgumentTypeError(refused) from None
        # "1_000": digits grouped as Python writes them, the underscores the fault, not the rule
        fault = f"must be written without underscores, got {text!r}" if "_" in text else None
        if number >= _HUGE:
            raise TooLarge(refused) from None  # 10**20 is an integer: too large, not malformed
        try:
            if number <= -_HUGE:
                raise OutOfRange(refused)
            convert(str(number))
        except AboveMost:
            raise Respelled(refused, str(number)) from None  # "5e3": 5000, past --resize's most
        except argparse.ArgumentTypeError:
            raise OutOfRange(refused) from None
        raise Respelled(refused, str(number), fault=fault) from None
    if parse is int and value >= _HUGE:  # written out digit by digit: as 1e20 is, before torch
        raise TooLarge(f"must be {_TAKES[convert][0]}, got {text!r}")
    return value


def _refuse_float_spelling(text: str, convert: Callable[[str], object], refused: str) -> None:
    """Refuse ``text``, a number ``float`` reads with ``_`` between its digits (``1_0``, ``1e-1_0``),
    as an integer's is: the underscores the fault, the number written without them the fix
    (:class:`Respelled`), where ``convert`` takes it, else :class:`OutOfRange` (``refused``,
    for the parser to add the option's example). Other text is left to the caller."""
    if "_" not in text or not text.strip().isascii():
        return
    try:
        float(text)
    except ValueError:  # "1__0", "_1": no number Python reads either
        return
    spelled = without_underscores(text)  # "0_1" is 1, as float reads it: offered as 1, not 01
    try:
        convert(spelled)
    except argparse.ArgumentTypeError as exc:  # its range told ("in [0, 1e+15]"), with text
        told = str(exc)
        # an integer's quoted ("got '0'", as "got '101'" past its most), a float's bare
        shown = told.replace(f"got {spelled!r}", f"got {text.strip()!r}", 1)
        if shown == told:
            shown = told.replace(f"got {spelled}", f"got {text.strip()}", 1)
        raise OutOfRange(shown if shown != told else f"{told} (written {text!r})") from None
    fault = f"must be written without underscores, got {text!r}"
    raise Respelled(refused, spelled, fault=fault) from None


def _integer_spelling(text: str) -> int | None:
    """Return the integer ``text`` spells another way (``1e3``, ``10.0``, ``0x10``, digits grouped
    by underscores as in ``1_000``), read exactly (``1e30`` is 10**30, not float's
    1000000000000000019884624838656), or ±:data:`_HUGE` where it is at least that large; else
    ``None``. Underscores are read only between decimal digits: ``1_0e3`` and ``0x_10`` are
    none."""
    if "_" in text:
        if re.fullmatch(r"[+-]?[0-9]+(_[0-9]+)+", text.strip()) is None:
            return None
        text = text.replace("_", "")
    try:
        number = int(text.strip(), 0)  # 0x10, 0o20, 0b10000
    except ValueError:
        try:
            value = Decimal(text.strip())
        except ArithmeticError:
            return None
        if not value.is_finite() or value != value.to_integral_value():
            return None
        if value.adjusted() >= 20:  # 1e999999: not worked out
            return -_HUGE if value < 0 else _HUGE
        number = int(value)
    return max(-_HUGE, min(_HUGE, number))


def positive_int(text: str) -> int:
    """Parse an integer ≥ 1."""
    value = _number(text, positive_int, int)
    if value < 1:
        raise OutOfRange(f"must be a positive integer (>= 1), got {text!r}")  # as '101' is
    return value


def num_examples(text: str) -> int:
    """Parse ``--num-examples``: a positive integer, as :func:`positive_int`, whose example is the
    book's 1000. Its least (one more than the weights) is the configuration's to check, once it
    knows them: a ``--data`` file or a resumed run decides them, which the parser has not seen."""
    value = _number(text, num_examples, int)
    if value < 1:
        raise OutOfRange(f"must be a positive integer (>= 1), got {text!r}")  # as '101' is
    return value


def non_negative_int(text: str) -> int:
    """Parse an integer ≥ 0."""
    value = _number(text, non_negative_int, int)
    if value < 0:
        raise OutOfRange(f"must be a non-negative integer (>= 0), got {text!r}")
    return value


def positive_float(text: str) -> float:
    """Parse a finite number > 0."""
    value = _number(text, positive_float, float)
    digits = text.strip().lower().partition("e")[0]
    if value == 0 and not digits.startswith("-") and any(d in "123456789" for d in digits):
        # "1e-400": typed > 0, but below the smallest float, read as 0
        raise OutOfRange(
            f"must be a finite number > 0, got {text}, which underflows to 0 (a step needs at "
            f"least about {MIN_LR:.3g}, float32's smallest normal number)"
        )
    if not math.isfinite(value) or value <= 0:
        raise OutOfRange(f"must be a finite number > 0, got {text}")
    return value


def learning_rate(text: str) -> float:
    """Parse ``--lr``: a finite number > 0, as :func:`positive_float`, in the configuration's range
    [:data:`MIN_LR`, :data:`MAX_LR`] once float32 rounds it, refused here as the option's other values are (``argument
    --lr: ...``, the parser adding an example and ``--help``), not later by the configuration."""
    try:
        value = positive_float(text)  # its refusals, the underflow of "1e-400" told
    except Respelled as exc:  # "1e3_00": the number without underscores must be in range too
        problem = lr_problem(float(exc.spelling))
        if problem:
            raise OutOfRange(f"{problem}, got {text}") from None
        raise
    problem = lr_problem(value)  # as float32 rounds it, as the configuration judges it
    if problem:
        raise OutOfRange(f"{problem}, got {text}")
    return value


def noise_std_value(text: str) -> float:
    """Parse ``--noise-std``: a finite number ≥ 0 and at most :data:`MAX_NOISE_STD`, refused here
    as the option's other values are (``argument --noise-std: ...``, the parser adding an example
    and ``--help``), not later by the configuration."""
    value = _number(text, noise_std_value, float)
    if not math.isfinite(value) or value < 0:
        raise OutOfRange(f"must be a finite number >= 0, got {text}")
    if value > MAX_NOISE_STD:
        raise OutOfRange(f"must be a number in [0, {MAX_NOISE_STD:g}], got {text}")
    return value


# the converters of numbers: a word that glues letters to a short option of one ("-num 3") is no value
NUMBERS = (
    positive_int, num_examples, non_negative_int, positive_float, learning_rate, noise_std_value,
)  # fmt: skip

# --resize none, given: the images' own size asked for (a resume's change back from a resize, where
# leaving --resize out keeps the run's), told from --resize left out (None)
NO_RESIZE = "none"
# the fix resize_side's refusals end with, a new run's: the parser swaps it on a resume (which
# refuses another --resize, forced too) for pass_fix's "leave --resize out"
RESIZE_FIX = "pass e.g. --resize 64, or --resize none for the images' own size"
# the rule an integer out of --resize's range breaks, below it as past it: "a positive integer or
# none" is one 5000 meets
_RESIZE_RANGE = f"must be an integer from 1 to {MAX_RESIZE} or none"


def resize_side(text: str) -> int | str:
    """Parse ``--resize``: a side N ≥ 1, or ``none`` (any capitals) for no resize, as
    :data:`NO_RESIZE`: what the messages print for ``resize=None``, e.g. ``none (28×28)``.

    An integer spelt otherwise is read as every integer option reads it: ``1e3`` is told to be
    written 1000, and one past :data:`MAX_RESIZE` (``1e4``, ``1e20``) more than it takes."""
    if text.strip().lower() == NO_RESIZE:
        return NO_RESIZE
    try:  # "٣" and "３" are refused as every number option refuses them, naming 3
        value = _number(text, resize_side, int)
    except Respelled as exc:
        if int(exc.spelling) <= MAX_RESIZE:
            raise  # "got '1e3'; write it as 1000"
        raise argparse.ArgumentTypeError(
            f"{_RESIZE_RANGE}, got {text!r}, which is {exc.spelling}; {RESIZE_FIX}"
        ) from None
    except TooLarge:  # "1e20": an integer, too large, not malformed
        raise argparse.ArgumentTypeError(f"{_RESIZE_RANGE}, got {text!r}; {RESIZE_FIX}") from None
    except OutOfRange:  # "0.0", "-1e3": integers below its least, told its range as 0 is
        raise argparse.ArgumentTypeError(f"{_RESIZE_RANGE}, got {text!r}; {RESIZE_FIX}") from None
    except argparse.ArgumentTypeError as exc:  # "1.5", "abc"
        raise argparse.ArgumentTypeError(f"{exc}; {RESIZE_FIX}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{_RESIZE_RANGE}, got {text!r}; {RESIZE_FIX}")
    if value > MAX_RESIZE:  # "5000", refused as "5e3" is, before torch loads
        raise AboveMost(f"{_RESIZE_RANGE}, got {text!r}; {RESIZE_FIX}")
    return value


_TAKES.update(
    {
        positive_int: ("a positive integer", "10"),
        num_examples: ("a positive integer", str(BOOK_SYNTHETIC["num_examples"])),
        non_negative_int: ("a non-negative integer", "0"),
        positive_float: ("a positive number", "0.1"),
        learning_rate: ("a positive number", "0.1"),
        noise_std_value: ("a non-negative number", "0.01"),
        resize_side: ("a positive integer or none", "64"),
    }
)


def path_arg(text: str) -> Path:
    """Parse a file or folder path: any non-empty string (``Path("")`` would silently mean ``.``).

    An option that knows which path it wants says so with :func:`path_arg_for` instead.
    """
    return _path(text, "the file or folder name the option takes")


def path_arg_for(what: str, example: str, *, file: bool = False) -> Callable[[str], Path]:
    """Return a :func:`path_arg` whose error for an empty path asks for ``what``, e.g.
    ``path_arg_for("a .npz or .csv data file", "--data table.csv")``; with ``file``, a path
    ending in a separator or in ``.`` or ``..``, a folder's spelling, is refused too (``Path``
    would drop the separator and the ``.``)."""

    def convert(text: str) -> Path:
        if file and text.endswith(("/", os.sep)):
            raise argparse.ArgumentTypeError(
                f"must name a file, got {text!r}, which ends with a separator as a folder does; "
                f"drop it for a file, or name a file in that folder, e.g. {example}"
            )
        last = text.replace(os.sep, "/").rpartition("/")[2]
        if file and last in (".", ".."):
            # "x.npz/." was read as x.npz (Path drops the "."), "f.png/." wrote f.png
            raise argparse.ArgumentTypeError(
                f"must name a file, got {text!r}, which ends with {last!r}, a folder as a path "
                f"names one; name a file, e.g. {example}"
            )
        return _path(text, f"{what}, e.g. {example}")

    convert.__name__ = path_arg.__name__  # argparse names the type by it in its own errors
    _TAKES[convert] = (what, example.rpartition(" ")[2])  # "--data-dir data": data
    return convert


def _path(text: str, wanted: str) -> Path:
    """Return ``text`` as a ``Path``; refuse an empty one, asking for ``wanted``, and one that begins
    or ends with whitespace unless a file or folder of that very name exists."""
    if not text:
        # an empty path is Path("."), this folder: never what an option naming a path wanted
        raise argparse.ArgumentTypeError(f"must be a path, got an empty string; pass {wanted}")
    # "--out 'runs/a '" made the folder "runs/a ", shown as "run folder: runs/a"
    problem = blanks_problem(text, wanted)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return Path(text)


def add_show_count(p: argparse.ArgumentParser, *, default: int, images: str) -> None:
    """Add -n, how many ``images`` (e.g. "test images") a figure shows; :func:`check_show_count`
    refuses more than :data:`MAX_SHOW` once the subcommand runs."""
    p.add_argument(
        "-n",
        type=positive_int,
        default=default,
        help=f"number of {images}, at most {MAX_SHOW} (default: %(default)s)",
    )


def check_show_count(n: int, *, default: int) -> None:
    """Refuse an -n of more than :data:`MAX_SHOW` images; the fix passes the command's
    ``default``."""
    if n > MAX_SHOW:
        raise UsageError(f"-n must be at most {MAX_SHOW} images, got {n}; pass e.g. -n {default}")


def add_data_dir_option(
    p: argparse.ArgumentParser,
    *,
    help: str,
    default: Any = None,
    metavar: str = "DIR",
    what: str = "the folder holding the Fashion-MNIST files",
) -> None:
    """Add --data-dir, the folder holding the Fashion-MNIST files (data, predict and softmax);
    ``what`` names it in a refusal of its value (``data download``'s is the folder to download
    into)."""
    p.add_argument(
        "--data-dir",
        type=path_arg_for(what, "--data-dir data"),
        default=default,
        metavar=metavar,
        help=help,
    )


def add_lang_option(p: argparse.ArgumentParser) -> None:
    """Add --lang, the language of the figure's text labels (the book's English ones or Chinese label names)."""
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="label language: en (the book's labels) or zh (Chinese label names) (default: %(default)s)",
    )


def add_guard_options(p: argparse.ArgumentParser) -> None:
    """Add --no-guard and --guard, one setting left unset by default (``None``): a resume keeps
    the run's own until one of them is given (see :class:`~linearnets.training.guard.DivergenceGuard`)."""
    p.add_argument(
        "--no-guard",
        dest="guard",
        action=_GuardSwitch,
        const=False,
        help="do not stop when the loss blows up (NaN or inf, or 100× its starting value); "
        "with --resume, a run's --no-guard holds until --guard",
    )
    p.add_argument(
        "--guard",
        dest="guard",
        action=_GuardSwitch,
        const=True,
        help="stop when the loss blows up (the default): with --resume, turns the guard back on "
        "in a run trained with --no-guard",
    )


class _GuardSwitch(argparse._StoreConstAction):
    """``--guard`` or ``--no-guard``: the one given last wins over another given earlier alike
    (``--guard --guard``), but both on one command line contradict each other and are refused,
    naming both: ``--guard --no-guard`` once recorded the guard off without a word."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        earlier = getattr(namespace, self.dest, None)
        if earlier is not None and earlier != self.const:
            parser.error(
                "--guard and --no-guard were both given, and they contradict each other (the "
                "divergence guard on, and off); give one of them: --guard to stop when the loss "
                "blows up, --no-guard not to"
            )
        super().__call__(parser, namespace, values, option_string)


# said of a training option's default: a resumed run keeps its own settings (check_resumed_args)
RUNS_OWN = "with --resume, the run's own"


def add_resume_options(p: argparse.ArgumentParser, *, force_help: str) -> None:
    """Add --resume and --force, which continue a run in its folder, and --json (``force_help``:
    what --force accepts, which differs between the subcommands)."""
    p.add_argument(
        "--resume",
        type=path_arg_for("the run folder to continue", "--resume runs/a"),
        metavar="RUN_DIR",
        help="continue the run in RUN_DIR from its last checkpoint, with its own settings: an "
        "option left out keeps the run's, not the default shown; --epochs N goes on to epoch N, "
        "and another changed training setting needs --force",
    )
    p.add_argument("--force", action="store_true", help=force_help)
    p.add_argument(
        "--json", action="store_true", help="end with one JSON object of the results (or the error)"
    )


def check_resume_options(args: argparse.Namespace) -> None:
    """Refuse --out with --resume (the run continues in its folder) and --force without it."""
    if args.resume is not None and args.out is not None:
        raise UsageError(
            "--out cannot be combined with --resume: the run continues in "
            f"{shown_path(args.resume)}; drop --out"
        )
    if args.force and args.resume is None:
        raise UsageError("--force only applies with --resume RUN_DIR; drop --force")
