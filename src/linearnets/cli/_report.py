"""How the command reports a failure: one line in the command line's words, an exit status, and
with ``--json`` the same as a JSON object on stdout. The rewording of the library's messages is
:mod:`linearnets.cli._cli_words`' (``cli_words``, re-exported here)."""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import re
import select
import sys
import types
from typing import Any

from linearnets._fs import DISK_FULL
from linearnets._pip_words import in_ipython, pip_install
from linearnets._shell import shell_word
from linearnets._signals import first_signal
from linearnets._text import printable, shown_path
from linearnets.cli._blocked_write import write_waiting
from linearnets.cli._cli_words import cli_spelling, cli_words
from linearnets.errors import LinearnetsError, UsageError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_RUNTIME",
    "EXIT_USAGE",
    "cli_words",
    "dependency_failure",
    "exit_status",
    "one_line",
    "output_closed",
    "print_json_error",
    "resume_advice",
    "say",
    "signal_name",
]

EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141


def signal_name(exc: KeyboardInterrupt) -> str:
    """Return "interrupted by SIGTERM" for the SIGTERM turned into an interrupt, "interrupted by
    SIGINT" for a Ctrl-C (also one that a second signal, torchrun's SIGTERM, cut short: see
    :func:`first_signal`), as every stop of a run names its signal."""
    return f"interrupted by {first_signal(exc)}"


def say(line: str) -> None:
    """Write ``line`` and its line break on stderr in one write.

    ``print`` writes them apart (stderr is written through), and under torchrun the other writers
    of the same terminal or pipe (torchrun's own "Closing process ... via signal SIGTERM", another
    rank) could land between the two: the command's one line then ran on into theirs. Where
    stderr is gone (``2>&-``) it goes where ``print`` would put it, stdout, or nowhere; where it
    cannot be written (``2>/dev/full``) it is lost, and what follows goes on: an error's ``--json``
    object and its status, 2 for a usage error (they were lost to the write's OSError, status 1).
    A non-blocking stderr that refuses it for a moment (``EAGAIN``) is waited on: see
    :mod:`linearnets.cli._blocked_write`.
    """
    stream = sys.stderr if sys.stderr is not None else sys.stdout
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):
            write_waiting(stream, f"{line}\n", flush_first=True)


def print_json_error(message: str, error_type: str, status: int, **extra: Any) -> None:
    """End stdout with the failure as one JSON object (``--json``), as a success ends it with results.

    A reader that has gone (``| head`` done) gets nothing: the line on stderr has said it all.
    """
    from linearnets._json import dumps_strict

    fields = {"error": message, "error_type": error_type, "exit_status": status, **extra}
    with contextlib.suppress(OSError, ValueError):
        print(dumps_strict({k: v for k, v in fields.items() if v is not None}), flush=True)


def output_closed() -> bool:
    """Return whether the reader of stdout or stderr has gone (a pipe whose other end is closed).

    A broken pipe to a child process (the plotting process) is a real error; one on the command's own
    output only means the reader (``head``) had enough. ``poll`` tells them apart: it flags the write
    end of a pipe without readers, with ``POLLERR`` on Linux and ``POLLHUP`` on macOS and the BSDs
    (their poll reports the pipe's end of file as a hang-up); a terminal that hung up is gone too.
    Where there is no ``poll`` (Windows) any broken pipe counts as the output's.
    """
    if not hasattr(select, "poll"):
        return True  # Windows has no poll: there, any broken pipe counts as the output's
    poller = select.poll()
    for stream in (sys.stdout, sys.stderr):
        try:
            poller.register(stream.fileno(), select.POLLOUT)
        except (AttributeError, OSError, ValueError):  # replaced or closed streams (e.g. pytest's)
            continue
    gone = select.POLLERR | select.POLLHUP
    return any(events & gone for _, events in poller.poll(0))


def exit_status(exc: Exception) -> int:
    """Return 2 for a usage error, 1 for any other failure."""
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_RUNTIME


def _flat(text: str) -> str:
    """Return ``text`` on one line: its line breaks joined, other characters a terminal would
    not show as themselves (``\\x0b``, ``\\x85`` in a path) written as their escapes."""
    # only the line breaks go (with the blanks around them): runs of spaces inside a path stay, so
    # the commands the messages give can be pasted
    return printable(re.sub(r"\s*[\r\n]\s*", " ", text).strip())


