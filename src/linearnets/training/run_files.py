"""A run folder's files: their names, the figures ``linearnets predict`` draws there, a figure
refused where it would pass for a run's, the temporaries a killed writer left, and JSON written
atomically (D2L §3.6.6's run, kept on disk).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from linearnets._json import dumps_strict
from linearnets._shell import shell_word
from linearnets._text import shown_path
from linearnets.errors import RunFileError, UsageError
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.checkpoint_write import write_text_atomic
from linearnets.training.metrics_files import backup_copy
from linearnets.training.run_task import held_resume

__all__ = [
    "CONFIG_FILE",
    "LONGEST_NAME",
    "RESULTS_FILE",
    "RUN_FILES",
    "RUN_OUTPUTS",
    "WEIGHTS_FILE",
    "PredictFigure",
    "check_not_a_runs_figure",
    "check_not_a_runs_out",
    "draws_no_figure",
    "holds_a_linearnets_run",
    "holds_a_run",
    "keep_replaced",
    "landing_folder",
    "outside_run_folder",
    "passing_for_a_runs",
    "predict_figure_name",
    "predict_figures",
    "remove_stale_temporaries",
    "write_json_atomic",
]

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.pt"  # the trained weights
RESULTS_FILE = "results.json"  # the final summary, as --json prints it
# a folder holding any of these holds (part of) a run: a new run there would overwrite it
RUN_FILES = (CONFIG_FILE, CHECKPOINT_FILE, WEIGHTS_FILE, RESULTS_FILE)
# the files that say a folder is a run's, for a figure written there: a results.json alone (a
# paper's folder) is no run's, though a new run refuses to write over it (RUN_FILES); a
# config.json says so where it is a run's (holds_a_run)
_RUN_MARKERS = (CHECKPOINT_FILE, WEIGHTS_FILE)
# a run's config.json is a few KiB: one far larger is no run's (and is not read whole to tell)
_LARGEST_CONFIG = 1 << 20
# every file a softmax run writes in its folder: a new run refuses a folder holding any of them,
# rather than overwrite a file of the user's that happens to share a name
RUN_OUTPUTS = (
    *RUN_FILES,
    "metrics.jsonl",
    "metrics.csv",
    "curves.png",
    "curves.svg",
    "predictions.png",
    "confusion.png",
    "confusion.pt",
    "per_class.txt",
)
# the names ``linearnets predict RUN_DIR -n N`` gives its figure in the run folder (N as printed):
# predict-N.png, and predict-wrong-N.png with --wrong (the first N test images it gets wrong); its
# --out may name them .svg or .pdf in a run folder (plotting._out_path.SAVE_FORMATS, any case)
_FIGURE_SUFFIX = r"\.(?i:png|svg|pdf)"
_PREDICT_FIGURE = re.compile(rf"predict-(wrong-)?([1-9][0-9]*){_FIGURE_SUFFIX}")
# that name with its N zero-padded (predict-02.png): no name predict gives, so no resume removes
# it, yet it passes for predict-2.png beside the run's weights
_PADDED_FIGURE = re.compile(rf"predict-(wrong-)?0+([1-9][0-9]*)({_FIGURE_SUFFIX})")
# the run's own figures (curves, predictions, confusion), under any suffix --out takes: a
# confusion.pdf there passes for the run's confusion.png as much as a confusion.png would
_RUN_FIGURE_STEMS = sorted(
    {name.rsplit(".", 1)[0] for name in RUN_OUTPUTS if re.fullmatch(f".+{_FIGURE_SUFFIX}", name)}
)  # confusion, curves, predictions
_RUN_FIGURE = re.compile(rf"({'|'.join(_RUN_FIGURE_STEMS)}){_FIGURE_SUFFIX}")
# the longest name a file in a run folder takes, temporaries included: the temporary file of the
# figure ``linearnets predict RUN_DIR -n 100 --wrong`` draws there (plotting._mpl's
# ".NAME.<pid>-<8 hex digits>.tmp", the pid at most 4194304, Linux's PID_MAX_LIMIT; -n at most
# MAX_SHOW). The run's own (".checkpoint.pt.<8 hex digits>.tmp", ".predictions.png.<pid>-...")
# are shorter; test_run_files recomputes them all from the writers
LONGEST_NAME = ".predict-wrong-100.png.4194304-0123abcd.tmp"


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a synced temporary file and a rename.

    As a checkpoint is written: a crash leaves the old file or the new one, never a short or empty
    one, and a failed write leaves no temporary file behind.

    Raises:
        RunFileError: it could not be written; the message names the file, the reason and the fix
            (``--resume`` only where it can continue the run, or start it over).
    """
    write_text_atomic(path, dumps_strict(data, indent=2, sort_keys=True) + "\n")


