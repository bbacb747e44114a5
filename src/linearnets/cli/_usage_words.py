"""The words of the command's usage errors, where argparse's named no rule or fix: what an option
takes (with an example), an option given no value, a missing positional, an ambiguous
abbreviation, a choice or an option mistyped (by its blanks, its capitals or its spelling). See :mod:`linearnets.cli._parser`.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Sequence

from linearnets._text import respelled
from linearnets.cli._options import (
    INTEGER_LEASTS,
    INTEGER_MAXIMA,
    INTEGER_RULES,
    OPTION_EXAMPLES,
    takes,
)
from linearnets.config_values import meant_name

__all__ = [
    "REQUIRED",
    "ambiguous",
    "below_least",
    "choice_fix",
    "exact_rule",
    "meant_option",
    "no_value",
    "pass_fix",
    "past_most",
    "required",
    "takes_example",
    "to_pass",
]

# argparse's own line for a missing positional or command (said by self.error before Python 3.13)
REQUIRED = "the following arguments are required: "


def takes_example(action: argparse.Action, name: str) -> tuple[str, str]:
    """Return what ``action`` takes and an example of it on the command line, after ``name``:
    ``("a positive integer", "--epochs 10")``."""
    if action.choices:
        choices = [str(choice) for choice in action.choices]
        return f"one of {', '.join(choices)}", f"{name} {choices[0]}"
    metavar = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    wanted, value = takes(action.type) or ("a value", metavar)
    value = OPTION_EXAMPLES.get(name, value)  # --threads 1, not the integers' 10
    if action.nargs in ("+", "*"):  # --mirror URL [URL ...]
        wanted = "one or more values" if wanted == "a value" else f"one or more, each {wanted}"
    return wanted, f"{name} {value}"


def exact_rule(action: argparse.Action, name: str, refused: str) -> str:
    """Return the converter's ``refused`` ("must be a positive integer (>= 1), got 0") with the
    rule of the option ``name`` told exactly where its least is not the converter's
    (:data:`INTEGER_RULES`): ``--num-examples 0`` was told ">= 1", where 1 and 2 are refused."""
    rule = INTEGER_RULES.get(name)
    if rule is None:
        return refused
    wanted, _ = takes_example(action, name)
    return re.sub(
        rf"^must be {re.escape(wanted)}( \(>= 1\))?", lambda _: f"must be {rule}", refused, count=1
    )


def past_most(
    action: argparse.Action,
    name: str,
    refused: str,
    which: str = "",
    *,
    resuming: bool = False,
    forced: bool = False,
) -> str:
    """Return the refusal of an integer past the most ``action``, the option ``name``, takes
    (:data:`INTEGER_MAXIMA`), or below the least of an option of :data:`RANGE_TOLD`, its rule the
    range it breaks: "must be an integer from 1 to 100, got '101'" (it once said "must be a
    positive integer, got '101', which is more than ...", a rule 101 meets). ``refused`` is the
    converter's "must be a positive integer, got '101'", its least told exactly where it is not
    the converter's (:data:`INTEGER_RULES`), and ``which`` the integer a respelling is ("1000"
    for "1e3"); the fix is :func:`pass_fix`'s."""
    most = INTEGER_MAXIMA[name]
    rule, got = exact_rule(action, name, refused).removeprefix("must be ").split(", got ", 1)
    if name in INTEGER_RULES:
        rule = f"{INTEGER_RULES[name]} and at most {most}"
    else:  # the converter's "a positive integer" or "a non-negative integer"
        rule = f"an integer from {0 if 'non-negative' in rule else 1} to {most}"
    which = f", which is {which}" if which else ""
    return f"must be {rule}, got {got}{which}; {pass_fix(action, name, resuming=resuming, forced=forced)}"


def below_least(
    action: argparse.Action,
    name: str,
    text: str,
    which: str,
    *,
    resuming: bool = False,
    forced: bool = False,
) -> str:
    """Return the refusal of ``text``, an integer spelt otherwise (``which``, "2" for "2.0") below
    the least the option ``name`` takes with the book's weights (:data:`INTEGER_LEASTS`): it was
    told "write it as 2", a value the option then refuses. Its rule is told in full
    (:data:`INTEGER_RULES`), with the fix of :func:`pass_fix`."""
    return (
        f"must be {INTEGER_RULES[name]}, got {text!r}, which is {which}; "
        f"{pass_fix(action, name, resuming=resuming, forced=forced)}"
    )