def one_line(exc: Exception, *, traceback_shown: bool = False, command: str | None = None) -> str:
    """Return the error as one line; an unexpected error also says how to see the traceback
    (unless ``traceback_shown``: ``--debug`` has printed it).

    Args:
        command: the command that failed, as its usage names it (``linearnets softmax``), for the
            advice that fits it: only softmax has a ``--resume``. ``None`` when unknown: the
            advice then says which command it is for.
    """
    text = _flat(str(exc)) or type(exc).__name__
    if isinstance(exc, UsageError):
        return _flat(cli_spelling(text))  # again: a path read back from its repr may hold a \n
    if isinstance(exc, LinearnetsError):
        return _flat(cli_words(text))
    if isinstance(exc, OSError):
        if exc.errno in DISK_FULL:
            if isinstance(exc.filename, str | bytes) and exc.filename2 is None and exc.strerror:
                # "[Errno 28] No space left on device: 'run/predict-20.png'": the file first
                text = _flat(
                    f"{shown_path(os.fsdecode(exc.filename))} could not be written: {exc.strerror}"
                )
            return f"{text} ({type(exc).__name__}): {_disk_full_advice(command, exc)}"
        if exc.errno == errno.EACCES and isinstance(exc.filename, str | bytes):
            return _flat(_permission_denied(exc.filename))
        return f"{text} ({type(exc).__name__})"
    damaged = dependency_failure(exc)
    if damaged is not None:
        return damaged
    hint = "" if traceback_shown else " (re-run with --debug for the traceback)"
    return f"unexpected {type(exc).__name__}: {text}{hint}"


# the runtime's requirements (pyproject.toml's dependencies) that the command imports, each with the
# versions it allows (tests/cli/test_report.py holds them to pyproject.toml's)
REQUIREMENTS = {
    "torch": "torch>=2.3",
    "numpy": "numpy>=1.24",
    "matplotlib": "matplotlib>=3.8",
    "tqdm": "tqdm>=4.64",
}
DEPENDENCIES = tuple(REQUIREMENTS)


def dependency_failure(exc: Exception) -> str | None:
    """Return the line that says which dependency ``exc`` shows damaged or incomplete and its fix
    ("matplotlib could not be loaded: broken (ImportError); PIL is loaded from ./PIL.py, which
    shadows pillow's; rename or remove it"), else ``None``: :func:`one_line`'s, and the plotting
    process's for a figure that failed so (it sees the traceback, which names the file)."""
    _holders.cache_clear()  # the installed distributions read once per report, afresh
    damaged = _damaged_dependency(exc)
    if damaged is None:
        return None
    text = _flat(str(exc)) or type(exc).__name__
    return f"{damaged} could not be loaded: {text} ({type(exc).__name__}); " + _dependency_fix(
        damaged, exc
    )


def _damaged_dependency(exc: Exception) -> str | None:
    """Return the dependency whose install ``exc`` shows damaged or incomplete, else ``None``.

    An ``ImportError`` of one (its name, or raised in its own code: torch's ``libtorch_cpu.so``
    not found; the innermost such code, as a dependency that imports another one is not the one
    that failed); an ``AttributeError`` on one whose package has no file or no ``__version__`` (its
    ``__init__.py`` gone or emptied: "module 'torch' has no attribute 'Tensor'"). Such errors were
    said as unexpected, with a traceback to ask for, where reinstalling the package is the fix.
    """
    names: list[str] = []
    if isinstance(exc, ImportError):
        # the module it did not load, else the code that raised it, innermost first: an ImportError
        # without a name (numpy's C extension that fails) was blamed on the outermost dependency in
        # the traceback, torch that imported numpy, and its reinstall changed nothing
        names.append(exc.name or "")
        names.extend(reversed(_traceback_modules(exc)))
    elif isinstance(exc, AttributeError) and isinstance(
        module := getattr(exc, "obj", None), types.ModuleType
    ):
        top_name = module.__name__.partition(".")[0]
        top = module if top_name == module.__name__ else sys.modules.get(top_name, module)
        if not getattr(top, "__file__", None) or not hasattr(top, "__version__"):
            names.append(top.__name__)
    for name in names:
        if name.partition(".")[0] in DEPENDENCIES:
            return name.partition(".")[0]
    return None


def _traceback_modules(exc: BaseException) -> list[str]:
    """Return the modules whose code ``exc``'s traceback runs through, outermost first."""
    names = []
    tb = exc.__traceback__
    while tb is not None:
        names.append(str(tb.tb_frame.f_globals.get("__name__", "")))
        tb = tb.tb_next
    return names


