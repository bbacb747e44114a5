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
at config.json's earlier values, not at those it names. Every process computes those values from
the resume's settings (:func:`forced_put_back`) and writes its calls with them (:func:`resume_call`),
so every rank of a data-parallel run gives the same advice, rank 0, which puts config.json back, as
the others.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from linearnets._json import dumps_strict, loads_shallow
from linearnets.errors import CheckpointError, DivergenceError, RunFileError
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.dist_failures import PeerLostError
from linearnets.training.run_files import CONFIG_FILE, write_json_atomic
from linearnets.training.run_task import asked_resume

__all__ = [
    "asked_again_when_unrecorded",
    "forced_put_back",
    "forced_undone_on_divergence",
    "resume_call",
]


def forced_put_back(
    saved: Mapping[str, Any], config: Mapping[str, Any], forced: Iterable[str]
) -> dict[str, Any]:
    """Return the forced values a divergence before the resume's first checkpoint puts back:
    those of the settings ``forced`` (keys of ``config.json``'s ``config`` section) that the
    resume's ``config`` (its ``to_dict()``, as written to ``config.json``) gives another value
    than ``saved`` (``config.json`` as the resume found it) does; JSON values, the lr first, then
    the others by name (the file's order). ``{}`` where ``saved`` holds no ``config`` section.
    """
    old = saved.get("config")
    if not isinstance(old, dict):
        return {}
    keys = set(forced)
    now = loads_shallow(dumps_strict(dict(config)))  # the values as config.json holds them
    undone = {k: v for k, v in now.items() if k in keys and k in old and old[k] != v}
    # the lr first: the setting the stop speaks of, as the command line gives it (--lr X --force)
    return dict(sorted(undone.items(), key=lambda item: (item[0] != "lr", item[0])))


def resume_call(
    task: str,
    run_dir: Path,
    forced: Mapping[str, Any],
    *,
    lr: float | None = None,
    force: bool = False,
    guard: bool | None = None,
) -> str:
    """Return the call that resumes ``run_dir``, ``linearnets.resume_{task}(DIR, ...)``, with
    ``lr`` (``:g``), the ``forced`` values put back (:func:`forced_put_back`) that it does not
    name, ``force=True`` (where ``force`` or any are), and ``guard``: ``resume_softmax('rs',
    guard=False)`` after ``lr=1e30`` was put back reads ``resume_softmax('rs', lr=1e+30,
    force=True, guard=False)``, and ``resume_linreg('rs', lr=0.1, force=True)`` after ``lr=1,
    batch_size=10`` were ``resume_linreg('rs', lr=0.1, batch_size=10, force=True)`` (on the
    command line ``--lr 0.1 --batch-size 10 --force``)."""
    words = [repr(str(run_dir))]
    if lr is not None:
        words.append(f"lr={lr:g}")
    words += [f"{k}={v!r}" for k, v in forced.items() if not (k == "lr" and lr is not None)]
    if force or forced:
        words.append("force=True")
    if guard is not None:
        words.append(f"guard={guard}")
    return f"linearnets.resume_{task}({', '.join(words)})"


@contextlib.contextmanager
def asked_again_when_unrecorded(
    task: Literal["softmax", "linreg"],
    run_dir: Path,
    overrides: Mapping[str, Any],
    *,
    force: bool,
    until_checkpoint: bool = False,
) -> Iterator[None]:
    """Have a run file the block could not write, before the resume's settings were recorded in
    ``config.json`` (its metrics' rewrite, ``config.json`` itself), advise the same resume again:
    ``linearnets.resume_{task}(DIR, epochs=3)``, not the plain one, which then took the run's old
    settings (a complete run's refused as complete, "pass e.g. epochs=7"). The plain call may be
    followed by how a data-parallel run's processes are started again (``", launched by torchrun
    as before"``, :func:`~linearnets.training.interrupt.launched_as_before`), which stays.

    ``until_checkpoint``: the block is a start over's training, begun without a checkpoint. Once
    it wrote its first ``checkpoint.pt``, ``config.json`` records its settings and the plain
    resume, as advised, continues them (and keeps the data-changed refusal ``force`` skips). The
    other processes of a data-parallel start over, told rank 0 stopped (on a file unwritten,
    say), advise the resume as rank 0 does: by the checkpoint in the run folder as they see it.
    """
    try:
        yield
    except (CheckpointError, RunFileError, PeerLostError) as exc:
        if isinstance(exc, PeerLostError) and not until_checkpoint:
            raise
        if until_checkpoint and (run_dir / CHECKPOINT_FILE).exists():
            raise
        plain = f"linearnets.resume_{task}({str(run_dir)!r})"
        text = str(exc)
        at = text.rfind(plain)
        launch = text[at + len(plain) :]
        if (overrides or force) and at >= 0 and _LAUNCHED.fullmatch(launch):
            call = asked_resume(task, run_dir, overrides, force=force)
            exc.args = (f"{text[:at]}{call}{launch}",)
        raise


# what may follow the plain call: how a data-parallel run's processes are started again
_LAUNCHED = re.compile(r"(, launched by \w+ as before| in \d+ processes, started as before)?")


@contextlib.contextmanager
def forced_undone_on_divergence(
    run_dir: Path, forced: Iterable[str], *, main: bool = True
) -> Iterator[None]:
    """Put ``config.json``'s settings ``forced`` (keys of its ``config`` section) back to their
    values on entry, where the block raises :class:`DivergenceError` before a checkpoint is
    written; enter it before the resume rewrites ``config.json``. The stop's message is the
    block's own: its advice carries the values put back (:func:`resume_call`).

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
    except DivergenceError:
        if _stamp(run_dir / CHECKPOINT_FILE) == stamp and isinstance(before, dict):
            _put_back(path, before, keys)
        raise


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Return what tells the file at ``path`` rewritten (a checkpoint is renamed into place: a
    new inode), or ``None`` where there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def _put_back(path: Path, before: dict[str, Any], keys: set[str]) -> None:
    """Write ``config.json`` at ``path`` as the resume left it, but for the ``keys`` of its
    ``config`` section and everything outside that section (the data's SHA-256 and source, the
    resumes recorded), as they were ``before`` it."""
    now = loads_shallow(path.read_bytes())
    if not isinstance(now, dict) or not isinstance(now.get("config"), dict):
        return
    old = before.get("config")
    if not isinstance(old, dict):
        return
    config = {**now["config"], **{k: old[k] for k in keys if k in old}}
    write_json_atomic(path, {**before, "config": config})
