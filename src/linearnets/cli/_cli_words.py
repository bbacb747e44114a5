"""The library's messages in the command line's words: a setting's Python name as its option
(``lr=0.1`` as ``--lr 0.1``), a ``linearnets.resume_softmax(...)`` call as the command that does
the same (``linearnets softmax --resume ...``), a value as the option takes it. See
:mod:`linearnets.cli._report`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable

from linearnets._shell import shell_word
from linearnets._text import shown_path

__all__ = ["cli_spelling", "cli_words"]

# settings checked by the library under their Python names, and the options that set them
_OPTIONS = {
    "epochs": "--epochs",
    "lr": "--lr",
    "batch_size": "--batch-size",
    "num_examples": "--num-examples",
    "noise_std": "--noise-std",
    "num_threads": "--threads",
    "seed": "--seed",
    "resize": "--resize",
    "out": "--out",
    "root": "--data-dir",
    "data_dir": "--data-dir",
    "mirrors": "--mirror",
    "data": "--data",
    "device": "--device",
    "run_dir": "RUN_DIR",  # predict's argument, and --resume's value
}
# and those only the rules below that need them translate: a validator's "pass e.g. impl='scratch'"
# stays as the command printed it
_SETTINGS = {**_OPTIONS, "impl": "--impl", "plot": "--plot"}
# the options that take the word none for a setting of None (--resize none); another's None is
# said as the option left out ("--data none" is a file named none)
_NONE_TAKEN = frozenset({"resize"})
# the synthetic data's truth, which no option sets, as the linreg command prints it ("truth: w [2,
# -3.4]  b 4.2"): the words a setting of it is said in
_TRUTH = {"true_w": "truth w", "true_b": "b"}
# another rank's refusal of a data-parallel run, as rank 0 relays it: "rank 1 stopped: run_dir ..."
_RELAYED = re.compile(r"(rank \d+ stopped: )(.*)", re.DOTALL)


def cli_spelling(text: str) -> str:
    """Return a usage error in the command line's words: ``lr must ...; pass e.g. lr=0.1`` becomes
    ``--lr must ...; pass e.g. --lr 0.1``, ``resize applies to ...`` ``--resize applies to ...``
    and ``num_examples and noise_std set ...; leave num_examples and noise_std out``
    ``--num-examples and --noise-std set ...; leave --num-examples and --noise-std out``; another
    rank's, relayed as ``rank 1 stopped: ...``, as it would have been said alone."""
    relayed = _RELAYED.fullmatch(text)
    if relayed is not None:
        return relayed[1] + cli_spelling(relayed[2])
    names = "|".join(_OPTIONS)
    # the setting a message is about, as its subject ("num_examples and noise_std set ...")
    text = re.sub(
        rf"^({names})(?: and ({names}))? (?=(?:must|applies|finds|sets?)\b)",
        lambda m: f"{_OPTIONS[m[1]]} " + (f"and {_OPTIONS[m[2]]} " if m[2] else ""),
        text,
    )
    # the settings to drop: "leave num_examples and noise_std out", "leave impl, lr and
    # batch_size out" (a resume's changes, named as passed)
    settings = "|".join(_SETTINGS)
    named = re.compile(rf"\b({settings})\b")
    text = re.sub(
        rf"\bleave ((?:{settings})(?:(?:, | and )(?:{settings}))*) out\b",
        lambda m: "leave " + named.sub(lambda n: _SETTINGS[n[1]], m[1]) + " out",
        text,
    )
    for name, option in _OPTIONS.items():
        # pass e.g. lr=0.1 / device='auto' -> pass e.g. --lr 0.1 / --device auto
        text = re.sub(rf"\bpass e\.g\. {name}='?([^\s';,]+)'?", rf"pass e.g. {option} \1", text)
        # or data=None -> or leave --data out: a command line has no None ("asks for
        # resize=None (28×28)" is no "or"); but or resize=None -> or --resize none, which says it
        # on a resume too, where leaving --resize out keeps the run's resize
        unset = f"{option} none" if name in _NONE_TAKEN else f"leave {option} out"
        text = re.sub(rf"\bor {name}=None\b", f"or {unset}", text)
    # pass e.g. epochs=6, force=True -> pass e.g. --epochs 6 --force: one command line
    text = re.sub(r"(\bpass e\.g\. --[\w-]+ [^\s,;]+), force=True\b", r"\1 --force", text)
    return cli_words(text)


