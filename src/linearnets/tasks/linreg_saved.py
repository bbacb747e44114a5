"""A linear-regression run's ``config.json`` read back for its resume (D2L §3.2.7): the folder
refused where it holds no such run (a softmax run's, none, another tool's file), the file where
a hand edit left it no run's (a data file beside the synthetic data's settings too). Used by
:mod:`linearnets.tasks.linreg_resume`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from linearnets._text import json_kind, json_text, respelled, shown_path
from linearnets.config_synthetic import SYNTHETIC_SETTINGS
from linearnets.errors import UsageError
from linearnets.tasks.linreg_run import TASK
from linearnets.tasks.resume_data import refuse_data_beside
from linearnets.tasks.resume_entries import check_entries
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.config_records import check_records
from linearnets.training.config_sections import check_sections
from linearnets.training.run_config import loaded_json, resumable_checkpoint
from linearnets.training.run_dir_checks import check_reachable
from linearnets.training.run_task import checkpoint_task
from linearnets.training.runs import CONFIG_FILE

__all__ = ["read_linreg_config"]


def read_linreg_config(run_dir: Path) -> dict[str, Any]:
    """Return ``run_dir/config.json``, refusing a folder that holds no linear-regression run, and
    a file whose sections or records are no run's (a hand edit, another tool's file): a
    ``resumes`` entry too (:func:`~linearnets.tasks.resume_entries.check_entries`).

    Raises:
        UsageError: naming the folder or the file, what is wrong, and the fix (the resume of the
            run the folder does hold, a copy of the file put back).
    """
    path = run_dir / CONFIG_FILE
    check_reachable(run_dir)  # Path.is_dir raised the bare PermissionError
    if not run_dir.is_dir():
        raise UsageError(
            f"the run folder {shown_path(run_dir)} does not exist or is not a folder; pass the "
            "folder a run kept with out=DIR"
        )
    if not path.exists():
        raise UsageError(_without_config(run_dir))
    saved = loaded_json(path, fix=lambda: f"put the run's {CONFIG_FILE} back, or start a new run")
    put_back = f"put back the run's {CONFIG_FILE} from a copy of the run"
    # in read_config's words, the value named as the file has it (it said "holds no run config"
    # of a [], or of a 'config' section that was NaN or a string)
    if not isinstance(saved, dict):
        raise UsageError(
            f"{shown_path(path)} must hold a JSON object, got {json_kind(saved)}; {put_back}"
        )
    if "config" in saved and not isinstance(saved["config"], dict):
        raise UsageError(
            f"{shown_path(path)}: its 'config' section must be a JSON object (the run's "
            f"settings), got {json_kind(saved['config'])}; {put_back}"
        )
    # a misspelt section, or a setting out of 'config', named
    check_sections(saved, path, fix=lambda: put_back)
    if "config" not in saved:  # another tool's file
        raise UsageError(
            f"{shown_path(path)} is not a linearnets run config (it has no 'config' section); "
            f"{put_back}"
        )
    task = saved.get("task")
    if task is None:  # a softmax run's config.json names no task
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds no linear-regression run (its "
            f"{CONFIG_FILE} is of a softmax run); resume it with: "
            f"linearnets.resume_softmax({str(run_dir)!r})"
        )
    respelling = respelled(task, TASK.__eq__)
    if respelling is not None:  # a linear-regression run's, its task edited: not a softmax run's
        raise UsageError(
            f"{shown_path(path)} names task {json_text(task)} ({respelling[0]}: "
            f"{json_text(TASK)}), which no run "
            f"writes; correct it, or {put_back}"
        )
    if task != TASK:  # no run writes it: a hand edit, or another tool's file
        # named as the file holds it: ["linreg"], not Python's ['linreg']; a string as "softmax"
        named = json_text(task, cut=60) if isinstance(task, str) else json_kind(task)
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds no linear-regression run (its "
            f"{CONFIG_FILE} is for a run of task {named}, not linear "
            f"regression); a softmax run resumes with: linearnets.resume_softmax({str(run_dir)!r}); "
            f"a linear-regression run's {CONFIG_FILE} names task {json_text(TASK)}: correct it"
        )
    # what a resume compares or copies forward (no checkpoint holds a linear-regression run's
    # config.json to rebuild it from)
    check_records(saved, path, rebuilt=put_back, device_kept=False)
    # each resume's entry, its pairs as linreg_resume writes them (the settings' own values)
    check_entries(saved, path, rebuilt=put_back, pairs="values")
    # a data file beside the synthetic data's settings: named as the file holds them
    refuse_data_beside(
        saved,
        run_dir,
        SYNTHETIC_SETTINGS,
        why="a run on a data file records the synthetic data's settings as null: the file "
        "decides the examples",
        instead=put_back,
    )
    return saved


def _without_config(run_dir: Path) -> str:
    """Return the refusal of ``run_dir``, which holds no ``config.json``: by what its checkpoint
    holds, if any (a folder holding a run's checkpoint was said to hold no run)."""
    ckpt = resumable_checkpoint(run_dir)
    if ckpt is None:  # none, or none usable: nothing here tells of a run
        return (
            f"the run folder {shown_path(run_dir)} holds no {CONFIG_FILE}, so it holds no run; "
            "pass the folder a run kept with out=DIR"
        )
    # a softmax run's (or one whose task nothing tells): resume_softmax rebuilds config.json
    if checkpoint_task(ckpt.extra, ckpt.config) != TASK:
        return (
            f"the run folder {shown_path(run_dir)} holds no linear-regression run (its "
            f"{CHECKPOINT_FILE} is of a softmax run); resume it with: "
            f"linearnets.resume_softmax({str(run_dir)!r})"
        )
    # as resume_softmax refuses this folder: the resume reads the run's settings from config.json
    return (
        f"the run folder {shown_path(run_dir)} holds a linear-regression run's {CHECKPOINT_FILE} "
        f"(epoch {ckpt.epoch}) but not its {CONFIG_FILE}, which holds the settings the resume "
        f"needs; put its {CONFIG_FILE} back (from a copy of the run), then resume it with: "
        f"linearnets.resume_linreg({str(run_dir)!r})"
    )
