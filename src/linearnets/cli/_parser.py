"""The command's argument parser: one line per usage error, negative numbers read as values.

The words of the errors it rewords are :mod:`linearnets.cli._usage_words`'.

See :func:`linearnets.cli.build_parser` for the ``linearnets`` command assembled from it.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from linearnets._text import and_list, printable
from linearnets.cli import _ranks
from linearnets.cli._help_formatter import SpeltHelpFormatter
from linearnets.cli._invocation import as_started
from linearnets.cli._options import (
    INTEGER_LEASTS,
    INTEGER_MAXIMA,
    NUMBERS,
    RANGE_TOLD,
    RESIZE_FIX,
    OutOfRange,
    Respelled,
    TooLarge,
)
from linearnets.cli._report import EXIT_USAGE, output_closed
from linearnets.cli._usage_words import (
    REQUIRED,
    ambiguous,
    below_least,
    choice_fix,
    exact_rule,
    meant_option,
    no_value,
    pass_fix,
    past_most,
    required,
    takes_example,
)
from linearnets.config_values import meant_name

__all__ = ["OneLineParser", "UsageExit"]

# argparse takes "-1" and "-0.5" as values but "-1e-3", "-inf" and "-nan" as unknown options, so
# "--lr -1e-3" failed with "expected one argument" instead of naming the value and the rule; any
# word that starts as a negative number does ("-1e", "-1_0", "-0x1"), for the option's type to
# name it: no option of the command starts with a digit
_NEGATIVE_NUMBER = re.compile(r"^-\.?\d|^-(inf|infinity|nan)$", re.IGNORECASE)


class UsageExit(SystemExit):
    """The ``SystemExit`` of a command line that did not parse; ``message`` is what was printed."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_USAGE)
        self.message = message


class OneLineParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line naming the problem, then exit 2.

    Any negative number, in any float spelling, is read as an option's value (which the option's
    type then checks), not as an unknown option. The errors argparse words itself (a flag given a
    value, an option given none, an ambiguous abbreviation, a missing argument) name the rule, the
    word given and the fix too. Its help is wrapped as its output writes it
    (:class:`~linearnets.cli._help_formatter.SpeltHelpFormatter`: ``§`` as ``section `` in ASCII).
    """

    subcommands: dict[str, argparse.ArgumentParser]  # its subcommands (or actions) by name
    subcommand_dest: str  # the attribute of the parsed arguments that names the one given

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", SpeltHelpFormatter)  # its subcommands' too
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER  # argparse's own attribute, widened
        self.subcommands = {}
        self.subcommand_dest = ""
        self.whole_options: set[str] = set()
        self._words: list[str] = []  # the words this parser is parsing, for its errors to name
        # the error of words no option of this parser takes (given: the parser and the words), for
        # "RUN_DIR is required" not to hide an option mistyped ("predict --wrnog")
        self.unrecognized: Callable[[OneLineParser, list[str]], str] | None = None

    def add_debug_everywhere(self) -> None:
        """Accept ``--debug`` after every subcommand and action too, not only before them."""
        for command in self.subcommands.values():
            # SUPPRESS: left out, it must not reset a --debug given earlier
            command.add_argument(
                "--debug",
                action="store_true",
                default=argparse.SUPPRESS,
                help="add the traceback of an error to its line",
            )
            if isinstance(command, OneLineParser):
                command.add_debug_everywhere()

    def refuse_other_commands_options(self) -> None:
        """Take no word that is a whole option of another subcommand as an abbreviation of one
        here: ``predict --data`` (softmax's option, a file) once read as ``--data-dir``, and the
        error then named --data-dir and a fix that failed again; it is now unrecognized here."""
        parsers = list(self._tree())
        whole = {name for parser in parsers for name in parser._option_string_actions}
        for parser in parsers:
            parser.whole_options = whole

    def refuse_options_before_command(
        self, argv: Sequence[str], *, others: OneLineParser | None = None
    ) -> None:
        """Refuse a subcommand's option given before any command (``linearnets --epochs 3
        softmax``): argparse took its value for the command, "invalid choice: '3'", and never
        named the option. ``others``: the parser whose other commands' options are named too
        (``linearnets data --epochs 2``: linreg's and softmax's, not data's)."""
        value_of_own = False
        for i, word in enumerate(argv):
            if value_of_own:  # the value of this parser's own option ("data --data-dir DIR")
                value_of_own = False
                continue
            name = word.split("=", 1)[0]
            if not word.startswith("-") or word in ("-", "--") or self._is_negative(word):
                return  # the command ("-" is a value, as argparse reads it): what follows is its own
            own = self._option_string_actions.get(name)
            if own is not None or self._get_option_tuples(word):
                # this parser's own (--debug, --json, --js), taken before the command
                value_of_own = own is not None and own.nargs != 0 and "=" not in word
                continue
            self._refuse_for_typed_command(argv, i)
            owners, name = self._owners(name)
            if not owners:
                self._refuse_one_dash(argv, i)
            if not owners and others is not None:
                self._refuse_others_option(argv[i:], others)
            if not owners:  # argparse said "the following arguments are required: COMMAND"
                close = meant_option(name, list(self._option_string_actions))  # "--verison"
                self.error(
                    f"unrecognized arguments: {word} (no option of {self.prog} or its commands)"
                    + (f"; did you mean {close}?" if close is not None else "")
                )
            given = next((w for w in argv[i:] if w in self.subcommands), None)  # a command after
            owner = next((o for o in owners if o.split()[0] == given), owners[0])
            value = self._value_after(argv, i, self._action_of(owner, word.split("=", 1)[0]))
            example = " ".join([self.prog, owner, word, *value])
            self.error(
                f"{name} is an option of {and_list(owners)}, not of {self.prog}: give it "
                f"after its command, e.g. {example} ..."
            )

    def _refuse_for_typed_command(self, argv: Sequence[str], at: int) -> None:
        """Refuse ``argv[at]``, a long option before the command, as the command typed after it
        reads it: an abbreviation of more than one of its options (``--re 5 softmax``: --resume
        and --resize), or a single-letter option written with two dashes (``data --n 3``: -n of
        data show). Either was credited to another command that reads it as one option alone
        (linreg's --resume, softmax's --no-guard). Return where neither is so."""
        word = argv[at]
        name = word.split("=", 1)[0]
        if not name.startswith("--") or name in self.whole_options:
            return
        path, command = self._typed_command(argv[at + 1 :])
        if command is None:
            return
        options = command._option_string_actions
        if name in options:
            return
        value = argv[at + 1] if "=" not in word and at + 1 < len(argv) else None
        if value is not None and (value.startswith("-") or value in self.subcommands):
            value = None
        matches = [o for o in options if o.startswith(name)]
        if len(matches) > 1:
            example = " ".join([self.prog, path, matches[0], *([value] if value else [])])
            self.error(
                f"{name} is an abbreviation of more than one option of {path} "
                f"({', '.join(matches)}), and not an option of {self.prog}: write the one you "
                f"mean in full after its command, e.g. {example} ..."
            )
        if matches:
            return
        # "data --n 3" (show's -n), the action not yet typed: the one that has it
        commands = [(path, command)] if path else []
        if isinstance(command, OneLineParser):
            commands += [(f"{path} {p}".strip(), c) for p, c in command._commands()]
        short = next((p for p, c in commands if name[1:] in c._option_string_actions), None)
        if short is not None:
            example = " ".join([self.prog, short, name[1:], *([value] if value else [])])
            self.error(
                f"{name} is not an option of {self.prog}; did you mean {name[1:]}, an option "
                f"of {short}? Give it after its command, e.g. {example} ..."
            )

    def _refuse_one_dash(self, argv: Sequence[str], at: int) -> None:
        """Refuse ``argv[at]``, a long option written with one dash (``-epochs 3 linreg``,
        ``data -data-dir d``), naming it with two as the subcommands' errors do; return where
        no option is so named."""
        word = argv[at]
        name = word.split("=", 1)[0]
        if name.startswith("--") or len(name) < 3:
            return
        meant = f"-{name}"
        value = argv[at + 1] if "=" not in word and at + 1 < len(argv) else None
        if value is not None and (value.startswith("-") or value in self.subcommands):
            value = None
        own = self._option_string_actions.get(meant)
        if own is not None:  # "-debug linreg", "data -data-dir d"
            words = " ".join(shlex.quote(w) for w in [word, *([value] if value else [])])
            self.error(
                f"unrecognized arguments: {words if own.nargs != 0 else word}: {self.prog} has "
                f"no option {name}; did you mean {meant}?"
            )
        owners, _ = self._owners(meant)
        if not owners:
            return
        given = next((w for w in argv[at:] if w in self.subcommands), None)
        owner = next((o for o in owners if o.split()[0] == given), owners[0])
        action = self._action_of(owner, meant)
        if "=" in word:  # "-lr=0.1 linreg": "e.g. linearnets linreg --lr 0.1", its value kept
            value = word.split("=", 1)[1]
        if action is not None and action.nargs == 0:  # "-no-guard 3 linreg": a flag takes none
            value = None
        example = " ".join([self.prog, owner, meant, *([value] if value else [])])
        self.error(
            f"unrecognized arguments: {word}: {self.prog} has no option {name}; did you mean "
            f"{meant}, an option of {and_list(owners)}? Give it after its command, e.g. "
            f"{example} ..."
        )

    def _value_after(
        self, argv: Sequence[str], at: int, action: argparse.Action | None
    ) -> list[str]:
        """Return the word after ``argv[at]`` as its option's value, for an example: none where
        the option is a flag (``--no 3 softmax``), holds its value after "=", or the word is
        another option or a command (``--no-guard softmax``: no value, the command)."""
        if (action is not None and action.nargs == 0) or "=" in argv[at] or at + 1 >= len(argv):
            return []
        value = argv[at + 1]
        if (value.startswith("-") and not self._is_negative(value)) or value in self.subcommands:
            return []
        return [value]

    def _action_of(self, path: str, name: str) -> argparse.Action | None:
        """Return the option ``name`` of the command ``path`` (``"data show"``), by its whole
        name or as the abbreviation of one option alone; None where it has none such."""
        options = dict(self._commands()).get(path)
        if options is None:
            return None
        actions = options._option_string_actions
        matches = [o for o in actions if o.startswith(name)] if name.startswith("--") else []
        return actions.get(name) or (actions[matches[0]] if len(matches) == 1 else None)

    def _typed_command(self, words: Sequence[str]) -> tuple[str, argparse.ArgumentParser | None]:
        """Return the command (and action) ``words`` name after this parser, with its words
        (``"data show"``); ``("", self)`` where none is named and this parser has actions of its
        own to take the option (``linearnets data``), else ``("", None)``."""
        path: list[str] = []
        command: argparse.ArgumentParser = self
        for word in words:
            if word == "--":
                break
            found = command.subcommands.get(word) if isinstance(command, OneLineParser) else None
            if found is not None:
                path.append(word)
                command = found
        if path:
            return " ".join(path), command
        return "", (self if self.prog != "linearnets" else None)

    def _refuse_others_option(self, words: Sequence[str], others: OneLineParser) -> None:
        """Refuse ``words[0]``, an option of another of ``others``' commands, with its value:
        "unrecognized arguments: --epochs 2: --epochs is an option of linreg and softmax, not of
        linearnets data"; return where no other command has it."""
        word = words[0]
        owners, shown = others._owners(word.split("=", 1)[0])
        if not owners:
            return
        value = words[1:2] if "=" not in word and words[1:2] != [] else []
        if value and (value[0].startswith("-") or value[0] in self.subcommands):
            value = []
        given = " ".join(shlex.quote(w) for w in [word, *value])
        self.error(
            f"unrecognized arguments: {given}: {shown} is an option of {and_list(owners)}, "
            f"not of {self.prog}"
        )

    def _owners(self, name: str) -> tuple[list[str], str]:
        """Return the commands that take the option ``name`` (by its whole name, else as an
        abbreviation, as each command would take it) and the name to show: ``--epoch (--epochs)``."""
        owners = [
            path for path, parser in self._commands() if name in parser._option_string_actions
        ]
        if owners or not name.startswith("--") or name in self.whole_options:
            # another command's whole option ("--data", softmax's file) is no abbreviation here
            # ("data --data x.npz show" was told "e.g. data show --data x.npz", which show refuses)
            return owners, name
        # a command takes it where it abbreviates one option alone: "--n" is linreg's
        # --num-examples, --noise-std and --no-guard at once, which linreg refuses as ambiguous
        found = {
            path: [o for o in parser._option_string_actions if o.startswith(name)]
            for path, parser in self._commands()
        }
        found = {path: options for path, options in found.items() if len(options) == 1}
        full = {o for options in found.values() for o in options}
        shown = f"{name} ({full.pop()})" if len(full) == 1 else name
        return list(found), shown

    def _is_negative(self, word: str) -> bool:
        return bool(self._negative_number_matcher.match(word))

    def _commands(self, path: str = "") -> Iterator[tuple[str, argparse.ArgumentParser]]:
        """Yield each subcommand (and action) under this parser with its words, e.g. "data show"."""
        for name, command in self.subcommands.items():
            words = f"{path} {name}".strip()
            yield words, command
            if isinstance(command, OneLineParser):
                yield from command._commands(words)

    def _tree(self) -> Iterator[OneLineParser]:
        yield self
        for command in self.subcommands.values():
            if isinstance(command, OneLineParser):
                yield from command._tree()

    def _parse_known_args(self, arg_strings: list[str], *args: Any, **kwargs: Any) -> Any:
        # (*args, **kwargs: later Pythons pass more, e.g. intermixed)
        self._words = list(arg_strings)
        try:
            return super()._parse_known_args(arg_strings, *args, **kwargs)
        except argparse.ArgumentError as exc:
            # "--json=1" said "argument --json: ignored explicit argument '1'": no rule, no fix
            flag = next(
                (
                    a
                    for a in self._actions
                    if a.nargs == 0 and "/".join(a.option_strings) == exc.argument_name
                ),
                None,
            )
            given = self._value_of_flag(flag) if flag is not None else None
            if given is None:
                raise
            word, option = given
            raise argparse.ArgumentError(
                None, f"{option} takes no value, got {word!r}: write {option} alone"
            ) from None

    def _value_of_flag(self, flag: argparse.Action) -> tuple[str, str] | None:
        """Return the word that gave the option ``flag`` a value and the option it names in it:
        ``("--js=1", "--json")``; ``None`` if none did."""
        for word in self._words:
            if word == "--":
                return None
            if not word.startswith("-"):
                continue
            for action, option in self._options_named(word):
                # "--json=1", and "-h=1" or "-hx" for a one-letter option
                long = option.startswith("--")
                if action is flag and ("=" in word if long else len(word) > len(option)):
                    return word, option
        return None

    def _options_named(self, word: str) -> list[tuple[argparse.Action, str]]:
        """Return the options ``word`` names (several: an ambiguous abbreviation), each with its
        option string: the whole one, as argparse reads the word."""
        name = word.split("=", 1)[0]
        whole = self._option_string_actions.get(name)
        if whole is not None:
            return [(whole, name)]
        return [(found[0], found[1]) for found in self._get_option_tuples(word)]

    def _match_argument(self, action: argparse.Action, arg_strings_pattern: str) -> int:
        try:
            return int(super()._match_argument(action, arg_strings_pattern))
        except argparse.ArgumentError:
            # "argument --epochs: expected one argument": not what it takes, nor what came instead
            raise argparse.ArgumentError(
                None, no_value(action, arg_strings_pattern, self._words, self._options_named)
            ) from None

    def _parse_optional(self, arg_string: str) -> Any:
        if self._is_negative(arg_string):
            return None  # a value: "-n -nan" was read as -n given "an", after -n with no value
        if arg_string.startswith("-") and len(arg_string) > 1:
            self._refuse_glued_letters(arg_string)
            options = self._options_named(arg_string)
            if len(options) > 1:
                # argparse's "ambiguous option: --d could match --data-dir, --data" said no fix
                owner = self._owner_of(arg_string)
                owned = owner._options_named(arg_string) if owner is not None else []
                if owner is not None and len(owned) > 1:
                    # "data show --d": argparse reads every word here first; the action's own
                    # options and --help are the ones to name
                    owner.error(ambiguous(arg_string, owned))
                raise argparse.ArgumentError(None, ambiguous(arg_string, options))
        return super()._parse_optional(arg_string)

    def _unknown_options(self) -> list[str]:
        """Return the words parsed here that read as options this parser does not have."""
        unknown = []
        for word in self._words:
            if word == "--":
                break
            if not word.startswith("-"):  # a value: argparse's lookup of it as an option
                continue  # said "unexpected option string: p.png" ("predict --out p.png")
            if not (word == "-" or self._is_negative(word) or self._options_named(word)):
                unknown.append(word)
        return unknown

    def _refuse_glued_letters(self, word: str) -> None:
        """Refuse ``word`` where argparse would read it as a short option of numbers given the
        letters after it: "-num 3" said "argument -n: must be a positive integer, got 'um'"."""
        short, rest = word[:2], word[2:]
        action = self._option_string_actions.get(short)
        if word.startswith("--") or action is None or action.type not in NUMBERS:
            return
        if not rest[:1].isalpha():
            return  # "-n3", "-n=3": -n given 3
        at = self._words.index(word) if word in self._words else len(self._words)
        after = self._words[at + 1 : at + 2]
        value = after[0] if after and not after[0].startswith("-") else None
        example = f"{short} {value}" if value is not None else takes_example(action, short)[1]
        close = meant_option(f"-{word}", list(self._option_string_actions))
        meant = f"{example} or {close}" if close else example
        raise argparse.ArgumentError(
            None,
            f"{word} is not an option of {self.prog} ({short} would take {rest!r} as its value); "
            f"did you mean {meant}?",
        )

    def _owner_of(self, word: str) -> OneLineParser | None:
        """Return the subcommand (or action) named before ``word``, which parses it; ``None``
        where ``word`` comes first (or after ``--``)."""
        for given in self._words:
            if given in (word, "--"):
                return None
            command = self.subcommands.get(given)
            if isinstance(command, OneLineParser):
                return command
        return None

    def _get_option_tuples(self, option_string: str) -> Any:
        if len(option_string) < 2:  # "-" alone, a value: argparse's own read its second letter
            return []  # (an IndexError, said as a traceback)
        word = option_string.split("=", 1)[0]
        if word in self.whole_options and word not in self._option_string_actions:
            return []  # another command's option, not an abbreviation of one of ours
        return super()._get_option_tuples(option_string)

    def given(self, args: argparse.Namespace) -> argparse.ArgumentParser:
        """Return the innermost subcommand (or action) ``args`` were parsed by: it has the --help."""
        name = getattr(args, self.subcommand_dest, None) if self.subcommand_dest else None
        command = self.subcommands.get(name) if isinstance(name, str) else None
        if command is None:
            return self
        return command.given(args) if isinstance(command, OneLineParser) else command

    def _resuming(self) -> bool:
        """Return whether the words parsed resume a run (``--resume``): a value refused is then
        fixed by leaving its option out, not by the --help default, which the resume may refuse.

        Only this parser's own --resume counts, spelt as argparse takes it: whole, or abbreviated
        where no other option of this parser begins so (``--res r4``); a command without one
        (predict, data show) resumes nothing, and a word after ``--`` is no option.
        """
        return self._given("--resume")

    def _forcing(self) -> bool:
        """Return whether the words parsed hold ``--force`` (told as :meth:`_resuming` tells
        ``--resume``): a resume that changes its settings, whose refused value is fixed by one
        the option takes, not by leaving the option out (``--lr -1 --force``)."""
        return self._given("--force")

    def _past_most(
        self, action: argparse.Action, option: str, refused: str, *, which: str = ""
    ) -> argparse.ArgumentError:
        """Return the refusal of ``option``'s integer past its most, or out of a range told whole
        (:func:`past_most`), its fix as the words parsed want it (:meth:`_resuming`,
        :meth:`_forcing`)."""
        told = past_most(
            action, option, refused, which, resuming=self._resuming(), forced=self._forcing()
        )
        return argparse.ArgumentError(action, told)

    def _given(self, option: str) -> bool:
        """Return whether this parser's own ``option`` is among the words parsed before ``--``,
        whole or abbreviated where no other option of this parser begins so."""
        wanted = self._option_string_actions.get(option)
        if wanted is None:
            return False
        for word in self._words:
            if word == "--":
                return False
            name = word.split("=", 1)[0]
            if self._option_string_actions.get(name) is wanted:
                return True
            if not (self.allow_abbrev and name.startswith("--") and len(name) > 2):
                continue
            if name in self.whole_options and name not in self._option_string_actions:
                continue  # another command's option, not an abbreviation (_get_option_tuples)
            meant = {a for o, a in self._option_string_actions.items() if o.startswith(name)}
            if meant == {wanted}:
                return True
        return False

    def _get_value(self, action: argparse.Action, arg_string: str) -> Any:
        try:
            value = super()._get_value(action, arg_string)
        except argparse.ArgumentError as exc:
            # "argument --epochs: must be a positive integer (>= 1), got 0" had no fix: the
            # converter cannot name the option, an example of which is the fix
            if not action.option_strings:
                raise
            option = max(action.option_strings, key=len)
            if exc.message.endswith(f"; {RESIZE_FIX}") and self._resuming():
                # the converter's own fix, "--resize 64, or --resize none", a new run's: a resume
                # refuses another --resize even forced, so it is told pass_fix's, as others are
                kept = exc.message[: -len(RESIZE_FIX)]
                raise argparse.ArgumentError(
                    action, f"{kept}{pass_fix(action, option, resuming=True)}"
                ) from None
            respelled = exc.__context__
            if isinstance(respelled, Respelled):
                # "-n 1e3" once said "write it as 1000", which -n then refused (at most 100), and
                # "--num-examples 2.0" "write it as 2", below its least (3 for the book's 2)
                most, least = INTEGER_MAXIMA.get(option), INTEGER_LEASTS.get(option)
                spelling = respelled.spelling
                if option == "--resize" and self._resuming():
                    # "--resize 1e3" was told "write it as 1000", which a resume refuses even
                    # forced (another size, other weights): told to leave it out, as 0 is
                    kept = exc.message.removesuffix(f"; write it as {spelling}")
                    raise argparse.ArgumentError(
                        action, f"{kept}; {pass_fix(action, option, resuming=True)}"
                    ) from None
                if not spelling.isdigit():
                    raise
                if most is not None and int(spelling) > most:
                    raise self._past_most(
                        action, option, respelled.refused, which=spelling
                    ) from None
                if least is not None and int(spelling) < least:
                    raise argparse.ArgumentError(
                        action,
                        below_least(
                            action,
                            option,
                            arg_string,
                            spelling,
                            resuming=self._resuming(),
                            forced=self._forcing(),
                        ),
                    ) from None
                # taken as respelled: "--num-examples 3.0" told its own rule, not ">= 1"'s
                raise argparse.ArgumentError(
                    action, exact_rule(action, option, exc.message)
                ) from None
            most = INTEGER_MAXIMA.get(option)
            if isinstance(respelled, TooLarge) and most is not None:
                # "--epochs 1e20" was told "must be a positive integer", a rule 10**20 meets
                raise self._past_most(action, option, respelled.refused) from None
            # a number out of range, or none at all ("1.5", "abc", "", "0x10" for --lr): both
            # given the option's example, as "--epochs 0" always was
            if not isinstance(respelled, OutOfRange) and action.type not in NUMBERS:
                raise
            if isinstance(respelled, OutOfRange) and option in RANGE_TOLD and most is not None:
                # "-n 0" told its range, from 1 to 100, as "-n 101" is
                raise self._past_most(action, option, exc.message) from None
            # "--num-examples 0" was told >= 1, where 1 and 2 are refused
            message = exact_rule(action, option, exc.message)
            raise argparse.ArgumentError(
                action,
                f"{message}; {pass_fix(action, option, resuming=self._resuming(), forced=self._forcing())}",
            ) from None
        most = INTEGER_MAXIMA.get(max(action.option_strings, key=len, default=""))
        if most is not None and isinstance(value, int) and value > most:
            # "--epochs 10000000000000000000" passed, to be told after torch loaded "pass at most
            # 4611686018427387904", where "--epochs 1e19" is refused here: both are, alike
            option = max(action.option_strings, key=len)
            wanted, _ = takes_example(action, option)
            raise self._past_most(action, option, f"must be {wanted}, got {arg_string!r}")
        return value

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        """Refuse a value not among ``action``'s choices, as argparse does, with the choice it is
        but for its blanks or capitals where there is one: ``--impl 'scratch '`` (a script's
        variable, a pasted line) and ``--impl Scratch`` were told only the choices."""
        if value == "--" and isinstance(action, argparse._SubParsersAction):
            self._refuse_dashes_for_command(action)
        try:
            super()._check_value(action, value)
        except argparse.ArgumentError as exc:
            fix = choice_fix(action, value)
            if fix is None:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}; {fix}") from None

    def _refuse_dashes_for_command(self, action: argparse.Action) -> NoReturn:
        """Refuse ``--`` where the command (or action) goes (``linearnets -- softmax --help``):
        argparse said "invalid choice: '--'". The fix is the command line as typed without that
        ``--`` (the options before it kept), a misspelt command as the one meant, ``--help`` as
        the help; ``--`` goes after the command (and its action) where a later word reads as an
        option they lack (a RUN_DIR ``-x``)."""
        metavar = action.metavar if isinstance(action.metavar, str) else "COMMAND"
        what = metavar.strip("[]").lower()
        at = self._words.index("--") if "--" in self._words else len(self._words)
        before, after = self._words[:at], self._words[at + 1 :]
        choices = dict(action.choices or {})
        if after and after[0] in ("-h", "--help"):
            after = after[:1]  # its help, as asked
        elif after and after[0] not in choices:
            found = meant_name(after[0], [str(choice) for choice in choices])
            if found is None:
                raise argparse.ArgumentError(
                    action,
                    f"no {what} was given before --, which ends the options (every word after "
                    f"it is an argument): put the {what} first ({', '.join(map(str, choices))})",
                )
            after = [found[1], *after[1:]]
        if after and after[0] in choices:
            command, rest, used = choices[after[0]], after[1:], 1
            for sub in command._actions:  # data's action, whose options the words after it are
                if isinstance(sub, argparse._SubParsersAction) and rest and rest[0] in sub.choices:
                    command, rest, used = sub.choices[rest[0]], rest[1:], 2
            if isinstance(command, OneLineParser) and any(
                word.startswith("-") and not command._options_named(word) for word in rest
            ):  # "predict -- -x": -x, a run folder's name
                after = [*after[:used], "--", *rest]
        example = " ".join([self.prog, *(shlex.quote(word) for word in [*before, *after])])
        raise argparse.ArgumentError(
            action,
            f"no {what} was given before --, which ends the options (every word after it is an "
            f"argument): put the {what} first, e.g. {example}",
        )

    def _print_message(self, message: str, file: Any = None) -> None:
        # --help and --version: under torchrun every rank parses the same argv and shares one
        # terminal, where rank 0 alone prints them (a rank started by hand has its own)
        if _ranks.rank() != 0 and _ranks.by_launcher():
            return
        if file is None or file is not sys.stdout or not message:
            super()._print_message(message, file)  # an error's line (nowhere else to say it), >&-
            return
        try:  # argparse's own swallows an OSError: >/dev/full exited 0 with no help written
            file.write(message)
        except OSError as exc:
            if isinstance(exc, BrokenPipeError) and output_closed():
                return  # `| head` read what it wanted
            from linearnets.cli._outcomes import report_output_lost  # loaded once it fails

            what = "its help" if message.startswith("usage:") else "the version"
            self.exit(report_output_lost(exc, self.prog, what=what))

    def error(self, message: str) -> NoReturn:
        # every rank parses its argv: rank 0 alone says what is wrong where the others are
        # stopped while they wait (torchrun stops them once rank 0 exits, with the same argv); an
        # argv of this rank's own (a wrapper's per-rank options, a machine whose paths differ, a
        # rank started by hand) is said here once rank 0 did not stop it in that time: under
        # torchrun rank 0 then only told of its SIGTERM, and said to run the same command again
        rank = _ranks.rank()
        # under torchrun, longer: on a busy machine rank 0 may parse a moment after this one
        seconds = 5.0 if _ranks.by_launcher() else 2.0
        if rank != 0 and not _ranks.let_rank_0_speak(seconds):
            self.exit(EXIT_USAGE)
        unknown = self._unknown_options() if message.startswith(REQUIRED) else []
        if unknown and self.unrecognized is not None:
            message = self.unrecognized(self, unknown)
        # argparse names the words given as they are ("unrecognized arguments: a\x85b")
        text = printable(f"{required(message, self._actions, self.prog)} (see {self.prog} --help)")
        text = as_started(text)  # the commands it gives, --help's too, as the user can type them
        who = f"{self.prog} (rank {rank})" if rank else self.prog
        super()._print_message(f"{who}: error: {text}\n", sys.stderr)  # not --help's: said here
        raise UsageExit(text)