def _dependency_fix(package: str, exc: Exception) -> str:
    """Return what is wrong with ``package``'s install, shown by ``exc``, and its fix.

    Not installed (``exc`` names the package itself and no import finds it): install it at a version
    it allows. A module it imports is missing or broken (``exc`` names another top-level module:
    matplotlib's ``packaging``): that module named, and the package installed with its requirements
    (``--no-deps`` left it missing, and following the advice changed nothing), or where it is
    installed but fails to load, the distribution that holds it reinstalled alone (the package's
    ``--force-reinstall`` reinstalls all its requirements at their newest versions). Else its own
    install is damaged: reinstall it alone.
    """
    python = shell_word(sys.executable)
    where = shown_path(sys.prefix)
    missing = _failing_module(package, exc)
    if missing == package and isinstance(exc, ModuleNotFoundError) and not _findable(package):
        spec = shell_word(REQUIREMENTS[package])
        checkout = _checkout()
        make = "" if checkout is None else f", or {_make_run(checkout)}"
        return (
            f"it is not installed in {where}: install it ({pip_install(spec, python=python)}){make}"
        )
    if missing and missing != package:
        # pip installs an installed package's missing requirements; --force-reinstall (without
        # --no-deps) also replaces a damaged one
        distribution = None if isinstance(exc, ModuleNotFoundError) else _distribution(missing)
        if isinstance(exc, ModuleNotFoundError):
            broken, fix = "is not installed", pip_install(package, python=python)
        elif distribution is not None and (shadow := _shadowing_file(missing, distribution, exc)):
            # a stray PIL.py in the working folder: reinstalling pillow leaves it in the way
            return (
                f"{missing} is loaded from {shown_path(shadow)}, which shadows {distribution}'s; "
                "rename or remove it"
            )
        elif distribution is not None:
            # that module's own install alone: --force-reinstall of the package (without
            # --no-deps) reinstalled every requirement of it, numpy too, at their newest versions
            spec = shell_word(distribution)
            return (
                f"the module {missing} that {package} needs could not be loaded in {where}; "
                f"reinstall it ({pip_install(f'--force-reinstall --no-deps {spec}', python=python)})"
                + _make_advice("or remove the venv (rm -rf {venv}) and run `make run` again")
            )
        else:
            broken, fix = (
                "could not be loaded",
                pip_install(f"--force-reinstall {package}", python=python),
            )
        return (
            f"the module {missing} that {package} needs {broken} in {where}; install {package}'s "
            f"requirements ({fix})"
            + _make_advice("or remove the venv (rm -rf {venv}) and run `make run` again")
        )
    stray = _stray_module(package, exc)
    if stray is not None:
        # a module no one distribution holds (none, a namespace package, two, unreadable metadata):
        # reinstalling the package that imports it changed nothing
        module, path = stray
        return (
            f"the module {module} ({shown_path(path)}) that {package} imports could not be loaded "
            "and no single installed distribution holds it; fix or remove that file, or reinstall "
            "what put it there"
        )
    return (
        f"its install in {where} is damaged or incomplete; reinstall it "
        f"({pip_install(f'--force-reinstall --no-deps {package}', python=python)})"
        + _make_advice("or remove the venv (rm -rf {venv}) and run `make run` again")
    )


def _failing_module(package: str, exc: Exception) -> str:
    """Return the top-level module whose load failed in ``package``'s import, shown by ``exc``:
    an ImportError's name (an AttributeError's is the attribute's), else the innermost module
    outside ``package`` and the standard library in its traceback, where a dependency or the
    one installed distribution that holds it; else ``""`` (``package``'s own code failed, or
    a module no one distribution holds: :func:`_stray_module`). Pillow's C extension that fails
    under matplotlib raises an ImportError without a name: ``PIL``."""
    if not isinstance(exc, ImportError):
        return ""
    if exc.name:
        return exc.name.partition(".")[0]
    inner = _innermost_foreign_frame(package, exc)
    if inner is None:
        return ""
    top = inner[0].partition(".")[0]
    return top if top in DEPENDENCIES or _distribution(top) is not None else ""


def _innermost_foreign_frame(package: str, exc: BaseException) -> tuple[str, str] | None:
    """Return the module and file of the innermost code in ``exc``'s traceback inside ``package``'s
    import that is neither ``package``'s own nor the standard library's (importlib's machinery),
    else ``None``."""
    found = None
    tb = exc.__traceback__
    while tb is not None:
        name = str(tb.tb_frame.f_globals.get("__name__", ""))
        top = name.partition(".")[0]
        if top == package:
            found = None  # only what runs inside package's import
        elif _is_packages_callee(top):
            found = (name, tb.tb_frame.f_code.co_filename)
        tb = tb.tb_next
    return found


def _is_packages_callee(top: str) -> bool:
    """Return whether code of the top-level module ``top`` may be the module a package's import
    failed in: not the standard library, this program or a script."""
    return (
        bool(top) and top not in sys.stdlib_module_names and top not in ("linearnets", "__main__")
    )