# a Python string literal, as repr() writes a path
_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
# a setting's value as repr() writes it: a string, a number or None
_VALUE = rf"{_STRING}|None\b|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?\b"
_RESUME_CALL = re.compile(rf"linearnets\.resume_(softmax|linreg)\(((?:{_STRING}|[^'\"()])*)\)")
# linearnets.data.files.how_to_replace's download of a folder
_DOWNLOAD_CALL = re.compile(rf"\blinearnets\.data\.download\.download_fashion_mnist\(({_STRING})\)")
# the words before a setting given with its value mid-sentence ("got resize=64 with data='d.npz'",
# "this run's impl='scratch' model", "config.json's lr=0.05 and batch_size=20 are taken"); others
# ("pass e.g. lr=0.1", "or resize=None", "the folder out='a'") are left as they are
_BEFORE_VALUE = r"got|with|on|and|for|an|to|at|pass|run's|json's"
# what a value of None means, after it: "None (Fashion-MNIST)"
_MEANING = r" \([^()]*\)"
# the download offered beside the Debian package's install when the files are missing
# (linearnets.data.folder_contents.HOW_TO_GET), and the command, quoted as that install is
_GET_IT_CALL = "', or linearnets.data.download.download_fashion_mnist('DIR') where"
_GET_IT_COMMAND = "', or 'linearnets data download --data-dir DIR' where"
# the download's words to try it again (linearnets.data.fetch), the command's own on a command line
_SAME_CALL = re.compile(re.escape("try again (the same call)"))
# a path quoted as repr() writes it, which no rewrite reaches into: its quote opens a word, after a
# blank, "(", "=", "," or "$" (one after a letter is an apostrophe, "the package's files"; one
# after "/" is part of a path shown as it is, "/tmp/'x/t10k-...: expected ...")
_QUOTED = rf"(?<![^\s(=,$])(?:{_STRING})"
# Chinese labels and no font for them (linearnets.plotting._fonts.check_lang_font): lang is
# --lang on a command line (predict's labels, data show's titles)
_NO_CJK_FONT = re.compile(
    rf"lang='zh' gives Chinese label names \((?P<label>{_STRING})\), but no installed font has "
    r"their characters \(the figure would show empty boxes\); pass lang='en' for"
)
# a finished run's config.json is not needed to use its weights (linearnets.training.run_config)
_WITHOUT_CONFIG = "so load_trained and predict work without it"
# where a run folder comes from (linearnets.training.run_config.RUN_FOLDER_FIX): the command printed it
_RUN_FOLDER_FIX = "pass the folder a run wrote, its config's out (the result's run_dir)"
_RUN_FOLDER_CLI = "pass the folder a 'linearnets softmax' run wrote (it printed 'run folder: ...')"


