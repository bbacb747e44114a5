"""What a resume continues with: the settings last asked for, with its overrides applied.

A resume rebuilds its config from the run's ``config.json`` (or, when it is lost, the checkpoint's:
:mod:`linearnets.tasks.resume_saved` reads them)
with the caller's overrides applied, and is refused when it has nothing to do (no epochs left to
train) or would throw logged epochs away (:mod:`linearnets.tasks.logged_epochs`, whose names are
importable from here too). What those settings change, and whether it may:
:mod:`linearnets.tasks.resume_changes`. Used by :mod:`linearnets.tasks.resume`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from linearnets._json import loads_shallow
from linearnets._text import and_list, counted, shown_path
from linearnets._warn import warn
from linearnets.config import SoftmaxConfig
from linearnets.config_checks import BatchBytesError
from linearnets.config_values import meant_advice
from linearnets.errors import ResumeWarning, UsageError
from linearnets.tasks.experiment import check_data_source
from linearnets.tasks.logged_epochs import check_logged_epochs, epochs_logged
from linearnets.tasks.reports import missing_reports
from linearnets.tasks.resume_batch import batch_refused
from linearnets.tasks.weights import WEIGHTS_FILE, weights_intact
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.metrics_files import KeptMetrics, metrics_disagreements
from linearnets.training.run_config import refuse_out, run_complete
from linearnets.training.runs import CONFIG_FILE, RESULTS_FILE

__all__ = [
    "check_epochs_left",
    "check_logged_epochs",
    "config_lost",
    "epochs_logged",
    "note_config_rewritten",
    "note_metrics_kept",
    "note_metrics_rewritten",
    "results_summarize",
    "resumed_config",
]


def resumed_config(
    old: SoftmaxConfig,
    overrides: dict[str, Any],
    run_dir: Path,
    *,
    saved: dict[str, Any] | None = None,
) -> SoftmaxConfig:
    """Return the old config with ``overrides`` applied and ``out`` set to the run folder (and,
    where they give a ``data`` file, without the Fashion-MNIST run's ``data_dir``).

    Its batch is checked for this process (2 GiB of each process's share): ``old``, a run's
    saved settings, held for the processes it ran in, which ``saved`` (``config.json``) records.

    Raises:
        UsageError: an unknown setting, ``out``, a setting the data cannot take (``resize``
            or ``data_dir`` with a ``data`` file), or a batch this process cannot hold.
    """
    allowed = {f.name for f in fields(SoftmaxConfig)} - {"out"}
    refuse_out("resume_softmax", overrides, run_dir)
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        # the setting each likely meant, as SoftmaxConfig(num_epochs=3) and resume_linreg name it
        settings = sorted(name for name in allowed if not name.startswith("_"))
        # (or, where that setting is given too, to drop the misspelt keyword)
        raise UsageError(
            f"resume_softmax got unknown settings {unknown}; "
            f"{meant_advice(unknown, overrides, settings)}pass SoftmaxConfig fields "
            f"among {settings}"
        )
    try:
        if overrides.get("data") is not None and "data_dir" not in overrides:
            # a data file replaces Fashion-MNIST (a change --force accepts): the run's own
            # data_dir, which only finds those images, goes with it rather than be refused beside
            # the file
            old = replace(old, data_dir=None)
        elif "data" not in overrides and old.data:
            _refuse_images_only(old.data, overrides)
        new = replace(old, **overrides, out=run_dir)
    except BatchBytesError as exc:
        # a resize given as the run's own is no change: the fixes are the run's batch's
        given = [k for k, v in overrides.items() if k != "resize" or v != old.resize]
        raise batch_refused(exc, given=given, run_dir=run_dir, saved=saved) from None
    check_data_source(new)  # before the changes are named: --force cannot make these fit
    return new


def _refuse_images_only(data: Path, overrides: dict[str, Any]) -> None:
    """Refuse ``data_dir`` or ``resize`` among the overrides of a run trained on the ``data`` file.

    The run's own file, not one the caller passed: "drop one of them" (as check_data_source says
    of both given) could not be followed.
    """
    kept = f"a run trained on data={str(data)!r} (its config.json), which a resume keeps"
    if overrides.get("data_dir") is not None:
        raise UsageError(
            f"data_dir finds Fashion-MNIST, got data_dir={str(overrides['data_dir'])!r} for "
            f"{kept}; leave data_dir out to resume it, or train on Fashion-MNIST in a new run folder"
        )
    if overrides.get("resize") is not None:
        raise UsageError(
            f"resize applies to Fashion-MNIST images only, got resize={overrides['resize']!r} for "
            f"{kept}; leave resize out to resume it, or train on Fashion-MNIST at that size in a "
            "new run folder"
        )


def check_epochs_left(
    run_dir: Path, epoch: int, new: SoftmaxConfig, *, given: bool, logged: Sequence[int]
) -> dict[str, str]:
    """Refuse a resume with nothing to do: no epochs left, and the weights, reports, figures,
    metrics and ``config.json`` written.

    Finished means ``model.pt`` and ``results.json`` of the checkpoint's epoch: those of an earlier,
    shorter run (a resume for more epochs stopped after its last checkpoint) are stale, and the
    resume writes them again; and ``metrics.jsonl`` and ``metrics.csv`` whole, with a row of each
    epoch of the checkpoint's history (the resume writes them again from it).

    Args:
        epoch: the epochs the checkpoint finished.
        given: whether the caller passed ``epochs`` (else ``new.epochs`` is the run's own).
        logged: the epochs of the checkpoint's history, one row each in the metrics files.

    Returns:
        The metrics files that disagree with the history, with why (see
        :func:`~linearnets.training.metrics_files.metrics_disagreements`): for
        :func:`note_metrics_rewritten` once the resume wrote them again.
    """
    wrong = metrics_disagreements(run_dir, logged)
    # a model.pt damaged since is not finished: the resume writes it again from the checkpoint
    finished = weights_intact(run_dir / WEIGHTS_FILE) and results_summarize(run_dir, epoch)
    finished = finished and not wrong  # metrics removed or damaged: rewritten from the history
    # a run whose plotting process died is finished but for its figures, and one whose reports
    # were removed but for those: the resume writes them again
    finished = finished and not missing_reports(new, run_dir)
    finished = finished and not config_lost(run_dir)  # rebuilt from the checkpoint, written again
    if epoch == new.epochs and finished and not given:  # the plain resume of a complete run
        raise run_complete(run_dir, epoch)
    if epoch > new.epochs or (epoch == new.epochs and finished):
        # in the API's words; the command line says --epochs (linearnets.cli spells it)
        own = "" if given else ", the run's own (none was given)"
        fix = f"pass e.g. epochs={epoch + 5} to train further"
        rule = "more than"
        if not finished:  # its own epoch count ends the run there: the weights and reports written
            rule, fix = "at least", f"{fix}, or pass epochs={epoch} to end the run there"
        raise UsageError(
            f"epochs must be {rule} the epochs the run in {shown_path(run_dir)} already finished "
            f"({epoch}), got {new.epochs}{own}; {fix}"
        )
    return wrong


def config_lost(run_dir: Path) -> bool:
    """Whether ``run_dir``'s ``config.json`` is gone: a resume continues from its checkpoint's
    settings (:func:`~linearnets.tasks.resume_saved.config_from_checkpoint`) and writes it again,
    so a finished run that lost it is not complete (:func:`note_config_rewritten` says it)."""
    return not (run_dir / CONFIG_FILE).exists()


def note_config_rewritten(run_dir: Path, *, lost: bool) -> None:
    """Tell (a :class:`~linearnets.errors.ResumeWarning`) that a resume which trained nothing
    wrote ``run_dir``'s ``config.json`` again from its checkpoint, the file being ``lost``
    (:func:`config_lost`, before the resume wrote it); nothing where it was there."""
    if lost:
        warn(
            f"wrote {CONFIG_FILE} in {shown_path(run_dir)} again from its {CHECKPOINT_FILE}'s "
            f"settings: {CONFIG_FILE} was missing (the record of earlier resumes and any notes "
            "of yours it held are lost with it)",
            ResumeWarning,
        )


def note_metrics_rewritten(
    run_dir: Path, wrong: dict[str, str], *, epochs: int, kept: Mapping[str, KeptMetrics]
) -> None:
    """Tell (a :class:`~linearnets.errors.ResumeWarning`) that a resume which trained nothing wrote
    the metrics files in ``wrong`` (name -> why, :func:`check_epochs_left`'s) again from the
    checkpoint's history of ``epochs`` epochs, and what of them was kept (``kept``,
    :meth:`~linearnets.training.metrics_files.MetricsWriter.keep_old`'s: the old content as
    ``NAME.bak``, a link replaced); nothing where none was wrong and none kept. A file kept alone
    (its epochs the history's, a row of them edited, a column of yours) was written again too:
    named with the others, with how it differed (``KeptMetrics.why``); a file kept whose
    ``KeptMetrics.wrong`` tells what ``wrong`` does is told in its words alone, not twice."""
    if not wrong and not kept:
        return
    why = []
    names = list(dict.fromkeys([*wrong, *kept]))
    for name in names:
        # kept's words say it (a link to no file; rows of other epochs, damage): not twice
        told = name in kept and (kept[name].link_missing or kept[name].wrong is not None)
        said = [f"{name} {wrong[name]}"] if name in wrong and not told else []
        if name in kept:
            said.append(kept[name].said(name))
        why.append("; ".join(said))
    warn(
        f"wrote {and_list(names)} in {shown_path(run_dir)} again from its "
        f"{CHECKPOINT_FILE}'s history ({counted(epochs, 'epoch')}): {'; '.join(why)}",
        ResumeWarning,
    )


def note_metrics_kept(
    run_dir: Path, kept: Mapping[str, KeptMetrics], *, epochs: int | None
) -> None:
    """Tell (a :class:`~linearnets.errors.ResumeWarning`) that a resume which trains further writes
    the metrics files again from the checkpoint's history of ``epochs`` epochs, keeping the old
    content of those that differed (a column of yours, rows past the checkpoint) as ``NAME.bak``
    and replacing a link by a file (``kept``); nothing where ``kept`` is empty. ``epochs``
    ``None``: a start over (no checkpoint), which writes them again empty."""
    if not kept:
        return
    said = "; ".join(k.said(name) for name, k in kept.items())
    how = (
        "empty to start the run over"
        if epochs is None
        else f"from its {CHECKPOINT_FILE}'s history ({counted(epochs, 'epoch')}) to resume it"
    )
    # said before the write, which may yet fail (a full disk): what is kept, not what is written
    warn(
        f"before writing the metrics files in {shown_path(run_dir)} again {how}: {said}",
        ResumeWarning,
    )


def results_summarize(run_dir: Path, epoch: int) -> bool:
    """Return whether ``results.json`` in ``run_dir`` is readable and names no other epoch count than
    ``epoch`` (a softmax or a linear-regression run's: a damaged one is no finished run's)."""
    try:
        epochs = loads_shallow((run_dir / RESULTS_FILE).read_text(encoding="utf-8")).get(
            "epochs", epoch
        )
    except (OSError, ValueError, AttributeError):  # missing, or damaged: the resume rewrites it
        return False
    return bool(epochs == epoch)
