"""The checks of the ``linearnets`` command line around argparse's: options given before their
command, and the words argparse left over (``--json`` where it does not apply, ``--version`` after a
command, a second positional word, an option no command or another command has), each refused in
one line that names the fix."""

from __future__ import annotations

import argparse
import shlex

from linearnets._shell import shell_word
from linearnets._text import and_list
from linearnets.cli._parser import OneLineParser
from linearnets.cli._usage_words import meant_option

__all__ = [
    "help_asked",
    "name_unknown_options_first",
    "names_json",
    "refuse_leftover_words",
    "refuse_misplaced_options",
]


def refuse_misplaced_options(parser: OneLineParser, argv: list[str]) -> None:
    """Refuse a command's option given before the command (``linearnets --epochs 3 softmax``)."""
    parser.refuse_options_before_command(argv)
    command_at = next((i for i, word in enumerate(argv) if not word.startswith("-")), len(argv))
    json_word = next(filter(names_json, argv[:command_at]), None)
    _, typed = parser._typed_command(argv[command_at:])
    if (
        json_word is not None
        and typed is not None
        and "--json" not in typed._option_string_actions
        and not _asks_help([parser, typed], argv)  # "--json predict --help": the help wins
    ):
        # "--json predict": once "RUN_DIR is required", where "predict --json" named --json
        typed.error(_no_json(typed.prog, json_word))
    # and an action's option before the action ("data -n 3" for "data show -n 3"); linearnets'
    # own options take no value, so the first other word is the command
    command = next((i for i, word in enumerate(argv) if not word.startswith("-")), None)
    if command is not None:
        actions = parser.subcommands.get(argv[command])
        if isinstance(actions, OneLineParser) and actions.subcommands:
            # ("data --json show": --json is told below, where it applies)
            words = [w for w in argv[command + 1 :] if not names_json(w)]
            actions.refuse_options_before_command(words, others=parser)


def _asks_help(parsers: list[argparse.ArgumentParser], argv: list[str]) -> bool:
    """Whether a word of ``argv`` before ``--`` names the --help of one of ``parsers`` (``-h``,
    ``--he``), which argparse prints before any other word is refused."""
    words = argv[: argv.index("--")] if "--" in argv else argv
    return any(
        isinstance(action, argparse._HelpAction)
        for parser in parsers
        if isinstance(parser, OneLineParser)
        for word in words
        if word.startswith("-")
        for action, _ in parser._options_named(word)
    )


def help_asked(parser: OneLineParser, argv: list[str]) -> argparse.ArgumentParser | None:
    """Return the command whose ``-h``/``--help`` (``--he``) a word of ``argv`` before ``--`` is,
    the command typed before it (``parser`` itself where none is): its help is printed as if
    given first. argparse acts on the words in turn, and ``softmax --epochs 0 --help`` was told
    the --epochs error where ``softmax --help --epochs 0`` printed the help. None: no help asked."""
    words = argv[: argv.index("--")] if "--" in argv else argv
    for at, word in enumerate(words):
        if not word.startswith("-") or "=" in word:  # --help=x: argparse's refusal stands
            continue
        _, typed = parser._typed_command(words[:at])
        if typed is None and _a_mistyped_command(parser, words[:at]):
            continue  # "sofmax --help": argparse's "invalid choice ... did you mean softmax?"
        if _a_mistyped_action(parser, words[:at]):
            continue  # "data sho --help": argparse's "invalid choice ... write it in full: show"
        command = typed if typed is not None else parser
        named = command._options_named(word) if isinstance(command, OneLineParser) else []
        if len(named) != 1 or not isinstance(named[0][0], argparse._HelpAction):
            continue
        if _glued_flags_read(command, word):
            return command
    return None


def _a_mistyped_command(parser: OneLineParser, words: list[str]) -> bool:
    """Whether ``words``, none of them a command, hold the word argparse reads as the command:
    one that is no option, first or after linearnets' own options (which take no value); a
    value after another command's option (``--epochs 0``) is not."""
    for at, word in enumerate(words):
        after = words[at - 1] if at else None
        if not word.startswith("-") and (after is None or after in parser._option_string_actions):
            return True
    return False