class PredictFigure(NamedTuple):
    """A figure ``linearnets predict`` drew into a run folder: its ``-n``, whether ``--wrong``."""

    n: int
    wrong: bool
    path: Path

    @property
    def options(self) -> str:
        """The options that draw it again: ``-n N``, ``--wrong`` for the mistakes, and ``--out``
        where it is no default name (``predict-6.svg``)."""
        again = f"-n {self.n}" + (" --wrong" if self.wrong else "")
        if self.path.name == predict_figure_name(self.n, wrong=self.wrong):
            return again
        return f"{again} --out {shell_word(self.path)}"


def predict_figure_name(n: int, *, wrong: bool = False) -> str:
    """Return the name ``linearnets predict RUN_DIR -n n`` draws its figure under in RUN_DIR:
    ``predict-n.png``, with ``--wrong`` (``wrong``) ``predict-wrong-n.png``."""
    return f"predict-wrong-{n}.png" if wrong else f"predict-{n}.png"


def predict_figures(run_dir: Path) -> list[PredictFigure]:
    """Return the figures ``linearnets predict`` drew into ``run_dir``, by ``n`` (at each ``n``,
    the predictions before the mistakes).

    Only files named as predict names them, :func:`predict_figure_name` of an ``n`` from 1 to its
    bound :data:`~linearnets._figure_limits.MAX_SHOW`, with ``--wrong`` or without, as ``.png``
    or (``--out`` there) ``.svg`` or ``.pdf``; no folder, link or other file.
    """
    from linearnets._figure_limits import MAX_SHOW  # loads no plotting: plotting imports this

    try:
        entries = list(run_dir.iterdir())
    except OSError:
        return []
    found = []
    for path in entries:
        match = _PREDICT_FIGURE.fullmatch(path.name)
        if match and int(match[2]) <= MAX_SHOW and path.is_file() and not path.is_symlink():
            found.append(PredictFigure(int(match[2]), match[1] is not None, path))
    return sorted(found)


def _predict_named(key: str) -> re.Match[str] | None:
    """Return the match of ``key``, a name in lower case (casefolded), as a figure predict names
    its own at an ``-n`` it takes (1 to :data:`~linearnets._figure_limits.MAX_SHOW`), zero-padded
    (``_PADDED_FIGURE``) or not; ``None`` where it is none."""
    from linearnets._figure_limits import MAX_SHOW

    drawn = _PREDICT_FIGURE.fullmatch(key) or _PADDED_FIGURE.fullmatch(key)
    return drawn if drawn is not None and int(drawn[2]) <= MAX_SHOW else None


def _passes_for_runs_own(key: str) -> bool:
    """Whether ``key``, a name in lower case, is a run's file (:data:`RUN_OUTPUTS`) or one of its
    figures under another suffix --out takes (``confusion.pdf``)."""
    return key in RUN_OUTPUTS or _RUN_FIGURE.fullmatch(key) is not None


def passing_for_a_runs(folder: Path) -> tuple[list[str], list[str]]:
    """Return the files in ``folder`` that would pass for a run's without being named as it
    writes them (:data:`RUN_OUTPUTS`), by the rule :func:`check_not_a_runs_figure` refuses an
    ``--out`` by: the figures named as ``linearnets predict`` names its own (in any letters'
    case, zero-padded: ``Predict-3.PNG``, ``predict-03.png``; by ``-n``, the predictions before
    the mistakes), and the run's own files in another letters' case or, its figures, another
    suffix (``Confusion.png``, ``confusion.pdf``; by name). Files only: no folder or link.
    """
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return [], []
    drawn: list[tuple[int, bool, str]] = []
    alike: list[str] = []
    for path in entries:
        name = path.name
        if name in RUN_OUTPUTS or not path.is_file() or path.is_symlink():
            continue
        key = name.casefold()
        match = _predict_named(key)
        if match is not None:
            drawn.append((int(match[2]), match[1] is not None, name))
        elif _passes_for_runs_own(key):
            alike.append(name)
    return [name for *_, name in sorted(drawn)], alike


