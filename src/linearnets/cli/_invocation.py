"""How the user can start this program again from where they typed it: the word that begins the
commands the messages give (``resume with: linearnets softmax --resume DIR``).

The README runs ``.venv/bin/linearnets softmax``, and ``make run`` does too; where the virtual
environment is not activated, the bare ``linearnets`` in a message's command is not found by the
shell. So the commands name the program as it was started: ``.venv/bin/linearnets`` as typed, or
``/path/to/python -m linearnets``, wherever ``linearnets`` on the ``PATH`` is not this same program.
"""

from __future__ import annotations

import os
import re
import shutil
import sys

from linearnets._shell import shell_word
from linearnets.cli._leave import in_ipython

__all__ = ["as_started", "program"]

# the commands the library's messages give, the program's word in them: "linearnets softmax
# --resume DIR", "linearnets predict DIR -n 3", "linearnets data download --data-dir DIR" (after a
# quote too: 'linearnets data download ...'). Not "torchrun ... -m linearnets softmax", whose
# launcher starts the program, nor "'linearnets softmax' run", "linearnets predict drew" or "not of
# linearnets predict (see ...)" (words about a command, not one to run): the program is followed by
# an option of its own ("linearnets --help"), or the subcommand is, alone or after one argument, by
# an option; an example ("e.g. linearnets predict runs/a") is a command wherever it ends.
_COMMAND = re.compile(
    r"(?<![\w./-])(?<!-m )linearnets"
    r"(?= --?[a-z]"
    r"| (?:softmax|linreg|predict|data(?: download| show)?)"
    r" (?:-|(?:'[^']*'|[^\s'\-;,()][^\s;,()]*) -))"
    r"|(?<=e\.g\. )linearnets(?= (?:softmax|linreg|predict|data)\b)"
)


def program() -> str:
    """Return the words that start this program again in the user's shell: ``linearnets`` where
    that name on the ``PATH`` is this program (an activated environment, an installed command),
    else the path the console script was started by, or ``PYTHON -m linearnets``.

    A process launched by torchrun says ``linearnets``: its messages say to launch it by torchrun
    as before, which names the program itself. Called from Python (``linearnets.cli.main``), also
    ``linearnets``; run by IPython's ``%run -m linearnets``, that (what its prompt takes).
    """
    if _launched():
        return "linearnets"
    started = sys.argv[0] if sys.argv else ""
    on_path = shutil.which("linearnets")
    if os.path.basename(started) == "linearnets":  # the console script
        if os.sep not in started or (on_path is not None and _same_path(on_path, started)):
            return "linearnets"
        return shell_word(started)
    if started.endswith(os.path.join("linearnets", "__main__.py")):  # python -m linearnets
        if in_ipython():  # %run -m linearnets: typed at IPython's prompt, or in a notebook cell
            return "%run -m linearnets"
        if on_path is not None and _same_path(
            os.path.dirname(on_path), os.path.dirname(sys.executable)
        ):
            return "linearnets"  # this interpreter's own console script, on the PATH
        python = os.path.basename(sys.executable)
        found = shutil.which(python) if python else None
        if not (found is not None and _same_path(found, sys.executable)):
            python = sys.executable
        return f"{shell_word(python)} -m linearnets"
    return "linearnets"


# the words after which "linearnets" is a value, not the program: an option's ("--resume linearnets
# --lr 1", "--out linearnets"), or a command's argument ("predict linearnets -n 3"), a run folder
# named so
_VALUE_AFTER = re.compile(r"(?:^|\s)(?:-[\w-]*|softmax|linreg|predict|data|download|show) $")


def as_started(text: str) -> str:
    """Return ``text`` with each command it gives starting as :func:`program` says; a run folder
    named ``linearnets`` (an option's value, a command's argument) stays as it is."""
    start = program()
    if start == "linearnets":
        return text

    def started(match: re.Match[str]) -> str:
        before = text[max(0, match.start() - 80) : match.start()]
        return match.group() if _VALUE_AFTER.search(before) else start

    return _COMMAND.sub(started, text)


def _launched() -> bool:
    """Whether a launcher (torchrun) started this process, by the variables it sets."""
    return bool(os.environ.get("TORCHELASTIC_RUN_ID")) or all(
        os.environ.get(name) for name in ("MASTER_ADDR", "MASTER_PORT")
    )


def _same_path(a: str, b: str) -> bool:
    """Whether two paths name the same place, links not followed: a virtual environment's
    ``bin/python`` is a link to the system's, which is not the environment."""
    return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))
