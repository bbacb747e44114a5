"""What ``linearnets predict`` reads from a run folder: the model (refused unless trained on
Fashion-MNIST), the test images, from the folder the run trained on where it still holds them, and
whether the weights stayed while it drew them (D2L §3.6.7). See :mod:`linearnets.cli.predict`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from linearnets._text import quoted_path, shown_path
from linearnets.errors import UsageError

if TYPE_CHECKING:
    from linearnets.data.fashion_mnist import FashionMNISTArrays

__all__ = ["check_weights_kept", "load_fashion_mnist_model", "read_test_set", "weights_stamp"]


def weights_stamp(run_dir: Path) -> tuple[int, ...] | None:
    """Return what tells ``run_dir``'s ``model.pt`` from another (a rename puts a new file in
    place), ``None`` where there is none."""
    from linearnets.training.runs import WEIGHTS_FILE

    try:
        found = (run_dir / WEIGHTS_FILE).stat()
    except OSError:
        return None
    return found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns


def check_weights_kept(
    run_dir: Path,
    stamp: tuple[int, ...] | None,
    out: Path,
    *,
    n: int,
    wrong: bool = False,
    drawn: bool = True,
) -> None:
    """Refuse, and remove, a figure ``out`` drawn into ``run_dir`` from weights a resume of its run
    removed or replaced while predict drew them (``stamp``: the weights' before the load); ``n``
    and ``wrong`` are the -n and --wrong that draw it again.

    The resume removes the figures predict drew before it, but not one written after: beside the
    resumed run's weights it showed the weights before, with nothing to tell. ``drawn=False``:
    --wrong found no mistakes and wrote no figure (none is removed); its "none wrong" was found
    with the weights before all the same, and is refused alike, before anything is printed.
    """
    from linearnets._shell import shell_word
    from linearnets.training.run_lock import lock_holder
    from linearnets.training.runs import WEIGHTS_FILE

    try:
        in_run_dir = out.parent.samefile(run_dir)
    except OSError:
        in_run_dir = False
    if not in_run_dir or weights_stamp(run_dir) == stamp:
        return
    if drawn:
        out.unlink(missing_ok=True)
        what = f"{out.name} would show the weights before, and was removed"
        again = "draw it again"
    else:  # out is not predict's to remove: it wrote none
        what = f"its 'none wrong' was found with the weights before (no {out.name} written)"
        again = "look again"
    holder = lock_holder(run_dir)
    now = "removed" if weights_stamp(run_dir) is None else "replaced"
    by = f"linearnets process {holder}" if holder is not None else "a resume"
    raise UsageError(
        f"RUN_DIR must keep its trained weights {WEIGHTS_FILE} while predict draws them, got "
        f"{quoted_path(run_dir)}, whose {WEIGHTS_FILE} {by} {now} meanwhile: {what}; once the run "
        f"ends, {again} with: linearnets predict {shell_word(run_dir)} -n {n}"
        f"{' --wrong' if wrong else ''}"
    )


def load_fashion_mnist_model(
    run_dir: Path, *, data_dir: Path | None = None
) -> tuple[Any, dict[str, Any], Any]:
    """Return the run's model, its metadata and the ``data_dir`` its ``config.json`` records
    (``None`` without one); refuse a run that was not trained on Fashion-MNIST.

    A ``--data`` run is refused before its weights are read: a missing or damaged ``model.pt``
    was sent to a resume "then predict", which refused it for its data. So is a relative
    ``data_dir`` (a hand edit: a run writes it absolute) unless ``data_dir`` (--data-dir) is
    given: read from the current folder, it named another folder than the run's, or none.
    """
    from linearnets.config_values import path_setting
    from linearnets.tasks.resume_saved import copied_config, refuse_linreg_run
    from linearnets.tasks.softmax import load_trained
    from linearnets.training.checkpoint import CHECKPOINT_FILE
    from linearnets.training.run_config import (
        bad_config_value,
        read_config,
        relative_config_path,
    )
    from linearnets.training.run_task import held_checkpoint_task
    from linearnets.training.runs import CONFIG_FILE

    try:
        has_config = (run_dir / CONFIG_FILE).is_file()
    except OSError:  # a folder that cannot be searched: load_trained names it
        has_config = False
    # predict needs no config.json (the weights say what they fit); one that is there must be
    # sound. Without it, a linear-regression run's checkpoint says whose the folder is: it was
    # sent to a softmax resume to write its model.pt
    saved: dict[str, Any] = (
        read_config(run_dir)
        if has_config
        else {"config": _checkpoint_settings(run_dir), "task": held_checkpoint_task(run_dir)}
    )
    # a linear-regression run's copied in beside a softmax run's weights was refused as that
    # run's folder, "pass its folder", the folder passed
    copied = copied_config(run_dir, saved, reader="predict") if has_config else None
    if copied is not None:
        raise copied
    refuse_linreg_run(
        saved,
        run_dir,
        fix="predict draws a 'linearnets softmax' run's predictions: pass its folder",
        source=CONFIG_FILE if has_config else CHECKPOINT_FILE,
    )
    config = saved["config"]
    # checked as a run checks them: "data": 1 by hand was said as "trained on --data 1", and a
    # "data_dir": 5 was passed over unread for the usual places
    for key in ("data", "data_dir"):
        try:
            path_setting(key, config.get(key))
        except UsageError as exc:
            raise bad_config_value(run_dir, exc) from None
    relative = relative_config_path(
        run_dir,
        "data_dir",
        config,
        what="the Fashion-MNIST folder",
        reader="predict",
        fix="write the folder's absolute path there (or null, to search the usual places), or "
        "pass --data-dir DIR to read the test images from that folder",
    )
    if relative is not None and data_dir is None:
        raise relative
    data = config.get("data")
    if data is not None:
        _check_data_agrees(run_dir, data)
        raise UsageError(
            f"predict draws Fashion-MNIST test images, but the run in {shown_path(run_dir)} was "
            f"trained on --data {shown_path(str(data))}; evaluate that model on its own data from "
            "Python (linearnets.tasks.softmax.load_trained)"
        )
    net, meta = load_trained(run_dir)
    _check_fits_fashion_mnist(run_dir, meta)
    return net, meta, config.get("data_dir")


def _checkpoint_settings(run_dir: Path) -> dict[str, Any]:
    """Return the ``data`` setting of ``run_dir``'s checkpoint, as a resume rebuilds a lost
    ``config.json`` from it (``{}`` without a checkpoint to read, or where it names no file).

    A ``--data`` run whose copied-in ``config.json`` predict refused, "or delete it (predict
    reads only its data and data_dir)", was then told its model did not fit Fashion-MNIST's
    images, "re-run training to recreate it", where its data were the reason. Its ``data_dir``
    is not taken: the test images are searched for in the usual places, as without a checkpoint,
    and no message names a ``config.json`` that is not there."""
    from linearnets.training.run_config import resumable_checkpoint

    ckpt = resumable_checkpoint(run_dir)
    data = ckpt.config.get("data") if ckpt is not None and isinstance(ckpt.config, dict) else None
    return {"data": data} if isinstance(data, str) and data else {}


def _check_data_agrees(run_dir: Path, data: Any) -> None:
    """Refuse a ``config.json`` whose ``data`` (a file) the run's ``model.pt`` belies: a model of
    Fashion-MNIST's class names (a ``--data`` run's are ``"0"``, ``"1"``, ...), with no checkpoint
    of a ``--data`` run beside it. A "data" edited by hand was said to be what the run trained on,
    and the model sent to Python to be evaluated on that data."""
    from linearnets.tasks.weights import fashion_mnist_weights
    from linearnets.training.checkpoint import CHECKPOINT_FILE
    from linearnets.training.run_config import resumable_checkpoint
    from linearnets.training.runs import CONFIG_FILE, WEIGHTS_FILE

    meta = fashion_mnist_weights(run_dir / WEIGHTS_FILE)
    if meta is None:
        return
    ckpt = resumable_checkpoint(run_dir)
    if ckpt is not None and ckpt.config.get("data") is not None:  # the run's: model.pt the copy
        return
    also = f", and its {CHECKPOINT_FILE}'s settings name no --data file" if ckpt is not None else ""
    raise UsageError(
        f"{shown_path(run_dir / CONFIG_FILE)} disagrees with {WEIGHTS_FILE} beside it: it says the "
        f"run was trained on --data {shown_path(str(data))}, but {WEIGHTS_FILE} holds a "
        f"Fashion-MNIST model ({meta['num_inputs']} inputs, {meta['num_outputs']} outputs, "
        f"Fashion-MNIST's class names){also}; {CONFIG_FILE} was edited or copied from another "
        f'run: put back the run\'s own, or set "data" in its "config" back to null, then predict'
    )


def read_test_set(data_dir: Path | None, trained_on: Any) -> FashionMNISTArrays:
    """Return Fashion-MNIST's test split from ``data_dir`` (--data-dir); without it, from the
    folder the run trained on (``trained_on``, its config's data_dir, which --resume reads too)
    while that folder still holds the test files, else from the usual places. Only the two test
    files are looked for, read and verified by MD5 (a folder holding them alone serves): every
    copy gives the same test images."""
    from linearnets.data.fashion_mnist import read_fashion_mnist
    from linearnets.data.files import NotFoundError
    from linearnets.errors import DatasetError

    passed_over = None
    if data_dir is None and isinstance(trained_on, str) and trained_on:
        try:
            return read_fashion_mnist(trained_on, train=False)
        except (UsageError, DatasetError) as err:
            passed_over = err  # moved, removed or damaged since: the search may find another copy
    try:
        return read_fashion_mnist(data_dir, train=False)
    except NotFoundError as err:  # the search found none (a damaged copy is another error)
        if passed_over is None:
            raise
        # the run's folder was searched first: say so, and why it was passed over
        first = (
            f"{quoted_path(trained_on)}, the run's data_dir in config.json, first: "
            f"{_why(Path(trained_on).expanduser(), passed_over)}; then "
        )
        raise NotFoundError(
            what=err.what, searched=first + err.searched, fix=err.fix, misplaced=err.misplaced
        ) from None


def _why(folder: Path, err: Exception) -> str:
    """Return why the run's data ``folder`` was passed over, ``err`` its refusal."""
    from linearnets.data.files import FASHION_MNIST_FILES, TEST_FILES, missing_files
    from linearnets.errors import DatasetError

    if isinstance(err, DatasetError):  # a file there failed its size, MD5 or format check
        return f"a damaged file ({str(err).split('; ')[0]})"
    if not folder.is_dir():
        return "it is no longer a folder"
    test_files = {name: FASHION_MNIST_FILES[name] for name in TEST_FILES}
    return f"it lacks {', '.join(missing_files(folder, test_files))}"


def _check_fits_fashion_mnist(run_dir: Path, meta: dict[str, Any]) -> None:
    """Refuse a model that cannot take Fashion-MNIST's images (at its resize) or give its classes.

    The model's own metadata decides, so this holds with ``config.json`` gone too.
    """
    from linearnets.data.labels import TEXT_LABELS
    from linearnets.errors import CheckpointError
    from linearnets.training.runs import WEIGHTS_FILE

    side = meta.get("resize") or 28
    if meta["num_inputs"] != side * side or meta["num_outputs"] != 10:
        raise CheckpointError(
            f"{shown_path(run_dir / WEIGHTS_FILE)} holds a model of {meta['num_inputs']} inputs "
            f"and {meta['num_outputs']} outputs (resize={meta.get('resize')!r}), but predict needs "
            f"{side * side} for Fashion-MNIST's {side}×{side} images and 10 for its classes; it "
            "was trained on other data (--data), copied from another run, or is damaged: "
            f"{_refit_fix(run_dir / WEIGHTS_FILE)}"
        )
    classes = meta.get("classes")
    if classes is not None and list(classes) != list(TEXT_LABELS):
        raise UsageError(
            f"predict draws Fashion-MNIST test images, but the model in {shown_path(run_dir)} was "
            f"trained on other classes ({', '.join(map(str, list(classes)[:4]))}, ...): --data; "
            "evaluate that model on its own data from Python "
            "(linearnets.tasks.softmax.load_trained)"
        )


def _refit_fix(path: Path) -> str:
    """Return the fix for the weights ``path`` that load but do not fit Fashion-MNIST: written
    again from the run's checkpoint where it is a Fashion-MNIST softmax run's (a resume keeps a
    ``model.pt`` that loads: it says to delete it first), else by training again."""
    from linearnets.tasks.weights_checks import recreate_fix
    from linearnets.training.checkpoint import CHECKPOINT_FILE
    from linearnets.training.run_config import resumable_checkpoint

    ckpt = resumable_checkpoint(path.parent)
    data = None if ckpt is None else ckpt.config.get("data")
    if data is not None:  # config.json gone: the checkpoint is what says the run's data
        return (
            f"re-run training to recreate it (the run's {CHECKPOINT_FILE} is of a run trained on "
            f"--data {shown_path(str(data))}, so no resume writes a Fashion-MNIST model)"
        )
    return recreate_fix(path, loads=True)
