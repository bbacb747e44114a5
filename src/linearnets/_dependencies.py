"""Which dependency an exception shows damaged or missing, and its fix: the one line that says
"matplotlib could not be loaded: ...; reinstall it (...)". The command's failure report
(:func:`linearnets.cli._report.one_line`) and the plotting process (a figure that failed so) both
say it; neither owns it, so it lives below both."""

from __future__ import annotations

import functools
import os
import sys
import types
from typing import Any

from linearnets._pip_words import in_ipython, pip_install
from linearnets._shell import shell_word
from linearnets._text import on_one_line, shown_path

__all__ = ["DEPENDENCIES", "REQUIREMENTS", "dependency_failure"]


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
    shadows pillow's; rename or remove it"), else ``None``: :func:`linearnets.cli._report.one_line`'s, and the plotting
    process's for a figure that failed so (it sees the traceback, which names the file)."""
    _holders.cache_clear()  # the installed distributions read once per report, afresh
    damaged = _damaged_dependency(exc)
    if damaged is None:
        return None
    text = on_one_line(str(exc)) or type(exc).__name__
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
    read once per report (:func:`dependency_failure` clears it): about 85 ms.

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