def _stray_module(package: str, exc: Exception) -> tuple[str, str] | None:
    """Return the module and file where ``package``'s import failed (an ImportError without a
    name) where it is none of ``package``'s and no one installed distribution holds it (held by
    none, a namespace package, claimed by two, metadata unreadable), else ``None``."""
    if not isinstance(exc, ImportError) or exc.name:
        return None
    inner = _innermost_foreign_frame(package, exc)
    if inner is None:
        return None
    top = inner[0].partition(".")[0]
    return None if top in DEPENDENCIES or _distribution(top) is not None else inner


def _distribution(module: str) -> str | None:
    """Return the one installed distribution that holds the top-level ``module`` (``PIL``'s
    ``pillow``), else ``None`` (the standard library's, none, or several)."""
    found = {name for name, _ in _holders().get(module, ())}
    return found.pop() if len(found) == 1 else None


@functools.cache
def _holders() -> dict[str, list[tuple[str, Any]]]:
    """Return the installed distributions (name, ``Distribution``) that hold each top-level module,
    as ``importlib.metadata.packages_distributions`` does (its ``top_level.txt``, else its files),
    read once per report (:func:`one_line` clears it): about 85 ms.

    A distribution whose metadata cannot be read (no METADATA, not UTF-8, a RECORD with a blank
    line or a row of 4 fields, which ``packages_distributions`` raised TypeError on, and the
    report was a traceback) is left out; it holds nothing this advice can name.
    """
    from importlib.metadata import distributions

    holders: dict[str, list[tuple[str, Any]]] = {}
    try:
        found = list(distributions())
    except Exception:  # best-effort advice inside an error report
        return holders
    for dist in found:
        try:
            name = dist.metadata["Name"]
            tops = set((dist.read_text("top_level.txt") or "").split()) or {
                top for top in map(_top_module, dist.files or ()) if top
            }
        except Exception:  # one unreadable distribution: the others still count
            continue
        if isinstance(name, str) and name:
            for top in tops:
                holders.setdefault(top, []).append((name, dist))
    return holders


def _top_module(path: Any) -> str | None:
    """Return the top-level module a distribution's file (a ``PackagePath``) belongs to:
    ``PIL`` for ``PIL/Image.py`` and ``PIL.py``, ``None`` for a top-level file that is none."""
    import inspect

    parts = path.parts
    return parts[0] if len(parts) > 1 else inspect.getmodulename(str(path))


def _shadowing_file(module: str, distribution: str, exc: Exception) -> str | None:
    """Return the file the top-level ``module`` is loaded from where it is not one of the files of
    ``distribution``, which installs ``module`` (a stray ``PIL.py`` in the working folder, ahead
    of pillow's on ``sys.path``), else ``None`` (also where it cannot tell: an editable install
    lists no module files)."""
    loaded = _module_file(module, exc)
    if loaded is None:
        return None
    # every install of it (a venv's and a --user or system one): the loaded file is a stray only
    # where none of them lists it (the first that did not was taken for all, and the venv's own
    # PIL/__init__.py was said to shadow pillow's, to be removed)
    own: set[str] = set()
    for name, dist in _holders().get(module, ()):
        if name != distribution:
            continue
        try:
            own |= {
                os.path.realpath(dist.locate_file(path))
                for path in dist.files or ()
                if _top_module(path) == module
            }
        except Exception:  # its file list unreadable: it cannot tell
            return None
    if own and os.path.realpath(loaded) not in own:
        return loaded
    return None


def _module_file(module: str, exc: Exception) -> str | None:
    """Return the file the top-level ``module`` was loaded from in ``exc``'s import: the loaded
    module's, the ImportError's ``path`` (cannot import name ... from it), else the innermost code
    of it in the traceback; ``None`` where none is known."""
    loaded = getattr(sys.modules.get(module), "__file__", None)
    if isinstance(loaded, str):
        return loaded
    path = getattr(exc, "path", None)
    if isinstance(path, str) and (getattr(exc, "name", None) or "").partition(".")[0] == module:
        return path
    found = None
    tb = exc.__traceback__
    while tb is not None:
        if str(tb.tb_frame.f_globals.get("__name__", "")).partition(".")[0] == module:
            found = tb.tb_frame.f_code.co_filename
        tb = tb.tb_next
    return found


def _findable(name: str) -> bool:
    """Return whether an import of the top-level module ``name`` finds anything to load."""
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a half-imported module in sys.modules: it was found
        return True