def cli_words(text: str) -> str:
    """Return any of the library's messages with its Python words put as the command line's.

    ``out='runs/a' already holds a run`` becomes ``--out runs/a already holds a run``;
    ``linearnets.resume_softmax('my run', lr=0.01, force=True)`` becomes the command that does
    the same, ``linearnets softmax --resume 'my run' --lr 0.01 --force`` (the path quoted for the
    shell; ``linearnets linreg`` for ``resume_linreg``), but the options alone, ``--resume 'my
    run'``, where the call opens the message (what was given), and a bare
    ``linearnets.resume_softmax()`` ``--resume``; ``pass out=DIR`` becomes ``pass --out DIR``; a
    setting named in parentheses, ``(lr)``, becomes its option, ``(--lr)``; " (force=True)" goes.
    A setting with its value mid-sentence, ``got resize=64 with data='d.npz'``, becomes
    ``got --resize 64 with --data d.npz`` (``with guard=False`` as ``with --no-guard``; None as ``none`` where the option takes it, else as
    the option left out: ``data=None (Fashion-MNIST)`` as ``Fashion-MNIST (no --data)``, since
    ``--data none`` names a file called none); ``lr changed from 0.1 to 0.5``
    ``--lr changed from 0.1 to 0.5``; ``pass force=True`` (or ``with``, ``without``) ``pass --force``;
    ``lower resize or batch_size`` ``lower --resize or --batch-size``; ``batch_size × resize²``
    ``--batch-size × --resize²``; ``so load_trained and predict work without it`` ``so
    linearnets predict works without it``; a download call,
    ``linearnets.data.download.download_fashion_mnist('/d')``, the command that does it,
    ``linearnets data download --data-dir /d`` (quoted, ``'linearnets data download --data-dir
    DIR'``, where it is offered beside the Debian package's quoted install); Chinese labels no
    installed font has, ``lang='zh' gives Chinese label names ('短靴')``, as
    ``--lang zh gives Chinese label names ('短靴')``, with ``--lang en`` or the font's install.
    """
    # Chinese labels without a font for them: the option that asked for them, and its fix
    text = _NO_CJK_FONT.sub(
        lambda m: (
            f"--lang zh gives Chinese label names ({m['label']}), but no installed font has "
            "their characters (the figure would show empty boxes); pass --lang en for"
        ),
        text,
    )
    # only the settings the command has an option for: other words are left alone
    names = "|".join(_OPTIONS)
    settings = "|".join(_SETTINGS)
    # where a run folder comes from: the line the command printed, before "out" is rewritten
    text = text.replace(_RUN_FOLDER_FIX, _RUN_FOLDER_CLI)
    text = _RESUME_CALL.sub(_resume_said, text)
    text = re.sub(rf"^({names})=({_STRING})(?=[ :])", _leading, text)
    # one clause per changed setting: "lr changed from 0.1 to 0.5; resize changed from None
    # (28×28) to 14", what None means in parentheses
    text = re.sub(
        rf"(?:^|(?<=; ))({settings}) changed from ({_VALUE})({_MEANING})? to ({_VALUE})"
        rf"({_MEANING})?",
        _changed,
        text,
    )
    text = re.sub(rf"\b({_BEFORE_VALUE}) ({settings})=({_VALUE})({_MEANING})?", _valued, text)
    # the guard, a pair of flags: "it ran with guard=False, yours with guard=True" as "it ran with
    # --no-guard, yours with --guard"
    text = re.sub(rf"\b({_BEFORE_VALUE}) guard=(True|False)\b", _guarded, text)
    # the synthetic data's truth, which no option sets, in the words the command prints it in:
    # "it ran with true_w=[2.0, -3.5]" as "it ran with truth w [2.0, -3.5]"
    text = re.sub(rf"\b({_BEFORE_VALUE}) (true_w|true_b)=({_VALUE}|\[[^\[\]]*\])", _truth, text)
    # a word of its own ("pass out=DIR", "(out=NEW_DIR)"), not part of a quoted path ('device=GPU')
    text = re.sub(rf"(?<![^\s(])({names})=([A-Z][A-Z_]*)\b", _placeholder, text)
    # a flag; "force=True (force=True)" names it twice, and is left to the line below
    text = re.sub(r"\b(with|without|pass) force=True\b(?! \(force=True\))", r"\1 --force", text)
    text = re.sub(rf"\(({names})\)", _named, text)
    # a product of settings: "batch_size × resize² float32 values"
    text = re.sub(
        rf"\b({names}) × ({names})²", lambda m: f"{_OPTIONS[m[1]]} × {_OPTIONS[m[2]]}²", text
    )
    # the settings to lower: "lower resize or batch_size" ("a smaller lr" reads as English)
    text = re.sub(rf"\b(lower) ({names})(?: (or|and) ({names}))?\b(?!=)", _lowered, text)
    # what works without a damaged config.json: the command, not the Python functions
    text = text.replace(_WITHOUT_CONFIG, "so linearnets predict works without it")
    # the files to get: the command beside the Debian package's, quoted as that one is
    text = text.replace(_GET_IT_CALL, _GET_IT_COMMAND)
    # a folder to download into: the command that does it
    text = _unquoted_sub(
        _DOWNLOAD_CALL,
        lambda m: f"linearnets data download --data-dir {_cli_value(m[1], pasted=True)}",
        text,
    )
    # a download to try again (a full disk freed): the command, not the Python call
    text = _unquoted_sub(_SAME_CALL, lambda m: "run the same command again", text)
    return text.replace(" (force=True)", "")


def _unquoted_sub(pattern: re.Pattern[str], said: Callable[[re.Match[str]], str], text: str) -> str:
    """Return ``text`` with each match of ``pattern`` put as ``said`` puts it, but for those inside
    a quoted path (``got 'try again (the same call)'``: the user's folder, named as it is)."""

    def rewritten(match: re.Match[str]) -> str:
        if match["quoted"] is not None:
            return match[0]
        inner = pattern.fullmatch(match[0])
        return match[0] if inner is None else said(inner)

    return re.sub(rf"(?P<quoted>{_QUOTED})|(?:{pattern.pattern})", rewritten, text)


