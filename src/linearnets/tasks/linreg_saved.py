"""A linear-regression run's ``config.json`` read back for its resume (D2L §3.2.7): the folder
refused where it holds no such run (a softmax run's, none, another tool's file), the file where
a hand edit left it no run's (a data file beside the synthetic data's settings too). Where it is
lost, the checkpoint's settings stand in, as for a softmax run
(:func:`~linearnets.tasks.resume_saved.config_from_checkpoint`), and the resume writes it again.
Used by :mod:`linearnets.tasks.linreg_resume`.
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
from linearnets.tasks.resume_saved import config_from_checkpoint, copied_config, other_task_fix
from linearnets.training.checkpoint import CHECKPOINT_FILE
from linearnets.training.config_records import check_records
from linearnets.training.config_sections import check_sections
from linearnets.training.run_config import config_fix, loaded_json, refuse_config_folder
from linearnets.training.run_dir_checks import check_reachable
from linearnets.training.runs import CONFIG_FILE

__all__ = ["read_linreg_config"]

# settings only a linear-regression run's config holds: a task-less config.json with them is one
_LINREG_ONLY = ("true_w", "num_examples", "noise_std")


def read_linreg_config(run_dir: Path) -> dict[str, Any]:
    """Return ``run_dir/config.json``, refusing a folder that holds no linear-regression run, and
    a file whose sections or records are no run's (a hand edit, another tool's file): a
    ``resumes`` entry too (:func:`~linearnets.tasks.resume_entries.check_entries`). Where it is
    lost, what the run's checkpoint holds (its settings, no resume recorded).

    Raises:
        UsageError: naming the folder or the file, what is wrong, and the fix (the resume of the
            run the folder does hold, a copy of the file put back, or the file deleted where the
            checkpoint rebuilds it).
    """
    path = run_dir / CONFIG_FILE
    check_reachable(run_dir)  # Path.is_dir raised the bare PermissionError
    if run_dir.is_file() and (run_dir.parent / CONFIG_FILE).is_file():  # its checkpoint.pt
        raise UsageError(
            f"the run folder {shown_path(run_dir)} is a file in a run folder; pass the folder "
            f"that holds it: {shown_path(run_dir.parent)}"
        )
    if not run_dir.is_dir():
        raise UsageError(
            f"the run folder {shown_path(run_dir)} does not exist or is not a folder; pass the "
            "folder a run kept with out=DIR"
        )
    refuse_config_folder(run_dir)  # read as a file, "delete config.json" was its fix
    if not path.exists():
        # its checkpoint stands in, as resume_softmax has it: the resume writes config.json again
        return _from_checkpoint(run_dir)
    # deleted, it is rebuilt from the checkpoint (the fix read_config gives a softmax run's)
    saved = loaded_json(path, fix=lambda: config_fix(run_dir))
    put_back = f"put back the run's {CONFIG_FILE} from a copy of the run"
    # in read_config's words, the value named as the file has it (it said "holds no run config"
    # of a [], or of a 'config' section that was NaN or a string)
    if not isinstance(saved, dict):
        raise UsageError(
            f"{shown_path(path)} must hold a JSON object, got {json_kind(saved)}; "
            f"{config_fix(run_dir)}"
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
    # a softmax run's copied in was sent to resume_softmax, which said to delete the checkpoint
    copied = copied_config(run_dir, saved, reader=TASK)
    if copied is not None:
        raise copied
    task = saved.get("task")
    linreg_keys = [k for k in _LINREG_ONLY if k in saved["config"]]
    if task is None and linreg_keys:  # a linear-regression run's, its task removed by hand
        raise UsageError(
            f"{shown_path(path)} names no task, but its settings "
            f"({', '.join(linreg_keys)}) are a linear-regression run's, which names task "
            f'{json_text(TASK)}; add "task": {json_text(TASK)} to it, or {put_back}'
        )
    if task is None:  # a softmax run's config.json names no task
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds no linear-regression run (its "
            f"{CONFIG_FILE} is of a softmax run); {other_task_fix(run_dir, 'resume_softmax')}"
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
    # what a resume compares or copies forward
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


def _from_checkpoint(run_dir: Path) -> dict[str, Any]:
    """Return what stands in for ``run_dir``'s lost ``config.json``, its checkpoint's settings
    (:func:`~linearnets.tasks.resume_saved.config_from_checkpoint`), refusing a folder whose
    checkpoint is no linear-regression run's, or that holds none a resume loads."""
    rebuilt = config_from_checkpoint(run_dir)
    if rebuilt is None:  # none, or none usable: nothing here tells of a run
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds no {CONFIG_FILE}, so it holds no run; "
            "pass the folder a run kept with out=DIR"
        )
    # a softmax run's (or one whose task nothing tells): resume_softmax rebuilds config.json
    if rebuilt.get("task") != TASK:
        raise UsageError(
            f"the run folder {shown_path(run_dir)} holds no linear-regression run (its "
            f"{CHECKPOINT_FILE} is of a softmax run); {other_task_fix(run_dir, 'resume_softmax')}"
        )
    return rebuilt