def check_not_a_runs_figure(setting: str, out: Path, *, fix: str, own: Path | None = None) -> None:
    """Refuse the figure ``out`` (given as ``setting``) where it would replace or pass for a run's.

    In a folder that holds a run (:func:`holds_a_linearnets_run`) that draws figures (a softmax
    run's; a linear-regression run draws none: :func:`draws_no_figure`), the names a run writes
    (:data:`RUN_OUTPUTS`: its curves, prediction grid, confusion matrix; a figure of theirs under
    any suffix --out takes, ``confusion.pdf``) are the run's, and ``predict-N.png`` is the figure
    ``linearnets predict`` draws from that run's weights at ``-n N`` (``predict-wrong-N.png`` at
    ``-n N --wrong``, its mistakes; ``.svg`` or ``.pdf`` alike; ``predict-0N.png`` passes for it):
    ``linearnets predict --out`` and ``data show --out`` once wrote over them, leaving a figure of
    other images or another run's weights under the run's name. ``own`` is the one such file the
    caller may write (``linearnets predict``'s default figure, under any of those suffixes: a
    run's resume removes it as it does the ``.png``); ``fix`` ends the message, but for ``own``
    zero-padded (``predict-06.png``, which no resume removes): its name as predict gives it is
    offered.

    Raises:
        UsageError: ``out`` names such a file.
    """
    folder, name = landing_folder(out), out.name
    # matched in any case: where a file system tells no case apart (macOS's, Windows'), a
    # Confusion.png is the run's confusion.png, and is written over it
    key = name.casefold()
    drawn = _predict_named(key)
    if drawn is None and not _passes_for_runs_own(key):
        return
    try:
        if not holds_a_linearnets_run(folder):
            return  # no run's folder (another tool's model.pt makes none)
        if draws_no_figure(folder):
            return  # a linear-regression run's: it draws none, and predict reads none of its
        if own is not None and _same_figure(name, own.name) and folder.samefile(own.parent):
            return  # the caller's own figure, under any suffix
    except OSError:  # a folder that cannot be looked into: the write names the problem
        return
    if drawn is None:
        raise UsageError(
            f"{setting} {shown_path(out)} is {_runs_own(name)}, which the run in "
            f"{shown_path(folder)} writes: a figure written there would pass for the run's; {fix}"
        )
    n, wrong = int(drawn[2]), drawn[1] is not None
    again = f"-n {n}{' --wrong' if wrong else ''}"
    how = _how_respelled(name, padded=drawn.re is _PADDED_FIGURE)
    # the name predict gives it (None: it is that name), its suffix as given (any case is its own)
    canonical = None if how is None else f"predict-{drawn[1] or ''}{n}{out.suffix}"
    if canonical is not None and own is not None and _is_own(folder / canonical, own):
        raise UsageError(
            f"{setting} {shown_path(out)} is {canonical} {how}, in the run folder "
            f"{shown_path(folder)}: it would pass for the figure linearnets predict draws there "
            f"at {again}, yet a resume that trains removes that figure and would keep this one "
            f"beside the new weights; pass --out {shell_word(folder / canonical)}, or leave out "
            "--out"
        )
    padded = "," if canonical is None else f", which passes for {canonical},"
    raise UsageError(
        f"{setting} {shown_path(out)} is {name} in the run folder {shown_path(folder)}{padded} "
        f"the name linearnets predict gives the {'mistakes' if wrong else 'predictions'} of that "
        f"run's weights at {again}: a figure written there would pass for them; {fix}"
    )


