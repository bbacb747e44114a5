"""A forced resume that diverged before its first checkpoint: ``config.json``'s forced settings
put back (D2L §3.6.6's training, continued from a checkpoint).

A resume records its settings in ``config.json`` before it trains, so that a plain ``--resume``
after a Ctrl-C carries on what it was asked for (a forced ``--lr`` too). A divergence is no such
stop: its message asks for another lr, and a forced value that blew up before any epoch was
trained with it, kept, made a plain ``--resume`` diverge again and showed the run as trained with
it (``"lr": 1e6``, ``resumes`` forced). So there the forced settings take their earlier values
back, this resume's record goes (it trained no epoch: not counted), and what it was asked for
besides (``--epochs``) stays. The stop's advice carries the forced values put back: its resumes
(``resume_softmax(DIR, lr=1, force=True)``, ``resume_softmax(DIR, guard=False)``) would else train
at config.json's earlier values, not at those it names.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from linearnets._json import loads_shallow
from linearnets.errors import DivergenceError
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.run_files import CONFIG_FILE, write_json_atomic

__all__ = ["forced_undone_on_divergence"]


@contextlib.contextmanager
def forced_undone_on_divergence(
    run_dir: Path, forced: Iterable[str], *, main: bool = True
) -> Iterator[None]:
    """Put ``config.json``'s settings ``forced`` (keys of its ``config`` section) back to their
    values on entry, where the block raises :class:`DivergenceError` before a checkpoint is
    written; enter it before the resume rewrites ``config.json``.

    ``main``: this process writes the run's files (rank 0 of a data-parallel run). A Ctrl-C, or
    a divergence once an epoch was checkpointed with the forced values, keeps them.
    """
    keys = set(forced)
    path = run_dir / CONFIG_FILE
    if not keys or not main or not path.is_file():
        yield
        return
    before = loads_shallow(path.read_bytes())
    stamp = _stamp(run_dir / CHECKPOINT_FILE)
    try:
        yield
    except DivergenceError as exc:
        if _stamp(run_dir / CHECKPOINT_FILE) == stamp and isinstance(before, dict):
            undone = _put_back(path, before, keys)
            if undone and exc.args and isinstance(exc.args[0], str):
                exc.args = (_resumes_forcing(exc.args[0], run_dir, undone), *exc.args[1:])
        raise


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Return what tells the file at ``path`` rewritten (a checkpoint is renamed into place: a
    new inode), or ``None`` where there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _put_back(path: Path, before: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """Write ``config.json`` at ``path`` as the resume left it, but for the ``keys`` of its
    ``config`` section and everything outside that section (the data's SHA-256 and source, the
    resumes recorded), as they were ``before`` it; return the forced values so undone (the
    resume's ``config`` values that differed from those put back), in the section's order."""
    now = loads_shallow(path.read_bytes())
    if not isinstance(now, dict) or not isinstance(now.get("config"), dict):
        return {}
    old = before.get("config")
    if not isinstance(old, dict):
        return {}
    config = {**now["config"], **{k: old[k] for k in keys if k in old}}
    write_json_atomic(path, {**before, "config": config})
    undone = {k: v for k, v in now["config"].items() if k in keys and k in old and old[k] != v}
    # the lr first: the setting the stop speaks of, as the command line gives it (--lr X --force)
    return dict(sorted(undone.items(), key=lambda item: item[0] != "lr"))


# a resume's call in a message: linearnets.resume_softmax('my run', lr=1, force=True)
_STRING = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_RESUME_CALL = re.compile(rf"linearnets\.resume_(softmax|linreg)\(((?:{_STRING}|[^'\"()])*)\)")


def _resumes_forcing(message: str, run_dir: Path, forced: dict[str, Any]) -> str:
    """Return ``message`` with each resume of ``run_dir`` it advises carrying the ``forced``
    values it does not name, and ``force=True``: ``resume_softmax('rs', guard=False)`` after
    ``lr=1e30`` was put back reads ``resume_softmax('rs', lr=1e+30, force=True, guard=False)``;
    ``resume_linreg('rs', lr=0.1, force=True)`` after ``lr=1, batch_size=10`` were, ``...,
    lr=0.1, batch_size=10, force=True)`` (on the command line ``--lr 0.1 --batch-size 10
    --force``). Another call, or one not of literals, stays as written."""

    def amended(match: re.Match[str]) -> str:
        source = match[0]
        try:
            call = ast.parse(source, mode="eval").body
            if (
                not isinstance(call, ast.Call)
                or len(call.args) != 1
                or any(kw.arg is None for kw in call.keywords)
                or Path(str(ast.literal_eval(call.args[0]))) != run_dir
            ):
                return source
        except (SyntaxError, ValueError):
            return source
        given = {str(kw.arg): ast.get_source_segment(source, kw.value) for kw in call.keywords}
        words = [ast.get_source_segment(source, call.args[0]) or repr(str(run_dir))]
        words += [f"{k}={v}" for k, v in given.items() if k not in ("force", "guard")]
        words += [f"{k}={v!r}" for k, v in forced.items() if k not in given]
        words.append("force=True")
        if "guard" in given:
            words.append(f"guard={given['guard']}")
        return f"linearnets.resume_{match[1]}({', '.join(words)})"

    return _RESUME_CALL.sub(amended, message)
