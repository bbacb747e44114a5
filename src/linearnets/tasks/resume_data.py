"""The data file a resume continues on, as the run recorded it: where, and the fix where gone.

A run records its ``data`` file's absolute path in ``config.json``'s ``config`` section and its
SHA-256 beside it (``data_sha256``). A resume refuses a recorded file that is gone, or named by a
relative path (a hand edit: it was looked for in the current folder) (:func:`check_recorded_data`).
Where ``config.json`` is lost, its checkpoint's record of the SHA-256 stands in
(:func:`~linearnets.tasks.resume_saved.config_from_checkpoint`), checked alike; a checkpoint of an
earlier linearnets holds none, which the messages say (:func:`no_sha256_recorded`), and the resume
warns that the content goes unchecked (:func:`warn_unchecked_content`). A softmax run's recorded
Fashion-MNIST folder (``data_dir``) that no longer holds the files is refused as the run's,
offering a copy found here; so is a ``data`` file recorded beside a setting no run records with
one (:func:`refuse_data_beside`); a new file refused where the run's own is gone is told to put
it back (:func:`original_file_fix`). The file's content, judged against the checkpoint's and
forced SHA-256s, is :mod:`linearnets.tasks.resume_content`'s. Used by
:mod:`linearnets.tasks.resume` for a softmax run's resume, and :func:`check_recorded_data` by
:mod:`linearnets.tasks.linreg_resume` for a linear-regression run's.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from pathlib import Path
from typing import Any

from linearnets._text import and_list, json_text, shown_path
from linearnets._warn import warn
from linearnets.config import LinregConfig, SoftmaxConfig
from linearnets.data.files import find_fashion_mnist
from linearnets.data.folder_contents import (
    FASHION_MNIST_FILES,
    files_in,
    missing_files,
    unsearchable_layout,
)
from linearnets.errors import DatasetError, ResumeWarning, UsageError
from linearnets.path_checks import unsearchable_folder
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.run_config import relative_config_path
from linearnets.training.runs import CONFIG_FILE

__all__ = [
    "check_recorded_data",
    "no_sha256_recorded",
    "original_file_fix",
    "refuse_data_beside",
    "warn_unchecked_content",
]


def no_sha256_recorded(run_dir: Path, *, of: str = "to check the content against") -> str:
    """Return why the run in ``run_dir`` has no SHA-256 of its data file (``of``: what it would be
    for): its ``config.json`` records none, or, that file lost, the checkpoint standing in for it
    holds none (one written by an earlier linearnets). The run did record it in a lost
    ``config.json``: "the run recorded no SHA-256" was said of it, which was false."""
    if (run_dir / CONFIG_FILE).exists():
        return f"the run recorded no SHA-256 {of}"
    return (
        f"{CONFIG_FILE} is lost, and {CHECKPOINT_FILE}, which stands in for it, is an earlier "
        f"linearnets' that recorded no SHA-256 {of}"
    )


def warn_unchecked_content(
    config: SoftmaxConfig | LinregConfig, saved: dict[str, Any], *, run_dir: Path
) -> None:
    """Warn (:class:`~linearnets.errors.ResumeWarning`) that a resume continues on its ``data``
    file unchecked: ``config.json``, which records the file's SHA-256, is lost, and the checkpoint
    standing in for it (``saved``) holds none (an earlier linearnets'). Changed content would train
    on without a word, and the rebuilt ``config.json`` record the new content's SHA-256 as the
    run's. A ``config.json`` that records none (set to ``null`` by hand) is the user's choice, as
    :func:`~linearnets.training.config_records.check_records` says, and so is a file at another
    path than the run's (refused as a change unless forced): no warning."""
    if config.data is None or (run_dir / CONFIG_FILE).exists() or "data_sha256" in saved:
        return
    if str(config.data) != str(saved.get("config", {}).get("data")):
        return
    warn(
        f"the run in {shown_path(run_dir)} continues on data={str(config.data)!r} unchecked: "
        f"{no_sha256_recorded(run_dir)}; if the file's content changed since the run trained on "
        "it, the result is not the run's: put the original file back",
        ResumeWarning,
    )


def refuse_data_beside(
    saved: dict[str, Any], run_dir: Path, keys: tuple[str, ...], *, why: str, instead: str
) -> None:
    """Refuse a ``config.json`` (``saved``, of ``run_dir``) whose ``config`` section holds a
    ``data`` file and, not ``null``, one of ``keys``, settings no run records beside a file (a
    linear-regression run's synthetic data, a softmax run's ``resize`` and ``data_dir``): a hand
    edit. The settings were refused as given together, in the words of options never passed and
    with the path made absolute ("cannot be given with --data /cwd/rel/x.csv"); here they are
    named as the file holds them, ``why`` says the rule, and the fix follows ``data_sha256``:
    recorded, the run trained on the file and the others go; ``null``, it trained on none and
    ``data`` goes; missing, either. ``instead``: the fix past the values (a copy of the file).

    Raises:
        UsageError: naming the file, the keys and their values, the rule and the fix.
    """
    section = saved.get("config")
    if not isinstance(section, dict):
        return
    data = section.get("data")
    if not isinstance(data, str) or not data:  # null, or a value the setting's check refuses
        return
    found = [key for key in keys if section.get(key) is not None]
    if not found:
        return
    named = and_list([json_text(key) for key in found])
    pairs = and_list([f"{json_text(key)}: {json_text(section[key], cut=40)}" for key in found])
    sha = saved.get("data_sha256")
    if isinstance(sha, str):
        fix = (
            f'set {named} to null, as the run was trained on the file (its "data_sha256" '
            "records the file's content)"
        )
    elif "data_sha256" in saved and sha is None:
        fix = (
            'set "data" to null, as the run was trained on no data file (its "data_sha256" is null)'
        )
    else:
        fix = f'set "data" to null, or {named} to null, as the run was trained'
    raise UsageError(
        f"{shown_path(run_dir / CONFIG_FILE)}: its 'config' section holds \"data\": "
        f"{json_text(data)} beside {pairs}, which no run records together ({why}); "
        f"{fix}, or {instead}"
    )


def check_recorded_data(
    config: SoftmaxConfig | LinregConfig,
    saved: dict[str, Any],
    *,
    given: Collection[str],
    run_dir: Path,
) -> None:
    """Refuse a ``data`` file the run's config names (not the caller) that is no longer there, or
    that ``config.json`` names by a relative path, and a softmax run's Fashion-MNIST ``data_dir``
    named so (hand edits: a run writes both absolute, and one read from the current folder was
    said to be the file the run trained on, or read another folder than the run's), or that is no
    longer a folder holding the files (the reader's refusal said ``--data-dir``, never given).

    A softmax or a linear-regression run's: both record the file's SHA-256 in ``config.json``.

    Raises:
        UsageError: naming where the path comes from and the fix, ``data=NEWPATH``
            (``data_dir=DIR``).
    """
    section = saved.get("config")
    data_dir = getattr(config, "data_dir", None)
    if data_dir is not None and "data_dir" not in given:
        refusal = relative_config_path(
            run_dir,
            "data_dir",
            section,
            what="the Fashion-MNIST folder",
            reader="a resume",
            fix="write the folder's absolute path there (or null, to search the usual places), "
            "or pass data_dir=DIR to resume on the files in that folder",
        )
        if refusal is not None:
            raise refusal
        if config.data is None:
            _check_recorded_folder(Path(data_dir).expanduser(), run_dir)
    if config.data is None or "data" in given:
        return
    checked = isinstance(saved.get("data_sha256"), str)
    fix = (
        " (its SHA-256 is checked: the same content continues the run, without force=True)"
        if checked
        else f" with force=True ({no_sha256_recorded(run_dir)})"
    )
    refusal = relative_config_path(
        run_dir,
        "data",
        section,
        what="the file",
        reader="a resume",
        fix=f"write the file's absolute path there, or pass data=FILE to resume on that file{fix}",
    )
    if refusal is not None:
        raise refusal
    if Path(config.data).is_file():
        return
    raise UsageError(
        f"the run in {shown_path(run_dir)} was trained on data={str(config.data)!r}, as the run's "
        "config records, which does not exist or is not a file now; if the file moved, pass "
        f"data=NEWPATH{fix}"
    )


def _check_recorded_folder(folder: Path, run_dir: Path) -> None:
    """Refuse the run's Fashion-MNIST folder ``folder`` (its config's, not the caller's) that is
    no longer a folder or lacks some of the files: the reader would say ``data_dir`` (on the
    command line ``--data-dir``) was given so, which it was not. A folder that cannot be searched
    is left to the reader, which names the folder in the way."""
    if unsearchable_folder(folder) or (
        folder.is_dir() and unsearchable_layout(folder, FASHION_MNIST_FILES)
    ):
        return
    if not folder.is_dir():
        problem = "is no longer a folder"
    elif files_in(folder, FASHION_MNIST_FILES) is None:
        problem = f"lacks {', '.join(missing_files(folder, FASHION_MNIST_FILES))} now"
    else:
        return
    raise UsageError(
        f"the run in {shown_path(run_dir)} was trained on data_dir={str(folder)!r}, as the run's "
        f"config records, which {problem}; if the Fashion-MNIST files moved, pass data_dir=NEWDIR "
        "(they are checked against Fashion-MNIST's MD5s: any folder with the four continues the "
        f"run){_found_copy()}"
    )


def _found_copy() -> str:
    """Return the clause offering a copy of Fashion-MNIST the usual places hold as the new
    ``data_dir``, else ``""``."""
    try:
        found = find_fashion_mnist(None)
    except (UsageError, DatasetError):  # none there, or a $LINEARNETS_DATA naming no folder
        return ""
    where = os.path.abspath(found.directory)
    return f"; a copy is found here ({found.source}): pass data_dir={where!r} to resume on it"


def original_file_fix(recorded: str | Path | None) -> str | None:
    """Return the fix of a resume refused for a new ``data`` file whose weights cannot carry over,
    where the run's own file, ``recorded``, is gone: "resume without data" led on to the refusal
    of a recorded file that does not exist. ``None`` where it is there (or the run had none):
    leaving ``data`` out then resumes on it. Shared by both tasks' resumes."""
    if recorded is None or Path(recorded).is_file():
        return None
    return (
        f"put the run's own file back in its place, {shown_path(Path(recorded))}, or pass "
        "data=NEWPATH for a copy of it moved elsewhere (its SHA-256 is checked: the same content "
        "continues the run)"
    )