def draws_no_figure(folder: Path) -> bool:
    """Whether the run ``folder`` holds draws no figure there, nor does ``linearnets predict``
    from it: a linear-regression run's (its ``config.json``'s ``"task"``, or without one its
    checkpoint's, as its resume is told apart from a softmax run's:
    :func:`~linearnets.training.run_task.held_resume`), which writes only ``checkpoint.pt``,
    ``config.json``, ``metrics.*`` and ``results.json``; a ``model.pt`` beside it is a softmax
    run's, whose figures stay refused. A user's own curves, prediction grid or confusion matrix
    there (``LiveCurves(out_dir=...)`` beside ``run_linreg``) passes for no run's figure.

    Raises:
        OSError: ``folder`` cannot be looked into.
    """
    if (folder / WEIGHTS_FILE).exists():
        return False
    return held_resume(folder, "resume_softmax") == "resume_linreg"


def holds_a_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run, for a figure written there: its ``checkpoint.pt`` or
    ``model.pt``, or a ``config.json`` of a run's (a ``results.json`` alone is any folder's file).

    Raises:
        OSError: ``folder`` cannot be looked into.
    """
    if any((folder / held).exists() for held in _RUN_MARKERS):
        return True
    return _is_runs_config(folder / CONFIG_FILE)


def check_not_a_runs_out(out: Path) -> None:
    """Refuse the figure ``out``, the ``out`` of the Python API (``show_images``,
    ``plot_predictions``, ``plot_confusion_matrix``, ``ln.predict``), where it would replace or
    pass for a run's (:func:`check_not_a_runs_figure`), offering a file beside the run folder
    (:func:`outside_run_folder`): ``out=runs/a/curves.png`` -> ``out='runs/a-curves.png'``.

    Raises:
        UsageError: ``out`` names such a file.
    """
    fix = f"pass out a file outside the run folder, e.g. out={str(outside_run_folder(out))!r}"
    check_not_a_runs_figure("out", out, fix=fix)


def outside_run_folder(out: Path) -> Path:
    """Return a file for ``out``, a run's figure, outside its run folder and named as no run's
    file: the folder's name before out's, beside the folder (``runs/a/predictions.png`` ->
    ``runs/a-predictions.png``). A bare ``predictions.png`` offered was the refused file again
    where the current folder is the run's."""
    folder = out.parent
    if folder.name in ("", ".", ".."):  # the current folder, or one above: named absolutely
        folder = Path(os.path.abspath(folder))
    return folder.parent / f"{folder.name or 'my'}-{out.name}"


def landing_folder(out: Path) -> Path:
    """Return the folder the file ``out`` lands in: its parent as given, but where that holds a
    ``..`` (``r2/nd/../x.png``), the folder it really names, its links resolved as the kernel
    does (``nd`` is made before the write, so ``nd/..`` is ``r2``): judged as typed, such an
    ``out`` was written into a run's folder past every check of it. Shown relative where that
    names the same folder (``r2``), else absolute."""
    parent = out.parent
    if ".." not in parent.parts:
        return parent
    real = os.path.realpath(parent)
    plain = os.path.normpath(parent)
    return Path(plain if os.path.realpath(plain) == real else real)


def holds_a_linearnets_run(folder: Path) -> bool:
    """Whether ``folder`` holds a run of linearnets', not only of any tool's: a ``config.json``
    of a run's, or a ``model.pt`` or ``checkpoint.pt`` whose pickle holds the keys linearnets
    writes (read from the zip's index and the pickle's first 64 KiB, no tensor loaded). Another
    tool's ``model.pt`` beside a figure (``--out proj/x.png``) was refused as "another run".

    Raises:
        OSError: ``folder`` cannot be looked into.
    """
    if _is_runs_config(folder / CONFIG_FILE):
        return True
    return any(_is_linearnets_pt(folder / name, keys) for name, keys in _PT_KEYS.items())


# what each of a run's .pt files holds in its pickle, whatever else another tool's may
_PT_KEYS = {
    # the keys pickled before its classes, up to 100,000 names that push state_dict past 64 KiB
    WEIGHTS_FILE: (b"impl", b"num_inputs", b"num_outputs", b"resize"),
    CHECKPOINT_FILE: (b"linearnets-checkpoint",),
}


