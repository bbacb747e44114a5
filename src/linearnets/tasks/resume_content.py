"""The data file a resume continues on, judged by its content against the checkpoint's.

A run records its ``data`` file's SHA-256 in ``config.json`` (``data_sha256``) and its checkpoint
the SHA-256 of the content it was trained on (``extra["data_sha256"]``). A file is judged by its
content, whatever its path (:func:`judge_data`): the checkpoint's own continues unforced, moved or
copied; what an earlier forced resume from its epoch switched to carries on as forced; anything
else is a change, refused unless forced (:func:`data_change`, in :func:`content_changed`'s words).
A checkpoint trained on other data than ``config.json`` records is refused alike
(:func:`linearnets.tasks.checkpoint_data.refuse_checkpoint_data`). Where the file is, as the run recorded it, is
:mod:`linearnets.tasks.resume_data`'s. Shared by both tasks' resumes:
:mod:`linearnets.tasks.resume` and :mod:`linearnets.tasks.resume_changes` (softmax),
:mod:`linearnets.tasks.linreg_resume`, :mod:`linearnets.tasks.linreg_changes` and
:mod:`linearnets.tasks.linreg_refusal` (linear regression).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from linearnets._fs import sha256_file
from linearnets._text import shown_path
from linearnets.errors import UsageError
from linearnets.tasks.resume_entries import forced_values_since
from linearnets.training.runs import CONFIG_FILE

if TYPE_CHECKING:
    from linearnets.tasks.experiment import Experiment

__all__ = [
    "CARRIED",
    "CHANGED",
    "GONE",
    "OWN",
    "DataContent",
    "ForcedAt",
    "carried_file",
    "content_changed",
    "content_fix",
    "data_change",
    "forced_at",
    "judge_data",
    "own_content_first",
    "recorded_for",
    "same_path",
    "sha256_or_none",
]


# how a data file's content stands to the checkpoint's (judge_data)
OWN = "own"  # the content the checkpoint was trained on: no change, at any path
CARRIED = "carried"  # what an earlier forced resume from its epoch switched to: forced before
CHANGED = "changed"  # neither: a change that needs force
GONE = "gone"  # no file at the path forced (carried_file): moved or deleted since


@dataclass(frozen=True)
class DataContent:
    """A data file's content as a resume judges it (:func:`judge_data`).

    Attributes:
        verdict: :data:`OWN`, :data:`CARRIED` or :data:`CHANGED`; ``None`` where the content is
            not judged (no file, one that cannot be read, or no SHA-256 to compare it with).
        sha: the file's SHA-256 now (``None``: no file, or unreadable).
        baseline: the SHA-256 of the content the checkpoint was trained on (``None``: none known).
    """

    verdict: str | None
    sha: str | None
    baseline: str | None


class ForcedAt(NamedTuple):
    """The earlier forced resume a data file's content is judged against (:func:`forced_at`).

    Attributes:
        epoch: the epoch that resume started from.
        switched: ``True`` where it switched to the file from another; ``False`` where it forced
            new content at the run's own path (its content, not the run's first, is the one
            recorded: it was said changed "since the run started", the original file put back).
        lost: ``True`` where no such resume is known: ``config.json`` is lost, its history with
            it, and the content is judged against the checkpoint's alone (it was said changed
            "since the run started", the original file put back, which a forced resume may have
            replaced since).
    """

    epoch: int
    switched: bool = True
    lost: bool = False


def _baseline(saved: dict[str, Any], *, trained: object, old_data: object) -> str | None:
    """Return the SHA-256 of the content the checkpoint was trained on: its own record
    (``trained``, its ``extra["data_sha256"]``), else ``config.json``'s (a checkpoint of an
    earlier linearnets, or none: a run starting over); ``None`` where it trained on no file
    (``old_data``) or ``config.json`` records ``null`` for its file (:func:`_unchecked`). A record
    deleted from ``config.json`` is no such choice: the checkpoint's is compared (changed content
    trained on silently, though the checkpoint records the content it was trained on)."""
    recorded = saved.get("data_sha256")
    if old_data is None or _unchecked(saved):
        return None
    if isinstance(trained, str):
        return trained
    return recorded if isinstance(recorded, str) else None


def _unchecked(saved: dict[str, Any]) -> bool:
    """Whether ``config.json`` records ``null`` for the SHA-256 of the data file it names: the
    user's choice, no check. Not where it names none: a forced switch to synthetic data (or
    Fashion-MNIST), stopped before its first checkpoint, wrote that ``null``, and a file passed
    back was named "no SHA-256 recorded", though the checkpoint records the content it was
    trained on (a copy of the run's own file was refused as a change)."""
    section = saved.get("config")
    named = section.get("data") if isinstance(section, dict) else None
    return "data_sha256" in saved and saved["data_sha256"] is None and named is not None


def judge_data(
    data: str | Path | None,
    saved: dict[str, Any],
    *,
    trained: object,
    epoch: int | None,
    old_data: object,
    sha: str | None = None,
) -> DataContent:
    """Judge the ``data`` file a resume continues on by its content, whatever its path: the
    checkpoint's own (:data:`OWN`, continues unforced), what an earlier forced resume from the
    checkpoint's ``epoch`` switched to (:data:`CARRIED`: ``config.json``'s ``data_sha256``, and
    each ``forced`` record's, at any path: moved or copied), or else :data:`CHANGED`, a change
    that needs force (after a forced switch from no file, the content forced is compared alone).
    Not judged where ``config.json`` records ``null`` (the user's choice: no check), nor with
    nothing to compare. Shared by both tasks' resumes (paths compared alone, a moved copy of the
    file forced before, or of the checkpoint's own, was refused as a new file).

    Args:
        saved: the run's ``config.json`` (its ``data_sha256``, its ``resumes``).
        trained: the checkpoint's ``extra["data_sha256"]`` (``None``: no checkpoint, or none).
        epoch: the checkpoint's epoch (``None``: no checkpoint, nothing carried).
        old_data: the file the checkpoint was trained on (``None``: none).
        sha: the file's SHA-256 where the caller read it already.
    """
    baseline = _baseline(saved, trained=trained, old_data=old_data)
    if data is None:
        return DataContent(None, None, baseline)
    if sha is None:
        sha = sha256_or_none(Path(data))
    recorded = saved.get("data_sha256")
    if sha is None or _unchecked(saved):  # null: the user's choice
        return DataContent(None, sha, baseline)
    if sha == baseline:
        return DataContent(OWN, sha, baseline)
    forced = forced_values_since(saved, epoch) if epoch is not None else {}
    carried = {*forced.get("data_sha256", []), *([recorded] if isinstance(recorded, str) else [])}
    if baseline is None and not carried:  # nothing to compare the content with
        return DataContent(None, sha, baseline)
    return DataContent(CARRIED if sha in carried else CHANGED, sha, baseline)


def carried_file(
    data: str | Path,
    saved: dict[str, Any],
    *,
    trained: object,
    epoch: int | None,
    old_data: object,
    forced_paths: Collection[object],
) -> str | None:
    """Say how ``config.json``'s ``data`` file, where it is not the checkpoint's own
    ``old_data``, stands as what leaving a given ``data`` out continues on, in both tasks'
    refusals: :data:`CARRIED` where it continues as an earlier forced resume from ``epoch``
    switched to it (by its content, or, where no content can be judged, by its path among the
    ``forced_paths``); the file forced there, :data:`CHANGED` where its content changed since
    and :data:`GONE` where it is no file now (left out, it was refused next); else ``None``."""
    if old_data is not None and same_path(data, str(old_data)):
        return None
    content = judge_data(data, saved, trained=trained, epoch=epoch, old_data=old_data)
    if content.verdict == CARRIED:
        return CARRIED
    if str(data) not in map(str, forced_paths):
        return None
    if not Path(data).is_file():
        return GONE
    return {None: CARRIED, CHANGED: CHANGED}.get(content.verdict)


def recorded_for(data: str | Path, saved: dict[str, Any], *, baseline: str | None) -> str | None:
    """Return the SHA-256 the run records for the file at ``data``'s path: ``config.json``'s for
    the file it names, else the checkpoint's content (``baseline``) for any other (each path is
    named with its own: the checkpoint's file was said to have changed from another's)."""
    section = saved.get("config")
    named = section.get("data") if isinstance(section, dict) else None
    recorded = saved.get("data_sha256")
    if isinstance(named, str) and named and isinstance(recorded, str) and same_path(named, data):
        return recorded
    return baseline


def same_path(a: str | Path, b: str | Path) -> bool:
    """Whether ``a`` and ``b`` name the same file (one path given as typed, one as recorded)."""
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


_CONTINUED = object()  # data_change's old_data left out: the file continued on is the checkpoint's


def data_change(
    saved: dict[str, Any],
    exp: Experiment,
    run_dir: Path,
    *,
    force: bool,
    trained: object = None,
    epoch: int | None = None,
    old_data: object = _CONTINUED,
) -> tuple[str, str] | None:
    """Return the SHA-256 of the ``data`` content the checkpoint was trained on and the file's
    now, where the content is a change that needs force (:func:`judge_data`'s
    :data:`CHANGED`), else ``None``: never the checkpoint's own content (``trained``), nor what
    an earlier forced resume from ``epoch`` switched to, at any path. ``old_data``: the
    checkpoint's file (by default the file continued on). The record pairs the checkpoint's
    content with the new (a forced switch from b to d recorded b's, though the checkpoint was
    trained on a); the refusal names the file with its own SHA-256 (:func:`recorded_for`).

    Raises:
        UsageError: it changed and ``force`` is off.
    """
    data = exp.config.data
    old = data if old_data is _CONTINUED else old_data
    content = judge_data(
        data, saved, trained=trained, epoch=epoch, old_data=old, sha=exp.data_sha256
    )
    now = content.sha
    own = None if data is None else recorded_for(data, saved, baseline=content.baseline)
    if content.verdict != CHANGED or own is None or now is None:
        return None
    if not force:
        since = forced_at(data, saved, epoch, old_data=old, run_dir=run_dir)
        shown = exp.config.data_as_given()  # as the caller spelt it
        raise UsageError(content_changed(shown, own, now, run_dir, since=since))
    return content.baseline or own, now


def content_changed(
    data: object,
    was: str,
    now: str,
    run_dir: Path,
    *,
    fix: bool = True,
    since: ForcedAt | None = None,
) -> str:
    """Return the refusal of a resume whose recorded ``data`` file, not passed by the caller,
    holds new content (SHA-256 ``was`` recorded, ``now`` read), with its fixes, the original file
    or ``force=True`` (``fix``; else the change alone, for a refusal naming others too), not
    leaving out a ``data`` never given (a linear-regression resume said "leave it out to resume
    the run as it was"). ``since``: the earlier resume that switched to the file, or forced new
    content at its path (:func:`forced_at`; it was said to have changed "since the run started",
    its content put back to "resume the run as it was", though ``was`` is what that resume
    forced). Shared by both tasks' resumes."""
    when = f"the run in {shown_path(run_dir)} started"
    if since is not None and since.lost:
        when = "the checkpoint was trained on it"
    elif since is not None:
        what = "switched to it" if since.switched else "forced new content at this path"
        when = f"an earlier resume from epoch {since.epoch} {what}"
    change = f"data={str(data)!r} changed since {when} (SHA-256 {was[:12]}… then, {now[:12]}… now)"
    if not fix:
        return change
    return (
        f"{change}, which would change its result; {content_fix(since)}, or pass "
        "force=True to continue on the new content"
    )


def content_fix(since: ForcedAt | None, *, beside: bool = False) -> str:
    """Return the fix of a data file's content changed (:func:`content_changed`): the original
    file put back, or, where an earlier resume ``since`` switched to it, its content as that
    resume forced it (``beside`` a fix that continues the same run: the content alone), or,
    where that resume forced new content at the run's own path, that content."""
    if since is None:
        return "put the original file back"
    if not since.switched:
        return "put that content back"
    if beside:
        return "put that file's content back"
    return "put its content back to continue with it, as that resume forced"


def own_content_first(
    leave: str,
    saved: dict[str, Any],
    run_dir: Path,
    *,
    trained: object,
    epoch: int | None,
    old_data: object,
) -> str | None:
    """Return the fix of a given ``data`` refused that leaves it out (``leave``: "leave data
    out", "leave lr and data out ..."), where the file ``config.json`` names, which it continues on,
    has new content since (:func:`judge_data`'s :data:`CHANGED`): that change named
    (:func:`content_changed`), its content put back first (:func:`content_fix`), then
    ``leave`` (``leave`` alone was refused next, even forced where the weights cannot take the
    new content). ``None`` where ``leave`` alone continues the run. ``trained``, ``epoch``,
    ``old_data``: the checkpoint's SHA-256, epoch and file, as :func:`judge_data` takes them."""
    section = saved.get("config")
    named = section.get("data") if isinstance(section, dict) else None
    if not isinstance(named, str) or not named or not Path(named).is_file():
        return None  # no file: original_file_fix, carried_file's GONE name it
    content = judge_data(named, saved, trained=trained, epoch=epoch, old_data=old_data)
    was = recorded_for(named, saved, baseline=content.baseline)
    if content.verdict != CHANGED or content.sha is None or was is None:
        return None
    since = forced_at(named, saved, epoch, old_data=old_data, run_dir=run_dir)
    change = content_changed(named, was, content.sha, run_dir, fix=False, since=since)
    return f"and {change}: {content_fix(since, beside=True)}, then {leave}"


def forced_at(
    data: str | Path | None,
    saved: dict[str, Any],
    epoch: int | None,
    *,
    old_data: object,
    run_dir: Path | None = None,
) -> ForcedAt | None:
    """Return the earlier resume from ``epoch`` that switched to the file at ``data``'s path from
    the checkpoint's ``old_data`` (a forced ``data`` carried on: its content recorded then is
    the one to put back), or, for the run's own file, the latest resume up to ``epoch`` that
    forced the content ``config.json`` records for it (new content at the same path: the
    original file put back was refused as new content, "since the run started"); else
    ``None``: the run's own file, its content the run's first. Where ``run_dir`` holds no
    ``config.json`` (lost: no history of resumes), one that says so (``lost``): the checkpoint's
    content is all that is known."""
    if data is None or epoch is None:
        return None
    if run_dir is not None and not (run_dir / CONFIG_FILE).exists():
        return ForcedAt(epoch, switched=False, lost=True)
    if old_data is not None and same_path(data, str(old_data)):
        return _forced_here(saved, epoch)
    forced = forced_values_since(saved, epoch).get("data", [])
    hit = any(isinstance(v, str) and same_path(v, data) for v in forced)
    return ForcedAt(epoch) if hit else None


def _forced_here(saved: dict[str, Any], epoch: int) -> ForcedAt | None:
    """Return the latest resume from an epoch up to ``epoch`` whose forced ``data_sha256`` is
    the content ``config.json`` records for its own file, else ``None``: new content at the
    same path, or a switch to this file where that resume's forced ``data`` names another
    (said "forced new content at this path" of a file switched to, or switched back to)."""
    recorded = saved.get("data_sha256")
    if not isinstance(recorded, str):
        return None
    found = None
    for entry in saved.get("resumes", []):
        start = entry.get("from_epoch")
        forced = entry.get("forced") or {}
        pair = forced.get("data_sha256")
        if isinstance(start, int) and start <= epoch and pair and pair[-1] == recorded:
            found = ForcedAt(start, switched=_path_switched(forced.get("data")))
    return found


# a forced data path as linreg records it: 'q.csv (SHA-256 56b6d7459785)', '(no SHA-256 ...)'
_SHA_NOTE = re.compile(r" \((?:no )?SHA-256 [^()]*\)$")


def _path_switched(pair: object) -> bool:
    """Whether a resume's forced ``data`` pair [old, new] names two files (a switch), not one
    file's new content (no pair: softmax records none for new content at the same path)."""
    if not isinstance(pair, list) or len(pair) != 2:
        return False
    old, new = pair
    if not isinstance(old, str) or not isinstance(new, str) or not old or not new:
        return True
    return not same_path(_SHA_NOTE.sub("", old), new)


def sha256_or_none(path: Path) -> str | None:
    """Return ``path``'s SHA-256, ``None`` where it cannot be read (reading the data names it)."""
    try:
        return sha256_file(path)
    except OSError:
        return None