def _checkout() -> str | None:
    """Return the checkout (the folder with the Makefile) that holds this linearnets' source, run
    from it (``src/linearnets``: ``make``'s editable install, or ``PYTHONPATH=src``), else ``None``."""
    import linearnets

    if not linearnets.__file__:
        return None
    package = os.path.dirname(os.path.abspath(linearnets.__file__))
    checkout = os.path.dirname(os.path.dirname(package))
    return checkout if os.path.isfile(os.path.join(checkout, "Makefile")) else None


def _checkout_venv() -> str | None:
    """Return this Python's environment where it is the ``.venv`` of the checkout that holds this
    linearnets (the one ``make run`` sets up), else ``None``: the system's Python (``/usr``) or
    any other environment is no folder to tell a user to remove."""
    checkout = _checkout()
    if sys.prefix == sys.base_prefix or checkout is None:
        return None
    same = os.path.realpath(sys.prefix) == os.path.realpath(os.path.join(checkout, ".venv"))
    return sys.prefix if same else None


def _make_advice(advice: str) -> str:
    """Return ``advice`` (``{venv}`` the environment, quoted for a shell) after a comma where this
    Python is the checkout's ``.venv`` that ``make run`` made, else nothing.

    Nothing in IPython or Jupyter either: the session runs on that venv, which the advice removes
    under it (its ``%pip`` reinstall is the fix there).
    """
    venv = _checkout_venv()
    if venv is None or in_ipython():
        return ""
    return ", " + advice.format(venv=shell_word(venv))


def _make_run(checkout: str) -> str:
    """Return the advice to run ``make run`` in ``checkout``: in IPython or Jupyter as a shell
    escape that works there (``!make -C DIR run``: a ``!cd`` does not last to the next line), not
    the shell's words next to a ``%pip``."""
    if in_ipython():
        return f"run `!make -C {shell_word(checkout)} run`"
    return f"run `make run` in {shown_path(checkout)}"


def _permission_denied(filename: str | bytes) -> str:
    """Return an access refused on ``filename`` that no check before it named (a folder on its
    path that this user cannot search, which ``Path.is_dir`` raises on in Python 3.11): the path,
    the rule and the fix, not ``[Errno 13] Permission denied: 'x' (PermissionError)``."""
    path = shown_path(filename if isinstance(filename, str) else filename.decode(errors="replace"))
    return (
        f"{path}: permission denied: this user may not read, write or search it, or a folder on "
        "its path; give it the access (chmod u+rwx on the folder that refuses it, ls -ld shows "
        "which), or pass another path"
    )


def resume_advice(command: str, run_dir: Any, epoch: int | None, *, launched: str = "") -> str:
    """Return where a stopped run's checkpoint is and the command that continues it: ``epoch``
    finished epochs kept in ``run_dir`` (``None``: none yet, and the resume starts it over).

    ``launched``: how a data-parallel run's processes are started again, after the command
    (``", launched by torchrun as before"``; see :func:`linearnets.tasks.stopping.launched_again`).
    """
    again = f"{command} --resume {shell_word(run_dir)}{launched}"
    if epoch:
        return (
            f"the checkpoint of epoch {epoch} is kept in {shown_path(run_dir)}; continue it with: "
            f"{again}"
        )
    return f"no epoch had finished; start it over with: {again}"


def _disk_full_advice(command: str | None, exc: OSError) -> str:
    """Return what to do when a device is full; the resume of a run that told its folder (softmax's,
    linreg's), naming it, what its checkpoint holds and how its processes start again
    (``exc.run_dir``, ``exc.checkpoint_epoch``, ``exc.launched_again``); else softmax's, its
    folder a placeholder (for an unknown command, said to be softmax's)."""
    full = "a device is full (the disk, or where the output goes); free some space"
    run_dir = getattr(exc, "run_dir", None)
    if run_dir is not None and command is not None:
        kept = resume_advice(
            command,
            run_dir,
            getattr(exc, "checkpoint_epoch", None),
            launched=getattr(exc, "launched_again", ""),
        )
        return f"{full}; {kept}"
    # the run's folder unknown, the resume is still the whole command, RUN_DIR its placeholder:
    # "--resume RUN_DIR" alone was no command to paste
    if command is None:
        return (
            f"{full} and run it again (a softmax run keeps the checkpoint of its last finished "
            "epoch: continue it with linearnets softmax --resume RUN_DIR)"
        )
    if command.split()[-1:] == ["softmax"]:
        return (
            f"{full}, then continue the run with {command} --resume RUN_DIR (it keeps the "
            "checkpoint of its last finished epoch) or run it again"
        )
    return f"{full} and run it again"