def _is_linearnets_pt(path: Path, keys: tuple[bytes, ...]) -> bool:
    """Whether ``path`` is a file ``torch.save`` wrote whose pickle holds all of ``keys``."""
    import zipfile

    if not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            pickled = next((n for n in archive.namelist() if n.endswith("/data.pkl")), None)
            if pickled is None:
                return False
            with archive.open(pickled) as file:
                start = file.read(1 << 16)
    except Exception:  # unreadable, no zip, a member damaged (zlib.error, LZMAError): a probe
        return False
    return all(key in start for key in keys)


def holds_another_tools_config(folder: Path) -> bool:
    """Whether ``folder`` holds no run but a ``config.json`` that is a JSON object of another
    tool's (an editor's ``{"editor": "vim"}``): no resume reads it as a run's. One that is no JSON
    object is read by a resume as a damaged run's, to restore.

    Raises:
        OSError: ``folder`` cannot be looked into, or its ``config.json`` read.
    """
    if holds_a_run(folder):
        return False
    path = folder / CONFIG_FILE
    if not path.is_file():
        return False
    with path.open("rb") as file:  # its start alone: a huge one is no run's either
        start = file.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
    return start[:1] == b"{"


def _is_runs_config(path: Path) -> bool:
    """Whether ``path``, a ``config.json``, may be a run's: not another tool's (an editor's
    ``{"editor": "vim"}``, a list), which made its folder a run's, and ``out`` there refused.
    A run's holds a JSON object with the sections a run writes (``config``, ``task``, ...); one
    unreadable as JSON, or a folder in its place, is taken for a damaged run's.

    Raises:
        OSError: ``path`` cannot be read.
    """
    import json

    from linearnets.training.config_sections import SECTIONS

    if not path.exists():
        return False
    if not path.is_file() or path.stat().st_size > _LARGEST_CONFIG:
        return path.is_dir()  # a folder in its place: a damaged run's; a huge file: no run's
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        return True  # a run's, cut short or edited wrong: it is read (and named) as a run's
    return isinstance(data, dict) and (not data or not SECTIONS.isdisjoint(data))


def _is_own(path: Path, own: Path) -> bool:
    """Whether ``path`` is the figure ``own`` (``run/predict-6.png``), under any figure suffix."""
    try:
        return _same_figure(path.name, own.name) and path.parent.samefile(own.parent)
    except OSError:
        return False


def _how_respelled(name: str, *, padded: bool) -> str | None:
    """Say how ``name``, a figure named as predict names its own in any case and zero-padded or
    not, differs from the name predict gives it: zero-padded (``predict-02.png``), in capitals
    (``Predict-2.png``), or both; ``None`` where it is that name (its suffix in any case)."""
    stem = name.rsplit(".", 1)[0]
    capitals = "in other letters' case" if stem != stem.casefold() else ""
    how = " and ".join(filter(None, ["zero-padded" if padded else "", capitals]))
    return how or None


def _runs_own(name: str) -> str:
    """Say which of the run's figures ``name`` is: itself, ``confusion.png`` under ``.pdf``, or
    in other letters' case (``Confusion.png``)."""
    if name in RUN_OUTPUTS:
        return name
    key = name.casefold()
    if key in RUN_OUTPUTS:
        return (
            f"{name}, the run's {key} in other letters' case (the same file where a file system "
            "tells no case apart, as macOS's and Windows' do)"
        )
    stem = key.rsplit(".", 1)[0]
    figures = [n for n in RUN_OUTPUTS if n.startswith(f"{stem}.") and _RUN_FIGURE.fullmatch(n)]
    written = " and ".join(figures)  # curves.png and curves.svg, not confusion.pt
    return f"{name}, the run's {written} under another suffix"


def _same_figure(name: str, own: str) -> bool:
    """Whether ``name`` is the figure ``own`` (``predict-6.png``), under any figure suffix."""
    drawn, mine = _PREDICT_FIGURE.fullmatch(name), _PREDICT_FIGURE.fullmatch(own)
    if drawn is None or mine is None:
        return name == own
    return drawn.groups() == mine.groups()