def _a_mistyped_action(parser: OneLineParser, words: list[str]) -> bool:
    """Whether ``words`` name a command with actions of its own (``data``) and, in its action's
    place, a word that is none of them (``data sho``): its first word that is no option and no
    option's value."""
    command: argparse.ArgumentParser = parser
    start = 0
    for at, word in enumerate(words):
        found = command.subcommands.get(word) if isinstance(command, OneLineParser) else None
        if found is not None:
            command, start = found, at + 1
    if command is parser or not isinstance(command, OneLineParser) or not command.subcommands:
        return False
    value_next = False
    for word in words[start:]:
        if value_next:
            value_next = False
        elif word.startswith("-"):
            action = command._option_string_actions.get(word)  # --data-dir=x: its value in it
            value_next = action is not None and action.nargs != 0
        else:
            return word not in command.subcommands
    return False


def _glued_flags_read(command: argparse.ArgumentParser, word: str) -> bool:
    """Whether argparse reads ``word``, a ``-h``, ``--help`` or ``--he`` (one dash, more letters:
    ``-hn``) as the help and the flags glued to it: each letter after ``-h`` one of
    ``command``'s one-letter options, up to one that takes a value, the rest of the word
    (``data show -hn 3``: ``-h -n 3``). ``-hx``, no ``-x``, is refused as -h given a value."""
    if word.startswith("--"):
        return True
    letters = word[2:]
    while letters:
        action = command._option_string_actions.get(f"-{letters[0]}")
        if action is None:
            return False
        if action.nargs != 0:  # -n: the rest of the word, or the next, is its value
            return True
        letters = letters[1:]
    return True


def name_unknown_options_first(parser: OneLineParser, argv: list[str]) -> None:
    """Have every command of ``parser`` name an option it does not have before a missing
    argument: "predict --wrnog" said "RUN_DIR is required", the mistyped option unsaid."""
    for command in parser._tree():
        command.unrecognized = lambda given, unknown: _unrecognized(parser, given, argv, unknown)


def refuse_leftover_words(
    parser: OneLineParser, args: argparse.Namespace, argv: list[str], unknown: list[str]
) -> None:
    """Refuse the words of ``argv`` no option took (``unknown``, as ``parse_known_args`` left
    them), naming the command given them, which has the ``--help`` to read."""
    # the word to drop: after the command, or before it (taken by linearnets itself)
    json_word = next(filter(names_json, unknown), None)
    if json_word is None and args.json_before_command:
        json_word = next(filter(names_json, argv), "--json")
    if not hasattr(args, "json") and json_word is not None:
        # "linearnets --json data show", "linearnets data show --json" (or --js, --json=1)
        given = parser.given(args)
        given.error(_no_json(given.prog, json_word))
    if "--version" in unknown:  # "linearnets softmax --version": linearnets' own option
        parser.given(args).error(
            "--version is an option of linearnets itself, not of its commands: write "
            "linearnets --version"
        )
    if unknown:
        _refuse_more_positionals(parser.given(args), args, unknown)
    if unknown:  # named by the subcommand that was given them, which has the --help to read
        parser.given(args).error(_unrecognized(parser, parser.given(args), argv, unknown))