def _cli_value(literal: str, *, pasted: bool = False) -> str:
    """Return a setting's value written in Python (``'d.npz'``, ``None``, ``0.1``) as the option
    takes it: ``d.npz``, ``none``, ``0.1`` (a number as the message wrote it; a string a
    terminal would not show as itself, ``'a\\nb'``, as its ``$'a\\nb'``). A string the user is
    told to pass (``pasted``) is quoted for the shell, as a resume's folder is: ``'my data.npz'``
    would be two arguments unquoted."""
    try:
        value = ast.literal_eval(literal)
    except (SyntaxError, ValueError):  # no literal Python reads back: left as written
        return literal
    if value is None:
        return "none"
    if not isinstance(value, str):
        return literal
    return shell_word(value) if pasted else shown_path(_not_an_option(value))


def _option_value(name: str, literal: str, meaning: str | None, *, pasted: bool = False) -> str:
    """Return the setting ``name`` of the value ``literal`` (then ``meaning``, the parentheses that
    may follow it) as the command line says it: ``--lr 0.1``, ``--resize none (28×28)``; a
    ``None`` the option does not take as the option left out, ``Fashion-MNIST (no --data)``
    (``--data none`` would name a file called none)."""
    option, meaning = _SETTINGS[name], meaning or ""
    if literal != "None" or name in _NONE_TAKEN:
        return f"{option} {_cli_value(literal, pasted=pasted)}{meaning}"
    if not meaning:
        return f"no {option}"
    # the settings that make it after a colon, "None (synthetic data: num_examples=1000, ...)":
    # "synthetic data (no --data; --num-examples 1000, ...)"
    what, _, settings = meaning.strip()[1:-1].partition(": ")
    made = f"; {_settings_listed(settings)}" if settings else ""
    return f"{what} (no {option}{made})"


def _settings_listed(text: str) -> str:
    """Return settings listed with their values, ``num_examples=1000, true_w=[2.0, -3.4]``, as the
    command line says them: ``--num-examples 1000, truth w [2.0, -3.4]``."""
    names = "|".join([*_SETTINGS, *_TRUTH])
    return re.sub(
        rf"\b({names})=({_VALUE}|\[[^\[\]]*\])",
        lambda m: (
            f"{_TRUTH[m[1]]} {m[2]}" if m[1] in _TRUTH else f"{_SETTINGS[m[1]]} {_cli_value(m[2])}"
        ),
        text,
    )


def _not_an_option(path: str) -> str:
    """Return ``path`` as an option's value the parser takes: ``-x`` (an option to argparse, and
    what ``Path("./-x")`` prints) as ``./-x``."""
    return f"./{path}" if path.startswith("-") else path


def _resume_said(match: re.Match[str]) -> str:
    """Return the call ``linearnets.resume_softmax(...)`` matched as the command line says it.

    A call with a run folder is a resume the message gives to run ("continue it with: ...", "e.g.
    ...", "...: RUN continues the run"): the whole command, ``linearnets softmax --resume DIR``
    (``linreg`` for ``resume_linreg``), as the interrupt's is, since the options alone are no
    command to paste (:func:`~linearnets.cli._invocation.as_started` names the program as it was
    started). One that opens the message is the resume that was refused, said as its options
    (``--resume DIR: the run folder is not writable``, as ``--out DIR already holds a run``); a
    bare one (``so linearnets.resume_softmax() cannot continue it``) the option itself.
    """
    options = _resume_command(match)
    if match.start() == 0 or not options.startswith("--resume "):
        return options
    unsaid = _unsaid(match[0])
    if unsaid:  # no command does it: the Python call, saying why
        return f"{match[0]} (in Python: {unsaid})"
    return f"linearnets {match[1]} {options}"