def keep_replaced(
    run_dir: Path, names: tuple[str, ...] = (WEIGHTS_FILE, RESULTS_FILE)
) -> dict[str, str]:
    """Copy each of ``names`` in ``run_dir`` to ``NAME.bak`` (``NAME.bak.1``, ... where taken; none
    where a backup holds that content already), before a start over replaces them; return file
    name -> its backup's name, for the caller's note.

    A run started over with ``force`` (its checkpoint lost or damaged) writes new weights and
    results where the finished run's were: as the metrics' rewrite keeps the old metrics files
    (:meth:`~linearnets.training.metrics_files.MetricsWriter.keep_old`), the trained weights are
    kept too. A missing file keeps nothing, nor does a link (its file is left as it was). Every
    file is read before any backup is written.

    Raises:
        RunFileError: a file could not be read (no permission, a folder in its place): it would
            be replaced unkept, so nothing is; or a backup could not be written (a full disk):
            nothing is replaced yet. The message names the file, the reason and the fix.
    """
    read = {}
    for name in names:
        path = run_dir / name
        if path.is_symlink():
            continue
        try:
            read[name] = path.read_bytes()
        except FileNotFoundError:  # nothing to keep
            continue
        except OSError as exc:
            raise _unkeepable(path, exc) from exc
    return {name: backup_copy(run_dir / name, old) for name, old in read.items()}


def _unkeepable(path: Path, exc: OSError) -> RunFileError:
    """Return the error for ``path``, a file a start over replaces, that could not be read to be
    kept as ``NAME.bak``: it names the file, the reason and the fix, ending with the resume that
    starts the run over (rewritten to the resume asked, ``force=True`` with it, by
    :func:`~linearnets.tasks.resume_diverged.asked_again_when_unrecorded`)."""
    reason = " ".join((exc.strerror or str(exc)).split())[:200]
    resume = f"linearnets.{held_resume(path.parent, 'resume_softmax')}({str(path.parent)!r})"
    return RunFileError(
        f"{shown_path(path)} could not be read to keep it as {path.name}.bak before the run "
        f"starts over, which replaces it: {reason}; nothing was replaced: make it readable, or "
        f"move it out of the run folder, then start the run over with {resume}"
    )


def remove_stale_temporaries(run_dir: Path, *, names: tuple[str, ...] = RUN_OUTPUTS) -> list[str]:
    """Remove the temporary files a killed writer left in ``run_dir``; return their names.

    Every file of a run is written through a dot-file beside it, ``.NAME.tmp`` or
    ``.NAME.<random>.tmp``, renamed over ``NAME``; a ``kill -9`` mid-write leaves it behind, and no
    later write reuses a random name. Call it holding the folder's lock
    (:class:`~linearnets.training.run_lock.RunLock`): then no writer of this run is alive.
    ``linearnets predict`` draws into the folder without the lock: its figures' temporaries
    (``.predict-6.png.PID-XXXXXXXX.tmp``) go only once process PID has ended. Other files,
    folders and links are left alone.
    """
    pattern = re.compile(rf"\.(?:{'|'.join(map(re.escape, names))})(?:\.[^/]*)?\.tmp")
    removed = []
    try:
        stale = [
            p
            for p in run_dir.iterdir()
            if pattern.fullmatch(p.name) or _dead_predict_temporary(p.name)
        ]
    except OSError:
        return []
    for path in stale:
        try:
            if path.is_file() and not path.is_symlink():
                path.unlink()
                removed.append(path.name)
        except OSError:  # gone meanwhile, or not ours to delete: not the resume's error
            continue
    return removed


_PREDICT_TEMPORARY = re.compile(
    rf"\.predict-(?:wrong-)?[1-9][0-9]*{_FIGURE_SUFFIX}\.([0-9]+)-[0-9a-f]{{8}}\.tmp"
)


def _dead_predict_temporary(name: str) -> bool:
    """Return whether ``name`` is the temporary of a figure ``linearnets predict`` was drawing
    (``.predict-6.png.PID-XXXXXXXX.tmp``) whose process PID has ended: a predict killed mid-write.

    A predict still drawing, or a process of another user with that PID, keeps its file.
    """
    import os

    match = _PREDICT_TEMPORARY.fullmatch(name)
    if match is None:
        return False
    pid = int(match[1])
    if pid <= 0 or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):  # another user's, or no pid at all
        return False
    return False