def pass_fix(action: argparse.Action, name: str, *, resuming: bool, forced: bool = False) -> str:
    """Return the fix of a value the option ``name`` refused: ``pass e.g.`` :func:`to_pass`'s value,
    or, on a command line that resumes a run (``resuming``), to leave the option out and keep the
    run's own: the --help default it advised (``--batch-size 10``) was then refused as a changed
    setting, and ``--epochs 3`` as not more than the epochs a run finished, which no number
    advised here can know. A resume ``forced`` (``--force``) is to change the setting: the value
    is advised as for a new run (:func:`keep_runs_value`)."""
    if not resuming:
        return f"pass e.g. {to_pass(action, name)}"
    if name == "--epochs":
        return (
            "pass more --epochs than the run already finished to train further, or leave "
            "--epochs out to finish the run's own"
        )
    return keep_runs_value(name, forced=to_pass(action, name) if forced else None)


def keep_runs_value(name: str, *, forced: str | None = None) -> str:
    """Return the fix of the option ``name`` refused on a command line that resumes a run: to
    leave it out, the run's own value kept (a value advised would be refused as a change); but
    where ``--force`` is given, the user means to change it: ``forced``, the option with a value
    it takes (``--num-examples 1000``), is advised (``pass e.g. --num-examples 1000``)."""
    if forced is not None:
        return f"pass e.g. {forced}"
    return f"leave {name} out to keep the run's value"


def to_pass(action: argparse.Action, name: str) -> str:
    """Return the value to pass to the option ``name`` after a refusal: its default where that is
    a number it takes (predict's ``-n 6``, data show's ``-n 18``, softmax's ``--batch-size 256``,
    linreg's ``--lr 0.03``, as the Python API's), else its example: ``-n 10`` was advised where
    the default is 6, for ``-n 0`` as for ``-n 101``, and linreg's ``--lr 0`` softmax's 0.1."""
    _, example = takes_example(action, name)
    default = action.default if action.default is not None else _help_default(action)
    if not isinstance(default, (int, float)) or isinstance(default, bool):
        return example
    most, least = INTEGER_MAXIMA.get(name), INTEGER_LEASTS.get(name)
    if (most is not None and default > most) or (least is not None and default < least):
        return example
    try:
        taken = callable(action.type) and action.type(str(default)) == default
    except (argparse.ArgumentTypeError, TypeError, ValueError):
        taken = False  # out of the converter's range: its example instead
    return f"{name} {default}" if taken else example


def _help_default(action: argparse.Action) -> int | float | None:
    """Return the number ``action``'s help names as its default ("global batch size (default:
    256)", "learning rate (default: 0.03)"), where its parsed default is None (a resume tells an
    option given from one left out): softmax's ``--batch-size 0`` was advised linreg's 10."""
    found = re.search(r"\bdefault: (\d+)(\.\d+)?\)?$", action.help or "")
    if found is None:
        return None
    return float(found[1] + found[2]) if found[2] else int(found[1])


def no_value(
    action: argparse.Action,
    pattern: str,
    words: Sequence[str],
    options_named: Callable[[str], list[tuple[argparse.Action, str]]],
) -> str:
    """Return the error of the option ``action`` given no value: ``pattern`` is argparse's
    reading of the words after it (one letter each: "O" an option, "-" for --, "A" a value),
    ``words`` the words parsed, ``options_named`` the parser's options a word names."""
    option = max(action.option_strings, key=len)
    wanted, example = takes_example(action, option)
    at = len(words) - len(pattern)  # the first word after the option
    word = words[at] if pattern and 0 <= at < len(words) else None
    values = "values" if action.nargs in ("+", "*") else "value"
    if not pattern:
        why = "nothing follows it"
    elif word is None:
        why = "the next word is an option"
    elif word == "--":
        why = "the next word, --, ends the options"
    elif not options_named(word):
        return (
            f"{option} takes {wanted} and got no {values}: the next word, {word}, begins with - and "
            f"reads as an option; to give it as the value, write {option}={word}"
        )
    else:
        why = f"the next word, {word}, is an option"
    return (
        f"{option} takes {wanted} and got no {values}: {why}; give its {values} right after it, "
        f"e.g. {example}"
    )