def _unrecognized(
    parser: OneLineParser, given: argparse.ArgumentParser, argv: list[str], unknown: list[str]
) -> str:
    """Return the error of words no option took, each quoted as the shell reads it back (an empty
    word as '', "a b" in quotes): another command's option as that command's, an option none has
    with the one meant where one is close, a word after a flag as the value it does not take."""
    first, words = unknown[0], " ".join(shlex.quote(word) for word in unknown)
    json_word = next(filter(names_json, unknown), None)
    if json_word is not None and "--json" not in given._option_string_actions:
        return _no_json(given.prog, json_word)  # "predict --json", said as "predict X --json"
    after_dashes = _option_after_dashes(argv, unknown)
    if after_dashes is not None:
        # "predict -- -run -n 3": -n was named as data show's, "data show -- -n 3" to be dropped
        positionals = [a for a in given._actions if not a.option_strings and a.nargs is None]
        takes = "no argument"
        if positionals:
            metavar = positionals[0].metavar
            takes = f"one {metavar if isinstance(metavar, str) else positionals[0].dest.upper()}"
        return (
            f"unrecognized arguments: {words}: {after_dashes} after -- is taken as an argument, "
            f"not an option, and {given.prog} takes {takes}; put options before --"
        )
    at = argv.index(first) if first in argv else 0
    flag = argv[at - 1] if at > 0 else ""
    action = given._option_string_actions.get(flag.split("=", 1)[0])
    if action is not None and action.nargs == 0 and not first.startswith("-"):
        # "--json 0": argparse said "unrecognized arguments: 0"
        return (
            f"unrecognized arguments: {words}: {flag} is a flag and takes no value, got "
            f"{shlex.quote(first)} after it; write {flag} alone"
        )
    if first.startswith("-") and first != "--":  # "--ephocs": argparse named it, and no fix
        name = first.split("=", 1)[0]
        short = name[1:]  # "--n" for -n: no command has --n
        taken = argv[at + 1] if at + 1 < len(argv) else None
        if taken is not None and ("=" in first or unknown[1:2] == [taken]):
            taken = None  # its value is in it, or left over with it: named already

        def with_value(takes_value: bool) -> str:
            # "predict --n 3 sm": the command took 3 as RUN_DIR, and "--n sm" was named
            if taken is None or not takes_value:
                return words
            return " ".join(shlex.quote(w) for w in [first, taken, *unknown[1:]])

        family = given.prog.split()[1:2]  # "data download --n 3": data show's -n
        siblings = [
            path
            for path in parser._owners(short)[0]
            if name.startswith("--") and path.split()[:1] == family
        ]
        if name.startswith("--") and short in given._option_string_actions:
            meant = given._option_string_actions[short]
            return (
                f"unrecognized arguments: {with_value(meant.nargs != 0)}: {given.prog} has no "
                f"option {name}; did you mean {short}?"
            )
        if siblings and not given._get_option_tuples(name):
            return (
                f"unrecognized arguments: {with_value(_takes_value(parser, short))}: "
                f"{given.prog} has no option {name}; did you mean {short}, an option of "
                f"{and_list(siblings)}?"
            )
        owners, shown = parser._owners(name)
        owners = [owner for owner in owners if f"{parser.prog} {owner}" != given.prog]
        if owners:  # "predict --data x.npz": softmax's and linreg's
            # "predict --epochs 1 /tmp/x": the command took its value (1 as RUN_DIR)
            return (
                f"unrecognized arguments: {with_value(_takes_value(parser, name))}: {shown} is "
                f"an option of {and_list(owners)}, not of {given.prog}"
            )
        close = meant_option(name, list(given._option_string_actions))
        if close is None:
            return f"unrecognized arguments: {words}: {given.prog} has no option {name}"
        meant = given._option_string_actions[close]
        return (
            f"unrecognized arguments: {with_value(meant.nargs != 0)}: {given.prog} has no option "
            f"{name}; did you mean {close}?"
        )
    them = "them" if len(unknown) > 1 else "it"
    return f"unrecognized arguments: {words}: no option of {given.prog} takes {them}; drop {them}"


def _no_json(prog: str, json_word: str) -> str:
    """Return the error of ``json_word`` (--json, --js, --json=1) given to ``prog``, a command
    without --json, wherever it was typed."""
    return (
        f"--json is an option of linearnets softmax and linreg only (they end with one JSON "
        f"object of their results); {prog} has no results as JSON, only this error's object: "
        f"drop {json_word}"
    )


def _option_after_dashes(argv: list[str], unknown: list[str]) -> str | None:
    """Return the first of ``unknown`` that reads as an option but comes after ``--`` in
    ``argv``, where every word is an argument; ``None`` where there is none."""
    if "--" not in argv:
        return None
    after = argv[argv.index("--") + 1 :]
    return next((w for w in unknown if w.startswith("-") and w != "--" and w in after), None)


def _takes_value(parser: OneLineParser, name: str) -> bool:
    """Whether the option ``name`` (whole, or an abbreviation as its commands read it) takes a
    value in the commands that have it."""
    for _, command in parser._commands():
        options = command._option_string_actions
        found = (
            [options[name]]
            if name in options
            else [options[o] for o in options if o.startswith(name)]
        )
        if len(found) == 1:
            return found[0].nargs != 0
    return False


def _refuse_more_positionals(
    given: argparse.ArgumentParser, args: argparse.Namespace, unknown: list[str]
) -> None:
    """Refuse words left over after the one positional argument a command takes (``linearnets
    predict runs/*`` matching two runs): argparse said "unrecognized arguments: runs/b"."""
    positionals = [a for a in given._actions if not a.option_strings and a.nargs is None]
    if len(positionals) != 1 or any(word.startswith("-") for word in unknown):
        return
    action = positionals[0]
    first = getattr(args, action.dest, None)
    if first is None:
        return
    name = action.metavar if isinstance(action.metavar, str) else action.dest.upper()
    words = [str(first), *unknown]
    given.error(
        f"expected one {name}, got {len(words)} ({and_list(words)}): give one per command, e.g. "
        f"{given.prog} {shell_word(first)}"
    )


def names_json(word: str) -> bool:
    """Whether ``word`` is --json as argparse reads it: whole or abbreviated (--js), with a value
    (--json=1) or not."""
    name = word.split("=", 1)[0]
    return len(name) > 2 and "--json".startswith(name)