def _unsaid(source: str) -> str:
    """Return why the call ``source`` has no command that does the same (a setting no option sets,
    ``true_w``; a value of None an option does not take, ``data=None``: a resume leaving
    ``--data`` out keeps the run's own data), or "" where it has one."""
    try:
        call = ast.parse(source, mode="eval").body
    except SyntaxError:
        return ""
    if not isinstance(call, ast.Call):
        return ""
    keywords = [
        (kw.arg, kw.value) for kw in call.keywords if kw.arg not in (None, "force", "guard")
    ]
    optionless = [str(name) for name, _ in keywords if name not in _SETTINGS]
    left_out = [
        _OPTIONS[name]
        for name, value in keywords
        if name in _OPTIONS
        and name not in _NONE_TAKEN
        and isinstance(value, ast.Constant)
        and value.value is None
    ]
    why = []
    if optionless:
        why.append(f"no option sets {' or '.join(optionless)}")
    if left_out:
        why.append(f"a resume leaving {' or '.join(left_out)} out keeps the run's own")
    return "; ".join(why)


def _resume_command(match: re.Match[str]) -> str:
    """Return the call ``linearnets.resume_softmax(...)`` matched as the options that do the same."""
    source = match[0]
    try:
        call = ast.parse(source, mode="eval").body
        if not isinstance(call, ast.Call) or any(kw.arg is None for kw in call.keywords):
            return source
        words = ["--resume", *(shell_word(str(ast.literal_eval(arg))) for arg in call.args)]
        for keyword in call.keywords:
            value = ast.literal_eval(keyword.value)
            option = _OPTIONS.get(str(keyword.arg), f"--{str(keyword.arg).replace('_', '-')}")
            if value is True:  # force=True: a flag
                words.append(option)
            elif isinstance(value, str):
                words += [option, shell_word(value)]
            elif value is False and keyword.arg == "guard":  # the flag that turns it off
                words.append("--no-guard")
            elif value is None and keyword.arg in _NONE_TAKEN:  # --resize none, as typed
                words += [option, "none"]
            elif value is not False:  # a number as the message wrote it (lr=1e-05 stays 1e-05)
                words += [option, ast.get_source_segment(source, keyword.value) or str(value)]
    except (SyntaxError, ValueError):  # not a call of literals: left as written
        return source
    return " ".join(words)


def _leading(match: re.Match[str]) -> str:
    """``out='runs/a'`` opening a message: the option and the value as given, unquoted."""
    try:  # the value as given, unquoted, as the option printed it
        path = _not_an_option(str(ast.literal_eval(match[2])))
        return f"{_OPTIONS[match[1]]} {shown_path(path)}"
    except (SyntaxError, ValueError):
        return match[0]


def _placeholder(match: re.Match[str]) -> str:
    """``out=DIR``: the option and its placeholder."""
    return f"{_OPTIONS[match[1]]} {match[2]}"


def _named(match: re.Match[str]) -> str:
    """``(lr)``: the option in parentheses."""
    return f"({_OPTIONS[match[1]]})"


def _valued(match: re.Match[str]) -> str:
    """``got resize=64``: the words before, the option and its value as the option takes it (after
    ``pass``, a value to paste into the shell: quoted for it)."""
    pasted = match[1] == "pass"
    return f"{match[1]} {_option_value(match[2], match[3], match[4], pasted=pasted)}"


def _guarded(match: re.Match[str]) -> str:
    """``with guard=False``: the words before and the flag that sets it, ``with --no-guard``."""
    return f"{match[1]} {'--guard' if match[2] == 'True' else '--no-guard'}"


def _truth(match: re.Match[str]) -> str:
    """``with true_w=[2.0, -3.4]``: the words before and the truth as the command prints it,
    ``with truth w [2.0, -3.4]``; a value of None as none given, ``with no truth b``."""
    word = f"truth {_TRUTH[match[2]].removeprefix('truth ')}"
    return f"{match[1]} no {word}" if match[3] == "None" else f"{match[1]} {word} {match[3]}"


def _lowered(match: re.Match[str]) -> str:
    """``lower resize or batch_size``: the options to lower."""
    other = f" {match[3]} {_OPTIONS[match[4]]}" if match[3] else ""
    return f"{match[1]} {_OPTIONS[match[2]]}{other}"


def _changed(match: re.Match[str]) -> str:
    """``lr changed from 0.1 to 0.5``: the option, its old value and its new one (``data changed
    from None (Fashion-MNIST)``: ``--data changed from Fashion-MNIST (no --data)``)."""
    option = _SETTINGS[match[1]]
    old, new = (
        _option_value(match[1], match[at], match[at + 1]).removeprefix(f"{option} ")
        for at in (2, 4)
    )
    return f"{option} changed from {old} to {new}"