def required(message: str, actions: Sequence[argparse.Action], prog: str) -> str:
    """Return argparse's "the following arguments are required: RUN_DIR" with what RUN_DIR is
    and an example of it, e.g. ``linearnets predict runs/a`` (``prog`` the command's, ``actions``
    its arguments); other messages as they are."""
    names = message.removeprefix(REQUIRED)
    action = next(
        (a for a in actions if not a.option_strings and names in (a.metavar, a.dest)),
        None,
    )
    if names == message or action is None:
        return message
    wanted, example = takes_example(action, prog)
    return f"{names} is required and was not given: give {wanted}, e.g. {example}"


def _abbreviation(value: object, choices: list[str]) -> tuple[str, str] | None:
    """Return the fix for ``value``, the start of one of ``choices`` alone (``conc``), but for the
    blanks around it or its capitals (``Conc``), and that choice; else ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    meant = [choice for choice in choices if choice.startswith(value.strip().lower())]
    if len(meant) != 1:
        return None  # none, or the start of several ("s": scratch, softmax?): the choices tell
    respelling = respelled(value, meant[0].startswith)
    if respelling is None:
        return "write it in full", meant[0]
    changes = respelling[0]  # "write it in lower case and in full"
    full = " and in full" if changes.endswith("lower case") else " and write it in full"
    return changes + full, meant[0]


def ambiguous(word: str, options: list[tuple[argparse.Action, str]]) -> str:
    """Return the error of ``word``, an abbreviation of each of ``options``."""
    matches = ", ".join(option for _, option in options)
    return (
        f"{word.split('=', 1)[0]} is an abbreviation of more than one option ({matches}): "
        "write the one you mean in full"
    )


def choice_fix(action: argparse.Action, value: object) -> str | None:
    """Return the fix for ``value``, not among ``action``'s choices, where it is one but for the
    blanks around it or its capitals (``'scratch '``, ``'Scratch'``), or the start of one choice
    alone (``conc``: ``concise``, as argparse takes an option's abbreviation; ``Conc`` too), or
    one close in spelling (``softmx``: "did you mean softmax?", as a misspelt option is told);
    else ``None``."""
    choices = [str(choice) for choice in action.choices or ()]
    respelling = respelled(value, choices.__contains__) or _abbreviation(value, choices)
    if respelling is None:
        close = meant_name(value, choices) if isinstance(value, str) else None
        if close is None:
            return None
        option = f"{action.option_strings[-1]} " if action.option_strings else ""
        return f"did you mean {option}{close[1]}?"
    changes, fixed = respelling
    return (
        f"{changes}: pass {action.option_strings[-1]} {fixed}"  # as --device's fix says
        if action.option_strings
        else f"{changes}: {fixed}"
    )


def meant_option(name: str, options: Sequence[str]) -> str | None:
    """Return which of the long ``options`` the option ``name``, which none is, most likely
    meant, as :func:`~linearnets.config_values.meant_name` finds a setting: one close in spelling
    (``--ephocs``: ``--epochs``), else another library's name for it (``--learning-rate``:
    ``--lr``); ``None`` where none is. An option ``name`` reverses (``--no-json``: ``--json``)
    is never offered: it would do the opposite of what was typed."""
    reversed_ = {name.replace("--no-", "--", 1), name.replace("--", "--no-", 1)}
    longs = [o for o in options if o.startswith("--") and o not in reversed_]
    found = meant_name(name, longs)
    if found is not None:
        return found[1]
    settings = {option[2:].replace("-", "_"): option for option in longs}  # lr, num_examples
    found = meant_name(name.lstrip("-").replace("-", "_"), settings)
    return settings[found[1]] if found is not None else None
